#!/usr/bin/env bash
# Instructions per codec operation (bench/codec_bench.c under valgrind's
# callgrind): unlike nanoseconds, this does not move with the other tenants
# of a shared machine, so it is what to compare between commits. Each figure
# is (count at 3000 iterations - count at 1000) / 2000, which cancels
# start-up. Needs `make` first and valgrind (Debian: valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp /tmp/codec_bench.XXXXXX)
trap 'rm -f $bin $bin.cg' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -pthread -Isrc -o $bin bench/codec_bench.c build/libkapi.a \
   -lssl -lcrypto -lsqlite3 -lyaml -lnghttp2 -lsodium -lm
count() {
  valgrind --tool=callgrind --callgrind-out-file=$bin.cg $bin "$1" "$2" 2>&1 >/dev/null |
    grep -o 'Collected : [0-9]*' | grep -o '[0-9]*'
}
echo "| operation | instructions per op |"
echo "|---|---|"
# label filter (a substring of codec_bench's labels) = what the row says
for row in "JSON decode (=JSON decode" "typed check=JSON decode + typed check" "JSON encode=JSON encode" \
           "protobuf encode=protobuf encode" "protobuf decode=protobuf decode"; do
  op=${row%%=*}
  a=$(count 1000 "$op"); b=$(count 3000 "$op")
  echo "| ${row#*=} | $(( (b - a) / 2000 )) |"
done
