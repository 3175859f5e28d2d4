/* controllers/event_ttl: Events expire --event-ttl (default 1h) after they
 * were last written. Upstream attaches an etcd lease to every Event write;
 * kapi stores no leases, so this controller deletes Events whose newest
 * time (creationTimestamp, lastTimestamp, eventTime, series.lastObservedTime)
 * is older than the TTL. Checked every ttl/2 (at most every 30 s). */
#ifndef KAPI_CONTROLLERS_EVENT_TTL_H
#define KAPI_CONTROLLERS_EVENT_TTL_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_evttl;

/* NULL when ttl_s <= 0 or events are not cached. */
struct kapi_evttl *kapi_evttl_start(struct kapi_store *store, struct kapi_cache *cache,
                                    const struct kapi_registry *reg, int ttl_s);
void kapi_evttl_stop(struct kapi_evttl *c); /* NULL-safe; joins */

#endif
