"""CustomResourceDefinitions end to end: a CRD applied with kubectl becomes a
served API (discovery, schema validation, pruning, defaults, printer
columns, status and scale subresources, watch), a cluster-scoped one works
the same, and deleting a CRD removes its objects first."""
import json
import os
import time

import pytest

WIDGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Replicas, type: integer, jsonPath: .spec.replicas}
    - {name: Color, type: string, jsonPath: .spec.color, priority: 1}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: string, enum: [small, large]}
              replicas: {type: integer, minimum: 0, default: 1}
              color: {type: string, default: blue}
              tags:
                type: array
                items: {type: string}
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
"""

GADGET_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.org
spec:
  group: example.org
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              level: {type: integer, maximum: 10}
"""


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def install(kapi, manifest, name):
    kapi.kubectl("apply", "-f", "-", input=manifest)
    kapi.kubectl("wait", "--for", "condition=Established", "--timeout=15s", f"crd/{name}")


@pytest.fixture(scope="module")
def widgets(kapi):
    install(kapi, WIDGET_CRD, "widgets.example.com")
    kapi.kubectl("create", "namespace", "crd-e2e")
    return kapi


def widget(name, **spec):
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec}


def test_crd_status_names_and_conditions(widgets):
    st, crd = widgets.json("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    assert st == 200
    status = crd["status"]
    assert status["acceptedNames"] == {"plural": "widgets", "singular": "widget", "shortNames": ["wd"],
                                       "kind": "Widget", "listKind": "WidgetList", "categories": ["all"]}
    conds = {c["type"]: c for c in status["conditions"]}
    assert conds["NamesAccepted"]["status"] == "True"
    assert conds["NamesAccepted"]["reason"] == "NoConflicts"
    assert conds["Established"]["status"] == "True"
    assert conds["Established"]["reason"] == "InitialNamesAccepted"
    assert status["storedVersions"] == ["v1"]
    # defaults the CRD itself gets
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    assert crd["spec"]["names"]["listKind"] == "WidgetList"


def test_discovery_lists_the_new_resource(widgets):
    st, doc = widgets.json("GET", "/apis/example.com/v1")
    assert st == 200
    names = [r["name"] for r in doc["resources"]]
    assert names == ["widgets", "widgets/scale", "widgets/status"]
    top = doc["resources"][0]
    assert top == {"name": "widgets", "singularName": "widget", "namespaced": True, "kind": "Widget",
                   "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
                   "shortNames": ["wd"], "categories": ["all"], "storageVersionHash": top["storageVersionHash"]}
    assert len(top["storageVersionHash"]) == 12
    scale = doc["resources"][1]
    assert scale["group"] == "autoscaling" and scale["version"] == "v1" and scale["kind"] == "Scale"
    st, groups = widgets.json("GET", "/apis")
    g = [x for x in groups["groups"] if x["name"] == "example.com"]
    assert g and g[0]["preferredVersion"] == {"groupVersion": "example.com/v1", "version": "v1"}
    # aggregated discovery
    st, hdrs, body = widgets.request("GET", "/apis", headers={
        "Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"})
    agg = json.loads(body)
    item = [i for i in agg["items"] if i["metadata"].get("name") == "example.com"][0]
    res = item["versions"][0]["resources"][0]
    assert res["responseKind"] == {"group": "example.com", "version": "v1", "kind": "Widget"}
    assert res["scope"] == "Namespaced"
    assert [s["subresource"] for s in res["subresources"]] == ["scale", "status"]
    out = widgets.kubectl("api-resources", "--api-group=example.com", "--no-headers").stdout.split()
    assert out[:5] == ["widgets", "wd", "example.com/v1", "true", "Widget"]


def test_create_applies_defaults_and_prunes_unknown_fields(widgets):
    body = widget("w1", size="small", bogus=1, extra={"anything": {"goes": True}})
    body["status"] = {"replicas": 9}
    st, hdrs, data = widgets.request("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets", body)
    assert st == 201, data
    obj = json.loads(data)
    assert obj["spec"] == {"size": "small", "extra": {"anything": {"goes": True}}, "replicas": 1, "color": "blue"} \
        or obj["spec"] == {"size": "small", "replicas": 1, "color": "blue", "extra": {"anything": {"goes": True}}}
    assert "bogus" not in obj["spec"]
    assert "status" not in obj  # the status subresource owns it
    assert obj["metadata"]["generation"] == 1
    assert hdrs.get("warning") == '299 - "unknown field \\"spec.bogus\\""'
    # Strict refuses instead
    st, err = widgets.json("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets?fieldValidation=Strict",
                           widget("w-strict", size="small", bogus=1))
    assert st == 400
    assert err["message"] == ('Widget in version "v1" cannot be handled as a Widget: '
                              'strict decoding error: unknown field "spec.bogus"')


def test_schema_violations_are_422_with_causes(widgets):
    st, err = widgets.json("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets",
                           widget("w-bad", size="huge", replicas=-1))
    assert st == 422, err
    assert err["reason"] == "Invalid"
    assert err["details"]["group"] == "example.com" and err["details"]["kind"] == "Widget"
    assert err["details"]["name"] == "w-bad"
    fields = sorted(c["field"] for c in err["details"]["causes"])
    assert fields == ["spec.replicas", "spec.size"]
    assert 'spec.size: Unsupported value: "huge": supported values: "small", "large"' in err["message"]
    assert "spec.replicas in body should be greater than or equal to 0" in err["message"]
    st, err = widgets.json("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets", widget("w-bad2"))
    assert st == 422
    assert err["message"] == 'Widget.example.com "w-bad2" is invalid: spec.size: Required value'
    st, err = widgets.json("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets",
                           widget("w-bad3", size="small", replicas="two"))
    assert st == 422
    assert 'spec.replicas in body must be of type integer: "string"' in err["message"]


def test_kubectl_get_shows_printer_columns(widgets):
    widgets.kubectl("apply", "-n", "crd-e2e", "-f", "-", input=json.dumps(widget("w2", size="large", replicas=3,
                                                                                  color="red")))
    out = widgets.kubectl("get", "widgets", "-n", "crd-e2e").stdout.splitlines()
    assert out[0].split() == ["NAME", "SIZE", "REPLICAS", "AGE"]
    row = [line.split() for line in out if line.startswith("w2 ")][0]
    assert row[:3] == ["w2", "large", "3"]
    wide = widgets.kubectl("get", "wd", "w2", "-n", "crd-e2e", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "SIZE", "REPLICAS", "COLOR", "AGE"]
    assert wide[1].split()[:4] == ["w2", "large", "3", "red"]
    # found through its category too
    assert "widget.example.com/w2" in widgets.kubectl("get", "all", "-n", "crd-e2e", "-o", "name").stdout


def test_patch_update_and_generation(widgets):
    widgets.kubectl("apply", "-n", "crd-e2e", "-f", "-", input=json.dumps(widget("w3", size="small")))
    widgets.kubectl("patch", "widget", "w3", "-n", "crd-e2e", "--type=merge", "-p", '{"spec":{"color":"green"}}')
    st, obj = widgets.json("GET", "/apis/example.com/v1/namespaces/crd-e2e/widgets/w3")
    assert obj["spec"]["color"] == "green" and obj["metadata"]["generation"] == 2
    widgets.kubectl("patch", "widget", "w3", "-n", "crd-e2e", "--type=json",
                    "-p", '[{"op":"replace","path":"/spec/size","value":"large"}]')
    st, obj = widgets.json("GET", "/apis/example.com/v1/namespaces/crd-e2e/widgets/w3")
    assert obj["spec"]["size"] == "large" and obj["metadata"]["generation"] == 3
    # strategic merge patch needs a built-in schema
    st, err = widgets.json("PATCH", "/apis/example.com/v1/namespaces/crd-e2e/widgets/w3", {"spec": {}},
                           headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert st == 415
    # a patch that breaks the schema is refused
    p = widgets.kubectl("patch", "widget", "w3", "-n", "crd-e2e", "--type=merge", "-p", '{"spec":{"size":"x"}}',
                        check=False)
    assert p.returncode != 0 and "Unsupported value" in p.stderr


def test_status_subresource_split(widgets):
    widgets.kubectl("apply", "-n", "crd-e2e", "-f", "-", input=json.dumps(widget("w4", size="small")))
    base = "/apis/example.com/v1/namespaces/crd-e2e/widgets/w4"
    st, obj = widgets.json("GET", base)
    obj["status"] = {"replicas": 2, "selector": "app=w4"}
    obj["spec"]["color"] = "ignored-by-status"
    st, upd = widgets.json("PUT", base + "/status", obj)
    assert st == 200, upd
    assert upd["status"] == {"replicas": 2, "selector": "app=w4"}
    assert upd["spec"]["color"] == "blue"
    assert upd["metadata"]["generation"] == 1
    # the main resource ignores status
    upd["status"] = {"replicas": 7}
    st, upd2 = widgets.json("PUT", base, upd)
    assert st == 200 and upd2["status"] == {"replicas": 2, "selector": "app=w4"}


def test_scale_subresource_and_kubectl_scale(widgets):
    widgets.kubectl("apply", "-n", "crd-e2e", "-f", "-", input=json.dumps(widget("w5", size="small", replicas=2)))
    widgets.kubectl("scale", "widget/w5", "-n", "crd-e2e", "--replicas=4")
    st, obj = widgets.json("GET", "/apis/example.com/v1/namespaces/crd-e2e/widgets/w5")
    assert obj["spec"]["replicas"] == 4
    st, sc = widgets.json("GET", "/apis/example.com/v1/namespaces/crd-e2e/widgets/w5/scale")
    assert st == 200
    assert sc["kind"] == "Scale" and sc["apiVersion"] == "autoscaling/v1"
    assert sc["spec"] == {"replicas": 4} and sc["status"]["replicas"] == 0


def test_list_selectors_and_watch(widgets):
    for i in range(3):
        body = widget(f"sel{i}", size="small")
        body["metadata"]["labels"] = {"idx": str(i)}
        assert widgets.json("POST", "/apis/example.com/v1/namespaces/crd-e2e/widgets", body)[0] == 201
    st, lst = widgets.json("GET", "/apis/example.com/v1/namespaces/crd-e2e/widgets?labelSelector=idx%3D1")
    assert lst["kind"] == "WidgetList" and lst["apiVersion"] == "example.com/v1"
    assert [i["metadata"]["name"] for i in lst["items"]] == ["sel1"]
    st, lst = widgets.json("GET", "/apis/example.com/v1/widgets?fieldSelector=metadata.name%3Dsel2")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["sel2"]
    rv = lst["metadata"]["resourceVersion"]
    widgets.kubectl("delete", "widget", "sel0", "-n", "crd-e2e")
    st, hdrs, data = widgets.request(
        "GET", f"/apis/example.com/v1/namespaces/crd-e2e/widgets?watch=1&resourceVersion={rv}&timeoutSeconds=1")
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    assert ("DELETED", "sel0") in [(e["type"], e["object"]["metadata"]["name"]) for e in events]


def test_python_client_custom_objects(widgets):
    client, api = widgets.python_client()
    co = client.CustomObjectsApi(api)
    co.create_namespaced_custom_object("example.com", "v1", "crd-e2e", "widgets", widget("py1", size="large"))
    got = co.get_namespaced_custom_object("example.com", "v1", "crd-e2e", "widgets", "py1")
    assert got["spec"] == {"size": "large", "replicas": 1, "color": "blue"}
    names = [i["metadata"]["name"] for i in co.list_namespaced_custom_object("example.com", "v1", "crd-e2e",
                                                                             "widgets")["items"]]
    assert "py1" in names


def test_cluster_scoped_crd(kapi):
    install(kapi, GADGET_CRD, "gadgets.example.org")
    body = {"apiVersion": "example.org/v1alpha1", "kind": "Gadget", "metadata": {"name": "g1"},
            "spec": {"level": 3}}
    st, obj = kapi.json("POST", "/apis/example.org/v1alpha1/gadgets", body)
    assert st == 201, obj
    assert "namespace" not in obj["metadata"]
    assert kapi.json("GET", "/apis/example.org/v1alpha1/namespaces/default/gadgets/g1")[0] == 404
    out = kapi.kubectl("get", "gadgets").stdout.splitlines()
    assert out[0].split() == ["NAME", "AGE"] and out[1].split()[0] == "g1"
    body["metadata"]["name"] = "g2"
    body["spec"]["level"] = 11
    st, err = kapi.json("POST", "/apis/example.org/v1alpha1/gadgets", body)
    assert st == 422 and "spec.level in body should be less than or equal to 10" in err["message"]


def test_deleting_a_crd_removes_its_objects_then_itself(kapi):
    crd = WIDGET_CRD.replace("widgets", "doodads").replace("widget", "doodad").replace("Widget", "Doodad") \
        .replace("shortNames: [wd]", "shortNames: [dd]")
    install(kapi, crd, "doodads.example.com")
    for i in range(3):
        body = {"apiVersion": "example.com/v1", "kind": "Doodad", "metadata": {"name": f"d{i}"},
                "spec": {"size": "small"}}
        assert kapi.json("POST", "/apis/example.com/v1/namespaces/default/doodads", body)[0] == 201
    st, obj = kapi.json("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/doodads.example.com")
    assert st == 200
    assert "customresourcecleanup.apiextensions.k8s.io" in obj["metadata"]["finalizers"]
    assert obj["metadata"]["deletionTimestamp"]
    assert wait_for(lambda: kapi.json(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/doodads.example.com")[0] == 404)
    assert wait_for(lambda: kapi.json("GET", "/apis/example.com/v1/namespaces/default/doodads")[0] == 404)

    def gone_from_discovery():
        st, doc = kapi.json("GET", "/apis/example.com/v1")
        return st == 404 or "doodads" not in [r["name"] for r in doc["resources"]]
    assert wait_for(gone_from_discovery)
    # re-creating it gives an empty resource: the objects really went
    install(kapi, crd, "doodads.example.com")
    st, lst = kapi.json("GET", "/apis/example.com/v1/namespaces/default/doodads")
    assert st == 200 and lst["items"] == []


def test_custom_resources_survive_restart(fresh_kapi):
    k = fresh_kapi().start()
    install(k, GADGET_CRD, "gadgets.example.org")
    body = {"apiVersion": "example.org/v1alpha1", "kind": "Gadget", "metadata": {"name": "keep"},
            "spec": {"level": 1}}
    assert k.json("POST", "/apis/example.org/v1alpha1/gadgets", body)[0] == 201
    k.stop()
    k.start()
    assert wait_for(lambda: k.json("GET", "/apis/example.org/v1alpha1/gadgets/keep")[0] == 200)
    assert k.kubectl("get", "gadget", "keep", "-o", "jsonpath={.spec.level}").stdout == "1"


MULTI_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: sprockets.example.net
spec:
  group: example.net
  scope: Namespaced
  names: {plural: sprockets, singular: sprocket, kind: Sprocket}
  versions:
  - name: v1beta1
    served: true
    storage: false
    deprecated: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {teeth: {type: integer, default: 8}}}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {teeth: {type: integer, default: 12}}}
"""


def test_kubectl_explain_reads_the_crd_schema(widgets):
    out = widgets.kubectl("explain", "widgets.spec").stdout
    assert "KIND:       Widget" in out and "VERSION:    v1" in out
    for field in ("size", "replicas", "color", "tags", "extra"):
        assert f"  {field}\t" in out, out
    assert "-required-" in out.split("size\t")[1].splitlines()[0]
    st, idx = widgets.json("GET", "/openapi/v3")
    assert "apis/example.com/v1" in idx["paths"]
    st, doc = widgets.json("GET", idx["paths"]["apis/example.com/v1"]["serverRelativeURL"])
    sch = doc["components"]["schemas"]["com.example.v1.Widget"]
    assert sch["x-kubernetes-group-version-kind"] == [{"group": "example.com", "kind": "Widget", "version": "v1"}]
    assert "/apis/example.com/v1/namespaces/{namespace}/widgets/{name}/scale" in doc["paths"]


def test_two_versions_served_from_one_storage_version(kapi):
    install(kapi, MULTI_CRD, "sprockets.example.net")
    st, groups = kapi.json("GET", "/apis/example.net")
    assert [v["version"] for v in groups["versions"]] == ["v1", "v1beta1"]
    assert groups["preferredVersion"]["version"] == "v1"
    body = {"apiVersion": "example.net/v1beta1", "kind": "Sprocket", "metadata": {"name": "s1"}, "spec": {}}
    st, hdrs, data = kapi.request("POST", "/apis/example.net/v1beta1/namespaces/default/sprockets", body)
    assert st == 201, data
    assert hdrs.get("warning") == '299 - "example.net/v1beta1 Sprocket is deprecated"'
    obj = json.loads(data)
    assert obj["apiVersion"] == "example.net/v1beta1" and obj["spec"] == {"teeth": 8}
    st, v1 = kapi.json("GET", "/apis/example.net/v1/namespaces/default/sprockets/s1")
    assert v1["apiVersion"] == "example.net/v1" and v1["spec"] == {"teeth": 8}
    st, lst = kapi.json("GET", "/apis/example.net/v1beta1/namespaces/default/sprockets")
    assert [i["apiVersion"] for i in lst["items"]] == ["example.net/v1beta1"]
    st, crd = kapi.json("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/sprockets.example.net")
    assert crd["status"]["storedVersions"] == ["v1"]


def test_namespace_deletion_and_gc_reach_custom_resources(widgets):
    widgets.kubectl("create", "namespace", "crd-doomed")
    body = widget("owner", size="small")
    st, owner = widgets.json("POST", "/apis/example.com/v1/namespaces/crd-doomed/widgets", body)
    assert st == 201
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "dep", "ownerReferences": [{"apiVersion": "example.com/v1", "kind": "Widget",
                                                           "name": "owner", "uid": owner["metadata"]["uid"]}]}}
    assert widgets.json("POST", "/api/v1/namespaces/crd-doomed/configmaps", cm)[0] == 201
    # the garbage collector follows owners that are custom resources
    widgets.kubectl("delete", "widget", "owner", "-n", "crd-doomed")
    assert wait_for(lambda: widgets.json("GET", "/api/v1/namespaces/crd-doomed/configmaps/dep")[0] == 404)
    # and the namespace controller empties custom resources too
    assert widgets.json("POST", "/apis/example.com/v1/namespaces/crd-doomed/widgets",
                        widget("left", size="small"))[0] == 201
    widgets.kubectl("delete", "namespace", "crd-doomed", "--wait=false")
    assert wait_for(lambda: widgets.json("GET", "/api/v1/namespaces/crd-doomed")[0] == 404, timeout=30)
    assert widgets.json("GET", "/apis/example.com/v1/namespaces/crd-doomed/widgets/left")[0] == 404


CONVERT_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: boxes.example.io
spec:
  group: example.io
  scope: Namespaced
  names: {plural: boxes, singular: box, kind: Box}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        url: https://127.0.0.1:%(port)d/convert
        caBundle: %(ca)s
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: string}}}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {dimension: {type: string}}}
"""


class ConversionWebhook:
    """An HTTPS ConversionReview server: v1beta1 spec.size <-> v1 spec.dimension."""

    def __init__(self, tmp):
        import base64
        import http.server
        import ssl
        import subprocess
        import threading
        key, crt = os.path.join(tmp, "wh.key"), os.path.join(tmp, "wh.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "1", "-subj", "/CN=webhook", "-addext", "subjectAltName=IP:127.0.0.1"],
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
                out = []
                for obj in req["objects"]:
                    obj = json.loads(json.dumps(obj))
                    spec = obj.get("spec", {})
                    if req["desiredAPIVersion"] == "example.io/v1" and "size" in spec:
                        spec["dimension"] = spec.pop("size")
                    if req["desiredAPIVersion"] == "example.io/v1beta1" and "dimension" in spec:
                        spec["size"] = spec.pop("dimension")
                    obj["apiVersion"] = req["desiredAPIVersion"]
                    obj.setdefault("metadata", {}).setdefault("labels", {})["converted"] = "yes"
                    out.append(obj)
                body = json.dumps({"apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                                   "response": {"uid": req["uid"], "convertedObjects": out,
                                                "result": {"status": "Success"}}}).encode()
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

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_conversion_webhook_between_versions(kapi, tmp_path):
    hook = ConversionWebhook(str(tmp_path))
    try:
        install(kapi, CONVERT_CRD % {"port": hook.port, "ca": hook.ca}, "boxes.example.io")
        body = {"apiVersion": "example.io/v1beta1", "kind": "Box", "metadata": {"name": "b1"},
                "spec": {"size": "large"}}
        st, obj = kapi.json("POST", "/apis/example.io/v1beta1/namespaces/default/boxes", body)
        assert st == 201, obj
        # answered in the version asked for, stored in the storage version
        assert obj["apiVersion"] == "example.io/v1beta1" and obj["spec"] == {"size": "large"}
        st, v1 = kapi.json("GET", "/apis/example.io/v1/namespaces/default/boxes/b1")
        assert v1["apiVersion"] == "example.io/v1" and v1["spec"] == {"dimension": "large"}
        assert v1["metadata"]["labels"] == {"converted": "yes"}
        st, lst = kapi.json("GET", "/apis/example.io/v1beta1/namespaces/default/boxes")
        assert [i["spec"] for i in lst["items"]] == [{"size": "large"}]
        path, review = hook.reviews[0]
        assert path == "/convert?timeout=30s"
        assert review["kind"] == "ConversionReview" and review["apiVersion"] == "apiextensions.k8s.io/v1"
        assert review["request"]["desiredAPIVersion"] == "example.io/v1"
        assert review["request"]["objects"][0]["spec"] == {"size": "large"}
        # kubectl reads through the preferred version
        assert kapi.kubectl("get", "boxes.v1beta1.example.io", "b1", "-o",
                            "jsonpath={.spec.size}").stdout == "large"
    finally:
        hook.stop()
    # with the webhook gone, conversions fail as upstream reports them
    st, err = kapi.json("GET", "/apis/example.io/v1beta1/namespaces/default/boxes/b1")
    assert st == 500
    assert err["message"].startswith("conversion webhook for example.io/v1, Kind=Box failed: Post ")
    # reads in the storage version need no webhook
    assert kapi.json("GET", "/apis/example.io/v1/namespaces/default/boxes/b1")[0] == 200


def test_invalid_crds_and_name_conflicts(kapi):
    bad = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "things.example.dev"},
           "spec": {"group": "example.dev", "scope": "Namespaced",
                    "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
                    "versions": [{"name": "v1", "served": True, "storage": False,
                                  "schema": {"openAPIV3Schema": {"type": "object"}}}]}}
    st, err = kapi.json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bad)
    assert st == 422 and err["reason"] == "Invalid"
    assert "must have exactly one version marked as storage version" in err["message"]
    bad["metadata"]["name"] = "wrong.example.dev"
    bad["spec"]["versions"][0]["storage"] = True
    st, err = kapi.json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bad)
    assert st == 422
    assert any(c["field"] == "metadata.name" for c in err["details"]["causes"]), err
    # two CRDs of one group asking for the same kind: the second is not accepted
    bad["metadata"]["name"] = "things.example.dev"
    assert kapi.json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", bad)[0] == 201
    kapi.kubectl("wait", "--for", "condition=Established", "--timeout=15s", "crd/things.example.dev")
    other = json.loads(json.dumps(bad))
    other["metadata"]["name"] = "stuffs.example.dev"
    other["spec"]["names"] = {"plural": "stuffs", "singular": "stuff", "kind": "Thing"}
    assert kapi.json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", other)[0] == 201

    def names_condition():
        st, crd = kapi.json("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/stuffs.example.dev")
        conds = {c["type"]: c for c in (crd.get("status") or {}).get("conditions", [])}
        return conds.get("NamesAccepted")
    assert wait_for(lambda: names_condition() is not None and names_condition()["status"] == "False")
    c = names_condition()
    # kind and listKind both clash; as upstream, the last check that fails names it
    assert c["reason"] == "ListKindConflict" and c["message"] == '"ThingList" is already in use'
    assert kapi.json("GET", "/apis/example.dev/v1/stuffs")[0] == 404


SELECT_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: robots.example.tech
spec:
  group: example.tech
  scope: Namespaced
  names: {plural: robots, singular: robot, kind: Robot}
  versions:
  - name: v1
    served: true
    storage: true
    selectableFields:
    - jsonPath: .spec.color
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {color: {type: string}}}
"""


def test_selectable_fields_and_deletecollection(kapi):
    install(kapi, SELECT_CRD, "robots.example.tech")
    for name, color in (("r1", "red"), ("r2", "blue"), ("r3", "red")):
        body = {"apiVersion": "example.tech/v1", "kind": "Robot", "metadata": {"name": name},
                "spec": {"color": color}}
        assert kapi.json("POST", "/apis/example.tech/v1/namespaces/default/robots", body)[0] == 201
    st, lst = kapi.json("GET", "/apis/example.tech/v1/namespaces/default/robots?fieldSelector=spec.color%3Dred")
    assert st == 200 and [i["metadata"]["name"] for i in lst["items"]] == ["r1", "r3"]
    st, err = kapi.json("GET", "/apis/example.tech/v1/namespaces/default/robots?fieldSelector=spec.size%3Dx")
    assert st == 400
    st, out = kapi.json("DELETE", "/apis/example.tech/v1/namespaces/default/robots?fieldSelector=spec.color%3Dred")
    assert st == 200 and out["kind"] == "RobotList"
    st, lst = kapi.json("GET", "/apis/example.tech/v1/namespaces/default/robots")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["r2"]


PATTERN_CRD = r"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: labels.example.net
spec:
  group: example.net
  scope: Namespaced
  names: {plural: labels, singular: label, kind: Label}
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
            properties:
              name: {type: string, pattern: '^[a-z]+(-[a-z]+)*$'}
              code: {type: string, pattern: '(?i)^[a-f0-9]{4}$'}
              word: {type: string, pattern: '^\pL+\s\d+$'}
              runs: {type: string, pattern: '^(a+)+$'}
"""


def test_schema_patterns_follow_go_regexp(kapi):
    """Patterns are Go regular expressions: Perl flags, Unicode classes and Go's
    \\s, Go's error texts for bad patterns, and no backtracking blow-up."""
    install(kapi, PATTERN_CRD, "labels.example.net")
    url = "/apis/example.net/v1/namespaces/default/labels"

    def label(obj_name, **spec):
        return {"apiVersion": "example.net/v1", "kind": "Label", "metadata": {"name": obj_name}, "spec": spec}
    st, obj = kapi.json("POST", url, label("ok", name="blue-green", code="BEEF", word="caf\u00e9 42",
                                           runs="aaaa"))
    assert st == 201, obj
    st, err = kapi.json("POST", url, label("bad", name="Blue_Green", code="beefy", word="cafe\u000b42"))
    assert st == 422, err
    causes = {c["field"]: c["message"] for c in err["details"]["causes"]}
    assert causes == {
        "spec.name": "Invalid value: \"Blue_Green\": spec.name in body should match '^[a-z]+(-[a-z]+)*$'",
        "spec.code": "Invalid value: \"beefy\": spec.code in body should match '(?i)^[a-f0-9]{4}$'",
        "spec.word": "Invalid value: \"cafe\\v42\": spec.word in body should match '^\\pL+\\s\\d+$'",
    }, causes
    # A subject that makes a backtracking engine run for ages is answered at once.
    st, err = kapi.json("POST", url, label("runs", runs="a" * 100000 + "!"))
    assert st == 422, err
    assert [c["field"] for c in err["details"]["causes"]] == ["spec.runs"]
    st, obj = kapi.json("POST", url, label("runs-ok", runs="a" * 100000))
    assert st == 201
    # Patterns Go's regexp refuses make the CRD invalid, with Go's message.
    for pat, why in ((r"(a*)\1", r"invalid escape sequence: `\1`"),
                     ("a++", "invalid nested repetition operator: `++`"),
                     ("(?=x)", "invalid or unsupported Perl syntax: `(?=`"),
                     ("(a{0,4}){0,1000}", "invalid repeat count: `{0,1000}`")):
        crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
               "metadata": {"name": "pats.example.net"},
               "spec": {"group": "example.net", "scope": "Namespaced",
                        "names": {"plural": "pats", "singular": "pat", "kind": "Pat"},
                        "versions": [{"name": "v1", "served": True, "storage": True,
                                      "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                                          "s": {"type": "string", "pattern": pat}}}}}]}}
        st, err = kapi.json("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
        assert st == 422, (pat, err)
        c = err["details"]["causes"]
        assert c[0]["field"] == "spec.validation.openAPIV3Schema.properties[s].pattern" or \
            c[0]["field"] == "spec.versions[0].schema.openAPIV3Schema.properties[s].pattern", c
        assert c[0]["message"].endswith(
            "must be a valid regular expression, but isn't: error parsing regexp: " + why), c
