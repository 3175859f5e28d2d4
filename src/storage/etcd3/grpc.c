/* A minimal gRPC client over HTTP/2 (nghttp2) for the etcd3 backend: one
 * TCP or TLS connection, one I/O thread that owns the nghttp2 session, and
 * calls handed to it through a locked queue. Unary calls wait on a condition
 * variable with a deadline; streaming calls get their messages on the I/O
 * thread. When the connection dies every pending call ends UNAVAILABLE. */
#include "etcd3_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

/* Responses larger than this are refused rather than buffered. */
#define GRPC_MAX_MSG ((size_t)1 << 30)

struct kapi_grpc_call {
    _Atomic long refs;
    struct kapi_grpc_conn *conn;   /* holds a reference */
    struct kapi_grpc_call *next;   /* submit or cancel queue */
    struct kapi_grpc_call *aprev, *anext; /* active (submitted) list */
    char path[64];
    char *req;
    size_t reqlen, reqoff;
    bool streaming;
    int32_t stream_id;
    bool sent, done, cancel_queued, cancelled;
    bool in_active;
    int err;                       /* transport outcome once done */
    int http_status;
    int grpc_status;               /* -1 until seen */
    char grpc_msg[256];
    struct kapi_buf rbuf;
    /* Unary: posted once the call is done. The waiter sleeps on it rather
     * than on conn->mu, which the I/O thread and every caller share. */
    sem_t finished;
    struct kapi_grpc_stream_cbs cbs;
    void *ctx;
    /* a further request message for a stream (under conn->mu until the
     * I/O thread takes it) */
    char *more;
    size_t morelen;
    bool send_queued;
    struct kapi_grpc_call *snext;
};

struct kapi_grpc_conn {
    _Atomic long refs;
    pthread_mutex_t mu;
    /* under mu */
    struct kapi_grpc_call *submit_head, *submit_tail;
    struct kapi_grpc_call *cancel_head;
    struct kapi_grpc_call *send_head;  /* streams with a message to send */
    bool dead, stopping, goaway, finished;
    /* Set with any of dead, stopping or goaway, so callers can tell a
     * connection takes no new calls without taking mu. */
    atomic_bool closed;
    /* Set (under mu) when the I/O thread found no queued work and is going
     * to poll; a submitter that clears it writes the wake fd. While the
     * thread runs, submits skip that syscall: it looks at the queues again
     * before it sleeps. */
    atomic_bool io_asleep;
    /* I/O thread only */
    int fd, wakefd;
    SSL *ssl;
    nghttp2_session *h2;
    struct kapi_grpc_call *active;
    char *out;
    size_t outlen, outoff, outcap;
    int64_t last_recv_ms, ping_sent_ms;
    int keepalive_ms, ping_timeout_ms;
    struct kapi_grpc_endpoint ep;
    pthread_t thread;
    bool joined;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int kapi_grpc_endpoint_parse(const char *s, bool default_tls, struct kapi_grpc_endpoint *ep)
{
    memset(ep, 0, sizeof(*ep));
    ep->tls = default_tls;
    if (!strncmp(s, "http://", 7)) {
        ep->tls = false;
        s += 7;
    } else if (!strncmp(s, "https://", 8)) {
        ep->tls = true;
        s += 8;
    } else if (strstr(s, "://")) {
        return -1;
    }
    size_t n = strcspn(s, "/");
    if (n == 0 || n >= sizeof(ep->authority))
        return -1;
    const char *colon;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb || rb - s - 1 <= 0 || (size_t)(rb - s - 1) >= sizeof(ep->host))
            return -1;
        memcpy(ep->host, s + 1, (size_t)(rb - s - 1));
        colon = rb + 1 < s + n && rb[1] == ':' ? rb + 1 : NULL;
        if (!colon && rb + 1 != s + n)
            return -1;
    } else {
        colon = memchr(s, ':', n);
        size_t hl = colon ? (size_t)(colon - s) : n;
        if (hl == 0 || hl >= sizeof(ep->host))
            return -1;
        memcpy(ep->host, s, hl);
    }
    if (colon) {
        size_t pl = (size_t)(s + n - colon - 1);
        if (pl == 0 || pl >= sizeof(ep->port) || strspn(colon + 1, "0123456789") < pl)
            return -1;
        memcpy(ep->port, colon + 1, pl);
    } else {
        strcpy(ep->port, "2379");
    }
    if (strchr(ep->host, ':'))
        snprintf(ep->authority, sizeof(ep->authority), "[%s]:%s", ep->host, ep->port);
    else
        snprintf(ep->authority, sizeof(ep->authority), "%s:%s", ep->host, ep->port);
    return 0;
}

/* ---- calls ---- */

static void call_free(struct kapi_grpc_call *c)
{
    if (c->cbs.release)
        c->cbs.release(c->ctx);
    free(c->more);
    free(c->req);
    kapi_buf_dispose(&c->rbuf);
    sem_destroy(&c->finished);
    kapi_grpc_unref(c->conn);
    free(c);
}

void kapi_grpc_call_unref(struct kapi_grpc_call *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1)
        call_free(c);
}

static struct kapi_grpc_call *call_new(struct kapi_grpc_conn *conn, const char *path,
                                       const struct kapi_buf *req)
{
    struct kapi_grpc_call *c = kapi_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 2); /* the caller's and the I/O thread's */
    kapi_grpc_ref(conn);
    c->conn = conn;
    size_t pl = strnlen(path, sizeof(c->path) - 1);
    memcpy(c->path, path, pl);
    c->path[pl] = 0;
    c->req = kapi_xmalloc(req->len ? req->len : 1);
    memcpy(c->req, req->data, req->len);
    c->reqlen = req->len;
    c->grpc_status = -1;
    kapi_buf_init(&c->rbuf, GRPC_MAX_MSG + 5);
    sem_init(&c->finished, 0, 0);
    return c;
}

static void wake(struct kapi_grpc_conn *c)
{
    uint64_t one = 1;
    ssize_t r = write(c->wakefd, &one, sizeof(one));
    (void)r;
}

/* Queues c for the I/O thread; false if the connection takes no new calls. */
static bool submit(struct kapi_grpc_conn *conn, struct kapi_grpc_call *c)
{
    pthread_mutex_lock(&conn->mu);
    if (conn->dead || conn->stopping || conn->goaway) {
        pthread_mutex_unlock(&conn->mu);
        return false;
    }
    if (conn->submit_tail)
        conn->submit_tail->next = c;
    else
        conn->submit_head = c;
    conn->submit_tail = c;
    bool asleep = atomic_exchange(&conn->io_asleep, false);
    pthread_mutex_unlock(&conn->mu);
    if (asleep)
        wake(conn);
    return true;
}

/* Under conn->mu. Ends a call; true if it was not over yet. The caller
 * wakes a unary waiter (sem_post) after it drops the lock, and calls a
 * stream's on_end. */
static bool mark_done_locked(struct kapi_grpc_call *c, int err)
{
    if (c->done)
        return false;
    c->done = true;
    c->err = err;
    return true;
}

static void queue_cancel_locked(struct kapi_grpc_conn *conn, struct kapi_grpc_call *c)
{
    if (c->done || c->cancel_queued)
        return;
    c->cancel_queued = true;
    atomic_fetch_add(&c->refs, 1);
    c->next = conn->cancel_head;
    conn->cancel_head = c;
}

int kapi_grpc_unary(struct kapi_grpc_conn *conn, const char *path, const struct kapi_buf *req,
                    int timeout_ms, int *status, char *msg, size_t msglen, char **resp,
                    size_t *resplen, bool *sent)
{
    *resp = NULL;
    *resplen = 0;
    *status = -1;
    *sent = false;
    if (msglen)
        msg[0] = 0;
    struct kapi_grpc_call *c = call_new(conn, path, req);
    if (!submit(conn, c)) {
        atomic_store(&c->refs, 1);
        kapi_grpc_call_unref(c);
        return KAPI_STORE_UNAVAILABLE;
    }
    /* Deadlines are on the monotonic clock: wall-clock steps must not
     * stretch or cut a request's timeout. */
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    while (sem_clockwait(&c->finished, CLOCK_MONOTONIC, &dl) != 0 && errno == EINTR)
        ;
    /* Posted or not, conn->mu settles it: the I/O thread marks the call done
     * under the lock before it posts. */
    pthread_mutex_lock(&conn->mu);
    int err;
    *sent = c->sent;
    if (!c->done) {
        /* Give up; the I/O thread resets the stream and drops its ref. */
        queue_cancel_locked(conn, c);
        pthread_mutex_unlock(&conn->mu);
        wake(conn);
        *sent = true;
        kapi_grpc_call_unref(c);
        return KAPI_STORE_TIMEOUT;
    }
    pthread_mutex_unlock(&conn->mu);
    err = c->err;
    if (err == KAPI_STORE_OK) {
        if (c->grpc_status < 0) {
            err = c->http_status && c->http_status != 200 ? KAPI_STORE_UNAVAILABLE : KAPI_STORE_IO;
        } else {
            *status = c->grpc_status;
            if (msglen && c->grpc_msg[0])
                snprintf(msg, msglen, "%s", c->grpc_msg);
            if (c->grpc_status == 0) {
                const unsigned char *d = (const unsigned char *)c->rbuf.data;
                size_t n = c->rbuf.len;
                uint32_t ml = n >= 5 ? (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 |
                                           (uint32_t)d[3] << 8 | d[4] : 0;
                if (n < 5 || d[0] != 0 || (size_t)ml != n - 5) {
                    err = KAPI_STORE_IO;
                } else {
                    /* The message moves to the front of the buffer, which
                     * the caller takes over (it has room for the NUL). */
                    memmove(c->rbuf.data, d + 5, ml);
                    c->rbuf.data[ml] = 0;
                    *resp = c->rbuf.data;
                    *resplen = ml;
                    c->rbuf.data = NULL;
                    c->rbuf.len = c->rbuf.cap = 0;
                }
            }
        }
    }
    kapi_grpc_call_unref(c);
    return err;
}

struct kapi_grpc_call *kapi_grpc_stream(struct kapi_grpc_conn *conn, const char *path,
                                        const struct kapi_buf *req,
                                        const struct kapi_grpc_stream_cbs *cbs, void *ctx)
{
    struct kapi_grpc_call *c = call_new(conn, path, req);
    c->streaming = true;
    c->cbs = *cbs;
    c->ctx = ctx;
    if (!submit(conn, c)) {
        /* The caller keeps ctx: nothing may be called on it. */
        memset(&c->cbs, 0, sizeof(c->cbs));
        atomic_store(&c->refs, 1);
        kapi_grpc_call_unref(c);
        return NULL;
    }
    return c;
}

bool kapi_grpc_stream_send(struct kapi_grpc_call *c, const struct kapi_buf *msg)
{
    if (!c || !c->streaming)
        return false;
    struct kapi_grpc_conn *conn = c->conn;
    pthread_mutex_lock(&conn->mu);
    if (c->done || c->cancel_queued || c->more || conn->dead || conn->stopping) {
        pthread_mutex_unlock(&conn->mu);
        return false;
    }
    c->more = kapi_xmalloc(msg->len ? msg->len : 1);
    memcpy(c->more, msg->data, msg->len);
    c->morelen = msg->len;
    if (!c->send_queued) {
        c->send_queued = true;
        atomic_fetch_add(&c->refs, 1); /* the send queue's */
        c->snext = conn->send_head;
        conn->send_head = c;
    }
    pthread_mutex_unlock(&conn->mu);
    wake(conn);
    return true;
}

void kapi_grpc_cancel(struct kapi_grpc_call *c)
{
    if (!c)
        return;
    struct kapi_grpc_conn *conn = c->conn;
    pthread_mutex_lock(&conn->mu);
    bool q = !c->done && !c->cancel_queued;
    queue_cancel_locked(conn, c);
    pthread_mutex_unlock(&conn->mu);
    if (q)
        wake(conn);
}

/* ---- connection ---- */

void kapi_grpc_ref(struct kapi_grpc_conn *c)
{
    atomic_fetch_add(&c->refs, 1);
}

void kapi_grpc_unref(struct kapi_grpc_conn *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c);
}

bool kapi_grpc_usable(struct kapi_grpc_conn *c)
{
    return !atomic_load(&c->closed);
}

bool kapi_grpc_finished(struct kapi_grpc_conn *c)
{
    pthread_mutex_lock(&c->mu);
    bool f = c->finished;
    pthread_mutex_unlock(&c->mu);
    return f;
}

void kapi_grpc_join(struct kapi_grpc_conn *c)
{
    if (c->joined)
        return;
    pthread_mutex_lock(&c->mu);
    c->stopping = true;
    atomic_store(&c->closed, true);
    pthread_mutex_unlock(&c->mu);
    wake(c);
    pthread_join(c->thread, NULL);
    c->joined = true;
}

static struct kapi_grpc_call *stream_call(struct kapi_grpc_conn *c, int32_t id)
{
    return nghttp2_session_get_stream_user_data(c->h2, id);
}

static void active_remove(struct kapi_grpc_conn *conn, struct kapi_grpc_call *c)
{
    if (!c->in_active)
        return;
    if (c->aprev)
        c->aprev->anext = c->anext;
    else
        conn->active = c->anext;
    if (c->anext)
        c->anext->aprev = c->aprev;
    c->aprev = c->anext = NULL;
    c->in_active = false;
}

/* Ends a call on the I/O thread and drops the I/O thread's reference. */
static void io_finish(struct kapi_grpc_conn *conn, struct kapi_grpc_call *c, int err)
{
    active_remove(conn, c);
    pthread_mutex_lock(&conn->mu);
    bool was_done = !mark_done_locked(c, err);
    struct kapi_grpc_stream_cbs cbs = c->cbs;
    void *ctx = c->ctx;
    /* ctx is released here, not when the call is freed: its owner usually
     * holds the call, and the two must not keep each other alive. */
    memset(&c->cbs, 0, sizeof(c->cbs));
    pthread_mutex_unlock(&conn->mu);
    if (!c->streaming && !was_done)
        sem_post(&c->finished); /* c lives on: this thread's reference */
    if (c->streaming && !was_done && cbs.on_end)
        cbs.on_end(ctx, err);
    if (cbs.release)
        cbs.release(ctx);
    kapi_grpc_call_unref(c);
}

/* Delivers each complete length-prefixed message buffered on a stream. */
static int deliver_stream_msgs(struct kapi_grpc_call *c)
{
    size_t off = 0;
    const unsigned char *d = (const unsigned char *)c->rbuf.data;
    int rc = 0;
    while (c->rbuf.len - off >= 5) {
        uint32_t ml = (uint32_t)d[off + 1] << 24 | (uint32_t)d[off + 2] << 16 |
                      (uint32_t)d[off + 3] << 8 | d[off + 4];
        if (d[off] != 0) {
            rc = -1; /* compression was not negotiated */
            break;
        }
        if (c->rbuf.len - off - 5 < ml)
            break;
        pthread_mutex_lock(&c->conn->mu);
        struct kapi_grpc_stream_cbs cbs = c->cbs;
        void *ctx = c->ctx;
        bool live = !c->cancel_queued;
        pthread_mutex_unlock(&c->conn->mu);
        if (live && cbs.on_msg)
            cbs.on_msg(ctx, d + off + 5, ml);
        off += 5 + ml;
    }
    if (off) {
        memmove(c->rbuf.data, c->rbuf.data + off, c->rbuf.len - off);
        c->rbuf.len -= off;
    }
    return rc;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags, void *ud)
{
    if (frame->hd.type != NGHTTP2_HEADERS)
        return 0;
    struct kapi_grpc_call *c = nghttp2_session_get_stream_user_data(s, frame->hd.stream_id);
    if (!c)
        return 0;
    if (namelen == 7 && !memcmp(name, ":status", 7)) {
        c->http_status = atoi((const char *)value);
    } else if (namelen == 11 && !memcmp(name, "grpc-status", 11)) {
        c->grpc_status = atoi((const char *)value);
    } else if (namelen == 12 && !memcmp(name, "grpc-message", 12)) {
        /* Percent-decoded (gRPC escapes bytes outside printable ASCII). */
        size_t o = 0;
        for (size_t i = 0; i < valuelen && o + 1 < sizeof(c->grpc_msg); i++) {
            unsigned hv;
            if (value[i] == '%' && i + 2 < valuelen && sscanf((const char *)value + i + 1, "%2x", &hv) == 1) {
                c->grpc_msg[o++] = (char)hv;
                i += 2;
            } else {
                c->grpc_msg[o++] = (char)value[i];
            }
        }
        c->grpc_msg[o] = 0;
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *ud)
{
    struct kapi_grpc_conn *conn = ud;
    struct kapi_grpc_call *c = stream_call(conn, id);
    if (!c)
        return 0;
    if (kapi_buf_append(&c->rbuf, data, len) < 0 ||
        (c->streaming && deliver_stream_msgs(c) < 0)) {
        c->err = KAPI_STORE_IO;
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
    }
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *ud)
{
    struct kapi_grpc_conn *conn = ud;
    struct kapi_grpc_call *c = stream_call(conn, id);
    if (!c)
        return 0;
    nghttp2_session_set_stream_user_data(s, id, NULL);
    int err = c->err;
    if (!err && c->streaming)
        err = c->grpc_status == 0 ? KAPI_STORE_OK : KAPI_STORE_UNAVAILABLE;
    if (!err && code == NGHTTP2_REFUSED_STREAM)
        err = KAPI_STORE_UNAVAILABLE;
    io_finish(conn, c, err);
    return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *ud)
{
    struct kapi_grpc_conn *conn = ud;
    if (frame->hd.type == NGHTTP2_GOAWAY) {
        /* Streams already running finish; new calls go to a new connection. */
        pthread_mutex_lock(&conn->mu);
        conn->goaway = true;
        atomic_store(&conn->closed, true);
        pthread_mutex_unlock(&conn->mu);
    }
    return 0;
}

static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
    struct kapi_grpc_call *c = src->ptr;
    size_t n = c->reqlen - c->reqoff;
    if (n > length)
        n = length;
    memcpy(buf, c->req + c->reqoff, n);
    c->reqoff += n;
    if (c->reqoff == c->reqlen) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        /* A watch keeps its request side open: closing it would end the
         * stream on the server. */
        if (c->streaming)
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return (ssize_t)n;
}

#define NV(n, v) {(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, strlen(v), NGHTTP2_NV_FLAG_NONE}

static void io_start_call(struct kapi_grpc_conn *conn, struct kapi_grpc_call *c)
{
    nghttp2_nv nva[] = {
        NV(":method", "POST"),
        NV(":scheme", conn->ep.tls ? "https" : "http"),
        NV(":path", c->path),
        NV(":authority", conn->ep.authority),
        NV("content-type", "application/grpc"),
        NV("te", "trailers"),
        NV("user-agent", "kapi-etcd3/1"),
    };
    nghttp2_data_provider dp = {.source.ptr = c, .read_callback = read_body};
    int32_t id = nghttp2_submit_request(conn->h2, NULL, nva, KAPI_ARRAY_LEN(nva), &dp, c);
    if (id < 0) {
        pthread_mutex_lock(&conn->mu);
        c->sent = false;
        pthread_mutex_unlock(&conn->mu);
        io_finish(conn, c, KAPI_STORE_UNAVAILABLE);
        return;
    }
    c->stream_id = id;
    c->anext = conn->active;
    if (conn->active)
        conn->active->aprev = c;
    conn->active = c;
    c->in_active = true;
}

static void io_commands(struct kapi_grpc_conn *conn)
{
    pthread_mutex_lock(&conn->mu);
    struct kapi_grpc_call *sub = conn->submit_head, *can = conn->cancel_head, *snd = conn->send_head;
    conn->submit_head = conn->submit_tail = NULL;
    conn->cancel_head = NULL;
    conn->send_head = NULL;
    /* Calls not abandoned before now count as sent from here on (a caller
     * that gives up later must assume the server may have run them). */
    for (struct kapi_grpc_call *c = sub; c; c = c->next)
        c->sent = !c->cancel_queued;
    pthread_mutex_unlock(&conn->mu);
    while (sub) {
        struct kapi_grpc_call *next = sub->next;
        sub->next = NULL;
        if (!sub->sent)
            io_finish(conn, sub, KAPI_STORE_TIMEOUT);
        else
            io_start_call(conn, sub);
        sub = next;
    }
    while (snd) {
        struct kapi_grpc_call *next = snd->snext;
        pthread_mutex_lock(&conn->mu);
        snd->snext = NULL;
        bool usable = snd->in_active && !snd->cancelled && !snd->done && snd->reqoff == snd->reqlen;
        char *msg = usable ? snd->more : NULL;
        size_t len = snd->morelen;
        if (usable || snd->done || snd->cancelled) {
            if (!usable)
                free(snd->more);
            snd->more = NULL;
            snd->send_queued = false;
        }
        bool requeue = snd->send_queued; /* the previous message is still going out */
        if (requeue) {
            snd->snext = conn->send_head;
            conn->send_head = snd;
        }
        pthread_mutex_unlock(&conn->mu);
        if (msg) {
            free(snd->req);
            snd->req = msg;
            snd->reqlen = len;
            snd->reqoff = 0;
            nghttp2_data_provider dp = {.source.ptr = snd, .read_callback = read_body};
            if (nghttp2_submit_data(conn->h2, NGHTTP2_FLAG_NONE, snd->stream_id, &dp) != 0)
                snd->reqoff = snd->reqlen;
        }
        if (!requeue)
            kapi_grpc_call_unref(snd);
        snd = next;
    }
    while (can) {
        struct kapi_grpc_call *next = can->next;
        if (can->in_active && !can->cancelled) {
            can->cancelled = true;
            nghttp2_submit_rst_stream(conn->h2, NGHTTP2_FLAG_NONE, can->stream_id, NGHTTP2_CANCEL);
        }
        kapi_grpc_call_unref(can);
        can = next;
    }
}

/* Writes buffered output; 0 = all written or would block, -1 = broken. */
static int io_flush(struct kapi_grpc_conn *conn)
{
    for (;;) {
        if (conn->outoff == conn->outlen) {
            conn->outoff = conn->outlen = 0;
            while (conn->outlen < 65536) {
                const uint8_t *d;
                ssize_t n = nghttp2_session_mem_send(conn->h2, &d);
                if (n < 0)
                    return -1;
                if (n == 0)
                    break;
                if (conn->outlen + (size_t)n > conn->outcap) {
                    conn->outcap = (conn->outlen + (size_t)n) * 2;
                    conn->out = kapi_xrealloc(conn->out, conn->outcap);
                }
                memcpy(conn->out + conn->outlen, d, (size_t)n);
                conn->outlen += (size_t)n;
            }
            if (conn->outlen == 0)
                return 0;
        }
        size_t n = conn->outlen - conn->outoff;
        if (conn->ssl) {
            ERR_clear_error();
            int w = SSL_write(conn->ssl, conn->out + conn->outoff, (int)(n > INT32_MAX ? INT32_MAX : n));
            if (w <= 0) {
                int e = SSL_get_error(conn->ssl, w);
                return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
            }
            conn->outoff += (size_t)w;
        } else {
            ssize_t w = send(conn->fd, conn->out + conn->outoff, n, MSG_NOSIGNAL);
            if (w < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
            conn->outoff += (size_t)w;
        }
    }
}

/* Reads what is available; -1 on EOF or error. */
static int io_read(struct kapi_grpc_conn *conn)
{
    uint8_t buf[16384];
    for (;;) {
        ssize_t n;
        if (conn->ssl) {
            ERR_clear_error();
            int r = SSL_read(conn->ssl, buf, sizeof(buf));
            if (r <= 0) {
                int e = SSL_get_error(conn->ssl, r);
                return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
            }
            n = r;
        } else {
            n = recv(conn->fd, buf, sizeof(buf), 0);
            if (n == 0)
                return -1;
            if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
        }
        conn->last_recv_ms = kapi_now_ms();
        conn->ping_sent_ms = 0;
        if (nghttp2_session_mem_recv(conn->h2, buf, (size_t)n) < 0)
            return -1;
    }
}

static void *io_main(void *arg)
{
    kapi_thread_name("etcd-io");
    struct kapi_grpc_conn *conn = arg;
    /* A peer reset must not kill the process; with SIGPIPE blocked here a
     * write fails with EPIPE instead (OpenSSL's socket BIO cannot pass
     * MSG_NOSIGNAL). */
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, NULL);
    conn->last_recv_ms = kapi_now_ms();
    for (;;) {
        pthread_mutex_lock(&conn->mu);
        bool stop = conn->stopping;
        pthread_mutex_unlock(&conn->mu);
        if (stop)
            break;
        io_commands(conn);
        if (io_flush(conn) < 0)
            break;
        if (!nghttp2_session_want_read(conn->h2) && !nghttp2_session_want_write(conn->h2) &&
            conn->outoff == conn->outlen)
            break; /* GOAWAY done and every stream closed */
        int64_t now = kapi_now_ms();
        if (conn->ping_sent_ms && now - conn->ping_sent_ms > conn->ping_timeout_ms) {
            kapi_log(1, "etcd3: %s: no answer to keepalive ping, dropping connection",
                     conn->ep.authority);
            break;
        }
        if (!conn->ping_sent_ms && now - conn->last_recv_ms > conn->keepalive_ms) {
            nghttp2_submit_ping(conn->h2, NGHTTP2_FLAG_NONE, NULL);
            conn->ping_sent_ms = now;
            continue;
        }
        pthread_mutex_lock(&conn->mu);
        bool queued = conn->submit_head || conn->cancel_head || conn->send_head;
        atomic_store(&conn->io_asleep, !queued);
        pthread_mutex_unlock(&conn->mu);
        struct pollfd p[2] = {{.fd = conn->fd, .events = POLLIN}, {.fd = conn->wakefd, .events = POLLIN}};
        if (conn->outoff < conn->outlen)
            p[0].events |= POLLOUT;
        int r = poll(p, 2, queued ? 0 : 500);
        atomic_store(&conn->io_asleep, false);
        if (r < 0 && errno != EINTR)
            break;
        if (p[1].revents & POLLIN) {
            uint64_t v;
            ssize_t rr = read(conn->wakefd, &v, sizeof(v));
            (void)rr;
        }
        if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) || (conn->ssl && SSL_pending(conn->ssl))) {
            if (io_read(conn) < 0)
                break;
        }
    }
    /* Dead: nothing new gets in; every call still here ends UNAVAILABLE. */
    pthread_mutex_lock(&conn->mu);
    conn->dead = true;
    atomic_store(&conn->closed, true);
    struct kapi_grpc_call *sub = conn->submit_head, *can = conn->cancel_head;
    conn->submit_head = conn->submit_tail = NULL;
    conn->cancel_head = NULL;
    pthread_mutex_unlock(&conn->mu);
    while (conn->active) {
        struct kapi_grpc_call *c = conn->active;
        nghttp2_session_set_stream_user_data(conn->h2, c->stream_id, NULL);
        io_finish(conn, c, KAPI_STORE_UNAVAILABLE);
    }
    while (sub) {
        struct kapi_grpc_call *next = sub->next;
        io_finish(conn, sub, KAPI_STORE_UNAVAILABLE);
        sub = next;
    }
    while (can) {
        struct kapi_grpc_call *next = can->next;
        kapi_grpc_call_unref(can);
        can = next;
    }
    nghttp2_session_del(conn->h2);
    conn->h2 = NULL;
    if (conn->ssl) {
        SSL_free(conn->ssl);
        conn->ssl = NULL;
    }
    close(conn->fd);
    close(conn->wakefd);
    free(conn->out);
    conn->out = NULL;
    pthread_mutex_lock(&conn->mu);
    conn->finished = true;
    pthread_mutex_unlock(&conn->mu);
    return NULL;
}

/* ---- dialing ---- */

static int wait_fd(int fd, short ev, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - kapi_now_ms();
        if (left <= 0)
            return -1;
        struct pollfd p = {.fd = fd, .events = ev};
        int r = poll(&p, 1, (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return -1;
    }
}

static int tcp_connect(const struct kapi_grpc_endpoint *ep, int64_t deadline, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int gr = getaddrinfo(ep->host, ep->port, &hints, &res);
    if (gr) {
        seterr(err, errlen, "%s: %s", ep->authority, gai_strerror(gr));
        return -1;
    }
    int fd = -1;
    seterr(err, errlen, "%s: no address", ep->authority);
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            if (wait_fd(fd, POLLOUT, deadline) < 0) {
                seterr(err, errlen, "%s: connect timed out", ep->authority);
                close(fd);
                fd = -1;
                continue;
            }
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            r = soerr ? -1 : 0;
            errno = soerr;
        }
        if (r == 0)
            break;
        seterr(err, errlen, "%s: %s", ep->authority, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    return fd;
}

static SSL *tls_handshake(int fd, SSL_CTX *ctx, const struct kapi_grpc_endpoint *ep, int64_t deadline,
                          char *err, size_t errlen)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl) {
        seterr(err, errlen, "%s: SSL_new failed", ep->authority);
        return NULL;
    }
    SSL_set_fd(ssl, fd);
    SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    struct in6_addr a6;
    struct in_addr a4;
    bool is_ip = inet_pton(AF_INET, ep->host, &a4) == 1 || inet_pton(AF_INET6, ep->host, &a6) == 1;
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep->host);
    } else {
        SSL_set_tlsext_host_name(ssl, ep->host);
        SSL_set1_host(ssl, ep->host);
    }
    for (;;) {
        ERR_clear_error();
        int r = SSL_connect(ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(ssl, r);
        short ev = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (!ev) {
            char buf[160];
            ERR_error_string_n(ERR_peek_last_error(), buf, sizeof(buf));
            long vr = SSL_get_verify_result(ssl);
            seterr(err, errlen, "%s: TLS handshake failed: %s%s%s", ep->authority, buf,
                   vr != X509_V_OK ? ": " : "", vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
            SSL_free(ssl);
            return NULL;
        }
        if (wait_fd(fd, ev, deadline) < 0) {
            seterr(err, errlen, "%s: TLS handshake timed out", ep->authority);
            SSL_free(ssl);
            return NULL;
        }
    }
    const unsigned char *alpn = NULL;
    unsigned alpnlen = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
    if (alpnlen && (alpnlen != 2 || memcmp(alpn, "h2", 2))) {
        seterr(err, errlen, "%s: server chose ALPN %.*s, not h2", ep->authority, (int)alpnlen, alpn);
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

struct kapi_grpc_conn *kapi_grpc_dial(const struct kapi_grpc_endpoint *ep, SSL_CTX *tls,
                                      int timeout_ms, int keepalive_ms, char *err, size_t errlen)
{
    int64_t deadline = kapi_now_ms() + timeout_ms;
    if (ep->tls && !tls) {
        seterr(err, errlen, "%s: TLS endpoint without a TLS context", ep->authority);
        return NULL;
    }
    int fd = tcp_connect(ep, deadline, err, errlen);
    if (fd < 0)
        return NULL;
    SSL *ssl = NULL;
    if (ep->tls) {
        sigset_t pipe, old;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, &old);
        ssl = tls_handshake(fd, tls, ep, deadline, err, errlen);
        /* Swallow a SIGPIPE the handshake may have raised on this thread. */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE)
            ;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!ssl) {
            close(fd);
            return NULL;
        }
    }
    struct kapi_grpc_conn *c = kapi_xcalloc(1, sizeof(*c));
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->mu, NULL);
    c->fd = fd;
    c->ssl = ssl;
    c->ep = *ep;
    c->keepalive_ms = keepalive_ms;
    c->ping_timeout_ms = timeout_ms;
    c->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    int rv = nghttp2_session_client_new(&c->h2, cb, c);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0 || c->wakefd < 0) {
        seterr(err, errlen, "%s: cannot set up HTTP/2 session", ep->authority);
        if (c->h2)
            nghttp2_session_del(c->h2);
        if (c->wakefd >= 0)
            close(c->wakefd);
        SSL_free(ssl);
        close(fd);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    /* Big windows: list responses can be large and watches bursty. */
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 16 << 20},
    };
    nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, KAPI_ARRAY_LEN(iv));
    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0, 64 << 20);
    if (pthread_create(&c->thread, NULL, io_main, c) != 0) {
        seterr(err, errlen, "%s: cannot start I/O thread", ep->authority);
        nghttp2_session_del(c->h2);
        close(c->wakefd);
        SSL_free(ssl);
        close(fd);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}
