/*
 * pl_thermal.h - first-order thermal RC model of a device, and the
 * placement verdict it gives.
 *
 * A device is one thermal capacitance C (J/°C) joined to ambient through a
 * resistance R (°C/W) and heated by its power draw P (W):
 *
 *	dT/dt = (P*R - (T - T_amb)) / (R*C)
 *	T(t)  = T_amb + P*R + (T0 - T_amb - P*R) * exp(-t / (R*C))
 *
 * (heating when T0 is below the steady state T_amb + P*R, cooling above).
 * The executor pauses a device PL_THERMAL_MARGIN_C below its throttle
 * point and resumes it only once it has cooled PL_THERMAL_HYST_C further
 * (hysteresis, so a device near the limit does not flap).  For placement
 * a device is excluded while paused, derated when a job of the given
 * length would drive it to the pause point at full power, or used as is.
 *
 * Every function is pure: the current temperature, the paused state and
 * the job length are inputs; nothing here reads a clock or a sensor.
 */
#ifndef PL_THERMAL_H
#define PL_THERMAL_H

#define PL_THERMAL_MARGIN_C	5.0	/* pause this far below throttle */
#define PL_THERMAL_HYST_C	10.0	/* resume this far below pause */
#define PL_THERMAL_MIN_FACTOR	0.25	/* derating below this excludes */

struct pl_thermal {
	double	temperature_c;	/* now */
	double	ambient_c;
	double	throttle_c;	/* hardware throttle point */
	double	r_c_per_w;	/* R, > 0 */
	double	c_j_per_c;	/* C, > 0 */
	double	power_w;	/* draw at full load, >= 0 */
	int	paused;		/* executor state: paused for heat now */
};

enum pl_thermal_verdict {
	PL_THERMAL_OK,		/* full speed for the whole job */
	PL_THERMAL_DERATE,	/* run at *factor of full speed */
	PL_THERMAL_EXCLUDE	/* do not place on it */
};

/* 0 when the parameters are usable (finite, R, C > 0, power >= 0). */
int	pl_thermal_valid(const struct pl_thermal *);
/* Temperature after t seconds at power_w, starting from temperature_c. */
double	pl_thermal_temp_at(const struct pl_thermal *, double power_w,
	    double t_s);
/* Seconds until target_c is reached at power_w; INFINITY if never, 0 if
 * already there (in the direction of travel). */
double	pl_thermal_time_to(const struct pl_thermal *, double power_w,
	    double target_c);
/* Pause point and resume point for a throttle point. */
double	pl_thermal_pause_c(double throttle_c);
double	pl_thermal_resume_c(double throttle_c);
/*
 * Hysteresis step: the paused state after observing temp_c.  A running
 * device pauses at or above the pause point; a paused one resumes only at
 * or below the resume point.
 */
int	pl_thermal_step(int paused, double temp_c, double throttle_c);
/*
 * Verdict for running a job of job_s seconds now.  *factor (0..1] is the
 * fraction of full power (and so of compute and memory bandwidth) that
 * keeps the device below the pause point for the whole job: 1 for OK,
 * less for DERATE, 0 for EXCLUDE.
 */
enum pl_thermal_verdict pl_thermal_assess(const struct pl_thermal *,
	    double job_s, double *factor);

#endif /* PL_THERMAL_H */
