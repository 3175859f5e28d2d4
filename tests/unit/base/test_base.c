/* Unit tests for src/base: pools, bounded buffers, blobs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/base.h"
#include "codec/value.h"

static void test_pool_alloc_and_printf(void **state)
{
    struct kapi_pool *p = kapi_pool_new();
    char *s = kapi_pool_printf(p, "%s-%d", "a", 42);
    assert_string_equal(s, "a-42");
    char *big = kapi_pool_alloc(p, 100000);
    memset(big, 1, 100000);
    char *s2 = kapi_pool_strndup(p, "hello", 3);
    assert_string_equal(s2, "hel");
    kapi_pool_free(p);
}

/* Allocations of every size class (small ones, big ones that still fit the
 * current chunk, big ones that do not, fresh chunks) in default and sized
 * pools: 16-byte aligned, disjoint, and holding what was written. */
static void test_pool_chunks(void **state)
{
    static const size_t sizes[] = {1, 16, 40, 700, 2048, 3000, 9000, 13000, 20000, 5, 4095, 100};
    for (int kind = 0; kind < 3; kind++) {
        struct kapi_pool *p = kind == 0 ? kapi_pool_new() : kapi_pool_new_sized(kind == 1 ? 1 : 256);
        unsigned char *ptr[3 * KAPI_ARRAY_LEN(sizes)];
        size_t len[3 * KAPI_ARRAY_LEN(sizes)];
        size_t n = 0;
        for (int round = 0; round < 3; round++) {
            for (size_t i = 0; i < KAPI_ARRAY_LEN(sizes); i++) {
                ptr[n] = kapi_pool_alloc(p, sizes[i]);
                len[n] = sizes[i];
                assert_int_equal((uintptr_t)ptr[n] % 16, 0);
                memset(ptr[n], (int)(n + 1), len[n]);
                n++;
            }
        }
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < len[i]; k++)
                assert_int_equal(ptr[i][k], (unsigned char)(i + 1));
            for (size_t j = 0; j < n; j++)
                if (j != i)
                    assert_true(ptr[i] + len[i] <= ptr[j] || ptr[j] + len[j] <= ptr[i]);
        }
        kapi_pool_free(p);
    }
}

static int cleaned;
static void cleanup(void *arg) { cleaned += *(int *)arg; }

/* Per-pool data: one slot per key, replaced in place, NULL for others. */
static void test_pool_data(void **state)
{
    (void)state;
    static const char k1, k2;
    int a = 1, b = 2;
    struct kapi_pool *p = kapi_pool_new();
    assert_null(kapi_pool_data(p, &k1));
    kapi_pool_set_data(p, &k1, &a);
    kapi_pool_set_data(p, &k2, &b);
    assert_ptr_equal(kapi_pool_data(p, &k1), &a);
    assert_ptr_equal(kapi_pool_data(p, &k2), &b);
    kapi_pool_set_data(p, &k1, &b);
    assert_ptr_equal(kapi_pool_data(p, &k1), &b);
    struct kapi_pool *q = kapi_pool_new();
    assert_null(kapi_pool_data(q, &k1));
    kapi_pool_free(q);
    kapi_pool_free(p);
}

static void test_pool_cleanup_runs(void **state)
{
    struct kapi_pool *p = kapi_pool_new();
    static int v = 5;
    kapi_pool_cleanup(p, cleanup, &v);
    kapi_pool_free(p);
    assert_int_equal(cleaned, 5);
}

static void test_buf_limit(void **state)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 10);
    assert_int_equal(kapi_buf_puts(&b, "0123456789"), 0);
    assert_int_equal(kapi_buf_putc(&b, 'x'), -1);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    kapi_buf_reset(&b);
    assert_int_equal(kapi_buf_printf(&b, "%d", 12345), 0);
    assert_string_equal(b.data, "12345");
    kapi_buf_dispose(&b);
}

static void test_blob_refcount(void **state)
{
    struct kapi_blob *b = kapi_blob_new("abc", 3);
    assert_ptr_equal(kapi_blob_ref(b), b);
    kapi_blob_unref(b);
    assert_string_equal(b->data, "abc");
    kapi_blob_unref(b);
    kapi_blob_unref(NULL);
}

static void test_value_object_order(void **state)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "b", kapi_value_int(p, 1));
    kapi_obj_set(p, o, "a", kapi_value_str(p, "x"));
    kapi_obj_set(p, o, "b", kapi_value_int(p, 2));
    assert_int_equal(o->u.obj.len, 2);
    assert_string_equal(o->u.obj.members[0].key, "b");
    assert_int_equal(kapi_obj_get(o, "b")->u.i, 2);
    struct kapi_value *c = kapi_value_clone(p, o);
    assert_true(kapi_value_equal(o, c));
    assert_true(kapi_obj_del(c, "a"));
    assert_false(kapi_value_equal(o, c));
    struct kapi_value *m = kapi_obj_ensure_obj(p, o, "metadata");
    kapi_obj_set(p, m, "name", kapi_value_str(p, "n"));
    assert_string_equal(kapi_value_cstr(kapi_value_path(o, "metadata", "name", NULL)), "n");
    kapi_pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_alloc_and_printf),
        cmocka_unit_test(test_pool_chunks),
        cmocka_unit_test(test_pool_cleanup_runs),
        cmocka_unit_test(test_pool_data),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_blob_refcount),
        cmocka_unit_test(test_value_object_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
