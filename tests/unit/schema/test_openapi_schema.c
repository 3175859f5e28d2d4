/* Unit tests for src/schema/openapi_schema: upstream definition names, the
 * shape of kind schemas (TypeMeta, $ref form, GVK), list/patch extensions,
 * special types, that every $ref resolves, and that the schemas of every
 * served group-version build quickly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/base.h"
#include "codec/json.h"
#include "registry/resources.h"
#include "schema/openapi_schema.h"
#include "schema/schema.h"

#define PFX "#/components/schemas/"

static struct kapi_value *schema_of(const struct kapi_value *schemas, const char *name)
{
    struct kapi_value *s = kapi_obj_get(schemas, name);
    if (!s)
        fail_msg("missing schema %s", name);
    return s;
}

/* The definition name a property refers to ($ref directly or in allOf[0]). */
static const char *ref_target(const struct kapi_value *prop)
{
    const char *r = kapi_obj_get_str(prop, "$ref");
    struct kapi_value *all = kapi_obj_get(prop, "allOf");
    if (!r && all && all->type == KAPI_V_ARRAY && all->u.arr.len == 1)
        r = kapi_obj_get_str(all->u.arr.items[0], "$ref");
    if (!r || strncmp(r, PFX, strlen(PFX)) != 0)
        return NULL;
    return r + strlen(PFX);
}

static struct kapi_value *prop(const struct kapi_value *schemas, const char *def, const char *name)
{
    struct kapi_value *p = kapi_value_path(schema_of(schemas, def), "properties", name, NULL);
    if (!p)
        fail_msg("%s has no property %s", def, name);
    return p;
}

/* Walks schema v; in_props says v is a "properties" object, whose keys are
 * field names (JSONSchemaProps has a field called "$ref"), not keywords. */
static size_t walk_refs(const struct kapi_value *schemas, const struct kapi_value *v, bool in_props)
{
    size_t n = 0;
    if (v->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < v->u.arr.len; i++)
            n += walk_refs(schemas, v->u.arr.items[i], false);
    } else if (v->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < v->u.obj.len; i++) {
            const struct kapi_member *m = &v->u.obj.members[i];
            if (!in_props && strcmp(m->key, "$ref") == 0) {
                const char *r = kapi_value_cstr(m->val);
                assert_non_null(r);
                assert_int_equal(strncmp(r, PFX, strlen(PFX)), 0);
                if (!kapi_obj_get(schemas, r + strlen(PFX)))
                    fail_msg("dangling $ref %s", r);
                n++;
            } else {
                n += walk_refs(schemas, m->val, !in_props && strcmp(m->key, "properties") == 0);
            }
        }
    }
    return n;
}

/* Every $ref anywhere in the schemas resolves to one of them. */
static size_t check_refs(const struct kapi_value *schemas)
{
    size_t n = 0;
    for (size_t i = 0; i < schemas->u.obj.len; i++)
        n += walk_refs(schemas, schemas->u.obj.members[i].val, false);
    return n;
}

static bool str_array_is(const struct kapi_value *a, const char *const *want, size_t n)
{
    if (!a || a->type != KAPI_V_ARRAY || a->u.arr.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *s = kapi_value_cstr(a->u.arr.items[i]);
        if (!s || strcmp(s, want[i]) != 0)
            return false;
    }
    return true;
}

static void test_def_names(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct {
        const char *proto, *def;
    } cases[] = {
        {"k8s.io.api.core.v1.Pod", "io.k8s.api.core.v1.Pod"},
        {"k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
        {"k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition",
         "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition"},
        {"k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIService",
         "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService"},
        {"k8s.io.apimachinery.pkg.util.intstr.IntOrString", "io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cases); i++) {
        const struct kapi_schema_msg *m = kapi_schema_msg_find(cases[i].proto);
        assert_non_null(m);
        assert_string_equal(kapi_openapi_def_name(p, m), cases[i].def);
    }
    kapi_pool_free(p);
}

static void test_pod(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *sc = kapi_value_object(p);
    const char *name = kapi_openapi_add_kind_schema(p, sc, "", "v1", "Pod");
    assert_non_null(name);
    assert_string_equal(name, "io.k8s.api.core.v1.Pod");
    struct kapi_value *pod = schema_of(sc, name);
    assert_string_equal(kapi_obj_get_str(pod, "type"), "object");

    /* properties sorted by name, TypeMeta included */
    struct kapi_value *props = kapi_obj_get(pod, "properties");
    assert_non_null(props);
    const char *order[] = {"apiVersion", "kind", "metadata", "spec", "status"};
    assert_int_equal(props->u.obj.len, KAPI_ARRAY_LEN(order));
    for (size_t i = 0; i < KAPI_ARRAY_LEN(order); i++)
        assert_string_equal(props->u.obj.members[i].key, order[i]);
    assert_string_equal(kapi_obj_get_str(prop(sc, name, "kind"), "type"), "string");
    assert_string_equal(kapi_obj_get_str(prop(sc, name, "apiVersion"), "type"), "string");
    assert_null(kapi_obj_get(pod, "required"));

    /* upstream's v3 reference form: allOf with one $ref, default {} */
    struct kapi_value *md = prop(sc, name, "metadata");
    assert_string_equal(ref_target(md), "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    assert_non_null(kapi_obj_get(md, "default"));
    assert_int_equal(kapi_obj_get(md, "default")->type, KAPI_V_OBJECT);
    assert_string_equal(ref_target(prop(sc, name, "spec")), "io.k8s.api.core.v1.PodSpec");
    assert_string_equal(ref_target(prop(sc, name, "status")), "io.k8s.api.core.v1.PodStatus");

    struct kapi_value *gvk = kapi_obj_get(pod, "x-kubernetes-group-version-kind");
    assert_non_null(gvk);
    assert_int_equal(gvk->u.arr.len, 1);
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "group"), "");
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "kind"), "Pod");
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "version"), "v1");

    /* PodSpec.containers */
    struct kapi_value *c = prop(sc, "io.k8s.api.core.v1.PodSpec", "containers");
    assert_string_equal(kapi_obj_get_str(c, "type"), "array");
    assert_string_equal(ref_target(kapi_obj_get(c, "items")), "io.k8s.api.core.v1.Container");
    assert_string_equal(kapi_obj_get_str(c, "x-kubernetes-list-type"), "map");
    const char *keys[] = {"name"};
    assert_true(str_array_is(kapi_obj_get(c, "x-kubernetes-list-map-keys"), keys, 1));
    assert_string_equal(kapi_obj_get_str(c, "x-kubernetes-patch-merge-key"), "name");
    assert_string_equal(kapi_obj_get_str(c, "x-kubernetes-patch-strategy"), "merge");
    /* containers is required, an optional pointer field is not */
    struct kapi_value *req = kapi_obj_get(schema_of(sc, "io.k8s.api.core.v1.PodSpec"), "required");
    const char *want_req[] = {"containers"};
    assert_true(str_array_is(req, want_req, 1));
    struct kapi_value *aff = prop(sc, "io.k8s.api.core.v1.PodSpec", "affinity");
    assert_string_equal(ref_target(aff), "io.k8s.api.core.v1.Affinity");
    assert_null(kapi_obj_get(aff, "default"));
    /* volumes: merge,retainKeys */
    assert_string_equal(kapi_obj_get_str(prop(sc, "io.k8s.api.core.v1.PodSpec", "volumes"),
                                         "x-kubernetes-patch-strategy"),
                        "merge,retainKeys");
    /* Volume's inline VolumeSource fields sit in Volume itself */
    assert_string_equal(ref_target(prop(sc, "io.k8s.api.core.v1.Volume", "configMap")),
                        "io.k8s.api.core.v1.ConfigMapVolumeSource");
    assert_null(kapi_value_path(schema_of(sc, "io.k8s.api.core.v1.Volume"), "properties", "volumeSource", NULL));

    /* scalars and maps */
    struct kapi_value *prio = prop(sc, "io.k8s.api.core.v1.PodSpec", "priority");
    assert_string_equal(kapi_obj_get_str(prio, "type"), "integer");
    assert_string_equal(kapi_obj_get_str(prio, "format"), "int32");
    struct kapi_value *grace = prop(sc, "io.k8s.api.core.v1.PodSpec", "terminationGracePeriodSeconds");
    assert_string_equal(kapi_obj_get_str(grace, "format"), "int64");
    assert_string_equal(kapi_obj_get_str(prop(sc, "io.k8s.api.core.v1.PodSpec", "hostNetwork"), "type"), "boolean");
    struct kapi_value *ns = prop(sc, "io.k8s.api.core.v1.PodSpec", "nodeSelector");
    assert_string_equal(kapi_obj_get_str(ns, "type"), "object");
    assert_string_equal(kapi_value_cstr(kapi_value_path(ns, "additionalProperties", "type", NULL)), "string");
    struct kapi_value *cmd = prop(sc, "io.k8s.api.core.v1.Container", "command");
    assert_string_equal(kapi_value_cstr(kapi_value_path(cmd, "items", "type", NULL)), "string");
    assert_string_equal(kapi_obj_get_str(cmd, "x-kubernetes-list-type"), "atomic");

    /* ObjectMeta.creationTimestamp -> Time, a date-time string */
    struct kapi_value *ct = prop(sc, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp");
    const char *tname = ref_target(ct);
    assert_string_equal(tname, "io.k8s.apimachinery.pkg.apis.meta.v1.Time");
    assert_string_equal(kapi_obj_get_str(schema_of(sc, tname), "type"), "string");
    assert_string_equal(kapi_obj_get_str(schema_of(sc, tname), "format"), "date-time");
    assert_null(kapi_obj_get(schema_of(sc, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), "required"));

    /* resources: map of Quantity, a $ref to a string-or-number schema */
    struct kapi_value *lim = prop(sc, "io.k8s.api.core.v1.ResourceRequirements", "limits");
    assert_string_equal(kapi_value_cstr(kapi_value_path(lim, "additionalProperties", "$ref", NULL)),
                        PFX "io.k8s.apimachinery.pkg.api.resource.Quantity");
    struct kapi_value *q = schema_of(sc, "io.k8s.apimachinery.pkg.api.resource.Quantity");
    assert_non_null(kapi_obj_get(q, "oneOf"));
    assert_null(kapi_obj_get(q, "properties"));

    assert_true(check_refs(sc) > 100);
    /* no descriptions copied */
    char *out = NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, sc), 0);
    out = b.data;
    assert_null(strstr(out, "\"description\""));
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
}

static void test_deployment_and_service(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *sc = kapi_value_object(p);
    const char *d = kapi_openapi_add_kind_schema(p, sc, "apps", "v1", "Deployment");
    assert_non_null(d);
    assert_string_equal(d, "io.k8s.api.apps.v1.Deployment");
    struct kapi_value *gvk = kapi_obj_get(schema_of(sc, d), "x-kubernetes-group-version-kind");
    assert_non_null(gvk);
    assert_int_equal(gvk->u.arr.len, 1);
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "group"), "apps");
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "kind"), "Deployment");
    assert_string_equal(kapi_obj_get_str(gvk->u.arr.items[0], "version"), "v1");
    const char *req[] = {"selector", "template"};
    assert_true(str_array_is(kapi_obj_get(schema_of(sc, "io.k8s.api.apps.v1.DeploymentSpec"), "required"), req, 2));
    /* ReferenceD messages are not kinds: no GVK */
    assert_null(kapi_obj_get(schema_of(sc, "io.k8s.api.apps.v1.DeploymentSpec"), "x-kubernetes-group-version-kind"));
    /* the same kind twice: one GVK entry */
    assert_string_equal(kapi_openapi_add_kind_schema(p, sc, "apps", "v1", "Deployment"), d);
    assert_int_equal(gvk->u.arr.len, 1);
    /* list kinds */
    const char *dl = kapi_openapi_add_kind_schema(p, sc, "apps", "v1", "DeploymentList");
    assert_non_null(dl);
    struct kapi_value *items = prop(sc, dl, "items");
    assert_string_equal(ref_target(kapi_obj_get(items, "items")), d);
    assert_string_equal(ref_target(prop(sc, dl, "metadata")), "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta");
    /* meta kinds collect one GVK per group-version */
    const char *del = kapi_openapi_add_kind_schema(p, sc, "apps", "v1", "DeleteOptions");
    assert_non_null(del);
    assert_string_equal(del, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
    assert_string_equal(kapi_openapi_add_kind_schema(p, sc, "", "v1", "DeleteOptions"), del);
    assert_int_equal(kapi_obj_get(schema_of(sc, del), "x-kubernetes-group-version-kind")->u.arr.len, 2);
    assert_non_null(kapi_value_path(schema_of(sc, del), "properties", "kind", NULL));

    /* Service: targetPort is an IntOrString */
    const char *svc = kapi_openapi_add_kind_schema(p, sc, "", "v1", "Service");
    assert_non_null(svc);
    struct kapi_value *tp = prop(sc, "io.k8s.api.core.v1.ServicePort", "targetPort");
    const char *ios = ref_target(tp);
    assert_string_equal(ios, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    assert_string_equal(kapi_obj_get_str(schema_of(sc, ios), "format"), "int-or-string");
    struct kapi_value *one = kapi_obj_get(schema_of(sc, ios), "oneOf");
    assert_non_null(one);
    assert_int_equal(one->u.arr.len, 2);
    const char *pk[] = {"port", "protocol"};
    assert_true(str_array_is(kapi_obj_get(prop(sc, "io.k8s.api.core.v1.ServiceSpec", "ports"),
                                          "x-kubernetes-list-map-keys"),
                             pk, 2));
    assert_true(check_refs(sc) > 0);

    /* unknown kinds and group-versions */
    assert_null(kapi_openapi_add_kind_schema(p, sc, "apps", "v1", "NoSuchKind"));
    assert_null(kapi_openapi_add_kind_schema(p, sc, "nosuch.example.com", "v1", "Pod"));
    kapi_pool_free(p);
}

static void test_crd_recursive_and_aggregator(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *sc = kapi_value_object(p);
    const char *crd = kapi_openapi_add_kind_schema(p, sc, "apiextensions.k8s.io", "v1", "CustomResourceDefinition");
    assert_non_null(crd);
    assert_string_equal(crd, "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition");
    /* JSONSchemaProps refers to itself; it is emitted once and resolves */
    const char *jsp = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps";
    struct kapi_value *props = prop(sc, jsp, "properties");
    assert_string_equal(ref_target(kapi_obj_get(props, "additionalProperties")), jsp);
    assert_non_null(kapi_value_path(schema_of(sc, jsp), "properties", "x-kubernetes-list-type", NULL));
    assert_non_null(kapi_value_path(schema_of(sc, jsp), "properties", "$ref", NULL));
    check_refs(sc);
    const char *apis = kapi_openapi_add_kind_schema(p, sc, "apiregistration.k8s.io", "v1", "APIService");
    assert_non_null(apis);
    assert_string_equal(apis, "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService");
    check_refs(sc);
    kapi_pool_free(p);
}

/* Every served kind of every served group-version resolves, all refs resolve,
 * and the whole set builds fast (the server builds it at start-up). */
static void test_all_served(void **state)
{
    (void)state;
    size_t n = 0;
    const struct kapi_resource *rs = kapi_resources_all(&n);
    assert_true(n > 50);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t ndocs = 0, nkinds = 0, nschemas = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        struct kapi_pool *p = kapi_pool_new();
        struct kapi_value *sc = kapi_value_object(p);
        for (; j < n && strcmp(rs[j].group, rs[i].group) == 0 && strcmp(rs[j].version, rs[i].version) == 0; j++) {
            if (kapi_resource_is_sub(&rs[j]))
                continue;
            const char *k = kapi_openapi_add_kind_schema(p, sc, rs[j].group, rs[j].version, rs[j].kind);
            if (!k)
                fail_msg("no schema for %s/%s %s", rs[j].group, rs[j].version, rs[j].kind);
            char *list = kapi_pool_printf(p, "%sList", rs[j].kind);
            kapi_openapi_add_kind_schema(p, sc, rs[j].group, rs[j].version, list);
            nkinds++;
        }
        assert_non_null(kapi_openapi_add_kind_schema(p, sc, rs[i].group, rs[i].version, "DeleteOptions"));
        assert_non_null(kapi_openapi_add_kind_schema(p, sc, rs[i].group, rs[i].version, "Status"));
        check_refs(sc);
        nschemas += sc->u.obj.len;
        ndocs++;
        kapi_pool_free(p);
        i = j;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("# %zu group-versions, %zu kinds, %zu schemas in %.1f ms\n", ndocs, nkinds, nschemas, ms);
    assert_true(nkinds > 50);
    assert_true(ms < 2000); /* generous for sanitizer builds; ~tens of ms optimised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_def_names),
        cmocka_unit_test(test_pod),
        cmocka_unit_test(test_deployment_and_service),
        cmocka_unit_test(test_crd_recursive_and_aggregator),
        cmocka_unit_test(test_all_served),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
