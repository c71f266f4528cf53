#!/usr/bin/env bash
# Long run of the demo at a constant rate: is latency flat over time, and memory?
#
#   bench/longrun.sh [DURATION] [RATE] [OUT.json] [extra demo options...]
#   bench/longrun.sh 10m 5000 docs/bench/longrun-5k-10m.json
#
# Runs `fraudstream demo --duration DURATION --rate RATE` (Release build) and writes OUT.json with, per minute of the
# timed stream, p50/p99/p99.9 of end to end, the share within the target, resident memory (VmRSS from /proc), the
# managed heap, gen-0/1/2 collections and GC pause time: the demo computes them from the service's own per-second
# snapshots (DemoIntervals). OUT.json also carries the command, the load average before and after, the whole-run
# report (floor and the service's cost over it included) and the goal checks of issue 13 (last minute's p99 within
# 20 % of the first minute's, memory flat after warm-up, ≥ 99.9 % within target). The per-second timeline goes to
# OUT.timeline.jsonl.
set -euo pipefail
duration=${1:-10m}
rate=${2:-5000}
out=${3:-docs/bench/longrun-$(date -u +%Y%m%d-%H%M%S).json}
shift $(( $# < 3 ? $# : 3 ))
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v jq > /dev/null || { echo "longrun.sh needs jq" >&2; exit 2; }
dotnet build src/Service -c Release --nologo -v q > /dev/null
folder=$(mktemp -d /tmp/fraudstream-longrun.XXXXXX)
report="$folder/report.json"
timeline="${out%.json}.timeline.jsonl"
args=(demo --duration "$duration" --rate "$rate" --dashboard-port 0 --folder "$folder" --json-report "$report" --timeline "$timeline" "$@")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
set +e
src/Service/bin/Release/net10.0/fraudstream "${args[@]}"
exit_code=$?
set -e
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
jq --arg command "fraudstream ${args[*]}" --arg started "$started" --arg commit "$(git rev-parse --short HEAD)" \
   --arg load_before "$load_before" --arg load_after "$load_after" --argjson exit_code "$exit_code" '
  . as $r
  | ($r.minutes | map(select(.seconds >= 30))) as $full
  | {
      command: $command, commit: $commit, started: $started, exit_code: $exit_code,
      load_average_before: $load_before, load_average_after: $load_after,
      rate: $r.rate_requested, exactly_once: $r.exactly_once,
      minutes: $r.minutes,
      goals: (if ($full | length) >= 2 then {
        last_minute_p99_over_first: (($full[-1].p99_ms / $full[0].p99_ms * 1000 | round) / 1000),
        last_minute_p99_within_20_percent_of_first: ($full[-1].p99_ms <= 1.2 * $full[0].p99_ms),
        resident_mb_after_first_minute: { first: $full[0].resident_mb, last: $full[-1].resident_mb, max: ($full | map(.resident_mb) | max) },
        within_target_whole_run: $r.within_target,
        within_target_at_least_99_9_percent: ($r.within_target >= 0.999)
      } else null end),
      report: ($r | del(.minutes))
    }' "$report" > "$out"
echo "per-minute results: $out (timeline $timeline)"
jq -r '.minutes[] | "\(.end_s)s  p50 \(.p50_ms)  p99 \(.p99_ms)  p99.9 \(.p999_ms)  within \(.within_target)  rss \(.resident_mb) MB  gen2 \(.gen2_collections)  gc pause \(.gc_pause_ms) ms"' "$out"
exit "$exit_code"
