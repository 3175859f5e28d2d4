/* Implementation of src/auth/node_authz.h.
 *
 * Upstream keeps a graph of every pod, PV, volume attachment and resource
 * slice, updated by informers, and asks whether a path leads from the
 * requested object to the requesting node. kapi holds few objects, so the
 * same question is answered per request from the watch cache: the pods of
 * the object's namespace bound to the node (the cache extracts
 * spec.nodeName, so other pods are never parsed) and what they reference;
 * for secrets also the persistent volumes claimed by those pods. The
 * answers match the graph's: the same edges, only computed on demand. */
#include "node_authz.h"

#include <stdlib.h>
#include <string.h>

#include "../api/selector.h"
#include "../cache/cache.h"
#include "../codec/value.h"
#include "../registry/registry.h"

#define NODE_USER_PREFIX "system:node:"
#define NODES_GROUP "system:nodes"
#define NODE_LEASE_NS "kube-node-lease"
#define MIRROR_ANNOTATION "kubernetes.io/config.mirror"

struct kapi_node_authz {
    struct kapi_cache *cache;
    const struct kapi_kind *pods, *pvs, *attachments, *slices; /* NULL when not served */
    bool after_rbac, alone;
};

/* What a request may start from, as upstream's vertex types. */
enum obj_type { T_SECRET, T_CONFIGMAP, T_PVC, T_PV, T_POD, T_SA, T_CLAIM, T_VA, T_SLICE };

static const struct kapi_kind *first_kind(const struct kapi_registry *reg, const char *group,
                                          const char *const *versions, const char *resource)
{
    for (size_t i = 0; versions[i]; i++) {
        const struct kapi_kind *k = kapi_registry_find(reg, group, versions[i], resource);
        if (k && k->rc)
            return k;
    }
    return NULL;
}

struct kapi_node_authz *kapi_node_authz_new(struct kapi_cache *cache, const struct kapi_registry *reg)
{
    struct kapi_node_authz *na = kapi_xcalloc(1, sizeof(*na));
    na->cache = cache;
    if (reg) {
        static const char *const v1[] = {"v1", NULL};
        static const char *const dra[] = {"v1", "v1beta2", "v1beta1", "v1alpha3", NULL};
        na->pods = first_kind(reg, "", v1, "pods");
        na->pvs = first_kind(reg, "", v1, "persistentvolumes");
        na->attachments = first_kind(reg, "storage.k8s.io", v1, "volumeattachments");
        na->slices = first_kind(reg, "resource.k8s.io", dra, "resourceslices");
    }
    return na;
}

void kapi_node_authz_free(struct kapi_node_authz *na)
{
    free(na);
}

void kapi_node_authz_set_order(struct kapi_node_authz *na, bool after_rbac, bool alone)
{
    na->after_rbac = after_rbac;
    na->alone = alone;
}

bool kapi_node_authz_after_rbac(const struct kapi_node_authz *na)
{
    return na && na->after_rbac;
}

bool kapi_node_authz_alone(const struct kapi_node_authz *na)
{
    return na && na->alone;
}

bool kapi_node_identity(const struct kapi_user *u, const char **node)
{
    if (!u || !u->name || strncmp(u->name, NODE_USER_PREFIX, strlen(NODE_USER_PREFIX)) != 0)
        return false;
    bool in_group = false;
    for (size_t i = 0; i < u->ngroups && !in_group; i++)
        in_group = u->groups[i] && strcmp(u->groups[i], NODES_GROUP) == 0;
    if (!in_group)
        return false;
    if (node)
        *node = u->name + strlen(NODE_USER_PREFIX);
    return true;
}

/* ---- small helpers ---- */

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

/* Go's %q for the plain strings these messages carry. */
static const char *quote(struct kapi_pool *pool, const char *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            kapi_buf_printf(&b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            kapi_buf_printf(&b, "\\x%02x", *p);
        else
            kapi_buf_putc(&b, (char)*p);
    }
    kapi_buf_putc(&b, '"');
    char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

static size_t arr_len(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_ARRAY ? v->u.arr.len : 0;
}

/* The object ns/name of kind k parsed into pool, or NULL. */
static struct kapi_value *get_obj(const struct kapi_kind *k, struct kapi_pool *pool, const char *ns, const char *name)
{
    if (!k || !k->rc || !name || !*name)
        return NULL;
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(pool, k, ns, name));
    if (!o)
        return NULL;
    struct kapi_value *v = kapi_cobj_value(o, pool);
    kapi_cobj_unref(o);
    return v;
}

/* ---- what a pod references (upstream's pod visitors) ---- */

/* Calls back with each name; a true return stops the walk (found). */
typedef bool (*name_fn)(void *ctx, const char *name);

static bool visit(name_fn fn, void *ctx, const char *name)
{
    return name && *name && fn(ctx, name); /* empty names are skipped */
}

static bool visit_ref(name_fn fn, void *ctx, const struct kapi_value *ref)
{
    return ref && visit(fn, ctx, kapi_obj_get_str(ref, "name"));
}

/* Every container of the pod: init, regular, ephemeral. */
static bool each_container(const struct kapi_value *spec, bool (*cb)(const struct kapi_value *c, name_fn fn, void *ctx),
                           name_fn fn, void *ctx)
{
    static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t l = 0; l < KAPI_ARRAY_LEN(lists); l++) {
        const struct kapi_value *cs = kapi_obj_get(spec, lists[l]);
        for (size_t i = 0; i < arr_len(cs); i++)
            if (cb(cs->u.arr.items[i], fn, ctx))
                return true;
    }
    return false;
}

/* envFrom[].<from>.name and env[].valueFrom.<key_ref>.name */
static bool container_refs(const struct kapi_value *c, const char *from, const char *key_ref, name_fn fn, void *ctx)
{
    const struct kapi_value *ef = kapi_obj_get(c, "envFrom");
    for (size_t i = 0; i < arr_len(ef); i++)
        if (visit_ref(fn, ctx, kapi_obj_get(ef->u.arr.items[i], from)))
            return true;
    const struct kapi_value *env = kapi_obj_get(c, "env");
    for (size_t i = 0; i < arr_len(env); i++)
        if (visit_ref(fn, ctx, kapi_value_path(env->u.arr.items[i], "valueFrom", key_ref, NULL)))
            return true;
    return false;
}

static bool container_secrets(const struct kapi_value *c, name_fn fn, void *ctx)
{
    return container_refs(c, "secretRef", "secretKeyRef", fn, ctx);
}

static bool container_configmaps(const struct kapi_value *c, name_fn fn, void *ctx)
{
    return container_refs(c, "configMapRef", "configMapKeyRef", fn, ctx);
}

static bool pod_secrets(const struct kapi_value *pod, name_fn fn, void *ctx)
{
    const struct kapi_value *spec = kapi_obj_get(pod, "spec");
    const struct kapi_value *ips = kapi_obj_get(spec, "imagePullSecrets");
    for (size_t i = 0; i < arr_len(ips); i++)
        if (visit_ref(fn, ctx, ips->u.arr.items[i]))
            return true;
    if (each_container(spec, container_secrets, fn, ctx))
        return true;
    /* Volume sources that name a secret; a volume has one source, the
     * first one present (in upstream's order) is the one looked at. */
    static const char *const ref_sources[] = {"cephfs", "cinder", "flexVolume", NULL /* projected */, "rbd",
                                              NULL /* secret */, "scaleIO", "iscsi", "storageos"};
    const struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *v = vols->u.arr.items[i], *src;
        if ((src = kapi_obj_get(v, "azureFile"))) {
            if (visit(fn, ctx, kapi_obj_get_str(src, "secretName")))
                return true;
            continue;
        }
        bool seen = false;
        for (size_t s = 0; s < KAPI_ARRAY_LEN(ref_sources) && !seen; s++) {
            if (s == 3 && (src = kapi_obj_get(v, "projected"))) {
                seen = true;
                const struct kapi_value *srcs = kapi_obj_get(src, "sources");
                for (size_t j = 0; j < arr_len(srcs); j++)
                    if (visit_ref(fn, ctx, kapi_obj_get(srcs->u.arr.items[j], "secret")))
                        return true;
            } else if (s == 5 && (src = kapi_obj_get(v, "secret"))) {
                seen = true;
                if (visit(fn, ctx, kapi_obj_get_str(src, "secretName")))
                    return true;
            } else if (ref_sources[s] && (src = kapi_obj_get(v, ref_sources[s]))) {
                seen = true;
                if (visit_ref(fn, ctx, kapi_obj_get(src, "secretRef")))
                    return true;
            }
        }
        if (!seen && (src = kapi_obj_get(v, "csi")) && visit_ref(fn, ctx, kapi_obj_get(src, "nodePublishSecretRef")))
            return true;
    }
    return false;
}

static bool pod_configmaps(const struct kapi_value *pod, name_fn fn, void *ctx)
{
    const struct kapi_value *spec = kapi_obj_get(pod, "spec");
    if (each_container(spec, container_configmaps, fn, ctx))
        return true;
    const struct kapi_value *vols = kapi_obj_get(spec, "volumes");
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *v = vols->u.arr.items[i], *src;
        if ((src = kapi_obj_get(v, "projected"))) {
            const struct kapi_value *srcs = kapi_obj_get(src, "sources");
            for (size_t j = 0; j < arr_len(srcs); j++)
                if (visit_ref(fn, ctx, kapi_obj_get(srcs->u.arr.items[j], "configMap")))
                    return true;
        } else if ((src = kapi_obj_get(v, "configMap")) && visit_ref(fn, ctx, src)) {
            return true;
        }
    }
    return false;
}

/* PVCs: persistentVolumeClaim.claimName, and the claim a generic ephemeral
 * volume gets (<pod>-<volume>). */
static bool pod_claims(struct kapi_pool *pool, const struct kapi_value *pod, name_fn fn, void *ctx)
{
    const char *pod_name = s_or_empty(kapi_value_cstr(kapi_value_path(pod, "metadata", "name", NULL)));
    const struct kapi_value *vols = kapi_value_path(pod, "spec", "volumes", NULL);
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *v = vols->u.arr.items[i], *src;
        if ((src = kapi_obj_get(v, "persistentVolumeClaim"))) {
            if (visit(fn, ctx, kapi_obj_get_str(src, "claimName")))
                return true;
        } else if (kapi_obj_get(v, "ephemeral")) {
            const char *vn = kapi_obj_get_str(v, "name");
            if (visit(fn, ctx, kapi_pool_printf(pool, "%s-%s", pod_name, s_or_empty(vn))))
                return true;
        }
    }
    return false;
}

/* ResourceClaims: a claim named in spec.resourceClaims, or the one made
 * from a template as recorded in status.resourceClaimStatuses. */
static bool pod_resource_claims(const struct kapi_value *pod, name_fn fn, void *ctx)
{
    const struct kapi_value *rcs = kapi_value_path(pod, "spec", "resourceClaims", NULL);
    const struct kapi_value *sts = kapi_value_path(pod, "status", "resourceClaimStatuses", NULL);
    for (size_t i = 0; i < arr_len(rcs); i++) {
        const struct kapi_value *rc = rcs->u.arr.items[i];
        const char *claim = kapi_obj_get_str(rc, "resourceClaimName");
        if (claim) {
            if (visit(fn, ctx, claim))
                return true;
            continue;
        }
        if (!kapi_obj_get_str(rc, "resourceClaimTemplateName"))
            continue;
        const char *entry = kapi_obj_get_str(rc, "name");
        for (size_t j = 0; j < arr_len(sts); j++) {
            const struct kapi_value *st = sts->u.arr.items[j];
            if (eq(kapi_obj_get_str(st, "name"), entry)) {
                if (visit(fn, ctx, kapi_obj_get_str(st, "resourceClaimName")))
                    return true;
                break;
            }
        }
    }
    return false;
}

static bool is_mirror_pod(const struct kapi_value *pod)
{
    return kapi_value_path(pod, "metadata", "annotations", MIRROR_ANNOTATION, NULL) != NULL;
}

static bool same_name(void *ctx, const char *name)
{
    return strcmp(ctx, name) == 0;
}

/* Whether pod references an object of type t called name. Mirror pods lead
 * nowhere but to their node (a node must not grant itself access by
 * creating one). */
static bool pod_references(struct kapi_pool *pool, const struct kapi_value *pod, enum obj_type t, const char *name)
{
    if (is_mirror_pod(pod))
        return false;
    void *ctx = (void *)name;
    switch (t) {
    case T_SA:
        return eq(kapi_value_cstr(kapi_value_path(pod, "spec", "serviceAccountName", NULL)), name);
    case T_SECRET:
        return pod_secrets(pod, same_name, ctx);
    case T_CONFIGMAP:
        return pod_configmaps(pod, same_name, ctx);
    case T_PVC:
        return pod_claims(pool, pod, same_name, ctx);
    case T_CLAIM:
        return pod_resource_claims(pod, same_name, ctx);
    default:
        return false;
    }
}

static bool any_name(void *ctx, const char *name)
{
    return true;
}

bool kapi_pod_names_secret(const struct kapi_value *pod)
{
    return pod_secrets(pod, any_name, NULL);
}

bool kapi_pod_names_configmap(const struct kapi_value *pod)
{
    return pod_configmaps(pod, any_name, NULL);
}

static bool bound_to(void *ctx, const struct kapi_cobj *o)
{
    return eq(kapi_cobj_field(o, "spec.nodeName"), ctx);
}

/* Whether a pod in ns bound to node references type t name. */
static bool node_pod_references(struct kapi_node_authz *na, struct kapi_pool *pool, const char *node, const char *ns,
                                enum obj_type t, const char *name)
{
    if (!na->pods || !ns || !*ns || !*node)
        return false;
    struct kapi_cache_filter f = {.ns = ns, .match = bound_to, .ctx = (void *)node};
    struct kapi_cache_list l;
    kapi_rcache_list(na->pods->rc, &f, NULL, 0, &l);
    bool found = false;
    for (size_t i = 0; i < l.n && !found; i++) {
        struct kapi_value *pod = kapi_cobj_value(l.items[i], pool);
        found = pod && pod_references(pool, pod, t, name);
    }
    kapi_cache_list_dispose(&l);
    return found;
}

/* ---- persistent volumes ---- */

/* A PV leads to the PVC of its claimRef, hence to the node when a pod there
 * uses that claim. */
static bool pv_reaches(struct kapi_node_authz *na, struct kapi_pool *pool, const char *node,
                       const struct kapi_value *pv)
{
    const struct kapi_value *cr = kapi_value_path(pv, "spec", "claimRef", NULL);
    if (!cr || cr->type != KAPI_V_OBJECT)
        return false;
    return node_pod_references(na, pool, node, kapi_obj_get_str(cr, "namespace"), T_PVC,
                               s_or_empty(kapi_obj_get_str(cr, "name")));
}

/* The secret ref's namespace, or the claim's for sources whose refs did
 * not always carry one. */
static const char *ref_ns(const struct kapi_value *ref, const char *claim_ns, bool fallback)
{
    const char *ns = kapi_obj_get_str(ref, "namespace");
    if (fallback && (!ns || !*ns))
        return claim_ns;
    return s_or_empty(ns);
}

/* Whether the PV names secret ns/name in a way the kubelet sees (node-side
 * CSI secrets, not the controller ones). */
static bool pv_uses_secret(const struct kapi_value *pv, const char *ns, const char *name)
{
    const struct kapi_value *spec = kapi_obj_get(pv, "spec"), *src;
    const char *claim_ns = s_or_empty(kapi_value_cstr(kapi_value_path(spec, "claimRef", "namespace", NULL)));
#define HIT(n, nm) (eq((n), ns) && eq((nm), name))
    if ((src = kapi_obj_get(spec, "azureFile"))) {
        const char *sns = kapi_obj_get_str(src, "secretNamespace");
        return HIT(sns && *sns ? sns : claim_ns, kapi_obj_get_str(src, "secretName"));
    }
    /* sources whose secretRef falls back to the claim's namespace */
    static const char *const with_fallback[] = {"cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi",
                                                "storageos"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(with_fallback); i++) {
        if (!(src = kapi_obj_get(spec, with_fallback[i])))
            continue;
        const struct kapi_value *ref = kapi_obj_get(src, "secretRef");
        bool fallback = strcmp(with_fallback[i], "cinder") != 0 && strcmp(with_fallback[i], "storageos") != 0;
        return ref && HIT(ref_ns(ref, claim_ns, fallback), kapi_obj_get_str(ref, "name"));
    }
    if ((src = kapi_obj_get(spec, "csi"))) {
        static const char *const node_side[] = {"nodePublishSecretRef", "nodeStageSecretRef", "nodeExpandSecretRef"};
        for (size_t i = 0; i < KAPI_ARRAY_LEN(node_side); i++) {
            const struct kapi_value *ref = kapi_obj_get(src, node_side[i]);
            if (ref && HIT(ref_ns(ref, claim_ns, false), kapi_obj_get_str(ref, "name")))
                return true;
        }
    }
#undef HIT
    return false;
}

static bool secret_via_pv(struct kapi_node_authz *na, struct kapi_pool *pool, const char *node, const char *ns,
                          const char *name)
{
    if (!na->pvs)
        return false;
    struct kapi_cache_list l;
    struct kapi_cache_filter f = {0};
    kapi_rcache_list(na->pvs->rc, &f, NULL, 0, &l);
    bool found = false;
    for (size_t i = 0; i < l.n && !found; i++) {
        struct kapi_value *pv = kapi_cobj_value(l.items[i], pool);
        found = pv && kapi_value_path(pv, "spec", "claimRef", NULL) && pv_uses_secret(pv, ns, name) &&
                pv_reaches(na, pool, node, pv);
    }
    kapi_cache_list_dispose(&l);
    return found;
}

/* Whether the object of type t ns/name is related to node. */
static bool has_path(struct kapi_node_authz *na, struct kapi_pool *pool, const char *node, enum obj_type t,
                     const char *ns, const char *name)
{
    switch (t) {
    case T_POD: {
        struct kapi_value *pod = get_obj(na->pods, pool, ns, name);
        return pod && eq(kapi_value_cstr(kapi_value_path(pod, "spec", "nodeName", NULL)), node);
    }
    case T_PV: {
        struct kapi_value *pv = get_obj(na->pvs, pool, "", name);
        return pv && pv_reaches(na, pool, node, pv);
    }
    case T_VA: {
        struct kapi_value *va = get_obj(na->attachments, pool, "", name);
        return va && eq(kapi_value_cstr(kapi_value_path(va, "spec", "nodeName", NULL)), node);
    }
    case T_SLICE: {
        struct kapi_value *s = get_obj(na->slices, pool, "", name);
        return s && eq(kapi_value_cstr(kapi_value_path(s, "spec", "nodeName", NULL)), node);
    }
    case T_SECRET:
        return node_pod_references(na, pool, node, ns, t, name) || secret_via_pv(na, pool, node, ns, name);
    default:
        return node_pod_references(na, pool, node, ns, t, name);
    }
}

/* ---- the system:node rules for everything not subdivided above ---- */

struct node_rule {
    const char *verbs, *group, *resources; /* comma lists; resources as "res" or "res/sub" */
};

/* bootstrappolicy's NodeRules with v1.33's default feature gates. */
static const struct node_rule node_rules[] = {
    {"create", "authentication.k8s.io", "tokenreviews"},
    {"create", "authorization.k8s.io", "subjectaccessreviews,localsubjectaccessreviews"},
    {"get,list,watch", "", "services"},
    {"create,get,list,watch", "", "nodes"},
    {"update,patch", "", "nodes/status"},
    {"update,patch", "", "nodes"},
    {"create,update,patch", "", "events"},
    {"get,list,watch", "", "pods"},
    {"create,delete", "", "pods"},
    {"update,patch", "", "pods/status"},
    {"create", "", "pods/eviction"},
    {"get,list,watch", "", "secrets,configmaps"},
    {"get", "", "persistentvolumeclaims,persistentvolumes"},
    {"get", "", "endpoints"},
    {"create,get,list,watch", "certificates.k8s.io", "certificatesigningrequests"},
    {"get,create,update,patch,delete", "coordination.k8s.io", "leases"},
    {"get", "storage.k8s.io", "volumeattachments"},
    {"create", "", "serviceaccounts/token"},
    {"get,update,patch", "", "persistentvolumeclaims/status"},
    {"get,watch,list", "storage.k8s.io", "csidrivers"},
    {"get,create,update,patch,delete", "storage.k8s.io", "csinodes"},
    {"get,list,watch", "node.k8s.io", "runtimeclasses"},
};

static bool in_list(const char *list, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, s, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static bool rules_allow(struct kapi_pool *pool, const struct kapi_authz_attrs *a)
{
    if (!a->resource_request)
        return false; /* the node rules have no nonResourceURLs */
    const char *res = s_or_empty(a->resource), *sub = s_or_empty(a->subresource);
    const char *combined = *sub ? kapi_pool_printf(pool, "%s/%s", res, sub) : res;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(node_rules); i++) {
        const struct node_rule *r = &node_rules[i];
        if (in_list(r->verbs, s_or_empty(a->verb)) && strcmp(r->group, s_or_empty(a->group)) == 0 &&
            in_list(r->resources, combined))
            return true;
    }
    return false;
}

/* ---- decisions per resource (upstream's authorize* methods) ---- */

struct req {
    struct kapi_node_authz *na;
    struct kapi_pool *pool;
    const char *node, *verb, *sub, *ns, *name;
    const struct kapi_field_selector *fields; /* NULL when none or unparseable */
    const char **reason;
};

static bool verb_in(const struct req *q, const char *list)
{
    return in_list(list, q->verb);
}

static bool no(const struct req *q, const char *why)
{
    *q->reason = why;
    return false;
}

static bool related(const struct req *q, enum obj_type t)
{
    if (!*q->name)
        return no(q, "No Object name found");
    if (has_path(q->na, q->pool, q->node, t, q->ns, q->name))
        return true;
    return no(q, kapi_pool_printf(q->pool, "no relationship found between node '%s' and this object", q->node));
}

static bool get_related(const struct req *q, enum obj_type t)
{
    if (strcmp(q->verb, "get") != 0)
        return no(q, "can only get individual resources of this type");
    if (*q->sub)
        return no(q, "cannot get subresource");
    return related(q, t);
}

static bool read_namespaced(const struct req *q, enum obj_type t)
{
    if (!verb_in(q, "get,list,watch"))
        return no(q, "can only read resources of this type");
    if (*q->sub)
        return no(q, "cannot read subresource");
    if (!*q->ns)
        return no(q, "can only read namespaced object of this type");
    return related(q, t);
}

static bool status_update(const struct req *q, enum obj_type t)
{
    if (!verb_in(q, "update,patch"))
        return no(q, "can only get/update/patch this type");
    if (strcmp(q->sub, "status") != 0)
        return no(q, "can only update status subresource");
    return related(q, t);
}

static bool create_token(const struct req *q)
{
    if (strcmp(q->verb, "create") != 0 || !*q->name)
        return no(q, "can only create tokens for individual service accounts");
    if (strcmp(q->sub, "token") != 0)
        return no(q, "can only create token subresource of serviceaccount");
    if (has_path(q->na, q->pool, q->node, T_SA, q->ns, q->name))
        return true;
    return no(q, kapi_pool_printf(q->pool, "no relationship found between node '%s' and this object", q->node));
}

static bool lease(const struct req *q)
{
    if (!verb_in(q, "get,create,update,patch,delete"))
        return no(q, "can only get, create, update, patch, or delete a node lease");
    if (strcmp(q->ns, NODE_LEASE_NS) != 0)
        return no(q, "can only access leases in the \"" NODE_LEASE_NS "\" system namespace");
    /* on create the name is in the body: NodeRestriction checks it */
    if (strcmp(q->verb, "create") != 0 && strcmp(q->name, q->node) != 0)
        return no(q, "can only access node lease with the same name as the requesting node");
    return true;
}

static bool csinode(const struct req *q)
{
    if (!verb_in(q, "get,create,update,patch,delete"))
        return no(q, "can only get, create, update, patch, or delete a CSINode");
    if (*q->sub)
        return no(q, "cannot authorize CSINode subresources");
    if (strcmp(q->verb, "create") != 0 && strcmp(q->name, q->node) != 0)
        return no(q, "can only access CSINode with the same name as the requesting node");
    return true;
}

/* A field selector term field=<node> (upstream compares requirements with
 * operator "=" / "=="). */
static bool selects_node(const struct req *q, const char *field)
{
    for (size_t i = 0; q->fields && i < q->fields->nterms; i++) {
        const struct kapi_field_term *t = &q->fields->terms[i];
        if (t->op == KAPI_FIELD_EQUALS && strcmp(t->field, field) == 0 && strcmp(t->value, q->node) == 0)
            return true;
    }
    return false;
}

static bool resource_slice(const struct req *q)
{
    if (*q->sub)
        return no(q, "cannot authorize ResourceSlice subresources");
    if (strcmp(q->verb, "create") == 0)
        return true; /* NodeRestriction checks spec.nodeName */
    if (verb_in(q, "get,update,patch,delete"))
        return related(q, T_SLICE);
    if (verb_in(q, "watch,list,deletecollection")) {
        if (selects_node(q, "spec.nodeName"))
            return true;
        return no(q, "can only list/watch/deletecollection resourceslices with nodeName field selector");
    }
    return no(q, "only the following verbs are allowed for a ResourceSlice: get, watch, list, create, update, patch, "
                 "delete, deletecollection");
}

static bool node_object(const struct req *q)
{
    if (!*q->sub) {
        if (verb_in(q, "create,update,patch"))
            return true; /* NodeRestriction limits these to the node's own object */
        if (verb_in(q, "get,list,watch")) {
            if (strcmp(q->name, q->node) == 0)
                return true;
            if (!*q->name)
                return no(q, kapi_pool_printf(q->pool, "node '%s' cannot read all nodes, only its own Node object",
                                              q->node));
            return no(q, kapi_pool_printf(q->pool, "node '%s' cannot read '%s', only its own Node object", q->node,
                                          q->name));
        }
    } else if (strcmp(q->sub, "status") == 0 && verb_in(q, "update,patch")) {
        return true;
    }
    return no(q, "");
}

static bool pod_object(const struct req *q)
{
    if (!*q->sub) {
        if (strcmp(q->verb, "get") == 0)
            return get_related(q, T_POD);
        if (verb_in(q, "list,watch")) {
            if (selects_node(q, "spec.nodeName"))
                return true;
            if (*q->name)
                return related(q, T_POD);
            return no(q, "can only list/watch pods with spec.nodeName field selector");
        }
        if (verb_in(q, "create,delete"))
            return true; /* mirror pods; NodeRestriction checks them */
    } else if (strcmp(q->sub, "status") == 0) {
        if (verb_in(q, "update,patch"))
            return true;
    } else if (strcmp(q->sub, "eviction") == 0) {
        if (strcmp(q->verb, "create") == 0)
            return true;
    }
    return no(q, "");
}

bool kapi_node_authorize_sel(struct kapi_node_authz *na, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                             const char *field_selector, const char **reason, bool *decided)
{
    const char *dummy;
    if (!reason)
        reason = &dummy;
    *reason = "";
    if (decided)
        *decided = false;
    const char *node;
    if (!na || !a || !kapi_node_identity(a->user, &node))
        return false;
    if (!*node) {
        *reason = kapi_pool_printf(pool, "unknown node for user %s", quote(pool, a->user->name));
        return false;
    }
    bool ok;
    if (a->resource_request) {
        struct req q = {.na = na, .pool = pool, .node = node, .verb = s_or_empty(a->verb),
                        .sub = s_or_empty(a->subresource), .ns = s_or_empty(a->ns), .name = s_or_empty(a->name),
                        .reason = reason};
        if (field_selector && *field_selector) {
            const char *err = NULL;
            q.fields = kapi_field_selector_parse(pool, field_selector, strlen(field_selector), &err);
            const char *n;
            /* as upstream's request info: a list or watch of one object by name */
            if (q.fields && !*q.name && (strcmp(q.verb, "list") == 0 || strcmp(q.verb, "watch") == 0) &&
                kapi_field_selector_exact(q.fields, "metadata.name", &n))
                q.name = n;
        }
        const char *g = s_or_empty(a->group), *r = s_or_empty(a->resource);
        bool core = !*g, storage = strcmp(g, "storage.k8s.io") == 0, dra = strcmp(g, "resource.k8s.io") == 0;
        if (core && strcmp(r, "secrets") == 0)
            ok = read_namespaced(&q, T_SECRET);
        else if (core && strcmp(r, "configmaps") == 0)
            ok = read_namespaced(&q, T_CONFIGMAP);
        else if (core && strcmp(r, "persistentvolumeclaims") == 0)
            ok = strcmp(q.sub, "status") == 0 ? status_update(&q, T_PVC) : get_related(&q, T_PVC);
        else if (core && strcmp(r, "persistentvolumes") == 0)
            ok = get_related(&q, T_PV);
        else if (dra && strcmp(r, "resourceclaims") == 0)
            ok = get_related(&q, T_CLAIM);
        else if (storage && strcmp(r, "volumeattachments") == 0)
            ok = get_related(&q, T_VA);
        else if (core && strcmp(r, "serviceaccounts") == 0)
            ok = create_token(&q);
        else if (strcmp(g, "coordination.k8s.io") == 0 && strcmp(r, "leases") == 0)
            ok = lease(&q);
        else if (storage && strcmp(r, "csinodes") == 0)
            ok = csinode(&q);
        else if (dra && strcmp(r, "resourceslices") == 0)
            ok = resource_slice(&q);
        else if (core && strcmp(r, "nodes") == 0)
            ok = node_object(&q);
        else if (core && strcmp(r, "pods") == 0)
            ok = pod_object(&q);
        else
            ok = rules_allow(pool, a);
    } else {
        ok = rules_allow(pool, a);
    }
    if (ok) {
        *reason = "";
        if (decided)
            *decided = true;
    }
    return ok;
}

bool kapi_node_authorize(struct kapi_node_authz *na, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                         const char **reason, bool *decided)
{
    return kapi_node_authorize_sel(na, pool, a, NULL, reason, decided);
}
