/* Unit tests for src/cache/objindex: the ordered index stays sorted and
 * agrees with a plain model through many random puts, replacements and
 * removals (enough to split chunks and empty them again); seek and rank
 * answer as over one sorted array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/objindex.h"

#define NKEYS 3000

static struct kapi_cobj objs[NKEYS];
static char keys[NKEYS][32];
static int present[NKEYS]; /* model: which keys are in the index */

/* keys[i] sort in the order of i: "k00000" ... */
static void make_keys(void)
{
    for (int i = 0; i < NKEYS; i++) {
        snprintf(keys[i], sizeof(keys[i]), "/registry/x/k%05d", i);
        memset(&objs[i], 0, sizeof(objs[i]));
        objs[i].key = keys[i];
        present[i] = 0;
    }
}

static void check_model(const struct kapi_objindex *x)
{
    size_t count = 0;
    for (int i = 0; i < NKEYS; i++)
        count += present[i] != 0;
    assert_int_equal(x->n, count);
    /* iteration: exactly the present keys, in order */
    int next = 0;
    size_t seen = 0;
    for (struct kapi_oi_pos p = kapi_oi_first(x); kapi_oi_at(x, p); kapi_oi_next(x, &p)) {
        struct kapi_cobj *o = kapi_oi_at(x, p);
        while (next < NKEYS && !present[next])
            next++;
        assert_true(next < NKEYS);
        assert_ptr_equal(o->key, keys[next]);
        assert_int_equal(kapi_oi_rank(x, p), seen);
        next++;
        seen++;
    }
    assert_int_equal(seen, count);
}

static void test_random_against_model(void **state)
{
    (void)state;
    make_keys();
    struct kapi_objindex x;
    kapi_oi_init(&x);
    srand(7);
    for (int step = 0; step < 40000; step++) {
        int k = rand() % NKEYS;
        if (rand() % 3) {
            struct kapi_cobj *old = kapi_oi_put(&x, &objs[k]);
            assert_ptr_equal(old, present[k] ? &objs[k] : NULL);
            present[k] = 1;
        } else {
            struct kapi_cobj *o = kapi_oi_take(&x, keys[k]);
            assert_ptr_equal(o, present[k] ? &objs[k] : NULL);
            present[k] = 0;
        }
        if (step % 5000 == 0)
            check_model(&x);
        assert_ptr_equal(kapi_oi_get(&x, keys[k]), present[k] ? &objs[k] : NULL);
    }
    check_model(&x);
    assert_true(x.nchunks > 1); /* the run did split chunks */
    /* empty it completely: chunks go away */
    for (int k = 0; k < NKEYS; k++)
        if (present[k]) {
            assert_ptr_equal(kapi_oi_take(&x, keys[k]), &objs[k]);
            present[k] = 0;
        }
    assert_int_equal(x.n, 0);
    assert_int_equal(x.nchunks, 0);
    assert_null(kapi_oi_at(&x, kapi_oi_first(&x)));
    kapi_oi_reset(&x);
}

static void test_seek_and_rank(void **state)
{
    (void)state;
    make_keys();
    struct kapi_objindex x;
    kapi_oi_init(&x);
    assert_null(kapi_oi_at(&x, kapi_oi_seek(&x, "anything", 0)));
    /* every even key, inserted in descending order */
    for (int k = NKEYS - 2; k >= 0; k -= 2) {
        assert_null(kapi_oi_put(&x, &objs[k]));
        present[k] = 1;
    }
    check_model(&x);
    /* seek to a present key: it, or the one after it with after=1 */
    struct kapi_oi_pos p = kapi_oi_seek(&x, keys[1000], 0);
    assert_ptr_equal(kapi_oi_at(&x, p), &objs[1000]);
    assert_int_equal(kapi_oi_rank(&x, p), 500);
    p = kapi_oi_seek(&x, keys[1000], 1);
    assert_ptr_equal(kapi_oi_at(&x, p), &objs[1002]);
    /* an absent key: the next present one either way */
    p = kapi_oi_seek(&x, keys[1001], 1);
    assert_ptr_equal(kapi_oi_at(&x, p), &objs[1002]);
    assert_int_equal(kapi_oi_rank(&x, p), 501);
    /* past the last key: the end, ranked n */
    p = kapi_oi_seek(&x, "/registry/x/z", 0);
    assert_null(kapi_oi_at(&x, p));
    assert_int_equal(kapi_oi_rank(&x, p), x.n);
    /* the last key with after=1 is the end too, across a chunk edge */
    p = kapi_oi_seek(&x, keys[NKEYS - 2], 1);
    assert_null(kapi_oi_at(&x, p));
    /* before the first key */
    p = kapi_oi_seek(&x, "/registry/a", 0);
    assert_ptr_equal(kapi_oi_at(&x, p), &objs[0]);
    kapi_oi_reset(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_seek_and_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
