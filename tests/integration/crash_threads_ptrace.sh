#!/usr/bin/env bash
# A SIGSEGV in one of 4 threads fails "no crash" under the ptrace engine; SIGKILL is "not observed", never ✓
# (lib/crash_threads.bash).
. "$(dirname "$0")/lib/common.bash"
ENGINES=ptrace
. "$(dirname "$0")/lib/crash_threads.bash"
