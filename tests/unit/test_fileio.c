/*
 * test_fileio.c - atomic replace, bounded reads and mkdir -p
 * (agent/ag_fileio.c), including a writer killed mid-way.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ag_fileio.h"

static char	dir[] = "/tmp/exogpu-fileio-XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_write_then_read(void **state)
{
	char		 path[256], err[256], *buf;
	size_t		 len;
	int		 missing;
	struct stat	 st;

	(void)snprintf(path, sizeof path, "%s/a", dir);
	assert_int_equal(ag_write_atomic(path, "one", 3, 0600, err,
	    sizeof err), 0);
	assert_int_equal(ag_write_atomic(path, "second", 6, 0600, err,
	    sizeof err), 0);
	assert_int_equal(ag_read_file(path, 100, &buf, &len, &missing, err,
	    sizeof err), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "second");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void
test_read_bounds(void **state)
{
	char	path[256], err[256], *buf;
	size_t	len;
	int	missing;

	(void)snprintf(path, sizeof path, "%s/big", dir);
	assert_int_equal(ag_write_atomic(path, "0123456789", 10, 0600, err,
	    sizeof err), 0);
	assert_int_equal(ag_read_file(path, 9, &buf, &len, &missing, err,
	    sizeof err), -1);
	assert_null(buf);
	assert_non_null(strstr(err, "larger than 9 bytes"));
	assert_int_equal(ag_read_file(path, 10, &buf, &len, &missing, err,
	    sizeof err), 0);
	free(buf);
	(void)snprintf(path, sizeof path, "%s/absent", dir);
	assert_int_equal(ag_read_file(path, 10, &buf, &len, &missing, err,
	    sizeof err), -1);
	assert_int_equal(missing, 1);
	assert_int_equal(ag_read_file(dir, 10, &buf, &len, &missing, err,
	    sizeof err), -1);
	assert_int_equal(missing, 0);
}

static void
test_mkdir_p(void **state)
{
	char	path[256], err[256], file[256];

	(void)snprintf(path, sizeof path, "%s/x/y/z", dir);
	assert_int_equal(ag_mkdir_p(path, 0700, err, sizeof err), 0);
	assert_int_equal(ag_mkdir_p(path, 0700, err, sizeof err), 0);
	(void)snprintf(file, sizeof file, "%s/x/file", dir);
	assert_int_equal(ag_write_atomic(file, "", 0, 0600, err, sizeof err),
	    0);
	assert_int_equal(ag_mkdir_p(file, 0700, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a directory"));
}

/* A writer killed at a random point leaves the old or the new content. */
static void
test_kill_leaves_old_or_new(void **state)
{
	static char	 big[1 << 20];
	char		 path[256], err[256], *buf;
	size_t		 len;
	int		 round, status, missing;
	pid_t		 pid;

	memset(big, 'n', sizeof big);
	(void)snprintf(path, sizeof path, "%s/k", dir);
	for (round = 0; round < 20; round++) {
		assert_int_equal(ag_write_atomic(path, "old", 3, 0600, err,
		    sizeof err), 0);
		if ((pid = fork()) == 0) {
			for (;;)
				(void)ag_write_atomic(path, big, sizeof big,
				    0600, err, sizeof err);
		}
		assert_true(pid > 0);
		(void)usleep((useconds_t)(1000 + round * 700));
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
		assert_int_equal(ag_read_file(path, 2u << 20, &buf, &len,
		    &missing, err, sizeof err), 0);
		assert_true((len == 3 && memcmp(buf, "old", 3) == 0) ||
		    (len == sizeof big && memcmp(buf, big, len) == 0));
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_then_read),
		cmocka_unit_test(test_read_bounds),
		cmocka_unit_test(test_mkdir_p),
		cmocka_unit_test(test_kill_leaves_old_or_new),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
