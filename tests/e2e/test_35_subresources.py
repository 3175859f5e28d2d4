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
    st, d = kapi.json("PATCH", base + "/status", {"status": {"readyReplicas": 3}, "spec": {"replicas": 9},
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
    st, err = kapi.json("GET", "/api/v1/namespaces/default/pods/x/log")
    assert st == 405 and err["reason"] == "MethodNotAllowed"
