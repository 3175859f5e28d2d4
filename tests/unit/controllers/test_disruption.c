/* Unit tests for the computation of src/controllers/disruption: the
 * PodDisruptionBudget status upstream's disruption controller derives from
 * the pods, their controllers' scale and the disruptedPods map, with a
 * fake controller lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "controllers/disruption.h"

static struct kapi_pool *pool;

static int setup(void **state)
{
    pool = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    kapi_pool_free(pool);
    return 0;
}

static struct kapi_value *J(const char *json)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &err);
    assert_non_null(v);
    return v;
}

/* The fake controllers: ref uid -> (controller uid, replicas); uid "err"
 * fails the lookup; an unknown uid finds nothing. */
struct fake {
    const char *ref_uid, *uid;
    int64_t replicas;
};
static const struct fake controllers[] = {
    {"rs-1", "dep-1", 5}, /* two ReplicaSets of one Deployment count once */
    {"rs-2", "dep-1", 5},
    {"ss-1", "ss-1", 4},
};
static int lookups;

static int fake_find(void *ctx, struct kapi_pool *p, const char *ns, const struct kapi_value *ref,
                     struct kapi_pdb_scale *out, const char **err)
{
    (void)ctx;
    (void)p;
    lookups++;
    assert_string_equal(ns, "ns1");
    const char *uid = kapi_obj_get_str(ref, "uid");
    if (strcmp(uid, "err") == 0) {
        *err = "no matches for kind \"Foo\" in version \"example.com/v1\"";
        return -1;
    }
    for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++)
        if (strcmp(controllers[i].ref_uid, uid) == 0) {
            out->uid = controllers[i].uid;
            out->replicas = controllers[i].replicas;
            return 1;
        }
    return 0;
}

/* A pod named name, owned (as controller) by ref uid owner (NULL: none). */
static struct kapi_value *pod(const char *name, const char *owner, bool ready, bool deleting)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns1\"%s%s%s%s},"
             "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"True\"},"
             "{\"type\":\"Ready\",\"status\":\"%s\"}]}}",
             name, deleting ? ",\"deletionTimestamp\":\"2030-01-01T00:00:00Z\"" : "",
             owner ? ",\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"x\",\"uid\":\"o\"},"
                     "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"r\",\"uid\":\""
                   : "",
             owner ? owner : "", owner ? "\",\"controller\":true}]" : "", ready ? "True" : "False");
    return J(buf);
}

static struct kapi_value *pdb(const char *spec, const char *status, int generation)
{
    char buf[2048];
    snprintf(buf, sizeof(buf), "{\"metadata\":{\"name\":\"b\",\"namespace\":\"ns1\",\"generation\":%d},\"spec\":%s%s%s}",
             generation, spec, status ? ",\"status\":" : "", status ? status : "");
    return J(buf);
}

#define NOW_MS 1900000000000LL /* 2030-03-17T17:46:40Z */
#define NOW_TEXT "2030-03-17T17:46:40Z"

static int64_t st_int(const struct kapi_pdb_result *r, const char *f)
{
    const struct kapi_value *v = kapi_obj_get(r->status, f);
    assert_non_null(v);
    return v->u.i;
}

static const struct kapi_value *cond(const struct kapi_pdb_result *r)
{
    const struct kapi_value *c = kapi_obj_get(r->status, "conditions");
    assert_non_null(c);
    assert_int_equal(c->u.arr.len, 1);
    return c->u.arr.items[0];
}

static void expect(const struct kapi_pdb_result *r, int64_t expected, int64_t desired, int64_t healthy, int64_t allowed)
{
    assert_false(r->failed);
    assert_int_equal(st_int(r, "expectedPods"), expected);
    assert_int_equal(st_int(r, "desiredHealthy"), desired);
    assert_int_equal(st_int(r, "currentHealthy"), healthy);
    assert_int_equal(st_int(r, "disruptionsAllowed"), allowed);
}

static void test_scaled_value(void **state)
{
    int64_t v = -1;
    const char *err = NULL;
    assert_true(kapi_pdb_scaled_value(pool, J("3"), 10, &v, &err));
    assert_int_equal(v, 3);
    assert_true(kapi_pdb_scaled_value(pool, J("\"50%\""), 3, &v, &err));
    assert_int_equal(v, 2); /* rounded up */
    assert_true(kapi_pdb_scaled_value(pool, J("\"34%\""), 3, &v, &err));
    assert_int_equal(v, 2);
    assert_true(kapi_pdb_scaled_value(pool, J("\"0%\""), 7, &v, &err));
    assert_int_equal(v, 0);
    assert_true(kapi_pdb_scaled_value(pool, J("\"100%\""), 0, &v, &err));
    assert_int_equal(v, 0);
    assert_false(kapi_pdb_scaled_value(pool, J("\"5\""), 3, &v, &err));
    assert_string_equal(err, "invalid value for IntOrString: invalid type: string is not a percentage");
    assert_false(kapi_pdb_scaled_value(pool, J("\"x%\""), 3, &v, &err));
    assert_string_equal(err, "invalid value for IntOrString: invalid value \"x%\": strconv.Atoi: parsing \"x\": invalid syntax");
}

static void test_min_available_int_counts_pods(void **state)
{
    struct kapi_value *pods[] = {pod("a", NULL, true, false), pod("b", "nobody", true, false),
                                 pod("c", "rs-1", false, false), pod("d", "rs-1", true, true)};
    struct kapi_pdb_result r;
    lookups = 0;
    kapi_pdb_compute(pool, pdb("{\"minAvailable\":1}", NULL, 1), pods, 4, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    /* every selected pod is expected; no controller is asked */
    expect(&r, 4, 1, 2, 1);
    assert_int_equal(lookups, 0);
    assert_true(r.changed);
    assert_int_equal(st_int(&r, "observedGeneration"), 1);
    assert_null(kapi_obj_get(r.status, "disruptedPods"));
    const struct kapi_value *c = cond(&r);
    assert_string_equal(kapi_obj_get_str(c, "status"), "True");
    assert_string_equal(kapi_obj_get_str(c, "reason"), "SufficientPods");
    assert_string_equal(kapi_obj_get_str(c, "message"), "");
    assert_string_equal(kapi_obj_get_str(c, "lastTransitionTime"), NOW_TEXT);
    assert_int_equal(kapi_obj_get(c, "observedGeneration")->u.i, 1);
    /* the status upstream's JSON field order */
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, r.status);
    assert_true(strncmp(b.data, "{\"observedGeneration\":1,\"disruptionsAllowed\":1,\"currentHealthy\":2,"
                                "\"desiredHealthy\":1,\"expectedPods\":4,\"conditions\":[{\"type\":\"DisruptionAllowed\","
                                "\"status\":\"True\",\"observedGeneration\":1,\"lastTransitionTime\"",
                        strlen("{\"observedGeneration\":1,\"disruptionsAllowed\":1,\"currentHealthy\":2,"
                               "\"desiredHealthy\":1,\"expectedPods\":4,\"conditions\":[{\"type\":\"DisruptionAllowed\","
                               "\"status\":\"True\",\"observedGeneration\":1,\"lastTransitionTime\"")) == 0);
    kapi_buf_dispose(&b);
}

static void test_percentages_use_controller_scale(void **state)
{
    /* rs-1 and rs-2 resolve to one Deployment of 5; ss-1 is 4; a pod
     * without a controller is left out */
    struct kapi_value *pods[] = {pod("a", "rs-1", true, false), pod("b", "rs-2", true, false),
                                 pod("c", "ss-1", true, false), pod("d", NULL, true, false)};
    struct kapi_pdb_result r;
    kapi_pdb_compute(pool, pdb("{\"maxUnavailable\":\"30%\"}", NULL, 2), pods, 4, fake_find, NULL, NOW_MS, NOW_TEXT,
                     &r);
    expect(&r, 9, 6, 4, 0); /* ceil(2.7) = 3 unavailable of 9 */
    assert_string_equal(kapi_obj_get_str(cond(&r), "reason"), "InsufficientPods");
    kapi_pdb_compute(pool, pdb("{\"maxUnavailable\":7}", NULL, 2), pods, 4, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    expect(&r, 9, 2, 4, 2);
    kapi_pdb_compute(pool, pdb("{\"maxUnavailable\":20}", NULL, 2), pods, 4, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    expect(&r, 9, 0, 4, 4); /* desired never below 0 */
    kapi_pdb_compute(pool, pdb("{\"minAvailable\":\"25%\"}", NULL, 2), pods, 4, fake_find, NULL, NOW_MS, NOW_TEXT,
                     &r);
    expect(&r, 9, 3, 4, 1);
    /* only unmanaged pods: nothing expected, so nothing allowed */
    struct kapi_value *bare[] = {pod("x", NULL, true, false), pod("y", NULL, true, false)};
    kapi_pdb_compute(pool, pdb("{\"minAvailable\":\"10%\"}", NULL, 1), bare, 2, fake_find, NULL, NOW_MS, NOW_TEXT,
                     &r);
    expect(&r, 0, 0, 2, 0);
    /* neither field: nothing expected */
    kapi_pdb_compute(pool, pdb("{}", NULL, 1), bare, 2, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    expect(&r, 0, 0, 2, 0);
}

static void test_sync_failed(void **state)
{
    const char *old = "{\"observedGeneration\":1,\"disruptionsAllowed\":2,\"currentHealthy\":3,\"desiredHealthy\":1,"
                      "\"expectedPods\":3,\"conditions\":[{\"type\":\"DisruptionAllowed\",\"status\":\"True\","
                      "\"observedGeneration\":1,\"lastTransitionTime\":\"2029-01-01T00:00:00Z\","
                      "\"reason\":\"SufficientPods\",\"message\":\"\"}]}";
    struct kapi_value *pods[] = {pod("a", "rs-1", true, false), pod("lost", "rs-9", true, false)};
    struct kapi_pdb_result r;
    kapi_pdb_compute(pool, pdb("{\"maxUnavailable\":1}", old, 2), pods, 2, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    assert_true(r.failed && r.changed);
    assert_string_equal(r.sync_error, "found no controllers for pod \"lost\"");
    /* the old counts stay; nothing is allowed; the generation is not claimed */
    assert_int_equal(st_int(&r, "disruptionsAllowed"), 0);
    assert_int_equal(st_int(&r, "currentHealthy"), 3);
    assert_int_equal(st_int(&r, "observedGeneration"), 1);
    const struct kapi_value *c = cond(&r);
    assert_string_equal(kapi_obj_get_str(c, "status"), "False");
    assert_string_equal(kapi_obj_get_str(c, "reason"), "SyncFailed");
    assert_string_equal(kapi_obj_get_str(c, "message"), "found no controllers for pod \"lost\"");
    assert_string_equal(kapi_obj_get_str(c, "lastTransitionTime"), NOW_TEXT); /* True -> False */
    /* a lookup error is the message; the same failure again changes nothing */
    struct kapi_value *odd[] = {pod("a", "err", true, false)};
    kapi_pdb_compute(pool, pdb("{\"minAvailable\":\"50%\"}", NULL, 1), odd, 1, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    assert_true(r.failed);
    assert_string_equal(kapi_obj_get_str(cond(&r), "message"),
                        "no matches for kind \"Foo\" in version \"example.com/v1\"");
    assert_int_equal(st_int(&r, "expectedPods"), 0);
    assert_null(kapi_obj_get(r.status, "observedGeneration"));
    struct kapi_value *again = pdb("{\"minAvailable\":\"50%\"}", NULL, 1);
    kapi_obj_set(pool, again, "status", r.status);
    struct kapi_pdb_result r2;
    kapi_pdb_compute(pool, again, odd, 1, fake_find, NULL, NOW_MS + 60000, "2030-03-17T17:47:40Z", &r2);
    assert_true(r2.failed);
    assert_false(r2.changed);
    /* the fail-safe on its own, for a selector error */
    kapi_pdb_fail_safe(pool, pdb("{}", NULL, 1), "bad selector", NOW_TEXT, &r);
    assert_true(r.changed);
    assert_string_equal(kapi_obj_get_str(cond(&r), "message"), "bad selector");
}

static void test_disrupted_pods(void **state)
{
    /* fresh: 30 s old; stale: 121 s old; gone: no such pod; dying: its pod
     * is being deleted */
    const char *old = "{\"observedGeneration\":1,\"disruptedPods\":{\"fresh\":\"2030-03-17T17:46:10Z\","
                      "\"stale\":\"2030-03-17T17:44:39Z\",\"gone\":\"2030-03-17T17:46:30Z\","
                      "\"dying\":\"2030-03-17T17:46:30Z\",\"young\":\"2030-03-17T17:46:35Z\"},"
                      "\"disruptionsAllowed\":0,\"currentHealthy\":0,\"desiredHealthy\":0,\"expectedPods\":0}";
    struct kapi_value *pods[] = {pod("young", NULL, true, false), pod("fresh", NULL, true, false),
                                 pod("stale", NULL, true, false), pod("dying", NULL, true, true),
                                 pod("other", NULL, true, false)};
    struct kapi_pdb_result r;
    kapi_pdb_compute(pool, pdb("{\"minAvailable\":1}", old, 1), pods, 5, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    /* fresh and young are about to go: only stale and other count */
    expect(&r, 5, 1, 2, 1);
    const struct kapi_value *dp = kapi_obj_get(r.status, "disruptedPods");
    assert_non_null(dp);
    assert_int_equal(dp->u.obj.len, 2);
    assert_string_equal(dp->u.obj.members[0].key, "fresh"); /* sorted, as Go encodes a map */
    assert_string_equal(dp->u.obj.members[1].key, "young");
    assert_string_equal(kapi_obj_get_str(dp, "fresh"), "2030-03-17T17:46:10Z");
    /* re-checked when the first entry runs out */
    assert_int_equal(r.recheck_ms, (NOW_MS - 30000) + 120000);
    /* two minutes later both have expired */
    struct kapi_value *later = pdb("{\"minAvailable\":1}", NULL, 1);
    kapi_obj_set(pool, later, "status", r.status);
    kapi_pdb_compute(pool, later, pods, 5, fake_find, NULL, NOW_MS + 125000, "2030-03-17T17:48:45Z", &r);
    expect(&r, 5, 1, 4, 3);
    assert_null(kapi_obj_get(r.status, "disruptedPods"));
    assert_int_equal(r.recheck_ms, 0);
}

static void test_unchanged_and_condition_time(void **state)
{
    struct kapi_value *pods[] = {pod("a", "ss-1", true, false), pod("b", "ss-1", true, false)};
    struct kapi_pdb_result r;
    kapi_pdb_compute(pool, pdb("{\"maxUnavailable\":3}", NULL, 1), pods, 2, fake_find, NULL, NOW_MS, NOW_TEXT, &r);
    expect(&r, 4, 1, 2, 1);
    assert_true(r.changed);
    /* the same inputs again: nothing to write */
    struct kapi_value *cur = pdb("{\"maxUnavailable\":3}", NULL, 1);
    kapi_obj_set(pool, cur, "status", r.status);
    struct kapi_pdb_result r2;
    kapi_pdb_compute(pool, cur, pods, 2, fake_find, NULL, NOW_MS + 1000, "2030-03-17T17:46:41Z", &r2);
    assert_false(r2.changed);
    /* a new generation is written; the condition keeps its transition time */
    struct kapi_value *gen2 = pdb("{\"maxUnavailable\":3}", NULL, 2);
    kapi_obj_set(pool, gen2, "status", r.status);
    kapi_pdb_compute(pool, gen2, pods, 2, fake_find, NULL, NOW_MS + 2000, "2030-03-17T17:46:42Z", &r2);
    assert_true(r2.changed);
    assert_int_equal(st_int(&r2, "observedGeneration"), 2);
    assert_int_equal(kapi_obj_get(cond(&r2), "observedGeneration")->u.i, 2);
    assert_string_equal(kapi_obj_get_str(cond(&r2), "lastTransitionTime"), NOW_TEXT);
    /* a pod turning unready flips the condition and its time */
    struct kapi_value *sick[] = {pod("a", "ss-1", true, false), pod("b", "ss-1", false, false)};
    struct kapi_value *gen2b = pdb("{\"maxUnavailable\":3}", NULL, 2);
    kapi_obj_set(pool, gen2b, "status", r2.status);
    kapi_pdb_compute(pool, gen2b, sick, 2, fake_find, NULL, NOW_MS + 3000, "2030-03-17T17:46:43Z", &r);
    expect(&r, 4, 1, 1, 0);
    assert_string_equal(kapi_obj_get_str(cond(&r), "status"), "False");
    assert_string_equal(kapi_obj_get_str(cond(&r), "lastTransitionTime"), "2030-03-17T17:46:43Z");
    /* an out-of-date condition alone is rewritten */
    struct kapi_value *stale = pdb("{\"maxUnavailable\":3}", NULL, 2);
    struct kapi_value *st = kapi_value_clone(pool, r.status);
    kapi_obj_del(st, "conditions");
    kapi_obj_set(pool, stale, "status", st);
    kapi_pdb_compute(pool, stale, sick, 2, fake_find, NULL, NOW_MS + 4000, "2030-03-17T17:46:44Z", &r2);
    assert_true(r2.changed);
    assert_string_equal(kapi_obj_get_str(cond(&r2), "reason"), "InsufficientPods");
}

static void test_update_condition(void **state)
{
    struct kapi_value *st = J("{\"observedGeneration\":3,\"disruptionsAllowed\":0,\"conditions\":[{\"type\":\"Other\","
                              "\"status\":\"True\",\"lastTransitionTime\":\"2029-01-01T00:00:00Z\",\"reason\":\"R\","
                              "\"message\":\"m\"}]}");
    kapi_pdb_update_condition(pool, st, NOW_TEXT);
    const struct kapi_value *conds = kapi_obj_get(st, "conditions");
    assert_int_equal(conds->u.arr.len, 2);
    assert_string_equal(kapi_obj_get_str(conds->u.arr.items[0], "type"), "Other");
    const struct kapi_value *c = conds->u.arr.items[1];
    assert_string_equal(kapi_obj_get_str(c, "reason"), "InsufficientPods");
    assert_int_equal(kapi_obj_get(c, "observedGeneration")->u.i, 3);
}

static void test_pod_ready(void **state)
{
    assert_true(kapi_pdb_pod_ready(pod("a", NULL, true, false)));
    assert_false(kapi_pdb_pod_ready(pod("a", NULL, false, false)));
    assert_false(kapi_pdb_pod_ready(J("{\"status\":{\"phase\":\"Running\"}}")));
}

static void test_stop_null(void **state)
{
    kapi_disruption_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scaled_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_min_available_int_counts_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_percentages_use_controller_scale, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sync_failed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disrupted_pods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unchanged_and_condition_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_condition, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pod_ready, setup, teardown),
        cmocka_unit_test(test_stop_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
