#!/usr/bin/env bash
# The README's benchmark tables, measured in one session beside the libtorch peer
# (../shared/peer-torch, TorchSharp, 1 thread): builds the CLI, then
#   1. single-thread training throughput for the small, medium and large shapes: peer and
#      `actortrainer bench core`, interleaved for R rounds (medians), plus `peer gemm 512`;
#   2. in-process training on the medium shape: the bare loop, two bare loops at once (what the host
#      gives two threads), 1 and 2 worker actors (`actortrainer bench workers`, interleaved, medians)
#      beside the peer's medium figure.
# Prints markdown tables. A shared machine drifts: interleaving and medians make the ratios fair.
#
#   deploy/bench-vs-torch.sh [-r ROUNDS (3)] [-s SECONDS per ActorTrainer measurement (6)] [-c CORPUS]
#                            [-w ROUNDS of the in-process part (as -r)] [-t SECONDS per in-process measurement (as -s)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds=3 seconds=6 corpus="$root/data/tinyshakespeare.txt" wrounds="" wseconds=""
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
for arg in "$@"; do [[ "$arg" == "--help" ]] && { usage; exit 0; }; done
while getopts "r:s:c:w:t:h" opt; do
  case "$opt" in
    r) rounds="$OPTARG" ;;
    s) seconds="$OPTARG" ;;
    c) corpus="$OPTARG" ;;
    w) wrounds="$OPTARG" ;;
    t) wseconds="$OPTARG" ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
wrounds="${wrounds:-$rounds}" wseconds="${wseconds:-$seconds}"
peer="$root/../shared/peer-torch/peer"
[[ -x "$peer" ]] || { echo "error: the libtorch peer is not at $peer" >&2; exit 2; }
[[ -s "$corpus" ]] || { echo "error: corpus $corpus is missing or empty" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: -r must be a positive integer" >&2; exit 2; }
[[ "$wrounds" =~ ^[1-9][0-9]*$ ]] || { echo "error: -w must be a positive integer" >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ && "$wseconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "error: -s and -t must be numbers of seconds" >&2; exit 2; }
corpus="$(realpath "$corpus")"
bin="$root/out/bench"
dotnet build "$root/src/ActorTrainer.Cli/ActorTrainer.Cli.csproj" -c Release -o "$bin" -nologo -v quiet >&2
at() { dotnet "$bin/actortrainer.dll" "$@"; }
field() { grep -o "$1=[0-9.]*" | head -1 | cut -d= -f2; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a / b }'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# name H B K peer-steps (each peer run ≈ 5 s on this class of CPU)
shapes=("small 128 1 25 2000" "medium 256 32 50 250" "large 512 64 50 60")
declare -A peer_tok at_tok at_gf
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$peer" gemm 64 >/dev/null # first use builds the peer
for r in $(seq 1 "$rounds"); do
  for s in "${shapes[@]}"; do
    read -r name h b k steps <<<"$s"
    p=$("$peer" throughput "$h" "$b" "$k" "$steps" "$corpus" | field 'tok/s')
    line=$(at bench core --hidden "$h" --batch "$b" --chunk "$k" --corpus "$corpus" --seconds "$seconds")
    peer_tok[$name]+="$p "; at_tok[$name]+="$(field 'tok/s' <<<"$line") "; at_gf[$name]+="$(field gflops <<<"$line") "
    echo "round $r $name: peer $p tok/s, ActorTrainer $(field 'tok/s' <<<"$line") tok/s" >&2
  done
done
gemm=$("$peer" gemm 512 | field gflops)
own_gemm=$(at bench gemm --n 512 | field gflops)

echo
echo "Single thread, medians of $rounds interleaved rounds; $(date -u '+%Y-%m-%d %H:%M UTC'), load before: see stderr"
echo
echo "| shape | libtorch tok/s | ActorTrainer tok/s | ratio | useful GFLOP/s |"
echo "|---|---:|---:|---:|---:|"
for s in "${shapes[@]}"; do
  read -r name h b k _ <<<"$s"
  pm=$(tr ' ' '\n' <<<"${peer_tok[$name]}" | grep . | median); am=$(tr ' ' '\n' <<<"${at_tok[$name]}" | grep . | median)
  gm=$(tr ' ' '\n' <<<"${at_gf[$name]}" | grep . | median)
  printf '| %s H=%s B=%s k=%s | %.0f | %.0f | %.2f× | %.1f |\n' "$name" "$h" "$b" "$k" "$pm" "$am" "$(div "$am" "$pm")" "$gm"
done
echo
echo "peer gemm 512: $gemm GFLOP/s (libtorch, 1 thread); actortrainer bench gemm --n 512: $own_gemm GFLOP/s"
medium_peer=$(tr ' ' '\n' <<<"${peer_tok[medium]}" | grep . | median)

echo
echo "In process, medium shape (H=256 B=32 k=50, SGD, clip 5): bench workers, $wrounds interleaved rounds of $wseconds s per mode"
echo
echo "| setup | mode | tok/s | vs libtorch | vs bare loop | vs 1 worker | vs 1 worker, paired | vs 2 bare loops, paired |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
printf '| libtorch, 1 thread | | %.0f | 1.00× | | | | |\n' "$medium_peer"
for mode in sync async; do
  out=$(at bench workers --mode "$mode" --hidden 256 --batch 32 --chunk 50 --corpus "$corpus" --workers 1,2 --rounds "$wrounds" --seconds "$wseconds")
  echo "$out" | grep '^round' | sed "s/^/$mode: /" >&2
  core=$(echo "$out" | grep '^median core' | field 'tok/s')
  one=$(echo "$out" | grep '^median inproc workers=1 ' | field 'tok/s')
  two=$(echo "$out" | grep '^median inproc workers=2 ' | field 'tok/s')
  paired=$(echo "$out" | grep '^median inproc workers=2 ' | field 'paired_vs_one_worker')
  vs_cores=$(echo "$out" | grep '^median inproc workers=2 ' | field 'paired_vs_cores')
  cores=$(echo "$out" | grep '^median cores=2 ' | field 'tok/s')
  cores_paired=$(echo "$out" | grep '^median cores=2 ' | field 'paired_vs_core')
  printf '| bare core loop, 1 thread | (%s run) | %.0f | %.2f× | 1.00 | | | |\n' "$mode" "$core" "$(div "$core" "$medium_peer")"
  printf '| 2 bare core loops at once | (%s run) | %.0f | %.2f× | %.3f (paired %.3f) | | | 1.00 |\n' "$mode" "$cores" "$(div "$cores" "$medium_peer")" "$(div "$cores" "$core")" "$cores_paired"
  printf '| 1 worker actor + server actor | %s | %.0f | %.2f× | %.3f | 1.00 | 1.00 | |\n' "$mode" "$one" "$(div "$one" "$medium_peer")" "$(div "$one" "$core")"
  printf '| 2 worker actors + server actor | %s | %.0f | %.2f× | %.3f | %.2f× | %.2f× | %.3f |\n' "$mode" "$two" "$(div "$two" "$medium_peer")" "$(div "$two" "$core")" "$(div "$two" "$one")" "$paired" "$vs_cores"
done
