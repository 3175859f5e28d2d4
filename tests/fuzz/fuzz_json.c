/* libFuzzer target for the JSON codec: any bytes must either fail cleanly
 * or parse to a value whose compact and indented writes read back equal,
 * and whose compact form settles to a fixed point. Runs with a tiny depth bound and the default one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "codec/json.h"

static void check(const uint8_t *data, size_t size, size_t max_depth)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_json_dup *dups = NULL;
    struct kapi_json_opts o = {.max_depth = max_depth, .dups = &dups};
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, (const char *)data, size, &o, &err);
    if (!v) {
        if (err.msg[0] == 0 || err.offset > size)
            abort();
        kapi_pool_free(pool);
        return;
    }
    for (struct kapi_json_dup *d = dups; d; d = d->next)
        if (!d->path) /* "" is a valid path: a repeated empty key at the top */
            abort();

    struct kapi_buf b, b2;
    kapi_buf_init(&b, 0);
    kapi_buf_init(&b2, 0);
    if (kapi_json_write(&b, v) != 0)
        abort();
    struct kapi_value *v2 = kapi_json_parse(pool, b.data, b.len, &o, &err);
    if (!v2 || !kapi_value_equal(v, v2))
        abort();
    /* The bytes reach a fixed point after one more round: "-0" from a FLOAT
     * -0.0 reads back as the INT 0, which writes "0" from then on. */
    if (kapi_json_write(&b2, v2) != 0)
        abort();
    if (b2.len != b.len || memcmp(b.data, b2.data, b.len) != 0) {
        struct kapi_value *v4 = kapi_json_parse(pool, b2.data, b2.len, &o, &err);
        kapi_buf_reset(&b);
        if (!v4 || kapi_json_write(&b, v4) != 0 || b2.len != b.len || memcmp(b.data, b2.data, b.len) != 0)
            abort();
    }

    kapi_buf_reset(&b2);
    if (kapi_json_write_indent(&b2, v) != 0)
        abort();
    struct kapi_value *v3 = kapi_json_parse(pool, b2.data, b2.len, &o, &err);
    if (!v3 || !kapi_value_equal(v, v3))
        abort();

    kapi_buf_dispose(&b);
    kapi_buf_dispose(&b2);
    kapi_pool_free(pool);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, 8);
    check(data, size, 0);
    return 0;
}
