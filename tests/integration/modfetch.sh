#!/usr/bin/env bash
# rt0trace mod download against the real module proxy, with `go mod download -json` as the oracle (tests
# only): the module graph of a small module requiring github.com/fatih/color, golang.org/x/sys,
# github.com/mattn/go-isatty and github.com/BurntSushi/toml (pseudo-versions and upper case included) is
# downloaded by both into two fresh caches, which must be byte-identical (every file, .info .mod .zip
# .ziphash list and the extracted trees) with the same modes, and print the same JSON; go mod verify
# against rt0trace's cache with the network off; go and rt0trace filling one cache at once; a tampered
# extracted file caught by `rt0trace mod verify`, and a .partial redo; cached modules need no proxy; bad
# inputs: unknown version (5, the proxy's own message, as go prints it), GOPROXY=off (5, go's message),
# "direct" (5), an unreachable proxy (4), bad MODULE@VERSION (2). With no arguments, as go mod download:
# the module's requirements (go >= 1.17) or its build list (below), the same JSON and cache as go's;
# without go.sum through the checksum database; a wrong go.sum line (5); no go.mod, a go.work (2).
# Skips when the proxy cannot be reached.
. "$(dirname "$0")/lib/common.bash"
R=$RT0TRACE
GO=${GOROOT:-/usr/local/go}/bin/go
[ -x "$GO" ] || skip "no reference go command at '$GO'"
command -v jq >/dev/null || skip "jq is not installed (scripts/setup installs it)"
PROXY=${RT0_TEST_GOPROXY:-https://proxy.golang.org}
export GOENV=off GOFLAGS= GOTOOLCHAIN=local GONOPROXY= GOPRIVATE= GONOSUMDB= GOPROXY=$PROXY
unset GOPATH

# Can the proxy be reached? (exit 4 is rt0trace's "unreachable"; anything else but 0 is a failure)
GOMODCACHE=$TMP/probe "$R" mod download github.com/BurntSushi/toml@v1.4.0 >/dev/null 2>"$TMP/probe.err"
case $? in
  0) ;;
  4) skip "the module proxy $PROXY cannot be reached: $(cat "$TMP/probe.err")" ;;
  *) die "probe download failed: $(cat "$TMP/probe.err")" ;;
esac

# The module whose graph both download (go mod graph names every version whose go.mod is needed).
mkdir -p "$TMP/w" "$TMP/empty"
cat >"$TMP/w/go.mod" <<'EOF'
module example.com/rt0test

go 1.22

require (
	github.com/BurntSushi/toml v1.4.0
	github.com/fatih/color v1.18.0
	github.com/mattn/go-colorable v0.1.13
	github.com/mattn/go-isatty v0.0.20
	golang.org/x/sys v0.25.0
)
EOF
(cd "$TMP/w" && GOFLAGS=-mod=mod GOMODCACHE=$TMP/graph "$GO" mod graph) >"$TMP/graph" 2>"$TMP/graph.err" ||
  die "go mod graph failed: $(cat "$TMP/graph.err")"
mapfile -t MODS < <(tr ' ' '\n' <"$TMP/graph" | grep @ | grep -v '^go@\|^toolchain@' | sort -u)
[ "${#MODS[@]}" -ge 6 ] || die "go mod graph named ${#MODS[@]} module versions: ${MODS[*]}"
printf '%s\n' "${MODS[@]}" | grepq 'golang.org/x/sys@v0.0.0-' || die "no pseudo-version in the graph: ${MODS[*]}"

secs() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }
start=$EPOCHREALTIME
GOMODCACHE=$TMP/rt "$R" mod download -json "${MODS[@]}" >"$TMP/rt.json" 2>"$TMP/rt.err" ||
  die "rt0trace mod download failed: $(cat "$TMP/rt.err")"
t_rt=$(secs "$start")
start=$EPOCHREALTIME
(cd "$TMP/empty" && GOMODCACHE=$TMP/go "$GO" mod download -json "${MODS[@]}") >"$TMP/go.json" 2>"$TMP/go.err" ||
  die "go mod download failed: $(cat "$TMP/go.err") $(jq -r '.Error // empty' "$TMP/go.json")"
t_go=$(secs "$start")
pass "downloaded ${#MODS[@]} module versions: rt0trace ${t_rt}s, go ${t_go}s ($(du -sh "$TMP/rt" | cut -f1))"

diff <(sed "s#$TMP/rt/#CACHE/#g" "$TMP/rt.json") <(sed "s#$TMP/go/#CACHE/#g" "$TMP/go.json") >&2 ||
  die "the -json output differs from go's"
pass "-json output identical to go mod download -json (Path Version Info GoMod Zip Dir Sum GoModSum)"

listing() { (cd "$1" && find . -path ./cache/download/sumdb -prune -o -printf '%P %y %m %s\n' | sort); }
diff <(listing "$TMP/rt") <(listing "$TMP/go") >&2 || die "the caches hold different files, types, modes or sizes"
pass "same file list, types, modes and sizes as go's cache ($(listing "$TMP/rt" | wc -l) entries; go's sumdb/ aside)"
diff -r -x sumdb "$TMP/rt" "$TMP/go" >&2 || die "the caches' contents differ"
pass "every file byte-identical to go's: .info .mod .zip .ziphash list, the extracted trees"
for m in "${MODS[@]}"; do
  p=${m%@*} v=${m#*@}
  sum=$(jq -r "select(.Path == \"$p\" and .Version == \"$v\") | .Sum" "$TMP/go.json")
  zh=$(jq -r "select(.Path == \"$p\" and .Version == \"$v\") | .Zip" "$TMP/rt.json")hash
  [ "$(cat "$zh")" = "$sum" ] || die "$m: .ziphash '$(cat "$zh")', go's Sum '$sum'"
done
pass "each .ziphash is go's Sum"

# rt0trace mod verify hashes each extracted tree (gb_h1_dir) and zip against the .ziphash, i.e. go's Sum.
GOMODCACHE=$TMP/rt expect_exit 0 "rt0trace mod verify of all" -- "$R" mod verify "${MODS[@]}"
grep -qx 'all modules verified' "$TMP/out" || die "mod verify printed '$(cat "$TMP/out")'"
# go mod verify in the module, against rt0trace's cache, go.sum from go's own download, no network.
jq -r '"\(.Path) \(.Version) \(.Sum)", "\(.Path) \(.Version)/go.mod \(.GoModSum)"' "$TMP/go.json" >"$TMP/w/go.sum"
(cd "$TMP/w" && GOFLAGS=-mod=mod GOMODCACHE=$TMP/rt GOPROXY=off "$GO" mod verify) >"$TMP/verify.out" 2>&1 ||
  die "go mod verify on rt0trace's cache: $(cat "$TMP/verify.out")"
grep -qx 'all modules verified' "$TMP/verify.out" || die "go mod verify said '$(cat "$TMP/verify.out")'"
pass "go mod verify (GOPROXY=off) on rt0trace's cache: all modules verified"

# Cached modules need no proxy; the output is the same.
GOMODCACHE=$TMP/rt GOPROXY=off expect_exit 0 "cached, GOPROXY=off" -- "$R" mod download -json "${MODS[@]}"
cmp -s "$TMP/out" "$TMP/rt.json" || die "the cached run printed something else"

# A tampered extracted file: verify says which tree; a .partial marker (as an interrupted go leaves)
# makes download extract it again.
M=github.com/mattn/go-isatty@v0.0.20
D=$(jq -r 'select(.Path == "github.com/mattn/go-isatty" and .Version == "v0.0.20") | .Dir' "$TMP/rt.json")
chmod u+w "$D" "$D/isatty_others.go"
echo '// tampered' >>"$D/isatty_others.go"
GOMODCACHE=$TMP/rt expect_exit 5 "mod verify of a tampered tree" -- "$R" mod verify "$M"
grep -q "dir has been modified ($D)" "$TMP/err" || die "verify said: $(cat "$TMP/err")"
pass "a tampered file is caught: $(cat "$TMP/err")"
P=$TMP/rt/cache/download/github.com/mattn/go-isatty/@v/v0.0.20.partial
: >"$P"
GOMODCACHE=$TMP/rt GOPROXY=off expect_exit 0 "download after a .partial marker" -- "$R" mod download "$M"
GOMODCACHE=$TMP/rt expect_exit 0 "mod verify after the redo" -- "$R" mod verify "$M"
[ ! -e "$P" ] || die ".partial left behind"
[ "$(stat -c %a "$D")" = 555 ] || die "$D: mode $(stat -c %a "$D") after the redo"
pass "a .partial marker: extracted again, read-only, verified"

# go and rt0trace filling one cache at once: the version locks keep them apart.
S=golang.org/x/sys@v0.25.0
(cd "$TMP/empty" && GOMODCACHE=$TMP/shared "$GO" mod download "$S") 2>"$TMP/shared.go.err" & gopid=$!
GOMODCACHE=$TMP/shared "$R" mod download "$S" >/dev/null 2>"$TMP/shared.rt.err" || die "rt0trace beside go: $(cat "$TMP/shared.rt.err")"
wait $gopid || die "go beside rt0trace: $(cat "$TMP/shared.go.err")"
GOMODCACHE=$TMP/shared expect_exit 0 "mod verify of the shared cache" -- "$R" mod verify "$S"
diff -r "$TMP/shared/golang.org/x/sys@v0.25.0" "$TMP/go/golang.org/x/sys@v0.25.0" >&2 || die "the shared cache's tree differs"
for f in info mod zip ziphash; do
  cmp "$TMP/shared/cache/download/golang.org/x/sys/@v/v0.25.0.$f" "$TMP/go/cache/download/golang.org/x/sys/@v/v0.25.0.$f" ||
    die "the shared cache's .$f differs"
done
pass "go and rt0trace downloading $S into one cache at once: both succeed, the result verifies"

# --- no arguments: the main module's modules, as go mod download ------------------------------------------
# go >= 1.17: the go.mod's requirements at their selected versions (and the graph's go.mod files); below
# 1.17 the whole build list. go runs on a copy (it may add go.sum lines; rt0trace never edits go.sum).
# copymod NAME [GO_LINE]: $TMP/NAME, a copy of the test module (with its go.sum) at that go line,
# requiring fatih/color only (its requirements are the rest of the build list)
copymod() {
  rm -rf "$TMP/$1"; cp -r "$TMP/w" "$TMP/$1"
  printf 'module example.com/rt0test\n\ngo %s\n\nrequire github.com/fatih/color v1.18.0\n' "${2:-1.22}" >"$TMP/$1/go.mod"
}
declare -A NA_WANT=([1.22]=1 [1.16]=4)
for gl in 1.22 1.16; do
  copymod "na-go-$gl" "$gl"; copymod "na-rt-$gl" "$gl"
  (cd "$TMP/na-go-$gl" && GOFLAGS=-mod=mod GOMODCACHE=$TMP/na-go-c$gl "$GO" mod download -json) >"$TMP/na-go.json" 2>"$TMP/na-go.err" ||
    die "go mod download (no arguments, go $gl) failed: $(cat "$TMP/na-go.err")"
  (cd "$TMP/na-rt-$gl" && GOMODCACHE=$TMP/na-rt-c$gl "$R" mod download -json) >"$TMP/na-rt.json" 2>"$TMP/na-rt.err" ||
    die "rt0trace mod download (no arguments, go $gl) failed: $(cat "$TMP/na-rt.err")"
  diff <(sed "s#$TMP/na-rt-c$gl/#CACHE/#g" "$TMP/na-rt.json") <(sed "s#$TMP/na-go-c$gl/#CACHE/#g" "$TMP/na-go.json") >&2 ||
    die "no arguments, go $gl: the -json output differs from go's"
  # (go's cache/lock guards its edits of go.sum, which rt0trace does not make)
  diff <(listing "$TMP/na-rt-c$gl" | grep -v '^cache/lock ') <(listing "$TMP/na-go-c$gl" | grep -v '^cache/lock ') >&2 ||
    die "no arguments, go $gl: the caches hold different files"
  diff -r -x sumdb -x lock "$TMP/na-rt-c$gl" "$TMP/na-go-c$gl" >&2 || die "no arguments, go $gl: the caches' contents differ"
  cmp -s "$TMP/w/go.sum" "$TMP/na-rt-$gl/go.sum" || die "rt0trace changed go.sum"
  [ "$(jq -s length "$TMP/na-rt.json")" -eq "${NA_WANT[$gl]}" ] || die "no arguments, go $gl: $(jq -s length "$TMP/na-rt.json") modules, want ${NA_WANT[$gl]}"
  pass "mod download with no arguments, go $gl: ${NA_WANT[$gl]} module(s); the same JSON and the same cache as go mod download"
done
# without go.sum the hashes come from the checksum database (through the proxy), as go's do
copymod na-nosum && rm "$TMP/na-nosum/go.sum"
(cd "$TMP/na-nosum" && GOMODCACHE=$TMP/na-nosum-c "$R" mod download) >"$TMP/out" 2>"$TMP/err" ||
  die "no go.sum: $(cat "$TMP/err")"
diff <(listing "$TMP/na-nosum-c" | grep -v '^cache/lock ') <(listing "$TMP/na-go-c1.22" | grep -v '^cache/lock ') >&2 ||
  die "no go.sum: not the same modules as with it"
[ -n "$(ls "$TMP/na-nosum-c/cache/download/sumdb/sum.golang.org/lookup")" ] || die "no go.sum: no checksum database lookup cached"
[ ! -e "$TMP/na-nosum/go.sum" ] || die "no go.sum: one was written"
pass "mod download with no arguments and no go.sum: each hash from the checksum database, the same modules"
copymod na-bad && sed -i 's#^github.com/fatih/color v1.18.0 h1:.*#github.com/fatih/color v1.18.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=#' "$TMP/na-bad/go.sum"
(cd "$TMP/na-bad" && GOMODCACHE=$TMP/na-bad-c "$R" mod download) >"$TMP/out" 2>"$TMP/err"
[ $? -eq 5 ] || die "a wrong go.sum line: exit $?, want 5: $(cat "$TMP/err")"
grepq -F "verifying github.com/fatih/color@v1.18.0: checksum mismatch" "$TMP/err" || die "a wrong go.sum line: $(cat "$TMP/err")"
[ ! -e "$TMP/na-bad-c/github.com/fatih/color@v1.18.0" ] || die "a wrong go.sum line: the module was extracted"
pass "no arguments, a wrong go.sum line: exit 5, '$(head -n 1 "$TMP/err" | cut -c1-160)'"
(cd "$TMP/empty" && expect_exit 2 "no arguments and no go.mod" -- "$R" mod download)
grepq -F "no go.mod in" "$TMP/err" || die "no go.mod: $(cat "$TMP/err")"
copymod na-work && printf 'go 1.22\n\nuse .\n' >"$TMP/na-work/go.work"
(cd "$TMP/na-work" && expect_exit 2 "no arguments in a workspace" -- "$R" mod download)
grepq -F "not a workspace" "$TMP/err" || die "a workspace: $(cat "$TMP/err")"

# --- bad inputs ---------------------------------------------------------------------------------------
U=github.com/fatih/color@v1.99.0
(cd "$TMP/empty" && GOMODCACHE=$TMP/go2 "$GO" mod download -json "$U") >"$TMP/go.bad.json" 2>/dev/null
goerr=$(jq -r '.Error | gsub("\n\tserver response:"; ": server response:") | gsub("\n\t"; "; ")' "$TMP/go.bad.json")
[ -n "$goerr" ] && [ "$goerr" != null ] || die "go reported no error for $U"
GOMODCACHE=$TMP/bad expect_error 5 "rt0trace: $goerr" "unknown version: the proxy's message, as go prints it" -- "$R" mod download "$U"
[ -z "$(find "$TMP/bad" -type f 2>/dev/null)" ] || die "an unknown version left files: $(find "$TMP/bad" -type f)"

(cd "$TMP/empty" && GOMODCACHE=$TMP/go3 GOPROXY=off "$GO" mod download -json "$M") >"$TMP/go.off.json" 2>/dev/null
goerr=$(jq -r .Error "$TMP/go.off.json")
GOMODCACHE=$TMP/off GOPROXY=off expect_error 5 "rt0trace: $goerr" "GOPROXY=off, go's message" -- "$R" mod download "$M"
GOMODCACHE=$TMP/direct GOPROXY=direct expect_exit 5 "GOPROXY=direct refused" -- "$R" mod download "$M"
grep -q 'only through a module proxy' "$TMP/err" || die "direct: $(cat "$TMP/err")"
GOMODCACHE=$TMP/direct GOPRIVATE=github.com/mattn expect_exit 5 "GOPRIVATE (direct) refused" -- "$R" mod download "$M"
grep -q 'GONOPROXY/GOPRIVATE' "$TMP/err" || die "GOPRIVATE: $(cat "$TMP/err")"
GOMODCACHE=$TMP/unreach GOPROXY=https://127.0.0.1:9 expect_exit 4 "unreachable proxy" -- "$R" mod download "$M"
grep -q 'reading https://127.0.0.1:9/github.com/mattn/go-isatty/@v/v0.0.20.info: ' "$TMP/err" || die "unreachable: $(cat "$TMP/err")"
pass "unreachable proxy: $(cat "$TMP/err")"
expect_exit 2 "no @VERSION" -- "$R" mod download github.com/fatih/color
grep -q "MODULE@VERSION wanted" "$TMP/err" || die "no @VERSION: $(cat "$TMP/err")"
expect_exit 2 "a version query" -- "$R" mod download github.com/fatih/color@latest
grep -q 'not a semantic version' "$TMP/err" || die "@latest: $(cat "$TMP/err")"
expect_exit 2 "a non-canonical version" -- "$R" mod download github.com/fatih/color@v1.18
expect_exit 2 "an invalid module path" -- "$R" mod download Github.com/fatih/color@v1.18.0
grep -q 'malformed module path' "$TMP/err" || die "bad path: $(cat "$TMP/err")"
expect_exit 2 "a major version that does not fit the path" -- "$R" mod download github.com/fatih/color@v2.0.0
expect_exit 2 "unknown subcommand" -- "$R" mod tidy
expect_exit 0 "--help" -- "$R" mod download --help
grep -q '^usage: rt0trace mod download' "$TMP/out" || die "--help: $(head -2 "$TMP/out")"
finish
