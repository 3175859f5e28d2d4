/* Implementation of controllers/disruption.h. */
#include "disruption.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/names.h"
#include "../api/selector.h"
#include "../apiext/crd.h"
#include "../cache/cache.h"
#include "../registry/objectmeta.h"
#include "../registry/printers.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

/* ---------------------------------------------------------------- */
/* The computation                                                  */
/* ---------------------------------------------------------------- */

static int64_t ival(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_INT ? v->u.i : 0;
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

bool kapi_pdb_scaled_value(struct kapi_pool *p, const struct kapi_value *v, int64_t total, int64_t *out,
                           const char **err)
{
    if (!v || v->type == KAPI_V_NULL) {
        *err = "nil value for IntOrString";
        return false;
    }
    if (v->type == KAPI_V_INT) {
        *out = v->u.i;
        return true;
    }
    if (v->type != KAPI_V_STRING) {
        *err = "invalid value for IntOrString: invalid type: neither int nor percentage";
        return false;
    }
    const char *s = v->u.str.s;
    size_t n = v->u.str.len;
    if (n == 0 || s[n - 1] != '%') {
        *err = "invalid value for IntOrString: invalid type: string is not a percentage";
        return false;
    }
    /* strconv.Atoi of what precedes the '%' */
    size_t i = 0;
    bool neg = false;
    if (i < n - 1 && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    int64_t num = 0;
    bool ok = i < n - 1;
    for (; ok && i < n - 1; i++) {
        if (s[i] < '0' || s[i] > '9' || num > (INT64_MAX - 9) / 10)
            ok = false;
        else
            num = num * 10 + (s[i] - '0');
    }
    if (!ok) {
        const char *digits = kapi_pool_strndup(p, s, n - 1);
        *err = kapi_pool_printf(p, "invalid value for IntOrString: invalid value %s: strconv.Atoi: parsing %s: invalid syntax",
                                kapi_go_quote(p, s, n), kapi_go_quote(p, digits, n - 1));
        return false;
    }
    if (neg)
        num = -num;
    *out = (int64_t)ceil((double)num * (double)total / 100.0);
    return true;
}

bool kapi_pdb_pod_ready(const struct kapi_value *pod)
{
    const struct kapi_value *conds = kapi_value_path(pod, "status", "conditions", NULL);
    for (size_t i = 0; conds && conds->type == KAPI_V_ARRAY && i < conds->u.arr.len; i++)
        if (streq(kapi_obj_get_str(conds->u.arr.items[i], "type"), "Ready"))
            return streq(kapi_obj_get_str(conds->u.arr.items[i], "status"), "True");
    return false;
}

/* metav1.GetControllerOf: the first ownerReference with controller: true. */
static const struct kapi_value *controller_of(const struct kapi_value *obj)
{
    const struct kapi_value *refs = kapi_value_path(obj, "metadata", "ownerReferences", NULL);
    for (size_t i = 0; refs && refs->type == KAPI_V_ARRAY && i < refs->u.arr.len; i++) {
        const struct kapi_value *c = kapi_obj_get(refs->u.arr.items[i], "controller");
        if (c && c->type == KAPI_V_BOOL && c->u.b)
            return refs->u.arr.items[i];
    }
    return NULL;
}

static bool deleting(const struct kapi_value *obj)
{
    const struct kapi_value *d = kapi_value_path(obj, "metadata", "deletionTimestamp", NULL);
    return d && d->type == KAPI_V_STRING;
}

static struct kapi_value *find_condition(const struct kapi_value *conds, const char *type)
{
    for (size_t i = 0; conds && conds->type == KAPI_V_ARRAY && i < conds->u.arr.len; i++)
        if (streq(kapi_obj_get_str(conds->u.arr.items[i], "type"), type))
            return conds->u.arr.items[i];
    return NULL;
}

/* apimeta.SetStatusCondition for a condition with no transition time of
 * its own: a new condition, or a status change, takes now_text. */
static void set_condition(struct kapi_pool *p, struct kapi_value *status, const char *cstatus, const char *reason,
                          const char *message, int64_t observed_generation, const char *now_text)
{
    struct kapi_value *conds = kapi_obj_get(status, "conditions");
    if (!conds || conds->type != KAPI_V_ARRAY) {
        conds = kapi_value_array(p);
        kapi_obj_set(p, status, "conditions", conds);
    }
    struct kapi_value *c = find_condition(conds, "DisruptionAllowed");
    if (!c) {
        c = kapi_value_object(p);
        kapi_obj_set(p, c, "type", kapi_value_str(p, "DisruptionAllowed"));
        kapi_obj_set(p, c, "status", kapi_value_str(p, cstatus));
        if (observed_generation)
            kapi_obj_set(p, c, "observedGeneration", kapi_value_int(p, observed_generation));
        kapi_obj_set(p, c, "lastTransitionTime", kapi_value_str(p, now_text));
        kapi_obj_set(p, c, "reason", kapi_value_str(p, reason));
        kapi_obj_set(p, c, "message", kapi_value_str(p, message));
        kapi_arr_push(p, conds, c);
        return;
    }
    /* rebuilt in metav1.Condition's field order */
    struct kapi_value *n = kapi_value_object(p);
    kapi_obj_set(p, n, "type", kapi_value_str(p, "DisruptionAllowed"));
    kapi_obj_set(p, n, "status", kapi_value_str(p, cstatus));
    if (observed_generation)
        kapi_obj_set(p, n, "observedGeneration", kapi_value_int(p, observed_generation));
    const struct kapi_value *ltt = kapi_obj_get(c, "lastTransitionTime");
    bool flipped = !streq(kapi_obj_get_str(c, "status"), cstatus);
    kapi_obj_set(p, n, "lastTransitionTime",
                 flipped || !ltt ? kapi_value_str(p, now_text) : kapi_value_clone(p, ltt));
    kapi_obj_set(p, n, "reason", kapi_value_str(p, reason));
    kapi_obj_set(p, n, "message", kapi_value_str(p, message));
    for (size_t i = 0; i < conds->u.arr.len; i++)
        if (conds->u.arr.items[i] == c)
            conds->u.arr.items[i] = n;
}

void kapi_pdb_update_condition(struct kapi_pool *p, struct kapi_value *status, const char *now_text)
{
    bool allowed = ival(kapi_obj_get(status, "disruptionsAllowed")) > 0;
    set_condition(p, status, allowed ? "True" : "False", allowed ? "SufficientPods" : "InsufficientPods", "",
                  ival(kapi_obj_get(status, "observedGeneration")), now_text);
}

/* pdbhelper.ConditionsAreUpToDate */
static bool conditions_up_to_date(const struct kapi_value *pdb)
{
    const struct kapi_value *st = kapi_obj_get(pdb, "status");
    const struct kapi_value *c = find_condition(kapi_obj_get(st, "conditions"), "DisruptionAllowed");
    if (!c)
        return false;
    if (ival(kapi_obj_get(st, "observedGeneration")) != ival(kapi_value_path(pdb, "metadata", "generation", NULL)))
        return false;
    if (ival(kapi_obj_get(st, "disruptionsAllowed")) > 0)
        return streq(kapi_obj_get_str(c, "status"), "True") && streq(kapi_obj_get_str(c, "reason"), "SufficientPods");
    return streq(kapi_obj_get_str(c, "status"), "False") && streq(kapi_obj_get_str(c, "reason"), "InsufficientPods");
}

/* Semantic equality of two disruptedPods maps: absent equals empty, times
 * compare as instants. */
static bool disrupted_equal(const struct kapi_value *a, const struct kapi_value *b)
{
    size_t na = a && a->type == KAPI_V_OBJECT ? a->u.obj.len : 0;
    size_t nb = b && b->type == KAPI_V_OBJECT ? b->u.obj.len : 0;
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        const char *ta = kapi_value_cstr(a->u.obj.members[i].val);
        const char *tb = kapi_obj_get_str(b, a->u.obj.members[i].key);
        int64_t xa, xb;
        if (!tb)
            return false;
        bool pa = ta && kapi_printer_parse_time(ta, &xa), pb = kapi_printer_parse_time(tb, &xb);
        if (pa != pb || (pa && xa != xb) || (!pa && !streq(ta, tb)))
            return false;
    }
    return true;
}

struct scale_seen {
    const char *uid;
    int64_t replicas;
};

/* getExpectedScale: the sum of the scales of the pods' controllers, each
 * controller once. Pods without a controller are left out. */
static bool expected_scale(struct kapi_pool *p, const struct kapi_value *pdb, struct kapi_value *const *pods,
                           size_t npods, kapi_pdb_finder_fn find, void *ctx, int64_t *expected, const char **err)
{
    const char *ns = kapi_value_cstr(kapi_value_path(pdb, "metadata", "namespace", NULL));
    struct scale_seen *seen = kapi_pool_calloc(p, (npods ? npods : 1) * sizeof(*seen));
    size_t nseen = 0;
    size_t unmanaged = 0;
    for (size_t i = 0; i < npods; i++) {
        const struct kapi_value *ref = controller_of(pods[i]);
        if (!ref) {
            unmanaged++;
            continue;
        }
        struct kapi_pdb_scale sc = {0};
        int r = find(ctx, p, ns ? ns : "", ref, &sc, err);
        if (r < 0)
            return false;
        if (r == 0) {
            const char *name = kapi_value_cstr(kapi_value_path(pods[i], "metadata", "name", NULL));
            name = name ? name : "";
            *err = kapi_pool_printf(p, "found no controllers for pod %s", kapi_go_quote(p, name, strlen(name)));
            return false;
        }
        bool dup = false;
        for (size_t j = 0; j < nseen && !dup; j++)
            dup = streq(seen[j].uid, sc.uid);
        if (!dup)
            seen[nseen++] = (struct scale_seen){sc.uid ? sc.uid : "", sc.replicas};
    }
    if (unmanaged)
        kapi_log(2, "disruption: %zu pod(s) selected by PodDisruptionBudget %s/%s have no controller", unmanaged,
                 ns ? ns : "", kapi_value_cstr(kapi_value_path(pdb, "metadata", "name", NULL)));
    int64_t sum = 0;
    for (size_t j = 0; j < nseen; j++)
        sum += seen[j].replicas;
    *expected = sum;
    return true;
}

/* getExpectedPodCount */
static bool expected_and_desired(struct kapi_pool *p, const struct kapi_value *pdb, struct kapi_value *const *pods,
                                 size_t npods, kapi_pdb_finder_fn find, void *ctx, int64_t *expected,
                                 int64_t *desired, const char **err)
{
    const struct kapi_value *spec = kapi_obj_get(pdb, "spec");
    const struct kapi_value *maxu = kapi_obj_get(spec, "maxUnavailable");
    const struct kapi_value *mina = kapi_obj_get(spec, "minAvailable");
    *expected = 0;
    *desired = 0;
    if (maxu && maxu->type != KAPI_V_NULL) {
        int64_t m;
        if (!expected_scale(p, pdb, pods, npods, find, ctx, expected, err) ||
            !kapi_pdb_scaled_value(p, maxu, *expected, &m, err))
            return false;
        *desired = *expected - m < 0 ? 0 : *expected - m;
    } else if (mina && mina->type == KAPI_V_INT) {
        *desired = mina->u.i;
        *expected = (int64_t)npods;
    } else if (mina && mina->type == KAPI_V_STRING) {
        if (!expected_scale(p, pdb, pods, npods, find, ctx, expected, err) ||
            !kapi_pdb_scaled_value(p, mina, *expected, desired, err))
            return false;
    }
    return true;
}

static int cmp_member_key(const void *a, const void *b)
{
    return strcmp(((const struct kapi_member *)a)->key, ((const struct kapi_member *)b)->key);
}

void kapi_pdb_fail_safe(struct kapi_pool *p, const struct kapi_value *pdb, const char *err, const char *now_text,
                        struct kapi_pdb_result *out)
{
    memset(out, 0, sizeof(*out));
    const struct kapi_value *old = kapi_obj_get(pdb, "status");
    struct kapi_value *st = old && old->type == KAPI_V_OBJECT ? kapi_value_clone(p, old) : kapi_value_object(p);
    if (!kapi_obj_get(st, "disruptionsAllowed")) {
        /* a status never written: its int fields appear as zeros, in order */
        struct kapi_value *n = kapi_value_object(p);
        static const char *const order[] = {"observedGeneration", "disruptedPods", "disruptionsAllowed",
                                            "currentHealthy", "desiredHealthy", "expectedPods", "conditions"};
        for (size_t i = 0; i < KAPI_ARRAY_LEN(order); i++) {
            struct kapi_value *v = kapi_obj_get(st, order[i]);
            if (v)
                kapi_obj_set(p, n, order[i], v);
            else if (i >= 2 && i <= 5)
                kapi_obj_set(p, n, order[i], kapi_value_int(p, 0));
        }
        st = n;
    }
    kapi_obj_set(p, st, "disruptionsAllowed", kapi_value_int(p, 0));
    set_condition(p, st, "False", "SyncFailed", err ? err : "", ival(kapi_obj_get(st, "observedGeneration")),
                  now_text);
    out->status = st;
    out->failed = true;
    out->sync_error = err ? err : "";
    out->changed = !kapi_value_equal(st, old);
}

void kapi_pdb_compute(struct kapi_pool *p, const struct kapi_value *pdb, struct kapi_value *const *pods,
                      size_t npods, kapi_pdb_finder_fn find, void *ctx, int64_t now_ms, const char *now_text,
                      struct kapi_pdb_result *out)
{
    memset(out, 0, sizeof(*out));
    const struct kapi_value *old = kapi_obj_get(pdb, "status");
    int64_t generation = ival(kapi_value_path(pdb, "metadata", "generation", NULL));
    int64_t expected = 0, desired = 0;
    const char *err = NULL;
    if (!expected_and_desired(p, pdb, pods, npods, find, ctx, &expected, &desired, &err)) {
        kapi_pdb_fail_safe(p, pdb, err, now_text, out);
        return;
    }

    /* buildDisruptedPodMap: entries of pods still present, not yet being
     * deleted and not older than the deletion timeout */
    const struct kapi_value *old_dp = kapi_obj_get(old, "disruptedPods");
    struct kapi_value *dp = kapi_value_object(p);
    for (size_t i = 0; old_dp && old_dp->type == KAPI_V_OBJECT && i < npods; i++) {
        if (deleting(pods[i]))
            continue;
        const char *name = kapi_value_cstr(kapi_value_path(pods[i], "metadata", "name", NULL));
        const struct kapi_value *when = name ? kapi_obj_get(old_dp, name) : NULL;
        int64_t t;
        if (!when || !kapi_printer_parse_time(kapi_value_cstr(when), &t))
            continue;
        int64_t expires_ms = t * 1000 + KAPI_PDB_DELETION_TIMEOUT_MS;
        if (expires_ms < now_ms) {
            kapi_log(1, "disruption: pod %s was expected to be deleted but it wasn't", name);
            continue;
        }
        if (!out->recheck_ms || expires_ms < out->recheck_ms)
            out->recheck_ms = expires_ms;
        kapi_obj_set(p, dp, name, kapi_value_clone(p, when));
    }
    if (dp->u.obj.len > 1)
        qsort(dp->u.obj.members, dp->u.obj.len, sizeof(*dp->u.obj.members), cmp_member_key);

    /* countHealthyPods */
    int64_t healthy = 0;
    for (size_t i = 0; i < npods; i++) {
        if (deleting(pods[i]))
            continue;
        const char *name = kapi_value_cstr(kapi_value_path(pods[i], "metadata", "name", NULL));
        const char *when = name ? kapi_obj_get_str(dp, name) : NULL;
        int64_t t;
        if (when && kapi_printer_parse_time(when, &t) && t * 1000 + KAPI_PDB_DELETION_TIMEOUT_MS > now_ms)
            continue;
        if (kapi_pdb_pod_ready(pods[i]))
            healthy++;
    }

    /* updatePdbStatus: no disruption while nothing is expected */
    int64_t allowed = healthy - desired;
    if (expected <= 0 || allowed <= 0)
        allowed = 0;
    if (ival(kapi_obj_get(old, "currentHealthy")) == healthy && ival(kapi_obj_get(old, "desiredHealthy")) == desired &&
        ival(kapi_obj_get(old, "expectedPods")) == expected &&
        ival(kapi_obj_get(old, "disruptionsAllowed")) == allowed && disrupted_equal(old_dp, dp) &&
        ival(kapi_obj_get(old, "observedGeneration")) == generation && conditions_up_to_date(pdb)) {
        out->status = kapi_value_clone(p, old);
        return;
    }
    struct kapi_value *st = kapi_value_object(p);
    if (generation)
        kapi_obj_set(p, st, "observedGeneration", kapi_value_int(p, generation));
    if (dp->u.obj.len)
        kapi_obj_set(p, st, "disruptedPods", dp);
    kapi_obj_set(p, st, "disruptionsAllowed", kapi_value_int(p, allowed));
    kapi_obj_set(p, st, "currentHealthy", kapi_value_int(p, healthy));
    kapi_obj_set(p, st, "desiredHealthy", kapi_value_int(p, desired));
    kapi_obj_set(p, st, "expectedPods", kapi_value_int(p, expected));
    const struct kapi_value *oc = kapi_obj_get(old, "conditions");
    kapi_obj_set(p, st, "conditions", oc && oc->type == KAPI_V_ARRAY ? kapi_value_clone(p, oc) : kapi_value_array(p));
    kapi_pdb_update_condition(p, st, now_text);
    out->status = st;
    out->changed = true;
}

/* ---------------------------------------------------------------- */
/* The controller                                                   */
/* ---------------------------------------------------------------- */

struct kapi_disruption {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_registry *reg;
    const struct kapi_kind *pods, *pdbs, *rcs, *rss, *deps, *sss;
    pthread_t thread;
    atomic_bool stop;
    /* namespaces with news since the last pass; all_dirty = every one */
    char **dirty;
    size_t ndirty, capdirty;
    bool all_dirty;
    int64_t recheck_ms; /* wall time of the earliest disruptedPods expiry */
};

/* schema.ParseGroupVersion's group, or NULL when apiVersion is malformed. */
static const char *ref_group(struct kapi_pool *p, const char *api_version, const char **version, const char **err)
{
    const char *s = api_version ? api_version : "";
    const char *slash = strchr(s, '/');
    if (!slash) {
        *version = s;
        return "";
    }
    if (strchr(slash + 1, '/')) {
        *err = kapi_pool_printf(p, "unexpected GroupVersion string: %s", s);
        return NULL;
    }
    *version = slash + 1;
    return kapi_pool_strndup(p, s, (size_t)(slash - s));
}

static struct kapi_value *get_obj(struct kapi_pool *p, const struct kapi_kind *k, const char *ns, const char *name)
{
    if (!k || !k->rc || !name)
        return NULL;
    struct kapi_cobj *o = kapi_rcache_get(k->rc, kapi_registry_key(p, k, ns, name));
    if (!o)
        return NULL;
    struct kapi_value *v = kapi_cobj_value(o, p);
    kapi_cobj_unref(o);
    return v;
}

/* The object ref names, when it exists with ref's uid. */
static struct kapi_value *get_ref(struct kapi_pool *p, const struct kapi_kind *k, const char *ns,
                                  const struct kapi_value *ref)
{
    struct kapi_value *v = get_obj(p, k, ns, kapi_obj_get_str(ref, "name"));
    const char *uid = kapi_value_cstr(kapi_value_path(v, "metadata", "uid", NULL));
    return v && streq(uid, kapi_obj_get_str(ref, "uid")) ? v : NULL;
}

static bool group_in(const char *g, const char *a, const char *b)
{
    return streq(g, a) || (b && streq(g, b));
}

static void scale_of(const struct kapi_value *obj, struct kapi_pdb_scale *out)
{
    out->uid = kapi_value_cstr(kapi_value_path(obj, "metadata", "uid", NULL));
    const struct kapi_value *r = kapi_value_path(obj, "spec", "replicas", NULL);
    out->replicas = r && r->type == KAPI_V_INT ? r->u.i : 1; /* defaulted to 1 upstream */
}

/* The finders upstream tries in turn: ReplicationController, the
 * Deployment of a ReplicaSet, a ReplicaSet no Deployment controls, a
 * StatefulSet, then any kind served with a scale subresource. */
static int find_controller(void *ctx, struct kapi_pool *p, const char *ns, const struct kapi_value *ref,
                           struct kapi_pdb_scale *out, const char **err)
{
    struct kapi_disruption *c = ctx;
    const char *version = NULL;
    const char *group = ref_group(p, kapi_obj_get_str(ref, "apiVersion"), &version, err);
    if (!group)
        return -1;
    const char *kind = kapi_obj_get_str(ref, "kind");
    struct kapi_value *obj;
    if (streq(kind, "ReplicationController") && group_in(group, "", NULL)) {
        if ((obj = get_ref(p, c->rcs, ns, ref))) {
            scale_of(obj, out);
            return 1;
        }
    }
    if (streq(kind, "ReplicaSet") && group_in(group, "apps", "extensions") && (obj = get_ref(p, c->rss, ns, ref))) {
        const struct kapi_value *dref = controller_of(obj);
        if (dref) {
            const char *dv = NULL;
            const char *dg = ref_group(p, kapi_obj_get_str(dref, "apiVersion"), &dv, err);
            if (!dg)
                return -1;
            struct kapi_value *dep;
            if (streq(kapi_obj_get_str(dref, "kind"), "Deployment") && group_in(dg, "apps", "extensions") &&
                (dep = get_ref(p, c->deps, ns, dref))) {
                scale_of(dep, out);
                return 1;
            }
        }
        /* a ReplicaSet a Deployment controls does not count on its own */
        if (!dref || !streq(kapi_obj_get_str(dref, "kind"), "Deployment")) {
            scale_of(obj, out);
            return 1;
        }
    }
    if (streq(kind, "StatefulSet") && group_in(group, "apps", NULL) && (obj = get_ref(p, c->sss, ns, ref))) {
        scale_of(obj, out);
        return 1;
    }
    /* getScaleController: any kind with a scale subresource */
    const struct kapi_kind *k = kind ? kapi_registry_find_by_kind(c->reg, group, version, kind) : NULL;
    if (!k) {
        *err = kapi_pool_printf(p, "no matches for kind %s in version %s", kapi_go_quote(p, kind ? kind : "", kind ? strlen(kind) : 0),
                                kapi_go_quote(p, kapi_obj_get_str(ref, "apiVersion") ? kapi_obj_get_str(ref, "apiVersion") : "",
                                              strlen(kapi_obj_get_str(ref, "apiVersion") ? kapi_obj_get_str(ref, "apiVersion") : "")));
        return -1;
    }
    bool has_scale = k->crd ? kapi_crd_scale_view(p, k, kapi_value_object(p)) != NULL
                            : kapi_registry_find_resource(c->reg, k->group, k->version,
                                                          kapi_pool_printf(p, "%s/scale", k->resource)) != NULL;
    if (!has_scale) {
        *err = kapi_pool_printf(p, "%s does not implement the scale subresource", k->group_resource);
        return -1;
    }
    obj = get_ref(p, k, ns, ref);
    if (!obj)
        return 0;
    if (k->crd) {
        struct kapi_value *view = k->view_out ? k->view_out(p, k, obj) : obj;
        struct kapi_value *sc = view ? kapi_crd_scale_view(p, k, view) : NULL;
        if (!sc) {
            *err = kapi_pool_printf(p, "%s: cannot read the scale of %s", k->group_resource, kapi_obj_get_str(ref, "name"));
            return -1;
        }
        out->uid = kapi_value_cstr(kapi_value_path(obj, "metadata", "uid", NULL));
        out->replicas = ival(kapi_value_path(sc, "spec", "replicas", NULL));
        return 1;
    }
    scale_of(obj, out);
    return 1;
}

static void mark_dirty(struct kapi_disruption *c, const char *ns)
{
    if (c->all_dirty || !ns)
        return;
    for (size_t i = 0; i < c->ndirty; i++)
        if (strcmp(c->dirty[i], ns) == 0)
            return;
    if (c->ndirty == 256) { /* many namespaces at once: one full pass */
        c->all_dirty = true;
        return;
    }
    if (c->ndirty == c->capdirty) {
        c->capdirty = c->capdirty ? c->capdirty * 2 : 16;
        c->dirty = realloc(c->dirty, c->capdirty * sizeof(*c->dirty));
        if (!c->dirty)
            abort();
    }
    c->dirty[c->ndirty++] = kapi_xstrdup(ns);
}

static void clear_dirty(struct kapi_disruption *c)
{
    for (size_t i = 0; i < c->ndirty; i++)
        free(c->dirty[i]);
    c->ndirty = 0;
    c->all_dirty = false;
}

static bool select_pod(void *ctx, const struct kapi_cobj *o)
{
    return kapi_label_selector_matches(ctx, o->labels);
}

/* trySync of one PodDisruptionBudget and its status write. */
static void sync_pdb(struct kapi_disruption *c, struct kapi_pool *p, struct kapi_cobj *o)
{
    struct kapi_value *pdb = kapi_cobj_value(o, p);
    if (!pdb || pdb->type != KAPI_V_OBJECT)
        return;
    const char *err = NULL;
    struct kapi_label_selector *sel =
        kapi_label_selector_from_object(p, kapi_value_path(pdb, "spec", "selector", NULL), &err);
    struct kapi_value **pods = NULL;
    size_t npods = 0;
    struct kapi_pdb_result res;
    int64_t now_ms = kapi_wall_ms();
    const char *now_text = kapi_meta_now(p);
    if (err) {
        /* a selector the conversion rejects fails the sync like any other error */
        kapi_pdb_fail_safe(p, pdb, err, now_text, &res);
    } else {
        if (sel) { /* an absent selector selects nothing */
            struct kapi_cache_filter f = {.ns = o->ns, .match = select_pod, .ctx = sel};
            struct kapi_cache_list l;
            kapi_rcache_list(c->pods->rc, &f, NULL, 0, &l);
            pods = kapi_pool_calloc(p, (l.n ? l.n : 1) * sizeof(*pods));
            for (size_t i = 0; i < l.n; i++) {
                struct kapi_value *v = kapi_cobj_value(l.items[i], p);
                if (v)
                    pods[npods++] = v;
            }
            kapi_cache_list_dispose(&l);
        }
        kapi_pdb_compute(p, pdb, pods, npods, find_controller, c, now_ms, now_text, &res);
    }
    if (res.recheck_ms && (!c->recheck_ms || res.recheck_ms < c->recheck_ms))
        c->recheck_ms = res.recheck_ms;
    if (!res.changed)
        return;
    if (res.failed)
        kapi_log(1, "disruption: PodDisruptionBudget %s/%s: %s", o->ns, o->name, res.sync_error);
    struct kapi_value *upd = kapi_value_clone(p, pdb);
    kapi_obj_set(p, upd, "status", res.status);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_meta_encode_for_store(upd, &b);
    struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = o->key, .value = b.data, .len = b.len,
                           .expect_mod_rev = o->mod_rev};
    struct kapi_write_result wr = {0};
    int rc = kapi_store_write(c->store, &w, &wr);
    kapi_write_result_dispose(&wr);
    kapi_buf_dispose(&b);
    if (rc == 0)
        kapi_log(2, "disruption: %s/%s: %lld disruption(s) allowed", o->ns, o->name,
                 (long long)ival(kapi_obj_get(res.status, "disruptionsAllowed")));
    else if (rc != KAPI_STORE_CONFLICT && rc != KAPI_STORE_NOT_FOUND)
        kapi_log(0, "disruption: %s/%s: %s", o->ns, o->name, kapi_store_strerror(rc));
    /* a conflict means the budget changed: its event brings it back */
}

/* Syncs the budgets of one namespace ("" = every namespace). */
static void sync_namespace(struct kapi_disruption *c, const char *ns)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_cache_filter f = {.ns = ns};
    struct kapi_cache_list l;
    kapi_rcache_list(c->pdbs->rc, &f, NULL, 0, &l);
    for (size_t i = 0; i < l.n && !atomic_load(&c->stop); i++) {
        sync_pdb(c, p, l.items[i]);
        if (i % 32 == 31) {
            kapi_pool_free(p);
            p = kapi_pool_new();
        }
    }
    kapi_cache_list_dispose(&l);
    kapi_pool_free(p);
}

static bool open_watch(struct kapi_disruption *c, struct kapi_watcher **w, const struct kapi_kind *k)
{
    if (*w)
        return true;
    struct kapi_cache_filter f = {.ns = ""};
    int err = 0;
    *w = kapi_rcache_watch(c->cache, k->rc, &f, -1, k->api_version, &err);
    if (*w)
        c->all_dirty = true; /* everything arrives again as ADDED */
    return *w != NULL;
}

/* Takes what the watcher has (waiting up to wait_ms for the first item);
 * false when the cache closed it. */
static bool drain(struct kapi_disruption *c, struct kapi_watcher **w, int wait_ms)
{
    for (int n = 0; n < 4096; n++) {
        struct kapi_watch_item it;
        int r = kapi_watcher_next(*w, &it, n == 0 ? wait_ms : 0);
        if (r == 0)
            return true;
        if (r < 0) {
            kapi_watcher_free(*w);
            *w = NULL;
            return false;
        }
        if (it.obj)
            mark_dirty(c, it.obj->ns);
        kapi_blob_unref(it.frame);
        kapi_cobj_unref(it.obj);
    }
    return true;
}

#define DISRUPTION_RESYNC_MS 5000

static void *disruption_main(void *arg)
{
    kapi_thread_name("ctl-disruption");
    struct kapi_disruption *c = arg;
    struct kapi_watcher *wpdb = NULL, *wpod = NULL;
    int64_t next_full = kapi_now_ms() + DISRUPTION_RESYNC_MS;
    while (!atomic_load(&c->stop)) {
        if (!open_watch(c, &wpdb, c->pdbs) || !open_watch(c, &wpod, c->pods)) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        bool busy = c->all_dirty || c->ndirty;
        if (!drain(c, &wpdb, 0) || !drain(c, &wpod, busy ? 10 : 100))
            continue;
        int64_t now = kapi_now_ms();
        if (now >= next_full || (c->recheck_ms && kapi_wall_ms() >= c->recheck_ms)) {
            c->all_dirty = true;
            c->recheck_ms = 0;
            next_full = now + DISRUPTION_RESYNC_MS;
        }
        if (c->all_dirty) {
            clear_dirty(c);
            sync_namespace(c, "");
        } else if (c->ndirty) {
            size_t n = c->ndirty;
            char **list = c->dirty;
            c->dirty = NULL;
            c->ndirty = c->capdirty = 0;
            for (size_t i = 0; i < n; i++) {
                if (!atomic_load(&c->stop))
                    sync_namespace(c, list[i]);
                free(list[i]);
            }
            free(list);
        }
    }
    kapi_watcher_free(wpdb);
    kapi_watcher_free(wpod);
    return NULL;
}

struct kapi_disruption *kapi_disruption_start(struct kapi_store *store, struct kapi_cache *cache,
                                              const struct kapi_registry *reg)
{
    const struct kapi_kind *pods = kapi_registry_find(reg, "", "v1", "pods");
    const struct kapi_kind *pdbs = kapi_registry_find(reg, "policy", "v1", "poddisruptionbudgets");
    if (!pods || !pods->rc || !pdbs || !pdbs->rc)
        return NULL;
    struct kapi_disruption *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->reg = reg;
    c->pods = pods;
    c->pdbs = pdbs;
    c->rcs = kapi_registry_find(reg, "", "v1", "replicationcontrollers");
    c->rss = kapi_registry_find(reg, "apps", "v1", "replicasets");
    c->deps = kapi_registry_find(reg, "apps", "v1", "deployments");
    c->sss = kapi_registry_find(reg, "apps", "v1", "statefulsets");
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, disruption_main, c) != 0) {
        kapi_log(0, "disruption: cannot start thread");
        abort();
    }
    return c;
}

void kapi_disruption_stop(struct kapi_disruption *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    clear_dirty(c);
    free(c->dirty);
    free(c);
}
