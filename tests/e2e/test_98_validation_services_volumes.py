"""Service rules (ValidateService) and PodSpec volume / DNS / host rules:
valid objects are stored, invalid ones get kube-apiserver 1.33's 422 Status
(message and details.causes), through raw HTTPS, kubectl and the python
client."""
import json

import pytest

SVCS = "/api/v1/namespaces/default/services"
PODS = "/api/v1/namespaces/default/pods"


def svc(name, **spec):
    s = {"ports": [{"port": 80}]}
    s.update(spec)
    return {"metadata": {"name": name}, "spec": s}


def pod(name, volumes=None, **ctr):
    c = {"name": "c", "image": "nginx"}
    c.update(ctr)
    spec = {"containers": [c]}
    if volumes is not None:
        spec["volumes"] = volumes
    return {"metadata": {"name": name}, "spec": spec}


def invalid(kapi, path, body, kind, name, *causes, group=None):
    """POSTs body and checks the 422 Status: causes are (reason, field, message)."""
    st, out = kapi.json("POST", path, body)
    assert st == 422, out
    assert out["reason"] == "Invalid" and out["code"] == 422
    details = {"name": name, "kind": kind,
               "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}
    if group:
        details["group"] = group
    assert out["details"] == details
    msgs = [f"{f}: {m}" for _, f, m in causes]
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    qualified = f"{kind}.{group}" if group else kind
    assert out["message"] == f'{qualified} "{name}" is invalid: {agg}'
    return out


def test_valid_services_are_accepted(kapi):
    st, np_svc = kapi.json("POST", SVCS, svc("np", type="NodePort", ports=[
        {"name": "a", "port": 80}, {"name": "b", "port": 80, "protocol": "UDP"}]))
    assert st == 201, np_svc
    st, body = kapi.json("POST", SVCS, svc("lb", type="LoadBalancer", loadBalancerSourceRanges=[" 10.0.0.0/8 "],
                                           loadBalancerClass="example.com/lb",
                                           sessionAffinity="ClientIP"))
    assert st == 201, body
    assert body["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}
    st, body = kapi.json("POST", SVCS, {"metadata": {"name": "ext"},
                                        "spec": {"type": "ExternalName", "externalName": "db.example.com."}})
    assert st == 201, body
    st, body = kapi.json("POST", SVCS, svc("headless", clusterIP="None", ports=[]))
    assert st == 201, body
    # NodePort -> ClusterIP with the allocated nodePorts and the external
    # traffic policy left in: they are dropped before validation, as upstream
    np_svc["spec"]["type"] = "ClusterIP"
    st, body = kapi.json("PUT", SVCS + "/np", np_svc)
    assert st == 200, body
    assert all("nodePort" not in p for p in body["spec"]["ports"])
    assert "externalTrafficPolicy" not in body["spec"]


def test_service_messages(kapi):
    invalid(kapi, SVCS, svc("np-on-cip", ports=[{"port": 80, "nodePort": 30080}]), "Service", "np-on-cip",
            ("FieldValueForbidden", "spec.ports[0].nodePort",
             "Forbidden: may not be used when `type` is 'ClusterIP'"))
    invalid(kapi, SVCS, {"metadata": {"name": "ext-ip"},
                         "spec": {"type": "ExternalName", "externalName": "x.example", "clusterIP": "10.96.0.50"}},
            "Service", "ext-ip",
            ("FieldValueForbidden", "spec.clusterIPs", "Forbidden: may not be set for ExternalName services"))
    invalid(kapi, SVCS, svc("np-headless", type="NodePort", clusterIP="None"), "Service", "np-headless",
            ("FieldValueInvalid", "spec.clusterIPs[0]",
             "Invalid value: \"None\": may not be set to 'None' for NodePort services"))
    invalid(kapi, SVCS, svc("dup", ports=[{"name": "a", "port": 80}, {"name": "b", "port": 80}]), "Service", "dup",
            ("FieldValueDuplicate", "spec.ports[1]",
             'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, '
             'TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}'))
    invalid(kapi, SVCS, svc("dup-np", type="NodePort", ports=[{"name": "a", "port": 80, "nodePort": 30500},
                                                              {"name": "b", "port": 81, "nodePort": 30500}]),
            "Service", "dup-np",
            ("FieldValueDuplicate", "spec.ports[1].nodePort", "Duplicate value: 30500"))
    invalid(kapi, SVCS, svc("aff", sessionAffinity="ClientIP",
                            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 90000}}), "Service", "aff",
            ("FieldValueInvalid", "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
             "Invalid value: 90000: must be greater than 0 and less than 86400"))
    invalid(kapi, SVCS, svc("ranges", loadBalancerSourceRanges=["10.0.0.0/8", "nope"], externalTrafficPolicy="Local"),
            "Service", "ranges",
            ("FieldValueForbidden", "spec.LoadBalancerSourceRanges",
             "Forbidden: may only be used when `type` is 'LoadBalancer'"),
            ("FieldValueInvalid", "spec.LoadBalancerSourceRanges[1]",
             "Invalid value: \"nope\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
            ("FieldValueInvalid", "spec.externalTrafficPolicy",
             "Invalid value: \"Local\": may only be set for externally-accessible services"))
    invalid(kapi, SVCS, svc("eips", externalIPs=["127.0.0.1"]), "Service", "eips",
            ("FieldValueInvalid", "spec.externalIPs[0]",
             "Invalid value: \"127.0.0.1\": may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    invalid(kapi, SVCS, svc("itp", internalTrafficPolicy="Nearest", trafficDistribution="Far"), "Service", "itp",
            ("FieldValueNotSupported", "spec.internalTrafficPolicy",
             'Unsupported value: "Nearest": supported values: "Cluster", "Local"'),
            ("FieldValueNotSupported", "spec.trafficDistribution",
             'Unsupported value: "Far": supported values: "PreferClose"'))


def test_service_update_messages(kapi):
    st, lb = kapi.json("POST", SVCS, svc("lb-class", type="LoadBalancer", loadBalancerClass="example.com/one"))
    assert st == 201, lb
    lb["spec"]["loadBalancerClass"] = "example.com/two"
    st, out = kapi.json("PUT", SVCS + "/lb-class", lb)
    assert st == 422, out
    assert out["message"] == ('Service "lb-class" is invalid: spec.loadBalancerClass: Invalid value: '
                              '"example.com/two": may not change once set')
    assert out["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": "spec.loadBalancerClass",
                                         "message": 'Invalid value: "example.com/two": may not change once set'}]


def test_service_message_through_kubectl(kapi):
    manifest = json.dumps(dict(apiVersion="v1", kind="Service",
                               **svc("kubectl-np", ports=[{"port": 80, "nodePort": 30081}])))
    p = kapi.kubectl("create", "-f", "-", input=manifest, check=False)
    assert p.returncode != 0
    assert ('Service "kubectl-np" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is '
            "'ClusterIP'") in p.stderr
    assert kapi.kubectl("get", "service", "kubectl-np", check=False).returncode != 0


def test_valid_volumes_are_accepted(kapi):
    vols = [{"name": "cfg", "configMap": {"name": "cm", "items": [{"key": "a", "path": "conf/a"}]}},
            {"name": "sec", "secret": {"secretName": "s", "defaultMode": 0o400}},
            {"name": "proj", "projected": {"sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}},
            {"name": "host", "hostPath": {"path": "/var/log", "type": "Directory"}},
            {"name": "claim", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": {
                "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}}]
    p = pod("volumes", vols, volumeMounts=[{"name": "cfg", "mountPath": "/cfg", "subPath": "conf"},
                                           {"name": "sec", "mountPath": "/sec"},
                                           {"name": "proj", "mountPath": "/proj"}],
            ports=[{"containerPort": 80, "hostPort": 8080}])
    p["spec"]["serviceAccountName"] = "default"
    p["spec"]["dnsPolicy"] = "None"
    p["spec"]["dnsConfig"] = {"nameservers": ["10.96.0.10"], "searches": ["_sip._tcp.example.com"]}
    p["spec"]["hostAliases"] = [{"ip": "10.1.2.3", "hostnames": ["db.local"]}]
    p["spec"]["readinessGates"] = [{"conditionType": "example.com/ready"}]
    p["spec"]["schedulingGates"] = [{"name": "example.com/wait"}]
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body


def test_volume_messages(kapi):
    invalid(kapi, PODS, pod("two-sources", [{"name": "v", "emptyDir": {}, "hostPath": {"path": "/x"}}]),
            "Pod", "two-sources",
            ("FieldValueForbidden", "spec.volumes[0].hostPath", "Forbidden: may not specify more than 1 volume type"))
    invalid(kapi, PODS, pod("no-secret", [{"name": "v", "secret": {"items": [{"key": "k", "path": "../up"}]}}]),
            "Pod", "no-secret",
            ("FieldValueRequired", "spec.volumes[0].secret.secretName", "Required value"),
            ("FieldValueInvalid", "spec.volumes[0].secret.items[0].path", "Invalid value: \"../up\": must not contain '..'"))
    invalid(kapi, PODS, pod("mounts", [{"name": "v", "emptyDir": {}}],
                            volumeMounts=[{"name": "w", "mountPath": "/w"},
                                          {"name": "v", "mountPath": "/v", "subPath": "/abs"}]),
            "Pod", "mounts",
            ("FieldValueNotFound", "spec.containers[0].volumeMounts[0].name", 'Not found: "w"'),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts.subPath",
             'Invalid value: "/abs": must be a relative path'))
    p = pod("ports", ports=[{"containerPort": 80, "hostPort": 9000}])
    p["spec"]["containers"].append({"name": "d", "image": "nginx", "ports": [{"containerPort": 81, "hostPort": 9000}]})
    invalid(kapi, PODS, p, "Pod", "ports",
            ("FieldValueDuplicate", "spec.containers[1].ports[0].hostPort", 'Duplicate value: "TCP//9000"'))
    p = pod("dns")
    p["spec"]["dnsPolicy"] = "None"
    invalid(kapi, PODS, p, "Pod", "dns",
            ("FieldValueRequired", "spec.dnsConfig", "Required value: must provide `dnsConfig` when `dnsPolicy` is None"))
    p = pod("aliases")
    p["spec"]["hostAliases"] = [{"ip": "not-an-ip", "hostnames": ["ok.local"]}]
    p["spec"]["schedulingGates"] = [{"name": "g"}, {"name": "g"}]
    invalid(kapi, PODS, p, "Pod", "aliases",
            ("FieldValueDuplicate", "spec.schedulingGates[1]", 'Duplicate value: "g"'),
            ("FieldValueInvalid", "spec.hostAliases[0].ip",
             'Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'))
    # a pod template gets the same rules under its own path
    dep = {"metadata": {"name": "tmpl"},
           "spec": {"selector": {"matchLabels": {"a": "b"}},
                    "template": {"metadata": {"labels": {"a": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}],
                                          "volumes": [{"name": "v", "csi": {"driver": ""}}]}}}}
    out = invalid(kapi, "/apis/apps/v1/namespaces/default/deployments", dep, "Deployment", "tmpl",
                  ("FieldValueRequired", "spec.template.spec.volumes[0].csi.driver", "Required value"),
                  ("FieldValueInvalid", "spec.template.spec.volumes[0].csi.driver",
                   "Invalid value: \"\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                   "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                   "'example.com', regex used for validation is "
                   "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"), group="apps")
    assert out["details"]["kind"] == "Deployment"


def test_volume_message_through_python_client(kapi):
    client, api_client = kapi.python_client()
    from kubernetes.client.rest import ApiException
    core = client.CoreV1Api(api_client)
    body = client.V1Pod(
        metadata=client.V1ObjectMeta(name="pyclient"),
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="c", image="nginx")],
            volumes=[client.V1Volume(name="v", projected=client.V1ProjectedVolumeSource(sources=[
                client.V1VolumeProjection(service_account_token=client.V1ServiceAccountTokenProjection(
                    path="t", expiration_seconds=60))]))]))
    with pytest.raises(ApiException) as e:
        core.create_namespaced_pod("default", body)
    assert e.value.status == 422
    status = json.loads(e.value.body)
    assert status["message"] == ('Pod "pyclient" is invalid: '
                                 'spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: '
                                 'Invalid value: 60: may not specify a duration less than 10 minutes')
    assert status["details"]["causes"] == [{
        "reason": "FieldValueInvalid",
        "message": "Invalid value: 60: may not specify a duration less than 10 minutes",
        "field": "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds"}]


def test_job_and_statefulset_messages(kapi):
    tmpl = {"metadata": {"labels": {"app": "j"}},
            "spec": {"containers": [{"name": "c", "image": "busybox"}], "restartPolicy": "OnFailure"}}
    job = {"metadata": {"name": "pfp"},
           "spec": {"template": tmpl,
                    "podFailurePolicy": {"rules": [{"action": "FailJob",
                                                    "onExitCodes": {"operator": "In", "values": [3, 1]}}]}}}
    invalid(kapi, "/apis/batch/v1/namespaces/default/jobs", job, "Job", "pfp",
            ("FieldValueInvalid", "spec.podFailurePolicy.rules[0].onExitCodes.values",
             "Invalid value: []int32{3, 1}: must be ordered"),
            ("FieldValueInvalid", "spec.template.spec.restartPolicy",
             'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'),
            group="batch")
    job["spec"]["podFailurePolicy"]["rules"][0]["onExitCodes"]["values"] = [1, 3]
    tmpl["spec"]["restartPolicy"] = "Never"
    st, body = kapi.json("POST", "/apis/batch/v1/namespaces/default/jobs", job)
    assert st == 201, body

    sts = {"metadata": {"name": "web"},
           "spec": {"serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx",
                                                          "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                              "spec": {"accessModes": ["ReadWriteOnce"],
                                                       "resources": {"requests": {"storage": "1Gi"}}}}]}}
    path = "/apis/apps/v1/namespaces/default/statefulsets"
    st, body = kapi.json("POST", path, sts)
    assert st == 201, body
    body["spec"]["replicas"] = 2
    st, body = kapi.json("PUT", path + "/web", body)
    assert st == 200, body
    body["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "2Gi"
    st, out = kapi.json("PUT", path + "/web", body)
    assert st == 422, out
    assert out["message"] == (
        "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than "
        "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
        "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")


def test_service_account_has_only_object_meta_rules(kapi):
    # upstream's ValidateServiceAccount is ObjectMeta with a DNS-subdomain name
    path = "/api/v1/namespaces/default/serviceaccounts"
    st, body = kapi.json("POST", path, {"metadata": {"name": "robot.v1"}, "automountServiceAccountToken": False,
                                        "secrets": [{"name": "anything"}], "imagePullSecrets": [{"name": "pull"}]})
    assert st == 201, body
    st, out = kapi.json("POST", path, {"metadata": {"name": "Robot"}})
    assert st == 422, out
    assert out["message"] == (
        'ServiceAccount "Robot" is invalid: metadata.name: Invalid value: "Robot": a lowercase RFC 1123 subdomain '
        "must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
