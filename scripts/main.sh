#!/usr/bin/env bash
# The main job on the embedded default: set up, build, and serve an example
# HTTP component (examples/http-hello-js, JavaScript made a component with
# componentize-js) with `stratus serve`, a fresh sandbox per request.
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

out=build/examples
mkdir -p "$out"
app=examples/http-hello-js
comp=$out/http-hello-js.component.wasm
hash=$(cat "$app/app.js" "$app/world.wit" scripts/componentize.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$comp" ] || [ "$(cat "$comp.sha256" 2>/dev/null)" != "$hash" ]; then
  echo "== building $app into a component (componentize-js)"
  scripts/componentize.sh "$app/app.js" "$app/world.wit" hello "$comp"
  echo "$hash" >"$comp.sha256"
fi

echo "== stratus serve $comp"
build/stratus serve --addr "$addr" "$comp" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM
url="http://$addr"
for _ in $(seq 1 100); do
  curl -s -m 2 -o /dev/null "$url/" && break
  kill -0 $server 2>/dev/null || { wait $server; exit 1; }
  sleep 0.1
done
echo "== curl $url/?name=Stratus"
curl -s -m 10 "$url/?name=Stratus"
echo "== curl $url/docs"
curl -s -m 10 "$url/docs"
if [ $once = 1 ]; then
  kill -TERM $server
  wait $server
  exit 0
fi
echo "== serving on $url/ (Ctrl-C stops)"
wait $server
