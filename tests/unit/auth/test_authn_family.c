/* Unit tests for the authenticators beyond certificates and token files:
 * bootstrap tokens, front-proxy request headers, the token webhook, OIDC
 * and the chain in src/auth/authn (order, failures, --anonymous-auth). The
 * webhook and the OIDC issuer are served by an in-test HTTPS server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "auth/authn.h"
#include "auth/bootstrap_token.h"
#include "auth/oidc.h"
#include "base/b64.h"
#include "auth/requestheader.h"
#include "auth/satoken.h"
#include "auth/webhook_token.h"
#include "base/base.h"
#include "codec/json.h"
#include "http/client.h"
#include "http/http.h"

/* ---- certificates ---- */

static void ext(X509 *c, X509 *iss, int nid, const char *v)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, iss, c, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
    assert_non_null(e);
    X509_add_ext(c, e, -1);
    X509_EXTENSION_free(e);
}

static X509 *cert(EVP_PKEY *key, const char *cn, X509 *iss, EVP_PKEY *iss_key, bool ca, const char *san)
{
    static long serial = 100;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, iss ? X509_get_subject_name(iss) : n);
    if (ca) {
        ext(x, iss ? iss : x, NID_basic_constraints, "critical,CA:TRUE");
        ext(x, iss ? iss : x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        ext(x, iss ? iss : x, NID_basic_constraints, "CA:FALSE");
        ext(x, iss ? iss : x, NID_ext_key_usage, "serverAuth,clientAuth");
        if (san)
            ext(x, iss ? iss : x, NID_subject_alt_name, san);
    }
    assert_true(X509_sign(x, iss_key ? iss_key : key, EVP_sha256()) > 0);
    return x;
}

static char *pem(X509 *x, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (x)
        PEM_write_bio_X509(b, x);
    if (k)
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = kapi_xstrndup(p, (size_t)n);
    BIO_free(b);
    return s;
}

static char tmpdir[] = "/tmp/kapi-authn-family-XXXXXX";
static EVP_PKEY *ca_key, *proxy_ca_key, *leaf_key;
static X509 *ca_cert, *proxy_ca_cert, *srv_cert, *proxy_cert, *other_proxy_cert, *user_cert;
static char *ca_pem, *proxy_ca_pem;

static char *write_tmp(const char *name, const char *data)
{
    char *path = kapi_xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
    return path;
}

/* A peer as the HTTP layer fills it for certificate x. */
static struct kapi_http_peer peer_of(X509 *x, const char *cn)
{
    struct kapi_http_peer p = {.has_cert = true, .cn = cn};
    unsigned char *d = NULL;
    int n = i2d_X509(x, &d);
    p.cert_der = d;
    p.cert_der_len = (size_t)n;
    return p;
}

/* ---- the in-test HTTPS server (webhook + OIDC issuer) ---- */

static struct kapi_http_server *srv;
static int srv_port;
static char issuer[128];
static char *jwks_body;               /* current JWKS document */
static _Atomic int discovery_hits;
static char last_review[4096];

static void handler(void *ctx, struct kapi_http_request *req)
{
    (void)ctx;
    struct kapi_http_header ct = {"Content-Type", "application/json"};
    if (!strcmp(req->path, "/.well-known/openid-configuration")) {
        atomic_fetch_add(&discovery_hits, 1);
        char *b = kapi_xasprintf("{\"issuer\":\"%s\",\"jwks_uri\":\"%s/keys\"}", issuer, issuer);
        kapi_http_respond(req, 200, &ct, 1, b, strlen(b));
        free(b);
    } else if (!strcmp(req->path, "/keys")) {
        kapi_http_respond(req, 200, &ct, 1, jwks_body, strlen(jwks_body));
    } else if (!strcmp(req->path, "/review")) {
        snprintf(last_review, sizeof last_review, "%s?%s %s", req->path, req->query, req->body ? req->body : "");
        const char *b;
        if (req->body && strstr(req->body, "\"token\":\"good-token\""))
            b = "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":true,"
                "\"user\":{\"username\":\"jane\",\"uid\":\"u-1\",\"groups\":[\"devs\"],\"extra\":{\"scope\":[\"a\",\"b\"]}}}}";
        else if (req->body && strstr(req->body, "\"token\":\"other-aud\""))
            b = "{\"status\":{\"authenticated\":true,\"audiences\":[\"elsewhere\"],\"user\":{\"username\":\"x\"}}}";
        else if (req->body && strstr(req->body, "\"token\":\"boom\""))
            b = NULL;
        else
            b = "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenReview\",\"status\":{\"authenticated\":false}}";
        if (b)
            kapi_http_respond(req, 200, &ct, 1, b, strlen(b));
        else
            kapi_http_respond(req, 500, &ct, 1, "{}", 2);
    } else {
        kapi_http_respond(req, 404, NULL, 0, "", 0);
    }
}

/* ---- JWT signing ---- */

static EVP_PKEY *rsa1, *rsa2, *ec1;

static void put_b64(struct kapi_buf *b, struct kapi_pool *p, const void *d, size_t n)
{
    kapi_buf_puts(b, kapi_b64_encode_pool(p, d, n, KAPI_B64_URL | KAPI_B64_RAW));
}

static char *bn_b64(struct kapi_pool *p, EVP_PKEY *k, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
    unsigned char buf[600];
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    return kapi_b64_encode_pool(p, buf, (size_t)n, KAPI_B64_URL | KAPI_B64_RAW);
}

static void set_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t n)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "{\"keys\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ',');
        if (EVP_PKEY_is_a(keys[i], "RSA"))
            kapi_buf_printf(&b, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"RS256\",\"n\":\"%s\",\"e\":\"%s\"}", kids[i],
                            bn_b64(p, keys[i], "n", 0), bn_b64(p, keys[i], "e", 0));
        else
            kapi_buf_printf(&b, "{\"kty\":\"EC\",\"kid\":\"%s\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", kids[i],
                            bn_b64(p, keys[i], "qx", 32), bn_b64(p, keys[i], "qy", 32));
    }
    kapi_buf_puts(&b, "]}");
    char *old = jwks_body;
    jwks_body = kapi_xstrndup(b.data, b.len);
    free(old); /* tests swap keys between requests only */
    kapi_buf_dispose(&b);
    kapi_pool_free(p);
}

static const char *sign(struct kapi_pool *p, EVP_PKEY *k, const char *alg, const char *kid, const char *claims)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    char *hdr = kapi_pool_printf(p, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid);
    put_b64(&b, p, hdr, strlen(hdr));
    kapi_buf_putc(&b, '.');
    put_b64(&b, p, claims, strlen(claims));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    size_t sl = 0;
    EVP_DigestSign(md, NULL, &sl, (const unsigned char *)b.data, b.len);
    unsigned char *sig = kapi_pool_alloc(p, sl);
    assert_int_equal(EVP_DigestSign(md, sig, &sl, (const unsigned char *)b.data, b.len), 1);
    EVP_MD_CTX_free(md);
    if (alg[0] == 'E') { /* DER -> r||s */
        const unsigned char *q = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)sl);
        unsigned char *raw = kapi_pool_alloc(p, 64);
        BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
        ECDSA_SIG_free(es);
        sig = raw;
        sl = 64;
    }
    kapi_buf_putc(&b, '.');
    put_b64(&b, p, sig, sl);
    const char *r = kapi_pool_strndup(p, b.data, b.len);
    kapi_buf_dispose(&b);
    return r;
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    ca_key = EVP_EC_gen("P-256");
    proxy_ca_key = EVP_EC_gen("P-256");
    leaf_key = EVP_EC_gen("P-256");
    ca_cert = cert(ca_key, "cluster-ca", NULL, NULL, true, NULL);
    proxy_ca_cert = cert(proxy_ca_key, "front-proxy-ca", NULL, NULL, true, NULL);
    srv_cert = cert(leaf_key, "issuer", ca_cert, ca_key, false, "IP:127.0.0.1");
    proxy_cert = cert(leaf_key, "front-proxy-client", proxy_ca_cert, proxy_ca_key, false, NULL);
    other_proxy_cert = cert(leaf_key, "someone-else", proxy_ca_cert, proxy_ca_key, false, NULL);
    user_cert = cert(leaf_key, "alice", ca_cert, ca_key, false, NULL);
    ca_pem = pem(ca_cert, NULL);
    proxy_ca_pem = pem(proxy_ca_cert, NULL);
    char *crt_pem = pem(srv_cert, NULL), *key_pem = pem(NULL, leaf_key);
    char *crt = write_tmp("srv.crt", crt_pem);
    char *key = write_tmp("srv.key", key_pem);
    free(crt_pem);
    free(key_pem);
    struct kapi_http_config hc = {.bind_address = "127.0.0.1", .port = 0, .cert_file = crt, .key_file = key};
    char err[256];
    srv = kapi_http_server_start(&hc, handler, NULL, err, sizeof err);
    if (!srv)
        fail_msg("server: %s", err);
    srv_port = kapi_http_server_port(srv);
    snprintf(issuer, sizeof issuer, "https://127.0.0.1:%d", srv_port);
    rsa1 = EVP_RSA_gen(2048);
    rsa2 = EVP_RSA_gen(2048);
    ec1 = EVP_EC_gen("P-256");
    EVP_PKEY *ks[] = {rsa1, ec1};
    const char *kids[] = {"k1", "e1"};
    set_jwks(ks, kids, 2);
    free(crt);
    free(key);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kapi_http_server_stop(srv, 1000);
    kapi_http_client_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        return 0;
    return 0;
}

/* ---- bootstrap tokens ---- */

static const char *secret_json;

static struct kapi_value *fake_secret(void *ctx, struct kapi_pool *pool, const char *ns, const char *name)
{
    (void)ctx;
    if (!secret_json || strcmp(ns, "kube-system") != 0 || strcmp(name, "bootstrap-token-abcdef") != 0)
        return NULL;
    struct kapi_json_error je;
    return kapi_json_parse(pool, secret_json, strlen(secret_json), NULL, &je);
}

/* base64: abcdef / 0123456789abcdef / true / system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:a */
#define B64_ID "YWJjZGVm"
#define B64_SECRET "MDEyMzQ1Njc4OWFiY2RlZg=="
#define B64_TRUE "dHJ1ZQ=="

static int boot(const char *secret, const char *token, int64_t now, struct kapi_pool *p, struct kapi_user *u)
{
    secret_json = secret;
    struct kapi_bootstrap_token bt = {.get_secret = fake_secret, .now_unix = now};
    const char *why = NULL;
    return kapi_bootstrap_token_authenticate(&bt, p, token, u, &why);
}

static void test_bootstrap(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_user u;
    const char *ok = "{\"type\":\"bootstrap.kubernetes.io/token\",\"data\":{\"token-id\":\"" B64_ID
                     "\",\"token-secret\":\"" B64_SECRET "\",\"usage-bootstrap-authentication\":\"" B64_TRUE
                     "\",\"expiration\":\"MjAzMC0wMS0wMVQwMDowMDowMFo=\","
                     "\"auth-extra-groups\":\"c3lzdGVtOmJvb3RzdHJhcHBlcnM6eiwgc3lzdGVtOmJvb3RzdHJhcHBlcnM6YQ==\"}}";
    /* auth-extra-groups = "system:bootstrappers:z, system:bootstrappers:a" */
    assert_int_equal(boot(ok, "abcdef.0123456789abcdef", 1700000000, p, &u), 1);
    assert_string_equal(u.name, "system:bootstrap:abcdef");
    assert_int_equal(u.ngroups, 3);
    assert_string_equal(u.groups[0], "system:bootstrappers");
    assert_string_equal(u.groups[1], "system:bootstrappers:a");
    assert_string_equal(u.groups[2], "system:bootstrappers:z");
    /* expired (2030-01-01 is in the past at 2040) */
    assert_int_equal(boot(ok, "abcdef.0123456789abcdef", 2209000000, p, &u), 0);
    /* wrong secret, malformed tokens, unknown id */
    assert_int_equal(boot(ok, "abcdef.0123456789abcdeg", 1700000000, p, &u), 0);
    assert_int_equal(boot(ok, "ABCDEF.0123456789abcdef", 1700000000, p, &u), 0);
    assert_int_equal(boot(ok, "abcdef0123456789abcdef", 1700000000, p, &u), 0);
    assert_int_equal(boot(ok, "abcdeg.0123456789abcdef", 1700000000, p, &u), 0);
    /* wrong type, usage not "true", bad group, being deleted, bad expiration */
    const char *bad[] = {
        "{\"type\":\"Opaque\",\"data\":{\"token-id\":\"" B64_ID "\",\"token-secret\":\"" B64_SECRET
        "\",\"usage-bootstrap-authentication\":\"" B64_TRUE "\"}}",
        "{\"type\":\"bootstrap.kubernetes.io/token\",\"data\":{\"token-id\":\"" B64_ID "\",\"token-secret\":\"" B64_SECRET
        "\",\"usage-bootstrap-authentication\":\"ZmFsc2U=\"}}",
        "{\"type\":\"bootstrap.kubernetes.io/token\",\"data\":{\"token-id\":\"" B64_ID "\",\"token-secret\":\"" B64_SECRET
        "\",\"usage-bootstrap-authentication\":\"" B64_TRUE "\",\"auth-extra-groups\":\"ZGV2cw==\"}}",
        "{\"metadata\":{\"deletionTimestamp\":\"2024-01-01T00:00:00Z\"},\"type\":\"bootstrap.kubernetes.io/token\","
        "\"data\":{\"token-id\":\"" B64_ID "\",\"token-secret\":\"" B64_SECRET "\",\"usage-bootstrap-authentication\":\"" B64_TRUE "\"}}",
        "{\"type\":\"bootstrap.kubernetes.io/token\",\"data\":{\"token-id\":\"" B64_ID "\",\"token-secret\":\"" B64_SECRET
        "\",\"usage-bootstrap-authentication\":\"" B64_TRUE "\",\"expiration\":\"bm90LWEtZGF0ZQ==\"}}",
    };
    for (size_t i = 0; i < KAPI_ARRAY_LEN(bad); i++)
        assert_int_equal(boot(bad[i], "abcdef.0123456789abcdef", 1700000000, p, &u), 0);
    /* no expiration, no extra groups */
    const char *plain = "{\"type\":\"bootstrap.kubernetes.io/token\",\"data\":{\"token-id\":\"" B64_ID
                        "\",\"token-secret\":\"" B64_SECRET "\",\"usage-bootstrap-authentication\":\"" B64_TRUE "\"}}";
    assert_int_equal(boot(plain, "abcdef.0123456789abcdef", 0, p, &u), 1);
    assert_int_equal(u.ngroups, 1);
    int64_t t;
    assert_int_equal(kapi_rfc3339_parse("2024-02-29T12:00:00.5+01:00", &t), 0);
    assert_int_equal(t, 1709204400);
    assert_int_equal(kapi_rfc3339_parse("2023-02-29T12:00:00Z", &t), -1);
    kapi_pool_free(p);
}

/* ---- request headers ---- */

static void test_requestheader(void **state)
{
    (void)state;
    const char *names[] = {"front-proxy-client"}, *users[] = {"X-Remote-User"}, *groups[] = {"X-Remote-Group"},
               *uids[] = {"X-Remote-Uid"}, *extras[] = {"X-Remote-Extra-"};
    struct kapi_requestheader_opts o = {.ca_pem = proxy_ca_pem, .allowed_names = names, .nallowed = 1,
                                        .username_headers = users, .nusername = 1, .uid_headers = uids, .nuid = 1,
                                        .group_headers = groups, .ngroup = 1, .extra_prefixes = extras, .nextra = 1};
    char err[256];
    struct kapi_requestheader *rh = kapi_requestheader_new(&o, err, sizeof err);
    assert_non_null(rh);
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_http_header h[] = {
        {"x-remote-user", "bob"},          {"X-Remote-Group", "g1"},       {"X-Remote-Group", "g2, g3"},
        {"X-Remote-Uid", "1234"},          {"X-Remote-Extra-Scopes", "s1"}, {"X-Remote-Extra-Acme.com%2Fproject", "p"},
        {"X-Remote-Extra-scopes", "s2"},   {"X-Remote-Group", ""},
    };
    struct kapi_http_peer peer = peer_of(proxy_cert, "front-proxy-client");
    struct kapi_user u;
    const char *why = NULL;
    assert_int_equal(kapi_requestheader_authenticate_headers(rh, p, &peer, h, KAPI_ARRAY_LEN(h), &u, &why), 1);
    assert_string_equal(u.name, "bob");
    assert_string_equal(u.uid, "1234");
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[1], "g2, g3"); /* values are not split */
    assert_int_equal(u.nextra, 3);
    assert_string_equal(u.extra_keys[0], "scopes");
    assert_string_equal(u.extra_values[0], "s1");
    assert_string_equal(u.extra_keys[1], "scopes");
    assert_string_equal(u.extra_values[1], "s2");
    assert_string_equal(u.extra_keys[2], "acme.com/project");
    /* no username header: not mine */
    assert_int_equal(kapi_requestheader_authenticate_headers(rh, p, &peer, h + 1, 2, &u, &why), 0);
    /* CN not allowed, or a certificate from another CA: failure */
    struct kapi_http_peer other = peer_of(other_proxy_cert, "someone-else");
    assert_int_equal(kapi_requestheader_authenticate_headers(rh, p, &other, h, 1, &u, &why), -1);
    assert_string_equal(why, "x509: subject with cn=someone-else is not in the allowed list");
    struct kapi_http_peer cluster = peer_of(user_cert, "alice");
    assert_int_equal(kapi_requestheader_authenticate_headers(rh, p, &cluster, h, 1, &u, &why), -1);
    assert_string_equal(why, "x509: certificate signed by unknown authority");
    /* no certificate at all: not mine */
    struct kapi_http_peer none = {0};
    assert_int_equal(kapi_requestheader_authenticate_headers(rh, p, &none, h, 1, &u, &why), 0);

    /* Through the chain: the proxy's user, else the certificate's. */
    struct kapi_authn *a = kapi_authn_new(NULL, err, sizeof err);
    kapi_authn_set_request_authenticator(a, kapi_requestheader_authenticate, rh);
    char *cafile = write_tmp("ca.crt", ca_pem);
    assert_int_equal(kapi_authn_set_client_ca(a, cafile, err, sizeof err), 0);
    struct kapi_http_request req = {.headers = h, .nheaders = 4};
    peer.request = &req;
    assert_int_equal(kapi_authn_authenticate(a, p, &peer, NULL, &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "bob");
    assert_string_equal(u.groups[u.ngroups - 1], "system:authenticated");
    cluster.request = &req;
    assert_int_equal(kapi_authn_authenticate(a, p, &cluster, NULL, &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "alice");
    /* the proxy's certificate without a user header: x509 rejects it (wrong CA) -> 401 */
    struct kapi_http_request empty = {0};
    peer.request = &empty;
    assert_int_equal(kapi_authn_authenticate(a, p, &peer, NULL, &u), KAPI_AUTHN_INVALID);
    kapi_authn_free(a);
    free(cafile);
    free((void *)peer.cert_der);
    free((void *)other.cert_der);
    free((void *)cluster.cert_der);
    kapi_requestheader_free(rh);
    kapi_pool_free(p);
}

/* ---- chain order and --anonymous-auth ---- */

static int calls_a, calls_b;
static int tok_a(void *ctx, struct kapi_pool *pool, const char *t, struct kapi_user *out, const char **why)
{
    calls_a++;
    if (!strcmp(t, "a")) {
        out->name = "from-a";
        return 1;
    }
    *why = "a: no";
    return -1;
}
static int tok_b(void *ctx, struct kapi_pool *pool, const char *t, struct kapi_user *out, const char **why)
{
    calls_b++;
    if (!strcmp(t, "b")) {
        out->name = "from-b";
        return 1;
    }
    return 0;
}

static void test_chain(void **state)
{
    (void)state;
    char err[256];
    const char *csv = "static-tok,static-user,1\n";
    struct kapi_authn *a = kapi_authn_new_from_memory("t.csv", csv, strlen(csv), err, sizeof err);
    kapi_authn_add_token_authenticator(a, "a", tok_a, NULL);
    kapi_authn_add_token_authenticator(a, "b", tok_b, NULL);
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_user u;
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Bearer static-tok", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "static-user");
    assert_int_equal(calls_a, 0);
    /* an error from the first does not stop the second */
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Bearer b", &u), KAPI_AUTHN_OK);
    assert_string_equal(u.name, "from-b");
    assert_int_equal(calls_a, 1);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Bearer a", &u), KAPI_AUTHN_OK);
    assert_int_equal(calls_b, 1);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Bearer zzz", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, NULL, &u), KAPI_AUTHN_ANONYMOUS);
    assert_string_equal(u.name, "system:anonymous");
    kapi_authn_set_anonymous(a, false);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, NULL, &u), KAPI_AUTHN_INVALID);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Basic eDp5", &u), KAPI_AUTHN_INVALID);
    assert_int_equal(kapi_authn_authenticate(a, p, NULL, "Bearer static-tok", &u), KAPI_AUTHN_OK);
    kapi_authn_free(a);
    kapi_pool_free(p);
}

/* ---- webhook ---- */

static char *webhook_config_ca(const char *path, const char *ca_data)
{
    return kapi_xasprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: hook\n  cluster:\n"
                          "    server: https://127.0.0.1:%d%s\n    certificate-authority-data: %s\n"
                          "users:\n- name: api\n  user: {}\ncontexts:\n- name: c\n  context: {cluster: hook, user: api}\n"
                          "current-context: c\n",
                          srv_port, path, ca_data);
}

static char *webhook_config(const char *path)
{
    struct kapi_pool *p = kapi_pool_new();
    char *cfg = webhook_config_ca(path, kapi_b64_encode_pool(p, ca_pem, strlen(ca_pem), 0));
    kapi_pool_free(p);
    return cfg;
}

/* certificate-authority-data is a []byte: Go's decoder skips the line
 * breaks of a YAML literal block and refuses data after the padding. */
static void test_webhook_ca_data(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    const char *b64 = kapi_b64_encode_pool(p, ca_pem, strlen(ca_pem), 0);
    struct kapi_buf lit;
    kapi_buf_init(&lit, 0);
    kapi_buf_puts(&lit, "|");
    for (size_t i = 0; i < strlen(b64); i += 64)
        kapi_buf_printf(&lit, "\n      %.64s", b64 + i);
    char *cfg = webhook_config_ca("/review", lit.data);
    kapi_buf_dispose(&lit);
    struct kapi_webhook_token_opts o = {.config_data = cfg};
    char err[256];
    struct kapi_webhook_token *w = kapi_webhook_token_new(&o, err, sizeof err);
    if (!w)
        fail_msg("%s", err);
    struct kapi_user u;
    const char *why = NULL;
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "good-token", &u, &why), 1);
    assert_string_equal(u.name, "jane");
    kapi_webhook_token_free(w);
    free(cfg);
    cfg = webhook_config_ca("/review", "QQ==QQ==");
    struct kapi_webhook_token_opts bad = {.config_data = cfg};
    assert_null(kapi_webhook_token_new(&bad, err, sizeof err));
    assert_non_null(strstr(err, "certificate-authority-data: illegal base64 data"));
    free(cfg);
    kapi_pool_free(p);
}

static void test_webhook(void **state)
{
    (void)state;
    char *cfg = webhook_config("/review");
    const char *auds[] = {"https://kubernetes.default.svc.cluster.local"};
    struct kapi_webhook_token_opts o = {.config_data = cfg, .audiences = auds, .naud = 1};
    char err[256];
    struct kapi_webhook_token *w = kapi_webhook_token_new(&o, err, sizeof err);
    if (!w)
        fail_msg("%s", err);
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_user u;
    const char *why = NULL;
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "good-token", &u, &why), 1);
    assert_string_equal(u.name, "jane");
    assert_string_equal(u.uid, "u-1");
    assert_int_equal(u.ngroups, 1);
    assert_int_equal(u.nextra, 2);
    assert_non_null(strstr(last_review, "/review?timeout=30s {\"kind\":\"TokenReview\",\"apiVersion\":\"authentication.k8s.io/v1\""));
    assert_non_null(strstr(last_review, "\"spec\":{\"token\":\"good-token\",\"audiences\":[\"https://kubernetes.default.svc.cluster.local\"]}"));
    /* cached: no second call */
    uint64_t calls = kapi_webhook_token_calls(w);
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "good-token", &u, &why), 1);
    assert_int_equal(kapi_webhook_token_calls(w), calls);
    /* denied, denied again from the cache, another audience, a 500 */
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "bad-token", &u, &why), 0);
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "bad-token", &u, &why), 0);
    assert_int_equal(kapi_webhook_token_calls(w), calls + 1);
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "other-aud", &u, &why), 0);
    assert_int_equal(kapi_webhook_token_authenticate(w, p, "boom", &u, &why), -1);
    kapi_webhook_token_free(w);
    /* bad configurations */
    struct kapi_webhook_token_opts bad = {.config_data = cfg, .version = "v2"};
    assert_null(kapi_webhook_token_new(&bad, err, sizeof err));
    assert_string_equal(err, "unsupported authentication webhook version \"v2\", supported versions are \"v1\", \"v1beta1\"");
    struct kapi_webhook_token_opts empty = {.config_data = "apiVersion: v1\nkind: Config\n"};
    assert_null(kapi_webhook_token_new(&empty, err, sizeof err));
    free(cfg);
    kapi_pool_free(p);
}

/* ---- OIDC ---- */

static struct kapi_oidc *oidc_new(const char *claim, const char *prefix, const char *gclaim, const char *gprefix,
                                  const char *const *req, size_t nreq, const char *const *algs, size_t nalgs)
{
    struct kapi_oidc_opts o = {.issuer_url = issuer, .client_id = "kapi", .username_claim = claim,
                               .username_prefix = prefix, .groups_claim = gclaim, .groups_prefix = gprefix,
                               .ca_pem = ca_pem, .required_claims = req, .nrequired = nreq, .signing_algs = algs,
                               .nalgs = nalgs, .retry_ms = 100};
    char err[256];
    struct kapi_oidc *oi = kapi_oidc_new(&o, err, sizeof err);
    if (!oi)
        fail_msg("%s", err);
    assert_true(kapi_oidc_wait_ready(oi, 5000));
    return oi;
}

static const char *claims(struct kapi_pool *p, const char *extra)
{
    long now = (long)(kapi_wall_ms() / 1000);
    return kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":[\"x\",\"kapi\"],\"sub\":\"1234\",\"exp\":%ld,\"iat\":%ld%s}",
                            issuer, now + 600, now, extra);
}

static int oidc_auth(struct kapi_oidc *oi, struct kapi_pool *p, const char *tok, struct kapi_user *u,
                     const char **why)
{
    *why = NULL;
    return kapi_oidc_authenticate(oi, p, tok, u, why);
}

static void test_oidc(void **state)
{
    (void)state;
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_user u;
    const char *why;
    struct kapi_oidc *oi = oidc_new(NULL, NULL, "groups", "oidc:", NULL, 0, NULL, 0);
    /* default claim sub, default prefix "<issuer>#" */
    const char *t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"groups\":[\"a\",\"b\"]"));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    assert_string_equal(u.name, kapi_pool_printf(p, "%s#1234", issuer));
    assert_int_equal(u.ngroups, 2);
    assert_string_equal(u.groups[0], "oidc:a");
    /* a string groups claim */
    t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"groups\":\"admins\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    assert_int_equal(u.ngroups, 1);
    assert_string_equal(u.groups[0], "oidc:admins");
    t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"groups\":5"));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    /* another issuer: not ours */
    t = sign(p, rsa1, "RS256", "k1", "{\"iss\":\"https://elsewhere\",\"aud\":\"kapi\",\"sub\":\"x\",\"exp\":9999999999}");
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 0);
    assert_int_equal(oidc_auth(oi, p, "abcdef.0123456789abcdef", &u, &why), 0);
    /* wrong audience, expired, not yet valid, missing exp */
    long now = (long)(kapi_wall_ms() / 1000);
    t = sign(p, rsa1, "RS256", "k1",
             kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":\"other\",\"sub\":\"x\",\"exp\":%ld}", issuer, now + 60));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: verify token: oidc: expected audience \"kapi\" got [\"other\"]");
    t = sign(p, rsa1, "RS256", "k1",
             kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":\"kapi\",\"sub\":\"x\",\"exp\":%ld}", issuer, now - 5));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_non_null(strstr(why, "token is expired"));
    t = sign(p, rsa1, "RS256", "k1",
             kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":\"kapi\",\"sub\":\"x\",\"exp\":%ld,\"nbf\":%ld}", issuer,
                              now + 3600, now + 1000));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    t = sign(p, rsa1, "RS256", "k1",
             kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":\"kapi\",\"sub\":\"x\",\"exp\":%ld,\"nbf\":%ld}", issuer,
                              now + 3600, now + 100)); /* within the 5 minute leeway */
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    t = sign(p, rsa1, "RS256", "k1", kapi_pool_printf(p, "{\"iss\":\"%s\",\"aud\":\"kapi\",\"sub\":\"x\"}", issuer));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    /* ES256 is not allowed by default; a bad signature; tampered payload */
    t = sign(p, ec1, "ES256", "e1", claims(p, ""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_non_null(strstr(why, "unsupported algorithm"));
    t = sign(p, rsa2, "RS256", "k1", claims(p, ""));
    uint64_t f0 = kapi_oidc_jwks_fetches(oi);
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_non_null(strstr(why, "failed to verify"));
    assert_int_equal(kapi_oidc_jwks_fetches(oi), f0 + 1); /* a miss refreshes the keys */
    /* key rotation: a new kid is picked up by refetching */
    EVP_PKEY *ks[] = {rsa1, rsa2, ec1};
    const char *kids[] = {"k1", "k2", "e1"};
    set_jwks(ks, kids, 3);
    t = sign(p, rsa2, "RS256", "k2", claims(p, ""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    kapi_oidc_free(oi);

    /* email claim: no issuer prefix, email_verified must not be false */
    const char *req[] = {"hd=example.com"};
    oi = oidc_new("email", NULL, NULL, NULL, req, 1, NULL, 0);
    t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"email\":\"jane@example.com\",\"hd\":\"example.com\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    assert_string_equal(u.name, "jane@example.com");
    t = sign(p, rsa1, "RS256", "k1",
             claims(p, ",\"email\":\"jane@example.com\",\"email_verified\":false,\"hd\":\"example.com\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: email not verified");
    t = sign(p, rsa1, "RS256", "k1",
             claims(p, ",\"email\":\"jane@example.com\",\"email_verified\":true,\"hd\":\"other.com\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: required claim hd value does not match. Got = other.com, want = example.com");
    t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"email\":\"jane@example.com\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: required claim hd not present in ID token");
    t = sign(p, rsa1, "RS256", "k1", claims(p, ",\"hd\":\"example.com\""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: parse username claims \"email\": claim not present");
    kapi_oidc_free(oi);

    /* "-" means no prefix; an explicit prefix is used as is; ES256 when allowed */
    const char *algs[] = {"ES256"};
    oi = oidc_new("sub", "-", NULL, NULL, NULL, 0, algs, 1);
    t = sign(p, ec1, "ES256", "e1", claims(p, ""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    assert_string_equal(u.name, "1234");
    kapi_oidc_free(oi);
    oi = oidc_new("sub", "corp:", NULL, NULL, NULL, 0, NULL, 0);
    t = sign(p, rsa1, "RS256", "k1", claims(p, ""));
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), 1);
    assert_string_equal(u.name, "corp:1234");
    kapi_oidc_free(oi);

    /* configuration errors */
    char err[256];
    struct kapi_oidc_opts bad = {.issuer_url = "http://x", .client_id = "c"};
    assert_null(kapi_oidc_new(&bad, err, sizeof err));
    assert_string_equal(err, "issuer.url: Invalid value: \"http://x\": URL scheme must be https");
    struct kapi_oidc_opts noid = {.issuer_url = "https://x"};
    assert_null(kapi_oidc_new(&noid, err, sizeof err));
    const char *badalg[] = {"HS256"};
    struct kapi_oidc_opts ba = {.issuer_url = "https://x", .client_id = "c", .signing_algs = badalg, .nalgs = 1};
    assert_null(kapi_oidc_new(&ba, err, sizeof err));
    assert_string_equal(err, "oidc: unsupported signing alg: \"HS256\"");
    /* an unreachable issuer: tokens for it fail until discovery works */
    struct kapi_oidc_opts down = {.issuer_url = "https://127.0.0.1:1", .client_id = "kapi", .retry_ms = 50};
    oi = kapi_oidc_new(&down, err, sizeof err);
    assert_non_null(oi);
    t = sign(p, rsa1, "RS256", "k1", "{\"iss\":\"https://127.0.0.1:1\",\"aud\":\"kapi\",\"sub\":\"x\",\"exp\":9999999999}");
    assert_int_equal(oidc_auth(oi, p, t, &u, &why), -1);
    assert_string_equal(why, "oidc: authenticator not initialized");
    kapi_oidc_free(oi);
    kapi_pool_free(p);
}

int main(void)
{
    kapi_log_verbosity = 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bootstrap), cmocka_unit_test(test_requestheader), cmocka_unit_test(test_chain),
        cmocka_unit_test(test_webhook),
        cmocka_unit_test(test_webhook_ca_data),
        cmocka_unit_test(test_oidc),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
