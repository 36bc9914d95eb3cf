/*
 * ag_fileio.h - the only way the agent writes state to disk.
 *
 * Every file in the data dir is replaced atomically: write a temp file in
 * the same directory, fsync it, rename it over the target, fsync the
 * directory.  A kill -9 at any point leaves the old or the new file, never
 * a torn one.  Reads are bounded so a huge or hostile file cannot make us
 * allocate without limit.  Errors come back as text for the caller's log.
 */
#ifndef AG_FILEIO_H
#define AG_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* Atomically replaces path with buf[0..len) created with mode. */
int	ag_write_atomic(const char *path, const void *buf, size_t len,
	    mode_t mode, char *err, size_t errlen);
/*
 * Reads a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer.  Returns 0, or -1 with err set (ENOENT is reported through
 * *missing when non-NULL, so callers can tell "absent" from "broken").
 */
int	ag_read_file(const char *path, size_t max, char **buf, size_t *len,
	    int *missing, char *err, size_t errlen);
/* mkdir -p with mode for every created component. */
int	ag_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);

#endif /* AG_FILEIO_H */
