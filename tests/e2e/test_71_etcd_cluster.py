"""High availability: three kapi instances on a three-member etcd cluster.
Writes through one instance are read and watched through the others;
compaction turns a read at an old revision into 410; kill -9 of the etcd leader and of a
kapi instance under write load loses no acknowledged write, and no instance
ever shows a resourceVersion going backwards."""
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from conftest import Kapi
from test_70_etcd import ETCD, free_port

NS = "ha"


class EtcdCluster:
    def __init__(self, base):
        self.base = base
        self.members = []
        for i in range(3):
            self.members.append({"name": f"m{i}", "client": free_port(), "peer": free_port(), "proc": None})
        self.initial = ",".join(f"{m['name']}=http://127.0.0.1:{m['peer']}" for m in self.members)

    def start(self):
        for m in self.members:
            m["proc"] = subprocess.Popen(
                [ETCD, "--name", m["name"], "--data-dir", os.path.join(self.base, m["name"]),
                 "--listen-client-urls", f"http://127.0.0.1:{m['client']}",
                 "--advertise-client-urls", f"http://127.0.0.1:{m['client']}",
                 "--listen-peer-urls", f"http://127.0.0.1:{m['peer']}",
                 "--initial-advertise-peer-urls", f"http://127.0.0.1:{m['peer']}",
                 "--initial-cluster", self.initial, "--initial-cluster-state", "new",
                 "--initial-cluster-token", "kapi-e2e", "--heartbeat-interval", "50",
                 "--election-timeout", "500"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.leader() is not None:
                return self
            time.sleep(0.2)
        raise RuntimeError("etcd cluster elected no leader")

    def status(self, m):
        req = urllib.request.Request(f"http://127.0.0.1:{m['client']}/v3/maintenance/status", data=b"{}",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=1) as resp:
            return json.loads(resp.read())

    def leader(self):
        """The member that is leader, as the live members agree on it."""
        for m in self.members:
            if m["proc"] is None or m["proc"].poll() is not None:
                continue
            try:
                st = self.status(m)
            except OSError:
                continue
            if st.get("leader") and st["leader"] == st["header"]["member_id"]:
                return m
        return None

    def urls(self):
        return ",".join(f"http://127.0.0.1:{m['client']}" for m in self.members)

    def kill9(self, m):
        m["proc"].send_signal(signal.SIGKILL)
        m["proc"].wait()

    def stop(self):
        for m in self.members:
            if m["proc"] and m["proc"].poll() is None:
                m["proc"].kill()
                m["proc"].wait()


@pytest.fixture
def cluster(tmp_path):
    if not os.path.exists(ETCD):
        pytest.fail("etcd is not installed (Debian etcd-server); make test installs it")
    c = EtcdCluster(str(tmp_path / "etcd")).start()
    yield c
    c.stop()


def start_instances(tmp_path, cluster, n=3):
    out = []
    for i in range(n):
        d = tmp_path / f"k{i}"
        d.mkdir()
        if out:
            shutil.copytree(os.path.join(out[0].data_dir, "pki"), str(d / "pki"))
        out.append(Kapi(str(d), ["--etcd-servers", cluster.urls(), "--etcd-compaction-interval", "2s"]).start())
    return out


def rv_of(k, path):
    try:
        st, body = k.json("GET", path, timeout=10)
    except OSError:
        return None
    return int(body["metadata"]["resourceVersion"]) if st == 200 else None


def test_three_instances_three_etcd_members(tmp_path, cluster):
    a, b, c = start_instances(tmp_path, cluster)
    instances = [a, b, c]
    try:
        a.kubectl("create", "namespace", NS)
        # a namespace made through a takes creates through b at once (b's
        # cache may not have it yet: b looks again after catching up)
        for i in range(3):
            ns = f"{NS}-x{i}"
            assert a.json("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})[0] == 201
            st, body = b.json("POST", f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": "first"}})
            assert st == 201, body
        # writes through a, read and watched through b and c
        events = []

        def watch():
            st, hdrs, body = c.request("GET", f"/api/v1/namespaces/{NS}/configmaps?watch=1&timeoutSeconds=4",
                                       timeout=20)
            events.extend(json.loads(l) for l in body.decode().splitlines())

        t = threading.Thread(target=watch)
        t.start()
        time.sleep(0.8)
        for i in range(5):
            assert a.json("POST", f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": f"w{i}"}})[0] == 201
        lst = json.loads(b.kubectl("get", "cm", "-n", NS, "-o", "json").stdout)
        assert {f"w{i}" for i in range(5)} <= {i["metadata"]["name"] for i in lst["items"]}
        t.join(20)
        added = [e["object"]["metadata"]["name"] for e in events
                 if e["type"] == "ADDED" and e["object"]["metadata"]["name"].startswith("w")]
        assert added == [f"w{i}" for i in range(5)]
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events if e["type"] == "ADDED"]
        assert rvs == sorted(rvs)

        # compaction (every 2 s, by one instance at a time) expires old revisions for every instance
        old_rv = rvs[0]
        path = f"/api/v1/namespaces/{NS}/configmaps?resourceVersion={old_rv}&resourceVersionMatch=Exact"
        deadline = time.time() + 30
        while time.time() < deadline:
            st, body = b.json("GET", path)
            if st == 410:
                break
            time.sleep(0.5)
        assert st == 410 and body["reason"] == "Expired"
        assert c.json("GET", path)[0] == 410

        # write load through all three while the etcd leader and then instance c die
        acked = []
        lock = threading.Lock()
        stop = threading.Event()
        backwards = []

        def writer(w):
            n = 0
            while not stop.is_set():
                k = instances[(w + n) % 3]
                name = f"load-{w}-{n}"
                n += 1
                try:
                    st, _ = k.json("POST", f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": name}},
                                   timeout=10)
                except OSError:
                    continue
                if st == 201:
                    with lock:
                        acked.append(name)

        def reader(k):
            last = 0
            while not stop.is_set():
                rv = rv_of(k, f"/api/v1/namespaces/{NS}/configmaps?limit=1")
                if rv is not None:
                    if rv < last:
                        backwards.append((k.port, last, rv))
                    last = rv
                time.sleep(0.02)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        threads += [threading.Thread(target=reader, args=(k,)) for k in (a, b)]
        for th in threads:
            th.start()
        time.sleep(1.5)
        leader = cluster.leader()
        assert leader is not None
        cluster.kill9(leader)
        time.sleep(2.5)
        c.kill9()
        time.sleep(2.5)
        stop.set()
        for th in threads:
            th.join(30)
        assert not backwards, backwards
        assert len(acked) > 20, "too few writes were acknowledged to mean anything"
        # every acknowledged write is there, as seen through both survivors
        for k in (a, b):
            deadline = time.time() + 20
            while time.time() < deadline:
                st, lst = k.json("GET", f"/api/v1/namespaces/{NS}/configmaps")
                names = {i["metadata"]["name"] for i in lst["items"]} if st == 200 else set()
                if set(acked) <= names:
                    break
                time.sleep(0.3)
            missing = set(acked) - names
            assert not missing, f"instance {k.port} lost acknowledged writes: {sorted(missing)[:10]}"
        # the survivors still take writes on the two remaining etcd members
        assert b.json("POST", f"/api/v1/namespaces/{NS}/configmaps", {"metadata": {"name": "after"}})[0] == 201
        assert a.json("GET", f"/api/v1/namespaces/{NS}/configmaps/after")[0] == 200
    finally:
        for k in instances:
            if k.proc and k.proc.poll() is None:
                k.stop()
