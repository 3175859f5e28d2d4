"""core/v1 and events.k8s.io/v1 Events are two views of the same objects."""
import json


def test_two_views_of_events(kapi):
    core = {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "ev1"},
            "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-1"},
            "reason": "Started", "message": "Started container web", "type": "Normal",
            "source": {"component": "kubelet", "host": "node-1"},
            "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:05Z", "count": 2}
    st, created = kapi.json("POST", "/api/v1/namespaces/default/events", core)
    assert st == 201
    st, v1 = kapi.json("GET", "/apis/events.k8s.io/v1/namespaces/default/events/ev1")
    assert st == 200 and v1["apiVersion"] == "events.k8s.io/v1" and v1["kind"] == "Event"
    assert v1["regarding"] == core["involvedObject"] and v1["note"] == "Started container web"
    assert v1["deprecatedSource"] == {"component": "kubelet", "host": "node-1"} and v1["deprecatedCount"] == 2
    assert v1["metadata"]["uid"] == created["metadata"]["uid"]
    assert list(v1.keys())[:3] == ["kind", "apiVersion", "metadata"]
    # written through events.k8s.io, read through core
    ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "ev2"},
          "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/ctl",
          "reportingInstance": "ctl-1", "action": "Scale", "reason": "Scaled", "type": "Normal",
          "regarding": {"kind": "Deployment", "namespace": "default", "name": "web"}, "note": "scaled up"}
    st, out = kapi.json("POST", "/apis/events.k8s.io/v1/namespaces/default/events", ev)
    assert st == 201 and out["apiVersion"] == "events.k8s.io/v1" and out["note"] == "scaled up"
    st, c = kapi.json("GET", "/api/v1/namespaces/default/events/ev2")
    assert c["involvedObject"]["name"] == "web" and c["message"] == "scaled up"
    assert c["reportingComponent"] == "example.com/ctl"
    # lists, field selectors and the kubectl views
    st, lst = kapi.json("GET", "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Dweb")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["ev2"] and lst["items"][0]["regarding"]["kind"] == "Deployment"
    st, lst = kapi.json("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb-1")
    assert [i["metadata"]["name"] for i in lst["items"]] == ["ev1"]
    out = kapi.kubectl("get", "events").stdout
    assert "Started container web" in out and "scaled up" in out
    out = kapi.kubectl("events").stdout
    assert "Started container web" in out
    st, _ = kapi.json("DELETE", "/apis/events.k8s.io/v1/namespaces/default/events/ev1")
    assert st == 200
    assert kapi.json("GET", "/api/v1/namespaces/default/events/ev1")[0] == 404


def test_events_expire_after_event_ttl(fresh_kapi):
    """--event-ttl: an Event goes once its newest time is older than the
    TTL; other objects stay."""
    import time as _t
    k = fresh_kapi("--event-ttl=2s").start()
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "short-lived"},
          "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
          "reason": "Test", "message": "bye", "type": "Normal"}
    assert k.json("POST", "/api/v1/namespaces/default/events", ev)[0] == 201
    assert k.json("POST", "/api/v1/namespaces/default/configmaps",
                  {"metadata": {"name": "stays"}, "data": {}})[0] == 201
    assert k.json("GET", "/api/v1/namespaces/default/events/short-lived")[0] == 200
    deadline = _t.time() + 20
    while _t.time() < deadline and k.json("GET", "/api/v1/namespaces/default/events/short-lived")[0] == 200:
        _t.sleep(0.2)
    assert k.json("GET", "/api/v1/namespaces/default/events/short-lived")[0] == 404
    assert k.json("GET", "/api/v1/namespaces/default/configmaps/stays")[0] == 200
