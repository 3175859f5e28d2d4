/* registry: what kapi serves and where it keeps it. One struct kapi_kind per
 * served group/version/resource, built from the static resource table
 * (resources.c), with its storage key prefix (upstream's etcd layout) and
 * its watch-cache entry, plus the generic store logic that prepares objects
 * for create, update and delete (metadata rules shared by every kind). */
#ifndef KAPI_REGISTRY_H
#define KAPI_REGISTRY_H

#include "../base/base.h"
#include "../codec/value.h"
#include "resources.h"

struct kapi_cache;
struct kapi_rcache;
struct kapi_schema_msg;
struct kapi_crd_version; /* apiext/crd.h: a served custom resource version */

enum {
    KAPI_KIND_STORED = 1 << 0,     /* has storage (get/list/watch from the cache) */
    KAPI_KIND_GENERATION = 1 << 1, /* metadata.generation is maintained */
};

struct kapi_kind {
    const struct kapi_resource *res;  /* the top-level resource */
    const char *group, *version, *resource, *kind;
    const char *api_version;          /* "v1", "apps/v1" */
    const char *list_kind;            /* "PodList" */
    const char *group_resource;       /* "pods", "deployments.apps" (for messages) */
    char *prefix;                     /* "/registry/deployments/" */
    struct kapi_rcache *rc;
    const struct kapi_schema_msg *msg; /* the kind's type; NULL when it has no schema */
    const char *const *fields;        /* selectable fields beyond metadata.name/namespace */
    /* A kind stored in another kind's shape (events.k8s.io/v1 Event is kept
     * as core/v1 Event): the stored kind and the conversions. NULL otherwise. */
    const struct kapi_kind *storage_kind;
    struct kapi_value *(*view_out)(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *stored);
    struct kapi_value *(*view_in)(struct kapi_pool *pool, const struct kapi_kind *k, const struct kapi_value *view);
    unsigned flags;
    /* Custom resources only: the CRD version this kind serves (schema,
     * subresources, printer columns). NULL for built-in kinds. */
    const struct kapi_crd_version *crd;
    void (*free_fn)(struct kapi_kind *k); /* dynamic kinds: releases k itself */
};

struct kapi_registry;
struct kapi_registry *kapi_registry_new(struct kapi_cache *cache);
void kapi_registry_free(struct kapi_registry *r);
const struct kapi_kind *kapi_registry_find(const struct kapi_registry *r, const char *group, const char *version,
                                           const char *resource);

/* ---- Kinds added while running (custom resources) ----
 * A dynamic kind is a struct kapi_kind whose res points at its top-level
 * resource entry followed by its subresource entries (nres in all). Once
 * added it is never freed while the registry lives (requests may hold it);
 * removing or replacing one only hides it from lookups. */
void kapi_registry_add_dynamic(struct kapi_registry *r, struct kapi_kind *k, size_t nres);
/* Hides the dynamic kind (group, version, resource); no-op when absent. */
void kapi_registry_remove_dynamic(struct kapi_registry *r, const char *group, const char *version,
                                  const char *resource);
/* The resource entry (static table first, then live dynamic kinds) for
 * "plural" or "plural/sub" in group/version; NULL when not served. */
const struct kapi_resource *kapi_registry_find_resource(const struct kapi_registry *r, const char *group,
                                                        const char *version, const char *name);
/* True when group/version is served (built-in or by a live dynamic kind). */
bool kapi_registry_version_served(const struct kapi_registry *r, const char *group, const char *version);
/* Calls fn for every live dynamic kind (under the registry's read lock:
 * fn must not add or remove kinds). */
void kapi_registry_each_dynamic(const struct kapi_registry *r, void (*fn)(void *ctx, const struct kapi_kind *k),
                                void *ctx);
/* Copies up to max live dynamic kinds into out (one per storage prefix);
 * returns how many. */
size_t kapi_registry_dynamic_kinds(const struct kapi_registry *r, const struct kapi_kind **out, size_t max);
/* The kind (static or dynamic) whose top-level resource serves kind in
 * group/version; NULL when none. */
const struct kapi_kind *kapi_registry_find_by_kind(const struct kapi_registry *r, const char *group,
                                                   const char *version, const char *kind);
/* The cache the registry registers kinds with (NULL when it has none). */
struct kapi_cache *kapi_registry_cache(const struct kapi_registry *r);

/* Storage key of an object: prefix + (ns + "/")? + name. Pool-allocated. */
char *kapi_registry_key(struct kapi_pool *pool, const struct kapi_kind *k, const char *ns, const char *name);
/* True when verb ("get", "list", ...) is allowed on resource or subresource. */
bool kapi_resource_has_verb(const struct kapi_resource *r, const char *verb);

#endif
