#!/usr/bin/env bash
# A SIGSEGV in one of 4 threads fails "no crash" under the ebpf engine; SIGKILL is "not observed", never ✓
# (lib/crash_threads.bash).
. "$(dirname "$0")/lib/common.bash"
ENGINES=ebpf
. "$(dirname "$0")/lib/crash_threads.bash"
