"""Service ClusterIP/NodePort allocation and the default/kubernetes Service."""
import json


def svc(name, **spec):
    base = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"ports": [{"port": 80}], "selector": {"app": name}}}
    base["spec"].update(spec)
    return base


def test_kubernetes_service_and_endpoints(kapi):
    s = json.loads(kapi.kubectl("get", "svc", "kubernetes", "-o", "json").stdout)
    assert s["spec"]["clusterIP"] == "10.96.0.1" and s["spec"]["clusterIPs"] == ["10.96.0.1"]
    assert s["spec"]["ports"][0]["port"] == 443 and s["spec"]["ports"][0]["targetPort"] == kapi.port
    assert s["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    st, eps = kapi.json("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
    assert st == 200 and eps["endpoints"][0]["addresses"] == ["127.0.0.1"] and eps["ports"][0]["port"] == kapi.port


def test_allocation_conflicts_and_release(kapi):
    st, a = kapi.json("POST", "/api/v1/namespaces/default/services", svc("alloc-a"))
    assert st == 201
    ip = a["spec"]["clusterIP"]
    assert ip.startswith("10.") and a["spec"]["clusterIPs"] == [ip]
    assert a["spec"]["type"] == "ClusterIP" and a["spec"]["ipFamilies"] == ["IPv4"]
    assert a["spec"]["ipFamilyPolicy"] == "SingleStack" and a["spec"]["ports"][0]["targetPort"] == 80
    st, err = kapi.json("POST", "/api/v1/namespaces/default/services", svc("alloc-b", clusterIP=ip))
    assert st == 422
    assert err["message"] == (f'Service "alloc-b" is invalid: spec.clusterIPs: Invalid value: []string{{"{ip}"}}: '
                              f'failed to allocate IP {ip}: provided IP is already allocated')
    st, np = kapi.json("POST", "/api/v1/namespaces/default/services", svc("alloc-np", type="NodePort"))
    assert st == 201
    port = np["spec"]["ports"][0]["nodePort"]
    assert 30000 <= port <= 32767
    bad = svc("alloc-np2", type="NodePort")
    bad["spec"]["ports"][0]["nodePort"] = port
    st, err = kapi.json("POST", "/api/v1/namespaces/default/services", bad)
    assert st == 422 and err["details"]["causes"][0]["field"] == "spec.ports[0].nodePort"
    # deleting releases: the same IP and port can be requested again
    assert kapi.json("DELETE", "/api/v1/namespaces/default/services/alloc-a")[0] == 200
    assert kapi.json("DELETE", "/api/v1/namespaces/default/services/alloc-np")[0] == 200
    st, again = kapi.json("POST", "/api/v1/namespaces/default/services", svc("alloc-c", clusterIP=ip))
    assert st == 201 and again["spec"]["clusterIP"] == ip
    st, again = kapi.json("POST", "/api/v1/namespaces/default/services", bad)
    assert st == 201 and again["spec"]["ports"][0]["nodePort"] == port
    # clusterIP is immutable
    again["spec"]["clusterIP"] = "10.96.0.77"
    again["spec"]["clusterIPs"] = ["10.96.0.77"]
    st, err = kapi.json("PUT", "/api/v1/namespaces/default/services/alloc-np2", again)
    assert st == 422 and "field is immutable" in err["message"]
    # dry run allocates nothing
    st, dry = kapi.json("POST", "/api/v1/namespaces/default/services?dryRun=All", svc("alloc-dry"))
    assert st == 201
    assert kapi.json("GET", "/api/v1/namespaces/default/services/alloc-dry")[0] == 404
