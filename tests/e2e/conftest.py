"""Shared fixtures for kapi's end-to-end tests.

Each test module gets a real build/kapi on an ephemeral loopback port with a
fresh data dir, and talks to it with real clients: kubectl, the official
Python client (Debian python3-kubernetes) and raw HTTPS for exact bytes.
"""
import base64
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KAPI = os.environ.get("KAPI_BIN", os.path.join(ROOT, "build", "kapi"))
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
TOKEN = "e2e-secret-token"
TOKEN_USER = "jane"


class Kapi:
    """A running kapi process and clients for it."""

    def __init__(self, data_dir, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(data_dir, "kapi.log")
        self.token_file = os.path.join(data_dir, "tokens.csv")
        with open(self.token_file, "w") as f:
            f.write(f'{TOKEN},{TOKEN_USER},uid-jane,"devs,qa"\n')

    # ---- process control ----
    def start(self, port=0, timeout=20):
        args = [KAPI, "--data-dir", self.data_dir, "--secure-port", str(port),
                "--token-auth-file", self.token_file, "-v=1"] + self.extra_args
        before = self._ready_count()
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("kapi exited early:\n" + self.read_log())
            if self._ready_count() > before:
                self.port = int(re.findall(r"kapi ready on https://[^ ]+:(\d+) ", self.read_log())[-1])
                return self
            time.sleep(0.02)
        raise RuntimeError("kapi did not become ready:\n" + self.read_log())

    def _ready_count(self):
        if not os.path.exists(self.log_path):
            return 0
        return len(re.findall(r"kapi ready on ", self.read_log()))

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else None
        self.proc = None
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    # ---- clients ----
    @property
    def kubeconfig(self):
        return os.path.join(self.data_dir, "admin.kubeconfig")

    @property
    def url(self):
        return f"https://127.0.0.1:{self.port}"

    def kubectl(self, *args, check=True, input=None, timeout=60, binary=None):
        cmd = [binary or KUBECTL, "--kubeconfig", self.kubeconfig] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def _admin_files(self):
        if not hasattr(self, "_certs"):
            cfg = yaml.safe_load(open(self.kubeconfig))
            user = cfg["users"][0]["user"]
            cluster = cfg["clusters"][0]["cluster"]
            d = tempfile.mkdtemp(prefix="kapi-e2e-certs-")
            paths = {}
            for name, key in (("ca", cluster["certificate-authority-data"]),
                              ("cert", user["client-certificate-data"]),
                              ("key", user["client-key-data"])):
                paths[name] = os.path.join(d, name + ".pem")
                with open(paths[name], "wb") as f:
                    f.write(base64.b64decode(key))
            self._certs = paths
        return self._certs

    def ssl_context(self, client_cert=True):
        files = self._admin_files()
        ctx = ssl.create_default_context(cafile=files["ca"])
        if client_cert:
            ctx.load_cert_chain(files["cert"], files["key"])
        return ctx

    def request(self, method, path, body=None, headers=None, client_cert=True, timeout=30):
        """One HTTPS request on a fresh connection. Returns (status, headers, bytes)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ssl_context(client_cert),
                                           timeout=timeout)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        out = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        conn.close()
        return out

    def json(self, method, path, body=None, headers=None, **kw):
        status, hdrs, data = self.request(method, path, body, headers, **kw)
        return status, json.loads(data) if data else None

    def raw_socket(self, client_cert=True):
        """A connected TLS socket, for byte-level tests."""
        ctx = self.ssl_context(client_cert)
        s = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return ctx.wrap_socket(s, server_hostname="127.0.0.1")

    def python_client(self):
        from kubernetes import client, config
        api_client = config.new_client_from_config(config_file=self.kubeconfig)
        return client, api_client


@pytest.fixture(scope="module")
def kapi(tmp_path_factory):
    d = tmp_path_factory.mktemp("kapi")
    k = Kapi(str(d)).start()
    yield k
    k.stop()


@pytest.fixture
def fresh_kapi(tmp_path):
    """A kapi of the test's own (for restarts, kills, limits)."""
    instances = []

    def make(*extra_args):
        d = tmp_path / f"k{len(instances)}"
        d.mkdir()
        k = Kapi(str(d), extra_args)
        instances.append(k)
        return k

    yield make
    for k in instances:
        k.stop(signal.SIGKILL)
