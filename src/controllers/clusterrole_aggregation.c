/* Implementation of controllers/clusterrole_aggregation.h. */
#include "clusterrole_aggregation.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cache/cache.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

struct kapi_cractl {
    struct kapi_store *store;
    struct kapi_cache *cache;
    const struct kapi_kind *kind;
    pthread_t thread;
    atomic_bool stop;
};

static bool str_in(const struct kapi_value *arr, const char *s)
{
    for (size_t i = 0; arr && arr->type == KAPI_V_ARRAY && i < arr->u.arr.len; i++) {
        const char *v = kapi_value_cstr(arr->u.arr.items[i]);
        if (v && strcmp(v, s) == 0)
            return true;
    }
    return false;
}

/* metav1.LabelSelector (object form) against labels. An invalid selector
 * selects nothing, as LabelSelectorAsSelector's error does upstream. */
static bool selector_matches(const struct kapi_value *sel, const struct kapi_value *labels)
{
    if (!sel || sel->type != KAPI_V_OBJECT)
        return false;
    const struct kapi_value *ml = kapi_obj_get(sel, "matchLabels");
    for (size_t i = 0; ml && ml->type == KAPI_V_OBJECT && i < ml->u.obj.len; i++) {
        const char *want = kapi_value_cstr(ml->u.obj.members[i].val);
        const char *have = kapi_obj_get_str(labels, ml->u.obj.members[i].key);
        if (!want || !have || strcmp(want, have) != 0)
            return false;
    }
    const struct kapi_value *me = kapi_obj_get(sel, "matchExpressions");
    for (size_t i = 0; me && me->type == KAPI_V_ARRAY && i < me->u.arr.len; i++) {
        const struct kapi_value *e = me->u.arr.items[i];
        const char *key = kapi_obj_get_str(e, "key"), *op = kapi_obj_get_str(e, "operator");
        if (!key || !op)
            return false;
        const char *have = kapi_obj_get_str(labels, key);
        const struct kapi_value *vals = kapi_obj_get(e, "values");
        if (strcmp(op, "In") == 0) {
            if (!have || !str_in(vals, have))
                return false;
        } else if (strcmp(op, "NotIn") == 0) {
            if (have && str_in(vals, have))
                return false;
        } else if (strcmp(op, "Exists") == 0) {
            if (!have)
                return false;
        } else if (strcmp(op, "DoesNotExist") == 0) {
            if (have)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

struct role {
    const char *name;
    struct kapi_value *obj;
    int64_t mod_rev;
    const char *key;
};

static int role_cmp(const void *a, const void *b)
{
    return strcmp(((const struct role *)a)->name, ((const struct role *)b)->name);
}

/* One pass: every ClusterRole with an aggregationRule gets the rules of the
 * ClusterRoles its selectors pick (by name, each rule once). */
static void reconcile(struct kapi_cractl *c)
{
    struct kapi_pool *p = kapi_pool_new();
    struct kapi_cache_filter all = {.ns = ""};
    struct kapi_cache_list l;
    kapi_rcache_list(c->kind->rc, &all, NULL, 0, &l);
    struct role *roles = kapi_pool_calloc(p, (l.n ? l.n : 1) * sizeof(*roles));
    size_t n = 0;
    for (size_t i = 0; i < l.n; i++) {
        struct kapi_value *v = kapi_cobj_value(l.items[i], p);
        if (!v || v->type != KAPI_V_OBJECT)
            continue;
        roles[n++] = (struct role){.name = kapi_pool_strdup(p, l.items[i]->name ? l.items[i]->name : ""),
                                   .obj = v, .mod_rev = l.items[i]->mod_rev,
                                   .key = kapi_pool_strdup(p, l.items[i]->key)};
    }
    kapi_cache_list_dispose(&l);
    qsort(roles, n, sizeof(*roles), role_cmp);
    for (size_t i = 0; i < n && !atomic_load(&c->stop); i++) {
        const struct kapi_value *agg = kapi_obj_get(roles[i].obj, "aggregationRule");
        const struct kapi_value *sels = agg ? kapi_obj_get(agg, "clusterRoleSelectors") : NULL;
        if (!sels || sels->type != KAPI_V_ARRAY)
            continue;
        struct kapi_value *rules = kapi_value_array(p);
        for (size_t s = 0; s < sels->u.arr.len; s++)
            for (size_t j = 0; j < n; j++) {
                if (j == i)
                    continue;
                const struct kapi_value *labels = kapi_value_path(roles[j].obj, "metadata", "labels", NULL);
                if (!selector_matches(sels->u.arr.items[s], labels))
                    continue;
                const struct kapi_value *rr = kapi_obj_get(roles[j].obj, "rules");
                for (size_t k = 0; rr && rr->type == KAPI_V_ARRAY && k < rr->u.arr.len; k++) {
                    bool dup = false;
                    for (size_t m = 0; m < rules->u.arr.len && !dup; m++)
                        dup = kapi_value_equal(rules->u.arr.items[m], rr->u.arr.items[k]);
                    if (!dup)
                        kapi_arr_push(p, rules, kapi_value_clone(p, rr->u.arr.items[k]));
                }
            }
        const struct kapi_value *cur = kapi_obj_get(roles[i].obj, "rules");
        size_t ncur = cur && cur->type == KAPI_V_ARRAY ? cur->u.arr.len : 0;
        bool same = ncur == rules->u.arr.len;
        for (size_t k = 0; same && k < ncur; k++)
            same = kapi_value_equal(cur->u.arr.items[k], rules->u.arr.items[k]);
        if (same)
            continue;
        struct kapi_value *upd = kapi_value_clone(p, roles[i].obj);
        /* rules sit before aggregationRule in the type's field order */
        kapi_obj_del(upd, "aggregationRule");
        kapi_obj_set(p, upd, "rules", rules);
        kapi_obj_set(p, upd, "aggregationRule", kapi_value_clone(p, agg));
        struct kapi_buf b;
        kapi_buf_init(&b, 0);
        kapi_meta_encode_for_store(upd, &b);
        struct kapi_write w = {.op = KAPI_WRITE_UPDATE, .key = roles[i].key, .value = b.data, .len = b.len,
                               .expect_mod_rev = roles[i].mod_rev};
        struct kapi_write_result res = {0};
        int err = kapi_store_write(c->store, &w, &res);
        kapi_write_result_dispose(&res);
        kapi_buf_dispose(&b);
        if (err && err != KAPI_STORE_CONFLICT && err != KAPI_STORE_NOT_FOUND)
            kapi_log(0, "clusterrole aggregation: %s: %s", roles[i].name, kapi_store_strerror(err));
        else if (!err)
            kapi_log(2, "clusterrole aggregation: %s now has %zu rules", roles[i].name, rules->u.arr.len);
    }
    kapi_pool_free(p);
}

static void *cractl_main(void *arg)
{
    kapi_thread_name("ctl-roleaggr");
    struct kapi_cractl *c = arg;
    struct kapi_watcher *w = NULL;
    bool dirty = true;
    while (!atomic_load(&c->stop)) {
        if (!w) {
            struct kapi_cache_filter f = {.ns = ""};
            int err = 0;
            w = kapi_rcache_watch(c->cache, c->kind->rc, &f, -1, c->kind->api_version, &err);
            dirty = true;
            if (!w) {
                struct timespec ts = {0, 200 * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
        }
        struct kapi_watch_item it;
        int r = kapi_watcher_next(w, &it, dirty ? 20 : 200);
        if (r == 1) {
            dirty = true;
            kapi_blob_unref(it.frame);
            kapi_cobj_unref(it.obj);
            continue; /* drain a burst first */
        }
        if (r < 0) {
            kapi_watcher_free(w);
            w = NULL;
            continue;
        }
        if (dirty) {
            dirty = false;
            reconcile(c);
        }
    }
    kapi_watcher_free(w);
    return NULL;
}

struct kapi_cractl *kapi_cractl_start(struct kapi_store *store, struct kapi_cache *cache,
                                      const struct kapi_registry *reg)
{
    const struct kapi_kind *k = kapi_registry_find(reg, "rbac.authorization.k8s.io", "v1", "clusterroles");
    if (!k || !k->rc)
        return NULL;
    struct kapi_cractl *c = kapi_xcalloc(1, sizeof(*c));
    c->store = store;
    c->cache = cache;
    c->kind = k;
    atomic_init(&c->stop, false);
    if (pthread_create(&c->thread, NULL, cractl_main, c) != 0) {
        kapi_log(0, "clusterrole aggregation: cannot start thread");
        abort();
    }
    return c;
}

void kapi_cractl_stop(struct kapi_cractl *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    pthread_join(c->thread, NULL);
    free(c);
}
