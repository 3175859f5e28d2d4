/* Implementation of src/controllers/namespace.h. One thread: it follows the
 * namespaces resource through the watch cache, keeps the names of namespaces
 * marked for deletion in a small due-time list, and works through the due
 * ones. All writes are single-key compare-and-swap writes on the store, so a
 * concurrent client write only costs a retry. */
#include "namespace.h"

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

/* How long the thread waits for a watch event at most: bounds how late
 * stop() is noticed. */
#define NSCTL_TICK_MS 100
/* Re-check interval while objects held by finalizers are still there. */
#define NSCTL_RECHECK_MS 500
#define NSCTL_BACKOFF_MIN_MS 100
#define NSCTL_BACKOFF_MAX_MS 5000
/* CAS attempts on one key before the namespace is retried later. */
#define NSCTL_CAS_ATTEMPTS 8
/* Deletion passes over a namespace's content in one sync. A second pass
 * catches objects that appeared while the first ran. */
#define NSCTL_PASSES 3
#define NSCTL_SYNC_TIMEOUT_MS 2000

struct nsctl_pending {
    char *name;
    int64_t due_ms;
    int backoff_ms;
};

struct kapi_nsctl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *ns_kind;
    const struct kapi_kind **kinds;  /* stored namespaced kinds, one per cache entry */
    size_t nkinds;
    const struct kapi_registry *reg; /* for the custom resources served at each pass */
    struct nsctl_pending *pending;
    size_t npending, cap;
    pthread_t thread;
    atomic_bool stop;
};

enum sync_result {
    SYNC_DONE,   /* nothing more to do for this namespace */
    SYNC_WAIT,   /* objects held by finalizers remain: look again soon */
    SYNC_ERROR,  /* store trouble: retry with backoff */
};

static bool stopping(struct kapi_nsctl *c)
{
    return atomic_load(&c->stop);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the pending list ---- */

static struct nsctl_pending *pending_find(struct kapi_nsctl *c, const char *name)
{
    for (size_t i = 0; i < c->npending; i++)
        if (strcmp(c->pending[i].name, name) == 0)
            return &c->pending[i];
    return NULL;
}

/* Makes name due now (adding it when new). */
static void pending_kick(struct kapi_nsctl *c, const char *name)
{
    struct nsctl_pending *p = pending_find(c, name);
    if (!p) {
        if (c->npending == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 8;
            c->pending = kapi_xrealloc(c->pending, c->cap * sizeof(*c->pending));
        }
        p = &c->pending[c->npending++];
        p->name = kapi_xstrdup(name);
        p->backoff_ms = 0;
    }
    p->due_ms = kapi_now_ms();
}

static void pending_remove_at(struct kapi_nsctl *c, size_t i)
{
    free(c->pending[i].name);
    c->pending[i] = c->pending[--c->npending];
}

static void pending_remove(struct kapi_nsctl *c, const char *name)
{
    struct nsctl_pending *p = pending_find(c, name);
    if (p)
        pending_remove_at(c, (size_t)(p - c->pending));
}

/* ---- object helpers ---- */

/* Writes obj back over key if it is still at rev. */
static int write_update(struct kapi_nsctl *c, const char *key, struct kapi_value *obj, int64_t rev,
                        struct kapi_write_result *res)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = key, .value = b.data, .len = b.len, .expect_mod_rev = rev};
    int err = kapi_store_write(c->store, &w, res);
    kapi_buf_dispose(&b);
    return err;
}

/* The namespace is empty: drop the "kubernetes" spec finalizer and, when no
 * finalizer is left at all, the namespace itself. Reads the store rather
 * than the cache so the CAS starts from the latest state. */
static enum sync_result finalize_ns(struct kapi_nsctl *c, const char *name, const char *key)
{
    for (int attempt = 0; attempt < NSCTL_CAS_ATTEMPTS && !stopping(c); attempt++) {
        struct kapi_kv kv = {0};
        int err = kapi_store_get(c->store, key, &kv);
        if (err == KAPI_STORE_NOT_FOUND || (err == 0 && !kv.value)) {
            kapi_kv_dispose(&kv);
            return SYNC_DONE;
        }
        if (err) {
            kapi_log(0, "namespace controller: reading namespace %s: %s", name, kapi_store_strerror(err));
            kapi_kv_dispose(&kv);
            return SYNC_ERROR;
        }
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error jerr;
        struct kapi_value *obj = kapi_json_parse(pool, kv.value->data, kv.value->len, NULL, &jerr);
        struct kapi_value *md = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, "metadata") : NULL;
        if (!md || md->type != KAPI_V_OBJECT || !kapi_obj_get(md, "deletionTimestamp")) {
            /* Unreadable, or no longer marked: not ours to remove. */
            if (!md || md->type != KAPI_V_OBJECT)
                kapi_log(0, "namespace controller: namespace %s is not a JSON object; leaving it", name);
            kapi_pool_free(pool);
            kapi_kv_dispose(&kv);
            return SYNC_DONE;
        }
        struct kapi_value *spec = kapi_obj_get(obj, "spec");
        struct kapi_value *fins = spec && spec->type == KAPI_V_OBJECT ? kapi_obj_get(spec, "finalizers") : NULL;
        bool changed = false;
        size_t left = 0;
        if (fins && fins->type == KAPI_V_ARRAY) {
            struct kapi_value *kept = kapi_value_array(pool);
            for (size_t i = 0; i < fins->u.arr.len; i++) {
                const char *f = kapi_value_cstr(fins->u.arr.items[i]);
                if (f && strcmp(f, "kubernetes") == 0)
                    changed = true;
                else
                    kapi_arr_push(pool, kept, fins->u.arr.items[i]);
            }
            left = kept->u.arr.len;
            if (changed) {
                if (left)
                    kapi_obj_set(pool, spec, "finalizers", kept);
                else
                    kapi_obj_del(spec, "finalizers");
            }
        }
        bool meta_fin = kapi_meta_has_finalizers(md);
        struct kapi_write_result res = {0};
        const char *what;
        if (left == 0 && !meta_fin) {
            struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key, .expect_mod_rev = kv.mod_rev};
            err = kapi_store_write(c->store, &w, &res);
            what = "deleted";
        } else if (changed) {
            err = write_update(c, key, obj, kv.mod_rev, &res);
            what = "finalized (other finalizers remain)";
        } else {
            /* Someone else's finalizers hold it; their removal shows up as
             * a watch event that brings the namespace back here. */
            err = 0;
            what = NULL;
        }
        kapi_write_result_dispose(&res);
        kapi_pool_free(pool);
        kapi_kv_dispose(&kv);
        if (err == KAPI_STORE_CONFLICT)
            continue;
        if (err == KAPI_STORE_NOT_FOUND)
            return SYNC_DONE;
        if (err) {
            kapi_log(0, "namespace controller: finalizing namespace %s: %s", name, kapi_store_strerror(err));
            return SYNC_ERROR;
        }
        if (what)
            kapi_log(1, "namespace controller: namespace %s %s", name, what);
        return SYNC_DONE;
    }
    return SYNC_ERROR;
}

/* One round of work on a namespace marked for deletion. */
static enum sync_result sync_ns(struct kapi_nsctl *c, const char *name)
{
    /* Lists come from the cache: make it hold every acknowledged write
     * first, so an empty list really means an empty namespace. */
    int err = kapi_cache_sync(c->cache, NSCTL_SYNC_TIMEOUT_MS);
    if (err) {
        kapi_log(0, "namespace controller: cache sync: %s", err < 0 ? "timeout" : kapi_store_strerror(err));
        return SYNC_ERROR;
    }
    struct kapi_pool *pool = kapi_pool_new();
    const char *key = kapi_registry_key(pool, c->ns_kind, NULL, name);
    struct kapi_cobj *ns = kapi_rcache_get(c->ns_kind->rc, key);
    bool marked = false;
    if (ns) {
        struct kapi_value *v = kapi_cobj_value(ns, pool);
        marked = kapi_value_path(v, "metadata", "deletionTimestamp", NULL) != NULL;
        kapi_cobj_unref(ns);
    }
    if (!marked) {
        kapi_pool_free(pool);
        return SYNC_DONE;
    }
    enum sync_result out = SYNC_WAIT;
    for (int pass = 0; pass < NSCTL_PASSES; pass++) {
        size_t seen = 0, held = 0;
        int failed = 0;
        struct kapi_cache_filter f = {.ns = name};
        /* the built-in kinds, then the custom resources served right now */
        const struct kapi_kind *dyn[256];
        size_t ndyn = kapi_registry_dynamic_kinds(c->reg, dyn, 256);
        for (size_t k = 0; k < c->nkinds + ndyn && !stopping(c); k++) {
            const struct kapi_kind *kk = k < c->nkinds ? c->kinds[k] : dyn[k - c->nkinds];
            if (!kk->rc || !kk->res->namespaced)
                continue;
            struct kapi_cache_list l;
            kapi_rcache_list(kk->rc, &f, NULL, 0, &l);
            for (size_t i = 0; i < l.n && !stopping(c); i++) {
                struct kapi_cobj *o = l.items[i];
                bool h = false;
                seen++;
                err = kapi_meta_delete_stored(c->store, o->key, o->json, o->mod_rev, &h);
                if (err) {
                    failed = err;
                    kapi_log(0, "namespace controller: deleting %s: %s", o->key, kapi_store_strerror(err));
                } else {
                    kapi_log(2, "namespace controller: %s %s", h ? "marked for deletion" : "deleted", o->key);
                }
                held += h;
            }
            kapi_cache_list_dispose(&l);
        }
        if (stopping(c)) {
            out = SYNC_WAIT;
            break;
        }
        if (failed) {
            out = SYNC_ERROR;
            break;
        }
        if (seen == 0) {
            out = finalize_ns(c, name, key);
            break;
        }
        if (held) {
            kapi_log(2, "namespace controller: namespace %s: %zu object(s) wait for finalizers", name, held);
            out = SYNC_WAIT;
            break;
        }
        /* Everything seen was deleted; look once more at a cache that
         * includes those deletions before removing the namespace. */
        err = kapi_cache_sync(c->cache, NSCTL_SYNC_TIMEOUT_MS);
        if (err) {
            out = SYNC_ERROR;
            break;
        }
    }
    kapi_pool_free(pool);
    return out;
}

/* ---- the thread ---- */

/* Applies one namespace watch event to the pending list. */
static void on_event(struct kapi_nsctl *c, const struct kapi_watch_item *it)
{
    if (!it->obj || !it->obj->name)
        return;
    if (it->type == KAPI_WATCH_DELETED) {
        pending_remove(c, it->obj->name);
        return;
    }
    if (it->type != KAPI_WATCH_ADDED && it->type != KAPI_WATCH_MODIFIED)
        return;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = kapi_cobj_value(it->obj, pool);
    if (kapi_value_path(v, "metadata", "deletionTimestamp", NULL))
        pending_kick(c, it->obj->name);
    kapi_pool_free(pool);
}

static void run_due(struct kapi_nsctl *c)
{
    int64_t now = kapi_now_ms();
    for (size_t i = 0; i < c->npending && !stopping(c);) {
        struct nsctl_pending *p = &c->pending[i];
        if (p->due_ms > now) {
            i++;
            continue;
        }
        enum sync_result r = sync_ns(c, p->name);
        p = &c->pending[i];
        if (r == SYNC_DONE) {
            pending_remove_at(c, i);
            continue; /* the last entry moved into slot i */
        }
        if (r == SYNC_WAIT) {
            p->backoff_ms = 0;
            p->due_ms = kapi_now_ms() + NSCTL_RECHECK_MS;
        } else {
            p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : NSCTL_BACKOFF_MIN_MS;
            if (p->backoff_ms > NSCTL_BACKOFF_MAX_MS)
                p->backoff_ms = NSCTL_BACKOFF_MAX_MS;
            p->due_ms = kapi_now_ms() + p->backoff_ms;
        }
        i++;
    }
}

/* Milliseconds until the earliest pending namespace is due, at most one tick. */
static int next_wait_ms(struct kapi_nsctl *c)
{
    int64_t now = kapi_now_ms(), wait = NSCTL_TICK_MS;
    for (size_t i = 0; i < c->npending; i++) {
        int64_t d = c->pending[i].due_ms - now;
        if (d < wait)
            wait = d < 0 ? 0 : d;
    }
    return (int)wait;
}

static void *nsctl_main(void *arg)
{
    kapi_thread_name("ctl-namespace");
    struct kapi_nsctl *c = arg;
    struct kapi_watcher *w = NULL;
    int64_t rewatch_at = 0;
    int rewatch_backoff = NSCTL_BACKOFF_MIN_MS;
    while (!stopping(c)) {
        if (!w && kapi_now_ms() >= rewatch_at) {
            struct kapi_cache_filter f = {.ns = ""};
            int err = 0;
            /* From "current state": every existing namespace arrives as
             * ADDED, so ones left terminating by an earlier run are found. */
            w = kapi_rcache_watch(c->cache, c->ns_kind->rc, &f, -1, c->ns_kind->api_version, &err);
            if (!w) {
                kapi_log(0, "namespace controller: watching namespaces: %s", kapi_store_strerror(err));
                rewatch_at = kapi_now_ms() + rewatch_backoff;
                rewatch_backoff = rewatch_backoff * 2 > NSCTL_BACKOFF_MAX_MS ? NSCTL_BACKOFF_MAX_MS
                                                                           : rewatch_backoff * 2;
            } else {
                rewatch_backoff = NSCTL_BACKOFF_MIN_MS;
            }
        }
        int wait = next_wait_ms(c);
        if (w) {
            struct kapi_watch_item it;
            int r = kapi_watcher_next(w, &it, wait);
            /* Drain what is queued without waiting, in bounded batches so
             * due namespaces are not starved by a busy stream. */
            for (int n = 0; r == 1; n++) {
                on_event(c, &it);
                kapi_blob_unref(it.frame);
                kapi_cobj_unref(it.obj);
                if (n >= 1000 || stopping(c))
                    break;
                r = kapi_watcher_next(w, &it, 0);
            }
            if (r < 0) {
                /* The cache dropped us (we fell behind, or it is stopping):
                 * start over from the current state. */
                kapi_watcher_free(w);
                w = NULL;
                rewatch_at = kapi_now_ms() + NSCTL_BACKOFF_MIN_MS;
            }
        } else if (wait > 0) {
            sleep_ms(wait);
        }
        run_due(c);
    }
    kapi_watcher_free(w);
    return NULL;
}

struct kapi_nsctl *kapi_nsctl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg)
{
    const struct kapi_kind *ns_kind = kapi_registry_find(reg, "", "v1", "namespaces");
    if (!ns_kind || !ns_kind->rc) {
        kapi_log(0, "namespace controller: namespaces are not served from the cache; not started");
        return NULL;
    }
    struct kapi_nsctl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->ns_kind = ns_kind;
    c->reg = reg;
    size_t n = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    c->kinds = kapi_xcalloc(n ? n : 1, sizeof(*c->kinds));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &all[i];
        if (kapi_resource_is_sub(r) || !r->namespaced)
            continue;
        const struct kapi_kind *k = kapi_registry_find(reg, r->group, r->version, r->name);
        if (!k || !(k->flags & KAPI_KIND_STORED) || !k->rc)
            continue;
        /* Several group/versions can share one store entry (events in core
         * and events.k8s.io, or one resource served at two versions). */
        bool dup = false;
        for (size_t j = 0; j < c->nkinds && !dup; j++)
            dup = c->kinds[j]->rc == k->rc;
        if (!dup)
            c->kinds[c->nkinds++] = k;
    }
    atomic_init(&c->stop, false);
    int err = pthread_create(&c->thread, NULL, nsctl_main, c);
    if (err) {
        kapi_log(0, "namespace controller: cannot start thread (error %d)", err);
        abort();
    }
    kapi_log(1, "namespace controller: started (%zu namespaced kinds)", c->nkinds);
    return c;
}

void kapi_nsctl_stop(struct kapi_nsctl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    for (size_t i = 0; i < c->npending; i++)
        free(c->pending[i].name);
    free(c->pending);
    free(c->kinds);
    free(c);
}
