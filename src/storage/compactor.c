/* Implementation of src/storage/compactor.h. */
#include "compactor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct kapi_compactor {
    struct kapi_store *store;
    int interval_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

int64_t kapi_compactor_round(struct kapi_store *store, int64_t *seen_version)
{
    int64_t cur = 0, compacted = 0;
    if (store->ops->revisions(store, &cur, &compacted))
        return -1;
    struct kapi_kv kv = {0};
    int err = kapi_store_get(store, KAPI_COMPACT_REV_KEY, &kv);
    if (err && err != KAPI_STORE_NOT_FOUND) {
        kapi_kv_dispose(&kv);
        return -1;
    }
    int64_t recorded = kv.value ? strtoll(kv.value->data, NULL, 10) : 0;
    int64_t version = err ? 0 : kv.version;
    int64_t mod_rev = err ? 0 : kv.mod_rev;
    kapi_kv_dispose(&kv);
    /* Only an instance that saw the key as it is now may move it; the
     * others learn its version and try again next round. */
    if (version != *seen_version) {
        *seen_version = version;
        return 0;
    }
    char val[24];
    snprintf(val, sizeof(val), "%lld", (long long)cur);
    struct kapi_write w = {
        .op = version ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE,
        .key = KAPI_COMPACT_REV_KEY,
        .value = val,
        .len = strlen(val),
        .expect_mod_rev = mod_rev,
    };
    struct kapi_write_result res = {0};
    err = kapi_store_write(store, &w, &res);
    int64_t now_version = res.current.version;
    kapi_write_result_dispose(&res);
    if (err == KAPI_STORE_CONFLICT || err == KAPI_STORE_EXISTS) {
        *seen_version = now_version; /* another instance won this round */
        return 0;
    }
    if (err)
        return -1;
    *seen_version = version + 1;
    /* Compact up to what the previous round recorded: one interval of
     * history always stays. */
    if (recorded <= 0 || recorded <= compacted)
        return 0;
    err = store->ops->compact(store, recorded);
    if (err && err != KAPI_STORE_COMPACTED)
        return -1;
    kapi_log(1, "storage: compacted history before revision %lld", (long long)recorded);
    return recorded;
}

static void *compactor_main(void *arg)
{
    kapi_thread_name("compactor");
    struct kapi_compactor *c = arg;
    int64_t seen = 0;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += c->interval_ms / 1000;
        ts.tv_nsec += (long)(c->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &ts) == 0)
            ;
        if (c->stop)
            break;
        pthread_mutex_unlock(&c->mu);
        if (kapi_compactor_round(c->store, &seen) < 0)
            kapi_log(0, "storage: compaction round failed; will try again");
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

struct kapi_compactor *kapi_compactor_start(struct kapi_store *store, int interval_ms)
{
    struct kapi_compactor *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->interval_ms = interval_ms;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->thread, NULL, compactor_main, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void kapi_compactor_stop(struct kapi_compactor *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}
