/* registry/validation: the PodSpec rules after the Windows ones
 * (validateHostUsers, runtimeClassName, preemptionPolicy, overhead and the
 * container resource names), the pod annotation rules (mirror pod, seccomp
 * and AppArmor annotations, their update rules) and the annotation/field
 * consistency checks of pod creation and pod templates, each with
 * kube-apiserver 1.33's field path, message and order (checked through the
 * aggregate string the REST layer puts into a 422 Status). */
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

/* Validates obj (an update of old when old is set); the aggregate must be
 * want and, when n >= 0, the list must hold n errors. */
static void check_n(const char *group, const char *kind, const char *obj, const char *old, const char *want, int n)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, group, "v1", kind, parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    if (n >= 0 && errs.len != (size_t)n)
        fail_msg("%s: %zu errors, want %d", kind, errs.len, n);
    kapi_pool_free(pool);
}

static void check(const char *obj, const char *want) { check_n("", "Pod", obj, NULL, want, -1); }

#define CTR(name, extra) "{'name':'" name "','image':'img','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','schedulerName':'default-scheduler'" extra "}"
#define POD_A(ann, spec) "{'metadata':{'name':'p','namespace':'default'" ann "},'spec':" spec "}"
#define POD(spec) POD_A("", spec)
/* one container c with extra members, pod-level extra */
#define POD1(cextra, pextra) POD(SPEC(CTR("c", cextra), pextra))
#define ANN(a) ",'annotations':{" a "}"
#define SECCOMP_POD "seccomp.security.alpha.kubernetes.io/pod"
#define SECCOMP_C "container.seccomp.security.alpha.kubernetes.io/"
#define APPARMOR_C "container.apparmor.security.beta.kubernetes.io/"

static const char SUBDOMAIN_MSG[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

static void test_valid(void **state)
{
    (void)state;
    check(POD1("", ",'hostUsers':false,'runtimeClassName':'gvisor','preemptionPolicy':'Never',"
                   "'overhead':{'cpu':'250m','memory':'120Mi','example.com/dongle':'1','hugepages-2Mi':'4Mi'}"),
          "");
    check(POD1("", ",'preemptionPolicy':'PreemptLowerPriority','hostUsers':true,'hostNetwork':true,'hostPID':true"),
          "");
    /* annotations that agree with the fields, and ones without a field */
    check(POD_A(ANN("'" SECCOMP_POD "':'runtime/default','" SECCOMP_C "c':'localhost/prof/a.json',"
                    "'" SECCOMP_C "other':'docker/default','" APPARMOR_C "c':'localhost/k8s-nginx',"
                    "'" APPARMOR_C "d':'unconfined'"),
                SPEC(CTR("c", ",'securityContext':{'seccompProfile':{'type':'Localhost','localhostProfile':"
                              "'prof/a.json'},'appArmorProfile':{'type':'Localhost','localhostProfile':'k8s-nginx'}}")
                     "," CTR("d", ""),
                     ",'securityContext':{'seccompProfile':{'type':'RuntimeDefault'},"
                     "'appArmorProfile':{'type':'Unconfined'}}")),
          "");
    check(POD_A(ANN("'kubernetes.io/config.mirror':'x','" APPARMOR_C "c':''"), SPEC(CTR("c", ""), ",'nodeName':'n1'")),
          "");
    /* container resources: extended resources with equal request and limit */
    check(POD1(",'resources':{'limits':{'example.com/gpu':'2','cpu':'1'},'requests':{'example.com/gpu':'2',"
               "'kubernetes.io/x':'1'}}", ""),
          "");
}

static void test_host_users(void **state)
{
    (void)state;
    check(POD1("", ",'hostUsers':false,'hostNetwork':true,'hostPID':true,'hostIPC':true"),
          "[spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false, "
          "spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false, "
          "spec.HostIPC: Forbidden: when `pod.Spec.HostUsers` is false]");
    /* after hostProcess (validateWindowsHostProcessPod), before serviceAccountName */
    check(POD1(",'securityContext':{'windowsOptions':{'hostProcess':true}}",
               ",'hostUsers':false,'hostPID':true,'serviceAccountName':'Bad_SA'"),
          "[spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess "
          "containers, spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false, "
          "spec.serviceAccountName: Invalid value: \"Bad_SA\": " "a lowercase RFC 1123 subdomain must consist of "
          "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
          "(e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
    /* hostUsers unset or true: nothing */
    check(POD1("", ",'hostNetwork':true,'hostIPC':true"), "");
}

static void test_runtime_class_preemption(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof want, "spec.runtimeClassName: Invalid value: \"Bad_Class\": %s", SUBDOMAIN_MSG);
    check(POD1("", ",'runtimeClassName':'Bad_Class'"), want);
    /* set to "" is checked too */
    snprintf(want, sizeof want, "spec.runtimeClassName: Invalid value: \"\": %s", SUBDOMAIN_MSG);
    check(POD1("", ",'runtimeClassName':''"), want);
    check(POD1("", ",'preemptionPolicy':'Sometimes'"),
          "spec.preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", "
          "\"Never\"");
    check(POD1("", ",'preemptionPolicy':''"), "spec.preemptionPolicy: Required value");
    /* order: priorityClassName, runtimeClassName, preemptionPolicy, overhead, os */
    check(POD1("", ",'os':{'name':'plan9'},'overhead':{'cpu':'-1'},'preemptionPolicy':'X','runtimeClassName':'a_b',"
                   "'priorityClassName':'P'"),
          "[spec.priorityClassName: Invalid value: \"P\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
          "[a-z0-9])?)*'), spec.runtimeClassName: Invalid value: \"a_b\": a lowercase RFC 1123 subdomain must "
          "consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
          "character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]"
          "([-a-z0-9]*[a-z0-9])?)*'), spec.preemptionPolicy: Unsupported value: \"X\": supported values: "
          "\"PreemptLowerPriority\", \"Never\", spec.overhead.limits[cpu]: Invalid value: \"-1\": must be greater "
          "than or equal to 0, spec.os: Unsupported value: \"plan9\": supported values: \"linux\", \"windows\"]");
}

static void test_overhead(void **state)
{
    (void)state;
    check(POD1("", ",'overhead':{'cpu':'-100m','foo':'1','hugepages-2Mi':'3Mi','example.com/a':'1'}"),
          "[spec.overhead.limits[cpu]: Invalid value: \"-100m\": must be greater than or equal to 0, "
          "spec.overhead.limits[foo]: Invalid value: \"foo\": must be a standard resource type or fully qualified, "
          "spec.overhead.limits[foo]: Invalid value: \"foo\": must be a standard resource for containers, "
          "spec.overhead.limits[hugepages-2Mi]: Invalid value: \"3Mi\": 3Mi is not positive integer multiple of "
          "hugepages-2Mi]");
    /* a standard name that is not a container resource; a bad qualified name */
    check(POD1("", ",'overhead':{'pods':'1','a/b/c':'1','requests.example.com/x':'1'}"),
          "[spec.overhead.limits[pods]: Invalid value: \"pods\": must be a standard resource for containers, "
          "spec.overhead.limits[a/b/c]: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric "
          "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
          "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with "
          "an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'), "
          "spec.overhead.limits[a/b/c]: Invalid value: \"a/b/c\": doesn't follow extended resource name standard, "
          "spec.overhead.limits[requests.example.com/x]: Invalid value: \"requests.example.com/x\": doesn't follow "
          "extended resource name standard]");
    /* hugepages alone */
    check(POD1("", ",'overhead':{'hugepages-1Gi':'1Gi'}"), "spec.overhead: Forbidden: HugePages require cpu or memory");
    check(POD1("", ",'overhead':{'hugepages-x':'1Gi','memory':'1Gi'}"),
          "spec.overhead.limits[hugepages-x]: Invalid value: \"1Gi\": 1Gi is not positive integer multiple of "
          "hugepages-x");
}

static void test_container_resources(void **state)
{
    (void)state;
    check(POD1(",'resources':{'requests':{'example.com/gpu':'1'}}", ""),
          "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources");
    check(POD1(",'resources':{'limits':{'example.com/gpu':'2'},'requests':{'example.com/gpu':'1','cpu':'2'}}", ""),
          "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2");
    check(POD1(",'resources':{'limits':{'hugepages-2Mi':'2Mi','memory':'1Gi'},'requests':{'hugepages-2Mi':'4Mi',"
               "'bogus':'1'}}", ""),
          "[spec.containers[0].resources.requests: Invalid value: \"4Mi\": must be equal to hugepages-2Mi limit of "
          "2Mi, spec.containers[0].resources.requests[bogus]: Invalid value: \"bogus\": must be a standard "
          "resource type or fully qualified, spec.containers[0].resources.requests[bogus]: Invalid value: "
          "\"bogus\": must be a standard resource for containers]");
}

static void test_annotations(void **state)
{
    (void)state;
    /* before the spec's errors */
    check(POD_A(ANN("'" SECCOMP_POD "':'bogus','" SECCOMP_C "c':'localhost/../x','" APPARMOR_C "x':'foo',"
                    "'" APPARMOR_C "c':'runtime/default'"),
                "{'containers':[" CTR("c", "") "],'restartPolicy':'Sometimes','dnsPolicy':'ClusterFirst'}"),
          "[metadata.annotations.seccomp.security.alpha.kubernetes.io/pod: Invalid value: \"bogus\": must be a "
          "valid seccomp profile, "
          "metadata.annotations.container.seccomp.security.alpha.kubernetes.io/c: Invalid value: \"../x\": must "
          "not contain '..', "
          "metadata.annotations[container.apparmor.security.beta.kubernetes.io/x]: Invalid value: \"x\": "
          "container not found, "
          "metadata.annotations[container.apparmor.security.beta.kubernetes.io/x]: Invalid value: \"foo\": invalid "
          "AppArmor profile name: \"foo\", "
          "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", "
          "\"Never\"]");
    check(POD_A(ANN("'" SECCOMP_C "c':'localhost//abs'"), SPEC(CTR("c", ""), "")),
          "metadata.annotations.container.seccomp.security.alpha.kubernetes.io/c: Invalid value: \"/abs\": must be "
          "a relative path");
    /* init and ephemeral containers count as containers for AppArmor */
    check_n("", "Pod",
            POD_A(ANN("'" APPARMOR_C "i':'unconfined'"),
                  SPEC(CTR("c", ""), ",'initContainers':[" CTR("i", "") "]")),
            NULL, "", 0);
    check(POD_A(ANN("'kubernetes.io/config.mirror':'abc'"), SPEC(CTR("c", ""), "")),
          "metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"abc\": must set spec.nodeName if "
          "mirror pod annotation is set");
}

/* the seccomp/AppArmor annotations on a pod with one container c */
#define SC_POD(ann, csc, psc) POD_A(ANN(ann), SPEC(CTR("c", ",'securityContext':{" csc "}"), ",'securityContext':{" psc "}"))

static void test_match_on_create(void **state)
{
    (void)state;
    check(SC_POD("'" SECCOMP_POD "':'unconfined'", "", "'seccompProfile':{'type':'RuntimeDefault'}"),
          "spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match");
    check(SC_POD("'" SECCOMP_POD "':'localhost/a'", "", "'seccompProfile':{'type':'Unconfined'}"),
          "spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match");
    check(SC_POD("'" SECCOMP_C "c':'localhost/b.json'",
                 "'seccompProfile':{'type':'Localhost','localhostProfile':'a.json'}", ""),
          "spec.containers[0].securityContext.seccompProfile.localhostProfile: Forbidden: seccomp profile in "
          "annotation and field must match");
    check(SC_POD("'" SECCOMP_C "c':'runtime/default'",
                 "'seccompProfile':{'type':'Localhost','localhostProfile':'a.json'}", ""),
          "spec.containers[0].securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field "
          "must match");
    /* the container's seccomp key is not checked against the pod field */
    check(SC_POD("'" SECCOMP_C "c':'unconfined'", "", "'seccompProfile':{'type':'RuntimeDefault'}"), "");
    /* AppArmor: the pod profile stands in for the container's */
    check(SC_POD("'" APPARMOR_C "c':'unconfined'", "", "'appArmorProfile':{'type':'RuntimeDefault'}"),
          "spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and "
          "field must match");
    check(SC_POD("'" APPARMOR_C "c':'localhost/other'", "'appArmorProfile':{'type':'Localhost','localhostProfile':"
                 "'mine'}", "'appArmorProfile':{'type':'Unconfined'}"),
          "spec.containers[0].securityContext.appArmorProfile.localhostProfile: Forbidden: apparmor profile in "
          "annotation and field must match");
    check(SC_POD("'" APPARMOR_C "c':'runtime/default'", "'appArmorProfile':{'type':'Unconfined'}", ""),
          "spec.containers[0].securityContext.appArmorProfile.type: Forbidden: apparmor type in annotation and "
          "field must match");
    /* skipped for windows pods (which forbid the fields anyway) */
    check(POD_A(ANN("'" APPARMOR_C "c':'unconfined'"),
                SPEC(CTR("c", ",'securityContext':{'appArmorProfile':{'type':'RuntimeDefault'}}"),
                     ",'os':{'name':'windows'}")),
          "spec.containers[0].securityContext.appArmorProfile: Forbidden: cannot be set for a windows pod");
    /* after the ephemeral containers and scheduling gates rules */
    check(POD_A(ANN("'" SECCOMP_POD "':'unconfined'"),
                SPEC(CTR("c", ""), ",'securityContext':{'seccompProfile':{'type':'RuntimeDefault'}},'nodeName':'n1',"
                                   "'schedulingGates':[{'name':'g'}]")),
          "[spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared, "
          "spec.securityContext.seccompProfile.type: Forbidden: seccomp type in annotation and field must match]");
}

static void test_update(void **state)
{
    (void)state;
    /* the consistency checks are for create only */
    const char *mism = SC_POD("'" SECCOMP_POD "':'unconfined'", "", "'seccompProfile':{'type':'RuntimeDefault'}");
    check_n("", "Pod", mism, mism, "", 0);
    const char *plain = POD1("", "");
    check_n("", "Pod", POD_A(ANN("'" APPARMOR_C "c':'unconfined'"), SPEC(CTR("c", ""), "")), plain,
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: Forbidden: may not add "
            "AppArmor annotations",
            1);
    check_n("", "Pod", plain, POD_A(ANN("'" APPARMOR_C "c':'unconfined'"), SPEC(CTR("c", ""), "")),
            "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: Forbidden: may not remove or "
            "update AppArmor annotations",
            1);
    check_n("", "Pod", POD_A(ANN("'kubernetes.io/config.mirror':'b'"), SPEC(CTR("c", ""), ",'nodeName':'n'")),
            POD_A(ANN("'kubernetes.io/config.mirror':'a'"), SPEC(CTR("c", ""), ",'nodeName':'n'")),
            "metadata.annotations[kubernetes.io/config.mirror]: Forbidden: may not remove or update mirror pod "
            "annotation",
            1);
    /* the annotation rules run twice on update: the list holds the error twice */
    const char *bad = POD_A(ANN("'" SECCOMP_POD "':'bogus'"), SPEC(CTR("c", ""), ""));
    check_n("", "Pod", bad, bad,
            "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod: Invalid value: \"bogus\": must be a "
            "valid seccomp profile",
            2);
}

#define TMPL(ann, spec) "{'metadata':{'labels':{'app':'x'}" ann "},'spec':" spec "}"

static void test_templates(void **state)
{
    (void)state;
    check_n("", "PodTemplate",
            "{'metadata':{'name':'t'},'template':" TMPL(ANN("'" SECCOMP_POD "':'unconfined','" APPARMOR_C "z':'x'"),
                                                         SPEC(CTR("c", ""), ",'securityContext':{'seccompProfile':"
                                                                            "{'type':'RuntimeDefault'}}")) "}",
            NULL,
            "[template.annotations[container.apparmor.security.beta.kubernetes.io/z]: Invalid value: \"z\": "
            "container not found, template.annotations[container.apparmor.security.beta.kubernetes.io/z]: Invalid "
            "value: \"x\": invalid AppArmor profile name: \"x\", template.spec.securityContext.seccompProfile.type: "
            "Forbidden: seccomp type in annotation and field must match]",
            3);
    check_n("apps", "Deployment",
            "{'metadata':{'name':'d'},'spec':{'replicas':1,'selector':{'matchLabels':{'app':'x'}},'strategy':{"
            "'type':'Recreate'},'revisionHistoryLimit':10,'progressDeadlineSeconds':600,'template':"
            TMPL(",'annotations':{'bad key!':'v'}",
                 SPEC(CTR("c", ""), ",'runtimeClassName':'A','overhead':{'memory':'-1'}")) "}}",
            NULL,
            "[spec.template.annotations: Invalid value: \"bad key!\": name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  "
            "or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
            "spec.template.spec.runtimeClassName: Invalid value: \"A\": a lowercase RFC 1123 subdomain must consist "
            "of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]"
            "([-a-z0-9]*[a-z0-9])?)*'), spec.template.spec.overhead.limits[memory]: Invalid value: \"-1\": must be "
            "greater than or equal to 0]",
            3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_host_users),
        cmocka_unit_test(test_runtime_class_preemption),
        cmocka_unit_test(test_overhead),
        cmocka_unit_test(test_container_resources),
        cmocka_unit_test(test_annotations),
        cmocka_unit_test(test_match_on_create),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
