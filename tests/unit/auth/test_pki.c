/* Unit tests for src/auth/pki: bootstrap, reuse, regeneration, kubeconfig. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <yaml.h>

#include "auth/pki.h"
#include "base/base.h"

struct fixture {
    char root[64];
    char *dir;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static int setup(void **state)
{
    struct fixture *f = kapi_xcalloc(1, sizeof *f);
    strcpy(f->root, "/tmp/kapi-pki-test-XXXXXX");
    assert_non_null(mkdtemp(f->root));
    /* A nested, not yet existing directory: bootstrap must create it. */
    f->dir = kapi_xasprintf("%s/data/pki", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
    free(f);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        assert_int_equal(kapi_buf_append(&b, chunk, n), 0);
    fclose(fp);
    return kapi_buf_steal(&b, len);
}

static unsigned file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static X509 *read_cert(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    X509 *x = PEM_read_X509(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *read_key(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

/* Verifies x against the CA file for the given purpose (X509_PURPOSE_*). */
static int verify_with_ca(X509 *x, const char *ca_path, int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509 *ca = read_cert(ca_path);
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, x, NULL);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(ctx), X509_V_FLAG_X509_STRICT);
    int ok = X509_verify_cert(ctx);
    X509_STORE_CTX_free(ctx);
    X509_free(ca);
    X509_STORE_free(store);
    return ok;
}

static void subject_text(X509 *x, int nid, char *buf, size_t len)
{
    buf[0] = 0;
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), nid, buf, (int)len);
}

static const char *const extra_sans[] = {"10.0.0.5", "API.Example.com", "[fd00::1]"};

static void bootstrap_ok(struct fixture *f, const char *const *sans, size_t n, struct kapi_pki *p)
{
    char err[512] = "";
    int rc = kapi_pki_bootstrap(f->dir, sans, n, p, err, sizeof err);
    if (rc != 0)
        fail_msg("bootstrap failed: %s", err);
}

static void test_bootstrap_creates_files_with_modes(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, extra_sans, KAPI_ARRAY_LEN(extra_sans), &p);
    assert_int_equal(p.generated, KAPI_PKI_GEN_CA | KAPI_PKI_GEN_SERVING | KAPI_PKI_GEN_ADMIN | KAPI_PKI_GEN_SA);
    assert_int_equal(file_mode(p.dir), 0700);
    const char *keys[] = {p.ca_key, p.serving_key, p.admin_key, p.sa_key};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keys); i++)
        assert_int_equal(file_mode(keys[i]), 0600);
    const char *certs[] = {p.ca_cert, p.serving_cert, p.admin_cert, p.sa_pub};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(certs); i++)
        assert_int_equal(file_mode(certs[i]), 0644);
    char *expect = kapi_xasprintf("%s/apiserver.crt", f->dir);
    assert_string_equal(p.serving_cert, expect);
    free(expect);
    /* No temp files left behind. */
    char *cmd = kapi_xasprintf("ls %s | grep -q tmp", f->dir);
    assert_int_not_equal(system(cmd), 0);
    free(cmd);
    kapi_pki_dispose(&p);
    assert_null(p.dir);
}

static void test_second_bootstrap_reuses_everything(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p1, p2;
    bootstrap_ok(f, extra_sans, KAPI_ARRAY_LEN(extra_sans), &p1);
    size_t l1, l2, s1, s2, k1, k2;
    char *ca1 = slurp(p1.ca_cert, &l1), *srv1 = slurp(p1.serving_cert, &s1), *sa1 = slurp(p1.sa_key, &k1);
    bootstrap_ok(f, extra_sans, KAPI_ARRAY_LEN(extra_sans), &p2);
    assert_int_equal(p2.generated, 0);
    char *ca2 = slurp(p2.ca_cert, &l2), *srv2 = slurp(p2.serving_cert, &s2), *sa2 = slurp(p2.sa_key, &k2);
    assert_int_equal(l1, l2);
    assert_memory_equal(ca1, ca2, l1);
    assert_int_equal(s1, s2);
    assert_memory_equal(srv1, srv2, s1);
    assert_int_equal(k1, k2);
    assert_memory_equal(sa1, sa2, k1);
    free(ca1), free(ca2), free(srv1), free(srv2), free(sa1), free(sa2);
    kapi_pki_dispose(&p1);
    kapi_pki_dispose(&p2);
}

static void test_ca_properties(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, NULL, 0, &p);
    X509 *ca = read_cert(p.ca_cert);
    char cn[128];
    subject_text(ca, NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "kubernetes");
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(verify_with_ca(ca, p.ca_cert, X509_PURPOSE_ANY), 1);
    uint32_t ku = X509_get_key_usage(ca);
    assert_true(ku & KU_KEY_CERT_SIGN);
    assert_true(ku & KU_CRL_SIGN);
    assert_true(ku & KU_DIGITAL_SIGNATURE);
    int crit = 0;
    BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(ca, NID_basic_constraints, &crit, NULL);
    assert_non_null(bc);
    assert_true(bc->ca);
    assert_int_equal(crit, 1);
    BASIC_CONSTRAINTS_free(bc);
    /* About ten years. */
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(ca)), 1);
    assert_in_range(days, 3640, 3660);
    /* Serial numbers are random and positive. */
    const ASN1_INTEGER *serial = X509_get0_serialNumber(ca);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER);
    assert_true(ASN1_STRING_length(serial) >= 8);
    X509_free(ca);
    kapi_pki_dispose(&p);
}

static void test_serving_cert_sans_and_chain(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, extra_sans, KAPI_ARRAY_LEN(extra_sans), &p);
    X509 *x = read_cert(p.serving_cert);
    assert_int_equal(verify_with_ca(x, p.ca_cert, X509_PURPOSE_SSL_SERVER), 1);
    char cn[128];
    subject_text(x, NID_commonName, cn, sizeof cn);
    assert_string_equal(cn, "kube-apiserver");
    assert_int_equal(X509_check_ca(x), 0);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    const char *dns[] = {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                         "kubernetes.default.svc.cluster.local", "api.example.com"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(dns); i++)
        assert_int_equal(X509_check_host(x, dns[i], 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
    char host[256];
    assert_int_equal(gethostname(host, sizeof host), 0);
    assert_int_equal(X509_check_host(x, host, 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 1);
    const char *ips[] = {"127.0.0.1", "::1", "10.0.0.5", "fd00::1"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(ips); i++)
        assert_int_equal(X509_check_ip_asc(x, ips[i], 0), 1);
    /* Negative checks, so the assertions above can fail. */
    assert_int_not_equal(X509_check_host(x, "evil.example.com", 0, 0, NULL), 1);
    assert_int_not_equal(X509_check_ip_asc(x, "10.0.0.6", 0), 1);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)), 1);
    assert_in_range(days, 360, 366);
    EVP_PKEY *k = read_key(p.serving_key);
    assert_int_equal(X509_check_private_key(x, k), 1);
    EVP_PKEY_free(k);
    X509_free(x);
    kapi_pki_dispose(&p);
}

static void test_admin_cert(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, NULL, 0, &p);
    X509 *x = read_cert(p.admin_cert);
    char buf[128];
    subject_text(x, NID_commonName, buf, sizeof buf);
    assert_string_equal(buf, "kubernetes-admin");
    subject_text(x, NID_organizationName, buf, sizeof buf);
    assert_string_equal(buf, "system:masters");
    assert_int_equal(verify_with_ca(x, p.ca_cert, X509_PURPOSE_SSL_CLIENT), 1);
    assert_true(X509_get_extended_key_usage(x) & XKU_SSL_CLIENT);
    assert_false(X509_get_extended_key_usage(x) & XKU_SSL_SERVER);
    EVP_PKEY *k = read_key(p.admin_key);
    assert_int_equal(X509_check_private_key(x, k), 1);
    EVP_PKEY_free(k);
    X509_free(x);
    kapi_pki_dispose(&p);
}

static void test_sa_key_pair(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, NULL, 0, &p);
    EVP_PKEY *k = read_key(p.sa_key);
    assert_int_equal(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(k), 2048);
    FILE *fp = fopen(p.sa_pub, "rb");
    assert_non_null(fp);
    EVP_PKEY *pub = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_eq(pub, k), 1);
    EVP_PKEY_free(pub);
    /* A lost public half is rewritten from the private key, not a new key. */
    assert_int_equal(unlink(p.sa_pub), 0);
    struct kapi_pki p2;
    bootstrap_ok(f, NULL, 0, &p2);
    assert_int_equal(p2.generated, 0);
    fp = fopen(p2.sa_pub, "rb");
    assert_non_null(fp);
    pub = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_eq(pub, k), 1);
    EVP_PKEY_free(pub);
    EVP_PKEY_free(k);
    kapi_pki_dispose(&p);
    kapi_pki_dispose(&p2);
}

static void test_async_sa_key(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p, p2;
    char err[512] = "";
    assert_int_equal(kapi_pki_bootstrap_ex(f->dir, NULL, 0, KAPI_PKI_ASYNC_SA, &p, err, sizeof err), 0);
    assert_true(p.generated & KAPI_PKI_GEN_SA);
    assert_non_null(p.sa_job);
    /* Everything but the SA key is usable at once. */
    assert_int_equal(access(p.serving_key, F_OK), 0);
    assert_int_equal(kapi_pki_sa_wait(&p, err, sizeof err), 0);
    assert_int_equal(kapi_pki_sa_wait(&p, err, sizeof err), 0); /* idempotent */
    EVP_PKEY *k = read_key(p.sa_key);
    assert_int_equal(EVP_PKEY_get_bits(k), 2048);
    EVP_PKEY_free(k);
    assert_int_equal(access(p.sa_pub, F_OK), 0);
    /* With the key present nothing runs in the background. */
    assert_int_equal(kapi_pki_bootstrap_ex(f->dir, NULL, 0, KAPI_PKI_ASYNC_SA, &p2, err, sizeof err), 0);
    assert_int_equal(p2.generated, 0);
    assert_null(p2.sa_job);
    assert_int_equal(kapi_pki_sa_wait(&p2, err, sizeof err), 0);
    kapi_pki_dispose(&p);
    kapi_pki_dispose(&p2);
    /* Disposing without waiting joins the thread (no leak, no stray write). */
    char *dir2 = kapi_xasprintf("%s/other", f->root);
    assert_int_equal(kapi_pki_bootstrap_ex(dir2, NULL, 0, KAPI_PKI_ASYNC_SA, &p, err, sizeof err), 0);
    kapi_pki_dispose(&p);
    char *sa = kapi_xasprintf("%s/sa.key", dir2);
    assert_int_equal(access(sa, F_OK), 0);
    free(sa);
    free(dir2);
}

static void test_new_san_regenerates_serving_only(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p1, p2;
    bootstrap_ok(f, NULL, 0, &p1);
    size_t l1, l2;
    char *ca1 = slurp(p1.ca_cert, &l1);
    const char *more[] = {"192.168.7.7", "kapi.internal"};
    bootstrap_ok(f, more, 2, &p2);
    assert_int_equal(p2.generated, KAPI_PKI_GEN_SERVING);
    char *ca2 = slurp(p2.ca_cert, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(ca1, ca2, l1);
    X509 *x = read_cert(p2.serving_cert);
    assert_int_equal(verify_with_ca(x, p2.ca_cert, X509_PURPOSE_SSL_SERVER), 1);
    assert_int_equal(X509_check_ip_asc(x, "192.168.7.7", 0), 1);
    assert_int_equal(X509_check_host(x, "kapi.internal", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    X509_free(x);
    /* Asking for a subset afterwards keeps the bigger certificate. */
    struct kapi_pki p3;
    bootstrap_ok(f, NULL, 0, &p3);
    assert_int_equal(p3.generated, 0);
    free(ca1), free(ca2);
    kapi_pki_dispose(&p1);
    kapi_pki_dispose(&p2);
    kapi_pki_dispose(&p3);
}

/* Re-signs the serving certificate so it expires tomorrow. */
static void make_serving_nearly_expired(const struct kapi_pki *p)
{
    X509 *x = read_cert(p->serving_cert);
    EVP_PKEY *ca_key = read_key(p->ca_key);
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), 1, 0, NULL));
    assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
    FILE *fp = fopen(p->serving_cert, "wb");
    assert_non_null(fp);
    assert_int_equal(PEM_write_X509(fp, x), 1);
    fclose(fp);
    X509_free(x);
    EVP_PKEY_free(ca_key);
}

static void test_expiring_serving_cert_is_renewed(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p1, p2;
    bootstrap_ok(f, NULL, 0, &p1);
    make_serving_nearly_expired(&p1);
    bootstrap_ok(f, NULL, 0, &p2);
    assert_int_equal(p2.generated, KAPI_PKI_GEN_SERVING);
    X509 *x = read_cert(p2.serving_cert);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)), 1);
    assert_true(days > 300);
    assert_int_equal(verify_with_ca(x, p2.ca_cert, X509_PURPOSE_SSL_SERVER), 1);
    X509_free(x);
    kapi_pki_dispose(&p1);
    kapi_pki_dispose(&p2);
}

static void test_leaf_from_foreign_ca_is_replaced(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p1, p2;
    bootstrap_ok(f, NULL, 0, &p1);
    /* A new CA (both halves removed) must re-issue every leaf. */
    assert_int_equal(unlink(p1.ca_cert), 0);
    assert_int_equal(unlink(p1.ca_key), 0);
    bootstrap_ok(f, NULL, 0, &p2);
    assert_int_equal(p2.generated, KAPI_PKI_GEN_CA | KAPI_PKI_GEN_SERVING | KAPI_PKI_GEN_ADMIN);
    X509 *x = read_cert(p2.admin_cert);
    assert_int_equal(verify_with_ca(x, p2.ca_cert, X509_PURPOSE_SSL_CLIENT), 1);
    X509_free(x);
    kapi_pki_dispose(&p1);
    kapi_pki_dispose(&p2);
}

static void test_half_ca_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p1, p2;
    bootstrap_ok(f, NULL, 0, &p1);
    assert_int_equal(unlink(p1.ca_key), 0);
    char err[512] = "";
    assert_int_equal(kapi_pki_bootstrap(f->dir, NULL, 0, &p2, err, sizeof err), -1);
    assert_non_null(strstr(err, "ca.key"));
    assert_null(p2.dir);
    /* The CA certificate was not replaced. */
    assert_int_equal(access(p1.ca_cert, F_OK), 0);
    kapi_pki_dispose(&p1);
}

static void test_bad_san_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    const char *bad[] = {"not a name"};
    char err[512] = "";
    assert_int_equal(kapi_pki_bootstrap(f->dir, bad, 1, &p, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a name"));
}

/* Collects the value scalars of the keys we care about from a YAML stream;
 * fails the test if libyaml cannot parse it. */
struct kc_fields {
    char *ca, *cert, *key, *server, *current;
};

static void parse_kubeconfig(const char *data, size_t len, struct kc_fields *out)
{
    yaml_parser_t parser;
    assert_int_equal(yaml_parser_initialize(&parser), 1);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
    char **want = NULL;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev))
            fail_msg("kubeconfig is not valid YAML: %s", parser.problem);
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_SCALAR_EVENT) {
            const char *v = (const char *)ev.data.scalar.value;
            if (want) {
                *want = kapi_xstrdup(v);
                want = NULL;
            } else if (!strcmp(v, "certificate-authority-data"))
                want = &out->ca;
            else if (!strcmp(v, "client-certificate-data"))
                want = &out->cert;
            else if (!strcmp(v, "client-key-data"))
                want = &out->key;
            else if (!strcmp(v, "server"))
                want = &out->server;
            else if (!strcmp(v, "current-context"))
                want = &out->current;
        } else {
            want = NULL;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
}

static void assert_b64_is_file(const char *b64, const char *path)
{
    assert_non_null(b64);
    size_t flen;
    char *file = slurp(path, &flen);
    size_t blen = strlen(b64);
    unsigned char *dec = kapi_xmalloc(blen + 1);
    int n = EVP_DecodeBlock(dec, (const unsigned char *)b64, (int)blen);
    assert_true(n >= 0);
    /* DecodeBlock counts padding as zero bytes. */
    if (blen >= 1 && b64[blen - 1] == '=')
        n--;
    if (blen >= 2 && b64[blen - 2] == '=')
        n--;
    assert_int_equal((size_t)n, flen);
    assert_memory_equal(dec, file, flen);
    free(dec);
    free(file);
}

static void test_kubeconfig(void **state)
{
    struct fixture *f = *state;
    struct kapi_pki p;
    bootstrap_ok(f, NULL, 0, &p);
    char *path = kapi_xasprintf("%s/admin.kubeconfig", f->root);
    char err[512] = "";
    assert_int_equal(kapi_kubeconfig_write(path, "https://127.0.0.1:6443", &p, err, sizeof err), 0);
    assert_int_equal(file_mode(path), 0600);
    size_t len;
    char *data = slurp(path, &len);
    struct kc_fields kc = {0};
    parse_kubeconfig(data, len, &kc);
    assert_b64_is_file(kc.ca, p.ca_cert);
    assert_b64_is_file(kc.cert, p.admin_cert);
    assert_b64_is_file(kc.key, p.admin_key);
    assert_non_null(kc.server);
    assert_string_equal(kc.server, "https://127.0.0.1:6443");
    assert_non_null(kc.current);
    assert_string_equal(kc.current, "kapi");
    assert_non_null(strstr(data, "kind: Config"));
    free(kc.ca), free(kc.cert), free(kc.key), free(kc.server), free(kc.current);
    free(data);

    /* Odd characters in the URL survive YAML quoting. */
    assert_int_equal(kapi_kubeconfig_write(path, "https://h:1/\"x\\y\"", &p, err, sizeof err), 0);
    data = slurp(path, &len);
    struct kc_fields kc2 = {0};
    parse_kubeconfig(data, len, &kc2);
    assert_string_equal(kc2.server, "https://h:1/\"x\\y\"");
    free(kc2.ca), free(kc2.cert), free(kc2.key), free(kc2.server), free(kc2.current);
    free(data);

    /* Unreadable inputs are reported, not written as empty fields. */
    struct kapi_pki broken = p;
    broken.admin_key = "/nonexistent/admin.key";
    char *path2 = kapi_xasprintf("%s/other.kubeconfig", f->root);
    assert_int_equal(kapi_kubeconfig_write(path2, "https://127.0.0.1:6443", &broken, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/admin.key"));
    assert_int_not_equal(access(path2, F_OK), 0);
    free(path2);
    free(path);
    kapi_pki_dispose(&p);
}

static void test_write_file_is_atomic_replace(void **state)
{
    struct fixture *f = *state;
    char *path = kapi_xasprintf("%s/x.txt", f->root);
    assert_int_equal(kapi_pki_write_file(path, "one", 3, 0600), 0);
    assert_int_equal(kapi_pki_write_file(path, "second", 6, 0644), 0);
    size_t len;
    char *d = slurp(path, &len);
    assert_int_equal(len, 6);
    assert_memory_equal(d, "second", 6);
    assert_int_equal(file_mode(path), 0644);
    free(d);
    char *bad = kapi_xasprintf("%s/missing/x.txt", f->root);
    assert_int_equal(kapi_pki_write_file(bad, "a", 1, 0600), -1);
    free(bad);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bootstrap_creates_files_with_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_bootstrap_reuses_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ca_properties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serving_cert_sans_and_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admin_cert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sa_key_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_sa_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_san_regenerates_serving_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiring_serving_cert_is_renewed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_from_foreign_ca_is_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_ca_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_san_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kubeconfig, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_file_is_atomic_replace, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
