/* endpoints/requestinfo: how a request path splits into prefix, group,
 * version, namespace, resource, name, subresource and the parts after it,
 * and which verb the method makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "endpoints/endpoints_int.h"

struct want {
    const char *method, *path;
    int rc;
    const char *group, *version, *ns, *resource, *name, *subresource, *verb;
    const char *parts; /* joined with '|' */
};

static const char *join_parts(struct kapi_req *r, char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < r->nparts; i++) {
        strncat(buf, i ? "|" : "", len - strlen(buf) - 1);
        strncat(buf, r->parts[i], len - strlen(buf) - 1);
    }
    return buf;
}

static void check(const struct want *w)
{
    struct kapi_http_request http = {.method = w->method, .path = w->path, .query = ""};
    struct kapi_req r = {.pool = kapi_pool_new(), .http = &http};
    int rc = kapi_request_info(&r);
    if (rc != w->rc)
        fail_msg("%s %s: rc %d, want %d", w->method, w->path, rc, w->rc);
    if (rc == 0) {
        char buf[512];
        assert_string_equal(r.group, w->group);
        assert_string_equal(r.version, w->version);
        assert_string_equal(r.ns, w->ns);
        assert_string_equal(r.resource, w->resource);
        if (w->name)
            assert_string_equal(r.name, w->name);
        else
            assert_null(r.name);
        if (w->subresource)
            assert_string_equal(r.subresource, w->subresource);
        else
            assert_null(r.subresource);
        assert_string_equal(r.verb, w->verb);
        assert_string_equal(join_parts(&r, buf, sizeof buf), w->parts);
    }
    kapi_pool_free(r.pool);
}

static void test_paths(void **state)
{
    (void)state;
    static const struct want cases[] = {
        {"POST", "/api/v1/namespaces/default/configmaps", 0, "", "v1", "default", "configmaps", NULL, NULL, "create", ""},
        {"GET", "/api/v1/namespaces/default/pods/p1/log", 0, "", "v1", "default", "pods", "p1", "log", "get", ""},
        {"GET", "/apis/apps/v1/deployments", 0, "apps", "v1", "", "deployments", NULL, NULL, "list", ""},
        {"DELETE", "/apis/apps/v1/namespaces/x/deployments", 0, "apps", "v1", "x", "deployments", NULL, NULL,
         "deletecollection", ""},
        {"GET", "/api/v1/namespaces/x", 0, "", "v1", "", "namespaces", "x", NULL, "get", ""},
        {"PUT", "/api/v1/namespaces/x/finalize", 0, "", "v1", "", "namespaces", "x", "finalize", "update", ""},
        {"GET", "/api/v1/watch/namespaces/x/pods", 0, "", "v1", "x", "pods", NULL, NULL, "watch", ""},
        {"GET", "/api/v1/namespaces/x/pods/p/proxy/a/b/", 0, "", "v1", "x", "pods", "p", "proxy", "get", "a|b"},
        {"GET", "/api/v1/namespaces/x/pods/p/proxy/a//b", 0, "", "v1", "x", "pods", "p", "proxy", "get", "a||b"},
        {"GET", "///api/v1/nodes/n1/", 0, "", "v1", "", "nodes", "n1", NULL, "get", ""},
        {"GET", "/api/v1/namespaces/x/pods/p/status/extra", -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"GET", "/api/v1", -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"GET", "/apis/apps/v1", -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"GET", "/healthz/ready/x", -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
        {"PATCH", "/api/v1/nodes/n1/status", 0, "", "v1", "", "nodes", "n1", "status", "patch", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(&cases[i]);
    /* more than 64 segments is not a resource path */
    char deep[400] = "/api/v1/namespaces/x/pods/p/proxy";
    for (int i = 0; i < 57; i++)
        strcat(deep, "/s");
    check(&(struct want){"GET", deep, 0, "", "v1", "x", "pods", "p", "proxy", "get",
                         "s|s|s|s|s|s|s|s|s|s|s|s|s|s|s|s"});
    strcat(deep, "/s");
    check(&(struct want){"GET", deep, -1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
