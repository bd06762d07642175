#!/usr/bin/env python3
"""The docs/traffic.md table from netns-cluster.sh run directories.

    deploy/traffic-table.py --target LOSS RUN_DIR...

Per run: MB on the wire per 1M training tokens (every node's interface tx bytes, RUN_DIR-logs/wire.csv,
IP headers and Akka's own traffic included, over the tokens in metrics.csv), tokens/s (tokens over the
elapsed time of the last update), the time the validation loss first reached LOSS (linear between the
two validations around the crossing; '-' if it never did) and the final validation loss."""
import argparse, csv, os, sys

def row(run, target):
    with open(os.path.join(run, "metrics.csv")) as f:
        m = list(csv.DictReader(f))
    tokens = sum(int(r["tokens"]) for r in m)
    elapsed = float(m[-1]["elapsed_s"])
    with open(run + "-logs/wire.csv") as f:
        wire = sum(float(r["tx_bytes"]) for r in csv.DictReader(f))  # older logs: 6 digits, e.g. 2.90588e+09
    with open(os.path.join(run, "validation.csv")) as f:
        v = [(float(r["elapsed_s"]), float(r["val_loss"])) for r in csv.DictReader(f)]
    reach = None
    prev = (0.0, float("inf"))
    for t, loss in v:
        if loss <= target:
            t0, l0 = prev
            reach = t if l0 == float("inf") else t0 + (t - t0) * (l0 - target) / (l0 - loss)
            break
        prev = (t, loss)
    return os.path.basename(run.rstrip("/")), wire / 1e6 / (tokens / 1e6), tokens / elapsed, reach, v[-1][1], tokens

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", type=float, required=True)
    p.add_argument("runs", nargs="+")
    a = p.parse_args()
    print(f"| run | MB on the wire per 1M tokens | tokens/s | time to val loss {a.target} | final val loss | tokens |")
    print("|---|---|---|---|---|---|")
    for run in a.runs:
        try:
            name, mb, tps, reach, final, tokens = row(run, a.target)
        except (OSError, KeyError, IndexError, ValueError) as e:
            print(f"error: {run}: {e}", file=sys.stderr)
            return 1
        print(f"| {name} | {mb:,.0f} | {tps:,.0f} | {'-' if reach is None else f'{reach:.0f} s'} | {final:.3f} | {tokens:,} |")
    return 0

if __name__ == "__main__":
    sys.exit(main())
