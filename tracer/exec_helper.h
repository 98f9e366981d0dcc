/* What rt0exec (tracer/exec_helper.c) reports on its error pipe when it fails: the step, then errno,
 * as two ints. Shared with tracer/image.c, which reads them (rt_exec_failed). */
#ifndef RT0_TRACER_EXEC_HELPER_H
#define RT0_TRACER_EXEC_HELPER_H

enum rt_exec_step {
	RT_EXEC_EXEC = 0,   /* the program's exec */
	RT_EXEC_FILTER = 1, /* installing the seccomp filter */
	RT_EXEC_SETUP = 2,  /* its own arguments and descriptors (a mismatch with rt0trace) */
	RT_EXEC_READY = 3,  /* not a failure: -h, it is about to wait for its release (errno 0) */
};

#endif
