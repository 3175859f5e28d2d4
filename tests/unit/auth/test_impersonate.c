/* Unit tests for auth/impersonate: what the headers ask for and which
 * "impersonate" permissions that needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/impersonate.h"

static void test_none(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_http_header h[] = {{"Accept", "application/json"}};
    struct kapi_impersonation imp;
    assert_int_equal(kapi_impersonation_parse(p, h, 1, &imp), 0);
    /* names that start like one but are not, next to ones in any case */
    struct kapi_http_header h2[] = {{"If-None-Match", "x"}, {"Impersonate", "x"}, {"Impersonate-Extra-", "x"},
                                    {NULL, "x"}, {"IMPERSONATE-USER", NULL}};
    assert_int_equal(kapi_impersonation_parse(p, h2, 5, &imp), 0);
    struct kapi_http_header h3[] = {{"If-None-Match", "x"}, {"IMPERSONATE-UID", "u"}, {"iMPERSONATE-uSER", "bob"}};
    assert_int_equal(kapi_impersonation_parse(p, h3, 3, &imp), 1);
    assert_string_equal(imp.user.name, "bob");
    assert_string_equal(imp.user.uid, "u");
    kapi_pool_free(p);
}

static void test_user_groups_uid_extras(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_http_header h[] = {{"impersonate-user", "jane"},         {"Impersonate-Group", "devs"},
                                   {"Impersonate-Uid", "u-1"},           {"Impersonate-Extra-Scopes", "a"},
                                   {"Impersonate-Extra-Acme.Com%2fX", "b"}};
    struct kapi_impersonation imp;
    assert_int_equal(kapi_impersonation_parse(p, h, 5, &imp), 1);
    assert_string_equal(imp.user.name, "jane");
    assert_string_equal(imp.user.uid, "u-1");
    assert_int_equal(imp.user.ngroups, 2);
    assert_string_equal(imp.user.groups[0], "devs");
    assert_string_equal(imp.user.groups[1], "system:authenticated");
    assert_int_equal(imp.user.nextra, 2);
    assert_string_equal(imp.user.extra_keys[0], "scopes");
    assert_string_equal(imp.user.extra_keys[1], "acme.com/x");
    assert_int_equal(imp.nchecks, 5);
    assert_string_equal(imp.checks[0].resource, "users");
    assert_string_equal(imp.checks[0].name, "jane");
    assert_string_equal(imp.checks[1].resource, "groups");
    assert_string_equal(imp.checks[2].resource, "userextras");
    assert_string_equal(imp.checks[2].subresource, "scopes");
    assert_string_equal(imp.checks[2].group, "authentication.k8s.io");
    assert_string_equal(imp.checks[4].resource, "uids");
    kapi_pool_free(p);
}

static void test_service_account(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_http_header h[] = {{"Impersonate-User", "system:serviceaccount:ns1:robot"}};
    struct kapi_impersonation imp;
    assert_int_equal(kapi_impersonation_parse(p, h, 1, &imp), 1);
    assert_string_equal(imp.checks[0].resource, "serviceaccounts");
    assert_string_equal(imp.checks[0].ns, "ns1");
    assert_string_equal(imp.checks[0].name, "robot");
    assert_int_equal(imp.user.ngroups, 3);
    assert_string_equal(imp.user.groups[0], "system:serviceaccounts");
    assert_string_equal(imp.user.groups[1], "system:serviceaccounts:ns1");
    kapi_pool_free(p);
}

static void test_errors(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_impersonation imp;
    struct kapi_http_header g[] = {{"Impersonate-Group", "x"}};
    assert_int_equal(kapi_impersonation_parse(p, g, 1, &imp), -1);
    assert_string_equal(imp.error, "Internal error occurred: requested impersonation of groups or uid without a user");
    struct kapi_http_header e[] = {{"Impersonate-Extra-A", "x"}};
    assert_int_equal(kapi_impersonation_parse(p, e, 1, &imp), -1);
    struct kapi_http_header anon[] = {{"Impersonate-User", "system:anonymous"}};
    assert_int_equal(kapi_impersonation_parse(p, anon, 1, &imp), 1);
    assert_int_equal(imp.user.ngroups, 0);
    kapi_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_user_groups_uid_extras),
        cmocka_unit_test(test_service_account),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
