/*
 * fuzz_procfs.c - libFuzzer harness for the text parsers behind the host
 * and telemetry readers: /proc/meminfo, /proc/cpuinfo, kernel CPU lists,
 * one-number sysfs attributes, uevent KEY=VALUE files, amdgpu pp_dpm
 * tables and NVML UUID strings.
 *
 * Those files come from the kernel (or, under a test root, from anywhere),
 * so every parser must stay inside (buffer, length), never need a NUL, and
 * return sane values.  Every input goes through every parser (the seed
 * corpus is real files of each kind), and results are checked against the
 * parsers' contracts: a violation aborts, so the fuzzer reports it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "be_host.h"
#include "be_telemetry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
check_text(const char *s, size_t size)
{
	size_t	i, n = strnlen(s, size);

	check(n < size);
	for (i = 0; i < n; i++)
		check(s[i] >= 0x20 && s[i] < 0x7f);
}

static void
fuzz_host(const char *buf, size_t len)
{
	struct be_meminfo	m;
	struct be_cpuinfo	c;
	int			n, first;

	(void)be_parse_meminfo(buf, len, &m);
	check(isnan(m.total_bytes) || m.total_bytes >= 0);
	check(isnan(m.available_bytes) || m.available_bytes >= 0);

	n = be_parse_cpuinfo(buf, len, &c);
	check(n == 0 || n == -1);
	check_text(c.model, sizeof c.model);
	check(c.threads == -1 || c.threads > 0);
	check(c.cores == -1 || (c.cores > 0 && c.cores <= c.threads));

	n = be_parse_cpulist(buf, len, &first);
	check(n >= -1 && n <= (1 << 20));
	check(n > 0 ? first >= 0 && first < (1 << 20) : first == -1);
}

static void
fuzz_sysfs(const char *buf, size_t len)
{
	static const char *const	keys[] = { "DRIVER", "PCI_SLOT_NAME",
	    "OF_NAME", "X" };
	char				val[64];
	double				v;
	size_t				i;
	uint8_t				uuid[16];
	char				*s;

	/*
	 * At most 18 digits: 999999999999999999 is the largest, and as a
	 * double it rounds to exactly 1e18, so the bound is inclusive.
	 */
	if (be_parse_sysfs_number(buf, len, &v) == 0)
		check(!isnan(v) && fabs(v) <= 1e18);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (be_parse_uevent(buf, len, keys[i], val, sizeof val) == 0)
			check(strnlen(val, sizeof val) < sizeof val);
		else
			check(val[0] == '\0');
	}
	if (be_parse_dpm_current(buf, len, &v) == 0)
		check(v >= 0 && v < 1e9);

	/* The UUID parser takes a C string, as NVML hands it over. */
	if ((s = malloc(len + 1)) == NULL)
		return;
	memcpy(s, buf, len);
	s[len] = '\0';
	(void)be_nvml_parse_uuid(s, uuid);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Same cap as the reader: bigger files are cut before parsing. */
	if (size > BE_CPUINFO_MAX)
		size = BE_CPUINFO_MAX;
	fuzz_host((const char *)data, size);
	fuzz_sysfs((const char *)data, size);
	return 0;
}
