/* registry/resources: the static table of every API resource (and
 * subresource) that a default kube-apiserver v1.33 lists in discovery, plus
 * the served groups in /apis order with their versions by preference. Facts
 * only; discovery documents, RBAC and request routing are built from it. */
#ifndef KAPI_RESOURCES_H
#define KAPI_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>

struct kapi_resource {
    const char *group, *version;         /* "" for the core group */
    const char *name;                    /* "pods", or "pods/status" for a subresource */
    const char *singular;                /* "pod"; NULL for subresources (upstream sends "") */
    const char *kind;                    /* "Pod"; for subresources the kind they take/return */
    const char *sub_group, *sub_version; /* group/version of kind when it lives elsewhere
                                          * ("autoscaling"/"v1" for .../scale); NULL otherwise */
    bool namespaced;
    const char *const *verbs;            /* NULL-terminated, upstream's order */
    const char *const *short_names;      /* NULL-terminated; never NULL itself */
    const char *const *categories;       /* NULL-terminated; never NULL itself */
    const char *storage_version_hash;    /* NULL for subresources and non-stored kinds */
    bool own_response_kind;              /* aggregated discovery names group/version in
                                          * responseKind (custom resources) */
};

/* All entries. Entries of one group/version are contiguous, the group/versions
 * come in discovery order (core v1 first, then /apis order, versions by
 * preference) and within one group/version names are sorted as upstream sorts
 * them (byte order, so "pods/status" sits right after "pods"). */
const struct kapi_resource *kapi_resources_all(size_t *n);

/* The entries of one group/version (a slice of the table), or NULL with *n = 0
 * when that group/version is not served. */
const struct kapi_resource *kapi_resources_for(const char *group, const char *version, size_t *n);

/* Exact lookup; name may be "pods/status". NULL when absent. */
const struct kapi_resource *kapi_resource_find(const char *group, const char *version,
                                               const char *name);

/* The top-level resource (not a subresource) whose kind is kind in group/version. */
const struct kapi_resource *kapi_resource_by_kind(const char *group, const char *version,
                                                  const char *kind);

/* The parent of a subresource ("pods" for "pods/log"); r itself for a top-level one. */
const struct kapi_resource *kapi_resource_parent(const struct kapi_resource *r);

static inline bool kapi_resource_is_sub(const struct kapi_resource *r)
{
    return r->singular == NULL;
}

struct kapi_api_group {
    const char *name;                    /* "" for the core group */
    const char *const *versions;         /* NULL-terminated, preferred first */
};

/* Groups under /apis in upstream's order (aggregator group priority, ties by
 * name). The core group is not among them; see kapi_api_core_group(). */
const struct kapi_api_group *kapi_api_groups(size_t *n);
const struct kapi_api_group *kapi_api_core_group(void);
/* The group called name (the core group for ""), or NULL when not served. */
const struct kapi_api_group *kapi_api_group_find(const char *name);
/* True when group/version is served by default. */
bool kapi_api_version_served(const char *group, const char *version);

/* Groups served beyond the static table (custom resources), as discovery
 * and OpenAPI list them: after every built-in group, by name. Each version's
 * resources are sorted by name, a parent's subresources right after it. */
struct kapi_value;
struct kapi_api_extra_version {
    const char *version;
    const struct kapi_resource *res;
    size_t n;
    /* parallel to res: the kind's OpenAPI v3 schema as its CRD gives it
     * (NULL for subresources and schema-less kinds) */
    const struct kapi_value *const *schemas;
};
struct kapi_api_extra_group {
    struct kapi_api_group g;                    /* versions preferred first */
    const struct kapi_api_extra_version *vers;  /* parallel to g.versions */
};
struct kapi_api_extra {
    const struct kapi_api_extra_group *groups;
    size_t n;
};

#endif
