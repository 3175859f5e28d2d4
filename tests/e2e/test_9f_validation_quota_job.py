"""ResourceQuota spec validation on create and update (hard names and
values, scopes, scopeSelector, immutable scopes) and the Job status options
kube-apiserver 1.33 turns on when the related fields change (Failed without
FailureTarget, Complete without SuccessCriteriaMet, terminating on a finished
job, ready above active): the 422 Status (message and details.causes)
through raw HTTPS, kubectl and the python client."""
import json

import pytest

MERGE = {"Content-Type": "application/merge-patch+json"}
QUOTAS = "/api/v1/namespaces/default/resourcequotas"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
EXISTS_ONLY = ("must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, "
               "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or "
               "ResourceQuotaScopeCrossNamespacePodAffinity")


def status_422(out, kind, name, causes, group=None):
    """causes are (reason, field, message); checks the whole Status body. The
    message lists repeated errors once, as apimachinery's aggregate does."""
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}
    if group:
        details["group"] = group
    msgs = []
    for _, f, m in causes:
        if f"{f}: {m}" not in msgs:
            msgs.append(f"{f}: {m}")
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    qualified = f"{kind}.{group}" if group else kind
    assert out == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": f'{qualified} "{name}" is invalid: {agg}', "reason": "Invalid",
                   "details": details, "code": 422}


def test_quota_create_over_https(kapi):
    st, out = kapi.json("POST", QUOTAS, {"metadata": {"name": "bad"}, "spec": {
        "hard": {"foo": "1", "cpu": "1", "memory": "1Gi", "pods": "-2"},
        "scopes": ["BestEffort", "NotBestEffort"]}})
    assert st == 422, out
    scopes = 'Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: '
    status_422(out, "ResourceQuota", "bad", [
        ("FieldValueInvalid", "spec.hard[foo]",
         'Invalid value: "foo": must be a standard resource type or fully qualified'),
        ("FieldValueInvalid", "spec.hard[foo]", 'Invalid value: "foo": must be a standard resource for quota'),
        ("FieldValueInvalid", "spec.hard[pods]", 'Invalid value: "-2": must be greater than or equal to 0'),
        # cpu and memory do not apply to BestEffort pods: one cause each, one line in the message
        ("FieldValueInvalid", "spec.scopes", scopes + "unsupported scope applied to resource"),
        ("FieldValueInvalid", "spec.scopes", scopes + "unsupported scope applied to resource"),
        ("FieldValueInvalid", "spec.scopes", scopes + "conflicting scopes")])
    st, out = kapi.json("POST", QUOTAS, {"metadata": {"name": "sel"}, "spec": {
        "hard": {"pods": "4"},
        "scopeSelector": {"matchExpressions": [
            {"scopeName": "PriorityClass", "operator": "In"},
            {"scopeName": "Terminating", "operator": "DoesNotExist", "values": ["x"]},
            {"scopeName": "NoSuchScope", "operator": "Exists"}]}}})
    assert st == 422, out
    me = "spec.scopeSelector.matchExpressions"
    status_422(out, "ResourceQuota", "sel", [
        ("FieldValueRequired", me + ".values", "Required value: must be at least one value when `operator` is 'In' "
         "or 'NotIn' for scope selector"),
        ("FieldValueInvalid", me + ".operator", 'Invalid value: "DoesNotExist": ' + EXISTS_ONLY),
        ("FieldValueInvalid", me + ".values", "Invalid value: []string{\"x\"}: must be no value when `operator` is "
         "'Exist' or 'DoesNotExist' for scope selector"),
        ("FieldValueInvalid", me + ".scopeName", 'Invalid value: "NoSuchScope": unsupported scope')])
    # valid quotas are stored as given
    spec = {"hard": {"pods": "10", "requests.cpu": "2", "count/deployments.apps": "3"},
            "scopes": ["NotTerminating"],
            "scopeSelector": {"matchExpressions": [{"scopeName": "PriorityClass", "operator": "In",
                                                    "values": ["high"]}]}}
    st, out = kapi.json("POST", QUOTAS, {"metadata": {"name": "good"}, "spec": spec})
    assert st == 201, out
    assert out["spec"] == spec


def test_quota_update_keeps_scopes(kapi):
    st, out = kapi.json("POST", QUOTAS, {"metadata": {"name": "upd"}, "spec": {
        "hard": {"pods": "3"}, "scopes": ["BestEffort"]}})
    assert st == 201, out
    # hard may change
    st, out = kapi.json("PATCH", QUOTAS + "/upd", {"spec": {"hard": {"pods": "5"}}}, headers=MERGE)
    assert st == 200, out
    st, out = kapi.json("PATCH", QUOTAS + "/upd", {"spec": {"scopes": ["NotBestEffort"]}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "ResourceQuota", "upd", [
        ("FieldValueInvalid", "spec.scopes",
         'Invalid value: []core.ResourceQuotaScope{"NotBestEffort"}: field is immutable')])
    # a resource the stored scope does not cover, through PUT
    st, cur = kapi.json("GET", QUOTAS + "/upd")
    cur["spec"]["hard"]["limits.cpu"] = "1"
    st, out = kapi.json("PUT", QUOTAS + "/upd", cur)
    assert st == 422, out
    status_422(out, "ResourceQuota", "upd", [
        ("FieldValueInvalid", "spec.scopes",
         'Invalid value: []core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource')])


def test_kubectl_create_quota(kapi):
    kapi.kubectl("create", "quota", "kq", "--hard=pods=3,cpu=1,memory=1Gi", "--scopes=NotTerminating,NotBestEffort")
    out = json.loads(kapi.kubectl("get", "quota", "kq", "-o", "json").stdout)
    assert out["spec"]["scopes"] == ["NotTerminating", "NotBestEffort"]
    assert out["spec"]["hard"] == {"pods": "3", "cpu": "1", "memory": "1Gi"}
    p = kapi.kubectl("create", "quota", "kq2", "--hard=cpu=1", "--scopes=BestEffort", check=False)
    assert p.returncode != 0
    assert p.stderr == ('error: failed to create quota: ResourceQuota "kq2" is invalid: spec.scopes: Invalid value: '
                        '[]core.ResourceQuotaScope{"BestEffort"}: unsupported scope applied to resource\n')
    p = kapi.kubectl("create", "quota", "kq3", "--hard=pods=1", "--scopes=Terminating,NotTerminating", check=False)
    assert p.returncode != 0
    assert 'conflicting scopes' in p.stderr


def test_quota_python_client(kapi):
    client, api_client = kapi.python_client()
    from kubernetes.client.rest import ApiException
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as e:
        core.create_namespaced_resource_quota("default", client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="pyq"),
            spec=client.V1ResourceQuotaSpec(hard={"services": "1"}, scope_selector=client.V1ScopeSelector(
                match_expressions=[client.V1ScopedResourceSelectorRequirement(
                    scope_name="CrossNamespacePodAffinity", operator="Exists")]))))
    assert e.value.status == 422
    body = json.loads(e.value.body)
    assert body["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.scopeSelector.matchExpressions",
        "message": "Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{"
                   "core.ScopedResourceSelectorRequirement{ScopeName:\"CrossNamespacePodAffinity\", "
                   "Operator:\"Exists\", Values:[]string(nil)}}}: unsupported scope applied to resource"}]
    q = core.create_namespaced_resource_quota("default", client.V1ResourceQuota(
        metadata=client.V1ObjectMeta(name="pyq"),
        spec=client.V1ResourceQuotaSpec(hard={"pods": "2"}, scope_selector=client.V1ScopeSelector(
            match_expressions=[client.V1ScopedResourceSelectorRequirement(
                scope_name="CrossNamespacePodAffinity", operator="Exists")]))))
    assert q.spec.scope_selector.match_expressions[0].scope_name == "CrossNamespacePodAffinity"


def mkjob(kapi, name):
    job = {"metadata": {"name": name},
           "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}],
                                          "restartPolicy": "Never"}}}}
    st, out = kapi.json("POST", JOBS, job)
    assert st == 201, out
    path = f"{JOBS}/{name}/status"
    st, out = kapi.json("PATCH", path, {"status": {"active": 2, "ready": 1, "startTime": "2024-01-01T00:00:00Z"}},
                        headers=MERGE)
    assert st == 200, out
    return path


def test_job_status_terminal_conditions(kapi):
    path = mkjob(kapi, "jfail")
    st, out = kapi.json("PATCH", path, {"status": {"active": 0, "ready": 0, "failed": 1, "conditions": [
        {"type": "Failed", "status": "True"}]}}, headers=MERGE)
    assert st == 422, out
    status_422(out, "Job", "jfail", [
        ("FieldValueInvalid", "status.conditions",
         "Invalid value: cannot set Failed=True condition without the FailureTarget=true condition")], group="batch")
    # FailureTarget first, then Failed once the pods are gone
    st, out = kapi.json("PATCH", path, {"status": {"active": 0, "ready": 0, "terminating": 1, "failed": 1,
                                                   "conditions": [{"type": "FailureTarget", "status": "True"}]}},
                        headers=MERGE)
    assert st == 200, out
    done = {"status": {"terminating": 1, "conditions": [{"type": "FailureTarget", "status": "True"},
                                                        {"type": "Failed", "status": "True"}]}}
    st, out = kapi.json("PATCH", path, done, headers=MERGE)
    assert st == 422, out
    status_422(out, "Job", "jfail", [
        ("FieldValueInvalid", "status.terminating", "Invalid value: 1: terminating>0 is invalid for finished job")],
        group="batch")
    done["status"]["terminating"] = 0
    st, out = kapi.json("PATCH", path, done, headers=MERGE)
    assert st == 200, out

    path = mkjob(kapi, "jdone")
    st, out = kapi.json("PATCH", path, {"status": {"active": 0, "ready": 0, "succeeded": 1,
                                                   "completionTime": "2024-01-01T00:05:00Z",
                                                   "conditions": [{"type": "Complete", "status": "True"}]}},
                        headers=MERGE)
    assert st == 422, out
    status_422(out, "Job", "jdone", [
        ("FieldValueInvalid", "status.conditions",
         "Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition")],
        group="batch")


def test_job_status_ready_with_kubectl(kapi):
    mkjob(kapi, "jready")
    p = kapi.kubectl("patch", "job", "jready", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"active":1}}', check=False)
    assert p.returncode == 0, p.stderr
    p = kapi.kubectl("patch", "job", "jready", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"ready":3}}', check=False)
    assert p.returncode != 0
    assert ('The Job "jready" is invalid: status.ready: Invalid value: 3: cannot set more ready pods than active'
            in p.stderr)
    # unrelated writes pass while neither ready nor active changes
    p = kapi.kubectl("patch", "job", "jready", "--subresource=status", "--type=merge",
                     "-p", '{"status":{"failed":1}}', check=False)
    assert p.returncode == 0, p.stderr
