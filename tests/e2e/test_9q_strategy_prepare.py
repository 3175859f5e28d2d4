"""Strategy steps of kube-apiserver 1.33 through the real server: the pod
affinity matchLabelKeys / mismatchLabelKeys merge on pod create
(MatchLabelKeysInPodAffinity, GA), the PVC data source rules
(EnforceDataSourceBackwardsCompatibility, NormalizeDataSources), the
seLinuxChangePolicy rule while SELinuxMount is off, and the printed
quantities of claims, quotas and autoscalers (canonical on write)."""
import json

import pytest

PODS = "/api/v1/namespaces/default/pods"
PVCS = "/api/v1/namespaces/default/persistentvolumeclaims"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
MERGE = {"Content-Type": "application/merge-patch+json"}


def pod(name, labels=None, **spec):
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    if labels is not None:
        body["metadata"]["labels"] = labels
    body["spec"].update(spec)
    return body


def term(selector, **keys):
    t = {"labelSelector": selector, "topologyKey": "topology.kubernetes.io/zone"}
    t.update(keys)
    return t


# ---- pod affinity matchLabelKeys / mismatchLabelKeys

def test_affinity_keys_merged_on_create(kapi):
    aff = {"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            term({"matchLabels": {"x": "y"}}, matchLabelKeys=["app", "missing"], mismatchLabelKeys=["tier"])],
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 10, "podAffinityTerm": term({"matchExpressions": [{"key": "k", "operator": "Exists"}]},
                                                   mismatchLabelKeys=["app"])}]},
        "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            term({}, matchLabelKeys=["tier"])]}}
    body = pod("aff", labels={"app": "web", "tier": "front"}, affinity=aff)
    kapi.kubectl("create", "-f", "-", input=json.dumps(body))
    got = json.loads(kapi.kubectl("get", "pod", "aff", "-o", "json").stdout)["spec"]["affinity"]
    assert got["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == [{
        "labelSelector": {"matchLabels": {"x": "y"}, "matchExpressions": [
            {"key": "app", "operator": "In", "values": ["web"]},
            {"key": "tier", "operator": "NotIn", "values": ["front"]}]},
        "topologyKey": "topology.kubernetes.io/zone", "matchLabelKeys": ["app", "missing"],
        "mismatchLabelKeys": ["tier"]}]
    assert got["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"][
        "labelSelector"] == {"matchExpressions": [{"key": "k", "operator": "Exists"},
                                                  {"key": "app", "operator": "NotIn", "values": ["web"]}]}
    anti = got["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti == [{"labelSelector": {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]}]},
                     "topologyKey": "topology.kubernetes.io/zone", "matchLabelKeys": ["tier"]}]


def test_affinity_merge_create_only(kapi):
    body = pod("aff-upd", labels={"app": "web"}, affinity={"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [term({}, matchLabelKeys=["app"])]}})
    st, out = kapi.json("POST", PODS, body)
    assert st == 201, out
    sel = out["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]
    assert sel == {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}
    # a PUT of what was read back merges nothing more
    out["metadata"]["labels"]["extra"] = "1"
    st, upd = kapi.json("PUT", PODS + "/aff-upd", out)
    assert st == 200, upd
    assert upd["spec"]["affinity"] == out["spec"]["affinity"]


def test_merged_key_conflicts_with_selector(kapi):
    # the merged "app In (web)" follows the user's own "app" expression:
    # 1.33 reports the term, indexed by the key's place in matchLabelKeys
    body = pod("aff-bad", labels={"app": "web"}, affinity={"podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            term({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, matchLabelKeys=["app"])]}})
    st, out = kapi.json("POST", PODS, body)
    assert st == 422, out
    assert out["message"] == (
        'Pod "aff-bad" is invalid: spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0][0]: '
        'Invalid value: "app": exists in both matchLabelKeys and labelSelector')
    # without the label nothing is merged and the pod is fine
    body["metadata"]["labels"] = {"other": "x"}
    st, out = kapi.json("POST", PODS, body)
    assert st == 201, out


def test_templates_and_spread_constraints_not_merged(kapi):
    aff = {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term({}, matchLabelKeys=["app"])]}}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "aff-dep"},
           "spec": {"selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"affinity": aff, "containers": [{"name": "c", "image": "nginx"}]}}}}
    st, out = kapi.json("POST", DEPLOYS, dep)
    assert st == 201, out
    assert out["spec"]["template"]["spec"]["affinity"] == aff
    # 1.33 merges topology spread matchLabelKeys in the scheduler only
    tsc = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"x": "y"}}, "matchLabelKeys": ["app"]}]
    st, out = kapi.json("POST", PODS, pod("tsc", labels={"app": "web"}, topologySpreadConstraints=tsc))
    assert st == 201, out
    assert out["spec"]["topologySpreadConstraints"] == tsc


# ---- PVC data sources

def pvc(name, **spec):
    s = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": s}


def test_pvc_data_source_copied_to_ref(kapi):
    kapi.kubectl("create", "-f", "-",
                 input=json.dumps(pvc("ds", dataSource={"kind": "PersistentVolumeClaim", "name": "src"})))
    spec = json.loads(kapi.kubectl("get", "pvc", "ds", "-o", "json").stdout)["spec"]
    assert spec["dataSource"] == {"apiGroup": None, "kind": "PersistentVolumeClaim", "name": "src"}
    assert spec["dataSourceRef"] == {"apiGroup": None, "kind": "PersistentVolumeClaim", "name": "src"}
    # Go's order: dataSource, dataSourceRef, then what follows them
    st, hdrs, raw = kapi.request("GET", PVCS + "/ds")
    text = raw.decode()
    assert ('"dataSource":{"apiGroup":null,"kind":"PersistentVolumeClaim","name":"src"},'
            '"dataSourceRef":{"apiGroup":null,"kind":"PersistentVolumeClaim","name":"src"}') in text


def test_pvc_snapshot_and_ref(kapi):
    snap = {"apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": "s1"}
    st, out = kapi.json("POST", PVCS, pvc("snap", dataSource=snap))
    assert st == 201, out
    assert out["spec"]["dataSource"] == snap and out["spec"]["dataSourceRef"] == snap
    # a dataSourceRef alone gives a dataSource with its apiGroup, kind and name
    pop = {"apiGroup": "populator.example.com", "kind": "Thing", "name": "t1"}
    st, out = kapi.json("POST", PVCS, pvc("ref", dataSourceRef=pop))
    assert st == 201, out
    assert out["spec"]["dataSource"] == pop and out["spec"]["dataSourceRef"] == pop


def test_pvc_odd_data_source_dropped(kapi):
    st, out = kapi.json("POST", PVCS, pvc("odd", dataSource={"apiGroup": "example.com", "kind": "Thing",
                                                              "name": "t"}))
    assert st == 201, out
    assert "dataSource" not in out["spec"] and "dataSourceRef" not in out["spec"]
    # CrossNamespaceVolumeDataSource is off: a namespaced dataSourceRef goes
    st, out = kapi.json("POST", PVCS, pvc("xns", dataSourceRef={"kind": "PersistentVolumeClaim", "name": "s",
                                                                "namespace": "other"}))
    assert st == 201, out
    assert "dataSource" not in out["spec"] and "dataSourceRef" not in out["spec"]


def test_pvc_update_from_client_without_ref(kapi):
    st, out = kapi.json("POST", PVCS, pvc("upd", dataSource={"kind": "PersistentVolumeClaim", "name": "src"}))
    assert st == 201, out
    # an older client sends the claim back without dataSourceRef: filled in again
    del out["spec"]["dataSourceRef"]
    out["metadata"]["labels"] = {"touched": "yes"}
    st, upd = kapi.json("PUT", PVCS + "/upd", out)
    assert st == 200, upd
    assert upd["spec"]["dataSourceRef"] == {"apiGroup": None, "kind": "PersistentVolumeClaim", "name": "src"}
    # a dataSourceRef that differs is still a spec change
    upd["spec"]["dataSourceRef"]["name"] = "other"
    st, bad = kapi.json("PUT", PVCS + "/upd", upd)
    assert st == 422, bad
    assert bad["details"]["causes"][0]["field"] == "spec"
    assert "dataSourceRef: changed" in bad["details"]["causes"][0]["message"]


def test_claim_templates_not_normalized(kapi):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss"},
           "spec": {"selector": {"matchLabels": {"a": "b"}}, "serviceName": "ss",
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                        "dataSource": {"kind": "PersistentVolumeClaim", "name": "src"}}}]}}
    st, out = kapi.json("POST", "/apis/apps/v1/namespaces/default/statefulsets", sts)
    assert st == 201, out
    spec = out["spec"]["volumeClaimTemplates"][0]["spec"]
    assert spec["dataSource"] == {"apiGroup": None, "kind": "PersistentVolumeClaim", "name": "src"}
    assert "dataSourceRef" not in spec


# ---- seLinuxChangePolicy (SELinuxMount off in 1.33)

def deploy(name, policy=None):
    sc = {} if policy is None else {"seLinuxChangePolicy": policy}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"securityContext": sc, "containers": [{"name": "c", "image": "nginx"}]}}}}


def test_selinux_change_policy_only_recursive(kapi):
    st, out = kapi.json("POST", PODS, pod("sel-ok", securityContext={"seLinuxChangePolicy": "Recursive"}))
    assert st == 201, out
    p = kapi.kubectl("create", "-f", "-", check=False,
                     input=json.dumps(pod("sel-bad", securityContext={"seLinuxChangePolicy": "MountOption"})))
    assert p.returncode != 0
    assert p.stderr.strip() == (
        'The Pod "sel-bad" is invalid: spec.securityContext.seLinuxChangePolicy: Unsupported value: "MountOption": '
        'supported values: "Recursive"')
    st, out = kapi.json("POST", PODS, pod("sel-bad", securityContext={"seLinuxChangePolicy": "MountOption"}))
    assert st == 422
    assert out["details"]["causes"] == [{
        "reason": "FieldValueNotSupported", "field": "spec.securityContext.seLinuxChangePolicy",
        "message": 'Unsupported value: "MountOption": supported values: "Recursive"'}]


def test_selinux_change_policy_update_exemption(kapi):
    # the stored template has a policy: any valid one may follow
    st, out = kapi.json("POST", DEPLOYS, deploy("sel-d1", "Recursive"))
    assert st == 201, out
    patch = {"spec": {"template": {"spec": {"securityContext": {"seLinuxChangePolicy": "MountOption"}}}}}
    st, out = kapi.json("PATCH", DEPLOYS + "/sel-d1", patch, headers=MERGE)
    assert st == 200, out
    assert out["spec"]["template"]["spec"]["securityContext"] == {"seLinuxChangePolicy": "MountOption"}
    # it has none: only Recursive
    st, out = kapi.json("POST", DEPLOYS, deploy("sel-d2"))
    assert st == 201, out
    st, out = kapi.json("PATCH", DEPLOYS + "/sel-d2", patch, headers=MERGE)
    assert st == 422, out
    assert out["message"] == (
        'Deployment.apps "sel-d2" is invalid: spec.template.spec.securityContext.seLinuxChangePolicy: Unsupported '
        'value: "MountOption": supported values: "Recursive"')


def test_selinux_mount_gate_on(fresh_kapi):
    k = fresh_kapi("--feature-gates=SELinuxMount=true").start()
    st, out = k.json("POST", PODS, pod("sel", securityContext={"seLinuxChangePolicy": "MountOption"}))
    assert st == 201, out
    st, out = k.json("POST", PODS, pod("sel2", securityContext={"seLinuxChangePolicy": "Sometimes"}))
    assert st == 422, out
    assert out["details"]["causes"][0]["message"] == (
        'Unsupported value: "Sometimes": supported values: "MountOption", "Recursive"')


def test_locked_gate_refused(fresh_kapi):
    k = fresh_kapi("--feature-gates=MatchLabelKeysInPodAffinity=false")
    with pytest.raises(RuntimeError) as e:
        k.start()
    assert ("cannot set feature gate MatchLabelKeysInPodAffinity to false, feature is locked to true"
            in str(e.value))
    assert "(in kapi)" not in str(e.value)  # GA: locked upstream too, upstream's words


# ---- printed quantities (stored canonical, printed as upstream)

def lines(out):
    return [" ".join(line.split()) for line in out.strip().splitlines()]


def test_printed_quantities_canonical(kapi):
    st, out = kapi.json("POST", PVCS, pvc("q-pvc", volumeName="pv1", resources={"requests": {"storage": "1.5Gi"}}))
    assert st == 201, out
    st, out = kapi.json("PATCH", PVCS + "/q-pvc/status", {"status": {
        "phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1.5Gi"}}}, headers=MERGE)
    assert st == 200, out
    got = lines(kapi.kubectl("get", "pvc", "q-pvc").stdout)
    assert got[0] == "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE"
    assert got[1].startswith("q-pvc Bound pv1 1536Mi RWO <unset> ")

    st, out = kapi.json("POST", "/api/v1/namespaces/default/resourcequotas", {
        "apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q"},
        "spec": {"hard": {"requests.memory": "1.5Gi", "cpu": "1.5", "limits.cpu": "2000m"}}})
    assert st == 201, out
    st, out = kapi.json("PATCH", "/api/v1/namespaces/default/resourcequotas/q/status", {"status": {
        "hard": {"requests.memory": "1.5Gi", "cpu": "1.5", "limits.cpu": "2000m"},
        "used": {"requests.memory": "0.5Gi", "cpu": "0.25", "limits.cpu": "0"}}}, headers=MERGE)
    assert st == 200, out
    got = lines(kapi.kubectl("get", "quota", "q").stdout)
    assert got[1].startswith("q cpu: 250m/1500m, requests.memory: 512Mi/1536Mi limits.cpu: 0/2 ")

    st, out = kapi.json("POST", "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"}, "maxReplicas": 3,
                 "metrics": [{"type": "Resource", "resource": {"name": "memory", "target": {
                     "type": "AverageValue", "averageValue": "1.5Gi"}}},
                     {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {
                         "type": "AverageValue", "averageValue": "0.5"}}}]}})
    assert st == 201, out
    got = lines(kapi.kubectl("get", "hpa", "h").stdout)
    assert got[1].startswith("h Deployment/d memory: <unknown>/1536Mi, <unknown>/500m 1 3 0 ")
