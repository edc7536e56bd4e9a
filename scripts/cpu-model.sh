#!/bin/sh
# Prints this machine's CPU model, as the reports name it beside every
# figure: /proc/cpuinfo's model name, else lscpu's, else (Arm without either)
# the implementer and part numbers; nothing when none is known. POSIX sh: the
# bundle's run.sh calls it too (scripts/bundle.sh ships it), on machines
# that may have no bash.
cpu=$(grep -m 1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
if [ -z "$cpu" ] && command -v lscpu >/dev/null 2>&1; then
  cpu=$(LC_ALL=C lscpu | sed -n 's/^Model name: *//p' | head -n 1)
fi
if [ -z "$cpu" ]; then
  cpu=$(awk -F': *' '/^CPU implementer/ && !i { i = $2 } /^CPU part/ && !p { p = $2 }
                     END { if (i != "") print "implementer " i ", part " p }' /proc/cpuinfo 2>/dev/null)
fi
printf '%s\n' "$cpu"
