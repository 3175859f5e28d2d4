/* libFuzzer target for schema/typed: any JSON body, checked as a Pod, a
 * Deployment and a CustomResourceDefinition, must give either an error or a
 * canonical object that a second check accepts unchanged (no findings, same
 * bytes): canonicalization is a fixed point. Short inputs are also tried as
 * quantities: the shortcut for plain ones must agree with the full parse. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "codec/json.h"
#include "schema/quantity.h"
#include "schema/schema.h"
#include "schema/typed.h"

static void check_as(const uint8_t *data, size_t size, const char *group, const char *version,
                     const char *kind)
{
    const struct kapi_schema_msg *m = kapi_schema_kind_find(group, version, kind);
    if (!m)
        abort();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_dup *dups = NULL;
    struct kapi_json_opts o = {.dups = &dups};
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, (const char *)data, size, &o, &err);
    if (!v) {
        kapi_pool_free(pool);
        return;
    }
    struct kapi_typed_result res;
    if (kapi_typed_check(pool, m, v, dups, &res) != 0) {
        if (!res.type_error || !res.type_error[0])
            abort();
        kapi_pool_free(pool);
        return;
    }
    for (size_t i = 0; i < res.nunknown; i++)
        if (!res.unknown[i] || strncmp(res.unknown[i], res.unknown[i][0] == 'u' ? "unknown field \"" : "duplicate field \"", 15) != 0)
            abort();
    if (res.nunknown > 100)
        abort();
    (void)kapi_typed_strict_message(pool, &res);

    struct kapi_buf a, b;
    kapi_buf_init(&a, 0);
    kapi_buf_init(&b, 0);
    if (kapi_json_write(&a, v) != 0)
        abort();
    struct kapi_value *w = kapi_json_parse(pool, a.data, a.len, NULL, &err);
    if (!w)
        abort();
    struct kapi_typed_result res2;
    if (kapi_typed_check(pool, m, w, NULL, &res2) != 0 || res2.nunknown != 0)
        abort();
    if (kapi_json_write(&b, w) != 0 || a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        abort();
    kapi_buf_dispose(&a);
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    /* the input as a quantity: the typed check's shortcut must agree with
     * the full parse */
    if (size < 64) {
        char q[64];
        memcpy(q, data, size);
        q[size] = 0;
        if (kapi_quantity_plain_canonical(q, size)) {
            struct kapi_pool *pool = kapi_pool_new();
            const char *out, *err;
            if (kapi_quantity_canonical(pool, q, size, &out, &err) != 0 || strcmp(out, q) != 0)
                abort();
            kapi_pool_free(pool);
        }
    }
    check_as(data, size, "", "v1", "Pod");
    check_as(data, size, "apps", "v1", "Deployment");
    check_as(data, size, "apiextensions.k8s.io", "v1", "CustomResourceDefinition");
    return 0;
}
