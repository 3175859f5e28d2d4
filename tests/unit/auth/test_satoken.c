/* Unit tests for src/auth/satoken: issuing and verifying service-account
 * JWTs, legacy secret tokens and the OIDC discovery documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth/authn.h"
#include "auth/satoken.h"
#include "base/b64.h"
#include "base/base.h"
#include "codec/json.h"

#define NOW 1700000000LL
#define ISS KAPI_SATOKEN_DEFAULT_ISSUER

/* Two RSA keys shared by all tests (generation is the slow part). */
static EVP_PKEY *key1, *key2;
static char *priv1, *pub1, *priv2, *pub2;
static size_t priv1_len, pub1_len, priv2_len, pub2_len;

static char *pem_of(EVP_PKEY *k, bool priv, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (priv)
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    else
        PEM_write_bio_PUBKEY(b, k);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = kapi_xstrndup(data, (size_t)n);
    *len = (size_t)n;
    BIO_free(b);
    return out;
}

static int setup_keys(void **state)
{
    key1 = EVP_RSA_gen(2048);
    key2 = EVP_RSA_gen(2048);
    if (!key1 || !key2)
        return -1;
    priv1 = pem_of(key1, true, &priv1_len);
    pub1 = pem_of(key1, false, &pub1_len);
    priv2 = pem_of(key2, true, &priv2_len);
    pub2 = pem_of(key2, false, &pub2_len);
    return 0;
}

static int teardown_keys(void **state)
{
    EVP_PKEY_free(key1);
    EVP_PKEY_free(key2);
    free(priv1);
    free(pub1);
    free(priv2);
    free(pub2);
    return 0;
}

static struct kapi_satoken *signer1(void)
{
    char err[256] = "";
    struct kapi_satoken *t = kapi_satoken_new_mem(NULL, priv1, priv1_len, NULL, NULL, 0, err, sizeof err);
    if (!t)
        fail_msg("new: %s", err);
    return t;
}

/* ---- an exists() callback backed by a tiny table ---- */

struct obj {
    const char *kind, *ns, *name, *uid, *token;
};
struct world {
    struct obj objs[8];
    size_t n;
    int calls;
    char log[512];
};

static bool world_exists(void *ctx, const char *kind, const char *ns, const char *name, const char *uid,
                         const char *secret_token)
{
    struct world *w = ctx;
    w->calls++;
    size_t l = strlen(w->log);
    snprintf(w->log + l, sizeof w->log - l, "%s %s/%s %s%s;", kind, ns, name, uid ? uid : "-",
             secret_token ? " +token" : "");
    for (size_t i = 0; i < w->n; i++) {
        const struct obj *o = &w->objs[i];
        if (strcmp(o->kind, kind) || strcmp(o->ns, ns) || strcmp(o->name, name))
            continue;
        if (uid && strcmp(o->uid, uid))
            return false;
        if (secret_token && (!o->token || strcmp(o->token, secret_token)))
            return false;
        return true;
    }
    return false;
}

static void world_add(struct world *w, const char *kind, const char *ns, const char *name, const char *uid,
                      const char *token)
{
    w->objs[w->n++] = (struct obj){kind, ns, name, uid, token};
}

/* ---- JWT helpers ---- */

static char *part(struct kapi_pool *pool, const char *tok, int idx)
{
    const char *s = tok;
    for (int i = 0; i < idx; i++)
        s = strchr(s, '.') + 1;
    const char *e = strchr(s, '.');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    unsigned char *out = kapi_pool_alloc(pool, n + 1);
    long r = kapi_satoken_b64url_decode(s, n, out);
    assert_true(r >= 0);
    return (char *)out;
}

/* Signs header.payload (JSON texts) with key using RS256 (or returns
 * "h.p." when key is NULL). */
static char *make_jwt(struct kapi_pool *pool, const char *header, const char *payload, EVP_PKEY *key)
{
    char *h = kapi_b64_encode_pool(pool, header, strlen(header), KAPI_B64_URL | KAPI_B64_RAW);
    char *p = kapi_b64_encode_pool(pool, payload, strlen(payload), KAPI_B64_URL | KAPI_B64_RAW);
    char *input = kapi_pool_printf(pool, "%s.%s", h, p);
    if (!key)
        return kapi_pool_printf(pool, "%s.", input);
    unsigned char sig[512];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, strlen(input)), 1);
    EVP_MD_CTX_free(md);
    return kapi_pool_printf(pool, "%s.%s", input,
                            kapi_b64_encode_pool(pool, sig, siglen, KAPI_B64_URL | KAPI_B64_RAW));
}

static const char *issue(struct kapi_satoken *t, struct kapi_pool *pool, const struct kapi_satoken_claims *c,
                         int64_t *exp)
{
    char err[256] = "";
    int64_t e = 0;
    const char *tok = kapi_satoken_issue(t, pool, c, NOW, &e, err, sizeof err);
    if (!tok)
        fail_msg("issue: %s", err);
    if (exp)
        *exp = e;
    return tok;
}

static const struct kapi_satoken_claims basic = {.ns = "default", .sa_name = "builder", .sa_uid = "sa-uid-1"};

/* ---- tests ---- */

static void test_b64url(void **state)
{
    struct kapi_pool *pool = kapi_pool_new();
    assert_string_equal(kapi_b64_encode_pool(pool, "", 0, KAPI_B64_URL | KAPI_B64_RAW), "");
    assert_string_equal(kapi_b64_encode_pool(pool, "f", 1, KAPI_B64_URL | KAPI_B64_RAW), "Zg");
    assert_string_equal(kapi_b64_encode_pool(pool, "fo", 2, KAPI_B64_URL | KAPI_B64_RAW), "Zm8");
    assert_string_equal(kapi_b64_encode_pool(pool, "foo", 3, KAPI_B64_URL | KAPI_B64_RAW), "Zm9v");
    assert_string_equal(kapi_b64_encode_pool(pool, "\xfb\xff\xfe", 3, KAPI_B64_URL | KAPI_B64_RAW), "-__-");
    unsigned char out[16];
    assert_int_equal(kapi_satoken_b64url_decode("Zm9vYg", 6, out), 4);
    assert_memory_equal(out, "foob", 4);
    assert_int_equal(kapi_satoken_b64url_decode("-__-", 4, out), 3);
    assert_memory_equal(out, "\xfb\xff\xfe", 3);
    assert_int_equal(kapi_satoken_b64url_decode("Zm8=", 4, out), -1);  /* padding */
    assert_int_equal(kapi_satoken_b64url_decode("+/+/", 4, out), -1);  /* std alphabet */
    assert_int_equal(kapi_satoken_b64url_decode("Zm9vY", 5, out), -1); /* impossible length */
    assert_int_equal(kapi_satoken_b64url_decode("Zh", 2, out), -1);    /* non-zero trailing bits */
    assert_int_equal(kapi_satoken_b64url_decode("Zg\n", 3, out), -1);
    kapi_pool_free(pool);
}

static void test_key_id(void **state)
{
    struct kapi_satoken *t = signer1();
    const char *kid = kapi_satoken_key_id(t);
    assert_int_equal(strlen(kid), 43);
    assert_int_equal(strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
    /* Independently: SHA-256 over the PKIX DER, base64url without padding. */
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key1, &der);
    unsigned char md[32];
    unsigned mdlen;
    EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    unsigned char std[64];
    EVP_EncodeBlock(std, md, 32);
    for (unsigned char *p = std; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    std[43] = 0; /* drop the one '=' */
    assert_string_equal(kid, (char *)std);
    kapi_satoken_free(t);
}

static void test_round_trip_layout(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    int64_t exp;
    const char *tok = issue(t, pool, &basic, &exp);
    assert_int_equal(exp, NOW + 3600);

    char *hdr = part(pool, tok, 0);
    assert_string_equal(hdr, kapi_pool_printf(pool, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kapi_satoken_key_id(t)));
    char *payload = part(pool, tok, 1);
    char *jti = strstr(payload, "\"jti\":\"");
    assert_non_null(jti);
    jti = kapi_pool_strndup(pool, jti + 7, 36);
    assert_int_equal(jti[8], '-');
    assert_int_equal(jti[14], '4');
    char *want = kapi_pool_printf(
        pool,
        "{\"aud\":[\"%s\"],\"exp\":%lld,\"iat\":%lld,\"iss\":\"%s\",\"jti\":\"%s\",\"kubernetes.io\":{\"namespace\":"
        "\"default\",\"serviceaccount\":{\"name\":\"builder\",\"uid\":\"sa-uid-1\"}},\"nbf\":%lld,\"sub\":"
        "\"system:serviceaccount:default:builder\"}",
        ISS, NOW + 3600, NOW, ISS, jti, NOW);
    assert_string_equal(payload, want);

    struct world w = {0};
    world_add(&w, "ServiceAccount", "default", "builder", "sa-uid-1", NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW + 10, world_exists, &w, &u, &info), 0);
    assert_string_equal(u.name, "system:serviceaccount:default:builder");
    assert_string_equal(u.uid, "sa-uid-1");
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[0], "system:serviceaccounts");
    assert_string_equal(u.groups[1], "system:serviceaccounts:default");
    assert_string_equal(w.log, "ServiceAccount default/builder sa-uid-1;");
    assert_false(info.legacy);
    assert_int_equal(info.nextra, 1);
    assert_string_equal(info.extra_keys[0], "authentication.kubernetes.io/credential-id");
    assert_string_equal(info.extra_values[0], kapi_pool_printf(pool, "JTI=%s", jti));

    /* Two tokens never share a jti. */
    const char *tok2 = issue(t, pool, &basic, NULL);
    assert_string_not_equal(part(pool, tok, 1), part(pool, tok2, 1));

    /* The service account was recreated (new UID): rejected. */
    w.objs[0].uid = "sa-uid-2";
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u), -1);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_pod_bound(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_satoken_claims c = basic;
    c.bound_kind = "Pod";
    c.bound_name = "web-0";
    c.bound_uid = "pod-uid";
    c.pod_node_name = "node-a";
    c.pod_node_uid = "node-uid";
    c.expiration_seconds = 3607; /* kubelet's marker: extended to a year, warnafter set */
    int64_t exp;
    const char *tok = issue(t, pool, &c, &exp);
    assert_int_equal(exp, NOW + 3607);
    char *payload = part(pool, tok, 1);
    assert_non_null(strstr(payload, kapi_pool_printf(pool, "\"exp\":%lld,", NOW + 365LL * 24 * 3600)));
    assert_non_null(strstr(
        payload, kapi_pool_printf(pool,
                                  "\"kubernetes.io\":{\"namespace\":\"default\",\"node\":{\"name\":\"node-a\",\"uid\":"
                                  "\"node-uid\"},\"pod\":{\"name\":\"web-0\",\"uid\":\"pod-uid\"},\"serviceaccount\":{"
                                  "\"name\":\"builder\",\"uid\":\"sa-uid-1\"},\"warnafter\":%lld},",
                                  NOW + 3607)));

    struct world w = {0};
    world_add(&w, "ServiceAccount", "default", "builder", "sa-uid-1", NULL);
    world_add(&w, "Pod", "default", "web-0", "pod-uid", NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;
    /* Past warnafter but within the extension: still valid (upstream only audits). */
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW + 7200, world_exists, &w, &u, &info),
                     0);
    assert_string_equal(w.log, "ServiceAccount default/builder sa-uid-1;Pod default/web-0 pod-uid;");
    assert_int_equal(info.warnafter, NOW + 3607);
    assert_int_equal(info.nextra, 5);
    assert_string_equal(info.extra_keys[1], "authentication.kubernetes.io/node-name");
    assert_string_equal(info.extra_values[1], "node-a");
    assert_string_equal(info.extra_keys[2], "authentication.kubernetes.io/node-uid");
    assert_string_equal(info.extra_keys[3], "authentication.kubernetes.io/pod-name");
    assert_string_equal(info.extra_values[3], "web-0");
    assert_string_equal(info.extra_keys[4], "authentication.kubernetes.io/pod-uid");
    assert_string_equal(info.extra_values[4], "pod-uid");

    /* The pod is deleted: the token dies with it. */
    w.n = 1;
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u, &info), -1);
    assert_string_equal(info.error, "service account token has been invalidated");

    /* A node that does not exist: only its name is embedded. No extension
     * for an audience that is not the API's. */
    c.pod_node_uid = NULL;
    const char *aud[] = {"vault"};
    c.audiences = aud;
    c.naud = 1;
    tok = issue(t, pool, &c, &exp);
    payload = part(pool, tok, 1);
    assert_non_null(strstr(payload, "\"node\":{\"name\":\"node-a\"},"));
    assert_non_null(strstr(payload, kapi_pool_printf(pool, "\"exp\":%lld,", NOW + 3607)));
    assert_null(strstr(payload, "warnafter"));
    assert_true(strncmp(payload, "{\"aud\":[\"vault\"],", strlen("{\"aud\":[\"vault\"],")) == 0);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_secret_and_node_bound(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    struct world w = {0};
    world_add(&w, "ServiceAccount", "default", "builder", "sa-uid-1", NULL);
    world_add(&w, "Secret", "default", "s1", "sec-uid", NULL);
    world_add(&w, "Node", "", "n1", "n-uid", NULL);
    struct kapi_satoken_claims c = basic;
    c.bound_kind = "Secret";
    c.bound_name = "s1";
    c.bound_uid = "sec-uid";
    const char *tok = issue(t, pool, &c, NULL);
    assert_non_null(strstr(part(pool, tok, 1), "\"secret\":{\"name\":\"s1\",\"uid\":\"sec-uid\"},\"serviceaccount\""));
    struct kapi_user u;
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u), 0);

    c.bound_kind = "Node";
    c.bound_name = "n1";
    c.bound_uid = "n-uid";
    w.log[0] = 0;
    tok = issue(t, pool, &c, NULL);
    struct kapi_satoken_info info;
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u, &info), 0);
    assert_string_equal(w.log, "ServiceAccount default/builder sa-uid-1;Node /n1 n-uid;");
    assert_string_equal(info.node_name, "n1");
    assert_null(info.pod_name);
    w.objs[2].uid = "other";
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u), -1);

    c.bound_kind = "ConfigMap";
    char err[256];
    assert_null(kapi_satoken_issue(t, pool, &c, NOW, NULL, err, sizeof err));
    assert_non_null(strstr(err, "cannot bind token to object of type"));
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_expiration_rules(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_satoken_claims c = basic;
    char err[256];
    c.expiration_seconds = 599;
    assert_null(kapi_satoken_issue(t, pool, &c, NOW, NULL, err, sizeof err));
    assert_string_equal(err, "may not specify a duration less than 10 minutes");
    c.expiration_seconds = (1LL << 32) + 1;
    assert_null(kapi_satoken_issue(t, pool, &c, NOW, NULL, err, sizeof err));
    assert_string_equal(err, "may not specify a duration larger than 2^32 seconds");

    struct kapi_satoken_opts o = {.max_expiration_seconds = 7200};
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), 0);
    c.expiration_seconds = 86400;
    int64_t exp;
    const char *tok = issue(t, pool, &c, &exp);
    assert_int_equal(exp, NOW + 7200);
    assert_non_null(strstr(part(pool, tok, 1), kapi_pool_printf(pool, "\"exp\":%lld,", NOW + 7200)));

    /* Extension off: a 3607-second pod token stays 3607 seconds. */
    o.no_extend_expiration = true;
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), 0);
    c.expiration_seconds = 3607;
    c.bound_kind = "Pod";
    c.bound_name = "p";
    c.bound_uid = "u";
    tok = issue(t, pool, &c, &exp);
    assert_non_null(strstr(part(pool, tok, 1), kapi_pool_printf(pool, "\"exp\":%lld,", NOW + 3607)));
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_time_window(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    const char *tok = issue(t, pool, &basic, NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;
    /* One minute of leeway on each side. */
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW + 3600 + 60, NULL, NULL, &u), 0);
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW + 3600 + 61, NULL, NULL, &u, &info), -1);
    assert_string_equal(info.error, "service account token has expired");
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW - 60, NULL, NULL, &u), 0);
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW - 61, NULL, NULL, &u, &info), -1);
    assert_string_equal(info.error, "service account token is not valid yet");
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_tampering(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    const char *tok = issue(t, pool, &basic, NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;

    /* Payload swapped for one naming another service account. */
    char *payload = part(pool, tok, 1);
    char *evil = kapi_pool_strdup(pool, payload);
    char *p = strstr(evil, "builder");
    memcpy(p, "admin00", 7);
    const char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char *forged = kapi_pool_printf(pool, "%.*s.%s%s", (int)(d1 - tok), tok,
                                    kapi_b64_encode_pool(pool, evil, strlen(evil), KAPI_B64_URL | KAPI_B64_RAW), d2);
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, forged, NULL, 0, NOW, NULL, NULL, &u, &info), -1);
    assert_non_null(strstr(info.error, "verification"));

    /* One signature character changed. */
    char *bad = kapi_pool_strdup(pool, tok);
    char *last = bad + strlen(bad) - 5;
    *last = *last == 'A' ? 'B' : 'A';
    assert_int_equal(kapi_satoken_authenticate(t, pool, bad, NULL, 0, NOW, NULL, NULL, &u), -1);
    /* Signature dropped. */
    char *nosig = kapi_pool_strndup(pool, tok, (size_t)(d2 - tok) + 1);
    assert_int_equal(kapi_satoken_authenticate(t, pool, nosig, NULL, 0, NOW, NULL, NULL, &u), -1);

    /* Signed by a key we do not know, with and without a kid. */
    const char *pl = "{\"aud\":[\"" ISS "\"],\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\","
                     "\"serviceaccount\":{\"name\":\"builder\",\"uid\":\"sa-uid-1\"}},\"sub\":\"x\"}";
    char *other = make_jwt(pool, "{\"alg\":\"RS256\"}", pl, key2);
    assert_int_equal(kapi_satoken_authenticate(t, pool, other, NULL, 0, NOW, NULL, NULL, &u), -1);
    other = make_jwt(pool, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", pl, key2);
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, other, NULL, 0, NOW, NULL, NULL, &u, &info), -1);
    assert_string_equal(info.error, "invalid signature, no keys found");
    /* The same claims signed by our key (no exp at all) do pass. */
    char *ours = make_jwt(pool, "{\"alg\":\"RS256\"}", pl, key1);
    assert_int_equal(kapi_satoken_authenticate(t, pool, ours, NULL, 0, NOW, NULL, NULL, &u), 0);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_alg_confusion(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    const char *pl = "{\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"default\",\"serviceaccount\":{"
                     "\"name\":\"builder\"}},\"sub\":\"system:serviceaccount:default:builder\"}";
    struct kapi_user u;
    char *none = make_jwt(pool, "{\"alg\":\"none\"}", pl, NULL);
    assert_int_equal(kapi_satoken_authenticate(t, pool, none, NULL, 0, NOW, NULL, NULL, &u), -1);
    /* HS256 keyed with the public key PEM: the classic confusion attack. */
    char *h = kapi_b64_encode_pool(pool, "{\"alg\":\"HS256\"}", 15, KAPI_B64_URL | KAPI_B64_RAW);
    char *p = kapi_b64_encode_pool(pool, pl, strlen(pl), KAPI_B64_URL | KAPI_B64_RAW);
    char *input = kapi_pool_printf(pool, "%s.%s", h, p);
    unsigned char mac[32];
    unsigned maclen = 0;
    HMAC(EVP_sha256(), pub1, (int)pub1_len, (unsigned char *)input, strlen(input), mac, &maclen);
    char *hs = kapi_pool_printf(pool, "%s.%s", input,
                                kapi_b64_encode_pool(pool, mac, maclen, KAPI_B64_URL | KAPI_B64_RAW));
    assert_int_equal(kapi_satoken_authenticate(t, pool, hs, NULL, 0, NOW, NULL, NULL, &u), -1);
    /* RS512 / PS256 headers over an RS256 signature: refused too. */
    assert_int_equal(kapi_satoken_authenticate(t, pool, make_jwt(pool, "{\"alg\":\"PS256\"}", pl, key1), NULL, 0,
                                               NOW, NULL, NULL, &u),
                     -1);
    assert_int_equal(kapi_satoken_authenticate(t, pool, make_jwt(pool, "{\"alg\":\"RS256\"}", pl, key1), NULL, 0,
                                               NOW, NULL, NULL, &u),
                     0);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_audience(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_satoken_claims c = basic;
    const char *aud[] = {"vault", "other"};
    c.audiences = aud;
    c.naud = 2;
    const char *tok = issue(t, pool, &c, NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW, NULL, NULL, &u, &info), -1);
    assert_string_equal(info.error, "token audiences [\"vault\" \"other\"] is invalid for the target audiences "
                                    "[\"" ISS "\"]");
    const char *want[] = {"other"};
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, want, 1, NOW, NULL, NULL, &u), 0);

    /* --api-audiences replaces the default (the issuer). */
    const char *api[] = {"api", "vault"};
    struct kapi_satoken_opts o = {.api_audiences = api, .napi_audiences = 2};
    char err[128];
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), 0);
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, NULL, NULL, &u), 0);
    tok = issue(t, pool, &basic, NULL);
    const char *pre = "{\"aud\":[\"api\",\"vault\"],";
    assert_true(strncmp(part(pool, tok, 1), pre, strlen(pre)) == 0);

    /* A string-valued aud is accepted too. */
    const char *pl = "{\"aud\":\"api\",\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"n\","
                     "\"serviceaccount\":{\"name\":\"s\"}}}";
    assert_int_equal(kapi_satoken_authenticate(t, pool, make_jwt(pool, "{\"alg\":\"RS256\"}", pl, key1), NULL, 0,
                                               NOW, NULL, NULL, &u),
                     0);
    pl = "{\"aud\":7,\"iss\":\"" ISS "\",\"kubernetes.io\":{\"namespace\":\"n\",\"serviceaccount\":{\"name\":\"s\"}}}";
    assert_int_equal(kapi_satoken_authenticate(t, pool, make_jwt(pool, "{\"alg\":\"RS256\"}", pl, key1), NULL, 0,
                                               NOW, NULL, NULL, &u),
                     -1);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_not_ours(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    const char *cases[] = {"", "abc", "a.b", "a.b.c.d", "....", "{\"iss\":\"x\"}", "Zm9v.Zm9v.Zm9v",
                           "eyJhbGciOiJSUzI1NiJ9.e30.c2ln" /* payload {} */};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(cases); i++)
        if (kapi_satoken_authenticate(t, pool, cases[i], NULL, 0, NOW, NULL, NULL, &u) != 1)
            fail_msg("'%s' was not left to others", cases[i]);
    /* Another issuer's JWT, however well-formed, is someone else's. */
    char *foreign = make_jwt(pool, "{\"alg\":\"RS256\"}", "{\"iss\":\"https://accounts.example\"}", key1);
    assert_int_equal(kapi_satoken_authenticate(t, pool, foreign, NULL, 0, NOW, NULL, NULL, &u), 1);
    /* Oversized. */
    char *big = kapi_xmalloc(KAPI_SATOKEN_MAX_LEN + 2);
    memset(big, 'a', KAPI_SATOKEN_MAX_LEN + 1);
    big[KAPI_SATOKEN_MAX_LEN + 1] = 0;
    big[10] = big[20] = '.';
    assert_int_equal(kapi_satoken_authenticate(t, pool, big, NULL, 0, NOW, NULL, NULL, &u), 1);
    free(big);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_openid_documents(void **state)
{
    char err[256];
    const char *vp[] = {pub1, pub2};
    size_t vl[] = {pub1_len, pub2_len};
    struct kapi_satoken *t = kapi_satoken_new_mem(NULL, priv1, priv1_len, vp, vl, 2, err, sizeof err);
    assert_non_null(t);
    const struct kapi_blob *cfg = kapi_satoken_openid_config(t);
    assert_non_null(cfg);
    assert_string_equal(cfg->data, "{\"issuer\":\"" ISS "\",\"jwks_uri\":\"" ISS "/openid/v1/jwks\","
                                   "\"response_types_supported\":[\"id_token\"],\"subject_types_supported\":"
                                   "[\"public\"],\"id_token_signing_alg_values_supported\":[\"RS256\"]}");
    struct kapi_satoken_opts o = {.external_address = "10.0.0.1:6443"};
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), 0);
    cfg = kapi_satoken_openid_config(t);
    assert_non_null(strstr(cfg->data, "\"jwks_uri\":\"https://10.0.0.1:6443/openid/v1/jwks\""));
    o.jwks_uri = "http://insecure/jwks";
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), -1);

    const struct kapi_blob *jwks = kapi_satoken_jwks(t);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *v = kapi_json_parse(pool, jwks->data, jwks->len, NULL, NULL);
    assert_non_null(v);
    struct kapi_value *keys = kapi_obj_get(v, "keys");
    assert_int_equal(keys->u.arr.len, 2);
    struct kapi_value *k0 = keys->u.arr.items[0];
    const char *order[] = {"use", "kty", "kid", "alg", "n", "e"};
    assert_int_equal(k0->u.obj.len, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(k0->u.obj.members[i].key, order[i]);
    assert_string_equal(kapi_obj_get_str(k0, "use"), "sig");
    assert_string_equal(kapi_obj_get_str(k0, "kty"), "RSA");
    assert_string_equal(kapi_obj_get_str(k0, "alg"), "RS256");
    assert_string_equal(kapi_obj_get_str(k0, "e"), "AQAB");
    assert_string_equal(kapi_obj_get_str(k0, "kid"), kapi_satoken_key_id(t));
    assert_string_not_equal(kapi_obj_get_str(keys->u.arr.items[1], "kid"), kapi_satoken_key_id(t));
    /* n is the 256-byte modulus, big-endian, no leading zero. */
    const char *n64 = kapi_obj_get_str(k0, "n");
    unsigned char nb[300];
    assert_int_equal(kapi_satoken_b64url_decode(n64, strlen(n64), nb), 256);
    BIGNUM *n = NULL;
    EVP_PKEY_get_bn_param(key1, OSSL_PKEY_PARAM_RSA_N, &n);
    unsigned char nb2[256];
    BN_bn2bin(n, nb2);
    BN_free(n);
    assert_memory_equal(nb, nb2, 256);
    kapi_pool_free(pool);
    kapi_satoken_free(t);

    /* A non-URL issuer: upstream serves no discovery. */
    t = kapi_satoken_new_mem("kapi", priv1, priv1_len, NULL, NULL, 0, err, sizeof err);
    assert_non_null(t);
    assert_null(kapi_satoken_openid_config(t));
    assert_null(kapi_satoken_jwks(t));
    kapi_satoken_free(t);
}

static void test_legacy(void **state)
{
    struct kapi_satoken *t = signer1();
    struct kapi_pool *pool = kapi_pool_new();
    /* A legacy token as the tokens controller mints it, built by hand. */
    const char *pl = "{\"iss\":\"kubernetes/serviceaccount\",\"kubernetes.io/serviceaccount/namespace\":\"kube-system\","
                     "\"kubernetes.io/serviceaccount/secret.name\":\"deployer-token-abcde\","
                     "\"kubernetes.io/serviceaccount/service-account.name\":\"deployer\","
                     "\"kubernetes.io/serviceaccount/service-account.uid\":\"sa-9\","
                     "\"sub\":\"system:serviceaccount:kube-system:deployer\"}";
    char *hdr = kapi_pool_printf(pool, "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kapi_satoken_key_id(t));
    char *tok = make_jwt(pool, hdr, pl, key1);

    /* kapi's own legacy minting yields exactly the same bytes (no random parts). */
    char err[256];
    const char *mine = kapi_satoken_issue_legacy(t, pool, "kube-system", "deployer", "sa-9", "deployer-token-abcde",
                                                 err, sizeof err);
    assert_non_null(mine);
    assert_string_equal(mine, tok);

    struct world w = {0};
    world_add(&w, "Secret", "kube-system", "deployer-token-abcde", "", tok);
    world_add(&w, "ServiceAccount", "kube-system", "deployer", "sa-9", NULL);
    struct kapi_user u;
    struct kapi_satoken_info info;
    /* No exp: valid years later. */
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, tok, NULL, 0, NOW + 500000000, world_exists, &w, &u, &info),
                     0);
    assert_string_equal(u.name, "system:serviceaccount:kube-system:deployer");
    assert_string_equal(u.uid, "sa-9");
    assert_string_equal(u.groups[1], "system:serviceaccounts:kube-system");
    assert_true(info.legacy);
    assert_string_equal(info.secret_name, "deployer-token-abcde");
    assert_int_equal(info.nextra, 0);
    assert_string_equal(w.log, "Secret kube-system/deployer-token-abcde - +token;ServiceAccount "
                               "kube-system/deployer sa-9;");

    /* The secret now holds another token: invalidated. */
    w.objs[0].token = "something-else";
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, world_exists, &w, &u), -1);

    /* sub must agree with the private claims. */
    const char *bad = "{\"iss\":\"kubernetes/serviceaccount\",\"kubernetes.io/serviceaccount/namespace\":\"a\","
                      "\"kubernetes.io/serviceaccount/secret.name\":\"s\","
                      "\"kubernetes.io/serviceaccount/service-account.name\":\"n\","
                      "\"kubernetes.io/serviceaccount/service-account.uid\":\"u\","
                      "\"sub\":\"system:serviceaccount:b:n\"}";
    assert_int_equal(kapi_satoken_authenticate_ex(t, pool, make_jwt(pool, "{\"alg\":\"RS256\"}", bad, key1), NULL, 0,
                                                  NOW, NULL, NULL, &u, &info),
                     -1);
    assert_string_equal(info.error, "sub claim is invalid");

    /* Legacy support switched off: such tokens are someone else's. */
    struct kapi_satoken_opts o = {.no_legacy = true};
    assert_int_equal(kapi_satoken_configure(t, &o, err, sizeof err), 0);
    assert_int_equal(kapi_satoken_authenticate(t, pool, tok, NULL, 0, NOW, NULL, NULL, &u), 1);
    kapi_pool_free(pool);
    kapi_satoken_free(t);
}

static void test_files_and_rotation(void **state)
{
    char dir[] = "/tmp/satoken-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char key[64], pub[64], both[64];
    snprintf(key, sizeof key, "%s/sa.key", dir);
    snprintf(pub, sizeof pub, "%s/sa.pub", dir);
    snprintf(both, sizeof both, "%s/both.pem", dir);
    FILE *f = fopen(key, "w");
    fwrite(priv2, 1, priv2_len, f);
    fclose(f);
    f = fopen(pub, "w");
    fwrite(pub1, 1, pub1_len, f);
    fclose(f);
    f = fopen(both, "w");
    fwrite(pub1, 1, pub1_len, f);
    fwrite(priv2, 1, priv2_len, f); /* private keys count as their public half */
    fclose(f);

    char err[256];
    /* Old key signs, verifier trusts old and new. */
    struct kapi_satoken *old = kapi_satoken_new_mem(NULL, priv1, priv1_len, NULL, NULL, 0, err, sizeof err);
    const char *files[] = {both};
    struct kapi_satoken *v = kapi_satoken_new(NULL, key, files, 1, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_user u;
    const char *tok_old = issue(old, pool, &basic, NULL);
    const char *tok_new = issue(v, pool, &basic, NULL);
    assert_int_equal(kapi_satoken_authenticate(v, pool, tok_old, NULL, 0, NOW, NULL, NULL, &u), 0);
    assert_int_equal(kapi_satoken_authenticate(v, pool, tok_new, NULL, 0, NOW, NULL, NULL, &u), 0);
    /* The old-only verifier does not know the new key. */
    assert_int_equal(kapi_satoken_authenticate(old, pool, tok_new, NULL, 0, NOW, NULL, NULL, &u), -1);
    kapi_satoken_free(v);

    /* Verify-only from sa.pub. */
    const char *pubs[] = {pub};
    v = kapi_satoken_new(NULL, NULL, pubs, 1, err, sizeof err);
    assert_non_null(v);
    assert_string_equal(kapi_satoken_key_id(v), "");
    assert_int_equal(kapi_satoken_authenticate(v, pool, tok_old, NULL, 0, NOW, NULL, NULL, &u), 0);
    assert_null(kapi_satoken_issue(v, pool, &basic, NOW, NULL, err, sizeof err));
    kapi_satoken_free(v);

    /* Errors name the file. */
    const char *missing[] = {"/nonexistent/sa.pub"};
    assert_null(kapi_satoken_new(NULL, NULL, missing, 1, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/sa.pub"));
    assert_null(kapi_satoken_new(NULL, pub, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "sa.pub"));
    const char *garbage = "not a pem";
    size_t glen = strlen(garbage);
    assert_null(kapi_satoken_new_mem(NULL, NULL, 0, &garbage, &glen, 1, err, sizeof err));

    kapi_pool_free(pool);
    kapi_satoken_free(old);
    unlink(key);
    unlink(pub);
    unlink(both);
    rmdir(dir);
}

static void test_authn_hook(void **state)
{
    struct kapi_satoken *t = signer1();
    char err[128];
    struct kapi_authn *a = kapi_authn_new(NULL, err, sizeof err);
    assert_non_null(a);
    struct world w = {0};
    world_add(&w, "ServiceAccount", "default", "builder", "sa-uid-1", NULL);
    struct kapi_satoken_hook hook = {t, world_exists, &w};
    kapi_authn_set_token_hook(a, kapi_satoken_token_hook, &hook);
    struct kapi_pool *pool = kapi_pool_new();
    const char *tok = kapi_satoken_issue(t, pool, &basic, (int64_t)time(NULL), NULL, err, sizeof err);
    assert_non_null(tok);
    struct kapi_user u;
    assert_int_equal(kapi_authn_authenticate(a, pool, NULL, kapi_pool_printf(pool, "Bearer %s", tok), &u),
                     KAPI_AUTHN_OK);
    assert_string_equal(u.name, "system:serviceaccount:default:builder");
    bool authed = false;
    for (size_t i = 0; i < u.ngroups; i++)
        authed |= !strcmp(u.groups[i], "system:authenticated");
    assert_true(authed);
    w.n = 0; /* service account deleted */
    assert_int_equal(kapi_authn_authenticate(a, pool, NULL, kapi_pool_printf(pool, "Bearer %s", tok), &u),
                     KAPI_AUTHN_INVALID);
    kapi_pool_free(pool);
    kapi_authn_free(a);
    kapi_satoken_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url),
        cmocka_unit_test(test_key_id),
        cmocka_unit_test(test_round_trip_layout),
        cmocka_unit_test(test_pod_bound),
        cmocka_unit_test(test_secret_and_node_bound),
        cmocka_unit_test(test_expiration_rules),
        cmocka_unit_test(test_time_window),
        cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_alg_confusion),
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_not_ours),
        cmocka_unit_test(test_openid_documents),
        cmocka_unit_test(test_legacy),
        cmocka_unit_test(test_files_and_rotation),
        cmocka_unit_test(test_authn_hook),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
