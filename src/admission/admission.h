/* admission: kube-apiserver v1.33's built-in admission plugins that change
 * or check objects on create and update (plugin/pkg/admission/...), run as one
 * ordered chain: every enabled mutating plugin, then every enabled validating
 * plugin. Plugins read what they need (ServiceAccounts, PriorityClasses,
 * LimitRanges) from the watch cache. See docs/internals/admission.md. */
#ifndef KAPI_ADMISSION_H
#define KAPI_ADMISSION_H

#include "../api/status.h"
#include "../auth/authn.h"
#include "../base/base.h"
#include "../codec/value.h"

struct kapi_cache;
struct kapi_registry;
struct kapi_store;
struct kapi_admission;

/* Builds the chain from --enable-admission-plugins / --disable-admission-plugins
 * (comma-separated upstream names; NULL or "" = none) over upstream's default
 * set. Unknown names are ignored here (see kapi_admission_check_flags). Never
 * fails; cache and reg must outlive the chain. */
struct kapi_admission *kapi_admission_new(struct kapi_cache *cache, const struct kapi_registry *reg,
                                          const char *enable_csv, const char *disable_csv);
void kapi_admission_free(struct kapi_admission *a); /* NULL is a no-op */

/* Upstream's flag validation: -1 with err set to the first problem
 * (`enable-admission-plugins plugin "X" is unknown`, overlap), else 0. */
int kapi_admission_check_flags(const char *enable_csv, const char *disable_csv, char *err, size_t errlen);
/* Whether plugin name (e.g. "NamespaceLifecycle") is in the chain. */
bool kapi_admission_enabled(const struct kapi_admission *a, const char *name);
/* The store ResourceQuota writes quota usage to (status.used, by
 * compare-and-swap). Without one the plugin only checks. */
void kapi_admission_set_store(struct kapi_admission *a, struct kapi_store *store);
/* After a delete of group/resource obj in ns: takes what obj consumed off
 * status.used of the namespace's ResourceQuotas (upstream's quota controller
 * recomputes instead; kapi does it inline). Best effort, never fails. */
void kapi_quota_release(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                        const char *ns, const struct kapi_value *obj);
/* --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds (300 each by default). */
void kapi_admission_set_toleration_seconds(struct kapi_admission *a, int64_t not_ready, int64_t unreachable);

/* Runs the mutating then the validating plugins for a create (old NULL) or an
 * update of group/resource[/subresource] in ns on obj, which is changed in
 * place (pool allocations). obj is expected to be decoded and defaulted, with
 * metadata prepared; upstream runs API validation between the two phases,
 * which kapi_admission_mutate + kapi_admission_validate allow. Returns 0, or
 * -1 with *status (from pool) to answer, e.g. 403 Forbidden. dry_run: no
 * side effects (none of the built-in plugins has any). */
int kapi_admission_admit(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                         const char *subresource, const char *ns, struct kapi_value *obj,
                         const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                         struct kapi_status **status);
/* The two phases alone, same arguments and result. */
int kapi_admission_mutate(struct kapi_admission *a, struct kapi_pool *pool, const char *group, const char *resource,
                          const char *subresource, const char *ns, struct kapi_value *obj,
                          const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                          struct kapi_status **status);
int kapi_admission_validate(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                            const char *resource, const char *subresource, const char *ns,
                            struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user,
                            bool dry_run, struct kapi_status **status);

/* Per-request extras, all optional (a zeroed struct or NULL = none). Only
 * the webhook plugins (MutatingAdmissionWebhook, ValidatingAdmissionWebhook)
 * use them. */
struct kapi_admission_opts {
    /* Served version the request addressed ("v1"); NULL: derived from the
     * object's apiVersion or the resource's served version. */
    const char *version;
    /* The request's CreateOptions / UpdateOptions / DeleteOptions as a value
     * (sent as AdmissionRequest.options, kind and apiVersion meta.k8s.io/v1
     * put first). NULL: {kind, apiVersion[, dryRun: ["All"]]} is built. */
    const struct kapi_value *options;
    /* Receives each warning a webhook returns (response.warnings), in order,
     * for the response's Warning headers: the endpoints pass
     * kapi_req_warn-like function with the request as ctx. May be NULL. */
    void (*warn)(void *ctx, const char *msg);
    void *warn_ctx;
    /* Receives audit annotations plugins add (PodSecurity's
     * pod-security.kubernetes.io/... keys), with warn_ctx. May be NULL. */
    void (*annotate)(void *ctx, const char *key, const char *value);
};

/* The same three with opts (NULL = none). The functions above are these with
 * opts NULL. */
int kapi_admission_admit_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                            const char *resource, const char *subresource, const char *ns, struct kapi_value *obj,
                            const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                            const struct kapi_admission_opts *opts, struct kapi_status **status);
int kapi_admission_mutate_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                             const char *resource, const char *subresource, const char *ns, struct kapi_value *obj,
                             const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                             const struct kapi_admission_opts *opts, struct kapi_status **status);
int kapi_admission_validate_ex(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                               const char *resource, const char *subresource, const char *ns,
                               struct kapi_value *obj, const struct kapi_value *old, const struct kapi_user *user,
                               bool dry_run, const struct kapi_admission_opts *opts, struct kapi_status **status);

/* Admission of a DELETE of group/resource[/subresource] ns/name whose current
 * object is old (as upstream's AdmissionToValidateObjectDeleteFunc: the
 * mutating then the validating phase with no new object). Only plugins that
 * handle deletes run (the two webhook plugins). Call it once the object to
 * delete is known and before it is deleted (or marked for deletion); for a
 * delete of a whole collection, once per item. 0, or -1 with *status. */
int kapi_admission_delete(struct kapi_admission *a, struct kapi_pool *pool, const char *group,
                          const char *resource, const char *subresource, const char *ns, const char *name,
                          const struct kapi_value *old, const struct kapi_user *user, bool dry_run,
                          const struct kapi_admission_opts *opts, struct kapi_status **status);

/* Creates the built-in PriorityClasses system-node-critical and
 * system-cluster-critical unless present (upstream's start-up hook). 0, or a
 * KAPI_STORE_* error / -1. */
int kapi_admission_bootstrap(struct kapi_store *store, const struct kapi_registry *reg);

/* ---- For the plugin files of this module (not for other modules). ---- */

struct kapi_adm_reinvoke; /* mutating webhooks' per-request reinvocation state (webhook.c) */

/* One admission request as the plugins see it. */
struct kapi_admission_attrs {
    struct kapi_admission *adm;
    struct kapi_pool *pool;
    const char *group, *resource, *subresource, *ns;
    const char *name;            /* metadata.name of obj ("" when none); the URL's name for DELETE */
    struct kapi_value *obj;      /* NULL for DELETE */
    const struct kapi_value *old;
    const struct kapi_user *user;
    bool dry_run, create;
    const char *operation;       /* "CREATE", "UPDATE" or "DELETE" */
    const struct kapi_admission_opts *opts; /* never NULL (zeroed when the caller gave none) */
    struct kapi_adm_reinvoke *reinvoke;     /* NULL outside the mutating phase */
    bool reinvoking;             /* the second run of the mutating phase */
};
/* A plugin phase: 0 = admitted, -1 = *status filled. */
typedef int (*kapi_admission_fn)(const struct kapi_admission_attrs *at, struct kapi_status **status);

int kapi_adm_limitranger_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_limitranger_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_serviceaccount_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_serviceaccount_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_priority_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_priority_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_tolerations_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_podsecurity_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_nodetaint_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_noderestriction_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_storageclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_inuseprotection_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_pvcresize_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_runtimeclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_runtimeclass_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_csrapproval_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_csrsigning_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_csrsubject_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_ingressclass_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
/* The authorizer CertificateApproval / CertificateSigning ask (certificates.c);
 * NULL (the default) allows all, as --authorization-mode=AlwaysAllow. Set it
 * to NULL again before freeing a chain. */
struct kapi_rbac;
void kapi_adm_set_authorizer(const struct kapi_admission *a, struct kapi_rbac *rbac);
/* Compares two quantity strings by value (-1, 0, 1); NULL or unparseable = 0
 * (storageclass.c). */
int kapi_adm_quantity_cmp(const char *a, const char *b);
int kapi_adm_resourcequota_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_webhook_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status);
int kapi_adm_webhook_validate(const struct kapi_admission_attrs *at, struct kapi_status **status);
/* Reinvocation state for one request's mutating phase (pool-allocated), and
 * whether a webhook changed the object so that the phase must run once more
 * (upstream's reinvoker). */
struct kapi_adm_reinvoke *kapi_adm_reinvoke_new(struct kapi_pool *pool);
bool kapi_adm_reinvoke_needed(const struct kapi_adm_reinvoke *r);

/* True when the request is for group/resource with no subresource. */
bool kapi_adm_is(const struct kapi_admission_attrs *at, const char *group, const char *resource);
/* The current object group/version/resource ns/name from the watch cache,
 * parsed into pool, or NULL. settle: when absent, wait for the cache to
 * catch up with storage and look again (upstream's live lookup). */
struct kapi_value *kapi_adm_get(const struct kapi_admission_attrs *at, const char *group, const char *version,
                                const char *resource, const char *ns, const char *name, bool settle);
/* Every object of group/version/resource in ns ("" = all), parsed into pool;
 * *n receives the count. */
struct kapi_value **kapi_adm_list(const struct kapi_admission_attrs *at, const char *group, const char *version,
                                  const char *resource, const char *ns, size_t *n);
/* 403 `<resource> "<name>" is forbidden: <err>` for this request. */
struct kapi_status *kapi_adm_forbidden(const struct kapi_admission_attrs *at, const char *err);
/* Sets key in obj; a new key goes to its place in proto message type's field
 * order ("k8s.io.api.core.v1.PodSpec") so objects read back in upstream's order. */
void kapi_adm_put(struct kapi_pool *pool, struct kapi_value *obj, const char *type, const char *key,
                  struct kapi_value *val);
/* Storage key of group/version/resource ns/name (pool), or NULL when not served. */
const char *kapi_adm_key(const struct kapi_admission_attrs *at, const char *group, const char *version,
                         const char *resource, const char *ns, const char *name);
/* Kinds some plugins list on every request, and kapi_adm_none, true when
 * the watch cache holds no object of the kind at all right now (a list would
 * find nothing), so the plugin has nothing to do. It reads the cache's live
 * count: an object added later is seen by the next request, as a list. */
enum kapi_adm_watched {
    KAPI_ADM_MUTATING_WEBHOOKS,
    KAPI_ADM_VALIDATING_WEBHOOKS,
    KAPI_ADM_RESOURCEQUOTAS,
    KAPI_ADM_LIMITRANGES,
    KAPI_ADM_NWATCHED
};
bool kapi_adm_none(const struct kapi_admission *a, enum kapi_adm_watched w);
/* The registry and cache the chain was built with. */
const struct kapi_registry *kapi_adm_registry(const struct kapi_admission *a);
struct kapi_cache *kapi_adm_cache(const struct kapi_admission *a);
/* The store set by kapi_admission_set_store, or NULL. */
struct kapi_store *kapi_adm_store(const struct kapi_admission *a);
/* The configured toleration seconds. */
void kapi_adm_toleration_seconds(const struct kapi_admission *a, int64_t *not_ready, int64_t *unreachable);

#endif
