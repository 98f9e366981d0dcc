/* common/units: durations as users write them on the command line. */
#ifndef RT0_COMMON_UNITS_H
#define RT0_COMMON_UNITS_H

#include <stdbool.h>

/* "1ms", "500us", "0", "2s", "750ns", "1m" -> nanoseconds in *out (a bare number is milliseconds);
 * false for anything else (a negative value, an unknown unit, trailing text). */
bool rt_parse_duration(const char *s, double *out);

#endif
