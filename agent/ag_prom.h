/*
 * ag_prom.h - a writer for the Prometheus text exposition format
 * (version 0.0.4), the body of the agent's GET /metrics.
 *
 * It knows nothing about the agent: ag_node_metrics.c gathers node state
 * and calls in.  The writer is strict so that a mistake shows up in the
 * unit tests rather than as a scrape Prometheus rejects whole: metric and
 * label names are validated, a family is declared once (HELP and TYPE)
 * before its samples, sample suffixes must fit the family's type
 * (_bucket/_sum/_count for histograms), counters end in _total, label
 * values are escaped (\\ \" \n) and made valid UTF-8, and values are
 * spelled exactly (integers as integers, other numbers as the shortest
 * text that reads back to the same double, +Inf/-Inf/NaN as Prometheus
 * spells them).  The output grows in one buffer with a hard cap; the
 * first error is sticky, so callers write everything and check once.
 *
 * Also here, because it is pure and belongs to the standard process_*
 * families: a bounded parser of /proc/<pid>/stat.
 */
#ifndef AG_PROM_H
#define AG_PROM_H

#include <stddef.h>
#include <stdint.h>

#define AG_PROM_MAX_BYTES	(4u * 1024 * 1024)	/* default cap */
#define AG_PROM_MAX_FAMILIES	1024
#define AG_PROM_NAME_MAX	128	/* metric and label names, bytes */
#define AG_PROM_MAX_LABELS	16	/* per sample, "le" included */

enum ag_prom_type {
	AG_PROM_COUNTER,
	AG_PROM_GAUGE,
	AG_PROM_HISTOGRAM,
};

struct ag_prom_label {
	const char	*name;
	const char	*value;		/* any bytes; escaped */
};

struct ag_prom {
	char			*buf;
	size_t			 len, cap, max;
	char			 family[AG_PROM_NAME_MAX];	/* now */
	enum ag_prom_type	 type;
	char			**seen;		/* families so far */
	size_t			 nseen;
	int			 error;		/* sticky: 0, -1 */
	char			 why[160];	/* the first error */
};

/* max: the output cap in bytes, 0 for AG_PROM_MAX_BYTES. */
void		 ag_prom_init(struct ag_prom *, size_t max);
void		 ag_prom_free(struct ag_prom *);

/*
 * Starts a family: "# HELP name help" and "# TYPE name type".  -1 (and
 * the writer in error) for a bad name, a name already declared, a
 * counter not ending in _total, or the cap.
 */
int		 ag_prom_family(struct ag_prom *, const char *name,
		    enum ag_prom_type, const char *help);
/*
 * One sample of the current family: name = family name + suffix (NULL
 * or "" for counters and gauges), then labels given as name, value
 * pairs ending with NULL.
 */
int		 ag_prom_sample(struct ag_prom *, const char *suffix,
		    double value, ...) __attribute__((sentinel));
/* The same with a label array, and with an exact unsigned value. */
int		 ag_prom_samplev(struct ag_prom *, const char *suffix,
		    const struct ag_prom_label *, size_t nlabels, double value);
int		 ag_prom_sample_u64(struct ag_prom *, const char *suffix,
		    const struct ag_prom_label *, size_t nlabels, uint64_t);
/*
 * A whole histogram series of the current (histogram) family: bounds
 * strictly increasing and finite; counts[0..nbounds] per bucket, NOT
 * cumulative (counts[nbounds] is above the last bound).  Writes the
 * cumulative _bucket{le=...} lines up to le="+Inf", then _sum and
 * _count (the total of the counts).
 */
int		 ag_prom_histogram(struct ag_prom *,
		    const struct ag_prom_label *, size_t nlabels,
		    const double *bounds, const uint64_t *counts,
		    size_t nbounds, double sum);

/* 0, or -1 once anything failed (ag_prom_why says what). */
int		 ag_prom_error(const struct ag_prom *);
const char	*ag_prom_why(const struct ag_prom *);
/* The text so far (not NUL-terminated beyond len). */
const char	*ag_prom_data(const struct ag_prom *, size_t *len);
/* Hands the malloc'd text over (NUL-terminated); the writer is reset. */
char		*ag_prom_take(struct ag_prom *, size_t *len);

/* Name rules: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*
 * (not starting with "__", reserved).  1 if valid. */
int		 ag_prom_name_valid(const char *);
int		 ag_prom_label_name_valid(const char *);
/* A value as the format spells it into buf (>= 32 bytes). */
void		 ag_prom_format(double, char *, size_t);

/* What the process_* families need from /proc/self/stat; NAN unknown. */
struct ag_prom_proc_stat {
	double	utime_ticks;		/* field 14 */
	double	stime_ticks;		/* field 15 */
	double	starttime_ticks;	/* field 22, since boot */
	double	vsize_bytes;		/* field 23 */
	double	rss_pages;		/* field 24 */
};
#define AG_PROM_PROC_STAT_MAX	4096	/* bytes of the file parsed */

/*
 * Parses buf[0..len) (no NUL needed; at most AG_PROM_PROC_STAT_MAX bytes
 * looked at): the fields after the last ')' (the command name may hold
 * spaces and parentheses).  0 when every field above was read, -1
 * otherwise; the fields that were read are set either way.
 */
int		 ag_prom_parse_proc_stat(const char *buf, size_t len,
		    struct ag_prom_proc_stat *);

#endif /* AG_PROM_H */
