/* The backend-independent storage suite: every backend's test file
 * (test_sqlite.c, later test_etcd3.c) includes this header, points
 * store_suite at its own open/reset functions and lists STORE_SUITE_TESTS in
 * its cmocka group. Tests only use the kapi_store interface and never assume
 * absolute revision numbers, so a shared etcd can run them too. */
#ifndef KAPI_TEST_STORAGE_SUITE_H
#define KAPI_TEST_STORAGE_SUITE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "storage/storage.h"

struct store_suite {
    const char *prefix;                       /* every key the suite touches starts with it */
    struct kapi_store *(*open_fn)(void *arg); /* opens the backend on the suite's data */
    void (*reset)(void *arg);                 /* erases that data; the store is closed */
    void *arg;
};

/* Set by the including test file before cmocka runs. */
static const struct store_suite *store_suite;

/* ---- helpers ---- */

static void ss_key(char *out, size_t n, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void ss_key(char *out, size_t n, const char *fmt, ...)
{
    size_t p = (size_t)snprintf(out, n, "%s", store_suite->prefix);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + p, n - p, fmt, ap);
    va_end(ap);
}

static int ss_setup(void **state)
{
    store_suite->reset(store_suite->arg);
    struct kapi_store *s = store_suite->open_fn(store_suite->arg);
    if (!s)
        return -1;
    *state = s;
    return 0;
}

static int ss_teardown(void **state)
{
    kapi_store_close(*state);
    *state = NULL;
    return 0;
}

static struct kapi_store *ss_reopen(void **state)
{
    kapi_store_close(*state);
    *state = store_suite->open_fn(store_suite->arg);
    assert_non_null(*state);
    return *state;
}

static int64_t ss_current(struct kapi_store *s)
{
    int64_t cur = -1, comp = -1;
    assert_int_equal(s->ops->revisions(s, &cur, &comp), KAPI_STORE_OK);
    return cur;
}

/* A write expected to succeed; returns its revision. */
static int64_t ss_put(struct kapi_store *s, enum kapi_write_op op, const char *key, const char *val,
                      int64_t expect)
{
    struct kapi_write w = {.op = op, .key = key, .value = val, .len = val ? strlen(val) : 0,
                           .expect_mod_rev = expect};
    struct kapi_write_result r;
    int err = kapi_store_write(s, &w, &r);
    if (err)
        fail_msg("write %s: %s", key, kapi_store_strerror(err));
    int64_t rev = r.rev;
    kapi_write_result_dispose(&r);
    return rev;
}

static void ss_assert_value(const struct kapi_kv *kv, const char *val)
{
    assert_non_null(kv->value);
    assert_int_equal(kv->value->len, strlen(val));
    assert_memory_equal(kv->value->data, val, strlen(val));
}

static void ss_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Collects watch events (deep copies) for a test to inspect. */
struct ss_collector {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct kapi_event *evs;
    size_t n, cap;
    int final_err;
    bool ended;
    size_t stop_after;          /* return non-zero after this many events; 0 = never */
    atomic_int in_callback;
    atomic_long calls;
    int sleep_ms;               /* per callback, to make races likely */
};

static void ss_collector_init(struct ss_collector *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cond, NULL);
}

static void ss_collector_dispose(struct ss_collector *c)
{
    for (size_t i = 0; i < c->n; i++) {
        kapi_kv_dispose(&c->evs[i].kv);
        kapi_kv_dispose(&c->evs[i].prev_kv);
    }
    free(c->evs);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cond);
}

static int ss_collect(void *ctx, const struct kapi_event *ev, int err)
{
    struct ss_collector *c = ctx;
    atomic_fetch_add(&c->in_callback, 1);
    atomic_fetch_add(&c->calls, 1);
    if (c->sleep_ms)
        ss_sleep_ms(c->sleep_ms);
    pthread_mutex_lock(&c->mu);
    int stop = 0;
    if (!ev) {
        c->final_err = err;
        c->ended = true;
    } else {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 64;
            c->evs = kapi_xrealloc(c->evs, c->cap * sizeof(*c->evs));
        }
        struct kapi_event *e = &c->evs[c->n++];
        e->type = ev->type;
        kapi_kv_copy(&e->kv, &ev->kv);
        kapi_kv_copy(&e->prev_kv, &ev->prev_kv);
        stop = c->stop_after && c->n >= c->stop_after;
    }
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_sub(&c->in_callback, 1);
    return stop;
}

/* Waits (bounded, as a hang guard only) until n events arrived or the stream
 * ended; returns whether the condition was met. */
static bool ss_wait(struct ss_collector *c, size_t n, bool want_end)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 30;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    while (rc == 0 && !(want_end ? c->ended : c->n >= n))
        rc = pthread_cond_timedwait(&c->cond, &c->mu, &dl);
    bool ok = want_end ? c->ended : c->n >= n;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

/* ---- tests ---- */

static void ss_test_create_get(void **state)
{
    struct kapi_store *s = *state;
    char k[256], missing[256];
    ss_key(k, sizeof(k), "cg/a");
    ss_key(missing, sizeof(missing), "cg/missing");
    int64_t before = ss_current(s);
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, k, "one", 0);
    assert_int_equal(r1, before + 1);
    assert_int_equal(ss_current(s), r1);

    struct kapi_kv kv;
    assert_int_equal(kapi_store_get(s, k, &kv), KAPI_STORE_OK);
    assert_string_equal(kv.key, k);
    ss_assert_value(&kv, "one");
    assert_int_equal(kv.create_rev, r1);
    assert_int_equal(kv.mod_rev, r1);
    assert_int_equal(kv.version, 1);
    kapi_kv_dispose(&kv);

    /* Second create fails, reports the present state, consumes no revision. */
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = k, .value = "two", .len = 3};
    struct kapi_write_result res;
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_EXISTS);
    assert_int_equal(res.current.mod_rev, r1);
    ss_assert_value(&res.current, "one");
    kapi_write_result_dispose(&res);
    assert_int_equal(ss_current(s), r1);

    assert_int_equal(kapi_store_get(s, missing, &kv), KAPI_STORE_NOT_FOUND);
    kapi_kv_dispose(&kv);

    /* Empty values are values, not deletions. */
    char e[256];
    ss_key(e, sizeof(e), "cg/empty");
    int64_t re = ss_put(s, KAPI_WRITE_CREATE, e, "", 0);
    assert_int_equal(kapi_store_get(s, e, &kv), KAPI_STORE_OK);
    assert_int_equal(kv.mod_rev, re);
    ss_assert_value(&kv, "");
    kapi_kv_dispose(&kv);
}

static void ss_test_update_delete(void **state)
{
    struct kapi_store *s = *state;
    char k[256];
    ss_key(k, sizeof(k), "ud/a");
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, k, "v1", 0);

    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = k, .value = "v2", .len = 2};
    struct kapi_write_result res;
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_OK);
    int64_t r2 = res.rev;
    assert_int_equal(r2, r1 + 1);
    assert_int_equal(res.prev.mod_rev, r1);
    assert_int_equal(res.prev.version, 1);
    ss_assert_value(&res.prev, "v1");
    kapi_write_result_dispose(&res);

    struct kapi_kv kv;
    assert_int_equal(kapi_store_get(s, k, &kv), KAPI_STORE_OK);
    assert_int_equal(kv.create_rev, r1);
    assert_int_equal(kv.mod_rev, r2);
    assert_int_equal(kv.version, 2);
    ss_assert_value(&kv, "v2");
    kapi_kv_dispose(&kv);

    /* Stale precondition: CONFLICT with the present state. */
    w = (struct kapi_write){.op = KAPI_WRITE_UPDATE, .key = k, .value = "v3", .len = 2, .expect_mod_rev = r1};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_CONFLICT);
    assert_int_equal(res.current.mod_rev, r2);
    assert_int_equal(res.current.create_rev, r1);
    ss_assert_value(&res.current, "v2");
    kapi_write_result_dispose(&res);
    assert_int_equal(ss_current(s), r2);

    int64_t r3 = ss_put(s, KAPI_WRITE_UPDATE, k, "v3", r2);
    assert_int_equal(r3, r2 + 1);

    w = (struct kapi_write){.op = KAPI_WRITE_DELETE, .key = k, .expect_mod_rev = r2};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_CONFLICT);
    assert_int_equal(res.current.mod_rev, r3);
    kapi_write_result_dispose(&res);

    w.expect_mod_rev = r3;
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_OK);
    int64_t r4 = res.rev;
    assert_int_equal(r4, r3 + 1);
    assert_int_equal(res.prev.mod_rev, r3);
    assert_int_equal(res.prev.version, 3);
    ss_assert_value(&res.prev, "v3");
    kapi_write_result_dispose(&res);

    assert_int_equal(kapi_store_get(s, k, &kv), KAPI_STORE_NOT_FOUND);
    kapi_kv_dispose(&kv);
    w = (struct kapi_write){.op = KAPI_WRITE_UPDATE, .key = k, .value = "x", .len = 1};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_NOT_FOUND);
    kapi_write_result_dispose(&res);
    w = (struct kapi_write){.op = KAPI_WRITE_DELETE, .key = k};
    assert_int_equal(kapi_store_write(s, &w, &res), KAPI_STORE_NOT_FOUND);
    kapi_write_result_dispose(&res);
    assert_int_equal(ss_current(s), r4);

    /* Re-creation starts a new life: version 1, new create_rev. */
    int64_t r5 = ss_put(s, KAPI_WRITE_CREATE, k, "again", 0);
    assert_int_equal(r5, r4 + 1);
    assert_int_equal(kapi_store_get(s, k, &kv), KAPI_STORE_OK);
    assert_int_equal(kv.create_rev, r5);
    assert_int_equal(kv.version, 1);
    kapi_kv_dispose(&kv);
}

static void ss_free_kvs(struct kapi_kv *kvs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kapi_kv_dispose(&kvs[i]);
    free(kvs);
}

static void ss_test_range(void **state)
{
    struct kapi_store *s = *state;
    char pfx[256], k[256];
    ss_key(pfx, sizeof(pfx), "r/");
    char *end = kapi_store_prefix_end(pfx);
    assert_int_equal(end[strlen(end) - 1], '0');
    /* Neighbours just outside the prefix on both sides, and a non-ASCII key
     * that must sort after "d" in byte order. */
    const char *names[] = {"r/d", "r/a", "r/\xc3\xa9", "r/c", "r/b", "r.", "r0", "rs"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(names); i++) {
        ss_key(k, sizeof(k), "%s", names[i]);
        ss_put(s, KAPI_WRITE_CREATE, k, names[i], 0);
    }
    ss_key(k, sizeof(k), "r/c");
    ss_put(s, KAPI_WRITE_DELETE, k, NULL, 0);
    ss_key(k, sizeof(k), "r/a");
    int64_t ra = ss_put(s, KAPI_WRITE_UPDATE, k, "A", 0);

    struct kapi_kv *kvs;
    size_t n;
    int64_t rev;
    bool more;
    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(rev, ss_current(s));
    assert_false(more);
    assert_int_equal(n, 4);
    const char *want[] = {"r/a", "r/b", "r/d", "r/\xc3\xa9"};
    for (size_t i = 0; i < n; i++) {
        ss_key(k, sizeof(k), "%s", want[i]);
        assert_string_equal(kvs[i].key, k);
        ss_assert_value(&kvs[i], i == 0 ? "A" : want[i]);
    }
    assert_int_equal(kvs[0].mod_rev, ra);
    assert_int_equal(kvs[0].version, 2);
    ss_free_kvs(kvs, n);

    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 2, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 2);
    assert_true(more);
    /* Continue after the last key, as a paginated list does. */
    char next[300];
    size_t nl = strlen(kvs[1].key);
    assert_true(nl + 2 <= sizeof(next));
    memcpy(next, kvs[1].key, nl);
    next[nl] = 1; /* smallest key greater than kvs[1].key; keys hold no NUL */
    next[nl + 1] = 0;
    ss_free_kvs(kvs, n);
    rev = 0;
    assert_int_equal(s->ops->range(s, next, end, 2, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 2);
    assert_false(more);
    ss_key(k, sizeof(k), "r/d");
    assert_string_equal(kvs[0].key, k);
    ss_free_kvs(kvs, n);

    /* Exactly limit keys left: more must be false. */
    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 4, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 4);
    assert_false(more);
    ss_free_kvs(kvs, n);

    ss_key(k, sizeof(k), "zz/none/");
    char *zend = kapi_store_prefix_end(k);
    rev = 0;
    assert_int_equal(s->ops->range(s, k, zend, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 0);
    ss_free_kvs(kvs, n);
    free(zend);
    free(end);
}

static void ss_test_restart_revisions(void **state)
{
    struct kapi_store *s = *state;
    char a[256], b[256];
    ss_key(a, sizeof(a), "rs/a");
    ss_key(b, sizeof(b), "rs/b");
    ss_put(s, KAPI_WRITE_CREATE, a, "a", 0);
    ss_put(s, KAPI_WRITE_CREATE, b, "b", 0);
    ss_put(s, KAPI_WRITE_UPDATE, a, "a2", 0);
    int64_t rd = ss_put(s, KAPI_WRITE_DELETE, b, NULL, 0);
    s = ss_reopen(state);
    assert_int_equal(ss_current(s), rd);

    /* Compact at the newest revision (a deletion), restart: the counter and
     * the compaction mark both survive. */
    assert_int_equal(s->ops->compact(s, rd), KAPI_STORE_OK);
    s = ss_reopen(state);
    int64_t cur, comp;
    assert_int_equal(s->ops->revisions(s, &cur, &comp), KAPI_STORE_OK);
    assert_int_equal(cur, rd);
    assert_int_equal(comp, rd);
    int64_t rn = ss_put(s, KAPI_WRITE_CREATE, b, "b2", 0);
    assert_int_equal(rn, rd + 1);
    struct kapi_kv kv;
    assert_int_equal(kapi_store_get(s, a, &kv), KAPI_STORE_OK);
    ss_assert_value(&kv, "a2");
    assert_int_equal(kv.version, 2);
    kapi_kv_dispose(&kv);
    assert_int_equal(kapi_store_get(s, b, &kv), KAPI_STORE_OK);
    assert_int_equal(kv.create_rev, rn);
    kapi_kv_dispose(&kv);
}

static void ss_test_compact(void **state)
{
    struct kapi_store *s = *state;
    char a[256], b[256], c[256], pfx[256];
    ss_key(pfx, sizeof(pfx), "cp/");
    ss_key(a, sizeof(a), "cp/a");
    ss_key(b, sizeof(b), "cp/b");
    ss_key(c, sizeof(c), "cp/c");
    ss_put(s, KAPI_WRITE_CREATE, a, "a1", 0);
    ss_put(s, KAPI_WRITE_CREATE, b, "b1", 0);
    ss_put(s, KAPI_WRITE_CREATE, c, "c1", 0);
    for (int i = 2; i <= 5; i++) {
        char v[16];
        snprintf(v, sizeof(v), "a%d", i);
        ss_put(s, KAPI_WRITE_UPDATE, a, v, 0);
    }
    ss_put(s, KAPI_WRITE_DELETE, b, NULL, 0);
    int64_t rc5 = ss_put(s, KAPI_WRITE_UPDATE, c, "c2", 0);
    int64_t cur = ss_current(s);

    assert_int_equal(s->ops->compact(s, cur + 1), KAPI_STORE_FUTURE_REV);
    assert_int_equal(s->ops->compact(s, cur), KAPI_STORE_OK);
    assert_int_equal(s->ops->compact(s, cur - 1), KAPI_STORE_COMPACTED);
    int64_t comp;
    assert_int_equal(s->ops->revisions(s, NULL, &comp), KAPI_STORE_OK);
    assert_int_equal(comp, cur);

    /* Current state is untouched. */
    struct kapi_kv *kvs;
    size_t n;
    int64_t rev;
    bool more;
    char *end = kapi_store_prefix_end(pfx);
    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(kvs[0].key, a);
    ss_assert_value(&kvs[0], "a5");
    assert_int_equal(kvs[0].version, 5);
    assert_string_equal(kvs[1].key, c);
    ss_assert_value(&kvs[1], "c2");
    assert_int_equal(kvs[1].mod_rev, rc5);
    ss_free_kvs(kvs, n);
    free(end);
    struct kapi_kv kv;
    assert_int_equal(kapi_store_get(s, b, &kv), KAPI_STORE_NOT_FOUND);
    kapi_kv_dispose(&kv);
    /* Writes keep their version chain across compaction. */
    ss_put(s, KAPI_WRITE_UPDATE, a, "a6", 0);
    assert_int_equal(kapi_store_get(s, a, &kv), KAPI_STORE_OK);
    assert_int_equal(kv.version, 6);
    kapi_kv_dispose(&kv);
}

static void ss_test_watch_replay_live(void **state)
{
    struct kapi_store *s = *state;
    char pfx[256], a[256], b[256], c[256], other[256];
    ss_key(pfx, sizeof(pfx), "w/");
    ss_key(a, sizeof(a), "w/a");
    ss_key(b, sizeof(b), "w/b");
    ss_key(c, sizeof(c), "w/c");
    ss_key(other, sizeof(other), "wx");
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, a, "a1", 0);
    int64_t r2 = ss_put(s, KAPI_WRITE_UPDATE, a, "a2", 0);
    int64_t r3 = ss_put(s, KAPI_WRITE_CREATE, b, "b1", 0);
    ss_put(s, KAPI_WRITE_CREATE, other, "o", 0);
    int64_t r4 = ss_put(s, KAPI_WRITE_DELETE, a, NULL, 0);

    struct ss_collector col;
    ss_collector_init(&col);
    char *end = kapi_store_prefix_end(pfx);
    long id = s->ops->watch(s, pfx, end, r1, ss_collect, &col);
    assert_true(id > 0);
    assert_true(ss_wait(&col, 3, false));
    int64_t r5 = ss_put(s, KAPI_WRITE_UPDATE, b, "b2", 0);
    ss_put(s, KAPI_WRITE_UPDATE, other, "o2", 0);
    int64_t r6 = ss_put(s, KAPI_WRITE_CREATE, c, "c1", 0);
    assert_true(ss_wait(&col, 5, false));
    ss_sleep_ms(50); /* room for a stray duplicate to show up */
    s->ops->unwatch(s, id);

    assert_int_equal(col.n, 5);
    struct kapi_event *e = col.evs;
    assert_int_equal(e[0].type, KAPI_EVENT_PUT);
    assert_string_equal(e[0].kv.key, a);
    assert_int_equal(e[0].kv.mod_rev, r2);
    assert_int_equal(e[0].kv.create_rev, r1);
    assert_int_equal(e[0].kv.version, 2);
    ss_assert_value(&e[0].kv, "a2");
    assert_int_equal(e[0].prev_kv.mod_rev, r1);
    ss_assert_value(&e[0].prev_kv, "a1");

    assert_int_equal(e[1].type, KAPI_EVENT_PUT);
    assert_int_equal(e[1].kv.mod_rev, r3);
    assert_int_equal(e[1].kv.create_rev, r3);
    assert_null(e[1].prev_kv.value);

    assert_int_equal(e[2].type, KAPI_EVENT_DELETE);
    assert_string_equal(e[2].kv.key, a);
    assert_int_equal(e[2].kv.mod_rev, r4);
    assert_null(e[2].kv.value);
    assert_int_equal(e[2].prev_kv.mod_rev, r2);
    ss_assert_value(&e[2].prev_kv, "a2");

    assert_int_equal(e[3].type, KAPI_EVENT_PUT);
    assert_string_equal(e[3].kv.key, b);
    assert_int_equal(e[3].kv.mod_rev, r5);
    assert_int_equal(e[3].prev_kv.mod_rev, r3);
    ss_assert_value(&e[3].prev_kv, "b1");

    assert_int_equal(e[4].kv.mod_rev, r6);
    assert_string_equal(e[4].kv.key, c);
    assert_null(e[4].prev_kv.value);
    ss_collector_dispose(&col);
    free(end);
}

struct ss_writer {
    struct kapi_store *s;
    const char *tag;
    int count;              /* writes to do; 0 = until stop */
    atomic_bool stop;
    atomic_long done;
    int64_t *revs;          /* count entries when count > 0 */
};

static void *ss_writer_main(void *arg)
{
    struct ss_writer *wr = arg;
    char k[256];
    for (long i = 0; wr->count == 0 ? !atomic_load(&wr->stop) : i < wr->count; i++) {
        ss_key(k, sizeof(k), "%s/%ld", wr->tag, i);
        struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = k, .value = k, .len = strlen(k)};
        struct kapi_write_result r;
        int err = kapi_store_write(wr->s, &w, &r);
        if (err == KAPI_STORE_OK && wr->revs)
            wr->revs[i] = r.rev;
        kapi_write_result_dispose(&r);
        if (err != KAPI_STORE_OK)
            return (void *)1;
        atomic_fetch_add(&wr->done, 1);
    }
    return NULL;
}

static int ss_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void ss_test_concurrent_writers(void **state)
{
    struct kapi_store *s = *state;
    enum { THREADS = 16, PER = 150 };
    int64_t base = ss_current(s);
    struct ss_writer wr[THREADS];
    pthread_t th[THREADS];
    char tags[THREADS][16];
    int64_t *revs = kapi_xcalloc(THREADS * PER, sizeof(int64_t));
    for (int t = 0; t < THREADS; t++) {
        snprintf(tags[t], sizeof(tags[t]), "cw/%02d", t);
        wr[t] = (struct ss_writer){.s = s, .tag = tags[t], .count = PER, .revs = revs + t * PER};
        pthread_create(&th[t], NULL, ss_writer_main, &wr[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        assert_null(ret);
    }
    qsort(revs, THREADS * PER, sizeof(int64_t), ss_cmp_i64);
    for (int i = 0; i < THREADS * PER; i++)
        assert_int_equal(revs[i], base + 1 + i);
    assert_int_equal(ss_current(s), base + THREADS * PER);
    free(revs);

    char pfx[256];
    ss_key(pfx, sizeof(pfx), "cw/");
    char *end = kapi_store_prefix_end(pfx);
    struct kapi_kv *kvs;
    size_t n;
    int64_t rev;
    bool more;
    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, THREADS * PER);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(kvs[i - 1].key, kvs[i].key) < 0);
    ss_free_kvs(kvs, n);
    free(end);
}

/* Watches started while writes stream in must see every revision after
 * their start exactly once, in order, whichever side of the replay/live
 * boundary it falls on. */
static void ss_test_watch_boundary(void **state)
{
    struct kapi_store *s = *state;
    enum { WATCHES = 6, WRITERS = 4, PER = 150 };
    char pfx[256];
    ss_key(pfx, sizeof(pfx), "wb/");
    char *end = kapi_store_prefix_end(pfx);
    int64_t base = ss_current(s);
    struct ss_writer wr[WRITERS];
    pthread_t th[WRITERS];
    char tags[WRITERS][16];
    for (int t = 0; t < WRITERS; t++) {
        snprintf(tags[t], sizeof(tags[t]), "wb/%d", t);
        wr[t] = (struct ss_writer){.s = s, .tag = tags[t], .count = PER};
        pthread_create(&th[t], NULL, ss_writer_main, &wr[t]);
    }
    struct ss_collector col[WATCHES];
    int64_t from[WATCHES];
    long ids[WATCHES];
    for (int i = 0; i < WATCHES; i++) {
        ss_collector_init(&col[i]);
        ss_sleep_ms(20);
        int64_t cur = ss_current(s);
        /* Alternate between starting behind (replay needed) and at the head. */
        from[i] = i % 2 ? cur : (cur - 40 > base ? cur - 40 : base);
        ids[i] = s->ops->watch(s, pfx, end, from[i], ss_collect, &col[i]);
        assert_true(ids[i] > 0);
    }
    for (int t = 0; t < WRITERS; t++)
        pthread_join(th[t], NULL);
    int64_t last = ss_current(s);
    assert_int_equal(last, base + WRITERS * PER);
    for (int i = 0; i < WATCHES; i++) {
        size_t want = (size_t)(last - from[i]);
        assert_true(ss_wait(&col[i], want, false));
    }
    ss_sleep_ms(50);
    for (int i = 0; i < WATCHES; i++) {
        s->ops->unwatch(s, ids[i]);
        assert_int_equal(col[i].n, (size_t)(last - from[i]));
        for (size_t j = 0; j < col[i].n; j++)
            assert_int_equal(col[i].evs[j].kv.mod_rev, from[i] + 1 + (int64_t)j);
        ss_collector_dispose(&col[i]);
    }
    free(end);
}

static void ss_test_watch_compacted(void **state)
{
    struct kapi_store *s = *state;
    char k[256], pfx[256];
    ss_key(pfx, sizeof(pfx), "wc/");
    ss_key(k, sizeof(k), "wc/a");
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, k, "1", 0);
    int64_t r2 = ss_put(s, KAPI_WRITE_UPDATE, k, "2", 0);
    int64_t r3 = ss_put(s, KAPI_WRITE_UPDATE, k, "3", 0);
    int64_t r4 = ss_put(s, KAPI_WRITE_UPDATE, k, "4", 0);
    assert_int_equal(s->ops->compact(s, r3), KAPI_STORE_OK);
    char *end = kapi_store_prefix_end(pfx);

    struct ss_collector col;
    ss_collector_init(&col);
    long id = s->ops->watch(s, pfx, end, r1, ss_collect, &col);
    assert_true(id > 0);
    assert_true(ss_wait(&col, 0, true));
    assert_int_equal(col.final_err, KAPI_STORE_COMPACTED);
    assert_int_equal(col.n, 0);
    s->ops->unwatch(s, id);
    ss_collector_dispose(&col);

    /* The compaction revision itself is still retained, with prev_kv. */
    ss_collector_init(&col);
    id = s->ops->watch(s, pfx, end, r2, ss_collect, &col);
    assert_true(id > 0);
    assert_true(ss_wait(&col, 2, false));
    s->ops->unwatch(s, id);
    assert_false(col.ended);
    assert_int_equal(col.evs[0].kv.mod_rev, r3);
    assert_int_equal(col.evs[0].prev_kv.mod_rev, r2);
    ss_assert_value(&col.evs[0].prev_kv, "2");
    assert_int_equal(col.evs[1].kv.mod_rev, r4);
    ss_collector_dispose(&col);
    free(end);
}

static void ss_test_watch_stop_by_return(void **state)
{
    struct kapi_store *s = *state;
    char k[256], pfx[256];
    ss_key(pfx, sizeof(pfx), "ws/");
    char *end = kapi_store_prefix_end(pfx);
    struct ss_collector col;
    ss_collector_init(&col);
    col.stop_after = 2;
    long id = s->ops->watch(s, pfx, end, ss_current(s), ss_collect, &col);
    assert_true(id > 0);
    for (int i = 0; i < 5; i++) {
        ss_key(k, sizeof(k), "ws/%d", i);
        ss_put(s, KAPI_WRITE_CREATE, k, "x", 0);
    }
    assert_true(ss_wait(&col, 2, false));
    ss_sleep_ms(50);
    s->ops->unwatch(s, id);
    assert_int_equal(col.n, 2);
    assert_false(col.ended);
    ss_collector_dispose(&col);
    free(end);
}

static void ss_test_unwatch_safety(void **state)
{
    struct kapi_store *s = *state;
    char pfx[256];
    ss_key(pfx, sizeof(pfx), "uw/");
    char *end = kapi_store_prefix_end(pfx);
    struct ss_writer wr = {.s = s, .tag = "uw/k"};
    pthread_t th;
    for (int round = 0; round < 5; round++) {
        struct ss_collector col;
        ss_collector_init(&col);
        col.sleep_ms = 2;
        if (round == 0)
            pthread_create(&th, NULL, ss_writer_main, &wr);
        long id = s->ops->watch(s, pfx, end, ss_current(s), ss_collect, &col);
        assert_true(id > 0);
        assert_true(ss_wait(&col, 3, false));
        s->ops->unwatch(s, id);
        assert_int_equal(atomic_load(&col.in_callback), 0);
        long calls = atomic_load(&col.calls);
        long done = atomic_load(&wr.done);
        while (atomic_load(&wr.done) < done + 20)
            ss_sleep_ms(1);
        ss_sleep_ms(20);
        assert_int_equal(atomic_load(&col.calls), calls);
        ss_collector_dispose(&col);
    }
    atomic_store(&wr.stop, true);
    void *ret;
    pthread_join(th, &ret);
    assert_null(ret);
    /* Unknown and repeated ids are harmless. */
    s->ops->unwatch(s, 987654321);
    free(end);
}

/* Reads at a past revision see the store exactly as it was then; reads
 * before the compacted revision or past the current one are refused. */
static void ss_test_range_at_revision(void **state)
{
    struct kapi_store *s = *state;
    char a[256], b[256], pfx[256];
    ss_key(pfx, sizeof(pfx), "ar/");
    ss_key(a, sizeof(a), "ar/a");
    ss_key(b, sizeof(b), "ar/b");
    int64_t r1 = ss_put(s, KAPI_WRITE_CREATE, a, "a1", 0);
    int64_t r2 = ss_put(s, KAPI_WRITE_CREATE, b, "b1", 0);
    ss_put(s, KAPI_WRITE_UPDATE, a, "a2", 0);
    ss_put(s, KAPI_WRITE_DELETE, b, NULL, 0);
    char *end = kapi_store_prefix_end(pfx);
    struct kapi_kv *kvs;
    size_t n;
    bool more;
    int64_t rev = r1;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(rev, r1);
    assert_int_equal(n, 1);
    ss_assert_value(&kvs[0], "a1");
    ss_free_kvs(kvs, n);
    rev = r2;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 2);
    ss_assert_value(&kvs[0], "a1");
    ss_assert_value(&kvs[1], "b1");
    ss_free_kvs(kvs, n);
    rev = 0;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 1);
    ss_assert_value(&kvs[0], "a2");
    ss_free_kvs(kvs, n);
    rev = ss_current(s) + 10;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_FUTURE_REV);
    assert_int_equal(s->ops->compact(s, r2), KAPI_STORE_OK);
    rev = r1;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_COMPACTED);
    rev = r2;
    assert_int_equal(s->ops->range(s, pfx, end, 0, &kvs, &n, &rev, &more), KAPI_STORE_OK);
    assert_int_equal(n, 2);
    ss_free_kvs(kvs, n);
    free(end);
}

#define STORE_SUITE_TEST(fn) cmocka_unit_test_setup_teardown(fn, ss_setup, ss_teardown)
#define STORE_SUITE_TESTS                                 \
    STORE_SUITE_TEST(ss_test_create_get),                 \
    STORE_SUITE_TEST(ss_test_update_delete),              \
    STORE_SUITE_TEST(ss_test_range),                      \
    STORE_SUITE_TEST(ss_test_range_at_revision),          \
    STORE_SUITE_TEST(ss_test_restart_revisions),          \
    STORE_SUITE_TEST(ss_test_compact),                    \
    STORE_SUITE_TEST(ss_test_watch_replay_live),          \
    STORE_SUITE_TEST(ss_test_concurrent_writers),         \
    STORE_SUITE_TEST(ss_test_watch_boundary),             \
    STORE_SUITE_TEST(ss_test_watch_compacted),            \
    STORE_SUITE_TEST(ss_test_watch_stop_by_return),       \
    STORE_SUITE_TEST(ss_test_unwatch_safety)

#endif
