/*
 * jepsen_check.c - checks a recorded history of the Jepsen-style cluster
 * test (tests/jepsen/run.sh; the format and the properties are in
 * jepsen.h) and prints what it saw.
 *
 *	jepsen_check [--caps FILE] [--until T] [-q] HISTORY...
 *
 * Several history files (one per client, one per status poller) may be
 * given: operations are paired per process, and every check compares the
 * clients' time stamps, so the order of the files does not matter.
 * --until T: the longest leaderless window is measured up to history
 * time T only (the end of the faults).  Exit status: 0 no anomaly, 1 anomalies (each named with the operations
 * and the file:line they came from), 2 unreadable input.  The checker is
 * a thin shell around jepsen.c so the unit test can drive the same code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jepsen.h"

#define CAPS_MAX	(16u << 20)

static void
usage(void)
{
	(void)fprintf(stderr, "usage: jepsen_check [--caps FILE] [--until T] "
	    "[-q] HISTORY...\n");
	exit(2);
}

static int
load_caps(struct jep *j, const char *path)
{
	FILE	*f;
	char	*buf, err[512];
	size_t	 n;
	int	 rc;

	if ((f = fopen(path, "rb")) == NULL) {
		(void)fprintf(stderr, "jepsen_check: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if ((buf = malloc(CAPS_MAX + 1)) == NULL) {
		(void)fclose(f);
		return -1;
	}
	n = fread(buf, 1, CAPS_MAX + 1, f);
	rc = ferror(f) || n > CAPS_MAX ? -1 : 0;
	(void)fclose(f);
	if (rc != 0)
		(void)fprintf(stderr, "jepsen_check: %s: unreadable or over "
		    "%u bytes\n", path, CAPS_MAX);
	else if ((rc = jep_caps(j, buf, n, err, sizeof err)) != 0)
		(void)fprintf(stderr, "jepsen_check: %s: %s\n", path, err);
	free(buf);
	return rc;
}

static int
load_history(struct jep *j, const char *path)
{
	FILE	*f;
	char	*line = NULL, err[512];
	size_t	 cap = 0, lineno = 0;
	ssize_t	 n;
	int	 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		(void)fprintf(stderr, "jepsen_check: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if ((rc = jep_line(j, line, (size_t)n, path, ++lineno, err,
		    sizeof err)) != 0)
			(void)fprintf(stderr, "jepsen_check: %s\n", err);
	}
	if (rc == 0 && ferror(f)) {
		(void)fprintf(stderr, "jepsen_check: %s: read error\n", path);
		rc = -1;
	}
	free(line);
	(void)fclose(f);
	return rc;
}

int
main(int argc, char **argv)
{
	struct jep	*j;
	const char	*caps = NULL;
	char		*end;
	double		 until = -1;
	int		 i, quiet = 0;
	size_t		 n;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--caps") == 0 && i + 1 < argc)
			caps = argv[++i];
		else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
			until = strtod(argv[++i], &end);
			if (*end != '\0' || end == argv[i] || until < 0)
				usage();
		} else if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else
			usage();
	}
	if (i == argc)
		usage();
	if ((j = jep_new()) == NULL)
		return 2;
	if (caps != NULL && load_caps(j, caps) != 0) {
		jep_free(j);
		return 2;
	}
	for (; i < argc; i++)
		if (load_history(j, argv[i]) != 0) {
			jep_free(j);
			return 2;
		}
	if (until >= 0)
		jep_until(j, until);
	n = jep_check(j);
	if (!quiet || n > 0)
		jep_report(j, stdout);
	jep_free(j);
	if (n == (size_t)-1)
		return 2;
	(void)printf("jepsen_check: %s\n", n == 0 ? "clean" :
	    "ANOMALIES FOUND");
	return n == 0 ? 0 : 1;
}
