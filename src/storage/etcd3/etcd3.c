/* The etcd v3 backend: maps the kapi_store operations onto etcd's KV and
 * Watch gRPC services (see docs/internals/etcd.md). Writes are single-key
 * Txns whose failure branch reads the key, so a failed precondition reports
 * the present state in the same round trip. */
#include "etcd3.h"
#include "etcd3_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#define DEFAULT_PREFIX "/registry"
#define KEEPALIVE_MS 10000

struct e3_batch {
    struct e3_batch *next;
    struct kapi_event *evs;
    size_t n;
    int end_err;            /* != 0: the stream ended (no events) */
};

struct e3_watch {
    _Atomic long refs;      /* table, delivery thread, gRPC call */
    long id;
    struct e3_store *s;     /* used only on the I/O thread, which the store outlives */
    kapi_store_watch_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    struct e3_batch *head, *tail;
    bool ended;             /* an end was queued; later input is dropped */
    bool closing;           /* store close: finish with UNAVAILABLE */
    atomic_bool stop;       /* unwatch: never call fn again */
    struct kapi_grpc_call *call;
    pthread_t thread;
    struct e3_watch *next;
};

struct e3_store {
    struct kapi_store base;
    struct kapi_grpc_endpoint *eps;
    size_t neps;
    char *prefix;           /* etcd prefix replacing the leading "/registry" */
    bool remap;
    SSL_CTX *tls;
    int dial_ms, req_ms;

    pthread_mutex_t conn_mu;
    struct kapi_grpc_conn *conn;
    struct kapi_grpc_conn **retired;   /* replaced connections, joined later */
    size_t nretired;
    size_t cur_ep;

    pthread_mutex_t mu;
    struct e3_watch *watches;
    long next_watch_id;
    /* The kapi compaction mark, one above etcd's own (see e3_compact); -1 =
     * unknown, found by probing on demand. */
    int64_t compacted;
    _Atomic int64_t seen_compact; /* mark implied by watch responses (I/O thread) */
};

/* ---- keys ---- */

/* kapi keys start with "/registry"; that part is replaced by the prefix.
 * Other keys are passed through. Heap string, length in *len. */
static char *to_etcd(const struct e3_store *s, const char *key, size_t *len)
{
    char *out;
    size_t pl = sizeof(DEFAULT_PREFIX) - 1;
    if (s->remap && !strncmp(key, DEFAULT_PREFIX, pl))
        out = kapi_xasprintf("%s%s", s->prefix, key + pl);
    else if (s->remap && s->prefix[0] && !strcmp(key, "/registrz")) /* end of the kapi space */
        out = kapi_store_prefix_end(s->prefix);
    else
        out = kapi_xstrdup(key);
    *len = strlen(out);
    return out;
}

static void from_etcd(const struct e3_store *s, struct kapi_kv *kv)
{
    if (!s->remap || !kv->key)
        return;
    size_t pl = strlen(s->prefix);
    if (strncmp(kv->key, s->prefix, pl))
        return;
    char *k = kapi_xasprintf("%s%s", DEFAULT_PREFIX, kv->key + pl);
    free(kv->key);
    kv->key = k;
}

/* etcd range [key, end): an empty key becomes "\0" (etcd needs a key), an
 * open end becomes "\0" (every key >= key), or with a remapped prefix the end
 * of that prefix's space when the start lies inside it. */
static void range_keys(const struct e3_store *s, const char *start, const char *end, char **k,
                       size_t *kl, char **e, size_t *el)
{
    *k = to_etcd(s, start ? start : "", kl);
    if (*kl == 0) {
        free(*k);
        *k = kapi_xcalloc(1, 1);
        *kl = 1;
    }
    if (end && *end) {
        *e = to_etcd(s, end, el);
    } else if (s->remap && !strncmp(*k, s->prefix, strlen(s->prefix)) && s->prefix[0]) {
        *e = kapi_store_prefix_end(s->prefix);
        *el = strlen(*e);
    } else {
        *e = kapi_xcalloc(1, 1);
        *el = 1;
    }
}

/* ---- calls ---- */

static int map_grpc(int status, const char *msg)
{
    if (strstr(msg, "required revision has been compacted"))
        return KAPI_STORE_COMPACTED;
    if (strstr(msg, "future revision"))
        return KAPI_STORE_FUTURE_REV;
    switch (status) {
    case 4:  /* DEADLINE_EXCEEDED */
        return KAPI_STORE_TIMEOUT;
    case 1:  /* CANCELLED */
    case 14: /* UNAVAILABLE */
        return KAPI_STORE_UNAVAILABLE;
    }
    if (strstr(msg, "timed out") || strstr(msg, "timeout"))
        return KAPI_STORE_TIMEOUT;
    if (strstr(msg, "no leader") || strstr(msg, "not capable") || strstr(msg, "stopped"))
        return KAPI_STORE_UNAVAILABLE;
    return KAPI_STORE_IO;
}

/* Returns a referenced usable connection, dialing (with failover over the
 * endpoints) when there is none. */
static int get_conn(struct e3_store *s, struct kapi_grpc_conn **out)
{
    pthread_mutex_lock(&s->conn_mu);
    /* Join retired connections whose threads are done. */
    for (size_t i = 0; i < s->nretired;) {
        if (kapi_grpc_finished(s->retired[i])) {
            kapi_grpc_join(s->retired[i]);
            kapi_grpc_unref(s->retired[i]);
            s->retired[i] = s->retired[--s->nretired];
        } else {
            i++;
        }
    }
    if (s->conn && !kapi_grpc_usable(s->conn)) {
        s->retired = kapi_xrealloc(s->retired, (s->nretired + 1) * sizeof(*s->retired));
        s->retired[s->nretired++] = s->conn;
        s->conn = NULL;
        /* The endpoint that failed goes to the back of the line. */
        s->cur_ep = (s->cur_ep + 1) % s->neps;
    }
    if (!s->conn) {
        char err[256] = "";
        for (size_t i = 0; i < s->neps && !s->conn; i++) {
            size_t ep = (s->cur_ep + i) % s->neps;
            s->conn = kapi_grpc_dial(&s->eps[ep], s->tls, s->dial_ms, KEEPALIVE_MS, err, sizeof(err));
            if (s->conn) {
                s->cur_ep = ep;
                kapi_log(2, "etcd3: connected to %s", s->eps[ep].authority);
            } else {
                kapi_log(1, "etcd3: %s", err);
            }
        }
    }
    struct kapi_grpc_conn *c = s->conn;
    if (c)
        kapi_grpc_ref(c);
    pthread_mutex_unlock(&s->conn_mu);
    *out = c;
    return c ? KAPI_STORE_OK : KAPI_STORE_UNAVAILABLE;
}

/* One unary call with etcd error mapping. Requests that cannot have reached
 * the server, and idempotent ones, are retried once on a fresh connection. */
static int e3_call(struct e3_store *s, const char *path, const struct kapi_buf *req, bool idempotent,
                   char **resp, size_t *rlen)
{
    int err = KAPI_STORE_UNAVAILABLE;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct kapi_grpc_conn *c;
        err = get_conn(s, &c);
        if (err)
            return err;
        int status;
        char msg[256];
        bool sent;
        err = kapi_grpc_unary(c, path, req, s->req_ms, &status, msg, sizeof(msg), resp, rlen, &sent);
        kapi_grpc_unref(c);
        if (err == KAPI_STORE_UNAVAILABLE && (!sent || idempotent))
            continue;
        if (err)
            return err;
        if (status != 0) {
            kapi_log(2, "etcd3: %s: grpc-status %d: %s", path, status, msg);
            err = map_grpc(status, msg);
            if (err == KAPI_STORE_UNAVAILABLE && idempotent && attempt == 0)
                continue;
            return err;
        }
        return KAPI_STORE_OK;
    }
    return err;
}

static int e3_range_raw(struct e3_store *s, const char *k, size_t kl, const char *e, size_t el,
                        int64_t limit, int64_t rev, bool count_only, struct kapi_epb_resp *r)
{
    struct kapi_buf req;
    kapi_buf_init(&req, 0);
    kapi_epb_range(&req, k, kl, e, el, limit, rev, count_only);
    char *resp;
    size_t rlen;
    int err = e3_call(s, "/etcdserverpb.KV/Range", &req, true, &resp, &rlen);
    kapi_buf_dispose(&req);
    if (err)
        return err;
    err = kapi_epb_decode_range(resp, rlen, r) < 0 ? KAPI_STORE_IO : KAPI_STORE_OK;
    free(resp);
    return err;
}

/* ---- operations ---- */

static void take_kv(struct e3_store *s, struct kapi_kv *dst, struct kapi_kv *src)
{
    *dst = *src;
    memset(src, 0, sizeof(*src));
    from_etcd(s, dst);
}

static int e3_write(struct kapi_store *base, const struct kapi_write *w, struct kapi_write_result *res)
{
    struct e3_store *s = (struct e3_store *)base;
    memset(res, 0, sizeof(*res));
    size_t kl;
    char *k = to_etcd(s, w->key, &kl);
    struct kapi_epb_txn t = {.key = k, .klen = kl, .value = w->value, .vlen = w->len};
    switch (w->op) {
    case KAPI_WRITE_CREATE:
        t.cmp_target = KAPI_EPB_TARGET_CREATE;
        t.cmp_result = KAPI_EPB_CMP_EQUAL;
        break;
    case KAPI_WRITE_UPDATE:
    case KAPI_WRITE_DELETE:
        t.op = w->op == KAPI_WRITE_UPDATE ? KAPI_EPB_PUT : KAPI_EPB_DELETE;
        if (w->expect_mod_rev) {
            t.cmp_target = KAPI_EPB_TARGET_MOD;
            t.cmp_result = KAPI_EPB_CMP_EQUAL;
            t.cmp_value = w->expect_mod_rev;
        } else { /* exists: create_revision > 0 */
            t.cmp_target = KAPI_EPB_TARGET_CREATE;
            t.cmp_result = KAPI_EPB_CMP_GREATER;
        }
        break;
    default:
        free(k);
        return KAPI_STORE_IO;
    }
    struct kapi_buf req;
    kapi_buf_init(&req, 0);
    kapi_epb_txn(&req, &t);
    free(k);
    char *resp;
    size_t rlen;
    int err = e3_call(s, "/etcdserverpb.KV/Txn", &req, false, &resp, &rlen);
    kapi_buf_dispose(&req);
    if (err)
        return err;
    struct kapi_epb_resp r;
    if (kapi_epb_decode_txn(resp, rlen, &r) < 0) {
        free(resp);
        return KAPI_STORE_IO;
    }
    free(resp);
    if (r.succeeded) {
        res->rev = r.revision;
        if (w->op != KAPI_WRITE_CREATE && r.has_prev)
            take_kv(s, &res->prev, &r.prev);
        err = KAPI_STORE_OK;
    } else if (r.nkvs == 0) {
        err = KAPI_STORE_NOT_FOUND;
    } else {
        take_kv(s, &res->current, &r.kvs[0]);
        err = w->op == KAPI_WRITE_CREATE ? KAPI_STORE_EXISTS : KAPI_STORE_CONFLICT;
    }
    kapi_epb_resp_dispose(&r);
    return err;
}

static int e3_get(struct kapi_store *base, const char *key, struct kapi_kv *out)
{
    struct e3_store *s = (struct e3_store *)base;
    memset(out, 0, sizeof(*out));
    size_t kl;
    char *k = to_etcd(s, key, &kl);
    struct kapi_epb_resp r;
    int err = e3_range_raw(s, k, kl, NULL, 0, 0, 0, false, &r);
    free(k);
    if (err)
        return err;
    if (r.nkvs == 0)
        err = KAPI_STORE_NOT_FOUND;
    else
        take_kv(s, out, &r.kvs[0]);
    kapi_epb_resp_dispose(&r);
    return err;
}

static void note_compacted_unknown(struct e3_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->compacted = -1;
    pthread_mutex_unlock(&s->mu);
}

static int e3_revisions(struct kapi_store *base, int64_t *current, int64_t *compacted);

/* The compaction mark, probing etcd the first time it is needed. */
static int known_compacted(struct e3_store *s, int64_t *mark)
{
    pthread_mutex_lock(&s->mu);
    int64_t known = s->compacted;
    pthread_mutex_unlock(&s->mu);
    if (known < 0)
        return e3_revisions(&s->base, NULL, mark);
    int64_t seen = atomic_load(&s->seen_compact);
    *mark = known > seen ? known : seen;
    return KAPI_STORE_OK;
}

static int e3_range(struct kapi_store *base, const char *start, const char *end, size_t limit,
                    struct kapi_kv **out, size_t *n, int64_t *rev, bool *more)
{
    struct e3_store *s = (struct e3_store *)base;
    *out = NULL;
    *n = 0;
    *more = false;
    char *k, *e;
    size_t kl, el;
    range_keys(s, start, end, &k, &kl, &e, &el);
    struct kapi_epb_resp r;
    int64_t at = *rev > 0 ? *rev : 0;
    int64_t mark;
    int err = at ? known_compacted(s, &mark) : KAPI_STORE_OK;
    if (!err && at && at < mark)
        err = KAPI_STORE_COMPACTED;
    if (!err)
        err = e3_range_raw(s, k, kl, e, el, (int64_t)limit, at, false, &r);
    free(k);
    free(e);
    if (err == KAPI_STORE_COMPACTED)
        note_compacted_unknown(s);
    if (err)
        return err;
    for (size_t i = 0; i < r.nkvs; i++)
        from_etcd(s, &r.kvs[i]);
    *out = r.kvs;
    *n = r.nkvs;
    *more = r.more;
    *rev = at ? at : r.revision;
    r.kvs = NULL;
    r.nkvs = 0;
    kapi_epb_resp_dispose(&r);
    return KAPI_STORE_OK;
}

/* Whether a read at rev is still possible (1), compacted (0), or err < 0. */
static int probe_rev(struct e3_store *s, int64_t rev, const char *k, size_t kl)
{
    struct kapi_epb_resp r;
    int err = e3_range_raw(s, k, kl, NULL, 0, 1, rev, true, &r);
    if (err == KAPI_STORE_COMPACTED)
        return 0;
    if (err)
        return -err;
    kapi_epb_resp_dispose(&r);
    return 1;
}

/* etcd does not report its compaction revision directly: find the oldest
 * readable revision by bisection (each probe is a count-only Range); the
 * kapi mark is one above it. */
static int find_compacted(struct e3_store *s, int64_t cur, const char *k, size_t kl, int64_t *out)
{
    int ok = probe_rev(s, 1, k, kl);
    if (ok < 0)
        return -ok;
    if (ok) {
        *out = 0;
        return KAPI_STORE_OK;
    }
    int64_t lo = 1, hi = cur; /* lo unreadable, hi readable */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        ok = probe_rev(s, mid, k, kl);
        if (ok < 0)
            return -ok;
        if (ok)
            hi = mid;
        else
            lo = mid;
    }
    *out = hi + 1 <= cur ? hi + 1 : cur;
    return KAPI_STORE_OK;
}

static int e3_revisions(struct kapi_store *base, int64_t *current, int64_t *compacted)
{
    struct e3_store *s = (struct e3_store *)base;
    size_t kl;
    char *k = to_etcd(s, DEFAULT_PREFIX "/", &kl);
    struct kapi_epb_resp r;
    int err = e3_range_raw(s, k, kl, NULL, 0, 1, 0, true, &r);
    if (err) {
        free(k);
        return err;
    }
    int64_t cur = r.revision;
    kapi_epb_resp_dispose(&r);
    if (current)
        *current = cur;
    if (compacted) {
        pthread_mutex_lock(&s->mu);
        int64_t known = s->compacted;
        pthread_mutex_unlock(&s->mu);
        int64_t seen = atomic_load(&s->seen_compact);
        if (known < 0) {
            err = find_compacted(s, cur, k, kl, &known);
            if (!err) {
                pthread_mutex_lock(&s->mu);
                if (known > s->compacted)
                    s->compacted = known;
                pthread_mutex_unlock(&s->mu);
            }
        }
        *compacted = known > seen ? known : seen;
    }
    free(k);
    return err;
}

/* storage.h keeps the event at the compaction revision complete, prev_kv
 * included, but etcd drops everything below its compaction revision, that
 * event's prev_kv with it. So etcd is compacted one revision lower, and the
 * revision in between is refused here (reads, watches) as compacted. */
static int e3_compact(struct kapi_store *base, int64_t rev)
{
    struct e3_store *s = (struct e3_store *)base;
    int64_t cur, mark;
    int err = e3_revisions(base, &cur, &mark);
    if (err)
        return err;
    if (rev > cur) /* etcd would accept rev - 1 */
        return KAPI_STORE_FUTURE_REV;
    if (rev < mark)
        return KAPI_STORE_COMPACTED;
    struct kapi_buf req;
    kapi_buf_init(&req, 0);
    /* physical: return only once the old revisions are really gone, as the
     * SQLite backend does. */
    kapi_epb_compact(&req, rev > 1 ? rev - 1 : rev, true);
    char *resp;
    size_t rlen;
    err = e3_call(s, "/etcdserverpb.KV/Compact", &req, true, &resp, &rlen);
    kapi_buf_dispose(&req);
    if (err == KAPI_STORE_COMPACTED)
        note_compacted_unknown(s);
    if (err)
        return err;
    free(resp);
    pthread_mutex_lock(&s->mu);
    if (rev > s->compacted)
        s->compacted = rev;
    pthread_mutex_unlock(&s->mu);
    return KAPI_STORE_OK;
}

/* ---- watches ---- */

static void watch_unref(struct e3_watch *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    while (w->head) {
        struct e3_batch *b = w->head;
        w->head = b->next;
        for (size_t i = 0; i < b->n; i++) {
            kapi_kv_dispose(&b->evs[i].kv);
            kapi_kv_dispose(&b->evs[i].prev_kv);
        }
        free(b->evs);
        free(b);
    }
    kapi_grpc_call_unref(w->call);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    free(w);
}

static void watch_push(struct e3_watch *w, struct kapi_event *evs, size_t n, int end_err)
{
    struct e3_batch *b = kapi_xcalloc(1, sizeof(*b));
    b->evs = evs;
    b->n = n;
    b->end_err = end_err;
    pthread_mutex_lock(&w->mu);
    if (w->ended) {
        pthread_mutex_unlock(&w->mu);
        for (size_t i = 0; i < n; i++) {
            kapi_kv_dispose(&evs[i].kv);
            kapi_kv_dispose(&evs[i].prev_kv);
        }
        free(evs);
        free(b);
        return;
    }
    if (end_err)
        w->ended = true;
    if (w->tail)
        w->tail->next = b;
    else
        w->head = b;
    w->tail = b;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
}

/* I/O thread: one WatchResponse. */
static void watch_on_msg(void *ctx, const uint8_t *msg, size_t len)
{
    struct e3_watch *w = ctx;
    struct kapi_epb_resp r;
    if (kapi_epb_decode_watch(msg, len, &r) < 0) {
        kapi_log(0, "etcd3: undecodable watch response (%zu bytes)", len);
        watch_push(w, NULL, 0, KAPI_STORE_IO);
        return;
    }
    if (r.compact_revision > 0) {
        int64_t seen = atomic_load(&w->s->seen_compact);
        while (r.compact_revision + 1 > seen &&
               !atomic_compare_exchange_weak(&w->s->seen_compact, &seen, r.compact_revision + 1))
            ;
        watch_push(w, NULL, 0, KAPI_STORE_COMPACTED);
    } else if (r.canceled) {
        watch_push(w, NULL, 0, KAPI_STORE_UNAVAILABLE);
    } else if (r.nevents) {
        for (size_t i = 0; i < r.nevents; i++) {
            from_etcd(w->s, &r.events[i].kv);
            from_etcd(w->s, &r.events[i].prev_kv);
        }
        watch_push(w, r.events, r.nevents, 0);
        r.events = NULL;
        r.nevents = 0;
    } else if (!r.created && r.revision > 0) {
        /* A progress notification: everything up to the header's revision
         * has been sent on this stream. */
        struct kapi_event *ev = kapi_xcalloc(1, sizeof(*ev));
        ev->type = KAPI_EVENT_PROGRESS;
        ev->kv.mod_rev = r.revision;
        watch_push(w, ev, 1, 0);
    }
    kapi_epb_resp_dispose(&r);
}

static void watch_on_end(void *ctx, int err)
{
    watch_push(ctx, NULL, 0, err ? err : KAPI_STORE_UNAVAILABLE);
}

static void watch_release(void *ctx)
{
    watch_unref(ctx);
}

static const struct kapi_grpc_stream_cbs watch_cbs = {watch_on_msg, watch_on_end, watch_release};

static void *watch_main(void *arg)
{
    kapi_thread_name("etcd-watch");
    struct e3_watch *w = arg;
    bool finished = false; /* the watcher saw its end or asked to stop */
    pthread_mutex_lock(&w->mu);
    while (!finished) {
        while (!w->head && !w->closing && !atomic_load(&w->stop))
            pthread_cond_wait(&w->cond, &w->mu);
        if (atomic_load(&w->stop))
            break;
        if (!w->head) { /* closing with nothing left to deliver */
            pthread_mutex_unlock(&w->mu);
            w->fn(w->ctx, NULL, KAPI_STORE_UNAVAILABLE);
            pthread_mutex_lock(&w->mu);
            break;
        }
        struct e3_batch *b = w->head;
        w->head = b->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        if (b->end_err) {
            if (!atomic_load(&w->stop))
                w->fn(w->ctx, NULL, b->end_err);
            finished = true;
        }
        for (size_t i = 0; i < b->n; i++) {
            if (!finished && !atomic_load(&w->stop) && w->fn(w->ctx, &b->evs[i], 0))
                finished = true;
            kapi_kv_dispose(&b->evs[i].kv);
            kapi_kv_dispose(&b->evs[i].prev_kv);
        }
        free(b->evs);
        free(b);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    if (finished)
        kapi_grpc_cancel(w->call);
    watch_unref(w);
    return NULL;
}

static long e3_watch(struct kapi_store *base, const char *start, const char *end, int64_t after_rev,
                     kapi_store_watch_fn fn, void *ctx)
{
    struct e3_store *s = (struct e3_store *)base;
    if (!fn)
        return -KAPI_STORE_IO;
    if (after_rev < 0)
        after_rev = 0;
    char *k, *e;
    size_t kl, el;
    range_keys(s, start, end, &k, &kl, &e, &el);
    struct kapi_buf req;
    kapi_buf_init(&req, 0);
    kapi_epb_watch_create(&req, k, kl, e, el, after_rev + 1);
    free(k);
    free(e);

    struct e3_watch *w = kapi_xcalloc(1, sizeof(*w));
    atomic_init(&w->refs, 1);
    atomic_init(&w->stop, false);
    w->s = s;
    w->fn = fn;
    w->ctx = ctx;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);

    int64_t mark;
    int err = known_compacted(s, &mark);
    bool compacted = !err && after_rev + 1 < mark;
    if (compacted) /* etcd may still have it (see e3_compact); kapi does not */
        watch_push(w, NULL, 0, KAPI_STORE_COMPACTED);
    for (int attempt = 0; attempt < 2 && !err && !compacted && !w->call; attempt++) {
        struct kapi_grpc_conn *c;
        err = get_conn(s, &c);
        if (err)
            break;
        atomic_fetch_add(&w->refs, 1); /* the call's */
        w->call = kapi_grpc_stream(c, "/etcdserverpb.Watch/Watch", &req, &watch_cbs, w);
        kapi_grpc_unref(c);
        if (!w->call) {
            atomic_fetch_sub(&w->refs, 1);
            err = KAPI_STORE_UNAVAILABLE;
        }
    }
    kapi_buf_dispose(&req);
    if (!w->call && !compacted) {
        watch_unref(w);
        return -(err ? err : KAPI_STORE_UNAVAILABLE);
    }
    atomic_fetch_add(&w->refs, 1); /* the thread's */
    if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
        atomic_fetch_sub(&w->refs, 1);
        kapi_grpc_cancel(w->call);
        watch_unref(w);
        return -KAPI_STORE_IO;
    }
    pthread_mutex_lock(&s->mu);
    w->id = ++s->next_watch_id;
    w->next = s->watches;
    s->watches = w;
    long id = w->id;
    pthread_mutex_unlock(&s->mu);
    return id;
}

/* Stops w's thread and waits for it, unless called from that thread (from
 * inside the callback), in which case the thread finishes on its own. */
static void watch_stop(struct e3_watch *w, bool closing)
{
    pthread_mutex_lock(&w->mu);
    if (closing)
        w->closing = true;
    else
        atomic_store(&w->stop, true);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    kapi_grpc_cancel(w->call);
    if (pthread_equal(pthread_self(), w->thread))
        pthread_detach(w->thread);
    else
        pthread_join(w->thread, NULL);
    watch_unref(w);
}

static void e3_request_progress(struct kapi_store *base, long id)
{
    struct e3_store *s = (struct e3_store *)base;
    struct kapi_buf req;
    kapi_buf_init(&req, 0);
    kapi_epb_watch_progress(&req);
    pthread_mutex_lock(&s->mu);
    for (struct e3_watch *w = s->watches; w; w = w->next)
        if (w->id == id && w->call)
            (void)kapi_grpc_stream_send(w->call, &req);
    pthread_mutex_unlock(&s->mu);
    kapi_buf_dispose(&req);
}

static void e3_unwatch(struct kapi_store *base, long id)
{
    struct e3_store *s = (struct e3_store *)base;
    pthread_mutex_lock(&s->mu);
    struct e3_watch **pp = &s->watches, *w;
    while ((w = *pp) && w->id != id)
        pp = &w->next;
    if (w)
        *pp = w->next;
    pthread_mutex_unlock(&s->mu);
    if (w)
        watch_stop(w, false);
}

static void e3_close(struct kapi_store *base)
{
    struct e3_store *s = (struct e3_store *)base;
    pthread_mutex_lock(&s->mu);
    struct e3_watch *w = s->watches;
    s->watches = NULL;
    pthread_mutex_unlock(&s->mu);
    while (w) {
        struct e3_watch *next = w->next;
        watch_stop(w, true);
        w = next;
    }
    /* After the joins no I/O thread can touch s any more. */
    if (s->conn) {
        kapi_grpc_join(s->conn);
        kapi_grpc_unref(s->conn);
    }
    for (size_t i = 0; i < s->nretired; i++) {
        kapi_grpc_join(s->retired[i]);
        kapi_grpc_unref(s->retired[i]);
    }
    free(s->retired);
    if (s->tls)
        SSL_CTX_free(s->tls);
    pthread_mutex_destroy(&s->conn_mu);
    pthread_mutex_destroy(&s->mu);
    free(s->eps);
    free(s->prefix);
    free(s);
}

static const struct kapi_store_ops e3_ops = {
    .name = "etcd3",
    .write = e3_write,
    .get = e3_get,
    .range = e3_range,
    .revisions = e3_revisions,
    .watch = e3_watch,
    .request_progress = e3_request_progress,
    .unwatch = e3_unwatch,
    .compact = e3_compact,
    .close = e3_close,
};

/* ---- open ---- */

static SSL_CTX *make_tls(const struct kapi_etcd3_opts *o, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "etcd3: SSL_CTX_new failed");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    static const unsigned char alpn[] = "\x02h2";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    const char *what = NULL;
    if (o->cafile && *o->cafile) {
        if (SSL_CTX_load_verify_locations(ctx, o->cafile, NULL) != 1)
            what = o->cafile;
    } else {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    if (!what && o->certfile && *o->certfile) {
        if (SSL_CTX_use_certificate_chain_file(ctx, o->certfile) != 1)
            what = o->certfile;
        else if (SSL_CTX_use_PrivateKey_file(ctx, o->keyfile && *o->keyfile ? o->keyfile : o->certfile,
                                             SSL_FILETYPE_PEM) != 1 ||
                 SSL_CTX_check_private_key(ctx) != 1)
            what = o->keyfile && *o->keyfile ? o->keyfile : o->certfile;
    }
    if (what) {
        char buf[160];
        ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
        snprintf(err, errlen, "etcd3: %s: %s", what, buf);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct kapi_store *kapi_etcd3_open(const struct kapi_etcd3_opts *o, char *err, size_t errlen)
{
    char scratch[8];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    err[0] = 0;
    if (!o || !o->endpoints || o->nendpoints == 0) {
        snprintf(err, errlen, "etcd3: no endpoints");
        return NULL;
    }
    const char *prefix = o->prefix && *o->prefix ? o->prefix : DEFAULT_PREFIX;
    if (prefix[0] != '/') {
        snprintf(err, errlen, "etcd3: prefix %s does not start with /", prefix);
        return NULL;
    }
    bool files = (o->cafile && *o->cafile) || (o->certfile && *o->certfile);
    struct kapi_grpc_endpoint *eps = kapi_xcalloc(o->nendpoints, sizeof(*eps));
    bool any_tls = false;
    for (size_t i = 0; i < o->nendpoints; i++) {
        if (!o->endpoints[i] || kapi_grpc_endpoint_parse(o->endpoints[i], files, &eps[i]) < 0) {
            snprintf(err, errlen, "etcd3: bad endpoint %s", o->endpoints[i] ? o->endpoints[i] : "(null)");
            free(eps);
            return NULL;
        }
        any_tls |= eps[i].tls;
    }
    SSL_CTX *tls = NULL;
    if (any_tls && !(tls = make_tls(o, err, errlen))) {
        free(eps);
        return NULL;
    }
    struct e3_store *s = kapi_xcalloc(1, sizeof(*s));
    s->base.ops = &e3_ops;
    s->eps = eps;
    s->neps = o->nendpoints;
    /* A trailing slash would double up with the one kapi keys carry. */
    size_t pl = strlen(prefix);
    while (pl > 0 && prefix[pl - 1] == '/')
        pl--;
    s->prefix = kapi_xstrndup(prefix, pl);
    s->remap = strcmp(s->prefix, DEFAULT_PREFIX) != 0;
    s->tls = tls;
    s->dial_ms = o->dial_timeout_ms > 0 ? o->dial_timeout_ms : 5000;
    s->req_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 10000;
    s->compacted = -1;
    atomic_init(&s->seen_compact, 0);
    pthread_mutex_init(&s->conn_mu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    return &s->base;
}
