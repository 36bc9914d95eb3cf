/*
 * be_cpu.c - the node's own facts: host name, CPU model, physical cores and
 * logical threads, memory total and available, plus battery and thermal
 * readings from be_sysfs.c, gathered into struct be_node.
 *
 * /proc/cpuinfo and /proc/meminfo are parsed by pure functions over
 * (buffer, length) so the fuzz harness can feed them anything; the reader
 * caps cpuinfo at BE_CPUINFO_MAX and says when it did.  cpuinfo differs by
 * architecture (x86 has "model name" and "physical id"/"core id"; arm64 has
 * neither, only implementer and part numbers; 32-bit ARM, MIPS, POWER and
 * RISC-V name the CPU under other keys), so what cpuinfo cannot say comes
 * from the per-CPU topology files in sysfs.  Everything is read under a
 * root directory so tests run on fixture trees.
 */
#include "be_host.h"
#include "be_telemetry.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MEMINFO_MAX	(64u * 1024)
#define CPULIST_MAX	4096		/* bytes of one cpu list file */
#define CPU_NUM_MAX	(1 << 20)	/* CPU numbers above are garbage */
#define CPUDIR		"/sys/devices/system/cpu"

/* Copies [s, s+len) trimmed, white-space runs folded, non-ASCII -> '?'. */
static void
clean_copy(char *dst, size_t size, const char *s, size_t len)
{
	size_t	i, o = 0;
	bool	space = false;

	for (i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isspace(c) || c == '\0') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < size)
			dst[o++] = ' ';
		space = false;
		dst[o++] = isprint(c) ? (char)c : '?';
	}
	dst[o] = '\0';
}

/* Decimal digits at s[*i..len), at most maxd; -1 when none or too many. */
static long long
digits(const char *s, size_t len, size_t *i, int maxd)
{
	long long	v = 0;
	int		n = 0;

	while (*i < len && isdigit((unsigned char)s[*i])) {
		if (++n > maxd)
			return -1;
		v = v * 10 + (s[(*i)++] - '0');
	}
	return n == 0 ? -1 : v;
}

/* ---- /proc/meminfo ---------------------------------------------------------- */

/* "   123456 kB" -> bytes; NAN on anything else. */
static double
meminfo_value(const char *s, size_t len)
{
	size_t		i = 0;
	long long	v;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if ((v = digits(s, len, &i, 15)) < 0)
		return NAN;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i == len)
		return (double)v;
	if (len - i == 2 && (s[i] == 'k' || s[i] == 'K') && s[i + 1] == 'B')
		return (double)v * 1024;
	return NAN;
}

int
be_parse_meminfo(const char *buf, size_t len, struct be_meminfo *out)
{
	size_t		pos = 0, end, klen;
	const char	*nl, *colon;

	out->total_bytes = NAN;
	out->available_bytes = NAN;
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		colon = memchr(buf + pos, ':', end - pos);
		if (colon != NULL) {
			klen = (size_t)(colon - (buf + pos));
			if (klen == 8 && memcmp(buf + pos, "MemTotal", 8) == 0 &&
			    isnan(out->total_bytes))
				out->total_bytes = meminfo_value(colon + 1,
				    end - klen - pos - 1);
			else if (klen == 12 &&
			    memcmp(buf + pos, "MemAvailable", 12) == 0 &&
			    isnan(out->available_bytes))
				out->available_bytes = meminfo_value(colon + 1,
				    end - klen - pos - 1);
		}
		pos = end + 1;
	}
	return isnan(out->total_bytes) ? -1 : 0;
}

/* ---- /proc/cpuinfo ---------------------------------------------------------- */

/* Keys naming the CPU, best first. */
static const char *const model_keys[] = {
	"model name",	/* x86, some arm */
	"cpu model",	/* MIPS */
	"Processor",	/* 32-bit ARM */
	"Hardware",	/* ARM SoC */
	"cpu",		/* POWER */
	"uarch",	/* RISC-V */
};
#define NMODEL_KEYS	(sizeof model_keys / sizeof model_keys[0])

struct arm_part {
	unsigned int	impl;
	unsigned int	part;
	const char	*name;
};

/* A few common cores; anything else is named by its numbers. */
static const struct arm_part arm_parts[] = {
	{ 0x41, 0xd03, "Cortex-A53" },
	{ 0x41, 0xd05, "Cortex-A55" },
	{ 0x41, 0xd07, "Cortex-A57" },
	{ 0x41, 0xd08, "Cortex-A72" },
	{ 0x41, 0xd09, "Cortex-A73" },
	{ 0x41, 0xd0a, "Cortex-A75" },
	{ 0x41, 0xd0b, "Cortex-A76" },
	{ 0x41, 0xd0c, "Neoverse-N1" },
	{ 0x41, 0xd0d, "Cortex-A77" },
	{ 0x41, 0xd40, "Neoverse-V1" },
	{ 0x41, 0xd41, "Cortex-A78" },
	{ 0x41, 0xd44, "Cortex-X1" },
	{ 0x41, 0xd49, "Neoverse-N2" },
	{ 0x41, 0xd4f, "Neoverse-V2" },
};

static const char *
arm_implementer(unsigned int impl)
{
	switch (impl) {
	case 0x41:
		return "ARM";
	case 0x42:
		return "Broadcom";
	case 0x48:
		return "HiSilicon";
	case 0x4e:
		return "NVIDIA";
	case 0x51:
		return "Qualcomm";
	case 0x61:
		return "Apple";
	case 0xc0:
		return "Ampere";
	}
	return NULL;
}

struct cpuinfo_state {
	struct be_cpuinfo	*out;
	int			 model_rank;	/* NMODEL_KEYS = none yet */
	long			 impl, part;	/* -1 unknown */
	bool			 in_block;
	long long		 phys, core;	/* current block; -1 unseen */
	bool			 pairs_missing;
	uint64_t		*pairs;
	size_t			 npairs;
};

static void
block_flush(struct cpuinfo_state *st)
{
	if (!st->in_block)
		return;
	if (st->phys < 0 || st->core < 0 || st->pairs == NULL ||
	    st->npairs >= BE_CPU_SCAN_MAX)
		st->pairs_missing = true;
	else
		st->pairs[st->npairs++] =
		    (uint64_t)st->phys << 32 | (uint64_t)st->core;
	st->in_block = false;
}

/* "0x41" (or decimal) at [s, s+len); -1 when not a number. */
static long
small_number(const char *s, size_t len)
{
	char		buf[16];
	char		*end;
	unsigned long	v;

	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	v = strtoul(buf, &end, 0);
	if (*end != '\0' || v > 0xffff)
		return -1;
	return (long)v;
}

static void
cpuinfo_line(struct cpuinfo_state *st, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	size_t		i, k = 0;
	long long	v;

	if (klen == 9 && memcmp(key, "processor", 9) == 0) {
		v = digits(val, vlen, &k, 9);
		if (v < 0 || k != vlen)
			return;		/* s390's "processor 0:" etc. */
		block_flush(st);
		st->in_block = true;
		st->phys = st->core = -1;
		if (st->out->threads < 0)
			st->out->threads = 0;
		if (st->out->threads < INT32_MAX)
			st->out->threads++;
		return;
	}
	if (klen == 11 && memcmp(key, "physical id", 11) == 0) {
		v = digits(val, vlen, &k, 9);
		st->phys = k == vlen ? v : -1;
		return;
	}
	if (klen == 7 && memcmp(key, "core id", 7) == 0) {
		v = digits(val, vlen, &k, 9);
		st->core = k == vlen ? v : -1;
		return;
	}
	if (klen == 15 && memcmp(key, "CPU implementer", 15) == 0) {
		if (st->impl < 0)
			st->impl = small_number(val, vlen);
		return;
	}
	if (klen == 8 && memcmp(key, "CPU part", 8) == 0) {
		if (st->part < 0)
			st->part = small_number(val, vlen);
		return;
	}
	for (i = 0; i < NMODEL_KEYS && (int)i < st->model_rank; i++) {
		if (klen == strlen(model_keys[i]) &&
		    memcmp(key, model_keys[i], klen) == 0 && vlen > 0) {
			clean_copy(st->out->model, sizeof st->out->model, val,
			    vlen);
			if (st->out->model[0] != '\0')
				st->model_rank = (int)i;
			return;
		}
	}
}

static void
arm_model(struct cpuinfo_state *st)
{
	const char	*vendor;
	size_t		 i;

	if (st->impl < 0 || st->part < 0)
		return;
	for (i = 0; i < sizeof arm_parts / sizeof arm_parts[0]; i++) {
		if (arm_parts[i].impl == (unsigned long)st->impl &&
		    arm_parts[i].part == (unsigned long)st->part) {
			(void)snprintf(st->out->model, sizeof st->out->model,
			    "ARM %s", arm_parts[i].name);
			return;
		}
	}
	if ((vendor = arm_implementer((unsigned int)st->impl)) != NULL)
		(void)snprintf(st->out->model, sizeof st->out->model,
		    "%s part 0x%03lx", vendor, st->part);
	else
		(void)snprintf(st->out->model, sizeof st->out->model,
		    "implementer 0x%02lx part 0x%03lx", st->impl, st->part);
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
be_parse_cpuinfo(const char *buf, size_t len, struct be_cpuinfo *out)
{
	struct cpuinfo_state	 st;
	size_t			 pos = 0, end, ks, ke, vs, ve, i;
	const char		*nl, *colon;

	memset(out, 0, sizeof *out);
	out->threads = -1;
	out->cores = -1;
	memset(&st, 0, sizeof st);
	st.out = out;
	st.model_rank = (int)NMODEL_KEYS;
	st.impl = st.part = -1;
	st.phys = st.core = -1;
	st.pairs = malloc(BE_CPU_SCAN_MAX * sizeof st.pairs[0]);

	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		end = nl != NULL ? (size_t)(nl - buf) : len;
		colon = memchr(buf + pos, ':', end - pos);
		if (colon != NULL) {
			ks = pos;
			ke = (size_t)(colon - buf);
			while (ke > ks && isspace((unsigned char)buf[ke - 1]))
				ke--;
			vs = (size_t)(colon - buf) + 1;
			while (vs < end && isspace((unsigned char)buf[vs]))
				vs++;
			ve = end;
			while (ve > vs && isspace((unsigned char)buf[ve - 1]))
				ve--;
			cpuinfo_line(&st, buf + ks, ke - ks, buf + vs, ve - vs);
		}
		pos = end + 1;
	}
	block_flush(&st);
	if (out->model[0] == '\0')
		arm_model(&st);
	if (!st.pairs_missing && st.npairs > 0) {
		qsort(st.pairs, st.npairs, sizeof st.pairs[0], u64_cmp);
		out->cores = 1;
		for (i = 1; i < st.npairs; i++)
			if (st.pairs[i] != st.pairs[i - 1])
				out->cores++;
	}
	free(st.pairs);
	return out->threads > 0 || out->model[0] != '\0' ? 0 : -1;
}

/* ---- kernel CPU lists ----------------------------------------------------- */

typedef int (*cpu_fn)(int cpu, void *arg);

/* Calls fn for every CPU in the list; -1 when malformed or fn says stop. */
static int
cpulist_walk(const char *buf, size_t len, cpu_fn fn, void *arg)
{
	size_t		i = 0;
	long long	a, b, c;
	long long	total = 0;

	len = strnlen(buf, len);
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	while (i < len) {
		if ((a = digits(buf, len, &i, 7)) < 0 || a >= CPU_NUM_MAX)
			return -1;
		b = a;
		if (i < len && buf[i] == '-') {
			i++;
			if ((b = digits(buf, len, &i, 7)) < 0 ||
			    b >= CPU_NUM_MAX || b < a)
				return -1;
		}
		if ((total += b - a + 1) > CPU_NUM_MAX)
			return -1;
		for (c = a; fn != NULL && c <= b; c++)
			if (fn((int)c, arg) != 0)
				return -1;
		if (i < len && buf[i++] != ',')
			return -1;
		if (i == len && buf[len - 1] == ',')
			return -1;
	}
	return (int)total;
}

static int
lowest_cpu(int cpu, void *arg)
{
	int	*first = arg;

	if (*first < 0 || cpu < *first)
		*first = cpu;
	return 0;
}

int
be_parse_cpulist(const char *buf, size_t len, int *first)
{
	int	lo = -1, n;

	n = cpulist_walk(buf, len, lowest_cpu, &lo);
	if (first != NULL)
		*first = n > 0 ? lo : -1;
	return n;
}

/* ---- be_host_read ----------------------------------------------------------- */

struct core_count {
	const char	*root;
	int		 cores;
	int		 visited;
	bool		 unknown;
};

/* A CPU that is the lowest of its core's siblings stands for that core. */
static int
count_core(int cpu, void *arg)
{
	struct core_count	*cc = arg;
	char			 rel[128], buf[CPULIST_MAX];
	ssize_t			 n;
	int			 first;

	if (++cc->visited > BE_CPU_SCAN_MAX) {
		cc->unknown = true;
		return -1;
	}
	(void)snprintf(rel, sizeof rel, CPUDIR "/cpu%d/topology/core_cpus_list",
	    cpu);
	if ((n = be_sysfs_read(cc->root, rel, buf, sizeof buf, NULL)) < 0) {
		(void)snprintf(rel, sizeof rel,
		    CPUDIR "/cpu%d/topology/thread_siblings_list", cpu);
		n = be_sysfs_read(cc->root, rel, buf, sizeof buf, NULL);
	}
	if (n < 0 || be_parse_cpulist(buf, (size_t)n, &first) <= 0) {
		cc->unknown = true;
		return -1;
	}
	if (first == cpu)
		cc->cores++;
	return 0;
}

/* Threads and cores from sysfs, for what cpuinfo could not say. */
static void
host_cpu_sysfs(const char *root, struct be_node *out, bool need_threads,
    bool need_cores)
{
	char			buf[CPULIST_MAX];
	struct core_count	cc;
	ssize_t			n;
	int			count;

	n = be_sysfs_read(root, CPUDIR "/online", buf, sizeof buf, NULL);
	if (n < 0)
		return;
	count = be_parse_cpulist(buf, (size_t)n, NULL);
	if (need_threads && count > 0)
		out->cpu_threads = count;
	if (!need_cores || count <= 0)
		return;
	memset(&cc, 0, sizeof cc);
	cc.root = root;
	if (cpulist_walk(buf, (size_t)n, count_core, &cc) > 0 && !cc.unknown &&
	    cc.cores > 0)
		out->cpu_cores = cc.cores;
}

static void
host_cpu(const char *root, struct be_node *out, const struct be_log *log)
{
	struct be_cpuinfo	ci;
	char			*buf;
	ssize_t			 n;
	bool			 truncated = false;

	if ((buf = malloc(BE_CPUINFO_MAX + 1)) == NULL) {
		be_logf(log, "host: out of memory reading /proc/cpuinfo");
		n = -1;
	} else
		n = be_sysfs_read(root, "/proc/cpuinfo", buf,
		    BE_CPUINFO_MAX + 1, &truncated);
	if (n < 0) {
		be_logf(log, "host: cannot read /proc/cpuinfo");
		memset(&ci, 0, sizeof ci);
		ci.threads = ci.cores = -1;
	} else {
		(void)be_parse_cpuinfo(buf, (size_t)n, &ci);
		if (truncated) {
			be_infof(log, "host: /proc/cpuinfo exceeds %u bytes, "
			    "counts taken from sysfs", BE_CPUINFO_MAX);
			ci.threads = ci.cores = -1;
		}
	}
	free(buf);
	be_strlcpy(out->cpu_model, ci.model, sizeof out->cpu_model);
	out->cpu_threads = ci.threads > 0 ? ci.threads : -1;
	out->cpu_cores = ci.cores > 0 ? ci.cores : -1;
	if (out->cpu_threads < 0 || out->cpu_cores < 0)
		host_cpu_sysfs(root, out, out->cpu_threads < 0,
		    out->cpu_cores < 0);
	if (out->cpu_model[0] == '\0')
		be_logf(log, "host: CPU model unknown");
	if (out->cpu_threads < 0)
		be_logf(log, "host: CPU thread count unknown");
	if (out->cpu_cores < 0)
		be_logf(log, "host: CPU core count unknown");
}

static void
host_memory(const char *root, struct be_node *out, const struct be_log *log)
{
	struct be_meminfo	mi;
	char			*buf;
	ssize_t			 n;

	if ((buf = malloc(MEMINFO_MAX)) == NULL) {
		be_logf(log, "host: out of memory reading /proc/meminfo");
		return;
	}
	n = be_sysfs_read(root, "/proc/meminfo", buf, MEMINFO_MAX, NULL);
	if (n < 0)
		be_logf(log, "host: cannot read /proc/meminfo");
	else if (be_parse_meminfo(buf, (size_t)n, &mi) != 0)
		be_logf(log, "host: no MemTotal in /proc/meminfo");
	else {
		out->memory_total_bytes = mi.total_bytes;
		out->memory_available_bytes = mi.available_bytes;
	}
	free(buf);
}

static void
host_name(const char *root, struct be_node *out, const struct be_log *log)
{
	char	buf[256];

	if (strcmp(root, "/") == 0) {
		if (gethostname(buf, sizeof buf) != 0) {
			be_logf(log, "host: gethostname failed");
			return;
		}
		buf[sizeof buf - 1] = '\0';
	} else if (be_sysfs_read(root, "/proc/sys/kernel/hostname", buf,
	    sizeof buf, NULL) < 0) {
		be_logf(log, "host: cannot read /proc/sys/kernel/hostname");
		return;
	}
	clean_copy(out->hostname, sizeof out->hostname, buf,
	    strcspn(buf, "\n"));
}

int
be_host_read(const char *root, struct be_node *out, const struct be_log *log)
{
	int	n;

	if (root == NULL)
		root = "/";
	be_node_init(out);
	host_name(root, out, log);
	host_cpu(root, out, log);
	host_memory(root, out, log);
	(void)be_power_read(root, &out->battery, log);
	n = be_thermal_read(root, out->zones, BE_MAX_ZONES, log);
	out->nzones = n > 0 ? n : 0;
	return 0;
}
