"""More 1.33 strategy warnings through the real server: NetworkPolicy and
EndpointSlice / Endpoints IP and CIDR forms, Node, StorageClass,
CSIStorageCapacity and ServiceAccount deprecations, and the status writes of
pods and services. kubectl prints each as a `Warning: ...` line on stderr."""
import http.client
import json

EP_DEP = "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"


def warnings(stderr):
    return [line[len("Warning: "):] for line in stderr.splitlines() if line.startswith("Warning: ")]


def create(kapi, obj, *args):
    return warnings(kapi.kubectl("create", *args, "-f", "-", input=json.dumps(obj)).stderr)


def request(kapi, method, path, obj, content_type="application/json"):
    """One request; the status and every Warning header, in order."""
    conn = http.client.HTTPSConnection("127.0.0.1", kapi.port, context=kapi.ssl_context(), timeout=30)
    conn.request(method, path, body=json.dumps(obj), headers={"Content-Type": content_type})
    resp = conn.getresponse()
    body = resp.read()
    got = [v for k, v in resp.getheaders() if k.lower() == "warning"]
    conn.close()
    return resp.status, got, body


def test_network_policy_cidrs(kapi):
    np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "w-np"},
          "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                   "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.1/8", "except": ["10.1.0.0/16",
                                                                                       "010.2.0.0/16"]}}]}],
                   "egress": [{"to": [{"ipBlock": {"cidr": "2001:DB8::/32"}}]}]}}
    want = ['spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.0.0.1/8" is ambiguous in this context (should be '
            '"10.0.0.0/8" or "10.0.0.1/32"?)',
            'spec.ingress[0].from[0].ipBlock.except[1]: non-standard CIDR value "010.2.0.0/16" will be considered '
            'invalid in a future Kubernetes release: use "10.2.0.0/16"',
            'spec.egress[0].to[0].ipBlock.cidr: IPv6 CIDR value "2001:DB8::/32" should be in RFC 5952 canonical '
            'format ("2001:db8::/32")']
    assert create(kapi, np) == want
    # every update warns again, even one that only touches labels
    assert warnings(kapi.kubectl("label", "networkpolicy", "w-np", "a=b").stderr) == want
    good = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "w-np2"},
            "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}}
    assert create(kapi, good) == []


def test_endpoints_and_endpointslices(kapi):
    ep = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "w-ep2"},
          "subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "010.0.0.2"}],
                       "notReadyAddresses": [{"ip": "fd00:0::1"}], "ports": [{"port": 80}]}]}
    ip_w = ['subsets[0].addresses[1].ip: non-standard IP address "010.0.0.2" will be considered invalid in a future '
            'Kubernetes release: use "10.0.0.2"',
            'subsets[0].notReadyAddresses[0].ip: IPv6 address "fd00:0::1" should be in RFC 5952 canonical format '
            '("fd00::1")']
    # the resource deprecation comes first, then the strategy's
    assert create(kapi, ep) == [EP_DEP] + ip_w
    assert warnings(kapi.kubectl("annotate", "endpoints", "w-ep2", "a=b").stderr) == [EP_DEP] + ip_w
    # the endpoints controller's own label turns the address checks off
    ep["metadata"] = {"name": "w-ep3", "labels": {"endpoints.kubernetes.io/managed-by": "endpoint-controller"}}
    assert create(kapi, ep) == [EP_DEP]

    sl = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "w-sl"},
          "addressType": "IPv4", "ports": [{"port": 80}],
          "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["1.2.3.4", "001.2.3.4"]}]}
    sl_w = ('endpoints[1].addresses[1]: non-standard IP address "001.2.3.4" will be considered invalid in a future '
            'Kubernetes release: use "1.2.3.4"')
    assert create(kapi, sl) == [sl_w]
    assert warnings(kapi.kubectl("label", "endpointslice", "w-sl", "a=b").stderr) == [sl_w]
    sl["metadata"] = {"name": "w-sl2",
                      "labels": {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}}
    assert create(kapi, sl) == []
    fq = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": {"name": "w-sl3"},
          "addressType": "FQDN", "endpoints": [{"addresses": ["a.example.com"]}]}
    assert create(kapi, fq) == ["spec.addressType: FQDN endpoints are deprecated"]
    # the FQDN deprecation is for creates only
    assert warnings(kapi.kubectl("label", "endpointslice", "w-sl3", "a=b").stderr) == []


def test_node_storageclass_capacity(kapi):
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w-node"}, "spec": {"externalID": "x"}}
    ext = "spec.externalID: this field is deprecated, and is unused by Kubernetes"
    assert create(kapi, node) == [ext]
    assert warnings(kapi.kubectl("label", "node", "w-node", "a=b").stderr) == [ext]
    # spec.configSource is dropped on create, so it does not warn
    node2 = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "w-node2"},
             "spec": {"configSource": {"configMap": {"name": "c", "namespace": "kube-system",
                                                     "kubeletConfigKey": "k"}}}}
    assert create(kapi, node2) == []
    got = json.loads(kapi.kubectl("get", "node", "w-node2", "-o", "json").stdout)
    assert "configSource" not in got.get("spec", {})

    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "w-sc"},
          "provisioner": "example.com/p",
          "allowedTopologies": [{"matchLabelExpressions": [
              {"key": "topology.kubernetes.io/zone", "values": ["a"]},
              {"key": "failure-domain.beta.kubernetes.io/zone", "values": ["a"]}]}]}
    sc_w = ('allowedTopologies[0].matchLabelExpressions[1].key: deprecated since v1.17; use '
            '"topology.kubernetes.io/zone" instead')
    assert create(kapi, sc) == [sc_w]
    assert warnings(kapi.kubectl("label", "storageclass", "w-sc", "a=b").stderr) == [sc_w]

    csc = {"apiVersion": "storage.k8s.io/v1", "kind": "CSIStorageCapacity", "metadata": {"name": "w-csc"},
           "storageClassName": "w-sc",
           "nodeTopology": {"matchLabels": {"beta.kubernetes.io/os": "linux"},
                            "matchExpressions": [{"key": "beta.kubernetes.io/arch", "operator": "Exists"}]}}
    assert create(kapi, csc) == [
        'nodeTopology.matchExpressions[0].key: beta.kubernetes.io/arch is deprecated since v1.14; use '
        '"kubernetes.io/arch" instead',
        'nodeTopology.matchLabels.beta.kubernetes.io/os: deprecated since v1.14; use "kubernetes.io/os" instead']


def test_serviceaccount_enforce_mountable_secrets(kapi):
    w = ("metadata.annotations[kubernetes.io/enforce-mountable-secrets]: deprecated in v1.32+; prefer separate "
         "namespaces to isolate access to mounted secrets")
    sa = {"apiVersion": "v1", "kind": "ServiceAccount",
          "metadata": {"name": "w-sa", "annotations": {"kubernetes.io/enforce-mountable-secrets": "true"}}}
    assert create(kapi, sa) == [w]
    # already set: no warning on later updates
    assert warnings(kapi.kubectl("label", "serviceaccount", "w-sa", "a=b").stderr) == []
    kapi.kubectl("create", "serviceaccount", "w-sa2")
    p = kapi.kubectl("annotate", "serviceaccount", "w-sa2", "kubernetes.io/enforce-mountable-secrets=false")
    assert warnings(p.stderr) == [w]


def test_status_writes_warn_about_ips(kapi):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "w-st"},
           "spec": {"containers": [{"name": "c", "image": "nginx"}]}}
    kapi.kubectl("create", "-f", "-", input=json.dumps(pod))
    status, got, body = request(kapi, "PATCH", "/api/v1/namespaces/default/pods/w-st/status",
                                {"status": {"podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}],
                                            "hostIP": "010.1.1.1", "hostIPs": [{"ip": "010.1.1.1"}]}},
                                "application/merge-patch+json")
    assert status == 200, body
    assert got == ['299 - "status.hostIPs[0].ip: non-standard IP address \\"010.1.1.1\\" will be considered invalid '
                   'in a future Kubernetes release: use \\"10.1.1.1\\""']
    # a main-resource update of the same pod does not look at status
    assert warnings(kapi.kubectl("label", "pod", "w-st", "a=b").stderr) == []

    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w-lb"},
           "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}}
    kapi.kubectl("create", "-f", "-", input=json.dumps(svc))
    p = kapi.kubectl("patch", "service", "w-lb", "--subresource=status", "--type=merge", "-p",
                     json.dumps({"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.com"},
                                                                         {"ip": "2001:db8:0::1"}]}}}))
    assert warnings(p.stderr) == [
        'status.loadBalancer.ingress[1]: IPv6 address "2001:db8:0::1" should be in RFC 5952 canonical format '
        '("2001:db8::1")']
