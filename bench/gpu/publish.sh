#!/usr/bin/env bash
# One command for the GPU host: publishes the service self-contained for linux-x64, removes what the host never
# loads, packs it into parts of at most 60 MB (../shared/gpu/pack) and prints the device steps.
#
#   usage: bash bench/gpu/publish.sh [PUBLISH_DIR] [PACK_DIR]     (defaults /tmp/fs-publish and .gpu)
#
# The GPU host has CUDA 13, cuDNN 9 and glibc 2.39 but no .NET and no network; the working tree travels with each
# device call (64 MiB at most), so the app goes in parts carried one call at a time, then run-h200.sh unpacks it.
set -euo pipefail
cd "$(dirname "$0")/../.."
pub=${1:-/tmp/fs-publish}
pack_dir=${2:-.gpu}
pack=../shared/gpu/pack
[ -x "$pack" ] || pack=/work/shared/gpu/pack
[ -f "$pack" ] || { echo "no shared/gpu/pack beside the repository" >&2; exit 2; }
command -v zstd >/dev/null || { echo "zstd is needed: apt-get install -y zstd" >&2; exit 2; }

rm -rf "$pub"
dotnet publish src/Service -c Release -r linux-x64 --self-contained -o "$pub" -p:DebugType=none >/dev/null

# What the host never loads. Each line is a reason:
#   musl builds of librdkafka (the host is glibc); LightGBM's native trainer (training runs here, not there);
#   symbols; Windows-only natives; ASP.NET Core parts the dashboard does not use (it is minimal APIs + static files).
trimmed=0
removed=()
remove() {
  for f in "$@"; do
    [ -e "$f" ] || continue
    trimmed=$((trimmed + $(stat -c %s "$f")))
    removed+=("$(basename "$f")")
    rm -f "$f"
  done
}
shopt -s nullglob
# centos8-librdkafka.so stays: it is the build Confluent.Kafka loads on the host (the plain glibc one needs libraries the host lacks).
remove "$pub"/alpine-librdkafka.so "$pub"/lib_lightgbm.so "$pub"/*.pdb
remove "$pub"/*.dll.so "$pub"/onnxruntime.dll "$pub"/onnxruntime_providers_*.dll "$pub"/DirectML.dll "$pub"/librdkafka*.dll
remove "$pub"/Microsoft.AspNetCore.Mvc*.dll "$pub"/Microsoft.AspNetCore.Identity*.dll "$pub"/Microsoft.AspNetCore.SignalR*.dll \
       "$pub"/Microsoft.AspNetCore.Razor*.dll "$pub"/Microsoft.AspNetCore.Components*.dll "$pub"/Microsoft.AspNetCore.Blazor*.dll \
       "$pub"/Microsoft.Extensions.Identity*.dll
shopt -u nullglob
[ -x "$pub/fraudstream" ] || { echo "publish produced no $pub/fraudstream" >&2; exit 2; }
echo "published to $pub ($(du -sh "$pub" | cut -f1)); removed ${#removed[@]} files the host never loads ($((trimmed / 1000000)) MB):"
printf '  %s\n' "${removed[@]}" | head -n 40

grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
bash "$pack" "$pub" "$pack_dir" >/dev/null
parts=("$pack_dir"/part*)
echo
echo "device steps (each a run call, issued right after the previous one returns; the host stays warm 30 s):"
k=0
for p in "${parts[@]}"; do
  k=$((k + 1))
  echo "  $k. carry [\"$p\"]  command: mkdir -p /root/gpu && cp $p/* /root/gpu/"
done
echo "  $((k + 1)). command: RUN_DEMO=1 DEMO_RATES=\"20000 60000\" bash bench/gpu/run-h200.sh   (results under \$OUT)"
echo "If the host went cold between calls, start again from step 1."
