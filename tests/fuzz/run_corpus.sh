#!/usr/bin/env bash
# Runs a fuzz target (built with the replay main) over its corpus folder: $1 target, $2 folder.
set -euo pipefail
exec "$1" "$2"
