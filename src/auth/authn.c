/* Request authentication: x509 peer, static token file, anonymous. The token
 * file reader follows Go's encoding/csv defaults (what upstream uses, with a
 * variable number of fields per record): spaces are data, not trimmed. */
#include "authn.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#define TOKEN_FILE_MAX (64u << 20)

struct token_entry {
    unsigned char digest[32]; /* SHA-256 of the token; the token itself is not kept */
    char *name;
    char *uid;
    char **groups;
    size_t ngroups;
};

struct kapi_authn {
    uint64_t id; /* distinct for every chain made (see struct token_memo) */
    struct token_entry *tokens;
    size_t ntokens;
    /* Open-addressing index over tokens keyed by digest; slot = index + 1. */
    size_t *slots;
    size_t nslots; /* power of two, or 0 */
    kapi_authn_token_fn hook;
    void *hook_ctx;
    kapi_authn_request_fn req_fn;
    void *req_ctx;
    struct {
        const char *name;
        kapi_authn_token_auth_fn fn;
        void *ctx;
    } chain[8];
    size_t nchain;
    bool no_anonymous;
    struct kapi_x509_pool *client_ca; /* NULL: trust the TLS layer's verification */
};

static _Atomic uint64_t next_id = 1;

static struct kapi_authn *authn_alloc(void)
{
    struct kapi_authn *a = kapi_xcalloc(1, sizeof *a);
    a->id = atomic_fetch_add(&next_id, 1);
    return a;
}

static void KAPI_PRINTF(3, 4) seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- CSV (Go encoding/csv semantics) ---- */

struct csv {
    const char *data;
    size_t len, off;
    int num_line;       /* lines consumed so far */
    /* the current line, after \r\n normalisation */
    const char *line;
    size_t line_len;
    bool line_nl;       /* line ends with a (virtual) '\n' */
    bool eof;
};

/* Reads the next physical line. Go drops a '\r' before EOF and turns a final
 * "\r\n" into "\n"; we keep the '\n' out of line_len and flag it instead. */
static bool csv_read_line(struct csv *c)
{
    if (c->off >= c->len) {
        c->line = c->data + c->off;
        c->line_len = 0;
        c->line_nl = false;
        c->eof = true;
        return false;
    }
    const char *start = c->data + c->off;
    const char *nl = memchr(start, '\n', c->len - c->off);
    size_t n;
    if (nl) {
        n = (size_t)(nl - start);
        c->off += n + 1;
        c->line_nl = true;
    } else {
        n = c->len - c->off;
        c->off = c->len;
        c->line_nl = false;
    }
    if (n > 0 && start[n - 1] == '\r')
        n--;
    c->line = start;
    c->line_len = n;
    c->num_line++;
    return true;
}

struct record {
    struct kapi_buf bytes;   /* fields, each NUL-terminated */
    size_t *ends;            /* offset just past each field's NUL */
    size_t n, cap;
    int line;                /* line the record starts on */
};

static void rec_end_field(struct record *r)
{
    if (kapi_buf_putc(&r->bytes, 0) != 0)
        abort(); /* unbounded buffer */
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->ends = kapi_xrealloc(r->ends, r->cap * sizeof *r->ends);
    }
    r->ends[r->n++] = r->bytes.len;
}

static const char *rec_field(const struct record *r, size_t i)
{
    return r->bytes.data + (i ? r->ends[i - 1] : 0);
}

static size_t rec_field_len(const struct record *r, size_t i)
{
    return r->ends[i] - (i ? r->ends[i - 1] : 0) - 1;
}

/* Go's message for a malformed quoted field; it names the record's first
 * line too when the field spans lines. */
static void quote_error(const struct csv *c, const struct record *r, size_t col, char *err, size_t errlen)
{
    const char *msg = "extraneous or missing \" in quoted-field";
    if (r->line != c->num_line)
        seterr(err, errlen, "record on line %d; parse error on line %d, column %zu: %s", r->line, c->num_line, col,
               msg);
    else
        seterr(err, errlen, "parse error on line %d, column %zu: %s", c->num_line, col, msg);
}

/* Parses one record. Returns 1 with a record, 0 at end of input, -1 with err. */
static int csv_read_record(struct csv *c, struct record *r, char *err, size_t errlen)
{
    kapi_buf_reset(&r->bytes);
    r->n = 0;
    /* Empty lines are skipped; a line of only spaces is a record of one
     * field (as in Go). */
    for (;;) {
        if (!csv_read_line(c))
            return 0;
        if (c->line_len > 0)
            break;
    }
    r->line = c->num_line;
    const char *p = c->line;
    size_t left = c->line_len;
    size_t col = 1; /* 1-based byte column of p in the current line */
    for (;;) {
        if (left == 0 || *p != '"') {
            const char *comma = memchr(p, ',', left);
            size_t flen = comma ? (size_t)(comma - p) : left;
            const char *q = memchr(p, '"', flen);
            if (q) {
                seterr(err, errlen, "parse error on line %d, column %zu: bare \" in non-quoted-field", c->num_line,
                       col + (size_t)(q - p));
                return -1;
            }
            kapi_buf_append(&r->bytes, p, flen);
            rec_end_field(r);
            if (!comma)
                return 1;
            p += flen + 1;
            left -= flen + 1;
            col += flen + 1;
            continue;
        }
        /* Quoted field: may span lines; "" is a literal quote. */
        p++;
        left--;
        col++;
        for (;;) {
            const char *q = memchr(p, '"', left);
            if (q) {
                size_t n = (size_t)(q - p);
                kapi_buf_append(&r->bytes, p, n);
                p = q + 1;
                left -= n + 1;
                col += n + 1;
                if (left > 0 && *p == '"') {
                    kapi_buf_putc(&r->bytes, '"');
                    p++;
                    left--;
                    col++;
                } else if (left > 0 && *p == ',') {
                    p++;
                    left--;
                    col++;
                    rec_end_field(r);
                    break;
                } else if (left == 0) {
                    rec_end_field(r);
                    return 1;
                } else {
                    quote_error(c, r, col - 1, err, errlen);
                    return -1;
                }
            } else {
                /* The field continues on the next line, newline included. */
                kapi_buf_append(&r->bytes, p, left);
                if (c->line_nl)
                    kapi_buf_putc(&r->bytes, '\n');
                col += left + (c->line_nl ? 1 : 0);
                if (!c->line_nl || !csv_read_line(c)) {
                    quote_error(c, r, col, err, errlen);
                    return -1;
                }
                p = c->line;
                left = c->line_len;
                col = 1;
            }
        }
    }
}

/* ---- token table ---- */

static uint64_t digest_hash(const unsigned char d[32])
{
    uint64_t h;
    memcpy(&h, d, sizeof h);
    return h;
}

static void free_entry(struct token_entry *e)
{
    free(e->name);
    free(e->uid);
    for (size_t i = 0; i < e->ngroups; i++)
        free(e->groups[i]);
    free(e->groups);
}

void kapi_authn_free(struct kapi_authn *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ntokens; i++)
        free_entry(&a->tokens[i]);
    free(a->tokens);
    free(a->slots);
    kapi_x509_pool_free(a->client_ca);
    free(a);
}

/* Returns the slot holding digest d, or the empty slot where it would go. */
static size_t *find_slot(const struct kapi_authn *a, const unsigned char d[32])
{
    size_t mask = a->nslots - 1;
    for (size_t i = (size_t)digest_hash(d) & mask;; i = (i + 1) & mask) {
        size_t *s = &a->slots[i];
        if (*s == 0 || CRYPTO_memcmp(a->tokens[*s - 1].digest, d, 32) == 0)
            return s;
    }
}

static void build_index(struct kapi_authn *a)
{
    size_t n = 16;
    while (n < a->ntokens * 2)
        n *= 2;
    a->nslots = n;
    a->slots = kapi_xcalloc(n, sizeof *a->slots);
    for (size_t i = 0; i < a->ntokens; i++)
        *find_slot(a, a->tokens[i].digest) = i + 1; /* a later duplicate replaces the earlier one */
}

static void add_record(struct kapi_authn *a, const struct record *r, size_t *cap)
{
    struct token_entry e = {0};
    kapi_sha256(rec_field(r, 0), rec_field_len(r, 0), e.digest);
    e.name = kapi_xstrdup(rec_field(r, 1));
    e.uid = kapi_xstrdup(rec_field(r, 2));
    if (r->n >= 4) {
        /* Split on every comma, keeping empty pieces and spaces, as upstream. */
        const char *g = rec_field(r, 3);
        size_t glen = rec_field_len(r, 3);
        e.ngroups = 1;
        for (size_t i = 0; i < glen; i++)
            e.ngroups += g[i] == ',';
        e.groups = kapi_xcalloc(e.ngroups, sizeof *e.groups);
        size_t k = 0;
        const char *start = g;
        for (size_t i = 0; i <= glen; i++) {
            if (i == glen || g[i] == ',') {
                e.groups[k++] = kapi_xstrndup(start, (size_t)(g + i - start));
                start = g + i + 1;
            }
        }
    }
    if (a->ntokens == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        a->tokens = kapi_xrealloc(a->tokens, *cap * sizeof *a->tokens);
    }
    a->tokens[a->ntokens++] = e;
}

struct kapi_authn *kapi_authn_new_from_memory(const char *name, const char *data, size_t len, char *err,
                                              size_t errlen)
{
    struct kapi_authn *a = authn_alloc();
    struct csv c = {.data = data, .len = len};
    struct record r = {0};
    kapi_buf_init(&r.bytes, 0);
    size_t cap = 0;
    int record_num = 0;
    int rc;
    char perr[256] = "";
    bool short_record = false; /* our own message, not a CSV syntax error */
    while ((rc = csv_read_record(&c, &r, perr, sizeof perr)) == 1) {
        if (r.n < 3) {
            snprintf(perr, sizeof perr,
                     "must have at least 3 columns (token, user name, user uid), found %zu (line %d)", r.n, r.line);
            short_record = true;
            rc = -1;
            break;
        }
        /* C strings would silently cut "admin\0x" to "admin": refuse. */
        for (size_t i = 1; i < r.n && i < 4; i++)
            if (memchr(rec_field(&r, i), 0, rec_field_len(&r, i))) {
                snprintf(perr, sizeof perr, "has a NUL byte in column %zu (line %d)", i + 1, r.line);
                short_record = true;
                rc = -1;
            }
        if (rc < 0)
            break;
        record_num++;
        if (rec_field_len(&r, 0) == 0) {
            kapi_log(0, "empty token has been found in token file '%s', record number '%d'", name, record_num);
            continue;
        }
        add_record(a, &r, &cap);
    }
    if (rc < 0)
        seterr(err, errlen, "token file '%s'%s%s", name, short_record ? " " : ": ", perr);
    kapi_buf_dispose(&r.bytes);
    free(r.ends);
    if (rc < 0) {
        kapi_authn_free(a);
        return NULL;
    }
    build_index(a);
    /* Duplicates: the index points at the last one; say so, like upstream. */
    for (size_t i = 0; i < a->ntokens; i++)
        if (*find_slot(a, a->tokens[i].digest) != i + 1)
            kapi_log(0, "duplicate token has been found in token file '%s' (user '%s' is overridden by a later line)",
                     name, a->tokens[i].name);
    return a;
}

struct kapi_authn *kapi_authn_new(const char *token_auth_file, char *err, size_t errlen)
{
    if (!token_auth_file) {
        struct kapi_authn *a = authn_alloc();
        build_index(a);
        return a;
    }
    FILE *f = fopen(token_auth_file, "rb");
    if (!f) {
        seterr(err, errlen, "open %s: %s", token_auth_file, strerror(errno));
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, TOKEN_FILE_MAX);
    char chunk[8192];
    size_t n;
    int bad = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (kapi_buf_append(&b, chunk, n) != 0) {
            bad = EFBIG;
            break;
        }
    if (!bad && ferror(f))
        bad = EIO;
    fclose(f);
    struct kapi_authn *a = NULL;
    if (bad)
        seterr(err, errlen, "read %s: %s", token_auth_file, strerror(bad));
    else
        a = kapi_authn_new_from_memory(token_auth_file, b.data ? b.data : "", b.len, err, errlen);
    kapi_buf_dispose(&b);
    return a;
}

size_t kapi_authn_token_count(const struct kapi_authn *a)
{
    size_t n = 0;
    for (size_t i = 0; a && i < a->nslots; i++)
        n += a->slots[i] != 0;
    return n;
}

void kapi_authn_set_token_hook(struct kapi_authn *a, kapi_authn_token_fn fn, void *ctx)
{
    a->hook = fn;
    a->hook_ctx = ctx;
}

void kapi_authn_set_request_authenticator(struct kapi_authn *a, kapi_authn_request_fn fn, void *ctx)
{
    a->req_fn = fn;
    a->req_ctx = ctx;
}

int kapi_authn_add_token_authenticator(struct kapi_authn *a, const char *name, kapi_authn_token_auth_fn fn,
                                       void *ctx)
{
    if (a->nchain == KAPI_ARRAY_LEN(a->chain))
        return -1;
    a->chain[a->nchain].name = name;
    a->chain[a->nchain].fn = fn;
    a->chain[a->nchain].ctx = ctx;
    a->nchain++;
    return 0;
}

void kapi_authn_set_anonymous(struct kapi_authn *a, bool allow)
{
    a->no_anonymous = !allow;
}

int kapi_authn_set_client_ca(struct kapi_authn *a, const char *ca_file, char *err, size_t errlen)
{
    struct kapi_x509_pool *p = kapi_x509_pool_load(ca_file, err, errlen);
    if (!p)
        return -1;
    kapi_x509_pool_free(a->client_ca);
    a->client_ca = p;
    return 0;
}

/* ---- CA pools ---- */

struct kapi_x509_pool {
    X509_STORE *store;
};

struct kapi_x509_pool *kapi_x509_pool_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509_STORE *st = X509_STORE_new();
    int n = 0;
    X509 *x;
    while (bio && st && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(st, x) == 1)
            n++;
        X509_free(x);
    }
    BIO_free(bio);
    ERR_clear_error();
    if (!n) {
        X509_STORE_free(st);
        seterr(err, errlen, "data does not contain any valid RSA or ECDSA certificates");
        return NULL;
    }
    struct kapi_x509_pool *p = kapi_xcalloc(1, sizeof *p);
    p->store = st;
    return p;
}

struct kapi_x509_pool *kapi_x509_pool_load(const char *file, char *err, size_t errlen)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        seterr(err, errlen, "open %s: %s", file, strerror(errno));
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 16u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (kapi_buf_append(&b, chunk, n) != 0)
            break;
    fclose(f);
    char e2[256] = "";
    struct kapi_x509_pool *p = kapi_x509_pool_from_pem(b.data ? b.data : "", b.len, e2, sizeof e2);
    if (!p)
        seterr(err, errlen, "%s: %s", file, e2);
    kapi_buf_dispose(&b);
    return p;
}

void kapi_x509_pool_free(struct kapi_x509_pool *p)
{
    if (!p)
        return;
    X509_STORE_free(p->store);
    free(p);
}

int kapi_x509_pool_verify_peer(const struct kapi_x509_pool *p, const struct kapi_http_peer *peer, char *err,
                               size_t errlen)
{
    if (!peer || !peer->cert_der || !peer->cert_der_len) {
        seterr(err, errlen, "no client certificate");
        return -1;
    }
    const unsigned char *q = peer->cert_der;
    X509 *leaf = d2i_X509(NULL, &q, (long)peer->cert_der_len);
    STACK_OF(X509) *inter = sk_X509_new_null();
    const unsigned char *c = peer->chain_der, *end = c ? c + peer->chain_der_len : NULL;
    while (c && c < end) {
        X509 *x = d2i_X509(NULL, &c, (long)(end - c));
        if (!x)
            break;
        sk_X509_push(inter, x);
    }
    int rc = -1;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (leaf && ctx && X509_STORE_CTX_init(ctx, p->store, leaf, inter) == 1) {
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
        if (X509_verify_cert(ctx) == 1) {
            rc = 0;
        } else {
            int e = X509_STORE_CTX_get_error(ctx);
            if (e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_CERT_NOT_YET_VALID)
                seterr(err, errlen, "x509: certificate has expired or is not yet valid");
            else if (e == X509_V_ERR_INVALID_PURPOSE)
                seterr(err, errlen, "x509: certificate specifies an incompatible key usage");
            else
                seterr(err, errlen, "x509: certificate signed by unknown authority");
        }
    } else {
        seterr(err, errlen, "x509: malformed certificate");
    }
    X509_STORE_CTX_free(ctx);
    X509_free(leaf);
    sk_X509_pop_free(inter, X509_free);
    ERR_clear_error();
    return rc;
}

/* ---- authentication ---- */

static bool str_in(const char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] && strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* Upstream's authenticated-group adder. */
static void add_authenticated_group(struct kapi_pool *pool, struct kapi_user *u)
{
    if (strcmp(u->name, KAPI_USER_ANONYMOUS) == 0 || str_in(u->groups, u->ngroups, KAPI_GROUP_AUTHENTICATED) ||
        str_in(u->groups, u->ngroups, KAPI_GROUP_UNAUTHENTICATED))
        return;
    const char **g = kapi_pool_alloc(pool, (u->ngroups + 1) * sizeof *g);
    if (u->ngroups)
        memcpy(g, u->groups, u->ngroups * sizeof *g);
    g[u->ngroups] = KAPI_GROUP_AUTHENTICATED;
    u->groups = g;
    u->ngroups++;
}

/* The token file's table never changes once built, so where a token lands
 * in it (an entry, or none) depends on the token's bytes alone. Each worker
 * thread remembers that answer for the last short token it looked up, which
 * saves hashing the same bearer token on every request of a connection.
 * Only this step is remembered: the authenticators after it (service
 * account, bootstrap, OIDC, webhook tokens) run as before. The memo is
 * valid only for the chain whose id it holds (ids are never reused, so a
 * chain freed and another made at the same address cannot match). The
 * comparison is over the full padded block and the length, in constant
 * time. */
#define MEMO_TOKEN_MAX 64

struct token_memo {
    uint64_t authn_id; /* 0: empty */
    size_t len;
    unsigned char tok[MEMO_TOKEN_MAX]; /* zero-padded */
    size_t slot;                       /* *find_slot's answer: 0 or index + 1 */
};

static _Thread_local struct token_memo memo;

static bool memo_get(const struct kapi_authn *a, const unsigned char padded[MEMO_TOKEN_MAX], size_t len,
                     size_t *slot)
{
    if (memo.authn_id != a->id)
        return false;
    /* constant time: every word is read and the differences or-ed, with no
     * branch on the bytes (CRYPTO_memcmp's byte loop costs ten times more) */
    uint64_t diff = (uint64_t)(memo.len ^ len);
    for (size_t i = 0; i < MEMO_TOKEN_MAX; i += 8) {
        uint64_t x, y;
        memcpy(&x, memo.tok + i, 8);
        memcpy(&y, padded + i, 8);
        diff |= x ^ y;
    }
    if (diff != 0)
        return false;
    *slot = memo.slot;
    return true;
}

static bool lookup_token(const struct kapi_authn *a, const char *tok, size_t len, struct kapi_pool *pool,
                         struct kapi_user *out)
{
    if (!a->ntokens)
        return false;
    size_t s;
    unsigned char padded[MEMO_TOKEN_MAX];
    bool memoable = len <= MEMO_TOKEN_MAX;
    if (memoable) {
        memset(padded, 0, sizeof padded);
        memcpy(padded, tok, len);
    }
    if (!memoable || !memo_get(a, padded, len, &s)) {
        unsigned char d[32];
        kapi_sha256(tok, len, d);
        s = *find_slot(a, d);
        if (memoable) {
            memo.authn_id = a->id;
            memo.len = len;
            memcpy(memo.tok, padded, sizeof padded);
            memo.slot = s;
        }
    }
    if (memoable)
        OPENSSL_cleanse(padded, sizeof padded);
    if (!s)
        return false;
    const struct token_entry *e = &a->tokens[s - 1];
    out->name = e->name;
    out->uid = e->uid;
    out->ngroups = e->ngroups;
    out->groups = NULL;
    if (e->ngroups) {
        const char **g = kapi_pool_alloc(pool, e->ngroups * sizeof *g);
        for (size_t i = 0; i < e->ngroups; i++)
            g[i] = e->groups[i];
        out->groups = g;
    }
    return true;
}

static bool is_go_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

static void set_anonymous(struct kapi_pool *pool, struct kapi_user *out)
{
    const char **g = kapi_pool_alloc(pool, sizeof *g);
    g[0] = KAPI_GROUP_UNAUTHENTICATED;
    memset(out, 0, sizeof *out);
    out->name = KAPI_USER_ANONYMOUS;
    out->uid = "";
    out->groups = g;
    out->ngroups = 1;
}

static enum kapi_authn_result ok_user(struct kapi_pool *pool, struct kapi_user *out, const struct kapi_user *u)
{
    *out = *u;
    if (!out->uid)
        out->uid = "";
    add_authenticated_group(pool, out);
    return KAPI_AUTHN_OK;
}

/* Runs the bearer token through every token authenticator; 1 when one
 * recognised it. */
static bool token_chain(struct kapi_authn *a, struct kapi_pool *pool, const char *tok, size_t tlen,
                        struct kapi_user *u)
{
    if (lookup_token(a, tok, tlen, pool, u))
        return true;
    char *t = kapi_pool_strndup(pool, tok, tlen);
    if (a->hook) {
        struct kapi_user h = {.uid = ""};
        if (a->hook(a->hook_ctx, pool, t, &h) == 1 && h.name) {
            *u = h;
            return true;
        }
    }
    for (size_t i = 0; i < a->nchain; i++) {
        struct kapi_user h = {.uid = ""};
        const char *why = NULL;
        int rc = a->chain[i].fn(a->chain[i].ctx, pool, t, &h, &why);
        if (rc == 1 && h.name) {
            *u = h;
            return true;
        }
        if (rc < 0 && why)
            kapi_log(2, "authn: %s: %s", a->chain[i].name, why);
    }
    return false;
}

enum kapi_authn_result kapi_authn_authenticate(struct kapi_authn *a, struct kapi_pool *pool,
                                               const struct kapi_http_peer *peer, const char *authorization,
                                               struct kapi_user *out)
{
    memset(out, 0, sizeof *out);
    out->uid = "";
    bool failed = false; /* an authenticator reported an error (upstream's union keeps going) */
    struct kapi_user u = {.uid = ""};
    if (a->req_fn) {
        const char *why = NULL;
        int rc = a->req_fn(a->req_ctx, pool, peer, &u, &why);
        if (rc == 1 && u.name)
            return ok_user(pool, out, &u);
        if (rc < 0) {
            failed = true;
            if (why)
                kapi_log(2, "authn: request header: %s", why);
        }
    }
    /* A verified certificate without a CN identifies nobody; fall through. */
    if (peer && peer->has_cert && peer->cn && peer->cn[0]) {
        char verr[128] = "";
        if (a->client_ca && kapi_x509_pool_verify_peer(a->client_ca, peer, verr, sizeof verr) < 0) {
            failed = true;
            kapi_log(2, "authn: x509: %s", verr);
        } else {
            u = (struct kapi_user){.uid = ""};
            u.name = kapi_pool_strdup(pool, peer->cn);
            if (peer->norgs) {
                const char **g = kapi_pool_alloc(pool, peer->norgs * sizeof *g);
                for (size_t i = 0; i < peer->norgs; i++)
                    g[i] = kapi_pool_strdup(pool, peer->orgs[i] ? peer->orgs[i] : "");
                u.groups = g;
                u.ngroups = peer->norgs;
            }
            return ok_user(pool, out, &u);
        }
    }
    if (authorization) {
        const char *s = authorization, *e = s + strlen(s);
        while (s < e && is_go_space(*s))
            s++;
        while (e > s && is_go_space(e[-1]))
            e--;
        const char *sp = memchr(s, ' ', (size_t)(e - s));
        /* Other schemes, a lone "Bearer" and "Bearer  x" (empty token) are
         * not bearer credentials: the request continues as anonymous. */
        if (sp && sp - s == 6 && strncasecmp(s, "bearer", 6) == 0) {
            const char *tok = sp + 1;
            const char *tend = memchr(tok, ' ', (size_t)(e - tok));
            if (!tend)
                tend = e;
            if (tend > tok) {
                u = (struct kapi_user){.uid = ""};
                if (token_chain(a, pool, tok, (size_t)(tend - tok), &u))
                    return ok_user(pool, out, &u);
                memset(out, 0, sizeof *out);
                out->uid = "";
                return KAPI_AUTHN_INVALID;
            }
        }
    }
    if (failed || a->no_anonymous) {
        memset(out, 0, sizeof *out);
        out->uid = "";
        return KAPI_AUTHN_INVALID;
    }
    set_anonymous(pool, out);
    return KAPI_AUTHN_ANONYMOUS;
}
