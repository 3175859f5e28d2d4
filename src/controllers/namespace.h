/* controllers/namespace: the in-process namespace controller (what
 * kube-controller-manager's namespace controller does upstream). It follows
 * namespaces through the watch cache and, for each one marked for deletion,
 * deletes every object of every stored namespaced kind in it, waits for
 * objects held by finalizers, then drops the "kubernetes" spec finalizer and
 * removes the namespace. See docs/internals/controllers.md. */
#ifndef KAPI_CONTROLLERS_NAMESPACE_H
#define KAPI_CONTROLLERS_NAMESPACE_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;

struct kapi_nsctl;

/* Starts a thread that finishes the deletion of Terminating namespaces. The
 * cache must be started; store, cache and reg must outlive the controller.
 * NULL (logged) when reg serves no cached namespaces resource. */
struct kapi_nsctl *kapi_nsctl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg);
/* Stops the thread (within about 100 ms plus the store call in progress)
 * and frees the controller; NULL-safe. Call before freeing the cache. */
void kapi_nsctl_stop(struct kapi_nsctl *c);

#endif
