"""The official Python client (Debian python3-kubernetes) against kapi."""
import threading
import time

import pytest


def test_python_client_crud_and_watch(kapi):
    client, api_client = kapi.python_client()
    from kubernetes import watch
    v1 = client.CoreV1Api(api_client)
    names = [ns.metadata.name for ns in v1.list_namespace().items]
    assert "default" in names and "kube-system" in names

    events = []
    w = watch.Watch()

    def run():
        for ev in w.stream(v1.list_namespaced_config_map, "default", label_selector="py=yes", timeout_seconds=10):
            events.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("k")))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.8)
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py1", labels={"py": "yes"}), data={"k": "1"})
    created = v1.create_namespaced_config_map("default", body)
    assert created.metadata.uid and created.metadata.resource_version
    got = v1.read_namespaced_config_map("py1", "default")
    assert got.data == {"k": "1"}
    got.data = {"k": "2"}
    v1.replace_namespaced_config_map("py1", "default", got)
    v1.patch_namespaced_config_map("py1", "default", [{"op": "replace", "path": "/data/k", "value": "3"}])
    v1.delete_namespaced_config_map("py1", "default")
    t.join(15)
    assert [e[0] for e in events] == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"]
    assert [e[2] for e in events] == ["1", "2", "3", "3"]


def test_python_client_errors(kapi):
    client, api_client = kapi.python_client()
    from kubernetes.client.rest import ApiException
    v1 = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as e:
        v1.read_namespaced_config_map("does-not-exist", "default")
    assert e.value.status == 404
    assert '"reason":"NotFound"' in e.value.body
    apps = client.AppsV1Api(api_client)
    with pytest.raises(ApiException) as e:
        apps.read_namespaced_deployment("nope", "default")
    assert e.value.status == 404 and 'deployments.apps \\"nope\\" not found' in e.value.body


def test_python_client_generate_name_and_delete_collection(kapi):
    client, api_client = kapi.python_client()
    v1 = client.CoreV1Api(api_client)
    made = set()
    for _ in range(3):
        cm = v1.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(generate_name="gen-", labels={"batch": "g"})))
        assert cm.metadata.name.startswith("gen-") and len(cm.metadata.name) == 9
        made.add(cm.metadata.name)
    assert len(made) == 3
    listed = {c.metadata.name for c in v1.list_namespaced_config_map("default", label_selector="batch=g").items}
    assert listed == made
    v1.delete_collection_namespaced_config_map("default", label_selector="batch=g")
    assert v1.list_namespaced_config_map("default", label_selector="batch=g").items == []
