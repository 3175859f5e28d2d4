/* Unit tests for src/codec/json.c: reading, Go-identical writing, error
 * texts, depth bound, duplicate-key reporting, and (when ../shared is
 * present) byte-exact reproduction of upstream's round-trip fixtures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "codec/json.h"

/* Parses in (must succeed) into pool. */
static struct kapi_value *parse_ok(struct kapi_pool *pool, const char *in, size_t len)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, in, len, NULL, &err);
    if (!v)
        fail_msg("parse of <%.*s> failed: %s at %zu", (int)len, in, err.msg, err.offset);
    return v;
}

/* write(parse(in)) must equal want exactly. */
static void check_rt_n(const char *in, size_t len, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, in, len);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_string_equal(b.data, want);
    /* The output is itself valid and means the same. */
    struct kapi_value *v2 = parse_ok(pool, b.data, b.len);
    assert_true(kapi_value_equal(v, v2));
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}
#define check_rt(in, want) check_rt_n(in, strlen(in), want)

static void check_err_n(const char *in, size_t len, size_t max_depth, const char *msg, size_t off)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    struct kapi_json_opts o = {.max_depth = max_depth};
    struct kapi_value *v = kapi_json_parse(pool, in, len, &o, &err);
    if (v)
        fail_msg("parse of <%.*s> unexpectedly succeeded", (int)len, in);
    assert_string_equal(err.msg, msg);
    assert_int_equal(err.offset, off);
    kapi_pool_free(pool);
}
#define check_err(in, msg, off) check_err_n(in, strlen(in), 0, msg, off)

/* The string value of parsing a JSON string literal. */
static void check_str_n(const char *in, const char *want, size_t wlen)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    assert_int_equal(v->type, KAPI_V_STRING);
    assert_int_equal(v->u.str.len, wlen);
    assert_memory_equal(v->u.str.s, want, wlen);
    assert_int_equal(v->u.str.s[wlen], 0);
    kapi_pool_free(pool);
}
#define check_str(in, want) check_str_n(in, want, sizeof(want) - 1)

static void check_wstr_n(const char *s, size_t n, const char *want)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write_string(&b, s, n), 0);
    assert_string_equal(b.data, want);
    kapi_buf_dispose(&b);
}
#define check_wstr(s, want) check_wstr_n(s, sizeof(s) - 1, want)

static void check_float(double f, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, kapi_value_float(pool, f)), 0);
    assert_string_equal(b.data, want);
    /* and it reads back to the same double */
    struct kapi_value *v = parse_ok(pool, b.data, b.len);
    double back = v->type == KAPI_V_INT ? (double)v->u.i : v->u.f;
    assert_true(back == f);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

/* ---- structure ---- */

static void test_basic_roundtrip(void **state)
{
    check_rt("{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":{},\"e\":[]}",
             "{\"a\":1,\"b\":[true,false,null],\"c\":\"x\",\"d\":{},\"e\":[]}");
    check_rt(" \t\r\n{ \"a\" : [ 1 , 2 , { } , [ ] ] }\n ", "{\"a\":[1,2,{},[]]}");
    check_rt("\"top\"", "\"top\"");
    check_rt("  42  ", "42");
    check_rt("null", "null");
    check_rt("[[[[]]]]", "[[[[]]]]");
    /* member order is kept as written */
    check_rt("{\"z\":1,\"a\":2,\"m\":3}", "{\"z\":1,\"a\":2,\"m\":3}");
}

static void test_value_shapes(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *in = "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"x\"}},\"items\":[1,\"two\",3.5]}";
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    assert_int_equal(v->type, KAPI_V_OBJECT);
    assert_string_equal(kapi_obj_get_str(kapi_value_path(v, "metadata", NULL), "name"), "web");
    assert_string_equal(kapi_obj_get_str(kapi_value_path(v, "metadata", "labels", NULL), "app"), "x");
    struct kapi_value *items = kapi_obj_get(v, "items");
    assert_int_equal(items->type, KAPI_V_ARRAY);
    assert_int_equal(items->u.arr.len, 3);
    assert_int_equal(items->u.arr.items[0]->type, KAPI_V_INT);
    assert_int_equal(items->u.arr.items[1]->type, KAPI_V_STRING);
    assert_int_equal(items->u.arr.items[2]->type, KAPI_V_FLOAT);
    /* parsed containers stay mutable through the value API */
    kapi_arr_push(pool, items, kapi_value_null(pool));
    kapi_obj_set(pool, v, "kind", kapi_value_str(pool, "Pod"));
    struct kapi_value *empty = kapi_obj_ensure_obj(pool, v, "spec");
    kapi_obj_set(pool, empty, "k", kapi_value_int(pool, 1));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_string_equal(b.data, "{\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":\"x\"}},"
                                "\"items\":[1,\"two\",3.5,null],\"kind\":\"Pod\",\"spec\":{\"k\":1}}");
    kapi_buf_dispose(&b);
    /* append: no lookup (a repeated key is kept twice), the key not copied */
    struct kapi_value *o = kapi_value_object(pool);
    char key[] = "a";
    for (int i = 0; i < 9; i++) /* past the first capacity */
        kapi_obj_append(pool, o, i == 8 ? key : "b", 1, kapi_value_int(pool, i));
    assert_int_equal(o->u.obj.len, 9);
    assert_ptr_equal(o->u.obj.members[8].key, key);
    assert_int_equal(kapi_obj_get(o, "b")->u.i, 0);
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, o), 0);
    assert_string_equal(b.data, "{\"b\":0,\"b\":1,\"b\":2,\"b\":3,\"b\":4,\"b\":5,\"b\":6,\"b\":7,\"a\":8}");
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

/* ---- strings ---- */

static void test_parse_escapes(void **state)
{
    check_str("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    check_str("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
    check_str("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
    check_str("\"\\uD834\\uDD1E\"", "\xf0\x9d\x84\x9e");
    /* NUL is allowed inside values: lengths are explicit */
    check_str("\"a\\u0000b\"", "a\0b");
    check_str("\"\"", "");
    /* raw valid UTF-8 passes untouched */
    check_str("\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"", "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
    /* escapes mixed with long plain runs */
    check_str("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\n"
              "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"",
              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
              "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
}

static void test_parse_surrogates_and_bad_utf8(void **state)
{
    /* lone surrogates become U+FFFD, like Go */
    check_str("\"\\ud800\"", "\xef\xbf\xbd");
    check_str("\"\\udc00x\"", "\xef\xbf\xbdx");
    check_str("\"\\ud800\\u0041\"", "\xef\xbf\xbd"
                                     "A");
    check_str("\"\\ud800\\ud800\\udc00\"", "\xef\xbf\xbd\xf0\x90\x80\x80");
    check_str("\"\\udc00\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd");
    /* invalid UTF-8: one U+FFFD per offending byte */
    check_str("\"\xff\"", "\xef\xbf\xbd");
    check_str("\"a\xe2\x82\"", "a\xef\xbf\xbd\xef\xbf\xbd");
    check_str("\"\xc0\x80\"", "\xef\xbf\xbd\xef\xbf\xbd");
    check_str("\"\xed\xa0\x80\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_str("\"\xf4\x90\x80\x80\"", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_str("\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf");
    /* keys go through the same decoding */
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, "{\"k\\u00e9\":1}", 13);
    assert_non_null(kapi_obj_get(v, "k\xc3\xa9"));
    kapi_pool_free(pool);
}

static void test_write_strings_like_go(void **state)
{
    check_wstr("plain", "\"plain\"");
    check_wstr("q\"b\\s/", "\"q\\\"b\\\\s/\"");
    check_wstr("<a href=\"x\">&amp;</a>", "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026amp;\\u003c/a\\u003e\"");
    check_wstr("\n\r\t", "\"\\n\\r\\t\"");
    /* Go (since 1.22) writes \b and \f in short form */
    check_wstr("\b\f", "\"\\b\\f\"");
    check_wstr("\x01\x1b\x1f", "\"\\u0001\\u001b\\u001f\"");
    check_wstr("a\0b", "\"a\\u0000b\"");
    check_wstr("\x7f", "\"\x7f\"");
    check_wstr("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
    check_wstr("\xe2\x80\xa7", "\"\xe2\x80\xa7\"");
    check_wstr("caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    check_wstr("\xff", "\"\\ufffd\"");
    check_wstr("a\xe2\x82", "\"a\\ufffd\\ufffd\"");
    check_wstr("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
    check_wstr("", "\"\"");

    /* a long string forces the writer past its staging block */
    size_t n = 20000;
    char *s = kapi_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        s[i] = i % 100 == 0 ? '<' : 'a' + (char)(i % 26);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write_string(&b, s, n), 0);
    assert_int_equal(b.len, n + 2 + 200 * 5);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, b.data, b.len);
    assert_int_equal(v->u.str.len, n);
    assert_memory_equal(v->u.str.s, s, n);
    kapi_pool_free(pool);
    kapi_buf_dispose(&b);
    free(s);
}

static void test_string_roundtrip_tricky(void **state)
{
    /* Input that Go would re-encode differently is normalised the same way. */
    check_rt("\"\\u003c\\/script\\u003e\"", "\"\\u003c/script\\u003e\"");
    check_rt("\"<>&\"", "\"\\u003c\\u003e\\u0026\"");
    check_rt("\"\\u00e9\\u2028\"", "\"\xc3\xa9\\u2028\"");
    check_rt("\"\\ud800\"", "\"\xef\xbf\xbd\"");
    check_rt("\"\xff\"", "\"\xef\xbf\xbd\"");
    check_rt("\"\\u0008\\u000C\\u0000\\u001F\"", "\"\\b\\f\\u0000\\u001f\"");
    check_rt("{\"a<b\":\"\\t\"}", "{\"a\\u003cb\":\"\\t\"}");
}

/* ---- numbers ---- */

static void check_int(const char *in, int64_t want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    assert_int_equal(v->type, KAPI_V_INT);
    assert_true(v->u.i == want);
    kapi_pool_free(pool);
}

static void check_parsed_float(const char *in, double want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    assert_int_equal(v->type, KAPI_V_FLOAT);
    assert_true(v->u.f == want);
    assert_true(signbit(v->u.f) == signbit(want));
    kapi_pool_free(pool);
}

static void test_numbers_parse(void **state)
{
    check_int("0", 0);
    check_int("-0", 0);
    check_int("7", 7);
    check_int("-12345", -12345);
    check_int("999999999999999999", 999999999999999999LL);
    check_int("9223372036854775807", INT64_MAX);
    check_int("-9223372036854775808", INT64_MIN);
    check_int("1000000000000000000", 1000000000000000000LL);
    /* past int64: float */
    check_parsed_float("9223372036854775808", 9223372036854775808.0);
    check_parsed_float("-9223372036854775809", -9223372036854775809.0);
    check_parsed_float("18446744073709551616", 18446744073709551616.0);
    check_parsed_float("123456789012345678901234567890", 123456789012345678901234567890.0);
    /* any '.' or exponent makes a float */
    check_parsed_float("100.0", 100.0);
    check_parsed_float("1e2", 100.0);
    check_parsed_float("1E+2", 100.0);
    check_parsed_float("-0.0", -0.0);
    check_parsed_float("0e5", 0.0);
    check_parsed_float("0.1", 0.1);
    check_parsed_float("1e-7", 1e-7);
    check_parsed_float("1.5e300", 1.5e300);
    check_parsed_float("2.2250738585072014e-308", 2.2250738585072014e-308);
    check_parsed_float("4.9406564584124654e-324", 4.9406564584124654e-324);
    check_parsed_float("1e-400", 0.0);
    check_parsed_float("3.141592653589793238462643383279", 3.141592653589793);
    check_parsed_float("0.30000000000000004", 0.30000000000000004);
    check_parsed_float("123456.789e3", 123456789.0);
}

/* Go's escaping of bytes that are ASCII or stand alone, for the references
 * below. */
static void ref_escape(struct kapi_buf *b, const char *s, size_t n)
{
    kapi_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            kapi_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            kapi_buf_puts(b, "\\n");
        else if (c == '\r' || c == '\t' || c == '\b' || c == '\f')
            kapi_buf_printf(b, "\\%c", c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f');
        else if (c >= 0x80)
            kapi_buf_puts(b, "\\ufffd"); /* alone, never valid UTF-8 */
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            kapi_buf_printf(b, "\\u%04x", c);
        else
            kapi_buf_putc(b, (char)c);
    }
    kapi_buf_putc(b, '"');
}

/* Every byte value, alone in a short string and in a long one, at each
 * place of the block the writer tests at once. */
static void test_write_every_byte(void **state)
{
    char str[40];
    for (int c = 0; c < 256; c++) {
        for (size_t len = 1; len <= sizeof(str); len += 3) {
            for (size_t at = 0; at < len; at += 1 + len / 8) {
                memset(str, 'a', len);
                str[at] = (char)c;
                struct kapi_buf want, got;
                kapi_buf_init(&want, 0);
                kapi_buf_init(&got, 0);
                ref_escape(&want, str, len);
                assert_int_equal(kapi_json_write_string(&got, str, len), 0);
                assert_int_equal(got.len, want.len);
                assert_memory_equal(got.data, want.data, want.len);
                kapi_buf_dispose(&got);
                kapi_buf_dispose(&want);
            }
        }
    }
}

/* write(v) must equal want byte for byte. */
static void check_write(const struct kapi_value *v, const struct kapi_buf *want)
{
    struct kapi_buf got;
    kapi_buf_init(&got, 0);
    assert_int_equal(kapi_json_write(&got, v), 0);
    assert_int_equal(got.len, want->len);
    assert_memory_equal(got.data, want->data, want->len);
    kapi_buf_dispose(&got);
}

/* The writer stages output in a 4 KB block: after a lead string of every
 * length around that size, a key and a string value of each length from 0
 * to 40 (plain, or with a byte to escape), or an int of each digit count,
 * must come out as a byte-by-byte reference says. */
static void test_write_staging(void **state)
{
    static const char esc[] = "\"\\\n<>&\x01";
    struct kapi_pool *pool = kapi_pool_new();
    char *lead = kapi_pool_alloc(pool, 4200);
    memset(lead, 'p', 4200);
    char str[41];
    for (size_t pad = 3990; pad < 4110; pad++) {
        for (size_t len = 0; len <= 40; len++) {
            for (int variant = 0; variant < 3; variant++) {
                for (size_t i = 0; i < len; i++)
                    str[i] = (char)('a' + (i + pad) % 26);
                if (variant == 1 && len)
                    str[(pad + len) % len] = esc[(pad + len) % (sizeof(esc) - 1)];
                str[len] = 0;
                struct kapi_value *root = kapi_value_object(pool);
                struct kapi_buf want;
                kapi_buf_init(&want, 0);
                kapi_buf_putc(&want, '{');
                kapi_obj_set(pool, root, "lead", kapi_value_strn(pool, lead, pad));
                ref_escape(&want, "lead", 4);
                kapi_buf_putc(&want, ':');
                ref_escape(&want, lead, pad);
                kapi_buf_putc(&want, ',');
                ref_escape(&want, str, len);
                kapi_buf_putc(&want, ':');
                if (variant < 2) {
                    kapi_obj_set(pool, root, str, kapi_value_strn(pool, str, len));
                    ref_escape(&want, str, len);
                } else {
                    /* len % 19 + 1 digits, negative for odd len */
                    int64_t x = 1;
                    for (size_t d = 0; d < len % 19; d++)
                        x = x * 10 + (int64_t)(d % 10);
                    if (len % 2)
                        x = -x;
                    kapi_obj_set(pool, root, str, kapi_value_int(pool, x));
                    kapi_buf_printf(&want, "%lld", (long long)x);
                }
                kapi_buf_putc(&want, '}');
                check_write(root, &want);
                kapi_buf_dispose(&want);
            }
        }
    }
    kapi_pool_free(pool);
}

static void test_numbers_write(void **state)
{
    check_rt("[0,-0,1,-1,9223372036854775807,-9223372036854775808]",
             "[0,0,1,-1,9223372036854775807,-9223372036854775808]");
    check_rt("100.0", "100");
    check_rt("1.0e2", "100");
    check_rt("-0.0", "-0");
    check_rt("9223372036854775808", "9223372036854776000");
    check_rt("1e21", "1e+21");
    check_rt("1e20", "100000000000000000000");
    check_rt("1e-7", "1e-7");
    check_rt("0.000001", "0.000001");
    check_rt("0.0000001234", "1.234e-7");
    check_rt("0.1", "0.1");
    check_rt("2.50", "2.5");
}

static void test_float_format(void **state)
{
    check_float(0.0, "0");
    check_float(-0.0, "-0");
    check_float(100.0, "100");
    check_float(0.1, "0.1");
    check_float(0.1 + 0.2, "0.30000000000000004");
    check_float(1.0 / 3.0, "0.3333333333333333");
    check_float(2.0 / 3.0, "0.6666666666666666");
    check_float(-1.5, "-1.5");
    check_float(1e-6, "0.000001");
    check_float(9.99e-7, "9.99e-7");
    check_float(1e-7, "1e-7");
    check_float(1e-10, "1e-10");
    check_float(1.5e-100, "1.5e-100");
    check_float(5e-324, "5e-324");
    check_float(2.2250738585072014e-308, "2.2250738585072014e-308");
    check_float(1e21, "1e+21");
    check_float(1e23, "1e+23");
    check_float(123456789e20, "1.23456789e+28");
    check_float(999999999999999900000.0, "999999999999999900000");
    check_float(1.7976931348623157e308, "1.7976931348623157e+308");
    check_float(9007199254740993.0, "9007199254740992");
    check_float(123456.789, "123456.789");
    check_float(0.000123, "0.000123");
    check_float(12345678901234567.0, "12345678901234568");
    check_float(5e-7, "5e-7");
    check_float(-2.5e+25, "-2.5e+25");
    /* powers of two: the rounding interval is lopsided below them */
    check_float(9007199254740992.0, "9007199254740992");
    check_float(ldexp(1, -1022), "2.2250738585072014e-308");
    check_float(ldexp(1, 100), "1.2676506002282294e+30");
    check_float(ldexp(1, -30), "9.313225746154785e-10");

    char out[40];
    assert_int_equal(kapi_json_format_float(NAN, out), 0);
    assert_int_equal(kapi_json_format_float(INFINITY, out), 0);
    size_t n = kapi_json_format_float(0.5, out);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "0.5", 3);
}

static void test_write_nan_fails(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *a = kapi_value_array(pool);
    kapi_arr_push(pool, a, kapi_value_float(pool, NAN));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, a), KAPI_JSON_EUNSUPPORTED);
    kapi_buf_reset(&b);
    assert_int_equal(kapi_json_write(&b, kapi_value_float(pool, -INFINITY)), KAPI_JSON_EUNSUPPORTED);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

static void test_write_buffer_limit(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *in = "{\"name\":\"a-fairly-long-value-that-will-not-fit\",\"n\":[1,2,3]}";
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    struct kapi_buf b;
    kapi_buf_init(&b, 16);
    assert_int_equal(kapi_json_write(&b, v), -1);
    assert_true(b.len <= 16);
    kapi_buf_dispose(&b);
    kapi_buf_init(&b, strlen(in));
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_string_equal(b.data, in);
    kapi_buf_dispose(&b);
    /* NULL value pointers write as null */
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, NULL), 0);
    assert_string_equal(b.data, "null");
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
    check_err("", "unexpected end of JSON input", 0);
    check_err("   ", "unexpected end of JSON input", 3);
    check_err("x", "invalid character 'x' looking for beginning of value", 1);
    check_err("[1,]", "invalid character ']' looking for beginning of value", 4);
    check_err("{\"a\":1,}", "invalid character '}' looking for beginning of object key string", 8);
    check_err("{1:2}", "invalid character '1' looking for beginning of object key string", 2);
    check_err("{\"a\" 1}", "invalid character '1' after object key", 6);
    check_err("{\"a\"}", "invalid character '}' after object key", 5);
    check_err("{\"a\":1 \"b\":2}", "invalid character '\"' after object key:value pair", 8);
    check_err("[1 2]", "invalid character '2' after array element", 4);
    check_err("[1}", "invalid character '}' after array element", 3);
    check_err("{}x", "invalid character 'x' after top-level value", 3);
    check_err("1 2", "invalid character '2' after top-level value", 3);
    check_err("01", "invalid character '1' after top-level value", 2);
    check_err("[01]", "invalid character '1' after array element", 3);
    check_err("-", "invalid character ' ' in numeric literal", 1);
    check_err("-x", "invalid character 'x' in numeric literal", 2);
    check_err("1.", "invalid character ' ' after decimal point in numeric literal", 2);
    check_err("1.e5", "invalid character 'e' after decimal point in numeric literal", 3);
    check_err("1e", "invalid character ' ' in exponent of numeric literal", 2);
    check_err("1e+]", "invalid character ']' in exponent of numeric literal", 4);
    check_err("tru", "invalid character ' ' in literal true (expecting 'e')", 3);
    check_err("trux", "invalid character 'x' in literal true (expecting 'e')", 4);
    check_err("fals", "invalid character ' ' in literal false (expecting 'e')", 4);
    check_err("nil", "invalid character 'i' in literal null (expecting 'u')", 2);
    check_err("\"abc", "unexpected end of JSON input", 4);
    check_err("\"a\nb\"", "invalid character '\\n' in string literal", 3);
    check_err("\"a\tb\"", "invalid character '\\t' in string literal", 3);
    check_err("\"\x01\"", "invalid character '\\x01' in string literal", 2);
    check_err("\"\\x\"", "invalid character 'x' in string escape code", 3);
    check_err("\"\\", "invalid character ' ' in string escape code", 2);
    check_err("\"\\u12G4\"", "invalid character 'G' in \\u hexadecimal character escape", 6);
    check_err("\"\\u12", "invalid character ' ' in \\u hexadecimal character escape", 5);
    check_err("[1,2", "unexpected end of JSON input", 4);
    check_err("{\"a\":", "unexpected end of JSON input", 5);
    check_err("{\"a\"", "unexpected end of JSON input", 4);
    check_err("{", "unexpected end of JSON input", 1);
    check_err("'a'", "invalid character '\\'' looking for beginning of value", 1);
    check_err("\\", "invalid character '\\\\' looking for beginning of value", 1);
    check_err("\x7f", "invalid character '\\x7f' looking for beginning of value", 1);
    check_err("\x80", "invalid character '\\u0080' looking for beginning of value", 1);
    check_err("\xe9", "invalid character '\xc3\xa9' looking for beginning of value", 1);
    check_err("\xef\xbb\xbf{}", "invalid character '\xc3\xaf' looking for beginning of value", 1);
    check_err("[1e999]", "json: cannot unmarshal number 1e999 into Go value of type float64", 1);
    check_err("-1e400", "json: cannot unmarshal number -1e400 into Go value of type float64", 0);
    /* NUL bytes are data, not terminators */
    check_err_n("{}\0", 3, 0, "invalid character '\\x00' after top-level value", 3);
    check_err_n("\"a\0\"", 4, 0, "invalid character '\\x00' in string literal", 3);

    /* err may be NULL; so may data when len is 0 */
    struct kapi_pool *pool = kapi_pool_new();
    assert_null(kapi_json_parse(pool, "[", 1, NULL, NULL));
    struct kapi_json_error err;
    assert_null(kapi_json_parse(pool, NULL, 0, NULL, &err));
    assert_string_equal(err.msg, "unexpected end of JSON input");
    kapi_pool_free(pool);
}

/* ---- depth ---- */

static char *nested(size_t depth, size_t *len)
{
    char *s = kapi_xmalloc(depth * 2 + 1);
    memset(s, '[', depth);
    memset(s + depth, ']', depth);
    s[depth * 2] = 0;
    *len = depth * 2;
    return s;
}

static void test_depth_limit(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    size_t len;

    struct kapi_json_opts small = {.max_depth = 5};
    assert_non_null(kapi_json_parse(pool, "[[[[[1]]]]]", 11, &small, &err));
    assert_null(kapi_json_parse(pool, "[[[[[[1]]]]]]", 13, &small, &err));
    assert_string_equal(err.msg, "invalid character '[' exceeded max depth");
    assert_int_equal(err.offset, 6);
    assert_non_null(kapi_json_parse(pool, "{\"a\":{\"b\":[{\"c\":[1]}]}}", 23, &small, &err));
    assert_null(kapi_json_parse(pool, "{\"a\":{\"b\":[{\"c\":[{}]}]}}", 24, &small, &err));
    assert_string_equal(err.msg, "invalid character '{' exceeded max depth");

    /* default limit: exactly KAPI_JSON_MAX_DEPTH is fine, one more is not */
    char *s = nested(KAPI_JSON_MAX_DEPTH, &len);
    struct kapi_value *v = kapi_json_parse(pool, s, len, NULL, &err);
    assert_non_null(v);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, s, len);
    kapi_buf_dispose(&b);
    free(s);

    s = nested(KAPI_JSON_MAX_DEPTH + 1, &len);
    assert_null(kapi_json_parse(pool, s, len, NULL, &err));
    assert_string_equal(err.msg, "invalid character '[' exceeded max depth");
    assert_int_equal(err.offset, KAPI_JSON_MAX_DEPTH + 1);
    free(s);

    /* far past the limit, unterminated: a clean error, no stack use */
    size_t big = 100000;
    s = kapi_xmalloc(big);
    memset(s, '[', big);
    assert_null(kapi_json_parse(pool, s, big, NULL, &err));
    assert_string_equal(err.msg, "invalid character '[' exceeded max depth");
    /* and with a raised limit the explicit stack copes too */
    struct kapi_json_opts deep = {.max_depth = 200000};
    assert_null(kapi_json_parse(pool, s, big, &deep, &err));
    assert_string_equal(err.msg, "unexpected end of JSON input");
    free(s);
    s = nested(big, &len);
    v = kapi_json_parse(pool, s, len, &deep, &err);
    assert_non_null(v);
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0); /* the writer is iterative too */
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, s, len);
    kapi_buf_dispose(&b);
    free(s);
    kapi_pool_free(pool);
}

/* ---- duplicates ---- */

static void test_duplicates(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_dup *dups = NULL;
    struct kapi_json_opts o = {.dups = &dups};
    struct kapi_json_error err;
    const char *in = "{\"a\":1,\"spec\":{\"x\":1,\"x\":2,\"containers\":[{\"name\":\"a\"},"
                     "{\"name\":\"b\",\"image\":\"i\",\"name\":\"c\"}]},\"a\":3,\"b\":[[{\"k\":1,\"k\":2}]]}";
    struct kapi_value *v = kapi_json_parse(pool, in, strlen(in), &o, &err);
    assert_non_null(v);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    /* last value wins, first position kept */
    assert_string_equal(b.data, "{\"a\":3,\"spec\":{\"x\":2,\"containers\":[{\"name\":\"a\"},"
                                "{\"name\":\"c\",\"image\":\"i\"}]},\"b\":[[{\"k\":2}]]}");
    kapi_buf_dispose(&b);
    const char *want[] = {"spec.x", "spec.containers[1].name", "a", "b[0][0].k"};
    struct kapi_json_dup *d = dups;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(want); i++, d = d->next) {
        assert_non_null(d);
        assert_string_equal(d->path, want[i]);
    }
    assert_null(d);

    /* no dups: list untouched; without opts->dups they are folded silently */
    dups = NULL;
    assert_non_null(kapi_json_parse(pool, "{\"a\":1,\"b\":{\"a\":2}}", 19, &o, &err));
    assert_null(dups);
    v = kapi_json_parse(pool, "[{\"a\":1,\"a\":2}]", 15, NULL, &err);
    assert_non_null(v);
    assert_int_equal(v->u.arr.items[0]->u.obj.len, 1);
    assert_int_equal(kapi_obj_get(v->u.arr.items[0], "a")->u.i, 2);

    /* a wide object takes the hashed path; same semantics */
    struct kapi_buf in2;
    kapi_buf_init(&in2, 0);
    kapi_buf_puts(&in2, "{");
    for (int i = 0; i < 300; i++)
        kapi_buf_printf(&in2, "%s\"k%d\":%d", i ? "," : "", i % 200, i);
    kapi_buf_puts(&in2, "}");
    dups = NULL;
    v = kapi_json_parse(pool, in2.data, in2.len, &o, &err);
    assert_non_null(v);
    assert_int_equal(v->u.obj.len, 200);
    assert_string_equal(v->u.obj.members[0].key, "k0");
    assert_int_equal(v->u.obj.members[0].val->u.i, 200);
    assert_int_equal(v->u.obj.members[199].val->u.i, 199);
    size_t nd = 0;
    for (d = dups; d; d = d->next)
        nd++;
    assert_int_equal(nd, 100);
    assert_string_equal(dups->path, "k0");
    kapi_buf_dispose(&in2);
    kapi_pool_free(pool);
}

/* Strings without escapes are read in place in the parse's copy of the
 * input and the duplicate search only runs when a key's (first byte,
 * length) bit repeats: neither may change what comes out. */
static void test_in_place_strings_and_dup_filter(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    /* an unterminated buffer, left as it was; every string terminated */
    static const char src[] = "{\"k\":\"v\",\"w\":\"x\\\"y\",\"\":\"\",\"long key over sixteen\":\"ab\"}";
    size_t n = sizeof(src) - 1;
    char *buf = malloc(n);
    memcpy(buf, src, n);
    struct kapi_value *v = kapi_json_parse(pool, buf, n, NULL, &err);
    assert_non_null(v);
    assert_memory_equal(buf, src, n);
    assert_int_equal(v->u.obj.len, 4);
    const char *keys[] = {"k", "w", "", "long key over sixteen"};
    const char *vals[] = {"v", "x\"y", "", "ab"};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(v->u.obj.members[i].key, keys[i]);
        assert_int_equal(v->u.obj.members[i].klen, strlen(keys[i]));
        assert_string_equal(v->u.obj.members[i].val->u.str.s, vals[i]);
        assert_int_equal(v->u.obj.members[i].val->u.str.len, strlen(vals[i]));
    }
    free(buf);
    /* a top-level string ending the input */
    v = kapi_json_parse(pool, "\"abc\"", 5, NULL, &err);
    assert_non_null(v);
    assert_string_equal(v->u.str.s, "abc");

    struct kapi_json_dup *dups = NULL;
    struct kapi_json_opts o = {.dups = &dups};
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    /* same first byte and length, not duplicates */
    v = kapi_json_parse(pool, "{\"ab\":1,\"ac\":2,\"ad\":{\"x\":1,\"y\":2}}", 34, &o, &err);
    assert_non_null(v);
    assert_null(dups);
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_string_equal(b.data, "{\"ab\":1,\"ac\":2,\"ad\":{\"x\":1,\"y\":2}}");
    /* a duplicate spelled with an escape, and the empty key twice */
    const char *in = "{\"a\":1,\"\\u0061\":2,\"b\":{\"\":1,\"\":2}}";
    v = kapi_json_parse(pool, in, strlen(in), &o, &err);
    assert_non_null(v);
    kapi_buf_reset(&b);
    assert_int_equal(kapi_json_write(&b, v), 0);
    assert_string_equal(b.data, "{\"a\":2,\"b\":{\"\":2}}");
    assert_non_null(dups);
    assert_string_equal(dups->path, "a");
    assert_non_null(dups->next);
    assert_string_equal(dups->next->path, "b.");
    assert_null(dups->next->next);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

/* ---- indent ---- */

static void test_indent(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *in = "{\"kind\":\"List\",\"items\":[{\"a\":1,\"b\":[]},{},[1,[2]]],\"meta\":{},\"s\":\"<\"}";
    struct kapi_value *v = parse_ok(pool, in, strlen(in));
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write_indent(&b, v), 0);
    assert_string_equal(b.data, "{\n"
                                "  \"kind\": \"List\",\n"
                                "  \"items\": [\n"
                                "    {\n"
                                "      \"a\": 1,\n"
                                "      \"b\": []\n"
                                "    },\n"
                                "    {},\n"
                                "    [\n"
                                "      1,\n"
                                "      [\n"
                                "        2\n"
                                "      ]\n"
                                "    ]\n"
                                "  ],\n"
                                "  \"meta\": {},\n"
                                "  \"s\": \"\\u003c\"\n"
                                "}");
    kapi_buf_reset(&b);
    assert_int_equal(kapi_json_write_indent(&b, kapi_value_int(pool, 5)), 0);
    assert_string_equal(b.data, "5");
    kapi_buf_reset(&b);
    assert_int_equal(kapi_json_write_indent(&b, kapi_value_array(pool)), 0);
    assert_string_equal(b.data, "[]");
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

/* ---- upstream fixtures ---- */

static const char *fixture_dir(void)
{
    static const char *cands[] = {"../shared/k8s-api/v1.33/testdata", "/work/shared/k8s-api/v1.33/testdata"};
    const char *env = getenv("KAPI_SHARED");
    static char buf[4096];
    struct stat st;
    if (env) {
        snprintf(buf, sizeof(buf), "%s/k8s-api/v1.33/testdata", env);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cands); i++)
        if (stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode))
            return cands[i];
    return NULL;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        kapi_buf_append(&b, tmp, n);
    fclose(f);
    return kapi_buf_steal(&b, len);
}

static void test_upstream_fixtures(void **state)
{
    const char *dir = fixture_dir();
    if (!dir) {
        printf("SKIPPED: ../shared absent (k8s-api/v1.33/testdata); upstream JSON fixtures not checked\n");
        return;
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    size_t count = 0;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".json") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        char *data = slurp(path, &len);
        assert_non_null(data);
        size_t cmp = len;
        if (cmp && data[cmp - 1] == '\n')
            cmp--;
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_json_error err;
        struct kapi_json_dup *dups = NULL;
        struct kapi_json_opts o = {.dups = &dups};
        struct kapi_value *v = kapi_json_parse(pool, data, len, &o, &err);
        if (!v)
            fail_msg("%s: %s at %zu", e->d_name, err.msg, err.offset);
        assert_null(dups);
        /* The fixtures are MarshalIndent output: reproduce them byte for byte. */
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        assert_int_equal(kapi_json_write_indent(&b, v), 0);
        if (b.len != cmp || memcmp(b.data, data, cmp) != 0) {
            size_t i = 0;
            while (i < cmp && i < b.len && b.data[i] == data[i])
                i++;
            fail_msg("%s: indented output differs at byte %zu: got <%.40s> want <%.40s>", e->d_name, i,
                     b.data + i, data + i);
        }
        /* Compact form reads back to the same value. */
        kapi_buf_reset(&b);
        assert_int_equal(kapi_json_write(&b, v), 0);
        struct kapi_value *v2 = kapi_json_parse(pool, b.data, b.len, NULL, &err);
        assert_non_null(v2);
        assert_true(kapi_value_equal(v, v2));
        kapi_buf_dispose(&b);
        kapi_pool_free(pool);
        free(data);
        count++;
    }
    closedir(d);
    printf("checked %zu upstream JSON fixtures in %s\n", count, dir);
    assert_true(count > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_roundtrip),
        cmocka_unit_test(test_value_shapes),
        cmocka_unit_test(test_parse_escapes),
        cmocka_unit_test(test_parse_surrogates_and_bad_utf8),
        cmocka_unit_test(test_write_strings_like_go),
        cmocka_unit_test(test_string_roundtrip_tricky),
        cmocka_unit_test(test_numbers_parse),
        cmocka_unit_test(test_numbers_write),
        cmocka_unit_test(test_float_format),
        cmocka_unit_test(test_write_nan_fails),
        cmocka_unit_test(test_write_buffer_limit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_in_place_strings_and_dup_filter),
        cmocka_unit_test(test_indent),
        cmocka_unit_test(test_write_staging),
        cmocka_unit_test(test_write_every_byte),
        cmocka_unit_test(test_upstream_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
