/* libFuzzer target: service-account JWT verification (src/auth/satoken).
 * First byte even: the rest is a bearer token as a client would send it.
 * First byte odd: the rest is "<header JSON>\n<payload JSON>", which the
 * target signs with its own key, so the claim checks behind the signature
 * get fuzzed too (random bytes never carry a valid RSA signature). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth/satoken.h"
#include "base/b64.h"
#include "base/base.h"

#define NOW 1700000000LL

/* A throwaway 1024-bit test key (small to keep signing cheap); the corpus
 * tokens are signed with it. */
static const char test_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAMlTwIE+r4yOBWPV\n"
    "74wQz/nKaEmkaXjO/P2py7Gipvms1FFA2lDHgbPT5P5Wr8GUk5TQdyvSzG+h+Hhf\n"
    "3fIByd5EHowHyxMO3lFW37y6fXD9HlQWZjcl8tIXBecVaKUQJZWM+8trJmaKx635\n"
    "mgv+ZXrVrZ311jogEoU0PGJww3wXAgMBAAECgYAw2njpI+v3YHMgYcaKJ35AMASU\n"
    "cigB38B2UWCTT1PTXEP9H46acX8gwvdbXG+zurkBMIDqinF/WT9w/lpeIl74eIy/\n"
    "UiQjRLEgDqYB2/nPxnIVKofLtBOwnNOFHvKs8CyzZCf/mun9mUVqx5vTRBPP7F4G\n"
    "Cn3gvMw19G6TTtSNWQJBAP5cS+k0ApElJed8TXJp0Tw/1HOu4FyjRD4bnD26SeL7\n"
    "lvKv9XivHCLDnMUxa4PhT08pRA4UOQb69Fza4GoBM2sCQQDKn/LWNTuWTEojCVgq\n"
    "agH6DNFODz6DZICGvCAUa6ppQx0gRSzX5TZ9R9I25OLd2m/feR/luxhAZzh8xm2L\n"
    "MjEFAkA4e5Rbx7HeO0qMedzU0EynPWFXAvlNeO/ZftYWGvz3S3j8kThIQVJVIez5\n"
    "GP1P/sNWx8oV+kWjmCyVRgFZaMTbAkEAkpu2vg0YR0B95+nr9Axtz7oUe5GGHtXK\n"
    "NTLLV1srmywnV+EVeETt7ynXTUbBa9qQVbazQKrl+jt1YLrGKhAv7QJBAIXocmBM\n"
    "HnH1HuXCnRYq1nc3fv8pPgOZ2PJvzcRIyoS9zPrpQpTZ0FOtG9xV7P3yMDhuKEPR\n"
    "b9x5gGqxf3MkDak=\n"
    "-----END PRIVATE KEY-----\n";

static struct kapi_satoken *sat;
static EVP_PKEY *pkey;

/* Everything exists except names starting with 'x', so both outcomes of
 * each lookup are reachable. */
static bool exists(void *ctx, const char *kind, const char *ns, const char *name, const char *uid,
                   const char *secret_token)
{
    if (!kind || !ns || !name || (!uid && !secret_token))
        abort();
    return name[0] != 'x';
}

static void init(void)
{
    kapi_log_verbosity = -1;
    char err[256];
    sat = kapi_satoken_new_mem(NULL, test_key, sizeof test_key - 1, NULL, NULL, 0, err, sizeof err);
    BIO *b = BIO_new_mem_buf(test_key, (int)sizeof test_key - 1);
    pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!sat || !pkey)
        abort();
}

static char *sign(struct kapi_pool *pool, const char *hdr, size_t hlen, const char *pl, size_t plen)
{
    char *h = kapi_b64_encode_pool(pool, hdr, hlen, KAPI_B64_URL | KAPI_B64_RAW);
    char *p = kapi_b64_encode_pool(pool, pl, plen, KAPI_B64_URL | KAPI_B64_RAW);
    char *input = kapi_pool_printf(pool, "%s.%s", h, p);
    unsigned char sig[256];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)) != 1)
        abort();
    EVP_MD_CTX_free(md);
    return kapi_pool_printf(pool, "%s.%s", input,
                            kapi_b64_encode_pool(pool, sig, siglen, KAPI_B64_URL | KAPI_B64_RAW));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sat)
        init();
    if (size < 1 || size > 2 * KAPI_SATOKEN_MAX_LEN)
        return 0;
    struct kapi_pool *pool = kapi_pool_new();
    const char *body = (const char *)data + 1;
    size_t blen = size - 1;
    char *token;
    if (data[0] & 1) {
        const char *nl = memchr(body, '\n', blen);
        size_t hl = nl ? (size_t)(nl - body) : blen;
        token = sign(pool, body, hl, nl ? nl + 1 : "", nl ? blen - hl - 1 : 0);
    } else {
        token = kapi_pool_strndup(pool, body, blen);
    }
    struct kapi_user u;
    struct kapi_satoken_info info;
    const char *aud[] = {"vault", KAPI_SATOKEN_DEFAULT_ISSUER};
    size_t naud = (data[0] >> 1) & 1 ? 2 : 0;
    int rc = kapi_satoken_authenticate_ex(sat, pool, token, aud, naud, NOW, (data[0] & 4) ? NULL : exists, NULL, &u,
                                          &info);
    if (rc == 0) {
        if (!u.name || !u.uid || u.ngroups != 2 || !u.groups[0] || !u.groups[1] ||
            strncmp(u.name, "system:serviceaccount:", 22) != 0 || !info.ns || !info.name)
            abort();
        for (size_t i = 0; i < info.nextra; i++)
            if (!info.extra_keys[i] || !info.extra_values[i])
                abort();
    } else if ((rc != 1 && rc != -1) || !info.error) {
        abort();
    }
    kapi_pool_free(pool);
    return 0;
}
