#!/usr/bin/env bash
# rt0trace build on a corpus of real open-source Go main packages, against the reference `go build`
# with the same flags and environment (CGO_ENABLED unset and gcc on PATH for both: go's defaults, so
# net and os/user are built with cgo), build IDs blanked:
#   - each entry byte-identical with go build's default flags (untrimmed) AND with -trimpath;
#   - the rt0trace-built program traced by the ptrace engine (tests/integration/lib/engine_checks.bash):
#     output and status as untraced, the report's checks pass, observed init order == placed (the
#     binary, and rt0trace build --manifest) == its own GODEBUG=inittrace=1.
# Programs that need arguments run with one that exits quickly (--version, -h): they all reach main.main.
#
# The corpus (pinned versions; criteria in brackets):
#   shfmt       mvdan.cc/sh/v3/cmd/shfmt@v3.14.1                    [small; also fetched once from an
#                                                                    empty GOMODCACHE via file:// proxy]
#   tomll       github.com/pelletier/go-toml/v2/cmd/tomll@v2.4.3    [small, no dependency]
#   tomlv       github.com/BurntSushi/toml/cmd/tomlv@v1.6.0         [small; validates a TOML file (its
#                                                                    -h exits in init, before main)]
#   gxz         github.com/ulikunitz/xz/cmd/gxz@v0.5.17             [small]
#   age         filippo.io/age/cmd/age@v1.3.2                       [crypto assembly, x/crypto]
#   bbolt       go.etcd.io/bbolt/cmd/bbolt@v1.5.0
#   actionlint  github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
#   sqlite      github.com/mattn/go-sqlite3/_example/simple@v1.14.53 [cgo dependency: the SQLite
#               amalgamation through gcc, external link; build tags: -tags sqlite_math_functions,
#               sqlite_column_metadata (go-sqlite3's files for them add #cgo CFLAGS)]
#   yq          github.com/mikefarah/yq/v4@v4.54.3                  [large: ~300 packages, 27 modules, 21 MB]
#   umoci       github.com/opencontainers/umoci@v0.6.0 ./cmd/umoci  [the module's own directory as the
#               main module: its go.mod's replace directive (vbatts/go-mtree => cyphar/go-mtree); //go:embed]
#   workspace   mvdan.cc/sh/v3 ./cmd/shfmt in a go.work with mvdan.cc/editorconfig@v0.3.0 [go.work]
#   compile     $GOROOT/src/cmd/compile                             [PGO: its default.pgo, -pgo=auto; 33 MB]
# With RT0_CORPUS_ALL=1, also (left out by default for the time a cold build of them takes on a busy
# 2-core machine: with an empty rt0trace cache ~10 and ~3 minutes):
#   task        github.com/go-task/task/v3/cmd/task@v3.54.0         [largest: ~900 packages, 124
#                                                                    modules, 75 MB; //go:embed x6]
#   wazero      github.com/tetratelabs/wazero/cmd/wazero@v1.12.0
# Each third-party main is built by import path from a small wrapper module the test writes (go.mod
# requiring the module at its version, a tools.go blank import, go.sum from `go mod tidy`), or from
# the module's directory copied out of the module cache (a main package from a required module: what
# a `tool` directive builds). PKG@VERSION (go install's form, no go.sum, the checksum database) is
# tested on its own in pkgversion.sh; -buildvcs, -gcflags/-asmflags and -buildmode=pie in
# build_flags.sh (go gets GOFLAGS=-buildvcs=false here).
#
# The modules are fetched once through the Go module proxy by the oracle's setup (go mod tidy / go mod
# download) into the test cache's gomodcache/ (common.bash: kept across runs and clones; shared with
# modules.sh), the wrapper modules and copies live in corpus/ and rt0trace's build cache in corpus-cache/
# there (go's is its own, ~/.cache/go-build); every comparison runs with GOPROXY=off. Without the proxy (and nothing fetched yet) the test is skipped.
# An entry that fails does not stop the others: each runs on its own, and the test fails at the end
# naming every entry that failed.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/gobuild.bash"
gobuild_vars # R, SRC, GOROOT_, GO, STRACE (its own environment below: not gobuild_setup's)
. "$(dirname "$0")/lib/engine_checks.bash" # FX; go_program_checks
need_ptrace
ENGINE=(--engine ptrace)

MODCACHE=$TEST_CACHE/gomodcache
CORPUS=$TEST_CACHE/corpus
mkdir -p "$CORPUS"
export RT0TRACE_CACHE=$TEST_CACHE/corpus-cache GOMODCACHE=$MODCACHE GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
unset GOWORK GOPROXY GOPATH GONOPROXY GOPRIVATE GONOSUMDB CGO_ENABLED GOOS GOARCH GOAMD64 GOEXPERIMENT \
  CC CGO_CFLAGS CGO_CPPFLAGS CGO_LDFLAGS CGO_CXXFLAGS
# rt0trace's PATH: the C tools (go's default CGO_ENABLED is on with gcc on PATH), no go command
CPATH_=/usr/bin:/bin
env PATH=$CPATH_ /bin/bash -c 'command -v go' && die "go is reachable with PATH=$CPATH_"
env PATH=$CPATH_ /bin/bash -c 'command -v gcc' >/dev/null || skip "no gcc on $CPATH_: the corpus is built with go's default CGO_ENABLED (on with gcc)"

# --- setup (once per entry and version): the oracle fetches through the proxy --------------------------
fetch_failed() { # WHAT LOG: skip when the proxy cannot be reached, else fail
  if grep -qE 'dial tcp|no such host|connection refused|i/o timeout|TLS handshake|network is unreachable|Client.Timeout' "$2"; then
    skip "the Go module proxy cannot be reached to fetch $1: $(grep -m1 -E 'dial tcp|no such host|connection refused|timeout|TLS|unreachable' "$2")"
  fi
  die "setup of $1 failed: $(tail -n 5 "$2")"
}
ready() { [ "$(cat "$CORPUS/$1/.ready" 2>/dev/null)" = "$2" ]; } # NAME SPEC: set up already
setup_wrapper() { # NAME MODULE VERSION PACKAGE: $CORPUS/NAME, a module requiring MODULE@VERSION and importing PACKAGE
  local name=$1 mod=$2 ver=$3 pkg=$4 d=$CORPUS/$1
  ready "$name" "wrapper $mod@$ver $pkg" && return 0
  rm -rf "$d" && mkdir -p "$d"
  printf 'module rt0trace.test/corpus/%s\n\ngo 1.26\n\nrequire %s %s\n' "$name" "$mod" "$ver" > "$d/go.mod"
  printf '//go:build tools\n\n// The main package this module is made to build.\npackage tools\n\nimport _ "%s"\n' "$pkg" > "$d/tools.go"
  (cd "$d" && GOWORK=off timeout 600 "$GO" mod tidy) >"$TMP/setup-$name.log" 2>&1 || fetch_failed "$mod@$ver" "$TMP/setup-$name.log"
  echo "wrapper $mod@$ver $pkg" > "$d/.ready"
}
copy_module() { # MODULE VERSION DEST: the module's extracted directory, writable, with its dependencies fetched
  local dir
  dir=$(GOWORK=off timeout 600 "$GO" mod download -json "$1@$2" 2>"$TMP/dl.log" | jq -r .Dir) && [ -d "$dir" ] \
    || fetch_failed "$1@$2" "$TMP/dl.log"
  rm -rf "$3" && cp -r "$dir" "$3" && chmod -R u+w "$3"
  (cd "$3" && GOWORK=off timeout 600 "$GO" mod download) >"$TMP/dl.log" 2>&1 || fetch_failed "the dependencies of $1@$2" "$TMP/dl.log"
}
setup_main() { # NAME MODULE VERSION: $CORPUS/NAME/src, the module's own directory as the main module
  ready "$1" "main $2@$3" && return 0
  rm -rf "$CORPUS/$1" && mkdir -p "$CORPUS/$1"
  copy_module "$2" "$3" "$CORPUS/$1/src"
  echo "main $2@$3" > "$CORPUS/$1/.ready"
}
setup_workspace() { # NAME MODULE VERSION MODULE2 VERSION2: $CORPUS/NAME/go.work using copies of both
  local d=$CORPUS/$1
  ready "$1" "work $2@$3 $4@$5" && return 0
  rm -rf "$d" && mkdir -p "$d"
  copy_module "$2" "$3" "$d/main"
  copy_module "$4" "$5" "$d/dep"
  printf 'go %s\n\nuse (\n\t./main\n\t./dep\n)\n' "$(sed -n 's/^go //p' "$d/main/go.mod")" > "$d/go.work"
  echo "work $2@$3 $4@$5" > "$d/.ready"
}

setup_wrapper shfmt mvdan.cc/sh/v3 v3.14.1 mvdan.cc/sh/v3/cmd/shfmt
setup_wrapper tomll github.com/pelletier/go-toml/v2 v2.4.3 github.com/pelletier/go-toml/v2/cmd/tomll
setup_wrapper tomlv github.com/BurntSushi/toml v1.6.0 github.com/BurntSushi/toml/cmd/tomlv
setup_wrapper gxz github.com/ulikunitz/xz v0.5.17 github.com/ulikunitz/xz/cmd/gxz
setup_wrapper age filippo.io/age v1.3.2 filippo.io/age/cmd/age
setup_wrapper bbolt go.etcd.io/bbolt v1.5.0 go.etcd.io/bbolt/cmd/bbolt
setup_wrapper actionlint github.com/rhysd/actionlint v1.7.12 github.com/rhysd/actionlint/cmd/actionlint
setup_wrapper sqlite github.com/mattn/go-sqlite3 v1.14.53 github.com/mattn/go-sqlite3/_example/simple
setup_wrapper yq github.com/mikefarah/yq/v4 v4.54.3 github.com/mikefarah/yq/v4
setup_main umoci github.com/opencontainers/umoci v0.6.0
setup_workspace workspace mvdan.cc/sh/v3 v3.14.1 mvdan.cc/editorconfig v0.3.0
if [ -n "${RT0_CORPUS_ALL-}" ]; then
  setup_wrapper wazero github.com/tetratelabs/wazero v1.12.0 github.com/tetratelabs/wazero/cmd/wazero
  setup_wrapper task github.com/go-task/task/v3 v3.54.0 github.com/go-task/task/v3/cmd/task
fi
export GOPROXY=off # from here on, no network: everything comes from the module cache

# --- one entry ----------------------------------------------------------------------------------------
# entry NAME DIR PACKAGE ARGS...: go build and rt0trace build of PACKAGE in DIR, untrimmed and
# -trimpath, compared; the rt0trace-built program (untrimmed) traced with ARGS. ENTRY_ENV: more
# environment for both builds, ENTRY_FLAGS: more flags for both (arrays). Leaves
# $TMP/NAME/{ref,mine,ref-trim,mine-trim,manifest.json}.
entry() {
  local name=$1 dir=$2 pkg=$3 o=$TMP/$1
  shift 3
  mkdir -p "$o/run" "$o/home"
  REF_ARGS=(${ENTRY_FLAGS[@]+"${ENTRY_FLAGS[@]}"})
  MINE_ARGS=(--manifest "$o/manifest.json" ${ENTRY_FLAGS[@]+"${ENTRY_FLAGS[@]}"})
  REF_PKG=$pkg REF_CGO=default TRIM= ref "$dir" "$o/ref" ${ENTRY_ENV[@]+"${ENTRY_ENV[@]}"}
  MINE_CACHED=1 MINE_PATH=$CPATH_ TRIM= mine "$name" "$dir" "$pkg" "$o/mine" ${ENTRY_ENV[@]+"${ENTRY_ENV[@]}"}
  TRIM= same "$name: go build (default flags)" "$o/ref" "$o/mine"
  MINE_ARGS=(${ENTRY_FLAGS[@]+"${ENTRY_FLAGS[@]}"})
  REF_PKG=$pkg REF_CGO=default ref "$dir" "$o/ref-trim" ${ENTRY_ENV[@]+"${ENTRY_ENV[@]}"}
  MINE_CACHED=1 MINE_PATH=$CPATH_ mine "$name-trim" "$dir" "$pkg" "$o/mine-trim" ${ENTRY_ENV[@]+"${ENTRY_ENV[@]}"}
  same "$name: go build -trimpath" "$o/ref-trim" "$o/mine-trim"
  unset MINE_ARGS REF_ARGS
  # traced: runs as untraced, the report's checks pass, observed == placed == inittrace; == the manifest's
  (cd "$o/run" && HOME=$o/home XDG_CONFIG_HOME=$o/home go_program_checks "$name" "$o/mine" "$@")
  [ $? -eq 0 ] || exit 1
  jq -r '.placed.init_order[].package' "$o/manifest.json" > "$o/manifest.placed"
  diff -u "$o/manifest.placed" "$TMP/$name.observed" >&2 || die "$name: observed init order differs from the manifest's placed order"
  pass "$name: traced (ptrace) as untraced ($*), the report's 8 checks pass; observed = placed (binary, manifest) = inittrace ($(wc -l < "$TMP/$name.observed") packages)"
}
buildinfo_has() { # NAME BINARY 'line (grep -E)' WHAT
  "$GO" version -m "$2" > "$TMP/$1.bi" || die "$1: go version -m failed"
  grep -qE -- "$3" "$TMP/$1.bi" || die "$1: build info lacks $4 ('$3'): $(cat "$TMP/$1.bi")"
  pass "$1: build info has $4"
}

FAILED=()
run_entry() { # NAME FUNCTION: one entry in a subshell of its own; its failure is noted, the others go on
  local name=$1 t0=$SECONDS
  shift
  ( "$@"; echo "$CHECKS" > "$TMP/$name.checks" )
  if [ $? -ne 0 ] || [ ! -s "$TMP/$name.checks" ]; then
    FAILED+=("$name")
    echo "FAIL $name (see the FAIL line above)"
  else
    CHECKS=$(cat "$TMP/$name.checks")
    echo "     ($name: $((SECONDS - t0)) s)"
  fi
  chmod -R u+w "$TMP/$name" 2>/dev/null; rm -rf "$TMP/$name" # the binaries are large
}

wrapped() { # NAME ARGS...: the wrapper module's main package
  local pkg
  pkg=$(sed -n 's/^import _ "\(.*\)"$/\1/p' "$CORPUS/$1/tools.go")
  entry "$1" "$CORPUS/$1" "$pkg" "${@:2}"
}
e_shfmt() {
  wrapped shfmt --version
  # once through a file:// proxy made from the module cache, into an empty GOMODCACHE (no network)
  local new=$TMP/shfmt-newcache
  MINE_CACHED=1 MINE_PATH=$CPATH_ mine shfmt-fetched "$CORPUS/shfmt" mvdan.cc/sh/v3/cmd/shfmt "$TMP/shfmt/fetched" \
    GOMODCACHE="$new" GOPROXY="file://$MODCACHE/cache/download"
  same "shfmt -trimpath: from an empty GOMODCACHE through GOPROXY=file://" "$TMP/shfmt/ref-trim" "$TMP/shfmt/fetched"
  [ -d "$new/mvdan.cc/sh/v3@v3.14.1" ] && [ -d "$new/mvdan.cc/editorconfig@v0.3.0" ] || die "shfmt: the modules were not extracted into the empty cache"
  chmod -R u+w "$new"
}
e_tomlv() {
  mkdir -p "$TMP/tomlv/run"
  printf '[corpus]\nname = "tomlv"\nentries = [1, 2, 3]\n' > "$TMP/tomlv/run/sample.toml"
  wrapped tomlv -types sample.toml
}
e_sqlite() {
  ENTRY_FLAGS=(-tags sqlite_math_functions,sqlite_column_metadata)
  wrapped sqlite
  unset ENTRY_FLAGS
  buildinfo_has sqlite "$TMP/sqlite/mine" $'\tbuild\t-tags=sqlite_math_functions,sqlite_column_metadata$' "-tags"
  buildinfo_has sqlite "$TMP/sqlite/mine" $'\tbuild\tCGO_ENABLED=1$' "CGO_ENABLED=1 (go's default with gcc on PATH)"
  readelf -d "$TMP/sqlite/mine" | grep -q 'NEEDED.*libc\.so' || die "sqlite: not dynamically linked against libc"
  [ "$(wc -l < "$TMP/sqlite.plain")" -ge 100 ] || die "sqlite: the program printed $(wc -l < "$TMP/sqlite.plain") lines: $(head -3 "$TMP/sqlite.plain")"
}
e_umoci() {
  entry umoci "$CORPUS/umoci/src" ./cmd/umoci --version
  buildinfo_has umoci "$TMP/umoci/mine" $'^\t=>\tgithub.com/cyphar/go-mtree\tv' "the go.mod's replacement (=> github.com/cyphar/go-mtree)"
}
e_workspace() {
  ENTRY_ENV=(GOWORK="$CORPUS/workspace/go.work")
  entry workspace "$CORPUS/workspace/main" ./cmd/shfmt --version
  unset ENTRY_ENV
  buildinfo_has workspace "$TMP/workspace/mine" $'^\tdep\tmvdan.cc/editorconfig\t\\(devel\\)' "the workspace's module (mvdan.cc/editorconfig (devel))"
}
e_compile() {
  entry compile "$GOROOT_/src/cmd/compile" cmd/compile -V
  buildinfo_has compile "$TMP/compile/mine" $'\tbuild\t-pgo=' "-pgo (its default.pgo)"
}

run_entry shfmt e_shfmt
run_entry tomll wrapped tomll -h
run_entry tomlv e_tomlv
run_entry gxz wrapped gxz --version
run_entry age wrapped age --version
run_entry bbolt wrapped bbolt version
run_entry actionlint wrapped actionlint -version
run_entry sqlite e_sqlite
run_entry umoci e_umoci
run_entry workspace e_workspace
run_entry yq wrapped yq --version
run_entry compile e_compile
if [ -n "${RT0_CORPUS_ALL-}" ]; then
  run_entry wazero wrapped wazero version
  run_entry task wrapped task --version
fi

[ ${#FAILED[@]} -eq 0 ] || die "${#FAILED[@]} corpus entries failed: ${FAILED[*]}"
finish
