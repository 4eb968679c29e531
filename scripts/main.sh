#!/usr/bin/env bash
# The main job on the embedded default: set up, build, and run an example
# workload with `stratus dev`: examples/kv-counter-js, a JavaScript HTTP
# component (componentize-js) counting visits in the workload's key-value
# store (wasi:keyvalue, the built-in plugin on its memory backend), a fresh
# sandbox per request. Edit examples/kv-counter-js/app.js while it runs:
# it rebuilds and reloads.
#
#   scripts/main.sh            serve on 127.0.0.1:8000 until Ctrl-C
#   scripts/main.sh --once     serve, answer two example requests, stop
#   ADDR=0.0.0.0:8080 scripts/main.sh
set -euo pipefail
cd "$(dirname "$0")/.."
once=0
[ "${1:-}" = --once ] && once=1
addr=${ADDR:-127.0.0.1:8000}
scripts/setup.sh
make -j2

app=examples/kv-counter-js
echo "== building $app into a component (componentize-js)"
"$app/build.sh"

echo "== stratus dev $app/workload.yaml"
log=build/examples/main.log
: >"$log"
build/stratus dev --address "$addr" --build "$app/build.sh" "$app/workload.yaml" 2> >(tee "$log" >&2) &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
url="http://$addr"
until grep -q " on http://" "$log"; do # its start line: listening
  kill -0 $server 2>/dev/null || { wait $server; exit 1; }
  sleep 0.1
done
for i in 1 2; do
  echo "== curl $url/"
  curl -s -m 10 "$url/"
done
if [ $once = 1 ]; then
  kill -TERM $server
  wait $server
  exit 0
fi
echo "== serving on $url/ (Ctrl-C stops; editing $app/app.js reloads)"
wait $server
