#!/usr/bin/env python3
"""Where a function's init time goes: the TLS trust store.

Spawns a release function binary as Lambda does (AWS_LAMBDA_RUNTIME_API pointing at a
loopback socket) and times spawn-to-first-connect, the same span `forewarn-bench` calls
init, under four trust-store set-ups, beside the hello-world binary:

- built-in (the default, FOREWARN_TLS_ROOTS=aws): the five Amazon Trust Services roots;
- system (FOREWARN_TLS_ROOTS=system): rustls-native-certs asks openssl-probe, which on
  Debian finds the bundle file *and* /etc/ssl/certs (about 290 files) and reads both;
- system with SSL_CERT_FILE: the bundle file alone;
- system with no readable root (SSL_CERT_DIR at a missing folder): the floor.

Needs no local stack: init opens no connection but the Runtime API's.
Usage: bench/trust_store_probe.py [--runs 21] [--target target/release]
"""

import argparse
import os
import socket
import statistics
import subprocess
import time

ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "eu-west-1",
    "AWS_LC_SYS_NO_JITTER_ENTROPY": "1",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "FOREWARN_TABLE": "t",
    "FOREWARN_BUS": "b",
    "FOREWARN_SENDER_EMAIL": "alerts@example.com",
    "FOREWARN_SCHEDULE_GROUP": "g",
    "FOREWARN_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/forewarn-scheduler",
    "FOREWARN_DISPATCH_ARN": "arn:aws:lambda:eu-west-1:123456789012:function:forewarn-dispatch",
    "AWS_LAMBDA_FUNCTION_NAME": "probe",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "HOME": "/nonexistent",
}


def init_ms(binary: str, extra: dict) -> float:
    """Spawn to the first connection on the Runtime API socket, in ms."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        env = dict(ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{s.getsockname()[1]}", **extra)
        started = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn, _ = s.accept()
        took = (time.perf_counter() - started) * 1e3
        p.kill()
        p.wait()
        conn.close()
        return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--target", default=os.path.join(os.path.dirname(__file__), "..", "target", "release"))
    ap.add_argument("--function", default="suspicious-transaction")
    a = ap.parse_args()
    bundle = next(
        (f for f in ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt") if os.path.exists(f)),
        None,
    )
    system = {"FOREWARN_TLS_ROOTS": "system"}
    cases = [
        ("hello-world lambda_runtime", "hello-lambda", {}),
        (f"{a.function}, built-in AWS roots (default)", a.function, {}),
        (f"{a.function}, system store", a.function, system),
    ]
    if bundle:
        cases.append((f"{a.function}, system store, SSL_CERT_FILE={bundle} only", a.function, dict(system, SSL_CERT_FILE=bundle)))
    cases.append((f"{a.function}, system store, no root certificates (floor)", a.function, dict(system, SSL_CERT_DIR="/nonexistent")))
    # Interleaved rounds, so drift on a noisy machine hits every case alike.
    times = {label: [] for label, _, _ in cases}
    for _ in range(a.runs):
        for label, binary, extra in cases:
            times[label].append(init_ms(os.path.join(a.target, binary), extra))
    hello = statistics.median(times[cases[0][0]])
    for label, _, _ in cases:
        m = statistics.median(times[label])
        print(f"{label}: init median {m:.2f} ms ({m / hello:.2f}x hello) over {a.runs} runs")


if __name__ == "__main__":
    main()
