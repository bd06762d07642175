#!/usr/bin/env python3
"""Offline check of the Kubernetes manifests (no cluster needed): every document parses, and nothing
restarts a node that has finished its run (no StatefulSet/Deployment/ReplicaSet/DaemonSet, whose pods
always restart; Jobs restart only on failure). Usage: python3 deploy/k8s/check.py [FILE...]"""
import glob
import os
import sys

import yaml

ALWAYS_RESTART = {"StatefulSet", "Deployment", "ReplicaSet", "DaemonSet", "ReplicationController"}


def problems(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if not docs:
        yield "no documents"
    for d in docs:
        kind, name = d.get("kind"), d.get("metadata", {}).get("name")
        if not kind or not name or "apiVersion" not in d:
            yield f"a document lacks apiVersion, kind or metadata.name: {d!r:.80}"
        elif kind in ALWAYS_RESTART:
            yield f"{kind} {name}: its pods restart after the run completes, starting a new one; use a Job"
        elif kind == "Job":
            policy = d["spec"]["template"]["spec"].get("restartPolicy")
            if policy not in ("Never", "OnFailure"):
                yield f"Job {name}: restartPolicy must be Never or OnFailure (is {policy})"


def main(paths):
    paths = paths or sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "*.yaml")))
    bad = [f"{p}: {msg}" for p in paths for msg in problems(p)]
    for line in bad:
        print(f"error: {line}", file=sys.stderr)
    if not bad:
        print(f"ok: {', '.join(paths)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
