/* registry/validation/apps: Job podFailurePolicy, successPolicy, indexed
 * completion and restartPolicy rules, and the StatefulSet spec fields an
 * update may not change (volumeClaimTemplates among them), with
 * kube-apiserver 1.33's exact messages. */
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
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

#define CTR "{'name':'c','image':'nginx','terminationMessagePolicy':'File','imagePullPolicy':'Always'}"
#define TSPEC(rp) "{'containers':[" CTR "],'restartPolicy':'" rp "','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{}}"
#define JOB(extra, rp) "{'metadata':{'name':'j'},'spec':{'selector':{'matchLabels':{'a':'b'}},'template':{" \
    "'metadata':{'labels':{'a':'b'}},'spec':" TSPEC(rp) "}" extra "}}"

static void test_job_restart_policy(void **state)
{
    (void)state;
    check("batch", "Job", JOB("", "Never"), NULL, "");
    check("batch", "Job", JOB("", "Always"), NULL,
          "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"");
    check("batch", "Job", JOB(",'podFailurePolicy':{'rules':[{'action':'Ignore','onPodConditions':[{'type':"
                              "'DisruptionTarget','status':'True'}]}]}",
                              "OnFailure"),
          NULL,
          "spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when "
          "podFailurePolicy is specified");
}

static void test_pod_failure_policy(void **state)
{
    (void)state;
    check("batch", "Job",
          JOB(",'podFailurePolicy':{'rules':[{'action':'FailJob','onExitCodes':{'containerName':'c','operator':'In',"
              "'values':[1,2,3]}},{'action':'Ignore','onPodConditions':[{'type':'DisruptionTarget','status':'True'}]}]}",
              "Never"),
          NULL, "");
    check("batch", "Job",
          JOB(",'podFailurePolicy':{'rules':[{'onExitCodes':{'containerName':'x','operator':'Within','values':"
              "[0,3,3,1]}},{'action':'Explode'},{'action':'FailIndex','onPodConditions':[{'type':'Ready'}]}]}",
              "Never"),
          NULL,
          "[spec.podFailurePolicy.rules[0].action: Required value: valid values: [\"Count\" \"FailIndex\" \"FailJob\" "
          "\"Ignore\"], spec.podFailurePolicy.rules[0].onExitCodes.operator: Unsupported value: \"Within\": supported "
          "values: \"In\", \"NotIn\", spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: \"x\": "
          "must be one of the container or initContainer names in the pod template, "
          "spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3, "
          "spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 3, 3, 1}: must be ordered, "
          "spec.podFailurePolicy.rules[1].action: Unsupported value: \"Explode\": supported values: \"Count\", "
          "\"FailIndex\", \"FailJob\", \"Ignore\", spec.podFailurePolicy.rules[1]: Invalid value: specifying one of "
          "OnExitCodes and OnPodConditions is required, spec.podFailurePolicy.rules[2].action: Invalid value: "
          "\"FailIndex\": requires the backoffLimitPerIndex to be set, "
          "spec.podFailurePolicy.rules[2].onPodConditions[0].status: Required value: valid values: [\"False\" \"True\" "
          "\"Unknown\"]]");
    check("batch", "Job",
          JOB(",'podFailurePolicy':{'rules':[{'action':'Count','onExitCodes':{'operator':'In','values':[0]}}]}",
              "Never"),
          NULL, "spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator");
}

static void test_success_policy_and_indexes(void **state)
{
    (void)state;
    check("batch", "Job", JOB(",'successPolicy':{'rules':[{'succeededCount':1}]}", "Never"), NULL,
          "spec.successPolicy: Invalid value: batch.SuccessPolicy{Rules:[]batch.SuccessPolicyRule{batch.SuccessPolicyRule"
          "{SucceededIndexes:(*string)(nil), SucceededCount:(*int32)(0xc000000000)}}}: requires indexed completion mode");
    check("batch", "Job",
          JOB(",'completionMode':'Indexed','completions':5,'successPolicy':{'rules':[{'succeededIndexes':'0-2,2',"
              "'succeededCount':9},{}]}",
              "Never"),
          NULL,
          "[spec.successPolicy.rules[0].succeededIndexes: Invalid value: \"0-2,2\": error parsing succeededIndexes: "
          "non-increasing order, previous: 2, current: 2, spec.successPolicy.rules[0].succeededCount: Invalid value: 9: "
          "must be less than or equal to 5 (the number of specified completions), "
          "spec.successPolicy.rules[0].succeededCount: Invalid value: 9: must be less than or equal to 0 (the number of "
          "indexes in the specified succeededIndexes field), spec.successPolicy.rules[1]: Required value: at least one "
          "of succeededCount or succeededIndexes must be specified]");
    check("batch", "Job",
          JOB(",'completionMode':'Indexed','completions':3,'successPolicy':{'rules':[{'succeededIndexes':'1-x'}]}",
              "Never"),
          NULL,
          "spec.successPolicy.rules[0].succeededIndexes: Invalid value: \"1-x\": error parsing succeededIndexes: cannot "
          "convert string to integer for index: \"x\"");
    check("batch", "Job", JOB(",'completionMode':'Indexed','maxFailedIndexes':1", "Never"), NULL,
          "[spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified, spec.completions: Required "
          "value: when completion mode is Indexed]");
    check("batch", "Job", JOB(",'backoffLimitPerIndex':1", "Never"), NULL,
          "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode");
    check("batch", "Job", JOB(",'podReplacementPolicy':'Sometimes'", "Never"), NULL,
          "spec.podReplacementPolicy: Unsupported value: \"Sometimes\": supported values: \"Failed\", "
          "\"TerminatingOrFailed\"");
}

#define STS(vct, extra) "{'metadata':{'name':'s'},'spec':{'serviceName':'s','podManagementPolicy':'OrderedReady'," \
    "'updateStrategy':{'type':'RollingUpdate'},'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{" \
    "'labels':{'a':'b'}},'spec':" TSPEC("Always") "},'volumeClaimTemplates':[" vct "]" extra "}}"
#define VCT(size) "{'metadata':{'name':'data'},'spec':{'accessModes':['ReadWriteOnce'],'resources':{'requests':{" \
    "'storage':'" size "'}}}}"

static void test_statefulset(void **state)
{
    (void)state;
    check("apps", "StatefulSet", STS(VCT("1Gi"), ",'replicas':3"), STS(VCT("1Gi"), ",'replicas':1"), "");
    check("apps", "StatefulSet", STS(VCT("2Gi"), ""), STS(VCT("1Gi"), ""),
          "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
          "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
          "forbidden");
    check("apps", "StatefulSet",
          STS(VCT("1Gi"), ",'persistentVolumeClaimRetentionPolicy':{'whenDeleted':'Keep','whenScaled':'Retain'}"), NULL,
          "spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: \"Keep\": supported values: "
          "\"Retain\", \"Delete\"");
    /* the pod spec is left to pod creation: a mount of a claim template is fine */
    check("apps", "StatefulSet",
          "{'metadata':{'name':'s'},'spec':{'serviceName':'s','podManagementPolicy':'Sideways','updateStrategy':{"
          "'type':'RollingUpdate'},'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b',"
          "'bad key!':'x'}},'spec':{'containers':[{'name':'c','image':'i','volumeMounts':[{'name':'data',"
          "'mountPath':'/d'}]}],'restartPolicy':'Always','activeDeadlineSeconds':5}},'volumeClaimTemplates':["
          VCT("1Gi") "]}}",
          NULL,
          "[spec.podManagementPolicy: Invalid value: \"Sideways\": must be 'OrderedReady' or 'Parallel', "
          "spec.template.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', "
          "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
          "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
          "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not "
          "Supported]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_restart_policy),
        cmocka_unit_test(test_pod_failure_policy),
        cmocka_unit_test(test_success_policy_and_indexes),
        cmocka_unit_test(test_statefulset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
