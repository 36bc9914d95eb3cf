/*
 * ag_thermal.c - online RC fit and throttle prediction; see ag_thermal.h.
 */
#include "ag_thermal.h"

#include "pl_thermal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TAU_MAX_S	7200.0

void
ag_thermal_init(struct ag_thermal *th, double horizon_s, double throttle_c)
{
	memset(th, 0, sizeof *th);
	th->horizon_s = horizon_s > 0 ? horizon_s :
	    AG_THERMAL_DEFAULT_HORIZON_S;
	th->throttle_c = throttle_c;
}

double
ag_thermal_predict(const double *t, const double *temp, int n,
    double horizon_s, double *steady_c, double *tau_s)
{
	double	sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, dt, b, a, m;
	double	last = temp[n - 1], span = t[n - 1] - t[0];
	int	i, k = 0;

	*steady_c = *tau_s = NAN;
	if (n < AG_THERMAL_MIN_SAMPLES || !(span >= AG_THERMAL_MIN_SPAN_S))
		return NAN;
	for (i = 1; i < n; i++) {
		if (!((dt = t[i] - t[i - 1]) > 0))
			continue;
		x = (temp[i] + temp[i - 1]) / 2;	/* T */
		y = (temp[i] - temp[i - 1]) / dt;	/* dT/dt */
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		k++;
	}
	if (k < AG_THERMAL_MIN_SAMPLES - 1)
		return NAN;
	m = (double)k;
	/* dT/dt = a - b*T, i.e. b = 1/tau, a = T_ss/tau. */
	if (sxx * m - sx * sx > 1e-9) {
		b = -(m * sxy - sx * sy) / (m * sxx - sx * sx);
		a = (sy + b * sx) / m;
		if (b > 1.0 / TAU_MAX_S && isfinite(a)) {
			*tau_s = 1.0 / b;
			*steady_c = a / b;
			return *steady_c + (last - *steady_c) *
			    exp(-horizon_s / *tau_s);
		}
	}
	/* Not converging (or flat): the trend, straight on. */
	return last + (last - temp[0]) / span * horizon_s;
}

static struct ag_thermal_track *
track(struct ag_thermal *th, const char *id)
{
	struct ag_thermal_track	*tr;
	size_t			 i;

	for (i = 0; i < th->n; i++)
		if (strcmp(th->tr[i].id, id) == 0)
			return &th->tr[i];
	if (th->n >= AG_THERMAL_DEVICES)
		return NULL;
	tr = &th->tr[th->n++];
	memset(tr, 0, sizeof *tr);
	(void)snprintf(tr->id, sizeof tr->id, "%s", id);
	tr->predicted_c = tr->steady_c = tr->tau_s = NAN;
	return tr;
}

struct ag_thermal_track *
ag_thermal_observe(struct ag_thermal *th, const char *id, double now,
    double temp_c)
{
	struct ag_thermal_track	*tr = track(th, id);
	double			 t[AG_THERMAL_SAMPLES], v[AG_THERMAL_SAMPLES];
	int			 i, k;

	if (tr == NULL || !isfinite(temp_c))
		return tr;
	if (tr->n > 0 && now <= tr->t[(tr->head + AG_THERMAL_SAMPLES - 1) %
	    AG_THERMAL_SAMPLES])
		return tr;		/* same instant again: nothing new */
	tr->t[tr->head] = now;
	tr->temp[tr->head] = temp_c;
	tr->head = (tr->head + 1) % AG_THERMAL_SAMPLES;
	if (tr->n < AG_THERMAL_SAMPLES)
		tr->n++;
	/* Oldest first. */
	for (i = 0; i < tr->n; i++) {
		k = (tr->head + AG_THERMAL_SAMPLES - tr->n + i) %
		    AG_THERMAL_SAMPLES;
		t[i] = tr->t[k];
		v[i] = tr->temp[k];
	}
	tr->predicted_c = ag_thermal_predict(t, v, tr->n, th->horizon_s,
	    &tr->steady_c, &tr->tau_s);
	/* The hotter of now and the prediction drives the hysteresis. */
	tr->flagged = pl_thermal_step(tr->flagged, isfinite(tr->predicted_c) &&
	    tr->predicted_c > temp_c ? tr->predicted_c : temp_c,
	    th->throttle_c);
	return tr;
}
