"""The status and scale subresources and the spec/status split."""
import json


def test_kubectl_scale_and_scale_subresource(kapi):
    kapi.kubectl("create", "deployment", "scl", "--image=nginx")
    assert kapi.kubectl("scale", "deploy", "scl", "--replicas=4").stdout.strip() == "deployment.apps/scl scaled"
    d = json.loads(kapi.kubectl("get", "deploy", "scl", "-o", "json").stdout)
    assert d["spec"]["replicas"] == 4 and d["metadata"]["generation"] == 2
    st, scale = kapi.json("GET", "/apis/apps/v1/namespaces/default/deployments/scl/scale")
    assert st == 200 and scale["kind"] == "Scale" and scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 4} and scale["status"] == {"replicas": 0, "selector": "app=scl"}
    assert scale["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]
    scale["spec"]["replicas"] = -1
    st, err = kapi.json("PUT", "/apis/apps/v1/namespaces/default/deployments/scl/scale", scale)
    assert st == 422
    assert err["message"] == 'Scale.autoscaling "scl" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    scale["spec"]["replicas"] = 2
    st, out = kapi.json("PUT", "/apis/apps/v1/namespaces/default/deployments/scl/scale", scale)
    assert st == 200 and out["spec"]["replicas"] == 2
    stale = dict(scale)
    st, err = kapi.json("PUT", "/apis/apps/v1/namespaces/default/deployments/scl/scale", stale)
    assert st == 409  # resourceVersion in the Scale is a precondition


def test_status_subresource_split(kapi):
    kapi.kubectl("create", "deployment", "spl", "--image=nginx")
    base = "/apis/apps/v1/namespaces/default/deployments/spl"
    merge = {"Content-Type": "application/merge-patch+json"}
    # /status changes status only
    st, d = kapi.json("PATCH", base + "/status", {"status": {"replicas": 3, "readyReplicas": 3}, "spec": {"replicas": 9},
                                                  "metadata": {"labels": {"sneaky": "x"}}}, headers=merge)
    assert st == 200 and d["status"]["readyReplicas"] == 3 and d["spec"]["replicas"] == 1
    assert "sneaky" not in d["metadata"].get("labels", {})
    assert d["metadata"]["generation"] == 1
    # the main resource ignores status
    st, d = kapi.json("PATCH", base, {"status": {"readyReplicas": 0}, "spec": {"paused": True}}, headers=merge)
    assert st == 200 and d["status"]["readyReplicas"] == 3 and d["spec"]["paused"] is True
    assert d["metadata"]["generation"] == 2
    st, g = kapi.json("GET", base + "/status")
    assert st == 200 and g["kind"] == "Deployment" and g["status"]["readyReplicas"] == 3
    # kubectl --subresource=status
    out = kapi.kubectl("patch", "deploy", "spl", "--subresource=status", "--type=merge",
                       "-p", '{"status":{"observedGeneration":2}}', "-o", "json").stdout
    assert json.loads(out)["status"]["observedGeneration"] == 2


def test_unserved_subresource_is_405(kapi):
    # pods/log is served for GET only (tests/e2e/test_96_kubelet_proxy.py)
    st, err = kapi.json("POST", "/api/v1/namespaces/default/pods/x/log", {})
    assert st == 405 and err["reason"] == "MethodNotAllowed"


def pod(name, labels=None):
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "i"}]}}


def test_binding(kapi):
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod("bind1"))[0] == 201
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods/bind1/binding",
                         {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bind1"},
                          "target": {"apiVersion": "v1", "kind": "Node", "name": "node-1"}})
    assert st == 201 and body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
    st, p = kapi.json("GET", "/api/v1/namespaces/default/pods/bind1")
    assert p["spec"]["nodeName"] == "node-1"
    assert [c["type"] for c in p["status"]["conditions"]] == ["PodScheduled"]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods/bind1/binding",
                         {"metadata": {"name": "bind1"}, "target": {"kind": "Node", "name": "node-2"}})
    assert st == 409 and body["message"] == ('Operation cannot be fulfilled on pods/binding "bind1": '
                                            'pod bind1 is already assigned to node "node-1"')
    # the bindings resource names the pod in the Binding
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod("bind2"))[0] == 201
    st, _ = kapi.json("POST", "/api/v1/namespaces/default/bindings",
                      {"metadata": {"name": "bind2"}, "target": {"kind": "Node", "name": "node-3"}})
    assert st == 201
    assert kapi.json("GET", "/api/v1/namespaces/default/pods/bind2")[1]["spec"]["nodeName"] == "node-3"


def test_eviction_and_disruption_budgets(kapi):
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod("evict1"))[0] == 201
    ev = {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "evict1"}}
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods/evict1/eviction", ev)
    assert st == 201 and body["status"] == "Success"
    assert kapi.json("GET", "/api/v1/namespaces/default/pods/evict1")[0] == 404
    # a budget that allows no disruption refuses with 429
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod("evict2", {"app": "guarded"}))[0] == 201
    # a Pending pod is not guarded (upstream's canIgnorePDB): make it Running and Ready
    st, _ = kapi.json("PATCH", "/api/v1/namespaces/default/pods/evict2/status",
                      {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
                      headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200
    st, _ = kapi.json("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
                      {"metadata": {"name": "guard"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "guarded"}}}})
    assert st == 201
    ev["metadata"]["name"] = "evict2"
    st, hdrs, data = kapi.request("POST", "/api/v1/namespaces/default/pods/evict2/eviction", ev)
    body = json.loads(data)
    assert st == 429 and body["reason"] == "TooManyRequests"
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"][0]["reason"] == "DisruptionBudget"
    assert kapi.json("GET", "/api/v1/namespaces/default/pods/evict2")[0] == 200


def test_namespace_finalize_and_csr_approval(fresh_kapi):
    k = fresh_kapi("--controllers", "*,-namespace-controller").start()
    assert k.json("POST", "/api/v1/namespaces", {"metadata": {"name": "fin"}})[0] == 201
    assert k.json("DELETE", "/api/v1/namespaces/fin")[0] == 200
    st, ns = k.json("GET", "/api/v1/namespaces/fin")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    # a main-resource update does not finish it
    ns["metadata"]["labels"]["x"] = "y"
    assert k.json("PUT", "/api/v1/namespaces/fin", ns)[0] == 200
    assert k.json("GET", "/api/v1/namespaces/fin")[0] == 200
    # /finalize with no finalizers left does
    st, ns = k.json("GET", "/api/v1/namespaces/fin")
    ns["spec"]["finalizers"] = []
    st, _ = k.json("PUT", "/api/v1/namespaces/fin/finalize", ns)
    assert st == 200
    assert k.json("GET", "/api/v1/namespaces/fin")[0] == 404
    # CSR approval changes only the conditions
    import base64
    import subprocess
    pem = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", "/dev/null", "-subj", "/CN=someone"],
                         capture_output=True, check=True).stdout
    csr = {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": {"name": "c1"},
           "spec": {"request": base64.b64encode(pem).decode(), "signerName": "example.com/s", "usages": ["client auth"]}}
    st, created = k.json("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", csr)
    assert st == 201, created
    created["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "Test", "message": "ok"}]}
    created["spec"]["signerName"] = "changed.example.com/s"
    st, out = k.json("PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/c1/approval", created)
    assert st == 200 and out["status"]["conditions"][0]["type"] == "Approved"
    assert out["spec"]["signerName"] == "example.com/s"


def test_graceful_deletion_of_pods_no_kubelet_owns(kapi):
    """A pod bound to a node ends gracefully: deletionTimestamp is the
    deadline, deletionGracePeriodSeconds the grace; with no kubelet (the node
    does not exist) the pod garbage collector removes it once the grace is
    over. An unscheduled pod goes at once."""
    import time as _t
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bound"},
           "spec": {"nodeName": "ghost-node", "containers": [{"name": "c", "image": "nginx"}]}}
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod)[0] == 201
    st, out = kapi.json("DELETE", "/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=2")
    assert st == 200
    assert out["metadata"]["deletionGracePeriodSeconds"] == 2 and out["metadata"]["deletionTimestamp"]
    st, still = kapi.json("GET", "/api/v1/namespaces/default/pods/bound")
    assert st == 200 and still["metadata"]["deletionTimestamp"]
    deadline = _t.time() + 20
    while _t.time() < deadline and kapi.json("GET", "/api/v1/namespaces/default/pods/bound")[0] == 200:
        _t.sleep(0.2)
    assert kapi.json("GET", "/api/v1/namespaces/default/pods/bound")[0] == 404
    # no node: gone at once
    pod2 = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "unbound"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod2)[0] == 201
    st, out = kapi.json("DELETE", "/api/v1/namespaces/default/pods/unbound")
    assert st == 200 and kapi.json("GET", "/api/v1/namespaces/default/pods/unbound")[0] == 404
    # kubectl delete waits for a bound pod with --grace-period and returns once it is gone
    pod["metadata"]["name"] = "bound2"
    assert kapi.json("POST", "/api/v1/namespaces/default/pods", pod)[0] == 201
    assert 'pod "bound2" deleted' in kapi.kubectl("delete", "pod", "bound2", "--grace-period=1").stdout
    assert kapi.json("GET", "/api/v1/namespaces/default/pods/bound2")[0] == 404
