/* controllers/serviceaccounts: every active namespace gets the `default`
 * ServiceAccount and the `kube-root-ca.crt` ConfigMap holding the cluster CA
 * (what kube-controller-manager's serviceaccount and root-ca-cert-publisher
 * controllers do), re-created when deleted. */
#ifndef KAPI_CONTROLLERS_SERVICEACCOUNTS_H
#define KAPI_CONTROLLERS_SERVICEACCOUNTS_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_sactl;

/* ca_pem: the CA bundle to publish (copied). NULL when the registry lacks
 * the kinds. */
struct kapi_sactl *kapi_sactl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg, const char *ca_pem);
void kapi_sactl_stop(struct kapi_sactl *c); /* NULL-safe; joins */

#endif
