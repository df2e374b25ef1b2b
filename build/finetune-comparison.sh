#!/usr/bin/env bash
# Issue 12's fine-tuning comparison: on the Fashion-MNIST subset shipped in samples/data (2,500 training and 800 test
# images), the ImageNet-pretrained ResNet-18 of ML.NET's Microsoft.ML.DnnImageFeaturizer.ResNet18 package, imported from
# ONNX (`deepext import --onnx`) and fine-tuned (`deepext train --weights`), against small-cnn and ResNet-18 from random
# weights; each with the CLI's defaults, each given the same wall-clock minutes. Prints model, epochs, minutes, accuracy.
#
#   build/finetune-comparison.sh [--minutes M] [--per-class N] [--work DIR] [--device auto|cpu|cuda]
#
#   1. Writes the subset as image folders (build/fashion_mnist_to_folders.py: DIR/data/{train,test}/CLASS/*.png), the form
#      all three train on: the package's network reads RGB 224 x 224 images, and the CLI resizes folder images to each
#      architecture's default size (64 x 64 for small-cnn, 224 x 224 for the others). --per-class N keeps N images per
#      class in each split (a smoke run; default: all, 250 and 80 per class).
#   2. Imports ResNet18.onnx with the package's preprocessing graph (pixels x 255, RGB to BGR, minus its mean image) as a
#      512-output network (its pooled features); `train --weights` on that model.zip puts a new 10-class head on it.
#   3. Trains each model one epoch to measure its epoch time (the probe; its model is discarded unless one epoch is all
#      that fits the budget, when the probe is that run).
#   4. Trains each with epochs = max(1, floor(M minutes / epoch time)), every other option at the CLI's default (so the
#      cosine schedule runs its whole course within the budget), and reads the test accuracy (MicroAccuracy) from the last
#      stdout line and the training time from the "trained N epochs in S s" line. Logs: DIR/NAME.log.
#
# Defaults: --minutes 30, --work out/finetune-comparison, --device: the CLI's (auto: a CUDA GPU when usable).
# DEEPEXT: the deepext to run (default: a Release build of samples/DeepExtensions.Cli, built first).
# RESNET18_MODELS: the package's tools/DnnImageModels folder (default: the NuGet cache's 0.24.0, which restoring the test
# project downloads: dotnet restore test/Microsoft.ML.DeepExtensions.Tests).
# Needs /usr/bin/python3 with numpy and OpenCV (Debian: python3-numpy, python3-opencv) for step 1.
# deepext reads no input: its stdin is /dev/null, so a run in the background (&) never waits on the terminal.
set -euo pipefail
cd "$(dirname "$0")/.."

minutes=30
per_class=
work=out/finetune-comparison
device=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift 2 ;;
    --per-class) per_class=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --device) device=(--device "$2"); shift 2 ;;
    *) sed -n '2,29p' "$0"; exit 2 ;;
  esac
done

models=${RESNET18_MODELS:-$HOME/.nuget/packages/microsoft.ml.dnnimagefeaturizer.resnet18/0.24.0/tools/DnnImageModels}
onnx=$models/ResNet18Onnx/ResNet18.onnx
preprocess=$models/ResNetPrepOnnx/ResNetPreprocess.onnx
if [ ! -f "$onnx" ] || [ ! -f "$preprocess" ]; then
  echo "ResNet18.onnx or ResNetPreprocess.onnx not found under $models: run 'dotnet restore test/Microsoft.ML.DeepExtensions.Tests' or set RESNET18_MODELS" >&2
  exit 1
fi
if [ -z "${DEEPEXT:-}" ]; then
  dotnet build samples/DeepExtensions.Cli -c Release -v quiet -nologo >&2
  DEEPEXT=samples/DeepExtensions.Cli/bin/Release/net10.0/deepext
fi

mkdir -p "$work"
rm -rf "$work/data"
/usr/bin/python3 build/fashion_mnist_to_folders.py "$work/data" ${per_class:+--per-class "$per_class"}
"$DEEPEXT" import --onnx "$onnx" --preprocess "$preprocess" --pixel-scale 255 --classes 512 --out "$work/resnet18-package.zip" --force < /dev/null

# name, then the train options that make it (the rest are the CLI's defaults).
runs=(
  "small-cnn|--arch small-cnn"
  "resnet18 (random weights)|--arch resnet18"
  "resnet18 package (ONNX, fine-tuned)|--weights $work/resnet18-package.zip"
)

# Trains one model; prints "SECONDS EPOCHS ACCURACY" (training time from its "trained N epochs in S s" line).
train() {
  local log=$1 epochs=$2 out=$3; shift 3
  "$DEEPEXT" train --task image-classification --data "$work/data" --epochs "$epochs" "${device[@]}" --out "$out" --force "$@" \
    < /dev/null > "$log.stdout" 2> "$log"
  local seconds accuracy
  seconds=$(grep -oE 'trained [0-9]+ epochs in [0-9.]+ s' "$log" | tail -n 1 | awk '{print $5}')
  accuracy=$(tail -n 1 "$log.stdout" | grep -oE '"MicroAccuracy":[0-9.eE+-]+' | cut -d: -f2)
  echo "$seconds $epochs $accuracy"
}

declare -a chosen probed
for i in "${!runs[@]}"; do
  name=${runs[$i]%%|*}; options=${runs[$i]#*|}
  file=$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-')
  probed[$i]=$(train "$work/$file.probe.log" 1 "$work/$file.probe.zip" $options)
  read -r seconds _ _ <<< "${probed[$i]}"
  epochs=$(awk -v m="$minutes" -v s="$seconds" 'BEGIN { e = int(m * 60 / s); print (e < 1 ? 1 : e) }')
  chosen[$i]=$epochs
  echo "$name: one epoch in $seconds s; $epochs epochs fit in $minutes minutes" >&2
done

rows=()
for i in "${!runs[@]}"; do
  name=${runs[$i]%%|*}; options=${runs[$i]#*|}
  file=$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-')
  if [ "${chosen[$i]}" = 1 ]; then
    # One epoch is what the probe trained, with the same options and seed: its result is this run's.
    read -r seconds epochs accuracy <<< "${probed[$i]}"
    cp "$work/$file.probe.log" "$work/$file.log"
  else
    read -r seconds epochs accuracy < <(train "$work/$file.log" "${chosen[$i]}" "$work/$file.zip" $options)
  fi
  rows+=("$name|$epochs|$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s / 60 }')|$accuracy")
done

echo
printf '%-38s %7s %8s %14s\n' model epochs minutes "test accuracy"
for row in "${rows[@]}"; do
  IFS='|' read -r name epochs minutes_used accuracy <<< "$row"
  printf '%-38s %7s %8s %14s\n' "$name" "$epochs" "$minutes_used" "$accuracy"
done
echo "(budget $minutes minutes each; the same $(find "$work/data/train" -name '*.png' | wc -l) training and $(find "$work/data/test" -name '*.png' | wc -l) test images; logs in $work)"
