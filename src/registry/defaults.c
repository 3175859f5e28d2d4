/* registry/defaults: shared helpers, dispatch by group and the create-time
 * strategy fields. The per-group defaults live in registry/defaults/. */
#include "defaults.h"

#include <string.h>

#include "defaults/defaults_int.h"
#include "../schema/schema.h"
#include "objectmeta.h"

struct kapi_value *kapi_dflt_obj(const struct kapi_value *obj, const char *key)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return NULL;
    struct kapi_value *v = kapi_obj_get(obj, key);
    return v && v->type == KAPI_V_OBJECT ? v : NULL;
}

struct kapi_value *kapi_dflt_arr(const struct kapi_value *obj, const char *key)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return NULL;
    struct kapi_value *v = kapi_obj_get(obj, key);
    return v && v->type == KAPI_V_ARRAY ? v : NULL;
}

bool kapi_dflt_unset(const struct kapi_value *obj, const char *key)
{
    struct kapi_value *v = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, key) : NULL;
    return !v || v->type == KAPI_V_NULL;
}

bool kapi_dflt_zero(const struct kapi_value *obj, const char *key)
{
    struct kapi_value *v = obj && obj->type == KAPI_V_OBJECT ? kapi_obj_get(obj, key) : NULL;
    if (!v)
        return true;
    switch (v->type) {
    case KAPI_V_NULL: return true;
    case KAPI_V_BOOL: return !v->u.b;
    case KAPI_V_INT: return v->u.i == 0;
    case KAPI_V_FLOAT: return v->u.f == 0;
    case KAPI_V_STRING: return v->u.str.len == 0;
    case KAPI_V_ARRAY: return v->u.arr.len == 0;
    case KAPI_V_OBJECT: return v->u.obj.len == 0;
    }
    return false;
}

/* Position of name in m's JSON field order, seeing through inline (embedded)
 * messages as the JSON encoder does; -1 when m has no such field. */
static int field_rank(const struct kapi_schema_msg *m, const char *name, size_t len, int *counter)
{
    for (size_t i = 0; i < m->nfields; i++) {
        const struct kapi_schema_field *f = kapi_schema_msg_field(m, i);
        if (f->flags & KAPI_SCHEMA_F_INLINE) {
            const struct kapi_schema_msg *sub = kapi_schema_field_msg(f);
            if (sub) {
                int r = field_rank(sub, name, len, counter);
                if (r >= 0)
                    return r;
            }
            continue;
        }
        if (f->name_len == len && memcmp(f->name, name, len) == 0)
            return *counter;
        (*counter)++;
    }
    return -1;
}

static int rank_of(const struct kapi_schema_msg *m, const char *name, size_t len)
{
    int counter = 0;
    return m ? field_rank(m, name, len, &counter) : -1;
}

static void insert_at(struct kapi_pool *pool, struct kapi_value *obj, size_t at, const char *key,
                      struct kapi_value *val)
{
    if (obj->u.obj.len == obj->u.obj.cap) {
        size_t cap = obj->u.obj.cap ? obj->u.obj.cap * 2 : 8;
        struct kapi_member *nm = kapi_pool_alloc(pool, cap * sizeof(*nm));
        if (obj->u.obj.len)
            memcpy(nm, obj->u.obj.members, obj->u.obj.len * sizeof(*nm));
        obj->u.obj.members = nm;
        obj->u.obj.cap = cap;
    }
    struct kapi_member *ms = obj->u.obj.members;
    memmove(&ms[at + 1], &ms[at], (obj->u.obj.len - at) * sizeof(*ms));
    obj->u.obj.len++;
    ms[at].klen = strlen(key);
    ms[at].key = kapi_pool_strndup(pool, key, ms[at].klen);
    ms[at].val = val;
}

void kapi_dflt_put(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, struct kapi_value *val)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    if (kapi_obj_get(obj, key)) {
        kapi_obj_set(pool, obj, key, val);
        return;
    }
    const struct kapi_schema_msg *m = kapi_schema_msg_find(type);
    int want = rank_of(m, key, strlen(key));
    size_t at = obj->u.obj.len;
    if (want >= 0) {
        for (size_t i = 0; i < obj->u.obj.len; i++) {
            const struct kapi_member *mb = &obj->u.obj.members[i];
            if (rank_of(m, mb->key, mb->klen) > want) {
                at = i;
                break;
            }
        }
    }
    insert_at(pool, obj, at, key, val);
}

void kapi_dflt_str(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, const char *s)
{
    if (obj && obj->type == KAPI_V_OBJECT && kapi_dflt_zero(obj, key))
        kapi_dflt_put(pool, obj, type, key, kapi_value_str(pool, s));
}

void kapi_dflt_int(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                   const char *key, int64_t n)
{
    if (obj && obj->type == KAPI_V_OBJECT && kapi_dflt_unset(obj, key))
        kapi_dflt_put(pool, obj, type, key, kapi_value_int(pool, n));
}

void kapi_dflt_bool(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, bool b)
{
    if (obj && obj->type == KAPI_V_OBJECT && kapi_dflt_unset(obj, key))
        kapi_dflt_put(pool, obj, type, key, kapi_value_bool(pool, b));
}

void kapi_dflt_pstr(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, const char *s)
{
    if (obj && obj->type == KAPI_V_OBJECT && kapi_dflt_unset(obj, key))
        kapi_dflt_put(pool, obj, type, key, kapi_value_str(pool, s));
}

void kapi_dflt_int0(struct kapi_pool *pool, struct kapi_value *obj, const char *type,
                    const char *key, int64_t n)
{
    if (obj && obj->type == KAPI_V_OBJECT && kapi_dflt_zero(obj, key))
        kapi_dflt_put(pool, obj, type, key, kapi_value_int(pool, n));
}

struct kapi_value *kapi_dflt_ensure(struct kapi_pool *pool, struct kapi_value *obj,
                                    const char *type, const char *key)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return NULL;
    struct kapi_value *v = kapi_obj_get(obj, key);
    if (v && v->type == KAPI_V_OBJECT)
        return v;
    if (v && v->type != KAPI_V_NULL)
        return NULL; /* wrong type: validation's business, not ours */
    v = kapi_value_object(pool);
    kapi_dflt_put(pool, obj, type, key, v);
    return v;
}

void kapi_dflt_map_add(struct kapi_pool *pool, struct kapi_value *map, const char *key,
                       struct kapi_value *val)
{
    if (!map || map->type != KAPI_V_OBJECT || kapi_obj_get(map, key))
        return;
    size_t kl = strlen(key), at = map->u.obj.len;
    for (size_t i = 0; i < map->u.obj.len; i++) {
        const struct kapi_member *mb = &map->u.obj.members[i];
        size_t n = mb->klen < kl ? mb->klen : kl;
        int c = memcmp(mb->key, key, n);
        if (c > 0 || (c == 0 && mb->klen > kl)) {
            at = i;
            break;
        }
    }
    insert_at(pool, map, at, key, val);
}

void kapi_defaults_apply(struct kapi_pool *pool, const char *group, const char *version,
                         const char *kind, struct kapi_value *obj)
{
    if (!obj || obj->type != KAPI_V_OBJECT || !group || !version || !kind)
        return;
    if (group[0] == '\0') {
        if (kapi_streq(version, "v1"))
            kapi_dflt_core(pool, kind, obj);
    } else if (kapi_streq(group, "apps")) {
        if (kapi_streq(version, "v1"))
            kapi_dflt_apps(pool, kind, obj);
    } else if (kapi_streq(group, "batch")) {
        if (kapi_streq(version, "v1"))
            kapi_dflt_batch(pool, kind, obj);
    } else {
        kapi_dflt_other(pool, group, version, kind, obj);
    }
    kapi_dflt_go_zero(pool, group, version, kind, obj);
}

/* The pod's status as the pod strategy sets it on create: everything the
 * client sent is dropped. */
static void prepare_pod(struct kapi_pool *pool, struct kapi_value *pod)
{
    static const char *T = KAPI_DT_CORE("PodStatus");
    struct kapi_value *st = kapi_value_object(pool);
    kapi_dflt_put(pool, st, T, "phase", kapi_value_str(pool, "Pending"));
    struct kapi_value *spec = kapi_dflt_obj(pod, "spec");
    struct kapi_value *gates = kapi_dflt_arr(spec, "schedulingGates");
    if (gates && gates->u.arr.len > 0) {
        struct kapi_value *cond = kapi_value_object(pool);
        kapi_obj_set(pool, cond, "type", kapi_value_str(pool, "PodScheduled"));
        kapi_obj_set(pool, cond, "status", kapi_value_str(pool, "False"));
        kapi_obj_set(pool, cond, "reason", kapi_value_str(pool, "SchedulingGated"));
        kapi_obj_set(pool, cond, "message",
                     kapi_value_str(pool, "Scheduling is blocked due to non-empty scheduling gates"));
        /* added through UpdatePodCondition, which stamps the transition */
        kapi_dflt_put(pool, cond, KAPI_DT_CORE("PodCondition"), "lastTransitionTime",
                      kapi_value_str(pool, kapi_meta_now(pool)));
        struct kapi_value *conds = kapi_value_array(pool);
        kapi_arr_push(pool, conds, cond);
        kapi_dflt_put(pool, st, T, "conditions", conds);
    }
    kapi_dflt_put(pool, st, T, "qosClass", kapi_value_str(pool, kapi_defaults_pod_qos(pod)));
    kapi_dflt_put(pool, pod, KAPI_DT_CORE("Pod"), "status", st);
}

/* The PV strategy stamps the phase it starts in. */
static void prepare_pv(struct kapi_pool *pool, struct kapi_value *pv)
{
    static const char *T = KAPI_DT_CORE("PersistentVolumeStatus");
    struct kapi_value *st = kapi_dflt_ensure(pool, pv, KAPI_DT_CORE("PersistentVolume"), "status");
    kapi_dflt_str(pool, st, T, "phase", "Pending");
    kapi_dflt_put(pool, st, T, "lastPhaseTransitionTime", kapi_value_str(pool, kapi_meta_now(pool)));
}

/* A Job's selector, generated from its uid unless the user chose one by hand. */
static void prepare_job(struct kapi_pool *pool, struct kapi_value *job)
{
    struct kapi_value *spec = kapi_dflt_obj(job, "spec");
    if (!spec)
        return;
    struct kapi_value *manual = kapi_obj_get(spec, "manualSelector");
    if (manual && manual->type == KAPI_V_BOOL && manual->u.b)
        return;
    struct kapi_value *meta = kapi_dflt_obj(job, "metadata");
    const char *name = kapi_obj_get_str(meta, "name");
    const char *uid = kapi_obj_get_str(meta, "uid");
    name = name ? name : "";
    uid = uid ? uid : "";
    struct kapi_value *tmpl = kapi_dflt_ensure(pool, spec, "k8s.io.api.batch.v1.JobSpec", "template");
    struct kapi_value *tmeta = kapi_dflt_ensure(pool, tmpl, KAPI_DT_CORE("PodTemplateSpec"), "metadata");
    struct kapi_value *labels = kapi_dflt_ensure(pool, tmeta, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta",
                                                 "labels");
    kapi_dflt_map_add(pool, labels, "job-name", kapi_value_str(pool, name));
    kapi_dflt_map_add(pool, labels, "batch.kubernetes.io/job-name", kapi_value_str(pool, name));
    kapi_dflt_map_add(pool, labels, "controller-uid", kapi_value_str(pool, uid));
    kapi_dflt_map_add(pool, labels, "batch.kubernetes.io/controller-uid", kapi_value_str(pool, uid));
    struct kapi_value *sel = kapi_dflt_ensure(pool, spec, "k8s.io.api.batch.v1.JobSpec", "selector");
    struct kapi_value *ml = kapi_dflt_ensure(pool, sel, "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector",
                                             "matchLabels");
    kapi_dflt_map_add(pool, ml, "batch.kubernetes.io/controller-uid", kapi_value_str(pool, uid));
}

void kapi_defaults_prepare_create(struct kapi_pool *pool, const char *group, const char *version,
                                  const char *kind, struct kapi_value *obj)
{
    if (!obj || obj->type != KAPI_V_OBJECT || !group || !version || !kind)
        return;
    /* Upstream defaults on decode, runs the strategy, and defaults again when
     * the stored bytes are decoded for the response. */
    kapi_defaults_apply(pool, group, version, kind, obj);
    kapi_dflt_reset_status(pool, group, version, kind, obj);
    if (group[0] == '\0' && kapi_streq(version, "v1") && kapi_streq(kind, "Pod"))
        prepare_pod(pool, obj);
    else if (group[0] == '\0' && kapi_streq(version, "v1") && kapi_streq(kind, "PersistentVolume"))
        prepare_pv(pool, obj);
    else if (kapi_streq(group, "batch") && kapi_streq(version, "v1") && kapi_streq(kind, "Job"))
        prepare_job(pool, obj);
    else if (kapi_streq(group, "apiextensions.k8s.io") && kapi_streq(kind, "CustomResourceDefinition"))
        kapi_dflt_crd_prepare_create(pool, obj);
    kapi_defaults_apply(pool, group, version, kind, obj);
}
