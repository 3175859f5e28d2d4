/* registry/warnings: the warnings kube-apiserver 1.33's registry strategies
 * return from WarningsOnCreate / WarningsOnUpdate for built-in kinds (pods
 * and every pod template, services, persistent volumes and claims, runtime
 * classes, ingresses, network policies, endpoints and endpoint slices, nodes,
 * storage classes, CSI storage capacities, service accounts, and the status
 * writes of pods and services), the ones a pod's create-time AppArmor sync
 * adds, and the deprecation warning of whole built-in resources (core/v1
 * Endpoints).
 * The endpoints layer sends each as a `Warning: 299 - "..."` header.
 * Design: docs/internals/validation.md ("Warnings"). */
#ifndef KAPI_REGISTRY_WARNINGS_H
#define KAPI_REGISTRY_WARNINGS_H

#include "../base/base.h"
#include "../codec/value.h"

struct kapi_warnings {
    const char **items; /* in pool */
    size_t len, cap;
};

/* Appends a copy of msg (allocated from pool). */
void kapi_warnings_add(struct kapi_pool *pool, struct kapi_warnings *w, const char *msg);

/* WarningsOnCreate of the kind's strategy for a validated object. */
void kapi_warnings_on_create(struct kapi_pool *pool, const char *group, const char *kind,
                             const struct kapi_value *obj, struct kapi_warnings *w);
/* WarningsOnUpdate of the strategy that handles a write of subresource
 * (NULL/"" = the main resource) for a validated obj replacing old. Of the
 * subresource strategies only pods/status and services/status warn. */
void kapi_warnings_on_update(struct kapi_pool *pool, const char *group, const char *kind, const char *subresource,
                             const struct kapi_value *obj, const struct kapi_value *old,
                             struct kapi_warnings *w);

/* The deprecation warning every request to a deprecated built-in resource
 * carries, or NULL ("v1 Endpoints is deprecated in v1.33+; use
 * discovery.k8s.io/v1 EndpointSlice" for core/v1 endpoints). */
const char *kapi_resource_deprecation(const char *group, const char *version, const char *resource);

#endif
