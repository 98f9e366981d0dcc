#!/usr/bin/env bash
# rt0trace compare: A/B of two builds, made here by the reference `go build` (tests only; the product
# never runs go) from the diamond fixture and a program importing os/user:
#   default vs -ldflags='-s -w'   file sizes differ; the stripped build's functions are named from its
#                                 Go pclntab, so it is traced to main and compared phase by phase too
#   GOAMD64=v1 vs v3              both traced to main, every phase compared (skipped, saying why, when
#                                 this CPU cannot run v3)
#   static vs cgo-dynamic         CGO_ENABLED=0 vs 1 of a program importing os/user: the dynamic one
#                                 loads libc (PT_INTERP) and makes more mmap calls
#   internal vs external linking  that cgo program with -linkmode=internal and =external (the C
#                                 runtime's .init section only in the external link)
#   PGO off vs on                 a program with a hot function in its init, -pgo=off vs a CPU profile
#                                 of it (the build info records -pgo)
#   A vs A                        the same binary twice: nothing regressed, sizes equal
# Only verdict shapes and deterministic differences (file size, PT_INTERP, mmap counts) are asserted,
# never timings. Plus the JSON shape and every error's exit code.
. "$(dirname "$0")/lib/common.bash"
need_fixture ccrash
R=$RT0TRACE
FX=$RT0_FIXTURES
SRC=${RT0_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
GO=${GOROOT:-/usr/local/go}/bin/go
[ -x "$GO" ] || skip "no reference go command at '$GO' to build the variants"
need_ptrace
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off GOOS=linux GOARCH=amd64
unset GOAMD64

gobuild() { # DIR OUT [env/args...]: go build -trimpath in DIR; leading VAR=value words are its environment
  local dir=$1 out=$2 envs=()
  shift 2
  while [ $# -gt 0 ] && [[ $1 == *=* && $1 != -* ]]; do envs+=("$1"); shift; done
  (cd "$dir" && env CGO_ENABLED=0 ${envs[@]+"${envs[@]}"} "$GO" build -trimpath -o "$out" "$@" .) >"$TMP/go.log" 2>&1 \
    || die "go build of $out failed: $(tail -n 3 "$TMP/go.log")"
}

# the JSON shape every comparison must have
SHAPE='(.a | type) == "string" and (.b | type) == "string" and .runs == $n and (.size.a | type) == "number"
  and (.rounds | IN(1, 2)) and (.unconfirmed | type) == "array" and (.rounds == 2 or .unconfirmed == [])
  and (.size.b | type) == "number" and (.notes | type) == "array" and (.metrics | length) > 0 and
  all(.metrics[]; (keys - ["name", "kind", "unit", "a_median", "b_median", "ratio", "ci95", "p", "verdict"]) == []
    and (.kind | IN("wall", "cpu", "nowait", "run")) and (.unit | IN("ns", "KiB", "count"))
    and (.verdict | IN("regressed", "improved", "undecided", "ok", "same", "not compared"))
    and (if .verdict | IN("regressed", "improved", "undecided", "ok") then
           (.ratio | type) == "number" and (.ci95 | length) == 2 and (.p >= 0 and .p <= 1) else .ratio == null end))'
shape() { # FILE N WHAT
  jq -e --argjson n "$2" "$SHAPE" "$1" >/dev/null || die "$3: JSON shape: $(jq -c '{a, b, runs, size, notes, m: .metrics[:3]}' "$1")"
}

gobuild "$SRC/tests/fixtures/diamond" "$TMP/diamond"
gobuild "$SRC/tests/fixtures/diamond" "$TMP/diamond-sw" -ldflags='-s -w'

# A vs A: the same binary twice
"$R" compare --json -n 5 "$TMP/diamond" "$TMP/diamond" > "$TMP/aa.json" || die "compare A A: exit $?: $(cat "$TMP/aa.json")"
shape "$TMP/aa.json" 5 "A vs A"
jq -e '.size.a == .size.b and ([.metrics[] | select(.verdict == "regressed")] == []) and (.notes == [])
    and ([.metrics[] | select(.name == "startup" or .name == "cpu:startup" or .name == "init example.com/diamond/left"
         or .name == "run:peak_rss" or .name == "run:mmaps") | .verdict | IN("ok", "undecided", "improved")] | length == 5)' \
  "$TMP/aa.json" >/dev/null \
  || die "A vs A: $(jq -c '{size, notes, regressed: [.metrics[] | select(.verdict == "regressed") | .name]}' "$TMP/aa.json")"
pass "A vs A: the same binary twice compares every metric and regresses none"

# default vs -ldflags='-s -w'
"$R" compare --json -n 5 "$TMP/diamond" "$TMP/diamond-sw" > "$TMP/sw.json" || die "compare -s -w: exit $?: $(cat "$TMP/sw.json")"
shape "$TMP/sw.json" 5 "-s -w"
jq -e '.size.a > .size.b and (.notes | length == 0)
    and ([.metrics[] | select(.name == "startup")][0] | .a_median > 0 and .b_median > 0 and (.verdict | IN("ok", "undecided", "regressed", "improved")))
    and ([.metrics[] | select(.name == "init example.com/diamond/left")][0] | .a_median > 0 and .b_median > 0)
    and ([.metrics[] | select(.name == "run:peak_rss" or .name == "run:minflt" or .name == "run:mmaps" or .name == "run:cpu")
         | select(.a_median > 0 and .b_median > 0 and (.verdict | IN("ok", "undecided", "regressed", "improved")))] | length == 4)' \
  "$TMP/sw.json" >/dev/null \
  || die "-s -w: $(jq -c '{size, notes, m: [.metrics[] | select(.name | startswith("run:") or . == "startup")]}' "$TMP/sw.json")"
pass "default vs -ldflags='-s -w': $(jq -r '"\(.size.a) -> \(.size.b) bytes"' "$TMP/sw.json"), the run's resources, startup and each package's init compared with verdicts (the stripped build's functions named from its pclntab)"

# a stripped C program has no symbol for main (unlike a stripped Go one): compared on its runs'
# resources only, with the note
if command -v strip >/dev/null && [ -x "$RT0_FIXTURES/cprog" ]; then
  strip -o "$TMP/cprog-stripped" "$RT0_FIXTURES/cprog" || die "cannot strip cprog"
  "$R" compare --json -n 3 "$RT0_FIXTURES/cprog" "$TMP/cprog-stripped" > "$TMP/cs.json" || die "compare cprog stripped: exit $?"
  jq -e --arg b "$TMP/cprog-stripped" '(.notes == ["B '\''\($b)'\'': main could not be probed (no symbol names it: a stripped binary that is not Go; or the engine cannot observe it): its startup and phases are not measured, its runs'\'' resources are compared"])
         and ([.metrics[] | select(.name == "startup")][0] | .a_median > 0 and .b_median == null and .verdict == "not compared")' \
    "$TMP/cs.json" >/dev/null || die "stripped C program: $(jq -c '{notes, m: [.metrics[] | select(.name == "startup")]}' "$TMP/cs.json")"
  pass "a stripped C program (no main symbol): startup not compared, the note says why"
else
  echo "no strip or no cprog fixture: the stripped C program's note left out"
fi

"$R" compare -n 3 "$TMP/diamond" "$TMP/diamond-sw" > "$TMP/sw.txt" || die "compare (text): exit $?"
grep -qE "^  file size +[0-9]+ B +[0-9]+ B +0\.[0-9]+x +- +- smaller$" "$TMP/sw.txt" || die "text: no file size row: $(cat "$TMP/sw.txt")"
grep -qE "^  run:peak_rss +[0-9]+ KiB +[0-9]+ KiB +[0-9.]+x +\[[0-9.]+, [0-9.]+\] +[0-9.]+ (ok|undecided|regressed|improved)$" "$TMP/sw.txt" \
  || die "text: no peak RSS row with a verdict: $(cat "$TMP/sw.txt")"
grep -qE "^  startup +[0-9.]+ ms +[0-9.]+ ms +[0-9.]+x " "$TMP/sw.txt" || die "text: startup row: $(grep startup "$TMP/sw.txt")"
! grep -q "^note: " "$TMP/sw.txt" || die "text: a note on the stripped binary: $(grep '^note: ' "$TMP/sw.txt")"
! grep -q "^  nowait:" "$TMP/sw.txt" || die "text: nowait rows are --json's"
pass "text: side by side, file size smaller, peak RSS with its verdict, the stripped binary's startup compared"

# GOAMD64=v1 vs v3
missing=$(for f in avx avx2 bmi1 bmi2 f16c fma abm movbe; do grep -qw "$f" <(grep -m1 '^flags' /proc/cpuinfo) || echo -n "$f "; done)
if [ -n "$missing" ]; then
  echo "skipped pair GOAMD64=v1 vs v3: this CPU lacks ${missing% } (/proc/cpuinfo flags)"
else
  gobuild "$SRC/tests/fixtures/diamond" "$TMP/diamond-v1" GOAMD64=v1
  gobuild "$SRC/tests/fixtures/diamond" "$TMP/diamond-v3" GOAMD64=v3
  cmp -s "$TMP/diamond-v1" "$TMP/diamond-v3" && die "GOAMD64=v1 and v3 built the same binary"
  "$R" compare --json -n 5 "$TMP/diamond-v1" "$TMP/diamond-v3" > "$TMP/v3.json" || die "compare v1 v3: exit $?: $(cat "$TMP/v3.json")"
  shape "$TMP/v3.json" 5 "GOAMD64"
  jq -e '.notes == [] and all(.metrics[] | select(.kind == "wall" or .kind == "cpu"); .a_median != null and .b_median != null
        and (.a_median == 0 or .verdict != "not compared"))
      and ([.metrics[] | select(.name == "startup" or .name == "cpu:init example.com/diamond/zbase")] | length == 2)' \
    "$TMP/v3.json" >/dev/null || die "GOAMD64: $(jq -c '[.metrics[] | select(.verdict == "not compared") | .name]' "$TMP/v3.json")"
  pass "GOAMD64=v1 vs v3: both traced to main, every phase (wall and cpu) compared with a verdict"
fi

# static (CGO_ENABLED=0) vs cgo-dynamic (CGO_ENABLED=1) of a program importing os/user
command -v gcc >/dev/null || skip "no gcc for the cgo-dynamic build"
mkdir -p "$TMP/user"
cat > "$TMP/user/main.go" <<'GO'
package main

import (
	"fmt"
	"os/user"
)

func main() {
	u, err := user.Current()
	fmt.Println(u != nil, err == nil)
}
GO
printf 'module example.com/user\n\ngo 1.21\n' > "$TMP/user/go.mod"
gobuild "$TMP/user" "$TMP/user-static" CGO_ENABLED=0
gobuild "$TMP/user" "$TMP/user-cgo" CGO_ENABLED=1
readelf -l "$TMP/user-cgo" | grepq 'Requesting program interpreter' && ! readelf -l "$TMP/user-static" | grepq INTERP \
  || die "the cgo build is not dynamic or the static one is not static"
"$R" compare --json -n 5 "$TMP/user-static" "$TMP/user-cgo" > "$TMP/cgo.json" || die "compare static cgo: exit $?: $(cat "$TMP/cgo.json")"
shape "$TMP/cgo.json" 5 "static vs cgo"
jq -e '.size.a != .size.b and ([.metrics[] | select(.name == "startup" or .name == "run:peak_rss" or .name == "run:rss_at_main")
      | select(.verdict != "not compared")] | length == 3)
    and ([.metrics[] | select(.name == "run:mmaps")][0] | .b_median > .a_median + 5 and .verdict == "regressed")
    and .rounds == 2 and (.unconfirmed | index("run:mmaps") | not)' "$TMP/cgo.json" >/dev/null \
  || die "static vs cgo: $(jq -c '{size, rounds, unconfirmed, m: [.metrics[] | select(.name | IN("startup", "run:peak_rss", "run:rss_at_main", "run:mmaps"))]}' "$TMP/cgo.json")"
pass "static vs cgo-dynamic (os/user), a second round confirming: $(jq -r '"mmap calls \([.metrics[] | select(.name == "run:mmaps")][0] | "\(.a_median) -> \(.b_median)")"' "$TMP/cgo.json"), startup and memory compared"

# internal vs external linking of the cgo program: the external linker (gcc) brings the C runtime's
# .init and .fini sections, which Go's own linker does not make
gobuild "$TMP/user" "$TMP/user-int" CGO_ENABLED=1 -ldflags=-linkmode=internal
gobuild "$TMP/user" "$TMP/user-ext" CGO_ENABLED=1 -ldflags=-linkmode=external
readelf -SW "$TMP/user-ext" | grepq ' \.init ' && ! readelf -SW "$TMP/user-int" | grepq ' \.init ' \
  || die "the external link has no .init section, or the internal one has one"
"$R" compare --json -n 5 "$TMP/user-int" "$TMP/user-ext" > "$TMP/link.json" || die "compare internal external: exit $?: $(cat "$TMP/link.json")"
shape "$TMP/link.json" 5 "internal vs external linking"
jq -e '.notes == [] and .size.a != .size.b and ([.metrics[] | select(.name == "startup" or .name == "cpu:startup"
      or .name == "run:peak_rss" or .name == "run:mmaps") | select(.verdict != "not compared")] | length == 4)' "$TMP/link.json" >/dev/null \
  || die "internal vs external: $(jq -c '{size, notes, m: [.metrics[] | select(.verdict == "not compared") | .name]}' "$TMP/link.json")"
pass "internal vs external linking (cgo, os/user): $(jq -r '"\(.size.a) -> \(.size.b) bytes"' "$TMP/link.json"), both traced to main, startup and memory compared"

# PGO off vs on: a program whose init calls a hot function, built with -pgo=off and with a CPU profile
# of that function (go build records -pgo=FILE in the build info)
cp -r "$SRC/tests/fixtures/pgo" "$TMP/pgo"
gobuild "$TMP/pgo" "$TMP/pgo-prof"
"$TMP/pgo-prof" "$TMP/pgo/profile.pgo" >/dev/null || die "the profiling run failed"
gobuild "$TMP/pgo" "$TMP/pgo-off" -pgo=off
gobuild "$TMP/pgo" "$TMP/pgo-on" -pgo="$TMP/pgo/profile.pgo"
"$GO" version -m "$TMP/pgo-on" | grepq -- '-pgo=' && ! "$GO" version -m "$TMP/pgo-off" | grepq -- '-pgo=' \
  || die "the PGO build does not record -pgo in its build info"
"$R" compare --json -n 5 "$TMP/pgo-off" "$TMP/pgo-on" > "$TMP/pgo.json" || die "compare pgo: exit $?: $(cat "$TMP/pgo.json")"
shape "$TMP/pgo.json" 5 "PGO off vs on"
jq -e '.notes == [] and ([.metrics[] | select(.name == "startup" or .name == "init main" or .name == "cpu:init main")
      | select(.verdict != "not compared")] | length == 3)' "$TMP/pgo.json" >/dev/null \
  || die "PGO off vs on: $(jq -c '{notes, m: [.metrics[] | select(.name | IN("startup", "init main", "cpu:init main"))]}' "$TMP/pgo.json")"
pass "PGO off vs on (a hot function in main's init): both traced to main, init main (wall and CPU) compared"

# a bare name is the current directory's file, not a PATH lookup
# (and --no-confirm: one round, whatever it shows)
(cd "$TMP" && "$R" compare --json --no-confirm -n 3 diamond diamond-sw) > "$TMP/bare.json" || die "compare of bare names: exit $?"
jq -e '.a == "./diamond" and .b == "./diamond-sw" and .rounds == 1 and .unconfirmed == []' "$TMP/bare.json" >/dev/null \
  || die "bare names, --no-confirm: $(jq -c '{a, b, rounds, unconfirmed}' "$TMP/bare.json")"
pass "bare names are the current directory's files; --no-confirm runs one round"

# errors
expect_error 3 "rt0trace: cannot read BINARY_B '$TMP/none': No such file or directory" "a missing binary" -- \
  "$R" compare "$TMP/diamond" "$TMP/none"
expect_exit 2 "one binary" -- "$R" compare "$TMP/diamond"
grep -q "^rt0trace compare: missing BINARY_A or BINARY_B" "$TMP/err" || die "one binary: $(cat "$TMP/err")"
expect_exit 2 "a third word without --" -- "$R" compare "$TMP/diamond" "$TMP/diamond" x
expect_exit 2 "-n 1" -- "$R" compare -n 1 "$TMP/diamond" "$TMP/diamond"
RT0_CRASH=ctor "$R" compare -n 3 "$FX/ccrash" "$FX/ccrash" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l < "$TMP/err")" -eq 1 ] && grep -q "^rt0trace: A '$FX/ccrash': run 1 of 3: the program crashed before main" "$TMP/err" \
  || die "a run that never reaches main: exit $rc: $(cat "$TMP/err")"
pass "a run that never reaches main: exit 1, '$(cat "$TMP/err")'"
"$R" run --engine ebpf -o "$TMP/e.jsonl" -- /bin/true >/dev/null 2>"$TMP/ebpf.err"
if [ $? -eq 4 ]; then
  expect_exit 4 "compare --engine ebpf where the engine cannot work" -- "$R" compare --engine ebpf -n 3 "$TMP/diamond" "$TMP/diamond"
else
  echo "(the eBPF engine works here: its exit 4 is not exercised)"
fi
finish
