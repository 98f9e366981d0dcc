#!/usr/bin/env bash
# bench/check --format benchstat: Go benchmark lines that golang.org/x/perf/cmd/benchstat reads. benchstat
# is fetched once through the Go module proxy into the build directory (gotools/bin, kept across runs);
# without the proxy the test is skipped saying why. Two outputs of the spin fixture, 20 ms vs 50 ms of
# fixed CPU work in its init (RT0_SPIN_WORK_MS): benchstat reads both and shows that package's phase
# with a difference and its p-value; check's current runs the same way; bad --format uses.
. "$(dirname "$0")/lib/common.bash"
need_fixture spin
R=$RT0TRACE
FX=$RT0_FIXTURES
need_ptrace
ROW="Startup/init=example.com/spin/slow-$(nproc)"

gobin=${GOROOT:-/usr/local/go}/bin/go
[ -x "$gobin" ] || gobin=$(command -v go) || skip "no go command to fetch benchstat with"
tools=$(cd "$FX/.." && pwd)/gotools/bin
BS=$tools/benchstat
if [ ! -x "$BS" ]; then
  (cd "$TMP" && GOBIN=$tools GOFLAGS=-mod=mod timeout 300 "$gobin" install golang.org/x/perf/cmd/benchstat@latest) \
    >"$TMP/install.log" 2>&1 || skip "benchstat cannot be fetched through the Go module proxy: $(tail -n 1 "$TMP/install.log")"
fi
pass "benchstat at $BS"

RT0_SPIN_WORK_MS=20 "$R" bench -n 5 --format benchstat -o "$TMP/old.json" -- "$FX/spin" > "$TMP/old.txt" \
  || die "bench --format benchstat: exit $?: $(head -c 400 "$TMP/old.txt")"
RT0_SPIN_WORK_MS=50 "$R" bench -n 5 --format benchstat -o "$TMP/new.json" -- "$FX/spin" > "$TMP/new.txt" \
  || die "bench --format benchstat (50 ms): exit $?"
for f in old new; do
  # configuration, then only benchmark lines: name without spaces, 1 iteration, value-unit pairs
  head -n 4 "$TMP/$f.txt" | cut -d: -f1 | tr '\n' ' ' | grepq -x 'goos goarch pkg cpu ' \
    || die "$f: configuration lines: $(head -n 5 "$TMP/$f.txt")"
  grep -qx "pkg: $FX/spin" "$TMP/$f.txt" || die "$f: pkg is not the binary: $(grep '^pkg' "$TMP/$f.txt")"
  bad=$(grep -v -E '^(goos|goarch|pkg|cpu|engine): ' "$TMP/$f.txt" | grep -v -E '^Benchmark[^ ]+ 1( [0-9]+ [^ ]+)+$' || true)
  [ -z "$bad" ] || die "$f: not a benchmark line: $(echo "$bad" | head -n 3)"
  [ "$(grep -c "^BenchmarkRun-$(nproc) 1 .* cpu-ns/op .* peak-rss-KiB" "$TMP/$f.txt")" -eq 5 ] || die "$f: not one run line per run"
  [ "$(grep -c "^Benchmark$ROW 1 [0-9]* wall-ns/op [0-9]* cpu-ns/op [0-9]* nowait-ns/op$" "$TMP/$f.txt")" -eq 5 ] \
    || die "$f: not one line of the spinning phase per run: $(grep -c "$ROW" "$TMP/$f.txt")"
  jq -e '.format == "rt0trace-baseline" and .runs == 5 and ([.metrics[] | select(.name == "startup") | .samples_ns | length] == [5])
      and (.environment.binary_sha256 | length) == 64' "$TMP/$f.json" >/dev/null || die "$f: the JSON baseline lost keys"
done
pass "bench --format benchstat: configuration lines, one line per phase and one run line per run, the JSON baseline whole"

"$BS" "$TMP/old.txt" "$TMP/new.txt" > "$TMP/cmp.txt" 2>"$TMP/cmp.err" || die "benchstat: exit $?: $(cat "$TMP/cmp.err")"
grep -q 'vs base' "$TMP/cmp.txt" || die "benchstat compared nothing: $(head -n 20 "$TMP/cmp.txt")"
# the spinning package's phase, on CPU: 20 -> 50 ms, every new run above every old one (p=0.008 for 5 vs 5)
awk '/cpu-sec\/op/ {t = 1} t && $1 == row' row="$ROW" "$TMP/cmp.txt" | head -n 1 > "$TMP/row.txt"
grep -qE '\+[0-9.]+% \(p=0\.0[0-4][0-9]* n=5\)$' "$TMP/row.txt" \
  || die "benchstat shows no difference for $ROW: '$(cat "$TMP/row.txt")' in $(cat "$TMP/cmp.txt")"
pass "benchstat reads both: $(tr -s ' ' < "$TMP/row.txt")"

RT0_SPIN_WORK_MS=50 "$R" check --format benchstat --no-confirm -n 5 --baseline "$TMP/old.json" -- "$FX/spin" > "$TMP/check.txt"
rc=$?
[ "$rc" -eq 1 ] || die "check --format benchstat of +30 ms: exit $rc, want 1: $(head -c 300 "$TMP/check.txt")"
[ "$(grep -c "^Benchmark$ROW 1 " "$TMP/check.txt")" -ge 5 ] && ! grep -q 'regressed beyond' "$TMP/check.txt" \
  || die "check --format benchstat: not benchmark lines of its runs: $(head -n 10 "$TMP/check.txt")"
"$BS" "$TMP/old.txt" "$TMP/check.txt" > "$TMP/cmp2.txt" 2>&1 || die "benchstat of check's output: $(cat "$TMP/cmp2.txt")"
awk '/cpu-sec\/op/ {t = 1} t && $1 == row' row="$ROW" "$TMP/cmp2.txt" | grepq -E '\+[0-9.]+% \(p=0\.0' \
  || die "benchstat of check's output: no difference for $ROW: $(cat "$TMP/cmp2.txt")"
pass "check --format benchstat: its current runs as benchmark lines (exit 1: the check's verdict), read by benchstat"

expect_exit 2 "bench --format xml" -- "$R" bench --format xml -o "$TMP/x.json" -- "$FX/spin"
grep -q "^rt0trace bench: --format wants text or benchstat, not 'xml'$" "$TMP/err" || die "bench --format xml: $(cat "$TMP/err")"
expect_exit 2 "check --json --format benchstat" -- "$R" check --json --format benchstat --baseline "$TMP/old.json" -- "$FX/spin"
[ ! -e "$TMP/x.json" ] || die "bench --format xml wrote a baseline"
finish
