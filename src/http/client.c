/* The webhook client: URL parsing, an incremental and bounded HTTP/1.1
 * response parser, cached TLS client contexts, name resolution and connect
 * under one deadline, and the blocking exchange itself. See client.h and
 * docs/internals/http.md ("The client"). */
#include "client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"

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

/* errno text as Go's syscall.Errno prints it: "connection refused". */
static const char *errtext(int e)
{
    static _Thread_local char buf[128];
    const char *s = strerror_r(e, buf, 128); /* GNU: may return a static string */
    if (s != buf)
        snprintf(buf, 128, "%s", s);
    if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
        buf[0] = (char)(buf[0] + 32);
    return buf;
}

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field-value bytes: HTAB, visible ASCII, space, obs-text. */
static bool is_vchar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

/* ---- URL ---- */

int kapi_http_client_parse_url(const char *url, struct kapi_http_client_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (!url || !*url) {
        seterr(err, errlen, "empty URL");
        return -1;
    }
    const char *colon = strstr(url, "://");
    if (!colon) {
        seterr(err, errlen, "unsupported protocol scheme \"\"");
        return -1;
    }
    size_t slen = (size_t)(colon - url);
    if (slen == 5 && strncasecmp(url, "https", 5) == 0) {
        out->https = true;
    } else if (slen == 4 && strncasecmp(url, "http", 4) == 0) {
        out->https = false;
    } else {
        seterr(err, errlen, "unsupported protocol scheme \"%.*s\"", slen < 32 ? (int)slen : 32, url);
        return -1;
    }
    const char *auth = colon + 3;
    size_t alen = strcspn(auth, "/?#");
    const char *rest = auth + alen;
    if (memchr(auth, '@', alen)) {
        seterr(err, errlen, "user info in URL is not allowed");
        return -1;
    }
    if (alen == 0) {
        seterr(err, errlen, "no Host in request URL");
        return -1;
    }
    if (alen >= sizeof(out->authority)) {
        seterr(err, errlen, "host name too long");
        return -1;
    }
    const char *host = auth, *hend, *port = NULL;
    size_t plen = 0;
    if (auth[0] == '[') {
        const char *rb = memchr(auth, ']', alen);
        if (!rb) {
            seterr(err, errlen, "missing ']' in host");
            return -1;
        }
        host = auth + 1;
        hend = rb;
        if (rb + 1 < auth + alen) {
            if (rb[1] != ':') {
                seterr(err, errlen, "invalid character after ']' in host");
                return -1;
            }
            port = rb + 2;
            plen = (size_t)(auth + alen - port);
        }
        size_t hl = (size_t)(hend - host);
        struct in6_addr a6;
        if (hl == 0 || hl >= sizeof(out->host)) {
            seterr(err, errlen, "invalid IPv6 address in host");
            return -1;
        }
        memcpy(out->host, host, hl);
        out->host[hl] = 0;
        if (inet_pton(AF_INET6, out->host, &a6) != 1) {
            seterr(err, errlen, "invalid IPv6 address in host");
            return -1;
        }
        out->host_is_ip = true;
    } else {
        const char *c = memchr(auth, ':', alen);
        hend = c ? c : auth + alen;
        if (c) {
            port = c + 1;
            plen = (size_t)(auth + alen - port);
        }
        size_t hl = (size_t)(hend - host);
        if (hl == 0 || hl >= sizeof(out->host)) {
            seterr(err, errlen, "no Host in request URL");
            return -1;
        }
        for (size_t i = 0; i < hl; i++) {
            unsigned char ch = (unsigned char)host[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                  ch == '.' || ch == '_')) {
                seterr(err, errlen, "invalid character in host name");
                return -1;
            }
        }
        memcpy(out->host, host, hl);
        out->host[hl] = 0;
        struct in_addr a4;
        out->host_is_ip = inet_pton(AF_INET, out->host, &a4) == 1;
    }
    if (port) {
        unsigned long pv = 0;
        if (plen == 0 || plen > 5) {
            seterr(err, errlen, "invalid port in URL");
            return -1;
        }
        for (size_t i = 0; i < plen; i++) {
            if (port[i] < '0' || port[i] > '9') {
                seterr(err, errlen, "invalid port in URL");
                return -1;
            }
            pv = pv * 10 + (unsigned long)(port[i] - '0');
        }
        if (pv == 0 || pv > 65535) {
            seterr(err, errlen, "invalid port in URL");
            return -1;
        }
        snprintf(out->port, sizeof(out->port), "%lu", pv);
    } else {
        strcpy(out->port, out->https ? "443" : "80");
    }
    memcpy(out->authority, auth, alen);
    out->authority[alen] = 0;

    /* Path and query, up to a fragment. Only visible ASCII goes on the wire
     * unchanged; anything else must come percent-encoded. */
    size_t tlen = strcspn(rest, "#");
    if (tlen + 2 > sizeof(out->target)) {
        seterr(err, errlen, "URL too long");
        return -1;
    }
    for (size_t i = 0; i < tlen; i++) {
        unsigned char ch = (unsigned char)rest[i];
        if (ch <= 0x20 || ch >= 0x7f) {
            seterr(err, errlen, "invalid character in URL path or query");
            return -1;
        }
    }
    size_t o = 0;
    if (tlen == 0 || rest[0] != '/')
        out->target[o++] = '/';
    memcpy(out->target + o, rest, tlen);
    out->target[o + tlen] = 0;
    return 0;
}

/* ---- response parser ---- */

enum { RP_HEAD, RP_LEN, RP_CHUNKED, RP_EOF, RP_DONE, RP_ERROR, RP_UPGRADED };
#define RP_MORE 0
#define RP_COMPLETE 1
#define RP_FAIL (-1)
#define MAX_INFORMATIONAL 8

struct rparser {
    int phase;
    struct kapi_buf head;   /* bytes of the head being collected (max MAX_HEAD) */
    size_t scan;            /* kapi_http_find_head_end position */
    int informational;      /* 1xx responses skipped */
    bool seen_bytes;
    uint64_t remaining;     /* RP_LEN: body bytes still expected */
    struct kapi_http_chunked chunk;
    struct kapi_buf body;   /* max = body limit */
    size_t max_body;
    int status;
    char *content_type, *location;
    char err[256];
    /* Streaming mode (kapi_http_client_open): a 101 ends the head and what
     * follows is raw (RP_UPGRADED); the final head's headers are kept. */
    bool allow_upgrade, keep_headers;
    struct kapi_http_header *hdrs; /* heap name/value strings */
    size_t nhdrs, hdrs_cap;
};

static void rp_clear_headers(struct rparser *p)
{
    for (size_t i = 0; i < p->nhdrs; i++) {
        free((char *)p->hdrs[i].name);
        free((char *)p->hdrs[i].value);
    }
    free(p->hdrs);
    p->hdrs = NULL;
    p->nhdrs = p->hdrs_cap = 0;
}

static void rp_keep_header(struct rparser *p, const char *name, size_t nlen, const char *v, size_t vlen)
{
    if (p->nhdrs == p->hdrs_cap) {
        p->hdrs_cap = p->hdrs_cap ? p->hdrs_cap * 2 : 16;
        p->hdrs = kapi_xrealloc(p->hdrs, p->hdrs_cap * sizeof(*p->hdrs));
    }
    p->hdrs[p->nhdrs].name = kapi_xstrndup(name, nlen);
    p->hdrs[p->nhdrs].value = kapi_xstrndup(v, vlen);
    p->nhdrs++;
}

static void rp_init(struct rparser *p, size_t max_body)
{
    memset(p, 0, sizeof(*p));
    p->max_body = max_body ? max_body : KAPI_HTTP_CLIENT_DEFAULT_MAX_RESPONSE;
    kapi_buf_init(&p->head, KAPI_HTTP_CLIENT_MAX_HEAD);
    kapi_buf_init(&p->body, p->max_body);
}

static void rp_dispose(struct rparser *p)
{
    kapi_buf_dispose(&p->head);
    kapi_buf_dispose(&p->body);
    free(p->content_type);
    free(p->location);
    p->content_type = p->location = NULL;
    rp_clear_headers(p);
}

static int rp_fail(struct rparser *p, const char *fmt, ...) KAPI_PRINTF(2, 3);
static int rp_fail(struct rparser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof(p->err), fmt, ap);
    va_end(ap);
    p->phase = RP_ERROR;
    return RP_FAIL;
}

static int rp_too_large(struct rparser *p)
{
    return rp_fail(p, "response body too large: more than %zu bytes", p->max_body);
}

/* Copies at most 40 bytes of s for an error message, with non-printable
 * bytes replaced, into out[48]. */
static const char *quote(const char *s, size_t n, char out[48])
{
    size_t m = n < 40 ? n : 40;
    for (size_t i = 0; i < m; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"') ? s[i] : '?';
    if (n > m) {
        memcpy(out + m, "...", 3);
        m += 3;
    }
    out[m] = 0;
    return out;
}

/* One Content-Length value list: all elements must be the same number. */
static int parse_length(const char *v, size_t n, bool *have, uint64_t *len)
{
    size_t i = 0;
    for (;;) {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        size_t s = i;
        uint64_t x = 0;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            if (i - s >= 18)
                return -1;
            x = x * 10 + (uint64_t)(v[i] - '0');
            i++;
        }
        if (i == s)
            return -1;
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            i++;
        if (*have && *len != x)
            return -1;
        *have = true;
        *len = x;
        if (i == n)
            return 0;
        if (v[i] != ',')
            return -1;
        i++;
    }
}

/* Parses head[0..len) (ending in its blank line) and chooses the body
 * framing. Sets p->phase to RP_HEAD again after a 1xx response. */
static int rp_head(struct rparser *p, const char *head, size_t len)
{
    char q[48];
    const char *end = head + len;
    const char *line = head;
    bool first = true, have_len = false, chunked = false;
    int te_count = 0, minor = 1;
    uint64_t clen = 0;
    char *ctype = NULL, *loc = NULL;
    int status = 0;
    rp_clear_headers(p); /* an earlier 1xx head's */
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            break; /* cannot happen: the head ends in a line break */
        size_t n = (size_t)(nl - line);
        if (n && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\r', n) || memchr(line, 0, n)) {
            free(ctype);
            free(loc);
            return rp_fail(p, "malformed HTTP response: bare CR or NUL in head");
        }
        if (first) {
            first = false;
            /* HTTP/1.x SP 3DIGIT [SP reason] */
            if (n < 12 || memcmp(line, "HTTP/1.", 7) != 0 || line[7] < '0' || line[7] > '9' || line[8] != ' ') {
                free(ctype);
                free(loc);
                return rp_fail(p, "malformed HTTP response \"%s\"", quote(line, n, q));
            }
            minor = line[7] - '0';
            const char *c = line + 9;
            if (c[0] < '1' || c[0] > '5' || c[1] < '0' || c[1] > '9' || c[2] < '0' || c[2] > '9' ||
                (n > 12 && line[12] != ' ')) {
                free(ctype);
                free(loc);
                return rp_fail(p, "malformed HTTP status code \"%s\"", quote(c, n - 9 < 3 ? n - 9 : 3, q));
            }
            status = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
            for (size_t i = 12; i < n; i++)
                if (!is_vchar((unsigned char)line[i])) {
                    free(ctype);
                    free(loc);
                    return rp_fail(p, "malformed HTTP response: bad reason phrase");
                }
            line = nl + 1;
            continue;
        }
        if (n == 0)
            break; /* the blank line */
        if (line[0] == ' ' || line[0] == '\t') {
            free(ctype);
            free(loc);
            return rp_fail(p, "malformed HTTP response: folded header line");
        }
        const char *colon = memchr(line, ':', n);
        size_t nlen = colon ? (size_t)(colon - line) : 0;
        bool ok = nlen > 0;
        for (size_t i = 0; ok && i < nlen; i++)
            ok = is_tchar((unsigned char)line[i]);
        if (!ok) {
            free(ctype);
            free(loc);
            return rp_fail(p, "malformed MIME header line: %s", quote(line, n, q));
        }
        const char *v = colon + 1, *ve = line + n;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (const char *x = v; x < ve; x++)
            if (!is_vchar((unsigned char)*x)) {
                free(ctype);
                free(loc);
                return rp_fail(p, "malformed MIME header line: %s", quote(line, n, q));
            }
        size_t vlen = (size_t)(ve - v);
        if (p->keep_headers)
            rp_keep_header(p, line, nlen, v, vlen);
        if (nlen == 14 && strncasecmp(line, "Content-Length", 14) == 0) {
            if (parse_length(v, vlen, &have_len, &clen) < 0) {
                free(ctype);
                free(loc);
                return rp_fail(p, "bad Content-Length \"%s\"", quote(v, vlen, q));
            }
        } else if (nlen == 17 && strncasecmp(line, "Transfer-Encoding", 17) == 0) {
            te_count++;
            if (te_count > 1 || vlen != 7 || strncasecmp(v, "chunked", 7) != 0) {
                free(ctype);
                free(loc);
                if (te_count > 1)
                    return rp_fail(p, "too many transfer encodings");
                return rp_fail(p, "unsupported transfer encoding: \"%s\"", quote(v, vlen, q));
            }
            chunked = true;
        } else if (nlen == 12 && strncasecmp(line, "Content-Type", 12) == 0) {
            if (!ctype)
                ctype = kapi_xstrndup(v, vlen);
        } else if (nlen == 8 && strncasecmp(line, "Location", 8) == 0) {
            if (!loc)
                loc = kapi_xstrndup(v, vlen);
        }
        line = nl + 1;
    }
    if (status == 101 && p->allow_upgrade) {
        /* Switching protocols: the head is final and what follows is the
         * new protocol's bytes. */
        p->status = status;
        p->content_type = ctype;
        p->location = loc;
        p->phase = RP_UPGRADED;
        return 0;
    }
    if (status == 101) {
        free(ctype);
        free(loc);
        return rp_fail(p, "unexpected 101 Switching Protocols response");
    }
    if (status < 200) {
        free(ctype);
        free(loc);
        rp_clear_headers(p);
        if (++p->informational > MAX_INFORMATIONAL)
            return rp_fail(p, "too many 1xx informational responses");
        p->phase = RP_HEAD;
        return 0;
    }
    p->status = status;
    p->content_type = ctype;
    p->location = loc;
    if (minor == 0)
        chunked = false; /* HTTP/1.0 has no transfer codings; Go ignores the header too */
    if (status == 204 || status == 304) {
        p->phase = RP_DONE;
    } else if (chunked) {
        p->phase = RP_CHUNKED; /* Transfer-Encoding wins over Content-Length (RFC 9112 6.3) */
    } else if (have_len) {
        if (clen > p->max_body)
            return rp_too_large(p);
        p->remaining = clen;
        p->phase = clen ? RP_LEN : RP_DONE;
    } else {
        p->phase = RP_EOF;
    }
    return 0;
}

static int rp_body(struct rparser *p, const char *data, size_t len)
{
    switch (p->phase) {
    case RP_LEN: {
        size_t n = len < p->remaining ? len : (size_t)p->remaining;
        if (kapi_buf_append(&p->body, data, n) < 0)
            return rp_too_large(p);
        p->remaining -= n;
        if (p->remaining == 0) {
            p->phase = RP_DONE;
            return RP_COMPLETE;
        }
        return RP_MORE;
    }
    case RP_CHUNKED: {
        size_t used = 0;
        int rc = kapi_http_chunked_feed(&p->chunk, data, len, &used, &p->body);
        if (rc == KAPI_HTTP_CHUNK_DONE) {
            p->phase = RP_DONE;
            return RP_COMPLETE;
        }
        if (rc == KAPI_HTTP_CHUNK_TOO_LARGE)
            return rp_too_large(p);
        if (rc == KAPI_HTTP_CHUNK_BAD)
            return rp_fail(p, "malformed chunked encoding");
        return RP_MORE;
    }
    case RP_EOF:
    case RP_UPGRADED:
        if (kapi_buf_append(&p->body, data, len) < 0)
            return rp_too_large(p);
        return RP_MORE;
    case RP_DONE:
        return RP_COMPLETE; /* bytes after the response are ignored: the connection is closed */
    default:
        return RP_FAIL;
    }
}

/* Feeds the next bytes from the connection. RP_MORE, RP_COMPLETE or RP_FAIL. */
static int rp_feed(struct rparser *p, const char *data, size_t len)
{
    if (p->phase == RP_ERROR)
        return RP_FAIL;
    if (len)
        p->seen_bytes = true;
    while (p->phase == RP_HEAD) {
        size_t room = p->head.max - p->head.len;
        size_t n = len < room ? len : room;
        if (kapi_buf_append(&p->head, data, n) < 0)
            return rp_fail(p, "response head too large");
        data += n;
        len -= n;
        size_t end = p->head.len ? kapi_http_find_head_end(p->head.data, p->head.len, &p->scan) : 0;
        if (!end) {
            if (p->head.len >= p->head.max)
                return rp_fail(p, "response head too large: more than %zu bytes", p->head.max);
            return RP_MORE;
        }
        if (rp_head(p, p->head.data, end) < 0)
            return RP_FAIL;
        size_t left = p->head.len - end;
        if (p->phase == RP_HEAD) { /* after a 1xx: the next head follows */
            memmove(p->head.data, p->head.data + end, left);
            p->head.len = left;
            p->head.data[left] = 0;
            p->scan = 0;
            continue;
        }
        int rc = left ? rp_body(p, p->head.data + end, left) : (p->phase == RP_DONE ? RP_COMPLETE : RP_MORE);
        kapi_buf_dispose(&p->head);
        if (rc != RP_MORE || !len)
            return rc;
        return rp_body(p, data, len);
    }
    if (!len)
        return p->phase == RP_DONE ? RP_COMPLETE : RP_MORE;
    return rp_body(p, data, len);
}

/* The connection ended. */
static int rp_eof(struct rparser *p)
{
    switch (p->phase) {
    case RP_HEAD:
        if (!p->seen_bytes)
            return rp_fail(p, "EOF");
        return rp_fail(p, "unexpected EOF");
    case RP_LEN:
    case RP_CHUNKED:
        return rp_fail(p, "unexpected EOF");
    case RP_EOF:
    case RP_UPGRADED:
        p->phase = RP_DONE;
        return RP_COMPLETE;
    case RP_DONE:
        return RP_COMPLETE;
    default:
        return RP_FAIL;
    }
}

static void rp_result(struct rparser *p, struct kapi_http_client_resp *out)
{
    out->status = p->status;
    out->body = kapi_buf_steal(&p->body, &out->body_len);
    out->content_type = p->content_type;
    out->location = p->location;
    p->content_type = p->location = NULL;
    out->headers = p->hdrs;
    out->nheaders = p->nhdrs;
    p->hdrs = NULL;
    p->nhdrs = p->hdrs_cap = 0;
}

/* Feeds data to a fresh parser in pieces of step bytes (0: all at once),
 * as the tests and fuzz targets drive it. */
static int parse_pieces(const char *data, size_t len, size_t max_body, bool stream, size_t step,
                        struct kapi_http_client_resp *out)
{
    memset(out, 0, sizeof(*out));
    struct rparser p;
    rp_init(&p, max_body);
    p.allow_upgrade = p.keep_headers = stream;
    if (!step)
        step = len ? len : 1;
    int rc = RP_MORE;
    for (size_t off = 0; rc == RP_MORE && off < len; off += step)
        rc = rp_feed(&p, data + off, len - off < step ? len - off : step);
    if (rc == RP_MORE)
        rc = rp_eof(&p);
    if (rc == RP_COMPLETE)
        rp_result(&p, out);
    else
        snprintf(out->err, sizeof(out->err), "%s", p.err);
    rp_dispose(&p);
    return rc == RP_COMPLETE ? 0 : -1;
}

int kapi_http_client_parse_stream_pieces(const char *data, size_t len, size_t step, struct kapi_http_client_resp *out)
{
    return parse_pieces(data, len, SIZE_MAX, true, step, out);
}

int kapi_http_client_parse_response_pieces(const char *data, size_t len, size_t max_body, size_t step,
                                           struct kapi_http_client_resp *out)
{
    return parse_pieces(data, len, max_body, false, step, out);
}

int kapi_http_client_parse_response(const char *data, size_t len, size_t max_body,
                                    struct kapi_http_client_resp *out)
{
    return kapi_http_client_parse_response_pieces(data, len, max_body, 0, out);
}

void kapi_http_client_resp_dispose(struct kapi_http_client_resp *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->content_type);
    free(r->location);
    r->body = r->content_type = r->location = NULL;
    r->body_len = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        free((char *)r->headers[i].name);
        free((char *)r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

/* ---- TLS contexts, cached by (CA, client cert, client key) ---- */

#define CTX_CACHE_SIZE 16

static struct {
    unsigned char key[32];
    SSL_CTX *ctx;
    uint64_t used;
} ctx_cache[CTX_CACHE_SIZE];
static uint64_t ctx_clock;
static pthread_mutex_t ctx_mu = PTHREAD_MUTEX_INITIALIZER;

static void digest_part(EVP_MD_CTX *md, const char *s, size_t n)
{
    unsigned char tag = s ? 1 : 0;
    uint64_t len = s ? n : 0;
    EVP_DigestUpdate(md, &tag, 1);
    EVP_DigestUpdate(md, &len, sizeof(len));
    if (s && n)
        EVP_DigestUpdate(md, s, n);
}

static int load_ca(SSL_CTX *ctx, const char *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return -1;
    STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!infos)
        return -1;
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    int n = 0;
    for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *xi = sk_X509_INFO_value(infos, i);
        if (xi->x509 && X509_STORE_add_cert(store, xi->x509) == 1)
            n++;
    }
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    /* Any certificate in the bundle is a trust anchor, as in Go's x509
     * CertPool: an intermediate, or the serving certificate itself. */
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
    return n > 0 ? 0 : -1;
}

static int load_client_cert(SSL_CTX *ctx, const char *cert, const char *key)
{
    BIO *bio = BIO_new_mem_buf(cert, -1);
    if (!bio)
        return -1;
    X509 *leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    int rc = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1 ? 0 : -1;
    X509_free(leaf);
    X509 *extra;
    while (rc == 0 && (extra = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
        if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
            X509_free(extra);
            rc = -1;
        }
    }
    BIO_free(bio);
    if (rc < 0)
        return -1;
    bio = BIO_new_mem_buf(key, -1);
    if (!bio)
        return -1;
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    rc = pk && SSL_CTX_use_PrivateKey(ctx, pk) == 1 && SSL_CTX_check_private_key(ctx) == 1 ? 0 : -1;
    EVP_PKEY_free(pk);
    return rc;
}

static SSL_CTX *build_ctx(const struct kapi_http_client_req *req, size_t ca_len, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        seterr(err, errlen, "tls: cannot create context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
    if (req->ca_pem) {
        if (load_ca(ctx, req->ca_pem, ca_len) < 0) {
            seterr(err, errlen, "unable to load root certificates: unable to parse bytes as PEM block");
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        seterr(err, errlen, "unable to load system root certificates");
        goto fail;
    }
    if (req->client_cert_pem || req->client_key_pem) {
        if (!req->client_cert_pem || !req->client_key_pem ||
            load_client_cert(ctx, req->client_cert_pem, req->client_key_pem) < 0) {
            seterr(err, errlen, "tls: invalid client certificate or key");
            goto fail;
        }
    }
    ERR_clear_error();
    return ctx;
fail:
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
}

/* Returns a context the caller owns a reference to (SSL_CTX_free it). */
static SSL_CTX *get_ctx(const struct kapi_http_client_req *req, char *err, size_t errlen)
{
    size_t ca_len = req->ca_pem ? (req->ca_len ? req->ca_len : strlen(req->ca_pem)) : 0;
    if (ca_len > INT32_MAX) {
        seterr(err, errlen, "unable to load root certificates: bundle too large");
        return NULL;
    }
    unsigned char key[32];
    unsigned int klen = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        seterr(err, errlen, "tls: digest unavailable");
        return NULL;
    }
    digest_part(md, req->ca_pem, ca_len);
    digest_part(md, req->client_cert_pem, req->client_cert_pem ? strlen(req->client_cert_pem) : 0);
    digest_part(md, req->client_key_pem, req->client_key_pem ? strlen(req->client_key_pem) : 0);
    EVP_DigestFinal_ex(md, key, &klen);
    EVP_MD_CTX_free(md);

    pthread_mutex_lock(&ctx_mu);
    for (int i = 0; i < CTX_CACHE_SIZE; i++) {
        if (ctx_cache[i].ctx && memcmp(ctx_cache[i].key, key, sizeof(key)) == 0) {
            SSL_CTX *ctx = ctx_cache[i].ctx;
            SSL_CTX_up_ref(ctx);
            ctx_cache[i].used = ++ctx_clock;
            pthread_mutex_unlock(&ctx_mu);
            return ctx;
        }
    }
    pthread_mutex_unlock(&ctx_mu);

    /* Built outside the lock: loading the system roots takes milliseconds. */
    SSL_CTX *ctx = build_ctx(req, ca_len, err, errlen);
    if (!ctx)
        return NULL;
    pthread_mutex_lock(&ctx_mu);
    int slot = 0;
    for (int i = 0; i < CTX_CACHE_SIZE; i++) {
        if (ctx_cache[i].ctx && memcmp(ctx_cache[i].key, key, sizeof(key)) == 0) {
            /* Another thread got there first. */
            SSL_CTX_free(ctx);
            ctx = ctx_cache[i].ctx;
            SSL_CTX_up_ref(ctx);
            ctx_cache[i].used = ++ctx_clock;
            pthread_mutex_unlock(&ctx_mu);
            return ctx;
        }
        if (!ctx_cache[i].ctx || (ctx_cache[slot].ctx && ctx_cache[i].used < ctx_cache[slot].used))
            slot = i;
    }
    SSL_CTX_free(ctx_cache[slot].ctx); /* callers still using it hold their own reference */
    memcpy(ctx_cache[slot].key, key, sizeof(key));
    ctx_cache[slot].ctx = ctx;
    ctx_cache[slot].used = ++ctx_clock;
    SSL_CTX_up_ref(ctx);
    pthread_mutex_unlock(&ctx_mu);
    return ctx;
}

void kapi_http_client_cleanup(void)
{
    pthread_mutex_lock(&ctx_mu);
    for (int i = 0; i < CTX_CACHE_SIZE; i++) {
        SSL_CTX_free(ctx_cache[i].ctx);
        ctx_cache[i].ctx = NULL;
    }
    pthread_mutex_unlock(&ctx_mu);
}

/* ---- verification errors, worded like Go's crypto/x509 ---- */

static void asn1_time_text(const ASN1_TIME *t, char out[21])
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) {
        strcpy(out, "?");
        return;
    }
    kapi_time_rfc3339((int64_t)timegm(&tm), out);
}

static void append_name(char *out, size_t n, const char *s, size_t len)
{
    size_t o = strlen(out);
    if (o + 8 >= n)
        return;
    if (o)
        o += (size_t)snprintf(out + o, n - o, ", ");
    for (size_t i = 0; i < len && o + 4 < n; i++)
        out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[o] = 0;
}

static void hostname_error(X509 *leaf, const char *name, bool is_ip, char *out, size_t n)
{
    char valid[200] = "";
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    bool any_ip = false, any_dns = false;
    for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
        if (is_ip && g->type == GEN_IPADD) {
            const unsigned char *b = ASN1_STRING_get0_data(g->d.iPAddress);
            int bl = ASN1_STRING_length(g->d.iPAddress);
            char txt[INET6_ADDRSTRLEN] = "";
            if (bl == 4 || bl == 16)
                inet_ntop(bl == 4 ? AF_INET : AF_INET6, b, txt, sizeof(txt));
            any_ip = true;
            append_name(valid, sizeof(valid), txt, strlen(txt));
        } else if (!is_ip && g->type == GEN_DNS) {
            any_dns = true;
            append_name(valid, sizeof(valid), (const char *)ASN1_STRING_get0_data(g->d.dNSName),
                        (size_t)ASN1_STRING_length(g->d.dNSName));
        }
    }
    bool has_sans = sans != NULL;
    GENERAL_NAMES_free(sans);
    if (is_ip && !any_ip) {
        seterr(out, n, "x509: cannot validate certificate for %s because it doesn't contain any IP SANs", name);
    } else if (!is_ip && !has_sans &&
               X509_NAME_get_index_by_NID(X509_get_subject_name(leaf), NID_commonName, -1) >= 0) {
        seterr(out, n, "x509: certificate relies on legacy Common Name field, use SANs instead");
    } else if (!is_ip && !any_dns) {
        seterr(out, n, "x509: certificate is not valid for any names, but wanted to match %s", name);
    } else {
        seterr(out, n, "x509: certificate is valid for %s, not %s", valid, name);
    }
}

/* Go checks the leaf's validity period, then the name, then the chain; the
 * first failure is the one reported. */
static void verify_error(SSL *ssl, long vr, const char *name, bool is_ip, char *out, size_t n)
{
    char msg[400];
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    X509 *leaf = chain && sk_X509_num(chain) > 0 ? sk_X509_value(chain, 0) : SSL_get0_peer_certificate(ssl);
    msg[0] = 0;
    if (leaf) {
        const ASN1_TIME *nb = X509_get0_notBefore(leaf), *na = X509_get0_notAfter(leaf);
        char now[21], when[21];
        kapi_time_rfc3339(kapi_wall_ms() / 1000, now);
        if (X509_cmp_current_time(nb) > 0) {
            asn1_time_text(nb, when);
            seterr(msg, sizeof(msg), "x509: certificate has expired or is not yet valid: current time %s is before %s",
                   now, when);
        } else if (X509_cmp_current_time(na) < 0) {
            asn1_time_text(na, when);
            seterr(msg, sizeof(msg), "x509: certificate has expired or is not yet valid: current time %s is after %s",
                   now, when);
        } else if ((is_ip ? X509_check_ip_asc(leaf, name, 0)
                          : X509_check_host(leaf, name, 0,
                                            X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT,
                                            NULL)) != 1) {
            hostname_error(leaf, name, is_ip, msg, sizeof(msg));
        }
    }
    if (!msg[0]) {
        switch (vr) {
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        case X509_V_ERR_CERT_SIGNATURE_FAILURE:
            seterr(msg, sizeof(msg), "x509: certificate signed by unknown authority");
            break;
        case X509_V_ERR_CERT_HAS_EXPIRED:
        case X509_V_ERR_CERT_NOT_YET_VALID:
            seterr(msg, sizeof(msg), "x509: certificate has expired or is not yet valid");
            break;
        default:
            seterr(msg, sizeof(msg), "x509: %s", X509_verify_cert_error_string(vr));
        }
    }
    seterr(out, n, "tls: failed to verify certificate: %s", msg);
}

/* ---- I/O under one deadline ---- */

struct conn {
    int fd;
    SSL *ssl;
    int64_t deadline;
    const char *name;   /* verified name */
    bool name_is_ip;
    char err[400];
    bool timed_out;
};

/* 0 when fd is ready for ev (or in error), -1 at the deadline. */
static int wait_fd(struct conn *c, short ev)
{
    for (;;) {
        int64_t left = c->deadline - kapi_now_ms();
        if (left <= 0) {
            c->timed_out = true;
            seterr(c->err, sizeof(c->err), "context deadline exceeded");
            return -1;
        }
        struct pollfd p = {.fd = c->fd, .events = ev};
        int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR) {
            seterr(c->err, sizeof(c->err), "poll: %s", errtext(errno));
            return -1;
        }
    }
}

/* TLS alert descriptions as Go's crypto/tls names them. */
static const char *alert_text(int a)
{
    switch (a) {
    case 0: return "close notify";
    case 10: return "unexpected message";
    case 20: return "bad record MAC";
    case 21: return "decryption failed";
    case 22: return "record overflow";
    case 30: return "decompression failure";
    case 40: return "handshake failure";
    case 42: return "bad certificate";
    case 43: return "unsupported certificate";
    case 44: return "revoked certificate";
    case 45: return "expired certificate";
    case 46: return "unknown certificate";
    case 47: return "illegal parameter";
    case 48: return "unknown certificate authority";
    case 49: return "access denied";
    case 50: return "error decoding message";
    case 51: return "error decrypting message";
    case 70: return "protocol version not supported";
    case 71: return "insufficient security level";
    case 80: return "internal error";
    case 86: return "inappropriate fallback";
    case 90: return "user canceled";
    case 100: return "no renegotiation";
    case 109: return "missing extension";
    case 110: return "unsupported extension";
    case 112: return "unrecognized name";
    case 115: return "unknown PSK identity";
    case 116: return "certificate required";
    case 120: return "no application protocol";
    default: return NULL;
    }
}

/* Describes an OpenSSL failure like Go's crypto/tls would. */
static void ssl_error(struct conn *c, int r, int e, const char *op)
{
    unsigned long code = ERR_peek_last_error();
    if (e == SSL_ERROR_SSL && code && ERR_GET_LIB(code) == ERR_LIB_SSL &&
        ERR_GET_REASON(code) >= SSL_AD_REASON_OFFSET && ERR_GET_REASON(code) < SSL_AD_REASON_OFFSET + 256) {
        int a = ERR_GET_REASON(code) - SSL_AD_REASON_OFFSET;
        if (alert_text(a))
            seterr(c->err, sizeof(c->err), "remote error: tls: %s", alert_text(a));
        else
            seterr(c->err, sizeof(c->err), "remote error: tls: alert(%d)", a);
    } else if (e == SSL_ERROR_SSL && code && ERR_GET_LIB(code) == ERR_LIB_SSL &&
               (ERR_GET_REASON(code) == SSL_R_WRONG_VERSION_NUMBER ||
                ERR_GET_REASON(code) == SSL_R_PACKET_LENGTH_TOO_LONG)) {
        /* Most often a plain HTTP server on the other end. */
        seterr(c->err, sizeof(c->err), "tls: first record does not look like a TLS handshake");
    } else if (e == SSL_ERROR_SSL && code) {
        char buf[200];
        ERR_error_string_n(code, buf, sizeof(buf));
        const char *reason = ERR_reason_error_string(code);
        seterr(c->err, sizeof(c->err), "tls: %s", reason ? reason : buf);
    } else if (e == SSL_ERROR_SYSCALL && errno) {
        seterr(c->err, sizeof(c->err), "%s: %s", op, errtext(errno));
    } else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
        seterr(c->err, sizeof(c->err), "EOF");
    } else {
        seterr(c->err, sizeof(c->err), "tls: %s failed (%d/%d)", op, r, e);
    }
    ERR_clear_error();
}

static int conn_handshake(struct conn *c)
{
    for (;;) {
        ERR_clear_error();
        errno = 0;
        int r = SSL_connect(c->ssl);
        if (r == 1)
            return 0;
        int e = SSL_get_error(c->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0)
                return -1;
            continue;
        }
        long vr = SSL_get_verify_result(c->ssl);
        if (vr != X509_V_OK) {
            verify_error(c->ssl, vr, c->name, c->name_is_ip, c->err, sizeof(c->err));
            ERR_clear_error();
        } else {
            ssl_error(c, r, e, "read");
        }
        return -1;
    }
}

static int conn_write(struct conn *c, const char *p, size_t n)
{
    while (n) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_write(c->ssl, p, (int)chunk);
            if (r > 0) {
                p += r;
                n -= (size_t)r;
                continue;
            }
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0)
                    return -1;
                continue;
            }
            ssl_error(c, r, e, "write");
            return -1;
        }
        ssize_t r = send(c->fd, p, chunk, MSG_NOSIGNAL);
        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(c, POLLOUT) < 0)
                return -1;
        } else {
            seterr(c->err, sizeof(c->err), "write: %s", errtext(r < 0 ? errno : EPIPE));
            return -1;
        }
    }
    return 0;
}

/* >0 bytes read, 0 at end of stream, -1 on error or deadline. */
static ssize_t conn_read(struct conn *c, char *buf, size_t n)
{
    for (;;) {
        if (c->ssl) {
            ERR_clear_error();
            errno = 0;
            int r = SSL_read(c->ssl, buf, (int)n);
            if (r > 0)
                return r;
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN)
                return 0;
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
                if (wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT) < 0)
                    return -1;
                continue;
            }
            if (e == SSL_ERROR_SYSCALL && errno == 0) {
                ERR_clear_error();
                return 0;
            }
            ssl_error(c, r, e, "read");
            return -1;
        }
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r >= 0)
            return r;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            if (wait_fd(c, POLLIN) < 0)
                return -1;
            continue;
        }
        seterr(c->err, sizeof(c->err), "read: %s", errtext(errno));
        return -1;
    }
}

/* ---- name resolution with a deadline ---- */

/* getaddrinfo cannot be cancelled, so it runs on a detached thread; a caller
 * whose deadline passes walks away and the last one out frees the job. */
struct resolve_job {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs;
    bool done;
    int rc;
    struct addrinfo *res;
    char host[256];
    char port[6];
};

static void job_unref(struct resolve_job *j)
{
    pthread_mutex_lock(&j->mu);
    bool last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last)
        return;
    if (j->res)
        freeaddrinfo(j->res);
    pthread_mutex_destroy(&j->mu);
    pthread_cond_destroy(&j->cv);
    free(j);
}

static void *resolve_thread(void *arg)
{
    kapi_thread_name("dns-resolve");
    struct resolve_job *j = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(j->host, j->port, &hints, &res);
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->res = res;
    j->done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_unref(j);
    return NULL;
}

/* Returns 0 with *res (freeaddrinfo it), or -1 with c->err set. */
static int resolve(struct conn *c, const struct kapi_http_client_url *u, struct addrinfo **res)
{
    *res = NULL;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    int rc;
    if (u->host_is_ip) {
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        rc = getaddrinfo(u->host, u->port, &hints, res);
    } else {
        struct resolve_job *j = kapi_xcalloc(1, sizeof(*j));
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&j->cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&j->mu, NULL);
        j->refs = 2;
        snprintf(j->host, sizeof(j->host), "%s", u->host);
        snprintf(j->port, sizeof(j->port), "%s", u->port);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t t;
        if (pthread_create(&t, &attr, resolve_thread, j) != 0) {
            pthread_attr_destroy(&attr);
            j->refs = 1;
            job_unref(j);
            rc = getaddrinfo(u->host, u->port, &hints, res);
        } else {
            pthread_attr_destroy(&attr);
            struct timespec ts = {.tv_sec = (time_t)(c->deadline / 1000),
                                  .tv_nsec = (long)(c->deadline % 1000) * 1000000L};
            pthread_mutex_lock(&j->mu);
            while (!j->done) {
                if (pthread_cond_timedwait(&j->cv, &j->mu, &ts) == ETIMEDOUT && !j->done)
                    break;
            }
            bool done = j->done;
            rc = j->rc;
            if (done) {
                *res = j->res;
                j->res = NULL;
            }
            pthread_mutex_unlock(&j->mu);
            job_unref(j);
            if (!done) {
                c->timed_out = true;
                seterr(c->err, sizeof(c->err), "context deadline exceeded");
                return -1;
            }
        }
    }
    if (rc != 0) {
        if (rc == EAI_NONAME || rc == EAI_NODATA)
            seterr(c->err, sizeof(c->err), "dial tcp: lookup %s: no such host", u->host);
        else
            seterr(c->err, sizeof(c->err), "dial tcp: lookup %s: %s", u->host,
                   rc == EAI_SYSTEM ? errtext(errno) : gai_strerror(rc));
        return -1;
    }
    return 0;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
        port = ntohs(s4->sin_port);
        snprintf(out, n, "%s:%d", ip, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
        port = ntohs(s6->sin6_port);
        snprintf(out, n, "[%s]:%d", ip, port);
    } else {
        snprintf(out, n, "?");
    }
}

/* Tries each address in turn until one connects. */
static int tcp_connect(struct conn *c, const struct addrinfo *res)
{
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        char at[INET6_ADDRSTRLEN + 10];
        addr_text(ai->ai_addr, at, sizeof(at));
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            seterr(c->err, sizeof(c->err), "dial tcp %s: socket: %s", at, errtext(errno));
            continue;
        }
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            c->fd = fd;
            if (wait_fd(c, POLLOUT) < 0) {
                close(fd);
                c->fd = -1;
                return -1; /* the deadline is shared: no point trying the next address */
            }
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            r = soerr ? -1 : 0;
            errno = soerr;
        }
        if (r == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            c->fd = fd;
            return 0;
        }
        seterr(c->err, sizeof(c->err), "dial tcp %s: connect: %s", at, errtext(errno));
        close(fd);
        c->fd = -1;
    }
    return -1;
}

/* ---- the request ---- */

static bool header_allowed(const char *name)
{
    static const char *const reserved[] = {"host",    "content-length", "transfer-encoding", "connection",
                                           "content-type", "user-agent", "te", "upgrade", "expect",
                                           "keep-alive", "proxy-connection", "trailer"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(reserved); i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return false;
    return true;
}

static bool token_ok(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

static bool value_ok(const char *s)
{
    if (!s)
        return false;
    for (; *s; s++)
        if (!is_vchar((unsigned char)*s))
            return false;
    return true;
}

/* Builds the request head into b; -1 with err set on a bad field. */
static int build_head(const struct kapi_http_client_req *req, const struct kapi_http_client_url *u,
                      const char *method, struct kapi_buf *b, char *err, size_t errlen)
{
    const char *ua = req->user_agent ? req->user_agent : "kapi";
    const char *ct = req->content_type ? req->content_type : "application/json";
    if (!value_ok(ua) || !value_ok(ct) || (req->upgrade && (!value_ok(req->upgrade) || !*req->upgrade))) {
        seterr(err, errlen, "invalid header field value");
        return -1;
    }
    bool has_accept = false;
    kapi_buf_printf(b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u->target, u->authority);
    if (!req->forward)
        kapi_buf_printf(b, "User-Agent: %s\r\n", ua);
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct kapi_http_header *h = &req->headers[i];
        if (!token_ok(h->name)) {
            seterr(err, errlen, "invalid header field name");
            return -1;
        }
        if (!value_ok(h->value)) {
            seterr(err, errlen, "invalid header field value for \"%s\"", h->name);
            return -1;
        }
        /* A proxy forwards the client's own Content-Type, User-Agent,
         * Accept, ...; the framing and connection headers stay ours. */
        bool ok = req->forward ? strcasecmp(h->name, "host") != 0 && strcasecmp(h->name, "content-length") != 0 &&
                                     strcasecmp(h->name, "transfer-encoding") != 0 &&
                                     strcasecmp(h->name, "connection") != 0 && strcasecmp(h->name, "upgrade") != 0 &&
                                     strcasecmp(h->name, "te") != 0 && strcasecmp(h->name, "trailer") != 0 &&
                                     strcasecmp(h->name, "keep-alive") != 0 &&
                                     strcasecmp(h->name, "proxy-connection") != 0
                               : header_allowed(h->name);
        if (!ok) {
            seterr(err, errlen, "header \"%s\" is set by the client itself", h->name);
            return -1;
        }
        if (strcasecmp(h->name, "accept") == 0)
            has_accept = true;
        kapi_buf_printf(b, "%s: %s\r\n", h->name, h->value);
    }
    if (!has_accept && !req->forward)
        kapi_buf_puts(b, "Accept: application/json, */*\r\n");
    bool body_method = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    if (req->body_len || body_method) {
        if (req->body_len && !req->forward)
            kapi_buf_printf(b, "Content-Type: %s\r\n", ct);
        kapi_buf_printf(b, "Content-Length: %zu\r\n", req->body_len);
    }
    if (req->upgrade)
        kapi_buf_printf(b, "Connection: Upgrade\r\nUpgrade: %s\r\n\r\n", req->upgrade);
    else
        kapi_buf_puts(b, "Connection: close\r\n\r\n");
    return 0;
}

/* Go's url.Error op: "POST" -> "Post". */
static void method_op(const char *m, char out[24])
{
    size_t i = 0;
    for (; m[i] && i < 23; i++)
        out[i] = (char)(i ? (m[i] >= 'A' && m[i] <= 'Z' ? m[i] + 32 : m[i]) : m[i]);
    out[i] = 0;
}

void kapi_http_client_format_error(char *out, size_t outlen, const char *method, const char *url, const char *msg)
{
    char op[24], shown[208];
    method_op(method, op);
    size_t n = strlen(url), m = n > 200 ? 200 : n;
    for (size_t i = 0; i < m; i++)
        shown[i] = (url[i] > 0x20 && url[i] < 0x7f && url[i] != '"') ? url[i] : '?';
    if (n > m) {
        memcpy(shown + m, "...", 3);
        m += 3;
    }
    shown[m] = 0;
    snprintf(out, outlen, "%s \"%s\": %s", op, shown, msg);
}

static void fail_url(struct kapi_http_client_resp *resp, const char *method, const char *url, const char *msg)
{
    kapi_http_client_format_error(resp->err, sizeof(resp->err), method, url, msg);
    resp->status = 0;
}

/* One exchange's connection state, shared by kapi_http_client_do and the
 * streaming API. */
struct exchange {
    struct conn c;
    SSL_CTX *ctx;
    struct addrinfo *addrs;
    struct kapi_http_client_url u;
    char vname[256];
    char write_err[400]; /* a failed write whose answer may still be readable */
};

static void exchange_close(struct exchange *x, bool clean)
{
    if (x->c.ssl) {
        if (clean) {
            ERR_clear_error();
            SSL_shutdown(x->c.ssl); /* one non-blocking close_notify; no wait for the peer's */
        }
        SSL_free(x->c.ssl);
        x->c.ssl = NULL;
    }
    ERR_clear_error();
    if (x->c.fd >= 0)
        close(x->c.fd);
    x->c.fd = -1;
    if (x->addrs)
        freeaddrinfo(x->addrs);
    x->addrs = NULL;
    SSL_CTX_free(x->ctx);
    x->ctx = NULL;
}

/* Connects, handshakes and sends the request. -1 with msg (Go-style, without
 * the "Get url:" prefix) on failure. A failed write that is not a timeout
 * is kept in x->write_err and reported only if no answer can be read. */
static int exchange_start(const struct kapi_http_client_req *req, const char *method, struct exchange *x,
                          char *msg, size_t msglen)
{
    const char *url = req->url ? req->url : "";
    struct kapi_buf head;
    kapi_buf_init(&head, 0);
    int rc = -1;
    if (kapi_http_client_parse_url(url, &x->u, msg, msglen) < 0)
        goto out;
    if (!x->u.https && !req->allow_http) {
        seterr(msg, msglen, "http:// URLs are not allowed (https required)");
        goto out;
    }
    if (build_head(req, &x->u, method, &head, msg, msglen) < 0)
        goto out;
    if (x->u.https) {
        x->ctx = get_ctx(req, msg, msglen);
        if (!x->ctx)
            goto out;
    }
    if (resolve(&x->c, &x->u, &x->addrs) < 0 || tcp_connect(&x->c, x->addrs) < 0) {
        seterr(msg, msglen, "%s", x->c.err);
        goto out;
    }
    if (x->u.https) {
        /* A trailing dot names the same host: Go drops it for matching and SNI. */
        char *name = x->vname;
        snprintf(x->vname, sizeof(x->vname), "%s",
                 req->server_name && *req->server_name ? req->server_name : x->u.host);
        size_t nlen = strlen(name);
        if (nlen > 1 && name[nlen - 1] == '.')
            name[nlen - 1] = 0;
        unsigned char ipbuf[16];
        x->c.name = name;
        x->c.name_is_ip = inet_pton(AF_INET, name, ipbuf) == 1 || inet_pton(AF_INET6, name, ipbuf) == 1;
        x->c.ssl = SSL_new(x->ctx);
        if (!x->c.ssl || SSL_set_fd(x->c.ssl, x->c.fd) != 1) {
            seterr(msg, msglen, "tls: cannot create connection");
            goto out;
        }
        if (req->insecure_skip_verify) {
            SSL_set_verify(x->c.ssl, SSL_VERIFY_NONE, NULL);
            if (!x->c.name_is_ip)
                SSL_set_tlsext_host_name(x->c.ssl, name);
        } else {
            X509_VERIFY_PARAM *vp = SSL_get0_param(x->c.ssl);
            X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                                    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
            int ok;
            if (x->c.name_is_ip) {
                ok = X509_VERIFY_PARAM_set1_ip_asc(vp, name);
            } else {
                /* No SNI for IP literals (RFC 6066), as Go does. */
                ok = X509_VERIFY_PARAM_set1_host(vp, name, 0) == 1 && SSL_set_tlsext_host_name(x->c.ssl, name) == 1;
            }
            if (ok != 1) {
                ERR_clear_error();
                seterr(msg, msglen, "tls: invalid server name");
                goto out;
            }
        }
        SSL_set_connect_state(x->c.ssl);
        if (conn_handshake(&x->c) < 0) {
            seterr(msg, msglen, "%s", x->c.err);
            goto out;
        }
    }

    /* Small bodies go out with the head in one write (one TLS record). */
    bool wrote = true;
    if (req->body_len && req->body_len <= 16384) {
        kapi_buf_append(&head, req->body, req->body_len);
        wrote = conn_write(&x->c, head.data, head.len) == 0;
    } else {
        wrote = conn_write(&x->c, head.data, head.len) == 0 &&
                (!req->body_len || conn_write(&x->c, req->body, req->body_len) == 0);
    }
    if (!wrote) {
        if (x->c.timed_out) {
            seterr(msg, msglen, "%s", x->c.err);
            goto out;
        }
        /* The server may have answered early (413, say) and closed: Go's
         * transport still reads that response, so try. */
        snprintf(x->write_err, sizeof(x->write_err), "%s", x->c.err);
    }
    rc = 0;
out:
    kapi_buf_dispose(&head);
    return rc;
}

int kapi_http_client_do(const struct kapi_http_client_req *req, struct kapi_http_client_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    const char *method = req->method ? req->method : "POST";
    const char *url = req->url ? req->url : "";
    char msg[400];
    if (!token_ok(method)) {
        char q[48];
        snprintf(resp->err, sizeof(resp->err), "net/http: invalid method \"%s\"", quote(method, strlen(method), q));
        return -1;
    }
    if (req->upgrade) {
        fail_url(resp, method, url, "net/http: an upgrade needs kapi_http_client_open");
        return -1;
    }
    struct exchange *x = kapi_xcalloc(1, sizeof(*x));
    x->c.fd = -1;
    struct rparser p;
    rp_init(&p, req->max_response);
    int rc = -1;
    x->c.deadline = kapi_now_ms() + (req->timeout_ms > 0 ? req->timeout_ms : KAPI_HTTP_CLIENT_DEFAULT_TIMEOUT_MS);

    /* SIGPIPE: TLS writes use write(2), which raises it on a reset socket.
     * Block it on this thread for the exchange and swallow one we caused. */
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    bool was_blocked = sigismember(&old_mask, SIGPIPE) == 1;
    bool was_pending = false;
    if (!was_blocked) {
        sigpending(&pending);
        was_pending = sigismember(&pending, SIGPIPE) == 1;
    }

    if (exchange_start(req, method, x, msg, sizeof(msg)) < 0) {
        fail_url(resp, method, url, msg);
        goto out;
    }
    char *buf = kapi_xmalloc(16384);
    int prc = RP_MORE;
    while (prc == RP_MORE) {
        ssize_t n = conn_read(&x->c, buf, 16384);
        if (n < 0)
            break;
        prc = n == 0 ? rp_eof(&p) : rp_feed(&p, buf, (size_t)n);
    }
    free(buf);
    if (prc == RP_COMPLETE) {
        rp_result(&p, resp);
        rc = 0;
    } else if (x->write_err[0]) {
        fail_url(resp, method, url, x->write_err);
    } else if (prc == RP_FAIL) {
        /* A response too large or malformed, or a bare EOF. */
        fail_url(resp, method, url, p.err);
    } else {
        fail_url(resp, method, url, x->c.err);
    }

out:
    exchange_close(x, rc == 0);
    free(x);
    rp_dispose(&p);
    if (!was_blocked) {
        if (!was_pending) {
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                struct timespec zero = {0, 0};
                sigtimedwait(&pipe_set, NULL, &zero);
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    }
    return rc;
}

/* ---- streaming ---- */

struct kapi_http_client_stream {
    struct exchange x;
    struct rparser p;
    size_t body_off;    /* bytes of p.body already handed out */
    bool eof;           /* the body (or, upgraded, the raw stream) ended */
    char err[512];
};

struct kapi_http_client_stream *kapi_http_client_open(const struct kapi_http_client_req *req, char *err,
                                                      size_t errlen)
{
    const char *method = req->method ? req->method : "GET";
    char msg[400];
    if (!token_ok(method)) {
        char q[48];
        seterr(err, errlen, "net/http: invalid method \"%s\"", quote(method, strlen(method), q));
        return NULL;
    }
    struct kapi_http_client_stream *s = kapi_xcalloc(1, sizeof(*s));
    s->x.c.fd = -1;
    rp_init(&s->p, SIZE_MAX);
    s->p.keep_headers = true;
    s->p.allow_upgrade = req->upgrade != NULL;
    s->x.c.deadline = kapi_now_ms() + (req->timeout_ms > 0 ? req->timeout_ms : KAPI_HTTP_CLIENT_DEFAULT_TIMEOUT_MS);
    if (exchange_start(req, method, &s->x, msg, sizeof(msg)) < 0) {
        seterr(err, errlen, "%s", msg);
        kapi_http_client_stream_close(s);
        return NULL;
    }
    /* The head gets its own deadline: a backend may think before it answers. */
    if (req->head_timeout_ms > 0)
        s->x.c.deadline = kapi_now_ms() + req->head_timeout_ms;
    char buf[4096];
    int prc = RP_MORE;
    while (s->p.phase == RP_HEAD && prc == RP_MORE) {
        ssize_t n = conn_read(&s->x.c, buf, sizeof(buf));
        if (n < 0)
            break;
        prc = n == 0 ? rp_eof(&s->p) : rp_feed(&s->p, buf, (size_t)n);
    }
    if (s->p.phase == RP_HEAD || s->p.phase == RP_ERROR) {
        const char *why = s->x.write_err[0] ? s->x.write_err : prc == RP_FAIL ? s->p.err : s->x.c.err;
        seterr(err, errlen, "%s", why);
        kapi_http_client_stream_close(s);
        return NULL;
    }
    if (s->p.phase == RP_DONE)
        s->eof = true;
    return s;
}

int kapi_http_client_stream_status(const struct kapi_http_client_stream *s) { return s->p.status; }

const struct kapi_http_header *kapi_http_client_stream_headers(const struct kapi_http_client_stream *s, size_t *n)
{
    *n = s->p.nhdrs;
    return s->p.hdrs;
}

const char *kapi_http_client_stream_error(const struct kapi_http_client_stream *s) { return s->err; }

/* Hands out buffered bytes; 0 when there are none. */
static size_t take_buffered(struct kapi_http_client_stream *s, void *buf, size_t n)
{
    size_t avail = s->p.body.len - s->body_off;
    if (!avail)
        return 0;
    size_t m = avail < n ? avail : n;
    memcpy(buf, s->p.body.data + s->body_off, m);
    s->body_off += m;
    if (s->body_off == s->p.body.len) {
        kapi_buf_reset(&s->p.body);
        s->body_off = 0;
    }
    return m;
}

long kapi_http_client_stream_read(struct kapi_http_client_stream *s, void *buf, size_t n, int timeout_ms)
{
    if (s->p.phase == RP_UPGRADED)
        return KAPI_HTTP_CLIENT_ERR;
    for (;;) {
        size_t m = take_buffered(s, buf, n);
        if (m)
            return (long)m;
        if (s->eof || s->p.phase == RP_DONE)
            return 0;
        if (s->p.phase == RP_ERROR)
            return KAPI_HTTP_CLIENT_ERR;
        char tmp[16384];
        s->x.c.timed_out = false;
        s->x.c.deadline = kapi_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        ssize_t r = conn_read(&s->x.c, tmp, sizeof(tmp));
        if (r < 0) {
            if (s->x.c.timed_out)
                return KAPI_HTTP_CLIENT_AGAIN;
            snprintf(s->err, sizeof(s->err), "%s", s->x.c.err);
            return KAPI_HTTP_CLIENT_ERR;
        }
        int prc = r == 0 ? rp_eof(&s->p) : rp_feed(&s->p, tmp, (size_t)r);
        if (prc == RP_FAIL) {
            snprintf(s->err, sizeof(s->err), "%s", s->p.err);
            return KAPI_HTTP_CLIENT_ERR;
        }
        if (prc == RP_COMPLETE)
            s->eof = true;
    }
}

int kapi_http_client_stream_fd(const struct kapi_http_client_stream *s) { return s->x.c.fd; }

bool kapi_http_client_stream_raw_pending(const struct kapi_http_client_stream *s)
{
    return s->p.body.len > s->body_off || (s->x.c.ssl && SSL_has_pending(s->x.c.ssl));
}

long kapi_http_client_stream_raw_read(struct kapi_http_client_stream *s, void *buf, size_t n)
{
    if (s->p.phase != RP_UPGRADED && s->p.phase != RP_DONE)
        return KAPI_HTTP_CLIENT_ERR;
    size_t m = take_buffered(s, buf, n);
    if (m)
        return (long)m;
    if (s->eof)
        return 0;
    if (n > INT32_MAX)
        n = INT32_MAX;
    ERR_clear_error();
    errno = 0;
    ssize_t r;
    if (s->x.c.ssl) {
        int sr = SSL_read(s->x.c.ssl, buf, (int)n);
        if (sr > 0)
            return sr;
        int e = SSL_get_error(s->x.c.ssl, sr);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return KAPI_HTTP_CLIENT_AGAIN;
        ERR_clear_error();
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && errno == 0)) {
            s->eof = true;
            return 0;
        }
        ssl_error(&s->x.c, sr, e, "read");
        snprintf(s->err, sizeof(s->err), "%s", s->x.c.err);
        return KAPI_HTTP_CLIENT_ERR;
    }
    r = recv(s->x.c.fd, buf, n, 0);
    if (r > 0)
        return (long)r;
    if (r == 0) {
        s->eof = true;
        return 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return KAPI_HTTP_CLIENT_AGAIN;
    snprintf(s->err, sizeof(s->err), "read: %s", errtext(errno));
    return KAPI_HTTP_CLIENT_ERR;
}

long kapi_http_client_stream_raw_write(struct kapi_http_client_stream *s, const void *buf, size_t n)
{
    if (s->p.phase != RP_UPGRADED && s->p.phase != RP_DONE)
        return KAPI_HTTP_CLIENT_ERR;
    if (n > INT32_MAX)
        n = INT32_MAX;
    ERR_clear_error();
    errno = 0;
    if (s->x.c.ssl) {
        int r = SSL_write(s->x.c.ssl, buf, (int)n);
        if (r > 0)
            return r;
        int e = SSL_get_error(s->x.c.ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
            return KAPI_HTTP_CLIENT_AGAIN;
        ssl_error(&s->x.c, r, e, "write");
        snprintf(s->err, sizeof(s->err), "%s", s->x.c.err);
        return KAPI_HTTP_CLIENT_ERR;
    }
    ssize_t r = send(s->x.c.fd, buf, n, MSG_NOSIGNAL);
    if (r > 0)
        return (long)r;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return KAPI_HTTP_CLIENT_AGAIN;
    snprintf(s->err, sizeof(s->err), "write: %s", errtext(r < 0 ? errno : EPIPE));
    return KAPI_HTTP_CLIENT_ERR;
}

void kapi_http_client_stream_close(struct kapi_http_client_stream *s)
{
    if (!s)
        return;
    exchange_close(&s->x, false);
    rp_dispose(&s->p);
    free(s);
}
