/* OpenID Connect token authentication, after upstream's
 * k8s.io/apiserver/plugin/pkg/authenticator/token/oidc (legacy --oidc-*
 * flags turned into one JWT authenticator) and the go-oidc verifier it
 * uses. Checks, in go-oidc's order: compact JWS shape, claims decode, iss,
 * aud (must contain the client ID), exp (no leeway; absent = expired), nbf
 * (5 minutes leeway), alg in the allowed list, signature with a JWKS key
 * (matching kid, or any key when the token names none). Then kube's claim
 * mapping: username claim (+ email_verified rule, + prefix), groups claim
 * (string or array, + prefix), required claims. */
#include "oidc.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "../codec/json.h"
#include "../codec/value.h"
#include "../http/client.h"
#include "satoken.h"

#define NBF_LEEWAY_S 300
#define MAX_TOKEN 65536

struct jwk {
    char *kid;
    EVP_PKEY *pkey;
    bool ec;
    int ec_bytes; /* coordinate size: 32, 48, 66 */
};

struct keyset {
    struct jwk *k;
    size_t n;
    _Atomic long refs;
};

struct kapi_oidc {
    char *issuer, *client_id, *username_claim, *username_prefix, *groups_claim, *groups_prefix;
    char *ca_pem;
    char **req_keys, **req_vals;
    size_t nreq;
    char **algs;
    size_t nalgs;
    int retry_ms;
    int64_t now_unix;
    bool allow_http;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop, ready, thread_started;
    pthread_t thread;
    char *jwks_uri;          /* set once discovery succeeded (under mu) */
    struct keyset *keys;     /* current keys (under mu), refcounted */
    pthread_mutex_t fetch_mu;/* one JWKS fetch at a time */
    _Atomic uint64_t fetches;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...) KAPI_PRINTF(3, 4);
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char *const known_algs[] = {"ES256", "ES384", "ES512", "PS256", "PS384",
                                         "PS512", "RS256", "RS384", "RS512"};

static char *xdup(const char *s)
{
    return s ? kapi_xstrdup(s) : NULL;
}

/* ---- keys ---- */

static void keyset_unref(struct keyset *ks)
{
    if (!ks || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ks->n; i++) {
        free(ks->k[i].kid);
        EVP_PKEY_free(ks->k[i].pkey);
    }
    free(ks->k);
    free(ks);
}

/* base64url bytes of a JWK member (padding tolerated); NULL when absent/bad. */
static unsigned char *jwk_bytes(struct kapi_pool *pool, const struct kapi_value *k, const char *name, size_t *len)
{
    const char *s = kapi_obj_get_str(k, name);
    if (!s)
        return NULL;
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    unsigned char *out = kapi_pool_alloc(pool, n * 3 / 4 + 2);
    long r = kapi_satoken_b64url_decode(s, n, out);
    if (r <= 0)
        return NULL;
    *len = (size_t)r;
    return out;
}

static EVP_PKEY *rsa_key(struct kapi_pool *pool, const struct kapi_value *k)
{
    size_t nl, el;
    unsigned char *n = jwk_bytes(pool, k, "n", &nl), *e = jwk_bytes(pool, k, "e", &el);
    if (!n || !e)
        return NULL;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL), *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (bn && be && b && ctx && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) && (params = OSSL_PARAM_BLD_to_param(b)) &&
        EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    BN_free(bn);
    BN_free(be);
    return pk;
}

static EVP_PKEY *ec_key(struct kapi_pool *pool, const struct kapi_value *k, int *bytes)
{
    const char *crv = kapi_obj_get_str(k, "crv");
    const char *group;
    if (crv && !strcmp(crv, "P-256"))
        group = "prime256v1", *bytes = 32;
    else if (crv && !strcmp(crv, "P-384"))
        group = "secp384r1", *bytes = 48;
    else if (crv && !strcmp(crv, "P-521"))
        group = "secp521r1", *bytes = 66;
    else
        return NULL;
    size_t xl, yl;
    unsigned char *x = jwk_bytes(pool, k, "x", &xl), *y = jwk_bytes(pool, k, "y", &yl);
    if (!x || !y || xl != (size_t)*bytes || yl != (size_t)*bytes)
        return NULL;
    unsigned char pub[1 + 2 * 66];
    pub[0] = 4;
    memcpy(pub + 1, x, xl);
    memcpy(pub + 1 + xl, y, yl);
    OSSL_PARAM params[3] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + xl + yl),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pk = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static int http_get(struct kapi_oidc *o, struct kapi_pool *pool, const char *url, struct kapi_value **out,
                    char *err, size_t errlen)
{
    struct kapi_http_client_req req = {
        .url = url,
        .method = "GET",
        .ca_pem = o->ca_pem,
        .timeout_ms = 30000,
        .allow_http = o->allow_http,
        .user_agent = "kube-apiserver/v1.33.0 (linux/amd64) kubernetes/kapi",
    };
    struct kapi_http_client_resp resp;
    int rc = kapi_http_client_do(&req, &resp);
    if (rc < 0) {
        seterr(err, errlen, "%s", resp.err);
        kapi_http_client_resp_dispose(&resp);
        return -1;
    }
    if (resp.status != 200) {
        seterr(err, errlen, "%d: %.200s", resp.status, resp.body ? resp.body : "");
        kapi_http_client_resp_dispose(&resp);
        return -1;
    }
    struct kapi_json_error je;
    *out = kapi_json_parse(pool, resp.body, resp.body_len, NULL, &je);
    kapi_http_client_resp_dispose(&resp);
    if (!*out || (*out)->type != KAPI_V_OBJECT) {
        seterr(err, errlen, "failed to decode response: not a JSON object");
        return -1;
    }
    return 0;
}

/* Fetches the JWKS and makes it current. */
static int fetch_keys(struct kapi_oidc *o, char *err, size_t errlen)
{
    pthread_mutex_lock(&o->mu);
    char *uri = xdup(o->jwks_uri);
    pthread_mutex_unlock(&o->mu);
    if (!uri) {
        seterr(err, errlen, "no jwks_uri");
        return -1;
    }
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *doc = NULL;
    atomic_fetch_add(&o->fetches, 1);
    int rc = http_get(o, pool, uri, &doc, err, errlen);
    free(uri);
    if (rc == 0) {
        const struct kapi_value *keys = kapi_obj_get(doc, "keys");
        struct keyset *ks = kapi_xcalloc(1, sizeof *ks);
        ks->refs = 1;
        size_t n = keys && keys->type == KAPI_V_ARRAY ? keys->u.arr.len : 0;
        ks->k = kapi_xcalloc(n ? n : 1, sizeof *ks->k);
        for (size_t i = 0; i < n; i++) {
            const struct kapi_value *k = keys->u.arr.items[i];
            const char *kty = kapi_obj_get_str(k, "kty");
            struct jwk j = {0};
            if (kty && !strcmp(kty, "RSA"))
                j.pkey = rsa_key(pool, k);
            else if (kty && !strcmp(kty, "EC"))
                j.pkey = ec_key(pool, k, &j.ec_bytes), j.ec = true;
            if (!j.pkey)
                continue; /* keys we cannot use are skipped */
            j.kid = kapi_xstrdup(kapi_obj_get_str(k, "kid") ? kapi_obj_get_str(k, "kid") : "");
            ks->k[ks->n++] = j;
        }
        ERR_clear_error();
        pthread_mutex_lock(&o->mu);
        struct keyset *old = o->keys;
        o->keys = ks;
        pthread_mutex_unlock(&o->mu);
        keyset_unref(old);
    }
    kapi_pool_free(pool);
    return rc;
}

/* ---- discovery ---- */

static int discover(struct kapi_oidc *o, char *err, size_t errlen)
{
    size_t il = strlen(o->issuer);
    while (il && o->issuer[il - 1] == '/')
        il--;
    char *url = kapi_xasprintf("%.*s/.well-known/openid-configuration", (int)il, o->issuer);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *doc = NULL;
    int rc = http_get(o, pool, url, &doc, err, errlen);
    free(url);
    if (rc == 0) {
        const char *iss = kapi_obj_get_str(doc, "issuer");
        const char *jwks = kapi_obj_get_str(doc, "jwks_uri");
        if (!iss || strcmp(iss, o->issuer) != 0) {
            seterr(err, errlen, "oidc: issuer did not match the issuer returned by provider, expected \"%s\" got \"%s\"",
                   o->issuer, iss ? iss : "");
            rc = -1;
        } else if (!jwks || !*jwks) {
            seterr(err, errlen, "oidc: provider has no jwks_uri");
            rc = -1;
        } else {
            pthread_mutex_lock(&o->mu);
            o->jwks_uri = kapi_xstrdup(jwks);
            o->ready = true;
            pthread_cond_broadcast(&o->cv);
            pthread_mutex_unlock(&o->mu);
        }
    }
    kapi_pool_free(pool);
    return rc;
}

static void *discovery_main(void *arg)
{
    kapi_thread_name("oidc-discovery");
    struct kapi_oidc *o = arg;
    for (;;) {
        char err[512];
        if (discover(o, err, sizeof err) == 0)
            return NULL;
        kapi_log(0, "oidc authenticator: initializing plugin: %s", err);
        pthread_mutex_lock(&o->mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (int64_t)(o->retry_ms % 1000) * 1000000;
        ts.tv_sec += o->retry_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        while (!o->stop && pthread_cond_timedwait(&o->cv, &o->mu, &ts) != ETIMEDOUT)
            ;
        bool stop = o->stop;
        pthread_mutex_unlock(&o->mu);
        if (stop)
            return NULL;
    }
}

/* ---- construction ---- */

static bool https_issuer_ok(const char *u, bool allow_http, char *err, size_t errlen)
{
    if (strncmp(u, "https://", 8) != 0 && !(allow_http && strncmp(u, "http://", 7) == 0)) {
        seterr(err, errlen, "issuer.url: Invalid value: \"%s\": URL scheme must be https", u);
        return false;
    }
    if (strchr(u, '?')) {
        seterr(err, errlen, "issuer.url: Invalid value: \"%s\": URL must not contain a query", u);
        return false;
    }
    if (strchr(u, '#')) {
        seterr(err, errlen, "issuer.url: Invalid value: \"%s\": URL must not contain a fragment", u);
        return false;
    }
    const char *host = strstr(u, "://") + 3;
    size_t hl = strcspn(host, "/");
    if (memchr(host, '@', hl)) {
        seterr(err, errlen, "issuer.url: Invalid value: \"%s\": URL must not contain a username or password", u);
        return false;
    }
    if (!hl) {
        seterr(err, errlen, "issuer.url: Invalid value: \"%s\": URL must have a host", u);
        return false;
    }
    return true;
}

void kapi_oidc_free(struct kapi_oidc *o)
{
    if (!o)
        return;
    if (o->thread_started) {
        pthread_mutex_lock(&o->mu);
        o->stop = true;
        pthread_cond_broadcast(&o->cv);
        pthread_mutex_unlock(&o->mu);
        pthread_join(o->thread, NULL);
    }
    free(o->issuer);
    free(o->client_id);
    free(o->username_claim);
    free(o->username_prefix);
    free(o->groups_claim);
    free(o->groups_prefix);
    free(o->ca_pem);
    for (size_t i = 0; i < o->nreq; i++) {
        free(o->req_keys[i]);
        free(o->req_vals[i]);
    }
    free(o->req_keys);
    free(o->req_vals);
    for (size_t i = 0; i < o->nalgs; i++)
        free(o->algs[i]);
    free(o->algs);
    free(o->jwks_uri);
    keyset_unref(o->keys);
    pthread_mutex_destroy(&o->mu);
    pthread_mutex_destroy(&o->fetch_mu);
    pthread_cond_destroy(&o->cv);
    free(o);
}

struct kapi_oidc *kapi_oidc_new(const struct kapi_oidc_opts *opt, char *err, size_t errlen)
{
    const char *iss = opt->issuer_url ? opt->issuer_url : "";
    const char *cid = opt->client_id ? opt->client_id : "";
    if (!*iss || !*cid) {
        seterr(err, errlen, "oidc-issuer-url and oidc-client-id must be specified together");
        return NULL;
    }
    if (!https_issuer_ok(iss, opt->allow_http, err, errlen))
        return NULL;
    for (size_t i = 0; i < opt->nalgs; i++) {
        bool ok = false;
        for (size_t j = 0; j < KAPI_ARRAY_LEN(known_algs) && !ok; j++)
            ok = strcmp(opt->signing_algs[i], known_algs[j]) == 0;
        if (!ok) {
            seterr(err, errlen, "oidc: unsupported signing alg: \"%s\"", opt->signing_algs[i]);
            return NULL;
        }
    }
    char *ca = NULL;
    if (opt->ca_pem) {
        ca = kapi_xstrdup(opt->ca_pem);
    } else if (opt->ca_file && *opt->ca_file) {
        FILE *f = fopen(opt->ca_file, "rb");
        if (!f) {
            seterr(err, errlen, "Failed to read the CA file %s: %s", opt->ca_file, strerror(errno));
            return NULL;
        }
        struct kapi_buf b;
        kapi_buf_init(&b, 16u << 20);
        char chunk[8192];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            kapi_buf_append(&b, chunk, n);
        fclose(f);
        kapi_buf_putc(&b, 0);
        ca = b.data;
    }
    struct kapi_oidc *o = kapi_xcalloc(1, sizeof *o);
    o->ca_pem = ca;
    o->issuer = kapi_xstrdup(iss);
    o->client_id = kapi_xstrdup(cid);
    o->username_claim = kapi_xstrdup(opt->username_claim && *opt->username_claim ? opt->username_claim : "sub");
    /* kube-apiserver's legacy prefix rule: unset prefix means "<issuer>#"
     * unless the claim is email; "-" means no prefix at all. */
    const char *up = opt->username_prefix ? opt->username_prefix : "";
    if (!*up && strcmp(o->username_claim, "email") != 0)
        o->username_prefix = kapi_xasprintf("%s#", iss);
    else if (!strcmp(up, "-"))
        o->username_prefix = kapi_xstrdup("");
    else
        o->username_prefix = kapi_xstrdup(up);
    o->groups_claim = xdup(opt->groups_claim && *opt->groups_claim ? opt->groups_claim : NULL);
    o->groups_prefix = kapi_xstrdup(opt->groups_prefix ? opt->groups_prefix : "");
    o->req_keys = kapi_xcalloc(opt->nrequired + 1, sizeof(char *));
    o->req_vals = kapi_xcalloc(opt->nrequired + 1, sizeof(char *));
    for (size_t i = 0; i < opt->nrequired; i++) {
        const char *kv = opt->required_claims[i];
        const char *eq = strchr(kv, '=');
        /* a later entry for the same claim replaces an earlier one (a map) */
        char *k = eq ? kapi_xstrndup(kv, (size_t)(eq - kv)) : kapi_xstrdup(kv);
        size_t j = 0;
        while (j < o->nreq && strcmp(o->req_keys[j], k) != 0)
            j++;
        if (j < o->nreq) {
            free(k);
            free(o->req_vals[j]);
        } else {
            o->req_keys[o->nreq++] = k;
        }
        o->req_vals[j] = kapi_xstrdup(eq ? eq + 1 : "");
    }
    o->nalgs = opt->nalgs ? opt->nalgs : 1;
    o->algs = kapi_xcalloc(o->nalgs, sizeof(char *));
    for (size_t i = 0; i < o->nalgs; i++)
        o->algs[i] = kapi_xstrdup(opt->nalgs ? opt->signing_algs[i] : "RS256");
    o->retry_ms = opt->retry_ms > 0 ? opt->retry_ms : 10000;
    o->now_unix = opt->now_unix;
    o->allow_http = opt->allow_http;
    pthread_mutex_init(&o->mu, NULL);
    pthread_mutex_init(&o->fetch_mu, NULL);
    pthread_condattr_t ca_attr;
    pthread_condattr_init(&ca_attr);
    pthread_cond_init(&o->cv, &ca_attr);
    pthread_condattr_destroy(&ca_attr);
    if (pthread_create(&o->thread, NULL, discovery_main, o) != 0) {
        seterr(err, errlen, "oidc: cannot start discovery");
        kapi_oidc_free(o);
        return NULL;
    }
    o->thread_started = true;
    return o;
}

bool kapi_oidc_ready(struct kapi_oidc *o)
{
    pthread_mutex_lock(&o->mu);
    bool r = o->ready;
    pthread_mutex_unlock(&o->mu);
    return r;
}

bool kapi_oidc_wait_ready(struct kapi_oidc *o, int timeout_ms)
{
    int64_t end = kapi_now_ms() + timeout_ms;
    while (!kapi_oidc_ready(o)) {
        if (kapi_now_ms() >= end)
            return false;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return true;
}

uint64_t kapi_oidc_jwks_fetches(const struct kapi_oidc *o)
{
    return atomic_load(&((struct kapi_oidc *)o)->fetches);
}

/* ---- verification ---- */

static const EVP_MD *alg_md(const char *alg)
{
    const char *bits = alg + 2;
    if (!strcmp(bits, "256"))
        return EVP_sha256();
    if (!strcmp(bits, "384"))
        return EVP_sha384();
    return EVP_sha512();
}

static bool verify_with(const struct jwk *k, const char *alg, const unsigned char *input, size_t ilen,
                        const unsigned char *sig, size_t slen)
{
    const EVP_MD *md = alg_md(alg);
    bool ok = false;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (alg[0] == 'E') {
        int want = !strcmp(alg, "ES256") ? 32 : !strcmp(alg, "ES384") ? 48 : 66;
        if (!k->ec || k->ec_bytes != want || slen != (size_t)(2 * want))
            goto out;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, want, NULL), *s = BN_bin2bn(sig + want, want, NULL);
        if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(es);
            goto out;
        }
        unsigned char *der = NULL;
        int dl = i2d_ECDSA_SIG(es, &der);
        ECDSA_SIG_free(es);
        ok = dl > 0 && EVP_DigestVerifyInit(mctx, NULL, md, NULL, k->pkey) == 1 &&
             EVP_DigestVerify(mctx, der, (size_t)dl, input, ilen) == 1;
        OPENSSL_free(der);
    } else {
        if (k->ec)
            goto out;
        if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, k->pkey) != 1)
            goto out;
        if (alg[0] == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1 ||
                              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1))
            goto out;
        ok = EVP_DigestVerify(mctx, sig, slen, input, ilen) == 1;
    }
out:
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    return ok;
}

static bool verify_keyset(struct keyset *ks, const char *kid, const char *alg, const unsigned char *input,
                          size_t ilen, const unsigned char *sig, size_t slen)
{
    for (size_t i = 0; ks && i < ks->n; i++)
        if ((!kid || !*kid || !strcmp(kid, ks->k[i].kid)) && verify_with(&ks->k[i], alg, input, ilen, sig, slen))
            return true;
    return false;
}

static struct keyset *current_keys(struct kapi_oidc *o)
{
    pthread_mutex_lock(&o->mu);
    struct keyset *ks = o->keys;
    if (ks)
        atomic_fetch_add(&ks->refs, 1);
    pthread_mutex_unlock(&o->mu);
    return ks;
}

static bool verify_signature(struct kapi_oidc *o, const char *kid, const char *alg, const unsigned char *input,
                             size_t ilen, const unsigned char *sig, size_t slen, char *err, size_t errlen)
{
    struct keyset *ks = current_keys(o);
    bool ok = verify_keyset(ks, kid, alg, input, ilen, sig, slen);
    keyset_unref(ks);
    if (ok)
        return true;
    /* The keys may have rotated: fetch them again (one fetch at a time;
     * a caller that waited re-checks what the other one fetched first). */
    pthread_mutex_lock(&o->fetch_mu);
    struct keyset *before = current_keys(o);
    bool changed = before != ks;
    ok = changed && verify_keyset(before, kid, alg, input, ilen, sig, slen);
    keyset_unref(before);
    if (!ok && !changed) {
        char ferr[256];
        if (fetch_keys(o, ferr, sizeof ferr) < 0) {
            pthread_mutex_unlock(&o->fetch_mu);
            seterr(err, errlen, "failed to verify signature: fetching keys oidc: get keys failed: %s", ferr);
            return false;
        }
        struct keyset *now = current_keys(o);
        ok = verify_keyset(now, kid, alg, input, ilen, sig, slen);
        keyset_unref(now);
    }
    pthread_mutex_unlock(&o->fetch_mu);
    if (!ok)
        seterr(err, errlen, "failed to verify signature: failed to verify id token signature");
    return ok;
}

static struct kapi_value *decode_part(struct kapi_pool *pool, const char *s, size_t n)
{
    unsigned char *buf = kapi_pool_alloc(pool, n * 3 / 4 + 2);
    long r = kapi_satoken_b64url_decode(s, n, buf);
    if (r < 0)
        return NULL;
    struct kapi_json_error je;
    struct kapi_value *v = kapi_json_parse(pool, (const char *)buf, (size_t)r, NULL, &je);
    return v && v->type == KAPI_V_OBJECT ? v : NULL;
}

static bool num(const struct kapi_value *v, double *out)
{
    if (v && v->type == KAPI_V_INT) {
        *out = (double)v->u.i;
        return true;
    }
    if (v && v->type == KAPI_V_FLOAT) {
        *out = v->u.f;
        return true;
    }
    return false;
}

static const char *go_quote_list(struct kapi_pool *pool, const struct kapi_value *aud)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    if (aud && aud->type == KAPI_V_STRING) {
        kapi_buf_printf(&b, "\"%s\"", aud->u.str.s);
    } else if (aud && aud->type == KAPI_V_ARRAY) {
        for (size_t i = 0; i < aud->u.arr.len; i++)
            kapi_buf_printf(&b, "%s\"%s\"", i ? " " : "", kapi_value_cstr(aud->u.arr.items[i]) ? kapi_value_cstr(aud->u.arr.items[i]) : "");
    }
    kapi_buf_putc(&b, ']');
    const char *r = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return r;
}

#define FAIL(...)                                                                                               \
    do {                                                                                                        \
        if (why)                                                                                                \
            *why = kapi_pool_printf(pool, __VA_ARGS__);                                                         \
        return -1;                                                                                              \
    } while (0)

int kapi_oidc_authenticate(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out,
                           const char **why)
{
    struct kapi_oidc *o = ctx;
    size_t len = token ? strnlen(token, MAX_TOKEN + 1) : 0;
    if (!len || len > MAX_TOKEN)
        return 0;
    /* Not ours unless the unverified iss is our issuer. */
    const char *p = token;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (*p == '{')
        return 0;
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.'))
        return 0;
    struct kapi_value *claims = decode_part(pool, d1 + 1, (size_t)(d2 - d1 - 1));
    if (!claims)
        return 0;
    const struct kapi_value *issv = kapi_obj_get(claims, "iss");
    if (issv && issv->type != KAPI_V_STRING && issv->type != KAPI_V_NULL)
        return 0;
    const char *iss = issv && issv->type == KAPI_V_STRING ? issv->u.str.s : "";
    if (!strcmp(iss, "accounts.google.com"))
        iss = "https://accounts.google.com";
    if (strcmp(iss, o->issuer) != 0)
        return 0;

    if (!kapi_oidc_ready(o))
        FAIL("oidc: authenticator not initialized");

    struct kapi_value *hdr = decode_part(pool, token, (size_t)(d1 - token));
    size_t slen_enc = len - (size_t)(d2 + 1 - token);
    unsigned char *sig = kapi_pool_alloc(pool, slen_enc * 3 / 4 + 2);
    long sl = kapi_satoken_b64url_decode(d2 + 1, slen_enc, sig);
    if (!hdr || sl < 0)
        FAIL("oidc: verify token: oidc: malformed jwt: go-jose/go-jose: compact JWS format must have three parts");
    /* go-oidc's claim checks */
    const struct kapi_value *realiss = kapi_obj_get(claims, "iss");
    if (!realiss || realiss->type != KAPI_V_STRING || strcmp(realiss->u.str.s, o->issuer) != 0)
        FAIL("oidc: verify token: oidc: id token issued by a different provider, expected \"%s\" got \"%s\"",
             o->issuer, kapi_value_cstr(realiss) ? kapi_value_cstr(realiss) : "");
    const struct kapi_value *aud = kapi_obj_get(claims, "aud");
    bool aud_ok = false;
    if (aud && aud->type == KAPI_V_STRING)
        aud_ok = !strcmp(aud->u.str.s, o->client_id);
    else if (aud && aud->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < aud->u.arr.len && !aud_ok; i++) {
            const char *a = kapi_value_cstr(aud->u.arr.items[i]);
            if (!a)
                FAIL("oidc: verify token: oidc: failed to unmarshal claims: json: cannot unmarshal into audience");
            aud_ok = !strcmp(a, o->client_id);
        }
    else if (aud && aud->type != KAPI_V_NULL)
        FAIL("oidc: verify token: oidc: failed to unmarshal claims: json: cannot unmarshal into audience");
    double exp = 0, nbf = 0;
    const struct kapi_value *expv = kapi_obj_get(claims, "exp"), *nbfv = kapi_obj_get(claims, "nbf");
    if ((expv && expv->type != KAPI_V_NULL && !num(expv, &exp)) ||
        (nbfv && nbfv->type != KAPI_V_NULL && !num(nbfv, &nbf)))
        FAIL("oidc: verify token: oidc: failed to unmarshal claims: json: cannot unmarshal into time");
    if (!aud_ok)
        FAIL("oidc: verify token: oidc: expected audience \"%s\" got %s", o->client_id, go_quote_list(pool, aud));
    double now = o->now_unix ? (double)o->now_unix : (double)kapi_wall_ms() / 1000.0;
    if (!expv || expv->type == KAPI_V_NULL || exp < now)
        FAIL("oidc: verify token: oidc: token is expired (Token Expiry: %.0f)", exp);
    if (nbfv && nbfv->type != KAPI_V_NULL && now + NBF_LEEWAY_S < nbf)
        FAIL("oidc: verify token: oidc: current time %.0f before the nbf (not before) time: %.0f", now, nbf);
    const char *alg = kapi_obj_get_str(hdr, "alg");
    bool alg_ok = false;
    for (size_t i = 0; alg && i < o->nalgs && !alg_ok; i++)
        alg_ok = !strcmp(alg, o->algs[i]);
    if (!alg_ok)
        FAIL("oidc: verify token: oidc: id token signed with unsupported algorithm, expected [%s] got \"%s\"",
             o->algs[0], alg ? alg : "");
    const char *kid = kapi_obj_get_str(hdr, "kid");
    char verr[256];
    if (!verify_signature(o, kid, alg, (const unsigned char *)token, (size_t)(d2 - token), sig, (size_t)sl, verr,
                          sizeof verr))
        FAIL("oidc: verify token: %s", verr);

    /* kube's claim mapping */
    const struct kapi_value *uv = kapi_obj_get(claims, o->username_claim);
    if (!uv)
        FAIL("oidc: parse username claims \"%s\": claim not present", o->username_claim);
    if (uv->type != KAPI_V_STRING)
        FAIL("oidc: parse username claims \"%s\": json: cannot unmarshal into Go value of type string",
             o->username_claim);
    if (!strcmp(o->username_claim, "email")) {
        const struct kapi_value *ev = kapi_obj_get(claims, "email_verified");
        if (ev) {
            if (ev->type != KAPI_V_BOOL)
                FAIL("oidc: parse 'email_verified' claim: json: cannot unmarshal into Go value of type bool");
            if (!ev->u.b)
                FAIL("oidc: email not verified");
        }
    }
    memset(out, 0, sizeof *out);
    out->name = kapi_pool_printf(pool, "%s%s", o->username_prefix, uv->u.str.s);
    out->uid = "";
    if (o->groups_claim) {
        const struct kapi_value *gv = kapi_obj_get(claims, o->groups_claim);
        if (gv && gv->type == KAPI_V_STRING) {
            out->groups = kapi_pool_alloc(pool, sizeof(char *));
            out->groups[0] = kapi_pool_printf(pool, "%s%s", o->groups_prefix, gv->u.str.s);
            out->ngroups = 1;
        } else if (gv && gv->type == KAPI_V_ARRAY) {
            out->groups = kapi_pool_alloc(pool, (gv->u.arr.len + 1) * sizeof(char *));
            for (size_t i = 0; i < gv->u.arr.len; i++) {
                const char *g = kapi_value_cstr(gv->u.arr.items[i]);
                if (!g)
                    FAIL("oidc: parse groups claim \"%s\": json: cannot unmarshal into Go value of type string",
                         o->groups_claim);
                out->groups[out->ngroups++] = kapi_pool_printf(pool, "%s%s", o->groups_prefix, g);
            }
        } else if (gv && gv->type != KAPI_V_NULL) {
            FAIL("oidc: parse groups claim \"%s\": json: cannot unmarshal into Go value of type string",
                 o->groups_claim);
        }
    }
    for (size_t i = 0; i < o->nreq; i++) {
        const struct kapi_value *cv = kapi_obj_get(claims, o->req_keys[i]);
        if (!cv)
            FAIL("oidc: required claim %s not present in ID token", o->req_keys[i]);
        if (cv->type != KAPI_V_STRING)
            FAIL("oidc: parse claim %s: json: cannot unmarshal into Go value of type string", o->req_keys[i]);
        if (strcmp(cv->u.str.s, o->req_vals[i]) != 0)
            FAIL("oidc: required claim %s value does not match. Got = %s, want = %s", o->req_keys[i], cv->u.str.s,
                 o->req_vals[i]);
    }
    return 1;
}
