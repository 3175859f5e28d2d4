/* controllers/endpoints_reconciler: how several kapi instances find each
 * other, as kube-apiserver's lease endpoint reconciler does it. Each
 * instance renews a short-lived entry /registry/masterleases/<ip> every
 * interval and keeps its identity Lease in kube-system; any instance
 * rewrites the default/kubernetes Endpoints and EndpointSlice to list every
 * instance whose entry has not expired, so dead instances drop out. */
#ifndef KAPI_ENDPOINTS_RECONCILER_H
#define KAPI_ENDPOINTS_RECONCILER_H

#include <stdint.h>

struct kapi_store;
struct kapi_registry;
struct kapi_epr;

struct kapi_epr_opts {
    const char *self_ip;   /* advertise address */
    int port;              /* secure port */
    const char *identity;  /* stable instance id ("apiserver-<...>") */
    const char *hostname;
    int interval_ms;       /* renew/reconcile period (default 10000) */
    int ttl_ms;            /* an entry older than this is dead (default 15000) */
};

struct kapi_epr *kapi_epr_start(struct kapi_store *store, const struct kapi_registry *reg, const struct kapi_epr_opts *o);
/* One renew + reconcile pass now (also used by tests). 0 or a store error. */
int kapi_epr_round(struct kapi_epr *e, int64_t now_ms);
/* Stops; removes this instance's entry and reconciles once more, so a
 * graceful stop leaves the endpoints at once. NULL-safe. */
void kapi_epr_stop(struct kapi_epr *e);

#endif
