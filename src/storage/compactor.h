/* storage/compactor: periodic compaction of a store's history, coordinated
 * between every kapi instance sharing the store the way kube-apiserver does
 * it: each interval an instance records the current revision in the
 * compact_rev_key key with a compare-and-swap; only the instance whose
 * swap succeeds compacts, up to the revision recorded one interval earlier,
 * so at least one interval of history is always kept. */
#ifndef KAPI_COMPACTOR_H
#define KAPI_COMPACTOR_H

#include "storage.h"

/* Under /registry/ (upstream keeps it at the root) so that the watch cache,
 * which follows /registry/, sees every revision the store hands out and
 * consistent reads never wait for a write they cannot observe. */
#define KAPI_COMPACT_REV_KEY "/registry/compact_rev_key"

struct kapi_compactor;
/* Starts the compaction thread (interval_ms > 0). */
struct kapi_compactor *kapi_compactor_start(struct kapi_store *store, int interval_ms);
/* Runs one round now. *seen_version is the caller's memory of the key's
 * version (start at 0). Returns the revision compacted to, 0 when this round
 * did not compact (nothing recorded yet, or another instance moved the key),
 * -1 on error. */
int64_t kapi_compactor_round(struct kapi_store *store, int64_t *seen_version);
void kapi_compactor_stop(struct kapi_compactor *c); /* NULL-safe; joins */

#endif
