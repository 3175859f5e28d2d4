/* registry/validation: a container's env valueFrom and envFrom sources
 * (validateEnvVarValueFrom, ValidateEnvFrom) with kube-apiserver 1.33's
 * paths and messages. */
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

static void check(const char *ctr_extra, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    const char *pod = kapi_pool_printf(
        pool,
        "{'metadata':{'name':'p','namespace':'default'},'spec':{'containers':[{'name':'c','image':'nginx',"
        "'terminationMessagePath':'/dev/termination-log','terminationMessagePolicy':'File','imagePullPolicy':"
        "'Always'%s}],'restartPolicy':'Always','terminationGracePeriodSeconds':30,'dnsPolicy':'ClusterFirst',"
        "'securityContext':{},'schedulerName':'default-scheduler'}}",
        ctr_extra);
    kapi_validate_kind(pool, "", "v1", "Pod", parse(pool, pod), NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", ctr_extra, got, want);
    kapi_pool_free(pool);
}

#define E "spec.containers[0].env[0].valueFrom"

static void test_value_from(void **state)
{
    (void)state;
    check(",'env':[{'name':'A','valueFrom':{'fieldRef':{'apiVersion':'v1','fieldPath':'status.podIP'}}},"
          "{'name':'B','valueFrom':{'resourceFieldRef':{'resource':'limits.memory','divisor':'1Mi'}}},"
          "{'name':'C','valueFrom':{'configMapKeyRef':{'name':'cm','key':'k.1'}}},"
          "{'name':'D','valueFrom':{'secretKeyRef':{'name':'s','key':'K_2','optional':true}}},"
          "{'name':'E','valueFrom':{'fieldRef':{'apiVersion':'v1','fieldPath':'metadata.labels[\\u0027app\\u0027]'}}},"
          "{'name':'F','valueFrom':{'resourceFieldRef':{'resource':'requests.hugepages-2Mi'}}}]",
          "");
    check(",'env':[{'name':'A','valueFrom':{}}]",
          E ": Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
            "`secretKeyRef`");
    check(",'env':[{'name':'A','value':'x','valueFrom':{'secretKeyRef':{'name':'s','key':'k'}}}]",
          E ": Invalid value: \"\": may not be specified when `value` is not empty");
    check(",'env':[{'name':'A','valueFrom':{'secretKeyRef':{'name':'s','key':'k'},'configMapKeyRef':{'name':'c','key':'k'}}}]",
          E ": Invalid value: \"\": may not have more than one field specified at a time");
    check(",'env':[{'name':'A','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}}]",
          E ".fieldRef.apiVersion: Required value");
    check(",'env':[{'name':'A','valueFrom':{'fieldRef':{'apiVersion':'v1','fieldPath':'spec.restartPolicy'}}}]",
          E ".fieldRef.fieldPath: Unsupported value: \"spec.restartPolicy\": supported values: \"metadata.name\", "
            "\"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", "
            "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"");
    check(",'env':[{'name':'A','valueFrom':{'fieldRef':{'apiVersion':'v2','fieldPath':'metadata.name'}}}]",
          E ".fieldRef.fieldPath: Invalid value: \"metadata.name\": error converting fieldPath: unsupported pod "
            "version: v2");
    check(",'env':[{'name':'A','valueFrom':{'resourceFieldRef':{'resource':'limits.gpu'}}}]",
          E ".resourceFieldRef.resource: Unsupported value: \"limits.gpu\": supported values: \"limits.cpu\", "
            "\"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", \"requests.ephemeral-storage\", "
            "\"requests.memory\"");
    check(",'env':[{'name':'A','valueFrom':{'resourceFieldRef':{'resource':'limits.cpu','divisor':'2'}}}]",
          E ".resourceFieldRef.divisor: Invalid value: \"limits.cpu\": only divisor's values 1m and 1 are supported "
            "with the cpu resource");
    check(",'env':[{'name':'A','valueFrom':{'configMapKeyRef':{'name':'Bad_Name','key':''}}}]",
          "[" E ".configMapKeyRef.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of "
          "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
          "(e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), "
          E ".configMapKeyRef.key: Required value]");
    check(",'env':[{'name':'A','valueFrom':{'secretKeyRef':{'name':'s','key':'a/b'}}}]",
          E ".secretKeyRef.key: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, "
            "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
            "'[-._a-zA-Z0-9]+')");
}

#define F "spec.containers[0].envFrom"

static void test_env_from(void **state)
{
    (void)state;
    check(",'envFrom':[{'configMapRef':{'name':'cm'}},{'prefix':'P_','secretRef':{'name':'s','optional':true}}]", "");
    check(",'envFrom':[{'prefix':'X'}]", F ": Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`");
    check(",'envFrom':[{'configMapRef':{'name':'a'},'secretRef':{'name':'b'}}]",
          F ": Invalid value: \"\": may not have more than one field specified at a time");
    check(",'envFrom':[{'prefix':'A=B','configMapRef':{'name':''}}]",
          "[" F "[0].prefix: Invalid value: \"A=B\": a valid environment variable name must consist only of "
          "printable ASCII characters other than '=', " F "[0].configMapRef.name: Required value]");
    /* names are checked as generateName-like prefixes: a trailing '-' passes */
    check(",'envFrom':[{'secretRef':{'name':'s-'}},{'secretRef':{'name':'UP'}}]",
          F "[1].secretRef.name: Invalid value: \"UP\": a lowercase RFC 1123 subdomain must consist of lower case "
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_from),
        cmocka_unit_test(test_env_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
