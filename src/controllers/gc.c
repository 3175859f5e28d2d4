/* Implementation of src/controllers/gc.h. One thread rescans every stored
 * kind from the watch cache every GC_SCAN_MS (sooner after a scan that
 * changed something, so cascades through several levels move quickly). A
 * scan sorts all uids to answer "does this owner exist", then handles owners
 * marked for foreground or orphan deletion and dependents whose owners are
 * gone. Every write re-reads the key from the store, re-decides on that
 * fresh state and writes with compare-and-swap, so the snapshot only has to
 * be a hint; an owner missing from the snapshot is confirmed absent by a
 * direct store read before anything is deleted because of it. */
#include "gc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cache/cache.h"
#include "../codec/json.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

#define GC_SCAN_MS 500
/* Pause after a scan that wrote something: the next level of a cascade. */
#define GC_BUSY_MS 50
/* Sleep slice: bounds how late stop() is noticed. */
#define GC_SLICE_MS 50
/* Pause after a scan: at least this many times the scan's own duration. */
#define GC_COST_FACTOR 20
/* A store with no change since a clean scan is rescanned after this long
 * anyway (kinds may have appeared in between). */
#define GC_RESCAN_MS 10000
#define GC_CAS_ATTEMPTS 8
#define GC_SYNC_TIMEOUT_MS 2000

#define FIN_FOREGROUND "foregroundDeletion"
#define FIN_ORPHAN "orphan"

struct kapi_gc {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_registry *reg;
    const struct kapi_kind **kinds; /* every stored kind, one per cache entry */
    size_t nkinds;
    pthread_t thread;
    atomic_bool stop;
    /* the last clean scan: the store revision and custom kinds it saw */
    bool settled;
    int64_t settled_rev, settled_at;
    size_t settled_ndyn;
    bool unsure; /* this scan could not decide on some owner */
};

/* One object of a scan that owns through references or is being deleted.
 * The cache keeps its owner uids and deletion state; the references
 * themselves are parsed only when a decision needs them. */
struct gc_obj {
    struct kapi_cobj *o;
    const struct kapi_kind *kind;
    struct kapi_value *refs; /* metadata.ownerReferences, once parsed */
    bool parsed;
};

/* Which owners the dependents of a scan name exist in it: an open-addressed
 * set keyed by (owner uid, dependent namespace), filled from one pass over
 * every object, so a scan costs a hash per object rather than a sort. */
struct owner_slot {
    const char *uid, *ns;
    bool present;
};

struct owner_set {
    struct owner_slot *slots;
    size_t cap; /* a power of two, at least twice the entries */
};

static bool stopping(struct kapi_gc *g)
{
    return atomic_load(&g->stop);
}

static bool str_in_array(const struct kapi_value *arr, const char *s)
{
    if (!arr || arr->type != KAPI_V_ARRAY)
        return false;
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *x = kapi_value_cstr(arr->u.arr.items[i]);
        if (x && strcmp(x, s) == 0)
            return true;
    }
    return false;
}

static const char *ref_uid(const struct kapi_value *ref)
{
    return ref && ref->type == KAPI_V_OBJECT ? kapi_obj_get_str(ref, "uid") : NULL;
}

/* The reference to uid in refs, or NULL. */
static const struct kapi_value *find_ref(const struct kapi_value *refs, const char *uid)
{
    if (!refs || refs->type != KAPI_V_ARRAY)
        return NULL;
    for (size_t i = 0; i < refs->u.arr.len; i++) {
        const char *u = ref_uid(refs->u.arr.items[i]);
        if (u && strcmp(u, uid) == 0)
            return refs->u.arr.items[i];
    }
    return NULL;
}

/* ---- compare-and-swap writes on fresh state ---- */

enum gc_act { ACT_NONE, ACT_UPDATE, ACT_DELETE };

/* Decides, on the object's latest stored state, what to write. */
typedef enum gc_act (*gc_mutate_fn)(struct kapi_pool *pool, struct kapi_value *md, void *ctx);

/* Applies fn to the stored object at key (skipped when its uid is no longer
 * uid: a new object took the name) until the CAS write succeeds. Sets
 * *wrote when something was written. 0, or a store error. */
static int mutate(struct kapi_gc *g, const char *key, const char *uid, gc_mutate_fn fn, void *ctx, bool *wrote)
{
    for (int attempt = 0; attempt < GC_CAS_ATTEMPTS && !stopping(g); attempt++) {
        struct kapi_kv kv = {0};
        int err = kapi_store_get(g->store, key, &kv);
        if (err == KAPI_STORE_NOT_FOUND || (err == 0 && !kv.value)) {
            kapi_kv_dispose(&kv);
            return 0;
        }
        if (err) {
            kapi_kv_dispose(&kv);
            return err;
        }
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error jerr;
        struct kapi_value *obj = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &jerr);
        struct kapi_value *md = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, "metadata") : NULL;
        const char *cur_uid = md && md->type == KAPI_V_OBJECT ? kapi_obj_get_str(md, "uid") : NULL;
        enum gc_act act = ACT_NONE;
        if (md && md->type == KAPI_V_OBJECT && (!uid || (cur_uid && strcmp(cur_uid, uid) == 0)))
            act = fn(pool, md, ctx);
        struct kapi_write_result res = {0};
        err = 0;
        if (act == ACT_UPDATE) {
            kapi_meta_canonicalize(pool, obj);
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_meta_encode_for_store(obj, &b);
            struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len,
                                   .expect_mod_rev = kv.mod_rev};
            err = kapi_store_write(g->store, &w, &res);
            kapi_buf_dispose(&b);
        } else if (act == ACT_DELETE) {
            struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = kv.mod_rev};
            err = kapi_store_write(g->store, &w, &res);
        }
        kapi_write_result_dispose(&res);
        kapi_pool_free(pool);
        kapi_kv_dispose(&kv);
        if (err == KAPI_STORE_CONFLICT)
            continue;
        if (err == KAPI_STORE_NOT_FOUND)
            return 0;
        if (err == 0 && act != ACT_NONE) {
            *wrote = true;
            kapi_log(2, "garbage collector: %s %s", act == ACT_DELETE ? "deleted" : "updated", key);
        }
        return err;
    }
    return stopping(g) ? 0 : KAPI_STORE_CONFLICT;
}

/* What DELETE does to an object: remove it, or, when finalizers hold it,
 * mark it (deletionTimestamp, grace 0, generation bumped where kept). */
static enum gc_act delete_or_mark(struct kapi_pool *pool, struct kapi_value *md)
{
    if (!kapi_meta_has_finalizers(md))
        return ACT_DELETE;
    return kapi_meta_mark_deleted(pool, md) ? ACT_UPDATE : ACT_NONE;
}

/* Drops the references whose uid is in dead (n of them) from md; returns
 * how many references are left and sets *removed. */
static size_t drop_refs(struct kapi_pool *pool, struct kapi_value *md, const char *const *dead, size_t n,
                        bool *removed)
{
    struct kapi_value *refs = kapi_obj_get(md, "ownerReferences");
    *removed = false;
    if (!refs || refs->type != KAPI_V_ARRAY)
        return 0;
    struct kapi_value *kept = kapi_value_array(pool);
    for (size_t i = 0; i < refs->u.arr.len; i++) {
        const char *u = ref_uid(refs->u.arr.items[i]);
        bool drop = false;
        for (size_t j = 0; u && j < n && !drop; j++)
            drop = strcmp(u, dead[j]) == 0;
        if (drop)
            *removed = true;
        else
            kapi_arr_push(pool, kept, refs->u.arr.items[i]);
    }
    if (*removed) {
        if (kept->u.arr.len)
            kapi_obj_set(pool, md, "ownerReferences", kept);
        else
            kapi_obj_del(md, "ownerReferences");
    }
    return kept->u.arr.len;
}

struct dead_set {
    const char *const *uids;
    size_t n;
};

/* Background: a dependent some of whose owners are gone. */
static enum gc_act mut_dangling(struct kapi_pool *pool, struct kapi_value *md, void *ctx)
{
    struct dead_set *d = ctx;
    if (kapi_obj_get(md, "deletionTimestamp"))
        return ACT_NONE;
    struct kapi_value *orig = kapi_obj_get(md, "ownerReferences");
    bool removed;
    size_t left = drop_refs(pool, md, d->uids, d->n, &removed);
    if (!removed)
        return ACT_NONE;
    if (left)
        return ACT_UPDATE;
    /* Every owner is gone: the dependent goes too. When finalizers keep
     * it, it is marked with its references as they were. */
    kapi_obj_set(pool, md, "ownerReferences", orig);
    return delete_or_mark(pool, md);
}

/* Foreground: a dependent of an owner waiting for its dependents. */
static enum gc_act mut_fg_dependent(struct kapi_pool *pool, struct kapi_value *md, void *ctx)
{
    if (!find_ref(kapi_obj_get(md, "ownerReferences"), ctx))
        return ACT_NONE;
    return delete_or_mark(pool, md);
}

/* Orphan: the dependent forgets the owner. */
static enum gc_act mut_orphan_dependent(struct kapi_pool *pool, struct kapi_value *md, void *ctx)
{
    const char *uid = ctx;
    bool removed;
    drop_refs(pool, md, &uid, 1, &removed);
    return removed ? ACT_UPDATE : ACT_NONE;
}

/* The owner's dependents are dealt with: drop the GC's finalizer (ctx) and
 * delete the owner when no finalizer is left. */
static enum gc_act mut_finalize_owner(struct kapi_pool *pool, struct kapi_value *md, void *ctx)
{
    const char *fin = ctx;
    struct kapi_value *fins = kapi_obj_get(md, "finalizers");
    if (!kapi_obj_get(md, "deletionTimestamp") || !str_in_array(fins, fin))
        return ACT_NONE;
    struct kapi_value *kept = kapi_value_array(pool);
    for (size_t i = 0; i < fins->u.arr.len; i++) {
        const char *x = kapi_value_cstr(fins->u.arr.items[i]);
        if (!x || strcmp(x, fin) != 0)
            kapi_arr_push(pool, kept, fins->u.arr.items[i]);
    }
    if (kept->u.arr.len == 0)
        return ACT_DELETE;
    kapi_obj_set(pool, md, "finalizers", kept);
    return ACT_UPDATE;
}

/* ---- owner existence ---- */

static uint64_t uid_hash(const char *uid)
{
    return kapi_fnv1a(KAPI_FNV_INIT, uid, strlen(uid));
}

/* Adds (uid, ns) unless there; the set has room (cap >= 2 * entries). */
static void owner_set_add(struct owner_set *s, const char *uid, const char *ns)
{
    for (size_t i = uid_hash(uid) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        struct owner_slot *e = &s->slots[i];
        if (!e->uid) {
            *e = (struct owner_slot){.uid = uid, .ns = ns};
            return;
        }
        if (strcmp(e->uid, uid) == 0 && strcmp(e->ns, ns) == 0)
            return;
    }
}

/* An object with uid in namespace ns (or cluster-scoped: "") exists: every
 * dependent of the same namespace (any, for "") may own through it. */
static void owner_set_mark(struct owner_set *s, const char *uid, const char *ns)
{
    for (size_t i = uid_hash(uid) & (s->cap - 1); s->slots[i].uid; i = (i + 1) & (s->cap - 1)) {
        struct owner_slot *e = &s->slots[i];
        if (strcmp(e->uid, uid) == 0 && (!ns[0] || strcmp(e->ns, ns) == 0))
            e->present = true;
    }
}

/* True when the scan saw an object with uid that a dependent in namespace
 * ns can own through (same namespace, or cluster-scoped). */
static bool owner_set_has(const struct owner_set *s, const char *uid, const char *ns)
{
    for (size_t i = uid_hash(uid) & (s->cap - 1); s->slots[i].uid; i = (i + 1) & (s->cap - 1)) {
        const struct owner_slot *e = &s->slots[i];
        if (strcmp(e->uid, uid) == 0 && strcmp(e->ns, ns) == 0)
            return e->present;
    }
    return false;
}

/* Confirms with a store read that the owner named by ref is gone (no object
 * under its name, or one with another uid). Unknown kinds, and namespaced
 * owners named by cluster-scoped dependents, count as present: the
 * collector never deletes on a reference it cannot resolve. */
static bool owner_absent(struct kapi_gc *g, struct kapi_pool *pool, const char *dep_ns,
                         const struct kapi_value *ref, const char *uid)
{
    const char *av = kapi_obj_get_str(ref, "apiVersion");
    const char *kind = kapi_obj_get_str(ref, "kind");
    const char *name = kapi_obj_get_str(ref, "name");
    if (!av || !kind || !name || !name[0])
        return false;
    const char *slash = strchr(av, '/');
    const char *group = slash ? kapi_pool_printf(pool, "%.*s", (int)(slash - av), av) : "";
    const char *version = slash ? slash + 1 : av;
    const struct kapi_kind *k = kapi_registry_find_by_kind(g->reg, group, version, kind);
    if (!k || !(k->flags & KAPI_KIND_STORED) || !k->rc) {
        g->unsure = true; /* perhaps a custom kind not served yet: look again */
        return false;
    }
    const struct kapi_resource *r = k->res;
    if (r->namespaced && !dep_ns[0])
        return false;
    const char *key = kapi_registry_key(pool, k, r->namespaced ? dep_ns : NULL, name);
    struct kapi_kv kv = {0};
    int err = kapi_store_get(g->store, key, &kv);
    bool absent = false;
    if (err == KAPI_STORE_NOT_FOUND || (err == 0 && !kv.value)) {
        absent = true;
    } else if (err) {
        g->unsure = true;
    } else {
        struct kapi_json_error jerr;
        struct kapi_value *o = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &jerr);
        const char *cur = kapi_value_cstr(kapi_value_path(o, "metadata", "uid", NULL));
        absent = cur && strcmp(cur, uid) != 0;
    }
    kapi_kv_dispose(&kv);
    return absent;
}

/* ---- one scan ---- */

/* The dependent's parsed ownerReferences (parsed on first use). */
static const struct kapi_value *obj_refs(struct gc_obj *d, struct kapi_pool *pool)
{
    if (!d->parsed) {
        d->parsed = true;
        struct kapi_value *v = kapi_cobj_value(d->o, pool);
        d->refs = kapi_value_path(v, "metadata", "ownerReferences", NULL);
    }
    return d->refs;
}

static bool owns_through(const struct kapi_cobj *o, const char *uid)
{
    for (const char **u = o->owner_uids; u && *u; u++)
        if (strcmp(*u, uid) == 0)
            return true;
    return false;
}

/* Foreground or orphan handling of one owner marked for deletion. */
static int handle_owner(struct kapi_gc *g, struct kapi_pool *pool, const struct gc_obj *owner, struct gc_obj *objs,
                        size_t n, bool *wrote)
{
    const char *uid = owner->o->uid;
    const char *ons = owner->o->ns ? owner->o->ns : "";
    bool orphan = owner->o->gc_flags & KAPI_COBJ_FIN_ORPHAN;
    size_t waiting = 0;
    int failed = 0;
    for (size_t i = 0; i < n && !stopping(g); i++) {
        struct gc_obj *d = &objs[i];
        if (d == owner || !owns_through(d->o, uid) || (ons[0] && strcmp(d->o->ns ? d->o->ns : "", ons) != 0))
            continue;
        const struct kapi_value *ref = find_ref(obj_refs(d, pool), uid);
        if (!ref)
            continue;
        int err = 0;
        if (orphan) {
            waiting++;
            err = mutate(g, d->o->key, d->o->uid, mut_orphan_dependent, (void *)uid, wrote);
        } else {
            const struct kapi_value *b = kapi_obj_get(ref, "blockOwnerDeletion");
            if (b && b->type == KAPI_V_BOOL && b->u.b)
                waiting++;
            if (!(d->o->gc_flags & KAPI_COBJ_DELETING))
                err = mutate(g, d->o->key, d->o->uid, mut_fg_dependent, (void *)uid, wrote);
        }
        if (err) {
            failed = err;
            kapi_log(0, "garbage collector: %s: %s", d->o->key, kapi_store_strerror(err));
        }
    }
    /* Finalize only on a snapshot that shows nothing left to wait for, so
     * the effect of this scan's writes is confirmed by the next one. */
    if (failed || waiting || stopping(g))
        return failed;
    int err = mutate(g, owner->o->key, uid, mut_finalize_owner, (void *)(orphan ? FIN_ORPHAN : FIN_FOREGROUND),
                     wrote);
    if (err)
        kapi_log(0, "garbage collector: finalizing %s: %s", owner->o->key, kapi_store_strerror(err));
    return err;
}

/* Background handling of one dependent: which of its owners are gone. */
static int handle_dependent(struct kapi_gc *g, struct kapi_pool *pool, struct gc_obj *d, const struct owner_set *owners,
                            bool *wrote)
{
    const char *ns = d->o->ns ? d->o->ns : "";
    size_t nref = 0, ndead = 0;
    while (d->o->owner_uids[nref])
        nref++;
    const char **dead = kapi_pool_alloc(pool, nref * sizeof(*dead));
    for (size_t i = 0; i < nref; i++) {
        const char *u = d->o->owner_uids[i];
        if (owner_set_has(owners, u, ns))
            continue;
        const struct kapi_value *ref = find_ref(obj_refs(d, pool), u);
        if (ref && owner_absent(g, pool, ns, ref, u))
            dead[ndead++] = u;
    }
    if (!ndead)
        return 0;
    struct dead_set ds = {.uids = dead, .n = ndead};
    int err = mutate(g, d->o->key, d->o->uid, mut_dangling, &ds, wrote);
    if (err)
        kapi_log(0, "garbage collector: %s: %s", d->o->key, kapi_store_strerror(err));
    return err;
}

enum scan_result { SCAN_CLEAN, SCAN_WROTE, SCAN_UNSETTLED };

/* One pass over everything. SCAN_CLEAN when it wrote nothing and met no
 * error (the same store state would give the same result again). */
static enum scan_result scan(struct kapi_gc *g)
{
    int err = kapi_cache_sync(g->cache, GC_SYNC_TIMEOUT_MS);
    if (err) {
        kapi_log(0, "garbage collector: cache sync: %s", err < 0 ? "timeout" : kapi_store_strerror(err));
        return SCAN_UNSETTLED;
    }
    /* the built-in kinds plus the custom resources served right now */
    const struct kapi_kind *dyn[256];
    size_t ndyn = kapi_registry_dynamic_kinds(g->reg, dyn, 256);
    int64_t rev = kapi_cache_rev(g->cache);
    if (g->settled && rev == g->settled_rev && ndyn == g->settled_ndyn &&
        kapi_now_ms() - g->settled_at < GC_RESCAN_MS)
        return SCAN_CLEAN; /* nothing stored changed since a clean scan */
    struct kapi_pool *pool = kapi_pool_new();
    size_t nk = g->nkinds + ndyn;
    const struct kapi_kind **kinds = kapi_xcalloc(nk ? nk : 1, sizeof(*kinds));
    for (size_t k = 0; k < nk; k++)
        kinds[k] = k < g->nkinds ? g->kinds[k] : dyn[k - g->nkinds];
    struct kapi_cache_list *lists = kapi_xcalloc(nk ? nk : 1, sizeof(*lists));
    size_t total = 0;
    struct kapi_cache_filter all = {.ns = ""};
    for (size_t k = 0; k < nk; k++) {
        kapi_rcache_list(kinds[k]->rc, &all, NULL, 0, &lists[k]);
        total += lists[k].n;
    }
    /* dependents and objects being deleted; the owners dependents name */
    struct gc_obj *objs = kapi_xcalloc(total ? total : 1, sizeof(*objs));
    size_t n = 0, nnamed = 0;
    for (size_t k = 0; k < nk; k++) {
        for (size_t i = 0; i < lists[k].n; i++) {
            struct kapi_cobj *o = lists[k].items[i];
            if ((!o->owner_uids && !o->gc_flags) || !o->uid || !o->uid[0])
                continue;
            objs[n++] = (struct gc_obj){.o = o, .kind = kinds[k]};
            for (const char **u = o->owner_uids; u && *u && !(o->gc_flags & KAPI_COBJ_DELETING); u++)
                nnamed++;
        }
    }
    struct owner_set owners = {.cap = 1};
    while (owners.cap < 2 * nnamed + 2)
        owners.cap <<= 1;
    owners.slots = kapi_xcalloc(owners.cap, sizeof(*owners.slots));
    for (size_t i = 0; i < n; i++)
        for (const char **u = objs[i].o->owner_uids; u && *u && !(objs[i].o->gc_flags & KAPI_COBJ_DELETING); u++)
            owner_set_add(&owners, *u, objs[i].o->ns ? objs[i].o->ns : "");
    for (size_t k = 0; k < nk && nnamed; k++)
        for (size_t i = 0; i < lists[k].n; i++) {
            const struct kapi_cobj *o = lists[k].items[i];
            if (o->uid && o->uid[0])
                owner_set_mark(&owners, o->uid, o->ns ? o->ns : "");
        }

    bool wrote = false;
    int failed = 0;
    g->unsure = false;
    for (size_t i = 0; i < n && !stopping(g); i++)
        if (objs[i].o->gc_flags & (KAPI_COBJ_FIN_FG | KAPI_COBJ_FIN_ORPHAN))
            failed |= handle_owner(g, pool, &objs[i], objs, n, &wrote);
    for (size_t i = 0; i < n && !stopping(g); i++)
        if (objs[i].o->owner_uids && !(objs[i].o->gc_flags & KAPI_COBJ_DELETING))
            failed |= handle_dependent(g, pool, &objs[i], &owners, &wrote);

    free(owners.slots);
    free(objs);
    for (size_t k = 0; k < nk; k++)
        kapi_cache_list_dispose(&lists[k]);
    free(lists);
    free(kinds);
    kapi_pool_free(pool);
    g->settled = !wrote && !failed && !g->unsure && !stopping(g);
    if (g->settled) {
        g->settled_rev = rev;
        g->settled_ndyn = ndyn;
        g->settled_at = kapi_now_ms();
    }
    return wrote ? SCAN_WROTE : g->settled ? SCAN_CLEAN : SCAN_UNSETTLED;
}

/* ---- the thread ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *gc_main(void *arg)
{
    kapi_thread_name("ctl-gc");
    struct kapi_gc *g = arg;
    while (!stopping(g)) {
        int64_t t0 = kapi_now_ms();
        enum scan_result r = scan(g);
        /* A scan that wrote goes on soon (the next level of a cascade);
         * otherwise the pause grows with what a scan costs, so that on a
         * big store the collector takes a bounded share of one core. */
        int64_t cost = kapi_now_ms() - t0;
        int wait = r == SCAN_WROTE ? GC_BUSY_MS : GC_SCAN_MS;
        if (cost * GC_COST_FACTOR > wait)
            wait = (int)(cost * GC_COST_FACTOR > GC_RESCAN_MS ? GC_RESCAN_MS : cost * GC_COST_FACTOR);
        for (int slept = 0; slept < wait && !stopping(g); slept += GC_SLICE_MS)
            sleep_ms(GC_SLICE_MS);
    }
    return NULL;
}

struct kapi_gc *kapi_gc_start(struct kapi_store *store, struct kapi_cache *cache, const struct kapi_registry *reg)
{
    struct kapi_gc *g = kapi_xcalloc(1, sizeof(*g));
    g->store = store;
    g->cache = cache;
    g->reg = reg;
    size_t n = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    g->kinds = kapi_xcalloc(n ? n : 1, sizeof(*g->kinds));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &all[i];
        if (kapi_resource_is_sub(r))
            continue;
        const struct kapi_kind *k = kapi_registry_find(reg, r->group, r->version, r->name);
        if (!k || !(k->flags & KAPI_KIND_STORED) || !k->rc)
            continue;
        /* One entry per cache entry: several group/versions can share one
         * (events in core and events.k8s.io). */
        bool dup = false;
        for (size_t j = 0; j < g->nkinds && !dup; j++)
            dup = g->kinds[j]->rc == k->rc;
        if (!dup)
            g->kinds[g->nkinds++] = k;
    }
    atomic_init(&g->stop, false);
    int err = pthread_create(&g->thread, NULL, gc_main, g);
    if (err) {
        kapi_log(0, "garbage collector: cannot start thread (error %d)", err);
        abort();
    }
    kapi_log(1, "garbage collector: started (%zu stored kinds)", g->nkinds);
    return g;
}

void kapi_gc_stop(struct kapi_gc *g)
{
    if (!g)
        return;
    atomic_store(&g->stop, true);
    pthread_join(g->thread, NULL);
    free(g->kinds);
    free(g);
}
