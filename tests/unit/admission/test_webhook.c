/* Unit tests for src/admission/webhook.c: Mutating/ValidatingWebhookConfigurations
 * written to the SQLite store and read through the watch cache, called over
 * TLS at a small webhook server on a thread here (127.0.0.1, throwaway CA
 * made in setup, as tests/unit/http/test_client.c does). Covers rule,
 * scope, namespaceSelector and objectSelector matching, the AdmissionReview
 * sent, denials, failurePolicy, warnings, JSON patches and reinvocation,
 * dry run and sideEffects, DELETE and the exempt resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admission/admission.h"
#include "cache/cache.h"
#include "codec/json.h"
#include "http/client.h"
#include "registry/registry.h"
#include "storage/sqlite/sqlite.h"

#define assert_contains(hay, needle)                                                                               \
    do {                                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                                    \
        if (!h_ || !strstr(h_, n_)) {                                                                              \
            print_error("%s: \"%s\" does not contain \"%s\"\n", #hay, h_ ? h_ : "(null)", n_);                    \
            fail();                                                                                                \
        }                                                                                                          \
    } while (0)

/* ---- certificates ---- */

static EVP_PKEY *ca_key, *srv_key;
static X509 *ca_cert, *srv_cert;
static char *ca_b64; /* base64 of the CA PEM, as caBundle holds it */

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *san)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (!issuer) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
        add_ext(x, issuer, NID_subject_alt_name, san);
    }
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

/* ---- the webhook server ---- */

#define MAX_SEEN 64

struct seen {
    char path[128];
    char *body; /* the AdmissionReview received (malloc) */
};

static struct {
    int lfd, port;
    pthread_t thr;
    SSL_CTX *ctx;
    atomic_int stop;
    pthread_mutex_t mu;
    struct seen seen[MAX_SEEN];
    int nseen;
} srv;

static void reset_seen(void)
{
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.nseen; i++)
        free(srv.seen[i].body);
    srv.nseen = 0;
    pthread_mutex_unlock(&srv.mu);
}

static int count_path(const char *path)
{
    int n = 0;
    pthread_mutex_lock(&srv.mu);
    for (int i = 0; i < srv.nseen; i++)
        n += strcmp(srv.seen[i].path, path) == 0;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

static char *b64(const char *s)
{
    size_t n = strlen(s);
    char *out = calloc(1, n / 3 * 4 + 8);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
    return out;
}

/* The answer for a review at path (uid copied from the request). */
static char *answer(const char *path, const char *uid)
{
    const char *extra = "\"allowed\":true";
    char *patch = NULL, *dyn = NULL;
    if (strcmp(path, "/deny") == 0)
        extra = "\"allowed\":false,\"status\":{\"message\":\"nope\"}";
    else if (strcmp(path, "/deny403") == 0)
        extra = "\"allowed\":false,\"status\":{\"code\":403,\"reason\":\"Forbidden\",\"message\":\"no way\"}";
    else if (strcmp(path, "/deny-bare") == 0)
        extra = "\"allowed\":false,\"warnings\":[\"careful\"]";
    else if (strcmp(path, "/warn") == 0)
        extra = "\"allowed\":true,\"warnings\":[\"first warning\",\"second warning\"]";
    else if (strncmp(path, "/patch-", 7) == 0) {
        /* adds label <suffix>=yes */
        char *p = NULL;
        if (asprintf(&p, "[{\"op\":\"add\",\"path\":\"/metadata/labels/%s\",\"value\":\"yes\"}]", path + 7) < 0)
            abort();
        patch = b64(p);
        free(p);
        if (asprintf(&dyn, "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"%s\"", patch) < 0)
            abort();
        extra = dyn;
    } else if (strcmp(path, "/canon") == 0 || strcmp(path, "/typeerr") == 0) {
        /* /canon: quantities in non-canonical form and fields no Pod has;
         * /typeerr: a container name that is a number */
        const char *p = strcmp(path, "/canon") == 0
                            ? "[{\"op\":\"add\",\"path\":\"/spec/containers/0/resources\",\"value\":{\"limits\":"
                              "{\"memory\":\"1024Mi\",\"cpu\":\"1000m\"},\"requests\":{\"cpu\":\"0.5\"}}},"
                              "{\"op\":\"add\",\"path\":\"/spec/containers/0/madeUp\",\"value\":\"x\"},"
                              "{\"op\":\"add\",\"path\":\"/spec/madeUp\",\"value\":{\"a\":1}},"
                              "{\"op\":\"add\",\"path\":\"/metadata/labels/0\",\"value\":\"z\"}]"
                            : "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/name\",\"value\":5}]";
        patch = b64(p);
        if (asprintf(&dyn, "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"%s\"", patch) < 0)
            abort();
        extra = dyn;
    } else if (strcmp(path, "/badpatch") == 0) {
        /* "[]" encoded twice: Go stops at the second quantum, after the padding */
        extra = "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"W10=W10=\"";
    } else if (strcmp(path, "/badpatch-char") == 0) {
        extra = "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"W10*\"";
    } else if (strcmp(path, "/baduid") == 0) {
        uid = "wrong";
    } else if (strcmp(path, "/status500") == 0) {
        return strdup("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nboom\n");
    }
    char *body = NULL, *resp = NULL;
    if (asprintf(&body, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"%s\",%s}}",
                 uid, extra) < 0)
        abort();
    if (asprintf(&resp, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(body), body) < 0)
        abort();
    free(body);
    free(patch);
    free(dyn);
    return resp;
}

static void serve_conn(int fd)
{
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL *ssl = SSL_new(srv.ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1)
        goto out;
    size_t cap = 1 << 20, n = 0;
    char *req = calloc(1, cap);
    char *end = NULL;
    while (!(end = strstr(req, "\r\n\r\n"))) {
        int r = SSL_read(ssl, req + n, (int)(cap - 1 - n));
        if (r <= 0)
            goto done;
        n += (size_t)r;
    }
    size_t head = (size_t)(end - req) + 4;
    const char *cl = strcasestr(req, "\r\nContent-Length:");
    size_t blen = cl ? strtoul(cl + 17, NULL, 10) : 0;
    while (n < head + blen) {
        int r = SSL_read(ssl, req + n, (int)(cap - 1 - n));
        if (r <= 0)
            goto done;
        n += (size_t)r;
    }
    char target[256] = "";
    sscanf(req, "%*s %255s", target);
    char *q = strchr(target, '?');
    struct seen s = {0};
    snprintf(s.path, sizeof(s.path), "%.*s", q ? (int)(q - target) : (int)strlen(target), target);
    s.body = strndup(req + head, blen);
    /* the timeout query parameter upstream adds */
    char *uid = NULL;
    const char *u = strstr(s.body, "\"uid\":\"");
    if (u)
        uid = strndup(u + 7, 36);
    bool has_timeout = q && strncmp(q, "?timeout=", 9) == 0;
    char *resp = has_timeout ? answer(s.path, uid ? uid : "")
                             : strdup("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    pthread_mutex_lock(&srv.mu);
    if (srv.nseen < MAX_SEEN)
        srv.seen[srv.nseen++] = s;
    else
        free(s.body);
    pthread_mutex_unlock(&srv.mu);
    SSL_write(ssl, resp, (int)strlen(resp));
    free(resp);
    free(uid);
done:
    free(req);
    SSL_shutdown(ssl);
out:
    SSL_free(ssl);
    ERR_clear_error();
    close(fd);
}

static void *server_main(void *arg)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    while (!atomic_load(&srv.stop)) {
        struct pollfd p = {.fd = srv.lfd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int fd = accept(srv.lfd, NULL, NULL);
        if (fd >= 0)
            serve_conn(fd);
    }
    return NULL;
}

static int closed_port; /* a port nothing listens on */

static int setup_all(void **state)
{
    ca_key = EVP_EC_gen("P-256");
    srv_key = EVP_EC_gen("P-256");
    ca_cert = make_cert(ca_key, "test-ca", NULL, NULL, NULL);
    srv_cert = make_cert(srv_key, "webhook", ca_cert, ca_key, "IP:127.0.0.1,DNS:hooksvc.default.svc");
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, ca_cert);
    char *pem;
    long n = BIO_get_mem_data(b, &pem);
    char *pemz = strndup(pem, (size_t)n);
    ca_b64 = b64(pemz);
    free(pemz);
    BIO_free(b);

    srv.ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(srv.ctx, srv_cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(srv.ctx, srv_key), 1);
    pthread_mutex_init(&srv.mu, NULL);
    srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(srv.lfd, 64), 0);
    socklen_t al = sizeof(a);
    getsockname(srv.lfd, (struct sockaddr *)&a, &al);
    srv.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&srv.thr, NULL, server_main, NULL), 0);

    /* a port that refuses connections */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in c = {.sin_family = AF_INET};
    c.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&c, sizeof(c)), 0);
    al = sizeof(c);
    getsockname(fd, (struct sockaddr *)&c, &al);
    closed_port = ntohs(c.sin_port);
    close(fd);
    return 0;
}

static int teardown_all(void **state)
{
    atomic_store(&srv.stop, 1);
    pthread_join(srv.thr, NULL);
    close(srv.lfd);
    SSL_CTX_free(srv.ctx);
    reset_seen();
    X509_free(ca_cert);
    X509_free(srv_cert);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    free(ca_b64);
    kapi_http_client_cleanup();
    return 0;
}

/* ---- the fixture: store, cache, registry, chain ---- */

struct fx {
    char dir[64];
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_registry *reg;
    struct kapi_admission *adm;
    struct kapi_pool *pool;
    const char *warnings[16];
    size_t nwarnings;
};

static void put(struct fx *f, const char *group, const char *resource, const char *ns, const char *name,
                const char *json)
{
    const char *version = "v1";
    const struct kapi_kind *k = kapi_registry_find(f->reg, group, version, resource);
    assert_non_null(k);
    const char *key = kapi_registry_key(f->pool, k, ns, name);
    struct kapi_write d = {.op = KAPI_WRITE_DELETE, .key = key}; /* replace what is there */
    struct kapi_write_result dr = {0};
    kapi_store_write(f->store, &d, &dr);
    kapi_write_result_dispose(&dr);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = key, .value = json, .len = strlen(json)};
    struct kapi_write_result r = {0};
    assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
    kapi_write_result_dispose(&r);
    assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
}

static void put_ns(struct fx *f, const char *name, const char *labels)
{
    put(f, "", "namespaces", NULL, name,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\",\"uid\":\"u-%s\","
                         "\"creationTimestamp\":\"2026-01-01T00:00:00Z\"%s%s}}",
                         name, name, labels ? ",\"labels\":" : "", labels ? labels : ""));
}

/* A webhook configuration named cfg with webhooks given as JSON items. */
static void put_config(struct fx *f, bool mutating, const char *cfg, const char *webhooks)
{
    put(f, "admissionregistration.k8s.io", mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations",
        NULL, cfg,
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"%s\",\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"metadata\":{\"name\":"
                         "\"%s\",\"uid\":\"u-%s\",\"creationTimestamp\":\"2026-01-01T00:00:00Z\"},\"webhooks\":[%s]}",
                         mutating ? "MutatingWebhookConfiguration" : "ValidatingWebhookConfiguration", cfg, cfg,
                         webhooks));
}

/* One webhook item: name, URL path on the test server, extra members. */
static const char *hook(struct fx *f, const char *name, const char *path, const char *extra)
{
    return kapi_pool_printf(
        f->pool,
        "{\"name\":\"%s\",\"clientConfig\":{\"url\":\"https://127.0.0.1:%d%s\",\"caBundle\":\"%s\"},"
        "\"rules\":[{\"operations\":[\"CREATE\",\"UPDATE\",\"DELETE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
        "\"resources\":[\"pods\",\"namespaces\"]}],\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]%s}",
        name, srv.port, path, ca_b64, extra ? extra : "");
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/kapi-webhook-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char err[256];
    f->store = kapi_sqlite_open(f->dir, err, sizeof(err));
    assert_non_null(f->store);
    f->cache = kapi_cache_new(f->store);
    f->reg = kapi_registry_new(f->cache);
    assert_int_equal(kapi_cache_start(f->cache), 0);
    f->pool = kapi_pool_new();
    /* only the webhook plugins act */
    f->adm = kapi_admission_new(f->cache, f->reg, NULL,
                                "LimitRanger,ServiceAccount,Priority,DefaultTolerationSeconds,ResourceQuota");
    put_ns(f, "default", NULL);
    put_ns(f, "prod", "{\"env\":\"prod\"}");
    reset_seen();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    kapi_admission_free(f->adm);
    kapi_cache_free(f->cache);
    kapi_registry_free(f->reg);
    kapi_store_close(f->store);
    kapi_pool_free(f->pool);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct kapi_value *parse(struct fx *f, const char *json)
{
    struct kapi_json_error jerr;
    struct kapi_value *v = kapi_json_parse(f->pool, json, strlen(json), NULL, &jerr);
    assert_non_null(v);
    return v;
}

static const char *to_json(struct fx *f, const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_json_write(&b, v);
    const char *s = kapi_pool_strdup(f->pool, b.data);
    kapi_buf_dispose(&b);
    return s;
}

static struct kapi_value *pod(struct fx *f, const char *ns, const char *labels)
{
    return parse(f, kapi_pool_printf(f->pool,
                                     "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\",\"namespace\":"
                                     "\"%s\",\"labels\":%s},\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"nginx\"}]}}",
                                     ns, labels ? labels : "{\"run\":\"x\"}"));
}

static void collect_warning(void *ctx, const char *msg)
{
    struct fx *f = ctx;
    if (f->nwarnings < 16)
        f->warnings[f->nwarnings++] = kapi_pool_strdup(f->pool, msg);
}

static const char *groups[] = {"system:masters", "system:authenticated"};
static const struct kapi_user admin = {.name = "admin", .uid = "", .groups = groups, .ngroups = 2};

static int admit(struct fx *f, const char *ns, struct kapi_value *obj, const struct kapi_value *old, bool dry_run,
                 struct kapi_status **st)
{
    *st = NULL;
    struct kapi_admission_opts o = {.warn = collect_warning, .warn_ctx = f};
    return kapi_admission_admit_ex(f->adm, f->pool, "", "pods", NULL, ns, obj, old, &admin, dry_run, &o, st);
}

/* The review last received at path, parsed. */
static struct kapi_value *last_review(struct fx *f, const char *path)
{
    const char *body = NULL;
    pthread_mutex_lock(&srv.mu);
    for (int i = srv.nseen - 1; i >= 0 && !body; i--)
        if (strcmp(srv.seen[i].path, path) == 0)
            body = kapi_pool_strdup(f->pool, srv.seen[i].body);
    pthread_mutex_unlock(&srv.mu);
    assert_non_null(body);
    return parse(f, body);
}

/* ---- tests ---- */

static void test_review_sent(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v", hook(f, "allow.test", "/allow", NULL));
    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 1);
    struct kapi_value *rv = last_review(f, "/allow");
    const char *uid = kapi_value_cstr(kapi_value_path(rv, "request", "uid", NULL));
    assert_non_null(uid);
    assert_int_equal(strlen(uid), 36);
    const char *want = kapi_pool_printf(
        f->pool,
        "{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{\"uid\":\"%s\","
        "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        "\"requestKind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"requestResource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
        "\"name\":\"x\",\"namespace\":\"default\",\"operation\":\"CREATE\","
        "\"userInfo\":{\"username\":\"admin\",\"groups\":[\"system:masters\",\"system:authenticated\"]},"
        "\"object\":%s,\"oldObject\":null,\"dryRun\":false,"
        "\"options\":{\"kind\":\"CreateOptions\",\"apiVersion\":\"meta.k8s.io/v1\"}}}",
        uid, to_json(f, p));
    assert_string_equal(to_json(f, rv), want);

    /* an update: oldObject, UpdateOptions; a subresource names itself */
    struct kapi_value *p2 = pod(f, "default", "{\"run\":\"y\"}");
    struct kapi_admission_opts o = {0};
    assert_int_equal(kapi_admission_admit_ex(f->adm, f->pool, "", "pods", "status", "default", p2, p, &admin, false,
                                             &o, &st),
                     -0);
    assert_int_equal(count_path("/allow"), 1); /* rule "pods" does not cover pods/status */
    put_config(f, false, "w", kapi_pool_printf(f->pool, "%s", hook(f, "all.test", "/allow", NULL)));
    assert_int_equal(kapi_admission_admit_ex(f->adm, f->pool, "", "pods", NULL, "default", p2, p, &admin, false, &o,
                                             &st),
                     0);
    assert_int_equal(count_path("/allow"), 3);
    rv = last_review(f, "/allow");
    assert_string_equal(kapi_value_cstr(kapi_value_path(rv, "request", "operation", NULL)), "UPDATE");
    assert_string_equal(to_json(f, kapi_value_path(rv, "request", "oldObject", NULL)), to_json(f, p));
    assert_string_equal(to_json(f, kapi_value_path(rv, "request", "options", NULL)),
                        "{\"kind\":\"UpdateOptions\",\"apiVersion\":\"meta.k8s.io/v1\"}");
}

/* With no configuration of a kind the plugins skip their work
 * (kapi_adm_none); a configuration created after such a request is called
 * on the very next one, and one deleted again no longer is. */
static void test_config_created_after_none(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    for (int mutating = 0; mutating < 2; mutating++) {
        enum kapi_adm_watched w = mutating ? KAPI_ADM_MUTATING_WEBHOOKS : KAPI_ADM_VALIDATING_WEBHOOKS;
        reset_seen();
        assert_true(kapi_adm_none(f->adm, w));
        assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
        assert_int_equal(count_path("/deny"), 0);
        put_config(f, mutating, "late", hook(f, "late.test", "/deny", NULL));
        assert_false(kapi_adm_none(f->adm, w));
        assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
        assert_string_equal(st->message, "admission webhook \"late.test\" denied the request: nope");
        assert_int_equal(count_path("/deny"), 1);
        const struct kapi_kind *k = kapi_registry_find(
            f->reg, "admissionregistration.k8s.io", "v1",
            mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations");
        struct kapi_write dw = {.op = KAPI_WRITE_DELETE, .key = kapi_registry_key(f->pool, k, NULL, "late")};
        struct kapi_write_result r = {0};
        assert_int_equal(kapi_store_write(f->store, &dw, &r), 0);
        kapi_write_result_dispose(&r);
        assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
        assert_true(kapi_adm_none(f->adm, w));
        assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
        assert_int_equal(count_path("/deny"), 1);
    }
}

static void test_rules(void **state)
{
    struct fx *f = *state;
    const char *base = "\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]";
    const char *url = kapi_pool_printf(f->pool, "\"clientConfig\":{\"url\":\"https://127.0.0.1:%d/allow\",\"caBundle\":\"%s\"}",
                                       srv.port, ca_b64);
    static const struct {
        const char *rules;
        bool pod_create, status_update;
    } cases[] = {
        {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}]", true, false},
        {"[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*/*\"]}]", true, true},
        {"[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods/status\"]}]", false, true},
        {"[{\"operations\":[\"UPDATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods/*\"]}]", false, true},
        {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"apps\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"]}]", false, false},
        {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v2\"],\"resources\":[\"pods\"]}]", false, false},
        {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"],\"scope\":\"Namespaced\"}]", true, false},
        {"[{\"operations\":[\"CREATE\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"],\"scope\":\"Cluster\"}]", false, false},
        {"[{\"operations\":[\"CONNECT\"],\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"resources\":[\"pods\"]}]", false, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *name = kapi_pool_printf(f->pool, "c%zu", i);
        put_config(f, false, name, kapi_pool_printf(f->pool, "{\"name\":\"r.test\",%s,\"rules\":%s,%s}", url,
                                                    cases[i].rules, base));
        reset_seen();
        struct kapi_status *st;
        struct kapi_value *p = pod(f, "default", NULL);
        assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
        if (count_path("/allow") != (cases[i].pod_create ? 1 : 0))
            fail_msg("case %zu create: %d calls", i, count_path("/allow"));
        reset_seen();
        struct kapi_admission_opts o = {0};
        assert_int_equal(kapi_admission_admit_ex(f->adm, f->pool, "", "pods", "status", "default", p, p, &admin,
                                                 false, &o, &st),
                         0);
        if (count_path("/allow") != (cases[i].status_update ? 1 : 0))
            fail_msg("case %zu status: %d calls", i, count_path("/allow"));
        /* remove it again */
        const struct kapi_kind *k =
            kapi_registry_find(f->reg, "admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations");
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = kapi_registry_key(f->pool, k, NULL, name)};
        struct kapi_write_result r = {0};
        assert_int_equal(kapi_store_write(f->store, &w, &r), 0);
        kapi_write_result_dispose(&r);
        assert_int_equal(kapi_cache_sync(f->cache, 2000), 0);
    }
}

static void test_denials(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "a", hook(f, "deny.test", "/deny", NULL));
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 400);
    assert_string_equal(st->status, "Failure");
    assert_null(st->reason);
    assert_string_equal(st->message, "admission webhook \"deny.test\" denied the request: nope");

    /* (with several denying validating webhooks the first answer to arrive
     * wins, as upstream's concurrent calls: keep one) */
    put_config(f, false, "a", hook(f, "deny403.test", "/deny403", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 403);
    assert_string_equal(st->reason, "Forbidden");

    put_config(f, true, "m", hook(f, "bare.test", "/deny-bare", NULL));
    f->nwarnings = 0;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 400);
    assert_string_equal(st->message, "admission webhook \"bare.test\" denied the request without explanation");
    assert_int_equal(f->nwarnings, 1); /* warnings count even on a denial */
    assert_string_equal(f->warnings[0], "careful");
}

static void test_warnings(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v", hook(f, "warn.test", "/warn", NULL));
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
    assert_int_equal(f->nwarnings, 2);
    assert_string_equal(f->warnings[0], "first warning");
    assert_string_equal(f->warnings[1], "second warning");
}

static void test_failure_policy(void **state)
{
    struct fx *f = *state;
    const char *down = kapi_pool_printf(
        f->pool,
        "{\"name\":\"down.test\",\"clientConfig\":{\"url\":\"https://127.0.0.1:%d/x/\",\"caBundle\":\"%s\"},"
        "\"rules\":[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}],"
        "\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"],\"timeoutSeconds\":3",
        closed_port, ca_b64);
    put_config(f, false, "ignore", kapi_pool_printf(f->pool, "%s,\"failurePolicy\":\"Ignore\"}", down));
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
    put_config(f, false, "fail", kapi_pool_printf(f->pool, "%s}", down)); /* default Fail */
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 500);
    assert_string_equal(st->reason, "InternalError");
    assert_string_equal(st->message,
                        kapi_pool_printf(f->pool,
                                         "Internal error occurred: failed calling webhook \"down.test\": failed to "
                                         "call webhook: Post \"https://127.0.0.1:%d/x?timeout=3s\": dial tcp "
                                         "127.0.0.1:%d: connect: connection refused",
                                         closed_port, closed_port));

    /* an invalid response and an error status are calling errors too */
    put_config(f, false, "fail", "{}");
    put_config(f, false, "z1", hook(f, "baduid.test", "/baduid", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_contains(st->message, "failed calling webhook \"baduid.test\": received invalid webhook response: "
                                 "expected response.uid=");
    put_config(f, false, "z1", hook(f, "s500.test", "/status500", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_string_equal(st->message, "Internal error occurred: failed calling webhook \"s500.test\": failed to call "
                                     "webhook: an error on the server (\"boom\") has prevented the request from "
                                     "succeeding");
    put_config(f, false, "z1", hook(f, "v2.test", "/allow", ",\"admissionReviewVersions\":[\"v2\"]"));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_string_equal(st->message, "Internal error occurred: failed calling webhook \"v2.test\": could not create "
                                     "admission objects: webhook does not accept known AdmissionReview versions "
                                     "(v1, v1beta1)");
}

/* A patch that is not base64 fails the call with the offset Go's decoder
 * reports for the response's []byte field. */
static void test_patch_not_base64(void **state)
{
    struct fx *f = *state;
    struct kapi_status *st;
    put_config(f, true, "m", hook(f, "b64.test", "/badpatch", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 500);
    assert_string_equal(st->message, "Internal error occurred: failed calling webhook \"b64.test\": failed to call "
                                     "webhook: illegal base64 data at input byte 4");
    put_config(f, true, "m", hook(f, "b64.test", "/badpatch-char", NULL));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_string_equal(st->message, "Internal error occurred: failed calling webhook \"b64.test\": failed to call "
                                     "webhook: illegal base64 data at input byte 3");
}

static void test_selectors(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v",
               hook(f, "ns.test", "/allow", ",\"namespaceSelector\":{\"matchLabels\":{\"env\":\"prod\"}}"));
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 0);
    assert_int_equal(admit(f, "prod", pod(f, "prod", NULL), NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 1);
    /* an unknown namespace is upstream's 404 */
    assert_int_equal(admit(f, "nowhere", pod(f, "nowhere", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 404);
    assert_string_equal(st->message, "namespaces \"nowhere\" not found");
    /* a Namespace itself is matched by its own labels */
    struct kapi_value *ns = parse(f, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n2\","
                                     "\"labels\":{\"env\":\"prod\"}}}");
    struct kapi_admission_opts o = {0};
    assert_int_equal(kapi_admission_admit_ex(f->adm, f->pool, "", "namespaces", NULL, "", ns, NULL, &admin, false,
                                             &o, &st),
                     0);
    assert_int_equal(count_path("/allow"), 2);

    put_config(f, false, "v",
               hook(f, "obj.test", "/allow",
                    ",\"objectSelector\":{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":"
                    "[\"web\",\"db\"]}]}"));
    reset_seen();
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 0);
    assert_int_equal(admit(f, "default", pod(f, "default", "{\"tier\":\"db\"}"), NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 1);
    /* the old object's labels count too */
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), pod(f, "default", "{\"tier\":\"web\"}"), false, &st),
                     0);
    assert_int_equal(count_path("/allow"), 2);
}

static void test_mutation_and_reinvocation(void **state)
{
    struct fx *f = *state;
    put_config(f, true, "a", hook(f, "a.test", "/patch-a", ",\"reinvocationPolicy\":\"IfNeeded\""));
    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    /* map keys sorted, as Go encodes the decoded object */
    assert_string_equal(to_json(f, kapi_value_path(p, "metadata", "labels", NULL)), "{\"a\":\"yes\",\"run\":\"x\"}");
    assert_int_equal(count_path("/patch-a"), 1);
    /* the patched object was defaulted again (decode into the typed object) */
    assert_non_null(kapi_value_path(p, "spec", "restartPolicy", NULL));

    /* a later webhook's change makes a.test run once more */
    put_config(f, true, "b", hook(f, "b.test", "/patch-b", NULL));
    reset_seen();
    p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(p, "metadata", "labels", NULL)),
                        "{\"a\":\"yes\",\"b\":\"yes\",\"run\":\"x\"}");
    assert_int_equal(count_path("/patch-a"), 2);
    assert_int_equal(count_path("/patch-b"), 1);
    /* the validating webhooks see the final object */
    put_config(f, false, "v", hook(f, "allow.test", "/allow", NULL));
    p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    assert_string_equal(to_json(f, kapi_value_path(last_review(f, "/allow"), "request", "object", "metadata", "labels",
                                                   NULL)),
                        "{\"a\":\"yes\",\"b\":\"yes\",\"run\":\"x\"}");
}

/* The patched object is decoded into the typed object again, as upstream's
 * dispatcher does (its JSON serializer is not strict): quantities come out
 * canonical, map keys sorted, unknown fields are dropped without an error
 * or a warning, defaults run again; a value of the wrong type is a decode
 * error, InternalError whatever the failurePolicy. */
static void test_patched_object_decoded(void **state)
{
    struct fx *f = *state;
    put_config(f, true, "c", hook(f, "canon.test", "/canon", NULL));
    struct kapi_status *st;
    struct kapi_value *p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    const struct kapi_value *c = kapi_value_path(p, "spec", "containers", NULL)->u.arr.items[0];
    assert_string_equal(to_json(f, kapi_value_path(c, "resources", "limits", NULL)),
                        "{\"cpu\":\"1\",\"memory\":\"1Gi\"}");
    assert_string_equal(kapi_value_cstr(kapi_value_path(c, "resources", "requests", "cpu", NULL)), "500m");
    /* the Pod defaults: a request missing for a limit is the limit */
    assert_string_equal(kapi_value_cstr(kapi_value_path(c, "resources", "requests", "memory", NULL)), "1Gi");
    assert_null(kapi_value_path(c, "madeUp", NULL));
    assert_null(kapi_value_path(p, "spec", "madeUp", NULL));
    assert_string_equal(to_json(f, kapi_value_path(p, "metadata", "labels", NULL)), "{\"0\":\"z\",\"run\":\"x\"}");
    assert_int_equal((int)f->nwarnings, 0);
    /* the validating webhooks get the decoded object */
    put_config(f, false, "v", hook(f, "allow.test", "/allow", NULL));
    p = pod(f, "default", NULL);
    assert_int_equal(admit(f, "default", p, NULL, false, &st), 0);
    const struct kapi_value *seen = kapi_value_path(last_review(f, "/allow"), "request", "object", "spec", NULL);
    assert_null(kapi_value_path(seen, "madeUp", NULL));
    assert_string_equal(to_json(f, kapi_value_path(seen, "containers", NULL)->u.arr.items[0]),
                        to_json(f, kapi_value_path(p, "spec", "containers", NULL)->u.arr.items[0]));

    put_config(f, true, "c", hook(f, "typeerr.test", "/typeerr", ",\"failurePolicy\":\"Ignore\""));
    put_config(f, false, "v", "{}");
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_int_equal(st->code, 500);
    assert_string_equal(st->reason, "InternalError");
    assert_string_equal(st->message, "Internal error occurred: json: cannot unmarshal number into Go struct field "
                                     "Container.spec.containers.name of type string");
}

static void test_dry_run(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v", hook(f, "some.test", "/allow", ",\"sideEffects\":\"Some\""));
    struct kapi_status *st;
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, true, &st), -1);
    assert_int_equal(st->code, 400);
    assert_string_equal(st->reason, "BadRequest");
    assert_string_equal(st->message, "admission webhook \"some.test\" does not support dry run");
    assert_int_equal(count_path("/allow"), 0);
    /* without dry run it is called */
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), 0);
    assert_int_equal(count_path("/allow"), 1);

    put_config(f, false, "v", hook(f, "none.test", "/allow", ",\"sideEffects\":\"NoneOnDryRun\""));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, true, &st), 0);
    struct kapi_value *rv = last_review(f, "/allow");
    assert_true(kapi_value_path(rv, "request", "dryRun", NULL)->u.b);
    assert_string_equal(to_json(f, kapi_value_path(rv, "request", "options", NULL)),
                        "{\"kind\":\"CreateOptions\",\"apiVersion\":\"meta.k8s.io/v1\",\"dryRun\":[\"All\"]}");
}

static void test_delete(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v", hook(f, "deny.test", "/deny", NULL));
    struct kapi_status *st = NULL;
    struct kapi_value *old = pod(f, "default", NULL);
    struct kapi_value *opts =
        parse(f, "{\"propagationPolicy\":\"Background\"}");
    struct kapi_admission_opts o = {.options = opts};
    assert_int_equal(kapi_admission_delete(f->adm, f->pool, "", "pods", NULL, "default", "x", old, &admin, false, &o,
                                           &st),
                     -1);
    assert_string_equal(st->message, "admission webhook \"deny.test\" denied the request: nope");
    struct kapi_value *rv = last_review(f, "/deny");
    assert_string_equal(kapi_value_cstr(kapi_value_path(rv, "request", "operation", NULL)), "DELETE");
    assert_string_equal(kapi_value_cstr(kapi_value_path(rv, "request", "name", NULL)), "x");
    assert_int_equal(kapi_value_path(rv, "request", "object", NULL)->type, KAPI_V_NULL);
    assert_string_equal(to_json(f, kapi_value_path(rv, "request", "oldObject", NULL)), to_json(f, old));
    assert_string_equal(to_json(f, kapi_value_path(rv, "request", "options", NULL)),
                        "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"meta.k8s.io/v1\",\"propagationPolicy\":"
                        "\"Background\"}");

    /* a patch on a delete is refused */
    put_config(f, false, "v", "{}");
    put_config(f, true, "m", hook(f, "a.test", "/patch-a", NULL));
    assert_int_equal(kapi_admission_delete(f->adm, f->pool, "", "pods", NULL, "default", "x", old, &admin, false, &o,
                                           &st),
                     -1);
    assert_int_equal(st->code, 500);
    assert_string_equal(st->message, "Internal error occurred: admission webhook \"a.test\" attempted to modify the "
                                     "object, which is not supported for this operation");
}

static void test_exempt_and_service(void **state)
{
    struct fx *f = *state;
    put_config(f, false, "v",
               kapi_pool_printf(f->pool,
                                "{\"name\":\"all.test\",\"clientConfig\":{\"url\":\"https://127.0.0.1:%d/deny\","
                                "\"caBundle\":\"%s\"},\"rules\":[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],"
                                "\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}],\"sideEffects\":\"None\","
                                "\"admissionReviewVersions\":[\"v1\"]}",
                                srv.port, ca_b64));
    struct kapi_value *cfg = parse(f, "{\"kind\":\"ValidatingWebhookConfiguration\",\"apiVersion\":"
                                      "\"admissionregistration.k8s.io/v1\",\"metadata\":{\"name\":\"other\"}}");
    struct kapi_status *st;
    assert_int_equal(kapi_admission_admit(f->adm, f->pool, "admissionregistration.k8s.io",
                                          "validatingwebhookconfigurations", NULL, "", cfg, NULL, &admin, false, &st),
                     0);
    assert_int_equal(count_path("/deny"), 0);

    /* a service reference: resolved through the Endpoints, verified as
     * <name>.<namespace>.svc, printed with the service's host */
    put(f, "", "services", "default", "hooksvc",
        "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"hooksvc\",\"namespace\":\"default\"},"
        "\"spec\":{\"ports\":[{\"port\":443,\"targetPort\":8443}]}}");
    put(f, "", "endpoints", "default", "hooksvc",
        kapi_pool_printf(f->pool,
                         "{\"kind\":\"Endpoints\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"hooksvc\","
                         "\"namespace\":\"default\"},\"subsets\":[{\"addresses\":[{\"ip\":\"127.0.0.1\"}],"
                         "\"ports\":[{\"port\":%d}]}]}",
                         srv.port));
    put_config(f, false, "v",
               kapi_pool_printf(f->pool,
                                "{\"name\":\"svc.test\",\"clientConfig\":{\"service\":{\"namespace\":\"default\","
                                "\"name\":\"hooksvc\",\"path\":\"/deny\"},\"caBundle\":\"%s\"},\"rules\":[{"
                                "\"operations\":[\"*\"],\"apiGroups\":[\"*\"],\"apiVersions\":[\"*\"],\"resources\":"
                                "[\"*\"]}],\"sideEffects\":\"None\",\"admissionReviewVersions\":[\"v1\"]},"
                                "{\"name\":\"nosvc.test\",\"clientConfig\":{\"service\":{\"namespace\":\"default\","
                                "\"name\":\"missing\"}},\"rules\":[{\"operations\":[\"*\"],\"apiGroups\":[\"*\"],"
                                "\"apiVersions\":[\"*\"],\"resources\":[\"*\"]}],\"sideEffects\":\"None\","
                                "\"admissionReviewVersions\":[\"v1\"],\"failurePolicy\":\"Ignore\"}",
                                ca_b64));
    assert_int_equal(admit(f, "default", pod(f, "default", NULL), NULL, false, &st), -1);
    assert_string_equal(st->message, "admission webhook \"svc.test\" denied the request: nope");
    assert_int_equal(count_path("/deny"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_review_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_created_after_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_denials, setup, teardown),
        cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch_not_base64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_selectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutation_and_reinvocation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patched_object_decoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exempt_and_service, setup, teardown),
    };
    return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
