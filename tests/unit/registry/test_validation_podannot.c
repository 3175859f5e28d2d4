/* registry/validation: the tolerations and pod-deletion-cost annotations of
 * ValidatePodSpecificAnnotations (with the update exemption for a stored
 * invalid cost), the update exemptions for stored invalid pod affinity and
 * topology spread label selectors, and the pod annotation rules on a
 * pods/status write, each with kube-apiserver 1.33's field path and message
 * (through the aggregate string the REST layer puts into a 422 Status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/validation.h"
#include "vtest.h"

static void check(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, group, "v1", kind, parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}

static void check_status(const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    bool handled =
        kapi_validate_subresource(pool, "", "v1", "Pod", "status", parse(pool, obj), parse(pool, old), &errs);
    assert_true(handled);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("status\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

#define CTR "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'}"
#define SPEC(extra) "{'containers':[" CTR "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{},'schedulerName':'default-scheduler'" extra "}"
#define POD_A(ann, spec) "{'metadata':{'name':'p','namespace':'default','annotations':{" ann "}},'spec':" spec "}"
#define POD_ST(ann, status) "{'metadata':{'name':'p','namespace':'default','annotations':{" ann "}},'spec':" \
    SPEC("") ",'status':" status "}"
#define DEPLOY(ann, spec) "{'metadata':{'name':'d','namespace':'default'},'spec':{'replicas':1," \
    "'selector':{'matchLabels':{'app':'x'}},'template':{'metadata':{'labels':{'app':'x'},'annotations':{" ann "}}," \
    "'spec':" spec "},'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'25%','maxSurge':'25%'}}," \
    "'revisionHistoryLimit':10,'progressDeadlineSeconds':600}}"
#define TOL(json) "'scheduler.alpha.kubernetes.io/tolerations':'" json "'"
#define COST(v) "'controller.kubernetes.io/pod-deletion-cost':'" v "'"

static const char LABEL_VALUE_MSG[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

#define TOL_ERR(msg) "metadata.annotations: Invalid value: \"scheduler.alpha.kubernetes.io/tolerations\": " msg

static void test_tolerations_annotation_json(void **state)
{
    (void)state;
    /* the annotation's text is JSON inside JSON: \\\" in C is \" in the test JSON */
    check("", "Pod", POD_A(TOL("[{"), SPEC("")), NULL, TOL_ERR("unexpected end of JSON input"));
    check("", "Pod", POD_A(TOL("[x]"), SPEC("")), NULL,
          TOL_ERR("invalid character 'x' looking for beginning of value"));
    check("", "Pod", POD_A(TOL("{}"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal object into Go value of type []core.Toleration"));
    check("", "Pod", POD_A(TOL("[1]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal number into Go value of type core.Toleration"));
    check("", "Pod", POD_A(TOL("[{\\\"key\\\":1}]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal number into Go struct field Toleration.Key of type string"));
    check("", "Pod", POD_A(TOL("[{\\\"operator\\\":true}]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal bool into Go struct field Toleration.Operator of type "
                  "core.TolerationOperator"));
    check("", "Pod", POD_A(TOL("[{\\\"effect\\\":[]}]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal array into Go struct field Toleration.Effect of type core.TaintEffect"));
    check("", "Pod", POD_A(TOL("[{\\\"tolerationSeconds\\\":\\\"5\\\"}]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal string into Go struct field Toleration.TolerationSeconds of type int64"));
    check("", "Pod", POD_A(TOL("[{\\\"tolerationSeconds\\\":1.5}]"), SPEC("")), NULL,
          TOL_ERR("json: cannot unmarshal number 1.5 into Go struct field Toleration.TolerationSeconds of type "
                  "int64"));
    /* empty and null: nothing to check */
    check("", "Pod", POD_A(TOL(""), SPEC("")), NULL, "");
    check("", "Pod", POD_A(TOL("null"), SPEC("")), NULL, "");
    check("", "Pod", POD_A(TOL("[]"), SPEC("")), NULL, "");
    check("", "Pod", POD_A(TOL("[null,{\\\"key\\\":\\\"a\\\",\\\"operator\\\":\\\"Exists\\\"}]"), SPEC("")), NULL,
          "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator: Invalid value: \"\": "
          "operator must be Exists when `key` is empty, which means \"match all values and all keys\"");
}

static void test_tolerations_annotation_rules(void **state)
{
    (void)state;
    check("", "Pod", POD_A(TOL("[{\\\"key\\\":\\\"a\\\",\\\"operator\\\":\\\"Bad\\\"}]"), SPEC("")), NULL,
          "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator: Unsupported value: "
          "\"Bad\": supported values: \"Equal\", \"Exists\"");
    /* field names match without regard to case, as encoding/json does */
    check("", "Pod", POD_A(TOL("[{},{\\\"KEY\\\":\\\"\\\",\\\"Operator\\\":\\\"Equal\\\"}]"), SPEC("")), NULL,
          "[metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator: Invalid value: \"\": "
          "operator must be Exists when `key` is empty, which means \"match all values and all keys\", "
          "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[1].operator: Invalid value: \"Equal\": "
          "operator must be Exists when `key` is empty, which means \"match all values and all keys\"]");
    check("", "Pod",
          POD_A(TOL("[{\\\"key\\\":\\\"a\\\",\\\"operator\\\":\\\"Exists\\\",\\\"effect\\\":\\\"NoSchedule\\\","
                    "\\\"tolerationSeconds\\\":5}]"),
                SPEC("")),
          NULL,
          "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].effect: Invalid value: "
          "\"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set");
    check("", "Pod", POD_A(TOL("[{\\\"key\\\":\\\"a\\\",\\\"value\\\":\\\"bad value!\\\"}]"), SPEC("")), NULL,
          "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator: Invalid value: "
          "\"bad value!\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
          "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
          "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    /* a pod template's annotations too */
    check("apps", "Deployment", DEPLOY(TOL("{}"), SPEC("")), NULL,
          "spec.template.annotations: Invalid value: \"scheduler.alpha.kubernetes.io/tolerations\": json: cannot "
          "unmarshal object into Go value of type []core.Toleration");
}

#define COST_ERR(v) "metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"" v "\": " \
    "must be a 32bit integer"

static void test_deletion_cost(void **state)
{
    (void)state;
    static const char *const bad[] = {"+5", "007", "", "-", "1.5", "abc", "2147483648", "-2147483649", " 1", "1e3"};
    static const char *const good[] = {"0", "-0", "12", "-7", "-007", "2147483647", "-2147483648"};
    char obj[2048], want[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        snprintf(obj, sizeof(obj), POD_A("'controller.kubernetes.io/pod-deletion-cost':'%s'", SPEC("")), bad[i]);
        snprintf(want, sizeof(want),
                 "metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"%s\": must be "
                 "a 32bit integer",
                 bad[i]);
        check("", "Pod", obj, NULL, want);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        snprintf(obj, sizeof(obj), POD_A("'controller.kubernetes.io/pod-deletion-cost':'%s'", SPEC("")), good[i]);
        check("", "Pod", obj, NULL, "");
    }
    check("apps", "Deployment", DEPLOY(COST("x"), SPEC("")), NULL,
          "spec.template.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"x\": must be a "
          "32bit integer");
}

static void test_deletion_cost_update(void **state)
{
    (void)state;
    /* a pod update runs the annotation rules twice, as upstream (the
     * aggregate message lists the repeated error once) */
    check("", "Pod", POD_A(COST("x"), SPEC("")), POD_A(COST("1"), SPEC("")), COST_ERR("x"));
    check("", "Pod", POD_A(COST("x"), SPEC("")), POD_A("", SPEC("")), COST_ERR("x"));
    /* the stored pod already had an invalid cost: any value passes */
    check("", "Pod", POD_A(COST("y"), SPEC("")), POD_A(COST("x"), SPEC("")), "");
    check("", "Pod", POD_A(COST("+1"), SPEC("")), POD_A(COST("+1"), SPEC("")), "");
    /* the template's stored annotations decide for workloads */
    check("apps", "Deployment", DEPLOY(COST("y"), SPEC("")), DEPLOY(COST("x"), SPEC("")), "");
    check("apps", "Deployment", DEPLOY(COST("y"), SPEC("")), DEPLOY(COST("5"), SPEC("")),
          "spec.template.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid value: \"y\": must be a "
          "32bit integer");
}

#define AFF(kind, values) ",'affinity':{'" kind "':{'requiredDuringSchedulingIgnoredDuringExecution':[{" \
    "'labelSelector':{'matchExpressions':[{'key':'app','operator':'In','values':[" values "]}]}," \
    "'topologyKey':'zone'}]}}"
#define AFF_PREF(values) ",'affinity':{'podAntiAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{" \
    "'weight':1,'podAffinityTerm':{'namespaceSelector':{'matchExpressions':[{'key':'ns','operator':'In'," \
    "'values':[" values "]}]},'topologyKey':'zone'}}]}}"
#define SPREAD(op, values) ",'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone'," \
    "'whenUnsatisfiable':'DoNotSchedule','labelSelector':{'matchExpressions':[{'key':'app','operator':'" op "'," \
    "'values':[" values "]}]}}]"

static void test_affinity_selector_update(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof(want),
             "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]."
             "labelSelector.matchExpressions[0].values[0]: Invalid value: \"bad value!\": %s",
             LABEL_VALUE_MSG);
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAffinity", "'bad value!'"))), NULL, want);
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAffinity", "'bad value!'"))),
          DEPLOY("", SPEC(AFF("podAffinity", "'ok'"))), want);
    /* stored with an invalid selector value: values are not checked, the rest is */
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAffinity", "'bad value!'"))),
          DEPLOY("", SPEC(AFF("podAffinity", "'also bad!'"))), "");
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAntiAffinity", "'bad value!'"))),
          DEPLOY("", SPEC(AFF_PREF("'bad ns!'"))), "");
    check("apps", "Deployment", DEPLOY("", SPEC(AFF_PREF("'bad ns!'"))), DEPLOY("", SPEC(AFF_PREF("'bad ns!'"))),
          "");
    check("apps", "Deployment", DEPLOY("", SPEC(AFF_PREF("'bad ns!'"))), NULL,
          "spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
          "podAffinityTerm.namespaceSelector.matchExpressions[0].values[0]: Invalid value: \"bad ns!\": a valid "
          "label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
          "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
          "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    /* any selector error of the stored object counts, not only a value */
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAffinity", "'bad value!'"))),
          DEPLOY("", SPEC(AFF("podAffinity", ""))), "");
    /* the exemption does not reach topology spread selectors */
    snprintf(want, sizeof(want),
             "spec.template.spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values[0]: Invalid "
             "value: \"bad value!\": %s",
             LABEL_VALUE_MSG);
    check("apps", "Deployment", DEPLOY("", SPEC(AFF("podAffinity", "'ok'") SPREAD("In", "'bad value!'"))),
          DEPLOY("", SPEC(AFF("podAffinity", "'bad!'"))), want);
}

static void test_spread_selector_update(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof(want),
             "spec.template.spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values[0]: Invalid "
             "value: \"bad value!\": %s",
             LABEL_VALUE_MSG);
    check("apps", "Deployment", DEPLOY("", SPEC(SPREAD("In", "'bad value!'"))), NULL, want);
    check("apps", "Deployment", DEPLOY("", SPEC(SPREAD("In", "'bad value!'"))),
          DEPLOY("", SPEC(SPREAD("In", "'ok'"))), want);
    check("apps", "Deployment", DEPLOY("", SPEC(SPREAD("In", "'bad value!'"))),
          DEPLOY("", SPEC(SPREAD("In", "'bad!'"))), "");
    /* a stored selector with another error (values with Exists) counts too;
     * the new object's other selector errors are still reported */
    check("apps", "Deployment", DEPLOY("", SPEC(SPREAD("Exists", "'bad value!'"))),
          DEPLOY("", SPEC(SPREAD("Exists", "'x'"))),
          "spec.template.spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values: Forbidden: "
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    /* a pod stored with one: an annotation-only update passes */
    check("", "Pod", POD_A("'a':'b'", SPEC(SPREAD("In", "'bad value!'") AFF("podAffinity", "'bad!'"))),
          POD_A("", SPEC(SPREAD("In", "'bad value!'") AFF("podAffinity", "'bad!'"))), "");
}

static void test_status_annotations(void **state)
{
    (void)state;
    const char *old = POD_ST("", "{'qosClass':'BestEffort'}");
    check_status(POD_ST(COST("x"), "{'qosClass':'BestEffort'}"), old, COST_ERR("x"));
    check_status(POD_ST(COST("x"), "{'qosClass':'BestEffort'}"), POD_ST(COST("bad"), "{'qosClass':'BestEffort'}"),
                 "");
    check_status(POD_ST("'kubernetes.io/config.mirror':'m'", "{'qosClass':'BestEffort'}"), old,
                 "[metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not add mirror pod annotation, "
                 "metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"m\": must set spec.nodeName "
                 "if mirror pod annotation is set]");
    check_status(POD_ST(TOL("[{\\\"operator\\\":\\\"Equal\\\"}]"), "{'qosClass':'BestEffort'}"), old,
                 "metadata.annotations.scheduler.alpha.kubernetes.io/tolerations[0].operator: Invalid value: "
                 "\"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all "
                 "keys\"");
    check_status(POD_ST("'a':'b'", "{'qosClass':'BestEffort'}"), old, "");
}

#define CTR_CLAIMS(claims) "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always','resources':{'claims':[" claims "]}}"
#define SPEC_CLAIMS(claims, pod_claims) "{'containers':[" CTR_CLAIMS(claims) "],'restartPolicy':'Always'," \
    "'terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst','securityContext':{}," \
    "'schedulerName':'default-scheduler','resourceClaims':[" pod_claims "]}"
#define CL "spec.containers[0].resources.claims"

static void test_resource_claims(void **state)
{
    (void)state;
    const char *pc = "{'name':'gpu','resourceClaimName':'g'},{'name':'fpga','resourceClaimName':'f'}";
    check("", "Pod", POD_A("", SPEC_CLAIMS("{'name':'gpu'},{'name':'fpga','request':'r1'}", "")), NULL,
          "[" CL "[0]: Not found: \"gpu\": must be one of the names in pod.spec.resourceClaims which is empty, "
          CL "[1]: Not found: \"fpga\": must be one of the names in pod.spec.resourceClaims which is empty]");
    char obj[4096];
    snprintf(obj, sizeof(obj), POD_A("", SPEC_CLAIMS("{'name':'gpu'},{'name':'gpu'},{},{'name':'tpu'}", "%s")), pc);
    check("", "Pod", obj, NULL,
          "[" CL "[1]: Duplicate value: \"gpu\", " CL "[2]: Required value, " CL "[3]: Not found: \"tpu\": must be "
          "one of the names in pod.spec.resourceClaims: fpga, gpu]");
    /* requests: each once, the whole claim after one of its requests is a duplicate */
    snprintf(obj, sizeof(obj),
             POD_A("", SPEC_CLAIMS("{'name':'gpu','request':'a'},{'name':'gpu','request':'a'},"
                                   "{'name':'gpu','request':'b'},{'name':'gpu'},{'name':'fpga','request':'Bad_R'}",
                                   "%s")),
             pc);
    check("", "Pod", obj, NULL,
          "[" CL "[1]: Duplicate value: \"gpu/a\", " CL "[3]: Duplicate value: \"gpu\", " CL "[4].request: Invalid "
          "value: \"Bad_R\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
          "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')]");
    snprintf(obj, sizeof(obj), POD_A("", SPEC_CLAIMS("{'name':'gpu'},{'name':'fpga','request':'r'}", "%s")), pc);
    check("", "Pod", obj, NULL, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tolerations_annotation_json),
        cmocka_unit_test(test_tolerations_annotation_rules),
        cmocka_unit_test(test_deletion_cost),
        cmocka_unit_test(test_deletion_cost_update),
        cmocka_unit_test(test_affinity_selector_update),
        cmocka_unit_test(test_spread_selector_update),
        cmocka_unit_test(test_status_annotations),
        cmocka_unit_test(test_resource_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
