/* Unit tests for the webhook client (src/http/client.c): URL and response
 * parsing without I/O, then real exchanges with a small TLS server running
 * on a thread here (127.0.0.1, throwaway CA and certificates made in
 * setup). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/base.h"
#include "http/client.h"

#define assert_contains(hay, needle)                                                                               \
    do {                                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                                              \
            print_error("%s: \"%s\" does not contain \"%s\"\n", #hay, h_ ? h_ : "(null)", n_);                    \
            fail();                                                                                                \
        }                                                                                                          \
    } while (0)

/* KAPI_TEST_VERBOSE=1 prints the error texts, to read them. */
static void show(const struct kapi_http_client_resp *r)
{
    if (getenv("KAPI_TEST_VERBOSE"))
        print_message("err: %s\n", r->err);
}

/* ---- certificates ---- */

static EVP_PKEY *ca_key, *other_ca_key, *srv_key, *cli_key;
static X509 *ca_cert, *other_ca_cert, *srv_cert, *cn_only_cert, *expired_cert, *cli_cert;
static char *ca_pem, *other_ca_pem, *cli_cert_pem, *cli_key_pem;

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/* san NULL: no subjectAltName at all. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca, const char *san,
                       long not_before, long not_after)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), not_before);
    X509_gmtime_adj(X509_getm_notAfter(x), not_after);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (ca) {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer ? issuer : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer ? issuer : x, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer ? issuer : x, NID_ext_key_usage, "serverAuth,clientAuth");
        if (san)
            add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static char *pem_of(X509 *x, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (x)
        PEM_write_bio_X509(b, x);
    if (k)
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = kapi_xstrndup(p, (size_t)n);
    BIO_free(b);
    return s;
}

static int setup_certs(void **state)
{
    ca_key = EVP_EC_gen("P-256");
    other_ca_key = EVP_EC_gen("P-256");
    srv_key = EVP_EC_gen("P-256");
    cli_key = EVP_EC_gen("P-256");
    ca_cert = make_cert(ca_key, "test-ca", NULL, NULL, true, NULL, -3600, 86400);
    other_ca_cert = make_cert(other_ca_key, "other-ca", NULL, NULL, true, NULL, -3600, 86400);
    srv_cert = make_cert(srv_key, "webhook", ca_cert, ca_key, false,
                         "IP:127.0.0.1,DNS:webhook.test.svc,DNS:localhost", -3600, 86400);
    cn_only_cert = make_cert(srv_key, "webhook.test.svc", ca_cert, ca_key, false, NULL, -3600, 86400);
    expired_cert = make_cert(srv_key, "webhook", ca_cert, ca_key, false, "IP:127.0.0.1", -7200, -3600);
    cli_cert = make_cert(cli_key, "kapi-webhook-client", ca_cert, ca_key, false, NULL, -3600, 86400);
    ca_pem = pem_of(ca_cert, NULL);
    other_ca_pem = pem_of(other_ca_cert, NULL);
    cli_cert_pem = pem_of(cli_cert, NULL);
    cli_key_pem = pem_of(NULL, cli_key);
    return 0;
}

static int teardown_certs(void **state)
{
    X509 *xs[] = {ca_cert, other_ca_cert, srv_cert, cn_only_cert, expired_cert, cli_cert};
    EVP_PKEY *ks[] = {ca_key, other_ca_key, srv_key, cli_key};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(xs); i++)
        X509_free(xs[i]);
    for (size_t i = 0; i < KAPI_ARRAY_LEN(ks); i++)
        EVP_PKEY_free(ks[i]);
    free(ca_pem);
    free(other_ca_pem);
    free(cli_cert_pem);
    free(cli_key_pem);
    kapi_http_client_cleanup();
    return 0;
}

/* ---- the test server ---- */

enum mode {
    M_ECHO,       /* 200 with a JSON echo of what was received */
    M_RAW,        /* writes .raw verbatim, in .piece-byte writes */
    M_SILENT,     /* reads the request, never answers */
    M_NO_TLS,     /* (TLS server) accepts TCP, never handshakes */
    M_CLOSE,      /* reads the request, closes */
    M_GREET,      /* writes .raw at once, before reading anything (no TLS) */
    M_EARLY,      /* after the handshake, reads a little, writes .raw and closes */
};

struct tserver {
    int lfd;
    int port;
    pthread_t thr;
    SSL_CTX *ctx;        /* NULL: plain HTTP */
    enum mode mode;
    const char *raw;
    size_t raw_len;
    size_t piece;        /* M_RAW write size; 0 = all at once */
    atomic_int stop;
    atomic_int conns;    /* connections accepted */
    atomic_int handshakes;
    pthread_mutex_t mu;
    char seen[16384];    /* last request: head and body */
    size_t seen_len;
};

static bool server_stopping(struct tserver *s) { return atomic_load(&s->stop) != 0; }

static void wait_stop(struct tserver *s, int max_ms)
{
    for (int i = 0; i < max_ms / 10 && !server_stopping(s); i++)
        usleep(10000);
}

static ssize_t srv_read(SSL *ssl, int fd, char *b, size_t n)
{
    if (ssl) {
        int r = SSL_read(ssl, b, (int)n);
        return r > 0 ? r : -1;
    }
    ssize_t r = recv(fd, b, n, 0);
    return r > 0 ? r : -1;
}

static void srv_write(SSL *ssl, int fd, const char *b, size_t n)
{
    if (ssl)
        SSL_write(ssl, b, (int)n);
    else
        send(fd, b, n, MSG_NOSIGNAL);
}

/* Reads a request (head plus Content-Length body) into s->seen. */
static bool read_request(struct tserver *s, SSL *ssl, int fd, char *req, size_t cap, size_t *len)
{
    size_t n = 0;
    char *end = NULL;
    while (!(end = strstr(req, "\r\n\r\n"))) {
        if (n + 1 >= cap)
            return false;
        ssize_t r = srv_read(ssl, fd, req + n, cap - 1 - n);
        if (r <= 0)
            return false;
        n += (size_t)r;
        req[n] = 0;
    }
    size_t head = (size_t)(end - req) + 4;
    const char *cl = strcasestr(req, "\r\nContent-Length:");
    size_t body = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
    while (n < head + body && n + 1 < cap) {
        ssize_t r = srv_read(ssl, fd, req + n, cap - 1 - n);
        if (r <= 0)
            return false;
        n += (size_t)r;
        req[n] = 0;
    }
    *len = n;
    pthread_mutex_lock(&s->mu);
    memcpy(s->seen, req, n + 1 < sizeof(s->seen) ? n + 1 : sizeof(s->seen));
    s->seen[sizeof(s->seen) - 1] = 0;
    s->seen_len = n;
    pthread_mutex_unlock(&s->mu);
    return true;
}

static void serve_conn(struct tserver *s, int fd)
{
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL *ssl = NULL;
    if (s->mode == M_GREET) {
        send(fd, s->raw, s->raw_len, MSG_NOSIGNAL);
        usleep(50000);
        close(fd);
        return;
    }
    if (s->mode == M_NO_TLS) {
        wait_stop(s, 3000);
        close(fd);
        return;
    }
    if (s->ctx) {
        ssl = SSL_new(s->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) != 1) {
            ERR_clear_error();
            SSL_free(ssl);
            close(fd);
            return;
        }
        atomic_fetch_add(&s->handshakes, 1);
    }
    if (s->mode == M_EARLY) {
        char b[4096];
        SSL_read(ssl, b, sizeof(b));
        SSL_write(ssl, s->raw, (int)s->raw_len);
        SSL_free(ssl); /* no close_notify, unread input: the kernel resets */
        ERR_clear_error();
        close(fd);
        return;
    }
    char *req = calloc(1, 1 << 20);
    size_t len = 0;
    if (!read_request(s, ssl, fd, req, 1 << 20, &len))
        goto done;
    switch (s->mode) {
    case M_ECHO: {
        char *body = strstr(req, "\r\n\r\n") + 4;
        char target[256] = "";
        sscanf(req, "%*s %255s", target);
        const char *cn = "";
        char cnbuf[64] = "";
        X509 *peer = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
        if (peer) {
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cnbuf, sizeof(cnbuf));
            cn = cnbuf;
        }
        char *out = kapi_xasprintf("{\"target\":\"%s\",\"cn\":\"%s\",\"body\":%s}", target, cn,
                                   *body ? body : "null");
        char *resp = kapi_xasprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                    "Content-Length: %zu\r\n\r\n%s",
                                    strlen(out), out);
        srv_write(ssl, fd, resp, strlen(resp));
        free(out);
        free(resp);
        break;
    }
    case M_RAW: {
        size_t step = s->piece ? s->piece : s->raw_len;
        for (size_t off = 0; off < s->raw_len; off += step) {
            size_t n = s->raw_len - off < step ? s->raw_len - off : step;
            srv_write(ssl, fd, s->raw + off, n);
            if (s->piece)
                usleep(200);
        }
        break;
    }
    case M_SILENT:
        wait_stop(s, 3000);
        break;
    default:
        break;
    }
done:
    free(req);
    if (ssl) {
        SSL_shutdown(ssl);
        SSL_free(ssl);
    }
    ERR_clear_error();
    close(fd);
}

static void *server_main(void *arg)
{
    struct tserver *s = arg;
    /* The server writes to clients that gave up. SIGPIPE is blocked here
     * only: the client must cope with it on its own threads. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    while (!server_stopping(s)) {
        struct pollfd p = {.fd = s->lfd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&s->conns, 1);
        serve_conn(s, fd);
    }
    return NULL;
}

static SSL_CTX *server_ctx(X509 *cert, bool want_client_cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, srv_key), 1);
    if (want_client_cert) {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca_cert);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
}

static struct tserver *server_start(SSL_CTX *ctx, enum mode mode)
{
    struct tserver *s = calloc(1, sizeof(*s));
    s->ctx = ctx;
    s->mode = mode;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->lfd, 64), 0);
    socklen_t al = sizeof(a);
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thr, NULL, server_main, s), 0);
    return s;
}

static void server_stop(struct tserver *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thr, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static char *url_of(struct tserver *s, const char *host, const char *path)
{
    return kapi_xasprintf("%s://%s:%d%s", s->ctx ? "https" : "http", host, s->port, path);
}

static struct kapi_http_client_req base_req(const char *url)
{
    return (struct kapi_http_client_req){
        .url = url,
        .method = "POST",
        .content_type = "application/json",
        .body = "{\"a\":1}",
        .body_len = 7,
        .ca_pem = ca_pem,
        .timeout_ms = 5000,
    };
}

/* ---- URL parsing ---- */

static void test_parse_url(void **state)
{
    struct kapi_http_client_url u;
    char err[256];
    assert_int_equal(kapi_http_client_parse_url("https://127.0.0.1:8443/convert?timeout=30s", &u, err, sizeof(err)),
                     0);
    assert_true(u.https);
    assert_true(u.host_is_ip);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "8443");
    assert_string_equal(u.authority, "127.0.0.1:8443");
    assert_string_equal(u.target, "/convert?timeout=30s");

    assert_int_equal(kapi_http_client_parse_url("HTTPS://[::1]:9443/x#frag", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "::1");
    assert_true(u.host_is_ip);
    assert_string_equal(u.port, "9443");
    assert_string_equal(u.authority, "[::1]:9443");
    assert_string_equal(u.target, "/x");

    assert_int_equal(kapi_http_client_parse_url("https://webhook.test.svc", &u, err, sizeof(err)), 0);
    assert_false(u.host_is_ip);
    assert_string_equal(u.port, "443");
    assert_string_equal(u.target, "/");
    assert_int_equal(kapi_http_client_parse_url("https://h?x=1", &u, err, sizeof(err)), 0);
    assert_string_equal(u.target, "/?x=1");
    assert_int_equal(kapi_http_client_parse_url("http://h", &u, err, sizeof(err)), 0);
    assert_false(u.https);
    assert_string_equal(u.port, "80");
    assert_int_equal(kapi_http_client_parse_url("https://[::ffff:127.0.0.1]/", &u, err, sizeof(err)), 0);
    assert_string_equal(u.authority, "[::ffff:127.0.0.1]");

    static const struct {
        const char *url, *err;
    } bad[] = {
        {"ftp://h/", "unsupported protocol scheme \"ftp\""},
        {"h/path", "unsupported protocol scheme"},
        {"", "empty URL"},
        {"https://user:pw@h/", "user info"},
        {"https:///path", "no Host"},
        {"https://:443/", "no Host"},
        {"https://h:0/", "invalid port"},
        {"https://h:99999/", "invalid port"},
        {"https://h:12a/", "invalid port"},
        {"https://h:/", "invalid port"},
        {"https://h/a b", "invalid character"},
        {"https://h/a\r\nX: y", "invalid character"},
        {"https://h/\xc3\xa9", "invalid character"},
        {"https://h\r\n/", "invalid character in host"},
        {"https://h%41/", "invalid character in host"},
        {"https://[::1/", "missing ']'"},
        {"https://[::1]x/", "after ']'"},
        {"https://[zz]/", "invalid IPv6"},
        {"https://[]/", "invalid IPv6"},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad); i++) {
        err[0] = 0;
        if (kapi_http_client_parse_url(bad[i].url, &u, err, sizeof(err)) != -1) {
            print_error("url %s: accepted\n", bad[i].url);
            fail();
        }
        assert_contains(err, bad[i].err);
    }
}

/* ---- response parsing ---- */

/* Every case is parsed whole and in pieces of several sizes: the result
 * must not depend on how the bytes arrive. */
static const size_t steps[] = {0, 1, 2, 3, 5, 7, 64};

static void check_ok(const char *in, size_t max, int status, const char *body, const char *ctype)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(steps); i++) {
        struct kapi_http_client_resp r;
        int rc = kapi_http_client_parse_response_pieces(in, strlen(in), max, steps[i], &r);
        if (rc != 0) {
            print_error("response %.60s (step %zu): %s\n", in, steps[i], r.err);
            fail();
        }
        assert_int_equal(r.status, status);
        assert_non_null(r.body);
        assert_int_equal(r.body_len, strlen(body));
        assert_string_equal(r.body, body);
        if (ctype)
            assert_string_equal(r.content_type, ctype);
        else
            assert_null(r.content_type);
        kapi_http_client_resp_dispose(&r);
    }
}

static void check_bad(const char *in, size_t len, size_t max, const char *err)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(steps); i++) {
        struct kapi_http_client_resp r;
        int rc = kapi_http_client_parse_response_pieces(in, len, max, steps[i], &r);
        if (rc != -1) {
            print_error("response %.60s (step %zu): accepted (status %d)\n", in, steps[i], r.status);
            fail();
        }
        assert_int_equal(r.status, 0);
        assert_null(r.body);
        assert_contains(r.err, err);
        kapi_http_client_resp_dispose(&r);
    }
}

static void test_parse_response(void **state)
{
    check_ok("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", 0, 200, "{}",
             "application/json");
    /* Bytes after a complete body are ignored. */
    check_ok("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}garbage", 0, 200, "{}", NULL);
    /* Duplicate identical lengths are fine. */
    check_ok("HTTP/1.1 200 OK\r\nContent-Length: 3\r\ncontent-length: 3, 3\r\n\r\nabc", 0, 200, "abc", NULL);
    /* No reason phrase; bare LF line ends; header value OWS trimmed. */
    check_ok("HTTP/1.1 201\nContent-Type:  text/plain \t\nContent-Length: 1\n\nx", 0, 201, "x", "text/plain");
    /* Chunked, with an extension and a trailer; wins over Content-Length. */
    check_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
             "3;ext=1\r\nabc\r\n0a\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n",
             0, 200, "abc0123456789", NULL);
    /* Connection-close framing; HTTP/1.0 ignores Transfer-Encoding. */
    check_ok("HTTP/1.1 200 OK\r\n\r\nuntil the end", 0, 200, "until the end", NULL);
    check_ok("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc", 0, 200, "3\r\nabc", NULL);
    /* 1xx responses are skipped; 204 and 304 have no body. */
    check_ok("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
             0, 200, "ok", NULL);
    check_ok("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0, 204, "", NULL);
    check_ok("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", 0, 500, "", NULL);
    /* Exactly at the body limit. */
    check_ok("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 4, 200, "abcd", NULL);
    check_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 4, 200, "abcd", NULL);
    check_ok("HTTP/1.1 200 OK\r\n\r\nabcd", 4, 200, "abcd", NULL);

    /* A redirect is a response like any other; Location is kept. */
    struct kapi_http_client_resp r;
    const char *redir = "HTTP/1.1 302 Found\r\nLocation: https://elsewhere/\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(kapi_http_client_parse_response(redir, strlen(redir), 0, &r), 0);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, "https://elsewhere/");
    kapi_http_client_resp_dispose(&r);
    /* Binary bodies with NULs keep their length. */
    static const char bin[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\0b";
    assert_int_equal(kapi_http_client_parse_response(bin, sizeof(bin) - 1, 0, &r), 0);
    assert_int_equal(r.body_len, 3);
    assert_memory_equal(r.body, "a\0b", 3);
    kapi_http_client_resp_dispose(&r);

#define BAD(s, max, e) check_bad(s, strlen(s), max, e)
    BAD("", 0, "EOF");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n", 0, "unexpected EOF");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc", 0, "unexpected EOF");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 0, "unexpected EOF");
    BAD("HTTP/2 200 OK\r\n\r\n", 0, "malformed HTTP response");
    BAD("HTTP/1.1 2000 OK\r\n\r\n", 0, "malformed HTTP status code");
    BAD("HTTP/1.1 20 OK\r\n\r\n", 0, "malformed HTTP");
    BAD("HTTP/1.1 099 OK\r\n\r\n", 0, "malformed HTTP status code");
    BAD("HTTP/1.1 600 OK\r\n\r\n", 0, "malformed HTTP status code");
    BAD("hello\r\n\r\n", 0, "malformed HTTP response \"hello\"");
    BAD("\r\n\r\n", 0, "malformed HTTP response");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 0, "bad Content-Length");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "bad Content-Length");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, "bad Content-Length");
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, "bad Content-Length");
    BAD("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, "bad Content-Length");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, "unsupported transfer encoding");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
        "too many transfer encodings");
    BAD("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", 0, "folded");
    BAD("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", 0, "malformed MIME header line");
    BAD("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", 0, "malformed MIME header line");
    BAD("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", 0, "bare CR");
    BAD("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n", 0, "malformed MIME header line");
    BAD("HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, "101");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, "malformed chunked encoding");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n", 0, "malformed chunked encoding");
    /* Body limits, for each framing. */
    BAD("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", 4, "response body too large: more than 4 bytes");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 4,
        "response body too large");
    BAD("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 4,
        "response body too large");
    BAD("HTTP/1.1 200 OK\r\n\r\nabcde", 4, "response body too large");
    /* Too many 1xx. */
    char many[512] = "";
    for (int i = 0; i < 9; i++)
        strcat(many, "HTTP/1.1 100 Continue\r\n\r\n");
    strcat(many, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    BAD(many, 0, "too many 1xx");
#undef BAD
    /* A head past the cap. */
    size_t big = KAPI_HTTP_CLIENT_MAX_HEAD + 100;
    char *h = malloc(big);
    memcpy(h, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(h + 20, 'a', big - 20);
    check_bad(h, big, 0, "response head too large");
    free(h);
    /* A NUL in the head. */
    static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
    check_bad(nul, sizeof(nul) - 1, 0, "NUL");
}

/* ---- exchanges ---- */

static void test_roundtrip(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_ECHO);
    char *url = url_of(s, "127.0.0.1", "/convert?timeout=30s");
    struct kapi_http_client_req req = base_req(url);
    struct kapi_http_header extra[] = {{"Authorization", "Bearer abc"}};
    req.headers = extra;
    req.nheaders = 1;
    struct kapi_http_client_resp r;
    int rc = kapi_http_client_do(&req, &r);
    if (rc)
        print_error("%s\n", r.err);
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.body, "{\"target\":\"/convert?timeout=30s\",\"cn\":\"\",\"body\":{\"a\":1}}");
    assert_int_equal(r.body_len, strlen(r.body));
    kapi_http_client_resp_dispose(&r);
    pthread_mutex_lock(&s->mu);
    assert_contains(s->seen, "POST /convert?timeout=30s HTTP/1.1\r\n");
    char host[64];
    snprintf(host, sizeof(host), "\r\nHost: 127.0.0.1:%d\r\n", s->port);
    assert_contains(s->seen, host);
    assert_contains(s->seen, "\r\nContent-Type: application/json\r\n");
    assert_contains(s->seen, "\r\nContent-Length: 7\r\n");
    assert_contains(s->seen, "\r\nAuthorization: Bearer abc\r\n");
    assert_contains(s->seen, "\r\nAccept: application/json, */*\r\n");
    assert_contains(s->seen, "\r\nConnection: close\r\n");
    pthread_mutex_unlock(&s->mu);
    free(url);

    /* A service reference: dial the IP, verify "<svc>.<ns>.svc". */
    url = url_of(s, "127.0.0.1", "/v1");
    req = base_req(url);
    req.server_name = "webhook.test.svc";
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_int_equal(r.status, 200);
    kapi_http_client_resp_dispose(&r);
    free(url);

    /* A host name, resolved (localhost is in /etc/hosts). */
    url = url_of(s, "localhost", "/byname");
    req = base_req(url);
    rc = kapi_http_client_do(&req, &r);
    if (rc)
        print_error("%s\n", r.err);
    assert_int_equal(rc, 0);
    assert_contains(r.body, "\"/byname\"");
    kapi_http_client_resp_dispose(&r);
    free(url);

    /* The serving certificate itself as the bundle (a pinned leaf). */
    url = url_of(s, "127.0.0.1", "/pinned");
    req = base_req(url);
    char *leaf_pem = pem_of(srv_cert, NULL);
    req.ca_pem = leaf_pem;
    rc = kapi_http_client_do(&req, &r);
    if (rc)
        print_error("%s\n", r.err);
    assert_int_equal(rc, 0);
    kapi_http_client_resp_dispose(&r);
    free(leaf_pem);
    free(url);

    /* A large request body (written separately from the head). */
    url = url_of(s, "127.0.0.1", "/big");
    req = base_req(url);
    size_t blen = 200000;
    char *big = malloc(blen);
    memset(big, 'x', blen);
    big[0] = '"';
    big[blen - 1] = '"';
    req.body = big;
    req.body_len = blen;
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > blen);
    kapi_http_client_resp_dispose(&r);
    free(big);
    free(url);
    server_stop(s);
}

static void test_wrong_ca(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_ECHO);
    char *url = url_of(s, "127.0.0.1", "/convert");
    struct kapi_http_client_req req = base_req(url);
    req.ca_pem = other_ca_pem;
    struct kapi_http_client_resp r;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    char want[256];
    snprintf(want, sizeof(want),
             "Post \"%s\": tls: failed to verify certificate: x509: certificate signed by unknown authority", url);
    assert_string_equal(r.err, want);
    assert_int_equal(r.status, 0);
    assert_null(r.body);
    kapi_http_client_resp_dispose(&r);

    /* The system roots do not know the test CA either. */
    req.ca_pem = NULL;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "x509: certificate signed by unknown authority");
    kapi_http_client_resp_dispose(&r);

    /* A bundle that is not PEM. */
    req.ca_pem = "not a certificate";
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "unable to load root certificates");
    kapi_http_client_resp_dispose(&r);
    assert_int_equal(atomic_load(&s->handshakes), 0);
    server_stop(s);

    /* An expired serving certificate. */
    s = server_start(server_ctx(expired_cert, false), M_ECHO);
    free(url);
    url = url_of(s, "127.0.0.1", "/convert");
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "x509: certificate has expired or is not yet valid: current time ");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);
}

static void test_hostname_mismatch(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_ECHO);
    char *url = url_of(s, "127.0.0.1", "/convert");
    struct kapi_http_client_req req = base_req(url);
    struct kapi_http_client_resp r;
    req.server_name = "other.test.svc";
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "tls: failed to verify certificate: x509: certificate is valid for webhook.test.svc, "
                           "localhost, not other.test.svc");
    kapi_http_client_resp_dispose(&r);
    req.server_name = "127.0.0.2";
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "x509: certificate is valid for 127.0.0.1, not 127.0.0.2");
    kapi_http_client_resp_dispose(&r);
    /* A trailing dot names the same host. */
    req.server_name = "webhook.test.svc.";
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    kapi_http_client_resp_dispose(&r);
    server_stop(s);

    /* A certificate naming its host only in the subject CN. */
    s = server_start(server_ctx(cn_only_cert, false), M_ECHO);
    free(url);
    url = url_of(s, "127.0.0.1", "/convert");
    req = base_req(url);
    req.server_name = "webhook.test.svc";
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "x509: certificate relies on legacy Common Name field, use SANs instead");
    kapi_http_client_resp_dispose(&r);
    req.server_name = NULL;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);
}

static void test_timeout(void **state)
{
    /* The server reads the request and never answers. */
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_SILENT);
    char *url = url_of(s, "127.0.0.1", "/convert?timeout=1s");
    struct kapi_http_client_req req = base_req(url);
    req.timeout_ms = 300;
    struct kapi_http_client_resp r;
    int64_t t0 = kapi_now_ms();
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    int64_t took = kapi_now_ms() - t0;
    char want[256];
    snprintf(want, sizeof(want), "Post \"%s\": context deadline exceeded", url);
    assert_string_equal(r.err, want);
    kapi_http_client_resp_dispose(&r);
    assert_true(took >= 290 && took < 1000);
    atomic_store(&s->stop, 1);
    server_stop(s);
    free(url);

    /* The server accepts TCP and never starts TLS. */
    s = server_start(server_ctx(srv_cert, false), M_NO_TLS);
    url = url_of(s, "127.0.0.1", "/");
    req = base_req(url);
    req.timeout_ms = 300;
    t0 = kapi_now_ms();
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    took = kapi_now_ms() - t0;
    assert_contains(r.err, ": context deadline exceeded");
    assert_true(took >= 290 && took < 1000);
    kapi_http_client_resp_dispose(&r);
    atomic_store(&s->stop, 1);
    server_stop(s);
    free(url);

    /* A response dribbled slower than the deadline: the whole exchange
     * counts, not each read. */
    s = server_start(server_ctx(srv_cert, false), M_RAW);
    static char slow[4096];
    snprintf(slow, sizeof(slow), "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n");
    size_t hl = strlen(slow);
    memset(slow + hl, 'z', 3000);
    s->raw = slow;
    s->raw_len = hl + 3000;
    s->piece = 1; /* with a 200 us pause per byte: over 600 ms */
    url = url_of(s, "127.0.0.1", "/");
    req = base_req(url);
    req.timeout_ms = 300;
    t0 = kapi_now_ms();
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    took = kapi_now_ms() - t0;
    assert_contains(r.err, ": context deadline exceeded");
    assert_true(took < 1000);
    kapi_http_client_resp_dispose(&r);
    atomic_store(&s->stop, 1);
    server_stop(s);
    free(url);
}

static void test_redirect_not_followed(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_RAW);
    s->raw = "HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:1/elsewhere\r\nContent-Type: text/html\r\n"
             "Content-Length: 5\r\n\r\nmoved";
    s->raw_len = strlen(s->raw);
    char *url = url_of(s, "127.0.0.1", "/convert");
    struct kapi_http_client_req req = base_req(url);
    struct kapi_http_client_resp r;
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_int_equal(r.status, 302);
    assert_string_equal(r.location, "https://127.0.0.1:1/elsewhere");
    assert_string_equal(r.body, "moved");
    kapi_http_client_resp_dispose(&r);
    assert_int_equal(atomic_load(&s->conns), 1);
    server_stop(s);
    free(url);
}

static void test_chunked(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_RAW);
    s->raw = "HTTP/1.1 100 Continue\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
             "1\r\n{\r\n8;x=y\r\n\"kind\":\"\r\n10\r\nConversionReview\r\n2\r\n\"}\r\n0\r\n\r\n";
    s->raw_len = strlen(s->raw);
    s->piece = 7; /* many small TLS records: the parser sees every split */
    char *url = url_of(s, "127.0.0.1", "/convert");
    struct kapi_http_client_req req = base_req(url);
    struct kapi_http_client_resp r;
    int rc = kapi_http_client_do(&req, &r);
    if (rc)
        print_error("%s\n", r.err);
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"kind\":\"ConversionReview\"}");
    assert_string_equal(r.content_type, "application/json");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);

    /* Close-delimited body. */
    s = server_start(server_ctx(srv_cert, false), M_RAW);
    s->raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"closed\":true}";
    s->raw_len = strlen(s->raw);
    url = url_of(s, "127.0.0.1", "/convert");
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_string_equal(r.body, "{\"closed\":true}");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);
}

static void test_oversize(void **state)
{
    static char big[8192];
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_RAW);
    snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n");
    size_t hl = strlen(big);
    memset(big + hl, 'a', 5000);
    s->raw = big;
    s->raw_len = hl + 5000;
    char *url = url_of(s, "127.0.0.1", "/convert");
    struct kapi_http_client_req req = base_req(url);
    req.max_response = 1000;
    struct kapi_http_client_resp r;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    char want[256];
    snprintf(want, sizeof(want), "Post \"%s\": response body too large: more than 1000 bytes", url);
    assert_string_equal(r.err, want);
    assert_null(r.body);
    kapi_http_client_resp_dispose(&r);
    /* Exactly at the limit passes. */
    req.max_response = 5000;
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_int_equal(r.body_len, 5000);
    kapi_http_client_resp_dispose(&r);
    server_stop(s);

    /* Chunked and close-delimited bodies stop at the limit too. */
    s = server_start(server_ctx(srv_cert, false), M_RAW);
    strcpy(big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 20; i++)
        strcat(big, "64\r\n" /* 100 bytes */
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                    "aaaa\r\n");
    strcat(big, "0\r\n\r\n");
    s->raw = big;
    s->raw_len = strlen(big);
    free(url);
    url = url_of(s, "127.0.0.1", "/convert");
    req = base_req(url);
    req.max_response = 1000;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "response body too large");
    kapi_http_client_resp_dispose(&r);
    req.max_response = 2000;
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_int_equal(r.body_len, 2000);
    kapi_http_client_resp_dispose(&r);
    server_stop(s);

    static char eof_body[4096];
    s = server_start(server_ctx(srv_cert, false), M_RAW);
    strcpy(eof_body, "HTTP/1.1 200 OK\r\n\r\n");
    memset(eof_body + strlen(eof_body), 'b', 3000);
    s->raw = eof_body;
    s->raw_len = strlen(eof_body);
    free(url);
    url = url_of(s, "127.0.0.1", "/convert");
    req = base_req(url);
    req.max_response = 1000;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "response body too large");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);
}

static void test_client_cert(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, true), M_ECHO);
    char *url = url_of(s, "127.0.0.1", "/authn");
    struct kapi_http_client_req req = base_req(url);
    req.client_cert_pem = cli_cert_pem;
    req.client_key_pem = cli_key_pem;
    struct kapi_http_client_resp r;
    int rc = kapi_http_client_do(&req, &r);
    if (rc)
        print_error("%s\n", r.err);
    assert_int_equal(rc, 0);
    assert_contains(r.body, "\"cn\":\"kapi-webhook-client\"");
    kapi_http_client_resp_dispose(&r);
    /* Without one the server refuses (TLS 1.3: the alert comes on the first read). */
    req.client_cert_pem = req.client_key_pem = NULL;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "Post \"");
    kapi_http_client_resp_dispose(&r);
    /* A key without a certificate is refused before connecting. */
    req.client_key_pem = cli_key_pem;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "invalid client certificate or key");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);
}

static void test_transport_errors(void **state)
{
    struct kapi_http_client_resp r;
    /* Connection refused: a port nobody listens on. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    socklen_t al = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    char *url = kapi_xasprintf("https://127.0.0.1:%d/x", ntohs(a.sin_port));
    struct kapi_http_client_req req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    char want[256];
    snprintf(want, sizeof(want), "Post \"%s\": dial tcp 127.0.0.1:%d: connect: connection refused", url,
             ntohs(a.sin_port));
    assert_string_equal(r.err, want);
    kapi_http_client_resp_dispose(&r);
    free(url);

    /* http:// is refused unless allowed. */
    struct tserver *s = server_start(NULL, M_ECHO);
    url = url_of(s, "127.0.0.1", "/plain");
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "https required");
    kapi_http_client_resp_dispose(&r);
    assert_int_equal(atomic_load(&s->conns), 0);
    req.allow_http = true;
    assert_int_equal(kapi_http_client_do(&req, &r), 0);
    assert_contains(r.body, "\"/plain\"");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);

    /* HTTPS to a plain HTTP server (which answers the ClientHello with a 400). */
    s = server_start(NULL, M_GREET);
    s->raw = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    s->raw_len = strlen(s->raw);
    url = kapi_xasprintf("https://127.0.0.1:%d/", s->port);
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "Post \"");
    assert_contains(r.err, "tls: first record does not look like a TLS handshake");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);

    /* The server closes without answering. */
    s = server_start(server_ctx(srv_cert, false), M_CLOSE);
    url = url_of(s, "127.0.0.1", "/");
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    snprintf(want, sizeof(want), "Post \"%s\": EOF", url);
    assert_string_equal(r.err, want);
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);

    /* The server answers before reading a large body and resets the
     * connection: the write fails (no SIGPIPE may kill us); the early
     * answer is returned if it could still be read. */
    s = server_start(server_ctx(srv_cert, false), M_EARLY);
    s->raw = "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    s->raw_len = strlen(s->raw);
    url = url_of(s, "127.0.0.1", "/");
    req = base_req(url);
    size_t blen = 8 << 20;
    char *big = calloc(1, blen);
    req.body = big;
    req.body_len = blen;
    if (kapi_http_client_do(&req, &r) == 0) {
        assert_int_equal(r.status, 413);
    } else {
        show(&r);
        assert_contains(r.err, "Post \"");
        assert_null(strstr(r.err, "deadline"));
    }
    kapi_http_client_resp_dispose(&r);
    free(big);
    server_stop(s);
    free(url);

    /* Malformed responses carry the parser's words. */
    s = server_start(server_ctx(srv_cert, false), M_RAW);
    s->raw = "HTTP/1.1 OK\r\n\r\n";
    s->raw_len = strlen(s->raw);
    url = url_of(s, "127.0.0.1", "/");
    req = base_req(url);
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "malformed HTTP");
    kapi_http_client_resp_dispose(&r);
    server_stop(s);
    free(url);

    /* Bad requests never reach the network. */
    static const struct {
        const char *url;
        struct kapi_http_header h;
        const char *method, *err;
    } bad[] = {
        {"https://127.0.0.1:1/", {"X-A", "a\r\nInjected: 1"}, NULL, "invalid header field value"},
        {"https://127.0.0.1:1/", {"X A", "a"}, NULL, "invalid header field name"},
        {"https://127.0.0.1:1/", {"Host", "evil"}, NULL, "set by the client itself"},
        {"https://127.0.0.1:1/", {"content-length", "1"}, NULL, "set by the client itself"},
        {"https://127.0.0.1:1/", {"X-A", "a"}, "PO ST", "invalid method"},
        {"ftp://127.0.0.1:1/", {"X-A", "a"}, NULL, "Post \"ftp://127.0.0.1:1/\": unsupported protocol scheme \"ftp\""},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad); i++) {
        req = base_req(bad[i].url);
        req.headers = &bad[i].h;
        req.nheaders = 1;
        if (bad[i].method)
            req.method = bad[i].method;
        assert_int_equal(kapi_http_client_do(&req, &r), -1);
        show(&r);
        assert_contains(r.err, bad[i].err);
        kapi_http_client_resp_dispose(&r);
    }
    /* No such host (".invalid" never resolves; fails fast or at the deadline). */
    req = base_req("https://no-such-host.invalid/");
    req.timeout_ms = 2000;
    assert_int_equal(kapi_http_client_do(&req, &r), -1);
    show(&r);
    assert_contains(r.err, "Post \"https://no-such-host.invalid/\": ");
    kapi_http_client_resp_dispose(&r);
}

/* Many threads at once against one server, sharing one cached context. */
struct conc_arg {
    const char *url;
    atomic_int *ok;
};

static void *conc_main(void *arg)
{
    struct conc_arg *a = arg;
    for (int i = 0; i < 10; i++) {
        struct kapi_http_client_req req = base_req(a->url);
        struct kapi_http_client_resp r;
        if (kapi_http_client_do(&req, &r) == 0 && r.status == 200 && strstr(r.body, "\"body\":{\"a\":1}"))
            atomic_fetch_add(a->ok, 1);
        else
            fprintf(stderr, "concurrent request failed: %s\n", r.err);
        kapi_http_client_resp_dispose(&r);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    struct tserver *s = server_start(server_ctx(srv_cert, false), M_ECHO);
    char *url = url_of(s, "127.0.0.1", "/c");
    atomic_int ok = 0;
    struct conc_arg a = {url, &ok};
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, conc_main, &a), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&ok), 80);
    server_stop(s);
    free(url);
}

/* The parser as kapi_http_client_open runs it: 101 is final, the bytes
 * after it are the new protocol's, and the final head's headers are kept. */
static void test_parse_stream(void **state)
{
    static const char up[] = "HTTP/1.1 100 Continue\r\nX-Early: 1\r\n\r\n"
                             "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
                             "X-Stream-Protocol-Version:  v4.channel.k8s.io \r\n\r\n\x00\x01raw bytes";
    static const size_t steps[] = {0, 1, 2, 7, 64};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(steps); i++) {
        struct kapi_http_client_resp r;
        assert_int_equal(kapi_http_client_parse_stream_pieces(up, sizeof(up) - 1, steps[i], &r), 0);
        assert_int_equal(r.status, 101);
        assert_int_equal(r.nheaders, 3); /* the 100's header is not kept */
        assert_string_equal(r.headers[0].name, "Connection");
        assert_string_equal(r.headers[1].value, "SPDY/3.1");
        assert_string_equal(r.headers[2].name, "X-Stream-Protocol-Version");
        assert_string_equal(r.headers[2].value, "v4.channel.k8s.io");
        assert_int_equal(r.body_len, 11);
        assert_memory_equal(r.body, "\x00\x01raw bytes", 11);
        kapi_http_client_resp_dispose(&r);
    }
    /* Ordinary framing, no cap on the body; headers kept in order. */
    struct kapi_http_client_resp r;
    static const char chunked[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nline\n\r\n0\r\n\r\n";
    assert_int_equal(kapi_http_client_parse_stream_pieces(chunked, sizeof(chunked) - 1, 3, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.nheaders, 2);
    assert_string_equal(r.body, "line\n");
    kapi_http_client_resp_dispose(&r);
    /* The webhook parser still refuses a 101. */
    assert_int_equal(kapi_http_client_parse_response(up, sizeof(up) - 1, 0, &r), -1);
    assert_non_null(strstr(r.err, "unexpected 101"));
    kapi_http_client_resp_dispose(&r);
    /* A broken head is an error in both. */
    static const char bad[] = "HTTP/1.1 101 OK\r\nBad Header\r\n\r\n";
    assert_int_equal(kapi_http_client_parse_stream_pieces(bad, sizeof(bad) - 1, 0, &r), -1);
    assert_non_null(strstr(r.err, "malformed MIME header line"));
    assert_null(r.headers);
    kapi_http_client_resp_dispose(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_parse_stream),
        cmocka_unit_test(test_parse_response),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_hostname_mismatch),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_redirect_not_followed),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_client_cert),
        cmocka_unit_test(test_transport_errors),
        cmocka_unit_test(test_concurrent),
    };
    return cmocka_run_group_tests(tests, setup_certs, teardown_certs);
}
