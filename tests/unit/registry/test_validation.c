/* registry/validation: valid defaulted objects pass, and each rule yields
 * upstream's exact field path and message (checked through the aggregate
 * string the REST layer puts into a 422 Status). */
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

/* A defaulted container and pod spec, with %s holding extra container / spec members. */
#define CTR(extra) "{'name':'c','image':'nginx','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{},'schedulerName':'default-scheduler'" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"

static void test_pod_valid(void **state)
{
    (void)state;
    check("", "Pod", POD(SPEC(CTR(""), "")), NULL, "");
    check("", "Pod",
          POD(SPEC(CTR(",'ports':[{'name':'http','containerPort':80,'protocol':'TCP'}],"
                       "'env':[{'name':'my.var-1','value':'x'}],'volumeMounts':[{'name':'v','mountPath':'/d'}],"
                       "'resources':{'limits':{'cpu':'1'},'requests':{'cpu':'500m'}}"),
                   ",'volumes':[{'name':'v','emptyDir':{}}]")),
          NULL, "");
}

static void test_pod_containers(void **state)
{
    (void)state;
    check("", "Pod", POD("{'containers':[],'restartPolicy':'Always','dnsPolicy':'ClusterFirst'}"), NULL,
          "spec.containers: Required value");
    check("", "Pod", POD(SPEC("{'name':'','image':'','terminationMessagePolicy':'File','imagePullPolicy':'Always'}", "")),
          NULL, "[spec.containers[0].name: Required value, spec.containers[0].image: Required value]");
    check("", "Pod", POD(SPEC(CTR("") "," CTR(""), "")), NULL,
          "spec.containers[1].name: Duplicate value: \"c\"");
    check("", "Pod",
          POD(SPEC("{'name':'Bad_Name','image':'x','terminationMessagePolicy':'File','imagePullPolicy':'Always'}", "")),
          NULL,
          "spec.containers[0].name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 label must consist of lower "
          "case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
          "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
}

static void test_pod_ports(void **state)
{
    (void)state;
    check("", "Pod", POD(SPEC(CTR(",'ports':[{'containerPort':70000,'protocol':'TCP'},{'containerPort':80,'protocol':'XTP'}]"), "")),
          NULL,
          "[spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, "
          "spec.containers[0].ports[1].protocol: Unsupported value: \"XTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"]");
    check("", "Pod", POD(SPEC(CTR(",'ports':[{'name':'a','containerPort':1,'protocol':'TCP'},{'name':'a','containerPort':2,'protocol':'TCP'}]"), "")),
          NULL, "spec.containers[0].ports[1].name: Duplicate value: \"a\"");
    check("", "Pod", POD(SPEC(CTR(",'ports':[{'containerPort':0,'protocol':'TCP'}]"), "")), NULL,
          "spec.containers[0].ports[0].containerPort: Required value");
}

static void test_pod_policies(void **state)
{
    (void)state;
    check("", "Pod", POD("{'containers':[" CTR("") "],'restartPolicy':'Sometimes','dnsPolicy':'Nope'}"), NULL,
          "[spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\", "
          "spec.dnsPolicy: Unsupported value: \"Nope\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", "
          "\"Default\", \"None\"]");
    check("", "Pod", POD(SPEC("{'name':'c','image':'x','terminationMessagePolicy':'File','imagePullPolicy':'Sometimes'}", "")),
          NULL,
          "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
          "\"IfNotPresent\", \"Never\"");
}

static void test_pod_volumes_env_resources(void **state)
{
    (void)state;
    check("", "Pod", POD(SPEC(CTR(",'volumeMounts':[{'name':'x','mountPath':''}]"),
                              ",'volumes':[{'name':'v','emptyDir':{}},{'name':'v','emptyDir':{}}]")),
          NULL,
          "[spec.volumes[1].name: Duplicate value: \"v\", spec.containers[0].volumeMounts[0].name: Not found: \"x\", "
          "spec.containers[0].volumeMounts[0].mountPath: Required value]");
    check("", "Pod", POD(SPEC(CTR(",'env':[{'name':'A=B'}]"), "")), NULL,
          "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist "
          "only of printable ASCII characters other than '='");
    check("", "Pod", POD(SPEC(CTR(",'resources':{'limits':{'cpu':'500m'},'requests':{'cpu':'1'}}"), "")), NULL,
          "spec.containers[0].resources.requests: Invalid value: \"1\": must be less than or equal to cpu "
          "limit of 500m");
}

static void test_pod_update(void **state)
{
    (void)state;
    const char *old = POD(SPEC(CTR(""), ""));
    check("", "Pod", POD(SPEC("{'name':'c','image':'nginx:2','terminationMessagePath':'/dev/termination-log',"
                              "'terminationMessagePolicy':'File','imagePullPolicy':'Always'}", ",'activeDeadlineSeconds':5")),
          old, "");
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", "Pod", parse(pool, POD(SPEC(CTR(""), ",'hostname':'h'"))), parse(pool, old),
                       &errs);
    assert_int_equal(errs.len, 1);
    assert_string_equal(errs.items[0].field, "spec");
    assert_string_equal(errs.items[0].type, KAPI_FERR_FORBIDDEN);
    const char *prefix = "pod updates may not change fields other than `spec.containers[*].image`,"
                         "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                         "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                         "set to 1 if it was previously negative)\n";
    assert_memory_equal(errs.items[0].detail, prefix, strlen(prefix));
    assert_non_null(strstr(errs.items[0].detail, "hostname"));
    kapi_pool_free(pool);
}

#define TMPL(labels) "'template':{'metadata':{'labels':" labels "},'spec':" SPEC(CTR(""), "") "}"
#define DEPLOY(sel, extra) "{'metadata':{'name':'d','namespace':'default'},'spec':{'replicas':1," sel \
    TMPL("{'app':'x'}") ",'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':'25%','maxSurge':'25%'}}," \
    "'revisionHistoryLimit':10,'progressDeadlineSeconds':600" extra "}}"

static void test_deployment(void **state)
{
    (void)state;
    check("apps", "Deployment", DEPLOY("'selector':{'matchLabels':{'app':'x'}},", ""), NULL, "");
    check("apps", "Deployment", DEPLOY("", ""), NULL,
          "[spec.selector: Required value, spec.template.metadata.labels: Invalid value: "
          "map[string]string{\"app\":\"x\"}: `selector` does not match template `labels`]");
    check("apps", "Deployment", DEPLOY("'selector':{'matchLabels':{'app':'y'}},", ""), NULL,
          "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"x\"}: `selector` does not "
          "match template `labels`");
    check("apps", "Deployment", DEPLOY("'selector':{},", ""), NULL,
          "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
          "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment");
    check("apps", "Deployment",
          "{'metadata':{'name':'d'},'spec':{'replicas':-1,'selector':{'matchLabels':{'app':'x'}}," TMPL("{'app':'x'}")
          ",'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxUnavailable':0,'maxSurge':0}},'progressDeadlineSeconds':600}}",
          NULL,
          "[spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.strategy.rollingUpdate.maxUnavailable: "
          "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0]");
    check("apps", "Deployment", DEPLOY("'selector':{'matchLabels':{'app':'x'}},", ""),
          DEPLOY("'selector':{'matchLabels':{'app':'x','b':'c'}},", ""),
          "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"x\"}, "
          "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
}

static void test_job_cronjob(void **state)
{
    (void)state;
    const char *job = "{'metadata':{'name':'j'},'spec':{'parallelism':1,'completions':1,'backoffLimit':6,"
                      "'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b'}},'spec':"
                      SPEC(CTR(""), "") "}}}";
    check("batch", "Job", job, NULL,
          "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"");
    check("batch", "CronJob",
          "{'metadata':{'name':'cj'},'spec':{'schedule':'* * *','concurrencyPolicy':'Sometimes','jobTemplate':{'spec':"
          "{'template':{'spec':{'containers':[" CTR("") "],'restartPolicy':'Never','dnsPolicy':'ClusterFirst'}}}}}}",
          NULL,
          "[spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: * * *, spec.concurrencyPolicy: "
          "Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"]");
    check("batch", "CronJob",
          "{'metadata':{'name':'cj'},'spec':{'schedule':'@hourly','concurrencyPolicy':'Allow','jobTemplate':{'spec':"
          "{'template':{'spec':{'containers':[" CTR("") "],'restartPolicy':'OnFailure','dnsPolicy':'ClusterFirst'}}}}}}",
          NULL, "");
}

static void test_service(void **state)
{
    (void)state;
    /* defaulted as the REST layer hands them over; the rules: test_validation_svc.c */
#define SVCD "'sessionAffinity':'None','internalTrafficPolicy':'Cluster'"
    check("", "Service", "{'spec':{'type':'ClusterIP'," SVCD ",'ports':[{'port':80,'protocol':'TCP','targetPort':80}]}}",
          NULL, "");
    check("", "Service", "{'spec':{'type':'ClusterIP'," SVCD "}}", NULL, "spec.ports: Required value");
    check("", "Service",
          "{'spec':{'type':'ClusterIP'," SVCD ",'ports':[{'port':80,'protocol':'TCP','targetPort':80},"
          "{'port':70000,'protocol':'TCP','targetPort':80}]}}",
          NULL,
          "[spec.ports[0].name: Required value, spec.ports[1].name: Required value, spec.ports[1].port: Invalid value: "
          "70000: must be between 1 and 65535, inclusive]");
    check("", "Service", "{'spec':{'type':'ExternalName','sessionAffinity':'None'}}", NULL,
          "spec.externalName: Required value");
#undef SVCD
}

static void test_configmap_secret(void **state)
{
    (void)state;
    check("", "ConfigMap", "{'data':{'a b':'x'}}", NULL,
          "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' "
          "or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    check("", "ConfigMap", "{'data':{'k':'y'},'immutable':true}", "{'data':{'k':'x'},'immutable':true}",
          "data: Forbidden: field is immutable when `immutable` is set");
    check("", "Secret", "{'type':'kubernetes.io/tls','data':{'tls.crt':'eA=='}}", NULL, "data[tls.key]: Required value");
    check("", "Secret", "{'type':'Opaque','data':{}}", "{'type':'kubernetes.io/tls','data':{}}",
          "type: Invalid value: \"Opaque\": field is immutable");
    /* the edges of a valid key, in data and binaryData and a Secret's data */
#define KEYERR "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  " \
               "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    check("", "ConfigMap", "{'data':{'.a':'','a..':'','-_.':''},'binaryData':{'.b':''}}", NULL, "");
    check("", "ConfigMap", "{'data':{'.':'','':''},'binaryData':{'..':'','..x':''}}", NULL,
          "[data[.]: Invalid value: \".\": must not be '.', data[]: Invalid value: \"\": " KEYERR ", binaryData[..]: "
          "Invalid value: \"..\": must not be '..', binaryData[..x]: Invalid value: \"..x\": must not start with '..']");
    check("", "Secret", "{'type':'Opaque','data':{'..':'','ok':'','a/b':''}}", NULL,
          "[data[..]: Invalid value: \"..\": must not be '..', data[a/b]: Invalid value: \"a/b\": " KEYERR "]");
    {
        char k253[254], k254[255], in[700], want[1200];
        memset(k253, 'k', 253);
        k253[253] = 0;
        memset(k254, 'k', 254);
        k254[254] = 0;
        snprintf(in, sizeof(in), "{'data':{'%s':''}}", k253);
        check("", "ConfigMap", in, NULL, "");
        snprintf(in, sizeof(in), "{'binaryData':{'%s':''}}", k254);
        snprintf(want, sizeof(want), "binaryData[%s]: Invalid value: \"%s\": must be no more than 253 characters",
                 k254, k254);
        check("", "ConfigMap", in, NULL, want);
    }
#undef KEYERR
}

static void test_other_groups(void **state)
{
    (void)state;
    const char *rbac = "rbac.authorization.k8s.io";
    check(rbac, "Role", "{'rules':[{'apiGroups':[''],'resources':['pods'],'verbs':['get']}]}", NULL, "");
    check(rbac, "Role", "{'rules':[{'apiGroups':[''],'resources':['pods'],'verbs':[]}]}", NULL,
          "rules[0].verbs: Required value: verbs must contain at least one value");
    const char *rb = "{'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'a'},"
                     "'subjects':[{'kind':'User','name':'u'}]}";
    check(rbac, "RoleBinding", rb, NULL, "");
    check(rbac, "RoleBinding", rb,
          "{'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'b'}}",
          "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", "
          "Name:\"a\"}: cannot change roleRef");
    check("policy", "PodDisruptionBudget", "{'spec':{'minAvailable':1,'maxUnavailable':'10%'}}", NULL,
          "spec.minAvailable: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:\"\"}: minAvailable "
          "and maxUnavailable cannot be both set");
    check("scheduling.k8s.io", "PriorityClass", "{'metadata':{'name':'system-x'},'value':5}", NULL,
          "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only");
    check("storage.k8s.io", "StorageClass", "{'reclaimPolicy':'Delete'}", NULL, "provisioner: Required value");
    check("networking.k8s.io", "Ingress",
          "{'spec':{'rules':[{'http':{'paths':[{'path':'/','pathType':'Sideways','backend':{'service':{'name':'s'}}}]}}]}}",
          NULL,
          "spec.rules[0].http.paths[0].pathType: Unsupported value: \"Sideways\": supported values: \"Exact\", "
          "\"ImplementationSpecific\", \"Prefix\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_valid),          cmocka_unit_test(test_pod_containers),
        cmocka_unit_test(test_pod_ports),          cmocka_unit_test(test_pod_policies),
        cmocka_unit_test(test_pod_volumes_env_resources), cmocka_unit_test(test_pod_update),
        cmocka_unit_test(test_deployment),         cmocka_unit_test(test_job_cronjob),
        cmocka_unit_test(test_service),            cmocka_unit_test(test_configmap_secret),
        cmocka_unit_test(test_other_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
