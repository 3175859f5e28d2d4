"""The answer to a create is the object as the server then serves it.

A create's answer is made from the stored bytes with the revision put in,
and the watch cache takes the same bytes when the write's event comes back
(rather than decoding and encoding them again). These tests hold the three
views of a new object byte for byte equal: the create's answer, a GET from
the cache (resourceVersion=0) and a consistent GET; and the answer still
follows the request's format when it asks for something else.
"""
import json

import pytest
import yaml

OBJECTS = [
    ("/api/v1/namespaces/default/configmaps", {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cb-cm", "labels": {"app": "web", "tier": "a.b_c-d"},
                     "annotations": {"note": "quotes \" and \\ and \u00e9", "html": "a<b>&c"}},
        "data": {"k": "v", "html": "<b>&amp;</b>"}}),
    # members in an unusual order, metadata last
    ("/api/v1/namespaces/default/secrets", {
        "type": "Opaque", "data": {"a": "YQ=="}, "kind": "Secret",
        "metadata": {"labels": {"x": "y"}, "name": "cb-secret"}, "apiVersion": "v1"}),
    ("/api/v1/namespaces/default/pods", {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"generateName": "cb-pod-", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                 "resources": {"limits": {"cpu": "500m", "memory": "1024Mi"}},
                                 "ports": [{"containerPort": 80}]}]}}),
    ("/api/v1/namespaces/default/services", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "cb-svc"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}),
    ("/apis/apps/v1/namespaces/default/deployments", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cb-deploy"},
        "spec": {"selector": {"matchLabels": {"app": "d"}},
                 "template": {"metadata": {"labels": {"app": "d"}},
                              "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
    ("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cb-ns"}}),
]


@pytest.mark.parametrize("path,obj", OBJECTS, ids=[o["kind"] for _, o in OBJECTS])
def test_create_answer_is_the_served_object(kapi, path, obj):
    st, _, created = kapi.request("POST", path, body=obj)
    assert st == 201, created
    doc = json.loads(created)
    name = doc["metadata"]["name"]
    rv = doc["metadata"]["resourceVersion"]
    assert doc["metadata"]["uid"] and rv
    # resourceVersion right after uid, as upstream's ObjectMeta orders them
    md_keys = list(doc["metadata"].keys())
    assert md_keys.index("resourceVersion") == md_keys.index("uid") + 1
    st, _, cached = kapi.request("GET", f"{path}/{name}?resourceVersion=0")
    assert st == 200
    st, _, consistent = kapi.request("GET", f"{path}/{name}")
    assert st == 200
    assert created == cached == consistent


def test_create_answer_in_other_formats(kapi):
    path = "/api/v1/namespaces/default/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cb-pretty"}, "data": {"k": "v"}}
    st, _, pretty = kapi.request("POST", path + "?pretty=true", body=body)
    assert st == 201
    assert pretty.startswith(b'{\n  "kind": "ConfigMap"'), pretty
    st, _, served = kapi.request("GET", path + "/cb-pretty")
    assert json.loads(pretty) == json.loads(served)

    body["metadata"]["name"] = "cb-yaml"
    st, hdrs, y = kapi.request("POST", path, body=body, headers={"Accept": "application/yaml"})
    assert st == 201 and hdrs["content-type"] == "application/yaml"
    st, _, served = kapi.request("GET", path + "/cb-yaml")
    assert yaml.safe_load(y) == json.loads(served)



def test_failed_create_leaves_nothing_behind(kapi):
    """A create that loses to an existing name answers 409, and the object
    that was there is served unchanged."""
    path = "/api/v1/namespaces/default/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cb-dup"}, "data": {"n": "1"}}
    st, _, first = kapi.request("POST", path, body=body)
    assert st == 201
    body["data"]["n"] = "2"
    st, _, again = kapi.request("POST", path, body=body)
    assert st == 409, again
    assert json.loads(again)["reason"] == "AlreadyExists"
    st, _, served = kapi.request("GET", path + "/cb-dup?resourceVersion=0")
    assert served == first
