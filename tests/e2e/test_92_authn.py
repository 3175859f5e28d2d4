"""Authentication beyond certificates and token files: bootstrap tokens,
front-proxy request headers, the token webhook, OIDC and --anonymous-auth."""
import base64
import http.server
import json
import os
import ssl
import subprocess
import threading
import time

import pytest
from conftest import KUBECTL

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def sh(*args):
    subprocess.run(list(args), check=True, capture_output=True)


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Pki:
    """A server cert for 127.0.0.1 and a front-proxy CA with a client cert, via the openssl CLI."""

    def __init__(self, d):
        self.d = d
        p = lambda n: os.path.join(d, n)  # noqa: E731
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("srv.key"), "-out",
           p("srv.crt"), "-days", "1", "-subj", "/CN=issuer", "-addext", "subjectAltName=IP:127.0.0.1")
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("proxy-ca.key"), "-out",
           p("proxy-ca.crt"), "-days", "1", "-subj", "/CN=front-proxy-ca")
        for name in ("front-proxy-client", "intruder"):
            sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", p(name + ".key"), "-out",
               p(name + ".csr"), "-subj", "/CN=" + name)
            with open(p("ext.cnf"), "w") as f:
                f.write("extendedKeyUsage=clientAuth\n")
            sh("openssl", "x509", "-req", "-in", p(name + ".csr"), "-CA", p("proxy-ca.crt"), "-CAkey",
               p("proxy-ca.key"), "-CAcreateserial", "-out", p(name + ".crt"), "-days", "1", "-extfile", p("ext.cnf"))
        self.path = p


class Backend:
    """An HTTPS server that is both the OIDC issuer and the TokenReview webhook."""

    def __init__(self, pki):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.reviews = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, obj):
                body = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    self.send({"issuer": hook.issuer, "jwks_uri": hook.issuer + "/keys"})
                elif self.path == "/keys":
                    n = hook.key.public_key().public_numbers()
                    self.send({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
                                         "n": b64u(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                                         "e": b64u(n.e.to_bytes(3, "big"))}]})
                else:
                    self.send_response(404)
                    self.end_headers()

            def do_POST(self):
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.reviews.append((self.path, review))
                ok = review["spec"]["token"] == "webhook-good"
                status = {"authenticated": ok}
                if ok:
                    status["user"] = {"username": "hooked", "uid": "h-1", "groups": ["hook-group"]}
                self.send({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki.path("srv.crt"), pki.path("srv.key"))
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.issuer = f"https://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def jwt(self, claims, key=None):
        hdr = b64u(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        body = b64u(json.dumps(claims).encode())
        sig = (key or self.key).sign(f"{hdr}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{hdr}.{body}.{b64u(sig)}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def env(tmp_path, fresh_kapi):
    pki = Pki(str(tmp_path))
    backend = Backend(pki)
    ca_data = base64.b64encode(open(pki.path("srv.crt"), "rb").read()).decode()
    hookcfg = tmp_path / "webhook.kubeconfig"
    hookcfg.write_text(f"""apiVersion: v1
kind: Config
clusters:
- name: hook
  cluster:
    server: {backend.issuer}/authenticate
    certificate-authority-data: {ca_data}
users:
- name: apiserver
  user: {{}}
contexts:
- name: webhook
  context: {{cluster: hook, user: apiserver}}
current-context: webhook
""")
    k = fresh_kapi("--enable-bootstrap-token-auth",
                   "--requestheader-client-ca-file", pki.path("proxy-ca.crt"),
                   "--requestheader-allowed-names", "front-proxy-client",
                   "--requestheader-username-headers", "X-Remote-User",
                   "--requestheader-group-headers", "X-Remote-Group",
                   "--requestheader-extra-headers-prefix", "X-Remote-Extra-",
                   "--authentication-token-webhook-config-file", str(hookcfg),
                   "--oidc-issuer-url", backend.issuer, "--oidc-client-id", "kapi",
                   "--oidc-ca-file", pki.path("srv.crt"), "--oidc-groups-claim", "groups",
                   "--oidc-groups-prefix", "oidc:", "--oidc-required-claim", "tenant=acme").start()
    yield k, pki, backend
    backend.stop()


def token_kubeconfig(k, tmp_path, token):
    """A kubeconfig with the cluster CA and a bearer token only (no client certificate)."""
    ca = k._admin_files()["ca"]
    path = os.path.join(str(tmp_path), "tok-%d.kubeconfig" % abs(hash(token)))
    with open(path, "w") as f:
        f.write(f"""apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {{server: "https://127.0.0.1:{k.port}", certificate-authority: "{ca}"}}
users:
- name: u
  user: {{token: "{token}"}}
contexts:
- name: c
  context: {{cluster: c, user: u}}
current-context: c
""")
    return path


def whoami(k, tmp_path, token, check=True):
    cfg = token_kubeconfig(k, tmp_path, token)
    r = subprocess.run([KUBECTL, "--kubeconfig", cfg, "auth", "whoami", "-o", "json"], capture_output=True,
                       text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)["status"]["userInfo"]
    return r


def bearer_status(k, token):
    st, _, _ = k.request("GET", "/api", headers={"Authorization": "Bearer " + token},
                         client_cert=False)
    return st


def test_bootstrap_token(env, tmp_path):
    k, _, _ = env
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
              "metadata": {"name": "bootstrap-token-abcdef", "namespace": "kube-system"},
              "data": {key: base64.b64encode(v.encode()).decode() for key, v in {
                  "token-id": "abcdef", "token-secret": "0123456789abcdef",
                  "usage-bootstrap-authentication": "true",
                  "auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token",
                  "expiration": "2099-01-01T00:00:00Z"}.items()}}
    st, obj = k.json("POST", "/api/v1/namespaces/kube-system/secrets", secret)
    assert st == 201, obj
    time.sleep(0.2)
    info = whoami(k, tmp_path, "abcdef.0123456789abcdef")
    assert info["username"] == "system:bootstrap:abcdef"
    assert info["groups"] == ["system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token",
                              "system:authenticated"]
    # wrong secret part, unknown id: 401
    assert bearer_status(k, "abcdef.0123456789abcdee") == 401
    assert bearer_status(k, "zzzzzz.0123456789abcdef") == 401
    r = whoami(k, tmp_path, "abcdef.0123456789abcdee", check=False)
    assert r.returncode != 0 and "Unauthorized" in r.stderr
    # expired
    secret["metadata"]["name"] = "bootstrap-token-expird"
    secret["data"]["token-id"] = base64.b64encode(b"expird").decode()
    secret["data"]["expiration"] = base64.b64encode(b"2001-01-01T00:00:00Z").decode()
    assert k.json("POST", "/api/v1/namespaces/kube-system/secrets", secret)[0] == 201
    time.sleep(0.2)
    assert bearer_status(k, "expird.0123456789abcdef") == 401


def test_request_header(env):
    k, pki, _ = env
    files = k._admin_files()

    def review(cert, headers):
        ctx = ssl.create_default_context(cafile=files["ca"])
        ctx.load_cert_chain(pki.path(cert + ".crt"), pki.path(cert + ".key"))
        import http.client
        conn = http.client.HTTPSConnection("127.0.0.1", k.port, context=ctx, timeout=30)
        body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        hdrs = {"Content-Type": "application/json"}
        hdrs.update(headers)
        conn.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, json.loads(data) if data else None

    st, obj = review("front-proxy-client", {"X-Remote-User": "proxied-user", "X-Remote-Group": "proxied-group"})
    assert st == 201, obj
    assert obj["status"]["userInfo"]["username"] == "proxied-user"
    assert obj["status"]["userInfo"]["groups"] == ["proxied-group", "system:authenticated"]
    # a CN outside --requestheader-allowed-names, or no user header with the proxy's cert: 401
    assert review("intruder", {"X-Remote-User": "proxied-user"})[0] == 401
    assert review("front-proxy-client", {})[0] == 401
    # the headers mean nothing on a cluster client certificate: the admin stays the admin
    st, obj = k.json("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                     {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                     headers={"X-Remote-User": "mallory"})
    assert st == 201 and obj["status"]["userInfo"]["username"] == "kubernetes-admin"


def test_webhook_token(env, tmp_path):
    k, _, backend = env
    info = whoami(k, tmp_path, "webhook-good")
    assert info["username"] == "hooked" and info["uid"] == "h-1"
    assert info["groups"] == ["hook-group", "system:authenticated"]
    path, review = backend.reviews[-1]
    assert path == "/authenticate?timeout=30s"
    assert review["apiVersion"] == "authentication.k8s.io/v1" and review["kind"] == "TokenReview"
    assert review["spec"]["audiences"] == ["https://kubernetes.default.svc.cluster.local"]
    assert bearer_status(k, "webhook-bad") == 401
    n = len(backend.reviews)
    assert bearer_status(k, "webhook-bad") == 401
    assert bearer_status(k, "webhook-good") == 200
    assert len(backend.reviews) == n  # both answers came from the cache


def test_oidc_token(env, tmp_path):
    k, _, backend = env
    now = int(time.time())
    claims = {"iss": backend.issuer, "aud": "kapi", "sub": "user-42", "exp": now + 600, "iat": now,
              "groups": ["admins", "devs"], "tenant": "acme"}
    deadline = time.time() + 15
    while True:  # discovery runs in the background
        r = whoami(k, tmp_path, backend.jwt(claims), check=False)
        if r.returncode == 0 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)["status"]["userInfo"]
    assert info["username"] == backend.issuer + "#user-42"
    assert info["groups"] == ["oidc:admins", "oidc:devs", "system:authenticated"]
    # expired, wrong audience, missing required claim, foreign key: 401
    for bad in ({**claims, "exp": now - 10}, {**claims, "aud": "other"},
                {k2: v for k2, v in claims.items() if k2 != "tenant"}):
        assert bearer_status(k, backend.jwt(bad)) == 401
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert bearer_status(k, backend.jwt(claims, key=other)) == 401


def test_anonymous_disabled(fresh_kapi):
    k = fresh_kapi("--anonymous-auth=false").start()
    st, _, _ = k.request("GET", "/version", client_cert=False)
    assert st == 401
    st, _, _ = k.request("GET", "/api/v1/namespaces", client_cert=False)
    assert st == 401
    assert k.request("GET", "/version")[0] == 200
    k2 = fresh_kapi().start()
    assert k2.request("GET", "/version", client_cert=False)[0] == 200
