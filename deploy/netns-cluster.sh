#!/usr/bin/env bash
# ActorTrainer cluster over emulated links: 1 ps node + N worker nodes, each in a network namespace
# of its own with an address of its own (10.231.0.0/24 on a bridge that lives in a namespace of its
# own too, so nothing reaches the host's interfaces), every link shaped. Training options after `--`
# go to every node. Needs root (network namespaces, tc). Nodes speak mutual TLS with a CA made for
# this run (RUN_DIR-logs/certs), unless -i.
#
#   deploy/netns-cluster.sh [-n WORKER_NODES] [-w WORKERS_PER_NODE] [--link RATE:DELAY[:LOSS]]
#                           [-o RUN_DIR] [-b BIN_DIR] [-i] [-- train options]
#   --link   each node's port on the switch, both directions: RATE (tc units: 1gbit, 100mbit),
#            DELAY one-way node-to-node latency (0.5ms, 5ms, 0), LOSS packets dropped on arrival
#            (0.1%). Default 1gbit:0.5ms. Rate: tc tbf. Delay: deploy/netns-relay.py (this kernel
#            has no netem). Loss: iptables' statistic match.
#   -b       use an existing build of the CLI (a directory with actortrainer.dll and hocon/)
#   -i       plaintext (--insecure): no certificates; anyone who reaches the ports can join, read W and push
#
# e.g. deploy/netns-cluster.sh -n 3 --link 100mbit:5ms -- --hidden 64 --updates 500 --mode async
# Prints bytes on the wire per node (also in RUN_DIR-logs/wire.csv). Exit code: 0 when the ps node
# and every worker node exited 0; 1 when a node failed; 2 for bad arguments or missing privileges.
# Namespaces, relays and nodes are removed on every exit path.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
nodes=2 per_node=1 out="" bin="" link="1gbit:0.5ms"
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
insecure=""
die() { echo "error: $*" >&2; exit 2; }
while (($#)); do
  case "$1" in
    -n) nodes="${2:-}"; shift 2 ;;
    -w) per_node="${2:-}"; shift 2 ;;
    -o) out="${2:-}"; shift 2 ;;
    -b) bin="${2:-}"; shift 2 ;;
    -i|--insecure) insecure=1; shift ;;
    -l|--link) link="${2:-}"; shift 2 ;;
    --link=*) link="${1#--link=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[[ "$nodes" =~ ^[1-9][0-9]?$ ]] || die "-n must be an integer from 1 to 99 (got '$nodes')"
[[ "$per_node" =~ ^[1-9][0-9]*$ ]] || die "-w must be a positive integer (got '$per_node')"
IFS=: read -r rate delay loss extra <<<"$link"
[[ -z "${extra:-}" && "$rate" =~ ^[0-9.]+[kmg]?bit$ ]] || die "--link wants RATE:DELAY[:LOSS], e.g. 1gbit:0.5ms or 100mbit:5ms:0.1% (got '$link')"
[[ "$delay" =~ ^([0-9.]+)(ms|us|s)?$ ]] || die "--link delay must be like 0.5ms, 5ms or 0 (got '$delay')"
case "${BASH_REMATCH[2]}" in us) delay_ms=$(awk "BEGIN{print ${BASH_REMATCH[1]}/1000}") ;; s) delay_ms=$(awk "BEGIN{print ${BASH_REMATCH[1]}*1000}") ;; *) delay_ms="${BASH_REMATCH[1]}" ;; esac
loss_p=0
if [[ -n "${loss:-}" ]]; then
  [[ "$loss" =~ ^([0-9.]+)%$ ]] || die "--link loss must be a percentage like 0.1% (got '$loss')"
  loss_p=$(awk "BEGIN{print ${BASH_REMATCH[1]}/100}")
fi

# Privileges and tools, before anything is made.
(( EUID == 0 )) || die "netns-cluster.sh needs root: it creates network namespaces and shapes links with tc"
for t in ip tc dotnet; do command -v "$t" >/dev/null || die "'$t' is not installed"; done
relay=""
if awk "BEGIN{exit !($delay_ms > 0)}"; then
  command -v python3 >/dev/null || die "a delay needs python3 for deploy/netns-relay.py (this kernel has no netem)"
  relay=1
fi
(( loss_p == 0 )) 2>/dev/null || command -v iptables >/dev/null || die "a loss rate needs iptables"

# 1. Build once (unless given a build).
if [[ -z "$bin" ]]; then
  bin="$root/out/netns-cluster"
  echo "building into $bin ..." >&2
  dotnet build "$root/src/ActorTrainer.Cli/ActorTrainer.Cli.csproj" -c Release -o "$bin" -nologo -v quiet >&2
fi
dll="$bin/actortrainer.dll"
[[ -f "$dll" ]] || die "no actortrainer.dll in $bin"

out="${out:-$root/runs/netns-$(date +%Y%m%d-%H%M%S)}"
logs="$out-logs"
mkdir -p "$logs"

# 2. Namespaces: the switch, the ps (node 0) and the worker nodes (1..n). Names carry our pid, so two
#    harnesses on one machine never share one.
tag="at$$"
sw="$tag-sw"
names=("$tag-ps"); for i in $(seq 1 "$nodes"); do names+=("$tag-w$i"); done
addr() { echo "10.231.0.$((10 + $1))"; }
pids=()
made=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for ns in "${made[@]}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'echo "interrupted: stopping the nodes" >&2; for pid in "${node_pids[@]:-}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait 2>/dev/null; exit 130' INT TERM

ip netns add "$sw" 2>/dev/null || die "cannot create network namespaces here (ip netns add failed)"
made+=("$sw")
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
burst=$(awk -v r="$rate" 'BEGIN{ n=r+0; u=substr(r, length(r)-3, 1); m=(u=="g")?1e9:(u=="m")?1e6:(u=="k")?1e3:1; b=n*m/8/100; if (b<32768) b=32768; printf "%d", b }')
shape() { tc -n "$1" qdisc add dev "$2" root tbf rate "$rate" burst "$burst" latency 200ms; }
for i in "${!names[@]}"; do
  ns="${names[$i]}"
  ip netns add "$ns"; made+=("$ns")
  ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$sw"
  ip -n "$sw" link set "p$i" master br0
  ip -n "$sw" link set "p$i" up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(addr "$i")/24" dev eth0
  ip -n "$ns" link set eth0 up
  shape "$ns" eth0      # what the node sends
  shape "$sw" "p$i"     # what the node receives
  if [[ "$loss_p" != 0 ]]; then
    ip netns exec "$ns" iptables -A INPUT -i eth0 -m statistic --mode random --probability "$loss_p" -j DROP
  fi
done
echo "link: $rate, one-way delay ${delay_ms} ms, loss ${loss:-0} on each node's port; ps at $(addr 0), workers at $(addr 1)…$(addr "$nodes")" >&2

# 3. Each node: Akka on port 4053 (and the ps's tensor channel on 4054) at its own address; with a
#    delay, the node binds 127.0.0.1 and the relay holds the node's address.
akka_port=4053 tensor_port=4054
bind_of() { if [[ -n "$relay" ]]; then echo 127.0.0.1; else addr "$1"; fi; }
for i in "${!names[@]}"; do
  [[ -n "$relay" ]] || break
  maps=("$(addr "$i"):$akka_port=127.0.0.1:$akka_port")
  (( i == 0 )) && maps+=("$(addr 0):$tensor_port=127.0.0.1:$tensor_port")
  ip netns exec "${names[$i]}" python3 "$root/deploy/netns-relay.py" --delay-ms "$delay_ms" "${maps[@]}" \
    >"$logs/relay-$i.out" 2>&1 &
  pids+=($!); disown $!   # killed at exit without the shell's "Killed" notice
done
if [[ -n "$relay" ]]; then
  for i in "${!names[@]}"; do
    for _ in $(seq 1 100); do grep -q "relay ready" "$logs/relay-$i.out" 2>/dev/null && break; sleep 0.1; done
    grep -q "relay ready" "$logs/relay-$i.out" || { cat "$logs/relay-$i.out" >&2; echo "error: the delay relay of node $i did not start" >&2; exit 1; }
  done
fi

common=(node --seeds "$(addr 0):$akka_port" --port "$akka_port" --progress off "$@")
if [[ -z "$insecure" ]]; then
  dotnet "$dll" certs --out "$logs/certs" --nodes "ps$(for i in $(seq 1 "$nodes"); do printf ',worker-%s' "$i"; done)" >/dev/null
fi
# as NAME: sets as_node to node NAME's security flags (its certificate, or --insecure)
as() { if [[ -n "$insecure" ]]; then as_node=(--insecure); else as_node=(--certs "$logs/certs" --node-name "$1"); fi; }
node_pids=()
as ps
ip netns exec "${names[0]}" dotnet "$dll" "${common[@]}" "${as_node[@]}" --role ps --hostname "$(addr 0)" --bind-hostname "$(bind_of 0)" \
  --tensor-port "$tensor_port" --workers $((nodes * per_node)) --out "$out" >"$logs/ps.out" 2>"$logs/ps.log" &
ps_pid=$!; pids+=("$ps_pid"); node_pids+=("$ps_pid")
echo "ps node: pid $ps_pid, $(addr 0):$akka_port, log $logs/ps.log" >&2
# Workers start once the ps listens: before that its relay accepts and drops their connections, which
# with TLS is a failed handshake, and Akka's join then may never try that seed again (seen under load).
for _ in $(seq 1 1200); do
  grep -q '^ps node up at ' "$logs/ps.log" 2>/dev/null && break
  kill -0 "$ps_pid" 2>/dev/null || break
  sleep 0.1
done
worker_pids=()
for i in $(seq 1 "$nodes"); do
  as "worker-$i"
  ip netns exec "${names[$i]}" dotnet "$dll" "${common[@]}" "${as_node[@]}" --role worker --hostname "$(addr "$i")" --bind-hostname "$(bind_of "$i")" \
    --workers-per-node "$per_node" >"$logs/worker-$i.out" 2>"$logs/worker-$i.log" &
  worker_pids+=($!); pids+=($!); node_pids+=($!)
  echo "worker node $i: pid $!, $(addr "$i"):$akka_port, log $logs/worker-$i.log" >&2
done

# 4. Wait for the run, then for the workers (they leave when the ps tells them the run is over).
set +e
wait "$ps_pid"; ps_code=$?
failed=$(( ps_code != 0 ))
echo "ps node exited with $ps_code" >&2
for i in "${!worker_pids[@]}"; do
  pid="${worker_pids[$i]}"
  for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "worker node $((i + 1)) still running 30 s after the ps node: killing it" >&2
    kill -9 "$pid" 2>/dev/null
  fi
  wait "$pid"; code=$?
  echo "worker node $((i + 1)) exited with $code" >&2
  (( code != 0 )) && failed=1
done
set -e

# 5. Bytes on the wire, from each node's interface counters (IP packets, headers included).
echo "node,address,tx_bytes,rx_bytes" >"$logs/wire.csv"
for i in "${!names[@]}"; do
  read -r rx tx < <(ip -n "${names[$i]}" -s link show eth0 | awk '/RX:/{getline; rx=$1} /TX:/{getline; tx=$1} END{printf "%.0f %.0f\n", rx, tx}')
  name=$([[ $i == 0 ]] && echo ps || echo "worker-$i")
  echo "$name,$(addr "$i"),$tx,$rx" >>"$logs/wire.csv"
  echo "wire: $name sent $tx B, received $rx B" >&2
done

cat "$logs/ps.out"
echo "run directory: $out   (logs: $logs)" >&2
exit "$failed"
