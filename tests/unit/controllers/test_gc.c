/* Unit tests for src/controllers/gc over the SQLite store and the watch
 * cache: background cascade through two levels when an owner is removed,
 * foreground deletion (dependents first, then the owner), orphaning
 * (dependents keep existing without the reference), and a dependent with
 * two owners losing only the dead reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "codec/json.h"
#include "controllers/gc.h"
#include "registry/objectmeta.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_gc *gc;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-gc-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_gc_stop(f->gc);
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

static struct kapi_value *read_obj(struct fx *f, const char *key, int64_t *rev)
{
    struct kapi_kv kv = {0};
    int err = kapi_store_get(f->store, key, &kv);
    if (err == KAPI_STORE_NOT_FOUND) {
        kapi_kv_dispose(&kv);
        return NULL;
    }
    assert_int_equal(err, 0);
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(f->pool, kv.value->data, kv.value->len, NULL, &jerr);
    assert_non_null(v);
    if (rev)
        *rev = kv.mod_rev;
    kapi_kv_dispose(&kv);
    return v;
}

static bool exists(struct fx *f, const char *key)
{
    return read_obj(f, key, NULL) != NULL;
}

static bool wait_for(struct fx *f, const char *key, bool want_present, int timeout_ms)
{
    int64_t end = kapi_now_ms() + timeout_ms;
    do {
        if (exists(f, key) == want_present)
            return true;
        usleep(20 * 1000);
    } while (kapi_now_ms() < end);
    return exists(f, key) == want_present;
}

/* An ownerReferences entry for an object created by create(). */
static const char *ref(struct fx *f, const char *api_version, const char *kind, const char *name, bool block)
{
    return kapi_pool_printf(f->pool,
                            "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\",\"uid\":\"uid-%s\""
                            ",\"controller\":true%s}",
                            api_version, kind, name, name, block ? ",\"blockOwnerDeletion\":true" : "");
}

/* Creates an object in namespace "ns" with uid "uid-<name>". refs is the
 * inside of the ownerReferences array or NULL; extra_meta is appended to
 * metadata (",\"finalizers\":[..]" and the like) or NULL. */
static const char *create(struct fx *f, const char *group, const char *resource, const char *kind,
                          const char *name, const char *refs, const char *extra_meta)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, "v1", resource);
    assert_non_null(k);
    const char *key = kapi_registry_key(f->pool, k, "ns", name);
    const char *json = kapi_pool_printf(
        f->pool,
        "{\"kind\":\"%s\",\"apiVersion\":\"%s%sv1\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
        "\"uid\":\"uid-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"%s%s%s%s}}",
        kind, group, group[0] ? "/" : "", name, name, refs ? ",\"ownerReferences\":[" : "", refs ? refs : "",
        refs ? "]" : "", extra_meta ? extra_meta : "");
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    return key;
}

static void delete_key(struct fx *f, const char *key)
{
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = key};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
}

static const char *DEPLOY_META_DELETING =
    ",\"deletionTimestamp\":\"2026-01-01T00:00:05Z\",\"deletionGracePeriodSeconds\":0";

static size_t nrefs(struct fx *f, const char *key)
{
    struct kapi_value *o = read_obj(f, key, NULL);
    assert_non_null(o);
    struct kapi_value *refs = kapi_value_path(o, "metadata", "ownerReferences", NULL);
    return refs ? refs->u.arr.len : 0;
}

static void test_background_cascade(void **state)
{
    struct fx *f = *state;
    const char *dep = create(f, "apps", "deployments", "Deployment", "web", NULL, NULL);
    const char *d_ref = ref(f, "apps/v1", "Deployment", "web", true);
    const char *rs1 = create(f, "apps", "replicasets", "ReplicaSet", "web-1", d_ref, NULL);
    const char *rs2 = create(f, "apps", "replicasets", "ReplicaSet", "web-2", d_ref, NULL);
    const char *pod = create(f, "", "pods", "Pod", "web-1-abc", ref(f, "apps/v1", "ReplicaSet", "web-1", true), NULL);
    /* A bystander whose owner reference names an unknown kind is left alone. */
    const char *odd = create(f, "", "configmaps", "ConfigMap", "odd",
                             ref(f, "example.com/v1", "Widget", "nothing", false), NULL);
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_non_null(f->gc);

    /* Live owners: nothing happens. */
    usleep(700 * 1000);
    assert_true(exists(f, rs1));
    assert_true(exists(f, rs2));
    assert_true(exists(f, pod));

    delete_key(f, dep);
    assert_true(wait_for(f, rs1, false, 5000));
    assert_true(wait_for(f, rs2, false, 5000));
    assert_true(wait_for(f, pod, false, 5000));
    assert_true(exists(f, odd));

    int64_t t0 = kapi_now_ms();
    kapi_gc_stop(f->gc);
    f->gc = NULL;
    assert_true(kapi_now_ms() - t0 < 1000);
}

static void test_dependent_with_finalizer_is_marked(void **state)
{
    struct fx *f = *state;
    create(f, "apps", "deployments", "Deployment", "web", NULL, NULL);
    const char *rs = create(f, "apps", "replicasets", "ReplicaSet", "web-1",
                            ref(f, "apps/v1", "Deployment", "web", true),
                            ",\"finalizers\":[\"example.com/hold\"]");
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    delete_key(f, kapi_registry_key(f->pool, kapi_registry_find(f->reg, "apps", "v1", "deployments"), "ns", "web"));
    int64_t end = kapi_now_ms() + 5000;
    struct kapi_value *o = NULL;
    while (kapi_now_ms() < end) {
        o = read_obj(f, rs, NULL);
        assert_non_null(o);
        if (kapi_value_path(o, "metadata", "deletionTimestamp", NULL))
            break;
        usleep(20 * 1000);
    }
    assert_non_null(kapi_value_path(o, "metadata", "deletionTimestamp", NULL));
    assert_int_equal(kapi_value_path(o, "metadata", "deletionGracePeriodSeconds", NULL)->u.i, 0);
    usleep(700 * 1000);
    assert_true(exists(f, rs));
}

static void test_foreground(void **state)
{
    struct fx *f = *state;
    const char *d_ref = ref(f, "apps/v1", "Deployment", "web", true);
    /* The blocking dependent is held by a finalizer: the owner must wait. */
    const char *rs1 = create(f, "apps", "replicasets", "ReplicaSet", "web-1", d_ref,
                             ",\"finalizers\":[\"example.com/hold\"]");
    const char *rs2 = create(f, "apps", "replicasets", "ReplicaSet", "web-2", d_ref, NULL);
    const char *dep = create(f, "apps", "deployments", "Deployment", "web", NULL,
                             kapi_pool_printf(f->pool, "%s,\"finalizers\":[\"foregroundDeletion\"]",
                                              DEPLOY_META_DELETING));
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_true(wait_for(f, rs2, false, 5000));
    usleep(1200 * 1000);
    assert_true(exists(f, dep));
    struct kapi_value *o = read_obj(f, rs1, NULL);
    assert_non_null(kapi_value_path(o, "metadata", "deletionTimestamp", NULL));

    /* Its holder lets go; the API server then removes the marked object
     * (emulated here). Only now may the owner go. */
    delete_key(f, rs1);
    assert_true(wait_for(f, dep, false, 5000));
}

static void test_foreground_keeps_other_finalizers(void **state)
{
    struct fx *f = *state;
    const char *rs = create(f, "apps", "replicasets", "ReplicaSet", "web-1",
                            ref(f, "apps/v1", "Deployment", "web", true), NULL);
    const char *dep = create(f, "apps", "deployments", "Deployment", "web", NULL,
                             kapi_pool_printf(f->pool, "%s,\"finalizers\":[\"foregroundDeletion\",\"example.com/x\"]",
                                              DEPLOY_META_DELETING));
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_true(wait_for(f, rs, false, 5000));
    int64_t end = kapi_now_ms() + 5000;
    struct kapi_value *fins = NULL;
    while (kapi_now_ms() < end) {
        struct kapi_value *o = read_obj(f, dep, NULL);
        assert_non_null(o);
        fins = kapi_value_path(o, "metadata", "finalizers", NULL);
        if (fins && fins->u.arr.len == 1)
            break;
        usleep(20 * 1000);
    }
    assert_non_null(fins);
    assert_int_equal(fins->u.arr.len, 1);
    assert_string_equal(kapi_value_cstr(fins->u.arr.items[0]), "example.com/x");
    usleep(700 * 1000);
    assert_true(exists(f, dep));
}

static void test_orphan(void **state)
{
    struct fx *f = *state;
    const char *d_ref = ref(f, "apps/v1", "Deployment", "web", true);
    const char *rs1 = create(f, "apps", "replicasets", "ReplicaSet", "web-1", d_ref, NULL);
    const char *rs2 = create(f, "apps", "replicasets", "ReplicaSet", "web-2", d_ref, NULL);
    const char *pod = create(f, "", "pods", "Pod", "web-1-abc", ref(f, "apps/v1", "ReplicaSet", "web-1", true), NULL);
    const char *dep = create(f, "apps", "deployments", "Deployment", "web", NULL,
                             kapi_pool_printf(f->pool, "%s,\"finalizers\":[\"orphan\"]", DEPLOY_META_DELETING));
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_true(wait_for(f, dep, false, 5000));
    usleep(700 * 1000);
    assert_true(exists(f, rs1));
    assert_true(exists(f, rs2));
    assert_true(exists(f, pod));
    assert_int_equal(nrefs(f, rs1), 0);
    assert_int_equal(nrefs(f, rs2), 0);
    assert_int_equal(nrefs(f, pod), 1);
}

static void test_two_owners(void **state)
{
    struct fx *f = *state;
    const char *a = create(f, "", "configmaps", "ConfigMap", "owner-a", NULL, NULL);
    create(f, "", "configmaps", "ConfigMap", "owner-b", NULL, NULL);
    const char *refs = kapi_pool_printf(f->pool, "%s,%s", ref(f, "v1", "ConfigMap", "owner-a", false),
                                        ref(f, "v1", "ConfigMap", "owner-b", false));
    const char *dep = create(f, "", "secrets", "Secret", "shared", refs, NULL);
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    delete_key(f, a);
    int64_t end = kapi_now_ms() + 5000;
    while (kapi_now_ms() < end && nrefs(f, dep) != 1)
        usleep(20 * 1000);
    assert_int_equal(nrefs(f, dep), 1);
    struct kapi_value *o = read_obj(f, dep, NULL);
    struct kapi_value *r0 = kapi_value_path(o, "metadata", "ownerReferences", NULL)->u.arr.items[0];
    assert_string_equal(kapi_obj_get_str(r0, "uid"), "uid-owner-b");
    /* Stored canonically: no resourceVersion in the bytes. */
    assert_null(kapi_value_path(o, "metadata", "resourceVersion", NULL));
    usleep(700 * 1000);
    assert_true(exists(f, dep));
}

/* An owner that was replaced by a new object of the same name (another uid)
 * counts as gone. */
static void test_owner_recreated_with_new_uid(void **state)
{
    struct fx *f = *state;
    const char *dep = create(f, "", "secrets", "Secret", "child", ref(f, "v1", "ConfigMap", "old-owner", false), NULL);
    /* The ConfigMap "old-owner" exists, but with uid "uid-other". */
    const char *key = kapi_registry_key(f->pool, kapi_registry_find(f->reg, "", "v1", "configmaps"), "ns", "old-owner");
    const char *json = "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"old-owner\","
                       "\"namespace\":\"ns\",\"uid\":\"uid-other\"}}";
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_true(wait_for(f, dep, false, 5000));
    assert_true(exists(f, key));
}

static const char *put_json(struct fx *f, const char *group, const char *resource, const char *ns,
                            const char *name, const char *json)
{
    const char *key = kapi_registry_key(f->pool, kapi_registry_find(f->reg, group, "v1", resource), ns, name);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    return key;
}

/* A namespaced dependent may own through a cluster-scoped owner, not through
 * an object of another namespace that carries the uid it names. The
 * collector stays quiet while nothing changes (its scans settle), then
 * reacts to the owner's deletion. */
static void test_owner_scope(void **state)
{
    struct fx *f = *state;
    const char *cr = put_json(f, "rbac.authorization.k8s.io", "clusterroles", NULL, "viewer",
                              "{\"kind\":\"ClusterRole\",\"apiVersion\":\"rbac.authorization.k8s.io/v1\","
                              "\"metadata\":{\"name\":\"viewer\",\"uid\":\"uid-viewer\"}}");
    const char *kept = create(f, "", "configmaps", "ConfigMap", "kept",
                              ref(f, "rbac.authorization.k8s.io/v1", "ClusterRole", "viewer", false), NULL);
    /* "uid-elsewhere" lives in namespace "other" only: not an owner for "ns" */
    put_json(f, "", "configmaps", "other", "elsewhere",
             "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"elsewhere\","
             "\"namespace\":\"other\",\"uid\":\"uid-elsewhere\"}}");
    const char *stray = create(f, "", "configmaps", "ConfigMap", "stray",
                               ref(f, "v1", "ConfigMap", "elsewhere", false), NULL);
    f->gc = kapi_gc_start(f->store, f->cache, f->reg);
    assert_true(wait_for(f, stray, false, 5000));
    usleep(1200 * 1000); /* several scan periods with no change */
    assert_true(exists(f, kept));
    delete_key(f, cr);
    assert_true(wait_for(f, kept, false, 5000));
}

static void test_stop_null(void **state)
{
    (void)state;
    kapi_gc_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_background_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dependent_with_finalizer_is_marked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreground, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreground_keeps_other_finalizers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_owners, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_recreated_with_new_uid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_scope, setup, teardown),
        cmocka_unit_test(test_stop_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
