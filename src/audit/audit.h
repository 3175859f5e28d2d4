/* audit: kube-apiserver's audit log (--audit-policy-file, --audit-log-path):
 * an audit.k8s.io/v1 Policy decides per request the level (None, Metadata,
 * Request, RequestResponse) and the stages to leave out, and every stage
 * (RequestReceived, ResponseStarted for long-running requests,
 * ResponseComplete) becomes one audit.k8s.io/v1 Event, one JSON object per
 * line, in a file rotated by size (--audit-log-maxsize, --audit-log-maxbackup).
 * Design: docs/internals/audit.md. */
#ifndef KAPI_AUDIT_H
#define KAPI_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/base.h"

enum kapi_audit_level { KAPI_AUDIT_NONE, KAPI_AUDIT_METADATA, KAPI_AUDIT_REQUEST, KAPI_AUDIT_REQUEST_RESPONSE };

enum kapi_audit_stage {
    KAPI_AUDIT_REQUEST_RECEIVED = 1 << 0,
    KAPI_AUDIT_RESPONSE_STARTED = 1 << 1,
    KAPI_AUDIT_RESPONSE_COMPLETE = 1 << 2,
    KAPI_AUDIT_PANIC = 1 << 3,
};

struct kapi_audit;

struct kapi_audit_opts {
    const char *policy_file;  /* required */
    const char *log_path;     /* "-" = standard output */
    int max_size_mb;          /* rotate past this size; 0 = never */
    int max_backups;          /* rotated files kept; 0 = all */
};
/* NULL with err set when the policy cannot be read or is invalid (upstream's
 * messages where it has them) or the log cannot be opened. */
struct kapi_audit *kapi_audit_new(const struct kapi_audit_opts *o, char *err, size_t errlen);
void kapi_audit_free(struct kapi_audit *a);

/* What the policy rules look at. */
struct kapi_audit_attrs {
    const char *user;
    const char *const *groups;
    size_t ngroups;
    const char *verb;                /* "get", ... or the lowercased method for non-resource requests */
    bool resource_request;
    const char *group, *resource, *subresource, *ns, *name;
    const char *path;                /* for non-resource requests */
};
/* The level for a request and the stages to leave out (the rule's
 * omitStages plus the policy's). */
enum kapi_audit_level kapi_audit_decide(const struct kapi_audit *a, const struct kapi_audit_attrs *at,
                                        unsigned *omit_stages, bool *omit_managed_fields);

/* One event, written as a line. Strings may be NULL (left out). */
struct kapi_audit_event {
    enum kapi_audit_level level;
    const char *audit_id;
    enum kapi_audit_stage stage;
    const char *request_uri;
    const char *verb;
    const char *user, *uid;
    const char *const *groups;
    size_t ngroups;
    const char *const *extra_keys, *const *extra_values; /* user.Info extra, one pair per value */
    size_t nextra;
    const char *impersonated_user;  /* when the request impersonated someone */
    const char *const *impersonated_groups;
    size_t nimpersonated_groups;
    const char *source_ip;
    const char *user_agent;
    bool has_object_ref;
    const char *ref_resource, *ref_namespace, *ref_name, *ref_group, *ref_version, *ref_subresource;
    int code;                       /* 0: no responseStatus (RequestReceived) */
    const char *status_reason, *status_message; /* for failures, from the Status sent */
    const char *request_object;     /* JSON text (Request and up) */
    size_t request_object_len;
    const char *response_object;    /* JSON text (RequestResponse) */
    size_t response_object_len;
    int64_t received_us, stage_us;  /* wall clock, microseconds */
    const char *decision, *reason;  /* authorization annotations */
    const char *const (*annotations)[2]; /* more annotations (admission plugins) */
    size_t nannotations;
};
void kapi_audit_write(struct kapi_audit *a, const struct kapi_audit_event *ev);

#endif
