"""CertificateSigningRequest spec validation and strategy (kube-apiserver
1.33): a CSR made with openssl is accepted, its requester fields come from
the authenticated user, `kubectl certificate approve` works, a main-resource
update keeps the stored spec, and bad requests, usages, signer names and
expirations are refused with 422 and upstream's details.causes."""
import base64
import json
import re
import subprocess

PATH = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
GROUP = "certificates.k8s.io"
KIND = "CertificateSigningRequest"


def openssl_csr(tmp_path, cn="alice"):
    key, req = tmp_path / f"{cn}.key", tmp_path / f"{cn}.csr"
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", str(key), "-subj", f"/CN={cn}", "-out", str(req)],
                   check=True, capture_output=True, timeout=30)
    return req.read_bytes(), key


def csr(name, request, signer="example.com/signer", usages=("client auth",), **spec):
    body = {"apiVersion": f"{GROUP}/v1", "kind": KIND, "metadata": {"name": name},
            "spec": {"request": base64.b64encode(request).decode(), "signerName": signer, "usages": list(usages)}}
    body["spec"].update(spec)
    return body


def go_bytes(b):
    return "[]byte{" + ", ".join("0x%x" % c for c in b) + "}"


def status_422(out, name, causes):
    """causes are (reason, field, message); checks the whole Status body."""
    msgs = [f"{f}: {m}" for _, f, m in causes]
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": f'{KIND}.{GROUP} "{name}" is invalid: {agg}', "reason": "Invalid",
                   "details": {"name": name, "group": GROUP, "kind": KIND,
                               "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]},
                   "code": 422}


def test_openssl_csr_requester_approve_and_update(kapi, tmp_path):
    req, _ = openssl_csr(tmp_path)
    body = csr("alice", req, expirationSeconds=3600, username="mallory", uid="x", groups=["system:masters"],
               extra={"k": ["v"]})
    body["status"] = {"conditions": [{"type": "Approved", "status": "True", "reason": "Self"}]}
    who = {"Impersonate-User": "alice", "Impersonate-Uid": "uid-alice", "Impersonate-Group": "system:masters",
           "Impersonate-Extra-scopes": "one"}
    st, out = kapi.json("POST", PATH, body, headers=who)
    assert st == 201, out
    spec = out["spec"]
    assert (spec["username"], spec["uid"], spec["groups"], spec["extra"]) == \
        ("alice", "uid-alice", ["system:masters", "system:authenticated"], {"scopes": ["one"]})
    assert spec["expirationSeconds"] == 3600 and spec["usages"] == ["client auth"]
    assert out.get("status", {}) == {}  # no pre-approved requests
    # kubectl's approve goes through /approval and its validation
    p = kapi.kubectl("certificate", "approve", "alice")
    assert "approved" in p.stdout
    got = json.loads(kapi.kubectl("get", "csr", "alice", "-o", "json").stdout)
    assert [c["type"] for c in got["status"]["conditions"]] == ["Approved"]
    # the approval strategy fills in the transition time kubectl leaves out
    approved = got["status"]["conditions"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", approved.get("lastTransitionTime") or ""), approved
    assert approved.get("lastUpdateTime")
    # a /status write keeps the stored Approved condition as it was, and
    # times a new condition
    sb = json.loads(json.dumps(got))
    sb["status"]["conditions"][0]["message"] = "rewritten"
    sb["status"]["conditions"][0]["lastTransitionTime"] = None
    sb["status"]["conditions"].append({"type": "Failed", "status": "True", "reason": "Broken"})
    st, out = kapi.json("PUT", PATH + "/alice/status", sb)
    assert st == 200, out
    conds = out["status"]["conditions"]
    assert conds[0] == approved
    assert conds[1]["type"] == "Failed" and conds[1]["lastTransitionTime"] and conds[1]["lastUpdateTime"]
    got = out
    # a main-resource update keeps the stored spec (dropped, not refused)
    got["spec"]["signerName"] = "example.com/other"
    got["spec"]["usages"] = ["bogus"]
    got["spec"]["username"] = "mallory"
    st, out = kapi.json("PUT", PATH + "/alice", got)
    assert st == 200, out
    assert out["spec"] == spec
    # approving and denying at once is refused by the /approval rules
    got = json.loads(kapi.kubectl("get", "csr", "alice", "-o", "json").stdout)
    got["status"]["conditions"].append({"type": "Denied", "status": "True", "reason": "No"})
    st, out = kapi.json("PUT", PATH + "/alice/approval", got)
    assert st == 422, out
    status_422(out, "alice", [("FieldValueInvalid", "status.conditions[2].type",
                               'Invalid value: "Denied": Approved and Denied conditions are mutually exclusive')])


USAGES = ('supported values: "any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", '
          '"data encipherment", "decipher only", "digital signature", "email protection", "encipher only", '
          '"ipsec end system", "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", '
          '"netscape sgc", "ocsp signing", "s/mime", "server auth", "signing", "timestamping"')


def test_bad_spec_refused_over_https(kapi, tmp_path):
    body = csr("bad", b"hello", signer="Example.com/x", usages=["client auth", "Server Auth", "client auth"],
               expirationSeconds=599)
    st, out = kapi.json("POST", PATH, body)
    assert st == 422, out
    status_422(out, "bad", [
        ("FieldValueInvalid", "spec.request",
         "Invalid value: []byte{0x68, 0x65, 0x6c, 0x6c, 0x6f}: PEM block type must be CERTIFICATE REQUEST"),
        ("FieldValueNotSupported", "spec.usages[1]", 'Unsupported value: "Server Auth": ' + USAGES),
        ("FieldValueDuplicate", "spec.usages[2]", 'Duplicate value: "client auth"'),
        ("FieldValueInvalid", "spec.signerName",
         'Invalid value: "Example.com": validating label "Example": a lowercase RFC 1123 label must consist of '
         "lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. "
         "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
        ("FieldValueInvalid", "spec.expirationSeconds",
         "Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)")])
    req, _ = openssl_csr(tmp_path, "bob")
    body = csr("bad2", req, signer="kubernetes.io/legacy-unknown", usages=[])
    del body["spec"]["request"]
    st, out = kapi.json("POST", PATH, body)
    assert st == 422, out
    status_422(out, "bad2", [
        ("FieldValueInvalid", "spec.request",
         "Invalid value: []byte(nil): PEM block type must be CERTIFICATE REQUEST"),
        ("FieldValueRequired", "spec.usages", "Required value"),
        ("FieldValueInvalid", "spec.signerName",
         'Invalid value: "kubernetes.io/legacy-unknown": the legacy signerName is not allowed via this API version')])
    body = csr("bad3", req, signer="example.com")
    st, out = kapi.json("POST", PATH, body)
    assert st == 422, out
    status_422(out, "bad3", [("FieldValueInvalid", "spec.signerName",
                              "Invalid value: \"example.com\": must be a fully qualified domain and path of the form "
                              "'example.com/signer-name'")])


def test_base64_after_padding_is_no_pem_block(kapi, tmp_path):
    """pem.Decode refuses a block whose base64 goes on after '=' padding:
    Go's decoder reports data after the padding, so there is no block."""
    req, _ = openssl_csr(tmp_path, "dave")
    lines = req.decode().strip().split("\n")
    der = base64.b64decode("".join(lines[1:-1]))
    body = base64.b64encode(der[:1]).decode() + "\n" + base64.b64encode(der[1:]).decode()
    assert body.startswith("MA==\n")
    bad = ("-----BEGIN CERTIFICATE REQUEST-----\n" + body + "\n-----END CERTIFICATE REQUEST-----\n").encode()
    st, out = kapi.json("POST", PATH, csr("dave", bad))
    assert st == 422, out
    status_422(out, "dave", [("FieldValueInvalid", "spec.request",
                              "Invalid value: " + go_bytes(bad) + ": PEM block type must be CERTIFICATE REQUEST")])


def test_bad_signature_and_wrong_block_with_kubectl(kapi, tmp_path):
    req, key = openssl_csr(tmp_path, "carol")
    # a certificate is not a request
    cert = tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-key", str(key), "-subj", "/CN=carol", "-days", "1",
                    "-out", str(cert)], check=True, capture_output=True, timeout=30)
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(csr("carol", cert.read_bytes())), check=False)
    assert p.returncode != 0
    assert ('The CertificateSigningRequest "carol" is invalid: spec.request: Invalid value: '
            + go_bytes(cert.read_bytes()) + ": PEM block type must be CERTIFICATE REQUEST") in p.stderr
    # a flipped bit in the signature
    lines = req.decode().strip().split("\n")
    der = bytearray(base64.b64decode("".join(lines[1:-1])))
    der[-1] ^= 1
    b64 = base64.b64encode(bytes(der)).decode()
    bad = ("-----BEGIN CERTIFICATE REQUEST-----\n" + "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
           + "\n-----END CERTIFICATE REQUEST-----\n").encode()
    st, out = kapi.json("POST", PATH, csr("carol", bad))
    assert st == 422, out
    status_422(out, "carol", [("FieldValueInvalid", "spec.request",
                               "Invalid value: " + go_bytes(bad) + ": x509: ECDSA verification failure")])
    # the same request unmodified is fine, kubectl included
    kapi.kubectl("create", "-f", "-", input=json.dumps(csr("carol", req)))
