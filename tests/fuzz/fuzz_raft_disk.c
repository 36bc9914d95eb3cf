/*
 * fuzz_raft_disk.c - libFuzzer harness for the readers of raft's files
 * (net/net_raft_disk.c): the log scan (torn tail or damage), the metadata
 * and the snapshot header and body.
 *
 * The first input byte says which file the rest becomes (0 the log, 1 the
 * metadata, 2 the snapshot; the others are absent), in a private
 * temporary directory.  Checks beyond memory safety (a violation aborts):
 *  - a refused open says why;
 *  - an accepted one loads (or says why the snapshot is bad), with
 *    consecutive entries from start_index, all sharing one batch, and
 *    start_index 1 when there is no snapshot;
 *  - cutting a torn tail is idempotent: opening again finds nothing more
 *    to cut and the same entries.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <raft.h>

#include "net_raft_disk.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static char	tmpdir[64];

static void
cleanup(void)
{
	char	path[128];

	(void)net_raft_disk_wipe(tmpdir, NULL, 0);
	(void)snprintf(path, sizeof path, "%s/raft", tmpdir);
	(void)rmdir(path);
	(void)rmdir(tmpdir);
}

static const char *
dir(void)
{
	if (tmpdir[0] == '\0') {
		(void)snprintf(tmpdir, sizeof tmpdir,
		    "/tmp/fuzz_raft_disk.XXXXXX");
		check(mkdtemp(tmpdir) != NULL);
		check(atexit(cleanup) == 0);
	}
	return tmpdir;
}

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char	path[128];
	FILE	*f;

	(void)snprintf(path, sizeof path, "%s/raft/%s", dir(), name);
	check((f = fopen(path, "wb")) != NULL);
	check(n == 0 || fwrite(p, 1, n, f) == n);
	check(fclose(f) == 0);
}

static void
free_loaded(struct raft_snapshot *s, struct raft_entry *e, size_t n)
{
	if (s != NULL) {
		raft_configuration_close(&s->configuration);
		raft_free(s->bufs[0].base);
		raft_free(s->bufs);
		raft_free(s);
	}
	if (n > 0) {
		raft_free(e[0].batch);
		raft_free(e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "log", "metadata", "snapshot" };
	struct net_raft_disk	 d, d2;
	struct raft_snapshot	*s;
	struct raft_entry	*e;
	raft_index		 start;
	size_t			 n, i;
	char			 err[256], path[128];

	if (size < 1 || data[0] > 2)
		return 0;
	(void)net_raft_disk_wipe(dir(), NULL, 0);
	(void)snprintf(path, sizeof path, "%s/raft", dir());
	check(mkdir(path, 0700) == 0 || errno == EEXIST);
	put(names[data[0]], data + 1, size - 1);
	err[0] = '\0';
	if (net_raft_disk_open(&d, dir(), 4096, err, sizeof err) != 0) {
		check(err[0] != '\0');
		return 0;
	}
	if (net_raft_disk_load(&d, &s, &start, &e, &n, err, sizeof err) !=
	    0) {
		check(err[0] != '\0' && d.has_snap);
		net_raft_disk_close(&d);
		return 0;
	}
	check(start >= 1);
	check(s != NULL || n == 0 || start == 1);
	check(s == NULL || s->n_bufs == 1);
	for (i = 0; i < n; i++) {
		check(e[i].batch == e[0].batch);
		check(e[i].type >= RAFT_COMMAND && e[i].type <= RAFT_CHANGE);
	}
	check(d.next == start + n);
	net_raft_disk_close(&d);

	check(net_raft_disk_open(&d2, dir(), 4096, err, sizeof err) == 0);
	check(d2.torn == 0 && d2.n == n && d2.next == start + n);
	net_raft_disk_close(&d2);
	free_loaded(s, e, n);
	return 0;
}
