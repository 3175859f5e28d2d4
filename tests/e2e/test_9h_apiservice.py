"""APIService (apiregistration.k8s.io/v1) as kube-aggregator 1.33 handles it:
the service port defaults to 443, the spec and the name are validated
(ValidateAPIService), and a /status write checks each condition's status."""
import base64

PATH = "/apis/apiregistration.k8s.io/v1/apiservices"


def apiservice(name, group, version, **spec):
    body = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": name},
            "spec": {"group": group, "version": version, "groupPriorityMinimum": 1000, "versionPriority": 15}}
    body["spec"].update(spec)
    return body


def causes(err):
    return [(c["reason"], c["field"], c["message"]) for c in err["details"]["causes"]]


def test_defaults_and_a_valid_service(kapi):
    st, out = kapi.json("POST", PATH, apiservice("v1beta1.metrics.example.com", "metrics.example.com", "v1beta1",
                                                 service={"namespace": "kube-system", "name": "metrics"},
                                                 insecureSkipTLSVerify=True))
    assert st == 201, out
    assert out["spec"]["service"] == {"namespace": "kube-system", "name": "metrics", "port": 443}
    got = kapi.kubectl("get", "apiservice", "v1beta1.metrics.example.com", "-o", "jsonpath={.spec.service.port}")
    assert got.stdout == "443"
    # a status write with a known condition status is accepted
    out["status"] = {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]}
    st, out2 = kapi.json("PUT", PATH + "/v1beta1.metrics.example.com/status", out)
    assert st == 200, out2
    out2["status"]["conditions"][0]["status"] = "Maybe"
    st, err = kapi.json("PUT", PATH + "/v1beta1.metrics.example.com/status", out2)
    assert st == 422, err
    assert causes(err) == [("FieldValueNotSupported", "status.conditions[0].status",
                            'Unsupported value: "Maybe": supported values: "True", "False", "Unknown"')]


def test_spec_rules(kapi):
    body = apiservice("v1.wrong", "Bad_Group", "V1", groupPriorityMinimum=30000, versionPriority=0,
                      service={"namespace": "", "name": "", "port": 70000},
                      insecureSkipTLSVerify=True, caBundle=base64.b64encode(b"0123456789ab").decode())
    st, err = kapi.json("POST", PATH, body)
    assert st == 422, err
    assert err["reason"] == "Invalid" and err["details"]["kind"] == "APIService"
    got = causes(err)
    assert got == [
        ("FieldValueInvalid", "metadata.name",
         'Invalid value: "v1.wrong": must be `spec.version+"."+spec.group`: "V1.Bad_Group"'),
        ("FieldValueInvalid", "spec.group",
         'Invalid value: "Bad_Group": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
         "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
         "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        ("FieldValueInvalid", "spec.version",
         'Invalid value: "V1": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', '
         "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
         "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"),
        ("FieldValueInvalid", "spec.groupPriorityMinimum",
         "Invalid value: 30000: must be positive and less than 20000"),
        ("FieldValueInvalid", "spec.versionPriority", "Invalid value: 0: must be positive and less than 1000"),
        ("FieldValueRequired", "spec.service.namespace", "Required value"),
        ("FieldValueRequired", "spec.service.name", "Required value"),
        ("FieldValueInvalid", "spec.service.port",
         "Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive"),
        ("FieldValueInvalid", "spec.insecureSkipTLSVerify", "Invalid value: true: may not be true if caBundle is present"),
    ], got


def test_local_apiservices_and_the_empty_group(kapi):
    body = apiservice("v2.", "", "v2", insecureSkipTLSVerify=True,
                      caBundle=base64.b64encode(b"0123456789ab").decode())
    st, err = kapi.json("POST", PATH, body)
    assert st == 422, err
    assert causes(err) == [
        ("FieldValueRequired", "spec.group", "Required value: only v1 may have an empty group and it better be "
                                             "legacy kube"),
        ("FieldValueInvalid", "spec.caBundle", 'Invalid value: "12 bytes": local APIServices may not have a caBundle'),
        ("FieldValueInvalid", "spec.insecureSkipTLSVerify",
         "Invalid value: true: local APIServices may not have insecureSkipTLSVerify"),
    ]
    # a valid local APIService, updated: the same rules apply on update
    st, out = kapi.json("POST", PATH, apiservice("v1alpha1.local.example.com", "local.example.com", "v1alpha1"))
    assert st == 201, out
    out["spec"]["versionPriority"] = 5000
    st, err = kapi.json("PUT", PATH + "/v1alpha1.local.example.com", out)
    assert st == 422, err
    assert causes(err) == [("FieldValueInvalid", "spec.versionPriority",
                            "Invalid value: 5000: must be positive and less than 1000")]
