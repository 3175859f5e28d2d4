/* registry/validation/core: a PodSpec's resourceClaims
 * (validatePodResourceClaims of kube-apiserver 1.33) for pods and pod
 * templates, and the containers' resources.claims that must name them.
 * Exact field paths and messages. */
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

static void check_kind(const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    kapi_validate_kind(pool, "", "v1", kind, parse(pool, obj), old ? parse(pool, old) : NULL, &errs);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("\n got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

static void check(const char *obj, const char *want) { check_kind("Pod", obj, NULL, want); }

#define CTR(extra) "{'name':'c','image':'nginx','terminationMessagePolicy':'File','imagePullPolicy':'Always'" extra "}"
#define SPEC(ctrs, extra) "{'containers':[" ctrs "],'restartPolicy':'Always','terminationGracePeriodSeconds':30," \
    "'dnsPolicy':'ClusterFirst','securityContext':{}" extra "}"
#define POD(spec) "{'metadata':{'name':'p','namespace':'default'},'spec':" spec "}"
#define CLAIMS(list) POD(SPEC(CTR(""), ",'resourceClaims':[" list "]"))
#define LABEL_MSG                                                                                                  \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " \
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "                  \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_MSG                                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "      \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "              \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define RC "spec.resourceClaims"

static void test_valid(void **state)
{
    (void)state;
    check(POD(SPEC(CTR(",'resources':{'claims':[{'name':'gpu'},{'name':'net','request':'r1'}]}"),
                   ",'resourceClaims':[{'name':'gpu','resourceClaimName':'my-claim'},"
                   "{'name':'net','resourceClaimTemplateName':'tmpl.example'}]")),
          "");
}

static void test_names(void **state)
{
    (void)state;
    check(CLAIMS("{'resourceClaimName':'a'},{'name':'Bad_Name','resourceClaimName':'a'},"
                 "{'name':'x','resourceClaimName':'a'},{'name':'x','resourceClaimTemplateName':'t'},"
                 "{'name':null,'resourceClaimName':'a'}"),
          "[" RC "[0].name: Required value, " RC "[1].name: Invalid value: \"Bad_Name\": " LABEL_MSG ", " RC
          "[3].name: Duplicate value: \"x\", " RC "[4].name: Required value]");
}

/* exactly one source; the bad value is the whole claim; a duplicate or
 * invalid name still gets its source checked */
static void test_sources(void **state)
{
    (void)state;
    check(CLAIMS("{'name':'a'},{'name':'b','resourceClaimName':'c','resourceClaimTemplateName':'t'},"
                 "{'name':'a','resourceClaimName':null,'resourceClaimTemplateName':null},"
                 "{'name':'d','resourceClaimName':''}"),
          "[" RC "[0]: Invalid value: core.PodResourceClaim{Name:\"a\", ResourceClaimName:(*string)(nil), "
          "ResourceClaimTemplateName:(*string)(nil)}: must specify one of: `resourceClaimName`, "
          "`resourceClaimTemplateName`, " RC "[1]: Invalid value: core.PodResourceClaim{Name:\"b\", "
          "ResourceClaimName:(*string)(0xc000000000), ResourceClaimTemplateName:(*string)(0xc000000000)}: at most "
          "one of `resourceClaimName` or `resourceClaimTemplateName` may be specified, " RC
          "[2].name: Duplicate value: \"a\", " RC "[2]: Invalid value: core.PodResourceClaim{Name:\"a\", "
          "ResourceClaimName:(*string)(nil), ResourceClaimTemplateName:(*string)(nil)}: must specify one of: "
          "`resourceClaimName`, `resourceClaimTemplateName`, " RC "[3].resourceClaimName: Invalid value: \"\": "
          SUBDOMAIN_MSG "]");
}

static void test_source_names(void **state)
{
    (void)state;
    check(CLAIMS("{'name':'a','resourceClaimName':'Claim'},{'name':'b','resourceClaimTemplateName':'t_1'}"),
          "[" RC "[0].resourceClaimName: Invalid value: \"Claim\": " SUBDOMAIN_MSG ", " RC
          "[1].resourceClaimTemplateName: Invalid value: \"t_1\": " SUBDOMAIN_MSG "]");
}

/* the claims come before the containers, whose resources.claims must name
 * one of them */
static void test_order_and_container_claims(void **state)
{
    (void)state;
    check(POD(SPEC(CTR(",'resources':{'claims':[{'name':'gpu'},{'name':'tpu'}]}"),
                   ",'resourceClaims':[{'name':'gpu'},{'name':'x','resourceClaimName':'c'}]")),
          "[" RC "[0]: Invalid value: core.PodResourceClaim{Name:\"gpu\", ResourceClaimName:(*string)(nil), "
          "ResourceClaimTemplateName:(*string)(nil)}: must specify one of: `resourceClaimName`, "
          "`resourceClaimTemplateName`, spec.containers[0].resources.claims[1]: Not found: \"tpu\": must be one of "
          "the names in pod.spec.resourceClaims: gpu, x]");
}

/* pod templates: the same rules under the template's spec */
static void test_templates(void **state)
{
    (void)state;
    check_kind("PodTemplate",
               "{'metadata':{'name':'t','namespace':'default'},'template':{'metadata':{},'spec':"
               SPEC(CTR(""), ",'resourceClaims':[{'name':'','resourceClaimTemplateName':'t'}]") "}}",
               NULL, "template.spec.resourceClaims[0].name: Required value");
    check_kind("ReplicationController",
               "{'metadata':{'name':'rc','namespace':'default'},'spec':{'replicas':1,'selector':{'a':'b'},"
               "'template':{'metadata':{'labels':{'a':'b'}},'spec':"
               SPEC(CTR(""), ",'resourceClaims':[{'name':'x','resourceClaimName':'A'}]") "}}}",
               NULL, "spec.template.spec.resourceClaims[0].resourceClaimName: Invalid value: \"A\": " SUBDOMAIN_MSG);
}

/* a pod's claims are part of its immutable spec */
static void test_update_immutable(void **state)
{
    (void)state;
    const char *old = POD(SPEC(CTR(""), ",'resourceClaims':[{'name':'a','resourceClaimName':'c'}]"));
    check_kind("Pod", POD(SPEC(CTR(""), ",'resourceClaims':[{'name':'a','resourceClaimName':'d'}]")), old,
               "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
               "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
               "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
               "previously negative)\n  core.PodSpec{\n  \tresourceClaims: changed,\n  }\n");
    check_kind("Pod", old, old, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sources),
        cmocka_unit_test(test_source_names),
        cmocka_unit_test(test_order_and_container_claims),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_update_immutable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
