#!/usr/bin/env bash
# What each phase touched (report --format json: a phase row's "files", "lookups", "sockets", "execs"),
# against strace as the oracle: the files fixture's opens under rt0trace (ptrace) are exactly those strace
# -f -e trace=%file shows, path for path and result for result, and each is listed in the phase whose
# time range (start_ns, dur_ns) holds the syscall's time in the trace; a shell that runs programs and
# execs another lists exactly strace's execve calls (path, argv, result) of it and its forked children.
. "$(dirname "$0")/lib/common.bash"
need_fixture files
need_ptrace
command -v strace >/dev/null || skip "strace is not installed (the oracle of this test)"
command -v jq >/dev/null || skip "jq is not installed"
R=$RT0TRACE
FX=$RT0_FIXTURES
cd "$TMP" || die "no $TMP"
# the same environment and fds for both runs (an fd number is a result compared)
ENV=(env -i PATH=/usr/bin:/bin HOME=/nonexistent)

# strace's lines of CALLS (a regex of names) as "path<TAB>result" (result: the value, or the errno's
# name), an interrupted call joined with its resumption; an exec's as "path<TAB>argv<TAB>result".
strace_calls() {
  perl -ne '
    BEGIN { $re = shift @ARGV }
    s/^(\d+) +//; my $pid = $1 // 0;
    if (/^(.*) <unfinished \.\.\.>$/) { $held{$pid} = $1; next }
    if (/^<\.\.\. \w+ resumed>(.*)$/) { $_ = ($held{$pid} // "") . $1 . "\n"; delete $held{$pid} }
    next unless /^($re)\((.*)\) += (.*)$/;
    my ($name, $args, $res) = ($1, $2, $3);
    $res = $res =~ /^-1 (\w+)/ ? $1 : (split / /, $res)[0];
    $args =~ s/^(AT_FDCWD|\d+), // if $name =~ /at2?$/;
    next unless $args =~ /^"((?:[^"\\]|\\.)*)"(.*)$/;
    my ($path, $rest) = ($1, $2);
    # an argument strace cut at its -s 32 ("abc"...) is in the report'"'"'s argv as "abc..."
    if ($name =~ /^execve/) { $rest =~ /^, (\[.*?\]), / or next; (my $av = $1) =~ s/"\.\.\.(?=[,\]])/..."/g;
                              print "$path\t$av\t$res\n" }
    else { print "$path\t$res\n" }
  ' "$1" "$2" | sort
}

# against_strace NAME SET CALLS MIN JQ -- CMD...: CMD under rt0trace run -f (NAME.jsonl, its report
# NAME.json) and under strace -f -e trace=SET: strace's CALLS (as strace_calls prints them, at least MIN)
# are, line for line, what JQ prints from the report.
against_strace() {
  local name=$1 set=$2 calls=$3 min=$4 filter=$5
  shift 6
  "${ENV[@]}" "$R" run -f -o "$name.jsonl" -- "$@" > run.out 2>&1 || die "run $*: exit $?: $(head -c 300 run.out)"
  "$R" report --format json -o "$name.json" "$name.jsonl" || die "report of $name: exit $?"
  "${ENV[@]}" strace -f -qq -e trace="$set" -o "$name.strace" "$@" > strace.out 2>&1 || die "strace $*: exit $?"
  strace_calls "$calls" "$name.strace" > "$name.want"
  [ "$(wc -l < "$name.want")" -ge "$min" ] || die "strace shows only $(wc -l < "$name.want") $calls: $(cat "$name.want")"
  jq -r "$filter" "$name.json" | sort > "$name.got"
  diff -u "$name.want" "$name.got" >&2 || die "$name: the report's lists differ from strace's $calls (- strace, + report)"
}

# --- files: the fixture's opens, phase by phase ------------------------------------------------------
against_strace files %file 'open|openat|openat2|creat' 8 '.phases[].files[] | "\(.path)\t\(.result)"' -- "$FX/files"
grep -qx $'/nonexistent/rt0trace-files.conf\tENOENT' files.got || die "the missing file's ENOENT is not listed"
pass "files: the report lists exactly strace's $(wc -l < files.got) opens, with their results"

# Each open of the trace, put in its phase by the report's time ranges, is listed in that phase (and
# every phase lists only those): the trace's decoded openat events against the report's rows.
jq -n --slurpfile tr files.jsonl --slurpfile rp files.json '
  ($rp[0]) as $r | ($tr[0] | select(.type == "header") | .t0) as $t0 |
  def res: if test("^-1 ") then (.[3:] | split(" ")[0]) else split(" ")[0] end;
  def phase($t): [$r.phases | to_entries[] | select(.value.start_ns <= $t and ($t < .value.start_ns + .value.dur_ns
                  or .key == ($r.phases | length) - 1))] | last | .key;
  [$tr[] | select(.type == "syscall" and .pid == $r.pid and (.name | test("^(open|openat|openat2|creat)$")) and .path != null)
   | {phase: phase(.t - $t0), f: "\(.path)\t\(.result | res)"}] as $want |
  [range($r.phases | length) as $i | {i: $i, want: ([$want[] | select(.phase == $i) | .f] | sort),
    got: ([$r.phases[$i].files[] | "\(.path)\t\(.result)"] | sort)} | select(.want != .got)] as $bad |
  if ($want | length) == 0 then "no opens in the trace" elif ($bad | length) > 0 then ($bad | tostring) else empty end
' > phase.bad || die "jq cannot compare the phases"
[ ! -s phase.bad ] || die "files in the wrong phase (by the trace's times): $(head -c 600 phase.bad)"
jq -e '.phases[] | select(.name == "init example.com/files/cfg") |
  ([.files[].path] | index("/etc/hostname")) != null and ([.lookups[] | select(.path == "/etc")] | length) == 1 and
  .sockets == [{"addr": "AF_INET 127.0.0.1:9", "result": "0", "syscall": "connect"} + (.sockets[0] | {t_ns, pid})]' files.json >/dev/null ||
  die "init example.com/files/cfg: $(jq -c '.phases[] | select(.name == "init example.com/files/cfg") | {files, lookups, sockets}' files.json)"
jq -e '(.phases[] | select(.name == "main.main") | [.files[].path]) == ["/proc/self/stat"] and
  (.phases[] | select(.name == "init main") | [.files[].path]) == ["/dev/null"]' files.json >/dev/null ||
  die "init main / main.main: $(jq -c '[.phases[] | {name, f: [.files[].path]}]' files.json)"
pass "files: each in the phase whose time range holds it; cfg's init: /etc/hostname, the lookup of /etc, the UDP connect"

"$R" report -o r.txt files.jsonl || die "text report: exit $?"
grepq -F '  init example.com/files/cfg: open /etc/hostname = ' r.txt || die "the text report has no cfg line: $(grep -A8 '^files, sockets' r.txt)"
grepq -F 'open /nonexistent/rt0trace-files.conf = ENOENT' r.txt || die "the text report does not say ENOENT"
pass "text: a line per phase ('init example.com/files/cfg: open /etc/hostname = 3; ...')"

# --- execs: a shell that runs two programs and execs a third -------------------------------------------
SCRIPT='cat /etc/hostname >/dev/null; ls /nonexistent 2>/dev/null; exec true'
against_strace sh execve execve 4 '.phases[].execs[] | "\(.path)\t[\(.argv | map("\"" + . + "\"") | join(", "))]\t\(.result)"' \
  -- sh -c "$SCRIPT"
grepq -F $'/usr/bin/cat\t["cat", "/etc/hostname"]\t0' sh.got || die "cat's exec is not listed: $(cat sh.got)"
pass "execs: the report lists exactly strace's $(wc -l < sh.got) execve calls (the shell's and its children's), argv and results"

# a trace without decoded syscalls (run --raw) says nothing of it: no lists, no section
"${ENV[@]}" "$R" run --raw -o raw.jsonl -- "$FX/files" > run.out 2>&1 || die "run --raw: exit $?"
"$R" report --format json -o raw.json raw.jsonl || die "report raw: exit $?"
jq -e '[.phases[] | has("files") or has("execs")] | any | not' raw.json >/dev/null || die "an undecoded trace has touched lists"
"$R" report -o raw.txt raw.jsonl || die "text report raw: exit $?"
! grepq '^files, sockets and programs per phase' raw.txt || die "an undecoded trace's text report has the touched section"
pass "an undecoded trace (run --raw): no touched lists in json, no section in text"
finish
