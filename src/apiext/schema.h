/* apiext/schema: the OpenAPI v3 structural schemas of CustomResourceDefinition
 * versions (spec.versions[*].schema.openAPIV3Schema). A schema is compiled
 * once when a CRD is (re)loaded and then used, read-only and from many
 * threads, to prune, default and validate custom resources the way
 * kube-apiserver's apiextensions server does. Design: docs/internals/crd.md. */
#ifndef KAPI_APIEXT_SCHEMA_H
#define KAPI_APIEXT_SCHEMA_H

#include <stdbool.h>

#include "../api/names.h"
#include "../base/base.h"
#include "../codec/value.h"

struct kapi_crd_schema; /* compiled; immutable after compile; heap-owned */

/* Compiles an openAPIV3Schema value (as stored in the CRD). Returns NULL
 * and sets *err (heap string, caller frees) when the value cannot be used
 * at all; the CRD validator reports structural problems with better
 * messages beforehand (kapi_crd_schema_check). A NULL schema_value gives a
 * schema that accepts anything and preserves unknown fields. Bounded: depth
 * and node count are limited, so hostile CRDs cannot exhaust memory. */
struct kapi_crd_schema *kapi_crd_schema_compile(const struct kapi_value *schema_value, char **err);
void kapi_crd_schema_free(struct kapi_crd_schema *s);

/* Removes from obj (a whole custom resource, root level) every field the
 * schema does not specify, as upstream's pruning does: at the root
 * apiVersion, kind and metadata are always kept; x-kubernetes-preserve-unknown-fields
 * keeps unspecified fields below it; x-kubernetes-embedded-resource objects
 * keep apiVersion/kind/metadata. Each dropped field's path ("spec.foo",
 * "spec.items[0].bar") is appended to *unknown (pool strings, in document
 * order; may be NULL when the caller does not care) so fieldValidation
 * Strict/Warn can report `unknown field "spec.foo"`. */
struct kapi_strlist {
    const char **items;
    size_t len, cap;
};
void kapi_crd_schema_prune(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *obj,
                           struct kapi_strlist *unknown);

/* Applies `default` values (deep-copied into pool) for absent fields and,
 * for nullable:false fields holding null, as upstream's structural defaulting
 * does, including inside arrays and additionalProperties. Defaults are
 * themselves pruned to the schema. */
void kapi_crd_schema_default(struct kapi_pool *pool, const struct kapi_crd_schema *s, struct kapi_value *obj);

/* Validates obj (root level; metadata is not validated here except
 * metadata.name/generateName constraints the schema places) and appends
 * field errors with upstream's paths, types and texts, e.g.
 *   spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"
 *   spec.size: Unsupported value: "huge": supported values: "small", "large"
 *   spec.name: Required value
 * covering type, format, enum, pattern, minimum/maximum (exclusive),
 * multipleOf, minLength/maxLength, minItems/maxItems, uniqueItems,
 * minProperties/maxProperties, required, nullable, items, properties,
 * additionalProperties, allOf/anyOf/oneOf/not, x-kubernetes-int-or-string,
 * x-kubernetes-embedded-resource, x-kubernetes-list-type (set/map uniqueness
 * with x-kubernetes-list-map-keys) and x-kubernetes-map-type.
 * old is the stored object on update (NULL on create); it is accepted for
 * later ratcheting and transition rules and may be ignored today. */
void kapi_crd_schema_validate(struct kapi_pool *pool, const struct kapi_crd_schema *s,
                              const struct kapi_value *obj, const struct kapi_value *old,
                              struct kapi_field_errors *errs);

/* The compiled sub-schema at a simple dotted path from the root
 * (".spec.replicas" or "spec.replicas"), or NULL when the schema does not
 * define it. For the scale subresource and printer columns. */
const struct kapi_crd_schema *kapi_crd_schema_at(const struct kapi_crd_schema *s, const char *path);
/* "integer", "string", ... ("" when the node has no type). */
const char *kapi_crd_schema_type(const struct kapi_crd_schema *s);

/* The CRD validator's structural-schema check: appends the errors upstream
 * gives for a schema that is not structural or uses forbidden constructs,
 * with paths under fld ("spec.versions[0].schema.openAPIV3Schema"), e.g.
 *   spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields
 * and the checks on default values (must validate and be pruned) and on
 * metadata at the root (only name and generateName may be constrained). */
void kapi_crd_schema_check(struct kapi_pool *pool, const struct kapi_value *schema_value, const char *fld,
                           struct kapi_field_errors *errs);

/* Read-only accessors (for server-side apply's type view, src/apply).
 * All accept NULL. prop: the property schema by name or NULL; additional:
 * the additionalProperties schema (NULL if none or a boolean; *allowed says
 * whether extra keys are allowed at all); list_type: 0 unset, 1 atomic,
 * 2 set, 3 map; map_type: x-kubernetes-map-type, 0 unset, 1 granular,
 * 2 atomic; default_value: the (pruned) default or NULL. */
const struct kapi_crd_schema *kapi_crd_schema_prop(const struct kapi_crd_schema *s, const char *name, size_t len);
size_t kapi_crd_schema_nprops(const struct kapi_crd_schema *s);
const struct kapi_crd_schema *kapi_crd_schema_items(const struct kapi_crd_schema *s);
const struct kapi_crd_schema *kapi_crd_schema_additional(const struct kapi_crd_schema *s, bool *allowed);
int kapi_crd_schema_list_type(const struct kapi_crd_schema *s);
size_t kapi_crd_schema_list_map_keys(const struct kapi_crd_schema *s, const char *const **keys);
int kapi_crd_schema_map_type(const struct kapi_crd_schema *s);
bool kapi_crd_schema_preserves_unknown(const struct kapi_crd_schema *s);
bool kapi_crd_schema_is_embedded(const struct kapi_crd_schema *s);
bool kapi_crd_schema_is_int_or_string(const struct kapi_crd_schema *s);
const struct kapi_value *kapi_crd_schema_default_value(const struct kapi_crd_schema *s);

#endif
