/* DefaultIngressClass (plugin/pkg/admission/network/defaultingressclass): an
 * Ingress created with neither spec.ingressClassName nor the legacy
 * kubernetes.io/ingress.class annotation gets the default IngressClass, the
 * one annotated ingressclass.kubernetes.io/is-default-class: "true". With
 * several defaults the most recently created wins, ties going to the smaller
 * name (1.33; older releases refused the Ingress). */
#include <string.h>

#include "admission.h"

static const char *meta_str(const struct kapi_value *obj, const char *key)
{
    const char *s = kapi_value_cstr(kapi_value_path(obj, "metadata", key, NULL));
    return s ? s : "";
}

static const struct kapi_value *default_ingress_class(const struct kapi_admission_attrs *at)
{
    size_t n;
    struct kapi_value **ics = kapi_adm_list(at, "networking.k8s.io", "v1", "ingressclasses", "", &n);
    const struct kapi_value *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *v = kapi_value_cstr(
            kapi_value_path(ics[i], "metadata", "annotations", "ingressclass.kubernetes.io/is-default-class", NULL));
        if (!v || strcmp(v, "true") != 0)
            continue;
        if (best) {
            /* newer creationTimestamp first (same-format RFC 3339 text
             * orders as time), then the smaller name */
            int c = strcmp(meta_str(ics[i], "creationTimestamp"), meta_str(best, "creationTimestamp"));
            if (c < 0 || (c == 0 && strcmp(meta_str(ics[i], "name"), meta_str(best, "name")) >= 0))
                continue;
        }
        best = ics[i];
    }
    return best;
}

int kapi_adm_ingressclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    if (!at->create || !kapi_adm_is(at, "networking.k8s.io", "ingresses"))
        return 0;
    const struct kapi_value *cls = kapi_value_path(at->obj, "spec", "ingressClassName", NULL);
    if (cls && cls->type != KAPI_V_NULL)
        return 0; /* set, even to "" */
    if (kapi_value_path(at->obj, "metadata", "annotations", "kubernetes.io/ingress.class", NULL))
        return 0;
    const struct kapi_value *def = default_ingress_class(at);
    if (!def)
        return 0;
    struct kapi_value *spec = kapi_obj_ensure_obj(at->pool, at->obj, "spec");
    kapi_adm_put(at->pool, spec, "k8s.io.api.networking.v1.IngressSpec", "ingressClassName",
                 kapi_value_str(at->pool, meta_str(def, "name")));
    return 0;
}
