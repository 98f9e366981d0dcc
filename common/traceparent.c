/* common/traceparent: W3C trace context's traceparent value (see traceparent.h). */
#include "common/traceparent.h"

#include <string.h>

/* n lower-case hex digits at s; *nonzero set when one of them is not '0' */
static bool lhex(const char *s, size_t n, bool *nonzero)
{
	bool nz = false;

	for (size_t i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
		nz = nz || s[i] != '0';
	}
	if (nonzero)
		*nonzero = nz;
	return true;
}

bool rt_traceparent_parse(const char *s, struct rt_traceparent *tp)
{
	size_t len = s ? strlen(s) : 0;
	bool tnz, snz;

	/* vv-tttttttttttttttttttttttttttttttt-ssssssssssssssss-ff: 2+1+32+1+16+1+2 = 55 */
	if (len < 55 || !lhex(s, 2, NULL) || strncmp(s, "ff", 2) == 0)
		return false;
	if (strncmp(s, "00", 2) == 0 ? len != 55 : len > 55 && s[55] != '-')
		return false;
	if (s[2] != '-' || s[35] != '-' || s[52] != '-')
		return false;
	if (!lhex(s + 3, 32, &tnz) || !lhex(s + 36, 16, &snz) || !lhex(s + 53, 2, NULL) || !tnz || !snz)
		return false;
	memcpy(tp->trace_id, s + 3, 32);
	tp->trace_id[32] = '\0';
	memcpy(tp->span_id, s + 36, 16);
	tp->span_id[16] = '\0';
	memcpy(tp->flags, s + 53, 2);
	tp->flags[2] = '\0';
	return true;
}
