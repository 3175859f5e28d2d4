/* goregex: Go regexp syntax parsed by hand into a tree, compiled to a small
 * NFA program and run as a Pike VM (every thread advances in lock step, one
 * state per program counter), so matching is O(subject x program) with no
 * backtracking. PCRE2 only decides single-character membership for classes
 * and case folding (Unicode tables). See docs/internals/regex.md. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "goregex.h"

#include <pcre2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define MAX_REPEAT 1000  /* Go: largest count in {n,m}, and of nested counts multiplied */
#define MAX_NEST 1000    /* Go: deepest nesting */
#define MAX_PATTERN 65536
#define MAX_INST (1u << 18) /* program size; past it "expression too large" */

enum { F_FOLD = 1, F_MULTI = 2, F_DOTNL = 4 };                 /* (?i) (?m) (?s) */
enum { P_LIT, P_ANY, P_ANYNL, P_SET };                          /* predicate kinds */
enum { A_BOT, A_EOT, A_BOL, A_EOL, A_WORDB, A_NWORDB };         /* assertions */
enum { I_CHAR, I_SPLIT, I_JMP, I_ASSERT, I_MATCH };             /* instructions */
enum { N_EMPTY, N_CHAR, N_ASSERT, N_CAT, N_ALT, N_REP };       /* tree nodes */

/* A one-character test. P_SET asks PCRE2 (anchored at both ends, so it
 * matches exactly one character); its answers for ASCII are cached in a
 * bitmap filled on first use (benign races: every writer stores the same). */
struct pred {
    int kind;
    uint32_t cp;
    pcre2_code *code;
    _Atomic uint64_t ascii[2];
    _Atomic int ascii_ready;
};

struct inst {
    uint8_t op;
    uint8_t as;
    uint32_t x, y;
};

struct kapi_goregex {
    struct inst *prog;
    uint32_t ninst;
    struct pred *preds;
    size_t npreds;
    size_t size;
};

struct node {
    int kind;
    uint32_t a; /* predicate index or assertion */
    long min, max;
    struct node **sub;
    size_t nsub;
};

struct nvec {
    struct node **v;
    size_t n, cap;
};

struct frame {
    struct nvec alts, items;
    unsigned flags; /* the flags outside this group, restored at its end */
    uint32_t w;     /* largest repetition weight inside (Go's rule) */
};

struct scan {
    const char *p; /* the whole pattern */
    size_t n;
    struct kapi_buf out;
    char *err;
    bool overflow;
    struct kapi_pool *pool; /* the tree */
    struct frame *fr;       /* one per open group; fr[0] is the whole pattern */
    int depth;
    unsigned flags;
    /* Repetition weight (Go's nested-count product) of the item a
     * quantifier would apply to; 0 means there is no such item. */
    uint32_t last_w;
    struct pred *preds;
    size_t npreds, cpreds;
    struct inst *prog;
    uint32_t ninst, cinst;
};

static bool fail(struct scan *s, const char *what, const char *expr, size_t len)
{
    if (!s->err)
        s->err = kapi_xasprintf("error parsing regexp: %s: `%.*s`", what, (int)len, expr);
    return false;
}

static void emit(struct scan *s, const char *t, size_t len)
{
    if (kapi_buf_append(&s->out, t, len) != 0)
        s->overflow = true;
}

static void emits(struct scan *s, const char *t)
{
    emit(s, t, strlen(t));
}

static void emitc(struct scan *s, char c)
{
    emit(s, &c, 1);
}

/* A code point written as PCRE2's \x{...}, valid in and out of classes. */
static void emit_cp(struct scan *s, uint32_t cp)
{
    char t[16];
    int k = snprintf(t, sizeof(t), "\\x{%x}", (unsigned)cp);
    emit(s, t, (size_t)k);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hexval(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one UTF-8 sequence at p[*i]; invalid bytes decode as themselves
 * (PCRE2 reports the invalid UTF-8 when compiling). */
static uint32_t utf8_next(const char *p, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)p;
    uint32_t c = u[*i];
    int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (more && *i + (size_t)more < n) {
        uint32_t cp = c & (0x3Fu >> more);
        for (int k = 1; k <= more; k++)
            cp = (cp << 6) | (u[*i + (size_t)k] & 0x3F);
        *i += (size_t)more + 1;
        return cp;
    }
    (*i)++;
    return c;
}

/* Offset of the first byte that does not start a well-formed UTF-8
 * sequence (overlong forms, surrogates and values past U+10FFFF included),
 * or n when there is none. */
static size_t utf8_invalid_at(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int more = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0 || i + (size_t)more >= n)
            return i;
        uint32_t cp = c & (0x3Fu >> more);
        for (int k = 1; k <= more; k++) {
            if ((u[i + (size_t)k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (u[i + (size_t)k] & 0x3F);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += (size_t)more + 1;
    }
    return n;
}

/* One escape that stands for a single character (Go's parseEscape), at
 * p[*i] == '\\'. Emits its PCRE2 form and returns the code point, or
 * returns -1 after recording Go's error. */
static long char_escape(struct scan *s, size_t *i)
{
    const char *p = s->p;
    size_t n = s->n, start = *i, j = *i + 1;
    if (j >= n) {
        fail(s, "trailing backslash at end of expression", "", 0);
        return -1;
    }
    char c = p[j++];
    long v = -1;
    if (c >= '1' && c <= '7' && !(j < n && p[j] >= '0' && p[j] <= '7')) {
        /* a lone \1..\7 is a backreference: Go has none */
    } else if (c >= '0' && c <= '7') {
        v = c - '0';
        for (int k = 0; k < 2 && j < n && p[j] >= '0' && p[j] <= '7'; k++)
            v = v * 8 + (p[j++] - '0');
    } else if (c == 'x' && j < n) {
        /* As Go: \x{hex...} or exactly two hex digits; on error the text
         * reported runs to the character that broke the form. */
        uint32_t c1 = utf8_next(p, n, &j);
        if (c1 == '{') {
            long r = 0;
            int nh = 0;
            while (j < n) {
                uint32_t ch = utf8_next(p, n, &j);
                if (ch == '}') {
                    if (nh > 0)
                        v = r;
                    break;
                }
                int h = ch < 0x80 ? hexval((char)ch) : -1;
                if (h < 0)
                    break;
                r = r * 16 + h;
                if (r > 0x10FFFF)
                    break;
                nh++;
            }
        } else {
            int x = c1 < 0x80 ? hexval((char)c1) : -1;
            int y = -1;
            if (j < n) {
                uint32_t c2 = utf8_next(p, n, &j);
                y = c2 < 0x80 ? hexval((char)c2) : -1;
            }
            if (x >= 0 && y >= 0)
                v = x * 16 + y;
        }
    } else if (c == 'a' || c == 'f' || c == 'n' || c == 'r' || c == 't' || c == 'v') {
        v = c == 'a' ? 7 : c == 'f' ? 12 : c == 'n' ? 10 : c == 'r' ? 13 : c == 't' ? 9 : 11;
    } else if ((unsigned char)c < 0x80 && !is_alnum(c)) {
        v = (unsigned char)c;
    } else if ((unsigned char)c >= 0x80) {
        size_t k = j - 1;
        (void)utf8_next(p, n, &k);
        j = k;
    }
    if (v < 0) {
        fail(s, "invalid escape sequence", p + start, j - start);
        return -1;
    }
    *i = j;
    emit_cp(s, (uint32_t)v);
    return v;
}

/* \d \s \w and their negations (Go's \s has no \v, unlike PCRE2's), and
 * \pX \p{Name} \PX \P{Name}. Returns 1 when one was emitted, 0 when p[*i]
 * starts none, -1 on error. */
static int class_escape(struct scan *s, size_t *i, bool in_class)
{
    const char *p = s->p;
    size_t n = s->n, j = *i + 1;
    if (j >= n)
        return 0;
    char c = p[j];
    switch (c) {
    case 'd': case 'D': case 'w': case 'W':
        emit(s, p + *i, 2);
        *i = j + 1;
        return 1;
    case 's':
        emits(s, in_class ? "\\t\\n\\f\\r " : "[\\t\\n\\f\\r ]");
        *i = j + 1;
        return 1;
    case 'S':
        if (in_class) {
            /* A negated set inside a class: PCRE2's negated POSIX class
             * would include \v, so spell out the complement. */
            emits(s, "\\x{0}-\\x{8}\\x{b}\\x{e}-\\x{1f}\\x{21}-\\x{10ffff}");
        } else {
            emits(s, "[^\\t\\n\\f\\r ]");
        }
        *i = j + 1;
        return 1;
    case 'p': case 'P': {
        size_t k = j + 1;
        if (k >= n)
            return fail(s, "invalid character class range", p + *i, n - *i), -1;
        if (p[k] == '{') {
            const char *e = memchr(p + k, '}', n - k);
            if (!e)
                return fail(s, "invalid character class range", p + *i, n - *i), -1;
            k = (size_t)(e - p) + 1;
        } else {
            (void)utf8_next(p, n, &k);
        }
        emit(s, p + *i, k - *i);
        *i = k;
        return 1;
    }
    default:
        return 0;
    }
}

static const char *const posix_classes[] = {"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
                                            "lower", "print", "punct", "space", "upper", "word", "xdigit"};

/* A bracket expression at p[*i] == '['. */
static bool parse_class(struct scan *s, size_t *i)
{
    const char *p = s->p;
    size_t n = s->n, start = *i, j = *i + 1;
    emitc(s, '[');
    if (j < n && p[j] == '^') {
        emitc(s, '^');
        j++;
    }
    bool first = true;
    while (j < n && (p[j] != ']' || first)) {
        first = false;
        if (p[j] == '[' && j + 1 < n && p[j + 1] == ':') {
            const char *e = NULL;
            for (size_t k = j + 2; k + 1 < n; k++)
                if (p[k] == ':' && p[k + 1] == ']') {
                    e = p + k;
                    break;
                }
            if (e) {
                const char *name = p + j + 2;
                size_t nl = (size_t)(e - name);
                bool neg = nl && name[0] == '^';
                bool known = false;
                for (size_t k = 0; k < KAPI_ARRAY_LEN(posix_classes); k++)
                    if (nl - neg == strlen(posix_classes[k]) && memcmp(name + neg, posix_classes[k], nl - neg) == 0)
                        known = true;
                size_t end = (size_t)(e - p) + 2;
                if (!known)
                    return fail(s, "invalid character class range", p + j, end - j);
                emit(s, p + j, end - j);
                j = end;
                continue;
            }
        }
        if (p[j] == '\\') {
            int r = class_escape(s, &j, true);
            if (r < 0)
                return false;
            if (r > 0)
                continue;
        }
        size_t rng = j;
        long lo, hi;
        if (p[j] == '\\') {
            if ((lo = char_escape(s, &j)) < 0)
                return false;
        } else {
            lo = (long)utf8_next(p, n, &j);
            emit_cp(s, (uint32_t)lo);
        }
        if (j + 1 < n && p[j] == '-' && p[j + 1] != ']') {
            j++;
            emitc(s, '-');
            if (p[j] == '\\') {
                if ((hi = char_escape(s, &j)) < 0)
                    return false;
            } else {
                hi = (long)utf8_next(p, n, &j);
                emit_cp(s, (uint32_t)hi);
            }
            if (hi < lo)
                return fail(s, "invalid character class range", p + rng, j - rng);
        }
    }
    if (j >= n)
        return fail(s, "missing closing ]", p + start, n - start);
    emitc(s, ']');
    *i = j + 1;
    return true;
}

/* Go's number in a {n,m}: no sign, no leading zero; -1 when too long. */
static bool parse_int(const char *p, size_t n, size_t *j, long *out)
{
    size_t k = *j;
    if (k >= n || !is_digit(p[k]))
        return false;
    if (p[k] == '0' && k + 1 < n && is_digit(p[k + 1]))
        return false;
    long v = 0;
    size_t start = k;
    while (k < n && is_digit(p[k])) {
        if (k - start < 8)
            v = v * 10 + (p[k] - '0');
        k++;
    }
    *out = k - start > 8 ? -1 : v;
    *j = k;
    return true;
}

/* A {n}, {n,} or {n,m} at p[*i]; false when it is a literal brace. */
static bool parse_repeat(const char *p, size_t n, size_t i, long *min, long *max, size_t *end)
{
    size_t j = i + 1;
    if (!parse_int(p, n, &j, min))
        return false;
    if (j < n && p[j] == ',') {
        j++;
        if (j < n && p[j] == '}')
            *max = -1;
        else if (!parse_int(p, n, &j, max))
            return false;
    } else {
        *max = *min;
    }
    if (j >= n || p[j] != '}')
        return false;
    *end = j + 1;
    return true;
}

/* ---- the tree ---- */

static struct node *new_node(struct scan *s, int kind)
{
    struct node *nd = kapi_pool_calloc(s->pool, sizeof(*nd));
    nd->kind = kind;
    return nd;
}

static void nvec_push(struct scan *s, struct nvec *v, struct node *nd)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        struct node **nv = kapi_pool_alloc(s->pool, cap * sizeof(*nv));
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof(*nv));
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = nd;
}

/* The items of a concatenation (or the alternatives) as one node. */
static struct node *join(struct scan *s, struct nvec *v, int kind)
{
    if (v->n == 0)
        return new_node(s, N_EMPTY);
    if (v->n == 1)
        return v->v[0];
    struct node *nd = new_node(s, kind);
    nd->sub = v->v;
    nd->nsub = v->n;
    return nd;
}

static void commit(struct scan *s)
{
    if (s->last_w > s->fr[s->depth].w)
        s->fr[s->depth].w = s->last_w;
    s->last_w = 0;
}

static void push_item(struct scan *s, struct node *nd)
{
    commit(s);
    s->last_w = 1;
    nvec_push(s, &s->fr[s->depth].items, nd);
}

static bool add_pred(struct scan *s, int kind, uint32_t cp, const char *text, size_t len)
{
    if (s->npreds == s->cpreds) {
        s->cpreds = s->cpreds ? s->cpreds * 2 : 16;
        s->preds = kapi_xrealloc(s->preds, s->cpreds * sizeof(*s->preds));
    }
    struct pred *pr = &s->preds[s->npreds];
    memset(pr, 0, sizeof(*pr));
    pr->kind = kind;
    pr->cp = cp;
    if (kind == P_SET) {
        int code = 0;
        PCRE2_SIZE off = 0;
        pr->code = pcre2_compile((PCRE2_SPTR)text, len, PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED, &code, &off,
                                 NULL);
        if (!pr->code)
            return false;
    }
    struct node *nd = new_node(s, N_CHAR);
    nd->a = (uint32_t)s->npreds++;
    push_item(s, nd);
    return true;
}

/* The atom whose PCRE2 text is in s->out: a set, or a folded literal. */
static bool atom_set(struct scan *s, const char *src, size_t srclen)
{
    char *text = kapi_xasprintf("%s%.*s", (s->flags & F_FOLD) ? "(?i)" : "", (int)s->out.len,
                                s->out.data ? s->out.data : "");
    bool ok = add_pred(s, P_SET, 0, text, strlen(text));
    free(text);
    kapi_buf_reset(&s->out);
    if (!ok)
        return fail(s, "invalid character class range", src, srclen);
    return true;
}

/* A literal character (already emitted to s->out as \x{..}). */
static bool atom_lit(struct scan *s, uint32_t cp, const char *src, size_t srclen)
{
    bool letter = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp >= 0x80;
    if ((s->flags & F_FOLD) && letter)
        return atom_set(s, src, srclen);
    kapi_buf_reset(&s->out);
    return add_pred(s, P_LIT, cp, NULL, 0);
}

static void push_assert(struct scan *s, int as)
{
    struct node *nd = new_node(s, N_ASSERT);
    nd->a = (uint32_t)as;
    push_item(s, nd);
}

static unsigned parse_flags(const char *p, size_t n, unsigned flags)
{
    bool neg = false;
    for (size_t k = 0; k < n; k++) {
        unsigned f = p[k] == 'i' ? F_FOLD : p[k] == 'm' ? F_MULTI : p[k] == 's' ? F_DOTNL : 0;
        if (p[k] == '-')
            neg = true;
        else if (neg)
            flags &= ~f;
        else
            flags |= f;
    }
    return flags;
}

static bool open_group(struct scan *s, unsigned new_flags)
{
    if (s->depth + 1 >= MAX_NEST)
        return fail(s, "expression nests too deeply", s->p, s->n);
    commit(s);
    struct frame *f = &s->fr[++s->depth];
    memset(f, 0, sizeof(*f));
    f->flags = s->flags;
    f->w = 1;
    s->flags = new_flags;
    return true;
}

/* Parses the whole pattern into s->fr[0] (Go's syntax and errors). */
static bool parse(struct scan *s)
{
    const char *p = s->p;
    size_t n = s->n, i = 0;
    size_t last_rep = SIZE_MAX; /* where the repetition just before started */
    s->fr[0].w = 1;
    while (i < n) {
        char c = p[i];
        if (c == '*' || c == '+' || c == '?' || c == '{') {
            long min = c == '+' ? 1 : 0, max = c == '?' ? 1 : -1;
            size_t end = i + 1;
            bool counted = false;
            if (c == '{') {
                if (!parse_repeat(p, n, i, &min, &max, &end)) {
                    last_rep = SIZE_MAX;
                    if (!atom_lit(s, '{', p + i, 1))
                        return false;
                    i++;
                    continue;
                }
                if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max))
                    return fail(s, "invalid repeat count", p + i, end - i);
                counted = true;
            }
            if (end < n && p[end] == '?')
                end++;
            if (last_rep != SIZE_MAX)
                return fail(s, "invalid nested repetition operator", p + last_rep, end - last_rep);
            struct nvec *items = &s->fr[s->depth].items;
            if (s->last_w == 0 || items->n == 0)
                return fail(s, "missing argument to repetition operator", p + i, end - i);
            if (counted) {
                long m = max >= 0 ? max : min;
                if (m == 0) {
                    s->last_w = 1;
                } else {
                    uint64_t w = (uint64_t)m * s->last_w;
                    if ((min >= 2 || max >= 2) && w > MAX_REPEAT)
                        return fail(s, "invalid repeat count", p + i, end - i);
                    s->last_w = (uint32_t)(w > MAX_REPEAT ? MAX_REPEAT + 1 : w);
                }
            }
            struct node *rep = new_node(s, N_REP);
            rep->min = min;
            rep->max = max;
            rep->sub = kapi_pool_alloc(s->pool, sizeof(*rep->sub));
            rep->sub[0] = items->v[items->n - 1];
            rep->nsub = 1;
            items->v[items->n - 1] = rep;
            last_rep = i;
            i = end;
            continue;
        }
        last_rep = SIZE_MAX;
        switch (c) {
        case '(': {
            size_t j = i + 1;
            unsigned nf = s->flags;
            if (j < n && p[j] == '?') {
                if ((j + 2 < n && p[j + 1] == 'P' && p[j + 2] == '<') || (j + 1 < n && p[j + 1] == '<')) {
                    size_t nb = p[j + 1] == 'P' ? j + 3 : j + 2;
                    const char *e = memchr(p + nb, '>', n - nb);
                    if (!e)
                        return fail(s, "invalid named capture", p + i, n - i);
                    size_t ne = (size_t)(e - p);
                    bool ok = ne > nb;
                    for (size_t k = nb; k < ne; k++)
                        if (!is_alnum(p[k]) && p[k] != '_')
                            ok = false;
                    if (!ok)
                        return fail(s, "invalid named capture", p + i, ne + 1 - i);
                    j = ne + 1;
                } else {
                    size_t k = j + 1;
                    int sign = 1;
                    bool saw = false, done = false, group = false;
                    while (k < n && !done) {
                        char f = p[k++];
                        if (f == 'i' || f == 'm' || f == 's' || f == 'U') {
                            saw = true;
                        } else if (f == '-' && sign > 0) {
                            sign = -1;
                            saw = false;
                        } else if ((f == ':' || f == ')') && !(sign < 0 && !saw)) {
                            done = true;
                            group = f == ':';
                        } else {
                            break;
                        }
                    }
                    if (!done)
                        return fail(s, "invalid or unsupported Perl syntax", p + i, k - i);
                    nf = parse_flags(p + j + 1, k - 1 - (j + 1), s->flags);
                    j = k;
                    if (!group) {
                        s->flags = nf; /* to the end of the enclosing group */
                        i = j;
                        continue;
                    }
                }
            }
            if (!open_group(s, nf))
                return false;
            i = j;
            continue;
        }
        case ')': {
            if (s->depth == 0)
                return fail(s, "unexpected )", p, n);
            commit(s);
            struct frame *f = &s->fr[s->depth];
            nvec_push(s, &f->alts, join(s, &f->items, N_CAT));
            struct node *g = join(s, &f->alts, N_ALT);
            uint32_t w = f->w;
            s->flags = f->flags;
            s->depth--;
            push_item(s, g);
            s->last_w = w;
            i++;
            continue;
        }
        case '|': {
            commit(s);
            struct frame *f = &s->fr[s->depth];
            nvec_push(s, &f->alts, join(s, &f->items, N_CAT));
            memset(&f->items, 0, sizeof(f->items));
            i++;
            continue;
        }
        case '[': {
            size_t st = i;
            if (!parse_class(s, &i) || !atom_set(s, p + st, i - st))
                return false;
            continue;
        }
        case '.':
            kapi_buf_reset(&s->out);
            if (!add_pred(s, (s->flags & F_DOTNL) ? P_ANY : P_ANYNL, 0, NULL, 0))
                return false;
            i++;
            continue;
        case '^':
            push_assert(s, (s->flags & F_MULTI) ? A_BOL : A_BOT);
            i++;
            continue;
        case '$':
            push_assert(s, (s->flags & F_MULTI) ? A_EOL : A_EOT);
            i++;
            continue;
        case '\\': {
            char e = i + 1 < n ? p[i + 1] : 0;
            if (e == 'A' || e == 'z' || e == 'b' || e == 'B') {
                push_assert(s, e == 'A' ? A_BOT : e == 'z' ? A_EOT : e == 'b' ? A_WORDB : A_NWORDB);
                i += 2;
                continue;
            }
            if (e == 'Q') {
                /* Literal text up to \E (or the end); each character is an
                 * item of its own, as a following quantifier takes the last. */
                size_t k = i + 2;
                while (k < n && !(p[k] == '\\' && k + 1 < n && p[k + 1] == 'E')) {
                    size_t st = k;
                    uint32_t cp = utf8_next(p, n, &k);
                    emit_cp(s, cp);
                    if (!atom_lit(s, cp, p + st, k - st))
                        return false;
                }
                i = k < n ? k + 2 : n;
                continue;
            }
            size_t st = i;
            int r = class_escape(s, &i, false);
            if (r < 0)
                return false;
            if (r > 0) {
                if (!atom_set(s, p + st, i - st))
                    return false;
                continue;
            }
            long cp = char_escape(s, &i);
            if (cp < 0 || !atom_lit(s, (uint32_t)cp, p + st, i - st))
                return false;
            continue;
        }
        default: {
            size_t k = i;
            uint32_t cp = utf8_next(p, n, &k);
            emit_cp(s, cp);
            if (!atom_lit(s, cp, p + i, k - i))
                return false;
            i = k;
            continue;
        }
        }
    }
    if (s->depth > 0)
        return fail(s, "missing closing )", p, n);
    commit(s);
    return true;
}

/* ---- the program ---- */

static bool inst_add(struct scan *s, uint8_t op, uint8_t as, uint32_t x, uint32_t y, uint32_t *at)
{
    if (s->ninst >= MAX_INST) {
        s->overflow = true;
        return false;
    }
    if (s->ninst == s->cinst) {
        s->cinst = s->cinst ? s->cinst * 2 : 64;
        s->prog = kapi_xrealloc(s->prog, s->cinst * sizeof(*s->prog));
    }
    s->prog[s->ninst] = (struct inst){op, as, x, y};
    if (at)
        *at = s->ninst;
    s->ninst++;
    return true;
}

/* Emits nd; nested repetitions recurse once per nesting level (at most
 * MAX_NEST deep). Counted repetitions are copies; * and + are loops. */
static bool gen(struct scan *s, const struct node *nd)
{
    uint32_t at, l;
    switch (nd->kind) {
    case N_EMPTY:
        return true;
    case N_CHAR:
        return inst_add(s, I_CHAR, 0, nd->a, 0, NULL);
    case N_ASSERT:
        return inst_add(s, I_ASSERT, (uint8_t)nd->a, 0, 0, NULL);
    case N_CAT:
        for (size_t k = 0; k < nd->nsub; k++)
            if (!gen(s, nd->sub[k]))
                return false;
        return true;
    case N_ALT: {
        /* split a, next; a: ...; jmp end; next: split b, next2; ... */
        uint32_t *jumps = kapi_xmalloc(nd->nsub * sizeof(*jumps));
        bool ok = true;
        for (size_t k = 0; ok && k < nd->nsub; k++) {
            if (k + 1 < nd->nsub) {
                ok = inst_add(s, I_SPLIT, 0, s->ninst + 1, 0, &at) && gen(s, nd->sub[k]) &&
                     inst_add(s, I_JMP, 0, 0, 0, &jumps[k]);
                if (ok)
                    s->prog[at].y = s->ninst;
            } else {
                ok = gen(s, nd->sub[k]);
            }
        }
        for (size_t k = 0; ok && k + 1 < nd->nsub; k++)
            s->prog[jumps[k]].x = s->ninst;
        free(jumps);
        return ok;
    }
    case N_REP: {
        const struct node *sub = nd->sub[0];
        long min = nd->min, max = nd->max;
        if (max < 0) {
            /* min-1 copies then a loop that runs at least once, or a star. */
            for (long k = 0; k + 1 < min; k++)
                if (!gen(s, sub))
                    return false;
            if (min >= 1) {
                l = s->ninst;
                return gen(s, sub) && inst_add(s, I_SPLIT, 0, l, s->ninst + 1, NULL);
            }
            if (!inst_add(s, I_SPLIT, 0, s->ninst + 1, 0, &at) || !gen(s, sub) || !inst_add(s, I_JMP, 0, at, 0, NULL))
                return false;
            s->prog[at].y = s->ninst;
            return true;
        }
        for (long k = 0; k < min; k++)
            if (!gen(s, sub))
                return false;
        long opt = max - min;
        if (opt <= 0)
            return true;
        uint32_t *splits = kapi_xmalloc((size_t)opt * sizeof(*splits));
        bool ok = true;
        for (long k = 0; ok && k < opt; k++)
            ok = inst_add(s, I_SPLIT, 0, s->ninst + 1, 0, &splits[k]) && gen(s, sub);
        for (long k = 0; ok && k < opt; k++)
            s->prog[splits[k]].y = s->ninst;
        free(splits);
        return ok;
    }
    }
    return false;
}

/* ---- matching ---- */

static bool is_word(long c)
{
    return c >= 0 && c < 0x80 && (is_alnum((char)c) || c == '_');
}

static bool set_has(const struct pred *pr, uint32_t cp, pcre2_match_data **mdp)
{
    if (!*mdp && !(*mdp = pcre2_match_data_create(1, NULL)))
        abort();
    pcre2_match_data *md = *mdp;
    if (cp < 0x80) {
        const struct pred *cpr = pr;
        struct pred *w = (struct pred *)cpr;
        if (!atomic_load_explicit(&w->ascii_ready, memory_order_acquire)) {
            uint64_t bits[2] = {0, 0};
            for (uint32_t c = 0; c < 0x80; c++) {
                unsigned char ch = (unsigned char)c;
                if (pcre2_match(pr->code, &ch, 1, 0, 0, md, NULL) >= 0)
                    bits[c >> 6] |= 1ull << (c & 63);
            }
            atomic_store_explicit(&w->ascii[0], bits[0], memory_order_relaxed);
            atomic_store_explicit(&w->ascii[1], bits[1], memory_order_relaxed);
            atomic_store_explicit(&w->ascii_ready, 1, memory_order_release);
        }
        return (atomic_load_explicit(&w->ascii[cp >> 6], memory_order_relaxed) >> (cp & 63)) & 1;
    }
    unsigned char u[4];
    size_t n;
    if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return pcre2_match(pr->code, u, n, 0, PCRE2_NO_UTF_CHECK, md, NULL) >= 0;
}

static bool pred_has(const struct pred *pr, uint32_t cp, pcre2_match_data **md)
{
    switch (pr->kind) {
    case P_LIT:
        return cp == pr->cp;
    case P_ANY:
        return true;
    case P_ANYNL:
        return cp != '\n';
    default:
        return set_has(pr, cp, md);
    }
}

/* The next character of a subject, as Go reads it: an invalid byte is
 * U+FFFD and one byte long. Returns -1 at the end. */
static long decode(const char *s, size_t len, size_t i, size_t *adv)
{
    if (i >= len) {
        *adv = 0;
        return -1;
    }
    size_t bad = utf8_invalid_at(s + i, len - i > 4 ? 4 : len - i);
    if (bad == 0) {
        *adv = 1;
        return 0xFFFD;
    }
    size_t k = i;
    uint32_t cp = utf8_next(s, len, &k);
    *adv = k - i;
    return cp;
}

struct tset {
    uint32_t *dense, *sparse;
    uint32_t n;
};

static bool tset_has(const struct tset *t, uint32_t pc)
{
    uint32_t d = t->sparse[pc];
    return d < t->n && t->dense[d] == pc;
}

/* Adds pc and everything reachable from it without consuming a character;
 * returns true when that reaches a match. */
static bool follow(const struct kapi_goregex *re, struct tset *t, uint32_t *stack, uint32_t pc, long prev, long next)
{
    uint32_t sp = 0;
    stack[sp++] = pc;
    bool matched = false;
    while (sp) {
        pc = stack[--sp];
        if (tset_has(t, pc))
            continue;
        t->sparse[pc] = t->n;
        t->dense[t->n++] = pc;
        const struct inst *in = &re->prog[pc];
        switch (in->op) {
        case I_MATCH:
            matched = true;
            break;
        case I_JMP:
            stack[sp++] = in->x;
            break;
        case I_SPLIT:
            stack[sp++] = in->y;
            stack[sp++] = in->x;
            break;
        case I_ASSERT: {
            bool ok;
            switch (in->as) {
            case A_BOT: ok = prev < 0; break;
            case A_EOT: ok = next < 0; break;
            case A_BOL: ok = prev < 0 || prev == '\n'; break;
            case A_EOL: ok = next < 0 || next == '\n'; break;
            case A_WORDB: ok = is_word(prev) != is_word(next); break;
            default: ok = is_word(prev) == is_word(next); break;
            }
            if (ok)
                stack[sp++] = pc + 1;
            break;
        }
        default:
            break;
        }
    }
    return matched;
}

int kapi_goregex_match(const struct kapi_goregex *re, const char *s, size_t len)
{
    if (!s)
        s = "";
    uint32_t n = re->ninst;
    /* Two thread sets and a stack: a visited pc pushes at most two more. */
    uint32_t *mem = kapi_xmalloc(((size_t)n * 6 + 2) * sizeof(uint32_t));
    struct tset a = {mem, mem + n, 0}, b = {mem + 2 * n, mem + 3 * n, 0};
    uint32_t *stack = mem + 4 * n;
    pcre2_match_data *md = NULL; /* made when a set is first consulted */
    struct tset *cur = &a, *nxt = &b;
    size_t i = 0, adv = 0;
    long prev = -1, c = decode(s, len, 0, &adv);
    int result = 0;
    for (;;) {
        if (follow(re, cur, stack, 0, prev, c)) {
            result = 1;
            break;
        }
        if (c < 0)
            break;
        size_t nadv = 0;
        long nc = decode(s, len, i + adv, &nadv);
        nxt->n = 0;
        bool matched = false;
        for (uint32_t k = 0; k < cur->n && !matched; k++) {
            uint32_t pc = cur->dense[k];
            const struct inst *in = &re->prog[pc];
            if (in->op == I_CHAR && pred_has(&re->preds[in->x], (uint32_t)c, &md))
                matched = follow(re, nxt, stack, pc + 1, c, nc);
        }
        if (matched) {
            result = 1;
            break;
        }
        struct tset *t = cur;
        cur = nxt;
        nxt = t;
        i += adv;
        adv = nadv;
        prev = c;
        c = nc;
    }
    pcre2_match_data_free(md);
    free(mem);
    return result;
}

/* ---- compiling ---- */

static void free_preds(struct pred *preds, size_t n)
{
    for (size_t k = 0; k < n; k++)
        pcre2_code_free(preds[k].code);
    free(preds);
}

struct kapi_goregex *kapi_goregex_compile(const char *pat, size_t len, char **err)
{
    *err = NULL;
    if (len > MAX_PATTERN) {
        *err = kapi_xasprintf("error parsing regexp: expression too large: `%.*s`", (int)len, pat);
        return NULL;
    }
    size_t bad = utf8_invalid_at(pat, len);
    if (bad < len) {
        *err = kapi_xasprintf("error parsing regexp: invalid UTF-8: `%.*s`", (int)(len - bad), pat + bad);
        return NULL;
    }
    struct scan s = {.p = pat, .n = len};
    kapi_buf_init(&s.out, 0);
    s.pool = kapi_pool_new();
    s.fr = kapi_xcalloc(MAX_NEST + 1, sizeof(*s.fr));
    bool ok = parse(&s);
    if (ok) {
        struct frame *f = &s.fr[0];
        nvec_push(&s, &f->alts, join(&s, &f->items, N_CAT));
        ok = gen(&s, join(&s, &f->alts, N_ALT)) && inst_add(&s, I_MATCH, 0, 0, 0, NULL);
        if (!ok && s.overflow && !s.err)
            s.err = kapi_xasprintf("error parsing regexp: expression too large: `%.*s`", (int)len, pat);
    }
    free(s.fr);
    kapi_pool_free(s.pool);
    kapi_buf_dispose(&s.out);
    if (!ok) {
        free(s.prog);
        free_preds(s.preds, s.npreds);
        *err = s.err ? s.err : kapi_xasprintf("error parsing regexp: invalid expression: `%.*s`", (int)len, pat);
        return NULL;
    }
    struct kapi_goregex *g = kapi_xcalloc(1, sizeof(*g));
    g->prog = s.prog;
    g->ninst = s.ninst;
    g->preds = s.preds;
    g->npreds = s.npreds;
    g->size = sizeof(*g) + s.cinst * sizeof(*s.prog) + s.cpreds * sizeof(*s.preds);
    for (size_t k = 0; k < s.npreds; k++) {
        size_t sz = 0;
        if (s.preds[k].code && pcre2_pattern_info(s.preds[k].code, PCRE2_INFO_SIZE, &sz) == 0)
            g->size += sz;
    }
    return g;
}

size_t kapi_goregex_size(const struct kapi_goregex *re)
{
    return re ? re->size : 0;
}

void kapi_goregex_free(struct kapi_goregex *re)
{
    if (!re)
        return;
    free(re->prog);
    free_preds(re->preds, re->npreds);
    free(re);
}
