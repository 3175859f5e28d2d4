/* controllers/podgc: finishes the graceful deletion of pods no kubelet
 * owns (the part of kube-controller-manager's pod garbage collector a
 * kubelet-less server needs): a terminating pod bound to a node that does
 * not exist or is not Ready is removed once its grace period is over.
 * --controllers name "pod-garbage-collector". */
#ifndef KAPI_CONTROLLERS_PODGC_H
#define KAPI_CONTROLLERS_PODGC_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_podgc;

struct kapi_podgc *kapi_podgc_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg);
void kapi_podgc_stop(struct kapi_podgc *c); /* NULL-safe; joins */

#endif
