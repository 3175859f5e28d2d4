/* Pod subresources a scheduler and `kubectl drain` use: binding (and the
 * bindings resource), which assigns a pod to a node, and eviction, which
 * deletes a pod unless a PodDisruptionBudget forbids it. */
#include <string.h>

#include "../api/selector.h"
#include "../api/status.h"
#include "../codec/json.h"
#include "../registry/objectmeta.h"
#include "../admission/admission.h"
#include "endpoints_int.h"

static struct kapi_status *success(struct kapi_req *r, int code)
{
    struct kapi_status *st = kapi_status_new(r->pool, code, NULL, NULL);
    st->status = "Success";
    return st;
}

/* Writes pod (changed from cur) back with a compare-and-swap. */
static int write_pod(struct kapi_req *r, const struct kapi_kind *k, const struct kapi_cobj *cur, struct kapi_value *pod)
{
    kapi_meta_canonicalize(r->pool, pod);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(pod, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = cur->key, .value = b.data, .len = b.len,
                           .expect_mod_rev = cur->mod_rev};
    struct kapi_write_result res = {0};
    int err = kapi_store_write(r->srv->store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    (void)k;
    return err;
}

void kapi_handle_binding(struct kapi_req *r, const char *pod_name)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    if (!pod_name)
        pod_name = kapi_value_cstr(kapi_value_path(body, "metadata", "name", NULL));
    const char *kind = kapi_value_cstr(kapi_value_path(body, "target", "kind", NULL));
    const char *node = kapi_value_cstr(kapi_value_path(body, "target", "name", NULL));
    if (!pod_name || !*pod_name) {
        kapi_respond_error(r, 400, "BadRequest", "name is required in the Binding's metadata");
        return;
    }
    if ((kind && *kind && strcmp(kind, "Node") != 0) || !node || !*node) {
        struct kapi_field_errors errs = {0};
        if (!node || !*node)
            kapi_ferr_required(r->pool, &errs, "target.name", "");
        else
            kapi_ferr_invalid(r->pool, &errs, "target.kind", kind, "must be empty or 'Node'");
        kapi_respond_status(r, kapi_status_invalid(r->pool, "", "Binding", pod_name, &errs));
        return;
    }
    const struct kapi_kind *pods = kapi_registry_find(r->srv->registry, "", "v1", "pods");
    for (int attempt = 0; attempt < 5; attempt++) {
        if (kapi_rest_sync(r) < 0)
            return;
        struct kapi_cobj *cur = kapi_rcache_get(pods->rc, kapi_registry_key(r->pool, pods, r->ns, pod_name));
        if (!cur) {
            kapi_respond_status(r, kapi_status_not_found(r->pool, "", "pods", pod_name));
            return;
        }
        struct kapi_value *pod = kapi_cobj_value(cur, r->pool);
        const char *have = kapi_value_cstr(kapi_value_path(pod, "spec", "nodeName", NULL));
        const char *conflict = NULL;
        if (kapi_value_path(pod, "metadata", "deletionTimestamp", NULL))
            conflict = kapi_pool_printf(r->pool, "pod %s is being deleted, cannot be assigned to a host", pod_name);
        else if (have && *have)
            conflict = kapi_pool_printf(r->pool, "pod %s is already assigned to node %s", pod_name,
                                        kapi_go_quote(r->pool, have, strlen(have)));
        if (conflict) {
            kapi_cobj_unref(cur);
            kapi_respond_status(r, kapi_status_conflict(r->pool, "", "pods/binding", pod_name, conflict));
            return;
        }
        struct kapi_value *spec = kapi_obj_ensure_obj(r->pool, pod, "spec");
        kapi_obj_set(r->pool, spec, "nodeName", kapi_value_str(r->pool, node));
        /* the Binding's annotations join the pod's */
        struct kapi_value *ann = kapi_value_path(body, "metadata", "annotations", NULL);
        if (ann && ann->type == KAPI_V_OBJECT) {
            struct kapi_value *pann = kapi_obj_ensure_obj(r->pool, kapi_obj_ensure_obj(r->pool, pod, "metadata"), "annotations");
            for (size_t i = 0; i < ann->u.obj.len; i++)
                kapi_obj_set(r->pool, pann, ann->u.obj.members[i].key, ann->u.obj.members[i].val);
        }
        /* PodScheduled=True, as the binding registry records it */
        struct kapi_value *status = kapi_obj_ensure_obj(r->pool, pod, "status");
        struct kapi_value *conds = kapi_obj_get(status, "conditions");
        if (!conds || conds->type != KAPI_V_ARRAY) {
            conds = kapi_value_array(r->pool);
            kapi_obj_set(r->pool, status, "conditions", conds);
        }
        struct kapi_value *c = NULL;
        for (size_t i = 0; i < conds->u.arr.len; i++)
            if (strcmp(kapi_obj_get_str(conds->u.arr.items[i], "type") ? kapi_obj_get_str(conds->u.arr.items[i], "type") : "",
                       "PodScheduled") == 0)
                c = conds->u.arr.items[i];
        if (!c) {
            c = kapi_value_object(r->pool);
            kapi_arr_push(r->pool, conds, c);
        }
        kapi_obj_set(r->pool, c, "type", kapi_value_str(r->pool, "PodScheduled"));
        kapi_obj_set(r->pool, c, "status", kapi_value_str(r->pool, "True"));
        kapi_obj_set(r->pool, c, "lastProbeTime", kapi_value_null(r->pool));
        kapi_obj_set(r->pool, c, "lastTransitionTime", kapi_value_str(r->pool, kapi_meta_now(r->pool)));
        int err = kapi_rest_dry_run(r) ? 0 : write_pod(r, pods, cur, pod);
        kapi_cobj_unref(cur);
        if (err == KAPI_STORE_CONFLICT)
            continue;
        if (err) {
            kapi_rest_store_error(r, err, pod_name);
            return;
        }
        kapi_respond_status(r, success(r, 201));
        return;
    }
    kapi_rest_store_error(r, KAPI_STORE_CONFLICT, pod_name);
}

void kapi_handle_eviction(struct kapi_req *r)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    if (kapi_rest_sync(r) < 0)
        return;
    const struct kapi_kind *pods = kapi_registry_find(r->srv->registry, "", "v1", "pods");
    const struct kapi_kind *pdbs = kapi_registry_find(r->srv->registry, "policy", "v1", "poddisruptionbudgets");
    struct kapi_cobj *cur = kapi_rcache_get(pods->rc, kapi_registry_key(r->pool, pods, r->ns, r->name));
    if (!cur) {
        kapi_respond_status(r, kapi_status_not_found(r->pool, "", "pods", r->name));
        return;
    }
    struct kapi_value *pod = kapi_cobj_value(cur, r->pool);
    const char *phase = kapi_value_cstr(kapi_value_path(pod, "status", "phase", NULL));
    bool terminal = phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
    if (!terminal && pdbs && pdbs->rc) {
        /* the budgets whose selector picks this pod */
        struct kapi_cache_filter f = {.ns = r->ns};
        struct kapi_cache_list l;
        kapi_rcache_list(pdbs->rc, &f, NULL, 0, &l);
        struct kapi_value *match = NULL;
        size_t nmatch = 0;
        for (size_t i = 0; i < l.n; i++) {
            struct kapi_value *pdb = kapi_cobj_value(l.items[i], r->pool);
            struct kapi_value *ml = kapi_value_path(pdb, "spec", "selector", "matchLabels", NULL);
            if (!ml || ml->type != KAPI_V_OBJECT || ml->u.obj.len == 0)
                continue;
            bool ok = true;
            for (size_t j = 0; j < ml->u.obj.len && ok; j++) {
                const char *want = kapi_value_cstr(ml->u.obj.members[j].val);
                const char *have = kapi_value_cstr(kapi_obj_get(cur->labels, ml->u.obj.members[j].key));
                ok = want && have && strcmp(want, have) == 0;
            }
            if (ok) {
                match = pdb;
                nmatch++;
            }
        }
        kapi_cache_list_dispose(&l);
        if (nmatch > 1) {
            kapi_cobj_unref(cur);
            kapi_respond_status(r, kapi_status_internal(r->pool, "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
            return;
        }
        if (match) {
            struct kapi_value *allowed = kapi_value_path(match, "status", "disruptionsAllowed", NULL);
            if (!allowed || allowed->type != KAPI_V_INT || allowed->u.i <= 0) {
                kapi_cobj_unref(cur);
                struct kapi_status *st = kapi_status_too_many_requests(
                    r->pool, "Cannot evict pod as it would violate the pod's disruption budget.", 0);
                struct kapi_value *exp = kapi_value_path(match, "status", "expectedPods", NULL);
                struct kapi_value *healthy = kapi_value_path(match, "status", "currentHealthy", NULL);
                struct kapi_value *desired = kapi_value_path(match, "status", "desiredHealthy", NULL);
                (void)exp;
                kapi_status_add_cause(r->pool, st, "DisruptionBudget",
                                      kapi_pool_printf(r->pool, "The disruption budget %s needs %lld healthy pods and has %lld currently",
                                                       kapi_value_cstr(kapi_value_path(match, "metadata", "name", NULL)),
                                                       desired && desired->type == KAPI_V_INT ? (long long)desired->u.i : 0LL,
                                                       healthy && healthy->type == KAPI_V_INT ? (long long)healthy->u.i : 0LL),
                                      NULL);
                kapi_respond_status(r, st);
                return;
            }
        }
    }
    int err = 0;
    if (!kapi_rest_dry_run(r)) {
        struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = cur->key, .expect_mod_rev = cur->mod_rev};
        struct kapi_write_result res = {0};
        err = kapi_store_write(r->srv->store, &w, &res);
        kapi_write_result_dispose(&res);
        if (!err && r->srv->admission)
            kapi_quota_release(r->srv->admission, r->pool, "", "pods", r->ns, pod);
    }
    kapi_cobj_unref(cur);
    if (err) {
        kapi_rest_store_error(r, err, r->name);
        return;
    }
    kapi_respond_status(r, success(r, 201));
}
