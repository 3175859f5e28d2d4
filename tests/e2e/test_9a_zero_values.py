"""Go's always-encoded zero values, read back field for field (and member for
member) as kube-apiserver v1.33 returns them: a non-pointer struct is always
written, a zero metav1.Time/MicroTime is null, a string/int without omitempty
is "" / 0. Covers a minimal Node, core/v1 and events.k8s.io/v1 Events (both
views of the same objects), pod and node conditions written through the
status subresource, and that server-side apply's managedFields do not claim
these members. The expected objects follow the v1.33 Go types."""
import json

NODE_INFO = {"machineID": "", "systemUUID": "", "bootID": "", "kernelVersion": "", "osImage": "",
             "containerRuntimeVersion": "", "kubeletVersion": "", "kubeProxyVersion": "",
             "operatingSystem": "", "architecture": ""}
NOT_READY = [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]


def body(raw):
    """(object without metadata, metadata) of a raw JSON response."""
    obj = json.loads(raw)
    return obj, obj.pop("metadata")


def same(got, want):
    assert json.dumps(got) == json.dumps(want), f"\n got  {json.dumps(got)}\n want {json.dumps(want)}"


def post(kapi, path, obj):
    st, _, raw = kapi.request("POST", path, obj)
    assert st == 201, raw
    return body(raw)


def get(kapi, path):
    st, _, raw = kapi.request("GET", path)
    assert st == 200, raw
    return body(raw)


def put_back(kapi, path):
    """PUTs what a GET returned; the object must come back unchanged."""
    st, _, raw = kapi.request("GET", path)
    assert st == 200
    before, _ = body(raw)
    st, _, out = kapi.request("PUT", path, raw.decode())
    assert st == 200, out
    after, _ = body(out)
    same(after, before)
    same(get(kapi, path)[0], before)


def test_minimal_node(kapi):
    obj, meta = post(kapi, "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "zn"}})
    want = {"kind": "Node", "apiVersion": "v1", "spec": {"taints": NOT_READY},
            "status": {"daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}, "nodeInfo": NODE_INFO}}
    same(obj, want)
    same(get(kapi, "/api/v1/nodes/zn")[0], want)
    # equal to the zero Node on both sides of the create: nobody owns them
    assert "managedFields" not in meta
    put_back(kapi, "/api/v1/nodes/zn")


def test_node_status_conditions(kapi):
    # a label, so that the create is tracked (an untracked object stays untracked)
    post(kapi, "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "zn2", "labels": {"a": "b"}}})
    st, _, raw = kapi.request(
        "PATCH", "/api/v1/nodes/zn2/status",
        {"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "ok"}],
                    "nodeInfo": {"kubeletVersion": "v1.33.0"}}},
        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, raw
    obj, meta = body(raw)
    info = dict(NODE_INFO, kubeletVersion="v1.33.0")
    same(obj["status"], {"conditions": [{"type": "Ready", "status": "True", "lastHeartbeatTime": None,
                                         "lastTransitionTime": None, "reason": "KubeletReady", "message": "ok"}],
                         "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}}, "nodeInfo": info})
    # the patcher owns what it changed: the new condition (with the times Go
    # writes for it) and kubeletVersion, not the nodeInfo strings left empty
    fields = [e for e in meta["managedFields"] if e.get("subresource") == "status"][0]["fieldsV1"]["f:status"]
    same(fields["f:nodeInfo"], {"f:kubeletVersion": {}})
    same(fields["f:conditions"]['k:{"type":"Ready"}'],
         {".": {}, "f:lastHeartbeatTime": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {},
          "f:status": {}, "f:type": {}})
    put_back(kapi, "/api/v1/nodes/zn2")


CORE_EV = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "ze"},
           "involvedObject": {"kind": "Pod", "namespace": "default", "name": "p"},
           "reason": "R", "message": "m"}


def test_core_event_and_its_events_v1_view(kapi):
    obj, meta = post(kapi, "/api/v1/namespaces/default/events", CORE_EV)
    want = {"kind": "Event", "apiVersion": "v1", "involvedObject": CORE_EV["involvedObject"],
            "reason": "R", "message": "m", "source": {}, "firstTimestamp": None, "lastTimestamp": None,
            "eventTime": None, "reportingComponent": "", "reportingInstance": ""}
    same(obj, want)
    same(get(kapi, "/api/v1/namespaces/default/events/ze")[0], want)
    same(meta["managedFields"][0]["fieldsV1"], {"f:involvedObject": {}, "f:message": {}, "f:reason": {}})
    # the events.k8s.io/v1 type writes eventTime, regarding, deprecatedSource
    # and the two deprecated times always, the reporting strings only when set
    v1 = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "eventTime": None, "reason": "R",
          "regarding": CORE_EV["involvedObject"], "note": "m", "deprecatedSource": {},
          "deprecatedFirstTimestamp": None, "deprecatedLastTimestamp": None}
    same(get(kapi, "/apis/events.k8s.io/v1/namespaces/default/events/ze")[0], v1)
    st, _, raw = kapi.request("GET", "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=metadata.name%3Dze")
    item = json.loads(raw)["items"][0]
    item.pop("metadata")
    same(item, dict(v1))
    put_back(kapi, "/api/v1/namespaces/default/events/ze")


def test_events_v1_event_and_its_core_view(kapi):
    ev = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "ze2"},
          "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/c",
          "reportingInstance": "i", "action": "A", "reason": "R", "type": "Normal",
          "regarding": {"kind": "Pod", "namespace": "default", "name": "p"}}
    obj, meta = post(kapi, "/apis/events.k8s.io/v1/namespaces/default/events", ev)
    want = {"kind": "Event", "apiVersion": "events.k8s.io/v1", "eventTime": "2026-01-01T00:00:00.000000Z",
            "reportingController": "example.com/c", "reportingInstance": "i", "action": "A", "reason": "R",
            "regarding": ev["regarding"], "type": "Normal", "deprecatedSource": {},
            "deprecatedFirstTimestamp": None, "deprecatedLastTimestamp": None}
    same(obj, want)
    # managedFields are those of the events.k8s.io/v1 object the client wrote
    same(meta["managedFields"][0]["fieldsV1"],
         {"f:action": {}, "f:eventTime": {}, "f:reason": {}, "f:regarding": {}, "f:reportingController": {},
          "f:reportingInstance": {}, "f:type": {}})
    core = {"kind": "Event", "apiVersion": "v1", "involvedObject": ev["regarding"], "reason": "R",
            "source": {}, "firstTimestamp": None, "lastTimestamp": None, "type": "Normal",
            "eventTime": "2026-01-01T00:00:00.000000Z", "action": "A", "reportingComponent": "example.com/c",
            "reportingInstance": "i"}
    same(get(kapi, "/api/v1/namespaces/default/events/ze2")[0], core)
    put_back(kapi, "/apis/events.k8s.io/v1/namespaces/default/events/ze2")
    put_back(kapi, "/api/v1/namespaces/default/events/ze2")


def test_events_with_the_python_client(kapi):
    client, api = kapi.python_client()
    core = client.CoreV1Api(api)
    core.create_namespaced_event("default", client.CoreV1Event(
        metadata=client.V1ObjectMeta(name="zpy"), reason="R", message="from python",
        involved_object=client.V1ObjectReference(kind="Pod", namespace="default", name="p")))
    e = core.read_namespaced_event("zpy", "default")
    assert e.event_time is None and e.first_timestamp is None and e.reporting_component == ""
    assert e.source.to_dict() == {"component": None, "host": None}
    # the client's EventsV1Event model refuses eventTime null (as it would
    # with kube-apiserver), so this view is read as plain JSON
    resp = client.EventsV1Api(api).read_namespaced_event("zpy", "default", _preload_content=False)
    v1 = json.loads(resp.data)
    assert v1["eventTime"] is None and v1["regarding"]["name"] == "p" and v1["note"] == "from python"
    assert "reportingController" not in v1 and v1["deprecatedSource"] == {}
    assert v1["deprecatedFirstTimestamp"] is None and v1["deprecatedLastTimestamp"] is None


def test_pod_conditions_via_status(kapi):
    post(kapi, "/api/v1/namespaces/default/pods",
         {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "zp"},
          "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}})
    st, _, raw = kapi.request(
        "PATCH", "/api/v1/namespaces/default/pods/zp/status",
        {"status": {"conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [{"name": "c", "image": "nginx:1.25", "state": {"running": {}},
                                           "allocatedResources": {"cpu": "100u"}}]}},
        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 200, raw
    obj, meta = body(raw)
    want = {"phase": "Pending",
            "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None, "lastTransitionTime": None}],
            "containerStatuses": [{"name": "c", "state": {"running": {"startedAt": None}}, "lastState": {},
                                   "ready": False, "restartCount": 0, "image": "nginx:1.25", "imageID": "",
                                   "allocatedResources": {"cpu": "1m"}}],  # SetDefaults_ResourceList
            "qosClass": "BestEffort"}
    same(obj["status"], want)
    same(get(kapi, "/api/v1/namespaces/default/pods/zp")[0]["status"], want)
    fields = [e for e in meta["managedFields"] if e.get("subresource") == "status"][0]["fieldsV1"]["f:status"]
    same(fields["f:conditions"]['k:{"type":"Ready"}'],
         {".": {}, "f:lastProbeTime": {}, "f:lastTransitionTime": {}, "f:status": {}, "f:type": {}})
    put_back(kapi, "/api/v1/namespaces/default/pods/zp/status")
    # scheduling gates: the strategy's PodScheduled condition, stamped now
    obj, _ = post(kapi, "/api/v1/namespaces/default/pods",
                  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "zg"},
                   "spec": {"schedulingGates": [{"name": "g"}], "containers": [{"name": "c", "image": "nginx:1.25"}]}})
    cond = obj["status"]["conditions"][0]
    assert list(cond) == ["type", "status", "lastProbeTime", "lastTransitionTime", "reason", "message"]
    assert cond["lastProbeTime"] is None and cond["lastTransitionTime"].endswith("Z")


def test_template_zero_members_are_not_owned(kapi):
    kapi.kubectl("create", "deployment", "zd", "--image=nginx:1.25")
    st, d = kapi.json("GET", "/apis/apps/v1/namespaces/default/deployments/zd")
    assert d["spec"]["template"]["metadata"]["creationTimestamp"] is None
    f = d["metadata"]["managedFields"][0]["fieldsV1"]
    same(f["f:spec"]["f:template"]["f:metadata"], {"f:labels": {".": {}, "f:app": {}}})
    assert "f:status" not in f


def test_nested_plain_structs(kapi):
    obj, _ = post(kapi, "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
                  {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "znp"},
                   "spec": {}})
    same(obj["spec"], {"podSelector": {}, "policyTypes": ["Ingress"]})
    obj, _ = post(kapi, "/api/v1/namespaces/default/pods",
                  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "zdiv"},
                   "spec": {"containers": [{"name": "c", "image": "nginx:1.25", "env": [
                       {"name": "L", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}}]}]}})
    same(obj["spec"]["containers"][0]["env"][0]["valueFrom"],
         {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "0"}})
    obj, _ = post(kapi, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
                  {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "zes"},
                   "addressType": "IPv4"})
    same(obj, {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4",
               "endpoints": None, "ports": None})
    put_back(kapi, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/zes")
