/* registry/defaults internals: the helpers every group's defaulting shares.
 * A "type" argument is the full proto message name of the object being
 * defaulted (e.g. "k8s.io.api.core.v1.PodSpec"); it decides where a new
 * member goes. Every helper ignores a NULL or non-object target. */
#ifndef KAPI_REGISTRY_DEFAULTS_INT_H
#define KAPI_REGISTRY_DEFAULTS_INT_H

#include "../defaults.h"

#define KAPI_DT_CORE(n) "k8s.io.api.core.v1." n

/* The object at key, or NULL when absent or not an object. */
struct kapi_value *kapi_dflt_obj(const struct kapi_value *obj, const char *key);
/* The array at key, or NULL when absent or not an array. */
struct kapi_value *kapi_dflt_arr(const struct kapi_value *obj, const char *key);
/* True when key is absent or null: Go's nil pointer / nil slice / nil map. */
bool kapi_dflt_unset(const struct kapi_value *obj, const char *key);
/* True when key is unset or holds a zero scalar ("" / 0 / false), or an
 * empty array/object: what a Go non-pointer field or len()==0 check sees. */
bool kapi_dflt_zero(const struct kapi_value *obj, const char *key);

/* Sets key to val: replaces in place when present, else inserts it before the
 * first member that comes later in type's field order (appends otherwise). */
void kapi_dflt_put(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, struct kapi_value *val);
/* Defaults for a string field (unset or ""). */
void kapi_dflt_str(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, const char *s);
/* Defaults for a pointer field (unset only). */
void kapi_dflt_int(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, int64_t n);
void kapi_dflt_bool(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, bool b);
void kapi_dflt_pstr(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, const char *s);
/* Defaults for a plain int field (unset or 0). */
void kapi_dflt_int0(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, int64_t n);
/* The object at key, created empty at its place when unset. */
struct kapi_value *kapi_dflt_ensure(struct kapi_pool *pool, struct kapi_value *obj,
                                    const char *type, const char *key);
/* Sets key in a Go map (JSON keys sorted bytewise) unless present. */
void kapi_dflt_map_add(struct kapi_pool *pool, struct kapi_value *map, const char *key,
                       struct kapi_value *val);

/* Per-group entry points: return true when they know the kind. */
bool kapi_dflt_core(struct kapi_pool *pool, const char *kind, struct kapi_value *obj);
bool kapi_dflt_apps(struct kapi_pool *pool, const char *kind, struct kapi_value *obj);
bool kapi_dflt_batch(struct kapi_pool *pool, const char *kind, struct kapi_value *obj);
bool kapi_dflt_other(struct kapi_pool *pool, const char *group, const char *version,
                     const char *kind, struct kapi_value *obj);
/* apiextensions.k8s.io (apiextensions.c). prepare_create is the CRD create
 * strategy (fresh status recording the storage version). */
bool kapi_dflt_apiext(struct kapi_pool *pool, const char *version, const char *kind, struct kapi_value *obj);
void kapi_dflt_crd_prepare_create(struct kapi_pool *pool, struct kapi_value *obj);

/* Go's always-encoded zero values (goenc.c): every member encoding/json
 * writes for a zero Go field (non-pointer structs, zero times as null, plain
 * scalars without omitempty), added wherever the object holds an instance of
 * a listed message. Runs on every write. */
void kapi_dflt_go_zero(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                       struct kapi_value *obj);
/* The create strategies' status reset: whatever the client sent is replaced
 * by the zero status (no-op for kinds whose strategy keeps it). */
void kapi_dflt_reset_status(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                            struct kapi_value *obj);
/* For the unit test: the table is sorted and names only known fields. */
bool kapi_dflt_go_zero_table_sorted(void);

/* SetDefaults_ResourceList: each quantity of a resource map rounded up to
 * milli precision (qos.c). */
void kapi_dflt_resource_list(struct kapi_pool *pool, struct kapi_value *list);

/* Shared pieces. */
/* PodTemplateSpec defaults (the spec's, as every workload template gets). */
void kapi_dflt_pod_template(struct kapi_pool *pool, struct kapi_value *tmpl);
/* PodSpec defaults; is_pod adds what only a Pod gets (requests from limits,
 * enableServiceLinks, host ports under hostNetwork). */
void kapi_dflt_pod_spec(struct kapi_pool *pool, struct kapi_value *spec, bool is_pod);
/* A v1 PersistentVolumeClaim (status phase, spec), e.g. a StatefulSet's template. */
void kapi_dflt_pvc(struct kapi_pool *pool, struct kapi_value *pvc);

/* Resource quantities in nano units, saturating; false when unparsable. */
bool kapi_dflt_quantity_nano(const char *s, __int128 *out);

#endif
