#!/usr/bin/env bash
# Measures the donation ledger export against a bare excelize StreamWriter
# writing the same rows, in the same run, and prints the ratios.
#   scripts/bench-export.sh [ROWS] [RUNS]      (default 1000000 rows, 3 runs)
# Each benchmark runs in its own process, so its peak RSS (VmHWM) is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=${2:-3}
go test -c -o /tmp/sinergi-export.test ./internal/export
run() { # name -> "seconds peakMB" per run
  for _ in $(seq 1 "$runs"); do
    SINERGI_BENCH_ROWS=$rows /tmp/sinergi-export.test -test.run '^$' -test.bench "^$1\$" -test.benchtime 1x |
      awk '/^Benchmark/ { for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") ns = $i; if ($(i+1) == "peak-RSS-MB") mb = $i }; print ns / 1e9, mb }'
  done
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ledger=$(run BenchmarkDonationLedger)
bare=$(run BenchmarkBareStreamWriter)
lt=$(echo "$ledger" | awk '{ print $1 }' | median); lm=$(echo "$ledger" | awk '{ print $2 }' | sort -n | tail -1)
bt=$(echo "$bare" | awk '{ print $1 }' | median); bm=$(echo "$bare" | awk '{ print $2 }' | sort -n | tail -1)
echo "rows: $rows, runs: $runs (median time, highest peak RSS)"
echo "ledger from PostgreSQL: ${lt}s ($(awk -v r="$rows" -v t="$lt" 'BEGIN { printf "%.0f", r / t }') rows/s), peak RSS ${lm} MB"
echo "bare StreamWriter:      ${bt}s ($(awk -v r="$rows" -v t="$bt" 'BEGIN { printf "%.0f", r / t }') rows/s), peak RSS ${bm} MB"
echo "time ratio ledger/bare: $(awk -v a="$lt" -v b="$bt" 'BEGIN { printf "%.2f", a / b }')"
echo "peak RSS ratio ledger/bare: $(awk -v a="$lm" -v b="$bm" 'BEGIN { printf "%.2f", a / b }')"
