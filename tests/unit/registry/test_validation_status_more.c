/* registry/validation: the status strategies of ResourceQuota, Ingress,
 * CertificateSigningRequest, CronJob and PersistentVolume on a write to
 * /status, each with kube-apiserver 1.33's field path and message. */
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
    bool handled = kapi_validate_subresource(pool, group, "v1", kind, "status", parse(pool, obj), parse(pool, old),
                                             &errs);
    assert_true(handled);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}


#define QNAME "must be a standard resource type or fully qualified"
#define QQUOTA "must be a standard resource for quota"

static void test_resource_quota(void **state)
{
    (void)state;
    const char *old = "{'metadata':{'name':'q'},'spec':{'hard':{'pods':'2'}},'status':{}}";
    check("", "ResourceQuota",
          "{'metadata':{'name':'q'},'status':{'hard':{'pods':'2','requests.cpu':'1','hugepages-2Mi':'1Mi',"
          "'count/deployments.apps':'3','example.com/gpu':'1'},'used':{'pods':'0','limits.memory':'0'}}}",
          old, "");
    /* an unknown bare name fails both lists; storage is a resource but not a quota one */
    check("", "ResourceQuota", "{'metadata':{'name':'q'},'status':{'hard':{'foo':'1','storage':'1Gi'}}}", old,
          "[status.hard[foo]: Invalid value: \"foo\": " QNAME ", status.hard[foo]: Invalid value: \"foo\": " QQUOTA
          ", status.hard[storage]: Invalid value: \"storage\": " QQUOTA "]");
    check("", "ResourceQuota", "{'metadata':{'name':'q'},'status':{'used':{'pods':'-1','cpu':'-500m'}}}", old,
          "[status.used[pods]: Invalid value: \"-1\": must be greater than or equal to 0, "
          "status.used[cpu]: Invalid value: \"-500m\": must be greater than or equal to 0]");
    /* the quota list is checked even when the name is not a qualified name */
    check("", "ResourceQuota", "{'metadata':{'name':'q'},'status':{'hard':{'bad name':'1'}}}", old,
          "[status.hard[bad name]: Invalid value: \"bad name\": name part must consist of alphanumeric characters, "
          "'-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  "
          "or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
          "status.hard[bad name]: Invalid value: \"bad name\": " QQUOTA "]");
}

static void test_ingress(void **state)
{
    (void)state;
    const char *old = "{'metadata':{'name':'i'},'spec':{},'status':{}}";
    check("networking.k8s.io", "Ingress",
          "{'metadata':{'name':'i'},'status':{'loadBalancer':{'ingress':[{'ip':'10.0.0.1'},{'hostname':'lb.example.com',"
          "'ports':[{'port':80,'protocol':'TCP'}]}]}}}",
          old, "");
    /* no ipMode rules and no spec.type restriction, unlike a Service */
    check("networking.k8s.io", "Ingress",
          "{'metadata':{'name':'i'},'status':{'loadBalancer':{'ingress':[{'ip':'300.1.1.1'},{'hostname':'1.2.3.4'},"
          "{'hostname':'Bad_Host'}]}}}",
          old,
          "[status.loadBalancer.ingress[0].ip: Invalid value: \"300.1.1.1\": must be a valid IP address, (e.g. "
          "10.9.8.7 or 2001:db8::ffff), status.loadBalancer.ingress[1].hostname: Invalid value: \"1.2.3.4\": must be "
          "a DNS name, not an IP address, status.loadBalancer.ingress[2].hostname: Invalid value: \"Bad_Host\": a "
          "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
          "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')]");
}

/* base64 of PEM texts: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END
 * CERTIFICATE-----\n", the same as a PRIVATE KEY block, a CERTIFICATE block
 * with a "Proc-Type: 4,ENCRYPTED" header, and "not a cert". The DER inside a
 * block is not parsed (docs/internals/validation.md). */
#define CERT_OK "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define CERT_KEY "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUIKLS0tLS1FTkQgUFJJVkFURSBLRVktLS0tLQo="
#define CERT_HDR "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClByb2MtVHlwZTogNCxFTkNSWVBURUQKCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
#define CERT_NONE "bm90IGEgY2VydA=="
#define CSR(st) "{'metadata':{'name':'c'},'spec':{'signerName':'example.com/s','usages':['client auth']},'status':" st "}"
#define APPROVED "{'type':'Approved','status':'True','reason':'R'}"

static void test_csr(void **state)
{
    (void)state;
    const char *approved = CSR("{'conditions':[" APPROVED "]}");
    check("certificates.k8s.io", "CertificateSigningRequest",
          CSR("{'conditions':[" APPROVED ",{'type':'Failed','status':'True'}],'certificate':'" CERT_OK "'}"),
          approved, "");
    check("certificates.k8s.io", "CertificateSigningRequest",
          CSR("{'conditions':[" APPROVED ",{'type':'','status':''},{'type':'Failed','status':'False'},"
              "{'type':'Custom','status':'Maybe'},{'type':'Denied','status':'True'},{'type':'Custom','status':'True'}]}"),
          approved,
          "[status.conditions[1].type: Required value, status.conditions[1].status: Required value, "
          "status.conditions[2].status: Unsupported value: \"False\": supported values: \"True\", "
          "status.conditions[3].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", "
          "\"Unknown\", status.conditions[4].type: Invalid value: \"Denied\": Approved and Denied conditions are "
          "mutually exclusive, status.conditions[5].type: Duplicate value: \"Custom\", status.conditions: "
          "Forbidden: updates may not add a condition of type \"Denied\"]");
    /* Approved may not be removed or changed through /status */
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{}"), approved,
          "status.conditions: Forbidden: updates may not remove a condition of type \"Approved\"");
    check("certificates.k8s.io", "CertificateSigningRequest",
          CSR("{'conditions':[{'type':'Approved','status':'True','reason':'Other'}]}"), approved,
          "status.conditions: Forbidden: updates may not modify a condition of type \"Approved\"\n");
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'conditions':[" APPROVED "]}"), CSR("{}"),
          "status.conditions: Forbidden: updates may not add a condition of type \"Approved\"");
    /* the certificate: PEM CERTIFICATE blocks only, without headers, set once */
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'certificate':'" CERT_NONE "'}"), CSR("{}"),
          "status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block");
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'certificate':'" CERT_KEY "'}"), CSR("{}"),
          "status.certificate: Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, "
          "found \"PRIVATE KEY\"");
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'certificate':'" CERT_HDR "'}"), CSR("{}"),
          "status.certificate: Invalid value: \"<certificate data>\": no PEM block headers are permitted");
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'certificate':'" CERT_KEY "'}"),
          CSR("{'certificate':'" CERT_OK "'}"),
          "[status.certificate: Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, "
          "found \"PRIVATE KEY\", status.certificate: Forbidden: updates may not modify existing certificate "
          "content]");
    /* an unchanged certificate is not checked again */
    check("certificates.k8s.io", "CertificateSigningRequest", CSR("{'certificate':'" CERT_NONE "'}"),
          CSR("{'certificate':'" CERT_NONE "'}"), "");
}

static void test_no_status_rules(void **state)
{
    (void)state;
    /* CronJob's status strategy validates nothing; PersistentVolume's only
     * the resourceVersion, which kapi fills from the stored object */
    check("batch", "CronJob", "{'metadata':{'name':'c'},'spec':{'schedule':'bad'},'status':{'active':[{}]}}",
          "{'metadata':{'name':'c'},'spec':{'schedule':'bad'}}", "");
    check("", "PersistentVolume", "{'metadata':{'name':'v','resourceVersion':'5'},'spec':{},'status':{'phase':'Odd'}}",
          "{'metadata':{'name':'v','resourceVersion':'5'},'spec':{}}", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resource_quota),
        cmocka_unit_test(test_ingress),
        cmocka_unit_test(test_csr),
        cmocka_unit_test(test_no_status_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
