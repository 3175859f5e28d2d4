/* PKI bootstrap: CA, serving and admin certificates, service-account key,
 * admin kubeconfig. See docs/internals/pki.md for the reuse rules. */
#include "pki.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../base/b64.h"
#include "../base/base.h"

#define CA_DAYS 3650
#define LEAF_DAYS 365
/* Leaf certificates are replaced once less than this much validity is left,
 * so a server restarted now and then never serves an expired certificate. */
#define RENEW_BEFORE_SEC (30L * 24 * 3600)
/* Tolerate clients whose clock is a little behind ours. */
#define BACKDATE_SEC 3600L

#define ADMIN_CN "kubernetes-admin"
#define ADMIN_ORG "system:masters"
#define CA_CN "kubernetes"
#define SERVING_CN "kube-apiserver"

static void KAPI_PRINTF(3, 4) seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* Append OpenSSL's reason, if any, so "signing failed" says why. */
    unsigned long e = ERR_peek_last_error();
    if (e) {
        size_t n = strlen(err);
        const char *r = ERR_reason_error_string(e);
        if (r && n + 3 < errlen)
            snprintf(err + n, errlen - n, ": %s", r);
    }
    ERR_clear_error();
}

/* ---- files ---- */

static int mkdir_p(const char *dir, unsigned mode)
{
    char *p = kapi_xstrdup(dir);
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, mode) == 0) {
        /* mkdir honours the umask; the key directory must be exactly 0700. */
        rc = chmod(p, mode);
    } else if (errno != EEXIST) {
        rc = -1;
    } else {
        struct stat st;
        if (stat(p, &st) != 0)
            rc = -1;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = -1;
        }
    }
    free(p);
    return rc;
}

int kapi_pki_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char *tmp = kapi_xasprintf("%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    const char *d = data;
    size_t off = 0;
    int rc = fchmod(fd, mode);
    while (rc == 0 && off < len) {
        ssize_t w = write(fd, d + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = -1;
        else
            off += (size_t)w;
    }
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = -1;
        saved = errno;
    }
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    errno = saved;
    return rc;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads a whole (small) file; NULL with errno set on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 16u << 20);
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (kapi_buf_append(&b, chunk, n) != 0) {
            rc = -1;
            errno = EFBIG;
            break;
        }
    if (ferror(f)) {
        rc = -1;
        errno = EIO;
    }
    fclose(f);
    if (rc != 0) {
        kapi_buf_dispose(&b);
        return NULL;
    }
    if (!b.data)
        kapi_buf_puts(&b, "");
    return kapi_buf_steal(&b, len);
}

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

/* OpenSSL 3's generic key reader tries every decoder and costs ~0.7 ms per
 * key; decoding the DER for the type we expect is ~3x faster. Anything else
 * (another key type, encrypted or unusual PEM) takes the generic path. */
static EVP_PKEY *load_key(const char *path, int expected_type)
{
    size_t len;
    char *file = read_file(path, &len);
    if (!file)
        return NULL;
    EVP_PKEY *k = NULL;
    BIO *bio = BIO_new_mem_buf(file, (int)len);
    char *name = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;
    if (bio && PEM_read_bio(bio, &name, &header, &der, &derlen) == 1 && header[0] == 0) {
        int type = !strcmp(name, "PRIVATE KEY")      ? expected_type
                   : !strcmp(name, "EC PRIVATE KEY")  ? EVP_PKEY_EC
                   : !strcmp(name, "RSA PRIVATE KEY") ? EVP_PKEY_RSA
                                                      : EVP_PKEY_NONE;
        const unsigned char *q = der;
        if (type == expected_type)
            k = d2i_PrivateKey(type, NULL, &q, derlen);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(der);
    if (!k && bio) {
        ERR_clear_error();
        BIO_reset(bio);
        k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    free(file);
    return k;
}

static EVP_PKEY *load_pubkey(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    EVP_PKEY *k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    return k;
}

/* Serialises with a PEM writer into memory, then writes atomically. */
static int write_bio_file(const char *path, BIO *bio, unsigned mode)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    if (len < 0)
        return -1;
    return kapi_pki_write_file(path, data, (size_t)len, mode);
}

static int save_key(const char *path, EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    if (b && PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1)
        rc = write_bio_file(path, b, 0600);
    BIO_free(b);
    return rc;
}

static int save_pubkey(const char *path, EVP_PKEY *key)
{
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    if (b && PEM_write_bio_PUBKEY(b, key) == 1)
        rc = write_bio_file(path, b, 0644);
    BIO_free(b);
    return rc;
}

static int save_cert(const char *path, X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -1;
    if (b && PEM_write_bio_X509(b, x) == 1)
        rc = write_bio_file(path, b, 0644);
    BIO_free(b);
    return rc;
}

/* ---- subject alternative names ---- */

struct san {
    char *text;               /* as given (brackets stripped), DNS lower-cased */
    bool ip;
    unsigned char addr[16];
    int addrlen;              /* 4 or 16 for IPs */
};

struct san_list {
    struct san *v;
    size_t n, cap;
};

static void sans_dispose(struct san_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static bool dns_name_ok(const char *s)
{
    if (!*s || strlen(s) > 253)
        return false;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c == '*'))
            return false;
    }
    return true;
}

/* Adds one SAN, detecting IP vs DNS; duplicates are dropped. -1 if invalid. */
static int sans_add(struct san_list *l, const char *in)
{
    struct san s = {0};
    size_t n = strlen(in);
    char *t;
    if (n >= 2 && in[0] == '[' && in[n - 1] == ']')
        t = kapi_xstrndup(in + 1, n - 2);
    else
        t = kapi_xstrdup(in);
    if (inet_pton(AF_INET, t, s.addr) == 1) {
        s.ip = true;
        s.addrlen = 4;
    } else if (inet_pton(AF_INET6, t, s.addr) == 1) {
        s.ip = true;
        s.addrlen = 16;
    } else {
        for (char *p = t; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        /* A trailing dot is the same name; certificates carry it without. */
        size_t tl = strlen(t);
        if (tl > 1 && t[tl - 1] == '.')
            t[tl - 1] = 0;
        if (!dns_name_ok(t)) {
            free(t);
            return -1;
        }
    }
    s.text = t;
    for (size_t i = 0; i < l->n; i++) {
        struct san *o = &l->v[i];
        bool same = s.ip ? (o->ip && o->addrlen == s.addrlen && memcmp(o->addr, s.addr, (size_t)s.addrlen) == 0)
                         : (!o->ip && strcmp(o->text, s.text) == 0);
        if (same) {
            free(t);
            return 0;
        }
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = kapi_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = s;
    return 0;
}

static const char *const fixed_sans[] = {
    "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local", "127.0.0.1", "::1",
};

static int wanted_sans(struct san_list *l, const char *const *extra, size_t nextra, char *err, size_t errlen)
{
    for (size_t i = 0; i < KAPI_ARRAY_LEN(fixed_sans); i++)
        sans_add(l, fixed_sans[i]);
    char host[HOST_NAME_MAX + 1];
    /* A host name that is not a usable DNS name is skipped, not fatal. */
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = 0;
        if (host[0])
            (void)sans_add(l, host);
    }
    for (size_t i = 0; i < nextra; i++) {
        if (!extra[i] || sans_add(l, extra[i]) != 0) {
            seterr(err, errlen, "pki: invalid subject alternative name '%s' (want an IP address or DNS name)",
                   extra[i] ? extra[i] : "(null)");
            return -1;
        }
    }
    return 0;
}

static GENERAL_NAMES *sans_to_gens(const struct san_list *l)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    for (size_t i = 0; gens && i < l->n; i++) {
        const struct san *s = &l->v[i];
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_STRING *v = ASN1_STRING_type_new(s->ip ? V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
        bool ok = g && v &&
                  (s->ip ? ASN1_STRING_set(v, s->addr, s->addrlen) : ASN1_STRING_set(v, s->text, -1));
        if (ok) {
            GENERAL_NAME_set0_value(g, s->ip ? GEN_IPADD : GEN_DNS, v);
            v = NULL; /* owned by g now */
            ok = sk_GENERAL_NAME_push(gens, g) > 0;
            if (ok)
                g = NULL;
        }
        ASN1_STRING_free(v);
        GENERAL_NAME_free(g);
        if (!ok) {
            GENERAL_NAMES_free(gens);
            gens = NULL;
        }
    }
    return gens;
}

/* ---- keys and certificates ---- */

static EVP_PKEY *gen_ec_key(void)
{
    return EVP_EC_gen("P-256");
}

static EVP_PKEY *gen_rsa_key(void)
{
    return EVP_RSA_gen(2048);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!e)
        return -1;
    int ok = X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    return ok ? 0 : -1;
}

static int set_random_serial(X509 *x)
{
    BIGNUM *bn = BN_new();
    int rc = -1;
    /* 127 random bits: positive as a DER INTEGER and at most 16 bytes, which
     * keeps strict verifiers (Go rejects negative serials) happy. */
    if (bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1) {
        if (BN_is_zero(bn))
            BN_one(bn);
        if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
            rc = 0;
    }
    BN_free(bn);
    return rc;
}

enum cert_kind { CERT_CA, CERT_SERVING, CERT_CLIENT };

/* Builds and signs a certificate for key. issuer == NULL: self-signed CA. */
static X509 *make_cert(enum cert_kind kind, const char *cn, const char *org, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, const struct san_list *sans)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_set_version(x, 2) != 1 || set_random_serial(x) != 0)
        goto fail;
    /* O before CN, the order Go and kubeadm produce. */
    if (org && !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0))
        goto fail;
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
        goto fail;
    if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
        goto fail;
    int days = kind == CERT_CA ? CA_DAYS : LEAF_DAYS;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SEC) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
        goto fail;
    if (!X509_set_pubkey(x, key))
        goto fail;

    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (kind == CERT_CA) {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") ||
            add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign") ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash"))
            goto fail;
    } else {
        if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
            add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
            add_ext(x, &ctx, NID_ext_key_usage, kind == CERT_SERVING ? "serverAuth" : "clientAuth") ||
            add_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
            add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"))
            goto fail;
        if (kind == CERT_SERVING) {
            GENERAL_NAMES *gens = sans_to_gens(sans);
            if (!gens)
                goto fail;
            int ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT);
            GENERAL_NAMES_free(gens);
            if (ok != 1)
                goto fail;
        }
    }
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* True when x expires within `margin` seconds from now (or already has). */
static bool expires_within(X509 *x, long margin)
{
    time_t t = time(NULL) + margin;
    return X509_cmp_time(X509_get0_notAfter(x), &t) <= 0;
}

/* Checks that a leaf still matches its key, chains to the CA and is fresh. */
static bool leaf_usable(X509 *x, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_pub)
{
    if (X509_check_private_key(x, key) != 1)
        return false;
    if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ca)) != 0)
        return false;
    if (X509_verify(x, ca_pub) != 1)
        return false;
    return !expires_within(x, RENEW_BEFORE_SEC);
}

static bool has_all_sans(X509 *x, const struct san_list *sans)
{
    for (size_t i = 0; i < sans->n; i++) {
        const struct san *s = &sans->v[i];
        int r = s->ip ? X509_check_ip(x, s->addr, (size_t)s->addrlen, 0)
                      : X509_check_host(x, s->text, 0,
                                        X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL);
        if (r != 1)
            return false;
    }
    return true;
}

/* True when the certificate's subject has exactly this CN and O. */
static bool subject_is(X509 *x, const char *cn, const char *org)
{
    X509_NAME *n = X509_get_subject_name(x);
    char buf[256];
    if (X509_NAME_get_text_by_NID(n, NID_commonName, buf, sizeof buf) < 0 || strcmp(buf, cn) != 0)
        return false;
    if (X509_NAME_get_text_by_NID(n, NID_organizationName, buf, sizeof buf) < 0 || strcmp(buf, org) != 0)
        return false;
    return true;
}

/* Loads or creates the CA. Both files or neither: a lone half is an error,
 * because silently replacing a CA would invalidate every issued credential. */
static int ensure_ca(struct kapi_pki *p, X509 **ca, EVP_PKEY **ca_key, char *err, size_t errlen)
{
    bool have_crt = file_exists(p->ca_cert), have_key = file_exists(p->ca_key);
    if (have_crt != have_key) {
        seterr(err, errlen, "pki: %s exists but %s does not; restore it or remove both to create a new CA",
               have_crt ? p->ca_cert : p->ca_key, have_crt ? p->ca_key : p->ca_cert);
        return -1;
    }
    if (have_crt) {
        *ca = load_cert(p->ca_cert);
        if (!*ca) {
            seterr(err, errlen, "pki: cannot read CA certificate %s", p->ca_cert);
            return -1;
        }
        *ca_key = load_key(p->ca_key, EVP_PKEY_EC);
        if (!*ca_key) {
            seterr(err, errlen, "pki: cannot read CA key %s", p->ca_key);
            return -1;
        }
        if (X509_check_private_key(*ca, *ca_key) != 1) {
            seterr(err, errlen, "pki: %s does not match %s", p->ca_key, p->ca_cert);
            return -1;
        }
        if (expires_within(*ca, 0)) {
            seterr(err, errlen, "pki: CA certificate %s has expired; remove the pki directory to create a new one",
                   p->ca_cert);
            return -1;
        }
        if (expires_within(*ca, RENEW_BEFORE_SEC))
            kapi_log(0, "pki: warning: CA certificate %s expires within 30 days", p->ca_cert);
        return 0;
    }
    *ca_key = gen_ec_key();
    if (!*ca_key) {
        seterr(err, errlen, "pki: generating CA key failed");
        return -1;
    }
    *ca = make_cert(CERT_CA, CA_CN, NULL, *ca_key, NULL, NULL, NULL);
    if (!*ca) {
        seterr(err, errlen, "pki: creating CA certificate failed");
        return -1;
    }
    /* Key first: a crash in between leaves a key without certificate, which
     * the next start reports instead of pairing a certificate with no key. */
    if (save_key(p->ca_key, *ca_key) != 0 || save_cert(p->ca_cert, *ca) != 0) {
        seterr(err, errlen, "pki: writing CA files in %s: %s", p->dir, strerror(errno));
        return -1;
    }
    p->generated |= KAPI_PKI_GEN_CA;
    return 0;
}

static int ensure_leaf(enum cert_kind kind, const char *cert_path, const char *key_path, X509 *ca,
                       EVP_PKEY *ca_key, const struct san_list *sans, bool *generated, char *err, size_t errlen)
{
    const char *cn = kind == CERT_SERVING ? SERVING_CN : ADMIN_CN;
    const char *org = kind == CERT_SERVING ? NULL : ADMIN_ORG;
    X509 *x = load_cert(cert_path);
    EVP_PKEY *k = x ? load_key(key_path, EVP_PKEY_EC) : NULL;
    bool ok = x && k && leaf_usable(x, k, ca, ca_key);
    if (ok && kind == CERT_SERVING)
        ok = has_all_sans(x, sans);
    if (ok && kind == CERT_CLIENT)
        ok = subject_is(x, cn, org);
    X509_free(x);
    EVP_PKEY_free(k);
    ERR_clear_error();
    *generated = false;
    if (ok)
        return 0;

    int rc = -1;
    k = gen_ec_key();
    x = k ? make_cert(kind, cn, org, k, ca, ca_key, sans) : NULL;
    if (!x)
        seterr(err, errlen, "pki: creating %s failed", cert_path);
    else if (save_key(key_path, k) != 0 || save_cert(cert_path, x) != 0)
        seterr(err, errlen, "pki: writing %s: %s", cert_path, strerror(errno));
    else {
        rc = 0;
        *generated = true;
    }
    X509_free(x);
    EVP_PKEY_free(k);
    return rc;
}

static int generate_sa(const char *key_path, const char *pub_path, char *err, size_t errlen)
{
    EVP_PKEY *k = gen_rsa_key();
    int rc = -1;
    if (!k)
        seterr(err, errlen, "pki: generating service-account key failed");
    else if (save_key(key_path, k) != 0)
        seterr(err, errlen, "pki: writing %s: %s", key_path, strerror(errno));
    else if (save_pubkey(pub_path, k) != 0)
        seterr(err, errlen, "pki: writing %s: %s", pub_path, strerror(errno));
    else
        rc = 0;
    EVP_PKEY_free(k);
    ERR_clear_error();
    return rc;
}

/* RSA key generation is a random prime search: 0.1 s to several seconds on
 * a busy machine. KAPI_PKI_ASYNC_SA moves it off the start-up path. */
struct sa_job {
    pthread_t thread;
    pthread_mutex_t lock; /* several threads may wait */
    const char *key_path, *pub_path; /* owned by struct kapi_pki */
    int rc;
    bool joined;
    char err[256];
};

static void *sa_job_run(void *arg)
{
    kapi_thread_name("pki-sakey");
    struct sa_job *j = arg;
    j->rc = generate_sa(j->key_path, j->pub_path, j->err, sizeof j->err);
    return NULL;
}

static int ensure_sa(struct kapi_pki *p, bool async, char *err, size_t errlen)
{
    EVP_PKEY *k = load_key(p->sa_key, EVP_PKEY_RSA);
    if (k && (EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) < 2048)) {
        EVP_PKEY_free(k);
        seterr(err, errlen, "pki: %s is not an RSA key of at least 2048 bits", p->sa_key);
        return -1;
    }
    if (!k && file_exists(p->sa_key)) {
        seterr(err, errlen, "pki: cannot read service-account key %s", p->sa_key);
        return -1;
    }
    ERR_clear_error();
    if (!k) {
        p->generated |= KAPI_PKI_GEN_SA;
        unlink(p->sa_pub); /* whatever was there belonged to another key */
        if (async) {
            struct sa_job *j = kapi_xcalloc(1, sizeof *j);
            j->key_path = p->sa_key;
            j->pub_path = p->sa_pub;
            pthread_mutex_init(&j->lock, NULL);
            if (pthread_create(&j->thread, NULL, sa_job_run, j) == 0) {
                p->sa_job = j;
                return 0;
            }
            pthread_mutex_destroy(&j->lock);
            free(j); /* no thread: do it here */
        }
        return generate_sa(p->sa_key, p->sa_pub, err, errlen);
    }
    /* A lost or foreign sa.pub is rewritten from the private key. */
    EVP_PKEY *pub = load_pubkey(p->sa_pub);
    bool pub_ok = pub && EVP_PKEY_eq(pub, k) == 1;
    EVP_PKEY_free(pub);
    ERR_clear_error();
    int rc = 0;
    if (!pub_ok && save_pubkey(p->sa_pub, k) != 0) {
        seterr(err, errlen, "pki: writing %s: %s", p->sa_pub, strerror(errno));
        rc = -1;
    }
    EVP_PKEY_free(k);
    return rc;
}

int kapi_pki_sa_wait(struct kapi_pki *p, char *err, size_t errlen)
{
    struct sa_job *j = p->sa_job;
    if (!j)
        return 0;
    pthread_mutex_lock(&j->lock);
    if (!j->joined) {
        pthread_join(j->thread, NULL);
        j->joined = true;
    }
    pthread_mutex_unlock(&j->lock);
    if (j->rc != 0 && err && errlen)
        snprintf(err, errlen, "%s", j->err);
    return j->rc;
}

int kapi_pki_bootstrap(const char *dir, const char *const *sans, size_t nsans, struct kapi_pki *out, char *err,
                       size_t errlen)
{
    return kapi_pki_bootstrap_ex(dir, sans, nsans, 0, out, err, errlen);
}

int kapi_pki_bootstrap_ex(const char *dir, const char *const *sans, size_t nsans, unsigned flags,
                          struct kapi_pki *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!dir || !*dir) {
        seterr(err, errlen, "pki: no directory given");
        return -1;
    }
    struct san_list want = {0};
    if (wanted_sans(&want, sans, nsans, err, errlen) != 0) {
        sans_dispose(&want);
        return -1;
    }
    if (mkdir_p(dir, 0700) != 0) {
        seterr(err, errlen, "pki: cannot create directory %s: %s", dir, strerror(errno));
        sans_dispose(&want);
        return -1;
    }
    out->dir = kapi_xstrdup(dir);
    out->ca_cert = kapi_xasprintf("%s/ca.crt", dir);
    out->ca_key = kapi_xasprintf("%s/ca.key", dir);
    out->serving_cert = kapi_xasprintf("%s/apiserver.crt", dir);
    out->serving_key = kapi_xasprintf("%s/apiserver.key", dir);
    out->admin_cert = kapi_xasprintf("%s/admin.crt", dir);
    out->admin_key = kapi_xasprintf("%s/admin.key", dir);
    out->sa_key = kapi_xasprintf("%s/sa.key", dir);
    out->sa_pub = kapi_xasprintf("%s/sa.pub", dir);

    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    bool gen = false;
    int rc = ensure_ca(out, &ca, &ca_key, err, errlen);
    if (rc == 0)
        rc = ensure_leaf(CERT_SERVING, out->serving_cert, out->serving_key, ca, ca_key, &want, &gen, err, errlen);
    if (gen)
        out->generated |= KAPI_PKI_GEN_SERVING;
    if (rc == 0)
        rc = ensure_leaf(CERT_CLIENT, out->admin_cert, out->admin_key, ca, ca_key, &want, &gen, err, errlen);
    if (rc == 0 && gen)
        out->generated |= KAPI_PKI_GEN_ADMIN;
    if (rc == 0)
        rc = ensure_sa(out, (flags & KAPI_PKI_ASYNC_SA) != 0, err, errlen);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    sans_dispose(&want);
    ERR_clear_error();
    if (rc != 0)
        kapi_pki_dispose(out);
    return rc;
}

void kapi_pki_dispose(struct kapi_pki *p)
{
    if (!p)
        return;
    if (p->sa_job) {
        struct sa_job *j = p->sa_job;
        kapi_pki_sa_wait(p, NULL, 0); /* the thread writes through our paths */
        pthread_mutex_destroy(&j->lock);
        free(j);
    }
    free(p->dir);
    free(p->ca_cert);
    free(p->ca_key);
    free(p->serving_cert);
    free(p->serving_key);
    free(p->admin_cert);
    free(p->admin_key);
    free(p->sa_key);
    free(p->sa_pub);
    memset(p, 0, sizeof *p);
}

/* ---- kubeconfig ---- */

static int put_b64_file(struct kapi_buf *b, const char *path)
{
    size_t len;
    char *data = read_file(path, &len);
    if (!data)
        return -1;
    char *enc = kapi_xmalloc(kapi_b64_encoded_len(len, 0) + 1);
    size_t n = kapi_b64_encode(enc, data, len, 0);
    int rc = kapi_buf_append(b, enc, n);
    free(enc);
    free(data);
    return rc;
}

/* A YAML double-quoted scalar, so any URL survives the round trip. */
static void put_yaml_quoted(struct kapi_buf *b, const char *s)
{
    kapi_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            kapi_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            kapi_buf_printf(b, "\\x%02x", *p);
        else
            kapi_buf_putc(b, (char)*p);
    }
    kapi_buf_putc(b, '"');
}

int kapi_kubeconfig_write(const char *path, const char *server_url, const struct kapi_pki *p, char *err,
                          size_t errlen)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const char *failed = NULL;
    kapi_buf_puts(&b, "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority-data: ");
    if (put_b64_file(&b, p->ca_cert) != 0)
        failed = p->ca_cert;
    kapi_buf_puts(&b, "\n    server: ");
    put_yaml_quoted(&b, server_url);
    kapi_buf_puts(&b, "\n  name: kapi\ncontexts:\n- context:\n    cluster: kapi\n    user: kubernetes-admin\n"
                      "  name: kapi\ncurrent-context: kapi\npreferences: {}\nusers:\n- name: kubernetes-admin\n"
                      "  user:\n    client-certificate-data: ");
    if (!failed && put_b64_file(&b, p->admin_cert) != 0)
        failed = p->admin_cert;
    kapi_buf_puts(&b, "\n    client-key-data: ");
    if (!failed && put_b64_file(&b, p->admin_key) != 0)
        failed = p->admin_key;
    kapi_buf_puts(&b, "\n");
    int rc = -1;
    if (failed)
        seterr(err, errlen, "kubeconfig: cannot read %s: %s", failed, strerror(errno));
    else if (kapi_pki_write_file(path, b.data, b.len, 0600) != 0)
        seterr(err, errlen, "kubeconfig: cannot write %s: %s", path, strerror(errno));
    else
        rc = 0;
    kapi_buf_dispose(&b);
    return rc;
}
