/* kapi: start-up order and shutdown. Flags -> data dir -> PKI -> store ->
 * watch cache -> registry -> bootstrap objects -> HTTPS -> kubeconfig ->
 * ready; SIGTERM/SIGINT -> not ready -> in-flight requests finish -> exit. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../admission/admission.h"
#include "../auth/authn.h"
#include "../auth/bootstrap_token.h"
#include "../auth/oidc.h"
#include "../auth/requestheader.h"
#include "../auth/webhook_token.h"
#include "../auth/pki.h"
#include "../auth/node_authz.h"
#include "../auth/rbac.h"
#include "../auth/satoken.h"
#include "../cache/cache.h"
#include "../apiext/crd.h"
#include "../audit/audit.h"
#include "../controllers/clusterrole_aggregation.h"
#include "../controllers/disruption.h"
#include "../controllers/endpoints_reconciler.h"
#include "../controllers/event_ttl.h"
#include "../controllers/resourcequota.h"
#include "../controllers/sa_token_secrets.h"
#include "../controllers/gc.h"
#include "../controllers/namespace.h"
#include "../controllers/podgc.h"
#include "../controllers/serviceaccounts.h"
#include "../endpoints/discovery.h"
#include "../endpoints/endpoints.h"
#include "../endpoints/openapi.h"
#include "../http/http.h"
#include "../registry/core/services.h"
#include "../registry/registry.h"
#include "../storage/compactor.h"
#include "../storage/encrypt.h"
#include "../storage/etcd3/etcd3.h"
#include "../storage/sqlite/sqlite.h"
#include "bootstrap.h"
#include "flags.h"
#include "../registry/gates.h"

/* A failed start: controller, cache and store threads may already run, so
 * leave without exit()'s teardown (which they could race) and without
 * touching the store again; everything written so far is already durable. */
_Noreturn static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "Error: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n");
    fflush(NULL);
    _exit(1);
}

/* A whole PEM file (up to 1 MiB), or NULL. */
static char *read_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = kapi_xmalloc((1u << 20) + 1);
    size_t n = fread(buf, 1, 1u << 20, f);
    fclose(f);
    buf[n] = 0;
    if (!n || !strstr(buf, "-----BEGIN")) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* The --kubelet-* flags. Without --kubelet-client-certificate kapi uses the
 * admin client certificate of its own PKI (system:masters, which a kubelet
 * that asks the API server about its callers lets through). */
static void kubelet_setup(struct kapi_kubelet_config *kc, const struct kapi_flags *fl, const struct kapi_pki *pki)
{
    memset(kc, 0, sizeof(*kc));
    const char *cert = fl->kubelet_client_certificate, *key = fl->kubelet_client_key;
    if ((cert && *cert) != (key && *key))
        fail("--kubelet-client-certificate and --kubelet-client-key go together%s%s", "", "");
    if (!cert || !*cert) {
        cert = pki->admin_cert;
        key = pki->admin_key;
    }
    kc->client_cert_pem = read_pem(cert);
    kc->client_key_pem = read_pem(key);
    if (!kc->client_cert_pem || !kc->client_key_pem)
        fail("cannot read the kubelet client certificate %s or key %s", cert, key);
    const char *ca = fl->kubelet_certificate_authority;
    if (ca && *ca && !(kc->ca_pem = read_pem(ca)))
        fail("--kubelet-certificate-authority: cannot read %s%s", ca, "");
    static const char *const known[] = {"Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP"};
    const char *p = fl->kubelet_preferred_address_types ? fl->kubelet_preferred_address_types : "";
    while (*p) {
        size_t n = strcspn(p, ",");
        size_t k = 0;
        while (k < KAPI_ARRAY_LEN(known) && !(strlen(known[k]) == n && strncmp(known[k], p, n) == 0))
            k++;
        if (k == KAPI_ARRAY_LEN(known) || kc->npreferred == KAPI_ARRAY_LEN(kc->preferred))
            fail("--kubelet-preferred-address-types: invalid value %s%s", p, "");
        kc->preferred[kc->npreferred++] = known[k];
        p += n;
        if (*p == ',')
            p++;
    }
    kc->timeout_ms = fl->kubelet_timeout_s > 0 ? fl->kubelet_timeout_s * 1000 : 5000;
}

/* Service-account tokens need sa.key, which a first start generates in the
 * background (RSA keys take a while): the token machinery is published when
 * the key is there, so start-up does not wait for it. */
struct sa_setup {
    struct kapi_apiserver *srv;
    struct kapi_pki *pki;
    const struct kapi_flags *fl;
    const char *address;
};

static void *sa_setup_main(void *arg)
{
    kapi_thread_name("sa-setup");
    struct sa_setup *s = arg;
    char err[512];
    if (kapi_pki_sa_wait(s->pki, err, sizeof(err)) < 0) {
        kapi_log(0, "service-account key: %s", err);
        return NULL;
    }
    const char *signing = s->fl->sa_signing_key_file ? s->fl->sa_signing_key_file : s->pki->sa_key;
    const char *verify[2];
    size_t nverify = 0;
    verify[nverify++] = s->fl->sa_key_file ? s->fl->sa_key_file : s->pki->sa_pub;
    struct kapi_satoken *t = kapi_satoken_new(s->fl->sa_issuer, signing, verify, nverify, err, sizeof(err));
    if (!t) {
        kapi_log(0, "service-account tokens disabled: %s", err);
        return NULL;
    }
    char *auds_buf = s->fl->api_audiences ? kapi_xstrdup(s->fl->api_audiences) : NULL;
    const char *auds[16];
    size_t naud = 0;
    for (char *save = NULL, *a = auds_buf ? strtok_r(auds_buf, ",", &save) : NULL; a && naud < 16;
         a = strtok_r(NULL, ",", &save))
        auds[naud++] = a;
    struct kapi_satoken_opts o = {.api_audiences = naud ? auds : NULL, .napi_audiences = naud,
                                  .external_address = s->address};
    if (kapi_satoken_configure(t, &o, err, sizeof(err)) < 0)
        kapi_log(0, "service-account tokens: %s", err);
    free(auds_buf);
    atomic_store(&s->srv->satoken, t);
    malloc_trim(0); /* the key's generation or loading is done */
    return NULL;
}

/* The authenticators beyond certificates, token files and service
 * accounts (--requestheader-*, bootstrap tokens, OIDC, token webhook,
 * --anonymous-auth), added to authn in upstream's order. */
struct authn_family {
    struct kapi_requestheader *rh;
    struct kapi_bootstrap_token bt;
    struct kapi_oidc *oidc;
    struct kapi_webhook_token *webhook;
};

static size_t split_list(const char *s, char ***out)
{
    size_t n = 0;
    *out = NULL;
    for (const char *p = s; p && *p;) {
        size_t l = strcspn(p, ",");
        *out = kapi_xrealloc(*out, (n + 1) * sizeof(char *));
        (*out)[n++] = kapi_xstrndup(p, l);
        p += l + (p[l] == ',');
    }
    return n;
}

static int authn_family_setup(struct authn_family *af, struct kapi_authn *authn, const struct kapi_flags *fl,
                              struct kapi_registry *registry, const char *cluster_ca, char *err, size_t errlen)
{
    kapi_authn_set_anonymous(authn, fl->anonymous_auth);
    if (fl->requestheader_client_ca_file && *fl->requestheader_client_ca_file) {
        char **an, **un, **uid, **gn, **xp;
        struct kapi_requestheader_opts o = {.client_ca_file = fl->requestheader_client_ca_file};
        o.nallowed = split_list(fl->requestheader_allowed_names, &an);
        o.nusername = split_list(fl->requestheader_username_headers, &un);
        o.nuid = split_list(fl->requestheader_uid_headers, &uid);
        o.ngroup = split_list(fl->requestheader_group_headers, &gn);
        o.nextra = split_list(fl->requestheader_extra_headers_prefix, &xp);
        o.allowed_names = (const char *const *)an, o.username_headers = (const char *const *)un;
        o.uid_headers = (const char *const *)uid, o.group_headers = (const char *const *)gn;
        o.extra_prefixes = (const char *const *)xp;
        af->rh = kapi_requestheader_new(&o, err, errlen);
        if (!af->rh)
            return -1;
        kapi_authn_set_request_authenticator(authn, kapi_requestheader_authenticate, af->rh);
        /* the TLS layer now also trusts the front-proxy CA: x509 checks its own */
        if (kapi_authn_set_client_ca(authn, cluster_ca, err, errlen) < 0)
            return -1;
    }
    if (fl->enable_bootstrap_token_auth) {
        af->bt = (struct kapi_bootstrap_token){.get_secret = kapi_bootstrap_secret_from_registry, .ctx = registry};
        kapi_authn_add_token_authenticator(authn, "bootstrap token", kapi_bootstrap_token_authenticate, &af->bt);
    }
    if ((fl->oidc_issuer_url && *fl->oidc_issuer_url) || (fl->oidc_client_id && *fl->oidc_client_id)) {
        char **req, **algs;
        struct kapi_oidc_opts o = {.issuer_url = fl->oidc_issuer_url, .client_id = fl->oidc_client_id,
                                   .username_claim = fl->oidc_username_claim,
                                   .username_prefix = fl->oidc_username_prefix,
                                   .groups_claim = fl->oidc_groups_claim, .groups_prefix = fl->oidc_groups_prefix,
                                   .ca_file = fl->oidc_ca_file};
        o.nrequired = split_list(fl->oidc_required_claim, &req);
        o.nalgs = split_list(fl->oidc_signing_algs, &algs);
        o.required_claims = (const char *const *)req, o.signing_algs = (const char *const *)algs;
        af->oidc = kapi_oidc_new(&o, err, errlen);
        if (!af->oidc)
            return -1;
        kapi_authn_add_token_authenticator(authn, "oidc", kapi_oidc_authenticate, af->oidc);
    }
    if (fl->authn_webhook_config_file && *fl->authn_webhook_config_file) {
        char **auds;
        size_t naud = split_list(fl->api_audiences && *fl->api_audiences ? fl->api_audiences : fl->sa_issuer, &auds);
        struct kapi_webhook_token_opts o = {.config_file = fl->authn_webhook_config_file,
                                            .version = fl->authn_webhook_version,
                                            .cache_ttl_s = fl->authn_webhook_cache_ttl_s ? fl->authn_webhook_cache_ttl_s : -1,
                                            .audiences = (const char *const *)auds, .naud = naud};
        af->webhook = kapi_webhook_token_new(&o, err, errlen);
        if (!af->webhook)
            return -1;
        kapi_authn_add_token_authenticator(authn, "webhook", kapi_webhook_token_authenticate, af->webhook);
    }
    return 0;
}

static int ensure_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) == 0)
        return 0;
    struct stat st;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (access(path, W_OK | X_OK) == 0)
            return 0;
        snprintf(err, errlen, "%s is not writable", path);
        return -1;
    }
    snprintf(err, errlen, "cannot create directory %s: %s", path, strerror(errno == EEXIST ? ENOTDIR : errno));
    return -1;
}

/* ---- custom resources: discovery is rebuilt whenever the served set
 * changes. Replaced documents stay alive for a while: requests borrow
 * their bytes without taking references. */
struct retired_api {
    struct retired_api *next;
    struct kapi_discovery *discovery;
    struct kapi_openapi *openapi;
    struct kapi_crd_snapshot *snap;
    int64_t since_ms;
};

struct crd_publisher {
    struct kapi_apiserver *srv;
    struct kapi_discovery_opts dopts;
    struct kapi_crd_snapshot *snap; /* the one the current discovery was built from */
    struct retired_api *retired;
};

static void retired_free(struct retired_api *r)
{
    kapi_discovery_free(r->discovery);
    kapi_openapi_free(r->openapi);
    kapi_crd_snapshot_free(r->snap);
    free(r);
}

static void publish_custom_apis(void *ctx, struct kapi_crd_snapshot *snap)
{
    struct crd_publisher *pub = ctx;
    struct kapi_discovery_opts o = pub->dopts;
    o.extra = kapi_crd_snapshot_extra(snap);
    struct kapi_discovery *d = kapi_discovery_new(&o);
    struct kapi_openapi *oa = kapi_openapi_new(o.extra);
    struct retired_api *r = kapi_xcalloc(1, sizeof(*r));
    r->discovery = atomic_exchange(&pub->srv->discovery, d);
    r->openapi = atomic_exchange(&pub->srv->openapi, oa);
    r->snap = pub->snap;
    r->since_ms = kapi_now_ms();
    pub->snap = snap;
    /* a request never holds discovery bytes for minutes */
    struct retired_api **pp = &pub->retired;
    while (*pp) {
        if (r->since_ms - (*pp)->since_ms > 5 * 60 * 1000) {
            struct retired_api *old = *pp;
            *pp = old->next;
            retired_free(old);
        } else {
            pp = &(*pp)->next;
        }
    }
    r->next = pub->retired;
    pub->retired = r;
}

int main(int argc, char **argv)
{
    int64_t t0 = kapi_now_ms();
    char err[512];
    struct kapi_flags fl;
    int pr = kapi_flags_parse(argc, argv, &fl, err, sizeof(err));
    if (pr == 1)
        return 0;
    if (pr < 0) {
        fprintf(stderr, "Error: %s\nRun 'kapi --help' for usage.\n", err);
        return 2;
    }
    kapi_log_verbosity = fl.verbosity;
    if (fl.feature_gates && kapi_gates_set(fl.feature_gates, err, sizeof(err)) < 0) {
        fprintf(stderr, "Error: invalid argument \"%s\" for \"--feature-gates\" flag: %s\n", fl.feature_gates, err);
        return 2;
    }

    /* Threads inherit this mask; the main thread alone takes the signals. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    char data_dir[PATH_MAX];
    if (!realpath(fl.data_dir, data_dir)) {
        if (ensure_dir(fl.data_dir, err, sizeof(err)) < 0 || !realpath(fl.data_dir, data_dir))
            return fail("--data-dir: %s%s", err[0] ? err : strerror(errno), "");
    }
    if (ensure_dir(data_dir, err, sizeof(err)) < 0)
        return fail("--data-dir: %s%s", err, "");
    char *pki_dir = kapi_xasprintf("%s/pki", data_dir);
    char *db_dir = kapi_xasprintf("%s/db", data_dir);
    char *db_path = kapi_xasprintf("%s/db/kapi.db", data_dir);
    char *kubeconfig = kapi_xasprintf("%s/admin.kubeconfig", data_dir);
    if (ensure_dir(db_dir, err, sizeof(err)) < 0)
        return fail("--data-dir: %s%s", err, "");

    const char *sans[1];
    size_t nsans = 0;
    if (fl.advertise_address)
        sans[nsans++] = fl.advertise_address;
    struct kapi_pki pki;
    if (kapi_pki_bootstrap_ex(pki_dir, sans, nsans, KAPI_PKI_ASYNC_SA, &pki, err, sizeof(err)) < 0)
        return fail("pki: %s%s", err, "");

    struct kapi_store *store;
    char *endpoints_buf = NULL;
    if (fl.etcd_servers) {
        /* --etcd-servers=a,b,c */
        endpoints_buf = kapi_xstrdup(fl.etcd_servers);
        const char *eps[32];
        size_t neps = 0;
        for (char *save = NULL, *t = strtok_r(endpoints_buf, ",", &save); t && neps < 32; t = strtok_r(NULL, ",", &save))
            eps[neps++] = t;
        struct kapi_etcd3_opts eo = {
            .endpoints = eps,
            .nendpoints = neps,
            .prefix = fl.etcd_prefix,
            .cafile = fl.etcd_cafile,
            .certfile = fl.etcd_certfile,
            .keyfile = fl.etcd_keyfile,
        };
        store = kapi_etcd3_open(&eo, err, sizeof(err));
        if (!store)
            return fail("--etcd-servers %s: %s", fl.etcd_servers, err);
    } else {
        store = kapi_sqlite_open(db_path, err, sizeof(err));
        if (!store)
            return fail("store %s: %s", db_path, err);
    }
    if (fl.encryption_provider_config) {
        struct kapi_encrypt_opts eopts = {.storage_prefix = fl.etcd_servers ? fl.etcd_prefix : NULL};
        struct kapi_store *enc = kapi_encrypt_wrap_opts(store, fl.encryption_provider_config, &eopts, err, sizeof(err));
        if (!enc)
            return fail("--encryption-provider-config %s: %s", fl.encryption_provider_config, err);
        store = enc;
    }
    struct kapi_cache *cache = kapi_cache_new(store);
    struct kapi_registry *registry = kapi_registry_new(cache);
    int serr = kapi_cache_start(cache);
    if (serr)
        return fail("watch cache: %s%s", kapi_store_strerror(serr), "");
    /* --authorization-mode: a comma list of RBAC, Node (kubelets, see
     * src/auth/node_authz.h) and AlwaysAllow (tests); Node and RBAC are
     * consulted in the order given */
    bool rbac_on = false, always_allow = false, node_on = false, node_after_rbac = false;
    {
        char *modes = kapi_xstrdup(fl.authorization_mode);
        for (char *save = NULL, *m = strtok_r(modes, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
            if (strcmp(m, "RBAC") == 0)
                rbac_on = true;
            else if (strcmp(m, "AlwaysAllow") == 0)
                always_allow = true;
            else if (strcmp(m, "Node") == 0) {
                node_on = true;
                node_after_rbac = rbac_on;
            } else {
                fprintf(stderr, "Error: --authorization-mode: unsupported mode %s\n", m);
                return 1;
            }
        }
        free(modes);
    }
    struct kapi_rbac *rbac = NULL;
    if (rbac_on && !always_allow) {
        if (kapi_rbac_bootstrap(store, registry) != 0)
            return fail("bootstrap policy: cannot write the default roles%s%s", "", "");
        rbac = kapi_rbac_new(cache, registry);
    }
    struct kapi_node_authz *node_authz = NULL; /* with AlwaysAllow every request passes anyway */
    if (node_on && !always_allow) {
        node_authz = kapi_node_authz_new(cache, registry);
        kapi_node_authz_set_order(node_authz, node_after_rbac, !rbac_on);
    }
    if (kapi_admission_check_flags(fl.enable_admission_plugins, fl.disable_admission_plugins, err, sizeof(err)) < 0)
        return fail("%s%s", err, "");
    if (kapi_admission_bootstrap(store, registry) != 0)
        return fail("bootstrap: cannot write the built-in PriorityClasses%s%s", "", "");
    struct kapi_admission *admission =
        kapi_admission_new(cache, registry, fl.enable_admission_plugins, fl.disable_admission_plugins);
    kapi_admission_set_store(admission, store);
    kapi_adm_set_authorizer(admission, rbac); /* CertificateApproval/Signing ask RBAC */
    struct kapi_rqctl *rqctl = kapi_flags_controller_enabled(&fl, "resourcequota-controller") ? kapi_rqctl_start(admission)
                                                                                            : NULL;
    struct kapi_svc_alloc *svc_alloc =
        kapi_svc_alloc_new(store, fl.service_cluster_ip_range, fl.service_node_port_range, err, sizeof(err));
    if (!svc_alloc)
        return fail("--service-cluster-ip-range/--service-node-port-range: %s%s", err, "");
    const char *self_ip = fl.advertise_address ? fl.advertise_address
                          : strcmp(fl.bind_address, "0.0.0.0") == 0 || strcmp(fl.bind_address, "::") == 0
                              ? "127.0.0.1"
                              : fl.bind_address;
    if (kapi_bootstrap_objects(store, cache, registry, err, sizeof(err)) < 0)
        return fail("bootstrap: %s%s", err, "");

    struct kapi_compactor *compactor =
        fl.compaction_interval_s > 0 ? kapi_compactor_start(store, fl.compaction_interval_s * 1000) : NULL;
    struct kapi_nsctl *nsctl = NULL;
    if (kapi_flags_controller_enabled(&fl, "namespace-controller"))
        nsctl = kapi_nsctl_start(store, cache, registry);
    struct kapi_gc *gc = NULL;
    if (kapi_flags_controller_enabled(&fl, "garbage-collector-controller"))
        gc = kapi_gc_start(store, cache, registry);
    /* upstream's event TTL is part of the apiserver itself, not a controller */
    struct kapi_evttl *evttl = kapi_evttl_start(store, cache, registry, fl.event_ttl_s);
    struct kapi_podgc *podgc = kapi_flags_controller_enabled(&fl, "pod-garbage-collector")
                                   ? kapi_podgc_start(store, cache, registry)
                                   : NULL;
    struct kapi_disruption *disruption = kapi_flags_controller_enabled(&fl, "disruption-controller")
                                             ? kapi_disruption_start(store, cache, registry)
                                             : NULL;
    struct kapi_cractl *cractl = NULL;
    if (kapi_flags_controller_enabled(&fl, "clusterrole-aggregation"))
        cractl = kapi_cractl_start(store, cache, registry);
    struct kapi_sactl *sactl = NULL;
    char ca_pem[16384];
    {
        FILE *caf = fopen(pki.ca_cert, "r");
        size_t ca_len = caf ? fread(ca_pem, 1, sizeof(ca_pem) - 1, caf) : 0;
        if (caf)
            fclose(caf);
        ca_pem[ca_len] = 0;
    }
    if (kapi_flags_controller_enabled(&fl, "serviceaccount-controller"))
        sactl = kapi_sactl_start(store, cache, registry, ca_pem);

    struct kapi_authn *authn = kapi_authn_new(fl.token_auth_file, err, sizeof(err));
    if (!authn)
        return fail("--token-auth-file: %s%s", err, "");
    struct authn_family authn_fam = {0};
    if (authn_family_setup(&authn_fam, authn, &fl, registry, pki.ca_cert, err, sizeof(err)) < 0)
        return fail("authentication: %s%s", err, "");

    const char *host = fl.advertise_address ? fl.advertise_address
                       : (strcmp(fl.bind_address, "0.0.0.0") == 0 || strcmp(fl.bind_address, "::") == 0) ? "127.0.0.1"
                                                                                                            : fl.bind_address;
    struct kapi_apiserver srv = {
        .store = store,
        .cache = cache,
        .authn = authn,
        .registry = registry,
        .max_inflight = fl.max_requests_inflight,
        .max_mutating_inflight = fl.max_mutating_requests_inflight,
        .min_request_timeout = fl.min_request_timeout,
        .bookmark_interval_ms = fl.bookmark_interval_ms,
        .start_ms = t0,
        .openapi = kapi_openapi_new(NULL),
        .svc_alloc = svc_alloc,
        .rbac = rbac,
        .node_authz = node_authz,
        .admission = admission,
    };
    struct kapi_kubelet_config kubelet_cfg;
    kubelet_setup(&kubelet_cfg, &fl, &pki);
    srv.kubelet = &kubelet_cfg;
    if (fl.audit_policy_file) {
        struct kapi_audit_opts ao = {.policy_file = fl.audit_policy_file, .log_path = fl.audit_log_path,
                                     .max_size_mb = fl.audit_log_maxsize, .max_backups = fl.audit_log_maxbackup};
        srv.audit = kapi_audit_new(&ao, err, sizeof(err));
        if (!srv.audit)
            return fail("--audit-policy-file: %s%s", err, "");
    }
    struct kapi_tokctl *tokctl = kapi_flags_controller_enabled(&fl, "serviceaccount-token-controller")
                                     ? kapi_tokctl_start(store, cache, registry, &srv.satoken, ca_pem)
                                     : NULL;
    kapi_uuid(srv.apf_flowschema_uid);
    kapi_uuid(srv.apf_prioritylevel_uid);
    struct kapi_http_config hc = {
        .bind_address = fl.bind_address,
        .port = fl.secure_port,
        .cert_file = pki.serving_cert,
        .key_file = pki.serving_key,
        .client_ca_file = pki.ca_cert,
        .extra_client_ca_file = fl.requestheader_client_ca_file && *fl.requestheader_client_ca_file
                                    ? fl.requestheader_client_ca_file : NULL,
        .max_body = 3 * 1024 * 1024,
    };
    srv.sa_issuer = fl.sa_issuer;
    kapi_authn_set_token_hook(authn, kapi_sa_token_hook, &srv);
    struct kapi_http_server *http = kapi_http_server_start(&hc, kapi_endpoints_handle, &srv, err, sizeof(err));
    if (!http)
        return fail("listen on %s: %s", fl.bind_address, err);
    int port = kapi_http_server_port(http);
    bool v6 = strchr(host, ':') != NULL;
    char *address = kapi_xasprintf(v6 ? "[%s]:%d" : "%s:%d", host, port);
    struct kapi_discovery_opts dopts = {.server_address = address};
    srv.discovery = kapi_discovery_new(&dopts);
    struct crd_publisher crd_pub = {.srv = &srv, .dopts = dopts};
    struct kapi_crdctl *crdctl = kapi_crdctl_start(store, cache, registry, publish_custom_apis, &crd_pub);
    /* The kubernetes Service points at this server's port, known only now. */
    if (kapi_bootstrap_kubernetes_service(store, cache, registry, svc_alloc, self_ip, port, err, sizeof(err)) < 0)
        return fail("bootstrap: %s%s", err, "");
    struct kapi_epr *epr = NULL;
    if (strcmp(fl.endpoint_reconciler_type, "lease") == 0) {
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        /* a stable identity per advertised address and port */
        unsigned char md[32];
        char seed[512];
        snprintf(seed, sizeof(seed), "%s/%s/%d", host, self_ip, port);
        kapi_sha256(seed, strlen(seed), md);
        char identity[64] = "apiserver-";
        for (int i = 0; i < 13; i++)
            snprintf(identity + 10 + i * 2, 3, "%02x", md[i]);
        struct kapi_epr_opts eo = {.self_ip = self_ip, .port = port, .identity = identity, .hostname = host,
                                   .interval_ms = fl.endpoint_reconciler_interval_ms,
                                   .ttl_ms = fl.endpoint_reconciler_interval_ms * 3 / 2};
        epr = kapi_epr_start(store, registry, &eo);
        if (!epr)
            return fail("endpoint reconciler: cannot start%s%s", "", "");
    } else if (strcmp(fl.endpoint_reconciler_type, "none") != 0) {
        return fail("--endpoint-reconciler-type %s: must be lease or none%s", fl.endpoint_reconciler_type, "");
    }
    char *url = kapi_xasprintf("https://%s", address);
    struct sa_setup sas = {.srv = &srv, .pki = &pki, .fl = &fl, .address = address};
    pthread_t sa_thread;
    bool sa_started = pthread_create(&sa_thread, NULL, sa_setup_main, &sas) == 0;
    if (kapi_kubeconfig_write(kubeconfig, url, &pki, err, sizeof(err)) < 0)
        return fail("kubeconfig: %s%s", err, "");
    atomic_store(&srv.ready, true);
    fprintf(stderr, "kapi ready on %s in %lld ms (kubeconfig: %s)\n", url, (long long)(kapi_now_ms() - t0), kubeconfig);
    /* Start-up's transient allocations (tables, documents, the first lists)
     * are freed by now, but a long-lived block above them keeps the heap
     * from shrinking: about one start in three kept 6 MB more. */
    malloc_trim(0);

    int sig = 0;
    sigwait(&sigs, &sig);
    kapi_log(1, "received signal %d: shutting down", sig);
    atomic_store(&srv.shutting_down, true);
    /* Load balancers see /readyz fail and drain before the listener closes. */
    if (fl.shutdown_delay_s > 0)
        sleep((unsigned)fl.shutdown_delay_s);
    kapi_epr_stop(epr); /* leave the kubernetes endpoints before the listener closes */
    kapi_http_server_stop(http, fl.shutdown_grace_s * 1000);
    if (sa_started)
        pthread_join(sa_thread, NULL);
    kapi_tokctl_stop(tokctl); /* it signs with srv.satoken */
    kapi_satoken_free(atomic_load(&srv.satoken));
    kapi_crdctl_stop(crdctl);
    kapi_cractl_stop(cractl);
    kapi_podgc_stop(podgc);
    kapi_disruption_stop(disruption);
    kapi_evttl_stop(evttl);
    kapi_rqctl_stop(rqctl);
    kapi_nsctl_stop(nsctl);
    kapi_gc_stop(gc);
    kapi_sactl_stop(sactl);
    kapi_compactor_stop(compactor);
    kapi_cache_free(cache);
    kapi_svc_alloc_free(svc_alloc);
    kapi_rbac_free(rbac);
    kapi_node_authz_free(node_authz);
    kapi_adm_set_authorizer(admission, NULL);
    kapi_admission_free(admission);
    kapi_store_close(store);
    kapi_discovery_free(atomic_load(&srv.discovery));
    kapi_crd_snapshot_free(crd_pub.snap);
    while (crd_pub.retired) {
        struct retired_api *r = crd_pub.retired;
        crd_pub.retired = r->next;
        retired_free(r);
    }
    kapi_openapi_free(atomic_load(&srv.openapi));
    kapi_registry_free(registry);
    kapi_authn_free(authn);
    kapi_requestheader_free(authn_fam.rh);
    kapi_oidc_free(authn_fam.oidc);
    kapi_webhook_token_free(authn_fam.webhook);
    kapi_audit_free(srv.audit);
    free(kubelet_cfg.client_cert_pem);
    free(kubelet_cfg.client_key_pem);
    free(kubelet_cfg.ca_pem);
    kapi_pki_dispose(&pki);
    free(endpoints_buf);
    free(pki_dir);
    free(db_dir);
    free(db_path);
    free(kubeconfig);
    free(address);
    free(url);
    fprintf(stderr, "kapi stopped\n");
    return 0;
}
