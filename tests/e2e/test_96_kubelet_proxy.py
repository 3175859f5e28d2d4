"""The subresources kube-apiserver serves by calling a kubelet or an
endpoint: pods/log, pods/exec (attach and portforward share its path),
pods/proxy, nodes/proxy and services/proxy.

A fake kubelet (Python, TLS on 127.0.0.1, a certificate from a CA the test
makes, client certificates required) serves /containerLogs (static, and a
slowly streamed body), answers /exec with 101 and then echoes bytes, or
speaks enough of the v5.channel.k8s.io WebSocket protocol for `kubectl
exec` to print a command's output. A plain HTTP server stands behind a
Service. Expected answers are kube-apiserver v1.33's (registry/core/pod,
node and service ResourceLocation, apimachinery's upgrade-aware proxy).
"""
import base64
import hashlib
import http.server
import json
import os
import socket
import ssl
import subprocess
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import Kapi

NS = "kp"
LOG_LINES = ["one", "two", "three", "four", "five"]


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_pki(d):
    """A CA, a kubelet serving certificate for 127.0.0.1 and a client
    certificate for the API server, all from the test's own CA."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt, "-days", "1",
            "-subj", "/CN=fake-kubelet-ca")
    out = {"ca": ca_crt}
    for name, subj, ext in (("kubelet", "/CN=fake-kubelet", "subjectAltName=IP:127.0.0.1"),
                            ("client", "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client",
                             "extendedKeyUsage=clientAuth")):
        key, csr, crt = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt"))
        extf = os.path.join(d, f"{name}.ext")
        with open(extf, "w") as f:
            f.write(ext + "\n")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", subj)
        openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
                "-days", "1", "-extfile", extf)
        out[name] = (crt, key)
    return out


def ws_frame(payload, opcode=2):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    else:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    return head + payload


class FakeKubelet:
    """The kubelet endpoints the API server calls, over TLS with client
    certificates verified against client_ca."""

    def __init__(self, cert, key, client_ca):
        self.requests = []        # (method, path, query, client CN, headers)
        self.stream_ended = threading.Event()
        kubelet = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def record(self):
                cert = self.connection.getpeercert()
                cn = dict(x[0] for x in cert["subject"]).get("commonName") if cert else None
                u = urlsplit(self.path)
                kubelet.requests.append((self.command, u.path, parse_qs(u.query), cn, dict(self.headers)))
                return u

            def send(self, code, body, ctype="text/plain"):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                u = self.record()
                q = parse_qs(u.query)
                parts = u.path.split("/")
                if u.path.startswith("/containerLogs/"):
                    ns, pod, container = parts[2], parts[3], parts[4]
                    if container == "missing":
                        return self.send(404, b"container missing not found")
                    if container == "broken":
                        return self.send(500, b"runtime exploded")
                    if container == "slow":
                        self.send_response(200)
                        self.send_header("Content-Type", "text/plain")
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        try:
                            for i in range(200):
                                chunk = f"slow line {i}\n".encode()
                                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                                self.wfile.flush()
                                time.sleep(0.25)
                            self.wfile.write(b"0\r\n\r\n")
                        except OSError:
                            pass
                        kubelet.stream_ended.set()
                        self.close_connection = True
                        return
                    lines = [f"{ns}/{pod}/{container} {x}" for x in LOG_LINES]
                    if "tailLines" in q:
                        lines = lines[-int(q["tailLines"][0]):]
                    return self.send(200, "".join(x + "\n" for x in lines).encode())
                if u.path.startswith("/exec/") and self.headers.get("Upgrade", "").lower() == "websocket":
                    return self.websocket_exec(q)
                if u.path.startswith("/exec/") or u.path.startswith("/attach/") or u.path.startswith("/portForward/"):
                    return self.upgrade_echo()
                if u.path.startswith("/hello"):
                    return self.send(200, b"kubelet page " + u.path.encode())
                self.send(404, b"404 page not found")

            def do_POST(self):
                u = self.record()
                if u.path.startswith(("/exec/", "/attach/", "/portForward/")):
                    return self.upgrade_echo()
                self.send(404, b"404 page not found")

            def upgrade_echo(self):
                if "upgrade" not in self.headers.get("Connection", "").lower():
                    return self.send(400, b"Upgrade request required")
                proto = self.headers.get("Upgrade", "")
                self.wfile.write(f"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: {proto}\r\n"
                                 f"X-Stream-Protocol-Version: echo.test\r\n\r\n".encode())
                self.wfile.flush()
                self.wfile.write(b"hello from kubelet\n")
                self.wfile.flush()
                try:
                    while True:
                        data = self.connection.recv(4096)
                        if not data:
                            break
                        self.connection.sendall(b"echo:" + data)
                except OSError:
                    pass
                self.close_connection = True

            def websocket_exec(self, q):
                """v5.channel.k8s.io: channel 1 is stdout, channel 3 the
                Status of the command."""
                key = self.headers["Sec-WebSocket-Key"]
                accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                          .digest()).decode()
                offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",")]
                proto = "v5.channel.k8s.io" if "v5.channel.k8s.io" in offered else offered[0]
                self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  f"Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: {proto}\r\n\r\n").encode())
                out = ("ran " + " ".join(q.get("command", [])) + "\n").encode()
                self.wfile.write(ws_frame(b"\x01" + out))
                status = json.dumps({"metadata": {}, "status": "Success"}).encode()
                self.wfile.write(ws_frame(b"\x03" + status))
                self.wfile.write(ws_frame(b"\x03\xe8", opcode=8))  # close, 1000 normal
                self.wfile.flush()
                time.sleep(0.2)
                self.close_connection = True

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class PlainBackend:
    """An HTTP page behind a Service: echoes what reached it."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "/landing")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                text = json.dumps({"method": self.command, "path": self.path, "body": body.decode(),
                                   "xff": self.headers.get("X-Forwarded-For"),
                                   "xfu": self.headers.get("X-Forwarded-Uri"),
                                   "auth": self.headers.get("Authorization")}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_GET = do_POST = do_PUT = do_DELETE = answer

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def apply(kapi, obj):
    kapi.kubectl("apply", "-f", "-", input=json.dumps(obj))


def make_node(kapi, name, port, addresses=None):
    apply(kapi, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
    status = {"addresses": addresses if addresses is not None else
              [{"type": "ExternalIP", "address": "203.0.113.9"}, {"type": "InternalIP", "address": "127.0.0.1"}],
              "daemonEndpoints": {"kubeletEndpoint": {"Port": port}}}
    kapi.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p", json.dumps({"status": status}))


def make_pod(kapi, name, containers, node=None, ip=None, ports=None):
    spec = {"containers": [{"name": c, "image": "busybox"} for c in containers]}
    if ports:
        spec["containers"][0]["ports"] = [{"containerPort": ports}]
    if node:
        spec["nodeName"] = node
    apply(kapi, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS}, "spec": spec})
    if ip:
        kapi.kubectl("patch", "pod", name, "-n", NS, "--subresource=status", "--type=merge", "-p",
                     json.dumps({"status": {"podIP": ip, "podIPs": [{"ip": ip}]}}))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("kubeletproxy"))
    pki = make_pki(d)
    kubelet = FakeKubelet(*pki["kubelet"], client_ca=pki["ca"])
    backend = PlainBackend()
    kd = os.path.join(d, "kapi")
    os.mkdir(kd)
    k = Kapi(kd, ["--kubelet-client-certificate", pki["client"][0], "--kubelet-client-key", pki["client"][1],
                  "--kubelet-certificate-authority", pki["ca"]]).start()
    k.kubectl("create", "namespace", NS)
    make_node(k, "n1", kubelet.port)
    make_node(k, "dead", closed_port())
    make_pod(k, "one", ["app"], node="n1")
    make_pod(k, "two", ["a", "b"], node="n1")
    make_pod(k, "slowpod", ["slow"], node="n1")
    make_pod(k, "lost", ["app"], node="dead")
    make_pod(k, "pending", ["app"])
    make_pod(k, "web", ["app"], node="n1", ip="127.0.0.1", ports=backend.port)
    yield {"kapi": k, "kubelet": kubelet, "backend": backend, "pki": pki, "dir": d}
    k.stop()
    kubelet.stop()
    backend.stop()


def status_of(kapi, path, method="GET", headers=None):
    code, hdrs, data = kapi.request(method, path, headers=headers)
    return code, json.loads(data) if data and hdrs.get("content-type", "").startswith("application/json") else data


# ---- pods/log ----

def test_kubectl_logs_single_container(env):
    k, kubelet = env["kapi"], env["kubelet"]
    p = k.kubectl("logs", "-n", NS, "one")
    assert p.stdout == "".join(f"{NS}/one/app {x}\n" for x in LOG_LINES)
    method, path, query, cn, _ = kubelet.requests[-1]
    assert (method, path, query) == ("GET", f"/containerLogs/{NS}/one/app", {})
    # the client certificate given with --kubelet-client-certificate
    assert cn == "kube-apiserver-kubelet-client"


def test_kubectl_logs_container_and_tail(env):
    k, kubelet = env["kapi"], env["kubelet"]
    p = k.kubectl("logs", "-n", NS, "two", "-c", "b", "--tail", "2", "--timestamps")
    assert p.stdout == f"{NS}/two/b four\n{NS}/two/b five\n"
    _, path, query, _, _ = kubelet.requests[-1]
    assert path == f"/containerLogs/{NS}/two/b"
    assert query == {"tailLines": ["2"], "timestamps": ["true"]}


def test_log_params_forwarded_in_upstream_form(env):
    k, kubelet = env["kapi"], env["kubelet"]
    code, _, body = k.request("GET", f"/api/v1/namespaces/{NS}/pods/one/log?previous=1&limitBytes=10"
                                     "&sinceTime=2024-05-06T07:08:09Z&insecureSkipTLSVerifyBackend=true")
    assert code == 200
    _, path, query, _, _ = kubelet.requests[-1]
    assert query == {"previous": ["true"], "limitBytes": ["10"], "sinceTime": ["2024-05-06T07:08:09Z"]}


def test_kubectl_logs_follow_streams(env):
    k, kubelet = env["kapi"], env["kubelet"]
    kubelet.stream_ended.clear()
    proc = subprocess.Popen(["/usr/bin/kubectl", "--kubeconfig", k.kubeconfig, "logs", "-f", "-n", NS, "slowpod"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        start = time.time()
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        # the kubelet sends one line every 0.25 s for 50 s: these arrived as they were sent
        assert (first, second) == ("slow line 0\n", "slow line 1\n")
        assert time.time() - start < 10
    finally:
        proc.kill()
        proc.wait()
    _, path, query, _, _ = kubelet.requests[-1]
    assert path == f"/containerLogs/{NS}/slowpod/slow" and query == {"follow": ["true"]}
    # the client went away: kapi stops reading and the kubelet's writes fail
    assert kubelet.stream_ended.wait(15)


def test_log_stream_is_chunked(env):
    k = env["kapi"]
    s = k.raw_socket()
    s.sendall(f"GET /api/v1/namespaces/{NS}/pods/slowpod/log?follow=true HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while b"slow line 1" not in data:
        chunk = s.recv(4096)
        assert chunk
        data += chunk
    s.close()
    head = data.split(b"\r\n\r\n")[0].decode().lower()
    assert head.startswith("http/1.1 200")
    assert "transfer-encoding: chunked" in head and "content-type: text/plain" in head
    assert "audit-id: " in head and "cache-control: no-cache, private" in head


def test_log_errors(env):
    k = env["kapi"]
    base = f"/api/v1/namespaces/{NS}/pods"
    code, st = status_of(k, f"{base}/two/log")
    assert code == 400 and st["reason"] == "BadRequest"
    assert st["message"] == "a container name must be specified for pod two, choose one of: [a b]"
    code, st = status_of(k, f"{base}/two/log?container=zzz")
    assert code == 400 and st["message"] == "container zzz is not valid for pod two"
    code, st = status_of(k, f"{base}/nosuch/log")
    assert code == 404 and st["message"] == 'pods "nosuch" not found'
    # no node yet: upstream's streamer has no location and answers 204
    code, _, body = k.request("GET", f"{base}/pending/log")
    assert code == 204 and body == b""
    code, st = status_of(k, f"{base}/one/log?tailLines=-1")
    assert code == 422 and st["reason"] == "Invalid"
    assert st["message"] == 'PodLogOptions "one" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'
    code, st = status_of(k, f"{base}/one/log?sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z")
    assert code == 422
    assert st["details"]["causes"][0]["message"] == "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified"
    code, st = status_of(k, f"{base}/one/log?tailLines=abc")
    assert code == 400 and st["message"] == 'strconv.ParseInt: parsing "abc": invalid syntax'
    code, st = status_of(k, f"{base}/one/log?sinceTime=yesterday")
    assert code == 400
    assert st["message"] == ('parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": '
                             'cannot parse "yesterday" as "2006"')


def test_log_kubelet_errors(env):
    k = env["kapi"]
    base = f"/api/v1/namespaces/{NS}/pods"
    make_pod(k, "odd", ["missing", "broken"], node="n1")
    code, st = status_of(k, f"{base}/odd/log?container=missing")
    assert code == 404 and st["reason"] == "NotFound"
    assert st["message"] == "the server could not find the requested resource ( pods/log odd)"
    assert st["details"] == {"name": "odd", "kind": "pods/log"}
    code, st = status_of(k, f"{base}/odd/log?container=broken")
    assert code == 500 and st["reason"] == "InternalError"
    assert st["message"] == "Internal error occurred: runtime exploded"
    p = k.kubectl("logs", "-n", NS, "odd", "-c", "missing", check=False)
    assert p.returncode != 0 and "the server could not find the requested resource" in p.stderr


def test_unreachable_kubelet(env):
    k = env["kapi"]
    port = json.loads(k.kubectl("get", "node", "dead", "-o", "json").stdout)["status"]["daemonEndpoints"][
        "kubeletEndpoint"]["Port"]
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/lost/log")
    assert code == 500 and "reason" not in st
    assert st["message"] == (f'Get "https://127.0.0.1:{port}/containerLogs/{NS}/lost/app": '
                             f"dial tcp 127.0.0.1:{port}: connect: connection refused")
    p = k.kubectl("logs", "-n", NS, "lost", check=False)
    assert p.returncode != 0 and "connect: connection refused" in p.stderr
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/lost/exec?command=ls&stdout=1", method="POST",
                         headers={"Connection": "Upgrade", "Upgrade": "SPDY/3.1"})
    assert code == 500
    assert st["message"] == f"error dialing backend: dial tcp 127.0.0.1:{port}: connect: connection refused"


def test_preferred_address_type_order(env):
    k = env["kapi"]
    # no address of a preferred type: upstream's NoMatchError
    make_node(k, "noaddr", 1, addresses=[{"type": "Weird", "address": "10.1.2.3"}])
    make_pod(k, "nowhere", ["app"], node="noaddr")
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/nowhere/log")
    assert code == 500
    assert st["message"] == "no preferred addresses found; known addresses: [{Weird 10.1.2.3}]"


# ---- exec / attach / portforward ----

def read_until(s, marker, limit=65536):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_exec_upgrade_splices_bytes(env):
    k, kubelet = env["kapi"], env["kubelet"]
    s = k.raw_socket()
    s.sendall((f"POST /api/v1/namespaces/{NS}/pods/two/exec?command=sh&command=-c&command=echo%20hi&container=a"
               "&stdin=true&stdout=true&tty=false HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
               "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n"
               "Content-Length: 0\r\n\r\n").encode())
    data = read_until(s, b"hello from kubelet\n")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 101 Switching Protocols"
    assert "Upgrade: SPDY/3.1" in lines and "X-Stream-Protocol-Version: echo.test" in lines
    assert rest == b"hello from kubelet\n"
    for msg in (b"ping", b"x" * 50000, b"pong"):
        s.sendall(msg)
        want = b"echo:" + msg
        got = b""
        while len(got) < len(want) or not got.endswith(msg[-4:]):
            chunk = s.recv(65536)
            assert chunk
            got += chunk
        assert got.replace(b"echo:", b"") == msg
    s.close()
    method, path, query, cn, hdrs = [r for r in kubelet.requests if r[1].startswith("/exec/")][-1]
    assert (method, path) == ("POST", f"/exec/{NS}/two/a")
    assert query == {"command": ["sh", "-c", "echo hi"], "input": ["1"], "output": ["1"]}
    assert hdrs.get("X-Stream-Protocol-Version") == "v4.channel.k8s.io"
    assert "Authorization" not in hdrs


def test_attach_and_portforward_paths(env):
    k, kubelet = env["kapi"], env["kubelet"]
    for sub, want_path, query in (("attach?container=b&stdout=1&stderr=1", f"/attach/{NS}/two/b",
                                   {"error": ["1"], "output": ["1"]}),
                                  ("portforward?ports=8080,9090&ports=7070", f"/portForward/{NS}/two",
                                   {"port": ["8080,9090,7070"]})):
        s = k.raw_socket()
        s.sendall((f"POST /api/v1/namespaces/{NS}/pods/two/{sub} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                   "Upgrade: SPDY/3.1\r\nContent-Length: 0\r\n\r\n").encode())
        data = read_until(s, b"hello from kubelet\n")
        assert data.startswith(b"HTTP/1.1 101 ")
        s.close()
        _, path, q, _, _ = kubelet.requests[-1]
        assert (path, q) == (want_path, query)


def test_exec_errors(env):
    k = env["kapi"]
    base = f"/api/v1/namespaces/{NS}/pods"
    up = {"Connection": "Upgrade", "Upgrade": "SPDY/3.1"}
    code, st = status_of(k, f"{base}/one/exec?command=ls&stdout=1", method="POST")
    assert code == 400 and st["message"] == "Upgrade request required"
    code, st = status_of(k, f"{base}/pending/exec?command=ls&stdout=1", method="POST", headers=up)
    assert code == 400 and st["message"] == "pod pending does not have a host assigned"
    code, st = status_of(k, f"{base}/two/exec?command=ls", method="POST", headers=up)
    assert code == 400 and st["message"] == "a container name must be specified for pod two, choose one of: [a b]"
    code, st = status_of(k, f"{base}/one/exec?command=ls&container=nope", method="POST", headers=up)
    assert code == 400 and st["message"] == "container nope is not valid for pod one"
    code, st = status_of(k, f"{base}/pending/portforward?ports=80", method="POST", headers=up)
    assert code == 400 and st["message"] == "pod pending does not have a host assigned"
    code, st = status_of(k, f"{base}/one/portforward?ports=80,abc", method="POST", headers=up)
    assert code == 400
    assert st["message"] == 'cannot convert to []int32: strconv.ParseUint: parsing "abc": invalid syntax'
    code, st = status_of(k, f"{base}/one/portforward?ports=70000", method="POST", headers=up)
    assert code == 400
    assert st["message"] == 'cannot convert to []int32: strconv.ParseUint: parsing "70000": value out of range'
    # pods/log takes only GET
    code, st = status_of(k, f"{base}/one/log", method="POST")
    assert code == 405


def test_kubectl_exec_websocket(env):
    """kubectl tries the WebSocket protocol first; kapi passes the upgrade
    through and the fake kubelet answers in v5.channel.k8s.io."""
    k, kubelet = env["kapi"], env["kubelet"]
    p = k.kubectl("exec", "-n", NS, "one", "--", "echo", "hello world", timeout=30)
    assert p.stdout == "ran echo hello world\n"
    method, path, query, _, hdrs = [r for r in kubelet.requests if r[1].startswith("/exec/")][-1]
    assert (method, path) == ("GET", f"/exec/{NS}/one/app")
    assert query["command"] == ["echo", "hello world"]
    assert hdrs.get("Upgrade") == "websocket" and "v5.channel.k8s.io" in hdrs.get("Sec-WebSocket-Protocol", "")


# ---- proxies ----

def test_services_proxy(env):
    k, backend = env["kapi"], env["backend"]
    apply(k, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": NS},
              "spec": {"ports": [{"name": "http", "port": 80, "targetPort": backend.port}]}})
    apply(k, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web", "namespace": NS},
              "subsets": [{"addresses": [{"ip": "127.0.0.1", "targetRef": {"kind": "Pod", "namespace": NS,
                                                                            "name": "web"}}],
                           "ports": [{"name": "http", "port": backend.port}]}]})
    prefix = f"/api/v1/namespaces/{NS}/services/web:80/proxy"
    got = json.loads(k.kubectl("get", "--raw", f"{prefix}/hello/./x/../world?a=1&b=2").stdout)
    assert got["method"] == "GET" and got["path"] == "/hello/world?a=1&b=2"
    assert got["xff"] == "127.0.0.1" and got["xfu"] == f"{prefix}/hello/world" and got["auth"] is None
    # deep paths and escaped characters reach the backend as sent
    deep = "/".join(f"d{i}" for i in range(40))
    got = json.loads(k.kubectl("get", "--raw", f"{prefix}/{deep}/a%20b").stdout)
    assert got["path"] == f"/{deep}/a%20b"
    # named port, a scheme, other methods with a body
    code, hdrs, data = k.request("POST", f"/api/v1/namespaces/{NS}/services/http:web:http/proxy/p/",
                                 body=b"payload", headers={"Content-Type": "text/plain"})
    got = json.loads(data)
    assert code == 200 and got["method"] == "POST" and got["path"] == "/p/" and got["body"] == "payload"
    assert "access-control-allow-origin" not in hdrs
    # an empty path redirects to the trailing slash
    code, hdrs, _ = k.request("GET", f"{prefix}?q=1")
    assert code == 301 and hdrs["location"] == f"{prefix}/?q=1"
    # the backend's own redirects are rewritten to stay behind the proxy, never followed
    code, hdrs, _ = k.request("GET", f"{prefix}/redirect")
    assert code == 302 and hdrs["location"] == f"{prefix}/landing"


def test_services_proxy_errors(env):
    k = env["kapi"]
    apply(k, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "empty", "namespace": NS},
              "spec": {"ports": [{"port": 80}]}})
    apply(k, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "empty", "namespace": NS}})
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/empty/proxy/")
    assert code == 503 and st["reason"] == "ServiceUnavailable"
    assert st["message"] == 'no endpoints available for service "empty"'
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/empty:81/proxy/")
    assert code == 503 and st["message"] == 'no service port 81 found for service "empty"'
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/a:b:c:d/proxy/")
    assert code == 400 and st["message"] == 'invalid service request "a:b:c:d"'
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/nosvc:80/proxy/")
    assert code == 404 and st["message"] == 'services "nosvc" not found'
    # an address whose pod does not hold that IP is skipped (isValidAddress)
    apply(k, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "stray", "namespace": NS},
              "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": 1}]}]})
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/stray/proxy/")
    assert code == 503 and st["message"] == 'no endpoints available for service "stray"'
    # a dead backend
    port = closed_port()
    apply(k, {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "gone", "namespace": NS},
              "subsets": [{"addresses": [{"ip": "127.0.0.1", "targetRef": {"kind": "Pod", "namespace": NS,
                                                                            "name": "web"}}],
                           "ports": [{"port": port}]}]})
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/services/gone/proxy/")
    assert code == 503 and st["reason"] == "ServiceUnavailable"
    assert st["message"] == f"error trying to reach service: dial tcp 127.0.0.1:{port}: connect: connection refused"


def test_pods_and_nodes_proxy_refuse_loopback(env):
    """Upstream proxies pods and nodes only to global unicast addresses:
    127.0.0.1 (the only address these tests may use) is refused."""
    k = env["kapi"]
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/web/proxy/hello")
    assert code == 400 and st["message"] == "address not allowed"
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/one:80/proxy/")  # no pod IP at all
    assert code == 400 and st["message"] == "address not allowed"
    code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/a:b:c:d/proxy/")
    assert code == 400 and st["message"] == 'invalid pod request "a:b:c:d"'
    p = k.kubectl("get", "--raw", "/api/v1/nodes/n1/proxy/hello", check=False)
    assert p.returncode != 0 and "address not allowed" in p.stderr
    code, st = status_of(k, "/api/v1/nodes/n1/proxy/hello")
    assert code == 400 and st["message"] == "address not allowed"
    code, st = status_of(k, "/api/v1/nodes/nonode/proxy/hello")
    assert code == 404 and st["message"] == 'nodes "nonode" not found'


def test_default_identity_and_unverified_kubelet(env, fresh_kapi):
    """Without --kubelet-client-certificate kapi presents its own admin
    certificate; without --kubelet-certificate-authority it does not verify
    the kubelet's certificate (upstream's default)."""
    k = fresh_kapi().start()
    pki = env["pki"]
    kubelet = FakeKubelet(*pki["kubelet"], client_ca=os.path.join(k.data_dir, "pki", "ca.crt"))
    try:
        k.kubectl("create", "namespace", NS)
        make_node(k, "n1", kubelet.port)
        make_pod(k, "one", ["app"], node="n1")
        p = k.kubectl("logs", "-n", NS, "one")
        assert p.stdout.startswith(f"{NS}/one/app one\n")
        assert kubelet.requests[-1][3] == "kubernetes-admin"
    finally:
        kubelet.stop()


def test_kubelet_certificate_verified(env, fresh_kapi):
    """With --kubelet-certificate-authority a kubelet whose certificate
    does not chain to it is refused, with Go's wording."""
    other = os.path.join(env["dir"], "other")
    os.makedirs(other, exist_ok=True)
    other_pki = make_pki(other)
    k = fresh_kapi("--kubelet-certificate-authority", other_pki["ca"]).start()
    kubelet = FakeKubelet(*env["pki"]["kubelet"], client_ca=os.path.join(k.data_dir, "pki", "ca.crt"))
    try:
        k.kubectl("create", "namespace", NS)
        make_node(k, "n1", kubelet.port)
        make_pod(k, "one", ["app"], node="n1")
        code, st = status_of(k, f"/api/v1/namespaces/{NS}/pods/one/log")
        assert code == 500
        assert st["message"] == (f'Get "https://127.0.0.1:{kubelet.port}/containerLogs/{NS}/one/app": '
                                 "tls: failed to verify certificate: x509: certificate signed by unknown authority")
        # ?insecureSkipTLSVerifyBackend=true skips it, as upstream's log transport does
        code, _, body = k.request("GET", f"/api/v1/namespaces/{NS}/pods/one/log?insecureSkipTLSVerifyBackend=true")
        assert code == 200 and body.startswith(f"{NS}/one/app one".encode())
    finally:
        kubelet.stop()


def test_stop_ends_spliced_sessions(env, fresh_kapi):
    """SIGTERM with an exec session and a followed log open: both end and
    kapi exits in time."""
    k = fresh_kapi("--shutdown-grace-period", "3s").start()
    kubelet = FakeKubelet(*env["pki"]["kubelet"], client_ca=os.path.join(k.data_dir, "pki", "ca.crt"))
    try:
        k.kubectl("create", "namespace", NS)
        make_node(k, "n1", kubelet.port)
        make_pod(k, "one", ["app"], node="n1")
        make_pod(k, "slowpod", ["slow"], node="n1")
        s = k.raw_socket()
        s.sendall((f"POST /api/v1/namespaces/{NS}/pods/one/exec?command=sh&stdin=1&stdout=1 HTTP/1.1\r\n"
                   "Host: x\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nContent-Length: 0\r\n\r\n").encode())
        assert read_until(s, b"hello from kubelet\n").startswith(b"HTTP/1.1 101 ")
        logs = k.raw_socket()
        logs.sendall(f"GET /api/v1/namespaces/{NS}/pods/slowpod/log?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert b"slow line 0" in read_until(logs, b"slow line 0")
        start = time.time()
        assert k.stop() == 0
        assert time.time() - start < 10
        # both handlers noticed the stop themselves, within the grace period
        assert "grace period over" not in k.read_log()
        s.settimeout(5)
        rest = b""
        while True:
            try:
                chunk = s.recv(4096)
            except (ssl.SSLError, OSError):
                break
            if not chunk:
                break
            rest += chunk
        assert b"hello" not in rest  # nothing new, just the close
        s.close()
        logs.close()
    finally:
        kubelet.stop()


def test_rbac_applies_to_connect_subresources(env):
    """The subresources are authorized like any other: get pods/log does
    not grant create pods/exec (SPDY POST) or get pods/exec (WebSocket GET)."""
    from conftest import TOKEN
    k = env["kapi"]
    apply(k, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
              "metadata": {"name": "log-reader", "namespace": NS},
              "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get"]}]})
    apply(k, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
              "metadata": {"name": "log-reader", "namespace": NS},
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "log-reader"},
              "subjects": [{"kind": "User", "name": "jane"}]})
    auth = {"Authorization": f"Bearer {TOKEN}"}
    deadline = time.time() + 10
    while True:
        code, _, body = k.request("GET", f"/api/v1/namespaces/{NS}/pods/one/log", headers=auth, client_cert=False)
        if code == 200 or time.time() > deadline:
            break
        time.sleep(0.1)
    assert code == 200 and body.startswith(f"{NS}/one/app one".encode())
    up = dict(auth, Connection="Upgrade", Upgrade="SPDY/3.1")
    code, _, body = k.request("POST", f"/api/v1/namespaces/{NS}/pods/one/exec?command=ls&stdout=1", headers=up,
                              client_cert=False)
    st = json.loads(body)
    assert code == 403 and st["message"] == ('pods "one" is forbidden: User "jane" cannot create resource '
                                             '"pods/exec" in API group "" in the namespace "kp"')
    code, _, body = k.request("GET", f"/api/v1/namespaces/{NS}/pods/one/exec?command=ls&stdout=1",
                              headers=dict(up, Upgrade="websocket"), client_cert=False)
    assert code == 403 and 'cannot get resource "pods/exec"' in json.loads(body)["message"]
    code, _, body = k.request("GET", "/api/v1/nodes/n1/proxy/hello", headers=auth, client_cert=False)
    assert code == 403 and 'cannot get resource "nodes/proxy"' in json.loads(body)["message"]
