/* api/selector: label selectors (`a=b,c in (x,y),!d,e>3`) and field
 * selectors (`metadata.name=x,status.phase!=Running`) parsed, printed and
 * matched exactly as k8s.io/apimachinery's labels.Parse and
 * fields.ParseSelector do, with the same error texts. All memory comes from
 * the caller's pool. */
#ifndef KAPI_API_SELECTOR_H
#define KAPI_API_SELECTOR_H

#include "../base/base.h"
#include "../codec/value.h"

/* ---- Label selectors. */

enum kapi_label_op {
    KAPI_LABEL_IN,           /* "in" */
    KAPI_LABEL_NOT_IN,       /* "notin" */
    KAPI_LABEL_EQUALS,       /* "=" */
    KAPI_LABEL_DOUBLE_EQUALS,/* "==" */
    KAPI_LABEL_NOT_EQUALS,   /* "!=" */
    KAPI_LABEL_EXISTS,       /* "key" */
    KAPI_LABEL_NOT_EXISTS,   /* "!key" */
    KAPI_LABEL_GT,           /* ">" */
    KAPI_LABEL_LT,           /* "<" */
};

struct kapi_label_req {
    const char *key;
    enum kapi_label_op op;
    const char **values;  /* sorted and de-duplicated, as upstream's string set */
    size_t nvalues;
};

/* Requirements are ANDed, sorted by key. nreqs == 0 selects everything. */
struct kapi_label_selector {
    struct kapi_label_req *reqs;
    size_t nreqs;
};

/* Parses s[0..len) (a NUL byte ends the input, as upstream's lexer does).
 * Returns NULL and sets *err to upstream's message on bad syntax, keys or
 * values ("unable to parse requirement: ..."). */
struct kapi_label_selector *kapi_label_selector_parse(struct kapi_pool *pool, const char *s, size_t len,
                                                      const char **err);
/* A metav1.LabelSelector object ({matchLabels, matchExpressions}) as
 * upstream's LabelSelectorAsSelector turns it into a selector: {} selects
 * everything. NULL (and *err NULL) when sel is absent or not an object,
 * which upstream reads as "selects nothing"; NULL with *err set for an
 * operator or requirement the conversion rejects. */
struct kapi_label_selector *kapi_label_selector_from_object(struct kapi_pool *pool, const struct kapi_value *sel,
                                                            const char **err);
/* labels: an object of strings; NULL or a non-object means "no labels". */
bool kapi_label_selector_matches(const struct kapi_label_selector *sel, const struct kapi_value *labels);
bool kapi_label_selector_empty(const struct kapi_label_selector *sel); /* NULL counts as empty */
/* Canonical text (upstream's String(): "a=b,c in (x,y),!d"). */
char *kapi_label_selector_string(struct kapi_pool *pool, const struct kapi_label_selector *sel);
/* Upstream's RequiresExactMatch: the single value the selector demands for
 * key via =, == or a one-value "in". */
bool kapi_label_selector_exact(const struct kapi_label_selector *sel, const char *key, const char **value);

/* ---- Field selectors. */

enum kapi_field_op {
    KAPI_FIELD_EQUALS,     /* "=" or "==" */
    KAPI_FIELD_NOT_EQUALS, /* "!=" */
};

struct kapi_field_term {
    const char *field;     /* left side as written (no unescaping upstream either) */
    enum kapi_field_op op;
    const char *value;     /* unescaped; NUL-terminated */
    size_t value_len;
};

/* Terms are ANDed, in upstream's order (sorted by their source text). */
struct kapi_field_selector {
    struct kapi_field_term *terms;
    size_t nterms;
};

/* Parses s[0..len). Returns NULL and sets *err on failure ("invalid
 * selector: '...'; can't understand '...'", "invalid field selector: ..."). */
struct kapi_field_selector *kapi_field_selector_parse(struct kapi_pool *pool, const char *s, size_t len,
                                                      const char **err);
/* get returns the object's value for a field name, or NULL when it has none
 * (compared as the empty string, as upstream's Fields.Get does). */
typedef const char *(*kapi_field_get_fn)(void *ctx, const char *field);
bool kapi_field_selector_matches(const struct kapi_field_selector *sel, kapi_field_get_fn get, void *ctx);
bool kapi_field_selector_empty(const struct kapi_field_selector *sel); /* NULL counts as empty */
/* Canonical text with values re-escaped ("a=b,c!=d\,e"). */
char *kapi_field_selector_string(struct kapi_pool *pool, const struct kapi_field_selector *sel);
/* First "=" term on field. */
bool kapi_field_selector_exact(const struct kapi_field_selector *sel, const char *field, const char **value);

#endif
