"""Server-side apply and field ownership (metadata.managedFields) through
kubectl and raw HTTPS: create by apply, re-apply, conflicts and
--force-conflicts, removal of fields only the applier owned, shared
ownership, Update entries for ordinary writes, status subresource, and
custom resources."""
import json

import pytest

APPLY = {"Content-Type": "application/apply-patch+yaml"}


def deployment(replicas=2, labels=None, image="nginx:1.25", env=None):
    c = {"name": "web", "image": image}
    if env:
        c["env"] = env
    d = {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "ssa", "labels": labels or {"app": "ssa"}},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "ssa"}},
                  "template": {"metadata": {"labels": {"app": "ssa"}}, "spec": {"containers": [c]}}}}
    return d


def entries(obj):
    return {(m["manager"], m["operation"], m.get("subresource", "")): m for m in obj["metadata"]["managedFields"]}


@pytest.fixture(scope="module")
def ns(kapi):
    kapi.kubectl("create", "namespace", "ssa-e2e")
    return "ssa-e2e"


def apply(kapi, ns, body, manager, force=False, path=None):
    q = f"?fieldManager={manager}" + ("&force=true" if force else "")
    path = path or f"/apis/apps/v1/namespaces/{ns}/deployments/{body['metadata']['name']}"
    return kapi.json("PATCH", path + q, json.dumps(body), headers=APPLY)


def test_apply_creates_then_updates_with_ownership(kapi, ns):
    st, obj = apply(kapi, ns, deployment(), "alice")
    assert st == 201, obj
    e = entries(obj)
    assert list(e) == [("alice", "Apply", "")]
    alice = e[("alice", "Apply", "")]
    assert alice["apiVersion"] == "apps/v1" and alice["fieldsType"] == "FieldsV1" and alice["time"]
    fields = alice["fieldsV1"]
    assert fields["f:spec"]["f:replicas"] == {}
    assert fields["f:metadata"]["f:labels"] == {"f:app": {}}  # Apply sets name leaves, not the map
    assert 'k:{"name":"web"}' in fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    # defaults are not owned by the applier
    assert "f:strategy" not in fields["f:spec"]
    st, obj = apply(kapi, ns, deployment(replicas=3), "alice")
    assert st == 200 and obj["spec"]["replicas"] == 3


def test_conflict_and_force(kapi, ns):
    st, obj = apply(kapi, ns, deployment(replicas=3), "bob")
    assert st == 200  # same value: shared ownership, no conflict
    st, err = apply(kapi, ns, deployment(replicas=4), "bob")
    assert st == 409, err
    assert err["reason"] == "Conflict"
    assert err["message"] == 'Apply failed with 1 conflict: conflict with "alice": .spec.replicas' or \
        err["message"] == 'Apply failed with 1 conflict: conflict with "alice" using apps/v1: .spec.replicas'
    cause = err["details"]["causes"][0]
    assert cause["reason"] == "FieldManagerConflict" and cause["field"] == ".spec.replicas"
    st, obj = apply(kapi, ns, deployment(replicas=4), "bob", force=True)
    assert st == 200 and obj["spec"]["replicas"] == 4
    alice = entries(obj)[("alice", "Apply", "")]["fieldsV1"]
    assert "f:replicas" not in alice["f:spec"]


def test_applying_a_subset_removes_only_owned_fields(kapi, ns):
    st, obj = apply(kapi, ns, deployment(replicas=4, labels={"app": "ssa", "tier": "front"}), "bob", force=True)
    assert obj["metadata"]["labels"] == {"app": "ssa", "tier": "front"}
    # bob drops the tier label: only bob owned it, so it goes
    st, obj = apply(kapi, ns, deployment(replicas=4), "bob")
    assert st == 200 and obj["metadata"]["labels"] == {"app": "ssa"}
    # app is also alice's: bob dropping it leaves it in place
    body = deployment(replicas=4)
    del body["metadata"]["labels"]
    st, obj = apply(kapi, ns, body, "bob")
    assert st == 200 and obj["metadata"]["labels"] == {"app": "ssa"}


def test_ordinary_writes_are_update_entries(kapi, ns):
    kapi.kubectl("create", "configmap", "cm-ssa", "-n", ns, "--from-literal=a=1")
    st, cm = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/cm-ssa")
    e = entries(cm)
    assert list(e) == [("kubectl-create", "Update", "")]
    assert e[("kubectl-create", "Update", "")]["fieldsV1"] == {"f:data": {".": {}, "f:a": {}}}
    kapi.kubectl("label", "configmap", "cm-ssa", "-n", ns, "x=y")
    st, cm = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/cm-ssa")
    e = entries(cm)
    assert e[("kubectl-label", "Update", "")]["fieldsV1"] == {"f:metadata": {"f:labels": {".": {}, "f:x": {}}}}
    # without ?fieldManager the manager comes from the User-Agent
    cm["data"]["b"] = "2"
    del cm["metadata"]["managedFields"]
    st, hdrs, data = kapi.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/cm-ssa", cm,
                                  headers={"User-Agent": "my-controller/v0.1 (linux/amd64)"})
    assert st == 200
    e = entries(json.loads(data))
    assert ("my-controller", "Update", "") in e


def test_kubectl_server_side_apply_and_force_conflicts(kapi, ns):
    manifest = json.dumps(deployment(replicas=1) | {"metadata": {"name": "kssa", "labels": {"app": "ssa"}}})
    out = kapi.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest).stdout
    assert "serverside-applied" in out
    kapi.kubectl("scale", "deployment", "kssa", "-n", ns, "--replicas=3")
    p = kapi.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest, check=False)
    assert p.returncode != 0 and "conflict" in p.stderr.lower() and ".spec.replicas" in p.stderr
    kapi.kubectl("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", "-", input=manifest)
    assert kapi.kubectl("get", "deployment", "kssa", "-n", ns, "-o", "jsonpath={.spec.replicas}").stdout == "1"


def test_client_side_to_server_side_migration(kapi, ns):
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mig"},
                           "data": {"a": "1", "b": "2"}})
    kapi.kubectl("apply", "-n", ns, "-f", "-", input=manifest)
    kapi.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest)
    # dropping a key from the file removes it under server-side apply
    manifest2 = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "mig"},
                            "data": {"a": "1"}})
    kapi.kubectl("apply", "--server-side", "-n", ns, "-f", "-", input=manifest2)
    st, cm = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/mig")
    assert cm["data"] == {"a": "1"}


def test_apply_to_status_subresource(kapi, ns):
    st, obj = apply(kapi, ns, deployment(), "carol", force=True)
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ssa"},
            "status": {"observedGeneration": 1, "replicas": 1}}
    st, obj = kapi.json("PATCH", f"/apis/apps/v1/namespaces/{ns}/deployments/ssa/status?fieldManager=ctrl",
                        json.dumps(body), headers=APPLY)
    assert st == 200, obj
    assert obj["status"]["replicas"] == 1
    e = entries(obj)
    assert ("ctrl", "Apply", "status") in e
    assert e[("ctrl", "Apply", "status")]["fieldsV1"]["f:status"]["f:replicas"] == {}


def test_apply_rules(kapi, ns):
    path = f"/apis/apps/v1/namespaces/{ns}/deployments/ssa"
    st, err = kapi.json("PATCH", path, json.dumps(deployment()), headers=APPLY)
    assert st == 422
    assert err["message"] == 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
    st, err = kapi.json("PATCH", path + "?force=true", '{"metadata":{}}',
                        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 422
    assert "force: Forbidden: may not be specified for non-apply patch" in err["message"]


def test_apply_custom_resources(kapi, ns):
    from test_80_crd import WIDGET_CRD, install
    install(kapi, WIDGET_CRD.replace("widget", "ssawidget").replace("Widget", "SsaWidget").replace("[wd]", "[sw]")
            .replace("categories: [all]", "categories: []"), "ssawidgets.example.com")
    body = {"apiVersion": "example.com/v1", "kind": "SsaWidget", "metadata": {"name": "w"},
            "spec": {"size": "small", "tags": ["a"]}}
    path = f"/apis/example.com/v1/namespaces/{ns}/ssawidgets/w"
    st, obj = kapi.json("PATCH", path + "?fieldManager=alice", json.dumps(body), headers=APPLY)
    assert st == 201, obj
    assert obj["spec"]["size"] == "small" and obj["spec"]["replicas"] == 1
    assert "f:size" in entries(obj)[("alice", "Apply", "")]["fieldsV1"]["f:spec"]
    body["spec"]["size"] = "large"
    st, err = kapi.json("PATCH", path + "?fieldManager=bob", json.dumps(body), headers=APPLY)
    assert st == 409 and err["details"]["causes"][0]["field"] == ".spec.size"


def test_dry_run_server_and_diff(kapi, ns):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "dry", "namespace": ns}, "data": {"a": "1"}}
    out = kapi.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=json.dumps(cm)).stdout
    assert "serverside-applied (server dry run)" in out
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")[0] == 404
    kapi.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(cm))
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")[0] == 404
    kapi.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(cm))
    kapi.kubectl("delete", "configmap", "dry", "-n", ns, "--dry-run=server")
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")[0] == 200
    # kubectl diff: exit 1 with the change shown, 0 when nothing differs
    changed = dict(cm, data={"a": "2"})
    p = kapi.kubectl("diff", "--server-side", "-f", "-", input=json.dumps(changed), check=False)
    assert p.returncode == 1, p.stderr
    assert '-  a: "1"' in p.stdout and '+  a: "2"' in p.stdout
    p = kapi.kubectl("diff", "--server-side", "-f", "-", input=json.dumps(cm), check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    # client-side diff of a client-side applied object
    csa = dict(cm, metadata={"name": "dry-csa", "namespace": ns})
    kapi.kubectl("apply", "-f", "-", input=json.dumps(csa))
    p = kapi.kubectl("diff", "-f", "-", input=json.dumps(dict(csa, data={"a": "3"})), check=False)
    assert p.returncode == 1 and '+  a: "3"' in p.stdout, p.stdout + p.stderr
    p = kapi.kubectl("diff", "-f", "-", input=json.dumps(csa), check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    st, live = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")
    assert live["data"] == {"a": "1"}
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/dry-csa")[1]["data"] == {"a": "1"}


def test_kubectl_apply_status_subresource(kapi, ns):
    kapi.kubectl("apply", "--server-side", "-n", ns, "-f", "-",
                 input=json.dumps(deployment() | {"metadata": {"name": "stat", "labels": {"app": "ssa"}}}))
    status = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "stat", "namespace": ns},
              "status": {"replicas": 7}}
    kapi.kubectl("apply", "--server-side", "--subresource=status", "--field-manager=stat-ctrl", "-f", "-",
                 input=json.dumps(status))
    st, obj = kapi.json("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/stat")
    assert obj["status"]["replicas"] == 7
    assert ("stat-ctrl", "Apply", "status") in entries(obj)


def test_apply_prune(kapi, ns):
    def doc(*names):
        return "\n---\n".join(json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": n, "namespace": ns, "labels": {"set": "p"}},
                                          "data": {"k": n}}) for n in names)
    kapi.kubectl("apply", "-l", "set=p", "--prune", "-f", "-", input=doc("p1", "p2"))
    out = kapi.kubectl("apply", "-l", "set=p", "--prune", "-f", "-", input=doc("p1")).stdout
    assert "configmap/p2 pruned" in out
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/p2")[0] == 404
    assert kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps/p1")[0] == 200
