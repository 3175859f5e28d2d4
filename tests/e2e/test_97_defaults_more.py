"""Defaulting of minimal objects, read back field for field (and member for
member, in upstream's order) as kube-apiserver v1.33 returns them: workload
templates' `metadata.creationTimestamp: null`, the always-encoded status
structs, the rarer kinds' SetDefaults_* and the milli rounding of resource
lists. The expected objects follow upstream's defaulting code and Go types."""
import json

import pytest

C = {"name": "c", "image": "nginx:1.25", "resources": {},
     "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
     "imagePullPolicy": "IfNotPresent"}
POD_SPEC = {"containers": [C], "restartPolicy": "Always", "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst", "securityContext": {}, "schedulerName": "default-scheduler"}
TMPL = {"metadata": {"creationTimestamp": None, "labels": {"app": "x"}}, "spec": POD_SPEC}
MIN_TMPL = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}
SEL = {"matchLabels": {"app": "x"}}


def post_get(kapi, path, body):
    """Creates body at path; returns (create response, GET) without metadata,
    both as raw JSON text so that member order is compared too."""
    status, _, data = kapi.request("POST", path, body)
    assert status == 201, data
    created = json.loads(data)
    name = created["metadata"]["name"]
    status, _, got = kapi.request("GET", f"{path}/{name}")
    assert status == 200, got
    out = []
    for raw in (data, got):
        obj = json.loads(raw)
        meta = obj.pop("metadata")
        out.append((obj, meta))
    return out


def same(got, want):
    assert json.dumps(got) == json.dumps(want), f"\n got  {json.dumps(got)}\n want {json.dumps(want)}"


def check(kapi, path, body, want):
    for obj, meta in post_get(kapi, path, body):
        same(obj, want)
    return meta


def test_deployment(kapi):
    check(kapi, "/apis/apps/v1/namespaces/default/deployments",
          {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": SEL, "template": MIN_TMPL}, "status": {"replicas": 3}},
          {"kind": "Deployment", "apiVersion": "apps/v1",
           "spec": {"replicas": 1, "selector": SEL, "template": TMPL,
                    "strategy": {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                    "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
           "status": {}})


def test_statefulset_daemonset_replicaset(kapi):
    check(kapi, "/apis/apps/v1/namespaces/default/statefulsets",
          {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
           "spec": {"selector": SEL, "template": MIN_TMPL}},
          {"kind": "StatefulSet", "apiVersion": "apps/v1",
           "spec": {"replicas": 1, "selector": SEL, "template": TMPL,
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                    "revisionHistoryLimit": 10,
                    "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"}},
           "status": {"replicas": 0, "availableReplicas": 0}})
    check(kapi, "/apis/apps/v1/namespaces/default/daemonsets",
          {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
           "spec": {"selector": SEL, "template": MIN_TMPL}},
          {"kind": "DaemonSet", "apiVersion": "apps/v1",
           "spec": {"selector": SEL, "template": TMPL,
                    "updateStrategy": {"type": "RollingUpdate",
                                       "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
                    "revisionHistoryLimit": 10},
           "status": {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0,
                      "numberReady": 0}})
    check(kapi, "/apis/apps/v1/namespaces/default/replicasets",
          {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
           "spec": {"selector": SEL, "template": MIN_TMPL}, "status": {"replicas": 7}},
          {"kind": "ReplicaSet", "apiVersion": "apps/v1",
           "spec": {"replicas": 1, "selector": SEL, "template": TMPL}, "status": {"replicas": 0}})


def test_job_and_cronjob(kapi):
    never = dict(POD_SPEC, restartPolicy="Never")
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
            "spec": {"template": {"spec": {"restartPolicy": "Never",
                                           "containers": [{"name": "c", "image": "nginx:1.25"}]}}}}
    for obj, meta in post_get(kapi, "/apis/batch/v1/namespaces/default/jobs", body):
        uid = meta["uid"]
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "j",
                  "controller-uid": uid, "job-name": "j"}
        assert meta["labels"] == labels
        same(obj, {"kind": "Job", "apiVersion": "batch/v1",
                   "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6,
                            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                            "manualSelector": False,
                            "template": {"metadata": {"creationTimestamp": None, "labels": labels},
                                         "spec": {"containers": [C], "restartPolicy": "Never",
                                                  "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                                                  "securityContext": {}, "schedulerName": "default-scheduler"}},
                            "completionMode": "NonIndexed", "suspend": False,
                            "podReplacementPolicy": "TerminatingOrFailed"},
                   "status": {}})
    check(kapi, "/apis/batch/v1/namespaces/default/cronjobs",
          {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
           "spec": {"schedule": "*/5 * * * *",
                    "jobTemplate": {"spec": {"template": {"spec": {
                        "restartPolicy": "Never", "containers": [{"name": "c", "image": "nginx:1.25"}]}}}}}},
          {"kind": "CronJob", "apiVersion": "batch/v1",
           "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Allow", "suspend": False,
                    "jobTemplate": {"metadata": {"creationTimestamp": None},
                                    "spec": {"template": {"metadata": {"creationTimestamp": None},
                                                          "spec": {"containers": [C], "restartPolicy": "Never",
                                                                   "terminationGracePeriodSeconds": 30,
                                                                   "dnsPolicy": "ClusterFirst", "securityContext": {},
                                                                   "schedulerName": "default-scheduler"}}}},
                    "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1},
           "status": {}})
    assert never["restartPolicy"] == "Never"


def test_service_status_is_reset(kapi):
    (obj, _), (got, _) = post_get(kapi, "/api/v1/namespaces/default/services",
                                  {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"},
                                   "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}},
                                   "status": {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}})
    for o in (obj, got):
        assert json.dumps(o["status"]) == '{"loadBalancer": {}}'


def test_core_templates(kapi):
    check(kapi, "/api/v1/namespaces/default/replicationcontrollers",
          {"apiVersion": "v1", "kind": "ReplicationController", "metadata": {"name": "rc"},
           "spec": {"template": MIN_TMPL}},
          {"kind": "ReplicationController", "apiVersion": "v1",
           "spec": {"replicas": 1, "selector": {"app": "x"}, "template": TMPL}, "status": {"replicas": 0}})
    check(kapi, "/api/v1/namespaces/default/podtemplates",
          {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "pt"},
           "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}},
          {"kind": "PodTemplate", "apiVersion": "v1",
           "template": {"metadata": {"creationTimestamp": None}, "spec": POD_SPEC}})


def test_resource_lists_round_to_milli(kapi):
    check(kapi, "/api/v1/namespaces/default/resourcequotas",
          {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
           "spec": {"hard": {"cpu": "100u", "memory": "1.5Gi", "pods": "10"}}},
          {"kind": "ResourceQuota", "apiVersion": "v1",
           "spec": {"hard": {"cpu": "1m", "memory": "1536Mi", "pods": "10"}}, "status": {}})
    _, meta = post_get(kapi, "/api/v1/namespaces/default/limitranges",
                       {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "lr"},
                        "spec": {"limits": [{"type": "Container", "max": {"cpu": "1.0001"}}]}})[1]
    status, lr = kapi.json("GET", "/api/v1/namespaces/default/limitranges/lr")
    assert lr["spec"]["limits"][0] == {"type": "Container", "max": {"cpu": "1001m"},
                                       "default": {"cpu": "1001m"}, "defaultRequest": {"cpu": "1001m"}}


def test_hpa_behavior(kapi):
    check(kapi, "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
          {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                    "maxReplicas": 5, "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}}},
          {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v2",
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"},
                    "minReplicas": 1, "maxReplicas": 5,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": 80}}}],
                    "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                        {"type": "Pods", "value": 4, "periodSeconds": 15},
                        {"type": "Percent", "value": 100, "periodSeconds": 15}]},
                        "scaleDown": {"stabilizationWindowSeconds": 120, "selectPolicy": "Max", "policies": [
                            {"type": "Percent", "value": 100, "periodSeconds": 15}]}}},
           "status": {"desiredReplicas": 0}})
    check(kapi, "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
          {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h1"},
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
                    "maxReplicas": 5}},
          {"kind": "HorizontalPodAutoscaler", "apiVersion": "autoscaling/v1",
           "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "d", "apiVersion": "apps/v1"},
                    "minReplicas": 1, "maxReplicas": 5},
           "status": {"currentReplicas": 0, "desiredReplicas": 0}})


def test_flowcontrol(kapi):
    base = "/apis/flowcontrol.apiserver.k8s.io/v1"
    check(kapi, base + "/prioritylevelconfigurations",
          {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
           "metadata": {"name": "e2e-pl"},
           "spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}},
          {"kind": "PriorityLevelConfiguration", "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
           "spec": {"type": "Limited", "limited": {
               "nominalConcurrencyShares": 30,
               "limitResponse": {"type": "Queue", "queuing": {"queues": 64, "handSize": 8, "queueLengthLimit": 50}},
               "lendablePercent": 0}},
           "status": {}})
    check(kapi, base + "/flowschemas",
          {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema", "metadata": {"name": "e2e-fs"},
           "spec": {"priorityLevelConfiguration": {"name": "e2e-pl"}}},
          {"kind": "FlowSchema", "apiVersion": "flowcontrol.apiserver.k8s.io/v1",
           "spec": {"priorityLevelConfiguration": {"name": "e2e-pl"}, "matchingPrecedence": 1000},
           "status": {}})


def test_admission_policies(kapi):
    base = "/apis/admissionregistration.k8s.io/v1"
    rule = {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["configmaps"]}
    check(kapi, base + "/validatingadmissionpolicies",
          {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
           "metadata": {"name": "e2e-vap"},
           "spec": {"matchConstraints": {"resourceRules": [rule]}, "validations": [{"expression": "true"}]}},
          {"kind": "ValidatingAdmissionPolicy", "apiVersion": "admissionregistration.k8s.io/v1",
           "spec": {"matchConstraints": {"namespaceSelector": {}, "objectSelector": {},
                                         "resourceRules": [{"operations": ["CREATE"], "apiGroups": [""],
                                                            "apiVersions": ["v1"], "resources": ["configmaps"],
                                                            "scope": "*"}],
                                         "matchPolicy": "Equivalent"},
                    "validations": [{"expression": "true"}], "failurePolicy": "Fail"},
           "status": {}})
    check(kapi, base + "/validatingadmissionpolicybindings",
          {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
           "metadata": {"name": "e2e-vapb"},
           "spec": {"policyName": "e2e-vap", "validationActions": ["Deny"], "matchResources": {}}},
          {"kind": "ValidatingAdmissionPolicyBinding", "apiVersion": "admissionregistration.k8s.io/v1",
           "spec": {"policyName": "e2e-vap",
                    "matchResources": {"namespaceSelector": {}, "objectSelector": {}, "matchPolicy": "Equivalent"},
                    "validationActions": ["Deny"]}})


def test_policy_and_networking_status(kapi):
    check(kapi, "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
          {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "pdb"},
           "spec": {"minAvailable": 1, "selector": SEL}},
          {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1",
           "spec": {"minAvailable": 1, "selector": SEL},
           "status": {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}})
    check(kapi, "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
          {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
           "spec": {"defaultBackend": {"service": {"name": "svc", "port": {"number": 80}}}}},
          {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
           "spec": {"defaultBackend": {"service": {"name": "svc", "port": {"number": 80}}}},
           "status": {"loadBalancer": {}}})


def test_persistent_volume_phase_time(kapi):
    (obj, _), (got, _) = post_get(kapi, "/api/v1/persistentvolumes",
                                  {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
                                   "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                                            "hostPath": {"path": "/tmp/x"}},
                                   "status": {"phase": "Bound"}})
    for o in (obj, got):
        assert list(o["status"]) == ["phase", "lastPhaseTransitionTime"]
        assert o["status"]["phase"] == "Pending"
    assert obj["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert obj["spec"]["volumeMode"] == "Filesystem"


def test_kubectl_and_python_client_agree(kapi):
    """kubectl apply and the official client read back the same defaults."""
    kapi.kubectl("apply", "-f", "-", input=json.dumps(
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "kd", "namespace": "default"},
         "spec": {"selector": SEL, "template": MIN_TMPL}}))
    out = json.loads(kapi.kubectl("get", "deployment", "kd", "-n", "default", "-o", "json").stdout)
    assert out["status"] == {}
    assert out["spec"]["template"]["metadata"] == {"creationTimestamp": None, "labels": {"app": "x"}}
    client, api_client = kapi.python_client()
    d = client.AppsV1Api(api_client).read_namespaced_deployment("kd", "default")
    assert d.spec.template.metadata.creation_timestamp is None
    assert d.spec.strategy.rolling_update.max_surge == "25%"
    assert d.status.replicas is None
