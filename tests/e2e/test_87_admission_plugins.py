"""The object-defaulting and certificate admission plugins through real
requests: DefaultStorageClass and StorageObjectInUseProtection on PVCs and
PVs, DefaultIngressClass, RuntimeClass overhead and scheduling,
TaintNodesByCondition, PersistentVolumeClaimResize and the CSR plugins
(CertificateSubjectRestriction, CertificateApproval, CertificateSigning)."""
import base64
import json
import subprocess
import time

import pytest

from conftest import TOKEN


def create(kapi, path, body):
    st, out = kapi.json("POST", path, body)
    assert st == 201, (st, out)
    return out


def retry_until(fn, timeout=5):
    """fn() until it returns a true value (the cache may trail a write)."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.1)


def test_pvc_gets_default_class_and_protection(kapi):
    create(kapi, "/apis/storage.k8s.io/v1/storageclasses",
           {"metadata": {"name": "e2e-std",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "example.com/p"})
    pvc = {"metadata": {"name": "data"},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    out = create(kapi, "/api/v1/namespaces/default/persistentvolumeclaims", pvc)
    assert out["spec"]["storageClassName"] == "e2e-std"
    assert out["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    # read back: members in upstream's order
    got = json.loads(kapi.kubectl("get", "pvc", "data", "-o", "json").stdout)
    assert list(got["spec"]) == ["accessModes", "resources", "storageClassName", "volumeMode"]
    # an explicit empty class is kept (no dynamic provisioning)
    pvc2 = {"metadata": {"name": "static"},
            "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "1Gi"}}}}
    assert create(kapi, "/api/v1/namespaces/default/persistentvolumeclaims", pvc2)["spec"]["storageClassName"] == ""
    # a newer default wins
    time.sleep(1.1)
    create(kapi, "/apis/storage.k8s.io/v1/storageclasses",
           {"metadata": {"name": "e2e-newer",
                         "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "example.com/p"})
    pvc3 = {"metadata": {"name": "data3"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    assert create(kapi, "/api/v1/namespaces/default/persistentvolumeclaims", pvc3)["spec"]["storageClassName"] \
        == "e2e-newer"
    # PVs get pv-protection
    pv = {"metadata": {"name": "e2e-pv"},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/x"}}}
    assert create(kapi, "/api/v1/persistentvolumes", pv)["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    # the finalizer holds a deletion back
    kapi.kubectl("delete", "pvc", "data3", "--wait=false")
    got = json.loads(kapi.kubectl("get", "pvc", "data3", "-o", "json").stdout)
    assert "deletionTimestamp" in got["metadata"]
    for name in ("e2e-std", "e2e-newer"):
        kapi.kubectl("delete", "storageclass", name)


def test_pvc_resize_needs_expandable_bound_claim(kapi):
    st, out = kapi.json("PATCH", "/api/v1/namespaces/default/persistentvolumeclaims/static",
                        {"spec": {"resources": {"requests": {"storage": "2Gi"}}}},
                        headers={"Content-Type": "application/merge-patch+json"})
    # validation runs before the validating admission plugins: the spec of an
    # unbound claim is immutable, so upstream answers 422 before
    # PersistentVolumeClaimResize could say "Only bound persistent volume
    # claims can be expanded" (test_99 covers a bound claim reaching it)
    assert st == 422, out
    assert out["message"].startswith(
        'PersistentVolumeClaim "static" is invalid: spec: Forbidden: spec is immutable after creation except '
        'resources.requests and volumeAttributesClassName for bound claims\n')


def test_ingress_gets_default_class(kapi):
    create(kapi, "/apis/networking.k8s.io/v1/ingressclasses",
           {"metadata": {"name": "e2e-nginx",
                         "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
            "spec": {"controller": "example.com/ingress"}})
    ing = {"metadata": {"name": "web"},
           "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}
    out = create(kapi, "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ing)
    assert out["spec"]["ingressClassName"] == "e2e-nginx"
    assert list(out["spec"])[0] == "ingressClassName"
    # the legacy annotation opts out
    ing2 = {"metadata": {"name": "legacy", "annotations": {"kubernetes.io/ingress.class": "other"}},
            "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}
    assert "ingressClassName" not in create(kapi, "/apis/networking.k8s.io/v1/namespaces/default/ingresses",
                                            ing2)["spec"]
    kapi.kubectl("delete", "ingressclass", "e2e-nginx")


def pod(name, **spec):
    body = {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    body["spec"].update(spec)
    return body


def test_pod_with_runtime_class(kapi):
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods", pod("rc-missing", runtimeClassName="nope"))
    assert st == 403
    assert out["message"] == 'pods "rc-missing" is forbidden: pod rejected: RuntimeClass "nope" not found'
    create(kapi, "/apis/node.k8s.io/v1/runtimeclasses",
           {"metadata": {"name": "kata"}, "handler": "kata",
            "overhead": {"podFixed": {"memory": "120Mi", "cpu": "250m"}},
            "scheduling": {"nodeSelector": {"sandbox": "kata"},
                           "tolerations": [{"key": "sandbox", "operator": "Exists", "effect": "NoSchedule"}]}})
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods", pod("rc-pod", runtimeClassName="kata"))
    assert st == 201, out
    assert out["spec"]["overhead"] == {"cpu": "250m", "memory": "120Mi"}
    assert out["spec"]["nodeSelector"] == {"sandbox": "kata"}
    assert {"key": "sandbox", "operator": "Exists", "effect": "NoSchedule"} in out["spec"]["tolerations"]
    # the same through kubectl
    got = json.loads(kapi.kubectl("get", "pod", "rc-pod", "-o", "json").stdout)
    assert got["spec"]["overhead"] == {"cpu": "250m", "memory": "120Mi"}
    # a conflicting overhead or node selector is refused
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods",
                        pod("rc-bad", runtimeClassName="kata", overhead={"cpu": "1"}))
    assert st == 403
    assert out["message"] == ('pods "rc-bad" is forbidden: pod rejected: '
                              "Pod's Overhead doesn't match RuntimeClass's defined Overhead")
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods",
                        pod("rc-sel", runtimeClassName="kata", nodeSelector={"sandbox": "gvisor"}))
    assert st == 403
    assert out["message"] == ('pods "rc-sel" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[sandbox] '
                              '= kata; pod.spec.nodeSelector[sandbox] = gvisor')
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods", pod("oh-alone", overhead={"cpu": "1"}))
    assert st == 403
    assert out["message"] == ('pods "oh-alone" is forbidden: pod rejected: '
                              'Pod Overhead set without corresponding RuntimeClass defined Overhead')


def test_node_gets_not_ready_taint(kapi):
    out = create(kapi, "/api/v1/nodes", {"metadata": {"name": "e2e-node"}})
    assert out["spec"]["taints"] == [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]
    # updates keep what is there, and do not add it back
    st, out = kapi.json("PATCH", "/api/v1/nodes/e2e-node", {"spec": {"taints": None}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, out
    assert "taints" not in out["spec"]


def make_csr(org):
    key = subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", "/dev/null", "-subj", f"/CN=bob/O={org}"],
                         capture_output=True, check=True).stdout
    return base64.b64encode(key).decode()


def csr_body(name, org, signer="kubernetes.io/kube-apiserver-client"):
    return {"metadata": {"name": name},
            "spec": {"request": make_csr(org), "signerName": signer, "usages": ["client auth"]}}


def test_csr_for_system_masters_is_refused(kapi):
    st, out = kapi.json("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests",
                        csr_body("evil", "system:masters"))
    assert st == 403, out
    assert out["message"] == ('certificatesigningrequests.certificates.k8s.io "evil" is forbidden: use of '
                              'kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed')
    assert out["details"] == {"name": "evil", "group": "certificates.k8s.io", "kind": "certificatesigningrequests"}
    # other groups, or another signer, are fine
    create(kapi, "/apis/certificates.k8s.io/v1/certificatesigningrequests", csr_body("fine", "devs"))
    create(kapi, "/apis/certificates.k8s.io/v1/certificatesigningrequests",
           csr_body("custom", "system:masters", signer="example.com/signer"))


def as_jane(kapi, method, path, body=None):
    st, _, data = kapi.request(method, path, body, headers={"Authorization": "Bearer " + TOKEN}, client_cert=False)
    return st, json.loads(data) if data else None


def test_csr_approval_needs_approve_on_signer(kapi):
    """CertificateApproval asks the RBAC authorizer (kapi_adm_set_authorizer
    wired in main.c)."""
    create(kapi, "/apis/certificates.k8s.io/v1/certificatesigningrequests",
           csr_body("to-approve", "devs", signer="example.com/signer"))
    # jane may use the approval subresource, but has no "approve" on the signer
    kapi.kubectl("create", "clusterrole", "csr-approver", "--verb=get,update",
                 "--resource=certificatesigningrequests,certificatesigningrequests/approval")
    kapi.kubectl("create", "clusterrolebinding", "jane-csr", "--clusterrole=csr-approver", "--user=jane")
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests/to-approve"
    retry_until(lambda: as_jane(kapi, "GET", path)[0] == 200)
    st, cur = as_jane(kapi, "GET", path)
    assert st == 200
    cur["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "E2E", "message": "ok"}]}
    st, out = as_jane(kapi, "PUT", path + "/approval", cur)
    assert st == 403, out
    assert out["message"] == ('certificatesigningrequests.certificates.k8s.io "to-approve" is forbidden: user not '
                              'permitted to approve requests with signerName "example.com/signer"')
    # the domain wildcard grants it ("signers" is not a served resource: the
    # role is written directly)
    create(kapi, "/apis/rbac.authorization.k8s.io/v1/clusterroles",
           {"metadata": {"name": "signer-approver"},
            "rules": [{"verbs": ["approve"], "apiGroups": ["certificates.k8s.io"], "resources": ["signers"],
                       "resourceNames": ["example.com/*"]}]})
    kapi.kubectl("create", "clusterrolebinding", "jane-signer", "--clusterrole=signer-approver", "--user=jane")

    def approve():
        r = as_jane(kapi, "PUT", path + "/approval", cur)
        return r if r[0] == 200 else None

    st, out = retry_until(approve) or as_jane(kapi, "PUT", path + "/approval", cur)
    assert st == 200, out
    assert out["status"]["conditions"][0]["type"] == "Approved"


def test_limitranger_defaults_and_qos_class(kapi):
    """LimitRanger fills container resources from the namespace's LimitRange
    before the pod strategy computes status.qosClass, so the class follows
    the filled-in values (upstream: mutating admission, then
    PrepareForCreate)."""
    kapi.kubectl("create", "namespace", "lr-e2e")
    create(kapi, "/api/v1/namespaces/lr-e2e/limitranges",
           {"metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "200m", "memory": "64Mi"}}]}})
    pod = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}

    def created():
        st, out = kapi.json("POST", "/api/v1/namespaces/lr-e2e/pods", pod)
        if st == 201 and "resources" in out["spec"]["containers"][0] and \
                out["spec"]["containers"][0]["resources"].get("limits"):
            return out
        if st == 201:  # the LimitRange was not seen yet: try again
            kapi.json("DELETE", "/api/v1/namespaces/lr-e2e/pods/p?gracePeriodSeconds=0")
        return None
    out = retry_until(created)
    assert out, "LimitRange defaults never applied"
    res = out["spec"]["containers"][0]["resources"]
    # a LimitRange's default doubles as its defaultRequest
    assert res == {"limits": {"cpu": "200m", "memory": "64Mi"}, "requests": {"cpu": "200m", "memory": "64Mi"}}
    assert out["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == \
        "LimitRanger plugin set: cpu, memory request for container c; cpu, memory limit for container c"
    assert out["status"]["qosClass"] == "Guaranteed"
