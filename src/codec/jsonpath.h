/* codec/jsonpath: the JSONPath dialect kubectl and kube-apiserver use for
 * printer columns (CRD additionalPrinterColumns, `-o jsonpath`): a parsed
 * template evaluated against a kapi_value. Parsing is bounded (length,
 * nesting, node count) because the templates come from users. */
#ifndef KAPI_JSONPATH_H
#define KAPI_JSONPATH_H

#include <stdbool.h>

#include "../base/base.h"
#include "value.h"

struct kapi_jsonpath; /* compiled; immutable; heap-owned */

/* Compiles a path as a CRD printer column gives it (".spec.replicas",
 * ".status.conditions[?(@.type==\"Ready\")].status", ".metadata.labels.app",
 * ".spec.items[*].name", ".spec.items[0:2]", "..name", ".spec['a.b']"). The
 * braces form ("{.spec.x}") and plain text around it are accepted too.
 * NULL with *err set (heap, caller frees; upstream's parser wording where
 * it has one) when the text is not a valid template. */
struct kapi_jsonpath *kapi_jsonpath_compile(const char *text, char **err);
void kapi_jsonpath_free(struct kapi_jsonpath *p);

/* Evaluates p on root. Fills *out (pool array) with every value found, in
 * document order; returns their count, or -1 with *err (pool string) on an
 * evaluation error. A missing field is no result, not an error (as
 * AllowMissingKeys(true), which the apiserver's table convertor sets). */
long kapi_jsonpath_eval(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root,
                        const struct kapi_value ***out, char **err);

/* Checks that a CRD printer column's jsonPath is acceptable as upstream's
 * CRD validation does (a path that parses, relative to the object); NULL
 * when fine, else the error detail (pool string). */
const char *kapi_jsonpath_check_column(struct kapi_pool *pool, const char *text);

#endif
