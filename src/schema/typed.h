/* schema/typed: typed checking and canonicalization of built-in objects, as
 * kube-apiserver's decode into Go structs does it. A decoded request body
 * (JSON, YAML) is checked against the generated schema tables: value types
 * with encoding/json's exact error texts, unknown and duplicate fields in
 * sigs.k8s.io/json's strict wording, and the object is rewritten in place to
 * what Go would serialize back (members in Go field order, map keys sorted,
 * unknown fields and nulls dropped, quantities and times canonical). */
#ifndef KAPI_TYPED_H
#define KAPI_TYPED_H

#include "../codec/json.h"
#include "schema.h"

/* The fieldValidation query parameter. */
enum kapi_field_validation { KAPI_FV_IGNORE, KAPI_FV_WARN, KAPI_FV_STRICT };

/* Parses "Ignore" / "Warn" / "Strict" (exact case, as upstream); "" or NULL
 * gives def. Returns -1 for anything else. */
int kapi_field_validation_parse(const char *s, enum kapi_field_validation def,
                                enum kapi_field_validation *out);

struct kapi_typed_result {
    /* The decode error, upstream's text, e.g. `json: cannot unmarshal string
     * into Go struct field DeploymentSpec.spec.replicas of type int32` or
     * `quantities must match the regular expression ...`. The caller answers
     * 400 BadRequest: `<Kind> in version "<v>" cannot be handled as a <Kind>: <type_error>`. */
    const char *type_error;
    /* Strict-decoding findings in document order, deduplicated, at most 100:
     * `unknown field "spec.foo"`, `duplicate field "metadata.name"`. Only
     * meaningful when type_error is NULL (upstream reports them only then). */
    const char **unknown;
    size_t nunknown;
};

/* Checks obj (a decoded body of the top-level kind msg, e.g. from
 * kapi_schema_kind_find) and canonicalizes it in place; dups is the list
 * kapi_json_parse filled through kapi_json_opts.dups (may be NULL). Unknown
 * fields are always removed. A quantity rewritten to its canonical text
 * keeps the text it was written with in the pool's side table
 * (kapi_quantity_original, schema/quantity.h). Everything is allocated from pool. Returns 0,
 * or -1 with res->type_error set (obj is then partly rewritten). */
int kapi_typed_check(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                     struct kapi_value *obj, const struct kapi_json_dup *dups,
                     struct kapi_typed_result *res);

/* "strict decoding error: <f1>, <f2>" for the findings of res (the message
 * upstream puts after "<Kind> in version ... cannot be handled as a <Kind>: "
 * under fieldValidation=Strict), or NULL when there are none. */
const char *kapi_typed_strict_message(struct kapi_pool *pool, const struct kapi_typed_result *res);

#endif
