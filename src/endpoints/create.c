/* CREATE (POST to a collection). */
#include <stdio.h>
#include <string.h>

#include "../api/names.h"
#include "../admission/admission.h"
#include "../api/status.h"
#include "../auth/rbac_escalation.h"
#include "../registry/core/services.h"
#include "../registry/kinds.h"
#include "../registry/objectmeta.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"

/* The body's apiVersion/kind must name what the URL names (when given). */
int kapi_check_body_gvk(struct kapi_req *r, struct kapi_value *obj)
{
    const char *av = kapi_obj_get_str(obj, "apiVersion");
    const char *kind = kapi_obj_get_str(obj, "kind");
    if (av && av[0] && strcmp(av, r->kind->api_version) != 0) {
        kapi_respond_error(r, 400, "BadRequest",
                           kapi_pool_printf(r->pool, "the API version in the data (%s) does not match the expected API version (%s)",
                                            av, r->kind->api_version));
        return -1;
    }
    if (kind && kind[0] && strcmp(kind, r->kind->kind) != 0) {
        kapi_respond_error(r, 400, "BadRequest",
                           kapi_pool_printf(r->pool, "the kind in the data (%s) does not match the expected kind (%s)", kind,
                                            r->kind->kind));
        return -1;
    }
    return 0;
}

/* Writes obj (prepared) to storage and answers with it at its new
 * revision. */
void kapi_rest_respond_written(struct kapi_req *r, int code, struct kapi_value *obj, int64_t rev)
{
    struct kapi_value *md = kapi_obj_ensure_obj(r->pool, obj, "metadata");
    kapi_obj_set(r->pool, md, "resourceVersion", kapi_value_str(r->pool, kapi_pool_printf(r->pool, "%lld", (long long)rev)));
    kapi_meta_canonicalize(r->pool, obj);
    if (r->kind->view_out && !(obj = kapi_rest_view(r, r->pool, obj, true)))
        return;
    obj = kapi_sub_view(r, obj);
    if (r->as == KAPI_AS_TABLE) {
        const char *rvs = kapi_obj_get_str(md, "resourceVersion");
        kapi_respond_value(r, code, kapi_table_for_objects(r, &obj, 1, rvs, NULL, 0));
        return;
    }
    if (r->as == KAPI_AS_PARTIAL) {
        kapi_respond_value(r, code, kapi_partial_object(r, obj));
        return;
    }
    kapi_respond_value(r, code, obj);
}

bool kapi_rest_dry_run(struct kapi_req *r)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, "dryRun") == 0 && strcmp(r->params[i].value, "All") == 0)
            return true;
    return false;
}

int kapi_rest_check_dry_run(struct kapi_req *r)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->params[i].name, "dryRun") == 0 && strcmp(r->params[i].value, "All") != 0) {
            struct kapi_field_errors errs = {0};
            static const char *const valid[] = {"All"};
            kapi_ferr_not_supported(r->pool, &errs, "dryRun", r->params[i].value, valid, 1);
            kapi_respond_error(r, 400, "BadRequest", kapi_field_errors_aggregate(r->pool, &errs));
            return -1;
        }
    return 0;
}

void kapi_handle_create(struct kapi_req *r)
{
    if (kapi_rest_check_dry_run(r) < 0 || kapi_rest_check_manager(r, "CreateOptions", false) < 0)
        return;
    struct kapi_value *obj = kapi_decode_body(r);
    if (!obj || kapi_check_body_gvk(r, obj) < 0 || kapi_rest_typed(r, obj, r->body_dups, "CreateOptions") < 0)
        return;
    /* POST to a name (/pods/x) is not create; the router sends those away. */
    kapi_rest_create(r, obj);
}

void kapi_rest_create(struct kapi_req *r, struct kapi_value *obj)
{
    if (r->kind->view_in)
        obj = r->kind->view_in(r->pool, r->kind, obj);
    const struct kapi_kind *sk = r->kind->storage_kind ? r->kind->storage_kind : r->kind;
    const char *given_name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL)); /* before generateName */
    /* Upstream's order: decode and defaults, field tracking, mutating
     * admission (NamespaceLifecycle first), escalation checks, the
     * strategy's preparation and validation (422), validating admission. */
    const char *bad = NULL;
    if (kapi_meta_default_create(r->pool, sk, obj, r->ns, &bad) < 0) {
        kapi_respond_error(r, 400, "BadRequest", bad);
        return;
    }
    if (kapi_rest_check_namespace(r) < 0)
        return;
    kapi_rest_track_fields(r, NULL, obj);
    struct kapi_admission_opts ao = kapi_rest_admission_opts(r);
    if (r->srv->admission) {
        struct kapi_status *st = NULL;
        if (kapi_admission_mutate_ex(r->srv->admission, r->pool, r->kind->group, r->kind->resource, NULL, r->ns, obj,
                                     NULL, &r->user, kapi_rest_dry_run(r), &ao, &st) < 0) {
            kapi_respond_status(r, st);
            return;
        }
    }
    struct kapi_status *est = NULL; /* RBAC escalation prevention (rbac_escalation.h) */
    struct kapi_rbac_write ew = {&r->user, r->kind->group, r->kind->resource, r->ns, r->name, given_name, obj, NULL};
    if (r->srv->rbac && kapi_rbac_check_escalation(r->srv->rbac, r->pool, &ew, &est) < 0) {
        kapi_respond_status(r, est);
        return;
    }
    kapi_kind_prepare_create_user(r->pool, sk, obj, &r->user);
    struct kapi_field_errors errs = {0};
    struct kapi_warnings warns = {0};
    kapi_meta_validate_create(r->pool, sk, obj, &errs, &warns);
    for (size_t i = 0; i < warns.len; i++)
        kapi_req_warn(r, warns.items[i]);
    const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    if (errs.len) {
        kapi_respond_status(r, kapi_status_invalid(r->pool, r->kind->group, r->kind->kind, name ? name : "", &errs));
        return;
    }
    if (r->srv->admission) {
        struct kapi_status *st = NULL;
        if (kapi_admission_validate_ex(r->srv->admission, r->pool, r->kind->group, r->kind->resource, NULL, r->ns,
                                       obj, NULL, &r->user, kapi_rest_dry_run(r), &ao, &st) < 0) {
            kapi_respond_status(r, st);
            return;
        }
    }
    bool svc = kapi_rest_is_service(r);
    if (svc) {
        struct kapi_field_errors serrs = {0};
        int rc = kapi_svc_alloc_create(r->srv->svc_alloc, r->pool, obj, kapi_rest_dry_run(r), &serrs);
        if (rc) {
            kapi_respond_status(r, kapi_svc_alloc_status(r->pool, rc, name, &serrs));
            return;
        }
    }
    if (kapi_rest_dry_run(r)) {
        kapi_rest_respond_written(r, 201, obj, 0);
        return;
    }
    const char *cerr = NULL;
    if (r->kind->crd && kapi_crd_to_storage(r->pool, r->kind, obj, &cerr) < 0) {
        kapi_respond_error(r, 500, "InternalError", cerr);
        return;
    }
    /* stored in the order it is served, so the cache and the answer can
     * both be the stored bytes with the revision spliced in */
    kapi_meta_canonicalize(r->pool, obj);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {.op = KAPI_WRITE_CREATE, .key = kapi_rest_key(r, name), .value = b.data, .len = b.len};
    struct kapi_cobj_prep *prep = NULL;
    if (r->kind->rc && !r->kind->crd && !r->kind->view_out && !r->kind->storage_kind &&
        (prep = kapi_cache_prepare(r->kind->rc, w.key, b.data, b.len, obj)))
        kapi_cache_offer(r->srv->cache, prep);
    struct kapi_write_result res = {0};
    int err = kapi_store_write(r->srv->store, &w, &res);
    kapi_buf_dispose(&b);
    if (err) {
        kapi_cache_withdraw(r->srv->cache, prep);
        if (svc)
            kapi_svc_alloc_release(r->srv->svc_alloc, obj); /* the object was not stored */
        kapi_rest_store_error(r, err, name);
    } else if (prep && r->fmt == KAPI_FMT_JSON && r->as == KAPI_AS_OBJECT && !r->pretty &&
               (!r->subresource || !r->subresource[0])) {
        struct kapi_blob *json = kapi_cobj_prep_json(prep, res.rev);
        kapi_respond_object_json(r, 201, json->data, json->len);
        kapi_blob_unref(json);
    } else {
        kapi_rest_respond_written(r, 201, obj, res.rev);
    }
    kapi_cobj_prep_unref(prep);
    kapi_write_result_dispose(&res);
}
