"""Strategy warnings of built-in kinds (1.33's WarningsOnCreate /
WarningsOnUpdate): kubectl prints each as a `Warning: ...` line on stderr;
the raw response carries `Warning: 299 - "<Go-quoted text>"` headers."""
import http.client
import json

ARCH = ('spec.nodeSelector[beta.kubernetes.io/arch]: deprecated since v1.14; use "kubernetes.io/arch" '
        'instead')
TMPL_ARCH = "spec.template." + ARCH
NAME_W = ("metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; "
          "a DNS label is recommended: [must not contain dots]")


def warnings(stderr):
    return [line[len("Warning: "):] for line in stderr.splitlines() if line.startswith("Warning: ")]


def pod(name, **spec):
    s = {"containers": [{"name": "c", "image": "nginx"}]}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": s}


def deployment(name, node_selector=None, replicas=1):
    spec = {"containers": [{"name": "c", "image": "nginx"}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}


def post(kapi, path, obj, query=""):
    """POST with every Warning header kept, in order."""
    conn = http.client.HTTPSConnection("127.0.0.1", kapi.port, context=kapi.ssl_context(), timeout=30)
    conn.request("POST", path + query, body=json.dumps(obj), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    got = [v for k, v in resp.getheaders() if k.lower() == "warning"]
    conn.close()
    return resp.status, got, body


def test_pod_create_warnings_kubectl(kapi):
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(pod("w-pod", nodeSelector={"beta.kubernetes.io/arch": "amd64"})))
    assert warnings(p.stderr) == [ARCH]
    # a name that is not a DNS label, and a negative grace period
    p = kapi.kubectl("apply", "-f", "-", input=json.dumps(pod("w.pod", terminationGracePeriodSeconds=-1)))
    assert warnings(p.stderr) == [
        "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label "
        "is recommended: [must not contain dots]",
        "spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1"]
    # pods do not warn on update
    p = kapi.kubectl("label", "pod", "w-pod", "x=y")
    assert warnings(p.stderr) == []
    # server-side dry run warns as well, and creates nothing
    p = kapi.kubectl("create", "--dry-run=server", "-f", "-",
                     input=json.dumps(pod("w-dry", volumes=[{"name": "g", "gitRepo": {"repository": "r"}}])))
    assert warnings(p.stderr) == ["spec.volumes[0].gitRepo: deprecated in v1.11"]
    assert kapi.kubectl("get", "pod", "w-dry", check=False).returncode != 0


def test_pod_apparmor_annotation_warns_before_validation(kapi):
    obj = pod("w-aa")
    obj["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(obj))
    assert warnings(p.stderr) == ['metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: '
                                  'deprecated since v1.30; use the "appArmorProfile" field instead']
    got = json.loads(kapi.kubectl("get", "pod", "w-aa", "-o", "json").stdout)
    assert got["spec"]["containers"][0]["securityContext"]["appArmorProfile"] == {"type": "RuntimeDefault"}
    # emitted while preparing the object, so a pod that then fails validation still carries it
    bad = pod("w-aa2")
    bad["metadata"]["annotations"] = {"container.apparmor.security.beta.kubernetes.io/c": "bogus"}
    bad["spec"]["nodeSelector"] = {"beta.kubernetes.io/arch": "amd64"}
    bad["spec"]["restartPolicy"] = "Sometimes"
    status, got, body = post(kapi, "/api/v1/namespaces/default/pods", bad)
    assert status == 422, body
    assert got == ['299 - "metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: deprecated '
                   'since v1.30; use the \\"appArmorProfile\\" field instead"']


def test_deployment_warns_when_template_changes(kapi):
    p = kapi.kubectl("apply", "-f", "-", input=json.dumps(deployment("w.dep", {"beta.kubernetes.io/arch": "x"})))
    assert warnings(p.stderr) == [NAME_W, TMPL_ARCH]
    # nothing changed: no update warnings
    p = kapi.kubectl("apply", "-f", "-", input=json.dumps(deployment("w.dep", {"beta.kubernetes.io/arch": "x"})))
    assert warnings(p.stderr) == []
    # only labels changed: the generation stays, so no warnings
    p = kapi.kubectl("label", "deployment", "w.dep", "a=b")
    assert warnings(p.stderr) == []
    # the template changed (PATCH): warnings of the new template, no name warning
    p = kapi.kubectl("patch", "deployment", "w.dep", "--type=merge", "-p",
                     json.dumps({"spec": {"template": {"spec": {"nodeSelector": {"beta.kubernetes.io/os": "l"}}}}}))
    assert warnings(p.stderr) == [
        TMPL_ARCH, 'spec.template.spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use '
                   '"kubernetes.io/os" instead']
    p = kapi.kubectl("scale", "deployment", "w.dep", "--replicas=2")
    assert warnings(p.stderr) == []  # the scale subresource has no warnings
    # server-side apply of a changed spec (replicas): the generation moves, the template warns again
    d = deployment("w.dep", {"beta.kubernetes.io/arch": "x"}, replicas=3)
    p = kapi.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=json.dumps(d))
    assert TMPL_ARCH in warnings(p.stderr)
    assert NAME_W not in warnings(p.stderr)


def test_statefulset_job_cronjob(kapi):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "w-sts"},
           "spec": {"serviceName": "s", "revisionHistoryLimit": -1, "selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1.5"}}}}]}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(sts))
    assert warnings(p.stderr) == [
        'spec.volumeClaimTemplates[0].resources.requests[storage]: fractional byte value "1500m" is invalid, '
        'must be an integer',
        "spec.revisionHistoryLimit: a negative value retains all historical revisions; a value >= 0 is recommended"]
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "w.job"},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "c", "image": "i", "env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}]}}}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(job))
    assert warnings(p.stderr) == [
        NAME_W, 'spec.template.spec.containers[0].env[1]: hides previous definition of "A", which may be dropped '
                'when using apply']
    cj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "w-cj"},
          "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
              "restartPolicy": "Never", "hostAliases": [{"ip": "1.1.1.1"}, {"ip": "1.1.1.1"}],
              "containers": [{"name": "c", "image": "i"}]}}}}}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(cj))
    assert warnings(p.stderr) == ['spec.jobTemplate.spec.template.spec.hostAliases[1].ip: duplicate ip "1.1.1.1"']


def test_service_ip_warnings(kapi):
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w-svc"},
           "spec": {"ports": [{"port": 80}], "externalIPs": ["010.1.2.3"],
                    "type": "LoadBalancer", "loadBalancerSourceRanges": ["10.0.0.1/8"]}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(svc))
    assert warnings(p.stderr) == [
        'spec.externalIPs[0]: non-standard IP address "010.1.2.3" will be considered invalid in a future Kubernetes '
        'release: use "10.1.2.3"',
        'spec.loadBalancerSourceRanges[0]: CIDR value "10.0.0.1/8" is ambiguous in this context (should be '
        '"10.0.0.0/8" or "10.0.0.1/32"?)']
    # services warn on every update
    p = kapi.kubectl("annotate", "service", "w-svc", "a=b")
    assert len(warnings(p.stderr)) == 2
    headless = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w-hl"},
                "spec": {"clusterIP": "None", "sessionAffinity": "ClientIP", "ports": [{"port": 80}]}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(headless))
    assert warnings(p.stderr) == ["spec.SessionAffinity is ignored for headless services"]


def test_pvc_and_endpoints_deprecation(kapi):
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": "w-pvc", "annotations": {"volume.beta.kubernetes.io/storage-class": "x"}},
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(pvc))
    assert warnings(p.stderr) == ['metadata.annotations[volume.beta.kubernetes.io/storage-class]: deprecated since '
                                  'v1.8; use "storageClassName" attribute instead']
    dep = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "w-ep"},
          "subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"port": 80}]}]}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(ep))
    assert warnings(p.stderr) == [dep]
    for args in (("get", "endpoints"), ("get", "endpoints", "w-ep"), ("delete", "endpoints", "w-ep")):
        assert warnings(kapi.kubectl(*args).stderr) == [dep], args
    # EndpointSlices carry no such warning
    assert warnings(kapi.kubectl("get", "endpointslices").stderr) == []


def test_header_bytes_and_order(kapi):
    # quotes inside a warning are escaped the way Go's strconv.Quote does it
    obj = pod("w-raw", hostAliases=[{"ip": "1.1.1.1"}, {"ip": "1.1.1.1"}],
              nodeSelector={"beta.kubernetes.io/os": "linux"})
    body = json.dumps(obj).encode()
    s = kapi.raw_socket()
    s.sendall(b"POST /api/v1/namespaces/default/pods?fieldValidation=Warn HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: " + str(len(body)).encode() +
              b"\r\n\r\n" + body)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 201"), head
    got = [line for line in head.split("\r\n") if line.lower().startswith("warning:")]
    assert got == [
        'Warning: 299 - "spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use \\"kubernetes.io/os\\" '
        'instead"',
        'Warning: 299 - "spec.hostAliases[1].ip: duplicate ip \\"1.1.1.1\\""']
    # typed decoding warnings (fieldValidation=Warn) come first, then the strategy's
    obj = pod("w-raw2", nodeSelector={"beta.kubernetes.io/os": "linux"})
    obj["spec"]["bogus"] = 1
    status, hdrs, _ = post(kapi, "/api/v1/namespaces/default/pods", obj, "?fieldValidation=Warn")
    assert status == 201
    assert hdrs == ['299 - "unknown field \\"spec.bogus\\""',
                    '299 - "spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use '
                    '\\"kubernetes.io/os\\" instead"']


def test_strategy_warnings_before_validating_admission(kapi):
    ns = {"apiVersion": "v1", "kind": "Namespace",
          "metadata": {"name": "w-psa", "labels": {"pod-security.kubernetes.io/warn": "baseline"}}}
    kapi.kubectl("create", "-f", "-", input=json.dumps(ns))
    obj = pod("w-host", hostNetwork=True, nodeSelector={"beta.kubernetes.io/arch": "amd64"})
    p = kapi.kubectl("create", "-n", "w-psa", "-f", "-", input=json.dumps(obj))
    got = warnings(p.stderr)
    assert got[0] == ARCH
    assert got[1].startswith('would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true)')
    assert len(got) == 2


def test_ingress_class_annotation(kapi):
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "w-ing", "annotations": {"kubernetes.io/ingress.class": "nginx"}},
           "spec": {"defaultBackend": {"service": {"name": "s", "port": {"number": 80}}}}}
    p = kapi.kubectl("create", "-f", "-", input=json.dumps(ing))
    assert warnings(p.stderr) == [
        "annotation \"kubernetes.io/ingress.class\" is deprecated, please use 'spec.ingressClassName' instead"]
    # not on update
    assert warnings(kapi.kubectl("annotate", "ingress", "w-ing", "a=b").stderr) == []
