#!/usr/bin/env bash
# rt0trace build with go build's flags and defaults, byte-identical to `go build -buildvcs=false` with the
# same ones (build IDs blanked; tests/integration/build.sh has the fixtures, cross-builds, cgo, the cache,
# -n, the manifest and bad inputs): go build's default without -trimpath (paths, -ldflags and the cgo
# flags recorded), a GOROOT command carrying its build ID in cmd/internal/objabi, -tags, PGO
# (-pgo=auto from default.pgo, -pgo=FILE, -pgo=off), and CGO_ENABLED unset (go's default: on with gcc on
# PATH, off without), -gcflags/-asmflags/-ldflags with package patterns, -gcflags=-S, -buildmode=pie, -buildvcs, -a and -work.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/gobuild.bash"
gobuild_setup

# go build's default (no -trimpath): the directories, GOROOT and -ldflags are in the executable and its
# build info (the cgo build below adds CGO_CFLAGS & co.)
MINE_ARGS=(-ldflags=-X=main.unused=1)
REF_ARGS=(-ldflags=-X=main.unused=1)
GOFLAGS= TRIM= mine untrimmed "$SRC/tests/fixtures/embed" . "$TMP/untrimmed.mine"
TRIM= ref "$SRC/tests/fixtures/embed" "$TMP/untrimmed.ref"
unset MINE_ARGS REF_ARGS
TRIM= same "embed without -trimpath (-ldflags recorded)" "$TMP/untrimmed.ref" "$TMP/untrimmed.mine"
grep -qa -- "$SRC/tests/fixtures/embed" "$TMP/untrimmed.mine" || die "untrimmed: the source directory is not in the executable"
grep -qa $'build\t-ldflags=-X=main.unused=1' "$TMP/untrimmed.mine" || die "untrimmed: -ldflags not in the build info"

# a GOROOT command that imports cmd/internal/objabi carries its build ID there too (-X, as go build links it)
ref "$GOROOT_/src/cmd/asm" "$TMP/asm.ref"
mine asm-cmd "$TMP" cmd/asm "$TMP/asm.mine"
same "cmd/asm (-X=cmd/internal/objabi.buildID)" "$TMP/asm.ref" "$TMP/asm.mine"
[ "$(grep -aoF -- "$("$R" tool buildid "$TMP/asm.mine")" "$TMP/asm.mine" | wc -l)" -ge 2 ] || die "cmd/asm: its build ID is not in objabi.buildID"
# -tags: files chosen by the tags, recorded in the build info (GOFLAGS=-tags=... too)
TG=$TMP/tags
mkdir -p "$TG"
printf 'module example.com/tags\n\ngo 1.22\n' > "$TG/go.mod"
printf '//go:build !fancy\n\npackage main\n\nconst mode = "plain"\n' > "$TG/plain.go"
printf '//go:build fancy && !extra\n\npackage main\n\nconst mode = "fancy"\n' > "$TG/fancy.go"
printf '//go:build fancy && extra\n\npackage main\n\nconst mode = "fancy+extra"\n' > "$TG/extra.go"
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(mode) }\n' > "$TG/main.go"
REF_ARGS=(-tags=fancy,extra) MINE_ARGS=(-tags=fancy,extra)
ref "$TG" "$TMP/tags.ref"
mine tags "$TG" . "$TMP/tags.mine"
unset REF_ARGS MINE_ARGS
same "-tags=fancy,extra" "$TMP/tags.ref" "$TMP/tags.mine"
[ "$("$TMP/tags.mine")" = "fancy+extra" ] || die "-tags: the program printed '$("$TMP/tags.mine")'"
GOFLAGS="-trimpath -tags=fancy" "$R" build -C "$TG" -o "$TMP/tags.goflags" . && [ "$("$TMP/tags.goflags")" = "fancy" ] \
  || die "GOFLAGS=-tags=fancy: '$("$TMP/tags.goflags")'"
pass "-tags picks the files by their //go:build lines; GOFLAGS=-tags=fancy too"
# PGO: -pgo=auto (the default) takes the main package's default.pgo, -pgo=FILE a profile, -pgo=off none
PG=$TMP/pgo
cp -r "$SRC/tests/fixtures/pgo" "$PG"
(cd "$PG" && env CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local "$GO" build -o "$TMP/pgo-prof" .) || die "go build of the profiler"
"$TMP/pgo-prof" "$PG/default.pgo" >/dev/null && [ -s "$PG/default.pgo" ] || die "the profiling run wrote no profile"
ref "$PG" "$TMP/pgo.ref"
mine pgo "$PG" . "$TMP/pgo.mine"
same "PGO from default.pgo (-pgo=auto)" "$TMP/pgo.ref" "$TMP/pgo.mine"
grep -q 'preprofile"' "$TMP/pgo.execve" || die "PGO: strace saw no preprofile run"
# the preprocessed profile is cached: a rebuild runs no tool at all
MINE_CACHED=1 mine pgo-again "$PG" . "$TMP/pgo.again"
grepq 'preprofile"\|/compile"\|/link"' "$TMP/pgo-again.execve" && die "PGO: an unchanged rebuild ran a tool: $(grep -o 'execve("[^"]*' "$TMP/pgo-again.execve" | sort -u)"
cmp -s "$TMP/pgo.again" "$TMP/pgo.mine" || die "PGO: the cached rebuild differs"
pass "PGO: an unchanged rebuild takes the preprocessed profile and everything else from the cache (no tool runs)"
"$GO" version -m "$TMP/pgo.mine" | grepq $'\tbuild\t-pgo=default.pgo$' || die "PGO: build info: $("$GO" version -m "$TMP/pgo.mine")"
TRIM= ref "$PG" "$TMP/pgo-untrimmed.ref"
GOFLAGS= TRIM= mine pgo-untrimmed "$PG" . "$TMP/pgo-untrimmed.mine"
TRIM= same "PGO without -trimpath (the profile's path recorded, settings sorted)" "$TMP/pgo-untrimmed.ref" "$TMP/pgo-untrimmed.mine"
REF_ARGS=(-pgo=off) MINE_ARGS=(-pgo=off)
ref "$PG" "$TMP/pgo-off.ref"
mine pgo-off "$PG" . "$TMP/pgo-off.mine"
unset REF_ARGS MINE_ARGS
same "-pgo=off with a default.pgo present" "$TMP/pgo-off.ref" "$TMP/pgo-off.mine"
cmp -s "$TMP/pgo-off.mine" "$TMP/pgo.mine" && die "-pgo=off built the same program as PGO"
mv "$PG/default.pgo" "$TMP/profile.pgo"
REF_ARGS=(-pgo="$TMP/profile.pgo") MINE_ARGS=(-pgo="$TMP/profile.pgo")
ref "$PG" "$TMP/pgo-file.ref"
RT0TRACE_CACHE=$TMP/pgocache mine pgo-file "$PG" . "$TMP/pgo-file.mine" # (a cache of its own: it compiles)
unset REF_ARGS MINE_ARGS
same "-pgo=FILE" "$TMP/pgo-file.ref" "$TMP/pgo-file.mine"
expect_exit 5 "-pgo with a missing profile" -- "$R" build -C "$PG" -pgo="$TMP/none.pgo" -o "$TMP/pgo-none" .
[ ! -e "$TMP/pgo-none" ] || die "-pgo with a missing profile wrote an output"

# --- cgo without -trimpath, and go's CGO_ENABLED default ----------------------------------------------
CPATH_=/usr/bin:/bin
env PATH=$CPATH_ /bin/bash -c 'command -v go' && die "go is reachable with PATH=$CPATH_"
env PATH=$CPATH_ /bin/bash -c 'command -v gcc' >/dev/null || skip "no gcc on $CPATH_ for the cgo checks"
CG=$SRC/tests/fixtures/cgo
# without -trimpath: the C sources keep their paths, the build info records CGO_CFLAGS & co.
TRIM= ref "$CG" "$TMP/cgo-untrimmed.ref" CGO_ENABLED=1 CGO_CFLAGS="-O2 -g -DRT0_UNTRIMMED=1"
GOFLAGS= TRIM= MINE_PATH=$CPATH_ mine cgo-untrimmed "$CG" . "$TMP/cgo-untrimmed.mine" CGO_ENABLED=1 CGO_CFLAGS="-O2 -g -DRT0_UNTRIMMED=1"
TRIM= same "cgo without -trimpath (CGO_CFLAGS recorded)" "$TMP/cgo-untrimmed.ref" "$TMP/cgo-untrimmed.mine"
grep -qa $'build\tCGO_CFLAGS="-O2 -g -DRT0_UNTRIMMED=1"' "$TMP/cgo-untrimmed.mine" || die "untrimmed cgo: CGO_CFLAGS not in the build info"
# CGO_ENABLED unset: go's default, on with gcc on PATH (same program as go build's), off without it
(cd "$CG" && env -u CGO_ENABLED PATH=$CPATH_ GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off "$GO" build -trimpath \
   -o "$TMP/cgodef.ref" .) || die "reference go build of the cgo fixture with CGO_ENABLED unset failed"
(cd "$CG" && env -u CGO_ENABLED PATH=$CPATH_ "$R" build -buildvcs=false -o "$TMP/cgodef.mine" .) >"$TMP/cgodef.out" 2>&1 \
  || die "rt0trace build with CGO_ENABLED unset failed: $(tail -3 "$TMP/cgodef.out")"
same "cgo fixture with CGO_ENABLED unset and gcc on PATH (cgo on, as go decides)" "$TMP/cgodef.ref" "$TMP/cgodef.mine"
(cd "$SRC/tests/fixtures/diamond" && env -u CGO_ENABLED PATH=/nonexistent "$R" build -o "$TMP/nocc" .) >/dev/null 2>&1 \
  && "$GO" version -m "$TMP/nocc" | grepq $'\tbuild\tCGO_ENABLED=0$' || die "without a C compiler cgo should default to off"
pass "CGO_ENABLED unset without gcc on PATH: cgo off (build info CGO_ENABLED=0), as go decides"
# -gcflags, -asmflags, -ldflags with package patterns (all=, an import path, GOFLAGS's too): the same
# bytes as go build with the same ones, the build info recording them as go does
D=$SRC/tests/fixtures/diamond
MINE_ARGS=("-gcflags=all=-N -l" -asmflags=all=-D=RT0X "-ldflags=all=-s -w")
REF_ARGS=("${MINE_ARGS[@]}")
ref "$D" "$TMP/ppf.ref"
mine ppf "$D" . "$TMP/ppf.mine"
unset MINE_ARGS REF_ARGS
same "-gcflags='all=-N -l' -asmflags=all=-D=RT0X -ldflags='all=-s -w'" "$TMP/ppf.ref" "$TMP/ppf.mine"
"$GO" version -m "$TMP/ppf.mine" | grepq $'\tbuild\t-gcflags="all=-N -l"$' || die "-gcflags not in the build info: $("$GO" version -m "$TMP/ppf.mine")"
ref "$D" "$TMP/ppg.ref" GOFLAGS="-buildvcs=false -gcflags=example.com/diamond/left=-N"
mine ppg "$D" . "$TMP/ppg.mine" GOFLAGS="-trimpath -gcflags=example.com/diamond/left=-N"
same "GOFLAGS=-gcflags=example.com/diamond/left=-N (one package by its import path)" "$TMP/ppg.ref" "$TMP/ppg.mine"
# -gcflags=-S: the listing on stderr as go build prints it, and again from the cache as go replays it
(cd "$D" && GOFLAGS=-buildvcs=false GOTOOLCHAIN=local "$GO" build -trimpath -gcflags=-S -o "$TMP/lst.ref" . 2>"$TMP/lst.ref.err") \
  || die "reference go build -gcflags=-S failed"
for round in built cached; do
  (cd "$D" && env PATH=/nonexistent "$R" build -gcflags=-S -o "$TMP/lst.mine" . 2>"$TMP/lst.$round.err") || die "-gcflags=-S ($round) failed"
  cmp -s "$TMP/lst.ref.err" "$TMP/lst.$round.err" || die "-gcflags=-S ($round): stderr differs from go build's: $(diff "$TMP/lst.ref.err" "$TMP/lst.$round.err" | head -n 5)"
done
grepq 'TEXT.*main\.main' "$TMP/lst.cached.err" || die "-gcflags=-S: no listing of main.main"
pass "-gcflags=-S: the listing on stderr as go build prints it ($(wc -l < "$TMP/lst.ref.err") lines), and again from the cache"
expect_error 2 "rt0trace: invalid value 'all' for -gcflags: missing =<value> in <pattern>=<value>" "-gcflags=all (no flags)" -- \
  "$R" build -gcflags=all -o "$TMP/none" "$D"
[ ! -e "$TMP/none" ] || die "-gcflags=all: an output was written"

# -buildmode=pie: every package compiled and assembled -shared, linked -buildmode=pie (also with cgo)
MINE_ARGS=(-buildmode=pie)
REF_ARGS=(-buildmode=pie)
ref "$SRC/tests/fixtures/cgo" "$TMP/pie.ref" CGO_ENABLED=1
MINE_PATH=$CPATH_ mine pie "$SRC/tests/fixtures/cgo" . "$TMP/pie.mine" CGO_ENABLED=1
unset MINE_ARGS REF_ARGS
same "-buildmode=pie (the cgo fixture)" "$TMP/pie.ref" "$TMP/pie.mine"
readelf -h "$TMP/pie.mine" | grepq 'Type: *DYN' && "$GO" version -m "$TMP/pie.mine" | grepq $'\tbuild\t-buildmode=pie$' \
  || die "-buildmode=pie: not a DYN executable, or the build info does not say pie"
expect_exit 2 "-buildvcs=maybe" -- "$R" build -buildvcs=maybe -o "$TMP/none" "$D"
[ "$(head -n 1 "$TMP/err")" = "rt0trace build: invalid -buildvcs=maybe: want auto, true or false" ] || die "-buildvcs=maybe: $(cat "$TMP/err")"
expect_exit 2 "-buildmode=c-shared" -- "$R" build -buildmode=c-shared -o "$TMP/none" "$D"
[ "$(head -n 1 "$TMP/err")" = "rt0trace build: -buildmode=c-shared: rt0trace builds exe and pie (default: exe, as go on linux)" ] \
  || die "-buildmode=c-shared: $(cat "$TMP/err")"

# -buildvcs (auto, go's default): a git checkout's revision, time and state, and the main module's
# version from its tags (a pseudo-version after a tag, +dirty, a module in a subdirectory with its own
# tag prefix), as go build stamps them; two kinds of VCS are an error
command -v git >/dev/null || skip "git is not installed (scripts/setup installs it)"
{
  V=$TMP/vcs
  mkdir -p "$V/sub"
  printf 'module example.com/vcs\n\ngo 1.22\n' > "$V/go.mod"
  printf 'module example.com/vcs/sub\n\ngo 1.22\n' > "$V/sub/go.mod"
  printf 'package main\n\nfunc main() { println("vcs") }\n' | tee "$V/main.go" > "$V/sub/main.go"
  vgit() { (cd "$V" && GIT_COMMITTER_DATE=$1 GIT_AUTHOR_DATE=$1 git -c user.name=rt0 -c user.email=rt0@example.com "${@:2}") >/dev/null || die "git ${*:2} failed"; }
  vgit 2026-01-02T03:04:05Z init -q
  vgit 2026-01-02T03:04:05Z add -A
  vgit 2026-01-02T03:04:05Z commit -qm one
  vgit 2026-01-02T03:04:05Z tag v1.2.3
  vgit 2026-01-02T03:04:05Z tag sub/v0.4.0
  echo two > "$V/README"
  vgit 2026-01-03T03:04:05Z add README
  vgit 2026-01-03T03:04:05Z commit -qm two
  vstamp() { # NAME DIR WANT: go build and rt0trace build in DIR, the same bytes, the version WANT
    ref "$2" "$TMP/$1.ref" GOFLAGS=-buildvcs=auto PATH="$CPATH_"
    MINE_VCS= MINE_CACHED=1 MINE_PATH=$CPATH_ mine "$1" "$2" . "$TMP/$1.mine" GOFLAGS="-trimpath -buildvcs=auto"
    same "-buildvcs: $1" "$TMP/$1.ref" "$TMP/$1.mine"
    [ "$("$GO" version -m "$TMP/$1.mine" | awk '$1 == "mod" {print $3}')" = "$3" ] \
      && "$GO" version -m "$TMP/$1.mine" | grepq $'\tbuild\tvcs.time=2026-01-03T03:04:05Z$' \
      || die "-buildvcs: $1: $("$GO" version -m "$TMP/$1.mine" | grep -E 'mod|vcs')"
  }
  vstamp vcs-pseudo "$V" "v1.2.4-0.20260103030405-$(cd "$V" && git rev-parse --short=12 HEAD)"
  vstamp vcs-sub "$V/sub" "v0.4.1-0.20260103030405-$(cd "$V" && git rev-parse --short=12 HEAD)"
  echo dirty >> "$V/README"
  vstamp vcs-dirty "$V" "v1.2.4-0.20260103030405-$(cd "$V" && git rev-parse --short=12 HEAD)+dirty"
  (cd "$V" && git checkout -q README)
  vgit 2026-01-03T03:04:05Z tag v1.3.0
  vstamp vcs-tagged "$V" v1.3.0
  mkdir "$V/sub/.hg"
  expect_exit 5 "-buildvcs with git and hg on one path" -- env GOFLAGS=-buildvcs=auto PATH="$CPATH_" "$R" build -C "$V/sub" -o "$TMP/none" .
  grepq 'error obtaining VCS status: multiple VCS detected: hg in ".*/sub", and git in ".*/vcs"' "$TMP/err" \
    || die "-buildvcs, two kinds of VCS: $(cat "$TMP/err")"
  [ ! -e "$TMP/none" ] || die "-buildvcs, two kinds of VCS: an output was written"
}

# -a: every package compiled again though all are cached (-x shows runtime's compile), the same bytes;
# -work: WORK=<dir> first on stderr, the directory kept
(cd "$SRC/tests/fixtures/diamond" && "$R" build -o "$TMP/all1" . && "$R" build -a -x -work -o "$TMP/all2" .) \
  >/dev/null 2>"$TMP/all.err" || die "-a -work: $(tail -n 3 "$TMP/all.err")"
grepq -- '/compile .* -p runtime ' "$TMP/all.err" || die "-a: runtime was not compiled again"
cmp -s "$TMP/all1" "$TMP/all2" || die "-a: another executable than the cached build's"
W=$(sed -n '1s/^WORK=//p' "$TMP/all.err")
[ -n "$W" ] && [ -d "$W/b001" ] || die "-work: no WORK= line first, or its directory is gone: $(head -n 1 "$TMP/all.err")"
rm -rf "$W"
pass "-a: every package compiled again, the same executable; -work: WORK= printed and kept"
finish
