# Shared by the tests that compare `rt0trace build` with the reference `go build` (tests only: the
# product never runs go). Needs common.bash. Both builds are -trimpath unless TRIM is set to "" (then
# neither is: go build's default).

# R, SRC, GOROOT_, GO and STRACE, or skipped saying what is missing.
gobuild_vars() {
  : "${RT0_BLANKID:?}"
  R=$RT0TRACE
  SRC=${RT0_SRC:?}
  GOROOT_=${GOROOT:-/usr/local/go}
  GO=$GOROOT_/bin/go
  [ -x "$GO" ] || skip "no reference go command at '$GO'"
  STRACE=$(command -v strace) || skip "strace is not installed (scripts/setup installs it)"
}

# gobuild_vars, a cache of the test's own, and every rt0trace build -trimpath and without cgo unless it
# says otherwise (rt0trace reads go's GOFLAGS; its CGO_ENABLED default is go's: on with gcc on PATH);
# no go command reachable with PATH=/nonexistent (what mine runs rt0trace with).
gobuild_setup() {
  gobuild_vars
  export RT0TRACE_CACHE=$TMP/cache GOFLAGS=-trimpath CGO_ENABLED=0
  env PATH=/nonexistent /bin/bash -c 'command -v go' && die "go is still reachable with PATH=/nonexistent"
  return 0
}

ref() { # DIR OUT [env...]: the reference build (REF_ARGS: more go build arguments; REF_PKG: the
  # package, '.' unless set; REF_CGO=default: CGO_ENABLED left unset, go's default, instead of 0)
  local dir=$1 out=$2
  shift 2
  local cgo=(CGO_ENABLED=0)
  [ "${REF_CGO-}" != default ] || cgo=(-u CGO_ENABLED)
  (cd "$dir" && env "${cgo[@]}" GOFLAGS=-buildvcs=false GOTOOLCHAIN=local GOWORK=off "$@" \
     "$GO" build ${TRIM--trimpath} ${REF_ARGS[@]+"${REF_ARGS[@]}"} -o "$out" "${REF_PKG:-.}") >"$TMP/ref.log" 2>&1 \
    || die "reference go build of ${REF_PKG:-.} in $dir failed: $(tail -5 "$TMP/ref.log")"
}

mine() { # NAME DIR PACKAGE OUT [env...]: rt0trace build with no go on PATH, execs recorded
  # (MINE_PATH: the PATH it gets, /nonexistent unless a C compiler must be found; MINE_ARGS: more
  # rt0trace build arguments; -buildvcs=false as ref's unless MINE_VCS says otherwise; MINE_CACHED=1:
  # every package may come from the cache, so no compile need be seen)
  local name=$1 dir=$2 pkg=$3 out=$4
  shift 4
  # LeakSanitizer cannot run under ptrace: leaks are checked by the runs below that are not straced.
  (cd "$dir" && env "$@" PATH="${MINE_PATH:-/nonexistent}" ASAN_OPTIONS=detect_leaks=0 "$STRACE" -f -qq -e trace=execve -o "$TMP/$name.execve" \
     "$R" build ${TRIM--trimpath} ${MINE_VCS--buildvcs=false} ${MINE_ARGS[@]+"${MINE_ARGS[@]}"} -o "$out" "$pkg") >"$TMP/$name.out" 2>&1 || die "rt0trace build $name failed: $(tail -5 "$TMP/$name.out")"
  if grep -E 'execve\("[^"]*/go"' "$TMP/$name.execve" >&2; then die "$name: a go binary was executed"; fi
  [ -n "${MINE_CACHED:-}" ] || grep -q '/compile"' "$TMP/$name.execve" || die "$name: strace saw no compile: the execve check proves nothing"
}

same() { # NAME REF MINE
  local f=$TMP/$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)
  "$RT0_BLANKID" "$2" "$f.ref.blank" && "$RT0_BLANKID" "$3" "$f.mine.blank" || die "$1: blankid failed"
  cmp "$f.ref.blank" "$f.mine.blank" >&2 || die "$1: not byte-identical to go build once the build IDs are blanked"
  [ "$("$R" tool buildid "$3" | wc -c)" -eq "$("$R" tool buildid "$2" | wc -c)" ] || die "$1: build ID lengths differ"
  pass "$1: byte-identical to go build ${TRIM--trimpath} ($(stat -c %s "$3") bytes, build IDs blanked); no go executed"
}
