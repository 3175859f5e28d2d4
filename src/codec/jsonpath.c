/* codec/jsonpath: the template language of client-go's util/jsonpath, as
 * kube-apiserver evaluates it for CRD printer columns.
 *
 * The parser mirrors upstream's hand-written scanner step by step (it works
 * on runes, keeps a token start and a read position, and hands bracketed
 * sub-expressions - union members, quoted dict keys, filter operands - to a
 * fresh parse of "{" + text + "}"), because the accepted language is defined
 * by those mechanics rather than by a grammar: "['a.b']" means ".a.b", "[]"
 * means "[0]", a filter operator is whatever run of !<>= characters follows
 * the left operand. The evaluator mirrors upstream's value-list semantics on
 * the unstructured (map/slice/int64/float64/string/bool/nil) form of an
 * object, including the Go types that show in comparisons (an int literal
 * compares with an int64 field, not with a float64 one) and the error cases.
 *
 * Everything is bounded: template length, node count, nesting of
 * sub-parses, range nesting, the size of every intermediate value list, and
 * the total amount of work of one evaluation. */
#include "jsonpath.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JP_MAX_TEMPLATE 4096      /* bytes of template text */
#define JP_MAX_NODES 8192         /* parse tree nodes, sub-parses included */
#define JP_MAX_PARSE_DEPTH 32     /* nested sub-parses */
#define JP_MAX_RESULTS 100000     /* values in any one list during evaluation */
#define JP_MAX_STEPS 20000000ULL  /* values produced or visited in one evaluation */
#define JP_MAX_RANGE_DEPTH 64     /* nested range blocks being evaluated */
#define JP_MAX_ERRVAL 512         /* bytes of a value quoted in an error */

/* ------------------------------------------------------------------ */
/* Parse tree                                                          */

enum nkind {
    N_LIST,
    N_TEXT,
    N_FIELD,
    N_IDENT,
    N_ARRAY,
    N_FILTER,
    N_INT,
    N_FLOAT,
    N_BOOL,
    N_WILDCARD,
    N_RECURSIVE,
    N_UNION,
};

struct param {
    int64_t v;
    bool known;
    bool derived; /* end index implied by a lone start index */
};

struct node {
    enum nkind kind;
    struct node **kids; /* LIST members, UNION alternatives (each a LIST) */
    size_t nkids, capkids;
    const char *name;   /* FIELD key, IDENT word, FILTER operator */
    size_t nlen;
    struct param prm[3];                   /* ARRAY start, end, step */
    struct node *left, *right;             /* FILTER operands (LISTs) */
    struct kapi_value lit;                 /* TEXT, INT, FLOAT, BOOL */
};

struct kapi_jsonpath {
    struct kapi_pool *pool;
    struct node *root; /* LIST of top-level TEXT and LIST nodes */
};

/* ------------------------------------------------------------------ */
/* Runes: the parser steps over UTF-8 the way Go's utf8.DecodeRune does  */

#define R_EOF (-1)
#define R_ERROR 0xFFFD

static size_t utf8_decode(const unsigned char *s, size_t n, int32_t *r)
{
    unsigned c = s[0];
    if (c < 0x80) {
        *r = (int32_t)c;
        return 1;
    }
    *r = R_ERROR;
    if (c < 0xC2 || c > 0xF4)
        return 1;
    if (c < 0xE0) {
        if (n < 2 || (s[1] & 0xC0) != 0x80)
            return 1;
        *r = (int32_t)(((c & 0x1F) << 6) | (s[1] & 0x3F));
        return 2;
    }
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        if (n < 3 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80)
            return 1;
        *r = (int32_t)(((c & 0x0F) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3F));
        return 3;
    }
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (n < 4 || s[1] < lo || s[1] > hi || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
        return 1;
    *r = (int32_t)(((c & 0x07) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3F));
    return 4;
}

static size_t utf8_encode(int32_t r, char out[4])
{
    if (r < 0x80) {
        out[0] = (char)r;
        return 1;
    }
    if (r < 0x800) {
        out[0] = (char)(0xC0 | (r >> 6));
        out[1] = (char)(0x80 | (r & 0x3F));
        return 2;
    }
    if (r < 0x10000) {
        out[0] = (char)(0xE0 | (r >> 12));
        out[1] = (char)(0x80 | ((r >> 6) & 0x3F));
        out[2] = (char)(0x80 | (r & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (r >> 18));
    out[1] = (char)(0x80 | ((r >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((r >> 6) & 0x3F));
    out[3] = (char)(0x80 | (r & 0x3F));
    return 4;
}

struct rrange {
    int32_t lo, hi;
};

static bool in_ranges(int32_t r, const struct rrange *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r >= t[i].lo && r <= t[i].hi)
            return true;
    return false;
}

/* Decimal digits (Unicode Nd) outside ASCII: the common scripts. */
static const struct rrange nd_ranges[] = {
    {0x0660, 0x0669}, {0x06F0, 0x06F9}, {0x07C0, 0x07C9}, {0x0966, 0x096F}, {0x09E6, 0x09EF},
    {0x0A66, 0x0A6F}, {0x0AE6, 0x0AEF}, {0x0B66, 0x0B6F}, {0x0BE6, 0x0BEF}, {0x0C66, 0x0C6F},
    {0x0CE6, 0x0CEF}, {0x0D66, 0x0D6F}, {0x0DE6, 0x0DEF}, {0x0E50, 0x0E59}, {0x0ED0, 0x0ED9},
    {0x0F20, 0x0F29}, {0x1040, 0x1049}, {0x1090, 0x1099}, {0x17E0, 0x17E9}, {0x1810, 0x1819},
    {0x1946, 0x194F}, {0x19D0, 0x19D9}, {0x1A80, 0x1A89}, {0x1A90, 0x1A99}, {0x1B50, 0x1B59},
    {0x1BB0, 0x1BB9}, {0x1C40, 0x1C49}, {0x1C50, 0x1C59}, {0xA620, 0xA629}, {0xA8D0, 0xA8D9},
    {0xA900, 0xA909}, {0xA9D0, 0xA9D9}, {0xAA50, 0xAA59}, {0xABF0, 0xABF9}, {0xFF10, 0xFF19},
    {0x104A0, 0x104A9}, {0x1D7CE, 0x1D7FF},
};

/* Letters outside ASCII: an approximation of Unicode L* by script blocks. */
static const struct rrange letter_ranges[] = {
    {0x00AA, 0x00AA}, {0x00B5, 0x00B5}, {0x00BA, 0x00BA}, {0x00C0, 0x00D6}, {0x00D8, 0x00F6},
    {0x00F8, 0x02C1}, {0x02C6, 0x02D1}, {0x02E0, 0x02E4}, {0x02EC, 0x02EC}, {0x02EE, 0x02EE},
    {0x0370, 0x0374}, {0x0376, 0x0377}, {0x037A, 0x037D}, {0x037F, 0x037F}, {0x0386, 0x0386},
    {0x0388, 0x03F5}, {0x03F7, 0x0481}, {0x048A, 0x052F}, {0x0531, 0x0556}, {0x0559, 0x0559},
    {0x0560, 0x0588}, {0x05D0, 0x05EA}, {0x05EF, 0x05F2}, {0x0620, 0x064A}, {0x066E, 0x066F},
    {0x0671, 0x06D3}, {0x06D5, 0x06D5}, {0x06FA, 0x06FC}, {0x0710, 0x072F}, {0x0780, 0x07A5},
    {0x0904, 0x0939}, {0x0950, 0x0950}, {0x0958, 0x0961}, {0x0985, 0x09B9}, {0x0A05, 0x0A39},
    {0x0A85, 0x0AB9}, {0x0B05, 0x0B39}, {0x0B85, 0x0BB9}, {0x0C05, 0x0C39}, {0x0C85, 0x0CB9},
    {0x0D05, 0x0D3A}, {0x0D85, 0x0DC6}, {0x0E01, 0x0E30}, {0x0E40, 0x0E46}, {0x0E81, 0x0EB0},
    {0x0F40, 0x0F6C}, {0x1000, 0x102A}, {0x10A0, 0x10FF}, {0x1100, 0x1248}, {0x1250, 0x135A},
    {0x13A0, 0x13F5}, {0x1401, 0x166C}, {0x1780, 0x17B3}, {0x1820, 0x1878}, {0x1E00, 0x1FBC},
    {0x1FC2, 0x1FCC}, {0x1FD0, 0x1FDB}, {0x1FE0, 0x1FEC}, {0x1FF2, 0x1FFC}, {0x2071, 0x2071},
    {0x207F, 0x207F}, {0x2090, 0x209C}, {0x2102, 0x2102}, {0x2107, 0x2107}, {0x210A, 0x2113},
    {0x2115, 0x2115}, {0x2119, 0x211D}, {0x2124, 0x2124}, {0x2126, 0x2126}, {0x2128, 0x2128},
    {0x212A, 0x212D}, {0x212F, 0x2139}, {0x2C00, 0x2CE4}, {0x2D00, 0x2D25}, {0x3005, 0x3006},
    {0x3031, 0x3035}, {0x303B, 0x303C}, {0x3041, 0x3096}, {0x309D, 0x309F}, {0x30A1, 0x30FA},
    {0x30FC, 0x30FF}, {0x3105, 0x312F}, {0x3131, 0x318E}, {0x31A0, 0x31BF}, {0x31F0, 0x31FF},
    {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA48C}, {0xA4D0, 0xA4FD}, {0xA500, 0xA60C},
    {0xA640, 0xA66E}, {0xA680, 0xA69D}, {0xA722, 0xA788}, {0xA78B, 0xA7CA}, {0xAC00, 0xD7A3},
    {0xF900, 0xFA6D}, {0xFB00, 0xFB06}, {0xFB1D, 0xFB28}, {0xFB2A, 0xFBB1}, {0xFBD3, 0xFD3D},
    {0xFE70, 0xFEFC}, {0xFF21, 0xFF3A}, {0xFF41, 0xFF5A}, {0xFF66, 0xFFBE}, {0x10000, 0x100FA},
    {0x10400, 0x1049D}, {0x1D400, 0x1D7CB}, {0x20000, 0x2A6DF}, {0x2A700, 0x2EBE0}, {0x30000, 0x3134A},
};

/* Runes Go's strconv.IsPrint rejects (beyond ASCII controls): C1 controls,
 * non-ASCII spaces, format characters, private use, noncharacters. */
static const struct rrange nonprint_ranges[] = {
    {0x007F, 0x00A0}, {0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD},
    {0x070F, 0x070F}, {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x200F}, {0x2028, 0x202F},
    {0x205F, 0x206F}, {0x3000, 0x3000}, {0xD800, 0xF8FF}, {0xFEFF, 0xFEFF}, {0xFFF0, 0xFFFB},
    {0xFFFE, 0xFFFF}, {0xE0000, 0xE0FFF}, {0xF0000, 0x10FFFF},
};

static bool rune_is_digit(int32_t r)
{
    if (r < 0x80)
        return r >= '0' && r <= '9';
    return in_ranges(r, nd_ranges, KAPI_ARRAY_LEN(nd_ranges));
}

static bool rune_is_letter(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    return in_ranges(r, letter_ranges, KAPI_ARRAY_LEN(letter_ranges));
}

static bool rune_is_print(int32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    return !in_ranges(r, nonprint_ranges, KAPI_ARRAY_LEN(nonprint_ranges));
}

static bool is_alnum(int32_t r)
{
    return r == '_' || rune_is_letter(r) || rune_is_digit(r);
}

/* Characters that end a field name or an identifier. */
static bool is_terminator(int32_t r)
{
    switch (r) {
    case R_EOF: case ' ': case '\t': case '\r': case '\n':
    case '.': case ',': case '[': case ']': case '$': case '@': case '{': case '}':
        return true;
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

struct parser {
    struct kapi_jsonpath *prog;
    size_t *nodes;   /* shared count over all sub-parses */
    int depth;
    const char *in;
    size_t len, pos, start, width;
    struct node *root;
    char *err;       /* heap */
};

static int perr(struct parser *p, const char *fmt, ...) KAPI_PRINTF(2, 3);
static int perr(struct parser *p, const char *fmt, ...)
{
    if (!p->err) {
        va_list ap;
        va_start(ap, fmt);
        char buf[JP_MAX_TEMPLATE + 256];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        p->err = kapi_xstrdup(buf);
    }
    return -1;
}

static int32_t p_next(struct parser *p)
{
    if (p->pos >= p->len) {
        p->width = 0;
        return R_EOF;
    }
    int32_t r;
    p->width = utf8_decode((const unsigned char *)p->in + p->pos, p->len - p->pos, &r);
    p->pos += p->width;
    return r;
}

static void p_backup(struct parser *p) { p->pos -= p->width; }

static int32_t p_peek(struct parser *p)
{
    int32_t r = p_next(p);
    p_backup(p);
    return r;
}

/* The text from the token start to the read position; starts a new token. */
static void p_consume(struct parser *p, const char **s, size_t *n)
{
    *s = p->in + p->start;
    *n = p->pos - p->start;
    p->start = p->pos;
}

static bool p_prefix(const struct parser *p, const char *pre)
{
    size_t n = strlen(pre);
    return p->len - p->pos >= n && memcmp(p->in + p->pos, pre, n) == 0;
}

static struct node *new_node(struct parser *p, enum nkind k)
{
    if (++*p->nodes > JP_MAX_NODES) {
        perr(p, "jsonpath template has more than %d elements", JP_MAX_NODES);
        return NULL;
    }
    struct node *n = kapi_pool_calloc(p->prog->pool, sizeof(*n));
    n->kind = k;
    return n;
}

static void append(struct parser *p, struct node *list, struct node *kid)
{
    if (list->nkids == list->capkids) {
        size_t cap = list->capkids ? list->capkids * 2 : 4;
        struct node **k = kapi_pool_alloc(p->prog->pool, cap * sizeof(*k));
        if (list->nkids)
            memcpy(k, list->kids, list->nkids * sizeof(*k));
        list->kids = k;
        list->capkids = cap;
    }
    list->kids[list->nkids++] = kid;
}

static const char *pool_strn(struct parser *p, const char *s, size_t n)
{
    return kapi_pool_strndup(p->prog->pool, s, n);
}

static int add_text(struct parser *p, struct node *list, const char *s, size_t n)
{
    struct node *t = new_node(p, N_TEXT);
    if (!t)
        return -1;
    t->lit.type = KAPI_V_STRING;
    t->lit.u.str.s = pool_strn(p, s, n);
    t->lit.u.str.len = n;
    append(p, list, t);
    return 0;
}

static int parse_template(struct parser *p);

/* Parses "{" + text + "}" on its own and returns the list of the first
 * action, as upstream does for the pieces inside brackets. */
static struct node *parse_action(struct parser *p, const char *text, size_t n)
{
    if (p->depth + 1 > JP_MAX_PARSE_DEPTH) {
        perr(p, "jsonpath template nests deeper than %d", JP_MAX_PARSE_DEPTH);
        return NULL;
    }
    char *buf = kapi_xmalloc(n + 3);
    buf[0] = '{';
    memcpy(buf + 1, text, n);
    buf[n + 1] = '}';
    buf[n + 2] = 0;
    struct parser sub = {
        .prog = p->prog, .nodes = p->nodes, .depth = p->depth + 1, .in = buf, .len = n + 2,
    };
    int rc = parse_template(&sub);
    free(buf);
    if (rc != 0) {
        if (!p->err)
            p->err = sub.err;
        else
            free(sub.err);
        return NULL;
    }
    /* The text starts with "{", so the first top-level node is a list. */
    return sub.root->kids[0];
}

static bool is_op_char(char c) { return c == '!' || c == '<' || c == '>' || c == '='; }

static int parse_filter(struct parser *p, struct node *cur)
{
    p->pos += 3;
    p->start = p->pos;
    bool begin = false, end = false;
    int32_t pair = 0;
    for (;;) {
        int32_t r = p_next(p);
        if (r == R_EOF || r == '\n')
            return perr(p, "unterminated filter");
        if (r == '"' || r == '\'') {
            if (!begin) {
                begin = true;
                pair = r;
                continue;
            }
            if (p->in[p->pos - 2] != '\\' && r == pair)
                end = true;
        } else if (r == ')') {
            if (begin == end)
                break;
        }
    }
    if (p_next(p) != ']')
        return perr(p, "unclosed array expect ]");
    const char *t;
    size_t n;
    p_consume(p, &t, &n);
    n -= 2; /* drop ")]" */

    /* Split as left operand, operator, right operand: the operand before
     * the first run of !<>= characters, that run (less its last character
     * when nothing follows it), and the rest. */
    size_t i = 0;
    while (i < n && !is_op_char(t[i]))
        i++;
    size_t j = i;
    while (j < n && is_op_char(t[j]))
        j++;
    bool match = i > 0 && i < n;
    if (match && j == n) {
        if (j - i >= 2)
            j--;
        else
            match = false;
    }
    struct node *f = new_node(p, N_FILTER);
    if (!f)
        return -1;
    if (!match) {
        f->left = parse_action(p, t, n);
        if (!f->left)
            return -1;
        f->right = new_node(p, N_LIST);
        if (!f->right)
            return -1;
        f->name = "exists";
        f->nlen = 6;
    } else {
        f->left = parse_action(p, t, i);
        if (!f->left)
            return -1;
        f->right = parse_action(p, t + j, n - j);
        if (!f->right)
            return -1;
        f->name = pool_strn(p, t + i, j - i);
        f->nlen = j - i;
    }
    append(p, cur, f);
    return 0;
}

static int parse_field(struct parser *p, struct node *cur)
{
    p->start = p->pos;
    for (;;) {
        int32_t r = p_next(p);
        if (r == '\\') {
            p_next(p);
        } else if (is_terminator(r)) {
            p_backup(p);
            break;
        }
    }
    const char *s;
    size_t n;
    p_consume(p, &s, &n);
    if (n == 1 && s[0] == '*') {
        struct node *w = new_node(p, N_WILDCARD);
        if (!w)
            return -1;
        append(p, cur, w);
        return 0;
    }
    struct node *f = new_node(p, N_FIELD);
    if (!f)
        return -1;
    char *name = kapi_pool_alloc(p->prog->pool, n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\\')
            name[k++] = s[i];
    name[k] = 0;
    f->name = name;
    f->nlen = k;
    append(p, cur, f);
    return 0;
}

static int parse_recursive(struct parser *p, struct node *cur)
{
    if (cur->nkids > 0 && cur->kids[cur->nkids - 1]->kind == N_RECURSIVE)
        return perr(p, "invalid multiple recursive descent");
    p->pos += 2;
    p->start = p->pos;
    struct node *r = new_node(p, N_RECURSIVE);
    if (!r)
        return -1;
    append(p, cur, r);
    if (is_alnum(p_peek(p)))
        return parse_field(p, cur);
    return 0;
}

static int parse_identifier(struct parser *p, struct node *cur)
{
    for (;;) {
        int32_t r = p_next(p);
        if (is_terminator(r)) {
            p_backup(p);
            break;
        }
    }
    const char *s;
    size_t n;
    p_consume(p, &s, &n);
    if ((n == 4 && memcmp(s, "true", 4) == 0) || (n == 5 && memcmp(s, "false", 5) == 0)) {
        struct node *b = new_node(p, N_BOOL);
        if (!b)
            return -1;
        b->lit.type = KAPI_V_BOOL;
        b->lit.u.b = n == 4;
        append(p, cur, b);
        return 0;
    }
    struct node *id = new_node(p, N_IDENT);
    if (!id)
        return -1;
    id->name = pool_strn(p, s, n);
    id->nlen = n;
    append(p, cur, id);
    return 0;
}

/* strconv.Atoi: optional sign, ASCII digits, int64 range. */
static bool go_atoi(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* strconv.ParseFloat restricted to what the number scanner lets through
 * (sign, ASCII digits, dots): one dot at most, one digit at least, finite. */
static bool go_parse_float(const char *s, size_t n, double *out)
{
    size_t i = 0, digits = 0, dots = 0;
    if (n > 0 && (s[0] == '+' || s[0] == '-'))
        i = 1;
    for (; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.')
            dots++;
        else
            return false;
    }
    if (digits == 0 || dots > 1)
        return false;
    char *tmp = kapi_xstrndup(s, n);
    char *end;
    double d = strtod(tmp, &end);
    bool ok = *end == 0 && !isinf(d);
    free(tmp);
    *out = d;
    return ok;
}

static int parse_number(struct parser *p, struct node *cur)
{
    int32_t r = p_peek(p);
    if (r == '+' || r == '-')
        p_next(p);
    for (;;) {
        r = p_next(p);
        if (r != '.' && !rune_is_digit(r)) {
            p_backup(p);
            break;
        }
    }
    const char *s;
    size_t n;
    p_consume(p, &s, &n);
    int64_t iv;
    double fv;
    if (go_atoi(s, n, &iv)) {
        struct node *k = new_node(p, N_INT);
        if (!k)
            return -1;
        k->lit.type = KAPI_V_INT;
        k->lit.u.i = iv;
        append(p, cur, k);
        return 0;
    }
    if (go_parse_float(s, n, &fv)) {
        struct node *k = new_node(p, N_FLOAT);
        if (!k)
            return -1;
        k->lit.type = KAPI_V_FLOAT;
        k->lit.u.f = fv;
        append(p, cur, k);
        return 0;
    }
    return perr(p, "cannot parse number %.*s", (int)n, s);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Go's strconv.Unquote extended to single quotes (UnquoteExtend): q is the
 * quoted text, quotes included. Returns the decoded bytes in the program
 * pool, or NULL on a syntax error. */
static char *unquote(struct parser *p, const char *q, size_t n, size_t *outlen)
{
    char quote = q[0];
    const char *s = q + 1;
    size_t len = n - 2;
    if (!memchr(s, '\\', len) && !memchr(s, quote, len)) {
        *outlen = len;
        return kapi_pool_strndup(p->prog->pool, s, len);
    }
    char *buf = kapi_pool_alloc(p->prog->pool, len * 3 + 1);
    size_t k = 0, i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == (unsigned char)quote)
            return NULL;
        if (c >= 0x80) {
            int32_t r;
            size_t w = utf8_decode((const unsigned char *)s + i, len - i, &r);
            k += utf8_encode(r, buf + k);
            i += w;
            continue;
        }
        if (c != '\\') {
            buf[k++] = (char)c;
            i++;
            continue;
        }
        if (len - i <= 1)
            return NULL;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case 'a': buf[k++] = '\a'; break;
        case 'b': buf[k++] = '\b'; break;
        case 'f': buf[k++] = '\f'; break;
        case 'n': buf[k++] = '\n'; break;
        case 'r': buf[k++] = '\r'; break;
        case 't': buf[k++] = '\t'; break;
        case 'v': buf[k++] = '\v'; break;
        case 'x': case 'u': case 'U': {
            size_t nd = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            if (len - i < nd)
                return NULL;
            uint32_t v = 0;
            for (size_t d = 0; d < nd; d++) {
                int h = hexval(s[i + d]);
                if (h < 0)
                    return NULL;
                v = v << 4 | (uint32_t)h;
            }
            i += nd;
            if (e == 'x') {
                buf[k++] = (char)v;
                break;
            }
            if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
                return NULL;
            k += utf8_encode((int32_t)v, buf + k);
            break;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            if (len - i < 2)
                return NULL;
            unsigned v = (unsigned)(e - '0');
            for (int d = 0; d < 2; d++) {
                char x = s[i + (size_t)d];
                if (x < '0' || x > '7')
                    return NULL;
                v = v << 3 | (unsigned)(x - '0');
            }
            i += 2;
            if (v > 255)
                return NULL;
            buf[k++] = (char)v;
            break;
        }
        case '\\':
            buf[k++] = '\\';
            break;
        case '\'': case '"':
            if (e != quote)
                return NULL;
            buf[k++] = e;
            break;
        default:
            return NULL;
        }
    }
    buf[k] = 0;
    *outlen = k;
    return buf;
}

static int parse_quote(struct parser *p, struct node *cur, int32_t endq)
{
    for (;;) {
        int32_t r = p_next(p);
        if (r == R_EOF || r == '\n')
            return perr(p, "unterminated quoted string");
        if (r == endq && p->in[p->pos - 2] != '\\')
            break;
    }
    const char *s;
    size_t n;
    p_consume(p, &s, &n);
    size_t ulen;
    char *u = unquote(p, s, n, &ulen);
    if (!u)
        return perr(p, "unquote string %.*s error invalid syntax", (int)n, s);
    struct node *t = new_node(p, N_TEXT);
    if (!t)
        return -1;
    t->lit.type = KAPI_V_STRING;
    t->lit.u.str.s = u;
    t->lit.u.str.len = ulen;
    append(p, cur, t);
    return 0;
}

/* Slice text: -?digits, then up to two ":-?digits" parts. Fills the three
 * parts (without their colons) and whether each is present. */
static bool match_slice(const char *t, size_t n, const char *part[3], size_t plen[3], bool present[3])
{
    size_t i = 0;
    for (int k = 0; k < 3; k++) {
        part[k] = t + i;
        plen[k] = 0;
        present[k] = false;
        if (k > 0) {
            if (i >= n || t[i] != ':')
                continue;
            i++;
            present[k] = true;
            part[k] = t + i;
        }
        size_t b = i;
        if (i < n && t[i] == '-')
            i++;
        while (i < n && t[i] >= '0' && t[i] <= '9')
            i++;
        plen[k] = i - b;
        if (k > 0 && !present[k])
            plen[k] = 0;
        if (k == 0)
            present[0] = plen[0] > 0;
    }
    return i == n;
}

static int parse_array(struct parser *p, struct node *cur)
{
    for (;;) {
        int32_t r = p_next(p);
        if (r == R_EOF || r == '\n')
            return perr(p, "unterminated array");
        if (r == ']')
            break;
    }
    const char *s;
    size_t n;
    p_consume(p, &s, &n);
    const char *t = s + 1;
    size_t tn = n - 2;
    if (tn == 1 && t[0] == '*')
        t = ":";

    if (memchr(t, ',', tn)) {
        struct node *u = new_node(p, N_UNION);
        if (!u)
            return -1;
        const char *q = t, *e = t + tn;
        for (;;) {
            const char *c = memchr(q, ',', (size_t)(e - q));
            const char *pe = c ? c : e;
            const char *a = q, *b = pe;
            while (a < b && *a == ' ')
                a++;
            while (b > a && b[-1] == ' ')
                b--;
            char *part = kapi_xmalloc((size_t)(b - a) + 3);
            part[0] = '[';
            memcpy(part + 1, a, (size_t)(b - a));
            part[(b - a) + 1] = ']';
            part[(b - a) + 2] = 0;
            struct node *l = parse_action(p, part, (size_t)(b - a) + 2);
            free(part);
            if (!l)
                return -1;
            append(p, u, l);
            if (!c)
                break;
            q = c + 1;
        }
        append(p, cur, u);
        return 0;
    }

    /* 'key': the same as ".key" */
    if (tn >= 2 && t[0] == '\'' && t[tn - 1] == '\'' && !memchr(t + 1, '\'', tn - 2)) {
        char *f = kapi_xmalloc(tn);
        f[0] = '.';
        memcpy(f + 1, t + 1, tn - 2);
        f[tn - 1] = 0;
        struct node *l = parse_action(p, f, tn - 1);
        free(f);
        if (!l)
            return -1;
        for (size_t i = 0; i < l->nkids; i++)
            append(p, cur, l->kids[i]);
        return 0;
    }

    const char *part[3];
    size_t plen[3];
    bool present[3];
    if (!match_slice(t, tn, part, plen, present))
        return perr(p, "invalid array index %.*s", (int)tn, t);
    struct node *a = new_node(p, N_ARRAY);
    if (!a)
        return -1;
    for (int i = 0; i < 3; i++) {
        bool nonempty = i == 0 ? plen[0] > 0 : present[i];
        if (nonempty) {
            if (i > 0 && plen[i] == 0) {
                a->prm[i].known = false;
            } else {
                a->prm[i].known = true;
                if (!go_atoi(part[i], plen[i], &a->prm[i].v))
                    return perr(p, "array index %.*s is not a number", (int)plen[i], part[i]);
            }
        } else if (i == 1) {
            a->prm[1].known = true;
            a->prm[1].v = (int64_t)((uint64_t)a->prm[0].v + 1); /* wraps like Go */
            a->prm[1].derived = true;
        } else {
            a->prm[i].known = false;
            a->prm[i].v = 0;
        }
    }
    append(p, cur, a);
    return 0;
}

static void fmt_rune(char *out, size_t cap, int32_t r)
{
    if (rune_is_print(r)) {
        char u[5];
        size_t w = utf8_encode(r, u);
        u[w] = 0;
        snprintf(out, cap, "U+%04X '%s'", (unsigned)r, u);
    } else {
        snprintf(out, cap, "U+%04X", (unsigned)r);
    }
}

/* One action, from after its "{" to its "}" (or an error). */
static int parse_inside(struct parser *p, struct node *cur)
{
    for (;;) {
        if (p_prefix(p, "}")) {
            p->pos += 1;
            p->start = p->pos;
            return 0;
        }
        int rc;
        if (p_prefix(p, "[?(")) {
            rc = parse_filter(p, cur);
        } else if (p_prefix(p, "..")) {
            rc = parse_recursive(p, cur);
        } else {
            int32_t r = p_next(p);
            if (r == R_EOF || r == '\r' || r == '\n')
                return perr(p, "unclosed action");
            if (r == ' ' || r == '@' || r == '$') {
                p->start = p->pos;
                rc = 0;
            } else if (r == '[') {
                rc = parse_array(p, cur);
            } else if (r == '"' || r == '\'') {
                rc = parse_quote(p, cur, r);
            } else if (r == '.') {
                rc = parse_field(p, cur);
            } else if (r == '+' || r == '-' || rune_is_digit(r)) {
                p_backup(p);
                rc = parse_number(p, cur);
            } else if (is_alnum(r)) {
                p_backup(p);
                rc = parse_identifier(p, cur);
            } else {
                char u[32];
                fmt_rune(u, sizeof(u), r);
                return perr(p, "unrecognized character in action: %s", u);
            }
        }
        if (rc != 0)
            return rc;
    }
}

/* Text and actions until the end of the input. */
static int parse_template(struct parser *p)
{
    p->root = new_node(p, N_LIST);
    if (!p->root)
        return -1;
    for (;;) {
        while (p->pos < p->len && p->in[p->pos] != '{')
            p_next(p);
        if (p->pos > p->start) {
            const char *s;
            size_t n;
            p_consume(p, &s, &n);
            if (add_text(p, p->root, s, n) != 0)
                return -1;
        }
        if (p->pos >= p->len)
            return 0;
        p->pos += 1;
        p->start = p->pos;
        struct node *list = new_node(p, N_LIST);
        if (!list)
            return -1;
        append(p, p->root, list);
        if (parse_inside(p, list) != 0)
            return -1;
    }
}

static struct kapi_jsonpath *compile(const char *text, size_t len, char **err)
{
    struct kapi_jsonpath *jp = kapi_xcalloc(1, sizeof(*jp));
    jp->pool = kapi_pool_new_sized(len * 8 + 1024);
    size_t nodes = 0;
    struct parser p = {.prog = jp, .nodes = &nodes, .in = text, .len = len};
    if (parse_template(&p) != 0) {
        if (err)
            *err = p.err ? p.err : kapi_xstrdup("invalid jsonpath template");
        else
            free(p.err);
        kapi_jsonpath_free(jp);
        return NULL;
    }
    jp->root = p.root;
    return jp;
}

static bool too_long(const char *text, char **err)
{
    if (strlen(text) > JP_MAX_TEMPLATE) {
        if (err)
            *err = kapi_xasprintf("jsonpath template is longer than %d bytes", JP_MAX_TEMPLATE);
        return true;
    }
    return false;
}

struct kapi_jsonpath *kapi_jsonpath_compile_template(const char *text, char **err)
{
    if (err)
        *err = NULL;
    if (!text)
        text = "";
    if (too_long(text, err))
        return NULL;
    return compile(text, strlen(text), err);
}

struct kapi_jsonpath *kapi_jsonpath_compile_column(const char *path, char **err)
{
    if (err)
        *err = NULL;
    if (!path)
        path = "";
    if (too_long(path, err))
        return NULL;
    size_t n = strlen(path);
    char *t = kapi_xmalloc(n + 3);
    t[0] = '{';
    memcpy(t + 1, path, n);
    t[n + 1] = '}';
    t[n + 2] = 0;
    struct kapi_jsonpath *jp = compile(t, n + 2, err);
    free(t);
    return jp;
}

struct kapi_jsonpath *kapi_jsonpath_compile(const char *text, char **err)
{
    if (text && strchr(text, '{'))
        return kapi_jsonpath_compile_template(text, err);
    return kapi_jsonpath_compile_column(text, err);
}

void kapi_jsonpath_free(struct kapi_jsonpath *p)
{
    if (!p)
        return;
    kapi_pool_free(p->pool);
    free(p);
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

/* What upstream's reflect.Value would be: a value of the document (its Go
 * type follows from the kapi type: map, slice, int64, float64, string,
 * bool, nil interface), a literal of the template (its int is a Go int),
 * one byte of a string (uint8, from iterating a string), or the zero
 * reflect.Value (what a range over nothing, or over a null, evaluates on). */
enum etag { T_DATA, T_LIT, T_BYTE, T_INVALID };

struct ent {
    const struct kapi_value *v;
    uint32_t tag;
    uint32_t byte;
};

struct vec {
    struct ent *e;
    size_t n, cap;
};

struct groups {
    struct vec *g;
    size_t n, cap;
    size_t total;
};

struct ectx {
    struct kapi_pool *pool;
    const struct kapi_jsonpath *prog;
    long begin_range, in_range, end_range;
    long last_end;
    unsigned long long steps;
    int range_depth;
    /* The latest error; formatted here, not in the pool, because an
     * existence filter may produce and drop one per element. */
    char err[JP_MAX_ERRVAL + 128];
};

enum { E_OK = 0, E_SOFT = 1, E_HARD = 2 };

static int eerr(struct ectx *c, int kind, const char *fmt, ...) KAPI_PRINTF(3, 4);
static int eerr(struct ectx *c, int kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof(c->err), fmt, ap);
    va_end(ap);
    return kind;
}

static int step(struct ectx *c)
{
    if (++c->steps > JP_MAX_STEPS)
        return eerr(c, E_HARD, "jsonpath evaluation exceeds %llu steps", JP_MAX_STEPS);
    return E_OK;
}

static int vpush(struct ectx *c, struct vec *v, struct ent e)
{
    if (v->n >= JP_MAX_RESULTS)
        return eerr(c, E_HARD, "jsonpath evaluation yields more than %d values", JP_MAX_RESULTS);
    int rc = step(c);
    if (rc)
        return rc;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->e = kapi_xrealloc(v->e, v->cap * sizeof(*v->e));
    }
    v->e[v->n++] = e;
    return E_OK;
}

static void vfree(struct vec *v)
{
    free(v->e);
    v->e = NULL;
    v->n = v->cap = 0;
}

/* dst = src (dst's old content dropped). */
static int vcopy(struct ectx *c, struct vec *dst, const struct vec *src)
{
    dst->n = 0;
    for (size_t i = 0; i < src->n; i++) {
        int rc = vpush(c, dst, src->e[i]);
        if (rc)
            return rc;
    }
    return E_OK;
}

static struct ent ent_data(const struct kapi_value *v) { return (struct ent){.v = v, .tag = T_DATA}; }
static struct ent ent_lit(const struct kapi_value *v) { return (struct ent){.v = v, .tag = T_LIT}; }
static struct ent ent_byte(unsigned char b) { return (struct ent){.tag = T_BYTE, .byte = b}; }
static struct ent ent_invalid(void) { return (struct ent){.tag = T_INVALID}; }

static bool ent_is_nil(const struct ent *e) { return e->tag == T_DATA && e->v->type == KAPI_V_NULL; }

static enum kapi_vtype ent_vtype(const struct ent *e)
{
    return (e->tag == T_DATA || e->tag == T_LIT) ? e->v->type : KAPI_V_NULL;
}

/* The Go type name upstream prints for a non-array. */
static const char *ent_type_name(const struct ent *e)
{
    if (e->tag == T_BYTE)
        return "uint8";
    switch (e->v->type) {
    case KAPI_V_OBJECT: return "map[string]interface {}";
    case KAPI_V_ARRAY: return "[]interface {}";
    case KAPI_V_STRING: return "string";
    case KAPI_V_INT: return e->tag == T_LIT ? "int" : "int64";
    case KAPI_V_FLOAT: return "float64";
    case KAPI_V_BOOL: return "bool";
    default: return "interface {}";
    }
}

/* Go's %v of a float64: strconv's 'g' with the shortest digits that read
 * back exactly, in exponent form when the exponent is < -4 or >= 6. */
static void fmt_go_float(struct kapi_buf *b, double f)
{
    if (isnan(f)) {
        kapi_buf_puts(b, "NaN");
        return;
    }
    if (isinf(f)) {
        kapi_buf_puts(b, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    char e[48];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, f);
        if (strtod(e, NULL) == f)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", prec - 1, f);
    char *ep = strchr(e, 'e');
    int exp = ep ? atoi(ep + 1) : 0;
    if (ep && (exp < -4 || exp >= 6)) {
        *ep = 0;
        kapi_buf_printf(b, "%se%c%02d", e, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    int decimals = prec - 1 - exp;
    kapi_buf_printf(b, "%.*f", decimals > 0 ? decimals : 0, f);
}

struct keyidx {
    const char *k;
    size_t n;
    const struct kapi_value *v;
};

static int keyidx_cmp(const void *a, const void *b)
{
    const struct keyidx *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->k, y->k, m);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* Go's %v of an unstructured value (maps with sorted keys), depth-capped;
 * the buffer's own limit truncates long output. */
static void fmt_go_value(struct kapi_buf *b, const struct kapi_value *v, int depth)
{
    if (depth > 16) {
        kapi_buf_puts(b, "...");
        return;
    }
    switch (v->type) {
    case KAPI_V_NULL: kapi_buf_puts(b, "<nil>"); break;
    case KAPI_V_BOOL: kapi_buf_puts(b, v->u.b ? "true" : "false"); break;
    case KAPI_V_INT: kapi_buf_printf(b, "%lld", (long long)v->u.i); break;
    case KAPI_V_FLOAT: fmt_go_float(b, v->u.f); break;
    case KAPI_V_STRING: kapi_buf_append(b, v->u.str.s, v->u.str.len); break;
    case KAPI_V_ARRAY:
        kapi_buf_putc(b, '[');
        for (size_t i = 0; i < v->u.arr.len && b->len < JP_MAX_ERRVAL; i++) {
            if (i)
                kapi_buf_putc(b, ' ');
            fmt_go_value(b, v->u.arr.items[i], depth + 1);
        }
        kapi_buf_putc(b, ']');
        break;
    case KAPI_V_OBJECT: {
        size_t n = v->u.obj.len < 64 ? v->u.obj.len : 64;
        struct keyidx *ks = kapi_xmalloc((n ? n : 1) * sizeof(*ks));
        for (size_t i = 0; i < n; i++)
            ks[i] = (struct keyidx){v->u.obj.members[i].key, v->u.obj.members[i].klen, v->u.obj.members[i].val};
        qsort(ks, n, sizeof(*ks), keyidx_cmp);
        kapi_buf_puts(b, "map[");
        for (size_t i = 0; i < n && b->len < JP_MAX_ERRVAL; i++) {
            if (i)
                kapi_buf_putc(b, ' ');
            kapi_buf_append(b, ks[i].k, ks[i].n);
            kapi_buf_putc(b, ':');
            fmt_go_value(b, ks[i].v, depth + 1);
        }
        kapi_buf_putc(b, ']');
        free(ks);
        break;
    }
    }
}

/* Go's %v of e into b (heap; caller disposes). */
static void fmt_ent(struct kapi_buf *b, const struct ent *e)
{
    kapi_buf_init(b, JP_MAX_ERRVAL);
    if (e->tag == T_INVALID)
        kapi_buf_puts(b, "<invalid reflect.Value>");
    else if (e->tag == T_BYTE)
        kapi_buf_printf(b, "%u", e->byte);
    else
        fmt_go_value(b, e->v, 0);
}

/* Children of a value when iterated (wildcard, recursive descent): members
 * of an object, items of an array, bytes of a string. */
static size_t n_children(const struct ent *e)
{
    switch (ent_vtype(e)) {
    case KAPI_V_OBJECT: return e->v->u.obj.len;
    case KAPI_V_ARRAY: return e->v->u.arr.len;
    case KAPI_V_STRING: return e->v->u.str.len;
    default: return 0;
    }
}

static struct ent child(const struct ent *e, size_t i)
{
    switch (e->v->type) {
    case KAPI_V_OBJECT: return ent_data(e->v->u.obj.members[i].val);
    case KAPI_V_ARRAY: return ent_data(e->v->u.arr.items[i]);
    default: return ent_byte((unsigned char)e->v->u.str.s[i]);
    }
}

static int walk(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out);

static int ev_list(struct ectx *c, const struct node *list, const struct vec *in, struct vec *out)
{
    int rc = vcopy(c, out, in);
    if (rc)
        return rc;
    struct vec tmp = {0};
    for (size_t i = 0; i < list->nkids; i++) {
        tmp.n = 0;
        rc = walk(c, list->kids[i], out, &tmp);
        struct vec sw = *out;
        *out = tmp;
        tmp = sw;
        if (rc)
            break;
    }
    vfree(&tmp);
    return rc;
}

static int ev_field(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const struct ent *e = &in->e[i];
        if (ent_vtype(e) != KAPI_V_OBJECT || e->tag != T_DATA)
            continue;
        const struct kapi_value *o = e->v;
        for (size_t k = 0; k < o->u.obj.len; k++) {
            const struct kapi_member *m = &o->u.obj.members[k];
            if (m->klen == n->nlen && memcmp(m->key, n->name, n->nlen) == 0) {
                int rc = vpush(c, out, ent_data(m->val));
                if (rc)
                    return rc;
                break;
            }
        }
        int rc = step(c);
        if (rc)
            return rc;
    }
    /* A missing key is no result (AllowMissingKeys). */
    return E_OK;
}

static int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }

static int ev_array(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const struct ent *e = &in->e[i];
        if (ent_is_nil(e))
            continue;
        if (e->tag == T_INVALID) {
            int rc = vcopy(c, out, in);
            return rc ? rc : eerr(c, E_SOFT, "reflect: call of reflect.Value.Type on zero Value");
        }
        if (ent_vtype(e) != KAPI_V_ARRAY) {
            const char *tn = ent_type_name(e);
            int rc = vcopy(c, out, in);
            return rc ? rc : eerr(c, E_SOFT, "%s is not array or slice", tn);
        }
        int64_t len = (int64_t)e->v->u.arr.len;
        int64_t p0 = n->prm[0].known ? n->prm[0].v : 0;
        if (p0 < 0)
            p0 = wrap_add(p0, len);
        int64_t p1 = n->prm[1].known ? n->prm[1].v : len;
        if (p1 < 0 || (p1 == 0 && n->prm[1].derived))
            p1 = wrap_add(p1, len);
        if (p1 == p0)
            return E_OK; /* zero elements asked for: upstream stops here */
        if (p0 >= len || p0 < 0) {
            int rc = vcopy(c, out, in);
            return rc ? rc
                      : eerr(c, E_SOFT, "array index out of bounds: index %lld, length %lld", (long long)p0,
                             (long long)len);
        }
        if (p1 > len || p1 < 0) {
            int rc = vcopy(c, out, in);
            return rc ? rc
                      : eerr(c, E_SOFT, "array index out of bounds: index %lld, length %lld",
                             (long long)wrap_add(p1, -1), (long long)len);
        }
        if (p0 > p1) {
            int rc = vcopy(c, out, in);
            return rc ? rc
                      : eerr(c, E_SOFT, "starting index %lld is greater than ending index %lld", (long long)p0,
                             (long long)p1);
        }
        int64_t stride = 1;
        if (n->prm[2].known) {
            if (n->prm[2].v <= 0) {
                int rc = vcopy(c, out, in);
                return rc ? rc : eerr(c, E_SOFT, "step must be > 0");
            }
            stride = n->prm[2].v;
        }
        for (int64_t k = p0; k < p1;) {
            int rc = vpush(c, out, ent_data(e->v->u.arr.items[k]));
            if (rc)
                return rc;
            if (stride >= p1 - k)
                break;
            k += stride;
        }
    }
    return E_OK;
}

static int ev_wildcard(struct ectx *c, const struct vec *in, struct vec *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const struct ent *e = &in->e[i];
        size_t nc = n_children(e);
        for (size_t k = 0; k < nc; k++) {
            int rc = vpush(c, out, child(e, k));
            if (rc)
                return rc;
        }
    }
    return E_OK;
}

/* Every value with children, itself first, then its descendants (depth
 * first, document order). Iterative: documents may nest thousands deep. */
static int ev_recursive(struct ectx *c, const struct vec *in, struct vec *out)
{
    struct frame {
        struct ent e;
        size_t next;
    };
    struct frame *st = NULL;
    size_t sn = 0, scap = 0;
    int rc = E_OK;
    for (size_t i = 0; i < in->n && rc == E_OK; i++) {
        const struct ent *e = &in->e[i];
        if (n_children(e) == 0)
            continue;
        rc = vpush(c, out, *e);
        if (rc || ent_vtype(e) == KAPI_V_STRING)
            continue;
        sn = 0;
        if (scap == 0) {
            scap = 16;
            st = kapi_xmalloc(scap * sizeof(*st));
        }
        st[sn++] = (struct frame){*e, 0};
        while (sn > 0) {
            struct frame *f = &st[sn - 1];
            if (f->next >= n_children(&f->e)) {
                sn--;
                continue;
            }
            struct ent ch = child(&f->e, f->next++);
            if ((rc = step(c)) != E_OK)
                break;
            if (n_children(&ch) == 0)
                continue;
            if ((rc = vpush(c, out, ch)) != E_OK)
                break;
            if (ent_vtype(&ch) == KAPI_V_STRING)
                continue;
            if (sn == scap) {
                scap *= 2;
                st = kapi_xrealloc(st, scap * sizeof(*st));
            }
            st[sn++] = (struct frame){ch, 0};
        }
    }
    free(st);
    return rc;
}

static int ev_union(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    struct vec tmp = {0};
    for (size_t i = 0; i < n->nkids; i++) {
        tmp.n = 0;
        int rc = ev_list(c, n->kids[i], in, &tmp);
        if (rc) {
            vfree(&tmp);
            int rc2 = vcopy(c, out, in);
            return rc2 ? rc2 : rc;
        }
        for (size_t k = 0; k < tmp.n; k++) {
            if ((rc = vpush(c, out, tmp.e[k])) != E_OK) {
                vfree(&tmp);
                return rc;
            }
        }
    }
    vfree(&tmp);
    return E_OK;
}

static int ev_ident(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    if (n->nlen == 5 && memcmp(n->name, "range", 5) == 0) {
        c->begin_range++;
        return vcopy(c, out, in);
    }
    if (n->nlen == 3 && memcmp(n->name, "end", 3) == 0) {
        if (c->in_range > 0) {
            c->end_range++;
            return E_OK;
        }
        return eerr(c, E_SOFT, "not in range, nothing to end");
    }
    int rc = vcopy(c, out, in);
    return rc ? rc : eerr(c, E_SOFT, "unrecognized identifier %s", n->name);
}

/* The comparison helpers of Go's text/template (as forked by client-go). */
enum bkind { BK_INVALID, BK_BOOL, BK_INT, BK_FLOAT, BK_STRING, BK_UINT };

static enum bkind basic_kind(const struct ent *e)
{
    if (e->tag == T_BYTE)
        return BK_UINT;
    if (e->tag == T_INVALID)
        return BK_INVALID;
    switch (e->v->type) {
    case KAPI_V_BOOL: return BK_BOOL;
    case KAPI_V_INT: return BK_INT;
    case KAPI_V_FLOAT: return BK_FLOAT;
    case KAPI_V_STRING: return BK_STRING;
    default: return BK_INVALID;
    }
}

#define CMP_BADTYPE "invalid type for comparison"
#define CMP_INCOMPAT "incompatible types for comparison"

static int str_cmp(const struct kapi_value *a, const struct kapi_value *b)
{
    size_t m = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;
    int r = memcmp(a->u.str.s, b->u.str.s, m);
    if (r)
        return r;
    return a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
}

static const char *cmp_equal(const struct ent *a, const struct ent *b, bool *truth)
{
    enum bkind k1 = basic_kind(a), k2;
    *truth = false;
    if (k1 == BK_INVALID)
        return CMP_BADTYPE;
    if ((k2 = basic_kind(b)) == BK_INVALID)
        return CMP_BADTYPE;
    if (k1 != k2) {
        if (k1 == BK_INT && k2 == BK_UINT)
            *truth = a->v->u.i >= 0 && (uint64_t)a->v->u.i == b->byte;
        else if (k1 == BK_UINT && k2 == BK_INT)
            *truth = b->v->u.i >= 0 && a->byte == (uint64_t)b->v->u.i;
        else
            return CMP_INCOMPAT;
        return NULL;
    }
    switch (k1) {
    case BK_BOOL: *truth = a->v->u.b == b->v->u.b; break;
    case BK_INT: *truth = a->v->u.i == b->v->u.i; break;
    case BK_FLOAT: *truth = a->v->u.f == b->v->u.f; break;
    case BK_STRING: *truth = str_cmp(a->v, b->v) == 0; break;
    case BK_UINT: *truth = a->byte == b->byte; break;
    default: break;
    }
    return NULL;
}

static const char *cmp_less(const struct ent *a, const struct ent *b, bool *truth)
{
    enum bkind k1 = basic_kind(a), k2;
    *truth = false;
    if (k1 == BK_INVALID)
        return CMP_BADTYPE;
    if ((k2 = basic_kind(b)) == BK_INVALID)
        return CMP_BADTYPE;
    if (k1 != k2) {
        if (k1 == BK_INT && k2 == BK_UINT)
            *truth = a->v->u.i < 0 || (uint64_t)a->v->u.i < b->byte;
        else if (k1 == BK_UINT && k2 == BK_INT)
            *truth = b->v->u.i >= 0 && a->byte < (uint64_t)b->v->u.i;
        else
            return CMP_INCOMPAT;
        return NULL;
    }
    switch (k1) {
    case BK_BOOL: return CMP_BADTYPE;
    case BK_INT: *truth = a->v->u.i < b->v->u.i; break;
    case BK_FLOAT: *truth = a->v->u.f < b->v->u.f; break;
    case BK_STRING: *truth = str_cmp(a->v, b->v) < 0; break;
    case BK_UINT: *truth = a->byte < b->byte; break;
    default: break;
    }
    return NULL;
}

static const char *compare(const char *op, size_t oplen, const struct ent *l, const struct ent *r, bool *pass,
                           bool *unknown_op)
{
    bool t = false;
    const char *err = NULL;
    *unknown_op = false;
#define OPIS(s) (oplen == sizeof(s) - 1 && memcmp(op, s, oplen) == 0)
    if (OPIS("<")) {
        err = cmp_less(l, r, &t);
    } else if (OPIS(">")) {
        err = cmp_less(l, r, &t);
        if (!err && !t)
            err = cmp_equal(l, r, &t);
        t = !t;
    } else if (OPIS("==")) {
        err = cmp_equal(l, r, &t);
    } else if (OPIS("!=")) {
        err = cmp_equal(l, r, &t);
        t = !t;
    } else if (OPIS("<=")) {
        err = cmp_less(l, r, &t);
        if (!err && !t)
            err = cmp_equal(l, r, &t);
    } else if (OPIS(">=")) {
        err = cmp_less(l, r, &t);
        t = !t;
    } else {
        *unknown_op = true;
    }
#undef OPIS
    *pass = t;
    return err;
}

static int ev_filter(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    bool exists = n->nlen == 6 && memcmp(n->name, "exists", 6) == 0;
    struct vec one = {0}, lefts = {0}, rights = {0};
    int rc = E_OK;
    for (size_t i = 0; i < in->n && rc == E_OK; i++) {
        const struct ent *e = &in->e[i];
        if (ent_vtype(e) != KAPI_V_ARRAY) {
            rc = vcopy(c, out, in);
            if (!rc) {
                struct kapi_buf b;
                fmt_ent(&b, e);
                rc = eerr(c, E_SOFT, "%.*s is not array or slice and cannot be filtered", (int)b.len,
                          b.data ? b.data : "");
                kapi_buf_dispose(&b);
            }
            break;
        }
        for (size_t k = 0; k < e->v->u.arr.len; k++) {
            struct ent el = ent_data(e->v->u.arr.items[k]);
            one.n = 0;
            if ((rc = vpush(c, &one, el)) != E_OK)
                break;
            lefts.n = 0;
            int lrc = ev_list(c, n->left, &one, &lefts);
            if (lrc == E_HARD) {
                rc = lrc;
                break;
            }
            if (exists) {
                if (lefts.n > 0 && (rc = vpush(c, out, el)) != E_OK)
                    break;
                continue;
            }
            if (lrc) {
                rc = vcopy(c, out, in);
                if (!rc)
                    rc = lrc;
                break;
            }
            if (lefts.n == 0)
                continue;
            if (lefts.n > 1) {
                rc = vcopy(c, out, in);
                if (!rc)
                    rc = eerr(c, E_SOFT, "can only compare one element at a time");
                break;
            }
            rights.n = 0;
            int rrc = ev_list(c, n->right, &one, &rights);
            if (rrc) {
                rc = rrc == E_HARD ? rrc : vcopy(c, out, in);
                if (!rc)
                    rc = rrc;
                break;
            }
            if (rights.n == 0)
                continue;
            if (rights.n > 1) {
                rc = vcopy(c, out, in);
                if (!rc)
                    rc = eerr(c, E_SOFT, "can only compare one element at a time");
                break;
            }
            bool pass, unknown;
            const char *cerr = compare(n->name, n->nlen, &lefts.e[0], &rights.e[0], &pass, &unknown);
            if (unknown) {
                rc = eerr(c, E_SOFT, "unrecognized filter operator %s", n->name);
                break;
            }
            if (cerr) {
                rc = eerr(c, E_SOFT, "%s", cerr);
                break;
            }
            if (pass && (rc = vpush(c, out, el)) != E_OK)
                break;
        }
    }
    vfree(&one);
    vfree(&lefts);
    vfree(&rights);
    return rc;
}

static int ev_literal(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    for (size_t i = 0; i < in->n; i++) {
        int rc = vpush(c, out, ent_lit(&n->lit));
        if (rc)
            return rc;
    }
    return E_OK;
}

static int walk(struct ectx *c, const struct node *n, const struct vec *in, struct vec *out)
{
    int rc = step(c);
    if (rc)
        return rc;
    switch (n->kind) {
    case N_LIST: return ev_list(c, n, in, out);
    case N_TEXT: return vpush(c, out, ent_lit(&n->lit));
    case N_FIELD: return ev_field(c, n, in, out);
    case N_ARRAY: return ev_array(c, n, in, out);
    case N_FILTER: return ev_filter(c, n, in, out);
    case N_INT: case N_FLOAT: case N_BOOL: return ev_literal(c, n, in, out);
    case N_WILDCARD: return ev_wildcard(c, in, out);
    case N_RECURSIVE: return ev_recursive(c, in, out);
    case N_UNION: return ev_union(c, n, in, out);
    case N_IDENT: return ev_ident(c, n, in, out);
    }
    return eerr(c, E_SOFT, "unexpected node");
}

static void groups_free(struct groups *g)
{
    for (size_t i = 0; i < g->n; i++)
        vfree(&g->g[i]);
    free(g->g);
    memset(g, 0, sizeof(*g));
}

static int groups_push(struct ectx *c, struct groups *g, struct vec *v)
{
    if (g->total + v->n > JP_MAX_RESULTS) {
        vfree(v);
        return eerr(c, E_HARD, "jsonpath evaluation yields more than %d values", JP_MAX_RESULTS);
    }
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4;
        g->g = kapi_xrealloc(g->g, g->cap * sizeof(*g->g));
    }
    g->total += v->n;
    g->g[g->n++] = *v;
    memset(v, 0, sizeof(*v));
    return E_OK;
}

/* What a value becomes when a range hands it on (reflect.Value.Interface
 * then reflect.ValueOf): a null becomes the zero reflect.Value. */
static int range_value(struct ectx *c, const struct ent *e, struct ent *out)
{
    if (e->tag == T_INVALID)
        return eerr(c, E_SOFT, "reflect: call of reflect.Value.Interface on zero Value");
    *out = ent_is_nil(e) ? ent_invalid() : *e;
    return E_OK;
}

/* Upstream's FindResults over the top-level nodes from index `from`, with
 * its range/end bookkeeping: a range runs the following nodes once per
 * value it yields, an end closes the innermost running range. */
static int find(struct ectx *c, size_t from, struct ent data, struct groups *out)
{
    if (c->range_depth >= JP_MAX_RANGE_DEPTH)
        return eerr(c, E_HARD, "jsonpath range blocks nest deeper than %d", JP_MAX_RANGE_DEPTH);
    c->range_depth++;
    const struct node *root = c->prog->root;
    struct vec cur = {0}, res = {0};
    int rc = vpush(c, &cur, data);
    for (size_t i = from; rc == E_OK && i < root->nkids; i++) {
        res.n = 0;
        rc = walk(c, root->kids[i], &cur, &res);
        if (rc)
            break;
        if (c->end_range > 0 && c->end_range <= c->in_range) {
            c->end_range--;
            c->last_end = (long)i;
            break;
        }
        if (c->begin_range > 0) {
            c->begin_range--;
            c->in_range++;
            if (res.n > 0) {
                for (size_t k = 0; k < res.n && rc == E_OK; k++) {
                    struct ent v;
                    rc = range_value(c, &res.e[k], &v);
                    if (rc == E_OK)
                        rc = find(c, i + 1, v, out);
                }
            } else {
                struct groups scratch = {0};
                rc = find(c, i + 1, ent_invalid(), &scratch);
                groups_free(&scratch);
            }
            if (rc)
                break;
            c->in_range--;
            for (size_t k = i + 1; k < root->nkids; k++) {
                if ((long)k == c->last_end) {
                    i = k;
                    break;
                }
            }
            continue;
        }
        rc = groups_push(c, out, &res);
    }
    vfree(&cur);
    vfree(&res);
    c->range_depth--;
    return rc;
}

static const struct kapi_value *export_ent(struct kapi_pool *pool, const struct ent *e)
{
    switch (e->tag) {
    case T_DATA: return e->v;
    case T_LIT: return kapi_value_clone(pool, e->v);
    case T_BYTE: return kapi_value_int(pool, e->byte);
    default: return kapi_value_null(pool);
    }
}

static long run(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root,
                const struct kapi_value ***out, char **err, bool first_only)
{
    static const struct kapi_value *none[1];
    *out = none;
    if (err)
        *err = NULL;
    if (!p || !p->root) {
        if (err)
            *err = kapi_pool_strdup(pool, "jsonpath is an incomplete jsonpath template");
        return -1;
    }
    struct ectx c = {.pool = pool, .prog = p, .last_end = -1};
    struct groups g = {0};
    struct ent start = (!root || root->type == KAPI_V_NULL) ? ent_invalid() : ent_data(root);
    int rc = find(&c, 0, start, &g);
    if (rc) {
        groups_free(&g);
        if (err)
            *err = kapi_pool_strdup(pool, c.err[0] ? c.err : "jsonpath evaluation failed");
        return -1;
    }
    size_t total = first_only ? (g.n ? g.g[0].n : 0) : g.total;
    const struct kapi_value **arr = kapi_pool_alloc(pool, (total ? total : 1) * sizeof(*arr));
    size_t k = 0;
    for (size_t i = 0; i < g.n && (!first_only || i == 0); i++)
        for (size_t j = 0; j < g.g[i].n; j++)
            arr[k++] = export_ent(pool, &g.g[i].e[j]);
    groups_free(&g);
    *out = arr;
    return (long)k;
}

long kapi_jsonpath_eval(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root,
                        const struct kapi_value ***out, char **err)
{
    return run(pool, p, root, out, err, false);
}

long kapi_jsonpath_eval_first(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root,
                              const struct kapi_value ***out, char **err)
{
    return run(pool, p, root, out, err, true);
}

const char *kapi_jsonpath_check_column(struct kapi_pool *pool, const char *text)
{
    if (!text || !text[0])
        return "";
    if (text[0] != '.')
        return kapi_pool_strdup(pool, "must be a simple json path starting with .");
    return NULL;
}
