/* Priority: a new pod's spec.priority (and preemptionPolicy) come from its
 * PriorityClass, or from the global-default class, or are 0 /
 * PreemptLowerPriority; updates keep what create set. Also refuses a second
 * globalDefault PriorityClass. */
#include <string.h>

#include "admission.h"

#define PODSPEC "k8s.io.api.core.v1.PodSpec"

/* The globalDefault class with the lowest value (upstream's tie rule), or NULL. */
static struct kapi_value *default_class(const struct kapi_admission_attrs *at)
{
    size_t n;
    struct kapi_value **pcs = kapi_adm_list(at, "scheduling.k8s.io", "v1", "priorityclasses", "", &n);
    struct kapi_value *best = NULL;
    for (size_t i = 0; i < n; i++) {
        struct kapi_value *g = kapi_obj_get(pcs[i], "globalDefault");
        if (!g || g->type != KAPI_V_BOOL || !g->u.b)
            continue;
        struct kapi_value *v = kapi_obj_get(pcs[i], "value");
        struct kapi_value *bv = best ? kapi_obj_get(best, "value") : NULL;
        int64_t val = v && v->type == KAPI_V_INT ? v->u.i : 0;
        int64_t bval = bv && bv->type == KAPI_V_INT ? bv->u.i : 0;
        if (!best || bval > val)
            best = pcs[i];
    }
    return best;
}

/* The classes upstream creates at start-up, for the moment before they
 * reach the cache. */
static bool builtin_class(const char *name, int64_t *value)
{
    if (strcmp(name, "system-node-critical") == 0)
        *value = 2000001000;
    else if (strcmp(name, "system-cluster-critical") == 0)
        *value = 2000000000;
    else
        return false;
    return true;
}

static int admit_update(const struct kapi_admission_attrs *at)
{
    struct kapi_value *spec = kapi_obj_get(at->obj, "spec");
    const struct kapi_value *ospec = kapi_obj_get(at->old, "spec");
    if (!spec || spec->type != KAPI_V_OBJECT || !ospec)
        return 0;
    static const char *const keep[] = {"priority", "preemptionPolicy"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keep); i++) {
        struct kapi_value *cur = kapi_obj_get(spec, keep[i]);
        struct kapi_value *was = kapi_obj_get(ospec, keep[i]);
        if ((!cur || cur->type == KAPI_V_NULL) && was && was->type != KAPI_V_NULL)
            kapi_adm_put(at->pool, spec, PODSPEC, keep[i], kapi_value_clone(at->pool, was));
    }
    return 0;
}

int kapi_adm_priority_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!kapi_adm_is(at, "", "pods"))
        return 0;
    if (!at->create)
        return admit_update(at);
    struct kapi_pool *p = at->pool;
    struct kapi_value *spec = kapi_obj_ensure_obj(p, at->obj, "spec");
    const char *cls = kapi_obj_get_str(spec, "priorityClassName");
    int64_t priority = 0;
    const char *policy = NULL;
    if (!cls || !*cls) {
        struct kapi_value *dpc = default_class(at);
        if (dpc) {
            const char *name = kapi_value_cstr(kapi_value_path(dpc, "metadata", "name", NULL));
            struct kapi_value *v = kapi_obj_get(dpc, "value");
            priority = v && v->type == KAPI_V_INT ? v->u.i : 0;
            policy = kapi_obj_get_str(dpc, "preemptionPolicy");
            if (name && *name)
                kapi_adm_put(p, spec, PODSPEC, "priorityClassName", kapi_value_str(p, name));
        } else {
            policy = "PreemptLowerPriority";
        }
    } else {
        struct kapi_value *pc = kapi_adm_get(at, "scheduling.k8s.io", "v1", "priorityclasses", NULL, cls, false);
        if (pc) {
            struct kapi_value *v = kapi_obj_get(pc, "value");
            priority = v && v->type == KAPI_V_INT ? v->u.i : 0;
            policy = kapi_obj_get_str(pc, "preemptionPolicy");
        } else if (builtin_class(cls, &priority)) {
            policy = "PreemptLowerPriority";
        } else {
            *status = kapi_adm_forbidden(at, kapi_pool_printf(p, "no PriorityClass with name %s was found", cls));
            return -1;
        }
    }
    struct kapi_value *given = kapi_obj_get(spec, "priority");
    if (given && given->type == KAPI_V_INT && given->u.i != priority) {
        *status = kapi_adm_forbidden(
            at, kapi_pool_printf(p,
                                 "the integer value of priority (%lld) must not be provided in pod spec; priority "
                                 "admission controller computed %lld from the given PriorityClass name",
                                 (long long)given->u.i, (long long)priority));
        return -1;
    }
    kapi_adm_put(p, spec, PODSPEC, "priority", kapi_value_int(p, priority));
    if (policy) {
        const char *pol = kapi_obj_get_str(spec, "preemptionPolicy");
        if (pol && strcmp(pol, policy) != 0) {
            *status = kapi_adm_forbidden(
                at, kapi_pool_printf(p,
                                     "the string value of PreemptionPolicy (%s) must not be provided in pod spec; "
                                     "priority admission controller computed %s from the given PriorityClass name",
                                     pol, policy));
            return -1;
        }
        kapi_adm_put(p, spec, PODSPEC, "preemptionPolicy", kapi_value_str(p, policy));
    }
    return 0;
}

int kapi_adm_priority_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (!kapi_adm_is(at, "scheduling.k8s.io", "priorityclasses"))
        return 0;
    struct kapi_value *g = kapi_obj_get(at->obj, "globalDefault");
    if (!g || g->type != KAPI_V_BOOL || !g->u.b)
        return 0;
    struct kapi_value *dpc = default_class(at);
    if (!dpc)
        return 0;
    const char *dname = kapi_value_cstr(kapi_value_path(dpc, "metadata", "name", NULL));
    if (!dname)
        dname = "";
    if (at->create || strcmp(dname, at->name) != 0) {
        *status = kapi_adm_forbidden(
            at, kapi_pool_printf(at->pool, "PriorityClass %s is already marked as default. Only one default can exist",
                                 dname));
        return -1;
    }
    return 0;
}
