"""Encryption at rest (--encryption-provider-config): the stored bytes in the
embedded store carry upstream's k8s:enc:<provider>:v1:<key>: format, reads
decrypt, key rotation keeps old data readable, unlisted resources stay
plaintext, and a bad configuration stops kapi with upstream's message."""
import base64
import json
import os
import sqlite3

import pytest

KEY1 = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
KEY2 = base64.b64encode(b"abcdefghijklmnopqrstuvwxyz012345").decode()
PLAIN = "c3VwZXItc2VjcmV0LXZhbHVl"  # base64 of the secret value, as the API stores it

AESCBC = f"""apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: {KEY1}
      - identity: {{}}
"""

ROTATED = f"""apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aesgcm:
          keys:
            - name: key2
              secret: {KEY2}
      - aescbc:
          keys:
            - name: key1
              secret: {KEY1}
"""


def raw_value(k, key):
    """The newest stored bytes of a key, read from the embedded store's file."""
    db = sqlite3.connect(f"file:{os.path.join(k.data_dir, 'db', 'kapi.db')}?mode=ro", uri=True, timeout=10)
    try:
        row = db.execute("SELECT value FROM kv WHERE key = ? ORDER BY rev DESC LIMIT 1",
                         (key.encode(),)).fetchone()
    finally:
        db.close()
    assert row is not None, key
    return bytes(row[0]) if row[0] is not None else None


def secret_data(k, name):
    p = k.kubectl("get", "secret", name, "-n", "default", "-o", "json")
    return json.loads(p.stdout)["data"]


def test_encryption_at_rest_and_rotation(fresh_kapi, tmp_path):
    cfg = tmp_path / "enc.yaml"
    cfg.write_text(AESCBC)
    k = fresh_kapi("--encryption-provider-config", str(cfg)).start()

    k.kubectl("create", "secret", "generic", "s1", "-n", "default", "--from-literal=password=super-secret-value")
    k.kubectl("create", "configmap", "c1", "-n", "default", "--from-literal=note=plain-config-value")

    raw = raw_value(k, "/registry/secrets/default/s1")
    assert raw.startswith(b"k8s:enc:aescbc:v1:key1:")
    assert PLAIN.encode() not in raw and b"super-secret-value" not in raw
    assert b'"name":"s1"' not in raw
    # 16-byte IV plus whole AES blocks
    assert (len(raw) - len(b"k8s:enc:aescbc:v1:key1:")) % 16 == 0
    assert secret_data(k, "s1") == {"password": PLAIN}
    status, body = k.json("GET", "/api/v1/namespaces/default/secrets/s1")
    assert status == 200 and body["data"]["password"] == PLAIN

    # updates go through compare-and-swap on encrypted values
    k.kubectl("label", "secret", "s1", "-n", "default", "tier=gold")
    raw2 = raw_value(k, "/registry/secrets/default/s1")
    assert raw2.startswith(b"k8s:enc:aescbc:v1:key1:") and raw2 != raw
    status, body = k.json("GET", "/api/v1/namespaces/default/secrets/s1")
    assert body["metadata"]["labels"] == {"tier": "gold"}

    # configmaps are not listed: stored as they are
    craw = raw_value(k, "/registry/configmaps/default/c1")
    assert not craw.startswith(b"k8s:enc:")
    assert b"plain-config-value" in craw

    # rotation: a new aesgcm key first, the old aescbc key second
    assert k.stop() == 0
    cfg.write_text(ROTATED)
    k.start()
    assert secret_data(k, "s1") == {"password": PLAIN}
    k.kubectl("create", "secret", "generic", "s2", "-n", "default", "--from-literal=password=super-secret-value")
    raw = raw_value(k, "/registry/secrets/default/s2")
    assert raw.startswith(b"k8s:enc:aesgcm:v1:key2:")
    assert PLAIN.encode() not in raw
    assert raw_value(k, "/registry/secrets/default/s1").startswith(b"k8s:enc:aescbc:v1:key1:")
    # rewriting the old secret moves it to the new key
    k.kubectl("label", "secret", "s1", "-n", "default", "tier=silver", "--overwrite")
    assert raw_value(k, "/registry/secrets/default/s1").startswith(b"k8s:enc:aesgcm:v1:key2:")
    names = sorted(i["metadata"]["name"] for i in
                   json.loads(k.kubectl("get", "secrets", "-n", "default", "-o", "json").stdout)["items"]
                   if i["metadata"]["name"] in ("s1", "s2"))
    assert names == ["s1", "s2"]
    assert json.loads(k.kubectl("get", "configmap", "c1", "-n", "default", "-o", "json").stdout)["data"] == {
        "note": "plain-config-value"}
    k.kubectl("delete", "secret", "s2", "-n", "default")
    status, _ = k.json("GET", "/api/v1/namespaces/default/secrets/s2")
    assert status == 404


def test_plaintext_written_before_encryption_reads(fresh_kapi, tmp_path):
    k = fresh_kapi().start()
    k.kubectl("create", "secret", "generic", "old", "-n", "default", "--from-literal=password=super-secret-value")
    assert b"super-secret-value" not in raw_value(k, "/registry/secrets/default/old")  # base64 in the object
    assert PLAIN.encode() in raw_value(k, "/registry/secrets/default/old")
    assert k.stop() == 0
    cfg = tmp_path / "enc.yaml"
    cfg.write_text(AESCBC)  # identity second: old plaintext stays readable
    k.extra_args = ["--encryption-provider-config", str(cfg)]
    k.start()
    assert secret_data(k, "old") == {"password": PLAIN}
    k.kubectl("create", "secret", "generic", "new", "-n", "default", "--from-literal=a=b")
    assert raw_value(k, "/registry/secrets/default/new").startswith(b"k8s:enc:aescbc:v1:key1:")


@pytest.mark.parametrize("config,message", [
    (AESCBC.replace(KEY1, base64.b64encode(b"12345678").decode()),
     'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": '
     "secret is not of the expected length, got 8, expected one of [16 24 32]"),
    (AESCBC.replace("aescbc", "aesxyz"),
     'strict decoding error: unknown field "resources[0].providers[0].aesxyz"'),
    (AESCBC.replace("- secrets", "- secrets\n      - secrets"),
     'resources[0].resources: Invalid value: []string{"secrets", "secrets"}: '
     "the same resource cannot be specified multiple times"),
])
def test_bad_config_stops_kapi(fresh_kapi, tmp_path, config, message):
    cfg = tmp_path / "enc.yaml"
    cfg.write_text(config)
    k = fresh_kapi("--encryption-provider-config", str(cfg))
    with pytest.raises(RuntimeError) as e:
        k.start()
    assert "error while parsing file: " in str(e.value)
    assert message in str(e.value)
    assert k.proc is None or k.proc.poll() == 1
