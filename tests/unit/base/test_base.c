/* Unit tests for src/base: pools, bounded buffers, blobs, uuids, SHA-256, RFC 3339 times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Version-4 UUIDs in the 8-4-4-4-12 lowercase hex form, different each call. */
static void test_uuid_form(void **state)
{
    (void)state;
    char a[37], b[37];
    for (int n = 0; n < 1000; n++) {
        kapi_uuid(a);
        kapi_uuid(b);
        assert_int_equal(strlen(a), 36);
        assert_string_not_equal(a, b);
        for (int i = 0; i < 36; i++) {
            if (i == 8 || i == 13 || i == 18 || i == 23)
                assert_int_equal(a[i], '-');
            else
                assert_non_null(strchr("0123456789abcdef", a[i]));
        }
        assert_int_equal(a[14], '4');                 /* version 4 */
        assert_non_null(strchr("89ab", a[19]));      /* RFC 4122 variant */
    }
}

static void hex32(const unsigned char d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void *sha_thread(void *arg)
{
    unsigned char d[32];
    for (int i = 0; i < 200; i++)
        kapi_sha256("abc", 3, d);
    hex32(d, arg);
    return NULL;
}

/* FIPS 180-2 test vectors, repeated calls (the context is reused) and
 * other threads (each has its own context). */
static void test_sha256(void **state)
{
    (void)state;
    unsigned char d[32];
    char hex[65];
    kapi_sha256("", 0, d);
    hex32(d, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    kapi_sha256(two, strlen(two), d);
    hex32(d, hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    pthread_t th[3];
    char out[3][65];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, sha_thread, out[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_string_equal(out[i], "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

/* RFC 3339 text with a four-digit year (as Go prints it; strftime's %Y
 * would not pad years before 1000) over a spread of instants, leap days and
 * the ends of the four-digit years included. */
static void ref_time(int64_t t, char *want, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(want, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

static void test_time_rfc3339(void **state)
{
    (void)state;
    char got[21], want[96];
    int64_t samples[] = {0, 951782400 /* 2000-02-29 */, 1764291600, 253402300799 - 3 * 86399 /* 9999-12-28, up to the last second of 9999 */,
                         -62135596800 /* 0001-01-01 */};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        for (int64_t d = 0; d < 3; d++) {
            int64_t t = samples[i] + d * 86399;
            kapi_time_rfc3339(t, got);
            ref_time(t, want, sizeof(want));
            assert_string_equal(got, want);
        }
    }
    for (int64_t t = 0; t < 4000000000LL; t += 7777777) {
        kapi_time_rfc3339(t, got);
        ref_time(t, want, sizeof(want));
        assert_string_equal(got, want);
    }
    /* every year of 0000-9999 at a few days of it (leap days, century
     * rules), the first and last seconds of the range, and past them */
    for (int64_t t = -62167219200LL; t <= 253402300799LL; t += 86400LL * 97 + 3607) {
        kapi_time_rfc3339(t, got);
        ref_time(t, want, sizeof(want));
        assert_string_equal(got, want);
    }
    static const int64_t edges[] = {-62167219200LL, -62167219201LL, -62162121600LL /* 0000-02-29 */,
                                    -1, -86400, -86401, 253402300799LL, 253402300800LL, 11017036800LL,
                                    4107542400LL /* 2100-03-01 */, 4107456000LL /* 2100-02-28 */};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        kapi_time_rfc3339(edges[i], got);
        if (edges[i] >= -62167219200LL && edges[i] <= 253402300799LL) {
            ref_time(edges[i], want, sizeof(want));
        } else { /* outside four digits: strftime's text */
            time_t tt = (time_t)edges[i];
            struct tm tm;
            gmtime_r(&tt, &tm);
            memset(want, 0, sizeof(want));
            strftime(want, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
        }
        assert_string_equal(got, want);
    }
    kapi_time_rfc3339(-62167219200LL, got);
    assert_string_equal(got, "0000-01-01T00:00:00Z");
    kapi_time_rfc3339(253402300799LL, got);
    assert_string_equal(got, "9999-12-31T23:59:59Z");
    kapi_time_rfc3339(1764291600, got);
    assert_string_equal(got, "2025-11-28T01:00:00Z");
}

static void test_fmt_i64(void **state)
{
    (void)state;
    static const int64_t v[] = {0, 7, -7, 10, 99, 100, 123456789, -1000000000000LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        char got[21], want[32];
        size_t n = kapi_fmt_i64(got, v[i]);
        snprintf(want, sizeof(want), "%lld", (long long)v[i]);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
    }
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
        cmocka_unit_test(test_uuid_form),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_time_rfc3339),
        cmocka_unit_test(test_fmt_i64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
