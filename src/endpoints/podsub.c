/* Pod subresources a scheduler and `kubectl drain` use: binding (and the
 * bindings resource), which assigns a pod to a node, and eviction, which
 * deletes a pod unless a PodDisruptionBudget forbids it. */
#include <string.h>

#include "../api/selector.h"
#include "../api/status.h"
#include "../codec/json.h"
#include "../registry/objectmeta.h"
#include "../admission/admission.h"
#include "../controllers/disruption.h"
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

/* Upstream's canIgnorePDB: a pod that is done, not yet running or already
 * being deleted is deleted without asking its budget. */
static bool can_ignore_pdb(const struct kapi_value *pod)
{
    const char *phase = kapi_value_cstr(kapi_value_path(pod, "status", "phase", NULL));
    return (phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0 ||
                      strcmp(phase, "Pending") == 0)) ||
           kapi_value_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
}

static int64_t status_int(const struct kapi_value *pdb, const char *field)
{
    const struct kapi_value *v = kapi_value_path(pdb, "status", field, NULL);
    return v && v->type == KAPI_V_INT ? v->u.i : 0;
}

/* 429 for a budget the disruption controller has not caught up with. */
static struct kapi_status *still_processing(struct kapi_req *r, const char *pdb_name)
{
    struct kapi_status *st = kapi_status_too_many_requests(
        r->pool, "Cannot evict pod as it would violate the pod's disruption budget.", 10);
    kapi_status_add_cause(r->pool, st, "DisruptionBudget",
                          kapi_pool_printf(r->pool, "The disruption budget %s is still being processed by the server.",
                                           pdb_name),
                          NULL);
    return st;
}

/* The budgets in the pod's namespace whose selector picks it (an invalid
 * or empty selector picks nothing here). Returns how many; *match is the
 * last (a cache object the caller unrefs) when exactly one. */
static size_t pod_budgets(struct kapi_req *r, const struct kapi_kind *pdbs, const struct kapi_cobj *pod,
                          struct kapi_cobj **match)
{
    *match = NULL;
    struct kapi_cache_filter f = {.ns = r->ns};
    struct kapi_cache_list l;
    kapi_rcache_list(pdbs->rc, &f, NULL, 0, &l);
    size_t n = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_value *pdb = kapi_cobj_value(l.items[i], r->pool);
        const char *err = NULL;
        struct kapi_label_selector *sel =
            kapi_label_selector_from_object(r->pool, kapi_value_path(pdb, "spec", "selector", NULL), &err);
        if (!sel || kapi_label_selector_empty(sel) || !kapi_label_selector_matches(sel, pod->labels))
            continue;
        n++;
        kapi_cobj_unref(*match);
        *match = kapi_cobj_ref(l.items[i]);
    }
    kapi_cache_list_dispose(&l);
    return n;
}

/* Upstream's checkAndDecrement, written with a compare-and-swap: 0 when the
 * budget allowed the eviction (and now records it), 1 on a write conflict,
 * -1 when a response was sent. */
static int check_and_decrement(struct kapi_req *r, struct kapi_cobj *o, const char *pod_name, bool dry_run)
{
    struct kapi_value *pdb = kapi_cobj_value(o, r->pool);
    const char *name = o->name;
    int64_t generation = 0;
    const struct kapi_value *g = kapi_value_path(pdb, "metadata", "generation", NULL);
    if (g && g->type == KAPI_V_INT)
        generation = g->u.i;
    int64_t allowed = status_int(pdb, "disruptionsAllowed");
    const struct kapi_value *dp = kapi_value_path(pdb, "status", "disruptedPods", NULL);
    size_t ndp = dp && dp->type == KAPI_V_OBJECT ? dp->u.obj.len : 0;
    if (status_int(pdb, "observedGeneration") < generation) {
        kapi_respond_status(r, still_processing(r, name));
        return -1;
    }
    if (allowed < 0) {
        kapi_respond_status(r, kapi_status_forbidden(r->pool, "policy", "poddisruptionbudget", name,
                                                     "pdb disruptions allowed is negative"));
        return -1;
    }
    if (ndp > 2000) {
        kapi_respond_status(r, kapi_status_forbidden(r->pool, "policy", "poddisruptionbudget", name,
                                                     "DisruptedPods map too big - too many evictions not confirmed by PDB controller"));
        return -1;
    }
    if (allowed == 0) {
        struct kapi_status *st = kapi_status_too_many_requests(
            r->pool, "Cannot evict pod as it would violate the pod's disruption budget.", 0);
        kapi_status_add_cause(r->pool, st, "DisruptionBudget",
                              kapi_pool_printf(r->pool, "The disruption budget %s needs %lld healthy pods and has %lld currently",
                                               name, (long long)status_int(pdb, "desiredHealthy"),
                                               (long long)status_int(pdb, "currentHealthy")),
                              NULL);
        kapi_respond_status(r, st);
        return -1;
    }
    if (dry_run)
        return 0;
    struct kapi_value *status = kapi_obj_ensure_obj(r->pool, pdb, "status");
    kapi_obj_set(r->pool, status, "disruptionsAllowed", kapi_value_int(r->pool, allowed - 1));
    if (allowed - 1 == 0)
        kapi_pdb_update_condition(r->pool, status, kapi_meta_now(r->pool));
    /* tell the disruption controller this pod is about to go */
    struct kapi_value *ndpv = kapi_value_object(r->pool);
    for (size_t i = 0; i < ndp; i++)
        kapi_obj_set(r->pool, ndpv, dp->u.obj.members[i].key, dp->u.obj.members[i].val);
    kapi_obj_set(r->pool, ndpv, pod_name, kapi_value_str(r->pool, kapi_meta_now(r->pool)));
    if (kapi_obj_get(status, "disruptedPods")) {
        kapi_obj_set(r->pool, status, "disruptedPods", ndpv);
    } else {
        /* disruptedPods follows observedGeneration in the status */
        struct kapi_value *ns = kapi_value_object(r->pool);
        const struct kapi_value *og = kapi_obj_get(status, "observedGeneration");
        if (og)
            kapi_obj_set(r->pool, ns, "observedGeneration", (struct kapi_value *)og);
        kapi_obj_set(r->pool, ns, "disruptedPods", ndpv);
        for (size_t i = 0; i < status->u.obj.len; i++)
            if (strcmp(status->u.obj.members[i].key, "observedGeneration") != 0)
                kapi_obj_set(r->pool, ns, status->u.obj.members[i].key, status->u.obj.members[i].val);
        kapi_obj_set(r->pool, pdb, "status", ns);
    }
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(pdb, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = o->key, .value = b.data, .len = b.len,
                           .expect_mod_rev = o->mod_rev};
    struct kapi_write_result res = {0};
    int err = kapi_store_write(r->srv->store, &w, &res);
    kapi_write_result_dispose(&res);
    kapi_buf_dispose(&b);
    if (err == KAPI_STORE_CONFLICT)
        return 1;
    if (err) {
        kapi_rest_store_error(r, err, name);
        return -1;
    }
    return 0;
}

/* Deletes the pod (a compare-and-swap on mod_rev when it is not 0). */
static int delete_pod(struct kapi_req *r, const struct kapi_cobj *cur, const struct kapi_value *pod, int64_t mod_rev)
{
    if (kapi_rest_dry_run(r))
        return 0;
    struct kapi_write w = {.op = KAPI_WRITE_DELETE, .key = cur->key, .expect_mod_rev = mod_rev};
    struct kapi_write_result res = {0};
    int err = kapi_store_write(r->srv->store, &w, &res);
    kapi_write_result_dispose(&res);
    if (!err && r->srv->admission)
        kapi_quota_release(r->srv->admission, r->pool, "", "pods", r->ns, (struct kapi_value *)pod);
    return err;
}

void kapi_handle_eviction(struct kapi_req *r)
{
    struct kapi_value *body = kapi_decode_body(r);
    if (!body)
        return;
    const struct kapi_kind *pods = kapi_registry_find(r->srv->registry, "", "v1", "pods");
    const struct kapi_kind *pdbs = kapi_registry_find(r->srv->registry, "policy", "v1", "poddisruptionbudgets");
    struct kapi_cobj *cur = NULL;
    struct kapi_value *pod = NULL;
    /* a pod its budget need not guard is deleted at once (retried on conflicts) */
    for (int attempt = 0;; attempt++) {
        if (kapi_rest_sync(r) < 0)
            return;
        cur = kapi_rcache_get(pods->rc, kapi_registry_key(r->pool, pods, r->ns, r->name));
        if (!cur) {
            kapi_respond_status(r, kapi_status_not_found(r->pool, "", "pods", r->name));
            return;
        }
        pod = kapi_cobj_value(cur, r->pool);
        if (!can_ignore_pdb(pod) || !pdbs || !pdbs->rc)
            break;
        int err = delete_pod(r, cur, pod, cur->mod_rev);
        kapi_cobj_unref(cur);
        if (err == KAPI_STORE_CONFLICT && attempt < 20)
            continue;
        if (err) {
            kapi_rest_store_error(r, err, r->name);
            return;
        }
        kapi_respond_status(r, success(r, 201));
        return;
    }
    bool precondition = false; /* delete only the version of the pod read here */
    if (pdbs && pdbs->rc) {
        struct kapi_cobj *match = NULL;
        size_t n = pod_budgets(r, pdbs, cur, &match);
        if (n > 1) {
            kapi_cobj_unref(match);
            kapi_cobj_unref(cur);
            /* returned as the eviction's result upstream: a bare Failure status */
            kapi_respond_status(r, kapi_status_new(r->pool, 500, NULL,
                                                   "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
            return;
        }
        if (match) {
            struct kapi_value *pdb = kapi_cobj_value(match, r->pool);
            const char *policy = kapi_value_cstr(kapi_value_path(pdb, "spec", "unhealthyPodEvictionPolicy", NULL));
            int64_t healthy = status_int(pdb, "currentHealthy"), desired = status_int(pdb, "desiredHealthy");
            /* an unready pod does not count against the budget when the
             * policy says so or the budget is met anyway */
            if (!kapi_pdb_pod_ready(pod) &&
                ((policy && strcmp(policy, "AlwaysAllow") == 0) || (healthy >= desired && desired > 0)))
                precondition = true;
            for (int attempt = 0; !precondition; attempt++) {
                int rc = check_and_decrement(r, match, r->name, kapi_rest_dry_run(r));
                if (rc < 0) {
                    kapi_cobj_unref(match);
                    kapi_cobj_unref(cur);
                    return;
                }
                if (rc == 0)
                    break;
                if (attempt >= 20) {
                    const char *pn = match->name;
                    kapi_cobj_unref(match);
                    kapi_cobj_unref(cur);
                    kapi_respond_status(r, kapi_status_timeout(r->pool,
                                                               kapi_pool_printf(r->pool, "couldn't update PodDisruptionBudget %s due to conflicts",
                                                                                kapi_go_quote(r->pool, pn, strlen(pn))),
                                                               10));
                    return;
                }
                /* the budget changed under us: read it again */
                kapi_cobj_unref(match);
                match = NULL;
                if (kapi_rest_sync(r) < 0) {
                    kapi_cobj_unref(cur);
                    return;
                }
                match = kapi_rcache_get(pdbs->rc, kapi_registry_key(r->pool, pdbs, r->ns, kapi_value_cstr(kapi_value_path(pdb, "metadata", "name", NULL))));
                if (!match) {
                    kapi_cobj_unref(cur);
                    kapi_respond_status(r, kapi_status_not_found(r->pool, "policy", "poddisruptionbudgets",
                                                                 kapi_value_cstr(kapi_value_path(pdb, "metadata", "name", NULL))));
                    return;
                }
            }
            if (precondition) {
                int err = delete_pod(r, cur, pod, cur->mod_rev);
                const char *pn = kapi_pool_strdup(r->pool, match->name);
                kapi_cobj_unref(match);
                kapi_cobj_unref(cur);
                if (err == KAPI_STORE_CONFLICT) {
                    /* the pod changed (it may have become ready): try again later */
                    kapi_respond_status(r, still_processing(r, pn));
                    return;
                }
                if (err) {
                    kapi_rest_store_error(r, err, r->name);
                    return;
                }
                kapi_respond_status(r, success(r, 201));
                return;
            }
        }
        kapi_cobj_unref(match);
    }
    int err = delete_pod(r, cur, pod, 0);
    kapi_cobj_unref(cur);
    if (err) {
        kapi_rest_store_error(r, err, r->name);
        return;
    }
    kapi_respond_status(r, success(r, 201));
}
