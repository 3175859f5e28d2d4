"""Watch details (bookmarks, timeouts, legacy paths, 410 as an ERROR event)
and the YAML encodings, checked at the byte level."""
import json
import time

import yaml


def watch_lines(k, path, timeout=20):
    st, hdrs, body = k.request("GET", path, timeout=timeout)
    assert st == 200, body[:300]
    assert hdrs.get("transfer-encoding") == "chunked"
    return [json.loads(l) for l in body.decode().splitlines() if l]


def test_bookmarks_and_timeout(fresh_kapi):
    k = fresh_kapi("--watch-bookmark-interval-ms", "300").start()
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "bm"}})
    t0 = time.time()
    events = watch_lines(k, "/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=2")
    elapsed = time.time() - t0
    assert 1.5 < elapsed < 15  # the server ended the stream at timeoutSeconds
    assert events[0]["type"] == "ADDED" and events[0]["object"]["metadata"]["name"] == "bm"
    marks = [e for e in events if e["type"] == "BOOKMARK"]
    assert marks, events
    assert marks[0]["object"]["kind"] == "ConfigMap" and marks[0]["object"]["apiVersion"] == "v1"
    assert int(marks[-1]["object"]["metadata"]["resourceVersion"]) >= int(cm["metadata"]["resourceVersion"])
    # without allowWatchBookmarks there are none
    events = watch_lines(k, "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dbm&timeoutSeconds=1")
    assert [e["type"] for e in events] == ["ADDED"]


def test_legacy_watch_path_and_replay(kapi):
    st, a = kapi.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "lw-a"}})
    st, b = kapi.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "lw-b"}})
    rv = a["metadata"]["resourceVersion"]
    # /watch/ with a name watches that one object, replaying from rv
    events = watch_lines(kapi, f"/api/v1/watch/namespaces/default/configmaps/lw-b?resourceVersion={rv}&timeoutSeconds=1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "lw-b")]
    events = watch_lines(kapi, f"/api/v1/watch/namespaces/default/configmaps?resourceVersion={rv}&timeoutSeconds=1")
    assert [e["object"]["metadata"]["name"] for e in events if e["object"]["metadata"]["name"].startswith("lw-")] == ["lw-b"]
    # label selector filtering on a watch
    kapi.json("PATCH", "/api/v1/namespaces/default/configmaps/lw-a", {"metadata": {"labels": {"sel": "x"}}},
              headers={"Content-Type": "application/merge-patch+json"})
    events = watch_lines(kapi, f"/api/v1/namespaces/default/configmaps?watch=1&labelSelector=sel%3Dx&timeoutSeconds=1")
    assert [e["object"]["metadata"]["name"] for e in events] == ["lw-a"]


def test_watch_from_expired_revision_is_410_event(fresh_kapi):
    k = fresh_kapi().start()
    st, cm = k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "old"}})
    old_rv = int(cm["metadata"]["resourceVersion"])
    k.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "newer"}})
    k.stop()
    k.start()  # the new cache keeps history from its start only
    events = watch_lines(k, f"/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={old_rv - 1}&timeoutSeconds=2")
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    st = events[0]["object"]
    assert st["kind"] == "Status" and st["code"] == 410 and st["reason"] == "Expired"
    assert st["message"].startswith(f"too old resource version: {old_rv - 1} (")


def test_yaml_in_and_out(kapi):
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yam\ndata:\n  b: '2'\n  a: yes-string\n"
    st, hdrs, resp = kapi.request("POST", "/api/v1/namespaces/default/configmaps", body,
                                  {"Content-Type": "application/yaml", "Accept": "application/yaml"})
    assert st == 201 and hdrs["content-type"] == "application/yaml"
    text = resp.decode()
    assert text.startswith("apiVersion: v1\ndata:\n  a: yes-string\n  b: \"2\"\nkind: ConfigMap\nmetadata:\n")
    obj = yaml.safe_load(text)
    assert obj["metadata"]["name"] == "yam"
    st, hdrs, resp = kapi.request("GET", "/api/v1/namespaces/default/configmaps/yam", headers={"Accept": "application/yaml"})
    assert st == 200 and yaml.safe_load(resp)["data"] == {"a": "yes-string", "b": "2"}
    st, hdrs, resp = kapi.request("GET", "/api/v1/namespaces/default/configmaps/nope", headers={"Accept": "application/yaml"})
    assert st == 404 and hdrs["content-type"] == "application/yaml"
    assert yaml.safe_load(resp)["reason"] == "NotFound"


def test_not_acceptable_and_unsupported_media(kapi):
    st, _, resp = kapi.request("GET", "/api/v1/namespaces", headers={"Accept": "text/html"})
    assert st == 406 and json.loads(resp)["reason"] == "NotAcceptable"
    st, _, resp = kapi.request("POST", "/api/v1/namespaces/default/configmaps", "x=1",
                               {"Content-Type": "application/x-www-form-urlencoded"})
    assert st == 415 and json.loads(resp)["reason"] == "UnsupportedMediaType"
    st, _, resp = kapi.request("PATCH", "/api/v1/namespaces/default/configmaps/x", "{}",
                               {"Content-Type": "application/apply-patch+cbor"})
    assert st == 415
    assert json.loads(resp)["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, "
        "application/apply-patch+yaml")


def test_status_bytes_for_not_found(kapi):
    st, _, resp = kapi.request("GET", "/apis/apps/v1/namespaces/default/deployments/missing")
    assert st == 404
    assert resp == (b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                    b'"message":"deployments.apps \\"missing\\" not found","reason":"NotFound",'
                    b'"details":{"name":"missing","group":"apps","kind":"deployments"},"code":404}\n')


def test_partial_object_metadata(kapi):
    kapi.json("POST", "/api/v1/namespaces/default/configmaps",
              {"metadata": {"name": "pom", "labels": {"m": "1"}}, "data": {"secret-ish": "payload"}})
    acc = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json"
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps/pom", headers={"Accept": acc})
    obj = json.loads(body)
    assert st == 200 and obj["kind"] == "PartialObjectMetadata" and obj["apiVersion"] == "meta.k8s.io/v1"
    assert obj["metadata"]["name"] == "pom" and "data" not in obj
    acc_list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=m%3D1",
                                  headers={"Accept": acc_list})
    lst = json.loads(body)
    assert lst["kind"] == "PartialObjectMetadataList" and lst["metadata"]["resourceVersion"]
    assert [i["kind"] for i in lst["items"]] == ["PartialObjectMetadata"]
    assert "data" not in lst["items"][0]
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=m%3D1&timeoutSeconds=1",
                                  headers={"Accept": acc})
    ev = json.loads(body.decode().splitlines()[0])
    assert ev["type"] == "ADDED" and ev["object"]["kind"] == "PartialObjectMetadata" and "data" not in ev["object"]


def test_protobuf_requests_and_responses(kapi):
    """kubectl's typed clients send and read application/vnd.kubernetes.protobuf:
    `create -o json` prints what kubectl decoded from kapi's protobuf answer."""
    out = json.loads(kapi.kubectl("create", "configmap", "pbuf", "--from-literal=k=v", "-o", "json").stdout)
    st, live = kapi.json("GET", "/api/v1/namespaces/default/configmaps/pbuf")
    assert out["metadata"]["uid"] == live["metadata"]["uid"]
    assert out["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"]
    assert out["data"] == {"k": "v"} and out["kind"] == "ConfigMap"
    pb = "application/vnd.kubernetes.protobuf"
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps/pbuf", headers={"Accept": pb})
    assert st == 200 and hdrs["content-type"] == pb and body.startswith(b"k8s\x00")
    assert b"\n\x02v1\x12\tConfigMap" in body and b"pbuf" in body
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps", headers={"Accept": pb + ", application/json"})
    assert st == 200 and body.startswith(b"k8s\x00") and b"ConfigMapList" in body and b"pbuf" in body
    # errors come back as a protobuf Status
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps/none", headers={"Accept": pb})
    assert st == 404 and hdrs["content-type"] == pb and b"Status" in body and b"NotFound" in body
    # watch: length-prefixed WatchEvent frames
    st, hdrs, body = kapi.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&fieldSelector=metadata.name%3Dpbuf&timeoutSeconds=1",
                                  headers={"Accept": pb + ";stream=watch"})
    assert st == 200 and hdrs["content-type"] == pb + ";stream=watch"
    n = int.from_bytes(body[:4], "big")
    frame = body[4:4 + n]
    assert len(frame) == n and frame.startswith(b"\n\x05ADDED\x12") and b"k8s\x00" in frame
