/* Service-account token issuing and verification; see satoken.h and
 * docs/internals/satoken.md. The payload is written by hand with sorted keys
 * because upstream's JOSE library merges the claim structs into one map
 * before marshalling, so the bytes come out in key order at every level. */
#include "satoken.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "../base/b64.h"
#include "../codec/json.h"

#define KID_LEN 43 /* base64url of 32 bytes, unpadded */
#define PAYLOAD_MAX 65536
#define JSON_DEPTH 32 /* claims nest three deep; anything deeper is not ours */

struct sa_key {
    EVP_PKEY *pkey;
    char kid[KID_LEN + 1];
};

struct kapi_satoken {
    char **issuers; /* [0] signs; all are accepted */
    size_t nissuers;
    char **auds; /* API audiences */
    size_t nauds;
    EVP_PKEY *signer; /* NULL: verify only */
    char signer_kid[KID_LEN + 1];
    struct sa_key *keys;
    size_t nkeys;
    int64_t max_expiration;
    bool extend, legacy;
    struct kapi_blob *oidc, *jwks;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- base64url ---- */

/* JWS compact serialization: unpadded base64url (RFC 7515). */
enum { B64URL = KAPI_B64_URL | KAPI_B64_RAW };

long kapi_satoken_b64url_decode(const char *s, size_t len, unsigned char *out)
{
    size_t n = 0;
    /* one spelling per byte string: no line breaks, zero leftover bits */
    if (memchr(s, '\n', len) || memchr(s, '\r', len) ||
        kapi_b64_decode(out, s, len, B64URL | KAPI_B64_STRICT, &n, NULL) < 0)
        return -1;
    return (long)n;
}

/* ---- keys ---- */

static int key_id(EVP_PKEY *k, char out[KID_LEN + 1])
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    if (n <= 0)
        return -1;
    unsigned char md[32];
    kapi_sha256(der, (size_t)n, md);
    OPENSSL_free(der);
    kapi_b64_encode(out, md, 32, B64URL);
    return 0;
}

/* Only the public half, so verification keys never keep private material. */
static EVP_PKEY *public_copy(EVP_PKEY *k)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    if (n <= 0)
        return NULL;
    const unsigned char *p = der;
    EVP_PKEY *pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    return pub;
}

/* Every key in a PEM buffer: public keys, private keys and certificates, as
 * upstream's keyutil.ParsePublicKeysPEM reads --service-account-key-file.
 * Returns the number of keys appended, or -1 with err. */
static int load_pem_keys(struct kapi_satoken *t, const char *name, const char *pem, size_t len, char *err,
                         size_t errlen)
{
    BIO *bio = len <= 1 << 24 ? BIO_new_mem_buf(pem, (int)len) : NULL;
    if (!bio) {
        set_err(err, errlen, "%s: unreadable key data", name);
        return -1;
    }
    int found = 0;
    for (;;) {
        char *bname = NULL, *header = NULL;
        unsigned char *der = NULL;
        long derlen = 0;
        if (PEM_read_bio(bio, &bname, &header, &der, &derlen) != 1) {
            ERR_clear_error();
            break;
        }
        const unsigned char *p = der;
        EVP_PKEY *k = NULL;
        if (!strcmp(bname, "PUBLIC KEY")) {
            k = d2i_PUBKEY(NULL, &p, derlen);
        } else if (!strcmp(bname, "RSA PUBLIC KEY")) {
            k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, derlen);
        } else if (!strcmp(bname, "PRIVATE KEY") || !strcmp(bname, "RSA PRIVATE KEY")) {
            EVP_PKEY *priv = !strcmp(bname, "PRIVATE KEY") ? d2i_AutoPrivateKey(NULL, &p, derlen)
                                                            : d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, derlen);
            if (priv)
                k = public_copy(priv);
            EVP_PKEY_free(priv);
        } else if (!strcmp(bname, "CERTIFICATE")) {
            X509 *x = d2i_X509(NULL, &p, derlen);
            if (x)
                k = X509_get_pubkey(x);
            X509_free(x);
        } else {
            OPENSSL_free(bname);
            OPENSSL_free(header);
            OPENSSL_free(der);
            continue; /* other blocks (EC PARAMETERS, ...) are skipped, as upstream */
        }
        OPENSSL_free(header);
        OPENSSL_free(der);
        if (!k) {
            set_err(err, errlen, "%s: cannot parse %s block", name, bname);
            OPENSSL_free(bname);
            BIO_free(bio);
            ERR_clear_error();
            return -1;
        }
        OPENSSL_free(bname);
        if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
            set_err(err, errlen, "%s: only RSA keys are supported", name);
            EVP_PKEY_free(k);
            BIO_free(bio);
            return -1;
        }
        t->keys = kapi_xrealloc(t->keys, (t->nkeys + 1) * sizeof *t->keys);
        struct sa_key *sk = &t->keys[t->nkeys];
        sk->pkey = k;
        if (key_id(k, sk->kid) < 0) {
            set_err(err, errlen, "%s: cannot derive key ID", name);
            EVP_PKEY_free(k);
            BIO_free(bio);
            return -1;
        }
        t->nkeys++;
        found++;
    }
    BIO_free(bio);
    if (!found) {
        set_err(err, errlen, "%s: data does not contain any valid RSA public keys", name);
        return -1;
    }
    return found;
}

static EVP_PKEY *load_signing_key(const char *name, const char *pem, size_t len, char *err, size_t errlen)
{
    BIO *bio = len <= 1 << 24 ? BIO_new_mem_buf(pem, (int)len) : NULL;
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    if (!k) {
        set_err(err, errlen, "%s: no PEM private key found", name);
        return NULL;
    }
    if (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
        set_err(err, errlen, "%s: only RSA signing keys are supported", name);
        EVP_PKEY_free(k);
        return NULL;
    }
    return k;
}

static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = kapi_buf_append(&b, chunk, n)) < 0)
            break;
    bool bad = ferror(f) || rc < 0;
    fclose(f);
    if (bad) {
        set_err(err, errlen, "%s: %s", path, rc < 0 ? "file too large" : "read error");
        kapi_buf_dispose(&b);
        return NULL;
    }
    if (!b.data)
        kapi_buf_putc(&b, 0), b.len = 0;
    return kapi_buf_steal(&b, len);
}

/* ---- discovery documents ---- */

static void put_json_str(struct kapi_buf *b, const char *s)
{
    kapi_json_write_string(b, s, strlen(s));
}

/* Big-endian magnitude without leading zeros, base64url: JWK "n" and "e". */
static void put_bn_b64(struct kapi_buf *b, const BIGNUM *bn)
{
    int n = BN_num_bytes(bn);
    unsigned char *raw = kapi_xmalloc((size_t)n + 1);
    BN_bn2bin(bn, raw);
    char *enc = kapi_xmalloc(kapi_b64_encoded_len((size_t)n, B64URL) + 1);
    kapi_b64_encode(enc, raw, (size_t)n, B64URL);
    kapi_buf_putc(b, '"');
    kapi_buf_puts(b, enc);
    kapi_buf_putc(b, '"');
    free(enc);
    free(raw);
}

/* True for an https URL without query or fragment, which upstream requires
 * of the issuer before it serves discovery (and of an explicit jwks_uri). */
static bool https_url(const char *u, bool allow_query)
{
    if (strncmp(u, "https://", 8) != 0 || !u[8])
        return false;
    return allow_query || !strpbrk(u, "?#");
}

static void build_discovery(struct kapi_satoken *t, const char *jwks_uri)
{
    kapi_blob_unref(t->oidc);
    kapi_blob_unref(t->jwks);
    t->oidc = t->jwks = NULL;
    if (!t->nkeys || !https_url(t->issuers[0], false))
        return;

    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"issuer\":");
    put_json_str(&b, t->issuers[0]);
    kapi_buf_puts(&b, ",\"jwks_uri\":");
    put_json_str(&b, jwks_uri);
    kapi_buf_puts(&b, ",\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":[\"public\"],"
                      "\"id_token_signing_alg_values_supported\":[\"RS256\"]}");
    t->oidc = kapi_blob_new(b.data, b.len);

    kapi_buf_reset(&b);
    kapi_buf_puts(&b, "{\"keys\":[");
    for (size_t i = 0; i < t->nkeys; i++) {
        BIGNUM *n = NULL, *e = NULL;
        EVP_PKEY_get_bn_param(t->keys[i].pkey, OSSL_PKEY_PARAM_RSA_N, &n);
        EVP_PKEY_get_bn_param(t->keys[i].pkey, OSSL_PKEY_PARAM_RSA_E, &e);
        if (i)
            kapi_buf_putc(&b, ',');
        kapi_buf_printf(&b, "{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"RS256\",\"n\":",
                        t->keys[i].kid);
        if (n)
            put_bn_b64(&b, n);
        else
            kapi_buf_puts(&b, "\"\"");
        kapi_buf_puts(&b, ",\"e\":");
        if (e)
            put_bn_b64(&b, e);
        else
            kapi_buf_puts(&b, "\"\"");
        kapi_buf_putc(&b, '}');
        BN_free(n);
        BN_free(e);
    }
    kapi_buf_puts(&b, "]}");
    t->jwks = kapi_blob_new(b.data, b.len);
    kapi_buf_dispose(&b);
}

/* ---- construction ---- */

static void set_list(char ***dst, size_t *n, const char *const *src, size_t count)
{
    for (size_t i = 0; i < *n; i++)
        free((*dst)[i]);
    free(*dst);
    *dst = count ? kapi_xcalloc(count, sizeof **dst) : NULL;
    for (size_t i = 0; i < count; i++)
        (*dst)[i] = kapi_xstrdup(src[i]);
    *n = count;
}

struct kapi_satoken *kapi_satoken_new_mem(const char *issuer, const char *signing_pem, size_t signing_len,
                                          const char *const *verify_pems, const size_t *verify_lens,
                                          size_t nverify, char *err, size_t errlen)
{
    if (!issuer)
        issuer = KAPI_SATOKEN_DEFAULT_ISSUER;
    if (!issuer[0]) {
        set_err(err, errlen, "service-account-issuer is a required flag");
        return NULL;
    }
    struct kapi_satoken *t = kapi_xcalloc(1, sizeof *t);
    t->extend = true;
    t->legacy = true;
    set_list(&t->issuers, &t->nissuers, &issuer, 1);
    set_list(&t->auds, &t->nauds, &issuer, 1);
    if (signing_pem) {
        t->signer = load_signing_key("service-account-signing-key-file", signing_pem, signing_len, err, errlen);
        if (!t->signer || key_id(t->signer, t->signer_kid) < 0) {
            if (t->signer)
                set_err(err, errlen, "cannot derive the signing key ID");
            kapi_satoken_free(t);
            return NULL;
        }
    }
    for (size_t i = 0; i < nverify; i++) {
        char name[48];
        snprintf(name, sizeof name, "service-account-key-file #%zu", i + 1);
        if (load_pem_keys(t, name, verify_pems[i], verify_lens[i], err, errlen) < 0) {
            kapi_satoken_free(t);
            return NULL;
        }
    }
    if (!nverify && t->signer) {
        t->keys = kapi_xcalloc(1, sizeof *t->keys);
        t->keys[0].pkey = public_copy(t->signer);
        memcpy(t->keys[0].kid, t->signer_kid, sizeof t->signer_kid);
        if (t->keys[0].pkey)
            t->nkeys = 1;
    }
    if (!t->nkeys) {
        set_err(err, errlen, "no service-account verification keys");
        kapi_satoken_free(t);
        return NULL;
    }
    char *jwks = kapi_xasprintf("%s/openid/v1/jwks", issuer);
    build_discovery(t, jwks);
    free(jwks);
    return t;
}

struct kapi_satoken *kapi_satoken_new(const char *issuer, const char *signing_key_file,
                                      const char *const *verify_key_files, size_t nverify, char *err,
                                      size_t errlen)
{
    char *spem = NULL;
    size_t slen = 0;
    if (signing_key_file && !(spem = read_file(signing_key_file, &slen, err, errlen)))
        return NULL;
    char **vp = nverify ? kapi_xcalloc(nverify, sizeof *vp) : NULL;
    size_t *vl = nverify ? kapi_xcalloc(nverify, sizeof *vl) : NULL;
    struct kapi_satoken *t = NULL;
    size_t i = 0;
    for (; i < nverify; i++)
        if (!(vp[i] = read_file(verify_key_files[i], &vl[i], err, errlen)))
            break;
    if (i == nverify) {
        t = kapi_satoken_new_mem(issuer, spem, slen, (const char *const *)vp, vl, nverify, err, errlen);
        if (!t && spem && strstr(err, "service-account-signing-key-file"))
            set_err(err, errlen, "%s: not a usable RSA private key", signing_key_file);
    }
    for (size_t j = 0; j < nverify; j++)
        free(vp[j]);
    free(vp);
    free(vl);
    free(spem);
    return t;
}

void kapi_satoken_free(struct kapi_satoken *t)
{
    if (!t)
        return;
    set_list(&t->issuers, &t->nissuers, NULL, 0);
    set_list(&t->auds, &t->nauds, NULL, 0);
    EVP_PKEY_free(t->signer);
    for (size_t i = 0; i < t->nkeys; i++)
        EVP_PKEY_free(t->keys[i].pkey);
    free(t->keys);
    kapi_blob_unref(t->oidc);
    kapi_blob_unref(t->jwks);
    free(t);
}

int kapi_satoken_configure(struct kapi_satoken *t, const struct kapi_satoken_opts *o, char *err, size_t errlen)
{
    if (!o)
        return 0;
    char *jwks_uri;
    if (o->jwks_uri && o->jwks_uri[0]) {
        if (!https_url(o->jwks_uri, true)) {
            set_err(err, errlen, "jwksURI requires https scheme, parsed as: %s", o->jwks_uri);
            return -1;
        }
        jwks_uri = kapi_xstrdup(o->jwks_uri);
    } else if (o->external_address && o->external_address[0]) {
        jwks_uri = kapi_xasprintf("https://%s/openid/v1/jwks", o->external_address);
    } else {
        jwks_uri = kapi_xasprintf("%s/openid/v1/jwks", t->issuers[0]);
    }
    /* set_list frees the old list, so the signing issuer is copied first. */
    char *first = kapi_xstrdup(t->issuers[0]);
    const char **iss = kapi_xcalloc(1 + o->nextra_issuers, sizeof *iss);
    iss[0] = first;
    for (size_t i = 0; i < o->nextra_issuers; i++)
        iss[1 + i] = o->extra_issuers[i];
    set_list(&t->issuers, &t->nissuers, iss, 1 + o->nextra_issuers);
    if (o->napi_audiences)
        set_list(&t->auds, &t->nauds, o->api_audiences, o->napi_audiences);
    else
        set_list(&t->auds, &t->nauds, iss, 1 + o->nextra_issuers);
    free(first);
    free(iss);
    t->max_expiration = o->max_expiration_seconds > 0 ? o->max_expiration_seconds : 0;
    t->extend = !o->no_extend_expiration;
    t->legacy = !o->no_legacy;
    build_discovery(t, jwks_uri);
    free(jwks_uri);
    return 0;
}

const char *kapi_satoken_key_id(const struct kapi_satoken *t)
{
    return t->signer ? t->signer_kid : "";
}

const struct kapi_blob *kapi_satoken_openid_config(const struct kapi_satoken *t)
{
    return t->oidc;
}

const struct kapi_blob *kapi_satoken_jwks(const struct kapi_satoken *t)
{
    return t->jwks;
}

/* ---- signing ---- */

static bool in_list(char **list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

/* header.payload.signature with the signing key; NULL on a crypto failure. */
static const char *sign_jwt(struct kapi_satoken *t, struct kapi_pool *pool, const struct kapi_buf *payload,
                            char *err, size_t errlen)
{
    char header[128];
    int hl = snprintf(header, sizeof header, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", t->signer_kid);
    size_t h64 = kapi_b64_encoded_len((size_t)hl, B64URL), p64 = kapi_b64_encoded_len(payload->len, B64URL);
    size_t siglen = (size_t)EVP_PKEY_get_size(t->signer);
    char *out = kapi_pool_alloc(pool, h64 + 1 + p64 + 1 + kapi_b64_encoded_len(siglen, B64URL) + 1);
    kapi_b64_encode(out, (const unsigned char *)header, (size_t)hl, B64URL);
    out[h64] = '.';
    kapi_b64_encode(out + h64 + 1, (const unsigned char *)payload->data, payload->len, B64URL);
    size_t inlen = h64 + 1 + p64;

    unsigned char *sig = kapi_xmalloc(siglen);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, t->signer) == 1 &&
              EVP_DigestSign(md, sig, &siglen, (const unsigned char *)out, inlen) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        ERR_clear_error();
        free(sig);
        set_err(err, errlen, "failed to generate token: signing failed");
        return NULL;
    }
    out[inlen] = '.';
    kapi_b64_encode(out + inlen + 1, sig, siglen, B64URL);
    free(sig);
    return out;
}

static void put_ref(struct kapi_buf *b, const char *key, const char *name, const char *uid)
{
    /* Upstream's ref struct omits empty fields. */
    kapi_buf_printf(b, ",\"%s\":{", key);
    bool comma = false;
    if (name && name[0]) {
        kapi_buf_puts(b, "\"name\":");
        put_json_str(b, name);
        comma = true;
    }
    if (uid && uid[0]) {
        kapi_buf_puts(b, comma ? ",\"uid\":" : "\"uid\":");
        put_json_str(b, uid);
    }
    kapi_buf_putc(b, '}');
}

const char *kapi_satoken_issue(struct kapi_satoken *t, struct kapi_pool *pool, const struct kapi_satoken_claims *c,
                               int64_t now, int64_t *expires_unix, char *err, size_t errlen)
{
    if (!t->signer) {
        set_err(err, errlen, "no service-account signing key configured");
        return NULL;
    }
    if (!c->ns || !c->ns[0] || !c->sa_name || !c->sa_name[0]) {
        set_err(err, errlen, "namespace and service account name are required");
        return NULL;
    }
    int64_t exp = c->expiration_seconds ? c->expiration_seconds : KAPI_SATOKEN_DEFAULT_EXPIRATION;
    if (exp < KAPI_SATOKEN_MIN_EXPIRATION) {
        set_err(err, errlen, "may not specify a duration less than 10 minutes");
        return NULL;
    }
    if (exp > KAPI_SATOKEN_MAX_EXPIRATION) {
        set_err(err, errlen, "may not specify a duration larger than 2^32 seconds");
        return NULL;
    }
    enum { B_NONE, B_POD, B_SECRET, B_NODE } bound = B_NONE;
    if (c->bound_kind && c->bound_kind[0]) {
        if (!strcmp(c->bound_kind, "Pod"))
            bound = B_POD;
        else if (!strcmp(c->bound_kind, "Secret"))
            bound = B_SECRET;
        else if (!strcmp(c->bound_kind, "Node"))
            bound = B_NODE;
        else {
            set_err(err, errlen, "cannot bind token to object of type /v1, Kind=%s", c->bound_kind);
            return NULL;
        }
    }
    const char *const *aud = c->audiences;
    size_t naud = c->naud;
    if (!naud) {
        aud = (const char *const *)t->auds;
        naud = t->nauds;
    }

    if (t->max_expiration > 0 && exp > t->max_expiration)
        exp = t->max_expiration;
    int64_t status_exp = exp, warnafter = 0;
    if (t->extend && bound == B_POD && exp == KAPI_SATOKEN_WARN_ONLY_EXPIRATION) {
        bool kube = true; /* every requested audience must be an API audience */
        for (size_t i = 0; i < naud && kube; i++)
            kube = in_list(t->auds, t->nauds, aud[i]);
        if (kube) {
            warnafter = now + exp;
            exp = KAPI_SATOKEN_EXTENDED_EXPIRATION;
        }
    }

    char jti[37];
    kapi_uuid(jti);
    struct kapi_buf b;
    kapi_buf_init(&b, PAYLOAD_MAX);
    kapi_buf_putc(&b, '{');
    if (naud) {
        kapi_buf_puts(&b, "\"aud\":[");
        for (size_t i = 0; i < naud; i++) {
            if (i)
                kapi_buf_putc(&b, ',');
            put_json_str(&b, aud[i]);
        }
        kapi_buf_puts(&b, "],");
    }
    kapi_buf_printf(&b, "\"exp\":%lld,\"iat\":%lld,\"iss\":", (long long)(now + exp), (long long)now);
    put_json_str(&b, t->issuers[0]);
    kapi_buf_printf(&b, ",\"jti\":\"%s\",\"kubernetes.io\":{\"namespace\":", jti);
    put_json_str(&b, c->ns);
    if (bound == B_NODE)
        put_ref(&b, "node", c->bound_name, c->bound_uid);
    else if (bound == B_POD && c->pod_node_name && c->pod_node_name[0])
        put_ref(&b, "node", c->pod_node_name, c->pod_node_uid);
    if (bound == B_POD)
        put_ref(&b, "pod", c->bound_name, c->bound_uid);
    if (bound == B_SECRET)
        put_ref(&b, "secret", c->bound_name, c->bound_uid);
    put_ref(&b, "serviceaccount", c->sa_name, c->sa_uid);
    if (warnafter)
        kapi_buf_printf(&b, ",\"warnafter\":%lld", (long long)warnafter);
    kapi_buf_printf(&b, "},\"nbf\":%lld,\"sub\":", (long long)now);
    char *sub = kapi_xasprintf("system:serviceaccount:%s:%s", c->ns, c->sa_name);
    put_json_str(&b, sub);
    free(sub);
    if (kapi_buf_putc(&b, '}') < 0) {
        kapi_buf_dispose(&b);
        set_err(err, errlen, "token claims too large");
        return NULL;
    }
    const char *tok = sign_jwt(t, pool, &b, err, errlen);
    kapi_buf_dispose(&b);
    if (tok && expires_unix)
        *expires_unix = now + status_exp;
    return tok;
}

const char *kapi_satoken_issue_legacy(struct kapi_satoken *t, struct kapi_pool *pool, const char *ns,
                                      const char *sa_name, const char *sa_uid, const char *secret_name, char *err,
                                      size_t errlen)
{
    if (!t->signer) {
        set_err(err, errlen, "no service-account signing key configured");
        return NULL;
    }
    if (!ns || !ns[0] || !sa_name || !sa_name[0] || !secret_name || !secret_name[0] || !sa_uid || !sa_uid[0]) {
        set_err(err, errlen, "namespace, service account name and uid, and secret name are required");
        return NULL;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, PAYLOAD_MAX);
    kapi_buf_puts(&b, "{\"iss\":\"" KAPI_SATOKEN_LEGACY_ISSUER "\",\"kubernetes.io/serviceaccount/namespace\":");
    put_json_str(&b, ns);
    kapi_buf_puts(&b, ",\"kubernetes.io/serviceaccount/secret.name\":");
    put_json_str(&b, secret_name);
    kapi_buf_puts(&b, ",\"kubernetes.io/serviceaccount/service-account.name\":");
    put_json_str(&b, sa_name);
    kapi_buf_puts(&b, ",\"kubernetes.io/serviceaccount/service-account.uid\":");
    put_json_str(&b, sa_uid);
    kapi_buf_puts(&b, ",\"sub\":");
    char *sub = kapi_xasprintf("system:serviceaccount:%s:%s", ns, sa_name);
    put_json_str(&b, sub);
    free(sub);
    if (kapi_buf_putc(&b, '}') < 0) {
        kapi_buf_dispose(&b);
        set_err(err, errlen, "token claims too large");
        return NULL;
    }
    const char *tok = sign_jwt(t, pool, &b, err, errlen);
    kapi_buf_dispose(&b);
    return tok;
}

/* ---- verification ---- */

/* Claim readers in the manner of Go's decoder into typed fields: absent or
 * null leaves the default, a wrong type is an error (the token is rejected).
 * Strings holding NUL are refused outright: C callers would see them cut. */
static int claim_str(const struct kapi_value *obj, const char *key, const char **out)
{
    *out = NULL;
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (!v || v->type == KAPI_V_NULL)
        return 0;
    if (v->type != KAPI_V_STRING || strlen(v->u.str.s) != v->u.str.len)
        return -1;
    *out = v->u.str.s;
    return 0;
}

static int claim_date(const struct kapi_value *obj, const char *key, bool *present, int64_t *out)
{
    *present = false;
    *out = 0;
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (!v || v->type == KAPI_V_NULL)
        return 0;
    if (v->type == KAPI_V_INT) {
        *out = v->u.i;
    } else if (v->type == KAPI_V_FLOAT) {
        /* Fractions truncate, as a Go float64 -> int64 conversion does;
         * magnitudes past 2^62 are refused instead of wrapping. */
        if (!(v->u.f < 4611686018427387904.0 && v->u.f > -4611686018427387904.0))
            return -1;
        *out = (int64_t)v->u.f;
    } else {
        return -1;
    }
    *present = true;
    return 0;
}

struct ref {
    const char *name, *uid;
    bool present;
};

static int claim_ref(const struct kapi_value *obj, const char *key, struct ref *r)
{
    memset(r, 0, sizeof *r);
    const struct kapi_value *v = kapi_obj_get(obj, key);
    if (!v || v->type == KAPI_V_NULL)
        return 0;
    if (v->type != KAPI_V_OBJECT)
        return -1;
    r->present = true;
    if (claim_str(v, "name", &r->name) < 0 || claim_str(v, "uid", &r->uid) < 0)
        return -1;
    return 0;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Fails with a message; 1 means "not ours", -1 "ours but invalid". */
#define FAIL(rc, ...)                                                                                              \
    do {                                                                                                           \
        if (info)                                                                                                  \
            info->error = kapi_pool_printf(pool, __VA_ARGS__);                                                     \
        return (rc);                                                                                               \
    } while (0)

static void add_extra(struct kapi_satoken_info *info, const char *k, const char *v)
{
    info->extra_keys[info->nextra] = k;
    info->extra_values[info->nextra] = v;
    info->nextra++;
}

/* Upstream's SplitUsername, minus the name syntax checks. */
static bool sub_matches(const char *sub, const char *ns, const char *name)
{
    static const char prefix[] = "system:serviceaccount:";
    if (strncmp(sub, prefix, sizeof prefix - 1) != 0)
        return false;
    sub += sizeof prefix - 1;
    const char *colon = strchr(sub, ':');
    if (!colon || strchr(colon + 1, ':'))
        return false;
    return (size_t)(colon - sub) == strlen(ns) && !strncmp(sub, ns, (size_t)(colon - sub)) &&
           !strcmp(colon + 1, name);
}

static char *join_quoted(struct kapi_pool *pool, const char *const *v, size_t n)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 4096);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ' ');
        kapi_buf_printf(&b, "\"%s\"", v[i]);
    }
    kapi_buf_putc(&b, ']');
    char *s = kapi_pool_strdup(pool, b.data ? b.data : "[]");
    kapi_buf_dispose(&b);
    return s;
}

int kapi_satoken_authenticate_ex(struct kapi_satoken *t, struct kapi_pool *pool, const char *token,
                                 const char *const *api_audiences, size_t naud, int64_t now,
                                 kapi_satoken_exists_fn exists, void *ctx, struct kapi_user *out,
                                 struct kapi_satoken_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (!token)
        FAIL(1, "no token");
    size_t len = strnlen(token, KAPI_SATOKEN_MAX_LEN + 1);
    if (len > KAPI_SATOKEN_MAX_LEN)
        FAIL(1, "token too long");

    /* Shape first: three base64url parts, the middle one a JSON object with
     * an issuer we accept. Anything else belongs to another authenticator. */
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        FAIL(1, "not a JWT");
    size_t hlen = (size_t)(d1 - token), plen = (size_t)(d2 - d1 - 1), slen = len - (size_t)(d2 + 1 - token);
    unsigned char *payload = kapi_pool_alloc(pool, plen * 3 / 4 + 1);
    long pn = kapi_satoken_b64url_decode(d1 + 1, plen, payload);
    if (pn < 0)
        FAIL(1, "not a JWT: payload is not base64url");
    struct kapi_json_opts jopts = {.max_depth = JSON_DEPTH};
    struct kapi_json_error jerr;
    struct kapi_value *claims = kapi_json_parse(pool, (const char *)payload, (size_t)pn, &jopts, &jerr);
    if (!claims || claims->type != KAPI_V_OBJECT)
        FAIL(1, "not a JWT: payload is not a JSON object");
    const struct kapi_value *issv = kapi_obj_get(claims, "iss");
    const char *iss = issv && issv->type == KAPI_V_STRING ? issv->u.str.s : NULL;
    bool legacy = false;
    if (!iss || strlen(iss) != issv->u.str.len)
        FAIL(1, "no issuer");
    if (t->legacy && !strcmp(iss, KAPI_SATOKEN_LEGACY_ISSUER))
        legacy = true;
    else if (!in_list(t->issuers, t->nissuers, iss))
        FAIL(1, "issuer %s is not ours", iss);

    /* Header and signature: a token that names our issuer but does not parse
     * is still left to others (upstream does the same), a bad signature is not. */
    unsigned char *hdr = kapi_pool_alloc(pool, hlen * 3 / 4 + 1);
    long hn = kapi_satoken_b64url_decode(token, hlen, hdr);
    unsigned char *sig = kapi_pool_alloc(pool, slen * 3 / 4 + 1);
    long sn = kapi_satoken_b64url_decode(d2 + 1, slen, sig);
    if (hn < 0 || sn < 0)
        FAIL(1, "malformed JWS");
    struct kapi_value *h = kapi_json_parse(pool, (const char *)hdr, (size_t)hn, &jopts, &jerr);
    if (!h || h->type != KAPI_V_OBJECT)
        FAIL(1, "malformed JWS header");
    const char *alg, *kid;
    if (claim_str(h, "alg", &alg) < 0 || claim_str(h, "kid", &kid) < 0 || kapi_obj_get(h, "crit"))
        FAIL(1, "malformed JWS header");
    if (!alg || strcmp(alg, "RS256") != 0)
        FAIL(-1, "unexpected signature algorithm \"%s\"; expected [\"RS256\"]", nz(alg));

    bool any_key = false, verified = false;
    for (size_t i = 0; i < t->nkeys && !verified; i++) {
        if (kid && kid[0] && strcmp(kid, t->keys[i].kid) != 0)
            continue;
        any_key = true;
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        verified = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, t->keys[i].pkey) == 1 &&
                   EVP_DigestVerify(md, sig, (size_t)sn, (const unsigned char *)token, (size_t)(d2 - token)) == 1;
        EVP_MD_CTX_free(md);
    }
    ERR_clear_error();
    if (!any_key)
        FAIL(-1, "invalid signature, no keys found");
    if (!verified)
        FAIL(-1, "crypto/rsa: verification error");

    /* Public claims, typed as the JOSE library decodes them. */
    const char *sub, *jti;
    bool has_exp, has_nbf, has_iat;
    int64_t exp, nbf, iat;
    if (claim_str(claims, "sub", &sub) < 0 || claim_str(claims, "jti", &jti) < 0 ||
        claim_date(claims, "exp", &has_exp, &exp) < 0 || claim_date(claims, "nbf", &has_nbf, &nbf) < 0 ||
        claim_date(claims, "iat", &has_iat, &iat) < 0)
        FAIL(-1, "square/go-jose: error in cryptographic primitive");
    const char **taud = NULL;
    size_t ntaud = 0;
    const struct kapi_value *audv = kapi_obj_get(claims, "aud");
    if (audv && audv->type == KAPI_V_STRING) {
        taud = kapi_pool_alloc(pool, sizeof *taud);
        if (claim_str(claims, "aud", &taud[0]) < 0)
            FAIL(-1, "square/go-jose/jwt: expected string or array value to unmarshal to Audience");
        ntaud = 1;
    } else if (audv && audv->type == KAPI_V_ARRAY) {
        taud = kapi_pool_alloc(pool, (audv->u.arr.len + 1) * sizeof *taud);
        for (size_t i = 0; i < audv->u.arr.len; i++) {
            const struct kapi_value *a = audv->u.arr.items[i];
            if (a->type != KAPI_V_STRING || strlen(a->u.str.s) != a->u.str.len)
                FAIL(-1, "square/go-jose/jwt: expected string or array value to unmarshal to Audience");
            taud[ntaud++] = a->u.str.s;
        }
    } else if (audv && audv->type != KAPI_V_NULL) {
        FAIL(-1, "square/go-jose/jwt: expected string or array value to unmarshal to Audience");
    }

    /* Audiences: a token without any stands for the API audiences. */
    const char *const *req = api_audiences;
    size_t nreq = naud;
    if (!nreq) {
        req = (const char *const *)t->auds;
        nreq = t->nauds;
    }
    if (!ntaud) {
        taud = (const char **)t->auds;
        ntaud = t->nauds;
    }
    bool aud_ok = false;
    for (size_t i = 0; i < ntaud && !aud_ok; i++)
        for (size_t j = 0; j < nreq && !aud_ok; j++)
            aud_ok = !strcmp(taud[i], req[j]);
    if (!aud_ok && t->nauds)
        FAIL(-1, "token audiences %s is invalid for the target audiences %s", join_quoted(pool, taud, ntaud),
             join_quoted(pool, req, nreq));

    const char *ns = NULL, *sa_name = NULL, *sa_uid = NULL, *secret_name = NULL;
    struct ref pod = {0}, node = {0}, secret = {0};
    int64_t warnafter = 0;
    if (legacy) {
        if (claim_str(claims, "kubernetes.io/serviceaccount/namespace", &ns) < 0 ||
            claim_str(claims, "kubernetes.io/serviceaccount/secret.name", &secret_name) < 0 ||
            claim_str(claims, "kubernetes.io/serviceaccount/service-account.name", &sa_name) < 0 ||
            claim_str(claims, "kubernetes.io/serviceaccount/service-account.uid", &sa_uid) < 0)
            FAIL(-1, "Token could not be validated.");
        if (!sub || !sub[0])
            FAIL(-1, "sub claim is missing");
        if (!ns || !ns[0])
            FAIL(-1, "namespace claim is missing");
        if (!secret_name || !secret_name[0])
            FAIL(-1, "secretName claim is missing");
        if (!sa_name || !sa_name[0])
            FAIL(-1, "serviceAccountName claim is missing");
        if (!sa_uid || !sa_uid[0])
            FAIL(-1, "serviceAccountUID claim is missing");
        if (!sub_matches(sub, ns, sa_name))
            FAIL(-1, "sub claim is invalid");
        if (exists) {
            if (!exists(ctx, "Secret", ns, secret_name, NULL, token))
                FAIL(-1, "Token has been invalidated");
            if (!exists(ctx, "ServiceAccount", ns, sa_name, sa_uid, NULL))
                FAIL(-1, "ServiceAccount %s/%s has been deleted", ns, sa_name);
        }
    } else {
        /* Time window with upstream's one-minute leeway, checked in its order. */
        if (has_nbf && now + KAPI_SATOKEN_LEEWAY < nbf)
            FAIL(-1, "service account token is not valid yet");
        if (has_exp && now - KAPI_SATOKEN_LEEWAY > exp)
            FAIL(-1, "service account token has expired");
        if (has_iat && now + KAPI_SATOKEN_LEEWAY < iat)
            FAIL(-1, "service account token is issued in the future");

        const struct kapi_value *k = kapi_obj_get(claims, "kubernetes.io");
        struct ref sa = {0};
        bool has_wa = false;
        if (k && k->type != KAPI_V_OBJECT && k->type != KAPI_V_NULL)
            FAIL(-1, "service account token claims could not be parsed");
        if (k && k->type == KAPI_V_OBJECT &&
            (claim_str(k, "namespace", &ns) < 0 || claim_ref(k, "serviceaccount", &sa) < 0 ||
             claim_ref(k, "pod", &pod) < 0 || claim_ref(k, "secret", &secret) < 0 ||
             claim_ref(k, "node", &node) < 0 || claim_date(k, "warnafter", &has_wa, &warnafter) < 0))
            FAIL(-1, "service account token claims could not be parsed");
        sa_name = sa.name;
        sa_uid = sa.uid;
        /* Upstream would look up an empty name and fail to find it. */
        if (!ns || !ns[0] || !sa_name || !sa_name[0])
            FAIL(-1, "serviceaccounts \"%s\" not found", nz(sa_name));
        if (exists) {
            if (!exists(ctx, "ServiceAccount", ns, sa_name, nz(sa_uid), NULL))
                FAIL(-1, "service account %s/%s has been deleted or its UID does not match claim (%s)", ns,
                     sa_name, nz(sa_uid));
            if (secret.present && !exists(ctx, "Secret", ns, nz(secret.name), nz(secret.uid), NULL))
                FAIL(-1, "service account token has been invalidated");
            if (pod.present && !exists(ctx, "Pod", ns, nz(pod.name), nz(pod.uid), NULL))
                FAIL(-1, "service account token has been invalidated");
            if (node.present && !pod.present && !exists(ctx, "Node", "", nz(node.name), nz(node.uid), NULL))
                FAIL(-1, "service account token has been invalidated");
        }
        secret_name = secret.name;
    }

    const char *ns_p = kapi_pool_strdup(pool, ns);
    out->name = kapi_pool_printf(pool, "system:serviceaccount:%s:%s", ns, sa_name);
    out->uid = kapi_pool_strdup(pool, nz(sa_uid));
    out->groups = kapi_pool_alloc(pool, 2 * sizeof *out->groups);
    out->groups[0] = "system:serviceaccounts";
    out->groups[1] = kapi_pool_printf(pool, "system:serviceaccounts:%s", ns);
    out->ngroups = 2;
    if (info) {
        info->ns = ns_p;
        info->name = sa_name;
        info->uid = out->uid;
        info->legacy = legacy;
        info->secret_name = secret_name;
        if (!legacy) {
            if (pod.present && pod.name && pod.name[0] && pod.uid && pod.uid[0]) {
                info->pod_name = pod.name;
                info->pod_uid = pod.uid;
            }
            if (node.present && node.name && node.name[0]) {
                info->node_name = node.name;
                info->node_uid = node.uid && node.uid[0] ? node.uid : NULL;
            }
            if (jti && jti[0])
                info->credential_id = kapi_pool_printf(pool, "JTI=%s", jti);
            info->warnafter = warnafter;
            if (info->credential_id)
                add_extra(info, "authentication.kubernetes.io/credential-id", info->credential_id);
            if (info->node_name)
                add_extra(info, "authentication.kubernetes.io/node-name", info->node_name);
            if (info->node_uid)
                add_extra(info, "authentication.kubernetes.io/node-uid", info->node_uid);
            if (info->pod_name) {
                add_extra(info, "authentication.kubernetes.io/pod-name", info->pod_name);
                add_extra(info, "authentication.kubernetes.io/pod-uid", info->pod_uid);
            }
        }
    }
    return 0;
}

int kapi_satoken_authenticate(struct kapi_satoken *t, struct kapi_pool *pool, const char *token,
                              const char *const *api_audiences, size_t naud, int64_t now,
                              kapi_satoken_exists_fn exists, void *ctx, struct kapi_user *out)
{
    return kapi_satoken_authenticate_ex(t, pool, token, api_audiences, naud, now, exists, ctx, out, NULL);
}

int kapi_satoken_token_hook(void *hook, struct kapi_pool *pool, const char *token, struct kapi_user *out)
{
    struct kapi_satoken_hook *h = hook;
    struct kapi_satoken_info info;
    int rc = kapi_satoken_authenticate_ex(h->t, pool, token, NULL, 0, (int64_t)time(NULL), h->exists, h->exists_ctx,
                                          out, &info);
    if (rc < 0)
        kapi_log(2, "service account token rejected: %s", info.error ? info.error : "invalid");
    return rc == 0;
}
