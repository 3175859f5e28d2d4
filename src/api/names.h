/* api/names: the naming and metadata rules of the Kubernetes API (DNS-1123
 * names, qualified names, label values, path segments, generateName), field
 * errors rendered with upstream's exact texts, and ObjectMeta validation.
 * Messages are those of k8s.io/apimachinery v0.33 (kube-apiserver 1.33). */
#ifndef KAPI_API_NAMES_H
#define KAPI_API_NAMES_H

#include "../base/base.h"
#include "../codec/value.h"

/* ---- String checks. Each fills msgs[] with up to KAPI_NAME_MSGS_MAX static
 * message strings (as upstream's []string) and returns how many; 0 = valid. */
#define KAPI_NAME_MSGS_MAX 4

#define KAPI_DNS1123_LABEL_MAX 63
#define KAPI_DNS1123_SUBDOMAIN_MAX 253
#define KAPI_LABEL_VALUE_MAX 63
#define KAPI_QUALIFIED_NAME_MAX 63
#define KAPI_ANNOTATIONS_MAX_BYTES 262144        /* total of keys + values */
#define KAPI_GENERATE_NAME_MAX_BASE 58           /* 63 - 5 random chars */

size_t kapi_is_dns1123_subdomain(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_is_dns1123_label(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_is_dns1035_label(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX]);
/* Label/annotation key: optional DNS-1123 subdomain prefix, '/', name <= 63. */
size_t kapi_is_qualified_name(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_is_label_value(const char *s, const char *msgs[KAPI_NAME_MSGS_MAX]);

/* Object-name rules (upstream's ValidateNameFunc). prefix = the string is a
 * generateName, so a trailing '-' is allowed. */
typedef size_t (*kapi_name_fn)(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_name_dns_subdomain(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_name_dns_label(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX]);
size_t kapi_name_dns1035_label(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX]);
/* Names that only must be usable as one URL path segment (not "." or "..",
 * no '/' or '%'); with prefix only the "contains" rules apply. */
size_t kapi_name_path_segment(const char *name, bool prefix, const char *msgs[KAPI_NAME_MSGS_MAX]);

/* base (cut to 58 bytes) + 5 random chars from "bcdfghjklmnpqrstvwxz2456789". */
char *kapi_generate_name(struct kapi_pool *pool, const char *base);

/* Go's strconv.Quote / %q of s[0..len): the way upstream prints strings in
 * messages. Allocated from pool. */
char *kapi_go_quote(struct kapi_pool *pool, const char *s, size_t len);
/* Appends the same to b; -1 when b's limit is hit. */
int kapi_go_quote_buf(struct kapi_buf *b, const char *s, size_t len);
/* Go's %#v of a []string: `[]string{"a", "b"}` (`[]string(nil)` for n == 0). */
char *kapi_go_string_slice(struct kapi_pool *pool, const char *const *items, size_t n);

/* ---- Field errors (k8s.io/apimachinery/pkg/util/validation/field). */
#define KAPI_FERR_NOT_FOUND     "FieldValueNotFound"
#define KAPI_FERR_REQUIRED      "FieldValueRequired"
#define KAPI_FERR_DUPLICATE     "FieldValueDuplicate"
#define KAPI_FERR_INVALID       "FieldValueInvalid"
#define KAPI_FERR_NOT_SUPPORTED "FieldValueNotSupported"
#define KAPI_FERR_FORBIDDEN     "FieldValueForbidden"
#define KAPI_FERR_TOO_LONG      "FieldValueTooLong"
#define KAPI_FERR_TOO_MANY      "FieldValueTooMany"
#define KAPI_FERR_INTERNAL      "InternalError"
#define KAPI_FERR_TYPE_INVALID  "FieldValueTypeInvalid"

struct kapi_field_error {
    const char *type;           /* one of KAPI_FERR_* (also the Status cause "reason") */
    const char *field;          /* "metadata.name", "spec.containers[0].image" */
    const char *detail;         /* may be NULL or "" */
    const char *bad_value_repr; /* bad value as upstream prints it ("\"Foo\"", "5");
                                   NULL = not shown (Required, Forbidden, ...) */
};

/* A growable list living in a pool. Zero-initialise it ({0}) before use. */
struct kapi_field_errors {
    struct kapi_field_error *items;
    size_t len, cap;
};

/* "Invalid value", "Required value", ... for a KAPI_FERR_* type. */
const char *kapi_field_error_type_text(const char *type);
/* Upstream's ErrorBody: the message without the field ("Invalid value: \"Foo\": detail"). */
char *kapi_field_error_body(struct kapi_pool *pool, const struct kapi_field_error *e);
/* Upstream's Error(): "<field>: <body>". */
char *kapi_field_error_string(struct kapi_pool *pool, const struct kapi_field_error *e);
/* Upstream's ErrorList.ToAggregate().Error(): "" when empty, duplicates
 * dropped, one message alone, several as "[a, b]". */
char *kapi_field_errors_aggregate(struct kapi_pool *pool, const struct kapi_field_errors *errs);

/* Appenders; all strings are copied into pool. bad values are plain strings
 * that get quoted as Go's %q does. */
void kapi_ferr_add(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *type,
                   const char *field, const char *bad_value_repr, const char *detail);
void kapi_ferr_invalid(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                       const char *bad, const char *detail);
void kapi_ferr_invalid_int(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                           int64_t bad, const char *detail);
void kapi_ferr_required(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        const char *detail);
void kapi_ferr_forbidden(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *detail);
void kapi_ferr_duplicate(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *bad);
void kapi_ferr_not_found(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                         const char *bad);
/* detail becomes `supported values: "a", "b"` (none when nvalid == 0). */
void kapi_ferr_not_supported(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                             const char *bad, const char *const *valid, size_t nvalid);
/* "Too long: may not be more than N bytes"; max < 0 gives "value is too long". */
void kapi_ferr_too_long(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        long max);
/* "Too many: <actual>: must have at most N items"; actual < 0 hides it. */
void kapi_ferr_too_many(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        long actual, long max);
void kapi_ferr_internal(struct kapi_pool *pool, struct kapi_field_errors *errs, const char *field,
                        const char *err);

/* ---- ObjectMeta validation (upstream's ValidateObjectMeta on create).
 * meta is the "metadata" object (NULL = empty). name_fn checks name and
 * generateName; namespaced selects required vs forbidden namespace. Appends
 * to errs with paths under "metadata.". */
void kapi_validate_object_meta(struct kapi_pool *pool, const struct kapi_value *meta,
                               kapi_name_fn name_fn, bool namespaced,
                               struct kapi_field_errors *errs);
/* Upstream's ValidateObjectMetaUpdate: immutable identity fields, required
 * resourceVersion, no generation decrement, no new finalizers while
 * deleting, plus label/annotation/ownerReference/finalizer rules. */
void kapi_validate_object_meta_update(struct kapi_pool *pool, const struct kapi_value *new_meta,
                                      const struct kapi_value *old_meta,
                                      struct kapi_field_errors *errs);
/* The individual map/list rules, fld is the path to report ("metadata.labels"). */
void kapi_validate_labels(struct kapi_pool *pool, const struct kapi_value *labels, const char *fld,
                          struct kapi_field_errors *errs);
void kapi_validate_annotations(struct kapi_pool *pool, const struct kapi_value *annotations,
                               const char *fld, struct kapi_field_errors *errs);
void kapi_validate_finalizers(struct kapi_pool *pool, const struct kapi_value *finalizers,
                              const char *fld, struct kapi_field_errors *errs);

#endif
