/* libFuzzer target for the protobuf transcoder. The first input byte picks
 * the mode: 0 = the rest is a whole "k8s\0" envelope, 1 = the rest follows
 * the magic (added here), 2 = the next two bytes pick a message type and the
 * rest is one bare message of that type. Decoding must fail cleanly or give
 * a value that encodes and decodes back to an equal value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "schema/protobuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 3;
    data++, size--;
    const struct kapi_schema_msg *m = NULL;
    uint8_t *copy = NULL;
    if (mode == 2) {
        if (size < 2)
            return 0;
        m = &kapi_schema_msgs[((size_t)data[0] << 8 | data[1]) % kapi_schema_nmsgs];
        data += 2, size -= 2;
    } else if (mode == 1) {
        copy = malloc(size + KAPI_PB_MAGIC_LEN);
        memcpy(copy, KAPI_PB_MAGIC, KAPI_PB_MAGIC_LEN);
        if (size)
            memcpy(copy + KAPI_PB_MAGIC_LEN, data, size);
        data = copy, size += KAPI_PB_MAGIC_LEN;
    }
    /* exact-size heap copy so ASan sees any read past the end */
    uint8_t *in = malloc(size ? size : 1);
    if (size)
        memcpy(in, data, size);

    struct kapi_pool *pool = kapi_pool_new();
    char err[256];
    for (unsigned flags = 0; flags <= KAPI_PB_OMIT_EMPTY; flags += KAPI_PB_OMIT_EMPTY) {
        struct kapi_value *v = m ? kapi_pb_decode_message(pool, m, in, size, err, sizeof(err))
                                 : kapi_pb_decode_object_ex(pool, in, size, "apps", "v1", NULL, flags, err,
                                                            sizeof(err));
        if (!v) {
            if (!err[0])
                abort(); /* failures always explain themselves */
            continue;
        }
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        int rc = m ? kapi_pb_encode_message(&b, m, v, err, sizeof(err)) : kapi_pb_encode_object(&b, v, err, sizeof(err));
        if (rc != 0)
            abort();
        struct kapi_value *v2 = m ? kapi_pb_decode_message(pool, m, b.data, b.len, err, sizeof(err))
                                  : kapi_pb_decode_object_ex(pool, b.data, b.len, NULL, NULL, NULL, flags, err,
                                                             sizeof(err));
        if (!v2 || !kapi_value_equal(v, v2))
            abort();
        kapi_buf_dispose(&b);
        if (m)
            break;
    }
    kapi_pool_free(pool);
    free(in);
    free(copy);
    return 0;
}
