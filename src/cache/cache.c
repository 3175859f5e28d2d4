/* Implementation of src/cache/cache.h. Locking: each resource cache has a
 * rwlock over its sorted object array, event ring and watcher list. The
 * feeder (the store's watch callback) takes the write lock to apply an event
 * and publishes the global revision before releasing it, so a reader holding
 * the read lock always sees a revision no older than what it reads. */
#include "cache.h"
#include "objindex.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../codec/json.h"
#include "../schema/protobuf.h"

#define RING_CAP 4096
#define WATCHER_MAX_QUEUE 100000

struct cevent {
    _Atomic long refs;
    enum kapi_event_type type;
    int64_t rev;
    struct kapi_cobj *obj;   /* new version (PUT) or prev with RV=rev (DELETE) */
    struct kapi_cobj *prev;  /* previous version, NULL on create */
    pthread_mutex_t mu;      /* guards the lazily encoded frames below */
    struct kapi_blob *frames[3];
    struct kapi_cobj *prev_at_rev; /* prev with resourceVersion = rev, for filter exits */
};

struct wq_item {
    struct wq_item *next;
    enum kapi_watch_type type;
    struct cevent *ev;       /* NULL for synthetic ADDED */
    struct kapi_cobj *obj;   /* for synthetic ADDED */
};

struct kapi_watcher {
    struct kapi_watcher *next, *prev_w;
    struct kapi_cache *cache;
    struct kapi_rcache *rc;
    struct kapi_cache_filter f;
    char *ns;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct wq_item *head, *tail;
    size_t qlen;
    bool closed;
    bool registered;
    int64_t rev;             /* newest revision queued or passed over */
};

#define MAX_FIELDS 32
#define PREP_BUCKETS 1024
#define PREP_MAX 4096

struct kapi_rcache {
    struct kapi_rcache *next;
    const char *fields[MAX_FIELDS + 1];
    struct kapi_cache *cache;
    char *prefix;
    size_t prefix_len;
    pthread_rwlock_t lock;
    struct kapi_objindex objs;
    struct cevent *ring[RING_CAP];
    size_t ring_start, ring_len;
    int64_t oldest_rev;      /* ring holds every event with rev > oldest_rev */
    struct kapi_watcher *watchers;
};

struct kapi_cache {
    struct kapi_store *store;
    struct kapi_rcache *rcs;
    /* The resource of the last event fed, when no other resource's prefix
     * extends its prefix (so a prefix match is conclusive); under feed_mu,
     * cleared whenever rcs changes. */
    struct kapi_rcache *last_rc;
    _Atomic int64_t rev;
    pthread_mutex_t rev_mu;
    pthread_cond_t rev_cv;
    /* Held while an event is applied, during a re-list and while a resource
     * is added at run time, so an added resource is loaded at exactly the
     * revision the cache has applied. */
    pthread_mutex_t feed_mu;
    /* Consistent reads share store revision reads: a reader waits for a
     * read that started after it arrived (its result covers every write
     * acknowledged before), at most one in flight. */
    pthread_mutex_t fetch_mu;
    pthread_cond_t fetch_cv;
    uint64_t fetch_started, fetch_done;
    int fetch_busy;
    int64_t fetch_rev;
    int fetch_err;
    _Atomic long watch_id;
    bool started;
    /* When the store's watch ends (an etcd member died, a stream broke) the
     * resumer thread watches again from the last applied revision, or
     * re-lists when that revision was compacted meanwhile. */
    pthread_t resumer;
    pthread_mutex_t res_mu;
    pthread_cond_t res_cv;
    int dead_err;  /* why the watch ended; 0 while it runs */
    bool stopping;
    /* Objects prepared by writers for the events their writes will bring
     * (kapi_cache_offer), by key hash; oldest first in a list, at most
     * PREP_MAX, the oldest dropped beyond. */
    pthread_mutex_t prep_mu;
    struct kapi_cobj_prep *prep_buckets[PREP_BUCKETS];
    struct kapi_cobj_prep *prep_oldest, *prep_newest;
    size_t nprep;
};

/* ---- objects ---- */

struct kapi_cobj *kapi_cobj_ref(struct kapi_cobj *o)
{
    if (o)
        atomic_fetch_add(&o->refs, 1);
    return o;
}

void kapi_cobj_unref(struct kapi_cobj *o)
{
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    free(o->key);
    kapi_blob_unref(o->json);
    kapi_blob_unref(atomic_load(&o->pb));
    kapi_pool_free(o->pool);
    free(o);
}

struct kapi_blob *kapi_cobj_protobuf(struct kapi_cobj *o, const struct kapi_schema_msg *msg)
{
    struct kapi_blob *b = atomic_load(&o->pb);
    if (b || !msg)
        return b;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = kapi_cobj_value(o, pool);
    struct kapi_buf buf;
    kapi_buf_init(&buf, 0);
    char err[128];
    if (v && kapi_pb_encode_message(&buf, msg, v, err, sizeof(err)) == 0) {
        struct kapi_blob *nb = kapi_blob_new(buf.data, buf.len);
        struct kapi_blob *expected = NULL;
        /* Two readers may race to encode; the first one's bytes win. */
        if (atomic_compare_exchange_strong(&o->pb, &expected, nb))
            b = nb;
        else {
            kapi_blob_unref(nb);
            b = expected;
        }
    } else {
        kapi_log(1, "cache: cannot encode %s as protobuf: %s", o->key, err);
    }
    kapi_buf_dispose(&buf);
    kapi_pool_free(pool);
    return b;
}

struct kapi_value *kapi_cobj_value(const struct kapi_cobj *o, struct kapi_pool *pool)
{
    struct kapi_json_error err;
    return kapi_json_parse(pool, o->json->data, o->json->len, NULL, &err);
}

static void set_rv(struct kapi_pool *pool, struct kapi_value *root, int64_t rev)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, root, "metadata");
    char rv[24];
    snprintf(rv, sizeof(rv), "%lld", (long long)rev);
    /* resourceVersion sits where upstream's ObjectMeta puts it: after
     * selfLink/uid when they are present, which kapi_obj_set preserves for
     * existing keys. For a missing key, insert it after uid. */
    if (kapi_obj_get(md, "resourceVersion")) {
        kapi_obj_set(pool, md, "resourceVersion", kapi_value_str(pool, rv));
        return;
    }
    kapi_obj_set(pool, md, "resourceVersion", kapi_value_str(pool, rv));
    /* move it right after "uid" (or name/generateName/namespace/selfLink) */
    static const char *const before[] = {"uid", "selfLink", "namespace", "generateName", "name"};
    size_t n = md->u.obj.len;
    struct kapi_member m = md->u.obj.members[n - 1];
    for (size_t b = 0; b < KAPI_ARRAY_LEN(before); b++) {
        for (size_t i = 0; i + 1 < n; i++) {
            if (strcmp(md->u.obj.members[i].key, before[b]) == 0) {
                memmove(&md->u.obj.members[i + 2], &md->u.obj.members[i + 1], (n - 2 - i) * sizeof(m));
                md->u.obj.members[i + 1] = m;
                return;
            }
        }
    }
    memmove(&md->u.obj.members[1], &md->u.obj.members[0], (n - 1) * sizeof(m));
    md->u.obj.members[0] = m;
}

struct kapi_blob *kapi_cache_json_with_rv(const struct kapi_blob *json, int64_t rev)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json->data, json->len, NULL, &err);
    struct kapi_blob *out;
    if (!v || v->type != KAPI_V_OBJECT) {
        out = kapi_blob_new(json->data, json->len);
    } else {
        set_rv(pool, v, rev);
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_json_write(&b, v);
        out = kapi_blob_new(b.data, b.len);
        kapi_buf_dispose(&b);
    }
    kapi_pool_free(pool);
    return out;
}

/* Builds a cache object from stored bytes (which carry no resourceVersion). */
/* The text a field selector compares for the value at a dotted path:
 * strings as they are, booleans and numbers printed, absent as "". */
static const char *field_text(struct kapi_pool *pool, const struct kapi_value *root, const char *path)
{
    const struct kapi_value *v = root;
    const char *p = path;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        char key[128];
        if (n >= sizeof(key))
            return "";
        memcpy(key, p, n);
        key[n] = 0;
        v = kapi_obj_get(v, key);
        p += n;
        if (*p == '.')
            p++;
    }
    if (!v)
        return "";
    switch (v->type) {
    case KAPI_V_STRING:
        return kapi_pool_strdup(pool, v->u.str.s);
    case KAPI_V_BOOL:
        return v->u.b ? "true" : "false";
    case KAPI_V_INT:
        return kapi_pool_printf(pool, "%lld", (long long)v->u.i);
    default:
        return "";
    }
}

const char *kapi_cobj_field(const struct kapi_cobj *o, const char *field)
{
    if (!o->field_names)
        return NULL;
    for (size_t i = 0; o->field_names[i]; i++)
        if (strcmp(o->field_names[i], field) == 0)
            return o->field_vals[i];
    return NULL;
}

void kapi_rcache_add_fields(struct kapi_rcache *rc, const char *const *fields)
{
    size_t n = 0;
    while (rc->fields[n])
        n++;
    for (const char *const *f = fields; f && *f; f++) {
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup |= strcmp(rc->fields[i], *f) == 0;
        if (!dup && n < MAX_FIELDS)
            rc->fields[n++] = *f;
    }
    rc->fields[n] = NULL;
}

static bool str_listed(const struct kapi_value *arr, const char *s)
{
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        const char *x = kapi_value_cstr(arr->u.arr.items[i]);
        if (x && strcmp(x, s) == 0)
            return true;
    }
    return false;
}

/* owner_uids and gc_flags from the object's metadata. */
static void gc_facts(struct kapi_cobj *o, const struct kapi_value *md)
{
    const struct kapi_value *refs = kapi_obj_get(md, "ownerReferences");
    if (refs && refs->type == KAPI_V_ARRAY && refs->u.arr.len) {
        const char **u = kapi_pool_alloc(o->pool, (refs->u.arr.len + 1) * sizeof(*u));
        size_t n = 0;
        for (size_t i = 0; i < refs->u.arr.len; i++) {
            const char *x = kapi_obj_get_str(refs->u.arr.items[i], "uid");
            if (x)
                u[n++] = kapi_pool_strdup(o->pool, x);
        }
        u[n] = NULL;
        o->owner_uids = n ? u : NULL;
    }
    if (kapi_obj_get(md, "deletionTimestamp")) {
        const struct kapi_value *fins = kapi_obj_get(md, "finalizers");
        o->gc_flags = KAPI_COBJ_DELETING | (str_listed(fins, "foregroundDeletion") ? KAPI_COBJ_FIN_FG : 0) |
                      (str_listed(fins, "orphan") ? KAPI_COBJ_FIN_ORPHAN : 0);
    }
}

/* A cache object's facts read from its decoded form v: namespace, name,
 * uid, labels, the garbage collector's facts and the selectable fields. */
static struct kapi_cobj *cobj_from_value(const struct kapi_rcache *rc, const char *key, const struct kapi_value *v)
{
    struct kapi_cobj *o = kapi_xcalloc(1, sizeof(*o));
    atomic_init(&o->refs, 1);
    o->key = kapi_xstrdup(key);
    o->pool = kapi_pool_new_sized(256); /* a few names and labels per object */
    const struct kapi_value *md = kapi_obj_get(v, "metadata");
    const char *ns = kapi_obj_get_str(md, "namespace");
    const char *name = kapi_obj_get_str(md, "name");
    const char *uid = kapi_obj_get_str(md, "uid");
    o->ns = kapi_pool_strdup(o->pool, ns ? ns : "");
    o->name = kapi_pool_strdup(o->pool, name ? name : "");
    o->uid = kapi_pool_strdup(o->pool, uid ? uid : "");
    const struct kapi_value *labels = kapi_obj_get(md, "labels");
    if (labels && labels->type == KAPI_V_OBJECT)
        o->labels = kapi_value_clone(o->pool, labels);
    gc_facts(o, md);
    if (rc && rc->fields[0]) {
        size_t n = 0;
        while (rc->fields[n])
            n++;
        o->field_names = rc->fields;
        o->field_vals = kapi_pool_alloc(o->pool, n * sizeof(*o->field_vals));
        for (size_t i = 0; i < n; i++)
            o->field_vals[i] = field_text(o->pool, v, rc->fields[i]);
    }
    return o;
}

struct kapi_cobj *kapi_cobj_from_kv(const struct kapi_rcache *rc, const char *key, const void *data, size_t len,
                                    int64_t mod_rev, int64_t create_rev)
{
    struct kapi_pool *tmp = kapi_pool_new();
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(tmp, data, len, NULL, &err);
    if (!v || v->type != KAPI_V_OBJECT) {
        kapi_log(0, "cache: undecodable object at %s: %s", key, v ? "not an object" : err.msg);
        v = kapi_value_object(tmp);
    }
    set_rv(tmp, v, mod_rev);
    struct kapi_cobj *o = cobj_from_value(rc, key, v);
    o->mod_rev = mod_rev;
    o->create_rev = create_rev;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    o->json = kapi_blob_new(b.data, b.len);
    kapi_buf_dispose(&b);
    kapi_pool_free(tmp);
    return o;
}

/* ---- objects prepared by their writer ---- */

struct kapi_cobj_prep {
    _Atomic long refs;
    char *key;
    char *stored;          /* the bytes the writer stores */
    size_t len;
    size_t rv_at;          /* where ',"resourceVersion":"N"' goes in them */
    struct kapi_cobj *obj; /* facts without json and revisions; the feed takes it */
    bool offered;          /* in the cache's table (under prep_mu) */
    struct kapi_cobj_prep *bnext, *older, *newer;
};

/* The offset in stored (kapi_json_write's text of obj) right after
 * metadata.uid's value, which is where set_rv puts resourceVersion when the
 * object has a uid; 0 when obj is not a shape this can be sure of. */
static size_t rv_anchor(const char *stored, size_t len, const struct kapi_value *obj)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return 0;
    const struct kapi_value *md = NULL;
    for (size_t i = 0; i < obj->u.obj.len && !md; i++) {
        const struct kapi_member *m = &obj->u.obj.members[i];
        if (strcmp(m->key, "metadata") == 0)
            md = m->val;
        else if ((strcmp(m->key, "kind") != 0 && strcmp(m->key, "apiVersion") != 0) || m->val->type != KAPI_V_STRING)
            return 0; /* only kind and apiVersion, strings, may come first */
    }
    if (!md || md->type != KAPI_V_OBJECT)
        return 0;
    const char *uid = NULL;
    static const char *const before[] = {"name", "generateName", "namespace", "selfLink"};
    for (size_t i = 0; i < md->u.obj.len && !uid; i++) {
        const struct kapi_member *m = &md->u.obj.members[i];
        if (m->val->type != KAPI_V_STRING)
            return 0;
        if (strcmp(m->key, "uid") == 0) {
            uid = m->val->u.str.s;
            break;
        }
        bool ok = false;
        for (size_t b = 0; b < KAPI_ARRAY_LEN(before); b++)
            ok |= strcmp(m->key, before[b]) == 0;
        if (!ok)
            return 0;
    }
    if (!uid || !uid[0] || kapi_obj_get(md, "resourceVersion") || strlen(uid) > 128)
        return 0;
    for (const char *c = uid; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '-'))
            return 0; /* written as is: nothing to escape */
    static const char meta[] = "\"metadata\":{";
    const char *m = memmem(stored, len, meta, sizeof(meta) - 1);
    if (!m)
        return 0;
    /* A quote inside a string value is escaped, so ,"uid":"<uid>" (or the
     * same after '{') can only be the member itself. */
    char pat[160];
    size_t ul = strlen(uid);
    memcpy(pat, "\"uid\":\"", 7);
    memcpy(pat + 7, uid, ul);
    pat[7 + ul] = '"';
    size_t pl = ul + 8;
    const char *from = m + sizeof(meta) - 1, *end = stored + len;
    for (const char *u = from - 1; (u = memmem(u + 1, (size_t)(end - u - 1), pat, pl));)
        if (u[-1] == ',' || u[-1] == '{')
            return (size_t)(u + pl - stored);
    return 0;
}

struct kapi_cobj_prep *kapi_cache_prepare(const struct kapi_rcache *rc, const char *key, const char *stored, size_t len,
                                          const struct kapi_value *obj)
{
    size_t at = rv_anchor(stored, len, obj);
    if (!at)
        return NULL;
    struct kapi_cobj_prep *p = kapi_xcalloc(1, sizeof(*p));
    atomic_init(&p->refs, 1);
    p->key = kapi_xstrdup(key);
    p->stored = kapi_xmalloc(len + 1);
    memcpy(p->stored, stored, len);
    p->stored[len] = 0;
    p->len = len;
    p->rv_at = at;
    p->obj = cobj_from_value(rc, key, obj);
    return p;
}

/* The stored bytes with the revision spliced in: the JSON kapi_cobj_from_kv
 * would make of them (tests hold the two equal). */
static struct kapi_blob *prep_json(const struct kapi_cobj_prep *p, int64_t rev)
{
    static const char key[] = ",\"resourceVersion\":\"";
    char num[21];
    size_t nl = kapi_fmt_i64(num, rev), kl = sizeof(key) - 1;
    struct kapi_blob *out = kapi_blob_new(NULL, p->len + kl + nl + 1);
    char *o = out->data;
    memcpy(o, p->stored, p->rv_at);
    o += p->rv_at;
    memcpy(o, key, kl);
    o += kl;
    memcpy(o, num, nl);
    o += nl;
    *o++ = '"';
    memcpy(o, p->stored + p->rv_at, p->len - p->rv_at);
    return out;
}

struct kapi_blob *kapi_cobj_prep_json(const struct kapi_cobj_prep *p, int64_t rev)
{
    return prep_json(p, rev);
}

void kapi_cobj_prep_unref(struct kapi_cobj_prep *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    free(p->key);
    free(p->stored);
    kapi_cobj_unref(p->obj);
    free(p);
}

static size_t prep_bucket(const char *key)
{
    return (size_t)(kapi_fnv1a(KAPI_FNV_INIT, key, strlen(key)) % PREP_BUCKETS);
}

/* prep_mu held; p is in the table. Drops the table's reference. */
static void prep_remove_locked(struct kapi_cache *c, struct kapi_cobj_prep *p)
{
    struct kapi_cobj_prep **pp = &c->prep_buckets[prep_bucket(p->key)];
    while (*pp && *pp != p)
        pp = &(*pp)->bnext;
    if (*pp)
        *pp = p->bnext;
    if (p->older)
        p->older->newer = p->newer;
    else
        c->prep_oldest = p->newer;
    if (p->newer)
        p->newer->older = p->older;
    else
        c->prep_newest = p->older;
    p->bnext = p->older = p->newer = NULL;
    p->offered = false;
    c->nprep--;
    kapi_cobj_prep_unref(p);
}

void kapi_cache_offer(struct kapi_cache *c, struct kapi_cobj_prep *p)
{
    if (!c || !p)
        return;
    atomic_fetch_add(&p->refs, 1); /* the table's */
    pthread_mutex_lock(&c->prep_mu);
    size_t b = prep_bucket(p->key);
    p->bnext = c->prep_buckets[b];
    c->prep_buckets[b] = p;
    p->older = c->prep_newest;
    if (c->prep_newest)
        c->prep_newest->newer = p;
    else
        c->prep_oldest = p;
    c->prep_newest = p;
    p->offered = true;
    c->nprep++;
    /* writes whose events never came (the watch was re-listed) */
    while (c->nprep > PREP_MAX)
        prep_remove_locked(c, c->prep_oldest);
    pthread_mutex_unlock(&c->prep_mu);
}

void kapi_cache_withdraw(struct kapi_cache *c, struct kapi_cobj_prep *p)
{
    if (!c || !p)
        return;
    pthread_mutex_lock(&c->prep_mu);
    if (p->offered)
        prep_remove_locked(c, p);
    pthread_mutex_unlock(&c->prep_mu);
}

size_t kapi_cache_offered(struct kapi_cache *c)
{
    pthread_mutex_lock(&c->prep_mu);
    size_t n = c->nprep;
    pthread_mutex_unlock(&c->prep_mu);
    return n;
}

static void prep_clear(struct kapi_cache *c)
{
    pthread_mutex_lock(&c->prep_mu);
    while (c->prep_oldest)
        prep_remove_locked(c, c->prep_oldest);
    pthread_mutex_unlock(&c->prep_mu);
}

/* The object a writer prepared for exactly these stored bytes at key, made
 * complete for revision rev; NULL when there is none. */
static struct kapi_cobj *take_prepared(struct kapi_cache *c, const char *key, const void *data, size_t len,
                                       int64_t rev, int64_t create_rev)
{
    struct kapi_cobj_prep *found = NULL;
    struct kapi_cobj *o = NULL;
    pthread_mutex_lock(&c->prep_mu);
    if (c->nprep) {
        for (struct kapi_cobj_prep *p = c->prep_buckets[prep_bucket(key)]; p; p = p->bnext)
            if (p->len == len && p->obj && strcmp(p->key, key) == 0 && memcmp(p->stored, data, len) == 0) {
                found = p;
                break;
            }
        if (found) {
            o = found->obj;
            found->obj = NULL;
            atomic_fetch_add(&found->refs, 1); /* kept past the removal below */
            prep_remove_locked(c, found);
        }
    }
    pthread_mutex_unlock(&c->prep_mu);
    if (!found)
        return NULL;
    o->json = prep_json(found, rev);
    o->mod_rev = rev;
    o->create_rev = create_rev;
    kapi_cobj_prep_unref(found);
    return o;
}

/* A copy of o whose JSON carries resourceVersion rev (deletion events). */
static struct kapi_cobj *cobj_at_rev(const struct kapi_cobj *o, int64_t rev)
{
    struct kapi_cobj *c = kapi_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    c->key = kapi_xstrdup(o->key);
    c->pool = kapi_pool_new_sized(256);
    c->ns = kapi_pool_strdup(c->pool, o->ns);
    c->name = kapi_pool_strdup(c->pool, o->name);
    c->uid = kapi_pool_strdup(c->pool, o->uid);
    c->labels = o->labels ? kapi_value_clone(c->pool, o->labels) : NULL;
    if (o->owner_uids) {
        size_t n = 0;
        while (o->owner_uids[n])
            n++;
        c->owner_uids = kapi_pool_alloc(c->pool, (n + 1) * sizeof(*c->owner_uids));
        for (size_t i = 0; i < n; i++)
            c->owner_uids[i] = kapi_pool_strdup(c->pool, o->owner_uids[i]);
        c->owner_uids[n] = NULL;
    }
    c->gc_flags = o->gc_flags;
    if (o->field_names) {
        size_t n = 0;
        while (o->field_names[n])
            n++;
        c->field_names = o->field_names;
        c->field_vals = kapi_pool_alloc(c->pool, n * sizeof(*c->field_vals));
        for (size_t i = 0; i < n; i++)
            c->field_vals[i] = kapi_pool_strdup(c->pool, o->field_vals[i]);
    }
    c->json = kapi_cache_json_with_rv(o->json, rev);
    c->mod_rev = rev;
    c->create_rev = o->create_rev;
    return c;
}

/* ---- events ---- */

static void cevent_unref(struct cevent *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    kapi_cobj_unref(e->obj);
    kapi_cobj_unref(e->prev);
    kapi_cobj_unref(e->prev_at_rev);
    for (int i = 0; i < 3; i++)
        kapi_blob_unref(e->frames[i]);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

const char *kapi_watch_type_name(enum kapi_watch_type t)
{
    static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    return (unsigned)t < KAPI_ARRAY_LEN(names) ? names[t] : "ERROR";
}

static struct kapi_blob *frame_for(enum kapi_watch_type t, const struct kapi_blob *obj)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_printf(&b, "{\"type\":\"%s\",\"object\":", kapi_watch_type_name(t));
    kapi_buf_append(&b, obj->data, obj->len);
    kapi_buf_puts(&b, "}\n");
    struct kapi_blob *f = kapi_blob_new(b.data, b.len);
    kapi_buf_dispose(&b);
    return f;
}

/* The object a watcher sees for an event of the given type: for DELETED
 * that is the last state stamped with the event's revision. */
static struct kapi_cobj *event_obj(struct cevent *e, enum kapi_watch_type t)
{
    if (t != KAPI_WATCH_DELETED || e->type == KAPI_EVENT_DELETE)
        return e->obj;
    /* MODIFIED that left the filter: upstream sends the old object at the
     * new revision. */
    pthread_mutex_lock(&e->mu);
    if (!e->prev_at_rev)
        e->prev_at_rev = cobj_at_rev(e->prev, e->rev);
    pthread_mutex_unlock(&e->mu);
    return e->prev_at_rev;
}

static struct kapi_blob *event_frame(struct cevent *e, enum kapi_watch_type t)
{
    struct kapi_cobj *o = event_obj(e, t);
    pthread_mutex_lock(&e->mu);
    if (!e->frames[t])
        e->frames[t] = frame_for(t, o->json);
    struct kapi_blob *f = kapi_blob_ref(e->frames[t]);
    pthread_mutex_unlock(&e->mu);
    return f;
}

/* ---- resource caches ---- */

struct kapi_cache *kapi_cache_new(struct kapi_store *store)
{
    struct kapi_cache *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    pthread_mutex_init(&c->rev_mu, NULL);
    pthread_cond_init(&c->rev_cv, NULL);
    pthread_mutex_init(&c->feed_mu, NULL);
    pthread_mutex_init(&c->fetch_mu, NULL);
    pthread_cond_init(&c->fetch_cv, NULL);
    pthread_mutex_init(&c->res_mu, NULL);
    pthread_mutex_init(&c->prep_mu, NULL);
    pthread_cond_init(&c->res_cv, NULL);
    return c;
}

struct kapi_rcache *kapi_cache_register(struct kapi_cache *c, const char *prefix)
{
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next)
        if (strcmp(rc->prefix, prefix) == 0)
            return rc;
    struct kapi_rcache *rc = kapi_xcalloc(1, sizeof(*rc));
    rc->prefix = kapi_xstrdup(prefix);
    rc->prefix_len = strlen(prefix);
    rc->cache = c;
    pthread_rwlock_init(&rc->lock, NULL);
    rc->next = c->rcs;
    c->rcs = rc;
    c->last_rc = NULL;
    return rc;
}

/* The resource whose prefix is the longest one starting key; feed_mu held.
 * Events come in runs of one resource, so the last answer is tried first. */
static struct kapi_rcache *rcache_for_key(struct kapi_cache *c, const char *key)
{
    struct kapi_rcache *last = c->last_rc;
    if (last && strncmp(key, last->prefix, last->prefix_len) == 0)
        return last;
    struct kapi_rcache *best = NULL;
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next)
        if (strncmp(key, rc->prefix, rc->prefix_len) == 0 && (!best || rc->prefix_len > best->prefix_len))
            best = rc;
    c->last_rc = best;
    for (struct kapi_rcache *rc = c->rcs; best && rc; rc = rc->next)
        if (rc->prefix_len > best->prefix_len && strncmp(rc->prefix, best->prefix, best->prefix_len) == 0)
            c->last_rc = NULL; /* a longer prefix may match the next key */
    return best;
}

static void rc_put(struct kapi_rcache *rc, struct kapi_cobj *o)
{
    struct kapi_cobj *old = kapi_oi_put(&rc->objs, o);
    if (old)
        kapi_cobj_unref(old);
}

static struct kapi_cobj *rc_take(struct kapi_rcache *rc, const char *key)
{
    return kapi_oi_take(&rc->objs, key);
}

/* Drops every object of rc (references released). */
static void rc_clear(struct kapi_rcache *rc)
{
    for (struct kapi_oi_pos p = kapi_oi_first(&rc->objs); kapi_oi_at(&rc->objs, p); kapi_oi_next(&rc->objs, &p))
        kapi_cobj_unref(kapi_oi_at(&rc->objs, p));
    kapi_oi_reset(&rc->objs);
}

bool kapi_cache_filter_pass(const struct kapi_cache_filter *f, const struct kapi_cobj *o)
{
    if (!o)
        return false;
    if (f->ns && f->ns[0] && strcmp(f->ns, o->ns) != 0)
        return false;
    return !f->match || f->match(f->ctx, o);
}

/* ---- watchers ---- */

static void watcher_push(struct kapi_watcher *w, enum kapi_watch_type t, struct cevent *ev, struct kapi_cobj *obj)
{
    /* caller holds w->mu */
    if (w->closed)
        return;
    if (w->qlen >= WATCHER_MAX_QUEUE) {
        w->closed = true; /* fell too far behind: the client re-lists */
        pthread_cond_signal(&w->cv);
        return;
    }
    struct wq_item *it = kapi_xcalloc(1, sizeof(*it));
    it->type = t;
    if (ev) {
        atomic_fetch_add(&ev->refs, 1);
        it->ev = ev;
    } else {
        it->obj = kapi_cobj_ref(obj);
    }
    if (w->tail)
        w->tail->next = it;
    else
        w->head = it;
    w->tail = it;
    w->qlen++;
    pthread_cond_signal(&w->cv);
}

/* Queues ev for w as its filter sees it. Caller holds w->mu. */
static void watcher_offer(struct kapi_watcher *w, struct cevent *ev)
{
    bool now = ev->type == KAPI_EVENT_PUT && kapi_cache_filter_pass(&w->f, ev->obj);
    bool before = ev->prev && kapi_cache_filter_pass(&w->f, ev->prev);
    if (ev->type == KAPI_EVENT_DELETE) {
        if (kapi_cache_filter_pass(&w->f, ev->obj))
            watcher_push(w, KAPI_WATCH_DELETED, ev, NULL);
    } else if (now && before) {
        watcher_push(w, KAPI_WATCH_MODIFIED, ev, NULL);
    } else if (now) {
        watcher_push(w, KAPI_WATCH_ADDED, ev, NULL);
    } else if (before) {
        watcher_push(w, KAPI_WATCH_DELETED, ev, NULL);
    }
    if (ev->rev > w->rev)
        w->rev = ev->rev;
}

static void publish_rev(struct kapi_cache *c, int64_t rev)
{
    pthread_mutex_lock(&c->rev_mu);
    if (rev > atomic_load(&c->rev))
        atomic_store(&c->rev, rev);
    pthread_cond_broadcast(&c->rev_cv);
    pthread_mutex_unlock(&c->rev_mu);
}

/* The store's watch callback: apply one event. */
static int feed_locked(struct kapi_cache *c, const struct kapi_event *sev, int err);

static int feed(void *ctx, const struct kapi_event *sev, int err)
{
    struct kapi_cache *c = ctx;
    pthread_mutex_lock(&c->feed_mu);
    int rc = feed_locked(c, sev, err);
    pthread_mutex_unlock(&c->feed_mu);
    return rc;
}

static int feed_locked(struct kapi_cache *c, const struct kapi_event *sev, int err)
{
    if (!sev) {
        kapi_log(0, "cache: storage watch ended: %s; resuming after revision %lld", kapi_store_strerror(err),
                 (long long)atomic_load(&c->rev));
        pthread_mutex_lock(&c->res_mu);
        c->dead_err = err ? err : KAPI_STORE_UNAVAILABLE;
        pthread_cond_signal(&c->res_cv);
        pthread_mutex_unlock(&c->res_mu);
        return 1;
    }
    int64_t rev = sev->kv.mod_rev;
    if (sev->type == KAPI_EVENT_PROGRESS) {
        if (rev > atomic_load(&c->rev))
            publish_rev(c, rev);
        return 0;
    }
    struct kapi_rcache *rc = rcache_for_key(c, sev->kv.key);
    if (!rc) {
        publish_rev(c, rev);
        return 0;
    }
    struct cevent *ev = kapi_xcalloc(1, sizeof(*ev));
    atomic_init(&ev->refs, 1);
    pthread_mutex_init(&ev->mu, NULL);
    ev->type = sev->type;
    ev->rev = rev;
    struct kapi_cobj *newobj = NULL;
    if (sev->type == KAPI_EVENT_PUT && sev->kv.value) {
        newobj = take_prepared(c, sev->kv.key, sev->kv.value->data, sev->kv.value->len, rev, sev->kv.create_rev);
        if (!newobj)
            newobj = kapi_cobj_from_kv(rc, sev->kv.key, sev->kv.value->data, sev->kv.value->len, rev,
                                       sev->kv.create_rev);
    }

    pthread_rwlock_wrlock(&rc->lock);
    struct kapi_cobj *old;
    if (newobj) {
        old = kapi_oi_get(&rc->objs, newobj->key);
        if (old)
            kapi_cobj_ref(old);
        rc_put(rc, kapi_cobj_ref(newobj));
        ev->obj = newobj;
        ev->prev = old;
    } else {
        old = rc_take(rc, sev->kv.key);
        if (!old) {
            pthread_rwlock_unlock(&rc->lock);
            cevent_unref(ev);
            publish_rev(c, rev);
            return 0;
        }
        ev->prev = old;
        ev->obj = cobj_at_rev(old, rev);
    }
    /* history ring */
    if (rc->ring_len == RING_CAP) {
        struct cevent *gone = rc->ring[rc->ring_start];
        rc->oldest_rev = gone->rev;
        cevent_unref(gone);
        rc->ring_start = (rc->ring_start + 1) % RING_CAP;
        rc->ring_len--;
    }
    rc->ring[(rc->ring_start + rc->ring_len) % RING_CAP] = ev;
    rc->ring_len++;
    atomic_fetch_add(&ev->refs, 1);
    for (struct kapi_watcher *w = rc->watchers; w; w = w->next) {
        pthread_mutex_lock(&w->mu);
        watcher_offer(w, ev);
        pthread_mutex_unlock(&w->mu);
    }
    publish_rev(c, rev);
    pthread_rwlock_unlock(&rc->lock);
    cevent_unref(ev);
    return 0;
}

/* Closes every client watcher, so clients re-list. */
static void close_watchers(struct kapi_cache *c)
{
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next) {
        pthread_rwlock_wrlock(&rc->lock);
        for (struct kapi_watcher *w = rc->watchers; w; w = w->next) {
            pthread_mutex_lock(&w->mu);
            w->closed = true;
            pthread_cond_signal(&w->cv);
            pthread_mutex_unlock(&w->mu);
        }
        pthread_rwlock_unlock(&rc->lock);
    }
}

/* Replaces the cached state with a fresh read of the store, dropping the
 * event history (the events in between are gone from the store too). */
static int relist(struct kapi_cache *c, int64_t *rev_out)
{
    const char *start = "/registry/";
    char *end = kapi_store_prefix_end(start);
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    pthread_mutex_lock(&c->feed_mu);
    int err = c->store->ops->range(c->store, start, end, 0, &kvs, &n, &rev, &more);
    free(end);
    if (err) {
        pthread_mutex_unlock(&c->feed_mu);
        return err;
    }
    close_watchers(c);
    prep_clear(c); /* offers for events the re-list replaces */
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next) {
        pthread_rwlock_wrlock(&rc->lock);
        rc_clear(rc);
        for (size_t i = 0; i < rc->ring_len; i++)
            cevent_unref(rc->ring[(rc->ring_start + i) % RING_CAP]);
        rc->ring_len = 0;
        rc->ring_start = 0;
        rc->oldest_rev = rev;
        pthread_rwlock_unlock(&rc->lock);
    }
    for (size_t i = 0; i < n; i++) {
        struct kapi_rcache *rc = rcache_for_key(c, kvs[i].key);
        if (rc && kvs[i].value) {
            struct kapi_cobj *o = kapi_cobj_from_kv(rc, kvs[i].key, kvs[i].value->data, kvs[i].value->len,
                                                    kvs[i].mod_rev, kvs[i].create_rev);
            pthread_rwlock_wrlock(&rc->lock);
            rc_put(rc, o);
            pthread_rwlock_unlock(&rc->lock);
        }
        kapi_kv_dispose(&kvs[i]);
    }
    free(kvs);
    publish_rev(c, rev);
    pthread_mutex_unlock(&c->feed_mu);
    *rev_out = rev;
    return 0;
}

struct kapi_rcache *kapi_cache_add_live(struct kapi_cache *c, const char *prefix, const char *const *fields, int *err)
{
    *err = 0;
    pthread_mutex_lock(&c->feed_mu);
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next)
        if (strcmp(rc->prefix, prefix) == 0) {
            pthread_mutex_unlock(&c->feed_mu);
            return rc;
        }
    /* Nothing is applied while feed_mu is held: the cache state is exactly
     * revision c->rev, so the prefix is read at that revision and every
     * later event reaches the new resource through feed. */
    int64_t rev = atomic_load(&c->rev);
    char *end = kapi_store_prefix_end(prefix);
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    bool more = false;
    int64_t at = rev;
    int e = c->store->ops->range(c->store, prefix, end, 0, &kvs, &n, &at, &more);
    free(end);
    if (e) {
        pthread_mutex_unlock(&c->feed_mu);
        *err = e;
        return NULL;
    }
    struct kapi_rcache *rc = kapi_xcalloc(1, sizeof(*rc));
    rc->prefix = kapi_xstrdup(prefix);
    rc->prefix_len = strlen(prefix);
    rc->cache = c;
    pthread_rwlock_init(&rc->lock, NULL);
    if (fields)
        kapi_rcache_add_fields(rc, fields);
    for (size_t i = 0; i < n; i++) {
        if (kvs[i].value)
            rc_put(rc, kapi_cobj_from_kv(rc, kvs[i].key, kvs[i].value->data, kvs[i].value->len, kvs[i].mod_rev,
                                         kvs[i].create_rev));
        kapi_kv_dispose(&kvs[i]);
    }
    free(kvs);
    rc->oldest_rev = rev;
    rc->next = c->rcs;
    c->rcs = rc;
    c->last_rc = NULL;
    pthread_mutex_unlock(&c->feed_mu);
    return rc;
}

static void *resumer_main(void *arg)
{
    kapi_thread_name("cache-resumer");
    struct kapi_cache *c = arg;
    pthread_mutex_lock(&c->res_mu);
    for (;;) {
        while (!c->stopping && !c->dead_err)
            pthread_cond_wait(&c->res_cv, &c->res_mu);
        if (c->stopping)
            break;
        int why = c->dead_err;
        c->dead_err = 0;
        pthread_mutex_unlock(&c->res_mu);
        c->store->ops->unwatch(c->store, atomic_load(&c->watch_id)); /* reap the ended one */
        bool must_relist = why == KAPI_STORE_COMPACTED;
        long id = -1;
        for (unsigned attempt = 0;; attempt++) {
            pthread_mutex_lock(&c->res_mu);
            bool stop = c->stopping;
            pthread_mutex_unlock(&c->res_mu);
            if (stop)
                break;
            int64_t from = atomic_load(&c->rev);
            int err = must_relist ? relist(c, &from) : 0;
            if (!err) {
                char *end = kapi_store_prefix_end("/registry/");
                id = c->store->ops->watch(c->store, "/registry/", end, from, feed, c);
                free(end);
                if (id >= 0) {
                    atomic_store(&c->watch_id, id);
                    kapi_log(0, "cache: storage watch resumed after revision %lld%s", (long long)from,
                             must_relist ? " (re-listed)" : "");
                    break;
                }
                err = (int)-id;
                must_relist = err == KAPI_STORE_COMPACTED;
            }
            struct timespec ts = {0, (attempt < 10 ? 50 : 500) * 1000000L};
            nanosleep(&ts, NULL);
        }
        pthread_mutex_lock(&c->res_mu);
        if (id < 0)
            break;
    }
    pthread_mutex_unlock(&c->res_mu);
    return NULL;
}

int kapi_cache_start(struct kapi_cache *c)
{
    const char *start = "/registry/";
    char *end = kapi_store_prefix_end(start);
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    int err = c->store->ops->range(c->store, start, end, 0, &kvs, &n, &rev, &more);
    if (err) {
        free(end);
        return err;
    }
    for (size_t i = 0; i < n; i++) {
        struct kapi_rcache *rc = rcache_for_key(c, kvs[i].key);
        if (rc && kvs[i].value)
            rc_put(rc, kapi_cobj_from_kv(rc, kvs[i].key, kvs[i].value->data, kvs[i].value->len, kvs[i].mod_rev,
                                    kvs[i].create_rev));
        kapi_kv_dispose(&kvs[i]);
    }
    free(kvs);
    for (struct kapi_rcache *rc = c->rcs; rc; rc = rc->next)
        rc->oldest_rev = rev;
    atomic_store(&c->rev, rev);
    long id = c->store->ops->watch(c->store, start, end, rev, feed, c);
    free(end);
    if (id < 0)
        return (int)-id;
    atomic_store(&c->watch_id, id);
    c->started = true;
    if (pthread_create(&c->resumer, NULL, resumer_main, c) != 0) {
        c->store->ops->unwatch(c->store, id);
        c->started = false;
        return KAPI_STORE_IO;
    }
    return 0;
}

void kapi_cache_free(struct kapi_cache *c)
{
    if (!c)
        return;
    if (c->started) {
        pthread_mutex_lock(&c->res_mu);
        c->stopping = true;
        pthread_cond_signal(&c->res_cv);
        pthread_mutex_unlock(&c->res_mu);
        pthread_join(c->resumer, NULL);
        c->store->ops->unwatch(c->store, atomic_load(&c->watch_id));
    }
    for (struct kapi_rcache *rc = c->rcs; rc;) {
        struct kapi_rcache *next = rc->next;
        rc_clear(rc);
        for (size_t i = 0; i < rc->ring_len; i++)
            cevent_unref(rc->ring[(rc->ring_start + i) % RING_CAP]);
        pthread_rwlock_destroy(&rc->lock);
        free(rc->prefix);
        free(rc);
        rc = next;
    }
    pthread_mutex_destroy(&c->rev_mu);
    pthread_mutex_destroy(&c->fetch_mu);
    pthread_cond_destroy(&c->fetch_cv);
    pthread_cond_destroy(&c->rev_cv);
    prep_clear(c);
    pthread_mutex_destroy(&c->prep_mu);
    pthread_mutex_destroy(&c->res_mu);
    pthread_cond_destroy(&c->res_cv);
    free(c);
}

int64_t kapi_cache_rev(struct kapi_cache *c)
{
    return atomic_load(&c->rev);
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int kapi_cache_wait_rev(struct kapi_cache *c, int64_t rev, int timeout_ms)
{
    if (atomic_load(&c->rev) >= rev)
        return 0;
    struct timespec ts;
    deadline_in(&ts, timeout_ms);
    pthread_mutex_lock(&c->rev_mu);
    int rc = 0;
    while (atomic_load(&c->rev) < rev) {
        if (pthread_cond_timedwait(&c->rev_cv, &c->rev_mu, &ts) != 0) {
            rc = atomic_load(&c->rev) >= rev ? 0 : -1;
            break;
        }
    }
    pthread_mutex_unlock(&c->rev_mu);
    return rc;
}

/* The store's current revision, as read by a revisions() call that began
 * after this call did, shared with concurrent callers: a caller waits for
 * a read started after it arrived, and starts one itself when none is (up
 * to FETCH_MAX in flight, so a read that began just before it arrived does
 * not make it wait two round trips). */
#define FETCH_MAX 4
static int current_rev(struct kapi_cache *c, int64_t *out)
{
    pthread_mutex_lock(&c->fetch_mu);
    uint64_t ticket = c->fetch_started;
    while (c->fetch_done <= ticket) {
        if (c->fetch_started > ticket || c->fetch_busy >= FETCH_MAX) {
            pthread_cond_wait(&c->fetch_cv, &c->fetch_mu);
            continue;
        }
        c->fetch_busy++;
        uint64_t gen = ++c->fetch_started;
        pthread_mutex_unlock(&c->fetch_mu);
        int64_t cur = 0, compacted = 0;
        int err = c->store->ops->revisions(c->store, &cur, &compacted);
        pthread_mutex_lock(&c->fetch_mu);
        c->fetch_busy--;
        if (gen > c->fetch_done) {
            c->fetch_done = gen;
            c->fetch_err = err;
        }
        if (!err && cur > c->fetch_rev)
            c->fetch_rev = cur;
        pthread_cond_broadcast(&c->fetch_cv);
    }
    int err = c->fetch_err;
    *out = c->fetch_rev;
    pthread_mutex_unlock(&c->fetch_mu);
    return err;
}

int kapi_cache_sync(struct kapi_cache *c, int timeout_ms)
{
    int64_t cur = 0;
    int err = current_rev(c, &cur);
    if (err)
        return err;
    if (!c->store->ops->request_progress || timeout_ms <= 50)
        return kapi_cache_wait_rev(c, cur, timeout_ms);
    /* The store's revision also moves for keys the cache does not watch
     * (other etcd clients, other prefixes): when no event brings the cache
     * there soon, ask the watch how far it has got, as upstream does. */
    if (kapi_cache_wait_rev(c, cur, 50) == 0)
        return 0;
    c->store->ops->request_progress(c->store, atomic_load(&c->watch_id));
    return kapi_cache_wait_rev(c, cur, timeout_ms - 50);
}

size_t kapi_rcache_len(struct kapi_rcache *rc)
{
    pthread_rwlock_rdlock(&rc->lock);
    size_t n = rc->objs.n;
    pthread_rwlock_unlock(&rc->lock);
    return n;
}

struct kapi_cobj *kapi_rcache_get(struct kapi_rcache *rc, const char *key)
{
    pthread_rwlock_rdlock(&rc->lock);
    struct kapi_cobj *o = kapi_oi_get(&rc->objs, key);
    if (o)
        kapi_cobj_ref(o);
    pthread_rwlock_unlock(&rc->lock);
    return o;
}

void kapi_rcache_list(struct kapi_rcache *rc, const struct kapi_cache_filter *f, const char *after_key,
                      size_t limit, struct kapi_cache_list *out)
{
    memset(out, 0, sizeof(*out));
    size_t cap = 0;
    pthread_rwlock_rdlock(&rc->lock);
    if (rc->objs.n == 0) { /* nothing to scan (admission asks every create) */
        out->rev = atomic_load(&rc->cache->rev);
        pthread_rwlock_unlock(&rc->lock);
        return;
    }
    pthread_rwlock_unlock(&rc->lock);
    /* Narrow the scan to the namespace's key range when there is one. */
    char *lo_key = NULL, *hi_key = NULL;
    if (f->ns && f->ns[0]) {
        lo_key = kapi_xasprintf("%s%s/", rc->prefix, f->ns);
        hi_key = kapi_store_prefix_end(lo_key);
    }
    pthread_rwlock_rdlock(&rc->lock);
    out->rev = atomic_load(&rc->cache->rev);
    const struct kapi_objindex *x = &rc->objs;
    struct kapi_oi_pos i = kapi_oi_first(x);
    if (after_key && (!lo_key || strcmp(after_key, lo_key) >= 0))
        i = kapi_oi_seek(x, after_key, 1);
    else if (lo_key)
        i = kapi_oi_seek(x, lo_key, 0);
    for (struct kapi_cobj *o; (o = kapi_oi_at(x, i)); kapi_oi_next(x, &i)) {
        if (hi_key && strcmp(o->key, hi_key) >= 0)
            break;
        if (!kapi_cache_filter_pass(f, o))
            continue;
        if (limit && out->n == limit) {
            out->more = true;
            /* remaining: every object after the page within range (upstream
             * counts keys, not matches, and omits the count with selectors). */
            size_t end = hi_key ? kapi_oi_rank(x, kapi_oi_seek(x, hi_key, 0)) : x->n;
            out->remaining = (int64_t)(end - kapi_oi_rank(x, i));
            break;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->items = kapi_xrealloc(out->items, cap * sizeof(*out->items));
        }
        out->items[out->n++] = kapi_cobj_ref(o);
    }
    if (out->more && out->n)
        out->last_key = kapi_xstrdup(out->items[out->n - 1]->key);
    pthread_rwlock_unlock(&rc->lock);
    free(lo_key);
    free(hi_key);
}

void kapi_cache_list_dispose(struct kapi_cache_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        kapi_cobj_unref(l->items[i]);
    free(l->items);
    free(l->last_key);
    memset(l, 0, sizeof(*l));
}

/* ---- watch ---- */

struct kapi_watcher *kapi_rcache_watch(struct kapi_cache *c, struct kapi_rcache *rc,
                                       const struct kapi_cache_filter *f, int64_t from_rev,
                                       const char *list_kind_api_version, int *err)
{
    (void)list_kind_api_version;
    *err = 0;
    if (from_rev > 0 && kapi_cache_wait_rev(c, from_rev, 3000) != 0) {
        *err = KAPI_STORE_FUTURE_REV;
        return NULL;
    }
    struct kapi_watcher *w = kapi_xcalloc(1, sizeof(*w));
    w->cache = c;
    w->rc = rc;
    w->f = *f;
    if (f->ns) {
        w->ns = kapi_xstrdup(f->ns);
        w->f.ns = w->ns;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);

    pthread_rwlock_wrlock(&rc->lock);
    int64_t now = atomic_load(&c->rev);
    pthread_mutex_lock(&w->mu);
    w->rev = from_rev > 0 ? from_rev : now;
    if (from_rev < 0) {
        for (struct kapi_oi_pos p = kapi_oi_first(&rc->objs); kapi_oi_at(&rc->objs, p); kapi_oi_next(&rc->objs, &p))
            if (kapi_cache_filter_pass(&w->f, kapi_oi_at(&rc->objs, p)))
                watcher_push(w, KAPI_WATCH_ADDED, NULL, kapi_oi_at(&rc->objs, p));
    } else if (from_rev > 0 || rc->ring_len) {
        /* from_rev == 0 is "any": start from now. */
        if (from_rev > 0) {
            if (from_rev < rc->oldest_rev) {
                pthread_mutex_unlock(&w->mu);
                pthread_rwlock_unlock(&rc->lock);
                *err = KAPI_STORE_COMPACTED;
                kapi_watcher_free(w);
                return NULL;
            }
            for (size_t i = 0; i < rc->ring_len; i++) {
                struct cevent *ev = rc->ring[(rc->ring_start + i) % RING_CAP];
                if (ev->rev > from_rev)
                    watcher_offer(w, ev);
            }
        }
    }
    if (now > w->rev)
        w->rev = now;
    pthread_mutex_unlock(&w->mu);
    w->next = rc->watchers;
    if (rc->watchers)
        rc->watchers->prev_w = w;
    rc->watchers = w;
    w->registered = true;
    pthread_rwlock_unlock(&rc->lock);
    return w;
}

int64_t kapi_watcher_rev(struct kapi_watcher *w)
{
    pthread_mutex_lock(&w->mu);
    int64_t r = w->rev;
    pthread_mutex_unlock(&w->mu);
    /* Nothing for this resource between w->rev and the global revision
     * would have been queued already, so the global revision is safe to
     * report once the queue is drained. */
    int64_t g = atomic_load(&w->cache->rev);
    pthread_mutex_lock(&w->mu);
    bool empty = w->head == NULL;
    pthread_mutex_unlock(&w->mu);
    return empty && g > r ? g : r;
}

int kapi_watcher_next(struct kapi_watcher *w, struct kapi_watch_item *item, int timeout_ms)
{
    memset(item, 0, sizeof(*item));
    pthread_mutex_lock(&w->mu);
    if (!w->head && !w->closed && timeout_ms > 0) {
        struct timespec ts;
        deadline_in(&ts, timeout_ms);
        while (!w->head && !w->closed)
            if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) != 0)
                break;
    }
    struct wq_item *it = w->head;
    if (!it) {
        bool closed = w->closed;
        pthread_mutex_unlock(&w->mu);
        return closed ? -1 : 0;
    }
    w->head = it->next;
    if (!w->head)
        w->tail = NULL;
    w->qlen--;
    pthread_mutex_unlock(&w->mu);

    item->type = it->type;
    if (it->ev) {
        item->frame = event_frame(it->ev, it->type);
        item->obj = kapi_cobj_ref(event_obj(it->ev, it->type));
        item->rev = it->ev->rev;
        cevent_unref(it->ev);
    } else {
        item->frame = frame_for(it->type, it->obj->json);
        item->obj = it->obj; /* the queue's reference moves to the item */
        item->rev = it->obj->mod_rev;
    }
    free(it);
    return 1;
}

void kapi_watcher_free(struct kapi_watcher *w)
{
    if (!w)
        return;
    if (w->registered) {
        struct kapi_rcache *rc = w->rc;
        pthread_rwlock_wrlock(&rc->lock);
        if (w->prev_w)
            w->prev_w->next = w->next;
        else
            rc->watchers = w->next;
        if (w->next)
            w->next->prev_w = w->prev_w;
        pthread_rwlock_unlock(&rc->lock);
    }
    for (struct wq_item *it = w->head; it;) {
        struct wq_item *next = it->next;
        cevent_unref(it->ev);
        kapi_cobj_unref(it->obj);
        free(it);
        it = next;
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->ns);
    free(w);
}
