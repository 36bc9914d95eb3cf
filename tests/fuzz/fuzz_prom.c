/*
 * fuzz_prom.c - libFuzzer harness for the two places where outside bytes
 * meet the /metrics writer (agent/ag_prom.c): the /proc/<pid>/stat parser
 * behind the process_* families, and label values and HELP text, which
 * carry names that peers gossip and drivers report.
 *
 * The parser must stay inside (buffer, length) and give NAN or a
 * non-negative number for every field.  The writer must turn any bytes
 * into one valid exposition line per sample: valid UTF-8, no raw
 * newline inside a value, every quote escaped.  A violation aborts, so
 * the fuzzer reports it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_prom.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
fuzz_stat(const char *buf, size_t len)
{
	struct ag_prom_proc_stat	st;
	const double			*f[5] = { &st.utime_ticks,
					    &st.stime_ticks,
					    &st.starttime_ticks,
					    &st.vsize_bytes, &st.rss_pages };
	int				rc, i, known = 0;

	rc = ag_prom_parse_proc_stat(buf, len, &st);
	for (i = 0; i < 5; i++) {
		check(isnan(*f[i]) || (*f[i] >= 0 && isfinite(*f[i])));
		known += !isnan(*f[i]);
	}
	check(rc == (known == 5 ? 0 : -1));
}

/* Length of the valid UTF-8 sequence at s, 0 if none (a second opinion). */
static size_t
utf8_ok(const unsigned char *s, size_t n)
{
	size_t	need, i;

	if (s[0] < 0x80)
		return 1;
	need = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 :
	    (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (need == 0 || n < need)
		return 0;
	for (i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

/* The sample line: m{v="..."} 1, with the value escaped and valid. */
static void
check_line(const char *s, size_t n)
{
	const char	*head = "m{v=\"", *tail = "\"} 1\n";
	size_t		 i, k, hl = strlen(head), tl = strlen(tail);

	check(n >= hl + tl && memcmp(s, head, hl) == 0 &&
	    memcmp(s + n - tl, tail, tl) == 0);
	for (i = hl; i < n - tl; i += k) {
		check(s[i] != '\n' && s[i] != '\0');
		if (s[i] == '\\') {
			check(s[i + 1] == '\\' || s[i + 1] == '"' ||
			    s[i + 1] == 'n');
			k = 2;
			continue;
		}
		check(s[i] != '"');
		check((k = utf8_ok((const unsigned char *)s + i,
		    n - tl - i)) != 0);
	}
	check(i == n - tl);
}

static void
fuzz_writer(const char *text)
{
	struct ag_prom	 w;
	const char	*out, *nl;
	size_t		 len, first;

	ag_prom_init(&w, 0);
	(void)ag_prom_family(&w, "m", AG_PROM_GAUGE, text);
	(void)ag_prom_sample(&w, NULL, 1, "v", text, (char *)NULL);
	check(ag_prom_error(&w) == 0);
	out = ag_prom_data(&w, &len);
	/* HELP is one line; TYPE the next; then the sample. */
	nl = memchr(out, '\n', len);
	check(nl != NULL);
	nl = memchr(nl + 1, '\n', len - (size_t)(nl + 1 - out));
	check(nl != NULL && memcmp(nl - 7, "m gauge", 7) == 0);
	first = (size_t)(nl + 1 - out);
	check_line(out + first, len - first);
	ag_prom_free(&w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	if (size > 8192)
		return 0;
	/* Exactly size bytes: the parser must not read past them. */
	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_stat(buf, size);
	free(buf);
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	buf[size] = '\0';
	fuzz_writer(buf);
	free(buf);
	return 0;
}
