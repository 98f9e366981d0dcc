#!/usr/bin/env bash
# The installed rt0trace's eBPF engine (install.sh does the rest): `cmake --install` into a temporary
# prefix, then --engine ebpf from that tree, with no $RT0_* helper variables (the program starter is the
# installed one; the BPF program is built into the binary).
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
FX=$RT0_FIXTURES
BUILD=$(cd "$(dirname "$R")" && pwd)
need_fixture diamond
command -v cmake >/dev/null || skip "cmake is not installed"
[ -f "$BUILD/cmake_install.cmake" ] || skip "'$BUILD' is not a CMake build tree"
unset RT0_EXEC_HELPER RT0_PRELOAD_LIB
"$R" run --engine ebpf -o "$TMP/probe.jsonl" -- /bin/true 2>"$TMP/probe.err"
[ $? -ne 4 ] || skip "the eBPF engine cannot run here: $(cat "$TMP/probe.err")"

cmake --install "$BUILD" --prefix "$TMP/prefix" >"$TMP/install.out" 2>&1 || die "cmake --install failed: $(tail -3 "$TMP/install.out")"
mv "$TMP/prefix" "$TMP/moved"
(cd "$TMP" && "$TMP/moved/bin/rt0trace" run --engine ebpf -o "$TMP/e.jsonl" -- "$FX/diamond" >/dev/null 2>"$TMP/e.err") \
  || die "run --engine ebpf from the installed tree: exit $?: $(cat "$TMP/e.err")"
jq -s -e '.[0].engine == "ebpf" and .[-1].complete and (map(select(.type == "probe" and .role == "main")) | length) == 1' \
  "$TMP/e.jsonl" >/dev/null || die "the eBPF trace from the installed tree is incomplete or has no main probe"
"$TMP/moved/bin/rt0trace" report "$TMP/e.jsonl" >"$TMP/e.report" || die "report exit $?: $(grep '✗' "$TMP/e.report")"
pass "the installed tree, moved elsewhere, runs the eBPF engine with no \$RT0_* helper variables; report exits 0"
finish
