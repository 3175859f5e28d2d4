/* The status and scale subresources, and the spec/status split they imply:
 * a write to the main resource keeps the stored status, a write to /status
 * changes only the status, and /scale is an autoscaling/v1 Scale view of a
 * workload's replicas. GET, PUT and PATCH of both go through the same
 * update path as the main resource. */
#include <stdio.h>
#include <string.h>

#include "../api/names.h"
#include "../api/status.h"
#include "endpoints_int.h"
#include "../apiext/crd.h"
#include "../registry/kinds.h"

bool kapi_sub_is(const struct kapi_req *r, const char *name)
{
    return r->subresource && strcmp(r->subresource, name) == 0;
}

/* Whether the resource serves a status subresource (then its main writes
 * leave status alone). */
static bool has_status_sub(const struct kapi_req *r, const struct kapi_kind *k)
{
    if (k->crd)
        return k->crd->has_status;
    char name[128];
    snprintf(name, sizeof(name), "%s/status", k->resource);
    return kapi_registry_find_resource(r->srv->registry, k->group, k->version, name) != NULL;
}

/* The label selector of a workload as a string ("app=web,tier in (a,b)"),
 * as Scale.status.selector carries it. */
static const char *selector_string(struct kapi_pool *p, const struct kapi_value *sel, bool plain_map)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const struct kapi_value *ml = plain_map ? sel : kapi_obj_get(sel, "matchLabels");
    /* upstream sorts requirements by key */
    size_t n = ml && ml->type == KAPI_V_OBJECT ? ml->u.obj.len : 0;
    const struct kapi_member **sorted = kapi_pool_alloc(p, (n ? n : 1) * sizeof(*sorted));
    for (size_t i = 0; i < n; i++)
        sorted[i] = &ml->u.obj.members[i];
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(sorted[j - 1]->key, sorted[j]->key) > 0; j--) {
            const struct kapi_member *t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++) {
        const char *v = kapi_value_cstr(sorted[i]->val);
        kapi_buf_printf(&b, "%s%s=%s", b.len ? "," : "", sorted[i]->key, v ? v : "");
    }
    const struct kapi_value *me = plain_map ? NULL : kapi_obj_get(sel, "matchExpressions");
    for (size_t i = 0; me && me->type == KAPI_V_ARRAY && i < me->u.arr.len; i++) {
        const struct kapi_value *e = me->u.arr.items[i];
        const char *key = kapi_obj_get_str(e, "key"), *op = kapi_obj_get_str(e, "operator");
        if (!key || !op)
            continue;
        if (b.len)
            kapi_buf_putc(&b, ',');
        if (strcmp(op, "Exists") == 0) {
            kapi_buf_puts(&b, key);
        } else if (strcmp(op, "DoesNotExist") == 0) {
            kapi_buf_printf(&b, "!%s", key);
        } else {
            kapi_buf_printf(&b, "%s %s (", key, strcmp(op, "In") == 0 ? "in" : "notin");
            const struct kapi_value *vals = kapi_obj_get(e, "values");
            for (size_t j = 0; vals && vals->type == KAPI_V_ARRAY && j < vals->u.arr.len; j++)
                kapi_buf_printf(&b, "%s%s", j ? "," : "", kapi_value_cstr(vals->u.arr.items[j]) ? kapi_value_cstr(vals->u.arr.items[j]) : "");
            kapi_buf_putc(&b, ')');
        }
    }
    const char *out = kapi_pool_strndup(p, b.data ? b.data : "", b.len);
    kapi_buf_dispose(&b);
    return out;
}

struct kapi_value *kapi_sub_view(struct kapi_req *r, struct kapi_value *obj)
{
    if (!kapi_sub_is(r, "scale"))
        return obj;
    if (r->kind->crd)
        return kapi_crd_scale_view(r->pool, r->kind, obj);
    struct kapi_pool *p = r->pool;
    struct kapi_value *s = kapi_value_object(p);
    kapi_obj_set(p, s, "kind", kapi_value_str(p, "Scale"));
    kapi_obj_set(p, s, "apiVersion", kapi_value_str(p, "autoscaling/v1"));
    struct kapi_value *omd = kapi_obj_get(obj, "metadata");
    struct kapi_value *md = kapi_value_object(p);
    static const char *const keep[] = {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"};
    for (size_t i = 0; i < KAPI_ARRAY_LEN(keep); i++)
        if (kapi_obj_get(omd, keep[i]))
            kapi_obj_set(p, md, keep[i], kapi_obj_get(omd, keep[i]));
    kapi_obj_set(p, s, "metadata", md);
    struct kapi_value *spec = kapi_value_object(p);
    struct kapi_value *rep = kapi_value_path(obj, "spec", "replicas", NULL);
    /* an unset replicas means 1 for every scalable workload */
    kapi_obj_set(p, spec, "replicas", rep && rep->type == KAPI_V_INT ? rep : kapi_value_int(p, 1));
    kapi_obj_set(p, s, "spec", spec);
    struct kapi_value *status = kapi_value_object(p);
    struct kapi_value *srep = kapi_value_path(obj, "status", "replicas", NULL);
    kapi_obj_set(p, status, "replicas", srep && srep->type == KAPI_V_INT ? srep : kapi_value_int(p, 0));
    bool rc = strcmp(r->kind->resource, "replicationcontrollers") == 0;
    struct kapi_value *sel = kapi_value_path(obj, "spec", "selector", NULL);
    if (sel)
        kapi_obj_set(p, status, "selector", kapi_value_str(p, selector_string(p, sel, rc)));
    kapi_obj_set(p, s, "status", status);
    return s;
}

struct kapi_value *kapi_sub_merge(struct kapi_req *r, const struct kapi_value *old, struct kapi_value *view)
{
    struct kapi_pool *p = r->pool;
    if (!r->subresource) {
        /* Main resource: the status subresource owns status. */
        if (has_status_sub(r, r->kind)) {
            struct kapi_value *ost = kapi_obj_get(old, "status");
            if (ost)
                kapi_obj_set(p, view, "status", kapi_value_clone(p, ost));
            else
                kapi_obj_del(view, "status");
        }
        return view;
    }
    struct kapi_value *out = kapi_value_clone(p, old);
    struct kapi_value *md = kapi_obj_ensure_obj(p, out, "metadata");
    const char *rv = kapi_value_cstr(kapi_value_path(view, "metadata", "resourceVersion", NULL));
    if (kapi_sub_is(r, "status")) {
        /* The stored spec (everything but metadata and status); which
         * metadata fields the write may change is per kind
         * (kapi_kind_prepare_subresource). */
        struct kapi_value *vmd = kapi_obj_get(view, "metadata");
        if (vmd && vmd->type == KAPI_V_OBJECT) {
            md = kapi_value_clone(p, vmd);
            kapi_obj_set(p, out, "metadata", md);
        }
        /* the written status itself (the caller drops view): what the typed
         * check noted about its quantities stays with it */
        struct kapi_value *st = kapi_obj_get(view, "status");
        if (st)
            kapi_obj_set(p, out, "status", st);
        else
            kapi_obj_del(out, "status");
        /* podStatusStrategy: the immutable qosClass is backfilled when a
         * client (old kubelets) drops it */
        if (!r->kind->group[0] && strcmp(r->kind->kind, "Pod") == 0) {
            const char *oq = kapi_value_cstr(kapi_value_path(old, "status", "qosClass", NULL));
            const char *nq = kapi_value_cstr(kapi_value_path(out, "status", "qosClass", NULL));
            if (oq && (!nq || !nq[0]))
                kapi_obj_set(p, kapi_obj_ensure_obj(p, out, "status"), "qosClass", kapi_value_str(p, oq));
        }
    } else if (kapi_sub_is(r, "finalize") || kapi_sub_is(r, "ephemeralcontainers") || kapi_sub_is(r, "approval")) {
        /* each changes one field of the stored object and nothing else */
        const char *parent = kapi_sub_is(r, "approval") ? "status" : "spec";
        const char *field = kapi_sub_is(r, "finalize")              ? "finalizers"
                            : kapi_sub_is(r, "ephemeralcontainers") ? "ephemeralContainers"
                                                                    : "conditions";
        struct kapi_value *v = kapi_value_path(view, parent, field, NULL);
        struct kapi_value *dst = kapi_obj_ensure_obj(p, out, parent);
        if (v)
            kapi_obj_set(p, dst, field, kapi_value_clone(p, v));
        else
            kapi_obj_del(dst, field);
    } else if (r->kind->crd) {
        kapi_crd_scale_apply(p, r->kind, out, view);
    } else {
        struct kapi_value *rep = kapi_value_path(view, "spec", "replicas", NULL);
        struct kapi_value *spec = kapi_obj_ensure_obj(p, out, "spec");
        kapi_obj_set(p, spec, "replicas", rep ? kapi_value_clone(p, rep) : kapi_value_int(p, 0));
    }
    kapi_kind_prepare_subresource(p, r->kind, r->subresource, out, old);
    if (rv && rv[0])
        kapi_obj_set(p, md, "resourceVersion", kapi_value_str(p, rv));
    else
        kapi_obj_del(md, "resourceVersion");
    return out;
}

int kapi_sub_validate(struct kapi_req *r, struct kapi_value *view)
{
    if (!kapi_sub_is(r, "scale"))
        return 0;
    struct kapi_value *rep = kapi_value_path(view, "spec", "replicas", NULL);
    if (rep && (rep->type != KAPI_V_INT || rep->u.i < 0)) {
        struct kapi_field_errors errs = {0};
        if (rep->type == KAPI_V_INT)
            kapi_ferr_invalid_int(r->pool, &errs, "spec.replicas", rep->u.i, "must be greater than or equal to 0");
        else
            kapi_ferr_invalid(r->pool, &errs, "spec.replicas", "", "must be an integer");
        kapi_respond_status(r, kapi_status_invalid(r->pool, "autoscaling", "Scale", r->name, &errs));
        return -1;
    }
    return 0;
}
