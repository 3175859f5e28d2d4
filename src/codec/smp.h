/* codec/smp: strategic merge patch (application/strategic-merge-patch+json)
 * applied to a document of a built-in kind, with the semantics kube-apiserver
 * v1.33 gets from apimachinery's strategicpatch.StrategicMergeMapPatch
 * (directives, list ordering, error texts and quirks included), driven by the
 * generated schema tables instead of Go struct tags. */
#ifndef KAPI_SMP_H
#define KAPI_SMP_H

#include "value.h"

struct kapi_schema_msg;

/* How an SMP failed, already mapped to what upstream's PATCH handler answers
 * (interpretStrategicMergePatchError and the generic error path). The REST
 * layer writes a Status {code, reason, message: msg}:
 *
 *  400 "BadRequest"  the body is not a JSON object ("json: cannot unmarshal
 *                    array into Go value of type map[string]interface {}"), or
 *                    a directive is malformed: "invalid patch format of
 *                    primitive list", "invalid patch format of retainKeys",
 *                    "invalid patch format of setElementOrder list".
 *  422 "Invalid"     a list of lists: upstream builds the Status with
 *                    NewGenericServerResponse, so msg is the fixed "the server
 *                    rejected our request due to an error in our request" and
 *                    the Status carries an empty "details":{}.
 *  500 ""            every other library error, returned bare: an unknown
 *                    $patch value ("unknown patch type: foo in map: map[...]"),
 *                    a missing merge key ("map: map[...] does not contain
 *                    declared merge key: name"), mismatched element types,
 *                    "The order in patch list: ...", "unable to find api field
 *                    in struct RawExtension for the json field \"x\"", ...
 *                    Upstream's Status has reason Unknown (""), so omit it.
 *  500 reason NULL   inputs on which upstream's Go code panics (a null first
 *                    list element, map-valued merge keys compared, unhashable
 *                    $retainKeys entries): the apiserver's panic filter answers
 *                    with a plain-text body, msg.
 *  504 "Timeout"     the work budget ran out (huge lists merged quadratically,
 *                    as upstream would until its request deadline).
 */
struct kapi_smp_error {
    int code;
    const char *reason;  /* static string; NULL: plain-text 500 */
    char msg[512];
};

/* Upper bound on elementary steps (comparisons, scans) of one application. */
#define KAPI_SMP_MAX_WORK 200000000ull

/* Applies patch (a parsed JSON value; not modified) to doc (a JSON object of
 * the kind whose top-level message is msg, from kapi_schema_kind_find), which
 * is modified in place; new nodes come from pool and the result may share
 * nodes with copies of the patch. Returns the resulting root (a different
 * value when a top-level "$patch" replaced or deleted it), or NULL with err
 * filled (doc may then be partly modified). A null patch leaves doc as is.
 * Like upstream, the result can hold nulls and leftover directives inside
 * values taken verbatim from the patch (replaced lists, new list elements);
 * decoding it into the typed object treats those as absent/unknown. Deep
 * inputs (up to KAPI_JSON_MAX_DEPTH) run on a helper thread with a stack
 * sized for them, never exhausting the caller's. */
struct kapi_value *kapi_smp_apply(struct kapi_pool *pool, const struct kapi_schema_msg *msg,
                                  struct kapi_value *doc, const struct kapi_value *patch,
                                  struct kapi_smp_error *err);

#endif
