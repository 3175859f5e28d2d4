/* codec/patch: JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7386) over the
 * value model, with the semantics kube-apiserver v1.33 gets from
 * gopkg.in/evanphx/json-patch.v4 (v4.12.0), quirks included, and the HTTP
 * status/reason/message its PATCH handler answers with for each failure. All
 * walks are iterative: document depth costs heap, never C stack. */
#ifndef KAPI_PATCH_H
#define KAPI_PATCH_H

#include "value.h"

/* Upstream's maxJSONPatchOperations (endpoints/handlers/patch.go). */
#define KAPI_JSONPATCH_MAX_OPS 10000
/* Upstream's JSONPatchMaxCopyBytes default (server/config.go), which it
 * installs as json-patch's AccumulatedCopySizeLimit: the summed compact-JSON
 * size of the values "copy" operations duplicate. Only "copy" counts. */
#define KAPI_JSONPATCH_MAX_COPY_BYTES (3 * 1024 * 1024)

/* The one message upstream sends for every failure of a JSON patch's
 * operations: it builds the Status with NewGenericServerResponse(422, ...),
 * which throws the library's error text away. */
#define KAPI_PATCH_MSG_INVALID "the server rejected our request due to an error in our request"

/* How a patch failed, already mapped to what upstream answers. The REST layer
 * writes a Status {code, reason, message: msg}:
 *
 *  JSON patch (application/json-patch+json)
 *   400 "BadRequest"  body is not null or an array, or an element is not an
 *                     object/null. msg is Go's decode error, e.g.
 *                     "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
 *                     "json: cannot unmarshal number into Go value of type jsonpatch.Operation".
 *   413 "RequestEntityTooLarge"  more than KAPI_JSONPATCH_MAX_OPS operations;
 *                     msg "Request entity too large: The allowed maximum operations
 *                     in a JSON patch is 10000, got 10001".
 *   422 "Invalid"     any operation failed (missing path, bad index, failed test,
 *                     unknown op, copy limit, result deeper than
 *                     KAPI_JSON_MAX_DEPTH...). msg is KAPI_PATCH_MSG_INVALID and
 *                     upstream's Status also carries an empty "details":{}.
 *                     detail holds the library-style reason, e.g.
 *                     "add operation does not apply: doc is missing path: \"/a/b\": missing value".
 *   500 reason NULL   inputs on which json-patch v4 dereferences nil and the
 *                     apiserver panics: "replace" of "" or "test" without a
 *                     "value" member (where it matters), "test" meeting a null
 *                     array element. Upstream's panic filter answers with a
 *                     plain-text body, msg.
 *  Merge patch (application/merge-patch+json)
 *   400 "BadRequest"  patch is null or a scalar: msg "Invalid JSON Patch".
 *   500 ""            document is null: msg "Invalid JSON Document" (upstream
 *                     returns the bare error, which becomes a 500 Status with
 *                     an empty (Unknown) reason). Unreachable for stored objects.
 */
struct kapi_patch_error {
    int code;            /* HTTP status: 400, 413, 422 or 500 */
    const char *reason;  /* Status reason (static string); NULL: plain-text 500 */
    char msg[256];       /* Status message, exactly as upstream words it */
    char detail[256];    /* json-patch's own error text (upstream logs/drops it) */
};

/* Applies the RFC 6902 patch (a parsed JSON value; not modified) to doc, which
 * is modified in place (the caller passes a per-request copy) and which must
 * be an object or array. Returns the resulting root (a different value when a
 * "replace" at "" swapped it), or NULL with err filled; after a failure doc
 * may be partly modified. New nodes come from pool. v4 semantics: indices
 * accept signs, leading zeros and negatives counted from the end; "replace"
 * of a missing object key adds it; a missing "value" means null; "copy" from a
 * missing key copies null; "test" compares scalars exactly (1 != 1.0). */
struct kapi_value *kapi_json_patch_apply(struct kapi_pool *pool, struct kapi_value *doc,
                                         const struct kapi_value *patch, struct kapi_patch_error *err);

/* Applies an RFC 7386 merge patch (not modified) to doc (modified in place).
 * Objects merge recursively, null deletes, anything else replaces (nulls in
 * newly inserted objects are pruned, also inside arrays, but array elements
 * that are null stay). A non-object doc yields the pruned patch; an array
 * patch yields itself with nested object nulls pruned. Returns the new root or
 * NULL with err filled. Values taken from the patch are copied into pool. */
struct kapi_value *kapi_merge_patch_apply(struct kapi_pool *pool, struct kapi_value *doc,
                                          const struct kapi_value *patch, struct kapi_patch_error *err);

/* Under fieldValidation=Warn or Strict (Warn is the default when the query
 * leaves it out) upstream first decodes the body strictly into its own types,
 * before the library sees it, and a type mismatch there is a 400 "BadRequest"
 * whose msg reads "error decoding patch: json: cannot unmarshal number into Go
 * struct field jsonPatchOp.op of type string" (or "... into Go value of type
 * []handlers.jsonPatchOp" / "handlers.jsonPatchOp" / "map[string]interface {}").
 * Call these before applying in those modes; they return 0 or -1 with err
 * filled. Unknown and duplicate fields found by that decode (warnings, or a
 * 422 after applying under Strict) are left to the caller. */
int kapi_json_patch_check_strict(const struct kapi_value *patch, struct kapi_patch_error *err);
int kapi_merge_patch_check_strict(const struct kapi_value *patch, struct kapi_patch_error *err);

#endif
