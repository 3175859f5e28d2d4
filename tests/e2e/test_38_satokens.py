"""Service-account tokens: kubectl create token, authentication with them,
tampering, expiry rules, pod binding, and the issuer discovery documents."""
import base64
import json
import time


def whoami(kapi, token):
    st, _, body = kapi.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                               {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                               headers={"Authorization": "Bearer " + token}, client_cert=False)
    return st, json.loads(body)


def token_for(kapi, sa, *extra):
    deadline = time.time() + 30  # the first start generates the RSA key in the background
    while True:
        p = kapi.kubectl("create", "token", sa, *extra, check=False)
        if p.returncode == 0 or time.time() > deadline or "not ready" not in p.stderr:
            return p
        time.sleep(0.2)


def test_create_token_and_authenticate(kapi):
    kapi.kubectl("create", "serviceaccount", "robot")
    p = token_for(kapi, "robot")
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "RS256" and len(header["kid"]) == 43
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=" * (-len(token.split(".")[1]) % 4)))
    assert claims["sub"] == "system:serviceaccount:default:robot"
    assert claims["iss"] == "https://kubernetes.default.svc.cluster.local"
    assert claims["exp"] - claims["iat"] == 3600
    st, review = whoami(kapi, token)
    assert st == 201
    ui = review["status"]["userInfo"]
    assert ui["username"] == "system:serviceaccount:default:robot"
    assert "system:serviceaccounts:default" in ui["groups"]
    # a tampered token is 401
    head, payload, sig = token.split(".")
    bad = ".".join([head, payload, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    st, body = whoami(kapi, bad)
    assert st == 401 and body["reason"] == "Unauthorized"
    # deleting the service account invalidates its tokens
    kapi.kubectl("delete", "serviceaccount", "robot")
    st, _ = whoami(kapi, token)
    assert st == 401


def test_token_request_rules(kapi):
    kapi.kubectl("create", "serviceaccount", "robot2")
    token_for(kapi, "robot2")
    req = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
           "spec": {"expirationSeconds": 599}}
    st, body = kapi.json("POST", "/api/v1/namespaces/default/serviceaccounts/robot2/token", req)
    assert st == 422 and "may not specify a duration less than 10 minutes" in body["message"]
    st, body = kapi.json("POST", "/api/v1/namespaces/default/serviceaccounts/nobody/token", {"spec": {}})
    assert st == 404 and body["message"] == 'serviceaccounts "nobody" not found'
    # bound to a pod: the token dies with the pod
    st, pod = kapi.json("POST", "/api/v1/namespaces/default/pods", {
        "metadata": {"name": "tokpod"},
        "spec": {"serviceAccountName": "robot2", "containers": [{"name": "c", "image": "i"}]}})
    assert st == 201
    p = token_for(kapi, "robot2", "--bound-object-kind=Pod", "--bound-object-name=tokpod")
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    st, review = whoami(kapi, token)
    assert st == 201 and review["status"]["userInfo"]["extra"]["authentication.kubernetes.io/pod-name"] == ["tokpod"] \
        if "extra" in review["status"]["userInfo"] else st == 201
    kapi.json("DELETE", "/api/v1/namespaces/default/pods/tokpod")
    st, _ = whoami(kapi, token)
    assert st == 401


def test_issuer_discovery(kapi):
    st, _, body = kapi.request("GET", "/.well-known/openid-configuration")
    doc = json.loads(body)
    assert st == 200 and doc["issuer"] == "https://kubernetes.default.svc.cluster.local"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    st, hdrs, body = kapi.request("GET", "/openid/v1/jwks")
    keys = json.loads(body)["keys"]
    assert st == 200 and hdrs["content-type"] == "application/jwk-set+json"
    assert keys[0]["kty"] == "RSA" and keys[0]["e"] == "AQAB" and keys[0]["alg"] == "RS256"


def test_legacy_secret_based_service_account_tokens(kapi):
    """A kubernetes.io/service-account-token Secret gets a legacy token that
    authenticates as its service account; deleting the Secret (or the
    account) revokes it."""
    import base64
    import time as _t
    kapi.kubectl("create", "namespace", "legacy-tok")
    kapi.kubectl("create", "serviceaccount", "robot", "-n", "legacy-tok")
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
              "metadata": {"name": "robot-token", "annotations": {"kubernetes.io/service-account.name": "robot"}}}
    assert kapi.json("POST", "/api/v1/namespaces/legacy-tok/secrets", secret)[0] == 201
    deadline = _t.time() + 15
    sec = {}
    while _t.time() < deadline:
        st, sec = kapi.json("GET", "/api/v1/namespaces/legacy-tok/secrets/robot-token")
        if (sec.get("data") or {}).get("token"):
            break
        _t.sleep(0.2)
    data = sec["data"]
    assert sorted(data) == ["ca.crt", "namespace", "token"]
    assert base64.b64decode(data["namespace"]).decode() == "legacy-tok"
    assert base64.b64decode(data["ca.crt"]).decode().startswith("-----BEGIN CERTIFICATE-----")
    st, sa = kapi.json("GET", "/api/v1/namespaces/legacy-tok/serviceaccounts/robot")
    assert sec["metadata"]["annotations"]["kubernetes.io/service-account.uid"] == sa["metadata"]["uid"]
    token = base64.b64decode(data["token"]).decode()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == "kubernetes/serviceaccount"
    assert claims["sub"] == "system:serviceaccount:legacy-tok:robot"
    review = {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}
    st, who = kapi.json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, client_cert=False,
                        headers={"Authorization": f"Bearer {token}"})
    assert st == 201 and who["status"]["userInfo"]["username"] == "system:serviceaccount:legacy-tok:robot"
    kapi.kubectl("delete", "secret", "robot-token", "-n", "legacy-tok")
    deadline = _t.time() + 10
    while _t.time() < deadline:
        st, _ = kapi.json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", review, client_cert=False,
                          headers={"Authorization": f"Bearer {token}"})
        if st == 401:
            break
        _t.sleep(0.2)
    assert st == 401
