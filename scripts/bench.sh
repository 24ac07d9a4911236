#!/usr/bin/env bash
# The main job: runs every benchmark suite, or those named, each with its own peers and
# yardsticks, and writes every suite's raw figures, the merged results and the HTML report
# into one folder.
#
#   scripts/bench.sh [--suites echo,http,resp,udp,file] [--repetitions N] [--quick] [--out DIR]
#                    [-- EXTRA...]
#
#   echo  TCP echo: async-uring (io_uring and epoll) against the SwiftNIO peers and the C
#         yardsticks echo_uring/echo_epoll, loaded by the C loadgen (scripts/bench-echo.sh)
#   http  HTTP/1.1: async-uring, the Hummingbird peers and nginx, loaded by wrk
#         (scripts/bench-http.sh)
#   resp  RESP: example-resp against redis-server, loaded by redis-benchmark
#         (scripts/bench-resp.sh)
#   udp   UDP echo: async-uring-udp on each driver, nio-udp-echo and udp_echo, loaded by
#         udp_loadgen (scripts/bench-udp.sh)
#   file  random reads: uring-bench file-run against fio (scripts/bench-file.sh)
#
# The C yardsticks and load generators come from ../shared/bench (SHARED_BENCH overrides).
# Each suite installs the Debian packages it needs when missing (scripts/install-deps.sh:
# wrk, nginx-light, redis-server, redis-tools, fio) and is skipped, with a note on stderr and
# in skipped.txt, when they cannot be had. A suite that fails does not stop the others; the
# exit status is 1 when any failed (or the report could not be made), 69 when every suite
# was skipped.
#
# --repetitions N  times each server runs each case (default 3)
# --quick          1 repetition (unless --repetitions), one or two cases, 1 s runs: checks that
#                  everything runs in a few minutes; its figures are not worth comparing
# --out DIR        where everything goes (default bench-results/<UTC time>/ in the repository)
# -- EXTRA...      passed on to the one suite named, e.g.
#                  `scripts/bench.sh --suites echo -- --cases 50:64`
#
# DIR gets <suite>-raw.json (each runner's --json) and <suite>.log per suite, summary.txt,
# skipped.txt when a suite was skipped, and from `uring-bench report` results.json (every
# suite in one BenchResults file, what `uring-bench compare A.json B.json` reads) and
# report.html.
set -euo pipefail
caller="$PWD"
root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
cd "$root"
shared_bench="${SHARED_BENCH:-$root/../shared/bench}"
all_suites=(echo http resp udp file)

# The usage lines of the comment above (all of it with --help).
usage() {
    if [ "$1" -eq 0 ]; then
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    else
        sed -n '/^#   scripts/,/^#                    \[-- EXTRA/p' "$0" | sed 's/^# \{0,1\}//' >&2
    fi
    exit "$1"
}

suites_text="$(IFS=,; echo "${all_suites[*]}")"
repetitions=""
quick=false
out=""
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --suites) suites_text="${2:?--suites needs a list}"; shift 2 ;;
    --suites=*) suites_text="${1#*=}"; shift ;;
    --repetitions) repetitions="${2:?--repetitions needs a number}"; shift 2 ;;
    --repetitions=*) repetitions="${1#*=}"; shift ;;
    --quick) quick=true; shift ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --out=*) out="${1#*=}"; shift ;;
    --) shift; extra=("$@"); break ;;
    -h | --help) usage 0 ;;
    *) echo "bench.sh: unknown argument '$1'" >&2; usage 64 ;;
    esac
done

suites=()
IFS=, read -r -a named <<<"$suites_text"
for suite in "${named[@]}"; do
    suite="${suite// /}"
    [ -n "$suite" ] || continue
    if [[ ! " ${all_suites[*]} " == *" $suite "* ]]; then
        echo "bench.sh: unknown suite '$suite'; the suites are $(IFS=,; echo "${all_suites[*]}")" >&2
        exit 64
    fi
    if [[ " ${suites[*]} " == *" $suite "* ]]; then
        echo "bench.sh: suite '$suite' named twice" >&2
        exit 64
    fi
    suites+=("$suite")
done
[ ${#suites[@]} -gt 0 ] || { echo "bench.sh: --suites names no suite" >&2; exit 64; }
if [ -n "$repetitions" ] && ! [[ "$repetitions" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench.sh: --repetitions must be a whole number of at least 1, not '$repetitions'" >&2
    exit 64
fi
if [ ${#extra[@]} -gt 0 ] && [ ${#suites[@]} -ne 1 ]; then
    echo "bench.sh: arguments after -- go to one suite's runner; name one with --suites" >&2
    exit 64
fi
if [ -z "$repetitions" ]; then
    if $quick; then repetitions=1; else repetitions=3; fi
fi
# --out is where the caller is; the default is in the repository.
[ -z "$out" ] || [[ "$out" == /* ]] || out="$caller/$out"
out="${out:-bench-results/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$out"

scripts/install-deps.sh
echo "bench.sh: building uring-bench (release, --static-swift-stdlib)" >&2
swift build -c release --static-swift-stdlib --product uring-bench >&2 || {
    echo "bench.sh: building uring-bench failed; no suite can run" >&2
    exit 1
}
bench="$(swift build -c release --show-bin-path)/uring-bench"

# Whether this uring-bench has subcommand $1 (`uring-bench UNKNOWN --help` prints the
# general help and succeeds, so the list of subcommands is what tells).
has_subcommand() {
    "$bench" --help 2>/dev/null | grep -qE "^  $1( |\$)"
}

# A suite's plan: the runner's arguments (plan_args) and its runs' seconds (plan_seconds),
# planned repetitions x cases x servers x (warm-up + measured + about 1 s to start and stop).
plan() {
    local suite="$1" cases servers per_run
    plan_args=(--repetitions "$repetitions")
    case "$suite" in
    echo)
        servers=4
        [ -f "$shared_bench/loadgen.c" ] && servers=6
        if $quick; then
            plan_args+=(--cases 50:64 --warmup 1 --duration 1)
            cases=1 per_run=3
        else
            cases=4 per_run=5
        fi
        ;;
    udp)
        servers=4
        if $quick; then
            plan_args+=(--cases 16:64 --warmup 1 --duration 1)
            cases=1 per_run=3
        else
            cases=4 per_run=5
        fi
        ;;
    http)
        servers=4
        if $quick; then
            plan_args+=(--shapes c64 --warmup 1 --duration 1)
            cases=1 per_run=3
        else
            cases=4 per_run=7
        fi
        ;;
    resp)
        # Runs bounded by request counts: about 2-3 s each at the default counts.
        servers=2
        if $quick; then
            plan_args+=(--tests get --requests 20000 --requests-pipelined 200000)
            cases=2 per_run=1
        else
            cases=8 per_run=3
        fi
        ;;
    file)
        # 3 cases; 4 servers in the cached ones, 3 in the direct one (fio, ours, registered).
        plan_args=(--repetitions "$repetitions")
        servers=4 cases=3
        if $quick; then
            plan_args+=(--seconds 1 --cases "cached depth 32")
            cases=1 per_run=2
        else
            per_run=4
        fi
        ;;
    esac
    plan_runs=$((repetitions * cases * servers))
    plan_seconds=$((plan_runs * per_run))
}

minutes() {
    local seconds="$1"
    if [ "$seconds" -lt 120 ]; then echo "about $seconds s"; else echo "about $(((seconds + 59) / 60)) min"; fi
}

left=0
for suite in "${suites[@]}"; do
    plan "$suite"
    left=$((left + plan_seconds))
done
echo "bench.sh: suites ${suites[*]}, $repetitions repetition(s)$($quick && echo ", quick"): $(minutes "$left")" \
    "of runs plus the builds; results in $out" >&2

: >"$out/summary.txt"
rm -f "$out/skipped.txt"
failed=0
skipped=0
index=0
for suite in "${suites[@]}"; do
    index=$((index + 1))
    tag="[suite $index/${#suites[@]} $suite]"
    plan "$suite"
    raw="$out/$suite-raw.json"
    log="$out/$suite.log"
    echo "$tag starting: $plan_runs runs, $(minutes "$plan_seconds") for this suite," \
        "$(minutes "$left") left in all (builds not counted)" >&2
    rm -f "$raw" # a figure left from an earlier run into the same folder must not count
    started=$SECONDS
    set +e
    "scripts/bench-$suite.sh" "${plan_args[@]}" --json "$raw" "${extra[@]}" 2>&1 | tee "$log" |
        awk -v tag="$tag" '{ print tag " " $0; fflush() }'
    status=${PIPESTATUS[0]}
    set -e
    took=$((SECONDS - started))
    left=$((left > plan_seconds ? left - plan_seconds : 0))
    if [ "$status" -eq 0 ]; then
        outcome="ok"
    elif [ "$status" -eq 69 ]; then
        reason="$(tail -n 1 "$log")"
        outcome="skipped: $reason"
        echo "$suite: $reason" >>"$out/skipped.txt"
        rm -f "$raw"
        skipped=$((skipped + 1))
    else
        outcome="FAILED with exit status $status (see $log)"
        failed=$((failed + 1))
    fi
    [ -s "$raw" ] && outcome="$outcome; figures in $raw"
    echo "$suite: $outcome, $(minutes "$took")" >>"$out/summary.txt"
    echo "$tag $outcome ($(minutes "$took"))" >&2
done

shopt -s nullglob
raws=("$out"/*-raw.json)
shopt -u nullglob
if [ ${#raws[@]} -eq 0 ]; then
    echo "bench.sh: no suite wrote figures; no report" | tee -a "$out/summary.txt" >&2
elif has_subcommand report; then
    if "$bench" report --html "$out/report.html" --json "$out/results.json" "${raws[@]}"; then
        echo "report: $out/report.html (figures: $out/results.json)" | tee -a "$out/summary.txt"
    else
        echo "bench.sh: uring-bench report failed; the raw figures are in $out" | tee -a "$out/summary.txt" >&2
        failed=$((failed + 1))
    fi
else
    echo "bench.sh: this uring-bench has no report subcommand, so no report.html; the raw figures" \
        "are in $out" | tee -a "$out/summary.txt" >&2
fi

echo "bench.sh: summary ($out/summary.txt):" >&2
sed 's/^/  /' "$out/summary.txt" >&2
if [ -f "$out/skipped.txt" ]; then
    echo "bench.sh: $skipped suite(s) skipped, see $out/skipped.txt" >&2
fi
[ "$failed" -eq 0 ] || exit 1
[ "$skipped" -lt ${#suites[@]} ] || exit 69
