"""Audit logging: --audit-policy-file decides the level per request,
--audit-log-path receives audit.k8s.io/v1 Events (one JSON object per line)
for each stage, and the log is rotated by size."""
import glob
import json
import os
import time

POLICY = """
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: RequestResponse
  resources:
  - group: ""
    resources: ["configmaps"]
- level: Metadata
  resources:
  - group: ""
    resources: ["secrets"]
- level: Request
  verbs: ["watch"]
- level: Metadata
"""


def events(path):
    out = []
    for name in sorted(glob.glob(path + "*")):
        with open(name) as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out


def wait_for_event(path, pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = [e for e in events(path) if pred(e)]
        if found:
            return found
        time.sleep(0.1)
    return []


def start(fresh_kapi, tmp_path, *extra):
    (tmp_path / "policy.yaml").write_text(POLICY)
    log = str(tmp_path / "audit.log")
    k = fresh_kapi("--audit-policy-file", str(tmp_path / "policy.yaml"), "--audit-log-path", log, *extra).start()
    return k, log


def test_levels_stages_and_fields(fresh_kapi, tmp_path):
    k, log = start(fresh_kapi, tmp_path)
    st, hdrs, body = k.request("POST", "/api/v1/namespaces/default/configmaps",
                               {"metadata": {"name": "audited"}, "data": {"k": "v"}},
                               headers={"User-Agent": "audit-test/1.0"})
    assert st == 201
    audit_id = hdrs["audit-id"]
    evs = wait_for_event(log, lambda e: e["auditID"] == audit_id)
    assert [e["stage"] for e in evs] == ["ResponseComplete"]  # RequestReceived is omitted
    e = evs[0]
    assert e["kind"] == "Event" and e["apiVersion"] == "audit.k8s.io/v1"
    assert e["level"] == "RequestResponse" and e["verb"] == "create"
    assert e["requestURI"] == "/api/v1/namespaces/default/configmaps"
    assert e["objectRef"] == {"resource": "configmaps", "namespace": "default", "apiVersion": "v1"}
    assert e["responseStatus"] == {"metadata": {}, "code": 201}
    assert e["requestObject"]["data"] == {"k": "v"}
    assert e["responseObject"]["metadata"]["name"] == "audited"
    assert e["user"]["username"] == "kubernetes-admin" or "system:masters" in e["user"]["groups"]
    assert e["sourceIPs"] == ["127.0.0.1"] and e["userAgent"] == "audit-test/1.0"
    assert e["annotations"]["authorization.k8s.io/decision"] == "allow"
    assert e["requestReceivedTimestamp"].endswith("Z") and len(e["stageTimestamp"]) == len("2026-01-01T00:00:00.000000Z")
    # a secret is audited at Metadata: no bodies
    st, hdrs, _ = k.request("POST", "/api/v1/namespaces/default/secrets",
                            {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}})
    e = wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"])[0]
    assert e["level"] == "Metadata" and "requestObject" not in e and "responseObject" not in e
    assert "hunter2" not in open(log).read()
    # health checks are not audited
    k.request("GET", "/healthz")
    assert not [e for e in events(log) if e["requestURI"].startswith("/healthz")]
    # a client-chosen Audit-ID is kept
    st, hdrs, _ = k.request("GET", "/api/v1/namespaces/default/configmaps/audited", headers={"Audit-ID": "my-id-1"})
    assert hdrs["audit-id"] == "my-id-1"
    assert wait_for_event(log, lambda e: e["auditID"] == "my-id-1" and e["verb"] == "get")
    k.stop()


def test_denials_impersonation_and_watch_stages(fresh_kapi, tmp_path):
    k, log = start(fresh_kapi, tmp_path)
    st, hdrs, _ = k.request("GET", "/api/v1/namespaces/default/pods", headers={"Impersonate-User": "nobody"})
    assert st == 403
    e = wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"])[0]
    assert e["impersonatedUser"]["username"] == "nobody"
    assert e["responseStatus"]["code"] == 403 and e["responseStatus"]["reason"] == "Forbidden"
    assert e["annotations"]["authorization.k8s.io/decision"] == "forbid"
    st, hdrs, _ = k.request("GET", "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1")
    stages = [e["stage"] for e in wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"]
                                                 and e["stage"] == "ResponseComplete")]
    assert stages == ["ResponseComplete"]
    assert [e["stage"] for e in events(log) if e["auditID"] == hdrs["audit-id"]] == ["ResponseStarted",
                                                                                      "ResponseComplete"]
    k.stop()


def test_rotation_by_size(fresh_kapi, tmp_path):
    k, log = start(fresh_kapi, tmp_path, "--audit-log-maxsize", "1", "--audit-log-maxbackup", "2")
    big = "x" * 300_000
    for i in range(8):
        st, _, _ = k.request("POST", "/api/v1/namespaces/default/configmaps",
                             {"metadata": {"name": f"big{i}"}, "data": {"k": big}})
        assert st == 201
    k.stop()
    backups = [p for p in glob.glob(log[:-len(".log")] + "-*.log")]
    assert 1 <= len(backups) <= 2, backups
    assert os.path.getsize(log) <= 1024 * 1024
    # nothing was lost in the files that remain: every line is a whole event
    for e in events(log):
        assert e["kind"] == "Event"


def test_bad_policy_is_refused(fresh_kapi, tmp_path):
    (tmp_path / "policy.yaml").write_text("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n")
    k = fresh_kapi("--audit-policy-file", str(tmp_path / "policy.yaml"), "--audit-log-path", str(tmp_path / "a.log"))
    try:
        k.start(timeout=10)
        assert False, "kapi started with a bad audit policy"
    except RuntimeError as e:
        assert "--audit-policy-file" in str(e) and "rules[0].level" in str(e)


def test_podsecurity_audit_annotations(fresh_kapi, tmp_path):
    """PodSecurity's audit mode: violations land on the request's audit event."""
    k, log = start(fresh_kapi, tmp_path)
    k.kubectl("create", "namespace", "psa-audit")
    k.kubectl("label", "namespace", "psa-audit", "pod-security.kubernetes.io/audit=restricted")
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "loose"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    st, hdrs, _ = k.request("POST", "/api/v1/namespaces/psa-audit/pods", pod)
    assert st == 201  # audit never refuses
    e = wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"])[0]
    ann = e["annotations"]
    assert ann["pod-security.kubernetes.io/enforce-policy"] == "privileged:latest"
    assert ann["pod-security.kubernetes.io/audit-violations"].startswith(
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false')
    assert list(ann) == sorted(ann)
    k.stop()


def test_failed_authentication_is_audited(fresh_kapi, tmp_path):
    k, log = start(fresh_kapi, tmp_path)
    st, hdrs, _ = k.request("GET", "/api/v1/namespaces", headers={"Authorization": "Bearer not-a-token"},
                            client_cert=False)
    assert st == 401
    e = wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"])[0]
    assert e["responseStatus"]["code"] == 401 and e["user"] == {}
    assert e["requestURI"] == "/api/v1/namespaces"
    k.stop()


def test_impersonated_extras_in_the_audit_log(fresh_kapi, tmp_path):
    k, log = start(fresh_kapi, tmp_path)
    st, hdrs, _ = k.request("GET", "/api/v1/namespaces/default/configmaps",
                            headers={"Impersonate-User": "carol", "Impersonate-Extra-Scopes": "read"})
    e = wait_for_event(log, lambda e: e["auditID"] == hdrs["audit-id"])[0]
    assert e["impersonatedUser"]["username"] == "carol"
    assert e["responseStatus"]["code"] == 403
    k.stop()
