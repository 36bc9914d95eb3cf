/*
 * ag_clock.h - the agent's one monotonic clock.
 *
 * Timeouts, backoffs and measured durations all read CLOCK_MONOTONIC
 * (never the wall clock, which NTP may step); one helper instead of a copy
 * in every file that times something.
 */
#ifndef AG_CLOCK_H
#define AG_CLOCK_H

/* Seconds since an arbitrary start, monotonic (0 if the clock fails). */
double	ag_clock_mono(void);

#endif /* AG_CLOCK_H */
