#!/usr/bin/env bash
# Set up everything the workflow needs on a fresh Debian/Ubuntu machine with Python 3.11:
# system libraries for WeasyPrint, and a virtualenv in .venv with requirements.txt.
# With --test, also the tools the test suite uses: poppler (pdftotext, pdffonts),
# Debian's fashion-MNIST IDX files, Slurm with munge for the cluster test, and the JAX and
# PyTorch backends (requirements-jax.txt, requirements-torch.txt) for the end-to-end runs
# under KERAS_BACKEND=jax and =torch.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 python3-venv)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(poppler-utils dataset-fashion-mnist slurm-wlm munge)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -r requirements.txt
if [[ "${1:-}" == "--test" ]]; then
  .venv/bin/python -m pip install -q -r requirements-jax.txt
  .venv/bin/python -m pip install -q -r requirements-torch.txt
fi
echo "environment ready: .venv ($(.venv/bin/python --version))"
