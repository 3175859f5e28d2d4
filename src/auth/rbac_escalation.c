/* Escalation checks on RBAC writes: the requested rules are broken down to
 * single (verb, group, resource[, name]) and (verb, URL) tuples, each of
 * which must be granted by one rule the writer holds. */
#include "rbac_escalation.h"

#include <stdlib.h>
#include <string.h>

#include "../api/names.h"
#include "../api/status.h"
#include "../codec/value.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define MASTERS "system:masters"

enum { W_ROLES, W_CROLES, W_RBS, W_CRBS };

/* ---- list helpers (NULL-terminated, NULL = empty) ---- */

static size_t count(const char **l)
{
    size_t n = 0;
    while (l && l[n])
        n++;
    return n;
}

static bool contains(const char **l, const char *s)
{
    for (size_t i = 0; l && l[i]; i++)
        if (strcmp(l[i], s) == 0)
            return true;
    return false;
}

static bool contains_all(const char **set, const char **want)
{
    for (size_t i = 0; want && want[i]; i++)
        if (!contains(set, want[i]))
            return false;
    return true;
}

static const char **one(struct kapi_pool *p, const char *s)
{
    const char **l = kapi_pool_alloc(p, 2 * sizeof(*l));
    l[0] = s;
    l[1] = NULL;
    return l;
}

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
    return k ? out : NULL;
}

size_t kapi_rbac_parse_rules(struct kapi_pool *pool, const struct kapi_value *obj, struct kapi_rbac_rule **out)
{
    *out = NULL;
    const struct kapi_value *arr = kapi_obj_get(obj, "rules");
    if (!arr || arr->type != KAPI_V_ARRAY || !arr->u.arr.len)
        return 0;
    struct kapi_rbac_rule *v = kapi_pool_calloc(pool, arr->u.arr.len * sizeof(*v));
    size_t n = 0;
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const struct kapi_value *r = arr->u.arr.items[i];
        if (!r || r->type != KAPI_V_OBJECT)
            continue;
        v[n++] = (struct kapi_rbac_rule){str_list(pool, kapi_obj_get(r, "verbs")),
                                         str_list(pool, kapi_obj_get(r, "apiGroups")),
                                         str_list(pool, kapi_obj_get(r, "resources")),
                                         str_list(pool, kapi_obj_get(r, "resourceNames")),
                                         str_list(pool, kapi_obj_get(r, "nonResourceURLs"))};
    }
    *out = v;
    return n;
}

/* ---- covering ---- */

/* "*" or every wanted resource by name, or a wanted "res/sub" by "*\/sub". */
static bool resources_cover(const char **set, const char **want)
{
    if (contains(set, "*") || contains_all(set, want))
        return true;
    for (size_t i = 0; want && want[i]; i++) {
        if (contains(set, want[i]))
            continue;
        const char *slash = strchr(want[i], '/');
        if (!slash)
            return false;
        bool found = false;
        for (size_t j = 0; set && set[j] && !found; j++)
            found = set[j][0] == '*' && set[j][1] == '/' && strcmp(set[j] + 2, slash + 1) == 0;
        if (!found)
            return false;
    }
    return true;
}

/* Equal, or owner ends in "*" and path starts with owner minus its stars. */
static bool url_covers(const char *owner, const char *path)
{
    if (strcmp(owner, path) == 0)
        return true;
    size_t n = strlen(owner);
    if (!n || owner[n - 1] != '*')
        return false;
    while (n && owner[n - 1] == '*')
        n--;
    return strncmp(owner, path, n) == 0;
}

static bool urls_cover(const char **set, const char **want)
{
    for (size_t i = 0; want && want[i]; i++) {
        bool ok = false;
        for (size_t j = 0; set && set[j] && !ok; j++)
            ok = url_covers(set[j], want[i]);
        if (!ok)
            return false;
    }
    return true;
}

bool kapi_rbac_rule_covers(const struct kapi_rbac_rule *owner, const struct kapi_rbac_rule *sub)
{
    if (!(contains(owner->verbs, "*") || contains_all(owner->verbs, sub->verbs)))
        return false;
    if (!(contains(owner->groups, "*") || contains_all(owner->groups, sub->groups)))
        return false;
    if (!resources_cover(owner->resources, sub->resources) || !urls_cover(owner->urls, sub->urls))
        return false;
    if (!count(sub->names))
        return !count(owner->names);
    return !count(owner->names) || contains_all(owner->names, sub->names);
}

struct rvec {
    struct kapi_rbac_rule *v;
    size_t n, cap;
};

static void rpush(struct kapi_pool *p, struct rvec *x, struct kapi_rbac_rule r)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct kapi_rbac_rule *v = kapi_pool_alloc(p, cap * sizeof(*v));
        if (x->n)
            memcpy(v, x->v, x->n * sizeof(*v));
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = r;
}

/* One rule as tuples: group x resource x verb (x name), then URL x verb. */
static void breakdown(struct kapi_pool *p, const struct kapi_rbac_rule *r, struct rvec *out)
{
    for (size_t g = 0; r->groups && r->groups[g]; g++)
        for (size_t res = 0; r->resources && r->resources[res]; res++)
            for (size_t v = 0; r->verbs && r->verbs[v]; v++) {
                struct kapi_rbac_rule t = {.verbs = one(p, r->verbs[v]), .groups = one(p, r->groups[g]),
                                           .resources = one(p, r->resources[res])};
                if (!count(r->names)) {
                    rpush(p, out, t);
                    continue;
                }
                for (size_t k = 0; r->names[k]; k++) {
                    t.names = one(p, r->names[k]);
                    rpush(p, out, t);
                }
            }
    for (size_t u = 0; r->urls && r->urls[u]; u++)
        for (size_t v = 0; r->verbs && r->verbs[v]; v++)
            rpush(p, out, (struct kapi_rbac_rule){.verbs = one(p, r->verbs[v]), .urls = one(p, r->urls[u])});
}

bool kapi_rbac_covers(struct kapi_pool *pool, const struct kapi_rbac_rule *owners, size_t nowners,
                      const struct kapi_rbac_rule *rules, size_t nrules, struct kapi_rbac_rule **missing,
                      size_t *nmissing)
{
    struct rvec tuples = {0}, miss = {0};
    for (size_t i = 0; i < nrules; i++)
        breakdown(pool, &rules[i], &tuples);
    for (size_t i = 0; i < tuples.n; i++) {
        bool ok = false;
        for (size_t j = 0; j < nowners && !ok; j++)
            ok = kapi_rbac_rule_covers(&owners[j], &tuples.v[i]);
        if (!ok)
            rpush(pool, &miss, tuples.v[i]);
    }
    if (missing)
        *missing = miss.v;
    if (nmissing)
        *nmissing = miss.n;
    return miss.n == 0;
}

/* ---- messages ---- */

/* Go's %q of a []string: ["a" "b"]. */
static void quote_list(struct kapi_buf *b, const char **l)
{
    kapi_buf_putc(b, '[');
    for (size_t i = 0; l && l[i]; i++) {
        if (i)
            kapi_buf_putc(b, ' ');
        kapi_go_quote_buf(b, l[i], strlen(l[i]));
    }
    kapi_buf_putc(b, ']');
}

const char *kapi_rbac_rule_string(struct kapi_pool *pool, const struct kapi_rbac_rule *rule)
{
    static const char *const labels[] = {"APIGroups:", "Resources:", "NonResourceURLs:", "ResourceNames:", "Verbs:"};
    const char **lists[] = {rule->groups, rule->resources, rule->urls, rule->names, rule->verbs};
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '{');
    bool first = true;
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (!count(lists[i]))
            continue;
        if (!first)
            kapi_buf_puts(&b, ", ");
        first = false;
        kapi_buf_puts(&b, labels[i]);
        quote_list(&b, lists[i]);
    }
    kapi_buf_putc(&b, '}');
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One group, one resource, at most one name, no URLs: rules of this shape
 * that differ only in their verbs are listed as one. */
static bool simple(const struct kapi_rbac_rule *r)
{
    return count(r->groups) == 1 && count(r->resources) == 1 && count(r->names) <= 1 && !count(r->urls);
}

static bool same_target(const struct kapi_rbac_rule *a, const struct kapi_rbac_rule *b)
{
    if (strcmp(a->groups[0], b->groups[0]) != 0 || strcmp(a->resources[0], b->resources[0]) != 0)
        return false;
    size_t na = count(a->names), nb = count(b->names);
    return na == nb && (!na || strcmp(a->names[0], b->names[0]) == 0);
}

const char *kapi_rbac_describe_missing(struct kapi_pool *pool, const struct kapi_rbac_rule *missing, size_t n)
{
    struct kapi_rbac_rule *merged = kapi_pool_calloc(pool, (n ? n : 1) * sizeof(*merged));
    size_t *nverbs = kapi_pool_calloc(pool, (n ? n : 1) * sizeof(*nverbs));
    bool *is_simple = kapi_pool_calloc(pool, (n ? n : 1) * sizeof(*is_simple));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const struct kapi_rbac_rule *r = &missing[i];
        size_t j = m;
        if (simple(r))
            for (j = 0; j < m && !(is_simple[j] && same_target(&merged[j], r)); j++)
                ;
        size_t add = count(r->verbs);
        if (j == m) {
            merged[m] = *r;
            is_simple[m] = simple(r);
            nverbs[m] = add;
            m++;
            continue;
        }
        /* same target: append the verbs (repeats included, as upstream) */
        const char **v = kapi_pool_alloc(pool, (nverbs[j] + add + 1) * sizeof(*v));
        if (nverbs[j])
            memcpy(v, merged[j].verbs, nverbs[j] * sizeof(*v));
        if (add)
            memcpy(v + nverbs[j], r->verbs, add * sizeof(*v));
        nverbs[j] += add;
        v[nverbs[j]] = NULL;
        merged[j].verbs = v;
    }
    const char **lines = kapi_pool_alloc(pool, (m ? m : 1) * sizeof(*lines));
    for (size_t i = 0; i < m; i++)
        lines[i] = kapi_rbac_rule_string(pool, &merged[i]);
    qsort(lines, m, sizeof(*lines), cmp_str);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < m; i++) {
        if (i && strcmp(lines[i], lines[i - 1]) == 0)
            continue;
        if (b.len)
            kapi_buf_putc(&b, '\n');
        kapi_buf_puts(&b, lines[i]);
    }
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

const char *kapi_rbac_confirm_no_escalation(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_user *u,
                                            const char *ns, const struct kapi_rbac_rule *rules, size_t n)
{
    struct kapi_rbac_rule *held = NULL, *missing = NULL;
    const char **errs = NULL;
    size_t nerrs = 0, nmissing = 0;
    size_t nheld = kapi_rbac_held_rules(r, pool, u, ns, &held, &errs, &nerrs);
    if (kapi_rbac_covers(pool, held, nheld, rules, n, &missing, &nmissing))
        return NULL;
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "user ");
    const char *name = u->name ? u->name : "";
    kapi_go_quote_buf(&b, name, strlen(name));
    kapi_buf_puts(&b, " (groups=");
    const char **groups = kapi_pool_calloc(pool, (u->ngroups + 1) * sizeof(*groups));
    for (size_t i = 0; i < u->ngroups; i++)
        groups[i] = u->groups[i] ? u->groups[i] : "";
    quote_list(&b, groups);
    kapi_buf_puts(&b, ") is attempting to grant RBAC permissions not currently held:\n");
    kapi_buf_puts(&b, kapi_rbac_describe_missing(pool, missing, nmissing));
    if (nerrs) {
        /* a list of one error, that error being an aggregate when several */
        kapi_buf_puts(&b, "; resolution errors: [");
        if (nerrs > 1)
            kapi_buf_putc(&b, '[');
        for (size_t i = 0; i < nerrs; i++) {
            if (i)
                kapi_buf_puts(&b, ", ");
            kapi_buf_puts(&b, errs[i]);
        }
        if (nerrs > 1)
            kapi_buf_putc(&b, ']');
        kapi_buf_putc(&b, ']');
    }
    const char *out = kapi_pool_strndup(pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return out;
}

/* ---- the check ---- */

static bool is_master(const struct kapi_user *u)
{
    for (size_t i = 0; u && i < u->ngroups; i++)
        if (u->groups[i] && strcmp(u->groups[i], MASTERS) == 0)
            return true;
    return false;
}

/* Nothing but ownerReferences, finalizers and selfLink differs. */
static bool only_gc_fields(struct kapi_pool *p, const struct kapi_value *obj, const struct kapi_value *old)
{
    static const char *const keys[] = {"ownerReferences", "finalizers", "selfLink"};
    struct kapi_value *c = kapi_value_clone(p, obj);
    struct kapi_value *md = kapi_obj_get(c, "metadata");
    const struct kapi_value *omd = kapi_obj_get(old, "metadata");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (md)
            kapi_obj_del(md, keys[i]);
        struct kapi_value *v = omd ? kapi_obj_get(omd, keys[i]) : NULL;
        if (v) {
            if (!md)
                md = kapi_obj_ensure_obj(p, c, "metadata");
            kapi_obj_set(p, md, keys[i], v);
        }
    }
    return kapi_value_equal(c, old);
}

static bool has_aggregation(const struct kapi_value *obj)
{
    const struct kapi_value *sel = kapi_value_path(obj, "aggregationRule", "clusterRoleSelectors", NULL);
    return sel && sel->type == KAPI_V_ARRAY && sel->u.arr.len > 0;
}

static bool allowed(struct kapi_rbac *r, struct kapi_pool *p, const struct kapi_user *u, const char *verb,
                    const char *group, const char *resource, const char *ns, const char *name)
{
    struct kapi_authz_attrs a = {.user = u, .resource_request = true, .verb = verb, .group = group,
                                 .resource = resource, .subresource = "", .ns = ns, .name = name};
    return kapi_rbac_authorize(r, p, &a, NULL);
}

static int deny(struct kapi_pool *p, struct kapi_status **st, const char *resource, const char *name,
                const char *err)
{
    *st = kapi_status_forbidden(p, RBAC_GROUP, resource, name, err);
    return -1;
}

static int check_role(struct kapi_rbac *r, struct kapi_pool *p, const struct kapi_rbac_write *w, int kind,
                      const char *ns, const char *name, struct kapi_status **st)
{
    if (allowed(r, p, w->user, "escalate", RBAC_GROUP, w->resource, ns, w->req_name ? w->req_name : ""))
        return 0;
    if (w->old && only_gc_fields(p, w->obj, w->old))
        return 0;
    struct kapi_rbac_rule *rules = NULL;
    size_t n = kapi_rbac_parse_rules(p, w->obj, &rules);
    const char *err = kapi_rbac_confirm_no_escalation(r, p, w->user, ns, rules, n);
    if (err)
        return deny(p, st, w->resource, name, err);
    /* an aggregationRule can gather anything (and keep a role from being
     * narrowed): setting, keeping or dropping one needs everything */
    if (kind == W_CROLES && (has_aggregation(w->obj) || (w->old && has_aggregation(w->old)))) {
        static const char *star[] = {"*", NULL};
        const struct kapi_rbac_rule all[] = {{.verbs = star, .groups = star, .resources = star},
                                             {.verbs = star, .urls = star}};
        if (kapi_rbac_confirm_no_escalation(r, p, w->user, ns, all, 2))
            return deny(p, st, w->resource, name, "must have cluster-admin privileges to use the aggregationRule");
    }
    return 0;
}

static int check_binding(struct kapi_rbac *r, struct kapi_pool *p, const struct kapi_rbac_write *w, int kind,
                         const char *ns, const char *name, struct kapi_status **st)
{
    if (w->old && only_gc_fields(p, w->obj, w->old))
        return 0;
    const char *bns = kind == W_CRBS ? "" : ns;
    const struct kapi_value *ref = kapi_obj_get(w->obj, "roleRef");
    const char *rkind = kapi_obj_get_str(ref, "kind"), *rname = kapi_obj_get_str(ref, "name");
    const char *rgroup = kapi_obj_get_str(ref, "apiGroup");
    rkind = rkind ? rkind : "";
    rname = rname ? rname : "";
    bool cluster = strcmp(rkind, "ClusterRole") == 0;
    if (!cluster && strcmp(rkind, "Role") != 0) {
        /* upstream's resolver fails with a plain error: a 500 */
        *st = kapi_status_new(p, 500, "Unknown",
                              kapi_pool_printf(p, "unsupported role reference kind: %s",
                                               kapi_go_quote(p, rkind, strlen(rkind))));
        return -1;
    }
    if (allowed(r, p, w->user, "bind", rgroup ? rgroup : "", cluster ? "clusterroles" : "roles", bns, rname))
        return 0;
    if (!cluster && !bns[0]) {
        *st = kapi_status_bad_request(p, "Namespace parameter required.");
        return -1;
    }
    struct kapi_rbac_rule *rules = NULL;
    size_t n = 0;
    if (kapi_rbac_role_rules(r, p, cluster ? NULL : bns, rname, &rules, &n) < 0) {
        *st = kapi_status_not_found(p, RBAC_GROUP, cluster ? "clusterroles" : "roles", rname);
        return -1;
    }
    const char *err = kapi_rbac_confirm_no_escalation(r, p, w->user, bns, rules, n);
    return err ? deny(p, st, w->resource, name, err) : 0;
}

int kapi_rbac_check_escalation(struct kapi_rbac *r, struct kapi_pool *pool, const struct kapi_rbac_write *w,
                               struct kapi_status **status)
{
    *status = NULL;
    if (!r || !w || !w->obj || !w->group || !w->resource || strcmp(w->group, RBAC_GROUP) != 0)
        return 0;
    static const char *const names[] = {"roles", "clusterroles", "rolebindings", "clusterrolebindings"};
    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(w->resource, names[i]) == 0)
            kind = i;
    if (kind < 0 || !w->user || is_master(w->user))
        return 0;
    const char *ns = w->ns ? w->ns : "";
    const char *name = w->obj_name ? w->obj_name : "";
    if (kind == W_ROLES || kind == W_CROLES)
        return check_role(r, pool, w, kind, ns, name, status);
    return check_binding(r, pool, w, kind, ns, name, status);
}
