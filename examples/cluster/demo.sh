#!/usr/bin/env bash
# examples/cluster/demo.sh: a one-machine cluster, start to finish, on
# loopback: nats-server -js and Debian's docker-registry on free ports,
# one `stratus host`, the keyvalue counter pushed with `stratus oci push`,
# placed with `stratus ctl start`, asked twice over HTTP (its counter lives
# in JetStream), then stopped. Run from anywhere, after scripts/setup.sh:
#   examples/cluster/demo.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$root/build/stratus
work=$(mktemp -d /tmp/stratus-cluster-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
. "$root/tests/cluster/nats.sh"
. "$root/tests/cluster/registry.sh"
die() { echo "demo: $*" >&2; exit 1; }

make -C "$root" -j2 --no-print-directory >/dev/null || die "build failed"
"$here/../kv-counter-c/build.sh" "$work/counter.wasm" >/dev/null || die "building the component failed"

nats_start "$work/nats" || die "nats-server did not start"
registry_start "$work/registry" || die "docker-registry did not start"
echo "nats at $nats_url, registry at $registry_addr"

"$bin" host --scheduler-nats-url "$nats_url" --data-nats-url "$nats_url" \
  --http-addr 127.0.0.1:0 --allow-insecure-registries --oci-cache-dir "$work/oci" \
  --heartbeat-interval 1s --label demo=yes 2>"$work/host.log" &
pids+=($!)
for _ in $(seq 1 100); do
  addr=$(sed -n 's|.*on http://\([^/]*\)/.*|\1|p' "$work/host.log" | head -1)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || die "stratus host did not come up: $(cat "$work/host.log")"
echo "stratus host serving HTTP on $addr"

ref=$registry_addr/demo/counter:v1
"$bin" oci push --insecure "$ref" "$work/counter.wasm" || die "push failed"
sed "s|IMAGE|$ref|" "$here/workload.yaml" >"$work/workload.yaml"
export STRATUS_NATS_URL=$nats_url XDG_STATE_HOME=$work/state
"$bin" ctl hosts --expect 1 --wait 5s
out=$("$bin" ctl start --selector demo=yes "$work/workload.yaml") || die "start failed: $out"
echo "$out"
id=$(awk '{print $1; exit}' <<<"$out")
for _ in 1 2; do curl -s -H "Host: counter.localhost" "http://$addr/"; done
"$bin" ctl status "$id"
"$bin" ctl stop "$id"
