#!/usr/bin/env bash
# Installs the Debian 12 packages kapi builds, tests and benchmarks with.
# Idempotent and quick when everything is present.
set -euo pipefail
pkgs=(build-essential clang libclang-rt-14-dev libssl-dev libsqlite3-dev libyaml-dev libnghttp2-dev libsodium-dev libpcre2-dev
      libcmocka-dev openssl curl python3 python3-kubernetes python3-pytest python3-yaml
      etcd-server etcd-client nginx-light wrk)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# kubectl is expected on the machine (/usr/bin/kubectl); say so clearly if not.
command -v kubectl >/dev/null || echo "warning: kubectl not found; e2e tests need it" >&2
