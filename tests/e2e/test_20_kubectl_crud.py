"""Everyday kubectl work against kapi: create, get, list, label, annotate,
edit-free updates, delete, watch, wait, and paging past 1,000 objects."""
import json
import os
import subprocess
import threading
import time

import yaml


def cm_yaml(name, ns="default", data=None):
    return yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": name, "namespace": ns}, "data": data or {"k": "v"}})


def test_create_get_list_delete_configmap(kapi):
    kapi.kubectl("create", "-f", "-", input=cm_yaml("crud1"))
    obj = json.loads(kapi.kubectl("get", "configmap", "crud1", "-o", "json").stdout)
    assert obj["kind"] == "ConfigMap" and obj["data"] == {"k": "v"}
    md = obj["metadata"]
    assert md["namespace"] == "default" and md["uid"] and md["creationTimestamp"].endswith("Z")
    assert int(md["resourceVersion"]) > 0
    # upstream's key order on the wire (kubectl -o json sorts keys itself)
    st, raw = kapi.json("GET", "/api/v1/namespaces/default/configmaps/crud1")
    assert list(raw.keys()) == ["kind", "apiVersion", "data", "metadata"] or list(raw.keys())[:3] == ["kind", "apiVersion", "metadata"]
    assert list(raw["metadata"].keys()) == ["name", "namespace", "uid", "resourceVersion", "creationTimestamp",
                                            "managedFields"]
    out = kapi.kubectl("get", "cm", "crud1").stdout.splitlines()
    assert out[0].split() == ["NAME", "DATA", "AGE"] and out[1].split()[:2] == ["crud1", "1"]
    p = kapi.kubectl("create", "-f", "-", input=cm_yaml("crud1"), check=False)
    assert p.returncode != 0 and 'configmaps "crud1" already exists' in p.stderr
    assert kapi.kubectl("delete", "cm", "crud1").stdout.strip() == 'configmap "crud1" deleted'
    p = kapi.kubectl("get", "cm", "crud1", check=False)
    assert p.returncode != 0 and 'configmaps "crud1" not found' in p.stderr


def test_label_annotate_and_selectors(kapi):
    kapi.kubectl("create", "-f", "-", input=cm_yaml("lab1"))
    kapi.kubectl("create", "-f", "-", input=cm_yaml("lab2"))
    kapi.kubectl("label", "cm", "lab1", "tier=web", "env=prod")
    kapi.kubectl("label", "cm", "lab2", "tier=db")
    kapi.kubectl("annotate", "cm", "lab1", "note=hello")
    names = lambda sel: sorted(kapi.kubectl("get", "cm", "-l", sel, "-o", "name").stdout.split())
    assert names("tier=web") == ["configmap/lab1"]
    assert names("tier in (web,db)") == ["configmap/lab1", "configmap/lab2"]
    assert names("tier,!env") == ["configmap/lab2"]
    # every namespace also holds kube-root-ca.crt, which has no tier label
    assert names("tier notin (web)") == ["configmap/kube-root-ca.crt", "configmap/lab2"]
    obj = json.loads(kapi.kubectl("get", "cm", "lab1", "-o", "json").stdout)
    assert obj["metadata"]["annotations"] == {"note": "hello"}
    assert obj["metadata"]["labels"] == {"tier": "web", "env": "prod"}
    kapi.kubectl("label", "cm", "lab1", "env-")
    obj = json.loads(kapi.kubectl("get", "cm", "lab1", "-o", "json").stdout)
    assert obj["metadata"]["labels"] == {"tier": "web"}
    # field selectors on metadata.name
    assert kapi.kubectl("get", "cm", "--field-selector", "metadata.name=lab2", "-o", "name").stdout.split() == ["configmap/lab2"]
    p = kapi.kubectl("get", "cm", "--field-selector", "spec.nope=1", check=False)
    assert p.returncode != 0 and "field label not supported: spec.nope" in p.stderr
    kapi.kubectl("delete", "cm", "-l", "tier")
    assert kapi.kubectl("get", "cm", "-l", "tier", "-o", "name").stdout.strip() == ""


def test_replace_and_conflict(kapi):
    kapi.kubectl("create", "-f", "-", input=cm_yaml("rep1"))
    obj = json.loads(kapi.kubectl("get", "cm", "rep1", "-o", "json").stdout)
    stale = dict(obj)
    obj["data"] = {"k": "v2"}
    kapi.kubectl("replace", "-f", "-", input=json.dumps(obj))
    assert json.loads(kapi.kubectl("get", "cm", "rep1", "-o", "json").stdout)["data"] == {"k": "v2"}
    stale["data"] = {"k": "stale"}
    p = kapi.kubectl("replace", "-f", "-", input=json.dumps(stale), check=False)
    assert p.returncode != 0
    assert ('Operation cannot be fulfilled on configmaps "rep1": the object has been modified; '
            'please apply your changes to the latest version and try again') in p.stderr


def test_unchanged_replace_writes_nothing(kapi):
    """kubectl hides managedFields, so a replace of what `get` printed has
    none: the stored ones are kept and, nothing having changed, nothing is
    written (same resourceVersion, no watch event), as upstream."""
    kapi.kubectl("create", "-f", "-", input=cm_yaml("rep-noop"))
    before = kapi.json("GET", "/api/v1/namespaces/default/configmaps/rep-noop")[1]
    printed = kapi.kubectl("get", "cm", "rep-noop", "-o", "yaml").stdout
    assert "managedFields" not in printed
    kapi.kubectl("replace", "-f", "-", input=printed)
    after = kapi.json("GET", "/api/v1/namespaces/default/configmaps/rep-noop")[1]
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["metadata"]["managedFields"] == before["metadata"]["managedFields"]
    # a real change is written, and the stored managedFields stay the base
    changed = yaml.safe_load(printed)
    changed["data"] = {"k": "v2"}
    kapi.kubectl("replace", "-f", "-", input=yaml.safe_dump(changed))
    after = kapi.json("GET", "/api/v1/namespaces/default/configmaps/rep-noop")[1]
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    managers = [m["manager"] for m in after["metadata"]["managedFields"]]
    assert managers == ["kubectl-create", "kubectl-replace"], managers


def test_namespaces(kapi):
    names = kapi.kubectl("get", "ns", "-o", "name").stdout.split()
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert "namespace/" + ns in names
    p = kapi.kubectl("create", "-f", "-", input=cm_yaml("x", ns="missing-ns"), check=False)
    assert p.returncode != 0 and 'namespaces "missing-ns" not found' in p.stderr
    kapi.kubectl("create", "-f", "-", input=yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace",
                                                             "metadata": {"name": "team-a"}}))
    ns = json.loads(kapi.kubectl("get", "ns", "team-a", "-o", "json").stdout)
    assert ns["status"]["phase"] == "Active"
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "team-a"
    # An object with a finalizer keeps the namespace Terminating.
    kapi.kubectl("create", "-f", "-", input=yaml.safe_dump({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "held", "namespace": "team-a", "finalizers": ["example.com/hold"]}}))
    kapi.kubectl("delete", "ns", "team-a", "--wait=false")
    ns = json.loads(kapi.kubectl("get", "ns", "team-a", "-o", "json").stdout)
    assert ns["status"]["phase"] == "Terminating" and ns["metadata"]["deletionTimestamp"]
    p = kapi.kubectl("create", "-f", "-", input=cm_yaml("late", ns="team-a"), check=False)
    assert p.returncode != 0
    assert "unable to create new content in namespace team-a because it is being terminated" in p.stderr
    # Releasing the finalizer lets the namespace controller finish.
    kapi.kubectl("patch", "cm", "held", "-n", "team-a", "--type=json",
                 "-p", '[{"op":"remove","path":"/metadata/finalizers"}]')
    kapi.kubectl("wait", "--for=delete", "ns/team-a", "--timeout=30s")


def test_delete_namespace_with_content_completes(kapi):
    kapi.kubectl("create", "namespace", "doomed")
    kapi.kubectl("create", "configmap", "a", "-n", "doomed", "--from-literal=x=y")
    kapi.kubectl("create", "secret", "generic", "b", "-n", "doomed", "--from-literal=x=y")
    kapi.kubectl("create", "deployment", "c", "-n", "doomed", "--image=nginx")
    out = kapi.kubectl("delete", "namespace", "doomed", "--timeout=60s", timeout=90).stdout
    assert out.strip() == 'namespace "doomed" deleted'
    p = kapi.kubectl("get", "ns", "doomed", check=False)
    assert p.returncode != 0 and 'namespaces "doomed" not found' in p.stderr
    st, body = kapi.json("GET", "/api/v1/namespaces/doomed/configmaps")
    assert st == 200 and body["items"] == []


def test_watch_sees_changes(kapi):
    proc = subprocess.Popen([*("kubectl --kubeconfig".split()), kapi.kubeconfig, "get", "cm", "-w",
                             "--output-watch-events", "-o", "custom-columns=TYPE:.type,NAME:.object.metadata.name,DATA:.object.data.k",
                             "--request-timeout=8s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    kapi.kubectl("create", "-f", "-", input=cm_yaml("w1"))
    kapi.kubectl("patch", "cm", "w1", "--type=merge", "-p", '{"data":{"k":"v9"}}')
    kapi.kubectl("delete", "cm", "w1")
    time.sleep(1.0)
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    events = [l.split() for l in out.splitlines() if "w1" in l]
    assert [e[0] for e in events] == ["ADDED", "MODIFIED", "DELETED"], out + err
    assert events[1][2] == "v9"


def test_wait_for_delete(kapi):
    kapi.kubectl("create", "-f", "-", input=cm_yaml("gone1"))
    waiter = subprocess.Popen(["kubectl", "--kubeconfig", kapi.kubeconfig, "wait", "--for=delete", "cm/gone1",
                               "--timeout=20s"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    kapi.kubectl("delete", "cm", "gone1", "--wait=false")
    out, err = waiter.communicate(timeout=30)
    assert waiter.returncode == 0, out + err
    assert "condition met" in out or "deleted" in out


def test_paging_over_1000_objects(kapi):
    status, _ = kapi.json("POST", "/api/v1/namespaces", {"metadata": {"name": "paging"}})
    assert status == 201
    errors = []

    def create(lo, hi):
        for i in range(lo, hi):
            st, _, body = kapi.request("POST", "/api/v1/namespaces/paging/configmaps",
                                       {"metadata": {"name": f"cm-{i:05d}"}, "data": {"i": str(i)}})
            if st != 201:
                errors.append((i, st, body))

    threads = [threading.Thread(target=create, args=(n * 275, (n + 1) * 275)) for n in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors, errors[:3]
    out = kapi.kubectl("get", "cm", "-n", "paging", "--chunk-size=100", "-o", "name", "-v=6")
    names = [n for n in out.stdout.split() if n.startswith("configmap/cm-")]
    assert len(names) == 1100 and names == sorted(names)
    assert out.stderr.count("continue=") >= 10  # kubectl really paged
    st, page = kapi.json("GET", "/api/v1/namespaces/paging/configmaps?limit=500")
    assert st == 200 and len(page["items"]) == 500
    # 1,100 of ours plus the namespace's kube-root-ca.crt
    assert page["metadata"]["remainingItemCount"] == 601 and page["metadata"]["continue"]
    st, page2 = kapi.json("GET", "/api/v1/namespaces/paging/configmaps?limit=500&continue=" + page["metadata"]["continue"])
    assert st == 200 and page2["items"][0]["metadata"]["name"] == "cm-00500"
    assert page2["metadata"]["resourceVersion"] == page["metadata"]["resourceVersion"]
    st, body = kapi.json("GET", "/api/v1/namespaces/paging/configmaps?limit=5&continue=bm90LWEtdG9rZW4")
    assert st == 400 and body["reason"] == "BadRequest"
    # kubectl deletes one by one; --wait=false skips its client-side-throttled polling
    kapi.kubectl("delete", "cm", "--all", "-n", "paging", "--wait=false", timeout=120)
    left = kapi.kubectl("get", "cm", "-n", "paging", "-o", "name").stdout.split()
    assert [n for n in left if n != "configmap/kube-root-ca.crt"] == []  # the controller re-creates that one


def test_create_generators_send_protobuf(kapi):
    """kubectl's create subcommands send application/vnd.kubernetes.protobuf."""
    kapi.kubectl("create", "namespace", "gen-ns")
    kapi.kubectl("create", "configmap", "gen-cm", "-n", "gen-ns", "--from-literal=a=b", "--from-literal=c=d")
    cm = json.loads(kapi.kubectl("get", "cm", "gen-cm", "-n", "gen-ns", "-o", "json").stdout)
    assert cm["data"] == {"a": "b", "c": "d"}
    kapi.kubectl("create", "secret", "generic", "gen-s", "-n", "gen-ns", "--from-literal=p=q")
    s = json.loads(kapi.kubectl("get", "secret", "gen-s", "-n", "gen-ns", "-o", "json").stdout)
    assert s["data"] == {"p": "cQ=="}
    kapi.kubectl("create", "deployment", "gen-d", "-n", "gen-ns", "--image=nginx:1.27", "--replicas=3")
    d = json.loads(kapi.kubectl("get", "deploy", "gen-d", "-n", "gen-ns", "-o", "json").stdout)
    assert d["spec"]["replicas"] == 3
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert d["metadata"]["generation"] == 1


def test_continue_pages_are_a_consistent_snapshot(kapi):
    ns = "snap"
    assert kapi.json("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})[0] == 201
    for i in range(6):
        assert kapi.json("POST", f"/api/v1/namespaces/{ns}/configmaps",
                         {"metadata": {"name": f"a{i}"}, "data": {"v": "old"}})[0] == 201
    st, p1 = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps?limit=3")
    assert [i["metadata"]["name"] for i in p1["items"]] == ["a0", "a1", "a2"]
    list_rv = p1["metadata"]["resourceVersion"]
    # Change the second page after the first was read.
    assert kapi.json("PATCH", f"/api/v1/namespaces/{ns}/configmaps/a4", {"data": {"v": "new"}},
                     headers={"Content-Type": "application/merge-patch+json"})[0] == 200
    assert kapi.json("DELETE", f"/api/v1/namespaces/{ns}/configmaps/a5")[0] == 200
    st, p2 = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps?limit=3&continue={p1['metadata']['continue']}")
    assert st == 200
    assert [(i["metadata"]["name"], i["data"]["v"]) for i in p2["items"]] == [("a3", "old"), ("a4", "old"), ("a5", "old")]
    assert p2["metadata"]["resourceVersion"] == list_rv
    # The same revision, asked for exactly.
    st, exact = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps?resourceVersion={list_rv}&resourceVersionMatch=Exact")
    assert st == 200 and len([i for i in exact["items"] if i["metadata"]["name"].startswith("a")]) == 6
    st, now = kapi.json("GET", f"/api/v1/namespaces/{ns}/configmaps")
    assert len([i for i in now["items"] if i["metadata"]["name"].startswith("a")]) == 5


def test_field_selectors_per_kind(kapi):
    for name, node, phase in (("fp1", "n1", "Running"), ("fp2", "n2", "Pending"), ("fp3", "n1", "Pending")):
        st, _ = kapi.json("POST", "/api/v1/namespaces/default/pods", {
            "metadata": {"name": name}, "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i"}]},
            "status": {"phase": phase}})
        assert st == 201
    names = lambda sel: sorted(kapi.kubectl("get", "pods", "--field-selector", sel, "-o", "name").stdout.split())
    assert names("spec.nodeName=n1") == ["pod/fp1", "pod/fp3"]
    assert names("spec.nodeName=n1,metadata.name!=fp1") == ["pod/fp3"]
    assert names("spec.nodeName!=n1") == ["pod/fp2"]
    kapi.kubectl("create", "secret", "generic", "fs-opaque", "--from-literal=a=b")
    kapi.kubectl("create", "secret", "docker-registry", "fs-docker", "--docker-server=x", "--docker-username=u",
                 "--docker-password=p")
    assert kapi.kubectl("get", "secrets", "--field-selector", "type=kubernetes.io/dockerconfigjson",
                        "-o", "name").stdout.split() == ["secret/fs-docker"]
    p = kapi.kubectl("get", "secrets", "--field-selector", "spec.nodeName=n1", check=False)
    assert p.returncode != 0 and "field label not supported: spec.nodeName" in p.stderr
    # a watch with a field selector sees an object leave the selection as DELETED
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/pods?watch=1&fieldSelector=spec.nodeName%3Dn2&timeoutSeconds=1")
    assert [json.loads(l)["object"]["metadata"]["name"] for l in body.decode().splitlines()] == ["fp2"]


def test_kubectl_get_columns(kapi):
    kapi.kubectl("create", "deployment", "cols", "--image=nginx:1.27", "--replicas=2")
    head, row = kapi.kubectl("get", "deploy", "cols").stdout.splitlines()[:2]
    assert head.split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row.split()[:4] == ["cols", "0/2", "0", "0"]
    head, row = kapi.kubectl("get", "deploy", "cols", "-o", "wide").stdout.splitlines()[:2]
    assert head.split()[-3:] == ["CONTAINERS", "IMAGES", "SELECTOR"]
    assert row.split()[-3:] == ["nginx", "nginx:1.27", "app=cols"]
    head = kapi.kubectl("get", "ns").stdout.splitlines()[0]
    assert head.split() == ["NAME", "STATUS", "AGE"]
    kapi.kubectl("create", "configmap", "colcm", "--from-literal=a=1", "--from-literal=b=2")
    lines = kapi.kubectl("get", "cm", "colcm").stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"] and lines[1].split()[:2] == ["colcm", "2"]
    # kinds without an upstream printer keep the default table
    kapi.kubectl("create", "role", "r1", "--verb=get", "--resource=pods")
    assert kapi.kubectl("get", "role", "r1").stdout.splitlines()[0].split() == ["NAME", "CREATED", "AT"]


def test_new_namespace_gets_service_account_and_root_ca(kapi):
    kapi.kubectl("create", "namespace", "fresh-ns")
    deadline = time.time() + 5
    while time.time() < deadline:
        sa = kapi.kubectl("get", "sa", "default", "-n", "fresh-ns", check=False)
        cm = kapi.kubectl("get", "cm", "kube-root-ca.crt", "-n", "fresh-ns", "-o", "json", check=False)
        if sa.returncode == 0 and cm.returncode == 0:
            break
        time.sleep(0.1)
    assert sa.returncode == 0 and cm.returncode == 0
    ca = json.loads(cm.stdout)["data"]["ca.crt"]
    assert ca.startswith("-----BEGIN CERTIFICATE-----")
    assert ca == open(os.path.join(kapi.data_dir, "pki", "ca.crt")).read()


def test_secret_string_data_is_written_into_data(kapi):
    """stringData is write-only: it lands in data (base64), overriding keys
    that data also has, and is never stored or returned."""
    import base64
    manifest = yaml.safe_dump({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sd", "namespace": "default"},
                               "data": {"a": base64.b64encode(b"old").decode(), "keep": base64.b64encode(b"k").decode()},
                               "stringData": {"a": "new", "b": "two"}})
    kapi.kubectl("apply", "-f", "-", input=manifest)
    st, sec = kapi.json("GET", "/api/v1/namespaces/default/secrets/sd")
    assert "stringData" not in sec
    assert {k: base64.b64decode(v).decode() for k, v in sec["data"].items()} == {"a": "new", "b": "two", "keep": "k"}
    assert list(sec["data"]) == sorted(sec["data"])
    assert sec["type"] == "Opaque"
