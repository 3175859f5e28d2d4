/* The HTTPS/1.1 server: one event thread (epoll) that accepts and holds idle
 * keep-alive connections, and a dynamic pool of worker threads that run the
 * TLS handshake, read one request at a time with blocking-with-deadline I/O,
 * call the handler and write the response. See docs/internals/http.md. */
#include "http_int.h"

/* How long a worker waits for the next request on a keep-alive connection
 * before parking it in the event loop. */
#define KEEPALIVE_LINGER_MS 20

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 16384          /* one TLS record of plaintext */
#define SMALL_BODY 65536          /* bodies up to this go out in the same SSL_write as the head */
#define WRITE_TIMEOUT_MS 60000    /* a write making no progress for this long kills the connection */
#define LINGER_MS 1000            /* draining unread input before closing after an error */
#define LINGER_BYTES (1 << 20)
#define WORKER_IDLE_MS 10000      /* idle workers above MIN_IDLE exit after this */
#define MIN_IDLE_WORKERS 2

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_STACK (2u << 20)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_STACK (2u << 20)
#endif
#endif
#ifndef WORKER_STACK
#define WORKER_STACK (256u << 10)
#endif

struct conn {
    struct conn *prev, *next;   /* in srv->parked or srv->active */
    struct conn *qnext;         /* in the work queue */
    struct kapi_http_server *srv;
    SSL *ssl;
    int fd;
    bool handshaken;
    bool in_epoll;
    bool parked;
    bool linked;
    bool dead;                  /* I/O failed: no close_notify, no more writes */
    int64_t idle_deadline;      /* when a parked connection is closed */
    struct kapi_http_peer peer; /* heap strings, per connection */
    char remote[64];
};

struct worker {
    struct worker *next;        /* in srv->dead_workers */
    struct worker *idle_prev, *idle_next; /* in srv->idle_workers */
    bool idle;
    struct kapi_http_server *srv;
    pthread_t tid;
    sem_t wake;                 /* posted after handoff is set (or to stop) */
    _Atomic(struct conn *) handoff;
    char *rbuf;                 /* bytes read but not consumed: [rstart, rend) */
    size_t rstart, rend, rcap;
    struct kapi_buf wbuf;
};

struct kapi_http_server {
    struct kapi_http_config cfg;
    kapi_http_handler_fn handler;
    void *ctx;
    SSL_CTX *ssl_ctx;
    bool verify_clients;
    int lfd, epfd;
    int stopfd;                 /* eventfd, readable forever once stopping */
    int wakefd;                 /* eventfd poking the event thread */
    int port;
    pthread_t event_thread;

    pthread_mutex_t mu;
    pthread_cond_t done_cv;     /* a worker exited */
    struct conn *q_head, *q_tail;
    size_t qlen;
    /* Parked connections, each list ordered by idle_deadline: new ones
     * waiting for their ClientHello (header timeout) and keep-alive ones
     * (idle timeout). One timeout per list keeps insertion at the tail. */
    struct conn parked_new;
    struct conn parked;
    struct conn active;         /* list sentinel: connections owned by workers */
    int64_t timer_deadline;     /* when the event thread wakes next (INT64_MAX: never) */
    /* Idle workers wait on their own semaphore, most recently idle first
     * (its stack and buffers are warm); a new connection goes straight to
     * one. The queue only holds work when no worker is idle. */
    struct worker *idle_workers;
    int nworkers, nidle, nstarting, max_workers;
    struct worker *dead_workers;/* exited, not yet joined */

    atomic_int stopping;
    atomic_int nconns;
};

/* Per-request state behind req->conn. */
struct txn {
    struct conn *c;
    struct worker *w;
    struct kapi_http_request *req;
    int minor;
    bool head_only;
    bool keep_alive;            /* keep the connection after this response */
    bool responded;
    bool streaming;
    bool stream_raw;            /* HTTP/1.0: no chunked, close delimits */
    bool stream_ended;
    bool hijacked;              /* the handler owns the byte stream (kapi_http_hijack) */
};

/* ---- small helpers ---- */

static void list_init(struct conn *s) { s->prev = s->next = s; }

static void list_del(struct conn *c)
{
    if (!c->linked)
        return;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->linked = false;
}

static void list_add_tail(struct conn *s, struct conn *c)
{
    c->prev = s->prev;
    c->next = s;
    s->prev->next = c;
    s->prev = c;
    c->linked = true;
}

static bool stopping(const struct kapi_http_server *srv)
{
    return atomic_load_explicit(&srv->stopping, memory_order_relaxed) != 0;
}

static void poke(int efd)
{
    uint64_t one = 1;
    ssize_t r = write(efd, &one, sizeof(one));
    (void)r;
}

/* IMF-fixdate, recomputed at most once a second per thread. */
static const char *http_date(void)
{
    static _Thread_local time_t cached = -1;
    static _Thread_local char buf[32];
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(NULL);
    if (now != cached) {
        struct tm tm;
        gmtime_r(&now, &tm);
        snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                 mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached = now;
    }
    return buf;
}

/* ---- connection I/O with deadlines ---- */

/* Waits for events on the connection until deadline. Returns 1 ready,
 * 0 timed out, -1 error or (when stop_aborts) server stopping. */
static int wait_io(struct conn *c, short events, int64_t deadline, bool stop_aborts)
{
    struct pollfd p[2] = {{.fd = c->fd, .events = events}, {.fd = c->srv->stopfd, .events = POLLIN}};
    for (;;) {
        int64_t left = deadline - kapi_now_ms();
        if (left <= 0)
            return 0;
        int r = poll(p, stop_aborts ? 2 : 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            return 0;
        if (stop_aborts && p[1].revents)
            return -1;
        return 1;
    }
}

#define RD_EOF 0
#define RD_ERR (-1)
#define RD_TIMEOUT (-2)
#define RD_AGAIN (-3)

/* SSL_read with a deadline; deadline 0 means "do not wait" (RD_AGAIN). */
static long conn_read(struct conn *c, void *buf, size_t n, int64_t deadline, bool stop_aborts)
{
    if (c->dead)
        return RD_ERR;
    if (n > INT_MAX)
        n = INT_MAX;
    for (;;) {
        int r = SSL_read(c->ssl, buf, (int)n);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (deadline == 0)
                return RD_AGAIN;
            int w = wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, stop_aborts);
            if (w > 0)
                continue;
            return w == 0 ? RD_TIMEOUT : RD_ERR;
        }
        ERR_clear_error();
        if (e == SSL_ERROR_ZERO_RETURN)
            return RD_EOF;
        c->dead = true;
        return RD_ERR;
    }
}

/* Writes all of buf; a failure marks the connection dead. */
static int conn_write(struct conn *c, const void *buf, size_t n)
{
    if (c->dead)
        return -1;
    const char *p = buf;
    int64_t deadline = kapi_now_ms() + WRITE_TIMEOUT_MS;
    while (n > 0) {
        int chunk = n > (1u << 30) ? (1 << 30) : (int)n;
        int r = SSL_write(c->ssl, p, chunk);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
            deadline = kapi_now_ms() + WRITE_TIMEOUT_MS;
            continue;
        }
        int e = SSL_get_error(c->ssl, r);
        if ((e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) &&
            wait_io(c, e == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN, deadline, false) > 0)
            continue;
        ERR_clear_error();
        c->dead = true;
        return -1;
    }
    return 0;
}

static void peer_free(struct kapi_http_peer *p)
{
    kapi_http_peer_clear(p);
}

/* Frees the connection. It must be in no list. After an error response,
 * linger drains what the client is still sending so our response is not
 * destroyed by a TCP reset. */
static void conn_destroy(struct conn *c, bool linger)
{
    struct kapi_http_server *srv = c->srv;
    if (c->ssl && c->handshaken && !c->dead) {
        (void)SSL_shutdown(c->ssl); /* one close_notify; we never wait for the peer's */
        ERR_clear_error();
    }
    if (linger && !c->dead) {
        shutdown(c->fd, SHUT_WR);
        int64_t deadline = kapi_now_ms() + LINGER_MS;
        size_t total = 0;
        char tmp[4096];
        while (total < LINGER_BYTES && wait_io(c, POLLIN, deadline, true) > 0) {
            ssize_t r = recv(c->fd, tmp, sizeof(tmp), 0);
            if (r <= 0)
                break;
            total += (size_t)r;
        }
    }
    SSL_free(c->ssl);
    close(c->fd);
    peer_free(&c->peer);
    free(c);
    atomic_fetch_sub(&srv->nconns, 1);
}

/* ---- threads and queues ---- */

static void *worker_main(void *arg);

static void reap_workers(struct kapi_http_server *srv)
{
    while (srv->dead_workers) {
        struct worker *w = srv->dead_workers;
        srv->dead_workers = w->next;
        pthread_join(w->tid, NULL);
        sem_destroy(&w->wake);
        free(w);
    }
}

static void idle_push(struct kapi_http_server *srv, struct worker *w)
{
    w->idle_prev = NULL;
    w->idle_next = srv->idle_workers;
    if (w->idle_next)
        w->idle_next->idle_prev = w;
    srv->idle_workers = w;
    w->idle = true;
    srv->nidle++;
}

static void idle_remove(struct kapi_http_server *srv, struct worker *w)
{
    if (!w->idle)
        return;
    if (w->idle_prev)
        w->idle_prev->idle_next = w->idle_next;
    else
        srv->idle_workers = w->idle_next;
    if (w->idle_next)
        w->idle_next->idle_prev = w->idle_prev;
    w->idle = false;
    srv->nidle--;
}

/* Called with mu held. */
static void spawn_worker(struct kapi_http_server *srv)
{
    reap_workers(srv);
    struct worker *w = kapi_xcalloc(1, sizeof(*w));
    w->srv = srv;
    sem_init(&w->wake, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    int rc = pthread_create(&w->tid, &attr, worker_main, w);
    if (rc != 0) {
        kapi_log(0, "http: cannot start a worker thread: %s", strerror(rc));
        sem_destroy(&w->wake);
        free(w);
    } else {
        srv->nworkers++;
        srv->nstarting++;
    }
    pthread_attr_destroy(&attr);
}

/* Gives c to an idle worker, or queues it. Called with mu held; returns
 * the worker the caller must sem_post once it has dropped mu (posting with
 * mu held would wake the worker straight into a contended lock). Only the
 * event thread calls this, and only it reaps exited workers, so the worker
 * is still alive when it is posted. */
static struct worker *enqueue_locked(struct kapi_http_server *srv, struct conn *c)
{
    struct worker *w = srv->idle_workers;
    if (w) {
        idle_remove(srv, w);
        list_add_tail(&srv->active, c);
        atomic_store(&w->handoff, c);
        return w;
    }
    c->qnext = NULL;
    if (srv->q_tail)
        srv->q_tail->qnext = c;
    else
        srv->q_head = c;
    srv->q_tail = c;
    srv->qlen++;
    /* Workers being started will each take one queued connection. */
    if (srv->qlen > (size_t)srv->nstarting && srv->nworkers < srv->max_workers)
        spawn_worker(srv);
    return NULL;
}

/* Takes the oldest queued connection, now owned by a worker. mu held. */
static struct conn *queue_pop(struct kapi_http_server *srv)
{
    struct conn *c = srv->q_head;
    if (!c)
        return NULL;
    srv->q_head = c->qnext;
    if (!srv->q_head)
        srv->q_tail = NULL;
    srv->qlen--;
    list_add_tail(&srv->active, c);
    return c;
}

/* Hands a connection with nothing buffered back to the event thread.
 * Called with mu held. Returns -1 when the connection must be destroyed
 * instead; sets *wake when the event thread must recompute its timer. */
static int park_locked(struct conn *c, bool *wake)
{
    struct kapi_http_server *srv = c->srv;
    list_del(c);
    if (stopping(srv))
        return -1;
    /* Deadlines are almost always the latest, so the walk is short. */
    struct conn *list = c->handshaken ? &srv->parked : &srv->parked_new;
    struct conn *pos = list->prev;
    while (pos != list && pos->idle_deadline > c->idle_deadline)
        pos = pos->prev;
    c->prev = pos;
    c->next = pos->next;
    pos->next->prev = c;
    pos->next = c;
    c->linked = true;
    c->parked = true;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, .data.ptr = c};
    if (epoll_ctl(srv->epfd, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        list_del(c);
        c->parked = false;
        return -1;
    }
    c->in_epoll = true;
    *wake = c->idle_deadline < srv->timer_deadline;
    return 0;
}

/* ---- TLS ---- */

static void fill_peer(struct conn *c)
{
    X509 *x = SSL_get0_peer_certificate(c->ssl);
    if (!x || SSL_get_verify_result(c->ssl) != X509_V_OK)
        return;
    kapi_http_peer_fill(&c->peer, x);
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(c->ssl); /* server side: without the leaf */
    size_t total = 0;
    for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        int l = i2d_X509(sk_X509_value(chain, i), NULL);
        if (l > 0 && X509_cmp(sk_X509_value(chain, i), x) != 0)
            total += (size_t)l;
    }
    if (total) {
        unsigned char *d = kapi_xmalloc(total), *q = d;
        for (int i = 0; i < sk_X509_num(chain); i++)
            if (X509_cmp(sk_X509_value(chain, i), x) != 0)
                i2d_X509(sk_X509_value(chain, i), &q);
        c->peer.chain_der = d;
        c->peer.chain_der_len = (size_t)(q - d);
    }
}

static int handshake(struct conn *c)
{
    struct kapi_http_server *srv = c->srv;
    c->ssl = SSL_new(srv->ssl_ctx);
    if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
        return -1;
    int64_t deadline = kapi_now_ms() + srv->cfg.header_timeout_ms;
    for (;;) {
        int r = SSL_accept(c->ssl);
        if (r == 1)
            break;
        int e = SSL_get_error(c->ssl, r);
        if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
            wait_io(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, true) > 0)
            continue;
        if (KAPI_LOG_ENABLED(2)) {
            unsigned long err = ERR_peek_error();
            kapi_log(2, "http: TLS handshake with %s failed: %s", c->remote,
                     err ? ERR_reason_error_string(err) : "timeout or reset");
        }
        ERR_clear_error();
        c->dead = true;
        return -1;
    }
    c->handshaken = true;
    if (srv->verify_clients)
        fill_peer(c);
    c->idle_deadline = kapi_now_ms() + srv->cfg.idle_timeout_ms;
    return 0;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
                       unsigned int inlen, void *arg)
{
    static const unsigned char ours[] = "\x08http/1.1";
    unsigned char *sel = NULL;
    if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) == OPENSSL_NPN_NEGOTIATED) {
        *out = sel;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_NOACK;
}

/* ---- responses ---- */

/* want is lowercase; the first letters are compared inline, as most
 * names differ there. */
static bool hdr_is(const char *name, const char *want)
{
    return (name[0] | 0x20) == want[0] && strcasecmp(name, want) == 0;
}

/* Appends the status line, our headers and the caller's to w->wbuf. */
static void build_head(struct txn *t, int status, const struct kapi_http_header *hdrs, size_t nhdrs,
                       const char *framing)
{
    struct kapi_buf *b = &t->w->wbuf;
    for (size_t i = 0; i < nhdrs; i++) {
        if (hdr_is(hdrs[i].name, "connection") && strcasestr(hdrs[i].value, "close"))
            t->keep_alive = false;
    }
    if (stopping(t->c->srv))
        t->keep_alive = false;
    kapi_buf_reset(b);
    char code[21];
    kapi_buf_append(b, "HTTP/1.1 ", 9);
    kapi_buf_append(b, code, kapi_fmt_i64(code, status));
    kapi_buf_putc(b, ' ');
    kapi_buf_puts(b, kapi_http_reason(status));
    kapi_buf_append(b, "\r\nDate: ", 8);
    kapi_buf_puts(b, http_date());
    kapi_buf_append(b, "\r\n", 2);
    if (framing)
        kapi_buf_puts(b, framing);
    for (size_t i = 0; i < nhdrs; i++) {
        const char *n = hdrs[i].name, *v = hdrs[i].value ? hdrs[i].value : "";
        if (hdr_is(n, "content-length") || hdr_is(n, "transfer-encoding") || hdr_is(n, "connection") ||
            hdr_is(n, "date"))
            continue;
        if (strpbrk(n, "\r\n:") || strpbrk(v, "\r\n")) {
            kapi_log(0, "http: dropping response header %s with a line break", n);
            continue;
        }
        kapi_buf_puts(b, n);
        kapi_buf_append(b, ": ", 2);
        kapi_buf_puts(b, v);
        kapi_buf_append(b, "\r\n", 2);
    }
    if (!t->keep_alive)
        kapi_buf_puts(b, "Connection: close\r\n");
    else if (t->minor == 0)
        kapi_buf_puts(b, "Connection: keep-alive\r\n");
    kapi_buf_append(b, "\r\n", 2);
}

static void wbuf_trim(struct worker *w)
{
    if (w->wbuf.cap > 4 * SMALL_BODY) {
        kapi_buf_dispose(&w->wbuf);
        kapi_buf_init(&w->wbuf, 0);
    }
}

int kapi_http_respond(struct kapi_http_request *req, int status, const struct kapi_http_header *hdrs,
                      size_t nhdrs, const void *body, size_t len)
{
    struct txn *t = req->conn;
    if (t->responded)
        return -1;
    t->responded = true;
    if (t->c->dead)
        return -1;
    bool bodyless = status < 200 || status == 204 || status == 304;
    char framing[48] = "Content-Length: ";
    size_t fl = 16 + kapi_fmt_i64(framing + 16, (int64_t)len);
    memcpy(framing + fl, "\r\n", 3);
    build_head(t, status, hdrs, nhdrs, bodyless ? NULL : framing);
    bool send_body = !bodyless && !t->head_only && len > 0;
    struct kapi_buf *b = &t->w->wbuf;
    int rc;
    if (send_body && len <= SMALL_BODY) {
        kapi_buf_append(b, body, len);
        rc = conn_write(t->c, b->data, b->len);
    } else {
        rc = conn_write(t->c, b->data, b->len);
        if (rc == 0 && send_body)
            rc = conn_write(t->c, body, len);
    }
    wbuf_trim(t->w);
    return rc;
}

int kapi_http_stream_begin(struct kapi_http_request *req, int status, const struct kapi_http_header *hdrs,
                           size_t nhdrs)
{
    struct txn *t = req->conn;
    if (t->responded)
        return -1;
    t->responded = true;
    t->streaming = true;
    if (t->c->dead)
        return -1;
    if (t->minor == 0) {
        t->stream_raw = true; /* HTTP/1.0 has no chunked coding: the close ends the body */
        t->keep_alive = false;
    }
    build_head(t, status, hdrs, nhdrs, t->stream_raw ? NULL : "Transfer-Encoding: chunked\r\n");
    return conn_write(t->c, t->w->wbuf.data, t->w->wbuf.len);
}

int kapi_http_stream_write(struct kapi_http_request *req, const void *data, size_t len)
{
    struct txn *t = req->conn;
    if (!t->streaming || t->stream_ended || t->c->dead)
        return -1;
    if (len == 0 || t->head_only)
        return 0;
    if (t->stream_raw)
        return conn_write(t->c, data, len);
    char size[24];
    int sn = snprintf(size, sizeof(size), "%zx\r\n", len);
    if (len <= SMALL_BODY) {
        struct kapi_buf *b = &t->w->wbuf;
        kapi_buf_reset(b);
        kapi_buf_append(b, size, (size_t)sn);
        kapi_buf_append(b, data, len);
        kapi_buf_append(b, "\r\n", 2);
        int rc = conn_write(t->c, b->data, b->len);
        wbuf_trim(t->w);
        return rc;
    }
    if (conn_write(t->c, size, (size_t)sn) < 0 || conn_write(t->c, data, len) < 0)
        return -1;
    return conn_write(t->c, "\r\n", 2);
}

void kapi_http_stream_end(struct kapi_http_request *req)
{
    struct txn *t = req->conn;
    if (!t->streaming || t->stream_ended)
        return;
    t->stream_ended = true;
    if (!t->stream_raw && !t->head_only)
        (void)conn_write(t->c, "0\r\n\r\n", 5);
}

int kapi_http_hijack(struct kapi_http_request *req, const void *head, size_t len)
{
    struct txn *t = req->conn;
    if (t->responded)
        return -1;
    t->responded = true;
    t->hijacked = true;
    t->keep_alive = false; /* the connection never goes back to the keep-alive pool */
    if (t->c->dead)
        return -1;
    return len ? conn_write(t->c, head, len) : 0;
}

int kapi_http_raw_fd(struct kapi_http_request *req)
{
    struct txn *t = req->conn;
    return t->c->fd;
}

bool kapi_http_raw_pending(struct kapi_http_request *req)
{
    struct txn *t = req->conn;
    return t->w->rend > t->w->rstart || SSL_has_pending(t->c->ssl);
}

long kapi_http_raw_read(struct kapi_http_request *req, void *buf, size_t n)
{
    struct txn *t = req->conn;
    struct worker *w = t->w;
    if (!t->hijacked || n == 0)
        return -1;
    /* Bytes the client sent right after its request came in with it. */
    if (w->rend > w->rstart) {
        size_t m = w->rend - w->rstart;
        if (m > n)
            m = n;
        memcpy(buf, w->rbuf + w->rstart, m);
        w->rstart += m;
        return (long)m;
    }
    if (stopping(t->c->srv))
        return -1;
    long r = conn_read(t->c, buf, n, 0, false);
    if (r == RD_AGAIN)
        return KAPI_HTTP_RAW_AGAIN;
    return r < 0 ? -1 : r;
}

long kapi_http_raw_write(struct kapi_http_request *req, const void *buf, size_t n)
{
    struct txn *t = req->conn;
    struct conn *c = t->c;
    if (!t->hijacked || c->dead || n == 0)
        return -1;
    if (n > INT_MAX)
        n = INT_MAX;
    int r = SSL_write(c->ssl, buf, (int)n);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
        return KAPI_HTTP_RAW_AGAIN;
    ERR_clear_error();
    c->dead = true;
    return -1;
}

bool kapi_http_client_gone(struct kapi_http_request *req)
{
    struct txn *t = req->conn;
    struct conn *c = t->c;
    if (c->dead || stopping(c->srv))
        return true;
    struct pollfd p = {.fd = c->fd, .events = POLLIN | POLLRDHUP};
    if (poll(&p, 1, 0) < 0)
        return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
        return true;
    if (SSL_has_pending(c->ssl))
        return false;
    if (p.revents & POLLIN) {
        /* Readable: either more requests (pipelined, not gone) or a TLS
         * close_notify (gone). Peeking keeps any data for later. */
        char byte;
        int r = SSL_peek(c->ssl, &byte, 1);
        if (r > 0)
            return false;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return false;
        ERR_clear_error();
        if (e != SSL_ERROR_ZERO_RETURN)
            c->dead = true;
        return true;
    }
    return false;
}

const char *kapi_http_header(const struct kapi_http_request *req, const char *name)
{
    int first = name[0] | 0x20;
    for (size_t i = 0; i < req->nheaders; i++)
        if ((req->headers[i].name[0] | 0x20) == first && strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* A response the server makes itself for a request it cannot pass on. */
static void send_error(struct worker *w, struct conn *c, int status)
{
    char msg[512];
    const char *reason = kapi_http_reason(status);
    int n = snprintf(msg, sizeof(msg),
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                     status, reason, http_date(), strlen(reason) + 1, reason);
    (void)conn_write(c, msg, (size_t)n);
}

/* ---- serving one connection ---- */

/* What to do with a connection after serving; 0 means "carry on". */
enum next { NEXT_PARK = 1, NEXT_CLOSE, NEXT_LINGER };

/* Makes room for at least READ_CHUNK more bytes when the head limit allows. */
static void rbuf_space(struct worker *w, size_t limit)
{
    if (w->rstart == w->rend) {
        w->rstart = w->rend = 0;
    } else if (w->rstart > 0 && w->rcap - w->rend < READ_CHUNK) {
        memmove(w->rbuf, w->rbuf + w->rstart, w->rend - w->rstart);
        w->rend -= w->rstart;
        w->rstart = 0;
    }
    if (w->rcap - w->rend < READ_CHUNK && w->rcap < limit) {
        size_t ncap = w->rcap ? w->rcap * 2 : READ_CHUNK * 2;
        if (ncap > limit)
            ncap = limit;
        w->rbuf = kapi_xrealloc(w->rbuf, ncap);
        w->rcap = ncap;
    }
}

static void rbuf_trim(struct worker *w)
{
    if (w->rstart == w->rend && w->rcap > 4 * READ_CHUNK) {
        free(w->rbuf);
        w->rbuf = NULL;
        w->rcap = w->rstart = w->rend = 0;
    }
}

/* Reads the body announced by head into req. Returns 0, or the next step
 * for the connection when the request cannot be completed. */
static int read_body(struct worker *w, struct conn *c, const struct kapi_http_head *h,
                     struct kapi_http_request *req)
{
    struct kapi_http_server *srv = c->srv;
    size_t max = srv->cfg.max_body;
    if (h->has_length && h->content_length > max) {
        req->error = KAPI_HTTP_BODY_TOO_LARGE;
        return 0;
    }
    if (h->expect_continue && h->minor == 1 && w->rend == w->rstart) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (conn_write(c, cont, sizeof(cont) - 1) < 0)
            return NEXT_CLOSE;
    }
    int64_t deadline = kapi_now_ms() + srv->cfg.body_timeout_ms;
    if (h->has_length) {
        size_t len = (size_t)h->content_length;
        char *body = kapi_pool_alloc(req->pool, len + 1);
        size_t have = w->rend - w->rstart;
        if (have > len)
            have = len;
        memcpy(body, w->rbuf + w->rstart, have);
        w->rstart += have;
        while (have < len) {
            long r = conn_read(c, body + have, len - have, deadline, false);
            if (r <= 0)
                return NEXT_CLOSE;
            have += (size_t)r;
        }
        body[len] = 0;
        req->body = body;
        req->body_len = len;
        return 0;
    }
    struct kapi_buf out;
    kapi_buf_init(&out, max);
    struct kapi_http_chunked d = {0};
    for (;;) {
        size_t used = 0;
        int rc = kapi_http_chunked_feed(&d, w->rbuf + w->rstart, w->rend - w->rstart, &used, &out);
        w->rstart += used;
        if (rc == KAPI_HTTP_CHUNK_DONE)
            break;
        if (rc == KAPI_HTTP_CHUNK_BAD) {
            kapi_buf_dispose(&out);
            send_error(w, c, 400);
            return NEXT_LINGER;
        }
        if (rc == KAPI_HTTP_CHUNK_TOO_LARGE) {
            kapi_buf_dispose(&out);
            req->error = KAPI_HTTP_BODY_TOO_LARGE;
            return 0;
        }
        rbuf_space(w, READ_CHUNK * 2);
        long r = conn_read(c, w->rbuf + w->rend, w->rcap - w->rend, deadline, false);
        if (r <= 0) {
            kapi_buf_dispose(&out);
            return NEXT_CLOSE;
        }
        w->rend += (size_t)r;
    }
    if (out.len > 0) {
        size_t len;
        char *data = kapi_buf_steal(&out, &len);
        kapi_pool_cleanup(req->pool, free, data);
        req->body = data;
        req->body_len = len;
    }
    kapi_buf_dispose(&out);
    return 0;
}

/* Serves requests on c until it should be parked or closed. */
static enum next serve_requests(struct worker *w, struct conn *c)
{
    struct kapi_http_server *srv = c->srv;
    size_t max_head = srv->cfg.max_header_bytes;
    for (;;) {
        /* Phase 1: the head. With nothing buffered we only peek at the
         * socket: an idle connection goes back to the event thread. */
        size_t scan = 0, head_len = 0;
        int64_t deadline = 0;
        for (;;) {
            if (stopping(srv))
                return NEXT_CLOSE;
            size_t avail = w->rend - w->rstart;
            if (avail > 0) {
                w->rstart += kapi_http_skip_empty_lines(w->rbuf + w->rstart, avail);
                avail = w->rend - w->rstart;
            }
            if (avail > 0) {
                if (!deadline)
                    deadline = kapi_now_ms() + srv->cfg.header_timeout_ms;
                head_len = kapi_http_find_head_end(w->rbuf + w->rstart, avail, &scan);
                if (head_len)
                    break;
                if (avail >= max_head) {
                    send_error(w, c, 431);
                    return NEXT_LINGER;
                }
            }
            rbuf_space(w, max_head + READ_CHUNK);
            long r = conn_read(c, w->rbuf + w->rend, w->rcap - w->rend, deadline, true);
            if (r == RD_AGAIN)
                return NEXT_PARK;
            if (r <= 0)
                return NEXT_CLOSE; /* EOF, error, header timeout, or stopping */
            w->rend += (size_t)r;
            if (!deadline)
                deadline = kapi_now_ms() + srv->cfg.header_timeout_ms;
        }
        if (head_len > max_head) {
            send_error(w, c, 431);
            return NEXT_LINGER;
        }

        /* Phase 2: parse. */
        struct kapi_pool *pool = kapi_pool_new();
        struct kapi_http_head h;
        int prc = kapi_http_parse_head(pool, w->rbuf + w->rstart, head_len, &h);
        w->rstart += head_len;
        if (prc < 0) {
            kapi_pool_free(pool);
            send_error(w, c, -prc);
            return NEXT_LINGER;
        }
        struct kapi_http_request *req = kapi_pool_calloc(pool, sizeof(*req));
        struct txn *t = kapi_pool_calloc(pool, sizeof(*t));
        t->c = c;
        t->w = w;
        t->req = req;
        t->minor = h.minor;
        t->head_only = strcmp(h.method, "HEAD") == 0;
        t->keep_alive = h.keep_alive;
        req->pool = pool;
        req->method = h.method;
        req->target = h.target;
        req->path = h.path;
        req->raw_path = h.raw_path;
        req->query = h.query;
        req->headers = h.headers;
        req->nheaders = h.nheaders;
        req->peer = c->peer;
        req->peer.request = req;
        req->remote_addr = c->remote;
        req->conn = t;

        /* Phase 3: the body. */
        if (h.chunked || (h.has_length && h.content_length > 0)) {
            int brc = read_body(w, c, &h, req);
            if (brc) {
                kapi_pool_free(pool);
                return (enum next)brc;
            }
            if (req->error)
                t->keep_alive = false; /* unread body bytes make the stream unusable */
        }

        /* Phase 4: the handler. */
        srv->handler(srv->ctx, req);
        if (t->streaming)
            kapi_http_stream_end(req);
        else if (!t->responded) {
            kapi_log(0, "http: handler sent no response to %s %s", req->method, req->target);
            t->keep_alive = false;
            kapi_http_respond(req, 500, NULL, 0, NULL, 0);
        }
        bool keep = t->keep_alive && !c->dead;
        bool err = req->error != KAPI_HTTP_OK;
        kapi_pool_free(pool);
        if (!keep)
            return err ? NEXT_LINGER : NEXT_CLOSE;
        c->idle_deadline = kapi_now_ms() + srv->cfg.idle_timeout_ms;
        /* With read-ahead, whole records may wait inside OpenSSL where epoll
         * cannot see them: SSL_has_pending covers those too. */
        if (w->rend == w->rstart && !SSL_has_pending(c->ssl)) {
            /* A busy keep-alive client usually sends its next request within
             * a round trip: wait briefly on the socket here rather than hand
             * the connection to the event thread and back (two thread
             * switches per request). Idle connections still park. */
            struct pollfd p = {.fd = c->fd, .events = POLLIN};
            if (KEEPALIVE_LINGER_MS <= 0 || stopping(srv) || poll(&p, 1, KEEPALIVE_LINGER_MS) <= 0 ||
                !(p.revents & POLLIN))
                return NEXT_PARK;
        }
        /* More bytes are already here (pipelining): keep going. */
    }
}

static enum next serve(struct worker *w, struct conn *c)
{
    struct kapi_http_server *srv = c->srv;
    enum next nx = NEXT_CLOSE;
    if (!stopping(srv) && (c->handshaken || handshake(c) == 0))
        nx = serve_requests(w, c);
    /* A parked connection keeps no record buffers (a no-op while OpenSSL
     * still holds unread bytes). */
    if (nx == NEXT_PARK)
        SSL_free_buffers(c->ssl);
    /* Whatever was buffered belonged to this connection. */
    w->rstart = w->rend = 0;
    rbuf_trim(w);
    return nx;
}

static void *worker_main(void *arg)
{
    kapi_thread_name("http-worker");
    struct worker *w = arg;
    struct kapi_http_server *srv = w->srv;
    kapi_buf_init(&w->wbuf, 0);
    pthread_mutex_lock(&srv->mu);
    srv->nstarting--;
    for (;;) {
        /* mu is held here. */
        struct conn *c = atomic_exchange(&w->handoff, NULL);
        if (!c)
            c = queue_pop(srv);
        if (!c && stopping(srv))
            break;
        if (!c)
            idle_push(srv, w);
        pthread_mutex_unlock(&srv->mu);
        if (!c) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += WORKER_IDLE_MS / 1000;
            int rc;
            while ((rc = sem_timedwait(&w->wake, &ts)) < 0 && errno == EINTR)
                ;
            c = atomic_exchange(&w->handoff, NULL);
            if (!c) {
                /* Timed out, told to stop, or a stale post left by a
                 * hand-off that raced with an earlier timeout. */
                pthread_mutex_lock(&srv->mu);
                idle_remove(srv, w);
                if (rc < 0 && !w->handoff && srv->nidle >= MIN_IDLE_WORKERS)
                    break;
                continue;
            }
        }
        enum next nx = serve(w, c);
        bool wake = false, destroy = nx != NEXT_PARK;
        pthread_mutex_lock(&srv->mu);
        if (destroy)
            list_del(c);
        else if (park_locked(c, &wake) < 0)
            destroy = true;
        if (destroy || wake) {
            pthread_mutex_unlock(&srv->mu);
            if (wake)
                poke(srv->wakefd);
            if (destroy)
                conn_destroy(c, nx == NEXT_LINGER);
            pthread_mutex_lock(&srv->mu);
        }
    }
    free(w->rbuf);
    kapi_buf_dispose(&w->wbuf);
    srv->nworkers--;
    w->next = srv->dead_workers;
    srv->dead_workers = w;
    pthread_cond_broadcast(&srv->done_cv);
    pthread_mutex_unlock(&srv->mu);
    return NULL;
}

/* ---- the event thread ---- */

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
        snprintf(out, outlen, "%s:%d", host, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        port = ntohs(a->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
            inet_ntop(AF_INET, &a->sin6_addr.s6_addr[12], host, sizeof(host));
            snprintf(out, outlen, "%s:%d", host, port);
        } else {
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            snprintf(out, outlen, "[%s]:%d", host, port);
        }
    } else {
        snprintf(out, outlen, "unknown");
    }
}

static void accept_all(struct kapi_http_server *srv)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(srv->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                kapi_log(0, "http: accept: %s", strerror(errno));
                usleep(10000); /* the listener stays readable: do not spin */
            }
            return;
        }
        if (atomic_load(&srv->nconns) >= srv->cfg.max_connections) {
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct conn *c = kapi_xcalloc(1, sizeof(*c));
        c->srv = srv;
        c->fd = fd;
        format_addr(&ss, c->remote, sizeof(c->remote));
        atomic_fetch_add(&srv->nconns, 1);
        /* Park it until the ClientHello arrives, so clients that connect and
         * say nothing cost no worker. */
        c->idle_deadline = kapi_now_ms() + srv->cfg.header_timeout_ms;
        bool wake;
        pthread_mutex_lock(&srv->mu);
        int rc = park_locked(c, &wake);
        pthread_mutex_unlock(&srv->mu);
        if (rc < 0)
            conn_destroy(c, false);
    }
}

static char listen_tag, wake_tag, stop_tag;

static void *event_main(void *arg)
{
    kapi_thread_name("http-accept");
    struct kapi_http_server *srv = arg;
    struct epoll_event evs[128];
    for (;;) {
        struct conn *expired = NULL;
        int64_t now = kapi_now_ms();
        pthread_mutex_lock(&srv->mu);
        /* With nothing parked, still wake once per timeout: connections
         * parked later expire after that, so they need no poke. */
        srv->timer_deadline = now + srv->cfg.idle_timeout_ms;
        struct conn *lists[] = {&srv->parked, &srv->parked_new};
        for (int l = 0; l < 2; l++) {
            struct conn *list = lists[l];
            while (list->next != list && list->next->idle_deadline <= now) {
                struct conn *c = list->next;
                list_del(c);
                c->parked = false;
                c->qnext = expired;
                expired = c;
            }
            if (list->next != list && list->next->idle_deadline < srv->timer_deadline)
                srv->timer_deadline = list->next->idle_deadline;
        }
        int64_t timer = srv->timer_deadline;
        pthread_mutex_unlock(&srv->mu);
        while (expired) {
            struct conn *c = expired;
            expired = c->qnext;
            conn_destroy(c, false);
        }
        if (stopping(srv))
            break;
        int timeout = -1;
        if (timer != INT64_MAX) {
            int64_t left = timer - now + 1;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        int n = epoll_wait(srv->epfd, evs, (int)KAPI_ARRAY_LEN(evs), timeout);
        if (n < 0 && errno != EINTR) {
            kapi_log(0, "http: epoll_wait: %s", strerror(errno));
            usleep(10000);
        }
        /* Ready connections are handed over in one critical section;
         * their workers are posted after it. */
        struct worker *posts[KAPI_ARRAY_LEN(evs)];
        int nposts = 0;
        bool locked = false, accept = false;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &listen_tag) {
                accept = !stopping(srv);
            } else if (p == &wake_tag) {
                uint64_t v;
                ssize_t r = read(srv->wakefd, &v, sizeof(v));
                (void)r;
            } else if (p != &stop_tag) { /* stop: the loop top sees it */
                struct conn *c = p;
                if (!locked) {
                    pthread_mutex_lock(&srv->mu);
                    locked = true;
                }
                if (c->parked) {
                    list_del(c);
                    c->parked = false;
                    struct worker *w = enqueue_locked(srv, c);
                    if (w)
                        posts[nposts++] = w;
                }
            }
        }
        if (locked)
            pthread_mutex_unlock(&srv->mu);
        for (int i = 0; i < nposts; i++)
            sem_post(&posts[i]->wake);
        if (accept)
            accept_all(srv);
    }
    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->lfd, NULL);
    close(srv->lfd);
    srv->lfd = -1;
    /* Idle connections have no request in flight: close them now. */
    pthread_mutex_lock(&srv->mu);
    struct conn *idle = NULL;
    while (srv->parked.next != &srv->parked || srv->parked_new.next != &srv->parked_new) {
        struct conn *c = srv->parked.next != &srv->parked ? srv->parked.next : srv->parked_new.next;
        list_del(c);
        c->parked = false;
        c->qnext = idle;
        idle = c;
    }
    pthread_mutex_unlock(&srv->mu);
    while (idle) {
        struct conn *c = idle;
        idle = c->qnext;
        conn_destroy(c, false);
    }
    return NULL;
}

/* ---- start / stop ---- */

static void ssl_err(char *err, size_t errlen, const char *what, const char *file)
{
    unsigned long e = ERR_get_error();
    char reason[256] = "";
    if (e)
        ERR_error_string_n(e, reason, sizeof(reason));
    snprintf(err, errlen, "%s %s: %s", what, file ? file : "", reason);
    ERR_clear_error();
}

static SSL_CTX *make_ssl_ctx(const struct kapi_http_config *cfg, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_err(err, errlen, "cannot create TLS context", NULL);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* Record buffers stay while a worker serves the connection (a busy
     * keep-alive client would otherwise pay a malloc and a free of 16+ KiB
     * per record); serve() frees them when it parks the connection. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    static const unsigned char sid_ctx[] = "kapi-http";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    /* One read() per record instead of two (header, then body). */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
        ssl_err(err, errlen, "cannot load certificate", cfg->cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
        ssl_err(err, errlen, "cannot load private key", cfg->key_file);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_err(err, errlen, "private key does not match certificate", cfg->key_file);
        goto fail;
    }
    if (cfg->client_ca_file) {
        if (SSL_CTX_load_verify_locations(ctx, cfg->client_ca_file, NULL) != 1) {
            ssl_err(err, errlen, "cannot load client CA", cfg->client_ca_file);
            goto fail;
        }
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->client_ca_file);
        if (cfg->extra_client_ca_file) {
            if (SSL_CTX_load_verify_locations(ctx, cfg->extra_client_ca_file, NULL) != 1) {
                ssl_err(err, errlen, "cannot load client CA", cfg->extra_client_ca_file);
                sk_X509_NAME_pop_free(names, X509_NAME_free);
                goto fail;
            }
            if (names)
                SSL_add_file_cert_subjects_to_stack(names, cfg->extra_client_ca_file);
        }
        if (names)
            SSL_CTX_set_client_CA_list(ctx, names);
        ERR_clear_error();
        /* Certificates are optional (other authenticators may apply), but
         * one that is sent must verify. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

static int make_listener(const struct kapi_http_config *cfg, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", cfg->port);
    const char *host = cfg->bind_address && *cfg->bind_address ? cfg->bind_address : "0.0.0.0";
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "bad bind address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        freeaddrinfo(ai);
        return -1;
    }
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, cfg->port, strerror(errno));
        close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    return fd;
}

struct kapi_http_server *kapi_http_server_start(const struct kapi_http_config *cfg, kapi_http_handler_fn handler,
                                                void *ctx, char *err, size_t errlen)
{
    struct kapi_http_server *srv = kapi_xcalloc(1, sizeof(*srv));
    srv->cfg = *cfg;
    struct kapi_http_config *c = &srv->cfg;
    if (!c->max_header_bytes)
        c->max_header_bytes = 1 << 20;
    if (!c->max_body)
        c->max_body = 3 << 20;
    if (c->header_timeout_ms <= 0)
        c->header_timeout_ms = 60000;
    if (c->body_timeout_ms <= 0)
        c->body_timeout_ms = 60000;
    if (c->idle_timeout_ms <= 0)
        c->idle_timeout_ms = 90000;
    if (c->max_connections <= 0)
        c->max_connections = 10000;
    /* Only the path strings matter after start; do not keep the caller's. */
    c->cert_file = c->key_file = c->client_ca_file = c->extra_client_ca_file = c->bind_address = NULL;
    srv->handler = handler;
    srv->ctx = ctx;
    srv->max_workers = c->max_connections + 8;
    srv->lfd = srv->epfd = srv->stopfd = srv->wakefd = -1;
    srv->timer_deadline = INT64_MAX;
    list_init(&srv->parked);
    list_init(&srv->parked_new);
    list_init(&srv->active);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->done_cv, NULL);

    srv->ssl_ctx = make_ssl_ctx(cfg, err, errlen);
    if (!srv->ssl_ctx)
        goto fail;
    srv->verify_clients = cfg->client_ca_file != NULL;
    srv->lfd = make_listener(cfg, err, errlen);
    if (srv->lfd < 0)
        goto fail;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(srv->lfd, (struct sockaddr *)&ss, &sl);
    srv->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    srv->epfd = epoll_create1(EPOLL_CLOEXEC);
    srv->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    srv->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (srv->epfd < 0 || srv->stopfd < 0 || srv->wakefd < 0) {
        snprintf(err, errlen, "epoll/eventfd: %s", strerror(errno));
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_tag};
    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev);
    ev.data.ptr = &wake_tag;
    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->wakefd, &ev);
    ev.data.ptr = &stop_tag;
    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->stopfd, &ev);

    /* Writes to a reset socket raise SIGPIPE in the writing thread. Block it
     * in our threads (they inherit the mask from the event thread) instead of
     * changing the process-wide disposition. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int prc = pthread_create(&srv->event_thread, NULL, event_main, srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (prc != 0) {
        snprintf(err, errlen, "cannot start the event thread: %s", strerror(prc));
        goto fail;
    }
    kapi_log(1, "http: serving HTTPS on %s port %d", cfg->bind_address ? cfg->bind_address : "0.0.0.0",
             srv->port);
    return srv;
fail:
    if (srv->lfd >= 0)
        close(srv->lfd);
    if (srv->epfd >= 0)
        close(srv->epfd);
    if (srv->stopfd >= 0)
        close(srv->stopfd);
    if (srv->wakefd >= 0)
        close(srv->wakefd);
    SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->done_cv);
    free(srv);
    return NULL;
}

int kapi_http_server_port(const struct kapi_http_server *srv)
{
    return srv->port;
}

void kapi_http_server_stop(struct kapi_http_server *srv, int grace_ms)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1);
    poke(srv->stopfd); /* wakes the event thread and every worker waiting on I/O */
    pthread_join(srv->event_thread, NULL);

    int64_t deadline = kapi_now_ms() + (grace_ms > 0 ? grace_ms : 0);
    bool forced = false;
    pthread_mutex_lock(&srv->mu);
    /* Idle workers exit; busy ones exit after their connection. */
    while (srv->idle_workers) {
        struct worker *w = srv->idle_workers;
        idle_remove(srv, w);
        sem_post(&w->wake); /* under mu: the worker cannot exit before this */
    }
    while (srv->nworkers > 0) {
        int64_t now = kapi_now_ms();
        if (!forced && now >= deadline) {
            /* Grace is over: break the remaining connections so blocked
             * reads and writes fail and their handlers return. */
            forced = true;
            int n = 0;
            for (struct conn *c = srv->active.next; c != &srv->active; c = c->next, n++)
                shutdown(c->fd, SHUT_RDWR);
            if (n)
                kapi_log(1, "http: grace period over, cutting %d connection(s)", n);
        }
        int64_t wait_until = forced ? now + 1000 : deadline;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t left = wait_until - now;
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&srv->done_cv, &srv->mu, &ts);
    }
    reap_workers(srv);
    /* Connections accepted but never picked up (no worker could start). */
    struct conn *q = srv->q_head;
    srv->q_head = srv->q_tail = NULL;
    pthread_mutex_unlock(&srv->mu);
    while (q) {
        struct conn *c = q;
        q = c->qnext;
        conn_destroy(c, false);
    }
    close(srv->epfd);
    close(srv->stopfd);
    close(srv->wakefd);
    SSL_CTX_free(srv->ssl_ctx);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->done_cv);
    free(srv);
}
