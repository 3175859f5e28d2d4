"""Required node affinity values as label values (and the update of an
object stored before that rule), topologySpreadConstraints matchLabelKeys and
container resizePolicy through the real server: kube-apiserver 1.33's 422
details.causes, and valid objects with each field still created."""
import os
import sqlite3

LABEL_VALUE_MSG = ("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                   "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
                   "'my_value',  or '12345', regex used for validation is "
                   "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
REQ = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"


def pod(name, values=None, ctr=None, **spec):
    c = {"name": "c", "image": "nginx"}
    c.update(ctr or {})
    p = {"metadata": {"name": name}, "spec": {"containers": [c]}}
    if values is not None:
        p["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": values}]}]}}}
    p["spec"].update(spec)
    return p


def invalid(kapi, path, obj):
    st, body = kapi.json("POST", path, obj)
    assert st == 422, body
    assert body["reason"] == "Invalid"
    return body


def test_valid_pods_with_each_field_are_created(kapi):
    p = pod("valid", ["eu-1", "a.b_c"],
            ctr={"resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"},
                                  {"resourceName": "memory", "restartPolicy": "RestartContainer"}]},
            topologySpreadConstraints=[{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                                        "labelSelector": {"matchLabels": {"app": "x"}},
                                        "matchLabelKeys": ["pod-template-hash"]}])
    p["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] = [
        {"weight": 1, "preference": {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a b"]}]}}]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", p)
    assert st == 201, body
    assert body["spec"]["containers"][0]["resizePolicy"][1]["restartPolicy"] == "RestartContainer"
    assert body["spec"]["topologySpreadConstraints"][0]["matchLabelKeys"] == ["pod-template-hash"]
    st, body = kapi.json("PUT", "/api/v1/namespaces/default/pods/valid", body)
    assert st == 200, body


def test_required_node_affinity_values(kapi):
    body = invalid(kapi, "/api/v1/namespaces/default/pods", pod("badvalue", ["ok", "a b"]))
    field = REQ + ".nodeSelectorTerms[0].matchExpressions[0].values[1]"
    assert body["message"] == f'Pod "badvalue" is invalid: {field}: Invalid value: "a b": {LABEL_VALUE_MSG}'
    assert body["details"]["causes"] == [{"reason": "FieldValueInvalid", "field": field,
                                          "message": f'Invalid value: "a b": {LABEL_VALUE_MSG}'}]
    dep = {"metadata": {"name": "d"},
           "spec": {"selector": {"matchLabels": {"app": "d"}},
                    "template": {"metadata": {"labels": {"app": "d"}}, "spec": pod("x", ["a/b"])["spec"]}}}
    body = invalid(kapi, "/apis/apps/v1/namespaces/default/deployments", dep)
    assert body["details"]["causes"] == [{
        "reason": "FieldValueInvalid",
        "field": "spec.template." + REQ + ".nodeSelectorTerms[0].matchExpressions[0].values[0]",
        "message": f'Invalid value: "a/b": {LABEL_VALUE_MSG}'}]
    pv = {"metadata": {"name": "pv-aff"},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "local": {"path": "/mnt/d"},
                   "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                       {"key": "zone", "operator": "In", "values": ["a b"]}]}]}}}}
    body = invalid(kapi, "/api/v1/persistentvolumes", pv)
    assert body["details"]["causes"] == [{
        "reason": "FieldValueInvalid",
        "field": "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0]",
        "message": f'Invalid value: "a b": {LABEL_VALUE_MSG}'}]


def test_topology_spread_match_label_keys(kapi):
    tsc = {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": ["h"]}
    body = invalid(kapi, "/api/v1/namespaces/default/pods", pod("noselector", topologySpreadConstraints=[tsc]))
    assert body["details"]["causes"] == [{
        "reason": "FieldValueForbidden", "field": "spec.topologySpreadConstraints[0].matchLabelKeys",
        "message": "Forbidden: must not be specified when labelSelector is not set"}]
    tsc = dict(tsc, labelSelector={"matchLabels": {"app": "x"},
                                   "matchExpressions": [{"key": "tier", "operator": "Exists"}]},
               matchLabelKeys=["app", "h", "tier", "-x"])
    body = invalid(kapi, "/api/v1/namespaces/default/pods", pod("both", topologySpreadConstraints=[tsc]))
    f = "spec.topologySpreadConstraints[0].matchLabelKeys"
    assert body["details"]["causes"] == [
        {"reason": "FieldValueInvalid", "field": f + "[0]",
         "message": 'Invalid value: "app": exists in both matchLabelKeys and labelSelector'},
        {"reason": "FieldValueInvalid", "field": f + "[2]",
         "message": 'Invalid value: "tier": exists in both matchLabelKeys and labelSelector'},
        {"reason": "FieldValueInvalid", "field": f + "[3]",
         "message": ("Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                     "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")}]


def test_resize_policy(kapi):
    ctr = {"resizePolicy": [{"resourceName": "cpu", "restartPolicy": "NotRequired"},
                            {"resourceName": "cpu", "restartPolicy": "Later"},
                            {"resourceName": "gpu", "restartPolicy": "NotRequired"}]}
    body = invalid(kapi, "/api/v1/namespaces/default/pods", pod("resize", ctr=ctr))
    f = "spec.containers[0].resizePolicy"
    assert body["details"]["causes"] == [
        {"reason": "FieldValueDuplicate", "field": f + "[1]", "message": 'Duplicate value: "cpu"'},
        {"reason": "FieldValueNotSupported", "field": f,
         "message": 'Unsupported value: "Later": supported values: "NotRequired", "RestartContainer"'},
        {"reason": "FieldValueNotSupported", "field": f,
         "message": 'Unsupported value: "gpu": supported values: "cpu", "memory"'}]
    ctr = {"resizePolicy": [{"resourceName": "memory", "restartPolicy": "RestartContainer"}]}
    body = invalid(kapi, "/api/v1/namespaces/default/pods", pod("never", ctr=ctr, restartPolicy="Never"))
    assert body["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": f,
        "message": "Invalid value: \"RestartContainer\": must be 'NotRequired' when `restartPolicy` is 'Never'"}]
    # an init container may carry one (InPlacePodVerticalScaling is on in 1.33)
    p = pod("initresize", initContainers=[{"name": "i", "image": "busybox", "resizePolicy": [
        {"resourceName": "cpu", "restartPolicy": "NotRequired"}]}])
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", p)
    assert st == 201, body


def test_update_of_pod_stored_with_invalid_value(fresh_kapi):
    """A pod stored before the rule (here: written into the database while the
    server is down) may still be updated; a new invalid value elsewhere is not
    accepted on create."""
    k = fresh_kapi().start()
    st, body = k.json("POST", "/api/v1/namespaces/default/pods", pod("legacy", ["zonex"]))
    assert st == 201, body
    k.stop()
    db = sqlite3.connect(os.path.join(k.data_dir, "db", "kapi.db"))
    rows = db.execute("SELECT rev, value FROM kv WHERE key = ? AND deleted = 0",
                      (b"/registry/pods/default/legacy",)).fetchall()
    assert rows
    for rev, value in rows:
        assert b"zonex" in value
        # same length, so any framing of the stored bytes stays intact
        db.execute("UPDATE kv SET value = ? WHERE rev = ?", (value.replace(b"zonex", b"zo ne"), rev))
    db.commit()
    db.close()
    k.start()
    st, body = k.json("GET", "/api/v1/namespaces/default/pods/legacy")
    assert st == 200, body
    assert body["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][
        "nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["zo ne"]
    body["metadata"].setdefault("labels", {})["updated"] = "yes"
    st, body = k.json("PUT", "/api/v1/namespaces/default/pods/legacy", body)
    assert st == 200, body
    assert body["metadata"]["labels"]["updated"] == "yes"
    # a new pod with the same value is refused
    st, body = k.json("POST", "/api/v1/namespaces/default/pods", pod("fresh", ["zo ne"]))
    assert st == 422, body
    assert body["details"]["causes"][0]["field"] == REQ + ".nodeSelectorTerms[0].matchExpressions[0].values[0]"
