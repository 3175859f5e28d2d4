/* registry/defaults: the defaults kube-apiserver v1.33 gives built-in objects
 * (the SetDefaults_* functions of every pkg/apis/<group>/<version>, with the
 * feature gates on by default in 1.33), plus the fields the create strategies
 * fill in (pod status phase/qosClass, a Job's generated selector). New
 * members land at their place in the type's field order, so an object reads
 * back in upstream's order. Design: docs/internals/defaults.md. */
#ifndef KAPI_REGISTRY_DEFAULTS_H
#define KAPI_REGISTRY_DEFAULTS_H

#include "../base/base.h"
#include "../codec/value.h"

/* Applies upstream's defaults for group/version/kind to obj (a decoded object,
 * after metadata preparation) in place, allocating from pool. Unknown kinds
 * (and non-objects) are left alone. Idempotent. Call it on create and update,
 * and whenever upstream would decode a stored object. */
void kapi_defaults_apply(struct kapi_pool *pool, const char *group, const char *version,
                         const char *kind, struct kapi_value *obj);

/* What the create strategies add on top (create only; obj's metadata.name and
 * metadata.uid already set): Pod status {phase Pending, qosClass, the
 * SchedulingGated condition}, a Job's generated selector and template labels
 * unless spec.manualSelector is true. Applies defaults before and after, as
 * upstream's decode and read-back do, so it may replace kapi_defaults_apply
 * on create. */
void kapi_defaults_prepare_create(struct kapi_pool *pool, const char *group, const char *version,
                                  const char *kind, struct kapi_value *obj);

/* The strategy steps that follow the disabled-field drops (prepare.c).
 *
 * Pod create (MatchLabelKeysInPodAffinity, GA in 1.33): in every pod
 * affinity and anti-affinity term (preferred, then required) whose
 * labelSelector is set, each matchLabelKeys key the pod's labels have adds
 * {key, operator: In, values: [value]} to the selector's matchExpressions,
 * then each mismatchLabelKeys key adds the same with NotIn; keys the pod
 * has no label for add nothing. Pods only, not templates, not on update. */
void kapi_prepare_pod_affinity_label_keys(struct kapi_pool *pool, struct kapi_value *pod);
/* PVC create and update (old_spec NULL on create): a dataSource that is not
 * a core PersistentVolumeClaim or a snapshot.storage.k8s.io VolumeSnapshot
 * is dropped unless the request has a dataSourceRef or the stored claim
 * has either field (EnforceDataSourceBackwardsCompatibility); then
 * kapi_prepare_pvc_normalize_data_sources. Not for claim templates. */
void kapi_prepare_pvc_data_sources(struct kapi_pool *pool, struct kapi_value *spec, const struct kapi_value *old_spec);
/* NormalizeDataSources: with only dataSource set, dataSourceRef becomes a
 * copy of it; with only dataSourceRef set and no namespace in it,
 * dataSource becomes its {apiGroup, kind, name}. A copied nil apiGroup
 * reads back as null. */
void kapi_prepare_pvc_normalize_data_sources(struct kapi_pool *pool, struct kapi_value *spec);

/* Adds the members Go's encoder writes for zero fields (goenc.c) to obj, an
 * instance of the proto message msg ("k8s.io.api.events.v1.Event"), and to
 * every nested instance of a listed message. For views that are not written
 * through the defaulting pass (the events.k8s.io/v1 view of an Event) and
 * for the server-side apply zero object. */
void kapi_dflt_go_zero_msg(struct kapi_pool *pool, const char *msg, struct kapi_value *obj);

/* The pod QoS class of a v1 Pod (after defaulting): "BestEffort",
 * "Burstable" or "Guaranteed", as upstream's GetPodQOS computes it. */
const char *kapi_defaults_pod_qos(const struct kapi_value *pod);

/* The pull policy upstream defaults for an image reference: "Always" when its
 * tag is latest (or it has neither tag nor digest), else "IfNotPresent"
 * (also for references upstream cannot parse). */
const char *kapi_defaults_pull_policy(const char *image);

#endif
