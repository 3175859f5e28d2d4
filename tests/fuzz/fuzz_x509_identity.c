/* libFuzzer target: a client certificate (DER) as the HTTP layer turns it
 * into an identity (CN, O values) and x509 authentication maps it to a user.
 * The certificate is parsed, not verified: everything after the TLS layer's
 * chain check is what gets fuzzed. */
#include <stdint.h>
#include <string.h>

#include <openssl/x509.h>

#include "auth/authn.h"
#include "base/base.h"
#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct kapi_authn *authn;
    if (!authn) {
        char err[128];
        authn = kapi_authn_new(NULL, err, sizeof(err));
    }
    const unsigned char *q = data;
    X509 *x = d2i_X509(NULL, &q, (long)size);
    if (!x)
        return 0;
    struct kapi_http_peer peer = {0};
    kapi_http_peer_fill(&peer, x);
    X509_free(x);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u = {0};
    enum kapi_authn_result r = kapi_authn_authenticate(authn, pool, &peer, NULL, &u);
    if (r == KAPI_AUTHN_OK) {
        /* a certificate user is its CN, and its O values are its groups */
        if (!u.name || strcmp(u.name, peer.cn) != 0)
            __builtin_trap();
        if (u.ngroups < peer.norgs)
            __builtin_trap();
    } else if (peer.cn[0] && r != KAPI_AUTHN_OK) {
        __builtin_trap(); /* a verified certificate with a CN always authenticates */
    }
    kapi_pool_free(pool);
    kapi_http_peer_clear(&peer);
    return 0;
}
