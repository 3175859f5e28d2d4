"""Deleting a CustomResourceDefinition as upstream's CRD finalizer does it:
each custom resource is deleted the way DELETE deletes it (those with
finalizers are only marked and stay), the CRD stays with Terminating=True
while any is left, creates of new ones are refused with a 405, updates still
work, and once the last finalizer is removed the object and then the CRD go.
"""
import json

from test_80_crd import install, wait_for

GIZMO_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.example.net
spec:
  group: example.net
  scope: Namespaced
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"""

CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gizmos.example.net"
CR_PATH = "/apis/example.net/v1/namespaces/default/gizmos"


def gizmo(name, finalizers=None):
    md = {"name": name}
    if finalizers:
        md["finalizers"] = finalizers
    return {"apiVersion": "example.net/v1", "kind": "Gizmo", "metadata": md, "spec": {"n": 1}}


def conditions(crd):
    return {c["type"]: c for c in crd.get("status", {}).get("conditions", [])}


def test_crd_deletion_waits_for_custom_resource_finalizers(kapi):
    install(kapi, GIZMO_CRD, "gizmos.example.net")
    st, plain = kapi.json("POST", CR_PATH, gizmo("plain"))
    assert st == 201, plain
    st, held = kapi.json("POST", CR_PATH, gizmo("held", ["example.com/hold"]))
    assert st == 201, held
    assert held["metadata"]["generation"] == 1

    kapi.kubectl("delete", "crd", "gizmos.example.net", "--wait=false")

    # the object without finalizers goes; the one with a finalizer is marked
    assert wait_for(lambda: kapi.json("GET", CR_PATH + "/plain")[0] == 404)
    st, held = kapi.json("GET", CR_PATH + "/held")
    assert st == 200, held
    md = held["metadata"]
    assert md.get("deletionTimestamp")
    assert md["deletionGracePeriodSeconds"] == 0
    assert md["finalizers"] == ["example.com/hold"]
    assert md["generation"] == 2  # moved on when deletion started, as upstream's markAsDeleting

    # the CRD stays, terminating, in upstream's words; its other conditions stay
    def in_progress():
        st, crd = kapi.json("GET", CRD_PATH)
        return st == 200 and conditions(crd).get("Terminating", {}).get("reason") == "InstanceDeletionInProgress"
    assert wait_for(in_progress)
    st, crd = kapi.json("GET", CRD_PATH)
    conds = conditions(crd)
    assert conds["Terminating"]["status"] == "True"
    assert conds["Terminating"]["message"] == "CustomResource deletion is in progress"
    assert conds["Terminating"]["lastTransitionTime"]
    assert conds["Established"]["status"] == "True"
    assert conds["Established"]["reason"] == "InitialNamesAccepted"
    assert conds["NamesAccepted"]["status"] == "True"
    assert "customresourcecleanup.apiextensions.k8s.io" in crd["metadata"]["finalizers"]
    assert crd["metadata"]["deletionTimestamp"]
    # upstream's CRD storage marks the first deletion with the timestamp only
    assert "deletionGracePeriodSeconds" not in crd["metadata"]
    assert crd["metadata"]["generation"] == 1

    # no new objects while terminating: upstream's 405 and message
    st, hdrs, body = kapi.request("POST", CR_PATH, gizmo("late"))
    assert st == 405, body
    assert json.loads(body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "create not allowed while custom resource definition is terminating",
        "reason": "MethodNotAllowed", "details": {"group": "example.net", "kind": "gizmos"}, "code": 405}
    p = kapi.kubectl("create", "-f", "-", check=False, input=json.dumps(gizmo("late2")))
    assert p.returncode != 0
    assert "create not allowed while custom resource definition is terminating" in p.stderr
    assert kapi.json("GET", CR_PATH + "/late")[0] == 404

    # reads and updates of what is left still work
    out = kapi.kubectl("get", "gizmos", "-o", "name").stdout.split()
    assert out == ["gizmo.example.net/held"]
    kapi.kubectl("label", "gizmo", "held", "stage=last")
    st, held = kapi.json("GET", CR_PATH + "/held")
    assert held["metadata"]["labels"] == {"stage": "last"}
    # still there after a few of the controller's passes
    st, crd = kapi.json("GET", CRD_PATH)
    assert st == 200

    # the operator finishes: the object goes, then the CRD
    kapi.kubectl("patch", "gizmo", "held", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    assert wait_for(lambda: kapi.json("GET", CR_PATH + "/held")[0] == 404, timeout=10)
    assert wait_for(lambda: kapi.json("GET", CRD_PATH)[0] == 404, timeout=15)

    def gone_from_discovery():
        st, doc = kapi.json("GET", "/apis/example.net/v1")
        return st == 404 or "gizmos" not in [r["name"] for r in doc["resources"]]
    assert wait_for(gone_from_discovery)


def test_recreated_crd_serves_creates_again(kapi):
    # a CRD deleted without objects goes at once; a new one of that name is
    # not terminating
    install(kapi, GIZMO_CRD, "gizmos.example.net")
    kapi.kubectl("delete", "crd", "gizmos.example.net", "--wait=false")
    assert wait_for(lambda: kapi.json("GET", CRD_PATH)[0] == 404)
    install(kapi, GIZMO_CRD, "gizmos.example.net")
    st, obj = kapi.json("POST", CR_PATH, gizmo("again"))
    assert st == 201, obj
