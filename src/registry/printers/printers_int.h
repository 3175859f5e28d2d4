/* registry/printers internals: the printer table entry, the per-area tables
 * and the small formatting helpers the cell functions share. */
#ifndef KAPI_PRINTERS_INT_H
#define KAPI_PRINTERS_INT_H

#include <string.h>

#include "../printers.h"

/* What a cell function works on: the object, the clock and the output row. */
struct kapi_pctx {
    struct kapi_pool *pool;
    const char *group;
    const struct kapi_value *obj;
    int64_t now;
    struct kapi_value *cells;
};

typedef void (*kapi_printer_fn)(struct kapi_pctx *c);

struct kapi_printer {
    const char *group, *resource;
    const struct kapi_printer_column *cols;
    size_t ncols;
    kapi_printer_fn cells;
};

#define KAPI_PRINTER(g, r, cols, fn) { g, r, cols, KAPI_ARRAY_LEN(cols), fn }

/* Per-area tables (printers/core.c, workloads.c, cluster.c). */
extern const struct kapi_printer kapi_printers_core[];
extern const size_t kapi_printers_core_n;
extern const struct kapi_printer kapi_printers_workloads[];
extern const size_t kapi_printers_workloads_n;
extern const struct kapi_printer kapi_printers_cluster[];
extern const size_t kapi_printers_cluster_n;

/* Column shorthands. NAME_COL/AGE_COL are used by nearly every kind. */
#define COL(n, t, d) { n, t, "", d, 0 }
#define WCOL(n, t, d) { n, t, "", d, 1 }
#define NAME_COL { "Name", "string", "name", "Name of the object.", 0 }
#define AGE_COL { "Age", "string", "", "Time since the object was created.", 0 }

/* Path lookups: P(v, "spec", "replicas") is the value or NULL. */
#define P(v, ...) kapi_value_path((v), __VA_ARGS__, (const char *)NULL)
#define PS(v, ...) kapi_value_cstr(P(v, __VA_ARGS__))

/* Cell appenders; a NULL string appends "". */
void kapi_pcell_str(struct kapi_pctx *c, const char *s);
void kapi_pcell_int(struct kapi_pctx *c, int64_t i);
void kapi_pcell_bool(struct kapi_pctx *c, bool b);
void kapi_pcell_printf(struct kapi_pctx *c, const char *fmt, ...) KAPI_PRINTF(2, 3);
/* The object's metadata.name. */
void kapi_pcell_name(struct kapi_pctx *c);
/* AGE of metadata.creationTimestamp ("<unknown>" when unset). */
void kapi_pcell_age(struct kapi_pctx *c);

/* Small readers that treat absent/mistyped fields as upstream's zero values. */
int64_t kapi_pint(const struct kapi_value *v, int64_t dflt);   /* INT (or integral FLOAT) */
bool kapi_pbool(const struct kapi_value *v, bool dflt);
size_t kapi_plen(const struct kapi_value *v);                  /* array items or object members */
const char *kapi_pstr_or(const struct kapi_value *v, const char *dflt); /* dflt when absent or "" */

/* translateTimestampSince: "<unknown>" for a missing/unparsable stamp. */
const char *kapi_ptime_since(struct kapi_pctx *c, const char *stamp);
/* Unix seconds of an RFC 3339 stamp, or INT64_MIN when absent/bad (Go's zero time). */
int64_t kapi_ptime(const char *stamp);

/* labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty. */
const char *kapi_pfmt_labels(struct kapi_pool *pool, const struct kapi_value *map);
/* A LabelSelector as labels.Selector.String() renders it (requirements by
 * key, values sorted): "" when absent or empty, NULL when invalid. */
const char *kapi_pfmt_selector(struct kapi_pool *pool, const struct kapi_value *sel);
/* metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
const char *kapi_pfmt_label_selector(struct kapi_pool *pool, const struct kapi_value *sel);
/* Container names and images joined by ",". */
void kapi_pfmt_containers(struct kapi_pool *pool, const struct kapi_value *containers,
                          const char **names, const char **images);
/* The sorted, de-duplicated ip-or-hostname list of a load balancer status. */
const char *kapi_pfmt_lb_ingress(struct kapi_pool *pool, const struct kapi_value *ingress);
/* Sorting strings in place (byte order), for the sets upstream sorts. */
void kapi_psort_strs(const char **v, size_t n);

/* Small value helpers every printer file uses. */
static inline bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static inline const struct kapi_value *item(const struct kapi_value *arr, size_t i)
{
    return arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len ? arr->u.arr.items[i] : NULL;
}

static inline bool is_obj(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_OBJECT;
}

#endif
