#!/usr/bin/env python3
"""Mixed load for scripts/soak.sh: connection churn, resets, half-closes and slow readers
against an echo server on loopback, each byte checked.

Runs for --duration seconds, then prints one JSON object with the counts. Exits 1 when a
byte came back wrong or an unexpected error happened. Talks to 127.0.0.1 (or ::1) only.
"""

import argparse
import json
import random
import socket
import struct
import sys
import threading
import time

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.first_errors = []

    def add(self, key, amount=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + amount

    def error(self, kind, detail):
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if len(self.first_errors) < 10:
                self.first_errors.append(f"{kind}: {detail}")


class WrongBytes(Exception):
    pass


def connect(address):
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(address)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def receive_exactly(sock, count):
    chunks = []
    left = count
    while left > 0:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError(f"end of stream with {left} of {count} bytes missing")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def echo(sock, payload):
    sock.sendall(payload)
    if receive_exactly(sock, len(payload)) != payload:
        raise WrongBytes(f"{len(payload)}-byte echo differs")


def steady(address, deadline, tally, rng):
    """One connection, ping-pong of random sizes until the deadline."""
    with connect(address) as sock:
        while time.monotonic() < deadline:
            echo(sock, rng.randbytes(rng.randint(1, 16384)))
            tally.add("round_trips")


def churn(address, deadline, tally, rng):
    """Connect, one round trip, close; again and again."""
    while time.monotonic() < deadline:
        with connect(address) as sock:
            echo(sock, rng.randbytes(rng.randint(1, 512)))
        tally.add("round_trips")
        tally.add("churned_connections")


def reset(address, deadline, tally, rng):
    """Send, read part of the echo, then reset the connection (SO_LINGER 0) mid-stream."""
    while time.monotonic() < deadline:
        with connect(address) as sock:
            sock.sendall(rng.randbytes(rng.randint(1, 65536)))
            sock.recv(rng.randint(1, 1024))
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tally.add("resets")
        time.sleep(0.002)


def half_close(address, deadline, tally, rng):
    """Send a payload, shut down writing, read the whole echo and then end of stream."""
    while time.monotonic() < deadline:
        with connect(address) as sock:
            payload = rng.randbytes(rng.randint(1, 65536))
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            if receive_exactly(sock, len(payload)) != payload:
                raise WrongBytes("echo after half close differs")
            if sock.recv(1) != b"":
                raise WrongBytes("bytes after the echo of a half-closed connection")
        tally.add("half_closes")
        tally.add("round_trips")


def slow_reader(address, deadline, tally, rng):
    """Send until the server's echo backs up into our unread receive buffer and both
    directions are full, stay still for a while, then drain and check every byte."""
    while time.monotonic() < deadline:
        with connect(address) as sock:
            sent = bytearray()
            sock.setblocking(False)
            stall_until = time.monotonic() + 1.0
            while time.monotonic() < stall_until and len(sent) < (64 << 20):
                chunk = rng.randbytes(65536)
                try:
                    count = sock.send(chunk)
                    sent += chunk[:count]
                except BlockingIOError:
                    time.sleep(0.01)
            sock.settimeout(10)
            sock.shutdown(socket.SHUT_WR)
            received = receive_exactly(sock, len(sent))
            if received != bytes(sent):
                raise WrongBytes(f"slow reader's {len(sent)}-byte echo differs")
            tally.add("slow_reader_bytes", len(sent))
        tally.add("slow_readers")


def run_worker(kind, body, address, deadline, tally, seed):
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        try:
            body(address, deadline, tally, rng)
        except WrongBytes as error:
            tally.error("wrong_bytes", f"{kind}: {error}")
        except (OSError, ConnectionError) as error:
            tally.error("errors", f"{kind}: {error!r}")
            time.sleep(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.host not in LOOPBACK:
        parser.error("loopback only")
    address = (arguments.host, arguments.port)
    deadline = time.monotonic() + arguments.duration
    tally = Tally()
    workers = [("steady", steady)] * 8 + [("churn", churn)] * 4 + [("reset", reset)] * 2
    workers += [("half_close", half_close)] * 2 + [("slow_reader", slow_reader)]
    threads = [
        threading.Thread(target=run_worker, args=(kind, body, address, deadline, tally, arguments.seed * 1000 + index))
        for index, (kind, body) in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=arguments.duration + 60)
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        tally.error("errors", f"{hung} workers did not finish")
    result = {key: tally.counts.get(key, 0) for key in
              ("round_trips", "churned_connections", "resets", "half_closes", "slow_readers",
               "slow_reader_bytes", "errors", "wrong_bytes")}
    result["first_errors"] = tally.first_errors
    print(json.dumps(result), flush=True)
    return 1 if result["errors"] or result["wrong_bytes"] or hung else 0


if __name__ == "__main__":
    sys.exit(main())
