#!/usr/bin/env bash
# rt0trace build: byte-identical to `go build -trimpath -buildvcs=false` (build IDs blanked) for every
# fixture, gofmt and arm64/arm cross-builds, and with cgo (CGO_ENABLED=1, dynamic through gcc and
# static through musl-gcc); no `go` executed (strace); a no-op rebuild runs no tool; the -n recipe runs
# (cgo too); the manifest; one clear message and exit 5 for each bad input, 4 without a C compiler.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/gobuild.bash"
gobuild_setup
for f in diamond asm embed vendored; do
  ref "$SRC/tests/fixtures/$f" "$TMP/$f.ref"
  mine "$f" "$SRC/tests/fixtures/$f" . "$TMP/$f.mine"
  same "$f" "$TMP/$f.ref" "$TMP/$f.mine"
  "$TMP/$f.mine" > "$TMP/$f.run" || die "$f: the built program failed"
done
grep -qx 'vendored: HELLO' "$TMP/vendored.run" || die "vendored printed '$(cat "$TMP/vendored.run")'"
grep -q '^diamond: left=true right=42 order=zbase.var,zbase.init.0,zbase.init.1,left.init.0,right.var,main.init.0$' \
  "$TMP/diamond.run" || die "diamond printed '$(cat "$TMP/diamond.run")'"
ref "$GOROOT_/src/cmd/gofmt" "$TMP/gofmt.ref"
mine gofmt "$TMP" cmd/gofmt "$TMP/gofmt.mine"
same gofmt "$TMP/gofmt.ref" "$TMP/gofmt.mine"
echo 'package main' | "$TMP/gofmt.mine" >/dev/null || die "the built gofmt does not run"
ref "$SRC/tests/fixtures/diamond" "$TMP/arm64.ref" GOARCH=arm64
mine arm64 "$SRC/tests/fixtures/diamond" . "$TMP/arm64.mine" GOARCH=arm64
same "diamond linux/arm64" "$TMP/arm64.ref" "$TMP/arm64.mine"
ref "$SRC/tests/fixtures/asm" "$TMP/v3.ref" GOAMD64=v3
mine v3 "$SRC/tests/fixtures/asm" . "$TMP/v3.mine" GOAMD64=v3
same "asm GOAMD64=v3" "$TMP/v3.ref" "$TMP/v3.mine"
ref "$SRC/tests/fixtures/diamond" "$TMP/arm.ref" GOARCH=arm GOARM=7
mine arm "$SRC/tests/fixtures/diamond" . "$TMP/arm.mine" GOARCH=arm GOARM=7
same "diamond linux/arm GOARM=7" "$TMP/arm.ref" "$TMP/arm.mine"
REF_ARGS=(-ldflags='-s -w')
ref "$SRC/tests/fixtures/diamond" "$TMP/stripped.ref"
unset REF_ARGS
# (the packages are cached by now: only the link runs, so no strace for compiles here)
(cd "$SRC/tests/fixtures/diamond" && env PATH=/nonexistent "$R" build -ldflags '-s -w' -o "$TMP/stripped.mine" .) \
  || die "rt0trace build -ldflags '-s -w' failed"
same "diamond -ldflags '-s -w'" "$TMP/stripped.ref" "$TMP/stripped.mine"

# --- cgo: CGO_ENABLED=1, C through gcc, external link ------------------------------------------------
# A PATH with the C tools and no go command (go lives in $GOROOT/bin).
CPATH_=/usr/bin:/bin
env PATH=$CPATH_ /bin/bash -c 'command -v go' && die "go is reachable with PATH=$CPATH_"
env PATH=$CPATH_ /bin/bash -c 'command -v gcc' >/dev/null || skip "no gcc on $CPATH_ for the cgo checks"
CG=$SRC/tests/fixtures/cgo
ref "$CG" "$TMP/cgo.ref" CGO_ENABLED=1
MINE_PATH=$CPATH_ mine cgo "$CG" . "$TMP/cgo.mine" CGO_ENABLED=1
grep -qE 'execve\("[^"]*/cgo"' "$TMP/cgo.execve" && grep -qE 'execve\("[^"]*/gcc"' "$TMP/cgo.execve" \
  || die "cgo: strace saw no cgo or gcc run"
same "cgo (CGO_ENABLED=1: import \"C\", os/user, runtime/cgo, gcc, external link)" "$TMP/cgo.ref" "$TMP/cgo.mine"
"$TMP/cgo.ref" > "$TMP/cgo.ref.run" || die "cgo: the reference program failed"
"$TMP/cgo.mine" > "$TMP/cgo.run" || die "cgo: the built program failed"
cmp -s "$TMP/cgo.ref.run" "$TMP/cgo.run" || die "cgo: printed '$(cat "$TMP/cgo.run")', go build's printed '$(cat "$TMP/cgo.ref.run")'"
grep -q '^cgo: ctor=1 sum=805 uid0=root order=zlog.init,main.init$' "$TMP/cgo.run" || die "cgo printed '$(cat "$TMP/cgo.run")'"
readelf -d "$TMP/cgo.mine" | grepq 'NEEDED.*libc\.so' || die "cgo: not dynamically linked against libc"
pass "cgo: runs, same output as go build's ($(cat "$TMP/cgo.run"))"
# no-op rebuild (the same build as mine's: -buildvcs=false): nothing run, not even the compiler to learn
# what it is
(cd "$CG" && env CGO_ENABLED=1 PATH=$CPATH_ ASAN_OPTIONS=detect_leaks=0 "$STRACE" -f -qq -e trace=execve -o "$TMP/cgonoop.execve" \
  "$R" build -buildvcs=false -o "$TMP/cgo.noop" .) >"$TMP/cgonoop.out" 2>&1 || die "cgo no-op rebuild failed: $(cat "$TMP/cgonoop.out")"
[ "$(grep -c execve "$TMP/cgonoop.execve")" -eq 1 ] || die "the cgo no-op rebuild executed: $(grep execve "$TMP/cgonoop.execve" | sed -n 2,4p)"
cmp -s "$TMP/cgo.noop" "$TMP/cgo.mine" || die "the cgo no-op rebuild's output differs"
pass "cgo no-op rebuild: nothing executed, same output"
# the C compiler is part of the cache key: another CC rebuilds the cgo packages, and only them
(cd "$CG" && env CGO_ENABLED=1 CC="gcc -O2" PATH=$CPATH_ "$R" build -x -o "$TMP/cgo.cc2" .) 2>"$TMP/cgocc.x" >/dev/null \
  || die "cgo build with CC='gcc -O2' failed: $(tail -5 "$TMP/cgocc.x")"
grep -q '^TERM=dumb gcc -O2 -I [^ ]*/runtime/cgo ' "$TMP/cgocc.x" || die "CC='gcc -O2': runtime/cgo was not recompiled with it"
grep -q '/compile .* -p fmt ' "$TMP/cgocc.x" && die "CC='gcc -O2': a package without cgo was recompiled"
grep -q -- "'-extld=gcc -O2' " "$TMP/cgocc.x" || die "CC='gcc -O2': the link did not get -extld='gcc -O2'"
pass "another CC recompiles the cgo packages (and links with it), nothing else"

if command -v musl-gcc >/dev/null; then
  REF_ARGS=(-ldflags='-linkmode external -extldflags -static')
  ref "$CG" "$TMP/musl.ref" CGO_ENABLED=1 CC=musl-gcc
  unset REF_ARGS
  MINE_ARGS=(-ldflags '-linkmode external -extldflags -static')
  MINE_PATH=$CPATH_ mine musl "$CG" . "$TMP/musl.mine" CGO_ENABLED=1 CC=musl-gcc
  unset MINE_ARGS
  same "cgo static with musl (CC=musl-gcc -ldflags='-linkmode external -extldflags -static')" "$TMP/musl.ref" "$TMP/musl.mine"
  file "$TMP/musl.mine" | grepq 'statically linked' || die "musl: not static: $(file "$TMP/musl.mine")"
  readelf -l "$TMP/musl.mine" | grepq INTERP && die "musl: the static program has a program interpreter"
  "$TMP/musl.mine" > "$TMP/musl.run" || die "musl: the built program failed"
  cmp -s "$TMP/musl.run" "$TMP/cgo.run" || die "musl: printed '$(cat "$TMP/musl.run")'"
  pass "cgo static with musl: statically linked, no interpreter, runs ($(cat "$TMP/musl.run"))"
else
  echo "ok   (skipped) cgo static with musl: musl-gcc is not installed (Debian package musl-tools)"
fi

# -n for cgo: the recipe alone, run by sh, builds the same program
(cd "$CG" && CGO_ENABLED=1 RT0TRACE_CACHE=$TMP/cgoncache "$R" build -buildvcs=false -n -o "$TMP/cgo.n" .) > "$TMP/cgorecipe.sh" || die "cgo build -n failed"
[ -z "$(ls -A "$TMP/cgoncache" 2>/dev/null)" ] || die "cgo -n wrote to the cache"
grep -q '/cgo -objdir ' "$TMP/cgorecipe.sh" && grep -q '/cgo -dynpackage ' "$TMP/cgorecipe.sh" \
  && grep -q '^TERM=dumb gcc .* -c _cgo_export.c$' "$TMP/cgorecipe.sh" || die "the cgo recipe lacks the cgo/gcc steps"
(cd "$TMP" && RT0TRACE=$R PATH=$CPATH_ sh "$TMP/cgorecipe.sh") > "$TMP/cgorecipe.out" 2>&1 || die "the cgo recipe failed: $(tail -5 "$TMP/cgorecipe.out")"
same "the cgo -n recipe run by sh" "$TMP/cgo.ref" "$TMP/cgo.n"

# the manifest records the cgo and C steps
(cd "$CG" && CGO_ENABLED=1 "$R" build -ldflags=-s -o "$TMP/cgo.s" --manifest "$TMP/cgomanifest.json" .) || die "cgo build --manifest failed"
# runtime/cgo: _cgo_export.c, cgo.cgo2.c, gcc_amd64.S, its .c files, _cgo_main.c, the _cgo_.o link
jq -e '(.packages[] | select(.path == "runtime/cgo") | (.cgo[0]|endswith("/cgo")) and (.cc|length) == (.cfiles|length) + 5
    and (.cfiles|index("gcc_libinit.c")) != null and (.dynimport|index("-dynlinker")) != null)
  and (.packages[-1] | .cgofiles == ["main.go"] and .files == [] and (.cc[0]|index("-c")) != null)
  and .link.ldflags == ["-s"] and (.link.argv|index("-s")) != null' "$TMP/cgomanifest.json" >/dev/null \
  || die "cgo manifest: $(jq -c '{link: .link.ldflags, main: (.packages[-1] | {cgofiles, files, ncc: (.cc|length)})}' "$TMP/cgomanifest.json")"
pass "manifest: cgofiles, cfiles and the cgo, C compiler and dynimport commands per package; link ldflags"

# --- a no-op rebuild runs no tool (the same build as mine's: -buildvcs=false) -----------------------
cd "$SRC/tests/fixtures/diamond"
ASAN_OPTIONS=detect_leaks=0 "$STRACE" -f -qq -e trace=execve -o "$TMP/noop.execve" "$R" build -buildvcs=false -x -o "$TMP/diamond.noop" . 2>"$TMP/noop.x" \
  || die "no-op rebuild failed: $(cat "$TMP/noop.x")"
if grep -E '/(compile|asm|link) ' "$TMP/noop.x" >&2; then die "the no-op rebuild's -x output has tool commands"; fi
[ "$(grep -c execve "$TMP/noop.execve")" -eq 1 ] || die "the no-op rebuild executed: $(grep execve "$TMP/noop.execve" | head -3)"
grep -q '^cp ' "$TMP/noop.x" || die "the no-op rebuild did not say where the output came from"
cmp -s "$TMP/diamond.noop" "$TMP/diamond.mine" || die "the no-op rebuild's output differs"
pass "no-op rebuild: no tool run (-x shows only the copy from the cache), same output"

# --- an edit is rebuilt: the cache key follows file contents ----------------------------------------
cp -r "$SRC/tests/fixtures/diamond" "$TMP/edit"
"$R" build -C "$TMP/edit" -o "$TMP/edit/out" . && [ "$("$TMP/edit/out" | cut -d' ' -f1)" = "diamond:" ] || die "edit: first build"
touch -d '-1 hour' "$TMP/edit/left/left.go"
"$R" build -C "$TMP/edit" -o "$TMP/edit/out" . || die "edit: rebuild"
sed -i 's/Ready = true/Ready = false/' "$TMP/edit/left/left.go"
touch -d '-1 hour' "$TMP/edit/left/left.go" # same mtime as the remembered hash would be a racy edit; size equal too
sed -i 's/diamond: left/edited: left/' "$TMP/edit/main.go"
"$R" build -x -C "$TMP/edit" -o "$TMP/edit/out" . 2>"$TMP/edit.x" || die "edit: build after the edit failed"
grep -q '/compile .* -p example.com/diamond/left ' "$TMP/edit.x" || die "edit: the edited package was not recompiled"
grep -q '/compile .* -p main ' "$TMP/edit.x" || die "edit: main was not recompiled"
grep -q '/compile .* -p runtime ' "$TMP/edit.x" && die "edit: an unchanged package was recompiled"
"$TMP/edit/out" | grepq '^edited: left=false ' || die "edit: the output does not show the edits: $("$TMP/edit/out")"
pass "edits are rebuilt (the edited package and its importers), nothing else"
# an output that is already this build's is left as it is and its mtime moved on (go build's touch); a
# changed one is written anew
o=$TMP/edit/out
ino=$(stat -c %i "$o")
touch -d '-1 hour' "$o"
m0=$(stat -c %Y "$o")
"$R" build -C "$TMP/edit" -o "$o" . 2>"$TMP/edit.err" || die "up-to-date rebuild failed: $(cat "$TMP/edit.err")"
[ "$(stat -c %i "$o")" = "$ino" ] && [ "$(stat -c %Y "$o")" -gt "$m0" ] || die "the up-to-date output was replaced or not touched"
cp "$o" "$TMP/out.good" && printf x >> "$o"
"$R" build -C "$TMP/edit" -o "$o" . 2>"$TMP/edit.err" || die "rebuild over a changed output failed: $(cat "$TMP/edit.err")"
cmp -s "$o" "$TMP/out.good" || die "a changed output was not written anew"
pass "an up-to-date output is touched, not rewritten (same inode); a changed one is written anew"

# --- -n: a complete, runnable recipe ---------------------------------------------------------------
RT0TRACE_CACHE=$TMP/ncache "$R" build -buildvcs=false -n -o "$TMP/diamond.n" . > "$TMP/recipe.sh" || die "build -n failed"
[ ! -e "$TMP/diamond.n" ] || die "-n wrote the output"
[ -z "$(ls -A "$TMP/ncache" 2>/dev/null)" ] || die "-n wrote to the cache"
[ "$(grep -c '/compile -o' "$TMP/recipe.sh")" -gt 40 ] || die "the recipe does not compile the standard library"
grep -q '/link -o' "$TMP/recipe.sh" || die "the recipe has no link"
RT0TRACE=$R PATH=/usr/bin:/bin sh "$TMP/recipe.sh" > "$TMP/recipe.out" 2>&1 || die "the recipe failed: $(tail -5 "$TMP/recipe.out")"
same "the -n recipe run by sh" "$TMP/diamond.ref" "$TMP/diamond.n"

# --- the manifest ----------------------------------------------------------------------------------
"$R" build -o "$TMP/diamond.m" --manifest "$TMP/manifest.json" . || die "build --manifest failed"
jq -e '.format == "rt0trace-manifest" and .version == 1 and .goarch == "amd64" and (.go_version|startswith("go1."))
  and .packages[-1].path == "example.com/diamond" and (.packages|map(.path)|index("runtime")) < (.packages|length - 1)
  and (.packages[-1].compile|index("-p")) != null and .packages[-1].compile[(.packages[-1].compile|index("-p")) + 1] == "main"
  and (.link.argv[0]|endswith("/link")) and .placed.entry.symbol == "_rt0_amd64_linux"
  and ([.placed.phases[].name] == ["_rt0_amd64_linux","runtime.rt0_go","runtime.schedinit","runtime.main","runtime.gcenable","main.main"])
  and ([.placed.phases[].symbol] | all(. != null))' "$TMP/manifest.json" >/dev/null \
  || die "manifest: $(jq -c '{format, n: (.packages|length), entry: .placed.entry, phases: .placed.phases}' "$TMP/manifest.json")"
# every package comes after its imports
jq -e '.packages as $p | [range(0; $p|length) as $i | $p[$i].imports[] as $imp
  | ($p|map(.path)|index($imp)) as $j | ($j == null or $j < $i)] | all' "$TMP/manifest.json" >/dev/null \
  || die "manifest packages are not in dependency order"
diff <(jq -r '.placed.init_order[].package' "$TMP/manifest.json") <("$R" inspect --json "$TMP/diamond.m" | jq -r '.go.init_order[].package') >&2 \
  || die "manifest init order differs from inspect"
diff <(jq -r '.placed.init_order[].package' "$TMP/manifest.json") <(inittrace_order "$TMP/diamond.m") >&2 \
  || die "manifest init order differs from the program's inittrace"
pass "manifest: packages in dependency order with their commands, placed entry, phases and init order (== inittrace)"

# --- never replace what -o or --manifest names when it is not a regular file ---------------------
"$R" build -o /dev/null --manifest /dev/null . || die "build -o /dev/null failed"
[ -c /dev/null ] || die "build -o /dev/null replaced /dev/null"
pass "-o /dev/null and --manifest /dev/null write into the device, never replace it"

# --- bad inputs --------------------------------------------------------------------------------------
B=$TMP/bad
mkdir -p "$B"/{nomod,lib,syntax,missing,cycle/a,cycle/b,ok,cgo}
printf 'package main\nfunc main() {}\n' > "$B/nomod/main.go"
for d in lib syntax missing cycle ok cgo; do printf 'module example.com/%s\n\ngo 1.22\n' $d > "$B/$d/go.mod"; done
printf 'package lib\n\nfunc F() {}\n' > "$B/lib/lib.go"
printf 'package main\n\nfunc main() {\n\tx := \n}\n' > "$B/syntax/main.go"
printf 'package main\n\nimport "example.com/missing/nope"\n\nfunc main() { nope.F() }\n' > "$B/missing/main.go"
printf 'package main\n\nimport _ "example.com/cycle/a"\n\nfunc main() {}\n' > "$B/cycle/main.go"
printf 'package a\n\nimport _ "example.com/cycle/b"\n' > "$B/cycle/a/a.go"
printf 'package b\n\nimport _ "example.com/cycle/a"\n' > "$B/cycle/b/b.go"
printf 'package main\n\nfunc main() {}\n' > "$B/ok/main.go"
printf 'package main\n\n// int twice(int x) { return 2 * x; }\nimport "C"\n\nfunc main() { println(C.twice(2)) }\n' > "$B/cgo/main.go"
printf 'package main\n\nfunc main() {}\n' > "$B/cgo/nocgo.go"

expect_error 5 "rt0trace: no go.mod in '$B/nomod' or any parent directory: rt0trace build builds module-mode packages (create one with 'go mod init')" \
  "no go.mod" -- "$R" build -C "$B/nomod" -o "$B/nomod/out" .
expect_error 5 "rt0trace: package example.com/lib is not a main package (package lib): nothing to link" \
  "not a main package" -- "$R" build -C "$B/lib" -o "$B/lib/out" .
expect_error 5 "rt0trace: $B/missing/main.go: no required module provides package example.com/missing/nope; to add it: go get example.com/missing/nope" \
  "missing import, with the importing file" -- "$R" build -C "$B/missing" -o "$B/missing/out" .
expect_error 5 "rt0trace: import cycle not allowed: example.com/cycle/a -> example.com/cycle/b -> example.com/cycle/a" \
  "import cycle" -- "$R" build -C "$B/cycle" -o "$B/cycle/out" .
expect_exit 5 "syntax error" -- "$R" build -C "$B/syntax" -o "$B/syntax/out" .
diff <(printf '# example.com/syntax\n%s\nrt0trace: build failed: compile of example.com/syntax exited with status 2\n' \
  "$B/syntax/main.go:5:1: syntax error: unexpected }, expected expression") "$TMP/err" >&2 \
  || die "syntax error: the compiler's message was not passed through with the file"
pass "syntax error: the compiler's message with its file, then one rt0trace line"
expect_exit 0 "with CGO_ENABLED=0 the import \"C\" file is left out, as go build does" -- \
  "$R" build -C "$B/cgo" -o "$B/cgo/out0" .
rm -f "$B/cgo/out0" "$B/cgo/nocgo.go"
printf '#include <stdio.h>\nint broken(void) { return nosuch; }\n' > "$B/cgo/bad.c"
expect_exit 5 "a C compile error" -- env CGO_ENABLED=1 PATH=$CPATH_ "$R" build -C "$B/cgo" -o "$B/cgo/out" .
grep -q "^bad.c:2:27: error: .*nosuch.* undeclared" "$TMP/err" && [ "$(tail -1 "$TMP/err")" = "rt0trace: build failed: gcc of example.com/cgo exited with status 1" ] \
  || die "C compile error: gcc's message and one rt0trace line expected: $(cat "$TMP/err")"
pass "C compile error: gcc's own message, then one rt0trace line"
rm -f "$B/cgo/bad.c"
expect_error 4 "rt0trace: cgo needs a C compiler: '/nonexistent' not found (set CC)" \
  "CC that does not exist" -- env CGO_ENABLED=1 CC=/nonexistent "$R" build -C "$B/cgo" -o "$B/cgo/out" .
expect_error 4 "rt0trace: cgo needs a C compiler: 'gcc' not found (set CC)" \
  "no gcc on PATH" -- env CGO_ENABLED=1 PATH=/nonexistent "$R" build -C "$B/cgo" -o "$B/cgo/out" .
expect_error 4 "rt0trace: cgo for linux/arm64 needs a C compiler for that target: set CC (the default 'gcc' builds for linux/amd64)" \
  "cgo cross-build without CC" -- env CGO_ENABLED=1 GOARCH=arm64 "$R" build -C "$B/cgo" -o "$B/cgo/out" .
expect_error 5 "rt0trace: -ldflags ask for -linkmode external, which needs cgo: set CGO_ENABLED=1" \
  "-linkmode external without cgo" -- env CGO_ENABLED=0 "$R" build -C "$B/ok" -ldflags='-linkmode external' -o "$B/ok/out" .
expect_error 2 "rt0trace: invalid value '=-s' for -ldflags: missing <pattern> in <pattern>=<value>" \
  "-ldflags with an empty package pattern" -- "$R" build -C "$B/ok" -ldflags '=-s' -o "$B/ok/out" .
expect_exit 0 "the cgo package builds once the C is fixed" -- env CGO_ENABLED=1 PATH=$CPATH_ "$R" build -C "$B/cgo" -o "$B/cgo/good" .
[ "$("$B/cgo/good" 2>&1)" = 4 ] || die "the fixed cgo program printed '$("$B/cgo/good" 2>&1)'"
for d in nomod lib missing cycle syntax cgo ok; do [ ! -e "$B/$d/out" ] || die "$d: something was written at -o"; done
pass "nothing written at -o for any failed build"
expect_error 5 "rt0trace: unsupported GOOS/GOARCH pair linux/sparc (not in '$GOROOT_/src/internal/platform/zosarch.go')" \
  "GOARCH the toolchain lacks" -- env GOARCH=sparc "$R" build -C "$B/ok" -o "$B/ok/out" .
expect_error 5 "rt0trace: cannot write '$B/nodir/out': directory '$B/nodir' does not exist" \
  "unwritable -o" -- "$R" build -C "$B/ok" -o "$B/nodir/out" .
expect_error 4 "rt0trace: '$TMP' is not a Go root (no VERSION file or src/runtime)" \
  "--goroot that is no Go root" -- "$R" build -C "$B/ok" --goroot "$TMP" .
expect_exit 2 "-j 0" -- "$R" build -j 0 .
expect_exit 2 "two packages" -- "$R" build a b
expect_exit 0 "build --help" -- "$R" build --help
grep -q 'usage: rt0trace build' "$TMP/out" || die "build --help has no usage line"
finish
