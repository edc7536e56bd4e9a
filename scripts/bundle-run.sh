#!/bin/sh
# run.sh: runs simdnorm's quick benchmark suite and its accuracy gate from this
# bundle (scripts/bundle.sh builds it) and writes a report:
#
#   ./run.sh [--out DIR] [--threads N] [--isa NAME] [--filter SUBSTRING]
#            [--quick-only | --gate-only] [--gate-filter SUBSTRING]
#            [--reps N] [--budget-ms N] [--copy-mib N] [--passes N]
#
#   --out DIR        where the results go (default ./simdnorm-results-<host>-<time>)
#   --threads N      the sweep's rows at N threads only (default: 1 and every core)
#   --isa NAME       the sweep's simdnorm rows on NAME (an instruction set, all or
#                    best; default all); the gate always checks every one the CPU has
#   --filter S       the methods whose name contains S, in the sweep and the gate
#   --gate-filter S  the gate's methods alone (default: every method)
#   --quick-only     the sweep alone;  --gate-only  the gate alone
#   --reps, --budget-ms, --copy-mib, --passes: passed to simdnorm_sweep
#
# Writes into DIR: quick.csv and quick.log (the sweep), accuracy.csv, gate.txt
# (the gate's findings and verdict) and accuracy.log, table.txt (a plain-text
# summary), report.md (the machine, the bundle, the command, the results), and
# plots/ when python3 can import matplotlib. Exits 0 when every step ran and
# the gate passed, 1 when the gate failed, 2 on bad arguments or when the
# bundle cannot run on this machine, 3 when a step failed to run.
#
# Needs a POSIX shell, awk, sed, grep and coreutils (every Debian base system
# has them); python3 is used when present (the richer summary; plots with
# matplotlib). SIMDNORM_BUNDLE_LAUNCHER, when set, is put before each program
# (e.g. "qemu-aarch64 -L SYSROOT" to run the arm64 bundle emulated).
set -u

bundle=$(cd "$(dirname "$0")" && pwd -P)
launcher=${SIMDNORM_BUNDLE_LAUNCHER:-}
# The command as typed, each argument quoted only where the shell needs it.
quote() {
  case "$1" in
    '' | *[!A-Za-z0-9_./:=+,@%-]*) printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")" ;;
    *) printf '%s' "$1" ;;
  esac
}
invocation="./run.sh$(for arg in "$@"; do printf ' %s' "$(quote "$arg")"; done)"

say() { printf 'run.sh: %s\n' "$*" >&2; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; }
bad_usage() { say "$*"; say "see ./run.sh --help"; exit 2; }
info() { sed -n "s/^$1=//p" "$bundle/BUILD-INFO" | head -n 1; }
positive() { case "$2" in '' | *[!0-9]* | 0*) bad_usage "$1 needs a positive integer, got '$2'" ;; esac; }

out='' threads='' isa='' filter='' gate_filter='' quick=yes gate=yes sweep_extra=''
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --quick-only) gate=no; shift; continue ;;
    --gate-only) quick=no; shift; continue ;;
  esac
  [ $# -ge 2 ] || bad_usage "unknown option or missing value: $1"
  case "$1" in
    --out) out=$2 ;;
    --threads) positive "$1" "$2"; threads=$2 ;;
    --isa) isa=$2 ;;
    --filter) filter=$2 ;;
    --gate-filter) gate_filter=$2 ;;
    --reps | --budget-ms | --copy-mib | --passes)
      positive "$1" "$2"
      sweep_extra="$sweep_extra $1 $2"
      ;;
    *) bad_usage "unknown option $1" ;;
  esac
  shift 2
done
[ "$quick" = yes ] || [ "$gate" = yes ] || bad_usage "--quick-only and --gate-only: choose one"
[ -n "$gate_filter" ] || gate_filter=$filter

# --- Can the programs run here? -----------------------------------------------
bundle_arch=$(info arch)
glibc_min=$(info glibc_min)
machine=$(uname -m)
case "$bundle_arch:$machine" in
  x86_64:x86_64 | arm64:aarch64 | arm64:arm64) ;;
  *)
    if [ -z "$launcher" ]; then
      say "this bundle is for $bundle_arch Linux; this machine is $machine"
      say "(SIMDNORM_BUNDLE_LAUNCHER can name an emulator, e.g. 'qemu-aarch64 -L SYSROOT')"
      exit 2
    fi
    ;;
esac
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed 's/^glibc //')
# shellcheck disable=SC2086  # the launcher's words
if ! load_error=$($launcher "$bundle/bin/simdnorm_sweep" --help 2>&1 >/dev/null); then
  say "the programs do not start on this machine:"
  printf '%s\n' "$load_error" | sed 's/^/    /' >&2
  say "this bundle needs Linux $bundle_arch with glibc >= $glibc_min (this machine: glibc ${glibc:-unknown})"
  exit 2
fi

# --- Output directory ----------------------------------------------------------
host=$(uname -n 2>/dev/null || echo host)
stamp=$(date +%Y%m%d-%H%M%S)
out=${out:-./simdnorm-results-$host-$stamp}
mkdir -p "$out" || { say "cannot create $out"; exit 2; }
out=$(cd "$out" && pwd -P)
say "bundle $(info name); results in $out"

# run_logged LOG COMMAND...: runs COMMAND with its output (stdout and stderr)
# in LOG and on stderr; leaves its exit status in $status.
run_logged() {
  log=$1
  shift
  { "$@" 2>&1; echo "$?" >"$log.status"; } | tee "$log" >&2
  status=$(cat "$log.status" 2>/dev/null || echo 3)
  rm -f "$log.status"
}

failed_steps=
sweep_command='' gate_command='' sweep_seconds='' gate_seconds=''
gate_verdict='not run (--quick-only)'
gate_status=0

# --- The quick suite ------------------------------------------------------------
if [ "$quick" = yes ]; then
  # The arguments are built as positional parameters so that a filter with
  # spaces stays one argument; the launcher's words are split on purpose.
  set -- "$bundle/bin/simdnorm_sweep" --suite quick --out "$out/quick.csv"
  [ -n "$threads" ] && set -- "$@" --threads "$threads"
  [ -n "$isa" ] && set -- "$@" --isa "$isa"
  [ -n "$filter" ] && set -- "$@" --filter "$filter"
  # shellcheck disable=SC2086  # two words per option, no globs
  set -- "$@" $sweep_extra
  sweep_command="${launcher:+$launcher }$*"
  say "quick suite: $sweep_command"
  started=$(date +%s)
  # shellcheck disable=SC2086  # the launcher's words
  run_logged "$out/quick.log" $launcher "$@"
  sweep_seconds=$(($(date +%s) - started))
  if [ "$status" -ne 0 ]; then
    say "the quick suite failed (exit status $status); see $out/quick.log"
    failed_steps="$failed_steps quick-suite"
  else
    say "quick suite done in $sweep_seconds s: $out/quick.csv"
  fi
fi

# --- The accuracy gate ----------------------------------------------------------
if [ "$gate" = yes ]; then
  set -- "$bundle/bin/simdnorm_accuracy" --out "$out/accuracy.csv" \
    --check "$bundle/share/accuracy-baseline.csv"
  [ -n "$gate_filter" ] && set -- "$@" --filter "$gate_filter"
  gate_command="${launcher:+$launcher }$*"
  say "accuracy gate: $gate_command"
  started=$(date +%s)
  # Progress (stderr) to accuracy.log and the terminal, findings (stdout) to gate.txt.
  # shellcheck disable=SC2086  # the launcher's words
  { $launcher "$@" 2>&1 >"$out/gate.txt"; echo "$?" >"$out/gate.status"; } | tee "$out/accuracy.log" >&2
  gate_status=$(cat "$out/gate.status" 2>/dev/null || echo 3)
  rm -f "$out/gate.status"
  gate_seconds=$(($(date +%s) - started))
  summary=$(grep 'case(s) checked against' "$out/gate.txt" | tail -n 1 |
    sed "s/^simdnorm_accuracy: //; s|$bundle/||")
  case "$gate_status" in
    0) gate_verdict="PASSED: $summary" ;;
    1)
      if [ -n "$summary" ]; then
        gate_verdict="FAILED: $summary"
      else
        gate_verdict="FAILED: a case failed to run (see accuracy.log)"
      fi
      ;;
    *)
      gate_verdict="DID NOT RUN (exit status $gate_status; see accuracy.log)"
      failed_steps="$failed_steps accuracy-gate"
      ;;
  esac
  grep -v '^new \|^not run ' "$out/gate.txt" | head -n 20 >&2
  say "accuracy gate $gate_verdict ($gate_seconds s)"
fi

# --- Summaries ------------------------------------------------------------------
# The dispatch's own choice: the best instruction set the programs ran on this
# CPU (the gate runs every one it has; the sweep every one unless --isa).
isa_order="avx512 avx2 sse4.2 sse2 neon64"
present=$(for csv in "$out/accuracy.csv" "$out/quick.csv"; do
  [ -s "$csv" ] && awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "isa") c = i; next }
                            c { print $c }' "$csv"
done | sort -u | tr '\n' ' ')
levels='' dispatch_isa=''
for level in $isa_order; do
  case " $present " in *" $level "*) levels="$levels$level " dispatch_isa=${dispatch_isa:-$level} ;; esac
done
if [ -f "$out/accuracy.csv" ] && [ -s "$out/accuracy.csv" ]; then
  isa_text="${dispatch_isa:-scalar} (levels run: ${levels:-none beyond scalar}scalar)"
elif [ -n "$isa" ]; then
  isa_text="${dispatch_isa:-scalar} (--isa $isa; the gate did not run, which lists every level)"
else
  isa_text="${dispatch_isa:-scalar} (levels run: ${levels:-none beyond scalar}scalar)"
fi
[ -n "${SIMDNORM_ISA:-}" ] && isa_text="$isa_text, capped by SIMDNORM_ISA=$SIMDNORM_ISA"

# A plain-text table with awk alone (no python3 needed): per case on N(0,1),
# the scalar path and simdnorm at its top instruction set at each thread count.
if [ -s "$out/quick.csv" ]; then
  awk -F, -v order="$isa_order" '
    function ms(ns) { return ns == "" ? "-" : sprintf("%.3f", ns / 1e6) }
    NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["data"] != "normal" { next }
    {
      shape = ""
      split("n c spatial groups d", dims, " ")
      for (k = 1; k <= 5; k++) if ($col[dims[k]] != "") shape = shape (shape == "" ? "" : " ") dims[k] "=" $col[dims[k]]
      key = $col["method"] " " $col["layout"] " " shape
      if (!(key in seen)) { seen[key] = 1; keys[++n] = key }
      impl = $col["impl"]; isa = $col["isa"]; t = $col["threads"]
      if (impl == "scalar") scalar[key] = $col["time_ns"]
      if (impl == "simdnorm") {
        time[key, isa, t] = $col["time_ns"]; gbps[key, isa, t] = $col["gbps"]
        # Methods with no output tensor (standardize_adapt) have statistics errors alone.
        err[key, isa] = $col["max_abs_err"] != "" ? $col["max_abs_err"] : \
          ($col["stat_max_abs_err"] != "" ? $col["stat_max_abs_err"] " (stats)" : "-")
        isas[isa] = 1; threads[t] = 1
      }
    }
    END {
      split(order, ranked, " ")
      for (r = 1; r in ranked; r++) if (ranked[r] in isas) { top = ranked[r]; break }
      if (top == "") { print "no simdnorm rows on N(0,1)"; exit }
      nt = 0
      for (t in threads) list[++nt] = t + 0
      for (i = 1; i <= nt; i++) for (j = i + 1; j <= nt; j++) if (list[j] < list[i]) { x = list[i]; list[i] = list[j]; list[j] = x }
      width = 4
      for (k = 1; k <= n; k++) if (length(keys[k]) > width) width = length(keys[k])
      printf "simdnorm on %s against the scalar path, N(0,1) data; ms per call (GB/s)\n\n", top
      header = sprintf("%-" width "s %10s", "case", "scalar 1t")
      for (i = 1; i <= nt; i++) header = header sprintf(" %22s", top " " list[i] "t")
      print header "   x scalar  max_abs_err"
      for (k = 1; k <= n; k++) {
        key = keys[k]
        line = sprintf("%-" width "s %10s", key, ms(scalar[key]))
        for (i = 1; i <= nt; i++) {
          t = list[i]
          cell = (key SUBSEP top SUBSEP t) in time ? ms(time[key, top, t]) " (" gbps[key, top, t] ")" : "-"
          line = line sprintf(" %22s", cell)
        }
        best = ""
        for (i = 1; i <= nt; i++) if ((key SUBSEP top SUBSEP list[i]) in time) {
          v = time[key, top, list[i]]; if (best == "" || v < best) best = v
        }
        speed = (scalar[key] != "" && best != "" && best > 0) ? sprintf("%.1fx", scalar[key] / best) : "-"
        print line sprintf(" %10s  %s", speed, (key SUBSEP top) in err ? err[key, top] : "-")
      }
    }' "$out/quick.csv" >"$out/table.txt" || failed_steps="$failed_steps table"
fi

# python3 for the summary; for the plots the first python3 that has matplotlib
# (Debian's python3-matplotlib is for /usr/bin/python3, which a python3 of
# pyenv or a virtual environment earlier on PATH may hide).
python='' plot_python=''
for candidate in python3 /usr/bin/python3; do
  command -v "$candidate" >/dev/null 2>&1 || continue
  python=${python:-$candidate}
  if [ -z "$plot_python" ] && "$candidate" -c 'import matplotlib' >/dev/null 2>&1; then
    plot_python=$candidate
  fi
done
plots=''
if [ -s "$out/quick.csv" ] && [ -n "$plot_python" ]; then
  rm -rf "$out/plots"
  if plots=$("$plot_python" "$bundle/scripts/plot_report.py" "$out/quick.csv" "$out/plots"); then
    say "wrote $(printf '%s\n' "$plots" | grep -c .) plots to $out/plots"
  else
    say "plot_report.py failed; no plots"
    plots=
  fi
elif [ -s "$out/quick.csv" ]; then
  say "no plots (${python:-python3 is not installed}${python:+ cannot import matplotlib}); table.txt has the plain-text summary"
fi

# --- The machine ----------------------------------------------------------------
cpu=$("$bundle/scripts/cpu-model.sh")
cpu=${cpu:-unknown}
# Caches: as sysconf reports them (what the library reads: the last level
# decides when outputs are streamed), then sysfs's view where it has one (a
# virtual machine may have none).
caches=$(for level in LEVEL1_DCACHE LEVEL1_ICACHE LEVEL2_CACHE LEVEL3_CACHE LEVEL4_CACHE; do
  printf '%s %s\n' "$level" "$(getconf "${level}_SIZE" 2>/dev/null)"
done | awk '$2 + 0 > 0 { name = $1; sub(/^LEVEL/, "L", name); sub(/_DCACHE/, "d", name)
                         sub(/_ICACHE/, "i", name); sub(/_CACHE/, "", name)
                         kib = $2 / 1024
                         size = kib >= 1024 && kib % 1024 == 0 ? kib / 1024 " MiB" : kib " KiB"
                         text = text (text == "" ? "" : ", ") name " " size }
             END { if (text != "") print text " (sysconf)" }')
sysfs_caches=$(for index in /sys/devices/system/cpu/cpu0/cache/index*; do
  [ -r "$index/size" ] || continue
  case "$(cat "$index/type")" in Data) suffix=d ;; Instruction) suffix=i ;; *) suffix='' ;; esac
  printf 'L%s%s %s (CPUs %s)\n' "$(cat "$index/level")" "$suffix" "$(cat "$index/size")" \
    "$(cat "$index/shared_cpu_list" 2>/dev/null || echo '?')"
done | awk 'NR > 1 { printf ", " } { printf "%s", $0 } END { if (NR) print " (sysfs)" }')
caches="$caches${caches:+${sysfs_caches:+; }}$sysfs_caches"
caches=${caches:-not reported (neither sysconf nor /sys/devices/system/cpu/cpu0/cache)}
cores_all=$(nproc --all 2>/dev/null || getconf _NPROCESSORS_CONF 2>/dev/null || echo '?')
cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?')
copy_line=$(grep -m 1 'copy bandwidth [0-9]' "$out/quick.log" 2>/dev/null | sed 's/^simdnorm_sweep: //')
rows=$([ -s "$out/quick.csv" ] && awk 'END { print NR - 1 }' "$out/quick.csv")

# --- report.md ------------------------------------------------------------------
{
  echo "# simdnorm bundle run on $host, $(date '+%Y-%m-%d %H:%M %Z')"
  echo
  echo "- CPU: $cpu"
  echo "- Instruction set chosen by dispatch: $isa_text"
  echo "- Caches: $caches"
  echo "- Measured ${copy_line:-copy bandwidth: not measured (the quick suite did not run)}"
  echo "- Logical cores: $cores_all ($cores available to the run)"
  echo "- Kernel: $(uname -srm); glibc ${glibc:-unknown}"
  [ -n "$launcher" ] && echo "- Programs run under: \`$launcher\` (emulated: the CPU, caches, cores, kernel and glibc above are the host's, the timings the emulator's)"
  echo "- Bundle: $(info name), commit $(info commit) (uncommitted changes: $(info uncommitted_changes)), built $(info built)"
  echo "- Compiler: $(info compiler)"
  echo "- Peers: oneDNN and libtorch are not bundled (size and licences): their rows are reported as skipped"
  if [ "$quick" = yes ]; then
    echo "- Quick suite: quick.csv, ${rows:-0} rows, ${sweep_seconds:-?} s$(case " $failed_steps " in *" quick-suite "*) echo ", FAILED (see quick.log)" ;; esac)"
  fi
  echo "- Accuracy gate: $gate_verdict${gate_seconds:+, $gate_seconds s}$([ "$gate" = yes ] && echo "; accuracy.csv, gate.txt")"
  if [ -n "$plots" ]; then
    echo "- Plots: $(printf '%s\n' "$plots" | while read -r plot; do printf '[%s](plots/%s) ' "$(basename "$plot")" "$(basename "$plot")"; done)"
  fi
  echo
  echo "Command:"
  echo
  echo '```'
  echo "$invocation"
  echo "# which ran:"
  [ -n "$sweep_command" ] && echo "$sweep_command" | sed "s|$bundle/||g"
  [ -n "$gate_command" ] && echo "$gate_command" | sed "s|$bundle/||g"
  echo '```'
  if [ "$gate" = yes ] && [ -s "$out/gate.txt" ]; then
    echo
    echo "## Accuracy gate"
    echo
    echo '```'
    grep -v '^new \|^not run ' "$out/gate.txt" | head -n 40 | sed "s|$bundle/||"
    notes=$(grep -c '^new \|^not run ' "$out/gate.txt")
    [ "$notes" -gt 0 ] && echo "(and $notes notes on new cases and instruction sets not run: gate.txt)"
    echo '```'
  fi
  if [ -s "$out/quick.csv" ]; then
    echo
    summarized=no
    if [ -n "$python" ]; then
      if $python "$bundle/scripts/summarize_report.py" "$out/quick.csv" --log "$out/quick.log" \
        --command "$invocation" >"$out/summary.md" 2>"$out/summary.err"; then
        cat "$out/summary.md"
        summarized=yes
      else
        say "summarize_report.py failed ($(head -n 1 "$out/summary.err")); the report has the plain table"
      fi
      rm -f "$out/summary.md" "$out/summary.err"
    fi
    if [ "$summarized" = no ] && [ -s "$out/table.txt" ]; then
      echo "## Quick suite"
      echo
      echo '```'
      cat "$out/table.txt"
      echo '```'
    fi
  fi
} >"$out/report.md" || failed_steps="$failed_steps report"

[ "$quick" = yes ] && [ -s "$out/table.txt" ] && cat "$out/table.txt" >&2
say "report: $out/report.md"
if [ -n "$failed_steps" ]; then
  say "failed:$failed_steps"
  exit 3
fi
[ "$gate_status" -eq 0 ] || exit 1
exit 0
