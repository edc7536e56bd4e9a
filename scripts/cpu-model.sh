#!/bin/sh
# Prints this machine's CPU model, as the reports name it beside every
# figure: /proc/cpuinfo's model name, else lscpu's, else (Arm without either)
# the implementer and part numbers; nothing when none is known. On x86 the
# family, model and stepping numbers follow in parentheses: a virtual
# machine's model name can be as bare as "AMD EPYC" for every generation
# (this project's VMs are Zen 4 and Zen 5 under that one name), and the
# numbers tell them apart (family 25 is Zen 3 and 4, family 26 Zen 5).
# scripts/bench.sh names the results folder from the text before them.
# POSIX sh: the bundle's run.sh calls it too (scripts/bundle.sh ships it),
# on machines that may have no bash.
cpu=$(grep -m 1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
if [ -z "$cpu" ] && command -v lscpu >/dev/null 2>&1; then
  cpu=$(LC_ALL=C lscpu | sed -n 's/^Model name: *//p' | head -n 1)
fi
if [ -z "$cpu" ]; then
  cpu=$(awk -F': *' '/^CPU implementer/ && !i { i = $2 } /^CPU part/ && !p { p = $2 }
                     END { if (i != "") print "implementer " i ", part " p }' /proc/cpuinfo 2>/dev/null)
fi
numbers=$(awk -F': *' '/^cpu family/ && f == "" { f = $2 } /^model[ \t]*:/ && m == "" { m = $2 }
                       /^stepping/ && s == "" { s = $2 }
                       END { if (f != "" && m != "") printf "family %s, model %s%s", f, m, (s != "" ? ", stepping " s : "") }' \
  /proc/cpuinfo 2>/dev/null)
if [ -n "$cpu" ] && [ -n "$numbers" ]; then
  cpu="$cpu ($numbers)"
fi
printf '%s\n' "$cpu"
