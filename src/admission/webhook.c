/* MutatingAdmissionWebhook and ValidatingAdmissionWebhook: the dynamic
 * admission plugins of kube-apiserver v1.33
 * (k8s.io/apiserver/pkg/admission/plugin/webhook). At each request the
 * Mutating/ValidatingWebhookConfigurations are read from the watch cache,
 * ordered by configuration name and then by position, matched against the
 * request (rules, matchPolicy Equivalent, namespaceSelector, objectSelector)
 * and called with an admission.k8s.io AdmissionReview over HTTPS.
 * Mutating webhooks run one after the other and may answer with a JSON
 * patch; validating webhooks are called concurrently and the first failure
 * to arrive wins. See docs/internals/admission.md. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "admission.h"

#include "../api/names.h"
#include "../apiext/crd.h"
#include "../base/b64.h"
#include "../codec/json.h"
#include "../codec/patch.h"
#include "../http/client.h"
#include "../registry/defaults.h"
#include "../registry/registry.h"
#include "../registry/resources.h"
#include "../schema/typed.h"

#define ADMREG "admissionregistration.k8s.io"

/* ---- small value helpers ---- */

static const struct kapi_value *vget(const struct kapi_value *v, const char *key)
{
    return v && v->type == KAPI_V_OBJECT ? kapi_obj_get(v, key) : NULL;
}

static const char *vstr(const struct kapi_value *v, const char *key)
{
    return kapi_value_cstr(vget(v, key));
}

static size_t vlen(const struct kapi_value *v)
{
    return v && v->type == KAPI_V_ARRAY ? v->u.arr.len : 0;
}

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- reinvocation state (one per request's mutating phase) ---- */

struct uidset {
    const char **items;
    size_t n, cap;
};

struct kapi_adm_reinvoke {
    struct kapi_pool *pool;
    bool should_reinvoke;               /* a webhook changed the object */
    struct uidset previously_invoked;   /* IfNeeded webhooks called so far */
    struct uidset to_reinvoke;          /* the ones to call in the second round */
    struct kapi_value *last_output;     /* the object as the webhooks last left it */
};

static bool uidset_has(const struct uidset *s, const char *uid)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], uid) == 0)
            return true;
    return false;
}

static void uidset_add(struct kapi_pool *p, struct uidset *s, const char *uid)
{
    if (uidset_has(s, uid))
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        const char **items = kapi_pool_alloc(p, cap * sizeof(*items));
        if (s->n)
            memcpy(items, s->items, s->n * sizeof(*items));
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = uid;
}

struct kapi_adm_reinvoke *kapi_adm_reinvoke_new(struct kapi_pool *pool)
{
    struct kapi_adm_reinvoke *r = kapi_pool_calloc(pool, sizeof(*r));
    r->pool = pool;
    return r;
}

bool kapi_adm_reinvoke_needed(const struct kapi_adm_reinvoke *r)
{
    return r && r->should_reinvoke;
}

/* Every reinvocable webhook called so far is to be called again. */
static void require_reinvoking(struct kapi_adm_reinvoke *r)
{
    for (size_t i = 0; i < r->previously_invoked.n; i++)
        uidset_add(r->pool, &r->to_reinvoke, r->previously_invoked.items[i]);
    r->previously_invoked.n = 0;
}

/* ---- the webhooks in upstream's order ---- */

struct hook {
    const struct kapi_value *w;
    const char *name, *config;
    const char *uid; /* "<configuration>/<webhook>/<index>", upstream's accessor UID */
};

static int cmp_config(const void *x, const void *y)
{
    const char *a = kapi_value_cstr(kapi_value_path(*(struct kapi_value *const *)x, "metadata", "name", NULL));
    const char *b = kapi_value_cstr(kapi_value_path(*(struct kapi_value *const *)y, "metadata", "name", NULL));
    return strcmp(a ? a : "", b ? b : "");
}

static struct hook *load_hooks(const struct kapi_admission_attrs *at, bool mutating, size_t *n)
{
    size_t nc;
    struct kapi_value **cfgs = kapi_adm_list(at, ADMREG, "v1",
                                             mutating ? "mutatingwebhookconfigurations"
                                                      : "validatingwebhookconfigurations",
                                             "", &nc);
    *n = 0;
    if (!nc)
        return NULL;
    qsort(cfgs, nc, sizeof(cfgs[0]), cmp_config);
    size_t total = 0;
    for (size_t i = 0; i < nc; i++)
        total += vlen(vget(cfgs[i], "webhooks"));
    struct hook *hooks = kapi_pool_calloc(at->pool, (total ? total : 1) * sizeof(*hooks));
    for (size_t i = 0; i < nc; i++) {
        const char *cname = kapi_value_cstr(kapi_value_path(cfgs[i], "metadata", "name", NULL));
        const struct kapi_value *ws = vget(cfgs[i], "webhooks");
        for (size_t j = 0; j < vlen(ws); j++) {
            struct hook *h = &hooks[(*n)++];
            h->w = ws->u.arr.items[j];
            h->name = vstr(h->w, "name") ? vstr(h->w, "name") : "";
            h->config = cname ? cname : "";
            h->uid = kapi_pool_printf(at->pool, "%s/%s/%zu", h->config, h->name, j);
        }
    }
    return hooks;
}

/* ---- what the request is about ---- */

struct reqinfo {
    const char *ns;                 /* the namespace as upstream's attributes carry it */
    const char *version;            /* served version of the resource */
    const char *kgroup, *kversion, *kind;
    const char *resname;            /* "pods" or "pods/status" */
};

/* The version part of an apiVersion whose group is group, or NULL. */
static const char *version_in(struct kapi_pool *p, const struct kapi_value *obj, const char *group)
{
    const char *av = vstr(obj, "apiVersion");
    if (!av || !*av)
        return NULL;
    const char *slash = strchr(av, '/');
    if (!slash)
        return group[0] == 0 ? av : NULL;
    if (strlen(group) != (size_t)(slash - av) || strncmp(av, group, (size_t)(slash - av)) != 0)
        return NULL;
    return kapi_pool_strdup(p, slash + 1);
}

struct dyn_versions {
    const char *group, *resource;
    const char *out[32];
    size_t n;
};

static void collect_dyn(void *ctx, const struct kapi_kind *k)
{
    struct dyn_versions *d = ctx;
    if (d->n < KAPI_ARRAY_LEN(d->out) && streq(k->group, d->group) && streq(k->resource, d->resource))
        d->out[d->n++] = k->version;
}

/* The versions the resource is served in: the group's static versions
 * (preferred first), then custom resource versions. */
static size_t served_versions(const struct kapi_admission_attrs *at, const char **out, size_t max)
{
    const struct kapi_registry *reg = kapi_adm_registry(at->adm);
    size_t n = 0;
    const struct kapi_api_group *g = kapi_api_group_find(at->group);
    for (size_t i = 0; g && g->versions[i] && n < max; i++)
        out[n++] = g->versions[i];
    struct dyn_versions d = {.group = at->group, .resource = at->resource};
    kapi_registry_each_dynamic(reg, collect_dyn, &d);
    for (size_t i = 0; i < d.n && n < max; i++) {
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup = dup || strcmp(out[j], d.out[i]) == 0;
        if (!dup)
            out[n++] = d.out[i];
    }
    return n;
}

static void set_kind(struct reqinfo *ri, const struct kapi_resource *res, const char *group, const char *version)
{
    ri->kind = res->kind ? res->kind : "";
    ri->kgroup = res->sub_group ? res->sub_group : group;
    ri->kversion = res->sub_version ? res->sub_version : version;
}

static void resolve_request(const struct kapi_admission_attrs *at, struct reqinfo *ri)
{
    const struct kapi_registry *reg = kapi_adm_registry(at->adm);
    memset(ri, 0, sizeof(*ri));
    ri->resname = at->subresource[0] ? kapi_pool_printf(at->pool, "%s/%s", at->resource, at->subresource)
                                     : at->resource;
    /* Upstream's request info names the namespace itself as the namespace of
     * a request on an existing Namespace. */
    ri->ns = at->ns;
    if (!at->ns[0] && at->group[0] == 0 && strcmp(at->resource, "namespaces") == 0 && !at->create)
        ri->ns = at->name;
    const char *cands[40];
    size_t nc = 0;
    if (at->opts->version)
        cands[nc++] = at->opts->version;
    const char *v = version_in(at->pool, at->obj, at->group);
    if (v)
        cands[nc++] = v;
    v = version_in(at->pool, at->old, at->group);
    if (v)
        cands[nc++] = v;
    nc += served_versions(at, cands + nc, KAPI_ARRAY_LEN(cands) - nc);
    for (size_t i = 0; i < nc; i++) {
        const struct kapi_resource *res = kapi_registry_find_resource(reg, at->group, cands[i], ri->resname);
        if (res) {
            ri->version = cands[i];
            set_kind(ri, res, at->group, cands[i]);
            return;
        }
    }
    /* Not served (should not happen): name what the object says. */
    const struct kapi_value *o = at->obj ? at->obj : at->old;
    ri->version = nc ? cands[0] : "";
    ri->kgroup = at->group;
    ri->kversion = ri->version;
    ri->kind = vstr(o, "kind") ? vstr(o, "kind") : "";
}

/* ---- matching ---- */

static bool exact_or_wildcard(const struct kapi_value *items, const char *want)
{
    for (size_t i = 0; i < vlen(items); i++) {
        const char *s = kapi_value_cstr(items->u.arr.items[i]);
        if (streq(s, "*") || streq(s, want))
            return true;
    }
    return false;
}

static bool is_namespace_resource(const char *group, const char *version, const char *resource)
{
    return group[0] == 0 && strcmp(version, "v1") == 0 && strcmp(resource, "namespaces") == 0;
}

/* upstream's rules.Matcher for one RuleWithOperations */
static bool rule_matches(const struct kapi_value *rule, const char *op, const char *group, const char *version,
                         const char *resource, const char *sub, const char *ns)
{
    const char *scope = vstr(rule, "scope");
    if (scope && strcmp(scope, "*") != 0) {
        bool nsres = is_namespace_resource(group, version, resource);
        if (strcmp(scope, "Namespaced") == 0) {
            if (nsres || !ns[0])
                return false;
        } else if (strcmp(scope, "Cluster") == 0) {
            if (!nsres && ns[0])
                return false;
        } else {
            return false;
        }
    }
    if (!exact_or_wildcard(vget(rule, "operations"), op))
        return false;
    if (!exact_or_wildcard(vget(rule, "apiGroups"), group) || !exact_or_wildcard(vget(rule, "apiVersions"), version))
        return false;
    const struct kapi_value *rs = vget(rule, "resources");
    for (size_t i = 0; i < vlen(rs); i++) {
        const char *r = kapi_value_cstr(rs->u.arr.items[i]);
        if (!r)
            continue;
        const char *slash = strchr(r, '/');
        size_t rl = slash ? (size_t)(slash - r) : strlen(r);
        const char *rsub = slash ? slash + 1 : "";
        bool res_ok = (rl == 1 && r[0] == '*') || (rl == strlen(resource) && strncmp(r, resource, rl) == 0);
        bool sub_ok = strcmp(rsub, "*") == 0 || strcmp(rsub, sub) == 0;
        if (res_ok && sub_ok)
            return true;
    }
    return false;
}

static bool any_rule_matches(const struct hook *h, const char *op, const char *group, const char *version,
                             const char *resource, const char *sub, const char *ns)
{
    const struct kapi_value *rules = vget(h->w, "rules");
    for (size_t i = 0; i < vlen(rules); i++)
        if (rule_matches(rules->u.arr.items[i], op, group, version, resource, sub, ns))
            return true;
    return false;
}

/* metav1.LabelSelector: {} (or absent) selects everything. */
static bool selector_empty(const struct kapi_value *sel)
{
    const struct kapi_value *ml = vget(sel, "matchLabels");
    size_t nml = ml && ml->type == KAPI_V_OBJECT ? ml->u.obj.len : 0;
    return nml == 0 && vlen(vget(sel, "matchExpressions")) == 0;
}

static bool str_in(const struct kapi_value *vals, const char *s)
{
    for (size_t i = 0; i < vlen(vals); i++)
        if (streq(kapi_value_cstr(vals->u.arr.items[i]), s))
            return true;
    return false;
}

/* 1 match, 0 no match, -1 bad selector (*err set). */
static int selector_matches(struct kapi_pool *p, const struct kapi_value *sel, const struct kapi_value *labels,
                            const char **err)
{
    const struct kapi_value *ml = vget(sel, "matchLabels");
    if (ml && ml->type == KAPI_V_OBJECT)
        for (size_t i = 0; i < ml->u.obj.len; i++) {
            const char *want = kapi_value_cstr(ml->u.obj.members[i].val);
            if (!streq(vstr(labels, ml->u.obj.members[i].key), want ? want : ""))
                return 0;
        }
    const struct kapi_value *me = vget(sel, "matchExpressions");
    for (size_t i = 0; i < vlen(me); i++) {
        const struct kapi_value *e = me->u.arr.items[i];
        const char *key = vstr(e, "key"), *op = vstr(e, "operator");
        const char *have = key ? vstr(labels, key) : NULL;
        const struct kapi_value *vals = vget(e, "values");
        if (streq(op, "In")) {
            if (!have || !str_in(vals, have))
                return 0;
        } else if (streq(op, "NotIn")) {
            if (have && str_in(vals, have))
                return 0;
        } else if (streq(op, "Exists")) {
            if (!have)
                return 0;
        } else if (streq(op, "DoesNotExist")) {
            if (have)
                return 0;
        } else {
            *err = kapi_pool_printf(p, "%s is not a valid label selector operator",
                                    kapi_go_quote(p, op ? op : "", strlen(op ? op : "")));
            return -1;
        }
    }
    return 1;
}

static const struct kapi_value *labels_of(const struct kapi_value *obj)
{
    return kapi_value_path(obj, "metadata", "labels", NULL);
}

/* upstream's namespace.Matcher: 1 match, 0 no, -1 with *st. */
static int match_namespace(const struct kapi_admission_attrs *at, const struct reqinfo *ri, const struct hook *h,
                           struct kapi_status **st)
{
    if (!ri->ns[0] && strcmp(at->resource, "namespaces") != 0)
        return 1; /* cluster-scoped objects other than namespaces are never exempted */
    const struct kapi_value *sel = vget(h->w, "namespaceSelector");
    if (selector_empty(sel))
        return 1;
    const struct kapi_value *labels;
    if (strcmp(at->resource, "namespaces") == 0 && !at->subresource[0] && at->obj) {
        labels = labels_of(at->obj); /* creating or updating the namespace itself */
    } else {
        struct kapi_value *nsobj = kapi_adm_get(at, "", "v1", "namespaces", NULL, ri->ns, true);
        if (!nsobj) {
            *st = kapi_status_not_found(at->pool, "", "namespaces", ri->ns);
            return -1;
        }
        labels = labels_of(nsobj);
    }
    const char *err = NULL;
    int m = selector_matches(at->pool, sel, labels, &err);
    if (m < 0)
        *st = kapi_status_internal(at->pool, err);
    return m;
}

/* upstream's object.Matcher: the new or the old object's labels. */
static int match_object(const struct kapi_admission_attrs *at, const struct hook *h, struct kapi_status **st)
{
    const struct kapi_value *sel = vget(h->w, "objectSelector");
    if (selector_empty(sel))
        return 1;
    const char *err = NULL;
    int m = 0;
    if (at->obj)
        m = selector_matches(at->pool, sel, labels_of(at->obj), &err);
    if (m == 0 && at->old)
        m = selector_matches(at->pool, sel, labels_of(at->old), &err);
    if (m < 0)
        *st = kapi_status_internal(at->pool, err);
    return m;
}

/* One webhook to call: the resource/kind it is called for (the request's,
 * or an equivalent one in another served version). */
struct invocation {
    const struct hook *h;
    const char *version, *kgroup, *kversion, *kind;
};

/* upstream's ShouldCallHook: 1 call it (inv filled), 0 skip, -1 with *st. */
static int should_call(const struct kapi_admission_attrs *at, const struct reqinfo *ri, const struct hook *h,
                       struct invocation *inv, struct kapi_status **st)
{
    struct kapi_status *ns_err = NULL, *obj_err = NULL;
    int m = match_namespace(at, ri, h, &ns_err);
    if (m == 0)
        return 0;
    m = match_object(at, h, &obj_err);
    if (m == 0)
        return 0;
    bool found = false;
    memset(inv, 0, sizeof(*inv));
    inv->h = h;
    if (any_rule_matches(h, at->operation, at->group, ri->version, at->resource, at->subresource, ri->ns)) {
        found = true;
        inv->version = ri->version;
        inv->kgroup = ri->kgroup;
        inv->kversion = ri->kversion;
        inv->kind = ri->kind;
    }
    const char *mp = vstr(h->w, "matchPolicy");
    if (!found && (!mp || strcmp(mp, "Equivalent") == 0)) {
        /* the same resource in the other versions it is served in */
        const struct kapi_registry *reg = kapi_adm_registry(at->adm);
        const char *vers[40];
        size_t nv = served_versions(at, vers, KAPI_ARRAY_LEN(vers));
        const struct kapi_value *rules = vget(h->w, "rules");
        for (size_t r = 0; r < vlen(rules) && !found; r++)
            for (size_t i = 0; i < nv && !found; i++) {
                if (strcmp(vers[i], ri->version) == 0)
                    continue;
                const struct kapi_resource *res = kapi_registry_find_resource(reg, at->group, vers[i], ri->resname);
                if (!res || !rule_matches(rules->u.arr.items[r], at->operation, at->group, vers[i], at->resource,
                                          at->subresource, ri->ns))
                    continue;
                found = true;
                inv->version = vers[i];
                inv->kind = res->kind ? res->kind : "";
                inv->kgroup = res->sub_group ? res->sub_group : at->group;
                inv->kversion = res->sub_version ? res->sub_version : vers[i];
            }
    }
    if (!found)
        return 0;
    if (ns_err) {
        *st = ns_err;
        return -1;
    }
    if (obj_err) {
        *st = obj_err;
        return -1;
    }
    return 1;
}

/* ---- the AdmissionReview ---- */

static struct kapi_value *gvk_value(struct kapi_pool *p, const char *g, const char *v, const char *k)
{
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "group", kapi_value_str(p, g));
    kapi_obj_set(p, o, "version", kapi_value_str(p, v));
    kapi_obj_set(p, o, "kind", kapi_value_str(p, k));
    return o;
}

static struct kapi_value *gvr_value(struct kapi_pool *p, const char *g, const char *v, const char *r)
{
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "group", kapi_value_str(p, g));
    kapi_obj_set(p, o, "version", kapi_value_str(p, v));
    kapi_obj_set(p, o, "resource", kapi_value_str(p, r));
    return o;
}

/* The operation's options (CreateOptions, UpdateOptions, DeleteOptions) with
 * kind and apiVersion first, as upstream's encoder writes the embedded object. */
static struct kapi_value *options_value(const struct kapi_admission_attrs *at)
{
    struct kapi_pool *p = at->pool;
    const char *kind = strcmp(at->operation, "CREATE") == 0   ? "CreateOptions"
                       : strcmp(at->operation, "UPDATE") == 0 ? "UpdateOptions"
                                                              : "DeleteOptions";
    struct kapi_value *o = kapi_value_object(p);
    kapi_obj_set(p, o, "kind", kapi_value_str(p, kind));
    kapi_obj_set(p, o, "apiVersion", kapi_value_str(p, "meta.k8s.io/v1"));
    const struct kapi_value *given = at->opts->options;
    if (given && given->type == KAPI_V_OBJECT) {
        for (size_t i = 0; i < given->u.obj.len; i++) {
            const struct kapi_member *m = &given->u.obj.members[i];
            if (strcmp(m->key, "kind") != 0 && strcmp(m->key, "apiVersion") != 0)
                kapi_obj_set(p, o, m->key, m->val);
        }
    } else if (at->dry_run) {
        struct kapi_value *dr = kapi_value_array(p);
        kapi_arr_push(p, dr, kapi_value_str(p, "All"));
        kapi_obj_set(p, o, "dryRun", dr);
    }
    return o;
}

static struct kapi_value *user_value(struct kapi_pool *p, const struct kapi_user *u)
{
    struct kapi_value *o = kapi_value_object(p);
    if (!u)
        return o;
    if (u->name && *u->name)
        kapi_obj_set(p, o, "username", kapi_value_str(p, u->name));
    if (u->uid && *u->uid)
        kapi_obj_set(p, o, "uid", kapi_value_str(p, u->uid));
    if (u->ngroups) {
        struct kapi_value *g = kapi_value_array(p);
        for (size_t i = 0; i < u->ngroups; i++)
            kapi_arr_push(p, g, kapi_value_str(p, u->groups[i]));
        kapi_obj_set(p, o, "groups", g);
    }
    return o; /* kapi's users carry no extra; upstream omits an empty map */
}

/* The object as the webhook sees it in the invocation's version. kapi keeps
 * one schema per resource, so another version only changes apiVersion. */
static struct kapi_value *versioned(struct kapi_pool *p, const struct kapi_value *obj, const struct invocation *inv,
                                    const struct reqinfo *ri)
{
    if (!obj)
        return kapi_value_null(p);
    if (strcmp(inv->version, ri->version) == 0 || !vget(obj, "apiVersion"))
        return (struct kapi_value *)obj;
    struct kapi_value *c = kapi_value_clone(p, obj);
    kapi_obj_set(p, c, "apiVersion",
                 kapi_value_str(p, inv->kgroup[0] ? kapi_pool_printf(p, "%s/%s", inv->kgroup, inv->kversion)
                                                  : inv->kversion));
    return c;
}

static struct kapi_value *build_review(const struct kapi_admission_attrs *at, const struct reqinfo *ri,
                                       const struct invocation *inv, const char *uid, const char *review_version)
{
    struct kapi_pool *p = at->pool;
    struct kapi_value *req = kapi_value_object(p);
    kapi_obj_set(p, req, "uid", kapi_value_str(p, uid));
    kapi_obj_set(p, req, "kind", gvk_value(p, inv->kgroup, inv->kversion, inv->kind));
    kapi_obj_set(p, req, "resource", gvr_value(p, at->group, inv->version, at->resource));
    if (at->subresource[0])
        kapi_obj_set(p, req, "subResource", kapi_value_str(p, at->subresource));
    kapi_obj_set(p, req, "requestKind", gvk_value(p, ri->kgroup, ri->kversion, ri->kind));
    kapi_obj_set(p, req, "requestResource", gvr_value(p, at->group, ri->version, at->resource));
    if (at->subresource[0])
        kapi_obj_set(p, req, "requestSubResource", kapi_value_str(p, at->subresource));
    if (at->name[0])
        kapi_obj_set(p, req, "name", kapi_value_str(p, at->name));
    if (ri->ns[0])
        kapi_obj_set(p, req, "namespace", kapi_value_str(p, ri->ns));
    kapi_obj_set(p, req, "operation", kapi_value_str(p, at->operation));
    kapi_obj_set(p, req, "userInfo", user_value(p, at->user));
    kapi_obj_set(p, req, "object", versioned(p, at->obj, inv, ri));
    kapi_obj_set(p, req, "oldObject", versioned(p, at->old, inv, ri));
    kapi_obj_set(p, req, "dryRun", kapi_value_bool(p, at->dry_run));
    kapi_obj_set(p, req, "options", options_value(at));
    struct kapi_value *review = kapi_value_object(p);
    kapi_obj_set(p, review, "kind", kapi_value_str(p, "AdmissionReview"));
    kapi_obj_set(p, review, "apiVersion", kapi_value_str(p, kapi_pool_printf(p, "admission.k8s.io/%s", review_version)));
    kapi_obj_set(p, review, "request", req);
    return review;
}

/* ---- calling ---- */

/* How one call ended, in upstream's error classes. */
enum outcome_kind {
    OUT_OK,
    OUT_CALLING,   /* ErrCallingWebhook: subject to failurePolicy */
    OUT_STATUS,    /* any other error: st is the answer */
};

struct outcome {
    enum outcome_kind kind;
    const char *reason;      /* OUT_CALLING: the error after `failed calling webhook "x": ` */
    struct kapi_status *st;  /* OUT_STATUS */
};

/* A prepared HTTPS exchange. */
struct call {
    const struct invocation *inv;
    const char *uid;
    bool v1;                 /* AdmissionReview v1 (else v1beta1) */
    const char *url;         /* what upstream prints in errors */
    const char *dial_url;    /* what kapi dials (differs for a service) */
    struct kapi_buf body;
    char *ca;
    size_t ca_len;
    const char *server_name;
    int timeout_s;
    struct kapi_http_client_req req;
    struct kapi_http_client_resp resp;
    int rc;
    int order;               /* completion order among concurrent calls */
    atomic_int *counter;
    struct outcome early;    /* set when the call could not even start */
    bool started;
};

static int64_t int_or(const struct kapi_value *v, int64_t dflt)
{
    return v && v->type == KAPI_V_INT ? v->u.i : dflt;
}

/* Go's time.Duration String() for whole seconds. */
static const char *go_seconds(struct kapi_pool *p, int64_t s)
{
    if (s < 60)
        return kapi_pool_printf(p, "%llds", (long long)s);
    if (s < 3600)
        return kapi_pool_printf(p, "%lldm%llds", (long long)(s / 60), (long long)(s % 60));
    return kapi_pool_printf(p, "%lldh%lldm%llds", (long long)(s / 3600), (long long)(s % 3600 / 60),
                            (long long)(s % 60));
}

static const struct kapi_value *first_item(const struct kapi_value *arr)
{
    return vlen(arr) ? arr->u.arr.items[0] : NULL;
}

/* The first ready address of the service's Endpoints, at the endpoint port
 * that backs service port `port` (kapi has no service proxy). NULL with *err
 * as upstream's resolver words it. */
static const char *resolve_service(const struct kapi_admission_attrs *at, const char *ns, const char *name,
                                   int64_t port, const char **err)
{
    struct kapi_pool *p = at->pool;
    struct kapi_value *svc = kapi_adm_get(at, "", "v1", "services", ns, name, true);
    if (!svc) {
        *err = kapi_pool_printf(p, "service %s not found", kapi_go_quote(p, name, strlen(name)));
        return NULL;
    }
    const struct kapi_value *ports = kapi_value_path(svc, "spec", "ports", NULL);
    const char *port_name = NULL;
    bool port_found = false;
    for (size_t i = 0; i < vlen(ports); i++) {
        const struct kapi_value *sp = ports->u.arr.items[i];
        if (int_or(vget(sp, "port"), -1) == port) {
            port_found = true;
            port_name = vstr(sp, "name");
            break;
        }
    }
    if (!port_found) {
        *err = kapi_pool_printf(p, "no service port %lld found for service %s", (long long)port,
                                kapi_go_quote(p, name, strlen(name)));
        return NULL;
    }
    struct kapi_value *ep = kapi_adm_get(at, "", "v1", "endpoints", ns, name, true);
    const struct kapi_value *subsets = vget(ep, "subsets");
    for (size_t i = 0; i < vlen(subsets); i++) {
        const struct kapi_value *ss = subsets->u.arr.items[i];
        const struct kapi_value *addr = first_item(vget(ss, "addresses"));
        if (!addr || !vstr(addr, "ip"))
            continue;
        const struct kapi_value *eports = vget(ss, "ports");
        int64_t target = -1;
        for (size_t j = 0; j < vlen(eports); j++) {
            const struct kapi_value *epp = eports->u.arr.items[j];
            const char *n = vstr(epp, "name");
            if ((!port_name || !*port_name) ? (!n || !*n || vlen(eports) == 1) : streq(n, port_name)) {
                target = int_or(vget(epp, "port"), -1);
                break;
            }
        }
        if (target < 0)
            continue;
        const char *ip = vstr(addr, "ip");
        return kapi_pool_printf(p, strchr(ip, ':') ? "[%s]:%lld" : "%s:%lld", ip, (long long)target);
    }
    *err = kapi_pool_printf(p, "no endpoints available for service %s", kapi_go_quote(p, name, strlen(name)));
    return NULL;
}

/* Go's path.Join of one path: cleaned, "" stays "". */
static const char *clean_path(struct kapi_pool *p, const char *path)
{
    if (!path || !*path)
        return "";
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    return kapi_pool_strndup(p, path, n);
}

static void calling_error(struct outcome *o, const char *reason)
{
    o->kind = OUT_CALLING;
    o->reason = reason;
}

/* Everything up to the HTTP exchange: dry-run rules, review version, the
 * request body and where to send it. Returns false with c->early set when
 * the call cannot start. */
static bool prepare_call(const struct kapi_admission_attrs *at, const struct reqinfo *ri,
                         const struct invocation *inv, struct call *c)
{
    struct kapi_pool *p = at->pool;
    const struct hook *h = inv->h;
    memset(c, 0, sizeof(*c));
    c->inv = inv;
    kapi_buf_init(&c->body, 0);
    if (at->dry_run) {
        const char *se = vstr(h->w, "sideEffects");
        if (!se) {
            calling_error(&c->early, "Webhook SideEffects is nil");
            return false;
        }
        if (strcmp(se, "None") != 0 && strcmp(se, "NoneOnDryRun") != 0) {
            c->early.kind = OUT_STATUS;
            c->early.st = kapi_status_bad_request(
                p, kapi_pool_printf(p, "admission webhook %s does not support dry run",
                                    kapi_go_quote(p, h->name, strlen(h->name))));
            return false;
        }
    }
    const char *review_version = NULL;
    const struct kapi_value *vers = vget(h->w, "admissionReviewVersions");
    for (size_t i = 0; i < vlen(vers) && !review_version; i++) {
        const char *v = kapi_value_cstr(vers->u.arr.items[i]);
        if (streq(v, "v1") || streq(v, "v1beta1"))
            review_version = v;
    }
    if (!review_version) {
        calling_error(&c->early, "could not create admission objects: webhook does not accept known "
                                 "AdmissionReview versions (v1, v1beta1)");
        return false;
    }
    c->v1 = strcmp(review_version, "v1") == 0;
    char uid[37];
    kapi_uuid(uid);
    c->uid = kapi_pool_strdup(p, uid);
    kapi_json_write(&c->body, build_review(at, ri, inv, c->uid, review_version));

    const struct kapi_value *cc = vget(h->w, "clientConfig");
    c->timeout_s = (int)int_or(vget(h->w, "timeoutSeconds"), 10);
    if (c->timeout_s <= 0)
        c->timeout_s = 10;
    const char *q = kapi_pool_printf(p, "?timeout=%s", go_seconds(p, c->timeout_s));
    const char *url = vstr(cc, "url");
    const struct kapi_value *svc = vget(cc, "service");
    if (url) {
        /* scheme://host followed by the cleaned path (upstream's rest client) */
        const char *hs = strstr(url, "://");
        const char *path = hs ? strchr(hs + 3, '/') : NULL;
        size_t base = path ? (size_t)(path - url) : strlen(url);
        const char *cut = path ? strpbrk(path, "?#") : NULL;
        const char *pth = path ? kapi_pool_strndup(p, path, cut ? (size_t)(cut - path) : strlen(path)) : "";
        c->url = kapi_pool_printf(p, "%.*s%s%s", (int)base, url, clean_path(p, pth), q);
        c->dial_url = c->url;
    } else if (svc) {
        const char *sns = vstr(svc, "namespace") ? vstr(svc, "namespace") : "";
        const char *sname = vstr(svc, "name") ? vstr(svc, "name") : "";
        int64_t port = int_or(vget(svc, "port"), 443);
        c->server_name = kapi_pool_printf(p, "%s.%s.svc", sname, sns);
        const char *path = clean_path(p, vstr(svc, "path"));
        c->url = kapi_pool_printf(p, "https://%s:%lld%s%s", c->server_name, (long long)port, path, q);
        const char *err = NULL;
        const char *hostport = resolve_service(at, sns, sname, port, &err);
        if (!hostport) {
            calling_error(&c->early, kapi_pool_printf(p, "failed to call webhook: Post %s: %s",
                                                      kapi_go_quote(p, c->url, strlen(c->url)), err));
            return false;
        }
        c->dial_url = kapi_pool_printf(p, "https://%s%s%s", hostport, path[0] ? path : "/", q);
    } else {
        calling_error(&c->early, "could not get REST client: webhook clientConfig has neither url nor service");
        return false;
    }
    const char *ca = vstr(cc, "caBundle");
    if (ca && *ca) {
        size_t n = 0;
        unsigned char *pem = kapi_b64_decode_pool(p, ca, strlen(ca), 0, &n, NULL);
        if (pem) {
            c->ca = (char *)pem;
            c->ca_len = n;
        }
    }
    c->req = (struct kapi_http_client_req){
        .url = c->dial_url,
        .method = "POST",
        .content_type = "application/json",
        .body = c->body.data,
        .body_len = c->body.len,
        .user_agent = "kube-apiserver-admission",
        .ca_pem = c->ca,
        .ca_len = c->ca_len,
        .server_name = c->server_name,
        .timeout_ms = c->timeout_s * 1000,
    };
    return true;
}

static void do_call(struct call *c)
{
    c->started = true;
    c->rc = kapi_http_client_do(&c->req, &c->resp);
    if (c->counter)
        c->order = atomic_fetch_add(c->counter, 1);
}

static void *call_thread(void *arg)
{
    kapi_thread_name("webhook-call");
    do_call(arg);
    return NULL;
}

static void dispose_call(struct call *c)
{
    if (c->started)
        kapi_http_client_resp_dispose(&c->resp);
    kapi_buf_dispose(&c->body);
}

/* The transport error with the URL upstream would print. */
static const char *transport_error(struct kapi_pool *p, const struct call *c)
{
    const char *e = c->resp.err;
    if (c->dial_url != c->url) {
        /* `Post "<dialled>": rest` -> `Post "<service url>": rest` */
        const char *sep = strstr(e, "\": ");
        if (strncmp(e, "Post \"", 6) == 0 && sep)
            return kapi_pool_printf(p, "Post %s: %s", kapi_go_quote(p, c->url, strlen(c->url)), sep + 3);
    }
    return kapi_pool_strdup(p, e);
}

/* client-go's NewGenericServerResponse message for a status without a Status body. */
static const char *generic_response(struct kapi_pool *p, int code, const char *server_msg)
{
    switch (code) {
    case 409: return "the server reported a conflict";
    case 404: return "the server could not find the requested resource";
    case 400: return "the server rejected our request for an unknown reason";
    case 401: return "the server has asked for the client to provide credentials";
    case 403: return "the server does not allow access to the requested resource";
    case 406: return "the server was unable to respond with a content type that the client supports";
    case 415: return "the server was unable to respond with a content type that the client supports";
    case 405: return "the server does not allow this method on the requested resource";
    case 422: return "the server rejected our request due to an error in our request";
    case 503: return "the server is currently unable to handle the request";
    case 504:
        return "the server was unable to return a response in the time allotted, but may still be processing "
               "the request";
    case 429: return "the server has received too many requests and has asked us to try again later";
    default: break;
    }
    if (code >= 500)
        return kapi_pool_printf(p, "an error on the server (%s) has prevented the request from succeeding",
                                kapi_go_quote(p, server_msg, strlen(server_msg)));
    return kapi_pool_printf(p, "the server responded with the status code %d but did not return more information",
                            code);
}

/* A webhook's response, verified (upstream's VerifyAdmissionResponse). */
struct response {
    bool allowed;
    const struct kapi_value *result;   /* metav1.Status or NULL */
    const char *patch;                 /* decoded bytes, or NULL */
    size_t patch_len;
    const char *patch_type;            /* "" when none */
    const struct kapi_value *warnings;
};

static bool is_text(const char *ctype)
{
    return ctype && strncasecmp(ctype, "text/", 5) == 0;
}

/* Reads the HTTP response of c into r. OUT_OK or OUT_CALLING. */
static struct outcome finish_call(struct kapi_pool *p, struct call *c, bool mutating, struct response *r)
{
    struct outcome o = {0};
    memset(r, 0, sizeof(*r));
    r->patch_type = "";
    if (c->rc < 0) {
        calling_error(&o, kapi_pool_printf(p, "failed to call webhook: %s", transport_error(p, c)));
        return o;
    }
    const char *body = c->resp.body ? c->resp.body : "";
    struct kapi_json_error je;
    struct kapi_value *v = c->resp.body_len ? kapi_json_parse(p, body, c->resp.body_len, NULL, &je) : NULL;
    if (c->resp.status < 200 || c->resp.status > 206) {
        const char *msg;
        if (v && streq(vstr(v, "kind"), "Status") && streq(vstr(v, "status"), "Failure"))
            msg = vstr(v, "message") ? vstr(v, "message") : "";
        else {
            const char *text = "unknown";
            if (is_text(c->resp.content_type)) {
                size_t n = c->resp.body_len > 1024 ? 1024 : c->resp.body_len;
                while (n && strchr(" \t\r\n", body[n - 1]))
                    n--;
                size_t s = 0;
                while (s < n && strchr(" \t\r\n", body[s]))
                    s++;
                text = kapi_pool_strndup(p, body + s, n - s);
            }
            msg = generic_response(p, c->resp.status, text);
        }
        calling_error(&o, kapi_pool_printf(p, "failed to call webhook: %s", msg));
        return o;
    }
    if (!v) {
        calling_error(&o, kapi_pool_printf(p, "failed to call webhook: couldn't get version/kind; json parse error: %s",
                                           c->resp.body_len ? je.msg : "unexpected end of JSON input"));
        return o;
    }
    const struct kapi_value *resp = vget(v, "response");
    if (!resp || resp->type != KAPI_V_OBJECT) {
        calling_error(&o, "received invalid webhook response: webhook response was absent");
        return o;
    }
    if (c->v1) {
        const char *ruid = vstr(resp, "uid") ? vstr(resp, "uid") : "";
        if (strcmp(ruid, c->uid) != 0) {
            calling_error(&o, kapi_pool_printf(p, "received invalid webhook response: expected response.uid=%s, got %s",
                                               kapi_go_quote(p, c->uid, strlen(c->uid)),
                                               kapi_go_quote(p, ruid, strlen(ruid))));
            return o;
        }
        const char *av = vstr(v, "apiVersion") ? vstr(v, "apiVersion") : "";
        const char *kind = vstr(v, "kind") ? vstr(v, "kind") : "";
        if (strcmp(av, "admission.k8s.io/v1") != 0 || strcmp(kind, "AdmissionReview") != 0) {
            calling_error(&o, kapi_pool_printf(p, "received invalid webhook response: expected webhook response of "
                                                  "admission.k8s.io/v1, Kind=AdmissionReview, got %s%s, Kind=%s",
                                               strchr(av, '/') ? "" : "/", av, kind));
            return o;
        }
    }
    const struct kapi_value *allowed = vget(resp, "allowed");
    r->allowed = allowed && allowed->type == KAPI_V_BOOL && allowed->u.b;
    r->result = vget(resp, "status");
    if (r->result && r->result->type != KAPI_V_OBJECT)
        r->result = NULL;
    r->warnings = vget(resp, "warnings");
    const char *patch_b64 = vstr(resp, "patch");
    const struct kapi_value *pt = vget(resp, "patchType");
    bool has_pt = pt && pt->type != KAPI_V_NULL;
    if (patch_b64 && *patch_b64) {
        size_t n = 0, bad = 0;
        unsigned char *raw = kapi_b64_decode_pool(p, patch_b64, strlen(patch_b64), 0, &n, &bad);
        if (!raw) {
            calling_error(&o,
                          kapi_pool_printf(p, "failed to call webhook: illegal base64 data at input byte %zu", bad));
            return o;
        }
        r->patch = (const char *)raw;
        r->patch_len = n;
    }
    if (!mutating) {
        if (r->patch_len) {
            calling_error(&o, "received invalid webhook response: validating webhook may not return response.patch");
            return o;
        }
        if (c->v1 && has_pt) {
            calling_error(&o,
                          "received invalid webhook response: validating webhook may not return response.patchType");
            return o;
        }
        r->patch = NULL;
        return o;
    }
    if (!c->v1) {
        if (r->patch_len)
            r->patch_type = "JSONPatch"; /* v1beta1 never checked it */
        return o;
    }
    if (r->patch_len && !has_pt) {
        calling_error(&o, "received invalid webhook response: webhook returned response.patch but not response.patchType");
        return o;
    }
    if (!r->patch_len && has_pt) {
        calling_error(&o, "received invalid webhook response: webhook returned response.patchType but not response.patch");
        return o;
    }
    if (has_pt) {
        r->patch_type = kapi_value_cstr(pt) ? kapi_value_cstr(pt) : "";
        if (!r->patch_type[0]) {
            calling_error(&o, "received invalid webhook response: webhook returned invalid response.patchType of \"\"");
            return o;
        }
    }
    return o;
}

/* upstream's ToStatusErr: the webhook's status with the denial prefixed. */
static struct kapi_status *rejection(struct kapi_pool *p, const char *hook, const struct kapi_value *result)
{
    const char *denied = kapi_pool_printf(p, "admission webhook %s denied the request",
                                          kapi_go_quote(p, hook, strlen(hook)));
    const char *msg = vstr(result, "message"), *reason = vstr(result, "reason");
    int64_t code = int_or(vget(result, "code"), 0);
    if (code < 400)
        code = 400;
    struct kapi_status *st = kapi_status_new(p, (int)code, reason && *reason ? reason : NULL,
                                             msg && *msg         ? kapi_pool_printf(p, "%s: %s", denied, msg)
                                             : reason && *reason ? kapi_pool_printf(p, "%s: %s", denied, reason)
                                                                 : kapi_pool_printf(p, "%s without explanation", denied));
    const char *status = vstr(result, "status");
    st->status = status && *status && strcmp(status, "Success") != 0 ? kapi_pool_strdup(p, status) : "Failure";
    const struct kapi_value *d = vget(result, "details");
    if (d && d->type == KAPI_V_OBJECT) {
        st->has_details = true;
        st->name = vstr(d, "name");
        st->group = vstr(d, "group");
        st->kind = vstr(d, "kind");
        st->uid = vstr(d, "uid");
        st->retry_after_seconds = (int32_t)int_or(vget(d, "retryAfterSeconds"), 0);
        const struct kapi_value *causes = vget(d, "causes");
        for (size_t i = 0; i < vlen(causes); i++) {
            const struct kapi_value *cs = causes->u.arr.items[i];
            kapi_status_add_cause(p, st, vstr(cs, "reason"), vstr(cs, "message"), vstr(cs, "field"));
        }
    }
    return st;
}

static void emit_warnings(const struct kapi_admission_attrs *at, const struct kapi_value *ws)
{
    if (!at->opts->warn)
        return;
    for (size_t i = 0; i < vlen(ws); i++) {
        const char *w = kapi_value_cstr(ws->u.arr.items[i]);
        if (w)
            at->opts->warn(at->opts->warn_ctx, w);
    }
}

static bool fail_open(const struct hook *h)
{
    return streq(vstr(h->w, "failurePolicy"), "Ignore");
}

/* Applies the outcome of one webhook under its failurePolicy: 0 go on, -1
 * with *st. */
static int settle(struct kapi_pool *p, const struct hook *h, const struct outcome *o, struct kapi_status **st)
{
    switch (o->kind) {
    case OUT_OK:
        return 0;
    case OUT_CALLING:
        if (fail_open(h)) {
            kapi_log(1, "Failed calling webhook, failing open %s: failed calling webhook \"%s\": %s", h->name,
                     h->name, o->reason);
            return 0;
        }
        *st = kapi_status_internal(p, kapi_pool_printf(p, "failed calling webhook %s: %s",
                                                       kapi_go_quote(p, h->name, strlen(h->name)), o->reason));
        return -1;
    case OUT_STATUS:
        *st = o->st;
        return -1;
    }
    return 0;
}

static bool exempt(const struct kapi_admission_attrs *at)
{
    static const char *const res[] = {"mutatingwebhookconfigurations",   "validatingwebhookconfigurations",
                                      "validatingadmissionpolicies",     "validatingadmissionpolicybindings",
                                      "mutatingadmissionpolicies",       "mutatingadmissionpolicybindings"};
    if (strcmp(at->group, ADMREG) != 0)
        return false;
    for (size_t i = 0; i < KAPI_ARRAY_LEN(res); i++)
        if (strcmp(at->resource, res[i]) == 0)
            return true;
    return false;
}

/* The patched object decoded again, as upstream decodes it into the typed
 * object and runs the defaulter: a built-in kind goes through the same typed
 * check as a request body (canonical quantities and times, Go field order,
 * sorted maps; the decoder is not strict, so unknown fields are dropped
 * without a word), then its defaults. Custom resources are unstructured
 * there: schema defaults, and pruning (upstream prunes once, when the
 * webhooks are done). NULL, or the decode error's text. */
static const char *redecode(const struct kapi_admission_attrs *at, const struct reqinfo *ri, struct kapi_value *obj)
{
    const struct kapi_kind *k = kapi_registry_find(kapi_adm_registry(at->adm), at->group, ri->version, at->resource);
    if (k && k->crd) {
        kapi_crd_decode(at->pool, k, obj, NULL);
        return NULL;
    }
    const char *av = vstr(obj, "apiVersion"), *kind = vstr(obj, "kind");
    if (!av || !kind)
        return NULL;
    const char *slash = strchr(av, '/');
    const char *g = slash ? kapi_pool_strndup(at->pool, av, (size_t)(slash - av)) : "";
    const char *v = slash ? slash + 1 : av;
    const struct kapi_schema_msg *m = kapi_schema_kind_find(g, v, kind);
    struct kapi_typed_result res;
    if (m && kapi_typed_check(at->pool, m, obj, NULL, &res) < 0)
        return res.type_error;
    kapi_defaults_apply(at->pool, g, v, kind, obj);
    return NULL;
}

/* Applies a mutating webhook's JSON patch to at->obj. 0 (with *changed),
 * or an outcome to settle. */
static struct outcome apply_patch(const struct kapi_admission_attrs *at, const struct reqinfo *ri,
                                  const struct hook *h, const struct response *r, bool *changed)
{
    struct kapi_pool *p = at->pool;
    struct outcome o = {0};
    *changed = false;
    if (!r->patch_len)
        return o;
    struct kapi_json_error je;
    struct kapi_value *patch = kapi_json_parse(p, r->patch, r->patch_len, NULL, &je);
    if (!patch) {
        calling_error(&o, kapi_pool_printf(p, "received undecodable patch in webhook response: %s", je.msg));
        return o;
    }
    if (patch->type != KAPI_V_ARRAY && patch->type != KAPI_V_NULL) {
        static const char *const names[] = {"null", "bool", "number", "number", "string", "array", "object"};
        calling_error(&o, kapi_pool_printf(p, "received undecodable patch in webhook response: json: cannot unmarshal "
                                              "%s into Go value of type jsonpatch.Patch",
                                           names[patch->type]));
        return o;
    }
    for (size_t i = 0; i < vlen(patch); i++) {
        const struct kapi_value *op = patch->u.arr.items[i];
        if (op->type != KAPI_V_OBJECT && op->type != KAPI_V_NULL) {
            static const char *const names[] = {"null", "bool", "number", "number", "string", "array", "object"};
            calling_error(&o, kapi_pool_printf(p, "received undecodable patch in webhook response: json: cannot "
                                                  "unmarshal %s into Go value of type jsonpatch.Operation",
                                               names[op->type]));
            return o;
        }
    }
    if (vlen(patch) == 0)
        return o;
    if (!at->obj) {
        o.kind = OUT_STATUS;
        o.st = kapi_status_internal(
            p, kapi_pool_printf(p, "admission webhook %s attempted to modify the object, which is not supported for "
                                   "this operation",
                                kapi_go_quote(p, h->name, strlen(h->name))));
        return o;
    }
    if (strcmp(r->patch_type, "JSONPatch") != 0) {
        calling_error(&o, kapi_pool_printf(p, "unsupported patch type %s",
                                           kapi_go_quote(p, r->patch_type, strlen(r->patch_type))));
        return o;
    }
    struct kapi_value *doc = kapi_value_clone(p, at->obj);
    struct kapi_patch_error pe;
    memset(&pe, 0, sizeof(pe));
    struct kapi_value *out = kapi_json_patch_apply(p, doc, patch, &pe);
    if (!out) {
        o.kind = OUT_STATUS;
        o.st = kapi_status_internal(p, pe.detail[0] ? pe.detail : pe.msg);
        return o;
    }
    if (out->type != KAPI_V_OBJECT) {
        o.kind = OUT_STATUS;
        o.st = kapi_status_internal(p, "Object 'Kind' is missing in patched object");
        return o;
    }
    const char *bad = redecode(at, ri, out);
    if (bad) { /* not a calling error: failurePolicy does not apply */
        o.kind = OUT_STATUS;
        o.st = kapi_status_internal(p, bad);
        return o;
    }
    *changed = !kapi_value_equal(at->obj, out);
    *at->obj = *out; /* the caller's object takes the patched content */
    return o;
}

/* ---- the two plugins ---- */

int kapi_adm_webhook_mutate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (kapi_adm_none(at->adm, KAPI_ADM_MUTATING_WEBHOOKS) || exempt(at))
        return 0;
    size_t n;
    struct hook *hooks = load_hooks(at, true, &n);
    if (!n)
        return 0;
    struct kapi_pool *p = at->pool;
    struct kapi_adm_reinvoke *rc = at->reinvoke;
    if (rc && at->reinvoking && at->obj && rc->last_output && !kapi_value_equal(at->obj, rc->last_output))
        require_reinvoking(rc); /* plugins after the webhooks changed the object */
    struct reqinfo ri;
    resolve_request(at, &ri);
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        const struct hook *h = &hooks[i];
        struct invocation inv;
        int sc = should_call(at, &ri, h, &inv, status);
        if (sc < 0) {
            ret = -1;
            break;
        }
        if (sc == 0)
            continue;
        if (rc && at->reinvoking && !uidset_has(&rc->to_reinvoke, h->uid))
            continue;
        struct call c;
        struct outcome o;
        bool changed = false;
        if (!prepare_call(at, &ri, &inv, &c)) {
            o = c.early;
        } else {
            do_call(&c);
            struct response r;
            o = finish_call(p, &c, true, &r);
            if (o.kind == OUT_OK) {
                emit_warnings(at, r.warnings);
                if (!r.allowed) {
                    o.kind = OUT_STATUS;
                    o.st = rejection(p, h->name, r.result);
                } else {
                    o = apply_patch(at, &ri, h, &r, &changed);
                }
            }
        }
        dispose_call(&c);
        if (rc && changed) {
            require_reinvoking(rc);
            rc->should_reinvoke = true;
        }
        if (rc && streq(vstr(h->w, "reinvocationPolicy"), "IfNeeded"))
            uidset_add(p, &rc->previously_invoked, h->uid);
        ret = settle(p, h, &o, status);
    }
    if (rc && at->obj)
        rc->last_output = kapi_value_clone(p, at->obj);
    return ret;
}

int kapi_adm_webhook_validate(const struct kapi_admission_attrs *at, struct kapi_status **status)
{
    if (kapi_adm_none(at->adm, KAPI_ADM_VALIDATING_WEBHOOKS) || exempt(at))
        return 0;
    size_t n;
    struct hook *hooks = load_hooks(at, false, &n);
    if (!n)
        return 0;
    struct kapi_pool *p = at->pool;
    struct reqinfo ri;
    resolve_request(at, &ri);
    struct invocation *invs = kapi_pool_calloc(p, n * sizeof(*invs));
    size_t ni = 0;
    for (size_t i = 0; i < n; i++) {
        int sc = should_call(at, &ri, &hooks[i], &invs[ni], status);
        if (sc < 0)
            return -1;
        if (sc > 0)
            ni++;
    }
    if (!ni)
        return 0;
    /* upstream calls every matching webhook at once and answers with the
     * first failure to arrive */
    struct call *calls = kapi_pool_calloc(p, ni * sizeof(*calls));
    pthread_t *thr = kapi_pool_calloc(p, ni * sizeof(*thr));
    bool *threaded = kapi_pool_calloc(p, ni * sizeof(*threaded));
    atomic_int counter;
    atomic_init(&counter, 0);
    bool *ready = kapi_pool_calloc(p, ni * sizeof(*ready));
    size_t nready = 0;
    for (size_t i = 0; i < ni; i++) {
        ready[i] = prepare_call(at, &ri, &invs[i], &calls[i]);
        calls[i].counter = &counter;
        if (!ready[i])
            calls[i].order = -1; /* failed before any call: first */
        nready += ready[i];
    }
    for (size_t i = 0; i < ni; i++) {
        if (!ready[i])
            continue;
        if (nready > 1 && pthread_create(&thr[i], NULL, call_thread, &calls[i]) == 0)
            threaded[i] = true;
        else
            do_call(&calls[i]);
    }
    for (size_t i = 0; i < ni; i++)
        if (threaded[i])
            pthread_join(thr[i], NULL);
    int best = -1, best_order = 0;
    struct kapi_status *best_st = NULL;
    for (size_t i = 0; i < ni; i++) {
        const struct hook *h = invs[i].h;
        struct outcome o;
        if (!ready[i]) {
            o = calls[i].early;
        } else {
            struct response r;
            o = finish_call(p, &calls[i], false, &r);
            if (o.kind == OUT_OK) {
                emit_warnings(at, r.warnings);
                if (!r.allowed) {
                    o.kind = OUT_STATUS;
                    o.st = rejection(p, h->name, r.result);
                }
            }
        }
        dispose_call(&calls[i]);
        struct kapi_status *st = NULL;
        if (settle(p, h, &o, &st) < 0 && (best < 0 || calls[i].order < best_order)) {
            best = (int)i;
            best_order = calls[i].order;
            best_st = st;
        }
    }
    if (best >= 0) {
        *status = best_st;
        return -1;
    }
    return 0;
}
