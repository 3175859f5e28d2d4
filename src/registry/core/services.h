/* registry/core/services: Service ClusterIP and NodePort allocation as
 * kube-apiserver 1.33 does it, kept entirely in storage so that several kapi
 * instances sharing one store never hand out the same IP or port. ClusterIPs
 * are IPAddress objects (/registry/ipaddresses/<ip>, taken by an atomic
 * CREATE) mirrored into the legacy bitmap /registry/ranges/serviceips;
 * NodePorts live in the bitmap /registry/ranges/servicenodeports, changed
 * by compare-and-swap. Design: docs/internals/services.md. */
#ifndef KAPI_REGISTRY_CORE_SERVICES_H
#define KAPI_REGISTRY_CORE_SERVICES_H

#include "../../base/base.h"
#include "../../codec/value.h"
#include "../../api/names.h"
#include "../../api/status.h"
#include "../../storage/storage.h"

#define KAPI_SVC_IP_RANGE_KEY   "/registry/ranges/serviceips"
#define KAPI_SVC_PORT_RANGE_KEY "/registry/ranges/servicenodeports"
#define KAPI_SVC_IPADDR_PREFIX  "/registry/ipaddresses/"

/* Results of create/update besides 0. */
#define KAPI_SVC_EINVALID  (-1) /* 422: errs holds the field errors */
#define KAPI_SVC_EINTERNAL (-2) /* 500: errs holds one KAPI_FERR_INTERNAL whose detail is the message */

struct kapi_svc_alloc;

/* Configured ranges only (no object data is cached: storage is the truth).
 * service_cidr is an IPv4 CIDR ("10.96.0.0/12"), node_port_range "30000-32767".
 * Returns NULL with a message in err on a malformed or unsupported range. */
struct kapi_svc_alloc *kapi_svc_alloc_new(struct kapi_store *store, const char *service_cidr,
                                          const char *node_port_range, char *err, size_t errlen);
void kapi_svc_alloc_free(struct kapi_svc_alloc *a); /* NULL is a no-op */

/* Turns off the mirror into /registry/ranges/serviceips (upstream's
 * DisableAllocatorDualWrite gate; on by default in 1.33 is the dual write). */
void kapi_svc_alloc_set_dual_write(struct kapi_svc_alloc *a, bool on);

/* The allocation-free part of upstream's beginCreate/beginUpdate and
 * PrepareForUpdate, which upstream runs before validation: defaults type
 * and the traffic policies, patches values the client left out of an update
 * from old (NULL on create), keeps clusterIP/clusterIPs in step and drops
 * fields the new type no longer uses. Idempotent; the REST layer calls it
 * before validating a Service, create/update below call it again. */
void kapi_svc_prepare(struct kapi_pool *pool, struct kapi_value *svc, const struct kapi_value *old);

/* On create: normalises clusterIP/clusterIPs, defaults type, ipFamilies,
 * ipFamilyPolicy, internal/externalTrafficPolicy and
 * allocateLoadBalancerNodePorts, allocates or reserves the ClusterIP and the
 * NodePorts (and healthCheckNodePort) as upstream does, writing them into svc
 * (pool-allocated). dry_run computes the same without storing anything.
 * Returns 0, KAPI_SVC_EINVALID or KAPI_SVC_EINTERNAL; on failure nothing
 * stays allocated. After a failed object write call kapi_svc_alloc_release. */
int kapi_svc_alloc_create(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc,
                          bool dry_run, struct kapi_field_errors *errs);

/* On update (svc is the new object, old the stored one): patches allocated
 * values the client left out, checks clusterIP immutability, allocates what
 * the new object needs and the old one did not hold (type changes, new
 * nodePorts) and drops fields the new type no longer uses. Releases nothing:
 * after a successful write call kapi_svc_alloc_release_diff(a, old, svc),
 * after a failed one kapi_svc_alloc_release_diff(a, svc, old) (not on dry run).
 * Returns as kapi_svc_alloc_create; on failure nothing new stays allocated. */
int kapi_svc_alloc_update(struct kapi_svc_alloc *a, struct kapi_pool *pool, struct kapi_value *svc,
                          const struct kapi_value *old, bool dry_run, struct kapi_field_errors *errs);

/* Releases the ClusterIPs and NodePorts that from holds and keep does not
 * (keep NULL = everything from holds). Best effort: store errors are logged. */
void kapi_svc_alloc_release_diff(struct kapi_svc_alloc *a, const struct kapi_value *from,
                                 const struct kapi_value *keep);
/* On delete, or after a failed create write: releases all svc holds. */
void kapi_svc_alloc_release(struct kapi_svc_alloc *a, const struct kapi_value *svc);

/* The first IP of the range ("10.96.0.1"), for the default/kubernetes Service. */
const char *kapi_svc_alloc_first_ip(const struct kapi_svc_alloc *a);

/* The Status for a failed create/update: 422 Service "name" is invalid, or
 * 500 Internal error. rc is the value create/update returned. */
struct kapi_status *kapi_svc_alloc_status(struct kapi_pool *pool, int rc, const char *name,
                                          const struct kapi_field_errors *errs);

#endif
