/* Implementation of src/server/bootstrap.h. */
#include "bootstrap.h"

#include <stdio.h>
#include <string.h>

#include "../codec/json.h"
#include "../registry/core/services.h"
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

/* Creates obj (a JSON literal) as kind in namespace default unless it
 * exists; with alloc, allocates the Service's IPs first. */
static int ensure(struct kapi_store *store, const struct kapi_kind *k, const char *json, struct kapi_svc_alloc *alloc,
                  bool replace, char *err, size_t errlen)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error jerr;
    struct kapi_value *obj = kapi_json_parse(pool, json, strlen(json), NULL, &jerr);
    const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    char *key = kapi_registry_key(pool, k, "default", name);
    struct kapi_kv kv = {0};
    int rc = kapi_store_get(store, key, &kv);
    int64_t cur_rev = kv.mod_rev;
    kapi_kv_dispose(&kv);
    if (rc == 0 && !replace) {
        kapi_pool_free(pool);
        return 0;
    }
    struct kapi_field_errors errs = {0};
    const char *bad = NULL;
    kapi_meta_prepare_create(pool, k, obj, "default", &errs, &bad);
    if (alloc && rc == KAPI_STORE_NOT_FOUND && kapi_svc_alloc_create(alloc, pool, obj, false, &errs) != 0) {
        snprintf(err, errlen, "kubernetes service: cannot allocate its IP");
        kapi_pool_free(pool);
        return -1;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = rc == 0 ? KAPI_WRITE_UPDATE : KAPI_WRITE_CREATE, .key = key, .value = b.data,
                           .len = b.len, .expect_mod_rev = cur_rev};
    struct kapi_write_result res = {0};
    int werr = kapi_store_write(store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    /* another instance may have written it meanwhile: theirs stands */
    if (werr == KAPI_STORE_EXISTS || werr == KAPI_STORE_CONFLICT) {
        if (alloc && rc == KAPI_STORE_NOT_FOUND)
            kapi_svc_alloc_release(alloc, obj);
        werr = 0;
    }
    kapi_pool_free(pool);
    if (werr) {
        snprintf(err, errlen, "%s %s: %s", k->resource, name, kapi_store_strerror(werr));
        return -1;
    }
    return 0;
}

int kapi_bootstrap_kubernetes_service(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg,
                                      struct kapi_svc_alloc *alloc, const char *self_ip, int port, char *err,
                                      size_t errlen)
{
    const struct kapi_kind *svc = kapi_registry_find(reg, "", "v1", "services");
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"kubernetes\",\"labels\":{\"component\":\"apiserver\",\"provider\":\"kubernetes\"}},"
             "\"spec\":{\"ports\":[{\"name\":\"https\",\"protocol\":\"TCP\",\"port\":443,\"targetPort\":%d}],"
             "\"clusterIP\":\"%s\",\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\"}}",
             port, kapi_svc_alloc_first_ip(alloc));
    if (ensure(store, svc, json, alloc, false, err, errlen) < 0)
        return -1;
    (void)self_ip; /* the endpoints are the reconciler's (controllers/endpoints_reconciler.c) */
    return kapi_cache_sync(cache, 5000) == 0 ? 0 : (snprintf(err, errlen, "watch cache did not catch up"), -1);
}
