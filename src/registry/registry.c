/* Implementation of src/registry/registry.h: the served kinds and their
 * storage layout. */
#include "registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../cache/cache.h"
#include "../schema/schema.h"
#include "events.h"

struct dyn_kind {
    struct dyn_kind *next;
    struct kapi_kind *k;
    size_t nres;
    bool live;
};

struct kapi_registry {
    struct kapi_kind *kinds;
    size_t n;
    /* open-addressing index of kinds by group, version and resource:
     * slot values are 1 + index, 0 is empty; nslots a power of two */
    uint32_t *slots;
    size_t nslots;
    struct kapi_cache *cache;
    pthread_rwlock_t dyn_lock;
    struct dyn_kind *dyn; /* newest first; dead entries stay until free */
};

/* Where upstream keeps a resource in etcd, when it is not
 * /registry/<plural>/. */
static const struct {
    const char *group, *resource, *path;
} special_prefixes[] = {
    {"", "services", "services/specs"},
    {"", "endpoints", "services/endpoints"},
    {"", "nodes", "minions"},
    {"", "replicationcontrollers", "controllers"},
    {"networking.k8s.io", "ingresses", "ingress"},
    {"apiextensions.k8s.io", "customresourcedefinitions", "apiextensions.k8s.io/customresourcedefinitions"},
    {"apiregistration.k8s.io", "apiservices", "apiregistration.k8s.io/apiservices"},
};

#define F(...) ((const char *const[]){__VA_ARGS__, NULL})
/* Field selectors each kind supports besides metadata.name and
 * metadata.namespace (upstream's per-kind field label conversions). */
static const struct {
    const char *group, *resource;
    const char *const *fields;
} kind_fields[] = {
    {"", "pods", F("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")},
    {"", "events", F("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                     "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                     "reason", "reportingComponent", "source", "type")},
    {"events.k8s.io", "events", F("regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                                  "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                                  "reason", "reportingController", "type")},
    {"", "secrets", F("type")},
    {"", "nodes", F("spec.unschedulable")},
    {"", "namespaces", F("status.phase")},
    {"", "replicationcontrollers", F("status.replicas")},
    {"apps", "replicasets", F("status.replicas")},
    {"batch", "jobs", F("status.successful")},
    {"", "services", F("spec.clusterIP", "spec.type")},
    {"certificates.k8s.io", "certificatesigningrequests", F("spec.signerName")},
};

static const char *const generation_kinds[] = {
    "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
    "replicationcontrollers", "horizontalpodautoscalers", "poddisruptionbudgets", "networkpolicies",
    "ingresses", "customresourcedefinitions", "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations", "validatingadmissionpolicies", "validatingadmissionpolicybindings",
    "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
};

bool kapi_resource_has_verb(const struct kapi_resource *r, const char *verb)
{
    if (!r->verbs)
        return false;
    for (const char *const *v = r->verbs; *v; v++)
        if (strcmp(*v, verb) == 0)
            return true;
    return false;
}

static uint64_t gvr_hash(const char *group, const char *version, const char *resource)
{
    /* each name with its NUL, which separates them */
    uint64_t h = kapi_fnv1a(KAPI_FNV_INIT, group, strlen(group) + 1);
    h = kapi_fnv1a(h, version, strlen(version) + 1);
    return kapi_fnv1a(h, resource, strlen(resource));
}

static void index_kinds(struct kapi_registry *reg)
{
    reg->nslots = 16;
    while (reg->nslots < reg->n * 4)
        reg->nslots *= 2;
    reg->slots = kapi_xcalloc(reg->nslots, sizeof(*reg->slots));
    for (size_t i = 0; i < reg->n; i++) {
        const struct kapi_kind *k = &reg->kinds[i];
        size_t s = gvr_hash(k->group, k->version, k->resource) & (reg->nslots - 1);
        while (reg->slots[s])
            s = (s + 1) & (reg->nslots - 1);
        reg->slots[s] = (uint32_t)i + 1;
    }
}

struct kapi_registry *kapi_registry_new(struct kapi_cache *cache)
{
    struct kapi_registry *reg = kapi_xcalloc(1, sizeof(*reg));
    reg->cache = cache;
    pthread_rwlock_init(&reg->dyn_lock, NULL);
    size_t n = 0;
    const struct kapi_resource *all = kapi_resources_all(&n);
    reg->kinds = kapi_xcalloc(n ? n : 1, sizeof(*reg->kinds));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_resource *r = &all[i];
        if (strchr(r->name, '/'))
            continue;
        struct kapi_kind *k = &reg->kinds[reg->n++];
        k->res = r;
        k->group = r->group;
        k->version = r->version;
        k->resource = r->name;
        k->kind = r->kind;
        k->api_version = r->group[0] ? kapi_xasprintf("%s/%s", r->group, r->version) : kapi_xstrdup(r->version);
        k->list_kind = kapi_xasprintf("%sList", r->kind);
        k->msg = kapi_schema_kind_find(r->group, r->version, r->kind);
        k->group_resource = r->group[0] ? kapi_xasprintf("%s.%s", r->name, r->group) : kapi_xstrdup(r->name);
        const char *path = NULL;
        for (size_t j = 0; j < KAPI_ARRAY_LEN(special_prefixes); j++)
            if (strcmp(special_prefixes[j].group, r->group) == 0 && strcmp(special_prefixes[j].resource, r->name) == 0)
                path = special_prefixes[j].path;
        if (!path && strcmp(r->name, "events") == 0)
            path = "events"; /* core/v1 and events.k8s.io/v1 share one store */
        k->prefix = kapi_xasprintf("/registry/%s/", path ? path : r->name);
        for (size_t j = 0; j < KAPI_ARRAY_LEN(kind_fields); j++)
            if (strcmp(kind_fields[j].group, r->group) == 0 && strcmp(kind_fields[j].resource, r->name) == 0)
                k->fields = kind_fields[j].fields;
        if (kapi_resource_has_verb(r, "get") && kapi_resource_has_verb(r, "list")) {
            k->flags |= KAPI_KIND_STORED;
            if (cache) {
                k->rc = kapi_cache_register(cache, k->prefix);
                kapi_rcache_add_fields(k->rc, k->fields);
            }
        }
        for (size_t j = 0; j < KAPI_ARRAY_LEN(generation_kinds); j++)
            if (strcmp(generation_kinds[j], r->name) == 0)
                k->flags |= KAPI_KIND_GENERATION;
    }
    index_kinds(reg);
    /* events.k8s.io/v1 events are a view of the core/v1 ones */
    struct kapi_kind *core_ev = (struct kapi_kind *)kapi_registry_find(reg, "", "v1", "events");
    struct kapi_kind *v1_ev = (struct kapi_kind *)kapi_registry_find(reg, "events.k8s.io", "v1", "events");
    if (core_ev && v1_ev) {
        v1_ev->storage_kind = core_ev;
        v1_ev->view_out = kapi_event_core_to_v1;
        v1_ev->view_in = kapi_event_v1_to_core;
    }
    return reg;
}

void kapi_registry_free(struct kapi_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free((char *)r->kinds[i].api_version);
        free((char *)r->kinds[i].list_kind);
        free((char *)r->kinds[i].group_resource);
        free(r->kinds[i].prefix);
    }
    free(r->kinds);
    free(r->slots);
    for (struct dyn_kind *d = r->dyn; d;) {
        struct dyn_kind *next = d->next;
        if (d->k->free_fn)
            d->k->free_fn(d->k);
        free(d);
        d = next;
    }
    pthread_rwlock_destroy(&r->dyn_lock);
    free(r);
}

const struct kapi_kind *kapi_registry_find(const struct kapi_registry *r, const char *group, const char *version,
                                           const char *resource)
{
    for (size_t s = gvr_hash(group, version, resource) & (r->nslots - 1); r->slots[s]; s = (s + 1) & (r->nslots - 1)) {
        const struct kapi_kind *k = &r->kinds[r->slots[s] - 1];
        if (kapi_streq(k->resource, resource) && kapi_streq(k->group, group) && kapi_streq(k->version, version))
            return k;
    }
    const struct kapi_kind *found = NULL;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d && !found; d = d->next)
        if (d->live && strcmp(d->k->resource, resource) == 0 && strcmp(d->k->group, group) == 0 &&
            strcmp(d->k->version, version) == 0)
            found = d->k;
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
    return found;
}

void kapi_registry_add_dynamic(struct kapi_registry *r, struct kapi_kind *k, size_t nres)
{
    struct dyn_kind *d = kapi_xcalloc(1, sizeof(*d));
    d->k = k;
    d->nres = nres;
    d->live = true;
    pthread_rwlock_wrlock(&r->dyn_lock);
    for (struct dyn_kind *o = r->dyn; o; o = o->next)
        if (o->live && strcmp(o->k->resource, k->resource) == 0 && strcmp(o->k->group, k->group) == 0 &&
            strcmp(o->k->version, k->version) == 0)
            o->live = false;
    d->next = r->dyn;
    r->dyn = d;
    pthread_rwlock_unlock(&r->dyn_lock);
}

void kapi_registry_remove_dynamic(struct kapi_registry *r, const char *group, const char *version,
                                  const char *resource)
{
    pthread_rwlock_wrlock(&r->dyn_lock);
    for (struct dyn_kind *o = r->dyn; o; o = o->next)
        if (o->live && strcmp(o->k->resource, resource) == 0 && strcmp(o->k->group, group) == 0 &&
            strcmp(o->k->version, version) == 0)
            o->live = false;
    pthread_rwlock_unlock(&r->dyn_lock);
}

const struct kapi_resource *kapi_registry_find_resource(const struct kapi_registry *r, const char *group,
                                                        const char *version, const char *name)
{
    const struct kapi_resource *res = kapi_resource_find(group, version, name);
    if (res)
        return res;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d && !res; d = d->next) {
        if (!d->live || strcmp(d->k->group, group) != 0 || strcmp(d->k->version, version) != 0)
            continue;
        for (size_t i = 0; i < d->nres; i++)
            if (strcmp(d->k->res[i].name, name) == 0)
                res = &d->k->res[i];
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
    return res;
}

bool kapi_registry_version_served(const struct kapi_registry *r, const char *group, const char *version)
{
    if (kapi_api_version_served(group, version))
        return true;
    bool found = false;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d && !found; d = d->next)
        found = d->live && strcmp(d->k->group, group) == 0 && strcmp(d->k->version, version) == 0;
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
    return found;
}

void kapi_registry_each_dynamic(const struct kapi_registry *r, void (*fn)(void *ctx, const struct kapi_kind *k),
                                void *ctx)
{
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d; d = d->next)
        if (d->live)
            fn(ctx, d->k);
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
}

size_t kapi_registry_dynamic_kinds(const struct kapi_registry *r, const struct kapi_kind **out, size_t max)
{
    size_t n = 0;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d && n < max; d = d->next) {
        if (!d->live)
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(out[i]->prefix, d->k->prefix) == 0;
        if (!dup)
            out[n++] = d->k;
    }
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
    return n;
}

const struct kapi_kind *kapi_registry_find_by_kind(const struct kapi_registry *r, const char *group,
                                                   const char *version, const char *kind)
{
    const struct kapi_resource *res = kapi_resource_by_kind(group, version, kind);
    if (res)
        return kapi_registry_find(r, group, version, res->name);
    const struct kapi_kind *found = NULL;
    pthread_rwlock_rdlock((pthread_rwlock_t *)&r->dyn_lock);
    for (const struct dyn_kind *d = r->dyn; d && !found; d = d->next)
        if (d->live && strcmp(d->k->kind, kind) == 0 && strcmp(d->k->group, group) == 0 &&
            strcmp(d->k->version, version) == 0)
            found = d->k;
    pthread_rwlock_unlock((pthread_rwlock_t *)&r->dyn_lock);
    return found;
}

struct kapi_cache *kapi_registry_cache(const struct kapi_registry *r)
{
    return r->cache;
}

char *kapi_registry_key(struct kapi_pool *pool, const struct kapi_kind *k, const char *ns, const char *name)
{
    /* prefix, then "ns/" when namespaced, then name: on every request */
    size_t pl = strlen(k->prefix), nl = ns && ns[0] ? strlen(ns) : 0, ml = strlen(name);
    char *key = kapi_pool_alloc(pool, pl + nl + 1 + ml + 1), *p = key;
    memcpy(p, k->prefix, pl);
    p += pl;
    if (nl) {
        memcpy(p, ns, nl);
        p += nl;
        *p++ = '/';
    }
    memcpy(p, name, ml + 1);
    return key;
}
