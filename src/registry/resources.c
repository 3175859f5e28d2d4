/* The v1.33 default resource table. The facts (names, kinds, verbs, short
 * names, categories, storage version hashes, group order) were taken from
 * upstream's checked-in discovery documents and its default API enablement;
 * see docs/internals/discovery.md for how to re-check them. */
#include "resources.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../base/base.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NONE ((const char *const[]){NULL})

/* Verb sets as upstream lists them (sorted). */
#define V_ALL L("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
#define V_NS L("create", "delete", "get", "list", "patch", "update", "watch")
#define V_GL L("get", "list")
#define V_C L("create")
#define V_G L("get")
#define V_U L("update")
#define V_CG L("create", "get")
#define V_GPU L("get", "patch", "update")
#define V_PROXY L("create", "delete", "get", "patch", "update")

/* Top-level resource. */
#define RES(g, v, n, s, k, nsd, vb, sn, cat, h)                                           \
    { .group = g, .version = v, .name = n, .singular = s, .kind = k, .namespaced = nsd,  \
      .verbs = vb, .short_names = sn, .categories = cat, .storage_version_hash = h }
/* Subresource whose kind is in the same group/version. */
#define SUB(g, v, n, k, nsd, vb)                                                          \
    { .group = g, .version = v, .name = n, .kind = k, .namespaced = nsd, .verbs = vb,    \
      .short_names = NONE, .categories = NONE }
/* Subresource whose kind lives in another group/version. */
#define SUBX(g, v, n, k, sg, sv, nsd, vb)                                                 \
    { .group = g, .version = v, .name = n, .kind = k, .sub_group = sg, .sub_version = sv, \
      .namespaced = nsd, .verbs = vb, .short_names = NONE, .categories = NONE }

#define ALL L("all")
#define EXT L("api-extensions")

static const struct kapi_resource table[] = {
    /* core v1 */
    RES("", "v1", "bindings", "binding", "Binding", true, V_C, NONE, NONE, NULL),
    RES("", "v1", "componentstatuses", "componentstatus", "ComponentStatus", false, V_GL, L("cs"), NONE, NULL),
    RES("", "v1", "configmaps", "configmap", "ConfigMap", true, V_ALL, L("cm"), NONE, "qFsyl6wFWjQ="),
    RES("", "v1", "endpoints", "endpoints", "Endpoints", true, V_ALL, L("ep"), NONE, "fWeeMqaN/OA="),
    RES("", "v1", "events", "event", "Event", true, V_ALL, L("ev"), NONE, "r2yiGXH7wu8="),
    RES("", "v1", "limitranges", "limitrange", "LimitRange", true, V_ALL, L("limits"), NONE, "EBKMFVe6cwo="),
    RES("", "v1", "namespaces", "namespace", "Namespace", false, V_NS, L("ns"), NONE, "Q3oi5N2YM8M="),
    SUB("", "v1", "namespaces/finalize", "Namespace", false, V_U),
    SUB("", "v1", "namespaces/status", "Namespace", false, V_GPU),
    RES("", "v1", "nodes", "node", "Node", false, V_ALL, L("no"), NONE, "XwShjMxG9Fs="),
    SUB("", "v1", "nodes/proxy", "NodeProxyOptions", false, V_PROXY),
    SUB("", "v1", "nodes/status", "Node", false, V_GPU),
    RES("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", true, V_ALL, L("pvc"), NONE, "QWTyNDq0dC4="),
    SUB("", "v1", "persistentvolumeclaims/status", "PersistentVolumeClaim", true, V_GPU),
    RES("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", false, V_ALL, L("pv"), NONE, "HN/zwEC+JgM="),
    SUB("", "v1", "persistentvolumes/status", "PersistentVolume", false, V_GPU),
    RES("", "v1", "pods", "pod", "Pod", true, V_ALL, L("po"), ALL, "xPOwRZ+Yhw8="),
    SUB("", "v1", "pods/attach", "PodAttachOptions", true, V_CG),
    SUB("", "v1", "pods/binding", "Binding", true, V_C),
    SUB("", "v1", "pods/ephemeralcontainers", "Pod", true, V_GPU),
    SUBX("", "v1", "pods/eviction", "Eviction", "policy", "v1", true, V_C),
    SUB("", "v1", "pods/exec", "PodExecOptions", true, V_CG),
    SUB("", "v1", "pods/log", "Pod", true, V_G),
    SUB("", "v1", "pods/portforward", "PodPortForwardOptions", true, V_CG),
    SUB("", "v1", "pods/proxy", "PodProxyOptions", true, V_PROXY),
    /* InPlacePodVerticalScaling is beta and on by default in 1.33. */
    SUB("", "v1", "pods/resize", "Pod", true, V_GPU),
    SUB("", "v1", "pods/status", "Pod", true, V_GPU),
    RES("", "v1", "podtemplates", "podtemplate", "PodTemplate", true, V_ALL, NONE, NONE, "LIXB2x4IFpk="),
    RES("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController", true, V_ALL, L("rc"), ALL, "Jond2If31h0="),
    SUBX("", "v1", "replicationcontrollers/scale", "Scale", "autoscaling", "v1", true, V_GPU),
    SUB("", "v1", "replicationcontrollers/status", "ReplicationController", true, V_GPU),
    RES("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", true, V_ALL, L("quota"), NONE, "8uhSgffRX6w="),
    SUB("", "v1", "resourcequotas/status", "ResourceQuota", true, V_GPU),
    RES("", "v1", "secrets", "secret", "Secret", true, V_ALL, NONE, NONE, "S6u1pOWzb84="),
    RES("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", true, V_ALL, L("sa"), NONE, "pbx9ZvyFpBE="),
    SUBX("", "v1", "serviceaccounts/token", "TokenRequest", "authentication.k8s.io", "v1", true, V_C),
    RES("", "v1", "services", "service", "Service", true, V_ALL, L("svc"), ALL, "0/CO1lhkEBI="),
    SUB("", "v1", "services/proxy", "ServiceProxyOptions", true, V_PROXY),
    SUB("", "v1", "services/status", "Service", true, V_GPU),

    /* apiregistration.k8s.io/v1 */
    RES("apiregistration.k8s.io", "v1", "apiservices", "apiservice", "APIService", false, V_ALL, NONE, EXT, "InPBPD7+PqM="),
    SUB("apiregistration.k8s.io", "v1", "apiservices/status", "APIService", false, V_GPU),

    /* apps/v1 */
    RES("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", true, V_ALL, NONE, NONE, "85nkx63pcBU="),
    RES("apps", "v1", "daemonsets", "daemonset", "DaemonSet", true, V_ALL, L("ds"), ALL, "dd7pWHUlMKQ="),
    SUB("apps", "v1", "daemonsets/status", "DaemonSet", true, V_GPU),
    RES("apps", "v1", "deployments", "deployment", "Deployment", true, V_ALL, L("deploy"), ALL, "8aSe+NMegvE="),
    SUBX("apps", "v1", "deployments/scale", "Scale", "autoscaling", "v1", true, V_GPU),
    SUB("apps", "v1", "deployments/status", "Deployment", true, V_GPU),
    RES("apps", "v1", "replicasets", "replicaset", "ReplicaSet", true, V_ALL, L("rs"), ALL, "P1RzHs8/mWQ="),
    SUBX("apps", "v1", "replicasets/scale", "Scale", "autoscaling", "v1", true, V_GPU),
    SUB("apps", "v1", "replicasets/status", "ReplicaSet", true, V_GPU),
    RES("apps", "v1", "statefulsets", "statefulset", "StatefulSet", true, V_ALL, L("sts"), ALL, "H+vl74LkKdo="),
    SUBX("apps", "v1", "statefulsets/scale", "Scale", "autoscaling", "v1", true, V_GPU),
    SUB("apps", "v1", "statefulsets/status", "StatefulSet", true, V_GPU),

    /* events.k8s.io/v1 */
    RES("events.k8s.io", "v1", "events", "event", "Event", true, V_ALL, L("ev"), NONE, "r2yiGXH7wu8="),

    /* authentication.k8s.io/v1 */
    RES("authentication.k8s.io", "v1", "selfsubjectreviews", "selfsubjectreview", "SelfSubjectReview", false, V_C, NONE, NONE, NULL),
    RES("authentication.k8s.io", "v1", "tokenreviews", "tokenreview", "TokenReview", false, V_C, NONE, NONE, NULL),

    /* authorization.k8s.io/v1 */
    RES("authorization.k8s.io", "v1", "localsubjectaccessreviews", "localsubjectaccessreview", "LocalSubjectAccessReview", true, V_C, NONE, NONE, NULL),
    RES("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "selfsubjectaccessreview", "SelfSubjectAccessReview", false, V_C, NONE, NONE, NULL),
    RES("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "selfsubjectrulesreview", "SelfSubjectRulesReview", false, V_C, NONE, NONE, NULL),
    RES("authorization.k8s.io", "v1", "subjectaccessreviews", "subjectaccessreview", "SubjectAccessReview", false, V_C, NONE, NONE, NULL),

    /* autoscaling/v2 (preferred), then autoscaling/v1 */
    RES("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, V_ALL, L("hpa"), ALL, "qwQve8ut294="),
    SUB("autoscaling", "v2", "horizontalpodautoscalers/status", "HorizontalPodAutoscaler", true, V_GPU),
    RES("autoscaling", "v1", "horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", true, V_ALL, L("hpa"), ALL, "qwQve8ut294="),
    SUB("autoscaling", "v1", "horizontalpodautoscalers/status", "HorizontalPodAutoscaler", true, V_GPU),

    /* batch/v1 */
    RES("batch", "v1", "cronjobs", "cronjob", "CronJob", true, V_ALL, L("cj"), ALL, "sd5LIXh4Fjs="),
    SUB("batch", "v1", "cronjobs/status", "CronJob", true, V_GPU),
    RES("batch", "v1", "jobs", "job", "Job", true, V_ALL, NONE, ALL, "mudhfqk/qZY="),
    SUB("batch", "v1", "jobs/status", "Job", true, V_GPU),

    /* certificates.k8s.io/v1 */
    RES("certificates.k8s.io", "v1", "certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest", false, V_ALL, L("csr"), NONE, "95fRKMXA+00="),
    SUB("certificates.k8s.io", "v1", "certificatesigningrequests/approval", "CertificateSigningRequest", false, V_GPU),
    SUB("certificates.k8s.io", "v1", "certificatesigningrequests/status", "CertificateSigningRequest", false, V_GPU),

    /* networking.k8s.io/v1 (IPAddress and ServiceCIDR are GA in 1.33) */
    RES("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", false, V_ALL, NONE, NONE, "l/iqIbDgFyQ="),
    RES("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", true, V_ALL, L("ing"), NONE, "39NQlfNR+bo="),
    SUB("networking.k8s.io", "v1", "ingresses/status", "Ingress", true, V_GPU),
    RES("networking.k8s.io", "v1", "ipaddresses", "ipaddress", "IPAddress", false, V_ALL, L("ip"), NONE, "3f/plJFChNE="),
    RES("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy", true, V_ALL, L("netpol"), NONE, "YpfwF18m1G8="),
    RES("networking.k8s.io", "v1", "servicecidrs", "servicecidr", "ServiceCIDR", false, V_ALL, NONE, NONE, "gNLvruQhW2g="),
    SUB("networking.k8s.io", "v1", "servicecidrs/status", "ServiceCIDR", false, V_GPU),

    /* policy/v1 */
    RES("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", true, V_ALL, L("pdb"), NONE, "EVWiDmWqyJw="),
    SUB("policy", "v1", "poddisruptionbudgets/status", "PodDisruptionBudget", true, V_GPU),

    /* rbac.authorization.k8s.io/v1 */
    RES("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, V_ALL, NONE, NONE, "48tpQ8gZHFc="),
    RES("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", false, V_ALL, NONE, NONE, "bYE5ZWDrJ44="),
    RES("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", true, V_ALL, NONE, NONE, "eGsCzGH6b1g="),
    RES("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", true, V_ALL, NONE, NONE, "7FuwZcIIItM="),

    /* storage.k8s.io/v1 (VolumeAttributesClass stays beta, off, in 1.33) */
    RES("storage.k8s.io", "v1", "csidrivers", "csidriver", "CSIDriver", false, V_ALL, NONE, NONE, "hL6j/rwBV5w="),
    RES("storage.k8s.io", "v1", "csinodes", "csinode", "CSINode", false, V_ALL, NONE, NONE, "Pe62DkZtjuo="),
    RES("storage.k8s.io", "v1", "csistoragecapacities", "csistoragecapacity", "CSIStorageCapacity", true, V_ALL, NONE, NONE, "xeVl+2Ly1kE="),
    RES("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", false, V_ALL, L("sc"), NONE, "K+m6uJwbjGY="),
    RES("storage.k8s.io", "v1", "volumeattachments", "volumeattachment", "VolumeAttachment", false, V_ALL, NONE, NONE, "tJx/ezt6UDU="),
    SUB("storage.k8s.io", "v1", "volumeattachments/status", "VolumeAttachment", false, V_GPU),

    /* admissionregistration.k8s.io/v1 (MutatingAdmissionPolicy is alpha in 1.33) */
    RES("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", false, V_ALL, NONE, EXT, "Sqi0GUgDaX0="),
    RES("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "validatingadmissionpolicy", "ValidatingAdmissionPolicy", false, V_ALL, NONE, EXT, "6OxvlMmQ6is="),
    SUB("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies/status", "ValidatingAdmissionPolicy", false, V_GPU),
    RES("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding", "ValidatingAdmissionPolicyBinding", false, V_ALL, NONE, EXT, "v9715VZqakg="),
    RES("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", false, V_ALL, NONE, EXT, "B0wHjQmsGNk="),

    /* apiextensions.k8s.io/v1 */
    RES("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition", false, V_ALL, L("crd", "crds"), EXT, "jfWCUB31mvA="),
    SUB("apiextensions.k8s.io", "v1", "customresourcedefinitions/status", "CustomResourceDefinition", false, V_GPU),

    /* scheduling.k8s.io/v1 */
    RES("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", false, V_ALL, L("pc"), NONE, "1QwjyaZjj3Y="),

    /* coordination.k8s.io/v1 (v1beta1 LeaseCandidate is off by default) */
    RES("coordination.k8s.io", "v1", "leases", "lease", "Lease", true, V_ALL, NONE, NONE, "gqkMMb/YqFM="),

    /* node.k8s.io/v1 */
    RES("node.k8s.io", "v1", "runtimeclasses", "runtimeclass", "RuntimeClass", false, V_ALL, NONE, NONE, "WQTu1GL3T2Q="),

    /* discovery.k8s.io/v1 */
    RES("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", true, V_ALL, NONE, NONE, "Nx3SIv6I0mE="),

    /* flowcontrol.apiserver.k8s.io/v1 (v1beta3 stopped being served in 1.32) */
    RES("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "flowschema", "FlowSchema", false, V_ALL, NONE, NONE, "GJVAJZSZBIw="),
    SUB("flowcontrol.apiserver.k8s.io", "v1", "flowschemas/status", "FlowSchema", false, V_GPU),
    RES("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations", "prioritylevelconfiguration", "PriorityLevelConfiguration", false, V_ALL, NONE, NONE, "Kir5PVfvNeI="),
    SUB("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations/status", "PriorityLevelConfiguration", false, V_GPU),
};

/* /apis order: the aggregator sorts groups by descending group priority
 * (apiregistration 18000, apps 17800, events 17750, ... flowcontrol 16100)
 * and breaks the admissionregistration/apiextensions tie (16700) by name. */
static const struct kapi_api_group core_group = {"", L("v1")};
static const struct kapi_api_group groups[] = {
    {"apiregistration.k8s.io", L("v1")},
    {"apps", L("v1")},
    {"events.k8s.io", L("v1")},
    {"authentication.k8s.io", L("v1")},
    {"authorization.k8s.io", L("v1")},
    {"autoscaling", L("v2", "v1")},
    {"batch", L("v1")},
    {"certificates.k8s.io", L("v1")},
    {"networking.k8s.io", L("v1")},
    {"policy", L("v1")},
    {"rbac.authorization.k8s.io", L("v1")},
    {"storage.k8s.io", L("v1")},
    {"admissionregistration.k8s.io", L("v1")},
    {"apiextensions.k8s.io", L("v1")},
    {"scheduling.k8s.io", L("v1")},
    {"coordination.k8s.io", L("v1")},
    {"node.k8s.io", L("v1")},
    {"discovery.k8s.io", L("v1")},
    {"flowcontrol.apiserver.k8s.io", L("v1")},
};

const struct kapi_resource *kapi_resources_all(size_t *n)
{
    *n = KAPI_ARRAY_LEN(table);
    return table;
}

/* The table's group-versions (each a contiguous run), hashed once: the
 * lookups below run on every request. */
struct gv_run {
    const char *group, *version;
    size_t start, n;
};
static struct gv_run gv_runs[256];
static size_t gv_nruns;
static uint16_t gv_slots[1024]; /* 1 + run index, 0 empty */
static pthread_once_t gv_once = PTHREAD_ONCE_INIT;

static size_t gv_hash(const char *group, const char *version)
{
    uint64_t h = kapi_fnv1a(KAPI_FNV_INIT, group, strlen(group) + 1); /* the NUL separates */
    h = kapi_fnv1a(h, version, strlen(version));
    return (size_t)(h & (KAPI_ARRAY_LEN(gv_slots) - 1));
}

static void gv_index(void)
{
    size_t len = KAPI_ARRAY_LEN(table);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && strcmp(table[j].group, table[i].group) == 0 && strcmp(table[j].version, table[i].version) == 0)
            j++;
        if (gv_nruns == KAPI_ARRAY_LEN(gv_runs))
            abort(); /* the generated table outgrew the index */
        gv_runs[gv_nruns] = (struct gv_run){table[i].group, table[i].version, i, j - i};
        size_t s = gv_hash(table[i].group, table[i].version);
        while (gv_slots[s])
            s = (s + 1) & (KAPI_ARRAY_LEN(gv_slots) - 1);
        gv_slots[s] = (uint16_t)(++gv_nruns);
        i = j;
    }
}

const struct kapi_resource *kapi_resources_for(const char *group, const char *version, size_t *n)
{
    pthread_once(&gv_once, gv_index);
    for (size_t s = gv_hash(group, version); gv_slots[s]; s = (s + 1) & (KAPI_ARRAY_LEN(gv_slots) - 1)) {
        const struct gv_run *r = &gv_runs[gv_slots[s] - 1];
        if (strcmp(r->group, group) == 0 && strcmp(r->version, version) == 0) {
            *n = r->n;
            return &table[r->start];
        }
    }
    *n = 0;
    return NULL;
}

const struct kapi_resource *kapi_resource_find(const char *group, const char *version,
                                               const char *name)
{
    size_t n;
    const struct kapi_resource *r = kapi_resources_for(group, version, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(r[i].name, name) == 0)
            return &r[i];
    return NULL;
}

const struct kapi_resource *kapi_resource_by_kind(const char *group, const char *version,
                                                  const char *kind)
{
    size_t n;
    const struct kapi_resource *r = kapi_resources_for(group, version, &n);
    for (size_t i = 0; i < n; i++)
        if (!kapi_resource_is_sub(&r[i]) && strcmp(r[i].kind, kind) == 0)
            return &r[i];
    return NULL;
}

const struct kapi_resource *kapi_resource_parent(const struct kapi_resource *r)
{
    const char *slash = strchr(r->name, '/');
    if (!slash)
        return r;
    size_t n, plen = (size_t)(slash - r->name);
    const struct kapi_resource *all = kapi_resources_for(r->group, r->version, &n);
    for (size_t i = 0; i < n; i++)
        if (strncmp(all[i].name, r->name, plen) == 0 && all[i].name[plen] == '\0')
            return &all[i];
    return NULL;
}

const struct kapi_api_group *kapi_api_groups(size_t *n)
{
    *n = KAPI_ARRAY_LEN(groups);
    return groups;
}

const struct kapi_api_group *kapi_api_core_group(void)
{
    return &core_group;
}

const struct kapi_api_group *kapi_api_group_find(const char *name)
{
    if (name[0] == '\0')
        return &core_group;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(groups); i++)
        if (strcmp(groups[i].name, name) == 0)
            return &groups[i];
    return NULL;
}

bool kapi_api_version_served(const char *group, const char *version)
{
    const struct kapi_api_group *g = kapi_api_group_find(group);
    if (!g)
        return false;
    for (const char *const *v = g->versions; *v; v++)
        if (strcmp(*v, version) == 0)
            return true;
    return false;
}
