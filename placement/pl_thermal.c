/*
 * pl_thermal.c - the thermal RC model (see pl_thermal.h for the physics).
 *
 * Closed forms only: the ODE is linear with constant coefficients, so the
 * exact solution is cheaper and more accurate than stepping it.
 */
#include "pl_thermal.h"

#include <math.h>

int
pl_thermal_valid(const struct pl_thermal *t)
{
	if (!isfinite(t->temperature_c) || !isfinite(t->ambient_c) ||
	    !isfinite(t->throttle_c) || !isfinite(t->r_c_per_w) ||
	    !isfinite(t->c_j_per_c) || !isfinite(t->power_w))
		return -1;
	if (t->r_c_per_w <= 0 || t->c_j_per_c <= 0 || t->power_w < 0)
		return -1;
	if (t->temperature_c < -273.15 || t->ambient_c < -273.15)
		return -1;
	return 0;
}

double
pl_thermal_temp_at(const struct pl_thermal *t, double power_w, double t_s)
{
	double	ss, tau;

	ss = t->ambient_c + power_w * t->r_c_per_w;
	tau = t->r_c_per_w * t->c_j_per_c;
	if (t_s <= 0)
		return t->temperature_c;
	return ss + (t->temperature_c - ss) * exp(-t_s / tau);
}

double
pl_thermal_time_to(const struct pl_thermal *t, double power_w, double target_c)
{
	double	ss, tau, num, den;

	ss = t->ambient_c + power_w * t->r_c_per_w;
	tau = t->r_c_per_w * t->c_j_per_c;
	den = t->temperature_c - ss;
	num = target_c - ss;
	if (den == 0)
		return target_c == t->temperature_c ? 0 : INFINITY;
	/* Heading up (den < 0) or down (den > 0): already past the target? */
	if ((den < 0 && target_c <= t->temperature_c) ||
	    (den > 0 && target_c >= t->temperature_c))
		return 0;
	/* The target must lie strictly between now and the steady state. */
	if (num / den <= 0)
		return INFINITY;
	return -tau * log(num / den);
}

double
pl_thermal_pause_c(double throttle_c)
{
	return throttle_c - PL_THERMAL_MARGIN_C;
}

double
pl_thermal_resume_c(double throttle_c)
{
	return pl_thermal_pause_c(throttle_c) - PL_THERMAL_HYST_C;
}

int
pl_thermal_step(int paused, double temp_c, double throttle_c)
{
	if (paused)
		return temp_c > pl_thermal_resume_c(throttle_c);
	return temp_c >= pl_thermal_pause_c(throttle_c);
}

enum pl_thermal_verdict
pl_thermal_assess(const struct pl_thermal *t, double job_s, double *factor)
{
	double	pause, e, head, phi;

	*factor = 0;
	if (pl_thermal_valid(t) != 0)
		return PL_THERMAL_EXCLUDE;
	if (pl_thermal_step(t->paused, t->temperature_c, t->throttle_c))
		return PL_THERMAL_EXCLUDE;
	pause = pl_thermal_pause_c(t->throttle_c);
	if (job_s <= 0 || t->power_w == 0 ||
	    pl_thermal_temp_at(t, t->power_w, job_s) < pause) {
		*factor = 1;
		return PL_THERMAL_OK;
	}
	/*
	 * T(job) is linear in the power: solve T(job; phi*P) = pause for
	 * phi.  Throughput is taken as proportional to power (a coarse DVFS
	 * model), so compute and bandwidth scale by phi as well.
	 */
	e = exp(-job_s / (t->r_c_per_w * t->c_j_per_c));
	head = pause - t->ambient_c - (t->temperature_c - t->ambient_c) * e;
	phi = head / (t->power_w * t->r_c_per_w * (1 - e));
	if (!isfinite(phi) || phi < PL_THERMAL_MIN_FACTOR)
		return PL_THERMAL_EXCLUDE;
	if (phi > 1)
		phi = 1;
	*factor = phi;
	return PL_THERMAL_DERATE;
}
