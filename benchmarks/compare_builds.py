"""Two builds of sagegate side by side: the working tree against a git revision, on the same work.

Run: .venv/bin/python benchmarks/compare_builds.py [--base HEAD~1] [--ops NAME|mix]
                                                  [--rounds 6] [--duration 3] [--connections 4]

This machine's speed moves by 10-25% from one run to the next, more than most changes do, so a
change is judged by running both builds at once: the base revision is checked out in a throwaway
git worktree, both are served (`sagegate serve` with PYTHONPATH on each source tree, everything
else as `e2e.py` sets it up), and phases of the same signed requests alternate between them, the
order swapped every round. Prints each build's server CPU per request (medians) and their ratio.
Never part of the test suite; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import e2e  # noqa: E402
from _loadgen import run_phase  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def start(tree: Path, workloads: list[e2e.Workload]) -> e2e.Target:
    """A sagegate served from the source tree `tree`, set up for `workloads`."""
    os.environ["PYTHONPATH"] = str(tree)  # the served process imports sagegate from `tree`
    try:
        target = e2e.start_sagegate(Path(tempfile.mkdtemp(prefix="sagegate-cmp-")), 1)
    finally:
        os.environ.pop("PYTHONPATH")
    e2e.setup(target, workloads)
    return target


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", default="HEAD", help="git revision to compare against")
    ap.add_argument("--ops", default="mix", help="one workload name (see e2e.py), or 'mix'")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=float, default=3.0)
    ap.add_argument("--connections", type=int, default=4)
    args = ap.parse_args()
    mix = args.ops == "mix"
    workloads = list(e2e.WORKLOADS) if mix else [w for w in e2e.WORKLOADS if w.name == args.ops]
    if not workloads:
        raise SystemExit(f"no workload {args.ops!r}")
    base = Path(tempfile.mkdtemp(prefix="sagegate-base-")) / "tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(base), args.base], check=True)
    targets: dict[str, e2e.Target] = {}
    cpu: dict[str, list[float]] = {"base": [], "work": []}
    try:
        targets["base"] = start(base, workloads)
        targets["work"] = start(ROOT, workloads)
        index = 0
        for rnd in range(args.rounds):
            for name in ("base", "work") if rnd % 2 == 0 else ("work", "base"):
                t = targets[name]
                if mix:
                    items = e2e.signed_items(t, e2e.mix_plan(workloads))
                else:
                    plan = [(workloads[0], index + i) for i in range(e2e.POOL)]
                    items = e2e.signed_items(t, plan)
                    index += e2e.POOL
                r = run_phase(
                    t.port,
                    items,
                    duration=args.duration,
                    connections=args.connections,
                    server_pid=t.proc.pid,
                )
                cpu[name].append(r.server_cpu / max(r.done, 1) * 1e6)
    finally:
        for t in targets.values():
            e2e.stop(t)
        subprocess.run([*git, "worktree", "remove", "--force", str(base)], check=False)
    for name, label in (("base", args.base), ("work", "working tree")):
        runs = " ".join(f"{x:.0f}" for x in cpu[name])
        print(f"{label:>14}: {statistics.median(cpu[name]):6.0f} µs server CPU/request  ({runs})")
    ratio = statistics.median(cpu["work"]) / statistics.median(cpu["base"])
    print(f"working tree / {args.base} = {ratio:.3f} ({args.ops})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
