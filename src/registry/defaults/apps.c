/* registry/defaults: apps/v1 and batch/v1 workloads. */
#include "defaults_int.h"

#include <string.h>

#define A(n) "k8s.io.api.apps.v1." n
#define B(n) "k8s.io.api.batch.v1." n

static void deployment(struct kapi_pool *pool, struct kapi_value *spec)
{
    kapi_dflt_int(pool, spec, A("DeploymentSpec"), "replicas", 1);
    struct kapi_value *st = kapi_dflt_ensure(pool, spec, A("DeploymentSpec"), "strategy");
    kapi_dflt_str(pool, st, A("DeploymentStrategy"), "type", "RollingUpdate");
    const char *type = kapi_obj_get_str(st, "type");
    if (type && strcmp(type, "RollingUpdate") == 0) {
        struct kapi_value *ru = kapi_dflt_ensure(pool, st, A("DeploymentStrategy"), "rollingUpdate");
        if (ru && kapi_dflt_unset(ru, "maxUnavailable"))
            kapi_dflt_put(pool, ru, A("RollingUpdateDeployment"), "maxUnavailable", kapi_value_str(pool, "25%"));
        if (ru && kapi_dflt_unset(ru, "maxSurge"))
            kapi_dflt_put(pool, ru, A("RollingUpdateDeployment"), "maxSurge", kapi_value_str(pool, "25%"));
    }
    kapi_dflt_int(pool, spec, A("DeploymentSpec"), "revisionHistoryLimit", 10);
    kapi_dflt_int(pool, spec, A("DeploymentSpec"), "progressDeadlineSeconds", 600);
}

static void daemon_set(struct kapi_pool *pool, struct kapi_value *spec)
{
    struct kapi_value *st = kapi_dflt_ensure(pool, spec, A("DaemonSetSpec"), "updateStrategy");
    kapi_dflt_str(pool, st, A("DaemonSetUpdateStrategy"), "type", "RollingUpdate");
    const char *type = kapi_obj_get_str(st, "type");
    if (type && strcmp(type, "RollingUpdate") == 0) {
        struct kapi_value *ru = kapi_dflt_ensure(pool, st, A("DaemonSetUpdateStrategy"), "rollingUpdate");
        kapi_dflt_int(pool, ru, A("RollingUpdateDaemonSet"), "maxUnavailable", 1);
        kapi_dflt_int(pool, ru, A("RollingUpdateDaemonSet"), "maxSurge", 0);
    }
    kapi_dflt_int(pool, spec, A("DaemonSetSpec"), "revisionHistoryLimit", 10);
}

static void stateful_set(struct kapi_pool *pool, struct kapi_value *spec)
{
    static const char *S = A("StatefulSetSpec");
    kapi_dflt_str(pool, spec, S, "podManagementPolicy", "OrderedReady");
    struct kapi_value *st = kapi_dflt_ensure(pool, spec, S, "updateStrategy");
    if (kapi_dflt_zero(st, "type")) {
        kapi_dflt_str(pool, st, A("StatefulSetUpdateStrategy"), "type", "RollingUpdate");
        kapi_dflt_ensure(pool, st, A("StatefulSetUpdateStrategy"), "rollingUpdate");
    }
    const char *type = kapi_obj_get_str(st, "type");
    if (type && strcmp(type, "RollingUpdate") == 0)
        kapi_dflt_int(pool, kapi_dflt_obj(st, "rollingUpdate"), A("RollingUpdateStatefulSetStrategy"),
                      "partition", 0);
    struct kapi_value *rp = kapi_dflt_ensure(pool, spec, S, "persistentVolumeClaimRetentionPolicy");
    kapi_dflt_str(pool, rp, A("StatefulSetPersistentVolumeClaimRetentionPolicy"), "whenDeleted", "Retain");
    kapi_dflt_str(pool, rp, A("StatefulSetPersistentVolumeClaimRetentionPolicy"), "whenScaled", "Retain");
    kapi_dflt_int(pool, spec, S, "replicas", 1);
    kapi_dflt_int(pool, spec, S, "revisionHistoryLimit", 10);
    struct kapi_value *vcts = kapi_dflt_arr(spec, "volumeClaimTemplates");
    for (size_t i = 0; vcts && i < vcts->u.arr.len; i++)
        kapi_dflt_pvc(pool, vcts->u.arr.items[i]);
}

bool kapi_dflt_apps(struct kapi_pool *pool, const char *kind, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (strcmp(kind, "Deployment") == 0)
        deployment(pool, spec);
    else if (strcmp(kind, "ReplicaSet") == 0)
        kapi_dflt_int(pool, spec, A("ReplicaSetSpec"), "replicas", 1);
    else if (strcmp(kind, "StatefulSet") == 0)
        stateful_set(pool, spec);
    else if (strcmp(kind, "DaemonSet") == 0)
        daemon_set(pool, spec);
    else if (strcmp(kind, "ControllerRevision") == 0)
        return true;
    else
        return false;
    kapi_dflt_pod_template(pool, kapi_dflt_obj(spec, "template"));
    return true;
}

/* A field-level default: it applies wherever a JobSpec appears. */
static void pod_failure_patterns(struct kapi_pool *pool, struct kapi_value *spec)
{
    struct kapi_value *rules = kapi_dflt_arr(kapi_dflt_obj(spec, "podFailurePolicy"), "rules");
    for (size_t i = 0; rules && i < rules->u.arr.len; i++) {
        struct kapi_value *pats = kapi_dflt_arr(rules->u.arr.items[i], "onPodConditions");
        for (size_t j = 0; pats && j < pats->u.arr.len; j++)
            kapi_dflt_str(pool, pats->u.arr.items[j], B("PodFailurePolicyOnPodConditionsPattern"), "status",
                          "True");
    }
}

/* SetDefaults_Job's spec part: only a Job gets it, not a CronJob's template. */
static void job_spec(struct kapi_pool *pool, struct kapi_value *spec)
{
    static const char *S = B("JobSpec");
    if (!spec)
        return;
    if (kapi_dflt_unset(spec, "completions") && kapi_dflt_unset(spec, "parallelism"))
        kapi_dflt_int(pool, spec, S, "completions", 1);
    kapi_dflt_int(pool, spec, S, "parallelism", 1);
    kapi_dflt_int(pool, spec, S, "backoffLimit", kapi_dflt_unset(spec, "backoffLimitPerIndex") ? 6 : 2147483647);
    kapi_dflt_pstr(pool, spec, S, "completionMode", "NonIndexed");
    kapi_dflt_bool(pool, spec, S, "suspend", false);
    pod_failure_patterns(pool, spec);
    kapi_dflt_pstr(pool, spec, S, "podReplacementPolicy",
                   kapi_dflt_unset(spec, "podFailurePolicy") ? "TerminatingOrFailed" : "Failed");
    kapi_dflt_bool(pool, spec, S, "manualSelector", false);
}

static void job(struct kapi_pool *pool, struct kapi_value *obj, struct kapi_value *spec)
{
    job_spec(pool, spec);
    /* Upstream shares the template's labels map with metadata.labels. */
    struct kapi_value *tl = kapi_dflt_obj(kapi_dflt_obj(kapi_dflt_obj(spec, "template"), "metadata"), "labels");
    struct kapi_value *meta = kapi_dflt_obj(obj, "metadata");
    if (tl && meta && kapi_dflt_zero(meta, "labels"))
        kapi_dflt_put(pool, meta, "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", "labels",
                      kapi_value_clone(pool, tl));
    kapi_dflt_pod_template(pool, kapi_dflt_obj(spec, "template"));
}

bool kapi_dflt_batch(struct kapi_pool *pool, const char *kind, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (strcmp(kind, "Job") == 0) {
        job(pool, obj, spec);
    } else if (strcmp(kind, "CronJob") == 0) {
        static const char *S = B("CronJobSpec");
        kapi_dflt_str(pool, spec, S, "concurrencyPolicy", "Allow");
        kapi_dflt_bool(pool, spec, S, "suspend", false);
        kapi_dflt_int(pool, spec, S, "successfulJobsHistoryLimit", 3);
        kapi_dflt_int(pool, spec, S, "failedJobsHistoryLimit", 1);
        /* The job template is no Job: only the field-level defaults reach it. */
        struct kapi_value *js = kapi_dflt_obj(kapi_dflt_obj(spec, "jobTemplate"), "spec");
        pod_failure_patterns(pool, js);
        kapi_dflt_pod_template(pool, kapi_dflt_obj(js, "template"));
    } else {
        return false;
    }
    return true;
}
