"""Start-up, flags, data directories and graceful shutdown."""
import os
import signal
import subprocess
import threading
import time

from conftest import KAPI


def run_kapi(*args, timeout=10):
    return subprocess.run([KAPI, *args], capture_output=True, text=True, timeout=timeout)


def test_unknown_flag_fails_clearly(tmp_path):
    p = run_kapi("--data-dir", str(tmp_path), "--no-such-flag=1")
    assert p.returncode == 2 and "unknown flag: --no-such-flag" in p.stderr


def test_bad_flag_value(tmp_path):
    p = run_kapi("--data-dir", str(tmp_path), "--secure-port", "http")
    assert p.returncode == 2 and 'invalid argument "http" for "--secure-port"' in p.stderr


def test_missing_data_dir_flag():
    p = run_kapi()
    assert p.returncode == 2 and "--data-dir is required" in p.stderr


def test_unusable_data_dir(tmp_path):
    f = tmp_path / "file"
    f.write_text("not a dir")
    p = run_kapi("--data-dir", str(f), "--secure-port", "0")
    assert p.returncode == 1 and "data-dir" in p.stderr


def test_port_in_use(fresh_kapi, tmp_path):
    k = fresh_kapi().start()
    p = run_kapi("--data-dir", str(tmp_path / "other"), "--secure-port", str(k.port), timeout=30)
    assert p.returncode == 1 and "listen" in p.stderr, (p.returncode, p.stderr)


def test_data_dir_layout_and_reuse(fresh_kapi):
    k = fresh_kapi().start()
    for f in ("pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "pki/admin.crt", "admin.kubeconfig"):
        assert os.path.exists(os.path.join(k.data_dir, f)), f
    assert oct(os.stat(os.path.join(k.data_dir, "pki/ca.key")).st_mode & 0o777) == "0o600"
    ca = open(os.path.join(k.data_dir, "pki/ca.crt")).read()
    k.stop()
    k.start()
    assert open(os.path.join(k.data_dir, "pki/ca.crt")).read() == ca
    assert k.kubectl("get", "ns", "default", "-o", "name").stdout.strip() == "namespace/default"


def test_sigterm_finishes_inflight_and_readyz_goes_false(fresh_kapi):
    k = fresh_kapi("--shutdown-grace-period", "10s", "--shutdown-delay-duration", "2s").start()
    # An in-flight request: a watch that would run for 30 s.
    result = {}

    def watch():
        result["resp"] = k.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=30", timeout=60)

    t = threading.Thread(target=watch)
    t.start()
    time.sleep(0.5)
    t0 = time.time()
    k.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    st, _, body = k.request("GET", "/readyz?verbose", client_cert=False)
    assert st == 500 and b"[-]shutdown failed: reason withheld" in body and body.endswith(b"readyz check failed\n")
    assert k.request("GET", "/livez", client_cert=False)[0] == 200
    t.join(40)
    assert "resp" in result and result["resp"][0] == 200
    assert k.proc.wait(30) == 0
    assert time.time() - t0 < 25
    assert "kapi stopped" in k.read_log()


def test_request_logging_follows_verbosity(fresh_kapi):
    quiet = fresh_kapi().start()  # -v=1 from the harness
    quiet.request("GET", "/api/v1/namespaces")
    assert "GET /api/v1/namespaces" not in quiet.read_log()
    loud = fresh_kapi("-v=2").start()
    loud.request("GET", "/api/v1/namespaces?limit=1")
    time.sleep(0.2)
    log = loud.read_log()
    assert "GET /api/v1/namespaces?limit=1 user=kubernetes-admin" in log
