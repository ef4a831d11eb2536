#!/usr/bin/env bash
# Opt-in: record `seabench serve-bench` against a real vLLM OpenAI server (the CPU build) serving a tiny
# random Qwen2-Audio checkpoint (docs/PERFORMANCE.md, "Against vllm serve"). This script starts and
# stops the server; `seabench serve-bench` itself never starts one.
#
#   scripts/serve_bench_vllm_cpu.sh                       # the full 4 x 3 matrix, 120 trials per cell
#   scripts/serve_bench_vllm_cpu.sh --trials 10 --concurrency 1,4 --audio-seconds 30
#
# Needs the vllm-cpu venv of scripts/test_vllm_cpu.sh (VLLM_VENV, default /tmp/vllm-cpu-venv) and the
# project's .venv for the client. Extra arguments go to serve-bench.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VLLM_VENV:-/tmp/vllm-cpu-venv}"
WORK="${SERVE_BENCH_WORKDIR:-/tmp/vllm-serve}"
PORT="${PORT:-8011}"
[ -x "$VENV/bin/python" ] || { echo "no vLLM venv at $VENV: run scripts/test_vllm_cpu.sh first" >&2; exit 2; }
mkdir -p "$WORK"
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

[ -f "$WORK/tiny-q2a/config.json" ] || (cd "$REPO" && PYTHONPATH="$REPO" "$VENV/bin/python" -c \
  "from pathlib import Path; from tests.helpers.tiny_hf import tiny_qwen2_audio; \
   tiny_qwen2_audio(Path('$WORK/tiny-q2a'), hidden=128, heads=2, window_s=30)")

# `vllm serve` looks up the version of a distribution called vllm; this build is installed as vllm-cpu,
# so the same server is started through its module.
nice -n 10 "$VENV/bin/python" -m vllm.entrypoints.openai.api_server --model "$WORK/tiny-q2a" \
  --served-model-name tiny-q2a --dtype bfloat16 --max-model-len 2048 --enforce-eager \
  --host 127.0.0.1 --port "$PORT" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { tail -20 "$WORK/serve.log" >&2; exit 1; }
  sleep 2
done

cd "$REPO"
"$REPO/.venv/bin/seabench" serve-bench --model "openai:tiny-q2a@http://127.0.0.1:$PORT/v1" \
  --max-tokens 32 --ignore-eos --published meralion --out "$WORK/serve-bench" "$@"
