/* endpoints: the Kubernetes REST front end. Turns HTTP requests into API
 * operations: authentication, request info (group, version, resource,
 * namespace, name, verb), content negotiation, one file per verb (get.c,
 * list.c, watch.c, create.c, update.c, delete.c, patch.c), health,
 * version and discovery; every error leaves through kapi_respond_status. */
#ifndef KAPI_ENDPOINTS_H
#define KAPI_ENDPOINTS_H

#include <pthread.h>
#include <stdatomic.h>

#include "../base/base.h"
#include "../http/http.h"

struct kapi_store;
struct kapi_cache;
struct kapi_authn;
struct kapi_registry;
struct kapi_discovery;
struct kapi_openapi;
struct kapi_svc_alloc;
struct kapi_satoken;
struct kapi_rbac;
struct kapi_node_authz;
struct kapi_admission;
struct kapi_audit;

/* How the server reaches kubelets (--kubelet-* flags). */
struct kapi_kubelet_config {
    char *client_cert_pem, *client_key_pem; /* our identity; NULL: none */
    char *ca_pem;                 /* --kubelet-certificate-authority; NULL: the kubelet's certificate is not
                                     verified, as upstream does without the flag */
    const char *preferred[8];     /* --kubelet-preferred-address-types, in order */
    size_t npreferred;
    int timeout_ms;               /* --kubelet-timeout: connecting and the TLS handshake */
};

/* Everything a request handler needs, built once by the server. */
struct kapi_apiserver {
    struct kapi_store *store;
    struct kapi_cache *cache;
    struct kapi_authn *authn;
    struct kapi_registry *registry;
    _Atomic(struct kapi_discovery *) discovery; /* replaced when custom resources change */
    _Atomic(struct kapi_openapi *) openapi;
    struct kapi_svc_alloc *svc_alloc;  /* ClusterIPs and NodePorts */
    _Atomic(struct kapi_satoken *) satoken; /* service-account tokens; NULL until the key is ready */
    const char *sa_issuer;
    struct kapi_rbac *rbac;            /* NULL: --authorization-mode=AlwaysAllow */
    struct kapi_node_authz *node_authz; /* NULL: no Node in --authorization-mode (or AlwaysAllow) */
    struct kapi_admission *admission;  /* the built-in admission chain */
    struct kapi_audit *audit;          /* NULL: no --audit-policy-file */
    const struct kapi_kubelet_config *kubelet; /* NULL: defaults, no client certificate */
    int max_inflight;            /* --max-requests-inflight (non-mutating) */
    int max_mutating_inflight;   /* --max-mutating-requests-inflight */
    _Atomic int inflight, mutating_inflight;
    int min_request_timeout;     /* seconds; watch timeouts are random in [min, 2*min) */
    int bookmark_interval_ms;    /* how often watches with allowWatchBookmarks get one */
    _Atomic bool shutting_down;  /* readyz reports failure once set */
    _Atomic bool ready;          /* start-up finished */
    int64_t start_ms;
    char apf_flowschema_uid[37], apf_prioritylevel_uid[37];
};

/* The HTTP handler (kapi_http_handler_fn) for an apiserver. */
void kapi_endpoints_handle(void *ctx, struct kapi_http_request *req);
/* The token hook (kapi_authn_token_fn) that accepts service-account tokens
 * of srv (ctx) once its signing key is ready. */
struct kapi_user;
int kapi_sa_token_hook(void *ctx, struct kapi_pool *pool, const char *token, struct kapi_user *out);

#endif
