/*
 * ag_clock.c - the agent's monotonic clock (see ag_clock.h).
 */
#include "ag_clock.h"

#include <time.h>

double
ag_clock_mono(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
