/* registry/gates and registry/drop: kube-apiserver 1.33's default feature
 * gates and --feature-gates parsing, and the fields the strategies drop
 * when a gate is off unless the stored object already uses them (pods,
 * pod templates, PVCs, PVs, StatefulSets, HPAs, CSIDrivers, EndpointSlices,
 * Deployment/ReplicaSet status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/drop.h"
#include "registry/gates.h"
#include "registry/kinds.h"
#include "vtest.h"

/* obj after the drop step of a write of kind (old NULL: create) */
static void check(const char *group, const char *kind, const char *sub, const char *obj, const char *old,
                  const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = group, .kind = kind, .version = "v1"};
    struct kapi_value *o = parse(pool, obj);
    kapi_drop_disabled_fields(pool, &k, sub, o, old ? parse(pool, old) : NULL);
    const char *got = show(pool, o);
    char *w = kapi_pool_strdup(pool, want);
    if (strcmp(got, w) != 0)
        fail_msg("\n got: %s\nwant: %s", got, w);
    kapi_pool_free(pool);
}

static void test_defaults(void **state)
{
    (void)state;
    kapi_gates_reset();
    assert_false(kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION));
    assert_false(kapi_gate(KAPI_GATE_CLUSTER_TRUST_BUNDLE_PROJECTION));
    assert_false(kapi_gate(KAPI_GATE_POD_LEVEL_RESOURCES));
    assert_false(kapi_gate(KAPI_GATE_VOLUME_ATTRIBUTES_CLASS));
    assert_true(kapi_gate(KAPI_GATE_USER_NAMESPACES_SUPPORT));
    assert_true(kapi_gate(KAPI_GATE_IN_PLACE_POD_VERTICAL_SCALING));
    assert_string_equal(kapi_gate_info(KAPI_GATE_IMAGE_VOLUME)->stage, "BETA");
    assert_string_equal(kapi_gate_info(KAPI_GATE_CONTAINER_STOP_SIGNALS)->name, "ContainerStopSignals");
    for (int g = 0; g < KAPI_GATE_COUNT; g++)
        assert_non_null(kapi_gate_info(g)->name);
}

static void set_fails(const char *spec, const char *msg)
{
    char err[256] = "";
    assert_int_equal(kapi_gates_set(spec, err, sizeof(err)), -1);
    assert_string_equal(err, msg);
}

static void test_set(void **state)
{
    (void)state;
    char err[256];
    kapi_gates_reset();
    assert_int_equal(kapi_gates_set(" DynamicResourceAllocation=true, ImageVolume = True ,,", err, sizeof(err)), 0);
    assert_true(kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION));
    assert_true(kapi_gate(KAPI_GATE_IMAGE_VOLUME));
    assert_int_equal(kapi_gates_set("ImageVolume=false,UserNamespacesSupport=true", err, sizeof(err)), 0);
    assert_false(kapi_gate(KAPI_GATE_IMAGE_VOLUME));
    set_fails("Nope=true", "unrecognized feature gate: Nope");
    set_fails("ImageVolume", "missing bool value for ImageVolume");
    set_fails("ImageVolume=yes", "invalid value of ImageVolume=yes, err: strconv.ParseBool: parsing \"yes\": "
                                 "invalid syntax");
    set_fails("UserNamespacesSupport=false",
              "cannot set feature gate UserNamespacesSupport to false, feature is locked to true (in kapi)");
    /* a failed value changes nothing */
    set_fails("ImageVolume=true,Nope=1", "unrecognized feature gate: Nope");
    assert_false(kapi_gate(KAPI_GATE_IMAGE_VOLUME));
    assert_true(kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION));
    kapi_gates_reset();
    assert_false(kapi_gate(KAPI_GATE_DYNAMIC_RESOURCE_ALLOCATION));
}

#define DRA_SPEC                                                                                                   \
    "{'containers':[{'name':'c','resources':{'claims':[{'name':'gpu'}]}}],'initContainers':[{'name':'i',"         \
    "'resources':{'claims':[{'name':'gpu'}],'limits':{'cpu':'1'}}}],'resourceClaims':[{'name':'gpu',"             \
    "'resourceClaimName':'c'}]}"

static void test_pod_dra(void **state)
{
    (void)state;
    kapi_gates_reset();
    /* create: spec.resourceClaims, every container's resources.claims and
     * status.resourceClaimStatuses go */
    check("", "Pod", NULL, "{'spec':" DRA_SPEC ",'status':{'resourceClaimStatuses':[{'name':'gpu'}]}}", NULL,
          "{'spec':{'containers':[{'name':'c','resources':{}}],'initContainers':[{'name':'i','resources':{"
          "'limits':{'cpu':'1'}}}]},'status':{}}");
    /* update of a pod that has claims: kept */
    check("", "Pod", "status", "{'spec':" DRA_SPEC ",'status':{'resourceClaimStatuses':[{'name':'gpu'}]}}",
          "{'spec':" DRA_SPEC "}",
          "{'spec':" DRA_SPEC ",'status':{'resourceClaimStatuses':[{'name':'gpu'}]}}");
    /* the gate on: kept */
    char err[128];
    assert_int_equal(kapi_gates_set("DynamicResourceAllocation=true", err, sizeof(err)), 0);
    check("", "Pod", NULL, "{'spec':" DRA_SPEC "}", NULL, "{'spec':" DRA_SPEC "}");
    kapi_gates_reset();
}

#define CTB_VOLS(x)                                                                                                \
    "{'volumes':[{'name':'v','projected':{'sources':[{'clusterTrustBundle':{'name':'b','path':'p'}},"              \
    "{'configMap':{'name':'cm'}}" x "]}}]}"

static void test_pod_ctb_and_resources(void **state)
{
    (void)state;
    kapi_gates_reset();
    check("", "Pod", NULL, "{'spec':" CTB_VOLS("") "}", NULL,
          "{'spec':{'volumes':[{'name':'v','projected':{'sources':[{},{'configMap':{'name':'cm'}}]}}]}}");
    check("", "Pod", NULL, "{'spec':" CTB_VOLS("") "}", "{'spec':" CTB_VOLS("") "}", "{'spec':" CTB_VOLS("") "}");
    /* pod-level resources: kept only when the stored pod has requests or limits */
    check("", "Pod", NULL, "{'spec':{'resources':{'limits':{'cpu':'1'}}}}", "{'spec':{'resources':{}}}",
          "{'spec':{}}");
    check("", "Pod", NULL, "{'spec':{'resources':{'limits':{'cpu':'2'}}}}",
          "{'spec':{'resources':{'requests':{'cpu':'1'}}}}", "{'spec':{'resources':{'limits':{'cpu':'2'}}}}");
}

static void test_pod_image_volumes_and_stop_signals(void **state)
{
    (void)state;
    kapi_gates_reset();
    check("", "Pod", NULL,
          "{'spec':{'volumes':[{'name':'img','image':{'reference':'x'}},{'name':'e','emptyDir':{}}],"
          "'containers':[{'name':'a','volumeMounts':[{'name':'img','mountPath':'/i'},{'name':'e','mountPath':'/e'}],"
          "'lifecycle':{'stopSignal':'SIGUSR1'}},{'name':'b','volumeMounts':[{'name':'img','mountPath':'/i'}],"
          "'lifecycle':{'stopSignal':'SIGTERM','preStop':{'sleep':{'seconds':1}}}}]}}",
          NULL,
          "{'spec':{'volumes':[{'name':'e','emptyDir':{}}],'containers':[{'name':'a','volumeMounts':[{'name':'e',"
          "'mountPath':'/e'}]},{'name':'b','lifecycle':{'preStop':{'sleep':{'seconds':1}}}}]}}");
    /* in use by the stored pod: kept */
    const char *both = "{'spec':{'volumes':[{'name':'img','image':{'reference':'x'}}],'containers':[{'name':'a',"
                       "'lifecycle':{'stopSignal':'SIGUSR1'}}]}}";
    check("", "Pod", NULL, both, both, both);
}

static void test_pod_status(void **state)
{
    (void)state;
    kapi_gates_reset();
    /* allocatedResourcesStatus always goes (no exemption); observedGeneration
     * unless the stored status has one */
    const char *st = "{'status':{'observedGeneration':2,'conditions':[{'type':'Ready','observedGeneration':2}],"
                     "'containerStatuses':[{'name':'c','allocatedResourcesStatus':[{'name':'r'}]}]}}";
    check("", "Pod", "status", st, "{'status':{'conditions':[{'type':'Ready'}]}}",
          "{'status':{'conditions':[{'type':'Ready'}],'containerStatuses':[{'name':'c'}]}}");
    check("", "Pod", "status", st, "{'status':{'conditions':[{'type':'Ready','observedGeneration':1}]}}",
          "{'status':{'observedGeneration':2,'conditions':[{'type':'Ready','observedGeneration':2}],"
          "'containerStatuses':[{'name':'c'}]}}");
    /* other subresources leave the object alone */
    check("", "Pod", "binding", st, "{}", st);
}

static void test_templates(void **state)
{
    (void)state;
    kapi_gates_reset();
    check("apps", "Deployment", NULL, "{'spec':{'template':{'spec':" DRA_SPEC "}}}", NULL,
          "{'spec':{'template':{'spec':{'containers':[{'name':'c','resources':{}}],'initContainers':[{'name':'i',"
          "'resources':{'limits':{'cpu':'1'}}}]}}}}");
    check("batch", "CronJob", NULL, "{'spec':{'jobTemplate':{'spec':{'template':{'spec':" CTB_VOLS("") "}}}}}",
          "{'spec':{'jobTemplate':{'spec':{'template':{'spec':" CTB_VOLS("") "}}}}}",
          "{'spec':{'jobTemplate':{'spec':{'template':{'spec':" CTB_VOLS("") "}}}}}");
    check("", "PodTemplate", NULL, "{'template':{'spec':{'resources':{'requests':{'cpu':'1'}}}}}", NULL,
          "{'template':{'spec':{}}}");
}

static void test_other_kinds(void **state)
{
    (void)state;
    kapi_gates_reset();
    check("", "PersistentVolumeClaim", NULL,
          "{'spec':{'volumeAttributesClassName':'gold','dataSourceRef':{'kind':'PersistentVolumeClaim','name':'s',"
          "'namespace':'other'}}}", NULL, "{'spec':{}}");
    check("", "PersistentVolumeClaim", NULL,
          "{'spec':{'volumeAttributesClassName':'gold','dataSourceRef':{'kind':'PersistentVolumeClaim','name':'s',"
          "'namespace':''}}}", "{'spec':{'volumeAttributesClassName':'silver'}}",
          "{'spec':{'volumeAttributesClassName':'gold','dataSourceRef':{'kind':'PersistentVolumeClaim','name':'s',"
          "'namespace':''}}}");
    check("", "PersistentVolumeClaim", "status",
          "{'status':{'phase':'Bound','currentVolumeAttributesClassName':'g','modifyVolumeStatus':{'status':'x'}}}",
          "{'status':{'modifyVolumeStatus':{'status':'y'}}}",
          "{'status':{'phase':'Bound','modifyVolumeStatus':{'status':'x'}}}");
    check("", "PersistentVolume", NULL, "{'spec':{'volumeAttributesClassName':'g','capacity':{}}}", NULL,
          "{'spec':{'capacity':{}}}");
    check("apps", "StatefulSet", NULL,
          "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':0,'maxUnavailable':2}}}}", NULL,
          "{'spec':{'updateStrategy':{'rollingUpdate':{'partition':0}}}}");
    check("autoscaling", "HorizontalPodAutoscaler", NULL,
          "{'spec':{'behavior':{'scaleUp':{'tolerance':'0.1'},'scaleDown':{'tolerance':'0.2'}}}}", NULL,
          "{'spec':{'behavior':{'scaleUp':{},'scaleDown':{}}}}");
    check("autoscaling", "HorizontalPodAutoscaler", NULL,
          "{'spec':{'behavior':{'scaleUp':{'tolerance':'0.1'},'scaleDown':{'tolerance':'0.2'}}}}",
          "{'spec':{'behavior':{'scaleDown':{'tolerance':'0.3'}}}}",
          "{'spec':{'behavior':{'scaleUp':{'tolerance':'0.1'},'scaleDown':{'tolerance':'0.2'}}}}");
    check("storage.k8s.io", "CSIDriver", NULL, "{'spec':{'nodeAllocatableUpdatePeriodSeconds':10}}", NULL,
          "{'spec':{}}");
    check("discovery.k8s.io", "EndpointSlice", NULL,
          "{'endpoints':[{'hints':{'forZones':[{'name':'a'}],'forNodes':[{'name':'n'}]}}]}", NULL,
          "{'endpoints':[{'hints':{'forZones':[{'name':'a'}]}}]}");
    check("discovery.k8s.io", "EndpointSlice", NULL, "{'endpoints':[{'hints':{'forNodes':[{'name':'m'}]}}]}",
          "{'endpoints':[{'hints':{'forNodes':[{'name':'n'}]}}]}",
          "{'endpoints':[{'hints':{'forNodes':[{'name':'m'}]}}]}");
    /* Node: the DynamicKubeletConfig fields */
    check("", "Node", NULL, "{'spec':{'configSource':{},'podCIDR':'10.0.0.0/24'},'status':{'config':{}}}", NULL,
          "{'spec':{'podCIDR':'10.0.0.0/24'},'status':{}}");
    check("", "Node", NULL, "{'spec':{'configSource':{'x':1}},'status':{'config':{}}}",
          "{'spec':{'configSource':{}}}", "{'spec':{'configSource':{'x':1}},'status':{'config':{}}}");
    check("", "Node", NULL, "{'spec':{'configSource':{'x':1}}}", "{'spec':{}}", "{'spec':{}}");
    check("", "Node", "status", "{'status':{'config':{'a':1}}}", "{'status':{}}", "{'status':{}}");
    check("", "Node", "status", "{'status':{'config':{'a':1}}}", "{'status':{'config':{}}}",
          "{'status':{'config':{'a':1}}}");
    check("apps", "Deployment", "status", "{'status':{'replicas':1,'terminatingReplicas':1}}", "{'status':{}}",
          "{'status':{'replicas':1}}");
    check("apps", "ReplicaSet", "status", "{'status':{'terminatingReplicas':1}}",
          "{'status':{'terminatingReplicas':0}}", "{'status':{'terminatingReplicas':1}}");
}

/* the pod create strategy drops before the AppArmor sync sees the pod */
static void test_create_hook(void **state)
{
    (void)state;
    kapi_gates_reset();
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_kind k = {.group = "", .kind = "Pod", .version = "v1"};
    struct kapi_value *o = parse(pool, "{'metadata':{'name':'p'},'spec':" DRA_SPEC "}");
    kapi_kind_prepare_create_early(pool, &k, o, NULL);
    assert_null(kapi_value_path(o, "spec", "resourceClaims", NULL));
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_pod_dra),
        cmocka_unit_test(test_pod_ctb_and_resources),
        cmocka_unit_test(test_pod_image_volumes_and_stop_signals),
        cmocka_unit_test(test_pod_status),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_other_kinds),
        cmocka_unit_test(test_create_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
