/* Implementation of src/codec/patch.h.
 *
 * Reference behaviour is json-patch v4.12.0 as kube-apiserver v1.33 calls it.
 * That library works on lazily decoded Go maps, which explains most quirks
 * reproduced here: an object lookup cannot tell a missing key from a null one,
 * so "replace" of a missing key succeeds and "copy" of one copies null; array
 * indices go through strconv.Atoi, so "+1", "007" and negative indices work.
 *
 * Everything that walks a value (clone, equality, depth, merge) keeps its own
 * heap stack: patch documents may be as deep as the JSON reader allows and a
 * JSON patch can nest a document deeper still, one operation at a time. */
#include "patch.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_PANIC "This request caused apiserver to panic. Look in the logs for details."

/* ---------------------------------------------------------------- helpers */

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 32;
    while (c < need)
        c *= 2;
    *cap = c;
    return kapi_xrealloc(p, c * elem);
}

static bool is_null(const struct kapi_value *v) { return !v || v->type == KAPI_V_NULL; }

static bool is_container(const struct kapi_value *v)
{
    return v && (v->type == KAPI_V_OBJECT || v->type == KAPI_V_ARRAY);
}

/* The word Go's decoder uses for a JSON value in UnmarshalTypeError. */
static const char *go_kind(const struct kapi_value *v)
{
    if (is_null(v))
        return "null";
    switch (v->type) {
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT:
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "array";
    default: return "object";
    }
}

static void set_error(struct kapi_patch_error *e, int code, const char *reason, const char *msg)
{
    e->code = code;
    e->reason = reason;
    snprintf(e->msg, sizeof(e->msg), "%s", msg);
}

static struct kapi_value *new_node(struct kapi_pool *pool, enum kapi_vtype t)
{
    struct kapi_value *v = kapi_pool_calloc(pool, sizeof(*v));
    v->type = t;
    return v;
}

static size_t obj_find(const struct kapi_value *o, const char *k, size_t kl)
{
    for (size_t i = 0; i < o->u.obj.len; i++) {
        const struct kapi_member *m = &o->u.obj.members[i];
        if (m->klen == kl && memcmp(m->key, k, kl) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Go map assignment: an existing key keeps its position. */
static void obj_put(struct kapi_pool *pool, struct kapi_value *o, const char *k, size_t kl,
                    struct kapi_value *v)
{
    size_t i = obj_find(o, k, kl);
    if (i != SIZE_MAX)
        o->u.obj.members[i].val = v;
    else
        kapi_obj_append(pool, o, k, kl, v);
}

static void arr_insert(struct kapi_pool *pool, struct kapi_value *a, size_t idx, struct kapi_value *v)
{
    if (a->u.arr.len == a->u.arr.cap) {
        size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 8;
        struct kapi_value **ni = kapi_pool_alloc(pool, cap * sizeof(*ni));
        if (a->u.arr.len)
            memcpy(ni, a->u.arr.items, a->u.arr.len * sizeof(*ni));
        a->u.arr.items = ni;
        a->u.arr.cap = cap;
    }
    memmove(a->u.arr.items + idx + 1, a->u.arr.items + idx, (a->u.arr.len - idx) * sizeof(*a->u.arr.items));
    a->u.arr.items[idx] = v;
    a->u.arr.len++;
}

/* A fresh node with v's scalar content, or an empty container of v's type. */
static struct kapi_value *shallow(struct kapi_pool *pool, const struct kapi_value *v)
{
    if (is_null(v))
        return new_node(pool, KAPI_V_NULL);
    struct kapi_value *n = new_node(pool, v->type);
    switch (v->type) {
    case KAPI_V_BOOL: n->u.b = v->u.b; break;
    case KAPI_V_INT: n->u.i = v->u.i; break;
    case KAPI_V_FLOAT: n->u.f = v->u.f; break;
    case KAPI_V_STRING:
        n->u.str.s = kapi_pool_strndup(pool, v->u.str.s, v->u.str.len);
        n->u.str.len = v->u.str.len;
        break;
    default: break;
    }
    return n;
}

/* Deep copy into pool. With prune, object members whose value is null are
 * dropped at every level while null array elements stay: json-patch's
 * pruneNulls for values a merge patch inserts. */
static struct kapi_value *clone_tree(struct kapi_pool *pool, const struct kapi_value *src, bool prune)
{
    struct kapi_value *root = shallow(pool, src);
    if (!is_container(src))
        return root;
    struct pair { const struct kapi_value *s; struct kapi_value *d; } *st = NULL;
    size_t n = 0, cap = 0;
    st = grow(st, &cap, 1, sizeof(*st));
    st[n++] = (struct pair){src, root};
    while (n) {
        struct pair p = st[--n];
        if (p.s->type == KAPI_V_ARRAY) {
            size_t len = p.s->u.arr.len;
            if (!len)
                continue;
            p.d->u.arr.items = kapi_pool_alloc(pool, len * sizeof(*p.d->u.arr.items));
            p.d->u.arr.len = p.d->u.arr.cap = len;
            st = grow(st, &cap, n + len, sizeof(*st));
            for (size_t i = 0; i < len; i++) {
                const struct kapi_value *c = p.s->u.arr.items[i];
                struct kapi_value *nc = shallow(pool, c);
                p.d->u.arr.items[i] = nc;
                if (is_container(c))
                    st[n++] = (struct pair){c, nc};
            }
        } else {
            size_t len = p.s->u.obj.len, keep = 0;
            for (size_t i = 0; i < len; i++)
                keep += !(prune && is_null(p.s->u.obj.members[i].val));
            if (!keep)
                continue;
            p.d->u.obj.members = kapi_pool_alloc(pool, keep * sizeof(*p.d->u.obj.members));
            p.d->u.obj.len = p.d->u.obj.cap = keep;
            st = grow(st, &cap, n + keep, sizeof(*st));
            size_t w = 0;
            for (size_t i = 0; i < len; i++) {
                const struct kapi_member *m = &p.s->u.obj.members[i];
                if (prune && is_null(m->val))
                    continue;
                struct kapi_member *dm = &p.d->u.obj.members[w++];
                dm->key = kapi_pool_strndup(pool, m->key, m->klen);
                dm->klen = m->klen;
                dm->val = shallow(pool, m->val);
                if (is_container(m->val))
                    st[n++] = (struct pair){m->val, dm->val};
            }
        }
    }
    free(st);
    return root;
}

/* True when v nests containers more than limit deep (a bare container is 1). */
static bool too_deep(const struct kapi_value *v, size_t limit)
{
    if (!is_container(v))
        return false;
    struct item { const struct kapi_value *v; size_t d; } *st = NULL;
    size_t n = 0, cap = 0;
    bool deep = false;
    st = grow(st, &cap, 1, sizeof(*st));
    st[n++] = (struct item){v, 1};
    while (n && !deep) {
        struct item it = st[--n];
        if (it.d > limit) {
            deep = true;
            break;
        }
        size_t len = it.v->type == KAPI_V_ARRAY ? it.v->u.arr.len : it.v->u.obj.len;
        st = grow(st, &cap, n + len, sizeof(*st));
        for (size_t i = 0; i < len; i++) {
            const struct kapi_value *c =
                it.v->type == KAPI_V_ARRAY ? it.v->u.arr.items[i] : it.v->u.obj.members[i].val;
            if (is_container(c))
                st[n++] = (struct item){c, it.d + 1};
        }
    }
    free(st);
    return deep;
}

/* ------------------------------------------------------- "test" equality */

enum { EQ_YES, EQ_NO, EQ_PANIC };

static int member_cmp(const void *a, const void *b)
{
    const struct kapi_member *x = *(const struct kapi_member *const *)a;
    const struct kapi_member *y = *(const struct kapi_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static const struct kapi_member *sorted_find(const struct kapi_member **idx, size_t n,
                                             const struct kapi_member *key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = member_cmp(&key, &idx[mid]);
        if (c == 0)
            return idx[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* json-patch v4's lazyNode.equal, as far as the value model can tell:
 * scalars compare by their JSON text, so an integer never equals a float
 * (1 vs 1.0) although the reader keeps no other spelling differences; object
 * members compare as sets; and any null met as an array element makes v4
 * dereference nil, which the apiserver turns into a panic (EQ_PANIC). Arrays
 * are walked in order so the first difference wins over a later null, as
 * there. */
static int test_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    struct item { const struct kapi_value *a, *b; bool in_arr; } *st = NULL;
    size_t n = 0, cap = 0;
    const struct kapi_member **sidx = NULL;
    size_t scap = 0;
    int res = EQ_YES;
    st = grow(st, &cap, 1, sizeof(*st));
    st[n++] = (struct item){a, b, false};
    while (n && res == EQ_YES) {
        struct item it = st[--n];
        bool an = is_null(it.a), bn = is_null(it.b);
        if (an || bn) {
            if (it.in_arr)
                res = EQ_PANIC;
            else if (an != bn)
                res = EQ_NO;
            continue;
        }
        if (it.a->type != it.b->type) {
            res = EQ_NO;
            continue;
        }
        switch (it.a->type) {
        case KAPI_V_BOOL:
            res = it.a->u.b == it.b->u.b ? EQ_YES : EQ_NO;
            break;
        case KAPI_V_INT:
            res = it.a->u.i == it.b->u.i ? EQ_YES : EQ_NO;
            break;
        case KAPI_V_FLOAT:
            res = it.a->u.f == it.b->u.f ? EQ_YES : EQ_NO;
            break;
        case KAPI_V_STRING:
            res = it.a->u.str.len == it.b->u.str.len &&
                          memcmp(it.a->u.str.s, it.b->u.str.s, it.a->u.str.len) == 0
                      ? EQ_YES
                      : EQ_NO;
            break;
        case KAPI_V_ARRAY: {
            size_t len = it.a->u.arr.len;
            if (len != it.b->u.arr.len) {
                res = EQ_NO;
                break;
            }
            st = grow(st, &cap, n + len, sizeof(*st));
            for (size_t i = len; i-- > 0;) /* reversed: element 0 is popped first */
                st[n++] = (struct item){it.a->u.arr.items[i], it.b->u.arr.items[i], true};
            break;
        }
        case KAPI_V_OBJECT: {
            size_t len = it.a->u.obj.len;
            if (len != it.b->u.obj.len) {
                res = EQ_NO;
                break;
            }
            st = grow(st, &cap, n + len, sizeof(*st));
            /* Big objects get a sorted index so a test on a map with many
             * keys stays n log n instead of quadratic. */
            bool sorted = len > 8;
            if (sorted) {
                sidx = grow(sidx, &scap, len, sizeof(*sidx));
                for (size_t i = 0; i < len; i++)
                    sidx[i] = &it.b->u.obj.members[i];
                qsort(sidx, len, sizeof(*sidx), member_cmp);
            }
            for (size_t i = len; i-- > 0;) {
                const struct kapi_member *m = &it.a->u.obj.members[i];
                const struct kapi_value *bv = NULL;
                if (sorted) {
                    const struct kapi_member *hit = sorted_find(sidx, len, m);
                    if (hit)
                        bv = hit->val;
                    else
                        res = EQ_NO;
                } else {
                    size_t j = obj_find(it.b, m->key, m->klen);
                    if (j != SIZE_MAX)
                        bv = it.b->u.obj.members[j].val;
                    else
                        res = EQ_NO;
                }
                if (res != EQ_YES)
                    break;
                st[n++] = (struct item){m->val, bv, false};
            }
            break;
        }
        default:
            break;
        }
    }
    free(st);
    free(sidx);
    return res;
}

/* ---------------------------------------------------------- JSON patch */

struct ctx {
    struct kapi_pool *pool;
    struct kapi_patch_error *err;
    char *scratch;      /* decoded pointer tokens while walking */
    size_t scratch_cap;
    long long copied;   /* bytes "copy" has duplicated so far */
};

static void fail_invalid(struct ctx *c, const char *fmt, ...) KAPI_PRINTF(2, 3);
static void fail_invalid(struct ctx *c, const char *fmt, ...)
{
    set_error(c->err, 422, "Invalid", KAPI_PATCH_MSG_INVALID);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err->detail, sizeof(c->err->detail), fmt, ap);
    va_end(ap);
}

static void fail_panic(struct ctx *c, const char *what)
{
    set_error(c->err, 500, NULL, MSG_PANIC);
    snprintf(c->err->detail, sizeof(c->err->detail),
             "json-patch v4 dereferences nil here (%s); upstream panics", what);
}

/* RFC 6901 unescaping as Go's strings.Replacer("~1", "/", "~0", "~") does it:
 * one left-to-right pass, so "~01" is "~1"; other "~x" stay literal. */
static size_t unescape(char *out, const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
            out[w++] = s[i + 1] == '1' ? '/' : '~';
            i++;
        } else {
            out[w++] = s[i];
        }
    }
    return w;
}

/* strconv.Atoi on a 64-bit platform: 0 ok, -1 syntax error, -2 out of range. */
static int go_atoi(const char *s, size_t n, long long *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    unsigned long long v = 0, lim = neg ? (1ULL << 63) : (1ULL << 63) - 1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (lim - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

static void atoi_msg(char *e, size_t en, int rc, const char *k, size_t kl)
{
    snprintf(e, en, "strconv.Atoi: parsing \"%.*s\": %s", (int)(kl > 64 ? 64 : kl), k,
             rc == -2 ? "value out of range" : "invalid syntax");
}

/* Resolves an index of an existing element (get, set, remove). */
static int arr_index(const struct kapi_value *a, const char *k, size_t kl, size_t *out, char *e, size_t en)
{
    long long idx;
    int rc = go_atoi(k, kl, &idx);
    if (rc) {
        atoi_msg(e, en, rc, k, kl);
        return -1;
    }
    long long len = (long long)a->u.arr.len;
    if (idx >= len || idx < -len) {
        snprintf(e, en, "Unable to access invalid index: %lld: invalid index referenced", idx);
        return -1;
    }
    *out = (size_t)(idx < 0 ? idx + len : idx);
    return 0;
}

/* container.get: an object answers NULL for a missing key and never fails. */
static int con_get(struct kapi_value *con, const char *k, size_t kl, struct kapi_value **out, char *e,
                   size_t en)
{
    if (con->type == KAPI_V_OBJECT) {
        size_t i = obj_find(con, k, kl);
        *out = i == SIZE_MAX ? NULL : con->u.obj.members[i].val;
        return 0;
    }
    size_t i;
    if (arr_index(con, k, kl, &i, e, en))
        return -1;
    *out = con->u.arr.items[i];
    return 0;
}

static int con_add(struct ctx *c, struct kapi_value *con, const char *k, size_t kl, struct kapi_value *v,
                   char *e, size_t en)
{
    if (con->type == KAPI_V_OBJECT) {
        obj_put(c->pool, con, k, kl, v);
        return 0;
    }
    size_t len = con->u.arr.len;
    if (kl == 1 && k[0] == '-') {
        arr_insert(c->pool, con, len, v);
        return 0;
    }
    long long idx;
    int rc = go_atoi(k, kl, &idx);
    if (rc) {
        char inner[128];
        atoi_msg(inner, sizeof(inner), rc, k, kl);
        snprintf(e, en, "value was not a proper array index: '%.*s': %s", (int)(kl > 64 ? 64 : kl), k, inner);
        return -1;
    }
    /* An insert position runs 0..len; negatives count from len+1. */
    long long slots = (long long)len + 1;
    if (idx >= slots || idx < -slots) {
        snprintf(e, en, "Unable to access invalid index: %lld: invalid index referenced", idx);
        return -1;
    }
    arr_insert(c->pool, con, (size_t)(idx < 0 ? idx + slots : idx), v);
    return 0;
}

static int con_remove(struct kapi_value *con, const char *k, size_t kl, char *e, size_t en)
{
    if (con->type == KAPI_V_OBJECT) {
        size_t i = obj_find(con, k, kl);
        if (i == SIZE_MAX) {
            snprintf(e, en, "Unable to remove nonexistent key: %.*s: missing value", (int)(kl > 128 ? 128 : kl), k);
            return -1;
        }
        memmove(&con->u.obj.members[i], &con->u.obj.members[i + 1],
                (con->u.obj.len - i - 1) * sizeof(*con->u.obj.members));
        con->u.obj.len--;
        return 0;
    }
    size_t i;
    if (arr_index(con, k, kl, &i, e, en))
        return -1;
    memmove(&con->u.arr.items[i], &con->u.arr.items[i + 1], (con->u.arr.len - i - 1) * sizeof(*con->u.arr.items));
    con->u.arr.len--;
    return 0;
}

/* json-patch's findObject: splits at '/', ignores whatever precedes the first
 * '/', walks every token but the last through existing non-null containers.
 * Returns the parent container and the unescaped last token (in pool), or
 * NULL when the path does not resolve (no '/' at all included). */
static struct kapi_value *find_parent(struct ctx *c, struct kapi_value *root, const char *path, size_t n,
                                      const char **key, size_t *klen)
{
    const char *end = path + n;
    const char *s = memchr(path, '/', n);
    if (!s)
        return NULL;
    s++;
    struct kapi_value *cur = root;
    for (;;) {
        const char *e = memchr(s, '/', (size_t)(end - s));
        size_t sl = (size_t)((e ? e : end) - s);
        if (!e) {
            char *k = kapi_pool_alloc(c->pool, sl + 1);
            *klen = unescape(k, s, sl);
            k[*klen] = 0;
            *key = k;
            return cur;
        }
        c->scratch = grow(c->scratch, &c->scratch_cap, sl + 1, 1);
        size_t tl = unescape(c->scratch, s, sl);
        struct kapi_value *next = NULL;
        char ignored[8];
        if (con_get(cur, c->scratch, tl, &next, ignored, sizeof(ignored)) || !is_container(next))
            return NULL;
        cur = next;
        s = e + 1;
    }
}

static const struct kapi_value *op_member(const struct kapi_value *op, const char *name, size_t nl)
{
    size_t i = obj_find(op, name, nl);
    return i == SIZE_MAX ? NULL : op->u.obj.members[i].val;
}

/* Reads "path"/"from" as Operation.Path()/From() do; on failure writes their
 * error text to e and returns -1. A null member counts as missing. */
static int str_field(const struct kapi_value *op, const char *name, const char **s, size_t *n, char *e,
                     size_t en)
{
    const struct kapi_value *v = op_member(op, name, strlen(name));
    if (is_null(v)) {
        if (name[0] == 'p')
            snprintf(e, en, "operation missing path field: missing value");
        else
            snprintf(e, en, "operation, missing from field: missing value");
        return -1;
    }
    if (v->type != KAPI_V_STRING) {
        snprintf(e, en, "json: cannot unmarshal %s into Go value of type string", go_kind(v));
        return -1;
    }
    *s = v->u.str.s;
    *n = v->u.str.len;
    return 0;
}

#define P(n) (int)((n) > 160 ? 160 : (n)) /* keeps messages inside detail[] */

static int op_add(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *path, *key;
    size_t pl, kl;
    char e[200];
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "add operation failed to decode path: missing value");
        return -1;
    }
    struct kapi_value *con = find_parent(c, *root, path, pl, &key, &kl);
    if (!con) {
        fail_invalid(c, "add operation does not apply: doc is missing path: \"%.*s\": missing value", P(pl), path);
        return -1;
    }
    /* An absent "value" is a nil node in v4, which encodes as null. */
    struct kapi_value *v = clone_tree(c->pool, op_member(op, "value", 5), false);
    if (con_add(c, con, key, kl, v, e, sizeof(e))) {
        fail_invalid(c, "error in add for path: '%.*s': %s", P(pl), path, e);
        return -1;
    }
    return 0;
}

static int op_remove(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *path, *key;
    size_t pl, kl;
    char e[200];
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "remove operation failed to decode path: missing value");
        return -1;
    }
    struct kapi_value *con = find_parent(c, *root, path, pl, &key, &kl);
    if (!con) {
        fail_invalid(c, "remove operation does not apply: doc is missing path: \"%.*s\": missing value", P(pl), path);
        return -1;
    }
    if (con_remove(con, key, kl, e, sizeof(e))) {
        fail_invalid(c, "error in remove for path: '%.*s': %s", P(pl), path, e);
        return -1;
    }
    return 0;
}

static int op_replace(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *path, *key;
    size_t pl, kl;
    char e[200];
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "replace operation failed to decode path: %s", e);
        return -1;
    }
    size_t vi = obj_find(op, "value", 5);
    const struct kapi_value *val = vi == SIZE_MAX ? NULL : op->u.obj.members[vi].val;
    if (pl == 0) {
        if (vi == SIZE_MAX) {
            fail_panic(c, "replace of the root without a value");
            return -1;
        }
        /* v4 only swaps in an object or array; for anything else its error
         * wraps a nil error, which is nil, so the operation is a silent no-op. */
        if (is_container(val))
            *root = clone_tree(c->pool, val, false);
        return 0;
    }
    struct kapi_value *con = find_parent(c, *root, path, pl, &key, &kl);
    if (!con) {
        fail_invalid(c, "replace operation does not apply: doc is missing path: %.*s: missing value", P(pl), path);
        return -1;
    }
    struct kapi_value *cur;
    if (con_get(con, key, kl, &cur, e, sizeof(e))) {
        fail_invalid(c, "replace operation does not apply: doc is missing key: %.*s: missing value", P(pl), path);
        return -1;
    }
    struct kapi_value *v = clone_tree(c->pool, val, false);
    if (con->type == KAPI_V_OBJECT) {
        obj_put(c->pool, con, key, kl, v); /* a missing key is simply added */
    } else {
        size_t i;
        arr_index(con, key, kl, &i, e, sizeof(e)); /* cannot fail: con_get accepted it */
        con->u.arr.items[i] = v;
    }
    return 0;
}

static int op_move(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *from, *path, *key;
    size_t fl, pl, kl;
    char e[200];
    if (str_field(op, "from", &from, &fl, e, sizeof(e))) {
        fail_invalid(c, "move operation failed to decode from: %s", e);
        return -1;
    }
    struct kapi_value *con = find_parent(c, *root, from, fl, &key, &kl);
    if (!con) {
        fail_invalid(c, "move operation does not apply: doc is missing from path: %.*s: missing value", P(fl), from);
        return -1;
    }
    struct kapi_value *val;
    if (con_get(con, key, kl, &val, e, sizeof(e)) || con_remove(con, key, kl, e, sizeof(e))) {
        fail_invalid(c, "error in move for path: '%.*s': %s", P(kl), key, e);
        return -1;
    }
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "move operation failed to decode path: %s", e);
        return -1;
    }
    con = find_parent(c, *root, path, pl, &key, &kl);
    if (!con) {
        fail_invalid(c, "move operation does not apply: doc is missing destination path: %.*s: missing value",
                     P(pl), path);
        return -1;
    }
    if (con_add(c, con, key, kl, val, e, sizeof(e))) {
        fail_invalid(c, "error in move for path: '%.*s': %s", P(pl), path, e);
        return -1;
    }
    return 0;
}

static int op_test(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *path, *key;
    size_t pl, kl;
    char e[200];
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "test operation failed to decode path: %s", e);
        return -1;
    }
    size_t vi = obj_find(op, "value", 5);
    const struct kapi_value *want = vi == SIZE_MAX ? NULL : op->u.obj.members[vi].val;
    const struct kapi_value *got;
    if (pl == 0) {
        if (vi == SIZE_MAX) {
            fail_panic(c, "test of the root without a value");
            return -1;
        }
        got = *root;
    } else {
        struct kapi_value *con = find_parent(c, *root, path, pl, &key, &kl);
        if (!con) {
            fail_invalid(c, "test operation does not apply: is missing path: %.*s: missing value", P(pl), path);
            return -1;
        }
        struct kapi_value *g;
        if (con_get(con, key, kl, &g, e, sizeof(e))) {
            fail_invalid(c, "error in test for path: '%.*s': %s", P(pl), path, e);
            return -1;
        }
        got = g;
        if (is_null(got)) {
            if (vi == SIZE_MAX) {
                fail_panic(c, "test of a null or missing member without a value");
                return -1;
            }
            if (is_null(want))
                return 0;
            fail_invalid(c, "testing value %.*s failed: test failed", P(pl), path);
            return -1;
        }
        if (vi == SIZE_MAX) {
            fail_invalid(c, "testing value %.*s failed: test failed", P(pl), path);
            return -1;
        }
    }
    int r = test_equal(got, want);
    if (r == EQ_PANIC) {
        fail_panic(c, "test comparing arrays with a null element");
        return -1;
    }
    if (r == EQ_NO) {
        fail_invalid(c, "testing value %.*s failed: test failed", P(pl), path);
        return -1;
    }
    return 0;
}

static int op_copy(struct ctx *c, struct kapi_value **root, const struct kapi_value *op)
{
    const char *from, *path, *key;
    size_t fl, pl, kl;
    char e[200];
    if (str_field(op, "from", &from, &fl, e, sizeof(e))) {
        fail_invalid(c, "copy operation failed to decode from: %s", e);
        return -1;
    }
    struct kapi_value *con = find_parent(c, *root, from, fl, &key, &kl);
    if (!con) {
        fail_invalid(c, "copy operation does not apply: doc is missing from path: %.*s: missing value", P(fl), from);
        return -1;
    }
    struct kapi_value *val; /* NULL for a missing object key: v4 copies it as null */
    if (con_get(con, key, kl, &val, e, sizeof(e))) {
        fail_invalid(c, "error in copy for from: '%.*s': %s", P(fl), from, e);
        return -1;
    }
    if (str_field(op, "path", &path, &pl, e, sizeof(e))) {
        fail_invalid(c, "copy operation failed to decode path: missing value");
        return -1;
    }
    con = find_parent(c, *root, path, pl, &key, &kl);
    if (!con) {
        fail_invalid(c, "copy operation does not apply: doc is missing destination path: %.*s: missing value",
                     P(pl), path);
        return -1;
    }
    /* v4 charges the compact JSON encoding of the copied node; a nil (null)
     * node costs nothing. The writer produces Go's bytes, so sizes agree. */
    size_t sz = 0;
    if (!is_null(val)) {
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        int rc = kapi_json_write(&b, val);
        sz = b.len;
        kapi_buf_dispose(&b);
        if (rc < 0) {
            fail_invalid(c, "error while performing deep copy: json: unsupported value");
            return -1;
        }
    }
    c->copied += (long long)sz;
    if (c->copied > KAPI_JSONPATCH_MAX_COPY_BYTES) {
        fail_invalid(c,
                     "Unable to complete the copy, the accumulated size increase of copy is %lld, exceeding the "
                     "limit %d",
                     c->copied, KAPI_JSONPATCH_MAX_COPY_BYTES);
        return -1;
    }
    if (con_add(c, con, key, kl, clone_tree(c->pool, val, false), e, sizeof(e))) {
        fail_invalid(c, "error while adding value during copy: %s", e);
        return -1;
    }
    return 0;
}

struct kapi_value *kapi_json_patch_apply(struct kapi_pool *pool, struct kapi_value *doc,
                                         const struct kapi_value *patch, struct kapi_patch_error *err)
{
    memset(err, 0, sizeof(*err));
    /* Decoding into Go's []Operation: null is an empty patch; anything else
     * that is not an array of objects/nulls is a 400 naming the Go type. */
    if (is_null(patch))
        return doc;
    if (patch->type != KAPI_V_ARRAY) {
        set_error(err, 400, "BadRequest", "");
        snprintf(err->msg, sizeof(err->msg), "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
                 go_kind(patch));
        snprintf(err->detail, sizeof(err->detail), "%s", err->msg);
        return NULL;
    }
    size_t nops = patch->u.arr.len;
    for (size_t i = 0; i < nops; i++) {
        const struct kapi_value *op = patch->u.arr.items[i];
        if (!is_null(op) && op->type != KAPI_V_OBJECT) {
            set_error(err, 400, "BadRequest", "");
            snprintf(err->msg, sizeof(err->msg),
                     "json: cannot unmarshal %s into Go value of type jsonpatch.Operation", go_kind(op));
            snprintf(err->detail, sizeof(err->detail), "%s", err->msg);
            return NULL;
        }
    }
    if (nops > KAPI_JSONPATCH_MAX_OPS) {
        set_error(err, 413, "RequestEntityTooLarge", "");
        snprintf(err->msg, sizeof(err->msg),
                 "Request entity too large: The allowed maximum operations in a JSON patch is %d, got %zu",
                 KAPI_JSONPATCH_MAX_OPS, nops);
        snprintf(err->detail, sizeof(err->detail), "%s", err->msg);
        return NULL;
    }

    struct ctx c = {.pool = pool, .err = err};
    if (!is_container(doc)) {
        fail_invalid(&c, "json: cannot unmarshal %s into Go value of type jsonpatch.partialDoc", go_kind(doc));
        return NULL;
    }
    struct kapi_value *root = doc;
    int rc = 0;
    for (size_t i = 0; i < nops && rc == 0; i++) {
        const struct kapi_value *op = patch->u.arr.items[i];
        const struct kapi_value *kind = is_null(op) ? NULL : op_member(op, "op", 2);
        /* Operation.Kind(): a missing or non-string "op" reads as "unknown". */
        const char *k = "unknown";
        size_t kn = 7;
        if (kind && kind->type == KAPI_V_STRING) {
            k = kind->u.str.s;
            kn = kind->u.str.len;
        }
#define IS(lit) (kn == sizeof(lit) - 1 && memcmp(k, lit, kn) == 0)
        if (IS("add"))
            rc = op_add(&c, &root, op);
        else if (IS("remove"))
            rc = op_remove(&c, &root, op);
        else if (IS("replace"))
            rc = op_replace(&c, &root, op);
        else if (IS("move"))
            rc = op_move(&c, &root, op);
        else if (IS("test"))
            rc = op_test(&c, &root, op);
        else if (IS("copy"))
            rc = op_copy(&c, &root, op);
        else {
            fail_invalid(&c, "Unexpected kind: %.*s", P(kn), k);
            rc = -1;
        }
#undef IS
    }
    free(c.scratch);
    if (rc)
        return NULL;
    /* Operations can stack nesting past what any reader accepts; upstream
     * fails when decoding the result, we fail here so no later recursive
     * consumer ever sees such a tree. */
    if (too_deep(root, KAPI_JSON_MAX_DEPTH)) {
        fail_invalid(&c, "json: exceeded max depth");
        return NULL;
    }
    return root;
}

/* --------------------------------------------------------- merge patch */

static uint64_t key_hash(const char *k, size_t n)
{
    return kapi_fnv1a(KAPI_FNV_INIT, k, n);
}

/* Merges object patch p into object d in place, descending through pairs of
 * objects with an explicit stack. Each pair costs O(|d| + |p|): the patch's
 * keys go into a hash table, the doc's members are filtered in one pass, and
 * new keys are appended in patch order (a Go map has no order; ours keeps
 * existing members where they were). */
static void merge_objects(struct kapi_pool *pool, struct kapi_value *d0, const struct kapi_value *p0)
{
    struct pair { struct kapi_value *d; const struct kapi_value *p; } *st = NULL;
    size_t n = 0, cap = 0;
    uint32_t *tab = NULL;
    size_t tcap = 0;
    bool *used = NULL;
    size_t ucap = 0;
    st = grow(st, &cap, 1, sizeof(*st));
    st[n++] = (struct pair){d0, p0};
    while (n) {
        struct pair pr = st[--n];
        struct kapi_value *d = pr.d;
        const struct kapi_value *p = pr.p;
        size_t m = p->u.obj.len;
        if (!m)
            continue;
        size_t tsize = 16;
        while (tsize < 2 * m)
            tsize *= 2;
        tab = grow(tab, &tcap, tsize, sizeof(*tab));
        memset(tab, 0, tsize * sizeof(*tab));
        used = grow(used, &ucap, m, sizeof(*used));
        memset(used, 0, m * sizeof(*used));
        for (size_t j = 0; j < m; j++) {
            const struct kapi_member *pm = &p->u.obj.members[j];
            size_t h = (size_t)key_hash(pm->key, pm->klen) & (tsize - 1);
            for (;; h = (h + 1) & (tsize - 1)) {
                if (!tab[h]) {
                    tab[h] = (uint32_t)j + 1;
                    break;
                }
                const struct kapi_member *o = &p->u.obj.members[tab[h] - 1];
                if (o->klen == pm->klen && memcmp(o->key, pm->key, pm->klen) == 0) {
                    used[tab[h] - 1] = true; /* a repeated key: the last one wins */
                    tab[h] = (uint32_t)j + 1;
                    break;
                }
            }
        }
        size_t w = 0;
        for (size_t r = 0; r < d->u.obj.len; r++) {
            struct kapi_member dm = d->u.obj.members[r];
            size_t h = (size_t)key_hash(dm.key, dm.klen) & (tsize - 1);
            size_t j = SIZE_MAX;
            for (; tab[h]; h = (h + 1) & (tsize - 1)) {
                const struct kapi_member *o = &p->u.obj.members[tab[h] - 1];
                if (o->klen == dm.klen && memcmp(o->key, dm.key, dm.klen) == 0) {
                    j = tab[h] - 1;
                    break;
                }
            }
            if (j != SIZE_MAX) {
                used[j] = true;
                const struct kapi_value *pv = p->u.obj.members[j].val;
                if (is_null(pv))
                    continue; /* deleted */
                if (is_null(dm.val) || dm.val->type != KAPI_V_OBJECT) {
                    dm.val = clone_tree(pool, pv, true);
                } else if (pv->type == KAPI_V_OBJECT) {
                    st = grow(st, &cap, n + 1, sizeof(*st));
                    st[n++] = (struct pair){dm.val, pv};
                } else {
                    /* v4 returns a non-object patch value over an object
                     * as is, without pruning its nulls. */
                    dm.val = clone_tree(pool, pv, false);
                }
            }
            d->u.obj.members[w++] = dm;
        }
        d->u.obj.len = w;
        for (size_t j = 0; j < m; j++) {
            const struct kapi_member *pm = &p->u.obj.members[j];
            if (used[j] || is_null(pm->val))
                continue;
            kapi_obj_append(pool, d, kapi_pool_strndup(pool, pm->key, pm->klen), pm->klen,
                       clone_tree(pool, pm->val, true));
        }
    }
    free(st);
    free(tab);
    free(used);
}

struct kapi_value *kapi_merge_patch_apply(struct kapi_pool *pool, struct kapi_value *doc,
                                          const struct kapi_value *patch, struct kapi_patch_error *err)
{
    memset(err, 0, sizeof(*err));
    /* The checks run in v4's order: a null document before a null patch. */
    if (is_null(doc)) {
        set_error(err, 500, "", "Invalid JSON Document");
        snprintf(err->detail, sizeof(err->detail), "Invalid JSON Document");
        return NULL;
    }
    if (is_null(patch) || (patch->type != KAPI_V_OBJECT && patch->type != KAPI_V_ARRAY)) {
        set_error(err, 400, "BadRequest", "Invalid JSON Patch");
        snprintf(err->detail, sizeof(err->detail), "Invalid JSON Patch");
        return NULL;
    }
    if (doc->type != KAPI_V_OBJECT || patch->type != KAPI_V_OBJECT)
        return clone_tree(pool, patch, true);
    merge_objects(pool, doc, patch);
    return doc;
}

/* ------------------------------------------------- strict pre-decoding */

static int strict_fail(struct kapi_patch_error *err, const char *what, const struct kapi_value *v,
                       const char *type)
{
    set_error(err, 400, "BadRequest", "");
    snprintf(err->msg, sizeof(err->msg), "error decoding patch: json: cannot unmarshal %s into Go %s %s",
             go_kind(v), what, type);
    snprintf(err->detail, sizeof(err->detail), "%s", err->msg);
    return -1;
}

int kapi_json_patch_check_strict(const struct kapi_value *patch, struct kapi_patch_error *err)
{
    memset(err, 0, sizeof(*err));
    if (is_null(patch))
        return 0;
    if (patch->type != KAPI_V_ARRAY)
        return strict_fail(err, "value of type", patch, "[]handlers.jsonPatchOp");
    /* Go keeps decoding after a type error and reports the first one. */
    for (size_t i = 0; i < patch->u.arr.len; i++) {
        const struct kapi_value *op = patch->u.arr.items[i];
        if (is_null(op))
            continue;
        if (op->type != KAPI_V_OBJECT)
            return strict_fail(err, "value of type", op, "handlers.jsonPatchOp");
        for (size_t j = 0; j < op->u.obj.len; j++) {
            const struct kapi_member *m = &op->u.obj.members[j];
            bool field = (m->klen == 2 && memcmp(m->key, "op", 2) == 0) ||
                         (m->klen == 4 && (memcmp(m->key, "path", 4) == 0 || memcmp(m->key, "from", 4) == 0));
            if (field && !is_null(m->val) && m->val->type != KAPI_V_STRING) {
                char what[64];
                snprintf(what, sizeof(what), "struct field jsonPatchOp.%s of type", m->key);
                return strict_fail(err, what, m->val, "string");
            }
        }
    }
    return 0;
}

int kapi_merge_patch_check_strict(const struct kapi_value *patch, struct kapi_patch_error *err)
{
    memset(err, 0, sizeof(*err));
    if (is_null(patch) || patch->type == KAPI_V_OBJECT)
        return 0;
    return strict_fail(err, "value of type", patch, "map[string]interface {}");
}
