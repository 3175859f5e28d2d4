/* Implementation of src/server/bootstrap.h. */
#include "bootstrap.h"

#include <stdio.h>

#include "../registry/objectmeta.h"

int kapi_bootstrap_objects(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg, char *err,
                           size_t errlen)
{
    static const char *const namespaces[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
    const struct kapi_kind *nsk = kapi_registry_find(reg, "", "v1", "namespaces");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(namespaces); i++) {
        struct kapi_pool *pool = kapi_pool_new();
        char *key = kapi_registry_key(pool, nsk, "", namespaces[i]);
        struct kapi_kv kv = {0};
        int rc = kapi_store_get(store, key, &kv);
        kapi_kv_dispose(&kv);
        if (rc == KAPI_STORE_NOT_FOUND) {
            struct kapi_value *obj = kapi_value_object(pool);
            struct kapi_value *md = kapi_obj_ensure_obj(pool, obj, "metadata");
            kapi_obj_set(pool, md, "name", kapi_value_str(pool, namespaces[i]));
            struct kapi_field_errors errs = {0};
            const char *bad = NULL;
            kapi_meta_prepare_create(pool, nsk, obj, "", &errs, &bad);
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_meta_encode_for_store(obj, &b);
            struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = b.data, .len = b.len};
            struct kapi_write_result res = {0};
            rc = kapi_store_write(store, &w, &res);
            kapi_write_result_dispose(&res);
            kapi_buf_dispose(&b);
            if (rc == KAPI_STORE_EXISTS)
                rc = 0;
        }
        kapi_pool_free(pool);
        if (rc) {
            snprintf(err, errlen, "namespace %s: %s", namespaces[i], kapi_store_strerror(rc));
            return -1;
        }
    }
    return kapi_cache_sync(cache, 5000) == 0 ? 0 : (snprintf(err, errlen, "watch cache did not catch up"), -1);
}
