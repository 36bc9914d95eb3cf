/*
 * ag_prom.c - the Prometheus text exposition writer; see ag_prom.h.
 *
 * Shape: every byte goes through put(), which grows one buffer up to the
 * cap and turns the writer into a sticky error state on the first
 * failure, so the collectors in ag_node_metrics.c write without checking
 * each call and the handler checks once at the end.  Checks that guard
 * the format (names, one declaration per family, suffixes by type) live
 * here rather than in the collectors, where they would be repeated.
 */
#include "ag_prom.h"
#include "be_telemetry.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP	(16 * 1024)
#define EXACT_INT_MAX	9007199254740992.0	/* 2^53 */

static const char *const type_names[] = {
	[AG_PROM_COUNTER] = "counter",
	[AG_PROM_GAUGE] = "gauge",
	[AG_PROM_HISTOGRAM] = "histogram",
};

static int	fail(struct ag_prom *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void
ag_prom_init(struct ag_prom *w, size_t max)
{
	memset(w, 0, sizeof *w);
	w->max = max != 0 ? max : AG_PROM_MAX_BYTES;
}

void
ag_prom_free(struct ag_prom *w)
{
	size_t	i;

	for (i = 0; i < w->nseen; i++)
		free(w->seen[i]);
	free(w->seen);
	free(w->buf);
	ag_prom_init(w, w->max);
}

static int
fail(struct ag_prom *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->error == 0) {
		va_start(ap, fmt);
		(void)vsnprintf(w->why, sizeof w->why, fmt, ap);
		va_end(ap);
	}
	w->error = -1;
	return -1;
}

int
ag_prom_error(const struct ag_prom *w)
{
	return w->error;
}

const char *
ag_prom_why(const struct ag_prom *w)
{
	return w->why;
}

/* --- output --------------------------------------------------------------- */

/* Appends n bytes; the buffer always keeps room for a final NUL. */
static int
put(struct ag_prom *w, const char *s, size_t n)
{
	size_t	 cap;
	char	*p;

	if (w->error != 0)
		return -1;
	if (n > w->max - w->len)
		return fail(w, "output over %zu bytes", w->max);
	if (w->len + n > w->cap) {
		cap = w->cap != 0 ? w->cap : INITIAL_CAP;
		while (cap < w->len + n)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		if ((p = realloc(w->buf, cap + 1)) == NULL)
			return fail(w, "out of memory");
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	return 0;
}

static int
puts_(struct ag_prom *w, const char *s)
{
	return put(w, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		need, i;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/*
 * Escaped text: \ and newline always, " too inside a label value;
 * invalid UTF-8 becomes U+FFFD (Prometheus refuses the whole scrape
 * otherwise, and names can come from peers and drivers).
 */
static int
put_escaped(struct ag_prom *w, const char *s, int quote)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, k;

	while (i < n) {
		if (p[i] == '\\')
			(void)put(w, "\\\\", 2);
		else if (p[i] == '\n')
			(void)put(w, "\\n", 2);
		else if (p[i] == '"' && quote)
			(void)put(w, "\\\"", 2);
		else if ((k = utf8_len(p + i, n - i)) == 0)
			(void)put(w, "\xef\xbf\xbd", 3);
		else {
			(void)put(w, s + i, k);
			i += k;
			continue;
		}
		i++;
	}
	return w->error;
}

void
ag_prom_format(double v, char *buf, size_t size)
{
	int	prec;

	if (isnan(v))
		(void)snprintf(buf, size, "NaN");
	else if (isinf(v))
		(void)snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) <= EXACT_INT_MAX)
		(void)snprintf(buf, size, "%.0f", v);
	else {
		/* The shortest text that reads back as the same double. */
		for (prec = 15; prec < 17; prec++) {
			(void)snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				return;
		}
		(void)snprintf(buf, size, "%.17g", v);
	}
}

/* --- names ---------------------------------------------------------------- */

static int
name_chars_ok(const char *s, int colon)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n >= AG_PROM_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char	c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c == '_' || (colon && c == ':'))
			continue;
		if (i > 0 && c >= '0' && c <= '9')
			continue;
		return 0;
	}
	return 1;
}

int
ag_prom_name_valid(const char *s)
{
	return s != NULL && name_chars_ok(s, 1);
}

int
ag_prom_label_name_valid(const char *s)
{
	return s != NULL && name_chars_ok(s, 0) && strncmp(s, "__", 2) != 0;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* --- families and samples ------------------------------------------------- */

static int
remember(struct ag_prom *w, const char *name)
{
	char	**p, *copy;
	size_t	  i;

	for (i = 0; i < w->nseen; i++)
		if (strcmp(w->seen[i], name) == 0)
			return fail(w, "family %s declared twice", name);
	if (w->nseen >= AG_PROM_MAX_FAMILIES)
		return fail(w, "over %d families", AG_PROM_MAX_FAMILIES);
	if ((p = realloc(w->seen, (w->nseen + 1) * sizeof *p)) == NULL)
		return fail(w, "out of memory");
	w->seen = p;
	if ((copy = strdup(name)) == NULL)
		return fail(w, "out of memory");
	w->seen[w->nseen++] = copy;
	return 0;
}

int
ag_prom_family(struct ag_prom *w, const char *name, enum ag_prom_type type,
    const char *help)
{
	if (w->error != 0)
		return -1;
	if (!ag_prom_name_valid(name))
		return fail(w, "bad metric name");
	if ((unsigned)type > AG_PROM_HISTOGRAM)
		return fail(w, "%s: bad type", name);
	if (type == AG_PROM_COUNTER && !ends_with(name, "_total"))
		return fail(w, "counter %s does not end in _total", name);
	if (remember(w, name) != 0)
		return -1;
	(void)snprintf(w->family, sizeof w->family, "%s", name);
	w->type = type;
	(void)puts_(w, "# HELP ");
	(void)puts_(w, name);
	(void)put(w, " ", 1);
	(void)put_escaped(w, help != NULL ? help : "", 0);
	(void)puts_(w, "\n# TYPE ");
	(void)puts_(w, name);
	(void)put(w, " ", 1);
	(void)puts_(w, type_names[type]);
	return put(w, "\n", 1);
}

/* The suffix fits the current family's type. */
static int
suffix_ok(const struct ag_prom *w, const char *suffix)
{
	if (w->type != AG_PROM_HISTOGRAM)
		return suffix[0] == '\0';
	return strcmp(suffix, "_bucket") == 0 || strcmp(suffix, "_sum") == 0 ||
	    strcmp(suffix, "_count") == 0;
}

static int
labels_ok(struct ag_prom *w, const char *suffix,
    const struct ag_prom_label *l, size_t n)
{
	size_t	i, k;
	int	le = 0;

	if (n > AG_PROM_MAX_LABELS)
		return fail(w, "%s: over %d labels", w->family,
		    AG_PROM_MAX_LABELS);
	for (i = 0; i < n; i++) {
		if (!ag_prom_label_name_valid(l[i].name))
			return fail(w, "%s: bad label name", w->family);
		if (l[i].value == NULL)
			return fail(w, "%s: label %s has no value", w->family,
			    l[i].name);
		for (k = 0; k < i; k++)
			if (strcmp(l[k].name, l[i].name) == 0)
				return fail(w, "%s: label %s twice",
				    w->family, l[i].name);
		le += strcmp(l[i].name, "le") == 0;
	}
	if (le != (strcmp(suffix, "_bucket") == 0))
		return fail(w, "%s%s: le label %s", w->family, suffix,
		    le ? "outside _bucket" : "missing");
	return 0;
}

static int
sample_text(struct ag_prom *w, const char *suffix,
    const struct ag_prom_label *l, size_t n, const char *value)
{
	size_t	i;

	if (w->error != 0)
		return -1;
	if (w->family[0] == '\0')
		return fail(w, "sample before any family");
	if (suffix == NULL)
		suffix = "";
	if (!suffix_ok(w, suffix))
		return fail(w, "%s: suffix \"%s\" does not fit a %s",
		    w->family, suffix, type_names[w->type]);
	if (labels_ok(w, suffix, l, n) != 0)
		return -1;
	(void)puts_(w, w->family);
	(void)puts_(w, suffix);
	for (i = 0; i < n; i++) {
		(void)put(w, i == 0 ? "{" : ",", 1);
		(void)puts_(w, l[i].name);
		(void)put(w, "=\"", 2);
		(void)put_escaped(w, l[i].value, 1);
		(void)put(w, "\"", 1);
	}
	if (n > 0)
		(void)put(w, "}", 1);
	(void)put(w, " ", 1);
	(void)puts_(w, value);
	return put(w, "\n", 1);
}

int
ag_prom_samplev(struct ag_prom *w, const char *suffix,
    const struct ag_prom_label *l, size_t n, double value)
{
	char	text[32];

	ag_prom_format(value, text, sizeof text);
	return sample_text(w, suffix, l, n, text);
}

int
ag_prom_sample_u64(struct ag_prom *w, const char *suffix,
    const struct ag_prom_label *l, size_t n, uint64_t value)
{
	char	text[32];

	(void)snprintf(text, sizeof text, "%llu", (unsigned long long)value);
	return sample_text(w, suffix, l, n, text);
}

int
ag_prom_sample(struct ag_prom *w, const char *suffix, double value, ...)
{
	struct ag_prom_label	l[AG_PROM_MAX_LABELS];
	const char		*name;
	size_t			 n = 0;
	va_list			 ap;

	va_start(ap, value);
	while ((name = va_arg(ap, const char *)) != NULL) {
		if (n == AG_PROM_MAX_LABELS) {
			va_end(ap);
			return fail(w, "%s: over %d labels", w->family,
			    AG_PROM_MAX_LABELS);
		}
		l[n].name = name;
		if ((l[n++].value = va_arg(ap, const char *)) == NULL)
			break;
	}
	va_end(ap);
	return ag_prom_samplev(w, suffix, l, n, value);
}

int
ag_prom_histogram(struct ag_prom *w, const struct ag_prom_label *labels,
    size_t n, const double *bounds, const uint64_t *counts, size_t nbounds,
    double sum)
{
	struct ag_prom_label	l[AG_PROM_MAX_LABELS];
	char			le[32];
	uint64_t		total = 0;
	size_t			i;

	if (w->error != 0)
		return -1;
	if (w->family[0] == '\0' || w->type != AG_PROM_HISTOGRAM)
		return fail(w, "histogram outside a histogram family");
	if (n >= AG_PROM_MAX_LABELS)
		return fail(w, "%s: over %d labels", w->family,
		    AG_PROM_MAX_LABELS);
	if (n > 0)
		memcpy(l, labels, n * sizeof *l);
	l[n].name = "le";
	l[n].value = le;
	for (i = 0; i <= nbounds; i++) {
		if (i < nbounds && (!isfinite(bounds[i]) ||
		    (i > 0 && bounds[i] <= bounds[i - 1])))
			return fail(w, "%s: bucket bounds not finite and "
			    "increasing", w->family);
		if (counts[i] > UINT64_MAX - total)
			return fail(w, "%s: bucket counts overflow", w->family);
		total += counts[i];
		ag_prom_format(i < nbounds ? bounds[i] : INFINITY, le,
		    sizeof le);
		(void)ag_prom_sample_u64(w, "_bucket", l, n + 1, total);
	}
	(void)ag_prom_samplev(w, "_sum", l, n, sum);
	return ag_prom_sample_u64(w, "_count", l, n, total);
}

const char *
ag_prom_data(const struct ag_prom *w, size_t *len)
{
	*len = w->len;
	return w->buf != NULL ? w->buf : "";
}

char *
ag_prom_take(struct ag_prom *w, size_t *len)
{
	char	*p;

	if (w->buf == NULL && (w->buf = malloc(1)) == NULL) {
		ag_prom_free(w);
		return NULL;
	}
	p = w->buf;
	p[w->len] = '\0';
	*len = w->len;
	w->buf = NULL;
	ag_prom_free(w);
	return p;
}

/* --- /proc/self/stat ------------------------------------------------------ */

/* Where a field (1-based, as proc(5) numbers them) is stored, or NULL. */
static double *
stat_field(struct ag_prom_proc_stat *st, int field)
{
	switch (field) {
	case 14:
		return &st->utime_ticks;
	case 15:
		return &st->stime_ticks;
	case 22:
		return &st->starttime_ticks;
	case 23:
		return &st->vsize_bytes;
	case 24:
		return &st->rss_pages;
	}
	return NULL;
}

int
ag_prom_parse_proc_stat(const char *buf, size_t len,
    struct ag_prom_proc_stat *st)
{
	size_t	 i, start;
	int	 field = 2, got = 0;
	double	*dst, v;

	st->utime_ticks = st->stime_ticks = st->starttime_ticks = NAN;
	st->vsize_bytes = st->rss_pages = NAN;
	if (len > AG_PROM_PROC_STAT_MAX)
		len = AG_PROM_PROC_STAT_MAX;
	len = strnlen(buf, len);
	for (i = len; i > 0 && buf[i - 1] != ')'; i--)
		continue;
	if (i == 0)
		return -1;
	/* Fields 3.. are separated by single spaces; the line ends at \n. */
	while (i < len && buf[i] != '\n' && field < 24) {
		while (i < len && buf[i] == ' ')
			i++;
		start = i;
		while (i < len && buf[i] != ' ' && buf[i] != '\n')
			i++;
		if (i == start)
			break;
		field++;
		if ((dst = stat_field(st, field)) != NULL &&
		    be_parse_sysfs_number(buf + start, i - start, &v) == 0 &&
		    v >= 0) {
			*dst = v;
			got++;
		}
	}
	return got == 5 ? 0 : -1;
}
