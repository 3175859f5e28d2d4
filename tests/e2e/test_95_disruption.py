"""The disruption controller: PodDisruptionBudget status from the pods and
their controllers' scale, and the eviction subresource that spends it.

No kubelet runs here, so pods are created directly (with ownerReferences)
and made Running/Ready through pods/status."""
import datetime
import json
import time


MERGE = {"Content-Type": "application/merge-patch+json"}


def poll(fn, timeout=15.0):
    """fn's first truthy result within timeout; fails with the last one."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"condition not reached in {timeout}s; last: {last!r}")


def ns(k, name):
    st, _ = k.json("POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert st == 201


def create(k, path, obj):
    st, out = k.json("POST", path, obj)
    assert st == 201, out
    return out


def owner(obj, controller=True):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": controller}


def workload(k, namespace, kind, name, replicas, labels, owned_by=None):
    plural = {"Deployment": "deployments", "ReplicaSet": "replicasets", "StatefulSet": "statefulsets"}.get(kind)
    obj = {"apiVersion": "apps/v1", "kind": kind,
           "metadata": {"name": name, "labels": labels},
           "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels},
                                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    if kind == "StatefulSet":
        obj["spec"]["serviceName"] = name
    if owned_by:
        obj["metadata"]["ownerReferences"] = [owner(owned_by)]
    if kind == "ReplicationController":
        obj["apiVersion"] = "v1"
        obj["spec"]["selector"] = labels
        return create(k, f"/api/v1/namespaces/{namespace}/replicationcontrollers", obj)
    return create(k, f"/apis/apps/v1/namespaces/{namespace}/{plural}", obj)


def pod(k, namespace, name, labels, owned_by=None, ready=True, phase="Running"):
    obj = {"metadata": {"name": name, "labels": labels},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    if owned_by:
        obj["metadata"]["ownerReferences"] = [owner(owned_by)]
    create(k, f"/api/v1/namespaces/{namespace}/pods", obj)
    if phase != "Pending":
        set_pod(k, namespace, name, ready, phase)


def set_pod(k, namespace, name, ready, phase="Running"):
    st, out = k.json("PATCH", f"/api/v1/namespaces/{namespace}/pods/{name}/status",
                     {"status": {"phase": phase,
                                 "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}},
                     headers=MERGE)
    assert st == 200, out


def pdb(k, namespace, name, labels, **spec):
    spec["selector"] = {"matchLabels": labels}
    return create(k, f"/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets",
                  {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                   "metadata": {"name": name}, "spec": spec})


def get_pdb(k, namespace, name):
    st, out = k.json("GET", f"/apis/policy/v1/namespaces/{namespace}/poddisruptionbudgets/{name}")
    assert st == 200, out
    return out


def counts(p):
    s = p.get("status", {})
    return (s.get("expectedPods"), s.get("desiredHealthy"), s.get("currentHealthy"), s.get("disruptionsAllowed"))


def wait_counts(k, namespace, name, want, timeout=15.0):
    """Polls until (expectedPods, desiredHealthy, currentHealthy,
    disruptionsAllowed) is want and the status saw the latest generation."""
    def check():
        p = get_pdb(k, namespace, name)
        ok = counts(p) == want and p["status"].get("observedGeneration") == p["metadata"]["generation"]
        return p if ok else None
    try:
        return poll(check, timeout)
    except AssertionError:
        raise AssertionError(f"{namespace}/{name}: want {want}, have {counts(get_pdb(k, namespace, name))}")


def condition(p):
    conds = [c for c in p["status"].get("conditions", []) if c["type"] == "DisruptionAllowed"]
    assert len(conds) == 1, p["status"]
    return conds[0]


def evict(k, namespace, name):
    return k.request("POST", f"/api/v1/namespaces/{namespace}/pods/{name}/eviction",
                     {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}})


def test_min_available_int_with_deployment_pods(kapi):
    ns(kapi, "pdb-min")
    labels = {"app": "web"}
    dep = workload(kapi, "pdb-min", "Deployment", "web", 3, labels)
    rs = workload(kapi, "pdb-min", "ReplicaSet", "web-5d4f", 3, labels, owned_by=dep)
    for i in range(3):
        pod(kapi, "pdb-min", f"web-{i}", labels, owned_by=rs)
    pdb(kapi, "pdb-min", "web", labels, minAvailable=2)
    p = wait_counts(kapi, "pdb-min", "web", (3, 2, 3, 1))
    c = condition(p)
    assert (c["status"], c["reason"], c["message"], c["observedGeneration"]) == ("True", "SufficientPods", "", 1)
    assert c["lastTransitionTime"].endswith("Z")
    assert "disruptedPods" not in p["status"]
    out = kapi.kubectl("get", "pdb", "-n", "pdb-min").stdout.splitlines()
    assert out[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED", "DISRUPTIONS", "AGE"]
    assert out[1].split()[:4] == ["web", "2", "N/A", "1"]
    # a pod turning unready is seen through the pod watch
    set_pod(kapi, "pdb-min", "web-0", ready=False)
    p = wait_counts(kapi, "pdb-min", "web", (3, 2, 2, 0))
    c2 = condition(p)
    assert (c2["status"], c2["reason"]) == ("False", "InsufficientPods")
    # a pod that is not a controller's counts for an integer minAvailable
    pod(kapi, "pdb-min", "stray", labels)
    wait_counts(kapi, "pdb-min", "web", (4, 2, 3, 1))
    # a spec change bumps the generation; the status follows it
    st, _ = kapi.json("PATCH", "/apis/policy/v1/namespaces/pdb-min/poddisruptionbudgets/web",
                      {"spec": {"minAvailable": 3}}, headers=MERGE)
    assert st == 200
    p = wait_counts(kapi, "pdb-min", "web", (4, 3, 3, 0))
    assert p["metadata"]["generation"] == 2 and condition(p)["observedGeneration"] == 2


def test_max_unavailable_and_percentages_use_controller_scale(kapi):
    ns(kapi, "pdb-max")
    labels = {"app": "api"}
    dep = workload(kapi, "pdb-max", "Deployment", "api", 4, labels)
    rs = workload(kapi, "pdb-max", "ReplicaSet", "api-7c9", 4, labels, owned_by=dep)
    for i in range(3):
        pod(kapi, "pdb-max", f"api-{i}", labels, owned_by=rs)
    pdb(kapi, "pdb-max", "int", labels, maxUnavailable=1)
    pdb(kapi, "pdb-max", "pct", labels, maxUnavailable="50%")
    pdb(kapi, "pdb-max", "minpct", labels, minAvailable="30%")
    # expected pods come from the Deployment's 4 replicas, not the 3 pods
    wait_counts(kapi, "pdb-max", "int", (4, 3, 3, 0))
    wait_counts(kapi, "pdb-max", "pct", (4, 2, 3, 1))      # 50% of 4 = 2 unavailable
    wait_counts(kapi, "pdb-max", "minpct", (4, 2, 3, 1))   # 30% of 4 rounds up to 2
    out = kapi.kubectl("get", "pdb", "-n", "pdb-max", "--no-headers").stdout.splitlines()
    rows = {line.split()[0]: line.split()[1:4] for line in out}
    assert rows == {"int": ["N/A", "1", "0"], "pct": ["N/A", "50%", "1"], "minpct": ["30%", "N/A", "1"]}
    # scaling the Deployment reaches the budgets by the periodic re-check
    st, _ = kapi.json("PATCH", "/apis/apps/v1/namespaces/pdb-max/deployments/api", {"spec": {"replicas": 2}},
                      headers=MERGE)
    assert st == 200
    wait_counts(kapi, "pdb-max", "int", (2, 1, 3, 2))
    wait_counts(kapi, "pdb-max", "pct", (2, 1, 3, 2))


def test_statefulset_and_replicationcontroller_scale(kapi):
    ns(kapi, "pdb-other")
    ss = workload(kapi, "pdb-other", "StatefulSet", "db", 5, {"app": "db"})
    for i in range(2):
        pod(kapi, "pdb-other", f"db-{i}", {"app": "db"}, owned_by=ss)
    rc = workload(kapi, "pdb-other", "ReplicationController", "old", 2, {"app": "old"})
    pod(kapi, "pdb-other", "old-a", {"app": "old"}, owned_by=rc)
    pod(kapi, "pdb-other", "old-b", {"app": "old"}, owned_by=rc)
    pdb(kapi, "pdb-other", "db", {"app": "db"}, maxUnavailable="40%")
    pdb(kapi, "pdb-other", "old", {"app": "old"}, minAvailable="50%")
    wait_counts(kapi, "pdb-other", "db", (5, 3, 2, 0))
    wait_counts(kapi, "pdb-other", "old", (2, 1, 2, 1))


def test_sync_failed_and_unmanaged_pods(kapi):
    ns(kapi, "pdb-fail")
    st, cm = kapi.json("POST", "/api/v1/namespaces/pdb-fail/configmaps", {"metadata": {"name": "holder"}})
    assert st == 201
    for i in range(2):
        pod(kapi, "pdb-fail", f"cm-{i}", {"app": "cm"}, owned_by=cm)
    # a controller without a scale subresource cannot give an expected count
    pdb(kapi, "pdb-fail", "bad", {"app": "cm"}, maxUnavailable=1)

    def failed():
        p = get_pdb(kapi, "pdb-fail", "bad")
        conds = p.get("status", {}).get("conditions", [])
        return p if conds and conds[0]["reason"] == "SyncFailed" else None
    p = poll(failed)
    c = condition(p)
    assert c["status"] == "False" and c["message"] == "configmaps does not implement the scale subresource"
    assert p["status"]["disruptionsAllowed"] == 0
    assert "observedGeneration" not in p["status"]  # a failed sync does not claim the generation
    # eviction refuses while the budget's status is behind its generation
    st, hdrs, data = evict(kapi, "pdb-fail", "cm-0")
    body = json.loads(data)
    assert st == 429 and hdrs.get("retry-after") == "10"
    assert body["details"]["causes"] == [{"reason": "DisruptionBudget",
                                          "message": "The disruption budget bad is still being processed by the server."}]
    # an integer minAvailable needs no controller
    kapi.json("DELETE", "/apis/policy/v1/namespaces/pdb-fail/poddisruptionbudgets/bad")
    pdb(kapi, "pdb-fail", "int", {"app": "cm"}, minAvailable=1)
    p = wait_counts(kapi, "pdb-fail", "int", (2, 1, 2, 1))
    assert condition(p)["reason"] == "SufficientPods"
    # pods with no controller are left out of a percentage's expected count
    for i in range(2):
        pod(kapi, "pdb-fail", f"bare-{i}", {"app": "bare"})
    pdb(kapi, "pdb-fail", "bare", {"app": "bare"}, minAvailable="50%")
    p = wait_counts(kapi, "pdb-fail", "bare", (0, 0, 2, 0))
    assert condition(p)["reason"] == "InsufficientPods"


def test_eviction_spends_the_budget(kapi):
    ns(kapi, "pdb-ev")
    labels = {"app": "q"}
    rs = workload(kapi, "pdb-ev", "ReplicaSet", "q", 3, labels)
    for i in range(3):
        pod(kapi, "pdb-ev", f"q-{i}", labels, owned_by=rs)
    pdb(kapi, "pdb-ev", "q", labels, minAvailable=2)
    p0 = wait_counts(kapi, "pdb-ev", "q", (3, 2, 3, 1))
    # a dry run checks the budget but changes nothing
    st, _, data = kapi.request("POST", "/api/v1/namespaces/pdb-ev/pods/q-0/eviction?dryRun=All",
                               {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "q-0"}})
    assert st == 201
    assert kapi.json("GET", "/api/v1/namespaces/pdb-ev/pods/q-0")[0] == 200
    assert get_pdb(kapi, "pdb-ev", "q")["metadata"]["resourceVersion"] == p0["metadata"]["resourceVersion"]
    st, _, data = evict(kapi, "pdb-ev", "q-0")
    assert st == 201 and json.loads(data)["status"] == "Success"
    assert kapi.json("GET", "/api/v1/namespaces/pdb-ev/pods/q-0")[0] == 404
    # the controller recounts without the evicted pod and forgets its entry
    p = wait_counts(kapi, "pdb-ev", "q", (2, 2, 2, 0))
    assert "disruptedPods" not in p["status"]
    assert condition(p)["reason"] == "InsufficientPods"
    st, hdrs, data = evict(kapi, "pdb-ev", "q-1")
    body = json.loads(data)
    assert st == 429 and body["reason"] == "TooManyRequests" and "retry-after" not in hdrs
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [{"reason": "DisruptionBudget",
                                          "message": "The disruption budget q needs 2 healthy pods and has 2 currently"}]
    assert kapi.json("GET", "/api/v1/namespaces/pdb-ev/pods/q-1")[0] == 200
    # pending pods are not guarded
    pod(kapi, "pdb-ev", "q-pending", labels, owned_by=rs, phase="Pending")
    assert evict(kapi, "pdb-ev", "q-pending")[0] == 201
    # an unready pod goes when the budget is met without it, spending nothing
    pod(kapi, "pdb-ev", "q-sick", labels, owned_by=rs, ready=False)
    wait_counts(kapi, "pdb-ev", "q", (3, 2, 2, 0))
    assert evict(kapi, "pdb-ev", "q-sick")[0] == 201
    # two budgets over one pod: upstream's bare 500 Failure
    pdb(kapi, "pdb-ev", "q2", labels, maxUnavailable=1)
    st, _, data = evict(kapi, "pdb-ev", "q-1")
    assert st == 500 and json.loads(data) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
        "code": 500}


def test_disrupted_pods_entries(kapi):
    """The controller keeps a fresh disruptedPods entry of a live pod (and
    does not count that pod), drops one older than two minutes, and one of
    a pod that is gone."""
    ns(kapi, "pdb-dp")
    labels = {"app": "dp"}
    rs = workload(kapi, "pdb-dp", "ReplicaSet", "dp", 3, labels)
    for i in range(3):
        pod(kapi, "pdb-dp", f"dp-{i}", labels, owned_by=rs)
    pdb(kapi, "pdb-dp", "dp", labels, maxUnavailable=1)
    wait_counts(kapi, "pdb-dp", "dp", (3, 2, 3, 1))
    now = datetime.datetime.now(datetime.timezone.utc)
    fresh = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    old = (now - datetime.timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    st, out = kapi.json("PATCH", "/apis/policy/v1/namespaces/pdb-dp/poddisruptionbudgets/dp/status",
                        {"status": {"disruptedPods": {"dp-0": fresh, "dp-1": old, "ghost": fresh}}}, headers=MERGE)
    assert st == 200, out

    def settled():
        p = get_pdb(kapi, "pdb-dp", "dp")
        return p if p["status"].get("disruptedPods") == {"dp-0": fresh} else None
    p = poll(settled)
    assert counts(p) == (3, 2, 2, 0)
    # once dp-0 is gone its entry goes too
    assert kapi.json("DELETE", "/api/v1/namespaces/pdb-dp/pods/dp-0")[0] == 200
    p = wait_counts(kapi, "pdb-dp", "dp", (3, 2, 2, 0))
    poll(lambda: "disruptedPods" not in get_pdb(kapi, "pdb-dp", "dp")["status"])


def test_controller_can_be_disabled(fresh_kapi):
    k = fresh_kapi("--controllers", "*,-disruption-controller").start()
    labels = {"app": "off"}
    rs = workload(k, "default", "ReplicaSet", "off", 2, labels)
    for i in range(2):
        pod(k, "default", f"off-{i}", labels, owned_by=rs)
    pdb(k, "default", "off", labels, minAvailable=1)
    # give a running controller ample time (it answers in well under 1 s)
    time.sleep(1.5)
    # the status stays the zero status the create wrote: never computed
    s = get_pdb(k, "default", "off")["status"]
    assert counts({"status": s}) == (0, 0, 0, 0)
    assert "observedGeneration" not in s and "conditions" not in s
    st, _, data = evict(k, "default", "off-0")
    assert st == 429 and "still being processed" in json.loads(data)["details"]["causes"][0]["message"]
    # with nobody recomputing, what eviction writes stays visible
    path = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/off/status"
    # a negative count is refused by the status validation, as upstream
    st, err = k.json("PATCH", path, {"status": {"observedGeneration": 1, "disruptionsAllowed": -1, "currentHealthy": 2,
                                                "desiredHealthy": 1, "expectedPods": 2}}, headers=MERGE)
    assert st == 422 and err["message"] == ('PodDisruptionBudget.policy "off" is invalid: status.disruptionsAllowed: '
                                            'Invalid value: -1: must be greater than or equal to 0')
    st, _ = k.json("PATCH", path, {"status": {"observedGeneration": 1, "disruptionsAllowed": 1, "currentHealthy": 2,
                                              "desiredHealthy": 1, "expectedPods": 2}}, headers=MERGE)
    assert st == 200
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    assert evict(k, "default", "off-0")[0] == 201
    assert k.json("GET", "/api/v1/namespaces/default/pods/off-0")[0] == 404
    s = get_pdb(k, "default", "off")["status"]
    assert s["disruptionsAllowed"] == 0 and list(s["disruptedPods"]) == ["off-0"]
    when = datetime.datetime.strptime(s["disruptedPods"]["off-0"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    assert before <= when <= before + datetime.timedelta(seconds=30)
    assert [(c["type"], c["status"], c["reason"]) for c in s["conditions"]] == \
        [("DisruptionAllowed", "False", "InsufficientPods")]
    # and the next eviction finds nothing left to spend
    st, _, data = evict(k, "default", "off-1")
    assert st == 429 and json.loads(data)["details"]["causes"][0]["message"] == \
        "The disruption budget off needs 1 healthy pods and has 2 currently"
