/* admission/quota: the quota controller's half of ResourceQuota (upstream's
 * resourcequota controller in kube-controller-manager): status.used is
 * recalculated from the objects that exist, so usage given back by objects
 * the admission path never saw go (garbage collection, namespace deletion,
 * pods finishing) returns to the quota. */
#ifndef KAPI_ADMISSION_QUOTA_H
#define KAPI_ADMISSION_QUOTA_H

#include <stddef.h>

#include "../base/base.h"

struct kapi_admission;
struct kapi_quota_memo; /* quota versions seen by the previous pass */
struct kapi_quota_memo *kapi_quota_memo_new(void);
void kapi_quota_memo_free(struct kapi_quota_memo *m);

/* One pass over every ResourceQuota in the cache: status.hard and
 * status.used recomputed and written by compare-and-swap when they differ.
 * A quota that changed since the previous pass is left for the next one (a
 * charge for an object still being stored may be in it). Returns how many
 * were written. */
size_t kapi_quota_recompute(struct kapi_admission *a, struct kapi_pool *pool, struct kapi_quota_memo *memo);

#endif
