/* registry/validation: required node affinity values as label values (and
 * the update exemption when the stored object already had an invalid one),
 * topologySpreadConstraints matchLabelKeys, pod affinity matchLabelKeys
 * against the labelSelector, and container resizePolicy, each with
 * kube-apiserver 1.33's field path and message (through the aggregate string
 * the REST layer puts into a 422 Status). */
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

#define CTR(extra) "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC_RP(rp, ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'" rp "','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{},'schedulerName':'default-scheduler'" extra "}"
#define SPEC(ctrs, extra) SPEC_RP("Always", ctrs, extra)
#define POD_L(labels, spec) "{'metadata':{'name':'p','namespace':'default','labels':{" labels "}},'spec':" spec "}"
#define POD(spec) POD_L("", spec)
#define PODS(extra) POD(SPEC(CTR(""), extra))
#define DEPLOY(spec) "{'metadata':{'name':'d','namespace':'default'},'spec':{'replicas':1," \
    "'selector':{'matchLabels':{'app':'x'}},'template':{'metadata':{'labels':{'app':'x'}},'spec':" spec "}," \
    "'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'25%','maxSurge':'25%'}}," \
    "'revisionHistoryLimit':10,'progressDeadlineSeconds':600}}"
#define REQ(values) ",'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':" \
    "[{'matchExpressions':[{'key':'zone','operator':'In','values':[" values "]}]}]}}}"
#define PV(values) "{'metadata':{'name':'pv'},'spec':{'capacity':{'storage':'1Gi'},'accessModes':['ReadWriteOnce']," \
    "'persistentVolumeReclaimPolicy':'Retain','volumeMode':'Filesystem','local':{'path':'/mnt/d'}," \
    "'nodeAffinity':{'required':{'nodeSelectorTerms':[{'matchExpressions':[{'key':'zone','operator':'In'," \
    "'values':[" values "]}]}]}}}}"

static const char LABEL_VALUE_MSG[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
static const char NAME_PART_MSG[] =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

static const char *cat(char *buf, size_t n, const char *a, const char *b, const char *c2)
{
    snprintf(buf, n, "%s%s%s", a, b, c2 ? c2 : "");
    return buf;
}

static void test_node_affinity_values(void **state)
{
    (void)state;
    char want[2048];
    const char *req = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                      ".matchExpressions[0].values";
    check("", "Pod", PODS(REQ("'eu-1','','a.b_c'")), NULL, "");
    char path[512];
    snprintf(path, sizeof path, "%s[1]: Invalid value: \"a b\": ", req);
    check("", "Pod", PODS(REQ("'ok','a b'")), NULL, cat(want, sizeof want, path, LABEL_VALUE_MSG, NULL));
    /* one error per message: too long and a bad last character */
    char longv[80];
    memset(longv, 'x', 64);
    strcpy(longv + 64, "-");
    char obj[4096], exp[4096];
    snprintf(obj, sizeof obj, PODS(REQ("'%s'")), longv);
    snprintf(exp, sizeof exp,
             "[%s[0]: Invalid value: \"%s\": must be no more than 63 characters, %s[0]: Invalid value: \"%s\": %s]", req,
             longv, req, longv, LABEL_VALUE_MSG);
    check("", "Pod", obj, NULL, exp);
    /* after the key's messages; Gt/Lt values are label values too */
    snprintf(exp, sizeof exp,
             "[%s: Invalid value: \"-k\": %s, %s[0]: Invalid value: \"1/2\": %s]",
             "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
             ".matchExpressions[0].key",
             NAME_PART_MSG, req, LABEL_VALUE_MSG);
    check("", "Pod",
          PODS(",'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':"
               "[{'matchExpressions':[{'key':'-k','operator':'Gt','values':['1/2']}]}]}}}"),
          NULL, exp);
    /* preferred terms and matchFields are not checked as label values */
    check("", "Pod",
          PODS(",'affinity':{'nodeAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':1,"
               "'preference':{'matchExpressions':[{'key':'zone','operator':'In','values':['a b']}]}}]}}"),
          NULL, "");
    /* templates too */
    snprintf(exp, sizeof exp, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
             ".nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"a b\": %s", LABEL_VALUE_MSG);
    check("apps", "Deployment", DEPLOY(SPEC(CTR(""), REQ("'a b'"))), NULL, exp);
}

static void test_node_affinity_update(void **state)
{
    (void)state;
    char exp[2048];
    /* a pod that already had an invalid value may still be updated */
    check("", "Pod", POD_L("'x':'y'", SPEC(CTR(""), REQ("'a b'"))), POD(SPEC(CTR(""), REQ("'a b'"))), "");
    /* a template: an old invalid value allows any value in the new one */
    check("apps", "Deployment", DEPLOY(SPEC(CTR(""), REQ("'c d'"))), DEPLOY(SPEC(CTR(""), REQ("'a b'"))), "");
    /* an old valid one does not */
    snprintf(exp, sizeof exp, "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
             ".nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"c d\": %s", LABEL_VALUE_MSG);
    check("apps", "Deployment", DEPLOY(SPEC(CTR(""), REQ("'c d'"))), DEPLOY(SPEC(CTR(""), REQ("'ab'"))), exp);
    /* only the old required affinity counts, not a preferred one */
    check("apps", "Deployment", DEPLOY(SPEC(CTR(""), REQ("'c d'"))),
          DEPLOY(SPEC(CTR(""), ",'affinity':{'nodeAffinity':{'preferredDuringSchedulingIgnoredDuringExecution':[{"
                               "'weight':1,'preference':{'matchExpressions':[{'key':'z','operator':'In','values':["
                               "'a b']}]}}]}}")),
          exp);
    /* PersistentVolume: the same rule on spec.nodeAffinity.required */
    snprintf(exp, sizeof exp, "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]: "
             "Invalid value: \"a b\": %s", LABEL_VALUE_MSG);
    check("", "PersistentVolume", PV("'a b'"), NULL, exp);
    check("", "PersistentVolume", PV("'a b'"), PV("'a b'"), "");
}

static void test_topology_match_label_keys(void **state)
{
    (void)state;
    char exp[4096];
#define TSC(extra) ",'topologySpreadConstraints':[{'maxSkew':1,'topologyKey':'zone'," \
    "'whenUnsatisfiable':'DoNotSchedule'" extra "}]"
    check("", "Pod", PODS(TSC(",'labelSelector':{'matchLabels':{'app':'x'}},'matchLabelKeys':['pod-template-hash']")),
          NULL, "");
    check("", "Pod", PODS(TSC(",'matchLabelKeys':['pod-template-hash']")), NULL,
          "spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when labelSelector is "
          "not set");
    /* keys are still checked without a selector */
    snprintf(exp, sizeof exp,
             "[spec.topologySpreadConstraints[0].matchLabelKeys: Forbidden: must not be specified when labelSelector "
             "is not set, spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: \"-a\": %s]",
             NAME_PART_MSG);
    check("", "Pod", PODS(TSC(",'matchLabelKeys':['-a']")), NULL, exp);
    /* keys of matchLabels and matchExpressions; reported before the
     * labelSelector's own errors, after nodeTaintsPolicy */
    snprintf(exp, sizeof exp,
             "[spec.topologySpreadConstraints[0].nodeTaintsPolicy: Unsupported value: \"Maybe\": supported values: "
             "\"Honor\", \"Ignore\", "
             "spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: \"app\": exists in both "
             "matchLabelKeys and labelSelector, "
             "spec.topologySpreadConstraints[0].matchLabelKeys[2]: Invalid value: \"tier\": exists in both "
             "matchLabelKeys and labelSelector, "
             "spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values: Required value: must be "
             "specified when `operator` is 'In' or 'NotIn']");
    check("", "Pod",
          PODS(TSC(",'nodeTaintsPolicy':'Maybe','labelSelector':{'matchLabels':{'app':'x'},'matchExpressions':["
                   "{'key':'tier','operator':'In','values':[]}]},'matchLabelKeys':['app','ok','tier']")),
          NULL, exp);
    /* duplicates within matchLabelKeys are not an error in 1.33 */
    check("", "Pod", PODS(TSC(",'labelSelector':{'matchLabels':{'app':'x'}},'matchLabelKeys':['h','h']")), NULL, "");
#undef TSC
}

static void test_pod_affinity_match_label_keys(void **state)
{
    (void)state;
    const char *t = "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]";
    char exp[1024];
    /* a matchLabels key alone is not compared (1.33 only looks at a
     * matchExpressions key the selector already had) */
    check("", "Pod",
          PODS(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':"
               "{'matchLabels':{'app':'x'}},'matchLabelKeys':['app'],'topologyKey':'zone'}]}}"),
          NULL, "");
    /* reported at the term's path, indexed by the key's position */
    snprintf(exp, sizeof exp, "%s[1]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector", t);
    check("", "Pod",
          PODS(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':"
               "{'matchLabels':{'app':'x'},'matchExpressions':[{'key':'app','operator':'Exists'}]},"
               "'matchLabelKeys':['h','app'],'topologyKey':'zone'}]}}"),
          NULL, exp);
    check("", "Pod",
          PODS(",'affinity':{'podAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':"
               "{'matchExpressions':[{'key':'app','operator':'Exists'},{'key':'app','operator':'Exists'}]},"
               "'matchLabelKeys':['app','h'],'topologyKey':'zone'}]}}"),
          NULL, cat(exp, sizeof exp, t, "[0]: Invalid value: \"app\": exists in both matchLabelKeys and labelSelector",
                    NULL));
}

static void test_resize_policy(void **state)
{
    (void)state;
#define RP(list) ",'resizePolicy':[" list "]"
    check("", "Pod",
          POD(SPEC(CTR(RP("{'resourceName':'cpu','restartPolicy':'NotRequired'},"
                          "{'resourceName':'memory','restartPolicy':'RestartContainer'}")),
                   "")),
          NULL, "");
    check("", "Pod",
          POD(SPEC(CTR(RP("{'resourceName':'cpu','restartPolicy':'NotRequired'},"
                          "{'resourceName':'cpu','restartPolicy':'Sometimes'},"
                          "{'resourceName':'storage','restartPolicy':''},{}")),
                   "")),
          NULL,
          "[spec.containers[0].resizePolicy[1]: Duplicate value: \"cpu\", "
          "spec.containers[0].resizePolicy: Unsupported value: \"Sometimes\": supported values: \"NotRequired\", "
          "\"RestartContainer\", "
          "spec.containers[0].resizePolicy: Unsupported value: \"storage\": supported values: \"cpu\", \"memory\", "
          "spec.containers[0].resizePolicy: Required value]"); /* the aggregate drops repeated messages */
    /* restartPolicy Never: only NotRequired */
    check("", "Pod",
          POD(SPEC_RP("Never", CTR(RP("{'resourceName':'cpu','restartPolicy':'NotRequired'},"
                                     "{'resourceName':'memory','restartPolicy':'RestartContainer'}")),
                      "")),
          NULL,
          "spec.containers[0].resizePolicy: Invalid value: \"RestartContainer\": must be 'NotRequired' when "
          "`restartPolicy` is 'Never'");
    /* between resources and securityContext */
    check("", "Pod",
          POD(SPEC(CTR(",'resources':{'limits':{'cpu':'-1'}}" RP("{'resourceName':'gpu','restartPolicy':'NotRequired'}")
                       ",'securityContext':{'procMount':'Weird'}"),
                   "")),
          NULL,
          "[spec.containers[0].resources.limits[cpu]: Invalid value: \"-1\": must be greater than or equal to 0, "
          "spec.containers[0].resizePolicy: Unsupported value: \"gpu\": supported values: \"cpu\", \"memory\", "
          "spec.containers[0].securityContext.procMount: Unsupported value: \"Weird\": supported values: "
          "\"Default\", \"Unmasked\"]");
    /* init containers: allowed (AllowSidecarResizePolicy follows
     * InPlacePodVerticalScaling, on in 1.33), same checks; templates too */
    check("", "Pod",
          POD(SPEC(CTR(""), ",'initContainers':[{'name':'i','image':'x','terminationMessagePolicy':'File',"
                            "'imagePullPolicy':'Always'" RP("{'resourceName':'cpu','restartPolicy':'NotRequired'}") "}]")),
          NULL, "");
    check("", "Pod",
          POD(SPEC(CTR(""), ",'initContainers':[{'name':'i','image':'x','terminationMessagePolicy':'File',"
                            "'imagePullPolicy':'Always'" RP("{'resourceName':'disk','restartPolicy':'NotRequired'}") "}]")),
          NULL,
          "spec.initContainers[0].resizePolicy: Unsupported value: \"disk\": supported values: \"cpu\", \"memory\"");
    check("apps", "Deployment", DEPLOY(SPEC(CTR(RP("{'resourceName':'cpu'}")), "")), NULL,
          "spec.template.spec.containers[0].resizePolicy: Required value");
#undef RP
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_affinity_values),      cmocka_unit_test(test_node_affinity_update),
        cmocka_unit_test(test_topology_match_label_keys), cmocka_unit_test(test_pod_affinity_match_label_keys),
        cmocka_unit_test(test_resize_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
