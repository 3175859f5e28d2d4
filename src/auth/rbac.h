/* auth/rbac: the RBAC authorizer as kube-apiserver evaluates it. Roles,
 * ClusterRoles and their bindings are read from the watch cache; an index of
 * bindings by subject is rebuilt when the RBAC objects change, so a request
 * costs a few hash lookups plus the rules of the bindings that name it.
 * Also creates upstream's bootstrap policy (default roles and bindings). */
#ifndef KAPI_AUTH_RBAC_H
#define KAPI_AUTH_RBAC_H

#include <stdbool.h>

#include "../base/base.h"
#include "authn.h"

struct kapi_cache;
struct kapi_registry;
struct kapi_store;

/* What a request asks to do (upstream's authorizer.Attributes). */
struct kapi_authz_attrs {
    const struct kapi_user *user;
    bool resource_request;
    const char *verb; /* resource verbs (get list watch create ...) or lower-case HTTP verbs for paths */
    const char *group, *resource, *subresource, *ns, *name; /* NULL counts as "" */
    const char *path; /* non-resource requests */
};

struct kapi_rbac;

/* An authorizer over the Role/ClusterRole/RoleBinding/ClusterRoleBinding
 * caches of reg. Never NULL; works (denying all but system:masters) when the
 * registry lacks the RBAC kinds. */
struct kapi_rbac *kapi_rbac_new(struct kapi_cache *cache, const struct kapi_registry *reg);
void kapi_rbac_free(struct kapi_rbac *r); /* NULL is a no-op */

/* True when some binding grants the request. *reason (may be NULL; text from
 * pool or static) is upstream's audit reason: "RBAC: allowed by ..." on allow,
 * on denial "" or "RBAC: <errors>" (bindings of the user whose role is
 * missing). system:masters is always allowed. Thread-safe. */
bool kapi_rbac_authorize(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                         const char **reason);

/* Creates the bootstrap ClusterRoles, ClusterRoleBindings and the
 * kube-system/kube-public Roles and RoleBindings that do not exist yet
 * (existing objects are left alone). 0, or the first store error. */
int kapi_rbac_bootstrap(struct kapi_store *store, const struct kapi_registry *reg);

/* ---- bootstrap policy data (bootstrap_policy.c) ---- */

/* The policy as a line-oriented text (format described in bootstrap_policy.c
 * and docs/internals/rbac.md). Static. */
extern const char kapi_rbac_bootstrap_text[];

/* Every rule that applies to u in namespace ns (cluster-wide ones too), as
 * SelfSubjectRulesReview reports them: resource rules {verbs, apiGroups,
 * resources[, resourceNames]} and non-resource rules {verbs,
 * nonResourceURLs}, appended to the two arrays (values from pool). */
struct kapi_value;
void kapi_rbac_rules(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u, const char *ns,
                     struct kapi_value *resource_rules, struct kapi_value *non_resource_rules);

/* ---- rules as data, for the escalation checks (rbac_escalation.c) ---- */

/* One PolicyRule. Each list is NULL-terminated; NULL stands for an empty
 * or absent list. */
struct kapi_rbac_rule {
    const char **verbs, **groups, **resources, **names, **urls;
};

/* The rules u holds in namespace ns the way upstream's rule resolver lists
 * them: ClusterRoleBindings in name order, then (ns non-empty) the
 * RoleBindings of ns, one subject match per binding. Rules and strings are
 * copied into pool. *errs (may be NULL) receives, deduplicated and in visit
 * order, why bindings of u could not be resolved, worded as the registry
 * reports it (`clusterroles.rbac.authorization.k8s.io "x" not found`).
 * Returns the number of rules stored in *rules. Thread-safe. */
size_t kapi_rbac_held_rules(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u, const char *ns,
                            struct kapi_rbac_rule **rules, const char ***errs, size_t *nerrs);

/* The rules of ClusterRole name (ns NULL or "") or of Role ns/name, copied
 * into pool: 0, or -1 when the role does not exist. */
int kapi_rbac_role_rules(struct kapi_rbac *r, struct kapi_pool *pool, const char *ns, const char *name,
                         struct kapi_rbac_rule **rules, size_t *n);

#endif
