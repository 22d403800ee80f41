#!/usr/bin/env bash
# `make demo`: the whole bridge on this machine, live. Starts a private mosquitto (the local side,
# where legacy devices publish) and hubsim (the cloud side, an IoT Hub emulator with its Device
# Provisioning Service) on free loopback ports, hubgate with the files in config/demo/, and a few
# simulated legacy devices (scripts/legacy-device-sim) that no one registered in the hub; then
# shows hubgate provisioning them through DPS on their first message, the hub receiving their
# telemetry, a reported-property update, a desired-property change reaching a device, and a
# direct method answered by a device.
# Ctrl-C stops everything it started. Logs stay in the run folder it prints.
# usage: scripts/demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
[[ "$build" = /* ]] || build="$root/$build"
bin="$build/bin"
demo="$root/config/demo"
for tool in "$bin/hubgate" "$bin/hubsim" mosquitto mosquitto_pub mosquitto_sub python3 openssl; do
  command -v "$tool" >/dev/null || { echo "demo: $tool is missing (run: make demo)" >&2; exit 1; }
done

run=$(mktemp -d /tmp/hubgate-demo.XXXXXX)
pids=()

if [[ -t 1 ]]; then bold=$'\033[1m'; dim=$'\033[2m'; off=$'\033[0m'; else bold=; dim=; off=; fi
step() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$off"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$off"; }

stop_all() {
  trap - EXIT INT TERM
  printf '\n'
  note "stopping everything the demo started..."
  # Newest first: devices, event follower, hubgate (clean SIGTERM), hubsim, mosquitto.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  note "logs: $run/{hubgate,hubsim,mosquitto,devices}.log"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (bounded) for a line matching $2 in file $1; fails with the file's tail.
wait_for_line() {
  local file=$1 pattern=$2 seconds=${3:-30}
  for ((i = 0; i < seconds * 10; i++)); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: no '$pattern' in $file after ${seconds}s:" >&2
  tail -20 "$file" >&2
  exit 1
}

fill() {  # fill TEMPLATE OUT: replaces the @NAME@ placeholders
  sed -e "s|@RUN_DIR@|$run|g" -e "s|@DEMO_DIR@|$demo|g" -e "s|@LOCAL_PORT@|$local_port|g" \
      -e "s|@OWNER_KEY@|$owner_key|g" -e "s|@GROUP_KEY@|$(cat "$run/group.key")|g" \
      -e "s|@HUB_HOSTNAME@|${hub_hostname:-}|g" -e "s|@HUB_MQTTS_PORT@|${hub_mqtts:-}|g" \
      -e "s|@DPS_PORT@|${dps_port:-}|g" -e "s|@HUB_CA_FILE@|${hub_ca:-}|g" "$1" > "$2"
}

step "Starting the local broker and the IoT Hub emulator"
local_port=$(free_port)
owner_key=$(openssl rand -base64 32)
# The enrollment group's key: hubsim's DPS holds it, hubgate derives each device's key from it.
# A secret: written to files only readable by this user, never printed.
(umask 077; openssl rand -base64 32 > "$run/group.key")
mkdir -p "$run/mosquitto"
fill "$demo/mosquitto.conf" "$run/mosquitto.conf"
(umask 077; fill "$demo/hubsim.toml" "$run/hubsim.toml")

mosquitto -c "$run/mosquitto.conf" > "$run/mosquitto.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null && break
  sleep 0.1
done
note "local mosquitto on 127.0.0.1:$local_port"

"$bin/hubsim" run -c "$run/hubsim.toml" > "$run/hubsim.log" 2>&1 &
pids+=($!)
wait_for_line "$run/hubsim.log" "hubsim ready" 60
ready=$(grep -m1 "hubsim ready" "$run/hubsim.log")
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< "$ready"; }
hub_mqtts=$(field mqtts)
hub_ca=$(field ca)
hub_hostname=$(field hostname)
dps_port=$(field dps)
note "hubsim: $hub_hostname, MQTT over TLS on 127.0.0.1:$hub_mqtts; its registry is empty"
note "hubsim's DPS: enrollment group 'plant-sensors' (symmetric key), MQTT over TLS on 127.0.0.1:$dps_port"

step "Starting hubgate (config/demo/hubgate.toml, mappings in config/demo/mappings/)"
fill "$demo/hubgate.toml" "$run/hubgate.toml"
"$bin/hubgate" run -c "$run/hubgate.toml" > "$run/hubgate.log" 2>&1 &
pids+=($!)
wait_for_line "$run/hubgate.log" "subscribed to" 30
note "$(grep -m1 'local subscriptions' "$run/hubgate.log" | sed 's/.*\] //')"

step "What the hub receives (hubsim events --follow)"
# Ctrl-C reaches every process of the terminal: the follower's formatter ignores it and ends
# when the follower does.
"$bin/hubsim" events --follow -c "$run/hubsim.toml" 2> "$run/events.log" > >(python3 -u -c '
import json, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    props = " ".join("%s=%s" % kv for kv in sorted(m.get("properties", {}).items()))
    mid = m.get("systemProperties", {}).get("$.mid", "-")
    print("  cloud <- %-13s %s  [%s] $.mid=%s..." % (m.get("deviceId"), m.get("payload", "<binary>"), props, mid[:8]), flush=True)
') &
pids+=($!)

step "Starting three legacy devices (plain MQTT, no Azure SDK, not registered in the hub)"
"$root/scripts/legacy-device-sim" --port "$local_port" --interval 4 \
  north/1/temp north/1/press south/2/flow 2>&1 | tee "$run/devices.log" &
pids+=($!)

step "Provisioning: hubgate registers each new device with DPS on its first message"
note "(their first messages wait in hubgate's spool meanwhile, then reach the hub)"
for device in north-1-temp north-1-press south-2-flow; do
  wait_for_line "$run/hubgate.log" "provisioning $device: assigned to" 60
  printf '  %s\n' "$(grep -m1 -o "provisioning $device: assigned to.*" "$run/hubgate.log")"
done

hubsim() { "$bin/hubsim" "$@" -c "$run/hubsim.toml"; }
reported() {
  hubsim twin "$1" | python3 -c 'import json,sys; t=json.load(sys.stdin); r=t["properties"]["reported"]; print({k: v for k, v in r.items() if not k.startswith("$")})'
}

# Let the first state message come through before the cloud side acts.
for ((i = 0; i < 100; i++)); do
  [[ $(hubsim twin north-1-temp 2>/dev/null) == *firmware* ]] && break
  sleep 0.2
done

step "Reported properties: north-1-temp published its state on plant/north/1/temp/state"
note "hubsim twin north-1-temp  ->  properties.reported:"
printf '  %s\n' "$(reported north-1-temp)"

sleep 3
step "Desired properties: the cloud changes north-1-temp's settings"
note "hubsim twin north-1-temp --desired '{\"interval_s\":10,\"threshold\":42.5}'"
hubsim twin north-1-temp --desired '{"interval_s":10,"threshold":42.5}' > /dev/null
wait_for_line "$run/devices.log" "got desired properties" 20
sleep 2
note "the device applied them and reported back; properties.reported is now:"
printf '  %s\n' "$(reported north-1-temp)"

sleep 3
step "Direct method: the cloud calls 'reboot' on south-2-flow; the legacy device answers"
note "hubsim invoke south-2-flow reboot --payload '{\"delay_s\":1}'"
hubsim invoke south-2-flow reboot --payload '{"delay_s":1}' --timeout 20 | sed 's/^/  /'

step "Running. Telemetry keeps flowing; press Ctrl-C to stop everything."
note "try, in another shell:  $bin/hubsim c2d north-1-press 'hello' -c $run/hubsim.toml"
wait
