/* registry/printers: the per-kind Table columns and row cells that
 * kube-apiserver v1.33 sends for `kubectl get` (Accept ...;as=Table). One
 * column table and one cell function per built-in group/resource; kinds
 * without a printer upstream (roles, CRDs, limitranges, ...) get NULL and the
 * caller falls back to the default Name/Created At table. */
#ifndef KAPI_PRINTERS_H
#define KAPI_PRINTERS_H

#include <stddef.h>
#include <stdint.h>

#include "../codec/value.h"

struct kapi_printer_column {
    const char *name, *type, *format, *description;
    int priority; /* 0: always shown; 1: only with -o wide */
};

/* Columns of group/resource (e.g. "", "pods"; "apps", "deployments"), or NULL
 * (with *n = 0) when upstream has no printer for it. Static storage. */
const struct kapi_printer_column *kapi_printer_columns(const char *group, const char *resource, size_t *n);

/* Appends the row cells for obj (a decoded object) to cells (an array), as
 * upstream's JSON carries them: strings, int64 numbers, booleans, with all
 * wide (priority 1) cells included, as the server always renders wide.
 * now_unix is the current time for AGE-like cells. Strings come from pool.
 * Returns 0, or -1 (cells untouched) when group/resource has no printer. */
int kapi_printer_cells(struct kapi_pool *pool, const char *group, const char *resource,
                       const struct kapi_value *obj, int64_t now_unix, struct kapi_value *cells);

/* Upstream's duration.HumanDuration for a whole number of seconds: "0s",
 * "119s", "2m", "5m30s", "3h", "2d5h", "400d", "3y20d"; negative values of
 * -1 give "0s", below that "<invalid>". Allocated from pool. */
const char *kapi_human_duration(struct kapi_pool *pool, int64_t seconds);

/* Parses an RFC 3339 timestamp ("2024-01-02T03:04:05Z", optional fraction
 * and numeric offset) to unix seconds (fraction dropped). False on bad input. */
bool kapi_printer_parse_time(const char *s, int64_t *unix_out);

/* Row conditions upstream attaches (pods only: Succeeded/Failed pods carry
 * [{type: Completed, status: True, reason, message}]); NULL when none. */
struct kapi_value *kapi_printer_row_conditions(struct kapi_pool *pool, const char *group, const char *resource,
                                               const struct kapi_value *obj);

#endif
