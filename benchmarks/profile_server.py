"""Where a `sagegate serve` spends its CPU under one of `e2e.py`'s workloads.

Run: .venv/bin/python benchmarks/profile_server.py [--ops iam:CreateUser+DeleteUser]
                                                   [--duration 5] [--sort tottime] [--top 40]

Starts `sagegate serve` (one worker, throwaway state) under cProfile with a CPU-time clock (a
wall-clock profile of a loaded 2-core machine charges waiting to whoever was running), gives it
`e2e.py`'s setup, drives the chosen workloads (their mix if several) with `e2e.py`'s load
generator, stops the server and prints the heaviest functions. Profiling slows the server
several-fold: read the proportions, not the absolute figures. Nothing asserts on anything.
"""

from __future__ import annotations

import argparse
import os
import pstats
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import e2e  # noqa: E402

# Run as the server's command line, under cProfile: `python profile_server.py --serve ARGS...`.
SERVE_FLAG = "--serve"


def _serve(argv: list[str], out: str) -> int:
    import cProfile
    import time

    from sagegate.cli.main import main

    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        main(argv)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        profile.disable()
        profile.dump_stats(out)
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == SERVE_FLAG:
        return _serve(sys.argv[2:], os.environ["SAGEGATE_PROFILE_OUT"])
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ops", default="iam:CreateUser+DeleteUser", help="workload names, a,b")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumtime)")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    wanted = [w.strip() for w in args.ops.split(",")]
    workloads = [w for w in e2e.WORKLOADS if w.name in wanted]
    if not workloads:
        ap.error(f"no workload named {args.ops!r}; see WORKLOADS in e2e.py")
    tmp = Path(tempfile.mkdtemp(prefix="sagegate-profile-"))
    out = tmp / "server.prof"
    os.environ["SAGEGATE_PROFILE_OUT"] = str(out)
    here = str(Path(__file__).resolve())
    real_bin = e2e._sagegate_bin()

    def profiled_bin() -> list[str]:
        return [sys.executable, here, SERVE_FLAG]

    target = None
    try:
        # `start_sagegate` runs init then serve with the same command: profile only serve.
        calls = iter([real_bin, profiled_bin()])
        e2e._sagegate_bin = lambda: next(calls)
        target = e2e.start_sagegate(tmp, 1)
        e2e.setup(target, workloads)
        plan = (
            e2e.mix_plan(workloads)
            if len(workloads) > 1
            else [(workloads[0], i) for i in range(e2e.POOL)]
        )
        run = argparse.Namespace(duration=args.duration, connections=4, requests=None)
        sample = e2e.measure(target, plan, run)
        print(
            f"{args.ops}: {sample.rps:.0f} req/s, {sample.server_us:.0f} µs server CPU per "
            f"request (profiled){'; errors ' + str(sample.errors) if sample.errors else ''}"
        )
    finally:
        if target is not None and target.proc.poll() is None:
            target.proc.send_signal(signal.SIGINT)
            target.proc.wait(30)
    pstats.Stats(str(out)).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
