# shellcheck shell=bash
# Small helpers shared by the scripts in this directory.
#
# Usage (from a script in scripts/):
#   set -euo pipefail
#   source "$(dirname "$0")/lib.sh"
#
# Conventions: progress and errors go to stderr (tare_log / tare_die), stdout is
# left for a script's results. Every function is safe under `set -euo pipefail`.
#
#   tare_cache_dir                      print (and create) the cache root
#   tare_log MSG... / tare_die MSG...   progress on stderr / error + exit 1
#   tare_lock FILE                      take an exclusive flock for this shell
#   ensure_cmd CMD PKG                  apt-get install PKG if CMD is missing
#   apt_install PKG...                  non-interactive apt-get install
#   free_port [EXCLUDE...]              print a free TCP port on this machine
#   listening_ports / port_in_use PORT  TCP ports in LISTEN state
#   start_daemon NAME PIDFILE LOGFILE CMD...
#                                       start CMD detached, record its pid
#   daemon_running PIDFILE SUBSTRING    pid alive and its cmdline has SUBSTRING
#   stop_daemon PIDFILE SUBSTRING       stop it (only if the cmdline matches)
#   wait_http URL TIMEOUT [CURL ARGS]   wait until URL answers with 2xx
#   http_status URL [CURL ARGS]         print the HTTP status code (000 if none)
#   time_and_rss CMD...                 print "<wall ms> <peak RSS KiB>" of CMD

# Name used to prefix log lines.
TARE_LOG_NAME=${TARE_LOG_NAME:-$(basename "${0:-tare}")}

tare_log() { printf '[%s] %s\n' "$TARE_LOG_NAME" "$*" >&2; }
tare_die() { printf '[%s] error: %s\n' "$TARE_LOG_NAME" "$*" >&2; exit 1; }

# Cache root: $TARE_CACHE_DIR, else ~/.cache/tare. Created if absent.
tare_cache_dir() {
  local dir=${TARE_CACHE_DIR:-$HOME/.cache/tare}
  mkdir -p "$dir"
  printf '%s\n' "$dir"
}

# Hold an exclusive lock on FILE until the calling shell exits (fd 9).
# start_daemon closes inherited descriptors, so daemons never keep the lock.
tare_lock() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if ! flock -n 9; then
    tare_log "waiting for lock $1"
    flock 9
  fi
}

# Install Debian packages (as root, or through sudo). Runs `apt-get update`
# first when the package lists are empty, or once more after a failed install.
apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || tare_die "need root (or sudo) to apt-get install $*"
    sudo=(sudo)
  fi
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y
             -o DPkg::Lock::Timeout=300)
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    tare_log "apt-get update"
    "${apt[@]}" update >&2
  fi
  tare_log "apt-get install $*"
  if ! "${apt[@]}" install --no-install-recommends "$@" >&2; then
    tare_log "install failed; retrying after apt-get update"
    "${apt[@]}" update >&2
    "${apt[@]}" install --no-install-recommends "$@" >&2
  fi
}

# Make sure command CMD exists, installing Debian package PKG if it does not.
ensure_cmd() {
  command -v "$1" >/dev/null 2>&1 && return 0
  apt_install "$2"
  command -v "$1" >/dev/null 2>&1 || tare_die "$1 still missing after installing $2"
}

# Print the TCP ports something listens on (IPv4 and IPv6), one per line.
listening_ports() {
  local f addr st
  for f in /proc/net/tcp /proc/net/tcp6; do
    [[ -r $f ]] || continue
    while read -r _ addr _ st _; do
      [[ $st == 0A ]] && printf '%s\n' "$((16#${addr##*:}))"
    done < "$f"
  done
  return 0
}

# True when something listens on TCP port PORT.
port_in_use() { listening_ports | grep -qx "$1"; }

# Print a TCP port that nothing listens on, chosen at random below the
# kernel's ephemeral range and never one of the EXCLUDE arguments. Ports are
# only free at the time of the call: a caller should retry on a bind failure.
free_port() {
  local used port i
  used=" $* $(listening_ports | tr '\n' ' ') "
  for ((i = 0; i < 500; i++)); do
    port=$((20000 + RANDOM % 12000))
    [[ $used == *" $port "* ]] || { printf '%s\n' "$port"; return 0; }
  done
  tare_die "no free port found"
}

# True when PIDFILE names a live process whose command line (arguments joined
# by spaces) contains SUBSTRING. Guards against killing a recycled pid.
daemon_running() {
  local pidfile=$1 want=$2 pid cmdline
  [[ -s $pidfile ]] || return 1
  read -r pid < "$pidfile" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ -n $cmdline && $cmdline == *"$want"* ]]
}

# Start CMD... in its own session, detached from the caller: stdin from
# /dev/null, stdout+stderr appended to LOGFILE, inherited descriptors above 2
# closed (so `$(script)` callers don't hang and locks are not kept). Writes the
# daemon's pid to PIDFILE. Does nothing if PIDFILE already names a running
# process with this exact command line. Does not wait for readiness.
start_daemon() {
  local name=$1 pidfile=$2 logfile=$3 i
  shift 3
  if daemon_running "$pidfile" "$*"; then
    tare_log "$name already running (pid $(<"$pidfile"))"
    return 0
  fi
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  rm -f "$pidfile"
  tare_log "starting $name (log: $logfile)"
  (
    cd /
    for i in "/proc/$BASHPID/fd/"*; do
      i=${i##*/}
      if ((i > 2)); then eval "exec $i>&-" 2>/dev/null || true; fi
    done
    # setsid -f forks, so the inner sh records the daemon's real pid and then
    # execs CMD under that same pid.
    # shellcheck disable=SC2016
    exec setsid -f sh -c 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
      "$pidfile" "$@" </dev/null >>"$logfile" 2>&1
  )
  for ((i = 0; i < 100; i++)); do
    [[ -s $pidfile ]] && return 0
    sleep 0.05
  done
  tare_die "$name did not start (see $logfile)"
}

# Stop the process named by PIDFILE if its command line contains SUBSTRING:
# SIGTERM, then SIGKILL after ${3:-10} seconds. A stale pidfile (dead process or
# a different program) is removed without killing anything. Succeeds when
# nothing runs.
stop_daemon() {
  local pidfile=$1 want=$2 timeout=${3:-10} pid i
  [[ -e $pidfile ]] || return 0
  if daemon_running "$pidfile" "$want"; then
    read -r pid < "$pidfile"
    tare_log "stopping pid $pid ($want)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      daemon_running "$pidfile" "$want" || break
      sleep 0.1
    done
    if daemon_running "$pidfile" "$want"; then
      tare_log "pid $pid ignored SIGTERM; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  else
    tare_log "stale pidfile $pidfile (no matching process); removing it"
  fi
  rm -f "$pidfile"
}

# Print the HTTP status code for URL (000 when nothing answers).
http_status() {
  local url=$1
  shift
  curl -sS -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" 2>/dev/null || true
}

# Wait up to TIMEOUT seconds until URL answers with a 2xx status. Extra
# arguments go to curl (e.g. -u user:pass). Returns 1 on timeout.
wait_http() {
  local url=$1 timeout=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until curl -fsS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      tare_log "timed out after ${timeout}s waiting for $url"
      return 1
    fi
    sleep 0.2
  done
}

# Print "<milliseconds> <peak RSS KiB>" of one run of CMD... (output discarded):
# the wall time of a plain run, then peak RSS from a second run under
# /usr/bin/time (installed if missing). For scripts/bench-* side-by-side runs.
time_and_rss() {
  [[ -x /usr/bin/time ]] || apt_install time
  local t0 t1 kib
  t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || true
  t1=$EPOCHREALTIME
  kib=$({ /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1)
  awk -v a="$t0" -v b="$t1" -v k="$kib" 'BEGIN { printf "%.3f %d\n", (b - a) * 1000, k }'
}
