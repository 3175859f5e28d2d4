/* registry/defaults/goenc: the zero values upstream's Go encoder writes
 * although nothing sets them. encoding/json writes every struct field that
 * is not a pointer (omitempty does not omit structs), a zero metav1.Time /
 * MicroTime / RawExtension as null, a zero resource.Quantity as "0", and a
 * plain string/int/bool or a nil slice without omitempty as ""/0/false/null.
 * Which fields those are is a fact of the Go types (k8s.io/api), which the
 * proto definitions the schema tables come from do not record, so the table
 * below is written by hand from the v1.33 Go types. It is applied by walking
 * the object along the schema, so every instance of a listed message gets
 * its members wherever it sits (a PodCondition in a Pod, a ContainerStatus,
 * a template's ObjectMeta). */
#include "defaults_int.h"

#include <stdlib.h>
#include <string.h>

#include "../../schema/schema.h"

enum zkind {
    Z_NULL, /* metav1.Time / MicroTime, RawExtension, nil slice or pointer without omitempty */
    Z_STR,  /* string without omitempty */
    Z_INT,  /* int32/int64 without omitempty */
    Z_BOOL, /* bool without omitempty */
    Z_QTY,  /* resource.Quantity: "0" */
    Z_OBJ,  /* non-pointer struct: {} with its own always-written members */
};

struct zfield {
    const char *msg;   /* proto message the field belongs to */
    const char *field; /* JSON name */
    enum zkind kind;
};

#define CORE "k8s.io.api.core.v1."
#define APPS "k8s.io.api.apps.v1."
#define BATCH "k8s.io.api.batch.v1."
#define AS1 "k8s.io.api.autoscaling.v1."
#define AS2 "k8s.io.api.autoscaling.v2."
#define FC "k8s.io.api.flowcontrol.v1."
#define META "k8s.io.apimachinery.pkg.apis.meta.v1."
#define EXT "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1."
#define AGG "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1."

/* Sorted by message name (then any order); checked by a unit test. */
static const struct zfield zfields[] = {
    {"k8s.io.api.admissionregistration.v1.ValidatingAdmissionPolicy", "status", Z_OBJ},
    {"k8s.io.api.apps.v1.ControllerRevision", "data", Z_NULL},
    {"k8s.io.api.apps.v1.ControllerRevision", "revision", Z_INT},
    {APPS "DaemonSet", "status", Z_OBJ},
    {APPS "DaemonSetCondition", "lastTransitionTime", Z_NULL},
    {APPS "DaemonSetStatus", "currentNumberScheduled", Z_INT},
    {APPS "DaemonSetStatus", "numberMisscheduled", Z_INT},
    {APPS "DaemonSetStatus", "desiredNumberScheduled", Z_INT},
    {APPS "DaemonSetStatus", "numberReady", Z_INT},
    {APPS "Deployment", "status", Z_OBJ},
    {APPS "DeploymentCondition", "lastUpdateTime", Z_NULL},
    {APPS "DeploymentCondition", "lastTransitionTime", Z_NULL},
    {APPS "ReplicaSet", "status", Z_OBJ},
    {APPS "ReplicaSetCondition", "lastTransitionTime", Z_NULL},
    {APPS "ReplicaSetStatus", "replicas", Z_INT},
    {APPS "StatefulSet", "status", Z_OBJ},
    {APPS "StatefulSetCondition", "lastTransitionTime", Z_NULL},
    {APPS "StatefulSetStatus", "replicas", Z_INT},
    {APPS "StatefulSetStatus", "availableReplicas", Z_INT},
    {AS1 "HorizontalPodAutoscaler", "status", Z_OBJ},
    {AS1 "HorizontalPodAutoscalerStatus", "currentReplicas", Z_INT},
    {AS1 "HorizontalPodAutoscalerStatus", "desiredReplicas", Z_INT},
    {AS2 "ContainerResourceMetricSource", "target", Z_OBJ},
    {AS2 "ContainerResourceMetricStatus", "current", Z_OBJ},
    {AS2 "ExternalMetricSource", "metric", Z_OBJ},
    {AS2 "ExternalMetricSource", "target", Z_OBJ},
    {AS2 "ExternalMetricStatus", "metric", Z_OBJ},
    {AS2 "ExternalMetricStatus", "current", Z_OBJ},
    {AS2 "HorizontalPodAutoscaler", "status", Z_OBJ},
    {AS2 "HorizontalPodAutoscalerCondition", "lastTransitionTime", Z_NULL},
    {AS2 "HorizontalPodAutoscalerStatus", "desiredReplicas", Z_INT},
    {AS2 "MetricIdentifier", "name", Z_STR},
    {AS2 "MetricTarget", "type", Z_STR},
    {AS2 "ObjectMetricSource", "describedObject", Z_OBJ},
    {AS2 "ObjectMetricSource", "target", Z_OBJ},
    {AS2 "ObjectMetricSource", "metric", Z_OBJ},
    {AS2 "ObjectMetricStatus", "metric", Z_OBJ},
    {AS2 "ObjectMetricStatus", "current", Z_OBJ},
    {AS2 "ObjectMetricStatus", "describedObject", Z_OBJ},
    {AS2 "PodsMetricSource", "metric", Z_OBJ},
    {AS2 "PodsMetricSource", "target", Z_OBJ},
    {AS2 "PodsMetricStatus", "metric", Z_OBJ},
    {AS2 "PodsMetricStatus", "current", Z_OBJ},
    {AS2 "ResourceMetricSource", "target", Z_OBJ},
    {AS2 "ResourceMetricStatus", "current", Z_OBJ},
    {BATCH "CronJob", "status", Z_OBJ},
    {BATCH "Job", "status", Z_OBJ},
    {BATCH "JobCondition", "lastProbeTime", Z_NULL},
    {BATCH "JobCondition", "lastTransitionTime", Z_NULL},
    {BATCH "JobSpec", "template", Z_OBJ},
    {BATCH "JobTemplateSpec", "metadata", Z_OBJ},
    {BATCH "PodFailurePolicyRule", "onPodConditions", Z_NULL},
    {"k8s.io.api.certificates.v1.CertificateSigningRequest", "status", Z_OBJ},
    {"k8s.io.api.certificates.v1.CertificateSigningRequestCondition", "lastUpdateTime", Z_NULL},
    {"k8s.io.api.certificates.v1.CertificateSigningRequestCondition", "lastTransitionTime", Z_NULL},
    {"k8s.io.api.coordination.v1.Lease", "spec", Z_OBJ},
    {CORE "ContainerStateRunning", "startedAt", Z_NULL},
    {CORE "ContainerStateTerminated", "exitCode", Z_INT},
    {CORE "ContainerStateTerminated", "startedAt", Z_NULL},
    {CORE "ContainerStateTerminated", "finishedAt", Z_NULL},
    {CORE "ContainerStatus", "name", Z_STR},
    {CORE "ContainerStatus", "state", Z_OBJ},
    {CORE "ContainerStatus", "lastState", Z_OBJ},
    {CORE "ContainerStatus", "ready", Z_BOOL},
    {CORE "ContainerStatus", "restartCount", Z_INT},
    {CORE "ContainerStatus", "image", Z_STR},
    {CORE "ContainerStatus", "imageID", Z_STR},
    {CORE "DaemonEndpoint", "Port", Z_INT},
    {CORE "Event", "involvedObject", Z_OBJ},
    {CORE "Event", "source", Z_OBJ},
    {CORE "Event", "firstTimestamp", Z_NULL},
    {CORE "Event", "lastTimestamp", Z_NULL},
    {CORE "Event", "eventTime", Z_NULL},
    {CORE "Event", "reportingComponent", Z_STR},
    {CORE "Event", "reportingInstance", Z_STR},
    {CORE "EventSeries", "lastObservedTime", Z_NULL},
    {CORE "GRPCAction", "service", Z_STR}, /* a +default="" marker */
    {CORE "NamespaceCondition", "lastTransitionTime", Z_NULL},
    {CORE "Node", "spec", Z_OBJ},
    {CORE "Node", "status", Z_OBJ},
    {CORE "NodeCondition", "lastHeartbeatTime", Z_NULL},
    {CORE "NodeCondition", "lastTransitionTime", Z_NULL},
    {CORE "NodeDaemonEndpoints", "kubeletEndpoint", Z_OBJ},
    {CORE "NodeStatus", "daemonEndpoints", Z_OBJ},
    {CORE "NodeStatus", "nodeInfo", Z_OBJ},
    {CORE "NodeSystemInfo", "machineID", Z_STR},
    {CORE "NodeSystemInfo", "systemUUID", Z_STR},
    {CORE "NodeSystemInfo", "bootID", Z_STR},
    {CORE "NodeSystemInfo", "kernelVersion", Z_STR},
    {CORE "NodeSystemInfo", "osImage", Z_STR},
    {CORE "NodeSystemInfo", "containerRuntimeVersion", Z_STR},
    {CORE "NodeSystemInfo", "kubeletVersion", Z_STR},
    {CORE "NodeSystemInfo", "kubeProxyVersion", Z_STR},
    {CORE "NodeSystemInfo", "operatingSystem", Z_STR},
    {CORE "NodeSystemInfo", "architecture", Z_STR},
    {CORE "PersistentVolume", "status", Z_OBJ},
    {CORE "PersistentVolumeClaim", "status", Z_OBJ},
    {CORE "PersistentVolumeClaimCondition", "lastProbeTime", Z_NULL},
    {CORE "PersistentVolumeClaimCondition", "lastTransitionTime", Z_NULL},
    {CORE "PersistentVolumeClaimTemplate", "metadata", Z_OBJ},
    {CORE "PodCondition", "lastProbeTime", Z_NULL},
    {CORE "PodCondition", "lastTransitionTime", Z_NULL},
    {CORE "PodTemplate", "template", Z_OBJ},
    {CORE "PodTemplateSpec", "metadata", Z_OBJ},
    {CORE "PreferredSchedulingTerm", "preference", Z_OBJ},
    {CORE "ReplicationController", "status", Z_OBJ},
    {CORE "ReplicationControllerCondition", "lastTransitionTime", Z_NULL},
    {CORE "ReplicationControllerStatus", "replicas", Z_INT},
    {CORE "ResourceFieldSelector", "divisor", Z_QTY},
    {CORE "ResourceQuota", "status", Z_OBJ},
    {CORE "Service", "status", Z_OBJ},
    {CORE "ServiceStatus", "loadBalancer", Z_OBJ},
    {CORE "TypedLocalObjectReference", "apiGroup", Z_NULL}, /* *string without omitempty */
    {CORE "TypedObjectReference", "apiGroup", Z_NULL},
    {CORE "WeightedPodAffinityTerm", "podAffinityTerm", Z_OBJ},
    {"k8s.io.api.discovery.v1.Endpoint", "conditions", Z_OBJ},
    {"k8s.io.api.discovery.v1.EndpointSlice", "endpoints", Z_NULL},
    {"k8s.io.api.discovery.v1.EndpointSlice", "ports", Z_NULL},
    {"k8s.io.api.events.v1.Event", "eventTime", Z_NULL},
    {"k8s.io.api.events.v1.Event", "regarding", Z_OBJ},
    {"k8s.io.api.events.v1.Event", "deprecatedSource", Z_OBJ},
    {"k8s.io.api.events.v1.Event", "deprecatedFirstTimestamp", Z_NULL},
    {"k8s.io.api.events.v1.Event", "deprecatedLastTimestamp", Z_NULL},
    {"k8s.io.api.events.v1.EventSeries", "count", Z_INT},
    {"k8s.io.api.events.v1.EventSeries", "lastObservedTime", Z_NULL},
    {FC "FlowSchema", "status", Z_OBJ},
    {FC "FlowSchemaCondition", "lastTransitionTime", Z_NULL},
    {FC "LimitResponse", "type", Z_STR},
    {FC "LimitedPriorityLevelConfiguration", "limitResponse", Z_OBJ},
    {FC "PriorityLevelConfiguration", "status", Z_OBJ},
    {FC "PriorityLevelConfigurationCondition", "lastTransitionTime", Z_NULL},
    {"k8s.io.api.networking.v1.Ingress", "status", Z_OBJ},
    {"k8s.io.api.networking.v1.IngressStatus", "loadBalancer", Z_OBJ},
    {"k8s.io.api.networking.v1.NetworkPolicySpec", "podSelector", Z_OBJ},
    {"k8s.io.api.networking.v1.ServiceCIDR", "status", Z_OBJ},
    {"k8s.io.api.policy.v1.PodDisruptionBudget", "status", Z_OBJ},
    {"k8s.io.api.policy.v1.PodDisruptionBudgetStatus", "disruptionsAllowed", Z_INT},
    {"k8s.io.api.policy.v1.PodDisruptionBudgetStatus", "currentHealthy", Z_INT},
    {"k8s.io.api.policy.v1.PodDisruptionBudgetStatus", "desiredHealthy", Z_INT},
    {"k8s.io.api.policy.v1.PodDisruptionBudgetStatus", "expectedPods", Z_INT},
    {"k8s.io.api.rbac.v1.ClusterRole", "rules", Z_NULL},
    {"k8s.io.api.rbac.v1.Role", "rules", Z_NULL},
    {"k8s.io.api.scheduling.v1.PriorityClass", "value", Z_INT},
    {"k8s.io.api.storage.v1.CSINodeDriver", "topologyKeys", Z_NULL},
    {"k8s.io.api.storage.v1.CSINodeSpec", "drivers", Z_NULL},
    {"k8s.io.api.storage.v1.VolumeAttachment", "status", Z_OBJ},
    {"k8s.io.api.storage.v1.VolumeAttachmentSpec", "source", Z_OBJ},
    {"k8s.io.api.storage.v1.VolumeAttachmentStatus", "attached", Z_BOOL},
    {"k8s.io.api.storage.v1.VolumeError", "time", Z_NULL},
    {EXT "CustomResourceDefinitionCondition", "lastTransitionTime", Z_NULL},
    {"k8s.io.apimachinery.pkg.apis.meta.v1.Condition", "lastTransitionTime", Z_NULL},
    {"k8s.io.apimachinery.pkg.apis.meta.v1.Condition", "reason", Z_STR},
    {"k8s.io.apimachinery.pkg.apis.meta.v1.Condition", "message", Z_STR},
    {META "ObjectMeta", "creationTimestamp", Z_NULL},
    {AGG "APIService", "status", Z_OBJ},
    {AGG "APIServiceCondition", "lastTransitionTime", Z_NULL},
};

/* The first entry of msg in zfields (binary search), or NULL. */
static const struct zfield *first_of(const char *msg)
{
    size_t lo = 0, hi = KAPI_ARRAY_LEN(zfields);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(zfields[mid].msg, msg) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < KAPI_ARRAY_LEN(zfields) && strcmp(zfields[lo].msg, msg) == 0 ? &zfields[lo] : NULL;
}

bool kapi_dflt_go_zero_table_sorted(void)
{
    for (size_t i = 1; i < KAPI_ARRAY_LEN(zfields); i++)
        if (strcmp(zfields[i - 1].msg, zfields[i].msg) > 0)
            return false;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(zfields); i++) {
        const struct kapi_schema_msg *m = kapi_schema_msg_find(zfields[i].msg);
        if (!m || !kapi_schema_field_lookup(m, zfields[i].field, strlen(zfields[i].field), NULL))
            return false;
    }
    return true;
}

static struct kapi_value *zero_value(struct kapi_pool *pool, enum zkind k)
{
    switch (k) {
    case Z_STR: return kapi_value_str(pool, "");
    case Z_INT: return kapi_value_int(pool, 0);
    case Z_BOOL: return kapi_value_bool(pool, false);
    case Z_QTY: return kapi_value_str(pool, "0");
    case Z_OBJ: return kapi_value_object(pool);
    case Z_NULL: break;
    }
    return kapi_value_null(pool);
}

static void walk(struct kapi_pool *pool, const struct kapi_schema_msg *m, const char *place, struct kapi_value *v,
                 int depth);

/* The always-written members of m in the object v (whose own type, for member
 * order, is place: v's message, or the one m is inlined into). */
static void fill(struct kapi_pool *pool, const struct kapi_schema_msg *m, const char *place, struct kapi_value *v)
{
    const struct zfield *z = first_of(m->full_name);
    for (; z && z < zfields + KAPI_ARRAY_LEN(zfields) && strcmp(z->msg, m->full_name) == 0; z++) {
        struct kapi_value *cur = kapi_obj_get(v, z->field);
        /* Go decodes null into a non-pointer field as its zero value */
        if (cur && (cur->type != KAPI_V_NULL || z->kind == Z_NULL))
            continue;
        kapi_dflt_put(pool, v, place, z->field, zero_value(pool, z->kind));
    }
}

static void walk_field(struct kapi_pool *pool, const struct kapi_schema_field *f, struct kapi_value *fv, int depth)
{
    const struct kapi_schema_msg *fm = kapi_schema_field_msg(f);
    if (!fm || fm->special != KAPI_SCHEMA_PLAIN || !fv)
        return;
    if (f->flags & KAPI_SCHEMA_F_MAP) {
        if (fv->type == KAPI_V_OBJECT)
            for (size_t i = 0; i < fv->u.obj.len; i++)
                walk(pool, fm, fm->full_name, fv->u.obj.members[i].val, depth + 1);
    } else if (f->flags & KAPI_SCHEMA_F_REPEATED) {
        if (fv->type == KAPI_V_ARRAY)
            for (size_t i = 0; i < fv->u.arr.len; i++)
                walk(pool, fm, fm->full_name, fv->u.arr.items[i], depth + 1);
    } else {
        walk(pool, fm, fm->full_name, fv, depth + 1);
    }
}

static void walk(struct kapi_pool *pool, const struct kapi_schema_msg *m, const char *place, struct kapi_value *v,
                 int depth)
{
    if (!v || v->type != KAPI_V_OBJECT || depth > 64 || m->special != KAPI_SCHEMA_PLAIN || (m->flags & KAPI_SCHEMA_M_SLICE))
        return;
    fill(pool, m, place, v);
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, i);
        if (f->kind != KAPI_PB_MESSAGE)
            continue;
        if (f->flags & KAPI_SCHEMA_F_INLINE) {
            const struct kapi_schema_msg *sub = kapi_schema_field_msg(f);
            if (sub)
                walk(pool, sub, place, v, depth + 1);
            continue;
        }
        if (depth == 0 && kapi_streq(f->name, "metadata"))
            continue; /* the object's own metadata is objectmeta.c's */
        walk_field(pool, f, kapi_obj_get(v, f->name), depth);
    }
}

void kapi_dflt_go_zero_msg(struct kapi_pool *pool, const char *msg, struct kapi_value *obj)
{
    const struct kapi_schema_msg *m = kapi_schema_msg_find(msg);
    if (m)
        walk(pool, m, m->full_name, obj, 0);
}

void kapi_dflt_go_zero(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                       struct kapi_value *obj)
{
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, version, kind);
    if (m)
        walk(pool, m, m->full_name, obj, 0);
}

/* Kinds whose create strategy starts from the zero status (PrepareForCreate
 * sets Status to its zero value); the walk then writes its members. */
static const char *const reset_kinds[][3] = {
    {"apps", "v1", "Deployment"},
    {"apps", "v1", "ReplicaSet"},
    {"apps", "v1", "StatefulSet"},
    {"apps", "v1", "DaemonSet"},
    {"batch", "v1", "Job"},
    {"batch", "v1", "CronJob"},
    {"", "v1", "ReplicationController"},
    {"", "v1", "Service"},
    {"", "v1", "PersistentVolumeClaim"},
    {"", "v1", "PersistentVolume"},
    {"", "v1", "ResourceQuota"},
    {"networking.k8s.io", "v1", "Ingress"},
    {"networking.k8s.io", "v1", "ServiceCIDR"},
    {"autoscaling", "v2", "HorizontalPodAutoscaler"},
    {"autoscaling", "v1", "HorizontalPodAutoscaler"},
    {"policy", "v1", "PodDisruptionBudget"},
    {"certificates.k8s.io", "v1", "CertificateSigningRequest"},
    {"flowcontrol.apiserver.k8s.io", "v1", "FlowSchema"},
    {"flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration"},
    {"storage.k8s.io", "v1", "VolumeAttachment"},
    {"admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy"},
    {"apiregistration.k8s.io", "v1", "APIService"},
};

void kapi_dflt_reset_status(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                            struct kapi_value *obj)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(reset_kinds); i++) {
        if (!kapi_streq(reset_kinds[i][2], kind) || !kapi_streq(reset_kinds[i][0], group) ||
            !kapi_streq(reset_kinds[i][1], version))
            continue;
        kapi_obj_del(obj, "status");
        kapi_dflt_go_zero(pool, group, version, kind, obj);
        return;
    }
}
