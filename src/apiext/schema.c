/* apiext/schema: compiled CRD structural schemas; pruning, defaulting and
 * validation of custom resources, and the CRD-time structural check. The
 * behaviour and message texts follow apiextensions-apiserver (pkg/apiserver/
 * schema, pkg/apiserver/validation) and kube-openapi's validate package as
 * used by kube-apiserver 1.33. Design: docs/internals/crd-schema.md. */
#include "schema.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/goregex.h"
#include "../codec/json.h"
#include "../schema/schema.h"
#include "../schema/typed.h"

#define SCHEMA_MAX_DEPTH 64
#define SCHEMA_MAX_NODES 20000
#define SCHEMA_MAX_REGEX_BYTES (32u << 20)
#define DATA_MAX_DEPTH 256

enum {
    T_NULL = 1, T_BOOL = 2, T_INT = 4, T_NUM = 8, T_STR = 16, T_ARR = 32, T_OBJ = 64,
};

enum list_type { LT_NONE, LT_ATOMIC, LT_SET, LT_MAP };

struct kapi_crd_schema {
    struct kapi_pool *pool; /* root only: owns every node */
    const char *type;       /* "" when absent */
    const char *type_list;  /* what kube-openapi joins: "integer,string" for int-or-string */
    unsigned types;         /* T_* accepted by the type check; 0 = no type */
    const char *format;     /* after dropping formats upstream does not support; "" none */
    bool nullable, preserve, embedded, int_or_string;
    bool has_max, has_min, excl_max, excl_min, has_mult;
    double maximum, minimum, multiple_of;
    int64_t max_len, min_len, max_items, min_items, max_props, min_props; /* -1 unset */
    bool unique_items;
    const char *pattern;
    struct kapi_goregex *re; /* NULL when pattern is unset or invalid */
    const char *re_err;
    const struct kapi_value *enum_v; /* array or NULL */
    struct kapi_value *def;          /* pruned default or NULL */
    const char **required;
    size_t nrequired;
    const char **prop_names; /* sorted bytewise, as Go marshals maps */
    struct kapi_crd_schema **props;
    size_t nprops;
    struct kapi_crd_schema *items;
    bool has_addl, addl_allows;
    struct kapi_crd_schema *addl;
    struct kapi_crd_schema **all_of, **any_of, **one_of, *not_;
    size_t nall, nany, none;
    enum list_type list_type;
    const char **map_keys;
    size_t nmap_keys;
    int map_type; /* x-kubernetes-map-type: 0 unset, 1 granular, 2 atomic */
};

/* ------------------------------------------------------------------ */
/* Go formatting helpers                                               */

/* Go's %v of a float64: the shortest digits that round-trip, in %e form
 * when the decimal exponent is < -4 or >= 6 (strconv's 'g' with precision -1). */
static void go_float(double f, char *out, size_t n)
{
    if (isnan(f)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(f)) {
        snprintf(out, n, f > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[64];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf = [-]d[.ddd]e[+-]XX */
    char digits[32];
    size_t nd = 0;
    const char *p = buf;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && nd < sizeof(digits) - 1)
            digits[nd++] = *p;
    digits[nd] = 0;
    int exp = *p == 'e' ? atoi(p + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = 0;
    char res[96];
    size_t r = 0;
    if (neg)
        res[r++] = '-';
    if (exp < -4 || exp >= 6) {
        res[r++] = digits[0];
        if (nd > 1) {
            res[r++] = '.';
            for (size_t i = 1; i < nd; i++)
                res[r++] = digits[i];
        }
        r += (size_t)snprintf(res + r, sizeof(res) - r, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    } else if (exp < 0) {
        res[r++] = '0';
        res[r++] = '.';
        for (int i = 0; i < -exp - 1; i++)
            res[r++] = '0';
        for (size_t i = 0; i < nd; i++)
            res[r++] = digits[i];
    } else {
        for (int i = 0; i <= exp; i++)
            res[r++] = (size_t)i < nd ? digits[i] : '0';
        if ((size_t)exp + 1 < nd) {
            res[r++] = '.';
            for (size_t i = (size_t)exp + 1; i < nd; i++)
                res[r++] = digits[i];
        }
    }
    res[r] = 0;
    snprintf(out, n, "%s", res);
}

static void repr_sharp(struct kapi_buf *b, const struct kapi_value *v, int depth);

static int cmp_member(const void *a, const void *b)
{
    const struct kapi_member *x = *(const struct kapi_member *const *)a;
    const struct kapi_member *y = *(const struct kapi_member *const *)b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->klen < y->klen ? -1 : x->klen > y->klen);
}

/* Go's %#v of an interface{} holding decoded JSON. */
static void repr_sharp(struct kapi_buf *b, const struct kapi_value *v, int depth)
{
    char f[64];
    if (depth > DATA_MAX_DEPTH) {
        kapi_buf_puts(b, "...");
        return;
    }
    switch (v->type) {
    case KAPI_V_NULL:
        kapi_buf_puts(b, "interface {}(nil)");
        break;
    case KAPI_V_BOOL:
        kapi_buf_puts(b, v->u.b ? "true" : "false");
        break;
    case KAPI_V_INT:
        kapi_buf_printf(b, "%lld", (long long)v->u.i);
        break;
    case KAPI_V_FLOAT:
        go_float(v->u.f, f, sizeof(f));
        kapi_buf_puts(b, f);
        break;
    case KAPI_V_STRING:
        kapi_go_quote_buf(b, v->u.str.s, v->u.str.len);
        break;
    case KAPI_V_ARRAY:
        kapi_buf_puts(b, "[]interface {}{");
        for (size_t i = 0; i < v->u.arr.len; i++) {
            if (i)
                kapi_buf_puts(b, ", ");
            repr_sharp(b, v->u.arr.items[i], depth + 1);
        }
        kapi_buf_putc(b, '}');
        break;
    case KAPI_V_OBJECT: {
        kapi_buf_puts(b, "map[string]interface {}{");
        size_t n = v->u.obj.len;
        const struct kapi_member **m = n ? kapi_xmalloc(n * sizeof(*m)) : NULL;
        for (size_t i = 0; i < n; i++)
            m[i] = &v->u.obj.members[i];
        if (n)
            qsort(m, n, sizeof(*m), cmp_member);
        for (size_t i = 0; i < n; i++) {
            if (i)
                kapi_buf_puts(b, ", ");
            kapi_go_quote_buf(b, m[i]->key, m[i]->klen);
            kapi_buf_putc(b, ':');
            repr_sharp(b, m[i]->val, depth + 1);
        }
        free(m);
        kapi_buf_putc(b, '}');
        break;
    }
    }
}

/* How apimachinery's field.Error prints a bad value of JSON type. */
static const char *bad_repr(struct kapi_pool *pool, const struct kapi_value *v)
{
    char f[64];
    if (!v || v->type == KAPI_V_NULL)
        return "null";
    switch (v->type) {
    case KAPI_V_BOOL:
        return v->u.b ? "true" : "false";
    case KAPI_V_INT:
        return kapi_pool_printf(pool, "%lld", (long long)v->u.i);
    case KAPI_V_FLOAT:
        go_float(v->u.f, f, sizeof(f));
        return kapi_pool_strdup(pool, f);
    case KAPI_V_STRING:
        return kapi_go_quote(pool, v->u.str.s, v->u.str.len);
    default: {
        struct kapi_buf b;
        kapi_buf_init(&b, 1 << 20);
        repr_sharp(&b, v, 0);
        char *s = kapi_pool_strndup(pool, b.data ? b.data : "", b.len);
        kapi_buf_dispose(&b);
        return s;
    }
    }
}

static const char *quote(struct kapi_pool *pool, const char *s)
{
    return kapi_go_quote(pool, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Compilation                                                        */

struct cctx {
    struct kapi_pool *pool;
    size_t nodes;
    size_t re_bytes; /* compiled patterns so far, bounded by SCHEMA_MAX_REGEX_BYTES */
    char *err;
};

static const char *const supported_formats[] = {
    "bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac", "uuid", "uuid3", "uuid4",
    "uuid5", "isbn", "isbn10", "isbn13", "creditcard", "ssn", "hexcolor", "rgbcolor", "byte", "password",
    "date", "duration", "datetime", "date-time",
};

static bool format_supported(const char *f)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(supported_formats); i++)
        if (strcmp(f, supported_formats[i]) == 0)
            return true;
    return false;
}

static bool get_num(const struct kapi_value *v, double *out)
{
    if (!v)
        return false;
    if (v->type == KAPI_V_INT) {
        *out = (double)v->u.i;
        return true;
    }
    if (v->type == KAPI_V_FLOAT) {
        *out = v->u.f;
        return true;
    }
    return false;
}

static int64_t get_i64(const struct kapi_value *v)
{
    if (!v)
        return -1;
    if (v->type == KAPI_V_INT)
        return v->u.i < 0 ? 0 : v->u.i;
    if (v->type == KAPI_V_FLOAT && v->u.f >= 0 && v->u.f < 9.2e18)
        return (int64_t)v->u.f;
    return -1;
}

static bool get_bool(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_BOOL && v->u.b;
}

static void regex_cleanup(void *arg)
{
    kapi_goregex_free(arg);
}

/* Compiles a schema's pattern with Go's syntax. Patterns of one schema may
 * take SCHEMA_MAX_REGEX_BYTES in all; past that they count as too large. */
static struct kapi_goregex *compile_pattern(struct kapi_pool *pool, const char *pat, size_t *budget_used,
                                            const char **err)
{
    char *e = NULL;
    struct kapi_goregex *re = kapi_goregex_compile(pat, strlen(pat), &e);
    if (!re) {
        *err = kapi_pool_strdup(pool, e);
        free(e);
        return NULL;
    }
    *budget_used += kapi_goregex_size(re);
    if (*budget_used > SCHEMA_MAX_REGEX_BYTES) {
        kapi_goregex_free(re);
        *err = kapi_pool_printf(pool, "error parsing regexp: expression too large: `%s`", pat);
        return NULL;
    }
    *err = NULL;
    return re;
}

static struct kapi_crd_schema *compile_node(struct cctx *c, const struct kapi_value *v, int depth);

static struct kapi_crd_schema **compile_list(struct cctx *c, const struct kapi_value *arr, size_t *n, int depth)
{
    *n = 0;
    if (!arr || arr->type != KAPI_V_ARRAY || arr->u.arr.len == 0)
        return NULL;
    struct kapi_crd_schema **out = kapi_pool_alloc(c->pool, arr->u.arr.len * sizeof(*out));
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        out[i] = compile_node(c, arr->u.arr.items[i], depth + 1);
        if (!out[i])
            return NULL;
    }
    *n = arr->u.arr.len;
    return out;
}

static void prune_value(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *x, bool preserve,
                        const char *path, struct kapi_strlist *unknown, int depth);

static struct kapi_crd_schema *compile_node(struct cctx *c, const struct kapi_value *v, int depth)
{
    if (c->err)
        return NULL;
    if (depth > SCHEMA_MAX_DEPTH) {
        c->err = kapi_xasprintf("schema is nested deeper than %d levels", SCHEMA_MAX_DEPTH);
        return NULL;
    }
    if (++c->nodes > SCHEMA_MAX_NODES) {
        c->err = kapi_xasprintf("schema has more than %d nodes", SCHEMA_MAX_NODES);
        return NULL;
    }
    struct kapi_crd_schema *s = kapi_pool_calloc(c->pool, sizeof(*s));
    s->type = s->type_list = s->format = "";
    s->max_len = s->min_len = s->max_items = s->min_items = s->max_props = s->min_props = -1;
    if (!v || v->type == KAPI_V_NULL)
        return s;
    if (v->type != KAPI_V_OBJECT) {
        c->err = kapi_xasprintf("schema must be an object");
        return NULL;
    }
    const char *t = kapi_obj_get_str(v, "type");
    s->type = t ? kapi_pool_strdup(c->pool, t) : "";
    s->type_list = s->type;
    if (strcmp(s->type, "integer") == 0)
        s->types = T_INT;
    else if (strcmp(s->type, "number") == 0)
        s->types = T_NUM;
    else if (strcmp(s->type, "string") == 0)
        s->types = T_STR;
    else if (strcmp(s->type, "boolean") == 0)
        s->types = T_BOOL;
    else if (strcmp(s->type, "array") == 0)
        s->types = T_ARR;
    else if (strcmp(s->type, "object") == 0)
        s->types = T_OBJ;
    else if (strcmp(s->type, "null") == 0)
        s->types = T_NULL;
    else if (s->type[0])
        s->types = 0x80; /* unknown type name: matches nothing */
    s->int_or_string = get_bool(kapi_obj_get(v, "x-kubernetes-int-or-string"));
    if (s->int_or_string) {
        s->types = T_INT | T_STR;
        s->type_list = "integer,string";
    }
    const char *f = kapi_obj_get_str(v, "format");
    if (f && format_supported(f))
        s->format = kapi_pool_strdup(c->pool, f);
    s->nullable = get_bool(kapi_obj_get(v, "nullable"));
    s->preserve = get_bool(kapi_obj_get(v, "x-kubernetes-preserve-unknown-fields"));
    s->embedded = get_bool(kapi_obj_get(v, "x-kubernetes-embedded-resource"));
    s->has_max = get_num(kapi_obj_get(v, "maximum"), &s->maximum);
    s->has_min = get_num(kapi_obj_get(v, "minimum"), &s->minimum);
    s->excl_max = get_bool(kapi_obj_get(v, "exclusiveMaximum"));
    s->excl_min = get_bool(kapi_obj_get(v, "exclusiveMinimum"));
    s->has_mult = get_num(kapi_obj_get(v, "multipleOf"), &s->multiple_of);
    s->max_len = get_i64(kapi_obj_get(v, "maxLength"));
    s->min_len = get_i64(kapi_obj_get(v, "minLength"));
    s->max_items = get_i64(kapi_obj_get(v, "maxItems"));
    s->min_items = get_i64(kapi_obj_get(v, "minItems"));
    s->max_props = get_i64(kapi_obj_get(v, "maxProperties"));
    s->min_props = get_i64(kapi_obj_get(v, "minProperties"));
    s->unique_items = get_bool(kapi_obj_get(v, "uniqueItems"));
    const char *pat = kapi_obj_get_str(v, "pattern");
    if (pat && pat[0]) {
        s->pattern = kapi_pool_strdup(c->pool, pat);
        s->re = compile_pattern(c->pool, pat, &c->re_bytes, &s->re_err);
        if (s->re)
            kapi_pool_cleanup(c->pool, regex_cleanup, s->re);
    }
    const struct kapi_value *e = kapi_obj_get(v, "enum");
    if (e && e->type == KAPI_V_ARRAY)
        s->enum_v = kapi_value_clone(c->pool, e);
    const struct kapi_value *r = kapi_obj_get(v, "required");
    if (r && r->type == KAPI_V_ARRAY && r->u.arr.len) {
        s->required = kapi_pool_alloc(c->pool, r->u.arr.len * sizeof(char *));
        for (size_t i = 0; i < r->u.arr.len; i++)
            if (r->u.arr.items[i]->type == KAPI_V_STRING)
                s->required[s->nrequired++] = kapi_pool_strdup(c->pool, r->u.arr.items[i]->u.str.s);
    }
    const struct kapi_value *props = kapi_obj_get(v, "properties");
    if (props && props->type == KAPI_V_OBJECT && props->u.obj.len) {
        size_t n = props->u.obj.len;
        const struct kapi_member **m = kapi_pool_alloc(c->pool, n * sizeof(*m));
        for (size_t i = 0; i < n; i++)
            m[i] = &props->u.obj.members[i];
        qsort(m, n, sizeof(*m), cmp_member);
        s->prop_names = kapi_pool_alloc(c->pool, n * sizeof(char *));
        s->props = kapi_pool_alloc(c->pool, n * sizeof(*s->props));
        for (size_t i = 0; i < n; i++) {
            if (s->nprops && strcmp(s->prop_names[s->nprops - 1], m[i]->key) == 0)
                continue;
            s->prop_names[s->nprops] = kapi_pool_strdup(c->pool, m[i]->key);
            s->props[s->nprops] = compile_node(c, m[i]->val, depth + 1);
            if (!s->props[s->nprops])
                return NULL;
            s->nprops++;
        }
    }
    const struct kapi_value *items = kapi_obj_get(v, "items");
    if (items && items->type == KAPI_V_OBJECT) {
        s->items = compile_node(c, items, depth + 1);
        if (!s->items)
            return NULL;
    } else if (items && items->type == KAPI_V_ARRAY && items->u.arr.len) {
        /* A tuple is not structural; validate every item with the first. */
        s->items = compile_node(c, items->u.arr.items[0], depth + 1);
        if (!s->items)
            return NULL;
    }
    const struct kapi_value *ap = kapi_obj_get(v, "additionalProperties");
    if (ap && ap->type == KAPI_V_BOOL) {
        s->has_addl = true;
        s->addl_allows = ap->u.b;
    } else if (ap && ap->type == KAPI_V_OBJECT) {
        s->has_addl = s->addl_allows = true;
        s->addl = compile_node(c, ap, depth + 1);
        if (!s->addl)
            return NULL;
    }
    s->all_of = compile_list(c, kapi_obj_get(v, "allOf"), &s->nall, depth);
    s->any_of = compile_list(c, kapi_obj_get(v, "anyOf"), &s->nany, depth);
    s->one_of = compile_list(c, kapi_obj_get(v, "oneOf"), &s->none, depth);
    const struct kapi_value *not_ = kapi_obj_get(v, "not");
    if (not_ && not_->type == KAPI_V_OBJECT) {
        s->not_ = compile_node(c, not_, depth + 1);
        if (!s->not_)
            return NULL;
    }
    if (c->err)
        return NULL;
    const char *lt = kapi_obj_get_str(v, "x-kubernetes-list-type");
    if (lt)
        s->list_type = strcmp(lt, "set") == 0 ? LT_SET : strcmp(lt, "map") == 0 ? LT_MAP : LT_ATOMIC;
    const struct kapi_value *mk = kapi_obj_get(v, "x-kubernetes-list-map-keys");
    if (mk && mk->type == KAPI_V_ARRAY && mk->u.arr.len) {
        s->map_keys = kapi_pool_alloc(c->pool, mk->u.arr.len * sizeof(char *));
        for (size_t i = 0; i < mk->u.arr.len; i++)
            if (mk->u.arr.items[i]->type == KAPI_V_STRING)
                s->map_keys[s->nmap_keys++] = kapi_pool_strdup(c->pool, mk->u.arr.items[i]->u.str.s);
    }
    const char *mt = kapi_obj_get_str(v, "x-kubernetes-map-type");
    if (mt)
        s->map_type = strcmp(mt, "atomic") == 0 ? 2 : strcmp(mt, "granular") == 0 ? 1 : 0;
    const struct kapi_value *d = kapi_obj_get(v, "default");
    if (d) {
        s->def = kapi_value_clone(c->pool, d);
        /* Defaults are pruned when the CRD is loaded; done after the node is
         * complete so the node's own properties are known. */
        prune_value(c->pool, s, s->def, false, "", NULL, 0);
    }
    return s;
}

struct kapi_crd_schema *kapi_crd_schema_compile(const struct kapi_value *schema_value, char **err)
{
    if (err)
        *err = NULL;
    struct kapi_pool *pool = kapi_pool_new();
    struct cctx c = {.pool = pool};
    struct kapi_crd_schema *s;
    if (!schema_value) {
        s = compile_node(&c, NULL, 0);
        s->preserve = true;
    } else {
        s = compile_node(&c, schema_value, 0);
    }
    if (!s) {
        if (err)
            *err = c.err ? c.err : kapi_xstrdup("invalid schema");
        else
            free(c.err);
        kapi_pool_free(pool);
        return NULL;
    }
    s->pool = pool;
    return s;
}

void kapi_crd_schema_free(struct kapi_crd_schema *s)
{
    if (s && s->pool)
        kapi_pool_free(s->pool);
}

static const struct kapi_crd_schema *prop_of(const struct kapi_crd_schema *s, const char *key)
{
    if (!s || !s->nprops)
        return NULL;
    size_t lo = 0, hi = s->nprops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->prop_names[mid], key);
        if (c == 0)
            return s->props[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct kapi_crd_schema *kapi_crd_schema_at(const struct kapi_crd_schema *s, const char *path)
{
    if (!s || !path)
        return NULL;
    if (*path == '.')
        path++;
    char seg[256];
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n == 0 || n >= sizeof(seg))
            return NULL;
        memcpy(seg, path, n);
        seg[n] = 0;
        s = prop_of(s, seg);
        if (!s)
            return NULL;
        path += n;
        if (*path == '.')
            path++;
    }
    return s;
}

const char *kapi_crd_schema_type(const struct kapi_crd_schema *s)
{
    return s ? s->type : "";
}

/* ------------------------------------------------------------------ */
/* Pruning                                                            */

static bool is_meta_field(const char *k)
{
    return strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 || strcmp(k, "metadata") == 0;
}

static const char *child_path(struct kapi_pool *pool, const char *path, const char *key)
{
    return path[0] ? kapi_pool_printf(pool, "%s.%s", path, key) : kapi_pool_strdup(pool, key);
}

static void strlist_push(struct kapi_pool *pool, struct kapi_strlist *l, const char *s)
{
    if (!l)
        return;
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **items = kapi_pool_alloc(pool, cap * sizeof(*items));
        if (l->len)
            memcpy(items, l->items, l->len * sizeof(*items));
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = s;
}

/* Drops what ObjectMeta does not know (a round trip through the Go type),
 * field by field so that one malformed field does not lose the others. */
static void coerce_meta(struct kapi_pool *pool, struct kapi_value *obj, const char *path, struct kapi_strlist *unknown)
{
    struct kapi_value *meta = kapi_obj_get(obj, "metadata");
    if (!meta)
        return;
    if (meta->type != KAPI_V_OBJECT) {
        kapi_obj_del(obj, "metadata");
        return;
    }
    const struct kapi_schema_msg *om = kapi_schema_msg_find("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    if (!om)
        return;
    const char *mpath = child_path(pool, path, "metadata");
    struct kapi_value *out = kapi_value_object(pool);
    for (size_t i = 0; i < meta->u.obj.len; i++) {
        struct kapi_member *m = &meta->u.obj.members[i];
        struct kapi_value *single = kapi_value_object(pool);
        kapi_obj_set(pool, single, m->key, kapi_value_clone(pool, m->val));
        struct kapi_typed_result res;
        if (kapi_typed_check(pool, om, single, NULL, &res) != 0)
            continue; /* malformed: dropped */
        if (res.nunknown) {
            strlist_push(pool, unknown, child_path(pool, mpath, m->key));
            continue;
        }
        /* Only the field itself: the typed round trip may add zero values
         * (creationTimestamp: null) that upstream removes again. */
        struct kapi_value *canon = kapi_obj_get(single, m->key);
        if (canon && canon->type != KAPI_V_NULL)
            kapi_obj_set(pool, out, m->key, canon);
    }
    *meta = *out;
}

static void prune_value(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *x, bool skip,
                        const char *path, struct kapi_strlist *unknown, int depth)
{
    if (!x || depth > DATA_MAX_DEPTH)
        return;
    if (s && s->preserve && !skip) {
        prune_value(pool, s, x, true, path, unknown, depth);
        return;
    }
    if (skip && !s)
        return;
    if (x->type == KAPI_V_OBJECT) {
        if (!s) {
            for (size_t i = 0; i < x->u.obj.len; i++)
                strlist_push(pool, unknown, child_path(pool, path, x->u.obj.members[i].key));
            x->u.obj.len = 0;
            return;
        }
        size_t w = 0;
        for (size_t i = 0; i < x->u.obj.len; i++) {
            struct kapi_member m = x->u.obj.members[i];
            bool keep = true;
            if (s->embedded && is_meta_field(m.key)) {
                /* kept as is */
            } else {
                const struct kapi_crd_schema *p = prop_of(s, m.key);
                const char *cp = unknown ? child_path(pool, path, m.key) : "";
                if (p)
                    prune_value(pool, p, m.val, false, cp, unknown, depth + 1);
                else if (s->has_addl)
                    prune_value(pool, s->addl, m.val, false, cp, unknown, depth + 1);
                else if (!skip) {
                    keep = false;
                    strlist_push(pool, unknown, cp);
                }
            }
            if (keep)
                x->u.obj.members[w++] = m;
        }
        x->u.obj.len = w;
        if (s->embedded && depth > 0)
            coerce_meta(pool, x, path, unknown);
    } else if (x->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < x->u.arr.len; i++) {
            const char *ip = unknown ? kapi_pool_printf(pool, "%s[%zu]", path, i) : "";
            prune_value(pool, s ? s->items : NULL, x->u.arr.items[i], skip, ip, unknown, depth + 1);
        }
    }
}

void kapi_crd_schema_prune(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *obj,
                           struct kapi_strlist *unknown)
{
    if (!s || !obj || obj->type != KAPI_V_OBJECT)
        return;
    coerce_meta(pool, obj, "", unknown);
    struct kapi_crd_schema root = *s;
    root.embedded = true;
    prune_value(pool, &root, obj, false, "", unknown, 0);
}

/* ------------------------------------------------------------------ */
/* Defaulting                                                         */

static bool nonnullable_null(const struct kapi_value *x, const struct kapi_crd_schema *s)
{
    return x && x->type == KAPI_V_NULL && s && !s->nullable;
}

static const struct kapi_crd_schema *field_schema(const struct kapi_crd_schema *s, const char *k)
{
    if (!s)
        return NULL;
    const struct kapi_crd_schema *p = prop_of(s, k);
    if (p)
        return p;
    return s->has_addl ? s->addl : NULL;
}

static void prune_nulls(const struct kapi_crd_schema *s, struct kapi_value *x, int depth)
{
    if (!x || depth > DATA_MAX_DEPTH)
        return;
    if (x->type == KAPI_V_OBJECT) {
        size_t w = 0;
        for (size_t i = 0; i < x->u.obj.len; i++) {
            struct kapi_member m = x->u.obj.members[i];
            const struct kapi_crd_schema *fs = field_schema(s, m.key);
            if (nonnullable_null(m.val, fs) && !fs->def)
                continue;
            prune_nulls(fs, m.val, depth + 1);
            x->u.obj.members[w++] = m;
        }
        x->u.obj.len = w;
    } else if (x->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < x->u.arr.len; i++)
            prune_nulls(s ? s->items : NULL, x->u.arr.items[i], depth + 1);
    }
}

static void default_value(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *x, int depth)
{
    if (!s || !x || depth > DATA_MAX_DEPTH)
        return;
    if (x->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < s->nprops; i++) {
            const struct kapi_crd_schema *p = s->props[i];
            if (!p->def)
                continue;
            struct kapi_value *cur = kapi_obj_get(x, s->prop_names[i]);
            if (!cur || nonnullable_null(cur, p))
                kapi_obj_set(pool, x, s->prop_names[i], kapi_value_clone(pool, p->def));
        }
        for (size_t i = 0; i < x->u.obj.len; i++) {
            struct kapi_member *m = &x->u.obj.members[i];
            const struct kapi_crd_schema *p = prop_of(s, m->key);
            if (p) {
                default_value(pool, p, m->val, depth + 1);
            } else if (s->has_addl && s->addl) {
                if (nonnullable_null(m->val, s->addl) && s->addl->def)
                    m->val = kapi_value_clone(pool, s->addl->def);
                default_value(pool, s->addl, m->val, depth + 1);
            }
        }
    } else if (x->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < x->u.arr.len; i++) {
            if (nonnullable_null(x->u.arr.items[i], s->items) && s->items->def)
                x->u.arr.items[i] = kapi_value_clone(pool, s->items->def);
            default_value(pool, s->items, x->u.arr.items[i], depth + 1);
        }
    }
}

void kapi_crd_schema_default(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *obj)
{
    if (!s || !obj)
        return;
    prune_nulls(s, obj, 0);
    default_value(pool, s, obj, 0);
}

/* ------------------------------------------------------------------ */
/* Formats (kube-openapi strfmt's default registry)                    */

static bool all_match(const char *s, const char *set)
{
    for (; *s; s++)
        if (!strchr(set, *s))
            return false;
    return true;
}

static bool parse_ipv4(const char *s, size_t n)
{
    int parts = 0;
    size_t i = 0;
    while (i <= n) {
        size_t st = i;
        int val = 0;
        while (i < n && isdigit((unsigned char)s[i])) {
            val = val * 10 + (s[i] - '0');
            if (val > 255 || i - st >= 3)
                return false;
            i++;
        }
        if (i == st)
            return false;
        if (i - st > 1 && s[st] == '0')
            return false; /* Go rejects leading zeros */
        parts++;
        if (i == n)
            break;
        if (s[i] != '.')
            return false;
        i++;
    }
    return parts == 4;
}

static bool parse_ipv6(const char *s)
{
    size_t n = strlen(s);
    if (n < 2)
        return false;
    int groups = 0;
    bool dbl = false;
    size_t i = 0;
    if (s[0] == ':') {
        if (s[1] != ':')
            return false;
        dbl = true;
        i = 2;
        if (i == n)
            return true;
    }
    while (i < n) {
        size_t st = i;
        while (i < n && isxdigit((unsigned char)s[i]) && i - st < 5)
            i++;
        if (i < n && s[i] == '.') {
            if (!parse_ipv4(s + st, n - st))
                return false;
            groups += 2;
            i = n;
            break;
        }
        if (i == st || i - st > 4)
            return false;
        groups++;
        if (i == n)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl)
                return false;
            dbl = true;
            i++;
            if (i == n)
                break;
        } else if (i == n) {
            return false;
        }
    }
    return dbl ? groups < 8 : groups == 8;
}

static bool is_ip(const char *s)
{
    return parse_ipv4(s, strlen(s)) || parse_ipv6(s);
}

static bool is_cidr(const char *s)
{
    const char *slash = strchr(s, '/');
    if (!slash || !slash[1] || strlen(slash + 1) > 3 || !all_match(slash + 1, "0123456789"))
        return false;
    char ip[64];
    size_t n = (size_t)(slash - s);
    if (n >= sizeof(ip))
        return false;
    memcpy(ip, s, n);
    ip[n] = 0;
    int bits = atoi(slash + 1);
    if (slash[1] == '0' && slash[2])
        return false;
    if (parse_ipv4(ip, n))
        return bits <= 32;
    return parse_ipv6(ip) && bits <= 128;
}

static bool is_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    /* Labels of letters, digits and inner '-', at most 63 each; a last label
     * (when there are several) of 2..63 letters, as strfmt's expression. */
    const char *p = s;
    int labels = 0;
    const char *last = s;
    size_t lastlen = 0;
    while (*p) {
        const char *st = p;
        while (*p && *p != '.')
            p++;
        size_t len = (size_t)(p - st);
        if (len == 0 || len > 63)
            return false;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)st[i];
            if (!(isalnum(c) || c == '-' || c >= 0x80))
                return false;
        }
        if (st[0] == '-' || st[len - 1] == '-')
            return false;
        last = st;
        lastlen = len;
        labels++;
        if (*p == '.') {
            p++;
            if (!*p)
                return false;
        }
    }
    if (labels > 1) {
        if (lastlen < 2)
            return false;
        for (size_t i = 0; i < lastlen; i++)
            if (!(isalpha((unsigned char)last[i]) || (unsigned char)last[i] >= 0x80))
                return false;
    }
    return true;
}

static bool is_uuid(const char *s, char version)
{
    /* (?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$ */
    static const int groups[] = {8, 4, 4, 4, 12};
    const char *p = s;
    for (int g = 0; g < 5; g++) {
        if (g && *p == '-')
            p++;
        for (int i = 0; i < groups[g]; i++, p++) {
            if (!isxdigit((unsigned char)*p))
                return false;
            if (version && g == 2 && i == 0 && *p != version)
                return false;
            if (version && version != '3' && g == 3 && i == 0 && !strchr("89abAB", *p))
                return false;
        }
    }
    return *p == 0;
}

static bool is_base64(const char *s)
{
    size_t n = strlen(s);
    if (n % 4)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (isalnum((unsigned char)c) || c == '+' || c == '/')
            continue;
        if (c == '=' && (i == n - 1 || (i == n - 2 && s[n - 1] == '=')))
            continue;
        return false;
    }
    return true;
}

static bool digits_n(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool valid_date(const char *s)
{
    if (!digits_n(s, 4) || s[4] != '-' || !digits_n(s + 5, 2) || s[7] != '-' || !digits_n(s + 8, 2))
        return false;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    return true;
}

static bool is_date(const char *s)
{
    return strlen(s) == 10 && valid_date(s);
}

static bool is_datetime(const char *s)
{
    /* RFC 3339 date-time, with 'T' or 't' (strfmt also accepts a space),
     * optional fraction, and Z or a numeric offset. */
    size_t n = strlen(s);
    if (n < 19 || !valid_date(s))
        return false;
    if (!strchr("Tt ", s[10]))
        return false;
    const char *t = s + 11;
    if (!digits_n(t, 2) || t[2] != ':' || !digits_n(t + 3, 2) || t[5] != ':' || !digits_n(t + 6, 2))
        return false;
    if (atoi(t) > 23 || atoi(t + 3) > 59 || atoi(t + 6) > 60)
        return false;
    const char *p = t + 8;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'Z' || *p == 'z')
        return p[1] == 0;
    if (*p == '+' || *p == '-') {
        p++;
        if (!digits_n(p, 2) || p[2] != ':' || !digits_n(p + 3, 2) || p[5])
            return false;
        return atoi(p) <= 23 && atoi(p + 3) <= 59;
    }
    return false;
}

static bool is_duration(const char *s)
{
    /* Go's time.ParseDuration, or strfmt's "<n> <unit>" form. */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (strcmp(p, "0") == 0)
        return true;
    bool go_ok = *p != 0;
    const char *q = p;
    while (go_ok && *q) {
        bool dig = false;
        while (isdigit((unsigned char)*q)) {
            q++;
            dig = true;
        }
        if (*q == '.') {
            q++;
            while (isdigit((unsigned char)*q)) {
                q++;
                dig = true;
            }
        }
        if (!dig) {
            go_ok = false;
            break;
        }
        static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
        size_t best = 0;
        for (size_t i = 0; i < KAPI_ARRAY_LEN(units); i++) {
            size_t l = strlen(units[i]);
            if (strncmp(q, units[i], l) == 0 && l > best)
                best = l;
        }
        if (!best) {
            go_ok = false;
            break;
        }
        q += best;
    }
    if (go_ok)
        return true;
    /* strfmt: ^(\d+)\s*(unit)$ with units in its map */
    q = s;
    if (!isdigit((unsigned char)*q))
        return false;
    while (isdigit((unsigned char)*q))
        q++;
    while (*q == ' ' || *q == '\t')
        q++;
    static const char *const su[] = {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h", "d", "w", "nanosecond",
                                     "nanoseconds", "microsecond", "microseconds", "millisecond",
                                     "milliseconds", "second", "seconds", "sec", "secs", "minute",
                                     "minutes", "min", "mins", "hour", "hours", "hr", "hrs", "day", "days",
                                     "week", "weeks", "wk", "wks"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(su); i++)
        if (strcmp(q, su[i]) == 0)
            return true;
    return false;
}

static bool is_email(const char *s)
{
    /* A simplified net/mail.ParseAddress: optional display name with
     * <addr>, local part and domain without spaces. */
    const char *lt = strchr(s, '<');
    char buf[512];
    const char *a = s;
    if (lt) {
        const char *gt = strchr(lt, '>');
        if (!gt || gt[1] || (size_t)(gt - lt - 1) >= sizeof(buf))
            return false;
        memcpy(buf, lt + 1, (size_t)(gt - lt - 1));
        buf[gt - lt - 1] = 0;
        a = buf;
    }
    const char *at = strrchr(a, '@');
    if (!at || at == a || !at[1])
        return false;
    for (const char *p = a; *p; p++)
        if (*p == ' ' || *p == '<' || *p == '>' || (unsigned char)*p < 0x20)
            return false;
    if (at[1] == '.' || a[strlen(a) - 1] == '.')
        return false;
    return true;
}

static bool is_uri(const char *s)
{
    /* net/url.ParseRequestURI: an absolute URI or an absolute path. */
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return false;
    if (s[0] == '/')
        return true;
    const char *p = s;
    if (!isalpha((unsigned char)*p))
        return false;
    while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
        p++;
    return *p == ':';
}

static bool is_mac(const char *s)
{
    size_t n = strlen(s);
    if (n == 17 || n == 23 || n == 59) {
        char sep = s[2];
        if (sep != ':' && sep != '-')
            return false;
        for (size_t i = 0; i < n; i++) {
            if (i % 3 == 2) {
                if (s[i] != sep)
                    return false;
            } else if (!isxdigit((unsigned char)s[i])) {
                return false;
            }
        }
        return true;
    }
    if (n == 14 || n == 24 || n == 39) {
        for (size_t i = 0; i < n; i++) {
            if (i % 5 == 4) {
                if (s[i] != '.')
                    return false;
            } else if (!isxdigit((unsigned char)s[i])) {
                return false;
            }
        }
        return true;
    }
    return false;
}

static bool is_hexcolor(const char *s)
{
    if (*s == '#')
        s++;
    size_t n = strlen(s);
    return (n == 3 || n == 6) && all_match(s, "0123456789abcdefABCDEF");
}

static bool is_rgbcolor(const char *s)
{
    int a, b, c;
    char tail;
    if (sscanf(s, "rgb(%d,%d,%d)%c", &a, &b, &c, &tail) != 3 || strncmp(s, "rgb(", 4) != 0)
        return false;
    return a >= 0 && a <= 255 && b >= 0 && b <= 255 && c >= 0 && c <= 255 && s[strlen(s) - 1] == ')';
}

static bool is_ssn(const char *s)
{
    if (!digits_n(s, 3))
        return false;
    s += 3;
    if (*s == '-' || *s == ' ')
        s++;
    if (!digits_n(s, 2))
        return false;
    s += 2;
    if (*s == '-' || *s == ' ')
        s++;
    return digits_n(s, 4) && s[4] == 0;
}

static bool is_isbn(const char *s, int which)
{
    char d[16];
    size_t n = 0;
    for (; *s; s++) {
        if (*s == '-' || *s == ' ')
            continue;
        if (n >= 13)
            return false;
        d[n++] = *s;
    }
    if (n == 10 && which != 13) {
        int sum = 0;
        for (int i = 0; i < 10; i++) {
            int v;
            if (isdigit((unsigned char)d[i]))
                v = d[i] - '0';
            else if (i == 9 && (d[i] == 'X' || d[i] == 'x'))
                v = 10;
            else
                return false;
            sum += (10 - i) * v;
        }
        return sum % 11 == 0;
    }
    if (n == 13 && which != 10) {
        int sum = 0;
        for (int i = 0; i < 13; i++) {
            if (!isdigit((unsigned char)d[i]))
                return false;
            sum += (d[i] - '0') * (i % 2 ? 3 : 1);
        }
        return sum % 10 == 0;
    }
    return false;
}

static bool is_creditcard(const char *s)
{
    char d[32];
    size_t n = 0;
    for (; *s; s++)
        if (isdigit((unsigned char)*s)) {
            if (n >= sizeof(d) - 1)
                return false;
            d[n++] = *s;
        }
    d[n] = 0;
    if (n == 13 || n == 16)
        if (d[0] == '4')
            return true;
    if (n == 16 && d[0] == '5' && d[1] >= '1' && d[1] <= '5')
        return true;
    if (n == 16 && (strncmp(d, "6011", 4) == 0 || strncmp(d, "65", 2) == 0))
        return true;
    if (n == 15 && d[0] == '3' && (d[1] == '4' || d[1] == '7'))
        return true;
    if (n == 14 && d[0] == '3' && ((d[1] == '0' && d[2] >= '0' && d[2] <= '5') || d[1] == '6' || d[1] == '8'))
        return true;
    if (n == 15 && (strncmp(d, "2131", 4) == 0 || strncmp(d, "1800", 4) == 0))
        return true;
    if (n == 16 && strncmp(d, "35", 2) == 0)
        return true;
    return false;
}

/* -1: not in the registry (the format check does not run), else 0/1. */
static int format_check(const char *f, const char *s)
{
    if (!strcmp(f, "date"))
        return is_date(s);
    if (!strcmp(f, "date-time") || !strcmp(f, "datetime"))
        return is_datetime(s);
    if (!strcmp(f, "byte"))
        return is_base64(s);
    if (!strcmp(f, "uuid"))
        return is_uuid(s, 0);
    if (!strcmp(f, "uuid3"))
        return is_uuid(s, '3');
    if (!strcmp(f, "uuid4"))
        return is_uuid(s, '4');
    if (!strcmp(f, "uuid5"))
        return is_uuid(s, '5');
    if (!strcmp(f, "hostname"))
        return is_hostname(s);
    if (!strcmp(f, "ipv4"))
        return parse_ipv4(s, strlen(s));
    if (!strcmp(f, "ipv6"))
        return is_ip(s) && strchr(s, ':') != NULL;
    if (!strcmp(f, "cidr"))
        return is_cidr(s);
    if (!strcmp(f, "email"))
        return is_email(s);
    if (!strcmp(f, "uri"))
        return is_uri(s);
    if (!strcmp(f, "duration"))
        return is_duration(s);
    if (!strcmp(f, "mac"))
        return is_mac(s);
    if (!strcmp(f, "hexcolor"))
        return is_hexcolor(s);
    if (!strcmp(f, "rgbcolor"))
        return is_rgbcolor(s);
    if (!strcmp(f, "ssn"))
        return is_ssn(s);
    if (!strcmp(f, "isbn"))
        return is_isbn(s, 0);
    if (!strcmp(f, "isbn10"))
        return is_isbn(s, 10);
    if (!strcmp(f, "isbn13"))
        return is_isbn(s, 13);
    if (!strcmp(f, "creditcard"))
        return is_creditcard(s);
    if (!strcmp(f, "password"))
        return 1;
    return -1;
}

/* ------------------------------------------------------------------ */
/* Validation (kube-openapi's SchemaValidator, results converted as
 * apiextensions' kubeOpenAPIResultToFieldErrors does)                */

struct vctx {
    struct kapi_pool *pool;
    const char *fld; /* field path prefix, NULL at a CR's root */
};

enum vcode { C_TYPE, C_REQUIRED, C_ENUM, C_TOO_LONG, C_MAX_ITEMS, C_MAX_PROPS, C_OTHER };

/* Appends one kube-openapi Validation error. name is its raw path, msg
 * the kube-openapi message, bad the value's repr (NULL shows ""). */
static void verr(struct vctx *c, struct kapi_field_errors *errs, enum vcode code, const char *name, const char *msg,
                 const char *bad, const struct kapi_value *enum_v, int64_t actual, int64_t max)
{
    const char *n = name;
    if (*n == '.')
        n++;
    const char *field;
    if (!name[0] || strcmp(name, ".") == 0)
        field = c->fld ? c->fld : "<nil>";
    else
        field = c->fld ? kapi_pool_printf(c->pool, "%s.%s", c->fld, n) : n;
    switch (code) {
    case C_REQUIRED:
        kapi_ferr_required(c->pool, errs, field, "");
        break;
    case C_ENUM: {
        struct kapi_buf b;
        kapi_buf_init(&b, 1 << 20);
        size_t ne = enum_v && enum_v->type == KAPI_V_ARRAY ? enum_v->u.arr.len : 0;
        if (ne)
            kapi_buf_puts(&b, "supported values: ");
        for (size_t i = 0; i < ne; i++) {
            const struct kapi_value *ev = enum_v->u.arr.items[i];
            if (i)
                kapi_buf_puts(&b, ", ");
            if (ev->type == KAPI_V_STRING) {
                kapi_go_quote_buf(&b, ev->u.str.s, ev->u.str.len);
            } else {
                struct kapi_buf j;
                kapi_buf_init(&j, 1 << 20);
                kapi_json_write(&j, ev);
                kapi_go_quote_buf(&b, j.data ? j.data : "", j.len);
                kapi_buf_dispose(&j);
            }
        }
        kapi_ferr_add(c->pool, errs, KAPI_FERR_NOT_SUPPORTED, field, bad ? bad : "\"\"", b.data ? b.data : "");
        kapi_buf_dispose(&b);
        break;
    }
    case C_TOO_LONG:
        kapi_ferr_too_long(c->pool, errs, field, (long)max);
        break;
    case C_MAX_ITEMS:
    case C_MAX_PROPS:
        kapi_ferr_too_many(c->pool, errs, field, (long)actual, (long)max);
        break;
    case C_TYPE:
        kapi_ferr_add(c->pool, errs, KAPI_FERR_TYPE_INVALID, field, bad ? bad : "\"\"", msg);
        break;
    default:
        kapi_ferr_add(c->pool, errs, KAPI_FERR_INVALID, field, bad ? bad : "\"\"", msg);
        break;
    }
}

/* A composite (non-Validation) kube-openapi error: reported at the prefix. */
static void cerr(struct vctx *c, struct kapi_field_errors *errs, const char *msg)
{
    kapi_ferr_add(c->pool, errs, KAPI_FERR_INVALID, c->fld ? c->fld : "<nil>", "\"\"", msg);
}

static void errs_append(struct kapi_pool *pool, struct kapi_field_errors *dst, const struct kapi_field_errors *src)
{
    for (size_t i = 0; i < src->len; i++) {
        const struct kapi_field_error *e = &src->items[i];
        kapi_ferr_add(pool, dst, e->type, e->field, e->bad_value_repr, e->detail);
    }
}

static bool json_integer(double f)
{
    return isfinite(f) && fabs(f) <= 9007199254740991.0 && f == trunc(f);
}

static const char *path_in(struct vctx *c, const char *path)
{
    return kapi_pool_printf(c->pool, "%s in body", path);
}

/* Go's reflect.DeepEqual on decoded JSON: int64 and float64 differ. */
static bool deep_equal(const struct kapi_value *a, const struct kapi_value *b, int depth)
{
    if (a->type != b->type || depth > DATA_MAX_DEPTH)
        return false;
    switch (a->type) {
    case KAPI_V_NULL:
        return true;
    case KAPI_V_BOOL:
        return a->u.b == b->u.b;
    case KAPI_V_INT:
        return a->u.i == b->u.i;
    case KAPI_V_FLOAT:
        return a->u.f == b->u.f;
    case KAPI_V_STRING:
        return a->u.str.len == b->u.str.len && memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
    case KAPI_V_ARRAY:
        if (a->u.arr.len != b->u.arr.len)
            return false;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!deep_equal(a->u.arr.items[i], b->u.arr.items[i], depth + 1))
                return false;
        return true;
    case KAPI_V_OBJECT:
        if (a->u.obj.len != b->u.obj.len)
            return false;
        for (size_t i = 0; i < a->u.obj.len; i++) {
            const struct kapi_value *o = kapi_obj_get(b, a->u.obj.members[i].key);
            if (!o || !deep_equal(a->u.obj.members[i].val, o, depth + 1))
                return false;
        }
        return true;
    }
    return false;
}

/* Equality of json.Marshal output (numbers compare by value). */
static bool json_same(const struct kapi_value *a, const struct kapi_value *b, int depth)
{
    if (depth > DATA_MAX_DEPTH)
        return false;
    double x, y;
    if (get_num(a, &x) && get_num(b, &y))
        return x == y;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case KAPI_V_ARRAY:
        if (a->u.arr.len != b->u.arr.len)
            return false;
        for (size_t i = 0; i < a->u.arr.len; i++)
            if (!json_same(a->u.arr.items[i], b->u.arr.items[i], depth + 1))
                return false;
        return true;
    case KAPI_V_OBJECT:
        if (a->u.obj.len != b->u.obj.len)
            return false;
        for (size_t i = 0; i < a->u.obj.len; i++) {
            const struct kapi_value *o = kapi_obj_get(b, a->u.obj.members[i].key);
            if (!o || !json_same(a->u.obj.members[i].val, o, depth + 1))
                return false;
        }
        return true;
    default:
        return deep_equal(a, b, depth);
    }
}

/* Enum membership with Go's conversion of the value to the enum member's type. */
static bool enum_match(const struct kapi_value *d, const struct kapi_value *e)
{
    if (deep_equal(d, e, 0))
        return true;
    if (e->type == KAPI_V_FLOAT && d->type == KAPI_V_INT)
        return (double)d->u.i == e->u.f;
    if (e->type == KAPI_V_INT && d->type == KAPI_V_FLOAT) {
        double t = trunc(d->u.f);
        return isfinite(t) && t >= -9.2e18 && t <= 9.2e18 && (int64_t)t == e->u.i;
    }
    if (e->type == KAPI_V_STRING && d->type == KAPI_V_INT) {
        /* Go converts an integer to the UTF-8 of that code point. */
        int64_t r = d->u.i;
        char u[5];
        size_t n;
        if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
            r = 0xFFFD;
        if (r < 0x80) {
            u[0] = (char)r;
            n = 1;
        } else if (r < 0x800) {
            u[0] = (char)(0xC0 | (r >> 6));
            u[1] = (char)(0x80 | (r & 0x3F));
            n = 2;
        } else if (r < 0x10000) {
            u[0] = (char)(0xE0 | (r >> 12));
            u[1] = (char)(0x80 | ((r >> 6) & 0x3F));
            u[2] = (char)(0x80 | (r & 0x3F));
            n = 3;
        } else {
            u[0] = (char)(0xF0 | (r >> 18));
            u[1] = (char)(0x80 | ((r >> 12) & 0x3F));
            u[2] = (char)(0x80 | ((r >> 6) & 0x3F));
            u[3] = (char)(0x80 | (r & 0x3F));
            n = 4;
        }
        return e->u.str.len == n && memcmp(e->u.str.s, u, n) == 0;
    }
    return false;
}

static size_t rune_count(const char *s, size_t n)
{
    size_t r = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t l = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        size_t k = 1;
        while (k < l && i + k < n && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k++;
        i += (k == l) ? l : 1;
        r++;
    }
    return r;
}

static const char *data_kind(const struct kapi_value *d)
{
    switch (d->type) {
    case KAPI_V_BOOL: return "boolean";
    case KAPI_V_INT: return "integer";
    case KAPI_V_FLOAT: return "number";
    case KAPI_V_STRING: return "string";
    case KAPI_V_ARRAY: return "array";
    case KAPI_V_OBJECT: return "object";
    default: return "";
    }
}

static unsigned data_bit(const struct kapi_value *d)
{
    switch (d->type) {
    case KAPI_V_NULL: return T_NULL;
    case KAPI_V_BOOL: return T_BOOL;
    case KAPI_V_INT: return T_INT;
    case KAPI_V_FLOAT: return T_NUM;
    case KAPI_V_STRING: return T_STR;
    case KAPI_V_ARRAY: return T_ARR;
    default: return T_OBJ;
    }
}

static int vnode(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                 struct kapi_field_errors *errs, int depth);

/* The type validator; returns its match count (1 on success, 0 on error). */
static int vtype(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                 struct kapi_field_errors *errs)
{
    if (d->type == KAPI_V_NULL) {
        if (s->types && !(s->types & T_NULL) && !s->nullable) {
            verr(c, errs, C_TYPE, path,
                 kapi_pool_printf(c->pool, "%s must be of type %s: \"null\"", path_in(c, path), s->type_list), "\"null\"",
                 NULL, 0, 0);
            return 0;
        }
        return 1;
    }
    const char *kind = data_kind(d);
    const char *dfmt = d->type == KAPI_V_INT ? "int64" : d->type == KAPI_V_FLOAT ? "float64" : "";
    bool is_float_int = d->type == KAPI_V_FLOAT && json_integer(d->u.f) && (s->types & T_INT);
    bool is_int_float = d->type == KAPI_V_INT && (s->types & T_NUM);
    unsigned bit = data_bit(d);
    bool numeric_type = (s->types & (T_INT | T_NUM)) != 0;
    if (d->type != KAPI_V_STRING && d->type != KAPI_V_ARRAY && s->format[0] &&
        !((s->types & bit) || strcmp(dfmt, s->format) == 0 || is_float_int || is_int_float)) {
        verr(c, errs, C_TYPE, path,
             kapi_pool_printf(c->pool, "%s must be of type %s: %s", path_in(c, path), s->format, quote(c->pool, dfmt)),
             quote(c->pool, dfmt), NULL, 0, 0);
        return 0;
    }
    if (!numeric_type && s->format[0] && (d->type == KAPI_V_STRING || d->type == KAPI_V_ARRAY))
        return 1;
    if (!((s->types & bit) || is_float_int || is_int_float)) {
        verr(c, errs, C_TYPE, path,
             kapi_pool_printf(c->pool, "%s must be of type %s: %s", path_in(c, path), s->type_list, quote(c->pool, kind)),
             quote(c->pool, kind), NULL, 0, 0);
        return 0;
    }
    return 1;
}

static void vstring(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                    struct kapi_field_errors *errs)
{
    size_t runes = rune_count(d->u.str.s, d->u.str.len);
    const char *bad = bad_repr(c->pool, d);
    if (s->max_len >= 0 && (int64_t)runes > s->max_len) {
        verr(c, errs, C_TOO_LONG, path, NULL, bad, NULL, 0, s->max_len);
        return;
    }
    if (s->min_len >= 0 && (int64_t)runes < s->min_len) {
        verr(c, errs, C_OTHER, path,
             kapi_pool_printf(c->pool, "%s should be at least %lld chars long", path_in(c, path), (long long)s->min_len),
             bad, NULL, 0, 0);
        return;
    }
    if (s->pattern) {
        if (!s->re) {
            verr(c, errs, C_OTHER, path,
                 kapi_pool_printf(c->pool, "%s should match '%s, but pattern is invalid: %s'", path_in(c, path),
                                  s->pattern, s->re_err ? s->re_err : "error"),
                 bad, NULL, 0, 0);
        } else if (kapi_goregex_match(s->re, d->u.str.s, d->u.str.len) != 1) {
            verr(c, errs, C_OTHER, path,
                 kapi_pool_printf(c->pool, "%s should match '%s'", path_in(c, path), s->pattern), bad, NULL, 0, 0);
        }
    }
}

static int64_t to_i64(double f)
{
    if (!(f == f))
        return INT64_MIN;
    if (f >= 9.2233720368547758e18)
        return INT64_MAX;
    if (f <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)f;
}

static void vnumber(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                    struct kapi_field_errors *errs)
{
    bool isint = d->type == KAPI_V_INT;
    double val = isint ? (double)d->u.i : d->u.f;
    const char *bad = bad_repr(c->pool, d);
    char fb[64];
    if (s->has_mult) {
        double f = s->multiple_of;
        if (f < 0) {
            go_float(f, fb, sizeof(fb));
            verr(c, errs, C_OTHER, path,
                 kapi_pool_printf(c->pool, "factor MultipleOf declared for %s must be positive: %s", path,
                                  isint && to_i64(f) != 0 ? kapi_pool_printf(c->pool, "%lld", (long long)to_i64(f)) : fb),
                 kapi_pool_strdup(c->pool, fb), NULL, 0, 0);
        } else if (isint && to_i64(f) != 0) {
            int64_t fi = to_i64(f);
            if (!(fi == -1 || d->u.i % fi == 0))
                verr(c, errs, C_OTHER, path,
                     kapi_pool_printf(c->pool, "%s should be a multiple of %lld", path_in(c, path), (long long)fi), bad,
                     NULL, 0, 0);
        } else {
            double mult = f < 1 ? 1 / f * val : val / f;
            if (!json_integer(mult)) {
                go_float(f, fb, sizeof(fb));
                verr(c, errs, C_OTHER, path, kapi_pool_printf(c->pool, "%s should be a multiple of %s", path_in(c, path), fb),
                     bad, NULL, 0, 0);
            }
        }
    }
    if (s->has_min) {
        bool fail;
        const char *bound;
        if (isint) {
            int64_t m = to_i64(s->minimum);
            fail = s->excl_min ? d->u.i <= m : d->u.i < m;
            bound = kapi_pool_printf(c->pool, "%lld", (long long)m);
        } else {
            fail = s->excl_min ? val <= s->minimum : val < s->minimum;
            go_float(s->minimum, fb, sizeof(fb));
            bound = kapi_pool_strdup(c->pool, fb);
        }
        if (fail)
            verr(c, errs, C_OTHER, path,
                 kapi_pool_printf(c->pool, "%s should be greater than %s%s", path_in(c, path),
                                  s->excl_min ? "" : "or equal to ", bound),
                 bad, NULL, 0, 0);
    }
    if (s->has_max) {
        bool fail;
        const char *bound;
        if (isint) {
            int64_t m = to_i64(s->maximum);
            fail = s->excl_max ? d->u.i >= m : d->u.i > m;
            bound = kapi_pool_printf(c->pool, "%lld", (long long)m);
        } else {
            fail = s->excl_max ? val >= s->maximum : val > s->maximum;
            go_float(s->maximum, fb, sizeof(fb));
            bound = kapi_pool_strdup(c->pool, fb);
        }
        if (fail)
            verr(c, errs, C_OTHER, path,
                 kapi_pool_printf(c->pool, "%s should be less than %s%s", path_in(c, path),
                                  s->excl_max ? "" : "or equal to ", bound),
                 bad, NULL, 0, 0);
    }
}

static int vslice(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                  struct kapi_field_errors *errs, int depth)
{
    int count = 0;
    size_t n = d->u.arr.len;
    if (s->items)
        for (size_t i = 0; i < n; i++)
            count += vnode(c, s->items, d->u.arr.items[i], kapi_pool_printf(c->pool, "%s[%zu]", path, i), errs,
                           depth + 1);
    if (s->min_items >= 0 && (int64_t)n < s->min_items)
        verr(c, errs, C_OTHER, path,
             kapi_pool_printf(c->pool, "%s should have at least %lld items", path_in(c, path), (long long)s->min_items),
             kapi_pool_printf(c->pool, "%zu", n), NULL, 0, 0);
    if (s->max_items >= 0 && (int64_t)n > s->max_items)
        verr(c, errs, C_MAX_ITEMS, path, NULL, NULL, NULL, (int64_t)n, s->max_items);
    if (s->unique_items) {
        bool dup = false;
        for (size_t i = 1; i < n && !dup && i < 10000; i++)
            for (size_t j = 0; j < i && !dup; j++)
                dup = deep_equal(d->u.arr.items[i], d->u.arr.items[j], 0);
        if (dup)
            verr(c, errs, C_OTHER, path, kapi_pool_printf(c->pool, "%s shouldn't contain duplicates", path_in(c, path)),
                 NULL, NULL, 0, 0);
    }
    return count + 1;
}

static int vobject(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                   struct kapi_field_errors *errs, int depth)
{
    int64_t nkeys = (int64_t)d->u.obj.len;
    if (s->min_props >= 0 && nkeys < s->min_props) {
        verr(c, errs, C_OTHER, path,
             kapi_pool_printf(c->pool, "%s should have at least %lld properties", path_in(c, path),
                              (long long)s->min_props),
             kapi_pool_printf(c->pool, "%lld", (long long)nkeys), NULL, 0, 0);
        return 0;
    }
    if (s->max_props >= 0 && nkeys > s->max_props) {
        verr(c, errs, C_MAX_PROPS, path, NULL, NULL, NULL, nkeys, s->max_props);
        return 0;
    }
    int count = 0;
    if (s->has_addl && !s->addl_allows) {
        for (size_t i = 0; i < d->u.obj.len; i++)
            if (!prop_of(s, d->u.obj.members[i].key))
                verr(c, errs, C_OTHER, path,
                     kapi_pool_printf(c->pool, "%s.%s in body is a forbidden property", path, d->u.obj.members[i].key),
                     quote(c->pool, d->u.obj.members[i].key), NULL, 0, 0);
    } else if (s->addl) {
        for (size_t i = 0; i < d->u.obj.len; i++)
            if (!prop_of(s, d->u.obj.members[i].key))
                count += vnode(c, s->addl, d->u.obj.members[i].val,
                               kapi_pool_printf(c->pool, "%s.%s", path, d->u.obj.members[i].key), errs, depth + 1);
    }
    for (size_t i = 0; i < s->nprops; i++) {
        const struct kapi_value *v = kapi_obj_get(d, s->prop_names[i]);
        if (v)
            count += vnode(c, s->props[i], v,
                           path[0] ? kapi_pool_printf(c->pool, "%s.%s", path, s->prop_names[i]) : s->prop_names[i], errs,
                           depth + 1);
    }
    for (size_t i = 0; i < s->nrequired; i++)
        if (!kapi_obj_get(d, s->required[i])) {
            const char *rp = kapi_pool_printf(c->pool, "%s.%s", path, s->required[i]);
            verr(c, errs, C_REQUIRED, rp, NULL, NULL, NULL, 0, 0);
        }
    return count;
}

static int vprops(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                  struct kapi_field_errors *errs, int depth)
{
    int count = 0;
    if (s->nany) {
        struct kapi_field_errors best = {0};
        int best_count = -1;
        bool ok = false;
        int succ_count = 0;
        for (size_t i = 0; i < s->nany; i++) {
            struct kapi_field_errors tmp = {0};
            int m = vnode(c, s->any_of[i], d, path, &tmp, depth + 1);
            if (tmp.len == 0) {
                ok = true;
                succ_count = m;
                break;
            }
            if (best_count < 0 || m > best_count) {
                best = tmp;
                best_count = m;
            }
        }
        if (!ok) {
            cerr(c, errs, kapi_pool_printf(c->pool, "%s must validate at least one schema (anyOf)", quote(c->pool, path)));
            errs_append(c->pool, errs, &best);
            count += best_count;
        } else {
            count += succ_count;
        }
    }
    if (s->none) {
        struct kapi_field_errors best = {0};
        int best_count = -1, first_succ = 0, validated = 0;
        for (size_t i = 0; i < s->none; i++) {
            struct kapi_field_errors tmp = {0};
            int m = vnode(c, s->one_of[i], d, path, &tmp, depth + 1);
            if (tmp.len == 0) {
                if (!validated)
                    first_succ = m;
                validated++;
                best_count = -1;
                best.len = 0;
                continue;
            }
            if (validated == 0 && (best_count < 0 || m > best_count)) {
                best = tmp;
                best_count = m;
            }
        }
        if (validated != 1) {
            const char *add = validated == 0 ? "Found none valid"
                                             : kapi_pool_printf(c->pool, "Found %d valid alternatives", validated);
            cerr(c, errs, kapi_pool_printf(c->pool, "%s must validate one and only one schema (oneOf). %s",
                                           quote(c->pool, path), add));
            if (best_count >= 0) {
                errs_append(c->pool, errs, &best);
                count += best_count;
            }
        } else {
            count += first_succ;
        }
    }
    if (s->nall) {
        size_t validated = 0;
        for (size_t i = 0; i < s->nall; i++) {
            struct kapi_field_errors tmp = {0};
            count += vnode(c, s->all_of[i], d, path, &tmp, depth + 1);
            if (tmp.len == 0)
                validated++;
            errs_append(c->pool, errs, &tmp);
        }
        if (validated != s->nall)
            cerr(c, errs, kapi_pool_printf(c->pool, "%s must validate all the schemas (allOf)%s", quote(c->pool, path),
                                           validated == 0 ? ". None validated" : ""));
    }
    if (s->not_) {
        struct kapi_field_errors tmp = {0};
        vnode(c, s->not_, d, path, &tmp, depth + 1);
        if (tmp.len == 0)
            cerr(c, errs, kapi_pool_printf(c->pool, "%s must not validate the schema (not)", quote(c->pool, path)));
    }
    return count + 1;
}

/* One SchemaValidator.Validate; returns kube-openapi's MatchCount, which
 * picks the reported alternative of a failed anyOf/oneOf. */
static int vnode(struct vctx *c, const struct kapi_crd_schema *s, const struct kapi_value *d, const char *path,
                 struct kapi_field_errors *errs, int depth)
{
    if (!s || !d)
        return 0;
    if (depth > SCHEMA_MAX_DEPTH * 2)
        return 0;
    if (d->type == KAPI_V_NULL) {
        int m = vtype(c, s, d, path, errs);
        if (s->enum_v && s->enum_v->type == KAPI_V_ARRAY && s->enum_v->u.arr.len) {
            bool found = false;
            for (size_t i = 0; i < s->enum_v->u.arr.len && !found; i++)
                found = enum_match(d, s->enum_v->u.arr.items[i]);
            if (!found)
                verr(c, errs, C_ENUM, path, NULL, "null", s->enum_v, 0, 0);
        }
        return m;
    }
    int count = 0;
    if (s->types || s->format[0]) {
        count += vtype(c, s, d, path, errs);
        count++;
    }
    count += vprops(c, s, d, path, errs, depth);
    count++;
    if (d->type == KAPI_V_STRING) {
        vstring(c, s, d, path, errs);
        count++;
        if (s->format[0] && format_check(s->format, d->u.str.s) >= 0) {
            if (!format_check(s->format, d->u.str.s) || strlen(d->u.str.s) != d->u.str.len)
                verr(c, errs, C_TYPE, path,
                     kapi_pool_printf(c->pool, "%s must be of type %s: %s", path_in(c, path), s->format,
                                      bad_repr(c->pool, d)),
                     bad_repr(c->pool, d), NULL, 0, 0);
            count++;
        }
    }
    if (d->type == KAPI_V_INT || d->type == KAPI_V_FLOAT) {
        vnumber(c, s, d, path, errs);
        count += 2;
    }
    if (d->type == KAPI_V_ARRAY) {
        count += vslice(c, s, d, path, errs, depth);
        count++;
    }
    if (s->enum_v && s->enum_v->type == KAPI_V_ARRAY && s->enum_v->u.arr.len) {
        bool found = false;
        for (size_t i = 0; i < s->enum_v->u.arr.len && !found; i++)
            found = enum_match(d, s->enum_v->u.arr.items[i]);
        if (!found)
            verr(c, errs, C_ENUM, path, NULL, bad_repr(c->pool, d), s->enum_v, 0, 0);
    }
    count++;
    if (d->type == KAPI_V_OBJECT) {
        count += vobject(c, s, d, path, errs, depth);
        count++;
    }
    return count + 1;
}

/* ---- embedded resources (schema/objectmeta.Validate) ---- */

static const char *fp_child(struct kapi_pool *pool, const char *p, const char *k)
{
    return p && p[0] ? kapi_pool_printf(pool, "%s.%s", p, k) : kapi_pool_strdup(pool, k);
}

static void validate_embedded(struct kapi_pool *pool, const char *pth, const struct kapi_value *x,
                              struct kapi_field_errors *errs)
{
    if (!kapi_obj_get(x, "apiVersion"))
        kapi_ferr_required(pool, errs, fp_child(pool, pth, "apiVersion"), "");
    if (!kapi_obj_get(x, "kind"))
        kapi_ferr_required(pool, errs, fp_child(pool, pth, "kind"), "");
    for (size_t i = 0; i < x->u.obj.len; i++) {
        const char *k = x->u.obj.members[i].key;
        const struct kapi_value *v = x->u.obj.members[i].val;
        if (strcmp(k, "apiVersion") == 0) {
            const char *f = fp_child(pool, pth, k);
            if (v->type != KAPI_V_STRING)
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, f, bad_repr(pool, v), "must be a string");
            else if (v->u.str.len == 0)
                kapi_ferr_required(pool, errs, f, "");
            else {
                /* schema.ParseGroupVersion: at most one '/', and not "a/b/c" */
                const char *s = v->u.str.s;
                const char *sl = strchr(s, '/');
                if (sl && strchr(sl + 1, '/'))
                    kapi_ferr_invalid(pool, errs, f, s,
                                      kapi_pool_printf(pool, "unexpected GroupVersion string: %s", s));
            }
        } else if (strcmp(k, "kind") == 0) {
            const char *f = fp_child(pool, pth, k);
            if (v->type != KAPI_V_STRING)
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, f, bad_repr(pool, v), "must be a string");
            else if (v->u.str.len == 0)
                kapi_ferr_required(pool, errs, f, "");
            else {
                char *low = kapi_pool_strdup(pool, v->u.str.s);
                for (char *p = low; *p; p++)
                    *p = (char)tolower((unsigned char)*p);
                const char *msgs[KAPI_NAME_MSGS_MAX];
                size_t n = kapi_is_dns1035_label(low, msgs);
                if (n) {
                    struct kapi_buf b;
                    kapi_buf_init(&b, 0);
                    kapi_buf_puts(&b, "may have mixed case, but should otherwise match: ");
                    for (size_t j = 0; j < n; j++) {
                        if (j)
                            kapi_buf_putc(&b, ',');
                        kapi_buf_puts(&b, msgs[j]);
                    }
                    kapi_ferr_invalid(pool, errs, f, v->u.str.s, b.data);
                    kapi_buf_dispose(&b);
                }
            }
        } else if (strcmp(k, "metadata") == 0) {
            const char *f = fp_child(pool, pth, k);
            if (v->type != KAPI_V_OBJECT) {
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, f, bad_repr(pool, v),
                              kapi_pool_printf(pool, "json: cannot unmarshal %s into Go value of type v1.ObjectMeta",
                                               v->type == KAPI_V_ARRAY ? "array" : v->type == KAPI_V_STRING ? "string"
                                               : v->type == KAPI_V_BOOL ? "bool" : "number"));
                continue;
            }
            struct kapi_value *meta = kapi_value_clone(pool, v);
            const char *name = kapi_obj_get_str(meta, "name");
            if (!name || !name[0])
                kapi_obj_set(pool, meta, "name", kapi_value_str(pool, "fakename"));
            const char *ns = kapi_obj_get_str(meta, "namespace");
            struct kapi_field_errors tmp = {0};
            kapi_validate_object_meta(pool, meta, kapi_name_path_segment, ns && ns[0], &tmp);
            for (size_t j = 0; j < tmp.len; j++) {
                const struct kapi_field_error *e = &tmp.items[j];
                const char *fld = pth && pth[0] ? kapi_pool_printf(pool, "%s.%s", pth, e->field) : e->field;
                kapi_ferr_add(pool, errs, e->type, fld, e->bad_value_repr, e->detail);
            }
        }
    }
}

static void walk_embedded(struct kapi_pool *pool, const char *pth, const struct kapi_value *x,
                          const struct kapi_crd_schema *s, struct kapi_field_errors *errs, int depth)
{
    if (!s || !x || depth > DATA_MAX_DEPTH)
        return;
    if (x->type == KAPI_V_OBJECT) {
        if (s->embedded && depth > 0)
            validate_embedded(pool, pth, x, errs);
        for (size_t i = 0; i < x->u.obj.len; i++) {
            const char *k = x->u.obj.members[i].key;
            const struct kapi_crd_schema *p = prop_of(s, k);
            if (p)
                walk_embedded(pool, fp_child(pool, pth, k), x->u.obj.members[i].val, p, errs, depth + 1);
            else if (s->has_addl && s->addl)
                walk_embedded(pool, kapi_pool_printf(pool, "%s[%s]", pth ? pth : "", k), x->u.obj.members[i].val,
                              s->addl, errs, depth + 1);
        }
    } else if (x->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < x->u.arr.len; i++)
            walk_embedded(pool, kapi_pool_printf(pool, "%s[%zu]", pth ? pth : "", i), x->u.arr.items[i], s->items,
                          errs, depth + 1);
    }
}

/* ---- x-kubernetes-list-type set/map (schema/listtype) ---- */

static void list_dups(struct kapi_pool *pool, const char *pth, const struct kapi_value *const *keys, size_t n,
                      bool *dup_first)
{
    /* dup_first[i] = i is the second occurrence of some value. */
    for (size_t i = 0; i < n; i++) {
        dup_first[i] = false;
        if (!keys[i])
            continue;
        size_t seen = 0;
        for (size_t j = 0; j < i && seen < 2; j++) {
            if (!keys[j])
                continue;
            bool compound_i = keys[i]->type == KAPI_V_OBJECT || keys[i]->type == KAPI_V_ARRAY;
            bool compound_j = keys[j]->type == KAPI_V_OBJECT || keys[j]->type == KAPI_V_ARRAY;
            bool eq = compound_i && compound_j ? json_same(keys[i], keys[j], 0)
                      : !compound_i && !compound_j ? deep_equal(keys[i], keys[j], 0)
                                                   : false;
            if (eq)
                seen++;
        }
        dup_first[i] = seen == 1;
    }
    (void)pool;
    (void)pth;
}

static void walk_lists(struct kapi_pool *pool, const char *pth, const struct kapi_value *x,
                       const struct kapi_crd_schema *s, struct kapi_field_errors *errs, int depth);

static void lists_array(struct kapi_pool *pool, const char *pth, const struct kapi_value *x,
                        const struct kapi_crd_schema *s, struct kapi_field_errors *errs, int depth)
{
    size_t n = x->u.arr.len;
    if (s->list_type == LT_SET && n > 1 && n <= 100000) {
        bool *dup = kapi_pool_alloc(pool, n * sizeof(bool));
        list_dups(pool, pth, (const struct kapi_value *const *)x->u.arr.items, n, dup);
        for (size_t i = 0; i < n; i++)
            if (dup[i])
                kapi_ferr_add(pool, errs, KAPI_FERR_DUPLICATE, kapi_pool_printf(pool, "%s[%zu]", pth, i),
                              bad_repr(pool, x->u.arr.items[i]), NULL);
    } else if (s->list_type == LT_MAP) {
        bool bad = false;
        for (size_t i = 0; i < n && !bad; i++) {
            const struct kapi_value *e = x->u.arr.items[i];
            if (e->type != KAPI_V_NULL && e->type != KAPI_V_OBJECT) {
                kapi_ferr_add(pool, errs, KAPI_FERR_INVALID, kapi_pool_printf(pool, "%s[%zu]", pth, i),
                              bad_repr(pool, e), "must be an object for an array of list-type map");
                bad = true;
            }
        }
        if (!bad && n > 1 && n <= 100000) {
            /* Keys as objects holding the key fields (an absent key is an
             * empty object), compared like upstream's JSON encoding. */
            struct kapi_value **keys = kapi_pool_alloc(pool, n * sizeof(*keys));
            for (size_t i = 0; i < n; i++) {
                keys[i] = kapi_value_object(pool);
                const struct kapi_value *e = x->u.arr.items[i];
                if (e->type != KAPI_V_OBJECT)
                    continue;
                for (size_t k = 0; k < s->nmap_keys; k++) {
                    struct kapi_value *kv = kapi_obj_get(e, s->map_keys[k]);
                    if (kv)
                        kapi_obj_set(pool, keys[i], s->map_keys[k], kv);
                }
            }
            bool *dup = kapi_pool_alloc(pool, n * sizeof(bool));
            if (s->nmap_keys == 1) {
                /* Single key: scalars compare as Go values, an absent key
                 * as its own value. */
                const struct kapi_value **kk = kapi_pool_alloc(pool, n * sizeof(*kk));
                for (size_t i = 0; i < n; i++)
                    kk[i] = keys[i]->u.obj.len ? keys[i]->u.obj.members[0].val : keys[i];
                list_dups(pool, pth, kk, n, dup);
            } else {
                list_dups(pool, pth, (const struct kapi_value *const *)keys, n, dup);
            }
            for (size_t i = 0; i < n; i++)
                if (dup[i])
                    kapi_ferr_add(pool, errs, KAPI_FERR_DUPLICATE, kapi_pool_printf(pool, "%s[%zu]", pth, i),
                                  bad_repr(pool, keys[i]), NULL);
        }
    }
    if (s->items)
        for (size_t i = 0; i < n; i++)
            walk_lists(pool, kapi_pool_printf(pool, "%s[%zu]", pth, i), x->u.arr.items[i], s->items, errs, depth + 1);
}

static void walk_lists(struct kapi_pool *pool, const char *pth, const struct kapi_value *x,
                       const struct kapi_crd_schema *s, struct kapi_field_errors *errs, int depth)
{
    if (!s || !x || depth > DATA_MAX_DEPTH)
        return;
    if (x->type == KAPI_V_ARRAY) {
        lists_array(pool, pth, x, s, errs, depth);
    } else if (x->type == KAPI_V_OBJECT) {
        if (s->addl)
            for (size_t i = 0; i < x->u.obj.len; i++)
                walk_lists(pool, kapi_pool_printf(pool, "%s[%s]", pth, x->u.obj.members[i].key), x->u.obj.members[i].val,
                           s->addl, errs, depth + 1);
        if (s->nprops)
            for (size_t i = 0; i < x->u.obj.len; i++) {
                const struct kapi_crd_schema *p = prop_of(s, x->u.obj.members[i].key);
                if (p)
                    walk_lists(pool, fp_child(pool, pth, x->u.obj.members[i].key), x->u.obj.members[i].val, p, errs,
                               depth + 1);
            }
    }
}

static void validate_prefixed(struct kapi_pool *pool, const struct kapi_crd_schema *s, const struct kapi_value *obj,
                              const char *fld, struct kapi_field_errors *errs)
{
    struct vctx c = {.pool = pool, .fld = fld};
    vnode(&c, s, obj, "", errs, 0);
}

void kapi_crd_schema_validate(struct kapi_pool *pool, const struct kapi_crd_schema *s,
                              const struct kapi_value *obj, const struct kapi_value *old,
                              struct kapi_field_errors *errs)
{
    (void)old;
    if (!s || !obj)
        return;
    validate_prefixed(pool, s, obj, NULL, errs);
    walk_embedded(pool, "", obj, s, errs, 0);
    walk_lists(pool, "", obj, s, errs, 0);
}

/* ------------------------------------------------------------------ */
/* CRD-time structural check (schema.ValidateStructural + ValidateDefaults) */

enum level { L_ROOT, L_ITEM, L_FIELD };

struct chk {
    struct kapi_pool *pool;
    struct kapi_field_errors *errs;
    size_t re_bytes;
};

static const char *pkey(struct kapi_pool *pool, const char *fld, const char *what, const char *key)
{
    return kapi_pool_printf(pool, "%s.%s[%s]", fld, what, key);
}

static const char *pchild(struct kapi_pool *pool, const char *fld, const char *k)
{
    return kapi_pool_printf(pool, "%s.%s", fld, k);
}

static bool is_int_or_string_any_of(const struct kapi_value *any)
{
    if (!any || any->type != KAPI_V_ARRAY || any->u.arr.len != 2)
        return false;
    static const char *const want[] = {"integer", "string"};
    for (size_t i = 0; i < 2; i++) {
        const struct kapi_value *e = any->u.arr.items[i];
        if (e->type != KAPI_V_OBJECT || e->u.obj.len != 1)
            return false;
        const char *t = kapi_obj_get_str(e, "type");
        if (!t || strcmp(t, want[i]) != 0)
            return false;
    }
    return true;
}

static void check_nested(struct chk *k, const struct kapi_value *v, bool skip_any, enum level lvl, const char *fld,
                         int depth);

static void check_value_validation(struct chk *k, const struct kapi_value *v, bool skip_any, bool skip_first_allof_any,
                                   enum level lvl, const char *fld, int depth)
{
    const struct kapi_value *a;
    if (!skip_any && (a = kapi_obj_get(v, "anyOf")) && a->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < a->u.arr.len; i++)
            check_nested(k, a->u.arr.items[i], false, lvl, kapi_pool_printf(k->pool, "%s.anyOf[%zu]", fld, i), depth + 1);
    if ((a = kapi_obj_get(v, "allOf")) && a->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < a->u.arr.len; i++)
            check_nested(k, a->u.arr.items[i], skip_first_allof_any && i == 0, lvl,
                         kapi_pool_printf(k->pool, "%s.allOf[%zu]", fld, i), depth + 1);
    if ((a = kapi_obj_get(v, "oneOf")) && a->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < a->u.arr.len; i++)
            check_nested(k, a->u.arr.items[i], false, lvl, kapi_pool_printf(k->pool, "%s.oneOf[%zu]", fld, i), depth + 1);
    if ((a = kapi_obj_get(v, "not")) && a->type == KAPI_V_OBJECT)
        check_nested(k, a, false, lvl, pchild(k->pool, fld, "not"), depth + 1);
    const char *pat = kapi_obj_get_str(v, "pattern");
    if (pat && pat[0]) {
        const char *err = NULL;
        struct kapi_goregex *re = compile_pattern(k->pool, pat, &k->re_bytes, &err);
        if (!re)
            kapi_ferr_invalid(k->pool, k->errs, pchild(k->pool, fld, "pattern"), pat,
                              kapi_pool_printf(k->pool, "must be a valid regular expression, but isn't: %s", err));
        kapi_goregex_free(re);
    }
}

static void check_nested(struct chk *k, const struct kapi_value *v, bool skip_any, enum level lvl, const char *fld,
                         int depth)
{
    if (!v || v->type != KAPI_V_OBJECT || depth > SCHEMA_MAX_DEPTH)
        return;
    struct kapi_pool *p = k->pool;
    check_value_validation(k, v, skip_any, false, lvl, fld, depth);
    const struct kapi_value *it = kapi_obj_get(v, "items");
    if (it && it->type == KAPI_V_OBJECT)
        check_nested(k, it, false, lvl, pchild(p, fld, "items"), depth + 1);
    const struct kapi_value *props = kapi_obj_get(v, "properties");
    if (props && props->type == KAPI_V_OBJECT)
        for (size_t i = 0; i < props->u.obj.len; i++)
            check_nested(k, props->u.obj.members[i].val, false, L_FIELD,
                         pkey(p, fld, "properties", props->u.obj.members[i].key), depth + 1);
    const char *t = kapi_obj_get_str(v, "type");
    if (t && t[0])
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "type"), "must be empty to be structural");
    if (kapi_obj_get(v, "additionalProperties"))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "additionalProperties"), "must be undefined to be structural");
    if (kapi_obj_get(v, "default") && kapi_obj_get(v, "default")->type != KAPI_V_NULL)
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "default"), "must be undefined to be structural");
    const char *s;
    if ((s = kapi_obj_get_str(v, "title")) && s[0])
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "title"), "must be empty to be structural");
    if ((s = kapi_obj_get_str(v, "description")) && s[0])
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "description"), "must be empty to be structural");
    if (get_bool(kapi_obj_get(v, "nullable")))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "nullable"), "must be false to be structural");
    if (kapi_obj_get(v, "externalDocs"))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "externalDocs"), "must be undefined to be structural");
    if (get_bool(kapi_obj_get(v, "x-kubernetes-preserve-unknown-fields")))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-preserve-unknown-fields"),
                            "must be false to be structural");
    if (get_bool(kapi_obj_get(v, "x-kubernetes-embedded-resource")))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-embedded-resource"), "must be false to be structural");
    if (get_bool(kapi_obj_get(v, "x-kubernetes-int-or-string")))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-int-or-string"), "must be false to be structural");
    const struct kapi_value *mk = kapi_obj_get(v, "x-kubernetes-list-map-keys");
    if (mk && mk->type == KAPI_V_ARRAY && mk->u.arr.len)
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-list-map-keys"), "must be empty to be structural");
    if (kapi_obj_get(v, "x-kubernetes-list-type"))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-list-type"), "must be undefined to be structural");
    if (kapi_obj_get(v, "x-kubernetes-map-type"))
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-map-type"), "must be undefined to be structural");
    const struct kapi_value *xv = kapi_obj_get(v, "x-kubernetes-validations");
    if (xv && xv->type == KAPI_V_ARRAY && xv->u.arr.len)
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "x-kubernetes-validations"), "must be empty to be structural");
    if (props && props->type == KAPI_V_OBJECT && kapi_obj_get(props, "metadata"))
        kapi_ferr_forbidden(p, k->errs, pkey(p, fld, "properties", "metadata"), "must not be specified in a nested context");
}

static void check_metadata(struct chk *k, const struct kapi_value *m, bool check_meta, enum level lvl, const char *fld)
{
    struct kapi_pool *p = k->pool;
    const char *t = m->type == KAPI_V_OBJECT ? kapi_obj_get_str(m, "type") : NULL;
    if (check_meta && (!t || strcmp(t, "object") != 0))
        kapi_ferr_invalid(p, k->errs, pchild(p, fld, "type"), t ? t : "", "must be object");
    if (lvl != L_ROOT || m->type != KAPI_V_OBJECT)
        return;
    /* Only name and generateName may be specified (with value validations). */
    bool bad = false;
    for (size_t i = 0; i < m->u.obj.len && !bad; i++) {
        const char *key = m->u.obj.members[i].key;
        const struct kapi_value *v = m->u.obj.members[i].val;
        if (strcmp(key, "type") == 0 || strcmp(key, "default") == 0 || strcmp(key, "description") == 0 ||
            strcmp(key, "title") == 0 || strcmp(key, "example") == 0 || strcmp(key, "externalDocs") == 0)
            continue;
        if (strcmp(key, "properties") == 0 && v->type == KAPI_V_OBJECT) {
            bool has_name = kapi_obj_get(v, "name") != NULL, has_gen = kapi_obj_get(v, "generateName") != NULL;
            size_t n = v->u.obj.len;
            if (n == 0 || (has_name && has_gen && n == 2) || ((has_name || has_gen) && n == 1))
                continue;
        }
        if (v->type == KAPI_V_NULL)
            continue;
        bad = true;
    }
    if (bad)
        kapi_ferr_forbidden(p, k->errs, fld,
                            "must not specify anything other than name and generateName, but metadata is implicitly specified");
}

static void check_invariants(struct chk *k, const struct kapi_value *v, enum level lvl, const char *fld, int depth)
{
    if (!v || v->type != KAPI_V_OBJECT)
        return;
    struct kapi_pool *p = k->pool;
    if (depth > SCHEMA_MAX_DEPTH) {
        kapi_ferr_forbidden(p, k->errs, fld, kapi_pool_printf(p, "must not be nested deeper than %d levels", SCHEMA_MAX_DEPTH));
        return;
    }
    const char *t = kapi_obj_get_str(v, "type");
    if (!t)
        t = "";
    const struct kapi_value *items = kapi_obj_get(v, "items");
    if (strcmp(t, "array") == 0 && (!items || items->type == KAPI_V_NULL))
        kapi_ferr_required(p, k->errs, pchild(p, fld, "items"), "must be specified");
    if (items && items->type == KAPI_V_OBJECT)
        check_invariants(k, items, L_ITEM, pchild(p, fld, "items"), depth + 1);
    const struct kapi_value *props = kapi_obj_get(v, "properties");
    if (props && props->type == KAPI_V_OBJECT)
        for (size_t i = 0; i < props->u.obj.len; i++)
            check_invariants(k, props->u.obj.members[i].val, L_FIELD,
                             pkey(p, fld, "properties", props->u.obj.members[i].key), depth + 1);
    const struct kapi_value *ap = kapi_obj_get(v, "additionalProperties");
    bool has_ap = ap && ap->type != KAPI_V_NULL;
    if (has_ap) {
        if (lvl == L_ROOT)
            kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "additionalProperties"), "must not be used at the root");
        if (ap->type == KAPI_V_OBJECT)
            check_invariants(k, ap, L_FIELD, pchild(p, fld, "additionalProperties"), depth + 1);
    }
    bool ios = get_bool(kapi_obj_get(v, "x-kubernetes-int-or-string"));
    bool pres = get_bool(kapi_obj_get(v, "x-kubernetes-preserve-unknown-fields"));
    bool emb = get_bool(kapi_obj_get(v, "x-kubernetes-embedded-resource"));
    if (ios && pres)
        kapi_ferr_add(p, k->errs, KAPI_FERR_INVALID, pchild(p, fld, "x-kubernetes-preserve-unknown-fields"), "true",
                      "must be false if x-kubernetes-int-or-string is true");
    if (ios && emb)
        kapi_ferr_add(p, k->errs, KAPI_FERR_INVALID, pchild(p, fld, "x-kubernetes-embedded-resource"), "true",
                      "must be false if x-kubernetes-int-or-string is true");
    bool skip_any = is_int_or_string_any_of(kapi_obj_get(v, "anyOf"));
    const struct kapi_value *all = kapi_obj_get(v, "allOf");
    bool skip_first = all && all->type == KAPI_V_ARRAY && all->u.arr.len >= 1 &&
                      all->u.arr.items[0]->type == KAPI_V_OBJECT &&
                      is_int_or_string_any_of(kapi_obj_get(all->u.arr.items[0], "anyOf"));
    check_value_validation(k, v, skip_any, skip_first, lvl, fld, depth);
    bool check_meta = lvl == L_ROOT || emb;
    if (emb && strcmp(t, "object") != 0) {
        if (!t[0])
            kapi_ferr_required(p, k->errs, pchild(p, fld, "type"), "must be object if x-kubernetes-embedded-resource is true");
        else
            kapi_ferr_invalid(p, k->errs, pchild(p, fld, "type"), t, "must be object if x-kubernetes-embedded-resource is true");
    } else if (!t[0] && !ios && !pres) {
        const char *msg = lvl == L_ROOT   ? "must not be empty at the root"
                          : lvl == L_ITEM ? "must not be empty for specified array items"
                                          : "must not be empty for specified object fields";
        kapi_ferr_required(p, k->errs, pchild(p, fld, "type"), msg);
    }
    if (emb && has_ap)
        kapi_ferr_forbidden(p, k->errs, pchild(p, fld, "additionalProperties"),
                            "must not be used if x-kubernetes-embedded-resource is set");
    if (lvl == L_ROOT && t[0] && strcmp(t, "object") != 0)
        kapi_ferr_invalid(p, k->errs, pchild(p, fld, "type"), t, "must be object at the root");
    if (props && props->type == KAPI_V_OBJECT && check_meta) {
        static const char *const tm[] = {"kind", "apiVersion"};
        for (size_t i = 0; i < 2; i++) {
            const struct kapi_value *x = kapi_obj_get(props, tm[i]);
            if (!x)
                continue;
            const char *xt = x->type == KAPI_V_OBJECT ? kapi_obj_get_str(x, "type") : NULL;
            if (!xt || strcmp(xt, "string") != 0)
                kapi_ferr_invalid(p, k->errs, pchild(p, pkey(p, fld, "properties", tm[i]), "type"), xt ? xt : "",
                                  "must be string");
        }
    }
    const struct kapi_value *meta = props && props->type == KAPI_V_OBJECT ? kapi_obj_get(props, "metadata") : NULL;
    if (meta)
        check_metadata(k, meta, check_meta, lvl, pkey(p, fld, "properties", "metadata"));
    if (emb && !pres && (!props || props->type != KAPI_V_OBJECT || props->u.obj.len == 0))
        kapi_ferr_required(p, k->errs, pchild(p, fld, "properties"),
                           "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields");
}

/* ValidateDefaults: each default validates against its schema and is pruned. */
static void check_defaults(struct chk *k, const struct kapi_value *v, const char *fld, bool inside_meta, int depth)
{
    if (!v || v->type != KAPI_V_OBJECT || depth > SCHEMA_MAX_DEPTH)
        return;
    struct kapi_pool *p = k->pool;
    bool emb = get_bool(kapi_obj_get(v, "x-kubernetes-embedded-resource")) || depth == 0;
    if (get_bool(kapi_obj_get(v, "x-kubernetes-embedded-resource")))
        inside_meta = false;
    const struct kapi_value *def = kapi_obj_get(v, "default");
    if (def && def->type != KAPI_V_NULL && !inside_meta) {
        char *err = NULL;
        struct kapi_crd_schema *s = kapi_crd_schema_compile(v, &err);
        free(err);
        if (s) {
            const char *dfld = pchild(p, fld, "default");
            struct kapi_value *pruned = kapi_value_clone(p, def);
            struct kapi_crd_schema node = *s;
            if (depth == 0)
                node.embedded = true;
            prune_value(p, &node, pruned, false, "", NULL, 0);
            if (!kapi_value_equal(pruned, def))
                kapi_ferr_add(p, k->errs, KAPI_FERR_INVALID, dfld, bad_repr(p, def), "must not have unknown fields");
            size_t before = k->errs->len;
            if (def->type == KAPI_V_OBJECT && emb) {
                for (size_t i = 0; i < def->u.obj.len; i++) {
                    const char *key = def->u.obj.members[i].key;
                    const struct kapi_value *mv = def->u.obj.members[i].val;
                    if ((strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0) && mv->type != KAPI_V_STRING) {
                        kapi_ferr_add(p, k->errs, KAPI_FERR_INVALID, pchild(p, dfld, key), bad_repr(p, mv), "must be a string");
                        break;
                    }
                }
            }
            if (k->errs->len == before)
                walk_embedded(p, dfld, def, &node, k->errs, depth == 0 || node.embedded ? 1 : 0);
            if (k->errs->len == before)
                validate_prefixed(p, s, def, dfld, k->errs);
            kapi_crd_schema_free(s);
        }
    }
    const struct kapi_value *items = kapi_obj_get(v, "items");
    if (items && items->type == KAPI_V_OBJECT)
        check_defaults(k, items, pchild(p, fld, "items"), inside_meta, depth + 1);
    const struct kapi_value *props = kapi_obj_get(v, "properties");
    if (props && props->type == KAPI_V_OBJECT)
        for (size_t i = 0; i < props->u.obj.len; i++) {
            const char *key = props->u.obj.members[i].key;
            bool sub = inside_meta || (emb && is_meta_field(key));
            check_defaults(k, props->u.obj.members[i].val, pkey(p, fld, "properties", key), sub, depth + 1);
        }
}

static int cmp_err(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void kapi_crd_schema_check(struct kapi_pool *pool, const struct kapi_value *schema_value, const char *fld,
                           struct kapi_field_errors *errs)
{
    if (!schema_value || schema_value->type == KAPI_V_NULL)
        return;
    if (!fld)
        fld = "openAPIV3Schema";
    struct kapi_field_errors tmp = {0};
    struct chk k = {.pool = pool, .errs = &tmp};
    check_invariants(&k, schema_value, L_ROOT, fld, 0);
    if (tmp.len) {
        /* Upstream sorts structural errors by their text. */
        struct { char *s; size_t i; } *v = kapi_pool_alloc(pool, tmp.len * sizeof(*v));
        for (size_t i = 0; i < tmp.len; i++) {
            v[i].s = kapi_field_error_string(pool, &tmp.items[i]);
            v[i].i = i;
        }
        qsort(v, tmp.len, sizeof(*v), cmp_err);
        for (size_t i = 0; i < tmp.len; i++) {
            const struct kapi_field_error *e = &tmp.items[v[i].i];
            kapi_ferr_add(pool, errs, e->type, e->field, e->bad_value_repr, e->detail);
        }
        return;
    }
    check_defaults(&k, schema_value, fld, false, 0);
    errs_append(pool, errs, &tmp);
}

/* ------------------------------------------------------------------ */
/* Read-only accessors for server-side apply (src/apply)               */

const struct kapi_crd_schema *kapi_crd_schema_prop(const struct kapi_crd_schema *s, const char *name, size_t len)
{
    if (!s)
        return NULL;
    size_t lo = 0, hi = s->nprops;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *pn = s->prop_names[mid];
        size_t pl = strlen(pn);
        size_t n = pl < len ? pl : len;
        int c = memcmp(pn, name, n);
        if (c == 0)
            c = pl < len ? -1 : pl > len ? 1 : 0;
        if (c == 0)
            return s->props[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

size_t kapi_crd_schema_nprops(const struct kapi_crd_schema *s)
{
    return s ? s->nprops : 0;
}

const struct kapi_crd_schema *kapi_crd_schema_items(const struct kapi_crd_schema *s)
{
    return s ? s->items : NULL;
}

const struct kapi_crd_schema *kapi_crd_schema_additional(const struct kapi_crd_schema *s, bool *allowed)
{
    if (allowed)
        *allowed = s && s->has_addl && s->addl_allows;
    return s ? s->addl : NULL;
}

int kapi_crd_schema_list_type(const struct kapi_crd_schema *s)
{
    return s ? (int)s->list_type : 0;
}

size_t kapi_crd_schema_list_map_keys(const struct kapi_crd_schema *s, const char *const **keys)
{
    if (keys)
        *keys = s ? s->map_keys : NULL;
    return s ? s->nmap_keys : 0;
}

int kapi_crd_schema_map_type(const struct kapi_crd_schema *s)
{
    return s ? s->map_type : 0;
}

bool kapi_crd_schema_preserves_unknown(const struct kapi_crd_schema *s)
{
    return s && s->preserve;
}

bool kapi_crd_schema_is_embedded(const struct kapi_crd_schema *s)
{
    return s && s->embedded;
}

bool kapi_crd_schema_is_int_or_string(const struct kapi_crd_schema *s)
{
    return s && s->int_or_string;
}

const struct kapi_value *kapi_crd_schema_default_value(const struct kapi_crd_schema *s)
{
    return s ? s->def : NULL;
}
