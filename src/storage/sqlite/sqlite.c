/* The SQLite storage backend: schema, group committer, read pool, watch
 * dispatcher and compaction. See docs/internals/storage.md for the design
 * and the durability argument. */
#include "sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SQ_READERS_MAX 8
#define SQ_REPLAY_CHUNK 256
#define SQ_BUSY_TIMEOUT_MS 10000
#define SQ_SCHEMA_VERSION 1

/* kv is the revision log: one row per successful write. A key's state is its
 * newest row unless that row is a deletion (tombstone). prev_rev points at
 * the live row a write replaced, which is how events get prev_kv. Keys are
 * BLOBs so that comparison is plain memcmp byte order. */
static const char sq_schema[] =
    "CREATE TABLE IF NOT EXISTS kv ("
    " rev INTEGER PRIMARY KEY,"
    " key BLOB NOT NULL,"
    " value BLOB,"
    " create_rev INTEGER NOT NULL,"
    " prev_rev INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL,"
    " version INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kv_key_rev ON kv(key, rev);"
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO meta(name, value) VALUES"
    " ('schema', 1), ('current_rev', 0), ('compact_rev', 0);";

enum sq_stmt_id {
    ST_BEGIN,       /* deferred on readers, IMMEDIATE on the writer */
    ST_COMMIT,
    ST_ROLLBACK,
    ST_LATEST,
    ST_GETMETA,
    ST_SETMETA,
    ST_INSERT,
    ST_COMPACT,
    ST_RANGE,       /* bounded [start, end) */
    ST_RANGE_OPEN,  /* [start, inf) */
    ST_REPLAY,
    ST_REPLAY_OPEN,
    ST_COUNT
};

static const char *const sq_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_LATEST] = "SELECT rev, value, create_rev, deleted, version FROM kv"
                  " WHERE key = ?1 AND rev <= ?2 ORDER BY rev DESC LIMIT 1",
    [ST_GETMETA] = "SELECT value FROM meta WHERE name = ?1",
    [ST_SETMETA] = "UPDATE meta SET value = ?2 WHERE name = ?1",
    [ST_INSERT] = "INSERT INTO kv(rev, key, value, create_rev, prev_rev, deleted, version)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    /* A row older than the target goes if a newer row of the same key, also
     * older than the target, replaced it, or if it is a tombstone. The newest
     * row below the target survives so events at or after the target still
     * find their prev_kv. */
    [ST_COMPACT] = "DELETE FROM kv WHERE rev < ?1 AND (deleted <> 0 OR EXISTS ("
                   "SELECT 1 FROM kv AS n WHERE n.key = kv.key AND n.rev > kv.rev AND n.rev < ?1))",
    /* Reads are taken at a revision (?4, the durable one), so rows that
     * are committed but not yet fsynced stay invisible. */
    [ST_RANGE] = "SELECT k.key, k.rev, k.value, k.create_rev, k.version FROM kv AS k"
                 " WHERE k.key >= ?1 AND k.key < ?2 AND k.rev <= ?4 AND k.deleted = 0 AND NOT EXISTS ("
                 "SELECT 1 FROM kv AS n WHERE n.key = k.key AND n.rev > k.rev AND n.rev <= ?4)"
                 " ORDER BY k.key LIMIT ?3",
    [ST_RANGE_OPEN] = "SELECT k.key, k.rev, k.value, k.create_rev, k.version FROM kv AS k"
                      " WHERE k.key >= ?1 AND k.rev <= ?4 AND k.deleted = 0 AND NOT EXISTS ("
                      "SELECT 1 FROM kv AS n WHERE n.key = k.key AND n.rev > k.rev AND n.rev <= ?4)"
                      " ORDER BY k.key LIMIT ?3",
    [ST_REPLAY] = "SELECT r.rev, r.key, r.value, r.create_rev, r.deleted, r.version,"
                  " p.rev, p.value, p.create_rev, p.version"
                  " FROM kv AS r LEFT JOIN kv AS p ON p.rev = r.prev_rev"
                  " WHERE r.rev >= ?1 AND r.rev <= ?2 AND r.key >= ?4 AND r.key < ?5"
                  " ORDER BY r.rev LIMIT ?3",
    [ST_REPLAY_OPEN] = "SELECT r.rev, r.key, r.value, r.create_rev, r.deleted, r.version,"
                       " p.rev, p.value, p.create_rev, p.version"
                       " FROM kv AS r LEFT JOIN kv AS p ON p.rev = r.prev_rev"
                       " WHERE r.rev >= ?1 AND r.rev <= ?2 AND r.key >= ?4"
                       " ORDER BY r.rev LIMIT ?3",
};

struct sq_conn {
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    struct sq_conn *next;   /* free list of the read pool */
};

enum sq_item_kind { SQ_ITEM_WRITE, SQ_ITEM_COMPACT };

/* A request waiting for the committer; lives on the waiting caller's stack. */
struct sq_item {
    enum sq_item_kind kind;
    const struct kapi_write *w;
    struct kapi_write_result *res;
    int64_t compact_rev;
    int err;
    sem_t done;              /* posted by the syncer; a private wake-up avoids a thundering herd */
    struct sq_item *next;
};

struct sq_event {
    struct kapi_event ev;    /* ev.kv.mod_rev is the event's revision */
    struct sq_event *next;
};

/* A committed (or failed) transaction waiting for the syncer. */
struct sq_group {
    struct sq_item *items;
    struct sq_event *ev_head, *ev_tail;
    int64_t rev;             /* revision after the group */
    int64_t compact_rev;     /* set when the group compacted */
    bool changed;            /* wrote rows or compacted: needs an fsync */
    bool failed;             /* rolled back; items already carry their error */
    long n_items;
    struct sq_group *next;
};

struct sq_watcher {
    long id;
    char *start;
    char *end;               /* NULL = unbounded */
    kapi_store_watch_fn fn;
    void *ctx;
    int64_t next_rev;        /* first revision not yet delivered (dispatcher only) */
    int pending_err;         /* final error to report before anything else */
    bool synced;             /* caught up: fed from the live queue */
    bool ended;              /* stream over (dispatcher only) */
    atomic_bool cancelled;   /* unwatch called */
    struct sq_watcher *next;
};

struct sq_store {
    struct kapi_store base;
    char *path;
    int lock_fd;

    /* Committer: owns the only write connection. */
    struct sq_conn *wconn;
    pthread_t committer;
    pthread_mutex_t q_mu;
    pthread_cond_t q_cond;     /* work for the committer */
    struct sq_item *q_head, *q_tail;
    bool q_stopping;

    /* Syncer: fsyncs the WAL for batches of committed groups, then acks. */
    int wal_fd;
    pthread_t syncer;
    pthread_mutex_t s_mu;
    pthread_cond_t s_cond;
    struct sq_group *s_head, *s_tail;
    long s_items;              /* requests in the queued groups */
    bool s_stopping;
    int64_t sync_ns;           /* duration of the last fdatasync */
    atomic_int in_submit;      /* callers inside write/compact */
    atomic_int writers_est;    /* recent peak of in_submit */
    atomic_bool broken;        /* an fsync failed: durability unknown, refuse writes */

    /* current_rev is the durable revision: every row up to it is fsynced.
     * Reads are taken at it and revisions() reports it. */
    pthread_mutex_t rev_mu;
    int64_t current_rev, compact_rev;

    /* Read pool. */
    pthread_mutex_t r_mu;
    pthread_cond_t r_cond;
    struct sq_conn *r_free;
    struct sq_conn *r_all[SQ_READERS_MAX];
    int r_count;

    /* Dispatcher: owns its own read connection for replays. */
    struct sq_conn *dconn;
    pthread_t dispatcher;
    pthread_mutex_t d_mu;
    pthread_cond_t d_cond;     /* events queued, watcher added, stopping */
    pthread_cond_t d_idle;     /* d_current changed */
    struct sq_event *ev_head, *ev_tail;
    int64_t ev_last_rev;
    int64_t dispatched_rev;    /* every revision <= this is committed and was handed to synced watchers */
    struct sq_watcher *watchers;
    struct sq_watcher *d_current;
    long next_watch_id;
    bool d_stopping;
};

static void sq_seterr(char *err, size_t errlen, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void sq_seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int64_t sq_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- connections ---- */

static void sq_conn_close(struct sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->db);
    free(c);
}

/* Opens a connection for the writer (writer = true) or a reader and prepares
 * its statements. */
static struct sq_conn *sq_conn_open(const char *path, bool writer, char *err, size_t errlen)
{
    struct sq_conn *c = kapi_xcalloc(1, sizeof(*c));
    int rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        sq_seterr(err, errlen, "sqlite: cannot open %s: %s", path,
                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
    if (writer) {
        /* journal_mode answers with the mode in force; anything but "wal"
         * means we could not get the durability/concurrency we rely on. */
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            sq_seterr(err, errlen, "sqlite: %s: %s", path, sqlite3_errmsg(c->db));
            sqlite3_finalize(st);
            goto fail;
        }
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        bool wal = mode && strcmp(mode, "wal") == 0;
        sqlite3_finalize(st);
        if (!wal) {
            sq_seterr(err, errlen, "sqlite: %s: cannot switch to WAL mode", path);
            goto fail;
        }
        char *msg = NULL;
        /* NORMAL: COMMIT only writes the WAL; the syncer thread fsyncs it
         * for whole batches of transactions before anything is acknowledged
         * or made visible (see the durability section of the design doc).
         * Checkpoints still sync the WAL before and the database after. */
        if (sqlite3_exec(c->db, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768;", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(c->db, sq_schema, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(c->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            sq_seterr(err, errlen, "sqlite: %s: %s", path, msg ? msg : sqlite3_errmsg(c->db));
            sqlite3_free(msg);
            goto fail;
        }
    } else {
        sqlite3_exec(c->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    }
    for (int i = 0; i < ST_COUNT; i++) {
        const char *sql = sq_sql[i];
        if (writer && i == ST_BEGIN)
            sql = "BEGIN IMMEDIATE";
        rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
        if (rc != SQLITE_OK) {
            sq_seterr(err, errlen, "sqlite: %s: preparing statement: %s", path, sqlite3_errmsg(c->db));
            goto fail;
        }
    }
    return c;
fail:
    sq_conn_close(c);
    return NULL;
}

/* Runs a statement that returns no rows (BEGIN/COMMIT/...). */
static int sq_exec(struct sq_conn *c, enum sq_stmt_id id)
{
    int rc = sqlite3_step(c->st[id]);
    sqlite3_reset(c->st[id]);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Ends a read or failed write transaction if one is open. */
static void sq_end_txn(struct sq_conn *c, enum sq_stmt_id id)
{
    if (!sqlite3_get_autocommit(c->db))
        sq_exec(c, id);
}

static int sq_get_meta(struct sq_conn *c, const char *name, int64_t *out)
{
    sqlite3_stmt *st = c->st[ST_GETMETA];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    return rc;
}

static int sq_set_meta(struct sq_conn *c, const char *name, int64_t v)
{
    sqlite3_stmt *st = c->st[ST_SETMETA];
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void sq_bind_key(sqlite3_stmt *st, int i, const char *key)
{
    /* A non-NULL pointer with length 0 binds an empty blob, not NULL. */
    sqlite3_bind_blob(st, i, key ? key : "", key ? (int)strlen(key) : 0, SQLITE_STATIC);
}

static char *sq_col_key(sqlite3_stmt *st, int i)
{
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    return kapi_xstrndup(p ? p : "", (size_t)n);
}

/* A live row's value; NULL-typed columns (empty values) become empty blobs. */
static struct kapi_blob *sq_col_value(sqlite3_stmt *st, int i)
{
    const void *p = sqlite3_column_blob(st, i);
    int n = sqlite3_column_bytes(st, i);
    return kapi_blob_new(p ? p : "", (size_t)n);
}

/* State of key at revision at_rev on c. *live is false if the key is absent or its newest
 * row is a tombstone; out is filled only when live. */
static int sq_latest(struct sq_conn *c, const char *key, int64_t at_rev, struct kapi_kv *out, bool *live)
{
    sqlite3_stmt *st = c->st[ST_LATEST];
    sq_bind_key(st, 1, key);
    sqlite3_bind_int64(st, 2, at_rev);
    int rc = sqlite3_step(st);
    *live = false;
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_int(st, 3) == 0) {
            *live = true;
            out->key = kapi_xstrdup(key);
            out->mod_rev = sqlite3_column_int64(st, 0);
            out->value = sq_col_value(st, 1);
            out->create_rev = sqlite3_column_int64(st, 2);
            out->version = sqlite3_column_int64(st, 4);
        }
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    return rc;
}

/* ---- read pool ---- */

static struct sq_conn *sq_reader_get(struct sq_store *s)
{
    pthread_mutex_lock(&s->r_mu);
    for (;;) {
        if (s->r_free) {
            struct sq_conn *c = s->r_free;
            s->r_free = c->next;
            pthread_mutex_unlock(&s->r_mu);
            return c;
        }
        if (s->r_count < SQ_READERS_MAX)
            break;
        pthread_cond_wait(&s->r_cond, &s->r_mu);
    }
    /* Opening under the lock is fine: it happens at most SQ_READERS_MAX
     * times per store and keeps the pool bookkeeping trivial. */
    char err[256];
    struct sq_conn *c = sq_conn_open(s->path, false, err, sizeof(err));
    if (c)
        s->r_all[s->r_count++] = c;
    else
        kapi_log(0, "%s", err);
    pthread_mutex_unlock(&s->r_mu);
    return c;
}

static void sq_reader_put(struct sq_store *s, struct sq_conn *c)
{
    pthread_mutex_lock(&s->r_mu);
    c->next = s->r_free;
    s->r_free = c;
    pthread_cond_signal(&s->r_cond);
    pthread_mutex_unlock(&s->r_mu);
}

/* ---- committer and syncer ---- */

static int sq_revisions(struct kapi_store *base, int64_t *current, int64_t *compacted);

static void sq_event_free(struct sq_event *e)
{
    while (e) {
        struct sq_event *next = e->next;
        kapi_kv_dispose(&e->ev.kv);
        kapi_kv_dispose(&e->ev.prev_kv);
        free(e);
        e = next;
    }
}

/* Applies one write inside the open group transaction. Precondition
 * failures are reported in it->err and consume no revision; the return value
 * is an SQLite error that dooms the whole group. */
static int sq_apply(struct sq_store *s, struct sq_item *it, int64_t *rev, struct sq_event **ev_out)
{
    struct sq_conn *c = s->wconn;
    const struct kapi_write *w = it->w;
    struct kapi_write_result *res = it->res;
    struct kapi_kv cur = {0};
    bool live;
    int rc = sq_latest(c, w->key, INT64_MAX, &cur, &live);
    if (rc != SQLITE_OK)
        return rc;

    if (w->op == KAPI_WRITE_CREATE) {
        if (live) {
            it->err = KAPI_STORE_EXISTS;
            res->current = cur;
            return SQLITE_OK;
        }
    } else {
        if (!live) {
            it->err = KAPI_STORE_NOT_FOUND;
            return SQLITE_OK;
        }
        if (w->expect_mod_rev != 0 && w->expect_mod_rev != cur.mod_rev) {
            it->err = KAPI_STORE_CONFLICT;
            res->current = cur;
            return SQLITE_OK;
        }
    }

    int64_t nrev = *rev + 1;
    struct sq_event *e = kapi_xcalloc(1, sizeof(*e));
    e->ev.kv.key = kapi_xstrdup(w->key);
    e->ev.kv.mod_rev = nrev;
    if (w->op == KAPI_WRITE_DELETE) {
        e->ev.type = KAPI_EVENT_DELETE;
    } else {
        e->ev.type = KAPI_EVENT_PUT;
        e->ev.kv.value = kapi_blob_new(w->value ? w->value : "", w->value ? w->len : 0);
        e->ev.kv.create_rev = live ? cur.create_rev : nrev;
        e->ev.kv.version = live ? cur.version + 1 : 1;
    }

    sqlite3_stmt *st = c->st[ST_INSERT];
    sqlite3_bind_int64(st, 1, nrev);
    sq_bind_key(st, 2, w->key);
    if (e->ev.kv.value)
        sqlite3_bind_blob(st, 3, e->ev.kv.value->data, (int)e->ev.kv.value->len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, e->ev.kv.create_rev);
    sqlite3_bind_int64(st, 5, live ? cur.mod_rev : 0);
    sqlite3_bind_int(st, 6, w->op == KAPI_WRITE_DELETE);
    sqlite3_bind_int64(st, 7, e->ev.kv.version);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        kapi_kv_dispose(&cur);
        sq_event_free(e);
        return rc;
    }

    *rev = nrev;
    it->err = KAPI_STORE_OK;
    res->rev = nrev;
    if (live)
        kapi_kv_copy(&res->prev, &cur);
    e->ev.prev_kv = cur;   /* zero when the key did not exist */
    *ev_out = e;
    return SQLITE_OK;
}

/* Hands committed events to the dispatcher, in revision order. */
static void sq_publish(struct sq_store *s, struct sq_event *head, struct sq_event *tail, int64_t last_rev)
{
    struct sq_event *drop = NULL;
    pthread_mutex_lock(&s->d_mu);
    if (!s->watchers && !s->ev_head) {
        /* Nobody listens: a later watcher replays these from the log. */
        s->dispatched_rev = last_rev;
        drop = head;
    } else if (head) {
        if (s->ev_tail)
            s->ev_tail->next = head;
        else
            s->ev_head = head;
        s->ev_tail = tail;
        s->ev_last_rev = last_rev;
        pthread_cond_signal(&s->d_cond);
    }
    pthread_mutex_unlock(&s->d_mu);
    sq_event_free(drop);
}

/* Runs every queued request in one transaction (no fsync: the syncer does
 * that) and returns the group for the syncer. */
static struct sq_group *sq_run_group(struct sq_store *s, struct sq_item *items)
{
    struct sq_conn *c = s->wconn;
    struct sq_group *g = kapi_xcalloc(1, sizeof(*g));
    g->items = items;
    for (struct sq_item *it = items; it; it = it->next)
        g->n_items++;
    int64_t base = 0, rev = 0, compact = 0, durable = 0;
    sq_revisions(&s->base, &durable, NULL);
    int rc = atomic_load(&s->broken) ? SQLITE_IOERR : sq_exec(c, ST_BEGIN);
    /* Re-read the revisions inside the transaction so a commit whose outcome
     * was uncertain (I/O error on COMMIT) can never lead to reused numbers. */
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "current_rev", &base);
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "compact_rev", &compact);
    rev = base;
    for (struct sq_item *it = items; it && rc == SQLITE_OK; it = it->next) {
        if (it->kind == SQ_ITEM_WRITE) {
            struct sq_event *e = NULL;
            rc = sq_apply(s, it, &rev, &e);
            if (e) {
                if (g->ev_tail)
                    g->ev_tail->next = e;
                else
                    g->ev_head = e;
                g->ev_tail = e;
            }
        } else if (it->compact_rev < compact) {
            it->err = KAPI_STORE_COMPACTED;
        } else if (it->compact_rev > durable) {
            /* Readers work at the durable revision; compacting past it could
             * delete rows they still need. */
            it->err = KAPI_STORE_FUTURE_REV;
        } else if (it->compact_rev == compact) {
            it->err = KAPI_STORE_OK;
        } else {
            sqlite3_stmt *st = c->st[ST_COMPACT];
            sqlite3_bind_int64(st, 1, it->compact_rev);
            rc = sqlite3_step(st);
            sqlite3_reset(st);
            rc = rc == SQLITE_DONE ? sq_set_meta(c, "compact_rev", it->compact_rev) : rc;
            compact = it->compact_rev;
            g->compact_rev = compact;
            g->changed = true;
            it->err = KAPI_STORE_OK;
        }
    }
    if (rc == SQLITE_OK && rev != base) {
        rc = sq_set_meta(c, "current_rev", rev);
        g->changed = true;
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(c, ST_COMMIT);
    g->rev = rev;
    if (rc != SQLITE_OK) {
        if (!atomic_load(&s->broken))
            kapi_log(0, "sqlite: %s: write group failed: %s", s->path, sqlite3_errmsg(c->db));
        sq_end_txn(c, ST_ROLLBACK);
        g->failed = true;
        for (struct sq_item *it = items; it; it = it->next) {
            if (it->res) {
                kapi_write_result_dispose(it->res);
                it->res->rev = 0;
            }
            it->err = KAPI_STORE_IO;
        }
        sq_event_free(g->ev_head);
        g->ev_head = g->ev_tail = NULL;
    }
    return g;
}

static void *sq_committer_main(void *arg)
{
    kapi_thread_name("sqlite-commit");
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->q_mu);
    for (;;) {
        while (!s->q_head && !s->q_stopping)
            pthread_cond_wait(&s->q_cond, &s->q_mu);
        if (!s->q_head)
            break;
        struct sq_item *items = s->q_head;
        s->q_head = s->q_tail = NULL;
        pthread_mutex_unlock(&s->q_mu);
        struct sq_group *g = sq_run_group(s, items);
        pthread_mutex_lock(&s->s_mu);
        if (s->s_tail)
            s->s_tail->next = g;
        else
            s->s_head = g;
        s->s_tail = g;
        s->s_items += g->n_items;
        pthread_cond_signal(&s->s_cond);
        pthread_mutex_unlock(&s->s_mu);
        pthread_mutex_lock(&s->q_mu);
    }
    pthread_mutex_unlock(&s->q_mu);
    return NULL;
}

/* Makes a batch of committed groups durable with one fdatasync of the WAL,
 * then, in commit order, advances the durable revision, hands the events
 * to the dispatcher and wakes the writers. */
static void sq_sync_batch(struct sq_store *s, struct sq_group *batch)
{
    bool need = false;
    for (struct sq_group *g = batch; g; g = g->next)
        need |= g->changed && !g->failed;
    /* Any descriptor's fdatasync flushes the file's dirty pages, including
     * the frames SQLite wrote through its own descriptor. */
    int64_t t0 = sq_now_ns();
    int rc = need ? fdatasync(s->wal_fd) : 0;
    if (need)
        s->sync_ns = sq_now_ns() - t0;
    if (rc != 0) {
        /* After a failed fsync the kernel may have dropped the dirty pages;
         * we cannot tell what is on disk, so stop accepting writes. */
        kapi_log(0, "sqlite: %s: fdatasync of WAL failed: %s; store is now read-only",
                 s->path, strerror(errno));
        atomic_store(&s->broken, true);
        for (struct sq_group *g = batch; g; g = g->next) {
            if (g->failed)
                continue;
            g->failed = true;
            sq_event_free(g->ev_head);
            g->ev_head = g->ev_tail = NULL;
            for (struct sq_item *it = g->items; it; it = it->next) {
                if (it->res) {
                    kapi_write_result_dispose(it->res);
                    it->res->rev = 0;
                }
                it->err = KAPI_STORE_IO;
            }
        }
    }
    for (struct sq_group *g = batch; g; g = g->next) {
        if (g->failed || !g->changed)
            continue;
        pthread_mutex_lock(&s->rev_mu);
        s->current_rev = g->rev;
        if (g->compact_rev)
            s->compact_rev = g->compact_rev;
        pthread_mutex_unlock(&s->rev_mu);
        if (g->ev_head)
            sq_publish(s, g->ev_head, g->ev_tail, g->rev);
        g->ev_head = NULL;
    }
    while (batch) {
        struct sq_group *next = batch->next;
        for (struct sq_item *it = batch->items; it;) {
            /* The waiter may free its item as soon as it is posted. */
            struct sq_item *in = it->next;
            sem_post(&it->done);
            it = in;
        }
        free(batch);
        batch = next;
    }
}

/* How long the syncer may hold an fsync back for writers that are about to
 * join the batch: half an fsync, at most 2 ms. */
static int64_t sq_gather_ns(const struct sq_store *s)
{
    int64_t d = s->sync_ns / 2;
    return d < 2000000 ? d : 2000000;
}

static void *sq_syncer_main(void *arg)
{
    kapi_thread_name("sqlite-sync");
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->s_mu);
    for (;;) {
        while (!s->s_head && !s->s_stopping)
            pthread_cond_wait(&s->s_cond, &s->s_mu);
        if (!s->s_head)
            break;
        /* Closed-loop writers split into two alternating halves if we sync
         * as soon as anything is ready: the half just acknowledged always
         * misses the next fsync. When fewer requests are ready than
         * writers have recently been active, give the rest a moment. */
        int est = atomic_load(&s->writers_est);
        if (s->s_items < est && !s->s_stopping) {
            int64_t gather = sq_gather_ns(s);
            struct timespec dl;
            clock_gettime(CLOCK_REALTIME, &dl);
            int64_t ns = dl.tv_nsec + gather;
            dl.tv_sec += (time_t)(ns / 1000000000);
            dl.tv_nsec = (long)(ns % 1000000000);
            while (s->s_items < est && !s->s_stopping &&
                   pthread_cond_timedwait(&s->s_cond, &s->s_mu, &dl) == 0)
                ;
        }
        /* Let the estimate decay so a past burst does not delay a quiet
         * period for long; sq_submit pushes it back up. */
        int cur = atomic_load(&s->in_submit);
        atomic_store(&s->writers_est, cur > est - est / 8 - 1 ? cur : est - est / 8 - 1);
        struct sq_group *batch = s->s_head;
        s->s_head = s->s_tail = NULL;
        s->s_items = 0;
        pthread_mutex_unlock(&s->s_mu);
        sq_sync_batch(s, batch);
        pthread_mutex_lock(&s->s_mu);
    }
    pthread_mutex_unlock(&s->s_mu);
    return NULL;
}

/* Queues it for the committer and waits until its group is durable. */
static int sq_submit(struct sq_store *s, struct sq_item *it)
{
    int n = atomic_fetch_add(&s->in_submit, 1) + 1;
    int est = atomic_load(&s->writers_est);
    while (n > est && !atomic_compare_exchange_weak(&s->writers_est, &est, n))
        ;
    pthread_mutex_lock(&s->q_mu);
    if (s->q_stopping || atomic_load(&s->broken)) {
        pthread_mutex_unlock(&s->q_mu);
        atomic_fetch_sub(&s->in_submit, 1);
        return KAPI_STORE_UNAVAILABLE;
    }
    sem_init(&it->done, 0, 0);
    if (s->q_tail)
        s->q_tail->next = it;
    else
        s->q_head = it;
    s->q_tail = it;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_mu);
    while (sem_wait(&it->done) != 0)
        ;   /* EINTR */
    sem_destroy(&it->done);
    atomic_fetch_sub(&s->in_submit, 1);
    return it->err;
}

static int sq_write(struct kapi_store *base, const struct kapi_write *w, struct kapi_write_result *res)
{
    struct sq_store *s = (struct sq_store *)base;
    memset(res, 0, sizeof(*res));
    if (!w->key)
        return KAPI_STORE_NOT_FOUND;
    /* SQLite blobs are int-sized and capped at 1 GB by default; callers
     * limit objects far below that, so this is a guard, not a feature. */
    if (w->len > (size_t)1 << 29)
        return KAPI_STORE_IO;
    struct sq_item it = {.kind = SQ_ITEM_WRITE, .w = w, .res = res};
    return sq_submit(s, &it);
}

static int sq_compact(struct kapi_store *base, int64_t rev)
{
    struct sq_store *s = (struct sq_store *)base;
    struct sq_item it = {.kind = SQ_ITEM_COMPACT, .compact_rev = rev};
    return sq_submit(s, &it);
}

/* ---- reads ---- */

static int sq_get(struct kapi_store *base, const char *key, struct kapi_kv *out)
{
    struct sq_store *s = (struct sq_store *)base;
    memset(out, 0, sizeof(*out));
    struct sq_conn *c = sq_reader_get(s);
    if (!c)
        return KAPI_STORE_IO;
    int64_t at;
    sq_revisions(base, &at, NULL);
    bool live;
    int rc = sq_latest(c, key, at, out, &live);
    sq_reader_put(s, c);
    if (rc != SQLITE_OK)
        return KAPI_STORE_IO;
    return live ? KAPI_STORE_OK : KAPI_STORE_NOT_FOUND;
}

static int sq_range(struct kapi_store *base, const char *start, const char *end, size_t limit,
                    struct kapi_kv **out, size_t *n, int64_t *rev, bool *more)
{
    struct sq_store *s = (struct sq_store *)base;
    *out = NULL;
    *n = 0;
    *more = false;
    int64_t want = *rev, cur = 0, compacted = 0;
    *rev = 0;
    sq_revisions(base, &cur, &compacted);
    if (want > 0 && want < compacted)
        return KAPI_STORE_COMPACTED;
    if (want > cur)
        return KAPI_STORE_FUTURE_REV;
    struct sq_conn *c = sq_reader_get(s);
    if (!c)
        return KAPI_STORE_IO;
    bool open_end = !end || !*end;
    sqlite3_stmt *st = c->st[open_end ? ST_RANGE_OPEN : ST_RANGE];
    struct kapi_kv *kvs = NULL;
    size_t cnt = 0, cap = 0;
    /* One statement is one snapshot, and filtering at the durable revision
     * makes that snapshot exactly "the store at *rev". */
    if (want > 0)
        *rev = want;
    else
        sq_revisions(base, rev, NULL);
    sq_bind_key(st, 1, start);
    if (!open_end)
        sq_bind_key(st, 2, end);
    /* One extra row tells us whether the limit cut anything off. */
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit + 1 : -1);
    sqlite3_bind_int64(st, 4, *rev);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (limit && cnt == limit) {
            *more = true;
            continue;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            kvs = kapi_xrealloc(kvs, cap * sizeof(*kvs));
        }
        struct kapi_kv *kv = &kvs[cnt++];
        kv->key = sq_col_key(st, 0);
        kv->mod_rev = sqlite3_column_int64(st, 1);
        kv->value = sq_col_value(st, 2);
        kv->create_rev = sqlite3_column_int64(st, 3);
        kv->version = sqlite3_column_int64(st, 4);
    }
    sqlite3_reset(st);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    sq_reader_put(s, c);
    if (rc != SQLITE_OK) {
        for (size_t i = 0; i < cnt; i++)
            kapi_kv_dispose(&kvs[i]);
        free(kvs);
        *more = false;
        return KAPI_STORE_IO;
    }
    *out = kvs;
    *n = cnt;
    return KAPI_STORE_OK;
}

static int sq_revisions(struct kapi_store *base, int64_t *current, int64_t *compacted)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->rev_mu);
    if (current)
        *current = s->current_rev;
    if (compacted)
        *compacted = s->compact_rev;
    pthread_mutex_unlock(&s->rev_mu);
    return KAPI_STORE_OK;
}

/* ---- watch ---- */

static bool sq_in_range(const struct sq_watcher *w, const char *key)
{
    return strcmp(key, w->start) >= 0 && (!w->end || strcmp(key, w->end) < 0);
}

/* Calls the watcher's callback for the live events it has not seen yet.
 * Runs unlocked with d_current == w. */
static void sq_deliver(struct sq_watcher *w, const struct sq_event *e)
{
    for (; e; e = e->next) {
        int64_t r = e->ev.kv.mod_rev;
        if (r < w->next_rev)
            continue;
        w->next_rev = r + 1;
        if (!sq_in_range(w, e->ev.kv.key))
            continue;
        if (atomic_load(&w->cancelled))
            return;
        if (w->fn(w->ctx, &e->ev, 0) != 0) {
            w->ended = true;
            return;
        }
    }
}

static void sq_row_kv(sqlite3_stmt *st, struct kapi_event *ev)
{
    ev->kv.key = sq_col_key(st, 1);
    ev->kv.mod_rev = sqlite3_column_int64(st, 0);
    if (sqlite3_column_int(st, 4)) {
        ev->type = KAPI_EVENT_DELETE;
    } else {
        ev->type = KAPI_EVENT_PUT;
        ev->kv.value = sq_col_value(st, 2);
        ev->kv.create_rev = sqlite3_column_int64(st, 3);
        ev->kv.version = sqlite3_column_int64(st, 5);
    }
    if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
        ev->prev_kv.key = kapi_xstrdup(ev->kv.key);
        ev->prev_kv.mod_rev = sqlite3_column_int64(st, 6);
        ev->prev_kv.value = sq_col_value(st, 7);
        ev->prev_kv.create_rev = sqlite3_column_int64(st, 8);
        ev->prev_kv.version = sqlite3_column_int64(st, 9);
    }
}

/* Replays one chunk of history (next_rev .. upto) to an unsynced watcher from
 * the log. Returns true once the watcher has caught up with upto. Runs
 * unlocked with d_current == w; only the dispatcher thread calls it. */
static bool sq_catch_up(struct sq_store *s, struct sq_watcher *w, int64_t upto)
{
    if (w->pending_err) {
        w->fn(w->ctx, NULL, w->pending_err);
        w->ended = true;
        return false;
    }
    if (w->next_rev > upto)
        return true;
    struct sq_conn *c = s->dconn;
    struct sq_event *head = NULL, *tail = NULL;
    size_t cnt = 0;
    int64_t compact = 0, last = 0;
    int rc = sq_exec(c, ST_BEGIN);
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "compact_rev", &compact);
    if (rc == SQLITE_OK && w->next_rev < compact) {
        sq_end_txn(c, ST_COMMIT);
        w->fn(w->ctx, NULL, KAPI_STORE_COMPACTED);
        w->ended = true;
        return false;
    }
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = c->st[w->end ? ST_REPLAY : ST_REPLAY_OPEN];
        sqlite3_bind_int64(st, 1, w->next_rev);
        sqlite3_bind_int64(st, 2, upto);
        sqlite3_bind_int64(st, 3, SQ_REPLAY_CHUNK);
        sq_bind_key(st, 4, w->start);
        if (w->end)
            sq_bind_key(st, 5, w->end);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct sq_event *e = kapi_xcalloc(1, sizeof(*e));
            sq_row_kv(st, &e->ev);
            last = e->ev.kv.mod_rev;
            if (tail)
                tail->next = e;
            else
                head = e;
            tail = e;
            cnt++;
        }
        sqlite3_reset(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    /* Deliver after ending the read transaction so a slow callback does not
     * pin the WAL snapshot and hold back checkpoints. */
    sq_end_txn(c, ST_COMMIT);
    if (rc != SQLITE_OK) {
        kapi_log(0, "sqlite: %s: watch replay failed: %s", s->path, sqlite3_errmsg(c->db));
        sq_event_free(head);
        w->fn(w->ctx, NULL, KAPI_STORE_IO);
        w->ended = true;
        return false;
    }
    sq_deliver(w, head);
    sq_event_free(head);
    if (w->ended || atomic_load(&w->cancelled))
        return false;
    if (cnt < SQ_REPLAY_CHUNK) {
        w->next_rev = upto + 1;
        return true;
    }
    w->next_rev = last + 1;
    return false;
}

/* Frees watchers that ended or were unwatched. Caller holds d_mu and no
 * callback is running. */
static void sq_reap(struct sq_store *s)
{
    struct sq_watcher **pp = &s->watchers;
    while (*pp) {
        struct sq_watcher *w = *pp;
        if (w->ended || atomic_load(&w->cancelled)) {
            *pp = w->next;
            free(w->start);
            free(w->end);
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

static void *sq_dispatcher_main(void *arg)
{
    kapi_thread_name("sqlite-dispatch");
    struct sq_store *s = arg;
    pthread_mutex_lock(&s->d_mu);
    for (;;) {
        sq_reap(s);
        if (s->ev_head) {
            struct sq_event *batch = s->ev_head;
            s->ev_head = s->ev_tail = NULL;
            s->dispatched_rev = s->ev_last_rev;
            /* watch() only pushes at the head and only we unlink, so the
             * walk survives dropping the lock around callbacks. */
            for (struct sq_watcher *w = s->watchers; w; w = w->next) {
                if (!w->synced || w->ended || atomic_load(&w->cancelled))
                    continue;
                s->d_current = w;
                pthread_mutex_unlock(&s->d_mu);
                sq_deliver(w, batch);
                pthread_mutex_lock(&s->d_mu);
                s->d_current = NULL;
                pthread_cond_broadcast(&s->d_idle);
            }
            pthread_mutex_unlock(&s->d_mu);
            sq_event_free(batch);
            pthread_mutex_lock(&s->d_mu);
            continue;
        }
        if (s->d_stopping)
            break;
        struct sq_watcher *w = s->watchers;
        while (w && (w->synced || w->ended || atomic_load(&w->cancelled)))
            w = w->next;
        if (w) {
            int64_t upto = s->dispatched_rev;
            s->d_current = w;
            pthread_mutex_unlock(&s->d_mu);
            bool synced = sq_catch_up(s, w, upto);
            pthread_mutex_lock(&s->d_mu);
            /* dispatched_rev cannot have moved: only this thread moves it
             * while watchers exist. */
            w->synced = synced;
            s->d_current = NULL;
            pthread_cond_broadcast(&s->d_idle);
            continue;
        }
        pthread_cond_wait(&s->d_cond, &s->d_mu);
    }
    /* Closing: tell every remaining watcher its stream is over. */
    for (struct sq_watcher *w = s->watchers; w; w = w->next) {
        if (w->ended || atomic_load(&w->cancelled))
            continue;
        s->d_current = w;
        pthread_mutex_unlock(&s->d_mu);
        w->fn(w->ctx, NULL, KAPI_STORE_UNAVAILABLE);
        pthread_mutex_lock(&s->d_mu);
        w->ended = true;
        s->d_current = NULL;
        pthread_cond_broadcast(&s->d_idle);
    }
    sq_reap(s);
    pthread_mutex_unlock(&s->d_mu);
    return NULL;
}

static long sq_watch(struct kapi_store *base, const char *start, const char *end, int64_t after_rev,
                     kapi_store_watch_fn fn, void *ctx)
{
    struct sq_store *s = (struct sq_store *)base;
    if (!fn)
        return -KAPI_STORE_IO;
    if (after_rev < 0)
        after_rev = 0;
    struct sq_watcher *w = kapi_xcalloc(1, sizeof(*w));
    w->start = kapi_xstrdup(start ? start : "");
    w->end = end && *end ? kapi_xstrdup(end) : NULL;
    w->fn = fn;
    w->ctx = ctx;
    w->next_rev = after_rev + 1;
    atomic_init(&w->cancelled, false);
    int64_t compact;
    sq_revisions(base, NULL, &compact);

    pthread_mutex_lock(&s->d_mu);
    if (s->d_stopping) {
        pthread_mutex_unlock(&s->d_mu);
        free(w->start);
        free(w->end);
        free(w);
        return -KAPI_STORE_UNAVAILABLE;
    }
    w->id = ++s->next_watch_id;
    if (w->next_rev < compact)
        w->pending_err = KAPI_STORE_COMPACTED;
    else if (after_rev >= s->dispatched_rev)
        w->synced = true;   /* everything it needs is still to come live */
    w->next = s->watchers;
    s->watchers = w;
    long id = w->id;
    pthread_cond_signal(&s->d_cond);
    pthread_mutex_unlock(&s->d_mu);
    return id;
}

static void sq_unwatch(struct kapi_store *base, long id)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->d_mu);
    struct sq_watcher *w = s->watchers;
    while (w && w->id != id)
        w = w->next;
    if (w) {
        atomic_store(&w->cancelled, true);
        /* From inside a callback the dispatcher is us; waiting would deadlock
         * and the flag already keeps further calls away. */
        if (!pthread_equal(pthread_self(), s->dispatcher)) {
            while (s->d_current == w)
                pthread_cond_wait(&s->d_idle, &s->d_mu);
        }
    }
    pthread_mutex_unlock(&s->d_mu);
}

/* ---- open / close ---- */

static void sq_close(struct kapi_store *base)
{
    struct sq_store *s = (struct sq_store *)base;
    pthread_mutex_lock(&s->q_mu);
    s->q_stopping = true;
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_mu);
    pthread_join(s->committer, NULL);

    pthread_mutex_lock(&s->s_mu);
    s->s_stopping = true;
    pthread_cond_signal(&s->s_cond);
    pthread_mutex_unlock(&s->s_mu);
    pthread_join(s->syncer, NULL);

    pthread_mutex_lock(&s->d_mu);
    s->d_stopping = true;
    pthread_cond_signal(&s->d_cond);
    pthread_mutex_unlock(&s->d_mu);
    pthread_join(s->dispatcher, NULL);

    for (int i = 0; i < s->r_count; i++)
        sq_conn_close(s->r_all[i]);
    sq_conn_close(s->dconn);
    /* The writer goes last: closing the last connection checkpoints the WAL
     * into the main file. */
    sq_conn_close(s->wconn);
    pthread_mutex_destroy(&s->q_mu);
    pthread_cond_destroy(&s->q_cond);
    pthread_mutex_destroy(&s->s_mu);
    pthread_cond_destroy(&s->s_cond);
    pthread_mutex_destroy(&s->rev_mu);
    pthread_mutex_destroy(&s->r_mu);
    pthread_cond_destroy(&s->r_cond);
    pthread_mutex_destroy(&s->d_mu);
    pthread_cond_destroy(&s->d_cond);
    pthread_cond_destroy(&s->d_idle);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
}

static const struct kapi_store_ops sq_ops = {
    .name = "sqlite",
    .write = sq_write,
    .get = sq_get,
    .range = sq_range,
    .revisions = sq_revisions,
    .watch = sq_watch,
    .unwatch = sq_unwatch,
    .compact = sq_compact,
    .close = sq_close,
};

/* Reads the persisted revisions, repairing current_rev if the log is ahead of
 * it (it never should be: both change in the same transaction). */
static int sq_load_revisions(struct sq_store *s, char *err, size_t errlen)
{
    struct sq_conn *c = s->wconn;
    int64_t schema = 0, cur = 0, comp = 0, maxrev = 0;
    int rc = sq_exec(c, ST_BEGIN);
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "schema", &schema);
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "current_rev", &cur);
    if (rc == SQLITE_OK)
        rc = sq_get_meta(c, "compact_rev", &comp);
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(c->db, "SELECT COALESCE(MAX(rev), 0) FROM kv", -1, &st, NULL);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            maxrev = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
    }
    if (rc == SQLITE_OK && schema != SQ_SCHEMA_VERSION) {
        sq_end_txn(c, ST_ROLLBACK);
        sq_seterr(err, errlen, "sqlite: %s: unsupported schema version %lld", s->path, (long long)schema);
        return -1;
    }
    if (rc == SQLITE_OK && maxrev > cur) {
        cur = maxrev;
        rc = sq_set_meta(c, "current_rev", cur);
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(c, ST_COMMIT);
    if (rc != SQLITE_OK) {
        sq_seterr(err, errlen, "sqlite: %s: reading revisions: %s", s->path, sqlite3_errmsg(c->db));
        sq_end_txn(c, ST_ROLLBACK);
        return -1;
    }
    s->current_rev = cur;
    s->compact_rev = comp;
    s->dispatched_rev = cur;
    return 0;
}

/* Opens our own descriptor on the WAL for the syncer and makes the
 * directory entries of the database files durable: in NORMAL mode SQLite
 * would sync the directory only at the first checkpoint. */
static int sq_open_wal(struct sq_store *s, char *err, size_t errlen)
{
    char *wal = kapi_xasprintf("%s-wal", s->path);
    s->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
    if (s->wal_fd < 0 || fdatasync(s->wal_fd) != 0) {
        sq_seterr(err, errlen, "sqlite: cannot open %s: %s", wal, strerror(errno));
        free(wal);
        return -1;
    }
    free(wal);
    char *dir = kapi_xstrdup(s->path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = dfd >= 0 ? fsync(dfd) : -1;
    if (rc != 0)
        sq_seterr(err, errlen, "sqlite: cannot sync directory %s: %s", dir, strerror(errno));
    if (dfd >= 0)
        close(dfd);
    free(dir);
    return rc;
}

struct kapi_store *kapi_sqlite_open(const char *path, char *err, size_t errlen)
{
    if (!path || !*path) {
        sq_seterr(err, errlen, "sqlite: empty database path");
        return NULL;
    }
    struct sq_store *s = kapi_xcalloc(1, sizeof(*s));
    s->base.ops = &sq_ops;
    s->lock_fd = -1;
    s->wal_fd = -1;
    atomic_init(&s->broken, false);
    atomic_init(&s->in_submit, 0);
    atomic_init(&s->writers_est, 0);
    struct stat stbuf;
    if (stat(path, &stbuf) == 0 && S_ISDIR(stbuf.st_mode))
        s->path = kapi_xasprintf("%s/kapi.db", path);
    else
        s->path = kapi_xstrdup(path);

    /* SQLite's own locks would let a second process in to read and write;
     * revisions are assigned in memory, so we need to be the only writer. A
     * separate lock file avoids opening/closing a descriptor on the database
     * itself, which would drop SQLite's POSIX locks. */
    char *lock_path = kapi_xasprintf("%s.lock", s->path);
    s->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0) {
        sq_seterr(err, errlen, "sqlite: cannot open %s: %s", lock_path, strerror(errno));
        free(lock_path);
        goto fail;
    }
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        sq_seterr(err, errlen, "sqlite: %s is in use by another process (%s)", s->path,
                  strerror(errno));
        free(lock_path);
        goto fail;
    }
    free(lock_path);

    s->wconn = sq_conn_open(s->path, true, err, errlen);
    if (!s->wconn)
        goto fail;
    if (sq_load_revisions(s, err, errlen) != 0)
        goto fail;
    s->dconn = sq_conn_open(s->path, false, err, errlen);
    if (!s->dconn)
        goto fail;
    if (sq_open_wal(s, err, errlen) != 0)
        goto fail;

    pthread_mutex_init(&s->q_mu, NULL);
    pthread_cond_init(&s->q_cond, NULL);
    pthread_mutex_init(&s->s_mu, NULL);
    pthread_cond_init(&s->s_cond, NULL);
    pthread_mutex_init(&s->rev_mu, NULL);
    pthread_mutex_init(&s->r_mu, NULL);
    pthread_cond_init(&s->r_cond, NULL);
    pthread_mutex_init(&s->d_mu, NULL);
    pthread_cond_init(&s->d_cond, NULL);
    pthread_cond_init(&s->d_idle, NULL);
    if (pthread_create(&s->committer, NULL, sq_committer_main, s) != 0)
        abort();
    if (pthread_create(&s->syncer, NULL, sq_syncer_main, s) != 0)
        abort();
    if (pthread_create(&s->dispatcher, NULL, sq_dispatcher_main, s) != 0)
        abort();
    return &s->base;

fail:
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    sq_conn_close(s->dconn);
    sq_conn_close(s->wconn);
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->path);
    free(s);
    return NULL;
}
