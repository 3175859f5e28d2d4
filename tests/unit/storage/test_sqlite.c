/* Unit tests for the SQLite storage backend: the shared storage suite plus
 * what only an embedded database can show (open errors, on-disk compaction,
 * revision recovery from meta, dispatcher thread, kill -9 durability). */
#include "suite.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "storage/sqlite/sqlite.h"

static char test_dir[256];
static char test_db[300];

static struct kapi_store *sqlite_open_fn(void *arg)
{
    char err[512] = "";
    struct kapi_store *s = kapi_sqlite_open(test_dir, err, sizeof(err));
    if (!s)
        print_error("kapi_sqlite_open: %s\n", err);
    return s;
}

static void sqlite_reset(void *arg)
{
    const char *suffix[] = {"", "-wal", "-shm", ".lock", "-journal"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(suffix); i++) {
        char p[400];
        snprintf(p, sizeof(p), "%s%s", test_db, suffix[i]);
        unlink(p);
    }
}

static const struct store_suite sqlite_suite = {
    .prefix = "/registry/test/",
    .open_fn = sqlite_open_fn,
    .reset = sqlite_reset,
};

/* Runs one statement returning a single integer against the database file,
 * bypassing the store (which may be open: WAL lets us read alongside). */
static int64_t db_int(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(test_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_open_errors(void **state)
{
    char err[512];
    err[0] = 0;
    assert_null(kapi_sqlite_open("/nonexistent-kapi-dir/sub/kapi.db", err, sizeof(err)));
    assert_true(strlen(err) > 0);

    /* A regular file where a directory should be. */
    char file[400], under[500];
    snprintf(file, sizeof(file), "%s/plainfile", test_dir);
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    snprintf(under, sizeof(under), "%s/kapi.db", file);
    err[0] = 0;
    assert_null(kapi_sqlite_open(under, err, sizeof(err)));
    assert_true(strlen(err) > 0);

    /* Garbage in the database file. */
    char corrupt[400];
    snprintf(corrupt, sizeof(corrupt), "%s/corrupt.db", test_dir);
    fd = open(corrupt, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char junk[8192];
    memset(junk, 'x', sizeof(junk));
    assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    close(fd);
    err[0] = 0;
    assert_null(kapi_sqlite_open(corrupt, err, sizeof(err)));
    assert_non_null(strstr(err, "not a database"));

    /* A second opener of the same database is refused while the first lives. */
    sqlite_reset(NULL);
    struct kapi_store *s = kapi_sqlite_open(test_dir, err, sizeof(err));
    assert_non_null(s);
    err[0] = 0;
    assert_null(kapi_sqlite_open(test_db, err, sizeof(err)));
    assert_non_null(strstr(err, "in use"));
    kapi_store_close(s);
    s = kapi_sqlite_open(test_db, err, sizeof(err));
    assert_non_null(s);
    kapi_store_close(s);
}

/* Even if the rows at the newest revisions vanish, the revision counter
 * comes from meta and never goes back. */
static void test_meta_keeps_revision(void **state)
{
    struct kapi_store *s = *state;
    ss_put(s, KAPI_WRITE_CREATE, "/m/a", "1", 0);
    ss_put(s, KAPI_WRITE_CREATE, "/m/b", "1", 0);
    int64_t top = ss_put(s, KAPI_WRITE_UPDATE, "/m/b", "2", 0);
    kapi_store_close(s);
    *state = NULL;
    assert_int_equal(db_int("DELETE FROM kv WHERE rev >= (SELECT MAX(rev) - 1 FROM kv)"), -1);
    assert_int_equal(db_int("SELECT MAX(rev) FROM kv"), top - 2);
    s = *state = sqlite_open_fn(NULL);
    assert_non_null(s);
    assert_int_equal(ss_current(s), top);
    assert_int_equal(ss_put(s, KAPI_WRITE_CREATE, "/m/c", "1", 0), top + 1);
}

static void test_compaction_on_disk(void **state)
{
    struct kapi_store *s = *state;
    ss_put(s, KAPI_WRITE_CREATE, "/c/a", "0", 0);
    for (int i = 1; i < 50; i++)
        ss_put(s, KAPI_WRITE_UPDATE, "/c/a", "x", 0);
    ss_put(s, KAPI_WRITE_CREATE, "/c/gone", "1", 0);
    ss_put(s, KAPI_WRITE_DELETE, "/c/gone", NULL, 0);
    int64_t mid = ss_put(s, KAPI_WRITE_CREATE, "/c/b", "1", 0);
    int64_t top = ss_put(s, KAPI_WRITE_UPDATE, "/c/b", "2", 0);
    assert_int_equal(db_int("SELECT COUNT(*) FROM kv"), 54);
    assert_int_equal(s->ops->compact(s, top), KAPI_STORE_OK);
    /* Kept: /c/a's latest (nothing newer below top), /c/b at mid (newest
     * below top, prev of the event at top) and at top. Tombstoned /c/gone
     * leaves nothing. */
    assert_int_equal(db_int("SELECT COUNT(*) FROM kv WHERE key = CAST('/c/a' AS BLOB)"), 1);
    assert_int_equal(db_int("SELECT COUNT(*) FROM kv WHERE key = CAST('/c/gone' AS BLOB)"), 0);
    assert_int_equal(db_int("SELECT COUNT(*) FROM kv WHERE key = CAST('/c/b' AS BLOB)"), 2);
    assert_int_equal(db_int("SELECT MIN(rev) FROM kv WHERE key = CAST('/c/b' AS BLOB)"), mid);
    assert_int_equal(db_int("SELECT value FROM meta WHERE name = 'compact_rev'"), top);
    assert_int_equal(db_int("SELECT value FROM meta WHERE name = 'current_rev'"), top);
}

struct thread_probe {
    pthread_t writer;
    atomic_int same_thread;
    atomic_int calls;
    struct kapi_store *s;
    long id;
};

static int probe_fn(void *ctx, const struct kapi_event *ev, int err)
{
    struct thread_probe *p = ctx;
    if (pthread_equal(pthread_self(), p->writer))
        atomic_store(&p->same_thread, 1);
    atomic_fetch_add(&p->calls, 1);
    /* Unwatching from inside the callback must neither deadlock nor let the
     * callback run again. */
    p->s->ops->unwatch(p->s, p->id);
    return 0;
}

static void test_watch_thread_and_self_unwatch(void **state)
{
    struct kapi_store *s = *state;
    struct thread_probe p = {.writer = pthread_self(), .s = s};
    atomic_init(&p.same_thread, 0);
    atomic_init(&p.calls, 0);
    /* Register a placeholder first so p.id is known before any event. */
    long id = s->ops->watch(s, "/t/", NULL, ss_current(s) + 1000000, probe_fn, &p);
    assert_true(id > 0);
    s->ops->unwatch(s, id);
    p.id = s->ops->watch(s, "/t/", NULL, ss_current(s), probe_fn, &p);
    assert_true(p.id > 0);
    ss_put(s, KAPI_WRITE_CREATE, "/t/1", "1", 0);
    for (int i = 0; i < 2000 && atomic_load(&p.calls) == 0; i++)
        ss_sleep_ms(5);
    ss_put(s, KAPI_WRITE_CREATE, "/t/2", "1", 0);
    ss_put(s, KAPI_WRITE_CREATE, "/t/3", "1", 0);
    ss_sleep_ms(50);
    assert_int_equal(atomic_load(&p.calls), 1);
    assert_int_equal(atomic_load(&p.same_thread), 0);
}

static void test_close_ends_watch(void **state)
{
    sqlite_reset(NULL);
    struct kapi_store *s = sqlite_open_fn(NULL);
    assert_non_null(s);
    struct ss_collector col;
    ss_collector_init(&col);
    assert_true(s->ops->watch(s, "", NULL, 0, ss_collect, &col) > 0);
    ss_put(s, KAPI_WRITE_CREATE, "/x", "1", 0);
    assert_true(ss_wait(&col, 1, false));
    kapi_store_close(s);
    assert_true(col.ended);
    assert_int_equal(col.final_err, KAPI_STORE_UNAVAILABLE);
    assert_int_equal(col.n, 1);
    ss_collector_dispose(&col);
}

/* ---- kill -9 durability ---- */

struct crash_writer {
    struct kapi_store *s;
    int fd;
    int id;
    int round;
};

static void *crash_writer_main(void *arg)
{
    struct crash_writer *cw = arg;
    for (long i = 0;; i++) {
        char k[64], line[128];
        snprintf(k, sizeof(k), "/crash/%d/%d/%ld", cw->round, cw->id, i);
        struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = k, .value = k, .len = strlen(k)};
        struct kapi_write_result r;
        if (kapi_store_write(cw->s, &w, &r) != KAPI_STORE_OK)
            _exit(3);
        /* One write() under PIPE_BUF is atomic, so lines never interleave. */
        int n = snprintf(line, sizeof(line), "%s %lld\n", k, (long long)r.rev);
        kapi_write_result_dispose(&r);
        if (write(cw->fd, line, (size_t)n) != n)
            _exit(4);
    }
    return NULL;
}

static void crash_child(int fd, int round)
{
    struct kapi_store *s = sqlite_open_fn(NULL);
    if (!s)
        _exit(2);
    enum { N = 8 };
    struct crash_writer cw[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        cw[i] = (struct crash_writer){.s = s, .fd = fd, .id = i, .round = round};
        pthread_create(&th[i], NULL, crash_writer_main, &cw[i]);
    }
    for (;;)
        pause();
}

static void test_kill9_loses_no_ack(void **state)
{
    for (int round = 0; round < 3; round++) {
        if (round == 0)
            sqlite_reset(NULL);   /* later rounds crash on top of earlier data */
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(fds[1], round);
        }
        close(fds[1]);

        size_t cap = 1 << 20, len = 0;
        char *buf = kapi_xmalloc(cap);
        size_t lines = 0;
        bool killed = false;
        int64_t t0 = kapi_now_ms();
        size_t want = 300 + (size_t)round * 500;
        for (;;) {
            if (!killed && (lines >= want || kapi_now_ms() - t0 > 20000)) {
                kill(pid, SIGKILL);
                killed = true;
            }
            struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
            poll(&pfd, 1, 100);
            if (len + 4096 > cap) {
                cap *= 2;
                buf = kapi_xrealloc(buf, cap);
            }
            ssize_t r = read(fds[0], buf + len, cap - len - 1);
            if (r == 0)
                break;   /* EOF: every acknowledgement the child wrote is in buf */
            if (r < 0) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                fail_msg("read: %s", strerror(errno));
            }
            for (ssize_t i = 0; i < r; i++)
                lines += buf[len + (size_t)i] == '\n';
            len += (size_t)r;
        }
        close(fds[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
            fail_msg("child did not die by SIGKILL (status %#x)", status);
        buf[len] = 0;
        assert_true(lines >= want);

        struct kapi_store *s = sqlite_open_fn(NULL);
        assert_non_null(s);
        int64_t max_rev = 0;
        size_t checked = 0;
        char *save = NULL;
        for (char *ln = strtok_r(buf, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
            char key[64];
            long long rev;
            assert_int_equal(sscanf(ln, "%63s %lld", key, &rev), 2);
            struct kapi_kv kv;
            int err = kapi_store_get(s, key, &kv);
            if (err != KAPI_STORE_OK)
                fail_msg("acknowledged %s (rev %lld) lost: %s", key, rev, kapi_store_strerror(err));
            assert_int_equal(kv.mod_rev, rev);
            ss_assert_value(&kv, key);
            kapi_kv_dispose(&kv);
            if (rev > max_rev)
                max_rev = rev;
            checked++;
        }
        assert_int_equal(checked, lines);
        assert_true(ss_current(s) >= max_rev);
        /* The store keeps working after recovery. */
        char k[64];
        snprintf(k, sizeof(k), "/after-crash/%d", round);
        int64_t before = ss_current(s);
        assert_int_equal(ss_put(s, KAPI_WRITE_CREATE, k, "1", 0), before + 1);
        kapi_store_close(s);
        free(buf);
    }
}

static int remove_tree(void)
{
    sqlite_reset(NULL);
    char p[400];
    snprintf(p, sizeof(p), "%s/plainfile", test_dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/corrupt.db", test_dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/corrupt.db.lock", test_dir);
    unlink(p);
    return rmdir(test_dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(test_dir, sizeof(test_dir), "%s/kapi-sqlite-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(test_db, sizeof(test_db), "%s/kapi.db", test_dir);
    store_suite = &sqlite_suite;
    const struct CMUnitTest tests[] = {
        STORE_SUITE_TESTS,
        cmocka_unit_test(test_open_errors),
        STORE_SUITE_TEST(test_meta_keeps_revision),
        STORE_SUITE_TEST(test_compaction_on_disk),
        STORE_SUITE_TEST(test_watch_thread_and_self_unwatch),
        cmocka_unit_test(test_close_ends_watch),
        cmocka_unit_test(test_kill9_loses_no_ack),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (remove_tree() != 0)
        perror("rmdir");
    return rc;
}
