#!/usr/bin/env bash
# Set up a fresh machine for SeaBench: system packages, a venv in .venv, and the package.
#   bash scripts/setup.sh          # to run evaluations (core + reference model)
#   bash scripts/setup.sh --dev    # also everything the test suite needs
# torch is pinned to the CPU build (2.13.0); an unpinned torch pulls a multi-GB CUDA build.
# Every package is installed at the version in constraints.txt, the set the tests passed with
# (regenerate it with scripts/freeze_constraints.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

APT_PKGS="espeak-ng sox"
[[ $DEV == 1 ]] && APT_PKGS="$APT_PKGS chromium fonts-noto-core fonts-noto-cjk"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [[ -n "$missing" ]]; then
  SUDO=""; [[ $(id -u) != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

PY=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || $PY -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
EXTRAS="reference,gemini,openai"
[[ $DEV == 1 ]] && EXTRAS="dev"  # dev = all extras (but GPU-only vllm) + test tools
PIN=(-c constraints.txt)
python -m pip install -q "${PIN[@]}" torch==2.13.0 -e ".[${EXTRAS}]"
if [[ $DEV == 1 ]]; then
  # Voxtral's tokenizer for the hf: adapter tests. mistral-common pins numpy<2.4 on Python <= 3.12
  # but works with 2.4 (tested); --no-deps keeps the numpy the mini suite was built with.
  python -m pip install -q "${PIN[@]}" --no-deps "mistral-common==1.13.1"
  python -m pip install -q "${PIN[@]}" tiktoken pillow pydantic-extra-types pycountry jsonschema
fi
echo "SeaBench is set up: . .venv/bin/activate"
