/* Sanity of the v1.33 resource table, its lookups, and a cross-check with
 * upstream's round-trip fixtures in ../shared (skipped when absent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/registry.h"
#include "registry/resources.h"

static size_t list_len(const char *const *l)
{
    size_t n = 0;
    while (l[n])
        n++;
    return n;
}

static bool list_has(const char *const *l, const char *s)
{
    for (; *l; l++)
        if (strcmp(*l, s) == 0)
            return true;
    return false;
}

static void test_no_duplicates_and_sorted(void **state)
{
    (void)state;
    size_t n;
    const struct kapi_resource *r = kapi_resources_all(&n);
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++)
            assert_false(strcmp(r[i].group, r[j].group) == 0 &&
                         strcmp(r[i].version, r[j].version) == 0 &&
                         strcmp(r[i].name, r[j].name) == 0);
        /* within a group/version names ascend in byte order, as upstream sorts */
        if (i + 1 < n && strcmp(r[i].group, r[i + 1].group) == 0 &&
            strcmp(r[i].version, r[i + 1].version) == 0)
            assert_true(strcmp(r[i].name, r[i + 1].name) < 0);
    }
}

static void test_group_versions_contiguous_and_served(void **state)
{
    (void)state;
    size_t n;
    const struct kapi_resource *r = kapi_resources_all(&n);
    for (size_t i = 0; i < n; i++) {
        assert_true(kapi_api_version_served(r[i].group, r[i].version));
        size_t m;
        const struct kapi_resource *slice = kapi_resources_for(r[i].group, r[i].version, &m);
        assert_non_null(slice);
        assert_true(&r[i] >= slice && &r[i] < slice + m);
    }
    /* and every served version has resources */
    size_t ng;
    const struct kapi_api_group *g = kapi_api_groups(&ng);
    for (size_t i = 0; i < ng; i++)
        for (const char *const *v = g[i].versions; *v; v++) {
            size_t m;
            assert_non_null(kapi_resources_for(g[i].name, *v, &m));
            assert_true(m > 0);
        }
    /* table order is discovery order: core first */
    assert_string_equal(r[0].group, "");
    assert_string_equal(r[0].name, "bindings");
}

static void test_fields_well_formed(void **state)
{
    (void)state;
    static const char *const known_verbs[] = {"create", "delete", "deletecollection", "get",
                                              "list",   "patch",  "update",           "watch",
                                              NULL};
    size_t n;
    const struct kapi_resource *r = kapi_resources_all(&n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(r[i].kind);
        assert_non_null(r[i].verbs);
        assert_non_null(r[i].short_names);
        assert_non_null(r[i].categories);
        assert_true(list_len(r[i].verbs) > 0);
        for (const char *const *v = r[i].verbs; *v; v++) {
            assert_true(list_has(known_verbs, *v));
            if (v[1])
                assert_true(strcmp(v[0], v[1]) < 0);
        }
        assert_true((r[i].sub_group == NULL) == (r[i].sub_version == NULL));
        if (kapi_resource_is_sub(&r[i])) {
            assert_non_null(strchr(r[i].name, '/'));
            assert_null(r[i].storage_version_hash);
            assert_int_equal(list_len(r[i].short_names), 0);
            assert_int_equal(list_len(r[i].categories), 0);
            /* every subresource has a top-level parent with the same scope */
            const struct kapi_resource *p = kapi_resource_parent(&r[i]);
            assert_non_null(p);
            assert_false(kapi_resource_is_sub(p));
            assert_int_equal(p->namespaced, r[i].namespaced);
        } else {
            assert_null(strchr(r[i].name, '/'));
            assert_null(r[i].sub_group);
            assert_ptr_equal(kapi_resource_parent(&r[i]), &r[i]);
            if (r[i].storage_version_hash)
                assert_int_equal(strlen(r[i].storage_version_hash), 12);
        }
    }
}

static void test_well_known_facts(void **state)
{
    (void)state;
    const struct kapi_resource *pods = kapi_resource_find("", "v1", "pods");
    assert_non_null(pods);
    assert_string_equal(pods->short_names[0], "po");
    assert_null(pods->short_names[1]);
    assert_string_equal(pods->categories[0], "all");
    assert_string_equal(pods->kind, "Pod");
    assert_string_equal(pods->singular, "pod");
    assert_true(pods->namespaced);
    assert_string_equal(pods->storage_version_hash, "xPOwRZ+Yhw8=");

    const struct kapi_resource *dep = kapi_resource_find("apps", "v1", "deployments");
    assert_non_null(dep);
    assert_int_equal(list_len(dep->categories), 1);
    assert_string_equal(dep->categories[0], "all");
    assert_string_equal(dep->short_names[0], "deploy");

    assert_non_null(kapi_resource_find("", "v1", "events"));
    assert_non_null(kapi_resource_find("events.k8s.io", "v1", "events"));
    assert_string_equal(kapi_resource_find("events.k8s.io", "v1", "events")->kind, "Event");

    const struct kapi_resource *ns = kapi_resource_find("", "v1", "namespaces");
    assert_false(ns->namespaced);
    assert_false(list_has(ns->verbs, "deletecollection"));

    const struct kapi_resource *crd =
        kapi_resource_find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    assert_int_equal(list_len(crd->short_names), 2);
    assert_string_equal(crd->short_names[1], "crds");
    assert_string_equal(crd->categories[0], "api-extensions");

    const struct kapi_resource *cs = kapi_resource_find("", "v1", "componentstatuses");
    assert_int_equal(list_len(cs->verbs), 2);
    assert_null(cs->storage_version_hash);
}

static void test_subresources(void **state)
{
    (void)state;
    static const struct {
        const char *group, *name, *kind, *sg, *sv, *verbs;
    } cases[] = {
        {"", "pods/status", "Pod", NULL, NULL, "get,patch,update"},
        {"", "pods/log", "Pod", NULL, NULL, "get"},
        {"", "pods/exec", "PodExecOptions", NULL, NULL, "create,get"},
        {"", "pods/attach", "PodAttachOptions", NULL, NULL, "create,get"},
        {"", "pods/portforward", "PodPortForwardOptions", NULL, NULL, "create,get"},
        {"", "pods/proxy", "PodProxyOptions", NULL, NULL, "create,delete,get,patch,update"},
        {"", "pods/binding", "Binding", NULL, NULL, "create"},
        {"", "pods/eviction", "Eviction", "policy", "v1", "create"},
        {"", "pods/ephemeralcontainers", "Pod", NULL, NULL, "get,patch,update"},
        {"", "pods/resize", "Pod", NULL, NULL, "get,patch,update"},
        {"", "serviceaccounts/token", "TokenRequest", "authentication.k8s.io", "v1", "create"},
        {"", "nodes/proxy", "NodeProxyOptions", NULL, NULL, "create,delete,get,patch,update"},
        {"", "services/proxy", "ServiceProxyOptions", NULL, NULL, "create,delete,get,patch,update"},
        {"", "namespaces/finalize", "Namespace", NULL, NULL, "update"},
        {"", "replicationcontrollers/scale", "Scale", "autoscaling", "v1", "get,patch,update"},
        {"apps", "deployments/scale", "Scale", "autoscaling", "v1", "get,patch,update"},
        {"apps", "statefulsets/scale", "Scale", "autoscaling", "v1", "get,patch,update"},
        {"certificates.k8s.io", "certificatesigningrequests/approval", "CertificateSigningRequest",
         NULL, NULL, "get,patch,update"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct kapi_resource *r = kapi_resource_find(cases[i].group, "v1", cases[i].name);
        assert_non_null(r);
        assert_true(kapi_resource_is_sub(r));
        assert_string_equal(r->kind, cases[i].kind);
        if (cases[i].sg) {
            assert_string_equal(r->sub_group, cases[i].sg);
            assert_string_equal(r->sub_version, cases[i].sv);
        } else {
            assert_null(r->sub_group);
        }
        char joined[128] = "";
        for (const char *const *v = r->verbs; *v; v++) {
            if (joined[0])
                strcat(joined, ",");
            strcat(joined, *v);
        }
        assert_string_equal(joined, cases[i].verbs);
    }
}

static void test_lookups(void **state)
{
    (void)state;
    assert_null(kapi_resource_find("apps", "v1", "pods"));
    assert_null(kapi_resource_find("apps", "v1beta1", "deployments"));
    assert_null(kapi_resource_find("", "v1", "pods/nope"));
    assert_null(kapi_resource_find("", "v1", "pod"));
    const struct kapi_resource *r = kapi_resource_by_kind("apps", "v1", "Deployment");
    assert_non_null(r);
    assert_string_equal(r->name, "deployments");
    /* by_kind never answers with a subresource */
    assert_null(kapi_resource_by_kind("apps", "v1", "Scale"));
    assert_string_equal(kapi_resource_by_kind("", "v1", "Pod")->name, "pods");
    assert_string_equal(kapi_resource_by_kind("autoscaling", "v1", "HorizontalPodAutoscaler")->name,
                        "horizontalpodautoscalers");
    size_t n;
    assert_null(kapi_resources_for("resource.k8s.io", "v1beta1", &n));
    assert_int_equal(n, 0);
    const struct kapi_resource *sub = kapi_resource_find("", "v1", "pods/log");
    assert_string_equal(kapi_resource_parent(sub)->name, "pods");
}

static void test_groups(void **state)
{
    (void)state;
    size_t n;
    const struct kapi_api_group *g = kapi_api_groups(&n);
    assert_int_equal(n, 19);
    assert_string_equal(g[0].name, "apiregistration.k8s.io");
    assert_string_equal(g[1].name, "apps");
    assert_string_equal(g[2].name, "events.k8s.io");
    assert_string_equal(g[n - 1].name, "flowcontrol.apiserver.k8s.io");
    const struct kapi_api_group *as = kapi_api_group_find("autoscaling");
    assert_string_equal(as->versions[0], "v2");
    assert_string_equal(as->versions[1], "v1");
    assert_null(as->versions[2]);
    assert_string_equal(kapi_api_group_find("")->versions[0], "v1");
    assert_ptr_equal(kapi_api_group_find(""), kapi_api_core_group());
    assert_null(kapi_api_group_find("resource.k8s.io"));
    assert_null(kapi_api_group_find("extensions"));
    /* off by default in 1.33 */
    assert_false(kapi_api_version_served("flowcontrol.apiserver.k8s.io", "v1beta3"));
    assert_false(kapi_api_version_served("admissionregistration.k8s.io", "v1beta1"));
    assert_false(kapi_api_version_served("coordination.k8s.io", "v1beta1"));
    assert_false(kapi_api_version_served("storagemigration.k8s.io", "v1alpha1"));
    assert_true(kapi_api_version_served("", "v1"));
    assert_true(kapi_api_version_served("autoscaling", "v1"));
}

/* What `kubectl api-resources` lists: top-level resources of every group,
 * each (group, name) once, from the first version that has it. */
static void test_api_resources_count(void **state)
{
    (void)state;
    size_t n, count = 0;
    const struct kapi_resource *r = kapi_resources_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (kapi_resource_is_sub(&r[i]))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = !kapi_resource_is_sub(&r[j]) && strcmp(r[j].group, r[i].group) == 0 &&
                   strcmp(r[j].name, r[i].name) == 0;
        count += !seen;
    }
    assert_int_equal(count, 60);
}

/* Kinds in served group/versions that upstream's fixtures have but that are
 * not resources of their own (options, wrappers, subresource bodies). */
static const char *const non_resource_kinds[] = {
    "core.v1.APIGroup",           "core.v1.APIVersions",        "core.v1.CreateOptions",
    "core.v1.DeleteOptions",      "core.v1.GetOptions",         "core.v1.ListOptions",
    "core.v1.PatchOptions",       "core.v1.UpdateOptions",      "core.v1.PodLogOptions",
    "core.v1.PodStatusResult",    "core.v1.RangeAllocation",    "core.v1.SerializedReference",
    "core.v1.Status",             "core.v1.WatchEvent",         "core.v1.NodeProxyOptions",
    "core.v1.PodAttachOptions",   "core.v1.PodExecOptions",     "core.v1.PodPortForwardOptions",
    "core.v1.PodProxyOptions",    "core.v1.ServiceProxyOptions", "autoscaling.v1.Scale",
    "policy.v1.Eviction",         "authentication.k8s.io.v1.TokenRequest",
    "apiextensions.k8s.io.v1.ConversionReview", NULL};

static bool sub_kind_exists(const char *group, const char *version, const char *kind)
{
    size_t n;
    const struct kapi_resource *r = kapi_resources_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (!kapi_resource_is_sub(&r[i]) || strcmp(r[i].kind, kind) != 0)
            continue;
        const char *g = r[i].sub_group ? r[i].sub_group : r[i].group;
        const char *v = r[i].sub_version ? r[i].sub_version : r[i].version;
        if (strcmp(g, group) == 0 && strcmp(v, version) == 0)
            return true;
    }
    return false;
}

static void test_fixture_kinds(void **state)
{
    (void)state;
    const char *dir = getenv("KAPI_SHARED_DIR");
    char path[512];
    snprintf(path, sizeof(path), "%s/k8s-api/v1.33/testdata", dir ? dir : "../shared");
    DIR *dh = opendir(path);
    if (!dh) {
        printf("SKIPPED: fixture cross-check, %s is absent\n", path);
        skip();
    }
    size_t checked = 0;
    struct dirent *e;
    while ((e = readdir(dh)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
        /* group.version.Kind, where the group may hold dots and core is "core" */
        char *kind = strrchr(name, '.');
        if (!kind)
            continue;
        *kind++ = '\0';
        char *version = strrchr(name, '.');
        if (!version)
            continue;
        *version++ = '\0';
        const char *group = strcmp(name, "core") == 0 ? "" : name;
        if (!kapi_api_version_served(group, version))
            continue;
        char full[300];
        snprintf(full, sizeof(full), "%s.%s.%s", name, version, kind);
        bool non_resource = false;
        for (const char *const *k = non_resource_kinds; *k; k++)
            non_resource |= strcmp(*k, full) == 0;
        if (non_resource) {
            /* options and subresource bodies that a served subresource uses must be there */
            if (strstr(kind, "ProxyOptions") || strcmp(kind, "PodExecOptions") == 0 ||
                strcmp(kind, "PodAttachOptions") == 0 || strcmp(kind, "PodPortForwardOptions") == 0 ||
                strcmp(kind, "Scale") == 0 || strcmp(kind, "Eviction") == 0 ||
                strcmp(kind, "TokenRequest") == 0) {
                if (!sub_kind_exists(group, version, kind))
                    fail_msg("no subresource with kind %s", full);
            }
            continue;
        }
        if (!kapi_resource_by_kind(group, version, kind))
            fail_msg("fixture kind %s has no served resource", full);
        checked++;
    }
    closedir(dh);
    printf("fixture kinds checked: %zu\n", checked);
    assert_true(checked >= 50);
}

/* The registry's kind index finds every top-level resource of the table
 * (and the same entry again), and nothing for names it does not serve. */
static void test_registry_index(void **state)
{
    (void)state;
    struct kapi_registry *reg = kapi_registry_new(NULL);
    size_t n = 0, found = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    for (size_t i = 0; i < n; i++) {
        if (strchr(all[i].name, '/'))
            continue;
        const struct kapi_kind *k = kapi_registry_find(reg, all[i].group, all[i].version, all[i].name);
        assert_non_null(k);
        assert_ptr_equal(k->res, &all[i]);
        assert_ptr_equal(kapi_registry_find(reg, all[i].group, all[i].version, all[i].name), k);
        found++;
    }
    assert_true(found > 50);
    assert_null(kapi_registry_find(reg, "", "v1", "pod"));
    assert_null(kapi_registry_find(reg, "apps", "v1", "pods"));
    assert_null(kapi_registry_find(reg, "", "v2", "pods"));
    assert_null(kapi_registry_find(reg, "", "v1pods", ""));
    kapi_registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_duplicates_and_sorted),
        cmocka_unit_test(test_group_versions_contiguous_and_served),
        cmocka_unit_test(test_fields_well_formed),
        cmocka_unit_test(test_well_known_facts),
        cmocka_unit_test(test_subresources),
        cmocka_unit_test(test_lookups),
        cmocka_unit_test(test_registry_index),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_api_resources_count),
        cmocka_unit_test(test_fixture_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
