/* Unit tests for schema/quantity: upstream's canonical forms (String() after
 * ParseQuantity), the kept-verbatim cases, rounding, caps and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "codec/value.h"
#include "schema/quantity.h"

static void expect(const char *in, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *out, *err;
    int rc = kapi_quantity_canonical(pool, in, strlen(in), &out, &err);
    if (rc != 0)
        fail_msg("%s: unexpected error %s", in, err);
    if (strcmp(out, want) != 0)
        fail_msg("%s: got %s, want %s", in, out, want);
    kapi_pool_free(pool);
}

static void expect_err(const char *in, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    const char *out, *err;
    assert_int_equal(kapi_quantity_canonical(pool, in, strlen(in), &out, &err), -1);
    assert_string_equal(err, want);
    assert_null(out);
    kapi_pool_free(pool);
}

static void test_canonical(void **state)
{
    (void)state;
    expect("0", "0");
    expect("0m", "0");
    expect("0Ki", "0");
    expect("-0.0", "0");
    expect("1000m", "1");
    expect("1024Mi", "1Gi");
    expect("1024Ki", "1Mi");
    expect("0.5", "500m");
    expect("1.5", "1500m");
    expect("-0.5", "-500m");
    expect("1.5Gi", "1536Mi");
    expect("0.5Ki", "512");
    expect("1000", "1k");
    expect("2000k", "2M");
    expect("1000000m", "1k");
    expect("0.001", "1m");
    expect("0.0001", "100u");
    expect("1.0", "1");
    expect("1000e0", "1e3");
    expect("1e31", "10e30");
    expect("12e-10", "2e-9");     /* rounded up to a whole nano unit */
    expect("0.0000000001", "1n");
    expect("0.1n", "1n");
    expect("128Mi", "128Mi");
    expect("64Mi", "64Mi");
    expect("3Pi", "3Pi");
    expect("1023Ki", "1023Ki");
    expect("1025", "1025");
    expect("99999999999999999999999999", "99999999999999999999999999");
}

static void test_kept_verbatim(void **state)
{
    (void)state;
    /* already canonical by upstream's int64 test: the input text is kept */
    expect("100m", "100m");
    expect("1e3", "1e3");
    expect("1E3", "1E3");
    expect("1Ki", "1Ki");
    expect("-1Gi", "-1Gi");
    expect("+1", "+1");
    expect("01", "01");
    expect("1.", "1.");
    expect("1.001", "1.001");
    expect("5e-3", "5e-3");
}

static void test_limits(void **state)
{
    (void)state;
    /* binary amounts are capped at 2^63-1 */
    expect("8Ei", "9223372036854775807");
    expect("123456789012345678901234567890Ki", "9223372036854775807");
    /* decimal exponents past E have no suffix upstream */
    expect("1000E", "1");
    expect("1e999999", "1e999999");
    expect("1e-999999", "1e-9");
    /* what upstream's parser lets through */
    expect("Ki", "0");
    expect("m", "0");
    expect(".", "0");
}

static void test_errors(void **state)
{
    (void)state;
    expect_err("", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("1x", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("abc", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("1 Gi", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("1.5.", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("1Ki2", KAPI_QUANTITY_ERR_SUFFIX);
    expect_err("1KiB", KAPI_QUANTITY_ERR_FORMAT);
    expect_err("1mm", KAPI_QUANTITY_ERR_SUFFIX);
    expect_err("1e99999999999999999999", KAPI_QUANTITY_ERR_SUFFIX);
    assert_string_equal(KAPI_QUANTITY_ERR_FORMAT,
                        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

/* The shortcut the typed check takes must agree with the full parse: every
 * text it calls canonical comes back unchanged, and the everyday forms are
 * recognised. */
static void test_plain_canonical_agrees(void **state)
{
    (void)state;
    static const char *const suffixes[] = {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi",
                                           "Ti", "Pi", "Ei", "e3", "K", "i", "mi", "Mii", " "};
    static const char *const numbers[] = {"1", "7", "8", "10", "100", "128", "999", "1000", "1023", "1024",
                                          "1536", "2048", "4096", "123456", "1000000", "012", "0",
                                          "999999999999999", "1000000000000000", "123456789012345678",
                                          "1234567890123456789", "9223372036854775807", "1.5", "-5", "+5"};
    struct kapi_pool *pool = kapi_pool_new();
    size_t yes = 0;
    for (size_t i = 0; i < sizeof(numbers) / sizeof(*numbers); i++)
        for (size_t j = 0; j < sizeof(suffixes) / sizeof(*suffixes); j++) {
            char in[64];
            snprintf(in, sizeof(in), "%s%s", numbers[i], suffixes[j]);
            if (!kapi_quantity_plain_canonical(in, strlen(in)))
                continue;
            yes++;
            const char *out, *err;
            if (kapi_quantity_canonical(pool, in, strlen(in), &out, &err) != 0 || strcmp(out, in) != 0)
                fail_msg("%s: shortcut says canonical, full parse gives %s", in, out ? out : err);
        }
    assert_true(yes > 100);
    assert_true(kapi_quantity_plain_canonical("100m", 4));
    assert_true(kapi_quantity_plain_canonical("128Mi", 5));
    assert_true(kapi_quantity_plain_canonical("3", 1));
    assert_false(kapi_quantity_plain_canonical("1000m", 5));
    assert_false(kapi_quantity_plain_canonical("1024Mi", 6));
    assert_false(kapi_quantity_plain_canonical("0", 1));
    kapi_pool_free(pool);
}


/* ---- upstream's Quantity struct and MilliValue (kapi_quantity_go) ---- */

#define Q(value, scale, dec, s, fmt)                                                                   \
    "resource.Quantity{i:resource.int64Amount{value:" value ", scale:" scale "}, "                    \
    "d:resource.infDecAmount{Dec:(*inf.Dec)(" dec ")}, s:\"" s "\", Format:\"" fmt "\"}"
#define DEC(fmt) Q("0", "0", "0xc000000000", "", fmt)

static void expect_go(const char *in, bool round_milli, const char *repr, int64_t milli)
{
    struct kapi_pool *pool = kapi_pool_new();
    int64_t m = 0;
    const char *r = NULL;
    if (kapi_quantity_go(pool, in, strlen(in), round_milli, &m, &r) != 0)
        fail_msg("%s: unexpected parse error", in);
    if (strcmp(r, repr) != 0)
        fail_msg("%s (round %d):\n got: %s\nwant: %s", in, round_milli, r, repr);
    if (m != milli)
        fail_msg("%s (round %d): milli %lld, want %lld", in, round_milli, (long long)m, (long long)milli);
    kapi_pool_free(pool);
}

/* Each expectation follows ParseQuantity step by step: the int64 path takes
 * num+denom (at most 18 digits) as value with scale = suffix exponent - len(denom)
 * when that is >= -9, and keeps the text in s only when the scale is a
 * multiple of 3, the digits do not end in 000 and do not start with 0
 * (binary: exponent%10 == 0 and value&7 != 0); anything else is an *inf.Dec
 * rounded up to 1n (binary amounts capped at 2^63-1). RoundUp(-3) leaves a
 * scale >= -3 (and s) alone, else rescales to -3 away from zero and clears s;
 * an *inf.Dec is rounded to 3 decimals. MilliValue is AsScaledInt64(-3) or
 * scaledValue on the Dec, with Go's int64 wrap-around. */
static void test_go_struct(void **state)
{
    (void)state;
    /* "1" "5": value 15, scale 0-1; -1 is not a multiple of 3: no s; 1500m */
    expect_go("1.5", true, Q("15", "-1", "nil", "", "DecimalSI"), 1500);
    expect_go("-1.5", true, Q("-15", "-1", "nil", "", "DecimalSI"), -1500);
    /* scale -3, "500" keeps its text */
    expect_go("500m", true, Q("500", "-3", "nil", "500m", "DecimalSI"), 500);
    expect_go("1500m", true, Q("1500", "-3", "nil", "1500m", "DecimalSI"), 1500);
    /* "1000" ends in 000: no s (its canonical form is 1) */
    expect_go("1000m", true, Q("1000", "-3", "nil", "", "DecimalSI"), 1000);
    /* k is 10^3, one decimal: value 25, scale 2; 2500 is whole */
    expect_go("2.5k", true, Q("25", "2", "nil", "", "DecimalSI"), 2500000);
    /* a binary amount with a fraction always takes the Dec path; 1.5Gi is
     * 1610612736 bytes, 1.1Ki is 1126.4 */
    expect_go("1.5Gi", true, DEC("BinarySI"), INT64_C(1610612736000));
    expect_go("1.1Ki", true, DEC("BinarySI"), 1126400);
    /* scale -6 with s; RoundUp(-3): 1234.567 up to 1235, s cleared */
    expect_go("1234567u", true, Q("1235", "-3", "nil", "", "DecimalSI"), 1235);
    expect_go("1234567u", false, Q("1234567", "-6", "nil", "1234567u", "DecimalSI"), 1235);
    /* scale -7 (u, one decimal): 15e-7 up to 1e-3 */
    expect_go("1.5u", true, Q("1", "-3", "nil", "", "DecimalSI"), 1);
    expect_go("1.5u", false, Q("15", "-7", "nil", "", "DecimalSI"), 1);
    /* scale -10 is below -9: Dec 1.5e-9 rounded up to 2n, then to 1m; without
     * RoundUp scaledValue(2, 9, 3) is 0 with a remainder: 1 */
    expect_go("1.5n", true, DEC("DecimalSI"), 1);
    expect_go("1.5n", false, DEC("DecimalSI"), 1);
    /* negative Dec: RoundUp goes away from zero (-1m); scaledValue truncates
     * -2/10^6 to 0 and adds 1 for the remainder */
    expect_go("-1.5n", true, DEC("DecimalSI"), -1);
    expect_go("-1.5n", false, DEC("DecimalSI"), 1);
    /* ParseQuantity's "0" shortcut keeps s; "01" passes the int64 test on
     * its digits ("1") and keeps the whole text */
    expect_go("0", true, Q("0", "0", "nil", "0", "DecimalSI"), 0);
    expect_go("01", true, Q("1", "0", "nil", "01", "DecimalSI"), 1000);
    expect_go("1e3", true, Q("1", "3", "nil", "1e3", "DecimalExponent"), 1000000);
    expect_go("1Ki", true, Q("1024", "0", "nil", "1Ki", "BinarySI"), 1024000);
    /* 20 digits: Dec; 10^22 milli units keep their low 64 bits (Int64()) */
    expect_go("10000000000000000000", true, DEC("DecimalSI"), INT64_C(1864712049423024128));
    expect_go("10000000000000000000", false, DEC("DecimalSI"), INT64_C(1864712049423024128));
    expect_go("-10000000000000000000", false, DEC("DecimalSI"), -INT64_C(1864712049423024128));
    /* 18 digits fit the int64 path, times 1000 wraps */
    expect_go("999999999999999999", true, Q("999999999999999999", "0", "nil", "999999999999999999", "DecimalSI"),
              INT64_C(3875820019684211736));
    /* 2^63 bytes: capped at 2^63-1 (scale 0); times 1000 wraps to -1000 */
    expect_go("8Ei", true, DEC("BinarySI"), -1000);
    expect_go("8Ei", false, DEC("BinarySI"), -1000);
    /* 1E: scale 21 overflows in the loop, which gives 0 */
    expect_go("1E", true, Q("1", "18", "nil", "1E", "DecimalSI"), 0);
    /* the int32 scale difference wraps negative: no scaling at all */
    expect_go("1e2147483647", true, Q("1", "2147483647", "nil", "", "DecimalExponent"), 1);

    struct kapi_pool *pool = kapi_pool_new();
    int64_t m;
    assert_int_equal(kapi_quantity_go(pool, "1x", 2, true, &m, NULL), -1);
    assert_int_equal(kapi_quantity_go(pool, "", 0, true, &m, NULL), -1);
    assert_int_equal(kapi_quantity_go(pool, "2", 1, true, &m, NULL), 0);
    assert_int_equal(m, 2000);
    kapi_pool_free(pool);
}

/* The side table of original texts: only noted values answer; a carry
 * passes a noted text on, or the source's own text when the copy differs. */
static void test_originals(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *a = kapi_value_str(pool, "1500m"), *b = kapi_value_str(pool, "2");
    assert_null(kapi_quantity_original(pool, a));
    kapi_quantity_note_original(pool, a, "1.5xyz", 3);
    assert_string_equal(kapi_quantity_original(pool, a), "1.5");
    assert_null(kapi_quantity_original(pool, b));
    assert_null(kapi_quantity_original(pool, NULL));
    /* many entries (the table grows), each found again */
    struct kapi_value *many[100];
    for (int i = 0; i < 100; i++) {
        many[i] = kapi_value_str(pool, "1");
        char t[16];
        snprintf(t, sizeof(t), "%d.0", i);
        kapi_quantity_note_original(pool, many[i], t, strlen(t));
    }
    kapi_quantity_note_original(pool, many[7], "again", 5);
    for (int i = 0; i < 100; i++) {
        char t[16];
        snprintf(t, sizeof(t), "%d.0", i);
        assert_string_equal(kapi_quantity_original(pool, many[i]), i == 7 ? "again" : t);
    }
    assert_string_equal(kapi_quantity_original(pool, a), "1.5");
    /* carry: a clone of a noted value, a rewrite of an unnoted one, a clone of
     * an unnoted one */
    struct kapi_value *c1 = kapi_value_str(pool, "1500m"), *c2 = kapi_value_str(pool, "2m"),
                      *c3 = kapi_value_str(pool, "2"), *src = kapi_value_str(pool, "1500u");
    kapi_quantity_carry_original(pool, c1, a);
    kapi_quantity_carry_original(pool, c2, src);
    kapi_quantity_carry_original(pool, c3, b);
    assert_string_equal(kapi_quantity_original(pool, c1), "1.5");
    assert_string_equal(kapi_quantity_original(pool, c2), "1500u");
    assert_null(kapi_quantity_original(pool, c3));
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_kept_verbatim),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_plain_canonical_agrees),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_go_struct),
        cmocka_unit_test(test_originals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
