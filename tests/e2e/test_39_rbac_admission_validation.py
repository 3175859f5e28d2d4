"""RBAC decisions for token users, per-kind validation (422) and the pod
admission plugins, through real clients."""
import json
import os
import time

from conftest import TOKEN


def as_jane(kapi, method, path, body=None):
    st, _, data = kapi.request(method, path, body, headers={"Authorization": "Bearer " + TOKEN}, client_cert=False)
    return st, json.loads(data) if data else None


def test_rbac_role_binding_grants_and_denies(kapi):
    kapi.kubectl("create", "namespace", "team-r")
    st, body = as_jane(kapi, "GET", "/api/v1/namespaces/team-r/configmaps")
    assert st == 403 and body["message"] == ('configmaps is forbidden: User "jane" cannot list resource "configmaps" '
                                            'in API group "" in the namespace "team-r"')
    kapi.kubectl("create", "role", "cm-reader", "-n", "team-r", "--verb=get,list", "--resource=configmaps")
    kapi.kubectl("create", "rolebinding", "jane-reads", "-n", "team-r", "--role=cm-reader", "--user=jane")
    deadline = time.time() + 5
    while time.time() < deadline and as_jane(kapi, "GET", "/api/v1/namespaces/team-r/configmaps")[0] != 200:
        time.sleep(0.1)
    assert as_jane(kapi, "GET", "/api/v1/namespaces/team-r/configmaps")[0] == 200
    # only the verbs and the namespace granted
    st, body = as_jane(kapi, "POST", "/api/v1/namespaces/team-r/configmaps", {"metadata": {"name": "x"}})
    assert st == 403 and 'cannot create resource "configmaps"' in body["message"]
    assert as_jane(kapi, "GET", "/api/v1/namespaces/default/configmaps")[0] == 403
    # groups through a ClusterRoleBinding to the bootstrap "view" role's aggregation source
    kapi.kubectl("create", "clusterrolebinding", "qa-nodes", "--clusterrole=system:node-proxier", "--group=qa")
    deadline = time.time() + 5
    while time.time() < deadline and as_jane(kapi, "GET", "/api/v1/nodes")[0] != 200:
        time.sleep(0.1)
    assert as_jane(kapi, "GET", "/api/v1/nodes")[0] == 200
    # the bootstrap policy exists and binds system:masters
    crb = json.loads(kapi.kubectl("get", "clusterrolebinding", "cluster-admin", "-o", "json").stdout)
    assert crb["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}]
    assert "view" in kapi.kubectl("get", "clusterroles", "-o", "name").stdout


def test_validation_messages(kapi):
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods",
                         {"metadata": {"name": "noimage"}, "spec": {"containers": [{"name": "c"}]}})
    assert st == 422
    assert body["message"] == 'Pod "noimage" is invalid: spec.containers[0].image: Required value'
    assert body["details"]["causes"] == [{"reason": "FieldValueRequired", "message": "Required value",
                                          "field": "spec.containers[0].image"}]
    dep = {"metadata": {"name": "mismatch"},
           "spec": {"selector": {"matchLabels": {"app": "a"}},
                    "template": {"metadata": {"labels": {"app": "b"}},
                                 "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    st, body = kapi.json("POST", "/apis/apps/v1/namespaces/default/deployments", dep)
    assert st == 422 and "`selector` does not match template `labels`" in body["message"]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/configmaps",
                         {"metadata": {"name": "badkey"}, "data": {"bad key!": "v"}})
    assert st == 422 and "a valid config key must consist of alphanumeric characters" in body["message"]
    p = kapi.kubectl("create", "cronjob", "badcron", "--image=i", "--schedule=not a schedule", check=False)
    assert p.returncode != 0 and "spec.schedule" in p.stderr


def test_pod_admission(kapi):
    kapi.kubectl("run", "adm", "--image=nginx")
    pod = json.loads(kapi.kubectl("get", "pod", "adm", "-o", "json").stdout)
    spec = pod["spec"]
    assert spec["serviceAccountName"] == "default" and spec["serviceAccount"] == "default"
    assert spec["priority"] == 0 and spec["preemptionPolicy"] == "PreemptLowerPriority"
    assert [t["key"] for t in spec["tolerations"]] == ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
    vol = spec["volumes"][0]
    assert vol["name"].startswith("kube-api-access-") and len(vol["name"]) == len("kube-api-access-") + 5
    srcs = vol["projected"]["sources"]
    assert srcs[0] == {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}
    assert spec["containers"][0]["volumeMounts"] == [
        {"name": vol["name"], "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}]
    assert pod["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "nosa"}, "spec": {"serviceAccountName": "missing",
                                               "containers": [{"name": "c", "image": "i"}]}})
    assert st == 403 and "serviceaccount \"missing\" not found" in body["message"]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "prio"}, "spec": {"priorityClassName": "nope", "containers": [{"name": "c", "image": "i"}]}})
    assert st == 403 and body["message"] == 'pods "prio" is forbidden: no PriorityClass with name nope was found'
    st, body = kapi.json("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "crit"}, "spec": {"priorityClassName": "system-cluster-critical",
                                               "containers": [{"name": "c", "image": "i"}]}})
    assert st == 201 and body["spec"]["priority"] == 2000000000


def test_impersonation(kapi):
    out = kapi.kubectl("auth", "whoami", "--as=bob", "--as-group=devs", "-o", "json").stdout
    ui = json.loads(out)["status"]["userInfo"]
    assert ui["username"] == "bob" and ui["groups"] == ["devs", "system:authenticated"]
    assert kapi.kubectl("auth", "can-i", "list", "pods", "--as=bob", check=False).stdout.strip() == "no"
    p = kapi.kubectl("get", "pods", "--as=bob", check=False)
    assert p.returncode != 0 and 'User "bob" cannot list resource "pods"' in p.stderr
    out = kapi.kubectl("auth", "whoami", "--as=system:serviceaccount:default:default", "-o", "json").stdout
    ui = json.loads(out)["status"]["userInfo"]
    assert ui["groups"] == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"]
    # a user without the impersonate verb cannot
    st, body = as_jane(kapi, "GET", "/api/v1/namespaces")
    st, _, data = kapi.request("GET", "/api", headers={"Authorization": "Bearer " + TOKEN, "Impersonate-User": "admin"},
                               client_cert=False)
    body = json.loads(data)
    assert st == 403 and body["message"] == ('users "admin" is forbidden: User "jane" cannot impersonate resource '
                                            '"users" in API group "" at the cluster scope')


def test_review_apis(kapi):
    # TokenReview: the token file's user, and an unknown token
    st, out = kapi.json("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": TOKEN}})
    assert st == 201 and out["status"]["authenticated"] is True
    assert out["status"]["user"]["username"] == "jane" and "qa" in out["status"]["user"]["groups"]
    st, out = kapi.json("POST", "/apis/authentication.k8s.io/v1/tokenreviews", {"spec": {"token": "nope"}})
    assert st == 201 and "authenticated" not in out["status"] and out["status"]["error"]
    # SubjectAccessReview about someone else
    sar = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
           "spec": {"user": "someone", "groups": ["system:masters"],
                    "resourceAttributes": {"verb": "delete", "resource": "nodes"}}}
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert st == 201 and out["status"]["allowed"] is True
    sar["spec"]["groups"] = ["nobodies"]
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", sar)
    assert st == 201 and out["status"]["allowed"] is False
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                        {"spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}})
    assert st == 422 and "at least one of user or group must be specified" in out["message"]
    # LocalSubjectAccessReview: its namespace must be the URL's
    lsar = {"spec": {"user": "someone", "resourceAttributes": {"verb": "get", "resource": "pods", "namespace": "default"}}}
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews", lsar)
    assert st == 201 and out["status"]["allowed"] is False and out["metadata"]["namespace"] == "default"
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/namespaces/kube-system/localsubjectaccessreviews", lsar)
    assert st == 422


def test_auth_can_i_list(kapi):
    out = kapi.kubectl("auth", "can-i", "--list").stdout.splitlines()
    assert out[0].split() == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert any(l.split()[:1] == ["*.*"] and l.split()[-1] == "[*]" for l in out[1:])
    st, out = kapi.json("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
                        {"spec": {"namespace": "default"}}, headers={"Authorization": "Bearer " + TOKEN},
                        client_cert=False)
    assert st == 201 and out["status"]["incomplete"] is False
    urls = {u for r in out["status"]["nonResourceRules"] for u in r["nonResourceURLs"]}
    assert "/api" in urls and "/healthz" in urls
    res = {x for r in out["status"]["resourceRules"] for x in r["resources"]}
    assert "selfsubjectaccessreviews" in res and "pods" not in res


def test_clusterrole_aggregation(kapi):
    """admin/edit/view carry the rules of the roles that aggregate into
    them, and a new labelled ClusterRole joins at once."""
    import time as _t

    def rules(name):
        st, cr = kapi.json("GET", f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}")
        return cr.get("rules") or []

    deadline = _t.time() + 15
    while _t.time() < deadline and not rules("view"):
        _t.sleep(0.1)
    view = rules("view")
    assert any("pods" in r.get("resources", []) and "list" in r["verbs"] for r in view)
    # edit includes what view has, admin what edit has
    assert all(r in rules("edit") for r in view)
    assert all(r in rules("admin") for r in rules("edit"))
    want = {"verbs": ["get", "list"], "apiGroups": ["example.com"], "resources": ["widgets"]}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "widget-viewer", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
            "rules": [want]}
    assert kapi.json("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", role)[0] == 201
    deadline = _t.time() + 15
    while _t.time() < deadline and want not in rules("view"):
        _t.sleep(0.1)
    assert want in rules("view") and want in rules("edit") and want in rules("admin")
    # a user bound to view may now list pods
    kapi.kubectl("create", "rolebinding", "v", "--clusterrole=view", "--user=viewer", "-n", "default")
    out = kapi.kubectl("auth", "can-i", "list", "pods", "-n", "default", "--as=viewer", check=False).stdout.strip()
    assert out == "yes"


def test_system_namespaces_cannot_be_deleted(kapi):
    for ns in ("default", "kube-system", "kube-public"):
        st, err = kapi.json("DELETE", f"/api/v1/namespaces/{ns}")
        assert st == 403, err
        assert err["message"] == f'namespaces "{ns}" is forbidden: this namespace may not be deleted'
        assert kapi.json("GET", f"/api/v1/namespaces/{ns}")[1]["status"]["phase"] == "Active"
    p = kapi.kubectl("delete", "namespace", "kube-public", check=False)
    assert p.returncode != 0 and "this namespace may not be deleted" in p.stderr
    kapi.kubectl("create", "namespace", "mortal")
    kapi.kubectl("delete", "namespace", "mortal")


def test_impersonating_user_extras(kapi):
    """Impersonate-Extra-<key> headers: checked with the impersonate verb on
    userextras/<key>, shown in SelfSubjectReview."""
    import http.client

    def review(headers):
        conn = http.client.HTTPSConnection("127.0.0.1", kapi.port, context=kapi.ssl_context(), timeout=30)
        body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        conn.putrequest("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews")
        for k, v in headers + [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]:
            conn.putheader(k, v)
        conn.endheaders(body.encode())
        resp = conn.getresponse()
        out = resp.status, json.loads(resp.read())
        conn.close()
        return out
    st, out = review([("Impersonate-User", "alice"), ("Impersonate-Extra-Scopes", "view"),
                      ("Impersonate-Extra-Scopes", "edit"), ("Impersonate-Extra-Acme.com%2Fteam", "blue")])
    assert st == 201, out
    ui = out["status"]["userInfo"]
    assert ui["username"] == "alice"
    assert ui["extra"] == {"acme.com/team": ["blue"], "scopes": ["view", "edit"]}
    # extras without a user are refused, as upstream
    st, out = review([("Impersonate-Extra-Scopes", "view")])
    assert st == 500


def test_kubectl_auth_reconcile(kapi):
    import yaml as _yaml
    kapi.kubectl("create", "namespace", "recon")
    docs = [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
             "metadata": {"name": "reader", "namespace": "recon"},
             "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
             "metadata": {"name": "reader", "namespace": "recon"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
             "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "rita"}]}]
    out = kapi.kubectl("auth", "reconcile", "-f", "-", input=_yaml.safe_dump_all(docs)).stdout
    assert "role.rbac.authorization.k8s.io/reader reconciled" in out
    assert "rolebinding.rbac.authorization.k8s.io/reader reconciled" in out
    assert kapi.kubectl("auth", "can-i", "get", "pods", "-n", "recon", "--as=rita", check=False).stdout.strip() == "yes"
    # reconcile adds missing rules and keeps extra ones (no --remove-extra-permissions)
    docs[0]["rules"] = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]
    kapi.kubectl("auth", "reconcile", "-f", "-", input=_yaml.safe_dump_all(docs))
    st, role = kapi.json("GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/recon/roles/reader")
    verbs = sorted(v for r in role["rules"] for v in r["verbs"])
    assert verbs == ["get", "list"]
    assert kapi.kubectl("auth", "can-i", "list", "pods", "-n", "recon", "--as=rita", check=False).stdout.strip() == "yes"


def test_rbac_matrix_for_certificate_and_token_users(kapi, tmp_path):
    """A certificate user (CN=carl, O=builders, signed by the cluster CA) and a
    token user (jane, groups devs and qa) against one set of grants: every
    verb x resource/subresource x namespace answers exactly as granted."""
    import subprocess
    import ssl
    import http.client
    import yaml as _yaml
    cfg = _yaml.safe_load(open(kapi.kubeconfig))
    pki = os.path.join(kapi.data_dir, "pki")
    key, csr, crt = (str(tmp_path / n) for n in ("carl.key", "carl.csr", "carl.crt"))
    subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/O=builders/CN=carl"], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", os.path.join(pki, "ca.crt"), "-CAkey",
                    os.path.join(pki, "ca.key"), "-CAcreateserial", "-out", crt, "-days", "1"],
                   check=True, capture_output=True)

    def as_carl(method, path):
        ctx = ssl.create_default_context(cafile=os.path.join(pki, "ca.crt"))
        ctx.load_cert_chain(crt, key)
        conn = http.client.HTTPSConnection("127.0.0.1", kapi.port, context=ctx, timeout=30)
        conn.request(method, path, body=None if method in ("GET", "DELETE") else "{}",
                     headers={"Content-Type": "application/merge-patch+json"})
        st = conn.getresponse().status
        conn.close()
        return st
    for ns in ("mx-a", "mx-b"):
        kapi.kubectl("create", "namespace", ns)
        kapi.json("POST", f"/api/v1/namespaces/{ns}/pods", {"metadata": {"name": "p"},
                                                             "spec": {"containers": [{"name": "c", "image": "i"}]}})
    # builders (carl's group): read pods and patch pods/status in mx-a only
    kapi.kubectl("create", "role", "build", "-n", "mx-a", "--verb=get,list,watch", "--resource=pods")
    kapi.kubectl("create", "role", "status", "-n", "mx-a", "--verb=patch", "--resource=pods/status")
    kapi.kubectl("create", "rolebinding", "build", "-n", "mx-a", "--role=build", "--group=builders")
    kapi.kubectl("create", "rolebinding", "status", "-n", "mx-a", "--role=status", "--group=builders")
    # jane (user) may delete pods in mx-b; qa (her group) may read everything cluster-wide
    kapi.kubectl("create", "role", "del", "-n", "mx-b", "--verb=delete", "--resource=pods")
    kapi.kubectl("create", "rolebinding", "del", "-n", "mx-b", "--role=del", "--user=jane")
    kapi.kubectl("create", "clusterrolebinding", "qa-view", "--clusterrole=view", "--group=qa")
    time.sleep(0.5)
    base = "/api/v1/namespaces/{ns}/pods"
    cases = [  # (who, method, path, expected)
        ("carl", "GET", base + "/p", {"mx-a": 200, "mx-b": 403}),
        ("carl", "GET", base, {"mx-a": 200, "mx-b": 403}),
        ("carl", "PATCH", base + "/p/status", {"mx-a": 200, "mx-b": 403}),
        ("carl", "PATCH", base + "/p", {"mx-a": 403, "mx-b": 403}),
        ("carl", "DELETE", base + "/p", {"mx-a": 403, "mx-b": 403}),
        ("jane", "GET", base + "/p", {"mx-a": 200, "mx-b": 200}),
        ("jane", "PATCH", base + "/p/status", {"mx-a": 403, "mx-b": 403}),
        ("jane", "GET", "/api/v1/namespaces/{ns}/secrets", {"mx-a": 403, "mx-b": 403}),
    ]
    for who, method, path, expect in cases:
        for ns, want in expect.items():
            p = path.format(ns=ns)
            if who == "carl":
                got = as_carl(method, p)
            else:
                got = as_jane(kapi, method, p, {} if method == "PATCH" else None)[0]
            assert got == want, (who, method, p, got, want)
    # and jane's delete in mx-b works (last: it removes the pod)
    assert as_jane(kapi, "DELETE", "/api/v1/namespaces/mx-b/pods/p")[0] == 200
    assert kapi.kubectl("auth", "can-i", "patch", "pods", "--subresource=status", "-n", "mx-a", "--as=carl",
                        "--as-group=builders", check=False).stdout.strip() == "yes"
    assert kapi.kubectl("auth", "can-i", "patch", "pods", "-n", "mx-a", "--as=carl", "--as-group=builders",
                        check=False).stdout.strip() == "no"


def test_bootstrap_policy_is_reconciled_at_start(fresh_kapi):
    """Bootstrap roles and bindings get back what they lack at start, unless
    they say rbac.authorization.kubernetes.io/autoupdate: "false"."""
    k = fresh_kapi().start()
    path = "/apis/rbac.authorization.k8s.io/v1/clusterroles/"
    st, basic = k.json("GET", path + "system:basic-user")
    want_rules = basic["rules"]
    basic["rules"] = want_rules[:1]
    assert k.json("PUT", path + "system:basic-user", basic)[0] == 200
    st, disc = k.json("GET", path + "system:discovery")
    disc["metadata"]["annotations"]["rbac.authorization.kubernetes.io/autoupdate"] = "false"
    disc["rules"] = []
    assert k.json("PUT", path + "system:discovery", disc)[0] == 200
    crb = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:basic-user"
    st, b = k.json("GET", crb)
    b["subjects"] = []
    assert k.json("PUT", crb, b)[0] == 200
    k.stop()
    k.start()
    st, basic = k.json("GET", path + "system:basic-user")
    assert basic["rules"] == want_rules
    st, disc = k.json("GET", path + "system:discovery")
    assert disc.get("rules") in ([], None)
    st, b = k.json("GET", crb)
    assert {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"} in b["subjects"]
    k.stop()
