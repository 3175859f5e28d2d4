/* registry/validation/apps: workloads (apps/v1 Deployment, ReplicaSet,
 * StatefulSet, DaemonSet; batch/v1 Job and CronJob). */
#include "validation_int.h"

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Selector required, non-empty and matching the template's labels, as
 * upstream's ValidateDeploymentSpec and friends do it. */
static void selector_and_template(struct kv_ctx *c, const struct kapi_value *spec, const char *what,
                                  bool check_restart_always)
{
    const struct kapi_value *sel = kv_get(spec, "selector");
    if (!sel) {
        kapi_ferr_required(c->pool, c->errs, "spec.selector", "");
    } else {
        kv_label_selector(c, sel, "spec.selector");
        if (kv_selector_empty(sel))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.selector", kv_go_selector(c, sel),
                          kapi_pool_printf(c->pool, "empty selector is invalid for %s", what));
    }
    const struct kapi_value *tmpl = kv_get(spec, "template");
    if (!tmpl) {
        kapi_ferr_required(c->pool, c->errs, "spec.template", "");
        return;
    }
    const struct kapi_value *labels = kv_get(kv_get(tmpl, "metadata"), "labels");
    /* a nil selector matches nothing; an empty one everything (and is
     * reported above) */
    if ((!sel || !kv_selector_empty(sel)) && !kv_selector_matches(sel, labels))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.template.metadata.labels", kv_go_map(c, labels),
                      "`selector` does not match template `labels`");
    if (!strcmp(what, "statefulset")) {
        /* upstream leaves a StatefulSet's pod spec to pod creation (its
         * volumeMounts may name volumeClaimTemplates): labels and
         * annotations only, under spec.template itself */
        const struct kapi_value *meta = kv_get(tmpl, "metadata");
        kapi_validate_labels(c->pool, kv_get(meta, "labels"), "spec.template.labels", c->errs);
        kapi_validate_annotations(c->pool, kv_get(meta, "annotations"), "spec.template.annotations", c->errs);
    } else {
        kv_pod_template(c, tmpl, "spec.template");
    }
    if (check_restart_always) {
        const char *rp = kv_str0(kv_get(tmpl, "spec"), "restartPolicy");
        static const char *const always[] = {"Always"};
        if (strcmp(rp, "Always"))
            kapi_ferr_not_supported(c->pool, c->errs, "spec.template.spec.restartPolicy", rp, always, 1);
        int64_t ads;
        const char *adp = "spec.template.spec.activeDeadlineSeconds";
        /* a DaemonSet reports it as Invalid, the others as Forbidden */
        if (kv_int(kv_get(tmpl, "spec"), "activeDeadlineSeconds", &ads) && !strcmp(what, "daemonset"))
            kapi_ferr_invalid_int(c->pool, c->errs, adp, ads, "activeDeadlineSeconds in DaemonSet is not Supported");
        else if (kv_get(kv_get(tmpl, "spec"), "activeDeadlineSeconds"))
            kapi_ferr_forbidden(c->pool, c->errs, adp,
                                kapi_pool_printf(c->pool, "activeDeadlineSeconds in %s is not Supported",
                                                 !strcmp(what, "statefulset") ? "StatefulSet" : "ReplicaSet"));
    }
}

static bool is_percent(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || s[n - 1] != '%')
        return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int64_t intstr_value(const struct kapi_value *v)
{
    if (!v)
        return 0;
    if (v->type == KAPI_V_INT)
        return v->u.i;
    if (v->type == KAPI_V_STRING && is_percent(v->u.str.s))
        return strtoll(v->u.str.s, NULL, 10);
    return -1;
}

static void positive_int_or_percent(struct kv_ctx *c, const struct kapi_value *v, const char *fld)
{
    if (!v)
        return;
    if (v->type == KAPI_V_STRING) {
        if (!is_percent(v->u.str.s))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, kv_go_intstr(c, v),
                          "a valid percent string must be a numeric string followed by an ending '%' "
                          "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')");
    } else if (v->type == KAPI_V_INT && v->u.i < 0) {
        kapi_ferr_invalid_int(c->pool, c->errs, fld, v->u.i, "must be greater than or equal to 0");
    }
}

static void not_more_than_100(struct kv_ctx *c, const struct kapi_value *v, const char *fld)
{
    if (v && v->type == KAPI_V_STRING && is_percent(v->u.str.s) && strtoll(v->u.str.s, NULL, 10) > 100)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, fld, kv_go_intstr(c, v),
                      "must not be greater than 100%");
}

static void rolling_update(struct kv_ctx *c, const struct kapi_value *ru, const char *fld, bool surge)
{
    const struct kapi_value *mu = kv_get(ru, "maxUnavailable"), *ms = kv_get(ru, "maxSurge");
    const char *mup = kv_path(c, "%s.maxUnavailable", fld);
    positive_int_or_percent(c, mu, mup);
    if (surge)
        positive_int_or_percent(c, ms, kv_path(c, "%s.maxSurge", fld));
    if (surge && intstr_value(mu) == 0 && intstr_value(ms) == 0)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, mup, kv_go_intstr(c, mu),
                      "may not be 0 when `maxSurge` is 0");
    not_more_than_100(c, mu, mup);
}

static void deployment_strategy(struct kv_ctx *c, const struct kapi_value *st)
{
    const char *type = kv_str0(st, "type");
    const struct kapi_value *ru = kv_get(st, "rollingUpdate");
    if (!strcmp(type, "Recreate")) {
        if (ru)
            kapi_ferr_forbidden(c->pool, c->errs, "spec.strategy.rollingUpdate",
                                "may not be specified when strategy `type` is 'Recreate'");
    } else if (!strcmp(type, "RollingUpdate")) {
        if (!ru)
            kapi_ferr_required(c->pool, c->errs, "spec.strategy.rollingUpdate",
                               "this should be defaulted and never be nil");
        else
            rolling_update(c, ru, "spec.strategy.rollingUpdate", true);
    } else {
        static const char *const types[] = {"Recreate", "RollingUpdate"};
        char *repr = kapi_pool_printf(c->pool,
                                      "apps.DeploymentStrategy{Type:%s, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}",
                                      kapi_go_quote(c->pool, type, strlen(type)));
        struct kapi_field_errors tmp = {0};
        kapi_ferr_not_supported(c->pool, &tmp, "spec.strategy", type, types, 2);
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_NOT_SUPPORTED, "spec.strategy", repr, tmp.items[0].detail);
    }
}

static void selector_immutable(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    if (!old)
        return;
    const struct kapi_value *ns = kv_get(kv_get(obj, "spec"), "selector");
    const struct kapi_value *os = kv_get(kv_get(old, "spec"), "selector");
    kv_immutable(c, ns, os, "spec.selector", kv_go_selector(c, ns));
}

static void deployment(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    kv_nonneg(c, "spec", spec, "replicas");
    selector_and_template(c, spec, "deployment", true);
    deployment_strategy(c, kv_get(spec, "strategy"));
    kv_nonneg(c, "spec", spec, "minReadySeconds");
    kv_nonneg(c, "spec", spec, "revisionHistoryLimit");
    int64_t pds, mrs = 0;
    kv_int(spec, "minReadySeconds", &mrs);
    if (kv_int(spec, "progressDeadlineSeconds", &pds)) {
        kv_nonneg(c, "spec", spec, "progressDeadlineSeconds");
        if (pds <= mrs)
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.progressDeadlineSeconds", pds,
                                  "must be greater than minReadySeconds");
    }
    selector_immutable(c, obj, old);
}

static void replicaset(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    kv_nonneg(c, "spec", spec, "replicas");
    kv_nonneg(c, "spec", spec, "minReadySeconds");
    selector_and_template(c, spec, "deployment", true);
    selector_immutable(c, obj, old);
}

static void statefulset(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    static const char *const pmp[] = {"OrderedReady", "Parallel"};
    const char *pm = kv_str(spec, "podManagementPolicy");
    if (!pm || !*pm)
        kapi_ferr_required(c->pool, c->errs, "spec.podManagementPolicy", "");
    else if (!kv_in(pm, pmp, 2))
        kapi_ferr_invalid(c->pool, c->errs, "spec.podManagementPolicy", pm, "must be 'OrderedReady' or 'Parallel'");
    const struct kapi_value *us = kv_get(spec, "updateStrategy");
    const char *ut = kv_str0(us, "type");
    static const char *const uts[] = {"OnDelete", "RollingUpdate"};
    if (!*ut)
        kapi_ferr_required(c->pool, c->errs, "spec.updateStrategy", "");
    else if (!kv_in(ut, uts, 2))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.updateStrategy", ut, uts, 2);
    else if (!strcmp(ut, "OnDelete") && kv_get(us, "rollingUpdate"))
        kapi_ferr_invalid(c->pool, c->errs, "spec.updateStrategy.rollingUpdate", "",
                          "only allowed for updateStrategy 'RollingUpdate'");
    const struct kapi_value *rp = kv_get(spec, "persistentVolumeClaimRetentionPolicy");
    if (rp) {
        static const char *const kinds[] = {"Retain", "Delete"}, *const keys[] = {"whenDeleted", "whenScaled"};
        for (size_t i = 0; i < 2; i++) {
            const char *v = kv_str0(rp, keys[i]);
            if (!kv_in(v, kinds, 2))
                kapi_ferr_not_supported(c->pool, c->errs,
                                        kv_path(c, "spec.persistentVolumeClaimRetentionPolicy.%s", keys[i]), v, kinds, 2);
        }
    }
    kv_nonneg(c, "spec", spec, "replicas");
    kv_nonneg(c, "spec", spec, "minReadySeconds");
    selector_and_template(c, spec, "statefulset", true);
    if (old) {
        selector_immutable(c, obj, old);
        /* everything but the mutable fields (and the selector, reported above)
         * must stay: serviceName, podManagementPolicy, volumeClaimTemplates, ... */
        const struct kapi_value *os = kv_get(old, "spec");
        struct kapi_value *ns = kapi_value_clone(c->pool, spec ? spec : kapi_value_object(c->pool));
        static const char *const mutable_keys[] = {"replicas", "ordinals", "template", "updateStrategy",
                                                   "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy",
                                                   "minReadySeconds", "selector"};
        for (size_t i = 0; i < N(mutable_keys); i++) {
            kapi_obj_del(ns, mutable_keys[i]);
            if (kv_get(os, mutable_keys[i]))
                kapi_obj_set(c->pool, ns, mutable_keys[i], kapi_value_clone(c->pool, kv_get(os, mutable_keys[i])));
        }
        if (!kapi_value_equal(ns, os ? os : kapi_value_object(c->pool)))
            kapi_ferr_forbidden(c->pool, c->errs, "spec",
                                "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                                "'template', 'updateStrategy', 'revisionHistoryLimit', "
                                "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
    }
}

static void daemonset(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    selector_and_template(c, spec, "daemonset", true);
    kv_nonneg(c, "spec", spec, "minReadySeconds");
    kv_nonneg(c, "spec", spec, "templateGeneration");
    const struct kapi_value *us = kv_get(spec, "updateStrategy");
    const char *ut = kv_str0(us, "type");
    static const char *const uts[] = {"OnDelete", "RollingUpdate"};
    if (!*ut)
        kapi_ferr_required(c->pool, c->errs, "spec.updateStrategy.type", "");
    else if (!kv_in(ut, uts, 2))
        kapi_ferr_not_supported(c->pool, c->errs, "spec.updateStrategy.type", ut, uts, 2);
    else if (!strcmp(ut, "RollingUpdate") && kv_get(us, "rollingUpdate"))
        rolling_update(c, kv_get(us, "rollingUpdate"), "spec.updateStrategy.rollingUpdate", true);
    selector_immutable(c, obj, old);
}

/* ---- batch. */

static const char *const PFP_ACTIONS[] = {"Count", "FailIndex", "FailJob", "Ignore"};
static const char *const PFP_OPERATORS[] = {"In", "NotIn"};
static const char *const PFP_STATUSES[] = {"False", "True", "Unknown"};

/* Go's %q of a []string: ["a" "b"]. */
static const char *go_q_list(struct kv_ctx *c, const char *const *v, size_t n)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            kapi_buf_putc(&b, ' ');
        kapi_go_quote_buf(&b, v[i], strlen(v[i]));
    }
    kapi_buf_putc(&b, ']');
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static bool kv_int_item(const struct kapi_value *arr, size_t i, int64_t *out)
{
    const struct kapi_value *v = kv_item(arr, i);
    if (!v || v->type != KAPI_V_INT)
        return false;
    *out = v->u.i;
    return true;
}

/* Go's %#v of an []int32 ("[]int32{1, 2}") */
static const char *go_int_list(struct kv_ctx *c, const struct kapi_value *arr)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "[]int32{");
    for (size_t i = 0; i < kv_len(arr); i++) {
        const struct kapi_value *v = kv_item(arr, i);
        kapi_buf_printf(&b, "%s%lld", i ? ", " : "", (long long)(v && v->type == KAPI_V_INT ? v->u.i : 0));
    }
    kapi_buf_putc(&b, '}');
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void pfp_on_exit_codes(struct kv_ctx *c, const struct kapi_value *oe, const char *fld,
                              const struct kapi_value *tspec)
{
    const char *op = kv_str0(oe, "operator");
    const char *opp = kv_path(c, "%s.operator", fld);
    if (!*op)
        kapi_ferr_required(c->pool, c->errs, opp,
                           kapi_pool_printf(c->pool, "valid values: %s", go_q_list(c, PFP_OPERATORS, N(PFP_OPERATORS))));
    else if (!kv_in(op, PFP_OPERATORS, N(PFP_OPERATORS)))
        kapi_ferr_not_supported(c->pool, c->errs, opp, op, PFP_OPERATORS, N(PFP_OPERATORS));
    const char *cn = kv_str(oe, "containerName");
    if (cn) {
        bool found = false;
        static const char *const lists[] = {"containers", "initContainers"};
        for (size_t l = 0; l < 2 && !found; l++) {
            const struct kapi_value *ctrs = kv_get(tspec, lists[l]);
            for (size_t i = 0; i < kv_len(ctrs) && !found; i++)
                found = !strcmp(kv_str0(kv_item(ctrs, i), "name"), cn);
        }
        if (!found)
            kapi_ferr_invalid(c->pool, c->errs, kv_path(c, "%s.containerName", fld), cn,
                              "must be one of the container or initContainer names in the pod template");
    }
    const struct kapi_value *vals = kv_get(oe, "values");
    const char *vp = kv_path(c, "%s.values", fld);
    if (kv_len(vals) == 0)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, vp, vals ? "[]int32{}" : "[]int32(nil)",
                      "at least one value is required");
    else if (kv_len(vals) > 255)
        kapi_ferr_too_many(c->pool, c->errs, vp, (long)kv_len(vals), 255);
    bool ordered = true;
    for (size_t j = 0; j < kv_len(vals); j++) {
        int64_t v = 0, prev = 0;
        kv_int_item(vals, j, &v);
        const char *p = kv_path(c, "%s[%zu]", vp, j);
        if (!strcmp(op, "In") && v == 0)
            kapi_ferr_invalid_int(c->pool, c->errs, p, v, "must not be 0 for the In operator");
        for (size_t k = 0; k < j; k++) {
            int64_t w = 0;
            kv_int_item(vals, k, &w);
            if (w == v) {
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_DUPLICATE, p, kapi_pool_printf(c->pool, "%lld", (long long)v),
                              NULL);
                break;
            }
        }
        if (j > 0 && kv_int_item(vals, j - 1, &prev) && prev > v)
            ordered = false;
    }
    if (!ordered)
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, vp, go_int_list(c, vals), "must be ordered");
}

static void pod_failure_policy(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *rules = kv_get(kv_get(spec, "podFailurePolicy"), "rules");
    const char *rp = kv_path(c, "%s.rules", fld);
    if (kv_len(rules) > 20)
        kapi_ferr_too_many(c->pool, c->errs, rp, (long)kv_len(rules), 20);
    const struct kapi_value *tspec = kv_get(kv_get(spec, "template"), "spec");
    for (size_t i = 0; i < kv_len(rules); i++) {
        const struct kapi_value *r = kv_item(rules, i);
        const char *p = kv_path(c, "%s[%zu]", rp, i);
        const char *ap = kv_path(c, "%s.action", p);
        const char *action = kv_str0(r, "action");
        if (!*action)
            kapi_ferr_required(c->pool, c->errs, ap,
                               kapi_pool_printf(c->pool, "valid values: %s", go_q_list(c, PFP_ACTIONS, N(PFP_ACTIONS))));
        else if (!strcmp(action, "FailIndex")) {
            if (!kv_get(spec, "backoffLimitPerIndex"))
                kapi_ferr_invalid(c->pool, c->errs, ap, action, "requires the backoffLimitPerIndex to be set");
        } else if (!kv_in(action, PFP_ACTIONS, N(PFP_ACTIONS)))
            kapi_ferr_not_supported(c->pool, c->errs, ap, action, PFP_ACTIONS, N(PFP_ACTIONS));
        const struct kapi_value *oe = kv_get(r, "onExitCodes"), *opc = kv_get(r, "onPodConditions");
        if (oe)
            pfp_on_exit_codes(c, oe, kv_path(c, "%s.onExitCodes", p), tspec);
        if (kv_len(opc) > 0) {
            const char *cp = kv_path(c, "%s.onPodConditions", p);
            if (kv_len(opc) > 20)
                kapi_ferr_too_many(c->pool, c->errs, cp, (long)kv_len(opc), 20);
            for (size_t j = 0; j < kv_len(opc); j++) {
                const struct kapi_value *pat = kv_item(opc, j);
                const char *pp = kv_path(c, "%s[%zu]", cp, j);
                kv_name_msgs(c, kv_path(c, "%s.type", pp), kv_str0(pat, "type"), kapi_is_qualified_name);
                const char *st = kv_str0(pat, "status");
                const char *sp = kv_path(c, "%s.status", pp);
                if (!*st)
                    kapi_ferr_required(c->pool, c->errs, sp,
                                       kapi_pool_printf(c->pool, "valid values: %s",
                                                        go_q_list(c, PFP_STATUSES, N(PFP_STATUSES))));
                else if (!kv_in(st, PFP_STATUSES, N(PFP_STATUSES)))
                    kapi_ferr_not_supported(c->pool, c->errs, sp, st, PFP_STATUSES, N(PFP_STATUSES));
            }
        }
        /* upstream's field.OmitValueType: no value shown */
        if (oe && kv_len(opc) > 0)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, p, NULL,
                          "specifying both OnExitCodes and OnPodConditions is not supported");
        if (!oe && kv_len(opc) == 0)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, p, NULL,
                          "specifying one of OnExitCodes and OnPodConditions is required");
    }
}

/* parseIndexInterval / validateIndexesFormat: "1,3-5"; NULL when valid. */
static const char *indexes_error(struct kv_ctx *c, const char *s, int64_t completions, int64_t *total)
{
    *total = 0;
    if (!*s)
        return NULL;
    bool have_last = false;
    int64_t last = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char *iv = kapi_pool_strndup(c->pool, p, n);
        char *parts[3] = {iv, NULL, NULL};
        int np = 1;
        for (char *q = iv; *q; q++)
            if (*q == '-') {
                *q = 0;
                if (np < 3)
                    parts[np] = q + 1;
                np++;
            }
        if (np > 2) {
            char *orig = kapi_pool_strndup(c->pool, p, n);
            return kapi_pool_printf(c->pool,
                                    "the fragment %s violates the requirement that an index interval can have at most "
                                    "two parts separated by '-'",
                                    kapi_go_quote(c->pool, orig, strlen(orig)));
        }
        int64_t xy[2] = {0, 0};
        for (int k = 0; k < np; k++) {
            const char *t = parts[k], *d = t + (t[0] == '+' ? 1 : 0);
            bool ok = *d != 0;
            for (const char *q = d; ok && *q; q++)
                ok = *q >= '0' && *q <= '9';
            if (!ok) /* strconv.Atoi: an optional sign, then digits */
                return kapi_pool_printf(c->pool, "cannot convert string to integer for index: %s",
                                        kapi_go_quote(c->pool, t, strlen(t)));
            long long v = strtoll(d, NULL, 10);
            if (v >= completions)
                return kapi_pool_printf(c->pool, "too large index: %s", kapi_go_quote(c->pool, t, strlen(t)));
            xy[k] = v;
        }
        if (np == 1)
            xy[1] = xy[0];
        else if (xy[0] >= xy[1])
            return kapi_pool_printf(c->pool, "non-increasing order, previous: %lld, current: %lld", (long long)xy[0],
                                    (long long)xy[1]);
        if (have_last && last >= xy[0])
            return kapi_pool_printf(c->pool, "non-increasing order, previous: %lld, current: %lld", (long long)last,
                                    (long long)xy[0]);
        *total += xy[1] - xy[0] + 1;
        last = xy[1];
        have_last = true;
        if (!comma)
            return NULL;
        p = comma + 1;
    }
}

/* %#v of the internal batch.SuccessPolicy (set pointers: the fixed stand-in
 * address, see docs/internals/validation.md). */
static const char *go_success_policy(struct kv_ctx *c, const struct kapi_value *sp)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    const struct kapi_value *rules = kv_get(sp, "rules");
    kapi_buf_puts(&b, "batch.SuccessPolicy{Rules:");
    if (!rules) {
        kapi_buf_puts(&b, "[]batch.SuccessPolicyRule(nil)");
    } else {
        kapi_buf_puts(&b, "[]batch.SuccessPolicyRule{");
        for (size_t i = 0; i < kv_len(rules); i++) {
            const struct kapi_value *r = kv_item(rules, i);
            kapi_buf_printf(&b, "%sbatch.SuccessPolicyRule{SucceededIndexes:(*string)(%s), SucceededCount:(*int32)(%s)}",
                            i ? ", " : "", kv_get(r, "succeededIndexes") ? "0xc000000000" : "nil",
                            kv_get(r, "succeededCount") ? "0xc000000000" : "nil");
        }
        kapi_buf_putc(&b, '}');
    }
    kapi_buf_putc(&b, '}');
    char *s = kapi_pool_strndup(c->pool, b.data, b.len);
    kapi_buf_dispose(&b);
    return s;
}

static void success_policy(struct kv_ctx *c, const struct kapi_value *spec, const char *fld)
{
    const struct kapi_value *rules = kv_get(kv_get(spec, "successPolicy"), "rules");
    const char *rp = kv_path(c, "%s.rules", fld);
    if (kv_len(rules) == 0)
        kapi_ferr_required(c->pool, c->errs, rp, "at least one rules must be specified when the successPolicy is specified");
    if (kv_len(rules) > 20)
        kapi_ferr_too_many(c->pool, c->errs, rp, (long)kv_len(rules), 20);
    int64_t completions = 0;
    kv_int(spec, "completions", &completions);
    for (size_t i = 0; i < kv_len(rules); i++) {
        const struct kapi_value *r = kv_item(rules, i);
        const char *p = kv_path(c, "%s[%zu]", rp, i);
        const char *idx = kv_str(r, "succeededIndexes");
        int64_t count, total = 0;
        bool has_count = kv_int(r, "succeededCount", &count);
        if (!idx && !has_count)
            kapi_ferr_required(c->pool, c->errs, p, "at least one of succeededCount or succeededIndexes must be specified");
        if (idx) {
            const char *ip = kv_path(c, "%s.succeededIndexes", p);
            if (strlen(idx) > 64 * 1024)
                kapi_ferr_too_long(c->pool, c->errs, ip, 64 * 1024);
            const char *err = indexes_error(c, idx, completions, &total);
            if (err) /* as upstream, a bad list counts 0 indexes */
                total = 0;
            if (err)
                kapi_ferr_invalid(c->pool, c->errs, ip, idx,
                                  kapi_pool_printf(c->pool, "error parsing succeededIndexes: %s", err));
        }
        if (has_count) {
            const char *cp = kv_path(c, "%s.succeededCount", p);
            if (count < 0)
                kapi_ferr_invalid_int(c->pool, c->errs, cp, count, "must be greater than or equal to 0");
            if (count > completions)
                kapi_ferr_invalid_int(c->pool, c->errs, cp, count,
                                      kapi_pool_printf(c->pool, "must be less than or equal to %lld (the number of "
                                                                "specified completions)",
                                                       (long long)completions));
            if (idx && count > total)
                kapi_ferr_invalid_int(c->pool, c->errs, cp, count,
                                      kapi_pool_printf(c->pool, "must be less than or equal to %lld (the number of "
                                                                "indexes in the specified succeededIndexes field)",
                                                       (long long)total));
        }
    }
}

/* upstream's validateJobSpec (Jobs and CronJob job templates) */
static void job_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld, bool is_job)
{
    kv_nonneg(c, fld, spec, "parallelism");
    kv_nonneg(c, fld, spec, "completions");
    kv_nonneg(c, fld, spec, "activeDeadlineSeconds");
    kv_nonneg(c, fld, spec, "backoffLimit");
    kv_nonneg(c, fld, spec, "ttlSecondsAfterFinished");
    kv_nonneg(c, fld, spec, "backoffLimitPerIndex");
    int64_t blpi, mfi, comp, par;
    bool has_blpi = kv_int(spec, "backoffLimitPerIndex", &blpi), has_mfi = kv_int(spec, "maxFailedIndexes", &mfi);
    bool has_comp = kv_int(spec, "completions", &comp), has_par = kv_int(spec, "parallelism", &par);
    if (has_mfi) {
        kv_nonneg(c, fld, spec, "maxFailedIndexes");
        if (!has_blpi)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.backoffLimitPerIndex", fld),
                               "when maxFailedIndexes is specified");
    }
    const char *mb = kv_str(spec, "managedBy");
    if (mb) {
        /* apimachinery's IsDomainPrefixedPath (the host part), then the length */
        const char *mp = kv_path(c, "%s.managedBy", fld);
        const char *slash = strchr(mb, '/');
        if (!*mb)
            kapi_ferr_required(c->pool, c->errs, mp, "");
        else if (!slash || slash == mb || !slash[1])
            kapi_ferr_invalid(c->pool, c->errs, mp, mb, "must be a domain-prefixed path (such as \"acme.io/foo\")");
        else
            kv_name_msgs(c, mp, kapi_pool_strndup(c->pool, mb, (size_t)(slash - mb)), kapi_is_dns1123_subdomain);
        if (strlen(mb) > 63)
            kapi_ferr_too_long(c->pool, c->errs, mp, 63);
    }
    const char *cm = kv_str(spec, "completionMode");
    static const char *const modes[] = {"NonIndexed", "Indexed"};
    bool indexed = cm && !strcmp(cm, "Indexed");
    if (cm && !kv_in(cm, modes, 2))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.completionMode", fld), cm, modes, 2);
    if (indexed) {
        if (!has_comp)
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.completions", fld), "when completion mode is Indexed");
        if (has_par && par > 100000)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.parallelism", fld), par,
                                  "must be less than or equal to 100000 when completion mode is Indexed");
        if (has_comp && has_mfi && mfi > comp)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.maxFailedIndexes", fld), mfi,
                                  "must be less than or equal to completions");
        if (has_mfi && mfi > 100000)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.maxFailedIndexes", fld), mfi,
                                  "must be less than or equal to 100000");
        if (has_comp && comp > 100000 && has_blpi) {
            if (!has_mfi)
                kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.maxFailedIndexes", fld),
                                   "must be specified when completions is above 100000");
            if (has_par && par > 10000)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.parallelism", fld), par,
                                      "must be less than or equal to 10000 when completions are above 100000 and used "
                                      "with backoff limit per index");
            if (has_mfi && mfi > 10000)
                kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.maxFailedIndexes", fld), mfi,
                                      "must be less than or equal to 10000 when completions are above 100000 and used "
                                      "with backoff limit per index");
        }
    } else if (!cm || !strcmp(cm, "NonIndexed")) {
        if (has_blpi)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.backoffLimitPerIndex", fld), blpi,
                                  "requires indexed completion mode");
        if (has_mfi)
            kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.maxFailedIndexes", fld), mfi,
                                  "requires indexed completion mode");
    }
    bool has_pfp = kv_get(spec, "podFailurePolicy") != NULL;
    if (has_pfp)
        pod_failure_policy(c, spec, kv_path(c, "%s.podFailurePolicy", fld));
    const struct kapi_value *sp = kv_get(spec, "successPolicy");
    if (sp) {
        if (!indexed)
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.successPolicy", fld),
                          go_success_policy(c, sp), "requires indexed completion mode");
        else
            success_policy(c, spec, kv_path(c, "%s.successPolicy", fld));
    }
    const char *prp = kv_str(spec, "podReplacementPolicy");
    if (prp) {
        static const char *const failed[] = {"Failed"}, *const all[] = {"Failed", "TerminatingOrFailed"};
        const char *pp = kv_path(c, "%s.podReplacementPolicy", fld);
        if (has_pfp ? strcmp(prp, "Failed") : !kv_in(prp, all, 2))
            kapi_ferr_not_supported(c->pool, c->errs, pp, prp, has_pfp ? failed : all, has_pfp ? 1 : 2);
    }
    const struct kapi_value *tmpl = kv_get(spec, "template");
    const char *tp = kv_path(c, "%s.template", fld);
    kv_pod_template(c, tmpl, tp);
    const char *rp = kv_str0(kv_get(tmpl, "spec"), "restartPolicy");
    static const char *const rps[] = {"OnFailure", "Never"};
    const char *rpp = kv_path(c, "%s.spec.restartPolicy", tp);
    if (!*rp || !strcmp(rp, "Always"))
        kapi_ferr_required(c->pool, c->errs, rpp, "valid values: \"OnFailure\", \"Never\"");
    else if (!kv_in(rp, rps, 2))
        kapi_ferr_not_supported(c->pool, c->errs, rpp, rp, rps, 2);
    else if (has_pfp && strcmp(rp, "Never"))
        kapi_ferr_invalid(c->pool, c->errs, rpp, rp, "only \"Never\" is supported when podFailurePolicy is specified");
    if (is_job) {
        const struct kapi_value *sel = kv_get(spec, "selector");
        if (!sel) {
            kapi_ferr_required(c->pool, c->errs, kv_path(c, "%s.selector", fld), "");
        } else {
            kv_label_selector(c, sel, kv_path(c, "%s.selector", fld));
            const struct kapi_value *labels = kv_get(kv_get(tmpl, "metadata"), "labels");
            if (!kv_selector_empty(sel) && !kv_selector_matches(sel, labels))
                kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, kv_path(c, "%s.metadata.labels", tp),
                              kv_go_map(c, labels), "`selector` does not match template `labels`");
        }
    }
}

/* validatePodTemplateUpdate: the template is immutable, except the
 * scheduling directives of a suspended job that never started. */
static void job_template_update(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *nt = kv_get(kv_get(obj, "spec"), "template");
    const struct kapi_value *ot = kv_get(kv_get(old, "spec"), "template");
    struct kapi_value *cmp = ot ? kapi_value_clone(c->pool, ot) : NULL;
    bool mutable_sched = kv_bool(kv_get(old, "spec"), "suspend") && !kv_get(kv_get(old, "status"), "startTime");
    if (mutable_sched && cmp && cmp->type == KAPI_V_OBJECT) {
        struct kapi_value *cmd = kapi_obj_ensure_obj(c->pool, cmp, "metadata");
        struct kapi_value *cspec = kapi_obj_ensure_obj(c->pool, cmp, "spec");
        const struct kapi_value *nmd = kv_get(nt, "metadata"), *nspec = kv_get(nt, "spec");
        static const char *const md_keys[] = {"annotations", "labels"};
        static const char *const spec_keys[] = {"nodeSelector", "tolerations", "schedulingGates"};
        for (size_t i = 0; i < N(md_keys); i++) {
            if (kv_get(nmd, md_keys[i]))
                kapi_obj_set(c->pool, cmd, md_keys[i], kapi_value_clone(c->pool, kv_get(nmd, md_keys[i])));
            else
                kapi_obj_del(cmd, md_keys[i]);
        }
        for (size_t i = 0; i < N(spec_keys); i++) {
            if (kv_get(nspec, spec_keys[i]))
                kapi_obj_set(c->pool, cspec, spec_keys[i], kapi_value_clone(c->pool, kv_get(nspec, spec_keys[i])));
            else
                kapi_obj_del(cspec, spec_keys[i]);
        }
        /* node affinity may change; the rest of the affinity may not */
        const struct kapi_value *naff = kv_get(nspec, "affinity");
        struct kapi_value *caff = kapi_obj_get(cspec, "affinity");
        if (!naff && caff && caff->type == KAPI_V_OBJECT) {
            kapi_obj_del(caff, "nodeAffinity");
            if (kv_len(caff) == 0)
                kapi_obj_del(cspec, "affinity");
        } else if (naff && !caff) {
            struct kapi_value *a = kapi_value_object(c->pool);
            if (kv_get(naff, "nodeAffinity"))
                kapi_obj_set(c->pool, a, "nodeAffinity", kapi_value_clone(c->pool, kv_get(naff, "nodeAffinity")));
            kapi_obj_set(c->pool, cspec, "affinity", a);
        } else if (naff && caff && caff->type == KAPI_V_OBJECT) {
            if (kv_get(naff, "nodeAffinity"))
                kapi_obj_set(c->pool, caff, "nodeAffinity", kapi_value_clone(c->pool, kv_get(naff, "nodeAffinity")));
            else
                kapi_obj_del(caff, "nodeAffinity");
        }
    }
    if (!(nt ? cmp && kapi_value_equal(nt, cmp) : !cmp))
        /* upstream prints the whole internal core.PodTemplateSpec with %#v */
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.template", "core.PodTemplateSpec{...}",
                      "field is immutable");
}

static void job(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    job_spec(c, kv_get(obj, "spec"), "spec", true);
    if (!old)
        return;
    /* ValidateJobSpecUpdate */
    const struct kapi_value *ns = kv_get(obj, "spec"), *os = kv_get(old, "spec");
    const struct kapi_value *nc = kv_get(ns, "completions"), *oc = kv_get(os, "completions");
    if (strcmp(kv_str0(ns, "completionMode"), "Indexed")) {
        kv_immutable(c, nc, oc, "spec.completions", NULL);
    } else if (!(nc ? oc && kapi_value_equal(nc, oc) : !oc) && nc) {
        /* elastic Indexed jobs: completions change together with parallelism */
        const struct kapi_value *np = kv_get(ns, "parallelism");
        if (!np || !kapi_value_equal(nc, np))
            kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.completions", kv_repr(c, nc),
                          "can only be modified in tandem with spec.parallelism");
    }
    selector_immutable(c, obj, old);
    job_template_update(c, obj, old);
    kv_immutable(c, kv_get(ns, "completionMode"), kv_get(os, "completionMode"), "spec.completionMode", NULL);
    if (!(kv_get(ns, "podFailurePolicy") ? kv_get(os, "podFailurePolicy") &&
                                               kapi_value_equal(kv_get(ns, "podFailurePolicy"), kv_get(os, "podFailurePolicy"))
                                         : !kv_get(os, "podFailurePolicy")))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.podFailurePolicy",
                      kv_get(ns, "podFailurePolicy") ? "batch.PodFailurePolicy{...}" : "null", "field is immutable");
    kv_immutable(c, kv_get(ns, "backoffLimitPerIndex"), kv_get(os, "backoffLimitPerIndex"),
                 "spec.backoffLimitPerIndex", NULL);
    kv_immutable(c, kv_get(ns, "managedBy"), kv_get(os, "managedBy"), "spec.managedBy", NULL);
    const struct kapi_value *nsp = kv_get(ns, "successPolicy"), *osp = kv_get(os, "successPolicy");
    if (!(nsp ? osp && kapi_value_equal(nsp, osp) : !osp))
        kapi_ferr_add(c->pool, c->errs, KAPI_FERR_INVALID, "spec.successPolicy",
                      nsp ? go_success_policy(c, nsp) : "null", "field is immutable");
}

/* Cron: 5 space-separated fields, or one of the @ macros. */
static bool cron_field_ok(const char *f, int lo, int hi)
{
    if (!*f)
        return false;
    for (const char *p = f; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '*' || *p == '?' || *p == ',' || *p == '-' || *p == '/' ||
              (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            return false;
    const char *p = f;
    while (*p) {
        if (*p >= '0' && *p <= '9') {
            long v = strtol(p, (char **)&p, 10);
            if (p > f && p[-1] != '/' && (v < lo || v > hi)) {
                /* steps may exceed the range only after '/' */
                const char *q = p;
                while (q > f && q[-1] >= '0' && q[-1] <= '9')
                    q--;
                if (q == f || q[-1] != '/')
                    return false;
            }
        } else {
            p++;
        }
    }
    return true;
}

static const char *cron_error(struct kv_ctx *c, const char *s)
{
    static const char *const macros[] = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                                         "@hourly"};
    if (s[0] == '@') {
        if (kv_in(s, macros, N(macros)))
            return NULL;
        if (!strncmp(s, "@every ", 7))
            return NULL;
        return kapi_pool_printf(c->pool, "unrecognized descriptor: %s", s);
    }
    const char *p = s;
    if (!strncmp(p, "TZ=", 3) || !strncmp(p, "CRON_TZ=", 8))
        return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead";
    char fields[5][64];
    int n = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, " \t");
        if (n < 5) {
            size_t k = len < 63 ? len : 63;
            memcpy(fields[n], p, k);
            fields[n][k] = 0;
        }
        n++;
        p += len;
    }
    if (n != 5)
        return kapi_pool_printf(c->pool, "expected exactly 5 fields, found %d: %s", n, s);
    static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
    for (int i = 0; i < 5; i++)
        if (!cron_field_ok(fields[i], lo[i], hi[i]))
            return kapi_pool_printf(c->pool, "failed to parse %s: %s", fields[i], s);
    return NULL;
}

static void cronjob(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    const struct kapi_value *spec = kv_get(obj, "spec");
    const char *sched = kv_str0(spec, "schedule");
    if (!*sched) {
        kapi_ferr_required(c->pool, c->errs, "spec.schedule", "");
    } else {
        const char *err = cron_error(c, sched);
        if (err)
            kapi_ferr_invalid(c->pool, c->errs, "spec.schedule", sched, err);
    }
    static const char *const cps[] = {"Allow", "Forbid", "Replace"};
    kv_enum(c, "spec.concurrencyPolicy", kv_str(spec, "concurrencyPolicy"), cps, 3);
    kv_nonneg(c, "spec", spec, "startingDeadlineSeconds");
    kv_nonneg(c, "spec", spec, "successfulJobsHistoryLimit");
    kv_nonneg(c, "spec", spec, "failedJobsHistoryLimit");
    job_spec(c, kv_get(kv_get(spec, "jobTemplate"), "spec"), "spec.jobTemplate.spec", false);
}

bool kv_apps(struct kv_ctx *c, const char *group, const char *kind, const struct kapi_value *obj,
             const struct kapi_value *old)
{
    if (!strcmp(group, "apps")) {
        if (!strcmp(kind, "Deployment"))
            deployment(c, obj, old);
        else if (!strcmp(kind, "ReplicaSet"))
            replicaset(c, obj, old);
        else if (!strcmp(kind, "StatefulSet"))
            statefulset(c, obj, old);
        else if (!strcmp(kind, "DaemonSet"))
            daemonset(c, obj, old);
        else
            return false;
        return true;
    }
    if (!strcmp(group, "batch")) {
        if (!strcmp(kind, "Job"))
            job(c, obj, old);
        else if (!strcmp(kind, "CronJob"))
            cronjob(c, obj, old);
        else
            return false;
        return true;
    }
    return false;
}
