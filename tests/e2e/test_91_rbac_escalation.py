"""RBAC escalation prevention: writing Roles, ClusterRoles and bindings
needs the permissions being granted (or the escalate / bind verbs), with
kube-apiserver's messages. The admin impersonates the unprivileged "jane"."""
import json
import time

RBAC = "/apis/rbac.authorization.k8s.io/v1"
JANE = {"Impersonate-User": "jane"}
HELD = 'user "jane" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n'


def as_jane(kapi, method, path, body=None, content_type=None):
    headers = dict(JANE)
    if content_type:
        headers["Content-Type"] = content_type
    st, _, data = kapi.request(method, path, body, headers=headers)
    return st, json.loads(data) if data else None


def role(name, rules, ns="esc"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": name, "namespace": ns}, "rules": rules}


def rolebinding(name, kind, role_name, user="bob"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}]}


def wait_can(kapi, *args):
    deadline = time.time() + 5
    while time.time() < deadline:
        if kapi.kubectl("auth", "can-i", "--as=jane", *args, check=False).stdout.strip() == "yes":
            return
        time.sleep(0.05)
    raise AssertionError("jane never got " + " ".join(args))


def setup_module_ns(kapi):
    if kapi.kubectl("get", "namespace", "esc", check=False).returncode == 0:
        return
    kapi.kubectl("create", "namespace", "esc")
    # jane may write roles and bindings in esc, and holds only "get pods"
    kapi.kubectl("create", "role", "rbac-writer", "-n", "esc", "--verb=create,get,list,update,patch",
                 "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io")
    kapi.kubectl("create", "role", "pod-getter", "-n", "esc", "--verb=get", "--resource=pods")
    kapi.kubectl("create", "rolebinding", "jane-rbac-writer", "-n", "esc", "--role=rbac-writer", "--user=jane")
    kapi.kubectl("create", "rolebinding", "jane-pod-getter", "-n", "esc", "--role=pod-getter", "--user=jane")
    wait_can(kapi, "create", "roles.rbac.authorization.k8s.io", "-n", "esc")
    wait_can(kapi, "get", "pods", "-n", "esc")


def test_role_needs_the_rules_it_grants(kapi):
    setup_module_ns(kapi)
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/roles",
                       role("deleter", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}]))
    assert st == 403, body
    assert body["reason"] == "Forbidden"
    assert body["message"] == ('roles.rbac.authorization.k8s.io "deleter" is forbidden: ' + HELD +
                               '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}')
    assert body["details"] == {"name": "deleter", "group": "rbac.authorization.k8s.io", "kind": "roles"}
    # with generateName the message has no name: upstream checks before the name is generated
    gen = role("x", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}])
    gen["metadata"] = {"generateName": "gen-"}
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/roles", gen)
    assert st == 403
    assert body["message"].startswith("roles.rbac.authorization.k8s.io is forbidden: " + HELD)
    assert body["details"] == {"group": "rbac.authorization.k8s.io", "kind": "roles"}
    # what jane holds she may hand on
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/roles",
                       role("getter", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]))
    assert st == 201, body
    # the missing verbs of one resource are listed together, lines sorted
    p = kapi.kubectl("--as=jane", "create", "role", "mixed", "-n", "esc", "--verb=get,list,delete",
                     "--resource=pods,configmaps", check=False)
    assert p.returncode != 0
    assert p.stderr.strip() == ('Error from server (Forbidden): roles.rbac.authorization.k8s.io "mixed" is '
                                'forbidden: ' + HELD +
                                '{APIGroups:[""], Resources:["configmaps"], Verbs:["get" "list" "delete"]}\n'
                                '{APIGroups:[""], Resources:["pods"], Verbs:["list" "delete"]}')
    # the admin (system:masters) is never checked
    kapi.kubectl("create", "role", "deleter", "-n", "esc", "--verb=delete", "--resource=pods")


def test_role_update_and_patch_are_checked(kapi):
    setup_module_ns(kapi)
    p = kapi.kubectl("--as=jane", "patch", "role", "getter", "-n", "esc", "--type=json",
                     "-p", '[{"op":"add","path":"/rules/0/verbs/-","value":"delete"}]', check=False)
    assert p.returncode != 0
    assert p.stderr.strip() == ('Error from server (Forbidden): roles.rbac.authorization.k8s.io "getter" is '
                                'forbidden: ' + HELD + '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}')
    # a role whose rules jane lacks cannot be touched by her at all
    st, body = as_jane(kapi, "PATCH", RBAC + "/namespaces/esc/roles/deleter", {"metadata": {"labels": {"a": "b"}}},
                       content_type="application/merge-patch+json")
    assert st == 403 and body["message"].endswith('{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}')
    # narrowing is fine
    st, body = as_jane(kapi, "PUT", RBAC + "/namespaces/esc/roles/getter",
                       role("getter", [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"],
                                        "resourceNames": ["only-this"]}]))
    assert st == 200, body


def test_escalate_verb_allows_any_role(kapi):
    setup_module_ns(kapi)
    kapi.kubectl("create", "role", "escalator", "-n", "esc", "--verb=escalate",
                 "--resource=roles.rbac.authorization.k8s.io")
    kapi.kubectl("create", "rolebinding", "jane-escalator", "-n", "esc", "--role=escalator", "--user=jane")
    wait_can(kapi, "escalate", "roles.rbac.authorization.k8s.io", "-n", "esc")
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/roles",
                       role("super", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]))
    assert st == 201, body
    st, body = as_jane(kapi, "PATCH", RBAC + "/namespaces/esc/roles/deleter", {"metadata": {"labels": {"a": "b"}}},
                       content_type="application/merge-patch+json")
    assert st == 200, body
    # escalate in esc says nothing about other namespaces
    kapi.kubectl("create", "namespace", "esc-other")
    kapi.kubectl("create", "rolebinding", "jane-rbac-writer", "-n", "esc-other", "--clusterrole=edit", "--user=jane")
    kapi.kubectl("create", "role", "rbac-writer", "-n", "esc-other", "--verb=create",
                 "--resource=roles.rbac.authorization.k8s.io")
    kapi.kubectl("create", "rolebinding", "jane-roles", "-n", "esc-other", "--role=rbac-writer", "--user=jane")
    wait_can(kapi, "create", "roles.rbac.authorization.k8s.io", "-n", "esc-other")
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc-other/roles",
                       role("super", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], ns="esc-other"))
    assert st == 403 and body["message"].endswith('{APIGroups:["*"], Resources:["*"], Verbs:["*"]}')


def test_binding_needs_the_role_rules_or_bind(kapi):
    setup_module_ns(kapi)
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/rolebindings",
                       rolebinding("bob-admin", "ClusterRole", "admin"))
    assert st == 403, body
    assert body["message"].startswith('rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: ' + HELD)
    assert '\n{APIGroups:[""], Resources:["pods"], Verbs:[' in body["message"]
    assert body["details"] == {"name": "bob-admin", "group": "rbac.authorization.k8s.io", "kind": "rolebindings"}
    # kubectl's own wording around the server's message
    p = kapi.kubectl("--as=jane", "create", "rolebinding", "bob-admin", "-n", "esc", "--clusterrole=admin",
                     "--user=bob", check=False)
    assert p.returncode != 0
    assert p.stderr.startswith('error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io '
                               '"bob-admin" is forbidden: ' + HELD)
    # a role jane holds entirely may be bound without "bind"
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/rolebindings",
                       rolebinding("bob-pods", "Role", "pod-getter"))
    assert st == 201, body
    # the referenced role must exist: 404 from the role lookup
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/rolebindings",
                       rolebinding("bob-nope", "ClusterRole", "nope"))
    assert st == 404, body
    assert body["message"] == 'clusterroles.rbac.authorization.k8s.io "nope" not found'
    assert body["details"] == {"name": "nope", "group": "rbac.authorization.k8s.io", "kind": "clusterroles"}
    # "bind" on that one ClusterRole, in this namespace
    kapi.kubectl("create", "role", "admin-binder", "-n", "esc", "--verb=bind",
                 "--resource=clusterroles.rbac.authorization.k8s.io", "--resource-name=admin")
    kapi.kubectl("create", "rolebinding", "jane-admin-binder", "-n", "esc", "--role=admin-binder", "--user=jane")
    wait_can(kapi, "bind", "clusterroles.rbac.authorization.k8s.io/admin", "-n", "esc")
    p = kapi.kubectl("--as=jane", "create", "rolebinding", "bob-admin", "-n", "esc", "--clusterrole=admin",
                     "--user=bob")
    assert p.stdout.strip() == "rolebinding.rbac.authorization.k8s.io/bob-admin created"
    # ... but only that one
    st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc/rolebindings",
                       rolebinding("bob-edit", "ClusterRole", "edit"))
    assert st == 403 and "is attempting to grant RBAC permissions not currently held" in body["message"]


def test_clusterroles_and_aggregation(kapi):
    setup_module_ns(kapi)
    kapi.kubectl("create", "clusterrole", "cr-writer", "--verb=create,get,update,patch",
                 "--resource=clusterroles.rbac.authorization.k8s.io")
    kapi.kubectl("create", "clusterrolebinding", "jane-cr-writer", "--clusterrole=cr-writer", "--user=jane")
    wait_can(kapi, "create", "clusterroles.rbac.authorization.k8s.io")
    # held cluster-wide: may be granted
    p = kapi.kubectl("--as=jane", "create", "clusterrole", "cr-reader", "--verb=get",
                     "--resource=clusterroles.rbac.authorization.k8s.io")
    assert p.returncode == 0
    # "get pods" in esc does not count for a ClusterRole
    st, body = as_jane(kapi, "POST", RBAC + "/clusterroles", {
        "metadata": {"name": "pods-get"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]})
    assert st == 403
    assert body["message"] == ('clusterroles.rbac.authorization.k8s.io "pods-get" is forbidden: ' + HELD +
                               '{APIGroups:[""], Resources:["pods"], Verbs:["get"]}')
    # an aggregationRule needs everything
    p = kapi.kubectl("--as=jane", "create", "clusterrole", "agg", "--aggregation-rule=team=a", check=False)
    assert p.returncode != 0
    assert p.stderr.strip() == ('Error from server (Forbidden): clusterroles.rbac.authorization.k8s.io "agg" is '
                                'forbidden: must have cluster-admin privileges to use the aggregationRule')
    # ... also to change an aggregated ClusterRole in any other way
    kapi.kubectl("create", "clusterrole", "agg", "--aggregation-rule=team=a")
    st, body = as_jane(kapi, "PATCH", RBAC + "/clusterroles/agg", {"aggregationRule": None},
                       content_type="application/merge-patch+json")
    assert st == 403
    assert body["message"] == ('clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have '
                               'cluster-admin privileges to use the aggregationRule')


def test_resolution_errors_are_reported(kapi):
    setup_module_ns(kapi)
    # a binding of jane's whose role does not exist (in esc-other, where she may not escalate)
    kapi.kubectl("create", "rolebinding", "jane-dangling", "-n", "esc-other", "--clusterrole=does-not-exist",
                 "--user=jane")
    deadline = time.time() + 5
    while True:
        st, body = as_jane(kapi, "POST", RBAC + "/namespaces/esc-other/roles",
                           role("lister", [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}],
                                ns="esc-other"))
        if st != 403 or "resolution errors" in body["message"] or time.time() > deadline:
            break
        time.sleep(0.05)
    assert st == 403
    assert body["message"] == ('roles.rbac.authorization.k8s.io "lister" is forbidden: ' + HELD +
                               '{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}; resolution errors: '
                               '[clusterroles.rbac.authorization.k8s.io "does-not-exist" not found]')
