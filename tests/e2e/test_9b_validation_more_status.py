"""Status-subresource validation of ResourceQuota, Ingress and
CertificateSigningRequest (kube-apiserver 1.33's status strategies), CronJob
(whose status strategy checks nothing) and imagePullSecrets: the 422 Status
(message and details.causes) through raw HTTPS and kubectl
`patch --subresource=status`."""
import base64
import datetime
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MERGE = {"Content-Type": "application/merge-patch+json"}


def status_422(out, kind, name, causes, group=None):
    """causes are (reason, field, message); checks the whole Status body."""
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}
    if group:
        details["group"] = group
    msgs = [f"{f}: {m}" for _, f, m in causes]
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    qualified = f"{kind}.{group}" if group else kind
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": f'{qualified} "{name}" is invalid: {agg}', "reason": "Invalid",
                   "details": details, "code": 422}


def test_resource_quota_status_over_https(kapi):
    path = "/api/v1/namespaces/default/resourcequotas"
    st, out = kapi.json("POST", path, {"metadata": {"name": "rq"}, "spec": {"hard": {"pods": "5"}}})
    assert st == 201, out
    st, out = kapi.json("PATCH", path + "/rq/status",
                        {"status": {"hard": {"pods": "5", "foo": "1"}, "used": {"pods": "-1"}}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "ResourceQuota", "rq", [
        ("FieldValueInvalid", "status.hard[foo]",
         'Invalid value: "foo": must be a standard resource type or fully qualified'),
        ("FieldValueInvalid", "status.hard[foo]", 'Invalid value: "foo": must be a standard resource for quota'),
        ("FieldValueInvalid", "status.used[pods]", 'Invalid value: "-1": must be greater than or equal to 0')])
    st, out = kapi.json("PATCH", path + "/rq/status",
                        {"status": {"hard": {"pods": "5", "example.com/widgets": "2"}, "used": {"pods": "0"}}},
                        headers=MERGE)
    assert st == 200, out
    assert out["status"]["hard"]["example.com/widgets"] == "2"
    # the spec rules are not the status ones: a spec write with the same key is not checked here
    st, out = kapi.json("PATCH", path + "/rq", {"spec": {"hard": {"pods": "6"}}}, headers=MERGE)
    assert st == 200, out


def test_ingress_status_with_kubectl(kapi):
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "ing"},
           "spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 80}}}}}
    kapi.kubectl("create", "-f", "-", input=json.dumps(ing))
    p = kapi.kubectl("patch", "ingress", "ing", "--subresource=status", "--type=merge", "-p",
                     '{"status":{"loadBalancer":{"ingress":[{"ip":"1.2.3"},{"hostname":"10.0.0.1"}]}}}',
                     check=False)
    assert p.returncode != 0
    assert ('The Ingress "ing" is invalid: \n'
            '* status.loadBalancer.ingress[0].ip: Invalid value: "1.2.3": must be a valid IP address, '
            '(e.g. 10.9.8.7 or 2001:db8::ffff)\n'
            '* status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, '
            'not an IP address') in p.stderr, p.stderr
    out = kapi.kubectl("patch", "ingress", "ing", "--subresource=status", "--type=merge", "-p",
                       '{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"},{"hostname":"lb.example.com"}]}}}',
                       "-o", "json").stdout
    assert json.loads(out)["status"]["loadBalancer"]["ingress"][1]["hostname"] == "lb.example.com"


def _csr_and_cert():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e")])
    req = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return req.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM)


def test_csr_status_over_https_and_kubectl(kapi):
    req, cert = _csr_and_cert()
    path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    body = {"metadata": {"name": "csr1"},
            "spec": {"request": base64.b64encode(req).decode(), "signerName": "example.com/e2e",
                     "usages": ["client auth"]}}
    st, out = kapi.json("POST", path, body)
    assert st == 201, out
    # /status may not approve, and its conditions are checked
    st, out = kapi.json("PATCH", path + "/csr1/status",
                        {"status": {"conditions": [{"type": "Approved", "status": "True", "reason": "R"},
                                                   {"type": "Denied", "status": "False"}]}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "CertificateSigningRequest", "csr1", [
        ("FieldValueNotSupported", "status.conditions[1].status",
         'Unsupported value: "False": supported values: "True"'),
        ("FieldValueInvalid", "status.conditions[1].type",
         'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive'),
        ("FieldValueForbidden", "status.conditions", 'Forbidden: updates may not add a condition of type "Approved"'),
        ("FieldValueForbidden", "status.conditions", 'Forbidden: updates may not add a condition of type "Denied"')],
        group="certificates.k8s.io")
    # approve through /approval, then the signer's /status write: PEM CERTIFICATE blocks only
    st, out = kapi.json("PATCH", path + "/csr1/approval",
                        {"status": {"conditions": [{"type": "Approved", "status": "True", "reason": "OK"}]}},
                        headers=MERGE)
    assert st == 200, out
    st, out = kapi.json("PATCH", path + "/csr1/status",
                        {"status": {"certificate": base64.b64encode(req).decode()}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "CertificateSigningRequest", "csr1", [
        ("FieldValueInvalid", "status.certificate", 'Invalid value: "<certificate data>": only CERTIFICATE PEM '
         'blocks are allowed, found "CERTIFICATE REQUEST"')], group="certificates.k8s.io")
    kapi.kubectl("patch", "csr", "csr1", "--subresource=status", "--type=merge", "-p",
                 json.dumps({"status": {"certificate": base64.b64encode(cert).decode()}}))
    # set once: a different certificate, or dropping Approved, is refused
    p = kapi.kubectl("patch", "csr", "csr1", "--subresource=status", "--type=json", "-p",
                     '[{"op":"remove","path":"/status/conditions"}]', check=False)
    assert p.returncode != 0
    assert ('The CertificateSigningRequest "csr1" is invalid: status.conditions: Forbidden: updates may not '
            'remove a condition of type "Approved"') in p.stderr, p.stderr
    _, other = _csr_and_cert()
    st, out = kapi.json("PATCH", path + "/csr1/status",
                        {"status": {"certificate": base64.b64encode(other).decode()}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "CertificateSigningRequest", "csr1", [
        ("FieldValueForbidden", "status.certificate",
         "Forbidden: updates may not modify existing certificate content")], group="certificates.k8s.io")


def test_cronjob_status_is_not_validated(kapi):
    kapi.kubectl("create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *")
    out = kapi.kubectl("patch", "cronjob", "cj", "--subresource=status", "--type=merge", "-p",
                       '{"status":{"lastScheduleTime":"2024-01-01T00:00:00Z",'
                       '"active":[{"kind":"Job","name":"not-there"}]}}', "-o", "json").stdout
    assert json.loads(out)["status"]["active"][0]["name"] == "not-there"


def test_image_pull_secrets_accept_any_name(kapi):
    # upstream's only rule ("only name may be set") cannot fire through JSON:
    # an empty or odd name is stored as given
    pod = {"metadata": {"name": "ips"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}],
                    "imagePullSecrets": [{"name": ""}, {"name": "Not_A_Name"}, {}]}}
    st, out = kapi.json("POST", "/api/v1/namespaces/default/pods", pod)
    assert st == 201, out
    assert out["spec"]["imagePullSecrets"][1] == {"name": "Not_A_Name"}


def test_persistent_volume_spec_rules(kapi):
    path = "/api/v1/persistentvolumes"
    base = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]}
    st, out = kapi.json("POST", path, {"metadata": {"name": "pvbad"}, "spec": dict(base)})
    assert st == 422, out
    status_422(out, "PersistentVolume", "pvbad",
               [("FieldValueRequired", "spec", "Required value: must specify a volume type")])
    st, out = kapi.json("POST", path, {"metadata": {"name": "pvbad"},
                                       "spec": dict(base, local={"path": "/mnt/d"}, nfs={"server": "s", "path": "/x"},
                                                    persistentVolumeReclaimPolicy="Keep")})
    assert st == 422, out
    status_422(out, "PersistentVolume", "pvbad", [
        ("FieldValueNotSupported", "spec.persistentVolumeReclaimPolicy",
         'Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'),
        ("FieldValueForbidden", "spec.local", "Forbidden: may not specify more than 1 volume type")])
    st, out = kapi.json("POST", path, {"metadata": {"name": "pvbad"},
                                       "spec": dict(base, local={"path": "/mnt/d"})})
    assert st == 422, out
    status_422(out, "PersistentVolume", "pvbad", [
        ("FieldValueRequired", "spec.nodeAffinity", "Required value: Local volume requires node affinity")])
    manifest = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pvcsi"},
                "spec": dict(base, csi={"driver": "example.com/driver", "volumeHandle": ""})}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(manifest), check=False)
    assert p.returncode != 0
    assert 'The PersistentVolume "pvcsi" is invalid: \n* spec.csi.driver: Invalid value: "example.com/driver": ' \
        "a lowercase RFC 1123 subdomain must consist of" in p.stderr, p.stderr
    assert "* spec.csi.volumeHandle: Required value" in p.stderr, p.stderr
    manifest["spec"]["csi"] = {"driver": "driver.example.com", "volumeHandle": "vol-1"}
    kapi.kubectl("create", "-f", "-", input=json.dumps(manifest))
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}
    st, out = kapi.json("POST", path, {"metadata": {"name": "pvlocal"},
                                       "spec": dict(base, local={"path": "/mnt/d"}, nodeAffinity=affinity)})
    assert st == 201, out
    # a PV status write is not checked against the spec rules
    st, out = kapi.json("PATCH", path + "/pvlocal/status", {"status": {"phase": "Available"}}, headers=MERGE)
    assert st == 200, out


def test_persistent_volume_update_rules(kapi):
    """ValidatePersistentVolumeUpdate: the source, volumeMode and a set
    nodeAffinity are fixed; capacity and the reclaim policy may change."""
    path = "/api/v1/persistentvolumes"
    affinity = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}]}]}}
    spec = {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "nodeAffinity": affinity,
            "csi": {"driver": "d.example.com", "volumeHandle": "vol-1"}}
    st, out = kapi.json("POST", path, {"metadata": {"name": "pvupd"}, "spec": spec})
    assert st == 201, out
    st, out = kapi.json("PATCH", path + "/pvupd", {"spec": {"capacity": {"storage": "2Gi"},
                                                             "persistentVolumeReclaimPolicy": "Delete"}},
                        headers=MERGE)
    assert st == 200, out
    st, out = kapi.json("PATCH", path + "/pvupd", {"spec": {"csi": {"volumeHandle": "vol-2"}}}, headers=MERGE)
    assert st == 422, out
    cause = out["details"]["causes"][0]
    assert cause["reason"] == "FieldValueForbidden" and cause["field"] == "spec.persistentvolumesource"
    assert cause["message"].startswith("Forbidden: spec.persistentvolumesource is immutable after creation\n")
    st, out = kapi.json("PATCH", path + "/pvupd", {"spec": {"volumeMode": "Block"}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "PersistentVolume", "pvupd",
               [("FieldValueInvalid", "volumeMode", 'Invalid value: "Block": field is immutable')])
    p = kapi.kubectl("patch", "pv", "pvupd", "--type=json", "-p", '[{"op":"remove","path":"/spec/nodeAffinity"}]',
                     check=False)
    assert p.returncode != 0
    assert 'nodeAffinity: Invalid value: "null": field is immutable' in p.stderr, p.stderr
