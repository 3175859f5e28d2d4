/* Implementation of controllers/resourcequota.h. */
#include "resourcequota.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "../admission/quota.h"
#include "../base/base.h"

struct kapi_rqctl {
    struct kapi_admission *adm;
    struct kapi_quota_memo *memo;
    pthread_t thread;
    atomic_bool stop;
};

static void *rqctl_main(void *arg)
{
    kapi_thread_name("ctl-quota");
    struct kapi_rqctl *c = arg;
    int64_t next = kapi_now_ms() + 1000;
    while (!atomic_load(&c->stop)) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        if (kapi_now_ms() < next)
            continue;
        struct kapi_pool *p = kapi_pool_new();
        size_t n = kapi_quota_recompute(c->adm, p, c->memo);
        kapi_pool_free(p);
        if (n)
            kapi_log(2, "quota controller: %zu quota status(es) recalculated", n);
        next = kapi_now_ms() + 1000;
    }
    return NULL;
}

struct kapi_rqctl *kapi_rqctl_start(struct kapi_admission *adm)
{
    if (!adm)
        return NULL;
    struct kapi_rqctl *c = kapi_xcalloc(1, sizeof(*c));
    c->adm = adm;
    c->memo = kapi_quota_memo_new();
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, rqctl_main, c) != 0) {
        kapi_log(0, "quota controller: cannot start thread");
        abort();
    }
    return c;
}

void kapi_rqctl_stop(struct kapi_rqctl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    kapi_quota_memo_free(c->memo);
    free(c);
}
