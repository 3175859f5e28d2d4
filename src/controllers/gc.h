/* controllers/gc: the in-process garbage collector for metadata.ownerReferences
 * (kube-controller-manager's garbage collector upstream). Dependents of owners
 * that are gone are deleted (background cascade); owners marked for deletion
 * with the "foregroundDeletion" finalizer lose their dependents first; owners
 * with the "orphan" finalizer have their references stripped from their
 * dependents. See docs/internals/gc.md. */
#ifndef KAPI_CONTROLLERS_GC_H
#define KAPI_CONTROLLERS_GC_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;

struct kapi_gc;

/* Starts the collector thread over every stored kind of reg. The cache must
 * be started; store, cache and reg must outlive the collector. */
struct kapi_gc *kapi_gc_start(struct kapi_store *store, struct kapi_cache *cache, const struct kapi_registry *reg);
/* Stops the thread (within about 50 ms plus the scan step in progress) and
 * frees the collector; NULL-safe. Call before freeing the cache. */
void kapi_gc_stop(struct kapi_gc *g);

#endif
