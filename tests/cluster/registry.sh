# tests/cluster/registry.sh: a throwaway OCI registry for tests (sourced,
# not run): Debian's docker-registry (distribution 2.8) on a free loopback
# port, storing into a temporary directory.
#
#   registry_start DIR [HTPASSWD]   starts it with storage under DIR/storage,
#                                   config and log in DIR; with HTPASSWD
#                                   (a file registry_htpasswd wrote) it wants
#                                   basic credentials. Sets $registry_addr
#                                   (127.0.0.1:PORT), $registry_pid,
#                                   $registry_root (the storage directory);
#                                   false when it did not come up in 15 s.
#   registry_stop                   SIGTERM, wait (SIGKILL after 5 s).
#   registry_restart                the same registry again (same port and
#                                   storage) after registry_stop.
#   registry_blob_file DIGEST       the file holding a blob in the storage
#                                   (to tamper with it).
#   registry_htpasswd FILE USER PASS   appends a bcrypt line (perl's crypt,
#                                   which is glibc's libcrypt: $2b$ hashes).
#   free_port                       a free loopback TCP port (procs.sh).
#
# The registry's pid joins lib.sh's $pids (killed at exit) when lib.sh is
# sourced first.

. "$(dirname "${BASH_SOURCE[0]}")/procs.sh"

registry_htpasswd() {
  local salt hash
  # 22 characters of bcrypt's base64 alphabet make the salt.
  salt=$(head -c 512 /dev/urandom | tr -dc './A-Za-z0-9' | head -c 22)
  [ ${#salt} -eq 22 ] || salt=abcdefghijklmnopqrstuv
  hash=$(perl -e 'print crypt($ARGV[0], "\$2b\$05\$" . $ARGV[1])' "$3" "$salt")
  case $hash in
    '$2b$05$'*) echo "$2:$hash" >>"$1" ;;
    *) echo "registry_htpasswd: this libcrypt cannot make bcrypt hashes" >&2; return 1 ;;
  esac
}

# _registry_run: (re)starts the registry from $registry_dir/config.yml.
_registry_run() {
  docker-registry serve "$registry_dir/config.yml" >>"$registry_dir/registry.log" 2>&1 &
  registry_pid=$!
  if declare -p pids >/dev/null 2>&1; then pids+=("$registry_pid"); fi
  local code
  for _ in $(seq 1 150); do
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://$registry_addr/v2/")
    case $code in 200 | 401) return 0 ;; esac
    kill -0 "$registry_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

registry_start() {
  registry_dir=$1
  local auth=${2:-} port tries
  command -v docker-registry >/dev/null || { echo "registry_start: docker-registry is not installed" >&2; return 1; }
  mkdir -p "$registry_dir/storage"
  registry_root=$registry_dir/storage
  # A port bound and released can be taken again before the registry
  # binds it: a few attempts.
  for tries in 1 2 3; do
    port=$(free_port) || return 1
    registry_addr=127.0.0.1:$port
    {
      echo "version: 0.1"
      echo "log:"
      echo "  level: warn"
      echo "  accesslog:"
      echo "    disabled: true"
      echo "storage:"
      echo "  filesystem:"
      echo "    rootdirectory: $registry_root"
      echo "  delete:"
      echo "    enabled: true"
      echo "http:"
      echo "  addr: $registry_addr"
      echo "  secret: stratus-test-secret"
      if [ -n "$auth" ]; then
        echo "auth:"
        echo "  htpasswd:"
        echo "    realm: stratus-test"
        echo "    path: $auth"
      fi
    } >"$registry_dir/config.yml"
    _registry_run && return 0
    kill -9 "$registry_pid" 2>/dev/null
    wait "$registry_pid" 2>/dev/null
  done
  echo "registry_start: docker-registry did not come up: $(tail -3 "$registry_dir/registry.log")" >&2
  return 1
}

registry_stop() {
  [ -n "${registry_pid:-}" ] || return 0
  terminate "$registry_pid"
  registry_pid=
  return 0
}

registry_restart() { _registry_run; }

registry_blob_file() {
  local hex=${1#sha256:}
  echo "$registry_root/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
}
