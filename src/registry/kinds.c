/* Implementation of src/registry/kinds.h. */
#include "kinds.h"

#include <string.h>

bool kapi_kind_is_namespace(const struct kapi_kind *k)
{
    return k->group[0] == 0 && strcmp(k->resource, "namespaces") == 0;
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
