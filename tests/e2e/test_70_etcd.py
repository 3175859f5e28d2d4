"""kapi on etcd: two stateless instances sharing one etcd and one PKI serve
the same data; a watch on one sees writes made through the other."""
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import Kapi

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@pytest.fixture
def etcd(tmp_path):
    if not os.path.exists(ETCD):
        pytest.fail("etcd is not installed (Debian etcd-server); make test installs it")
    cport, pport = free_port(), free_port()
    proc = subprocess.Popen([ETCD, "--data-dir", str(tmp_path / "etcd"),
                             "--listen-client-urls", f"http://127.0.0.1:{cport}",
                             "--advertise-client-urls", f"http://127.0.0.1:{cport}",
                             "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-cluster", f"default=http://127.0.0.1:{pport}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", cport), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{cport}"
    proc.kill()
    proc.wait()


def test_two_instances_share_etcd(tmp_path, etcd):
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    a = Kapi(str(tmp_path / "a"), ["--etcd-servers", etcd]).start()
    shutil.copytree(os.path.join(a.data_dir, "pki"), str(tmp_path / "b" / "pki"))
    b = Kapi(str(tmp_path / "b"), ["--etcd-servers", etcd]).start()
    try:
        # both see the bootstrap namespaces, created once
        assert "namespace/kube-system" in b.kubectl("get", "ns", "-o", "name").stdout.split()
        events = []

        def watch():
            st, hdrs, body = b.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=4", timeout=20)
            events.extend(json.loads(l) for l in body.decode().splitlines())

        t = threading.Thread(target=watch)
        t.start()
        time.sleep(0.8)
        a.kubectl("create", "configmap", "via-a", "--from-literal=x=1")
        a.kubectl("patch", "cm", "via-a", "--type=merge", "-p", '{"data":{"x":"2"}}')
        obj_b = json.loads(b.kubectl("get", "cm", "via-a", "-o", "json").stdout)
        obj_a = json.loads(a.kubectl("get", "cm", "via-a", "-o", "json").stdout)
        assert obj_b == obj_a and obj_b["data"] == {"x": "2"}
        b.kubectl("delete", "cm", "via-a")
        t.join(20)
        events = [e for e in events if e["object"]["metadata"]["name"] == "via-a"]
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == \
            [("ADDED", "via-a"), ("MODIFIED", "via-a"), ("DELETED", "via-a")]
        # optimistic concurrency holds across instances
        st, cm = a.json("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "cas"}})
        cm["data"] = {"by": "b"}
        assert b.json("PUT", "/api/v1/namespaces/default/configmaps/cas", cm)[0] == 200
        cm["data"] = {"by": "a"}
        st, err = a.json("PUT", "/api/v1/namespaces/default/configmaps/cas", cm)
        assert st == 409 and err["reason"] == "Conflict"
    finally:
        a.stop()
        b.stop()


def test_kubernetes_endpoints_follow_live_instances(tmp_path, etcd):
    port = free_port()
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    common = ["--etcd-servers", etcd, "--endpoint-reconciler-interval-ms", "500"]
    a = Kapi(str(tmp_path / "a"), common).start(port=port)
    shutil.copytree(os.path.join(a.data_dir, "pki"), str(tmp_path / "b" / "pki"))
    b = Kapi(str(tmp_path / "b"), common + ["--bind-address", "127.0.0.3", "--advertise-address", "127.0.0.3"]).start(port=port)

    def addresses():
        st, ep = a.json("GET", "/api/v1/namespaces/default/endpoints/kubernetes")
        subsets = ep.get("subsets") or []
        return sorted(x["ip"] for s in subsets for x in s.get("addresses", [])), \
            [p["port"] for s in subsets for p in s.get("ports", [])]

    def wait_for(want, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ips, ports = addresses()
            if ips == want:
                return ports
            time.sleep(0.1)
        raise AssertionError(f"endpoints stayed {addresses()}, wanted {want}")

    try:
        ports = wait_for(["127.0.0.1", "127.0.0.3"])
        assert ports == [port]
        st, leases = a.json("GET", "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases")
        ids = [l for l in leases["items"] if l["metadata"].get("labels", {}).get("apiserver.kubernetes.io/identity")]
        assert len(ids) == 2
        # B dies without a goodbye: it drops out once its entry expires
        b.kill9()
        wait_for(["127.0.0.1"])
        # a graceful stop leaves at once
        b.start(port=port)
        wait_for(["127.0.0.1", "127.0.0.3"])
        b.stop()
        ips, _ = addresses()
        assert ips == ["127.0.0.1"]
    finally:
        a.stop()
        b.stop()


def test_crd_on_one_instance_is_served_by_the_other(tmp_path, etcd):
    """Each instance's CRD controller follows etcd: a CRD created through A
    becomes an API on B, and B's writes of custom resources are seen by A."""
    from test_80_crd import GADGET_CRD, install
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    a = Kapi(str(tmp_path / "a"), ["--etcd-servers", etcd]).start()
    shutil.copytree(os.path.join(a.data_dir, "pki"), str(tmp_path / "b" / "pki"))
    b = Kapi(str(tmp_path / "b"), ["--etcd-servers", etcd]).start()
    try:
        install(a, GADGET_CRD, "gadgets.example.org")
        deadline = time.time() + 15
        while time.time() < deadline and b.json("GET", "/apis/example.org/v1alpha1/gadgets")[0] != 200:
            time.sleep(0.1)
        body = {"apiVersion": "example.org/v1alpha1", "kind": "Gadget", "metadata": {"name": "g"},
                "spec": {"level": 2}}
        st, obj = b.json("POST", "/apis/example.org/v1alpha1/gadgets", body)
        assert st == 201, obj
        st, got = a.json("GET", "/apis/example.org/v1alpha1/gadgets/g")
        assert st == 200 and got["spec"] == {"level": 2}
        body["spec"]["level"] = 99
        body["metadata"]["name"] = "bad"
        st, err = a.json("POST", "/apis/example.org/v1alpha1/gadgets", body)
        assert st == 422
        assert "gadget" in b.kubectl("api-resources", "--api-group=example.org", "-o", "name").stdout
    finally:
        b.stop()
        a.stop()


def test_consistent_reads_after_writes_by_other_etcd_clients(tmp_path, etcd):
    """Another client's writes outside kapi's prefix move etcd's revision
    without any event kapi watches; consistent reads still answer, through
    etcd progress notifications (without them they wait and end in 504)."""
    os.makedirs(tmp_path / "a")
    # no lease renewals: nothing else would move kapi's watch along
    a = Kapi(str(tmp_path / "a"), ["--etcd-servers", etcd, "--endpoint-reconciler-type", "none"]).start()
    try:
        etcdctl = shutil.which("etcdctl") or "/usr/bin/etcdctl"
        for i in range(3):
            subprocess.run([etcdctl, "--endpoints", etcd, "put", f"/not-kapi/key{i}", "v"], check=True,
                           capture_output=True, env=dict(os.environ, ETCDCTL_API="3"))
            st, ns = a.json("GET", "/api/v1/namespaces/default", timeout=30)
            assert st == 200, ns
            st, lst = a.json("GET", "/api/v1/namespaces", timeout=30)
            assert st == 200, lst
    finally:
        a.stop()


def test_tls_to_etcd(tmp_path):
    """--etcd-cafile/--etcd-certfile/--etcd-keyfile: kapi talks to an etcd
    that requires client certificates; without them it cannot."""
    d = tmp_path / "etcd-pki"
    d.mkdir()

    def ossl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / "ca.key"), "-out", str(d / "ca.crt"),
         "-days", "1", "-subj", "/CN=etcd-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(d / f"{name}.key"), "-out", str(d / f"{name}.csr"),
             "-subj", f"/CN={name}")
        (d / f"{name}.ext").write_text(ext + "\n")
        ossl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.crt"), "-CAkey", str(d / "ca.key"),
             "-CAcreateserial", "-out", str(d / f"{name}.crt"), "-days", "1", "-extfile", str(d / f"{name}.ext"))
    cport, pport = free_port(), free_port()
    proc = subprocess.Popen([ETCD, "--data-dir", str(tmp_path / "etcd"),
                             "--listen-client-urls", f"https://127.0.0.1:{cport}",
                             "--advertise-client-urls", f"https://127.0.0.1:{cport}",
                             "--listen-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-advertise-peer-urls", f"http://127.0.0.1:{pport}",
                             "--initial-cluster", f"default=http://127.0.0.1:{pport}",
                             "--cert-file", str(d / "server.crt"), "--key-file", str(d / "server.key"),
                             "--trusted-ca-file", str(d / "ca.crt"), "--client-cert-auth"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", cport), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"https://127.0.0.1:{cport}"
        os.makedirs(tmp_path / "k")
        k = Kapi(str(tmp_path / "k"), ["--etcd-servers", url, "--etcd-cafile", str(d / "ca.crt"),
                                       "--etcd-certfile", str(d / "client.crt"),
                                       "--etcd-keyfile", str(d / "client.key")]).start()
        try:
            assert k.json("POST", "/api/v1/namespaces/default/configmaps",
                          {"metadata": {"name": "over-tls"}, "data": {"a": "b"}})[0] == 201
            assert k.json("GET", "/api/v1/namespaces/default/configmaps/over-tls")[1]["data"] == {"a": "b"}
        finally:
            k.stop()
        # the data really is in that etcd, under kapi's prefix
        out = subprocess.run(["etcdctl", "--endpoints", url, "--cacert", str(d / "ca.crt"), "--cert",
                              str(d / "client.crt"), "--key", str(d / "client.key"), "get", "--keys-only",
                              "/registry/configmaps/default/over-tls"], capture_output=True, text=True,
                             env=dict(os.environ, ETCDCTL_API="3"))
        assert out.stdout.strip() == "/registry/configmaps/default/over-tls", out.stderr
        # without a client certificate etcd refuses, and kapi says so instead of serving
        os.makedirs(tmp_path / "n")
        n = Kapi(str(tmp_path / "n"), ["--etcd-servers", url, "--etcd-cafile", str(d / "ca.crt")])
        with pytest.raises(RuntimeError) as failed:
            n.start(timeout=15)
        n.stop()
        assert "kapi exited early" in str(failed.value) and "storage unavailable" in str(failed.value)
    finally:
        proc.kill()
        proc.wait()
