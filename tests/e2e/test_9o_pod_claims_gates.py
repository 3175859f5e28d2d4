"""Feature gates off by default in kube-apiserver 1.33 and the pod
resourceClaims rules, through the real server.

With 1.33's defaults (DynamicResourceAllocation, ClusterTrustBundleProjection,
PodLevelResources, ImageVolume, ContainerStopSignals, VolumeAttributesClass,
MaxUnavailableStatefulSet, ... off) the strategies drop those fields on
create and on updates of objects that do not use them yet; validation sees
what is left. With --feature-gates=DynamicResourceAllocation=true the pod
keeps spec.resourceClaims and validatePodResourceClaims answers 422 with
upstream's causes."""
import json

import pytest

from conftest import Kapi

PODS = "/api/v1/namespaces/default/pods"
SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


def pod(name, claims=None, ctr_claims=None, **spec):
    c = {"name": "c", "image": "nginx"}
    if ctr_claims is not None:
        c["resources"] = {"claims": ctr_claims}
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [c]}}
    if claims is not None:
        body["spec"]["resourceClaims"] = claims
    body["spec"].update(spec)
    return body


@pytest.fixture(scope="module")
def dra(tmp_path_factory):
    k = Kapi(str(tmp_path_factory.mktemp("kapi-dra")), ["--feature-gates=DynamicResourceAllocation=true"]).start()
    yield k
    k.stop()


def test_claims_dropped_by_default(kapi):
    body = pod("drop", claims=[{"name": "gpu", "resourceClaimTemplateName": "t"}], ctr_claims=[{"name": "gpu"}])
    st, out = kapi.json("POST", PODS, body)
    assert st == 201, out
    assert "resourceClaims" not in out["spec"]
    assert out["spec"]["containers"][0]["resources"] == {}
    got = json.loads(kapi.kubectl("get", "pod", "drop", "-o", "json").stdout)
    assert "resourceClaims" not in got["spec"] and got["spec"]["containers"][0]["resources"] == {}


def test_invalid_claims_do_not_matter_when_dropped(kapi):
    # the gate is off: the entries are dropped before validation, so the pod is created
    st, out = kapi.json("POST", PODS, pod("drop-bad", claims=[{"name": "Bad_Name"}], ctr_claims=[{"name": "x"}]))
    assert st == 201, out
    assert "resourceClaims" not in out["spec"]


def test_status_claims_and_health_dropped(kapi):
    kapi.json("POST", PODS, pod("st"))
    st, out = kapi.json("PATCH", PODS + "/st/status", {"status": {
        "resourceClaimStatuses": [{"name": "gpu", "resourceClaimName": "c"}],
        "observedGeneration": 1,
        "containerStatuses": [{"name": "c", "image": "nginx", "imageID": "", "ready": False, "restartCount": 0,
                               "allocatedResourcesStatus": [{"name": "claim:gpu", "resources": []}]}]}},
        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, out
    s = out["status"]
    assert "resourceClaimStatuses" not in s and "observedGeneration" not in s
    assert "allocatedResourcesStatus" not in s["containerStatuses"][0]


def test_other_pod_fields_dropped(kapi):
    body = pod("misc", resources={"limits": {"cpu": "1"}},
               volumes=[{"name": "img", "image": {"reference": "busybox"}},
                        {"name": "p", "projected": {"sources": [
                            {"clusterTrustBundle": {"signerName": "example.com/s", "path": "a.pem"}},
                            {"configMap": {"name": "cm"}}]}}])
    body["spec"]["containers"][0].update({"volumeMounts": [{"name": "img", "mountPath": "/img"},
                                                           {"name": "p", "mountPath": "/p"}],
                                          "lifecycle": {"stopSignal": "SIGUSR1"}})
    st, out = kapi.json("POST", PODS, body)
    assert st == 201, out
    spec = out["spec"]
    assert "resources" not in spec
    # the image volume is gone (the ServiceAccount plugin's kube-api-access volume follows "p")
    assert [v["name"] for v in spec["volumes"]][0] == "p"
    assert spec["volumes"][1]["name"].startswith("kube-api-access-")
    assert spec["volumes"][0]["projected"]["sources"][0] == {}
    assert not any("image" in v for v in spec["volumes"])
    ctr = spec["containers"][0]
    assert "lifecycle" not in ctr
    assert [m["name"] for m in ctr["volumeMounts"]][0] == "p"
    assert "img" not in [m["name"] for m in ctr["volumeMounts"]]


def test_template_and_other_kinds(kapi):
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
               "metadata": {"labels": {"a": "b"}},
               "spec": {"resourceClaims": [{"name": "gpu", "resourceClaimName": "c"}],
                        "containers": [{"name": "c", "image": "nginx", "resources": {"claims": [{"name": "gpu"}]}}]}}}}
    st, out = kapi.json("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    assert st == 201, out
    assert "resourceClaims" not in out["spec"]["template"]["spec"]
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                    "volumeAttributesClassName": "gold"}}
    st, out = kapi.json("POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc)
    assert st == 201, out
    assert "volumeAttributesClassName" not in out["spec"]
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "serviceName": "s",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 2}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    st, out = kapi.json("POST", "/apis/apps/v1/namespaces/default/statefulsets", sts)
    assert st == 201, out
    assert out["spec"]["updateStrategy"]["rollingUpdate"] == {"partition": 0}


def test_unknown_gate_refused(fresh_kapi):
    k = fresh_kapi("--feature-gates=NoSuchGate=true")
    with pytest.raises(Exception):
        k.start(timeout=5)
    assert "unrecognized feature gate: NoSuchGate" in k.read_log()


def test_claims_kept_and_read_back_with_gate(dra):
    body = pod("keep", claims=[{"name": "gpu", "resourceClaimTemplateName": "gpu-tmpl"}],
               ctr_claims=[{"name": "gpu"}])
    st, out = dra.json("POST", PODS, body)
    assert st == 201, out
    assert out["spec"]["resourceClaims"] == [{"name": "gpu", "resourceClaimTemplateName": "gpu-tmpl"}]
    got = json.loads(dra.kubectl("get", "pod", "keep", "-o", "json").stdout)["spec"]
    assert got["resourceClaims"] == [{"name": "gpu", "resourceClaimTemplateName": "gpu-tmpl"}]
    assert got["containers"][0]["resources"] == {"claims": [{"name": "gpu"}]}


def test_invalid_claims_422_with_gate(dra):
    body = pod("bad", claims=[{"name": "gpu"}, {"name": "Bad_Name", "resourceClaimName": "c"},
                              {"name": "gpu", "resourceClaimName": "x", "resourceClaimTemplateName": "y"},
                              {"name": "n", "resourceClaimTemplateName": "T"}],
               ctr_claims=[{"name": "tpu"}])
    st, out = dra.json("POST", PODS, body)
    assert st == 422, out
    rc = "spec.resourceClaims"
    want = [
        ("FieldValueInvalid", f"{rc}[0]",
         'Invalid value: core.PodResourceClaim{Name:"gpu", ResourceClaimName:(*string)(nil), '
         'ResourceClaimTemplateName:(*string)(nil)}: must specify one of: `resourceClaimName`, '
         '`resourceClaimTemplateName`'),
        ("FieldValueInvalid", f"{rc}[1].name", f'Invalid value: "Bad_Name": {LABEL}'),
        ("FieldValueDuplicate", f"{rc}[2].name", 'Duplicate value: "gpu"'),
        ("FieldValueInvalid", f"{rc}[2]",
         'Invalid value: core.PodResourceClaim{Name:"gpu", ResourceClaimName:(*string)(0xc000000000), '
         'ResourceClaimTemplateName:(*string)(0xc000000000)}: at most one of `resourceClaimName` or '
         '`resourceClaimTemplateName` may be specified'),
        ("FieldValueInvalid", f"{rc}[3].resourceClaimTemplateName", f'Invalid value: "T": {SUBDOMAIN}'),
        ("FieldValueNotFound", "spec.containers[0].resources.claims[0]",
         'Not found: "tpu": must be one of the names in pod.spec.resourceClaims: Bad_Name, gpu, n'),
    ]
    assert out["details"]["causes"] == [{"reason": r, "message": m, "field": f} for r, f, m in want]
    assert out["message"].startswith('Pod "bad" is invalid: [spec.resourceClaims[0]: Invalid value: ')


def test_claims_immutable_on_update_with_gate(dra):
    body = pod("imm", claims=[{"name": "gpu", "resourceClaimName": "a"}])
    st, out = dra.json("POST", PODS, body)
    assert st == 201, out
    out["spec"]["resourceClaims"][0]["resourceClaimName"] = "b"
    st, upd = dra.json("PUT", PODS + "/imm", out)
    assert st == 422, upd
    [cause] = upd["details"]["causes"]
    assert cause["field"] == "spec" and cause["reason"] == "FieldValueForbidden"
    assert "resourceClaims: changed" in cause["message"]


def test_pod_template_claims_with_gate(dra):
    tmpl = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"}, "template": {"spec": {
        "resourceClaims": [{"name": "", "resourceClaimName": "c"}],
        "containers": [{"name": "c", "image": "nginx"}]}}}
    st, out = dra.json("POST", "/api/v1/namespaces/default/podtemplates", tmpl)
    assert st == 422, out
    assert out["details"]["causes"] == [
        {"reason": "FieldValueRequired", "message": "Required value", "field": "template.spec.resourceClaims[0].name"}]


def test_node_config_fields_dropped(kapi):
    """The Node strategy drops the removed DynamicKubeletConfig fields:
    spec.configSource and status.config on create, status.config on a
    /status write of a node that has none; labels stay writable there."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n-cfg"},
            "spec": {"configSource": {"configMap": {"namespace": "kube-system", "name": "c",
                                                    "kubeletConfigKey": "kubelet"}}},
            "status": {"config": {"error": "x"}}}
    st, out = kapi.json("POST", "/api/v1/nodes", node)
    assert st == 201, out
    assert "configSource" not in out.get("spec", {}) and "config" not in out.get("status", {})
    st, out = kapi.json("PATCH", "/api/v1/nodes/n-cfg/status",
                        {"metadata": {"labels": {"l": "v"}}, "status": {"config": {"error": "y"}}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, out
    assert "config" not in out["status"] and out["metadata"]["labels"]["l"] == "v"
