/* Unit tests for the HTTPS server (src/http/server.c): a real server on
 * 127.0.0.1 with throwaway certificates made here, driven by a small
 * blocking OpenSSL client speaking raw HTTP/1.1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <ctype.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "http/http.h"

/* ---- certificates ---- */

static char dir[64];
static char ca_file[128], srv_cert[128], srv_key[128], cli_cert[128], cli_key[128], rogue_cert[128],
    rogue_key[128];

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, const char **orgs, size_t norgs, X509 *issuer,
                       EVP_PKEY *issuer_key, bool ca)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    for (size_t i = 0; i < norgs; i++)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)orgs[i], -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (ca) {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth,clientAuth");
        add_ext(x, issuer ? issuer : x, NID_subject_alt_name, "IP:127.0.0.1");
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (x)
        PEM_write_X509(f, x);
    if (k)
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
}

static int setup_certs(void **state)
{
    signal(SIGPIPE, SIG_IGN); /* the test client writes to sockets the server closed */
    strcpy(dir, "/tmp/kapi-http-test-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir);
    snprintf(srv_cert, sizeof(srv_cert), "%s/srv.pem", dir);
    snprintf(srv_key, sizeof(srv_key), "%s/srv-key.pem", dir);
    snprintf(cli_cert, sizeof(cli_cert), "%s/cli.pem", dir);
    snprintf(cli_key, sizeof(cli_key), "%s/cli-key.pem", dir);
    snprintf(rogue_cert, sizeof(rogue_cert), "%s/rogue.pem", dir);
    snprintf(rogue_key, sizeof(rogue_key), "%s/rogue-key.pem", dir);

    EVP_PKEY *ca_k = EVP_EC_gen("P-256"), *srv_k = EVP_EC_gen("P-256"), *cli_k = EVP_EC_gen("P-256");
    EVP_PKEY *rca_k = EVP_EC_gen("P-256"), *rogue_k = EVP_EC_gen("P-256");
    X509 *ca = make_cert(ca_k, "test-ca", NULL, 0, NULL, NULL, true);
    X509 *srv = make_cert(srv_k, "localhost", NULL, 0, ca, ca_k, false);
    const char *orgs[] = {"system:masters", "dev"};
    X509 *cli = make_cert(cli_k, "alice", orgs, 2, ca, ca_k, false);
    X509 *rca = make_cert(rca_k, "rogue-ca", NULL, 0, NULL, NULL, true);
    X509 *rogue = make_cert(rogue_k, "mallory", orgs, 1, rca, rca_k, false);
    write_pem(ca_file, ca, NULL);
    write_pem(srv_cert, srv, NULL);
    write_pem(srv_key, NULL, srv_k);
    write_pem(cli_cert, cli, NULL);
    write_pem(cli_key, NULL, cli_k);
    write_pem(rogue_cert, rogue, NULL);
    write_pem(rogue_key, NULL, rogue_k);
    X509 *xs[] = {ca, srv, cli, rca, rogue};
    EVP_PKEY *ks[] = {ca_k, srv_k, cli_k, rca_k, rogue_k};
    for (size_t i = 0; i < 5; i++) {
        X509_free(xs[i]);
        EVP_PKEY_free(ks[i]);
    }
    return 0;
}

static int teardown_certs(void **state)
{
    const char *files[] = {ca_file, srv_cert, srv_key, cli_cert, cli_key, rogue_cert, rogue_key};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(files); i++)
        unlink(files[i]);
    rmdir(dir);
    return 0;
}

/* ---- the handler ---- */

static atomic_int last_error = -1;
static atomic_int sync_flag;
static atomic_int watch_ended_gone;
static atomic_int handler_calls;
static atomic_int hijack_done;

static void echo(void *ctx, struct kapi_http_request *req)
{
    atomic_fetch_add(&handler_calls, 1);
    atomic_store(&last_error, (int)req->error);
    if (strcmp(req->path, "/stream") == 0) {
        kapi_http_stream_begin(req, 200, NULL, 0);
        const char *parts[] = {"one", "two", "three"};
        for (int i = 0; i < 3; i++)
            kapi_http_stream_write(req, parts[i], strlen(parts[i]));
        kapi_http_stream_end(req);
        return;
    }
    if (strcmp(req->path, "/stream-sync") == 0) {
        /* The second chunk is written only after the client has seen the
         * first: proves chunks are flushed as they are written. */
        kapi_http_stream_begin(req, 200, NULL, 0);
        kapi_http_stream_write(req, "first", 5);
        for (int i = 0; i < 500 && !atomic_load(&sync_flag); i++)
            usleep(10000);
        kapi_http_stream_write(req, atomic_load(&sync_flag) ? "second" : "timeout", atomic_load(&sync_flag) ? 6 : 7);
        kapi_http_stream_end(req);
        return;
    }
    if (strcmp(req->path, "/watch") == 0) {
        kapi_http_stream_begin(req, 200, NULL, 0);
        for (int i = 0; i < 1000; i++) {
            if (kapi_http_client_gone(req)) {
                atomic_store(&watch_ended_gone, 1);
                break;
            }
            kapi_http_stream_write(req, "tick", 4);
            usleep(20000);
        }
        kapi_http_stream_end(req);
        return;
    }
    if (strcmp(req->path, "/noresp") == 0)
        return;
    if (strcmp(req->path, "/hijack") == 0) {
        /* Switches protocols, then answers each byte upper-cased until
         * the client closes; "q" ends it from this side. */
        static const char head[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\n";
        if (kapi_http_hijack(req, head, sizeof(head) - 1) < 0)
            return;
        assert_int_equal(kapi_http_respond(req, 200, NULL, 0, "no", 2), -1); /* already answered */
        char buf[256];
        for (;;) {
            long n = kapi_http_raw_read(req, buf, sizeof(buf));
            if (n == KAPI_HTTP_RAW_AGAIN) {
                if (kapi_http_raw_pending(req))
                    continue;
                struct pollfd pf = {.fd = kapi_http_raw_fd(req), .events = POLLIN};
                poll(&pf, 1, 1000);
                continue;
            }
            if (n <= 0)
                break;
            bool quit = memchr(buf, 'q', (size_t)n) != NULL;
            for (long i = 0; i < n; i++)
                buf[i] = (char)toupper((unsigned char)buf[i]);
            long w;
            while ((w = kapi_http_raw_write(req, buf, (size_t)n)) == KAPI_HTTP_RAW_AGAIN) {
                struct pollfd pf = {.fd = kapi_http_raw_fd(req), .events = POLLOUT};
                poll(&pf, 1, 1000);
            }
            if (w != n || quit)
                break;
        }
        atomic_fetch_add(&hijack_done, 1);
        return;
    }
    char *orgs = kapi_pool_strdup(req->pool, "");
    for (size_t i = 0; i < req->peer.norgs; i++)
        orgs = kapi_pool_printf(req->pool, "%s%s%s", orgs, i ? "," : "", req->peer.orgs[i]);
    const char *x = kapi_http_header(req, "x-test");
    char *text = kapi_pool_printf(req->pool,
                                  "method=%s path=%s raw=%s query=%s target=%s err=%d cert=%d cn=%s orgs=%s "
                                  "xtest=%s remote=%s body=%zu:%s",
                                  req->method, req->path, req->raw_path, req->query, req->target, (int)req->error,
                                  req->peer.has_cert, req->peer.cn ? req->peer.cn : "", orgs, x ? x : "",
                                  strncmp(req->remote_addr, "127.0.0.1:", 10) == 0 ? "ok" : req->remote_addr,
                                  req->body_len, req->body ? req->body : "(null)");
    struct kapi_http_header h[] = {{"Content-Type", "text/plain"}, {"X-Echo", "1"}};
    int status = req->error == KAPI_HTTP_BODY_TOO_LARGE ? 413 : 200;
    kapi_http_respond(req, status, h, 2, text, strlen(text));
}

/* ---- server and client helpers ---- */

static struct kapi_http_config base_cfg(void)
{
    return (struct kapi_http_config){
        .bind_address = "127.0.0.1",
        .cert_file = srv_cert,
        .key_file = srv_key,
        .max_header_bytes = 4096,
        .max_body = 1000,
        .header_timeout_ms = 5000,
        .body_timeout_ms = 5000,
        .idle_timeout_ms = 5000,
    };
}

static struct kapi_http_server *start(const struct kapi_http_config *cfg)
{
    char err[256] = "";
    struct kapi_http_server *srv = kapi_http_server_start(cfg, echo, NULL, err, sizeof(err));
    if (!srv)
        print_error("start: %s\n", err);
    assert_non_null(srv);
    assert_true(kapi_http_server_port(srv) > 0);
    return srv;
}

struct client {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
    char buf[65536];
    size_t len;
    bool eof;
};

/* Connects and handshakes; NULL when the handshake fails. Reads give up
 * after 5 s so a broken server fails the test instead of hanging it. */
static struct client *cli_connect(int port, const char *cert, const char *key)
{
    struct client *c = calloc(1, sizeof(*c));
    c->ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    if (cert) {
        assert_int_equal(SSL_CTX_use_certificate_file(c->ctx, cert, SSL_FILETYPE_PEM), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(c->ctx, key, SSL_FILETYPE_PEM), 1);
    }
    static const unsigned char alpn[] = "\x02h2\x08http/1.1";
    SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof(alpn) - 1);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        SSL_CTX_free(c->ctx);
        close(c->fd);
        free(c);
        return NULL;
    }
    c->ssl = SSL_new(c->ctx);
    SSL_set_fd(c->ssl, c->fd);
    if (SSL_connect(c->ssl) != 1) {
        ERR_clear_error();
        SSL_free(c->ssl);
        SSL_CTX_free(c->ctx);
        close(c->fd);
        free(c);
        return NULL;
    }
    return c;
}

static void cli_close(struct client *c)
{
    if (!c)
        return;
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    close(c->fd);
    free(c);
    ERR_clear_error();
}

static int cli_send(struct client *c, const char *s, size_t n)
{
    return SSL_write(c->ssl, s, (int)n) == (int)n ? 0 : -1;
}

static int cli_sends(struct client *c, const char *s) { return cli_send(c, s, strlen(s)); }

/* Reads more into c->buf; false at EOF, error or timeout. */
static bool cli_fill(struct client *c)
{
    if (c->eof || c->len >= sizeof(c->buf) - 1)
        return false;
    int r = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) - 1 - c->len));
    if (r <= 0) {
        c->eof = true;
        ERR_clear_error();
        return false;
    }
    c->len += (size_t)r;
    c->buf[c->len] = 0;
    return true;
}

static void cli_consume(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
    c->buf[c->len] = 0;
}

struct response {
    int status;
    char head[4096];
    char body[16384];
    size_t body_len;
    char chunks[16][64]; /* chunk payloads in arrival order */
    int nchunks;
};

static const char *resp_header(struct response *r, const char *name)
{
    static char val[256];
    char pat[128];
    snprintf(pat, sizeof(pat), "\r\n%s: ", name);
    const char *p = strcasestr(r->head, pat);
    if (!p)
        return NULL;
    p += strlen(pat);
    size_t n = strcspn(p, "\r");
    snprintf(val, sizeof(val), "%.*s", (int)n, p);
    return val;
}

/* Reads a line ending in CRLF from the buffer (without it). */
static bool cli_line(struct client *c, char *out, size_t outlen)
{
    char *e;
    while (!(e = strstr(c->buf, "\r\n")))
        if (!cli_fill(c))
            return false;
    size_t n = (size_t)(e - c->buf);
    snprintf(out, outlen, "%.*s", (int)n, c->buf);
    cli_consume(c, n + 2);
    return true;
}

/* Reads one response (head + Content-Length or chunked body). */
static int cli_response(struct client *c, struct response *r, bool head_only)
{
    memset(r, 0, sizeof(*r));
    char *e;
    while (!(e = strstr(c->buf, "\r\n\r\n")))
        if (!cli_fill(c))
            return -1;
    size_t hl = (size_t)(e - c->buf) + 2;
    snprintf(r->head, sizeof(r->head), "%.*s", (int)hl, c->buf);
    cli_consume(c, hl + 2);
    if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1)
        return -1;
    if (head_only || r->status < 200 || r->status == 204 || r->status == 304)
        return 0;
    const char *te = resp_header(r, "Transfer-Encoding");
    if (te && strcmp(te, "chunked") == 0) {
        for (;;) {
            char line[64];
            if (!cli_line(c, line, sizeof(line)))
                return -1;
            size_t n = strtoul(line, NULL, 16);
            while (c->len < n + 2)
                if (!cli_fill(c))
                    return -1;
            if (n == 0) {
                if (memcmp(c->buf, "\r\n", 2) != 0)
                    return -1;
                cli_consume(c, 2);
                return 0;
            }
            if (r->nchunks < 16)
                snprintf(r->chunks[r->nchunks++], 64, "%.*s", (int)n, c->buf);
            memcpy(r->body + r->body_len, c->buf, n);
            r->body_len += n;
            if (memcmp(c->buf + n, "\r\n", 2) != 0)
                return -1;
            cli_consume(c, n + 2);
        }
    }
    const char *cl = resp_header(r, "Content-Length");
    if (!cl)
        return -1;
    size_t n = strtoul(cl, NULL, 10);
    while (c->len < n)
        if (!cli_fill(c))
            return -1;
    memcpy(r->body, c->buf, n);
    r->body[n] = 0;
    r->body_len = n;
    cli_consume(c, n);
    return 0;
}

/* True when the server closes the connection (EOF or reset) within 5 s. */
static bool cli_closed(struct client *c)
{
    if (c->len)
        return false;
    char b[256];
    int r = SSL_read(c->ssl, b, sizeof(b));
    if (r > 0)
        return false;
    int e = SSL_get_error(c->ssl, r);
    ERR_clear_error();
    if (e == SSL_ERROR_ZERO_RETURN)
        return true;
    return e == SSL_ERROR_SYSCALL && errno != EAGAIN && errno != EWOULDBLOCK;
}

/* ---- tests ---- */

static void test_get_keepalive(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_non_null(c);
    const unsigned char *proto;
    unsigned int plen;
    SSL_get0_alpn_selected(c->ssl, &proto, &plen);
    assert_int_equal(plen, 8);
    assert_memory_equal(proto, "http/1.1", 8);
    assert_true(SSL_version(c->ssl) >= TLS1_2_VERSION);

    struct response r;
    assert_int_equal(cli_sends(c, "GET /api/v1/a%20b?limit=5 HTTP/1.1\r\nHost: x\r\nX-Test: hi\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.head, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(resp_header(&r, "Date"));
    assert_true(strlen(resp_header(&r, "Date")) == 29); /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    assert_string_equal(resp_header(&r, "X-Echo"), "1");
    assert_null(resp_header(&r, "Connection"));
    assert_non_null(strstr(r.body, "method=GET path=/api/v1/a b raw=/api/v1/a%20b query=limit=5 "
                                   "target=/api/v1/a%20b?limit=5 err=0 cert=0"));
    assert_non_null(strstr(r.body, "xtest=hi remote=ok body=0:(null)"));

    /* Second request on the same connection. */
    assert_int_equal(cli_sends(c, "HEAD /second HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, true), 0);
    assert_int_equal(r.status, 200);
    assert_true(atoi(resp_header(&r, "Content-Length")) > 0);
    assert_int_equal(cli_sends(c, "GET /third HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/third "));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void test_pipelined_and_close(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_non_null(c);
    struct response r;
    assert_int_equal(cli_sends(c, "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "POST /p2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                                  "GET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                     0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/p1 "));
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/p2 "));
    assert_non_null(strstr(r.body, "body=3:abc"));
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/p3 "));
    assert_string_equal(resp_header(&r, "Connection"), "close");
    assert_true(cli_closed(c));
    cli_close(c);

    /* HTTP/1.0 closes after one response unless it asks for keep-alive. */
    c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_int_equal(cli_sends(c, "GET /old HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_true(cli_closed(c));
    cli_close(c);
    c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_int_equal(cli_sends(c, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_string_equal(resp_header(&r, "Connection"), "keep-alive");
    assert_int_equal(cli_sends(c, "GET /old2 HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/old2 "));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void test_post_bodies(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    struct response r;
    /* Content-Length, body sent separately from the head */
    assert_int_equal(cli_sends(c, "POST /cl HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"), 0);
    usleep(20000);
    assert_int_equal(cli_sends(c, "hello world"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "method=POST path=/cl "));
    assert_non_null(strstr(r.body, "body=11:hello world"));
    /* chunked, split over several writes, with an extension and a trailer */
    assert_int_equal(cli_sends(c, "PUT /ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhel"), 0);
    usleep(20000);
    assert_int_equal(cli_sends(c, "lo\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "body=11:hello world"));
    /* Expect: 100-continue gets an interim response before the body is sent */
    assert_int_equal(cli_sends(c, "POST /exp HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"),
                     0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 100);
    assert_int_equal(cli_sends(c, "data"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "body=4:data"));
    /* the connection is still usable */
    assert_int_equal(cli_sends(c, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/after "));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void test_body_too_large(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct response r;
    /* Decided from Content-Length: no 100 Continue, handler sees the error. */
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    atomic_store(&last_error, -1);
    assert_int_equal(cli_sends(c, "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
                                  "Expect: 100-continue\r\n\r\n"),
                     0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 413);
    assert_int_equal(atomic_load(&last_error), KAPI_HTTP_BODY_TOO_LARGE);
    assert_non_null(strstr(r.body, "err=1 "));
    assert_non_null(strstr(r.body, "body=0:(null)"));
    assert_string_equal(resp_header(&r, "Connection"), "close");
    assert_true(cli_closed(c));
    cli_close(c);

    /* Chunked: the server stops reading at the limit. */
    c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    atomic_store(&last_error, -1);
    char chunk[700];
    memset(chunk, 'z', sizeof(chunk));
    assert_int_equal(cli_sends(c, "POST /bigc HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2bc\r\n"), 0);
    assert_int_equal(cli_send(c, chunk, sizeof(chunk)), 0);
    assert_int_equal(cli_sends(c, "\r\n2bc\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 413);
    assert_int_equal(atomic_load(&last_error), KAPI_HTTP_BODY_TOO_LARGE);
    assert_true(cli_closed(c));
    cli_close(c);

    /* Exactly at the limit is fine. */
    c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    char body[1000];
    memset(body, 'q', sizeof(body));
    assert_int_equal(cli_sends(c, "POST /edge HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"), 0);
    assert_int_equal(cli_send(c, body, sizeof(body)), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "body=1000:qqqq"));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void expect_error_n(int port, const char *req, size_t len, int status)
{
    struct client *c = cli_connect(port, NULL, NULL);
    assert_non_null(c);
    struct response r;
    int calls = atomic_load(&handler_calls);
    assert_int_equal(cli_send(c, req, len), 0);
    if (cli_response(c, &r, false) != 0)
        print_error("request %.40s: no response (got %zu bytes: %s)\n", req, c->len, c->buf);
    assert_int_equal(r.status, status);
    if (r.status != status)
        print_error("request %.40s: status %d, want %d\n", req, r.status, status);
    assert_int_equal(r.status, status);
    assert_string_equal(resp_header(&r, "Connection"), "close");
    assert_true(cli_closed(c));
    assert_int_equal(atomic_load(&handler_calls), calls); /* never reached the handler */
    cli_close(c);
}

static void expect_error(int port, const char *req, int status)
{
    expect_error_n(port, req, strlen(req), status);
}

static void test_malformed(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    int port = kapi_http_server_port(srv);
    expect_error(port, "GARBAGE\r\n\r\n", 400);
    expect_error(port, "GET /x HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400);
    expect_error(port, "GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505);
    expect_error(port, "GET /x HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400);
    {
        static const char nul[] = "GET /x HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n";
        expect_error_n(port, nul, sizeof(nul) - 1, 400);
    }
    expect_error(port, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                 400);
    expect_error(port, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
    expect_error(port, "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    /* oversized head: one header bigger than max_header_bytes */
    char big[6000];
    int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 5000);
    memcpy(big + n + 5000, "\r\n\r\n", 4);
    expect_error_n(port, big, (size_t)n + 5004, 431);
    /* ... also when it never ends */
    expect_error_n(port, big, (size_t)n + 5000, 431);
    /* a handler that answers nothing yields a 500 */
    struct client *c = cli_connect(port, NULL, NULL);
    struct response r;
    assert_int_equal(cli_sends(c, "GET /noresp HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 500);
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void test_streaming(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    struct response r;
    assert_int_equal(cli_sends(c, "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(resp_header(&r, "Transfer-Encoding"), "chunked");
    assert_null(resp_header(&r, "Content-Length"));
    assert_int_equal(r.nchunks, 3);
    assert_string_equal(r.chunks[0], "one");
    assert_string_equal(r.chunks[1], "two");
    assert_string_equal(r.chunks[2], "three");

    /* Each write is flushed at once: read the first chunk before the
     * handler may write the second. */
    atomic_store(&sync_flag, 0);
    assert_int_equal(cli_sends(c, "GET /stream-sync HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    char line[64];
    while (!strstr(c->buf, "\r\n\r\n"))
        assert_true(cli_fill(c));
    cli_consume(c, (size_t)(strstr(c->buf, "\r\n\r\n") - c->buf) + 4);
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "5");
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "first");
    atomic_store(&sync_flag, 1);
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "6");
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "second");
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "0");
    assert_true(cli_line(c, line, sizeof(line)));
    assert_string_equal(line, "");
    /* keep-alive after a stream */
    assert_int_equal(cli_sends(c, "GET /next HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "path=/next "));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

/* kapi_http_hijack: the 101 head goes out as given, bytes the client sent
 * along with its request come first, then both directions flow until one
 * side ends, and the connection is not reused. */
static void test_hijack(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    struct client *c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_int_equal(cli_sends(c, "GET /hijack HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n"
                                  "early"),
                     0);
    while (!strstr(c->buf, "EARLY"))
        assert_true(cli_fill(c));
    assert_string_equal(c->buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: test\r\nConnection: Upgrade\r\n\r\nEARLY");
    cli_consume(c, c->len);
    assert_int_equal(cli_sends(c, "abc"), 0);
    while (c->len < 3)
        assert_true(cli_fill(c));
    assert_string_equal(c->buf, "ABC");
    cli_consume(c, c->len);
    /* The handler ends the exchange: the connection closes, no keep-alive. */
    assert_int_equal(cli_sends(c, "q"), 0);
    while (cli_fill(c))
        ;
    assert_string_equal(c->buf, "Q");
    assert_true(c->eof);
    cli_close(c);

    /* The client closing ends the handler's loop too. */
    c = cli_connect(kapi_http_server_port(srv), NULL, NULL);
    assert_int_equal(cli_sends(c, "GET /hijack HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    while (!strstr(c->buf, "\r\n\r\n"))
        assert_true(cli_fill(c));
    int before = atomic_load(&hijack_done);
    cli_close(c);
    for (int i = 0; i < 300 && atomic_load(&hijack_done) == before; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&hijack_done), before + 1);
    kapi_http_server_stop(srv, 1000);
}

static void test_client_certs(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    cfg.client_ca_file = ca_file;
    struct kapi_http_server *srv = start(&cfg);
    int port = kapi_http_server_port(srv);
    struct response r;

    struct client *c = cli_connect(port, cli_cert, cli_key);
    assert_non_null(c);
    assert_int_equal(cli_sends(c, "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "cert=1 cn=alice orgs=system:masters,dev "));
    /* per request, still there on the next one */
    assert_int_equal(cli_sends(c, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "cert=1 cn=alice "));
    cli_close(c);

    c = cli_connect(port, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(cli_sends(c, "GET /anon HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(c, &r, false), 0);
    assert_non_null(strstr(r.body, "cert=0 cn= orgs= "));
    cli_close(c);

    /* A certificate from another CA fails the handshake (with TLS 1.3 the
     * client notices on its first read). */
    c = cli_connect(port, rogue_cert, rogue_key);
    if (c) {
        cli_sends(c, "GET /rogue HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_int_not_equal(cli_response(c, &r, false), 0);
        cli_close(c);
    }
    kapi_http_server_stop(srv, 1000);
}

static void test_timeouts(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    cfg.header_timeout_ms = 300;
    cfg.idle_timeout_ms = 400;
    struct kapi_http_server *srv = start(&cfg);
    int port = kapi_http_server_port(srv);

    /* A head that never finishes. */
    struct client *c = cli_connect(port, NULL, NULL);
    assert_int_equal(cli_sends(c, "GET / HTTP/1.1\r\nHo"), 0);
    int64_t t0 = kapi_now_ms();
    assert_true(cli_closed(c));
    assert_true(kapi_now_ms() - t0 < 4000);
    cli_close(c);

    /* Dripping bytes does not extend the head deadline. */
    c = cli_connect(port, NULL, NULL);
    bool closed = false;
    for (int i = 0; i < 40 && !closed; i++) {
        if (cli_sends(c, "X") < 0)
            closed = true;
        usleep(50000);
    }
    assert_true(closed || cli_closed(c));
    cli_close(c);

    /* An idle keep-alive connection is closed after idle_timeout_ms, while
     * a busy one stays open. */
    c = cli_connect(port, NULL, NULL);
    struct response r;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cli_sends(c, "GET /busy HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
        assert_int_equal(cli_response(c, &r, false), 0);
        usleep(150000);
    }
    t0 = kapi_now_ms();
    assert_true(cli_closed(c));
    assert_true(kapi_now_ms() - t0 < 4000);
    cli_close(c);

    /* A TCP connection that never starts TLS. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char b;
    assert_int_equal(recv(fd, &b, 1, 0), 0);
    close(fd);

    /* A connection that never sends anything after the handshake. */
    c = cli_connect(port, NULL, NULL);
    assert_true(cli_closed(c));
    cli_close(c);
    kapi_http_server_stop(srv, 1000);
}

static void test_max_connections(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    cfg.max_connections = 2;
    struct kapi_http_server *srv = start(&cfg);
    int port = kapi_http_server_port(srv);
    struct response r;
    struct client *a = cli_connect(port, NULL, NULL), *b = cli_connect(port, NULL, NULL);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(cli_sends(b, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(b, &r, false), 0);
    struct client *over = cli_connect(port, NULL, NULL);
    assert_null(over);
    cli_close(a);
    /* a slot frees up once the server has seen the close */
    struct client *d = NULL;
    for (int i = 0; i < 100 && !d; i++) {
        usleep(20000);
        d = cli_connect(port, NULL, NULL);
    }
    assert_non_null(d);
    cli_close(d);
    cli_close(b);
    kapi_http_server_stop(srv, 1000);
}

static void test_graceful_stop(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    int port = kapi_http_server_port(srv);
    struct response r;

    struct client *idle = cli_connect(port, NULL, NULL);
    assert_int_equal(cli_sends(idle, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(cli_response(idle, &r, false), 0);

    struct client *w = cli_connect(port, NULL, NULL);
    atomic_store(&watch_ended_gone, 0);
    assert_int_equal(cli_sends(w, "GET /watch HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    while (!strstr(w->buf, "tick"))
        assert_true(cli_fill(w));

    kapi_http_server_stop(srv, 5000);
    assert_int_equal(atomic_load(&watch_ended_gone), 1);
    /* The stream was ended properly, then the connection closed. */
    while (!w->eof)
        cli_fill(w);
    assert_non_null(strstr(w->buf, "\r\n0\r\n\r\n"));
    assert_non_null(strstr(w->buf, "Transfer-Encoding: chunked"));
    assert_true(cli_closed(idle));
    cli_close(idle);
    cli_close(w);
    /* The port no longer accepts. */
    assert_null(cli_connect(port, NULL, NULL));
}

static void test_bad_config(void **state)
{
    struct kapi_http_config cfg = base_cfg();
    char err[256] = "";
    cfg.cert_file = "/nonexistent.pem";
    assert_null(kapi_http_server_start(&cfg, echo, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent.pem"));
    cfg = base_cfg();
    cfg.key_file = cli_key; /* does not match the certificate */
    assert_null(kapi_http_server_start(&cfg, echo, NULL, err, sizeof(err)));
    cfg = base_cfg();
    struct kapi_http_server *srv = start(&cfg);
    cfg.port = kapi_http_server_port(srv);
    err[0] = 0;
    assert_null(kapi_http_server_start(&cfg, echo, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot listen"));
    kapi_http_server_stop(srv, 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_keepalive),
        cmocka_unit_test(test_pipelined_and_close),
        cmocka_unit_test(test_post_bodies),
        cmocka_unit_test(test_body_too_large),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_hijack),
        cmocka_unit_test(test_client_certs),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_graceful_stop),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
