/* registry/validation: ValidateResourceQuantityValue's "must be an integer"
 * for integer resources (the object counts of quotas and the extended
 * resources) in container limits/requests, pod overhead, ResourceQuota
 * spec.hard/status.hard/status.used and Node capacity/allocatable. The bad
 * value is upstream's resource.Quantity printed with %#v, built from the
 * text the client sent (see schema/quantity's kapi_quantity_go) after the v1
 * defaults' RoundUp(-3); through the typed check and the defaults, the text
 * comes from the pool's side table of original quantities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/validation.h"
#include "schema/schema.h"
#include "schema/typed.h"
#include "vtest.h"

#define Q(value, scale, dec, s, fmt)                                                                   \
    "resource.Quantity{i:resource.int64Amount{value:" value ", scale:" scale "}, "                    \
    "d:resource.infDecAmount{Dec:(*inf.Dec)(" dec ")}, s:\"" s "\", Format:\"" fmt "\"}"
#define INT(value, scale, s) Q(value, scale, "nil", s, "DecimalSI")
#define DEC(fmt) Q("0", "0", "0xc000000000", "", fmt)
#define NOT_INT ": must be an integer"

/* Validates obj as given (no typed check: its texts are the originals). */
static void check(const char *kind, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", kind, parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", obj, got, want);
    kapi_pool_free(pool);
}

/* The request path: typed check (canonical texts), defaults, validation. */
static void check_decoded(const char *kind, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse(pool, obj);
    struct kapi_typed_result res;
    assert_int_equal(kapi_typed_check(pool, kapi_schema_kind_find("", "v1", kind), v, NULL, &res), 0);
    kapi_defaults_apply(pool, "", "v1", kind, v);
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", kind, v, NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", obj, got, want);
    kapi_pool_free(pool);
}

#define CTR(res) "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always','resources':" res "}"
#define POD(ctr, extra) "{'metadata':{'name':'p','namespace':'default'},'spec':{'containers':[" ctr "]," \
    "'restartPolicy':'Always','terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst','securityContext':{}," \
    "'schedulerName':'default-scheduler'" extra "}}"
#define LIM "spec.containers[0].resources.limits[example.com/foo]: Invalid value: "
#define REQ "spec.containers[0].resources.requests[example.com/foo]: Invalid value: "

static void test_container_resources(void **state)
{
    (void)state;
    /* 1.5: value 15, scale -1 (not a multiple of 3: no s); 1500 milli */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'1.5'},'requests':{'example.com/foo':'1.5'}}"), ""),
          "[" LIM INT("15", "-1", "") NOT_INT ", " REQ INT("15", "-1", "") NOT_INT "]");
    /* 500m: scale -3 and digits 500 keep the text */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'500m'},'requests':{'example.com/foo':'500m'}}"), ""),
          "[" LIM INT("500", "-3", "500m") NOT_INT ", " REQ INT("500", "-3", "500m") NOT_INT "]");
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'1500m'},'requests':{'example.com/foo':'1500m'}}"), ""),
          "[" LIM INT("1500", "-3", "1500m") NOT_INT ", " REQ INT("1500", "-3", "1500m") NOT_INT "]");
    /* whole numbers pass, whatever their form: 2.5k = 2500, 1.5Gi = 1610612736,
     * 0.5Ki = 512, 1000m = 1 */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'2.5k','example.com/bar':'1.5Gi','example.com/baz':'0.5Ki',"
                         "'example.com/qux':'1000m'},'requests':{'example.com/foo':'2.5k','example.com/bar':'1.5Gi',"
                         "'example.com/baz':'0.5Ki','example.com/qux':'1000m'}}"), ""),
          "");
    /* a fractional binary amount is an *inf.Dec: 1.1Ki = 1126.4 */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'1.1Ki'},'requests':{'example.com/foo':'1.1Ki'}}"), ""),
          "[" LIM DEC("BinarySI") NOT_INT ", " REQ DEC("BinarySI") NOT_INT "]");
    /* 1234567u (scale -6, s kept) after RoundUp(-3): 1235, s cleared */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'1234567u'},'requests':{'example.com/foo':'1234567u'}}"), ""),
          "[" LIM INT("1235", "-3", "") NOT_INT ", " REQ INT("1235", "-3", "") NOT_INT "]");
    /* the negative check comes first, with the canonical text */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':'-1.5'},'requests':{'example.com/foo':'-1.5'}}"), ""),
          "[" LIM "\"-1500m\": must be greater than or equal to 0, " LIM INT("-15", "-1", "") NOT_INT ", "
          REQ "\"-1500m\": must be greater than or equal to 0, " REQ INT("-15", "-1", "") NOT_INT "]");
    /* cpu, memory and kubernetes.io names are not integer resources */
    check("Pod", POD(CTR("{'limits':{'cpu':'1.5','memory':'1.5','hugepages-2Mi':'2Mi'},"
                         "'requests':{'cpu':'1.5','memory':'1.5','hugepages-2Mi':'2Mi'}}"), ""),
          "");
    /* a name that is no extended resource gets the name error only */
    check("Pod", POD(CTR("{'limits':{'requests.example.com/foo':'1.5'}}"), ""),
          "spec.containers[0].resources.limits[requests.example.com/foo]: Invalid value: \"requests.example.com/foo\": "
          "doesn't follow extended resource name standard");
    /* a text with spaces (a webhook's, say) is trimmed as UnmarshalJSON does */
    check("Pod", POD(CTR("{'limits':{'example.com/foo':' 0.5 '},'requests':{'example.com/foo':' 0.5 '}}"), ""),
          "[" LIM INT("5", "-1", "") NOT_INT ", " REQ INT("5", "-1", "") NOT_INT "]");
    /* pod overhead: limits of a ResourceRequirements */
    check("Pod", POD(CTR("{}"), ",'overhead':{'example.com/foo':'0.5'}"),
          "spec.overhead.limits[example.com/foo]: Invalid value: " INT("5", "-1", "") NOT_INT);
}

static void test_quota(void **state)
{
    (void)state;
    /* pods 1.5: {15,-1}; services 2.5k and example.com/foo 0.5Ki are whole;
     * secrets 1.3Ki is the *inf.Dec 1331.2; configmaps 1234567u rounds up to
     * 1235m; cpu is not counted in integers */
    check("ResourceQuota",
          "{'metadata':{'name':'q'},'spec':{'hard':{'configmaps':'1234567u','cpu':'1.5','example.com/foo':'0.5Ki',"
          "'pods':'1.5','secrets':'1.3Ki','services':'2.5k'}}}",
          "[spec.hard[configmaps]: Invalid value: " INT("1235", "-3", "") NOT_INT ", "
          "spec.hard[pods]: Invalid value: " INT("15", "-1", "") NOT_INT ", "
          "spec.hard[secrets]: Invalid value: " DEC("BinarySI") NOT_INT "]");
    /* status lists too (ValidateResourceQuota checks them on create) */
    check("ResourceQuota",
          "{'metadata':{'name':'q'},'spec':{},'status':{'hard':{'services.nodeports':'2.5'},"
          "'used':{'persistentvolumeclaims':'100m'}}}",
          "[status.hard[services.nodeports]: Invalid value: " INT("25", "-1", "") NOT_INT ", "
          "status.used[persistentvolumeclaims]: Invalid value: " INT("100", "-3", "100m") NOT_INT "]");
    /* an 18-digit count: MilliValue wraps around int64 and is not whole */
    check("ResourceQuota", "{'metadata':{'name':'q'},'spec':{'hard':{'pods':'999999999999999999'}}}",
          "spec.hard[pods]: Invalid value: " INT("999999999999999999", "0", "999999999999999999") NOT_INT);
}

static void test_node(void **state)
{
    (void)state;
    check("Node",
          "{'metadata':{'name':'n'},'status':{'capacity':{'cpu':'1.5','example.com/foo':'1.5','pods':'110'},"
          "'allocatable':{'example.com/foo':'1','pods':'0.5Ki','services':'1.5n'}}}",
          "[status.capacity.example.com/foo: Invalid value: " INT("15", "-1", "") NOT_INT ", "
          "status.allocatable.services: Invalid value: " DEC("DecimalSI") NOT_INT "]");
}

/* Through the typed check and the defaults: the client's text, not the
 * canonical one, decides the struct; copies made by the defaults (requests
 * from limits, allocatable from capacity) and their RoundUp carry it. */
static void test_decoded(void **state)
{
    (void)state;
    /* 1.5 -> 1500m and 1500u -> 2m after RoundUp: printed as parsed from
     * "1.5" ({15,-1}) and from "1500u" ({1500,-6} rounded: {2,-3}, no s) */
    check_decoded("Pod",
                  "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c','image':'i','resources':"
                  "{'limits':{'example.com/bar':'1500u','example.com/foo':1.5}}}]}}",
                  "[spec.containers[0].resources.limits[example.com/bar]: Invalid value: " INT("2", "-3", "")
                  NOT_INT ", " LIM INT("15", "-1", "") NOT_INT ", "
                  "spec.containers[0].resources.requests[example.com/bar]: Invalid value: " INT("2", "-3", "")
                  NOT_INT ", " REQ INT("15", "-1", "") NOT_INT "]");
    /* 1000m is rewritten to 1 and whole: nothing */
    check_decoded("Pod",
                  "{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c','image':'i','resources':"
                  "{'limits':{'example.com/foo':'1000m'}}}]}}",
                  "");
    check_decoded("ResourceQuota", "{'metadata':{'name':'q'},'spec':{'hard':{'pods':' 2.50 '}}}",
                  "spec.hard[pods]: Invalid value: " INT("250", "-2", "") NOT_INT);
    check_decoded("Node", "{'metadata':{'name':'n'},'status':{'capacity':{'example.com/foo':'0.50'}}}",
                  "[status.capacity.example.com/foo: Invalid value: " INT("50", "-2", "") NOT_INT ", "
                  "status.allocatable.example.com/foo: Invalid value: " INT("50", "-2", "") NOT_INT "]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_container_resources),
        cmocka_unit_test(test_quota),
        cmocka_unit_test(test_node),
        cmocka_unit_test(test_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
