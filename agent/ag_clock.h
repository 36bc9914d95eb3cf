/*
 * ag_clock.h - the agent's one monotonic clock, and the wall clock for
 * what must line up across hosts.
 *
 * Timeouts, backoffs and measured durations all read CLOCK_MONOTONIC
 * (never the wall clock, which NTP may step); one helper instead of a copy
 * in every file that times something.  The wall clock only picks which
 * member to probe when (membership's ring schedule, net_member.h), where
 * a step costs one period's coverage, not a timeout.
 */
#ifndef AG_CLOCK_H
#define AG_CLOCK_H

#include <stdint.h>

/* Seconds since an arbitrary start, monotonic (0 if the clock fails). */
double	ag_clock_mono(void);
/* Milliseconds since the epoch, CLOCK_REALTIME (0 if the clock fails). */
uint64_t ag_clock_wall_ms(void);

#endif /* AG_CLOCK_H */
