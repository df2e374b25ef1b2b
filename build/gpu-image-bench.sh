#!/usr/bin/env bash
# Trains the small CNN and ResNet-18 on Fashion-MNIST on a CUDA GPU machine that has PyTorch but no
# .NET: through the ML.NET pipeline (deepext, TorchSharp on PyTorch's own libtorch) and with PyTorch,
# on the same GPU in the same run, and prints both throughputs and accuracies.
#
#   build/gpu-image-bench.sh publish      here: publishes a self-contained linux-x64 deepext without
#                                         TorchSharp-cpu into out/deepext-gpu and copies Fashion-MNIST
#                                         (the IDX files) into out/fashion-mnist
#   build/gpu-image-bench.sh run [EPOCHS] there: for small-cnn and resnet18, `deepext train --device cuda`
#                                         (test accuracy, images/s from its epoch lines), then
#                                         build/pytorch_fashion_mnist.py with the same settings;
#                                         then `deepext bench image --device cuda` (pipeline vs bare
#                                         TorchSharp loop, batched scoring vs PredictionEngine).
#
# TorchSharp 0.107 binds LibTorch 2.10; deepext checks that PyTorch's torch/lib exports every LibTorch
# symbol its glue imports before loading anything, and refuses it naming the missing symbols.
set -euo pipefail
cd "$(dirname "$0")/.."
out=out/deepext-gpu
data=out/fashion-mnist

case "${1:-}" in
  publish)
    rm -rf "$out" "$data"
    dotnet publish samples/DeepExtensions.Cli -c Release -r linux-x64 --self-contained \
      -p:DeepExtensionsLibTorch=external -o "$out"
    mkdir -p "$data"
    cp /usr/share/datasets/fashion-mnist/*.gz "$data"/
    echo "published to $out ($(du -sh "$out" | cut -f1)); data in $data"
    ;;
  run)
    epochs=${2:-5}
    python=${PYTHON:-python3}
    torch_lib=$("$python" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)') at $torch_lib"
    if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; fi
    export DEEPEXT_LIBTORCH_DIR="$torch_lib"
    results=${OUT:-out}/gpu-image-results
    mkdir -p "$results"
    for arch in small-cnn resnet18; do
      echo "== deepext (ML.NET pipeline) $arch, $epochs epochs"
      "$out/deepext" train --task image-classification --data "$data" --arch "$arch" --epochs "$epochs" \
        --batch-size 128 --device cuda --out "$results/$arch.zip" --force 2> "$results/$arch.deepext.log" | tail -n 1
      grep -E '^epoch' "$results/$arch.deepext.log" || cat "$results/$arch.deepext.log"
      echo "== PyTorch $arch, $epochs epochs"
      "$python" build/pytorch_fashion_mnist.py --data "$data" --arch "$arch" --epochs "$epochs" --batch-size 128
    done
    "$out/deepext" bench image --device cuda --data "$data" --arch small-cnn --batch-size 128
    "$out/deepext" bench image --device cuda --data "$data" --arch resnet18 --batch-size 128 --repeats 2
    ;;
  *)
    sed -n '2,17p' "$0"
    exit 2
    ;;
esac
