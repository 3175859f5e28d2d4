/* codec/yaml: YAML (libyaml) to and from the value model. The reader is
 * bounded in depth and alias expansion; the writer produces the YAML
 * kube-apiserver returns for Accept: application/yaml (sigs.k8s.io/yaml
 * style: keys sorted, 2-space indent, block style). */
#ifndef KAPI_YAML_H
#define KAPI_YAML_H

#include "value.h"

#define KAPI_YAML_MAX_DEPTH 10000

/* Alias expansion budget ("billion laughs"). Every alias is expanded to a
 * deep copy of its anchored value; the values those copies add up to may
 * not exceed max(KAPI_YAML_ALIAS_FREE, KAPI_YAML_ALIAS_RATIO x values read
 * directly from the text so far), and never KAPI_YAML_ALIAS_MAX. Past the
 * budget parsing fails with "yaml: document contains excessive aliasing"
 * before anything is copied. */
#define KAPI_YAML_ALIAS_FREE 10000
#define KAPI_YAML_ALIAS_RATIO 10
#define KAPI_YAML_ALIAS_MAX 1000000

struct kapi_yaml_error {
    char msg[256]; /* e.g. "yaml: line 3: mapping values are not allowed in this context" */
    size_t line;   /* the line upstream would report (1-based, see below); 0 when unknown */
};

/* Parses one YAML document into a value, with YAML 1.1-ish scalar
 * resolution as upstream's decoder does (true/false, null/~, ints, floats,
 * quoted strings stay strings). An empty document yields an empty object.
 * Fails (NULL, err filled) on syntax errors, more than one document, depth
 * past KAPI_YAML_MAX_DEPTH, or alias expansion that would exceed limits
 * (the "billion laughs" family).
 * Details, all as go-yaml v2 + sigs.k8s.io/yaml behave: plain y/yes/on and
 * n/no/off are booleans; 0x/0o/0 prefixes and "_" are accepted in ints;
 * ints past int64 become floats; timestamps stay strings; .inf/.nan fail
 * ("json: unsupported value: +Inf"); non-string keys become their text
 * (1 -> "1", true -> "true"), a null key fails; a repeated key keeps its
 * first position and its last value; "<<" merge keys are supported
 * (explicit keys after "<<" win). Syntax errors give go-yaml's line number
 * quirk: libyaml's 0-based problem line, +1 only for scanner errors. */
struct kapi_value *kapi_yaml_parse(struct kapi_pool *pool, const char *data, size_t len,
                                   struct kapi_yaml_error *err);

/* Appends v as a YAML document. Returns -1 when the buffer limit is hit. */
int kapi_yaml_write(struct kapi_buf *b, const struct kapi_value *v);

#endif
