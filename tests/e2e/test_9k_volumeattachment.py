"""VolumeAttachment (storage.k8s.io/v1) create and update through the real
server: kube-apiserver 1.33's ValidateVolumeAttachment, the v1-only
ValidateVolumeAttachmentV1 on create, the inline PersistentVolumeSpec rules
of spec.source.inlineVolumeSpec and the immutable spec on update (field
paths, reasons and messages in details.causes)."""
import json

PATH = "/apis/storage.k8s.io/v1/volumeattachments"
DNS = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
       "start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
       "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
INLINE_CTX = "may not be specified in the context of inline volumes"
IN = "spec.source.inlineVolumeSpec"


def causes(err):
    return [(c["reason"], c["field"], c["message"]) for c in err["details"]["causes"]]


def va(name, attacher="csi.example.com", node="node-1", source=None):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttachment", "metadata": {"name": name},
            "spec": {"attacher": attacher, "nodeName": node,
                     "source": source if source is not None else {"persistentVolumeName": "pv-1"}}}


def refused(kapi, method, path, body):
    st, err = kapi.json(method, path, body)
    assert st == 422, err
    assert err["reason"] == "Invalid"
    assert err["details"]["kind"] == "VolumeAttachment"
    assert err["details"]["group"] == "storage.k8s.io"
    return err


def test_create_refused(kapi):
    # ValidateVolumeAttachment (nodeName), then ValidateVolumeAttachmentV1
    # (the attacher as a CSI driver name, the volume name as a DNS subdomain)
    err = refused(kapi, "POST", PATH, va("va-bad", attacher="csi_driver", node="Node_1",
                                         source={"persistentVolumeName": "Bad_PV"}))
    assert causes(err) == [
        ("FieldValueInvalid", "spec.nodeName", 'Invalid value: "Node_1": ' + DNS),
        ("FieldValueInvalid", "spec.attacher", 'Invalid value: "csi_driver": ' + DNS),
        ("FieldValueInvalid", "spec.source.persistentVolumeName", 'Invalid value: "Bad_PV": ' + DNS),
    ]
    assert err["message"].startswith('VolumeAttachment.storage.k8s.io "va-bad" is invalid: [spec.nodeName: ')
    err = refused(kapi, "POST", PATH, va("va-two", source={"persistentVolumeName": "pv-1", "inlineVolumeSpec": {
        "accessModes": ["ReadWriteOnce"], "csi": {"driver": "csi.example.com", "volumeHandle": "h"}}}))
    assert causes(err) == [("FieldValueForbidden", "spec.source",
                            "Forbidden: must specify exactly one of inlineVolumeSpec and persistentVolumeName")]
    err = refused(kapi, "POST", PATH, va("va-none", attacher="x" * 64, source={}))
    assert causes(err) == [
        ("FieldValueRequired", "spec.source",
         "Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName"),
        ("FieldValueTooLong", "spec.attacher", "Too long: may not be more than 63 bytes"),
    ]
    st, _ = kapi.json("GET", PATH + "/va-bad")
    assert st == 404


def test_create_inline_refused(kapi):
    err = refused(kapi, "POST", PATH, va("va-inline-bad", source={"inlineVolumeSpec": {
        "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
        "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "fast", "volumeMode": "Block",
        "nfs": {"server": "srv", "path": "/export"}}}))
    assert causes(err) == [
        ("FieldValueForbidden", IN + ".capacity", "Forbidden: " + INLINE_CTX),
        ("FieldValueRequired", IN + ".csi", "Required value: has to be specified in the context of inline volumes"),
        ("FieldValueForbidden", IN + ".persistentVolumeReclaimPolicy",
         "Forbidden: may only be Retain in the context of inline volumes"),
        ("FieldValueForbidden", IN + ".storageClassName", "Forbidden: " + INLINE_CTX),
        ("FieldValueForbidden", IN + ".volumeMode",
         "Forbidden: may not specify volumeMode other than Filesystem in the context of inline volumes"),
    ]
    err = refused(kapi, "POST", PATH, va("va-inline-csi", source={"inlineVolumeSpec": {
        "accessModes": ["ReadWriteOnce"], "csi": {"driver": "bad_driver"}}}))
    assert causes(err) == [
        ("FieldValueInvalid", IN + ".csi.driver", 'Invalid value: "bad_driver": ' + DNS),
        ("FieldValueRequired", IN + ".csi.volumeHandle", "Required value"),
    ]


def test_create_then_spec_immutable(kapi):
    body = va("va-ok")
    body["status"] = {"attached": True}
    st, out = kapi.json("POST", PATH, body)
    assert st == 201, out
    # the strategy clears the status on create
    assert not out.get("status", {}).get("attached")
    # a change outside the spec is fine
    out["metadata"]["labels"] = {"a": "b"}
    st, out = kapi.json("PUT", PATH + "/va-ok", out)
    assert st == 200, out
    out["spec"]["nodeName"] = "node-2"
    err = refused(kapi, "PUT", PATH + "/va-ok", out)
    msg = ('Invalid value: storage.VolumeAttachmentSpec{Attacher:"csi.example.com", '
           "Source:storage.VolumeAttachmentSource{PersistentVolumeName:(*string)(0xc000000000), "
           'InlineVolumeSpec:(*core.PersistentVolumeSpec)(nil)}, NodeName:"node-2"}: field is immutable')
    assert causes(err) == [("FieldValueInvalid", "spec", msg)]
    assert err["message"] == 'VolumeAttachment.storage.k8s.io "va-ok" is invalid: spec: ' + msg
    # the same through a merge patch
    st, err = kapi.json("PATCH", PATH + "/va-ok", {"spec": {"attacher": "other.example.com"}},
                        headers={"Content-Type": "application/merge-patch+json"})
    assert st == 422, err
    assert [c["field"] for c in err["details"]["causes"]] == ["spec"]
    assert err["details"]["causes"][0]["message"].endswith("field is immutable")
    st, out = kapi.json("GET", PATH + "/va-ok")
    assert st == 200 and out["spec"]["nodeName"] == "node-1" and out["spec"]["attacher"] == "csi.example.com"


def test_create_inline_valid(kapi):
    spec = {"accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
            "csi": {"driver": "csi.example.com", "volumeHandle": "vol-1", "fsType": "ext4"}}
    st, out = kapi.json("POST", PATH, va("va-inline", source={"inlineVolumeSpec": spec}))
    assert st == 201, out
    assert out["spec"]["source"]["inlineVolumeSpec"]["csi"]["volumeHandle"] == "vol-1"
    # kubectl sees it
    got = json.loads(kapi.kubectl("get", "volumeattachments", "va-inline", "-o", "json").stdout)
    assert got["spec"]["source"]["inlineVolumeSpec"]["csi"]["driver"] == "csi.example.com"
