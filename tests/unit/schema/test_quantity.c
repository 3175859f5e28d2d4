/* Unit tests for schema/quantity: upstream's canonical forms (String() after
 * ParseQuantity), the kept-verbatim cases, rounding, caps and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base/base.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_kept_verbatim),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_plain_canonical_agrees),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
