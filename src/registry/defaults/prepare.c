/* registry/defaults/prepare: the create/update strategy steps of 1.33 that
 * run after the disabled-field drops (registry/drop.c): the pod strategy's
 * merge of an affinity term's matchLabelKeys / mismatchLabelKeys into its
 * labelSelector, and the PVC strategy's data source rules (KEP 1495). */
#include "defaults_int.h"

#include "../gates.h"

#include <string.h>

#define LABEL_SELECTOR "k8s.io.apimachinery.pkg.apis.meta.v1.LabelSelector"

static bool is_obj(const struct kapi_value *v) { return v && v->type == KAPI_V_OBJECT; }
static bool is_arr(const struct kapi_value *v) { return v && v->type == KAPI_V_ARRAY; }

/* One requirement "key <op> (value)" per key of keys that the pod's labels
 * have, appended to the selector's matchExpressions in the keys' order. */
static void merge_keys(struct kapi_pool *pool, struct kapi_value *sel, const struct kapi_value *keys, const char *op,
                       const struct kapi_value *labels)
{
    for (size_t i = 0; is_arr(keys) && i < keys->u.arr.len; i++) {
        const char *key = kapi_value_cstr(keys->u.arr.items[i]);
        const char *val = key ? kapi_obj_get_str(labels, key) : NULL;
        if (!val)
            continue;
        struct kapi_value *ex = kapi_obj_get(sel, "matchExpressions");
        if (!is_arr(ex)) {
            ex = kapi_value_array(pool);
            kapi_dflt_put(pool, sel, LABEL_SELECTOR, "matchExpressions", ex);
        }
        struct kapi_value *req = kapi_value_object(pool);
        kapi_obj_set(pool, req, "key", kapi_value_str(pool, key));
        kapi_obj_set(pool, req, "operator", kapi_value_str(pool, op));
        struct kapi_value *vals = kapi_value_array(pool);
        kapi_arr_push(pool, vals, kapi_value_str(pool, val));
        kapi_obj_set(pool, req, "values", vals);
        kapi_arr_push(pool, ex, req);
    }
}

static void merge_term(struct kapi_pool *pool, struct kapi_value *term, const struct kapi_value *labels)
{
    struct kapi_value *sel = kapi_obj_get(term, "labelSelector");
    if (!is_obj(sel)) /* a nil selector matches nothing: left alone */
        return;
    merge_keys(pool, sel, kapi_obj_get(term, "matchLabelKeys"), "In", labels);
    merge_keys(pool, sel, kapi_obj_get(term, "mismatchLabelKeys"), "NotIn", labels);
}

void kapi_prepare_pod_affinity_label_keys(struct kapi_pool *pool, struct kapi_value *pod)
{
    if (!kapi_gate(KAPI_GATE_MATCH_LABEL_KEYS_IN_POD_AFFINITY))
        return;
    const struct kapi_value *labels = kapi_value_path(pod, "metadata", "labels", NULL);
    struct kapi_value *aff = kapi_value_path(pod, "spec", "affinity", NULL);
    static const char *const KINDS[] = {"podAffinity", "podAntiAffinity"};
    for (size_t k = 0; k < sizeof(KINDS) / sizeof(KINDS[0]); k++) {
        struct kapi_value *pa = kapi_obj_get(aff, KINDS[k]);
        if (!is_obj(pa))
            continue;
        struct kapi_value *pref = kapi_obj_get(pa, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; is_arr(pref) && i < pref->u.arr.len; i++)
            merge_term(pool, kapi_obj_get(pref->u.arr.items[i], "podAffinityTerm"), labels);
        struct kapi_value *req = kapi_obj_get(pa, "requiredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; is_arr(req) && i < req->u.arr.len; i++)
            merge_term(pool, req->u.arr.items[i], labels);
    }
}

/* ---- PVC data sources */

static bool set(const struct kapi_value *v) { return v && v->type != KAPI_V_NULL; }

/* dataSourceIsPvcOrSnapshot: a core PersistentVolumeClaim, or a
 * snapshot.storage.k8s.io VolumeSnapshot */
static bool pvc_or_snapshot(const struct kapi_value *ds)
{
    if (!is_obj(ds))
        return false;
    const char *kind = kapi_obj_get_str(ds, "kind"), *g = kapi_obj_get_str(ds, "apiGroup");
    if (!kind)
        return false;
    if (!strcmp(kind, "PersistentVolumeClaim") && (!g || !g[0]))
        return true;
    return !strcmp(kind, "VolumeSnapshot") && g && !strcmp(g, "snapshot.storage.k8s.io");
}

/* {apiGroup, kind, name} of ref in Go's field order; apiGroup is a pointer
 * without omitempty, so a nil one reads back as null */
static struct kapi_value *local_ref(struct kapi_pool *pool, const struct kapi_value *ref)
{
    struct kapi_value *out = kapi_value_object(pool);
    const char *g = kapi_obj_get_str(ref, "apiGroup");
    const char *kind = kapi_obj_get_str(ref, "kind"), *name = kapi_obj_get_str(ref, "name");
    kapi_obj_set(pool, out, "apiGroup", g ? kapi_value_str(pool, g) : kapi_value_null(pool));
    kapi_obj_set(pool, out, "kind", kapi_value_str(pool, kind ? kind : ""));
    kapi_obj_set(pool, out, "name", kapi_value_str(pool, name ? name : ""));
    return out;
}

void kapi_prepare_pvc_normalize_data_sources(struct kapi_pool *pool, struct kapi_value *spec)
{
    if (!is_obj(spec) || !kapi_gate(KAPI_GATE_ANY_VOLUME_DATA_SOURCE))
        return;
    const struct kapi_value *ds = kapi_obj_get(spec, "dataSource"), *ref = kapi_obj_get(spec, "dataSourceRef");
    if (is_obj(ds) && !set(ref)) {
        kapi_dflt_put(pool, spec, KAPI_DT_CORE("PersistentVolumeClaimSpec"), "dataSourceRef", local_ref(pool, ds));
    } else if (is_obj(ref) && !set(ds)) {
        const char *ns = kapi_obj_get_str(ref, "namespace");
        if (!ns || !ns[0])
            kapi_dflt_put(pool, spec, KAPI_DT_CORE("PersistentVolumeClaimSpec"), "dataSource", local_ref(pool, ref));
    }
}

void kapi_prepare_pvc_data_sources(struct kapi_pool *pool, struct kapi_value *spec, const struct kapi_value *old_spec)
{
    if (!is_obj(spec))
        return;
    /* EnforceDataSourceBackwardsCompatibility: unless the stored claim has
     * a data source, or the request a dataSourceRef, a dataSource other
     * than a claim or a snapshot is dropped */
    bool old_in_use = set(kapi_obj_get(old_spec, "dataSource")) || set(kapi_obj_get(old_spec, "dataSourceRef"));
    if (!old_in_use && !set(kapi_obj_get(spec, "dataSourceRef")) && !pvc_or_snapshot(kapi_obj_get(spec, "dataSource")))
        kapi_obj_del(spec, "dataSource");
    kapi_prepare_pvc_normalize_data_sources(pool, spec);
}
