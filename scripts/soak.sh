#!/usr/bin/env bash
# Soak test: runs our echo server (`uring-bench echo-server`, release build) for SECONDS
# (default 60) under two loads at once, on loopback only:
#   - our load generator, `uring-bench echo-client`, in back-to-back runs;
#   - scripts/soak-load.py: connection churn, resets mid-stream, half-closes and slow
#     readers, every byte checked.
# Then it reports round trips, errors, and the server's descriptor count (/proc/PID/fd) and
# resident memory (VmRSS) at start and end, and stops the server with SIGTERM while
# connections are still open. It fails when a byte was wrong, a load reported errors, the
# descriptors or memory grew beyond a small bound, or the server did not exit cleanly.
# It only ever signals the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_TOTAL=${1:-60}
if ! [[ $SECONDS_TOTAL =~ ^[0-9]+$ ]] || ((SECONDS_TOTAL < 10)); then
    echo "usage: scripts/soak.sh [SECONDS]   (at least 10, default 60)" >&2
    exit 2
fi
# Bounds: descriptors at the end against the idle server at start; memory at the end
# against the server a quarter into the load, once the rings' provided buffers (touched
# lazily, up to 16 MiB per ring by default) and the allocator's pools have filled in, so
# the check sees growth that goes on with the work, not the first use.
MAX_DESCRIPTOR_GROWTH=${SOAK_MAX_DESCRIPTOR_GROWTH:-2}
MAX_RSS_GROWTH_KB=${SOAK_MAX_RSS_GROWTH_KB:-16384}
SCRATCH=${SOAK_SCRATCH_PATH:-.build-soak}

scripts/install-deps.sh
echo "building uring-bench (release, $SCRATCH)..." >&2
swift build -c release --product uring-bench --scratch-path "$SCRATCH" >&2
BENCH="$SCRATCH/release/uring-bench"

WORK=$(mktemp -d)
SERVER_PID=""
HOLDER_PID=""
CLIENT_LOOP_PID=""
SAMPLER_PID=""
cleanup() {
    # Only the PIDs this script started, one at a time.
    for pid in $CLIENT_LOOP_PID $SAMPLER_PID $HOLDER_PID $SERVER_PID; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

descriptors() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

"$BENCH" echo-server --port 0 >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/server.out")
    [[ -n $PORT ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $PORT ]]; then
    echo "soak: the server did not start" >&2
    cat "$WORK/server.err" >&2
    exit 1
fi
FD_START=$(descriptors "$SERVER_PID")
RSS_START=$(rss_kb "$SERVER_PID")
echo "server pid $SERVER_PID on 127.0.0.1:$PORT: $FD_START descriptors, VmRSS $RSS_START kB at start"

# Warm-up: every ring sets up its provided buffers on first use.
timeout 60 "$BENCH" echo-client --port "$PORT" --connections 64 --size 4096 --duration 2 --warmup 0 \
    >"$WORK/warmup.out" 2>&1 || { cat "$WORK/warmup.out" >&2; echo "soak: warm-up failed" >&2; exit 1; }
sleep 1
RSS_WARM=$(rss_kb "$SERVER_PID")
echo "after warm-up: $(descriptors "$SERVER_PID") descriptors, VmRSS $RSS_WARM kB"

LOAD_SECONDS=$((SECONDS_TOTAL - 5))
DEADLINE=$(($(date +%s) + LOAD_SECONDS))
# Our load generator, back to back until the deadline; each run's RESULT line is kept.
(
    run=0
    while (($(date +%s) + 3 <= DEADLINE)); do
        left=$((DEADLINE - $(date +%s)))
        duration=$((left < 10 ? left - 1 : 10))
        run=$((run + 1))
        if ! timeout $((duration + 60)) "$BENCH" echo-client --port "$PORT" --connections 32 \
            --size $((64 << (run % 6))) --duration "$duration" --warmup 0 >"$WORK/client.$run.out" 2>&1; then
            echo "failed" >"$WORK/client.$run.failed"
        fi
    done
) &
CLIENT_LOOP_PID=$!
# The server's VmRSS every 5 seconds of the load.
(
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        echo "$(($(date +%s) - DEADLINE + LOAD_SECONDS)) $(rss_kb "$SERVER_PID")" >>"$WORK/rss.samples"
        sleep 5
    done
) &
SAMPLER_PID=$!
LOAD_STATUS=0
timeout $((LOAD_SECONDS + 120)) python3 scripts/soak-load.py --port "$PORT" --duration "$LOAD_SECONDS" \
    >"$WORK/load.json" 2>"$WORK/load.err" || LOAD_STATUS=$?
wait "$CLIENT_LOOP_PID" || true
CLIENT_LOOP_PID=""
kill "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
# The baseline: the first sample a quarter or more into the load.
RSS_SETTLED=$(awk -v q=$((LOAD_SECONDS / 4)) '$1 >= q { print $2; exit }' "$WORK/rss.samples")
RSS_SETTLED=${RSS_SETTLED:-$RSS_WARM}

# Let the server close what the loads left, then measure.
FD_END=$(descriptors "$SERVER_PID")
for _ in $(seq 1 50); do
    ((FD_END <= FD_START + MAX_DESCRIPTOR_GROWTH)) && break
    sleep 0.1
    FD_END=$(descriptors "$SERVER_PID")
done
RSS_END=$(rss_kb "$SERVER_PID")

# Process shutdown with work in flight: SIGTERM while connections are open and idle.
python3 - "$PORT" <<'EOF' &
import socket, sys, time
sockets = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(20)]
time.sleep(60)
EOF
HOLDER_PID=$!
sleep 0.5
kill -TERM "$SERVER_PID"
SERVER_STATUS=0
for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
    SERVER_STATUS="still running 10 s after SIGTERM"
else
    wait "$SERVER_PID" || SERVER_STATUS=$?
fi
SERVER_PID=""

# Report.
CLIENT_RUNS=$(find "$WORK" -name 'client.*.out' | wc -l)
CLIENT_FAILED=$(find "$WORK" -name 'client.*.failed' | wc -l)
CLIENT_ROUND_TRIPS=0
CLIENT_ERRORS=0
for file in "$WORK"/client.*.out; do
    [[ -e $file ]] || continue
    line=$(grep '^RESULT' "$file" | tail -1 || true)
    rt=$(sed -n 's/.*round_trips_all=\([0-9]*\).*/\1/p' <<<"$line")
    errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$line")
    CLIENT_ROUND_TRIPS=$((CLIENT_ROUND_TRIPS + ${rt:-0}))
    CLIENT_ERRORS=$((CLIENT_ERRORS + ${errors:-0}))
done
echo "echo-client: $CLIENT_RUNS runs, $CLIENT_ROUND_TRIPS round trips, $CLIENT_ERRORS errors, $CLIENT_FAILED failed runs"
echo "soak-load: $(cat "$WORK/load.json" 2>/dev/null || echo '(no result)')"
echo "server descriptors: $FD_START at start, $FD_END at end (bound +$MAX_DESCRIPTOR_GROWTH)"
echo "server VmRSS: $RSS_START kB at start, $RSS_WARM kB after warm-up, $RSS_SETTLED kB a quarter" \
    "into the load, $RSS_END kB at end (bound +$MAX_RSS_GROWTH_KB kB over the quarter mark)"
echo "server VmRSS samples (s kB): $(tr '\n' ' ' <"$WORK/rss.samples")"
echo "server exit after SIGTERM with 20 open connections: $SERVER_STATUS"

FAILURES=()
((LOAD_STATUS == 0)) || FAILURES+=("soak-load exited $LOAD_STATUS (wrong bytes or errors): $(cat "$WORK/load.err")")
((CLIENT_RUNS > 0)) || FAILURES+=("echo-client never ran")
((CLIENT_FAILED == 0 && CLIENT_ERRORS == 0)) || FAILURES+=("echo-client reported errors")
((FD_END <= FD_START + MAX_DESCRIPTOR_GROWTH)) || FAILURES+=("descriptors grew from $FD_START to $FD_END")
((RSS_END <= RSS_SETTLED + MAX_RSS_GROWTH_KB)) || FAILURES+=("VmRSS grew from $RSS_SETTLED kB to $RSS_END kB")
[[ $SERVER_STATUS == 0 ]] || FAILURES+=("server exit: $SERVER_STATUS")
if ((${#FAILURES[@]} > 0)); then
    printf 'soak: FAILED: %s\n' "${FAILURES[@]}" >&2
    for file in "$WORK"/client.*.out; do
        [[ -e "${file%.out}.failed" ]] && tail -5 "$file" >&2
    done
    tail -20 "$WORK/server.err" >&2
    exit 1
fi
echo "soak: passed"
