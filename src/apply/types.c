/* apply/types: the type views the engine walks objects with. Built-in kinds
 * read the generated schema tables the way kube-apiserver's OpenAPI models
 * reach structured-merge-diff (kube-openapi's schemaconv): a list's
 * x-kubernetes-list-type wins, else patchStrategy "merge" makes it a map keyed
 * by its patchMergeKey (a set without one), else it is atomic; structs marked
 * +structType=atomic and maps marked +mapType=atomic are leaves; Time,
 * IntOrString, Quantity, Duration are scalars; RawExtension and JSON blobs
 * are untyped (deduced from the value). Custom resources read the compiled
 * structural schema (x-kubernetes-list-type, -list-map-keys, -map-type,
 * -preserve-unknown-fields, -embedded-resource, -int-or-string), with
 * apiVersion/kind/metadata typed as for built-ins at the root. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../apiext/schema.h"
#include "../registry/defaults.h"
#include "../schema/schema.h"
#include "ssa_int.h"

/* ------------------------------------------------------------------ */
/* built-in kinds                                                      */

enum { BT_MSG = 1, BT_LIST, BT_MAP, BT_SCALAR, BT_SLICE };
#define BT_MODE(aux) ((aux)&0x0f)
#define BT_ATOMIC 0x10
#define BT_GRANULAR 0x20
#define BT_ROOT 0x40 /* a kind: apiVersion and kind are its fields too */

/* Messages carrying +structType=atomic in v1.33. */
static const char *const atomic_structs[] = {
    "k8s.io.api.admissionregistration.v1.MatchResources",
    "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1.ParamKind",
    "k8s.io.api.admissionregistration.v1.ParamRef",
    "k8s.io.api.admissionregistration.v1.Variable",
    "k8s.io.api.admissionregistration.v1alpha1.MatchResources",
    "k8s.io.api.admissionregistration.v1alpha1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1alpha1.ParamKind",
    "k8s.io.api.admissionregistration.v1alpha1.ParamRef",
    "k8s.io.api.admissionregistration.v1beta1.MatchResources",
    "k8s.io.api.admissionregistration.v1beta1.NamedRuleWithOperations",
    "k8s.io.api.admissionregistration.v1beta1.ParamKind",
    "k8s.io.api.admissionregistration.v1beta1.ParamRef",
    "k8s.io.api.admissionregistration.v1beta1.Variable",
    "k8s.io.api.autoscaling.v1.CrossVersionObjectReference",
    "k8s.io.api.core.v1.ConfigMapKeySelector",
    "k8s.io.api.core.v1.EndpointAddress",
    "k8s.io.api.core.v1.EndpointPort",
    "k8s.io.api.core.v1.LocalObjectReference",
    "k8s.io.api.core.v1.NodeSelector",
    "k8s.io.api.core.v1.NodeSelectorTerm",
    "k8s.io.api.core.v1.ObjectFieldSelector",
    "k8s.io.api.core.v1.ObjectReference",
    "k8s.io.api.core.v1.ResourceFieldSelector",
    "k8s.io.api.core.v1.ScopeSelector",
    "k8s.io.api.core.v1.SecretKeySelector",
    "k8s.io.api.core.v1.SecretReference",
    "k8s.io.api.core.v1.TopologySelectorTerm",
    "k8s.io.api.core.v1.TypedLocalObjectReference",
    "k8s.io.api.discovery.v1.EndpointPort",
    "k8s.io.api.networking.v1.ServiceBackendPort",
    "k8s.io.api.rbac.v1.RoleRef",
    "k8s.io.api.rbac.v1.Subject",
    "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector",
    "k8s.io.apimachinery.pkg.apis.meta.v1.OwnerReference",
};

/* Fields carrying +mapType=atomic, and +structType=granular overrides. */
static const char *const atomic_maps[][2] = {
    {"k8s.io.api.apps.v1beta2.ScaleStatus", "selector"},
    {"k8s.io.api.core.v1.PodSpec", "nodeSelector"},
    {"k8s.io.api.core.v1.ReplicationControllerSpec", "selector"},
    {"k8s.io.api.core.v1.ServiceSpec", "selector"},
    {"k8s.io.api.extensions.v1beta1.ScaleStatus", "selector"},
    {"k8s.io.api.node.v1.Scheduling", "nodeSelector"},
    {"k8s.io.api.node.v1alpha1.Scheduling", "nodeSelector"},
    {"k8s.io.api.node.v1beta1.Scheduling", "nodeSelector"},
};
static const char *const granular_structs[][2] = {
    {"k8s.io.api.core.v1.PersistentVolumeSpec", "claimRef"},
};

static bool in_pairs(const char *const (*tab)[2], size_t n, const struct kapi_schema_msg *m, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (kapi_streq(tab[i][1], field) && strcmp(tab[i][0], m->full_name) == 0)
            return true;
    return false;
}

static const struct ssa_ops builtin_ops;

static struct kapi_ssa_type bt_make(const void *node, int aux)
{
    struct kapi_ssa_type t = {&builtin_ops, node, aux};
    return t;
}

static struct kapi_ssa_type bt_msg_type(const struct kapi_schema_msg *m, int flags)
{
    if (!m)
        return bt_make(NULL, BT_SCALAR);
    switch (m->special) {
    case KAPI_SCHEMA_TIME:
    case KAPI_SCHEMA_MICROTIME:
    case KAPI_SCHEMA_DURATION:
    case KAPI_SCHEMA_INTORSTRING:
    case KAPI_SCHEMA_QUANTITY:
        return bt_make(NULL, BT_SCALAR);
    case KAPI_SCHEMA_RAWEXT:
    case KAPI_SCHEMA_RAWJSON:
    case KAPI_SCHEMA_PROPS_OR_BOOL:
    case KAPI_SCHEMA_PROPS_OR_ARRAY:
    case KAPI_SCHEMA_PROPS_OR_STRARRAY:
        return ssa_untyped();
    default:
        break;
    }
    if (m->flags & KAPI_SCHEMA_M_SLICE)
        return bt_make(m, BT_SLICE);
    return bt_make(m, BT_MSG | flags);
}

/* The type of one value of field f (an item when f is repeated or a map). */
static struct kapi_ssa_type bt_value_type(const struct kapi_schema_field *f, int flags)
{
    if (f->kind == KAPI_PB_MESSAGE)
        return bt_msg_type(kapi_schema_field_msg(f), flags);
    return bt_make(NULL, BT_SCALAR);
}

static struct kapi_ssa_type bt_field_type(const struct kapi_schema_msg *owner, const struct kapi_schema_field *f)
{
    if (f->flags & KAPI_SCHEMA_F_MAP)
        return bt_make(f, BT_MAP | (in_pairs(atomic_maps, KAPI_ARRAY_LEN(atomic_maps), owner, f->name) ? BT_ATOMIC : 0));
    if (f->flags & KAPI_SCHEMA_F_REPEATED)
        return bt_make(f, BT_LIST);
    int flags = in_pairs(granular_structs, KAPI_ARRAY_LEN(granular_structs), owner, f->name) ? BT_GRANULAR : 0;
    return bt_value_type(f, flags);
}

static enum kapi_ssa_kind bt_kind(struct kapi_ssa_type t)
{
    switch (BT_MODE(t.aux)) {
    case BT_MSG:
        return KAPI_SSA_STRUCT;
    case BT_LIST:
    case BT_SLICE:
        return KAPI_SSA_LIST;
    case BT_MAP:
        return KAPI_SSA_MAP;
    default:
        return KAPI_SSA_SCALAR;
    }
}

static int bt_list_kind(struct kapi_ssa_type t)
{
    if (BT_MODE(t.aux) != BT_LIST)
        return 0;
    const struct kapi_schema_field *f = t.node;
    switch (f->list_type) {
    case KAPI_SCHEMA_LIST_ATOMIC:
        return 0;
    case KAPI_SCHEMA_LIST_SET:
        return 1;
    case KAPI_SCHEMA_LIST_MAP:
        return 2;
    default:
        break;
    }
    /* Legacy markers: patchStrategy merge (alone or with retainKeys). */
    if (f->patch_strategy & KAPI_SCHEMA_PATCH_MERGE)
        return f->patch_merge_key ? 2 : 1;
    return 0;
}

/* atomic_structs as one flag per generated message (index into
 * kapi_schema_msgs), built once: the walk asks for every struct it meets. */
static unsigned char *atomic_msg;
static pthread_once_t atomic_once = PTHREAD_ONCE_INIT;

static void atomic_init_flags(void)
{
    atomic_msg = calloc(kapi_schema_nmsgs ? kapi_schema_nmsgs : 1, 1);
    if (!atomic_msg)
        abort();
    for (size_t m = 0; m < kapi_schema_nmsgs; m++)
        for (size_t i = 0; i < KAPI_ARRAY_LEN(atomic_structs); i++)
            if (strcmp(atomic_structs[i], kapi_schema_msgs[m].full_name) == 0)
                atomic_msg[m] = 1;
}

static bool msg_is_atomic(const struct kapi_schema_msg *m)
{
    pthread_once(&atomic_once, atomic_init_flags);
    uintptr_t at = (uintptr_t)m, first = (uintptr_t)kapi_schema_msgs;
    if (at >= first && at < first + kapi_schema_nmsgs * sizeof(*m))
        return atomic_msg[(at - first) / sizeof(*m)];
    for (size_t k = 0; k < KAPI_ARRAY_LEN(atomic_structs); k++) /* not a generated message */
        if (strcmp(atomic_structs[k], m->full_name) == 0)
            return true;
    return false;
}

static bool bt_atomic(struct kapi_ssa_type t)
{
    switch (BT_MODE(t.aux)) {
    case BT_MSG: {
        if (t.aux & BT_ATOMIC)
            return true;
        if (t.aux & BT_GRANULAR)
            return false;
        return msg_is_atomic(t.node);
    }
    case BT_MAP:
        return (t.aux & BT_ATOMIC) != 0;
    case BT_LIST:
        return bt_list_kind(t) == 0;
    case BT_SLICE:
        return true;
    default:
        return true;
    }
}

static bool bt_field(struct kapi_ssa_type t, const char *name, size_t len, struct kapi_ssa_type *out)
{
    if (BT_MODE(t.aux) != BT_MSG)
        return false;
    const struct kapi_schema_msg *owner = NULL;
    const struct kapi_schema_field *f = kapi_schema_field_lookup(t.node, name, len, &owner);
    if (!f || (f->flags & KAPI_SCHEMA_F_INLINE) || !owner) {
        if ((t.aux & BT_ROOT) && ((len == 10 && memcmp(name, "apiVersion", 10) == 0) ||
                                  (len == 4 && memcmp(name, "kind", 4) == 0))) {
            *out = bt_make(NULL, BT_SCALAR);
            return true;
        }
        return false;
    }
    *out = bt_field_type(owner, f);
    return true;
}

static bool bt_elem(struct kapi_ssa_type t, struct kapi_ssa_type *out)
{
    switch (BT_MODE(t.aux)) {
    case BT_LIST:
    case BT_MAP:
        *out = bt_value_type(t.node, 0);
        return true;
    case BT_SLICE: {
        const struct kapi_schema_msg *m = t.node;
        if (m->nfields)
            *out = bt_value_type(kapi_schema_msg_field(m, 0), 0);
        else
            *out = bt_make(NULL, BT_SCALAR);
        return true;
    }
    default:
        return false;
    }
}

static size_t bt_list_keys(struct kapi_ssa_type t, const char **names, size_t max)
{
    if (BT_MODE(t.aux) != BT_LIST || bt_list_kind(t) != 2)
        return 0;
    const struct kapi_schema_field *f = t.node;
    if (f->list_map_keys && f->list_type == KAPI_SCHEMA_LIST_MAP) {
        /* comma-separated; names point into a static string, so copy by
         * returning pointers to static storage is not possible: use the
         * per-field cache below. */
        static _Thread_local char buf[512];
        size_t n = 0, bl = strlen(f->list_map_keys);
        if (bl >= sizeof(buf))
            bl = sizeof(buf) - 1;
        memcpy(buf, f->list_map_keys, bl);
        buf[bl] = 0;
        char *p = buf;
        while (*p && n < max) {
            names[n++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = 0;
            p = c + 1;
        }
        return n;
    }
    if (f->patch_merge_key && max > 0) {
        names[0] = f->patch_merge_key;
        return 1;
    }
    return 0;
}

static const struct kapi_value *bt_key_default(struct kapi_pool *pool, struct kapi_ssa_type list, const char *key)
{
    if (BT_MODE(list.aux) != BT_LIST || strcmp(key, "protocol") != 0)
        return NULL;
    const struct kapi_schema_msg *m = kapi_schema_field_msg(list.node);
    if (m && (strcmp(m->full_name, "k8s.io.api.core.v1.ContainerPort") == 0 ||
              strcmp(m->full_name, "k8s.io.api.core.v1.ServicePort") == 0))
        return kapi_value_str(pool, "TCP");
    return NULL;
}

static const struct ssa_ops builtin_ops = {
    .kind = bt_kind,
    .atomic = bt_atomic,
    .field = bt_field,
    .elem = bt_elem,
    .list_kind = bt_list_kind,
    .list_keys = bt_list_keys,
    .key_default = bt_key_default,
};

struct kapi_ssa_type kapi_ssa_type_builtin(const struct kapi_schema_msg *kind_msg)
{
    if (!kind_msg)
        return ssa_untyped();
    return bt_make(kind_msg, BT_MSG | BT_ROOT);
}

bool ssa_type_is_builtin(struct kapi_ssa_type t)
{
    return t.impl == &builtin_ops;
}

/* ------------------------------------------------------------------ */
/* custom resources                                                    */

#define CRD_ROOT 1
#define CRD_META 2 /* the root's apiVersion/kind/metadata are typed as built-ins */

static const struct ssa_ops crd_ops;

static struct kapi_ssa_type crd_make(const struct kapi_crd_schema *s, int aux)
{
    if (!s)
        return ssa_untyped();
    /* a schema without a type that keeps unknown fields is deduced */
    const char *ty = kapi_crd_schema_type(s);
    if (!(aux & CRD_ROOT) && !kapi_crd_schema_is_embedded(s) && !kapi_crd_schema_is_int_or_string(s) &&
        ty[0] == 0 && kapi_crd_schema_nprops(s) == 0 && !kapi_crd_schema_items(s))
        return ssa_untyped();
    struct kapi_ssa_type t = {&crd_ops, s, aux | (kapi_crd_schema_is_embedded(s) ? CRD_META : 0)};
    return t;
}

static enum kapi_ssa_kind crd_kind(struct kapi_ssa_type t)
{
    const struct kapi_crd_schema *s = t.node;
    if (t.aux & (CRD_ROOT | CRD_META))
        return KAPI_SSA_STRUCT;
    if (kapi_crd_schema_is_int_or_string(s))
        return KAPI_SSA_SCALAR;
    const char *ty = kapi_crd_schema_type(s);
    if (strcmp(ty, "array") == 0)
        return KAPI_SSA_LIST;
    if (strcmp(ty, "object") == 0 || (ty[0] == 0 && kapi_crd_schema_nprops(s)))
        return kapi_crd_schema_nprops(s) ? KAPI_SSA_STRUCT : KAPI_SSA_MAP;
    return KAPI_SSA_SCALAR;
}

static int crd_list_kind(struct kapi_ssa_type t)
{
    switch (kapi_crd_schema_list_type(t.node)) {
    case 2:
        return 1;
    case 3:
        return 2;
    default:
        return 0;
    }
}

static bool crd_atomic(struct kapi_ssa_type t)
{
    switch (crd_kind(t)) {
    case KAPI_SSA_LIST:
        return crd_list_kind(t) == 0;
    case KAPI_SSA_STRUCT:
    case KAPI_SSA_MAP:
        return kapi_crd_schema_map_type(t.node) == 2;
    default:
        return true;
    }
}

static bool crd_field(struct kapi_ssa_type t, const char *name, size_t len, struct kapi_ssa_type *out)
{
    if (t.aux & (CRD_ROOT | CRD_META)) {
        if ((len == 10 && memcmp(name, "apiVersion", 10) == 0) || (len == 4 && memcmp(name, "kind", 4) == 0)) {
            *out = bt_make(NULL, BT_SCALAR);
            return true;
        }
        if (len == 8 && memcmp(name, "metadata", 8) == 0) {
            static const struct kapi_schema_msg *om;
            if (!om)
                om = kapi_schema_msg_find("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
            *out = om ? bt_msg_type(om, 0) : ssa_untyped();
            return true;
        }
    }
    const struct kapi_crd_schema *p = kapi_crd_schema_prop(t.node, name, len);
    if (!p)
        return false;
    *out = crd_make(p, 0);
    return true;
}

static bool crd_elem(struct kapi_ssa_type t, struct kapi_ssa_type *out)
{
    const struct kapi_crd_schema *s = t.node;
    enum kapi_ssa_kind k = crd_kind(t);
    if (k == KAPI_SSA_LIST) {
        *out = crd_make(kapi_crd_schema_items(s), 0);
        return true;
    }
    if (k != KAPI_SSA_STRUCT && k != KAPI_SSA_MAP)
        return false;
    bool allowed;
    const struct kapi_crd_schema *ap = kapi_crd_schema_additional(s, &allowed);
    if (ap) {
        *out = crd_make(ap, 0);
        return true;
    }
    if (allowed || kapi_crd_schema_preserves_unknown(s) || k == KAPI_SSA_MAP) {
        *out = ssa_untyped();
        return true;
    }
    return false;
}

static size_t crd_list_keys(struct kapi_ssa_type t, const char **names, size_t max)
{
    if (crd_list_kind(t) != 2)
        return 0;
    const char *const *keys;
    size_t n = kapi_crd_schema_list_map_keys(t.node, &keys);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        names[i] = keys[i];
    return n;
}

static const struct kapi_value *crd_key_default(struct kapi_pool *pool, struct kapi_ssa_type list, const char *key)
{
    (void)pool;
    const struct kapi_crd_schema *it = kapi_crd_schema_items(list.node);
    const struct kapi_crd_schema *p = kapi_crd_schema_prop(it, key, strlen(key));
    const struct kapi_value *d = kapi_crd_schema_default_value(p);
    if (d && (d->type == KAPI_V_ARRAY || d->type == KAPI_V_OBJECT || d->type == KAPI_V_NULL))
        return NULL;
    return d;
}

static const struct ssa_ops crd_ops = {
    .kind = crd_kind,
    .atomic = crd_atomic,
    .field = crd_field,
    .elem = crd_elem,
    .list_kind = crd_list_kind,
    .list_keys = crd_list_keys,
    .key_default = crd_key_default,
};

struct kapi_ssa_type kapi_ssa_type_crd(const struct kapi_crd_schema *root)
{
    if (!root) {
        /* untyped custom resource: everything deduced, metadata still typed */
        static const struct kapi_crd_schema *any;
        if (!any)
            any = kapi_crd_schema_compile(NULL, NULL); /* preserve-unknown, leaked once */
        root = any;
    }
    struct kapi_ssa_type t = {&crd_ops, root, CRD_ROOT};
    return t;
}

/* ------------------------------------------------------------------ */
/* zero objects                                                        */

/* Value-struct fields (present as {} in Go's zero value) and slices/pointers
 * without omitempty (present as null) below a kind's root, for the kinds
 * whose creation is common. The root's metadata/spec/status are value
 * structs for every built-in kind. */
static const char *const zero_structs[][2] = {
    {"k8s.io.api.apps.v1.DeploymentSpec", "template"},
    {"k8s.io.api.apps.v1.DeploymentSpec", "strategy"},
    {"k8s.io.api.apps.v1.StatefulSetSpec", "template"},
    {"k8s.io.api.apps.v1.StatefulSetSpec", "updateStrategy"},
    {"k8s.io.api.apps.v1.DaemonSetSpec", "template"},
    {"k8s.io.api.apps.v1.DaemonSetSpec", "updateStrategy"},
    {"k8s.io.api.apps.v1.ReplicaSetSpec", "template"},
    {"k8s.io.api.core.v1.PodTemplateSpec", "metadata"},
    {"k8s.io.api.core.v1.PodTemplateSpec", "spec"},
    {"k8s.io.api.core.v1.PodTemplate", "template"},
    {"k8s.io.api.batch.v1.JobSpec", "template"},
    {"k8s.io.api.batch.v1.CronJobSpec", "jobTemplate"},
    {"k8s.io.api.batch.v1.JobTemplateSpec", "metadata"},
    {"k8s.io.api.batch.v1.JobTemplateSpec", "spec"},
    {"k8s.io.api.core.v1.ServiceStatus", "loadBalancer"},
    {"k8s.io.api.networking.v1.IngressStatus", "loadBalancer"},
    {"k8s.io.api.core.v1.NodeStatus", "daemonEndpoints"},
    {"k8s.io.api.core.v1.NodeStatus", "nodeInfo"},
    {"k8s.io.api.core.v1.NodeDaemonEndpoints", "kubeletEndpoint"},
    {"k8s.io.api.core.v1.PersistentVolumeClaimSpec", "resources"},
    {"k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec", "scaleTargetRef"},
    {"k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerSpec", "scaleTargetRef"},
};
static const char *const zero_nulls[][2] = {
    {"k8s.io.api.core.v1.PodSpec", "containers"},
    {"k8s.io.api.apps.v1.DeploymentSpec", "selector"},
    {"k8s.io.api.apps.v1.ReplicaSetSpec", "selector"},
    {"k8s.io.api.apps.v1.DaemonSetSpec", "selector"},
    {"k8s.io.api.apps.v1.StatefulSetSpec", "selector"},
};

static struct kapi_value *zero_msg(struct kapi_pool *pool, const struct kapi_schema_msg *m, bool root, int depth)
{
    struct kapi_value *o = kapi_value_object(pool);
    if (depth > 8)
        return o;
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, i);
        if (f->flags & KAPI_SCHEMA_F_INLINE)
            continue;
        if (in_pairs(zero_nulls, KAPI_ARRAY_LEN(zero_nulls), m, f->name)) {
            kapi_obj_set(pool, o, f->name, kapi_value_null(pool));
            continue;
        }
        bool is_struct = f->kind == KAPI_PB_MESSAGE && !(f->flags & (KAPI_SCHEMA_F_REPEATED | KAPI_SCHEMA_F_MAP));
        if (!is_struct)
            continue;
        const struct kapi_schema_msg *fm = kapi_schema_field_msg(f);
        if (!fm || fm->special != KAPI_SCHEMA_PLAIN)
            continue;
        bool rootish = root && (strcmp(f->name, "metadata") == 0 || strcmp(f->name, "spec") == 0 ||
                                strcmp(f->name, "status") == 0);
        if (rootish || in_pairs(zero_structs, KAPI_ARRAY_LEN(zero_structs), m, f->name))
            kapi_obj_set(pool, o, f->name, zero_msg(pool, fm, false, depth + 1));
    }
    return o;
}

struct kapi_value *ssa_zero_object(struct kapi_pool *pool, struct kapi_ssa_type t)
{
    if (ssa_type_is_builtin(t) && BT_MODE(t.aux) == BT_MSG && t.node) {
        struct kapi_value *o = zero_msg(pool, t.node, true, 0);
        /* and the zero members Go's encoder writes inside them (Node
         * status.nodeInfo's strings, a template's creationTimestamp: null):
         * present on both sides of a create, so nobody owns them */
        kapi_dflt_go_zero_msg(pool, ((const struct kapi_schema_msg *)t.node)->full_name, o);
        return o;
    }
    return kapi_value_object(pool);
}

/* Zero objects of built-in kinds, built once per message in a pool kept
 * for the process and never changed afterwards. */
static pthread_mutex_t zero_mu = PTHREAD_MUTEX_INITIALIZER;
static struct kapi_pool *zero_pool;
static const struct kapi_value **zero_cache; /* by message index */

const struct kapi_value *ssa_zero_object_shared(struct kapi_pool *pool, struct kapi_ssa_type t)
{
    if (!ssa_type_is_builtin(t) || BT_MODE(t.aux) != BT_MSG || !t.node)
        return ssa_zero_object(pool, t);
    uintptr_t at = (uintptr_t)t.node, first = (uintptr_t)kapi_schema_msgs;
    if (at < first || at >= first + kapi_schema_nmsgs * sizeof(struct kapi_schema_msg))
        return ssa_zero_object(pool, t);
    size_t i = (at - first) / sizeof(struct kapi_schema_msg);
    pthread_mutex_lock(&zero_mu);
    if (!zero_cache) {
        zero_pool = kapi_pool_new();
        zero_cache = kapi_pool_calloc(zero_pool, kapi_schema_nmsgs * sizeof(*zero_cache));
    }
    if (!zero_cache[i])
        zero_cache[i] = ssa_zero_object(zero_pool, t);
    const struct kapi_value *z = zero_cache[i];
    pthread_mutex_unlock(&zero_mu);
    return z;
}

void ssa_drop_nulls(struct kapi_ssa_type t, struct kapi_value *v, int depth)
{
    if (!v || depth > SSA_MAX_DEPTH || !ssa_type_is_builtin(t))
        return;
    switch (BT_MODE(t.aux)) {
    case BT_MSG:
        if (v->type != KAPI_V_OBJECT)
            return;
        for (size_t i = 0; i < v->u.obj.len;) {
            struct kapi_member *m = &v->u.obj.members[i];
            if (m->val->type == KAPI_V_NULL) {
                memmove(m, m + 1, (v->u.obj.len - i - 1) * sizeof(*m));
                v->u.obj.len--;
                continue;
            }
            struct kapi_ssa_type ct;
            if (bt_field(t, m->key, m->klen, &ct))
                ssa_drop_nulls(ct, m->val, depth + 1);
            i++;
        }
        return;
    case BT_LIST:
    case BT_MAP: {
        struct kapi_ssa_type et;
        if (!bt_elem(t, &et))
            return;
        if (v->type == KAPI_V_ARRAY)
            for (size_t i = 0; i < v->u.arr.len; i++)
                ssa_drop_nulls(et, v->u.arr.items[i], depth + 1);
        else if (v->type == KAPI_V_OBJECT)
            for (size_t i = 0; i < v->u.obj.len; i++)
                ssa_drop_nulls(et, v->u.obj.members[i].val, depth + 1);
        return;
    }
    default:
        return;
    }
}
