/* Implementation of src/registry/kinds.h. */
#include "kinds.h"

#include "../auth/authn.h"
#include "defaults.h"
#include "drop.h"

#include <string.h>
#include <time.h>

static bool is_csr(const struct kapi_kind *k)
{
    return kapi_streq(k->kind, "CertificateSigningRequest") && kapi_streq(k->group, "certificates.k8s.io");
}

static bool kind_is(const struct kapi_kind *k, const char *group, const char *kind)
{
    return kapi_streq(k->kind, kind) && kapi_streq(k->group, group);
}

void kapi_kind_prepare_create_user(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                   const struct kapi_user *user)
{
    if (!is_csr(k))
        return;
    struct kapi_value *spec = kapi_obj_ensure_obj(pool, obj, "spec");
    static const char *const fields[] = {"username", "uid", "groups", "extra"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(fields); i++)
        kapi_obj_del(spec, fields[i]);
    /* status starts empty: no pre-approved requests */
    kapi_obj_set(pool, obj, "status", kapi_value_object(pool));
    if (!user)
        return;
    if (user->name && user->name[0])
        kapi_obj_set(pool, spec, "username", kapi_value_str(pool, user->name));
    if (user->uid && user->uid[0])
        kapi_obj_set(pool, spec, "uid", kapi_value_str(pool, user->uid));
    if (user->ngroups) {
        struct kapi_value *g = kapi_value_array(pool);
        for (size_t i = 0; i < user->ngroups; i++)
            kapi_arr_push(pool, g, kapi_value_str(pool, user->groups[i]));
        kapi_obj_set(pool, spec, "groups", g);
    }
    if (user->nextra) {
        struct kapi_value *ex = kapi_value_object(pool);
        for (size_t i = 0; i < user->nextra; i++) {
            struct kapi_value *vals = kapi_obj_get(ex, user->extra_keys[i]);
            if (!vals) {
                vals = kapi_value_array(pool);
                kapi_obj_set(pool, ex, user->extra_keys[i], vals);
            }
            kapi_arr_push(pool, vals, kapi_value_str(pool, user->extra_values[i]));
        }
        kapi_obj_set(pool, spec, "extra", ex);
    }
}

void kapi_kind_prepare_update_early(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                    const struct kapi_value *old)
{
    kapi_drop_disabled_fields(pool, k, NULL, obj, old);
    if (kind_is(k, "", "PersistentVolumeClaim"))
        kapi_prepare_pvc_data_sources(pool, kapi_obj_get(obj, "spec"), kapi_obj_get(old, "spec"));
    if (!is_csr(k))
        return;
    struct kapi_value *os = kapi_obj_get(old, "spec");
    if (os)
        kapi_obj_set(pool, obj, "spec", kapi_value_clone(pool, os));
    else
        kapi_obj_del(obj, "spec");
}

static bool time_unset(const struct kapi_value *t)
{
    const char *s = kapi_value_cstr(t);
    return !s || !s[0] || kapi_streq(s, "0001-01-01T00:00:00Z");
}

static bool cond_is(const struct kapi_value *c, const char *type)
{
    const char *t = kapi_obj_get_str(c, "type");
    return t && strcmp(t, type) == 0;
}

/* Puts the stored conditions of one type back in place of the new ones
 * of that type, pairwise in order, when there are as many of each. */
static void keep_conditions(struct kapi_pool *pool, struct kapi_value *conds, const struct kapi_value *oconds,
                            const char *type)
{
    size_t nn = 0, no = 0;
    for (size_t i = 0; i < conds->u.arr.len; i++)
        nn += cond_is(conds->u.arr.items[i], type);
    for (size_t i = 0; oconds && i < oconds->u.arr.len; i++)
        no += cond_is(oconds->u.arr.items[i], type);
    if (nn != no)
        return; /* added or removed: validation decides */
    size_t j = 0;
    for (size_t i = 0; i < conds->u.arr.len; i++) {
        if (!cond_is(conds->u.arr.items[i], type))
            continue;
        while (!cond_is(oconds->u.arr.items[j], type))
            j++;
        conds->u.arr.items[i] = kapi_value_clone(pool, oconds->u.arr.items[j++]);
    }
}

/* Which metadata a /status write takes from the stored object, per kind
 * (the metadata part of each status strategy's PrepareForUpdate). Every
 * kind keeps the stored deletionTimestamp, generation and selfLink (the
 * generic update rules); the bits below add to that. */
enum {
    SM_LABELS = 1u << 0,
    SM_ANNOTATIONS = 1u << 1,
    SM_FINALIZERS = 1u << 2,
    SM_OWNERREFS = 1u << 3,
    /* ResetObjectMetaForStatus */
    SM_RESET = SM_LABELS | SM_ANNOTATIONS | SM_FINALIZERS | SM_OWNERREFS,
    /* the whole stored metadata but the request's managedFields (and
     * resourceVersion, the precondition) */
    SM_ALL = 1u << 4,
};

static const struct {
    const char *group, *kind;
    unsigned kept;
} STATUS_META[] = {
    /* owner references only: old kubelets corrupt them */
    {"", "Pod", SM_OWNERREFS},
    {"apps", "Deployment", SM_LABELS},
    {"apiextensions.k8s.io", "CustomResourceDefinition", SM_LABELS | SM_ANNOTATIONS | SM_OWNERREFS},
    {"apiregistration.k8s.io", "APIService", SM_RESET},
    {"storage.k8s.io", "VolumeAttachment", SM_RESET},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", SM_RESET},
    {"flowcontrol.apiserver.k8s.io", "FlowSchema", SM_ALL},
    {"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration", SM_ALL},
    /* every other built-in status strategy (nodes, services, volumes and
     * claims, namespaces, replication controllers, quotas, replica sets,
     * stateful and daemon sets, jobs, cron jobs, autoscalers, disruption
     * budgets, ingresses, CSRs, ServiceCIDRs) resets the spec only */
};

static unsigned status_meta_kept(const struct kapi_kind *k)
{
    if (k->crd) /* custom resources: everything but status is the stored object */
        return SM_ALL;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(STATUS_META); i++)
        if (kind_is(k, STATUS_META[i].group, STATUS_META[i].kind))
            return STATUS_META[i].kept;
    return 0;
}

static void keep_meta_field(struct kapi_pool *pool, struct kapi_value *md, const struct kapi_value *omd, const char *f)
{
    const struct kapi_value *ov = kapi_obj_get(omd, f);
    if (ov)
        kapi_obj_set(pool, md, f, kapi_value_clone(pool, ov));
    else
        kapi_obj_del(md, f);
}

static void status_meta(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                        const struct kapi_value *old)
{
    struct kapi_value *md = kapi_obj_get(obj, "metadata");
    const struct kapi_value *omd = kapi_obj_get(old, "metadata");
    if (!md || md->type != KAPI_V_OBJECT)
        return;
    if (omd && omd->type != KAPI_V_OBJECT)
        omd = NULL;
    unsigned kept = status_meta_kept(k);
    if (kept & SM_ALL) {
        size_t n = md->u.obj.len, nd = 0;
        const char **drop = kapi_pool_alloc(pool, (n ? n : 1) * sizeof(*drop));
        for (size_t i = 0; i < n; i++) {
            const char *key = md->u.obj.members[i].key;
            if (strcmp(key, "managedFields") && strcmp(key, "resourceVersion") && !kapi_obj_get(omd, key))
                drop[nd++] = key;
        }
        for (size_t i = 0; i < nd; i++)
            kapi_obj_del(md, drop[i]);
        for (size_t i = 0; omd && i < omd->u.obj.len; i++) {
            const struct kapi_member *m = &omd->u.obj.members[i];
            if (strcmp(m->key, "managedFields") && strcmp(m->key, "resourceVersion"))
                kapi_obj_set(pool, md, m->key, kapi_value_clone(pool, m->val));
        }
        return;
    }
    static const char *const ALWAYS[] = {"deletionTimestamp", "generation", "selfLink"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(ALWAYS); i++)
        keep_meta_field(pool, md, omd, ALWAYS[i]);
    static const struct {
        unsigned bit;
        const char *field;
    } BITS[] = {{SM_LABELS, "labels"},
                {SM_ANNOTATIONS, "annotations"},
                {SM_FINALIZERS, "finalizers"},
                {SM_OWNERREFS, "ownerReferences"}};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(BITS); i++)
        if (kept & BITS[i].bit)
            keep_meta_field(pool, md, omd, BITS[i].field);
}

/* The status strategies' PrepareForUpdate beyond the stored spec, which
 * kapi_sub_merge puts back for every kind. */
static void status_prepare(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                           const struct kapi_value *old)
{
    status_meta(pool, k, obj, old);
    struct kapi_value *st = kapi_obj_get(obj, "status");
    const struct kapi_value *ost = kapi_obj_get(old, "status");
    if (kind_is(k, "", "PersistentVolume")) {
        /* lastPhaseTransitionTime (PersistentVolumeLastPhaseTransitionTime,
         * GA): kept while the phase stays, stamped now when the phase
         * changes and the client did not set a new time */
        if (!st || st->type != KAPI_V_OBJECT)
            return;
        const char *ph = kapi_obj_get_str(st, "phase"), *oph = kapi_obj_get_str(ost, "phase");
        const struct kapi_value *t = kapi_obj_get(st, "lastPhaseTransitionTime");
        const struct kapi_value *ot = kapi_obj_get(ost, "lastPhaseTransitionTime");
        bool unset = !t || t->type == KAPI_V_NULL;
        bool ounset = !ot || ot->type == KAPI_V_NULL;
        if (strcmp(ph ? ph : "", oph ? oph : "") == 0) {
            if (unset && !ounset)
                kapi_obj_set(pool, st, "lastPhaseTransitionTime", kapi_value_clone(pool, ot));
        } else if (unset || (!ounset && kapi_value_equal(t, ot))) {
            char now[21];
            kapi_time_rfc3339((int64_t)time(NULL), now);
            kapi_obj_set(pool, st, "lastPhaseTransitionTime", kapi_value_str(pool, now));
        }
    } else if (kind_is(k, "storage.k8s.io", "VolumeAttachment")) {
        /* MutableCSINodeAllocatableCount is off in 1.33: an error code is
         * dropped unless the stored error already had one */
        static const char *const ERRS[] = {"attachError", "detachError"};
        for (size_t i = 0; st && i < KAPI_ARRAY_LEN(ERRS); i++) {
            struct kapi_value *e = kapi_obj_get(st, ERRS[i]);
            const struct kapi_value *oc = kapi_value_path(ost, ERRS[i], "errorCode", NULL);
            if (e && e->type == KAPI_V_OBJECT && (!oc || oc->type == KAPI_V_NULL))
                kapi_obj_del(e, "errorCode");
        }
    }
}

void kapi_kind_prepare_subresource(struct kapi_pool *pool, const struct kapi_kind *k, const char *subresource,
                                   struct kapi_value *obj, const struct kapi_value *old)
{
    if (subresource && kapi_streq(subresource, "status"))
        status_prepare(pool, k, obj, old);
    kapi_drop_disabled_fields(pool, k, subresource, obj, old);
    if (!is_csr(k) || !subresource || (!kapi_streq(subresource, "status") && !kapi_streq(subresource, "approval")))
        return;
    struct kapi_value *conds = kapi_value_path(obj, "status", "conditions", NULL);
    if (!conds || conds->type != KAPI_V_ARRAY)
        return;
    const struct kapi_value *oconds = kapi_value_path(old, "status", "conditions", NULL);
    if (oconds && oconds->type != KAPI_V_ARRAY)
        oconds = NULL;
    if (kapi_streq(subresource, "status")) {
        keep_conditions(pool, conds, oconds, "Approved");
        keep_conditions(pool, conds, oconds, "Denied");
    }
    char now[21];
    kapi_time_rfc3339((int64_t)time(NULL), now);
    for (size_t i = 0; i < conds->u.arr.len; i++) {
        struct kapi_value *c = conds->u.arr.items[i];
        if (!c || c->type != KAPI_V_OBJECT)
            continue;
        if (time_unset(kapi_obj_get(c, "lastUpdateTime")))
            kapi_obj_set(pool, c, "lastUpdateTime", kapi_value_str(pool, now));
        if (!time_unset(kapi_obj_get(c, "lastTransitionTime")))
            continue;
        const char *type = kapi_obj_get_str(c, "type"), *status = kapi_obj_get_str(c, "status");
        const char *since = now;
        for (size_t j = 0; oconds && j < oconds->u.arr.len; j++) {
            const struct kapi_value *oc = oconds->u.arr.items[j];
            const char *ot = kapi_obj_get_str(oc, "type"), *os = kapi_obj_get_str(oc, "status");
            const struct kapi_value *olt = kapi_obj_get(oc, "lastTransitionTime");
            if (type && status && ot && os && !strcmp(type, ot) && !strcmp(status, os) && !time_unset(olt)) {
                since = kapi_value_cstr(olt);
                break;
            }
        }
        kapi_obj_set(pool, c, "lastTransitionTime", kapi_value_str(pool, since));
    }
}

bool kapi_kind_is_namespace(const struct kapi_kind *k)
{
    return k->group[0] == 0 && kapi_streq(k->resource, "namespaces");
}

static void namespace_fixed_fields(struct kapi_pool *pool, struct kapi_value *obj, const struct kapi_value *old)
{
    struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
    const char *name = kapi_obj_get_str(md, "name");
    /* Every namespace carries its name as a label (upstream since 1.21). */
    struct kapi_value *labels = kapi_obj_ensure_obj(pool, md, "labels");
    if (name)
        kapi_obj_set(pool, labels, "kubernetes.io/metadata.name", kapi_value_str(pool, name));
    if (old) {
        /* Phase belongs to the status subresource and the lifecycle. */
        struct kapi_value *ost = kapi_obj_get(old, "status");
        if (ost)
            kapi_obj_set(pool, obj, "status", kapi_value_clone(pool, ost));
        return;
    }
    struct kapi_value *spec = kapi_obj_ensure_obj(pool, obj, "spec");
    struct kapi_value *fin = kapi_value_array(pool);
    kapi_arr_push(pool, fin, kapi_value_str(pool, "kubernetes"));
    kapi_obj_set(pool, spec, "finalizers", fin);
    struct kapi_value *status = kapi_value_object(pool);
    kapi_obj_set(pool, status, "phase", kapi_value_str(pool, "Active"));
    kapi_obj_set(pool, obj, "status", status);
}

/* ---- AppArmor version skew on pod create (1.33's pod PrepareForCreate):
 * the deprecated per-container annotations and the securityContext
 * appArmorProfile fields are synced both ways for a non-Windows pod. */

#define APPARMOR_KEY_PREFIX "container.apparmor.security.beta.kubernetes.io/"

/* The annotation value standing for a profile, or NULL (a Localhost type
 * without a profile name, or an unknown type). */
static const char *apparmor_annotation_for(struct kapi_pool *pool, const struct kapi_value *prof)
{
    const char *t = kapi_obj_get_str(prof, "type");
    if (!t)
        return NULL;
    if (kapi_streq(t, "Unconfined"))
        return "unconfined";
    if (kapi_streq(t, "RuntimeDefault"))
        return "runtime/default";
    const char *lp = kapi_obj_get_str(prof, "localhostProfile");
    if (kapi_streq(t, "Localhost") && lp)
        return kapi_pool_printf(pool, "localhost/%s", lp);
    return NULL;
}

static bool apparmor_space(char ch)
{
    return ch && strchr(" \t\n\r\v\f", ch) != NULL;
}

/* The profile an annotation value stands for, or NULL when the value is
 * unknown or would not be a valid profile field. */
static struct kapi_value *apparmor_field_for(struct kapi_pool *pool, const char *ann)
{
    struct kapi_value *prof = kapi_value_object(pool);
    if (kapi_streq(ann, "unconfined")) {
        kapi_obj_set(pool, prof, "type", kapi_value_str(pool, "Unconfined"));
    } else if (kapi_streq(ann, "runtime/default")) {
        kapi_obj_set(pool, prof, "type", kapi_value_str(pool, "RuntimeDefault"));
    } else if (strncmp(ann, "localhost/", 10) == 0 && ann[10]) {
        const char *lp = ann + 10;
        size_t n = strlen(lp);
        if (n > 4095 || apparmor_space(lp[0]) || apparmor_space(lp[n - 1]))
            return NULL;
        kapi_obj_set(pool, prof, "type", kapi_value_str(pool, "Localhost"));
        kapi_obj_set(pool, prof, "localhostProfile", kapi_value_str(pool, lp));
    } else {
        return NULL;
    }
    return prof;
}

static bool apparmor_same(const struct kapi_value *a, const struct kapi_value *b)
{
    if (!a || !b)
        return a == b;
    const char *ta = kapi_obj_get_str(a, "type"), *tb = kapi_obj_get_str(b, "type");
    const char *la = kapi_obj_get_str(a, "localhostProfile"), *lb = kapi_obj_get_str(b, "localhostProfile");
    return strcmp(ta ? ta : "", tb ? tb : "") == 0 && (la && lb ? strcmp(la, lb) == 0 : la == lb);
}

static const struct kapi_value *present(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_OBJECT ? v : NULL;
}

void kapi_pod_apparmor_sync(struct kapi_pool *pool, struct kapi_value *pod, struct kapi_warnings *warns)
{
    struct kapi_value *spec = kapi_obj_get(pod, "spec");
    if (!spec || spec->type != KAPI_V_OBJECT)
        return;
    const char *os = kapi_value_cstr(kapi_value_path(spec, "os", "name", NULL));
    if (os && kapi_streq(os, "windows"))
        return;
    const struct kapi_value *pod_prof = present(kapi_value_path(spec, "securityContext", "appArmorProfile", NULL));
    static const char *const LISTS[] = {"initContainers", "containers", "ephemeralContainers"};
    for (size_t l = 0; l < KAPI_ARRAY_LEN(LISTS); l++) {
        struct kapi_value *ctrs = kapi_obj_get(spec, LISTS[l]);
        for (size_t i = 0; ctrs && ctrs->type == KAPI_V_ARRAY && i < ctrs->u.arr.len; i++) {
            struct kapi_value *c = ctrs->u.arr.items[i];
            const char *name = kapi_obj_get_str(c, "name");
            if (!c || c->type != KAPI_V_OBJECT || !name)
                continue;
            const char *key = kapi_pool_printf(pool, APPARMOR_KEY_PREFIX "%s", name);
            const char *ann = kapi_value_cstr(kapi_value_path(pod, "metadata", "annotations", key, NULL));
            const struct kapi_value *ctr_prof =
                present(kapi_value_path(c, "securityContext", "appArmorProfile", NULL));
            if (!ann) {
                const char *v = ctr_prof ? apparmor_annotation_for(pool, ctr_prof)
                                : pod_prof ? apparmor_annotation_for(pool, pod_prof)
                                           : NULL;
                if (v && v[0]) {
                    struct kapi_value *md = kapi_obj_ensure_obj(pool, pod, "metadata");
                    kapi_obj_set(pool, kapi_obj_ensure_obj(pool, md, "annotations"), key, kapi_value_str(pool, v));
                }
            } else if (!ctr_prof) {
                struct kapi_value *prof = apparmor_field_for(pool, ann);
                bool copy = prof && !apparmor_same(prof, pod_prof);
                if (copy)
                    kapi_obj_set(pool, kapi_obj_ensure_obj(pool, c, "securityContext"), "appArmorProfile", prof);
                /* an annotation that gave no field, or became one, is reported */
                if (!prof || copy)
                    kapi_warnings_add(pool, warns,
                                      kapi_pool_printf(pool, "metadata.annotations[%s]: deprecated since v1.30; use "
                                                             "the \"appArmorProfile\" field instead", key));
            }
        }
    }
}

void kapi_kind_prepare_create_early(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                                    struct kapi_warnings *warns)
{
    kapi_drop_disabled_fields(pool, k, NULL, obj, NULL);
    if (kind_is(k, "", "Pod")) {
        kapi_prepare_pod_affinity_label_keys(pool, obj);
        kapi_pod_apparmor_sync(pool, obj, warns);
    } else if (kind_is(k, "", "PersistentVolumeClaim")) {
        kapi_prepare_pvc_data_sources(pool, kapi_obj_get(obj, "spec"), NULL);
    }
}

void kapi_kind_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj)
{
    if (kapi_kind_is_namespace(k))
        namespace_fixed_fields(pool, obj, NULL);
}

void kapi_kind_prepare_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                              const struct kapi_value *old)
{
    if (kapi_kind_is_namespace(k))
        namespace_fixed_fields(pool, obj, old);
}

bool kapi_kind_returns_deleted_object(const struct kapi_kind *k)
{
    static const char *const kinds[][2] = {
        {"", "pods"}, {"", "services"}, {"", "serviceaccounts"}, {"", "namespaces"},
        {"storage.k8s.io", "storageclasses"},
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i][0], k->group) == 0 && strcmp(kinds[i][1], k->resource) == 0)
            return true;
    return false;
}
