/* schema/openapi_schema: OpenAPI v3 component schemas (components.schemas of
 * /openapi/v3/<gv>) built from the generated type tables, shaped like
 * upstream's: upstream definition names, properties sorted by name, required
 * lists, list/patch extensions and x-kubernetes-group-version-kind on kinds.
 * Descriptions are left out (kapi carries no upstream prose). */
#ifndef KAPI_OPENAPI_SCHEMA_H
#define KAPI_OPENAPI_SCHEMA_H

#include "../codec/value.h"
#include "schema.h"

/* Adds to schemas (an object) the schema of kind group/version/kind under its
 * upstream definition name ("io.k8s.api.core.v1.Pod") and, transitively, of
 * every message it references; schemas already present are kept, a kind's
 * GVK is appended to their x-kubernetes-group-version-kind when missing.
 * Returns the kind's definition name (pool string), or NULL when unknown. */
const char *kapi_openapi_add_kind_schema(struct kapi_pool *pool, struct kapi_value *schemas,
                                         const char *group, const char *version, const char *kind);

/* Adds the schema of message full_name ("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta")
 * and what it references; returns its definition name, NULL when unknown. */
const char *kapi_openapi_add_msg_schema(struct kapi_pool *pool, struct kapi_value *schemas, const char *full_name);

/* Adds apiVersion and kind (with upstream's descriptions) to an object
 * schema's properties when kind is missing, keeping properties sorted. */
void kapi_openapi_ensure_typemeta(struct kapi_pool *pool, struct kapi_value *schemas, struct kapi_value *schema);

/* Upstream definition name of m ("k8s.io.api.core.v1.Pod" -> "io.k8s.api.core.v1.Pod",
 * underscores in the package become dashes), allocated from pool. */
const char *kapi_openapi_def_name(struct kapi_pool *pool, const struct kapi_schema_msg *m);

#endif
