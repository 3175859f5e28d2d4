/* Fuzz target: continue-token decoder. Any input either decodes to a clean
 * relative start key with rv != 0 or fails with a message; tokens built
 * from the decoded start decode back to the same start and rv. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/continue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_continue c;
    const char *err = NULL;
    if (kapi_continue_decode_key(pool, (const char *)data, size, "/registry/pods/", &c, &err) == 0) {
        if (c.rv == 0 || c.key_len != strlen("/registry/pods/") + c.start_len)
            abort();
        if (memcmp(c.key, "/registry/pods/", 15) != 0 || memcmp(c.key + 15, c.start, c.start_len) != 0)
            abort();
        if (c.start_len && (c.start[0] == '/' || c.start[c.start_len - 1] == '/'))
            abort();
        char *t = kapi_continue_encode_n(pool, c.rv, c.start, c.start_len);
        struct kapi_continue d;
        /* Start keys holding invalid UTF-8 come back with U+FFFD, like Go. */
        if (kapi_continue_decode_key(pool, t, strlen(t), "", &d, &err) == 0 && d.rv != c.rv)
            abort();
    } else if (!err) {
        abort();
    }
    /* The text form must tolerate the same bytes (stopping at a NUL). */
    char *z = kapi_pool_strndup(pool, (const char *)data, size);
    int64_t rv;
    const char *start;
    (void)kapi_continue_decode(pool, z, &rv, &start, &err);
    kapi_pool_free(pool);
    return 0;
}
