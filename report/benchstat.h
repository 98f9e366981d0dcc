/*
 * report/benchstat: a bench's samples as Go benchmark lines, the format `go test -bench` prints and
 * golang.org/x/perf/cmd/benchstat reads (go.dev/design/14313-benchmark-format), so that two sets of
 * runs can be compared with benchstat (`rt0trace bench --format benchstat`, `rt0trace check --format
 * benchstat`).
 *
 * Configuration lines first: "goos: linux", "goarch:" (the machine's, from the environment's kernel:
 * x86_64 -> amd64, aarch64 -> arm64, ...), "pkg:" (the binary's path), "cpu:" (the CPU model) and
 * "engine:" (the tracer engine), each present when the environment has it. Then, for each run, one
 * line per phase before main and one for the run's resources, each with iteration count 1 (one
 * program start) and the run's values:
 *
 *   BenchmarkStartup-2                            W wall-ns/op C cpu-ns/op N nowait-ns/op
 *   BenchmarkStartup/exec-2                       ...
 *   BenchmarkStartup/init=example.com/spin/slow-2 W wall-ns/op C cpu-ns/op N nowait-ns/op
 *   BenchmarkRun-2                                C cpu-ns/op P peak-rss-KiB R rss-at-main-KiB F minflt/op ...
 *
 * Names: "startup" is BenchmarkStartup; a phase is BenchmarkStartup/<phase> with its first space an
 * '=' ("init example.com/x" -> "init=example.com/x") and any other space or control character a '_'.
 * The suffix is the CPU count (the environment's "cpus", as `go test` appends GOMAXPROCS), so that a
 * package path ending in -<digits> stays whole. Units: a phase's wall time (the metric "<phase>"),
 * its thread's CPU time ("cpu:<phase>") and wall less CPU wait ("nowait:<phase>") as wall-ns/op,
 * cpu-ns/op, nowait-ns/op; a run metric "run:<x>" as <x>-ns/op (time), <x>-KiB (sizes) or <x>/op
 * (counts), its underscores dashes. A value is on run k's line when its metric has a k-th sample (a
 * metric some runs lacked has fewer; benchstat pools each name and unit's values, so nothing shifts).
 */
#ifndef RT0_REPORT_BENCHSTAT_H
#define RT0_REPORT_BENCHSTAT_H

#include <stdio.h>

#include "report/baseline.h"

/* Writes `b` as benchmark lines to `f`; -1 with errno when writing failed. */
int rt_bench_benchstat(FILE *f, const struct rt_bench *b);

#endif
