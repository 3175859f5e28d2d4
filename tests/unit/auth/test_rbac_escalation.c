/* Unit tests for src/auth/rbac_escalation: the covers() semantics (wildcards,
 * "*\/subresource", resourceNames, nonResourceURL prefixes), the listing of
 * missing rules, and the checks on Role/ClusterRole and binding writes over
 * the SQLite store and the watch cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/status.h"
#include "auth/rbac.h"
#include "auth/rbac_escalation.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"
#include "storage/storage.h"

#define G "rbac.authorization.k8s.io"

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
    strcpy(f->dir, "/tmp/kapi-rbacesc-test-XXXXXX");
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

static void put(struct fx *f, const char *resource, const char *ns, const char *name, const char *json)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, G, "v1", resource);
    assert_non_null(k);
    const char *key = kapi_registry_key(f->pool, k, ns, name);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 5000), 0);
}

static const char *role_json(struct fx *f, const char *kind, const char *ns, const char *name, const char *rules)
{
    return kapi_pool_printf(f->pool,
                            "{\"kind\":\"%s\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"%s\"%s%s%s},"
                            "\"rules\":%s}",
                            kind, name, ns ? ",\"namespace\":\"" : "", ns ? ns : "", ns ? "\"" : "", rules);
}

static void clusterrole(struct fx *f, const char *name, const char *rules)
{
    put(f, "clusterroles", NULL, name, role_json(f, "ClusterRole", NULL, name, rules));
}

static void role(struct fx *f, const char *ns, const char *name, const char *rules)
{
    put(f, "roles", ns, name, role_json(f, "Role", ns, name, rules));
}

static const char *binding_json(struct fx *f, const char *ns, const char *name, const char *kind,
                                const char *role_name, const char *user)
{
    return kapi_pool_printf(f->pool,
                            "{\"kind\":\"%s\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"%s\"%s%s%s},"
                            "\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"" G "\",\"name\":\"%s\"}],"
                            "\"roleRef\":{\"apiGroup\":\"" G "\",\"kind\":\"%s\",\"name\":\"%s\"}}",
                            ns ? "RoleBinding" : "ClusterRoleBinding", name, ns ? ",\"namespace\":\"" : "",
                            ns ? ns : "", ns ? "\"" : "", user, kind, role_name);
}

static void crb(struct fx *f, const char *name, const char *role_name, const char *user)
{
    put(f, "clusterrolebindings", NULL, name, binding_json(f, NULL, name, "ClusterRole", role_name, user));
}

static void rb(struct fx *f, const char *ns, const char *name, const char *kind, const char *role_name,
               const char *user)
{
    put(f, "rolebindings", ns, name, binding_json(f, ns, name, kind, role_name, user));
}

static struct kapi_value *parse(struct fx *f, const char *json)
{
    struct kapi_value *v = kapi_json_parse(f->pool, json, strlen(json), NULL, NULL);
    assert_non_null(v);
    return v;
}

/* ---- covers ---- */

#define L(...) ((const char *[]){__VA_ARGS__, NULL})

static bool covers(struct kapi_rbac_rule owner, struct kapi_rbac_rule sub)
{
    return kapi_rbac_rule_covers(&owner, &sub);
}

static void test_rule_covers(void **state)
{
    (void)state;
    struct kapi_rbac_rule get_pods = {.verbs = L("get"), .groups = L(""), .resources = L("pods")};
    /* exact, and each wildcard */
    assert_true(covers(get_pods, get_pods));
    assert_true(
        covers((struct kapi_rbac_rule){.verbs = L("*"), .groups = L(""), .resources = L("pods")}, get_pods));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("*"), .resources = L("pods")}, get_pods));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L(""), .resources = L("*")}, get_pods));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("list"), .groups = L(""), .resources = L("pods")},
                        get_pods));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"), .resources = L("pods")},
                        get_pods));
    /* wildcards in the requested rule are literals: only "*" covers "*" */
    assert_false(covers(get_pods, (struct kapi_rbac_rule){.verbs = L("*"), .groups = L(""), .resources = L("pods")}));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get", "list"), .groups = L(""), .resources = L("*")},
                        (struct kapi_rbac_rule){.verbs = L("*"), .groups = L(""), .resources = L("pods")}));
    /* subresources: exact or "*\/sub"; "pods" does not cover "pods/log" */
    struct kapi_rbac_rule scale = {.verbs = L("get"), .groups = L("apps"), .resources = L("deployments/scale")};
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"), .resources = L("*/scale")},
                       scale));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"),
                                               .resources = L("deployments/scale")},
                       scale));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"), .resources = L("deployments")},
                        scale));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"), .resources = L("*/status")},
                        scale));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"), .resources = L("*/scale")},
                        (struct kapi_rbac_rule){.verbs = L("get"), .groups = L("apps"),
                                                .resources = L("deployments")}));
    /* resourceNames: an unrestricted owner covers named rules, a restricted
     * one only its names and never an unnamed rule */
    struct kapi_rbac_rule named = {.verbs = L("get"), .groups = L(""), .resources = L("pods"), .names = L("a")};
    assert_true(covers(get_pods, named));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L(""), .resources = L("pods"),
                                               .names = L("b", "a")},
                       named));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L(""), .resources = L("pods"),
                                                .names = L("b")},
                        named));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .groups = L(""), .resources = L("pods"),
                                                .names = L("a")},
                        get_pods));
    /* nonResourceURLs: exact or a prefix ending in "*" (all trailing stars trimmed) */
    struct kapi_rbac_rule healthz = {.verbs = L("get"), .urls = L("/healthz/ping")};
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("/healthz/ping")}, healthz));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("/healthz/*")}, healthz));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("/health**")}, healthz));
    assert_true(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("*")}, healthz));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("/healthz")}, healthz));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("/api/*")}, healthz));
    /* resource rules and URL rules do not cover each other */
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("*"), .groups = L("*"), .resources = L("*")}, healthz));
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("*"), .urls = L("*")}, get_pods));
    /* an owner with names does not cover a URL rule */
    assert_false(covers((struct kapi_rbac_rule){.verbs = L("get"), .urls = L("*"), .names = L("x")}, healthz));
}

static void test_covers_lists_missing(void **state)
{
    struct fx *f = *state;
    const struct kapi_rbac_rule owners[] = {
        {.verbs = L("get", "list"), .groups = L(""), .resources = L("pods", "configmaps")},
        {.verbs = L("get"), .urls = L("/api/*")},
    };
    const struct kapi_rbac_rule want[] = {
        {.verbs = L("get", "delete", "list"), .groups = L("", "apps"), .resources = L("pods")},
        {.verbs = L("get", "post"), .urls = L("/api/v1", "/metrics")},
        {.verbs = L("update"), .groups = L(""), .resources = L("secrets"), .names = L("b", "a")},
        {.verbs = L("watch"), .groups = L(""), .resources = L("secrets"), .names = L("a")},
    };
    struct kapi_rbac_rule *missing = NULL;
    size_t n = 0;
    assert_false(kapi_rbac_covers(f->pool, owners, 2, want, 4, &missing, &n));
    /* pods: delete in ""; get, delete, list in apps; URLs: post /api/v1,
     * get+post /metrics; secrets: 2 names x update + 1 x watch */
    assert_int_equal(n, 1 + 3 + 3 + 3);
    assert_string_equal(kapi_rbac_rule_string(f->pool, &missing[0]),
                        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
    assert_string_equal(kapi_rbac_describe_missing(f->pool, missing, n),
                        "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}\n"
                        "{APIGroups:[\"\"], Resources:[\"secrets\"], ResourceNames:[\"a\"], "
                        "Verbs:[\"update\" \"watch\"]}\n"
                        "{APIGroups:[\"\"], Resources:[\"secrets\"], ResourceNames:[\"b\"], Verbs:[\"update\"]}\n"
                        "{APIGroups:[\"apps\"], Resources:[\"pods\"], Verbs:[\"get\" \"delete\" \"list\"]}\n"
                        "{NonResourceURLs:[\"/api/v1\"], Verbs:[\"post\"]}\n"
                        "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}\n"
                        "{NonResourceURLs:[\"/metrics\"], Verbs:[\"post\"]}");
    /* covered entirely */
    const struct kapi_rbac_rule some[] = {{.verbs = L("list"), .groups = L(""), .resources = L("configmaps")}};
    assert_true(kapi_rbac_covers(f->pool, owners, 2, some, 1, &missing, &n));
    assert_int_equal(n, 0);
    /* repeated verbs stay, as upstream lists them; odd bytes as Go quotes them */
    const struct kapi_rbac_rule rep[] = {{.verbs = L("get", "get"), .groups = L("x\"y"), .resources = L("r\n")}};
    assert_false(kapi_rbac_covers(f->pool, NULL, 0, rep, 1, &missing, &n));
    assert_string_equal(kapi_rbac_describe_missing(f->pool, missing, n),
                        "{APIGroups:[\"x\\\"y\"], Resources:[\"r\\n\"], Verbs:[\"get\" \"get\"]}");
}

/* ---- the checks ---- */

static const char *jane_groups[] = {"system:authenticated"};
static const struct kapi_user jane = {.name = "jane", .uid = "", .groups = jane_groups, .ngroups = 1};

static int check(struct fx *f, const struct kapi_user *u, const char *resource, const char *ns, const char *req_name,
                 const char *obj, const char *old, struct kapi_status **st)
{
    struct kapi_value *o = parse(f, obj);
    const char *name = kapi_value_cstr(kapi_value_path(o, "metadata", "name", NULL));
    struct kapi_rbac_write w = {.user = u, .group = G, .resource = resource, .ns = ns, .req_name = req_name,
                                .obj_name = name, .obj = o, .old = old ? parse(f, old) : NULL};
    return kapi_rbac_check_escalation(f->rbac, f->pool, &w, st);
}

#define HELD                                                                                     \
    "user \"jane\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not " \
    "currently held:\n"
#define DELETE_PODS "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"delete\"]}]"
#define GET_PODS "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]"

static void test_role_writes(void **state)
{
    struct fx *f = *state;
    role(f, "dev", "pod-getter", GET_PODS);
    rb(f, "dev", "jane-get", "Role", "pod-getter", "jane");
    struct kapi_status *st = NULL;
    /* holds get pods in dev: may grant it there, not delete, and not elsewhere */
    assert_int_equal(check(f, &jane, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", GET_PODS), NULL, &st), 0);
    assert_int_equal(check(f, &jane, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", DELETE_PODS), NULL, &st),
                     -1);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");
    assert_string_equal(st->message, "roles.rbac.authorization.k8s.io \"r\" is forbidden: " HELD
                                     "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
    assert_string_equal(st->name, "r");
    assert_string_equal(st->group, G);
    assert_string_equal(st->kind, "roles");
    assert_int_equal(check(f, &jane, "roles", "prod", NULL, role_json(f, "Role", "prod", "r", GET_PODS), NULL, &st),
                     -1);
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL, role_json(f, "ClusterRole", NULL, "c", GET_PODS),
                           NULL, &st),
                     -1);
    assert_string_equal(st->message, "clusterroles.rbac.authorization.k8s.io \"c\" is forbidden: " HELD
                                     "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}");
    /* system:masters, AlwaysAllow (no authorizer) and other resources pass */
    const char *mg[] = {"system:masters"};
    struct kapi_user admin = {.name = "admin", .uid = "", .groups = mg, .ngroups = 1};
    assert_int_equal(check(f, &admin, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", DELETE_PODS), NULL, &st),
                     0);
    struct kapi_rbac_write w = {.user = &jane, .group = G, .resource = "roles", .ns = "dev",
                                .obj = parse(f, role_json(f, "Role", "dev", "r", DELETE_PODS))};
    assert_int_equal(kapi_rbac_check_escalation(NULL, f->pool, &w, &st), 0);
    w.group = "";
    w.resource = "configmaps";
    assert_int_equal(kapi_rbac_check_escalation(f->rbac, f->pool, &w, &st), 0);
    /* updates: the same check, except when only GC fields move */
    const char *old = role_json(f, "Role", "dev", "r", DELETE_PODS);
    const char *fin = "{\"kind\":\"Role\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"r\",\"namespace\":"
                      "\"dev\",\"finalizers\":[\"x/y\"],\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":"
                      "\"ConfigMap\",\"name\":\"o\",\"uid\":\"u\"}]},\"rules\":" DELETE_PODS "}";
    assert_int_equal(check(f, &jane, "roles", "dev", "r", fin, old, &st), 0);
    const char *lab = "{\"kind\":\"Role\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"r\",\"namespace\":"
                      "\"dev\",\"labels\":{\"a\":\"b\"}},\"rules\":" DELETE_PODS "}";
    assert_int_equal(check(f, &jane, "roles", "dev", "r", lab, old, &st), -1);
    /* escalate on roles in dev (granted by name: the create has none) */
    role(f, "dev", "escalate-r", "[{\"apiGroups\":[\"" G "\"],\"resources\":[\"roles\"],\"verbs\":[\"escalate\"],"
                                 "\"resourceNames\":[\"r\"]}]");
    rb(f, "dev", "jane-esc", "Role", "escalate-r", "jane");
    assert_int_equal(check(f, &jane, "roles", "dev", "r", lab, old, &st), 0);
    assert_int_equal(check(f, &jane, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", DELETE_PODS), NULL, &st),
                     -1);
    assert_int_equal(check(f, &jane, "roles", "dev", "other", lab, old, &st), -1);
}

static void test_aggregation_rule(void **state)
{
    struct fx *f = *state;
    /* "*" would include escalate, which skips every check */
    clusterrole(f, "cr-writer", "[{\"apiGroups\":[\"" G "\"],\"resources\":[\"clusterroles\"],"
                                "\"verbs\":[\"create\",\"update\"]}]");
    crb(f, "jane-crw", "cr-writer", "jane");
    const char *agg = "{\"kind\":\"ClusterRole\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"agg\"},"
                      "\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{\"a\":\"b\"}}]}}";
    const char *plain = "{\"kind\":\"ClusterRole\",\"apiVersion\":\"" G "/v1\",\"metadata\":{\"name\":\"agg\"}}";
    struct kapi_status *st = NULL;
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL, plain, NULL, &st), 0);
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL, agg, NULL, &st), -1);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->message, "clusterroles.rbac.authorization.k8s.io \"agg\" is forbidden: must have "
                                     "cluster-admin privileges to use the aggregationRule");
    /* dropping the rule of a stored aggregated role counts too */
    assert_int_equal(check(f, &jane, "clusterroles", NULL, "agg", plain, agg, &st), -1);
    /* the rules are checked first */
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL,
                           "{\"metadata\":{\"name\":\"agg\"},\"rules\":" GET_PODS ",\"aggregationRule\":"
                           "{\"clusterRoleSelectors\":[{}]}}",
                           NULL, &st),
                     -1);
    assert_non_null(strstr(st->message, "not currently held"));
    /* an empty selector list is no aggregationRule */
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL,
                           "{\"metadata\":{\"name\":\"agg\"},\"aggregationRule\":{\"clusterRoleSelectors\":[]}}",
                           NULL, &st),
                     0);
    /* holding everything is enough */
    clusterrole(f, "all", "[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
                          "{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}]");
    crb(f, "jane-all", "all", "jane");
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL, agg, NULL, &st), 0);
}

static void test_binding_writes(void **state)
{
    struct fx *f = *state;
    clusterrole(f, "pod-getter", GET_PODS);
    clusterrole(f, "pod-deleter", DELETE_PODS);
    rb(f, "dev", "jane-get", "ClusterRole", "pod-getter", "jane");
    struct kapi_status *st = NULL;
    /* holds the role's rules in the binding's namespace */
    assert_int_equal(check(f, &jane, "rolebindings", "dev", NULL,
                           binding_json(f, "dev", "b", "ClusterRole", "pod-getter", "bob"), NULL, &st),
                     0);
    assert_int_equal(check(f, &jane, "rolebindings", "prod", NULL,
                           binding_json(f, "prod", "b", "ClusterRole", "pod-getter", "bob"), NULL, &st),
                     -1);
    assert_string_equal(st->message, "rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: " HELD
                                     "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}");
    /* a ClusterRoleBinding counts cluster-wide rules only */
    assert_int_equal(check(f, &jane, "clusterrolebindings", NULL, NULL,
                           binding_json(f, NULL, "b", "ClusterRole", "pod-getter", "bob"), NULL, &st),
                     -1);
    assert_string_equal(st->kind, "clusterrolebindings");
    /* a missing role is a 404 from the role lookup */
    assert_int_equal(check(f, &jane, "rolebindings", "dev", NULL,
                           binding_json(f, "dev", "b", "Role", "nope", "bob"), NULL, &st),
                     -1);
    assert_int_equal(st->code, 404);
    assert_string_equal(st->message, "roles.rbac.authorization.k8s.io \"nope\" not found");
    assert_string_equal(st->kind, "roles");
    /* "bind" on the referenced role, by name, in the binding's namespace */
    assert_int_equal(check(f, &jane, "rolebindings", "dev", NULL,
                           binding_json(f, "dev", "b", "ClusterRole", "pod-deleter", "bob"), NULL, &st),
                     -1);
    role(f, "dev", "binder", "[{\"apiGroups\":[\"" G "\"],\"resources\":[\"clusterroles\"],\"verbs\":[\"bind\"],"
                             "\"resourceNames\":[\"pod-deleter\"]}]");
    rb(f, "dev", "jane-bind", "Role", "binder", "jane");
    assert_int_equal(check(f, &jane, "rolebindings", "dev", NULL,
                           binding_json(f, "dev", "b", "ClusterRole", "pod-deleter", "bob"), NULL, &st),
                     0);
    assert_int_equal(check(f, &jane, "rolebindings", "prod", NULL,
                           binding_json(f, "prod", "b", "ClusterRole", "pod-deleter", "bob"), NULL, &st),
                     -1);
    /* updates that only touch GC fields pass */
    const char *old = binding_json(f, "prod", "b", "ClusterRole", "pod-deleter", "bob");
    struct kapi_value *nv = parse(f, old);
    kapi_obj_set(f->pool, kapi_obj_get(nv, "metadata"), "finalizers", parse(f, "[\"x/y\"]"));
    struct kapi_rbac_write w = {.user = &jane, .group = G, .resource = "rolebindings", .ns = "prod", .req_name = "b",
                                .obj_name = "b", .obj = nv, .old = parse(f, old)};
    assert_int_equal(kapi_rbac_check_escalation(f->rbac, f->pool, &w, &st), 0);
}

static void test_resolution_errors(void **state)
{
    struct fx *f = *state;
    crb(f, "a-dangling", "gone", "jane");
    rb(f, "dev", "b-dangling", "Role", "gone-too", "jane");
    rb(f, "dev", "c-dangling", "Role", "gone-too", "jane"); /* same text once */
    struct kapi_status *st = NULL;
    assert_int_equal(check(f, &jane, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", GET_PODS), NULL, &st),
                     -1);
    assert_string_equal(st->message, "roles.rbac.authorization.k8s.io \"r\" is forbidden: " HELD
                                     "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}; resolution errors: "
                                     "[[clusterroles.rbac.authorization.k8s.io \"gone\" not found, "
                                     "roles.rbac.authorization.k8s.io \"gone-too\" not found]]");
    assert_int_equal(check(f, &jane, "clusterroles", NULL, NULL, role_json(f, "ClusterRole", NULL, "c", GET_PODS),
                           NULL, &st),
                     -1);
    assert_non_null(strstr(st->message, "; resolution errors: [clusterroles.rbac.authorization.k8s.io \"gone\" "
                                        "not found]"));
    /* errors are only reported with a denial */
    clusterrole(f, "getter", GET_PODS);
    crb(f, "b-getter", "getter", "jane");
    assert_int_equal(check(f, &jane, "roles", "dev", NULL, role_json(f, "Role", "dev", "r", GET_PODS), NULL, &st), 0);
    /* the held rules are listed in binding order */
    struct kapi_rbac_rule *rules = NULL;
    const char **errs = NULL;
    size_t nerrs = 0;
    assert_int_equal(kapi_rbac_held_rules(f->rbac, f->pool, &jane, "dev", &rules, &errs, &nerrs), 1);
    assert_int_equal(nerrs, 2);
    assert_string_equal(rules[0].verbs[0], "get");
    assert_null(rules[0].verbs[1]);
    assert_null(rules[0].names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_covers),
        cmocka_unit_test_setup_teardown(test_covers_lists_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_role_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregation_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binding_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolution_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
