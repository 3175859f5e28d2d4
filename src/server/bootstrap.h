/* server/bootstrap: objects every cluster has from its first start (the
 * default, kube-system, kube-public and kube-node-lease namespaces). Created
 * when missing; existing ones are left alone. */
#ifndef KAPI_BOOTSTRAP_H
#define KAPI_BOOTSTRAP_H

#include "../cache/cache.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

int kapi_bootstrap_objects(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg, char *err,
                           size_t errlen);

struct kapi_svc_alloc;
/* The default/kubernetes Service (the range's first IP, port 443 to this
 * server); an existing one is kept. Its endpoints are written by the
 * endpoint reconciler. */
int kapi_bootstrap_kubernetes_service(struct kapi_store *store, struct kapi_cache *cache, struct kapi_registry *reg,
                                      struct kapi_svc_alloc *alloc, const char *self_ip, int port, char *err,
                                      size_t errlen);

#endif
