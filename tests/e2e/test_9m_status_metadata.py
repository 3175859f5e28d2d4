"""Which metadata a /status write may change, per kind, through the real
server (kube-apiserver 1.33's status strategies), and the AppArmor
annotation/field sync of 1.33's pod create."""
import time

NEW = {"labels": {"l": "new"}, "annotations": {"a": "new"}, "finalizers": ["example.com/new"]}
OLD = {"labels": {"l": "old"}, "annotations": {"a": "old"}, "finalizers": ["example.com/old"]}


def create(kapi, path, body):
    body["metadata"].update({k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in OLD.items()})
    st, out = kapi.json("POST", path, body)
    assert st == 201, out
    return out


def status_write(kapi, path, obj):
    """A PUT to /status that tries to change labels, annotations and
    finalizers; answers the stored metadata and which of the three kept the
    stored value ("old") or took the write's ("new")."""
    obj["metadata"].update({k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in NEW.items()})
    st, out = kapi.json("PUT", path + "/" + obj["metadata"]["name"] + "/status", obj)
    assert st == 200, out
    st, got = kapi.json("GET", path + "/" + obj["metadata"]["name"])
    assert st == 200, got
    md = got["metadata"]
    assert md == out["metadata"]
    return md, tuple("old" if md.get(k) == OLD[k] else "new" if md.get(k) == NEW[k] else md.get(k)
                     for k in ("labels", "annotations", "finalizers"))


def release(kapi, path, name):
    """Drops the finalizers so the module's objects can go."""
    kapi.json("PATCH", f"{path}/{name}", {"metadata": {"finalizers": None}},
              headers={"Content-Type": "application/merge-patch+json"})


def test_pod_status_may_change_labels_but_not_owner_references(kapi):
    path = "/api/v1/namespaces/default/pods"
    cm = create(kapi, "/api/v1/namespaces/default/configmaps",
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sm-owner"}})
    owner = {"apiVersion": "v1", "kind": "ConfigMap", "name": "sm-owner", "uid": cm["metadata"]["uid"]}
    pod = create(kapi, path, {"apiVersion": "v1", "kind": "Pod",
                              "metadata": {"name": "sm-pod", "ownerReferences": [owner]},
                              "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    pod["metadata"]["ownerReferences"] = [dict(owner, name="other", uid="0000-1111")]
    md, which = status_write(kapi, path, pod)
    assert which == ("new", "new", "new")
    assert md["ownerReferences"] == [owner]
    release(kapi, path, "sm-pod")
    release(kapi, "/api/v1/namespaces/default/configmaps", "sm-owner")


def test_deployment_status_keeps_labels_only(kapi):
    path = "/apis/apps/v1/namespaces/default/deployments"
    d = create(kapi, path, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sm-deploy"},
                            "spec": {"selector": {"matchLabels": {"app": "sm"}}, "template": {
                                "metadata": {"labels": {"app": "sm"}},
                                "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    gen = d["metadata"]["generation"]
    d["metadata"]["generation"] = gen + 5
    md, which = status_write(kapi, path, d)
    assert which == ("old", "new", "new")
    assert md["generation"] == gen
    release(kapi, path, "sm-deploy")


def test_spec_only_status_strategies(kapi):
    # services, namespaces and config-less kinds: everything in metadata but
    # the system fields may change through /status
    path = "/api/v1/namespaces/default/services"
    svc = create(kapi, path, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "sm-svc"},
                              "spec": {"ports": [{"port": 80}]}})
    assert status_write(kapi, path, svc)[1] == ("new", "new", "new")
    release(kapi, path, "sm-svc")
    path = "/apis/apps/v1/namespaces/default/replicasets"
    rs = create(kapi, path, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "sm-rs"},
                             "spec": {"selector": {"matchLabels": {"app": "smrs"}}, "template": {
                                 "metadata": {"labels": {"app": "smrs"}},
                                 "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}})
    assert status_write(kapi, path, rs)[1] == ("new", "new", "new")
    release(kapi, path, "sm-rs")
    path = "/api/v1/namespaces"
    ns = create(kapi, path, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sm-ns"}})
    md, _ = status_write(kapi, path, ns)
    # the name label stays whatever the write says
    assert md["labels"] == {"l": "new", "kubernetes.io/metadata.name": "sm-ns"}
    assert md["annotations"] == NEW["annotations"] and md["finalizers"] == NEW["finalizers"]
    release(kapi, path, "sm-ns")


def test_reset_object_meta_kinds(kapi):
    # VolumeAttachment: ResetObjectMetaForStatus keeps all four
    path = "/apis/storage.k8s.io/v1/volumeattachments"
    va = create(kapi, path, {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
                             "metadata": {"name": "sm-va"},
                             "spec": {"attacher": "csi.example.com", "nodeName": "n1",
                                      "source": {"persistentVolumeName": "pv1"}}})
    va["status"] = {"attached": True}
    md, which = status_write(kapi, path, va)
    assert which == ("old", "old", "old")
    release(kapi, path, "sm-va")
    # APIService: labels, annotations, finalizers and ownerReferences
    path = "/apis/apiregistration.k8s.io/v1/apiservices"
    api = create(kapi, path, {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                              "metadata": {"name": "v1.sm.example.com"},
                              "spec": {"group": "sm.example.com", "version": "v1", "groupPriorityMinimum": 100,
                                       "versionPriority": 10}})
    assert status_write(kapi, path, api)[1] == ("old", "old", "old")
    release(kapi, path, "v1.sm.example.com")


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.sm.example.com"},
    "spec": {"group": "sm.example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}


def test_crd_and_custom_resource(kapi):
    path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    crd = create(kapi, path, CRD)
    # the CRD's status strategy keeps labels, annotations and owner
    # references; finalizers may change
    md, which = status_write(kapi, path, crd)
    assert which == ("old", "old", "new")
    kapi.kubectl("wait", "--for", "condition=Established", "--timeout=15s", "crd/gadgets.sm.example.com")
    # a custom resource's /status keeps the whole stored metadata
    cpath = "/apis/sm.example.com/v1/namespaces/default/gadgets"
    deadline = time.time() + 15
    while True:
        st, cr = kapi.json("POST", cpath, {"apiVersion": "sm.example.com/v1", "kind": "Gadget",
                                           "metadata": dict({"name": "g1"}, **OLD), "spec": {"x": 1}})
        if st == 201 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert st == 201, cr
    cr["status"] = {"ok": True}
    cr["metadata"]["generateName"] = "g-"
    md, which = status_write(kapi, cpath, cr)
    assert which == ("old", "old", "old")
    assert "generateName" not in md
    release(kapi, cpath, "g1")
    release(kapi, path, "gadgets.sm.example.com")


AA = "container.apparmor.security.beta.kubernetes.io/"


def test_pod_create_syncs_apparmor(kapi):
    path = "/api/v1/namespaces/default/pods"
    st, out = kapi.json("POST", path, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "sm-aa", "annotations": {AA + "b": "localhost/prof-b", AA + "c": "runtime/default"}},
        "spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
                 "containers": [
                     {"name": "a", "image": "busybox",
                      "securityContext": {"appArmorProfile": {"type": "Unconfined"}}},
                     {"name": "b", "image": "busybox"},
                     {"name": "c", "image": "busybox"},
                     {"name": "d", "image": "busybox"}]}})
    assert st == 201, out
    ann = out["metadata"]["annotations"]
    # fields to annotations: the container's profile, else the pod's
    assert ann[AA + "a"] == "unconfined"
    assert ann[AA + "d"] == "runtime/default"
    # annotations to fields, unless equal to the pod's profile
    ctrs = {c["name"]: c for c in out["spec"]["containers"]}
    assert ctrs["b"]["securityContext"]["appArmorProfile"] == {"type": "Localhost", "localhostProfile": "prof-b"}
    assert "appArmorProfile" not in ctrs["c"].get("securityContext", {})
    assert "appArmorProfile" not in ctrs["d"].get("securityContext", {})
    # stored as answered
    st, got = kapi.json("GET", path + "/sm-aa")
    assert got["metadata"]["annotations"] == ann
    # an annotation that differs from the pod profile is no longer refused:
    # it becomes the container's field before validation
    st, out = kapi.json("POST", path, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "sm-aa2", "annotations": {AA + "a": "unconfined"}},
        "spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
                 "containers": [{"name": "a", "image": "busybox"}]}})
    assert st == 201, out
    # an unknown annotation value is not synced and validation refuses the
    # mismatch with the pod's profile
    st, out = kapi.json("POST", path, {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "sm-aa3", "annotations": {AA + "a": "bogus"}},
        "spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}},
                 "containers": [{"name": "a", "image": "busybox"}]}})
    assert st == 422, out
    assert ("FieldValueForbidden", "spec.containers[0].securityContext.appArmorProfile.type",
            "Forbidden: apparmor type in annotation and field must match") in [
        (c["reason"], c["field"], c["message"]) for c in out["details"]["causes"]]
    # Windows pods are not synced
    st, out = kapi.json("POST", path, {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "sm-aa4"},
        "spec": {"os": {"name": "windows"}, "containers": [{"name": "a", "image": "busybox"}]}})
    assert st == 201, out
    assert AA + "a" not in out["metadata"].get("annotations", {})
