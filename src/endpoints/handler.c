/* The request pipeline: limits, authentication, authorization, in-flight
 * caps, then routing to health, discovery or a resource verb. */
#include <ctype.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "../api/names.h"
#include "../api/status.h"
#include "../auth/node_authz.h"
#include "../auth/rbac.h"
#include "../apiext/crd.h"
#include "../audit/audit.h"
#include "../auth/impersonate.h"
#include "../codec/json.h"
#include "discovery.h"
#include "openapi.h"
#include "openapi_pb.h"
#include "../registry/warnings.h"
#include "endpoints_int.h"

/* Anyone may read these (upstream's system:public-info-viewer). */
static bool public_path(const char *p)
{
    static const char *const prefixes[] = {"/healthz", "/livez", "/readyz", "/version"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(prefixes); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(p, prefixes[i], n) == 0 && (p[n] == 0 || p[n] == '/'))
            return true;
    }
    return false;
}

static bool discovery_path(const char *p)
{
    return kapi_streq(p, "/api") || strncmp(p, "/api/", 5) == 0 || kapi_streq(p, "/apis") ||
           strncmp(p, "/apis/", 6) == 0;
}


static const char *http_verb(const char *method)
{
    if (kapi_streq(method, "GET") || kapi_streq(method, "HEAD"))
        return "get";
    if (kapi_streq(method, "POST"))
        return "post";
    if (kapi_streq(method, "PUT"))
        return "put";
    if (kapi_streq(method, "PATCH"))
        return "patch";
    if (kapi_streq(method, "DELETE"))
        return "delete";
    return "unknown";
}

/* One authorization decision for an attribute set: AlwaysAllow, or RBAC
 * (which lets system:masters through and holds upstream's bootstrap
 * policy: discovery, basic-user, public-info-viewer, ...). */
static void log_request(struct kapi_req *r, int64_t start);

/* The authorizers run in --authorization-mode order (Node, then RBAC, by
 * default) as upstream's union: the first allow wins; otherwise the reasons
 * the authorizers gave are joined with newlines. Node only judges kubelets
 * and never denies. With Node alone (no RBAC, no AlwaysAllow) only
 * system:masters gets past it, upstream's privileged-group authorizer. */
static bool decide(struct kapi_req *r, const struct kapi_authz_attrs *a, const char **reason)
{
    *reason = "";
    struct kapi_node_authz *na = r->srv->node_authz;
    if (!r->srv->rbac && !na)
        return true; /* --authorization-mode=AlwaysAllow */
    /* the request's own attributes carry its field selector (list/watch of
     * the pods of one node); other checks (impersonation, reviews) do not */
    const char *fs = a->resource_request && a->verb == r->verb && a->resource == r->resource
                         ? kapi_req_param(r, "fieldSelector")
                         : NULL;
    const char *why[2];
    size_t nwhy = 0;
    bool node_first = !kapi_node_authz_after_rbac(na);
    for (int step = 0; step < 2; step++) {
        const char *rs = "";
        bool ok = false;
        if ((step == 0) == node_first) {
            bool decided = false;
            if (!na)
                continue;
            ok = kapi_node_authorize_sel(na, r->pool, a, fs, &rs, &decided);
        } else {
            if (!r->srv->rbac)
                continue;
            ok = kapi_rbac_authorize(r->srv->rbac, r->pool, a, &rs);
        }
        if (ok) {
            *reason = rs ? rs : "";
            return true;
        }
        if (rs && *rs)
            why[nwhy++] = rs;
    }
    if (!r->srv->rbac && a->user)
        for (size_t i = 0; i < a->user->ngroups; i++)
            if (kapi_streq(a->user->groups[i], "system:masters"))
                return true;
    if (nwhy == 1)
        *reason = why[0];
    else if (nwhy == 2)
        *reason = kapi_pool_printf(r->pool, "%s\n%s", why[0], why[1]);
    return false;
}

static void attrs_of(struct kapi_req *r, bool resource_request, struct kapi_authz_attrs *a)
{
    memset(a, 0, sizeof(*a));
    a->user = &r->user;
    a->resource_request = resource_request;
    if (resource_request) {
        a->verb = r->verb;
        a->group = r->group;
        a->resource = r->resource;
        a->subresource = r->subresource ? r->subresource : "";
        a->ns = r->ns;
        a->name = r->name ? r->name : "";
    } else {
        a->verb = http_verb(r->http->method);
        a->path = r->http->path;
    }
}

static bool authorize(struct kapi_req *r, bool resource_request)
{
    struct kapi_authz_attrs a;
    attrs_of(r, resource_request, &a);
    const char *reason = "";
    bool ok = decide(r, &a, &reason);
    r->authz_reason = reason;
    r->authz_decided = true;
    r->authz_allowed = ok;
    return ok;
}

static void forbid(struct kapi_req *r, bool resource_request)
{
    const char *reason = r->authz_reason ? r->authz_reason : "";
    if (resource_request) {
        kapi_respond_status(r, kapi_status_forbidden_authz(r->pool, r->user.name, r->verb, r->group, r->resource,
                                                           r->subresource, r->ns, r->name, NULL, reason));
        return;
    }
    kapi_respond_status(r, kapi_status_forbidden_authz(r->pool, r->user.name, http_verb(r->http->method), NULL, NULL,
                                                       NULL, NULL, NULL, r->http->path, reason));
}

/* Impersonation (Impersonate-User / -Group / -Uid headers, kubectl --as):
 * the caller needs the "impersonate" verb on each thing it asks to be;
 * then the request runs as that user. 0, or -1 when a Status was sent. */
static int impersonate(struct kapi_req *r)
{
    struct kapi_impersonation imp;
    int rc = kapi_impersonation_parse(r->pool, r->http->headers, r->http->nheaders, &imp);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        kapi_respond_error(r, 500, "InternalError", imp.error);
        return -1;
    }
    for (size_t i = 0; i < imp.nchecks; i++) {
        const struct kapi_impersonation_check *c = &imp.checks[i];
        struct kapi_authz_attrs a = {.user = &r->user, .resource_request = true, .verb = "impersonate",
                                     .group = c->group, .resource = c->resource, .subresource = c->subresource,
                                     .ns = c->ns, .name = c->name};
        const char *reason = "";
        if (!decide(r, &a, &reason)) {
            kapi_respond_status(r, kapi_status_forbidden_authz(r->pool, r->user.name, "impersonate", c->group,
                                                               c->resource, c->subresource[0] ? c->subresource : NULL,
                                                               c->ns, c->name, NULL, reason));
            return -1;
        }
    }
    r->user = imp.user;
    return 0;
}

static void not_found(struct kapi_req *r)
{
    struct kapi_status *st = kapi_status_new(r->pool, 404, "NotFound", "the server could not find the requested resource");
    st->has_details = true;
    kapi_respond_status(r, st);
}

static void serve_discovery(struct kapi_req *r)
{
    struct kapi_discovery_reply rep;
    int st = kapi_discovery_serve(atomic_load(&r->srv->discovery), r->http->path, kapi_http_header(r->http, "Accept"),
                                  kapi_http_header(r->http, "If-None-Match"), &rep);
    if (st == 0) {
        not_found(r);
        return;
    }
    struct kapi_http_header h[4];
    size_t n = 0;
    if (rep.etag)
        h[n++] = (struct kapi_http_header){"Etag", rep.etag};
    if (rep.vary_accept)
        h[n++] = (struct kapi_http_header){"Vary", "Accept"};
    if (rep.cache_control)
        h[n++] = (struct kapi_http_header){"Cache-Control", rep.cache_control};
    kapi_respond_raw(r, rep.status, rep.content_type, rep.body ? rep.body->data : "", rep.body ? rep.body->len : 0, h,
                     n);
}

static void serve_openapi(struct kapi_req *r)
{
    /* /openapi/v2 comes as JSON or as gnostic protobuf, whichever Accept
     * lists first. */
    const char *accept = kapi_http_header(r->http, "Accept");
    bool protobuf = false;
    if (kapi_streq(r->http->path, "/openapi/v2") && accept && *accept) {
        const char *pb = strstr(accept, KAPI_OPENAPI_PB_ACCEPT_AT);
        if (!pb)
            pb = strstr(accept, KAPI_OPENAPI_PB_ACCEPT_DOT);
        const char *js = strstr(accept, "json");
        const char *any = strstr(accept, "*/*");
        if (!js && any)
            js = any;
        if (pb && (!js || pb < js))
            protobuf = true;
        else if (!js && !strstr(accept, "application/*")) {
            kapi_respond_error(r, 406, "NotAcceptable",
                               "only the following media types are accepted: application/json, " KAPI_OPENAPI_PB_CONTENT_TYPE);
            return;
        }
    }
    struct kapi_openapi_reply rep;
    kapi_openapi_serve(atomic_load(&r->srv->openapi), r->http->path, kapi_req_param(r, "hash"), kapi_http_header(r->http, "If-None-Match"),
                       protobuf, &rep);
    if (rep.status == 404) {
        kapi_respond_raw(r, 404, "text/plain; charset=utf-8", "404 page not found\n", 19, NULL, 0);
        return;
    }
    struct kapi_http_header h[3];
    size_t n = 0;
    h[n++] = (struct kapi_http_header){"Etag", rep.etag};
    if (rep.immutable)
        h[n++] = (struct kapi_http_header){"Cache-Control", "public, immutable"};
    if (kapi_streq(r->http->path, "/openapi/v2"))
        h[n++] = (struct kapi_http_header){"Vary", "Accept"};
    kapi_respond_raw(r, rep.status, protobuf ? KAPI_OPENAPI_PB_CONTENT_TYPE : "application/json",
                     rep.body ? rep.body->data : "", rep.body ? rep.body->len : 0, h, n);
}

static bool long_running(const struct kapi_req *r)
{
    if (!r->is_resource)
        return false;
    if (kapi_streq(r->verb, "watch"))
        return true;
    static const char *const subs[] = {"proxy", "log", "exec", "attach", "portforward"};
    for (size_t i = 0; r->subresource && i < KAPI_ARRAY_LEN(subs); i++)
        if (strcmp(r->subresource, subs[i]) == 0)
            return true;
    return false;
}

static bool mutating(const char *method)
{
    return !kapi_streq(method, "GET") && !kapi_streq(method, "HEAD") && !kapi_streq(method, "OPTIONS");
}

/* authentication.k8s.io/v1 SelfSubjectReview: who the caller is. */
/* user.Info extra as upstream's JSON: {key: [values...]}, keys sorted. */
static struct kapi_value *user_extra(struct kapi_pool *p, const struct kapi_user *u)
{
    struct kapi_value *ex = kapi_value_object(p);
    for (size_t i = 0; i < u->nextra; i++) {
        struct kapi_value *vals = kapi_obj_get(ex, u->extra_keys[i]);
        if (!vals) {
            vals = kapi_value_array(p);
            kapi_obj_set(p, ex, u->extra_keys[i], vals);
        }
        kapi_arr_push(p, vals, kapi_value_str(p, u->extra_values[i]));
    }
    for (size_t i = 1; i < ex->u.obj.len; i++)
        for (size_t j = i; j > 0 && strcmp(ex->u.obj.members[j - 1].key, ex->u.obj.members[j].key) > 0; j--) {
            struct kapi_member t = ex->u.obj.members[j];
            ex->u.obj.members[j] = ex->u.obj.members[j - 1];
            ex->u.obj.members[j - 1] = t;
        }
    return ex;
}

static void self_subject_review(struct kapi_req *r)
{
    struct kapi_pool *p = r->pool;
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, "SelfSubjectReview"));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "authentication.k8s.io/v1"));
    struct kapi_value *md = kapi_value_object(p);
    kapi_obj_set(p, md, "creationTimestamp", kapi_value_null(p));
    kapi_obj_set(p, o, "metadata", md);
    struct kapi_value *ui = kapi_value_object(p);
    kapi_obj_set(p, ui, "username", kapi_value_str(p, r->user.name));
    if (r->user.uid && r->user.uid[0])
        kapi_obj_set(p, ui, "uid", kapi_value_str(p, r->user.uid));
    struct kapi_value *groups = kapi_value_array(p);
    for (size_t i = 0; i < r->user.ngroups; i++)
        kapi_arr_push(p, groups, kapi_value_str(p, r->user.groups[i]));
    kapi_obj_set(p, ui, "groups", groups);
    if (r->user.nextra)
        kapi_obj_set(p, ui, "extra", user_extra(p, &r->user));
    struct kapi_value *st = kapi_value_object(p);
    kapi_obj_set(p, st, "userInfo", ui);
    kapi_obj_set(p, o, "status", st);
    kapi_respond_value(r, 201, o);
}

/* authorization.k8s.io/v1 SelfSubjectAccessReview: would the caller be
 * allowed? Answered by the same decision the request pipeline makes. */
/* authorization.k8s.io/v1 access reviews: would a user be allowed? kind is
 * SelfSubjectAccessReview (the caller), SubjectAccessReview (anyone, named
 * in spec) or LocalSubjectAccessReview (anyone, in the URL's namespace).
 * Answered by the same decision the request pipeline makes. */
static void access_review(struct kapi_req *r, const char *kind)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    struct kapi_pool *p = r->pool;
    bool self = kapi_streq(kind, "SelfSubjectAccessReview");
    bool local = kapi_streq(kind, "LocalSubjectAccessReview");
    struct kapi_value *spec = kapi_obj_get(body, "spec");
    struct kapi_value *ra = kapi_obj_get(spec, "resourceAttributes");
    struct kapi_value *nra = kapi_obj_get(spec, "nonResourceAttributes");
    struct kapi_user subject = r->user;
    if (!self) {
        subject.name = kapi_obj_get_str(spec, "user");
        subject.uid = kapi_obj_get_str(spec, "uid") ? kapi_obj_get_str(spec, "uid") : "";
        struct kapi_value *g = kapi_obj_get(spec, "groups");
        size_t ng = g && g->type == KAPI_V_ARRAY ? g->u.arr.len : 0;
        subject.groups = kapi_pool_alloc(p, (ng ? ng : 1) * sizeof(*subject.groups));
        subject.ngroups = 0;
        for (size_t i = 0; i < ng; i++)
            if (kapi_value_cstr(g->u.arr.items[i]))
                subject.groups[subject.ngroups++] = kapi_value_cstr(g->u.arr.items[i]);
        if ((!subject.name || !*subject.name) && subject.ngroups == 0) {
            struct kapi_field_errors errs = {0};
            kapi_ferr_invalid(p, &errs, "spec.user", "", "at least one of user or group must be specified");
            kapi_respond_status(r, kapi_status_invalid(p, "authorization.k8s.io", kind, "", &errs));
            return;
        }
        if (!subject.name)
            subject.name = "";
    }
    if (local) {
        const char *ns = kapi_obj_get_str(ra, "namespace");
        if (nra || !ra || !ns || strcmp(ns, r->ns) != 0) {
            struct kapi_field_errors errs = {0};
            kapi_ferr_invalid(p, &errs, "spec.resourceAttributes.namespace", ns ? ns : "", "must match metadata.namespace");
            kapi_respond_status(r, kapi_status_invalid(p, "authorization.k8s.io", kind, "", &errs));
            return;
        }
    }
    struct kapi_authz_attrs a = {.user = &subject};
    if (nra) {
        a.verb = kapi_obj_get_str(nra, "verb");
        a.path = kapi_obj_get_str(nra, "path");
    } else {
        a.resource_request = true;
        a.verb = kapi_obj_get_str(ra, "verb");
        a.group = kapi_obj_get_str(ra, "group");
        a.resource = kapi_obj_get_str(ra, "resource");
        a.subresource = kapi_obj_get_str(ra, "subresource");
        a.ns = kapi_obj_get_str(ra, "namespace");
        a.name = kapi_obj_get_str(ra, "name");
    }
    if (!a.verb)
        a.verb = "";
    if (a.resource_request) {
        a.group = a.group ? a.group : "";
        a.resource = a.resource ? a.resource : "";
        a.subresource = a.subresource ? a.subresource : "";
        a.ns = a.ns ? a.ns : "";
        a.name = a.name ? a.name : "";
    } else if (!a.path) {
        a.path = "";
    }
    const char *reason = "";
    bool allowed = decide(r, &a, &reason);
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, kind));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "authorization.k8s.io/v1"));
    struct kapi_value *md = kapi_value_object(p);
    if (local)
        kapi_obj_set(p, md, "namespace", kapi_value_str(p, r->ns));
    kapi_obj_set(p, md, "creationTimestamp", kapi_value_null(p));
    kapi_obj_set(p, o, "metadata", md);
    kapi_obj_set(p, o, "spec", spec ? spec : kapi_value_object(p));
    struct kapi_value *st = kapi_value_object(p);
    kapi_obj_set(p, st, "allowed", kapi_value_bool(p, allowed));
    if (reason && reason[0])
        kapi_obj_set(p, st, "reason", kapi_value_str(p, reason));
    kapi_obj_set(p, o, "status", st);
    kapi_respond_value(r, 201, o);
}

/* authorization.k8s.io/v1 SelfSubjectRulesReview: everything the caller may
 * do in a namespace (kubectl auth can-i --list). */
static void self_subject_rules_review(struct kapi_req *r)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    struct kapi_pool *p = r->pool;
    struct kapi_value *spec = kapi_obj_get(body, "spec");
    const char *ns = kapi_obj_get_str(spec, "namespace");
    struct kapi_value *res = kapi_value_array(p), *urls = kapi_value_array(p);
    if (r->srv->rbac) {
        kapi_rbac_rules(r->srv->rbac, p, &r->user, ns ? ns : "", res, urls);
    } else {
        /* AlwaysAllow: everything */
        struct kapi_value *o = kapi_value_object(p);
        struct kapi_value *star = kapi_value_array(p);
        kapi_arr_push(p, star, kapi_value_str(p, "*"));
        kapi_obj_set(p, o, "verbs", star);
        kapi_obj_set(p, o, "apiGroups", star);
        kapi_obj_set(p, o, "resources", star);
        kapi_arr_push(p, res, o);
    }
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, "SelfSubjectRulesReview"));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "authorization.k8s.io/v1"));
    struct kapi_value *md = kapi_value_object(p);
    kapi_obj_set(p, md, "creationTimestamp", kapi_value_null(p));
    kapi_obj_set(p, o, "metadata", md);
    kapi_obj_set(p, o, "spec", spec ? spec : kapi_value_object(p));
    struct kapi_value *st = kapi_value_object(p);
    kapi_obj_set(p, st, "resourceRules", res);
    kapi_obj_set(p, st, "nonResourceRules", urls);
    kapi_obj_set(p, st, "incomplete", kapi_value_bool(p, false));
    kapi_obj_set(p, o, "status", st);
    kapi_respond_value(r, 201, o);
}

/* authentication.k8s.io/v1 TokenReview: who does a bearer token belong to
 * (what webhook authenticators and aggregated servers ask). */
static void token_review(struct kapi_req *r)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    struct kapi_pool *p = r->pool;
    struct kapi_value *spec = kapi_obj_get(body, "spec");
    const char *token = kapi_obj_get_str(spec, "token");
    if (!token || !*token) {
        struct kapi_field_errors errs = {0};
        kapi_ferr_required(p, &errs, "spec.token", "");
        kapi_respond_status(r, kapi_status_invalid(p, "authentication.k8s.io", "TokenReview", "", &errs));
        return;
    }
    struct kapi_user u = {0};
    enum kapi_authn_result ar =
        kapi_authn_authenticate(r->srv->authn, p, NULL, kapi_pool_printf(p, "Bearer %s", token), &u);
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, "TokenReview"));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "authentication.k8s.io/v1"));
    struct kapi_value *md = kapi_value_object(p);
    kapi_obj_set(p, md, "creationTimestamp", kapi_value_null(p));
    kapi_obj_set(p, o, "metadata", md);
    kapi_obj_set(p, o, "spec", spec);
    struct kapi_value *st = kapi_value_object(p);
    struct kapi_value *user = kapi_value_object(p);
    if (ar == KAPI_AUTHN_OK) {
        kapi_obj_set(p, st, "authenticated", kapi_value_bool(p, true));
        kapi_obj_set(p, user, "username", kapi_value_str(p, u.name));
        if (u.uid && *u.uid)
            kapi_obj_set(p, user, "uid", kapi_value_str(p, u.uid));
        struct kapi_value *groups = kapi_value_array(p);
        for (size_t i = 0; i < u.ngroups; i++)
            kapi_arr_push(p, groups, kapi_value_str(p, u.groups[i]));
        kapi_obj_set(p, user, "groups", groups);
        if (u.nextra)
            kapi_obj_set(p, user, "extra", user_extra(p, &u));
        kapi_obj_set(p, st, "user", user);
        struct kapi_value *auds = kapi_obj_get(spec, "audiences");
        if (!auds || auds->type != KAPI_V_ARRAY || !auds->u.arr.len) {
            auds = kapi_value_array(p);
            kapi_arr_push(p, auds, kapi_value_str(p, r->srv->sa_issuer ? r->srv->sa_issuer : ""));
        }
        kapi_obj_set(p, st, "audiences", auds);
    } else {
        kapi_obj_set(p, st, "user", user);
        kapi_obj_set(p, st, "error", kapi_value_str(p, "invalid bearer token"));
    }
    kapi_obj_set(p, o, "status", st);
    kapi_respond_value(r, 201, o);
}

static void serve_resource(struct kapi_req *r)
{
    if (!kapi_registry_version_served(r->srv->registry, r->group, r->version)) {
        not_found(r);
        return;
    }
    const char *full = r->subresource ? kapi_pool_printf(r->pool, "%s/%s", r->resource, r->subresource) : r->resource;
    r->res = kapi_registry_find_resource(r->srv->registry, r->group, r->version, full);
    r->kind = kapi_registry_find(r->srv->registry, r->group, r->version, r->resource);
    if (!r->res || !r->kind) {
        not_found(r);
        return;
    }
    if (r->kind->crd && r->kind->crd->deprecation_warning)
        kapi_req_warn(r, r->kind->crd->deprecation_warning);
    else if (!r->kind->crd && kapi_resource_deprecation(r->group, r->version, r->resource))
        kapi_req_warn(r, kapi_resource_deprecation(r->group, r->version, r->resource));
    /* Names must be usable as one path segment. */
    if (r->name) {
        const char *msgs[KAPI_NAME_MSGS_MAX];
        size_t nm = kapi_name_path_segment(r->name, false, msgs);
        if (nm) {
            kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "invalid resource name %s: %s",
                                                                      kapi_go_quote(r->pool, r->name, strlen(r->name)), msgs[0]));
            return;
        }
    }
    const char *verb = r->verb;
    /* list/watch/deletecollection across namespaces use the cluster path;
     * a namespaced object by name needs a namespace. */
    if (r->res->namespaced && !r->ns[0] && r->name) {
        not_found(r);
        return;
    }
    if (!r->res->namespaced && r->ns[0]) {
        not_found(r);
        return;
    }
    if (kapi_streq(r->group, "authentication.k8s.io") && kapi_streq(r->resource, "selfsubjectreviews") &&
        kapi_streq(verb, "create")) {
        self_subject_review(r);
        return;
    }
    if (kapi_streq(r->group, "authorization.k8s.io") && kapi_streq(verb, "create")) {
        static const char *const reviews[][2] = {{"selfsubjectaccessreviews", "SelfSubjectAccessReview"},
                                                 {"subjectaccessreviews", "SubjectAccessReview"},
                                                 {"localsubjectaccessreviews", "LocalSubjectAccessReview"}};
        for (size_t i = 0; i < KAPI_ARRAY_LEN(reviews); i++)
            if (strcmp(r->resource, reviews[i][0]) == 0) {
                access_review(r, reviews[i][1]);
                return;
            }
        if (kapi_streq(r->resource, "selfsubjectrulesreviews")) {
            self_subject_rules_review(r);
            return;
        }
    }
    if (kapi_streq(r->group, "authentication.k8s.io") && kapi_streq(r->resource, "tokenreviews") &&
        kapi_streq(verb, "create")) {
        token_review(r);
        return;
    }
    if (r->group[0] == 0 && kapi_streq(r->resource, "bindings") && kapi_streq(verb, "create") && !r->name) {
        kapi_handle_binding(r, NULL);
        return;
    }
    bool allowed = kapi_resource_has_verb(r->res, verb);
    if (kapi_streq(verb, "watch") && r->name && kapi_resource_has_verb(r->res, "watch"))
        allowed = true;
    if (kapi_streq(verb, "create") && r->name && !r->subresource)
        allowed = false; /* POST to an object */
    if (!allowed || !(r->kind->flags & KAPI_KIND_STORED)) {
        kapi_respond_status(r, kapi_status_method_not_supported(r->pool, r->group, full, verb));
        return;
    }
    if (r->group[0] == 0 && kapi_streq(r->resource, "serviceaccounts") && kapi_sub_is(r, "token") &&
        kapi_streq(verb, "create")) {
        kapi_handle_token_request(r);
        return;
    }
    if (r->group[0] == 0 && kapi_streq(r->resource, "pods") && kapi_streq(verb, "create") &&
        (kapi_sub_is(r, "binding") || kapi_sub_is(r, "eviction"))) {
        if (kapi_sub_is(r, "binding"))
            kapi_handle_binding(r, r->name);
        else
            kapi_handle_eviction(r);
        return;
    }
    if (kapi_is_connect(r)) {
        kapi_handle_connect(r);
        return;
    }
    static const char *const write_subs[] = {"status", "scale", "finalize", "ephemeralcontainers", "approval"};
    bool known_sub = false;
    for (size_t i = 0; r->subresource && i < KAPI_ARRAY_LEN(write_subs); i++)
        known_sub |= strcmp(r->subresource, write_subs[i]) == 0;
    if (r->subresource && (!known_sub ||
                           (!kapi_streq(verb, "get") && !kapi_streq(verb, "update") && !kapi_streq(verb, "patch")))) {
        /* Anything else on a subresource is not served. */
        kapi_respond_status(r, kapi_status_method_not_supported(r->pool, r->group, full, verb));
        return;
    }
    if (kapi_streq(verb, "get"))
        kapi_handle_get(r);
    else if (kapi_streq(verb, "list"))
        kapi_handle_list(r);
    else if (kapi_streq(verb, "watch"))
        kapi_handle_watch(r);
    else if (kapi_streq(verb, "create") && r->kind->crd && !r->subresource && kapi_crd_terminating(r->kind)) {
        /* upstream's custom resource handler: no new objects while the
         * CRD is terminating (updates, patches and deletes go on) */
        struct kapi_status *st = kapi_status_method_not_supported(r->pool, r->group, r->resource, verb);
        st->message = kapi_pool_printf(r->pool, "%s not allowed while custom resource definition is terminating", verb);
        kapi_respond_status(r, st);
    } else if (kapi_streq(verb, "create"))
        kapi_handle_create(r);
    else if (kapi_streq(verb, "update"))
        kapi_handle_update(r);
    else if (kapi_streq(verb, "patch"))
        kapi_handle_patch(r);
    else if (kapi_streq(verb, "delete"))
        kapi_handle_delete(r);
    else if (kapi_streq(verb, "deletecollection"))
        kapi_handle_deletecollection(r);
    else
        kapi_respond_status(r, kapi_status_method_not_supported(r->pool, r->group, full, verb));
}

static void log_request(struct kapi_req *r, int64_t start)
{
    if (!KAPI_LOG_ENABLED(2))
        return;
    kapi_log(2, "%s %s user=%s remote=%s %lldms", r->http->method, r->http->target, r->user.name ? r->user.name : "-",
             r->http->remote_addr ? r->http->remote_addr : "-", (long long)(kapi_now_ms() - start));
}

static int64_t now_us(void);
static void audit_begin(struct kapi_req *r, bool resource_request);

/* The event of one stage: who, what, and (from ResponseStarted on) the answer. */
static void audit_event(struct kapi_req *r, struct kapi_audit_event *ev, enum kapi_audit_stage stage)
{
    memset(ev, 0, sizeof(*ev));
    const struct kapi_user *u = r->impersonated ? &r->requester : &r->user;
    ev->level = (enum kapi_audit_level)r->audit_level;
    ev->audit_id = r->audit_id;
    ev->stage = stage;
    ev->request_uri = r->http->target;
    ev->verb = r->audit_verb;
    ev->user = u->name;
    ev->uid = u->uid;
    ev->groups = u->groups;
    ev->ngroups = u->ngroups;
    ev->extra_keys = u->extra_keys;
    ev->extra_values = u->extra_values;
    ev->nextra = u->nextra;
    if (r->impersonated) {
        ev->impersonated_user = r->user.name;
        ev->impersonated_groups = r->user.groups;
        ev->nimpersonated_groups = r->user.ngroups;
    }
    const char *ra = r->http->remote_addr;
    if (ra) {
        const char *colon = strrchr(ra, ':');
        const char *ip = colon ? kapi_pool_strndup(r->pool, ra, (size_t)(colon - ra)) : ra;
        if (ip[0] == '[' && ip[strlen(ip) - 1] == ']')
            ip = kapi_pool_strndup(r->pool, ip + 1, strlen(ip) - 2);
        ev->source_ip = ip;
    }
    ev->user_agent = kapi_http_header(r->http, "User-Agent");
    if (r->audit_resource && r->resource) {
        ev->has_object_ref = true;
        ev->ref_resource = r->resource;
        ev->ref_namespace = r->ns;
        ev->ref_name = r->name;
        ev->ref_group = r->group;
        ev->ref_version = r->version;
        ev->ref_subresource = r->subresource;
    }
    const char *ct = kapi_http_header(r->http, "Content-Type");
    if (r->http->body && r->http->body_len && ct && strstr(ct, "json") && r->audit_level >= KAPI_AUDIT_REQUEST) {
        ev->request_object = r->http->body;
        ev->request_object_len = r->http->body_len;
    }
    ev->received_us = r->received_us;
    ev->stage_us = now_us();
    if (stage == KAPI_AUDIT_REQUEST_RECEIVED)
        return;
    ev->code = r->resp_code ? r->resp_code : 200;
    if (r->resp_body && r->resp_len && r->resp_ctype && strncmp(r->resp_ctype, "application/json", 16) == 0) {
        if (r->audit_level >= KAPI_AUDIT_REQUEST_RESPONSE && stage == KAPI_AUDIT_RESPONSE_COMPLETE) {
            ev->response_object = r->resp_body;
            ev->response_object_len = r->resp_len;
            while (ev->response_object_len && ev->response_object[ev->response_object_len - 1] == '\n')
                ev->response_object_len--;
        }
        if (ev->code >= 300) {
            struct kapi_json_error je;
            struct kapi_value *st = kapi_json_parse(r->pool, r->resp_body, r->resp_len, NULL, &je);
            ev->status_reason = kapi_obj_get_str(st, "reason");
            ev->status_message = kapi_obj_get_str(st, "message");
        }
    }
    if (r->authz_decided) {
        ev->decision = r->authz_allowed ? "allow" : "forbid";
        ev->reason = r->authz_reason ? r->authz_reason : "";
    }
    ev->annotations = (const char *const(*)[2])r->annotations;
    ev->nannotations = r->nannotations;
}

static void handle(struct kapi_req *r, int64_t start)
{
    struct kapi_http_request *http = r->http;
    if (kapi_parse_query(r->pool, http->query, &r->params, &r->nparams) < 0) {
        r->params = NULL;
        r->nparams = 0;
        audit_begin(r, false);
        kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "invalid query string: %s", http->query));
        return;
    }
    if (http->error == KAPI_HTTP_BODY_TOO_LARGE) {
        audit_begin(r, false);
        kapi_respond_status(r, kapi_status_entity_too_large(r->pool, "limit is 3145728"));
        return;
    }
    enum kapi_authn_result ar = kapi_authn_authenticate(r->srv->authn, r->pool, &http->peer,
                                                         kapi_http_header(http, "Authorization"), &r->user);
    if (ar == KAPI_AUTHN_INVALID) {
        r->user = (struct kapi_user){0};
        r->requester = r->user;
        audit_begin(r, false); /* failed authentication is audited too, with no user */
        kapi_respond_status(r, kapi_status_unauthorized(r->pool, "Unauthorized"));
        return;
    }
    r->requester = r->user;
    if (impersonate(r) < 0) {
        log_request(r, start);
        return;
    }
    r->impersonated = r->user.name != r->requester.name;
    if (public_path(http->path)) {
        audit_begin(r, false);
        if (strncmp(http->path, "/version", 8) == 0)
            kapi_handle_version(r);
        else if (!kapi_handle_health(r))
            not_found(r);
        log_request(r, start);
        return;
    }
    bool resource_request = kapi_request_info(r) == 0;
    audit_begin(r, resource_request);
    if (!resource_request && (kapi_streq(http->path, "/.well-known/openid-configuration") ||
                              kapi_streq(http->path, "/openid/v1/jwks"))) {
        /* granted by system:service-account-issuer-discovery */
        if (authorize(r, false))
            kapi_handle_openid(r);
        else
            forbid(r, false);
        log_request(r, start);
        return;
    }
    if (!authorize(r, resource_request)) {
        forbid(r, resource_request);
        log_request(r, start);
        return;
    }
    bool lr = long_running(r);
    bool mut = mutating(http->method);
    _Atomic int *counter = mut ? &r->srv->mutating_inflight : &r->srv->inflight;
    int limit = mut ? r->srv->max_mutating_inflight : r->srv->max_inflight;
    if (!lr) {
        int now = atomic_fetch_add(counter, 1) + 1;
        if (limit > 0 && now > limit) {
            atomic_fetch_sub(counter, 1);
            kapi_respond_status(r, kapi_status_too_many_requests(r->pool, "Too many requests, please try again later.", 1));
            log_request(r, start);
            return;
        }
    }
    if (resource_request) {
        /* The connect subresources answer in the backend's own format:
         * Accept is not negotiated (their errors are JSON). */
        if (kapi_is_connect(r) || kapi_negotiate_output(r) == 0)
            serve_resource(r);
    } else if (discovery_path(http->path)) {
        serve_discovery(r);
    } else if ((strncmp(http->path, "/openapi/v3", 11) == 0 && (http->path[11] == 0 || http->path[11] == '/')) ||
               kapi_streq(http->path, "/openapi/v2")) {
        serve_openapi(r);
    } else {
        kapi_respond_raw(r, 404, "text/plain; charset=utf-8", "404 page not found\n", 19, NULL, 0);
    }
    if (!lr)
        atomic_fetch_sub(counter, 1);
    log_request(r, start);
}

/* ---- audit ---- */

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The policy's decision for this request, and the RequestReceived event. */
static void audit_begin(struct kapi_req *r, bool resource_request)
{
    if (!r->srv->audit || r->audit_begun)
        return;
    r->audit_begun = true;
    const struct kapi_user *u = r->impersonated ? &r->requester : &r->user;
    char method[16];
    size_t i = 0;
    for (; r->http->method[i] && i < sizeof(method) - 1; i++)
        method[i] = (char)tolower((unsigned char)r->http->method[i]);
    method[i] = 0;
    struct kapi_audit_attrs at = {
        .user = u->name, .groups = u->groups, .ngroups = u->ngroups,
        .verb = resource_request && r->verb ? r->verb : kapi_pool_strdup(r->pool, method),
        .resource_request = resource_request, .group = r->group, .resource = r->resource,
        .subresource = r->subresource, .ns = r->ns, .name = r->name, .path = r->http->path};
    bool omit_mf = false;
    r->audit_level = (int)kapi_audit_decide(r->srv->audit, &at, &r->audit_omit, &omit_mf);
    r->audit_verb = at.verb;
    r->audit_resource = resource_request;
    if (r->audit_level == KAPI_AUDIT_NONE || (r->audit_omit & KAPI_AUDIT_REQUEST_RECEIVED))
        return;
    struct kapi_audit_event ev;
    audit_event(r, &ev, KAPI_AUDIT_REQUEST_RECEIVED);
    kapi_audit_write(r->srv->audit, &ev);
}

void kapi_audit_response_started(struct kapi_req *r, int code)
{
    r->resp_code = code;
    r->resp_body = NULL;
    if (!r->audit_begun || r->audit_level == KAPI_AUDIT_NONE || (r->audit_omit & KAPI_AUDIT_RESPONSE_STARTED))
        return;
    struct kapi_audit_event ev;
    audit_event(r, &ev, KAPI_AUDIT_RESPONSE_STARTED);
    kapi_audit_write(r->srv->audit, &ev);
}

static void audit_finish(struct kapi_req *r)
{
    if (!r->audit_begun || r->audit_level == KAPI_AUDIT_NONE || (r->audit_omit & KAPI_AUDIT_RESPONSE_COMPLETE))
        return;
    struct kapi_audit_event ev;
    audit_event(r, &ev, KAPI_AUDIT_RESPONSE_COMPLETE);
    kapi_audit_write(r->srv->audit, &ev);
}

void kapi_endpoints_handle(void *ctx, struct kapi_http_request *http)
{
    int64_t start = kapi_now_ms();
    struct kapi_req r = {.srv = ctx, .http = http, .pool = http->pool, .fmt = KAPI_FMT_JSON};
    r.received_us = now_us();
    const char *aid = kapi_http_header(http, "Audit-ID");
    if (aid && *aid && strlen(aid) <= 128)
        r.audit_id = aid;
    handle(&r, start);
    audit_finish(&r);
}
