/* controllers/clusterrole_aggregation: ClusterRoles with an aggregationRule
 * (admin, edit, view and any user-defined ones) get the union of the rules
 * of the ClusterRoles their label selectors pick, kept current as roles come
 * and go (kube-controller-manager's clusterrole-aggregation controller). */
#ifndef KAPI_CONTROLLERS_CLUSTERROLE_AGGREGATION_H
#define KAPI_CONTROLLERS_CLUSTERROLE_AGGREGATION_H

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_cractl;

/* NULL when the registry serves no cached clusterroles. */
struct kapi_cractl *kapi_cractl_start(struct kapi_store *store, struct kapi_cache *cache,
                                      const struct kapi_registry *reg);
void kapi_cractl_stop(struct kapi_cractl *c); /* NULL-safe; joins */

#endif
