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
    kv_pod_template(c, tmpl, "spec.template");
    if (check_restart_always) {
        const char *rp = kv_str0(kv_get(tmpl, "spec"), "restartPolicy");
        static const char *const always[] = {"Always"};
        if (strcmp(rp, "Always"))
            kapi_ferr_not_supported(c->pool, c->errs, "spec.template.spec.restartPolicy", rp, always, 1);
        int64_t ads;
        if (kv_int(kv_get(tmpl, "spec"), "activeDeadlineSeconds", &ads))
            kapi_ferr_invalid_int(c->pool, c->errs, "spec.template.spec.activeDeadlineSeconds", ads,
                                  kapi_pool_printf(c->pool, "activeDeadlineSeconds in %s is not Supported",
                                                   !strcmp(what, "statefulset") ? "StatefulSet"
                                                   : !strcmp(what, "daemonset") ? "DaemonSet"
                                                                                : "ReplicaSet"));
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
    kv_enum(c, "spec.podManagementPolicy", pm, pmp, 2);
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
    kv_nonneg(c, "spec", spec, "replicas");
    kv_nonneg(c, "spec", spec, "minReadySeconds");
    selector_and_template(c, spec, "statefulset", true);
    if (old) {
        selector_immutable(c, obj, old);
        const struct kapi_value *os = kv_get(old, "spec");
        if (!kapi_value_equal(kv_get(spec, "serviceName") ? kv_get(spec, "serviceName") : kapi_value_str(c->pool, ""),
                              kv_get(os, "serviceName") ? kv_get(os, "serviceName") : kapi_value_str(c->pool, "")) ||
            !kapi_value_equal(kv_get(spec, "podManagementPolicy"), kv_get(os, "podManagementPolicy")))
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
static void job_spec(struct kv_ctx *c, const struct kapi_value *spec, const char *fld, bool is_job)
{
    kv_nonneg(c, fld, spec, "parallelism");
    kv_nonneg(c, fld, spec, "completions");
    int64_t ads;
    if (kv_int(spec, "activeDeadlineSeconds", &ads) && ads <= 0)
        kapi_ferr_invalid_int(c->pool, c->errs, kv_path(c, "%s.activeDeadlineSeconds", fld), ads,
                              "must be greater than 0");
    kv_nonneg(c, fld, spec, "backoffLimit");
    kv_nonneg(c, fld, spec, "ttlSecondsAfterFinished");
    const char *cm = kv_str(spec, "completionMode");
    static const char *const modes[] = {"NonIndexed", "Indexed"};
    if (cm && !kv_in(cm, modes, 2))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.completionMode", fld), cm, modes, 2);
    const struct kapi_value *tmpl = kv_get(spec, "template");
    const char *tp = kv_path(c, "%s.template", fld);
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
    kv_pod_template(c, tmpl, tp);
    const char *rp = kv_str0(kv_get(tmpl, "spec"), "restartPolicy");
    static const char *const rps[] = {"OnFailure", "Never"};
    if (!strcmp(rp, "Always"))
        kapi_ferr_not_supported(c->pool, c->errs, kv_path(c, "%s.spec.restartPolicy", tp), rp, rps, 2);
}

static void job(struct kv_ctx *c, const struct kapi_value *obj, const struct kapi_value *old)
{
    job_spec(c, kv_get(obj, "spec"), "spec", true);
    if (old) {
        selector_immutable(c, obj, old);
        const struct kapi_value *ns = kv_get(obj, "spec"), *os = kv_get(old, "spec");
        kv_immutable(c, kv_get(ns, "completions"), kv_get(os, "completions"), "spec.completions", NULL);
        kv_immutable(c, kv_get(ns, "completionMode"), kv_get(os, "completionMode"), "spec.completionMode", NULL);
    }
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
