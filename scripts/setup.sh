#!/usr/bin/env bash
# Creates .venv and installs newsbot with its test tools. Safe to re-run: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3.11 -m venv .venv 2>/dev/null || python3 -m venv .venv
fi
# The milvus extra is installed too so the test suite runs the Milvus backend on milvus-lite.
# torch is pinned to the CPU wheel (torch==2.13.0 in pyproject.toml): an open range pulls CUDA.
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev,milvus]'
