/* auth/node_authz: kube-apiserver's Node authorization mode. It only judges
 * requests of kubelets (user "system:node:<name>" in group "system:nodes"):
 * objects a kubelet may read because a pod bound to its node references them
 * (secrets, configmaps, PVCs, PVs and their secrets, service-account tokens,
 * resource claims, volume attachments) are decided by walking the references
 * node <- pod <- object (<- pv <- secret) over the watch cache on demand;
 * nodes, pods, leases, CSINodes and resource slices by name or field
 * selector; the rest by the static rules of the system:node role. It never
 * denies: what it does not allow is left to the next authorizer (RBAC), with
 * a reason for the 403 message. See docs/internals/rbac.md. */
#ifndef KAPI_AUTH_NODE_AUTHZ_H
#define KAPI_AUTH_NODE_AUTHZ_H

#include <stdbool.h>

#include "../base/base.h"
#include "authn.h"
#include "rbac.h"

struct kapi_cache;
struct kapi_registry;
struct kapi_node_authz;

/* An authorizer reading pods, persistent volumes, volume attachments and
 * resource slices from reg's caches (kinds the registry lacks count as
 * empty). Never NULL. */
struct kapi_node_authz *kapi_node_authz_new(struct kapi_cache *cache, const struct kapi_registry *reg);
void kapi_node_authz_free(struct kapi_node_authz *na); /* NULL is a no-op */

/* Where Node stands in --authorization-mode: after_rbac when RBAC is listed
 * before it; alone when neither RBAC nor AlwaysAllow is listed (then only
 * system:masters and what Node allows get through). Default: first, not alone. */
void kapi_node_authz_set_order(struct kapi_node_authz *na, bool after_rbac, bool alone);
bool kapi_node_authz_after_rbac(const struct kapi_node_authz *na);
bool kapi_node_authz_alone(const struct kapi_node_authz *na);

/* The node a user acts for: true when the user is a node (name prefix
 * "system:node:" and group "system:nodes"), with *node (may be NULL) set to
 * the name after the prefix, which may be "". */
bool kapi_node_identity(const struct kapi_user *u, const char **node);

/* Whether pod names any secret / any configmap, as upstream's pod visitors
 * see them (image pull secrets, env and envFrom of every container, volume
 * sources). For NodeRestriction's mirror-pod checks. */
struct kapi_value;
bool kapi_pod_names_secret(const struct kapi_value *pod);
bool kapi_pod_names_configmap(const struct kapi_value *pod);

/* One decision. Returns true when the request is allowed. *decided is true
 * only then (Node never denies: false means "no opinion", and the caller
 * asks the next authorizer). *reason (pool or static, never NULL) is
 * upstream's reason for a non-allow, e.g. "no relationship found between
 * node 'n1' and this object", or "". Non-node users: false, "" at once.
 * Thread-safe. */
bool kapi_node_authorize(struct kapi_node_authz *na, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                         const char **reason, bool *decided);
/* The same, with the request's raw fieldSelector query value (NULL = none):
 * list/watch of pods with spec.nodeName=<node> and of resource slices with
 * spec.nodeName=<node> are allowed, and a list/watch without a name takes
 * the metadata.name=<x> term as its name, as upstream's request info does. */
bool kapi_node_authorize_sel(struct kapi_node_authz *na, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                             const char *field_selector, const char **reason, bool *decided);

#endif
