#!/usr/bin/env bash
# Proves that the packages work for someone who never saw the repository: packs Microsoft.ML.DeepExtensions
# and Microsoft.ML.DeepExtensions.Vision into a local folder feed (under a version of their own, so no
# package cache holds an older build of it), copies build/package-check/ (an app that references them by
# version) to a temporary folder outside the repository, builds it against the feed, trains and saves an MLP
# and a CNN with it, and loads both in a fresh process, which must predict exactly what the first one did.
# With --tool it also packs deepext as a .NET tool, installs it from the feed into a tool path and trains the
# README's first model with it. Ends with "package check: passed" (exit 0) or a line saying what failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tool=false
[ "${1:-}" = "--tool" ] && tool=true
version="0.1.0-check.$(date +%s)"
work="$(mktemp -d)"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
cleanup() {
  rm -rf "$work"
  for id in microsoft.ml.deepextensions microsoft.ml.deepextensions.vision deepext deepext.linux-x64; do
    rm -rf "$packages/$id/$version"
  done
}
trap cleanup EXIT
fail() { echo "package check: FAILED: $*"; exit 1; }

echo "packing $version into $work/feed"
for project in Microsoft.ML.DeepExtensions Microsoft.ML.DeepExtensions.Vision; do
  dotnet pack "$repo/$project" -c Release -o "$work/feed" -p:Version="$version" -p:ContinuousIntegrationBuild=true -nologo -v q \
    || fail "dotnet pack $project"
done

mkdir -p "$work/app" "$work/models"
cp "$repo/build/package-check/Consumer.csproj" "$repo/build/package-check/Program.cs" "$work/app/"
cat > "$work/app/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
CONFIG
dotnet build "$work/app" -c Release -p:DeepExtensionsVersion="$version" -nologo -v q || fail "building the consumer app against the packages"
app="$work/app/bin/Release/net10.0/Consumer.dll"
dotnet "$app" train "$work/models" || fail "training and saving with the packages"
dotnet "$app" load "$work/models" || fail "loading the models in a fresh process"

if $tool; then
  dotnet pack "$repo/samples/DeepExtensions.Cli" -c Release -o "$work/feed" -p:Version="$version" -nologo -v q || fail "dotnet pack deepext"
  dotnet tool install deepext --version "$version" --tool-path "$work/tools" --add-source "$work/feed" || fail "dotnet tool install deepext"
  "$work/tools/deepext" train --task image-classification --data "$repo/samples/data/fashion-mnist-subset" --epochs 1 \
    --out "$work/models/fashion.zip" || fail "the installed deepext tool"
fi
echo "package check: passed"
