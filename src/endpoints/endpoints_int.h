/* Private declarations shared by the files of src/endpoints. */
#ifndef KAPI_ENDPOINTS_INT_H
#define KAPI_ENDPOINTS_INT_H

#include "../auth/authn.h"
#include "../cache/cache.h"
#include "../codec/json.h"
#include "../codec/value.h"
#include "../registry/registry.h"
#include "endpoints.h"

enum kapi_format { KAPI_FMT_JSON, KAPI_FMT_YAML, KAPI_FMT_PROTOBUF };
enum kapi_as { KAPI_AS_OBJECT, KAPI_AS_TABLE, KAPI_AS_PARTIAL };

struct kapi_qparam {
    const char *name, *value; /* decoded */
};

/* Warning headers one response carries at most (upstream caps the text at
 * 4096 runes in all, so this is only a safety bound). */
#define KAPI_MAX_WARNINGS 128

/* One API request on its way through the pipeline; lives in http->pool. */
struct kapi_req {
    struct kapi_apiserver *srv;
    struct kapi_http_request *http;
    struct kapi_pool *pool;
    struct kapi_user user;

    /* request info */
    bool is_resource;
    const char *verb;            /* get list watch create update patch delete deletecollection */
    const char *api_prefix;      /* "api" or "apis" */
    const char *group, *version, *resource, *subresource, *ns, *name;
    const struct kapi_kind *kind;
    const struct kapi_resource *res;  /* entry for resource or resource/subresource */
    const char *parts[16];       /* path segments after the group/version */
    size_t nparts;

    struct kapi_qparam *params;
    size_t nparams;

    /* negotiation */
    enum kapi_format fmt;
    enum kapi_as as;
    bool pretty;
    const char *partial_version;   /* meta.k8s.io/v1 or v1beta1 for KAPI_AS_PARTIAL */
    struct kapi_json_dup *body_dups; /* duplicate keys kapi_decode_body found */
    const char *authz_reason;        /* the authorizer's reason for a denial */
    const char *warnings[KAPI_MAX_WARNINGS]; /* header texts, as kapi_req_warn keeps them */
    size_t nwarnings;
    const char **warn_seen;          /* every text added, for de-duplication and replay */
    size_t nwarn_seen, warn_seen_cap;
    size_t warn_runes;               /* runes of text in the headers so far */
    bool warn_truncating;
    bool fields_tracked;             /* managedFields already set (server-side apply) */

    /* audit (src/audit): the request's ID (Audit-Id header), when it came,
     * the policy's decision, what was answered */
    const char *audit_id;
    int64_t received_us;
    int audit_level;                 /* enum kapi_audit_level */
    unsigned audit_omit;
    bool audit_begun, audit_resource, authz_decided, authz_allowed, impersonated;
    const char *audit_verb;
#define KAPI_MAX_ANNOTATIONS 16
    const char *annotations[KAPI_MAX_ANNOTATIONS][2]; /* audit annotations from admission */
    size_t nannotations;
    struct kapi_user requester;      /* the authenticated user before impersonation */
    int resp_code;
    const char *resp_body, *resp_ctype;
    size_t resp_len;
};

/* query.c */
/* Parses a raw query string into decoded name/value pairs. -1 on a
 * malformed escape. */
int kapi_parse_query(struct kapi_pool *pool, const char *q, struct kapi_qparam **out, size_t *n);
const char *kapi_req_param(const struct kapi_req *r, const char *name);
/* Go's strconv.ParseBool. -1 when not a boolean. */
int kapi_parse_bool(const char *s);

/* requestinfo.c: fills the request-info fields from method and path.
 * Returns 0, or -1 for a path that is not a resource path. */
int kapi_request_info(struct kapi_req *r);

/* respond.c */
struct kapi_status;
void kapi_respond_status(struct kapi_req *r, const struct kapi_status *st);
/* A Status built from code/reason/message with no details. */
void kapi_respond_error(struct kapi_req *r, int code, const char *reason, const char *message);
/* Sends v (an API object) in the negotiated format. */
void kapi_respond_value(struct kapi_req *r, int code, struct kapi_value *v);
/* Sends one stored object's JSON bytes (no trailing newline) in the
 * negotiated format; JSON goes out without re-encoding. */
void kapi_respond_object_json(struct kapi_req *r, int code, const char *json, size_t len);
/* Sends a cached object version in the negotiated format, using its
 * shared JSON bytes or its once-encoded protobuf. */
void kapi_respond_cobj(struct kapi_req *r, int code, struct kapi_cobj *o);
/* Raw bytes with a content type (discovery, openapi, health). */
void kapi_respond_raw(struct kapi_req *r, int code, const char *content_type, const char *body, size_t len,
                      const struct kapi_http_header *extra, size_t nextra);
/* Adds a warning the way upstream's warning recorder does: empty texts and
 * repeats are dropped; once the texts would pass 4096 runes in all, every
 * text (the earlier ones again) is cut to 256 runes, and texts stop being
 * added when 4096 runes are reached; text that is not UTF-8 is not sent.
 * respond.c sends each as `Warning: 299 - <Go-quoted text>`. */
void kapi_req_warn(struct kapi_req *r, const char *msg);
/* The request's audit ID (the client's Audit-ID or a new UUID). */
const char *kapi_req_audit_id(struct kapi_req *r);
/* Audit hooks (handler.c): the ResponseStarted stage of a stream. */
void kapi_audit_response_started(struct kapi_req *r, int code);

/* negotiate.c */
/* Chooses the output format from Accept; -1 (and a 406 sent) when nothing
 * acceptable. allow_table for list/get of resources. */
int kapi_negotiate_output(struct kapi_req *r);
/* Decodes the request body (JSON or YAML by Content-Type). NULL when a
 * Status was already sent. */
struct kapi_value *kapi_decode_body(struct kapi_req *r);
/* {kind: PartialObjectMetadata, apiVersion, metadata} of obj. */
struct kapi_value *kapi_partial_object(struct kapi_req *r, struct kapi_value *obj);
/* Table conversion (the default Name / Created At columns). */
struct kapi_value *kapi_table_for_objects(struct kapi_req *r, struct kapi_value **objs, size_t n,
                                          const char *rv, const char *cont, int64_t remaining);

/* list.c: resourceVersion (-1 when absent) and limit (0 = none); -1 when a
 * 400 was sent. */
int kapi_list_params(struct kapi_req *r, int64_t *rv, int64_t *limit);

/* connect.c: pods/log, exec, attach, portforward, and the pod, service
 * and node proxies (the subresources served by calling a kubelet or an
 * endpoint). */
bool kapi_is_connect(const struct kapi_req *r);
void kapi_handle_connect(struct kapi_req *r);

/* resource verbs: one file each */
void kapi_handle_get(struct kapi_req *r);
void kapi_handle_list(struct kapi_req *r);
void kapi_handle_watch(struct kapi_req *r);
void kapi_handle_create(struct kapi_req *r);
void kapi_handle_update(struct kapi_req *r);
void kapi_handle_patch(struct kapi_req *r);
void kapi_handle_delete(struct kapi_req *r);
void kapi_handle_deletecollection(struct kapi_req *r);

/* Shared by the verbs (rest.c). */
/* 0 when the cache holds every acknowledged write; else a Status was sent. */
int kapi_rest_sync(struct kapi_req *r);
char *kapi_rest_key(struct kapi_req *r, const char *name);
/* Sends the Status for a storage error about r->name. */
void kapi_rest_store_error(struct kapi_req *r, int err, const char *name);
/* Builds the selector filter from labelSelector / fieldSelector; -1 when a
 * 400 was sent. */
struct kapi_rest_filter;
struct kapi_rest_filter *kapi_rest_filter_new(struct kapi_req *r);
/* Typed check of a built-in object against its schema: wrong types are 400,
 * unknown and duplicate fields follow ?fieldValidation (Strict 400, Warn one
 * Warning each, Ignore nothing; always dropped), and the object comes out in
 * canonical form. options_kind names the options for a bad fieldValidation
 * ("CreateOptions"). 0, or -1 when a Status was sent. */
int kapi_rest_typed(struct kapi_req *r, struct kapi_value *obj, const struct kapi_json_dup *dups,
                    const char *options_kind);
/* The typed check alone (no unknown-field reporting) of a built-in kind's
 * object built by the server, e.g. a server-side apply result, which
 * upstream decodes into the Go type: canonical quantities and times. 0, or
 * -1 when a Status was sent. */
int kapi_rest_canonical(struct kapi_req *r, struct kapi_value *obj);
void kapi_rest_filter_apply(struct kapi_rest_filter *f, struct kapi_cache_filter *cf);
bool kapi_rest_filter_selects(const struct kapi_rest_filter *f); /* has a non-empty selector */
/* Whether the namespace exists (and is not terminating when for_create). 0
 * or a Status was sent. */
int kapi_rest_check_namespace(struct kapi_req *r);

/* create.c: pieces the write verbs share. */
int kapi_check_body_gvk(struct kapi_req *r, struct kapi_value *obj);
void kapi_rest_respond_written(struct kapi_req *r, int code, struct kapi_value *obj, int64_t rev);
bool kapi_rest_dry_run(struct kapi_req *r);
int kapi_rest_check_dry_run(struct kapi_req *r); /* -1 when a 400 was sent */
/* create.c: the create pipeline from a decoded, type-checked body on
 * (metadata, admission, allocation, store); sends the response. */
void kapi_rest_create(struct kapi_req *r, struct kapi_value *obj);
/* update.c: stores obj as the new version of current (prepared, validated);
 * the shared end of update and patch. Sends the response. Returns the
 * storage error (KAPI_STORE_CONFLICT lets patch retry) without answering
 * for CONFLICT when retry is true. */
int kapi_rest_store_update(struct kapi_req *r, struct kapi_value *obj, const struct kapi_cobj *current,
                           bool retry);

/* The stored object v as the version the request names (r->kind's
 * view_out); NULL after sending a 500 when the conversion failed
 * (answer=false: nothing is sent). */
struct kapi_value *kapi_rest_view(struct kapi_req *r, struct kapi_pool *pool, struct kapi_value *v, bool answer);

/* What the admission chain needs from the request beyond the object: the
 * served version and a sink for webhook warnings (Warning headers). */
struct kapi_admission_opts;
struct kapi_admission_opts kapi_rest_admission_opts(struct kapi_req *r);
/* Admission of a DELETE of cur (webhooks); 0, or -1 when a Status was sent
 * (answer) or would have been. */
int kapi_rest_admit_delete(struct kapi_req *r, const struct kapi_value *cur, bool answer);

/* Field ownership (apply/ssa.h). The manager of this write: ?fieldManager,
 * else derived from the User-Agent. */
const char *kapi_rest_manager(struct kapi_req *r);
/* Checks ?fieldManager (length) and ?force (apply only); -1 when a 422
 * was sent. apply: fieldManager is required. */
int kapi_rest_check_manager(struct kapi_req *r, const char *options_kind, bool apply);
/* Records the write old -> obj in obj's metadata.managedFields as an
 * Update by the request's manager (old NULL on create). Managed fields
 * that cannot be understood are dropped, as upstream does. Returns 0. */
int kapi_rest_track_fields(struct kapi_req *r, const struct kapi_value *old, struct kapi_value *obj);

/* subresource.c: status and scale. */
bool kapi_sub_is(const struct kapi_req *r, const char *name);
/* What a GET of the (sub)resource returns for obj: obj itself, or its Scale. */
struct kapi_value *kapi_sub_view(struct kapi_req *r, struct kapi_value *obj);
/* The full object to store when view (a body or patched view) is written
 * to the (sub)resource whose stored state is old. Takes parts of view
 * (a status write's status): view is not to be used afterwards. */
struct kapi_value *kapi_sub_merge(struct kapi_req *r, const struct kapi_value *old, struct kapi_value *view);
/* Checks a Scale body; -1 when a 422 was sent. */
int kapi_sub_validate(struct kapi_req *r, struct kapi_value *view);

/* True for core/v1 services (which allocate IPs and ports). */
bool kapi_rest_is_service(const struct kapi_req *r);
/* After obj (of the request's kind) left storage: gives back what it held in
 * the namespace's ResourceQuotas. */
void kapi_rest_quota_release(struct kapi_req *r, const struct kapi_value *obj);

/* podsub.c: pods/binding (pod_name from the URL, or NULL for the bindings
 * resource, where the Binding names the pod) and pods/eviction. */
void kapi_handle_binding(struct kapi_req *r, const char *pod_name);
void kapi_handle_eviction(struct kapi_req *r);

/* tokenrequest.c */
void kapi_handle_token_request(struct kapi_req *r);
bool kapi_handle_openid(struct kapi_req *r); /* true when the path was one of the issuer documents */

/* health.c, version */
bool kapi_handle_health(struct kapi_req *r);
void kapi_handle_version(struct kapi_req *r);

#endif
