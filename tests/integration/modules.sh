#!/usr/bin/env bash
# rt0trace build in module mode, against the reference `go build -trimpath` (build IDs blanked):
#   - tests/fixtures/modapp: github.com/fatih/color and what it requires (from the module proxy) and a
#     local module through `replace ... => ./greet`: built from a module cache go populated, and from
#     an empty cache through a file:// proxy (that cache's cache/download: no network), which leaves a
#     cache `go mod verify` accepts;
#   - a go.work workspace using modapp and a copy of greet;
#   - go.sum enforced: a missing zip or go.mod line, a file changed in the module cache; an unknown
#     version, GOPROXY=off, an unreachable proxy, a go.mod syntax error, a go line newer than GOROOT's,
#     a stale vendor/ directory: one message each, the documented exit code, nothing written at -o.
# The modules are fetched once through the Go module proxy by `go mod download` (the oracle's setup)
# into the test cache's gomodcache/ (common.bash), kept across runs; without the proxy the test is skipped.
. "$(dirname "$0")/lib/common.bash"
. "$(dirname "$0")/lib/gobuild.bash"
gobuild_vars
export RT0TRACE_CACHE=$TMP/cache GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
unset GOWORK GOPROXY GOMODCACHE GOPATH GONOPROXY GOPRIVATE GONOSUMDB

MODCACHE=$TEST_CACHE/gomodcache
APP=$SRC/tests/fixtures/modapp
if [ ! -e "$MODCACHE/.modapp-ready" ]; then
  (cd "$APP" && GOMODCACHE=$MODCACHE GOWORK=off timeout 300 "$GO" mod download -x) >"$TMP/download.log" 2>&1 \
    || skip "the Go module proxy cannot be reached to fetch modapp's modules: $(tail -n 1 "$TMP/download.log")"
  touch "$MODCACHE/.modapp-ready"
fi
PROXY=file://$MODCACHE/cache/download

# from a populated cache, no proxy needed
ref "$APP" "$TMP/modapp.ref" GOMODCACHE="$MODCACHE" GOPROXY=off
mine modapp "$APP" . "$TMP/modapp.mine" GOMODCACHE="$MODCACHE" GOPROXY=off
same "modapp (fatih/color, mattn/*, x/sys from the module cache; ./greet by replace)" "$TMP/modapp.ref" "$TMP/modapp.mine"
"$TMP/modapp.mine" > "$TMP/modapp.run" || die "modapp: the built program failed"
printf 'modapp: hello, MODULE MODE\norder: [greet] [main]\n' | cmp -s - "$TMP/modapp.run" || die "modapp printed '$(cat "$TMP/modapp.run")'"
"$GO" version -m "$TMP/modapp.mine" | grepq $'\tdep\tgithub.com/fatih/color\tv1.18.0\th1:' \
  || die "build info: $("$GO" version -m "$TMP/modapp.mine")"
pass "modapp runs; its build info lists the dependencies with their go.sum hashes"

# from an empty cache: fetched through a file:// proxy, extracted as go extracts
NEW=$TMP/newcache
mine fetched "$APP" . "$TMP/fetched.mine" GOMODCACHE="$NEW" GOPROXY="$PROXY"
same "modapp from an empty module cache through GOPROXY=file://" "$TMP/modapp.ref" "$TMP/fetched.mine"
for m in github.com/fatih/color@v1.18.0 github.com/mattn/go-isatty@v0.0.20 golang.org/x/sys@v0.25.0; do
  [ -d "$NEW/$m" ] || die "fetch: $NEW/$m was not extracted"
  [ "$(find "$NEW/$m" -type f -perm /222 | head -n 1)" = "" ] || die "fetch: writable files in $NEW/$m"
done
(cd "$APP" && GOMODCACHE=$NEW GOPROXY=off GOWORK=off "$GO" mod verify) >"$TMP/verify.out" 2>&1 \
  || die "go mod verify of rt0trace's cache: $(cat "$TMP/verify.out")"
grep -qx 'all modules verified' "$TMP/verify.out" || die "go mod verify: $(cat "$TMP/verify.out")"
pass "the fetched cache: read-only modules, and 'go mod verify' says all modules verified"

# a workspace: go.work using modapp and a copy of greet (the workspace's greet, not the replace's)
mkdir -p "$TMP/ws"
cp -r "$APP" "$TMP/ws/app"
cp -r "$APP/greet" "$TMP/ws/greet2"
sed -i 's/"hello, "/"hi, "/' "$TMP/ws/greet2/greet.go"
printf 'go 1.22\n\nuse (\n\t./app\n\t./greet2\n)\n' > "$TMP/ws/go.work"
(cd "$TMP/ws/app" && env CGO_ENABLED=0 GOMODCACHE="$MODCACHE" GOPROXY=off "$GO" build -trimpath -o "$TMP/ws.ref" .) \
  >"$TMP/ws.log" 2>&1 || die "reference go build in the workspace: $(cat "$TMP/ws.log")"
mine ws "$TMP/ws/app" . "$TMP/ws.mine" GOMODCACHE="$MODCACHE" GOPROXY=off
same "a go.work workspace (app and greet2 both main modules)" "$TMP/ws.ref" "$TMP/ws.mine"
"$TMP/ws.mine" | grepq '^modapp: hi, MODULE MODE$' || die "workspace: the workspace's greet was not used: $("$TMP/ws.mine")"
pass "workspace: the go.work's module wins over go.mod's replace"

# bad inputs: each one message and exit code, nothing at -o
bad() { # CODE 'stderr text (grep -F)' DESCRIPTION DIR [env...]
  local code=$1 want=$2 what=$3 dir=$4
  shift 4
  rm -f "$TMP/bad.out"
  (cd "$dir" && env "$@" "$R" build -o "$TMP/bad.out" .) >"$TMP/out" 2>"$TMP/err"
  local got=$?
  [ "$got" -eq "$code" ] || die "$what: exit $got, want $code: $(cat "$TMP/err")"
  grep -qF -- "$want" "$TMP/err" || die "$what: stderr '$(cat "$TMP/err")' lacks '$want'"
  [ ! -e "$TMP/bad.out" ] || die "$what: something was written at -o"
  pass "$what: exit $code, '$(head -n 1 "$TMP/err")'"
}
mkapp() { rm -rf "$TMP/$1"; cp -r "$APP" "$TMP/$1"; chmod -R u+w "$TMP/$1"; }

mkapp nosum
sed -i '\#^github.com/fatih/color v1.18.0 h1:#d' "$TMP/nosum/go.sum"
bad 5 "missing go.sum entry for module github.com/fatih/color@v1.18.0" "a missing go.sum line" "$TMP/nosum" \
  GOMODCACHE="$MODCACHE" GOPROXY=off
mkapp nomodsum
sed -i '\#^github.com/mattn/go-isatty v0.0.20/go.mod #d' "$TMP/nomodsum/go.sum"
bad 5 "missing go.sum entry for go.mod file of github.com/mattn/go-isatty@v0.0.20" "a missing go.sum line for a go.mod" \
  "$TMP/nomodsum" GOMODCACHE="$MODCACHE" GOPROXY=off
mkapp wrongsum
sed -i 's#^\(github.com/fatih/color v1.18.0 h1:\).*#\1AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=#' "$TMP/wrongsum/go.sum"
bad 5 "verifying github.com/fatih/color@v1.18.0: checksum mismatch" "a go.sum hash that does not match" "$TMP/wrongsum" \
  GOMODCACHE="$MODCACHE" GOPROXY=off
f=$NEW/github.com/fatih/color@v1.18.0/color.go
chmod u+w "$f" "$(dirname "$f")" && echo '// tampered' >> "$f" && chmod a-w "$f"
bad 5 "a file in the module cache changed since it was downloaded" "a file changed in the module cache" "$APP" \
  GOMODCACHE="$NEW" GOPROXY=off
# a module directory is hashed whole the first time a build uses it (later builds check the files they
# read): a cache not verified before, with a file changed that no build reads, is refused too
cp -r "$NEW" "$TMP/newcache2" && chmod -R u+w "$TMP/newcache2"
f=$TMP/newcache2/github.com/fatih/color@v1.18.0/color_test.go
[ -f "$f" ] || die "no $f to change"
echo '// tampered' >> "$f"
bad 5 "module cache: h1:" "a changed file no build reads, in a module directory not verified before" "$APP" \
  GOMODCACHE="$TMP/newcache2" GOPROXY=off
mkapp unknown
sed -i 's#github.com/fatih/color v1.18.0#github.com/fatih/color v1.99.0#' "$TMP/unknown/go.mod"
bad 5 "github.com/fatih/color@v1.99.0" "an unknown module version" "$TMP/unknown" GOMODCACHE="$TMP/empty1" GOPROXY="$PROXY"
bad 5 "GOPROXY=off" "GOPROXY=off with a module missing from the cache" "$APP" GOMODCACHE="$TMP/empty2" GOPROXY=off
bad 4 "127.0.0.1" "an unreachable proxy" "$APP" GOMODCACHE="$TMP/empty3" GOPROXY=https://127.0.0.1:9
mkapp syntax
printf 'frobnicate x\n' >> "$TMP/syntax/go.mod"
bad 5 "go.mod:17: unknown directive: frobnicate" "a go.mod syntax error (file:line)" "$TMP/syntax" GOMODCACHE="$MODCACHE" GOPROXY=off
mkapp newgo
sed -i 's/^go 1.22$/go 1.99/' "$TMP/newgo/go.mod"
bad 4 "requires go >= 1.99" "a go.mod that needs a newer Go than GOROOT's" "$TMP/newgo" GOMODCACHE="$MODCACHE" GOPROXY=off
rm -rf "$TMP/stale" && cp -r "$SRC/tests/fixtures/vendored" "$TMP/stale"
sed -i 's/example.com\/greet v1.2.0/example.com\/greet v1.3.0/' "$TMP/stale/go.mod"
bad 5 "example.com/greet@v1.3.0: is explicitly required in go.mod, but vendor/modules.txt indicates example.com/greet@v1.2.0" \
  "a stale vendor/ directory (inconsistent vendoring)" "$TMP/stale"
(cd "$TMP/stale" && "$GO" build -o /dev/null . ) >"$TMP/go.err" 2>&1 && die "go build accepted the stale vendor/ too?"
grep -q "inconsistent vendoring" "$TMP/go.err" || die "go build's own message changed: $(cat "$TMP/go.err")"
pass "go build refuses the same stale vendor/"
expect_exit 2 "-mod=bogus" -- "$R" build -mod=bogus -o "$TMP/x" "$APP"
GOFLAGS=-mod=bogus expect_exit 2 "GOFLAGS=-mod=bogus" -- "$R" build -o "$TMP/x" "$APP"
finish
