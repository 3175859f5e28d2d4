/* registry/defaults: core/v1 (pods and pod templates, volumes, services,
 * persistent volumes and claims, secrets, endpoints, limit ranges,
 * replication controllers, namespaces, nodes). */

#include "defaults_int.h"

#include <string.h>

#include "../../base/b64.h"
#include "../../schema/quantity.h"
#include "../../schema/schema.h"

#define T(n) KAPI_DT_CORE(n)

static void field_selector(struct kapi_pool *pool, struct kapi_value *owner)
{
    kapi_dflt_str(pool, kapi_dflt_obj(owner, "fieldRef"), T("ObjectFieldSelector"), "apiVersion", "v1");
}

static void http_get(struct kapi_pool *pool, struct kapi_value *handler)
{
    struct kapi_value *h = kapi_dflt_obj(handler, "httpGet");
    kapi_dflt_str(pool, h, T("HTTPGetAction"), "path", "/");
    kapi_dflt_str(pool, h, T("HTTPGetAction"), "scheme", "HTTP");
}

static void probe(struct kapi_pool *pool, struct kapi_value *p)
{
    if (!p)
        return;
    kapi_dflt_int0(pool, p, T("Probe"), "timeoutSeconds", 1);
    kapi_dflt_int0(pool, p, T("Probe"), "periodSeconds", 10);
    kapi_dflt_int0(pool, p, T("Probe"), "successThreshold", 1);
    kapi_dflt_int0(pool, p, T("Probe"), "failureThreshold", 3);
    http_get(pool, p);
}

/* Copies limits into requests where requests lack the resource (Pods only). */
static void requests_from_limits(struct kapi_pool *pool, struct kapi_value *c, const char *type)
{
    struct kapi_value *res = kapi_dflt_obj(c, "resources");
    struct kapi_value *lim = kapi_dflt_obj(res, "limits");
    if (!lim)
        return;
    struct kapi_value *req = kapi_dflt_ensure(pool, res, T("ResourceRequirements"), "requests");
    if (!req)
        return;
    for (size_t i = 0; i < lim->u.obj.len; i++) {
        struct kapi_value *v = kapi_value_clone(pool, lim->u.obj.members[i].val);
        kapi_quantity_carry_original(pool, v, lim->u.obj.members[i].val); /* Go copies the parsed Quantity */
        kapi_dflt_map_add(pool, req, lim->u.obj.members[i].key, v);
    }
    (void)type;
}

/* ResourceRequirements' two quantity maps. */
static void resources(struct kapi_pool *pool, struct kapi_value *res)
{
    kapi_dflt_resource_list(pool, kapi_dflt_obj(res, "limits"));
    kapi_dflt_resource_list(pool, kapi_dflt_obj(res, "requests"));
}

static void container(struct kapi_pool *pool, struct kapi_value *c, const char *type, bool is_pod,
                      bool host_network)
{
    if (!c || c->type != KAPI_V_OBJECT)
        return;
    if (kapi_dflt_zero(c, "imagePullPolicy"))
        kapi_dflt_put(pool, c, type, "imagePullPolicy",
                      kapi_value_str(pool, kapi_defaults_pull_policy(kapi_obj_get_str(c, "image"))));
    kapi_dflt_str(pool, c, type, "terminationMessagePath", "/dev/termination-log");
    kapi_dflt_str(pool, c, type, "terminationMessagePolicy", "File");
    /* A Go struct field: always encoded, even when empty. */
    kapi_dflt_ensure(pool, c, type, "resources");
    if (is_pod)
        requests_from_limits(pool, c, type);
    resources(pool, kapi_dflt_obj(c, "resources"));
    struct kapi_value *ports = kapi_dflt_arr(c, "ports");
    for (size_t i = 0; ports && i < ports->u.arr.len; i++) {
        struct kapi_value *p = ports->u.arr.items[i];
        if (!p || p->type != KAPI_V_OBJECT)
            continue;
        kapi_dflt_str(pool, p, T("ContainerPort"), "protocol", "TCP");
        if (is_pod && host_network && kapi_dflt_zero(p, "hostPort")) {
            struct kapi_value *cp = kapi_obj_get(p, "containerPort");
            if (cp && cp->type == KAPI_V_INT && cp->u.i != 0)
                kapi_dflt_put(pool, p, T("ContainerPort"), "hostPort", kapi_value_int(pool, cp->u.i));
        }
    }
    struct kapi_value *env = kapi_dflt_arr(c, "env");
    for (size_t i = 0; env && i < env->u.arr.len; i++)
        field_selector(pool, kapi_dflt_obj(env->u.arr.items[i], "valueFrom"));
    probe(pool, kapi_dflt_obj(c, "livenessProbe"));
    probe(pool, kapi_dflt_obj(c, "readinessProbe"));
    probe(pool, kapi_dflt_obj(c, "startupProbe"));
    struct kapi_value *lc = kapi_dflt_obj(c, "lifecycle");
    http_get(pool, kapi_dflt_obj(lc, "postStart"));
    http_get(pool, kapi_dflt_obj(lc, "preStop"));
}

static void containers(struct kapi_pool *pool, struct kapi_value *spec, const char *key, const char *type,
                       bool is_pod, bool host_network)
{
    struct kapi_value *a = kapi_dflt_arr(spec, key);
    for (size_t i = 0; a && i < a->u.arr.len; i++)
        container(pool, a->u.arr.items[i], type, is_pod, host_network);
}

static void pvc_spec(struct kapi_pool *pool, struct kapi_value *spec)
{
    kapi_dflt_pstr(pool, spec, T("PersistentVolumeClaimSpec"), "volumeMode", "Filesystem");
    resources(pool, kapi_dflt_obj(spec, "resources"));
}

static void downward_items(struct kapi_pool *pool, struct kapi_value *src)
{
    struct kapi_value *items = kapi_dflt_arr(src, "items");
    for (size_t i = 0; items && i < items->u.arr.len; i++)
        field_selector(pool, items->u.arr.items[i]);
}

static void iscsi(struct kapi_pool *pool, struct kapi_value *v, const char *type)
{
    kapi_dflt_str(pool, v, type, "iscsiInterface", "default");
}

static void rbd(struct kapi_pool *pool, struct kapi_value *v, const char *type)
{
    kapi_dflt_str(pool, v, type, "pool", "rbd");
    kapi_dflt_str(pool, v, type, "user", "admin");
    kapi_dflt_str(pool, v, type, "keyring", "/etc/ceph/keyring");
}

static void azure_disk(struct kapi_pool *pool, struct kapi_value *v)
{
    kapi_dflt_pstr(pool, v, T("AzureDiskVolumeSource"), "cachingMode", "ReadWrite");
    kapi_dflt_pstr(pool, v, T("AzureDiskVolumeSource"), "fsType", "ext4");
    kapi_dflt_bool(pool, v, T("AzureDiskVolumeSource"), "readOnly", false);
    kapi_dflt_pstr(pool, v, T("AzureDiskVolumeSource"), "kind", "Shared");
}

static void scale_io(struct kapi_pool *pool, struct kapi_value *v, const char *type)
{
    kapi_dflt_str(pool, v, type, "storageMode", "ThinProvisioned");
    kapi_dflt_str(pool, v, type, "fsType", "xfs");
}

static void host_path(struct kapi_pool *pool, struct kapi_value *v)
{
    kapi_dflt_pstr(pool, v, T("HostPathVolumeSource"), "type", "");
}

static void volume(struct kapi_pool *pool, struct kapi_value *v)
{
    if (!v || v->type != KAPI_V_OBJECT)
        return;
    const struct kapi_schema_msg *src = kapi_schema_msg_find(T("VolumeSource"));
    bool has_source = false;
    for (size_t i = 0; src && i < v->u.obj.len && !has_source; i++) {
        const struct kapi_member *m = &v->u.obj.members[i];
        has_source = m->val->type != KAPI_V_NULL && kapi_schema_field_by_name(src, m->key, m->klen);
    }
    if (!has_source)
        kapi_dflt_put(pool, v, T("Volume"), "emptyDir", kapi_value_object(pool));
    host_path(pool, kapi_dflt_obj(v, "hostPath"));
    kapi_dflt_int(pool, kapi_dflt_obj(v, "secret"), T("SecretVolumeSource"), "defaultMode", 420);
    kapi_dflt_int(pool, kapi_dflt_obj(v, "configMap"), T("ConfigMapVolumeSource"), "defaultMode", 420);
    iscsi(pool, kapi_dflt_obj(v, "iscsi"), T("ISCSIVolumeSource"));
    rbd(pool, kapi_dflt_obj(v, "rbd"), T("RBDVolumeSource"));
    azure_disk(pool, kapi_dflt_obj(v, "azureDisk"));
    scale_io(pool, kapi_dflt_obj(v, "scaleIO"), T("ScaleIOVolumeSource"));
    struct kapi_value *dapi = kapi_dflt_obj(v, "downwardAPI");
    if (dapi) {
        kapi_dflt_int(pool, dapi, T("DownwardAPIVolumeSource"), "defaultMode", 420);
        downward_items(pool, dapi);
    }
    struct kapi_value *proj = kapi_dflt_obj(v, "projected");
    if (proj) {
        kapi_dflt_int(pool, proj, T("ProjectedVolumeSource"), "defaultMode", 420);
        struct kapi_value *srcs = kapi_dflt_arr(proj, "sources");
        for (size_t i = 0; srcs && i < srcs->u.arr.len; i++) {
            struct kapi_value *s = srcs->u.arr.items[i];
            downward_items(pool, kapi_dflt_obj(s, "downwardAPI"));
            kapi_dflt_int(pool, kapi_dflt_obj(s, "serviceAccountToken"), T("ServiceAccountTokenProjection"),
                          "expirationSeconds", 3600);
        }
    }
    struct kapi_value *eph = kapi_dflt_obj(v, "ephemeral");
    pvc_spec(pool, kapi_dflt_obj(kapi_dflt_obj(eph, "volumeClaimTemplate"), "spec"));
}

void kapi_dflt_pod_spec(struct kapi_pool *pool, struct kapi_value *spec, bool is_pod)
{
    static const char *PS = T("PodSpec");
    if (!spec || spec->type != KAPI_V_OBJECT)
        return;
    struct kapi_value *hn = kapi_obj_get(spec, "hostNetwork");
    bool host_network = hn && hn->type == KAPI_V_BOOL && hn->u.b;
    if (is_pod)
        kapi_dflt_bool(pool, spec, PS, "enableServiceLinks", true);
    kapi_dflt_str(pool, spec, PS, "dnsPolicy", "ClusterFirst");
    kapi_dflt_str(pool, spec, PS, "restartPolicy", "Always");
    if (kapi_dflt_unset(spec, "securityContext"))
        kapi_dflt_put(pool, spec, PS, "securityContext", kapi_value_object(pool));
    kapi_dflt_int(pool, spec, PS, "terminationGracePeriodSeconds", 30);
    kapi_dflt_str(pool, spec, PS, "schedulerName", "default-scheduler");
    struct kapi_value *vols = kapi_dflt_arr(spec, "volumes");
    for (size_t i = 0; vols && i < vols->u.arr.len; i++)
        volume(pool, vols->u.arr.items[i]);
    containers(pool, spec, "initContainers", T("Container"), is_pod, host_network);
    containers(pool, spec, "containers", T("Container"), is_pod, host_network);
    /* Ephemeral containers get the container defaults, but upstream leaves
     * their requests and host ports alone. */
    containers(pool, spec, "ephemeralContainers", T("EphemeralContainer"), false, false);
    kapi_dflt_resource_list(pool, kapi_dflt_obj(spec, "overhead"));
    resources(pool, kapi_dflt_obj(spec, "resources"));
}

void kapi_dflt_pod_template(struct kapi_pool *pool, struct kapi_value *tmpl)
{
    kapi_dflt_pod_spec(pool, kapi_dflt_obj(tmpl, "spec"), false);
}

void kapi_dflt_pvc(struct kapi_pool *pool, struct kapi_value *pvc)
{
    if (!pvc || pvc->type != KAPI_V_OBJECT)
        return;
    pvc_spec(pool, kapi_dflt_obj(pvc, "spec"));
    struct kapi_value *st = kapi_dflt_ensure(pool, pvc, T("PersistentVolumeClaim"), "status");
    kapi_dflt_str(pool, st, T("PersistentVolumeClaimStatus"), "phase", "Pending");
    kapi_dflt_resource_list(pool, kapi_dflt_obj(st, "capacity"));
    kapi_dflt_resource_list(pool, kapi_dflt_obj(st, "allocatedResources"));
}

static void pv(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *S = T("PersistentVolumeSpec");
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (spec) {
        kapi_dflt_str(pool, spec, S, "persistentVolumeReclaimPolicy", "Retain");
        kapi_dflt_pstr(pool, spec, S, "volumeMode", "Filesystem");
        kapi_dflt_resource_list(pool, kapi_dflt_obj(spec, "capacity"));
        host_path(pool, kapi_dflt_obj(spec, "hostPath"));
        rbd(pool, kapi_dflt_obj(spec, "rbd"), T("RBDPersistentVolumeSource"));
        iscsi(pool, kapi_dflt_obj(spec, "iscsi"), T("ISCSIPersistentVolumeSource"));
        azure_disk(pool, kapi_dflt_obj(spec, "azureDisk"));
        scale_io(pool, kapi_dflt_obj(spec, "scaleIO"), T("ScaleIOPersistentVolumeSource"));
    }
    struct kapi_value *st = kapi_dflt_ensure(pool, obj, T("PersistentVolume"), "status");
    kapi_dflt_str(pool, st, T("PersistentVolumeStatus"), "phase", "Pending");
}

static bool str_is(const struct kapi_value *obj, const char *key, const char *want)
{
    const char *s = kapi_obj_get_str(obj, key);
    return s && strcmp(s, want) == 0;
}

static void service(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *S = T("ServiceSpec");
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!spec)
        return;
    kapi_dflt_str(pool, spec, S, "sessionAffinity", "None");
    if (str_is(spec, "sessionAffinity", "None")) {
        kapi_obj_del(spec, "sessionAffinityConfig");
    } else if (str_is(spec, "sessionAffinity", "ClientIP")) {
        struct kapi_value *cip = kapi_dflt_obj(kapi_dflt_obj(spec, "sessionAffinityConfig"), "clientIP");
        if (kapi_dflt_unset(cip, "timeoutSeconds")) {
            struct kapi_value *t = kapi_value_object(pool), *c = kapi_value_object(pool);
            kapi_obj_set(pool, t, "timeoutSeconds", kapi_value_int(pool, 10800));
            kapi_obj_set(pool, c, "clientIP", t);
            kapi_dflt_put(pool, spec, S, "sessionAffinityConfig", c);
        }
    }
    kapi_dflt_str(pool, spec, S, "type", "ClusterIP");
    struct kapi_value *ports = kapi_dflt_arr(spec, "ports");
    for (size_t i = 0; ports && i < ports->u.arr.len; i++) {
        struct kapi_value *p = ports->u.arr.items[i];
        if (!p || p->type != KAPI_V_OBJECT)
            continue;
        kapi_dflt_str(pool, p, T("ServicePort"), "protocol", "TCP");
        if (kapi_dflt_zero(p, "targetPort")) {
            struct kapi_value *port = kapi_obj_get(p, "port");
            int64_t n = port && port->type == KAPI_V_INT ? port->u.i : 0;
            kapi_dflt_put(pool, p, T("ServicePort"), "targetPort", kapi_value_int(pool, n));
        }
    }
    const char *type = kapi_obj_get_str(spec, "type");
    bool lb = type && kapi_streq(type, "LoadBalancer");
    bool np = type && kapi_streq(type, "NodePort");
    bool cip = type && kapi_streq(type, "ClusterIP");
    bool external = lb || np || (cip && !kapi_dflt_zero(spec, "externalIPs"));
    if (external)
        kapi_dflt_str(pool, spec, S, "externalTrafficPolicy", "Cluster");
    if (lb || np || cip)
        kapi_dflt_pstr(pool, spec, S, "internalTrafficPolicy", "Cluster");
    if (lb) {
        kapi_dflt_bool(pool, spec, S, "allocateLoadBalancerNodePorts", true);
        struct kapi_value *ing = kapi_dflt_arr(kapi_dflt_obj(kapi_dflt_obj(obj, "status"), "loadBalancer"),
                                               "ingress");
        for (size_t i = 0; ing && i < ing->u.arr.len; i++) {
            struct kapi_value *e = ing->u.arr.items[i];
            if (e && e->type == KAPI_V_OBJECT && !kapi_dflt_zero(e, "ip"))
                kapi_dflt_pstr(pool, e, T("LoadBalancerIngress"), "ipMode", "VIP");
        }
    }
}

static void endpoints(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *subsets = kapi_dflt_arr(obj, "subsets");
    for (size_t i = 0; subsets && i < subsets->u.arr.len; i++) {
        struct kapi_value *ports = kapi_dflt_arr(subsets->u.arr.items[i], "ports");
        for (size_t j = 0; ports && j < ports->u.arr.len; j++)
            kapi_dflt_str(pool, ports->u.arr.items[j], T("EndpointPort"), "protocol", "TCP");
    }
}

static void copy_missing(struct kapi_pool *pool, struct kapi_value *dst, const struct kapi_value *src)
{
    for (size_t i = 0; src && dst && i < src->u.obj.len; i++)
        kapi_dflt_map_add(pool, dst, src->u.obj.members[i].key, kapi_value_clone(pool, src->u.obj.members[i].val));
}

static void limit_range(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *I = T("LimitRangeItem");
    struct kapi_value *items = kapi_dflt_arr(kapi_dflt_obj(obj, "spec"), "limits");
    for (size_t i = 0; items && i < items->u.arr.len; i++) {
        struct kapi_value *it = items->u.arr.items[i];
        static const char *const maps[] = {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"};
        for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++)
            kapi_dflt_resource_list(pool, kapi_dflt_obj(it, maps[m]));
        if (!str_is(it, "type", "Container"))
            continue;
        /* Build into scratch maps so that empty results stay absent (Go's
         * omitempty on the maps). */
        struct kapi_value *def = kapi_dflt_obj(it, "default");
        struct kapi_value *dreq = kapi_dflt_obj(it, "defaultRequest");
        struct kapi_value *nd = def ? def : kapi_value_object(pool);
        struct kapi_value *nr = dreq ? dreq : kapi_value_object(pool);
        copy_missing(pool, nd, kapi_dflt_obj(it, "max"));
        copy_missing(pool, nr, nd);
        copy_missing(pool, nr, kapi_dflt_obj(it, "min"));
        if (!def && nd->u.obj.len)
            kapi_dflt_put(pool, it, I, "default", nd);
        if (!dreq && nr->u.obj.len)
            kapi_dflt_put(pool, it, I, "defaultRequest", nr);
    }
}

/* A Go map assigned by reference: the same labels end up in both places. */
static void labels_from_template(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                                 struct kapi_value *tlabels, bool also_selector, struct kapi_value *spec,
                                 const char *spec_type)
{
    if (!tlabels)
        return;
    if (also_selector && kapi_dflt_zero(spec, "selector"))
        kapi_dflt_put(pool, spec, spec_type, "selector", kapi_value_clone(pool, tlabels));
    struct kapi_value *meta = kapi_dflt_obj(obj, "metadata");
    if (meta && kapi_dflt_zero(meta, "labels"))
        kapi_dflt_put(pool, meta, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels",
                      kapi_value_clone(pool, tlabels));
    (void)type;
}

static void replication_controller(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!spec)
        return;
    struct kapi_value *tmpl = kapi_dflt_obj(spec, "template");
    labels_from_template(pool, obj, T("ReplicationController"),
                         kapi_dflt_obj(kapi_dflt_obj(tmpl, "metadata"), "labels"), true, spec,
                         T("ReplicationControllerSpec"));
    kapi_dflt_int(pool, spec, T("ReplicationControllerSpec"), "replicas", 1);
    kapi_dflt_pod_template(pool, tmpl);
}

/* stringData is write-only: upstream's conversion copies it over data
 * (base64 in JSON) and the stored object never carries it. */
static void secret_string_data(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *sd = kapi_obj_get(obj, "stringData");
    if (!sd)
        return;
    if (sd->type == KAPI_V_OBJECT && sd->u.obj.len) {
        struct kapi_value *data = kapi_dflt_ensure(pool, obj, T("Secret"), "data");
        for (size_t i = 0; i < sd->u.obj.len; i++) {
            const struct kapi_value *v = sd->u.obj.members[i].val;
            const char *text = kapi_value_cstr(v);
            size_t len = text ? v->u.str.len : 0;
            char *b64 = kapi_b64_encode_pool(pool, text ? text : "", len, 0);
            kapi_obj_del(data, sd->u.obj.members[i].key);
            kapi_dflt_map_add(pool, data, sd->u.obj.members[i].key, kapi_value_str(pool, b64));
        }
    }
    kapi_obj_del(obj, "stringData");
}

/* The resource lists of a pod's container statuses (written by kubelets):
 * the generated defaulter rounds them as it does the spec's. */
static void status_resources(struct kapi_pool *pool, struct kapi_value *status)
{
    static const char *const lists[] = {"initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"};
    for (size_t l = 0; l < KAPI_ARRAY_LEN(lists); l++) {
        struct kapi_value *arr = kapi_dflt_arr(status, lists[l]);
        for (size_t i = 0; arr && i < arr->u.arr.len; i++) {
            kapi_dflt_resource_list(pool, kapi_dflt_obj(arr->u.arr.items[i], "allocatedResources"));
            resources(pool, kapi_dflt_obj(arr->u.arr.items[i], "resources"));
        }
    }
}

bool kapi_dflt_core(struct kapi_pool *pool, const char *kind, struct kapi_value *obj)
{
    if (kapi_streq(kind, "Pod")) {
        kapi_dflt_pod_spec(pool, kapi_dflt_obj(obj, "spec"), true);
        status_resources(pool, kapi_dflt_obj(obj, "status"));
    } else if (kapi_streq(kind, "PodTemplate")) {
        kapi_dflt_pod_template(pool, kapi_dflt_obj(obj, "template"));
    } else if (kapi_streq(kind, "ReplicationController")) {
        replication_controller(pool, obj);
    } else if (kapi_streq(kind, "Service")) {
        service(pool, obj);
    } else if (kapi_streq(kind, "Secret")) {
        kapi_dflt_str(pool, obj, T("Secret"), "type", "Opaque");
        secret_string_data(pool, obj);
    } else if (kapi_streq(kind, "PersistentVolumeClaim")) {
        kapi_dflt_pvc(pool, obj);
    } else if (kapi_streq(kind, "PersistentVolume")) {
        pv(pool, obj);
    } else if (kapi_streq(kind, "Endpoints")) {
        endpoints(pool, obj);
    } else if (kapi_streq(kind, "LimitRange")) {
        limit_range(pool, obj);
    } else if (kapi_streq(kind, "Namespace")) {
        /* The metadata.name label is the namespace strategy's (elsewhere). */
        struct kapi_value *st = kapi_dflt_ensure(pool, obj, T("Namespace"), "status");
        kapi_dflt_str(pool, st, T("NamespaceStatus"), "phase", "Active");
    } else if (kapi_streq(kind, "Node")) {
        struct kapi_value *st = kapi_dflt_obj(obj, "status");
        struct kapi_value *cap = kapi_dflt_obj(st, "capacity");
        if (cap && kapi_dflt_unset(st, "allocatable")) {
            struct kapi_value *alloc = kapi_value_clone(pool, cap);
            for (size_t i = 0; cap->type == KAPI_V_OBJECT && i < cap->u.obj.len; i++)
                kapi_quantity_carry_original(pool, alloc->u.obj.members[i].val, cap->u.obj.members[i].val);
            kapi_dflt_put(pool, st, T("NodeStatus"), "allocatable", alloc);
        }
        kapi_dflt_resource_list(pool, cap);
        kapi_dflt_resource_list(pool, kapi_dflt_obj(st, "allocatable"));
    } else if (kapi_streq(kind, "ResourceQuota")) {
        struct kapi_value *st = kapi_dflt_obj(obj, "status");
        kapi_dflt_resource_list(pool, kapi_dflt_obj(kapi_dflt_obj(obj, "spec"), "hard"));
        kapi_dflt_resource_list(pool, kapi_dflt_obj(st, "hard"));
        kapi_dflt_resource_list(pool, kapi_dflt_obj(st, "used"));
    } else {
        return false;
    }
    return true;
}
