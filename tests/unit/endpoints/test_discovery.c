/* Discovery documents: exact bytes for the small ones, structure for the
 * big ones, and upstream's content negotiation, ETag and 304 behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "codec/json.h"
#include "endpoints/discovery.h"
#include "registry/resources.h"

#define KUBECTL_ACCEPT                                                        \
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," \
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
#define V2_ONLY "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
#define V2BETA1_ONLY "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"

struct fx {
    struct kapi_discovery *d;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    static struct fx f;
    struct kapi_discovery_opts o = {.server_address = "10.0.0.1:6443"};
    f.d = kapi_discovery_new(&o);
    f.pool = kapi_pool_new();
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_discovery_free(f->d);
    kapi_pool_free(f->pool);
    return 0;
}

static struct kapi_discovery_reply get(struct fx *f, const char *path, const char *accept,
                                       int want_status)
{
    struct kapi_discovery_reply r;
    int st = kapi_discovery_serve(f->d, path, accept, NULL, &r);
    assert_int_equal(st, want_status);
    if (st)
        assert_int_equal(r.status, st);
    return r;
}

static void assert_body(const struct kapi_discovery_reply *r, const char *want)
{
    assert_non_null(r->body);
    assert_int_equal(r->body->len, strlen(want));
    assert_memory_equal(r->body->data, want, strlen(want));
}

static struct kapi_value *parse(struct fx *f, const struct kapi_discovery_reply *r)
{
    struct kapi_json_error err;
    assert_true(r->body->len > 0);
    assert_int_equal(r->body->data[r->body->len - 1], '\n');
    struct kapi_value *v = kapi_json_parse(f->pool, r->body->data, r->body->len, NULL, &err);
    if (!v)
        fail_msg("bad JSON at %zu: %s", err.offset, err.msg);
    return v;
}

static void test_api_exact(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/api", NULL, 200);
    assert_body(&r, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
                    "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"10.0.0.1:6443\"}]}\n");
    assert_string_equal(r.content_type, "application/json");
    assert_null(r.etag);
    assert_true(r.vary_accept);
    /* same document for a plain JSON Accept and with a trailing slash */
    struct kapi_discovery_reply r2 = get(f, "/api/", "application/json", 200);
    assert_ptr_equal(r2.body, r.body);
}

static void test_group_exact(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/apis/apps", "application/json", 200);
    assert_body(&r, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"apps\",\"versions\":"
                    "[{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}],\"preferredVersion\":"
                    "{\"groupVersion\":\"apps/v1\",\"version\":\"v1\"}}\n");
    r = get(f, "/apis/autoscaling", NULL, 200);
    assert_body(&r, "{\"kind\":\"APIGroup\",\"apiVersion\":\"v1\",\"name\":\"autoscaling\","
                    "\"versions\":[{\"groupVersion\":\"autoscaling/v2\",\"version\":\"v2\"},"
                    "{\"groupVersion\":\"autoscaling/v1\",\"version\":\"v1\"}],"
                    "\"preferredVersion\":{\"groupVersion\":\"autoscaling/v2\",\"version\":\"v2\"}}\n");
    assert_false(r.vary_accept);
}

static void test_resource_list_exact(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/apis/policy/v1", NULL, 200);
    assert_body(&r,
                "{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"policy/v1\","
                "\"resources\":[{\"name\":\"poddisruptionbudgets\",\"singularName\":"
                "\"poddisruptionbudget\",\"namespaced\":true,\"kind\":\"PodDisruptionBudget\","
                "\"verbs\":[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\","
                "\"update\",\"watch\"],\"shortNames\":[\"pdb\"],\"storageVersionHash\":"
                "\"EVWiDmWqyJw=\"},{\"name\":\"poddisruptionbudgets/status\",\"singularName\":\"\","
                "\"namespaced\":true,\"kind\":\"PodDisruptionBudget\",\"verbs\":[\"get\",\"patch\","
                "\"update\"]}]}\n");
}

static void test_core_v1_structure(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/api/v1", NULL, 200);
    struct kapi_value *v = parse(f, &r);
    assert_string_equal(kapi_obj_get_str(v, "kind"), "APIResourceList");
    assert_null(kapi_obj_get(v, "apiVersion")); /* upstream's /api/v1 has none */
    assert_string_equal(kapi_obj_get_str(v, "groupVersion"), "v1");
    struct kapi_value *res = kapi_obj_get(v, "resources");
    size_t n;
    kapi_resources_for("", "v1", &n);
    assert_int_equal(res->u.arr.len, n);
    bool saw_eviction = false;
    for (size_t i = 0; i < res->u.arr.len; i++) {
        struct kapi_value *e = res->u.arr.items[i];
        /* key order of metav1.APIResource */
        assert_string_equal(e->u.obj.members[0].key, "name");
        assert_string_equal(e->u.obj.members[1].key, "singularName");
        assert_string_equal(e->u.obj.members[2].key, "namespaced");
        if (strcmp(kapi_obj_get_str(e, "name"), "pods/eviction") == 0) {
            saw_eviction = true;
            assert_string_equal(kapi_obj_get_str(e, "group"), "policy");
            assert_string_equal(kapi_obj_get_str(e, "version"), "v1");
            assert_string_equal(kapi_obj_get_str(e, "kind"), "Eviction");
            assert_string_equal(kapi_obj_get_str(e, "singularName"), "");
            assert_string_equal(e->u.obj.members[3].key, "group");
        }
        if (strcmp(kapi_obj_get_str(e, "name"), "pods") == 0) {
            assert_string_equal(kapi_obj_get_str(e, "storageVersionHash"), "xPOwRZ+Yhw8=");
            assert_string_equal(kapi_obj_get(e, "shortNames")->u.arr.items[0]->u.str.s, "po");
        }
    }
    assert_true(saw_eviction);
}

static void test_apis_legacy_structure(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/apis", "application/json", 200);
    assert_string_equal(r.content_type, "application/json");
    assert_true(r.vary_accept);
    struct kapi_value *v = parse(f, &r);
    assert_string_equal(kapi_obj_get_str(v, "kind"), "APIGroupList");
    assert_string_equal(kapi_obj_get_str(v, "apiVersion"), "v1");
    struct kapi_value *groups = kapi_obj_get(v, "groups");
    size_t ng;
    const struct kapi_api_group *tab = kapi_api_groups(&ng);
    assert_int_equal(groups->u.arr.len, ng);
    for (size_t i = 0; i < ng; i++) {
        struct kapi_value *g = groups->u.arr.items[i];
        assert_string_equal(kapi_obj_get_str(g, "name"), tab[i].name);
        assert_null(kapi_obj_get(g, "serverAddressByClientCIDRs"));
        const char *pref = kapi_value_cstr(kapi_value_path(g, "preferredVersion", "version", NULL));
        assert_string_equal(pref, tab[i].versions[0]);
    }
    assert_string_equal(kapi_obj_get_str(groups->u.arr.items[0], "name"), "apiregistration.k8s.io");
}

static struct kapi_value *find_member(struct kapi_value *arr, const char *key, const char *val)
{
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *s = kapi_obj_get_str(arr->u.arr.items[i], key);
        if (s && strcmp(s, val) == 0)
            return arr->u.arr.items[i];
    }
    return NULL;
}

static void test_aggregated_apis(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/apis", KUBECTL_ACCEPT, 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2);
    assert_true(r.vary_accept);
    assert_non_null(r.etag);
    assert_int_equal(strlen(r.etag), 130);
    assert_int_equal(r.etag[0], '"');
    assert_int_equal(r.etag[129], '"');
    assert_string_equal(r.cache_control, "public");
    struct kapi_value *v = parse(f, &r);
    assert_string_equal(kapi_obj_get_str(v, "kind"), "APIGroupDiscoveryList");
    assert_string_equal(kapi_obj_get_str(v, "apiVersion"), "apidiscovery.k8s.io/v2");
    struct kapi_value *items = kapi_obj_get(v, "items");
    assert_int_equal(items->u.arr.len, 19);

    struct kapi_value *apps = NULL;
    for (size_t i = 0; i < items->u.arr.len; i++) {
        struct kapi_value *it = items->u.arr.items[i];
        const char *name = kapi_value_cstr(kapi_value_path(it, "metadata", "name", NULL));
        assert_non_null(name);
        assert_int_equal(kapi_value_path(it, "metadata", "creationTimestamp", NULL)->type, KAPI_V_NULL);
        if (strcmp(name, "apps") == 0)
            apps = it;
    }
    assert_non_null(apps);
    struct kapi_value *ver = kapi_obj_get(apps, "versions")->u.arr.items[0];
    assert_string_equal(kapi_obj_get_str(ver, "version"), "v1");
    assert_string_equal(kapi_obj_get_str(ver, "freshness"), "Current");
    struct kapi_value *dep = find_member(kapi_obj_get(ver, "resources"), "resource", "deployments");
    assert_non_null(dep);
    assert_string_equal(kapi_obj_get_str(dep, "scope"), "Namespaced");
    assert_string_equal(kapi_obj_get_str(dep, "singularResource"), "deployment");
    assert_string_equal(kapi_value_cstr(kapi_value_path(dep, "responseKind", "kind", NULL)),
                        "Deployment");
    assert_string_equal(kapi_value_cstr(kapi_value_path(dep, "responseKind", "group", NULL)), "");
    struct kapi_value *subs = kapi_obj_get(dep, "subresources");
    assert_int_equal(subs->u.arr.len, 2);
    struct kapi_value *scale = find_member(subs, "subresource", "scale");
    assert_non_null(scale);
    assert_string_equal(kapi_value_cstr(kapi_value_path(scale, "responseKind", "group", NULL)),
                        "autoscaling");
    assert_string_equal(kapi_value_cstr(kapi_value_path(scale, "responseKind", "version", NULL)),
                        "v1");
    assert_string_equal(kapi_value_cstr(kapi_value_path(scale, "responseKind", "kind", NULL)),
                        "Scale");
    /* subresources never appear as resources of their own */
    assert_null(find_member(kapi_obj_get(ver, "resources"), "resource", "deployments/scale"));
    /* autoscaling lists v2 first */
    struct kapi_value *as = items->u.arr.items[5];
    assert_string_equal(kapi_value_cstr(kapi_value_path(as, "metadata", "name", NULL)), "autoscaling");
    assert_string_equal(kapi_obj_get_str(kapi_obj_get(as, "versions")->u.arr.items[0], "version"),
                        "v2");
}

static void test_aggregated_api_core(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/api", V2_ONLY, 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2);
    const char *prefix = "{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\","
                         "\"metadata\":{},\"items\":[{\"metadata\":{\"creationTimestamp\":null},"
                         "\"versions\":[{\"version\":\"v1\",\"resources\":[{\"resource\":\"bindings\","
                         "\"responseKind\":{\"group\":\"\",\"version\":\"\",\"kind\":\"Binding\"},"
                         "\"scope\":\"Namespaced\",\"singularResource\":\"binding\",\"verbs\":[\"create\"]},";
    assert_true(r.body->len > strlen(prefix));
    assert_memory_equal(r.body->data, prefix, strlen(prefix));
    const char *suffix = "],\"freshness\":\"Current\"}]}]}\n";
    assert_memory_equal(r.body->data + r.body->len - strlen(suffix), suffix, strlen(suffix));

    struct kapi_value *v = parse(f, &r);
    struct kapi_value *items = kapi_obj_get(v, "items");
    assert_int_equal(items->u.arr.len, 1);
    assert_null(kapi_value_path(items->u.arr.items[0], "metadata", "name", NULL));
    struct kapi_value *res =
        kapi_obj_get(kapi_obj_get(items->u.arr.items[0], "versions")->u.arr.items[0], "resources");
    struct kapi_value *pods = find_member(res, "resource", "pods");
    assert_non_null(pods);
    struct kapi_value *subs = kapi_obj_get(pods, "subresources");
    /* attach binding ephemeralcontainers eviction exec log portforward proxy resize status */
    assert_int_equal(subs->u.arr.len, 10);
    struct kapi_value *ev = find_member(subs, "subresource", "eviction");
    assert_string_equal(kapi_value_cstr(kapi_value_path(ev, "responseKind", "group", NULL)), "policy");
    struct kapi_value *ns = find_member(res, "resource", "namespaces");
    assert_string_equal(kapi_obj_get_str(ns, "scope"), "Cluster");
    /* aggregated discovery carries no storageVersionHash */
    assert_null(kapi_obj_get(pods, "storageVersionHash"));
}

static void test_etag_and_304(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r = get(f, "/apis", KUBECTL_ACCEPT, 200);
    char etag[200];
    snprintf(etag, sizeof(etag), "%s", r.etag);
    struct kapi_discovery_reply c;
    assert_int_equal(kapi_discovery_serve(f->d, "/apis", KUBECTL_ACCEPT, etag, &c), 304);
    assert_int_equal(c.body->len, 0);
    assert_string_equal(c.etag, etag);
    assert_true(c.vary_accept);
    /* a different or unquoted tag gets the full document */
    char unquoted[200];
    snprintf(unquoted, sizeof(unquoted), "%.*s", (int)strlen(etag) - 2, etag + 1);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis", KUBECTL_ACCEPT, unquoted, &c), 200);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis", KUBECTL_ACCEPT, "\"x\"", &c), 200);
    /* /api has its own tag; legacy answers have none and ignore If-None-Match */
    struct kapi_discovery_reply a = get(f, "/api", KUBECTL_ACCEPT, 200);
    assert_string_not_equal(a.etag, etag);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis", "application/json", etag, &c), 200);
    assert_null(c.etag);
}

static void test_negotiation(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r;
    /* v2beta1 is not served by default in 1.33: legacy fallback, or 406 */
    r = get(f, "/apis", V2BETA1_ONLY ",application/json", 200);
    assert_string_equal(r.content_type, "application/json");
    r = get(f, "/apis", V2BETA1_ONLY, 406);
    assert_string_equal(r.content_type, "application/json");
    assert_non_null(strstr(r.body->data, "\"reason\":\"NotAcceptable\""));
    /* wildcards and q-values */
    r = get(f, "/apis", "*/*", 200);
    assert_string_equal(r.content_type, "application/json");
    r = get(f, "/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5, "
                        "application/json;q=0.9",
            200);
    assert_string_equal(r.content_type, "application/json");
    r = get(f, "/apis", "application/json;q=0.5, " V2_ONLY, 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2);
    r = get(f, "/apis", "application/json; g=apidiscovery.k8s.io; v=v2; as=APIGroupDiscoveryList", 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2);
    r = get(f, "/apis", "text/html", 406);
    r = get(f, "/apis", "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", 406);
    r = get(f, "/apis", "", 200);
    assert_string_equal(r.content_type, "application/json");
    /* only /api and /apis may be transformed into aggregated documents */
    r = get(f, "/apis/apps/v1", V2_ONLY, 406);
    r = get(f, "/apis/apps/v1", KUBECTL_ACCEPT, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_null(r.etag);
}

static void test_v2beta1_opt_in(void **state)
{
    (void)state;
    struct kapi_discovery_opts o = {.server_address = "[::1]:6443", .serve_v2beta1 = true};
    struct kapi_discovery *d = kapi_discovery_new(&o);
    struct kapi_discovery_reply r;
    assert_int_equal(kapi_discovery_serve(d, "/apis", V2BETA1_ONLY, NULL, &r), 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2BETA1);
    assert_non_null(strstr(r.body->data, "\"apiVersion\":\"apidiscovery.k8s.io/v2beta1\""));
    char beta_tag[200];
    snprintf(beta_tag, sizeof(beta_tag), "%s", r.etag);
    /* v2 still wins when both are offered in that order */
    assert_int_equal(kapi_discovery_serve(d, "/apis", KUBECTL_ACCEPT, NULL, &r), 200);
    assert_string_equal(r.content_type, KAPI_DISCOVERY_CT_AGG_V2);
    assert_string_not_equal(r.etag, beta_tag);
    assert_int_equal(kapi_discovery_serve(d, "/api", NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body->data, "\"serverAddress\":\"[::1]:6443\""));
    kapi_discovery_free(d);
}

static void test_routing(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply r;
    assert_int_equal(kapi_discovery_serve(f->d, "/apis/apps/v1beta1", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis/extensions", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis/resource.k8s.io/v1beta1", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/api/v2", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/api/v1/pods", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis/apps/v1/deployments", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/apisx", NULL, NULL, &r), 0);
    assert_int_equal(kapi_discovery_serve(f->d, "/apis//v1", NULL, NULL, &r), 0);
    r = get(f, "/apis/apps/v1/", NULL, 200);
    struct kapi_discovery_reply q = get(f, "/apis/apps/v1?timeout=32s", NULL, 200);
    assert_ptr_equal(q.body, r.body);
    assert_non_null(strstr(r.body->data, "\"groupVersion\":\"apps/v1\""));
}

/* Every served group/version has a list whose resources match the table and
 * the aggregated document agrees with it resource for resource. */
static void test_all_documents_consistent(void **state)
{
    struct fx *f = *state;
    struct kapi_discovery_reply agg = get(f, "/apis", V2_ONLY, 200);
    struct kapi_value *items = kapi_obj_get(parse(f, &agg), "items");
    size_t ng;
    const struct kapi_api_group *groups = kapi_api_groups(&ng);
    for (size_t i = 0; i < ng; i++) {
        char path[256];
        snprintf(path, sizeof(path), "/apis/%s", groups[i].name);
        parse(f, &(struct kapi_discovery_reply){.body = get(f, path, NULL, 200).body});
        struct kapi_value *versions = kapi_obj_get(items->u.arr.items[i], "versions");
        for (size_t v = 0; groups[i].versions[v]; v++) {
            snprintf(path, sizeof(path), "/apis/%s/%s", groups[i].name, groups[i].versions[v]);
            struct kapi_discovery_reply r = get(f, path, NULL, 200);
            struct kapi_value *list = kapi_obj_get(parse(f, &r), "resources");
            size_t n, top = 0;
            const struct kapi_resource *rs = kapi_resources_for(groups[i].name, groups[i].versions[v], &n);
            assert_int_equal(list->u.arr.len, n);
            for (size_t k = 0; k < n; k++) {
                assert_string_equal(kapi_obj_get_str(list->u.arr.items[k], "name"), rs[k].name);
                top += !kapi_resource_is_sub(&rs[k]);
            }
            struct kapi_value *av = versions->u.arr.items[v];
            assert_string_equal(kapi_obj_get_str(av, "version"), groups[i].versions[v]);
            assert_int_equal(kapi_obj_get(av, "resources")->u.arr.len, top);
        }
    }
}

static void test_null_server_address(void **state)
{
    (void)state;
    struct kapi_discovery *d = kapi_discovery_new(NULL);
    struct kapi_discovery_reply r;
    assert_int_equal(kapi_discovery_serve(d, "/api", NULL, NULL, &r), 200);
    assert_int_equal(r.body->len, strlen(r.body->data));
    assert_string_equal(r.body->data,
                        "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":null}\n");
    kapi_discovery_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_exact),
        cmocka_unit_test(test_group_exact),
        cmocka_unit_test(test_resource_list_exact),
        cmocka_unit_test(test_core_v1_structure),
        cmocka_unit_test(test_apis_legacy_structure),
        cmocka_unit_test(test_aggregated_apis),
        cmocka_unit_test(test_aggregated_api_core),
        cmocka_unit_test(test_etag_and_304),
        cmocka_unit_test(test_negotiation),
        cmocka_unit_test(test_v2beta1_opt_in),
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_all_documents_consistent),
        cmocka_unit_test(test_null_server_address),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
