"""Status-subresource validation (the rules of kube-apiserver 1.33's status
strategies), ephemeral containers and env sources: kube-apiserver's 422
Status (message and details.causes) through raw HTTPS, kubectl and the
python client."""
import json

import pytest

MERGE = {"Content-Type": "application/merge-patch+json"}
PODS = "/api/v1/namespaces/default/pods"


def status_422(out, kind, name, causes, group=None):
    """causes are (reason, field, message); checks the whole Status body."""
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}
    if group:
        details["group"] = group
    msgs = [f"{f}: {m}" for _, f, m in causes]
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    qualified = f"{kind}.{group}" if group else kind
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": f'{qualified} "{name}" is invalid: {agg}', "reason": "Invalid",
                   "details": details, "code": 422}


def mkpod(kapi, name, restart="Never", **spec):
    s = {"containers": [{"name": "c", "image": "nginx"}], "restartPolicy": restart}
    s.update(spec)
    st, out = kapi.json("POST", PODS, {"metadata": {"name": name}, "spec": s})
    assert st == 201, out
    return out


def test_pod_status_rules_over_https(kapi):
    mkpod(kapi, "st1")
    path = PODS + "/st1/status"
    done = {"status": {"phase": "Succeeded", "containerStatuses": [
        {"name": "c", "image": "nginx", "imageID": "", "ready": False, "restartCount": 0,
         "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]}}
    st, out = kapi.json("PATCH", path, done, headers=MERGE)
    assert st == 200, out
    # the qosClass set on create survives a status write that leaves it out
    assert out["status"]["qosClass"] == "BestEffort"
    back = json.loads(json.dumps(done))
    back["status"]["containerStatuses"][0]["state"] = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    st, out = kapi.json("PATCH", path, back, headers=MERGE)
    assert st == 422
    status_422(out, "Pod", "st1", [("FieldValueForbidden", "status.containerStatuses[0].state",
                                    "Forbidden: may not be transitioned to non-terminated state")])
    st, out = kapi.json("PATCH", path, {"status": {"qosClass": "Guaranteed", "podIPs": [{"ip": "10.0.0.1"},
                                                                                       {"ip": "10.0.0.2"}]}},
                        headers=MERGE)
    assert st == 422
    status_422(out, "Pod", "st1", [
        ("FieldValueInvalid", "status.qosClass", 'Invalid value: "Guaranteed": field is immutable'),
        ("FieldValueInvalid", "status.podIPs", 'Invalid value: []core.PodIP{core.PodIP{IP:"10.0.0.1"}, '
         'core.PodIP{IP:"10.0.0.2"}}: may specify no more than one IP for each IP family')])
    # custom conditions must be qualified names; upstream reports them under "metadata"
    st, out = kapi.json("PATCH", path, {"status": {"conditions": [{"type": "no good", "status": "True"}]}},
                        headers=MERGE)
    assert st == 422
    assert out["details"]["causes"][0]["field"] == "metadata.conditions[0].Type"
    st, out = kapi.json("PATCH", path, {"status": {"podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"},
                                                                                  {"ip": "fd00::1"}],
                                                   "conditions": [{"type": "example.com/ready", "status": "True"}]}},
                        headers=MERGE)
    assert st == 200, out


def test_workload_status_with_kubectl(kapi):
    kapi.kubectl("create", "deployment", "std", "--image=nginx")
    p = kapi.kubectl("patch", "deployment", "std", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"replicas":1,"readyReplicas":5}}', check=False)
    assert p.returncode != 0
    assert ('The Deployment "std" is invalid: status.readyReplicas: Invalid value: 5: cannot be greater than '
            'status.replicas') in p.stderr
    out = kapi.kubectl("patch", "deployment", "std", "--subresource=status", "--type=merge",
                       "-p", '{"status":{"replicas":1,"readyReplicas":1,"availableReplicas":1,"collisionCount":2}}',
                       "-o", "json").stdout
    assert json.loads(out)["status"]["collisionCount"] == 2
    p = kapi.kubectl("patch", "deployment", "std", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"collisionCount":1}}', check=False)
    assert 'status.collisionCount: Invalid value: 1: cannot be decremented' in p.stderr
    # a write to the main resource never reaches the status rules
    kapi.kubectl("scale", "deployment", "std", "--replicas=2")


def test_job_status_transitions(kapi):
    job = {"metadata": {"name": "jst"},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                          "restartPolicy": "Never"}}}}
    st, out = kapi.json("POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert st == 201, out
    path = "/apis/batch/v1/namespaces/default/jobs/jst/status"
    st, out = kapi.json("PATCH", path, {"status": {"active": 1, "startTime": "2024-01-01T00:00:00Z"}},
                        headers=MERGE)
    assert st == 200, out
    st, out = kapi.json("PATCH", path, {"status": {"active": 0, "succeeded": 1, "conditions": [
        {"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}]}}, headers=MERGE)
    assert st == 422
    status_422(out, "Job", "jst", [("FieldValueRequired", "status.completionTime",
                                    "Required value: completionTime is required for Complete jobs")], group="batch")
    st, out = kapi.json("PATCH", path, {"status": {"active": 0, "succeeded": 1, "completionTime": "2024-01-01T00:05:00Z",
                                                   "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                                                  {"type": "Complete", "status": "True"}]}},
                        headers=MERGE)
    assert st == 200, out
    st, out = kapi.json("PATCH", path, {"status": {"conditions": [], "completionTime": "2024-01-01T00:06:00Z"}},
                        headers=MERGE)
    assert st == 422
    causes = [(c["field"], c["message"]) for c in out["details"]["causes"]]
    assert causes == [
        ("status.completionTime", "Invalid value: 2024-01-01 00:06:00 +0000 UTC: cannot set completionTime when "
                                  "there is no Complete=True condition"),
        ("status.conditions", "Invalid value: cannot disable the terminal Complete=True condition"),
        ("status.completionTime", "Invalid value: 2024-01-01 00:06:00 +0000 UTC: completionTime cannot be mutated"),
        ("status.conditions", "Invalid value: cannot disable the SuccessCriteriaMet=True condition")]


def test_service_namespace_pvc_status_through_python_client(kapi):
    client, api_client = kapi.python_client()
    from kubernetes.client.rest import ApiException
    core = client.CoreV1Api(api_client)
    core.create_namespaced_service("default", client.V1Service(
        metadata=client.V1ObjectMeta(name="stsvc"), spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)])))
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_service_status("stsvc", "default", {"status": {"loadBalancer": {"ingress": [
            {"ip": "1.2.3.4"}]}}})
    assert e.value.status == 422
    status_422(json.loads(e.value.body), "Service", "stsvc", [
        ("FieldValueForbidden", "status.loadBalancer.ingress",
         "Forbidden: may only be used when `spec.type` is 'LoadBalancer'")])
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="stns")))
    ns = core.read_namespace("stns")
    ns.status.phase = "Terminating"
    with pytest.raises(ApiException) as e:
        core.replace_namespace_status("stns", ns)
    assert e.value.status == 422
    status_422(json.loads(e.value.body), "Namespace", "stns", [
        ("FieldValueInvalid", "status.Phase",
         "Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty")])
    core.create_namespaced_persistent_volume_claim("default", client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="stpvc"),
        spec=client.V1PersistentVolumeClaimSpec(access_modes=["ReadWriteOnce"], resources=getattr(client, "V1VolumeResourceRequirements", client.V1ResourceRequirements)(
            requests={"storage": "1Gi"}))))
    with pytest.raises(ApiException) as e:
        core.patch_namespaced_persistent_volume_claim_status("stpvc", "default", {"status": {
            "capacity": {"storage": "-1Gi"}, "allocatedResourceStatuses": {"storage": "Stuck"}}})
    assert e.value.status == 422
    status_422(json.loads(e.value.body), "PersistentVolumeClaim", "stpvc", [
        ("FieldValueInvalid", "status.capacity[storage]", "Invalid value: -1073741824: must be a valid resource quantity"),
        ("FieldValueNotSupported", "status.allocatedResourceStatus",
         'Unsupported value: "storage": supported values: "ControllerResizeInProgress", "ControllerResizeInfeasible", '
         '"NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"')])
    pvc = core.patch_namespaced_persistent_volume_claim_status("stpvc", "default", {"status": {
        "phase": "Bound", "capacity": {"storage": "1Gi"}, "allocatedResources": {"storage": "1Gi"}}})
    assert pvc.status.phase == "Bound"


def test_namespace_deletion_still_reaches_terminating(kapi):
    # the namespace controller writes status through the store: deletion
    # still moves the phase to Terminating and then removes the namespace
    st, _ = kapi.json("POST", "/api/v1/namespaces", {"metadata": {"name": "stdel"}})
    assert st == 201
    st, out = kapi.json("DELETE", "/api/v1/namespaces/stdel")
    assert st == 200 and out["status"]["phase"] == "Terminating"


def test_ephemeral_containers(kapi):
    st, out = kapi.json("POST", PODS, {"metadata": {"name": "eph0"}, "spec": {
        "containers": [{"name": "c", "image": "nginx"}],
        "ephemeralContainers": [{"name": "dbg", "image": "busybox"}]}})
    assert st == 422
    status_422(out, "Pod", "eph0", [("FieldValueForbidden", "spec.ephemeralContainers",
                                     "Forbidden: cannot be set on create")])
    mkpod(kapi, "eph", restart="Always")
    path = PODS + "/eph/ephemeralcontainers"
    bad = {"spec": {"ephemeralContainers": [{"name": "c", "image": "busybox", "targetContainerName": "nope",
                                             "ports": [{"containerPort": 80}]}]}}
    st, out = kapi.json("PATCH", path, bad, headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert st == 422
    status_422(out, "Pod", "eph", [
        ("FieldValueDuplicate", "spec.ephemeralContainers[0].name", 'Duplicate value: "c"'),
        ("FieldValueNotFound", "spec.ephemeralContainers[0].targetContainerName", 'Not found: "nope"'),
        ("FieldValueForbidden", "spec.ephemeralContainers[0].ports",
         "Forbidden: cannot be set for an Ephemeral Container")])
    good = {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox", "targetContainerName": "c",
                                              "stdin": True, "tty": True}]}}
    st, out = kapi.json("PATCH", path, good, headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert st == 200, out
    assert [e["name"] for e in out["spec"]["ephemeralContainers"]] == ["dbg"]
    # kubectl debug's own path: an existing ephemeral container may not be removed
    st, cur = kapi.json("GET", path)
    cur["spec"]["ephemeralContainers"] = []
    st, out = kapi.json("PUT", path, cur)
    assert st == 422
    status_422(out, "Pod", "eph", [("FieldValueForbidden", "spec.ephemeralContainers",
                                    'Forbidden: existing ephemeral containers "dbg" may not be removed\n')])


def test_env_sources_with_kubectl(kapi):
    manifest = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "envs"},
                "spec": {"containers": [{"name": "c", "image": "nginx",
                                         "env": [{"name": "A", "value": "x",
                                                  "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}],
                                         "envFrom": [{"prefix": "P"}]}]}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(manifest), check=False)
    assert p.returncode != 0
    assert 'The Pod "envs" is invalid: ' in p.stderr
    assert ('spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not '
            'empty') in p.stderr
    assert ('spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'
            in p.stderr)
    st, out = kapi.json("POST", PODS, {"metadata": {"name": "envs2"}, "spec": {"containers": [{
        "name": "c", "image": "nginx",
        "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.restartPolicy"}}}]}]}})
    assert st == 422
    status_422(out, "Pod", "envs2", [(
        "FieldValueNotSupported", "spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
        'Unsupported value: "spec.restartPolicy": supported values: "metadata.name", "metadata.namespace", '
        '"metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", '
        '"status.podIP", "status.podIPs"')])
    manifest["spec"]["containers"][0]["env"] = [
        {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "B", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory", "divisor": "1Mi"}}}]
    manifest["spec"]["containers"][0]["envFrom"] = [{"prefix": "P_", "configMapRef": {"name": "cm"}}]
    kapi.kubectl("create", "-f", "-", input=json.dumps(manifest))


def test_job_update_rules(kapi):
    job = {"metadata": {"name": "jupd"},
           "spec": {"managedBy": "not a path",
                    "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                          "restartPolicy": "Never"}}}}
    st, out = kapi.json("POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert st == 422
    status_422(out, "Job", "jupd", [("FieldValueInvalid", "spec.managedBy",
                                     'Invalid value: "not a path": must be a domain-prefixed path (such as '
                                     '"acme.io/foo")')], group="batch")
    job["spec"]["managedBy"] = "example.com/ctrl"
    job["spec"]["suspend"] = True
    st, out = kapi.json("POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert st == 201, out
    # a suspended job that never started may move to other nodes...
    kapi.kubectl("patch", "job", "jupd", "--type=merge", "-p",
                 '{"spec":{"template":{"spec":{"nodeSelector":{"zone":"a"}}}}}')
    # ...but its containers stay, and managedBy stays
    p = kapi.kubectl("patch", "job", "jupd", "--type=merge", "-p",
                     '{"spec":{"managedBy":"example.com/other"}}', check=False)
    assert ('The Job "jupd" is invalid: spec.managedBy: Invalid value: "example.com/other": field is immutable'
            in p.stderr)
    st, out = kapi.json("PATCH", "/apis/batch/v1/namespaces/default/jobs/jupd", {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "image": "busybox:2"}]}}}}, headers=MERGE)
    assert st == 422
    assert [(c["field"], c["message"]) for c in out["details"]["causes"]] == [
        ("spec.template", "Invalid value: core.PodTemplateSpec{...}: field is immutable")]


def test_pvc_update_rules(kapi):
    base = "/api/v1/namespaces/default/persistentvolumeclaims"
    st, out = kapi.json("POST", base, {"metadata": {"name": "grow"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}})
    assert st == 201, out
    st, out = kapi.json("PATCH", base + "/grow", {"spec": {"resources": {"requests": {"storage": "3Gi"}}}},
                        headers=MERGE)
    assert st == 422
    assert out["details"]["causes"][0]["field"] == "spec"
    assert out["details"]["causes"][0]["message"].startswith(
        "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for "
        "bound claims\n")
    st, out = kapi.json("PATCH", base + "/grow/status", {"status": {"phase": "Bound",
                                                                      "capacity": {"storage": "2Gi"}}},
                        headers=MERGE)
    assert st == 200, out
    # a bound claim passes validation when it grows; the PersistentVolumeClaimResize
    # admission plugin (after validation) then wants a resizable storage class
    p = kapi.kubectl("patch", "pvc", "grow", "--type=merge", "-p",
                     '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}', check=False)
    assert "only dynamically provisioned pvc can be resized" in p.stderr
    st, out = kapi.json("PATCH", base + "/grow", {"spec": {"resources": {"requests": {"storage": "1Gi"}}}},
                        headers=MERGE)
    assert st == 422
    status_422(out, "PersistentVolumeClaim", "grow", [
        ("FieldValueForbidden", "spec.resources.requests.storage",
         "Forbidden: field can not be less than status.capacity")])
