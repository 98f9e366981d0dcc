#!/usr/bin/env bash
# Outputs written safely, and inputs that must not hang or mislead: every file rt0trace writes (trace,
# report, baseline, built binary, manifest) replaces a symbolic link planted at its path instead of
# writing through it, is never created through a name another user could guess (every O_CREAT in the
# output directory is O_EXCL), and a device behind a link is still written (-o /dev/stderr); `run -o -`
# keeps the program's own output out of the trace stream; a failed run leaves an existing file alone;
# `inspect` of a FIFO does not block; `build -C` of a missing directory is a missing input (exit 3);
# a set-user-ID program traced
# without the privilege to keep its own gets a warning saying so.
. "$(dirname "$0")/lib/common.bash"
need_fixture cprog
need_fixture diamond
need_ptrace
R=$RT0TRACE
FX=$RT0_FIXTURES
STRACE=$(command -v strace) || skip "strace is not installed (scripts/setup installs it)"
GOROOT=${GOROOT:-/usr/local/go}

# --- a planted symlink is never written through --------------------------------------------------------------
# Another user's link in a sticky world-writable directory (the /tmp attack: root runs `-o /tmp/x.jsonl`,
# the link points at /etc/shadow) is refused with one message, whatever fs.protected_symlinks says, and the
# target keeps its bytes; the user's own link is followed, as strace -o does.
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || skip "planting another user's symlink needs root and setpriv"
mkdir -p "$TMP/pub" && chmod 1777 "$TMP/pub" && chmod 755 "$TMP"
victim=$TMP/victim
plant() { # PATH: a link to the victim, owned by nobody, in the sticky world-writable directory
  printf 'precious\n' > "$victim"
  rm -f "$1"
  setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$victim" "$1" || die "cannot plant a link as nobody"
}
refused() { # CODE WHAT -- CMD...: refused with that exit and one message; the victim keeps its bytes
  local code=$1 what=$2 path=$3
  shift 4
  expect_exit "$code" "$what over a planted link" -- "$@"
  grep -q "^rt0trace: .*'$path': it is a symbolic link owned by uid 65534 in the world-writable directory '$TMP/pub'" "$TMP/err" \
    || die "$what over a planted link: message: $(cat "$TMP/err")"
  [ "$(cat "$victim")" = precious ] || die "$what: wrote through the planted link into its target"
  pass "$what: another user's link in a sticky world-writable directory is refused, its target untouched"
}
"$R" run -o "$TMP/t.jsonl" -- "$FX/cprog" > /dev/null || die "run: exit $?"
plant "$TMP/pub/t.jsonl"
refused 3 "run -o" "$TMP/pub/t.jsonl" -- "$R" run -o "$TMP/pub/t.jsonl" -- "$FX/cprog"
plant "$TMP/pub/r.txt"
refused 3 "report -o" "$TMP/pub/r.txt" -- "$R" report -o "$TMP/pub/r.txt" "$TMP/t.jsonl"
plant "$TMP/pub/b.json"
refused 3 "bench -o" "$TMP/pub/b.json" -- "$R" bench -n 3 -o "$TMP/pub/b.json" -- "$FX/cprog"
if [ -x "$GOROOT/pkg/tool/linux_amd64/compile" ]; then
  plant "$TMP/pub/prog"
  refused 5 "build -o" "$TMP/pub/prog" -- "$R" build --goroot "$GOROOT" -C "$RT0_SRC/tests/fixtures/diamond" -o "$TMP/pub/prog" .
  plant "$TMP/pub/m.json"
  refused 5 "build --manifest" "$TMP/pub/m.json" -- "$R" build --goroot "$GOROOT" -C "$RT0_SRC/tests/fixtures/diamond" -o "$TMP/prog" --manifest "$TMP/pub/m.json" .
fi
# our own link, and a regular file of another user's there: written (the file is replaced, not written into)
printf 'precious\n' > "$victim"
ln -s "$victim" "$TMP/pub/mine.jsonl"
"$R" run -o "$TMP/pub/mine.jsonl" -- /bin/true > /dev/null || die "run -o OWN-LINK: exit $?"
jq -s -e '.[0].type == "header" and .[-1].type == "footer"' "$victim" >/dev/null || die "run -o OWN-LINK: the link's target is not the trace"
[ -L "$TMP/pub/mine.jsonl" ] || die "run -o OWN-LINK: the link was replaced"
setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "echo theirs > '$TMP/pub/theirs.jsonl'" || die "cannot plant a file as nobody"
cp -p "$TMP/pub/theirs.jsonl" "$TMP/theirs.before" 2>/dev/null
exec 9<"$TMP/pub/theirs.jsonl"
"$R" run -o "$TMP/pub/theirs.jsonl" -- /bin/true > /dev/null || die "run -o THEIR-FILE: exit $?"
[ "$(cat <&9)" = theirs ] || die "run -o THEIR-FILE: wrote into the other user's file (they could read the trace)"
exec 9<&-
jq -s -e '.[0].type == "header"' "$TMP/pub/theirs.jsonl" >/dev/null || die "run -o THEIR-FILE: no trace at the path"
pass "the user's own link is followed (strace -o's way); another user's regular file is replaced, never written into"

# --- no guessable names: every file created in the output directory is created O_EXCL -------------------
# (strace follows rt0trace alone, not the program: the ptrace engine needs to trace that itself)
rm -rf "$TMP/od" && mkdir "$TMP/od"
excl_only() { # WHAT: the strace log in $TMP/opens shows no O_CREAT without O_EXCL under $TMP/od
  if grep -E "\"$TMP/od/[^\"]*\", [^)]*O_CREAT" "$TMP/opens" | grep -v O_EXCL >&2; then
    die "$1: a file in the output directory was created without O_EXCL (a predictable name can be planted)"
  fi
  grep -qE "\"$TMP/od/[^\"]*\", [^)]*O_CREAT" "$TMP/opens" \
    || die "$1: strace saw no file created in the output directory: the test does not look at the right calls"
  pass "$1: every file created in the output directory is created with O_EXCL"
}
ASAN_OPTIONS=detect_leaks=0 "$STRACE" -qq -o "$TMP/opens" -e trace=open,openat,creat "$R" run -o "$TMP/od/t.jsonl" -- "$FX/cprog" > /dev/null \
  || die "run under strace: exit $?"
excl_only "run -o"
ASAN_OPTIONS=detect_leaks=0 "$STRACE" -qq -o "$TMP/opens" -e trace=open,openat,creat "$R" report -o "$TMP/od/r.html" --format html "$TMP/od/t.jsonl" || die "report under strace: exit $?"
excl_only "report -o"
ASAN_OPTIONS=detect_leaks=0 "$STRACE" -qq -o "$TMP/opens" -e trace=open,openat,creat "$R" bench -n 3 -o "$TMP/od/b.json" -- "$FX/cprog" > /dev/null \
  || die "bench under strace: exit $?"
excl_only "bench -o"

# --- devices behind a link are written; a failed run leaves what was there -------------------------------
"$R" run -o /dev/stderr -- /bin/true 2> "$TMP/stderr.trace" > /dev/null || die "run -o /dev/stderr: exit $?"
jq -s -e '.[0].type == "header" and .[-1].type == "footer"' "$TMP/stderr.trace" >/dev/null || die "run -o /dev/stderr: no trace on stderr"
[ -L /dev/stderr ] || die "/dev/stderr was replaced"
pass "run -o /dev/stderr: the trace goes to the device behind the link, the link stays"
printf 'old trace\n' > "$TMP/keep.jsonl"
expect_exit 3 "run of a missing program" -- "$R" run -o "$TMP/keep.jsonl" -- "$TMP/nope"
[ "$(cat "$TMP/keep.jsonl")" = "old trace" ] || die "a run that traced nothing replaced the existing file"
[ -z "$(find "$TMP" -maxdepth 1 -name '.keep.jsonl.*')" ] || die "a run that traced nothing left its temporary file"
pass "a run that traced nothing leaves the existing file and no temporary file"
mkdir "$TMP/adir"
expect_error 3 "rt0trace: cannot write the trace '$TMP/adir': Is a directory" "run -o DIRECTORY" -- "$R" run -o "$TMP/adir" -- /bin/true

# --- run -o -: the program's output never enters the trace stream ------------------------------------------
"$R" run -o - -- "$FX/cprog" 2> "$TMP/dash.err" | "$R" report - > "$TMP/dash.report"
rc=("${PIPESTATUS[@]}")
[ "${rc[0]}" -eq 0 ] && [ "${rc[1]}" -eq 0 ] || die "run -o - | report -: exit ${rc[*]}: $(head -c 300 "$TMP/dash.err")"
grep -q '^cprog: constructors ran 1 then 2' "$TMP/dash.err" || die "run -o -: the program's output is not on stderr: $(cat "$TMP/dash.err")"
grep -q '✓ trace complete' "$TMP/dash.report" || die "run -o - | report -: $(cat "$TMP/dash.report")"
pass "run -o - | report -: the trace stream is clean, the program's own output goes to stderr"

# --- inputs that must not hang ------------------------------------------------------------------------------
mkfifo "$TMP/fifo"
expect_error 3 "rt0trace: '$TMP/fifo' is not a regular file" "inspect of a FIFO (no writer) does not block" -- timeout 20 "$R" inspect "$TMP/fifo"
expect_error 3 "rt0trace: cannot change to directory '/nonexistent-rt0' (-C): No such file or directory" "build -C of a missing directory" \
  -- "$R" build -C /nonexistent-rt0
expect_error 3 "rt0trace: cannot change to directory '$TMP/keep.jsonl' (-C): Not a directory" "build -C of a file" \
  -- "$R" build -C "$TMP/keep.jsonl"

# --- a set-user-ID program traced by a user who cannot keep its privileges --------------------------------
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
  cp /bin/true "$TMP/suid-true" && chmod 4755 "$TMP/suid-true"
  chmod 755 "$TMP"
  ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 --clear-groups "$R" run -o /dev/null -- "$TMP/suid-true" 2> "$TMP/suid.err"
  grep -q "^rt0trace: warning: '$TMP/suid-true' is set-user-ID: traced with ptrace by a user without CAP_SYS_PTRACE" "$TMP/suid.err" \
    || die "no warning for a set-user-ID program traced by an unprivileged user: $(cat "$TMP/suid.err")"
  "$R" run -o /dev/null -- "$TMP/suid-true" 2> "$TMP/suid-root.err"
  ! grep -q warning "$TMP/suid-root.err" || die "a warning for root, whom the kernel lets keep the privileges: $(cat "$TMP/suid-root.err")"
  pass "set-user-ID program: ptrace by an unprivileged user warns that the kernel drops its privileges; root is not warned"
fi

finish
