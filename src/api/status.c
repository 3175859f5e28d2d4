/* api/status: Status constructors and their serialised layout. */
#include "status.h"

#include <string.h>

static bool set(const char *s) { return s && s[0]; }

/* GroupResource.String() / GroupKind.String(): "name" or "name.group". */
static const char *qualified(struct kapi_pool *pool, const char *group, const char *name)
{
    if (!set(group))
        return name ? name : "";
    return kapi_pool_printf(pool, "%s.%s", name ? name : "", group);
}

static const char *q(struct kapi_pool *pool, const char *s)
{
    return kapi_go_quote(pool, s ? s : "", s ? strlen(s) : 0);
}

static const char *dup_or_null(struct kapi_pool *pool, const char *s)
{
    return s ? kapi_pool_strdup(pool, s) : NULL;
}

struct kapi_status *kapi_status_new(struct kapi_pool *pool, int code, const char *reason, const char *message)
{
    struct kapi_status *st = kapi_pool_calloc(pool, sizeof(*st));
    st->code = code;
    st->status = "Failure";
    st->reason = dup_or_null(pool, reason);
    st->message = dup_or_null(pool, message);
    return st;
}

static struct kapi_status *with_details(struct kapi_pool *pool, int code, const char *reason,
                                        const char *message, const char *group, const char *kind,
                                        const char *name)
{
    struct kapi_status *st = kapi_status_new(pool, code, reason, message);
    st->has_details = true;
    st->group = dup_or_null(pool, group);
    st->kind = dup_or_null(pool, kind);
    st->name = dup_or_null(pool, name);
    return st;
}

void kapi_status_add_cause(struct kapi_pool *pool, struct kapi_status *st, const char *reason,
                           const char *message, const char *field)
{
    if (st->ncauses == st->causes_cap) {
        size_t cap = st->causes_cap ? st->causes_cap * 2 : 4;
        struct kapi_status_cause *c = kapi_pool_alloc(pool, cap * sizeof(*c));
        if (st->ncauses)
            memcpy(c, st->causes, st->ncauses * sizeof(*c));
        st->causes = c;
        st->causes_cap = cap;
    }
    st->has_details = true;
    st->causes[st->ncauses++] = (struct kapi_status_cause){
        dup_or_null(pool, reason), dup_or_null(pool, message), dup_or_null(pool, field)};
}

struct kapi_status *kapi_status_not_found(struct kapi_pool *pool, const char *group, const char *resource,
                                          const char *name)
{
    return with_details(pool, 404, KAPI_REASON_NOT_FOUND,
                        kapi_pool_printf(pool, "%s %s not found", qualified(pool, group, resource), q(pool, name)),
                        group, resource, name);
}

struct kapi_status *kapi_status_already_exists(struct kapi_pool *pool, const char *group, const char *resource,
                                               const char *name)
{
    return with_details(pool, 409, KAPI_REASON_ALREADY_EXISTS,
                        kapi_pool_printf(pool, "%s %s already exists", qualified(pool, group, resource),
                                         q(pool, name)),
                        group, resource, name);
}

struct kapi_status *kapi_status_generate_name_conflict(struct kapi_pool *pool, const char *group,
                                                       const char *resource, const char *name, int retry)
{
    struct kapi_status *st = with_details(
        pool, 409, KAPI_REASON_ALREADY_EXISTS,
        kapi_pool_printf(pool, "%s %s already exists, the server was not able to generate a unique name for the object",
                         qualified(pool, group, resource), q(pool, name)),
        group, resource, name);
    st->retry_after_seconds = retry;
    return st;
}

struct kapi_status *kapi_status_conflict(struct kapi_pool *pool, const char *group, const char *resource,
                                         const char *name, const char *err)
{
    return with_details(pool, 409, KAPI_REASON_CONFLICT,
                        kapi_pool_printf(pool, "Operation cannot be fulfilled on %s %s: %s",
                                         qualified(pool, group, resource), q(pool, name), err ? err : ""),
                        group, resource, name);
}

struct kapi_status *kapi_status_invalid(struct kapi_pool *pool, const char *group, const char *kind,
                                        const char *name, const struct kapi_field_errors *errs)
{
    const char *gk = qualified(pool, group, kind);
    const char *msg;
    if (!errs || errs->len == 0)
        msg = kapi_pool_printf(pool, "%s %s is invalid", gk, q(pool, name));
    else
        msg = kapi_pool_printf(pool, "%s %s is invalid: %s", gk, q(pool, name),
                               kapi_field_errors_aggregate(pool, errs));
    struct kapi_status *st = with_details(pool, 422, KAPI_REASON_INVALID, msg, group, kind, name);
    for (size_t i = 0; errs && i < errs->len; i++)
        kapi_status_add_cause(pool, st, errs->items[i].type, kapi_field_error_body(pool, &errs->items[i]),
                              errs->items[i].field);
    return st;
}

struct kapi_status *kapi_status_bad_request(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 400, KAPI_REASON_BAD_REQUEST, message);
}

struct kapi_status *kapi_status_unauthorized(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 401, KAPI_REASON_UNAUTHORIZED, set(message) ? message : "not authorized");
}

struct kapi_status *kapi_status_forbidden(struct kapi_pool *pool, const char *group, const char *resource,
                                          const char *name, const char *err)
{
    const char *msg;
    if (!set(group) && !set(resource))
        msg = kapi_pool_printf(pool, "forbidden: %s", err ? err : "");
    else if (!set(name))
        msg = kapi_pool_printf(pool, "%s is forbidden: %s", qualified(pool, group, resource), err ? err : "");
    else
        msg = kapi_pool_printf(pool, "%s %s is forbidden: %s", qualified(pool, group, resource), q(pool, name),
                               err ? err : "");
    return with_details(pool, 403, KAPI_REASON_FORBIDDEN, msg, group, resource, name);
}

/* Upstream HTML-escapes &, < and > in the generated part of the message. */
static const char *sanitize(struct kapi_pool *pool, const char *s)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': kapi_buf_puts(&b, "&amp;"); break;
        case '<': kapi_buf_puts(&b, "&lt;"); break;
        case '>': kapi_buf_puts(&b, "&gt;"); break;
        default: kapi_buf_putc(&b, *p);
        }
    }
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

struct kapi_status *kapi_status_forbidden_authz(struct kapi_pool *pool, const char *user, const char *verb,
                                                const char *group, const char *resource,
                                                const char *subresource, const char *namespace_,
                                                const char *name, const char *path, const char *reason)
{
    const char *msg;
    verb = verb ? verb : "";
    if (!resource) {
        msg = kapi_pool_printf(pool, "User %s cannot %s path %s", q(pool, user), verb, q(pool, path));
        group = NULL;
        name = NULL;
    } else {
        const char *res = set(subresource) ? kapi_pool_printf(pool, "%s/%s", resource, subresource) : resource;
        if (set(namespace_))
            msg = kapi_pool_printf(pool, "User %s cannot %s resource %s in API group %s in the namespace %s",
                                   q(pool, user), verb, q(pool, res), q(pool, group), q(pool, namespace_));
        else
            msg = kapi_pool_printf(pool, "User %s cannot %s resource %s in API group %s at the cluster scope",
                                   q(pool, user), verb, q(pool, res), q(pool, group));
    }
    msg = sanitize(pool, msg);
    if (set(reason))
        msg = kapi_pool_printf(pool, "%s: %s", msg, reason);
    return kapi_status_forbidden(pool, group, resource, name, msg);
}

struct kapi_status *kapi_status_method_not_supported(struct kapi_pool *pool, const char *group,
                                                     const char *resource, const char *action)
{
    return with_details(pool, 405, KAPI_REASON_METHOD_NOT_ALLOWED,
                        kapi_pool_printf(pool, "%s is not supported on resources of kind %s", action ? action : "",
                                         q(pool, qualified(pool, group, resource))),
                        group, resource, NULL);
}

static const char *join(struct kapi_pool *pool, const char *const *items, size_t n)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_puts(&b, ", ");
        kapi_buf_puts(&b, items[i]);
    }
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

struct kapi_status *kapi_status_not_acceptable(struct kapi_pool *pool, const char *const *accepted, size_t n)
{
    return kapi_status_new(pool, 406, KAPI_REASON_NOT_ACCEPTABLE,
                           kapi_pool_printf(pool, "only the following media types are accepted: %s",
                                            join(pool, accepted, n)));
}

struct kapi_status *kapi_status_unsupported_media_type(struct kapi_pool *pool, const char *const *accepted,
                                                       size_t n)
{
    return kapi_status_new(
        pool, 415, KAPI_REASON_UNSUPPORTED_MEDIA,
        kapi_pool_printf(pool, "the body of the request was in an unknown format - accepted media types include: %s",
                         join(pool, accepted, n)));
}

struct kapi_status *kapi_status_entity_too_large(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 413, KAPI_REASON_ENTITY_TOO_LARGE,
                           kapi_pool_printf(pool, "Request entity too large: %s", message ? message : ""));
}

struct kapi_status *kapi_status_too_many_requests(struct kapi_pool *pool, const char *message, int retry)
{
    struct kapi_status *st = kapi_status_new(pool, 429, KAPI_REASON_TOO_MANY_REQUESTS, message);
    st->has_details = true;
    st->retry_after_seconds = retry;
    return st;
}

struct kapi_status *kapi_status_gone(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 410, KAPI_REASON_GONE, message);
}

struct kapi_status *kapi_status_expired(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 410, KAPI_REASON_EXPIRED, message);
}

struct kapi_status *kapi_status_too_old_rv(struct kapi_pool *pool, int64_t requested, int64_t current)
{
    return kapi_status_expired(pool, kapi_pool_printf(pool, "too old resource version: %lld (%lld)",
                                                      (long long)requested, (long long)current));
}

struct kapi_status *kapi_status_timeout(struct kapi_pool *pool, const char *message, int retry)
{
    struct kapi_status *st =
        kapi_status_new(pool, 504, KAPI_REASON_TIMEOUT, kapi_pool_printf(pool, "Timeout: %s", message ? message : ""));
    st->has_details = true;
    st->retry_after_seconds = retry;
    return st;
}

struct kapi_status *kapi_status_too_large_rv(struct kapi_pool *pool, int64_t requested, int64_t current,
                                             int retry)
{
    struct kapi_status *st = kapi_status_timeout(
        pool, kapi_pool_printf(pool, "Too large resource version: %lld, current: %lld", (long long)requested,
                               (long long)current),
        retry);
    kapi_status_add_cause(pool, st, "ResourceVersionTooLarge", "Too large resource version", NULL);
    return st;
}

struct kapi_status *kapi_status_server_timeout(struct kapi_pool *pool, const char *group, const char *resource,
                                               const char *operation, int retry)
{
    struct kapi_status *st = with_details(
        pool, 500, KAPI_REASON_SERVER_TIMEOUT,
        kapi_pool_printf(pool, "The %s operation against %s could not be completed at this time, please try again.",
                         operation ? operation : "", qualified(pool, group, resource)),
        group, resource, operation);
    st->retry_after_seconds = retry;
    return st;
}

struct kapi_status *kapi_status_service_unavailable(struct kapi_pool *pool, const char *message)
{
    return kapi_status_new(pool, 503, KAPI_REASON_SERVICE_UNAVAILABLE, message);
}

struct kapi_status *kapi_status_internal(struct kapi_pool *pool, const char *err)
{
    struct kapi_status *st = kapi_status_new(pool, 500, KAPI_REASON_INTERNAL_ERROR,
                                             kapi_pool_printf(pool, "Internal error occurred: %s", err ? err : ""));
    kapi_status_add_cause(pool, st, NULL, err, NULL);
    return st;
}

struct kapi_status *kapi_status_success(struct kapi_pool *pool, int code, const char *group, const char *kind,
                                        const char *name, const char *uid)
{
    struct kapi_status *st = with_details(pool, code, NULL, NULL, group, kind, name);
    st->status = "Success";
    st->uid = dup_or_null(pool, uid);
    return st;
}

static void put_str(struct kapi_pool *pool, struct kapi_value *obj, const char *key, const char *s)
{
    if (set(s))
        kapi_obj_set(pool, obj, key, kapi_value_str(pool, s));
}

struct kapi_value *kapi_status_to_value(struct kapi_pool *pool, const struct kapi_status *st)
{
    struct kapi_value *v = kapi_value_object(pool);
    kapi_obj_set(pool, v, "kind", kapi_value_str(pool, "Status"));
    kapi_obj_set(pool, v, "apiVersion", kapi_value_str(pool, "v1"));
    kapi_obj_set(pool, v, "metadata", kapi_value_object(pool));
    put_str(pool, v, "status", st->status);
    put_str(pool, v, "message", st->message);
    put_str(pool, v, "reason", st->reason);
    if (st->has_details) {
        struct kapi_value *d = kapi_value_object(pool);
        put_str(pool, d, "name", st->name);
        put_str(pool, d, "group", st->group);
        put_str(pool, d, "kind", st->kind);
        put_str(pool, d, "uid", st->uid);
        if (st->ncauses) {
            struct kapi_value *arr = kapi_value_array(pool);
            for (size_t i = 0; i < st->ncauses; i++) {
                struct kapi_value *c = kapi_value_object(pool);
                put_str(pool, c, "reason", st->causes[i].reason);
                put_str(pool, c, "message", st->causes[i].message);
                put_str(pool, c, "field", st->causes[i].field);
                kapi_arr_push(pool, arr, c);
            }
            kapi_obj_set(pool, d, "causes", arr);
        }
        if (st->retry_after_seconds)
            kapi_obj_set(pool, d, "retryAfterSeconds", kapi_value_int(pool, st->retry_after_seconds));
        kapi_obj_set(pool, v, "details", d);
    }
    if (st->code)
        kapi_obj_set(pool, v, "code", kapi_value_int(pool, st->code));
    return v;
}

int kapi_status_code_of(const struct kapi_value *v)
{
    if (!v || v->type != KAPI_V_OBJECT)
        return 0;
    const char *kind = kapi_obj_get_str(v, "kind");
    if (!kind || strcmp(kind, "Status") != 0)
        return 0;
    const struct kapi_value *code = kapi_obj_get(v, "code");
    if (!code || code->type != KAPI_V_INT || code->u.i < 0 || code->u.i > 999)
        return 0;
    return (int)code->u.i;
}
