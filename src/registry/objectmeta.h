/* registry/objectmeta: the metadata rules every kind shares on create and
 * update (upstream's generic store and rest.BeforeCreate/BeforeUpdate):
 * identity, timestamps, generation, name generation, validation, and the
 * canonical order of metadata keys. */
#ifndef KAPI_OBJECTMETA_H
#define KAPI_OBJECTMETA_H

#include "../api/names.h"
#include "registry.h"
#include "warnings.h"

/* Fills a create body's metadata: namespace from the URL (a different one in
 * the body sets *bad_request), generated name, uid, creationTimestamp,
 * generation; clears what clients may not set. Validation problems go to
 * errs (422). Returns 0, or -1 when *bad_request was set (400). */
int kapi_meta_prepare_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const char *url_ns, struct kapi_field_errors *errs, const char **bad_request);
/* Carries system fields over from old, bumps generation when anything but
 * metadata and status changed (for kinds that keep one), validates: with the
 * rules of the subresource's strategy when subresource is "status" (or
 * another one with its own rules), else with the main ones. */
int kapi_meta_prepare_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const struct kapi_value *old, const char *url_ns, const char *subresource,
                             struct kapi_field_errors *errs, const char **bad_request);
/* The two halves of the above, for the REST paths, which run mutating
 * admission between them as upstream does (decode and defaults, mutating
 * admission, then the strategy's preparation and validation):
 * default_* check the namespace and apply defaults (-1 with *bad_request as
 * above; on create the system fields are wiped, so mutating admission sees
 * no uid, creation time or generated name, as upstream); validate_* fill
 * the system fields (create) or bump generation (update), run the
 * strategy, validate into errs, and canonicalize. warns (may be NULL)
 * receives the strategy's warnings in upstream's order: those of the
 * create-time preparation (always), then WarningsOnCreate /
 * WarningsOnUpdate once validation found nothing (registry/warnings.h). */
int kapi_meta_default_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const char *url_ns, const char **bad_request);
void kapi_meta_validate_create(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                               struct kapi_field_errors *errs, struct kapi_warnings *warns);
int kapi_meta_default_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                             const struct kapi_value *old, const char *url_ns, const char **bad_request);
void kapi_meta_validate_update(struct kapi_pool *pool, const struct kapi_kind *k, struct kapi_value *obj,
                               const struct kapi_value *old, const char *subresource, struct kapi_field_errors *errs,
                               struct kapi_warnings *warns);
/* kind/apiVersion/metadata first, metadata keys in ObjectMeta's order. */
void kapi_meta_canonicalize(struct kapi_pool *pool, struct kapi_value *obj);
/* The object's bytes as stored: compact JSON without resourceVersion. The
 * caller disposes buf. */
void kapi_meta_encode_for_store(struct kapi_value *obj, struct kapi_buf *buf);
/* Name rule of a kind (DNS subdomain for most). */
kapi_name_fn kapi_kind_name_fn(const struct kapi_kind *k);
/* "2024-01-02T03:04:05Z" for now, from pool. */
const char *kapi_meta_now(struct kapi_pool *pool);
/* The same for now + seconds (a graceful deletion's deadline). */
const char *kapi_meta_time_after(struct kapi_pool *pool, int64_t seconds);

struct kapi_store;
/* Creates obj (a decoded object without server-set fields) as kind k in
 * namespace ns unless an object of that name exists, with the same
 * preparation an API create gets. 0 (also when it existed), or a
 * KAPI_STORE_* error / -1 when obj is invalid. */
int kapi_meta_create_if_missing(struct kapi_store *store, struct kapi_pool *pool, const struct kapi_kind *k,
                                const char *ns, struct kapi_value *obj);

/* ---- deletion (upstream's generic store: Delete and markAsDeleting) ---- */

/* True when md (an object's metadata) lists at least one finalizer. */
bool kapi_meta_has_finalizers(const struct kapi_value *md);
/* What a DELETE does to an object that something keeps (finalizers, or a
 * namespace's own finalization): deletionTimestamp now,
 * deletionGracePeriodSeconds 0, generation one up where the object keeps
 * one. False, and md untouched, when it is marked already. */
bool kapi_meta_mark_deleted(struct kapi_pool *pool, struct kapi_value *md);
struct kapi_blob;
/* DELETE without options of the stored object at key, as the store step of
 * upstream's Delete does it (no admission): removed, or, when finalizers
 * keep it, marked (kapi_meta_mark_deleted) and *held set (also when it was
 * marked already). json/rev: the object's bytes and revision last seen; a
 * compare-and-swap conflict is retried on the present state a few times.
 * 0 when the object is gone or marked, else a KAPI_STORE_* error. */
int kapi_meta_delete_stored(struct kapi_store *store, const char *key, struct kapi_blob *json, int64_t rev,
                            bool *held);

#endif
