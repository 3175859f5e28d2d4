/* libFuzzer target for src/codec/yaml: arbitrary bytes must parse or fail
 * cleanly; whatever parses must survive write -> parse unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/yaml.h"

/* A "<<" key is written plain (go-yaml does the same) and then reads back
 * as a merge key, so such documents have no stable round trip. */
static int has_merge_key(const struct kapi_value *v)
{
    const struct kapi_value **stack = NULL;
    size_t n = 0, cap = 0;
    int found = 0;
#define PUSH(x) do { if (n == cap) { cap = cap ? cap * 2 : 64; stack = realloc(stack, cap * sizeof(*stack)); if (!stack) abort(); } stack[n++] = (x); } while (0)
    PUSH(v);
    while (n && !found) {
        const struct kapi_value *c = stack[--n];
        if (c->type == KAPI_V_ARRAY) {
            for (size_t i = 0; i < c->u.arr.len; i++)
                PUSH(c->u.arr.items[i]);
        } else if (c->type == KAPI_V_OBJECT) {
            for (size_t i = 0; i < c->u.obj.len; i++) {
                if (c->u.obj.members[i].klen == 2 && memcmp(c->u.obj.members[i].key, "<<", 2) == 0)
                    found = 1;
                PUSH(c->u.obj.members[i].val);
            }
        }
    }
#undef PUSH
    free(stack);
    return found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_yaml_error err;
    struct kapi_value *v = kapi_yaml_parse(pool, (const char *)data, size, &err);
    if (!v) {
        if (!err.msg[0])
            abort(); /* a failure must say why */
        kapi_pool_free(pool);
        return 0;
    }
    struct kapi_buf b;
    /* Deep nesting makes block output quadratic in size; past the bound
     * the writer must fail cleanly, which is checked too. */
    kapi_buf_init(&b, 8u << 20);
    if (kapi_yaml_write(&b, v) == 0) {
        if (b.len == 0 || b.data[b.len - 1] != '\n')
            abort();
        if (!has_merge_key(v)) {
            struct kapi_yaml_error err2;
            struct kapi_value *back = kapi_yaml_parse(pool, b.data, b.len, &err2);
            if (!back || !kapi_value_equal(v, back))
                abort();
        }
    } else if (b.len != 0) {
        abort(); /* a failed write leaves the buffer as it was */
    }
    kapi_buf_dispose(&b);
    kapi_pool_free(pool);
    return 0;
}
