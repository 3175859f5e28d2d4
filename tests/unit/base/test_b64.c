/* Unit tests for src/base/b64: Go's encoding/base64 behaviour for the four
 * encodings and their Strict() forms. Every expected result (decoded bytes
 * or the offset of "illegal base64 data at input byte N") is what Go's
 * decoder returns for the same input and encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/base.h"

enum {
    STD = 0,
    URL = KAPI_B64_URL,
    RAW = KAPI_B64_RAW,
    RAW_URL = KAPI_B64_URL | KAPI_B64_RAW,
    S = KAPI_B64_STRICT,
};

struct dcase {
    const char *in;
    size_t n;
    int flags;
    const char *hex; /* decoded bytes in hex, or NULL for an error */
    size_t bad;      /* Go's CorruptInputError offset */
};

/* Grouped by encoding: padded standard (complete and short quanta, padding
 * in the middle or doubled, trailing garbage, CR/LF anywhere, non-zero
 * leftover bits tolerated, the other alphabet refused), URL, raw standard,
 * raw URL, then the strict forms (leftover bits must be zero). */
static const struct dcase decode_cases[] = {
    {"", 0, STD, "", 0},
    {"Zg==", 4, STD, "66", 0},
    {"Zm8=", 4, STD, "666f", 0},
    {"Zm9v", 4, STD, "666f6f", 0},
    {"Zm9vYg==", 8, STD, "666f6f62", 0},
    {"Zm9vYmE=", 8, STD, "666f6f6261", 0},
    {"Zm9vYmFy", 8, STD, "666f6f626172", 0},
    {"Zg", 2, STD, NULL, 0},
    {"Zm9vY", 5, STD, NULL, 4},
    {"Zm9vYg", 6, STD, NULL, 4},
    {"Zm9vYmE", 7, STD, NULL, 4},
    {"Zg=", 3, STD, NULL, 3},
    {"Z===", 4, STD, NULL, 1},
    {"====", 4, STD, NULL, 0},
    {"=", 1, STD, NULL, 0},
    {"Zg==Zg==", 8, STD, NULL, 4},
    {"Zm8=Zm8=", 8, STD, NULL, 4},
    {"Zg=A", 4, STD, NULL, 2},
    {"Zm9v=", 5, STD, NULL, 4},
    {"not base64", 10, STD, NULL, 3},
    {"abc", 3, STD, NULL, 0},
    {"Zm9v\nYg==", 9, STD, "666f6f62", 0},
    {"Zm9v\r\nYmFy\r\n", 12, STD, "666f6f626172", 0},
    {"Zg=\n=", 5, STD, "66", 0},
    {"Zg==\n", 5, STD, "66", 0},
    {"Zg==\nA", 6, STD, NULL, 5},
    {"Zg=\n", 4, STD, NULL, 4},
    {"Zg=\nA", 5, STD, NULL, 3},
    {"\n\n", 2, STD, "", 0},
    {"\r", 1, STD, "", 0},
    {"Zh==", 4, STD, "66", 0},
    {"Zm9=", 4, STD, "666f", 0},
    {"-_8=", 4, STD, NULL, 0},
    {"+/8=", 4, STD, "fbff", 0},
    {"Zg\n=\n=", 6, STD, "66", 0},
    {"Z\ng==", 5, STD, "66", 0},
    {"Zm9vYg==\r", 9, STD, "666f6f62", 0},
    {"Zm9v\tYg==", 9, STD, NULL, 4},
    {"Zm9v Yg==", 9, STD, NULL, 4},
    {"Zm9vYg===", 9, STD, NULL, 8},
    {"Zm9\n", 4, STD, NULL, 1},
    {"Z\n", 2, STD, NULL, 1},
    {"Zm9vYmFy!", 9, STD, NULL, 8},
    {"Zm9vYmFyZm9v\x00", 13, STD, NULL, 12},
    {"-_8=", 4, URL, "fbff", 0},
    {"+/8=", 4, URL, NULL, 0},
    {"Zg==", 4, URL, "66", 0},
    {"Zg", 2, URL, NULL, 0},
    {"Zg", 2, RAW, "66", 0},
    {"Zm8", 3, RAW, "666f", 0},
    {"Zm9v", 4, RAW, "666f6f", 0},
    {"Zg==", 4, RAW, NULL, 2},
    {"Z", 1, RAW, NULL, 0},
    {"Zm9vY", 5, RAW, NULL, 4},
    {"Zm9vY\n", 6, RAW, NULL, 5},
    {"Zm9vYg\n", 7, RAW, "666f6f62", 0},
    {"\nZ", 2, RAW, NULL, 1},
    {"+/8", 3, RAW, "fbff", 0},
    {"-_8", 3, RAW, NULL, 0},
    {"Zm8=", 4, RAW, NULL, 3},
    {"-__-", 4, RAW_URL, "fbfffe", 0},
    {"Zh", 2, RAW_URL, "66", 0},
    {"+", 1, RAW_URL, NULL, 0},
    {"-_8", 3, RAW_URL, "fbff", 0},
    {"Zg==", 4, RAW_URL, NULL, 2},
    {"Zm9vYmFy", 8, RAW_URL, "666f6f626172", 0},
    {"Zh==", 4, STD | S, NULL, 2},
    {"Zm9=", 4, STD | S, NULL, 3},
    {"Zg==", 4, STD | S, "66", 0},
    {"Zh==\n", 5, STD | S, NULL, 3},
    {"Zh==A", 5, STD | S, NULL, 2},
    {"Zm9=A", 5, STD | S, NULL, 3},
    {"Zh\n==", 5, STD | S, NULL, 3},
    {"Zh", 2, RAW | S, NULL, 0},
    {"Zm9", 3, RAW | S, NULL, 2},
    {"Zm8", 3, RAW | S, "666f", 0},
    {"Zh", 2, RAW_URL | S, NULL, 0},
    {"-_9", 3, RAW_URL | S, NULL, 2},
    {"-_8", 3, RAW_URL | S, "fbff", 0},
    {"Zh==", 4, URL | S, NULL, 2},
};

static char *hex(const unsigned char *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", p[i]);
    s[2 * n] = 0;
    return s;
}

static void test_decode_like_go(void **state)
{
    (void)state;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(decode_cases); i++) {
        const struct dcase *c = &decode_cases[i];
        /* exactly the advertised size, so ASan catches any overrun */
        unsigned char *out = malloc(kapi_b64_decode_size(c->n));
        size_t len = 99, bad = 99;
        int rc = kapi_b64_decode(out, c->in, c->n, c->flags, &len, &bad);
        if (c->hex) {
            if (rc != 0)
                fail_msg("case %zu (flags %d): error at %zu, want %s", i, c->flags, bad, c->hex);
            assert_int_equal(out[len], 0);
            char *h = hex(out, len);
            if (strcmp(h, c->hex) != 0)
                fail_msg("case %zu (flags %d): got %s, want %s", i, c->flags, h, c->hex);
            free(h);
        } else {
            if (rc != -1)
                fail_msg("case %zu (flags %d): decoded, want error at %zu", i, c->flags, c->bad);
            if (bad != c->bad)
                fail_msg("case %zu (flags %d): error at %zu, want %zu", i, c->flags, bad, c->bad);
        }
        free(out);
    }
}

static void test_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *std, *url, *raw, *raw_url;
    } v[] = {
        {"", "", "", "", ""},
        {"f", "Zg==", "Zg==", "Zg", "Zg"},
        {"fo", "Zm8=", "Zm8=", "Zm8", "Zm8"},
        {"foo", "Zm9v", "Zm9v", "Zm9v", "Zm9v"},
        {"foob", "Zm9vYg==", "Zm9vYg==", "Zm9vYg", "Zm9vYg"},
        {"fooba", "Zm9vYmE=", "Zm9vYmE=", "Zm9vYmE", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy", "Zm9vYmFy", "Zm9vYmFy", "Zm9vYmFy"},
        {"\xfb\xff\xfe", "+//+", "-__-", "+//+", "-__-"},
        {"\xfb\xff", "+/8=", "-_8=", "+/8", "-_8"},
    };
    struct kapi_pool *pool = kapi_pool_new();
    for (size_t i = 0; i < KAPI_ARRAY_LEN(v); i++) {
        size_t n = strlen(v[i].in);
        const char *want[4] = {v[i].std, v[i].url, v[i].raw, v[i].raw_url};
        for (int f = 0; f < 4; f++) {
            assert_int_equal(kapi_b64_encoded_len(n, f), strlen(want[f]));
            char buf[16];
            memset(buf, 'x', sizeof buf);
            assert_int_equal(kapi_b64_encode(buf, v[i].in, n, f), strlen(want[f]));
            assert_string_equal(buf, want[f]);
            assert_string_equal(kapi_b64_encode_pool(pool, v[i].in, n, f), want[f]);
        }
    }
    /* bytes are bytes: NULs and high bits survive */
    assert_string_equal(kapi_b64_encode_pool(pool, "\0\0\0\0", 4, STD), "AAAAAA==");
    kapi_pool_free(pool);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const int encodings[] = {STD, URL, RAW, RAW_URL};
    unsigned char data[300];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    for (size_t n = 0; n <= sizeof data; n++)
        for (size_t e = 0; e < KAPI_ARRAY_LEN(encodings); e++) {
            int f = encodings[e];
            size_t elen = kapi_b64_encoded_len(n, f);
            char *enc = malloc(elen + 1);
            assert_int_equal(kapi_b64_encode(enc, data, n, f), elen);
            assert_int_equal(strlen(enc), elen);
            /* what we write always reads back, strictly too */
            unsigned char *dec = malloc(kapi_b64_decode_size(elen));
            size_t dlen = 0;
            assert_int_equal(kapi_b64_decode(dec, enc, elen, f | S, &dlen, NULL), 0);
            assert_int_equal(dlen, n);
            assert_memory_equal(dec, data, n);
            /* the other padding convention refuses it unless it is a whole number of quanta */
            int other = f ^ RAW;
            int rc = kapi_b64_decode(dec, enc, elen, other, &dlen, NULL);
            assert_int_equal(rc, n % 3 == 0 ? 0 : -1);
            free(dec);
            free(enc);
        }
}

static void test_line_breaks_everywhere(void **state)
{
    (void)state;
    /* Go skips CR and LF between any two characters, padding included */
    const char *enc = "Zm9vYmE=";
    size_t n = strlen(enc);
    for (size_t at = 0; at <= n; at++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*s\r\n%s", (int)at, enc, enc + at);
        unsigned char out[16];
        size_t len = 0;
        assert_int_equal(kapi_b64_decode(out, buf, n + 2, STD, &len, NULL), 0);
        assert_int_equal(len, 5);
        assert_memory_equal(out, "fooba", 5);
    }
}

static void test_pool_and_size(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    size_t len = 0, bad = 0;
    unsigned char *p = kapi_b64_decode_pool(pool, "aGVsbG8=", 8, STD, &len, &bad);
    assert_non_null(p);
    assert_int_equal(len, 5);
    assert_string_equal((char *)p, "hello");
    assert_null(kapi_b64_decode_pool(pool, "aGVsbG8", 7, STD, &len, &bad));
    assert_int_equal(bad, 4);
    assert_null(kapi_b64_decode_pool(pool, "a", 1, RAW, &len, NULL)); /* bad may be NULL */
    /* the size covers every decodable input of that length plus the NUL */
    for (size_t n = 0; n < 64; n++)
        assert_int_equal(kapi_b64_decode_size(n), n * 3 / 4 + 1);
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_like_go),
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_line_breaks_everywhere),
        cmocka_unit_test(test_pool_and_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
