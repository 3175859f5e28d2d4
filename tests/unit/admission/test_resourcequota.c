/* Unit tests for the ResourceQuota admission plugin over the SQLite store,
 * the watch cache and the registry: upstream's "exceeded quota" 403, object
 * counts (count/...), milli-cpu sums, usage computed from existing objects
 * when status.used lacks it, dry run, 20 concurrent creators against one
 * limit, and kapi_quota_release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admission/admission.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_admission *adm;
    struct kapi_pool *pool;
};

static void write_json(struct fx *f, const char *key, const char *json)
{
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
}

static const char *key_of(struct fx *f, const char *group, const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, "v1", resource);
    assert_non_null(k);
    return kapi_registry_key(f->pool, k, ns, name);
}

/* A quota with spec.hard = hard (JSON object text) and optional status. */
static void put_quota(struct fx *f, const char *name, const char *hard, const char *status)
{
    write_json(f, key_of(f, "", "resourcequotas", "default", name),
               kapi_pool_printf(f->pool,
                                "{\"kind\":\"ResourceQuota\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                "\"namespace\":\"default\",\"uid\":\"u-%s\",\"creationTimestamp\":"
                                "\"2026-01-01T00:00:00Z\"},\"spec\":{\"hard\":%s}%s%s%s}",
                                name, name, hard, status ? ",\"status\":" : "", status ? status : "",
                                ""));
}

/* status.used[res] of quota name as stored, or NULL. */
static const char *used_of(struct fx *f, const char *name, const char *res)
{
    struct kapi_kv kv = {0};
    assert_int_equal(kapi_store_get(f->store, key_of(f, "", "resourcequotas", "default", name), &kv), 0);
    struct kapi_json_error jerr;
    struct kapi_value *q = kapi_json_parse(f->pool, kv.value->data, kv.value->len, NULL, &jerr);
    kapi_kv_dispose(&kv);
    assert_non_null(q);
    assert_null(kapi_value_path(q, "metadata", "resourceVersion", NULL));
    const char *s = kapi_value_cstr(kapi_value_path(q, "status", "used", res, NULL));
    return s ? kapi_pool_strdup(f->pool, s) : NULL;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-rq-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    /* Only the quota plugin: the pods here need no ServiceAccount. */
    f->adm = kapi_admission_new(f->cache, f->reg, NULL,
                                "LimitRanger,ServiceAccount,Priority,DefaultTolerationSeconds");
    kapi_admission_set_store(f->adm, f->store);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_admission_free(f->adm);
    kapi_cache_free(f->cache);
    kapi_registry_free(f->reg);
    kapi_store_close(f->store);
    kapi_pool_free(f->pool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &jerr);
    assert_non_null(v);
    return v;
}

static struct kapi_value *pod(struct kapi_pool *pool, const char *name, const char *resources)
{
    return parse(pool, kapi_pool_printf(pool,
                                        "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                                        "\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\","
                                        "\"image\":\"nginx\",\"resources\":%s}]}}",
                                        name, resources ? resources : "{}"));
}

static int admit(struct fx *f, const char *group, const char *resource, struct kapi_value *obj, bool dry,
                 struct kapi_status **st)
{
    *st = NULL;
    return kapi_admission_admit(f->adm, f->pool, group, resource, "", "default", obj, NULL, NULL, dry, st);
}

static void test_pods_limit_gives_upstreams_403(void **state)
{
    struct fx *f = *state;
    assert_true(kapi_admission_enabled(f->adm, "ResourceQuota"));
    put_quota(f, "q", "{\"pods\":\"2\"}", NULL);
    struct kapi_status *st;
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "a", NULL), false, &st), 0);
    assert_string_equal(used_of(f, "q", "pods"), "1");
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "b", NULL), false, &st), 0);
    assert_string_equal(used_of(f, "q", "pods"), "2");
    /* Stored as the REST layer stores objects: no resourceVersion, status
     * after spec, maps sorted. */
    struct kapi_kv kv = {0};
    assert_int_equal(kapi_store_get(f->store, key_of(f, "", "resourcequotas", "default", "q"), &kv), 0);
    const char *want = "{\"kind\":\"ResourceQuota\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"q\",\"namespace\":"
                       "\"default\",\"uid\":\"u-q\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"spec\":{\"hard\":"
                       "{\"pods\":\"2\"}},\"status\":{\"hard\":{\"pods\":\"2\"},\"used\":{\"pods\":\"2\"}}}";
    assert_int_equal(kv.value->len, strlen(want));
    assert_memory_equal(kv.value->data, want, strlen(want));
    kapi_kv_dispose(&kv);
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "c", NULL), false, &st), -1);
    assert_non_null(st);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");
    assert_string_equal(st->message,
                        "pods \"c\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2");
    assert_string_equal(used_of(f, "q", "pods"), "2");
    /* Other kinds are not charged against pods. */
    struct kapi_value *cm = parse(f->pool, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":"
                                           "{\"name\":\"cm\",\"namespace\":\"default\"}}");
    assert_int_equal(admit(f, "", "configmaps", cm, false, &st), 0);
}

/* With no ResourceQuota at all the plugin skips its work (kapi_adm_none);
 * a quota created after such a request binds the very next one, and one
 * deleted again stops binding. */
static void test_quota_created_after_none(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    assert_true(kapi_adm_none(f->adm, KAPI_ADM_RESOURCEQUOTAS));
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "a", NULL), false, &st), 0);
    put_quota(f, "zero", "{\"pods\":\"0\"}", NULL);
    assert_false(kapi_adm_none(f->adm, KAPI_ADM_RESOURCEQUOTAS));
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "b", NULL), false, &st), -1);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->message, "pods \"b\" is forbidden: exceeded quota: zero, requested: pods=1, used: "
                                     "pods=0, limited: pods=0");
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key_of(f, "", "resourcequotas", "default", "zero")};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
    assert_true(kapi_adm_none(f->adm, KAPI_ADM_RESOURCEQUOTAS));
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "c", NULL), false, &st), 0);
}

static void test_count_configmaps_and_sorted_message(void **state)
{
    struct fx *f = *state;
    /* Two existing configmaps and no status: usage comes from the cache. */
    for (int i = 0; i < 2; i++)
        write_json(f, key_of(f, "", "configmaps", "default", kapi_pool_printf(f->pool, "old%d", i)),
                   kapi_pool_printf(f->pool,
                                    "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"old%d\","
                                    "\"namespace\":\"default\",\"uid\":\"u%d\"}}",
                                    i, i));
    put_quota(f, "cmq", "{\"count/configmaps\":\"3\",\"configmaps\":\"3\",\"pods\":\"9\"}", NULL);
    struct kapi_status *st;
    const char *cm = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
                     "\"namespace\":\"default\"}}";
    assert_int_equal(admit(f, "", "configmaps", parse(f->pool, kapi_pool_printf(f->pool, cm, "n1")), false, &st), 0);
    assert_string_equal(used_of(f, "cmq", "count/configmaps"), "3");
    assert_string_equal(used_of(f, "cmq", "configmaps"), "3");
    assert_string_equal(used_of(f, "cmq", "pods"), "0");
    assert_int_equal(admit(f, "", "configmaps", parse(f->pool, kapi_pool_printf(f->pool, cm, "n2")), false, &st), -1);
    assert_string_equal(st->message, "configmaps \"n2\" is forbidden: exceeded quota: cmq, requested: "
                                     "configmaps=1,count/configmaps=1, used: configmaps=3,count/configmaps=3, "
                                     "limited: configmaps=3,count/configmaps=3");
}

static void test_requests_cpu_sums_milli(void **state)
{
    struct fx *f = *state;
    put_quota(f, "cpu", "{\"requests.cpu\":\"1\",\"limits.memory\":\"1Gi\"}",
              "{\"hard\":{\"limits.memory\":\"1Gi\",\"requests.cpu\":\"1\"},"
              "\"used\":{\"limits.memory\":\"0\",\"requests.cpu\":\"0\"}}");
    struct kapi_status *st;
    const char *res = "{\"limits\":{\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"300m\"}}";
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "a", res), false, &st), 0);
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "b", res), false, &st), 0);
    assert_string_equal(used_of(f, "cpu", "requests.cpu"), "600m");
    assert_string_equal(used_of(f, "cpu", "limits.memory"), "512Mi");
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "c", res), false, &st), 0);
    assert_string_equal(used_of(f, "cpu", "requests.cpu"), "900m");
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "d", res), false, &st), -1);
    assert_string_equal(st->message, "pods \"d\" is forbidden: exceeded quota: cpu, requested: requests.cpu=300m, "
                                     "used: requests.cpu=900m, limited: requests.cpu=1");
    /* 100m still fits exactly; dry run checks without charging. */
    const char *small = "{\"limits\":{\"memory\":\"256Mi\"},\"requests\":{\"cpu\":\"0.1\"}}";
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "e", small), true, &st), 0);
    assert_string_equal(used_of(f, "cpu", "requests.cpu"), "900m");
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "e", small), false, &st), 0);
    assert_string_equal(used_of(f, "cpu", "requests.cpu"), "1");
    assert_string_equal(used_of(f, "cpu", "limits.memory"), "1Gi");
}

static void test_cpu_quota_requires_container_requests(void **state)
{
    struct fx *f = *state;
    put_quota(f, "compute", "{\"limits.memory\":\"1Gi\",\"requests.cpu\":\"1\"}", NULL);
    struct kapi_status *st;
    struct kapi_value *p = parse(f->pool, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"m\","
                                          "\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"b\","
                                          "\"resources\":{}},{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":"
                                          "\"1m\"}}}]}}");
    assert_int_equal(admit(f, "", "pods", p, false, &st), -1);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->message, "pods \"m\" is forbidden: failed quota: compute: must specify limits.memory "
                                     "for: a,b; requests.cpu for: b");
    assert_null(used_of(f, "compute", "requests.cpu"));
}

struct racer {
    struct fx *f;
    int id, rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_status *st = NULL;
    struct kapi_value *p = pod(pool, kapi_pool_printf(pool, "p%d", r->id), NULL);
    r->rc = kapi_admission_admit(r->f->adm, pool, "", "pods", "", "default", p, NULL, NULL, false, &st);
    if (r->rc < 0 && (!st || st->code != 403))
        r->rc = -2;
    kapi_pool_free(pool);
    return NULL;
}

static void test_concurrent_creates_stop_at_the_limit(void **state)
{
    struct fx *f = *state;
    put_quota(f, "five", "{\"pods\":\"5\"}", NULL);
    enum { N = 20 };
    pthread_t th[N];
    struct racer r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){f, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, race, &r[i]), 0);
    }
    int ok = 0, denied = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ok += r[i].rc == 0;
        denied += r[i].rc == -1;
    }
    assert_int_equal(ok, 5);
    assert_int_equal(denied, 15);
    assert_string_equal(used_of(f, "five", "pods"), "5");
}

static void test_release_gives_usage_back(void **state)
{
    struct fx *f = *state;
    put_quota(f, "q", "{\"pods\":\"1\",\"requests.memory\":\"1Gi\"}", NULL);
    struct kapi_status *st;
    struct kapi_value *a = pod(f->pool, "a", "{\"requests\":{\"memory\":\"1Gi\"}}");
    assert_int_equal(admit(f, "", "pods", a, false, &st), 0);
    assert_string_equal(used_of(f, "q", "pods"), "1");
    assert_string_equal(used_of(f, "q", "requests.memory"), "1Gi");
    const char *mem = "{\"requests\":{\"memory\":\"1Mi\"}}";
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "b", mem), false, &st), -1);
    assert_string_equal(st->message, "pods \"b\" is forbidden: exceeded quota: q, requested: pods=1,requests.memory=1Mi, "
                                     "used: pods=1,requests.memory=1Gi, limited: pods=1,requests.memory=1Gi");
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
    kapi_quota_release(f->adm, f->pool, "", "pods", "default", a);
    assert_string_equal(used_of(f, "q", "pods"), "0");
    assert_string_equal(used_of(f, "q", "requests.memory"), "0");
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
    assert_int_equal(admit(f, "", "pods", pod(f->pool, "b", mem), false, &st), 0);
    assert_string_equal(used_of(f, "q", "pods"), "1");
    assert_string_equal(used_of(f, "q", "requests.memory"), "1Mi");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pods_limit_gives_upstreams_403, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quota_created_after_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_configmaps_and_sorted_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_cpu_sums_milli, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_quota_requires_container_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_creates_stop_at_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_gives_usage_back, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
