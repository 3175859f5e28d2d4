/* api/status: metav1.Status, the body of every API error (and of some
 * successful DELETEs). Constructors reproduce k8s.io/apimachinery's
 * api/errors messages, codes and details; kapi_status_to_value lays the
 * object out key for key as kube-apiserver serialises it (Go's omitempty:
 * "details" appears whenever upstream sets it, even if empty). */
#ifndef KAPI_API_STATUS_H
#define KAPI_API_STATUS_H

#include "../base/base.h"
#include "../codec/value.h"
#include "names.h"

/* StatusReason values. */
#define KAPI_REASON_UNAUTHORIZED       "Unauthorized"
#define KAPI_REASON_FORBIDDEN          "Forbidden"
#define KAPI_REASON_NOT_FOUND          "NotFound"
#define KAPI_REASON_ALREADY_EXISTS     "AlreadyExists"
#define KAPI_REASON_CONFLICT           "Conflict"
#define KAPI_REASON_GONE               "Gone"
#define KAPI_REASON_INVALID            "Invalid"
#define KAPI_REASON_SERVER_TIMEOUT     "ServerTimeout"
#define KAPI_REASON_TIMEOUT            "Timeout"
#define KAPI_REASON_TOO_MANY_REQUESTS  "TooManyRequests"
#define KAPI_REASON_BAD_REQUEST        "BadRequest"
#define KAPI_REASON_METHOD_NOT_ALLOWED "MethodNotAllowed"
#define KAPI_REASON_NOT_ACCEPTABLE     "NotAcceptable"
#define KAPI_REASON_ENTITY_TOO_LARGE   "RequestEntityTooLarge"
#define KAPI_REASON_UNSUPPORTED_MEDIA  "UnsupportedMediaType"
#define KAPI_REASON_INTERNAL_ERROR     "InternalError"
#define KAPI_REASON_EXPIRED            "Expired"
#define KAPI_REASON_SERVICE_UNAVAILABLE "ServiceUnavailable"

/* The detail upstream's update path passes to Conflict on a stale resourceVersion. */
#define KAPI_CONFLICT_MODIFIED \
    "the object has been modified; please apply your changes to the latest version and try again"
/* The 410 message when a continue token's revision was compacted. */
#define KAPI_CONTINUE_EXPIRED_MESSAGE                                                                   \
    "The provided continue parameter is too old to display a consistent list result. You can start a " \
    "new list without the continue parameter, or use the continue token in this response to "          \
    "retrieve the remainder of the results. Continuing with the provided token results in an "         \
    "inconsistent list - objects that were created, modified, or deleted between the time the first "  \
    "chunk was returned and now may show up in the list."

struct kapi_status_cause {
    const char *reason;  /* cause type, e.g. "FieldValueInvalid"; NULL/"" omitted */
    const char *message; /* NULL/"" omitted */
    const char *field;   /* NULL/"" omitted */
};

struct kapi_status {
    int code;              /* HTTP status; 0 omitted */
    const char *status;    /* "Failure" or "Success" */
    const char *message;   /* NULL/"" omitted */
    const char *reason;    /* NULL/"" omitted */
    bool has_details;      /* upstream set a details object (even an empty one) */
    const char *name, *group, *kind, *uid;  /* details; NULL/"" omitted */
    struct kapi_status_cause *causes;
    size_t ncauses, causes_cap;
    int32_t retry_after_seconds; /* 0 omitted */
};

/* All constructors allocate from pool and never fail. "group" and
 * "resource" name a GroupResource ("" group = core); messages print it as
 * "resource" or "resource.group". */
struct kapi_status *kapi_status_new(struct kapi_pool *pool, int code, const char *reason, const char *message);
void kapi_status_add_cause(struct kapi_pool *pool, struct kapi_status *st, const char *reason,
                           const char *message, const char *field);

/* 404 `pods "x" not found`. */
struct kapi_status *kapi_status_not_found(struct kapi_pool *pool, const char *group, const char *resource,
                                          const char *name);
/* 409 `pods "x" already exists`. */
struct kapi_status *kapi_status_already_exists(struct kapi_pool *pool, const char *group, const char *resource,
                                               const char *name);
/* 409 AlreadyExists when generateName kept colliding (with retryAfterSeconds). */
struct kapi_status *kapi_status_generate_name_conflict(struct kapi_pool *pool, const char *group,
                                                       const char *resource, const char *name, int retry);
/* 409 `Operation cannot be fulfilled on pods "x": <err>` (err e.g. KAPI_CONFLICT_MODIFIED). */
struct kapi_status *kapi_status_conflict(struct kapi_pool *pool, const char *group, const char *resource,
                                         const char *name, const char *err);
/* 422 `Pod "x" is invalid: <aggregate>`; group/kind name a GroupKind. One
 * cause per field error (message = error body, without the field). */
struct kapi_status *kapi_status_invalid(struct kapi_pool *pool, const char *group, const char *kind,
                                        const char *name, const struct kapi_field_errors *errs);
struct kapi_status *kapi_status_bad_request(struct kapi_pool *pool, const char *message);
/* 401; an empty message becomes "not authorized" (the authn filter passes "Unauthorized"). */
struct kapi_status *kapi_status_unauthorized(struct kapi_pool *pool, const char *message);
/* 403 `pods "x" is forbidden: <err>` / `pods is forbidden: <err>` / `forbidden: <err>`. */
struct kapi_status *kapi_status_forbidden(struct kapi_pool *pool, const char *group, const char *resource,
                                          const char *name, const char *err);
/* 403 from the authorizer, with upstream's text: `User "u" cannot get
 * resource "pods" in API group "" in the namespace "ns"[: reason]`, or
 * `... at the cluster scope`, or for non-resource requests (resource NULL)
 * `User "u" cannot get path "/x"`. */
struct kapi_status *kapi_status_forbidden_authz(struct kapi_pool *pool, const char *user, const char *verb,
                                                const char *group, const char *resource,
                                                const char *subresource, const char *namespace_,
                                                const char *name, const char *path, const char *reason);
/* 405 `<action> is not supported on resources of kind "pods"`. */
struct kapi_status *kapi_status_method_not_supported(struct kapi_pool *pool, const char *group,
                                                     const char *resource, const char *action);
/* 406 `only the following media types are accepted: a, b`. */
struct kapi_status *kapi_status_not_acceptable(struct kapi_pool *pool, const char *const *accepted, size_t n);
/* 415 `the body of the request was in an unknown format - accepted media types include: a, b`. */
struct kapi_status *kapi_status_unsupported_media_type(struct kapi_pool *pool, const char *const *accepted,
                                                       size_t n);
/* 413 `Request entity too large: <message>`. */
struct kapi_status *kapi_status_entity_too_large(struct kapi_pool *pool, const char *message);
/* 429 with message as given and details.retryAfterSeconds (NewTooManyRequests). */
struct kapi_status *kapi_status_too_many_requests(struct kapi_pool *pool, const char *message, int retry);
/* 410 Gone (deprecated upstream) and 410 Expired. */
struct kapi_status *kapi_status_gone(struct kapi_pool *pool, const char *message);
struct kapi_status *kapi_status_expired(struct kapi_pool *pool, const char *message);
/* 410 Expired `too old resource version: <requested> (<oldest available>)`. */
struct kapi_status *kapi_status_too_old_rv(struct kapi_pool *pool, int64_t requested, int64_t current);
/* 504 `Timeout: <message>` with details.retryAfterSeconds. */
struct kapi_status *kapi_status_timeout(struct kapi_pool *pool, const char *message, int retry);
/* 504 `Timeout: Too large resource version: N, current: M` with the
 * ResourceVersionTooLarge cause, as the watch cache answers. */
struct kapi_status *kapi_status_too_large_rv(struct kapi_pool *pool, int64_t requested, int64_t current,
                                             int retry);
/* 500 ServerTimeout `The <op> operation against <resource> could not be completed at this time, please try again.` */
struct kapi_status *kapi_status_server_timeout(struct kapi_pool *pool, const char *group, const char *resource,
                                               const char *operation, int retry);
struct kapi_status *kapi_status_service_unavailable(struct kapi_pool *pool, const char *message);
/* 500 `Internal error occurred: <err>` with one cause carrying err. */
struct kapi_status *kapi_status_internal(struct kapi_pool *pool, const char *err);
/* Success Status with details (as DELETE returns): code 0 leaves "code" out. */
struct kapi_status *kapi_status_success(struct kapi_pool *pool, int code, const char *group, const char *kind,
                                        const char *name, const char *uid);

/* The Status as a value, keys in kube-apiserver's order. */
struct kapi_value *kapi_status_to_value(struct kapi_pool *pool, const struct kapi_status *st);
/* The "code" of a Status value, or 0 when v is not a Status object or has none. */
int kapi_status_code_of(const struct kapi_value *v);

#endif
