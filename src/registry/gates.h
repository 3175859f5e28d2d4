/* registry/gates: the feature gates kube-apiserver v1.33 consults in the
 * API objects' strategies and validation, with their 1.33 defaults (one
 * table, src/registry/gates.c). kapi answers as a default 1.33 server;
 * --feature-gates may turn on the default-off gates whose "on" behaviour
 * kapi has (today: keeping the fields upstream keeps with the gate on).
 * The gates that are on by default in 1.33 are listed too, locked: kapi
 * implements them only in their default state. */
#ifndef KAPI_GATES_H
#define KAPI_GATES_H

#include <stdbool.h>
#include <stddef.h>

enum kapi_gate {
    /* off by default in 1.33 */
    KAPI_GATE_CLUSTER_TRUST_BUNDLE_PROJECTION,
    KAPI_GATE_CONTAINER_STOP_SIGNALS,
    KAPI_GATE_CROSS_NAMESPACE_VOLUME_DATA_SOURCE,
    KAPI_GATE_DEPLOYMENT_REPLICASET_TERMINATING_REPLICAS,
    KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION,
    KAPI_GATE_HPA_CONFIGURABLE_TOLERANCE,
    KAPI_GATE_IMAGE_VOLUME,
    KAPI_GATE_MAX_UNAVAILABLE_STATEFULSET,
    KAPI_GATE_MUTABLE_CSI_NODE_ALLOCATABLE_COUNT,
    KAPI_GATE_POD_LEVEL_RESOURCES,
    KAPI_GATE_POD_OBSERVED_GENERATION_TRACKING,
    KAPI_GATE_PREFER_SAME_TRAFFIC_DISTRIBUTION,
    KAPI_GATE_RESOURCE_HEALTH_STATUS,
    KAPI_GATE_SELINUX_MOUNT,
    KAPI_GATE_VOLUME_ATTRIBUTES_CLASS,
    /* on by default in 1.33 (locked in kapi) */
    KAPI_GATE_ANY_VOLUME_DATA_SOURCE,
    KAPI_GATE_IN_PLACE_POD_VERTICAL_SCALING,
    KAPI_GATE_MATCH_LABEL_KEYS_IN_POD_AFFINITY,
    KAPI_GATE_POD_LIFECYCLE_SLEEP_ACTION_ALLOW_ZERO,
    KAPI_GATE_PROC_MOUNT_TYPE,
    KAPI_GATE_RELAXED_DNS_SEARCH_VALIDATION,
    KAPI_GATE_RELAXED_ENVIRONMENT_VARIABLE_VALIDATION,
    KAPI_GATE_SELINUX_CHANGE_POLICY,
    KAPI_GATE_SUPPLEMENTAL_GROUPS_POLICY,
    KAPI_GATE_USER_NAMESPACES_SUPPORT,
    KAPI_GATE_COUNT
};

struct kapi_gate_info {
    const char *name;
    const char *stage;  /* "ALPHA", "BETA", "GA" as of 1.33 */
    bool default_on;    /* 1.33's default */
    bool settable;      /* --feature-gates may change it */
};

/* Whether the gate is on (1.33's default unless --feature-gates changed it). */
bool kapi_gate(enum kapi_gate g);
const struct kapi_gate_info *kapi_gate_info(enum kapi_gate g);
/* Applies a --feature-gates value ("Name=true,Other=false"). Returns 0, or
 * -1 with kube-apiserver's message in err (an unknown name, a value that
 * is not a bool, a locked gate); nothing is changed on error. */
int kapi_gates_set(const char *spec, char *err, size_t errlen);
/* Back to 1.33's defaults (tests). */
void kapi_gates_reset(void);

#endif
