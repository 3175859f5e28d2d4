/* Pieces shared by the verb handlers: consistent reads, storage keys,
 * storage errors as Statuses, selector filters, namespace checks. */
#include <string.h>

#include "../api/selector.h"
#include "../api/names.h"
#include "../api/status.h"
#include "../admission/admission.h"
#include "../registry/events.h"
#include "../schema/typed.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"
#include "../apply/ssa.h"
#include "../registry/objectmeta.h"

int kapi_rest_sync(struct kapi_req *r)
{
    int err = kapi_cache_sync(r->srv->cache, 10000);
    if (err == 0)
        return 0;
    if (err > 0)
        kapi_rest_store_error(r, err, r->name);
    else
        kapi_respond_error(r, 504, "Timeout", "Timeout: request did not complete within the allotted timeout");
    return -1;
}

char *kapi_rest_key(struct kapi_req *r, const char *name)
{
    return kapi_registry_key(r->pool, r->kind, r->kind->res->namespaced ? r->ns : "", name);
}

void kapi_rest_store_error(struct kapi_req *r, int err, const char *name)
{
    const struct kapi_kind *k = r->kind;
    const char *group = k ? k->group : "";
    const char *resource = k ? k->resource : r->resource;
    name = name ? name : "";
    switch (err) {
    case KAPI_STORE_NOT_FOUND:
        kapi_respond_status(r, kapi_status_not_found(r->pool, group, resource, name));
        return;
    case KAPI_STORE_EXISTS:
        kapi_respond_status(r, kapi_status_already_exists(r->pool, group, resource, name));
        return;
    case KAPI_STORE_CONFLICT:
        kapi_respond_status(r, kapi_status_conflict(r->pool, group, resource, name, KAPI_CONFLICT_MODIFIED));
        return;
    case KAPI_STORE_COMPACTED:
        kapi_respond_status(r, kapi_status_expired(r->pool, "The resourceVersion for the provided list is too old."));
        return;
    case KAPI_STORE_UNAVAILABLE:
        kapi_respond_status(r, kapi_status_service_unavailable(r->pool, "storage is unavailable"));
        return;
    case KAPI_STORE_TIMEOUT:
        kapi_respond_error(r, 504, "Timeout", "Timeout: request did not complete within the allotted timeout");
        return;
    default:
        kapi_respond_status(r, kapi_status_internal(r->pool, kapi_store_strerror(err)));
    }
}

struct kapi_rest_filter {
    struct kapi_label_selector *labels;
    struct kapi_field_selector *fields;
    const char *ns;
};

static const char *field_of(void *ctx, const char *field)
{
    const struct kapi_cobj *o = ctx;
    if (strcmp(field, "metadata.name") == 0)
        return o->name;
    if (strcmp(field, "metadata.namespace") == 0)
        return o->ns;
    return kapi_cobj_field(o, field);
}

static bool rest_match(void *ctx, const struct kapi_cobj *o)
{
    struct kapi_rest_filter *f = ctx;
    if (f->labels && !kapi_label_selector_matches(f->labels, o->labels))
        return false;
    if (f->fields && !kapi_field_selector_matches(f->fields, field_of, (void *)o))
        return false;
    return true;
}

struct kapi_rest_filter *kapi_rest_filter_new(struct kapi_req *r)
{
    struct kapi_rest_filter *f = kapi_pool_calloc(r->pool, sizeof(*f));
    const char *ls = kapi_req_param(r, "labelSelector");
    const char *fs = kapi_req_param(r, "fieldSelector");
    const char *err = NULL;
    if (ls && *ls) {
        f->labels = kapi_label_selector_parse(r->pool, ls, strlen(ls), &err);
        if (!f->labels) {
            kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "unable to parse requirement: %s", err ? err : ls));
            return NULL;
        }
        if (kapi_label_selector_empty(f->labels))
            f->labels = NULL;
    }
    if (fs && *fs) {
        f->fields = kapi_field_selector_parse(r->pool, fs, strlen(fs), &err);
        if (!f->fields) {
            kapi_respond_error(r, 400, "BadRequest", err ? err : "invalid field selector");
            return NULL;
        }
        for (size_t i = 0; i < f->fields->nterms; i++) {
            const char *fld = f->fields->terms[i].field;
            bool known = strcmp(fld, "metadata.name") == 0 || strcmp(fld, "metadata.namespace") == 0;
            for (const char *const *kf = r->kind->fields; !known && kf && *kf; kf++)
                known = strcmp(*kf, fld) == 0;
            if (!known) {
                kapi_respond_error(r, 400, "BadRequest",
                                   kapi_pool_printf(r->pool, "field label not supported: %s", fld));
                return NULL;
            }
        }
        if (kapi_field_selector_empty(f->fields))
            f->fields = NULL;
        /* selectors on a view name the view's fields; objects carry the
         * stored kind's */
        if (f->fields && r->kind->view_in)
            for (size_t i = 0; i < f->fields->nterms; i++)
                f->fields->terms[i].field = kapi_event_v1_field_to_core(r->pool, f->fields->terms[i].field);
    }
    return f;
}

bool kapi_rest_filter_selects(const struct kapi_rest_filter *f)
{
    return f->labels || f->fields;
}

void kapi_rest_filter_apply(struct kapi_rest_filter *f, struct kapi_cache_filter *cf)
{
    if (f->labels || f->fields) {
        cf->match = rest_match;
        cf->ctx = f;
    }
}

/* The namespace as the cache has it: NULL if missing, *terminating. */
/* Whether r's namespace is in the cache, and whether it is terminating:
 * its status.phase is one of the cached field-selector values, so the
 * object is not decoded. */
static bool cached_namespace(struct kapi_req *r, bool *terminating)
{
    const struct kapi_kind *nsk = kapi_registry_find(r->srv->registry, "", "v1", "namespaces");
    struct kapi_cobj *ns = kapi_rcache_get(nsk->rc, kapi_registry_key(r->pool, nsk, "", r->ns));
    *terminating = false;
    if (!ns)
        return false;
    const char *phase = kapi_cobj_field(ns, "status.phase");
    *terminating = phase && strcmp(phase, "Terminating") == 0;
    kapi_cobj_unref(ns);
    return true;
}

int kapi_rest_check_namespace(struct kapi_req *r)
{
    if (!r->kind->res->namespaced)
        return 0;
    /* From the cache, as upstream's plugin reads its informer; only a miss
     * (or a terminating namespace) waits for the cache to hold every
     * acknowledged write and looks again, so a namespace created just
     * before (through any instance) is seen, and the common case costs no
     * round trip to the store. */
    bool create = strcmp(r->verb, "create") == 0;
    bool terminating;
    bool found = cached_namespace(r, &terminating);
    if (!found || (create && terminating)) {
        if (kapi_rest_sync(r) < 0)
            return -1;
        found = cached_namespace(r, &terminating);
    }
    if (!found) {
        kapi_respond_status(r, kapi_status_not_found(r->pool, "", "namespaces", r->ns));
        return -1;
    }
    if (create && terminating) {
        /* NamespaceLifecycle's answer */
        struct kapi_status *st = kapi_status_forbidden(
            r->pool, r->kind->group, r->kind->resource, r->name ? r->name : "",
            kapi_pool_printf(r->pool, "unable to create new content in namespace %s because it is being terminated", r->ns));
        kapi_status_add_cause(r->pool, st, "NamespaceTerminating",
                              kapi_pool_printf(r->pool, "namespace %s is being terminated", r->ns), "metadata.namespace");
        kapi_respond_status(r, st);
        return -1;
    }
    return 0;
}

static const char *typed_prefix(struct kapi_req *r)
{
    return kapi_pool_printf(r->pool, "%s in version \"%s\" cannot be handled as a %s: ", r->kind->kind,
                            r->kind->version, r->kind->kind);
}

/* kapi_typed_check of a built-in kind's object; -1 with the 400 sent. */
static int typed_check(struct kapi_req *r, struct kapi_value *obj, const struct kapi_json_dup *dups,
                       struct kapi_typed_result *res)
{
    if (kapi_typed_check(r->pool, r->kind->msg, obj, dups, res) < 0) {
        kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "%s%s", typed_prefix(r), res->type_error));
        return -1;
    }
    return 0;
}

int kapi_rest_canonical(struct kapi_req *r, struct kapi_value *obj)
{
    struct kapi_typed_result res;
    if (!r->kind || r->kind->crd || !r->kind->msg)
        return 0;
    return typed_check(r, obj, NULL, &res);
}

int kapi_rest_typed(struct kapi_req *r, struct kapi_value *obj, const struct kapi_json_dup *dups,
                    const char *options_kind)
{
    enum kapi_field_validation fv;
    const char *fvs = kapi_req_param(r, "fieldValidation");
    if (kapi_field_validation_parse(fvs, KAPI_FV_WARN, &fv) < 0) {
        struct kapi_field_errors errs = {0};
        static const char *const valid[] = {"Ignore", "Strict", "Warn"};
        kapi_ferr_not_supported(r->pool, &errs, "fieldValidation", fvs, valid, 3);
        kapi_respond_status(r, kapi_status_invalid(r->pool, "meta.k8s.io", options_kind, "", &errs));
        return -1;
    }
    if (r->kind && r->kind->crd) {
        /* custom resources: pruning reports what the schema does not know */
        struct kapi_strlist unknown = {0};
        kapi_crd_decode(r->pool, r->kind, obj, &unknown);
        if (unknown.len && fv == KAPI_FV_STRICT) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_printf(&b, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ", r->kind->kind,
                            r->kind->version, r->kind->kind);
            for (size_t i = 0; i < unknown.len; i++)
                kapi_buf_printf(&b, "%sunknown field \"%s\"", i ? ", " : "", unknown.items[i]);
            kapi_respond_error(r, 400, "BadRequest", kapi_pool_strndup(r->pool, b.data, b.len));
            kapi_buf_dispose(&b);
            return -1;
        }
        if (fv == KAPI_FV_WARN)
            for (size_t i = 0; i < unknown.len; i++)
                kapi_req_warn(r, kapi_pool_printf(r->pool, "unknown field \"%s\"", unknown.items[i]));
        return 0;
    }
    if (!r->kind || !r->kind->msg)
        return 0;
    struct kapi_typed_result res;
    if (typed_check(r, obj, dups, &res) < 0)
        return -1;
    if (res.nunknown && fv == KAPI_FV_STRICT) {
        const char *prefix = typed_prefix(r);
        kapi_respond_error(r, 400, "BadRequest",
                           kapi_pool_printf(r->pool, "%s%s", prefix, kapi_typed_strict_message(r->pool, &res)));
        return -1;
    }
    if (fv == KAPI_FV_WARN)
        for (size_t i = 0; i < res.nunknown; i++)
            kapi_req_warn(r, res.unknown[i]);
    return 0;
}

struct kapi_value *kapi_rest_view(struct kapi_req *r, struct kapi_pool *pool, struct kapi_value *v, bool answer)
{
    if (!r->kind || !r->kind->view_out || !v)
        return v;
    struct kapi_value *out = r->kind->view_out(pool, r->kind, v);
    if (!out && answer)
        kapi_respond_error(r, 500, "InternalError", kapi_crd_view_error());
    return out;
}

static void adm_warn(void *ctx, const char *msg)
{
    kapi_req_warn(ctx, msg);
}

static void adm_annotate(void *ctx, const char *key, const char *value)
{
    struct kapi_req *r = ctx;
    if (r->nannotations < KAPI_MAX_ANNOTATIONS) {
        r->annotations[r->nannotations][0] = kapi_pool_strdup(r->pool, key);
        r->annotations[r->nannotations][1] = kapi_pool_strdup(r->pool, value);
        r->nannotations++;
    }
}

struct kapi_admission_opts kapi_rest_admission_opts(struct kapi_req *r)
{
    return (struct kapi_admission_opts){.version = r->kind ? r->kind->version : NULL, .warn = adm_warn, .warn_ctx = r,
                                        .annotate = adm_annotate};
}

int kapi_rest_admit_delete(struct kapi_req *r, const struct kapi_value *cur, bool answer)
{
    if (!r->srv->admission || !r->kind)
        return 0;
    struct kapi_admission_opts ao = kapi_rest_admission_opts(r);
    struct kapi_status *st = NULL;
    const char *name = kapi_value_cstr(kapi_value_path(cur, "metadata", "name", NULL));
    if (kapi_admission_delete(r->srv->admission, r->pool, r->kind->group, r->kind->resource, r->subresource, r->ns,
                              name ? name : (r->name ? r->name : ""), cur, &r->user, kapi_rest_dry_run(r), &ao,
                              &st) < 0) {
        if (answer)
            kapi_respond_status(r, st);
        return -1;
    }
    return 0;
}

const char *kapi_rest_manager(struct kapi_req *r)
{
    const char *m = kapi_req_param(r, "fieldManager");
    if (m && *m)
        return m;
    return kapi_ssa_manager_from_user_agent(r->pool, kapi_http_header(r->http, "User-Agent"));
}

int kapi_rest_check_manager(struct kapi_req *r, const char *options_kind, bool apply)
{
    struct kapi_field_errors errs = {0};
    const char *m = kapi_req_param(r, "fieldManager");
    if (apply && (!m || !*m))
        kapi_ferr_required(r->pool, &errs, "fieldManager", "is required for apply patch");
    else if (m && strlen(m) > 128)
        kapi_ferr_too_long(r->pool, &errs, "fieldManager", 128);
    const char *force = kapi_req_param(r, "force");
    if (force && !apply)
        kapi_ferr_forbidden(r->pool, &errs, "force", "may not be specified for non-apply patch");
    if (!errs.len)
        return 0;
    kapi_respond_status(r, kapi_status_invalid(r->pool, "meta.k8s.io", options_kind, "", &errs));
    return -1;
}

static struct kapi_ssa_type ssa_type(const struct kapi_kind *k)
{
    if (k->crd)
        return kapi_ssa_type_crd(k->crd->schema);
    return kapi_ssa_type_builtin(k->msg);
}

int kapi_rest_track_fields(struct kapi_req *r, const struct kapi_value *old, struct kapi_value *obj)
{
    if (r->fields_tracked || !r->kind || (!r->kind->msg && !r->kind->crd))
        return 0;
    const char *err = NULL;
    /* A kind that is a view of another's storage (events.k8s.io/v1 Events):
     * fields are owned as the request's version writes them, as upstream
     * computes them on the object in the request's version; the result is
     * copied back into obj's metadata. */
    struct kapi_value *target = obj;
    if (r->kind->view_in && r->kind->view_out) {
        target = r->kind->view_out(r->pool, r->kind, obj);
        old = old ? r->kind->view_out(r->pool, r->kind, old) : NULL;
        if (!target)
            target = obj;
    }
    int rc = kapi_ssa_update(r->pool, ssa_type(r->kind), r->kind->api_version, old, target, kapi_rest_manager(r),
                             r->subresource ? r->subresource : "", kapi_meta_now(r->pool), &err);
    if (target != obj) {
        struct kapi_value *md = kapi_obj_ensure_obj(r->pool, obj, "metadata");
        const struct kapi_value *mf = kapi_value_path(target, "metadata", "managedFields", NULL);
        if (mf)
            kapi_obj_set(r->pool, md, "managedFields", (struct kapi_value *)mf);
        else
            kapi_obj_del(md, "managedFields");
    }
    if (rc < 0) {
        /* as upstream: garbage is dropped rather than stored */
        kapi_log(1, "managedFields of %s/%s not tracked: %s", r->kind->resource, r->name ? r->name : "",
                 err ? err : "?");
        kapi_obj_del(kapi_obj_get(obj, "metadata"), "managedFields");
    }
    return 0;
}

bool kapi_rest_is_service(const struct kapi_req *r)
{
    return r->kind && r->kind->group[0] == 0 && strcmp(r->kind->resource, "services") == 0 && r->srv->svc_alloc;
}

void kapi_rest_quota_release(struct kapi_req *r, const struct kapi_value *obj)
{
    if (r->srv->admission && r->kind && r->ns && r->ns[0])
        kapi_quota_release(r->srv->admission, r->pool, r->kind->group, r->kind->resource, r->ns, obj);
}
