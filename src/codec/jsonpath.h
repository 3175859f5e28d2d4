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

/* Additions (the exact entry points of upstream's two users):
 *
 * kapi_jsonpath_compile_column wraps path as "{" + path + "}" whatever it
 * holds, as the CRD table convertor does; kapi_jsonpath_compile_template
 * parses text as a whole template (plain text and {actions}), as
 * `kubectl -o jsonpath` does. kapi_jsonpath_compile above uses the template
 * form when text holds a "{" and the column form otherwise. Templates are
 * limited to 4096 bytes.
 *
 * kapi_jsonpath_eval_first returns only the values of the template's first
 * piece (upstream's results[0]; the table convertor prints results[0][0]),
 * where kapi_jsonpath_eval returns the values of every piece in order. A
 * result (or an intermediate list) of more than 100000 values, or an
 * evaluation of more than 20M steps, is an error.
 *
 * kapi_jsonpath_check_column follows upstream's validateSimpleJSONPath, which
 * does not parse the path: it returns "" (an empty detail, the Required
 * error upstream reports at additionalPrinterColumns[i].JSONPath) for an
 * empty path, "must be a simple json path starting with ." when it does not
 * start with ".", else NULL. A path that passes may still fail to compile;
 * upstream then keeps the columns before it and drops it and the rest. */
struct kapi_jsonpath *kapi_jsonpath_compile_column(const char *path, char **err);
struct kapi_jsonpath *kapi_jsonpath_compile_template(const char *text, char **err);
long kapi_jsonpath_eval_first(struct kapi_pool *pool, const struct kapi_jsonpath *p, const struct kapi_value *root,
                              const struct kapi_value ***out, char **err);

#endif
