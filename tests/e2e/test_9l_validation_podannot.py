"""The tolerations and pod-deletion-cost pod annotations and the update of
pods stored with an invalid deletion cost or an invalid affinity / topology
spread label selector value (also through pods/status), through the real
server: kube-apiserver 1.33's 422 details.causes, and valid objects still
created. (The annotation rules of a pods/status write are unit-tested only:
kapi's status write keeps the stored annotations, see the report.)"""
import json
import os
import sqlite3

import pytest

from conftest import Kapi

TOL_KEY = "scheduler.alpha.kubernetes.io/tolerations"
COST_KEY = "controller.kubernetes.io/pod-deletion-cost"
LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                   "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                   "'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
PODS = "/api/v1/namespaces/default/pods"


def pod(name, annotations=None, **spec):
    p = {"metadata": {"name": name, "annotations": annotations or {}},
         "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    p["spec"].update(spec)
    return p


def causes(kapi, method, path, obj):
    st, body = kapi.json(method, path, obj)
    assert st == 422, body
    assert body["reason"] == "Invalid"
    return body["details"]["causes"]


def test_valid_annotations_are_accepted(kapi):
    tols = [{"key": "a", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 5}, {"operator": "Exists"}]
    st, body = kapi.json("POST", PODS, pod("valid", {TOL_KEY: json.dumps(tols), COST_KEY: "-2147483648"}))
    assert st == 201, body
    assert body["metadata"]["annotations"][COST_KEY] == "-2147483648"
    st, body = kapi.json("POST", PODS, pod("empty", {TOL_KEY: "", COST_KEY: "0"}))
    assert st == 201, body


def test_tolerations_annotation(kapi):
    assert causes(kapi, "POST", PODS, pod("badjson", {TOL_KEY: "[{"})) == [{
        "reason": "FieldValueInvalid", "field": "metadata.annotations",
        "message": f'Invalid value: "{TOL_KEY}": unexpected end of JSON input'}]
    assert causes(kapi, "POST", PODS, pod("badtype", {TOL_KEY: '[{"key": 1}]'})) == [{
        "reason": "FieldValueInvalid", "field": "metadata.annotations",
        "message": f'Invalid value: "{TOL_KEY}": json: cannot unmarshal number into Go struct field '
                   'Toleration.Key of type string'}]
    tols = [{"key": "a", "operator": "Bad"}, {"Operator": "Equal"}]
    assert causes(kapi, "POST", PODS, pod("badtol", {TOL_KEY: json.dumps(tols)})) == [
        {"reason": "FieldValueNotSupported", "field": f"metadata.annotations.{TOL_KEY}[0].operator",
         "message": 'Unsupported value: "Bad": supported values: "Equal", "Exists"'},
        {"reason": "FieldValueInvalid", "field": f"metadata.annotations.{TOL_KEY}[1].operator",
         "message": 'Invalid value: "Equal": operator must be Exists when `key` is empty, which means '
                    '"match all values and all keys"'}]
    dep = {"metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}, "annotations": {TOL_KEY: "{}"}},
                                 "spec": pod("x")["spec"]}}}
    assert causes(kapi, "POST", "/apis/apps/v1/namespaces/default/deployments", dep) == [{
        "reason": "FieldValueInvalid", "field": "spec.template.annotations",
        "message": f'Invalid value: "{TOL_KEY}": json: cannot unmarshal object into Go value of type '
                   '[]core.Toleration'}]


def test_deletion_cost(kapi):
    for v in ["+1", "007", "2147483648", "x"]:
        assert causes(kapi, "POST", PODS, pod("cost", {COST_KEY: v})) == [{
            "reason": "FieldValueInvalid", "field": f"metadata.annotations[{COST_KEY}]",
            "message": f'Invalid value: "{v}": must be a 32bit integer'}]
    st, body = kapi.json("POST", PODS, pod("cost-ok", {COST_KEY: "7"}))
    assert st == 201, body
    body["metadata"]["annotations"][COST_KEY] = "seven"
    # the update runs the annotation rules twice, as upstream
    cause = {"reason": "FieldValueInvalid", "field": f"metadata.annotations[{COST_KEY}]",
             "message": 'Invalid value: "seven": must be a 32bit integer'}
    assert causes(kapi, "PUT", PODS + "/cost-ok", body) == [cause, cause]
    # pods/status may change annotations (the pod status strategy keeps only
    # spec and ownerReferences), and runs the annotation rules once
    assert causes(kapi, "PUT", PODS + "/cost-ok/status", body) == [cause]
    body["metadata"]["annotations"][COST_KEY] = "8"
    body["metadata"]["labels"] = {"via": "status"}
    st, out = kapi.json("PUT", PODS + "/cost-ok/status", body)
    assert st == 200, out
    assert out["metadata"]["annotations"][COST_KEY] == "8" and out["metadata"]["labels"] == {"via": "status"}


def affinity_pod(name, value, spread_value, cost):
    sel = {"matchExpressions": [{"key": "app", "operator": "In", "values": [value]}]}
    return pod(name, {COST_KEY: cost},
               affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                   {"labelSelector": sel, "topologyKey": "zone"}]}},
               topologySpreadConstraints=[{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                           "labelSelector": {"matchExpressions": [
                                               {"key": "app", "operator": "In", "values": [spread_value]}]}}])


def test_update_of_pod_stored_with_invalid_values(fresh_kapi):
    """Pods stored before the rules (written into the database while the
    server is down) may still be updated; the same values on create are
    refused."""
    k = fresh_kapi().start()
    st, body = k.json("POST", PODS, affinity_pod("legacy", "affx", "sprx", "12345"))
    assert st == 201, body
    st, body = k.json("POST", PODS, affinity_pod("control", "affx", "sprx", "12345"))
    assert st == 201, body
    k.stop()
    db = sqlite3.connect(os.path.join(k.data_dir, "db", "kapi.db"))
    rows = db.execute("SELECT rev, value FROM kv WHERE key = ? AND deleted = 0",
                      (b"/registry/pods/default/legacy",)).fetchall()
    assert rows
    for rev, value in rows:
        # same lengths, so any framing of the stored bytes stays intact
        new = value.replace(b"affx", b"a fx").replace(b"sprx", b"s/rx").replace(b"12345", b"12a45")
        assert new != value
        db.execute("UPDATE kv SET value = ? WHERE rev = ?", (new, rev))
    db.commit()
    db.close()
    k.start()
    st, body = k.json("GET", PODS + "/legacy")
    assert st == 200, body
    assert body["metadata"]["annotations"][COST_KEY] == "12a45"
    body["metadata"]["labels"] = {"updated": "yes"}
    body["metadata"]["annotations"][COST_KEY] = "also bad"
    st, body = k.json("PUT", PODS + "/legacy", body)
    assert st == 200, body
    assert body["metadata"]["labels"]["updated"] == "yes"
    # the status write of the stored pod takes the same exemption
    st, body = k.json("PUT", PODS + "/legacy/status", body)
    assert st == 200, body
    # a pod stored with valid values gets no exemption
    st, body = k.json("GET", PODS + "/control")
    body["metadata"]["annotations"][COST_KEY] = "also bad"
    assert causes(k, "PUT", PODS + "/control", body)[0] == {
        "reason": "FieldValueInvalid", "field": f"metadata.annotations[{COST_KEY}]",
        "message": 'Invalid value: "also bad": must be a 32bit integer'}
    # the same values on a new pod are refused
    assert causes(k, "POST", PODS, affinity_pod("fresh", "a fx", "s/rx", "12a45")) == [
        {"reason": "FieldValueInvalid", "field": f"metadata.annotations[{COST_KEY}]",
         "message": 'Invalid value: "12a45": must be a 32bit integer'},
        {"reason": "FieldValueInvalid",
         "field": "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector."
                  "matchExpressions[0].values[0]",
         "message": f'Invalid value: "a fx": {LABEL_VALUE_MSG}'},
        {"reason": "FieldValueInvalid",
         "field": "spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values[0]",
         "message": f'Invalid value: "s/rx": {LABEL_VALUE_MSG}'}]


@pytest.fixture(scope="module")
def dra(tmp_path_factory):
    k = Kapi(str(tmp_path_factory.mktemp("kapi-dra")), ["--feature-gates=DynamicResourceAllocation=true"]).start()
    yield k
    k.stop()


def test_container_resource_claims(dra):
    """resources.claims must name entries of spec.resourceClaims (with
    DynamicResourceAllocation on; off, the 1.33 default, the pod strategy
    drops both, see test_9o_pod_claims_gates.py)."""
    kapi = dra
    p = pod("claims", containers=[{"name": "c", "image": "nginx", "resources": {"claims": [
        {"name": "gpu"}, {"name": "gpu"}, {"name": ""}]}}])
    f = "spec.containers[0].resources.claims"
    assert causes(kapi, "POST", PODS, p) == [
        {"reason": "FieldValueNotFound", "field": f + "[0]",
         "message": 'Not found: "gpu": must be one of the names in pod.spec.resourceClaims which is empty'},
        {"reason": "FieldValueDuplicate", "field": f + "[1]", "message": 'Duplicate value: "gpu"'},
        {"reason": "FieldValueNotFound", "field": f + "[1]",
         "message": 'Not found: "gpu": must be one of the names in pod.spec.resourceClaims which is empty'},
        {"reason": "FieldValueRequired", "field": f + "[2]", "message": "Required value"}]
    p = pod("claims-ok", containers=[{"name": "c", "image": "nginx", "resources": {"claims": [{"name": "gpu"}]}}],
            resourceClaims=[{"name": "gpu", "resourceClaimName": "my-claim"}])
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body
    assert body["spec"]["containers"][0]["resources"]["claims"] == [{"name": "gpu"}]
