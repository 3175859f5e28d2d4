/* registry/defaults: per-kind defaulted objects (exact, as a v1.33 cluster
 * returns them), member order of inserted fields, idempotence, the create
 * strategy fields (pod status, Job selector) and the helpers behind them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/defaults.h"
#include "registry/defaults/defaults_int.h"
#include "registry/events.h"

static struct kapi_value *parse(struct kapi_pool *pool, const char *json)
{
    struct kapi_json_error err;
    struct kapi_value *v = kapi_json_parse(pool, json, strlen(json), NULL, &err);
    if (!v)
        fail_msg("bad test JSON: %s in %s", err.msg, json);
    return v;
}

static char *to_json(const struct kapi_value *v)
{
    struct kapi_buf b;
    kapi_buf_init(&b, 0);
    assert_int_equal(kapi_json_write(&b, v), 0);
    char *s = strdup(b.data);
    kapi_buf_dispose(&b);
    return s;
}

/* Defaults `in` (also a second time, which must change nothing) and checks
 * it equals `want`; returns the defaulted object. */
static struct kapi_value *check(struct kapi_pool *pool, const char *group, const char *version,
                                const char *kind, bool create, const char *in, const char *want)
{
    struct kapi_value *obj = parse(pool, in);
    if (create)
        kapi_defaults_prepare_create(pool, group, version, kind, obj);
    else
        kapi_defaults_apply(pool, group, version, kind, obj);
    struct kapi_value *exp = parse(pool, want);
    if (!kapi_value_equal(obj, exp)) {
        char *got = to_json(obj);
        fail_msg("%s defaults:\n got  %s\n want %s", kind, got, want);
    }
    char *once = to_json(obj);
    kapi_defaults_apply(pool, group, version, kind, obj);
    if (create)
        kapi_defaults_prepare_create(pool, group, version, kind, obj);
    char *twice = to_json(obj);
    assert_string_equal(once, twice);
    free(once);
    free(twice);
    return obj;
}

/* The member names of v, comma-joined. */
static const char *keys(struct kapi_pool *pool, const struct kapi_value *v)
{
    assert_non_null(v);
    assert_int_equal(v->type, KAPI_V_OBJECT);
    char *s = kapi_pool_strdup(pool, "");
    for (size_t i = 0; i < v->u.obj.len; i++)
        s = kapi_pool_printf(pool, "%s%s%s", s, i ? "," : "", v->u.obj.members[i].key);
    return s;
}

#define CONTAINER_DEFAULTS \
    "\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\""
#define TEMPLATE_SPEC_DEFAULTS                                                                \
    "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\"," \
    "\"securityContext\":{},\"schedulerName\":\"default-scheduler\""

static void test_deployment(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *d = check(pool, "apps", "v1", "Deployment", false,
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"x\"}},"
        "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"x\"}},"
        "\"template\":{\"metadata\":{\"labels\":{\"app\":\"x\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}}}",
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"x\",\"labels\":{\"app\":\"x\"}},"
        "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"x\"}},"
        "\"template\":{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"app\":\"x\"}},"
        "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"," CONTAINER_DEFAULTS
        ",\"imagePullPolicy\":\"Always\"}]," TEMPLATE_SPEC_DEFAULTS "}},"
        "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\",\"maxSurge\":\"25%\"}},"
        "\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600},\"status\":{}}");
    struct kapi_value *spec = kapi_obj_get(d, "spec");
    assert_string_equal(keys(pool, spec),
                        "replicas,selector,template,strategy,revisionHistoryLimit,progressDeadlineSeconds");
    struct kapi_value *ps = kapi_value_path(spec, "template", "spec", NULL);
    assert_string_equal(keys(pool, ps), "containers,restartPolicy,terminationGracePeriodSeconds,dnsPolicy,"
                                        "securityContext,schedulerName");
    assert_string_equal(keys(pool, kapi_obj_get(ps, "containers")->u.arr.items[0]),
                        "name,image,resources,terminationMessagePath,terminationMessagePolicy,imagePullPolicy");
    assert_string_equal(keys(pool, kapi_value_path(spec, "strategy", "rollingUpdate", NULL)),
                        "maxUnavailable,maxSurge");
    /* Explicit choices stay; Recreate gets no rollingUpdate. */
    check(pool, "apps", "v1", "Deployment", false,
          "{\"spec\":{\"replicas\":0,\"strategy\":{\"type\":\"Recreate\"},\"revisionHistoryLimit\":0}}",
          "{\"spec\":{\"replicas\":0,\"strategy\":{\"type\":\"Recreate\"},\"revisionHistoryLimit\":0,"
          "\"progressDeadlineSeconds\":600},\"status\":{}}");
    kapi_pool_free(pool);
}

static void test_pod_create(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *p = check(pool, "", "v1", "Pod", true,
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"uid\":\"u1\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}],"
        "\"env\":[{\"name\":\"N\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}],"
        "\"resources\":{\"limits\":{\"memory\":\"128Mi\",\"cpu\":\"500m\"}},"
        "\"readinessProbe\":{\"httpGet\":{\"port\":80}}}],"
        "\"restartPolicy\":\"Never\"},\"status\":{\"phase\":\"Running\",\"podIP\":\"1.2.3.4\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"uid\":\"u1\"},"
        "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\","
        "\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
        "\"env\":[{\"name\":\"N\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}}],"
        "\"resources\":{\"limits\":{\"memory\":\"128Mi\",\"cpu\":\"500m\"},"
        "\"requests\":{\"cpu\":\"500m\",\"memory\":\"128Mi\"}},"
        "\"readinessProbe\":{\"httpGet\":{\"path\":\"/\",\"port\":80,\"scheme\":\"HTTP\"},\"timeoutSeconds\":1,"
        "\"periodSeconds\":10,\"successThreshold\":1,\"failureThreshold\":3},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        "\"imagePullPolicy\":\"IfNotPresent\"}],"
        "\"restartPolicy\":\"Never\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
        "\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"enableServiceLinks\":true},"
        "\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Guaranteed\"}}");
    struct kapi_value *c = kapi_value_path(p, "spec", NULL);
    assert_string_equal(keys(pool, c), "containers,restartPolicy,terminationGracePeriodSeconds,dnsPolicy,"
                                       "securityContext,schedulerName,enableServiceLinks");
    c = kapi_obj_get(c, "containers")->u.arr.items[0];
    assert_string_equal(keys(pool, c), "name,image,ports,env,resources,readinessProbe,terminationMessagePath,"
                                       "terminationMessagePolicy,imagePullPolicy");
    assert_string_equal(keys(pool, kapi_obj_get(c, "readinessProbe")),
                        "httpGet,timeoutSeconds,periodSeconds,successThreshold,failureThreshold");
    assert_string_equal(keys(pool, kapi_value_path(c, "readinessProbe", "httpGet", NULL)), "path,port,scheme");
    assert_string_equal(keys(pool, kapi_value_path(c, "resources", "requests", NULL)), "cpu,memory");
    assert_string_equal(keys(pool, kapi_obj_get(p, "status")), "phase,qosClass");
    kapi_pool_free(pool);
}

static void test_pod_volumes_and_gates(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    check(pool, "", "v1", "Pod", true,
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"hostNetwork\":true,"
        "\"volumes\":[{\"name\":\"a\"},{\"name\":\"b\",\"configMap\":{\"name\":\"cm\"}},"
        "{\"name\":\"c\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":256}},{\"name\":\"d\",\"hostPath\":{\"path\":\"/x\"}},"
        "{\"name\":\"e\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"t\"}},"
        "{\"downwardAPI\":{\"items\":[{\"path\":\"n\",\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}]}}]}},"
        "{\"name\":\"f\",\"downwardAPI\":{}},{\"name\":\"g\",\"persistentVolumeClaim\":{\"claimName\":\"c\"}},"
        "{\"name\":\"h\",\"ephemeral\":{\"volumeClaimTemplate\":{\"spec\":{}}}}],"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"reg.example:5000/team/app:latest\",\"imagePullPolicy\":\"Never\","
        "\"ports\":[{\"containerPort\":8080,\"protocol\":\"UDP\"}]}]}}",
        "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"volumes\":[{\"name\":\"a\",\"emptyDir\":{}},"
        "{\"name\":\"b\",\"configMap\":{\"name\":\"cm\",\"defaultMode\":420}},"
        "{\"name\":\"c\",\"secret\":{\"secretName\":\"s\",\"defaultMode\":256}},"
        "{\"name\":\"d\",\"hostPath\":{\"path\":\"/x\",\"type\":\"\"}},"
        "{\"name\":\"e\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"expirationSeconds\":3600,\"path\":\"t\"}},"
        "{\"downwardAPI\":{\"items\":[{\"path\":\"n\",\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.name\"}}]}}],"
        "\"defaultMode\":420}},"
        "{\"name\":\"f\",\"downwardAPI\":{\"defaultMode\":420}},{\"name\":\"g\",\"persistentVolumeClaim\":{\"claimName\":\"c\"}},"
        "{\"name\":\"h\",\"ephemeral\":{\"volumeClaimTemplate\":{\"metadata\":{\"creationTimestamp\":null},"
        "\"spec\":{\"volumeMode\":\"Filesystem\"}}}}],"
        "\"initContainers\":[{\"name\":\"i\",\"image\":\"busybox@sha256:"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"resources\":{\"requests\":{\"cpu\":\"1\"}},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        "\"imagePullPolicy\":\"IfNotPresent\"}],"
        "\"containers\":[{\"name\":\"c\",\"image\":\"reg.example:5000/team/app:latest\","
        "\"ports\":[{\"containerPort\":8080,\"hostPort\":8080,\"protocol\":\"UDP\"}],\"resources\":{},"
        "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
        "\"imagePullPolicy\":\"Never\"}],"
        "\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
        "\"hostNetwork\":true,\"securityContext\":{},\"schedulerName\":\"default-scheduler\","
        "\"enableServiceLinks\":true},"
        "\"status\":{\"phase\":\"Pending\",\"qosClass\":\"Burstable\"}}");
    kapi_pool_free(pool);
}

/* The SchedulingGated condition goes through UpdatePodCondition: a
 * transition time of now, and Go writes the zero lastProbeTime as null. */
static void test_pod_gated_condition(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *pod = parse(pool, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"schedulingGates\":[{\"name\":\"g\"}],"
                                         "\"containers\":[{\"name\":\"c\",\"image\":\"a:1\"}]}}");
    kapi_defaults_prepare_create(pool, "", "v1", "Pod", pod);
    struct kapi_value *st = kapi_obj_get(pod, "status");
    assert_string_equal(keys(pool, st), "phase,conditions,qosClass");
    struct kapi_value *c = kapi_obj_get(st, "conditions")->u.arr.items[0];
    assert_string_equal(keys(pool, c), "type,status,lastProbeTime,lastTransitionTime,reason,message");
    assert_int_equal(kapi_obj_get(c, "lastProbeTime")->type, KAPI_V_NULL);
    const char *t = kapi_obj_get_str(c, "lastTransitionTime");
    assert_non_null(t);
    assert_int_equal(strlen(t), strlen("2006-01-02T15:04:05Z"));
    assert_string_equal(kapi_obj_get_str(c, "reason"), "SchedulingGated");
    kapi_pool_free(pool);
}

/* Go's always-encoded zero values (goenc.c), wherever the message sits. */
static void test_go_zero_values(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    assert_true(kapi_dflt_go_zero_table_sorted());
#define NODE_INFO                                                                                      \
    "\"nodeInfo\":{\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\",\"kernelVersion\":\"\",\"osImage\":\"\"," \
    "\"containerRuntimeVersion\":\"\",\"kubeletVersion\":\"\",\"kubeProxyVersion\":\"\",\"operatingSystem\":\"\"," \
    "\"architecture\":\"\"}"
    /* Node: spec and status structs, DaemonEndpoint's Port, NodeSystemInfo's ten strings */
    struct kapi_value *n = check(pool, "", "v1", "Node", true, "{\"metadata\":{\"name\":\"n\"}}",
          "{\"metadata\":{\"name\":\"n\"},\"spec\":{},\"status\":{\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":0}},"
          NODE_INFO "}}");
    assert_string_equal(keys(pool, kapi_value_path(n, "status", "nodeInfo", NULL)),
                        "machineID,systemUUID,bootID,kernelVersion,osImage,containerRuntimeVersion,kubeletVersion,"
                        "kubeProxyVersion,operatingSystem,architecture");
    /* what the client sent stays; conditions get their two times as null, in Go order */
    n = check(pool, "", "v1", "Node", false,
          "{\"status\":{\"nodeInfo\":{\"kubeletVersion\":\"v1.33.0\"},\"capacity\":{\"cpu\":\"2\"},"
          "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"R\"}]}}",
          "{\"spec\":{},\"status\":{\"nodeInfo\":{\"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\","
          "\"kernelVersion\":\"\",\"osImage\":\"\",\"containerRuntimeVersion\":\"\",\"kubeletVersion\":\"v1.33.0\","
          "\"kubeProxyVersion\":\"\",\"operatingSystem\":\"\",\"architecture\":\"\"},\"capacity\":{\"cpu\":\"2\"},"
          "\"allocatable\":{\"cpu\":\"2\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\","
          "\"lastHeartbeatTime\":null,\"lastTransitionTime\":null,\"reason\":\"R\"}],"
          "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":0}}}}");
    assert_string_equal(keys(pool, kapi_value_path(n, "status", "conditions", NULL)->u.arr.items[0]),
                        "type,status,lastHeartbeatTime,lastTransitionTime,reason");
    /* core/v1 Event */
    struct kapi_value *ev = check(pool, "", "v1", "Event", true,
          "{\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"},"
          "\"reason\":\"R\",\"message\":\"m\",\"type\":\"Normal\"}",
          "{\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p\"},"
          "\"reason\":\"R\",\"message\":\"m\",\"source\":{},\"firstTimestamp\":null,\"lastTimestamp\":null,"
          "\"type\":\"Normal\",\"eventTime\":null,\"reportingComponent\":\"\",\"reportingInstance\":\"\"}");
    assert_string_equal(keys(pool, ev), "metadata,involvedObject,reason,message,source,firstTimestamp,lastTimestamp,"
                                        "type,eventTime,reportingComponent,reportingInstance");
    check(pool, "", "v1", "Event", false, "{\"series\":{\"count\":2}}",
          "{\"involvedObject\":{},\"source\":{},\"firstTimestamp\":null,\"lastTimestamp\":null,\"eventTime\":null,"
          "\"series\":{\"count\":2,\"lastObservedTime\":null},\"reportingComponent\":\"\",\"reportingInstance\":\"\"}");
    /* its events.k8s.io/v1 view: that type's zero members, and the two
     * reporting strings omitted when empty */
    struct kapi_value *v1 = kapi_event_core_to_v1(pool, NULL, ev);
    char *got = to_json(v1);
    assert_string_equal(got, "{\"kind\":\"Event\",\"apiVersion\":\"events.k8s.io/v1\","
                             "\"metadata\":{\"name\":\"e\",\"namespace\":\"d\"},\"eventTime\":null,\"reason\":\"R\","
                             "\"regarding\":{\"kind\":\"Pod\",\"name\":\"p\"},\"note\":\"m\",\"type\":\"Normal\","
                             "\"deprecatedSource\":{},\"deprecatedFirstTimestamp\":null,\"deprecatedLastTimestamp\":null}");
    free(got);
    /* an old-style stored event without the zero members reads back the same way */
    v1 = kapi_event_core_to_v1(pool, NULL, parse(pool, "{\"metadata\":{\"name\":\"e\"},\"reportingComponent\":\"k\","
                                                      "\"series\":{\"count\":3}}"));
    got = to_json(v1);
    assert_string_equal(got, "{\"kind\":\"Event\",\"apiVersion\":\"events.k8s.io/v1\",\"metadata\":{\"name\":\"e\"},"
                             "\"eventTime\":null,\"series\":{\"count\":3,\"lastObservedTime\":null},"
                             "\"reportingController\":\"k\",\"regarding\":{},\"deprecatedSource\":{},"
                             "\"deprecatedFirstTimestamp\":null,\"deprecatedLastTimestamp\":null}");
    free(got);
    /* pod conditions and container statuses (status written by a kubelet) */
    struct kapi_value *pod = parse(pool, "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\"}]},"
                                         "\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
                                         "\"containerStatuses\":[{\"name\":\"c\",\"state\":{\"running\":{}}}]}}");
    kapi_defaults_apply(pool, "", "v1", "Pod", pod);
    got = to_json(kapi_obj_get(pod, "status"));
    assert_string_equal(got, "{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":null,"
                             "\"lastTransitionTime\":null}],\"containerStatuses\":[{\"name\":\"c\",\"state\":"
                             "{\"running\":{\"startedAt\":null}},\"lastState\":{},\"ready\":false,\"restartCount\":0,"
                             "\"image\":\"\",\"imageID\":\"\"}]}");
    free(got);
    /* the resource lists of container statuses are rounded to milli precision too */
    pod = parse(pool, "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\"}]},\"status\":{"
                      "\"containerStatuses\":[{\"name\":\"c\",\"allocatedResources\":{\"cpu\":\"100u\"},"
                      "\"resources\":{\"limits\":{\"cpu\":\"1.0005\"},\"requests\":{\"memory\":\"1e-4\"}}}],"
                      "\"initContainerStatuses\":[{\"name\":\"i\",\"allocatedResources\":{\"cpu\":\"250m\"}}]}}");
    kapi_defaults_apply(pool, "", "v1", "Pod", pod);
    struct kapi_value *cs = kapi_value_path(pod, "status", "containerStatuses", NULL)->u.arr.items[0];
    assert_string_equal(kapi_value_cstr(kapi_value_path(cs, "allocatedResources", "cpu", NULL)), "1m");
    assert_string_equal(kapi_value_cstr(kapi_value_path(cs, "resources", "limits", "cpu", NULL)), "1001m");
    assert_string_equal(kapi_value_cstr(kapi_value_path(cs, "resources", "requests", "memory", NULL)), "1e-3");
    cs = kapi_value_path(pod, "status", "initContainerStatuses", NULL)->u.arr.items[0];
    assert_string_equal(kapi_value_cstr(kapi_value_path(cs, "allocatedResources", "cpu", NULL)), "250m");
    /* a resourceFieldRef's zero divisor is written "0"; a PLC's limitResponse {type: ""} */
    pod = parse(pool, "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\",\"env\":[{\"name\":\"L\","
                      "\"valueFrom\":{\"resourceFieldRef\":{\"resource\":\"limits.cpu\"}}}]}]}}");
    kapi_defaults_apply(pool, "", "v1", "Pod", pod);
    struct kapi_value *env = kapi_value_path(pod, "spec", "containers", NULL)->u.arr.items[0];
    env = kapi_obj_get(env, "env")->u.arr.items[0];
    assert_string_equal(kapi_value_cstr(kapi_value_path(env, "valueFrom", "resourceFieldRef", "divisor", NULL)), "0");
    check(pool, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", false,
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{}}}",
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{\"nominalConcurrencyShares\":30,\"limitResponse\":{\"type\":\"\"},"
          "\"lendablePercent\":0}},\"status\":{}}");
    /* NetworkPolicy podSelector, PriorityClass value, ControllerRevision data/revision, Role rules */
    check(pool, "networking.k8s.io", "v1", "NetworkPolicy", false, "{\"spec\":{}}",
          "{\"spec\":{\"podSelector\":{},\"policyTypes\":[\"Ingress\"]}}");
    check(pool, "scheduling.k8s.io", "v1", "PriorityClass", false, "{}", "{\"value\":0,\"preemptionPolicy\":\"PreemptLowerPriority\"}");
    check(pool, "apps", "v1", "ControllerRevision", false, "{}", "{\"data\":null,\"revision\":0}");
    check(pool, "rbac.authorization.k8s.io", "v1", "ClusterRole", false, "{\"aggregationRule\":{}}",
          "{\"rules\":null,\"aggregationRule\":{}}");
    /* a null sent for a struct or a string is its zero value; for a time it stays null */
    check(pool, "", "v1", "Event", false,
          "{\"involvedObject\":null,\"source\":null,\"reportingComponent\":null,\"eventTime\":null}",
          "{\"involvedObject\":{},\"source\":{},\"firstTimestamp\":null,\"lastTimestamp\":null,\"eventTime\":null,"
          "\"reportingComponent\":\"\",\"reportingInstance\":\"\"}");
    kapi_pool_free(pool);
}

static void test_qos(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
#define QOS(spec) kapi_defaults_pod_qos(parse(pool, "{\"spec\":" spec "}"))
    assert_string_equal(QOS("{\"containers\":[{\"name\":\"a\"}]}"), "BestEffort");
    assert_string_equal(QOS("{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"0\"}}}]}"), "BestEffort");
    assert_string_equal(QOS("{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
                            "\"limits\":{\"cpu\":\"1000m\",\"memory\":\"1073741824\"}}}]}"), "Guaranteed");
    assert_string_equal(QOS("{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"},"
                            "\"limits\":{\"cpu\":\"2\",\"memory\":\"1Gi\"}}}]}"), "Burstable");
    /* Every container must carry both limits. */
    assert_string_equal(QOS("{\"containers\":[{\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1G\"},"
                            "\"limits\":{\"cpu\":\"1\",\"memory\":\"1G\"}}},{\"name\":\"b\"}]}"), "Burstable");
    assert_string_equal(QOS("{\"containers\":[{\"resources\":{\"requests\":{\"nvidia.com/gpu\":\"1\"}}}]}"),
                        "BestEffort");
#undef QOS
    kapi_pool_free(pool);
}

static void test_pull_policy(void **state)
{
    (void)state;
    assert_string_equal(kapi_defaults_pull_policy("nginx"), "Always");
    assert_string_equal(kapi_defaults_pull_policy("nginx:latest"), "Always");
    assert_string_equal(kapi_defaults_pull_policy("docker.io/library/nginx"), "Always");
    assert_string_equal(kapi_defaults_pull_policy("localhost:5000/app"), "Always");
    assert_string_equal(kapi_defaults_pull_policy("nginx:1.25"), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy("registry.k8s.io/pause:3.10"), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy(
        "nginx:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "Always");
    assert_string_equal(kapi_defaults_pull_policy(
        "nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "IfNotPresent");
    /* Unparsable references: upstream's parser fails, the tag is empty. */
    assert_string_equal(kapi_defaults_pull_policy("Nginx"), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy(""), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy("nginx:"), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy("a//b"), "IfNotPresent");
    assert_string_equal(kapi_defaults_pull_policy("MyRegistry/app"), "Always"); /* capitals: a domain */
}

static void test_workloads(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    check(pool, "apps", "v1", "ReplicaSet", false, "{\"spec\":{\"template\":{\"spec\":{}}}}",
          "{\"spec\":{\"replicas\":1,\"template\":{\"metadata\":{\"creationTimestamp\":null},"
          "\"spec\":{" TEMPLATE_SPEC_DEFAULTS "}}},\"status\":{\"replicas\":0}}");
    check(pool, "apps", "v1", "StatefulSet", false,
          "{\"spec\":{\"serviceName\":\"s\",\"template\":{\"spec\":{}},"
          "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\"},\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}]}}",
          "{\"spec\":{\"replicas\":1,\"template\":{\"metadata\":{\"creationTimestamp\":null},"
          "\"spec\":{" TEMPLATE_SPEC_DEFAULTS "}},"
          "\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"data\",\"creationTimestamp\":null},"
          "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],"
          "\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}],"
          "\"serviceName\":\"s\",\"podManagementPolicy\":\"OrderedReady\","
          "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},"
          "\"revisionHistoryLimit\":10,"
          "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\",\"whenScaled\":\"Retain\"}},"
          "\"status\":{\"replicas\":0,\"availableReplicas\":0}}");
    check(pool, "apps", "v1", "StatefulSet", false, "{\"spec\":{\"updateStrategy\":{\"type\":\"OnDelete\"}}}",
          "{\"spec\":{\"replicas\":1,\"podManagementPolicy\":\"OrderedReady\",\"updateStrategy\":{\"type\":\"OnDelete\"},"
          "\"revisionHistoryLimit\":10,"
          "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\",\"whenScaled\":\"Retain\"}},"
          "\"status\":{\"replicas\":0,\"availableReplicas\":0}}");
    check(pool, "apps", "v1", "DaemonSet", false, "{\"spec\":{\"template\":{\"spec\":{}}}}",
          "{\"spec\":{\"template\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":{" TEMPLATE_SPEC_DEFAULTS "}},"
          "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":1,\"maxSurge\":0}},"
          "\"revisionHistoryLimit\":10},\"status\":{\"currentNumberScheduled\":0,\"numberMisscheduled\":0,"
          "\"desiredNumberScheduled\":0,\"numberReady\":0}}");
    check(pool, "batch", "v1", "CronJob", false,
          "{\"spec\":{\"schedule\":\"* * * * *\",\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"OnFailure\"}}}}}}",
          "{\"spec\":{\"schedule\":\"* * * * *\",\"concurrencyPolicy\":\"Allow\",\"suspend\":false,"
          "\"jobTemplate\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"template\":{"
          "\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"restartPolicy\":\"OnFailure\","
          "\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\",\"securityContext\":{},"
          "\"schedulerName\":\"default-scheduler\"}}}},"
          "\"successfulJobsHistoryLimit\":3,\"failedJobsHistoryLimit\":1},\"status\":{}}");
    check(pool, "", "v1", "ReplicationController", false,
          "{\"metadata\":{\"name\":\"r\"},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"app\":\"r\"}},\"spec\":{}}}}",
          "{\"metadata\":{\"name\":\"r\",\"labels\":{\"app\":\"r\"}},\"spec\":{\"replicas\":1,\"selector\":{\"app\":\"r\"},"
          "\"template\":{\"metadata\":{\"labels\":{\"app\":\"r\"},\"creationTimestamp\":null},"
          "\"spec\":{" TEMPLATE_SPEC_DEFAULTS "}}},\"status\":{\"replicas\":0}}");
    /* A PodTemplate is no Pod: no enableServiceLinks, no requests from limits. */
    check(pool, "", "v1", "PodTemplate", false,
          "{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]}}}",
          "{\"template\":{\"metadata\":{\"creationTimestamp\":null},"
          "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\",\"resources\":{\"limits\":{\"cpu\":\"1\"}},"
          "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
          "\"imagePullPolicy\":\"IfNotPresent\"}]," TEMPLATE_SPEC_DEFAULTS "}}}");
    kapi_pool_free(pool);
}

static void test_job_create(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_value *j = check(pool, "batch", "v1", "Job", true,
        "{\"metadata\":{\"name\":\"pi\",\"uid\":\"U\"},\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
        "\"containers\":[{\"name\":\"pi\",\"image\":\"perl:5.34\"}]}}}}",
        "{\"metadata\":{\"name\":\"pi\",\"uid\":\"U\",\"labels\":{\"batch.kubernetes.io/controller-uid\":\"U\","
        "\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"U\",\"job-name\":\"pi\"}},"
        "\"spec\":{\"parallelism\":1,\"completions\":1,\"backoffLimit\":6,"
        "\"selector\":{\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"U\"}},\"manualSelector\":false,"
        "\"template\":{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"batch.kubernetes.io/controller-uid\":\"U\","
        "\"batch.kubernetes.io/job-name\":\"pi\",\"controller-uid\":\"U\",\"job-name\":\"pi\"}},"
        "\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"pi\",\"image\":\"perl:5.34\"," CONTAINER_DEFAULTS
        ",\"imagePullPolicy\":\"IfNotPresent\"}],\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":\"ClusterFirst\","
        "\"securityContext\":{},\"schedulerName\":\"default-scheduler\"}},"
        "\"completionMode\":\"NonIndexed\",\"suspend\":false,\"podReplacementPolicy\":\"TerminatingOrFailed\"},"
        "\"status\":{}}");
    assert_string_equal(keys(pool, kapi_obj_get(j, "spec")),
                        "parallelism,completions,backoffLimit,selector,manualSelector,template,completionMode,"
                        "suspend,podReplacementPolicy");
    assert_string_equal(keys(pool, kapi_value_path(j, "metadata", "labels", NULL)),
                        "batch.kubernetes.io/controller-uid,batch.kubernetes.io/job-name,controller-uid,job-name");
    /* Manual selector: nothing generated; per-index backoff and a failure policy change two defaults. */
    check(pool, "batch", "v1", "Job", true,
        "{\"metadata\":{\"name\":\"m\",\"uid\":\"U\"},\"spec\":{\"manualSelector\":true,\"parallelism\":3,"
        "\"backoffLimitPerIndex\":1,\"podFailurePolicy\":{\"rules\":[{\"action\":\"Ignore\","
        "\"onPodConditions\":[{\"type\":\"DisruptionTarget\"}]}]}}}",
        "{\"metadata\":{\"name\":\"m\",\"uid\":\"U\"},\"spec\":{\"parallelism\":3,\"backoffLimit\":2147483647,"
        "\"backoffLimitPerIndex\":1,\"manualSelector\":true,"
        "\"podFailurePolicy\":{\"rules\":[{\"action\":\"Ignore\",\"onPodConditions\":[{\"type\":\"DisruptionTarget\","
        "\"status\":\"True\"}]}]},\"template\":{\"metadata\":{\"creationTimestamp\":null}},"
        "\"completionMode\":\"NonIndexed\",\"suspend\":false,\"podReplacementPolicy\":\"Failed\"},"
        "\"status\":{}}");
    kapi_pool_free(pool);
}

static void test_service(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    check(pool, "", "v1", "Service", false,
          "{\"spec\":{\"ports\":[{\"port\":80},{\"name\":\"b\",\"port\":53,\"protocol\":\"UDP\",\"targetPort\":\"dns\"}],"
          "\"selector\":{\"app\":\"x\"}}}",
          "{\"spec\":{\"ports\":[{\"protocol\":\"TCP\",\"port\":80,\"targetPort\":80},"
          "{\"name\":\"b\",\"protocol\":\"UDP\",\"port\":53,\"targetPort\":\"dns\"}],"
          "\"selector\":{\"app\":\"x\"},\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\","
          "\"internalTrafficPolicy\":\"Cluster\"},\"status\":{\"loadBalancer\":{}}}");
    check(pool, "", "v1", "Service", false,
          "{\"spec\":{\"type\":\"LoadBalancer\",\"sessionAffinity\":\"ClientIP\",\"ports\":[{\"port\":443,\"targetPort\":0}]},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.1.1.1\"},{\"hostname\":\"h\"}]}}}",
          "{\"spec\":{\"type\":\"LoadBalancer\",\"sessionAffinity\":\"ClientIP\","
          "\"ports\":[{\"port\":443,\"targetPort\":443,\"protocol\":\"TCP\"}],"
          "\"externalTrafficPolicy\":\"Cluster\",\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":10800}},"
          "\"allocateLoadBalancerNodePorts\":true,\"internalTrafficPolicy\":\"Cluster\"},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.1.1.1\",\"ipMode\":\"VIP\"},{\"hostname\":\"h\"}]}}}");
    check(pool, "", "v1", "Service", false,
          "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.example\",\"sessionAffinityConfig\":{}}}",
          "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"x.example\",\"sessionAffinity\":\"None\"},"
          "\"status\":{\"loadBalancer\":{}}}");
    kapi_pool_free(pool);
}

static void test_storage_and_misc(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    check(pool, "", "v1", "Secret", false, "{\"data\":{}}", "{\"data\":{},\"type\":\"Opaque\"}");
    check(pool, "", "v1", "ConfigMap", false, "{\"data\":{\"a\":\"b\"}}", "{\"data\":{\"a\":\"b\"}}");
    check(pool, "", "v1", "PersistentVolumeClaim", false, "{\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}",
          "{\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}");
    check(pool, "", "v1", "PersistentVolume", false, "{\"spec\":{\"hostPath\":{\"path\":\"/d\"}}}",
          "{\"spec\":{\"hostPath\":{\"path\":\"/d\",\"type\":\"\"},\"persistentVolumeReclaimPolicy\":\"Retain\","
          "\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}");
    check(pool, "", "v1", "LimitRange", false,
          "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"2\"},\"min\":{\"memory\":\"1Mi\"}},"
          "{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]}}",
          "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"2\"},\"min\":{\"memory\":\"1Mi\"},"
          "\"default\":{\"cpu\":\"2\"},\"defaultRequest\":{\"cpu\":\"2\",\"memory\":\"1Mi\"}},"
          "{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]}}");
    check(pool, "", "v1", "Endpoints", false, "{\"subsets\":[{\"ports\":[{\"port\":1}]}]}",
          "{\"subsets\":[{\"ports\":[{\"port\":1,\"protocol\":\"TCP\"}]}]}");
    check(pool, "networking.k8s.io", "v1", "NetworkPolicy", false,
          "{\"spec\":{\"podSelector\":{},\"egress\":[{\"ports\":[{\"port\":53}]}]}}",
          "{\"spec\":{\"podSelector\":{},\"egress\":[{\"ports\":[{\"protocol\":\"TCP\",\"port\":53}]}],"
          "\"policyTypes\":[\"Ingress\",\"Egress\"]}}");
    check(pool, "rbac.authorization.k8s.io", "v1", "RoleBinding", false,
          "{\"subjects\":[{\"kind\":\"User\",\"name\":\"u\"},{\"kind\":\"ServiceAccount\",\"name\":\"d\",\"namespace\":\"n\"}],"
          "\"roleRef\":{\"kind\":\"Role\",\"name\":\"r\"}}",
          "{\"subjects\":[{\"kind\":\"User\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"u\"},"
          "{\"kind\":\"ServiceAccount\",\"name\":\"d\",\"namespace\":\"n\"}],"
          "\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"r\"}}");
    check(pool, "scheduling.k8s.io", "v1", "PriorityClass", false, "{\"value\":5}",
          "{\"value\":5,\"preemptionPolicy\":\"PreemptLowerPriority\"}");
    check(pool, "storage.k8s.io", "v1", "StorageClass", false, "{\"provisioner\":\"p\"}",
          "{\"provisioner\":\"p\",\"reclaimPolicy\":\"Delete\",\"volumeBindingMode\":\"Immediate\"}");
    check(pool, "discovery.k8s.io", "v1", "EndpointSlice", false, "{\"addressType\":\"IPv4\",\"ports\":[{\"port\":80}]}",
          "{\"addressType\":\"IPv4\",\"endpoints\":null,\"ports\":[{\"name\":\"\",\"protocol\":\"TCP\",\"port\":80}]}");
    check(pool, "autoscaling", "v2", "HorizontalPodAutoscaler", false, "{\"spec\":{\"maxReplicas\":3}}",
          "{\"spec\":{\"minReplicas\":1,\"maxReplicas\":3,\"metrics\":[{\"type\":\"Resource\",\"resource\":"
          "{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}]},"
          "\"status\":{\"desiredReplicas\":0}}");
    /* Unknown kinds and groups are untouched. */
    check(pool, "example.com", "v1", "Widget", true, "{\"spec\":{}}", "{\"spec\":{}}");
    check(pool, "apps", "v1beta9", "Deployment", false, "{\"spec\":{}}", "{\"spec\":{}}");
    kapi_pool_free(pool);
}

static void test_rarer_kinds(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    /* HPA behavior: both rules filled once behavior is set; explicit fields stay. */
    struct kapi_value *h = check(pool, "autoscaling", "v2", "HorizontalPodAutoscaler", false,
          "{\"spec\":{\"maxReplicas\":3,\"metrics\":[{\"type\":\"Pods\"}],"
          "\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":60}}}}",
          "{\"spec\":{\"minReplicas\":1,\"maxReplicas\":3,\"metrics\":[{\"type\":\"Pods\"}],"
          "\"behavior\":{\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Max\",\"policies\":["
          "{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]},"
          "\"scaleDown\":{\"stabilizationWindowSeconds\":60,\"selectPolicy\":\"Max\",\"policies\":["
          "{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]}}},\"status\":{\"desiredReplicas\":0}}");
    assert_string_equal(keys(pool, kapi_value_path(h, "spec", "behavior", NULL)), "scaleUp,scaleDown");
    assert_string_equal(keys(pool, kapi_value_path(h, "spec", "behavior", "scaleUp", NULL)),
                        "stabilizationWindowSeconds,selectPolicy,policies");
    check(pool, "autoscaling", "v2", "HorizontalPodAutoscaler", false,
          "{\"spec\":{\"maxReplicas\":3,\"metrics\":[{\"type\":\"Pods\"}],"
          "\"behavior\":{\"scaleUp\":{\"selectPolicy\":\"Disabled\",\"policies\":[]}}}}",
          "{\"spec\":{\"minReplicas\":1,\"maxReplicas\":3,\"metrics\":[{\"type\":\"Pods\"}],"
          "\"behavior\":{\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Disabled\",\"policies\":[]},"
          "\"scaleDown\":{\"selectPolicy\":\"Max\",\"policies\":[{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]}}},"
          "\"status\":{\"desiredReplicas\":0}}");
    check(pool, "autoscaling", "v1", "HorizontalPodAutoscaler", false, "{\"spec\":{\"maxReplicas\":2}}",
          "{\"spec\":{\"minReplicas\":1,\"maxReplicas\":2},\"status\":{\"currentReplicas\":0,\"desiredReplicas\":0}}");
    /* flowcontrol v1 */
    check(pool, "flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", false,
          "{\"spec\":{\"priorityLevelConfiguration\":{\"name\":\"p\"}}}",
          "{\"spec\":{\"priorityLevelConfiguration\":{\"name\":\"p\"},\"matchingPrecedence\":1000},\"status\":{}}");
    struct kapi_value *pl = check(pool, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", false,
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{\"limitResponse\":{\"type\":\"Queue\",\"queuing\":{\"queues\":0}}}}}",
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{\"nominalConcurrencyShares\":30,\"limitResponse\":"
          "{\"type\":\"Queue\",\"queuing\":{\"queues\":64,\"handSize\":8,\"queueLengthLimit\":50}},"
          "\"lendablePercent\":0}},\"status\":{}}");
    assert_string_equal(keys(pool, kapi_value_path(pl, "spec", "limited", NULL)),
                        "nominalConcurrencyShares,limitResponse,lendablePercent");
    /* an explicit 0 share is kept (a pointer in v1) */
    check(pool, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", false,
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{\"nominalConcurrencyShares\":0,\"lendablePercent\":10,"
          "\"limitResponse\":{\"type\":\"Reject\"}}}}",
          "{\"spec\":{\"type\":\"Limited\",\"limited\":{\"nominalConcurrencyShares\":0,\"lendablePercent\":10,"
          "\"limitResponse\":{\"type\":\"Reject\"}}},\"status\":{}}");
    check(pool, "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", false,
          "{\"spec\":{\"type\":\"Exempt\",\"exempt\":{}}}",
          "{\"spec\":{\"type\":\"Exempt\",\"exempt\":{\"nominalConcurrencyShares\":0,\"lendablePercent\":0}},"
          "\"status\":{}}");
    /* admission policies */
    check(pool, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", false,
          "{\"spec\":{\"matchConstraints\":{\"resourceRules\":[{\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],"
          "\"operations\":[\"CREATE\"],\"resources\":[\"pods\"]}]},\"validations\":[{\"expression\":\"true\"}]}}",
          "{\"spec\":{\"matchConstraints\":{\"namespaceSelector\":{},\"objectSelector\":{},\"resourceRules\":["
          "{\"apiGroups\":[\"\"],\"apiVersions\":[\"v1\"],\"operations\":[\"CREATE\"],\"resources\":[\"pods\"],"
          "\"scope\":\"*\"}],\"matchPolicy\":\"Equivalent\"},\"validations\":[{\"expression\":\"true\"}],"
          "\"failurePolicy\":\"Fail\"},\"status\":{}}");
    check(pool, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", false,
          "{\"spec\":{\"policyName\":\"p\",\"validationActions\":[\"Deny\"]}}",
          "{\"spec\":{\"policyName\":\"p\",\"validationActions\":[\"Deny\"]}}");
    check(pool, "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", false,
          "{\"spec\":{\"policyName\":\"p\",\"matchResources\":{\"matchPolicy\":\"Exact\"}}}",
          "{\"spec\":{\"policyName\":\"p\",\"matchResources\":{\"namespaceSelector\":{},\"objectSelector\":{},"
          "\"matchPolicy\":\"Exact\"}}}");
    /* plain status structs of other kinds */
    check(pool, "policy", "v1", "PodDisruptionBudget", false, "{\"spec\":{}}",
          "{\"spec\":{},\"status\":{\"disruptionsAllowed\":0,\"currentHealthy\":0,\"desiredHealthy\":0,"
          "\"expectedPods\":0}}");
    check(pool, "networking.k8s.io", "v1", "Ingress", false, "{\"spec\":{}}",
          "{\"spec\":{},\"status\":{\"loadBalancer\":{}}}");
    check(pool, "storage.k8s.io", "v1", "VolumeAttachment", false, "{\"spec\":{}}",
          "{\"spec\":{\"source\":{}},\"status\":{\"attached\":false}}");
    kapi_pool_free(pool);
}

static void test_resource_list_rounding(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    /* finer than 1m rounds up; coarser values keep their text */
    check(pool, "", "v1", "PodTemplate", false,
          "{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"a:1\",\"resources\":{"
          "\"limits\":{\"cpu\":\"100u\",\"memory\":\"1Gi\",\"x/y\":\"1500001n\",\"z\":\"1.0005\"},"
          "\"requests\":{\"cpu\":\"1e-4\",\"memory\":\"0.5\"}}}]}}}",
          "{\"template\":{\"metadata\":{\"creationTimestamp\":null},\"spec\":{\"containers\":[{\"name\":\"c\","
          "\"image\":\"a:1\",\"resources\":{\"limits\":{\"cpu\":\"1m\",\"memory\":\"1Gi\",\"x/y\":\"2m\",\"z\":\"1001m\"},"
          "\"requests\":{\"cpu\":\"1e-3\",\"memory\":\"0.5\"}},"
          "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
          "\"imagePullPolicy\":\"IfNotPresent\"}]," TEMPLATE_SPEC_DEFAULTS "}}}");
    check(pool, "", "v1", "ResourceQuota", false, "{\"spec\":{\"hard\":{\"cpu\":\"10n\",\"pods\":\"10\"}}}",
          "{\"spec\":{\"hard\":{\"cpu\":\"1m\",\"pods\":\"10\"}},\"status\":{}}");
    check(pool, "", "v1", "LimitRange", false,
          "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1u\"}}]}}",
          "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1m\"},\"default\":{\"cpu\":\"1m\"},"
          "\"defaultRequest\":{\"cpu\":\"1m\"}}]}}");
    check(pool, "", "v1", "PersistentVolumeClaim", false,
          "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1n\"}}}}",
          "{\"spec\":{\"resources\":{\"requests\":{\"storage\":\"1m\"}},\"volumeMode\":\"Filesystem\"},"
          "\"status\":{\"phase\":\"Pending\"}}");
    kapi_pool_free(pool);
}

/* The create strategies drop a client's status for the zero one. */
static void test_status_on_create(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    check(pool, "apps", "v1", "ReplicaSet", true, "{\"spec\":{},\"status\":{\"replicas\":5,\"readyReplicas\":5}}",
          "{\"spec\":{\"replicas\":1},\"status\":{\"replicas\":0}}");
    check(pool, "", "v1", "Service", true,
          "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"e\"},"
          "\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"1.1.1.1\"}]}}}",
          "{\"spec\":{\"type\":\"ExternalName\",\"externalName\":\"e\",\"sessionAffinity\":\"None\"},"
          "\"status\":{\"loadBalancer\":{}}}");
    /* an update keeps what it is given */
    check(pool, "apps", "v1", "ReplicaSet", false, "{\"spec\":{},\"status\":{\"replicas\":5}}",
          "{\"spec\":{\"replicas\":1},\"status\":{\"replicas\":5}}");
    /* a PV starts Pending with the time of that phase */
    struct kapi_value *pv = parse(pool, "{\"spec\":{},\"status\":{\"phase\":\"Bound\"}}");
    kapi_defaults_prepare_create(pool, "", "v1", "PersistentVolume", pv);
    assert_string_equal(kapi_value_cstr(kapi_value_path(pv, "status", "phase", NULL)), "Pending");
    const char *t = kapi_value_cstr(kapi_value_path(pv, "status", "lastPhaseTransitionTime", NULL));
    assert_non_null(t);
    assert_int_equal(strlen(t), 20); /* 2006-01-02T15:04:05Z */
    assert_string_equal(keys(pool, kapi_obj_get(pv, "status")), "phase,lastPhaseTransitionTime");
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deployment),
        cmocka_unit_test(test_pod_create),
        cmocka_unit_test(test_pod_volumes_and_gates),
        cmocka_unit_test(test_pod_gated_condition),
        cmocka_unit_test(test_go_zero_values),
        cmocka_unit_test(test_qos),
        cmocka_unit_test(test_pull_policy),
        cmocka_unit_test(test_workloads),
        cmocka_unit_test(test_job_create),
        cmocka_unit_test(test_service),
        cmocka_unit_test(test_storage_and_misc),
        cmocka_unit_test(test_rarer_kinds),
        cmocka_unit_test(test_resource_list_rounding),
        cmocka_unit_test(test_status_on_create),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
