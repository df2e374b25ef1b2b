#!/usr/bin/env bash
# Runs `deepext bench tabular` on a CUDA GPU machine that has PyTorch but no .NET.
#
#   build/gpu-bench.sh publish      here: publishes a self-contained linux-x64 deepext without
#                                   TorchSharp-cpu into out/deepext-gpu (about 40 MB compressed)
#   build/gpu-bench.sh run [ARGS]   there: finds PyTorch's torch/lib, hands it to deepext through
#                                   DEEPEXT_LIBTORCH_DIR, and runs the benchmark on the CPU and on
#                                   CUDA; ARGS go to both runs (e.g. --rows 1000000 --epochs 3)
#
# TorchSharp 0.107 binds LibTorch 2.10; deepext checks, before loading anything, that the folder
# exports every LibTorch symbol TorchSharp's glue imports, and refuses it naming missing symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/deepext-gpu

case "${1:-}" in
  publish)
    rm -rf "$out"
    dotnet publish samples/DeepExtensions.Cli -c Release -r linux-x64 --self-contained \
      -p:DeepExtensionsLibTorch=external -o "$out"
    echo "published to $out ($(du -sh "$out" | cut -f1))"
    ;;
  run)
    shift
    python=${PYTHON:-python3}
    torch_lib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)') at $torch_lib"
    if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi
    export DEEPEXT_LIBTORCH_DIR="$torch_lib"
    "$out/deepext" bench tabular --device cpu "$@"
    "$out/deepext" bench tabular --device cuda "$@"
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
