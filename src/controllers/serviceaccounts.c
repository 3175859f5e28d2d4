/* Implementation of src/controllers/serviceaccounts.h. One thread follows
 * namespaces, serviceaccounts and configmaps through the watch cache; on
 * any change touching a namespace it makes sure both objects exist there. */
#include "serviceaccounts.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../cache/cache.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

#define ROOT_CA_NAME "kube-root-ca.crt"

struct kapi_sactl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *ns_kind, *sa_kind, *cm_kind;
    char *ca_pem;
    pthread_t thread;
    _Atomic bool stop;
};

static void ensure_namespace(struct kapi_sactl *c, const char *ns)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *sa = kapi_value_object(p);
    struct kapi_value *md = kapi_obj_ensure_obj(p, sa, "metadata");
    kapi_obj_set(p, md, "name", kapi_value_str(p, "default"));
    int rc = kapi_meta_create_if_missing(c->store, p, c->sa_kind, ns, sa);
    struct kapi_value *cm = kapi_value_object(p);
    md = kapi_obj_ensure_obj(p, cm, "metadata");
    kapi_obj_set(p, md, "name", kapi_value_str(p, ROOT_CA_NAME));
    struct kapi_value *data = kapi_obj_ensure_obj(p, cm, "data");
    kapi_obj_set(p, data, "ca.crt", kapi_value_str(p, c->ca_pem));
    int rc2 = kapi_meta_create_if_missing(c->store, p, c->cm_kind, ns, cm);
    if ((rc && rc != KAPI_STORE_NOT_FOUND) || (rc2 && rc2 != KAPI_STORE_NOT_FOUND))
        kapi_log(1, "serviceaccount controller: namespace %s: will retry", ns);
    kapi_pool_free(p);
}

static bool active(const struct kapi_cobj *ns, struct kapi_pool *p)
{
    struct kapi_value *v = kapi_cobj_value(ns, p);
    return v && !kapi_value_path(v, "metadata", "deletionTimestamp", NULL);
}

/* Every namespace that exists and is not being deleted. */
static void ensure_all(struct kapi_sactl *c)
{
    struct kapi_cache_filter all = {0};
    struct kapi_cache_list l;
    kapi_rcache_list(c->ns_kind->rc, &all, NULL, 0, &l);
    struct kapi_pool *p = kapi_pool_new();
    for (size_t i = 0; i < l.n && !atomic_load(&c->stop); i++)
        if (active(l.items[i], p))
            ensure_namespace(c, l.items[i]->name);
    kapi_pool_free(p);
    kapi_cache_list_dispose(&l);
}

static bool watched(void *ctx, const struct kapi_cobj *o)
{
    const char *name = ctx;
    return strcmp(o->name, name) == 0;
}

static void *sactl_main(void *arg)
{
    kapi_thread_name("ctl-sa");
    struct kapi_sactl *c = arg;
    struct kapi_cache_filter nsf = {0};
    struct kapi_cache_filter saf = {.match = watched, .ctx = "default"};
    struct kapi_cache_filter cmf = {.match = watched, .ctx = ROOT_CA_NAME};
    struct kapi_watcher *w[3] = {NULL, NULL, NULL};
    int64_t next_resync = 0;
    while (!atomic_load(&c->stop)) {
        if (!w[0] || !w[1] || !w[2]) {
            int err;
            for (int i = 0; i < 3; i++)
                kapi_watcher_free(w[i]);
            w[0] = kapi_rcache_watch(c->cache, c->ns_kind->rc, &nsf, -1, "v1", &err);
            w[1] = kapi_rcache_watch(c->cache, c->sa_kind->rc, &saf, 0, "v1", &err);
            w[2] = kapi_rcache_watch(c->cache, c->cm_kind->rc, &cmf, 0, "v1", &err);
        }
        bool dirty = false;
        for (int i = 0; i < 3 && w[i]; i++) {
            struct kapi_watch_item it;
            int r;
            while ((r = kapi_watcher_next(w[i], &it, i == 0 ? 100 : 0)) == 1) {
                /* a namespace event, or one of our objects deleted */
                if (i == 0 || it.type == KAPI_WATCH_DELETED)
                    dirty = true;
                kapi_blob_unref(it.frame);
                kapi_cobj_unref(it.obj);
            }
            if (r < 0) {
                kapi_watcher_free(w[i]);
                w[i] = NULL;
            }
        }
        int64_t now = kapi_now_ms();
        if (dirty || now >= next_resync) {
            ensure_all(c);
            next_resync = now + 30000;
        }
    }
    for (int i = 0; i < 3; i++)
        kapi_watcher_free(w[i]);
    return NULL;
}

struct kapi_sactl *kapi_sactl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg, const char *ca_pem)
{
    const struct kapi_kind *ns = kapi_registry_find(reg, "", "v1", "namespaces");
    const struct kapi_kind *sa = kapi_registry_find(reg, "", "v1", "serviceaccounts");
    const struct kapi_kind *cm = kapi_registry_find(reg, "", "v1", "configmaps");
    if (!ns || !sa || !cm || !ns->rc || !sa->rc || !cm->rc || !ca_pem)
        return NULL;
    struct kapi_sactl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->ns_kind = ns;
    c->sa_kind = sa;
    c->cm_kind = cm;
    c->ca_pem = kapi_xstrdup(ca_pem);
    if (pthread_create(&c->thread, NULL, sactl_main, c) != 0) {
        free(c->ca_pem);
        free(c);
        return NULL;
    }
    return c;
}

void kapi_sactl_stop(struct kapi_sactl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    free(c->ca_pem);
    free(c);
}
