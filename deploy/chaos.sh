#!/usr/bin/env bash
# Chaos run on 127.0.0.1: an active and a standby ps node and N worker nodes train one sync run while
# faults are injected at random moments drawn from a seed: SIGKILL of a worker node, SIGKILL of the
# active ps node. A killed node is restarted once the run has recovered (a killed ps node as the new
# standby); the next fault comes a random pause after the cluster has its size again. Reports faults
# injected and survived, recovery time p50/max per kind, the ledger (updates lost and duplicated),
# and the final validation loss against the same run in one process (fault-free, same token budget);
# in sync mode the two runs' W must be bit-identical. After the last fault the run is stopped
# (SIGTERM to the active ps node: a final checkpoint), so the token budget is what it trained.
#
#   deploy/chaos.sh [-s SEED] [-f FAULTS] [-n WORKER_NODES] [-i MIN_MS-MAX_MS] [-o RUN_DIR] [-b BIN_DIR] [-- train options]
#   -i: pause between faults (default 1000-3000); -b: a built CLI directory (skips the build)
#   train options after -- replace the defaults (they must include --updates, an upper bound, and --checkpoint-every)
#
# e.g. deploy/chaos.sh -s 7 -f 30
# Exit code: 0 when every fault was survived, every node not killed exited 0 and the ledger is exact.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
seed=1 faults=30 nodes=3 pause="1000-3000" out="" bin=""
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
for arg in "$@"; do [[ "$arg" == "--" ]] && break; [[ "$arg" == "--help" ]] && { usage; exit 0; }; done
while getopts "s:f:n:i:o:b:h" opt; do
  case "$opt" in
    s) seed="$OPTARG" ;; f) faults="$OPTARG" ;; n) nodes="$OPTARG" ;; i) pause="$OPTARG" ;;
    o) out="$OPTARG" ;; b) bin="$OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[[ "${1:-}" == "--" ]] && shift
for v in "$seed" "$faults" "$nodes"; do [[ "$v" =~ ^[0-9]+$ ]] || { echo "error: -s, -f and -n take whole numbers (got '$v')" >&2; exit 2; }; done
[[ "$pause" =~ ^([0-9]+)-([0-9]+)$ ]] && (( BASH_REMATCH[1] <= BASH_REMATCH[2] )) || { echo "error: -i takes MIN_MS-MAX_MS, e.g. 1500-4000 (got '$pause')" >&2; exit 2; }
pause_min=${BASH_REMATCH[1]} pause_max=${BASH_REMATCH[2]}
(( nodes >= 1 )) || { echo "error: -n must be at least 1" >&2; exit 2; }
train=("$@")
(( ${#train[@]} > 0 )) || train=(--hidden 96 --batch 8 --chunk 25 --lr 0.01 --updates 10000000 --eval-every 10000 --checkpoint-every 100)
train+=(--progress off --sample 0)

# 1. Build once (unless -b).
if [[ -z "$bin" ]]; then
  bin="$root/out/chaos"
  echo "building into $bin ..." >&2
  dotnet build "$root/src/ActorTrainer.Cli/ActorTrainer.Cli.csproj" -c Release -o "$bin" -nologo -v quiet >&2
fi
dll="$bin/actortrainer.dll" conf="$bin/hocon/local.conf"
[[ -f "$dll" ]] || { echo "error: $dll not found (-b must name a built CLI directory)" >&2; exit 2; }

out="${out:-$root/runs/chaos-$(date +%Y%m%d-%H%M%S)}"
logs="$out-logs"
mkdir -p "$logs"
RANDOM=$seed

in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
next_port=$(( 20000 + RANDOM % 20000 ))
pick_port() { while in_use "$next_port"; do next_port=$((next_port + 1)); done; picked=$next_port; next_port=$((next_port + 1)); }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
rows() { [[ -f "$out/metrics.csv" ]] && wc -l < "$out/metrics.csv" || echo 0; }

declare -A pid port role   # node name → pid, Akka port, ps|worker
killed=()                  # names of the nodes this script killed
cleanup() { for n in "${!pid[@]}"; do kill -9 "${pid[$n]}" 2>/dev/null || true; done; }
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM

live_ps_seeds() {
  local s=()
  for n in "${!role[@]}"; do [[ ${role[$n]} == ps ]] && kill -0 "${pid[$n]}" 2>/dev/null && s+=("127.0.0.1:${port[$n]}"); done
  (IFS=,; echo "${s[*]}")
}
start() {  # start NAME ROLE [node args], on the port last picked; its exit code lands in $logs/NAME.code
  local name=$1 r=$2 p=$picked; shift 2
  ( dotnet "$dll" node --role "$r" --config "$conf" --port "$p" "$@" "${train[@]}" >"$logs/$name.out" 2>"$logs/$name.log" &
    echo $! >"$logs/$name.pid"; wait $!; echo $? >"$logs/$name.code" ) &
  until [[ -s "$logs/$name.pid" ]]; do sleep 0.01; done
  pid[$name]=$(<"$logs/$name.pid") port[$name]=$p role[$name]=$r
}
ps_count=0 worker_count=0
start_standby() { ps_count=$((ps_count + 1)); pick_port; start "ps-$ps_count" ps --seeds "$(live_ps_seeds)" --standby on --resume "$out"; }
start_worker() { worker_count=$((worker_count + 1)); pick_port; start "worker-$worker_count" worker --seeds "$(live_ps_seeds)" --workers-per-node 1; }
wait_for() {  # wait_for SECONDS COMMAND...: true once the command succeeds
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do (( $(date +%s) < deadline )) || return 1; sleep 0.02; done
}
active_ps() {  # the node holding the run's lease (its port is in the lease's address)
  local p; p=$(sed -n 's/.*address=[^ ]*:\([0-9]*\).*/\1/p' "$out/ps.lease" 2>/dev/null)
  for n in "${!role[@]}"; do [[ ${role[$n]} == ps && ${port[$n]} == "$p" ]] && { echo "$n"; return; }; done
}
standby_ready() { local n; for n in "${!role[@]}"; do [[ ${role[$n]} == ps && $n != "$(active_ps)" ]] && kill -0 "${pid[$n]}" 2>/dev/null && grep -q "standby ps node up" "$logs/$n.log" && return 0; done; return 1; }
took_over() { grep -q "first update as server epoch" "$logs/$1.log"; }
joined() { cat "$logs"/ps-*.log | grep -q "worker node akka.tcp://actortrainer@127.0.0.1:${port[$1]} joined"; }
full() {  # the cluster has its size again: a standby up, every live worker node in the run
  standby_ready || return 1
  local n; for n in "${!role[@]}"; do [[ ${role[$n]} == worker ]] && kill -0 "${pid[$n]}" 2>/dev/null && ! joined "$n" && return 1; done
  return 0
}
rows_past() { (( $(rows) > $1 )); }

# 2. The cluster: the active ps node (the seed), a standby, the worker nodes.
updates=$(printf '%s\n' "${train[@]}" | grep -A1 -x -- --updates | tail -1)
[[ "$updates" =~ ^[0-9]+$ ]] || { echo "error: the train options must include --updates N" >&2; exit 2; }
ps_count=1
pick_port
start ps-1 ps --seeds "127.0.0.1:$picked" --workers "$nodes" --out "$out"
wait_for 120 grep -q "ps node up" "$logs/ps-1.log" || { echo "error: the ps node did not start; see $logs/ps-1.log" >&2; exit 1; }
start_standby
wait_for 120 standby_ready || { echo "error: the standby did not start; see $logs" >&2; exit 1; }
for _ in $(seq 1 "$nodes"); do start_worker; done
wait_for 300 rows_past 50 || { echo "error: training did not start; see $logs" >&2; exit 1; }
echo "cluster up: 2 ps nodes, $nodes worker nodes; run $out; injecting $faults faults (seed $seed)" >&2

# 3. Faults, one at a time: inject, restart the killed node, wait for the run to go on.
injected=0 survived=0
rec_worker=() rec_ps=()
while (( injected < faults )); do
  wait_for 300 full || echo "the cluster did not get its size back within 300 s; injecting anyway" >&2
  ms=$(( pause_min + RANDOM % (pause_max - pause_min + 1) ))
  sleep "$(( ms / 1000 )).$(printf '%03d' $(( ms % 1000 )))"
  active=$(active_ps)
  [[ -n "$active" ]] && kill -0 "${pid[$active]}" 2>/dev/null || break
  if grep -q "trained " "$logs/$active.out" 2>/dev/null; then break; fi
  if (( RANDOM % 3 == 0 )); then
    wait_for 120 standby_ready || { echo "no standby ready: fault skipped" >&2; continue; }
    next=""; for n in "${!role[@]}"; do [[ ${role[$n]} == ps && $n != "$active" ]] && kill -0 "${pid[$n]}" 2>/dev/null && next=$n; done
    kill -9 "${pid[$active]}" 2>/dev/null; t0=$(now); killed+=("$active"); injected=$((injected + 1))
    if wait_for 120 took_over "$next"; then
      start_standby # after the recovery is measured: a starting .NET process takes a core for seconds
      r=$(since "$t0"); rec_ps+=("$r"); survived=$((survived + 1))
      printf 'fault %2d: SIGKILL active ps %-9s → %s took over, first update after %.2f s\n' "$injected" "$active" "$next" "$r" >&2
    else echo "fault $injected: SIGKILL active ps $active: no takeover within 120 s" >&2; break; fi
  else
    victims=(); for n in "${!role[@]}"; do [[ ${role[$n]} == worker ]] && kill -0 "${pid[$n]}" 2>/dev/null && victims+=("$n"); done
    (( ${#victims[@]} > 0 )) || continue
    victim=${victims[$(( RANDOM % ${#victims[@]} ))]}
    r0=$(rows)
    kill -9 "${pid[$victim]}" 2>/dev/null; t0=$(now); killed+=("$victim"); injected=$((injected + 1))
    if wait_for 120 rows_past $((r0 + 1)); then
      start_worker
      r=$(since "$t0"); rec_worker+=("$r"); survived=$((survived + 1))
      printf 'fault %2d: SIGKILL worker   %-9s → the run went on after %.2f s\n' "$injected" "$victim" "$r" >&2
    else echo "fault $injected: SIGKILL worker $victim: no update within 120 s" >&2; break; fi
  fi
done

# 4. The end: stop the run (the active ps node writes a final checkpoint and tells every node); every node
# not killed must exit 0, except one restarted too late to take part (the run ended before it was in).
active=$(active_ps)
if [[ -n "$active" ]] && kill -0 "${pid[$active]}" 2>/dev/null; then
  sleep 3; echo "stopping the run (SIGTERM to $active) ..." >&2; kill -TERM "${pid[$active]}"
fi
set +e
failed=0 late=0
ordered=(); for n in "${!pid[@]}"; do [[ ${role[$n]} == ps ]] && ordered=("$n" "${ordered[@]}") || ordered+=("$n"); done
for n in "${ordered[@]}"; do
  [[ " ${killed[*]} " == *" $n "* ]] && continue
  limit=$([[ ${role[$n]} == ps ]] && echo 6000 || echo 600)
  for _ in $(seq 1 "$limit"); do [[ -s "$logs/$n.code" ]] && break; sleep 0.1; done
  if [[ ! -s "$logs/$n.code" ]]; then
    # A node restarted so late that the run ended before it was in: not a failure of the run.
    if ! grep -q "node up at" "$logs/$n.log" || { [[ ${role[$n]} == worker ]] && ! grep -q "run finished" "$logs/$n.log"; }; then
      late=$((late + 1)); kill -TERM "${pid[$n]}" 2>/dev/null; continue
    fi
    echo "$n still running: killing it" >&2; kill -9 "${pid[$n]}" 2>/dev/null; failed=1; continue
  fi
  code=$(<"$logs/$n.code")
  if (( code != 0 )) && ! grep -q "node up at" "$logs/$n.log"; then late=$((late + 1)); continue; fi
  (( code != 0 )) && { echo "$n exited with $code (log: $logs/$n.log)" >&2; failed=1; }
done
set -e
(( late == 0 )) || echo "$late restarted node(s) came too late to take part in the run (stopped, or could not join after it ended)" >&2

# 5. The same run in one process, fault-free, for as many updates as the chaos run trained, then the report.
trained=$(tail -1 "$out/metrics.csv" | cut -d, -f1)
reference=("${train[@]}")
for i in "${!reference[@]}"; do [[ ${reference[$i]} == --updates ]] && reference[$((i + 1))]=$trained; done
echo "fault-free reference: the same $trained updates in one process ..." >&2
dotnet "$dll" train "${reference[@]}" --workers "$nodes" --out "$out-faultfree" >"$logs/faultfree.out" 2>"$logs/faultfree.log" || failed=1
stats() { if (( $# == 0 )); then echo "-"; else printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.2f s / %.2f s", a[int((NR+1)/2)], a[NR]}'; fi; }
python3 - "$out" "$out-faultfree" <<'EOF' > "$logs/ledger.txt" || failed=1
# The ledger as Cli/Training/DataLedger.cs defines it: per slot, a chunk applied twice is a duplicate;
# an id missing between a slot's first and last applied chunk is lost.
import csv, sys
rows = list(csv.reader(open(sys.argv[1] + "/metrics.csv")))[1:]
seen, dup = {}, 0
for r in rows:
    for slot, chunk in zip(r[2].split(";"), r[3].split(";")):
        dup += (slot, int(chunk)) in seen
        seen[(slot, int(chunk))] = True
lost = 0
for slot in {s for s, _ in seen}:
    ids = sorted(c for s, c in seen if s == slot)
    lost += ids[-1] - ids[0] + 1 - len(ids)
numbered = [int(r[0]) for r in rows] == list(range(1, len(rows) + 1))
val = lambda d: float(list(csv.reader(open(d + "/validation.csv")))[-1][2])
same = open(sys.argv[1] + "/model.safetensors", "rb").read() == open(sys.argv[2] + "/model.safetensors", "rb").read()
print(f"{len(rows)} {dup} {lost} {numbered} {val(sys.argv[1]):.4f} {val(sys.argv[2]):.4f} {same}")
sys.exit(0 if dup == 0 and lost == 0 and numbered else 1)
EOF
read -r n_rows dup lost numbered loss ref same < "$logs/ledger.txt"
(( survived == injected )) || failed=1
cat <<EOF

| chaos run (seed $seed, $nodes worker nodes + 2 ps nodes) | |
|---|---|
| faults injected / survived | $injected / $survived (worker SIGKILL ${#rec_worker[@]}, active ps SIGKILL ${#rec_ps[@]}) |
| recovery p50 / max, worker SIGKILL (→ the run's next update) | $(stats "${rec_worker[@]}") |
| recovery p50 / max, active ps SIGKILL (→ the standby's first update) | $(stats "${rec_ps[@]}") |
| updates in metrics.csv, numbered 1…N | $n_rows, $numbered |
| (slot, chunk) lost / duplicated | $lost / $dup |
| final validation loss: chaos run / fault-free in one process | $loss / $ref nats/char ($(echo "($loss - $ref) * 100 / $ref" | bc -l | xargs printf '%+.2f')%) |
| final W bit-identical to the fault-free run | $same |
EOF
echo "run directory: $out   (logs: $logs; fault-free run: $out-faultfree)" >&2
exit "$failed"
