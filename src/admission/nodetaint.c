/* TaintNodesByCondition (plugin/pkg/admission/nodetaint): a Node is created
 * with the node.kubernetes.io/not-ready:NoSchedule taint, so that nothing is
 * scheduled onto it before its controller sees it ready and lifts the
 * taint. A taint with that key and effect already present is left as is. */
#include <string.h>

#include "admission.h"

#define NOT_READY "node.kubernetes.io/not-ready"

int kapi_adm_nodetaint_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    if (!at->create || !kapi_adm_is(at, "", "nodes"))
        return 0;
    struct kapi_pool *p = at->pool;
    struct kapi_value *spec = kapi_obj_ensure_obj(p, at->obj, "spec");
    struct kapi_value *taints = kapi_obj_get(spec, "taints");
    if (taints && taints->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < taints->u.arr.len; i++) {
            /* upstream's MatchTaint: same key and effect */
            const char *k = kapi_obj_get_str(taints->u.arr.items[i], "key");
            const char *e = kapi_obj_get_str(taints->u.arr.items[i], "effect");
            if (k && e && strcmp(k, NOT_READY) == 0 && strcmp(e, "NoSchedule") == 0)
                return 0;
        }
    } else {
        taints = kapi_value_array(p);
        kapi_adm_put(p, spec, "k8s.io.api.core.v1.NodeSpec", "taints", taints);
    }
    struct kapi_value *t = kapi_value_object(p);
    kapi_obj_set(p, t, "key", kapi_value_str(p, NOT_READY));
    kapi_obj_set(p, t, "effect", kapi_value_str(p, "NoSchedule"));
    kapi_arr_push(p, taints, t);
    return 0;
}
