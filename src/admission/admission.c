/* Implementation of src/admission/admission.h: the plugin table in
 * upstream's execution order, flag handling, the two-phase chain and the
 * lookup helpers the plugins share. */
#include "admission.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cache/cache.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../schema/schema.h"
#include "../storage/storage.h"

/* What a request is about, as far as the chain cares: one bit for each
 * group/resource that some plugin acts on, ADM_OTHER for the rest. A plugin
 * is called only for the classes in its scope (its own checks still run; a
 * scope may be wider than what the plugin handles, never narrower). */
enum {
    ADM_PODS = 1u << 0,
    ADM_NAMESPACES = 1u << 1,
    ADM_NODES = 1u << 2,
    ADM_PVCS = 1u << 3,
    ADM_PVS = 1u << 4,
    ADM_POD_WORKLOADS = 1u << 5, /* core podtemplates, replicationcontrollers; every apps and batch resource */
    ADM_CSRS = 1u << 6,
    ADM_INGRESSES = 1u << 7,
    ADM_PRIORITYCLASSES = 1u << 8,
    ADM_OTHER = 1u << 9,
    ADM_ANY = ~0u,
};

static unsigned classify(const char *group, const char *resource)
{
    if (group[0] == 0) {
        if (kapi_streq(resource, "pods"))
            return ADM_PODS;
        if (kapi_streq(resource, "namespaces"))
            return ADM_NAMESPACES;
        if (kapi_streq(resource, "nodes"))
            return ADM_NODES;
        if (kapi_streq(resource, "persistentvolumeclaims"))
            return ADM_PVCS;
        if (kapi_streq(resource, "persistentvolumes"))
            return ADM_PVS;
        if (kapi_streq(resource, "podtemplates") || kapi_streq(resource, "replicationcontrollers"))
            return ADM_POD_WORKLOADS;
        return ADM_OTHER;
    }
    if (kapi_streq(group, "apps") || kapi_streq(group, "batch"))
        return ADM_POD_WORKLOADS;
    if (kapi_streq(group, "certificates.k8s.io") && kapi_streq(resource, "certificatesigningrequests"))
        return ADM_CSRS;
    if (kapi_streq(group, "networking.k8s.io") && kapi_streq(resource, "ingresses"))
        return ADM_INGRESSES;
    if (kapi_streq(group, "scheduling.k8s.io") && kapi_streq(resource, "priorityclasses"))
        return ADM_PRIORITYCLASSES;
    return ADM_OTHER;
}

struct plugin {
    const char *name;
    bool default_on;
    kapi_admission_fn mutate, validate;
    unsigned mscope, vscope; /* the request classes mutate / validate act on */
};

/* NamespaceLifecycle's part that is not in the request handlers: the
 * namespaces the cluster needs cannot be deleted. (Creates in missing or
 * terminating namespaces are refused by the handlers before admission.) */
static int namespace_lifecycle_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    static const char *const immortal[] = {"default", "kube-system", "kube-public"};
    if (at->obj || !kapi_adm_is(at, "", "namespaces"))
        return 0;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(immortal); i++)
        if (at->name && strcmp(at->name, immortal[i]) == 0) {
            *status = kapi_adm_forbidden(at, "this namespace may not be deleted");
            return -1;
        }
    return 0;
}

static int always_deny(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    *status = kapi_adm_forbidden(at, "admission control is denying all modifications");
    return -1;
}

/* Every plugin kube-apiserver 1.33 registers, in its execution order
 * (AllOrderedPlugins), with its default state. Plugins without functions are
 * accepted by the flags and do nothing here (NamespaceLifecycle is enforced
 * by the request handlers; the rest have no effect on kapi's objects yet). */
static const struct plugin plugins[] = {
    {"AlwaysAdmit", false, NULL, NULL, 0, 0},
    {"NamespaceAutoProvision", false, NULL, NULL, 0, 0},
    {"NamespaceLifecycle", true, NULL, namespace_lifecycle_validate, 0, ADM_NAMESPACES},
    {"NamespaceExists", false, NULL, NULL, 0, 0},
    {"LimitPodHardAntiAffinityTopology", false, NULL, NULL, 0, 0},
    {"LimitRanger", true, kapi_adm_limitranger_mutate, kapi_adm_limitranger_validate, ADM_PODS, ADM_PODS},
    {"ServiceAccount", true, kapi_adm_serviceaccount_mutate, kapi_adm_serviceaccount_validate, ADM_PODS, ADM_PODS},
    {"NodeRestriction", false, kapi_adm_noderestriction_mutate, NULL, ADM_ANY, 0},
    {"TaintNodesByCondition", true, kapi_adm_nodetaint_mutate, NULL, ADM_NODES, 0},
    {"AlwaysPullImages", false, NULL, NULL, 0, 0},
    {"ImagePolicyWebhook", false, NULL, NULL, 0, 0},
    {"PodSecurity", true, NULL, kapi_adm_podsecurity_validate, 0, ADM_NAMESPACES | ADM_PODS | ADM_POD_WORKLOADS},
    {"PodNodeSelector", false, NULL, NULL, 0, 0},
    {"Priority", true, kapi_adm_priority_mutate, kapi_adm_priority_validate, ADM_PODS, ADM_PRIORITYCLASSES},
    {"DefaultTolerationSeconds", true, kapi_adm_tolerations_mutate, NULL, ADM_PODS, 0},
    {"PodTolerationRestriction", false, NULL, NULL, 0, 0},
    {"EventRateLimit", false, NULL, NULL, 0, 0},
    {"ExtendedResourceToleration", false, NULL, NULL, 0, 0},
    {"DefaultStorageClass", true, kapi_adm_storageclass_mutate, NULL, ADM_PVCS, 0},
    {"StorageObjectInUseProtection", true, kapi_adm_inuseprotection_mutate, NULL, ADM_PVCS | ADM_PVS, 0},
    {"OwnerReferencesPermissionEnforcement", false, NULL, NULL, 0, 0},
    {"PersistentVolumeClaimResize", true, NULL, kapi_adm_pvcresize_validate, 0, ADM_PVCS},
    {"RuntimeClass", true, kapi_adm_runtimeclass_mutate, kapi_adm_runtimeclass_validate, ADM_PODS, ADM_PODS},
    {"CertificateApproval", true, NULL, kapi_adm_csrapproval_validate, 0, ADM_CSRS},
    {"CertificateSigning", true, NULL, kapi_adm_csrsigning_validate, 0, ADM_CSRS},
    {"ClusterTrustBundleAttest", true, NULL, NULL, 0, 0},
    {"CertificateSubjectRestriction", true, NULL, kapi_adm_csrsubject_validate, 0, ADM_CSRS},
    {"DefaultIngressClass", true, kapi_adm_ingressclass_mutate, NULL, ADM_INGRESSES, 0},
    {"DenyServiceExternalIPs", false, NULL, NULL, 0, 0},
    {"PodTopologyLabels", true, NULL, NULL, 0, 0},
    {"MutatingAdmissionPolicy", true, NULL, NULL, 0, 0},
    {"MutatingAdmissionWebhook", true, kapi_adm_webhook_mutate, NULL, ADM_ANY, 0},
    {"ValidatingAdmissionPolicy", true, NULL, NULL, 0, 0},
    {"ValidatingAdmissionWebhook", true, NULL, kapi_adm_webhook_validate, 0, ADM_ANY},
    {"ResourceQuota", true, NULL, kapi_adm_resourcequota_validate, 0, ADM_ANY},
    {"AlwaysDeny", false, NULL, always_deny, 0, ADM_ANY},
};
#define NPLUGINS KAPI_ARRAY_LEN(plugins)

/* One enabled plugin phase, in chain order. */
struct step {
    kapi_admission_fn fn;
    unsigned scope;
    bool on_delete; /* also runs for DELETE */
};

/* The kinds kapi_adm_none answers for, by enum kapi_adm_watched. */
static const struct {
    const char *group, *version, *resource;
} watched[KAPI_ADM_NWATCHED] = {
    [KAPI_ADM_MUTATING_WEBHOOKS] = {"admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations"},
    [KAPI_ADM_VALIDATING_WEBHOOKS] = {"admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations"},
    [KAPI_ADM_RESOURCEQUOTAS] = {"", "v1", "resourcequotas"},
    [KAPI_ADM_LIMITRANGES] = {"", "v1", "limitranges"},
};

struct kapi_admission {
    struct kapi_cache *cache;
    const struct kapi_registry *reg;
    struct kapi_store *store; /* for ResourceQuota's usage writes; may be NULL */
    bool on[NPLUGINS];
    int64_t not_ready_secs, unreachable_secs;
    struct step mutating[NPLUGINS], validating[NPLUGINS]; /* built from on[] */
    size_t nmutating, nvalidating;
    const struct kapi_kind *watched[KAPI_ADM_NWATCHED]; /* NULL when not served */
};

static int plugin_index(const char *name, size_t len)
{
    for (size_t i = 0; i < NPLUGINS; i++)
        if (strlen(plugins[i].name) == len && memcmp(plugins[i].name, name, len) == 0)
            return (int)i;
    return -1;
}

/* Calls fn for each non-empty comma-separated item (spaces around items are
 * kept, as upstream's string-slice flag keeps them). */
static void each_name(const char *csv, void (*fn)(void *ctx, const char *s, size_t n), void *ctx)
{
    if (!csv)
        return;
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n)
            fn(ctx, p, n);
        p += n;
        if (*p == ',')
            p++;
    }
}

struct set_ctx {
    bool *on;
    bool value;
};

static void set_one(void *ctx, const char *s, size_t n)
{
    struct set_ctx *c = ctx;
    int i = plugin_index(s, n);
    if (i >= 0)
        c->on[i] = c->value;
}

/* Whether plugin i also runs for DELETE (only the webhook plugins do in kapi). */
static bool on_delete(size_t i)
{
    return plugins[i].mutate == kapi_adm_webhook_mutate || plugins[i].validate == kapi_adm_webhook_validate ||
           plugins[i].validate == namespace_lifecycle_validate;
}

struct kapi_admission *kapi_admission_new(struct kapi_cache *cache, const struct kapi_registry *reg,
                                          const char *enable_csv, const char *disable_csv)
{
    struct kapi_admission *a = kapi_xcalloc(1, sizeof(*a));
    a->cache = cache;
    a->reg = reg;
    a->not_ready_secs = a->unreachable_secs = 300;
    for (size_t i = 0; i < NPLUGINS; i++)
        a->on[i] = plugins[i].default_on;
    /* Upstream: enabled = (defaults + enable) - disable, so disable wins. */
    struct set_ctx en = {a->on, true}, dis = {a->on, false};
    each_name(enable_csv, set_one, &en);
    each_name(disable_csv, set_one, &dis);
    for (size_t i = 0; i < NPLUGINS; i++) {
        if (!a->on[i])
            continue;
        if (plugins[i].mutate)
            a->mutating[a->nmutating++] = (struct step){plugins[i].mutate, plugins[i].mscope, on_delete(i)};
        if (plugins[i].validate)
            a->validating[a->nvalidating++] = (struct step){plugins[i].validate, plugins[i].vscope, on_delete(i)};
    }
    for (size_t i = 0; reg && i < KAPI_ADM_NWATCHED; i++)
        a->watched[i] = kapi_registry_find(reg, watched[i].group, watched[i].version, watched[i].resource);
    return a;
}

bool kapi_adm_none(const struct kapi_admission *a, enum kapi_adm_watched w)
{
    const struct kapi_kind *k = a->watched[w];
    return k && k->rc && kapi_rcache_len(k->rc) == 0;
}

void kapi_admission_free(struct kapi_admission *a)
{
    free(a);
}

struct check_ctx {
    const char *flag;
    char *err;
    size_t errlen;
    bool failed;
};

static void check_one(void *ctx, const char *s, size_t n)
{
    struct check_ctx *c = ctx;
    if (!c->failed && plugin_index(s, n) < 0) {
        snprintf(c->err, c->errlen, "%s plugin \"%.*s\" is unknown", c->flag, (int)n, s);
        c->failed = true;
    }
}

static bool csv_has(const char *csv, const char *s, size_t n)
{
    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, s, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

int kapi_admission_check_flags(const char *enable_csv, const char *disable_csv, char *err, size_t errlen)
{
    struct check_ctx c = {"enable-admission-plugins", err, errlen, false};
    each_name(enable_csv, check_one, &c);
    c.flag = "disable-admission-plugins";
    each_name(disable_csv, check_one, &c);
    if (c.failed)
        return -1;
    /* Overlap, printed as Go prints a sorted []string: [A B]. */
    const char *both[NPLUGINS];
    size_t nboth = 0;
    for (size_t i = 0; i < NPLUGINS; i++) {
        size_t n = strlen(plugins[i].name);
        if (csv_has(enable_csv, plugins[i].name, n) && csv_has(disable_csv, plugins[i].name, n))
            both[nboth++] = plugins[i].name;
    }
    if (!nboth)
        return 0;
    qsort(both, nboth, sizeof(both[0]), cmp_str);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < nboth; i++)
        kapi_buf_printf(&b, "%s%s", i ? " " : "", both[i]);
    kapi_buf_puts(&b, "] in enable-admission-plugins and disable-admission-plugins overlapped");
    snprintf(err, errlen, "%s", b.data);
    kapi_buf_dispose(&b);
    return -1;
}

bool kapi_admission_enabled(const struct kapi_admission *a, const char *name)
{
    int i = plugin_index(name, strlen(name));
    return a && i >= 0 && a->on[i];
}

void kapi_admission_set_toleration_seconds(struct kapi_admission *a, int64_t not_ready, int64_t unreachable)
{
    a->not_ready_secs = not_ready;
    a->unreachable_secs = unreachable;
}

void kapi_admission_set_store(struct kapi_admission *a, struct kapi_store *store)
{
    a->store = store;
}

const struct kapi_registry *kapi_adm_registry(const struct kapi_admission *a)
{
    return a->reg;
}

struct kapi_cache *kapi_adm_cache(const struct kapi_admission *a)
{
    return a->cache;
}

struct kapi_store *kapi_adm_store(const struct kapi_admission *a)
{
    return a ? a->store : NULL;
}

void kapi_adm_toleration_seconds(const struct kapi_admission *a, int64_t *not_ready, int64_t *unreachable)
{
    *not_ready = a->not_ready_secs;
    *unreachable = a->unreachable_secs;
}

/* ---- the chain ---- */

static const struct kapi_admission_opts no_opts;


static int run_phase(struct kapi_admission *a, bool mutate, unsigned cls, const struct kapi_admission_attrs *at,
                     struct kapi_status **status)
{
    const struct step *steps = mutate ? a->mutating : a->validating;
    size_t n = mutate ? a->nmutating : a->nvalidating;
    for (size_t i = 0; i < n; i++) {
        if (!(steps[i].scope & cls) || (!at->obj && !steps[i].on_delete))
            continue;
        if (steps[i].fn(at, status) < 0)
            return -1;
    }
    return 0;
}

/* Runs the mutating phase (with upstream's single reinvocation round when a
 * webhook asked for it) and/or the validating phase. */
static int run(struct kapi_admission *a, bool mutate, bool validate, struct kapi_pool *pool, const char *group,
               const char *resource, const char *subresource, const char *ns, const char *name,
               struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
               const struct kapi_admission_opts *opts, struct kapi_status **status)
{
    bool del = obj == NULL;
    if (!del && obj->type != KAPI_V_OBJECT)
        return 0;
    if (!del)
        name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    struct kapi_admission_attrs at = {
        .adm = a,
        .pool = pool,
        .group = group ? group : "",
        .resource = resource ? resource : "",
        .subresource = subresource ? subresource : "",
        .ns = ns ? ns : "",
        .name = name ? name : "",
        .obj = obj,
        .old = old,
        .user = user,
        .dry_run = dry_run,
        .create = old == NULL,
        .operation = del ? "DELETE" : old ? "UPDATE" : "CREATE",
        .opts = opts ? opts : &no_opts,
    };
    unsigned cls = classify(at.group, at.resource);
    if (mutate) {
        at.reinvoke = kapi_adm_reinvoke_new(pool);
        if (run_phase(a, true, cls, &at, status) < 0)
            return -1;
        if (kapi_adm_reinvoke_needed(at.reinvoke)) {
            /* upstream's reinvoker: the whole mutating chain once more */
            at.reinvoking = true;
            if (run_phase(a, true, cls, &at, status) < 0)
                return -1;
        }
        at.reinvoke = NULL;
        at.reinvoking = false;
    }
    if (validate && run_phase(a, false, cls, &at, status) < 0)
        return -1;
    return 0;
}

int kapi_admission_mutate_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                             const char *resource, const char *subresource, const char *ns, struct kapi_value *obj,
                             const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                             const struct kapi_admission_opts *opts, struct kapi_status **status)
{
    if (!obj)
        return 0;
    return run(a, true, false, pool, group, resource, subresource, ns, NULL, obj, old, user, dry_run, opts, status);
}

int kapi_admission_validate_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                               const char *resource, const char *subresource, const char *ns,
                               struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user,
                               bool dry_run, const struct kapi_admission_opts *opts, struct kapi_status **status)
{
    if (!obj)
        return 0;
    return run(a, false, true, pool, group, resource, subresource, ns, NULL, obj, old, user, dry_run, opts, status);
}

int kapi_admission_admit_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                            const char *resource, const char *subresource, const char *ns, struct kapi_value *obj,
                            const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                            const struct kapi_admission_opts *opts, struct kapi_status **status)
{
    if (!obj)
        return 0;
    return run(a, true, true, pool, group, resource, subresource, ns, NULL, obj, old, user, dry_run, opts, status);
}

int kapi_admission_delete(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                          const char *resource, const char *subresource, const char *ns, const char *name,
                          const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                          const struct kapi_admission_opts *opts, struct kapi_status **status)
{
    if (!a)
        return 0;
    return run(a, true, true, pool, group, resource, subresource, ns, name, NULL, old, user, dry_run, opts, status);
}

int kapi_admission_mutate(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                          const char *subresource, const char *ns, struct kapi_value *obj,
                          const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                          struct kapi_status **status)
{
    return kapi_admission_mutate_ex(a, pool, group, resource, subresource, ns, obj, old, user, dry_run, NULL, status);
}

int kapi_admission_validate(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                            const char *resource, const char *subresource, const char *ns,
                            struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user,
                            bool dry_run, struct kapi_status **status)
{
    return kapi_admission_validate_ex(a, pool, group, resource, subresource, ns, obj, old, user, dry_run, NULL,
                                      status);
}

int kapi_admission_admit(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                         const char *subresource, const char *ns, struct kapi_value *obj,
                         const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                         struct kapi_status **status)
{
    return kapi_admission_admit_ex(a, pool, group, resource, subresource, ns, obj, old, user, dry_run, NULL, status);
}

/* ---- helpers for the plugins ---- */

bool kapi_adm_is(const struct kapi_admission_attrs *at, const char *group, const char *resource)
{
    return kapi_streq(at->resource, resource) && kapi_streq(at->group, group) && at->subresource[0] == 0;
}

static struct kapi_value *get_once(const struct kapi_kind *k, struct kapi_pool *pool, const char *key)
{
    struct kapi_cobj *o = kapi_rcache_get(k->rc, key);
    if (!o)
        return NULL;
    struct kapi_value *v = kapi_cobj_value(o, pool);
    kapi_cobj_unref(o);
    return v;
}

struct kapi_value *kapi_adm_get(const struct kapi_admission_attrs *at, const char *group, const char *version,
                                const char *resource, const char *ns, const char *name, bool settle)
{
    const struct kapi_kind *k = kapi_registry_find(at->adm->reg, group, version, resource);
    if (!k || !k->rc || !name)
        return NULL;
    const char *key = kapi_registry_key(at->pool, k, ns, name);
    struct kapi_value *v = get_once(k, at->pool, key);
    if (v || !settle)
        return v;
    /* The cache may trail storage by a moment (an object written just
     * before); wait until it holds every acknowledged write and look again. */
    if (kapi_cache_sync(at->adm->cache, 1000) == 0)
        v = get_once(k, at->pool, key);
    return v;
}

const char *kapi_adm_key(const struct kapi_admission_attrs *at, const char *group, const char *version,
                         const char *resource, const char *ns, const char *name)
{
    const struct kapi_kind *k = kapi_registry_find(at->adm->reg, group, version, resource);
    return k ? kapi_registry_key(at->pool, k, ns, name) : NULL;
}

struct kapi_value **kapi_adm_list(const struct kapi_admission_attrs *at, const char *group, const char *version,
                                  const char *resource, const char *ns, size_t *n)
{
    *n = 0;
    const struct kapi_kind *k = kapi_registry_find(at->adm->reg, group, version, resource);
    if (!k || !k->rc)
        return NULL;
    struct kapi_cache_filter f = {.ns = ns};
    struct kapi_cache_list l;
    kapi_rcache_list(k->rc, &f, NULL, 0, &l);
    struct kapi_value **out = kapi_pool_alloc(at->pool, (l.n ? l.n : 1) * sizeof(*out));
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_value *v = kapi_cobj_value(l.items[i], at->pool);
        if (v)
            out[(*n)++] = v;
    }
    kapi_cache_list_dispose(&l);
    return out;
}

struct kapi_status *kapi_adm_forbidden(const struct kapi_admission_attrs *at, const char *err)
{
    return kapi_status_forbidden(at->pool, at->group, at->resource, at->name, err);
}

/* Position of key in message m's declared fields, or -1 when unknown. */
static long rank_of(const struct kapi_schema_msg *m, const char *key, size_t len)
{
    if (!m)
        return -1;
    const struct kapi_schema_field *f = kapi_schema_field_by_name(m, key, len);
    if (!f)
        return -1;
    return (long)(f - kapi_schema_msg_field(m, 0));
}

void kapi_adm_put(struct kapi_pool *pool, struct kapi_value *obj, const char *type, const char *key,
                  struct kapi_value *val)
{
    if (!obj || obj->type != KAPI_V_OBJECT)
        return;
    if (kapi_obj_get(obj, key)) {
        kapi_obj_set(pool, obj, key, val);
        return;
    }
    const struct kapi_schema_msg *m = kapi_schema_msg_find(type);
    long want = rank_of(m, key, strlen(key));
    kapi_obj_set(pool, obj, key, val); /* appended last */
    if (want < 0)
        return;
    size_t n = obj->u.obj.len, at = n - 1;
    for (size_t i = 0; i + 1 < n; i++) {
        const struct kapi_member *mb = &obj->u.obj.members[i];
        if (rank_of(m, mb->key, mb->klen) > want) {
            at = i;
            break;
        }
    }
    struct kapi_member last = obj->u.obj.members[n - 1];
    memmove(&obj->u.obj.members[at + 1], &obj->u.obj.members[at], (n - 1 - at) * sizeof(last));
    obj->u.obj.members[at] = last;
}

/* ---- start-up objects ---- */

static int create_pc(struct kapi_store *store, const struct kapi_kind *k, const char *name, int64_t value,
                     const char *description)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_value *pc = kapi_value_object(p);
    kapi_obj_set(p, pc, "kind", kapi_value_str(p, "PriorityClass"));
    kapi_obj_set(p, pc, "apiVersion", kapi_value_str(p, "scheduling.k8s.io/v1"));
    struct kapi_value *md = kapi_obj_ensure_obj(p, pc, "metadata");
    kapi_obj_set(p, md, "name", kapi_value_str(p, name));
    kapi_obj_set(p, pc, "value", kapi_value_int(p, value));
    kapi_obj_set(p, pc, "description", kapi_value_str(p, description));
    kapi_obj_set(p, pc, "preemptionPolicy", kapi_value_str(p, "PreemptLowerPriority"));
    int rc = kapi_meta_create_if_missing(store, p, k, NULL, pc);
    kapi_pool_free(p);
    return rc;
}

int kapi_admission_bootstrap(struct kapi_store *store, const struct kapi_registry *reg)
{
    const struct kapi_kind *k = kapi_registry_find(reg, "scheduling.k8s.io", "v1", "priorityclasses");
    if (!k)
        return -1;
    int rc = create_pc(store, k, "system-node-critical", 2000001000,
                       "Used for system critical pods that must not be moved from their current node.");
    if (rc)
        return rc;
    return create_pc(store, k, "system-cluster-critical", 2000000000,
                     "Used for system critical pods that must run in the cluster, but can be moved to another "
                     "node if necessary.");
}
