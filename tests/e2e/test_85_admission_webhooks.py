"""Dynamic admission: ValidatingWebhookConfiguration and
MutatingWebhookConfiguration objects registered with kubectl, an HTTPS
webhook server on a thread here (certificate for IP 127.0.0.1 made with the
openssl CLI), and what kube-apiserver v1.33 answers: denials with the
webhook's message, JSON patches stored, namespaceSelector, failurePolicy
Ignore vs Fail, and warnings."""
import base64
import json
import os
import socket
import subprocess
import threading
import time

import pytest

WH_NS = "wh-on"
OFF_NS = "wh-off"


class AdmissionWebhook:
    """HTTPS AdmissionReview server: /validate denies names starting with
    "bad" (and warns about configmaps), /mutate adds the label mutated=yes."""

    def __init__(self, tmp):
        import http.server
        import ssl
        key, crt = os.path.join(tmp, "adm.key"), os.path.join(tmp, "adm.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=admission-webhook", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True)
        self.ca = base64.b64encode(open(crt, "rb").read()).decode()
        self.reviews = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.reviews.append((self.path, review))
                req = review["request"]
                obj = req.get("object") or {}
                name = obj.get("metadata", {}).get("name", "")
                resp = {"uid": req["uid"], "allowed": True}
                if self.path.startswith("/guard"):
                    old = (req.get("oldObject") or {}).get("metadata", {}).get("name", "")
                    if req["operation"] == "DELETE" and old.startswith("keep"):
                        resp["allowed"] = False
                        resp["status"] = {"code": 403, "reason": "Forbidden", "message": f"{old} is protected"}
                elif self.path.startswith("/validate"):
                    if name.startswith("bad"):
                        resp["allowed"] = False
                        resp["status"] = {"message": f"name {name} is not allowed"}
                    if req["resource"]["resource"] == "configmaps":
                        resp["warnings"] = [f"configmap {name} checked by webhook"]
                elif self.path.startswith("/resources"):
                    # non-canonical quantities and fields no Pod has
                    patch = [{"op": "add", "path": "/spec/containers/0/resources",
                              "value": {"limits": {"memory": "1024Mi", "cpu": "1000m"}, "requests": {"cpu": "0.5"}}},
                             {"op": "add", "path": "/spec/containers/0/madeUp", "value": "x"},
                             {"op": "add", "path": "/spec/madeUp", "value": {"a": 1}}]
                    resp["patchType"] = "JSONPatch"
                    resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
                elif self.path.startswith("/crd"):
                    patch = [{"op": "add", "path": "/spec/amount", "value": "1000m"},
                             {"op": "add", "path": "/spec/madeUp", "value": "x"},
                             {"op": "remove", "path": "/spec/replicas"}]
                    resp["patchType"] = "JSONPatch"
                    resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
                elif self.path.startswith("/typeerr"):
                    patch = [{"op": "replace", "path": "/spec/containers/0/name", "value": 5}]
                    resp["patchType"] = "JSONPatch"
                    resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
                elif self.path.startswith("/mutate"):
                    labels = obj.get("metadata", {}).get("labels") or {}
                    if "fix-me" in labels:  # replaces an invalid label set
                        patch = [{"op": "replace", "path": "/metadata/labels", "value": {"mutated": "yes"}}]
                    elif "break-me" in labels:  # produces an invalid object
                        patch = [{"op": "add", "path": "/metadata/labels/not~1valid~1key", "value": "x"}]
                    elif obj.get("metadata", {}).get("labels") is None:
                        patch = [{"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}]
                    else:
                        patch = [{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"}]
                    resp["patchType"] = "JSONPatch"
                    resp["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
                    if "bad-base64" in labels:  # "[]" twice: data after the padding
                        resp["patch"] = "W10=W10="
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
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def apply(kapi, obj):
    kapi.kubectl("apply", "-f", "-", input=json.dumps(obj))


def eventually(fn, timeout=10):
    """Retries fn until it stops raising AssertionError (configurations reach
    the admission plugins through the watch cache)."""
    deadline = time.time() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def configmap(name, labels=None):
    md = {"name": name}
    if labels:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": {"k": "v"}}


@pytest.fixture(scope="module")
def hook(kapi, tmp_path_factory):
    h = AdmissionWebhook(str(tmp_path_factory.mktemp("admission-webhook")))
    kapi.kubectl("create", "namespace", WH_NS)
    kapi.kubectl("label", "namespace", WH_NS, "webhook=on")
    kapi.kubectl("create", "namespace", OFF_NS)
    rules = [{"operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"],
              "resources": ["configmaps"]}]
    selector = {"matchLabels": {"webhook": "on"}}
    apply(kapi, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "deny-bad"},
        "webhooks": [{"name": "deny.kapi.test", "clientConfig": {"url": h.url("/validate"), "caBundle": h.ca},
                      "rules": rules, "namespaceSelector": selector, "sideEffects": "None",
                      "admissionReviewVersions": ["v1"]}]})
    apply(kapi, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "add-label"},
        "webhooks": [{"name": "label.kapi.test", "clientConfig": {"url": h.url("/mutate"), "caBundle": h.ca},
                      "rules": rules, "namespaceSelector": selector, "sideEffects": "None",
                      "admissionReviewVersions": ["v1"]}]})
    yield h
    kapi.kubectl("delete", "validatingwebhookconfiguration", "deny-bad", "--ignore-not-found")
    kapi.kubectl("delete", "mutatingwebhookconfiguration", "add-label", "--ignore-not-found")
    h.stop()


def test_configuration_defaults(kapi, hook):
    cfg = json.loads(kapi.kubectl("get", "validatingwebhookconfiguration", "deny-bad", "-o", "json").stdout)
    w = cfg["webhooks"][0]
    assert w["failurePolicy"] == "Fail"
    assert w["matchPolicy"] == "Equivalent"
    assert w["timeoutSeconds"] == 10
    assert w["objectSelector"] == {}
    assert w["rules"][0]["scope"] == "*"


def test_denial_message(kapi, hook):
    def denied():
        p = kapi.kubectl("create", "configmap", "bad-one", "-n", WH_NS, "--from-literal=a=b", check=False)
        assert p.returncode != 0, p.stdout
        return p
    p = eventually(denied)
    assert 'admission webhook "deny.kapi.test" denied the request: name bad-one is not allowed' in p.stderr
    status, body = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/configmaps", configmap("bad-two"))
    assert status == 400, body
    assert body["kind"] == "Status"
    assert body["status"] == "Failure"
    assert body["code"] == 400
    assert body["message"] == 'admission webhook "deny.kapi.test" denied the request: name bad-two is not allowed'
    # the review the webhook saw
    path, review = [r for r in hook.reviews if r[0].startswith("/validate")][-1]
    assert path == "/validate?timeout=10s"
    req = review["request"]
    assert review["apiVersion"] == "admission.k8s.io/v1" and review["kind"] == "AdmissionReview"
    assert req["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert req["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
    assert req["operation"] == "CREATE" and req["namespace"] == WH_NS and req["name"] == "bad-two"
    assert req["oldObject"] is None and req["dryRun"] is False
    assert req["options"]["kind"] == "CreateOptions" and req["options"]["apiVersion"] == "meta.k8s.io/v1"
    assert req["object"]["metadata"]["labels"] == {"mutated": "yes"}  # mutating webhooks ran first
    assert status == 400


def test_mutation_is_stored(kapi, hook):
    def created():
        kapi.kubectl("delete", "configmap", "good", "-n", WH_NS, "--ignore-not-found")
        kapi.kubectl("create", "configmap", "good", "-n", WH_NS, "--from-literal=a=b")
        cm = json.loads(kapi.kubectl("get", "configmap", "good", "-n", WH_NS, "-o", "json").stdout)
        assert cm["metadata"].get("labels") == {"mutated": "yes"}, cm
    eventually(created)
    # an update passes through the mutating webhook as well, keeping other labels
    kapi.kubectl("label", "configmap", "good", "-n", WH_NS, "extra=1")
    cm = json.loads(kapi.kubectl("get", "configmap", "good", "-n", WH_NS, "-o", "json").stdout)
    assert cm["metadata"]["labels"] == {"mutated": "yes", "extra": "1"}


def test_webhooks_see_system_fields_as_upstream(kapi, hook):
    """As kube-apiserver: the object a mutating webhook gets on create has no
    uid, creation time or generated name yet (the store fills them in after
    mutating admission, and wipes any the client sent); the validating
    webhook sees the object as it will be stored."""
    body = configmap("")
    del body["metadata"]["name"]
    body["metadata"]["generateName"] = "seen-"
    body["metadata"]["uid"] = "client-chosen-uid"
    body["metadata"]["creationTimestamp"] = "2001-01-01T00:00:00Z"

    def created():
        n = len(hook.reviews)
        status, out = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/configmaps", body)
        assert status == 201, out
        assert out["metadata"]["labels"] == {"mutated": "yes"}
        return n, out
    n, out = eventually(created)
    name, uid = out["metadata"]["name"], out["metadata"]["uid"]
    assert name.startswith("seen-") and len(name) == len("seen-") + 5
    assert uid != "client-chosen-uid" and out["metadata"]["creationTimestamp"] != "2001-01-01T00:00:00Z"
    mine = [(p, r["request"]) for p, r in hook.reviews[n:]
            if r["request"]["operation"] == "CREATE" and
            (r["request"]["object"]["metadata"].get("generateName") == "seen-")]
    mutating = [req for p, req in mine if p.startswith("/mutate")]
    validating = [req for p, req in mine if p.startswith("/validate")]
    assert mutating and validating, mine
    m = mutating[-1]
    assert m.get("name", "") == "" and "name" not in m["object"]["metadata"], m  # name is omitempty
    assert "uid" not in m["object"]["metadata"] and "creationTimestamp" not in m["object"]["metadata"], m
    v = validating[-1]
    assert v["name"] == name
    assert v["object"]["metadata"]["name"] == name and v["object"]["metadata"]["uid"] == uid
    assert v["object"]["metadata"]["labels"] == {"mutated": "yes"}


def pod_hook_config(hook, name, path, **extra):
    w = {"name": f"{name}.kapi.test", "clientConfig": {"url": hook.url(path), "caBundle": hook.ca},
         "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
         "objectSelector": {"matchLabels": {"hook": name}}, "sideEffects": "None",
         "admissionReviewVersions": ["v1"]}
    w.update(extra)
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
            "metadata": {"name": name}, "webhooks": [w]}


def hooked_pod(name, label):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"hook": label}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def test_patched_object_is_decoded_canonically(kapi, hook):
    """As kube-apiserver: the patched JSON is decoded into the typed object
    again (a non-strict decoder) and defaulted, so what is returned and
    stored has canonical quantities, and fields a Pod does not have are
    dropped without an error or a warning."""
    apply(kapi, pod_hook_config(hook, "resources", "/resources"))
    try:
        def created():
            kapi.json("DELETE", f"/api/v1/namespaces/{WH_NS}/pods/canon?gracePeriodSeconds=0")
            status, hdrs, data = kapi.request("POST", f"/api/v1/namespaces/{WH_NS}/pods",
                                              hooked_pod("canon", "resources"))
            assert status == 201, data
            assert b'"resources":{' in data, data
            return hdrs, data
        hdrs, data = eventually(created)
        assert b'"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"500m","memory":"1Gi"}' in data, data
        assert b"madeUp" not in data
        assert "madeup" not in hdrs.get("warning", "").lower(), hdrs
        for body in (json.loads(data), kapi.json("GET", f"/api/v1/namespaces/{WH_NS}/pods/canon")[1]):
            c = body["spec"]["containers"][0]
            assert c["resources"] == {"limits": {"cpu": "1", "memory": "1Gi"},
                                      "requests": {"cpu": "500m", "memory": "1Gi"}}, c
            assert "madeUp" not in c and "madeUp" not in body["spec"], body
        status, _, data = kapi.request("GET", f"/api/v1/namespaces/{WH_NS}/pods/canon")
        assert b'"limits":{"cpu":"1","memory":"1Gi"}' in data, data
    finally:
        kapi.json("DELETE", f"/api/v1/namespaces/{WH_NS}/pods/canon?gracePeriodSeconds=0")
        kapi.kubectl("delete", "mutatingwebhookconfiguration", "resources", "--ignore-not-found")


def test_patched_object_that_does_not_decode(kapi, hook):
    """A patch giving a field the wrong type fails the decode: upstream's
    InternalError with the decoder's text, not a calling error, so
    failurePolicy Ignore does not let the request through."""
    apply(kapi, pod_hook_config(hook, "typeerr", "/typeerr", failurePolicy="Ignore"))
    try:
        def failed():
            status, body = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/pods", hooked_pod("typeerr", "typeerr"))
            assert status == 500, body
            return body
        body = eventually(failed)
        assert body["reason"] == "InternalError"
        assert body["message"] == ("Internal error occurred: json: cannot unmarshal number into Go struct field "
                                   "Container.spec.containers.name of type string")
        assert kapi.json("GET", f"/api/v1/namespaces/{WH_NS}/pods/typeerr")[0] == 404
    finally:
        kapi.kubectl("delete", "mutatingwebhookconfiguration", "typeerr", "--ignore-not-found")


GADGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.wh.example.com"},
    "spec": {"group": "wh.example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {
                     "amount": {"type": "string"}, "replicas": {"type": "integer", "default": 1}}}}}}}]}}


def test_patched_custom_resource_is_pruned_and_defaulted(kapi, hook):
    """A custom resource is unstructured upstream: the webhook's strings are
    kept as written (no quantity canonicalization), fields outside the
    schema are pruned, and the schema defaults run again on the patch."""
    apply(kapi, GADGET_CRD)
    kapi.kubectl("wait", "--for", "condition=Established", "--timeout=15s", "crd/gadgets.wh.example.com")
    cfg = pod_hook_config(hook, "crd", "/crd")
    cfg["webhooks"][0]["rules"] = [{"operations": ["CREATE"], "apiGroups": ["wh.example.com"],
                                    "apiVersions": ["v1"], "resources": ["gadgets"]}]
    apply(kapi, cfg)
    try:
        def created():
            kapi.json("DELETE", f"/apis/wh.example.com/v1/namespaces/{WH_NS}/gadgets/g")
            status, body = kapi.json("POST", f"/apis/wh.example.com/v1/namespaces/{WH_NS}/gadgets",
                                     {"apiVersion": "wh.example.com/v1", "kind": "Gadget",
                                      "metadata": {"name": "g", "labels": {"hook": "crd"}},
                                      "spec": {"replicas": 3}})
            assert status == 201, body
            assert "amount" in body["spec"], body
            return body
        body = eventually(created)
        for obj in (body, kapi.json("GET", f"/apis/wh.example.com/v1/namespaces/{WH_NS}/gadgets/g")[1]):
            assert obj["spec"] == {"amount": "1000m", "replicas": 1}, obj
    finally:
        kapi.kubectl("delete", "mutatingwebhookconfiguration", "crd", "--ignore-not-found")
        kapi.kubectl("delete", "crd", "gadgets.wh.example.com", "--ignore-not-found")


def test_patch_that_is_not_base64(kapi, hook):
    """The response's patch is a []byte: Go's decoder error, with its offset,
    fails the call."""
    def failed():
        status, body = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/configmaps",
                                 configmap("b64", {"bad-base64": "1"}))
        assert status == 500, body
        return body
    body = eventually(failed)
    assert body["reason"] == "InternalError"
    assert body["message"] == ('Internal error occurred: failed calling webhook "label.kapi.test": '
                               'failed to call webhook: illegal base64 data at input byte 4')


def test_mutation_comes_before_validation(kapi, hook):
    """As upstream: mutating admission runs before the object is validated,
    so a webhook may repair an object and must not break one."""
    fixed = configmap("repaired", {"fix-me": "not a valid label value!"})

    def repaired():
        kapi.json("DELETE", f"/api/v1/namespaces/{WH_NS}/configmaps/repaired")
        status, body = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/configmaps", fixed)
        assert status == 201, body
        assert body["metadata"]["labels"] == {"mutated": "yes"}
    eventually(repaired)
    # without the webhook (namespace not selected) the same body is invalid
    status, body = kapi.json("POST", f"/api/v1/namespaces/{OFF_NS}/configmaps", fixed)
    assert status == 422 and body["reason"] == "Invalid", body
    # what a webhook adds is validated too
    status, body = kapi.json("POST", f"/api/v1/namespaces/{WH_NS}/configmaps", configmap("broken", {"break-me": "1"}))
    assert status == 422, body
    assert body["details"]["causes"][0]["field"] == "metadata.labels"
    assert "not/valid/key" in body["details"]["causes"][0]["message"]
    # on update as well
    kapi.kubectl("create", "configmap", "to-break", "-n", WH_NS, "--from-literal=a=b")
    p = kapi.kubectl("label", "configmap", "to-break", "-n", WH_NS, "break-me=1", check=False)
    assert p.returncode != 0 and "is invalid" in p.stderr, p.stderr


def test_missing_namespace_before_validation(kapi):
    """NamespaceLifecycle is the first mutating plugin: an invalid object in a
    namespace that does not exist gets 404 for the namespace, not 422."""
    status, body = kapi.json("POST", "/api/v1/namespaces/no-such-ns/configmaps",
                             configmap("x", {"bad": "not a valid label value!"}))
    assert status == 404, body
    assert body["message"] == 'namespaces "no-such-ns" not found'


def test_namespace_selector(kapi, hook):
    p = kapi.kubectl("create", "configmap", "bad-elsewhere", "-n", OFF_NS, "--from-literal=a=b", check=False)
    assert p.returncode == 0, p.stderr
    cm = json.loads(kapi.kubectl("get", "configmap", "bad-elsewhere", "-n", OFF_NS, "-o", "json").stdout)
    assert "labels" not in cm["metadata"]


def test_dry_run_calls_webhooks(kapi, hook):
    n = len(hook.reviews)
    p = kapi.kubectl("create", "configmap", "bad-dry", "-n", WH_NS, "--from-literal=a=b", "--dry-run=server",
                     check=False)
    assert p.returncode != 0
    assert 'admission webhook "deny.kapi.test" denied the request: name bad-dry is not allowed' in p.stderr
    assert any(r[1]["request"]["dryRun"] is True for r in hook.reviews[n:])


def test_warnings_reach_kubectl(kapi, hook):
    p = kapi.kubectl("create", "configmap", "warned", "-n", WH_NS, "--from-literal=a=b")
    assert "Warning: configmap warned checked by webhook" in p.stderr


def test_failure_policy(kapi, hook):
    port = closed_port()
    cfg = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "down"},
        "webhooks": [{"name": "down.kapi.test",
                      "clientConfig": {"url": f"https://127.0.0.1:{port}/down", "caBundle": hook.ca},
                      "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                                 "resources": ["configmaps"]}],
                      "objectSelector": {"matchLabels": {"down": "yes"}},
                      "failurePolicy": "Ignore", "timeoutSeconds": 5,
                      "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}
    apply(kapi, cfg)
    try:
        # Ignore: the request goes through
        status, body = kapi.json("POST", f"/api/v1/namespaces/{OFF_NS}/configmaps",
                                 configmap("ignored", {"down": "yes"}))
        assert status == 201, body
        # Fail: upstream's InternalError
        cfg["webhooks"][0]["failurePolicy"] = "Fail"
        apply(kapi, cfg)

        def fails():
            status, body = kapi.json("POST", f"/api/v1/namespaces/{OFF_NS}/configmaps",
                                     configmap("refused", {"down": "yes"}))
            assert status == 500, body
            return body
        body = eventually(fails)
        assert body["reason"] == "InternalError"
        assert body["message"] == (
            'Internal error occurred: failed calling webhook "down.kapi.test": failed to call webhook: '
            f'Post "https://127.0.0.1:{port}/down?timeout=5s": dial tcp 127.0.0.1:{port}: connect: '
            'connection refused')
        # objects the selector does not pick are not affected
        status, body = kapi.json("POST", f"/api/v1/namespaces/{OFF_NS}/configmaps", configmap("unlabelled"))
        assert status == 201, body
    finally:
        kapi.kubectl("delete", "validatingwebhookconfiguration", "down", "--ignore-not-found")


def test_webhook_configurations_are_exempt(kapi, hook):
    # a webhook matching everything never sees webhook configurations
    cfg = {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "bad-everything"},
        "webhooks": [{"name": "all.kapi.test", "clientConfig": {"url": hook.url("/validate"), "caBundle": hook.ca},
                      "rules": [{"operations": ["*"], "apiGroups": ["admissionregistration.k8s.io"],
                                 "apiVersions": ["*"], "resources": ["*"]}],
                      "sideEffects": "None", "admissionReviewVersions": ["v1"]}]}
    apply(kapi, cfg)
    time.sleep(0.5)
    apply(kapi, dict(cfg, metadata={"name": "bad-everything", "labels": {"x": "y"}}))
    kapi.kubectl("delete", "validatingwebhookconfiguration", "bad-everything")


def test_delete_goes_through_validating_webhooks(kapi, hook):
    apply(kapi, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "guard-delete"},
        "webhooks": [{"name": "guard.kapi.test", "clientConfig": {"url": hook.url("/guard"), "caBundle": hook.ca},
                      "rules": [{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"],
                                 "resources": ["configmaps"]}],
                      "sideEffects": "None", "admissionReviewVersions": ["v1"]}]})
    try:
        kapi.kubectl("create", "configmap", "keep-me", "-n", OFF_NS)
        kapi.kubectl("create", "configmap", "drop-me", "-n", OFF_NS)

        def refused():
            p = kapi.kubectl("delete", "configmap", "keep-me", "-n", OFF_NS, check=False)
            assert p.returncode != 0, p.stdout
            return p
        p = eventually(refused)
        assert 'admission webhook "guard.kapi.test" denied the request: keep-me is protected' in p.stderr
        assert kapi.json("GET", f"/api/v1/namespaces/{OFF_NS}/configmaps/keep-me")[0] == 200
        kapi.kubectl("delete", "configmap", "drop-me", "-n", OFF_NS)
        assert kapi.json("GET", f"/api/v1/namespaces/{OFF_NS}/configmaps/drop-me")[0] == 404
        deletes = [r for _, r in hook.reviews if r["request"]["operation"] == "DELETE"]
        assert deletes and deletes[-1]["request"]["object"] is None
        assert deletes[-1]["request"]["oldObject"]["metadata"]["name"] == "drop-me"
        assert deletes[-1]["request"]["options"]["kind"] == "DeleteOptions"
    finally:
        kapi.kubectl("delete", "validatingwebhookconfiguration", "guard-delete", "--ignore-not-found")
