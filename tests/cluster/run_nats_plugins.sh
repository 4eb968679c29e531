#!/usr/bin/env bash
# Object store interop of the NATS blobstore backend (src/plugins/
# pl_nats_blob.c) with another client, npm `nats` (objstore_interop.mjs),
# against nats-server -js on a free loopback port (tests/cluster/nats.sh):
#   - Stratus writes (the unit test binary's client mode, test_plugins_nats
#     --put/--get/--del/--list), node reads byte-identical: a small object,
#     an empty one, a multi-chunk one (5 MiB + 17 bytes: 41 chunks), a name
#     with '/' and spaces; node sees the chunk count and a SHA-256 digest.
#     (Names are ASCII: npm nats base64-encodes a name's UTF-16 code units
#     as Latin-1 for its meta subject, Go and Stratus its UTF-8 bytes, so
#     non-ASCII names differ between those clients themselves.)
#   - node writes, Stratus reads: the same kinds;
#   - replace and delete across the two; both list the same names;
#   - buckets created by either side are used by the other.
#
#   tests/cluster/run_nats_plugins.sh [STRATUS]   (default build/stratus; the
#   client is the test_plugins_nats next to it: build/tests/ or build-san/tests/)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(realpath "${1:-$root/build/stratus}")
tool=$(dirname "$bin")/tests/test_plugins_nats
work=$(mktemp -d)
. "$root/tests/lib.sh"
. "$here/nats.sh"

[ -x "$tool" ] || { fail "client $tool exists (make unit)"; finish nats-plugins; }
command -v node >/dev/null || { fail "node is installed"; finish nats-plugins; }
nats_start "$work/nats" 2>"$work/nats-start.err" ||
  { fail "nats-server starts" "$(cat "$work/nats-start.err")"; finish nats-plugins; }
pass "nats-server -js on $nats_url"

n=0
# st NAME ARGS...: the Stratus client; stderr in $work/NAME.log (sanitizer check)
st() { local name=$1; shift; "$tool" "$1" "$nats_url" "${@:2}" 2>"$work/st-$name.log"; }
# js ARGS...: the npm nats client
js() { node "$here/objstore_interop.mjs" "$nats_url" "$@" 2>>"$work/node.err"; }
same() { detail="$(cmp "$1" "$2" 2>&1) $(tail -3 "$work"/st-*.log "$work/node.err" 2>/dev/null)"; cmp -s "$1" "$2"; }

printf 'hello object store\n' >"$work/small"
: >"$work/empty"
head -c $((5 * 1024 * 1024 + 17)) /dev/urandom >"$work/big"
head -c $((1024 * 1024)) /dev/urandom >"$work/mib"

# ---- Stratus writes, node reads (bucket created by Stratus) ----
for f in small empty big mib; do
  st put-$f --put s2n "obj-$f" "$work/$f"
  js get s2n "obj-$f" "$work/$f.node"
  check "Stratus writes $f ($(stat -c %s "$work/$f") bytes), npm nats reads it back" same "$work/$f" "$work/$f.node"
done
st put-name --put s2n "dir/a b.txt" "$work/small"
js get s2n "dir/a b.txt" "$work/name.node"
check "an object name with '/' and spaces (Stratus -> node)" same "$work/small" "$work/name.node"
info=$(js info s2n obj-big)
detail=$info
check "node sees 41 chunks of a 5 MiB + 17 bytes object and a SHA-256 digest" \
  eval '[[ "$info" == "5242897 41 SHA-256="*" false" ]]'

# ---- node writes, Stratus reads (bucket created by node) ----
for f in small empty big mib; do
  js put n2s "obj-$f" "$work/$f" >/dev/null
  st get-$f --get n2s "obj-$f" "$work/$f.st"
  check "npm nats writes $f, Stratus reads it back (digest checked)" same "$work/$f" "$work/$f.st"
done
js put n2s "dir/a b.txt" "$work/small" >/dev/null
st get-name --get n2s "dir/a b.txt" "$work/name.st"
check "an object name with '/' and spaces (node -> Stratus)" same "$work/small" "$work/name.st"

# ---- replace and delete across the two ----
st replace --put n2s obj-big "$work/small"
js get n2s obj-big "$work/rep.node"
check "Stratus replaces a node object (multi-chunk -> small): node reads the new bytes" same "$work/small" "$work/rep.node"
js put s2n obj-small "$work/mib" >/dev/null
st replace2 --get s2n obj-small "$work/rep.st"
check "node replaces a Stratus object: Stratus reads the new bytes" same "$work/mib" "$work/rep.st"
js delete s2n obj-mib
rc=0; st get-deleted --get s2n obj-mib "$work/deleted" || rc=$?
detail="exit $rc: $(cat "$work/st-get-deleted.log")"
check "node deletes, Stratus finds nothing" eval '[ $rc -ne 0 ] && grep -q "no object obj-mib" "$work/st-get-deleted.log"'
st del --del n2s obj-mib
rc=0; js get n2s obj-mib "$work/deleted2" || rc=$?
detail="exit $rc"
check "Stratus deletes, node finds nothing" test $rc -eq 3
st del-again --del n2s obj-mib
check "deleting a deleted object again is fine" test $? -eq 0

# ---- lists ----
for b in s2n n2s; do
  st list-$b --list "$b" >"$work/$b.st.list"
  js list "$b" >"$work/$b.node.list"
  detail="stratus: $(tr '\n' ' ' <"$work/$b.st.list") node: $(tr '\n' ' ' <"$work/$b.node.list")"
  check "both list the same names in $b" eval 'cmp -s "$work/$b.st.list" "$work/$b.node.list" && [ "$(wc -l <"$work/$b.st.list")" -eq 4 ]'
done

nats_stop
no_sanitizer_reports
finish nats-plugins
