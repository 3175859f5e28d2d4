/* codec/yaml: YAML (libyaml) to and from the value model. The reader is
 * bounded in depth and alias expansion; the writer produces the YAML
 * kube-apiserver returns for Accept: application/yaml (sigs.k8s.io/yaml
 * style: keys sorted, 2-space indent, block style). */
#ifndef KAPI_YAML_H
#define KAPI_YAML_H

#include "value.h"

#define KAPI_YAML_MAX_DEPTH 10000

struct kapi_yaml_error {
    char msg[256];
    size_t line;   /* 1-based; 0 when unknown */
};

/* Parses one YAML document into a value, with YAML 1.1-ish scalar
 * resolution as upstream's decoder does (true/false, null/~, ints, floats,
 * quoted strings stay strings). An empty document yields an empty object.
 * Fails (NULL, err filled) on syntax errors, more than one document, depth
 * past KAPI_YAML_MAX_DEPTH, or alias expansion that would exceed limits
 * (the "billion laughs" family). */
struct kapi_value *kapi_yaml_parse(struct kapi_pool *pool, const char *data, size_t len,
                                   struct kapi_yaml_error *err);

/* Appends v as a YAML document. Returns -1 when the buffer limit is hit. */
int kapi_yaml_write(struct kapi_buf *b, const struct kapi_value *v);

#endif
