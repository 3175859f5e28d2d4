/* libFuzzer target: the static token CSV reader (Go encoding/csv rules) and
 * bearer-header authentication against whatever it loaded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authn.h"
#include "base/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kapi_log_verbosity = -1; /* duplicate/empty-token warnings are noise here */
    char err[256];
    struct kapi_authn *a = kapi_authn_new_from_memory("fuzz", (const char *)data, size, err, sizeof err);
    if (!a) {
        /* Every failure must come with a NUL-terminated message. */
        if (!memchr(err, 0, sizeof err) || !err[0])
            abort();
        return 0;
    }
    /* Use the input's first line as an Authorization header, so tokens that
     * the parser accepted are looked up through the real path. */
    struct kapi_pool *pool = kapi_pool_new();
    const char *nl = memchr(data, '\n', size);
    size_t n = nl ? (size_t)(nl - (const char *)data) : size;
    char *hdr = kapi_pool_printf(pool, "Bearer %.*s", (int)n, (const char *)data);
    char *comma = strchr(hdr, ',');
    if (comma)
        *comma = 0;
    struct kapi_user u;
    enum kapi_authn_result r = kapi_authn_authenticate(a, pool, NULL, hdr, &u);
    if (r == KAPI_AUTHN_OK || r == KAPI_AUTHN_ANONYMOUS) {
        if (!u.name || !u.uid)
            abort();
        for (size_t i = 0; i < u.ngroups; i++)
            if (!u.groups[i])
                abort();
    }
    kapi_pool_free(pool);
    kapi_authn_free(a);
    return 0;
}
