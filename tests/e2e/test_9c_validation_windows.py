"""Windows pods through the real server: spec.os, the Linux-only settings a
Windows pod may not carry (and windowsOptions on a Linux pod), windowsOptions
(gmsa, runAsUserName) and hostProcess, with kube-apiserver 1.33's 422
causes."""
import json

PODS = "/api/v1/namespaces/default/pods"
FORBIDDEN_WIN = "Forbidden: cannot be set for a windows pod"


def pod(name, ctr_sc=None, os=None, **spec):
    c = {"name": "c", "image": "img"}
    if ctr_sc is not None:
        c["securityContext"] = ctr_sc
    s = {"containers": [c]}
    if os:
        s["os"] = {"name": os}
    s.update(spec)
    return {"metadata": {"name": name}, "spec": s}


def cause(reason, field, message):
    return {"reason": reason, "message": message, "field": field}


def invalid(name, body):
    st, out = body
    assert st == 422, out
    assert out["reason"] == "Invalid"
    assert out["details"]["name"] == name
    return out["details"]["causes"]


def test_valid_windows_pods_are_stored(kapi):
    p = pod("win-ok", {"windowsOptions": {"gmsaCredentialSpecName": "webapp", "gmsaCredentialSpec": "{}",
                                          "runAsUserName": "NT AUTHORITY\\NETWORK SERVICE"}},
            os="windows", securityContext={"windowsOptions": {"runAsUserName": "ContainerUser"}})
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body
    st, body = kapi.json("PUT", PODS + "/win-ok", body)
    assert st == 200, body
    hp = pod("win-hostprocess", os="windows", hostNetwork=True,
             securityContext={"windowsOptions": {"hostProcess": True, "runAsUserName": "NT AUTHORITY\\SYSTEM"}})
    st, body = kapi.json("POST", PODS, hp)
    assert st == 201, body
    assert body["spec"]["securityContext"]["windowsOptions"]["hostProcess"] is True


def test_windows_pod_with_linux_settings(kapi):
    p = pod("win-linux", {"capabilities": {"drop": ["ALL"]}, "runAsUser": 1000, "allowPrivilegeEscalation": False},
            os="windows", hostPID=True, securityContext={"runAsNonRoot": True, "runAsUser": 1000,
                                                         "seccompProfile": {"type": "RuntimeDefault"}})
    causes = invalid("win-linux", kapi.json("POST", PODS, p))
    assert causes == [
        cause("FieldValueForbidden", "spec.hostPID", FORBIDDEN_WIN),
        cause("FieldValueForbidden", "spec.securityContext.seccompProfile", FORBIDDEN_WIN),
        cause("FieldValueForbidden", "spec.securityContext.runAsUser", FORBIDDEN_WIN),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.capabilities", FORBIDDEN_WIN),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.allowPrivilegeEscalation", FORBIDDEN_WIN),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.runAsUser", FORBIDDEN_WIN),
    ]


def test_os_name_and_linux_pods(kapi):
    causes = invalid("os-bad", kapi.json("POST", PODS, pod("os-bad", os="darwin", hostPID=True)))
    assert causes == [cause("FieldValueNotSupported", "spec.os",
                            'Unsupported value: "darwin": supported values: "linux", "windows"')]
    p = pod("os-empty")
    p["spec"]["os"] = {}
    causes = invalid("os-empty", kapi.json("POST", PODS, p))
    assert causes == [cause("FieldValueRequired", "spec.os.name", "Required value: cannot be empty")]
    p = pod("lin-win", {"windowsOptions": {"runAsUserName": "x"}}, os="linux",
            securityContext={"windowsOptions": {}})
    causes = invalid("lin-win", kapi.json("POST", PODS, p))
    assert causes == [
        cause("FieldValueForbidden", "spec.securityContext.windowsOptions",
              "Forbidden: windows options cannot be set for a linux pod"),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.windowsOptions",
              "Forbidden: windows options cannot be set for a linux pod"),
    ]


def test_windows_options_messages(kapi):
    p = pod("wo-bad", {"windowsOptions": {"runAsUserName": "bad:domain\\..."}},
            securityContext={"windowsOptions": {"gmsaCredentialSpecName": "Not_A_Name", "gmsaCredentialSpec": ""}})
    st, body = kapi.json("POST", PODS, p)
    causes = invalid("wo-bad", (st, body))
    field = "spec.containers[0].securityContext.windowsOptions.runAsUserName"
    assert causes == [
        # the containers come before the pod securityContext in a PodSpec
        cause("FieldValueInvalid", field,
              "Invalid value: \"bad:domain\\\\...\": runAsUserName's Domain doesn't match the NetBios nor the DNS format"),
        cause("FieldValueInvalid", field,
              "Invalid value: \"bad:domain\\\\...\": runAsUserName's User cannot contain only periods or spaces"),
        cause("FieldValueInvalid", "spec.securityContext.windowsOptions.gmsaCredentialSpecName",
              'Invalid value: "Not_A_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
              "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
              "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"),
        cause("FieldValueInvalid", "spec.securityContext.windowsOptions.gmsaCredentialSpec",
              'Invalid value: "": gmsaCredentialSpec cannot be an empty string'),
    ]
    assert body["message"].startswith('Pod "wo-bad" is invalid: [' + field + ': Invalid value: ')
    for user, msg in [("a\\b\\c", "runAsUserName cannot contain more than one backslash"),
                      ("u" * 105, "runAsUserName's User length must not be longer than 104 characters"),
                      ("a\tb", "runAsUserName cannot contain control characters"),
                      ("dom\\x@y", "runAsUserName's User cannot contain the following characters: "
                                   '"/\\:;|=,+*?<>@[]')]:
        causes = invalid("wo-user", kapi.json("POST", PODS, pod("wo-user", {"windowsOptions": {"runAsUserName": user}})))
        assert causes == [cause("FieldValueInvalid", field, "Invalid value: %s: %s" % (json.dumps(user), msg))]
    big = "x" * (64 * 1024 + 1)
    causes = invalid("wo-big", kapi.json("POST", PODS, pod("wo-big", {"windowsOptions": {"gmsaCredentialSpec": big}})))
    assert causes == [cause("FieldValueInvalid", "spec.containers[0].securityContext.windowsOptions.gmsaCredentialSpec",
                            'Invalid value: "%s": gmsaCredentialSpec size must be under 64 KiB' % big)]


def test_host_process_messages(kapi):
    p = pod("hp-mixed", {"windowsOptions": {"hostProcess": False}},
            securityContext={"windowsOptions": {"hostProcess": True}},
            initContainers=[{"name": "i", "image": "img"}])
    causes = invalid("hp-mixed", kapi.json("POST", PODS, p))
    assert causes == [
        cause("FieldValueInvalid", "spec.containers[0].securityContext.windowsOptions.hostProcess",
              "Invalid value: false: pod hostProcess value must be identical if both are specified, was true"),
        cause("FieldValueInvalid", "spec",
              'Invalid value: "": If pod contains any hostProcess containers then all containers must be '
              "HostProcess containers"),
        cause("FieldValueInvalid", "spec.hostNetwork",
              "Invalid value: false: hostNetwork must be true if pod contains any hostProcess containers"),
    ]


def test_templates_and_kubectl(kapi):
    dep = {"metadata": {"name": "win-dep"},
           "spec": {"selector": {"matchLabels": {"app": "w"}},
                    "template": {"metadata": {"labels": {"app": "w"}},
                                 "spec": {"os": {"name": "windows"},
                                          "containers": [{"name": "c", "image": "img",
                                                          "securityContext": {"privileged": True}}]}}}}
    causes = invalid("win-dep", kapi.json("POST", "/apis/apps/v1/namespaces/default/deployments", dep))
    assert causes == [cause("FieldValueForbidden", "spec.template.spec.containers[0].securityContext.privileged",
                            FORBIDDEN_WIN)]
    manifest = json.dumps(dict(pod("kubectl-win", {"readOnlyRootFilesystem": True}, os="windows"),
                               apiVersion="v1", kind="Pod"))
    r = kapi.kubectl("create", "-f", "-", input=manifest, check=False)
    assert r.returncode != 0
    assert ('The Pod "kubectl-win" is invalid: spec.containers[0].securityContext.readOnlyRootFilesystem: '
            "Forbidden: cannot be set for a windows pod") in r.stderr, r.stderr
