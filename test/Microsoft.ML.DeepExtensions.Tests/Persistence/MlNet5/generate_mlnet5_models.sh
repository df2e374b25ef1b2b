#!/usr/bin/env bash
# Writes the model files that MlNet5ModelTests loads: two models saved by deepext built on Microsoft.ML 5.0.1
# (commit 9d28eaa, the last one before the move to ML.NET 6), with their predictions as that build made them.
# Run from the repository root; it builds that commit in a temporary worktree.
set -euo pipefail
here="test/Microsoft.ML.DeepExtensions.Tests/Persistence/MlNet5"
tree="$(mktemp -d)/mlnet5"
git worktree add --detach "$tree" 9d28eaa
trap 'git worktree remove --force "$tree"' EXIT
dotnet build "$tree/samples/DeepExtensions.Cli" -c Debug
cli="$tree/samples/DeepExtensions.Cli/bin/Debug/net10.0/deepext"
data="$tree/samples/data"
"$cli" train --task multiclass --data "$data/wine-train.csv" --label cultivar --hidden 16 --epochs 5 --seed 1 --out "$here/wine-mlnet5.zip" --force
"$cli" predict --model "$here/wine-mlnet5.zip" --data "$data/wine-test.csv" --out "$here/wine-mlnet5-predictions.csv" --force
"$cli" train --task image-classification --arch lenet --data "$data/fashion-mnist-subset" --epochs 1 --seed 1 --out "$here/fashion-lenet-mlnet5.zip" --force
"$cli" predict --model "$here/fashion-lenet-mlnet5.zip" --data "$data/fashion-mnist-subset" --out /tmp/fashion-lenet-mlnet5-all.csv --force
head -n 101 /tmp/fashion-lenet-mlnet5-all.csv > "$here/fashion-lenet-mlnet5-predictions.csv"   # the first 100 test images
rm -f "$here"/*.png /tmp/fashion-lenet-mlnet5-all.csv
