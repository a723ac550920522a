#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the service, its tests and CI.
#
#   sudo bash scripts/ensure-docker-engine.sh               engine only
#   sudo bash scripts/ensure-docker-engine.sh --with-runsc  engine + gVisor runtime "runsc"
#
# - Engine up already: says so and changes nothing.
# - Engine down: installs Debian's docker.io if dockerd is missing, starts dockerd in the
#   background (machines here have no init system to do it) and waits for it to answer.
# - --with-runsc: installs Debian's runsc if missing and registers it in daemon.json as the
#   runtime "runsc", merged into whatever is there. A running engine is asked to reload its
#   configuration (SIGHUP; runtimes are reloadable, running containers are not touched); only a
#   dockerd this script started is restarted when the reload is not enough.
#
# Settings (environment), mainly so that the logic can be tried on a scratch engine:
#   DOCKER_HOST          engine address (default unix:///var/run/docker.sock); a dockerd started
#                        here listens on it when it is a unix:// address
#   DOCKER_DAEMON_JSON   daemon configuration file (default /etc/docker/daemon.json)
#   DOCKERD_PIDFILE      dockerd's pid file (default /var/run/docker.pid)
#   DOCKERD_LOG          dockerd's log when started here (default /tmp/dockerd.log)
#   DOCKERD_EXTRA_ARGS   more dockerd arguments, split on spaces (e.g. --data-root DIR)
#   DOCKERD_WAIT_SECONDS how long to wait for a started engine to answer (default 60)
set -euo pipefail

DOCKER_ADDRESS=${DOCKER_HOST:-unix:///var/run/docker.sock}
DAEMON_JSON=${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}
PIDFILE=${DOCKERD_PIDFILE:-/var/run/docker.pid}
# Holds the pid of a dockerd this script started: only that one may be restarted.
STARTED_MARKER="${PIDFILE}.started-by-ensure-docker-engine"
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
WAIT_SECONDS=${DOCKERD_WAIT_SECONDS:-60}
RUNSC_PATH=/usr/bin/runsc

WITH_RUNSC=0
APT_UPDATED=0

say() { echo "[ensure-docker-engine] $*"; }
die() {
  echo "[ensure-docker-engine] ERROR: $*" >&2
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root: run this script with sudo"
}

# Spelled out so that a host whose apt configuration relaxed them still refuses unsigned
# repositories and unauthenticated packages here (the engine and runtime run as root).
APT_VERIFY_OPTIONS=(
  -o Acquire::AllowInsecureRepositories=false
  -o Acquire::AllowDowngradeToInsecureRepositories=false
  -o APT::Get::AllowUnauthenticated=false
)

apt_install() {
  require_root "installing $*"
  command -v apt-get >/dev/null || die "apt-get not found: install $* with this system's package manager"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$APT_UPDATED" -eq 0 ]; then
    say "apt-get update"
    apt-get -q "${APT_VERIFY_OPTIONS[@]}" update
    APT_UPDATED=1
  fi
  say "apt-get install -y $*"
  apt-get -q "${APT_VERIFY_OPTIONS[@]}" install -y "$@"
}

# ---- engine ---------------------------------------------------------------------------------

# curl needs the socket path itself, not the unix:// address.
unix_socket() {
  case "$DOCKER_ADDRESS" in
    unix://*) echo "${DOCKER_ADDRESS#unix://}" ;;
    *) echo "" ;;
  esac
}

# GET an engine endpoint with curl (used when the docker CLI is not installed).
engine_get() {
  local socket
  socket=$(unix_socket)
  if [ -n "$socket" ]; then
    curl -sf --max-time 10 --unix-socket "$socket" "http://localhost$1"
  else
    curl -sf --max-time 10 "${DOCKER_ADDRESS/tcp:\/\//http://}$1"
  fi
}

engine_up() {
  if command -v docker >/dev/null; then
    timeout 15 docker info >/dev/null 2>&1
  else
    engine_get /_ping >/dev/null 2>&1
  fi
}

runsc_registered() {
  if command -v docker >/dev/null; then
    # shellcheck disable=SC2016 # a Go template for docker, not for the shell
    timeout 15 docker info --format '{{range $name, $_ := .Runtimes}}{{$name}} {{end}}' 2>/dev/null |
      tr ' ' '\n' | grep -qx runsc
  else
    engine_get /info 2>/dev/null | grep -q '"runsc"'
  fi
}

# Pid of the running dockerd according to its pid file, if that process is alive.
dockerd_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# True when the running dockerd is the one this script started (so it is ours to restart).
started_by_us() {
  local pid
  pid=$(dockerd_pid) || return 1
  [ "$(cat "$STARTED_MARKER" 2>/dev/null || true)" = "$pid" ]
}

# dockerd lives in /usr/sbin, which a non-root PATH often lacks.
find_dockerd() {
  command -v dockerd 2>/dev/null || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; }
}

ensure_dockerd_installed() {
  if ! find_dockerd >/dev/null; then
    say "dockerd not found; installing Debian's docker.io"
    apt_install docker.io
    find_dockerd >/dev/null || die "docker.io is installed but dockerd is still not found"
  fi
}

# wait_for_engine PID [--may-exit]: waits for the engine to answer. With --may-exit, a dockerd
# that exits meanwhile (one that was shutting down, not starting) returns 1 instead of failing.
wait_for_engine() {
  local pid=$1 may_exit=${2:-} waited=0
  until engine_up; do
    if ! kill -0 "$pid" 2>/dev/null; then
      if [ "$may_exit" = "--may-exit" ]; then return 1; fi
      say "dockerd exited; the end of $DOCKERD_LOG:"
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "the Docker engine did not start"
    fi
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      say "no answer from $DOCKER_ADDRESS after ${WAIT_SECONDS} s; the end of $DOCKERD_LOG:"
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "the Docker engine did not start"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "Docker engine is up at $DOCKER_ADDRESS (dockerd pid $pid, started in ${waited} s, log: $DOCKERD_LOG)"
}

start_dockerd() {
  require_root "starting dockerd"
  local args=(--pidfile "$PIDFILE")
  # dockerd refuses a --config-file that does not exist; without one it reads the default path.
  if [ -f "$DAEMON_JSON" ]; then args+=(--config-file "$DAEMON_JSON"); fi
  if [ -n "$(unix_socket)" ]; then args+=(-H "$DOCKER_ADDRESS"); fi
  # shellcheck disable=SC2206 # splitting on spaces is the documented meaning
  args+=(${DOCKERD_EXTRA_ARGS:-})
  say "starting $(find_dockerd) ${args[*]} (log: $DOCKERD_LOG)"
  # setsid: the engine must outlive this script and the terminal or CI step that ran it.
  setsid "$(find_dockerd)" "${args[@]}" >>"$DOCKERD_LOG" 2>&1 &
  local pid=$!
  echo "$pid" >"$STARTED_MARKER"
  wait_for_engine "$pid"
}

stop_our_dockerd() {
  local pid waited=0
  pid=$(dockerd_pid) || return 0
  say "stopping dockerd (pid $pid, started by this script) to apply $DAEMON_JSON"
  kill -TERM "$pid"
  # dockerd gives containers up to 15 s to stop before it exits itself.
  while kill -0 "$pid" 2>/dev/null; do
    [ "$waited" -lt 60 ] || die "dockerd (pid $pid) did not exit within 60 s of SIGTERM"
    sleep 1
    waited=$((waited + 1))
  done
}

# ---- gVisor ---------------------------------------------------------------------------------

ensure_runsc_installed() {
  if [ ! -x "$RUNSC_PATH" ]; then
    say "runsc not found; installing Debian's runsc (gVisor)"
    apt_install runsc
  fi
}

# Adds runtimes.runsc to daemon.json, keeping every other key. Prints "changed" or "unchanged".
# ptrace: works without KVM and inside other containers. --network=none: sandboxes never get a
# network anyway, and gVisor's netstack then stays out of the picture.
merge_runsc_into_daemon_json() {
  local program
  if command -v python3 >/dev/null; then
    program=$(
      cat <<'PY'
import json, os, sys
path, runsc = sys.argv[1], sys.argv[2]
config = {}
if os.path.exists(path):
    with open(path) as f:
        text = f.read()
    config = json.loads(text) if text.strip() else {}
wanted = {"path": runsc, "runtimeArgs": ["--network=none", "--platform=ptrace"]}
if config.get("runtimes", {}).get("runsc") == wanted:
    print("unchanged")
    sys.exit(0)
config.setdefault("runtimes", {})["runsc"] = wanted
os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
with open(path + ".tmp", "w") as f:
    json.dump(config, f, indent=2)
    f.write("\n")
os.replace(path + ".tmp", path)
print("changed")
PY
    )
    python3 -c "$program" "$DAEMON_JSON" "$RUNSC_PATH"
  elif command -v node >/dev/null; then
    program=$(
      cat <<'JS'
const fs = require('fs'), path = require('path');
const [file, runsc] = process.argv.slice(1);
const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
const config = text.trim() ? JSON.parse(text) : {};
const wanted = { path: runsc, runtimeArgs: ['--network=none', '--platform=ptrace'] };
if (JSON.stringify(config.runtimes?.runsc) === JSON.stringify(wanted)) {
  console.log('unchanged');
  process.exit(0);
}
config.runtimes = { ...config.runtimes, runsc: wanted };
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file + '.tmp', JSON.stringify(config, null, 2) + '\n');
fs.renameSync(file + '.tmp', file);
console.log('changed');
JS
    )
    node -e "$program" "$DAEMON_JSON" "$RUNSC_PATH"
  else
    die "need python3 or node to edit $DAEMON_JSON"
  fi
}

register_runsc() {
  local result
  [ -w "$(dirname "$DAEMON_JSON")" ] || [ -w "$DAEMON_JSON" ] || require_root "editing $DAEMON_JSON"
  result=$(merge_runsc_into_daemon_json) || die "could not update $DAEMON_JSON (is it valid JSON?)"
  if [ "$result" = changed ]; then say "registered runtime runsc in $DAEMON_JSON"; fi
}

# Makes the running engine pick up the runsc runtime from daemon.json.
apply_runsc_to_engine() {
  runsc_registered && return 0
  local pid
  if pid=$(dockerd_pid); then
    require_root "reloading dockerd"
    say "asking dockerd (pid $pid) to reload $DAEMON_JSON (SIGHUP; running containers are not affected)"
    kill -HUP "$pid"
    for _ in 1 2 3 4 5; do
      sleep 1
      runsc_registered && return 0
    done
  fi
  if started_by_us; then
    stop_our_dockerd
    start_dockerd
    runsc_registered && return 0
    die "dockerd restarted but does not list runtime runsc; see $DOCKERD_LOG"
  fi
  die "the engine at $DOCKER_ADDRESS does not list runtime runsc and was not started by this script;" \
    "make it read $DAEMON_JSON (e.g. 'systemctl restart docker' or 'kill -HUP <dockerd pid>')"
}

# ---- main -----------------------------------------------------------------------------------

main() {
  for arg in "$@"; do
    case "$arg" in
      --with-runsc) WITH_RUNSC=1 ;;
      -h | --help)
        usage
        return 0
        ;;
      *) die "unknown argument '$arg' (see --help)" ;;
    esac
  done

  if [ "$WITH_RUNSC" -eq 1 ]; then
    ensure_runsc_installed
    # Before any start, so that a freshly started engine reads it straight away.
    register_runsc
  fi

  local pid
  if engine_up; then
    say "Docker engine is up at $DOCKER_ADDRESS"
  elif pid=$(dockerd_pid); then
    # Still starting (or stuck): a second dockerd would only fail on the pid file.
    say "dockerd (pid $pid) is running but not answering yet; waiting for it"
    if ! wait_for_engine "$pid" --may-exit; then
      say "dockerd (pid $pid) exited without answering (it was shutting down); starting a new one"
      start_dockerd
    fi
  else
    ensure_dockerd_installed
    # The package's own scripts may have started it already.
    if engine_up; then
      say "Docker engine is up at $DOCKER_ADDRESS"
    else
      start_dockerd
    fi
  fi

  if [ "$WITH_RUNSC" -eq 1 ]; then
    apply_runsc_to_engine
    say "runtime runsc is available ($("$RUNSC_PATH" --version 2>/dev/null | head -n 1))"
  fi
}

# Sourcing the file (as its tests do) only defines the functions.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
