/* registry/defaults/goenc: the zero values upstream's Go encoder writes
 * although no defaulter sets them. A Go struct field that is not a pointer
 * is always encoded (omitempty does not omit structs), an ObjectMeta always
 * carries creationTimestamp (null when unset), and a plain int/bool field
 * without omitempty is written as 0/false. The typed layer already adds
 * creationTimestamp to every metadata object the client sent; this file adds
 * the structs the client left out where they matter for a minimal object:
 * pod template metadata and the status of the kinds that have one. Which
 * fields those are comes from upstream's Go types (k8s.io/api), which the
 * proto definitions the schema tables are generated from do not record. */
#include "defaults_int.h"

#include <string.h>

#define OBJECT_META "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta"

/* metadata of a template: {creationTimestamp: null} at least. */
static void template_meta(struct kapi_pool *pool, struct kapi_value *tmpl, const char *type)
{
    struct kapi_value *md = kapi_dflt_ensure(pool, tmpl, type, "metadata");
    if (md && !kapi_obj_get(md, "creationTimestamp"))
        kapi_dflt_put(pool, md, OBJECT_META, "creationTimestamp", kapi_value_null(pool));
}

struct zero_status {
    const char *group, *version, *kind;
    const char *status_type;        /* proto message of the status */
    const char *ints[4];            /* int fields without omitempty */
    const char *obj;                /* struct field always written, or NULL */
    const char *flag;               /* bool field without omitempty, or NULL */
};

/* Kinds whose Go status is a plain struct, with what it always carries. */
static const struct zero_status zero_status[] = {
    {"apps", "v1", "Deployment", "k8s.io.api.apps.v1.DeploymentStatus", {NULL}, NULL, NULL},
    {"apps", "v1", "ReplicaSet", "k8s.io.api.apps.v1.ReplicaSetStatus", {"replicas"}, NULL, NULL},
    {"apps", "v1", "StatefulSet", "k8s.io.api.apps.v1.StatefulSetStatus", {"replicas", "availableReplicas"}, NULL, NULL},
    {"apps", "v1", "DaemonSet", "k8s.io.api.apps.v1.DaemonSetStatus",
     {"currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady"}, NULL, NULL},
    {"batch", "v1", "Job", "k8s.io.api.batch.v1.JobStatus", {NULL}, NULL, NULL},
    {"batch", "v1", "CronJob", "k8s.io.api.batch.v1.CronJobStatus", {NULL}, NULL, NULL},
    {"", "v1", "ReplicationController", "k8s.io.api.core.v1.ReplicationControllerStatus", {"replicas"}, NULL, NULL},
    {"", "v1", "Service", "k8s.io.api.core.v1.ServiceStatus", {NULL}, "loadBalancer", NULL},
    {"", "v1", "PersistentVolumeClaim", "k8s.io.api.core.v1.PersistentVolumeClaimStatus", {NULL}, NULL, NULL},
    {"", "v1", "PersistentVolume", "k8s.io.api.core.v1.PersistentVolumeStatus", {NULL}, NULL, NULL},
    {"", "v1", "ResourceQuota", "k8s.io.api.core.v1.ResourceQuotaStatus", {NULL}, NULL, NULL},
    {"networking.k8s.io", "v1", "Ingress", "k8s.io.api.networking.v1.IngressStatus", {NULL}, "loadBalancer", NULL},
    {"networking.k8s.io", "v1", "ServiceCIDR", "k8s.io.api.networking.v1.ServiceCIDRStatus", {NULL}, NULL, NULL},
    {"autoscaling", "v2", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerStatus",
     {"desiredReplicas"}, NULL, NULL},
    {"autoscaling", "v1", "HorizontalPodAutoscaler", "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerStatus",
     {"currentReplicas", "desiredReplicas"}, NULL, NULL},
    {"policy", "v1", "PodDisruptionBudget", "k8s.io.api.policy.v1.PodDisruptionBudgetStatus",
     {"disruptionsAllowed", "currentHealthy", "desiredHealthy", "expectedPods"}, NULL, NULL},
    {"certificates.k8s.io", "v1", "CertificateSigningRequest",
     "k8s.io.api.certificates.v1.CertificateSigningRequestStatus", {NULL}, NULL, NULL},
    {"flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "k8s.io.api.flowcontrol.v1.FlowSchemaStatus", {NULL}, NULL,
     NULL},
    {"flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration",
     "k8s.io.api.flowcontrol.v1.PriorityLevelConfigurationStatus", {NULL}, NULL, NULL},
    {"storage.k8s.io", "v1", "VolumeAttachment", "k8s.io.api.storage.v1.VolumeAttachmentStatus", {NULL}, NULL,
     "attached"},
    {"admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy",
     "k8s.io.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus", {NULL}, NULL, NULL},
    {"apiregistration.k8s.io", "v1", "APIService", "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.APIServiceStatus",
     {NULL}, NULL, NULL},
};

static const struct zero_status *find_status(const char *group, const char *version, const char *kind)
{
    for (size_t i = 0; i < sizeof(zero_status) / sizeof(zero_status[0]); i++) {
        const struct zero_status *z = &zero_status[i];
        if (!strcmp(z->group, group) && !strcmp(z->version, version) && !strcmp(z->kind, kind))
            return z;
    }
    return NULL;
}

static const char *object_type(struct kapi_pool *pool, const struct zero_status *z)
{
    /* the object's message sits beside its status message */
    size_t n = strlen(z->status_type) - strlen("Status");
    return kapi_pool_printf(pool, "%.*s", (int)n, z->status_type);
}

static void fill_status(struct kapi_pool *pool, const struct zero_status *z, struct kapi_value *st)
{
    for (size_t i = 0; i < 4 && z->ints[i]; i++)
        kapi_dflt_int(pool, st, z->status_type, z->ints[i], 0);
    if (z->obj)
        kapi_dflt_ensure(pool, st, z->status_type, z->obj);
    if (z->flag)
        kapi_dflt_bool(pool, st, z->status_type, z->flag, false);
}

void kapi_dflt_go_zero(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                       struct kapi_value *obj)
{
    const struct zero_status *z = find_status(group, version, kind);
    if (z)
        fill_status(pool, z, kapi_dflt_ensure(pool, obj, object_type(pool, z), "status"));
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!strcmp(group, "apps") && !strcmp(version, "v1") &&
        (!strcmp(kind, "Deployment") || !strcmp(kind, "ReplicaSet") || !strcmp(kind, "StatefulSet") ||
         !strcmp(kind, "DaemonSet"))) {
        template_meta(pool, kapi_dflt_obj(spec, "template"), KAPI_DT_CORE("PodTemplateSpec"));
    } else if (!strcmp(group, "batch") && !strcmp(version, "v1") && !strcmp(kind, "Job")) {
        template_meta(pool, kapi_dflt_obj(spec, "template"), KAPI_DT_CORE("PodTemplateSpec"));
    } else if (!strcmp(group, "batch") && !strcmp(version, "v1") && !strcmp(kind, "CronJob")) {
        struct kapi_value *jt = kapi_dflt_obj(spec, "jobTemplate");
        template_meta(pool, jt, "k8s.io.api.batch.v1.JobTemplateSpec");
        template_meta(pool, kapi_dflt_obj(kapi_dflt_obj(jt, "spec"), "template"), KAPI_DT_CORE("PodTemplateSpec"));
    } else if (group[0] == '\0' && !strcmp(version, "v1") &&
               (!strcmp(kind, "ReplicationController") || !strcmp(kind, "PodTemplate"))) {
        struct kapi_value *t = !strcmp(kind, "PodTemplate") ? kapi_dflt_obj(obj, "template")
                                                             : kapi_dflt_obj(spec, "template");
        template_meta(pool, t, KAPI_DT_CORE("PodTemplateSpec"));
    }
}

void kapi_dflt_reset_status(struct kapi_pool *pool, const char *group, const char *version, const char *kind,
                            struct kapi_value *obj)
{
    const struct zero_status *z = find_status(group, version, kind);
    if (!z || !obj || obj->type != KAPI_V_OBJECT)
        return;
    kapi_obj_del(obj, "status");
    fill_status(pool, z, kapi_dflt_ensure(pool, obj, object_type(pool, z), "status"));
}
