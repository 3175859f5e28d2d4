"""ResourceQuota admission under concurrent creates, and the garbage
collector's three propagation policies, through kubectl and raw HTTPS."""
import json
import threading
import time


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_quota_holds_under_20_concurrent_creates(kapi):
    kapi.kubectl("create", "namespace", "quota-e2e")
    kapi.kubectl("create", "quota", "q", "-n", "quota-e2e", "--hard=pods=5")
    # the quota reaches admission through the cache
    assert wait_for(lambda: kapi.json("GET", "/api/v1/namespaces/quota-e2e/resourcequotas/q")[0] == 200)
    time.sleep(0.3)
    results = [None] * 20

    def create(i):
        results[i] = kapi.json("POST", "/api/v1/namespaces/quota-e2e/pods", pod(f"p{i}"))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(st for st, _ in results)
    assert codes == [201] * 5 + [403] * 15, codes
    refused = [(i, body) for i, (st, body) in enumerate(results) if st == 403]
    i, body = refused[0]
    assert body["reason"] == "Forbidden" and body["code"] == 403
    assert body["message"] == (f'pods "p{i}" is forbidden: exceeded quota: q, requested: pods=1, '
                               'used: pods=5, limited: pods=5')
    q = json.loads(kapi.kubectl("get", "quota", "q", "-n", "quota-e2e", "-o", "json").stdout)
    assert q["status"]["used"]["pods"] == "5"
    assert len(json.loads(kapi.kubectl("get", "pods", "-n", "quota-e2e", "-o", "json").stdout)["items"]) == 5

    # deleting a pod gives its slot back
    admitted = [i for i, (st, _) in enumerate(results) if st == 201]
    kapi.kubectl("delete", "pod", f"p{admitted[0]}", "-n", "quota-e2e", "--wait=false")
    q = json.loads(kapi.kubectl("get", "quota", "q", "-n", "quota-e2e", "-o", "json").stdout)
    assert q["status"]["used"]["pods"] == "4"
    assert kapi.json("POST", "/api/v1/namespaces/quota-e2e/pods", pod("late"))[0] == 201
    st, body = kapi.json("POST", "/api/v1/namespaces/quota-e2e/pods", pod("late2"))
    assert st == 403 and "exceeded quota: q" in body["message"]


def test_quota_on_cpu_needs_requests(kapi):
    kapi.kubectl("create", "namespace", "quota-cpu")
    kapi.kubectl("create", "quota", "cpu", "-n", "quota-cpu", "--hard=requests.cpu=1")
    assert wait_for(lambda: kapi.json("GET", "/api/v1/namespaces/quota-cpu/resourcequotas/cpu")[0] == 200)
    time.sleep(0.3)
    st, body = kapi.json("POST", "/api/v1/namespaces/quota-cpu/pods", pod("bare"))
    assert st == 403
    assert body["message"] == 'pods "bare" is forbidden: failed quota: cpu: must specify requests.cpu for: c'
    p = pod("small")
    p["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "600m"}}
    assert kapi.json("POST", "/api/v1/namespaces/quota-cpu/pods", p)[0] == 201
    p["metadata"]["name"] = "big"
    st, body = kapi.json("POST", "/api/v1/namespaces/quota-cpu/pods", p)
    assert st == 403 and body["message"].endswith("requested: requests.cpu=600m, used: requests.cpu=600m, "
                                                  "limited: requests.cpu=1")


def owned_family(kapi, ns, owner_name, n=2):
    kapi.kubectl("create", "namespace", ns)
    st, owner = kapi.json("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": owner_name}})
    assert st == 201
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": owner_name, "uid": owner["metadata"]["uid"],
           "blockOwnerDeletion": True}
    for i in range(n):
        st, _ = kapi.json("POST", f"/api/v1/namespaces/{ns}/secrets",
                          {"metadata": {"name": f"dep{i}", "ownerReferences": [ref]}})
        assert st == 201
    return owner


def secrets(kapi, ns):
    return json.loads(kapi.kubectl("get", "secrets", "-n", ns, "-o", "json").stdout)["items"]


def test_gc_background_cascade(kapi):
    owned_family(kapi, "gc-bg", "owner")
    time.sleep(1)  # dependents of a live owner stay
    assert len(secrets(kapi, "gc-bg")) == 2
    kapi.kubectl("delete", "configmap", "owner", "-n", "gc-bg")  # kubectl's default: background
    assert wait_for(lambda: secrets(kapi, "gc-bg") == [])


def test_gc_foreground_waits_for_dependents(kapi):
    owned_family(kapi, "gc-fg", "owner")
    # a dependent held by a finalizer keeps the owner in foreground deletion
    kapi.kubectl("patch", "secret", "dep0", "-n", "gc-fg", "--type=merge",
                 "-p", '{"metadata":{"finalizers":["example.com/hold"]}}')
    kapi.kubectl("delete", "configmap", "owner", "-n", "gc-fg", "--cascade=foreground", "--wait=false")
    st, owner = kapi.json("GET", "/api/v1/namespaces/gc-fg/configmaps/owner")
    assert st == 200 and "foregroundDeletion" in owner["metadata"]["finalizers"]
    assert owner["metadata"].get("deletionTimestamp")
    assert wait_for(lambda: [s["metadata"]["name"] for s in secrets(kapi, "gc-fg")] == ["dep0"])
    dep0 = secrets(kapi, "gc-fg")[0]
    assert dep0["metadata"].get("deletionTimestamp")
    time.sleep(1)
    assert kapi.json("GET", "/api/v1/namespaces/gc-fg/configmaps/owner")[0] == 200
    kapi.kubectl("patch", "secret", "dep0", "-n", "gc-fg", "--type=merge", "-p", '{"metadata":{"finalizers":null}}')
    assert wait_for(lambda: kapi.json("GET", "/api/v1/namespaces/gc-fg/configmaps/owner")[0] == 404)
    assert secrets(kapi, "gc-fg") == []


def test_gc_orphan_keeps_dependents(kapi):
    owned_family(kapi, "gc-or", "owner")
    kapi.kubectl("delete", "configmap", "owner", "-n", "gc-or", "--cascade=orphan")  # waits until gone
    assert kapi.json("GET", "/api/v1/namespaces/gc-or/configmaps/owner")[0] == 404
    deps = secrets(kapi, "gc-or")
    assert sorted(d["metadata"]["name"] for d in deps) == ["dep0", "dep1"]
    assert all("ownerReferences" not in d["metadata"] for d in deps)


def test_bad_propagation_policy_is_invalid(kapi):
    kapi.kubectl("create", "configmap", "pp", "-n", "default")
    st, body = kapi.json("DELETE", "/api/v1/namespaces/default/configmaps/pp?propagationPolicy=Sideways")
    assert st == 422 and body["reason"] == "Invalid"
    assert body["details"]["causes"][0]["field"] == "propagationPolicy"


def test_quota_controller_recalculates_usage(kapi):
    """status.used follows the objects that exist: a quota created after its
    objects counts them, and pods removed by the garbage collector give
    their usage back (the admission path never sees those deletes)."""
    kapi.kubectl("create", "namespace", "quota-recalc")
    for i in range(3):
        kapi.kubectl("create", "configmap", f"cm{i}", "-n", "quota-recalc")
    kapi.kubectl("create", "quota", "q", "-n", "quota-recalc", "--hard=configmaps=10,pods=2")

    def used(res):
        st, q = kapi.json("GET", "/api/v1/namespaces/quota-recalc/resourcequotas/q")
        return (q.get("status") or {}).get("used", {}).get(res)

    # three of ours plus kube-root-ca.crt
    assert wait_for(lambda: used("configmaps") == "4"), used("configmaps")
    st, owner = kapi.json("GET", "/api/v1/namespaces/quota-recalc/configmaps/cm0")
    for i in range(2):
        p = pod(f"owned{i}")
        p["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "ConfigMap", "name": "cm0",
                                             "uid": owner["metadata"]["uid"]}]
        assert kapi.json("POST", "/api/v1/namespaces/quota-recalc/pods", p)[0] == 201
    assert wait_for(lambda: used("pods") == "2")
    st, err = kapi.json("POST", "/api/v1/namespaces/quota-recalc/pods", pod("third"))
    assert st == 403
    # the owner goes; the collector deletes the pods; the quota controller notices
    kapi.kubectl("delete", "configmap", "cm0", "-n", "quota-recalc")
    assert wait_for(lambda: kapi.json("GET", "/api/v1/namespaces/quota-recalc/pods/owned0")[0] == 404)
    assert wait_for(lambda: used("pods") == "0"), used("pods")
    assert kapi.json("POST", "/api/v1/namespaces/quota-recalc/pods", pod("third"))[0] == 201
