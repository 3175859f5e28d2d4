/* apply/ssa: server-side apply and field ownership (metadata.managedFields),
 * as kube-apiserver v1.33's field manager on top of structured-merge-diff
 * does it. Objects are typed through a small type view (struct kapi_ssa_type)
 * so the same engine serves built-in kinds (generated schema tables) and
 * custom resources (CRD structural schemas). Design: docs/internals/ssa.md. */
#ifndef KAPI_APPLY_SSA_H
#define KAPI_APPLY_SSA_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/base.h"
#include "../codec/value.h"

struct kapi_schema_msg;
struct kapi_crd_schema;

/* A node of a type: what structured-merge-diff needs to know about a value
 * at some place of an object. Built by the constructors below; small and
 * passed by value. */
enum kapi_ssa_kind {
    KAPI_SSA_SCALAR,   /* string, number, bool, int-or-string, quantity, time, ... (atomic) */
    KAPI_SSA_STRUCT,   /* object with known fields (granular unless atomic) */
    KAPI_SSA_MAP,      /* object with string keys and one element type */
    KAPI_SSA_LIST,     /* array: atomic, set or map (by keys) */
    KAPI_SSA_UNTYPED,  /* unknown shape (RawExtension, preserve-unknown-fields): deduced */
};
struct kapi_ssa_type {
    const void *impl;     /* private to the adapter */
    const void *node;
    int aux;
};

/* Root types. */
struct kapi_ssa_type kapi_ssa_type_builtin(const struct kapi_schema_msg *kind_msg);
struct kapi_ssa_type kapi_ssa_type_crd(const struct kapi_crd_schema *root); /* NULL = untyped */

/* ---- operations ---- */

struct kapi_ssa_conflict {
    const char *manager;      /* "kubectl-client-side-apply" */
    const char *api_version;  /* the manager's entry apiVersion ("apps/v1") */
    const char *field;        /* upstream's path text: ".spec.replicas",
                               * ".spec.containers[name=\"app\"].image" */
    /* Added: the rest of the manager's identity, as upstream prints it. */
    const char *subresource;  /* "" or "status" */
    bool applied;             /* an Apply entry (printed without apiVersion) */
    const char *message;      /* the StatusCause message: "conflict with \"m\" using apps/v1" */
};

struct kapi_ssa_result {
    struct kapi_value *obj;            /* the object to store (managedFields set) */
    struct kapi_ssa_conflict *conflicts;
    size_t nconflicts;
    const char *error;                 /* bad input (e.g. duplicate list-map keys); 400/422 text */
    /* Added: the HTTP status upstream answers with: 409 with conflicts;
     * with error 400 (BadRequest: "metadata.managedFields must be nil",
     * "invalid object type: ...") or 500 (reason unset: "failed to create
     * typed patch object (...): .spec.x: duplicate entries for key ...",
     * "failed to decode managed fields: ..."). */
    int status;
    const char *message;               /* with conflicts: kapi_ssa_conflict_message */
};

/* Server-side apply of config by manager. live is the stored object (NULL
 * when the apply creates it). api_version is the request's ("apps/v1");
 * subresource "" or "status"; now is the RFC 3339 time for the entry.
 * On conflicts (and !force) out->nconflicts > 0 and out->obj is NULL.
 * Returns 0, or -1 with out->error set. */
int kapi_ssa_apply(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                   const struct kapi_value *live, const struct kapi_value *config, const char *manager,
                   bool force, const char *subresource, const char *now, struct kapi_ssa_result *out);

/* A non-apply write (create, update, patch) by manager: the fields whose
 * values differ between old (NULL on create) and new become owned by
 * manager's Update entry and are removed from other managers' sets;
 * new's metadata.managedFields is replaced with the result. A client-sent
 * managedFields in new that differs from old's is taken as given (after
 * validation), as upstream does; an empty list resets tracking. Returns 0,
 * or -1 with *error set (malformed managedFields: upstream's message). */
int kapi_ssa_update(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                    const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                    const char *subresource, const char *now, const char **error);

/* The manager name upstream derives from a User-Agent when fieldManager is
 * not given ("kubectl/v1.33.0 (linux/amd64) ..." -> "kubectl"), pool string. */
const char *kapi_ssa_manager_from_user_agent(struct kapi_pool *pool, const char *user_agent);

/* The 409 message for conflicts ("Apply failed with 1 conflict: conflict
 * with \"m\" using apps/v1: .spec.replicas"), pool string. */
const char *kapi_ssa_conflict_message(struct kapi_pool *pool, const struct kapi_ssa_conflict *c, size_t n);

/* ---- additions ---- */

/* Options shared by the _ex forms. reset_fields: the strategy's reset
 * fields for this api_version (upstream's GetResetFields / IgnoredFields),
 * as a NULL-terminated list of dotted field paths ("status",
 * "metadata.labels", "spec"); they are never owned and never conflict. */
struct kapi_ssa_opts {
    const char *const *reset_fields;
};
int kapi_ssa_apply_ex(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                      const struct kapi_value *live, const struct kapi_value *config, const char *manager,
                      bool force, const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                      struct kapi_ssa_result *out);
int kapi_ssa_update_ex(struct kapi_pool *pool, struct kapi_ssa_type type, const char *api_version,
                       const struct kapi_value *old, struct kapi_value *new_obj, const char *manager,
                       const char *subresource, const char *now, const struct kapi_ssa_opts *opts,
                       const char **error);

/* FieldsV1 helpers (tests, debugging): the set of fields of obj under type
 * (SMD's ToFieldSet) rendered as FieldsV1 JSON text, and a FieldsV1 value
 * decoded and re-encoded (upstream's canonical form); NULL + *error on bad
 * input. Pool strings. */
const char *kapi_ssa_fields_of(struct kapi_pool *pool, struct kapi_ssa_type type, const struct kapi_value *obj);
const char *kapi_ssa_fields_canonical(struct kapi_pool *pool, const struct kapi_value *fields_v1,
                                      const char **error);

/* The validation apimachinery applies to a client-sent
 * metadata.managedFields (ValidateManagedFields): appends field errors
 * under "metadata.managedFields[i]" (operation must be `Apply` or `Update`,
 * fieldsType must be `FieldsV1`, manager length, subresource length). */
struct kapi_field_errors;
void kapi_ssa_validate_managed_fields(struct kapi_pool *pool, const struct kapi_value *managed_fields,
                                      struct kapi_field_errors *errs);

#endif
