/* Implementation of controllers/event_ttl.h. */
#include "event_ttl.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../cache/cache.h"
#include "../registry/printers.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

struct kapi_evttl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *kind;
    int ttl_s;
    pthread_t thread;
    atomic_bool stop;
};

static void newer(const struct kapi_value *v, int64_t *t)
{
    const char *s = kapi_value_cstr(v);
    int64_t x;
    if (s && kapi_printer_parse_time(s, &x) && x > *t)
        *t = x;
}

static void sweep(struct kapi_evttl *c)
{
    int64_t now = kapi_wall_ms() / 1000;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(c->kind->rc, &all, NULL, 0, &l);
    size_t gone = 0;
    for (size_t i = 0; i < l.n && !atomic_load(&c->stop); i++) {
        struct kapi_value *ev = kapi_cobj_value(l.items[i], p);
        int64_t last = INT64_MIN;
        newer(kapi_value_path(ev, "metadata", "creationTimestamp", NULL), &last);
        newer(kapi_obj_get(ev, "lastTimestamp"), &last);
        newer(kapi_obj_get(ev, "eventTime"), &last);
        newer(kapi_value_path(ev, "series", "lastObservedTime", NULL), &last);
        if (last == INT64_MIN || now - last < c->ttl_s)
            continue;
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = l.items[i]->key, .expect_mod_rev = l.items[i]->mod_rev};
        struct kapi_write_result res = {0};
        if (kapi_store_write(c->store, &w, &res) == 0)
            gone++;
        kapi_write_result_dispose(&res);
    }
    kapi_cache_list_dispose(&l);
    kapi_pool_free(p);
    if (gone)
        kapi_log(2, "event ttl: %zu expired events deleted", gone);
}

static void *evttl_main(void *arg)
{
    kapi_thread_name("ctl-eventttl");
    struct kapi_evttl *c = arg;
    int period_ms = c->ttl_s * 500;
    if (period_ms > 30000)
        period_ms = 30000;
    if (period_ms < 500)
        period_ms = 500;
    int64_t next = kapi_now_ms() + period_ms;
    while (!atomic_load(&c->stop)) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (kapi_now_ms() < next)
            continue;
        sweep(c);
        next = kapi_now_ms() + period_ms;
    }
    return NULL;
}

struct kapi_evttl *kapi_evttl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg, int ttl_s)
{
    const struct kapi_kind *k = kapi_registry_find(reg, "", "v1", "events");
    if (ttl_s <= 0 || !k || !k->rc)
        return NULL;
    struct kapi_evttl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->kind = k;
    c->ttl_s = ttl_s;
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, evttl_main, c) != 0) {
        kapi_log(0, "event ttl: cannot start thread");
        abort();
    }
    return c;
}

void kapi_evttl_stop(struct kapi_evttl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    free(c);
}
