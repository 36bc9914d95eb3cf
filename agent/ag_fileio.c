/*
 * ag_fileio.c - atomic replace, bounded read and mkdir -p; see ag_fileio.h.
 */
#include "ag_fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
fail(char *err, size_t errlen, const char *what, const char *path, int e)
{
	if (errlen > 0)
		(void)snprintf(err, errlen, "%s %s: %s", what, path,
		    strerror(e));
	errno = e;
	return -1;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_dir_of(const char *path)
{
	char	 copy[PATH_MAX];
	int	 fd, rc;

	if (strlen(path) >= sizeof copy) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)strcpy(copy, path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	(void)close(fd);
	return rc;
}

int
ag_write_atomic(const char *path, const void *buf, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char	tmp[PATH_MAX];
	int	fd, e;

	if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof tmp)
		return fail(err, errlen, "path too long:", path, ENAMETOOLONG);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return fail(err, errlen, "create", tmp, errno);
	if (fchmod(fd, mode) != 0 || write_all(fd, buf, len) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		(void)close(fd);
		(void)unlink(tmp);
		return fail(err, errlen, "write", tmp, e);
	}
	if (close(fd) != 0) {
		e = errno;
		(void)unlink(tmp);
		return fail(err, errlen, "close", tmp, e);
	}
	if (rename(tmp, path) != 0) {
		e = errno;
		(void)unlink(tmp);
		return fail(err, errlen, "rename to", path, e);
	}
	if (fsync_dir_of(path) != 0)
		return fail(err, errlen, "fsync directory of", path, errno);
	return 0;
}

int
ag_read_file(const char *path, size_t max, char **bufp, size_t *lenp,
    int *missing, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, e;

	*bufp = NULL;
	*lenp = 0;
	if (missing != NULL)
		*missing = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && missing != NULL)
			*missing = 1;
		return fail(err, errlen, "open", path, errno);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = S_ISREG(st.st_mode) ? errno : EINVAL;
		(void)close(fd);
		return fail(err, errlen, "not a regular file:", path, e);
	}
	if ((buf = malloc(max + 1)) == NULL) {
		(void)close(fd);
		return fail(err, errlen, "read", path, ENOMEM);
	}
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len > max)
			break;
	}
	e = errno;
	(void)close(fd);
	if (n < 0) {
		free(buf);
		return fail(err, errlen, "read", path, e);
	}
	if (len > max) {
		free(buf);
		if (errlen > 0)
			(void)snprintf(err, errlen, "%s: larger than %zu bytes",
			    path, max);
		errno = EFBIG;
		return -1;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
ag_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen)
{
	char	 copy[PATH_MAX];
	char	*p;

	if (strlen(path) >= sizeof copy || path[0] == '\0')
		return fail(err, errlen, "bad directory", path, ENAMETOOLONG);
	(void)strcpy(copy, path);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(copy, mode) != 0 && errno != EEXIST)
				return fail(err, errlen, "mkdir", copy, errno);
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	{
		struct stat st;

		if (stat(path, &st) != 0)
			return fail(err, errlen, "stat", path, errno);
		if (!S_ISDIR(st.st_mode))
			return fail(err, errlen, "not a directory:", path,
			    ENOTDIR);
	}
	return 0;
}
