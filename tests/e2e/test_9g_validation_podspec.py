"""PodSpec rules through the real server: hostUsers with host namespaces,
runtimeClassName, preemptionPolicy and overhead (in pod templates, since the
RuntimeClass and Priority admission plugins answer first for pods), the
seccomp and AppArmor annotations and their consistency with the fields on
pod creation, the AppArmor annotation update rule, and the scheduling gates
rule of pod creation; kube-apiserver 1.33's 422 causes, and valid pods and
templates using each field are stored."""
import json

PODS = "/api/v1/namespaces/default/pods"
TEMPLATES = "/api/v1/namespaces/default/podtemplates"
DEPLOYS = "/apis/apps/v1/namespaces/default/deployments"
SECCOMP_POD = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_C = "container.seccomp.security.alpha.kubernetes.io/"
APPARMOR_C = "container.apparmor.security.beta.kubernetes.io/"
HOST_USERS = "Forbidden: when `pod.Spec.HostUsers` is false"
SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")


def pod(name, ctr_sc=None, annotations=None, **spec):
    c = {"name": "c", "image": "img"}
    if ctr_sc is not None:
        c["securityContext"] = ctr_sc
    s = {"containers": [c]}
    s.update(spec)
    meta = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": s}


def cause(reason, field, message):
    return {"reason": reason, "message": message, "field": field}


def invalid(name, body):
    st, out = body
    assert st == 422, out
    assert out["reason"] == "Invalid"
    assert out["details"]["name"] == name
    return out["details"]["causes"]


def template(name, **spec):
    return {"metadata": {"name": name},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": dict({"containers": [{"name": "c", "image": "img"}]}, **spec)}}


def test_host_users(kapi):
    p = pod("hu-host", hostUsers=False, hostNetwork=True, hostPID=True, hostIPC=True)
    causes = invalid("hu-host", kapi.json("POST", PODS, p))
    assert causes == [
        cause("FieldValueForbidden", "spec.hostNetwork", HOST_USERS),
        cause("FieldValueForbidden", "spec.HostPID", HOST_USERS),
        cause("FieldValueForbidden", "spec.HostIPC", HOST_USERS),
    ]
    st, body = kapi.json("POST", PODS, pod("hu-ok", hostUsers=False))
    assert st == 201, body
    assert body["spec"]["hostUsers"] is False
    st, body = kapi.json("POST", PODS, pod("hu-true", hostUsers=True, hostPID=True))
    assert st == 201, body


def test_runtime_class_preemption_overhead_in_templates(kapi):
    t = template("tmpl-bad", runtimeClassName="Fast_Class", preemptionPolicy="Sometimes",
                 overhead={"bogus": "1", "cpu": "-250m", "hugepages-2Mi": "3Mi"})  # (upstream: map order)
    causes = invalid("tmpl-bad", kapi.json("POST", TEMPLATES, t))
    assert causes == [
        cause("FieldValueInvalid", "template.spec.runtimeClassName", 'Invalid value: "Fast_Class": ' + SUBDOMAIN),
        cause("FieldValueNotSupported", "template.spec.preemptionPolicy",
              'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"'),
        cause("FieldValueInvalid", "template.spec.overhead.limits[bogus]",
              'Invalid value: "bogus": must be a standard resource type or fully qualified'),
        cause("FieldValueInvalid", "template.spec.overhead.limits[bogus]",
              'Invalid value: "bogus": must be a standard resource for containers'),
        cause("FieldValueInvalid", "template.spec.overhead.limits[cpu]",
              'Invalid value: "-250m": must be greater than or equal to 0'),
        cause("FieldValueInvalid", "template.spec.overhead.limits[hugepages-2Mi]",
              'Invalid value: "3Mi": 3Mi is not positive integer multiple of hugepages-2Mi'),
    ]
    dep = {"metadata": {"name": "dep-pp"},
           "spec": {"selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}},
                                 "spec": {"containers": [{"name": "c", "image": "img"}], "preemptionPolicy": "",
                                          "overhead": {"hugepages-1Gi": "1Gi"}}}}}
    causes = invalid("dep-pp", kapi.json("POST", DEPLOYS, dep))
    assert causes == [
        cause("FieldValueRequired", "spec.template.spec.preemptionPolicy", "Required value"),
        cause("FieldValueForbidden", "spec.template.spec.overhead", "Forbidden: HugePages require cpu or memory"),
    ]
    ok = template("tmpl-ok", runtimeClassName="gvisor", preemptionPolicy="Never",
                  overhead={"cpu": "250m", "memory": "120Mi", "example.com/dongle": "1"})
    st, body = kapi.json("POST", TEMPLATES, ok)
    assert st == 201, body
    assert body["template"]["spec"]["overhead"] == {"cpu": "250m", "memory": "120Mi", "example.com/dongle": "1"}


def test_pod_with_runtime_class_and_preemption_policy(kapi):
    rc = {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": "rc-podspec"},
          "handler": "runc", "overhead": {"podFixed": {"cpu": "250m", "memory": "64Mi"}}}
    st, body = kapi.json("POST", "/apis/node.k8s.io/v1/runtimeclasses", rc)
    assert st == 201, body
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "pc-podspec-never"},
          "value": 1000, "preemptionPolicy": "Never"}
    st, body = kapi.json("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", pc)
    assert st == 201, body
    p = pod("rc-pod", runtimeClassName="rc-podspec", priorityClassName="pc-podspec-never", preemptionPolicy="Never")
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body
    assert body["spec"]["overhead"] == {"cpu": "250m", "memory": "64Mi"}
    assert body["spec"]["preemptionPolicy"] == "Never"


def test_annotation_formats(kapi):
    ann = {SECCOMP_POD: "bogus", SECCOMP_C + "c": "localhost/../escape", APPARMOR_C + "nope": "enforce"}
    causes = invalid("ann-bad", kapi.json("POST", PODS, pod("ann-bad", annotations=ann, restartPolicy="Sometimes")))
    assert causes == [
        cause("FieldValueInvalid", "metadata.annotations." + SECCOMP_POD,
              'Invalid value: "bogus": must be a valid seccomp profile'),
        cause("FieldValueInvalid", "metadata.annotations." + SECCOMP_C + "c",
              "Invalid value: \"../escape\": must not contain '..'"),
        cause("FieldValueInvalid", "metadata.annotations[" + APPARMOR_C + "nope]",
              'Invalid value: "nope": container not found'),
        cause("FieldValueInvalid", "metadata.annotations[" + APPARMOR_C + "nope]",
              'Invalid value: "enforce": invalid AppArmor profile name: "enforce"'),
        cause("FieldValueNotSupported", "spec.restartPolicy",
              'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'),
    ]
    causes = invalid("mirror", kapi.json("POST", PODS, pod("mirror", annotations={"kubernetes.io/config.mirror": "x"})))
    assert causes == [cause("FieldValueInvalid", "metadata.annotations[kubernetes.io/config.mirror]",
                            'Invalid value: "x": must set spec.nodeName if mirror pod annotation is set')]


def test_annotations_and_fields_on_create(kapi):
    ann = {SECCOMP_POD: "unconfined", SECCOMP_C + "c": "localhost/b.json", APPARMOR_C + "c": "runtime/default"}
    # the container's own appArmorProfile: without it the pod create's
    # AppArmor sync (1.33) would copy the annotation into the container
    p = pod("match-bad", {"seccompProfile": {"type": "Localhost", "localhostProfile": "a.json"},
                          "appArmorProfile": {"type": "Unconfined"}}, annotations=ann,
            securityContext={"seccompProfile": {"type": "RuntimeDefault"}, "appArmorProfile": {"type": "Unconfined"}},
            nodeName="node-1", schedulingGates=[{"name": "example.com/gate"}])
    causes = invalid("match-bad", kapi.json("POST", PODS, p))
    assert causes == [
        cause("FieldValueForbidden", "spec.nodeName",
              "Forbidden: cannot be set until all schedulingGates have been cleared"),
        cause("FieldValueForbidden", "spec.securityContext.seccompProfile.type",
              "Forbidden: seccomp type in annotation and field must match"),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.seccompProfile.localhostProfile",
              "Forbidden: seccomp profile in annotation and field must match"),
        cause("FieldValueForbidden", "spec.containers[0].securityContext.appArmorProfile.type",
              "Forbidden: apparmor type in annotation and field must match"),
    ]
    # matching annotations and fields are stored
    ann = {SECCOMP_POD: "runtime/default", APPARMOR_C + "c": "localhost/k8s-nginx"}
    p = pod("match-ok", {"appArmorProfile": {"type": "Localhost", "localhostProfile": "k8s-nginx"}},
            annotations=ann, securityContext={"seccompProfile": {"type": "RuntimeDefault"}})
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body
    # the consistency checks are for create only; AppArmor annotations cannot be added or changed later
    body["metadata"]["annotations"][APPARMOR_C + "c"] = "unconfined"
    body["metadata"]["annotations"][APPARMOR_C + "other"] = "runtime/default"
    causes = invalid("match-ok", kapi.json("PUT", PODS + "/match-ok", body))
    # the annotation checks run before the update rules and again after them, as upstream
    not_found = cause("FieldValueInvalid", "metadata.annotations[" + APPARMOR_C + "other]",
                      'Invalid value: "other": container not found')
    assert causes == [
        not_found,
        cause("FieldValueForbidden", "metadata.annotations[" + APPARMOR_C + "c]",
              "Forbidden: may not remove or update AppArmor annotations"),
        cause("FieldValueForbidden", "metadata.annotations[" + APPARMOR_C + "other]",
              "Forbidden: may not add AppArmor annotations"),
        not_found,
    ]
    # windows pods skip the AppArmor consistency check
    p = pod("match-win", annotations={APPARMOR_C + "c": "unconfined"}, os={"name": "windows"})
    st, body = kapi.json("POST", PODS, p)
    assert st == 201, body


def test_template_annotations_and_kubectl(kapi):
    dep = {"metadata": {"name": "dep-ann"},
           "spec": {"selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "a"}, "annotations": {SECCOMP_POD: "unconfined"}},
                                 "spec": {"containers": [{"name": "c", "image": "img"}],
                                          "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}}}}
    causes = invalid("dep-ann", kapi.json("POST", DEPLOYS, dep))
    assert causes == [cause("FieldValueForbidden", "spec.template.spec.securityContext.seccompProfile.type",
                            "Forbidden: seccomp type in annotation and field must match")]
    manifest = json.dumps(dict(pod("kubectl-hu", hostUsers=False, hostIPC=True), apiVersion="v1", kind="Pod"))
    r = kapi.kubectl("create", "-f", "-", input=manifest, check=False)
    assert r.returncode != 0
    assert 'The Pod "kubectl-hu" is invalid: spec.HostIPC: ' + HOST_USERS in r.stderr, r.stderr
