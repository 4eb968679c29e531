# tests/cluster/procs.sh: what the throwaway servers of nats.sh and
# registry.sh share (sourced by them).
#
#   free_port          a free loopback TCP port.
#   terminate PID      SIGTERM, wait (SIGKILL after 5 s).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

terminate() {
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  return 0
}
