/* registry/drop: the fields kube-apiserver v1.33's strategies clear when
 * their feature gate is off (src/registry/gates.h), unless the stored
 * object already uses them: DropDisabledPodFields / DropDisabledTemplateFields
 * for pods and every pod template, and the per-kind equivalents (PVC, PV,
 * StatefulSet, HPA, CSIDriver, EndpointSlice, Deployment/ReplicaSet status).
 * Runs in the strategies' PrepareForCreate/PrepareForUpdate, i.e. after
 * defaulting and mutating admission, before validation. */
#ifndef KAPI_DROP_H
#define KAPI_DROP_H

#include "registry.h"

/* obj is the object being written, old the stored one (NULL on create);
 * subresource NULL or "" for the main resource, else e.g. "status". */
void kapi_drop_disabled_fields(struct kapi_pool *pool, const struct kapi_kind *k, const char *subresource,
                               struct kapi_value *obj, const struct kapi_value *old);
/* dropDisabledFields of a PodSpec (pods and templates); old_spec may be NULL. */
void kapi_drop_disabled_pod_spec(struct kapi_pool *pool, struct kapi_value *spec, const struct kapi_value *old_spec);
/* dropDisabledPodStatusFields; old_status and old_spec may be NULL. */
void kapi_drop_disabled_pod_status(struct kapi_value *status, const struct kapi_value *old_status,
                                   const struct kapi_value *old_spec);

#endif
