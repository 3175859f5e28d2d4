/* Implementation of controllers/podgc.h. */
#include "podgc.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cache/cache.h"
#include "../registry/printers.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

struct kapi_podgc {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *pods, *nodes;
    pthread_t thread;
    atomic_bool stop;
};

/* Whether a kubelet may still be looking after pods on node: the Node
 * exists and reports Ready=True. */
static bool node_alive(struct kapi_podgc *c, struct kapi_pool *p, const char *node)
{
    struct kapi_cobj *o = kapi_rcache_get(c->nodes->rc, kapi_registry_key(p, c->nodes, NULL, node));
    if (!o)
        return false;
    struct kapi_value *n = kapi_cobj_value(o, p);
    kapi_cobj_unref(o);
    const struct kapi_value *conds = kapi_value_path(n, "status", "conditions", NULL);
    for (size_t i = 0; conds && conds->type == KAPI_V_ARRAY && i < conds->u.arr.len; i++) {
        const char *t = kapi_obj_get_str(conds->u.arr.items[i], "type");
        const char *s = kapi_obj_get_str(conds->u.arr.items[i], "status");
        if (t && s && strcmp(t, "Ready") == 0)
            return strcmp(s, "True") == 0;
    }
    return false;
}

static bool mentions(const struct kapi_blob *b, const char *s)
{
    return b && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static void sweep(struct kapi_podgc *c)
{
    int64_t now = kapi_wall_ms() / 1000;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(c->pods->rc, &all, NULL, 0, &l);
    for (size_t i = 0; i < l.n && !atomic_load(&c->stop); i++) {
        if (!mentions(l.items[i]->json, "\"deletionTimestamp\""))
            continue;
        struct kapi_value *pod = kapi_cobj_value(l.items[i], p);
        const char *when = kapi_value_cstr(kapi_value_path(pod, "metadata", "deletionTimestamp", NULL));
        const char *node = kapi_value_cstr(kapi_value_path(pod, "spec", "nodeName", NULL));
        const struct kapi_value *fins = kapi_value_path(pod, "metadata", "finalizers", NULL);
        int64_t t;
        if (!when || !kapi_printer_parse_time(when, &t) || t > now)
            continue;
        if (fins && fins->type == KAPI_V_ARRAY && fins->u.arr.len)
            continue; /* others still hold it */
        if (node && *node && node_alive(c, p, node))
            continue; /* its kubelet finishes it */
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = l.items[i]->key, .expect_mod_rev = l.items[i]->mod_rev};
        struct kapi_write_result res = {0};
        if (kapi_store_write(c->store, &w, &res) == 0)
            kapi_log(2, "pod gc: %s removed after its grace period", l.items[i]->key);
        kapi_write_result_dispose(&res);
    }
    kapi_cache_list_dispose(&l);
    kapi_pool_free(p);
}

static void *podgc_main(void *arg)
{
    kapi_thread_name("ctl-podgc");
    struct kapi_podgc *c = arg;
    int64_t next = kapi_now_ms() + 500;
    while (!atomic_load(&c->stop)) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (kapi_now_ms() < next)
            continue;
        sweep(c);
        next = kapi_now_ms() + 500;
    }
    return NULL;
}

struct kapi_podgc *kapi_podgc_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg)
{
    const struct kapi_kind *pods = kapi_registry_find(reg, "", "v1", "pods");
    const struct kapi_kind *nodes = kapi_registry_find(reg, "", "v1", "nodes");
    if (!pods || !pods->rc || !nodes || !nodes->rc)
        return NULL;
    struct kapi_podgc *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->pods = pods;
    c->nodes = nodes;
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, podgc_main, c) != 0) {
        kapi_log(0, "pod gc: cannot start thread");
        abort();
    }
    return c;
}

void kapi_podgc_stop(struct kapi_podgc *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    free(c);
}
