#!/usr/bin/env python3
"""Each function's release binary beside the hello-world one: its size and its init.

Init is spawn-to-first-connect on a loopback Runtime API socket, the span `forewarn-bench`
calls init, in interleaved rounds so the machine's drift hits every binary alike. Needs no
local stack (init opens no connection but the Runtime API's), only the release binaries
(`cargo build --release -p <function> … -p hello-lambda`).
Usage: bench/functions_probe.py [--runs 21] [--target target/release]
"""

import argparse
import os
import statistics

from trust_store_probe import init_ms

FUNCTIONS = [
    "suspicious-transaction", "flight-delay", "low-balance", "incomplete-application",
    "dispatch", "reply", "resolve", "feedback", "activity",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--target", default=os.path.join(os.path.dirname(__file__), "..", "target", "release"))
    a = ap.parse_args()
    names = ["hello-lambda"] + [f for f in FUNCTIONS if os.path.exists(os.path.join(a.target, f))]
    times = {n: [] for n in names}
    for _ in range(a.runs):
        for n in names:
            times[n].append(init_ms(os.path.join(a.target, n), {}))
    hello = statistics.median(times["hello-lambda"])
    print(f"{'binary':<24} {'size MiB':>9} {'init ms':>8} {'x hello':>8}")
    for n in names:
        size = os.path.getsize(os.path.join(a.target, n)) / 2**20
        init = statistics.median(times[n])
        print(f"{n:<24} {size:>9.2f} {init:>8.2f} {init / hello:>8.2f}")


if __name__ == "__main__":
    main()
