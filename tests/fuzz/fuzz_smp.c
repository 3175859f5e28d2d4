/* Fuzzes kapi_smp_apply. Input: a JSON document, a NUL byte, then a strategic
 * merge patch, applied as a core/v1 Pod. Checks that failures carry a known
 * status and a message, that results serialize, and that the patch value is
 * never modified. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "codec/smp.h"
#include "schema/schema.h"

static void write_or_die(struct kapi_buf *b, const struct kapi_value *v)
{
    kapi_buf_init(b, 0);
    if (kapi_json_write(b, v) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct kapi_schema_msg *pod;
    if (!pod && !(pod = kapi_schema_kind_find("", "v1", "Pod")))
        abort();
    const uint8_t *nul = memchr(data, 0, size);
    if (!nul)
        return 0;
    size_t dl = (size_t)(nul - data);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_error je;
    struct kapi_value *doc = kapi_json_parse(pool, (const char *)data, dl, NULL, &je);
    struct kapi_value *patch =
        doc ? kapi_json_parse(pool, (const char *)nul + 1, size - dl - 1, NULL, &je) : NULL;
    if (doc && doc->type == KAPI_V_OBJECT && patch) {
        struct kapi_buf before, after, out;
        write_or_die(&before, patch);
        struct kapi_smp_error err;
        struct kapi_value *r = kapi_smp_apply(pool, pod, doc, patch, &err);
        if (r) {
            write_or_die(&out, r);
            kapi_buf_dispose(&out);
        } else {
            if (!err.msg[0])
                abort();
            switch (err.code) {
            case 400: case 422: case 504:
                if (!err.reason)
                    abort();
                break;
            case 500:
                break;
            default:
                abort();
            }
        }
        write_or_die(&after, patch);
        if (before.len != after.len || memcmp(before.data, after.data, before.len) != 0)
            abort();
        kapi_buf_dispose(&before);
        kapi_buf_dispose(&after);
    }
    kapi_pool_free(pool);
    return 0;
}
