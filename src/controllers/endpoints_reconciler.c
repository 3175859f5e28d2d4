/* Implementation of src/controllers/endpoints_reconciler.h. */
#include "endpoints_reconciler.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../codec/json.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

#define MASTERLEASES "/registry/masterleases/"

struct kapi_epr {
    struct kapi_store *store;
    const struct kapi_kind *ep, *eps, *lease;
    char *self_ip, *identity, *hostname;
    int port, interval_ms, ttl_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

/* Writes value at key whatever is there (create or compare-and-swap update,
 * retried). */
static int put(struct kapi_store *s, const char *key, const char *val, size_t len)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        struct kapi_kv kv = {0};
        int rc = kapi_store_get(s, key, &kv);
        int64_t mod = kv.mod_rev;
        bool same = rc == 0 && kv.value && kv.value->len == len && memcmp(kv.value->data, val, len) == 0;
        kapi_kv_dispose(&kv);
        if (same)
            return 0;
        struct kapi_write w = {.op = rc == 0 ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = val,
                               .len = len, .expect_mod_rev = mod};
        struct kapi_write_result res = {0};
        rc = kapi_store_write(s, &w, &res);
        kapi_write_result_dispose(&res);
        if (rc != KAPI_STORE_CONFLICT && rc != KAPI_STORE_EXISTS && rc != KAPI_STORE_NOT_FOUND)
            return rc;
    }
    return KAPI_STORE_CONFLICT;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Rewrites an object of kind k named "kubernetes" in default to json's
 * content, keeping its identity fields; no write when nothing changed. */
static int reconcile_object(struct kapi_epr *e, const struct kapi_kind *k, const char *json)
{
    struct kapi_pool *p = kapi_pool_new();
    char *key = kapi_registry_key(p, k, "default", "kubernetes");
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(e->store, key, &kv);
    struct kapi_json_error jerr;
    struct kapi_value *want = kapi_json_parse(p, json, strlen(json), NULL, &jerr);
    struct kapi_value *out;
    if (rc == 0 && kv.value) {
        struct kapi_value *cur = kapi_json_parse(p, kv.value->data, kv.value->len, NULL, &jerr);
        out = kapi_value_clone(p, cur);
        /* replace everything but metadata */
        for (size_t i = 0; i < want->u.obj.len; i++)
            if (strcmp(want->u.obj.members[i].key, "metadata") != 0)
                kapi_obj_set(p, out, want->u.obj.members[i].key, want->u.obj.members[i].val);
        if (kapi_value_equal(out, cur)) {
            kapi_kv_dispose(&kv);
            kapi_pool_free(p);
            return 0;
        }
    } else {
        out = want;
        struct kapi_field_errors errs = {0};
        const char *bad = NULL;
        kapi_meta_prepare_create(p, k, out, "default", &errs, &bad);
    }
    kapi_meta_canonicalize(p, out);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(out, &b);
    struct kapi_write w = {.op = rc == 0 ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = b.data,
                           .len = b.len, .expect_mod_rev = kv.mod_rev};
    struct kapi_write_result res = {0};
    int werr = kapi_store_write(e->store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    kapi_kv_dispose(&kv);
    kapi_pool_free(p);
    /* another instance reconciled at the same time: it wrote the same list */
    return werr == KAPI_STORE_CONFLICT || werr == KAPI_STORE_EXISTS ? 0 : werr;
}

static int reconcile(struct kapi_epr *e, int64_t now_ms)
{
    char *end = kapi_store_prefix_end(MASTERLEASES);
    struct kapi_kv *kvs = NULL;
    size_t n = 0;
    int64_t rev = 0;
    bool more = false;
    int rc = e->store->ops->range(e->store, MASTERLEASES, end, 0, &kvs, &n, &rev, &more);
    free(end);
    if (rc)
        return rc;
    char **ips = kapi_xcalloc(n + 1, sizeof(*ips));
    size_t nips = 0;
    for (size_t i = 0; i < n; i++) {
        /* value: "<expiry unix ms>" */
        long long exp = kvs[i].value ? strtoll(kvs[i].value->data, NULL, 10) : 0;
        if (exp > now_ms)
            ips[nips++] = kapi_xstrdup(kvs[i].key + strlen(MASTERLEASES));
        kapi_kv_dispose(&kvs[i]);
    }
    free(kvs);
    qsort(ips, nips, sizeof(*ips), cmp_str);
    struct kapi_buf a, s;
    kapi_buf_init(&a, 0);
    kapi_buf_init(&s, 0);
    for (size_t i = 0; i < nips; i++) {
        kapi_buf_printf(&a, "%s{\"ip\":\"%s\"}", i ? "," : "", ips[i]);
        kapi_buf_printf(&s, "%s{\"addresses\":[\"%s\"],\"conditions\":{\"ready\":true}}", i ? "," : "", ips[i]);
    }
    char *ep_json, *eps_json;
    if (nips)
        ep_json = kapi_xasprintf("{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"kubernetes\","
                                 "\"labels\":{\"endpointslice.kubernetes.io/skip-mirror\":\"true\"}},"
                                 "\"subsets\":[{\"addresses\":[%s],\"ports\":[{\"name\":\"https\",\"port\":%d,\"protocol\":\"TCP\"}]}]}",
                                 a.data, e->port);
    else
        ep_json = kapi_xasprintf("{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"kubernetes\","
                                 "\"labels\":{\"endpointslice.kubernetes.io/skip-mirror\":\"true\"}}}");
    eps_json = kapi_xasprintf("{\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\",\"metadata\":{\"name\":\"kubernetes\","
                              "\"labels\":{\"kubernetes.io/service-name\":\"kubernetes\"}},\"addressType\":\"IPv4\","
                              "\"endpoints\":[%s],\"ports\":[{\"name\":\"https\",\"protocol\":\"TCP\",\"port\":%d}]}",
                              s.data ? s.data : "", e->port);
    rc = reconcile_object(e, e->ep, ep_json);
    if (!rc)
        rc = reconcile_object(e, e->eps, eps_json);
    free(ep_json);
    free(eps_json);
    kapi_buf_dispose(&a);
    kapi_buf_dispose(&s);
    for (size_t i = 0; i < nips; i++)
        free(ips[i]);
    free(ips);
    return rc;
}

/* The identity Lease in kube-system (coordination.k8s.io/v1). */
static int renew_identity(struct kapi_epr *e, int64_t now_ms)
{
    if (!e->lease)
        return 0;
    struct kapi_pool *p = kapi_pool_new();
    char *key = kapi_registry_key(p, e->lease, "kube-system", e->identity);
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[64], day[32];
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts, sizeof(ts), "%s.%06dZ", day, (int)(now_ms % 1000) * 1000);
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(e->store, key, &kv);
    struct kapi_json_error jerr;
    struct kapi_value *obj;
    if (rc == 0 && kv.value) {
        obj = kapi_json_parse(p, kv.value->data, kv.value->len, NULL, &jerr);
    } else {
        char *json = kapi_pool_printf(p,
                                      "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"apiserver.kubernetes.io/identity\":\"kube-apiserver\","
                                      "\"kubernetes.io/hostname\":\"%s\"}},\"spec\":{\"holderIdentity\":\"%s\",\"leaseDurationSeconds\":3600}}",
                                      e->identity, e->hostname, e->identity);
        obj = kapi_json_parse(p, json, strlen(json), NULL, &jerr);
        struct kapi_field_errors errs = {0};
        const char *bad = NULL;
        kapi_meta_prepare_create(p, e->lease, obj, "kube-system", &errs, &bad);
    }
    struct kapi_value *spec = kapi_obj_ensure_obj(p, obj, "spec");
    kapi_obj_set(p, spec, "renewTime", kapi_value_str(p, ts));
    kapi_meta_canonicalize(p, obj);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = rc == 0 ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = b.data,
                           .len = b.len, .expect_mod_rev = kv.mod_rev};
    struct kapi_write_result res = {0};
    int werr = kapi_store_write(e->store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    kapi_kv_dispose(&kv);
    kapi_pool_free(p);
    return werr == KAPI_STORE_CONFLICT ? 0 : werr;
}

int kapi_epr_round(struct kapi_epr *e, int64_t now_ms)
{
    char key[256], val[32];
    snprintf(key, sizeof(key), MASTERLEASES "%s", e->self_ip);
    int n = snprintf(val, sizeof(val), "%lld", (long long)(now_ms + e->ttl_ms));
    int rc = put(e->store, key, val, (size_t)n);
    if (!rc)
        rc = renew_identity(e, now_ms);
    if (!rc)
        rc = reconcile(e, now_ms);
    return rc;
}

static void *epr_main(void *arg)
{
    kapi_thread_name("ctl-endpoints");
    struct kapi_epr *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stop) {
        pthread_mutex_unlock(&e->mu);
        if (kapi_epr_round(e, kapi_wall_ms()))
            kapi_log(1, "endpoint reconciler: round failed; retrying");
        pthread_mutex_lock(&e->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += e->interval_ms / 1000;
        ts.tv_nsec += (long)(e->interval_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!e->stop && pthread_cond_timedwait(&e->cv, &e->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

struct kapi_epr *kapi_epr_start(struct kapi_store *store, const struct kapi_registry *reg, const struct kapi_epr_opts *o)
{
    struct kapi_epr *e = kapi_xcalloc(1, sizeof(*e));
    e->store = store;
    e->ep = kapi_registry_find(reg, "", "v1", "endpoints");
    e->eps = kapi_registry_find(reg, "discovery.k8s.io", "v1", "endpointslices");
    e->lease = kapi_registry_find(reg, "coordination.k8s.io", "v1", "leases");
    e->self_ip = kapi_xstrdup(o->self_ip);
    e->identity = kapi_xstrdup(o->identity);
    e->hostname = kapi_xstrdup(o->hostname ? o->hostname : "");
    e->port = o->port;
    e->interval_ms = o->interval_ms > 0 ? o->interval_ms : 10000;
    e->ttl_ms = o->ttl_ms > 0 ? o->ttl_ms : 15000;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (!e->ep || !e->eps || pthread_create(&e->thread, NULL, epr_main, e) != 0) {
        free(e->self_ip);
        free(e->identity);
        free(e->hostname);
        free(e);
        return NULL;
    }
    return e;
}

void kapi_epr_stop(struct kapi_epr *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stop = true;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->thread, NULL);
    char key[256];
    snprintf(key, sizeof(key), MASTERLEASES "%s", e->self_ip);
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key};
    struct kapi_write_result res = {0};
    kapi_store_write(e->store, &w, &res);
    kapi_write_result_dispose(&res);
    reconcile(e, kapi_wall_ms());
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e->self_ip);
    free(e->identity);
    free(e->hostname);
    free(e);
}
