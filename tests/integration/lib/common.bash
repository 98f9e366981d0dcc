# Shared helpers for integration tests (sourced). Each test script is one CTest test: it prints one line
# per check, exits 1 on the first failure, 77 with "skipped: <reason>" when it cannot run here.
set -uo pipefail
# grep -q for the end of a pipeline: grep -q exits at its first match, and a writer still writing then
# dies of SIGPIPE, which pipefail turns into a failed check (seen in CI: readelf -SW | grep -q .init).
# This one reads all its input.
grepq() { grep "$@" >/dev/null; }

: "${RT0TRACE:?RT0TRACE must point at the rt0trace binary}"
: "${RT0_FIXTURES:?RT0_FIXTURES must point at the built fixtures}"
TMP=$(mktemp -d /tmp/rt0-it-XXXXXX)
# RT0_KEEP_TMP=1 keeps the scratch directory for a look after a failure.
# (A module cache in it is read-only, as go and rt0trace leave one: made writable first.)
[ -n "${RT0_KEEP_TMP:-}" ] || trap 'chmod -R u+w "$TMP" 2>/dev/null; rm -rf "$TMP"' EXIT
CHECKS=0

# What tests fetch or build once and reuse across runs and clones (modules from the proxy, the corpus and
# its build cache): $RT0_TEST_CACHE, else rt0trace-tests/ in the user's cache directory.
TEST_CACHE=${RT0_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rt0trace-tests}
mkdir -p "$TEST_CACHE" || { echo "FAIL cannot create the test cache '$TEST_CACHE'" >&2; exit 1; }

pass() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
die() { echo "FAIL $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
need_fixture() { [ -e "$RT0_FIXTURES/$1" ] || skip "fixture '$1' was not built (tests/fixtures/build.sh)"; }
# Skips (77) when ptrace is refused here: rt0trace run exits 4 and says why.
need_ptrace() {
  "$RT0TRACE" run -o "$TMP/ptrace-probe.jsonl" -- /bin/true 2>"$TMP/ptrace-probe.err"
  [ $? -ne 4 ] || skip "ptrace is not permitted here: $(cat "$TMP/ptrace-probe.err")"
}

# run_ok CODE DESCRIPTION -- CMD...: runs CMD, stdout/stderr to $TMP/out, $TMP/err; dies unless it
# exits CODE.
run_ok() {
  local want=$1 what=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  [ "$got" -eq "$want" ] || die "$what: exit $got, want $want; stderr: $(head -c 400 "$TMP/err")"
}

# expect_exit CODE DESCRIPTION -- CMD...: run_ok, and a check passed.
expect_exit() {
  run_ok "$@"
  pass "$2 (exit $1)"
}

# expect_error CODE 'stderr line' DESCRIPTION -- CMD...: exit CODE, exactly that one line on stderr, no stdout.
expect_error() {
  local want=$1 line=$2 what=$3
  shift 4
  expect_exit "$want" "$what" -- "$@"
  [ "$(wc -l <"$TMP/err")" -eq 1 ] || die "$what: stderr has $(wc -l <"$TMP/err") lines, want 1: $(cat "$TMP/err")"
  [ "$(cat "$TMP/err")" = "$line" ] || die "$what: stderr '$(cat "$TMP/err")', want '$line'"
  [ ! -s "$TMP/out" ] || die "$what: unexpected stdout: $(head -c 200 "$TMP/out")"
  pass "$what: '$line'"
}

# The packages a Go program reports with GODEBUG=inittrace=1, one per line. The runtime prints each as
# its symbols' prefix, where the linker escapes a '.' (and '%', '"', spaces, non-ASCII) of the path's
# last element as %xx (cmd/internal/objabi.PathToPrefix: "gopkg.in/yaml%2ev3"); decoded back to the
# import path, as rt0trace reports it (import paths never hold a '%').
inittrace_order() {
  GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null </dev/null | awk '$1 == "init" && $3 ~ /^@/ {print $2}' \
    | perl -pe 's/%([0-9a-fA-F]{2})/chr(hex($1))/ge'
}

finish() { echo "$CHECKS checks passed"; exit 0; }
