"""PodSecurity admission end to end with kubectl: namespace labels choose the
level, enforce refuses pods with upstream's 403, warn gives kubectl
"Warning: would violate PodSecurity ..." lines, workloads only warn, raising
the enforce level warns about existing pods, bad label values are refused."""
import json

PS = "pod-security.kubernetes.io/"

RESTRICTED_C = """
    securityContext:
      allowPrivilegeEscalation: false
      runAsNonRoot: true
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}"""

POD = """apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {ns}
spec:{spec}
  containers:
  - name: c
    image: nginx{csc}
"""


def pod_yaml(name, ns, spec="", csc=""):
    return POD.format(name=name, ns=ns, spec=spec, csc=csc)


def make_ns(kapi, name, *labels):
    kapi.kubectl("create", "namespace", name)
    if labels:
        kapi.kubectl("label", "ns", name, *labels)


def test_enforce_restricted_refuses_privileged_pod(kapi):
    make_ns(kapi, "psa-r")
    p = kapi.kubectl("label", "ns", "psa-r", PS + "enforce=restricted")
    assert "namespace/psa-r labeled" in p.stdout
    assert "Warning" not in p.stderr  # no pods yet

    p = kapi.kubectl("create", "-f", "-", check=False,
                     input=pod_yaml("priv", "psa-r", csc="\n    securityContext: {privileged: true}"))
    assert p.returncode != 0
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: violates '
            'PodSecurity "restricted:latest": privileged (container "c" must not set '
            'securityContext.privileged=true), allowPrivilegeEscalation != false (container "c" must set '
            'securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set '
            'securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set '
            'securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set '
            'securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")') in p.stderr
    p = kapi.kubectl("get", "pod", "priv", "-n", "psa-r", check=False)
    assert p.returncode != 0 and 'pods "priv" not found' in p.stderr

    # the raw 403 Status
    status, body = kapi.json("POST", "/api/v1/namespaces/psa-r/pods", {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "raw"},
        "spec": {"hostPID": True, "containers": [{"name": "c", "image": "nginx", "securityContext": {
            "allowPrivilegeEscalation": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}}]}})
    assert status == 403
    assert body["reason"] == "Forbidden" and body["code"] == 403
    assert body["details"] == {"name": "raw", "kind": "pods"}
    assert body["message"] == ('pods "raw" is forbidden: violates PodSecurity "restricted:latest": host namespaces '
                               '(hostPID=true)')


def test_enforce_restricted_admits_compliant_pod(kapi):
    p = kapi.kubectl("create", "-f", "-", input=pod_yaml("good", "psa-r", csc=RESTRICTED_C))
    assert "pod/good created" in p.stdout
    assert "Warning" not in p.stderr
    pod = json.loads(kapi.kubectl("get", "pod", "good", "-n", "psa-r", "-o", "json").stdout)
    # the ServiceAccount token volume (projected) is allowed by restricted
    assert any("projected" in v for v in pod["spec"]["volumes"])
    # metadata-only updates of a pod are not re-evaluated
    kapi.kubectl("label", "pod", "good", "-n", "psa-r", "x=y")


def test_warn_mode_gives_kubectl_warning(kapi):
    make_ns(kapi, "psa-w", PS + "warn=baseline", PS + "warn-version=v1.33")
    p = kapi.kubectl("create", "-f", "-", input=pod_yaml("hn", "psa-w", spec="\n  hostNetwork: true"))
    assert "pod/hn created" in p.stdout
    assert ('Warning: would violate PodSecurity "baseline:v1.33": host namespaces (hostNetwork=true)'
            in p.stderr)
    # compliant: no warning
    p = kapi.kubectl("create", "-f", "-", input=pod_yaml("plain", "psa-w"))
    assert "Warning" not in p.stderr


def test_deployment_in_baseline_namespace_warns(kapi):
    make_ns(kapi, "psa-b", PS + "enforce=baseline", PS + "warn=baseline")
    deploy = """apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: psa-b}
spec:
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      hostPID: true
      containers:
      - name: c
        image: nginx
        securityContext: {privileged: true}
"""
    p = kapi.kubectl("create", "-f", "-", input=deploy)
    assert "deployment.apps/d created" in p.stdout
    assert ('Warning: would violate PodSecurity "baseline:latest": host namespaces (hostPID=true), privileged '
            '(container "c" must not set securityContext.privileged=true)') in p.stderr
    # enforce alone does not warn about (nor refuse) templates
    make_ns(kapi, "psa-e", PS + "enforce=baseline")
    p = kapi.kubectl("create", "-f", "-", input=deploy.replace("psa-b", "psa-e"))
    assert "deployment.apps/d created" in p.stdout
    assert "Warning" not in p.stderr
    # while the pod itself is refused there
    p = kapi.kubectl("create", "-f", "-", check=False, input=pod_yaml("hp", "psa-e", spec="\n  hostPID: true"))
    assert p.returncode != 0
    assert ('pods "hp" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostPID=true)'
            in p.stderr)


def test_raising_enforce_warns_about_existing_pods(kapi):
    make_ns(kapi, "psa-n")
    for name in ("p2", "p1"):
        kapi.kubectl("create", "-f", "-",
                     input=pod_yaml(name, "psa-n", csc="\n    securityContext: {privileged: true}"))
    kapi.kubectl("create", "-f", "-", input=pod_yaml("p3", "psa-n", spec="\n  hostIPC: true"))
    p = kapi.kubectl("label", "ns", "psa-n", PS + "enforce=baseline")
    assert "namespace/psa-n labeled" in p.stdout
    warnings = [line for line in p.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        'Warning: existing pods in namespace "psa-n" violate the new PodSecurity enforce level "baseline:latest"',
        "Warning: p1 (and 1 other pod): privileged",
        "Warning: p3: host namespaces",
    ]
    ns = json.loads(kapi.kubectl("get", "ns", "psa-n", "-o", "json").stdout)
    assert ns["metadata"]["labels"][PS + "enforce"] == "baseline"
    # relaxing it checks nothing
    p = kapi.kubectl("label", "--overwrite", "ns", "psa-n", PS + "enforce=privileged")
    assert "Warning" not in p.stderr


def test_invalid_label_values_are_refused(kapi):
    make_ns(kapi, "psa-x")
    p = kapi.kubectl("label", "ns", "psa-x", PS + "enforce=strict", check=False)
    assert p.returncode != 0
    assert ('The Namespace "psa-x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: '
            '"strict": must be one of privileged, baseline, restricted') in p.stderr
    p = kapi.kubectl("create", "-f", "-", check=False, input="""apiVersion: v1
kind: Namespace
metadata:
  name: psa-y
  labels: {pod-security.kubernetes.io/warn-version: "1.30"}
""")
    assert p.returncode != 0
    assert ('The Namespace "psa-y" is invalid: metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid '
            'value: "1.30": must be "latest" or "v1.x"') in p.stderr
    assert kapi.kubectl("get", "ns", "psa-y", check=False).returncode != 0


def test_kube_system_is_not_exempt(kapi):
    kapi.kubectl("label", "ns", "kube-system", PS + "enforce=baseline")
    try:
        p = kapi.kubectl("create", "-f", "-", check=False,
                         input=pod_yaml("ks", "kube-system", spec="\n  hostNetwork: true"))
        assert p.returncode != 0
        assert ('pods "ks" is forbidden: violates PodSecurity "baseline:latest": host namespaces '
                '(hostNetwork=true)') in p.stderr
    finally:
        kapi.kubectl("label", "ns", "kube-system", PS + "enforce-")
