/* Unit tests for src/api/status: each constructor serialised to JSON and
 * compared byte for byte with what kube-apiserver sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/status.h"
#include "codec/json.h"

static struct kapi_pool *pool;

static int setup(void **state)
{
    pool = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    kapi_pool_free(pool);
    return 0;
}

static const char *to_json(const struct kapi_status *st)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, kapi_status_to_value(pool, st)), 0);
    const char *s = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

#define HEAD "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","

static void test_not_found_exists_conflict(void **state)
{
    assert_string_equal(to_json(kapi_status_not_found(pool, "", "pods", "x")),
                        HEAD "\"message\":\"pods \\\"x\\\" not found\",\"reason\":\"NotFound\","
                             "\"details\":{\"name\":\"x\",\"kind\":\"pods\"},\"code\":404}");
    assert_string_equal(to_json(kapi_status_not_found(pool, "apps", "deployments", "x")),
                        HEAD "\"message\":\"deployments.apps \\\"x\\\" not found\",\"reason\":\"NotFound\","
                             "\"details\":{\"name\":\"x\",\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":404}");
    assert_string_equal(to_json(kapi_status_already_exists(pool, "", "namespaces", "default")),
                        HEAD "\"message\":\"namespaces \\\"default\\\" already exists\",\"reason\":\"AlreadyExists\","
                             "\"details\":{\"name\":\"default\",\"kind\":\"namespaces\"},\"code\":409}");
    assert_string_equal(to_json(kapi_status_conflict(pool, "", "pods", "x", KAPI_CONFLICT_MODIFIED)),
                        HEAD "\"message\":\"Operation cannot be fulfilled on pods \\\"x\\\": the object has been "
                             "modified; please apply your changes to the latest version and try again\",\"reason\":"
                             "\"Conflict\",\"details\":{\"name\":\"x\",\"kind\":\"pods\"},\"code\":409}");
    assert_string_equal(to_json(kapi_status_generate_name_conflict(pool, "", "pods", "web-abcde", 1)),
                        HEAD "\"message\":\"pods \\\"web-abcde\\\" already exists, the server was not able to "
                             "generate a unique name for the object\",\"reason\":\"AlreadyExists\",\"details\":"
                             "{\"name\":\"web-abcde\",\"kind\":\"pods\",\"retryAfterSeconds\":1},\"code\":409}");
}

static void test_invalid(void **state)
{
    struct kapi_field_errors errs = {0};
    kapi_ferr_required(pool, &errs, "spec.containers[0].image", NULL);
    /* The example from the project's style guide, key for key. */
    assert_string_equal(to_json(kapi_status_invalid(pool, "", "Pod", "web", &errs)),
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                        "\"Pod \\\"web\\\" is invalid: spec.containers[0].image: Required value\",\"reason\":"
                        "\"Invalid\",\"details\":{\"name\":\"web\",\"kind\":\"Pod\",\"causes\":[{\"reason\":"
                        "\"FieldValueRequired\",\"message\":\"Required value\",\"field\":"
                        "\"spec.containers[0].image\"}]},\"code\":422}");
    kapi_ferr_invalid(pool, &errs, "metadata.name", "Foo", "bad");
    assert_string_equal(to_json(kapi_status_invalid(pool, "apps", "Deployment", "Foo", &errs)),
                        HEAD "\"message\":\"Deployment.apps \\\"Foo\\\" is invalid: [spec.containers[0].image: "
                             "Required value, metadata.name: Invalid value: \\\"Foo\\\": bad]\",\"reason\":\"Invalid\","
                             "\"details\":{\"name\":\"Foo\",\"group\":\"apps\",\"kind\":\"Deployment\",\"causes\":["
                             "{\"reason\":\"FieldValueRequired\",\"message\":\"Required value\",\"field\":"
                             "\"spec.containers[0].image\"},{\"reason\":\"FieldValueInvalid\",\"message\":\"Invalid "
                             "value: \\\"Foo\\\": bad\",\"field\":\"metadata.name\"}]},\"code\":422}");
    struct kapi_field_errors none = {0};
    assert_string_equal(to_json(kapi_status_invalid(pool, "", "Pod", "p", &none)),
                        HEAD "\"message\":\"Pod \\\"p\\\" is invalid\",\"reason\":\"Invalid\",\"details\":{\"name\":"
                             "\"p\",\"kind\":\"Pod\"},\"code\":422}");
}

static void test_simple_reasons(void **state)
{
    assert_string_equal(to_json(kapi_status_bad_request(pool, "bad")),
                        HEAD "\"message\":\"bad\",\"reason\":\"BadRequest\",\"code\":400}");
    assert_string_equal(to_json(kapi_status_unauthorized(pool, "Unauthorized")),
                        HEAD "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
    assert_string_equal(to_json(kapi_status_unauthorized(pool, "")),
                        HEAD "\"message\":\"not authorized\",\"reason\":\"Unauthorized\",\"code\":401}");
    const char *types[] = {"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"};
    assert_string_equal(to_json(kapi_status_not_acceptable(pool, types, 3)),
                        HEAD "\"message\":\"only the following media types are accepted: application/json, "
                             "application/yaml, application/vnd.kubernetes.protobuf\",\"reason\":\"NotAcceptable\","
                             "\"code\":406}");
    assert_string_equal(to_json(kapi_status_unsupported_media_type(pool, types, 2)),
                        HEAD "\"message\":\"the body of the request was in an unknown format - accepted media "
                             "types include: application/json, application/yaml\",\"reason\":"
                             "\"UnsupportedMediaType\",\"code\":415}");
    assert_string_equal(to_json(kapi_status_entity_too_large(pool, "limit is 3145728")),
                        HEAD "\"message\":\"Request entity too large: limit is 3145728\",\"reason\":"
                             "\"RequestEntityTooLarge\",\"code\":413}");
    assert_string_equal(to_json(kapi_status_too_many_requests(pool, "slow down", 5)),
                        HEAD "\"message\":\"slow down\",\"reason\":\"TooManyRequests\",\"details\":"
                             "{\"retryAfterSeconds\":5},\"code\":429}");
    assert_string_equal(to_json(kapi_status_too_old_rv(pool, 5, 100)),
                        HEAD "\"message\":\"too old resource version: 5 (100)\",\"reason\":\"Expired\",\"code\":410}");
    assert_string_equal(to_json(kapi_status_gone(pool, "gone")),
                        HEAD "\"message\":\"gone\",\"reason\":\"Gone\",\"code\":410}");
    /* Upstream sets an empty details object here: it is kept. */
    assert_string_equal(to_json(kapi_status_timeout(pool, "request did not complete within requested timeout - "
                                                          "context deadline exceeded", 0)),
                        HEAD "\"message\":\"Timeout: request did not complete within requested timeout - context "
                             "deadline exceeded\",\"reason\":\"Timeout\",\"details\":{},\"code\":504}");
    assert_string_equal(to_json(kapi_status_too_large_rv(pool, 50, 10, 1)),
                        HEAD "\"message\":\"Timeout: Too large resource version: 50, current: 10\",\"reason\":"
                             "\"Timeout\",\"details\":{\"causes\":[{\"reason\":\"ResourceVersionTooLarge\",\"message\":"
                             "\"Too large resource version\"}],\"retryAfterSeconds\":1},\"code\":504}");
    assert_string_equal(to_json(kapi_status_server_timeout(pool, "", "pods", "create", 2)),
                        HEAD "\"message\":\"The create operation against pods could not be completed at this time, "
                             "please try again.\",\"reason\":\"ServerTimeout\",\"details\":{\"name\":\"create\","
                             "\"kind\":\"pods\",\"retryAfterSeconds\":2},\"code\":500}");
    assert_string_equal(to_json(kapi_status_service_unavailable(pool, "not ready")),
                        HEAD "\"message\":\"not ready\",\"reason\":\"ServiceUnavailable\",\"code\":503}");
    assert_string_equal(to_json(kapi_status_internal(pool, "boom")),
                        HEAD "\"message\":\"Internal error occurred: boom\",\"reason\":\"InternalError\",\"details\":"
                             "{\"causes\":[{\"message\":\"boom\"}]},\"code\":500}");
    assert_string_equal(to_json(kapi_status_method_not_supported(pool, "", "bindings", "list")),
                        HEAD "\"message\":\"list is not supported on resources of kind \\\"bindings\\\"\",\"reason\":"
                             "\"MethodNotAllowed\",\"details\":{\"kind\":\"bindings\"},\"code\":405}");
    assert_string_equal(to_json(kapi_status_new(pool, 418, "Teapot", "short and stout")),
                        HEAD "\"message\":\"short and stout\",\"reason\":\"Teapot\",\"code\":418}");
}

static void test_forbidden(void **state)
{
    assert_string_equal(to_json(kapi_status_forbidden_authz(pool, "u", "get", "", "pods", NULL, "ns", "x", NULL, NULL)),
                        HEAD "\"message\":\"pods \\\"x\\\" is forbidden: User \\\"u\\\" cannot get resource "
                             "\\\"pods\\\" in API group \\\"\\\" in the namespace \\\"ns\\\"\",\"reason\":\"Forbidden\","
                             "\"details\":{\"name\":\"x\",\"kind\":\"pods\"},\"code\":403}");
    assert_string_equal(to_json(kapi_status_forbidden_authz(pool, "system:anonymous", "list", "apps", "deployments",
                                                            NULL, NULL, NULL, NULL, NULL)),
                        HEAD "\"message\":\"deployments.apps is forbidden: User \\\"system:anonymous\\\" cannot list "
                             "resource \\\"deployments\\\" in API group \\\"apps\\\" at the cluster scope\",\"reason\":"
                             "\"Forbidden\",\"details\":{\"group\":\"apps\",\"kind\":\"deployments\"},\"code\":403}");
    assert_string_equal(to_json(kapi_status_forbidden_authz(pool, "system:anonymous", "get", NULL, NULL, NULL, NULL, NULL,
                                                            "/", NULL)),
                        HEAD "\"message\":\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/\\\"\","
                             "\"reason\":\"Forbidden\",\"details\":{},\"code\":403}");
    const char *j = to_json(kapi_status_forbidden_authz(pool, "u<1>", "get", "", "pods", "log", "ns", "p", NULL,
                                                        "RBAC: nope"));
    assert_non_null(strstr(j, "\"message\":\"pods \\\"p\\\" is forbidden: User \\\"u\\u0026lt;1\\u0026gt;\\\" cannot get "
                              "resource \\\"pods/log\\\" in API group \\\"\\\" in the namespace \\\"ns\\\": RBAC: nope\""));
    assert_string_equal(to_json(kapi_status_forbidden(pool, "", "pods", "", "denied")),
                        HEAD "\"message\":\"pods is forbidden: denied\",\"reason\":\"Forbidden\",\"details\":"
                             "{\"kind\":\"pods\"},\"code\":403}");
}

static void test_success_and_code(void **state)
{
    assert_string_equal(to_json(kapi_status_success(pool, 0, "apps", "deployments", "web", "1234")),
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":"
                        "{\"name\":\"web\",\"group\":\"apps\",\"kind\":\"deployments\",\"uid\":\"1234\"}}");
    assert_string_equal(to_json(kapi_status_success(pool, 200, "", "pods", "p", NULL)),
                        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\",\"details\":"
                        "{\"name\":\"p\",\"kind\":\"pods\"},\"code\":200}");

    assert_int_equal(kapi_status_code_of(kapi_status_to_value(pool, kapi_status_not_found(pool, "", "pods", "x"))), 404);
    assert_int_equal(kapi_status_code_of(kapi_status_to_value(pool, kapi_status_success(pool, 0, "", "pods", "x", NULL))),
                     0);
    struct kapi_json_error err;
    const char *pod = "{\"kind\":\"Pod\",\"code\":404}";
    assert_int_equal(kapi_status_code_of(kapi_json_parse(pool, pod, strlen(pod), NULL, &err)), 0);
    assert_int_equal(kapi_status_code_of(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_not_found_exists_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_simple_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forbidden, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_and_code, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
