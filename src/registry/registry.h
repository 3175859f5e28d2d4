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
    struct kapi_value *(*view_out)(struct kapi_pool *pool, const struct kapi_value *stored);
    struct kapi_value *(*view_in)(struct kapi_pool *pool, const struct kapi_value *view);
    unsigned flags;
};

struct kapi_registry;
struct kapi_registry *kapi_registry_new(struct kapi_cache *cache);
void kapi_registry_free(struct kapi_registry *r);
const struct kapi_kind *kapi_registry_find(const struct kapi_registry *r, const char *group, const char *version,
                                           const char *resource);
/* Storage key of an object: prefix + (ns + "/")? + name. Pool-allocated. */
char *kapi_registry_key(struct kapi_pool *pool, const struct kapi_kind *k, const char *ns, const char *name);
/* True when verb ("get", "list", ...) is allowed on resource or subresource. */
bool kapi_resource_has_verb(const struct kapi_resource *r, const char *verb);

#endif
