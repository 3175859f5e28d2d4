/* Implementation of src/server/flags.h. */
#include "flags.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ftype { F_STR, F_INT, F_DURATION_S, F_BOOL, F_LIST };

struct flag {
    const char *name;
    enum ftype type;
    size_t off;
    const char *help;
};

#define OFF(field) offsetof(struct kapi_flags, field)

static const struct flag flags[] = {
    {"data-dir", F_STR, OFF(data_dir), "directory for pki/, db/ and admin.kubeconfig (kapi's own)"},
    {"bind-address", F_STR, OFF(bind_address), "address to listen on (default 127.0.0.1)"},
    {"advertise-address", F_STR, OFF(advertise_address), "address advertised to clients and put in the serving certificate"},
    {"secure-port", F_INT, OFF(secure_port), "HTTPS port (default 6443)"},
    {"token-auth-file", F_STR, OFF(token_auth_file), "static bearer tokens, CSV: token,user,uid,\"group1,group2\""},
    {"etcd-servers", F_STR, OFF(etcd_servers), "comma-separated etcd endpoints (http:// or https://); without it the embedded store is used"},
    {"etcd-compaction-interval", F_DURATION_S, OFF(compaction_interval_s), "how often history is compacted, coordinated between instances (default 5m, 0 = never)"},
    {"audit-policy-file", F_STR, OFF(audit_policy_file), "audit.k8s.io/v1 Policy; without it nothing is audited"},
    {"audit-log-path", F_STR, OFF(audit_log_path), "where audit events go, one JSON object per line (\"-\" = standard output)"},
    {"audit-log-maxsize", F_INT, OFF(audit_log_maxsize), "megabytes before the audit log is rotated (0 = never)"},
    {"audit-log-maxbackup", F_INT, OFF(audit_log_maxbackup), "rotated audit logs to keep (0 = all)"},
    {"event-ttl", F_DURATION_S, OFF(event_ttl_s), "how long Events are kept after their last write (default 1h)"},
    {"etcd-prefix", F_STR, OFF(etcd_prefix), "key prefix in etcd (default /registry)"},
    {"etcd-cafile", F_STR, OFF(etcd_cafile), "CA bundle for TLS to etcd"},
    {"etcd-certfile", F_STR, OFF(etcd_certfile), "client certificate for TLS to etcd"},
    {"etcd-keyfile", F_STR, OFF(etcd_keyfile), "client key for TLS to etcd"},
    {"service-cluster-ip-range", F_STR, OFF(service_cluster_ip_range), "CIDR for Service ClusterIPs (default 10.96.0.0/12)"},
    {"service-node-port-range", F_STR, OFF(service_node_port_range), "port range for NodePort Services (default 30000-32767)"},
    {"max-requests-inflight", F_INT, OFF(max_requests_inflight), "cap on concurrent non-mutating requests (default 400, 0 = none)"},
    {"max-mutating-requests-inflight", F_INT, OFF(max_mutating_requests_inflight), "cap on concurrent mutating requests (default 200, 0 = none)"},
    {"min-request-timeout", F_INT, OFF(min_request_timeout), "seconds; watches end after a random time in [this, 2x this) (default 1800)"},
    {"request-timeout", F_DURATION_S, OFF(request_timeout_s), "deadline of a non-watch request, e.g. 1m0s (default 60s)"},
    {"shutdown-grace-period", F_DURATION_S, OFF(shutdown_grace_s), "time in-flight requests get to finish on SIGTERM (default 30s)"},
    {"shutdown-delay-duration", F_DURATION_S, OFF(shutdown_delay_s), "time to keep serving with /readyz failing after SIGTERM (default 0s)"},
    {"watch-bookmark-interval-ms", F_INT, OFF(bookmark_interval_ms), "how often watches that allow bookmarks get one (default 60000)"},
    {"service-account-issuer", F_STR, OFF(sa_issuer), "iss of service-account tokens (default https://kubernetes.default.svc.cluster.local)"},
    {"service-account-key-file", F_STR, OFF(sa_key_file), "PEM public (or private) key that verifies service-account tokens (default: pki/sa.pub)"},
    {"service-account-signing-key-file", F_STR, OFF(sa_signing_key_file), "PEM private key that signs service-account tokens (default: pki/sa.key)"},
    {"api-audiences", F_STR, OFF(api_audiences), "comma-separated audiences the API accepts in tokens (default: the issuer)"},
    {"encryption-provider-config", F_STR, OFF(encryption_provider_config), "EncryptionConfiguration file: encrypt resources at rest (identity, aescbc, aesgcm, secretbox)"},
    {"endpoint-reconciler-type", F_STR, OFF(endpoint_reconciler_type), "lease (default): the kubernetes Service lists every live instance; none"},
    {"endpoint-reconciler-interval-ms", F_INT, OFF(endpoint_reconciler_interval_ms), "how often an instance renews its entry (default 10000; entries live 1.5x this)"},
    {"authorization-mode", F_STR, OFF(authorization_mode), "comma list of Node, RBAC, AlwaysAllow, in the order they are asked (default Node,RBAC)"},
    {"enable-admission-plugins", F_STR, OFF(enable_admission_plugins), "admission plugins to turn on in addition to the defaults"},
    {"disable-admission-plugins", F_STR, OFF(disable_admission_plugins), "admission plugins to turn off"},
    {"feature-gates", F_STR, OFF(feature_gates), "Name=true|false,... for the gates kapi implements (src/registry/gates.c; default: 1.33's)"},
    {"controllers", F_STR, OFF(controllers), "in-process controllers, e.g. \"*\" (default) or \"*,-namespace-controller\""},
    {"anonymous-auth", F_BOOL, OFF(anonymous_auth), "requests without credentials are system:anonymous (default true); false: 401"},
    {"enable-bootstrap-token-auth", F_BOOL, OFF(enable_bootstrap_token_auth), "accept bootstrap tokens from kube-system Secrets of type bootstrap.kubernetes.io/token"},
    {"requestheader-client-ca-file", F_STR, OFF(requestheader_client_ca_file), "CA of front proxies whose request headers name the user"},
    {"requestheader-allowed-names", F_LIST, OFF(requestheader_allowed_names), "front-proxy certificate CNs allowed (default: any)"},
    {"requestheader-username-headers", F_LIST, OFF(requestheader_username_headers), "request headers holding the user name (X-Remote-User is common)"},
    {"requestheader-uid-headers", F_LIST, OFF(requestheader_uid_headers), "request headers holding the user UID (X-Remote-Uid is suggested)"},
    {"requestheader-group-headers", F_LIST, OFF(requestheader_group_headers), "request headers holding groups (X-Remote-Group is suggested)"},
    {"requestheader-extra-headers-prefix", F_LIST, OFF(requestheader_extra_headers_prefix), "request header prefixes for user extra (X-Remote-Extra- is suggested)"},
    {"authentication-token-webhook-config-file", F_STR, OFF(authn_webhook_config_file), "kubeconfig of a TokenReview webhook for bearer tokens"},
    {"authentication-token-webhook-cache-ttl", F_DURATION_S, OFF(authn_webhook_cache_ttl_s), "how long webhook answers are cached (default 2m0s)"},
    {"authentication-token-webhook-version", F_STR, OFF(authn_webhook_version), "TokenReview version sent to the webhook: v1 (default) or v1beta1"},
    {"kubelet-client-certificate", F_STR, OFF(kubelet_client_certificate), "client certificate for TLS to kubelets (default: kapi's admin certificate from pki/)"},
    {"kubelet-client-key", F_STR, OFF(kubelet_client_key), "key of --kubelet-client-certificate"},
    {"kubelet-certificate-authority", F_STR, OFF(kubelet_certificate_authority), "CA bundle for kubelets' serving certificates (default: not verified, as upstream)"},
    {"kubelet-preferred-address-types", F_STR, OFF(kubelet_preferred_address_types), "node address types to reach kubelets by, in order (default Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP)"},
    {"kubelet-timeout", F_DURATION_S, OFF(kubelet_timeout_s), "time to connect to a kubelet (default 5s)"},
    {"oidc-issuer-url", F_STR, OFF(oidc_issuer_url), "https URL of the OpenID issuer whose ID tokens are accepted"},
    {"oidc-client-id", F_STR, OFF(oidc_client_id), "the audience ID tokens must carry"},
    {"oidc-username-claim", F_STR, OFF(oidc_username_claim), "claim holding the user name (default sub)"},
    {"oidc-username-prefix", F_STR, OFF(oidc_username_prefix), "prefix for user names (default <issuer>#, none for email; \"-\" = none)"},
    {"oidc-groups-claim", F_STR, OFF(oidc_groups_claim), "claim holding the groups (string or array)"},
    {"oidc-groups-prefix", F_STR, OFF(oidc_groups_prefix), "prefix for group names"},
    {"oidc-ca-file", F_STR, OFF(oidc_ca_file), "CA of the issuer's TLS certificate (default: system roots)"},
    {"oidc-required-claim", F_LIST, OFF(oidc_required_claim), "key=value claims ID tokens must carry (repeatable)"},
    {"oidc-signing-algs", F_LIST, OFF(oidc_signing_algs), "allowed JOSE signing algorithms (default RS256)"},
    {"v", F_INT, OFF(verbosity), "log verbosity: 0 errors, 1 info, 2 every request"},
};

void kapi_flags_usage(FILE *out)
{
    fprintf(out, "Usage: kapi [flags]\n\nkapi is a Kubernetes API server (API level v1.33).\n\nFlags:\n");
    for (size_t i = 0; i < KAPI_ARRAY_LEN(flags); i++)
        fprintf(out, "  --%-32s %s\n", flags[i].name, flags[i].help);
    fprintf(out, "  --%-32s %s\n", "help", "show this help");
}

/* Go-style duration ("90s", "1m30s", "2h") or plain seconds. */
static int parse_duration(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end != s && *end == 0) {
        *out = (int)v;
        return v < 0 ? -1 : 0;
    }
    double total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        char *e;
        double n = strtod(p, &e);
        if (e == p)
            return -1;
        p = e;
        if (strncmp(p, "ms", 2) == 0) { total += n / 1000; p += 2; }
        else if (*p == 's') { total += n; p++; }
        else if (*p == 'm') { total += n * 60; p++; }
        else if (*p == 'h') { total += n * 3600; p++; }
        else return -1;
    }
    if (total < 0 || total > 1e9)
        return -1;
    *out = (int)total;
    return 0;
}

bool kapi_flags_controller_enabled(const struct kapi_flags *f, const char *name)
{
    /* The last mention wins; "*" turns on everything not named with "-". */
    bool on = false;
    const char *p = f->controllers ? f->controllers : "*";
    while (*p) {
        size_t n = strcspn(p, ",");
        bool neg = p[0] == '-';
        const char *item = p + (neg ? 1 : 0);
        size_t in = n - (neg ? 1 : 0);
        if (in == 1 && item[0] == '*')
            on = !neg;
        else if (in == strlen(name) && strncmp(item, name, in) == 0)
            on = !neg;
        p += n;
        if (*p == ',')
            p++;
    }
    return on;
}

int kapi_flags_parse(int argc, char **argv, struct kapi_flags *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->data_dir = NULL;
    f->bind_address = "127.0.0.1";
    f->secure_port = 6443;
    f->service_cluster_ip_range = "10.96.0.0/12";
    f->service_node_port_range = "30000-32767";
    f->max_requests_inflight = 400;
    f->max_mutating_requests_inflight = 200;
    f->min_request_timeout = 1800;
    f->request_timeout_s = 60;
    f->shutdown_grace_s = 30;
    f->bookmark_interval_ms = 60000;
    f->controllers = "*";
    f->authorization_mode = "Node,RBAC";
    f->endpoint_reconciler_type = "lease";
    f->endpoint_reconciler_interval_ms = 10000;
    f->sa_issuer = "https://kubernetes.default.svc.cluster.local";
    f->etcd_prefix = "/registry";
    f->compaction_interval_s = 300;
    f->event_ttl_s = 3600;
    f->anonymous_auth = true;
    f->authn_webhook_cache_ttl_s = 120;
    f->authn_webhook_version = "v1";
    f->oidc_username_claim = "sub";
    f->kubelet_preferred_address_types = "Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP";
    f->kubelet_timeout_s = 5;
    bool list_set[KAPI_ARRAY_LEN(flags)] = {0}; /* a list flag's first use replaces its default */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            kapi_flags_usage(stdout);
            return 1;
        }
        if (a[0] != '-') {
            snprintf(err, errlen, "unexpected argument %s", a);
            return -1;
        }
        const char *name = a + (a[1] == '-' ? 2 : 1);
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *fl = NULL;
        for (size_t j = 0; j < KAPI_ARRAY_LEN(flags); j++)
            if (strlen(flags[j].name) == nlen && strncmp(flags[j].name, name, nlen) == 0)
                fl = &flags[j];
        if (!fl) {
            snprintf(err, errlen, "unknown flag: --%.*s", (int)nlen, name);
            return -1;
        }
        const char *val;
        if (fl->type == F_BOOL) {
            /* Go's pflag: a bare boolean flag is true; a value only after "=" */
            const char *bv = eq ? eq + 1 : "true";
            bool b;
            if (!strcmp(bv, "1") || !strcmp(bv, "t") || !strcmp(bv, "T") || !strcmp(bv, "true") ||
                !strcmp(bv, "TRUE") || !strcmp(bv, "True"))
                b = true;
            else if (!strcmp(bv, "0") || !strcmp(bv, "f") || !strcmp(bv, "F") || !strcmp(bv, "false") ||
                     !strcmp(bv, "FALSE") || !strcmp(bv, "False"))
                b = false;
            else {
                snprintf(err, errlen, "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax", bv, fl->name, bv);
                return -1;
            }
            *(bool *)((char *)f + fl->off) = b;
            continue;
        }
        if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            snprintf(err, errlen, "flag needs an argument: --%s", fl->name);
            return -1;
        }
        char *base = (char *)f;
        if (fl->type == F_STR) {
            *(const char **)(base + fl->off) = val;
        } else if (fl->type == F_LIST) {
            const char **slot = (const char **)(base + fl->off);
            size_t idx = (size_t)(fl - flags);
            if (list_set[idx] && *slot && **slot)
                *slot = kapi_xasprintf("%s,%s", *slot, val); /* lives as long as the process */
            else
                *slot = val;
            list_set[idx] = true;
        } else if (fl->type == F_INT) {
            char *end;
            errno = 0;
            long v = strtol(val, &end, 10);
            if (!*val || *end || errno || v < 0 || v > 1000000000) {
                snprintf(err, errlen, "invalid argument \"%s\" for \"--%s\" flag: must be a non-negative integer", val, fl->name);
                return -1;
            }
            *(int *)(base + fl->off) = (int)v;
        } else {
            int secs;
            if (parse_duration(val, &secs) < 0) {
                snprintf(err, errlen, "invalid argument \"%s\" for \"--%s\" flag: time: invalid duration \"%s\"", val, fl->name, val);
                return -1;
            }
            *(int *)(base + fl->off) = secs;
        }
    }
    if (f->secure_port > 65535) {
        snprintf(err, errlen, "--secure-port %d must be between 0 and 65535", f->secure_port);
        return -1;
    }
    if (!f->data_dir || !*f->data_dir) {
        snprintf(err, errlen, "--data-dir is required");
        return -1;
    }
    return 0;
}
