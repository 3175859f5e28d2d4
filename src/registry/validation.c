/* registry/validation: dispatch by group and the helpers every per-group
 * validator shares (value access, Go-style bad-value renderings, label
 * selectors, quantities). */
#include "validation/validation_int.h"

#include "../schema/quantity.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

char *kv_path(struct kv_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = kapi_pool_vprintf(c->pool, fmt, ap);
    va_end(ap);
    return s;
}

void kv_warn(struct kv_ctx *c, const char *fmt, ...)
{
    if (!c->warns)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = kapi_pool_vprintf(c->pool, fmt, ap);
    va_end(ap);
    kapi_warnings_add(c->pool, c->warns, s);
}

const struct kapi_value *kv_get(const struct kapi_value *o, const char *key)
{
    if (!o || o->type != KAPI_V_OBJECT)
        return NULL;
    const struct kapi_value *v = kapi_obj_get(o, key);
    return v && v->type != KAPI_V_NULL ? v : NULL;
}

const char *kv_str(const struct kapi_value *o, const char *key)
{
    return kapi_value_cstr(kv_get(o, key));
}

const char *kv_str0(const struct kapi_value *o, const char *key)
{
    const char *s = kv_str(o, key);
    return s ? s : "";
}

bool kv_int(const struct kapi_value *o, const char *key, int64_t *out)
{
    const struct kapi_value *v = kv_get(o, key);
    if (!v)
        return false;
    if (v->type == KAPI_V_INT) {
        *out = v->u.i;
        return true;
    }
    if (v->type == KAPI_V_FLOAT) {
        *out = (int64_t)v->u.f;
        return true;
    }
    return false;
}

size_t kv_len(const struct kapi_value *v)
{
    if (!v)
        return 0;
    if (v->type == KAPI_V_ARRAY)
        return v->u.arr.len;
    if (v->type == KAPI_V_OBJECT)
        return v->u.obj.len;
    return 0;
}

const struct kapi_value *kv_item(const struct kapi_value *arr, size_t i)
{
    if (!arr || arr->type != KAPI_V_ARRAY || i >= arr->u.arr.len)
        return NULL;
    return arr->u.arr.items[i];
}

bool kv_bool(const struct kapi_value *o, const char *key)
{
    const struct kapi_value *v = kv_get(o, key);
    return v && v->type == KAPI_V_BOOL && v->u.b;
}

bool kv_in(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

void kv_name_msgs(struct kv_ctx *c, const char *field, const char *value,
                  size_t (*fn)(const char *, const char *msgs[KAPI_NAME_MSGS_MAX]))
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    size_t n = fn(value, msgs);
    for (size_t i = 0; i < n; i++)
        kapi_ferr_invalid(c->pool, c->errs, field, value, msgs[i]);
}

void kv_nonneg(struct kv_ctx *c, const char *base, const struct kapi_value *o, const char *key)
{
    int64_t v;
    if (kv_int(o, key, &v) && v < 0)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.%s", base, key), v,
                              "must be greater than or equal to 0");
}

void kv_enum(struct kv_ctx *c, const char *field, const char *s, const char *const *set, size_t n)
{
    if (!s || !*s)
        kapi_ferr_required(c->pool, c->errs, field, "");
    else if (!kv_in(s, set, n))
        kapi_ferr_not_supported(c->pool, c->errs, field, s, set, n);
}

const char *kv_repr(struct kv_ctx *c, const struct kapi_value *v)
{
    if (!v)
        return "null";
    switch (v->type) {
    case KAPI_V_STRING: return kapi_go_quote(c->pool, v->u.str.s, v->u.str.len);
    case KAPI_V_INT: return kapi_pool_printf(c->pool, "%lld", (long long)v->u.i);
    case KAPI_V_FLOAT: return kapi_pool_printf(c->pool, "%g", v->u.f);
    case KAPI_V_BOOL: return v->u.b ? "true" : "false";
    default: return "null";
    }
}

void kv_immutable(struct kv_ctx *c, const struct kapi_value *nv, const struct kapi_value *ov, const char *fld,
                  const char *repr)
{
    bool same = (!nv || nv->type == KAPI_V_NULL) ? (!ov || ov->type == KAPI_V_NULL)
                                                 : (ov && kapi_value_equal(nv, ov));
    /* a nil new value prints as the string "null" (Go's field.Error) */
    bool nil = !nv || nv->type == KAPI_V_NULL;
    if (!same)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, repr ? repr : nil ? "\"null\"" : kv_repr(c, nv),
                      "field is immutable");
}

/* ---- Go %#v renderings. */

static int cmp_member(const void *a, const void *b)
{
    const struct kapi_member *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static void go_map_buf(struct kapi_buf *b, const struct kapi_value *m)
{
    if (!m || m->type != KAPI_V_OBJECT) {
        kapi_buf_puts(b, "map[string]string(nil)");
        return;
    }
    size_t n = m->u.obj.len;
    struct kapi_member *sorted = kapi_xmalloc((n ? n : 1) * sizeof(*sorted));
    if (n)
        memcpy(sorted, m->u.obj.members, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), cmp_member);
    kapi_buf_puts(b, "map[string]string{");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_puts(b, ", ");
        kapi_go_quote_buf(b, sorted[i].key, sorted[i].klen);
        kapi_buf_putc(b, ':');
        const struct kapi_value *v = sorted[i].val;
        if (v && v->type == KAPI_V_STRING)
            kapi_go_quote_buf(b, v->u.str.s, v->u.str.len);
        else
            kapi_buf_puts(b, "\"\"");
    }
    kapi_buf_putc(b, '}');
    free(sorted);
}

static char *buf_done(struct kv_ctx *c, struct kapi_buf *b)
{
    char *s = kapi_pool_strndup(c->pool, b->data ? b->data : "", b->len);
    kapi_buf_dispose(b);
    return s;
}

char *kv_go_map(struct kv_ctx *c, const struct kapi_value *m)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    go_map_buf(&b, m);
    return buf_done(c, &b);
}

char *kv_go_selector(struct kv_ctx *c, const struct kapi_value *sel)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "v1.LabelSelector{MatchLabels:");
    go_map_buf(&b, kv_get(sel, "matchLabels"));
    kapi_buf_puts(&b, ", MatchExpressions:");
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    if (!ex || ex->type != KAPI_V_ARRAY) {
        kapi_buf_puts(&b, "[]v1.LabelSelectorRequirement(nil)");
    } else {
        kapi_buf_puts(&b, "[]v1.LabelSelectorRequirement{");
        for (size_t i = 0; i < ex->u.arr.len; i++) {
            const struct kapi_value *r = ex->u.arr.items[i];
            const char *k = kv_str0(r, "key"), *op = kv_str0(r, "operator");
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_buf_puts(&b, "v1.LabelSelectorRequirement{Key:");
            kapi_go_quote_buf(&b, k, strlen(k));
            kapi_buf_puts(&b, ", Operator:");
            kapi_go_quote_buf(&b, op, strlen(op));
            kapi_buf_puts(&b, ", Values:");
            const struct kapi_value *vals = kv_get(r, "values");
            if (!vals || vals->type != KAPI_V_ARRAY) {
                kapi_buf_puts(&b, "[]string(nil)");
            } else {
                kapi_buf_puts(&b, "[]string{");
                for (size_t j = 0; j < vals->u.arr.len; j++) {
                    const char *s = kapi_value_cstr(vals->u.arr.items[j]);
                    if (j)
                        kapi_buf_puts(&b, ", ");
                    kapi_go_quote_buf(&b, s ? s : "", s ? strlen(s) : 0);
                }
                kapi_buf_putc(&b, '}');
            }
            kapi_buf_putc(&b, '}');
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_putc(&b, '}');
    return buf_done(c, &b);
}

char *kv_go_intstr(struct kv_ctx *c, const struct kapi_value *v)
{
    if (v && v->type == KAPI_V_STRING)
        return kapi_pool_printf(c->pool, "intstr.IntOrString{Type:1, IntVal:0, StrVal:%s}",
                                kapi_go_quote(c->pool, v->u.str.s, v->u.str.len));
    long long i = v && v->type == KAPI_V_INT ? (long long)v->u.i : 0;
    return kapi_pool_printf(c->pool, "intstr.IntOrString{Type:0, IntVal:%lld, StrVal:\"\"}", i);
}

/* ---- Quantities. */

bool kv_quantity(const char *s, long double *out)
{
    if (!s || !*s)
        return false;
    const char *p = s;
    long double sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long double v = 0, scale = 1;
    bool digits = false, dot = false;
    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (dot)
                return false;
            dot = true;
            continue;
        }
        digits = true;
        v = v * 10 + (*p - '0');
        if (dot)
            scale *= 10;
    }
    if (!digits)
        return false;
    v /= scale;
    static const struct { const char *suf; long double mul; } sufs[] = {
        {"Ki", 1024.0L}, {"Mi", 1048576.0L}, {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L},
        {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L}, {"n", 1e-9L}, {"u", 1e-6L},
        {"m", 1e-3L}, {"", 1}, {"k", 1e3L}, {"M", 1e6L}, {"G", 1e9L}, {"T", 1e12L}, {"P", 1e15L},
        {"E", 1e18L},
    };
    for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++) {
        if (strcmp(p, sufs[i].suf) == 0) {
            *out = sign * v * sufs[i].mul;
            return true;
        }
    }
    if (*p == 'e' || *p == 'E') {
        char *end;
        long e = strtol(p + 1, &end, 10);
        if (end == p + 1 || *end)
            return false;
        long double m = 1;
        for (long k = 0; k < (e < 0 ? -e : e) && k < 400; k++)
            m *= 10;
        *out = sign * (e < 0 ? v / m : v * m);
        return true;
    }
    return false;
}

const char *kv_quantity_string(struct kv_ctx *c, const char *s)
{
    const char *out = NULL, *err = NULL;
    if (s && kapi_quantity_canonical(c->pool, s, strlen(s), &out, &err) == 0)
        return out;
    return s ? s : "";
}

/* helper.IsExtendedResourceName: a name outside kubernetes.io, not
 * requests.-prefixed, that stays a qualified name with requests. in front. */
bool kv_extended_resource(struct kv_ctx *c, const char *name)
{
    const char *msgs[KAPI_NAME_MSGS_MAX];
    if (!strchr(name, '/') || strstr(name, "kubernetes.io/") || !strncmp(name, "requests.", 9))
        return false;
    return kapi_is_qualified_name(kapi_pool_printf(c->pool, "requests.%s", name), msgs) == 0;
}

/* helper.IsIntegerResourceName: the object counts and the extended resources */
static bool integer_resource(struct kv_ctx *c, const char *name)
{
    static const char *const COUNTS[] = {"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
                                         "configmaps", "persistentvolumeclaims", "services.nodeports",
                                         "services.loadbalancers"};
    return kv_in(name, COUNTS, sizeof(COUNTS) / sizeof(COUNTS[0])) || kv_extended_resource(c, name);
}

void kv_resource_quantity_value(struct kv_ctx *c, const char *name, const struct kapi_value *v, const char *fld)
{
    const char *s = kapi_value_cstr(v);
    long double q;
    if (!s)
        return;
    if (kv_quantity(s, &q) && q < 0)
        kapi_ferr_invalid(c->pool, c->errs, fld, kv_quantity_string(c, s), "must be greater than or equal to 0");
    if (!integer_resource(c, name))
        return;
    /* MilliValue of the Quantity decoded from the client's text, after the
     * v1 defaults' RoundUp(-3) (every ResourceList this is called for gets
     * it); the bad value is that Quantity's %#v */
    const char *orig = kapi_quantity_original(c->pool, v);
    const char *text = orig ? orig : s, *repr;
    size_t n = strlen(text);
    while (n && (*text == ' ' || (*text >= '\t' && *text <= '\r')))  /* UnmarshalJSON's TrimSpace */
        text++, n--;
    while (n && (text[n - 1] == ' ' || (text[n - 1] >= '\t' && text[n - 1] <= '\r')))
        n--;
    int64_t milli;
    if (kapi_quantity_go(c->pool, text, n, true, &milli, &repr) == 0 && milli % 1000 != 0)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, repr, "must be an integer");
}

/* ---- Label selectors (metav1.LabelSelector). */

void kv_label_selector(struct kv_ctx *c, const struct kapi_value *sel, const char *fld)
{
    if (!sel)
        return;
    /* metav1 ValidateLabelSelector: matchLabels first, then the expressions */
    kapi_validate_labels(c->pool, kv_get(sel, "matchLabels"), kv_path(c, "%s.matchLabels", fld), c->errs);
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const struct kapi_value *r = kv_item(ex, i);
        const char *p = kv_path(c, "%s.matchExpressions[%zu]", fld, i);
        const char *op = kv_str0(r, "operator");
        size_t nv = kv_len(kv_get(r, "values"));
        if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (nv == 0)
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.values", p),
                                   "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
            if (nv > 0)
                kapi_ferr_forbidden(c->pool, c->errs, kv_path(c, "%s.values", p),
                                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else {
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.operator", p), op, "not a valid selector operator");
        }
        kv_name_msgs(c, kv_path(c, "%s.key", p), kv_str0(r, "key"), kapi_is_qualified_name);
        const struct kapi_value *vals = kv_get(r, "values");
        for (size_t j = 0; !c->selector_skip_values && j < kv_len(vals); j++) {
            const char *s = kapi_value_cstr(kv_item(vals, j));
            kv_name_msgs(c, kv_path(c, "%s.values[%zu]", p, j), s ? s : "", kapi_is_label_value);
        }
    }
}

bool kv_selector_empty(const struct kapi_value *sel)
{
    return kv_len(kv_get(sel, "matchLabels")) + kv_len(kv_get(sel, "matchExpressions")) == 0;
}

bool kv_selector_matches(const struct kapi_value *sel, const struct kapi_value *labels)
{
    if (!sel)
        return false; /* a nil selector selects nothing */
    const struct kapi_value *ml = kv_get(sel, "matchLabels");
    for (size_t i = 0; i < kv_len(ml); i++) {
        const struct kapi_member *m = &ml->u.obj.members[i];
        const char *have = kv_str(labels, m->key);
        const char *want = kapi_value_cstr(m->val);
        if (!have || !want || strcmp(have, want) != 0)
            return false;
    }
    const struct kapi_value *ex = kv_get(sel, "matchExpressions");
    for (size_t i = 0; i < kv_len(ex); i++) {
        const struct kapi_value *r = kv_item(ex, i);
        const char *op = kv_str0(r, "operator");
        const char *have = kv_str(labels, kv_str0(r, "key"));
        const struct kapi_value *vals = kv_get(r, "values");
        bool in = false;
        for (size_t j = 0; have && j < kv_len(vals); j++) {
            const char *s = kapi_value_cstr(kv_item(vals, j));
            if (s && !strcmp(s, have))
                in = true;
        }
        if (!strcmp(op, "In") && !in)
            return false;
        if (!strcmp(op, "NotIn") && in)
            return false;
        if (!strcmp(op, "Exists") && !have)
            return false;
        if (!strcmp(op, "DoesNotExist") && have)
            return false;
    }
    return true;
}

/* ---- Ports. */

void kv_port_name_msgs(struct kv_ctx *c, const char *field, const char *name)
{
    size_t n = strlen(name);
    bool charset = n > 0, letter = false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (ch >= 'a' && ch <= 'z')
            letter = true;
        else if (!(ch >= '0' && ch <= '9') && ch != '-')
            charset = false;
    }
    if (n > 15)
        kapi_ferr_invalid(c->pool, c->errs, field, name, "must be no more than 15 characters");
    if (!charset)
        kapi_ferr_invalid(c->pool, c->errs, field, name,
                          "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        kapi_ferr_invalid(c->pool, c->errs, field, name, "must contain at least one letter (a-z)");
    if (strstr(name, "--"))
        kapi_ferr_invalid(c->pool, c->errs, field, name, "must not contain consecutive hyphens");
    if (n > 0 && (name[0] == '-' || name[n - 1] == '-'))
        kapi_ferr_invalid(c->pool, c->errs, field, name, "must not begin or end with a hyphen");
}

void kv_port_num(struct kv_ctx *c, const char *field, int64_t port)
{
    if (port < 1 || port > 65535)
        kapi_ferr_invalid_int(c->pool, c->errs, field, port, "must be between 1 and 65535, inclusive");
}

/* ---- Dispatch. */

void kapi_validate_kind(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                        const struct kapi_value *obj, const struct kapi_value *old,
                        struct kapi_field_errors *errs)
{
    if (!obj || obj->type != KAPI_V_OBJECT || !kind)
        return;
    struct kv_ctx c = {.pool = pool, .errs = errs};
    if (old && old->type != KAPI_V_OBJECT)
        old = NULL;
    if (old)
        kv_options_from_old(&c, kind, old);
    if (!group || !*group) {
        kv_core(&c, kind, obj, old);
        return;
    }
    if (kv_apps(&c, group, kind, obj, old) || kv_certificates(&c, group, kind, obj, old, false))
        return;
    kv_other(&c, group, kind, obj, old);
}

bool kapi_validate_subresource(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                               const char *subresource, const struct kapi_value *obj,
                               const struct kapi_value *old, struct kapi_field_errors *errs)
{
    (void)version;
    if (!subresource || !obj || obj->type != KAPI_V_OBJECT || !kind || !old || old->type != KAPI_V_OBJECT)
        return false;
    struct kv_ctx c = {.pool = pool, .errs = errs};
    if (!strcmp(subresource, "status"))
        return kv_status(&c, group ? group : "", kind, obj, old);
    if (!strcmp(subresource, "approval"))
        return kv_certificates(&c, group ? group : "", kind, obj, old, true);
    if (!strcmp(subresource, "ephemeralcontainers") && (!group || !*group) && !strcmp(kind, "Pod")) {
        kv_options_from_old(&c, kind, old);
        kv_pod_ephemeral_update(&c, obj, old);
        return true;
    }
    return false;
}
