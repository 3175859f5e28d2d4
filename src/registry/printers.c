/* registry/printers: lookup of a kind's printer, and the formatting helpers
 * (durations, timestamps, labels, selectors) the per-area files share. */
#include "printers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "printers/printers_int.h"

/* ---- lookup ---- */

static const struct kapi_printer *find_printer(const char *group, const char *resource)
{
    static const struct {
        const struct kapi_printer *tab;
        const size_t *n;
    } areas[] = {
        { kapi_printers_core, &kapi_printers_core_n },
        { kapi_printers_workloads, &kapi_printers_workloads_n },
        { kapi_printers_cluster, &kapi_printers_cluster_n },
    };
    if (!group || !resource)
        return NULL;
    for (size_t a = 0; a < KAPI_ARRAY_LEN(areas); a++)
        for (size_t i = 0; i < *areas[a].n; i++) {
            const struct kapi_printer *p = &areas[a].tab[i];
            if (strcmp(p->group, group) == 0 && strcmp(p->resource, resource) == 0)
                return p;
        }
    return NULL;
}

const struct kapi_printer_column *kapi_printer_columns(const char *group, const char *resource, size_t *n)
{
    const struct kapi_printer *p = find_printer(group, resource);
    *n = p ? p->ncols : 0;
    return p ? p->cols : NULL;
}

int kapi_printer_cells(struct kapi_pool *pool, const char *group, const char *resource,
                       const struct kapi_value *obj, int64_t now_unix, struct kapi_value *cells)
{
    const struct kapi_printer *p = find_printer(group, resource);
    if (!p || !cells || cells->type != KAPI_V_ARRAY)
        return -1;
    struct kapi_pctx c = { pool, group, obj, now_unix, cells };
    p->cells(&c);
    return 0;
}

struct kapi_value *kapi_printer_row_conditions(struct kapi_pool *pool, const char *group, const char *resource,
                                               const struct kapi_value *obj)
{
    if (!group || !resource || strcmp(group, "") != 0 || strcmp(resource, "pods") != 0)
        return NULL;
    const char *phase = PS(obj, "status", "phase");
    const char *msg;
    if (phase && strcmp(phase, "Succeeded") == 0)
        msg = "The pod has completed successfully.";
    else if (phase && strcmp(phase, "Failed") == 0)
        msg = "The pod failed.";
    else
        return NULL;
    struct kapi_value *cond = kapi_value_object(pool);
    kapi_obj_set(pool, cond, "type", kapi_value_str(pool, "Completed"));
    kapi_obj_set(pool, cond, "status", kapi_value_str(pool, "True"));
    kapi_obj_set(pool, cond, "reason", kapi_value_str(pool, phase));
    kapi_obj_set(pool, cond, "message", kapi_value_str(pool, msg));
    struct kapi_value *arr = kapi_value_array(pool);
    kapi_arr_push(pool, arr, cond);
    return arr;
}

/* ---- durations and time ---- */

const char *kapi_human_duration(struct kapi_pool *pool, int64_t s)
{
    /* A clock up to a second behind the stamp still reads as "now". */
    if (s < -1)
        return "<invalid>";
    if (s < 0)
        return "0s";
    if (s < 120)
        return kapi_pool_printf(pool, "%llds", (long long)s);
    long long m = s / 60, h = s / 3600, d = h / 24;
    if (m < 10)
        return s % 60 ? kapi_pool_printf(pool, "%lldm%llds", m, (long long)(s % 60))
                      : kapi_pool_printf(pool, "%lldm", m);
    if (m < 180)
        return kapi_pool_printf(pool, "%lldm", m);
    if (h < 8)
        return m % 60 ? kapi_pool_printf(pool, "%lldh%lldm", h, m % 60) : kapi_pool_printf(pool, "%lldh", h);
    if (h < 48)
        return kapi_pool_printf(pool, "%lldh", h);
    if (h < 24 * 8)
        return h % 24 ? kapi_pool_printf(pool, "%lldd%lldh", d, h % 24) : kapi_pool_printf(pool, "%lldd", d);
    if (h < 24 * 365 * 2)
        return kapi_pool_printf(pool, "%lldd", d);
    if (h < 24 * 365 * 8)
        return d % 365 ? kapi_pool_printf(pool, "%lldy%lldd", d / 365, d % 365)
                       : kapi_pool_printf(pool, "%lldy", d / 365);
    return kapi_pool_printf(pool, "%lldy", d / 365);
}

static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool kapi_printer_parse_time(const char *s, int64_t *out)
{
    if (!s || strlen(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
        s[13] != ':' || s[16] != ':')
        return false;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 60)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh = digits(p + 1, 2), om = p[3] == ':' ? digits(p + 4, 2) : -1;
        if (oh < 0 || om < 0)
            return false;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return true;
}

int64_t kapi_ptime(const char *stamp)
{
    int64_t t;
    return kapi_printer_parse_time(stamp, &t) ? t : INT64_MIN;
}

const char *kapi_ptime_since(struct kapi_pctx *c, const char *stamp)
{
    int64_t t = kapi_ptime(stamp);
    if (t == INT64_MIN)
        return "<unknown>";
    return kapi_human_duration(c->pool, c->now - t);
}

/* ---- cells ---- */

void kapi_pcell_str(struct kapi_pctx *c, const char *s)
{
    kapi_arr_push(c->pool, c->cells, kapi_value_str(c->pool, s ? s : ""));
}

void kapi_pcell_int(struct kapi_pctx *c, int64_t i)
{
    kapi_arr_push(c->pool, c->cells, kapi_value_int(c->pool, i));
}

void kapi_pcell_bool(struct kapi_pctx *c, bool b)
{
    kapi_arr_push(c->pool, c->cells, kapi_value_bool(c->pool, b));
}

void kapi_pcell_printf(struct kapi_pctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = kapi_pool_vprintf(c->pool, fmt, ap);
    va_end(ap);
    kapi_arr_push(c->pool, c->cells, kapi_value_str(c->pool, s));
}

void kapi_pcell_name(struct kapi_pctx *c)
{
    kapi_pcell_str(c, PS(c->obj, "metadata", "name"));
}

void kapi_pcell_age(struct kapi_pctx *c)
{
    kapi_pcell_str(c, kapi_ptime_since(c, PS(c->obj, "metadata", "creationTimestamp")));
}

/* ---- readers ---- */

int64_t kapi_pint(const struct kapi_value *v, int64_t dflt)
{
    if (v && v->type == KAPI_V_INT)
        return v->u.i;
    if (v && v->type == KAPI_V_FLOAT && v->u.f >= -9.2e18 && v->u.f <= 9.2e18)
        return (int64_t)v->u.f;
    return dflt;
}

bool kapi_pbool(const struct kapi_value *v, bool dflt)
{
    return v && v->type == KAPI_V_BOOL ? v->u.b : dflt;
}

size_t kapi_plen(const struct kapi_value *v)
{
    if (v && v->type == KAPI_V_ARRAY)
        return v->u.arr.len;
    if (v && v->type == KAPI_V_OBJECT)
        return v->u.obj.len;
    return 0;
}

const char *kapi_pstr_or(const struct kapi_value *v, const char *dflt)
{
    const char *s = kapi_value_cstr(v);
    return s && *s ? s : dflt;
}

/* ---- formatting ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void kapi_psort_strs(const char **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
}

static const char *join(struct kapi_pool *pool, const char **v, size_t n, const char *sep)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_puts(&b, sep);
        kapi_buf_puts(&b, v[i]);
    }
    const char *s = kapi_pool_strdup(pool, b.data);
    kapi_buf_dispose(&b);
    return s;
}

const char *kapi_pfmt_labels(struct kapi_pool *pool, const struct kapi_value *map)
{
    if (!map || map->type != KAPI_V_OBJECT || map->u.obj.len == 0)
        return "<none>";
    size_t n = map->u.obj.len;
    const char **kv = kapi_pool_alloc(pool, n * sizeof *kv);
    for (size_t i = 0; i < n; i++) {
        const char *v = kapi_value_cstr(map->u.obj.members[i].val);
        kv[i] = kapi_pool_printf(pool, "%s=%s", map->u.obj.members[i].key, v ? v : "");
    }
    /* Upstream sorts the joined "k=v" strings, not the keys. */
    kapi_psort_strs(kv, n);
    return join(pool, kv, n, ",");
}

struct req {
    const char *key, *text;
};

const char *kapi_pfmt_selector(struct kapi_pool *pool, const struct kapi_value *sel)
{
    if (!sel || sel->type != KAPI_V_OBJECT)
        return "";
    const struct kapi_value *ml = kapi_obj_get(sel, "matchLabels");
    const struct kapi_value *me = kapi_obj_get(sel, "matchExpressions");
    size_t n = kapi_plen(ml) + kapi_plen(me), k = 0;
    if (n == 0)
        return "";
    struct req *r = kapi_pool_alloc(pool, n * sizeof *r);
    if (ml && ml->type == KAPI_V_OBJECT)
        for (size_t i = 0; i < ml->u.obj.len; i++) {
            const char *v = kapi_value_cstr(ml->u.obj.members[i].val);
            r[k].key = ml->u.obj.members[i].key;
            r[k].text = kapi_pool_printf(pool, "%s=%s", r[k].key, v ? v : "");
            k++;
        }
    if (me && me->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < me->u.arr.len; i++) {
            const struct kapi_value *e = me->u.arr.items[i];
            const char *key = kapi_obj_get_str(e, "key"), *op = kapi_obj_get_str(e, "operator");
            const struct kapi_value *vals = kapi_obj_get(e, "values");
            size_t nv = vals && vals->type == KAPI_V_ARRAY ? vals->u.arr.len : 0;
            if (!key || !*key || !op)
                return NULL;
            bool in = strcmp(op, "In") == 0, notin = strcmp(op, "NotIn") == 0;
            r[k].key = key;
            if (in || notin) {
                if (nv == 0)
                    return NULL;
                const char **sv = kapi_pool_alloc(pool, nv * sizeof *sv);
                size_t m = 0;
                for (size_t j = 0; j < nv; j++) {
                    const char *s = kapi_value_cstr(vals->u.arr.items[j]);
                    s = s ? s : "";
                    bool dup = false;
                    for (size_t q = 0; q < m; q++)
                        dup = dup || strcmp(sv[q], s) == 0;
                    if (!dup)
                        sv[m++] = s;
                }
                kapi_psort_strs(sv, m);
                r[k++].text = kapi_pool_printf(pool, "%s %s (%s)", key, in ? "in" : "notin", join(pool, sv, m, ","));
            } else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
                if (nv)
                    return NULL;
                r[k++].text = op[0] == 'E' ? key : kapi_pool_printf(pool, "!%s", key);
            } else {
                return NULL;
            }
        }
    /* Stable insertion sort by key, as upstream orders requirements. */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && strcmp(r[j - 1].key, r[j].key) > 0; j--) {
            struct req t = r[j - 1];
            r[j - 1] = r[j];
            r[j] = t;
        }
    const char **texts = kapi_pool_alloc(pool, k * sizeof *texts);
    for (size_t i = 0; i < k; i++)
        texts[i] = r[i].text;
    return join(pool, texts, k, ",");
}

const char *kapi_pfmt_label_selector(struct kapi_pool *pool, const struct kapi_value *sel)
{
    const char *s = kapi_pfmt_selector(pool, sel);
    if (!s)
        return "<error>";
    return *s ? s : "<none>";
}

void kapi_pfmt_containers(struct kapi_pool *pool, const struct kapi_value *containers, const char **names,
                          const char **images)
{
    size_t n = containers && containers->type == KAPI_V_ARRAY ? containers->u.arr.len : 0;
    const char **nv = kapi_pool_alloc(pool, (n + 1) * sizeof *nv);
    const char **iv = kapi_pool_alloc(pool, (n + 1) * sizeof *iv);
    for (size_t i = 0; i < n; i++) {
        nv[i] = kapi_pstr_or(kapi_obj_get(containers->u.arr.items[i], "name"), "");
        iv[i] = kapi_pstr_or(kapi_obj_get(containers->u.arr.items[i], "image"), "");
    }
    *names = join(pool, nv, n, ",");
    *images = join(pool, iv, n, ",");
}

const char *kapi_pfmt_lb_ingress(struct kapi_pool *pool, const struct kapi_value *ingress)
{
    size_t n = ingress && ingress->type == KAPI_V_ARRAY ? ingress->u.arr.len : 0, m = 0;
    const char **v = kapi_pool_alloc(pool, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *e = ingress->u.arr.items[i];
        const char *s = kapi_pstr_or(kapi_obj_get(e, "ip"), NULL);
        if (!s)
            s = kapi_pstr_or(kapi_obj_get(e, "hostname"), NULL);
        if (!s)
            continue;
        bool dup = false;
        for (size_t q = 0; q < m; q++)
            dup = dup || strcmp(v[q], s) == 0;
        if (!dup)
            v[m++] = s;
    }
    kapi_psort_strs(v, m);
    return join(pool, v, m, ",");
}
