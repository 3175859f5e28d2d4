"""A container's volumeDevices (ValidateVolumeDevices and the overlap with
volumeMounts, for regular, init and ephemeral containers) and
clusterTrustBundle projected sources (name or signerName + labelSelector, the
bundle-name and signer-name formats, paths): valid pods are stored, invalid
ones get kube-apiserver 1.33's 422 Status (message and details.causes).

Upstream runs the clusterTrustBundle rules when the ClusterTrustBundleProjection
gate is on (beta, off by default in 1.33: the pod strategy then drops the
field on create, see test_9o_pod_claims_gates.py), so this module's server
runs with --feature-gates=ClusterTrustBundleProjection=true."""
import json

import pytest

from conftest import Kapi

PODS = "/api/v1/namespaces/default/pods"
BLOCK = "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode"
SUBDOMAIN = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
             "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
             "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
         "end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')")


@pytest.fixture(scope="module")
def kapi(tmp_path_factory):
    k = Kapi(str(tmp_path_factory.mktemp("kapi")), ["--feature-gates=ClusterTrustBundleProjection=true"]).start()
    yield k
    k.stop()


def block_volumes():
    return [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "eph", "ephemeral": {"volumeClaimTemplate": {"spec": {
                "accessModes": ["ReadWriteOnce"], "volumeMode": "Block",
                "resources": {"requests": {"storage": "1Gi"}}}}}},
            {"name": "scratch", "emptyDir": {}}]


def pod(name, volumes, init=None, **ctr):
    c = {"name": "c", "image": "nginx"}
    c.update(ctr)
    spec = {"containers": [c], "volumes": volumes}
    if init is not None:
        spec["initContainers"] = init
    return {"metadata": {"name": name}, "spec": spec}


def projected(name, *sources):
    return pod(name, [{"name": "v", "projected": {"sources": list(sources)}}])


def ctb(**fields):
    return {"clusterTrustBundle": fields}


def check_422(out, name, causes):
    assert out["reason"] == "Invalid" and out["code"] == 422, out
    assert out["details"] == {"name": name, "kind": "Pod",
                              "causes": [{"reason": r, "message": m, "field": f} for r, f, m in causes]}
    msgs = [f"{f}: {m}" for _, f, m in causes]
    agg = msgs[0] if len(msgs) == 1 else "[" + ", ".join(msgs) + "]"
    assert out["message"] == f'Pod "{name}" is invalid: {agg}'


def invalid(kapi, body, *causes):
    st, out = kapi.json("POST", PODS, body)
    assert st == 422, out
    check_422(out, body["metadata"]["name"], causes)
    st, _ = kapi.json("GET", PODS + "/" + body["metadata"]["name"])
    assert st == 404


def test_block_devices_are_stored(kapi):
    st, out = kapi.json("POST", PODS, pod("blk", block_volumes(),
                                          volumeMounts=[{"name": "scratch", "mountPath": "/scratch"}],
                                          volumeDevices=[{"name": "data", "devicePath": "/dev/xvda"},
                                                         {"name": "eph", "devicePath": "/dev/xvdb"}]))
    assert st == 201, out
    assert out["spec"]["containers"][0]["volumeDevices"] == [{"name": "data", "devicePath": "/dev/xvda"},
                                                             {"name": "eph", "devicePath": "/dev/xvdb"}]


def test_device_rules(kapi):
    dev = "spec.containers[0].volumeDevices"
    invalid(kapi, pod("devs", block_volumes(), volumeDevices=[
        {"name": "data", "devicePath": "/dev/a"}, {"name": "data", "devicePath": "/dev/a"},
        {"name": "scratch", "devicePath": "/dev/../b"}, {"name": "nope", "devicePath": ""},
        {"name": "", "devicePath": "/dev/c"}]),
        ("FieldValueInvalid", f"{dev}[1].name", 'Invalid value: "data": must be unique'),
        ("FieldValueInvalid", f"{dev}[1].devicePath", 'Invalid value: "/dev/a": must be unique'),
        ("FieldValueInvalid", f"{dev}[2].name", f'Invalid value: "scratch": {BLOCK}'),
        ("FieldValueInvalid", f"{dev}[2].devicePath", "Invalid value: \"/dev/../b\": can not contain backsteps ('..')"),
        ("FieldValueNotFound", f"{dev}[3].name", 'Not found: "nope"'),
        ("FieldValueRequired", f"{dev}[3].devicePath", "Required value"),
        ("FieldValueRequired", f"{dev}[4].name", "Required value"),
        ("FieldValueNotFound", f"{dev}[4].name", 'Not found: ""'))


def test_devices_and_mounts_do_not_overlap(kapi):
    # the second mount of "eph" replaces the first in upstream's name -> path
    # map, so "/dev/x" is free for a device
    invalid(kapi, pod("overlap", block_volumes(),
                      volumeMounts=[{"name": "data", "mountPath": "/m"}, {"name": "eph", "mountPath": "/dev/x"},
                                    {"name": "eph", "mountPath": "/m2"}],
                      volumeDevices=[{"name": "data", "devicePath": "/m"}, {"name": "eph", "devicePath": "/dev/x"}]),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts[0].name",
             'Invalid value: "data": must not already exist in volumeDevices'),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts[0].mountPath",
             'Invalid value: "/m": must not already exist as a path in volumeDevices'),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts[1].name",
             'Invalid value: "eph": must not already exist in volumeDevices'),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts[1].mountPath",
             'Invalid value: "/dev/x": must not already exist as a path in volumeDevices'),
            ("FieldValueInvalid", "spec.containers[0].volumeMounts[2].name",
             'Invalid value: "eph": must not already exist in volumeDevices'),
            ("FieldValueInvalid", "spec.containers[0].volumeDevices[0].name",
             'Invalid value: "data": must not already exist in volumeMounts'),
            ("FieldValueInvalid", "spec.containers[0].volumeDevices[0].devicePath",
             'Invalid value: "/m": must not already exist as a path in volumeMounts'),
            ("FieldValueInvalid", "spec.containers[0].volumeDevices[1].name",
             'Invalid value: "eph": must not already exist in volumeMounts'))


def test_init_container_devices_through_kubectl(kapi):
    body = pod("initdev", block_volumes(), init=[{
        "name": "i", "image": "busybox", "volumeDevices": [{"name": "scratch", "devicePath": "/dev/s"}]}])
    manifest = json.dumps(dict(apiVersion="v1", kind="Pod", **body))
    p = kapi.kubectl("create", "-f", "-", input=manifest, check=False)
    assert p.returncode != 0
    assert (f'The Pod "initdev" is invalid: spec.initContainers[0].volumeDevices[0].name: Invalid value: "scratch": '
            f'{BLOCK}') in p.stderr
    assert kapi.kubectl("get", "pod", "initdev", check=False).returncode != 0


def test_ephemeral_container_devices(kapi):
    st, out = kapi.json("POST", PODS, pod("ephdev", block_volumes()))
    assert st == 201, out
    path = PODS + "/ephdev/ephemeralcontainers"
    smp = {"Content-Type": "application/strategic-merge-patch+json"}
    bad = {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox", "volumeDevices": [
        {"name": "nope", "devicePath": "rel/../x"}, {"name": "scratch", "devicePath": "/dev/s"}]}]}}
    st, out = kapi.json("PATCH", path, bad, headers=smp)
    assert st == 422, out
    check_422(out, "ephdev", [
        ("FieldValueNotFound", "spec.ephemeralContainers[0].volumeDevices[0].name", 'Not found: "nope"'),
        ("FieldValueInvalid", "spec.ephemeralContainers[0].volumeDevices[0].devicePath",
         "Invalid value: \"rel/../x\": can not contain backsteps ('..')"),
        ("FieldValueInvalid", "spec.ephemeralContainers[0].volumeDevices[1].name", f'Invalid value: "scratch": {BLOCK}')])
    good = {"spec": {"ephemeralContainers": [{"name": "dbg", "image": "busybox", "volumeDevices": [
        {"name": "data", "devicePath": "/dev/xvda"}]}]}}
    st, out = kapi.json("PATCH", path, good, headers=smp)
    assert st == 200, out
    assert out["spec"]["ephemeralContainers"][0]["volumeDevices"] == [{"name": "data", "devicePath": "/dev/xvda"}]


def test_cluster_trust_bundles_are_stored(kapi):
    st, out = kapi.json("POST", PODS, projected(
        "ctb-ok", ctb(name="plain", path="a.pem"), ctb(name="example.com:signer:bundle-1", optional=True, path="b.pem"),
        ctb(signerName="example.com/signer", labelSelector={"matchLabels": {"k": "v"}}, path="c.pem")))
    assert st == 201, out
    srcs = out["spec"]["volumes"][0]["projected"]["sources"]
    assert [s["clusterTrustBundle"]["path"] for s in srcs] == ["a.pem", "b.pem", "c.pem"]
    assert srcs[2]["clusterTrustBundle"]["signerName"] == "example.com/signer"


def test_cluster_trust_bundle_exclusions(kapi):
    p = "spec.volumes[0].projected.sources"
    invalid(kapi, projected("ctb-excl", ctb(name="a", signerName="example.com/s", path="a"), ctb(path="b"),
                            ctb(name="x", labelSelector={"matchLabels": {"a": "b"}}, path="c"),
                            ctb(signerName="", path="")),
            ("FieldValueInvalid", f"{p}[0].clusterTrustBundle",
             'Invalid value: core.ClusterTrustBundleProjection{Name:(*string)(0xc000000000), '
             'SignerName:(*string)(0xc000000000), LabelSelector:(*v1.LabelSelector)(nil), Optional:(*bool)(nil), '
             'Path:"a"}: only one of name and signerName may be used'),
            ("FieldValueRequired", f"{p}[1].clusterTrustBundle",
             "Required value: either name or signerName must be specified"),
            ("FieldValueInvalid", f"{p}[2].clusterTrustBundle.labelSelector",
             'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, '
             'MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: labelSelector must be unset if name is specified'),
            ("FieldValueRequired", f"{p}[3].clusterTrustBundle.signerName",
             "Required value: must be a valid signer name"),
            ("FieldValueRequired", f"{p}[3].clusterTrustBundle.signerName", "Required value"),
            ("FieldValueRequired", f"{p}[3].clusterTrustBundle.path", "Required value"))


def test_cluster_trust_bundle_names(kapi):
    p = "spec.volumes[0].projected.sources"
    invalid(kapi, projected("ctb-names", ctb(name="Bad_Name", path="a"), ctb(name=":abc", path="b"),
                            ctb(name="example.com/x:abc", path="c"), ctb(name="example.com:signer:Bad", path="d")),
            ("FieldValueInvalid", f"{p}[0].clusterTrustBundle.name",
             f'Invalid value: "Bad_Name": not a valid clustertrustbundlename: {SUBDOMAIN}'),
            ("FieldValueInvalid", f"{p}[1].clusterTrustBundle.name",
             'Invalid value: ":abc": not a valid clustertrustbundlename: ClusterTrustBundle without signer name '
             'must not have ":" in its name'),
            ("FieldValueInvalid", f"{p}[2].clusterTrustBundle.name",
             'Invalid value: "example.com/x:abc": not a valid clustertrustbundlename: ClusterTrustBundle for '
             'signerName example.com/x must be named with prefix example.com:x:'),
            ("FieldValueInvalid", f"{p}[3].clusterTrustBundle.name",
             f'Invalid value: "example.com:signer:Bad": not a valid clustertrustbundlename: {SUBDOMAIN}'))


def test_signer_names(kapi):
    p = "spec.volumes[0].projected.sources"
    long_domain = ".".join(c * (63 if c != "d" else 62) for c in "abcd")
    invalid(kapi, projected("ctb-signers", ctb(signerName="nodomain", path="a"),
                            ctb(signerName="Example.com/x", path="b"), ctb(signerName="example/x", path="c"),
                            ctb(signerName="example.com/Bad.ok", path="d"),
                            ctb(signerName=long_domain + "/x", path="e"),
                            ctb(signerName="example.com/" + "x" * 253 + "." + "y" * 253 + "." + "z" * 100, path="f")),
            ("FieldValueInvalid", f"{p}[0].clusterTrustBundle.signerName",
             "Invalid value: \"nodomain\": must be a fully qualified domain and path of the form "
             "'example.com/signer-name'"),
            ("FieldValueInvalid", f"{p}[1].clusterTrustBundle.signerName",
             f'Invalid value: "Example.com": validating label "Example": {LABEL}'),
            ("FieldValueInvalid", f"{p}[2].clusterTrustBundle.signerName",
             'Invalid value: "example": should be a domain with at least two segments separated by dots'),
            ("FieldValueInvalid", f"{p}[3].clusterTrustBundle.signerName",
             f'Invalid value: "Bad.ok": validating label "Bad": {SUBDOMAIN}'),
            ("FieldValueTooLong", f"{p}[4].clusterTrustBundle.signerName", "Too long: may not be more than 253 bytes"),
            ("FieldValueTooLong", f"{p}[5].clusterTrustBundle.signerName", "Too long: may not be more than 571 bytes"))


def test_cluster_trust_bundle_selector_and_paths(kapi):
    p = "spec.volumes[0].projected.sources"
    invalid(kapi, projected("ctb-sel", ctb(signerName="example.com/s", labelSelector={
        "matchLabels": {"ok": "bad value!"}, "matchExpressions": [{"key": "k", "operator": "In"}]}, path="/abs"),
        ctb(signerName="example.com/s", path="../x"), ctb(signerName="example.com/s", path="..x"),
        {"secret": {"name": "s", "items": [{"key": "k", "path": "dup"}]}}, ctb(name="n", path="dup")),
        ("FieldValueInvalid", f"{p}[0].clusterTrustBundle.labelSelector.matchLabels",
         "Invalid value: \"bad value!\": a valid label must be an empty string or consist of alphanumeric "
         "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
         "'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"),
        ("FieldValueRequired", f"{p}[0].clusterTrustBundle.labelSelector.matchExpressions[0].values",
         "Required value: must be specified when `operator` is 'In' or 'NotIn'"),
        ("FieldValueInvalid", f"{p}[0].clusterTrustBundle.path", 'Invalid value: "/abs": must be a relative path'),
        ("FieldValueInvalid", f"{p}[1].clusterTrustBundle.path", "Invalid value: \"../x\": must not contain '..'"),
        ("FieldValueInvalid", f"{p}[2].clusterTrustBundle.path", "Invalid value: \"..x\": must not start with '..'"),
        ("FieldValueInvalid", "spec.volumes[0].projected", 'Invalid value: "dup": conflicting duplicate paths'))
