/* controllers/sa_token_secrets: legacy service-account token Secrets (type
 * kubernetes.io/service-account-token, annotation
 * kubernetes.io/service-account.name) get data.token — a legacy JWT signed
 * with the service-account key — plus data["ca.crt"] and data.namespace and
 * the service-account.uid annotation, as kube-controller-manager's tokens
 * controller fills them. Such a Secret whose service account does not exist
 * is deleted. --controllers name "serviceaccount-token-controller". */
#ifndef KAPI_CONTROLLERS_SA_TOKEN_SECRETS_H
#define KAPI_CONTROLLERS_SA_TOKEN_SECRETS_H

#include <stdatomic.h>

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_satoken;
struct kapi_tokctl;

/* satoken: where the signing key appears once it is ready (may stay NULL for
 * a while; the controller waits). ca_pem is copied. */
struct kapi_tokctl *kapi_tokctl_start(struct kapi_store *store, struct kapi_cache *cache,
                                      const struct kapi_registry *reg, _Atomic(struct kapi_satoken *) *satoken,
                                      const char *ca_pem);
void kapi_tokctl_stop(struct kapi_tokctl *c); /* NULL-safe; joins */

#endif
