# tests/cluster/nats.sh: a throwaway NATS server with JetStream for tests
# (sourced, not run): `nats-server -js` on a free loopback port, its store
# in a directory of the test.
#
#   nats_start DIR     starts it with the JetStream store in DIR/js and its
#                      log in DIR/nats-server.log (DIR is created); waits
#                      (15 s at most) until it accepts connections. Sets
#                      $nats_url (nats://127.0.0.1:PORT), $nats_port,
#                      $nats_pid; false when it did not come up.
#   nats_stop          SIGTERM, wait (SIGKILL after 5 s).
#   nats_kill          SIGKILL, wait: the crash case.
#   nats_restart       the same server again (same port and store) after
#                      nats_stop or nats_kill; false when it did not come up.
#   free_port          a free loopback TCP port (procs.sh).
#
# The server's pid joins lib.sh's $pids (killed at exit) when lib.sh is
# sourced first.

. "$(dirname "${BASH_SOURCE[0]}")/procs.sh"

# Whether something accepts on 127.0.0.1:$1.
nats_port_open() {
  python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(0.5); s.connect(("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null
}

nats_run() {
  nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$nats_dir/js" >>"$nats_dir/nats-server.log" 2>&1 &
  nats_pid=$!
  if declare -p pids >/dev/null 2>&1; then pids+=("$nats_pid"); fi
  for _ in $(seq 1 150); do
    nats_port_open "$nats_port" && return 0
    kill -0 "$nats_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

nats_start() {
  command -v nats-server >/dev/null || { echo "nats-server is not installed" >&2; return 1; }
  nats_dir=$1
  mkdir -p "$nats_dir/js" || return 1
  nats_port=$(free_port) || return 1
  nats_url="nats://127.0.0.1:$nats_port"
  nats_run
}

nats_stop() {
  [ -n "${nats_pid:-}" ] || return 0
  terminate "$nats_pid"
  nats_pid=
  return 0
}

nats_kill() {
  [ -n "${nats_pid:-}" ] || return 0
  kill -9 "$nats_pid" 2>/dev/null
  wait "$nats_pid" 2>/dev/null
  nats_pid=
  return 0
}

nats_restart() {
  nats_stop
  # the port was ours a moment ago; wait until the kernel lets go of it
  for _ in $(seq 1 50); do
    nats_port_open "$nats_port" || break
    sleep 0.1
  done
  nats_run
}
