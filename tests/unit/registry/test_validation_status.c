/* registry/validation: the status strategies' rules on a write to /status
 * (kapi_validate_subresource with "status"), each with kube-apiserver 1.33's
 * field path and message as the 422 Status aggregates them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/json.h"
#include "registry/validation.h"
#include "vtest.h"

static void check(const char *group, const char *kind, const char *obj, const char *old, const char *want)
{
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    bool handled = kapi_validate_subresource(pool, group, "v1", kind, "status", parse(pool, obj), parse(pool, old),
                                             &errs);
    assert_true(handled);
    const char *got = kapi_field_errors_aggregate(pool, &errs);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: %s\nwant: %s", kind, got, want);
    kapi_pool_free(pool);
}

#define POD(spec, status) "{'metadata':{'name':'p'},'spec':" spec ",'status':" status "}"
#define SPEC(rp) "{'restartPolicy':'" rp "','containers':[{'name':'c','image':'x'}]}"

static void test_pod_status(void **state)
{
    (void)state;
    const char *old = POD(SPEC("Never"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':"
                                         "{'terminated':{'exitCode':0}}}]}");
    check("", "Pod", POD(SPEC("Never"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':"
                                        "{'terminated':{'exitCode':0}}}],'podIP':'10.0.0.1','podIPs':[{'ip':'10.0.0.1'}],"
                                        "'hostIP':'1.2.3.4','hostIPs':[{'ip':'1.2.3.4'}],'conditions':[{'type':'Ready',"
                                        "'status':'True'},{'type':'example.com/custom','status':'False'}]}"),
          old, "");
    /* a terminated container may not run again under restartPolicy Never */
    check("", "Pod", POD(SPEC("Never"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':"
                                        "{'running':{}}}]}"),
          old, "status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state");
    /* ... but may under Always, and a failed one under OnFailure */
    check("", "Pod", POD(SPEC("Always"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':{'running':{}}}]}"),
          POD(SPEC("Always"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':{'terminated':{'exitCode':0}}}]}"),
          "");
    check("", "Pod", POD(SPEC("OnFailure"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':{'running':{}}}]}"),
          POD(SPEC("OnFailure"), "{'qosClass':'BestEffort','containerStatuses':[{'name':'c','state':{'terminated':{'exitCode':2}}}]}"),
          "");
    check("", "Pod", POD(SPEC("Never"), "{'qosClass':'Burstable','conditions':[{'type':'bad type!','status':'True'}]}"),
          POD(SPEC("Never"), "{'qosClass':'BestEffort'}"),
          "[metadata.conditions[0].Type: Invalid value: \"bad type!\": name part must consist of alphanumeric "
          "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
          "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
          "status.qosClass: Invalid value: \"Burstable\": field is immutable]");
    check("", "Pod", POD(SPEC("Never"), "{'podIPs':[{'ip':'10.0.0.1'},{'ip':'10.0.0.1'}],'hostIP':'1.2.3.4',"
                                        "'hostIPs':[{'ip':'1.2.3.5'},{'ip':'x'}]}"),
          POD(SPEC("Never"), "{}"),
          "[status.podIPs: Invalid value: []core.PodIP{core.PodIP{IP:\"10.0.0.1\"}, core.PodIP{IP:\"10.0.0.1\"}}: "
          "may specify no more than one IP for each IP family, "
          "status.podIPs[1]: Duplicate value: core.PodIP{IP:\"10.0.0.1\"}, "
          "status.hostIPs[0].ip: Invalid value: \"1.2.3.5\": must be equal to `hostIP`, "
          "status.hostIPs[1]: Invalid value: \"x\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff), "
          "status.hostIPs: Invalid value: []core.HostIP{core.HostIP{IP:\"1.2.3.5\"}, core.HostIP{IP:\"x\"}}: "
          "may specify no more than one IP for each IP family]");
    check("", "Pod", POD(SPEC("Never"), "{'podIPs':[{'ip':'10.0.0.1'},{'ip':'fd00::1'}],'nominatedNodeName':'Bad_Node'}"),
          POD(SPEC("Never"), "{}"),
          "status.nominatedNodeName: Invalid value: \"Bad_Node\": a lowercase RFC 1123 subdomain must consist of "
          "lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character "
          "(e.g. 'example.com', regex used for validation is "
          "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    check("", "Pod", POD(SPEC("Always"), "{'containerStatuses':[{'name':'c','user':{'linux':{'uid':-1,'gid':0,"
                                         "'supplementalGroups':[1,-2]}},'allocatedResourcesStatus':[{'name':'memory',"
                                         "'resources':[{'resourceID':'a','health':'Fine'},{'resourceID':'a','health':'Healthy'}]}]}],"
                                         "'ephemeralContainerStatuses':[{'name':'e','allocatedResourcesStatus':[{'name':'cpu'}]}],"
                                         "'resourceClaimStatuses':[{'name':'nope'}]}"),
          POD(SPEC("Always"), "{}"),
          "[status.resourceClaimStatuses[0].name: Invalid value: \"nope\": must match the name of an entry in "
          "`spec.resourceClaims`, "
          "status.containerStatuses[0].linux.uid: Invalid value: -1: must be between 0 and 2147483647, inclusive, "
          "status.containerStatuses[0].linux.supplementalGroups[1]: Invalid value: -2: must be between 0 and "
          "2147483647, inclusive, "
          "status.containerStatuses[0].allocatedResourcesStatus[0].name: Invalid value: \"memory\": must match one "
          "of the container's resource requests, "
          "status.containerStatuses[0].allocatedResourcesStatus[0].resources[0].health: Unsupported value: \"Fine\": "
          "supported values: \"Healthy\", \"Unhealthy\", \"Unknown\", "
          "status.containerStatuses[0].allocatedResourcesStatus[0].resources[1].resourceID: Duplicate value: \"a\", "
          "status.ephemeralContainerStatuses[0].allocatedResourcesStatus: Forbidden: must not be specified in "
          "container status]");
}

static void test_service_namespace_pvc(void **state)
{
    (void)state;
    const char *svc = "{'spec':{'type':'ClusterIP'},'status':{}}";
    check("", "Service", "{'spec':{'type':'ClusterIP'},'status':{'loadBalancer':{'ingress':[{'ip':'1.2.3.4'}]}}}", svc,
          "status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'");
    check("", "Service",
          "{'spec':{'type':'LoadBalancer'},'status':{'loadBalancer':{'ingress':[{'ip':'1.2.3.4','ipMode':'VIP'},"
          "{'ip':'x','ipMode':'Other'},{'hostname':'10.0.0.1','ipMode':'VIP'},{'ip':'1.1.1.1'}]}}}",
          svc,
          "[status.loadBalancer.ingress[1].ip: Invalid value: \"x\": must be a valid IP address, (e.g. 10.9.8.7 or "
          "2001:db8::ffff), status.loadBalancer.ingress[1].ipMode: Unsupported value: \"Other\": supported values: "
          "\"Proxy\", \"VIP\", status.loadBalancer.ingress[2].ipMode: Forbidden: may not be specified when `ip` is "
          "not set, status.loadBalancer.ingress[2].hostname: Invalid value: \"10.0.0.1\": must be a DNS name, not an "
          "IP address, status.loadBalancer.ingress[3].ipMode: Required value: must be specified when `ip` is set]");
    check("", "Namespace", "{'metadata':{'name':'n'},'status':{'phase':'Terminating'}}", "{'status':{'phase':'Active'}}",
          "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty");
    check("", "Namespace", "{'metadata':{'name':'n','deletionTimestamp':'2024-01-01T00:00:00Z'},'status':{'phase':'Active'}}",
          "{'status':{'phase':'Active'}}",
          "status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty");
    const char *pvc = "{'spec':{'accessModes':['ReadWriteOnce']},'status':{}}";
    check("", "PersistentVolumeClaim",
          "{'spec':{'accessModes':['ReadWriteOnce']},'status':{'capacity':{'storage':'-2Gi'},"
          "'allocatedResources':{'storage':'-500m','cpu':'1'},'allocatedResourceStatuses':{'storage':'Stuck'}}}",
          pvc,
          "[status.capacity[storage]: Invalid value: -2147483648: must be a valid resource quantity, "
          "status.allocatedResourceStatus: Unsupported value: \"storage\": supported values: "
          "\"ControllerResizeInProgress\", \"ControllerResizeInfeasible\", \"NodeResizeInProgress\", "
          "\"NodeResizeInfeasible\", \"NodeResizePending\", "
          "status.allocatedResources[storage]: Invalid value: \"-500m\": must be greater than or equal to 0, "
          "status.allocatedResources: Unsupported value: \"cpu\": supported values: \"storage\"]");
    check("", "PersistentVolumeClaim",
          "{'spec':{'accessModes':['ReadWriteOnce']},'status':{'phase':'Bound','capacity':{'storage':'1Gi'},"
          "'allocatedResources':{'storage':'2Gi','example.com/x':'1'},'allocatedResourceStatuses':{'storage':"
          "'ControllerResizeInProgress'}}}",
          pvc, "");
}

static void test_workloads(void **state)
{
    (void)state;
    check("apps", "Deployment", "{'status':{'replicas':2,'readyReplicas':3,'availableReplicas':4,'observedGeneration':-1}}",
          "{'status':{}}",
          "[status.observedGeneration: Invalid value: -1: must be greater than or equal to 0, "
          "status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas, "
          "status.availableReplicas: Invalid value: 4: cannot be greater than status.replicas, "
          "status.availableReplicas: Invalid value: 4: cannot be greater than readyReplicas]");
    check("apps", "Deployment", "{'status':{'collisionCount':1}}", "{'status':{'collisionCount':2}}",
          "status.collisionCount: Invalid value: 1: cannot be decremented");
    check("apps", "StatefulSet", "{'status':{'replicas':1,'readyReplicas':1,'availableReplicas':2}}", "{'status':{'collisionCount':1}}",
          "[status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas, "
          "status.availableReplicas: Invalid value: 2: cannot be greater than status.readyReplicas, "
          "status.collisionCount: Invalid value: 0: cannot be decremented]");
    /* every counter is compared with replicas, even a negative one */
    check("apps", "ReplicaSet", "{'status':{'replicas':-1,'fullyLabeledReplicas':0}}", "{'status':{}}",
          "[status.replicas: Invalid value: -1: must be greater than or equal to 0, "
          "status.fullyLabeledReplicas: Invalid value: 0: cannot be greater than status.replicas, "
          "status.readyReplicas: Invalid value: 0: cannot be greater than status.replicas, "
          "status.availableReplicas: Invalid value: 0: cannot be greater than status.replicas]");
    check("", "ReplicationController", "{'status':{'replicas':1,'fullyLabeledReplicas':2}}", "{'status':{}}",
          "status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than status.replicas");
    check("apps", "DaemonSet", "{'status':{'numberReady':-3,'desiredNumberScheduled':1}}", "{'status':{}}",
          "status.numberReady: Invalid value: -3: must be greater than or equal to 0");
    check("autoscaling", "HorizontalPodAutoscaler", "{'status':{'currentReplicas':-1,'desiredReplicas':-2}}", "{'status':{}}",
          "[status.currentReplicas: Invalid value: -1: must be greater than or equal to 0, "
          "status.desiredReplicas: Invalid value: -2: must be greater than or equal to 0]");
    check("policy", "PodDisruptionBudget",
          "{'status':{'disruptionsAllowed':-1,'conditions':[{'type':'DisruptionAllowed','status':'Maybe','reason':'no good'},"
          "{'type':'DisruptionAllowed','status':'True','reason':'X','lastTransitionTime':'2024-01-01T00:00:00Z'}]}}",
          "{'status':{}}",
          "[status.conditions[0].status: Unsupported value: \"Maybe\": supported values: \"False\", \"True\", \"Unknown\", "
          "status.conditions[0].lastTransitionTime: Required value: must be set, "
          "status.conditions[0].reason: Invalid value: \"no good\": a condition reason must start with alphabetic "
          "character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an "
          "alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or "
          "'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?'), "
          "status.conditions[1].type: Duplicate value: \"DisruptionAllowed\", "
          "status.disruptionsAllowed: Invalid value: -1: must be greater than or equal to 0]");
}

#define JOB(spec, status) "{'spec':" spec ",'status':" status "}"
#define NI "{'completions':3,'parallelism':1,'completionMode':'NonIndexed'}"
#define IX "{'completions':4,'parallelism':2,'completionMode':'Indexed','backoffLimitPerIndex':1}"
#define COMPLETE(t) "{'type':'Complete','status':'True'},{'type':'SuccessCriteriaMet','status':'True'}"

static void test_job_status(void **state)
{
    (void)state;
    const char *running = JOB(NI, "{'active':1,'startTime':'2024-01-01T00:00:00Z'}");
    /* a normal completion */
    check("batch", "Job", JOB(NI, "{'succeeded':3,'startTime':'2024-01-01T00:00:00Z','completionTime':"
                                  "'2024-01-01T00:01:00Z','conditions':[" COMPLETE() "]}"),
          running, "");
    check("batch", "Job", JOB(NI, "{'active':1,'succeeded':3,'conditions':[{'type':'Complete','status':'True'}]}"),
          running,
          "[status.completionTime: Required value: completionTime is required for Complete jobs, "
          "status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true "
          "condition, "
          "status.active: Invalid value: 1: active>0 is invalid for finished job, "
          "status.startTime: Required value: startTime is required for finished job, "
          "status.startTime: Required value: startTime cannot be removed for unsuspended job]");
    check("batch", "Job", JOB(NI, "{'startTime':'2024-01-01T00:00:00Z','completionTime':'2023-12-31T23:00:00Z',"
                                  "'failed':0,'succeeded':1}"),
          JOB(NI, "{'failed':2,'succeeded':2,'startTime':'2024-01-01T00:00:00Z'}"),
          "[status.completionTime: Invalid value: 2023-12-31 23:00:00 +0000 UTC: cannot set completionTime when there "
          "is no Complete=True condition, "
          "status.completionTime: Invalid value: 2023-12-31 23:00:00 +0000 UTC: completionTime cannot be set before "
          "startTime, "
          "status.failed: Invalid value: 0: cannot decrease the failed counter, "
          "status.succeeded: Invalid value: 1: cannot decrease the succeeded counter]");
    const char *done = JOB(NI, "{'succeeded':3,'startTime':'2024-01-01T00:00:00Z','completionTime':"
                               "'2024-01-01T00:01:00Z','conditions':[" COMPLETE() "]}");
    check("batch", "Job", JOB(NI, "{'succeeded':3,'startTime':'2024-01-01T00:00:00Z','completionTime':"
                                  "'2024-01-01T00:02:00Z','conditions':[]}"),
          done,
          "[status.completionTime: Invalid value: 2024-01-01 00:02:00 +0000 UTC: cannot set completionTime when there "
          "is no Complete=True condition, "
          "status.conditions: Invalid value: cannot disable the terminal Complete=True condition, "
          "status.completionTime: Invalid value: 2024-01-01 00:02:00 +0000 UTC: completionTime cannot be mutated, "
          "status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition]");
    check("batch", "Job", JOB(NI, "{'active':0,'startTime':'2024-01-01T00:00:00Z','completedIndexes':'1',"
                                  "'failedIndexes':'','ready':-1,'uncountedTerminatedPods':{'succeeded':['a','','a']}}"),
          running,
          "[status.ready: Invalid value: -1: must be greater than or equal to 0, "
          "status.uncountedTerminatedPods.succeeded[1]: Invalid value: \"\": must not be empty, "
          "status.uncountedTerminatedPods.succeeded[2]: Duplicate value: \"a\", "
          "status.completedIndexes: Invalid value: \"1\": cannot set non-empty completedIndexes when non-indexed "
          "completion mode, "
          "status.failedIndexes: Invalid value: \"\": cannot set non-null failedIndexes when backoffLimitPerIndex "
          "is null]");
    check("batch", "Job", JOB(IX, "{'active':2,'startTime':'2024-01-01T00:00:00Z','completedIndexes':'0-2,1',"
                                  "'failedIndexes':'2,7'}"),
          JOB(IX, "{'active':2,'startTime':'2024-01-01T00:00:00Z'}"),
          "[status.completedIndexes: Invalid value: \"0-2,1\": error parsing completedIndexes: non-increasing order, "
          "previous: 2, current: 1, "
          "status.failedIndexes: Invalid value: \"2,7\": error parsing failedIndexes: too large index: \"7\", "
          "status.failedIndexes: Invalid value: \"2,7\": failedIndexes and completedIndexes overlap at index: 2]");
    check("batch", "Job", JOB(NI, "{'startTime':'2024-01-01T00:00:00Z','conditions':[{'type':'Failed','status':'True'},"
                                  "{'type':'FailureTarget','status':'True'}],'uncountedTerminatedPods':{'failed':['u1']}}"),
          running,
          "status.uncountedTerminatedPods: Invalid value: batch.UncountedTerminatedPods{Succeeded:[]types.UID(nil), "
          "Failed:[]types.UID{\"u1\"}}: uncountedTerminatedPods needs to be empty for finished job");
}

static void test_node_status(void **state)
{
    (void)state;
    struct kapi_pool *pool = kapi_pool_new();
    struct kapi_field_errors errs = {0};
    const char *node = "{'metadata':{'name':'n'},'spec':{},'status':{'capacity':{'cpu':'-1','memory':'1Gi'},"
                       "'addresses':[{'type':'InternalIP','address':'10.0.0.1'},{'type':'InternalIP','address':"
                       "'10.0.0.1'}],'config':{'active':{'configMap':{'namespace':'kube-system','name':'c',"
                       "'kubeletConfigKey':'k'}}}}}";
    /* the node status strategy runs the main update rules */
    assert_false(kapi_validate_subresource(pool, "", "v1", "Node", "status", parse(pool, node),
                                           parse(pool, "{'metadata':{'name':'n'},'spec':{}}"), &errs));
    kapi_validate_kind(pool, "", "v1", "Node", parse(pool, node), parse(pool, "{'metadata':{'name':'n'},'spec':{}}"),
                       &errs);
    assert_string_equal(kapi_field_errors_aggregate(pool, &errs),
                        "[status.capacity.cpu: Invalid value: \"-1\": must be greater than or equal to 0, "
                        "status.addresses[1]: Duplicate value: core.NodeAddress{Type:\"InternalIP\", "
                        "Address:\"10.0.0.1\"}, "
                        "status.config.active.configMap.uid: Required value: uid must be set in status, "
                        "status.config.active.configMap.resourceVersion: Required value: resourceVersion must be set "
                        "in status]");
    kapi_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pod_status),
        cmocka_unit_test(test_service_namespace_pvc),
        cmocka_unit_test(test_workloads),
        cmocka_unit_test(test_job_status),
        cmocka_unit_test(test_node_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
