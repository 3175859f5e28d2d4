/* Unit tests for src/api/continue: token format (checked against tokens
 * computed independently) and upstream's validation cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "api/continue.h"

static struct kapi_pool *pool;

static int setup(void **state)
{
    pool = kapi_pool_new();
    return 0;
}

static int teardown(void **state)
{
    kapi_pool_free(pool);
    return 0;
}

/* Test-local unpadded URL-safe base64, to build tokens from JSON text. */
static char *tok(const char *json)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(json), k = 0;
    char *out = kapi_pool_alloc(pool, n * 2 + 4);
    const unsigned char *p = (const unsigned char *)json;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        out[k++] = a[v >> 18];
        out[k++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[k++] = a[(v >> 6) & 63];
        if (i + 2 < n)
            out[k++] = a[v & 63];
    }
    out[k] = '\0';
    return out;
}

static void test_encode(void **state)
{
    /* Expected values computed with Python's base64.urlsafe_b64encode. */
    assert_string_equal(kapi_continue_encode(pool, 1, "bar"),
                        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJiYXIifQ");
    assert_string_equal(kapi_continue_encode_n(pool, 42, "ns/web\0", 7),
                        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDIsInN0YXJ0IjoibnMvd2ViXHUwMDAwIn0");
    /* Go's encoder escapes '<' as \u003c. */
    assert_string_equal(kapi_continue_encode(pool, 7, "a<b"),
                        "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6Nywic3RhcnQiOiJhXHUwMDNjYiJ9");

    const char *err = NULL;
    assert_string_equal(kapi_continue_encode_key(pool, "/registry/pods/bar", 18, "/registry/pods/", 1, &err),
                        kapi_continue_encode(pool, 1, "bar"));
    assert_null(kapi_continue_encode_key(pool, "/other/bar", 10, "/registry/pods/", 1, &err));
    assert_string_equal(err, "unable to encode next field: the key and key prefix do not match /registry/pods/ /other/bar");
}

static void expect_ok(const char *token, const char *prefix, int64_t rv, const char *key, const char *start)
{
    struct kapi_continue c;
    const char *err = NULL;
    if (kapi_continue_decode_key(pool, token, strlen(token), prefix, &c, &err) < 0)
        fail_msg("token %s: %s", token, err);
    assert_int_equal(c.rv, rv);
    assert_string_equal(c.key, key);
    assert_int_equal(c.key_len, strlen(key));
    assert_string_equal(c.start, start);
}

static void expect_err(const char *token, const char *want)
{
    struct kapi_continue c;
    const char *err = NULL;
    if (kapi_continue_decode_key(pool, token, strlen(token), "/test/", &c, &err) == 0 || !err ||
        strcmp(err, want) != 0)
        fail_msg("token %s: got %s, want %s", token, err ? err : "(success)", want);
}

static void test_decode(void **state)
{
    expect_ok(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"bar\"}"), "/test/", 1, "/test/bar", "bar");
    expect_ok(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"/\"}"), "/test/", 1, "/test/", "");
    expect_ok(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"/a/b\"}"), "/test/", 1, "/test/a/b", "a/b");
    /* Field names match case-insensitively; the last one wins; unknown keys are ignored. */
    expect_ok(tok("{\"V\":\"meta.k8s.io/v1\",\"RV\":-1,\"Start\":\"a/b\"}"), "/p/", -1, "/p/a/b", "a/b");
    expect_ok(tok("{\"v\":\"x\",\"v\":\"meta.k8s.io/v1\",\"rv\":9,\"start\":\"s\",\"extra\":[1],\"Rv\":null}"), "", 9,
              "s", "s");
    /* Newlines inside the base64 are skipped, as Go's decoder does. */
    char *t = tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"bar\"}");
    char *split = kapi_pool_printf(pool, "%.10s\r\n%s", t, t + 10);
    expect_ok(split, "/test/", 1, "/test/bar", "bar");

    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":0,\"start\":\"bar\"}"),
               "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"start\":\"bar\"}"),
               "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"\"}"),
               "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"../key\"}"), "continue key is not valid: ../key");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"./key\"}"), "continue key is not valid: ./key");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"./../key\"}"), "continue key is not valid: ./../key");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"key/../..\"}"), "continue key is not valid: key/../..");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"a//b\"}"), "continue key is not valid: a//b");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1,\"start\":\"a/\"}"), "continue key is not valid: a/");
    expect_err(tok("{\"v\":\"meta.k8s.io/v0\",\"rv\":1,\"start\":\"bar\"}"),
               "continue key is not valid: server does not recognize this encoded version meta.k8s.io/v0");
    expect_err(tok("null"), "continue key is not valid: server does not recognize this encoded version ");
    expect_err(tok("[1]"), "continue key is not valid: json: cannot unmarshal array into Go value of type "
                           "storage.continueToken");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":\"1\",\"start\":\"a\"}"),
               "continue key is not valid: json: cannot unmarshal string into Go struct field continueToken.rv of "
               "type int64");
    expect_err(tok("{\"v\":\"meta.k8s.io/v1\",\"rv\":1.5,\"start\":\"a\"}"),
               "continue key is not valid: json: cannot unmarshal number 1.5 into Go struct field continueToken.rv "
               "of type int64");
    expect_err(tok("{\"v\":1,\"rv\":1,\"start\":\"a\"}"),
               "continue key is not valid: json: cannot unmarshal number into Go struct field continueToken.v of "
               "type string");

    /* Base64 errors report the offending byte offset. */
    expect_err("eyJ2Ij=", "continue key is not valid: illegal base64 data at input byte 6");
    expect_err("ab+c", "continue key is not valid: illegal base64 data at input byte 2");
    expect_err("abcde", "continue key is not valid: illegal base64 data at input byte 4");
    /* Bad JSON is reported through the JSON reader. */
    struct kapi_continue c;
    const char *err = NULL;
    assert_int_equal(kapi_continue_decode_key(pool, "e2JhZA", 6, "", &c, &err), -1);
    assert_non_null(err);
    assert_memory_equal(err, "continue key is not valid: ", 27);
    assert_int_equal(kapi_continue_decode_key(pool, "", 0, "", &c, &err), -1);
    assert_memory_equal(err, "continue key is not valid: ", 27);
}

static void test_short_form(void **state)
{
    int64_t rv = 0;
    const char *start = NULL, *err = NULL;
    char *t = kapi_continue_encode(pool, 1234, "default/web-0");
    assert_int_equal(kapi_continue_decode(pool, t, &rv, &start, &err), 0);
    assert_int_equal(rv, 1234);
    assert_string_equal(start, "default/web-0");
    assert_null(err);
    assert_int_equal(kapi_continue_decode(pool, "!!", &rv, &start, &err), -1);
    assert_string_equal(err, "continue key is not valid: illegal base64 data at input byte 0");

    /* Round trip with every byte value in the start key (NUL included). */
    char key[256];
    for (int i = 0; i < 256; i++)
        key[i] = (char)(i == '/' || i == '.' ? 'x' : i);
    struct kapi_continue c;
    t = kapi_continue_encode_n(pool, 5, key, sizeof key);
    assert_int_equal(kapi_continue_decode_key(pool, t, strlen(t), "/p/", &c, &err), 0);
    assert_int_equal(c.rv, 5);
    /* Invalid UTF-8 comes back as U+FFFD, as Go's encoder writes it; the
     * ASCII part must survive byte for byte. */
    assert_memory_equal(c.start, key, 128);
    assert_memory_equal(c.key, "/p/", 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_form, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
