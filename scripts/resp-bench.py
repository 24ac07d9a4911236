#!/usr/bin/env python3
"""Paired RESP benchmark: example-resp against redis-server, both loaded by redis-benchmark.

Each repetition starts each server in turn pinned to one CPU (taskset), loads it with
redis-benchmark pinned to another, one test at a time, and reads the server's CPU time
(the sum of its threads' on-CPU nanoseconds, /proc/PID/task/*/schedstat) before and after.
Prints per case the medians of requests per second, server CPU per request and p99 latency,
and the ratios example-resp / redis-server. Every run is bounded by its request count and a
timeout; the script ends only the servers it started, by PID.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def wait_for_port(port, process, limit=20.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {limit} s")


def start(kind, args, port):
    if kind == "redis-server":
        command = [args.redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                   "--loglevel", "warning"]
    else:
        command = [args.example_resp, "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(["taskset", "-c", args.server_cpu] + command,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, process)
    return process


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load(args, port, test, pipeline, pid):
    requests = args.requests_pipelined if pipeline > 1 else args.requests
    command = ["taskset", "-c", args.client_cpu, args.redis_benchmark, "-h", "127.0.0.1",
               "-p", str(port), "-t", test, "-c", str(args.connections), "-n", str(requests),
               "-P", str(pipeline), "--csv"]
    before = cpu_ns(pid)
    output = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
    used = cpu_ns(pid) - before
    rows = [line for line in output.splitlines() if line.startswith('"') and not line.startswith('"test"')]
    if len(rows) != 1:
        raise RuntimeError(f"unexpected redis-benchmark output: {output!r}")
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
    fields = [field.strip('"') for field in rows[0].split(",")]
    return {"rps": float(fields[1]), "p50_ms": float(fields[4]), "p95_ms": float(fields[5]),
            "p99_ms": float(fields[6]), "cpu_us_per_request": used / 1000 / requests}


def time_left(started, finished, total, planned_per_run=3.0):
    """The runs left at the pace so far (or at planned_per_run seconds each before any)."""
    pace = (time.monotonic() - started) / finished if finished else planned_per_run
    seconds = pace * (total - finished)
    return f"about {seconds:.0f} s" if seconds < 120 else f"about {-(-seconds // 60):.0f} min"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--example-resp", required=True)
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--redis-benchmark", default="redis-benchmark")
    parser.add_argument("--tests", default="ping_inline,ping_mbulk,set,get")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--requests-pipelined", type=int, default=2_000_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--json", help="write every run here")
    args = parser.parse_args()

    servers = ["redis-server", "example-resp"]
    cases = [(test, int(p)) for p in args.pipelines.split(",") for test in args.tests.split(",")]
    runs = {(server, test, p): [] for server in servers for test, p in cases}
    total = args.repetitions * len(servers) * len(cases)
    started = time.monotonic()
    finished = 0
    for repetition in range(args.repetitions):
        # Alternate the order, so that neither server always runs first.
        for server in servers if repetition % 2 == 0 else reversed(servers):
            port = free_port()
            process = start(server, args, port)
            try:
                for test, pipeline in cases:
                    print(f"progress: resp server {server} case {test} -P {pipeline} repetition "
                          f"{repetition + 1}/{args.repetitions}, {time_left(started, finished, total)} left",
                          file=sys.stderr)
                    result = load(args, port, test, pipeline, process.pid)
                    finished += 1
                    runs[(server, test, pipeline)].append(result)
                    print(f"resp-bench: run {repetition + 1} {server} {test} -P {pipeline}: "
                          f"{result['rps']:.0f} req/s, {result['cpu_us_per_request']:.3f} us CPU/req, "
                          f"p99 {result['p99_ms']:.3f} ms", file=sys.stderr)
            finally:
                stop(process)

    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"server": s, "test": t, "pipeline": p, "runs": r} for (s, t, p), r in runs.items()], f, indent=1)

    def median(server, test, pipeline, key):
        return statistics.median(run[key] for run in runs[(server, test, pipeline)])

    print(f"medians of {args.repetitions} paired runs; server on CPU {args.server_cpu}, "
          f"redis-benchmark on CPU {args.client_cpu}, -c {args.connections}")
    print("| test | -P | redis-server req/s | example-resp req/s | req/s ratio | "
          "redis-server CPU us/req | example-resp CPU us/req | CPU ratio | p99 ms (redis / ours) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for test, pipeline in cases:
        rps = [median(s, test, pipeline, "rps") for s in servers]
        cpu = [median(s, test, pipeline, "cpu_us_per_request") for s in servers]
        p99 = [median(s, test, pipeline, "p99_ms") for s in servers]
        print(f"| {test} | {pipeline} | {rps[0]:.0f} | {rps[1]:.0f} | {rps[1] / rps[0]:.2f} | "
              f"{cpu[0]:.3f} | {cpu[1]:.3f} | {cpu[1] / cpu[0]:.2f} | {p99[0]:.3f} / {p99[1]:.3f} |")


if __name__ == "__main__":
    main()
