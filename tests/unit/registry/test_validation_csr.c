/* registry/validation: CertificateSigningRequest spec rules
 * (validateCertificateSigningRequest at 1.33: request PEM and signature,
 * usages, signerName, expirationSeconds) on create, the compatibility
 * options on update, and the /approval subresource's condition rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/validation.h"

/* base64 of PEM text made with `openssl req` (P-256 and RSA keys); the
 * BADSIG ones have the signature's last byte flipped. */
#define EC_OK "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIR01HNENBUUF3RERFS01BZ0dBMVVFQXd3QmRUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQQpCQmg0cmdjeTFPMVZWU1dQR21TTkZOSitHK0g0Yjg5THFud3JqZFB6dlFpNllRUDFSZWFZMDlhbkFoY3lpMlpwCisyWlNyNVFvcmRiMm53SVg2QnNXOGZXZ0FEQUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpQStJOGNFSlk2bUNlV00KTVBPTTJ2RmtRTk01dGRoRUF6RGh4MERaMXh4MVVBSWhBSzFrNCsxSjA1R2xER29PZW5ZbTByOGE3NnpjSEVOTQpSM1cyVHZtLzJrMWIKLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg=="
#define EC_BADSIG "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIR01HNENBUUF3RERFS01BZ0dBMVVFQXd3QmRUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQQpCQmg0cmdjeTFPMVZWU1dQR21TTkZOSitHK0g0Yjg5THFud3JqZFB6dlFpNllRUDFSZWFZMDlhbkFoY3lpMlpwCisyWlNyNVFvcmRiMm53SVg2QnNXOGZXZ0FEQUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpQStJOGNFSlk2bUNlV00KTVBPTTJ2RmtRTk01dGRoRUF6RGh4MERaMXh4MVVBSWhBSzFrNCsxSjA1R2xER29PZW5ZbTByOGE3NnpjSEVOTQpSM1cyVHZtLzJrMWEKLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg=="
#define RSA_BADSIG "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlJQlN6Q0J0UUlCQURBTU1Rb3dDQVlEVlFRRERBRjFNSUdmTUEwR0NTcUdTSWIzRFFFQkFRVUFBNEdOQURDQgppUUtCZ1FDY3NzZzNjTkMrczVzM3loL1NFeWVYcjFJWHJ5MkhqMUsvM3AzY2xPYmhDRnU2cVFjVytJZ0xJTW9TCkN4dUt1Y1FBMGFjZ1pLTlYxR29CNWNEUGhHMXZzY2JJV3FnN1NHU2FhbjRvYml3VWtVMElXZEh6QkFmUnlDS3kKb1NwVEdpSUxoM0d1MEtOWC9YU0tKNEhFMFJodkNRUTE3YzlxV2N1akpEVll2YWNTaFFJREFRQUJvQUF3RFFZSgpLb1pJaHZjTkFRRUxCUUFEZ1lFQUI5ZzVrZkpxMEErai9TZ0IySE52VW96bWNSUjdyVmErZlhxbDNsdE1OZkdlCldCcW9hV1d2aU1lKzFPeXNraERJa2FYQ0VYOXNXcXFuSmxlQTlaSDFac2ZoSy84NElpZEFKRzhMU3NPS3ZSYjkKQld3dklmZnRHeHpZZ3VaemltZmpYUzF4dFZKREFWVldaMGZYbEovRXVBY3U5aXprbmFvNXlLRVRWN2VEbzFVPQotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"
#define EC_TRAIL "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIR01HNENBUUF3RERFS01BZ0dBMVVFQXd3QmRUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQQpCQmg0cmdjeTFPMVZWU1dQR21TTkZOSitHK0g0Yjg5THFud3JqZFB6dlFpNllRUDFSZWFZMDlhbkFoY3lpMlpwCisyWlNyNVFvcmRiMm53SVg2QnNXOGZXZ0FEQUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpQStJOGNFSlk2bUNlV00KTVBPTTJ2RmtRTk01dGRoRUF6RGh4MERaMXh4MVVBSWhBSzFrNCsxSjA1R2xER29PZW5ZbTByOGE3NnpjSEVOTQpSM1cyVHZtLzJrMWJBQT09Ci0tLS0tRU5EIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQo="
/* EC_TRAIL with one more "AA==" line: base64 data after the padding, so
 * Go's pem.Decode finds no block */
#define EC_PAD_MID "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0KTUlIR01HNENBUUF3RERFS01BZ0dBMVVFQXd3QmRUQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQQpCQmg0cmdjeTFPMVZWU1dQR21TTkZOSitHK0g0Yjg5THFud3JqZFB6dlFpNllRUDFSZWFZMDlhbkFoY3lpMlpwCisyWlNyNVFvcmRiMm53SVg2QnNXOGZXZ0FEQUtCZ2dxaGtqT1BRUURBZ05JQURCRkFpQStJOGNFSlk2bUNlV00KTVBPTTJ2RmtRTk01dGRoRUF6RGh4MERaMXh4MVVBSWhBSzFrNCsxSjA1R2xER29PZW5ZbTByOGE3NnpjSEVOTQpSM1cyVHZtLzJrMWJBQT09CkFBPT0KLS0tLS1FTkQgQ0VSVElGSUNBVEUgUkVRVUVTVC0tLS0tCg=="
#define EC_AS_CERT "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSEdNRzRDQVFBd0RERUtNQWdHQTFVRUF3d0JkVEJaTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEEwSUEKQkJoNHJnY3kxTzFWVlNXUEdtU05GTkorRytINGI4OUxxbndyamRQenZRaTZZUVAxUmVhWTA5YW5BaGN5aTJacAorMlpTcjVRb3JkYjJud0lYNkJzVzhmV2dBREFLQmdncWhrak9QUVFEQWdOSUFEQkZBaUErSThjRUpZNm1DZVdNCk1QT00ydkZrUU5NNXRkaEVBekRoeDBEWjF4eDFVQUloQUsxazQrMUowNUdsREdvT2VuWW0wcjhhNzZ6Y0hFTk0KUjNXMlR2bS8yazFiCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K"
#define EC_JUNK "anVuawotLS0tLUJFR0lOIENFUlRJRklDQVRFIFJFUVVFU1QtLS0tLQpNSUhHTUc0Q0FRQXdEREVLTUFnR0ExVUVBd3dCZFRCWk1CTUdCeXFHU000OUFnRUdDQ3FHU000OUF3RUhBMElBCkJCaDRyZ2N5MU8xVlZTV1BHbVNORk5KK0crSDRiODlMcW53cmpkUHp2UWk2WVFQMVJlYVkwOWFuQWhjeWkyWnAKKzJaU3I1UW9yZGIybndJWDZCc1c4ZldnQURBS0JnZ3Foa2pPUFFRREFnTklBREJGQWlBK0k4Y0VKWTZtQ2VXTQpNUE9NMnZGa1FOTTV0ZGhFQXpEaHgwRFoxeHgxVUFJaEFLMWs0KzFKMDVHbERHb09lblltMHI4YTc2emNIRU5NClIzVzJUdm0vMmsxYgotLS0tLUVORCBDRVJUSUZJQ0FURSBSRVFVRVNULS0tLS0K"
#define HELLO "aGVsbG8=" /* "hello" */

#define G "certificates.k8s.io"
#define K "CertificateSigningRequest"

/* Test JSON uses ' for " to stay readable. */
static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    if (!json)
        return NULL;
    char *s = kapi_pool_strdup(pool, json);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, s, strlen(s), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s in %s", err.msg, s);
    return v;
}

static const char *run(struct kapi_pool *pool, const char *sub, const char *obj, const char *old)
{
    struct kapi_field_errors errs = {0};
    if (sub)
        assert_true(kapi_validate_subresource(pool, G, "v1", K, sub, parse(pool, obj), parse(pool, old), &errs));
    else
        kapi_validate_kind(pool, G, "v1", K, parse(pool, obj), parse(pool, old), &errs);
    return kapi_field_errors_aggregate(pool, &errs);
}

static void check(const char *sub, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *got = run(pool, sub, obj, old);
    if (strcmp(got, want) != 0)
        fail_msg("got: %s\nwant: %s", got, want);
    kapi_pool_free(pool);
}

/* one spec.request error: the []byte rendering of the PEM text, then the message */
static void check_request(const char *req, const char *msg)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *obj = kapi_pool_printf(pool, "{'metadata':{'name':'c'},'spec':{'request':'%s','signerName':"
                                             "'example.com/s','usages':['client auth']}}", req);
    const char *got = run(pool, NULL, obj, NULL);
    const char *head = "spec.request: Invalid value: []byte{0x2d, 0x2d, 0x2d, 0x2d, 0x2d, 0x42, 0x45, 0x47";
    const char *tail = kapi_pool_printf(pool, "}: %s", msg);
    size_t n = strlen(got), tn = strlen(tail);
    if (strncmp(got, head, strlen(head)) || n < tn || strcmp(got + n - tn, tail))
        fail_msg("got: %s\nwant: %s...%s", got, head, tail);
    kapi_pool_free(pool);
}

#define SPEC(fields) "{'metadata':{'name':'c'},'spec':{" fields "}}"
#define OK_SPEC "'request':'" EC_OK "','signerName':'example.com/s','usages':['client auth']"

static void test_valid(void **state)
{
    (void)state;
    check(NULL, SPEC(OK_SPEC), NULL, "");
    /* text before the block is skipped, as Go's pem.Decode does */
    check(NULL, SPEC("'request':'" EC_JUNK "','signerName':'a.b/c.d-e','usages':['any','server auth'],"
                     "'expirationSeconds':600"), NULL, "");
}

static void test_request(void **state)
{
    (void)state;
    check(NULL, SPEC("'request':'" HELLO "','signerName':'example.com/s','usages':['client auth']"), NULL,
          "spec.request: Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE "
          "REQUEST");
    check(NULL, SPEC("'request':'','signerName':'example.com/s','usages':['client auth']"), NULL,
          "spec.request: Invalid value: []byte{}: PEM block type must be CERTIFICATE REQUEST");
    check(NULL, SPEC("'signerName':'example.com/s','usages':['client auth']"), NULL,
          "spec.request: Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST");
    check_request(EC_AS_CERT, "PEM block type must be CERTIFICATE REQUEST");
    check_request(EC_BADSIG, "x509: ECDSA verification failure");
    check_request(RSA_BADSIG, "crypto/rsa: verification error");
    check_request(EC_TRAIL, "asn1: syntax error: trailing data");
    check_request(EC_PAD_MID, "PEM block type must be CERTIFICATE REQUEST");
}

#define REQ "'request':'" EC_OK "',"
#define ALL_USAGES                                                                                                 \
    "supported values: \"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", "         \
    "\"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", "         \
    "\"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", "               \
    "\"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", "   \
    "\"signing\", \"timestamping\""

static void test_usages_expiration(void **state)
{
    (void)state;
    check(NULL, SPEC(REQ "'signerName':'example.com/s'"), NULL, "spec.usages: Required value");
    check(NULL, SPEC(REQ "'signerName':'example.com/s','usages':[]"), NULL, "spec.usages: Required value");
    check(NULL, SPEC(REQ "'signerName':'example.com/s','usages':['Client Auth','client auth','any','client auth']"),
          NULL,
          "[spec.usages[0]: Unsupported value: \"Client Auth\": " ALL_USAGES
          ", spec.usages[3]: Duplicate value: \"client auth\"]");
    check(NULL, SPEC(REQ "'signerName':'example.com/s','usages':['any'],'expirationSeconds':599"), NULL,
          "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)");
    check(NULL, SPEC(REQ "'signerName':'example.com/s','usages':['any'],'expirationSeconds':-1"), NULL,
          "spec.expirationSeconds: Invalid value: -1: may not specify a duration less than 600 seconds (10 minutes)");
}

#define LABEL_ERR                                                                                                   \
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "    \
    "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "            \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define SUBDOMAIN_ERR                                                                                               \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "     \
    "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "             \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define SIGNER(s) SPEC(REQ "'usages':['any'],'signerName':'" s "'")

static void test_signer_name(void **state)
{
    (void)state;
    check(NULL, SPEC(REQ "'usages':['any']"), NULL, "spec.signerName: Required value");
    check(NULL, SIGNER("example.com"), NULL,
          "spec.signerName: Invalid value: \"example.com\": must be a fully qualified domain and path of the form "
          "'example.com/signer-name'");
    check(NULL, SIGNER("a.b/c/d"), NULL,
          "spec.signerName: Invalid value: \"a.b/c/d\": must be a fully qualified domain and path of the form "
          "'example.com/signer-name'");
    check(NULL, SIGNER("kubernetes.io/legacy-unknown"), NULL,
          "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed "
          "via this API version");
    /* the first bad domain label stops the loop; the dot count is separate */
    check(NULL, SIGNER("Foo/x"), NULL,
          "[spec.signerName: Invalid value: \"Foo\": validating label \"Foo\": " LABEL_ERR
          ", spec.signerName: Invalid value: \"Foo\": should be a domain with at least two segments separated by "
          "dots]");
    check(NULL, SIGNER("a..b/x"), NULL,
          "spec.signerName: Invalid value: \"a..b\": validating label \"\": " LABEL_ERR);
    check(NULL, SIGNER("a.b/x.Y_"), NULL,
          "spec.signerName: Invalid value: \"x.Y_\": validating label \"Y_\": " SUBDOMAIN_ERR);
    check(NULL, SIGNER("a.b/"), NULL, "spec.signerName: Invalid value: \"\": validating label \"\": " SUBDOMAIN_ERR);
}

static void test_signer_lengths(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    char lbl[64], domain[300], path[400];
    memset(lbl, 'a', 63);
    lbl[63] = 0;
    /* 4 labels of 63 + 3 dots = 255 bytes: each label fine, the domain too long */
    snprintf(domain, sizeof(domain), "%s.%s.%s.%s", lbl, lbl, lbl, lbl);
    const char *obj = kapi_pool_printf(pool, SIGNER("%s/x"), domain);
    const char *got = run(pool, NULL, obj, NULL);
    assert_string_equal(got, "spec.signerName: Too long: may not be more than 253 bytes");
    /* a 250-byte domain and a 330-byte path (253-byte limit per label): 581 > 571 */
    snprintf(domain, sizeof(domain), "%s.%s.%s.%.58s", lbl, lbl, lbl, lbl);
    memset(path, 'b', 200);
    path[200] = '.';
    memset(path + 201, 'c', 129);
    path[330] = 0;
    obj = kapi_pool_printf(pool, SIGNER("%s/%s"), domain, path);
    got = run(pool, NULL, obj, NULL);
    assert_string_equal(got, "spec.signerName: Too long: may not be more than 571 bytes");
    kapi_pool_free(pool);
}

/* On update the stored object's own faults are tolerated. */
static void test_update_compat(void **state)
{
    (void)state;
    const char *legacy = SPEC(REQ "'usages':['any','bogus','any'],'signerName':'kubernetes.io/legacy-unknown'");
    check(NULL, legacy, legacy, "");
    /* a clean stored object tolerates nothing */
    check(NULL, legacy, SPEC(OK_SPEC),
          "[spec.usages[1]: Unsupported value: \"bogus\": " ALL_USAGES
          ", spec.usages[2]: Duplicate value: \"any\", spec.signerName: Invalid value: "
          "\"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version]");
}

#define WITH_STATUS(st) "{'metadata':{'name':'c'},'spec':{" OK_SPEC "},'status':" st "}"
#define APPROVED "{'type':'Approved','status':'True','reason':'R'}"
#define DENIED "{'type':'Denied','status':'True','reason':'R'}"

static void test_approval(void **state)
{
    (void)state;
    const char *fresh = WITH_STATUS("{}");
    check("approval", WITH_STATUS("{'conditions':[" APPROVED "]}"), fresh, "");
    check("approval", WITH_STATUS("{'conditions':[{'type':'Approved','status':'False'}]}"), fresh,
          "status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\"");
    check("approval", WITH_STATUS("{'conditions':[" APPROVED "," DENIED "]}"), fresh,
          "status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually "
          "exclusive");
    /* approval may change the condition, not drop it */
    const char *approved = WITH_STATUS("{'conditions':[" APPROVED "]}");
    check("approval", WITH_STATUS("{'conditions':[{'type':'Approved','status':'True','reason':'Other'}]}"), approved,
          "");
    check("approval", fresh, approved,
          "status.conditions: Forbidden: updates may not remove a condition of type \"Approved\"");
    /* the status subresource still may not touch Approved */
    check("status", WITH_STATUS("{'conditions':[" APPROVED "]}"), fresh,
          "status.conditions: Forbidden: updates may not add a condition of type \"Approved\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_usages_expiration),
        cmocka_unit_test(test_signer_name),
        cmocka_unit_test(test_signer_lengths),
        cmocka_unit_test(test_update_compat),
        cmocka_unit_test(test_approval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
