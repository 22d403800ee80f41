#!/usr/bin/env bash
# `make systemd-check`: hubgate's .deb under a real systemd (PID 1 of a container), against
# hubsim and mosquitto running as services in the same container. Never part of `make test`: it
# needs root and Debian's mirrors (debootstrap), and boots a container.
#
# It builds (once) a Debian 12 root with debootstrap, installs the hubgate and hubsim packages of
# the build tree in it, boots systemd in it (systemd-nspawn; the other route, unshare + chroot,
# with --route unshare or when nspawn is refused), and prints one line per check:
#   check <name>: pass|fail|refused: <what was seen, or the exact error>
#   start     `systemctl start hubgate` returns once hubgate sent READY=1 (Type=notify)
#   sessions  three legacy devices publish; their IoT Hub sessions connect (hubgate status)
#   reload    `systemctl reload hubgate`: same main PID, every session still connected since the
#             same time, and hubsim saw no new CONNECT
#   watchdog  SIGSTOP on the main process: systemd's watchdog kills it and restarts the service
#   stop      `systemctl stop hubgate`: the bridge stops ("bridge stopped"), exit status 0
#   security  `systemd-analyze security hubgate` on the installed unit (at most 2.0)
# Exit status: 0 when every check passed, 1 otherwise.
#
# usage: scripts/systemd-container-check.sh [--route nspawn|unshare] [--fresh] [BUILD_DIR]
#   BUILD_DIR   holds hubgate_*.deb and hubsim_*.deb (`make deb`; default: build)
#   --fresh     debootstrap the root again (it is kept between runs in $HUBGATE_CHECK_ROOT,
#               default /var/tmp/hubgate-systemd-root)
# Environment: HUBGATE_CHECK_MIRROR, a Debian mirror for debootstrap (default: debootstrap's).
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
route=nspawn
fresh=false
build=build
while (($#)); do
  case "$1" in
    --route) route=$2; shift 2 ;;
    --fresh) fresh=true; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "systemd-container-check: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ "$build" = /* ]] || build="$repo/$build"
rootfs=${HUBGATE_CHECK_ROOT:-/var/tmp/hubgate-systemd-root}
machine=hubgate-check
log_dir="$build/systemd-check"
mkdir -p "$log_dir"
container_log="$log_dir/container.log"
results="$log_dir/results.txt"
: > "$results"

say() { echo "systemd-container-check: $*" >&2; }
die() { say "$*"; exit 1; }
# One line per check, on stdout and in $results.
report() {  # report NAME pass|fail|refused DETAIL...
  local name=$1 outcome=$2
  shift 2
  printf 'check %s: %s: %s\n' "$name" "$outcome" "$*" | tee -a "$results"
}
failed=0
pass() { report "$1" pass "${@:2}"; }
fail() { report "$1" fail "${@:2}"; failed=1; }
refused() { report "$1" refused "${@:2}"; failed=1; }

[[ $(id -u) = 0 ]] || die "needs root (debootstrap, a container)"
hubgate_deb=$(ls -t "$build"/hubgate_*.deb 2>/dev/null | head -1)
hubsim_deb=$(ls -t "$build"/hubsim_*.deb 2>/dev/null | head -1)
[[ -n "$hubgate_deb" && -n "$hubsim_deb" ]] || die "no hubgate_*.deb / hubsim_*.deb in $build (make deb)"

# --- tools of this machine -------------------------------------------------------------------
need_tools=()
command -v debootstrap >/dev/null || need_tools+=(debootstrap)
command -v systemd-nspawn >/dev/null || need_tools+=(systemd-container)
if ((${#need_tools[@]})); then
  say "installing ${need_tools[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_tools[@]}" >"$log_dir/apt-host.log" 2>&1 ||
    die "apt-get install ${need_tools[*]} failed: see $log_dir/apt-host.log"
fi

# --- the root ---------------------------------------------------------------------------------
# In a private mount namespace, so that nothing stays mounted if this script dies.
in_chroot() {
  unshare --mount --propagation private -- sh -c '
    root=$1; shift
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
      exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"
  ' in_chroot "$rootfs" "$@"
}

if $fresh || [[ ! -f "$rootfs/.hubgate-check-root" ]]; then
  rm -rf "$rootfs"
  say "debootstrap bookworm into $rootfs (a few minutes; log: $log_dir/debootstrap.log)"
  # shellcheck disable=SC2086
  debootstrap --variant=minbase \
      --include=systemd,systemd-sysv,dbus,mosquitto,mosquitto-clients,python3,ca-certificates \
      bookworm "$rootfs" ${HUBGATE_CHECK_MIRROR:-} >"$log_dir/debootstrap.log" 2>&1 ||
    die "debootstrap failed: $(tail -3 "$log_dir/debootstrap.log")"
  touch "$rootfs/.hubgate-check-root"
fi
say "installing $(basename "$hubgate_deb") and $(basename "$hubsim_deb") in the root"
mkdir -p "$rootfs/tmp/debs"
rm -f "$rootfs"/tmp/debs/*.deb
cp "$hubgate_deb" "$hubsim_deb" "$rootfs/tmp/debs/"
in_chroot apt-get install -y -q --reinstall --allow-downgrades \
    "/tmp/debs/$(basename "$hubgate_deb")" "/tmp/debs/$(basename "$hubsim_deb")" \
    >"$log_dir/apt-root.log" 2>&1 || die "installing the packages failed: $(tail -5 "$log_dir/apt-root.log")"

# --- what runs in the container -----------------------------------------------------------------
# hubsim on fixed ports (the container has its own network: nothing else listens there), as a
# service; mosquitto as Debian configures it plus what operations.md asks for; hubgate with
# policy-key auth against hubsim, its key handed over as a systemd credential.
owner_key=$(openssl rand -base64 32)
policy_key=$(openssl rand -base64 32)
hub_hostname=check-hub.azure-devices.net
mkdir -p "$rootfs/etc/hubsim-check"
(
  umask 077
  cat > "$rootfs/etc/hubsim-check/hubsim.toml" <<EOF
[hub]
hostname = "$hub_hostname"
state_dir = "/var/lib/hubsim-check"
mqtts_port = 18883
https_port = 18443
wss_port = 18444
dps_port = 18445

[[policies]]
name = "iothubowner"
key = "$owner_key"
rights = ["RegistryRead", "RegistryWrite", "ServiceConnect", "DeviceConnect"]

[[policies]]
name = "device"
key = "$policy_key"
rights = ["DeviceConnect"]
EOF
  for device in north-1-temp north-1-press south-2-flow; do
    printf '\n[[devices]]\nid = "%s"\nprimary_key = "%s"\n' "$device" "$(openssl rand -base64 32)" \
      >> "$rootfs/etc/hubsim-check/hubsim.toml"
  done
  printf '%s\n' "$policy_key" > "$rootfs/etc/hubgate/keys/policy.key"
  printf '%s\n' "$owner_key" > "$rootfs/etc/hubsim-check/owner.key"
)
cat > "$rootfs/etc/systemd/system/hubsim-check.service" <<'EOF'
[Unit]
Description=hubsim for the systemd check of hubgate
[Service]
ExecStart=/usr/bin/hubsim run -c /etc/hubsim-check/hubsim.toml
EOF
cat > "$rootfs/etc/mosquitto/conf.d/hubgate.conf" <<'EOF'
listener 1883 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_inflight_messages 0
EOF
cp "$repo/config/demo/mappings/plant.toml" "$rootfs/etc/hubgate/mappings.d/plant.toml"
cat > "$rootfs/etc/hubgate/hubgate.toml" <<EOF
mappings = ["/etc/hubgate/mappings.d/*.toml"]

[hub]
hostname = "$hub_hostname"
connect_host = "127.0.0.1:18883"
transport = "mqtt"
ca_file = "/etc/hubgate/hubsim-ca.pem"

[auth]
mode = "policy"
policy_name = "device"
key_file = "%d/policy.key"

[local]
host = "127.0.0.1"
port = 1883
client_id = "hubgate"

[spool]
dir = "/var/lib/hubgate/spool"

[state]
dir = "/var/lib/hubgate/state"

[control]
socket = "/run/hubgate/control.sock"
EOF
mkdir -p "$rootfs/etc/systemd/system/hubgate.service.d"
cat > "$rootfs/etc/systemd/system/hubgate.service.d/credentials.conf" <<'EOF'
[Service]
LoadCredential=policy.key:/etc/hubgate/keys/policy.key
EOF
# How the main process ended, kept past the stop: systemd forgets a stopped unit that nothing
# references (`systemctl show` then reports ExecMainCode=0). "+": outside the sandbox.
cat > "$rootfs/etc/systemd/system/hubgate.service.d/check-exit.conf" <<'EOF'
[Service]
ExecStopPost=+/bin/sh -c 'echo "$SERVICE_RESULT $EXIT_CODE $EXIT_STATUS" > /run/hubgate-check-exit'
EOF
# The service reads its configuration as group hubgate (ExecStartPre's `hubgate check` too, with
# the same credentials); the mapping file holds no secret.
in_chroot sh -c 'chgrp hubgate /etc/hubgate/hubgate.toml && chmod 0640 /etc/hubgate/hubgate.toml &&
  chmod 0644 /etc/hubgate/mappings.d/plant.toml'
# Helpers the checks run inside the container.
install -m 0755 /dev/stdin "$rootfs/usr/local/bin/check-status" <<'EOF'
#!/usr/bin/python3
# check-status: "<connected>/<sessions> <device>=<since> ..." from `hubgate status --json`.
import json, subprocess, sys
out = subprocess.run(["hubgate", "status", "--json"], capture_output=True, text=True)
if out.returncode != 0:
    print("status failed: " + (out.stderr.strip() or str(out.returncode)))
    sys.exit(1)
sessions = json.loads(out.stdout)["sessions"]
connected = [s for s in sessions if s["state"] == "connected"]
print("%d/%d %s" % (len(connected), len(sessions),
      " ".join("%s=%s" % (s["device_id"], s["since"]) for s in sorted(connected, key=lambda s: s["device_id"]))))
EOF
install -m 0755 /dev/stdin "$rootfs/usr/local/bin/check-hub-connects" <<EOF
#!/usr/bin/python3
# check-hub-connects: "<device>=<CONNECTs hubsim accepted> ..." from hubsim's /hubsim/connections.
import base64, hashlib, hmac, json, ssl, time, urllib.parse, urllib.request
hostname = "$hub_hostname"
key = open("/etc/hubsim-check/owner.key").read().strip()
expiry = str(int(time.time()) + 600)
resource = urllib.parse.quote(hostname, safe="")
signature = base64.b64encode(hmac.new(base64.b64decode(key), (resource + "\\n" + expiry).encode(),
                                      hashlib.sha256).digest()).decode()
token = "SharedAccessSignature sr=%s&sig=%s&se=%s&skn=iothubowner" % (
    resource, urllib.parse.quote(signature, safe=""), expiry)
context = ssl.create_default_context(cafile="/etc/hubgate/hubsim-ca.pem")
context.check_hostname = False
request = urllib.request.Request("https://127.0.0.1:18443/hubsim/connections",
                                 headers={"Authorization": token})
devices = json.load(urllib.request.urlopen(request, context=context, timeout=10))["devices"]
print(" ".join("%s=%s" % (d["deviceId"], d["connects"]) for d in sorted(devices, key=lambda d: d["deviceId"])))
EOF

# --- booting systemd ----------------------------------------------------------------------------
container_pid=  # the container's PID 1, as this machine sees it
launcher_pid=   # systemd-nspawn, or unshare

# The host PID of the process that is PID 1 in a child PID namespace started by $1.
find_container_init() {
  local launcher=$1 pid
  for status in /proc/[0-9]*/status; do
    pid=${status#/proc/}
    pid=${pid%/status}
    # "NSpid: <host pid> 1": PID 1 one namespace down.
    if grep -qP '^NSpid:\t[0-9]+\t1$' "$status" 2>/dev/null; then
      local up=$pid
      while [[ -n "$up" && "$up" != 0 && "$up" != 1 ]]; do
        [[ "$up" = "$launcher" ]] && { echo "$pid"; return 0; }
        up=$(awk '/^PPid:/ {print $2}' "/proc/$up/status" 2>/dev/null)
      done
    fi
  done
  return 1
}

inside() {  # runs a command in the container, as root, in its namespaces and root
  nsenter --target "$container_pid" --mount --uts --ipc --net --pid --root --wd=/ -- \
    /usr/bin/env -i -C / PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# A cgroup of its own below this script's in the hierarchies systemd manages (name=systemd, and
# the unified one where mounted): nspawn with --keep-unit makes its cgroup the container's root,
# where systemd creates its slices, apart from this machine's processes; removed afterwards. The
# resource controllers are left alone (a cgroup of its own in `cpu` would outrank nice).
make_cgroups() {
  local cgroup_dir=hubgate-check-$$ hierarchy own
  for hierarchy in /sys/fs/cgroup/systemd/ /sys/fs/cgroup/unified/; do
    [[ -d "$hierarchy" ]] || continue
    own=$(awk -F: -v h="$(basename "$hierarchy")" '
      { n = split($2, names, ","); for (i = 1; i <= n; i++) if (names[i] == h || names[i] == "name=" h) print $3 }' /proc/self/cgroup)
    mkdir -p "$hierarchy${own#/}/$cgroup_dir" 2>/dev/null && cgroup_paths+=("$hierarchy${own#/}/$cgroup_dir")
  done
}
cgroup_paths=()

# Runs the command in the cgroups of make_cgroups.
in_cgroups() {
  sh -c 'for p in "$@"; do case $p in --) break ;; esac; echo $$ > "$p/cgroup.procs" 2>/dev/null; done
    while [ "$1" != -- ]; do shift; done; shift; exec "$@"' in_cgroups "${cgroup_paths[@]}" -- "$@"
}

boot_nspawn() {
  make_cgroups
  # --register=no/--keep-unit: this machine's PID 1 is not systemd (no machined, no scopes).
  # --private-network: the container has a loopback of its own, so its fixed ports are free.
  in_cgroups systemd-nspawn --boot --directory="$rootfs" --machine="$machine" --register=no \
    --keep-unit --private-network --console=pipe >"$container_log" 2>&1 </dev/null &
  launcher_pid=$!
}

boot_unshare() {
  # The cgroups of make_cgroups, then PID, mount, UTS, IPC, network and cgroup namespaces; the
  # root bind-mounted on itself with /proc, a fresh /sys whose name=systemd hierarchy is mounted
  # in the cgroup namespace (so that systemd sees its own cgroup as the root, not this machine's),
  # /dev and a tmpfs /run, made the root with
  # pivot_root (not chroot: the kernel refuses user namespaces, PrivateUsers=, to a chrooted
  # process), and systemd exec'ed as PID 1 with container=unshare.
  make_cgroups
  in_cgroups unshare --fork --pid --mount --uts --ipc --net --propagation private -- sh -c '
    root=$1
    exec unshare --cgroup -- sh -c "
      mount --bind $root $root && mount -t proc proc $root/proc && mount -t sysfs sysfs $root/sys &&
      mount -t tmpfs -o mode=755 tmpfs $root/sys/fs/cgroup && mkdir $root/sys/fs/cgroup/systemd &&
      mount -t cgroup -o none,name=systemd cgroup $root/sys/fs/cgroup/systemd &&
      mount --rbind /dev $root/dev && mount -t tmpfs -o mode=755 tmpfs $root/run &&
      mkdir -p $root/.oldroot && cd $root && pivot_root . .oldroot &&
      exec /usr/bin/env container=unshare /bin/sh -c \"umount -l /.oldroot && rmdir /.oldroot &&
        exec /lib/systemd/systemd --system\""
  ' boot_unshare "$rootfs" >"$container_log" 2>&1 </dev/null &
  launcher_pid=$!
}

# Boots with the given route; on success $container_pid is set and systemd has finished booting.
boot() {
  local how=$1
  "boot_$how"
  for ((i = 0; i < 100; i++)); do
    container_pid=$(find_container_init "$launcher_pid") && break
    kill -0 "$launcher_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -z "$container_pid" ]]; then
    refused "boot-$how" "$(grep -v '^$' "$container_log" | tail -3 | tr '\n' ' ')"
    return 1
  fi
  local state
  state=$(timeout 120 nsenter --target "$container_pid" --mount --pid --root --wd=/ -- \
    /usr/bin/systemctl is-system-running --wait 2>&1)
  case "$state" in
    running | degraded)
      local failed_units
      failed_units=$(inside systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')
      pass "boot-$how" "systemd $(inside systemctl --version | head -1 | awk '{print $2}') is PID 1, system $state${failed_units:+ (failed: $failed_units)}"
      return 0
      ;;
  esac
  refused "boot-$how" "is-system-running: ${state:-no answer}; $(grep -v '^$' "$container_log" | tail -3 | tr '\n' ' ')"
  shutdown_container
  return 1
}

shutdown_container() {
  [[ -n "$launcher_pid" ]] || return 0
  if [[ -n "$container_pid" ]] && kill -0 "$container_pid" 2>/dev/null; then
    # SIGRTMIN+4: systemd powers off.
    kill -s RTMIN+4 "$container_pid" 2>/dev/null
  fi
  for ((i = 0; i < 300; i++)); do
    kill -0 "$launcher_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$launcher_pid" 2>/dev/null
  [[ -n "$container_pid" ]] && kill -KILL "$container_pid" 2>/dev/null
  wait "$launcher_pid" 2>/dev/null
  local path
  for path in "${cgroup_paths[@]}"; do
    find "$path" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  cgroup_paths=()
  launcher_pid= container_pid=
}
trap shutdown_container EXIT

# --- the checks ---------------------------------------------------------------------------------
show() { inside systemctl show hubgate --property="$1" --value; }
journal_tail() { inside journalctl -u hubgate --no-pager -n "${1:-5}" -o cat | tr '\n' ' '; }

# Waits (bounded, in tenths of a second) for a command to print a line matching a pattern.
wait_for() {  # wait_for TENTHS PATTERN COMMAND...
  local tenths=$1 pattern=$2 out
  shift 2
  for ((i = 0; i < tenths; i++)); do
    out=$("$@" 2>&1) && [[ "$out" =~ $pattern ]] && { echo "$out"; return 0; }
    sleep 0.1
  done
  echo "$out"
  return 1
}

# The new main PID once the service runs again with another main process than $1.
restarted_pid() {
  local pid state
  pid=$(show MainPID)
  state=$(show ActiveState)
  [[ "$pid" != "$1" && "$pid" != 0 && "$state" = active ]] && echo "$pid"
}

publish_all() {
  for device in north/1/temp north/1/press south/2/flow; do
    inside mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t "plant/$device/telemetry" -m '{"t":21}'
  done
}

run_checks() {
  # hubsim first: hubgate's CA file is the one hubsim generates on its first start.
  inside systemctl start hubsim-check
  if ! wait_for 600 '"mqtts"' inside cat /var/lib/hubsim-check/ports.json >/dev/null; then
    fail start "hubsim did not get ready: $(inside journalctl -u hubsim-check --no-pager -n 5 -o cat | tr '\n' ' ')"
    return
  fi
  inside install -m 0640 -g hubgate /var/lib/hubsim-check/tls/ca.pem /etc/hubgate/hubsim-ca.pem

  local started_ms out
  started_ms=$(($(date +%s%N) / 1000000))
  if out=$(inside timeout 120 systemctl start hubgate 2>&1); then
    pass start "returned after $(($(date +%s%N) / 1000000 - started_ms)) ms;" \
      "$(show ActiveState)/$(show SubState), status: $(show StatusText)"
  else
    fail start "systemctl start: $out; $(journal_tail 8)"
    return
  fi

  publish_all
  local before
  if before=$(wait_for 600 '^3/3 ' inside check-status); then
    pass sessions "$before"
  else
    fail sessions "not all connected: $before; $(journal_tail 5)"
    return
  fi

  local pid_before connects_before connects_after after pid_after
  pid_before=$(show MainPID)
  connects_before=$(inside check-hub-connects)
  if ! out=$(inside timeout 60 systemctl reload hubgate 2>&1); then
    fail reload "systemctl reload: $out; $(journal_tail 5)"
  else
    wait_for 100 'reload:' journal_tail 20 >/dev/null
    after=$(inside check-status)
    pid_after=$(show MainPID)
    connects_after=$(inside check-hub-connects)
    if [[ "$pid_after" = "$pid_before" && "$after" = "$before" && "$connects_after" = "$connects_before" ]]; then
      pass reload "main PID $pid_after kept, sessions $after, hubsim CONNECTs $connects_after; status: $(show StatusText)"
    else
      fail reload "PID $pid_before -> $pid_after; sessions '$before' -> '$after'; CONNECTs '$connects_before' -> '$connects_after'"
    fi
  fi

  local restarts_before stopped_at pid_new
  restarts_before=$(show NRestarts)
  pid_before=$(show MainPID)
  stopped_at=$(date +%s)
  # The shell's own kill: a minimal Debian has no /bin/kill without procps.
  inside sh -c "kill -STOP $pid_before"
  # WatchdogSec=30s; restarting takes RestartSec=2s more. Allow three times that.
  if pid_new=$(wait_for 1000 '^[1-9][0-9]*$' restarted_pid "$pid_before"); then
    local why
    why=$(inside journalctl -u hubgate --no-pager -o cat | grep -m1 -i 'watchdog timeout' || true)
    pass watchdog "PID $pid_before stopped; restarted as PID $pid_new after $(($(date +%s) - stopped_at)) s," \
      "NRestarts $restarts_before -> $(show NRestarts); ${why:-no watchdog line in the journal}"
  else
    inside sh -c "kill -CONT $pid_before" 2>/dev/null
    fail watchdog "no restart within 100 s of SIGSTOP: $(show ActiveState)/$(show SubState); $(journal_tail 5)"
  fi
  wait_for 600 '^3/3 ' inside check-status >/dev/null

  inside rm -f /run/hubgate-check-exit
  if out=$(inside timeout 60 systemctl stop hubgate 2>&1); then
    local ended stopped_line
    ended=$(inside cat /run/hubgate-check-exit 2>&1)
    stopped_line=$(inside journalctl -u hubgate --no-pager -o cat -n 20 | grep -m1 'bridge stopped' || true)
    if [[ "$ended" = "success exited 0" && -n "$stopped_line" ]]; then
      pass stop "result success, exited with status 0; log: $stopped_line"
    else
      fail stop "SERVICE_RESULT EXIT_CODE EXIT_STATUS: $ended; $(journal_tail 5)"
    fi
  else
    fail stop "systemctl stop: $out"
  fi

  local rating
  rating=$(inside systemd-analyze security hubgate --no-pager 2>&1 | grep -o 'Overall exposure level for hubgate.service: .*')
  if [[ "$rating" =~ :\ ([0-9]+\.[0-9]+) ]] && awk "BEGIN {exit !(${BASH_REMATCH[1]} <= 2.0)}"; then
    pass security "$rating"
  else
    fail security "${rating:-no rating}"
  fi
}

booted=false
case "$route" in
  nspawn)
    if boot nspawn; then
      booted=true
    else
      say "nspawn refused; trying unshare"
      boot unshare && booted=true
    fi
    ;;
  unshare) boot unshare && booted=true ;;
  *) die "unknown route $route (nspawn | unshare)" ;;
esac
if $booted; then
  run_checks
else
  for name in start sessions reload watchdog stop security; do
    refused "$name" "systemd could not be booted (see the boot lines above)"
  done
fi
shutdown_container
trap - EXIT
say "results in $results; container console in $container_log"
exit $failed
