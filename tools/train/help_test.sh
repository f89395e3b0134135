#!/usr/bin/env bash
# `train --help` lists train's own flags, each with its meaning, and no flag of the
# libraries it links.
set -uo pipefail
out=$("$1" --help 2>&1)
fail() { printf '%s\n--- train --help printed:\n%s\n' "$1" "$out"; exit 1; }
for flag in events labels as_of fit_as_of fit_bands out_model features_out; do
  grep -q -- "--$flag (" <<<"$out" || fail "--$flag is not listed"
done
[ "$(grep -c "Flags from" <<<"$out")" -eq 1 ] || fail "flags of other files are listed"
grep -q "Flags from tools/train/main.cc:" <<<"$out" || fail "train's own flags are not listed"
