/* Implementation of src/registry/gates.h. Defaults from v1.33's
 * pkg/features/kube_features.go (versioned specs, the entry of the
 * highest version <= 1.33). */
#include "gates.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct kapi_gate_info GATES[KAPI_GATE_COUNT] = {
    [KAPI_GATE_CLUSTER_TRUST_BUNDLE_PROJECTION] = {"ClusterTrustBundleProjection", "BETA", false, true},
    [KAPI_GATE_CONTAINER_STOP_SIGNALS] = {"ContainerStopSignals", "ALPHA", false, true},
    [KAPI_GATE_CROSS_NAMESPACE_VOLUME_DATA_SOURCE] = {"CrossNamespaceVolumeDataSource", "ALPHA", false, true},
    [KAPI_GATE_DEPLOYMENT_REPLICASET_TERMINATING_REPLICAS] = {"DeploymentReplicaSetTerminatingReplicas", "ALPHA",
                                                              false, true},
    [KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION] = {"DynamicResourceAllocation", "BETA", false, true},
    [KAPI_GATE_HPA_CONFIGURABLE_TOLERANCE] = {"HPAConfigurableTolerance", "ALPHA", false, true},
    [KAPI_GATE_IMAGE_VOLUME] = {"ImageVolume", "BETA", false, true},
    [KAPI_GATE_MAX_UNAVAILABLE_STATEFULSET] = {"MaxUnavailableStatefulSet", "ALPHA", false, true},
    [KAPI_GATE_MUTABLE_CSI_NODE_ALLOCATABLE_COUNT] = {"MutableCSINodeAllocatableCount", "ALPHA", false, true},
    /* on, kapi would also need validatePodResources (not implemented) */
    [KAPI_GATE_POD_LEVEL_RESOURCES] = {"PodLevelResources", "ALPHA", false, false},
    [KAPI_GATE_POD_OBSERVED_GENERATION_TRACKING] = {"PodObservedGenerationTracking", "ALPHA", false, true},
    [KAPI_GATE_PREFER_SAME_TRAFFIC_DISTRIBUTION] = {"PreferSameTrafficDistribution", "ALPHA", false, true},
    [KAPI_GATE_RESOURCE_HEALTH_STATUS] = {"ResourceHealthStatus", "ALPHA", false, true},
    /* on, every seLinuxChangePolicy value is accepted */
    [KAPI_GATE_SELINUX_MOUNT] = {"SELinuxMount", "BETA", false, true},
    [KAPI_GATE_VOLUME_ATTRIBUTES_CLASS] = {"VolumeAttributesClass", "BETA", false, true},
    [KAPI_GATE_ANY_VOLUME_DATA_SOURCE] = {"AnyVolumeDataSource", "GA", true, false},
    [KAPI_GATE_IN_PLACE_POD_VERTICAL_SCALING] = {"InPlacePodVerticalScaling", "BETA", true, false},
    [KAPI_GATE_MATCH_LABEL_KEYS_IN_POD_AFFINITY] = {"MatchLabelKeysInPodAffinity", "GA", true, false},
    [KAPI_GATE_POD_LIFECYCLE_SLEEP_ACTION_ALLOW_ZERO] = {"PodLifecycleSleepActionAllowZero", "BETA", true, false},
    [KAPI_GATE_PROC_MOUNT_TYPE] = {"ProcMountType", "BETA", true, false},
    [KAPI_GATE_RELAXED_DNS_SEARCH_VALIDATION] = {"RelaxedDNSSearchValidation", "BETA", true, false},
    [KAPI_GATE_RELAXED_ENVIRONMENT_VARIABLE_VALIDATION] = {"RelaxedEnvironmentVariableValidation", "BETA", true,
                                                           false},
    [KAPI_GATE_SELINUX_CHANGE_POLICY] = {"SELinuxChangePolicy", "BETA", true, false},
    [KAPI_GATE_SUPPLEMENTAL_GROUPS_POLICY] = {"SupplementalGroupsPolicy", "BETA", true, false},
    [KAPI_GATE_USER_NAMESPACES_SUPPORT] = {"UserNamespacesSupport", "BETA", true, false},
};

/* set once at startup (flags), before any thread reads it */
static signed char overrides[KAPI_GATE_COUNT]; /* 0: default, 1: on, -1: off */

bool kapi_gate(enum kapi_gate g)
{
    if ((unsigned)g >= KAPI_GATE_COUNT)
        return false;
    return overrides[g] ? overrides[g] > 0 : GATES[g].default_on;
}

const struct kapi_gate_info *kapi_gate_info(enum kapi_gate g)
{
    return (unsigned)g < KAPI_GATE_COUNT ? &GATES[g] : NULL;
}

void kapi_gates_reset(void)
{
    memset(overrides, 0, sizeof(overrides));
}

/* strconv.ParseBool */
static int parse_bool(const char *s, size_t n)
{
    static const char *const T[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const F[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof(T) / sizeof(T[0]); i++) {
        if (strlen(T[i]) == n && !memcmp(T[i], s, n))
            return 1;
        if (strlen(F[i]) == n && !memcmp(F[i], s, n))
            return 0;
    }
    return -1;
}

int kapi_gates_set(const char *spec, char *err, size_t errlen)
{
    signed char next[KAPI_GATE_COUNT];
    memcpy(next, overrides, sizeof(next));
    const char *p = spec ? spec : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        /* entries are trimmed; empty ones are skipped */
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len) {
            const char *eq = memchr(p, '=', len);
            if (!eq) {
                snprintf(err, errlen, "missing bool value for %.*s", (int)len, p);
                return -1;
            }
            size_t nl = (size_t)(eq - p), vl = len - nl - 1;
            const char *v = eq + 1;
            while (nl && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
                nl--;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            int g = -1;
            for (int i = 0; i < KAPI_GATE_COUNT; i++)
                if (strlen(GATES[i].name) == nl && !memcmp(GATES[i].name, p, nl))
                    g = i;
            if (g < 0) {
                snprintf(err, errlen, "unrecognized feature gate: %.*s", (int)nl, p);
                return -1;
            }
            int b = parse_bool(v, vl);
            if (b < 0) {
                snprintf(err, errlen, "invalid value of %.*s=%.*s, err: strconv.ParseBool: parsing \"%.*s\": "
                         "invalid syntax", (int)nl, p, (int)vl, v, (int)vl, v);
                return -1;
            }
            if (!GATES[g].settable && (bool)b != GATES[g].default_on) {
                /* GA gates are locked upstream too; the others only in kapi */
                snprintf(err, errlen, "cannot set feature gate %s to %s, feature is locked to %s%s", GATES[g].name,
                         b ? "true" : "false", GATES[g].default_on ? "true" : "false",
                         strcmp(GATES[g].stage, "GA") == 0 ? "" : " (in kapi)");
                return -1;
            }
            next[g] = b ? 1 : -1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    memcpy(overrides, next, sizeof(next));
    return 0;
}
