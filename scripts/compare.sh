#!/usr/bin/env bash
# Compares two benchmark reports and fails on a regression:
#
#   scripts/compare.sh BEFORE.csv AFTER.csv [--slower 0.10] [--error-factor 2] [--error-floor 1e-7]
#
# Prints each case whose throughput fell by more than --slower, whose error
# grew past the allowance, whose NaN appeared or went missing, or that
# vanished; exits 1 when there is any, 0 when there is none, 2 on bad input.
# Peer rows (oneDNN, ATen) only print notes. Details: scripts/compare_reports.py.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if (($# < 2)); then
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
exec python3 "$root/scripts/compare_reports.py" "$@"
