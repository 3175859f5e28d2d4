/* codec/json: a bounded JSON reader into the value model and a writer that
 * produces the same bytes Go's encoding/json does (compact, HTML-safe
 * escaping, shortest float form), which is what kube-apiserver emits. */
#ifndef KAPI_JSON_H
#define KAPI_JSON_H

#include "value.h"

#define KAPI_JSON_MAX_DEPTH 10000  /* nesting limit, as upstream's decoder */

/* offset follows Go's SyntaxError.Offset: bytes read up to and including
 * the offending one (so index + 1), or the input length at end of input. */
struct kapi_json_error {
    char msg[256];      /* human-readable, in the style of Go's errors */
    size_t offset;      /* byte offset of the problem */
};

/* One duplicated object key found while parsing: path is a dotted field
 * path in the style upstream reports ("spec.replicas", "metadata.labels.a"). */
struct kapi_json_dup {
    const char *path;
    struct kapi_json_dup *next;
};

struct kapi_json_opts {
    size_t max_depth;           /* 0 = KAPI_JSON_MAX_DEPTH */
    struct kapi_json_dup **dups;/* if set, receives duplicate keys (last value wins) */
};

/* Parses exactly one JSON value (surrounding whitespace allowed) from
 * data[0..len). Allocates from pool. Returns NULL and fills err on malformed
 * input, depth past the limit, invalid UTF-8 in strings is replaced by
 * U+FFFD as Go does. opts may be NULL. */
struct kapi_value *kapi_json_parse(struct kapi_pool *pool, const char *data, size_t len,
                                   const struct kapi_json_opts *opts, struct kapi_json_error *err);

/* Appends v as compact JSON. Returns -1 if the buffer's limit was hit. */
int kapi_json_write(struct kapi_buf *b, const struct kapi_value *v);
/* Appends a JSON string literal (with quotes) for s[0..len). */
int kapi_json_write_string(struct kapi_buf *b, const char *s, size_t len);
/* Pretty form with two-space indent (for ?pretty=true), as Go's MarshalIndent. */
int kapi_json_write_indent(struct kapi_buf *b, const struct kapi_value *v);
/* The writers return -2 (output so far left in b) for a NaN or infinite
 * FLOAT, which Go's json.Marshal refuses too; parsing never produces one. */
#define KAPI_JSON_EUNSUPPORTED (-2)
/* Formats a finite double as Go's encoding/json does ("100", "0.1", "1e-7",
 * "1e+21") into out; returns the length, or 0 for NaN/Inf. Not terminated. */
size_t kapi_json_format_float(double f, char out[40]);

#endif
