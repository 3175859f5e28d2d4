/* Implementation of src/codec/yaml.h on top of libyaml's event parser and
 * emitter. The reader mirrors what kube-apiserver gets from sigs.k8s.io/yaml
 * (go-yaml v2 decoding into generic maps, then conversion to JSON); the
 * writer mirrors go-yaml v2 marshalling those generic maps. */
#include "yaml.h"

#include <yaml.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/b64.h"

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ------------------------------------------------------------------------ */
/* Scalar resolution (shared by the reader and the writer's quoting rule). */

enum rkind {
    RK_STR,
    RK_NULL,
    RK_BOOL,
    RK_INT,
    RK_BIGINT, /* a valid integer past int64: kept as a float in the value model */
    RK_FLOAT,
    RK_TIME,   /* looks like a timestamp: a string for us, but must be quoted */
};

struct res {
    enum rkind k;
    bool b;
    int64_t i;
    double f;
};

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Reads 1 or 2 digits (Go's time.Parse for non-padded fields). */
static bool num12(const char *s, size_t n, size_t *p, int *out)
{
    if (*p >= n || !is_digit(s[*p]))
        return false;
    int v = s[(*p)++] - '0';
    if (*p < n && is_digit(s[*p]))
        v = v * 10 + (s[(*p)++] - '0');
    *out = v;
    return true;
}

static int days_in(int month, int year)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return d[month - 1];
}

/* The timestamp forms go-yaml v2 recognises in plain scalars:
 * Y-M-D, Y-M-D[Tt]h:m:s[.frac](Z|+hh:mm), Y-M-D h:m:s[.frac]. */
static bool looks_like_timestamp(const char *s, size_t n)
{
    if (n < 8 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]) || s[4] != '-')
        return false;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    size_t p = 5;
    int mon, day, h, mi, sec;
    if (!num12(s, n, &p, &mon) || p >= n || s[p++] != '-' || !num12(s, n, &p, &day))
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in(mon, year))
        return false;
    if (p == n)
        return true;
    char sep = s[p++];
    if (sep != 'T' && sep != 't' && sep != ' ')
        return false;
    if (!num12(s, n, &p, &h) || p >= n || s[p++] != ':' || !num12(s, n, &p, &mi) || p >= n ||
        s[p++] != ':' || !num12(s, n, &p, &sec))
        return false;
    if (h > 23 || mi > 59 || sec > 59)
        return false;
    if (p + 1 < n && (s[p] == '.' || s[p] == ',') && is_digit(s[p + 1])) {
        p++;
        while (p < n && is_digit(s[p]))
            p++;
    }
    if (sep == ' ')
        return p == n;
    if (p < n && s[p] == 'Z')
        return p + 1 == n;
    if (p + 6 == n && (s[p] == '+' || s[p] == '-') && is_digit(s[p + 1]) && is_digit(s[p + 2]) &&
        s[p + 3] == ':' && is_digit(s[p + 4]) && is_digit(s[p + 5]))
        return true;
    return false;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool is_yaml_float(const char *s, size_t n)
{
    size_t p = 0;
    if (p < n && (s[p] == '+' || s[p] == '-'))
        p++;
    if (p < n && s[p] == '.') {
        p++;
        size_t d = p;
        while (p < n && is_digit(s[p]))
            p++;
        if (p == d)
            return false;
    } else {
        size_t d = p;
        while (p < n && is_digit(s[p]))
            p++;
        if (p == d)
            return false;
        if (p < n && s[p] == '.') {
            p++;
            while (p < n && is_digit(s[p]))
                p++;
        }
    }
    if (p < n && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < n && (s[p] == '+' || s[p] == '-'))
            p++;
        size_t d = p;
        while (p < n && is_digit(s[p]))
            p++;
        if (p == d)
            return false;
    }
    return p == n;
}

/* ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ : YAML 1.1 base-60
 * numbers, which go-yaml does not decode but still quotes on output. */
static bool is_base60_float(const char *s, size_t n)
{
    size_t p = 0;
    if (p < n && (s[p] == '+' || s[p] == '-'))
        p++;
    if (p >= n || !is_digit(s[p]))
        return false;
    while (p < n && (is_digit(s[p]) || s[p] == '_'))
        p++;
    int groups = 0;
    while (p < n && s[p] == ':') {
        p++;
        if (p < n && s[p] >= '0' && s[p] <= '5' && p + 1 < n && is_digit(s[p + 1]))
            p += 2;
        else if (p < n && is_digit(s[p]))
            p++;
        else
            return false;
        groups++;
    }
    if (!groups)
        return false;
    if (p < n && s[p] == '.') {
        p++;
        while (p < n && (is_digit(s[p]) || s[p] == '_'))
            p++;
    }
    return p == n;
}

static int digit_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

enum intres { INT_SYNTAX, INT_OK, INT_RANGE };

/* Go's strconv.ParseInt/ParseUint(s, 0, 64) on underscore-free text:
 * sign (signed only), 0x/0o/0b prefixes, a leading 0 meaning octal. *mag
 * receives the magnitude and *fv an approximation for out-of-range values. */
static enum intres parse_go_int(const char *s, size_t n, bool allow_sign, bool *neg, uint64_t *mag, double *fv)
{
    size_t p = 0;
    *neg = false;
    if (allow_sign && p < n && (s[p] == '+' || s[p] == '-'))
        *neg = s[p++] == '-';
    if (p >= n)
        return INT_SYNTAX;
    int base = 10;
    if (s[p] == '0' && p + 1 < n) {
        char c = s[p + 1];
        if (c == 'x' || c == 'X')
            base = 16, p += 2;
        else if (c == 'o' || c == 'O')
            base = 8, p += 2;
        else if (c == 'b' || c == 'B')
            base = 2, p += 2;
        else
            base = 8, p += 1;
        if (p >= n)
            return INT_SYNTAX;
    }
    uint64_t v = 0;
    double d = 0;
    bool over = false;
    for (; p < n; p++) {
        int dv = digit_val(s[p]);
        if (dv >= base)
            return INT_SYNTAX;
        if (v > (UINT64_MAX - (uint64_t)dv) / (uint64_t)base)
            over = true;
        v = v * (uint64_t)base + (uint64_t)dv;
        d = d * base + dv;
    }
    *mag = v;
    *fv = *neg ? -d : d;
    if (over)
        return INT_RANGE;
    return INT_OK;
}

static bool strtod_full(const char *s, size_t n, double *out)
{
    char tmp[64];
    char *buf = n < sizeof(tmp) ? tmp : kapi_xmalloc(n + 1);
    memcpy(buf, s, n);
    buf[n] = 0;
    errno = 0;
    char *end;
    double d = strtod(buf, &end);
    bool ok = end == buf + n && !(errno == ERANGE && isinf(d));
    if (buf != tmp)
        free(buf);
    *out = d;
    return ok;
}

struct word {
    const char *w;
    enum rkind k;
    int v; /* bool value, or float class: 1 = +inf, -1 = -inf, 0 = nan */
};

static const struct word words[] = {
    {"y", RK_BOOL, 1}, {"Y", RK_BOOL, 1}, {"yes", RK_BOOL, 1}, {"Yes", RK_BOOL, 1}, {"YES", RK_BOOL, 1},
    {"true", RK_BOOL, 1}, {"True", RK_BOOL, 1}, {"TRUE", RK_BOOL, 1},
    {"on", RK_BOOL, 1}, {"On", RK_BOOL, 1}, {"ON", RK_BOOL, 1},
    {"n", RK_BOOL, 0}, {"N", RK_BOOL, 0}, {"no", RK_BOOL, 0}, {"No", RK_BOOL, 0}, {"NO", RK_BOOL, 0},
    {"false", RK_BOOL, 0}, {"False", RK_BOOL, 0}, {"FALSE", RK_BOOL, 0},
    {"off", RK_BOOL, 0}, {"Off", RK_BOOL, 0}, {"OFF", RK_BOOL, 0},
    {"~", RK_NULL, 0}, {"null", RK_NULL, 0}, {"Null", RK_NULL, 0}, {"NULL", RK_NULL, 0},
    {".nan", RK_FLOAT, 0}, {".NaN", RK_FLOAT, 0}, {".NAN", RK_FLOAT, 0},
    {".inf", RK_FLOAT, 1}, {".Inf", RK_FLOAT, 1}, {".INF", RK_FLOAT, 1},
    {"+.inf", RK_FLOAT, 1}, {"+.Inf", RK_FLOAT, 1}, {"+.INF", RK_FLOAT, 1},
    {"-.inf", RK_FLOAT, -1}, {"-.Inf", RK_FLOAT, -1}, {"-.INF", RK_FLOAT, -1},
};

/* The type a plain scalar with no tag resolves to, as go-yaml v2 decides. */
static enum rkind resolve_plain(const char *s, size_t n, struct res *r)
{
    memset(r, 0, sizeof(*r));
    if (n == 0)
        return r->k = RK_NULL;
    if (memchr(s, 0, n))
        return r->k = RK_STR;
    char c = s[0];
    bool sign = c == '+' || c == '-';
    bool digit = is_digit(c);
    bool dot = c == '.';
    bool inmap = strchr("yYnNtTfFoO~", c) != NULL;
    if (!sign && !digit && !dot && !inmap)
        return r->k = RK_STR;
    if (n <= 6) {
        for (size_t i = 0; i < KAPI_ARRAY_LEN(words); i++) {
            if (strlen(words[i].w) == n && memcmp(words[i].w, s, n) == 0) {
                r->k = words[i].k;
                if (r->k == RK_BOOL)
                    r->b = words[i].v;
                else if (r->k == RK_FLOAT)
                    r->f = words[i].v == 0 ? NAN : words[i].v * INFINITY;
                return r->k;
            }
        }
    }
    if (inmap)
        return r->k = RK_STR;
    if (dot) {
        if (is_yaml_float(s, n) && strtod_full(s, n, &r->f))
            return r->k = RK_FLOAT;
        return r->k = RK_STR;
    }
    if (looks_like_timestamp(s, n))
        return r->k = RK_TIME;
    /* go-yaml drops every underscore before trying numbers. */
    char tmp[64];
    char *plain = n < sizeof(tmp) ? tmp : kapi_xmalloc(n + 1);
    size_t pn = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            plain[pn++] = s[i];
    plain[pn] = 0;
    bool neg;
    uint64_t mag;
    double fv;
    enum rkind k = RK_STR;
    enum intres ir = parse_go_int(plain, pn, true, &neg, &mag, &fv);
    if (ir == INT_OK && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX)) {
        r->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        k = RK_INT;
        goto out;
    }
    /* Unsigned retry: no sign allowed, range up to 2^64-1. */
    ir = parse_go_int(plain, pn, false, &neg, &mag, &fv);
    if (ir == INT_OK) {
        r->f = (double)mag;
        k = RK_BIGINT;
        goto out;
    }
    if (is_yaml_float(plain, pn) && strtod_full(plain, pn, &r->f)) {
        k = RK_FLOAT;
        goto out;
    }
    if (ir == INT_RANGE) {
        r->f = fv;
        k = RK_BIGINT;
    }
out:
    if (plain != tmp)
        free(plain);
    return r->k = k;
}

static const char *short_tag(enum rkind k)
{
    switch (k) {
    case RK_NULL: return "!!null";
    case RK_BOOL: return "!!bool";
    case RK_INT:
    case RK_BIGINT: return "!!int";
    case RK_FLOAT: return "!!float";
    case RK_TIME: return "!!timestamp";
    default: return "!!str";
    }
}

/* ------------------------------------------------------------------------ */
/* Go-style float formatting: strconv.FormatFloat(f, 'g', -1, bits). */

static void fmt_go_g(double f, bool bits32, char *out, size_t outsz)
{
    if (isnan(f)) {
        snprintf(out, outsz, ".nan");
        return;
    }
    if (isinf(f)) {
        snprintf(out, outsz, f > 0 ? ".inf" : "-.inf");
        return;
    }
    if (f == 0) {
        snprintf(out, outsz, signbit(f) ? "-0" : "0");
        return;
    }
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, f);
        double back = strtod(e, NULL);
        if (bits32 ? (float)back == (float)f : back == f)
            break;
    }
    /* e is "[-]d[.ddd]e[+-]XX": split into digits and exponent. */
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digs[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (is_digit(*p) && nd < 20)
            digs[nd++] = *p;
    while (nd > 1 && digs[nd - 1] == '0')
        nd--;
    int exp = atoi(p + 1);
    char *o = out;
    char *end = out + outsz - 1;
#define PUT(c) do { if (o < end) *o++ = (c); } while (0)
    if (neg)
        PUT('-');
    if (exp < -4 || exp >= 6) {
        PUT(digs[0]);
        if (nd > 1) {
            PUT('.');
            for (int i = 1; i < nd; i++)
                PUT(digs[i]);
        }
        PUT('e');
        PUT(exp < 0 ? '-' : '+');
        int ax = exp < 0 ? -exp : exp;
        char xb[8];
        int xl = snprintf(xb, sizeof(xb), "%02d", ax);
        for (int i = 0; i < xl; i++)
            PUT(xb[i]);
    } else {
        int dp = exp + 1; /* digits before the decimal point */
        if (dp <= 0) {
            PUT('0');
            PUT('.');
            for (int i = 0; i < -dp; i++)
                PUT('0');
            for (int i = 0; i < nd; i++)
                PUT(digs[i]);
        } else {
            for (int i = 0; i < dp; i++)
                PUT(i < nd ? digs[i] : '0');
            if (nd > dp) {
                PUT('.');
                for (int i = dp; i < nd; i++)
                    PUT(digs[i]);
            }
        }
    }
#undef PUT
    *o = 0;
}

/* ------------------------------------------------------------------------ */
/* Reader. */

struct anchor {
    const char *name;
    struct kapi_value *v; /* NULL while the anchored node is still open */
    size_t size;          /* values in the anchored subtree */
    size_t height;        /* nesting levels in it (0 for scalars) */
    uint64_t gen;         /* which definition of the name is current */
    struct anchor *next;
};

struct frame {
    struct kapi_value *v; /* KAPI_V_ARRAY or KAPI_V_OBJECT */
    struct anchor *anc;
    uint64_t anc_gen;
    size_t start_total;
    size_t height;        /* max height of the children so far */
    bool is_map;
    bool have_key;
    bool key_merge;
    const char *key;
    size_t klen;
};

struct reader {
    struct kapi_pool *pool;
    struct kapi_yaml_error *err;
    struct frame *fr;
    size_t nfr, capfr;
    struct anchor **buckets;
    size_t nbuckets, nanchors;
    uint64_t gen;
    size_t direct;  /* values made from events */
    size_t copied;  /* values made by alias expansion */
    struct kapi_value *root;
    bool have_root;
    char deferred[128]; /* first JSON-conversion failure, reported at the end */
    size_t deferred_line;
};

static bool fail(struct reader *r, size_t line, const char *fmt, ...) KAPI_PRINTF(3, 4);
static bool fail(struct reader *r, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
    va_end(ap);
    r->err->line = line;
    return false;
}

static size_t hash_name(const char *s)
{
    return (size_t)kapi_fnv1a(KAPI_FNV_INIT, s, strlen(s));
}

static struct anchor *anchor_find(struct reader *r, const char *name)
{
    if (!r->nbuckets)
        return NULL;
    for (struct anchor *a = r->buckets[hash_name(name) & (r->nbuckets - 1)]; a; a = a->next)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

/* Names are unique in the table: a redefinition takes over the entry, as
 * go-yaml records an anchor when its node starts. The entry stays "open"
 * (v == NULL) until the defining node completes. */
static struct anchor *anchor_define(struct reader *r, const char *name)
{
    struct anchor *a = anchor_find(r, name);
    if (!a) {
        if (r->nanchors >= r->nbuckets) {
            size_t nb = r->nbuckets ? r->nbuckets * 2 : 64;
            struct anchor **b = kapi_pool_calloc(r->pool, nb * sizeof(*b));
            for (size_t i = 0; i < r->nbuckets; i++) {
                for (struct anchor *x = r->buckets[i], *next; x; x = next) {
                    next = x->next;
                    size_t h = hash_name(x->name) & (nb - 1);
                    x->next = b[h];
                    b[h] = x;
                }
            }
            r->buckets = b;
            r->nbuckets = nb;
        }
        a = kapi_pool_calloc(r->pool, sizeof(*a));
        a->name = kapi_pool_strdup(r->pool, name);
        size_t h = hash_name(name) & (r->nbuckets - 1);
        a->next = r->buckets[h];
        r->buckets[h] = a;
        r->nanchors++;
    }
    a->v = NULL;
    a->size = 0;
    a->height = 0;
    a->gen = ++r->gen;
    return a;
}

static size_t hash_bytes(const char *s, size_t n)
{
    return (size_t)kapi_fnv1a(KAPI_FNV_INIT, s, n);
}

/* A repeated key keeps its first position and takes the last value, as
 * assigning into a Go map and then emitting JSON amounts to. Hashing keeps
 * huge mappings linear. */
static void obj_dedupe(struct kapi_value *obj)
{
    size_t n = obj->u.obj.len;
    struct kapi_member *m = obj->u.obj.members;
    if (n < 2)
        return;
    size_t nb = 16;
    while (nb < n * 2)
        nb *= 2;
    size_t *tab = kapi_xmalloc(nb * sizeof(*tab));
    for (size_t i = 0; i < nb; i++)
        tab[i] = SIZE_MAX;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        size_t h = hash_bytes(m[i].key, m[i].klen) & (nb - 1);
        bool dup = false;
        while (tab[h] != SIZE_MAX) {
            struct kapi_member *o = &m[tab[h]];
            if (o->klen == m[i].klen && memcmp(o->key, m[i].key, m[i].klen) == 0) {
                o->val = m[i].val;
                dup = true;
                break;
            }
            h = (h + 1) & (nb - 1);
        }
        if (dup)
            continue;
        m[out] = m[i];
        tab[h] = out++;
    }
    obj->u.obj.len = out;
    free(tab);
}

static struct kapi_value *shallow_copy(struct reader *r, const struct kapi_value *v)
{
    struct kapi_value *c = kapi_pool_alloc(r->pool, sizeof(*c));
    *c = *v;
    r->copied++;
    if (v->type == KAPI_V_ARRAY) {
        c->u.arr.cap = v->u.arr.len;
        c->u.arr.items = v->u.arr.len ? kapi_pool_memdup(r->pool, v->u.arr.items, v->u.arr.len * sizeof(*v->u.arr.items)) : NULL;
    } else if (v->type == KAPI_V_OBJECT) {
        c->u.obj.cap = v->u.obj.len;
        c->u.obj.members = v->u.obj.len ? kapi_pool_memdup(r->pool, v->u.obj.members, v->u.obj.len * sizeof(*v->u.obj.members)) : NULL;
    }
    return c;
}

/* Deep copy without recursion. String and key bytes are shared: they are
 * immutable pool memory, and only the containers can be edited later. */
static struct kapi_value *deep_copy(struct reader *r, const struct kapi_value *src)
{
    struct kapi_value *root = shallow_copy(r, src);
    size_t n = 0, cap = 0;
    struct kapi_value **stack = NULL;
#define PUSH(x) do { if (n == cap) { cap = cap ? cap * 2 : 64; stack = kapi_xrealloc(stack, cap * sizeof(*stack)); } stack[n++] = (x); } while (0)
    if (root->type == KAPI_V_ARRAY || root->type == KAPI_V_OBJECT)
        PUSH(root);
    while (n) {
        struct kapi_value *d = stack[--n];
        if (d->type == KAPI_V_ARRAY) {
            for (size_t i = 0; i < d->u.arr.len; i++) {
                struct kapi_value *c = shallow_copy(r, d->u.arr.items[i]);
                d->u.arr.items[i] = c;
                if (c->type == KAPI_V_ARRAY || c->type == KAPI_V_OBJECT)
                    PUSH(c);
            }
        } else {
            for (size_t i = 0; i < d->u.obj.len; i++) {
                struct kapi_value *c = shallow_copy(r, d->u.obj.members[i].val);
                d->u.obj.members[i].val = c;
                if (c->type == KAPI_V_ARRAY || c->type == KAPI_V_OBJECT)
                    PUSH(c);
            }
        }
    }
#undef PUSH
    free(stack);
    return root;
}

static size_t total_values(const struct reader *r) { return r->direct + r->copied; }

static void note_nonfinite(struct reader *r, const struct kapi_value *v, size_t line)
{
    if (v->type != KAPI_V_FLOAT || isfinite(v->u.f) || r->deferred[0])
        return;
    snprintf(r->deferred, sizeof(r->deferred), "json: unsupported value: %s",
             isnan(v->u.f) ? "NaN" : v->u.f > 0 ? "+Inf" : "-Inf");
    r->deferred_line = line;
}

/* Places a finished value where the innermost open collection expects it
 * (as an item or a mapping value; keys go through attach_key). */
static bool attach_value(struct reader *r, struct kapi_value *v, size_t height, size_t line)
{
    note_nonfinite(r, v, line);
    if (r->nfr == 0) {
        r->root = v;
        r->have_root = true;
        return true;
    }
    struct frame *f = &r->fr[r->nfr - 1];
    if (height > f->height)
        f->height = height;
    if (!f->is_map) {
        kapi_arr_push(r->pool, f->v, v);
        return true;
    }
    f->have_key = false;
    if (!f->key_merge) {
        kapi_obj_append(r->pool, f->v, f->key, f->klen, v);
        return true;
    }
    /* Merge: members land in order and the last assignment wins, so a
     * sequence of maps is walked backwards to let earlier maps take
     * precedence; explicit keys after "<<" override merged ones. */
    if (v->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < v->u.obj.len; i++)
            kapi_obj_append(r->pool, f->v, v->u.obj.members[i].key, v->u.obj.members[i].klen, v->u.obj.members[i].val);
        return true;
    }
    if (v->type == KAPI_V_ARRAY) {
        for (size_t j = v->u.arr.len; j-- > 0;)
            if (v->u.arr.items[j]->type != KAPI_V_OBJECT)
                return fail(r, line, "yaml: map merge requires map or sequence of maps as the value");
        for (size_t j = v->u.arr.len; j-- > 0;) {
            struct kapi_value *m = v->u.arr.items[j];
            for (size_t i = 0; i < m->u.obj.len; i++)
                kapi_obj_append(r->pool, f->v, m->u.obj.members[i].key, m->u.obj.members[i].klen, m->u.obj.members[i].val);
        }
        return true;
    }
    return fail(r, line, "yaml: map merge requires map or sequence of maps as the value");
}

/* Turns a decoded key into the JSON member name, as sigs.k8s.io/yaml does
 * for non-string keys (ints in decimal, floats in float32 'g' form). */
static bool key_text(struct reader *r, const struct kapi_value *v, bool bigint, size_t line, const char **key, size_t *klen)
{
    char tmp[64];
    switch (v->type) {
    case KAPI_V_STRING:
        if (memchr(v->u.str.s, 0, v->u.str.len))
            return fail(r, line, "yaml: mapping key contains a NUL character");
        *key = v->u.str.s;
        *klen = v->u.str.len;
        return true;
    case KAPI_V_BOOL:
        *key = v->u.b ? "true" : "false";
        *klen = strlen(*key);
        return true;
    case KAPI_V_INT:
        snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
        break;
    case KAPI_V_FLOAT:
        if (bigint)
            return fail(r, line, "unsupported map key of type: *big.Int");
        fmt_go_g(v->u.f, true, tmp, sizeof(tmp));
        break;
    case KAPI_V_NULL:
        return fail(r, line, "unsupported map key of type: <nil>, key: <nil>");
    default:
        return fail(r, line, "yaml: invalid map key: a %s cannot be a mapping key",
                    v->type == KAPI_V_ARRAY ? "sequence" : "mapping");
    }
    *key = kapi_pool_strdup(r->pool, tmp);
    *klen = strlen(tmp);
    return true;
}

static bool attach_key(struct reader *r, const char *key, size_t klen, bool merge)
{
    struct frame *f = &r->fr[r->nfr - 1];
    f->have_key = true;
    f->key_merge = merge;
    f->key = key;
    f->klen = klen;
    return true;
}

static bool expecting_key(const struct reader *r)
{
    return r->nfr && r->fr[r->nfr - 1].is_map && !r->fr[r->nfr - 1].have_key;
}

/* !!binary: Go's StdEncoding (padding required, line breaks skipped). */
static struct kapi_value *b64_decode(struct kapi_pool *pool, const char *s, size_t n)
{
    char *out = kapi_xmalloc(kapi_b64_decode_size(n));
    size_t on = 0;
    struct kapi_value *v = kapi_b64_decode(out, s, n, 0, &on, NULL) == 0 ? kapi_value_strn(pool, out, on) : NULL;
    free(out);
    return v;
}

/* Decodes one scalar event into a value; *bigint tells integer literals
 * past 64 bits apart from real floats (they differ as mapping keys). */
static struct kapi_value *scalar_value(struct reader *r, const yaml_event_t *ev, bool *bigint, size_t line)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    *bigint = false;
    if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
        const char *t = tag + strlen(TAG_PREFIX);
        if (strcmp(t, "binary") == 0) {
            struct kapi_value *v = b64_decode(r->pool, s, n);
            if (!v)
                fail(r, line, "yaml: !!binary value contains invalid base64 data");
            return v;
        }
        enum rkind want;
        if (strcmp(t, "str") == 0)
            return kapi_value_strn(r->pool, s, n);
        else if (strcmp(t, "null") == 0)
            want = RK_NULL;
        else if (strcmp(t, "bool") == 0)
            want = RK_BOOL;
        else if (strcmp(t, "int") == 0)
            want = RK_INT;
        else if (strcmp(t, "float") == 0)
            want = RK_FLOAT;
        else if (strcmp(t, "timestamp") == 0)
            want = RK_TIME;
        else
            return kapi_value_strn(r->pool, s, n); /* other tags: kept as text */
        struct res rs;
        enum rkind got = resolve_plain(s, n, &rs);
        bool ok = got == want || (want == RK_INT && got == RK_BIGINT) ||
                  (want == RK_FLOAT && (got == RK_INT || got == RK_BIGINT));
        if (!ok) {
            char shown[64];
            snprintf(shown, sizeof(shown), "%.*s", (int)(n > 40 ? 40 : n), s);
            fail(r, line, "yaml: cannot decode %s `%s` as a %s", short_tag(got), shown, short_tag(want));
            return NULL;
        }
        if (want == RK_FLOAT && got == RK_INT)
            return kapi_value_float(r->pool, (double)rs.i);
        if (got == RK_BIGINT && want == RK_FLOAT)
            return kapi_value_float(r->pool, rs.f);
        /* fall through to the normal mapping of the resolved kind */
        switch (got) {
        case RK_NULL: return kapi_value_null(r->pool);
        case RK_BOOL: return kapi_value_bool(r->pool, rs.b);
        case RK_INT: return kapi_value_int(r->pool, rs.i);
        case RK_BIGINT: *bigint = true; return kapi_value_float(r->pool, rs.f);
        case RK_FLOAT: return kapi_value_float(r->pool, rs.f);
        default: return kapi_value_strn(r->pool, s, n);
        }
    }
    if (tag || !ev->data.scalar.plain_implicit)
        return kapi_value_strn(r->pool, s, n); /* quoted, or a non-standard tag */
    struct res rs;
    switch (resolve_plain(s, n, &rs)) {
    case RK_NULL: return kapi_value_null(r->pool);
    case RK_BOOL: return kapi_value_bool(r->pool, rs.b);
    case RK_INT: return kapi_value_int(r->pool, rs.i);
    case RK_BIGINT: *bigint = true; return kapi_value_float(r->pool, rs.f);
    case RK_FLOAT: return kapi_value_float(r->pool, rs.f);
    default: return kapi_value_strn(r->pool, s, n);
    }
}

static bool on_scalar(struct reader *r, const yaml_event_t *ev, size_t line)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    if (expecting_key(r)) {
        bool merge = (n == 2 && memcmp(s, "<<", 2) == 0 && ((!tag && ev->data.scalar.plain_implicit) ||
                      (tag && strcmp(tag, TAG_PREFIX "merge") == 0)));
        if (merge && !anchor)
            return attach_key(r, "<<", 2, true);
        bool bigint;
        struct kapi_value *v = scalar_value(r, ev, &bigint, line);
        if (!v)
            return false;
        r->direct++;
        if (anchor) {
            struct anchor *a = anchor_define(r, anchor);
            a->v = v;
            a->size = 1;
        }
        if (merge)
            return attach_key(r, "<<", 2, true);
        const char *key;
        size_t klen;
        if (!key_text(r, v, bigint, line, &key, &klen))
            return false;
        return attach_key(r, key, klen, false);
    }
    struct kapi_value *v;
    bool bigint;
    if (r->nfr == 0 && n == 0 && !tag && !anchor && ev->data.scalar.plain_implicit)
        v = kapi_value_object(r->pool); /* "---" with nothing after it */
    else if (!(v = scalar_value(r, ev, &bigint, line)))
        return false;
    r->direct++;
    if (anchor) {
        struct anchor *a = anchor_define(r, anchor);
        a->v = v;
        a->size = 1;
    }
    return attach_value(r, v, 0, line);
}

static size_t alias_budget(const struct reader *r)
{
    size_t lim = r->direct > SIZE_MAX / KAPI_YAML_ALIAS_RATIO ? SIZE_MAX : r->direct * KAPI_YAML_ALIAS_RATIO;
    if (lim < KAPI_YAML_ALIAS_FREE)
        lim = KAPI_YAML_ALIAS_FREE;
    if (lim > KAPI_YAML_ALIAS_MAX)
        lim = KAPI_YAML_ALIAS_MAX;
    return lim;
}

static bool on_alias(struct reader *r, const yaml_event_t *ev, size_t line)
{
    const char *name = (const char *)ev->data.alias.anchor;
    struct anchor *a = anchor_find(r, name);
    if (!a)
        return fail(r, line, "yaml: unknown anchor '%.64s' referenced", name);
    if (!a->v)
        return fail(r, line, "yaml: anchor '%.64s' value contains itself", name);
    if (r->copied + a->size > alias_budget(r))
        return fail(r, line, "yaml: document contains excessive aliasing");
    if (r->nfr + a->height > KAPI_YAML_MAX_DEPTH)
        return fail(r, line, "yaml: line %zu: exceeded max depth of %d", line, KAPI_YAML_MAX_DEPTH);
    if (expecting_key(r)) {
        const char *key;
        size_t klen;
        if (!key_text(r, a->v, false, line, &key, &klen))
            return false;
        return attach_key(r, key, klen, false);
    }
    struct kapi_value *v = deep_copy(r, a->v);
    return attach_value(r, v, a->height, line);
}

static bool on_start(struct reader *r, const yaml_event_t *ev, size_t line, bool is_map)
{
    if (expecting_key(r))
        return fail(r, line, "yaml: line %zu: invalid map key: a %s cannot be a mapping key", line,
                    is_map ? "mapping" : "sequence");
    if (r->nfr >= KAPI_YAML_MAX_DEPTH)
        return fail(r, line, "yaml: line %zu: exceeded max depth of %d", line, KAPI_YAML_MAX_DEPTH);
    if (r->nfr == r->capfr) {
        r->capfr = r->capfr ? r->capfr * 2 : 32;
        r->fr = kapi_xrealloc(r->fr, r->capfr * sizeof(*r->fr));
    }
    const char *anchor = (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
    struct frame *f = &r->fr[r->nfr++];
    memset(f, 0, sizeof(*f));
    f->is_map = is_map;
    f->start_total = total_values(r);
    f->v = is_map ? kapi_value_object(r->pool) : kapi_value_array(r->pool);
    r->direct++;
    if (anchor) {
        f->anc = anchor_define(r, anchor);
        f->anc_gen = f->anc->gen;
    }
    return true;
}

static bool on_end(struct reader *r, size_t line)
{
    struct frame f = r->fr[--r->nfr];
    if (f.is_map)
        obj_dedupe(f.v);
    if (f.anc && f.anc->gen == f.anc_gen) {
        f.anc->v = f.v;
        f.anc->size = total_values(r) - f.start_total;
        f.anc->height = f.height + 1;
    }
    return attach_value(r, f.v, f.height + 1, line);
}

/* go-yaml's rule for where a libyaml failure happened: the problem mark's
 * 0-based line, plus one for scanner errors, else the context mark. */
static void libyaml_fail(struct reader *r, const yaml_parser_t *p)
{
    size_t line = 0;
    if (p->problem_mark.line != 0) {
        line = p->problem_mark.line;
        if (p->error == YAML_SCANNER_ERROR)
            line++;
    } else if (p->context_mark.line != 0) {
        line = p->context_mark.line;
    }
    const char *msg = p->problem ? p->problem : "unknown problem parsing YAML content";
    if (line)
        fail(r, line, "yaml: line %zu: %s", line, msg);
    else
        fail(r, 0, "yaml: %s", msg);
}

struct kapi_value *kapi_yaml_parse(struct kapi_pool *pool, const char *data, size_t len,
                                   struct kapi_yaml_error *err)
{
    struct kapi_yaml_error dummy;
    if (!err)
        err = &dummy;
    err->msg[0] = 0;
    err->line = 0;
    struct reader r = {.pool = pool, .err = err};
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fail(&r, 0, "yaml: cannot initialize parser");
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)(data ? data : ""), data ? len : 0);
    bool ok = true, done = false;
    int docs = 0;
    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            libyaml_fail(&r, &p);
            ok = false;
            break;
        }
        size_t line = ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                ok = fail(&r, line, "yaml: line %zu: expected a single document in the stream", line);
            break;
        case YAML_SCALAR_EVENT:
            ok = on_scalar(&r, &ev, line);
            break;
        case YAML_ALIAS_EVENT:
            ok = on_alias(&r, &ev, line);
            break;
        case YAML_SEQUENCE_START_EVENT:
            ok = on_start(&r, &ev, line, false);
            break;
        case YAML_MAPPING_START_EVENT:
            ok = on_start(&r, &ev, line, true);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            ok = on_end(&r, line);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(r.fr);
    if (!ok)
        return NULL;
    if (r.deferred[0]) {
        fail(&r, r.deferred_line, "%s", r.deferred);
        return NULL;
    }
    return r.have_root ? r.root : kapi_value_object(pool);
}

/* ------------------------------------------------------------------------ */
/* Writer. */

struct wctx {
    struct kapi_buf *b;
    bool overflow;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    struct wctx *w = data;
    if (kapi_buf_append(w->b, buffer, size) != 0) {
        w->overflow = true;
        return 0;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence at s[i] (code point in *cp), or 0
 * when the bytes there are not valid UTF-8. */
static size_t utf8_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
    static const uint32_t minv[] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned char c = (unsigned char)s[i];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07;
    } else {
        return 0;
    }
    if (i + len > n)
        return 0;
    for (size_t j = 1; j < len; j++) {
        unsigned char cc = (unsigned char)s[i + j];
        if ((cc & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (cc & 0x3F);
    }
    if (v < minv[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Decodes into code points; a bad byte becomes U+FFFD, as Go's []rune(s). */
static size_t to_runes(const char *s, size_t n, uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_at(s, n, i, &out[k]);
        if (!len) {
            out[k] = 0xFFFD;
            len = 1;
        }
        k++;
        i += len;
    }
    return k;
}

static bool valid_utf8(const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0, len; i < n; i += len)
        if (!(len = utf8_at(s, n, i, &cp)))
            return false;
    return true;
}

/* Approximates Go's unicode.IsLetter: exact for ASCII and Latin-1; other
 * code points count as letters except the common punctuation/symbol
 * blocks. Only the order of exotic keys could differ from upstream. */
static bool rune_is_letter(uint32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c < 0xC0)
        return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7)
        return false;
    if ((c >= 0x2000 && c <= 0x2BFF) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFE30 && c <= 0xFE4F) ||
        (c >= 0xFF00 && c <= 0xFF20) || (c >= 0xE000 && c <= 0xF8FF) || (c >= 0x1F000 && c <= 0x1FAFF) ||
        c == 0xFFFD || c == 0xFEFF)
        return false;
    return true;
}

static bool rune_is_digit(uint32_t c) { return c >= '0' && c <= '9'; }

struct skey {
    const struct kapi_member *m;
    uint32_t *r;
    size_t n;
};

/* go-yaml v2's mapping key order: letters sort after other characters,
 * and runs of digits compare by numeric value ("a9" < "a10"). */
static bool key_less(const struct skey *a, const struct skey *b)
{
    const uint32_t *ar = a->r, *br = b->r;
    size_t an_ = a->n, bn_ = b->n;
    for (size_t i = 0; i < an_ && i < bn_; i++) {
        if (ar[i] == br[i])
            continue;
        bool al = rune_is_letter(ar[i]), bl = rune_is_letter(br[i]);
        if (al && bl)
            return ar[i] < br[i];
        if (al || bl)
            return bl;
        /* Go's int64 arithmetic wraps on long digit runs; do the same. */
        uint64_t an = 0, bn = 0;
        if (ar[i] == '0' || br[i] == '0') {
            for (size_t j = i; j-- > 0 && rune_is_digit(ar[j]);) {
                if (ar[j] != '0') {
                    an = bn = 1;
                    break;
                }
            }
        }
        size_t ai = i, bi = i;
        for (; ai < an_ && rune_is_digit(ar[ai]); ai++)
            an = an * 10 + (ar[ai] - '0');
        for (; bi < bn_ && rune_is_digit(br[bi]); bi++)
            bn = bn * 10 + (br[bi] - '0');
        if (an != bn)
            return (int64_t)an < (int64_t)bn;
        if (ai != bi)
            return ai < bi;
        return ar[i] < br[i];
    }
    return an_ < bn_;
}

/* Merge sort: needs only "less", and stays in bounds even if an odd key
 * set made the ordering inconsistent. */
static void sort_keys(struct skey *k, struct skey *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_keys(k, tmp, h);
    sort_keys(k + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n)
        tmp[o++] = key_less(&k[j], &k[i]) ? k[j++] : k[i++];
    while (i < h)
        tmp[o++] = k[i++];
    while (j < n)
        tmp[o++] = k[j++];
    memcpy(k, tmp, n * sizeof(*k));
}

static bool emit(yaml_emitter_t *e, yaml_event_t *ev) { return yaml_emitter_emit(e, ev) != 0; }

static bool emit_scalar(yaml_emitter_t *e, const char *s, size_t n, const char *tag, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    int implicit = tag == NULL;
    if (!yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tag, (yaml_char_t *)s, (int)n, implicit, implicit, style))
        return false;
    return emit(e, &ev);
}

/* go-yaml v2's string rule: literal block when there is a newline, plain
 * when the text would read back as a string, double quotes otherwise; the
 * emitter still falls back to quoting when plain is not valid YAML. */
static bool emit_string(yaml_emitter_t *e, const char *s, size_t n)
{
    if (n > INT32_MAX)
        return false;
    if (!valid_utf8(s, n)) {
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        size_t enc = (n + 2) / 3 * 4;
        size_t lines = enc / 70 + 1;
        char *raw = kapi_xmalloc(enc + 1), *out = kapi_xmalloc(enc + lines + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i += 3) {
            uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
            if (i + 1 < n) v |= (uint32_t)(unsigned char)s[i + 1] << 8;
            if (i + 2 < n) v |= (unsigned char)s[i + 2];
            raw[o++] = tbl[v >> 18 & 63];
            raw[o++] = tbl[v >> 12 & 63];
            raw[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
            raw[o++] = i + 2 < n ? tbl[v & 63] : '=';
        }
        size_t k = 0;
        for (size_t i = 0; i < enc; i += 70) {
            size_t j = i + 70 < enc ? i + 70 : enc;
            memcpy(out + k, raw + i, j - i);
            k += j - i;
            if (lines > 1)
                out[k++] = '\n';
        }
        bool ok = emit_scalar(e, out, k, "tag:yaml.org,2002:binary",
                              memchr(out, '\n', k) ? YAML_LITERAL_SCALAR_STYLE : YAML_PLAIN_SCALAR_STYLE);
        free(raw);
        free(out);
        return ok;
    }
    yaml_scalar_style_t style;
    struct res rs;
    if (memchr(s, '\n', n))
        style = YAML_LITERAL_SCALAR_STYLE;
    else if (resolve_plain(s, n, &rs) == RK_STR && !is_base60_float(s, n))
        style = YAML_PLAIN_SCALAR_STYLE;
    else
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    return emit_scalar(e, s, n, NULL, style);
}

/* Numbers reach go-yaml as JSON text re-read by its resolver, so an
 * integral float prints as an integer and other floats in 'g' form. */
static void format_float(double f, char *out, size_t outsz)
{
    if (isfinite(f) && f == trunc(f) && fabs(f) < 1e21) {
        if (f >= -9223372036854775808.0 && f < 9223372036854775808.0) {
            snprintf(out, outsz, "%" PRId64, (int64_t)f);
            return;
        }
        if (f > 0 && f < 18446744073709551616.0) {
            snprintf(out, outsz, "%" PRIu64, (uint64_t)f);
            return;
        }
    }
    fmt_go_g(f, false, out, outsz);
}

static bool emit_leaf(yaml_emitter_t *e, const struct kapi_value *v)
{
    char tmp[64];
    switch (v->type) {
    case KAPI_V_NULL:
        return emit_scalar(e, "null", 4, NULL, YAML_PLAIN_SCALAR_STYLE);
    case KAPI_V_BOOL:
        return v->u.b ? emit_scalar(e, "true", 4, NULL, YAML_PLAIN_SCALAR_STYLE)
                      : emit_scalar(e, "false", 5, NULL, YAML_PLAIN_SCALAR_STYLE);
    case KAPI_V_INT:
        snprintf(tmp, sizeof(tmp), "%" PRId64, v->u.i);
        return emit_scalar(e, tmp, strlen(tmp), NULL, YAML_PLAIN_SCALAR_STYLE);
    case KAPI_V_FLOAT:
        format_float(v->u.f, tmp, sizeof(tmp));
        return emit_scalar(e, tmp, strlen(tmp), NULL, YAML_PLAIN_SCALAR_STYLE);
    case KAPI_V_STRING:
        return emit_string(e, v->u.str.s, v->u.str.len);
    default:
        return false;
    }
}

struct wframe {
    const struct kapi_value *v;
    size_t i;
    struct skey *keys; /* objects: members in output order */
    uint32_t *runes;
};

static void wframe_dispose(struct wframe *f)
{
    free(f->keys);
    free(f->runes);
}

static bool open_node(yaml_emitter_t *e, const struct kapi_value *v, struct wframe *f)
{
    yaml_event_t ev;
    memset(f, 0, sizeof(*f));
    f->v = v;
    if (v->type == KAPI_V_ARRAY) {
        yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        return emit(e, &ev);
    }
    size_t n = v->u.obj.len, total = 0;
    for (size_t i = 0; i < n; i++)
        total += v->u.obj.members[i].klen;
    f->keys = kapi_xmalloc((n ? n : 1) * sizeof(*f->keys));
    f->runes = kapi_xmalloc((total ? total : 1) * sizeof(*f->runes));
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        f->keys[i].m = &v->u.obj.members[i];
        f->keys[i].r = f->runes + off;
        f->keys[i].n = to_runes(v->u.obj.members[i].key, v->u.obj.members[i].klen, f->runes + off);
        off += f->keys[i].n;
    }
    struct skey *tmp = kapi_xmalloc((n ? n : 1) * sizeof(*tmp));
    sort_keys(f->keys, tmp, n);
    free(tmp);
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    return emit(e, &ev);
}

int kapi_yaml_write(struct kapi_buf *b, const struct kapi_value *v)
{
    size_t start = b->len;
    struct wctx w = {.b = b};
    yaml_emitter_t e;
    if (!yaml_emitter_initialize(&e))
        return -1;
    yaml_emitter_set_output(&e, write_handler, &w);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, 80);
    yaml_emitter_set_indent(&e, 2);
    yaml_emitter_set_break(&e, YAML_LN_BREAK);

    yaml_event_t ev;
    bool ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && emit(&e, &ev);
    ok = ok && yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && emit(&e, &ev);

    struct wframe *st = NULL;
    size_t n = 0, cap = 0;
    if (ok && v && (v->type == KAPI_V_ARRAY || v->type == KAPI_V_OBJECT)) {
        cap = 16;
        st = kapi_xmalloc(cap * sizeof(*st));
        ok = open_node(&e, v, &st[n++]);
    } else if (ok) {
        static const struct kapi_value null_value = {.type = KAPI_V_NULL};
        ok = emit_leaf(&e, v ? v : &null_value);
    }
    while (ok && n) {
        struct wframe *f = &st[n - 1];
        const struct kapi_value *fv = f->v;
        const struct kapi_value *child;
        if (fv->type == KAPI_V_ARRAY) {
            if (f->i == fv->u.arr.len) {
                wframe_dispose(f);
                n--;
                ok = yaml_sequence_end_event_initialize(&ev) && emit(&e, &ev);
                continue;
            }
            child = fv->u.arr.items[f->i++];
        } else {
            if (f->i == fv->u.obj.len) {
                wframe_dispose(f);
                n--;
                ok = yaml_mapping_end_event_initialize(&ev) && emit(&e, &ev);
                continue;
            }
            const struct kapi_member *m = f->keys[f->i++].m;
            if (!(ok = emit_string(&e, m->key, m->klen)))
                break;
            child = m->val;
        }
        if (child && (child->type == KAPI_V_ARRAY || child->type == KAPI_V_OBJECT)) {
            if (n == cap) {
                cap *= 2;
                st = kapi_xrealloc(st, cap * sizeof(*st));
            }
            ok = open_node(&e, child, &st[n++]);
        } else {
            static const struct kapi_value null_value = {.type = KAPI_V_NULL};
            ok = emit_leaf(&e, child ? child : &null_value);
        }
    }
    while (n)
        wframe_dispose(&st[--n]);
    free(st);

    ok = ok && yaml_document_end_event_initialize(&ev, 1) && emit(&e, &ev);
    /* go-yaml clears this before ending the stream, so a document ending
     * in a plain root scalar or a "|+" block gets no "..." marker. */
    e.open_ended = 0;
    ok = ok && yaml_stream_end_event_initialize(&ev) && emit(&e, &ev);
    ok = ok && yaml_emitter_flush(&e);
    yaml_emitter_delete(&e);
    if (!ok || w.overflow) {
        b->len = start;
        if (b->data)
            b->data[start] = 0;
        return -1;
    }
    return 0;
}
