/* The RBAC authorizer: an immutable index built from one snapshot of the
 * four RBAC caches, swapped under a rwlock when their content changes. */
#include "rbac.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../api/names.h"
#include "../cache/cache.h"
#include "../codec/json.h"
#include "../registry/objectmeta.h"
#include "../registry/registry.h"
#include "../storage/storage.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define MASTERS "system:masters"
#define SA_PREFIX "system:serviceaccount:"

enum { RC_ROLES, RC_CROLES, RC_RBS, RC_CRBS, RC_N };
static const char *const rc_names[RC_N] = {"roles", "clusterroles", "rolebindings", "clusterrolebindings"};

/* A rule's lists are NULL-terminated; an absent list is an empty one. */
struct rule {
    const char **verbs, **groups, **resources, **names, **urls;
};
struct rules {
    struct rule *v;
    size_t n;
};

struct binding {
    const char *name, *ns; /* ns "" for ClusterRoleBindings */
    const char *ref_kind, *ref_name;
    const struct rules *rules; /* NULL: the role is missing, err says why */
    const char *err;
    const char **subj_kind, **subj_name, **subj_ns;
    size_t seq; /* position in key order, to visit bindings as a list would */
};

/* One (binding, subject) pair filed under the subject's key. */
struct entry {
    struct binding *b;
    size_t subj;
    struct entry *next;
};

struct hnode {
    const char *key;
    void *val;
    struct hnode *next;
};
struct hmap {
    struct hnode **b;
    size_t nb;
};

struct index {
    struct kapi_pool *pool;
    struct hmap croles, roles;     /* name / "ns/name" -> struct rules */
    struct hmap csubj, nsubj;      /* subject key ("ns\x1f" prefix for RoleBindings) -> entry list */
    int64_t sig_n[RC_N], sig_sum[RC_N];
};

struct kapi_rbac {
    struct kapi_cache *cache;
    struct kapi_rcache *rc[RC_N];
    pthread_rwlock_t lock;  /* guards idx */
    pthread_mutex_t build;  /* one rebuild at a time */
    struct index *idx;
    _Atomic int64_t checked_rev; /* cache revision idx is known to reflect */
};

/* ---- a small string hash map in a pool ---- */

static uint64_t hash_str(const char *s)
{
    return kapi_fnv1a(KAPI_FNV_INIT, s, strlen(s));
}

static void hmap_init(struct kapi_pool *p, struct hmap *m, size_t n)
{
    m->nb = 16;
    while (m->nb < n * 2)
        m->nb <<= 1;
    m->b = kapi_pool_calloc(p, m->nb * sizeof(*m->b));
}

static struct hnode *hmap_find(const struct hmap *m, const char *key)
{
    if (!m->nb)
        return NULL;
    for (struct hnode *n = m->b[hash_str(key) & (m->nb - 1)]; n; n = n->next)
        if (strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

static struct hnode *hmap_upsert(struct kapi_pool *p, struct hmap *m, const char *key)
{
    struct hnode *n = hmap_find(m, key);
    if (n)
        return n;
    size_t i = hash_str(key) & (m->nb - 1);
    n = kapi_pool_calloc(p, sizeof(*n));
    n->key = kapi_pool_strdup(p, key);
    n->next = m->b[i];
    m->b[i] = n;
    return n;
}

/* ---- building the index ---- */

static const char **str_list(struct kapi_pool *p, const struct kapi_value *arr)
{
    if (!arr || arr->type != KAPI_V_ARRAY || arr->u.arr.len == 0)
        return NULL;
    const char **out = kapi_pool_calloc(p, (arr->u.arr.len + 1) * sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const char *s = kapi_value_cstr(arr->u.arr.items[i]);
        if (s)
            out[k++] = s;
    }
    return out;
}

static struct rules *parse_rules(struct kapi_pool *p, const struct kapi_value *obj)
{
    struct rules *rs = kapi_pool_calloc(p, sizeof(*rs));
    const struct kapi_value *arr = kapi_obj_get(obj, "rules");
    if (!arr || arr->type != KAPI_V_ARRAY)
        return rs;
    rs->v = kapi_pool_calloc(p, (arr->u.arr.len + 1) * sizeof(*rs->v));
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const struct kapi_value *r = arr->u.arr.items[i];
        if (!r || r->type != KAPI_V_OBJECT)
            continue;
        struct rule *o = &rs->v[rs->n++];
        o->verbs = str_list(p, kapi_obj_get(r, "verbs"));
        o->groups = str_list(p, kapi_obj_get(r, "apiGroups"));
        o->resources = str_list(p, kapi_obj_get(r, "resources"));
        o->names = str_list(p, kapi_obj_get(r, "resourceNames"));
        o->urls = str_list(p, kapi_obj_get(r, "nonResourceURLs"));
    }
    return rs;
}

/* The index key of a subject, or NULL for kinds RBAC does not match. */
static const char *subject_key(struct kapi_pool *p, const char *bns, const char *kind, const char *name,
                               const char *sns)
{
    if (!kind || !name)
        return NULL;
    const char *pre = bns[0] ? kapi_pool_printf(p, "%s\x1f", bns) : "";
    if (strcmp(kind, "User") == 0)
        return kapi_pool_printf(p, "%su\x1f%s", pre, name);
    if (strcmp(kind, "Group") == 0)
        return kapi_pool_printf(p, "%sg\x1f%s", pre, name);
    /* A service account is matched by the user name its tokens carry. A
     * subject without a namespace means the binding's own (RoleBindings);
     * in a ClusterRoleBinding it matches nobody. */
    if (strcmp(kind, "ServiceAccount") == 0) {
        const char *ns = sns && sns[0] ? sns : bns;
        return ns[0] ? kapi_pool_printf(p, "%su\x1f" SA_PREFIX "%s:%s", pre, ns, name) : NULL;
    }
    return NULL;
}

static void list_all(struct kapi_rcache *rc, struct kapi_cache_list *l)
{
    memset(l, 0, sizeof(*l));
    struct kapi_cache_filter all = {0};
    if (rc)
        kapi_rcache_list(rc, &all, NULL, 0, l);
}

static void signature(const struct kapi_cache_list *l, int64_t *n, int64_t *sum)
{
    /* Every write gives its object a revision above all current ones, so
     * (count, sum of mod_revs) changes whenever the set of versions does. */
    *n = (int64_t)l->n;
    *sum = 0;
    for (size_t i = 0; i < l->n; i++)
        *sum += l->items[i]->mod_rev;
}

static void add_binding(struct index *x, struct kapi_cobj *o, bool cluster, size_t seq)
{
    struct kapi_pool *p = x->pool;
    struct kapi_value *v = kapi_cobj_value(o, p);
    if (!v)
        return;
    struct binding *b = kapi_pool_calloc(p, sizeof(*b));
    b->name = o->name;
    b->ns = cluster ? "" : o->ns;
    b->seq = seq;
    const struct kapi_value *ref = kapi_obj_get(v, "roleRef");
    b->ref_kind = kapi_obj_get_str(ref, "kind");
    b->ref_name = kapi_obj_get_str(ref, "name");
    if (!b->ref_kind)
        b->ref_kind = "";
    if (!b->ref_name)
        b->ref_name = "";
    if (strcmp(b->ref_kind, "ClusterRole") == 0) {
        struct hnode *n = hmap_find(&x->croles, b->ref_name);
        if (n)
            b->rules = n->val;
        else
            b->err = kapi_pool_printf(p, "clusterrole.rbac.authorization.k8s.io \"%s\" not found", b->ref_name);
    } else if (strcmp(b->ref_kind, "Role") == 0) {
        struct hnode *n = hmap_find(&x->roles, kapi_pool_printf(p, "%s/%s", b->ns, b->ref_name));
        if (n)
            b->rules = n->val;
        else
            b->err = kapi_pool_printf(p, "role.rbac.authorization.k8s.io \"%s\" not found", b->ref_name);
    } else {
        b->err = kapi_pool_printf(p, "unsupported role reference kind: \"%s\"", b->ref_kind);
    }
    const struct kapi_value *subs = kapi_obj_get(v, "subjects");
    if (!subs || subs->type != KAPI_V_ARRAY)
        return;
    size_t n = subs->u.arr.len;
    b->subj_kind = kapi_pool_calloc(p, n * sizeof(char *));
    b->subj_name = kapi_pool_calloc(p, n * sizeof(char *));
    b->subj_ns = kapi_pool_calloc(p, n * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        const struct kapi_value *s = subs->u.arr.items[i];
        b->subj_kind[i] = kapi_obj_get_str(s, "kind");
        b->subj_name[i] = kapi_obj_get_str(s, "name");
        b->subj_ns[i] = kapi_obj_get_str(s, "namespace");
        const char *key = subject_key(p, b->ns, b->subj_kind[i], b->subj_name[i], b->subj_ns[i]);
        if (!key)
            continue;
        struct hnode *hn = hmap_upsert(p, cluster ? &x->csubj : &x->nsubj, key);
        struct entry *e = kapi_pool_calloc(p, sizeof(*e));
        e->b = b;
        e->subj = i;
        e->next = hn->val;
        hn->val = e;
    }
}

static struct index *index_build(struct kapi_cache_list l[RC_N])
{
    struct index *x = kapi_xcalloc(1, sizeof(*x));
    x->pool = kapi_pool_new();
    hmap_init(x->pool, &x->roles, l[RC_ROLES].n);
    hmap_init(x->pool, &x->croles, l[RC_CROLES].n);
    hmap_init(x->pool, &x->csubj, l[RC_CRBS].n * 2);
    hmap_init(x->pool, &x->nsubj, l[RC_RBS].n * 2);
    for (int k = 0; k < RC_N; k++)
        signature(&l[k], &x->sig_n[k], &x->sig_sum[k]);
    for (int k = RC_ROLES; k <= RC_CROLES; k++) {
        for (size_t i = 0; i < l[k].n; i++) {
            struct kapi_cobj *o = l[k].items[i];
            struct kapi_value *v = kapi_cobj_value(o, x->pool);
            if (!v)
                continue;
            const char *key = k == RC_ROLES ? kapi_pool_printf(x->pool, "%s/%s", o->ns, o->name) : o->name;
            hmap_upsert(x->pool, k == RC_ROLES ? &x->roles : &x->croles, key)->val = parse_rules(x->pool, v);
        }
    }
    for (size_t i = 0; i < l[RC_CRBS].n; i++)
        add_binding(x, l[RC_CRBS].items[i], true, i);
    for (size_t i = 0; i < l[RC_RBS].n; i++)
        add_binding(x, l[RC_RBS].items[i], false, i);
    return x;
}

static void index_free(struct index *x)
{
    if (!x)
        return;
    kapi_pool_free(x->pool);
    free(x);
}

/* Brings r->idx up to the cache's content at revision rev (or later). */
static void refresh(struct kapi_rbac *r, int64_t rev)
{
    pthread_mutex_lock(&r->build);
    if (atomic_load(&r->checked_rev) == rev) {
        pthread_mutex_unlock(&r->build);
        return;
    }
    struct kapi_cache_list l[RC_N];
    bool same = r->idx != NULL;
    for (int k = 0; k < RC_N; k++) {
        list_all(r->rc[k], &l[k]);
        int64_t n, sum;
        signature(&l[k], &n, &sum);
        if (same && (n != r->idx->sig_n[k] || sum != r->idx->sig_sum[k]))
            same = false;
    }
    if (!same) {
        struct index *x = index_build(l);
        pthread_rwlock_wrlock(&r->lock);
        struct index *old = r->idx;
        r->idx = x;
        pthread_rwlock_unlock(&r->lock);
        index_free(old);
    }
    for (int k = 0; k < RC_N; k++)
        kapi_cache_list_dispose(&l[k]);
    atomic_store(&r->checked_rev, rev);
    pthread_mutex_unlock(&r->build);
}

struct kapi_rbac *kapi_rbac_new(struct kapi_cache *cache, const struct kapi_registry *reg)
{
    struct kapi_rbac *r = kapi_xcalloc(1, sizeof(*r));
    r->cache = cache;
    for (int k = 0; k < RC_N; k++) {
        const struct kapi_kind *kd = reg ? kapi_registry_find(reg, RBAC_GROUP, "v1", rc_names[k]) : NULL;
        r->rc[k] = kd ? kd->rc : NULL;
    }
    pthread_rwlock_init(&r->lock, NULL);
    pthread_mutex_init(&r->build, NULL);
    atomic_store(&r->checked_rev, -1);
    return r;
}

void kapi_rbac_free(struct kapi_rbac *r)
{
    if (!r)
        return;
    index_free(r->idx);
    pthread_rwlock_destroy(&r->lock);
    pthread_mutex_destroy(&r->build);
    free(r);
}

/* ---- evaluation (upstream's RuleAllows) ---- */

static bool has(const char **list, const char *want)
{
    if (list)
        for (; *list; list++)
            if (strcmp(*list, "*") == 0 || strcmp(*list, want) == 0)
                return true;
    return false;
}

static bool resource_matches(const char **list, const char *combined, const char *sub)
{
    if (!list)
        return false;
    size_t sl = strlen(sub);
    for (; *list; list++) {
        const char *rr = *list;
        if (strcmp(rr, "*") == 0 || strcmp(rr, combined) == 0)
            return true;
        /* "*\/scale" grants that subresource of every resource */
        if (sl && strlen(rr) == sl + 2 && rr[0] == '*' && rr[1] == '/' && strcmp(rr + 2, sub) == 0)
            return true;
    }
    return false;
}

static bool name_matches(const char **list, const char *name)
{
    if (!list)
        return true;
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

static bool url_matches(const char **list, const char *path)
{
    if (!list)
        return false;
    for (; *list; list++) {
        const char *u = *list;
        size_t n = strlen(u);
        if (strcmp(u, "*") == 0 || strcmp(u, path) == 0)
            return true;
        if (n && u[n - 1] == '*') {
            while (n && u[n - 1] == '*')
                n--;
            if (strncmp(u, path, n) == 0)
                return true;
        }
    }
    return false;
}

struct req {
    const struct kapi_authz_attrs *a;
    const char *verb, *group, *resource, *sub, *name, *path, *combined;
};

static bool rule_allows(const struct req *q, const struct rule *ru)
{
    if (!has(ru->verbs, q->verb))
        return false;
    if (!q->a->resource_request)
        return url_matches(ru->urls, q->path);
    return has(ru->groups, q->group) && resource_matches(ru->resources, q->combined, q->sub) &&
           name_matches(ru->names, q->name);
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

static const char *describe_subject(struct kapi_pool *p, const struct binding *b, size_t i)
{
    const char *kind = nz(b->subj_kind[i]), *name = nz(b->subj_name[i]);
    if (strcmp(kind, "ServiceAccount") == 0) {
        const char *ns = b->subj_ns[i] && b->subj_ns[i][0] ? b->subj_ns[i] : b->ns;
        return kapi_pool_printf(p, "%s \"%s/%s\"", kind, name, ns);
    }
    return kapi_pool_printf(p, "%s \"%s\"", kind, name);
}

static int cmp_entry(const void *x, const void *y)
{
    const struct entry *a = *(struct entry *const *)x, *b = *(struct entry *const *)y;
    if (a->b->seq != b->b->seq)
        return a->b->seq < b->b->seq ? -1 : 1;
    return a->subj < b->subj ? -1 : a->subj > b->subj;
}

struct errs {
    const char **v;
    size_t n, cap;
};

static void add_err(struct kapi_pool *p, struct errs *e, const char *msg)
{
    for (size_t i = 0; i < e->n; i++)
        if (strcmp(e->v[i], msg) == 0)
            return;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 4;
        const char **v = kapi_pool_alloc(p, cap * sizeof(*v));
        if (e->n)
            memcpy(v, e->v, e->n * sizeof(*v));
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n++] = msg;
}

/* Visits the bindings filed under the user's keys (with prefix pre) in list
 * order; true and *reason on the first rule that allows. */
static bool visit(struct kapi_pool *p, const struct hmap *m, const char *pre, const struct req *q, struct errs *errs,
                  const char **reason)
{
    const struct kapi_user *u = q->a->user;
    size_t nkeys = 1 + u->ngroups, total = 0;
    struct entry **heads = kapi_pool_calloc(p, nkeys * sizeof(*heads));
    for (size_t k = 0; k < nkeys; k++) {
        const char *key = k == 0 ? kapi_pool_printf(p, "%su\x1f%s", pre, nz(u->name))
                                 : kapi_pool_printf(p, "%sg\x1f%s", pre, nz(u->groups[k - 1]));
        struct hnode *n = hmap_find(m, key);
        heads[k] = n ? n->val : NULL;
        for (struct entry *e = heads[k]; e; e = e->next)
            total++;
    }
    if (!total)
        return false;
    struct entry **all = kapi_pool_alloc(p, total * sizeof(*all));
    size_t n = 0;
    for (size_t k = 0; k < nkeys; k++)
        for (struct entry *e = heads[k]; e; e = e->next)
            all[n++] = e;
    qsort(all, n, sizeof(*all), cmp_entry);
    const struct binding *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct binding *b = all[i]->b;
        if (b == last) /* only a binding's first matching subject counts */
            continue;
        last = b;
        if (!b->rules) {
            add_err(p, errs, b->err);
            continue;
        }
        for (size_t j = 0; j < b->rules->n; j++) {
            if (!rule_allows(q, &b->rules->v[j]))
                continue;
            if (reason) {
                const char *subj = describe_subject(p, b, all[i]->subj);
                if (b->ns[0])
                    *reason = kapi_pool_printf(p, "RBAC: allowed by RoleBinding \"%s/%s\" of %s \"%s\" to %s",
                                               b->name, b->ns, b->ref_kind, b->ref_name, subj);
                else
                    *reason = kapi_pool_printf(p, "RBAC: allowed by ClusterRoleBinding \"%s\" of %s \"%s\" to %s",
                                               b->name, b->ref_kind, b->ref_name, subj);
            }
            return true;
        }
    }
    return false;
}

bool kapi_rbac_authorize(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_authz_attrs *a,
                         const char **reason)
{
    if (reason)
        *reason = "";
    const struct kapi_user *u = a->user;
    if (!u)
        return false;
    /* Upstream lets system:masters through before RBAC is consulted; the
     * text is what the bootstrap cluster-admin binding would report. */
    for (size_t i = 0; i < u->ngroups; i++) {
        if (u->groups[i] && strcmp(u->groups[i], MASTERS) == 0) {
            if (reason)
                *reason = "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" "
                          "to Group \"" MASTERS "\"";
            return true;
        }
    }
    if (!r)
        return false;
    int64_t rev = kapi_cache_rev(r->cache);
    if (atomic_load(&r->checked_rev) != rev)
        refresh(r, rev);

    struct req q = {.a = a, .verb = nz(a->verb), .group = nz(a->group), .resource = nz(a->resource),
                    .sub = nz(a->subresource), .name = nz(a->name), .path = nz(a->path)};
    q.combined = q.sub[0] ? kapi_pool_printf(pool, "%s/%s", q.resource, q.sub) : q.resource;
    struct errs errs = {0};
    bool ok = false;
    pthread_rwlock_rdlock(&r->lock);
    if (r->idx) {
        ok = visit(pool, &r->idx->csubj, "", &q, &errs, reason);
        const char *ns = nz(a->ns);
        if (!ok && ns[0])
            ok = visit(pool, &r->idx->nsubj, kapi_pool_printf(pool, "%s\x1f", ns), &q, &errs, reason);
    }
    pthread_rwlock_unlock(&r->lock);
    if (!ok && errs.n && reason) {
        if (errs.n == 1) {
            *reason = kapi_pool_printf(pool, "RBAC: %s", errs.v[0]);
        } else {
            struct kapi_buf b;
            kapi_buf_init(&b, 0);
            kapi_buf_puts(&b, "RBAC: [");
            for (size_t i = 0; i < errs.n; i++) {
                if (i)
                    kapi_buf_puts(&b, ", ");
                kapi_buf_puts(&b, errs.v[i]);
            }
            kapi_buf_putc(&b, ']');
            *reason = kapi_pool_strdup(pool, b.data);
            kapi_buf_dispose(&b);
        }
    }
    return ok;
}

/* ---- rules of a user (SelfSubjectRulesReview) ---- */

static struct kapi_value *str_array(struct kapi_pool *p, const char **list)
{
    struct kapi_value *a = kapi_value_array(p);
    for (size_t i = 0; list && list[i]; i++)
        kapi_arr_push(p, a, kapi_value_str(p, list[i]));
    return a;
}

static void collect(struct kapi_pool *p, const struct hmap *m, const char *pre, const struct kapi_user *u,
                    struct kapi_value *res_rules, struct kapi_value *url_rules)
{
    for (size_t k = 0; k <= u->ngroups; k++) {
        const char *key = k == 0 ? kapi_pool_printf(p, "%su\x1f%s", pre, nz(u->name))
                                 : kapi_pool_printf(p, "%sg\x1f%s", pre, nz(u->groups[k - 1]));
        struct hnode *n = hmap_find(m, key);
        for (struct entry *e = n ? n->val : NULL; e; e = e->next) {
            const struct rules *rs = e->b->rules;
            for (size_t j = 0; rs && j < rs->n; j++) {
                const struct rule *ru = &rs->v[j];
                struct kapi_value *o = kapi_value_object(p);
                kapi_obj_set(p, o, "verbs", str_array(p, ru->verbs));
                if (ru->urls && ru->urls[0]) {
                    kapi_obj_set(p, o, "nonResourceURLs", str_array(p, ru->urls));
                    kapi_arr_push(p, url_rules, o);
                } else {
                    kapi_obj_set(p, o, "apiGroups", str_array(p, ru->groups));
                    kapi_obj_set(p, o, "resources", str_array(p, ru->resources));
                    if (ru->names && ru->names[0])
                        kapi_obj_set(p, o, "resourceNames", str_array(p, ru->names));
                    kapi_arr_push(p, res_rules, o);
                }
            }
        }
    }
}

void kapi_rbac_rules(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u, const char *ns,
                     struct kapi_value *resource_rules, struct kapi_value *non_resource_rules)
{
    /* without an index (no RBAC objects read yet) masters still get "*" */
    for (size_t i = 0; !r && i < u->ngroups; i++) {
        if (u->groups[i] && strcmp(u->groups[i], MASTERS) == 0) {
            const char *star[] = {"*", NULL};
            struct kapi_value *o = kapi_value_object(pool);
            kapi_obj_set(pool, o, "verbs", str_array(pool, star));
            kapi_obj_set(pool, o, "apiGroups", str_array(pool, star));
            kapi_obj_set(pool, o, "resources", str_array(pool, star));
            kapi_arr_push(pool, resource_rules, o);
            o = kapi_value_object(pool);
            kapi_obj_set(pool, o, "verbs", str_array(pool, star));
            kapi_obj_set(pool, o, "nonResourceURLs", str_array(pool, star));
            kapi_arr_push(pool, non_resource_rules, o);
            break;
        }
    }
    if (!r)
        return;
    int64_t rev = kapi_cache_rev(r->cache);
    if (atomic_load(&r->checked_rev) != rev)
        refresh(r, rev);
    pthread_rwlock_rdlock(&r->lock);
    if (r->idx) {
        collect(pool, &r->idx->csubj, "", u, resource_rules, non_resource_rules);
        if (ns && ns[0])
            collect(pool, &r->idx->nsubj, kapi_pool_printf(pool, "%s\x1f", ns), u, resource_rules, non_resource_rules);
    }
    pthread_rwlock_unlock(&r->lock);
}

/* ---- rules as data, for the escalation checks ---- */

static const char **copy_list(struct kapi_pool *p, const char **l)
{
    if (!l || !l[0])
        return NULL;
    size_t n = 0;
    while (l[n])
        n++;
    const char **o = kapi_pool_alloc(p, (n + 1) * sizeof(*o));
    for (size_t i = 0; i < n; i++)
        o[i] = kapi_pool_strdup(p, l[i]);
    o[n] = NULL;
    return o;
}

struct rule_vec {
    struct kapi_rbac_rule *v;
    size_t n, cap;
};

static void push_rules(struct kapi_pool *p, struct rule_vec *out, const struct rules *rs)
{
    if (!rs || !rs->n)
        return;
    if (out->n + rs->n > out->cap) {
        size_t cap = out->cap ? out->cap : 16;
        while (cap < out->n + rs->n)
            cap *= 2;
        struct kapi_rbac_rule *v = kapi_pool_alloc(p, cap * sizeof(*v));
        if (out->n)
            memcpy(v, out->v, out->n * sizeof(*v));
        out->v = v;
        out->cap = cap;
    }
    for (size_t i = 0; i < rs->n; i++) {
        const struct rule *ru = &rs->v[i];
        out->v[out->n++] = (struct kapi_rbac_rule){copy_list(p, ru->verbs), copy_list(p, ru->groups),
                                                   copy_list(p, ru->resources), copy_list(p, ru->names),
                                                   copy_list(p, ru->urls)};
    }
}

/* How the registry-backed resolver of the RBAC storage words a binding
 * whose role it cannot read (the authorizer's own texts differ). */
static const char *registry_error(struct kapi_pool *p, const struct binding *b)
{
    if (strcmp(b->ref_kind, "ClusterRole") == 0)
        return kapi_pool_printf(p, "clusterroles.rbac.authorization.k8s.io %s not found",
                                kapi_go_quote(p, b->ref_name, strlen(b->ref_name)));
    if (strcmp(b->ref_kind, "Role") == 0) {
        if (!b->ns[0]) /* a Role looked up without a namespace */
            return "Namespace parameter required.";
        return kapi_pool_printf(p, "roles.rbac.authorization.k8s.io %s not found",
                                kapi_go_quote(p, b->ref_name, strlen(b->ref_name)));
    }
    return kapi_pool_printf(p, "unsupported role reference kind: %s",
                            kapi_go_quote(p, b->ref_kind, strlen(b->ref_kind)));
}

/* The rules of the bindings filed under u's keys (prefix pre), visited in
 * list order with one subject match per binding. */
static void held_in(struct kapi_pool *p, const struct hmap *m, const char *pre, const struct kapi_user *u,
                    struct rule_vec *out, struct errs *errs)
{
    size_t nkeys = 1 + u->ngroups, total = 0;
    struct entry **heads = kapi_pool_calloc(p, nkeys * sizeof(*heads));
    for (size_t k = 0; k < nkeys; k++) {
        const char *key = k == 0 ? kapi_pool_printf(p, "%su\x1f%s", pre, nz(u->name))
                                 : kapi_pool_printf(p, "%sg\x1f%s", pre, nz(u->groups[k - 1]));
        struct hnode *n = hmap_find(m, key);
        heads[k] = n ? n->val : NULL;
        for (struct entry *e = heads[k]; e; e = e->next)
            total++;
    }
    if (!total)
        return;
    struct entry **all = kapi_pool_alloc(p, total * sizeof(*all));
    size_t n = 0;
    for (size_t k = 0; k < nkeys; k++)
        for (struct entry *e = heads[k]; e; e = e->next)
            all[n++] = e;
    qsort(all, n, sizeof(*all), cmp_entry);
    const struct binding *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct binding *b = all[i]->b;
        if (b == last)
            continue;
        last = b;
        if (b->rules)
            push_rules(p, out, b->rules);
        else if (errs)
            add_err(p, errs, registry_error(p, b));
    }
}

static void ensure_index(struct kapi_rbac *r)
{
    int64_t rev = kapi_cache_rev(r->cache);
    if (atomic_load(&r->checked_rev) != rev)
        refresh(r, rev);
}

size_t kapi_rbac_held_rules(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u, const char *ns,
                            struct kapi_rbac_rule **rules, const char ***errs, size_t *nerrs)
{
    struct rule_vec out = {0};
    struct errs e = {0};
    if (r && u) {
        ensure_index(r);
        pthread_rwlock_rdlock(&r->lock);
        if (r->idx) {
            held_in(pool, &r->idx->csubj, "", u, &out, &e);
            if (ns && ns[0])
                held_in(pool, &r->idx->nsubj, kapi_pool_printf(pool, "%s\x1f", ns), u, &out, &e);
        }
        pthread_rwlock_unlock(&r->lock);
    }
    *rules = out.v;
    if (errs)
        *errs = e.v;
    if (nerrs)
        *nerrs = e.n;
    return out.n;
}

int kapi_rbac_role_rules(struct kapi_rbac *r, struct kapi_pool *pool, const char *ns, const char *name,
                         struct kapi_rbac_rule **rules, size_t *n)
{
    struct rule_vec out = {0};
    int rc = -1;
    if (r) {
        ensure_index(r);
        pthread_rwlock_rdlock(&r->lock);
        if (r->idx) {
            struct hnode *hn = ns && ns[0] ? hmap_find(&r->idx->roles, kapi_pool_printf(pool, "%s/%s", ns, nz(name)))
                                           : hmap_find(&r->idx->croles, nz(name));
            if (hn) {
                push_rules(pool, &out, hn->val);
                rc = 0;
            }
        }
        pthread_rwlock_unlock(&r->lock);
    }
    *rules = out.v;
    *n = out.n;
    return rc;
}
