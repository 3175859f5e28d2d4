/* DELETE of one object and DELETE of a collection: preconditions,
 * finalizers (deletion then only marks the object), namespaces moving to
 * Terminating, and the answer upstream gives (the object or a Status). */
#include <stdlib.h>
#include <string.h>

#include "../api/status.h"
#include "../codec/json.h"
#include "../registry/core/services.h"
#include "../registry/kinds.h"
#include "../registry/objectmeta.h"
#include "endpoints_int.h"

struct delete_opts {
    const char *uid, *rv;        /* preconditions */
    const char *propagation;     /* Foreground, Background, Orphan or NULL */
    bool dry_run;
    int64_t grace;               /* gracePeriodSeconds; -1 when not given */
};

/* Options from the body (DeleteOptions) and query. -1 when a 400 was sent. */
static int parse_delete_opts(struct kapi_req *r, struct delete_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->grace = -1;
    if (kapi_rest_check_dry_run(r) < 0)
        return -1;
    o->dry_run = kapi_rest_dry_run(r);
    o->propagation = kapi_req_param(r, "propagationPolicy");
    const char *gp = kapi_req_param(r, "gracePeriodSeconds");
    if (gp && *gp) {
        char *end;
        o->grace = strtoll(gp, &end, 10);
        if (*end) {
            kapi_respond_error(r, 400, "BadRequest",
                               kapi_pool_printf(r->pool, "gracePeriodSeconds: Invalid value: \"%s\": must be a valid integer", gp));
            return -1;
        }
    }
    if (!r->http->body || r->http->body_len == 0)
        goto check_policy;
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(r->pool, r->http->body, r->http->body_len, NULL, &err);
    if (!v || v->type != KAPI_V_OBJECT) {
        kapi_respond_error(r, 400, "BadRequest", kapi_pool_printf(r->pool, "json: %s", v ? "DeleteOptions must be an object" : err.msg));
        return -1;
    }
    struct kapi_value *pre = kapi_obj_get(v, "preconditions");
    o->uid = kapi_obj_get_str(pre, "uid");
    o->rv = kapi_obj_get_str(pre, "resourceVersion");
    if (kapi_obj_get_str(v, "propagationPolicy"))
        o->propagation = kapi_obj_get_str(v, "propagationPolicy");
    struct kapi_value *orphan = kapi_obj_get(v, "orphanDependents");
    if (!o->propagation && orphan && orphan->type == KAPI_V_BOOL)
        o->propagation = orphan->u.b ? "Orphan" : "Background";
    struct kapi_value *gps = kapi_obj_get(v, "gracePeriodSeconds");
    if (gps && gps->type == KAPI_V_INT)
        o->grace = gps->u.i;
    struct kapi_value *dr = kapi_obj_get(v, "dryRun");
    if (dr && dr->type == KAPI_V_ARRAY)
        for (size_t i = 0; i < dr->u.arr.len; i++)
            if (kapi_value_cstr(dr->u.arr.items[i]) && strcmp(kapi_value_cstr(dr->u.arr.items[i]), "All") == 0)
                o->dry_run = true;
check_policy:;
    const char *pp = o->propagation;
    if (pp && strcmp(pp, "Orphan") != 0 && strcmp(pp, "Background") != 0 && strcmp(pp, "Foreground") != 0) {
        struct kapi_field_errors errs = {0};
        static const char *const valid[] = {"Foreground", "Background", "Orphan", "nil"};
        kapi_ferr_not_supported(r->pool, &errs, "propagationPolicy", pp, valid, 4);
        kapi_respond_status(r, kapi_status_invalid(r->pool, "meta.k8s.io", "DeleteOptions", "", &errs));
        return -1;
    }
    return 0;
}

/* Deletes one object; answers only when answer is true. Returns 0 on
 * success (or the object was marked), else the error answered. */
/* delete_one's answer when admission (a webhook) refused: the Status was sent. */
#define DELETE_DENIED (-2)

static int delete_one(struct kapi_req *r, struct kapi_cobj *cur, const struct delete_opts *o, bool answer,
                      struct kapi_value **out)
{
    struct kapi_value *obj = kapi_cobj_value(cur, r->pool);
    struct kapi_value *md = kapi_obj_ensure_obj(r->pool, obj, "metadata");
    const char *name = kapi_obj_get_str(md, "name");
    if (o->uid && o->uid[0] && strcmp(o->uid, cur->uid) != 0) {
        if (answer)
            kapi_respond_status(r, kapi_status_conflict(r->pool, r->kind->group, r->kind->resource, name,
                                                        kapi_pool_printf(r->pool, "Precondition failed: UID in precondition: %s, UID in object meta: %s",
                                                                         o->uid, cur->uid)));
        return KAPI_STORE_CONFLICT;
    }
    const char *cur_rv = kapi_obj_get_str(md, "resourceVersion");
    if (o->rv && o->rv[0] && strcmp(o->rv, cur_rv ? cur_rv : "") != 0) {
        if (answer)
            kapi_respond_status(r, kapi_status_conflict(r->pool, r->kind->group, r->kind->resource, name,
                                                        kapi_pool_printf(r->pool, "Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s",
                                                                         o->rv, cur_rv ? cur_rv : "")));
        return KAPI_STORE_CONFLICT;
    }
    if (kapi_rest_admit_delete(r, obj, true) < 0)
        return DELETE_DENIED;
    struct kapi_value *fin = kapi_obj_get(md, "finalizers");
    /* Foreground and Orphan deletion hand the object to the garbage
     * collector through a finalizer of that name. */
    if (o->propagation && !kapi_obj_get(md, "deletionTimestamp") &&
        (strcmp(o->propagation, "Foreground") == 0 || strcmp(o->propagation, "Orphan") == 0)) {
        const char *want = strcmp(o->propagation, "Foreground") == 0 ? "foregroundDeletion" : "orphan";
        if (!fin || fin->type != KAPI_V_ARRAY) {
            fin = kapi_value_array(r->pool);
            kapi_obj_set(r->pool, md, "finalizers", fin);
        }
        bool present = false;
        for (size_t i = 0; i < fin->u.arr.len; i++)
            present |= kapi_value_cstr(fin->u.arr.items[i]) && strcmp(kapi_value_cstr(fin->u.arr.items[i]), want) == 0;
        if (!present)
            kapi_arr_push(r->pool, fin, kapi_value_str(r->pool, want));
    }
    bool is_crd = strcmp(r->kind->group, "apiextensions.k8s.io") == 0 &&
                  strcmp(r->kind->resource, "customresourcedefinitions") == 0;
    if (is_crd && !kapi_obj_get(md, "deletionTimestamp")) {
        /* A CRD goes only after its custom resources: the CRD controller
         * owns this finalizer. */
        static const char cleanup[] = "customresourcecleanup.apiextensions.k8s.io";
        if (!fin || fin->type != KAPI_V_ARRAY) {
            fin = kapi_value_array(r->pool);
            kapi_obj_set(r->pool, md, "finalizers", fin);
        }
        bool present = false;
        for (size_t i = 0; i < fin->u.arr.len; i++)
            present |= kapi_value_cstr(fin->u.arr.items[i]) && strcmp(kapi_value_cstr(fin->u.arr.items[i]), cleanup) == 0;
        if (!present)
            kapi_arr_push(r->pool, fin, kapi_value_str(r->pool, cleanup));
        struct kapi_value *st = kapi_obj_ensure_obj(r->pool, obj, "status");
        struct kapi_value *conds = kapi_obj_get(st, "conditions");
        if (!conds || conds->type != KAPI_V_ARRAY) {
            conds = kapi_value_array(r->pool);
            kapi_obj_set(r->pool, st, "conditions", conds);
        }
        struct kapi_value *c = kapi_value_object(r->pool);
        kapi_obj_set(r->pool, c, "type", kapi_value_str(r->pool, "Terminating"));
        kapi_obj_set(r->pool, c, "status", kapi_value_str(r->pool, "True"));
        kapi_obj_set(r->pool, c, "lastTransitionTime", kapi_value_str(r->pool, kapi_meta_now(r->pool)));
        kapi_obj_set(r->pool, c, "reason", kapi_value_str(r->pool, "InstanceDeletionPending"));
        kapi_obj_set(r->pool, c, "message",
                     kapi_value_str(r->pool, "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon"));
        bool replaced = false;
        for (size_t i = 0; i < conds->u.arr.len && !replaced; i++)
            if (kapi_obj_get_str(conds->u.arr.items[i], "type") &&
                strcmp(kapi_obj_get_str(conds->u.arr.items[i], "type"), "Terminating") == 0) {
                conds->u.arr.items[i] = c;
                replaced = true;
            }
        if (!replaced)
            kapi_arr_push(r->pool, conds, c);
    }
    bool has_fin = fin && fin->type == KAPI_V_ARRAY && fin->u.arr.len > 0;
    bool is_ns = kapi_kind_is_namespace(r->kind);
    /* A pod on a node ends gracefully: its kubelet (or, without one, the pod
     * garbage collector) removes it once the grace period is over, as
     * upstream's pod strategy decides. Unscheduled and finished pods go at once. */
    int64_t grace = 0;
    if (r->kind->group[0] == 0 && strcmp(r->kind->resource, "pods") == 0) {
        const char *node = kapi_value_cstr(kapi_value_path(obj, "spec", "nodeName", NULL));
        const char *phase = kapi_value_cstr(kapi_value_path(obj, "status", "phase", NULL));
        bool finished = phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
        if (node && *node && !finished) {
            const struct kapi_value *tg = kapi_value_path(obj, "spec", "terminationGracePeriodSeconds", NULL);
            grace = o->grace >= 0 ? o->grace : tg && tg->type == KAPI_V_INT ? tg->u.i : 30;
            const struct kapi_value *cur_g = kapi_obj_get(md, "deletionGracePeriodSeconds");
            /* a second delete may only shorten it */
            if (kapi_obj_get(md, "deletionTimestamp") && cur_g && cur_g->type == KAPI_V_INT && grace >= cur_g->u.i)
                grace = -1;
        }
    }
    if (grace > 0) {
        const char *when = kapi_meta_time_after(r->pool, grace);
        kapi_obj_set(r->pool, md, "deletionTimestamp", kapi_value_str(r->pool, when));
        kapi_obj_set(r->pool, md, "deletionGracePeriodSeconds", kapi_value_int(r->pool, grace));
        kapi_meta_canonicalize(r->pool, obj);
        int64_t rev = cur->mod_rev;
        if (!o->dry_run) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_meta_encode_for_store(obj, &b);
            struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = cur->key, .value = b.data, .len = b.len,
                                   .expect_mod_rev = cur->mod_rev};
            struct kapi_write_result res = {0};
            int err = kapi_store_write(r->srv->store, &w, &res);
            kapi_buf_dispose(&b);
            rev = res.rev;
            kapi_write_result_dispose(&res);
            if (err) {
                if (answer)
                    kapi_rest_store_error(r, err, name);
                return err;
            }
        }
        if (answer)
            kapi_rest_respond_written(r, 200, obj, rev);
        *out = obj;
        return 0;
    }
    if (grace < 0 && !has_fin) {
        /* already terminating with a shorter grace period: nothing changes */
        if (answer)
            kapi_respond_object_json(r, 200, cur->json->data, cur->json->len);
        *out = obj;
        return 0;
    }
    if (has_fin || is_ns) {
        /* Graceful: mark the object; whoever owns the finalizers finishes. */
        if (is_crd && !kapi_obj_get(md, "deletionTimestamp")) {
            /* upstream's CRD storage marks a CRD's first deletion itself:
             * the timestamp only (no grace period, generation kept) */
            kapi_obj_set(r->pool, md, "deletionTimestamp", kapi_value_str(r->pool, kapi_meta_now(r->pool)));
        } else if (!kapi_meta_mark_deleted(r->pool, md)) {
            /* marked already */
            if (answer)
                kapi_respond_object_json(r, 200, cur->json->data, cur->json->len);
            *out = obj;
            return 0;
        }
        if (is_ns) {
            struct kapi_value *st = kapi_obj_ensure_obj(r->pool, obj, "status");
            kapi_obj_set(r->pool, st, "phase", kapi_value_str(r->pool, "Terminating"));
        }
        kapi_meta_canonicalize(r->pool, obj);
        int64_t rev = cur->mod_rev;
        if (!o->dry_run) {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_meta_encode_for_store(obj, &b);
            struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = cur->key, .value = b.data, .len = b.len,
                                   .expect_mod_rev = cur->mod_rev};
            struct kapi_write_result res = {0};
            int err = kapi_store_write(r->srv->store, &w, &res);
            kapi_buf_dispose(&b);
            rev = res.rev;
            kapi_write_result_dispose(&res);
            if (err) {
                if (answer)
                    kapi_rest_store_error(r, err, name);
                return err;
            }
        }
        if (answer)
            kapi_rest_respond_written(r, 200, obj, rev);
        *out = obj;
        return 0;
    }
    if (!o->dry_run) {
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = cur->key, .expect_mod_rev = cur->mod_rev};
        struct kapi_write_result res = {0};
        int err = kapi_store_write(r->srv->store, &w, &res);
        kapi_write_result_dispose(&res);
        if (err) {
            if (answer)
                kapi_rest_store_error(r, err, name);
            return err;
        }
        if (kapi_rest_is_service(r))
            kapi_svc_alloc_release(r->srv->svc_alloc, obj);
        kapi_rest_quota_release(r, obj);
    }
    *out = obj;
    if (!answer)
        return 0;
    if (kapi_kind_returns_deleted_object(r->kind))
        kapi_respond_object_json(r, 200, cur->json->data, cur->json->len);
    else
        kapi_respond_status(r, kapi_status_success(r->pool, 0, r->kind->group, r->kind->resource, name, cur->uid));
    return 0;
}

void kapi_handle_delete(struct kapi_req *r)
{
    struct delete_opts o;
    if (parse_delete_opts(r, &o) < 0)
        return;
    for (int attempt = 0; attempt < 5; attempt++) {
        if (kapi_rest_sync(r) < 0)
            return;
        struct kapi_cobj *cur = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
        if (!cur) {
            kapi_rest_store_error(r, KAPI_STORE_NOT_FOUND, r->name);
            return;
        }
        struct kapi_value *out = NULL;
        /* A conflict from the store itself (a concurrent write) is retried
         * against the new state, as upstream's GuaranteedUpdate does. */
        int err = delete_one(r, cur, &o, false, &out);
        if (err == DELETE_DENIED) {
            kapi_cobj_unref(cur);
            return;
        }
        if (err == KAPI_STORE_CONFLICT && !(o.uid || o.rv)) {
            kapi_cobj_unref(cur);
            continue;
        }
        if (err == KAPI_STORE_NOT_FOUND) {
            kapi_cobj_unref(cur);
            continue;
        }
        kapi_cobj_unref(cur);
        cur = NULL;
        if (err) {
            /* Answer the error as it was. */
            struct kapi_cobj *again = kapi_rcache_get(r->kind->rc, kapi_rest_key(r, r->name));
            if (again) {
                delete_one(r, again, &o, true, &out);
                kapi_cobj_unref(again);
            } else {
                kapi_rest_store_error(r, err, r->name);
            }
            return;
        }
        /* Success: answer like upstream. */
        struct kapi_value *md = kapi_obj_get(out, "metadata");
        if (kapi_obj_get(md, "deletionTimestamp") || kapi_kind_returns_deleted_object(r->kind)) {
            kapi_meta_canonicalize(r->pool, out);
            if (r->kind->view_out) {
                struct kapi_value *vo = kapi_rest_view(r, r->pool, out, false);
                out = vo ? vo : out;
            }
            kapi_respond_value(r, 200, out);
        } else {
            kapi_respond_status(r, kapi_status_success(r->pool, 0, r->kind->group, r->kind->resource,
                                                       kapi_obj_get_str(md, "name"), kapi_obj_get_str(md, "uid")));
        }
        return;
    }
    kapi_rest_store_error(r, KAPI_STORE_CONFLICT, r->name);
}

void kapi_handle_deletecollection(struct kapi_req *r)
{
    struct delete_opts o;
    if (parse_delete_opts(r, &o) < 0)
        return;
    struct kapi_rest_filter *rf = kapi_rest_filter_new(r);
    if (!rf)
        return;
    if (kapi_rest_sync(r) < 0)
        return;
    struct kapi_cache_filter f = {.ns = r->kind->res->namespaced ? r->ns : ""};
    kapi_rest_filter_apply(rf, &f);
    struct kapi_cache_list l;
    kapi_rcache_list(r->kind->rc, &f, NULL, 0, &l);
    struct kapi_pool *p = r->pool;
    struct kapi_value *items = kapi_value_array(p);
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_value *out = NULL;
        int err = delete_one(r, l.items[i], &o, false, &out);
        if (err == DELETE_DENIED) {
            kapi_cache_list_dispose(&l);
            return;
        }
        if (err == 0 && out) {
            struct kapi_value *vo = kapi_rest_view(r, p, out, false);
            kapi_arr_push(p, items, vo ? vo : out);
        } else if (err && err != KAPI_STORE_NOT_FOUND && err != KAPI_STORE_CONFLICT) {
            kapi_cache_list_dispose(&l);
            kapi_rest_store_error(r, err, "");
            return;
        }
    }
    struct kapi_value *list = kapi_value_object(p);
    kapi_obj_set(p, list, "kind", kapi_value_str(p, r->kind->list_kind));
    kapi_obj_set(p, list, "apiVersion", kapi_value_str(p, r->kind->api_version));
    struct kapi_value *md = kapi_obj_ensure_obj(p, list, "metadata");
    kapi_obj_set(p, md, "resourceVersion", kapi_value_str(p, kapi_pool_printf(p, "%lld", (long long)kapi_cache_rev(r->srv->cache))));
    kapi_obj_set(p, list, "items", items);
    kapi_cache_list_dispose(&l);
    kapi_respond_value(r, 200, list);
}
