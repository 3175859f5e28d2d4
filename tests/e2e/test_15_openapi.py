"""OpenAPI v3 as kubectl uses it: explain, and server-side field validation
detection (kubectl create -f without --validate=false)."""
import json


def test_explain_built_in_types(kapi):
    out = kapi.kubectl("explain", "pods.spec.containers.ports").stdout
    assert "KIND:       Pod" in out and "VERSION:    v1" in out
    assert "containerPort\t<integer> -required-" in out
    out = kapi.kubectl("explain", "deployments.spec.strategy.rollingUpdate.maxSurge").stdout
    assert "GROUP:      apps" in out and "KIND:       Deployment" in out
    out = kapi.kubectl("explain", "cronjobs.spec", "--api-version=batch/v1").stdout
    assert "schedule\t<string> -required-" in out


def test_openapi_index_and_documents(kapi):
    st, hdrs, body = kapi.request("GET", "/openapi/v3")
    assert st == 200
    idx = json.loads(body)["paths"]
    assert "api/v1" in idx and "apis/apps/v1" in idx
    url = idx["apis/apps/v1"]["serverRelativeURL"]
    st, hdrs, body = kapi.request("GET", url)
    assert st == 200 and "immutable" in hdrs.get("cache-control", "")
    etag = hdrs["etag"]
    doc = json.loads(body)
    dep = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert dep["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-action"] == "patch"
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    st, _, _ = kapi.request("GET", url.split("?")[0], headers={"If-None-Match": etag})
    assert st == 304
    st, _, _ = kapi.request("GET", "/openapi/v3/apis/nope/v1")
    assert st == 404


def test_openapi_v2_json(kapi):
    st, hdrs, body = kapi.request("GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert st == 200 and "etag" in hdrs
    doc = json.loads(body)
    assert doc["swagger"] == "2.0"
    pod = doc["definitions"]["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    assert pod["properties"]["metadata"] == {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    assert doc["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"] == "int-or-string"
    st_patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]["patch"]
    assert {"name": "fieldValidation", "in": "query", "type": "string", "uniqueItems": True} in st_patch["parameters"]
    for d in doc["definitions"].values():  # every reference resolves
        for ref in json.dumps(d).split('"$ref": "#/definitions/')[1:]:
            assert ref.split('"')[0] in doc["definitions"]
    st, _, _ = kapi.request("GET", "/openapi/v2", headers={"If-None-Match": hdrs["etag"]})
    assert st == 304


def test_older_kubectls(kapi):
    """kubectl 1.27-1.32 (Debian's google-cloud-sdk ships them) explain from
    /openapi/v2 in protobuf or /openapi/v3, and create with validation."""
    import glob
    import os
    binaries = sorted(glob.glob("/usr/lib/google-cloud-sdk/bin/kubectl.1.*"))
    assert binaries, "versioned kubectl binaries are expected on this machine"
    for b in binaries:
        out = kapi.kubectl("explain", "deployments.spec.replicas", binary=b).stdout
        assert "Deployment" in out and "replicas" in out, (b, out)
        name = "old-" + os.path.basename(b).replace("kubectl.", "").replace(".", "-")
        kapi.kubectl("create", "configmap", name, "--from-literal=k=v", binary=b)
    st, hdrs, body = kapi.request("GET", "/openapi/v2",
                                  headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert st == 200 and hdrs["content-type"] == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert body[:5] == b"\x0a\x032.0"


def test_explain_every_resource(kapi):
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(here, "data", "api-resources-1.33.txt"))][1:]
    assert len(rows) >= 55
    failed = []
    for name, _short, api_version, _ns, kind in rows:
        p = kapi.kubectl("explain", name, "--api-version=" + api_version, check=False)
        if p.returncode != 0 or f"KIND:       {kind}" not in p.stdout:
            failed.append((name, api_version, p.stderr.strip()[:200]))
    assert not failed, failed
