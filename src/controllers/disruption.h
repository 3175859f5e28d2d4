/* controllers/disruption: keeps the status of every PodDisruptionBudget
 * (policy/v1) current, as kube-controller-manager's disruption controller
 * does: expected, desired and current healthy pods, the disruptions
 * allowed, the DisruptionAllowed condition, and the disruptedPods the
 * eviction subresource records (dropped once the pod is gone, being
 * deleted, or two minutes old). --controllers name "disruption-controller".
 * See docs/internals/controllers.md. */
#ifndef KAPI_CONTROLLERS_DISRUPTION_H
#define KAPI_CONTROLLERS_DISRUPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/base.h"
#include "../codec/value.h"

struct kapi_store;
struct kapi_cache;
struct kapi_registry;
struct kapi_disruption;

/* How long a disruptedPods entry may wait for its pod to be deleted. */
#define KAPI_PDB_DELETION_TIMEOUT_MS (120 * 1000)

struct kapi_disruption *kapi_disruption_start(struct kapi_store *store, struct kapi_cache *cache,
                                              const struct kapi_registry *reg);
void kapi_disruption_stop(struct kapi_disruption *c); /* NULL-safe; joins */

/* ---- The computation, apart from the cache so it can be tested. ---- */

/* A pod's controller as the scale lookup found it. */
struct kapi_pdb_scale {
    const char *uid;
    int64_t replicas;
};
/* Looks up the controller that ref (an ownerReference with controller:
 * true) names in namespace ns: 1 found (*out filled), 0 none that matches
 * (absent, other uid), -1 error (*err set). */
typedef int (*kapi_pdb_finder_fn)(void *ctx, struct kapi_pool *p, const char *ns, const struct kapi_value *ref,
                                  struct kapi_pdb_scale *out, const char **err);

/* Upstream's intstr.GetScaledValueFromIntOrPercent(v, total, true): an int
 * as is, "N%" as ceil(N * total / 100). false with *err otherwise. */
bool kapi_pdb_scaled_value(struct kapi_pool *p, const struct kapi_value *v, int64_t total, int64_t *out,
                           const char **err);

/* A pod's readiness as upstream's IsPodReady reads it (Ready=True). */
bool kapi_pdb_pod_ready(const struct kapi_value *pod);

struct kapi_pdb_result {
    struct kapi_value *status; /* the status to write (pool) */
    bool changed;              /* differs from the PDB's current status, so write it */
    bool failed;               /* the SyncFailed path was taken (error in sync_error) */
    const char *sync_error;
    int64_t recheck_ms;        /* wall time a disruptedPods entry expires (0 = none) */
};

/* The status pdb should have given pods (the pods its selector picks in its
 * namespace; the caller selects them) at wall time now_ms (now_text is
 * the same instant as metav1.Time text). find resolves controllers. */
void kapi_pdb_compute(struct kapi_pool *p, const struct kapi_value *pdb, struct kapi_value *const *pods,
                      size_t npods, kapi_pdb_finder_fn find, void *ctx, int64_t now_ms, const char *now_text,
                      struct kapi_pdb_result *out);

/* upstream's failSafe: the PDB's current status with disruptionsAllowed 0
 * and DisruptionAllowed=False, reason SyncFailed, message err. */
void kapi_pdb_fail_safe(struct kapi_pool *p, const struct kapi_value *pdb, const char *err, const char *now_text,
                        struct kapi_pdb_result *out);

/* Sets (adds or updates) the DisruptionAllowed condition of status as
 * upstream's UpdateDisruptionAllowedCondition does, from its
 * disruptionsAllowed and observedGeneration. */
void kapi_pdb_update_condition(struct kapi_pool *p, struct kapi_value *status, const char *now_text);

#endif
