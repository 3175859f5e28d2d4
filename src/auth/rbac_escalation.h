/* auth/rbac_escalation: privilege-escalation prevention for writes of
 * Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, as
 * kube-apiserver's RBAC REST storage enforces it on create and update
 * (update covers patch and apply).
 *
 * - A Role/ClusterRole may only grant what its writer already holds in the
 *   request's namespace, unless the writer is in system:masters or may
 *   "escalate" roles/clusterroles. Using an aggregationRule (on the new or
 *   the stored ClusterRole) needs "*" on everything as well.
 * - A binding may only be written by someone who holds every rule of the
 *   referenced role (in the binding's namespace) or may "bind" it.
 * - Updates that touch only ownerReferences, finalizers or selfLink pass.
 *
 * Details and message formats: docs/internals/rbac.md. */
#ifndef KAPI_AUTH_RBAC_ESCALATION_H
#define KAPI_AUTH_RBAC_ESCALATION_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "rbac.h"

struct kapi_value;
struct kapi_status;

/* One write as the check needs it. */
struct kapi_rbac_write {
    const struct kapi_user *user;
    const char *group, *resource; /* of the request; other than the four RBAC resources: never checked */
    const char *ns;               /* the request's namespace (NULL or "" at cluster scope) */
    const char *req_name;         /* the name in the URL; NULL for a POST to the collection */
    const char *obj_name;         /* the object's name as the client gave it (NULL/"": none, e.g. generateName) */
    const struct kapi_value *obj; /* the object to be stored */
    const struct kapi_value *old; /* the stored version on update; NULL on create */
};

/* 0 when the write may proceed; -1 with *status (from pool) set when it
 * must not: 403 for an escalation, 404 when a binding's role does not
 * exist, as upstream answers. r NULL (AlwaysAllow) never checks. */
int kapi_rbac_check_escalation(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_rbac_write *w,
                               struct kapi_status **status);

/* ---- the pieces, exposed for tests ---- */

/* The "rules" of a Role/ClusterRole object (entries that are not objects are
 * skipped). Returns the count; lists point into obj. */
size_t kapi_rbac_parse_rules(struct kapi_pool *pool, const struct kapi_value *obj, struct kapi_rbac_rule **out);

/* Whether owner grants all of sub, sub being one broken-down rule (one
 * verb, group, resource and at most one name; or one verb and one URL).
 * Literal list semantics: "*" in owner's verbs/apiGroups/resources matches
 * anything, "*\/sub" matches sub of any resource, a URL ending in "*" is a
 * prefix; an owner restricted to resourceNames never covers an unnamed rule. */
bool kapi_rbac_rule_covers(const struct kapi_rbac_rule *owner, const struct kapi_rbac_rule *sub);

/* Whether owners cover every rule of rules; the broken-down rules they do
 * not cover go to *missing (from pool, may be NULL) and *nmissing. */
bool kapi_rbac_covers(struct kapi_pool *pool, const struct kapi_rbac_rule *owners, size_t nowners,
                      const struct kapi_rbac_rule *rules, size_t nrules, struct kapi_rbac_rule **missing,
                      size_t *nmissing);

/* `{APIGroups:[""], Resources:["pods"], Verbs:["get" "list"]}`: upstream's
 * compact form of one rule (lists in Go's %q, empty lists left out). */
const char *kapi_rbac_rule_string(struct kapi_pool *pool, const struct kapi_rbac_rule *rule);

/* The missing rules as upstream lists them: rules differing only in verb
 * merged, one line each, sorted, duplicates dropped, joined by "\n". */
const char *kapi_rbac_describe_missing(struct kapi_pool *pool, const struct kapi_rbac_rule *missing, size_t n);

/* NULL when u holds (in ns) every rule of rules; else the error upstream's
 * ConfirmNoEscalation words: `user "u" (groups=[...]) is attempting to
 * grant RBAC permissions not currently held:\n...`. */
const char *kapi_rbac_confirm_no_escalation(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u,
                                            const char *ns, const struct kapi_rbac_rule *rules, size_t n);

#endif
