/*
 * fuzz_auditlog.c - libFuzzer harness for the audit tail's line decoder
 * (agent/ag_auditlog.c, GET /v1/audit): the log is a file anyone with
 * access to the data directory can edit, and the API hands its lines out
 * as JSON.
 *
 * Two parts per input.  Every line of the input is decoded: the result is
 * an object of strings that jansson can print.  Then a round trip: the
 * input, cut at its first two NUL bytes, is an actor, an object and a
 * reason; the real writer (sec_audit_append, on a memfd) puts them on a
 * line and the decoder must give each back exactly (when it is UTF-8;
 * else the encoded text, which is ASCII).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ag_auditlog_int.h"
#include "sec_audit.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_line(const char *line, size_t len)
{
	json_t		*o, *v;
	const char	*k;
	char		*text;

	if ((o = ag_auditlog_line_json(line, len)) == NULL) {
		if (len <= SEC_AUDIT_LINE_MAX)
			abort();
		return;
	}
	json_object_foreach(o, k, v)
		if (!json_is_string(v))
			abort();
	if ((text = json_dumps(o, 0)) == NULL)
		abort();
	free(text);
	json_decref(o);
}

/* The decoded field must be s, or s was not UTF-8. */
static void
check_field(json_t *o, const char *key, const char *s)
{
	json_t	*want = json_string(s), *got = json_object_get(o, key);

	if (want == NULL)
		return;			/* not UTF-8: kept encoded */
	if (!json_equal(want, got))
		abort();
	json_decref(want);
}

static void
roundtrip(const char *in, size_t size)
{
	struct sec_audit_writer	*w = NULL;
	struct sec_audit_rec	 rec;
	char			 buf[SEC_AUDIT_LINE_MAX + 2], err[256];
	const char		*f[3];
	ssize_t			 n;
	size_t			 i, off = 0;
	int			 fd;
	json_t			*o;

	/* in[size - 1] is NUL: every field ends inside the buffer. */
	for (i = 0; i < 3; i++) {
		if (off >= size)
			return;		/* fewer than three fields */
		f[i] = in + off;
		off += strlen(in + off) + 1;
	}
	if ((fd = memfd_create("fuzz_auditlog", 0)) < 0)
		abort();
	if (sec_audit_writer_open(&w, fd, -1, err, sizeof err) != 0)
		abort();
	memset(&rec, 0, sizeof rec);
	rec.time = 1764800000;
	rec.actor = f[0];
	rec.action = "place";
	rec.object = f[1];
	rec.allowed = 1;
	rec.reason = f[2];
	if (sec_audit_append(w, &rec, err, sizeof err) == 0) {
		if ((n = pread(fd, buf, sizeof buf, 0)) <= 0 ||
		    buf[n - 1] != '\n')
			abort();
		if ((o = ag_auditlog_line_json(buf, (size_t)n - 1)) == NULL)
			abort();
		check_field(o, "actor", f[0]);
		check_field(o, "object", f[1]);
		check_field(o, "reason", f[2]);
		json_decref(o);
	}
	sec_audit_writer_free(w);
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data, *nl;
	size_t		 off = 0;
	char		*copy;

	while (off < size) {
		nl = memchr(s + off, '\n', size - off);
		check_line(s + off, (nl != NULL ? (size_t)(nl - s) : size) -
		    off);
		off = nl != NULL ? (size_t)(nl - s) + 1 : size;
	}
	/* The fields must end in NUL: a copy with one after the input. */
	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	roundtrip(copy, size + 1);
	free(copy);
	return 0;
}
