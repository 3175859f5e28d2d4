/* Unit tests for src/storage/compactor over the SQLite store: two instances
 * sharing a store compact once per round, one interval behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/compactor.h"
#include "storage/sqlite/sqlite.h"

static int64_t put(struct kapi_store *s, const char *key)
{
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = "v", .len = 1};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(s, &w, &r), 0);
    int64_t rev = r.rev;
    kapi_write_result_dispose(&r);
    return rev;
}

static void test_two_instances_compact_once_per_round(void **state)
{
    char dir[] = "/tmp/kapi-compactor-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256];
    struct kapi_store *s = kapi_sqlite_open(dir, err, sizeof(err));
    assert_non_null(s);
    int64_t a_seen = 0, b_seen = 0;
    put(s, "/registry/x/0a");
    put(s, "/registry/x/0b");
    int64_t r1 = put(s, "/registry/x/1");
    /* round 1: A records the revision; B sees the key moved and stands back */
    assert_int_equal(kapi_compactor_round(s, &a_seen), 0);
    assert_int_equal(kapi_compactor_round(s, &b_seen), 0);
    put(s, "/registry/x/2");
    /* round 2: A compacts up to what it recorded in round 1; B stands back */
    int64_t c = kapi_compactor_round(s, &a_seen);
    assert_true(c >= r1);
    assert_int_equal(kapi_compactor_round(s, &b_seen), 0);
    int64_t cur, compacted;
    assert_int_equal(s->ops->revisions(s, &cur, &compacted), 0);
    assert_int_equal(compacted, c);
    /* a read before the compacted revision is refused now */
    struct kapi_kv *kvs = NULL;
    size_t n;
    int64_t rev = c - 1;
    bool more;
    assert_int_equal(s->ops->range(s, "/registry/", "/registry0", 0, &kvs, &n, &rev, &more), KAPI_STORE_COMPACTED);
    /* if A stops, B (now in step with the key) takes over at once */
    put(s, "/registry/x/3");
    assert_true(kapi_compactor_round(s, &b_seen) > c);
    kapi_store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_thread_starts_and_stops(void **state)
{
    char dir[] = "/tmp/kapi-compactor-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char err[256];
    struct kapi_store *s = kapi_sqlite_open(dir, err, sizeof(err));
    assert_non_null(s);
    put(s, "/registry/y/1");
    struct kapi_compactor *c = kapi_compactor_start(s, 50);
    assert_non_null(c);
    usleep(300 * 1000);
    kapi_compactor_stop(c);
    int64_t cur, compacted;
    assert_int_equal(s->ops->revisions(s, &cur, &compacted), 0);
    assert_true(compacted > 0);
    kapi_compactor_stop(NULL);
    kapi_store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_instances_compact_once_per_round),
        cmocka_unit_test(test_thread_starts_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
