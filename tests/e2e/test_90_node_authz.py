"""The Node authorizer (--authorization-mode=Node,RBAC, the default) and the
NodeRestriction admission plugin, as a kubelet sees them: the admin
impersonates "system:node:n1" in group "system:nodes". A node reads what
pods bound to it reference and nothing else; it may write Node objects and
pod status (NodeRestriction, when enabled, keeps it to its own), and its
own Lease."""
import json
import time
import urllib.parse

import pytest

from conftest import TOKEN

NODE = {"Impersonate-User": "system:node:n1", "Impersonate-Group": "system:nodes"}
NODE_ARGS = ("--as=system:node:n1", "--as-group=system:nodes")


def create(kapi, path, body):
    st, out = kapi.json("POST", path, body)
    assert st in (200, 201), (st, out)
    return out


def as_node(kapi, method, path, body=None, headers=None):
    h = dict(NODE)
    h.update(headers or {})
    return kapi.json(method, path, body, headers=h)


def merge_patch(kapi, path, body):
    return as_node(kapi, "PATCH", path, body, {"Content-Type": "application/merge-patch+json"})


def forbidden(user, verb, resource, ns, reason, name=None):
    where = f'in the namespace "{ns}"' if ns else "at the cluster scope"
    subject = f'{resource} "{name}"' if name else resource
    return (f'{subject} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "" '
            f'{where}: {reason}')


def settle(fn, timeout=5):
    """fn() until true: the watch cache may trail a write by a moment."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.05)


def make_node(kapi, name):
    return create(kapi, "/api/v1/nodes", {"metadata": {"name": name}})


@pytest.fixture(scope="module")
def cluster(kapi):
    for n in ("n1", "n2"):
        make_node(kapi, n)
    ns = "/api/v1/namespaces/default"
    for s in ("s1", "s2", "envsecret", "pvsecret"):
        create(kapi, f"{ns}/secrets", {"metadata": {"name": s}, "data": {"k": "dg=="}})
    for c in ("cm1", "cm2"):
        create(kapi, f"{ns}/configmaps", {"metadata": {"name": c}, "data": {"k": "v"}})
    create(kapi, f"{ns}/serviceaccounts", {"metadata": {"name": "other"}})
    create(kapi, f"{ns}/persistentvolumeclaims",
           {"metadata": {"name": "data"},
            "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}})
    create(kapi, "/api/v1/persistentvolumes",
           {"metadata": {"name": "pv1"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "claimRef": {"namespace": "default", "name": "data"},
                     "csi": {"driver": "d.example.com", "volumeHandle": "h",
                             "nodePublishSecretRef": {"namespace": "default", "name": "pvsecret"}}}})
    create(kapi, "/api/v1/persistentvolumes",
           {"metadata": {"name": "pv2"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "hostPath": {"path": "/tmp"}}})
    pod = {"metadata": {"name": "p1"},
           "spec": {"nodeName": "n1",
                    "containers": [{"name": "c", "image": "busybox",
                                    "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "envsecret",
                                                                                           "key": "k"}}}],
                                    "envFrom": [{"configMapRef": {"name": "cm1"}}]}],
                    "volumes": [{"name": "s", "secret": {"secretName": "s1"}},
                                {"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}
    create(kapi, f"{ns}/pods", pod)
    create(kapi, f"{ns}/pods",
           {"metadata": {"name": "p2"},
            "spec": {"nodeName": "n2", "containers": [{"name": "c", "image": "busybox"}],
                     "volumes": [{"name": "s", "secret": {"secretName": "s2"}}]}})
    settle(lambda: as_node(kapi, "GET", f"{ns}/secrets/s1")[0] == 200)
    return kapi


def test_reads_secret_of_its_pod_only(cluster):
    k = cluster
    for s in ("s1", "envsecret"):
        st, out = as_node(k, "GET", f"/api/v1/namespaces/default/secrets/{s}")
        assert st == 200, (s, out)
    st, out = as_node(k, "GET", "/api/v1/namespaces/default/secrets/s2")
    assert st == 403
    assert out["message"] == forbidden("system:node:n1", "get", "secrets", "default",
                                       "no relationship found between node 'n1' and this object", "s2")
    assert out["reason"] == "Forbidden" and out["details"] == {"name": "s2", "kind": "secrets"}
    # a list needs a name (the metadata.name field selector)
    st, out = as_node(k, "GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Ds1")
    assert st == 200 and [i["metadata"]["name"] for i in out["items"]] == ["s1"]
    st, out = as_node(k, "GET", "/api/v1/namespaces/default/secrets")
    assert st == 403 and out["message"].endswith(': No Object name found'), out
    # writes are never the node's business
    st, out = as_node(k, "DELETE", "/api/v1/namespaces/default/secrets/s1")
    assert st == 403 and out["message"].endswith(": can only read resources of this type"), out


def test_kubectl_as_node(cluster):
    k = cluster
    p = k.kubectl("get", "secret", "s1", "-o", "name", *NODE_ARGS)
    assert p.stdout.strip() == "secret/s1"
    p = k.kubectl("get", "secret", "s2", *NODE_ARGS, check=False)
    assert p.returncode != 0
    assert "no relationship found between node 'n1' and this object" in p.stderr


def test_configmaps_pvcs_pvs(cluster):
    k = cluster
    assert as_node(k, "GET", "/api/v1/namespaces/default/configmaps/cm1")[0] == 200
    st, out = as_node(k, "GET", "/api/v1/namespaces/default/configmaps/cm2")
    assert st == 403 and "no relationship found between node 'n1'" in out["message"]
    assert as_node(k, "GET", "/api/v1/namespaces/default/persistentvolumeclaims/data")[0] == 200
    # pod -> pvc <- pv (claimRef) <- secret (node-side CSI secret)
    assert as_node(k, "GET", "/api/v1/persistentvolumes/pv1")[0] == 200
    assert as_node(k, "GET", "/api/v1/namespaces/default/secrets/pvsecret")[0] == 200
    st, out = as_node(k, "GET", "/api/v1/persistentvolumes/pv2")
    assert st == 403
    assert out["message"] == ('persistentvolumes "pv2" is forbidden: User "system:node:n1" cannot get resource '
                              '"persistentvolumes" in API group "" at the cluster scope: no relationship found '
                              "between node 'n1' and this object")
    st, out = as_node(k, "GET", "/api/v1/persistentvolumes")
    assert st == 403 and out["message"].endswith(": can only get individual resources of this type")


def test_pods_and_nodes(cluster):
    k = cluster
    assert as_node(k, "GET", "/api/v1/namespaces/default/pods/p1")[0] == 200
    st, out = as_node(k, "GET", "/api/v1/namespaces/default/pods/p2")
    assert st == 403 and "no relationship found between node 'n1'" in out["message"]
    sel = urllib.parse.quote("spec.nodeName=n1")
    st, out = as_node(k, "GET", f"/api/v1/pods?fieldSelector={sel}")
    assert st == 200 and [i["metadata"]["name"] for i in out["items"]] == ["p1"]
    # the kubelet's watch of its pods
    st, hdrs, data = k.request("GET", f"/api/v1/pods?watch=1&timeoutSeconds=1&fieldSelector={sel}", headers=NODE)
    assert st == 200, data
    events = [json.loads(line) for line in data.decode().splitlines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "p1")]
    st, out = as_node(k, "GET", "/api/v1/pods")
    assert st == 403
    assert out["message"] == ('pods is forbidden: User "system:node:n1" cannot list resource "pods" in API group "" '
                              'at the cluster scope: can only list/watch pods with spec.nodeName field selector')
    # its own Node only, also as a list by name
    assert as_node(k, "GET", "/api/v1/nodes/n1")[0] == 200
    assert as_node(k, "GET", "/api/v1/nodes?fieldSelector=metadata.name%3Dn1")[0] == 200
    st, out = as_node(k, "GET", "/api/v1/nodes/n2")
    assert st == 403 and out["message"].endswith(": node 'n1' cannot read 'n2', only its own Node object")
    st, out = as_node(k, "GET", "/api/v1/nodes")
    assert st == 403 and out["message"].endswith(": node 'n1' cannot read all nodes, only its own Node object")
    # pod status of its pods; its own Node status
    st, out = merge_patch(k, "/api/v1/namespaces/default/pods/p1/status", {"status": {"phase": "Running"}})
    assert st == 200 and out["status"]["phase"] == "Running", out
    st, out = merge_patch(k, "/api/v1/nodes/n1/status",
                          {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert st == 200, out
    # static rules: services readable, namespaces not
    assert as_node(k, "GET", "/api/v1/namespaces/default/services")[0] == 200
    st, out = as_node(k, "GET", "/api/v1/namespaces")
    assert st == 403 and out["message"].endswith("at the cluster scope")


def test_service_account_tokens(cluster):
    k = cluster
    pod = k.json("GET", "/api/v1/namespaces/default/pods/p1")[1]
    sa = pod["spec"]["serviceAccountName"]
    tr = {"spec": {"audiences": ["https://kubernetes.default.svc"],
                   "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": "p1",
                                      "uid": pod["metadata"]["uid"]}}}
    st, out = as_node(k, "POST", f"/api/v1/namespaces/default/serviceaccounts/{sa}/token", tr)
    assert st == 201, out
    st, out = as_node(k, "POST", "/api/v1/namespaces/default/serviceaccounts/other/token", tr)
    assert st == 403 and "no relationship found between node 'n1' and this object" in out["message"]


def test_own_lease(cluster):
    k = cluster
    lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
             "metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 40}}
    base = "/apis/coordination.k8s.io/v1/namespaces"
    st, out = as_node(k, "POST", f"{base}/kube-node-lease/leases", lease)
    assert st == 201, out
    assert as_node(k, "GET", f"{base}/kube-node-lease/leases/n1")[0] == 200
    st, out = as_node(k, "GET", f"{base}/kube-node-lease/leases/n2")
    assert st == 403 and out["message"].endswith(
        ": can only access node lease with the same name as the requesting node")
    st, out = as_node(k, "POST", f"{base}/default/leases", lease)
    assert st == 403 and out["message"].endswith(': can only access leases in the "kube-node-lease" system namespace')


def test_access_review_for_node(cluster):
    k = cluster
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "system:node:n1", "groups": ["system:nodes"],
                    "resourceAttributes": {"verb": "get", "resource": "secrets", "namespace": "default",
                                           "name": "s2"}}}
    st, out = k.json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert st == 201 and out["status"]["allowed"] is False
    assert out["status"]["reason"] == "no relationship found between node 'n1' and this object"
    sar["spec"]["resourceAttributes"]["name"] = "s1"
    st, out = k.json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert st == 201 and out["status"]["allowed"] is True


def test_node_restriction(fresh_kapi):
    k = fresh_kapi("--enable-admission-plugins=NodeRestriction").start()
    for n in ("n1", "n2"):
        make_node(k, n)
    settle(lambda: as_node(k, "GET", "/api/v1/nodes/n1")[0] == 200)
    # its own status, not another node's
    st, out = merge_patch(k, "/api/v1/nodes/n1/status",
                          {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert st == 200, out
    st, out = merge_patch(k, "/api/v1/nodes/n2/status",
                          {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    assert st == 403
    assert out["message"] == 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"'
    # labels: kubelet ones yes, node-restriction.kubernetes.io/ and unknown kubernetes.io ones no
    st, out = merge_patch(k, "/api/v1/nodes/n1", {"metadata": {"labels": {"node.kubernetes.io/pool": "a",
                                                                          "example.com/x": "y"}}})
    assert st == 200, out
    st, out = merge_patch(k, "/api/v1/nodes/n1",
                          {"metadata": {"labels": {"node-restriction.kubernetes.io/secure": "true"}}})
    assert st == 403
    assert out["message"] == ('nodes "n1" is forbidden: is not allowed to modify labels: '
                              'node-restriction.kubernetes.io/secure')
    st, out = merge_patch(k, "/api/v1/nodes/n1",
                          {"metadata": {"labels": {"kubernetes.io/role": "master", "a.k8s.io/b": "c"}}})
    assert st == 403 and out["message"].endswith("modify labels: a.k8s.io/b, kubernetes.io/role"), out
    # taints are not the kubelet's to change
    st, out = merge_patch(k, "/api/v1/nodes/n1", {"spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]}})
    assert st == 403 and out["message"] == 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints'
    # registering with a forbidden label
    st, out = as_node(k, "POST", "/api/v1/nodes",
                      {"metadata": {"name": "n1x", "labels": {"node-restriction.kubernetes.io/a": "b"}}})
    assert st == 403
    assert out["message"] == 'nodes "n1x" is forbidden: node "n1" is not allowed to modify node "n1x"'
    # a lease of its own name only
    base = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
    st, out = as_node(k, "POST", base, {"metadata": {"name": "n2"}, "spec": {"holderIdentity": "n1"}})
    assert st == 403
    assert out["message"] == ('leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the '
                              'same name as the requesting node')
    st, out = as_node(k, "POST", base, {"metadata": {"name": "n1"}, "spec": {"holderIdentity": "n1"}})
    assert st == 201, out
    # pods: only mirror pods bound to itself
    st, out = as_node(k, "POST", "/api/v1/namespaces/default/pods",
                      {"metadata": {"name": "x"},
                       "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]}})
    assert st == 403
    assert out["message"] == ('pods "x" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, '
                              'node "n1" can only create mirror pods')
    node = k.json("GET", "/api/v1/nodes/n1")[1]
    mirror = {"metadata": {"name": "static-n1", "annotations": {"kubernetes.io/config.mirror": "abc"},
                           "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "n1",
                                                "uid": node["metadata"]["uid"], "controller": True}]},
              "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "busybox"}]}}
    st, out = as_node(k, "POST", "/api/v1/namespaces/default/pods", mirror)
    assert st == 201, out
    # pod status only for its own pods
    create(k, "/api/v1/namespaces/default/pods",
           {"metadata": {"name": "other"},
            "spec": {"nodeName": "n2", "containers": [{"name": "c", "image": "busybox"}]}})
    st, out = merge_patch(k, "/api/v1/namespaces/default/pods/other/status", {"status": {"phase": "Running"}})
    assert st == 403
    assert out["message"] == ('pods "other" is forbidden: node "n1" can only update pod status for pods with '
                              'spec.nodeName set to itself')
    # other users are not restricted
    st, out = k.json("PATCH", "/api/v1/nodes/n2", {"metadata": {"labels": {"node-restriction.kubernetes.io/a": "b"}}},
                     headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, out


def test_node_restriction_off_by_default(cluster):
    # without the plugin, the authorizer alone lets a node write any Node
    st, out = merge_patch(cluster, "/api/v1/nodes/n2",
                          {"metadata": {"labels": {"node-restriction.kubernetes.io/a": "b"}}})
    assert st == 200, out


def test_node_mode_alone(fresh_kapi):
    """--authorization-mode=Node: kubelets get their rules, system:masters
    passes (upstream's privileged-group authorizer), everyone else is denied."""
    k = fresh_kapi("--authorization-mode=Node").start()
    make_node(k, "n1")
    assert settle(lambda: as_node(k, "GET", "/api/v1/nodes/n1")[0] == 200)
    st, out = as_node(k, "GET", "/api/v1/namespaces")
    assert st == 403 and out["message"] == ('namespaces is forbidden: User "system:node:n1" cannot list resource '
                                            '"namespaces" in API group "" at the cluster scope')
    st, _ = k.json("GET", "/api/v1/namespaces")
    assert st == 200
    st, out = k.json("GET", "/api/v1/namespaces", headers={"Authorization": "Bearer " + TOKEN}, client_cert=False)
    assert st == 403, out


def test_rbac_before_node(fresh_kapi):
    """--authorization-mode=RBAC,Node: RBAC is asked first; its empty reason
    and Node's are joined as upstream's union authorizer joins them."""
    k = fresh_kapi("--authorization-mode=RBAC,Node").start()
    make_node(k, "n1")
    make_node(k, "n2")
    assert settle(lambda: as_node(k, "GET", "/api/v1/nodes/n1")[0] == 200)
    st, out = as_node(k, "GET", "/api/v1/nodes/n2")
    assert st == 403 and out["message"].endswith(": node 'n1' cannot read 'n2', only its own Node object")
