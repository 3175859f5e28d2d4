"""Durability of the embedded store: kill -9 in the middle of writes loses no
acknowledged write, and resourceVersion never goes backwards across
restarts."""
import json
import threading
import time


def test_kill9_during_writes_loses_no_acknowledged_write(fresh_kapi):
    k = fresh_kapi().start()
    acked = {}
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set():
            name = f"w{w}-{i}"
            try:
                st, _, body = k.request("POST", "/api/v1/namespaces/default/configmaps",
                                        {"metadata": {"name": name}, "data": {"i": str(i)}}, timeout=5)
            except Exception:
                return
            if st == 201:
                with lock:
                    acked[name] = int(json.loads(body)["metadata"]["resourceVersion"])
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    [t.start() for t in threads]
    time.sleep(2.0)
    k.kill9()
    stop.set()
    [t.join(10) for t in threads]
    assert len(acked) > 50, "too few writes to mean anything"
    max_rv = max(acked.values())
    k.start()
    st, lst = k.json("GET", "/api/v1/namespaces/default/configmaps")
    assert st == 200
    present = {i["metadata"]["name"]: int(i["metadata"]["resourceVersion"]) for i in lst["items"]}
    missing = [n for n in acked if n not in present]
    assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {missing[:5]}"
    for n, rv in acked.items():
        assert present[n] == rv
    assert int(lst["metadata"]["resourceVersion"]) >= max_rv
    # A new write after the restart gets a newer revision than anything before.
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "after-restart"}})
    assert st == 201 and int(cm["metadata"]["resourceVersion"]) > max_rv


def test_revisions_survive_clean_restart(fresh_kapi):
    k = fresh_kapi().start()
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "keep"}})
    rv1 = int(cm["metadata"]["resourceVersion"])
    st, _ = k.json("DELETE", "/api/v1/namespaces/default/configmaps/keep")
    assert st == 200
    assert k.stop() == 0
    k.start()
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "keep"}})
    assert st == 201 and int(cm["metadata"]["resourceVersion"]) > rv1 + 1
    # Watching from an old revision still replays what happened since.
    st, hdrs, body = k.request("GET", f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv1}&timeoutSeconds=1")
    assert st == 200


def test_periodic_compaction(fresh_kapi):
    k = fresh_kapi("--etcd-compaction-interval", "1s").start()
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c0"}})
    rv0 = cm["metadata"]["resourceVersion"]
    k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "c1"}})
    path = f"/api/v1/namespaces/default/configmaps?resourceVersion={rv0}&resourceVersionMatch=Exact"
    assert k.json("GET", path)[0] == 200
    deadline = time.time() + 20
    while time.time() < deadline:
        st, body = k.json("GET", path)
        if st == 410:
            break
        time.sleep(0.3)
    assert st == 410 and body["reason"] == "Expired"
    assert body["message"].startswith(f"too old resource version: {rv0} (")
    # current state is untouched
    st, lst = k.json("GET", "/api/v1/namespaces/default/configmaps")
    assert sorted(i["metadata"]["name"] for i in lst["items"] if i["metadata"]["name"] != "kube-root-ca.crt") == ["c0", "c1"]
