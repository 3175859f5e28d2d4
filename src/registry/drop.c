/* Implementation of src/registry/drop.h (1.33's pkg/api/pod/util.go,
 * pkg/api/persistentvolumeclaim/util.go, pkg/api/persistentvolume/util.go
 * and the strategies of statefulsets, HPAs, CSIDrivers, EndpointSlices,
 * deployments and replica sets). */
#include "drop.h"

#include "gates.h"

#include <string.h>

static bool is_array(const struct kapi_value *v) { return v && v->type == KAPI_V_ARRAY; }
static bool is_object(const struct kapi_value *v) { return v && v->type == KAPI_V_OBJECT; }
static size_t arr_len(const struct kapi_value *v) { return is_array(v) ? v->u.arr.len : 0; }
static struct kapi_value *arr_item(const struct kapi_value *v, size_t i) { return v->u.arr.items[i]; }
/* set and not null (a Go pointer or slice that is not nil) */
static bool set(const struct kapi_value *v) { return v && v->type != KAPI_V_NULL; }
static bool obj_nonempty(const struct kapi_value *v) { return is_object(v) && v->u.obj.len > 0; }

static const char *const CONTAINER_LISTS[] = {"initContainers", "containers", "ephemeralContainers"};

/* ---- pods and pod templates */

static bool any_container(const struct kapi_value *spec, bool (*pred)(const struct kapi_value *c))
{
    for (size_t l = 0; l < sizeof(CONTAINER_LISTS) / sizeof(CONTAINER_LISTS[0]); l++) {
        const struct kapi_value *list = kapi_obj_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < arr_len(list); i++)
            if (is_object(arr_item(list, i)) && pred(arr_item(list, i)))
                return true;
    }
    return false;
}

static void each_container(struct kapi_value *spec, void (*fn)(struct kapi_value *c, void *ctx), void *ctx)
{
    for (size_t l = 0; l < sizeof(CONTAINER_LISTS) / sizeof(CONTAINER_LISTS[0]); l++) {
        struct kapi_value *list = kapi_obj_get(spec, CONTAINER_LISTS[l]);
        for (size_t i = 0; i < arr_len(list); i++)
            if (is_object(arr_item(list, i)))
                fn(arr_item(list, i), ctx);
    }
}

/* podLevelResourcesInUse: pod-level requests or limits not empty */
static bool pod_level_resources_in_use(const struct kapi_value *spec)
{
    const struct kapi_value *r = kapi_obj_get(spec, "resources");
    return obj_nonempty(kapi_obj_get(r, "requests")) || obj_nonempty(kapi_obj_get(r, "limits"));
}

/* dynamicResourceAllocationInUse: spec.resourceClaims not empty */
static bool dra_in_use(const struct kapi_value *spec)
{
    return arr_len(kapi_obj_get(spec, "resourceClaims")) > 0;
}

static void drop_claims(struct kapi_value *c, void *ctx)
{
    (void)ctx;
    struct kapi_value *r = kapi_obj_get(c, "resources");
    if (is_object(r))
        kapi_obj_del(r, "claims");
}

static bool ctb_in_use(const struct kapi_value *spec)
{
    const struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *srcs = kapi_value_path(arr_item(vols, i), "projected", "sources", NULL);
        for (size_t j = 0; j < arr_len(srcs); j++)
            if (set(kapi_obj_get(arr_item(srcs, j), "clusterTrustBundle")))
                return true;
    }
    return false;
}

static bool has_stop_signal(const struct kapi_value *c)
{
    return set(kapi_value_path(c, "lifecycle", "stopSignal", NULL));
}

/* dropContainerStopSignals: the lifecycle goes too when nothing is left */
static void drop_stop_signal(struct kapi_value *c, void *ctx)
{
    (void)ctx;
    struct kapi_value *lc = kapi_obj_get(c, "lifecycle");
    if (!is_object(lc) || !kapi_obj_get(lc, "stopSignal"))
        return;
    kapi_obj_del(lc, "stopSignal");
    if (!set(kapi_obj_get(lc, "postStart")) && !set(kapi_obj_get(lc, "preStop")))
        kapi_obj_del(c, "lifecycle");
}

static bool image_volumes_in_use(const struct kapi_value *spec)
{
    const struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++)
        if (set(kapi_obj_get(arr_item(vols, i), "image")))
            return true;
    return false;
}

struct names {
    const char **v;
    size_t n;
};

static bool names_has(const struct names *ns, const char *s)
{
    for (size_t i = 0; s && i < ns->n; i++)
        if (!strcmp(ns->v[i], s))
            return true;
    return false;
}

/* dropImageVolumes: mounts of a dropped volume go too; a list left empty
 * is nil (omitted) */
static void drop_image_mounts(struct kapi_value *c, void *ctx)
{
    const struct names *ns = ctx;
    struct kapi_value *mounts = kapi_obj_get(c, "volumeMounts");
    if (!is_array(mounts))
        return;
    size_t w = 0;
    for (size_t i = 0; i < mounts->u.arr.len; i++)
        if (!names_has(ns, kapi_obj_get_str(mounts->u.arr.items[i], "name")))
            mounts->u.arr.items[w++] = mounts->u.arr.items[i];
    mounts->u.arr.len = w;
    if (!w)
        kapi_obj_del(c, "volumeMounts");
}

static void drop_image_volumes(struct kapi_pool *pool, struct kapi_value *spec)
{
    struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    if (!is_array(vols))
        return;
    struct names ns = {kapi_pool_alloc(pool, (vols->u.arr.len + 1) * sizeof(char *)), 0};
    size_t w = 0;
    for (size_t i = 0; i < vols->u.arr.len; i++) {
        struct kapi_value *v = vols->u.arr.items[i];
        if (set(kapi_obj_get(v, "image"))) {
            const char *name = kapi_obj_get_str(v, "name");
            ns.v[ns.n++] = name ? name : "";
        } else {
            vols->u.arr.items[w++] = v;
        }
    }
    vols->u.arr.len = w;
    if (!w)
        kapi_obj_del(spec, "volumes");
    if (ns.n)
        each_container(spec, drop_image_mounts, &ns);
}

void kapi_drop_disabled_pod_spec(struct kapi_pool *pool, struct kapi_value *spec, const struct kapi_value *old_spec)
{
    if (!is_object(spec))
        return;
    if (!is_object(old_spec))
        old_spec = NULL;
    /* in 1.33's order; the gates on by default drop nothing */
    if (!kapi_gate(KAPI_GATE_POD_LEVEL_RESOURCES) && !pod_level_resources_in_use(old_spec))
        kapi_obj_del(spec, "resources");
    if (!kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION) && !dra_in_use(old_spec)) {
        each_container(spec, drop_claims, NULL);
        kapi_obj_del(spec, "resourceClaims");
    }
    if (!kapi_gate(KAPI_GATE_CLUSTER_TRUST_BUNDLE_PROJECTION) && !ctb_in_use(old_spec)) {
        struct kapi_value *vols = kapi_obj_get(spec, "volumes");
        for (size_t i = 0; i < arr_len(vols); i++) {
            struct kapi_value *srcs = kapi_value_path(arr_item(vols, i), "projected", "sources", NULL);
            for (size_t j = 0; j < arr_len(srcs); j++)
                if (is_object(arr_item(srcs, j)))
                    kapi_obj_del(arr_item(srcs, j), "clusterTrustBundle");
        }
    }
    if (!kapi_gate(KAPI_GATE_IMAGE_VOLUME) && !image_volumes_in_use(old_spec))
        drop_image_volumes(pool, spec);
    if (!kapi_gate(KAPI_GATE_CONTAINER_STOP_SIGNALS) && !(old_spec && any_container(old_spec, has_stop_signal)))
        each_container(spec, drop_stop_signal, NULL);
}

static bool observed_generation_in_use(const struct kapi_value *st)
{
    const struct kapi_value *g = kapi_obj_get(st, "observedGeneration");
    if (g && g->type == KAPI_V_INT && g->u.i != 0)
        return true;
    const struct kapi_value *conds = kapi_obj_get(st, "conditions");
    for (size_t i = 0; i < arr_len(conds); i++) {
        const struct kapi_value *cg = kapi_obj_get(arr_item(conds, i), "observedGeneration");
        if (cg && cg->type == KAPI_V_INT && cg->u.i != 0)
            return true;
    }
    return false;
}

static const char *const STATUS_LISTS[] = {"containerStatuses", "initContainerStatuses",
                                           "ephemeralContainerStatuses"};

void kapi_drop_disabled_pod_status(struct kapi_value *status, const struct kapi_value *old_status,
                                   const struct kapi_value *old_spec)
{
    if (!is_object(status))
        return;
    if (!kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION) && !dra_in_use(is_object(old_spec) ? old_spec : NULL))
        kapi_obj_del(status, "resourceClaimStatuses");
    if (!kapi_gate(KAPI_GATE_RESOURCE_HEALTH_STATUS)) /* no in-use exemption */
        for (size_t l = 0; l < sizeof(STATUS_LISTS) / sizeof(STATUS_LISTS[0]); l++) {
            struct kapi_value *list = kapi_obj_get(status, STATUS_LISTS[l]);
            for (size_t i = 0; i < arr_len(list); i++)
                if (is_object(arr_item(list, i)))
                    kapi_obj_del(arr_item(list, i), "allocatedResourcesStatus");
        }
    if (!kapi_gate(KAPI_GATE_POD_OBSERVED_GENERATION_TRACKING) && !observed_generation_in_use(old_status)) {
        kapi_obj_del(status, "observedGeneration");
        struct kapi_value *conds = kapi_obj_get(status, "conditions");
        for (size_t i = 0; i < arr_len(conds); i++)
            if (is_object(arr_item(conds, i)))
                kapi_obj_del(arr_item(conds, i), "observedGeneration");
    }
}

/* ---- other kinds */

/* pkg/api/persistentvolumeclaim DropDisabledFields */
static void pvc_spec(struct kapi_value *spec, const struct kapi_value *ospec)
{
    if (!is_object(spec))
        return;
    if (!kapi_gate(KAPI_GATE_VOLUME_ATTRIBUTES_CLASS) && !set(kapi_obj_get(ospec, "volumeAttributesClassName")))
        kapi_obj_del(spec, "volumeAttributesClassName");
    /* a dataSourceRef with a namespace goes whole, unless the stored claim
     * has a dataSourceRef */
    const char *ns = kapi_value_cstr(kapi_value_path(spec, "dataSourceRef", "namespace", NULL));
    if (!kapi_gate(KAPI_GATE_CROSS_NAMESPACE_VOLUME_DATA_SOURCE) && ns && ns[0] &&
        !set(kapi_obj_get(ospec, "dataSourceRef")))
        kapi_obj_del(spec, "dataSourceRef");
}

/* DropDisabledFieldsFromStatus */
static void pvc_status(struct kapi_value *st, const struct kapi_value *ost)
{
    if (!is_object(st) || kapi_gate(KAPI_GATE_VOLUME_ATTRIBUTES_CLASS))
        return;
    if (!set(kapi_obj_get(ost, "currentVolumeAttributesClassName")))
        kapi_obj_del(st, "currentVolumeAttributesClassName");
    if (!set(kapi_obj_get(ost, "modifyVolumeStatus")))
        kapi_obj_del(st, "modifyVolumeStatus");
}

static void drop_member_if(struct kapi_value *obj, const char *key, bool gate_on, bool in_use)
{
    if (!gate_on && !in_use && is_object(obj))
        kapi_obj_del(obj, key);
}

static bool tolerance_in_use(const struct kapi_value *hpa)
{
    const struct kapi_value *b = kapi_value_path(hpa, "spec", "behavior", NULL);
    return set(kapi_value_path(b, "scaleUp", "tolerance", NULL)) ||
           set(kapi_value_path(b, "scaleDown", "tolerance", NULL));
}

static bool for_nodes_in_use(const struct kapi_value *eps)
{
    const struct kapi_value *eplist = kapi_obj_get(eps, "endpoints");
    for (size_t i = 0; i < arr_len(eplist); i++)
        if (arr_len(kapi_value_path(arr_item(eplist, i), "hints", "forNodes", NULL)))
            return true;
    return false;
}

static bool kind_is(const struct kapi_kind *k, const char *group, const char *kind)
{
    return kapi_streq(k->kind, kind) && kapi_streq(k->group, group);
}

/* where each kind keeps its pod template */
static struct kapi_value *template_of(const struct kapi_kind *k, const struct kapi_value *obj)
{
    if (kind_is(k, "", "PodTemplate"))
        return kapi_obj_get(obj, "template");
    if (kind_is(k, "", "ReplicationController") || kind_is(k, "apps", "Deployment") ||
        kind_is(k, "apps", "ReplicaSet") || kind_is(k, "apps", "DaemonSet") || kind_is(k, "apps", "StatefulSet") ||
        kind_is(k, "batch", "Job"))
        return kapi_value_path(obj, "spec", "template", NULL);
    if (kind_is(k, "batch", "CronJob"))
        return kapi_value_path(obj, "spec", "jobTemplate", "spec", "template", NULL);
    return NULL;
}

void kapi_drop_disabled_fields(struct kapi_pool *pool, const struct kapi_kind *k, const char *subresource,
                               struct kapi_value *obj, const struct kapi_value *old)
{
    if (!k || k->crd || !is_object(obj))
        return;
    bool main = !subresource || !subresource[0];
    if (kind_is(k, "", "Pod")) {
        /* DropDisabledPodFields: create, update, and the status,
         * ephemeralcontainers and resize strategies */
        if (!main && strcmp(subresource, "status") && strcmp(subresource, "ephemeralcontainers") &&
            strcmp(subresource, "resize"))
            return;
        const struct kapi_value *ospec = kapi_obj_get(old, "spec");
        kapi_drop_disabled_pod_spec(pool, kapi_obj_get(obj, "spec"), ospec);
        kapi_drop_disabled_pod_status(kapi_obj_get(obj, "status"), kapi_obj_get(old, "status"), ospec);
        return;
    }
    if (main) {
        struct kapi_value *t = template_of(k, obj);
        if (t) /* DropDisabledTemplateFields */
            kapi_drop_disabled_pod_spec(pool, kapi_obj_get(t, "spec"), kapi_obj_get(template_of(k, old), "spec"));
    }
    struct kapi_value *spec = kapi_obj_get(obj, "spec");
    const struct kapi_value *ospec = kapi_obj_get(old, "spec");
    if (kind_is(k, "", "Node")) {
        /* not a gate: the removed DynamicKubeletConfig fields. Create drops
         * both; an update keeps spec.configSource, a /status write
         * status.config, only when the stored node has it */
        bool create = main && !old;
        if (main && is_object(spec) && (create || !set(kapi_obj_get(ospec, "configSource"))))
            kapi_obj_del(spec, "configSource");
        struct kapi_value *st = kapi_obj_get(obj, "status");
        if (is_object(st) && (create || (!main && !strcmp(subresource, "status") &&
                                         !set(kapi_value_path(old, "status", "config", NULL)))))
            kapi_obj_del(st, "config");
    } else if (kind_is(k, "", "PersistentVolumeClaim")) {
        if (main)
            pvc_spec(spec, ospec);
        else if (!strcmp(subresource, "status"))
            pvc_status(kapi_obj_get(obj, "status"), kapi_obj_get(old, "status"));
    } else if (main && kind_is(k, "", "PersistentVolume")) {
        drop_member_if(spec, "volumeAttributesClassName", kapi_gate(KAPI_GATE_VOLUME_ATTRIBUTES_CLASS),
                       set(kapi_obj_get(ospec, "volumeAttributesClassName")));
    } else if (main && kind_is(k, "apps", "StatefulSet")) {
        drop_member_if(kapi_value_path(spec, "updateStrategy", "rollingUpdate", NULL), "maxUnavailable",
                       kapi_gate(KAPI_GATE_MAX_UNAVAILABLE_STATEFULSET),
                       set(kapi_value_path(ospec, "updateStrategy", "rollingUpdate", "maxUnavailable", NULL)));
    } else if (main && kind_is(k, "autoscaling", "HorizontalPodAutoscaler")) {
        bool keep = kapi_gate(KAPI_GATE_HPA_CONFIGURABLE_TOLERANCE) || tolerance_in_use(old);
        drop_member_if(kapi_value_path(spec, "behavior", "scaleUp", NULL), "tolerance", keep, false);
        drop_member_if(kapi_value_path(spec, "behavior", "scaleDown", NULL), "tolerance", keep, false);
    } else if (main && kind_is(k, "storage.k8s.io", "CSIDriver")) {
        drop_member_if(spec, "nodeAllocatableUpdatePeriodSeconds",
                       kapi_gate(KAPI_GATE_MUTABLE_CSI_NODE_ALLOCATABLE_COUNT),
                       set(kapi_obj_get(ospec, "nodeAllocatableUpdatePeriodSeconds")));
    } else if (main && kind_is(k, "discovery.k8s.io", "EndpointSlice")) {
        if (kapi_gate(KAPI_GATE_PREFER_SAME_TRAFFIC_DISTRIBUTION) || for_nodes_in_use(old))
            return;
        struct kapi_value *eplist = kapi_obj_get(obj, "endpoints");
        for (size_t i = 0; i < arr_len(eplist); i++)
            drop_member_if(kapi_obj_get(arr_item(eplist, i), "hints"), "forNodes", false, false);
    } else if (!main && !strcmp(subresource, "status") &&
               (kind_is(k, "apps", "Deployment") || kind_is(k, "apps", "ReplicaSet"))) {
        drop_member_if(kapi_obj_get(obj, "status"), "terminatingReplicas",
                       kapi_gate(KAPI_GATE_DEPLOYMENT_REPLICASET_TERMINATING_REPLICAS),
                       set(kapi_value_path(old, "status", "terminatingReplicas", NULL)));
    }
}
