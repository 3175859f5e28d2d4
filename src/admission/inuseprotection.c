/* StorageObjectInUseProtection
 * (plugin/pkg/admission/storage/storageobjectinuseprotection): every new
 * PersistentVolumeClaim gets the kubernetes.io/pvc-protection finalizer and
 * every new PersistentVolume kubernetes.io/pv-protection, appended after any
 * finalizers the object already lists. Their protection controllers remove
 * them once the claim is no longer used by a pod / the volume no longer
 * bound, which is what holds a deletion back meanwhile. */
#include <string.h>

#include "admission.h"

static void add_finalizer(const struct kapi_admission_attrs *at, const char *fin)
{
    struct kapi_pool *p = at->pool;
    struct kapi_value *md = kapi_obj_ensure_obj(p, at->obj, "metadata");
    struct kapi_value *fins = kapi_obj_get(md, "finalizers");
    if (fins && fins->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < fins->u.arr.len; i++) {
            const char *f = kapi_value_cstr(fins->u.arr.items[i]);
            if (f && strcmp(f, fin) == 0)
                return;
        }
    } else {
        fins = kapi_value_array(p);
        kapi_adm_put(p, md, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "finalizers", fins);
    }
    kapi_arr_push(p, fins, kapi_value_str(p, fin));
}

int kapi_adm_inuseprotection_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    (void)status;
    if (!at->create)
        return 0;
    if (kapi_adm_is(at, "", "persistentvolumeclaims"))
        add_finalizer(at, "kubernetes.io/pvc-protection");
    else if (kapi_adm_is(at, "", "persistentvolumes"))
        add_finalizer(at, "kubernetes.io/pv-protection");
    return 0;
}
