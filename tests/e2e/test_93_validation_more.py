"""Validation of probes, security contexts, affinity, NetworkPolicy, Node and
EndpointSlice: valid objects are stored, invalid ones get kube-apiserver
1.33's 422 messages."""


def pod(name, **ctr):
    c = {"name": "c", "image": "nginx"}
    c.update(ctr)
    return {"metadata": {"name": name}, "spec": {"containers": [c]}}


def test_valid_objects_are_accepted(kapi):
    p = pod("probed",
            livenessProbe={"httpGet": {"path": "/healthz", "port": 8080}},
            readinessProbe={"tcpSocket": {"port": 8080}},
            securityContext={"allowPrivilegeEscalation": False, "runAsUser": 1000,
                             "capabilities": {"drop": ["ALL"]},
                             "seccompProfile": {"type": "RuntimeDefault"}})
    p["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In",
                                                     "values": ["linux"]}]}]}}}
    p["spec"]["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "zone",
                                               "whenUnsatisfiable": "ScheduleAnyway"}]
    p["spec"]["tolerations"] = [{"operator": "Exists"}]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", p)
    assert st == 201, body
    # defaults: probe thresholds and scheme were filled in, and stay valid on update
    assert body["spec"]["containers"][0]["livenessProbe"]["successThreshold"] == 1
    st, body = kapi.json("PUT", "/api/v1/namespaces/default/pods/probed", body)
    assert st == 200, body
    np = {"metadata": {"name": "np"},
          "spec": {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8",
                                                                           "except": ["10.1.0.0/16"]}}],
                                                  "ports": [{"port": 80, "endPort": 90}]}]}}
    st, body = kapi.json("POST", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", np)
    assert st == 201, body
    es = {"metadata": {"name": "es"}, "addressType": "IPv4",
          "endpoints": [{"addresses": ["10.1.2.3"]}], "ports": [{"name": "http", "port": 80}]}
    st, body = kapi.json("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", es)
    assert st == 201, body


def test_probe_messages(kapi):
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         pod("twohandlers", livenessProbe={"exec": {"command": ["true"]},
                                                           "tcpSocket": {"port": 80}}))
    assert st == 422
    assert body["message"] == ('Pod "twohandlers" is invalid: spec.containers[0].livenessProbe.tcpSocket: '
                               'Forbidden: may not specify more than 1 handler type')
    assert body["details"]["causes"] == [{"reason": "FieldValueForbidden",
                                          "message": "Forbidden: may not specify more than 1 handler type",
                                          "field": "spec.containers[0].livenessProbe.tcpSocket"}]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         pod("nohandler", readinessProbe={"periodSeconds": 5}))
    assert st == 422
    assert body["message"] == ('Pod "nohandler" is invalid: spec.containers[0].readinessProbe: '
                               'Required value: must specify a handler type')
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         pod("badthreshold", livenessProbe={"exec": {"command": ["x"]}, "successThreshold": 3}))
    assert st == 422
    assert body["message"] == ('Pod "badthreshold" is invalid: spec.containers[0].livenessProbe.successThreshold: '
                               'Invalid value: 3: must be 1')


def test_security_context_and_scheduling_messages(kapi):
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         pod("priv", securityContext={"privileged": True, "allowPrivilegeEscalation": False}))
    assert st == 422
    assert body["message"].startswith('Pod "priv" is invalid: spec.containers[0].securityContext: Invalid value: '
                                      'core.SecurityContext{')
    assert body["message"].endswith("cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         pod("negative", securityContext={"runAsUser": -1}))
    assert st == 422
    assert body["message"] == ('Pod "negative" is invalid: spec.containers[0].securityContext.runAsUser: '
                               'Invalid value: -1: must be between 0 and 2147483647, inclusive')
    dep = {"metadata": {"name": "spread"},
           "spec": {"selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "a"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}],
                                          "topologySpreadConstraints": [{"maxSkew": 0, "topologyKey": "zone",
                                                                         "whenUnsatisfiable": "DoNotSchedule"}],
                                          "affinity": {"nodeAffinity": {
                                              "requiredDuringSchedulingIgnoredDuringExecution": {
                                                  "nodeSelectorTerms": []}}}}}}}
    st, body = kapi.json("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    assert st == 422
    assert body["message"] == (
        'Deployment.apps "spread" is invalid: [spec.template.spec.affinity.nodeAffinity.'
        'requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one '
        'node selector term, spec.template.spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be '
        'greater than zero]')


def test_network_policy_messages(kapi):
    np = {"metadata": {"name": "bad"},
          "spec": {"podSelector": {},
                   "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.0.0/8"]}}],
                               "ports": [{"protocol": "ICMP"}]}],
                   "policyTypes": ["Egress"]}}
    st, body = kapi.json("POST", "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", np)
    assert st == 422
    assert body["message"] == (
        'NetworkPolicy.networking.k8s.io "bad" is invalid: [spec.egress[0].ports[0].protocol: Unsupported value: '
        '"ICMP": supported values: "TCP", "UDP", "SCTP", spec.egress[0].to[0].ipBlock.except[0]: Invalid value: '
        '"10.0.0.0/8": must be a strict subset of `cidr`]')


def test_node_and_endpointslice_messages(kapi):
    node = {"metadata": {"name": "n93"},
            "spec": {"podCIDRs": ["10.244.0.0/24"], "providerID": "fake://n93",
                     "taints": [{"key": "k", "effect": "Sometimes"}]}}
    st, body = kapi.json("POST", "/api/v1/nodes", node)
    assert st == 422
    assert body["message"] == ('Node "n93" is invalid: metadata.taints[0].effect: Unsupported value: "Sometimes": '
                               'supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"')
    node["spec"]["taints"] = []
    st, body = kapi.json("POST", "/api/v1/nodes", node)
    assert st == 201, body
    body["spec"]["providerID"] = "fake://other"
    st, body = kapi.json("PUT", "/api/v1/nodes/n93", body)
    assert st == 422
    assert body["message"] == ('Node "n93" is invalid: spec.providerID: Forbidden: node updates may not change '
                               'providerID except from "" to valid')
    es = {"metadata": {"name": "badslice"}, "addressType": "IPv6", "endpoints": [{"addresses": ["10.0.0.1"]}]}
    st, body = kapi.json("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", es)
    assert st == 422
    assert body["message"] == ('EndpointSlice.discovery.k8s.io "badslice" is invalid: endpoints[0].addresses[0]: '
                               'Invalid value: "10.0.0.1": must be a valid IPv6 address')
