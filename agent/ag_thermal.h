/*
 * ag_thermal.h - predicting, on each node, whether a device will throttle:
 * its thermal RC parameters are fitted online from the temperatures the
 * node samples, and the fitted model is run forward over a horizon.
 *
 * The first-order RC model (placement/pl_thermal.h) says a device under a
 * steady load moves toward T_ss = T_amb + P*R with time constant tau =
 * R*C:  dT/dt = (T_ss - T) / tau.  That is linear in T, so a least-squares
 * line through (T, dT/dt) pairs from successive samples gives T_ss and tau
 * without knowing P, R or C separately (no power sensor needed).  When the
 * line does not describe a converging device (slope of the wrong sign:
 * still accelerating, or noise), the recent trend is extrapolated
 * linearly instead.  The prediction is the temperature at now + horizon.
 *
 * A device is flagged "will throttle" with pl_thermal's hysteresis: the
 * flag rises when the prediction reaches the pause point (throttle - 5 C)
 * and falls only when it is back at the resume point (10 C lower), so a
 * device near the line does not make the leader re-plan back and forth.
 * The flag is gossiped in the node record; the leader treats a flagged
 * device as ineligible and re-plans placements away from it.
 *
 * Pure: samples and times are passed in.
 */
#ifndef AG_THERMAL_H
#define AG_THERMAL_H

#include <stddef.h>

#define AG_THERMAL_SAMPLES	32	/* window per device */
#define AG_THERMAL_MIN_SAMPLES	5	/* before any prediction */
#define AG_THERMAL_MIN_SPAN_S	8.0	/* seconds the window must cover */
#define AG_THERMAL_DEVICES	16
#define AG_THERMAL_DEFAULT_HORIZON_S	300.0

struct ag_thermal_track {
	char	id[64];
	int	n, head;			/* ring of samples */
	double	t[AG_THERMAL_SAMPLES];
	double	temp[AG_THERMAL_SAMPLES];
	int	flagged;
	int	logged;				/* the caller's: flag it last told */
	double	predicted_c;			/* NAN: not enough data */
	double	steady_c, tau_s;		/* NAN when not fitted */
};

struct ag_thermal {
	double			horizon_s;
	double			throttle_c;
	size_t			n;
	struct ag_thermal_track	tr[AG_THERMAL_DEVICES];
};

void	ag_thermal_init(struct ag_thermal *, double horizon_s,
	    double throttle_c);
/*
 * One sample of device id at time now (seconds, monotonic).  NAN
 * temperatures are ignored.  Returns the device's flag (1: predicted to
 * throttle within the horizon) and the track (NULL when the table is
 * full).
 */
struct ag_thermal_track *ag_thermal_observe(struct ag_thermal *,
	    const char *id, double now, double temp_c);
/* Fits a window (exposed for tests): temperature at now + horizon. */
double	ag_thermal_predict(const double *t, const double *temp, int n,
	    double horizon_s, double *steady_c, double *tau_s);

#endif /* AG_THERMAL_H */
