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


def _crd(plural, kind):
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": plural + ".lists.example.com"},
        "spec": {"group": "lists.example.com", "scope": "Namespaced",
                 "names": {"plural": plural, "singular": kind.lower(), "kind": kind},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {
                                   "type": "object",
                                   "properties": {"spec": {"type": "object", "properties": {
                                       "size": {"type": "integer", "minimum": 1},
                                       "color": {"type": "string", "enum": ["red", "blue"]}}}}}}}]},
    }


def test_apply_list_of_crds(kapi, tmp_path):
    """A List is validated client-side against /openapi/v2: JSONSchemaProps
    has no required field upstream, so nested schemas need no "id", "$ref", ..."""
    doc = {"apiVersion": "v1", "kind": "List",
           "items": [_crd("widgets", "Widget"), _crd("gadgets", "Gadget")]}
    path = tmp_path / "crds.json"
    path.write_text(json.dumps(doc))
    p = kapi.kubectl("apply", "-f", str(path), check=False)
    assert p.returncode == 0, (p.stdout + p.stderr)[:2000]
    assert "missing required field" not in p.stderr
    assert "widgets.lists.example.com created" in p.stdout
    assert "gadgets.lists.example.com created" in p.stdout


def test_reapply_listed_workloads(kapi):
    """`kubectl get ... -o yaml | kubectl apply -f -` hands kubectl a List, which
    it validates against /openapi/v2: status fields the server wrote (a Job's
    status without "ready", a Deployment's conditions) must not count as missing."""
    ns = "reapply-list"
    kapi.kubectl("create", "namespace", ns)
    kapi.kubectl("-n", ns, "create", "deployment", "web", "--image=nginx")
    kapi.kubectl("-n", ns, "expose", "deployment", "web", "--port=80")
    kapi.kubectl("-n", ns, "create", "job", "once", "--image=busybox", "--", "true")
    kapi.kubectl("-n", ns, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "true")
    for binary in (None, "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"):
        # listed afresh: the first apply changed the objects (and their
        # resourceVersions, which the List carries as preconditions)
        listed = kapi.kubectl("-n", ns, "get", "deployments,services,jobs,cronjobs", "-o", "yaml").stdout
        assert "kind: List" in listed
        p = kapi.kubectl("apply", "-f", "-", input=listed, check=False, binary=binary)
        assert p.returncode == 0, (p.stdout + p.stderr)[:2000]
        assert "missing required field" not in p.stderr
        assert "deployment.apps/web" in p.stdout and "job.batch/once" in p.stdout


# Upstream v1.33's "required" lists: a field is required unless it is
# +optional or its JSON tag says omitempty (+required wins); None: no list.
UPSTREAM_REQUIRED = {
    "apis/apiextensions.k8s.io/v1": {
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps": None,
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec":
            ["group", "names", "scope", "versions"],
    },
    "apis/apps/v1": {
        "io.k8s.api.apps.v1.DeploymentCondition": ["type", "status"],
        "io.k8s.api.apps.v1.DeploymentSpec": ["selector", "template"],
        "io.k8s.api.apps.v1.StatefulSetSpec": ["selector", "template"],
        "io.k8s.api.apps.v1.StatefulSetStatus": ["replicas"],
    },
    "api/v1": {
        "io.k8s.api.core.v1.Container": ["name"],
        "io.k8s.api.core.v1.PodSpec": ["containers"],
        "io.k8s.api.core.v1.PodStatus": None,
        "io.k8s.api.core.v1.NodeSystemInfo": ["machineID", "systemUUID", "bootID", "kernelVersion", "osImage",
                                              "containerRuntimeVersion", "kubeletVersion", "kubeProxyVersion",
                                              "operatingSystem", "architecture"],
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": ["apiVersion", "kind", "name", "uid"],
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": None,
    },
    "apis/admissionregistration.k8s.io/v1": {
        "io.k8s.api.admissionregistration.v1.MutatingWebhook":
            ["name", "clientConfig", "sideEffects", "admissionReviewVersions"],
        "io.k8s.api.admissionregistration.v1.RuleWithOperations": None,
    },
    "apis/events.k8s.io/v1": {"io.k8s.api.events.v1.Event": ["eventTime"]},
    "apis/flowcontrol.apiserver.k8s.io/v1": {"io.k8s.api.flowcontrol.v1.FlowSchemaCondition": None},
    "apis/apiregistration.k8s.io/v1": {
        "io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceSpec":
            ["groupPriorityMinimum", "versionPriority"],
    },
    "apis/policy/v1": {
        "io.k8s.apimachinery.pkg.apis.meta.v1.Condition": ["type", "status", "lastTransitionTime", "reason",
                                                           "message"],
    },
}


def test_required_lists_match_upstream(kapi):
    st, _, body = kapi.request("GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert st == 200
    v2 = json.loads(body)["definitions"]
    st, _, body = kapi.request("GET", "/openapi/v3")
    idx = json.loads(body)["paths"]
    wrong = []
    for gv, defs in UPSTREAM_REQUIRED.items():
        st, _, body = kapi.request("GET", idx[gv]["serverRelativeURL"])
        v3 = json.loads(body)["components"]["schemas"]
        for name, want in defs.items():
            for doc, schemas in (("v2", v2), ("v3 " + gv, v3)):
                got = schemas[name].get("required")
                if got != want:
                    wrong.append((doc, name, got, want))
    assert not wrong, wrong


def test_explain_required_markers(kapi):
    out = kapi.kubectl("explain", "deployments.status.conditions").stdout
    assert "  type\t<string> -required-\n" in out, out
    assert "  status\t<string> -required-\n" in out, out
    assert "  reason\t<string>\n" in out, out
    assert "  lastUpdateTime\t<string>\n" in out, out


def test_scalar_defaults_follow_omitempty(kapi):
    """Upstream gives a non-pointer scalar its zero value as "default" only
    when its JSON tag has no omitempty."""
    st, _, body = kapi.request("GET", "/openapi/v3")
    url = json.loads(body)["paths"]["apis/apps/v1"]["serverRelativeURL"]
    st, _, body = kapi.request("GET", url)
    props = json.loads(body)["components"]["schemas"]["io.k8s.api.apps.v1.DeploymentCondition"]["properties"]
    assert props["type"].get("default") == ""
    assert "default" not in props["reason"] and "default" not in props["message"]
