/* PATCH: JSON patch, JSON merge patch, strategic merge patch (built-in
 * kinds) and server-side apply: read the latest object, apply, then store
 * through the update path (or create, for an apply to a missing object),
 * retrying on write conflicts as upstream's GuaranteedUpdate does. */
#include <string.h>

#include "../api/status.h"
#include "../codec/json.h"
#include "../codec/patch.h"
#include "../codec/smp.h"
#include "../codec/yaml.h"
#include "../apiext/crd.h"
#include "../apply/ssa.h"
#include "../schema/schema.h"
#include "../registry/objectmeta.h"
#include "endpoints_int.h"

#define PATCH_TYPES "application/json-patch+json, application/merge-patch+json"
#define PATCH_RETRIES 5

enum patch_type { PATCH_JSON, PATCH_MERGE, PATCH_STRATEGIC, PATCH_APPLY };

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
    if (n == strlen("application/apply-patch+yaml") && strncmp(ct, "application/apply-patch+yaml", n) == 0) {
        *t = PATCH_APPLY;
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

static struct kapi_ssa_type ssa_type_of(const struct kapi_kind *k)
{
    return k->crd ? kapi_ssa_type_crd(k->crd->schema) : kapi_ssa_type_builtin(k->msg);
}

/* 409 for apply conflicts, as upstream's NewApplyConflict builds it. */
static void respond_conflicts(struct kapi_req *r, const struct kapi_ssa_result *res)
{
    struct kapi_status *st = kapi_status_new(r->pool, 409, "Conflict",
                                             kapi_ssa_conflict_message(r->pool, res->conflicts, res->nconflicts));
    for (size_t i = 0; i < res->nconflicts; i++) {
        const struct kapi_ssa_conflict *c = &res->conflicts[i];
        kapi_status_add_cause(r->pool, st, "FieldManagerConflict",
                              c->message ? c->message : kapi_pool_printf(r->pool, "conflict with \"%s\"", c->manager),
                              c->field);
    }
    st->has_details = true;
    kapi_respond_status(r, st);
}

/* Server-side apply: config merged into the live object (or a new one)
 * with field ownership; the result goes through create or update. */
static void handle_apply(struct kapi_req *r)
{
    const char *body = r->http->body ? r->http->body : "";
    struct kapi_yaml_error yerr;
    struct kapi_value *config = kapi_yaml_parse(r->pool, body, r->http->body_len, &yerr);
    if (!config) {
        kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "error decoding YAML: %s", yerr.msg));
        return;
    }
    if (config->type != KAPI_V_OBJECT) {
        kapi_respond_error(r, 400, "BadRequest", "error decoding YAML: the apply configuration is not an object");
        return;
    }
    /* Type and unknown-field checks on a copy: the engine takes the
     * configuration as written (no canonical form, no defaults). */
    if (kapi_check_body_gvk(r, config) < 0 || kapi_rest_typed(r, kapi_value_clone(r->pool, config), NULL, "PatchOptions") < 0)
        return;
    const char *cname = kapi_value_cstr(kapi_value_path(config, "metadata", "name", NULL));
    if (cname && strcmp(cname, r->name) != 0) {
        kapi_respond_error(r, 400, "BadRequest",
                           kapi_pool_printf(r->pool, "the name of the object (%s) does not match the name on the URL (%s)",
                                            cname, r->name));
        return;
    }
    const char *force = kapi_req_param(r, "force");
    bool forced = force && kapi_parse_bool(force) == 1;
    const char *manager = kapi_req_param(r, "fieldManager");
    const char *sub = r->subresource ? r->subresource : "";
    for (int attempt = 0; attempt < PATCH_RETRIES; attempt++) {
        if (kapi_rest_sync(r) < 0)
            return;
        struct kapi_cobj *cur = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
        struct kapi_value *old = cur ? kapi_cobj_value(cur, r->pool) : NULL;
        struct kapi_value *live = old ? kapi_rest_view(r, r->pool, old, true) : NULL;
        if (old && !live) {
            kapi_cobj_unref(cur);
            return;
        }
        if (!cur && r->subresource) {
            kapi_rest_store_error(r, KAPI_STORE_NOT_FOUND, r->name);
            return;
        }
        struct kapi_ssa_result res = {0};
        if (kapi_ssa_apply(r->pool, ssa_type_of(r->kind), r->kind->api_version, live, config, manager, forced, sub,
                           kapi_meta_now(r->pool), &res) < 0) {
            kapi_cobj_unref(cur);
            int code = res.status ? res.status : 500;
            const char *msg = res.message ? res.message : res.error ? res.error : "invalid apply configuration";
            kapi_respond_error(r, code, code == 400 ? "BadRequest" : code == 409 ? "Conflict" : code == 422 ? "Invalid"
                                                                                              : "InternalError",
                               msg);
            return;
        }
        if (res.nconflicts) {
            kapi_cobj_unref(cur);
            respond_conflicts(r, &res);
            return;
        }
        struct kapi_value *obj = res.obj;
        r->fields_tracked = true;
        if (kapi_rest_canonical(r, obj) < 0) {
            kapi_cobj_unref(cur);
            return;
        }
        if (r->kind->crd) /* upstream defaults (and prunes) after the merge */
            kapi_crd_decode(r->pool, r->kind, obj, NULL);
        if (!cur) {
            /* apply creates: the name comes from the URL */
            kapi_obj_set(r->pool, kapi_obj_ensure_obj(r->pool, obj, "metadata"), "name", kapi_value_str(r->pool, r->name));
            kapi_rest_create(r, obj);
            return;
        }
        if (r->kind->view_in)
            obj = r->kind->view_in(r->pool, r->kind, obj);
        obj = kapi_sub_merge(r, old, obj);
        const char *bad = NULL;
        if (kapi_meta_default_update(r->pool, r->kind->storage_kind ? r->kind->storage_kind : r->kind, obj, old, r->ns,
                                     &bad) < 0) {
            kapi_cobj_unref(cur);
            kapi_respond_error(r, 400, "BadRequest", bad);
            return;
        }
        /* the live resourceVersion: an apply retries on conflicts */
        kapi_obj_set(r->pool, kapi_obj_ensure_obj(r->pool, obj, "metadata"), "resourceVersion",
                     kapi_value_clone(r->pool, kapi_value_path(old, "metadata", "resourceVersion", NULL)));
        int err = kapi_rest_store_update(r, obj, cur, attempt + 1 < PATCH_RETRIES);
        kapi_cobj_unref(cur);
        if (err != KAPI_STORE_CONFLICT)
            return;
    }
}

void kapi_handle_patch(struct kapi_req *r)
{
    if (kapi_rest_check_dry_run(r) < 0)
        return;
    enum patch_type type;
    /* Strategic merge patch needs the type's schema: built-in kinds only. */
    const struct kapi_schema_msg *smp_msg =
        kapi_sub_is(r, "scale") ? kapi_schema_kind_find("autoscaling", "v1", "Scale") : r->kind->msg;
    bool can_apply = !kapi_sub_is(r, "scale") && (r->kind->msg || r->kind->crd);
    if (patch_type_of(kapi_http_header(r->http, "Content-Type"), &type) < 0 || (type == PATCH_STRATEGIC && !smp_msg) ||
        (type == PATCH_APPLY && !can_apply)) {
        static const char *const with_smp[] = {"application/json-patch+json", "application/merge-patch+json",
                                               "application/strategic-merge-patch+json", "application/apply-patch+yaml"};
        static const char *const without_smp[] = {"application/json-patch+json", "application/merge-patch+json",
                                                  "application/apply-patch+yaml"};
        if (smp_msg)
            kapi_respond_status(r, kapi_status_unsupported_media_type(r->pool, with_smp, can_apply ? 4 : 3));
        else
            kapi_respond_status(r, kapi_status_unsupported_media_type(r->pool, without_smp, can_apply ? 3 : 2));
        return;
    }
    if (kapi_rest_check_manager(r, "PatchOptions", type == PATCH_APPLY) < 0)
        return;
    if (type == PATCH_APPLY) {
        handle_apply(r);
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
        const char *bad = NULL;
        if (kapi_meta_default_update(r->pool, r->kind->storage_kind ? r->kind->storage_kind : r->kind, obj, old, r->ns,
                                     &bad) < 0) {
            kapi_cobj_unref(cur);
            kapi_respond_error(r, 400, "BadRequest", bad);
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
