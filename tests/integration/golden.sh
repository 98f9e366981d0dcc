#!/usr/bin/env bash
# Golden report outputs: recorded traces (tests/golden/traces) reported in every format the case lists
# (tests/golden/cases) must give, byte for byte, the outputs checked in under tests/golden/expected.
# They pin what report prints while its reader, analysis and renderers are reworked: a change that is
# meant to alter an output updates the file with RT0_GOLDEN_UPDATE=1 (and the diff is reviewed).
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
G=$RT0_SRC/tests/golden
cd "$G/traces" || die "no $G/traces"
n=0
while read -r name trace program want formats; do
  case $name in '' | '#'*) continue ;; esac
  sel=()
  [ "$program" = - ] || sel=(--program "$program")
  for f in $formats; do
    exp=$G/expected/$name.$f
    "$R" report "${sel[@]}" --format "$f" -o "$TMP/out.$f" "$trace" 2>"$TMP/err"
    got=$?
    [ "$got" -eq "$want" ] || die "$name ($f): report exit $got, want $want: $(head -c 300 "$TMP/err")"
    if [ -n "${RT0_GOLDEN_UPDATE:-}" ]; then
      mkdir -p "$G/expected" && cp "$TMP/out.$f" "$exp" || die "cannot write $exp"
    fi
    [ -f "$exp" ] || die "$name ($f): no expected output $exp (RT0_GOLDEN_UPDATE=1 writes it)"
    if ! cmp -s "$exp" "$TMP/out.$f"; then
      diff -u "$exp" "$TMP/out.$f" | head -n 40 >&2
      die "$name ($f): the output differs from $exp"
    fi
    n=$((n + 1))
  done
  pass "$name: ${formats// /, } as recorded (exit $want)"
done < "$G/cases"
want=$(awk '!/^#/ && NF >= 5 {n += NF - 4} END {print n + 0}' "$G/cases")
[ "$n" -eq "$want" ] && [ "$n" -gt 0 ] || die "$n outputs compared, the cases list $want"
pass "$n outputs identical to tests/golden/expected"
