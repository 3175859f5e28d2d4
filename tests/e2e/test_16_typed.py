"""Typed decoding of built-in objects: wrong types, unknown and duplicate
fields under kubectl's --validate=strict|warn|ignore, canonical output."""
import json

import yaml

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  bogus: 1
  selector: {{matchLabels: {{app: t}}}}
  template:
    metadata: {{labels: {{app: t}}}}
    spec:
      containers:
      - name: c
        image: nginx
        resources: {{limits: {{memory: 1024Mi, cpu: 1000m}}}}
        extra: x
"""


def test_validate_strict_warn_ignore(kapi):
    p = kapi.kubectl("create", "-f", "-", "--validate=strict", input=DEPLOY.format(name="ty1", replicas=2), check=False)
    assert p.returncode != 0
    assert ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: '
            'unknown field "spec.bogus", unknown field "spec.template.spec.containers[0].extra"') in p.stderr
    p = kapi.kubectl("create", "-f", "-", "--validate=warn", input=DEPLOY.format(name="ty2", replicas=2))
    assert 'Warning: unknown field "spec.bogus"' in p.stderr
    assert 'Warning: unknown field "spec.template.spec.containers[0].extra"' in p.stderr
    p = kapi.kubectl("create", "-f", "-", "--validate=ignore", input=DEPLOY.format(name="ty3", replicas=2))
    assert "Warning" not in p.stderr
    for name in ("ty2", "ty3"):
        d = json.loads(kapi.kubectl("get", "deploy", name, "-o", "json").stdout)
        assert "bogus" not in d["spec"] and "extra" not in d["spec"]["template"]["spec"]["containers"][0]
        # quantities in canonical form
        assert d["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "1Gi"}


def test_wrong_types_are_400(kapi):
    p = kapi.kubectl("create", "-f", "-", input=DEPLOY.format(name="ty4", replicas='"two"'), check=False)
    assert p.returncode != 0
    assert ("cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field "
            "DeploymentSpec.spec.replicas of type int32") in p.stderr
    st, body = kapi.json("POST", "/api/v1/namespaces/default/configmaps",
                         {"metadata": {"name": "ty5"}, "data": {"a": 1}})
    assert st == 400 and body["reason"] == "BadRequest"
    assert "cannot unmarshal number into Go struct field ConfigMap.data of type string" in body["message"]


def test_duplicate_fields(kapi):
    raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup1","name":"dup1"},"data":{"a":"1"}}'
    st, hdrs, body = kapi.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", raw,
                                  {"Content-Type": "application/json"})
    assert st == 400 and 'duplicate field \\"metadata.name\\"' in body.decode()
    st, hdrs, body = kapi.request("POST", "/api/v1/namespaces/default/configmaps", raw, {"Content-Type": "application/json"})
    assert st == 201 and hdrs["warning"] == '299 - "duplicate field \\"metadata.name\\""'
    st, body = kapi.json("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Bogus", {"metadata": {"name": "x"}})
    assert st == 422 and 'fieldValidation: Unsupported value: "Bogus"' in body["message"]


def test_canonical_field_order(kapi):
    shuffled = ('{"spec":{"template":{"spec":{"containers":[{"image":"nginx","name":"c"}]},'
                '"metadata":{"labels":{"app":"o"}}},"selector":{"matchLabels":{"app":"o"}},"replicas":1},'
                '"metadata":{"labels":{"z":"1","a":"2"},"name":"order1"},"kind":"Deployment","apiVersion":"apps/v1"}')
    st, hdrs, body = kapi.request("POST", "/apis/apps/v1/namespaces/default/deployments", shuffled,
                                  {"Content-Type": "application/json"})
    assert st == 201
    st, hdrs, body = kapi.request("GET", "/apis/apps/v1/namespaces/default/deployments/order1")
    d = json.loads(body)
    assert list(d.keys())[:4] == ["kind", "apiVersion", "metadata", "spec"]
    assert list(d["spec"].keys())[:3] == ["replicas", "selector", "template"]
    assert list(d["spec"]["template"].keys()) == ["metadata", "spec"]
    assert list(d["spec"]["template"]["spec"]["containers"][0].keys())[:2] == ["name", "image"]
    assert list(d["metadata"]["labels"].keys()) == ["a", "z"]  # maps sorted, as Go writes them
