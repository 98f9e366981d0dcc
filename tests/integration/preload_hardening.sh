#!/usr/bin/env bash
# --engine preload where the library cannot or must not act (issue 20): a setgid program (the loader's
# secure-execution mode ignores LD_PRELOAD) is refused with exit 4 and leaves no trace; so is, after the
# run, a program the library was never loaded in (file capabilities); a forged RT0_PRELOAD naming an
# inherited read-write file (with a socket of another kind, or of the launcher's kind) never makes the
# library write into that file, and the program runs as untraced.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
HERE=$(cd "$(dirname "$0")" && pwd)
need_fixture cprog
CC=$(command -v cc || command -v gcc) || skip "no C compiler to build the forging program"
SHIM=${RT0_PRELOAD_LIB:-$(dirname "$R")/probes/preload/librt0preload.so}
[ -r "$SHIM" ] || die "the preload library is not at '$SHIM' (built beside rt0trace by CMake)"

# --- a forged RT0_PRELOAD: the library writes into nothing it was not given by the launcher ---------------
"$CC" -O1 -Wall -Werror -o "$TMP/forge" "$HERE/preload/forge.c" || die "cannot build forge.c"
"$FX/cprog" 4 > "$TMP/plain.out" 2>&1
head -c 8192 /dev/urandom > "$TMP/victim.orig"
for kind in stream seqpacket; do
  cp "$TMP/victim.orig" "$TMP/victim"
  LD_PRELOAD=$SHIM "$TMP/forge" "$kind" "$TMP/victim" "$FX/cprog" 4 > "$TMP/forged.out" 2>&1
  rc=$?
  [ "$rc" -eq 4 ] || die "forged RT0_PRELOAD ($kind socket): exit $rc, untraced 4: $(head -c 300 "$TMP/forged.out")"
  diff -u "$TMP/plain.out" "$TMP/forged.out" >&2 || die "forged RT0_PRELOAD ($kind socket): the program's output changed"
  cmp -s "$TMP/victim.orig" "$TMP/victim" \
    || die "forged RT0_PRELOAD ($kind socket): the library wrote into the inherited file: $(cmp "$TMP/victim.orig" "$TMP/victim")"
  pass "forged RT0_PRELOAD naming an inherited read-write file as the counter ($kind socket): the file is unchanged, the program runs as untraced"
done
# the launcher's own counter is still accepted: a real run counts nothing lost and traces main
"$R" run --engine preload -o "$TMP/real.jsonl" -- "$FX/cprog" 4 > /dev/null 2>&1
[ $? -eq 4 ] || die "a real run: the program's status was not passed through"
jq -s -e '.[-1].lost == 0 and (map(select(.type == "probe" and .role == "main")) | length) == 1' "$TMP/real.jsonl" >/dev/null \
  || die "a real run: the library did not accept the launcher's socket and counter: $(tail -n 1 "$TMP/real.jsonl")"
pass "the launcher's sealed memfd and SOCK_SEQPACKET socket are accepted (main traced, 0 lost)"

# --- a setgid program: secure-execution mode, refused before it runs ------------------------------------
[ "$(id -u)" -eq 0 ] || skip "making a setgid program owned by another group needs root"
grp=$(getent group nogroup >/dev/null && echo nogroup || getent group 65534 | cut -d: -f1)
[ -n "$grp" ] || skip "no group 'nogroup' (65534) to own the setgid program"
cp "$FX/cprog" "$TMP/sgid"
chgrp "$grp" "$TMP/sgid" && chmod g+s "$TMP/sgid" || die "cannot make $TMP/sgid setgid"
[ -g "$TMP/sgid" ] || die "the setgid bit did not stick on $TMP/sgid"
if [ "$(stat -c %g "$TMP/sgid")" = "$(id -g)" ]; then skip "group '$grp' is the caller's own: no secure-execution mode"; fi
# the program itself (untraced): the loader ignores LD_PRELOAD for it, so the library never reports
LD_PRELOAD=$SHIM LD_DEBUG=libs "$TMP/sgid" 4 2>&1 | grepq librt0preload && die "the loader loaded LD_PRELOAD into a setgid program: no secure-execution mode here"
msg="rt0trace: '$TMP/sgid' is setgid (group $grp): the loader runs it in secure-execution mode and ignores LD_PRELOAD, so --engine preload cannot trace it; use --engine ptrace or --engine ebpf"
expect_exit 4 "a setgid program" -- "$R" run --engine preload -o "$TMP/sgid.jsonl" -- "$TMP/sgid" 4
[ "$(grep -cxF "$msg" "$TMP/err")" -eq 1 ] || die "a setgid program: stderr '$(cat "$TMP/err")', want once '$msg'"
# other engines' warnings about setuid/setgid programs may precede it; nothing else may
[ "$(grep -v '^rt0trace: warning: ' "$TMP/err" | wc -l)" -eq 1 ] || die "a setgid program: more than one error line: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || die "a setgid program: it ran (stdout: $(head -c 200 "$TMP/out"))"
[ ! -e "$TMP/sgid.jsonl" ] || die "a setgid program: a trace file was left at -o: $(head -c 300 "$TMP/sgid.jsonl")"
pass "a setgid program: '$msg'; it did not run; no trace file"
# the bits that change no id are no secure-execution mode: traced as any program
cp "$FX/cprog" "$TMP/nolock" && chgrp "$grp" "$TMP/nolock" && chmod 2744 "$TMP/nolock" || die "cannot make $TMP/nolock"
cp "$FX/cprog" "$TMP/suidroot" && chown 0 "$TMP/suidroot" && chmod 4755 "$TMP/suidroot" || die "cannot make $TMP/suidroot"
for f in nolock suidroot; do
  "$R" run --engine preload -o "$TMP/$f.jsonl" -- "$TMP/$f" 4 > /dev/null 2>"$TMP/$f.err"
  rc=$?
  [ "$rc" -eq 4 ] && jq -s -e 'map(select(.type == "probe" and .role == "main")) | length == 1' "$TMP/$f.jsonl" >/dev/null \
    || die "$f: exit $rc, stderr $(cat "$TMP/$f.err"), main traced: $(jq -s -c 'map(select(.type == "probe")) | length' "$TMP/$f.jsonl" 2>&1)"
done
pass "set-group-ID without group execute (mandatory locking) and set-user-ID root run by root change no id: traced, main recorded"

# --- after the run: a program the library was never loaded in (file capabilities: AT_SECURE) ------------
command -v setcap >/dev/null || skip "no setcap to give a program file capabilities"
id nobody >/dev/null 2>&1 || skip "no user 'nobody' to run a program with file capabilities"
command -v setpriv >/dev/null || skip "no setpriv to run as 'nobody'"
mkdir -m 0777 "$TMP/nobody"
cp "$FX/cprog" "$TMP/capprog" && chmod 0755 "$TMP/capprog" "$TMP" || die "cannot copy cprog"
setcap cap_net_raw+ep "$TMP/capprog" 2>"$TMP/setcap.err" || skip "setcap refused here: $(cat "$TMP/setcap.err")"
msg="rt0trace: --engine preload could not trace '$TMP/capprog': librt0preload.so was never loaded in it (secure-execution mode for a setuid/setgid program or file capabilities, LD_PRELOAD taken out before the program started, or the loader failed); use --engine ptrace or --engine ebpf"
RT0_PRELOAD_LIB=$SHIM expect_exit 4 "a program with file capabilities, run by 'nobody'" -- \
  setpriv --reuid=nobody --regid="$grp" --clear-groups "$R" run --engine preload -o "$TMP/nobody/cap.jsonl" -- "$TMP/capprog" 4
[ "$(grep -cxF "$msg" "$TMP/err")" -eq 1 ] || die "file capabilities: stderr '$(cat "$TMP/err")', want once '$msg'"
[ ! -e "$TMP/nobody/cap.jsonl" ] || die "file capabilities: an empty trace was left at -o: $(head -c 300 "$TMP/nobody/cap.jsonl")"
pass "a program the library was never loaded in (file capabilities): exit 4, '$msg'; no trace file"
finish
