#!/usr/bin/env bash
# End-to-end tests: real build/kapi driven by kubectl, the official Python
# client and raw HTTPS (pytest, with Debian's /usr/bin/python3 so that
# python3-kubernetes is the client under test).
set -u
cd "$(dirname "$0")/.."
exec /usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE tests/e2e "$@"
