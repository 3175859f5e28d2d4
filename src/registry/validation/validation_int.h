/* registry/validation internals: the context and helpers shared by the
 * per-group validators (core.c, apps.c, other.c). */
#ifndef KAPI_REGISTRY_VALIDATION_INT_H
#define KAPI_REGISTRY_VALIDATION_INT_H

#include "../validation.h"
#include "../warnings.h"

struct kv_ctx {
    struct kapi_pool *pool;
    struct kapi_field_errors *errs;
    const char *pod_name; /* metadata.name while validating a Pod (ephemeral volume PVC names) */
    bool is_pod;          /* upstream's PodValidationOptions.ResourceIsPod */
    /* PodValidationOptions / PersistentVolumeSpecValidationOptions
     * AllowInvalidLabelValueInRequiredNodeAffinity: set on update when the
     * stored object's required node affinity already holds an invalid value */
    bool allow_invalid_node_affinity;
    /* AllowInvalidLabelValueInSelector (pod affinity terms),
     * AllowInvalidTopologySpreadConstraintLabelSelector and
     * AllowInvalidPodDeletionCost: set on update when the stored object
     * (or its template) already broke the rule */
    bool allow_invalid_affinity_selector;
    bool allow_invalid_spread_selector;
    bool allow_invalid_deletion_cost;
    /* !AllowOnlyRecursiveSELinuxChangePolicy: set on update when the stored
     * pod (or template) has a seLinuxChangePolicy; SELinuxMount on allows
     * every value too */
    bool allow_any_selinux_change_policy;
    /* kv_label_selector skips the label value check of matchExpressions
     * values (LabelSelectorValidationOptions.AllowInvalidLabelValueInSelector) */
    bool selector_skip_values;
    /* where kv_warn appends (the strategy warnings of registry/warnings.c);
     * NULL while validating */
    struct kapi_warnings *warns;
};

/* Appends one formatted warning to c->warns (nothing when it is NULL). */
void kv_warn(struct kv_ctx *c, const char *fmt, ...) KAPI_PRINTF(2, 3);
/* apimachinery GetWarningsForIP / GetWarningsForCIDR of a value at fld
 * (nothing for a value that does not parse). */
void kv_ip_warnings(struct kv_ctx *c, const char *fld, const char *v);
void kv_cidr_warnings(struct kv_ctx *c, const char *fld, const char *v);

/* Path building: kv_path(c, "%s.containers[%zu]", base, i). */
char *kv_path(struct kv_ctx *c, const char *fmt, ...) KAPI_PRINTF(2, 3);

/* Typed access that tolerates absent members and NULL parents. */
const struct kapi_value *kv_get(const struct kapi_value *o, const char *key);
const char *kv_str(const struct kapi_value *o, const char *key);       /* NULL when absent */
const char *kv_str0(const struct kapi_value *o, const char *key);      /* "" when absent */
bool kv_int(const struct kapi_value *o, const char *key, int64_t *out);
size_t kv_len(const struct kapi_value *v);                            /* array/object size */
const struct kapi_value *kv_item(const struct kapi_value *arr, size_t i);
bool kv_bool(const struct kapi_value *o, const char *key);
bool kv_in(const char *s, const char *const *set, size_t n);

/* One Invalid error per message of a name check. */
void kv_name_msgs(struct kv_ctx *c, const char *field, const char *value,
                  size_t (*fn)(const char *, const char *msgs[KAPI_NAME_MSGS_MAX]));
/* "must be greater than or equal to 0" when o[key] is a negative integer. */
void kv_nonneg(struct kv_ctx *c, const char *base, const struct kapi_value *o, const char *key);
/* Required when s is NULL/"", NotSupported when not in set. */
void kv_enum(struct kv_ctx *c, const char *field, const char *s, const char *const *set, size_t n);

/* Go %#v renderings used as bad values. */
char *kv_go_map(struct kv_ctx *c, const struct kapi_value *m);          /* map[string]string{...} */
char *kv_go_selector(struct kv_ctx *c, const struct kapi_value *sel);   /* v1.LabelSelector{...} */
char *kv_go_intstr(struct kv_ctx *c, const struct kapi_value *v);       /* intstr.IntOrString{...} */

/* Quantities: numeric value (approximate, for comparisons) and upstream's String(). */
bool kv_quantity(const char *s, long double *out);
const char *kv_quantity_string(struct kv_ctx *c, const char *s);
/* helper.IsExtendedResourceName (example.com/foo). */
bool kv_extended_resource(struct kv_ctx *c, const char *name);
/* ValidateResourceQuantityValue of the quantity v of resource name at fld:
 * not negative, and a whole number for an integer resource (the object
 * counts and the extended resources), printed as upstream's Quantity. */
void kv_resource_quantity_value(struct kv_ctx *c, const char *name, const struct kapi_value *v, const char *fld);

/* metav1.LabelSelector (object form): validation under fld and matching. */
void kv_label_selector(struct kv_ctx *c, const struct kapi_value *sel, const char *fld);
bool kv_selector_matches(const struct kapi_value *sel, const struct kapi_value *labels);
bool kv_selector_empty(const struct kapi_value *sel);

/* Port checks shared by pods and services. */
void kv_port_name_msgs(struct kv_ctx *c, const char *field, const char *name);
void kv_port_num(struct kv_ctx *c, const char *field, int64_t port);

/* Core building blocks used by the workload validators. */
void kv_pod_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
void kv_pod_template(struct kv_ctx *c, const struct kapi_value *tmpl, const char *fld);
/* pod_more.c: the rest of a PodSpec, called from core.c at upstream's points. */
void kv_container_security_context(struct kv_ctx *c, const struct kapi_value *sc, const char *fld, bool host_users);
/* lifecycle + probes (regular containers, or init ones with restartPolicy
 * Always), restartPolicy rules; grace = pod terminationGracePeriodSeconds. */
void kv_container_probes(struct kv_ctx *c, const struct kapi_value *ct, const char *fld, bool init,
                         const int64_t *grace);
bool kv_host_users(const struct kapi_value *spec);
/* pod securityContext and affinity; then (after dnsConfig and the gates) topologySpreadConstraints */
void kv_pod_spec_scheduling(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
void kv_pod_spec_topology(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
void kv_pod_spec_tolerations(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
/* validateWindowsHostProcessPod (after topologySpreadConstraints) and the
 * os.name rules (validateOS, then validateLinux / validateWindows: last). */
void kv_pod_spec_host_process(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
void kv_pod_spec_os(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
/* validateHostUsers (after hostProcess) */
void kv_pod_spec_host_users(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
/* ValidatePodSpecificAnnotations (mirror pod, seccomp and AppArmor parts) of
 * annotations ann at fld; the update rules (then the same checks again); the
 * seccomp/AppArmor annotation-field consistency of pod create and templates
 * (fld: the spec path). */
void kv_pod_annotations(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *spec,
                        const char *fld);
void kv_pod_annotation_updates(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *old,
                               const struct kapi_value *spec, const char *fld);
void kv_pod_annotations_match(struct kv_ctx *c, const struct kapi_value *ann, const struct kapi_value *spec,
                              const char *fld);
void kv_node_selector(struct kv_ctx *c, const struct kapi_value *ns, const char *fld);
/* The update options taken from the stored object (kind's pod spec and
 * metadata, or a PersistentVolume's node affinity): sets the c->allow_invalid_*
 * flags (GetValidationOptionsFromPodSpecAndMeta / ...FromPodTemplate). */
void kv_options_from_old(struct kv_ctx *c, const char *kind, const struct kapi_value *old);
void kv_taint_effect(struct kv_ctx *c, const char *effect, bool allow_empty, const char *fld);
const char *kv_label_value_joined(struct kv_ctx *c, const char *v); /* NULL when valid */
/* volumes.c: the volumes that validated (upstream's vols map), by name. */
struct kv_volumes {
    const char **names;
    const struct kapi_value **src;
    size_t n;
};
struct kv_volumes *kv_volumes(struct kv_ctx *c, const struct kapi_value *vols, const char *fld);
/* volumeMounts and volumeDevices of container ct at path ctr */
void kv_volume_mounts(struct kv_ctx *c, const struct kapi_value *ct, const struct kv_volumes *vs, const char *ctr);
void kv_pvc_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld);
/* ValidatePersistentVolumeSpec at fld: a PersistentVolume's spec, or with
 * inline_spec the inline form (a VolumeAttachment's inlineVolumeSpec). */
void kv_pv_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *pv_name, const char *fld,
                bool inline_spec);
/* ValidateCSIDriverName (Required, at most 63 bytes, a DNS subdomain once lowercased). */
void kv_csi_driver_name(struct kv_ctx *c, const char *name, const char *fld);
void kv_pvc_template(struct kv_ctx *c, const struct kapi_value *t, const char *fld);
/* not absolute, no ".." element (upstream's validateLocalDescendingPath) */
void kv_local_descending_path(struct kv_ctx *c, const char *p, const char *fld);
/* net.c: NetworkPolicy, EndpointSlice, Node. */
bool kv_net(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
            const struct kapi_value *old);
void kv_node(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old);
/* Go's net.ParseIP / ParseCIDR in k8s.io/utils' sloppy mode (apimachinery 1.33's IsValidIP / IsValidCIDR). */
bool kv_ip_sloppy(const char *s);
bool kv_cidr_sloppy(const char *s);
/* upstream's ValidateNonSpecialIP: unspecified, loopback, link-local (multicast) addresses */
void kv_non_special_ip(struct kv_ctx *c, const char *fld, const char *v);
/* service.c: Service (ValidateService, and ValidateServiceUpdate when old is set). */
void kv_service(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old);

/* IsConfigMapKey messages for key at field (configMap/secret keys, env key refs). */
void kv_config_key(struct kv_ctx *c, const char *field, const char *key);
/* validateObjectFieldSelector (valid: the accepted unsubscripted paths, sorted)
 * and validateContainerResourceFieldSelector (volume: containerName required). */
void kv_object_field_selector(struct kv_ctx *c, const struct kapi_value *fs, const char *const *valid,
                              size_t nvalid, const char *fld);
void kv_resource_field_selector(struct kv_ctx *c, const struct kapi_value *fs, const char *fld, bool volume);
/* status.c: the status strategies' rules (ValidateXStatusUpdate without the
 * ObjectMeta part); false for a kind whose status write runs the main rules. */
bool kv_status(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
               const struct kapi_value *old);
/* CertificateSigningRequest status.conditions / status.certificate update
 * rules; approval = the /approval subresource's options. */
void kv_csr_status(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old, bool approval);
/* Standard base64 (a []byte's JSON form) into NUL-terminated raw bytes; returns the length. */
/* A certificates signer name ("<domain>/<path>", ValidateSignerName's
 * rules and messages), in certificates.c. */
void kv_signer_name(struct kv_ctx *c, const char *s, const char *fld);
size_t kv_b64_decode(struct kv_ctx *c, const char *s, char **out);
/* certificates.c: CertificateSigningRequest (ValidateCertificateSigningRequestCreate /
 * Update; approval = the /approval subresource). False for other kinds. */
bool kv_certificates(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
                     const struct kapi_value *old, bool approval);
/* ValidatePodEphemeralContainersUpdate without its ObjectMeta part. */
void kv_pod_ephemeral_update(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old);
/* quota.c: ResourceQuota (ValidateResourceQuota, ValidateResourceQuotaUpdate
 * when old is set) and the resource list rule shared with its status
 * strategy: each key a quota resource name, each value not negative. */
void kv_resource_quota(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old);
void kv_quota_resources(struct kv_ctx *c, const struct kapi_value *list, const char *fld);
/* storage.c: VolumeAttachment. Create (old NULL): ValidateVolumeAttachment
 * and ValidateVolumeAttachmentV1; update and /status (old set): the
 * strategy's ValidateVolumeAttachment, then ValidateVolumeAttachmentUpdate. */
void kv_volume_attachment(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old);
/* Node status parts shared by create, update and /status (net.c). */
void kv_node_resources(struct kv_ctx *c, const struct kapi_value *obj);
/* Go's time.Time String() of an RFC 3339 timestamp ("2024-01-02 03:04:05 +0000 UTC"). */
const char *kv_go_time(struct kv_ctx *c, const char *rfc3339);
/* metav1 ValidateConditions over a list of metav1.Condition at fld. */
void kv_meta_conditions(struct kv_ctx *c, const struct kapi_value *conds, const char *fld);

/* "field is immutable" when nv != ov; repr = bad value as shown (NULL: nv's own string/number). */
void kv_immutable(struct kv_ctx *c, const struct kapi_value *nv, const struct kapi_value *ov, const char *fld,
                  const char *repr);
/* Go's %#v/%v of a scalar value: "x" quoted, numbers and bools bare, else "null". */
const char *kv_repr(struct kv_ctx *c, const struct kapi_value *v);

/* Per-group entry points; return false for a kind they do not know. */
bool kv_core(struct kv_ctx *c, const char *kind, const struct kapi_value *obj, const struct kapi_value *old);
bool kv_apps(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
             const struct kapi_value *old);
bool kv_other(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
              const struct kapi_value *old);
/* apiextensions.k8s.io (apiextensions.c): CustomResourceDefinition. */
bool kv_apiext(struct kv_ctx *c, const char *kind, const struct kapi_value *obj, const struct kapi_value *old);

#endif
