/* registry/validation: Windows pods. spec.os (validateOS, then the Linux or
 * Windows restrictions), windowsOptions of the pod and container security
 * contexts and hostProcess, each with kube-apiserver 1.33's field path,
 * message and order (checked through the aggregate string the REST layer
 * puts into a 422 Status). */
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

static void check(const char *group, const char *kind, const char *obj, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, group, "v1", kind, parse(pool, obj), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}

#define CTR(name, extra) "{'name':'" name "','image':'img','terminationMessagePath':'/dev/termination-log'," \
    "'terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','schedulerName':'default-scheduler'" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"
#define WIN ",'os':{'name':'windows'}"
/* a pod with one container carrying extra, and pod-level extra */
#define POD1(cextra, pextra) POD(SPEC(CTR("c", cextra), pextra))
/* windowsOptions on the container */
#define WO(o) ",'securityContext':{'windowsOptions':{" o "}}"
#define RUNAS(u) POD1(WO("'runAsUserName':'" u "'"), WIN ",'securityContext':{}")

static void test_valid(void **state)
{
    (void)state;
    check("", "Pod",
          POD1(WO("'gmsaCredentialSpecName':'webapp-spec','gmsaCredentialSpec':'{}',"
                  "'runAsUserName':'NT AUTHORITY\\\\NETWORK SERVICE'"),
               WIN ",'securityContext':{'windowsOptions':{'runAsUserName':'ContainerUser'}},'hostNetwork':true"),
          "");
    /* hostProcess inherited from the pod, set again on a container */
    check("", "Pod",
          POD(SPEC(CTR("a", "") "," CTR("b", WO("'hostProcess':true")),
                   WIN ",'hostNetwork':true,'securityContext':{'windowsOptions':{'hostProcess':true}}")),
          "");
    /* all containers hostProcess false: nothing to check */
    check("", "Pod", POD1(WO("'hostProcess':false"), ",'securityContext':{}"), "");
    /* os.name linux with Linux settings, and the DNS domain form */
    check("", "Pod",
          POD1(",'securityContext':{'runAsUser':0,'capabilities':{'add':['NET_ADMIN']}}",
               ",'os':{'name':'linux'},'hostPID':true,'securityContext':{'fsGroup':1,'sysctls':[]}"),
          "");
    check("", "Pod", RUNAS("corp.example-1.COM\\\\svc.account"), "");
    /* NetBIOS domains count runes: 15 two-byte runes are fine */
    check("", "Pod", RUNAS("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                           "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\\\u"),
          "");
}

static void test_os_name(void **state)
{
    (void)state;
    check("", "Pod", POD1("", ",'os':{}"), "spec.os.name: Required value: cannot be empty");
    /* an unknown OS gets neither the Linux nor the Windows rules */
    check("", "Pod", POD1(WO("'hostProcess':false"), ",'os':{'name':'Windows'},'hostPID':true"),
          "spec.os: Unsupported value: \"Windows\": supported values: \"linux\", \"windows\"");
    /* linux: windowsOptions of the pod, then of init, regular and ephemeral containers */
    check("", "Pod",
          POD(SPEC(CTR("c", WO("")),
                   ",'os':{'name':'linux'},'securityContext':{'windowsOptions':{}},"
                   "'initContainers':[" CTR("i", WO("'runAsUserName':'x'")) "]")),
          "[spec.securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod, "
          "spec.initContainers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod, "
          "spec.containers[0].securityContext.windowsOptions: Forbidden: windows options cannot be set for a linux pod]");
}

static void test_windows_pod_fields(void **state)
{
    (void)state;
    /* every Linux-only pod setting, in upstream's order (hostUsers, hostPID,
     * hostIPC and shareProcessNamespace have paths beside securityContext) */
    check("", "Pod",
          POD1("", WIN ",'hostUsers':true,'hostPID':true,'hostIPC':true,'shareProcessNamespace':false,"
                   "'securityContext':{'seLinuxChangePolicy':'Recursive','supplementalGroupsPolicy':'Merge',"
                   "'supplementalGroups':[],'runAsGroup':1,'runAsUser':1,'sysctls':[{'name':'a.b','value':'1'}],"
                   "'fsGroupChangePolicy':'Always','fsGroup':1,'seccompProfile':{'type':'RuntimeDefault'},"
                   "'seLinuxOptions':{'level':'s0'},'appArmorProfile':{'type':'RuntimeDefault'}}"),
          "[spec.securityContext.appArmorProfile: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod, "
          "spec.hostUsers: Forbidden: cannot be set for a windows pod, "
          "spec.hostPID: Forbidden: cannot be set for a windows pod, "
          "spec.hostIPC: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.seccompProfile: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.fsGroup: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.fsGroupChangePolicy: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.sysctls: Forbidden: cannot be set for a windows pod, "
          "spec.shareProcessNamespace: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.runAsUser: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.runAsGroup: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.supplementalGroups: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.supplementalGroupsPolicy: Forbidden: cannot be set for a windows pod, "
          "spec.securityContext.seLinuxChangePolicy: Forbidden: cannot be set for a windows pod]");
    /* false host namespaces, empty sysctls and a null field are not "set" */
    check("", "Pod",
          POD1("", WIN ",'hostPID':false,'hostIPC':false,'hostUsers':null,'securityContext':{'sysctls':[],'fsGroup':null}"),
          "");
    /* every Linux-only container setting, init containers first */
    check("", "Pod",
          POD(SPEC(CTR("c", ",'securityContext':{'runAsGroup':2,'runAsUser':2,'procMount':'Default',"
                            "'allowPrivilegeEscalation':true,'privileged':false,'readOnlyRootFilesystem':true,"
                            "'capabilities':{},'seccompProfile':{'type':'RuntimeDefault'},'seLinuxOptions':{},"
                            "'appArmorProfile':{'type':'Unconfined'},'runAsNonRoot':true}"),
                   WIN ",'initContainers':[" CTR("i", ",'securityContext':{'privileged':true}") "]")),
          "[spec.initContainers[0].securityContext.privileged: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.appArmorProfile: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.seLinuxOptions: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.seccompProfile: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.capabilities: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.readOnlyRootFilesystem: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.privileged: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.allowPrivilegeEscalation: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.procMount: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.runAsUser: Forbidden: cannot be set for a windows pod, "
          "spec.containers[0].securityContext.runAsGroup: Forbidden: cannot be set for a windows pod]");
    /* the os rules come last in the PodSpec, after the field checks */
    check("", "Pod",
          POD1("", WIN ",'securityContext':{'seccompProfile':{'type':'x'}},'priorityClassName':'A'"),
          "[spec.securityContext.seccompProfile.type: Unsupported value: \"x\": supported values: \"Localhost\", "
          "\"RuntimeDefault\", \"Unconfined\", "
          "spec.priorityClassName: Invalid value: \"A\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
          "spec.securityContext.seccompProfile: Forbidden: cannot be set for a windows pod]");
}

#define RUNAS_ERR(v, msg) "spec.containers[0].securityContext.windowsOptions.runAsUserName: Invalid value: \"" v "\": " msg

static void test_run_as_user_name(void **state)
{
    (void)state;
    check("", "Pod", RUNAS(""), RUNAS_ERR("", "runAsUserName cannot be an empty string"));
    check("", "Pod", RUNAS("a\\u0001b\\\\\\\\c"), RUNAS_ERR("a\\x01b\\\\\\\\c", "runAsUserName cannot contain control characters"));
    check("", "Pod", RUNAS("a\\\\b\\\\c"), RUNAS_ERR("a\\\\b\\\\c", "runAsUserName cannot contain more than one backslash"));
    /* the domain and user rules are all reported */
    check("", "Pod", RUNAS("a:b\\\\..."),
          "[" RUNAS_ERR("a:b\\\\...", "runAsUserName's Domain doesn't match the NetBios nor the DNS format") ", "
          RUNAS_ERR("a:b\\\\...", "runAsUserName's User cannot contain only periods or spaces") "]");
    check("", "Pod", RUNAS("\\\\"),
          "[" RUNAS_ERR("\\\\", "runAsUserName's Domain doesn't match the NetBios nor the DNS format") ", "
          RUNAS_ERR("\\\\", "runAsUserName's User cannot be empty") "]");
    check("", "Pod", RUNAS("dom\\\\a@b[c]"),
          RUNAS_ERR("dom\\\\a@b[c]", "runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]"));
    check("", "Pod", RUNAS("x\\\\\\'y"),
          RUNAS_ERR("x\\\\\\\"y", "runAsUserName's User cannot contain the following characters: \"/\\:;|=,+*?<>@[]"));
    /* a NetBIOS domain does not start with a dot; a DNS one has no empty label */
    check("", "Pod", RUNAS(".corp\\\\u"),
          RUNAS_ERR(".corp\\\\u", "runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
    check("", "Pod", RUNAS("my domain name long\\\\u"),
          RUNAS_ERR("my domain name long\\\\u", "runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
    check("", "Pod", RUNAS("corp-.example.com\\\\u"),
          RUNAS_ERR("corp-.example.com\\\\u", "runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
    /* 16 runes: too long for NetBIOS, not ASCII for DNS */
    check("", "Pod", RUNAS("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                           "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\\\u"),
          RUNAS_ERR("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\\\\u",
                    "runAsUserName's Domain doesn't match the NetBios nor the DNS format"));
}

static void test_run_as_user_name_lengths(void **state)
{
    (void)state;
    char label[64], domain[300], user[120], obj[1024], want[2048];
    memset(label, 'a', 63);
    label[63] = 0;
    /* labels of 63, 63, 63, 62 and 1 bytes: 256 bytes, a valid DNS name */
    snprintf(domain, sizeof(domain), "%s.%s.%s.%.62s.a", label, label, label, label);
    snprintf(obj, sizeof(obj), RUNAS("%s\\\\u"), domain);
    snprintf(want, sizeof(want), RUNAS_ERR("%s\\\\u", "runAsUserName's Domain length must be under 256 characters"),
             domain);
    check("", "Pod", obj, want);
    snprintf(domain, sizeof(domain), "%s.%s.%s.%s", label, label, label, label); /* 255 bytes */
    snprintf(obj, sizeof(obj), RUNAS("%s\\\\u"), domain);
    check("", "Pod", obj, "");
    /* a 64-byte label is no DNS name (and far too long for NetBIOS) */
    snprintf(obj, sizeof(obj), RUNAS("%sb\\\\u"), label);
    snprintf(want, sizeof(want),
             RUNAS_ERR("%sb\\\\u", "runAsUserName's Domain doesn't match the NetBios nor the DNS format"), label);
    check("", "Pod", obj, want);
    memset(user, 'u', 105);
    user[105] = 0;
    snprintf(obj, sizeof(obj), RUNAS("%s"), user);
    snprintf(want, sizeof(want), RUNAS_ERR("%s", "runAsUserName's User length must not be longer than 104 characters"),
             user);
    check("", "Pod", obj, want);
    user[104] = 0;
    snprintf(obj, sizeof(obj), RUNAS("d\\\\%s"), user);
    check("", "Pod", obj, "");
}

static void test_gmsa(void **state)
{
    (void)state;
    /* pod level: windowsOptions sits between seccompProfile and appArmorProfile */
    check("", "Pod",
          POD1("", ",'securityContext':{'seccompProfile':{'type':''},'appArmorProfile':{'type':''},"
                   "'windowsOptions':{'gmsaCredentialSpecName':'Bad_Name','gmsaCredentialSpec':''}}"),
          "[spec.securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set, "
          "spec.securityContext.windowsOptions.gmsaCredentialSpecName: Invalid value: \"Bad_Name\": a lowercase RFC 1123 "
          "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
          "alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
          "spec.securityContext.windowsOptions.gmsaCredentialSpec: Invalid value: \"\": gmsaCredentialSpec cannot be an "
          "empty string, "
          "spec.securityContext.appArmorProfile.type: Required value: type is required when appArmorProfile is set]");
    /* container level: after the allowPrivilegeEscalation checks, before appArmorProfile */
    check("", "Pod",
          POD1(",'securityContext':{'appArmorProfile':{'type':''},'windowsOptions':{'runAsUserName':''},"
               "'procMount':'x'}",
               ""),
          "[spec.containers[0].securityContext.procMount: Unsupported value: \"x\": supported values: \"Default\", "
          "\"Unmasked\", "
          "spec.containers[0].securityContext.windowsOptions.runAsUserName: Invalid value: \"\": runAsUserName cannot "
          "be an empty string, "
          "spec.containers[0].securityContext.appArmorProfile.type: Required value: type is required when "
          "appArmorProfile is set]");
    /* a credential spec above 64 KiB (the bad value is the whole spec) */
    size_t n = 64 * 1024 + 1;
    char *big = malloc(n + 1), *obj = malloc(n + 512), *want = malloc(n + 512);
    memset(big, 'x', n);
    big[n] = 0;
    sprintf(obj, POD1(WO("'gmsaCredentialSpec':'%s'"), ""), big);
    sprintf(want, "spec.containers[0].securityContext.windowsOptions.gmsaCredentialSpec: Invalid value: \"%s\": "
                  "gmsaCredentialSpec size must be under 64 KiB", big);
    check("", "Pod", obj, want);
    big[n - 1] = 0; /* exactly 64 KiB */
    sprintf(obj, POD1(WO("'gmsaCredentialSpec':'%s'"), ""), big);
    check("", "Pod", obj, "");
    free(big);
    free(obj);
    free(want);
}

static void test_host_process(void **state)
{
    (void)state;
    /* containers that disagree with the pod (init containers first), and hostNetwork */
    check("", "Pod",
          POD(SPEC(CTR("a", WO("'hostProcess':false")) "," CTR("b", ""),
                   ",'securityContext':{'windowsOptions':{'hostProcess':true}},"
                   "'initContainers':[" CTR("i", WO("'hostProcess':false")) "]")),
          "[spec.initContainers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess "
          "value must be identical if both are specified, was true, "
          "spec.containers[0].securityContext.windowsOptions.hostProcess: Invalid value: false: pod hostProcess value "
          "must be identical if both are specified, was true, "
          "spec: Invalid value: \"\": If pod contains any hostProcess containers then all containers must be "
          "HostProcess containers, "
          "spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers]");
    /* one hostProcess container among others, no pod setting */
    check("", "Pod",
          POD(SPEC(CTR("a", WO("'hostProcess':true")) "," CTR("b", ""), ",'hostNetwork':true")),
          "spec: Invalid value: \"\": If pod contains any hostProcess containers then all containers must be "
          "HostProcess containers");
    check("", "Pod",
          POD(SPEC(CTR("a", WO("'hostProcess':true")), ",'securityContext':{'windowsOptions':{'hostProcess':false}}")),
          "[spec.containers[0].securityContext.windowsOptions.hostProcess: Invalid value: true: pod hostProcess value "
          "must be identical if both are specified, was false, "
          "spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers]");
    /* after topologySpreadConstraints, before serviceAccountName */
    check("", "Pod",
          POD(SPEC(CTR("a", WO("'hostProcess':true")),
                   ",'serviceAccountName':'A','topologySpreadConstraints':[{'maxSkew':0,'topologyKey':'z',"
                   "'whenUnsatisfiable':'DoNotSchedule'}]")),
          "[spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero, "
          "spec.hostNetwork: Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers, "
          "spec.serviceAccountName: Invalid value: \"A\": a lowercase RFC 1123 subdomain must consist of lower case "
          "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
          "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
}

/* Pod templates get the same rules under their own path. */
static void test_template(void **state)
{
    (void)state;
    check("apps", "Deployment",
          "{'metadata':{'name':'d','namespace':'default'},'spec':{'replicas':1,'selector':{'matchLabels':{'app':'x'}},"
          "'template':{'metadata':{'labels':{'app':'x'}},'spec':"
          SPEC(CTR("c", ",'securityContext':{'capabilities':{'drop':['ALL']},'windowsOptions':{'runAsUserName':'a\\\\b\\\\c'}}"),
               WIN)
          "},'strategy':{'type':'Recreate'},'revisionHistoryLimit':10,'progressDeadlineSeconds':600}}",
          "[spec.template.spec.containers[0].securityContext.windowsOptions.runAsUserName: Invalid value: "
          "\"a\\\\b\\\\c\": runAsUserName cannot contain more than one backslash, "
          "spec.template.spec.containers[0].securityContext.capabilities: Forbidden: cannot be set for a windows pod]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),           cmocka_unit_test(test_os_name),
        cmocka_unit_test(test_windows_pod_fields), cmocka_unit_test(test_run_as_user_name),
        cmocka_unit_test(test_run_as_user_name_lengths), cmocka_unit_test(test_gmsa),
        cmocka_unit_test(test_host_process),    cmocka_unit_test(test_template),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
