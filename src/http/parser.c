/* HTTP/1.1 request parsing without I/O: head (RFC 9112 sections 2-6) and
 * chunked body framing. Strict where leniency could let two parsers disagree
 * about message boundaries (obs-fold, bare CR, CL+TE, conflicting lengths);
 * lenient only where RFC 9112 allows it (bare LF ending head lines, empty
 * lines before the request line). */
#include "http_int.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 tchar. */
static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1,
    ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* field-vchar / SP / HTAB / obs-text: everything but CTLs (HTAB allowed). */
static bool value_char_ok(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

size_t kapi_http_skip_empty_lines(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
        i++;
    return i;
}

size_t kapi_http_find_head_end(const char *buf, size_t len, size_t *scan)
{
    size_t i = *scan;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        if (!nl) {
            *scan = len;
            return 0;
        }
        i = (size_t)(nl - buf);
        if (i + 1 >= len) {
            *scan = i; /* undecided until the next byte arrives */
            return 0;
        }
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r') {
            if (i + 2 >= len) {
                *scan = i;
                return 0;
            }
            if (buf[i + 2] == '\n')
                return i + 3;
        }
        i++;
    }
    *scan = i;
    return 0;
}

char *kapi_http_percent_decode(struct kapi_pool *pool, const char *s, size_t len)
{
    char *out = kapi_pool_alloc(pool, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (i + 2 >= len)
            return NULL;
        int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0)
            return NULL;
        int v = hi * 16 + lo;
        if (v == 0)
            return NULL;
        out[o++] = (char)v;
        i += 2;
    }
    out[o] = 0;
    return out;
}

/* Iterates comma-separated list elements of a field value, trimming OWS;
 * empty elements are skipped as RFC 9110 section 5.6.1 asks. */
struct list_iter {
    const char *p;
};

static bool list_next(struct list_iter *it, const char **elem, size_t *elen)
{
    for (;;) {
        while (*it->p == ' ' || *it->p == '\t' || *it->p == ',')
            it->p++;
        if (!*it->p)
            return false;
        const char *s = it->p;
        while (*it->p && *it->p != ',')
            it->p++;
        const char *e = it->p;
        while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s) {
            *elem = s;
            *elen = (size_t)(e - s);
            return true;
        }
    }
}

static bool elem_is(const char *e, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(e, word, n) == 0;
}

/* Content-Length: 1*DIGIT, or a list of identical values. */
static int parse_content_length(const char *v, struct kapi_http_head *h)
{
    struct list_iter it = {v};
    const char *e;
    size_t n;
    bool any = false;
    while (list_next(&it, &e, &n)) {
        uint64_t x = 0;
        for (size_t i = 0; i < n; i++) {
            if (e[i] < '0' || e[i] > '9')
                return KAPI_HTTP_E_BAD_REQUEST;
            if (x > (UINT64_MAX - 9) / 10)
                return KAPI_HTTP_E_BAD_REQUEST;
            x = x * 10 + (uint64_t)(e[i] - '0');
        }
        if (h->has_length && h->content_length != x)
            return KAPI_HTTP_E_BAD_REQUEST;
        h->has_length = true;
        h->content_length = x;
        any = true;
    }
    return any ? 0 : KAPI_HTTP_E_BAD_REQUEST;
}

static int parse_transfer_encoding(const char *v, struct kapi_http_head *h)
{
    struct list_iter it = {v};
    const char *e;
    size_t n;
    bool any = false;
    while (list_next(&it, &e, &n)) {
        any = true;
        /* chunked must be the one and only coding; we implement no others. */
        if (!elem_is(e, n, "chunked"))
            return KAPI_HTTP_E_NOT_IMPLEMENTED;
        if (h->chunked)
            return KAPI_HTTP_E_BAD_REQUEST;
        h->chunked = true;
    }
    return any ? 0 : KAPI_HTTP_E_BAD_REQUEST;
}

/* Splits a request-target into target/raw_path/query/path. */
static int parse_target(struct kapi_pool *pool, char *t, struct kapi_http_head *h)
{
    if (t[0] != '/') {
        /* absolute-form: keep only the path and query (RFC 9112 3.2.2). */
        size_t skip;
        if (strncasecmp(t, "http://", 7) == 0)
            skip = 7;
        else if (strncasecmp(t, "https://", 8) == 0)
            skip = 8;
        else
            return KAPI_HTTP_E_BAD_REQUEST; /* asterisk-form, authority-form, garbage */
        char *a = t + skip;
        size_t alen = strcspn(a, "/?#");
        if (alen == 0)
            return KAPI_HTTP_E_BAD_REQUEST;
        char *rest = a + alen;
        if (*rest == '/')
            t = rest;
        else
            t = kapi_pool_printf(pool, "/%s", *rest == '?' ? rest : "");
    }
    h->target = t;
    char *q = strchr(t, '?');
    size_t plen = q ? (size_t)(q - t) : strlen(t);
    h->raw_path = q ? kapi_pool_strndup(pool, t, plen) : t;
    h->query = q ? q + 1 : "";
    if (memchr(h->raw_path, '%', plen)) {
        h->path = kapi_http_percent_decode(pool, h->raw_path, plen);
        if (!h->path)
            return KAPI_HTTP_E_BAD_REQUEST;
    } else {
        h->path = h->raw_path;
    }
    return 0;
}

static int parse_request_line(struct kapi_pool *pool, char *line, size_t len, struct kapi_http_head *h)
{
    size_t i = 0;
    while (i < len && tchar[(unsigned char)line[i]])
        i++;
    if (i == 0 || i >= len || line[i] != ' ')
        return KAPI_HTTP_E_BAD_REQUEST;
    line[i] = 0;
    h->method = line;
    char *t = line + i + 1;
    size_t j = (size_t)(t - line);
    while (j < len && (unsigned char)line[j] > 0x20 && line[j] != 0x7f)
        j++;
    if (j == (size_t)(t - line) || j >= len || line[j] != ' ')
        return KAPI_HTTP_E_BAD_REQUEST;
    line[j] = 0;
    const char *v = line + j + 1;
    size_t vlen = len - j - 1;
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' || v[7] < '0' ||
        v[7] > '9')
        return KAPI_HTTP_E_BAD_REQUEST;
    if (v[5] != '1')
        return KAPI_HTTP_E_VERSION;
    /* 1.x with x > 1 is answered as 1.1 (RFC 9110 section 6.2). */
    h->minor = v[7] == '0' ? 0 : 1;
    return parse_target(pool, t, h);
}

int kapi_http_parse_head(struct kapi_pool *pool, const char *buf, size_t len, struct kapi_http_head *out)
{
    memset(out, 0, sizeof(*out));
    size_t skip = kapi_http_skip_empty_lines(buf, len);
    buf += skip;
    len -= skip;
    if (len == 0)
        return KAPI_HTTP_E_BAD_REQUEST;
    if (memchr(buf, 0, len))
        return KAPI_HTTP_E_BAD_REQUEST;
    char *h = kapi_pool_alloc(pool, len + 1);
    memcpy(h, buf, len);
    h[len] = 0;

    size_t maxh = 0;
    for (size_t i = 0; i < len; i++)
        maxh += h[i] == '\n';
    out->headers = kapi_pool_alloc(pool, (maxh + 1) * sizeof(*out->headers));

    bool first = true, conn_close = false, conn_ka = false;
    int hosts = 0;
    char *p = h, *end = h + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return KAPI_HTTP_E_BAD_REQUEST; /* a head always ends with a line break */
        char *le = nl;
        if (le > p && le[-1] == '\r')
            le--;
        if (memchr(p, '\r', (size_t)(le - p)))
            return KAPI_HTTP_E_BAD_REQUEST; /* bare CR */
        size_t llen = (size_t)(le - p);
        *le = 0;
        char *line = p;
        p = nl + 1;
        if (first) {
            int rc = parse_request_line(pool, line, llen, out);
            if (rc)
                return rc;
            first = false;
            continue;
        }
        if (llen == 0)
            break; /* the blank line ending the head */
        if (line[0] == ' ' || line[0] == '\t')
            return KAPI_HTTP_E_BAD_REQUEST; /* obs-fold */
        size_t n = 0;
        while (n < llen && tchar[(unsigned char)line[n]])
            n++;
        if (n == 0 || n >= llen || line[n] != ':')
            return KAPI_HTTP_E_BAD_REQUEST;
        line[n] = 0;
        char *v = line + n + 1, *ve = line + llen;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        for (char *c = v; c < ve; c++)
            if (!value_char_ok((unsigned char)*c))
                return KAPI_HTTP_E_BAD_REQUEST;
        *ve = 0;
        out->headers[out->nheaders].name = line;
        out->headers[out->nheaders].value = v;
        out->nheaders++;

        int rc = 0;
        switch (n) {
        case 4:
            if (strcasecmp(line, "host") == 0)
                hosts++;
            break;
        case 6:
            if (strcasecmp(line, "expect") == 0 && strcasecmp(v, "100-continue") == 0)
                out->expect_continue = true;
            break;
        case 10:
            if (strcasecmp(line, "connection") == 0) {
                struct list_iter it = {v};
                const char *e;
                size_t el;
                while (list_next(&it, &e, &el)) {
                    if (elem_is(e, el, "close"))
                        conn_close = true;
                    else if (elem_is(e, el, "keep-alive"))
                        conn_ka = true;
                }
            }
            break;
        case 14:
            if (strcasecmp(line, "content-length") == 0)
                rc = parse_content_length(v, out);
            break;
        case 17:
            if (strcasecmp(line, "transfer-encoding") == 0) {
                if (out->minor == 0)
                    return KAPI_HTTP_E_BAD_REQUEST;
                rc = parse_transfer_encoding(v, out);
            }
            break;
        }
        if (rc)
            return rc;
    }
    if (first)
        return KAPI_HTTP_E_BAD_REQUEST;
    if (out->chunked && out->has_length)
        return KAPI_HTTP_E_BAD_REQUEST;
    if (hosts > 1 || (hosts == 0 && out->minor == 1))
        return KAPI_HTTP_E_BAD_REQUEST;
    out->keep_alive = out->minor == 1 ? !conn_close : (conn_ka && !conn_close);
    return 0;
}

/* ---- chunked body ---- */

enum {
    C_SIZE = 0,  /* chunk-size hex digits */
    C_SIZE_AFTER,/* BWS after the digits */
    C_EXT,       /* chunk extensions, ignored */
    C_SIZE_LF,   /* CR seen at the end of the size line */
    C_DATA,
    C_DATA_CR,
    C_DATA_LF,
    C_TRAILER,   /* start of a trailer line (or the final blank line) */
    C_TRAILER_LINE,
    C_TRAILER_LF,
    C_END_LF,
    C_DONE,
};

#define CHUNK_LINE_MAX 4096    /* size line incl. extensions */
#define CHUNK_TRAILER_MAX 65536

int kapi_http_chunked_feed(struct kapi_http_chunked *d, const char *in, size_t len, size_t *used,
                           struct kapi_buf *out)
{
    size_t limit = out->max ? out->max : SIZE_MAX;
    size_t i = 0;
    int rc = KAPI_HTTP_CHUNK_MORE;
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        switch (d->state) {
        case C_SIZE: {
            int v = hexval(c);
            if (v >= 0) {
                if (++d->line_bytes > CHUNK_LINE_MAX) {
                    rc = KAPI_HTTP_CHUNK_BAD;
                    goto out;
                }
                d->remaining = d->remaining * 16 + (uint64_t)v;
                d->digits++;
                /* The size alone says the body is too large: stop here
                 * instead of reading (or overflowing) further. */
                if (d->remaining > limit - out->len) {
                    rc = KAPI_HTTP_CHUNK_TOO_LARGE;
                    goto out;
                }
                i++;
                continue;
            }
            if (d->digits == 0) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            d->state = C_SIZE_AFTER;
            continue; /* look at c again */
        }
        case C_SIZE_AFTER:
            if (c == ' ' || c == '\t')
                ;
            else if (c == ';')
                d->state = C_EXT;
            else if (c == '\r')
                d->state = C_SIZE_LF;
            else {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            if (++d->line_bytes > CHUNK_LINE_MAX) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            continue;
        case C_EXT:
            if (c == '\r')
                d->state = C_SIZE_LF;
            else if (!value_char_ok(c)) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            if (++d->line_bytes > CHUNK_LINE_MAX) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            continue;
        case C_SIZE_LF:
            if (c != '\n') {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            d->line_bytes = 0;
            d->digits = 0;
            d->state = d->remaining ? C_DATA : C_TRAILER;
            continue;
        case C_DATA: {
            size_t n = len - i;
            if (n > d->remaining)
                n = (size_t)d->remaining;
            if (kapi_buf_append(out, in + i, n) < 0) {
                rc = KAPI_HTTP_CHUNK_TOO_LARGE;
                goto out;
            }
            i += n;
            d->remaining -= n;
            if (d->remaining == 0)
                d->state = C_DATA_CR;
            continue;
        }
        case C_DATA_CR:
        case C_DATA_LF:
            if (c != (d->state == C_DATA_CR ? '\r' : '\n')) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            d->state = d->state == C_DATA_CR ? C_DATA_LF : C_SIZE;
            continue;
        case C_TRAILER:
        case C_TRAILER_LINE:
            if (c == '\r') {
                d->state = d->state == C_TRAILER ? C_END_LF : C_TRAILER_LF;
            } else if (c == 0 || c == '\n') {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            } else {
                d->state = C_TRAILER_LINE;
            }
            if (++d->line_bytes > CHUNK_TRAILER_MAX) {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            continue;
        case C_TRAILER_LF:
        case C_END_LF:
            if (c != '\n') {
                rc = KAPI_HTTP_CHUNK_BAD;
                goto out;
            }
            i++;
            if (d->state == C_END_LF) {
                d->state = C_DONE;
                rc = KAPI_HTTP_CHUNK_DONE;
                goto out;
            }
            d->state = C_TRAILER;
            continue;
        default: /* C_DONE */
            rc = KAPI_HTTP_CHUNK_DONE;
            goto out;
        }
    }
out:
    *used = i;
    return rc;
}

const char *kapi_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Requested Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}
