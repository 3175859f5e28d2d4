/* UPDATE (PUT of a whole object) and the storage step it shares with
 * PATCH: optimistic concurrency on resourceVersion, no-op detection, and
 * finishing a deletion once the last finalizer is gone. */
#include <stdlib.h>
#include <string.h>

#include "../admission/admission.h"
#include "../api/status.h"
#include "../auth/rbac_escalation.h"
#include "../registry/core/services.h"
#include "../registry/objectmeta.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"

static bool has_finalizers(const struct kapi_value *obj)
{
    struct kapi_value *f = kapi_value_path(obj, "metadata", "finalizers", NULL);
    return f && f->type == KAPI_V_ARRAY && f->u.arr.len > 0;
}

int kapi_rest_store_update(struct kapi_req *r, struct kapi_value *obj, const struct kapi_cobj *current, bool retry)
{
    struct kapi_value *md = kapi_obj_get(obj, "metadata");
    const char *rvs = kapi_obj_get_str(md, "resourceVersion");
    int64_t expect = current->mod_rev;
    if (rvs && rvs[0]) {
        char *end;
        long long v = strtoll(rvs, &end, 10);
        if (*end || v <= 0) {
            struct kapi_field_errors errs = {0};
            kapi_ferr_invalid(r->pool, &errs, "metadata.resourceVersion", rvs, "must be a valid resource version");
            kapi_respond_status(r, kapi_status_invalid(r->pool, r->kind->group, r->kind->kind, r->name, &errs));
            return KAPI_STORE_IO;
        }
        expect = v;
    }
    if (expect != current->mod_rev) {
        if (!retry)
            kapi_rest_store_error(r, KAPI_STORE_CONFLICT, r->name);
        return KAPI_STORE_CONFLICT;
    }
    struct kapi_value *old = kapi_cobj_value(current, r->pool);
    /* As for create: field tracking, mutating admission, escalation
     * checks, the strategy's preparation and validation, validating
     * admission (upstream's order inside its update). */
    kapi_rest_track_fields(r, old, obj);
    struct kapi_admission_opts ao = kapi_rest_admission_opts(r);
    if (r->srv->admission) {
        struct kapi_status *st = NULL;
        if (kapi_admission_mutate_ex(r->srv->admission, r->pool, r->kind->group, r->kind->resource, r->subresource,
                                     r->ns, obj, old, &r->user, kapi_rest_dry_run(r), &ao, &st) < 0) {
            kapi_respond_status(r, st);
            return KAPI_STORE_IO;
        }
    }
    struct kapi_status *est = NULL; /* RBAC escalation prevention (rbac_escalation.h) */
    struct kapi_rbac_write ew = {&r->user, r->kind->group, r->kind->resource, r->ns, r->name, r->name, obj, old};
    if (r->srv->rbac && kapi_rbac_check_escalation(r->srv->rbac, r->pool, &ew, &est) < 0) {
        kapi_respond_status(r, est);
        return KAPI_STORE_IO;
    }
    struct kapi_field_errors errs = {0};
    struct kapi_warnings warns = {0};
    kapi_meta_validate_update(r->pool, r->kind->storage_kind ? r->kind->storage_kind : r->kind, obj, old,
                              r->subresource, &errs, &warns);
    for (size_t i = 0; i < warns.len; i++)
        kapi_req_warn(r, warns.items[i]);
    if (errs.len) {
        kapi_respond_status(r, kapi_status_invalid(r->pool, r->kind->group, r->kind->kind, r->name, &errs));
        return KAPI_STORE_IO;
    }
    md = kapi_obj_get(obj, "metadata");
    bool deleting = kapi_obj_get(md, "deletionTimestamp") != NULL && !has_finalizers(obj);
    if (deleting && r->kind->group[0] == 0 && strcmp(r->kind->resource, "namespaces") == 0) {
        /* a namespace also waits for its spec finalizers (namespaces/finalize) */
        struct kapi_value *sf = kapi_value_path(obj, "spec", "finalizers", NULL);
        deleting = !sf || sf->type != KAPI_V_ARRAY || sf->u.arr.len == 0;
    }
    if (r->srv->admission) {
        struct kapi_status *st = NULL;
        if (kapi_admission_validate_ex(r->srv->admission, r->pool, r->kind->group, r->kind->resource,
                                       r->subresource, r->ns, obj, old, &r->user, kapi_rest_dry_run(r), &ao,
                                       &st) < 0) {
            kapi_respond_status(r, st);
            return KAPI_STORE_IO;
        }
    }
    /* Nothing changed once every step ran (managedFields a client left out
     * come from the stored object): upstream answers with the stored
     * object and writes nothing. */
    if (old && kapi_value_equal(old, obj)) {
        kapi_respond_object_json(r, 200, current->json->data, current->json->len);
        return 0;
    }
    bool svc = kapi_rest_is_service(r) && !r->subresource;
    if (svc) {
        struct kapi_field_errors serrs = {0};
        int rc = kapi_svc_alloc_update(r->srv->svc_alloc, r->pool, obj, old, kapi_rest_dry_run(r), &serrs);
        if (rc) {
            kapi_respond_status(r, kapi_svc_alloc_status(r->pool, rc, r->name, &serrs));
            return KAPI_STORE_IO;
        }
    }
    if (kapi_rest_dry_run(r)) {
        kapi_rest_respond_written(r, 200, obj, current->mod_rev);
        return 0;
    }
    const char *cerr = NULL;
    if (r->kind->crd && kapi_crd_to_storage(r->pool, r->kind, obj, &cerr) < 0) {
        kapi_respond_error(r, 500, "InternalError", cerr);
        return -1;
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(obj, &b);
    struct kapi_write w = {
        .op = deleting ? KAPI_WRITE_DELETE : KAPI_WRITE_UPDATE,
        .key = current->key,
        .value = b.data,
        .len = b.len,
        .expect_mod_rev = expect,
    };
    struct kapi_write_result res = {0};
    int err = kapi_store_write(r->srv->store, &w, &res);
    kapi_buf_dispose(&b);
    if (svc) {
        /* free what only the version that did not win holds */
        if (err) {
            kapi_svc_alloc_release_diff(r->srv->svc_alloc, obj, old);
        } else {
            kapi_svc_alloc_release_diff(r->srv->svc_alloc, old, obj);
            if (deleting)
                kapi_svc_alloc_release(r->srv->svc_alloc, obj);
        }
    }
    if (!err && deleting && !r->subresource)
        kapi_rest_quota_release(r, obj);
    if (err == KAPI_STORE_CONFLICT && retry) {
        kapi_write_result_dispose(&res);
        return err;
    }
    if (err)
        kapi_rest_store_error(r, err, r->name);
    else
        kapi_rest_respond_written(r, 200, obj, res.rev);
    kapi_write_result_dispose(&res);
    return err;
}

void kapi_handle_update(struct kapi_req *r)
{
    if (kapi_rest_check_dry_run(r) < 0 || kapi_rest_check_manager(r, "UpdateOptions", false) < 0)
        return;
    struct kapi_value *obj = kapi_decode_body(r);
    if (!obj)
        return;
    if (kapi_sub_is(r, "scale")) {
        const char *av = kapi_obj_get_str(obj, "apiVersion"), *kind = kapi_obj_get_str(obj, "kind");
        if ((av && strcmp(av, "autoscaling/v1") != 0) || (kind && strcmp(kind, "Scale") != 0)) {
            kapi_respond_error(r, 400, "BadRequest", "the body must be an autoscaling/v1 Scale");
            return;
        }
        if (kapi_sub_validate(r, obj) < 0)
            return;
    } else if (kapi_check_body_gvk(r, obj) < 0 || kapi_rest_typed(r, obj, r->body_dups, "UpdateOptions") < 0) {
        return;
    }
    const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
    if (!name || strcmp(name, r->name) != 0) {
        kapi_respond_error(r, 400, "BadRequest",
                           kapi_pool_printf(r->pool, "the name of the object (%s) does not match the name on the URL (%s)",
                                            name ? name : "", r->name));
        return;
    }
    if (kapi_rest_sync(r) < 0)
        return;
    struct kapi_cobj *cur = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
    if (!cur) {
        kapi_rest_store_error(r, KAPI_STORE_NOT_FOUND, r->name);
        return;
    }
    struct kapi_value *old = kapi_cobj_value(cur, r->pool);
    if (r->kind->view_in)
        obj = r->kind->view_in(r->pool, r->kind, obj);
    obj = kapi_sub_merge(r, old, obj);
    const char *bad = NULL;
    if (kapi_meta_default_update(r->pool, r->kind->storage_kind ? r->kind->storage_kind : r->kind, obj, old, r->ns,
                                 &bad) < 0)
        kapi_respond_error(r, 400, "BadRequest", bad);
    else
        kapi_rest_store_update(r, obj, cur, false);
    kapi_cobj_unref(cur);
}
