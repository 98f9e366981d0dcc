#!/usr/bin/env bash
# The installed rt0trace (issue 19): `cmake --install` into a temporary prefix lays out the binary, the
# program starter, the preload library, the man pages and the docs prefix-relative; the tree still
# works after it is moved (the binary finds its helpers from its own directory), with no $RT0_* helper
# variables: the ptrace and preload engines run from there (eBPF: install_ebpf.sh); a missing helper
# is one message naming where it was looked for, exit 4; every command has a man page that documents
# each option its --help lists; `cpack -G DEB` makes a package whose files run the same way.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
BUILD=$(cd "$(dirname "$R")" && pwd)
need_fixture diamond
need_fixture cprog
need_ptrace
command -v cmake >/dev/null || skip "cmake is not installed"
[ -f "$BUILD/cmake_install.cmake" ] || skip "'$BUILD' is not a CMake build tree"
unset RT0_EXEC_HELPER RT0_PRELOAD_LIB

cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.out" 2>&1 || die "cmake --install failed: $(tail -3 "$TMP/install.out")"
for f in bin/rt0trace libexec/rt0trace/rt0exec lib/rt0trace/librt0preload.so share/doc/rt0trace/formats.md \
         share/doc/rt0trace/schemas/trace.schema.json share/man/man1/rt0trace.1 share/man/man1/rt0trace-run.1; do
  [ -e "$TMP/prefix/$f" ] || die "cmake --install did not install $f: $(sed -n 's/^-- Installing: //p' "$TMP/install.out" | tr '\n' ' ')"
done
pass "cmake --install lays out bin/rt0trace, libexec/rt0trace/rt0exec, lib/rt0trace/librt0preload.so, man pages and docs"

# moved as a whole, it still finds its helpers
mv "$TMP/prefix" "$TMP/moved"
I=$TMP/moved/bin/rt0trace
engines_from() { # INSTALLED-RT0TRACE LABEL: the ptrace and preload engines run from an installed tree
  local rt=$1 label=$2
  (cd "$TMP" && "$rt" run -o "$TMP/p.jsonl" -- "$FX/diamond" >/dev/null 2>"$TMP/p.err") || die "$label: run (ptrace) exit $?: $(cat "$TMP/p.err")"
  jq -s -e '.[0].engine == "ptrace" and .[-1].complete and (map(select(.type == "probe" and .role == "main")) | length) == 1' \
    "$TMP/p.jsonl" >/dev/null || die "$label: the ptrace trace is incomplete or has no main probe"
  "$rt" report "$TMP/p.jsonl" >"$TMP/p.report" || die "$label: report exit $?: $(grep '✗' "$TMP/p.report")"
  "$rt" run --engine preload -o "$TMP/l.jsonl" -- "$FX/cprog" >/dev/null 2>"$TMP/l.err" || die "$label: run --engine preload exit $?: $(cat "$TMP/l.err")"
  jq -s -e '.[0].engine == "preload" and .[-1].complete and (map(select(.type == "probe" and .role == "main")) | length) == 1' \
    "$TMP/l.jsonl" >/dev/null || die "$label: the preload trace is incomplete or has no main probe"
}
engines_from "$I" "installed and moved"
pass "the installed tree, moved elsewhere, runs the ptrace and preload engines with no \$RT0_* helper variables"

# a missing helper: one message naming where it was looked for, exit 4
mv "$TMP/moved/libexec/rt0trace/rt0exec" "$TMP/rt0exec.away"
expect_error 4 "rt0trace: the program starter was not found at '$TMP/moved/bin/../libexec/rt0trace/rt0exec' nor at '$TMP/moved/bin/libexec/rt0exec' (build or install it, or set \$RT0_EXEC_HELPER)" \
  "run with the program starter missing" -- "$I" run -o "$TMP/x.jsonl" -- "$FX/diamond"
mv "$TMP/rt0exec.away" "$TMP/moved/libexec/rt0trace/rt0exec"
mv "$TMP/moved/lib/rt0trace/librt0preload.so" "$TMP/lib.away"
expect_error 4 "rt0trace: the preload library was not found at '$TMP/moved/bin/../lib/rt0trace/librt0preload.so' nor at '$TMP/moved/bin/probes/preload/librt0preload.so' (build or install it, or set \$RT0_PRELOAD_LIB)" \
  "run --engine preload with the library missing" -- "$I" run --engine preload -o "$TMP/x.jsonl" -- "$FX/cprog"
mv "$TMP/lib.away" "$TMP/moved/lib/rt0trace/librt0preload.so"

# the man pages: one per command, each documenting every option its --help lists
MAN1=$TMP/moved/share/man/man1
commands=$("$I" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ -n "$commands" ] || die "no commands in 'rt0trace --help'"
render() { LC_ALL=C MANWIDTH=200 man -l "$1" 2>"$TMP/man.err" | col -b; }
render "$MAN1/rt0trace.1" > "$TMP/rt0trace.txt"
[ -s "$TMP/rt0trace.txt" ] || die "man rt0trace(1) does not render: $(cat "$TMP/man.err")"
for c in $commands; do
  page=$MAN1/rt0trace-$c.1
  [ -f "$page" ] || die "no man page for 'rt0trace $c' ($page)"
  grepq -F "rt0trace-$c" "$TMP/rt0trace.txt" || die "rt0trace(1) does not name rt0trace-$c(1)"
  render "$page" > "$TMP/$c.txt"
  [ -s "$TMP/$c.txt" ] || die "man rt0trace-$c does not render: $(cat "$TMP/man.err")"
  # the options --help lists: its lines that begin with two spaces and a dash, up to the description
  "$I" "$c" --help 2>&1 | sed -n 's/^  \(-[^ ].*\)/\1/p' | sed 's/   .*//' \
    | grep -oE -- '(^|[ ,|])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[ ,|]//' | sort -u > "$TMP/$c.opts"
  [ -s "$TMP/$c.opts" ] || die "'rt0trace $c --help' lists no options"
  while read -r o; do
    grepq -e "$o" "$TMP/$c.txt" || die "man rt0trace-$c does not document $o (listed by 'rt0trace $c --help')"
  done < "$TMP/$c.opts"
done
pass "a man page for each command ($(echo $commands | tr ' ' ',')), each documenting every option its --help lists; rt0trace(1) names them all"

# a Debian package of the same tree
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null; then
  cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" >"$TMP/cpack.out" 2>&1 || die "cpack -G DEB failed: $(tail -5 "$TMP/cpack.out")"
  deb=$(ls "$TMP"/pkg/*.deb 2>/dev/null | head -1)
  [ -n "$deb" ] || die "cpack made no .deb: $(tail -3 "$TMP/cpack.out")"
  dpkg-deb -c "$deb" > "$TMP/deb.list"
  for f in ./usr/bin/rt0trace ./usr/libexec/rt0trace/rt0exec ./usr/lib/rt0trace/librt0preload.so ./usr/share/man/man1/rt0trace-run.1; do
    grepq -F " $f" "$TMP/deb.list" || die "the package lacks $f"
  done
  depends=$(dpkg-deb -f "$deb" Depends)
  [[ $depends == *libc6* && $depends == *libjansson* ]] || die "the package's Depends (from dpkg-shlibdeps) lacks libc6 or libjansson: '$depends'"
  dpkg-deb -x "$deb" "$TMP/deb"
  engines_from "$TMP/deb/usr/bin/rt0trace" "the package's files"
  pass "cpack -G DEB: $(basename "$deb") holds the binary, helpers and man pages, Depends from dpkg-shlibdeps; unpacked, its rt0trace runs both engines"
else
  die "cpack, dpkg-deb or dpkg-shlibdeps is missing (scripts/setup installs dpkg-dev)"
fi
finish
