#!/usr/bin/env bash
# rt0trace tool: the pack and buildid steps of `build -n` recipes (the recipes themselves run in
# build.sh). --help; buildid prints the Go build ID inspect reads; pack r makes a missing archive with
# its signature and appends; bad input: an unknown step or a word other than -w is a usage error
# (exit 2), a file that is not an archive is refused with one message (exit 5) and left as it was.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
need_fixture diamond

expect_exit 0 "tool --help" -- "$R" tool --help
grepq '^usage: rt0trace tool pack r ARCHIVE FILE' "$TMP/out" || die "tool --help: $(head -2 "$TMP/out")"

expect_exit 0 "tool buildid" -- "$R" tool buildid "$FX/diamond"
want=$("$R" inspect --json "$FX/diamond" | jq -r .go.build_id)
[ "$(cat "$TMP/out")" = "$want" ] || die "tool buildid printed '$(cat "$TMP/out")', inspect reads '$want'"
pass "tool buildid prints the build ID inspect reads"

printf 'abc' > "$TMP/member.o"
expect_exit 0 "tool pack r into a new archive" -- "$R" tool pack r "$TMP/new.a" "$TMP/member.o"
[ "$(head -c 8 "$TMP/new.a")" = '!<arch>' ] || die "the new archive has no signature: $(head -c 8 "$TMP/new.a" | od -c | head -1)"
[ "$(stat -c %s "$TMP/new.a")" -eq $((8 + 60 + 4)) ] || die "the new archive is $(stat -c %s "$TMP/new.a") bytes, want 72"
pass "tool pack r: a missing archive is made with its signature, the member appended (padded)"

for bad in "buildid -x $FX/diamond" "bogus" "pack x $TMP/new.a $TMP/member.o"; do
  # shellcheck disable=SC2086
  run_ok 2 "tool $bad" -- "$R" tool $bad
  grepq '^usage: rt0trace tool pack r ARCHIVE FILE' "$TMP/err" || die "tool $bad: stderr $(cat "$TMP/err")"
  [ ! -s "$TMP/out" ] || die "tool $bad: stdout $(cat "$TMP/out")"
done
pass "an unknown step, a word other than -w: usage, exit 2"

printf 'not an archive' > "$TMP/plain"
expect_error 5 "rt0trace: '$TMP/plain' is not an archive (no !<arch> signature)" "tool pack r on a file that is not an archive" \
  -- "$R" tool pack r "$TMP/plain" "$TMP/member.o"
[ "$(cat "$TMP/plain")" = "not an archive" ] || die "the refused file was changed"
pass "the refused file is left as it was"
finish
