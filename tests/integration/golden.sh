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
# The reader reads a syscall line of the engines' one shape by a fast path (no JSON object) and any other
# line through jansson: the same events either way. The diamond trace with every syscall given a member
# the fast path does not know (so jansson reads them all), and with every syscall's members reversed and
# spaced (the fast path still reads them), reports exactly as recorded.
sed 's/^{"type":"syscall",/{"type":"syscall","x":0,/' diamond-ptrace.jsonl > "$TMP/slow.jsonl"
[ "$(grep -c '"x":0' "$TMP/slow.jsonl")" -gt 100 ] || die "the slow-path variant has no syscalls"
jq -c 'if .type == "syscall" then to_entries | reverse | from_entries else . end' diamond-ptrace.jsonl |
  sed '/^{"ret"/s/,"/ , "/g' > "$TMP/sorted.jsonl" || die "jq cannot reorder the trace"
[ "$(grep -c '^{"ret"' "$TMP/sorted.jsonl")" -gt 100 ] || die "the reordered variant has no reordered syscalls"
for v in slow sorted; do
  for f in text json perfetto; do
    "$R" report --format "$f" -o "$TMP/$v.$f" "$TMP/$v.jsonl" || die "$v ($f): report exit $?"
    cmp -s "$G/expected/diamond-ptrace.$f" "$TMP/$v.$f" || die "$v ($f): differs from the recorded report"
    n=$((n + 1))
  done
done
n=$((n - 6))
pass "syscall lines read by jansson (an unknown member) or reordered report as recorded (text, json, perfetto)"

want=$(awk '!/^#/ && NF >= 5 {n += NF - 4} END {print n + 0}' "$G/cases")
[ "$n" -eq "$want" ] && [ "$n" -gt 0 ] || die "$n outputs compared, the cases list $want"
pass "$n outputs identical to tests/golden/expected"
