#!/usr/bin/env bash
# The deploy/README.md benchmark tables, in one session: builds the CLI once, then
#   1. `bench transport` (tensor channel and Akka.Remote beside raw loopback TCP, 1M parameters);
#   2. training on the medium shape (H=256 B=32 k=50, sync, SGD lr 0.05), interleaved for R rounds:
#      in process with 2 workers (`bench inproc`), and 1 ps + 2 worker processes
#      (deploy/local-cluster.sh -a: worker node i pinned to CPU i-1, as in-process pins worker i; every message after the join on the tensor channel),
#      with mutual TLS (the default) and once more in plaintext (-i): the cost of TLS, paired back to back
#      (which of the pair runs first alternates by round), in tokens/s and in CPU seconds of each whole local-cluster.sh run.
# Cluster tokens/s are taken over updates 51..N of metrics.csv (sum of tokens over rows 52.. divided
# by the elapsed_s difference): start-up and warm-up left out. Prints markdown tables with medians.
#
#   deploy/bench-cluster.sh [-r ROUNDS (3)] [-u UPDATES per cluster run (1000)] [-s SECONDS per transport measurement (10)] [-c CORPUS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds=3 updates=1000 seconds=10 corpus="$root/data/tinyshakespeare.txt"
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do [[ "$arg" == "--help" ]] && { usage; exit 0; }; done
while getopts "r:u:s:c:h" opt; do
  case "$opt" in
    r) rounds="$OPTARG" ;;
    u) updates="$OPTARG" ;;
    s) seconds="$OPTARG" ;;
    c) corpus="$OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -s "$corpus" ]] || { echo "error: corpus $corpus is missing or empty" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: -r must be a positive integer" >&2; exit 2; }
[[ "$updates" =~ ^[0-9]+$ && "$updates" -ge 100 ]] || { echo "error: -u must be at least 100" >&2; exit 2; }
corpus="$(realpath "$corpus")"
bin="$root/out/local-cluster" # where local-cluster.sh builds: one build for everything
dotnet build "$root/src/ActorTrainer.Cli/ActorTrainer.Cli.csproj" -c Release -o "$bin" -nologo -v quiet >&2
at() { dotnet "$bin/actortrainer.dll" "$@"; }
field() { grep -o "$1=[0-9.]*" | head -1 | cut -d= -f2; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# tokens/s over updates 51..N of a run directory's metrics.csv
cluster_toks() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
           $col["update"] == 51 { t0 = $col["elapsed_s"] }
           $col["update"] > 51 { tok += $col["tokens"]; t1 = $col["elapsed_s"] }
           END { printf "%.0f", tok / (t1 - t0) }' "$1/metrics.csv"
}
train=(--hidden 256 --batch 32 --chunk 50 --corpus "$corpus")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

transport=$(at bench transport --seconds "$seconds")
echo "$transport" >&2

# one cluster run into $work/NAME (extra local-cluster.sh flags after NAME); its user+sys CPU seconds, all nodes, into $work/NAME.cpu
cluster_run() {
  local name="$1"; shift
  /usr/bin/time -f '%U %S' -o "$work/$name.time" "$root/deploy/local-cluster.sh" -n 2 -a "$@" -o "$work/$name" -- \
    "${train[@]}" --updates "$updates" --eval-every 0 --optimizer sgd --lr 0.05 >/dev/null 2>&1
  awk '{ printf "%.1f", $1 + $2 }' "$work/$name.time" > "$work/$name.cpu"
}
declare -a inproc channel plain channel_cpu plain_cpu
for r in $(seq 1 "$rounds"); do
  i=$(at bench inproc --workers 2 "${train[@]}" | field 'tok/s')
  if ((r % 2)); then cluster_run "channel-$r"; cluster_run "plain-$r" -i; else cluster_run "plain-$r" -i; cluster_run "channel-$r"; fi
  c=$(cluster_toks "$work/channel-$r"); p=$(cluster_toks "$work/plain-$r")
  inproc+=("$i"); channel+=("$c"); plain+=("$p"); channel_cpu+=("$(cat "$work/channel-$r.cpu")"); plain_cpu+=("$(cat "$work/plain-$r.cpu")")
  echo "round $r: in process $i tok/s; cluster, tensor channel $c tok/s and ${channel_cpu[-1]} CPU s (TLS), $p tok/s and ${plain_cpu[-1]} CPU s (plaintext); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
im=$(printf '%s\n' "${inproc[@]}" | median); cm=$(printf '%s\n' "${channel[@]}" | median); pm=$(printf '%s\n' "${plain[@]}" | median)
ccm=$(printf '%s\n' "${channel_cpu[@]}" | median); pcm=$(printf '%s\n' "${plain_cpu[@]}" | median)

raw=$(grep '^raw TCP' <<<"$transport" | grep -o '[0-9]* MB/s' | head -1 | cut -d' ' -f1)
ch=$(grep '^tensor channel: ' <<<"$transport" | grep -o '[0-9]* MB/s' | head -1 | cut -d' ' -f1)
tl=$(grep '^tensor channel, TLS' <<<"$transport" | grep -o '[0-9]* MB/s' | head -1 | cut -d' ' -f1)
ak=$(grep '^akka.remote' <<<"$transport" | grep -o '[0-9]* MB/s' | head -1 | cut -d' ' -f1)
pct() { awk -v a="$1" -v b="$2" 'BEGIN { print 100 * a / b }'; }
echo
echo "Transport, 1M parameters, 2 pushes in flight, $seconds s each (bench transport --seconds $seconds)"
echo
echo "| path | MB/s | vs raw TCP |"
echo "|---|---:|---:|"
printf '| raw loopback TCP, same pattern | %s | 100%% |\n' "$raw"
printf '| tensor channel (the cluster path), plaintext | %s | %.0f%% |\n' "$ch" "$(pct "$ch" "$raw")"
printf '| tensor channel, mutual TLS (as nodes run it) | %s | %.0f%% |\n' "$tl" "$(pct "$tl" "$raw")"
printf '| Akka.Remote, 64 KiB parts (bench only: runs no longer use it) | %s | %.0f%% |\n' "$ak" "$(pct "$ak" "$raw")"
echo
echo "Training, medium shape, medians of $rounds interleaved rounds (cluster: updates 51..$updates)"
echo
echo "| setup | tok/s | vs in process |"
echo "|---|---:|---:|"
printf '| in process, 2 workers | %.0f | 100%% |\n' "$im"
printf '| cluster, 1 ps + 2 worker processes, tensor channel | %.0f | %.0f%% |\n' "$cm" "$(pct "$cm" "$im")"
printf '| cluster, as above in plaintext (-i, --insecure) | %.0f | %.0f%% |\n' "$pm" "$(pct "$pm" "$im")"
echo
echo "Cost of mutual TLS (tensor channel, pairs of runs back to back):"
echo "- tokens/s, TLS/plaintext: median $(pct "$cm" "$pm" | awk '{printf "%.1f", $1}')%; per round: $(for r in $(seq 0 $((rounds - 1))); do pct "${channel[$r]}" "${plain[$r]}" | awk '{printf "%.1f%% ", $1}'; done)"
echo "- CPU seconds of the whole local-cluster.sh (its up-to-date build check, then ps + 2 workers from start-up to exit), TLS/plaintext: median $ccm s / $pcm s = $(pct "$ccm" "$pcm" | awk '{printf "%.1f", $1}')%; per round: $(for r in $(seq 0 $((rounds - 1))); do pct "${channel_cpu[$r]}" "${plain_cpu[$r]}" | awk '{printf "%.1f%% ", $1}'; done)"
