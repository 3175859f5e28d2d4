/* Implementation of src/codec/json.h.
 *
 * The reader is one iterative loop with an explicit frame stack, so nesting
 * depth costs heap, never C stack. Children of open containers accumulate on
 * two scratch stacks (values for arrays, members for objects) and are copied
 * into the pool once, exact-sized, when the container closes; this is also
 * where duplicate keys are folded (last value wins, first position kept, the
 * same rule kapi_obj_set follows). Errors reproduce the text and offsets of
 * Go's encoding/json scanner because clients see them in Status messages.
 *
 * The writer is also iterative and stages output in a local block before
 * handing it to kapi_buf, so the hot loops never call a function per byte. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define IS_DIGIT(c) ((unsigned)(c) - '0' < 10u)

/* ---- character classes ---- */

/* JSON whitespace: exactly space, tab, CR, LF. */
static const unsigned char ws_tab[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1,
};

#if !defined(__SSE2__) && !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
/* Bytes that end the fast copy loop inside a string literal while reading
 * (where neither SSE2 nor the word trick is available): the quote, the
 * backslash, control bytes (errors) and non-ASCII (UTF-8 validation). */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};
#endif

/* Writer classes: 0 = copy as is (DEL included: Go leaves it raw), 1 = ASCII
 * that needs an escape ('"', '\\', controls, and '<' '>' '&' because Go
 * escapes HTML), 2 = non-ASCII (validate, watch for U+2028/U+2029). */
static const unsigned char esc_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Length of the valid UTF-8 sequence at s (2..4), or 0 when the lead byte
 * starts no valid sequence; then Go decodes exactly one byte as U+FFFD.
 * Rejects overlongs, surrogates and code points past U+10FFFF as Go does. */
static inline int utf8_seq(const unsigned char *s, const unsigned char *end, uint32_t *cp)
{
    unsigned c = s[0];
    size_t avail = (size_t)(end - s);
    if (c < 0xC2)
        return 0;
    if (c < 0xE0) {
        if (avail < 2 || (s[1] & 0xC0) != 0x80)
            return 0;
        *cp = ((c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (avail < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 0;
        *cp = ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        if (avail < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        *cp = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
              (s[3] & 0x3F);
        return 4;
    }
    return 0;
}

static inline size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Word-at-a-time scanning: eight bytes per step in the loops that dominate
 * (string bodies on both sides). A set high bit in the result marks a byte
 * that may need attention; false positives only send us to the byte loop. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

static inline uint64_t has_byte(uint64_t x, unsigned char c)
{
    uint64_t y = x ^ (ONES * c);
    return (y - ONES) & ~y;
}

/* Bytes that stop the reader: '"', '\\', < 0x20, >= 0x80. */
static inline uint64_t read_stops(uint64_t x)
{
    return (has_byte(x, '"') | has_byte(x, '\\') | ((x - ONES * 0x20) & ~x) | x) & HIGHS;
}

/* Bytes the writer must look at: the above plus '<', '>', '&'. */
static inline uint64_t write_stops(uint64_t x)
{
    return (read_stops(x) | has_byte(x, '<') | has_byte(x, '>') | has_byte(x, '&')) & HIGHS;
}

#ifdef __SSE2__
/* Sixteen bytes per step where SSE2 exists (every x86-64). A signed
 * compare against 0x20 catches both control bytes and bytes >= 0x80. */
static inline unsigned sse_read_stops(const unsigned char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
                                          _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
                             _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
    return (unsigned)_mm_movemask_epi8(m);
}

static inline unsigned sse_write_stops(const unsigned char *p)
{
    /* '"' and '&' are the bytes b with b | 4 == '&', '<' and '>' those
     * with b | 2 == '>': two compares for four bytes */
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(4)), _mm_set1_epi8('&')),
                             _mm_cmpeq_epi8(_mm_or_si128(x, _mm_set1_epi8(2)), _mm_set1_epi8('>')));
    m = _mm_or_si128(m, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\')),
                                     _mm_cmplt_epi8(x, _mm_set1_epi8(0x20))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first byte at or after q that ends a plain run inside a string being
 * read: '"', '\\', a control byte or non-ASCII. The reader works on a copy
 * of the input followed by at least 16 NUL bytes (control bytes, so they
 * stop the scan): a stop always comes at or before the end of the input,
 * and no block read passes the padding. On little-endian machines the
 * lowest marked byte is a true hit (borrows only run upward), so its index
 * comes straight from a bit count. */
static inline const unsigned char *scan_plain(const unsigned char *q)
{
#ifdef __SSE2__
    for (;;) {
        unsigned m = sse_read_stops(q);
        if (m)
            return q + __builtin_ctz(m);
        q += 16;
    }
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (;;) {
        uint64_t m = read_stops(load8(q));
        if (m)
            return q + (__builtin_ctzll(m) >> 3);
        q += 8;
    }
#else
    while (!str_stop[*q])
        q++;
    return q;
#endif
}

/* Bytes of NUL padding after the reader's copy of the input. */
#define PAD 16

/* ---- reader ---- */

struct frame {
    size_t start;      /* first child on the vals or mems stack */
    size_t parent_slot;/* parent's pending member index, or our index in a parent array */
    uint64_t keybits;  /* objects: one bit per (first byte, length) of the keys so far */
    bool maybe_dup;    /* a key's bit was already set: fold_dups must look */
    bool obj;
};

/* A duplicate found while closing an object; sorted by offset at the end so
 * reports come in document order although inner objects close first. */
struct dup_rec {
    size_t off;
    const char *path;
};

struct parser {
    /* The reader works on a pool copy of the input followed by PAD NUL
     * bytes (start..end is the input's part): a string without escapes is
     * used in place there, its closing quote overwritten by the terminating
     * NUL, so its bytes cost neither an allocation nor a copy of their own;
     * and the NUL after the input ends every scan without a bounds test. */
    const unsigned char *start, *end;
    struct kapi_pool *pool;
    struct kapi_json_error *err;
    size_t max_depth;
    /* Bump region carved from the pool in large pieces: a parse makes
     * hundreds of small allocations and the pool's call per allocation
     * showed up as the largest single cost. The main loop keeps both in
     * locals and stores them here around the calls that allocate too. */
    char *bump, *bump_end;
    bool want_dups;
    bool failed;
    bool range_err;         /* a number overflowed float64: reported after the syntax check */
    size_t range_off;
    char range_msg[256];

    struct frame *frames;
    size_t cap_frames;      /* (the depths in use are locals of the parse) */
    struct kapi_value **vals;
    size_t cap_vals;
    struct kapi_member *mems;
    size_t cap_mems;
    size_t *moffs;          /* key offsets parallel to mems, only with want_dups */
    char *sbuf;             /* string unescaping scratch */
    size_t cap_sbuf;
    uint32_t *htab;         /* duplicate detection for large objects */
    size_t cap_htab;
    struct dup_rec *dups;
    size_t ndups, cap_dups;

    /* Small documents never touch malloc for scratch. */
    struct frame frames0[32];
    struct kapi_value *vals0[64];
    struct kapi_member mems0[64];
    size_t moffs0[64];
    char sbuf0[256];
};

/* Grows a scratch array that starts in an inline buffer; returns the new
 * base (the inline buffer is never freed). */
static void *grow(void *arr, size_t *cap, size_t elem, const void *inline_buf, size_t need)
{
    size_t ncap = *cap * 2;
    while (ncap < need)
        ncap *= 2;
    void *n;
    if (arr == inline_buf) {
        n = kapi_xmalloc(ncap * elem);
        memcpy(n, arr, *cap * elem);
    } else {
        n = kapi_xrealloc(arr, ncap * elem);
    }
    *cap = ncap;
    return n;
}

static void parser_release(struct parser *ps)
{
    if (ps->frames != ps->frames0)
        free(ps->frames);
    if (ps->vals != ps->vals0)
        free(ps->vals);
    if (ps->mems != ps->mems0)
        free(ps->mems);
    if (ps->moffs != ps->moffs0)
        free(ps->moffs);
    if (ps->sbuf != ps->sbuf0)
        free(ps->sbuf);
    free(ps->htab);
    free(ps->dups);
}

/* Formats c the way Go's quoteChar does ('x', '\n', '\x01', '\u0080'). */
static void quote_char(char *out, size_t n, unsigned char c)
{
    switch (c) {
    case '\'': snprintf(out, n, "'\\''"); return;
    case '"': snprintf(out, n, "'\"'"); return;
    case '\\': snprintf(out, n, "'\\\\'"); return;
    case '\a': snprintf(out, n, "'\\a'"); return;
    case '\b': snprintf(out, n, "'\\b'"); return;
    case '\f': snprintf(out, n, "'\\f'"); return;
    case '\n': snprintf(out, n, "'\\n'"); return;
    case '\r': snprintf(out, n, "'\\r'"); return;
    case '\t': snprintf(out, n, "'\\t'"); return;
    case '\v': snprintf(out, n, "'\\v'"); return;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(out, n, "'\\x%02x'", c);
    } else if (c < 0x7f) {
        snprintf(out, n, "'%c'", c);
    } else if (c < 0xA1 || c == 0xAD) {
        /* Go converts the byte to the rune U+00XX; these are not printable. */
        snprintf(out, n, "'\\u%04x'", c);
    } else {
        char u[3];
        utf8_put(u, c);
        snprintf(out, n, "'%c%c'", u[0], u[1]);
    }
}

/* Go reports the offset as the count of bytes consumed including the bad
 * one; an error found at end of input reports the input length. */
static void *fail_at(struct parser *ps, const unsigned char *at, const char *context)
{
    if (ps->failed)
        return NULL;
    ps->failed = true;
    if (at >= ps->end) {
        /* Go feeds a virtual space at EOF to states that cannot end there. */
        if (context) {
            snprintf(ps->err->msg, sizeof(ps->err->msg), "invalid character ' ' %s", context);
        } else {
            snprintf(ps->err->msg, sizeof(ps->err->msg), "unexpected end of JSON input");
        }
        ps->err->offset = (size_t)(ps->end - ps->start);
        return NULL;
    }
    char q[16];
    quote_char(q, sizeof(q), *at);
    snprintf(ps->err->msg, sizeof(ps->err->msg), "invalid character %s %s", q, context);
    ps->err->offset = (size_t)(at - ps->start) + 1;
    return NULL;
}

static void *fail_eof(struct parser *ps)
{
    return fail_at(ps, ps->end, NULL);
}

static void *palloc_slow(struct parser *ps, size_t n, const unsigned char *at)
{
    if (n > 512)
        return kapi_pool_alloc(ps->pool, n);
    /* Parsed values take roughly 3-5 bytes per input byte (string bytes
     * stay in the input's copy); size the next piece from what is left (at:
     * the read position) so small documents waste little. */
    size_t left = (size_t)(ps->end - at);
    size_t chunk = left > 16384 ? 65536 : left * 4 < 1024 ? 1024 : left * 4;
    ps->bump = kapi_pool_alloc(ps->pool, chunk);
    ps->bump_end = ps->bump + chunk;
    void *r = ps->bump;
    ps->bump += n;
    return r;
}

/* 8-byte aligned allocation from the parse's bump region; at is the read
 * position (only sizes the next piece). */
static inline void *palloc(struct parser *ps, size_t n, const unsigned char *at)
{
    n = (n + 7) & ~(size_t)7;
    if (UNLIKELY((size_t)(ps->bump_end - ps->bump) < n))
        return palloc_slow(ps, n, at);
    void *r = ps->bump;
    ps->bump += n;
    return r;
}

static inline int hexval(unsigned c)
{
    if (c - '0' < 10)
        return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6)
        return (int)(c - 'a' + 10);
    return -1;
}

/* Reads 4 hex digits at s (the caller guarantees 4 bytes exist), or -1. */
static inline int32_t hex4(const unsigned char *s)
{
    int a = hexval(s[0]), b = hexval(s[1]), c = hexval(s[2]), d = hexval(s[3]);
    if ((a | b | c | d) < 0)
        return -1;
    return (a << 12) | (b << 8) | (c << 4) | d;
}

static void sbuf_need(struct parser *ps, size_t need)
{
    if (need > ps->cap_sbuf)
        ps->sbuf = grow(ps->sbuf, &ps->cap_sbuf, 1, ps->sbuf0, need);
}

/* A string just read: its bytes, NUL-terminated. */
struct pstr {
    const char *s;
    size_t n;
};

/* Slow path of parse_string: escapes, non-ASCII or errors. q points at the
 * first byte the fast scan stopped at; bytes [s, q) are plain ASCII. The
 * decoded bytes go to a fresh allocation from the bump region. */
static const unsigned char *parse_string_slow(struct parser *ps, const unsigned char *s,
                                              const unsigned char *q, struct pstr *r)
{
    const unsigned char *end = ps->end;
    size_t w = (size_t)(q - s);
    /* Each input byte yields at most 3 output bytes (an invalid byte
     * becomes U+FFFD), so reserve per run rather than per byte. */
    sbuf_need(ps, w + 64);
    memcpy(ps->sbuf, s, w);
    for (;;) {
        if (ps->cap_sbuf - w < 16)
            sbuf_need(ps, w + 64);
        if (UNLIKELY(q >= end))
            return fail_eof(ps), NULL;
        unsigned c = *q;
        if (c == '"') {
            q++;
            break;
        }
        if (c == '\\') {
            if (q + 1 >= end)
                return fail_at(ps, end, "in string escape code"), NULL;
            unsigned e = q[1];
            char r;
            switch (e) {
            case '"': r = '"'; break;
            case '\\': r = '\\'; break;
            case '/': r = '/'; break;
            case 'b': r = '\b'; break;
            case 'f': r = '\f'; break;
            case 'n': r = '\n'; break;
            case 'r': r = '\r'; break;
            case 't': r = '\t'; break;
            case 'u': {
                for (int k = 2; k < 6; k++) {
                    if (q + k >= end)
                        return fail_at(ps, end, "in \\u hexadecimal character escape"), NULL;
                    if (hexval(q[k]) < 0)
                        return fail_at(ps, q + k, "in \\u hexadecimal character escape"), NULL;
                }
                uint32_t cp = (uint32_t)hex4(q + 2);
                q += 6;
                if (cp >= 0xD800 && cp < 0xE000) {
                    /* Only a high surrogate directly followed by an escaped
                     * low one forms a pair; anything else decodes as U+FFFD
                     * and the following escape is read on its own. */
                    if (cp < 0xDC00 && end - q >= 6 && q[0] == '\\' && q[1] == 'u') {
                        int32_t lo = hex4(q + 2);
                        if (lo >= 0xDC00 && lo < 0xE000) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                            q += 6;
                            w += utf8_put(ps->sbuf + w, cp);
                            continue;
                        }
                    }
                    cp = 0xFFFD;
                }
                w += utf8_put(ps->sbuf + w, cp);
                continue;
            }
            default:
                return fail_at(ps, q + 1, "in string escape code"), NULL;
            }
            ps->sbuf[w++] = r;
            q += 2;
            continue;
        }
        if (c < 0x20)
            return fail_at(ps, q, "in string literal"), NULL;
        if (c >= 0x80) {
            uint32_t cp;
            int n = utf8_seq(q, end, &cp);
            if (n == 0) {
                memcpy(ps->sbuf + w, "\xEF\xBF\xBD", 3);
                w += 3;
                q++;
            } else {
                memcpy(ps->sbuf + w, q, (size_t)n);
                w += (size_t)n;
                q += n;
            }
            continue;
        }
        /* A run of plain ASCII: copy it in one go. */
        const unsigned char *r0 = q;
        q = scan_plain(q);
        size_t run = (size_t)(q - r0);
        sbuf_need(ps, w + run + 64);
        memcpy(ps->sbuf + w, r0, run);
        w += run;
    }
    char *d = palloc(ps, w + 1, q);
    memcpy(d, ps->sbuf, w);
    d[w] = 0;
    r->s = d;
    r->n = w;
    return q;
}

static const double pow10_exact[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* s is at '-' or a digit. Fills v (type and number) and returns the position
 * after the literal, or NULL (error reported). */
static const unsigned char *parse_number(struct parser *ps, const unsigned char *s, struct kapi_value *v)
{
    const unsigned char *q = s, *end = ps->end;
    bool neg = false;
    if (*q == '-') {
        neg = true;
        q++;
    }
    const unsigned char *ds = q;
    uint64_t m = 0;
    if (q < end && *q == '0') {
        q++;
    } else if (q < end && (unsigned)(*q - '1') < 9u) {
        while (q < end && IS_DIGIT(*q)) {
            m = m * 10 + (*q - '0'); /* may wrap; only trusted when <= 19 digits */
            q++;
        }
    } else {
        return fail_at(ps, q, "in numeric literal");
    }
    size_t nint = (size_t)(q - ds);
    bool is_float = false;
    const unsigned char *frac = NULL;
    size_t nfrac = 0;
    if (q < end && *q == '.') {
        q++;
        if (q >= end || !IS_DIGIT(*q))
            return fail_at(ps, q, "after decimal point in numeric literal");
        frac = q;
        while (q < end && IS_DIGIT(*q))
            q++;
        nfrac = (size_t)(q - frac);
        is_float = true;
    }
    long e10 = 0;
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        bool eneg = false;
        if (q < end && (*q == '+' || *q == '-')) {
            eneg = *q == '-';
            q++;
        }
        if (q >= end || !IS_DIGIT(*q))
            return fail_at(ps, q, "in exponent of numeric literal");
        while (q < end && IS_DIGIT(*q)) {
            if (e10 < 100000)
                e10 = e10 * 10 + (*q - '0');
            q++;
        }
        if (eneg)
            e10 = -e10;
        is_float = true;
    }
    if (!is_float) {
        v->type = KAPI_V_INT;
        if (nint <= 18) {
            v->u.i = neg ? -(int64_t)m : (int64_t)m;
            return q;
        }
        if (nint == 19) {
            /* 19 digits cannot wrap uint64 (max 1.8e19 > 9.99e18). */
            if (!neg && m <= (uint64_t)INT64_MAX) {
                v->u.i = (int64_t)m;
                return q;
            }
            if (neg && m <= (uint64_t)INT64_MAX + 1) {
                v->u.i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
                return q;
            }
        }
    }
    v->type = KAPI_V_FLOAT;

    /* Exact fast path: at most 15 significant digits and a power of ten that
     * is itself exact make one correctly rounded IEEE operation. */
    if (nint + nfrac <= 15) {
        uint64_t mant = nint <= 15 ? m : 0;
        for (size_t i = 0; i < nfrac; i++)
            mant = mant * 10 + (frac[i] - '0');
        long e = e10 - (long)nfrac;
        double d = (double)mant;
        if (mant == 0 || (e >= -22 && e <= 22)) {
            if (mant != 0)
                d = e < 0 ? d / pow10_exact[-e] : d * pow10_exact[e];
            v->u.f = neg ? -d : d;
            return q;
        }
    }
    size_t n = (size_t)(q - s);
    char small[64];
    char *tmp = n < sizeof(small) ? small : kapi_xmalloc(n + 1);
    memcpy(tmp, s, n);
    tmp[n] = 0;
    double d = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    if (UNLIKELY(isinf(d) && !ps->range_err)) {
        /* Go refuses numbers past float64 range instead of keeping +Inf,
         * but only once the whole input has passed the syntax check, so
         * remember the first one and keep scanning. */
        ps->range_err = true;
        snprintf(ps->range_msg, sizeof(ps->range_msg),
                 "json: cannot unmarshal number %.*s into Go value of type float64",
                 n > 200 ? 200 : (int)n, (const char *)s);
        ps->range_off = (size_t)(s - ps->start);
    }
    v->u.f = d;
    return q;
}

/* p is at the literal's first letter; returns the position after it, or
 * NULL (error reported). */
static inline const unsigned char *parse_literal(struct parser *ps, const unsigned char *p,
                                                 const char *word)
{
    const unsigned char *q = p + 1;
    for (size_t i = 1; word[i]; i++, q++) {
        if (q >= ps->end || *q != (unsigned char)word[i]) {
            char ctx[64];
            snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')", word, word[i]);
            return fail_at(ps, q, ctx);
        }
    }
    return q;
}

/* Builds the dotted path of member key k in the object of frame `top`. */
static const char *dup_path(struct parser *ps, size_t top, const char *k, size_t klen)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    for (size_t l = 0; l < top; l++) {
        const struct frame *f = &ps->frames[l];
        size_t slot = ps->frames[l + 1].parent_slot;
        if (f->obj) {
            if (b.len)
                kapi_buf_putc(&b, '.');
            kapi_buf_append(&b, ps->mems[slot].key, ps->mems[slot].klen);
        } else {
            kapi_buf_printf(&b, "[%zu]", slot);
        }
    }
    if (b.len)
        kapi_buf_putc(&b, '.');
    kapi_buf_append(&b, k, klen);
    const char *path = kapi_pool_strndup(ps->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return path;
}

static void note_dup(struct parser *ps, size_t top, const struct kapi_member *m, size_t off)
{
    if (!ps->want_dups)
        return;
    if (ps->ndups == ps->cap_dups) {
        ps->cap_dups = ps->cap_dups ? ps->cap_dups * 2 : 8;
        ps->dups = kapi_xrealloc(ps->dups, ps->cap_dups * sizeof(*ps->dups));
    }
    ps->dups[ps->ndups].off = off;
    ps->dups[ps->ndups].path = dup_path(ps, top, m->key, m->klen);
    ps->ndups++;
}

static inline uint32_t key_hash(const char *k, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

/* Folds duplicate keys of the object in frame `top` in place; returns the
 * new member count. Small objects compare pairwise (cheaper than hashing);
 * large ones use an open-addressing table so hostile input stays linear. */
static size_t fold_dups(struct parser *ps, size_t top, struct kapi_member *m, size_t n)
{
    size_t *offs = ps->want_dups ? ps->moffs + ps->frames[top].start : NULL;
    size_t k = 1;
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            size_t j = 0;
            for (; j < k; j++)
                if (m[j].klen == m[i].klen && m[j].key[0] == m[i].key[0] &&
                    memcmp(m[j].key, m[i].key, m[i].klen) == 0)
                    break;
            if (j < k) {
                m[j].val = m[i].val;
                note_dup(ps, top, &m[i], offs ? offs[i] : 0);
            } else {
                if (k != i)
                    m[k] = m[i];
                k++;
            }
        }
        return k;
    }
    size_t hcap = 64;
    while (hcap < n * 2)
        hcap *= 2;
    if (hcap > ps->cap_htab) {
        free(ps->htab);
        ps->htab = kapi_xmalloc(hcap * sizeof(*ps->htab));
        ps->cap_htab = hcap;
    }
    uint32_t *h = ps->htab;
    memset(h, 0xff, hcap * sizeof(*h));
    k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t slot = key_hash(m[i].key, m[i].klen) & (hcap - 1);
        for (;;) {
            if (h[slot] == UINT32_MAX) {
                h[slot] = (uint32_t)k;
                m[k++] = m[i];
                break;
            }
            struct kapi_member *o = &m[h[slot]];
            if (o->klen == m[i].klen && memcmp(o->key, m[i].key, m[i].klen) == 0) {
                o->val = m[i].val;
                note_dup(ps, top, &m[i], offs ? offs[i] : 0);
                break;
            }
            slot = (slot + 1) & (hcap - 1);
        }
    }
    return k;
}

static int dup_cmp(const void *a, const void *b)
{
    size_t x = ((const struct dup_rec *)a)->off, y = ((const struct dup_rec *)b)->off;
    return x < y ? -1 : x > y;
}

/* The NUL after the input is not whitespace, so no bounds test is needed. */
static inline const unsigned char *skip_ws(const unsigned char *q)
{
    /* compact JSON has no whitespace: one test and out */
    if (LIKELY(*q > ' '))
        return q;
    while (ws_tab[*q])
        q++;
    return q;
}

/* An 8-byte aligned allocation of `size` bytes into r from the bump region
 * in the locals bump/bump_end of kapi_json_parse (at: the read position). */
#define BUMP(r, size, at)                                                     \
    do {                                                                      \
        size_t n_ = ((size) + 7) & ~(size_t)7;                                \
        if (LIKELY((size_t)(bump_end - bump) >= n_)) {                        \
            (r) = (void *)bump;                                               \
            bump += n_;                                                       \
        } else {                                                              \
            ps->bump = bump;                                                  \
            ps->bump_end = bump_end;                                          \
            (r) = palloc_slow(ps, n_, at);                                    \
            bump = ps->bump;                                                  \
            bump_end = ps->bump_end;                                          \
        }                                                                     \
    } while (0)

/* p is at a string's opening quote: sets str_s and str_n to its bytes and
 * moves p past the closing quote. A plain string is used in place in the
 * copy (the reader's own buffer, hence the cast); the slow path allocates,
 * so the bump region goes through *ps around it. (Two scalars rather than
 * a struct whose address the slow path takes: they stay in registers.) */
#define READ_STRING()                                                         \
    do {                                                                      \
        const unsigned char *s_ = p + 1, *q_ = scan_plain(s_);                \
        if (LIKELY(*q_ == '"')) {                                             \
            ((char *)s_)[q_ - s_] = 0;                                        \
            str_s = (const char *)s_;                                         \
            str_n = (size_t)(q_ - s_);                                        \
            p = q_ + 1;                                                       \
        } else {                                                              \
            struct pstr r_;                                                   \
            ps->bump = bump;                                                  \
            ps->bump_end = bump_end;                                          \
            p = parse_string_slow(ps, s_, q_, &r_);                           \
            bump = ps->bump;                                                  \
            bump_end = ps->bump_end;                                          \
            if (!p)                                                           \
                goto out;                                                     \
            str_s = r_.s;                                                     \
            str_n = r_.n;                                                     \
        }                                                                     \
    } while (0)

/* Fails with Go's end-of-input error at the end, else with context at p. */
#define FAIL(p, context)                                                      \
    do {                                                                      \
        if ((p) >= end)                                                       \
            fail_eof(ps);                                                     \
        else                                                                  \
            fail_at(ps, p, context);                                          \
        goto out;                                                             \
    } while (0)

struct kapi_value *kapi_json_parse(struct kapi_pool *pool, const char *data, size_t len,
                                   const struct kapi_json_opts *opts, struct kapi_json_error *err)
{
    struct kapi_json_error dummy;
    struct parser ps_storage;
    struct parser *ps = &ps_storage;
    if (!data)
        data = "", len = 0; /* no arithmetic on a null pointer */
    char *bump, *bump_end;
    {
        /* the padded copy and the first bump piece (sized as palloc_slow
         * would) in one pool call */
        size_t clen = (len + PAD + 7) & ~(size_t)7;
        size_t first = len > 16384 ? 65536 : len * 4 < 1024 ? 1024 : len * 4;
        char *copy = kapi_pool_alloc(pool, clen + first);
        memcpy(copy, data, len);
        memset(copy + len, 0, clen - len);
        ps->start = (const unsigned char *)copy;
        ps->end = ps->start + len;
        bump = copy + clen;
        bump_end = bump + first;
    }
    ps->pool = pool;
    ps->err = err ? err : &dummy;
    ps->err->msg[0] = 0;
    ps->err->offset = 0;
    ps->max_depth = opts && opts->max_depth ? opts->max_depth : KAPI_JSON_MAX_DEPTH;
    const bool want_dups = ps->want_dups = opts && opts->dups;
    ps->failed = false;
    ps->range_err = false;
    ps->frames = ps->frames0;
    ps->cap_frames = KAPI_ARRAY_LEN(ps->frames0);
    ps->vals = ps->vals0;
    ps->cap_vals = KAPI_ARRAY_LEN(ps->vals0);
    ps->mems = ps->mems0;
    ps->moffs = ps->moffs0;
    ps->cap_mems = KAPI_ARRAY_LEN(ps->mems0);
    ps->sbuf = ps->sbuf0;
    ps->cap_sbuf = sizeof(ps->sbuf0);
    ps->htab = NULL;
    ps->cap_htab = 0;
    ps->dups = NULL;
    ps->ndups = ps->cap_dups = 0;

    struct kapi_value *v = NULL, *root = NULL;
    /* The read position lives in a local, not in *ps: stores of string
     * bytes may alias any memory, so a field would be reloaded after each.
     * So do the stacks' sizes, capacities and bases (the bases and
     * capacities are also kept in *ps for fold_dups and the release), and
     * the innermost container's state (its kind and duplicate-key bits;
     * stored in its frame while a child container is open). */
    const unsigned char *p = ps->start, *end = ps->end;
    const char *str_s;
    size_t str_n;
    size_t nmems = 0, nvals = 0, nframes = 0;
    size_t cap_mems = ps->cap_mems, cap_vals = ps->cap_vals;
    struct kapi_member *mems = ps->mems;
    struct kapi_value **vals = ps->vals;
    struct frame *frames = ps->frames;
    bool in_obj = false, maybe_dup = false;
    uint64_t keybits = 0;

value:
    p = skip_ws(p);
    if (*p == '"') {
        /* the most common value, ahead of the dispatch */
        READ_STRING();
        BUMP(v, sizeof(*v), p);
        v->type = KAPI_V_STRING;
        v->u.str.s = str_s;
        v->u.str.len = str_n;
        goto have_value;
    }
    switch (*p) {
    case '{':
    case '[': {
        bool obj = *p == '{';
        size_t nf = nframes;
        if (UNLIKELY(nf >= ps->max_depth)) {
            fail_at(ps, p, "exceeded max depth");
            goto out;
        }
        if (nf == ps->cap_frames)
            ps->frames = frames = grow(frames, &ps->cap_frames, sizeof(*ps->frames), ps->frames0, nf + 1);
        struct frame *f = &frames[nf];
        f->obj = obj;
        f->start = obj ? nmems : nvals;
        if (nf == 0) {
            f->parent_slot = 0;
        } else {
            f[-1].keybits = keybits;
            f[-1].maybe_dup = maybe_dup;
            f->parent_slot = in_obj ? nmems - 1 : nvals - f[-1].start;
        }
        nframes = nf + 1;
        in_obj = obj;
        keybits = 0;
        maybe_dup = false;
        p = skip_ws(p + 1);
        if (*p == (obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (!obj)
            goto value;
        if (*p != '"')
            FAIL(p, "looking for beginning of object key string");
        goto key;
    }
    case 't':
        if (!(p = parse_literal(ps, p, "true")))
            goto out;
        BUMP(v, sizeof(*v), p);
        v->type = KAPI_V_BOOL;
        v->u.b = true;
        goto have_value;
    case 'f':
        if (!(p = parse_literal(ps, p, "false")))
            goto out;
        BUMP(v, sizeof(*v), p);
        v->type = KAPI_V_BOOL;
        v->u.b = false;
        goto have_value;
    case 'n':
        if (!(p = parse_literal(ps, p, "null")))
            goto out;
        BUMP(v, sizeof(*v), p);
        v->type = KAPI_V_NULL;
        goto have_value;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        BUMP(v, sizeof(*v), p);
        if (!(p = parse_number(ps, p, v)))
            goto out;
        goto have_value;
    default:
        FAIL(p, "looking for beginning of value");
    }

key: {
    /* p is at the key's opening quote. */
    const unsigned char *kq = p;
    READ_STRING();
    size_t nm = nmems;
    if (nm == cap_mems) {
        size_t oldcap = cap_mems;
        ps->mems = mems = grow(mems, &ps->cap_mems, sizeof(*ps->mems), ps->mems0, nm + 1);
        cap_mems = ps->cap_mems;
        if (want_dups) {
            size_t c2 = oldcap;
            ps->moffs = grow(ps->moffs, &c2, sizeof(*ps->moffs), ps->moffs0, nm + 1);
        }
    }
    struct kapi_member *m = &mems[nm];
    m->key = str_s;
    m->klen = str_n;
    m->val = NULL;
    {
        /* A key whose bit is clear repeats no earlier one, so objects
         * without a collision skip the duplicate search at close. */
        uint64_t bit = 1ULL << (((unsigned char)str_s[0] + (str_n << 2)) & 63);
        maybe_dup |= (keybits & bit) != 0;
        keybits |= bit;
    }
    if (want_dups)
        ps->moffs[nm] = (size_t)(kq - ps->start);
    nmems = nm + 1;
    /* compact JSON: the colon comes right after the key */
    if (LIKELY(*p == ':')) {
        p++;
        goto value;
    }
    p = skip_ws(p);
    if (*p != ':')
        FAIL(p, "after object key");
    p++;
    goto value;
}

have_value:
    if (nframes == 0) {
        root = v;
        goto done;
    }
    if (in_obj) {
        mems[nmems - 1].val = v;
    } else {
        if (nvals == cap_vals) {
            ps->vals = vals = grow(vals, &ps->cap_vals, sizeof(*ps->vals), ps->vals0, nvals + 1);
            cap_vals = ps->cap_vals;
        }
        vals[nvals++] = v;
    }
    p = skip_ws(p);
    if (*p == ',') {
        p++;
        if (!in_obj)
            goto value;
        /* compact JSON: the next key's quote comes right after */
        if (LIKELY(*p == '"'))
            goto key;
        p = skip_ws(p);
        if (*p != '"')
            FAIL(p, "looking for beginning of object key string");
        goto key;
    }
    if (*p == (in_obj ? '}' : ']')) {
        p++;
        goto close;
    }
    FAIL(p, in_obj ? "after object key:value pair" : "after array element");

close: {
    size_t top = nframes - 1;
    struct frame *f = &frames[top];
    BUMP(v, sizeof(*v), p);
    if (in_obj) {
        v->type = KAPI_V_OBJECT;
        size_t n = nmems - f->start;
        struct kapi_member *m = mems + f->start;
        if (n > 1 && maybe_dup)
            n = fold_dups(ps, top, m, n);
        v->u.obj.len = v->u.obj.cap = n;
        v->u.obj.members = NULL;
        if (n) {
            BUMP(v->u.obj.members, n * sizeof(*m), p);
            memcpy(v->u.obj.members, m, n * sizeof(*m));
        }
        nmems = f->start;
    } else {
        v->type = KAPI_V_ARRAY;
        size_t n = nvals - f->start;
        v->u.arr.len = v->u.arr.cap = n;
        v->u.arr.items = NULL;
        if (n) {
            BUMP(v->u.arr.items, n * sizeof(*v->u.arr.items), p);
            memcpy(v->u.arr.items, vals + f->start, n * sizeof(*v->u.arr.items));
        }
        nvals = f->start;
    }
    nframes = top;
    if (top) {
        in_obj = f[-1].obj;
        keybits = f[-1].keybits;
        maybe_dup = f[-1].maybe_dup;
    }
    goto have_value;
}

done:
    p = skip_ws(p);
    if (p < end) {
        fail_at(ps, p, "after top-level value");
        root = NULL;
        goto out;
    }
    if (ps->range_err) {
        ps->failed = true;
        memcpy(ps->err->msg, ps->range_msg, sizeof(ps->err->msg));
        ps->err->offset = ps->range_off;
        goto out;
    }
    if (want_dups && ps->ndups) {
        qsort(ps->dups, ps->ndups, sizeof(*ps->dups), dup_cmp);
        struct kapi_json_dup **tail = opts->dups;
        while (*tail)
            tail = &(*tail)->next;
        for (size_t i = 0; i < ps->ndups; i++) {
            struct kapi_json_dup *d = kapi_pool_alloc(pool, sizeof(*d));
            d->path = ps->dups[i].path;
            d->next = NULL;
            *tail = d;
            tail = &d->next;
        }
    }
out:
    parser_release(ps);
    return ps->failed ? NULL : root;
}

#undef BUMP
#undef READ_STRING
#undef FAIL

/* ---- writer ---- */

/* Output is staged in a block on the stack and handed to the kapi_buf when
 * the block fills. The write position is a local pointer passed through the
 * helpers and returned by them (not a field of the writer: a stored byte may
 * alias any memory, so a field would be reloaded after every store). */
#define STAGE 4096

struct writer {
    struct kapi_buf *b;
    int rc;
    char st[STAGE];
};

/* Appends the staged bytes [st, o) to the buffer; returns the empty stage.
 * Once the buffer refused bytes (rc -1), later ones are dropped. */
static char *w_flush(struct writer *w, char *o)
{
    size_t n = (size_t)(o - w->st);
    if (n && w->rc == 0 && kapi_buf_append(w->b, w->st, n) < 0)
        w->rc = -1;
    return w->st;
}

/* The write position with room for n more bytes (n <= STAGE). */
static inline char *w_room(struct writer *w, char *o, size_t n)
{
    if (UNLIKELY((size_t)(w->st + STAGE - o) < n))
        return w_flush(w, o);
    return o;
}

static inline void copy_small(char *d, const unsigned char *s, size_t n);

static char *w_bytes(struct writer *w, char *o, const void *p, size_t n)
{
    if (n > STAGE / 2) {
        o = w_flush(w, o);
        if (w->rc == 0 && kapi_buf_append(w->b, p, n) < 0)
            w->rc = -1;
        return o;
    }
    o = w_room(w, o, n);
    memcpy(o, p, n);
    return o + n;
}

static const char hexdig[] = "0123456789abcdef";

/* Exact-length copy of up to 16 bytes without a library call: two
 * overlapping loads and stores that stay inside both ranges. */
static inline void copy_small(char *d, const unsigned char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a = load8(s), b = load8(s + n - 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else if (n) {
        d[0] = (char)s[0];
        d[n / 2] = (char)s[n / 2];
        d[n - 1] = (char)s[n - 1];
    }
}

/* Whether none of the n (<= 16) bytes at s needs escaping. s is in the
 * stage, which has 16 readable bytes there: the block read looks at bytes
 * past n too, but the mask drops them. */
static inline bool plain_staged(const char *s, size_t n)
{
#ifdef __SSE2__
    return (sse_write_stops((const unsigned char *)s) & ((1u << n) - 1)) == 0;
#else
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= esc_class[(unsigned char)s[i]];
    return bad == 0;
#endif
}

/* Whether none of the n (>= 16) bytes at s needs escaping; the last block
 * overlaps the one before rather than reading past the string. */
static inline bool plain_long(const unsigned char *s, size_t n)
{
#ifdef __SSE2__
    const unsigned char *end = s + n;
    for (; end - s > 16; s += 16)
        if (sse_write_stops(s))
            return false;
    return sse_write_stops(end - 16) == 0;
#else
    const unsigned char *end = s + n;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; end - s >= 8; s += 8)
        if (write_stops(load8(s)))
            return false;
#endif
    for (; s < end; s++)
        if (esc_class[*s])
            return false;
    return true;
#endif
}

/* A string with escapes, non-ASCII or too long for the stage: byte by byte
 * from the first byte that needs a look, copying the runs between. */
static char *w_string_slow(struct writer *w, char *o, const unsigned char *s, size_t len)
{
    const unsigned char *end = s + len, *run = s;
    o = w_room(w, o, 1);
    *o++ = '"';
    while (s < end) {
#ifdef __SSE2__
        if (end - s >= 16) {
            unsigned m = sse_write_stops(s);
            if (!m) {
                s += 16;
                continue;
            }
            s += __builtin_ctz(m);
        } else
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (end - s >= 8) {
            uint64_t m = write_stops(load8(s));
            if (!m) {
                s += 8;
                continue;
            }
            s += __builtin_ctzll(m) >> 3;
        }
#endif
        unsigned c = *s;
        unsigned cls = esc_class[c];
        if (LIKELY(cls == 0)) {
            s++;
            continue;
        }
        uint32_t cp = 0;
        int n = 0;
        if (cls == 2) {
            n = utf8_seq(s, end, &cp);
            if (n && cp != 0x2028 && cp != 0x2029) {
                s += n;
                continue;
            }
        }
        if (s > run)
            o = w_bytes(w, o, run, (size_t)(s - run));
        o = w_room(w, o, 6);
        if (cls == 2) {
            if (n == 0) {
                memcpy(o, "\\ufffd", 6);
                s++;
            } else {
                memcpy(o, cp == 0x2028 ? "\\u2028" : "\\u2029", 6);
                s += n;
            }
            o += 6;
            run = s;
            continue;
        }
        o[0] = '\\';
        switch (c) {
        case '"': o[1] = '"'; o += 2; break;
        case '\\': o[1] = '\\'; o += 2; break;
        case '\b': o[1] = 'b'; o += 2; break;
        case '\f': o[1] = 'f'; o += 2; break;
        case '\n': o[1] = 'n'; o += 2; break;
        case '\r': o[1] = 'r'; o += 2; break;
        case '\t': o[1] = 't'; o += 2; break;
        default:
            o[1] = 'u';
            o[2] = '0';
            o[3] = '0';
            o[4] = hexdig[c >> 4];
            o[5] = hexdig[c & 15];
            o += 6;
        }
        s++;
        run = s;
    }
    if (s > run)
        o = w_bytes(w, o, run, (size_t)(s - run));
    o = w_room(w, o, 1);
    *o++ = '"';
    return o;
}

/* Writes str as a JSON string, then the byte `after` unless it is 0 (the
 * ':' after a key). Most strings need no escaping: a short one is copied
 * into the stage and checked there, a long one checked then copied. */
static inline __attribute__((always_inline)) char *w_string(struct writer *w, char *o, const char *str,
                                                            size_t len, char after)
{
    const unsigned char *s = (const unsigned char *)str;
    if (LIKELY(len <= 16)) {
        /* room for the quotes, `after` and the block read at o + 1 */
        o = w_room(w, o, 19);
        o[0] = '"';
        copy_small(o + 1, s, len);
        if (LIKELY(plain_staged(o + 1, len))) {
            o[len + 1] = '"';
            o += len + 2;
            if (after)
                *o++ = after;
            return o;
        }
    } else if (len <= STAGE - 3 && plain_long(s, len)) {
        o = w_room(w, o, len + 3);
        o[0] = '"';
        memcpy(o + 1, s, len);
        o[len + 1] = '"';
        o += len + 2;
        if (after)
            *o++ = after;
        return o;
    }
    o = w_string_slow(w, o, s, len);
    if (after) {
        o = w_room(w, o, 1);
        *o++ = after;
    }
    return o;
}

static inline char *w_int(struct writer *w, char *o, int64_t i)
{
    uint64_t u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
    size_t nd = 1;
    for (uint64_t t = u; t >= 10; t /= 10)
        nd++;
    o = w_room(w, o, nd + 1);
    if (i < 0)
        *o++ = '-';
    char *q = o + nd;
    do {
        *--q = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    return o + nd;
}

/* Shortest decimal digits that read back as d (d finite, > 0), as Go's
 * strconv does; returns the digit count and sets *x so d = D.DDD * 10^x.
 *
 * Any value whose shortest form has <= 15 digits is recovered from the
 * correctly rounded 15-digit form (DBL_DIG guarantees that round trip), so
 * that is tried first; 16 then 17 digits cover the rest. At 16 digits the
 * nearest candidate can miss when d is a power of two (its rounding interval
 * is narrower below), so the neighbour on the far side is tried too. */
static int shortest_digits(double d, char digits[24], int *x)
{
    char tmp[40];
    /* Subnormals carry fewer digits than DBL_DIG, so search them fully. */
    for (int prec = d < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        bool ok = strtod(tmp, NULL) == d;
        if (!ok && prec == 16) {
            /* Bump the last digit away from the rounded value, toward d. */
            double r = strtod(tmp, NULL);
            char alt[40];
            memcpy(alt, tmp, sizeof(tmp));
            char *e = strchr(alt, 'e');
            char *q = e - 1;
            bool up = r < d;
            for (;;) {
                if (*q == '.') {
                    q--;
                    continue;
                }
                if (up) {
                    if (*q != '9') {
                        (*q)++;
                        break;
                    }
                    *q = '0';
                } else {
                    if (*q != '0') {
                        (*q)--;
                        break;
                    }
                    *q = '9';
                }
                if (q == alt)
                    break; /* carry out of the first digit: give up on it */
                q--;
            }
            if (alt[0] != '0' && strtod(alt, NULL) == d) {
                memcpy(tmp, alt, sizeof(tmp));
                ok = true;
            }
        }
        if (ok || prec == 17)
            break;
    }
    int nd = 0;
    char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    *x = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    return nd;
}

/* Formats f the way Go's encoding/json writes a float64. */
static size_t format_float(double f, char out[40])
{
    char *o = out;
    if (f == 0) {
        if (signbit(f))
            *o++ = '-';
        *o++ = '0';
        return (size_t)(o - out);
    }
    if (f < 0) {
        *o++ = '-';
        f = -f;
    }
    char dg[24] = {0};
    int x;
    int nd = shortest_digits(f, dg, &x);
    if (f < 1e-6 || f >= 1e21) {
        *o++ = dg[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, dg + 1, (size_t)nd - 1);
            o += nd - 1;
        }
        *o++ = 'e';
        *o++ = x < 0 ? '-' : '+';
        int ax = x < 0 ? -x : x;
        /* Go pads to two exponent digits, then strips the pad for e-0X only. */
        if (ax >= 100)
            *o++ = (char)('0' + ax / 100);
        if (ax >= 10 || x >= 0)
            *o++ = (char)('0' + ax / 10 % 10);
        *o++ = (char)('0' + ax % 10);
        return (size_t)(o - out);
    }
    if (x >= 0) {
        for (int i = 0; i <= x; i++)
            *o++ = i < nd ? dg[i] : '0';
        if (nd > x + 1) {
            *o++ = '.';
            memcpy(o, dg + x + 1, (size_t)(nd - x - 1));
            o += nd - x - 1;
        }
    } else {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *o++ = '0';
        memcpy(o, dg, (size_t)nd);
        o += nd;
    }
    return (size_t)(o - out);
}

size_t kapi_json_format_float(double f, char out[40])
{
    if (!isfinite(f))
        return 0;
    return format_float(f, out);
}

static char *w_newline(struct writer *w, char *o, size_t depth)
{
    o = w_room(w, o, 1);
    *o++ = '\n';
    size_t n = depth * 2;
    while (n) {
        size_t k = n > 64 ? 64 : n;
        o = w_room(w, o, k);
        memset(o, ' ', k);
        o += k;
        n -= k;
    }
    return o;
}

/* Writes a value that opens no container: a scalar, null, {} or []. */
static char *w_scalar(struct writer *w, char *o, const struct kapi_value *v)
{
    if (!v)
        return w_bytes(w, o, "null", 4);
    switch (v->type) {
    case KAPI_V_BOOL:
        return v->u.b ? w_bytes(w, o, "true", 4) : w_bytes(w, o, "false", 5);
    case KAPI_V_INT:
        return w_int(w, o, v->u.i);
    case KAPI_V_FLOAT: {
        if (!isfinite(v->u.f)) {
            if (w->rc == 0)
                w->rc = KAPI_JSON_EUNSUPPORTED;
            return o;
        }
        char tmp[40];
        return w_bytes(w, o, tmp, format_float(v->u.f, tmp));
    }
    case KAPI_V_STRING:
        return w_string(w, o, v->u.str.s, v->u.str.len, 0);
    case KAPI_V_ARRAY:
        return w_bytes(w, o, "[]", 2);
    case KAPI_V_OBJECT:
        return w_bytes(w, o, "{}", 2);
    default:
        return w_bytes(w, o, "null", 4);
    }
}

/* An open container: its children and the next one to write. */
struct wframe {
    const void *items;  /* struct kapi_member * or struct kapi_value ** */
    size_t i, len;
    bool obj;
};

static int write_value(struct kapi_buf *b, const struct kapi_value *v, bool indent)
{
    struct writer ws, *w = &ws;
    w->b = b;
    w->rc = 0;
    char *o = w->st;
    struct wframe st0[32];
    struct wframe *st = st0;
    size_t n = 0, cap = KAPI_ARRAY_LEN(st0);

    for (;;) {
        /* write v, or open it */
        if (v && (v->type == KAPI_V_OBJECT || v->type == KAPI_V_ARRAY) &&
            (v->type == KAPI_V_OBJECT ? v->u.obj.len : v->u.arr.len)) {
            bool obj = v->type == KAPI_V_OBJECT;
            if (n == cap)
                st = grow(st, &cap, sizeof(*st), st0, n + 1);
            st[n].obj = obj;
            st[n].i = 0;
            st[n].len = obj ? v->u.obj.len : v->u.arr.len;
            st[n].items = obj ? (const void *)v->u.obj.members : (const void *)v->u.arr.items;
            n++;
            o = w_room(w, o, 1);
            *o++ = obj ? '{' : '[';
        } else {
            o = w_scalar(w, o, v);
        }
        /* find the next value: close finished containers, then the next
         * child of the innermost open one */
        for (;;) {
            if (n == 0 || w->rc != 0)
                goto done;
            struct wframe *f = &st[n - 1];
            if (f->i == f->len) {
                if (indent)
                    o = w_newline(w, o, n - 1);
                o = w_room(w, o, 1);
                *o++ = f->obj ? '}' : ']';
                n--;
                continue;
            }
            o = w_room(w, o, 1);
            if (f->i)
                *o++ = ',';
            if (indent)
                o = w_newline(w, o, n);
            if (f->obj) {
                const struct kapi_member *m = (const struct kapi_member *)f->items + f->i;
                o = w_string(w, o, m->key, m->klen, ':');
                if (indent) {
                    o = w_room(w, o, 1);
                    *o++ = ' ';
                }
                v = m->val;
            } else {
                v = ((struct kapi_value *const *)f->items)[f->i];
            }
            f->i++;
            break;
        }
    }
done:
    w_flush(w, o);
    if (st != st0)
        free(st);
    return w->rc;
}

int kapi_json_write(struct kapi_buf *b, const struct kapi_value *v)
{
    return write_value(b, v, false);
}

int kapi_json_write_indent(struct kapi_buf *b, const struct kapi_value *v)
{
    return write_value(b, v, true);
}

int kapi_json_write_string(struct kapi_buf *b, const char *s, size_t len)
{
    struct writer ws, *w = &ws;
    w->b = b;
    w->rc = 0;
    w_flush(w, w_string(w, w->st, s, len, 0));
    return w->rc;
}
