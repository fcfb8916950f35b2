#!/usr/bin/env bash
# Runs the CPU engine's golden case under the JIT and as a NativeAOT binary: both must print the
# same samples hash (the engine's arithmetic does not depend on the build or the vector width).
set -euo pipefail
cd "$(dirname "$0")/.."
project=tests/Mamba.Core.AotCheck
dotnet run --project "$project" -c Release
dotnet publish "$project" -c Release -r linux-x64 -p:PublishAot=true -o artifacts/aot-check
artifacts/aot-check/Mamba.Core.AotCheck
