/*
 * fuzz_opencl.c - libFuzzer harness for the OpenCL driver's version
 * strings (backends/be_opencl.c: CL_DEVICE_VERSION "OpenCL 3.0 PoCL ...",
 * CL_DEVICE_OPENCL_C_VERSION "OpenCL C 1.2 ...").  A driver is code we
 * do not control, so its text is untrusted input like a peer's.
 *
 * Oracle: a parse succeeds exactly when the text is the prefix, 1-3
 * digits, '.', 1-3 digits, then the end or a blank - checked by a second,
 * independent reading - and the numbers are those digits.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "be_opencl_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Digits at s[*i..]: their value, or -1 if not 1..3 of them. */
static long
digits(const char *s, size_t *i)
{
	size_t	start = *i;
	long	v = 0;

	while (isdigit((unsigned char)s[*i]) && *i - start < 4)
		v = v * 10 + (s[(*i)++] - '0');
	return *i == start || *i - start > 3 ? -1 : v;
}

static void
check(const char *s, const char *prefix)
{
	size_t		i = strlen(prefix);
	unsigned	maj = 0, min = 0;
	long		a = -1, b = -1;
	int		want, got;

	want = strncmp(s, prefix, i) == 0 && (a = digits(s, &i)) >= 0 &&
	    s[i++] == '.' && (b = digits(s, &i)) >= 0 &&
	    (s[i] == '\0' || isspace((unsigned char)s[i]));
	got = be_cl_parse_version(s, prefix, &maj, &min) == 0;
	if (want != got || (got && (maj != (unsigned)a || min != (unsigned)b)))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size > 4096)
		return 0;		/* the backend reads at most that */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check(s, "OpenCL ");
	check(s, "OpenCL C ");
	free(s);
	return 0;
}
