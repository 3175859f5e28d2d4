/* DefaultTolerationSeconds: pods tolerate the not-ready and unreachable
 * NoExecute taints for a bounded time (300 s unless configured) unless they
 * already say how to treat them. Runs on pod create and update. */
#include <string.h>

#include "admission.h"

#define TOL_TYPE "k8s.io.api.core.v1.Toleration"

/* A toleration covers key/NoExecute when its key is that key or empty (any
 * key) and its effect is NoExecute or empty (any effect). */
static bool covers(const struct kapi_value *t, const char *key)
{
    const char *k = kapi_obj_get_str(t, "key");
    const char *e = kapi_obj_get_str(t, "effect");
    return (!k || !*k || strcmp(k, key) == 0) && (!e || !*e || strcmp(e, "NoExecute") == 0);
}

static struct kapi_value *toleration(struct kapi_pool *p, const char *key, int64_t secs)
{
    struct kapi_value *t = kapi_value_object(p);
    kapi_obj_set(p, t, "key", kapi_value_str(p, key));
    kapi_obj_set(p, t, "operator", kapi_value_str(p, "Exists"));
    kapi_obj_set(p, t, "effect", kapi_value_str(p, "NoExecute"));
    kapi_obj_set(p, t, "tolerationSeconds", kapi_value_int(p, secs));
    return t;
}

int kapi_adm_tolerations_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    if (!kapi_adm_is(at, "", "pods"))
        return 0;
    struct kapi_pool *p = at->pool;
    struct kapi_value *spec = kapi_obj_get(at->obj, "spec");
    if (!spec || spec->type != KAPI_V_OBJECT)
        return 0;
    static const char *const keys[2] = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"};
    int64_t secs[2];
    kapi_adm_toleration_seconds(at->adm, &secs[0], &secs[1]);
    struct kapi_value *tols = kapi_obj_get(spec, "tolerations");
    bool have[2] = {false, false};
    for (size_t i = 0; tols && tols->type == KAPI_V_ARRAY && i < tols->u.arr.len; i++)
        for (int k = 0; k < 2; k++)
            have[k] = have[k] || covers(tols->u.arr.items[i], keys[k]);
    if (have[0] && have[1])
        return 0;
    if (!tols || tols->type != KAPI_V_ARRAY) {
        tols = kapi_value_array(p);
        kapi_adm_put(p, spec, "k8s.io.api.core.v1.PodSpec", "tolerations", tols);
    }
    for (int k = 0; k < 2; k++)
        if (!have[k])
            kapi_arr_push(p, tols, toleration(p, keys[k], secs[k]));
    return 0;
}
