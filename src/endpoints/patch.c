/* PATCH with JSON patch and JSON merge patch: read the latest object, apply,
 * then store through the update path, retrying on write conflicts as
 * upstream's GuaranteedUpdate does. Strategic merge patch and server-side
 * apply answer 415 until they exist. */
#include <string.h>

#include "../api/status.h"
#include "../codec/json.h"
#include "../codec/patch.h"
#include "../codec/smp.h"
#include "../schema/schema.h"
#include "../registry/objectmeta.h"
#include "endpoints_int.h"

#define PATCH_TYPES "application/json-patch+json, application/merge-patch+json"
#define PATCH_RETRIES 5

enum patch_type { PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC };

static int patch_type_of(const char *ct, enum patch_type *t)
{
    if (!ct)
        return -1;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n == strlen("application/json-patch+json") && strncmp(ct, "application/json-patch+json", n) == 0) {
        *t = PATCH_JSON;
        return 0;
    }
    if (n == strlen("application/merge-patch+json") && strncmp(ct, "application/merge-patch+json", n) == 0) {
        *t = PATCH_MERGE;
        return 0;
    }
    if (n == strlen("application/strategic-merge-patch+json") &&
        strncmp(ct, "application/strategic-merge-patch+json", n) == 0) {
        *t = PATCH_STRATEGIC;
        return 0;
    }
    return -1;
}

/* A patch engine's failure as upstream answers it: a Status, or plain text
 * where upstream's handler panics (reason NULL). */
static void respond_patch_error(struct kapi_req *r, int code, const char *reason, const char *msg)
{
    if (!reason) {
        kapi_respond_raw(r, 500, "text/plain; charset=utf-8", msg, strlen(msg), NULL, 0);
        return;
    }
    struct kapi_status *st = kapi_status_new(r->pool, code, reason, msg);
    if (code == 422)
        st->has_details = true;
    kapi_respond_status(r, st);
}

void kapi_handle_patch(struct kapi_req *r)
{
    if (kapi_rest_check_dry_run(r) < 0)
        return;
    enum patch_type type;
    /* Strategic merge patch needs the type's schema: built-in kinds only. */
    const struct kapi_schema_msg *smp_msg =
        kapi_sub_is(r, "scale") ? kapi_schema_kind_find("autoscaling", "v1", "Scale") : r->kind->msg;
    if (patch_type_of(kapi_http_header(r->http, "Content-Type"), &type) < 0 || (type == PATCH_STRATEGIC && !smp_msg)) {
        static const char *const accepted[] = {"application/json-patch+json", "application/merge-patch+json",
                                               "application/strategic-merge-patch+json"};
        kapi_respond_status(r, kapi_status_unsupported_media_type(r->pool, accepted, smp_msg ? 3 : 2));
        return;
    }
    struct kapi_json_error jerr;
    const char *body = r->http->body ? r->http->body : "";
    struct kapi_value *patch = kapi_json_parse(r->pool, body, r->http->body_len, NULL, &jerr);
    if (!patch) {
        kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "error decoding patch: %s", jerr.msg));
        return;
    }
    for (int attempt = 0; attempt < PATCH_RETRIES; attempt++) {
        if (kapi_rest_sync(r) < 0)
            return;
        struct kapi_cobj *cur = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
        if (!cur) {
            kapi_rest_store_error(r, KAPI_STORE_NOT_FOUND, r->name);
            return;
        }
        struct kapi_value *old = kapi_cobj_value(cur, r->pool);
        struct kapi_value *view = kapi_rest_view(r, r->pool, old, true);
        if (!view) {
            kapi_cobj_unref(cur);
            return;
        }
        struct kapi_value *doc = kapi_value_clone(r->pool, kapi_sub_view(r, view));
        struct kapi_patch_error pe = {0};
        struct kapi_smp_error se = {0};
        struct kapi_value *obj;
        if (type == PATCH_STRATEGIC)
            obj = kapi_smp_apply(r->pool, smp_msg, doc, patch, &se);
        else
            obj = type == PATCH_JSON ? kapi_json_patch_apply(r->pool, doc, patch, &pe)
                                     : kapi_merge_patch_apply(r->pool, doc, patch, &pe);
        if (!obj) {
            kapi_cobj_unref(cur);
            if (type == PATCH_STRATEGIC)
                respond_patch_error(r, se.code, se.reason, se.msg);
            else
                respond_patch_error(r, pe.code, pe.reason, pe.msg);
            return;
        }
        if (obj->type != KAPI_V_OBJECT) {
            kapi_cobj_unref(cur);
            kapi_respond_error(r, 400, "BadRequest", "the patched object is not a JSON object");
            return;
        }
        if (kapi_sub_is(r, "scale") ? kapi_sub_validate(r, obj) < 0
                                    : (kapi_check_body_gvk(r, obj) < 0 || kapi_rest_typed(r, obj, NULL, "PatchOptions") < 0)) {
            kapi_cobj_unref(cur);
            return;
        }
        const char *name = kapi_value_cstr(kapi_value_path(obj, "metadata", "name", NULL));
        if (!name || strcmp(name, r->name) != 0) {
            kapi_cobj_unref(cur);
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "the name of the object (%s) does not match the name on the URL (%s)",
                                                name ? name : "", r->name));
            return;
        }
        if (r->kind->view_in)
            obj = r->kind->view_in(r->pool, r->kind, obj);
        obj = kapi_sub_merge(r, old, obj);
        struct kapi_field_errors errs = {0};
        const char *bad = NULL;
        if (kapi_meta_prepare_update(r->pool, r->kind->storage_kind ? r->kind->storage_kind : r->kind, obj, old, r->ns,
                                     &errs, &bad) < 0) {
            kapi_cobj_unref(cur);
            kapi_respond_error(r, 400, "BadRequest", bad);
            return;
        }
        if (errs.len) {
            kapi_cobj_unref(cur);
            kapi_respond_status(r, kapi_status_invalid(r->pool, r->kind->group, r->kind->kind, r->name, &errs));
            return;
        }
        /* A resourceVersion the patch itself set is a precondition: no retry. */
        const char *prv = kapi_value_cstr(kapi_value_path(obj, "metadata", "resourceVersion", NULL));
        const char *orv = kapi_value_cstr(kapi_value_path(old, "metadata", "resourceVersion", NULL));
        bool pinned = prv && orv && strcmp(prv, orv) != 0;
        int err = kapi_rest_store_update(r, obj, cur, !pinned && attempt + 1 < PATCH_RETRIES);
        kapi_cobj_unref(cur);
        if (err != KAPI_STORE_CONFLICT || pinned)
            return;
        if (attempt + 1 == PATCH_RETRIES)
            return;
    }
}
