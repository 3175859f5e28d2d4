"""ValidateResourceQuantityValue's "must be an integer" (kube-apiserver
1.33) for integer resources -- the quota object counts and the extended
resources -- in container resources, ResourceQuota hard/used and Node
capacity/allocatable. The bad value is the resource.Quantity decoded from
the client's text, printed with Go's %#v after the v1 defaults' RoundUp(-3);
an *inf.Dec prints kapi's fixed address. Through raw HTTPS (422 Status and
causes), the python client, kubectl, patches, server-side apply, /status
and a mutating webhook (whose patch makes upstream decode the object's JSON
again: the canonical text becomes the original)."""
import base64
import json
import os
import subprocess
import threading

import pytest

PODS = "/api/v1/namespaces/default/pods"
QUOTAS = "/api/v1/namespaces/default/resourcequotas"
MERGE = {"Content-Type": "application/merge-patch+json"}
APPLY = {"Content-Type": "application/apply-patch+yaml"}
NOT_INT = ": must be an integer"


def qty(value, scale, s="", fmt="DecimalSI", dec=False):
    """resource.Quantity's %#v (value/scale of the int64 path, or the Dec)."""
    if dec:
        value, scale = 0, 0
    return ("resource.Quantity{i:resource.int64Amount{value:%d, scale:%d}, d:resource.infDecAmount{Dec:(*inf.Dec)(%s)}, "
            's:"%s", Format:"%s"}' % (value, scale, "0xc000000000" if dec else "nil", s, fmt))


def pod(name, limits, requests=None):
    res = {"limits": limits}
    if requests is not None:
        res["requests"] = requests
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx", "resources": res}]}}


def causes(body):
    return [(c["reason"], c["field"], c["message"]) for c in body["details"]["causes"]]


def test_pod_over_https(kapi):
    # "1.5": value 15, scale -1, no cached text; requests come from limits
    st, out = kapi.json("POST", PODS, pod("frac", {"example.com/foo": "1.5", "cpu": "1.5"}))
    assert st == 422, out
    lim = "spec.containers[0].resources.limits[example.com/foo]"
    req = "spec.containers[0].resources.requests[example.com/foo]"
    msg = "Invalid value: " + qty(15, -1) + NOT_INT
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": f'Pod "frac" is invalid: [{lim}: {msg}, {req}: {msg}]', "reason": "Invalid",
                   "details": {"name": "frac", "kind": "Pod", "causes": [
                       {"reason": "FieldValueInvalid", "message": msg, "field": lim},
                       {"reason": "FieldValueInvalid", "message": msg, "field": req}]},
                   "code": 422}
    # 1500m keeps its text (scale -3); a JSON number is parsed from its text;
    # 1.1Ki is an *inf.Dec; 1234567u is rounded up to 1235m by the defaults
    for value, want in (("1500m", qty(1500, -3, "1500m")), (0.5, qty(5, -1)),
                        ("1.1Ki", qty(0, 0, fmt="BinarySI", dec=True)), ("1234567u", qty(1235, -3))):
        st, out = kapi.json("POST", PODS, pod("frac", {"example.com/foo": value}, {"example.com/foo": value}))
        assert st == 422, out
        assert causes(out) == [("FieldValueInvalid", lim, "Invalid value: " + want + NOT_INT),
                               ("FieldValueInvalid", req, "Invalid value: " + want + NOT_INT)], value


def test_whole_values_pass(kapi):
    st, out = kapi.json("POST", PODS, pod("whole", {"example.com/a": "2.5k", "example.com/b": "1.5Gi",
                                                    "example.com/c": "1000m", "example.com/d": 3}))
    assert st == 201, out
    assert out["spec"]["containers"][0]["resources"]["requests"] == {
        "example.com/a": "2500", "example.com/b": "1536Mi", "example.com/c": "1", "example.com/d": "3"}


def test_quota_python_client(kapi):
    client, api = kapi.python_client()
    v1 = client.CoreV1Api(api)
    body = client.V1ResourceQuota(metadata=client.V1ObjectMeta(name="pq"),
                                  spec=client.V1ResourceQuotaSpec(hard={"pods": "1.5", "services": "2.5k",
                                                                        "secrets": "1.3Ki", "cpu": "0.5"}))
    with pytest.raises(client.ApiException) as e:
        v1.create_namespaced_resource_quota("default", body)
    assert e.value.status == 422
    out = json.loads(e.value.body)
    assert causes(out) == [
        ("FieldValueInvalid", "spec.hard[pods]", "Invalid value: " + qty(15, -1) + NOT_INT),
        ("FieldValueInvalid", "spec.hard[secrets]", "Invalid value: " + qty(0, 0, fmt="BinarySI", dec=True) + NOT_INT)]
    api.close()


def test_kubectl_create(kapi):
    manifest = ("apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: kq\nspec:\n  hard:\n"
                "    pods: 500m\n")
    p = kapi.kubectl("create", "-f", "-", input=manifest, check=False)
    assert p.returncode == 1
    assert p.stderr.strip() == ('The ResourceQuota "kq" is invalid: spec.hard[pods]: Invalid value: '
                                + qty(500, -3, "500m") + NOT_INT), p.stderr
    p = kapi.kubectl("create", "-f", "-", input=manifest.replace("500m", "2"))
    assert "resourcequota/kq created" in p.stdout


def test_patch_apply_and_status(kapi):
    st, out = kapi.json("POST", QUOTAS, {"metadata": {"name": "pat"}, "spec": {"hard": {"pods": "2"}}})
    assert st == 201, out
    # merge patch: the patch's text is the original
    st, out = kapi.json("PATCH", QUOTAS + "/pat", {"spec": {"hard": {"pods": "2.50"}}}, MERGE)
    assert st == 422 and causes(out) == [
        ("FieldValueInvalid", "spec.hard[pods]", "Invalid value: " + qty(250, -2) + NOT_INT)], out
    # server-side apply: the configuration's text (a YAML number here)
    st, out = kapi.json("PATCH", QUOTAS + "/pat?fieldManager=t&force=true",
                        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pat\nspec:\n  hard:\n    pods: 0.5\n",
                        APPLY)
    assert st == 422 and causes(out) == [
        ("FieldValueInvalid", "spec.hard[pods]", "Invalid value: " + qty(5, -1) + NOT_INT)], out
    # an apply result is stored canonical
    st, out = kapi.json("PATCH", QUOTAS + "/pat?fieldManager=t&force=true",
                        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: pat\nspec:\n  hard:\n"
                        "    pods: '3000m'\n    cpu: 1.5\n", APPLY)
    assert st == 200, out
    assert out["spec"]["hard"] == {"cpu": "1500m", "pods": "3"}
    # the status subresource: status.hard and status.used
    st, out = kapi.json("PATCH", QUOTAS + "/pat/status", {"status": {"hard": {"pods": "3"}, "used": {"pods": "1.5"}}},
                        MERGE)
    assert st == 422 and causes(out) == [
        ("FieldValueInvalid", "status.used[pods]", "Invalid value: " + qty(15, -1) + NOT_INT)], out
    st, cur = kapi.json("GET", QUOTAS + "/pat")
    cur["status"] = {"hard": {"services": " 1.5n"}}
    st, out = kapi.json("PUT", QUOTAS + "/pat/status", cur)
    assert st == 422 and causes(out) == [
        ("FieldValueInvalid", "status.hard[services]", "Invalid value: " + qty(0, 0, dec=True) + NOT_INT)], out


def test_node_capacity(kapi):
    # allocatable defaults to a copy of capacity: the same Quantity twice
    st, out = kapi.json("POST", "/api/v1/nodes", {"metadata": {"name": "qn"},
                                                  "status": {"capacity": {"example.com/dev": "0.25", "pods": "110"}}})
    assert st == 422, out
    want = "Invalid value: " + qty(25, -2) + NOT_INT
    assert causes(out) == [("FieldValueInvalid", "status.capacity.example.com/dev", want),
                           ("FieldValueInvalid", "status.allocatable.example.com/dev", want)]


class QuotaWebhook:
    """Mutating webhook adding spec.hard.services = "0.5" to quotas."""

    def __init__(self, tmp):
        import http.server
        import ssl
        key, crt = os.path.join(tmp, "q.key"), os.path.join(tmp, "q.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=quota-webhook", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.ca = base64.b64encode(open(crt, "rb").read()).decode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                patch = [{"op": "add", "path": "/spec/hard/services", "value": "0.5"}]
                resp = {"uid": review["request"]["uid"], "allowed": True, "patchType": "JSONPatch",
                        "patch": base64.b64encode(json.dumps(patch).encode()).decode()}
                body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                   "response": resp}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}/mutate"


def test_mutating_webhook_reencodes(kapi, tmp_path):
    hook = QuotaWebhook(str(tmp_path))
    kapi.kubectl("create", "namespace", "qwh")
    kapi.kubectl("label", "namespace", "qwh", "quota-webhook=on")
    cfg = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
           "metadata": {"name": "quota-services"},
           "webhooks": [{"name": "services.kapi.test", "clientConfig": {"url": hook.url, "caBundle": hook.ca},
                         "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                                    "resources": ["resourcequotas"]}],
                         "namespaceSelector": {"matchLabels": {"quota-webhook": "on"}},
                         "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}
    kapi.kubectl("apply", "-f", "-", input=json.dumps(cfg))
    try:
        # the client's "1.5" reaches validation as the 1500m of the JSON the
        # webhook's patch was applied to; the webhook's "0.5" as written
        st, out = kapi.json("POST", "/api/v1/namespaces/qwh/resourcequotas",
                            {"metadata": {"name": "wq"}, "spec": {"hard": {"pods": "1.5"}}})
        assert st == 422, out
        assert causes(out) == [
            ("FieldValueInvalid", "spec.hard[pods]", "Invalid value: " + qty(1500, -3, "1500m") + NOT_INT),
            ("FieldValueInvalid", "spec.hard[services]", "Invalid value: " + qty(5, -1) + NOT_INT)]
    finally:
        kapi.kubectl("delete", "mutatingwebhookconfiguration", "quota-services")
        hook.server.shutdown()
        hook.server.server_close()
