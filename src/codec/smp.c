/* Strategic merge patch. The algorithm follows upstream's behaviour step by
 * step because clients (kubectl apply, edit, label, the Python client) depend
 * on its exact ordering rules and quirks; see docs/internals/smp.md.
 *
 * Go semantics that matter and are emulated here:
 *  - maps are references: merging mutates the original and patch maps in
 *    place, and patch maps appended to a list stay shared with the patch;
 *  - slices are (pointer, len, cap) headers: deleting from a merge list shifts
 *    the backing array in place and later appends reuse the freed tail, which
 *    the $setElementOrder code then sees through its own header (struct gs);
 *  - interface equality: int64 and float64 never compare equal, comparing two
 *    maps or lists panics (so does hashing them);
 *  - sort.SliceStable with upstream's inconsistent "less" is reproduced with
 *    Go's own insertion-sort + SymMerge so the order matches.
 *
 * The engine is recursive (depth follows the documents); kapi_smp_apply runs
 * it on a helper thread with a large stack when the inputs are deep. */
#include "smp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../schema/schema.h"

#define MSG_PANIC "This request caused apiserver to panic. Look in the logs for details."
#define MSG_INVALID "the server rejected our request due to an error in our request"
#define MSG_TIMEOUT "Timeout: request did not complete within requested timeout - context deadline exceeded"

#define ERR_PRIMITIVE_LIST "invalid patch format of primitive list"
#define ERR_RETAIN_KEYS "invalid patch format of retainKeys"
#define ERR_SET_ORDER "invalid patch format of setElementOrder list"

#define DIRECTIVE "$patch"
#define RETAIN_KEYS "$retainKeys"
#define DEL_PREFIX "$deleteFromPrimitiveList"
#define ORDER_PREFIX "$setElementOrder"

/* Deeper inputs than this run on a helper thread. */
#define SMP_INLINE_DEPTH 200
#define SMP_STACK_PER_LEVEL (16u << 10)

struct ctx {
    struct kapi_pool *pool;
    struct kapi_smp_error *err;
    uint64_t work;
    bool failed;
};

/* ---- errors ---------------------------------------------------------- */

static void set_err(struct ctx *c, int code, const char *reason, const char *msg)
{
    if (c->failed)
        return;
    c->failed = true;
    c->err->code = code;
    c->err->reason = reason;
    snprintf(c->err->msg, sizeof(c->err->msg), "%s", msg);
}

static void fail_panic(struct ctx *c)
{
    set_err(c, 500, NULL, MSG_PANIC);
}

static bool charge(struct ctx *c, uint64_t n)
{
    c->work += n;
    if (c->work > KAPI_SMP_MAX_WORK) {
        set_err(c, 504, "Timeout", MSG_TIMEOUT);
        return false;
    }
    return !c->failed;
}

/* ---- Go fmt of interface{} values (for error texts) -------------------- */

struct fbuf {
    char *p;
    size_t len, cap;
};

static void fb_put(struct fbuf *b, const char *s, size_t n)
{
    if (b->len + 1 >= b->cap)
        return;
    size_t room = b->cap - 1 - b->len;
    if (n > room)
        n = room;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void fb_puts(struct fbuf *b, const char *s)
{
    fb_put(b, s, strlen(s));
}

static bool fb_full(const struct fbuf *b)
{
    return b->len + 1 >= b->cap;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 64), which %v uses. */
static void fmt_float(char out[40], double f)
{
    char tmp[40];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
        if (strtod(tmp, NULL) == f)
            break;
    }
    /* tmp is [-]d[.ddd]e[+-]xx */
    char digits[24];
    size_t nd = 0;
    const char *q = tmp;
    bool neg = *q == '-';
    if (neg)
        q++;
    for (; *q && *q != 'e'; q++)
        if (*q >= '0' && *q <= '9')
            digits[nd++] = *q;
    int exp = atoi(q + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    char *o = out;
    if (neg)
        *o++ = '-';
    if (f == 0) {
        strcpy(o, "0");
        return;
    }
    if (exp < -4 || exp >= 6) {
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, nd - 1);
            o += nd - 1;
        }
        unsigned ae = (unsigned)(exp < 0 ? -exp : exp) % 1000u;
        *o++ = 'e';
        *o++ = exp < 0 ? '-' : '+';
        if (ae >= 100)
            *o++ = (char)('0' + ae / 100);
        *o++ = (char)('0' + ae / 10 % 10);
        *o++ = (char)('0' + ae % 10);
        *o = 0;
        return;
    }
    if (exp < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exp; i--)
            *o++ = '0';
        memcpy(o, digits, nd);
        o += nd;
    } else {
        for (int i = 0; i <= exp; i++)
            *o++ = (size_t)i < nd ? digits[i] : '0';
        if (nd > (size_t)exp + 1) {
            *o++ = '.';
            memcpy(o, digits + exp + 1, nd - (size_t)exp - 1);
            o += nd - (size_t)exp - 1;
        }
    }
    *o = 0;
}

static int cmp_member_ptr(const void *a, const void *b)
{
    const struct kapi_member *x = *(const struct kapi_member *const *)a;
    const struct kapi_member *y = *(const struct kapi_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->klen < y->klen ? -1 : x->klen > y->klen);
}

/* verb 'v' or 's'. Stops descending once the buffer is full, which also
 * bounds the recursion. */
static void fmt_value(struct fbuf *b, const struct kapi_value *v, char verb)
{
    char num[48];
    if (fb_full(b))
        return;
    if (!v || v->type == KAPI_V_NULL) {
        fb_puts(b, verb == 's' ? "%!s(<nil>)" : "<nil>");
        return;
    }
    switch (v->type) {
    case KAPI_V_BOOL:
        fb_puts(b, verb == 's' ? (v->u.b ? "%!s(bool=true)" : "%!s(bool=false)")
                               : (v->u.b ? "true" : "false"));
        return;
    case KAPI_V_INT:
        snprintf(num, sizeof(num), verb == 's' ? "%%!s(int64=%lld)" : "%lld", (long long)v->u.i);
        fb_puts(b, num);
        return;
    case KAPI_V_FLOAT: {
        char f[40];
        fmt_float(f, v->u.f);
        if (verb == 's') {
            fb_puts(b, "%!s(float64=");
            fb_puts(b, f);
            fb_puts(b, ")");
        } else {
            fb_puts(b, f);
        }
        return;
    }
    case KAPI_V_STRING:
        fb_put(b, v->u.str.s, v->u.str.len);
        return;
    case KAPI_V_ARRAY:
        fb_puts(b, "[");
        for (size_t i = 0; i < v->u.arr.len && !fb_full(b); i++) {
            if (i)
                fb_puts(b, " ");
            fmt_value(b, v->u.arr.items[i], verb);
        }
        fb_puts(b, "]");
        return;
    case KAPI_V_OBJECT: {
        size_t n = v->u.obj.len;
        fb_puts(b, "map[");
        if (n) {
            const struct kapi_member **ms = kapi_xmalloc(n * sizeof(*ms));
            for (size_t i = 0; i < n; i++)
                ms[i] = &v->u.obj.members[i];
            qsort(ms, n, sizeof(*ms), cmp_member_ptr);
            for (size_t i = 0; i < n && !fb_full(b); i++) {
                if (i)
                    fb_puts(b, " ");
                fb_put(b, ms[i]->key, ms[i]->klen);
                fb_puts(b, ":");
                fmt_value(b, ms[i]->val, verb);
            }
            free(ms);
        }
        fb_puts(b, "]");
        return;
    }
    default:
        return;
    }
}

/* reflect.TypeOf(v).String(), as %s prints it. */
static const char *go_type(const struct kapi_value *v)
{
    if (!v)
        return "%!s(<nil>)";
    switch (v->type) {
    case KAPI_V_NULL: return "%!s(<nil>)";
    case KAPI_V_BOOL: return "bool";
    case KAPI_V_INT: return "int64";
    case KAPI_V_FLOAT: return "float64";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "[]interface {}";
    case KAPI_V_OBJECT: return "map[string]interface {}";
    }
    return "%!s(<nil>)";
}

#define T_MAP "map[string]interface {}"
#define T_SLICE "[]interface {}"

static void fail_500(struct ctx *c, const char *msg)
{
    set_err(c, 500, "", msg);
}

static void fail_bad_arg(struct ctx *c, const char *expected, const struct kapi_value *actual)
{
    char m[256];
    snprintf(m, sizeof(m), "expected a %s, but received a %s", expected, go_type(actual));
    fail_500(c, m);
}

static void fail_no_merge_key(struct ctx *c, const struct kapi_value *m, const char *key)
{
    char buf[512];
    struct fbuf b = {buf, 0, sizeof(buf)};
    buf[0] = 0;
    fb_puts(&b, "map: ");
    fmt_value(&b, m, 'v');
    fb_puts(&b, " does not contain declared merge key: ");
    fb_puts(&b, key);
    fail_500(c, buf);
}

static void fail_bad_patch_type(struct ctx *c, const struct kapi_value *t, const struct kapi_value *m)
{
    char buf[512];
    struct fbuf b = {buf, 0, sizeof(buf)};
    buf[0] = 0;
    fb_puts(&b, "unknown patch type: ");
    fmt_value(&b, t, 's');
    fb_puts(&b, " in map: ");
    fmt_value(&b, m, 'v');
    fail_500(c, buf);
}

/* ---- value helpers ----------------------------------------------------- */

static bool is_nil(const struct kapi_value *v)
{
    return !v || v->type == KAPI_V_NULL;
}

static long obj_find(struct ctx *c, const struct kapi_value *o, const char *k, size_t kl)
{
    charge(c, o->u.obj.len / 8 + 1);
    for (size_t i = 0; i < o->u.obj.len; i++) {
        const struct kapi_member *m = &o->u.obj.members[i];
        if (m->klen == kl && memcmp(m->key, k, kl) == 0)
            return (long)i;
    }
    return -1;
}

static struct kapi_value *obj_lookup(struct ctx *c, const struct kapi_value *o, const char *k, bool *found)
{
    long i = obj_find(c, o, k, strlen(k));
    if (found)
        *found = i >= 0;
    return i >= 0 ? o->u.obj.members[i].val : NULL;
}

static void obj_remove_at(struct kapi_value *o, size_t i)
{
    memmove(&o->u.obj.members[i], &o->u.obj.members[i + 1],
            (o->u.obj.len - i - 1) * sizeof(struct kapi_member));
    o->u.obj.len--;
}

static void obj_delete(struct ctx *c, struct kapi_value *o, const char *k, size_t kl)
{
    long i = obj_find(c, o, k, kl);
    if (i >= 0)
        obj_remove_at(o, (size_t)i);
}

static void obj_put(struct ctx *c, struct kapi_value *o, const char *k, size_t kl, struct kapi_value *v)
{
    long i = obj_find(c, o, k, kl);
    if (i >= 0) {
        o->u.obj.members[i].val = v;
        return;
    }
    if (o->u.obj.len == o->u.obj.cap) {
        size_t nc = o->u.obj.cap ? o->u.obj.cap * 2 : 8;
        struct kapi_member *nm = kapi_pool_alloc(c->pool, nc * sizeof(*nm));
        if (o->u.obj.len)
            memcpy(nm, o->u.obj.members, o->u.obj.len * sizeof(*nm));
        o->u.obj.members = nm;
        o->u.obj.cap = nc;
    }
    struct kapi_member *m = &o->u.obj.members[o->u.obj.len++];
    m->key = kapi_pool_strndup(c->pool, k, kl);
    m->klen = kl;
    m->val = v;
}

static bool has_prefix(const char *k, size_t kl, const char *p)
{
    size_t pl = strlen(p);
    return kl >= pl && memcmp(k, p, pl) == 0;
}

static bool str_is(const struct kapi_value *v, const char *s)
{
    return v && v->type == KAPI_V_STRING && v->u.str.len == strlen(s) && memcmp(v->u.str.s, s, v->u.str.len) == 0;
}

/* Go's == on two interface{} values: false across dynamic types, a panic
 * for two maps or two slices. */
static bool iface_eq(struct ctx *c, const struct kapi_value *a, const struct kapi_value *b)
{
    if (is_nil(a) || is_nil(b))
        return is_nil(a) && is_nil(b);
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KAPI_V_BOOL: return a->u.b == b->u.b;
    case KAPI_V_INT: return a->u.i == b->u.i;
    case KAPI_V_FLOAT: return a->u.f == b->u.f;
    case KAPI_V_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    default:
        fail_panic(c);
        return false;
    }
}

static bool unhashable(const struct kapi_value *v)
{
    return v && (v->type == KAPI_V_ARRAY || v->type == KAPI_V_OBJECT);
}

/* A Go slice header over an array of values. */
struct gs {
    struct kapi_value **items;
    size_t len, cap;
};

static struct gs gs_of(const struct kapi_value *a)
{
    struct gs s = {a->u.arr.items, a->u.arr.len, a->u.arr.len};
    return s;
}

static void gs_append(struct ctx *c, struct gs *s, struct kapi_value *v)
{
    if (s->len == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4;
        struct kapi_value **n = kapi_pool_alloc(c->pool, nc * sizeof(*n));
        if (s->len)
            memcpy(n, s->items, s->len * sizeof(*n));
        s->items = n;
        s->cap = nc;
    }
    s->items[s->len++] = v;
}

/* A fresh array value holding s's elements (own storage, so later in-place
 * edits of s's backing array cannot reach the result). */
static struct kapi_value *gs_to_array(struct ctx *c, const struct gs *s)
{
    struct kapi_value *a = kapi_value_array(c->pool);
    size_t n = s->len ? s->len : 1;
    a->u.arr.items = kapi_pool_alloc(c->pool, n * sizeof(struct kapi_value *));
    if (s->len)
        memcpy(a->u.arr.items, s->items, s->len * sizeof(struct kapi_value *));
    a->u.arr.len = s->len;
    a->u.arr.cap = n;
    return a;
}

static void fmt_gs(struct fbuf *b, const struct gs *s)
{
    fb_puts(b, "[");
    for (size_t i = 0; i < s->len && !fb_full(b); i++) {
        if (i)
            fb_puts(b, " ");
        fmt_value(b, s->items[i], 'v');
    }
    fb_puts(b, "]");
}

/* ---- the Go types behind the JSON -------------------------------------- */

enum gkind { G_STRUCT, G_MAP, G_SLICE, G_SCALAR, G_ANY };

struct gtype {
    uint8_t g;
    uint8_t pk;                          /* scalar kind (of elements for map/slice) */
    const struct kapi_schema_msg *msg;   /* struct, or element struct of map/slice */
};

enum { S_NONE, S_MERGE, S_REPLACE };

struct pmeta {
    struct gtype sub;
    int strategy;
    const char *merge_key;  /* "" if none */
};

static struct gtype type_of_msg(const struct kapi_schema_msg *m)
{
    struct gtype t = {G_STRUCT, KAPI_PB_MESSAGE, m};
    if (m->flags & KAPI_SCHEMA_M_SLICE) {
        /* A named Go slice (ExtraValue, Verbs): its items field says what of. */
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, 0);
        t.g = G_SLICE;
        t.pk = f ? f->kind : KAPI_PB_STRING;
        t.msg = f ? kapi_schema_field_msg(f) : NULL;
    }
    return t;
}

static struct gtype type_of_elem(const struct gtype *t)
{
    if (t->msg)
        return type_of_msg(t->msg);
    struct gtype s = {G_SCALAR, t->pk, NULL};
    return s;
}

static struct gtype type_of_field(const struct kapi_schema_field *f)
{
    const struct kapi_schema_msg *m = kapi_schema_field_msg(f);
    struct gtype t = {G_SCALAR, f->kind, m};
    if (f->flags & KAPI_SCHEMA_F_MAP)
        t.g = G_MAP;
    else if (f->flags & KAPI_SCHEMA_F_REPEATED)
        t.g = G_SLICE;
    else if (m)
        t = type_of_msg(m);
    return t;
}

static const char *pk_name(uint8_t pk)
{
    switch (pk) {
    case KAPI_PB_STRING: return "string";
    case KAPI_PB_BYTES: return "slice";
    case KAPI_PB_BOOL: return "bool";
    case KAPI_PB_INT32: return "int32";
    case KAPI_PB_INT64: return "int64";
    case KAPI_PB_UINT32: return "uint32";
    case KAPI_PB_UINT64: return "uint64";
    case KAPI_PB_DOUBLE: return "float64";
    case KAPI_PB_FLOAT: return "float32";
    default: return "struct";
    }
}

/* reflect.Kind name of t. */
static const char *kind_name(const struct gtype *t)
{
    switch (t->g) {
    case G_STRUCT: return "struct";
    case G_MAP: return "map";
    case G_SLICE: return "slice";
    case G_ANY: return "interface";
    default: return pk_name(t->pk);
    }
}

static bool ascii_ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

/* Go's JSON field matching falls back to a case-insensitive match. */
static const struct kapi_schema_field *field_fold(const struct kapi_schema_msg *m, const char *k, size_t kl,
                                                  int depth)
{
    if (depth > 8)
        return NULL;
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, i);
        if (f->flags & KAPI_SCHEMA_F_INLINE) {
            const struct kapi_schema_field *g = field_fold(kapi_schema_field_msg(f), k, kl, depth + 1);
            if (g)
                return g;
        } else if (f->name_len == kl && ascii_ieq(f->name, k, kl)) {
            return f;
        }
    }
    return NULL;
}

static void quote_go(struct fbuf *b, const char *s, size_t n)
{
    fb_puts(b, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char e[8];
        if (ch == '"' || ch == '\\') {
            e[0] = '\\';
            e[1] = (char)ch;
            fb_put(b, e, 2);
        } else if (ch == '\n') {
            fb_puts(b, "\\n");
        } else if (ch == '\t') {
            fb_puts(b, "\\t");
        } else if (ch == '\r') {
            fb_puts(b, "\\r");
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(e, sizeof(e), "\\x%02x", ch);
            fb_puts(b, e);
        } else {
            fb_put(b, (const char *)&ch, 1);
        }
    }
    fb_puts(b, "\"");
}

/* LookupPatchMetadataForStruct. lenient: a field our tables do not know in a
 * plain message is merged as untyped JSON (only reachable when a stored
 * object carries fields upstream would have dropped on decode). */
static bool lookup_struct(struct ctx *c, const struct gtype *t, const char *k, size_t kl, bool lenient,
                          struct pmeta *out)
{
    out->strategy = S_NONE;
    out->merge_key = "";
    out->sub.g = G_ANY;
    out->sub.pk = 0;
    out->sub.msg = NULL;
    switch (t->g) {
    case G_ANY:
        return true;
    case G_MAP:
        out->sub = type_of_elem(t);
        return true;
    case G_STRUCT:
        break;
    default: {
        char m[160];
        snprintf(m, sizeof(m), "merging an object in json but data type is not map or struct, instead is: %s",
                 kind_name(t));
        fail_500(c, m);
        return false;
    }
    }
    const struct kapi_schema_field *f = NULL;
    if (t->msg->special == KAPI_SCHEMA_PLAIN) {
        f = kapi_schema_field_lookup(t->msg, k, kl, NULL);
        if (!f)
            f = field_fold(t->msg, k, kl, 0);
    }
    if (!f) {
        if (lenient && t->msg->special == KAPI_SCHEMA_PLAIN)
            return true;
        char buf[512];
        struct fbuf b = {buf, 0, sizeof(buf)};
        buf[0] = 0;
        fb_puts(&b, "unable to find api field in struct ");
        fb_puts(&b, t->msg->name);
        fb_puts(&b, " for the json field ");
        quote_go(&b, k, kl);
        fail_500(c, buf);
        return false;
    }
    out->sub = type_of_field(f);
    if (f->patch_strategy & KAPI_SCHEMA_PATCH_MERGE)
        out->strategy = S_MERGE;
    else if (f->patch_strategy & KAPI_SCHEMA_PATCH_REPLACE)
        out->strategy = S_REPLACE;
    out->merge_key = f->patch_merge_key ? f->patch_merge_key : "";
    return true;
}

/* LookupPatchMetadataForSlice: the element type of a list field. */
static bool lookup_slice(struct ctx *c, const struct gtype *t, const char *k, size_t kl, bool lenient,
                         struct pmeta *out)
{
    if (!lookup_struct(c, t, k, kl, lenient, out))
        return false;
    if (out->sub.g == G_ANY)
        return true;
    if (out->sub.g != G_SLICE) {
        char m[128];
        snprintf(m, sizeof(m), "expected slice or array type, but got: %s", kind_name(t));
        fail_500(c, m);
        return false;
    }
    out->sub = type_of_elem(&out->sub);
    if (out->sub.g == G_SLICE) {
        fail_500(c, "unexpected slice of slice");
        return false;
    }
    return true;
}

/* ---- patch clean-up helpers ------------------------------------------ */

/* Drops null members of every map in v (list elements that are null stay). */
static void discard_nulls(struct ctx *c, struct kapi_value *v)
{
    if (!v || c->failed)
        return;
    if (v->type == KAPI_V_OBJECT) {
        size_t w = 0;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            struct kapi_member m = v->u.obj.members[i];
            if (is_nil(m.val))
                continue;
            discard_nulls(c, m.val);
            v->u.obj.members[w++] = m;
        }
        v->u.obj.len = w;
    } else if (v->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < v->u.arr.len; i++)
            discard_nulls(c, v->u.arr.items[i]);
    }
    charge(c, 1);
}

/* Removes maps carrying "$patch" from v (maps in place, lists copied as Go
 * builds a new slice). Returns the value to use, or NULL when v itself is
 * such a map and must not be kept. */
static struct kapi_value *remove_directives(struct ctx *c, struct kapi_value *v)
{
    if (!v || c->failed)
        return v;
    charge(c, 1);
    if (v->type == KAPI_V_OBJECT) {
        if (obj_find(c, v, DIRECTIVE, strlen(DIRECTIVE)) >= 0)
            return NULL;
        size_t w = 0;
        for (size_t i = 0; i < v->u.obj.len; i++) {
            struct kapi_member m = v->u.obj.members[i];
            m.val = remove_directives(c, m.val);
            if (m.val)
                v->u.obj.members[w++] = m;
        }
        v->u.obj.len = w;
        return v;
    }
    if (v->type == KAPI_V_ARRAY) {
        struct gs r = {NULL, 0, 0};
        for (size_t i = 0; i < v->u.arr.len; i++) {
            struct kapi_value *e = remove_directives(c, v->u.arr.items[i]);
            if (e)
                gs_append(c, &r, e);
        }
        return gs_to_array(c, &r);
    }
    return v;
}

/* ---- list helpers ----------------------------------------------------- */

/* sliceElementType over two slices: the common element type, or -1. */
static int elem_type(struct ctx *c, const struct gs *a, const struct gs *b)
{
    int prev = -1;
    const struct gs *ss[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ss[s]->len; i++) {
            const struct kapi_value *v = ss[s]->items[i];
            int cur = is_nil(v) ? KAPI_V_NULL : (int)v->type;
            if (prev < 0) {
                if (cur == KAPI_V_NULL) {
                    /* reflect.TypeOf(nil).Kind(): nil dereference upstream */
                    fail_panic(c);
                    return -1;
                }
                if (cur == KAPI_V_ARRAY) {
                    set_err(c, 422, "Invalid", MSG_INVALID);
                    return -1;
                }
                prev = cur;
            } else if (prev != cur) {
                char buf[512];
                struct fbuf f = {buf, 0, sizeof(buf)};
                buf[0] = 0;
                fb_puts(&f, "list element types are not identical: [");
                fmt_gs(&f, a);
                fb_puts(&f, " ");
                fmt_gs(&f, b);
                fb_puts(&f, "]");
                fail_500(c, buf);
                return -1;
            }
        }
    }
    if (prev < 0) {
        fail_500(c, "no elements in any of the given slices");
        return -1;
    }
    return prev;
}

/* findMapInSliceBasedOnKeyValue: index or -1 (-2 on error). */
static long find_map(struct ctx *c, const struct gs *s, const char *key, const struct kapi_value *val)
{
    if (!charge(c, s->len + 1))
        return -2;
    for (size_t k = 0; k < s->len; k++) {
        const struct kapi_value *m = s->items[k];
        if (!m || m->type != KAPI_V_OBJECT) {
            char msg[64];
            snprintf(msg, sizeof(msg), "value for key %zu is not a map.", k);
            fail_500(c, msg);
            return -2;
        }
        bool found;
        struct kapi_value *mv = obj_lookup(c, m, key, &found);
        if (found && iface_eq(c, mv, val))
            return (long)k;
        if (c->failed)
            return -2;
    }
    return -1;
}

/* deduplicateScalars, element order included. */
static void dedup_scalars(struct ctx *c, struct gs *s)
{
    long length = (long)s->len - 1;
    for (long i = 0; i < length; i++) {
        if (!charge(c, (uint64_t)(length - i)))
            return;
        for (long j = i + 1; j <= length; j++) {
            if (iface_eq(c, s->items[i], s->items[j])) {
                s->items[j] = s->items[length];
                length--;
                j--;
            }
        }
    }
    s->len = (size_t)(length + 1);
}

static bool in_list(struct ctx *c, const struct gs *set, const struct kapi_value *v)
{
    charge(c, set->len + 1);
    for (size_t i = 0; i < set->len; i++)
        if (iface_eq(c, set->items[i], v))
            return true;
    return false;
}

/* Building a Go map keyed by these values: maps and lists cannot be keys. */
static bool check_hashable(struct ctx *c, const struct gs *s)
{
    for (size_t i = 0; i < s->len; i++)
        if (unhashable(s->items[i])) {
            fail_panic(c);
            return false;
        }
    return true;
}

static bool partition_primitives(struct ctx *c, const struct gs *all, const struct gs *by, struct gs *in,
                                 struct gs *out)
{
    if (!check_hashable(c, by) || !check_hashable(c, all))
        return false;
    for (size_t i = 0; i < all->len; i++) {
        if (in_list(c, by, all->items[i]))
            gs_append(c, in, all->items[i]);
        else
            gs_append(c, out, all->items[i]);
        if (c->failed)
            return false;
    }
    return true;
}

static bool partition_maps(struct ctx *c, const struct gs *all, const struct gs *by, const char *mk,
                           struct gs *in, struct gs *out)
{
    for (size_t i = 0; i < all->len; i++) {
        struct kapi_value *v = all->items[i];
        if (!v || v->type != KAPI_V_OBJECT) {
            fail_bad_arg(c, T_MAP, v);
            return false;
        }
        bool found;
        struct kapi_value *kv = obj_lookup(c, v, mk, &found);
        if (!found) {
            fail_no_merge_key(c, v, mk);
            return false;
        }
        long at = find_map(c, by, mk, kv);
        if (at == -2)
            return false;
        gs_append(c, at >= 0 ? in : out, v);
    }
    return true;
}

/* index(): position of v in list, by merge key for maps. */
static long index_of(struct ctx *c, const struct gs *list, const struct kapi_value *v, const char *mk, bool maps)
{
    const struct kapi_value *key = v;
    if (maps)
        key = (v && v->type == KAPI_V_OBJECT) ? obj_lookup(c, v, mk, NULL) : NULL;
    if (!charge(c, list->len + 1))
        return -1;
    for (size_t i = 0; i < list->len; i++) {
        const struct kapi_value *e = list->items[i];
        if (maps)
            e = (e && e->type == KAPI_V_OBJECT) ? obj_lookup(c, e, mk, NULL) : NULL;
        if (iface_eq(c, key, e))
            return (long)i;
        if (c->failed)
            return -1;
    }
    return -1;
}

/* An element being sorted, with its position in the order list computed
 * once, on first use (-2: not yet). */
struct ent {
    struct kapi_value *v;
    long idx;
};

struct sorter {
    struct ctx *c;
    struct ent *e;
    const struct gs *order;
    const char *mk;
    bool maps;
};

static long ent_idx(struct sorter *s, size_t i)
{
    if (s->e[i].idx == -2)
        s->e[i].idx = index_of(s->c, s->order, s->e[i].v, s->mk, s->maps);
    return s->e[i].idx;
}

/* upstream's less: both found -> by position, otherwise "true". */
static bool s_less(struct sorter *s, size_t i, size_t j)
{
    long ii = ent_idx(s, i);
    if (ii >= 0) {
        long ij = ent_idx(s, j);
        if (ij >= 0)
            return ii < ij;
    }
    return true;
}

static void s_swap(struct sorter *s, size_t i, size_t j)
{
    struct ent t = s->e[i];
    s->e[i] = s->e[j];
    s->e[j] = t;
}

/* Go's sort.SliceStable: insertion sort of blocks of 20, then SymMerge. */
static void ins_sort(struct sorter *s, size_t a, size_t b)
{
    for (size_t i = a + 1; i < b; i++)
        for (size_t j = i; j > a && s_less(s, j, j - 1); j--)
            s_swap(s, j, j - 1);
}

static void swap_range(struct sorter *s, size_t a, size_t b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        s_swap(s, a + i, b + i);
}

static void rotate(struct sorter *s, size_t a, size_t m, size_t b)
{
    size_t i = m - a, j = b - m;
    while (i != j) {
        if (i > j) {
            swap_range(s, m - i, m, j);
            i -= j;
        } else {
            swap_range(s, m - i, m + j - i, i);
            j -= i;
        }
    }
    swap_range(s, m - i, m, i);
}

static void sym_merge(struct sorter *s, size_t a, size_t m, size_t b)
{
    if (s->c->failed)
        return;
    if (m - a == 1) {
        size_t i = m, j = b;
        while (i < j) {
            size_t h = (i + j) >> 1;
            if (s_less(s, h, a))
                i = h + 1;
            else
                j = h;
        }
        for (size_t k = a; k + 1 < i; k++)
            s_swap(s, k, k + 1);
        return;
    }
    if (b - m == 1) {
        size_t i = a, j = m;
        while (i < j) {
            size_t h = (i + j) >> 1;
            if (!s_less(s, m, h))
                i = h + 1;
            else
                j = h;
        }
        for (size_t k = m; k > i; k--)
            s_swap(s, k, k - 1);
        return;
    }
    size_t mid = (a + b) >> 1;
    size_t n = mid + m;
    size_t start, r;
    if (m > mid) {
        start = n - b;
        r = mid;
    } else {
        start = a;
        r = m;
    }
    size_t p = n - 1;
    while (start < r) {
        size_t cc = (start + r) >> 1;
        if (!s_less(s, p - cc, cc))
            start = cc + 1;
        else
            r = cc;
    }
    size_t end = n - start;
    if (start < m && m < end)
        rotate(s, start, m, end);
    if (a < start && start < mid)
        sym_merge(s, a, start, mid);
    if (mid < end && end < b)
        sym_merge(s, mid, end, b);
}

static void stable_sort(struct sorter *s, size_t n)
{
    size_t bs = 20, a = 0, b = bs;
    charge(s->c, n);
    while (b <= n) {
        ins_sort(s, a, b);
        a = b;
        b += bs;
    }
    ins_sort(s, a, n);
    while (bs < n && !s->c->failed) {
        a = 0;
        b = 2 * bs;
        while (b <= n) {
            sym_merge(s, a, a + bs, b);
            a = b;
            b += 2 * bs;
        }
        if (a + bs < n)
            sym_merge(s, a, a + bs, n);
        bs *= 2;
    }
}

/* normalizeSliceOrder: sorts toSort by position in order (deletions last). */
static bool normalize_slice(struct ctx *c, struct gs *to_sort, const struct gs *order, const char *mk, bool maps)
{
    struct gs dels = {NULL, 0, 0}, keep = {NULL, 0, 0};
    if (maps) {
        const struct gs *lists[2] = {to_sort, order};
        for (int l = 0; l < 2; l++)
            for (size_t i = 0; i < lists[l]->len; i++) {
                const struct kapi_value *m = lists[l]->items[i];
                if (!m || m->type != KAPI_V_OBJECT) {
                    fail_bad_arg(c, T_MAP, m);
                    return false;
                }
                bool found;
                obj_lookup(c, m, mk, &found);
                if (!found) {
                    fail_no_merge_key(c, m, mk);
                    return false;
                }
            }
        for (size_t i = 0; i < to_sort->len; i++) {
            struct kapi_value *v = to_sort->items[i];
            gs_append(c, str_is(obj_lookup(c, v, DIRECTIVE, NULL), "delete") ? &dels : &keep, v);
        }
    } else {
        keep = *to_sort;
    }
    struct sorter s = {c, NULL, order, mk, maps};
    if (keep.len > 1) {
        s.e = kapi_pool_alloc(c->pool, keep.len * sizeof(*s.e));
        for (size_t i = 0; i < keep.len; i++) {
            s.e[i].v = keep.items[i];
            s.e[i].idx = -2;
        }
        stable_sort(&s, keep.len);
        if (c->failed)
            return false;
    }
    struct gs r = {NULL, 0, 0};
    for (size_t i = 0; i < keep.len; i++)
        gs_append(c, &r, s.e ? s.e[i].v : keep.items[i]);
    for (size_t i = 0; i < dels.len; i++)
        gs_append(c, &r, dels.items[i]);
    *to_sort = r;
    return true;
}

/* normalizeElementOrder: patch items by patchOrder, server-only items by
 * serverOrder, then interleaved (mergeSortedSlice). */
static bool normalize_order(struct ctx *c, struct gs patch, struct gs server, const struct gs *patch_order,
                            const struct gs *server_order, const char *mk, bool maps, struct gs *out)
{
    if (!normalize_slice(c, &patch, patch_order, mk, maps) || !normalize_slice(c, &server, server_order, mk, maps))
        return false;
    size_t size = patch.len + server.len, i = 0, j = 0;
    long *li = kapi_pool_alloc(c->pool, (server.len + 1) * sizeof(long));
    long *ri = kapi_pool_alloc(c->pool, (patch.len + 1) * sizeof(long));
    for (size_t k = 0; k < server.len; k++)
        li[k] = -2;
    for (size_t k = 0; k < patch.len; k++)
        ri[k] = -2;
    struct gs r = {NULL, 0, 0};
    for (size_t k = 0; k < size; k++) {
        if (i >= server.len && j < patch.len) {
            gs_append(c, &r, patch.items[j++]);
        } else if (j >= patch.len && i < server.len) {
            gs_append(c, &r, server.items[i++]);
        } else {
            if (li[i] == -2)
                li[i] = index_of(c, server_order, server.items[i], mk, maps);
            if (ri[j] == -2)
                ri[j] = index_of(c, server_order, patch.items[j], mk, maps);
            if (c->failed)
                return false;
            if (li[i] >= 0 && ri[j] >= 0 && li[i] < ri[j])
                gs_append(c, &r, server.items[i++]);
            else
                gs_append(c, &r, patch.items[j++]);
        }
    }
    *out = r;
    return !c->failed;
}

/* ---- merging ----------------------------------------------------------- */

static struct kapi_value *merge_map(struct ctx *c, struct kapi_value *orig, struct kapi_value *patch,
                                    const struct gtype *t);

static bool merge_slice(struct ctx *c, struct gs *orig, struct gs patch, const struct gtype *elem,
                        const char *mk, bool is_delete, struct gs *out)
{
    if (orig->len == 0 && patch.len == 0) {
        *out = *orig;
        return true;
    }
    int et = elem_type(c, orig, &patch);
    if (et < 0)
        return false;
    bool maps = et == KAPI_V_OBJECT;
    struct gs merged = {NULL, 0, 0};
    struct gs o = *orig;  /* this call's header; shares orig's backing array */
    if (!maps) {
        if (is_delete) {
            if (!check_hashable(c, &patch))
                return false;
            struct gs r = {NULL, 0, 0};
            for (size_t i = 0; i < o.len; i++) {
                if (!in_list(c, &patch, o.items[i]))
                    gs_append(c, &r, o.items[i]);
                if (c->failed)
                    return false;
            }
            *out = r;
            return true;
        }
        for (size_t i = 0; i < o.len; i++)
            gs_append(c, &merged, o.items[i]);
        for (size_t i = 0; i < patch.len; i++)
            gs_append(c, &merged, patch.items[i]);
        dedup_scalars(c, &merged);
        if (c->failed)
            return false;
    } else {
        if (!*mk) {
            char m[96];
            snprintf(m, sizeof(m), "cannot merge lists without merge key for %s", kind_name(elem));
            fail_500(c, m);
            return false;
        }
        /* Special elements: {"$patch": delete|replace|merge, ...}. */
        struct gs plain = {NULL, 0, 0};
        bool replace = false;
        for (size_t i = 0; i < patch.len; i++) {
            struct kapi_value *v = patch.items[i];
            bool has;
            struct kapi_value *d = obj_lookup(c, v, DIRECTIVE, &has);
            if (!has) {
                gs_append(c, &plain, v);
            } else if (str_is(d, "delete")) {
                bool hk;
                struct kapi_value *kv = obj_lookup(c, v, mk, &hk);
                if (!hk) {
                    fail_no_merge_key(c, v, mk);
                    return false;
                }
                for (;;) {
                    long at = find_map(c, &o, mk, kv);
                    if (at == -2)
                        return false;
                    if (at < 0)
                        break;
                    /* append(s[:i], s[i+1:]...): shifts the shared array */
                    memmove(&o.items[at], &o.items[at + 1], (o.len - (size_t)at - 1) * sizeof(*o.items));
                    o.len--;
                }
            } else if (str_is(d, "replace")) {
                replace = true;
            } else if (str_is(d, "merge")) {
                fail_500(c, "merging lists cannot yet be specified in the patch");
                return false;
            } else {
                fail_bad_patch_type(c, d, v);
                return false;
            }
        }
        if (replace) {
            o = plain;
            patch.items = NULL;
            patch.len = patch.cap = 0;
        } else {
            patch = plain;
        }
        /* Merge the rest by key; new elements go after, into spare room of
         * the shared array first, as Go's append does. */
        merged = o;
        for (size_t i = 0; i < patch.len; i++) {
            struct kapi_value *v = patch.items[i];
            bool hk;
            struct kapi_value *kv = obj_lookup(c, v, mk, &hk);
            if (!hk) {
                fail_no_merge_key(c, v, mk);
                return false;
            }
            long at = find_map(c, &merged, mk, kv);
            if (at == -2)
                return false;
            if (at >= 0) {
                struct kapi_value *r = merge_map(c, merged.items[at], v, elem);
                if (!r)
                    return false;
                merged.items[at] = r;
            } else {
                gs_append(c, &merged, v);
            }
        }
    }
    /* Upstream picks the partitioning by the merge key, not by what the
     * elements are: scalars under a keyed list fail here, as they do there. */
    struct gs in = {NULL, 0, 0}, rest = {NULL, 0, 0};
    bool ok = *mk ? partition_maps(c, &merged, &patch, mk, &in, &rest)
                  : partition_primitives(c, &merged, &patch, &in, &rest);
    if (!ok)
        return false;
    return normalize_order(c, in, rest, &patch, &o, mk, maps, out);
}

static struct kapi_value *merge_slice_value(struct ctx *c, struct kapi_value *ov, struct kapi_value *pv,
                                            const struct pmeta *pm, bool is_delete)
{
    if (pm->strategy != S_MERGE && !is_delete)
        return pv;
    struct gs o = gs_of(ov), out;
    if (!merge_slice(c, &o, gs_of(pv), &pm->sub, pm->merge_key, is_delete, &out))
        return NULL;
    return gs_to_array(c, &out);
}

/* $retainKeys: keys of orig missing from the list go; patch keys must be listed. */
static bool apply_retain_keys(struct ctx *c, struct kapi_value *orig, struct kapi_value *patch)
{
    long at = obj_find(c, patch, RETAIN_KEYS, strlen(RETAIN_KEYS));
    if (at < 0)
        return true;
    struct kapi_value *list = patch->u.obj.members[at].val;
    obj_remove_at(patch, (size_t)at);
    if (!list || list->type != KAPI_V_ARRAY) {
        set_err(c, 400, "BadRequest", ERR_RETAIN_KEYS);
        return false;
    }
    struct gs keys = gs_of(list);
    if (!check_hashable(c, &keys))
        return false;
    for (size_t i = 0; i < patch->u.obj.len; i++) {
        const struct kapi_member *m = &patch->u.obj.members[i];
        if (is_nil(m->val) || has_prefix(m->key, m->klen, DEL_PREFIX) || has_prefix(m->key, m->klen, ORDER_PREFIX))
            continue;
        struct kapi_value k = {.type = KAPI_V_STRING, .u.str = {m->key, m->klen}};
        if (!in_list(c, &keys, &k)) {
            set_err(c, 400, "BadRequest", ERR_RETAIN_KEYS);
            return false;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < orig->u.obj.len; i++) {
        struct kapi_member m = orig->u.obj.members[i];
        struct kapi_value k = {.type = KAPI_V_STRING, .u.str = {m.key, m.klen}};
        if (in_list(c, &keys, &k))
            orig->u.obj.members[w++] = m;
    }
    orig->u.obj.len = w;
    return !c->failed;
}

/* mergeKeyValueEqual */
static int merge_key_eq(struct ctx *c, const struct kapi_value *l, const struct kapi_value *r, const char *mk)
{
    if (!*mk)
        return iface_eq(c, l, r);
    if (!l || l->type != KAPI_V_OBJECT) {
        fail_bad_arg(c, T_MAP, l);
        return -1;
    }
    if (!r || r->type != KAPI_V_OBJECT) {
        fail_bad_arg(c, T_MAP, r);
        return -1;
    }
    bool fl, fr;
    struct kapi_value *lv = obj_lookup(c, l, mk, &fl);
    if (!fl) {
        fail_no_merge_key(c, l, mk);
        return -1;
    }
    struct kapi_value *rv = obj_lookup(c, r, mk, &fr);
    if (!fr) {
        fail_no_merge_key(c, r, mk);
        return -1;
    }
    return iface_eq(c, lv, rv);
}

/* The patch list must follow the $setElementOrder list (deletions aside). */
static bool validate_set_order(struct ctx *c, const struct gs *pl, const struct gs *order, const char *mk)
{
    if (order->len == 0 || pl->len == 0)
        return true;
    struct gs nd = {NULL, 0, 0};
    if (*mk) {
        for (size_t i = 0; i < pl->len; i++) {
            struct kapi_value *v = pl->items[i];
            if (!v || v->type != KAPI_V_OBJECT) {
                fail_bad_arg(c, T_MAP, v);
                return false;
            }
            if (!str_is(obj_lookup(c, v, DIRECTIVE, NULL), "delete"))
                gs_append(c, &nd, v);
        }
    } else {
        nd = *pl;
    }
    size_t pi = 0, si = 0;
    while (pi < nd.len && si < order->len) {
        const struct kapi_value *v = nd.items[pi];
        if (v && v->type == KAPI_V_OBJECT && obj_find(c, v, DIRECTIVE, strlen(DIRECTIVE)) >= 0) {
            pi++;
            continue;
        }
        int eq = merge_key_eq(c, v, order->items[si], mk);
        if (eq < 0 || c->failed)
            return false;
        if (eq)
            pi++;
        si++;
    }
    if (pi < nd.len && si >= order->len) {
        char buf[512];
        struct fbuf b = {buf, 0, sizeof(buf)};
        buf[0] = 0;
        fb_puts(&b, "The order in patch list:\n");
        fmt_gs(&b, pl);
        fb_puts(&b, "\n doesn't match " ORDER_PREFIX " list:\n");
        fmt_gs(&b, order);
        fb_puts(&b, "\n");
        fail_500(c, buf);
        return false;
    }
    return true;
}

/* "<prefix>/<key>" -> key; NULL if malformed. */
static const char *directive_key(const char *k, size_t kl, const char *prefix, size_t *out_len)
{
    const char *slash = memchr(k, '/', kl);
    size_t pl = strlen(prefix);
    if (!slash || (size_t)(slash - k) != pl || memcmp(k, prefix, pl) != 0)
        return NULL;
    *out_len = kl - pl - 1;
    return slash + 1;
}

/* $setElementOrder/<list>: merges that list now and fixes its order. */
static bool merge_set_order(struct ctx *c, struct kapi_value *orig, struct kapi_value *patch, const struct gtype *t)
{
    size_t n = patch->u.obj.len;
    if (!n)
        return true;
    struct kapi_member *snap = kapi_pool_alloc(c->pool, n * sizeof(*snap));
    memcpy(snap, patch->u.obj.members, n * sizeof(*snap));
    for (size_t s = 0; s < n; s++) {
        if (!has_prefix(snap[s].key, snap[s].klen, ORDER_PREFIX))
            continue;
        long at = obj_find(c, patch, snap[s].key, snap[s].klen);
        if (at < 0)
            continue;  /* removed while handling an earlier directive */
        struct kapi_value *order_v = patch->u.obj.members[at].val;
        obj_remove_at(patch, (size_t)at);
        if (!order_v || order_v->type != KAPI_V_ARRAY) {
            fail_bad_arg(c, T_SLICE, order_v);
            return false;
        }
        size_t kl;
        const char *key = directive_key(snap[s].key, snap[s].klen, ORDER_PREFIX, &kl);
        if (!key) {
            set_err(c, 400, "BadRequest", ERR_SET_ORDER);
            return false;
        }
        long oi = obj_find(c, orig, key, kl), pi = obj_find(c, patch, key, kl);
        struct kapi_value *ol = oi >= 0 ? orig->u.obj.members[oi].val : NULL;
        struct kapi_value *pl = pi >= 0 ? patch->u.obj.members[pi].val : NULL;
        if (oi >= 0 && (!ol || ol->type != KAPI_V_ARRAY)) {
            fail_bad_arg(c, T_SLICE, ol);
            return false;
        }
        if (pi >= 0 && (!pl || pl->type != KAPI_V_ARRAY)) {
            fail_bad_arg(c, T_SLICE, pl);
            return false;
        }
        struct pmeta pm;
        if (!lookup_slice(c, t, key, kl, false, &pm))
            return false;
        struct gs empty = {NULL, 0, 0};
        struct gs ov = ol ? gs_of(ol) : empty;  /* Go's originalFieldValue header */
        struct gs pv = pl ? gs_of(pl) : empty;
        struct gs order = gs_of(order_v);
        if (!validate_set_order(c, &pv, &order, pm.merge_key))
            return false;
        struct gs merged;
        if (ol && !pl) {
            merged = ov;
        } else if (!ol && pl) {
            merged = gs_of(remove_directives(c, pl));
        } else if (ol && pl) {
            struct kapi_value *m = merge_slice_value(c, ol, pl, &pm, false);
            if (!m)
                return false;
            merged = gs_of(m);
        } else {
            continue;
        }
        struct gs in = {NULL, 0, 0}, rest = {NULL, 0, 0};
        bool maps_mk = *pm.merge_key != 0;
        if (!(maps_mk ? partition_maps(c, &merged, &order, pm.merge_key, &in, &rest)
                      : partition_primitives(c, &merged, &order, &in, &rest)))
            return false;
        int et = elem_type(c, &ov, &pv);
        if (et < 0)
            return false;
        struct gs both;
        if (!normalize_order(c, in, rest, &order, &ov, pm.merge_key, et == KAPI_V_OBJECT, &both))
            return false;
        obj_put(c, orig, key, kl, gs_to_array(c, &both));
        obj_delete(c, patch, key, kl);
    }
    return !c->failed;
}

static struct kapi_value *merge_map(struct ctx *c, struct kapi_value *orig, struct kapi_value *patch,
                                    const struct gtype *t)
{
    if (!charge(c, 1))
        return NULL;
    long d = obj_find(c, patch, DIRECTIVE, strlen(DIRECTIVE));
    if (d >= 0) {
        struct kapi_value *dv = patch->u.obj.members[d].val;
        if (str_is(dv, "replace")) {
            obj_remove_at(patch, (size_t)d);
            return patch;
        }
        if (str_is(dv, "delete"))
            return kapi_value_object(c->pool);
        fail_bad_patch_type(c, dv, patch);
        return NULL;
    }
    if (!orig)
        orig = kapi_value_object(c->pool);
    if (!apply_retain_keys(c, orig, patch) || !merge_set_order(c, orig, patch, t))
        return NULL;

    for (size_t i = 0; i < patch->u.obj.len; i++) {
        const struct kapi_member *pm_ = &patch->u.obj.members[i];
        const char *k = pm_->key;
        size_t kl = pm_->klen;
        struct kapi_value *pv = pm_->val;
        bool is_delete = false;
        if (has_prefix(k, kl, DEL_PREFIX)) {
            size_t sl;
            const char *sub = directive_key(k, kl, DEL_PREFIX, &sl);
            if (!sub) {
                set_err(c, 400, "BadRequest", ERR_PRIMITIVE_LIST);
                return NULL;
            }
            is_delete = true;
            if (sl > 0) {
                k = sub;
                kl = sl;
            }
        }
        if (is_nil(pv)) {
            obj_delete(c, orig, k, kl);
            continue;
        }
        long oi = obj_find(c, orig, k, kl);
        struct kapi_value *ov = oi >= 0 ? orig->u.obj.members[oi].val : NULL;
        bool same = oi >= 0 && !is_nil(ov) && ov->type == pv->type;
        if (oi < 0 || !same) {
            if (!is_delete) {
                discard_nulls(c, pv);
                struct kapi_value *r = remove_directives(c, pv);
                if (c->failed)
                    return NULL;
                if (r)
                    obj_put(c, orig, k, kl, r);
                else
                    obj_delete(c, orig, k, kl);
            }
            continue;
        }
        struct kapi_value *r;
        struct pmeta meta;
        if (ov->type == KAPI_V_OBJECT) {
            if (!lookup_struct(c, t, k, kl, true, &meta))
                return NULL;
            r = meta.strategy == S_REPLACE ? pv : merge_map(c, ov, pv, &meta.sub);
        } else if (ov->type == KAPI_V_ARRAY) {
            if (!lookup_slice(c, t, k, kl, true, &meta))
                return NULL;
            r = merge_slice_value(c, ov, pv, &meta, is_delete);
        } else {
            r = pv;  /* a scalar: nothing to strip */
        }
        if (!r || c->failed)
            return NULL;
        /* nested merges only touch ov's subtree, so oi is still valid */
        orig->u.obj.members[oi].val = r;
    }
    return c->failed ? NULL : orig;
}

/* ---- entry ------------------------------------------------------------- */

static size_t value_depth(const struct kapi_value *root)
{
    struct frame {
        const struct kapi_value *v;
        size_t next;
    };
    size_t cap = 64, n = 0, best = 0;
    struct frame *st = kapi_xmalloc(cap * sizeof(*st));
    st[n++] = (struct frame){root, 0};
    while (n) {
        struct frame *f = &st[n - 1];
        const struct kapi_value *v = f->v;
        size_t len = !v ? 0 : v->type == KAPI_V_ARRAY ? v->u.arr.len : v->type == KAPI_V_OBJECT ? v->u.obj.len : 0;
        if (n > best)
            best = n;
        if (f->next >= len) {
            n--;
            continue;
        }
        const struct kapi_value *child =
            v->type == KAPI_V_ARRAY ? v->u.arr.items[f->next] : v->u.obj.members[f->next].val;
        f->next++;
        if (n == cap) {
            cap *= 2;
            st = kapi_xrealloc(st, cap * sizeof(*st));
        }
        st[n++] = (struct frame){child, 0};
    }
    free(st);
    return best;
}

struct job {
    struct ctx c;
    const struct kapi_schema_msg *msg;
    struct kapi_value *doc;
    const struct kapi_value *patch;
    struct kapi_value *result;
};

static void run_job(struct job *j)
{
    struct kapi_value *p = kapi_value_clone(j->c.pool, j->patch);
    struct gtype top = {G_STRUCT, KAPI_PB_MESSAGE, j->msg};
    j->result = merge_map(&j->c, j->doc, p, &top);
}

static void *job_thread(void *arg)
{
    kapi_thread_name("smp-job");
    run_job(arg);
    return NULL;
}

struct kapi_value *kapi_smp_apply(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                                  struct kapi_value *doc, const struct kapi_value *patch,
                                  struct kapi_smp_error *err)
{
    memset(err, 0, sizeof(*err));
    struct job j = {.c = {pool, err, 0, false}, .msg = msg, .doc = doc, .patch = patch};
    if (!patch || patch->type == KAPI_V_NULL)
        return doc;
    if (patch->type != KAPI_V_OBJECT) {
        const char *what = patch->type == KAPI_V_ARRAY ? "array" : patch->type == KAPI_V_STRING ? "string"
                         : patch->type == KAPI_V_BOOL ? "bool" : "number";
        snprintf(err->msg, sizeof(err->msg),
                 "json: cannot unmarshal %s into Go value of type map[string]interface {}", what);
        err->code = 400;
        err->reason = "BadRequest";
        return NULL;
    }
    if (!msg || !doc || doc->type != KAPI_V_OBJECT) {
        set_err(&j.c, 500, "", "invalid JSON document");
        return NULL;
    }
    size_t depth = value_depth(doc);
    size_t pd = value_depth(patch);
    if (pd > depth)
        depth = pd;
    if (depth <= SMP_INLINE_DEPTH) {
        run_job(&j);
    } else {
        /* Deep inputs: the recursion gets a stack of its own, sized for them
         * (reserved address space; only touched pages cost memory). */
        pthread_attr_t attr;
        pthread_t th;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, (1u << 20) + depth * SMP_STACK_PER_LEVEL);
        int rc = pthread_create(&th, &attr, job_thread, &j);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            set_err(&j.c, 500, "", "strategic merge patch: cannot start worker thread");
            return NULL;
        }
        pthread_join(th, NULL);
    }
    if (j.c.failed || !j.result) {
        if (!j.c.failed)
            set_err(&j.c, 500, "", "strategic merge patch failed");
        return NULL;
    }
    return j.result;
}
