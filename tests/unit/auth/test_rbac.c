/* Unit tests for src/auth/rbac over the SQLite store and the watch cache:
 * cluster and namespaced bindings for users, groups and service accounts,
 * subresources, resourceNames, nonResourceURLs, missing roles, index
 * refresh after changes, and the bootstrap policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/rbac.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"
#include "storage/storage.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_rbac *rbac;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-rbac-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->rbac = kapi_rbac_new(f->cache, f->reg);
    f->pool = kapi_pool_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_rbac_free(f->rbac);
    kapi_cache_free(f->cache);
    kapi_registry_free(f->reg);
    kapi_store_close(f->store);
    kapi_pool_free(f->pool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Writes an RBAC object (JSON) under resource, namespace ns (NULL = cluster). */
static void put(struct fx *f, const char *resource, const char *ns, const char *name, const char *json)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "rbac.authorization.k8s.io", "v1", resource);
    assert_non_null(k);
    const char *key = kapi_registry_key(f->pool, k, ns, name);
    struct kapi_kv kv = {0};
    int exists = kapi_store_get(f->store, key, &kv) == 0;
    int64_t rev = kv.mod_rev;
    kapi_kv_dispose(&kv);
    struct kapi_write w = {.op = exists ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = json,
                           .len = strlen(json), .expect_mod_rev = exists ? rev : 0};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
}

static void del(struct fx *f, const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "rbac.authorization.k8s.io", "v1", resource);
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = kapi_registry_key(f->pool, k, ns, name)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
}

static void clusterrole(struct fx *f, const char *name, const char *rules)
{
    put(f, "clusterroles", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                         "\"metadata\":{\"name\":\"%s\"},\"rules\":%s}",
                         name, rules));
}

static void role(struct fx *f, const char *ns, const char *name, const char *rules)
{
    put(f, "roles", ns, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"Role\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                         "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},\"rules\":%s}",
                         name, ns, rules));
}

static void crb(struct fx *f, const char *name, const char *role_name, const char *subjects)
{
    put(f, "clusterrolebindings", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"ClusterRoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                         "\"metadata\":{\"name\":\"%s\"},\"subjects\":%s,\"roleRef\":{\"apiGroup\":"
                         "\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"%s\"}}",
                         name, subjects, role_name));
}

static void rb(struct fx *f, const char *ns, const char *name, const char *kind, const char *role_name,
               const char *subjects)
{
    put(f, "rolebindings", ns, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"RoleBinding\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                         "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},\"subjects\":%s,\"roleRef\":{"
                         "\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"%s\",\"name\":\"%s\"}}",
                         name, ns, subjects, kind, role_name));
}

static const char *reason;

static bool can_user(struct fx *f, const char *user, const char *group, const char *verb, const char *api_group,
                     const char *resource, const char *sub, const char *ns, const char *name)
{
    const char *groups[] = {group ? group : "system:authenticated", "system:authenticated"};
    struct kapi_user u = {.name = user, .uid = "", .groups = groups, .ngroups = 2};
    struct kapi_authz_attrs a = {.user = &u, .resource_request = true, .verb = verb, .group = api_group,
                                 .resource = resource, .subresource = sub, .ns = ns, .name = name};
    return kapi_rbac_authorize(f->rbac, f->pool, &a, &reason);
}

static bool can_path(struct fx *f, const char *user, const char *group, const char *verb, const char *path)
{
    const char *groups[] = {group ? group : "system:authenticated"};
    struct kapi_user u = {.name = user, .uid = "", .groups = groups, .ngroups = 1};
    struct kapi_authz_attrs a = {.user = &u, .resource_request = false, .verb = verb, .path = path};
    return kapi_rbac_authorize(f->rbac, f->pool, &a, &reason);
}

#define R(...) can_user(f, __VA_ARGS__)

static void test_masters_without_objects(void **state)
{
    struct fx *f = *state;
    assert_true(R("admin", "system:masters", "delete", "", "pods", "", "default", "x"));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole "
                                "\"cluster-admin\" to Group \"system:masters\"");
    assert_true(can_path(f, "admin", "system:masters", "get", "/metrics"));
    assert_false(R("alice", NULL, "get", "", "pods", "", "default", "x"));
    assert_string_equal(reason, "");
    assert_false(can_path(f, "alice", NULL, "get", "/api"));
}

static void test_cluster_binding_user_group_sa(void **state)
{
    struct fx *f = *state;
    clusterrole(f, "pod-reader",
                "[{\"verbs\":[\"get\",\"list\",\"watch\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]");
    crb(f, "read-pods", "pod-reader",
        "[{\"kind\":\"User\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"alice\"},"
        "{\"kind\":\"Group\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"readers\"},"
        "{\"kind\":\"ServiceAccount\",\"name\":\"bot\",\"namespace\":\"ci\"}]");
    assert_true(R("alice", NULL, "get", "", "pods", "", "default", "p"));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"read-pods\" of ClusterRole \"pod-reader\" "
                                "to User \"alice\"");
    assert_true(R("alice", NULL, "list", "", "pods", "", "", ""));
    assert_false(R("alice", NULL, "delete", "", "pods", "", "default", "p"));
    assert_false(R("alice", NULL, "get", "apps", "pods", "", "default", "p"));
    assert_false(R("alice", NULL, "get", "", "pods", "log", "default", "p"));
    assert_false(R("alice", NULL, "get", "", "services", "", "default", "p"));
    assert_true(R("bob", "readers", "watch", "", "pods", "", "kube-system", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"read-pods\" of ClusterRole \"pod-reader\" "
                                "to Group \"readers\"");
    assert_false(R("bob", "writers", "watch", "", "pods", "", "kube-system", ""));
    assert_true(R("system:serviceaccount:ci:bot", "system:serviceaccounts", "get", "", "pods", "", "x", "y"));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"read-pods\" of ClusterRole \"pod-reader\" "
                                "to ServiceAccount \"bot/ci\"");
    assert_false(R("system:serviceaccount:other:bot", NULL, "get", "", "pods", "", "x", "y"));
    /* a User subject named like the service account is a different subject */
    assert_false(R("bot", NULL, "get", "", "pods", "", "x", "y"));
}

static void test_role_bindings_namespaced(void **state)
{
    struct fx *f = *state;
    role(f, "dev", "cm-editor",
         "[{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"]}]");
    clusterrole(f, "deploy-viewer",
                "[{\"verbs\":[\"get\"],\"apiGroups\":[\"apps\"],\"resources\":[\"deployments\"]}]");
    rb(f, "dev", "edit-cm", "Role", "cm-editor", "[{\"kind\":\"User\",\"name\":\"carol\"}]");
    rb(f, "dev", "view-deploy", "ClusterRole", "deploy-viewer",
       "[{\"kind\":\"ServiceAccount\",\"name\":\"default\"},{\"kind\":\"User\",\"name\":\"carol\"}]");
    assert_true(R("carol", NULL, "create", "", "configmaps", "", "dev", ""));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"edit-cm/dev\" of Role \"cm-editor\" to User "
                                "\"carol\"");
    assert_true(R("carol", NULL, "deletecollection", "", "configmaps", "", "dev", ""));
    assert_false(R("carol", NULL, "create", "", "configmaps", "", "prod", ""));
    assert_false(R("carol", NULL, "list", "", "configmaps", "", "", ""));
    assert_true(R("carol", NULL, "get", "apps", "deployments", "", "dev", "d"));
    assert_false(R("carol", NULL, "get", "apps", "deployments", "", "prod", "d"));
    /* a ServiceAccount subject without namespace in a RoleBinding is the
     * binding's namespace's account */
    assert_true(R("system:serviceaccount:dev:default", NULL, "get", "apps", "deployments", "", "dev", "d"));
    assert_false(R("system:serviceaccount:prod:default", NULL, "get", "apps", "deployments", "", "dev", "d"));
    /* in a ClusterRoleBinding it matches nobody */
    crb(f, "all-deploy", "deploy-viewer", "[{\"kind\":\"ServiceAccount\",\"name\":\"default\"}]");
    assert_false(R("system:serviceaccount:prod:default", NULL, "get", "apps", "deployments", "", "prod", "d"));
    /* a Role of the same name in another namespace is not used */
    rb(f, "prod", "edit-cm", "Role", "cm-editor", "[{\"kind\":\"User\",\"name\":\"carol\"}]");
    assert_false(R("carol", NULL, "create", "", "configmaps", "", "prod", ""));
    assert_string_equal(reason, "RBAC: role.rbac.authorization.k8s.io \"cm-editor\" not found");
}

static void test_subresources_and_names(void **state)
{
    struct fx *f = *state;
    clusterrole(f, "mixed",
                "[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods/log\"]},"
                "{\"verbs\":[\"update\",\"get\"],\"apiGroups\":[\"*\"],\"resources\":[\"*/scale\"]},"
                "{\"verbs\":[\"get\",\"update\",\"list\",\"create\",\"delete\"],\"apiGroups\":[\"\"],"
                "\"resources\":[\"secrets\"],\"resourceNames\":[\"s1\",\"s2\"]},"
                "{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"nodes/*\"]}]");
    crb(f, "mixed", "mixed", "[{\"kind\":\"User\",\"name\":\"dave\"}]");
    assert_true(R("dave", NULL, "get", "", "pods", "log", "ns", "p"));
    assert_false(R("dave", NULL, "get", "", "pods", "", "ns", "p"));
    assert_false(R("dave", NULL, "get", "", "pods", "exec", "ns", "p"));
    assert_true(R("dave", NULL, "update", "apps", "deployments", "scale", "ns", "d"));
    assert_true(R("dave", NULL, "get", "", "replicationcontrollers", "scale", "ns", "d"));
    assert_false(R("dave", NULL, "update", "apps", "deployments", "", "ns", "d"));
    assert_false(R("dave", NULL, "update", "apps", "deployments", "status", "ns", "d"));
    assert_true(R("dave", NULL, "get", "", "secrets", "", "ns", "s1"));
    assert_true(R("dave", NULL, "update", "", "secrets", "", "ns", "s2"));
    assert_true(R("dave", NULL, "delete", "", "secrets", "", "ns", "s2"));
    assert_false(R("dave", NULL, "get", "", "secrets", "", "ns", "s3"));
    /* requests without a name never match a rule with resourceNames */
    assert_false(R("dave", NULL, "list", "", "secrets", "", "ns", ""));
    assert_false(R("dave", NULL, "create", "", "secrets", "", "ns", ""));
    /* a resource ending in a star is not a prefix pattern: it matches only itself */
    assert_false(R("dave", NULL, "get", "", "nodes", "proxy", "", "n1"));
}

static void test_non_resource_urls(void **state)
{
    struct fx *f = *state;
    clusterrole(f, "urls",
                "[{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"/healthz\",\"/logs/*\"]},"
                "{\"verbs\":[\"*\"],\"apiGroups\":[\"\"],\"resources\":[\"*\"]}]");
    crb(f, "urls", "urls", "[{\"kind\":\"Group\",\"name\":\"ops\"}]");
    assert_true(can_path(f, "eve", "ops", "get", "/healthz"));
    assert_false(can_path(f, "eve", "ops", "get", "/healthz/etcd"));
    assert_false(can_path(f, "eve", "ops", "post", "/healthz"));
    assert_true(can_path(f, "eve", "ops", "get", "/logs/"));
    assert_true(can_path(f, "eve", "ops", "get", "/logs/kube.log"));
    assert_false(can_path(f, "eve", "ops", "get", "/logs"));
    assert_false(can_path(f, "eve", "other", "get", "/healthz"));
    /* the resource rule does not open paths, the URL rule does not open resources */
    assert_false(can_path(f, "eve", "ops", "get", "/api/v1/pods"));
    assert_true(can_user(f, "eve", "ops", "get", "", "pods", "", "x", "y"));
    assert_false(can_user(f, "eve", "ops", "get", "apps", "deployments", "", "x", "y"));
    /* nonResourceURLs in a Role bound by a RoleBinding never apply to paths */
    role(f, "x", "paths", "[{\"verbs\":[\"get\"],\"nonResourceURLs\":[\"*\"]}]");
    rb(f, "x", "paths", "Role", "paths", "[{\"kind\":\"User\",\"name\":\"frank\"}]");
    assert_false(can_path(f, "frank", NULL, "get", "/version"));
}

static void test_changes_and_errors(void **state)
{
    struct fx *f = *state;
    crb(f, "dangling", "nope", "[{\"kind\":\"User\",\"name\":\"gina\"}]");
    assert_false(R("gina", NULL, "get", "", "pods", "", "a", "b"));
    assert_string_equal(reason, "RBAC: clusterrole.rbac.authorization.k8s.io \"nope\" not found");
    crb(f, "dangling2", "nope2", "[{\"kind\":\"Group\",\"name\":\"system:authenticated\"}]");
    assert_false(R("gina", NULL, "get", "", "pods", "", "a", "b"));
    assert_string_equal(reason, "RBAC: [clusterrole.rbac.authorization.k8s.io \"nope\" not found, "
                                "clusterrole.rbac.authorization.k8s.io \"nope2\" not found]");
    /* creating the role afterwards takes effect */
    clusterrole(f, "nope", "[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]");
    assert_true(R("gina", NULL, "get", "", "pods", "", "a", "b"));
    /* so does changing its rules and deleting the binding */
    clusterrole(f, "nope", "[{\"verbs\":[\"list\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]");
    assert_false(R("gina", NULL, "get", "", "pods", "", "a", "b"));
    assert_true(R("gina", NULL, "list", "", "pods", "", "a", ""));
    del(f, "clusterrolebindings", NULL, "dangling");
    assert_false(R("gina", NULL, "list", "", "pods", "", "a", ""));
    /* aggregated roles: only the rules present in the object count */
    put(f, "clusterroles", NULL, "agg",
        "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"agg\"},"
        "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"x\":\"true\"}}]},\"rules\":null}");
    put(f, "clusterroles", NULL, "part",
        "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"part\","
        "\"labels\":{\"x\":\"true\"}},\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    crb(f, "agg", "agg", "[{\"kind\":\"User\",\"name\":\"hank\"}]");
    assert_false(R("hank", NULL, "get", "", "pods", "", "a", "b"));
    assert_string_equal(reason, "RBAC: clusterrole.rbac.authorization.k8s.io \"nope2\" not found");
    put(f, "clusterroles", NULL, "agg",
        "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"metadata\":{\"name\":\"agg\"},"
        "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"x\":\"true\"}}]},"
        "\"rules\":[{\"verbs\":[\"get\"],\"apiGroups\":[\"\"],\"resources\":[\"pods\"]}]}");
    assert_true(R("hank", NULL, "get", "", "pods", "", "a", "b"));
}

static struct kapi_value *get_obj(struct fx *f, const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, "rbac.authorization.k8s.io", "v1", resource);
    struct kapi_kv kv = {0};
    if (kapi_store_get(f->store, kapi_registry_key(f->pool, k, ns, name), &kv) != 0) {
        kapi_kv_dispose(&kv);
        return NULL;
    }
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(f->pool, kv.value->data, kv.value->len, NULL, &jerr);
    kapi_kv_dispose(&kv);
    return v;
}

static void test_bootstrap(void **state)
{
    struct fx *f = *state;
    assert_int_equal(kapi_rbac_bootstrap(f->store, f->reg), 0);
    /* idempotent */
    assert_int_equal(kapi_rbac_bootstrap(f->store, f->reg), 0);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
    struct kapi_value *ca = get_obj(f, "clusterroles", NULL, "cluster-admin");
    assert_non_null(ca);
    assert_string_equal(kapi_value_cstr(kapi_value_path(ca, "metadata", "labels", "kubernetes.io/bootstrapping", NULL)),
                        "rbac-defaults");
    assert_string_equal(kapi_value_cstr(kapi_value_path(ca, "metadata", "annotations",
                                                        "rbac.authorization.kubernetes.io/autoupdate", NULL)),
                        "true");
    struct kapi_value *admin = get_obj(f, "clusterroles", NULL, "admin");
    assert_non_null(admin);
    struct kapi_value *sels = kapi_value_path(admin, "aggregationRule", "clusterRoleSelectors", NULL);
    assert_non_null(sels);
    assert_int_equal(sels->type, KAPI_V_ARRAY);
    assert_string_equal(kapi_value_cstr(kapi_value_path(sels->u.arr.items[0], "matchLabels",
                                                        "rbac.authorization.k8s.io/aggregate-to-admin", NULL)),
                        "true");
    struct kapi_value *edit = get_obj(f, "clusterroles", NULL, "edit");
    assert_string_equal(kapi_value_cstr(kapi_value_path(edit, "metadata", "labels",
                                                        "rbac.authorization.k8s.io/aggregate-to-admin", NULL)),
                        "true");
    const char *names[] = {"view", "system:discovery", "system:basic-user", "system:public-info-viewer",
                           "system:monitoring", "system:service-account-issuer-discovery", "system:node",
                           "system:kube-scheduler", "system:volume-scheduler", "system:auth-delegator",
                           "system:certificates.k8s.io:kubelet-serving-approver", "system:aggregate-to-view"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(names); i++)
        assert_non_null(get_obj(f, "clusterroles", NULL, names[i]));
    struct kapi_value *b = get_obj(f, "clusterrolebindings", NULL, "cluster-admin");
    assert_non_null(b);
    assert_string_equal(kapi_value_cstr(kapi_value_path(b, "roleRef", "name", NULL)), "cluster-admin");
    struct kapi_value *subs = kapi_obj_get(b, "subjects");
    assert_int_equal(subs->u.arr.len, 1);
    assert_string_equal(kapi_obj_get_str(subs->u.arr.items[0], "name"), "system:masters");
    assert_string_equal(kapi_obj_get_str(subs->u.arr.items[0], "kind"), "Group");
    assert_non_null(get_obj(f, "roles", "kube-system", "extension-apiserver-authentication-reader"));
    assert_non_null(get_obj(f, "rolebindings", "kube-public", "system:controller:bootstrap-signer"));

    /* the bootstrap policy in action */
    assert_true(can_path(f, "anyone", NULL, "get", "/apis/apps/v1"));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole "
                                "\"system:discovery\" to Group \"system:authenticated\"");
    assert_true(can_path(f, "system:anonymous", "system:unauthenticated", "get", "/version"));
    assert_false(can_path(f, "system:anonymous", "system:unauthenticated", "get", "/api"));
    assert_true(R("anyone", NULL, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", "", ""));
    assert_false(R("anyone", NULL, "list", "", "pods", "", "default", ""));
    assert_true(R("system:kube-scheduler", NULL, "create", "", "pods", "binding", "default", "p"));
    assert_true(R("system:kube-scheduler", NULL, "update", "coordination.k8s.io", "leases", "", "kube-system",
                  "kube-scheduler"));
    assert_false(R("system:kube-scheduler", NULL, "update", "coordination.k8s.io", "leases", "", "default",
                   "other"));
    /* ... but its leader-locking Role covers every lease in kube-system */
    assert_true(R("system:kube-scheduler", NULL, "update", "coordination.k8s.io", "leases", "", "kube-system",
                  "other"));
    assert_string_equal(reason, "RBAC: allowed by RoleBinding \"system::leader-locking-kube-scheduler/kube-system\" "
                                "of Role \"system::leader-locking-kube-scheduler\" to User \"system:kube-scheduler\"");
    assert_true(R("system:kube-controller-manager", NULL, "list", "apps", "deployments", "", "", ""));
    assert_true(R("system:kube-controller-manager", NULL, "get", "", "configmaps", "", "kube-system",
                  "extension-apiserver-authentication"));
    assert_true(R("system:serviceaccount:kube-system:kube-dns", NULL, "watch", "", "services", "", "", ""));
    assert_true(can_path(f, "sa", "system:serviceaccounts", "get", "/openid/v1/jwks"));
    assert_true(can_path(f, "prom", "system:monitoring", "get", "/readyz/etcd"));
    /* admin/edit/view have no rules until the aggregation controller fills them */
    rb(f, "team", "view", "ClusterRole", "view", "[{\"kind\":\"User\",\"name\":\"ivy\"}]");
    assert_false(R("ivy", NULL, "get", "", "pods", "", "team", "p"));
}

/* Renders a rule as "verbs|groups|resources|names" with comma-joined lists. */
static const char *rule_str(struct fx *f, struct kapi_value *r)
{
    const char *keys[] = {"verbs", "apiGroups", "resources", "resourceNames"};
    char buf[1024];
    size_t off = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < KAPI_ARRAY_LEN(keys); k++) {
        struct kapi_value *a = kapi_obj_get(r, keys[k]);
        if (k)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "|");
        for (size_t i = 0; a && a->type == KAPI_V_ARRAY && i < a->u.arr.len; i++)
            off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "," : "",
                                    kapi_value_cstr(a->u.arr.items[i]));
    }
    return kapi_pool_strdup(f->pool, buf);
}

static void expect_rules(struct fx *f, const char *role, const char *const *want, size_t n)
{
    struct kapi_value *cr = get_obj(f, "clusterroles", NULL, role);
    assert_non_null(cr);
    assert_string_equal(kapi_value_cstr(kapi_value_path(cr, "metadata", "labels", "kubernetes.io/bootstrapping", NULL)),
                        "rbac-defaults");
    assert_string_equal(kapi_value_cstr(kapi_value_path(cr, "metadata", "annotations",
                                                        "rbac.authorization.kubernetes.io/autoupdate", NULL)),
                        "true");
    struct kapi_value *rules = kapi_obj_get(cr, "rules");
    assert_non_null(rules);
    assert_int_equal(rules->type, KAPI_V_ARRAY);
    assert_int_equal(rules->u.arr.len, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(rule_str(f, rules->u.arr.items[i]), want[i]);
}

#define EVENTS_RULE "create,patch,update|,events.k8s.io|events|"

static void test_bootstrap_controller_roles(void **state)
{
    struct fx *f = *state;
    assert_int_equal(kapi_rbac_bootstrap(f->store, f->reg), 0);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);

    const char *const deploy[] = {
        "get,list,update,watch|apps,extensions|deployments|",
        "update|apps,extensions|deployments/status|",
        "update|apps,extensions|deployments/finalizers|",
        "create,delete,get,list,patch,update,watch|apps,extensions|replicasets|",
        "get,list,update,watch||pods|",
        EVENTS_RULE,
    };
    expect_rules(f, "system:controller:deployment-controller", deploy, KAPI_ARRAY_LEN(deploy));
    const char *const ns[] = {
        "delete,get,list,watch||namespaces|",
        "update||namespaces/finalize,namespaces/status|",
        "delete,deletecollection,get,list,watch|*|*|",
    };
    expect_rules(f, "system:controller:namespace-controller", ns, KAPI_ARRAY_LEN(ns));
    const char *const gc[] = {"delete,get,list,patch,update,watch|*|*|", EVENTS_RULE};
    expect_rules(f, "system:controller:generic-garbage-collector", gc, KAPI_ARRAY_LEN(gc));
    const char *const cert[] = {
        "delete,get,list,watch|certificates.k8s.io|certificatesigningrequests|",
        "update|certificates.k8s.io|certificatesigningrequests/approval,certificatesigningrequests/status|",
        "approve|certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client-kubelet",
        ("sign|certificates.k8s.io|signers|kubernetes.io/kube-apiserver-client,kubernetes.io/kube-apiserver-client-"
         "kubelet,kubernetes.io/kubelet-serving,kubernetes.io/legacy-unknown"),
        "create|authorization.k8s.io|subjectaccessreviews|",
        EVENTS_RULE,
    };
    expect_rules(f, "system:controller:certificate-controller", cert, KAPI_ARRAY_LEN(cert));
    /* 1.33 still appends the (GA, locked) StatefulSetAutoDeletePVC rules after the events rule */
    const char *const sts[] = {
        "list,watch||pods|",
        "get,list,watch|apps|statefulsets|",
        "update|apps|statefulsets/status|",
        "update|apps|statefulsets/finalizers|",
        "create,delete,get,patch,update||pods|",
        "create,delete,get,list,patch,update,watch|apps|controllerrevisions|",
        "create,get,list,watch||persistentvolumeclaims|",
        EVENTS_RULE,
        "delete,update||persistentvolumeclaims|",
        "update||pods/finalizers|",
    };
    expect_rules(f, "system:controller:statefulset-controller", sts, KAPI_ARRAY_LEN(sts));

    /* upstream's controller roles with 1.33's default feature gates: every one is bound to the
     * kube-system service account of its name */
    const char *const names[] = {
        "attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller",
        "cronjob-controller", "daemon-set-controller", "deployment-controller", "disruption-controller",
        "endpoint-controller", "endpointslice-controller", "endpointslicemirroring-controller",
        "ephemeral-volume-controller", "expand-controller", "generic-garbage-collector",
        "horizontal-pod-autoscaler", "job-controller", "legacy-service-account-token-cleaner",
        "namespace-controller", "node-controller", "persistent-volume-binder", "pod-garbage-collector",
        "pv-protection-controller", "pvc-protection-controller", "replicaset-controller",
        "replication-controller", "resourcequota-controller", "root-ca-cert-publisher", "route-controller",
        "selinux-warning-controller", "service-account-controller", "service-cidrs-controller",
        "service-controller", "statefulset-controller", "ttl-after-finished-controller", "ttl-controller",
        "validatingadmissionpolicy-status-controller",
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(names); i++) {
        const char *full = kapi_pool_printf(f->pool, "system:controller:%s", names[i]);
        struct kapi_value *role = get_obj(f, "clusterroles", NULL, full);
        assert_non_null(role);
        struct kapi_value *b = get_obj(f, "clusterrolebindings", NULL, full);
        assert_non_null(b);
        assert_string_equal(kapi_value_cstr(kapi_value_path(b, "metadata", "labels", "kubernetes.io/bootstrapping",
                                                            NULL)),
                            "rbac-defaults");
        assert_string_equal(kapi_value_cstr(kapi_value_path(b, "roleRef", "kind", NULL)), "ClusterRole");
        assert_string_equal(kapi_value_cstr(kapi_value_path(b, "roleRef", "name", NULL)), full);
        struct kapi_value *subs = kapi_obj_get(b, "subjects");
        assert_non_null(subs);
        assert_int_equal(subs->type, KAPI_V_ARRAY);
        assert_int_equal(subs->u.arr.len, 1);
        assert_string_equal(kapi_obj_get_str(subs->u.arr.items[0], "kind"), "ServiceAccount");
        assert_string_equal(kapi_obj_get_str(subs->u.arr.items[0], "namespace"), "kube-system");
        assert_string_equal(kapi_obj_get_str(subs->u.arr.items[0], "name"), names[i]);
        assert_null(kapi_obj_get(subs->u.arr.items[0], "apiGroup"));
    }
    /* roles of features that are off by default in 1.33 are not created */
    const char *const gated[] = {"resource-claim-controller", "device-taint-eviction-controller",
                                 "volumeattributesclass-protection-controller",
                                 "kube-apiserver-serving-clustertrustbundle-publisher",
                                 "storage-version-garbage-collector", "storage-version-migrator-controller",
                                 "podcertificaterequestcleaner"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(gated); i++)
        assert_null(get_obj(f, "clusterroles", NULL, kapi_pool_printf(f->pool, "system:controller:%s", gated[i])));

    /* the roles in action, through the bindings */
    const char *dc = "system:serviceaccount:kube-system:deployment-controller";
    assert_true(R(dc, "system:serviceaccounts", "create", "apps", "replicasets", "", "default", ""));
    assert_string_equal(reason, "RBAC: allowed by ClusterRoleBinding \"system:controller:deployment-controller\" of "
                                "ClusterRole \"system:controller:deployment-controller\" to ServiceAccount "
                                "\"deployment-controller/kube-system\"");
    assert_true(R(dc, "system:serviceaccounts", "update", "apps", "deployments", "status", "default", "d"));
    assert_false(R(dc, "system:serviceaccounts", "delete", "", "nodes", "", "", "n1"));
    assert_false(R(dc, "system:serviceaccounts", "create", "apps", "deployments", "", "default", ""));
    const char *nc = "system:serviceaccount:kube-system:namespace-controller";
    assert_true(R(nc, NULL, "deletecollection", "batch", "jobs", "", "team", ""));
    assert_true(R(nc, NULL, "update", "", "namespaces", "finalize", "", "team"));
    assert_false(R(nc, NULL, "create", "", "pods", "", "team", ""));
    assert_true(R("system:serviceaccount:kube-system:legacy-service-account-token-cleaner", NULL, "get", "",
                  "configmaps", "", "kube-system", "kube-apiserver-legacy-service-account-token-tracking"));
    assert_false(R("system:serviceaccount:kube-system:legacy-service-account-token-cleaner", NULL, "get", "",
                   "configmaps", "", "kube-system", "other"));
    assert_true(R("system:serviceaccount:kube-system:horizontal-pod-autoscaler", NULL, "update", "apps",
                  "deployments", "scale", "default", "d"));
    /* the same name in another namespace is someone else */
    assert_false(R("system:serviceaccount:default:deployment-controller", NULL, "create", "apps", "replicasets", "",
                   "default", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_masters_without_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cluster_binding_user_group_sa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_bindings_namespaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subresources_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_resource_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_controller_roles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
