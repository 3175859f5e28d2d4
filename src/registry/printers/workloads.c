/* registry/printers/workloads: Table printers of apps, batch, autoscaling
 * and policy (the controllers' kinds). */
#include <stdio.h>
#include <string.h>

#include "printers_int.h"


#define CONTAINERS_WCOL WCOL("Containers", "string", "Container names of the pod template.")
#define IMAGES_WCOL WCOL("Images", "string", "Container images of the pod template.")
#define SELECTOR_WCOL WCOL("Selector", "string", "Label selector of the pods.")

/* Appends the wide Containers and Images cells of a pod template spec. */
static void containers_cells(struct kapi_pctx *c, const struct kapi_value *podspec)
{
    const char *names, *images;
    kapi_pfmt_containers(c->pool, P(podspec, "containers"), &names, &images);
    kapi_pcell_str(c, names);
    kapi_pcell_str(c, images);
}

/* ---- apps ---- */

static const struct kapi_printer_column deployment_cols[] = {
    NAME_COL,
    COL("Ready", "string", "Ready replicas out of desired."),
    COL("Up-to-date", "string", "Replicas running the latest template."),
    COL("Available", "string", "Replicas available to serve."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
    SELECTOR_WCOL,
};

static void deployment_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    const char *sel = kapi_pfmt_selector(c->pool, P(spec, "selector"));
    kapi_pcell_name(c);
    kapi_pcell_printf(c, "%lld/%lld", (long long)kapi_pint(P(st, "readyReplicas"), 0),
                      (long long)kapi_pint(P(spec, "replicas"), 1));
    kapi_pcell_int(c, kapi_pint(P(st, "updatedReplicas"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "availableReplicas"), 0));
    kapi_pcell_age(c);
    containers_cells(c, P(spec, "template", "spec"));
    kapi_pcell_str(c, sel ? sel : "<invalid>");
}

static const struct kapi_printer_column replicaset_cols[] = {
    NAME_COL,
    COL("Desired", "integer", "Requested number of replicas."),
    COL("Current", "integer", "Replicas that exist."),
    COL("Ready", "integer", "Replicas that are ready."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
    SELECTOR_WCOL,
};

static void replicaset_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    kapi_pcell_name(c);
    kapi_pcell_int(c, kapi_pint(P(spec, "replicas"), 1));
    kapi_pcell_int(c, kapi_pint(P(st, "replicas"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "readyReplicas"), 0));
    kapi_pcell_age(c);
    containers_cells(c, P(spec, "template", "spec"));
    kapi_pcell_str(c, kapi_pfmt_label_selector(c->pool, P(spec, "selector")));
}

static const struct kapi_printer_column statefulset_cols[] = {
    NAME_COL,
    COL("Ready", "string", "Ready replicas out of desired."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
};

static void statefulset_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec");
    kapi_pcell_name(c);
    kapi_pcell_printf(c, "%lld/%lld", (long long)kapi_pint(P(c->obj, "status", "readyReplicas"), 0),
                      (long long)kapi_pint(P(spec, "replicas"), 1));
    kapi_pcell_age(c);
    containers_cells(c, P(spec, "template", "spec"));
}

static const struct kapi_printer_column daemonset_cols[] = {
    NAME_COL,
    COL("Desired", "integer", "Nodes that should run the daemon pod."),
    COL("Current", "integer", "Nodes running the daemon pod."),
    COL("Ready", "integer", "Nodes with a ready daemon pod."),
    COL("Up-to-date", "integer", "Nodes running the latest template."),
    COL("Available", "integer", "Nodes with an available daemon pod."),
    COL("Node Selector", "string", "Node selector of the pod template."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
    SELECTOR_WCOL,
};

static void daemonset_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    kapi_pcell_name(c);
    kapi_pcell_int(c, kapi_pint(P(st, "desiredNumberScheduled"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "currentNumberScheduled"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "numberReady"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "updatedNumberScheduled"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "numberAvailable"), 0));
    kapi_pcell_str(c, kapi_pfmt_labels(c->pool, P(spec, "template", "spec", "nodeSelector")));
    kapi_pcell_age(c);
    containers_cells(c, P(spec, "template", "spec"));
    kapi_pcell_str(c, kapi_pfmt_label_selector(c->pool, P(spec, "selector")));
}

static const struct kapi_printer_column controllerrevision_cols[] = {
    NAME_COL,
    COL("Controller", "string", "Owning controller as kind.group/name."),
    COL("Revision", "string", "Revision number."),
    AGE_COL,
};

static void controllerrevision_cells(struct kapi_pctx *c)
{
    const struct kapi_value *refs = P(c->obj, "metadata", "ownerReferences");
    const char *ctrl = "<none>";
    for (size_t i = 0; i < kapi_plen(refs); i++) {
        const struct kapi_value *r = item(refs, i);
        if (!kapi_pbool(P(r, "controller"), false))
            continue;
        const char *av = kapi_pstr_or(P(r, "apiVersion"), ""), *kind = kapi_pstr_or(P(r, "kind"), "");
        const char *name = kapi_pstr_or(P(r, "name"), "");
        const char *slash = strchr(av, '/');
        /* The group is whatever precedes the version; core has none. */
        char *gk = slash && *kind ? kapi_pool_printf(c->pool, "%s.%.*s", kind, (int)(slash - av), av)
                                  : kapi_pool_strdup(c->pool, kind);
        if (slash && !*kind)
            gk = kapi_pool_printf(c->pool, ".%.*s", (int)(slash - av), av);
        for (char *p = gk; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        ctrl = *gk ? kapi_pool_printf(c->pool, "%s/%s", gk, name) : name;
        break;
    }
    kapi_pcell_name(c);
    kapi_pcell_str(c, ctrl);
    kapi_pcell_int(c, kapi_pint(P(c->obj, "revision"), 0));
    kapi_pcell_age(c);
}

/* ---- batch ---- */

static const struct kapi_printer_column job_cols[] = {
    NAME_COL,
    COL("Status", "string", "Summary of the job's conditions."),
    COL("Completions", "string", "Succeeded pods out of required completions."),
    COL("Duration", "string", "Time the job ran (or has been running)."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
    SELECTOR_WCOL,
};

/* Status of the first condition of that type is True. */
static bool job_condition(const struct kapi_value *conds, const char *type)
{
    for (size_t i = 0; i < kapi_plen(conds); i++)
        if (streq(PS(item(conds, i), "type"), type))
            return streq(PS(item(conds, i), "status"), "True");
    return false;
}

static void job_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    const struct kapi_value *conds = P(st, "conditions");
    long long ok = (long long)kapi_pint(P(st, "succeeded"), 0);
    const char *completions;
    const struct kapi_value *want = P(spec, "completions");
    if (want && want->type == KAPI_V_INT) {
        completions = kapi_pool_printf(c->pool, "%lld/%lld", ok, (long long)want->u.i);
    } else {
        /* Unset completions with unset parallelism default to 1 of 1. */
        int64_t par = kapi_pint(P(spec, "parallelism"), 0);
        completions = par > 1 ? kapi_pool_printf(c->pool, "%lld/1 of %lld", ok, (long long)par)
                              : kapi_pool_printf(c->pool, "%lld/1", ok);
    }
    int64_t start = kapi_ptime(PS(st, "startTime")), end = kapi_ptime(PS(st, "completionTime"));
    const char *dur = "";
    if (start != INT64_MIN)
        dur = kapi_human_duration(c->pool, (end != INT64_MIN ? end : c->now) - start);
    const char *status;
    if (job_condition(conds, "Complete"))
        status = "Complete";
    else if (job_condition(conds, "Failed"))
        status = "Failed";
    else if (kapi_value_cstr(P(c->obj, "metadata", "deletionTimestamp")))
        status = "Terminating";
    else if (job_condition(conds, "Suspended"))
        status = "Suspended";
    else if (job_condition(conds, "FailureTarget"))
        status = "FailureTarget";
    else
        status = "Running";
    kapi_pcell_name(c);
    kapi_pcell_str(c, status);
    kapi_pcell_str(c, completions);
    kapi_pcell_str(c, dur);
    kapi_pcell_age(c);
    containers_cells(c, P(spec, "template", "spec"));
    kapi_pcell_str(c, kapi_pfmt_label_selector(c->pool, P(spec, "selector")));
}

static const struct kapi_printer_column cronjob_cols[] = {
    NAME_COL,
    COL("Schedule", "string", "Cron schedule."),
    COL("Timezone", "string", "Time zone of the schedule."),
    COL("Suspend", "boolean", "Whether new runs are suspended."),
    COL("Active", "integer", "Number of running jobs."),
    COL("Last Schedule", "string", "Time since the last scheduled run."),
    AGE_COL,
    CONTAINERS_WCOL,
    IMAGES_WCOL,
    SELECTOR_WCOL,
};

static void cronjob_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    const char *last = kapi_value_cstr(P(st, "lastScheduleTime"));
    const struct kapi_value *jt = P(spec, "jobTemplate", "spec");
    kapi_pcell_name(c);
    kapi_pcell_str(c, PS(spec, "schedule"));
    kapi_pcell_str(c, kapi_value_cstr(P(spec, "timeZone")) ? PS(spec, "timeZone") : "<none>");
    /* suspend defaults to false upstream, so "<unset>" never shows. */
    kapi_pcell_str(c, kapi_pbool(P(spec, "suspend"), false) ? "True" : "False");
    kapi_pcell_int(c, (int64_t)kapi_plen(P(st, "active")));
    kapi_pcell_str(c, last ? kapi_ptime_since(c, last) : "<none>");
    kapi_pcell_age(c);
    containers_cells(c, P(jt, "template", "spec"));
    kapi_pcell_str(c, kapi_pfmt_label_selector(c->pool, P(jt, "selector")));
}

/* ---- autoscaling ---- */

static const struct kapi_printer_column hpa_cols[] = {
    NAME_COL,
    COL("Reference", "string", "Scaled object as kind/name."),
    COL("Targets", "string", "Current and target metric values."),
    COL("MinPods", "string", "Lower replica bound."),
    COL("MaxPods", "string", "Upper replica bound."),
    COL("Replicas", "string", "Current replicas."),
    AGE_COL,
};

/* Quantity text as stored, or Go's rendering of a nil quantity. */
static const char *qty(const struct kapi_value *v)
{
    const char *s = kapi_value_cstr(v);
    if (s)
        return s;
    if (v && v->type == KAPI_V_INT)
        return NULL; /* caller formats numbers */
    return "<nil>";
}

static const char *qtyf(struct kapi_pool *pool, const struct kapi_value *v)
{
    const char *s = qty(v);
    return s ? s : kapi_pool_printf(pool, "%lld", (long long)v->u.i);
}

/* One "current/target" entry of a metric spec in the v2 shape. */
static const char *hpa_metric(struct kapi_pool *pool, const struct kapi_value *spec, const struct kapi_value *status)
{
    const char *type = kapi_pstr_or(P(spec, "type"), "");
    if (streq(type, "External") || streq(type, "Object")) {
        const char *key = type[0] == 'E' ? "external" : "object";
        const struct kapi_value *t = P(spec, key, "target"), *cur = P(status, key);
        if (P(t, "averageValue")) {
            const char *now = is_obj(cur) && P(cur, "current", "averageValue") ? qtyf(pool, P(cur, "current", "averageValue"))
                                                                             : "<unknown>";
            return kapi_pool_printf(pool, "%s/%s (avg)", now, qtyf(pool, P(t, "averageValue")));
        }
        const char *now = is_obj(cur) ? qtyf(pool, P(cur, "current", "value")) : "<unknown>";
        return kapi_pool_printf(pool, "%s/%s", now, qtyf(pool, P(t, "value")));
    }
    if (streq(type, "Pods")) {
        const struct kapi_value *cur = P(status, "pods");
        const char *now = is_obj(cur) ? qtyf(pool, P(cur, "current", "averageValue")) : "<unknown>";
        return kapi_pool_printf(pool, "%s/%s", now, qtyf(pool, P(spec, "pods", "target", "averageValue")));
    }
    if (streq(type, "Resource") || streq(type, "ContainerResource")) {
        const char *key = type[0] == 'R' ? "resource" : "containerResource";
        const struct kapi_value *t = P(spec, key, "target"), *cur = P(status, key);
        const char *name = kapi_pstr_or(P(spec, key, "name"), "");
        if (P(t, "averageValue")) {
            const char *now = is_obj(cur) ? qtyf(pool, P(cur, "current", "averageValue")) : "<unknown>";
            return kapi_pool_printf(pool, "%s: %s/%s", name, now, qtyf(pool, P(t, "averageValue")));
        }
        const struct kapi_value *cu = P(cur, "current", "averageUtilization"), *tu = P(t, "averageUtilization");
        const char *now = is_obj(cur) && cu ? kapi_pool_printf(pool, "%lld%%", (long long)kapi_pint(cu, 0)) : "<unknown>";
        const char *want = tu ? kapi_pool_printf(pool, "%lld%%", (long long)kapi_pint(tu, 0)) : "<auto>";
        return kapi_pool_printf(pool, "%s: %s/%s", name, now, want);
    }
    return "<unknown type>";
}

static void hpa_cells(struct kapi_pctx *c)
{
    struct kapi_pool *pool = c->pool;
    const struct kapi_value *spec = P(c->obj, "spec"), *st = P(c->obj, "status");
    const struct kapi_value *metrics = P(spec, "metrics"), *current = P(st, "currentMetrics");
    /* autoscaling/v1 objects carry one CPU target; upstream converts it to a
     * Resource metric. Either version defaults to 80% CPU when unset. */
    bool v1 = streq(PS(c->obj, "apiVersion"), "autoscaling/v1") ||
              (!metrics && P(spec, "targetCPUUtilizationPercentage"));
    if (v1 || kapi_plen(metrics) == 0) {
        int64_t target = kapi_pint(P(spec, "targetCPUUtilizationPercentage"), 80);
        metrics = kapi_value_array(pool);
        struct kapi_value *m = kapi_value_object(pool);
        struct kapi_value *r = kapi_obj_ensure_obj(pool, m, "resource");
        kapi_obj_set(pool, m, "type", kapi_value_str(pool, "Resource"));
        kapi_obj_set(pool, r, "name", kapi_value_str(pool, "cpu"));
        kapi_obj_set(pool, kapi_obj_ensure_obj(pool, r, "target"), "averageUtilization", kapi_value_int(pool, target));
        kapi_arr_push(pool, (struct kapi_value *)metrics, m);
        if (v1) {
            const struct kapi_value *cur = P(st, "currentCPUUtilizationPercentage");
            current = NULL;
            if (cur) {
                struct kapi_value *arr = kapi_value_array(pool), *s = kapi_value_object(pool);
                struct kapi_value *sr = kapi_obj_ensure_obj(pool, s, "resource");
                kapi_obj_set(pool, s, "type", kapi_value_str(pool, "Resource"));
                kapi_obj_set(pool, sr, "name", kapi_value_str(pool, "cpu"));
                kapi_obj_set(pool, kapi_obj_ensure_obj(pool, sr, "current"), "averageUtilization",
                             kapi_value_int(pool, kapi_pint(cur, 0)));
                kapi_arr_push(pool, arr, s);
                current = arr;
            }
        }
    }
    enum { MAX = 2 };
    size_t n = kapi_plen(metrics);
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    kapi_buf_puts(&b, "");
    for (size_t i = 0; i < n && i < MAX; i++)
        kapi_buf_printf(&b, "%s%s", i ? ", " : "", hpa_metric(pool, item(metrics, i), item(current, i)));
    if (n > MAX)
        kapi_buf_printf(&b, " + %zu more...", n - MAX);
    const char *ref = kapi_pool_printf(pool, "%s/%s", kapi_pstr_or(P(spec, "scaleTargetRef", "kind"), ""),
                                       kapi_pstr_or(P(spec, "scaleTargetRef", "name"), ""));
    kapi_pcell_name(c);
    kapi_pcell_str(c, ref);
    kapi_pcell_str(c, b.data);
    kapi_buf_dispose(&b);
    kapi_pcell_printf(c, "%lld", (long long)kapi_pint(P(spec, "minReplicas"), 1));
    kapi_pcell_int(c, kapi_pint(P(spec, "maxReplicas"), 0));
    kapi_pcell_int(c, kapi_pint(P(st, "currentReplicas"), 0));
    kapi_pcell_age(c);
}

/* ---- policy ---- */

static const struct kapi_printer_column pdb_cols[] = {
    NAME_COL,
    COL("Min Available", "string", "Pods that must stay available."),
    COL("Max Unavailable", "string", "Pods that may be unavailable."),
    { "Allowed Disruptions", "integer", "", "Pod disruptions allowed right now.", 0 },
    AGE_COL,
};

static const char *int_or_string(struct kapi_pool *pool, const struct kapi_value *v)
{
    if (v && v->type == KAPI_V_INT)
        return kapi_pool_printf(pool, "%lld", (long long)v->u.i);
    if (v && v->type == KAPI_V_STRING)
        return v->u.str.s;
    return "N/A";
}

static void pdb_cells(struct kapi_pctx *c)
{
    const struct kapi_value *spec = P(c->obj, "spec");
    kapi_pcell_name(c);
    kapi_pcell_str(c, int_or_string(c->pool, P(spec, "minAvailable")));
    kapi_pcell_str(c, int_or_string(c->pool, P(spec, "maxUnavailable")));
    kapi_pcell_int(c, kapi_pint(P(c->obj, "status", "disruptionsAllowed"), 0));
    kapi_pcell_age(c);
}

const struct kapi_printer kapi_printers_workloads[] = {
    KAPI_PRINTER("apps", "deployments", deployment_cols, deployment_cells),
    KAPI_PRINTER("apps", "replicasets", replicaset_cols, replicaset_cells),
    KAPI_PRINTER("apps", "statefulsets", statefulset_cols, statefulset_cells),
    KAPI_PRINTER("apps", "daemonsets", daemonset_cols, daemonset_cells),
    KAPI_PRINTER("apps", "controllerrevisions", controllerrevision_cols, controllerrevision_cells),
    KAPI_PRINTER("batch", "jobs", job_cols, job_cells),
    KAPI_PRINTER("batch", "cronjobs", cronjob_cols, cronjob_cells),
    KAPI_PRINTER("autoscaling", "horizontalpodautoscalers", hpa_cols, hpa_cells),
    KAPI_PRINTER("policy", "poddisruptionbudgets", pdb_cols, pdb_cells),
};
const size_t kapi_printers_workloads_n = KAPI_ARRAY_LEN(kapi_printers_workloads);
