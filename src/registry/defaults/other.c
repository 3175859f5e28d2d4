/* registry/defaults: the smaller groups (networking, rbac, scheduling,
 * storage, discovery, autoscaling). */
#include "defaults_int.h"

#include <string.h>

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void network_policy(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *S = "k8s.io.api.networking.v1.NetworkPolicySpec";
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!spec)
        return;
    const char *dirs[2] = {"ingress", "egress"};
    for (int d = 0; d < 2; d++) {
        struct kapi_value *rules = kapi_dflt_arr(spec, dirs[d]);
        for (size_t i = 0; rules && i < rules->u.arr.len; i++) {
            struct kapi_value *ports = kapi_dflt_arr(rules->u.arr.items[i], "ports");
            for (size_t j = 0; ports && j < ports->u.arr.len; j++)
                kapi_dflt_pstr(pool, ports->u.arr.items[j], "k8s.io.api.networking.v1.NetworkPolicyPort",
                               "protocol", "TCP");
        }
    }
    if (kapi_dflt_zero(spec, "policyTypes")) {
        struct kapi_value *types = kapi_value_array(pool);
        kapi_arr_push(pool, types, kapi_value_str(pool, "Ingress"));
        if (!kapi_dflt_zero(spec, "egress"))
            kapi_arr_push(pool, types, kapi_value_str(pool, "Egress"));
        kapi_dflt_put(pool, spec, S, "policyTypes", types);
    }
}

static void rbac_binding(struct kapi_pool *pool, struct kapi_value *obj, const char *type)
{
    kapi_dflt_str(pool, kapi_dflt_obj(obj, "roleRef"), "k8s.io.api.rbac.v1.RoleRef", "apiGroup",
                  "rbac.authorization.k8s.io");
    struct kapi_value *subs = kapi_dflt_arr(obj, "subjects");
    for (size_t i = 0; subs && i < subs->u.arr.len; i++) {
        struct kapi_value *s = subs->u.arr.items[i];
        const char *kind = kapi_obj_get_str(s, "kind");
        if (kind && (is(kind, "User") || is(kind, "Group")))
            kapi_dflt_str(pool, s, "k8s.io.api.rbac.v1.Subject", "apiGroup", "rbac.authorization.k8s.io");
    }
    (void)type;
}

static void csi_driver(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *S = "k8s.io.api.storage.v1.CSIDriverSpec";
    struct kapi_value *spec = kapi_dflt_ensure(pool, obj, "k8s.io.api.storage.v1.CSIDriver", "spec");
    if (!spec)
        return;
    kapi_dflt_bool(pool, spec, S, "attachRequired", true);
    kapi_dflt_bool(pool, spec, S, "podInfoOnMount", false);
    if (kapi_dflt_zero(spec, "volumeLifecycleModes")) {
        struct kapi_value *modes = kapi_value_array(pool);
        kapi_arr_push(pool, modes, kapi_value_str(pool, "Persistent"));
        kapi_dflt_put(pool, spec, S, "volumeLifecycleModes", modes);
    }
    kapi_dflt_bool(pool, spec, S, "storageCapacity", false);
    kapi_dflt_pstr(pool, spec, S, "fsGroupPolicy", "ReadWriteOnceWithFSType");
    kapi_dflt_bool(pool, spec, S, "requiresRepublish", false);
    kapi_dflt_bool(pool, spec, S, "seLinuxMount", false);
}

static void endpoint_slice(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *ports = kapi_dflt_arr(obj, "ports");
    for (size_t i = 0; ports && i < ports->u.arr.len; i++) {
        struct kapi_value *p = ports->u.arr.items[i];
        kapi_dflt_pstr(pool, p, "k8s.io.api.discovery.v1.EndpointPort", "name", "");
        kapi_dflt_pstr(pool, p, "k8s.io.api.discovery.v1.EndpointPort", "protocol", "TCP");
    }
}

static struct kapi_value *hpa_policy(struct kapi_pool *pool, const char *type, int64_t value)
{
    struct kapi_value *p = kapi_value_object(pool);
    kapi_obj_set(pool, p, "type", kapi_value_str(pool, type));
    kapi_obj_set(pool, p, "value", kapi_value_int(pool, value));
    kapi_obj_set(pool, p, "periodSeconds", kapi_value_int(pool, 15));
    return p;
}

/* SetDefaults_HorizontalPodAutoscalerBehavior: once spec.behavior is set, both
 * rules are filled in, each unset field (a nil pointer or nil list) from the
 * built-in rule: scale up by max(4 pods, 100%) per 15s without a window,
 * scale down by 100% per 15s with the window left unset (the controller's
 * flag decides it). */
static void hpa_rules(struct kapi_pool *pool, struct kapi_value *beh, const char *key, bool up)
{
    static const char *R = "k8s.io.api.autoscaling.v2.HPAScalingRules";
    struct kapi_value *r = kapi_dflt_ensure(pool, beh, "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerBehavior", key);
    if (!r)
        return;
    if (up)
        kapi_dflt_int(pool, r, R, "stabilizationWindowSeconds", 0);
    kapi_dflt_pstr(pool, r, R, "selectPolicy", "Max");
    if (kapi_dflt_unset(r, "policies")) {
        struct kapi_value *ps = kapi_value_array(pool);
        if (up)
            kapi_arr_push(pool, ps, hpa_policy(pool, "Pods", 4));
        kapi_arr_push(pool, ps, hpa_policy(pool, "Percent", 100));
        kapi_dflt_put(pool, r, R, "policies", ps);
    }
}

static void hpa_v2(struct kapi_pool *pool, struct kapi_value *obj)
{
    static const char *S = "k8s.io.api.autoscaling.v2.HorizontalPodAutoscalerSpec";
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    if (!spec)
        return;
    kapi_dflt_int(pool, spec, S, "minReplicas", 1);
    if (kapi_dflt_zero(spec, "metrics")) {
        /* 80% average CPU utilization */
        struct kapi_value *target = kapi_value_object(pool), *res = kapi_value_object(pool);
        struct kapi_value *m = kapi_value_object(pool), *metrics = kapi_value_array(pool);
        kapi_obj_set(pool, target, "type", kapi_value_str(pool, "Utilization"));
        kapi_obj_set(pool, target, "averageUtilization", kapi_value_int(pool, 80));
        kapi_obj_set(pool, res, "name", kapi_value_str(pool, "cpu"));
        kapi_obj_set(pool, res, "target", target);
        kapi_obj_set(pool, m, "type", kapi_value_str(pool, "Resource"));
        kapi_obj_set(pool, m, "resource", res);
        kapi_arr_push(pool, metrics, m);
        kapi_dflt_put(pool, spec, S, "metrics", metrics);
    }
    struct kapi_value *beh = kapi_dflt_obj(spec, "behavior");
    if (beh) {
        hpa_rules(pool, beh, "scaleUp", true);
        hpa_rules(pool, beh, "scaleDown", false);
    }
}

/* admissionregistration.k8s.io/v1 webhooks (SetDefaults_ValidatingWebhook,
 * SetDefaults_MutatingWebhook, SetDefaults_Rule, SetDefaults_ServiceReference). */
static void webhooks(struct kapi_pool *pool, struct kapi_value *obj, bool mutating)
{
    const char *T = mutating ? "k8s.io.api.admissionregistration.v1.MutatingWebhook"
                             : "k8s.io.api.admissionregistration.v1.ValidatingWebhook";
    struct kapi_value *hooks = kapi_dflt_arr(obj, "webhooks");
    for (size_t i = 0; hooks && i < hooks->u.arr.len; i++) {
        struct kapi_value *w = hooks->u.arr.items[i];
        if (!w || w->type != KAPI_V_OBJECT)
            continue;
        struct kapi_value *svc = kapi_dflt_obj(kapi_dflt_obj(w, "clientConfig"), "service");
        if (svc)
            kapi_dflt_int(pool, svc, "k8s.io.api.admissionregistration.v1.ServiceReference", "port", 443);
        struct kapi_value *rules = kapi_dflt_arr(w, "rules");
        for (size_t j = 0; rules && j < rules->u.arr.len; j++)
            if (rules->u.arr.items[j] && rules->u.arr.items[j]->type == KAPI_V_OBJECT)
                kapi_dflt_pstr(pool, rules->u.arr.items[j], "k8s.io.api.admissionregistration.v1.RuleWithOperations",
                               "scope", "*");
        kapi_dflt_pstr(pool, w, T, "failurePolicy", "Fail");
        kapi_dflt_pstr(pool, w, T, "matchPolicy", "Equivalent");
        if (kapi_dflt_unset(w, "namespaceSelector"))
            kapi_dflt_put(pool, w, T, "namespaceSelector", kapi_value_object(pool));
        if (kapi_dflt_unset(w, "objectSelector"))
            kapi_dflt_put(pool, w, T, "objectSelector", kapi_value_object(pool));
        kapi_dflt_int(pool, w, T, "timeoutSeconds", 10);
        if (mutating)
            kapi_dflt_pstr(pool, w, T, "reinvocationPolicy", "Never");
    }
}

/* SetDefaults_MatchResources and SetDefaults_Rule on its (exclude) rules. */
static void match_resources(struct kapi_pool *pool, struct kapi_value *mr)
{
    static const char *M = "k8s.io.api.admissionregistration.v1.MatchResources";
    if (!mr)
        return;
    kapi_dflt_pstr(pool, mr, M, "matchPolicy", "Equivalent");
    if (kapi_dflt_unset(mr, "namespaceSelector"))
        kapi_dflt_put(pool, mr, M, "namespaceSelector", kapi_value_object(pool));
    if (kapi_dflt_unset(mr, "objectSelector"))
        kapi_dflt_put(pool, mr, M, "objectSelector", kapi_value_object(pool));
    const char *lists[2] = {"resourceRules", "excludeResourceRules"};
    for (int l = 0; l < 2; l++) {
        struct kapi_value *rules = kapi_dflt_arr(mr, lists[l]);
        for (size_t j = 0; rules && j < rules->u.arr.len; j++)
            kapi_dflt_pstr(pool, rules->u.arr.items[j], "k8s.io.api.admissionregistration.v1.NamedRuleWithOperations",
                           "scope", "*");
    }
}

/* ValidatingAdmissionPolicy (failurePolicy of its spec, which Go always has)
 * and ValidatingAdmissionPolicyBinding (only an explicit matchResources). */
static void admission_policy(struct kapi_pool *pool, struct kapi_value *obj, bool binding)
{
    if (binding) {
        match_resources(pool, kapi_dflt_obj(kapi_dflt_obj(obj, "spec"), "matchResources"));
        return;
    }
    struct kapi_value *spec = kapi_dflt_ensure(pool, obj, "k8s.io.api.admissionregistration.v1.ValidatingAdmissionPolicy",
                                               "spec");
    kapi_dflt_pstr(pool, spec, "k8s.io.api.admissionregistration.v1.ValidatingAdmissionPolicySpec", "failurePolicy",
                   "Fail");
    match_resources(pool, kapi_dflt_obj(spec, "matchConstraints"));
}

#define FC(n) "k8s.io.api.flowcontrol.v1." n

/* flowcontrol.apiserver.k8s.io/v1: a FlowSchema's matchingPrecedence (its
 * spec is a Go struct, so even a spec-less object gets one). */
static void flow_schema(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_ensure(pool, obj, FC("FlowSchema"), "spec");
    kapi_dflt_int0(pool, spec, FC("FlowSchemaSpec"), "matchingPrecedence", 1000);
}

static void priority_level(struct kapi_pool *pool, struct kapi_value *obj)
{
    struct kapi_value *spec = kapi_dflt_obj(obj, "spec");
    struct kapi_value *lim = kapi_dflt_obj(spec, "limited");
    if (lim) {
        static const char *L = FC("LimitedPriorityLevelConfiguration");
        kapi_dflt_int(pool, lim, L, "nominalConcurrencyShares", 30);
        kapi_dflt_int(pool, lim, L, "lendablePercent", 0);
        struct kapi_value *q = kapi_dflt_obj(kapi_dflt_obj(lim, "limitResponse"), "queuing");
        kapi_dflt_int0(pool, q, FC("QueuingConfiguration"), "queues", 64);
        kapi_dflt_int0(pool, q, FC("QueuingConfiguration"), "handSize", 8);
        kapi_dflt_int0(pool, q, FC("QueuingConfiguration"), "queueLengthLimit", 50);
    }
    struct kapi_value *ex = kapi_dflt_obj(spec, "exempt");
    kapi_dflt_int(pool, ex, FC("ExemptPriorityLevelConfiguration"), "nominalConcurrencyShares", 0);
    kapi_dflt_int(pool, ex, FC("ExemptPriorityLevelConfiguration"), "lendablePercent", 0);
}

bool kapi_dflt_other(struct kapi_pool *pool, const char *group, const char *version,
                     const char *kind, struct kapi_value *obj)
{
    if (is(group, "admissionregistration.k8s.io") && is(version, "v1") &&
        (is(kind, "ValidatingWebhookConfiguration") || is(kind, "MutatingWebhookConfiguration"))) {
        webhooks(pool, obj, is(kind, "MutatingWebhookConfiguration"));
        return true;
    }
    if (is(group, "admissionregistration.k8s.io") && is(version, "v1") &&
        (is(kind, "ValidatingAdmissionPolicy") || is(kind, "ValidatingAdmissionPolicyBinding"))) {
        admission_policy(pool, obj, is(kind, "ValidatingAdmissionPolicyBinding"));
        return true;
    }
    if (is(group, "flowcontrol.apiserver.k8s.io") && is(version, "v1")) {
        if (is(kind, "FlowSchema"))
            flow_schema(pool, obj);
        else if (is(kind, "PriorityLevelConfiguration"))
            priority_level(pool, obj);
        else
            return false;
        return true;
    }
    if (is(group, "networking.k8s.io") && is(version, "v1")) {
        if (is(kind, "NetworkPolicy")) {
            network_policy(pool, obj);
        } else if (is(kind, "IngressClass")) {
            struct kapi_value *params = kapi_dflt_obj(kapi_dflt_obj(obj, "spec"), "parameters");
            kapi_dflt_pstr(pool, params, "k8s.io.api.networking.v1.IngressClassParametersReference", "scope",
                           "Cluster");
        } else {
            return false;
        }
    } else if (is(group, "rbac.authorization.k8s.io") && is(version, "v1")) {
        if (is(kind, "RoleBinding") || is(kind, "ClusterRoleBinding"))
            rbac_binding(pool, obj, kind);
        else
            return false;
    } else if (is(group, "scheduling.k8s.io") && is(version, "v1")) {
        if (!is(kind, "PriorityClass"))
            return false;
        kapi_dflt_pstr(pool, obj, "k8s.io.api.scheduling.v1.PriorityClass", "preemptionPolicy",
                       "PreemptLowerPriority");
    } else if (is(group, "storage.k8s.io") && is(version, "v1")) {
        if (is(kind, "StorageClass")) {
            kapi_dflt_pstr(pool, obj, "k8s.io.api.storage.v1.StorageClass", "reclaimPolicy", "Delete");
            kapi_dflt_pstr(pool, obj, "k8s.io.api.storage.v1.StorageClass", "volumeBindingMode", "Immediate");
        } else if (is(kind, "CSIDriver")) {
            csi_driver(pool, obj);
        } else {
            return false;
        }
    } else if (is(group, "apiextensions.k8s.io")) {
        return kapi_dflt_apiext(pool, version, kind, obj);
    } else if (is(group, "apiregistration.k8s.io") && is(version, "v1")) {
        if (!is(kind, "APIService"))
            return false;
        /* kube-aggregator's SetDefaults_ServiceReference */
        struct kapi_value *svc = kapi_dflt_obj(kapi_dflt_obj(obj, "spec"), "service");
        if (svc)
            kapi_dflt_int(pool, svc, "k8s.io.kube_aggregator.pkg.apis.apiregistration.v1.ServiceReference", "port",
                          443);
    } else if (is(group, "discovery.k8s.io") && is(version, "v1")) {
        if (!is(kind, "EndpointSlice"))
            return false;
        endpoint_slice(pool, obj);
    } else if (is(group, "autoscaling") && is(kind, "HorizontalPodAutoscaler")) {
        if (is(version, "v2"))
            hpa_v2(pool, obj);
        else if (is(version, "v1"))
            kapi_dflt_int(pool, kapi_dflt_obj(obj, "spec"),
                          "k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec", "minReplicas", 1);
        else
            return false;
    } else {
        return false;
    }
    return true;
}
