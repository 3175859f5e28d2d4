"""/status writes of PersistentVolume, CronJob, ServiceCIDR, VolumeAttachment,
ValidatingAdmissionPolicy, FlowSchema and PriorityLevelConfiguration through
the real server: each status strategy's rules (kube-apiserver 1.33's fields
and messages) and what its PrepareForUpdate keeps from the stored object."""
import time


def causes(err):
    return [(c["reason"], c["field"], c["message"]) for c in err["details"]["causes"]]


def create(kapi, path, body):
    st, out = kapi.json("POST", path, body)
    assert st == 201, out
    return out


def put_status(kapi, path, obj):
    return kapi.json("PUT", path + "/" + obj["metadata"]["name"] + "/status", obj)


def test_persistent_volume_phase_time(kapi):
    path = "/api/v1/persistentvolumes"
    pv = create(kapi, path, {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "st-pv"},
                             "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                             "hostPath": {"path": "/tmp/st-pv"}}})
    t0 = pv["status"]["lastPhaseTransitionTime"]
    # the same phase without a time keeps the stored time
    pv["status"] = {"phase": "Pending"}
    st, out = put_status(kapi, path, pv)
    assert st == 200, out
    assert out["status"]["lastPhaseTransitionTime"] == t0
    # a new phase with the old time is stamped anew
    time.sleep(1.1)
    out["status"] = {"phase": "Available", "lastPhaseTransitionTime": t0}
    st, out = put_status(kapi, path, out)
    assert st == 200, out
    assert out["status"]["phase"] == "Available"
    assert out["status"]["lastPhaseTransitionTime"] > t0
    # a client-chosen time on a phase change stays
    out["status"] = {"phase": "Released", "lastPhaseTransitionTime": "2024-01-02T03:04:05Z"}
    st, out = put_status(kapi, path, out)
    assert st == 200, out
    assert out["status"]["lastPhaseTransitionTime"] == "2024-01-02T03:04:05Z"


def test_cronjob_and_servicecidr_status_only_metadata(kapi):
    path = "/apis/batch/v1/namespaces/default/cronjobs"
    cj = create(kapi, path, {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "st-cj"},
                             "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                                 "restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}}}})
    cj["status"] = {"lastScheduleTime": "2024-01-02T03:05:00Z", "active": [{"kind": "Job", "name": "x"}]}
    st, out = put_status(kapi, path, cj)
    assert st == 200, out
    assert out["status"]["lastScheduleTime"] == "2024-01-02T03:05:00Z"
    path = "/apis/networking.k8s.io/v1/servicecidrs"
    sc = create(kapi, path, {"apiVersion": "networking.k8s.io/v1", "kind": "ServiceCIDR",
                             "metadata": {"name": "st-cidr"}, "spec": {"cidrs": ["10.123.0.0/24"]}})
    # ValidateServiceCIDRStatusUpdate does not look at the conditions
    sc["status"] = {"conditions": [{"type": "bad type", "status": "Maybe", "reason": "",
                                    "lastTransitionTime": "2024-01-02T03:04:05Z", "message": ""}]}
    st, out = put_status(kapi, path, sc)
    assert st == 200, out
    assert out["status"]["conditions"][0]["status"] == "Maybe"


def test_volume_attachment(kapi):
    path = "/apis/storage.k8s.io/v1/volumeattachments"
    va = create(kapi, path, {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment",
                             "metadata": {"name": "st-va"},
                             "spec": {"attacher": "csi.example.com", "nodeName": "node-1",
                                      "source": {"persistentVolumeName": "pv-1"}}})
    # a new error code is dropped (MutableCSINodeAllocatableCount is off in 1.33)
    va["status"] = {"attached": True, "attachmentMetadata": {"dev": "/dev/sdb"},
                    "attachError": {"message": "retrying", "errorCode": -1}}
    st, out = put_status(kapi, path, va)
    assert st == 200, out
    assert out["status"]["attached"] is True
    assert out["status"]["attachError"]["message"] == "retrying"
    assert "errorCode" not in out["status"]["attachError"]
    out["status"]["detachError"] = {"message": "x" * 1025}
    st, err = put_status(kapi, path, out)
    assert st == 422, err
    assert err["details"]["kind"] == "VolumeAttachment"
    # ValidateVolumeAttachment runs twice upstream, so the cause is listed twice
    cause = ("FieldValueTooLong", "status.detachError.message", "Too long: may not be more than 262144 bytes")
    assert causes(err) == [cause, cause]
    assert err["message"].endswith("status.detachError.message: Too long: may not be more than 262144 bytes")


def test_validating_admission_policy(kapi):
    path = "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies"
    vap = create(kapi, path, {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "st-vap"},
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"resourceRules": [{"apiGroups": ["apps"], "apiVersions": ["v1"],
                                                         "operations": ["CREATE"], "resources": ["deployments"]}]},
                 "validations": [{"expression": "object.spec.replicas <= 5"}]}})
    cond = {"type": "Ready", "status": "True", "reason": "Checked", "message": "",
            "lastTransitionTime": "2024-01-02T03:04:05Z"}
    vap["status"] = {"observedGeneration": 1, "conditions": [cond],
                     "typeChecking": {"expressionWarnings": [
                         {"fieldRef": "spec.validations[0].expression", "warning": "no such field"}]}}
    st, out = put_status(kapi, path, vap)
    assert st == 200, out
    assert out["status"]["typeChecking"]["expressionWarnings"][0]["warning"] == "no such field"
    out["status"]["typeChecking"]["expressionWarnings"] = [{"fieldRef": " ", "warning": ""},
                                                           {"fieldRef": "spec.x[", "warning": "w"}]
    out["status"]["conditions"] = [dict(cond, status="Maybe"), dict(cond, reason="")]
    st, err = put_status(kapi, path, out)
    assert st == 422, err
    w = "status.typeChecking.expressionWarnings"
    assert causes(err) == [
        ("FieldValueRequired", w + "[0].warning", "Required value"),
        ("FieldValueRequired", w + "[0].fieldRef", "Required value"),
        ("FieldValueInvalid", w + "[1].fieldRef", 'Invalid value: "spec.x[": invalid JSONPath: unterminated array'),
        ("FieldValueNotSupported", "status.conditions[0].status",
         'Unsupported value: "Maybe": supported values: "False", "True", "Unknown"'),
        ("FieldValueDuplicate", "status.conditions[1].type", 'Duplicate value: "Ready"'),
        ("FieldValueRequired", "status.conditions[1].reason", "Required value: must be set"),
    ]


def test_flowschema(kapi):
    path = "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas"
    fs = create(kapi, path, {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "FlowSchema",
                             "metadata": {"name": "st-fs", "labels": {"keep": "me"}},
                             "spec": {"priorityLevelConfiguration": {"name": "global-default"},
                                      "matchingPrecedence": 5000}})
    # only the condition type is checked; the stored metadata is kept whole
    fs["metadata"]["labels"] = {"other": "x"}
    fs["metadata"]["annotations"] = {"a": "b"}
    fs["status"] = {"conditions": [{"type": "Dangling", "status": "Maybe"}]}
    st, out = put_status(kapi, path, fs)
    assert st == 200, out
    assert out["metadata"]["labels"] == {"keep": "me"}
    assert "annotations" not in out["metadata"]
    assert out["status"]["conditions"][0]["status"] == "Maybe"
    out["status"] = {"conditions": [{"type": "Dangling", "status": "True"}, {"status": "True"},
                                    {"type": "Dangling", "status": "False"}]}
    st, err = put_status(kapi, path, out)
    assert st == 422, err
    assert err["details"]["kind"] == "FlowSchema"
    assert causes(err) == [
        ("FieldValueRequired", "status.conditions[1].type", "Required value: must not be empty"),
        ("FieldValueDuplicate", "status.conditions[2].type", 'Duplicate value: "Dangling"'),
    ]


def test_priority_level_configuration_patch(kapi):
    path = "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations"
    create(kapi, path, {"apiVersion": "flowcontrol.apiserver.k8s.io/v1", "kind": "PriorityLevelConfiguration",
                        "metadata": {"name": "st-plc"},
                        "spec": {"type": "Limited", "limited": {"nominalConcurrencyShares": 5,
                                                                 "limitResponse": {"type": "Reject"}}}})
    hdr = {"Content-Type": "application/merge-patch+json"}
    st, out = kapi.json("PATCH", path + "/st-plc/status",
                        {"status": {"conditions": [{"type": "ConcurrencyShared", "status": "True"}]}}, headers=hdr)
    assert st == 200, out
    assert out["status"]["conditions"][0]["type"] == "ConcurrencyShared"
    st, err = kapi.json("PATCH", path + "/st-plc/status",
                        {"status": {"conditions": [{"type": "", "status": "True"}, {"type": "", "status": "False"}]}},
                        headers=hdr)
    assert st == 422, err
    assert err["details"]["kind"] == "PriorityLevelConfiguration"
    assert causes(err) == [
        ("FieldValueRequired", "status.conditions[0].type", "Required value: must not be empty"),
        ("FieldValueDuplicate", "status.conditions[1].type", 'Duplicate value: ""'),
        ("FieldValueRequired", "status.conditions[1].type", "Required value: must not be empty"),
    ]
