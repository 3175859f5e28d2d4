/* Unit tests for the deletion helpers of src/registry/objectmeta
 * (kapi_meta_mark_deleted, kapi_meta_delete_stored) over the SQLite store:
 * an object without finalizers is removed, one with finalizers is marked as
 * upstream's markAsDeleting marks it and stays, a marked one is left as it
 * is, a stale revision is retried on the present state, and bytes that do
 * not parse are removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec/json.h"
#include "registry/objectmeta.h"
#include "storage/sqlite/sqlite.h"

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_pool *pool;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-delstored-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->pool = kapi_pool_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_store_close(f->store);
    kapi_pool_free(f->pool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static const char *KEY = "/registry/example.com/widgets/default/w";

/* Writes json at KEY (create when expect is 0); returns the new revision. */
static int64_t put(struct fx *f, const char *json, int64_t expect)
{
    struct kapi_write w = {.op = expect ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = KEY, .value = json,
                           .len = strlen(json), .expect_mod_rev = expect};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    int64_t rev = r.rev;
    kapi_write_result_dispose(&r);
    return rev;
}

/* The stored object's metadata, NULL when absent; *rev its revision. */
static struct kapi_value *stored_md(struct fx *f, int64_t *rev)
{
    struct kapi_kv kv = {0};
    int err = kapi_store_get(f->store, KEY, &kv);
    if (err == KAPI_STORE_NOT_FOUND || (err == 0 && !kv.value)) {
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
    return kapi_obj_get(v, "metadata");
}

/* kapi_meta_delete_stored on what the store holds now, or on json at rev
 * when json is given (a stale view). */
static int delete_stored(struct fx *f, const char *json, int64_t rev, bool *held)
{
    struct kapi_kv kv = {0};
    struct kapi_blob *b;
    if (json) {
        b = kapi_blob_new(json, strlen(json));
    } else {
        assert_int_equal(kapi_store_get(f->store, KEY, &kv), 0);
        b = kapi_blob_ref(kv.value);
        rev = kv.mod_rev;
    }
    int err = kapi_meta_delete_stored(f->store, KEY, b, rev, held);
    kapi_blob_unref(b);
    kapi_kv_dispose(&kv);
    return err;
}

static void test_without_finalizers_it_is_removed(void **state)
{
    struct fx *f = *state;
    put(f, "{\"metadata\":{\"name\":\"w\",\"generation\":1}}", 0);
    bool held = false;
    assert_int_equal(delete_stored(f, NULL, 0, &held), 0);
    assert_false(held);
    assert_null(stored_md(f, NULL));
    /* an empty list keeps nothing either */
    put(f, "{\"metadata\":{\"name\":\"w\",\"finalizers\":[]}}", 0);
    assert_int_equal(delete_stored(f, NULL, 0, &held), 0);
    assert_false(held);
    assert_null(stored_md(f, NULL));
}

static void test_finalizers_mark_it_once(void **state)
{
    struct fx *f = *state;
    put(f, "{\"metadata\":{\"name\":\"w\",\"generation\":3,\"finalizers\":[\"example.com/hold\"]}}", 0);
    bool held = false;
    assert_int_equal(delete_stored(f, NULL, 0, &held), 0);
    assert_true(held);
    int64_t rev1 = 0;
    struct kapi_value *md = stored_md(f, &rev1);
    assert_non_null(md);
    const char *ts = kapi_obj_get_str(md, "deletionTimestamp");
    assert_non_null(ts);
    assert_int_equal(kapi_obj_get(md, "deletionGracePeriodSeconds")->u.i, 0);
    assert_int_equal(kapi_obj_get(md, "generation")->u.i, 4);
    assert_int_equal(kapi_obj_get(md, "finalizers")->u.arr.len, 1);

    /* marked already: nothing is written */
    held = false;
    assert_int_equal(delete_stored(f, NULL, 0, &held), 0);
    assert_true(held);
    int64_t rev2 = 0;
    md = stored_md(f, &rev2);
    assert_int_equal(rev2, rev1);
    assert_string_equal(kapi_obj_get_str(md, "deletionTimestamp"), ts);
    assert_int_equal(kapi_obj_get(md, "generation")->u.i, 4);
}

static void test_mark_deleted_leaves_marked_metadata(void **state)
{
    struct fx *f = *state;
    struct kapi_json_error jerr;
    const char *s = "{\"name\":\"w\",\"deletionTimestamp\":\"2025-01-01T00:00:00Z\",\"generation\":2}";
    struct kapi_value *md = kapi_json_parse(f->pool, s, strlen(s), NULL, &jerr);
    assert_false(kapi_meta_mark_deleted(f->pool, md));
    assert_null(kapi_obj_get(md, "deletionGracePeriodSeconds"));
    assert_int_equal(kapi_obj_get(md, "generation")->u.i, 2);
    /* no generation kept: none is added */
    s = "{\"name\":\"w\"}";
    md = kapi_json_parse(f->pool, s, strlen(s), NULL, &jerr);
    assert_true(kapi_meta_mark_deleted(f->pool, md));
    assert_null(kapi_obj_get(md, "generation"));
    assert_non_null(kapi_obj_get(md, "deletionTimestamp"));
}

static void test_stale_view_is_retried_on_the_present_state(void **state)
{
    struct fx *f = *state;
    const char *old = "{\"metadata\":{\"name\":\"w\"}}";
    int64_t rev = put(f, old, 0);
    /* a finalizer arrived after the caller's read: the object is kept */
    put(f, "{\"metadata\":{\"name\":\"w\",\"finalizers\":[\"example.com/hold\"]}}", rev);
    bool held = false;
    assert_int_equal(delete_stored(f, old, rev, &held), 0);
    assert_true(held);
    struct kapi_value *md = stored_md(f, NULL);
    assert_non_null(md);
    assert_non_null(kapi_obj_get(md, "deletionTimestamp"));

    /* gone meanwhile: nothing to do */
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = KEY};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    held = false;
    assert_int_equal(delete_stored(f, old, rev, &held), 0);
    assert_false(held);
}

static void test_unparsable_bytes_are_removed(void **state)
{
    struct fx *f = *state;
    put(f, "not json", 0);
    bool held = false;
    assert_int_equal(delete_stored(f, NULL, 0, &held), 0);
    assert_false(held);
    assert_null(stored_md(f, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_without_finalizers_it_is_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finalizers_mark_it_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mark_deleted_leaves_marked_metadata, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_view_is_retried_on_the_present_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unparsable_bytes_are_removed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
