/* Unit tests for src/controllers/namespace over the SQLite store and the
 * watch cache: a terminating namespace is emptied and removed, objects held
 * by finalizers keep it until released, a namespace left terminating before
 * the controller starts is finished, and namespace finalizers other than
 * "kubernetes" are respected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "codec/json.h"
#include "controllers/namespace.h"
#include "registry/objectmeta.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_nsctl *ctl;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-nsctl-test-XXXXXX");
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
    kapi_nsctl_stop(f->ctl);
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

static const char *key_of(struct fx *f, const char *group, const char *version, const char *resource,
                          const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, version, resource);
    assert_non_null(k);
    return kapi_registry_key(f->pool, k, ns, name);
}

static void write_json(struct fx *f, int op, const char *key, const char *json, int64_t expect)
{
    struct kapi_write w = {.op = op, .key = key, .value = json, .len = strlen(json), .expect_mod_rev = expect};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
}

/* The stored object at key parsed into the fixture's pool, or NULL when absent. */
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

/* Polls until key is present (or absent) as wanted, for at most timeout_ms. */
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

static const char *create_ns(struct fx *f, const char *name, bool terminating, const char *meta_fin)
{
    const char *key = key_of(f, "", "v1", "namespaces", NULL, name);
    const char *json = kapi_pool_printf(
        f->pool,
        "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\",\"uid\":\"uid-%s\","
        "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"%s%s%s%s,\"labels\":{\"kubernetes.io/metadata.name\":\"%s\"}},"
        "\"spec\":{\"finalizers\":[\"kubernetes\"]},\"status\":{\"phase\":\"%s\"}}",
        name, name, terminating ? ",\"deletionTimestamp\":\"2026-01-01T00:00:01Z\",\"deletionGracePeriodSeconds\":0" : "",
        meta_fin ? ",\"finalizers\":[\"" : "", meta_fin ? meta_fin : "", meta_fin ? "\"]" : "", name,
        terminating ? "Terminating" : "Active");
    write_json(f, KAPI_WRITE_CREATE, key, json, 0);
    return key;
}

/* What an API DELETE of the namespace does: mark it Terminating. */
static void mark_ns_deleting(struct fx *f, const char *key)
{
    int64_t rev = 0;
    struct kapi_value *ns = read_obj(f, key, &rev);
    assert_non_null(ns);
    struct kapi_value *md = kapi_obj_get(ns, "metadata");
    kapi_obj_set(f->pool, md, "deletionTimestamp", kapi_value_str(f->pool, "2026-01-01T00:00:05Z"));
    kapi_obj_set(f->pool, md, "deletionGracePeriodSeconds", kapi_value_int(f->pool, 0));
    kapi_obj_set(f->pool, kapi_obj_ensure_obj(f->pool, ns, "status"), "phase", kapi_value_str(f->pool, "Terminating"));
    kapi_meta_canonicalize(f->pool, ns);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(ns, &b);
    write_json(f, KAPI_WRITE_UPDATE, key, b.data, rev);
    kapi_buf_dispose(&b);
}

static const char *create_obj(struct fx *f, const char *group, const char *version, const char *resource,
                              const char *kind, const char *ns, const char *name, const char *finalizer)
{
    const char *key = key_of(f, group, version, resource, ns, name);
    const char *json = kapi_pool_printf(
        f->pool,
        "{\"kind\":\"%s\",\"apiVersion\":\"%s%s%s\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\","
        "\"uid\":\"uid-%s-%s\",\"generation\":1,\"creationTimestamp\":\"2026-01-01T00:00:00Z\"%s%s%s}}",
        kind, group, group[0] ? "/" : "", version, name, ns, ns, name, finalizer ? ",\"finalizers\":[\"" : "",
        finalizer ? finalizer : "", finalizer ? "\"]" : "");
    write_json(f, KAPI_WRITE_CREATE, key, json, 0);
    return key;
}

/* Drops metadata.finalizers from the stored object, as its owner would. */
static void remove_finalizers(struct fx *f, const char *key)
{
    int64_t rev = 0;
    struct kapi_value *o = read_obj(f, key, &rev);
    assert_non_null(o);
    assert_true(kapi_obj_del(kapi_obj_get(o, "metadata"), "finalizers"));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(o, &b);
    write_json(f, KAPI_WRITE_UPDATE, key, b.data, rev);
    kapi_buf_dispose(&b);
}

static void test_terminating_namespace_is_emptied_and_removed(void **state)
{
    struct fx *f = *state;
    const char *ns = create_ns(f, "doomed", false, NULL);
    const char *keep_ns = create_ns(f, "keep", false, NULL);
    const char *objs[] = {
        create_obj(f, "", "v1", "configmaps", "ConfigMap", "doomed", "a", NULL),
        create_obj(f, "", "v1", "configmaps", "ConfigMap", "doomed", "b", NULL),
        create_obj(f, "", "v1", "secrets", "Secret", "doomed", "s", NULL),
        create_obj(f, "apps", "v1", "deployments", "Deployment", "doomed", "d", NULL),
        create_obj(f, "", "v1", "events", "Event", "doomed", "e", NULL),
    };
    const char *keep_cm = create_obj(f, "", "v1", "configmaps", "ConfigMap", "keep", "a", NULL);
    f->ctl = kapi_nsctl_start(f->store, f->cache, f->reg);
    assert_non_null(f->ctl);

    /* An active namespace is left alone. */
    usleep(300 * 1000);
    assert_true(exists(f, ns));
    for (size_t i = 0; i < KAPI_ARRAY_LEN(objs); i++)
        assert_true(exists(f, objs[i]));

    mark_ns_deleting(f, ns);
    assert_true(wait_for(f, ns, false, 5000));
    for (size_t i = 0; i < KAPI_ARRAY_LEN(objs); i++)
        assert_false(exists(f, objs[i]));
    assert_true(exists(f, keep_ns));
    assert_true(exists(f, keep_cm));

    /* stop() returns promptly. */
    int64_t t0 = kapi_now_ms();
    kapi_nsctl_stop(f->ctl);
    f->ctl = NULL;
    assert_true(kapi_now_ms() - t0 < 1000);
}

static void test_finalizer_holds_namespace_until_removed(void **state)
{
    struct fx *f = *state;
    const char *ns = create_ns(f, "held", false, NULL);
    const char *held = create_obj(f, "apps", "v1", "deployments", "Deployment", "held", "d", "example.com/hold");
    const char *free_cm = create_obj(f, "", "v1", "configmaps", "ConfigMap", "held", "c", NULL);
    f->ctl = kapi_nsctl_start(f->store, f->cache, f->reg);
    assert_non_null(f->ctl);
    mark_ns_deleting(f, ns);

    assert_true(wait_for(f, free_cm, false, 5000));
    /* The held object is marked deleted, not removed, and the namespace
     * stays while it is there. */
    int64_t end = kapi_now_ms() + 5000;
    struct kapi_value *o = NULL;
    while (kapi_now_ms() < end) {
        o = read_obj(f, held, NULL);
        assert_non_null(o);
        if (kapi_value_path(o, "metadata", "deletionTimestamp", NULL))
            break;
        usleep(20 * 1000);
    }
    assert_non_null(kapi_value_path(o, "metadata", "deletionTimestamp", NULL));
    struct kapi_value *grace = kapi_value_path(o, "metadata", "deletionGracePeriodSeconds", NULL);
    assert_non_null(grace);
    assert_int_equal(grace->u.i, 0);
    assert_int_equal(kapi_value_path(o, "metadata", "generation", NULL)->u.i, 2);
    usleep(1200 * 1000); /* more than two re-check intervals */
    assert_true(exists(f, held));
    struct kapi_value *n = read_obj(f, ns, NULL);
    assert_non_null(n);
    assert_string_equal(kapi_value_cstr(kapi_value_path(n, "status", "phase", NULL)), "Terminating");

    remove_finalizers(f, held);
    assert_true(wait_for(f, held, false, 5000));
    assert_true(wait_for(f, ns, false, 5000));
}

static void test_namespace_terminating_before_start_is_finished(void **state)
{
    struct fx *f = *state;
    const char *ns = create_ns(f, "leftover", true, NULL);
    const char *s = create_obj(f, "", "v1", "secrets", "Secret", "leftover", "s", NULL);
    const char *sa = create_obj(f, "", "v1", "serviceaccounts", "ServiceAccount", "leftover", "default", NULL);
    usleep(200 * 1000);
    assert_true(exists(f, ns));
    f->ctl = kapi_nsctl_start(f->store, f->cache, f->reg);
    assert_non_null(f->ctl);
    assert_true(wait_for(f, ns, false, 5000));
    assert_false(exists(f, s));
    assert_false(exists(f, sa));
}

static void test_namespace_metadata_finalizer_keeps_it(void **state)
{
    struct fx *f = *state;
    const char *ns = create_ns(f, "fin", false, "example.com/ns-hold");
    const char *cm = create_obj(f, "", "v1", "configmaps", "ConfigMap", "fin", "c", NULL);
    f->ctl = kapi_nsctl_start(f->store, f->cache, f->reg);
    assert_non_null(f->ctl);
    mark_ns_deleting(f, ns);
    assert_true(wait_for(f, cm, false, 5000));

    /* The spec finalizer goes; the namespace stays for its other owner. */
    int64_t end = kapi_now_ms() + 5000;
    struct kapi_value *n = NULL;
    while (kapi_now_ms() < end) {
        n = read_obj(f, ns, NULL);
        assert_non_null(n);
        if (!kapi_value_path(n, "spec", "finalizers", NULL))
            break;
        usleep(20 * 1000);
    }
    assert_null(kapi_value_path(n, "spec", "finalizers", NULL));
    usleep(700 * 1000);
    assert_true(exists(f, ns));

    /* Once that owner lets go, nothing holds the namespace any more. */
    remove_finalizers(f, ns);
    assert_true(wait_for(f, ns, false, 5000));
}

static void test_stop_null(void **state)
{
    (void)state;
    kapi_nsctl_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_terminating_namespace_is_emptied_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizer_holds_namespace_until_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_terminating_before_start_is_finished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_namespace_metadata_finalizer_keeps_it, setup, teardown),
        cmocka_unit_test(test_stop_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
