/* NodeRestriction (plugin/pkg/admission/noderestriction): what a kubelet
 * (user "system:node:<name>" in group "system:nodes") may write. The Node
 * authorizer lets kubelets create and update nodes, update pod status,
 * create mirror pods, leases and CSINodes without knowing the object; this
 * plugin checks that the object is the node's own: its Node (and only
 * labels kubelets may set, no taint changes), pods bound to it (mirror pods
 * owned by the node and referencing nothing), status of those pods and of
 * PVCs, its lease and CSINode, and tokens bound to its pods. Other users
 * pass untouched. Upstream implements it as a mutating plugin (Admit), so it
 * runs in the mutating phase here too. */
#include <stdlib.h>
#include <string.h>

#include "../auth/node_authz.h"
#include "admission.h"

#define MIRROR_ANNOTATION "kubernetes.io/config.mirror"
#define NODE_LEASE_NS "kube-node-lease"
#define NODE_RESTRICTION_NS "node-restriction.kubernetes.io"

/* Go's %q for the plain strings of these messages. */
static const char *q(struct kapi_pool *pool, const char *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '"');
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
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

static int deny(const struct kapi_admission_attrs *at, struct kapi_status **status, const char *msg)
{
    *status = kapi_adm_forbidden(at, msg);
    return -1;
}

static bool op(const struct kapi_admission_attrs *at, const char *name)
{
    return strcmp(at->operation, name) == 0;
}

static const char *str_at(const struct kapi_value *v, const char *a, const char *b)
{
    return kapi_value_cstr(kapi_value_path(v, a, b, NULL));
}

static bool same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static size_t arr_len(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_ARRAY ? v->u.arr.len : 0;
}

/* Absent, null, [] and {} are all "empty" to upstream's semantic equality. */
static bool empty(const struct kapi_value *v)
{
    return !v || v->type == KAPI_V_NULL || (v->type == KAPI_V_ARRAY && v->u.arr.len == 0) ||
           (v->type == KAPI_V_OBJECT && v->u.obj.len == 0);
}

static bool sem_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    if (empty(a) || empty(b))
        return empty(a) && empty(b);
    return kapi_value_equal(a, b);
}

/* A stored pod ns/name; NULL with *status = 404 `pod "x" not found` (the
 * lister's wording) when it does not exist. */
static struct kapi_value *existing_pod(const struct kapi_admission_attrs *at, const char *name,
                                       struct kapi_status **status)
{
    struct kapi_value *pod = kapi_adm_get(at, "", "v1", "pods", at->ns, name, true);
    if (!pod)
        *status = kapi_status_not_found(at->pool, "", "pod", name);
    return pod;
}

/* ---- pods ---- */

static int pod_create(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    struct kapi_pool *p = at->pool;
    const struct kapi_value *pod = at->obj;
    const char *qn = q(p, node);
    if (!kapi_value_path(pod, "metadata", "annotations", MIRROR_ANNOTATION, NULL))
        return deny(at, status,
                    kapi_pool_printf(p, "pod does not have %s annotation, node %s can only create mirror pods",
                                     q(p, MIRROR_ANNOTATION), qn));
    if (!same(str_at(pod, "spec", "nodeName"), node))
        return deny(at, status, kapi_pool_printf(p, "node %s can only create pods with spec.nodeName set to itself", qn));
    const struct kapi_value *owners = kapi_value_path(pod, "metadata", "ownerReferences", NULL);
    size_t nown = arr_len(owners);
    if (nown > 1)
        return deny(at, status,
                    kapi_pool_printf(p, "node %s can only create pods with a single owner reference set to itself", qn));
    if (nown == 0)
        return deny(at, status, kapi_pool_printf(p, "node %s can only create pods with an owner reference set to itself", qn));
    const struct kapi_value *owner = owners->u.arr.items[0];
    if (!same(kapi_obj_get_str(owner, "apiVersion"), "v1") || !same(kapi_obj_get_str(owner, "kind"), "Node") ||
        !same(kapi_obj_get_str(owner, "name"), node))
        return deny(at, status, kapi_pool_printf(p, "node %s can only create pods with an owner reference set to itself", qn));
    const struct kapi_value *ctl = kapi_obj_get(owner, "controller");
    if (!ctl || ctl->type != KAPI_V_BOOL || !ctl->u.b)
        return deny(at, status,
                    kapi_pool_printf(p, "node %s can only create pods with a controller owner reference set to itself", qn));
    const struct kapi_value *bod = kapi_obj_get(owner, "blockOwnerDeletion");
    if (bod && bod->type == KAPI_V_BOOL && bod->u.b)
        return deny(at, status, kapi_pool_printf(p, "node %s must not set blockOwnerDeletion on an owner reference", qn));
    struct kapi_value *n = kapi_adm_get(at, "", "v1", "nodes", "", node, true);
    if (!n) {
        *status = kapi_status_not_found(p, "", "node", node);
        return -1;
    }
    const char *want = str_at(n, "metadata", "uid"), *got = kapi_obj_get_str(owner, "uid");
    if (!same(want, got))
        return deny(at, status, kapi_pool_printf(p, "node %s UID mismatch: expected %s got %s", node, got ? got : "",
                                                 want ? want : ""));
    const char *sa = str_at(pod, "spec", "serviceAccountName");
    if (sa && *sa)
        return deny(at, status, kapi_pool_printf(p, "node %s can not create pods that reference a service account", qn));
    if (kapi_pod_names_secret(pod))
        return deny(at, status, kapi_pool_printf(p, "node %s can not create pods that reference secrets", qn));
    if (kapi_pod_names_configmap(pod))
        return deny(at, status, kapi_pool_printf(p, "node %s can not create pods that reference configmaps", qn));
    const struct kapi_value *vols = kapi_value_path(pod, "spec", "volumes", NULL);
    for (size_t i = 0; i < arr_len(vols); i++) {
        const struct kapi_value *srcs = kapi_value_path(vols->u.arr.items[i], "projected", "sources", NULL);
        for (size_t j = 0; j < arr_len(srcs); j++)
            if (kapi_obj_get(srcs->u.arr.items[j], "clusterTrustBundle"))
                return deny(at, status,
                            kapi_pool_printf(p, "node %s can not create pods that reference clustertrustbundles", qn));
    }
    for (size_t i = 0; i < arr_len(vols); i++)
        if (kapi_obj_get(vols->u.arr.items[i], "persistentVolumeClaim"))
            return deny(at, status,
                        kapi_pool_printf(p, "node %s can not create pods that reference persistentvolumeclaims", qn));
    return 0;
}

/* status.resourceClaimStatuses compared entry by entry (name, claim name). */
static bool claim_statuses_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    const struct kapi_value *x = kapi_value_path(a, "status", "resourceClaimStatuses", NULL);
    const struct kapi_value *y = kapi_value_path(b, "status", "resourceClaimStatuses", NULL);
    if (arr_len(x) != arr_len(y))
        return false;
    for (size_t i = 0; i < arr_len(x); i++) {
        const struct kapi_value *ex = x->u.arr.items[i], *ey = y->u.arr.items[i];
        if (!same(kapi_obj_get_str(ex, "name"), kapi_obj_get_str(ey, "name")))
            return false;
        const char *cx = kapi_obj_get_str(ex, "resourceClaimName"), *cy = kapi_obj_get_str(ey, "resourceClaimName");
        if ((cx == NULL) != (cy == NULL) || (cx && strcmp(cx, cy) != 0))
            return false;
    }
    return true;
}

static int pods(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    struct kapi_pool *p = at->pool;
    const char *qn = q(p, node);
    const char *sub = at->subresource;
    if (!*sub) {
        if (op(at, "CREATE"))
            return pod_create(at, node, status);
        if (op(at, "DELETE")) {
            const struct kapi_value *pod = at->old ? at->old : existing_pod(at, at->name, status);
            if (!pod)
                return -1;
            if (!same(str_at(pod, "spec", "nodeName"), node))
                return deny(at, status,
                            kapi_pool_printf(p, "node %s can only delete pods with spec.nodeName set to itself", qn));
            return 0;
        }
        return deny(at, status, kapi_pool_printf(p, "unexpected operation %s, node %s can only create and delete mirror pods",
                                                 q(p, at->operation), qn));
    }
    if (strcmp(sub, "status") == 0) {
        if (!op(at, "UPDATE") || !at->old)
            return deny(at, status, kapi_pool_printf(p, "unexpected operation %s", q(p, at->operation)));
        if (!same(str_at(at->old, "spec", "nodeName"), node))
            return deny(at, status,
                        kapi_pool_printf(p, "node %s can only update pod status for pods with spec.nodeName set to itself",
                                         qn));
        if (!sem_equal(kapi_value_path(at->old, "metadata", "labels", NULL),
                       kapi_value_path(at->obj, "metadata", "labels", NULL)))
            return deny(at, status, kapi_pool_printf(p, "node %s cannot update labels through pod status", qn));
        if (!claim_statuses_equal(at->old, at->obj))
            return deny(at, status, kapi_pool_printf(p, "node %s cannot update resource claim statues", qn));
        return 0;
    }
    if (strcmp(sub, "eviction") == 0) {
        if (!op(at, "CREATE"))
            return deny(at, status, kapi_pool_printf(p, "unexpected operation %s", at->operation));
        /* the Eviction is named after its pod */
        const char *pod_name = at->name;
        if (!pod_name || !*pod_name)
            return deny(at, status, "could not determine pod from request data");
        const struct kapi_value *pod = existing_pod(at, pod_name, status);
        if (!pod)
            return -1;
        if (!same(str_at(pod, "spec", "nodeName"), node))
            return deny(at, status,
                        kapi_pool_printf(p, "node %s can only evict pods with spec.nodeName set to itself", node));
        return 0;
    }
    return deny(at, status, kapi_pool_printf(p, "unexpected pod subresource %s, only 'status' and 'eviction' are allowed",
                                             q(p, sub)));
}

/* ---- nodes ---- */

static const char *label_domain(struct kapi_pool *pool, const char *key)
{
    const char *slash = strchr(key, '/');
    return slash ? kapi_pool_strndup(pool, key, (size_t)(slash - key)) : "";
}

static bool domain_is(const char *dom, const char *want)
{
    size_t n = strlen(dom), w = strlen(want);
    return strcmp(dom, want) == 0 || (n > w && dom[n - w - 1] == '.' && strcmp(dom + n - w, want) == 0);
}

/* kubelet's own labels (k8s.io/kubelet/pkg/apis well-known labels). */
static bool kubelet_label(struct kapi_pool *pool, const char *key)
{
    static const char *const keys[] = {
        "kubernetes.io/hostname",          "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",   "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region", "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type", "kubernetes.io/os",
        "kubernetes.io/arch",              "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keys); i++)
        if (strcmp(keys[i], key) == 0)
            return true;
    const char *dom = label_domain(pool, key);
    return domain_is(dom, "kubelet.kubernetes.io") || domain_is(dom, "node.kubernetes.io");
}

static bool forbidden_label(struct kapi_pool *pool, const char *key)
{
    const char *dom = label_domain(pool, key);
    if (domain_is(dom, NODE_RESTRICTION_NS))
        return true;
    bool k8s = domain_is(dom, "kubernetes.io") || domain_is(dom, "k8s.io");
    return k8s && !kubelet_label(pool, key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted, comma-joined keys changed between labels a and b (either may
 * be NULL) that a node may not touch; NULL when none. */
static const char *forbidden_changes(struct kapi_pool *pool, const struct kapi_value *a, const struct kapi_value *b)
{
    size_t na = a && a->type == KAPI_V_OBJECT ? a->u.obj.len : 0, nb = b && b->type == KAPI_V_OBJECT ? b->u.obj.len : 0;
    const char **keys = kapi_pool_alloc(pool, (na + nb + 1) * sizeof(*keys));
    size_t n = 0;
    for (int side = 0; side < 2; side++) {
        const struct kapi_value *x = side ? b : a, *y = side ? a : b;
        size_t nx = side ? nb : na;
        for (size_t i = 0; i < nx; i++) {
            const char *k = x->u.obj.members[i].key;
            const struct kapi_value *other = kapi_obj_get(y, k);
            bool changed = !other || !kapi_value_equal(other, x->u.obj.members[i].val);
            if (changed && forbidden_label(pool, k))
                keys[n++] = k;
        }
    }
    if (!n)
        return NULL;
    qsort(keys, n, sizeof(*keys), cmp_str);
    struct kapi_buf buf;
    kapi_buf_init(&buf, 0);
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(keys[i], keys[i - 1]) == 0)
            continue;
        kapi_buf_printf(&buf, "%s%s", buf.len ? ", " : "", keys[i]);
    }
    const char *out = kapi_pool_strndup(pool, buf.data, buf.len);
    kapi_buf_dispose(&buf);
    return out;
}

static int nodes(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    struct kapi_pool *p = at->pool;
    const char *qn = q(p, node);
    if (strcmp(at->name, node) != 0)
        return deny(at, status, kapi_pool_printf(p, "node %s is not allowed to modify node %s", qn, q(p, at->name)));
    const struct kapi_value *labels = kapi_value_path(at->obj, "metadata", "labels", NULL);
    if (op(at, "CREATE")) {
        if (!empty(kapi_value_path(at->obj, "spec", "configSource", NULL)))
            return deny(at, status,
                        kapi_pool_printf(p, "node %s is not allowed to create pods with a non-nil configSource", qn));
        const char *bad = forbidden_changes(p, labels, NULL);
        if (bad)
            return deny(at, status, kapi_pool_printf(p, "node %s is not allowed to set the following labels: %s", qn, bad));
    } else if (op(at, "UPDATE") && at->old) {
        const struct kapi_value *cs = kapi_value_path(at->obj, "spec", "configSource", NULL);
        if (!empty(cs) && !sem_equal(cs, kapi_value_path(at->old, "spec", "configSource", NULL)))
            return deny(at, status,
                        kapi_pool_printf(p, "node %s is not allowed to update configSource to a new non-nil configSource",
                                         qn));
        if (!sem_equal(kapi_value_path(at->obj, "spec", "taints", NULL), kapi_value_path(at->old, "spec", "taints", NULL)))
            return deny(at, status, kapi_pool_printf(p, "node %s is not allowed to modify taints", qn));
        const char *bad = forbidden_changes(p, labels, kapi_value_path(at->old, "metadata", "labels", NULL));
        if (bad)
            return deny(at, status, kapi_pool_printf(p, "is not allowed to modify labels: %s", bad));
    }
    return 0;
}

/* ---- PVC status ---- */

static struct kapi_value *pvc_for_compare(struct kapi_pool *pool, const struct kapi_value *pvc)
{
    struct kapi_value *c = kapi_value_clone(pool, pvc);
    struct kapi_value *md = kapi_obj_get(c, "metadata"), *st = kapi_obj_get(c, "status");
    kapi_obj_del(md, "resourceVersion");
    kapi_obj_del(md, "managedFields");
    static const char *const ignored[] = {"capacity", "conditions", "allocatedResourceStatuses",
                                          "allocatedResources"}; /* RecoverVolumeExpansionFailure is on in 1.33 */
    for (size_t i = 0; st && i < KAPI_ARRAY_LEN(ignored); i++)
        kapi_obj_del(st, ignored[i]);
    return c;
}

/* Top-level paths (metadata.x, spec, status.x) that differ, for the message. */
static const char *pvc_diff(struct kapi_pool *pool, const struct kapi_value *a, const struct kapi_value *b)
{
    struct kapi_buf buf;
    kapi_buf_init(&buf, 0);
    static const char *const parts[] = {"metadata", "spec", "status"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(parts); i++) {
        const struct kapi_value *x = kapi_obj_get(a, parts[i]), *y = kapi_obj_get(b, parts[i]);
        if (sem_equal(x, y))
            continue;
        bool listed = false;
        for (int side = 0; side < 2 && x && y && x->type == KAPI_V_OBJECT && y->type == KAPI_V_OBJECT; side++) {
            const struct kapi_value *u = side ? y : x, *v = side ? x : y;
            for (size_t k = 0; k < u->u.obj.len; k++) {
                const char *key = u->u.obj.members[k].key;
                if (side && kapi_obj_get(v, key))
                    continue; /* already compared from the other side */
                if (!sem_equal(u->u.obj.members[k].val, kapi_obj_get(v, key))) {
                    kapi_buf_printf(&buf, "%s%s.%s", buf.len ? ", " : "", parts[i], key);
                    listed = true;
                }
            }
        }
        if (!listed)
            kapi_buf_printf(&buf, "%s%s", buf.len ? ", " : "", parts[i]);
    }
    const char *out = kapi_pool_strndup(pool, buf.data, buf.len);
    kapi_buf_dispose(&buf);
    return out;
}

static int pvc_status(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    struct kapi_pool *p = at->pool;
    if (!op(at, "UPDATE") || !at->old)
        return deny(at, status, kapi_pool_printf(p, "unexpected operation %s", q(p, at->operation)));
    struct kapi_value *o = pvc_for_compare(p, at->old), *n = pvc_for_compare(p, at->obj);
    if (!kapi_value_equal(o, n))
        return deny(at, status,
                    kapi_pool_printf(p, "node %s is not allowed to update fields other than status.capacity and "
                                        "status.conditions: %s",
                                     q(p, node), pvc_diff(p, o, n)));
    return 0;
}

/* ---- service-account tokens, leases, CSINodes ---- */

static int token_request(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    if (!op(at, "CREATE") || strcmp(at->subresource, "token") != 0)
        return 0;
    const struct kapi_value *ref = kapi_value_path(at->obj, "spec", "boundObjectRef", NULL);
    const char *name = kapi_obj_get_str(ref, "name");
    if (!ref || ref->type != KAPI_V_OBJECT || !same(kapi_obj_get_str(ref, "apiVersion"), "v1") ||
        !same(kapi_obj_get_str(ref, "kind"), "Pod") || !name || !*name)
        return deny(at, status, "node requested token not bound to a pod");
    const char *uid = kapi_obj_get_str(ref, "uid");
    if (!uid || !*uid)
        return deny(at, status, "node requested token with a pod binding without a uid");
    const struct kapi_value *pod = existing_pod(at, name, status);
    if (!pod)
        return -1;
    if (!same(uid, str_at(pod, "metadata", "uid")))
        return deny(at, status,
                    kapi_pool_printf(at->pool,
                                     "the UID in the bound object reference (%s) does not match the UID in record. The "
                                     "object might have been deleted and then recreated",
                                     uid));
    if (!same(str_at(pod, "spec", "nodeName"), node))
        return deny(at, status, "node requested token bound to a pod scheduled on a different node");
    return 0;
}

static int leases(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    if (strcmp(at->ns, NODE_LEASE_NS) != 0)
        return deny(at, status, "can only access leases in the \"" NODE_LEASE_NS "\" system namespace");
    if (strcmp(at->name, node) != 0)
        return deny(at, status, "can only access node lease with the same name as the requesting node");
    return 0;
}

static int csinodes(const struct kapi_admission_attrs *at, const char *node, struct kapi_status **status)
{
    if (strcmp(at->name, node) != 0)
        return deny(at, status, "can only access CSINode with the same name as the requesting node");
    return 0;
}

int kapi_adm_noderestriction_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    const char *node;
    if (!kapi_node_identity(at->user, &node))
        return 0; /* only kubelets are restricted */
    if (!op(at, "CREATE") && !op(at, "UPDATE") && !op(at, "DELETE"))
        return 0;
    if (!*node)
        return deny(at, status, kapi_pool_printf(at->pool, "could not determine node from user %s", q(at->pool, at->user->name)));
    const char *g = at->group, *r = at->resource;
    if (!*g && strcmp(r, "pods") == 0)
        return pods(at, node, status);
    if (!*g && strcmp(r, "nodes") == 0)
        return nodes(at, node, status);
    if (!*g && strcmp(r, "persistentvolumeclaims") == 0) {
        if (strcmp(at->subresource, "status") == 0)
            return pvc_status(at, node, status);
        return deny(at, status, "may only update PVC status");
    }
    if (!*g && strcmp(r, "serviceaccounts") == 0)
        return token_request(at, node, status);
    if (strcmp(g, "coordination.k8s.io") == 0 && strcmp(r, "leases") == 0)
        return leases(at, node, status);
    if (strcmp(g, "storage.k8s.io") == 0 && strcmp(r, "csinodes") == 0)
        return csinodes(at, node, status);
    return 0;
}
