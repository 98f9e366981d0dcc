/* common/units: durations as users write them on the command line (see units.h). */
#include "common/units.h"

#include <stdlib.h>
#include <string.h>

bool rt_parse_duration(const char *s, double *out)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "", 1e6 },
	};
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v >= 0) || v > 1e12)
		return false;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0) {
			*out = v * units[i].ns;
			return true;
		}
	return false;
}
