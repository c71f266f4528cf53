#!/usr/bin/env bash
# Runs on the GPU host after the published app's parts were copied to /root/gpu (docs/BENCHMARKS.md, H200).
# Writes every report under $OUT.
set -uo pipefail
bash /root/gpu/unpack.sh /root/gpu >/dev/null
export LD_LIBRARY_PATH=/usr/local/cuda/targets/x86_64-linux/lib:/usr/lib/x86_64-linux-gnu
app=/root/gpu/app/fraudstream
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.txt" 2>&1
nproc >> "$OUT/gpu.txt"

# SKIP_SCORING=1 leaves out every scoring bench (the demo and state runs only).
if [ "${SKIP_SCORING:-0}" != 1 ]; then
  "$app" bench scoring --device cuda --model data/model --batch 1,8,64,256,1024,4096 --iterations 2000 \
    --cuda-graphs both --json-report "$OUT/h200-cuda.json" > "$OUT/bench-cuda.txt" 2>&1
  for graphs in on off; do
    "$app" bench scoring --device cuda --model data/model --batch 64 --iterations 3000 --cuda-graphs "$graphs" \
      --concurrency 16 --batcher-max-batch 64 --batcher-max-wait-us 100 \
      --json-report "$OUT/h200-cuda-load-graphs-$graphs.json" > "$OUT/bench-cuda-load-graphs-$graphs.txt" 2>&1
  done

  # The traversal strategy on the same trees, for the strategy choice.
  rm -rf /tmp/traversal && cp -r data/model /tmp/traversal
  "$app" compile --model /tmp/traversal --graph-strategy traversal > "$OUT/bench-cuda-traversal.txt" 2>&1
  "$app" bench scoring --device cuda --model /tmp/traversal --batch 1,64,1024,4096 --iterations 1000 --cuda-graphs both \
    --json-report "$OUT/h200-cuda-traversal.json" >> "$OUT/bench-cuda-traversal.txt" 2>&1

  "$app" bench scoring --device cpu --model data/model --batch 1,8,64,256,1024,4096 --iterations 100 --cuda-graphs off \
    --json-report "$OUT/h200-cpu.json" > "$OUT/bench-cpu.txt" 2>&1
fi

# A challenger in shadow (issue 14): the model stage under load with and without it, and the demo with it.
if [ -n "${CHALLENGER:-}" ]; then
  # One run measures the batcher without, then with the challenger (within budget, then on every batch).
  "$app" bench scoring --device cuda --model data/model --batch 64 --iterations 3000 --cuda-graphs on \
    --concurrency 16 --rows-per-submission 16 --batcher-max-batch 64 --batcher-max-wait-us 100 --challenger "$CHALLENGER" \
    --json-report "$OUT/h200-cuda-load-challenger.json" > "$OUT/bench-cuda-load-challenger.txt" 2>&1
  "$app" demo --device cuda --rate 5000 --duration 30s --dashboard-port 0 --floor-seconds 0 --challenger "$CHALLENGER" \
    --json-report "$OUT/demo-cuda-5k-challenger.json" > "$OUT/demo-cuda-5k-challenger.txt" 2>&1
fi

if [ "${RUN_DEMO:-0}" = 1 ]; then
  for rate in ${DEMO_RATES:-20000 40000}; do
    "$app" demo --device cuda --transactions $((rate * 10)) --rate "$rate" --dashboard-port 0 \
      --json-report "$OUT/demo-cuda-$((rate / 1000))k.json" > "$OUT/demo-cuda-$((rate / 1000))k.txt" 2>&1
  done
fi
# Issue 11: checkpoint cost at 20k tx/s (every 10 s against off), and decided tx/s with 1, 2 and 3 instances
# offered more than one instance takes (the last instance joins a quarter in: a live rebalance, as the demo shows it).
if [ "${RUN_STATE:-0}" = 1 ]; then
  for mode in on off; do
    enabled=true; [ "$mode" = off ] && enabled=false
    FRAUDSTREAM_Checkpoints__IntervalSeconds=10 FRAUDSTREAM_Checkpoints__Enabled=$enabled \
      "$app" demo --device cuda --rate 20000 --duration 40s --dashboard-port 0 --floor-seconds 0 \
      --json-report "$OUT/demo-cuda-20k-checkpoints-$mode.json" > "$OUT/demo-cuda-20k-checkpoints-$mode.txt" 2>&1
  done
  for n in ${INSTANCE_COUNTS:-1 2 3}; do
    "$app" demo --device cuda --instances "$n" --rate "${INSTANCE_RATE:-150000}" --transactions "${INSTANCE_TX:-1500000}" \
      --dashboard-port 0 --floor-seconds 0 \
      --json-report "$OUT/demo-cuda-instances-$n.json" > "$OUT/demo-cuda-instances-$n.txt" 2>&1
  done
fi
# The model stage under load alone (16 threads through the micro-batcher), without the rest of the scoring benches.
if [ "${RUN_LOAD:-0}" = 1 ]; then
  "$app" bench scoring --device cuda --model data/model --batch 64 --iterations 3000 --cuda-graphs on \
    --concurrency 16 --batcher-max-batch 64 --batcher-max-wait-us 100 \
    --json-report "$OUT/h200-cuda-load-graphs-on.json" > "$OUT/bench-cuda-load-graphs-on.txt" 2>&1
fi
# The Kafka floor alone at each of FLOOR_RATES (12 s of transactions each; the embedded broker, the demo's settings).
for rate in ${FLOOR_RATES:-}; do
  "$app" bench floor --rate "$rate" --transactions $((rate * 12)) \
    --json-report "$OUT/floor-$((rate / 1000))k.json" > "$OUT/floor-$((rate / 1000))k.txt" 2>&1
done
tail -n 30 "$OUT"/bench-*.txt "$OUT"/floor-*.txt 2>/dev/null
grep -h -A3 "exactly once\|steady" "$OUT"/demo-*.txt 2>/dev/null | head -60
# The device tool brings back only the first few files by name: everything also goes in one archive named first.
tar -C "$OUT" -czf /tmp/h200-results.tgz . && mv /tmp/h200-results.tgz "$OUT/00-h200-results.tgz"
