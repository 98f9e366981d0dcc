#!/usr/bin/env bash
# strace as the oracle of the syscall decoder (tracer/decode): each program runs under `strace -f` and
# under `rt0trace run`, and `rt0trace report --format strace` must print what strace prints. Both
# outputs are normalized (strace's `<unfinished ...>`/`resumed>` pairs joined, its column padding, the
# time and duration columns dropped; pointers, pids, random bytes masked), each thread's lines are
# lined up by syscall name (threads matched through the clone calls that made them), and of the lines
# both record at least 95% must be identical, per program. The share and the first differing lines are
# printed; lines only one side has (a thread strace saw and rt0trace did not, a racy futex) are listed.
. "$(dirname "$0")/lib/common.bash"
command -v strace >/dev/null || skip "strace is not installed (scripts/setup installs it)"
command -v python3 >/dev/null || skip "python3 is not installed"
need_ptrace
strace -f -o "$TMP/probe.st" /bin/true 2>"$TMP/probe.err" || skip "strace cannot trace here: $(head -c 200 "$TMP/probe.err")"
R=$RT0TRACE
FX=$RT0_FIXTURES
MIN=${RT0_ORACLE_MIN:-95}

cat > "$TMP/compare.py" <<'EOF'
# compare.py STRACE_OUT RT0_STRACE_OUT MIN: the share of identical lines among those both record.
import difflib, re, sys

def strace_lines(path):
    """strace -f -o: 'TID  text'; unfinished/resumed pairs joined; signals and exits dropped."""
    out, pending = [], {}
    for raw in open(path, errors="replace"):
        m = re.match(r"(\d+) +(.*)", raw.rstrip("\n"))
        if not m:
            continue
        tid, text = int(m.group(1)), m.group(2)
        if text.startswith(("+++", "---")):
            continue
        r = re.match(r"<\.\.\. \w+ resumed>(.*)", text)
        if r and tid in pending:
            idx, head = pending.pop(tid)
            rest = r.group(1)
            if rest.startswith(" <unfinished ...>"):  # killed inside the call (exit_group): its exit
                rest = KILLED                          # arguments never printed
            out[idx] = (tid, head + rest)
            continue
        if r:
            continue
        if text.endswith(" <unfinished ...>"):
            pending[tid] = (len(out), text[: -len(" <unfinished ...>")])
        out.append((tid, text))
    # a call still unfinished at the end (its thread killed): strace says `= ?`
    for tid, (idx, head) in pending.items():
        out[idx] = (tid, head + KILLED)
    return out

KILLED = " <killed>) = ?"  # where strace stopped printing a call its thread was killed in

def rt0_lines(path):
    """report --format strace: 'TID  SECS.USEC call = result <dur>'."""
    out = []
    for raw in open(path, errors="replace"):
        m = re.match(r"(\d+) +\d+\.\d+ (.*?)( <\d+\.\d+>)?$", raw.rstrip("\n"))
        if m:
            out.append((int(m.group(1)), m.group(2)))
    return out

def by_thread(lines):
    """Each thread's lines, and each thread's canonical name: T for the first, then PARENT.K for the
    K-th thread or process its parent's clone/clone3/fork/vfork made."""
    seq = {}
    for tid, text in lines:
        seq.setdefault(tid, []).append(text)
    if not lines:
        return {}
    names, todo = {lines[0][0]: "T"}, [lines[0][0]]
    while todo:
        tid = todo.pop(0)
        k = 0
        for text in seq.get(tid, []):
            m = re.match(r"(clone3?|fork|vfork)\(.*\) = (\d+)$", text)
            if m and int(m.group(2)) in seq and int(m.group(2)) not in names:
                k += 1
                names[int(m.group(2))] = "%s.%d" % (names[tid], k)
                todo.append(int(m.group(2)))
    return {names.get(tid, "?%d" % tid): v for tid, v in seq.items()}

def normalize(text, tids):
    text = re.sub(r"\)\s+= ", ") = ", text)            # strace's column padding
    # the id of a thread or process made or asked for (one rt0trace saw no syscall of is not in tids)
    text = re.sub(r"^((clone3?|fork|vfork|gettid|getpid|getppid|set_tid_address)\(.*\) = )\d+$", r"\1PID", text)
    text = re.sub(r"parent_tid=\[\d+\]", "parent_tid=[PID]", text)
    text = re.sub(r"(getrandom\()\"[^\"]*\"", r'\1"RANDOM"', text)
    text = re.sub(r"0x[0-9a-f]+", "ADDR", text)
    # how long Go's sysmon sleeps doubles while the program is idle: the time each side ran, not decoding
    text = re.sub(r"^(nanosleep\(\{tv_sec=0, tv_nsec=)\d+\}", r"\1NS}", text)
    text = re.sub(r"\b(\d+)\b", lambda m: "PID" if int(m.group(1)) in tids else m.group(1), text)
    return text

def key(text):
    """What lines up two lines: the syscall's name (a futex's operation too: which thread waits and
    which wakes is the scheduler's choice, not the decoder's)."""
    m = re.match(r"(futex)\([^,]*, (\w+)", text)
    return m.group(1) + " " + m.group(2) if m else text.split("(", 1)[0]

def same(x, y):
    """strace's line of a killed call ends where it stopped printing: the rest of rt0trace's is free."""
    if KILLED in x:
        head = x.split(KILLED)[0]
        return y.startswith(head.rstrip(", ")) and y.endswith(" = ?")
    return x == y

st, rt = strace_lines(sys.argv[1]), rt0_lines(sys.argv[2])
st_tids, rt_tids = {t for t, _ in st}, {t for t, _ in rt}
S, T = by_thread(st), by_thread(rt)
nsame = both = 0
diffs, only = [], []
for th in sorted(set(S) | set(T)):
    a = [normalize(x, st_tids) for x in S.get(th, [])]
    b = [normalize(x, rt_tids) for x in T.get(th, [])]
    sm = difflib.SequenceMatcher(None, [key(x) for x in a], [key(x) for x in b], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for x, y in zip(a[i1:i2], b[j1:j2]):
                both += 1
                if same(x, y):
                    nsame += 1
                else:
                    diffs.append((th, x, y))
        else:
            only += [(th, "strace ", x) for x in a[i1:i2]] + [(th, "rt0trace", y) for y in b[j1:j2]]
share = 100.0 * nsame / both if both else 0.0
print("%.1f%% identical (%d of %d lines both record; %d lines only one side has)" % (share, nsame, both, len(only)))
for th, x, y in diffs[:20]:
    print("  %s strace:   %s\n  %s rt0trace: %s" % (th, x, th, y))
for th, who, x in only[:20]:
    print("  %s only %s: %s" % (th, who, x))
sys.exit(0 if share >= float(sys.argv[3]) else 1)
EOF

progs=()
for f in diamond goinit many diamond-pie cgo cprog; do
  need_fixture "$f"
  progs+=("$FX/$f")
done
progs+=(/bin/true /bin/ls)
for p in "${progs[@]}"; do
  n=$(basename "$p")
  # the same stdin, stdout and directory for both (ls lists it; isatty asks stdout)
  mkdir -p "$TMP/cwd.$n" && touch "$TMP/cwd.$n/a" "$TMP/cwd.$n/b"
  (cd "$TMP/cwd.$n" && strace -f -o "$TMP/$n.st" "$p" </dev/null >/dev/null 2>&1) || die "strace -f $n: exit $?"
  (cd "$TMP/cwd.$n" && "$R" run -o "$TMP/$n.jsonl" -- "$p" </dev/null >/dev/null 2>"$TMP/$n.err") \
    || die "rt0trace run $n: exit $?: $(head -c 300 "$TMP/$n.err")"
  "$R" report --format strace -o "$TMP/$n.rt" "$TMP/$n.jsonl" || die "report --format strace $n: exit $?"
  python3 "$TMP/compare.py" "$TMP/$n.st" "$TMP/$n.rt" "$MIN" > "$TMP/$n.cmp"
  rc=$?
  sed 's/^/    /' "$TMP/$n.cmp"
  [ $rc -eq 0 ] || die "$n: fewer than $MIN% of the lines both record are identical to strace's ($(head -1 "$TMP/$n.cmp"))"
  pass "$n: $(head -1 "$TMP/$n.cmp")"
done
finish
