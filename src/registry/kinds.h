/* registry/kinds: per-kind behaviour on top of the generic metadata rules
 * (what upstream keeps in each kind's strategy). Today: namespaces' spec
 * finalizer, phase and name label, and which kinds answer a DELETE with the
 * deleted object. The typed-API and built-in-behaviour work grows here,
 * one file per kind under registry/<group>/. */
#ifndef KAPI_KINDS_H
#define KAPI_KINDS_H

#include "registry.h"
#include "warnings.h"

/* Applies the kind's create-time changes to a prepared object. */
void kapi_kind_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj);
/* The kind's create-time changes made before validation (upstream's
 * PrepareForCreate): the fields of default-off feature gates are dropped
 * (registry/drop.h), then a pod's affinity matchLabelKeys/mismatchLabelKeys
 * merge and AppArmor version skew sync, whose warnings go to warns (may be
 * NULL), or a PVC's data source rules (registry/defaults.h). */
void kapi_kind_prepare_create_early(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                    struct kapi_warnings *warns);
/* 1.33's AppArmor sync on pod create (not for spec.os.name windows): for
 * each init, regular and ephemeral container, with no
 * container.apparmor.security.beta.kubernetes.io/<name> annotation the
 * annotation is set from the container's securityContext.appArmorProfile,
 * else from the pod's (unconfined, runtime/default, localhost/<profile>;
 * nothing for a Localhost type without a profile); with an annotation and
 * no container profile, a known and valid annotation value becomes the
 * container's profile unless it equals the pod's. Each annotation that
 * gives no valid profile, or whose profile is copied, adds the warning
 * `metadata.annotations[<key>]: deprecated since v1.30; use the
 * "appArmorProfile" field instead` to warns (may be NULL), as upstream's
 * PrepareForCreate does before validation. */
void kapi_pod_apparmor_sync(struct kapi_pool *pool, struct kapi_value *pod, struct kapi_warnings *warns);
struct kapi_user;
/* The create-time changes that depend on the requesting user (upstream's
 * PrepareForCreate with the request context): a CertificateSigningRequest's
 * spec.username/uid/groups/extra are replaced by the requester's. Runs
 * after mutating admission, before validation. */
void kapi_kind_prepare_create_user(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                   const struct kapi_user *user);
/* The update-time changes made before validation (upstream's
 * PrepareForUpdate of the main resource): the fields of default-off
 * feature gates not used by the stored object are dropped (registry/drop.h);
 * a PVC's data source rules run (registry/defaults.h);
 * a CertificateSigningRequest's spec is the stored one (changes are
 * dropped, not refused). */
void kapi_kind_prepare_update_early(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                    const struct kapi_value *old);
/* The changes a subresource update makes before validation (upstream's
 * PrepareForUpdate of the status and approval strategies): for a
 * CertificateSigningRequest, a /status write keeps the stored Approved and
 * Denied conditions when it neither adds nor removes any, and both /status
 * and /approval fill in missing condition times (lastUpdateTime now;
 * lastTransitionTime from a stored condition of the same type and status,
 * else now). A /status write of a PersistentVolume keeps or stamps
 * status.lastPhaseTransitionTime, one of a VolumeAttachment drops new
 * error codes. A /status write also takes metadata from the stored object
 * per kind, as upstream's status strategies do: deletionTimestamp,
 * generation and selfLink always; ownerReferences for pods; labels for
 * deployments; labels, annotations and ownerReferences for CRDs; labels,
 * annotations, finalizers and ownerReferences for APIServices,
 * VolumeAttachments and ValidatingAdmissionPolicies; the whole metadata but
 * managedFields for FlowSchemas, PriorityLevelConfigurations and custom
 * resources; nothing more for the other kinds (their status writes may
 * change labels, annotations, finalizers and ownerReferences). Then the
 * status, ephemeralcontainers and resize strategies' drops of default-off
 * gate fields (registry/drop.h). */
void kapi_kind_prepare_subresource(struct kapi_pool *pool, const struct kapi_kind *k, const char *subresource,
                                   struct kapi_value *obj, const struct kapi_value *old);
/* Applies the kind's update-time rules (e.g. a namespace's phase and
 * name label cannot be changed by a main-resource update). */
void kapi_kind_prepare_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                              const struct kapi_value *old);
/* True when DELETE answers with the object rather than a success Status. */
bool kapi_kind_returns_deleted_object(const struct kapi_kind *k);
/* True when deletion goes through a Terminating phase (namespaces). */
bool kapi_kind_is_namespace(const struct kapi_kind *k);

#endif
