"""The system:controller:* ClusterRoles and ClusterRoleBindings that
kube-apiserver v1.33 creates at start (upstream's controller-roles.yaml and
controller-role-bindings.yaml with 1.33's default feature gates), seen through
kubectl."""
import json

EVENTS = {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "update"]}


def get_json(kapi, *args):
    return json.loads(kapi.kubectl("get", *args, "-o", "json").stdout)


def test_deployment_controller_role_matches_upstream(kapi):
    role = get_json(kapi, "clusterrole", "system:controller:deployment-controller")
    assert role["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    assert role["metadata"]["annotations"] == {"rbac.authorization.kubernetes.io/autoupdate": "true"}
    assert role["rules"] == [
        {"apiGroups": ["apps", "extensions"], "resources": ["deployments"], "verbs": ["get", "list", "update", "watch"]},
        {"apiGroups": ["apps", "extensions"], "resources": ["deployments/status"], "verbs": ["update"]},
        {"apiGroups": ["apps", "extensions"], "resources": ["deployments/finalizers"], "verbs": ["update"]},
        {"apiGroups": ["apps", "extensions"], "resources": ["replicasets"],
         "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "update", "watch"]},
        EVENTS,
    ]
    crb = get_json(kapi, "clusterrolebinding", "system:controller:deployment-controller")
    assert crb["metadata"]["labels"] == {"kubernetes.io/bootstrapping": "rbac-defaults"}
    assert crb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                              "name": "system:controller:deployment-controller"}
    assert crb["subjects"] == [{"kind": "ServiceAccount", "name": "deployment-controller",
                                "namespace": "kube-system"}]


def test_every_controller_role_is_bound_to_its_service_account(kapi):
    roles = {r["metadata"]["name"]: r for r in get_json(kapi, "clusterroles")["items"]
             if r["metadata"]["name"].startswith("system:controller:")}
    bindings = {b["metadata"]["name"]: b for b in get_json(kapi, "clusterrolebindings")["items"]
                if b["metadata"]["name"].startswith("system:controller:")}
    assert len(roles) == 35
    assert set(roles) == set(bindings)
    for name, b in bindings.items():
        sa = name[len("system:controller:"):]
        assert b["roleRef"]["name"] == name
        assert b["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": "kube-system"}]
    # on by default in 1.33 (MultiCIDRServiceAllocator GA, SELinuxChangePolicy beta) ...
    assert "system:controller:service-cidrs-controller" in roles
    assert "system:controller:selinux-warning-controller" in roles
    # ... off by default (DynamicResourceAllocation, VolumeAttributesClass, ClusterTrustBundle)
    for gated in ("resource-claim-controller", "volumeattributesclass-protection-controller",
                  "kube-apiserver-serving-clustertrustbundle-publisher"):
        assert "system:controller:" + gated not in roles
    ns = roles["system:controller:namespace-controller"]["rules"]
    assert ns[2] == {"apiGroups": ["*"], "resources": ["*"],
                     "verbs": ["delete", "deletecollection", "get", "list", "watch"]}
    cleaner = roles["system:controller:legacy-service-account-token-cleaner"]["rules"]
    assert cleaner[0] == {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"],
                          "resourceNames": ["kube-apiserver-legacy-service-account-token-tracking"]}


def test_auth_can_i_as_deployment_controller(kapi):
    sa = "--as=system:serviceaccount:kube-system:deployment-controller"
    p = kapi.kubectl("auth", "can-i", "create", "replicasets", sa, "-n", "default", check=False)
    assert p.returncode == 0 and p.stdout.strip() == "yes"
    p = kapi.kubectl("auth", "can-i", "delete", "nodes", sa, "-n", "default", check=False)
    assert p.returncode != 0 and p.stdout.strip() == "no"
    p = kapi.kubectl("auth", "can-i", "update", "deployments/status", sa, "-n", "default", check=False)
    assert p.stdout.strip() == "yes"
