#!/usr/bin/env bash
# Short libFuzzer run of every target given (FUZZ_SECONDS each, default 20),
# seeded from tests/fuzz/corpus/<target>/ when present.
set -u
secs=${FUZZ_SECONDS:-20}
rc=0
for f in "$@"; do
  name=$(basename "$f")
  work=$(mktemp -d)
  seeds=tests/fuzz/corpus/$name
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
  if "$f" -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=0 "$work" >"$work.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$work.log" | awk '{print $2}')$(grep -oE 'Done [0-9]+ runs' "$work.log" | tail -1))"
  else
    echo "fuzz $name: FAILED"; tail -60 "$work.log"; rc=1
  fi
  rm -rf "$work" "$work.log"
done
exit $rc
