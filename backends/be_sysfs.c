/*
 * be_sysfs.c - readings from the kernel's sysfs: batteries and AC adapters
 * (power_supply), thermal zones, and GPUs through DRM cards and their hwmon
 * directories (amdgpu, i915, xe, nouveau, …).
 *
 * Shaped around three rules.  Everything lives under a root directory
 * argument, so tests point it at fixture trees (tests/fixtures/sysfs/) and
 * production at "/".  Every number comes from one small file read through
 * be_sysfs_read (bounded, regular files only) and be_parse_sysfs_number (a
 * strict pure parser), so a missing or garbled file turns into NAN for that
 * one field and nothing else.  Directory scans keep at most a fixed number
 * of matching entries and sort them, so the result does not depend on
 * readdir order and a huge directory cannot make us loop forever.
 */
#include "be_telemetry.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_VISIT_MAX	4096	/* readdir entries looked at per directory */
#define SCAN_NAME_MAX	64
#define HWMON_TEMP_MAX	16	/* temp1..temp16 looked at */
#define REL_MAX		512

struct scan_ent {
	char	name[SCAN_NAME_MAX];
	long	key;
};

/* ---- files --------------------------------------------------------------- */

static int
join(char *dst, size_t size, const char *root, const char *rel)
{
	size_t	rl;
	int	n;

	if (root == NULL)
		root = "/";
	rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl >= size)
		return -1;
	n = snprintf(dst, size, "%.*s%s", (int)rl, root, rel);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return 0;
}

ssize_t
be_sysfs_read(const char *root, const char *rel, char *buf, size_t cap,
    bool *truncated)
{
	char		path[PATH_MAX];
	struct stat	st;
	size_t		got = 0;
	ssize_t		n;
	int		fd;
	char		c;

	if (truncated != NULL)
		*truncated = false;
	if (buf == NULL || cap == 0)
		return -1;
	buf[0] = '\0';
	if (rel == NULL || join(path, sizeof path, root, rel) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)close(fd);
		return -1;
	}
	while (got < cap - 1) {
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)close(fd);
			buf[0] = '\0';
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got == cap - 1 && truncated != NULL) {
		do
			n = read(fd, &c, 1);
		while (n < 0 && errno == EINTR);
		*truncated = n > 0;
	}
	buf[got] = '\0';
	(void)close(fd);
	return (ssize_t)got;
}

double
be_sysfs_number(const char *root, const char *rel)
{
	char	buf[128];
	ssize_t	n;
	double	v;

	/* A number file bigger than buf is not a number file. */
	if ((n = be_sysfs_read(root, rel, buf, sizeof buf, NULL)) < 0)
		return NAN;
	if (be_parse_sysfs_number(buf, (size_t)n, &v) != 0)
		return NAN;
	return v;
}

static double
numf(const char *root, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static double
numf(const char *root, const char *fmt, ...)
{
	char	rel[REL_MAX];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof rel)
		return NAN;
	return be_sysfs_number(root, rel);
}

/* be_sysfs_read of a printf-formatted relative path. */
static ssize_t
readf(const char *root, char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static ssize_t
readf(const char *root, char *buf, size_t cap, const char *fmt, ...)
{
	char	rel[REL_MAX];
	va_list	ap;
	int	n;

	buf[0] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof rel)
		return -1;
	return be_sysfs_read(root, rel, buf, cap, NULL);
}

/* Strips trailing white space in place. */
static void
rstrip(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * One line of text (first line, trimmed, anything but printable ASCII
 * replaced by '?' since records end up in JSON); -1 and "" when unreadable.
 */
static int
textf(const char *root, char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
textf(const char *root, char *buf, size_t cap, const char *fmt, ...)
{
	char	rel[REL_MAX];
	char	*nl;
	va_list	ap;
	int	n;

	buf[0] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof rel, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof rel)
		return -1;
	if (be_sysfs_read(root, rel, buf, cap, NULL) < 0)
		return -1;
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	rstrip(buf);
	for (nl = buf; *nl != '\0'; nl++)
		if (!isprint((unsigned char)*nl))
			*nl = '?';
	return 0;
}

/* Only plain names are joined into paths: no '/', no "..", printable. */
static bool
safe_name(const char *s)
{
	if (s[0] == '\0' || s[0] == '.')
		return false;
	for (; *s != '\0'; s++)
		if (*s == '/' || !isgraph((unsigned char)*s))
			return false;
	return true;
}

/* ---- directory scans ----------------------------------------------------- */

static int
ent_cmp(const void *a, const void *b)
{
	const struct scan_ent	*x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* "prefix<digits>" -> digits as key; -1 when the name is anything else. */
static long
numbered(const char *name, const char *prefix)
{
	size_t	pl = strlen(prefix), i;
	long	v = 0;

	if (strncmp(name, prefix, pl) != 0 || name[pl] == '\0')
		return -1;
	for (i = pl; name[i] != '\0'; i++) {
		if (!isdigit((unsigned char)name[i]) || i - pl >= 9)
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

/*
 * Entries of <root><rel>: with prefix, only "prefix<N>" sorted by N;
 * without, every plain name sorted by name.  At most max kept (the first
 * seen; *dropped counts the rest).  Returns the count, -1 when the
 * directory cannot be opened.
 */
static int
scan_dir(const char *root, const char *rel, const char *prefix,
    struct scan_ent *ents, int max, int *dropped)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*e;
	int		 n = 0, visited = 0;
	long		 key;

	*dropped = 0;
	if (join(path, sizeof path, root, rel) != 0)
		return -1;
	if ((d = opendir(path)) == NULL)
		return -1;
	while (visited++ < SCAN_VISIT_MAX && (e = readdir(d)) != NULL) {
		if (!safe_name(e->d_name) ||
		    strlen(e->d_name) >= SCAN_NAME_MAX)
			continue;
		key = 0;
		if (prefix != NULL && (key = numbered(e->d_name, prefix)) < 0)
			continue;
		if (n >= max) {
			(*dropped)++;
			continue;
		}
		be_strlcpy(ents[n].name, e->d_name, sizeof ents[n].name);
		ents[n].key = key;
		n++;
	}
	(void)closedir(d);
	qsort(ents, (size_t)n, sizeof ents[0], ent_cmp);
	return n;
}

/* ---- pure parsers ---------------------------------------------------------- */

int
be_parse_sysfs_number(const char *buf, size_t len, double *out)
{
	size_t		i = 0, digits = 0;
	long long	v = 0;
	bool		neg = false;

	len = strnlen(buf, len);
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i < len && (buf[i] == '-' || buf[i] == '+'))
		neg = buf[i++] == '-';
	while (i < len && isdigit((unsigned char)buf[i])) {
		if (++digits > 18)
			return -1;
		v = v * 10 + (buf[i++] - '0');
	}
	if (digits == 0)
		return -1;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i != len)
		return -1;
	*out = neg ? -(double)v : (double)v;
	return 0;
}

int
be_parse_uevent(const char *buf, size_t len, const char *key, char *val,
    size_t valsz)
{
	size_t		klen = strlen(key), pos = 0, end, vlen;
	const char	*nl;

	if (valsz == 0)
		return -1;
	val[0] = '\0';
	if (klen == 0)
		return -1;
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		if (end - pos > klen && memcmp(buf + pos, key, klen) == 0 &&
		    buf[pos + klen] == '=') {
			vlen = end - pos - klen - 1;
			if (vlen > valsz - 1)
				vlen = valsz - 1;
			memcpy(val, buf + pos + klen + 1, vlen);
			val[vlen] = '\0';
			/* A NUL inside the value ends it. */
			return 0;
		}
		pos = end + 1;
	}
	return -1;
}

/* One pp_dpm line "N: 1800Mhz *": 0 and *mhz when it is the marked one. */
static int
dpm_line(const char *s, size_t len, double *mhz)
{
	size_t	i = 0, digits = 0;
	double	v = 0;

	if (memchr(s, '*', len) == NULL)
		return -1;
	while (i < len && s[i] != ':')
		i++;
	if (i++ >= len)
		return -1;
	while (i < len && s[i] == ' ')
		i++;
	while (i < len && isdigit((unsigned char)s[i])) {
		if (++digits > 9)
			return -1;
		v = v * 10 + (s[i++] - '0');
	}
	if (digits == 0 || len - i < 3 || strncasecmp(s + i, "mhz", 3) != 0)
		return -1;
	*mhz = v;
	return 0;
}

int
be_parse_dpm_current(const char *buf, size_t len, double *mhz)
{
	size_t		pos = 0, end;
	const char	*nl;

	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		if (dpm_line(buf + pos, end - pos, mhz) == 0)
			return 0;
		pos = end + 1;
	}
	return -1;
}

double
be_sysfs_power_from_energy(double prev_uj, double prev_t, double now_uj,
    double now_t)
{
	if (isnan(prev_uj) || isnan(prev_t) || isnan(now_uj) || isnan(now_t))
		return NAN;
	if (!(now_t > prev_t) || now_uj < prev_uj)
		return NAN;
	return (now_uj - prev_uj) / 1e6 / (now_t - prev_t);
}

/* ---- batteries and AC ------------------------------------------------------ */

#define PS	"/sys/class/power_supply"

static void
battery_init(struct be_battery *b)
{
	memset(b, 0, sizeof *b);
	b->capacity_ratio = NAN;
	b->energy_now_wh = NAN;
	b->energy_full_wh = NAN;
	b->power_watts = NAN;
	b->temperature_celsius = NAN;
	b->ac_online = -1;
}

static bool
is_ac_type(const char *type)
{
	return strcmp(type, "Mains") == 0 || strncmp(type, "USB", 3) == 0 ||
	    strcmp(type, "Wireless") == 0 || strcmp(type, "BrickID") == 0;
}

static bool
plausible_celsius(double c)
{
	return c >= -273.15 && c <= 500;	/* false for NAN */
}

static double
nonneg(double v)
{
	return v >= 0 ? v : NAN;	/* NAN stays NAN */
}

static void
battery_fill(const char *root, const char *name, struct be_battery *b)
{
	double	cap, volt, now, full, cur, vnow;

	b->present = true;
	be_strlcpy(b->name, name, sizeof b->name);
	(void)textf(root, b->status, sizeof b->status, PS "/%s/status", name);

	vnow = nonneg(numf(root, PS "/%s/voltage_now", name));
	now = nonneg(numf(root, PS "/%s/energy_now", name));
	full = nonneg(numf(root, PS "/%s/energy_full", name));
	if (!isnan(now) || !isnan(full)) {
		b->energy_now_wh = now / 1e6;
		b->energy_full_wh = full / 1e6;
	} else {
		/* µAh × µV = 1e-12 Wh; nominal voltage, else present one. */
		volt = nonneg(numf(root, PS "/%s/voltage_min_design", name));
		if (isnan(volt) || volt == 0)
			volt = vnow;
		now = nonneg(numf(root, PS "/%s/charge_now", name));
		full = nonneg(numf(root, PS "/%s/charge_full", name));
		b->energy_now_wh = now * volt / 1e12;
		b->energy_full_wh = full * volt / 1e12;
	}

	cap = numf(root, PS "/%s/capacity", name);
	if (cap >= 0 && cap <= 100)
		b->capacity_ratio = cap / 100;
	else if (b->energy_full_wh > 0 && b->energy_now_wh >= 0)
		b->capacity_ratio = fmin(1.0,
		    b->energy_now_wh / b->energy_full_wh);

	b->power_watts = fabs(numf(root, PS "/%s/power_now", name)) / 1e6;
	if (isnan(b->power_watts)) {
		cur = fabs(numf(root, PS "/%s/current_now", name));
		b->power_watts = cur * vnow / 1e12;
	}
	b->temperature_celsius = numf(root, PS "/%s/temp", name) / 10;
	if (!plausible_celsius(b->temperature_celsius))
		b->temperature_celsius = NAN;
}

int
be_power_read(const char *root, struct be_battery *out,
    const struct be_log *log)
{
	struct scan_ent	ents[BE_SYSFS_SCAN_MAX];
	char		type[32], scope[32];
	double		present, online;
	int		n, i, dropped, ac = -1;

	battery_init(out);
	n = scan_dir(root, PS, NULL, ents, BE_SYSFS_SCAN_MAX, &dropped);
	if (n < 0) {
		be_infof(log, "power: no %s", PS);
		return -1;
	}
	if (dropped > 0)
		be_logf(log, "power: %d power supplies beyond %d ignored",
		    dropped, BE_SYSFS_SCAN_MAX);
	for (i = 0; i < n; i++) {
		const char *name = ents[i].name;

		if (textf(root, type, sizeof type, PS "/%s/type", name) != 0)
			continue;
		if (is_ac_type(type)) {
			online = numf(root, PS "/%s/online", name);
			if (online > 0)
				ac = 1;
			else if (online == 0 && ac < 0)
				ac = 0;
			continue;
		}
		if (strcmp(type, "Battery") != 0 || out->present)
			continue;
		present = numf(root, PS "/%s/present", name);
		if (present == 0)
			continue;
		if (textf(root, scope, sizeof scope, PS "/%s/scope", name) == 0 &&
		    strcmp(scope, "Device") == 0)
			continue;
		battery_fill(root, name, out);
	}
	out->ac_online = ac;
	return n;
}

/* ---- thermal zones ----------------------------------------------------------- */

#define TZ	"/sys/class/thermal"

int
be_thermal_read(const char *root, struct be_thermal_zone *out, int max,
    const struct be_log *log)
{
	struct scan_ent	ents[BE_SYSFS_SCAN_MAX];
	double		mc;
	int		n, i, dropped, count = 0, unusable = 0;

	if (out == NULL || max <= 0)
		return 0;
	n = scan_dir(root, TZ, "thermal_zone", ents, BE_SYSFS_SCAN_MAX,
	    &dropped);
	if (n < 0)
		return 0;
	if (dropped > 0)
		be_logf(log, "thermal: %d zones beyond %d ignored", dropped,
		    BE_SYSFS_SCAN_MAX);
	for (i = 0; i < n && count < max; i++) {
		mc = numf(root, TZ "/%s/temp", ents[i].name);
		if (!plausible_celsius(mc / 1000)) {
			unusable++;	/* a sensor that is off, or broken */
			continue;
		}
		out[count].temperature_celsius = mc / 1000;
		if (textf(root, out[count].type, sizeof out[count].type,
		    TZ "/%s/type", ents[i].name) != 0)
			out[count].type[0] = '\0';
		count++;
	}
	if (unusable > 0)
		be_infof(log, "thermal: %d zones without a usable temp",
		    unusable);
	if (i < n)
		be_infof(log, "thermal: %d zones beyond %d ignored", n - i, max);
	return count;
}

/* ---- GPUs through DRM ----------------------------------------------------------- */

#define DRM	"/sys/class/drm"

/* Lower is better: the temperature that means "the GPU". */
static int
temp_rank(const char *label)
{
	if (strcmp(label, "edge") == 0)
		return 0;
	if (strcmp(label, "pkg") == 0 || strcmp(label, "gpu") == 0)
		return 1;
	if (label[0] == '\0')
		return 2;
	return 3;
}

static void
hwmon_temp(const char *root, const char *hw, struct be_telemetry *t)
{
	char	label[32];
	double	c, best = NAN;
	int	i, rank, best_rank = 99;

	for (i = 1; i <= HWMON_TEMP_MAX; i++) {
		c = numf(root, "%s/temp%d_input", hw, i) / 1000;
		if (!plausible_celsius(c))
			continue;
		(void)textf(root, label, sizeof label, "%s/temp%d_label", hw,
		    i);
		rank = temp_rank(label);
		if (rank < best_rank) {
			best_rank = rank;
			best = c;
		}
	}
	t->temperature_celsius = best;
}

/* freq<i>_input (Hz) by label "sclk"/"mclk", else freq1 = sclk, 2 = mclk. */
static void
hwmon_freq(const char *root, const char *hw, struct be_telemetry *t)
{
	char	label[32];
	double	hz;
	int	i;

	for (i = 1; i <= 2; i++) {
		hz = nonneg(numf(root, "%s/freq%d_input", hw, i));
		if (isnan(hz))
			continue;
		if (textf(root, label, sizeof label, "%s/freq%d_label", hw,
		    i) != 0)
			be_strlcpy(label, i == 1 ? "sclk" : "mclk",
			    sizeof label);
		if (strcmp(label, "sclk") == 0)
			t->clock_graphics_mhz = hz / 1e6;
		else if (strcmp(label, "mclk") == 0)
			t->clock_memory_mhz = hz / 1e6;
	}
}

/* What the card's first hwmon directory offers, whatever the driver. */
static void
gpu_hwmon(const char *root, const char *card, struct be_gpu_sysfs *g)
{
	struct scan_ent	ents[8];
	char		dev[REL_MAX], hw[REL_MAX];
	double		uw;
	int		n, dropped, len;

	len = snprintf(dev, sizeof dev, DRM "/%s/device/hwmon", card);
	if (len < 0 || (size_t)len >= sizeof dev)
		return;
	if ((n = scan_dir(root, dev, "hwmon", ents, 8, &dropped)) <= 0)
		return;
	len = snprintf(hw, sizeof hw, "%s/%s", dev, ents[0].name);
	if (len < 0 || (size_t)len >= sizeof hw)
		return;
	hwmon_temp(root, hw, &g->t);
	uw = nonneg(numf(root, "%s/power1_average", hw));
	if (isnan(uw))
		uw = nonneg(numf(root, "%s/power1_input", hw));
	g->t.power_watts = uw / 1e6;
	hwmon_freq(root, hw, &g->t);
	g->energy_uj = nonneg(numf(root, "%s/energy1_input", hw));
}

static void
gpu_amdgpu(const char *root, const char *card, struct be_gpu_sysfs *g)
{
	char	buf[1024];
	double	busy, mhz;
	ssize_t	n;

	g->memory_total_bytes = nonneg(numf(root,
	    DRM "/%s/device/mem_info_vram_total", card));
	g->t.memory_total_bytes = g->memory_total_bytes;
	g->t.memory_used_bytes = nonneg(numf(root,
	    DRM "/%s/device/mem_info_vram_used", card));
	busy = numf(root, DRM "/%s/device/gpu_busy_percent", card);
	if (busy >= 0 && busy <= 100)
		g->t.utilization_ratio = busy / 100;
	/* Older kernels have no freq*_input: the marked DPM level. */
	if (isnan(g->t.clock_graphics_mhz)) {
		if ((n = readf(root, buf, sizeof buf,
		    DRM "/%s/device/pp_dpm_sclk", card)) > 0 &&
		    be_parse_dpm_current(buf, (size_t)n, &mhz) == 0)
			g->t.clock_graphics_mhz = mhz;
	}
	if (isnan(g->t.clock_memory_mhz)) {
		if ((n = readf(root, buf, sizeof buf,
		    DRM "/%s/device/pp_dpm_mclk", card)) > 0 &&
		    be_parse_dpm_current(buf, (size_t)n, &mhz) == 0)
			g->t.clock_memory_mhz = mhz;
	}
}

static void
gpu_intel(const char *root, const char *card, struct be_gpu_sysfs *g)
{
	double	mhz;

	if (strcmp(g->driver, "xe") == 0)
		mhz = numf(root, DRM "/%s/device/tile0/gt0/freq0/cur_freq",
		    card);
	else {
		mhz = numf(root, DRM "/%s/gt_cur_freq_mhz", card);
		if (isnan(mhz))
			mhz = numf(root, DRM "/%s/gt/gt0/rps_cur_freq_mhz",
			    card);
	}
	if (mhz >= 0)
		g->t.clock_graphics_mhz = mhz;
}

static uint32_t
pci_id(const char *root, const char *card, const char *file)
{
	char		buf[32], *end;
	unsigned long	v;

	if (textf(root, buf, sizeof buf, DRM "/%s/device/%s", card, file) != 0)
		return 0;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno != 0 || end == buf || *end != '\0' || v > 0xffff)
		return 0;
	return (uint32_t)v;
}

/* 0 when card is a PCI GPU and g is filled; -1 to skip it. */
static int
gpu_card(const char *root, const char *card, struct be_gpu_sysfs *g,
    const struct be_log *log)
{
	char	buf[4096], slot[64];
	ssize_t	n;

	memset(g, 0, sizeof *g);
	be_telemetry_init(&g->t);
	g->memory_total_bytes = NAN;
	g->energy_uj = NAN;
	be_strlcpy(g->card, card, sizeof g->card);

	if ((n = readf(root, buf, sizeof buf, DRM "/%s/device/uevent",
	    card)) < 0)
		return -1;
	if (be_parse_uevent(buf, (size_t)n, "PCI_SLOT_NAME", slot,
	    sizeof slot) != 0)
		return -1;		/* platform or virtual device */
	if (be_pci_parse(slot, &g->pci) != 0) {
		be_logf(log, "drm: %s: bad PCI_SLOT_NAME \"%s\"", card, slot);
		return -1;
	}
	(void)be_parse_uevent(buf, (size_t)n, "DRIVER", g->driver,
	    sizeof g->driver);
	g->vendor_id = pci_id(root, card, "vendor");
	g->device_id = pci_id(root, card, "device");
	be_strlcpy(g->t.source, g->driver, sizeof g->t.source);

	gpu_hwmon(root, card, g);
	if (strcmp(g->driver, "amdgpu") == 0)
		gpu_amdgpu(root, card, g);
	else if (strcmp(g->driver, "i915") == 0 || strcmp(g->driver, "xe") == 0)
		gpu_intel(root, card, g);
	return 0;
}

int
be_sysfs_gpus(const char *root, struct be_gpu_sysfs *out, int max,
    const struct be_log *log)
{
	struct scan_ent	ents[BE_SYSFS_SCAN_MAX];
	int		n, i, dropped, count = 0;

	if (out == NULL || max <= 0)
		return 0;
	n = scan_dir(root, DRM, "card", ents, BE_SYSFS_SCAN_MAX, &dropped);
	if (n < 0)
		return 0;
	if (n > BE_SYSFS_GPU_MAX) {
		be_logf(log, "drm: %d cards beyond %d ignored",
		    n - BE_SYSFS_GPU_MAX, BE_SYSFS_GPU_MAX);
		n = BE_SYSFS_GPU_MAX;
	}
	for (i = 0; i < n; i++) {
		if (count >= max) {
			be_logf(log, "drm: more than %d GPUs, %s and later "
			    "ignored", max, ents[i].name);
			break;
		}
		if (gpu_card(root, ents[i].name, &out[count], log) == 0)
			count++;
	}
	return count;
}
