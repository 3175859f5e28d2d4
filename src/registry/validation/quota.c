/* registry/validation/quota: ResourceQuota as kube-apiserver 1.33 checks it
 * (ValidateResourceQuota on create, ValidateResourceQuotaUpdate on update):
 * spec.hard keys and values, spec.scopes (known scopes, scope/resource
 * compatibility, conflicting pairs), spec.scopeSelector match expressions,
 * and on update that the set of scopes is unchanged. The resource list rule
 * is shared with the status strategy (status.c). */
#include "validation_int.h"

#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* helper.IsStandardQuotaResourceName: the standard quota resources and the
 * (requests.)hugepages- prefixes. */
static const char *const QUOTA[] = {
    "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
    "resourcequotas", "services", "replicationcontrollers", "secrets", "persistentvolumeclaims", "configmaps",
    "services.nodeports", "services.loadbalancers"};

static bool quota_hugepages(const char *k)
{
    return !strncmp(k, "hugepages-", 10) || !strncmp(k, "requests.hugepages-", 19);
}

static bool standard_quota_resource(const char *k)
{
    return kv_in(k, QUOTA, N(QUOTA)) || quota_hugepages(k);
}

void kv_quota_resources(struct kv_ctx *c, const struct kapi_value *l, const char *fld)
{
    for (size_t i = 0; l && l->type == KAPI_V_OBJECT && i < kv_len(l); i++) {
        const struct kapi_member *m = &l->u.obj.members[i];
        const char *p = kv_path(c, "%s[%s]", fld, m->key);
        bool bare = !strchr(m->key, '/');
        size_t before = c->errs->len;
        /* ValidateResourceQuotaResourceName: validateResourceName (qualified
         * name, then the standard resource list for bare names), then the
         * quota list for bare names whatever the first part said */
        kv_name_msgs(c, p, m->key, kapi_is_qualified_name);
        if (c->errs->len == before && bare && !standard_quota_resource(m->key) && strcmp(m->key, "storage"))
            kapi_ferr_invalid(c->pool, c->errs, p, m->key, "must be a standard resource type or fully qualified");
        if (bare && !standard_quota_resource(m->key))
            kapi_ferr_invalid(c->pool, c->errs, p, m->key, "must be a standard resource for quota");
        kv_resource_quantity_value(c, m->key, m->val, p);
    }
}

/* ---- Scopes. */

static const char *const SCOPES[] = {"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
                                     "CrossNamespacePodAffinity"};

/* helper.IsResourceQuotaScopeValidForResource */
static bool scope_valid_for(const char *scope, const char *res)
{
    static const char *const POD_COMPUTE[] = {"pods", "cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu",
                                              "requests.memory"};
    if (!strcmp(scope, "BestEffort"))
        return !strcmp(res, "pods");
    if (kv_in(scope, SCOPES, N(SCOPES)))
        return kv_in(res, POD_COMPUTE, N(POD_COMPUTE));
    return true;
}

/* One "unsupported scope applied to resource" per standard quota resource of
 * hard that the scope does not apply to. */
static void scope_resources(struct kv_ctx *c, const struct kapi_value *hard, const char *scope, const char *fld,
                            const char *repr)
{
    for (size_t i = 0; hard && hard->type == KAPI_V_OBJECT && i < kv_len(hard); i++) {
        const char *k = hard->u.obj.members[i].key;
        if (standard_quota_resource(k) && !scope_valid_for(scope, k))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, repr, "unsupported scope applied to resource");
    }
}

static void go_strings(struct kapi_buf *b, const char *type, const struct kapi_value *arr)
{
    if (!arr || arr->type != KAPI_V_ARRAY) {
        kapi_buf_printf(b, "[]%s(nil)", type);
        return;
    }
    kapi_buf_printf(b, "[]%s{", type);
    for (size_t i = 0; i < kv_len(arr); i++) {
        const char *s = kapi_value_cstr(kv_item(arr, i));
        if (i)
            kapi_buf_puts(b, ", ");
        kapi_go_quote_buf(b, s ? s : "", s ? strlen(s) : 0);
    }
    kapi_buf_putc(b, '}');
}

static const char *buf_str(struct kv_ctx *c, struct kapi_buf *b)
{
    const char *s = kapi_pool_strndup(c->pool, b->data ? b->data : "", b->len);
    kapi_buf_dispose(b);
    return s;
}

/* []core.ResourceQuotaScope{...} as %#v prints it */
static const char *go_scopes(struct kv_ctx *c, const struct kapi_value *scopes)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    go_strings(&b, "core.ResourceQuotaScope", scopes);
    return buf_str(c, &b);
}

/* core.ScopeSelector{...} (the dereferenced *core.ScopeSelector) */
static const char *go_scope_selector(struct kv_ctx *c, const struct kapi_value *sel)
{
    const struct kapi_value *exprs = kv_get(sel, "matchExpressions");
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "core.ScopeSelector{MatchExpressions:");
    if (!exprs || exprs->type != KAPI_V_ARRAY) {
        kapi_buf_puts(&b, "[]core.ScopedResourceSelectorRequirement(nil)");
    } else {
        kapi_buf_puts(&b, "[]core.ScopedResourceSelectorRequirement{");
        for (size_t i = 0; i < kv_len(exprs); i++) {
            const struct kapi_value *r = kv_item(exprs, i);
            const char *name = kv_str0(r, "scopeName"), *op = kv_str0(r, "operator");
            kapi_buf_printf(&b, "%score.ScopedResourceSelectorRequirement{ScopeName:", i ? ", " : "");
            kapi_go_quote_buf(&b, name, strlen(name));
            kapi_buf_puts(&b, ", Operator:");
            kapi_go_quote_buf(&b, op, strlen(op));
            kapi_buf_puts(&b, ", Values:");
            go_strings(&b, "string", kv_get(r, "values"));
            kapi_buf_putc(&b, '}');
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_putc(&b, '}');
    return buf_str(c, &b);
}

/* The BestEffort/NotBestEffort and Terminating/NotTerminating pairs. */
static void conflicting(struct kv_ctx *c, bool have[N(SCOPES)], const char *fld, const char *repr)
{
    if (have[2] && have[3])
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, repr, "conflicting scopes");
    if (have[0] && have[1])
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, repr, "conflicting scopes");
}

static void mark(bool have[N(SCOPES)], const char *scope)
{
    for (size_t k = 0; k < N(SCOPES); k++)
        if (!strcmp(scope, SCOPES[k]))
            have[k] = true;
}

/* validateResourceQuotaScopes */
static void quota_scopes(struct kv_ctx *c, const struct kapi_value *spec)
{
    const struct kapi_value *scopes = kv_get(spec, "scopes"), *hard = kv_get(spec, "hard");
    if (!kv_len(scopes))
        return;
    const char *repr = go_scopes(c, scopes);
    bool have[N(SCOPES)] = {false};
    for (size_t i = 0; i < kv_len(scopes); i++) {
        const char *s = kapi_value_cstr(kv_item(scopes, i));
        s = s ? s : "";
        if (!kv_in(s, SCOPES, N(SCOPES)))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.scopes", repr, "unsupported scope");
        scope_resources(c, hard, s, "spec.scopes", repr);
        mark(have, s);
    }
    conflicting(c, have, "spec.scopes", repr);
}

/* validateScopeSelector / validateScopedResourceSelectorRequirement: upstream
 * reports every expression under the list's path, without an index. */
static void scope_selector(struct kv_ctx *c, const struct kapi_value *spec)
{
    static const char *const EXISTS_ONLY[] = {"BestEffort", "NotBestEffort", "Terminating", "NotTerminating",
                                              "CrossNamespacePodAffinity"};
    static const char FLD[] = "spec.scopeSelector.matchExpressions";
    const struct kapi_value *sel = kv_get(spec, "scopeSelector"), *hard = kv_get(spec, "hard");
    if (!sel || sel->type != KAPI_V_OBJECT)
        return;
    const struct kapi_value *exprs = kv_get(sel, "matchExpressions");
    const char *repr = go_scope_selector(c, sel);
    bool have[N(SCOPES)] = {false};
    for (size_t i = 0; i < kv_len(exprs); i++) {
        const struct kapi_value *r = kv_item(exprs, i);
        const char *name = kv_str0(r, "scopeName"), *op = kv_str0(r, "operator");
        const struct kapi_value *values = kv_get(r, "values");
        if (!kv_in(name, SCOPES, N(SCOPES)))
            kapi_ferr_invalid(c->pool, c->errs, "spec.scopeSelector.matchExpressions.scopeName", name,
                              "unsupported scope");
        scope_resources(c, hard, name, FLD, repr);
        if (kv_in(name, EXISTS_ONLY, N(EXISTS_ONLY)) && strcmp(op, "Exists"))
            kapi_ferr_invalid(c->pool, c->errs, "spec.scopeSelector.matchExpressions.operator", op,
                              "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, "
                              "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
                              "ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity");
        if (!strcmp(op, "In") || !strcmp(op, "NotIn")) {
            if (!kv_len(values))
                kapi_ferr_required(c->pool, c->errs, "spec.scopeSelector.matchExpressions.values",
                                   "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector");
        } else if (!strcmp(op, "Exists") || !strcmp(op, "DoesNotExist")) {
            if (kv_len(values)) {
                struct kapi_buf b;
                kapi_buf_init(&b, 0);
                go_strings(&b, "string", values);
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.scopeSelector.matchExpressions.values",
                              buf_str(c, &b),
                              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector");
            }
        } else {
            kapi_ferr_invalid(c->pool, c->errs, "spec.scopeSelector.matchExpressions.operator", op,
                              "not a valid selector operator");
        }
        mark(have, name);
    }
    /* the conflict is reported with spec.scopes as the bad value */
    conflicting(c, have, FLD, go_scopes(c, kv_get(spec, "scopes")));
}

/* Whether every scope of a is in b. */
static bool scopes_within(const struct kapi_value *a, const struct kapi_value *b)
{
    for (size_t i = 0; i < kv_len(a); i++) {
        const char *s = kapi_value_cstr(kv_item(a, i));
        bool found = false;
        for (size_t j = 0; j < kv_len(b) && !found; j++) {
            const char *t = kapi_value_cstr(kv_item(b, j));
            found = s && t && !strcmp(s, t);
        }
        if (!found)
            return false;
    }
    return true;
}

void kv_resource_quota(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    /* ValidateResourceQuotaSpec */
    const struct kapi_value *spec = kv_get(obj, "spec");
    kv_quota_resources(c, kv_get(spec, "hard"), "spec.hard");
    quota_scopes(c, spec);
    scope_selector(c, spec);
    if (!old) {
        /* ValidateResourceQuotaStatus (the create strategy has cleared it) */
        const struct kapi_value *st = kv_get(obj, "status");
        kv_quota_resources(c, kv_get(st, "hard"), "status.hard");
        kv_quota_resources(c, kv_get(st, "used"), "status.used");
        return;
    }
    /* the set of scopes may not change (order and repeats do not count) */
    const struct kapi_value *ns = kv_get(spec, "scopes"), *os = kv_get(kv_get(old, "spec"), "scopes");
    if (!scopes_within(ns, os) || !scopes_within(os, ns))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.scopes", go_scopes(c, ns), "field is immutable");
}
