/* server/flags: command-line flags, with kube-apiserver's names where one
 * exists ("--secure-port=6443" and "--secure-port 6443" both work). */
#ifndef KAPI_FLAGS_H
#define KAPI_FLAGS_H

#include <stdio.h>

#include "../base/base.h"

struct kapi_flags {
    const char *data_dir;
    const char *bind_address;
    const char *advertise_address;
    int secure_port;
    const char *token_auth_file;
    const char *etcd_servers;
    const char *etcd_prefix, *etcd_cafile, *etcd_certfile, *etcd_keyfile;
    const char *service_cluster_ip_range;
    const char *service_node_port_range;
    int max_requests_inflight;
    int max_mutating_requests_inflight;
    int min_request_timeout;
    int request_timeout_s;
    int shutdown_grace_s;
    int shutdown_delay_s;
    int bookmark_interval_ms;
    int verbosity;
    int event_ttl_s;             /* --event-ttl */
    const char *audit_policy_file, *audit_log_path;
    int audit_log_maxsize, audit_log_maxbackup;
    int compaction_interval_s;   /* --etcd-compaction-interval (upstream's name, used for every store) */
    const char *controllers;
    const char *feature_gates;   /* --feature-gates */
    const char *authorization_mode;
    const char *enable_admission_plugins, *disable_admission_plugins;
    const char *endpoint_reconciler_type;
    int endpoint_reconciler_interval_ms;
    const char *sa_issuer, *sa_key_file, *sa_signing_key_file, *api_audiences;   /* kube-controller-manager style: "*", "-namespace-controller" */
    const char *encryption_provider_config; /* --encryption-provider-config */
    /* authentication beyond certificates and token files (list flags hold
     * comma-joined values; repeating the flag appends) */
    bool anonymous_auth;                       /* --anonymous-auth (default true) */
    bool enable_bootstrap_token_auth;          /* --enable-bootstrap-token-auth */
    const char *requestheader_client_ca_file, *requestheader_allowed_names, *requestheader_username_headers,
        *requestheader_uid_headers, *requestheader_group_headers, *requestheader_extra_headers_prefix;
    const char *authn_webhook_config_file;     /* --authentication-token-webhook-config-file */
    int authn_webhook_cache_ttl_s;             /* --authentication-token-webhook-cache-ttl (default 2m) */
    const char *authn_webhook_version;         /* --authentication-token-webhook-version (default v1) */
    const char *kubelet_client_certificate, *kubelet_client_key, *kubelet_certificate_authority;
    const char *kubelet_preferred_address_types; /* comma list (default Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP) */
    int kubelet_timeout_s;                       /* --kubelet-timeout (default 5s) */
    const char *oidc_issuer_url, *oidc_client_id, *oidc_username_claim, *oidc_username_prefix,
        *oidc_groups_claim, *oidc_groups_prefix, *oidc_ca_file, *oidc_required_claim, *oidc_signing_algs;
};

/* Parses argv into f (defaults first). Returns 0, 1 when --help was asked
 * (usage printed), or -1 with a message in err. */
int kapi_flags_parse(int argc, char **argv, struct kapi_flags *f, char *err, size_t errlen);
void kapi_flags_usage(FILE *out);
/* Whether --controllers enables the named controller. */
bool kapi_flags_controller_enabled(const struct kapi_flags *f, const char *name);

#endif
