"""kubectl's everyday patching commands, which send strategic merge patches
for built-in kinds: apply (client-side, three-way), edit, patch, set,
rollout restart, scale."""
import json
import os

import yaml

APP = {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "app1", "labels": {"team": "a"}},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "a"}},
             "template": {"metadata": {"labels": {"app": "a"}},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.26",
                                                   "ports": [{"containerPort": 80}]},
                                                  {"name": "side", "image": "busybox"}]}}}}


def get(kapi, *what):
    return json.loads(kapi.kubectl("get", *what, "-o", "json").stdout)


def containers(d):
    return [(c["name"], c["image"]) for c in d["spec"]["template"]["spec"]["containers"]]


def test_client_side_apply_three_way(kapi):
    assert kapi.kubectl("apply", "-f", "-", input=yaml.safe_dump(APP)).stdout.strip() == "deployment.apps/app1 created"
    d = get(kapi, "deploy", "app1")
    assert "kubectl.kubernetes.io/last-applied-configuration" in d["metadata"]["annotations"]
    # a live-only change to a field the file does not mention survives apply
    kapi.kubectl("annotate", "deploy", "app1", "live-only=yes")
    kapi.kubectl("set", "env", "deploy/app1", "-c", "web", "MODE=live")
    app = json.loads(json.dumps(APP))
    app["spec"]["template"]["spec"]["containers"] = [app["spec"]["template"]["spec"]["containers"][0]]
    app["spec"]["replicas"] = 3
    out = kapi.kubectl("apply", "-f", "-", input=yaml.safe_dump(app)).stdout.strip()
    assert out == "deployment.apps/app1 configured"
    d = get(kapi, "deploy", "app1")
    assert containers(d) == [("web", "nginx:1.26")]          # removed from the file: removed
    assert d["spec"]["replicas"] == 3
    assert d["metadata"]["annotations"]["live-only"] == "yes"  # live-only: kept
    assert d["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "live"}]
    assert kapi.kubectl("apply", "-f", "-", input=yaml.safe_dump(app)).stdout.strip() == "deployment.apps/app1 unchanged"


def test_set_patch_rollout_edit(kapi):
    app = json.loads(json.dumps(APP))
    app["metadata"]["name"] = "app2"
    kapi.kubectl("create", "-f", "-", input=json.dumps(app))
    kapi.kubectl("set", "image", "deploy/app2", "web=nginx:1.27")
    assert containers(get(kapi, "deploy", "app2")) == [("web", "nginx:1.27"), ("side", "busybox")]
    kapi.kubectl("set", "resources", "deploy/app2", "-c", "web", "--limits=cpu=500m,memory=128Mi")
    web = get(kapi, "deploy", "app2")["spec"]["template"]["spec"]["containers"][0]
    assert web["resources"] == {"limits": {"cpu": "500m", "memory": "128Mi"}}
    # strategic merge: containers merge by name, ports by containerPort
    kapi.kubectl("patch", "deploy", "app2", "-p",
                 '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}')
    assert containers(get(kapi, "deploy", "app2")) == [("web", "nginx:1.27"), ("side", "busybox:1.36")]
    kapi.kubectl("patch", "deploy", "app2", "-p",
                 '{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}')
    assert containers(get(kapi, "deploy", "app2")) == [("web", "nginx:1.27")]
    kapi.kubectl("rollout", "restart", "deploy/app2")
    ann = get(kapi, "deploy", "app2")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in ann
    env = dict(os.environ, EDITOR="sed -i s/nginx:1.27/nginx:1.28/")
    import subprocess
    p = subprocess.run(["kubectl", "--kubeconfig", kapi.kubeconfig, "edit", "deploy/app2"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert containers(get(kapi, "deploy", "app2")) == [("web", "nginx:1.28")]
    kapi.kubectl("scale", "deploy/app2", "--replicas=5")
    d = get(kapi, "deploy", "app2")
    assert d["spec"]["replicas"] == 5


def test_strategic_merge_patch_errors(kapi):
    kapi.kubectl("create", "configmap", "smp1", "--from-literal=a=1")
    st, hdrs, body = kapi.request("PATCH", "/api/v1/namespaces/default/configmaps/smp1", "[1,2]",
                                  {"Content-Type": "application/strategic-merge-patch+json"})
    assert st == 400 and json.loads(body)["reason"] == "BadRequest"
    st, hdrs, body = kapi.request("PATCH", "/api/v1/namespaces/default/configmaps/smp1",
                                  '{"data":{"a":null,"b":"2"}}',
                                  {"Content-Type": "application/strategic-merge-patch+json"})
    assert st == 200 and json.loads(body)["data"] == {"b": "2"}


def test_python_client_patches(kapi):
    client, api_client = kapi.python_client()
    apps = client.AppsV1Api(api_client)
    app = json.loads(json.dumps(APP))
    app["metadata"]["name"] = "app3"
    apps.create_namespaced_deployment("default", app)
    # the Python client sends dict bodies as strategic merge patches
    apps.patch_namespaced_deployment("app3", "default", {"spec": {"template": {"spec": {
        "containers": [{"name": "web", "image": "nginx:1.29"}]}}}})
    d = apps.read_namespaced_deployment("app3", "default")
    assert [(c.name, c.image) for c in d.spec.template.spec.containers] == [("web", "nginx:1.29"), ("side", "busybox")]
