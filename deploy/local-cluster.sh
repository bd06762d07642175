#!/usr/bin/env bash
# Local ActorTrainer cluster on 127.0.0.1: builds the CLI once, starts 1 ps node + N worker node
# processes on distinct free ports, waits for the ps node (the run) to finish, collects every exit
# code, and kills whatever is left on exit. Training options after `--` go to every node. Nodes speak
# mutual TLS with a CA made for this run (RUN_DIR-logs/certs, by `actortrainer certs`).
#
#   deploy/local-cluster.sh [-n WORKER_NODES] [-w WORKERS_PER_NODE] [-p PS_PORT] [-o RUN_DIR] [-a] [-i] [-- train options]
#   -a: pin worker node i to CPU (i-1) mod cores with taskset, as an in-process run pins its workers
#   -i: plaintext (--insecure): no certificates; anyone who reaches the ports can join, read W and push
#
# e.g. deploy/local-cluster.sh -n 2 -- --hidden 64 --updates 2000 --mode async
# Exit code: 0 when the ps node and every worker node exited 0; otherwise 1.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
nodes=2 per_node=1 ps_port="" out="" affinity=""
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
insecure=""
for arg in "$@"; do [[ "$arg" == "--" ]] && break; [[ "$arg" == "--help" ]] && { usage; exit 0; }; done
while getopts "n:w:p:o:aih" opt; do
  case "$opt" in
    a) affinity=1 ;;
    i) insecure=1 ;;
    n) nodes="$OPTARG" ;;
    w) per_node="$OPTARG" ;;
    p) ps_port="$OPTARG" ;;
    o) out="$OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ "${1:-}" == "--" ]] && shift
[[ "$nodes" =~ ^[1-9][0-9]*$ ]] || { echo "error: -n must be a positive integer (got '$nodes')" >&2; exit 2; }
[[ "$per_node" =~ ^[1-9][0-9]*$ ]] || { echo "error: -w must be a positive integer (got '$per_node')" >&2; exit 2; }

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p="$1"; while in_use "$p"; do p=$((p + 1)); done; echo "$p"; }

# 1. Build once.
bin="$root/out/local-cluster"
echo "building into $bin ..." >&2
dotnet build "$root/src/ActorTrainer.Cli/ActorTrainer.Cli.csproj" -c Release -o "$bin" -nologo -v quiet >&2
dll="$bin/actortrainer.dll"

# 2. Ports and directories.
if [[ -z "$ps_port" ]]; then ps_port="$(free_port 4053)"; elif in_use "$ps_port"; then
  echo "error: port $ps_port on 127.0.0.1 is already in use" >&2; exit 2
fi
out="${out:-$root/runs/cluster-$(date +%Y%m%d-%H%M%S)}"
logs="$out-logs"
mkdir -p "$logs"
common=(node --config "$bin/hocon/local.conf" --seeds "127.0.0.1:$ps_port" --progress off "$@")
# as NAME: sets as_node to node NAME's security flags (its certificate, or --insecure)
if [[ -z "$insecure" ]]; then
  dotnet "$dll" certs --out "$logs/certs" --nodes "ps$(for i in $(seq 1 "$nodes"); do printf ',worker-%s' "$i"; done)" --hosts 127.0.0.1 >/dev/null
fi
as() { if [[ -n "$insecure" ]]; then as_node=(--insecure); else as_node=(--certs "$logs/certs" --node-name "$1"); fi; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'echo "interrupted: stopping the nodes" >&2; for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; wait; exit 130' INT TERM

# 3. Start the ps node (the seed), then the worker nodes on the next free ports.
as ps
dotnet "$dll" "${common[@]}" "${as_node[@]}" --role ps --port "$ps_port" --workers $((nodes * per_node)) --out "$out" \
  >"$logs/ps.out" 2>"$logs/ps.log" &
ps_pid=$!; pids+=("$ps_pid")
echo "ps node: pid $ps_pid, 127.0.0.1:$ps_port, log $logs/ps.log" >&2
port=$ps_port
worker_pids=()
for i in $(seq 1 "$nodes"); do
  port="$(free_port $((port + 1)))"
  pin=()
  if [[ -n "$affinity" ]]; then pin=(taskset -c "$(( (i - 1) % $(nproc) ))"); fi
  as "worker-$i"
  "${pin[@]}" dotnet "$dll" "${common[@]}" "${as_node[@]}" --role worker --port "$port" --workers-per-node "$per_node" \
    >"$logs/worker-$i.out" 2>"$logs/worker-$i.log" &
  worker_pids+=($!); pids+=($!)
  echo "worker node $i: pid $!, 127.0.0.1:$port, log $logs/worker-$i.log" >&2
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

cat "$logs/ps.out"
echo "run directory: $out   (logs: $logs)" >&2
exit "$failed"
