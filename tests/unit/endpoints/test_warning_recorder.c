/* endpoints/respond: kapi_req_warn keeps warnings as upstream's warning
 * recorder does (no empty texts, no repeats, 4096 runes in all, then every
 * text cut to 256 runes; text that is not UTF-8 is not sent). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "endpoints/endpoints_int.h"

static void test_dedup_and_empty(void **state)
{
    (void)state;
    struct kapi_req r = {.pool = kapi_pool_new()};
    kapi_req_warn(&r, "a \"quoted\" text");
    kapi_req_warn(&r, "");
    kapi_req_warn(&r, "b");
    kapi_req_warn(&r, "a \"quoted\" text");
    kapi_req_warn(&r, "bad \xff utf-8");
    kapi_req_warn(&r, "c");
    assert_int_equal(r.nwarnings, 3);
    assert_string_equal(r.warnings[0], "a \"quoted\" text");
    assert_string_equal(r.warnings[1], "b");
    assert_string_equal(r.warnings[2], "c");
    kapi_pool_free(r.pool);
}

static void test_truncation(void **state)
{
    (void)state;
    struct kapi_req r = {.pool = kapi_pool_new()};
    char big[1001];
    /* four texts of 1000 runes fit (4000), the fifth passes 4096: all are cut to 256 */
    for (int i = 0; i < 5; i++) {
        memset(big, 'a' + i, 1000);
        big[1000] = 0;
        kapi_req_warn(&r, big);
    }
    assert_int_equal(r.nwarnings, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(strlen(r.warnings[i]), 256);
        assert_int_equal(r.warnings[i][0], 'a' + i);
    }
    /* truncating: later texts are cut too, until 4096 runes are reached */
    char name[8];
    for (int i = 0; i < 20; i++) {
        memset(big, 'k', 1000);
        big[1000] = 0;
        snprintf(name, sizeof(name), "%02d", i);
        memcpy(big, name, 2);
        kapi_req_warn(&r, big);
    }
    /* 5 * 256 = 1280; 11 more reach 4096 (1280 + 11 * 256 = 4096); the rest are dropped */
    assert_int_equal(r.nwarnings, 16);
    assert_int_equal(strlen(r.warnings[15]), 256);
    assert_memory_equal(r.warnings[15], "10", 2);
    kapi_pool_free(r.pool);
}

static void test_multibyte_cut(void **state)
{
    (void)state;
    struct kapi_req r = {.pool = kapi_pool_new()};
    char big[4200];
    memset(big, 'x', 4097);
    big[4097] = 0;
    kapi_req_warn(&r, big); /* alone over the limit: replayed cut */
    assert_int_equal(r.nwarnings, 1);
    assert_int_equal(strlen(r.warnings[0]), 256);
    /* runes, not bytes: 300 two-byte runes cut to 256 runes = 512 bytes */
    char mb[700] = {0};
    for (int i = 0; i < 300; i++)
        memcpy(mb + 2 * i, "\xc3\xa9", 2);
    kapi_req_warn(&r, mb);
    assert_int_equal(r.nwarnings, 2);
    assert_int_equal(strlen(r.warnings[1]), 512);
    kapi_pool_free(r.pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedup_and_empty),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_multibyte_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
