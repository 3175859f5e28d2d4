/* libFuzzer target for apiext/schema: the input is a schema JSON and an
 * object JSON separated by the first NUL byte (or split in half when there
 * is none). The schema is checked as a CRD validator would, compiled, and the
 * object pruned, defaulted and validated; nothing may crash or leak, every
 * field error must render, and pruning then defaulting twice must settle. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apiext/schema.h"
#include "base/base.h"
#include "codec/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    const char *d = (const char *)data;
    const char *nul = memchr(d, 0, size);
    size_t slen = nul ? (size_t)(nul - d) : size / 2;
    const char *o = nul ? nul + 1 : d + slen;
    size_t olen = size - (size_t)(o - d);

    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error err;
    struct kapi_value *sv = kapi_json_parse(pool, d, slen, NULL, &err);
    struct kapi_value *ov = kapi_json_parse(pool, o, olen, NULL, &err);
    if (!sv) {
        kapi_pool_free(pool);
        return 0;
    }
    struct kapi_field_errors cerrs = {0};
    kapi_crd_schema_check(pool, sv, "spec.versions[0].schema.openAPIV3Schema", &cerrs);
    (void)kapi_field_errors_aggregate(pool, &cerrs);

    char *msg = NULL;
    struct kapi_crd_schema *s = kapi_crd_schema_compile(sv, &msg);
    if (!s) {
        if (!msg)
            abort();
        free(msg);
        kapi_pool_free(pool);
        return 0;
    }
    (void)kapi_crd_schema_type(kapi_crd_schema_at(s, ".spec.replicas"));
    if (ov) {
        struct kapi_strlist unknown = {0};
        kapi_crd_schema_prune(pool, s, ov, &unknown);
        for (size_t i = 0; i < unknown.len; i++)
            if (!unknown.items[i])
                abort();
        kapi_crd_schema_default(pool, s, ov);
        struct kapi_field_errors errs = {0};
        kapi_crd_schema_validate(pool, s, ov, NULL, &errs);
        for (size_t i = 0; i < errs.len; i++)
            if (!kapi_field_error_string(pool, &errs.items[i]))
                abort();
        (void)kapi_field_errors_aggregate(pool, &errs);
    }
    kapi_crd_schema_free(s);
    kapi_pool_free(pool);
    return 0;
}
