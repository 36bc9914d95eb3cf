/*
 * ag_datadir.c - data dir resolution and creation; see ag_datadir.h.
 */
#include "ag_datadir.h"
#include "ag_fileio.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int
fits(int n, size_t size)
{
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int
ag_datadir_resolve(const char *explicit_dir, char *out, size_t size)
{
	const char	*xdg, *home;
	struct passwd	*pw;

	if (explicit_dir != NULL && explicit_dir[0] != '\0')
		return fits(snprintf(out, size, "%s", explicit_dir), size);
	if (geteuid() == 0)
		return fits(snprintf(out, size, "/var/lib/exogpu"), size);
	xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && xdg[0] == '/')
		return fits(snprintf(out, size, "%s/exogpu", xdg), size);
	home = getenv("HOME");
	if ((home == NULL || home[0] != '/') &&
	    (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/')
		return -1;
	return fits(snprintf(out, size, "%s/.local/state/exogpu", home), size);
}

int
ag_datadir_prepare(const char *dir, char *err, size_t errlen)
{
	return ag_mkdir_p(dir, 0700, err, errlen);
}

int
ag_datadir_path(const char *dir, const char *name, char *out, size_t size)
{
	return fits(snprintf(out, size, "%s/%s", dir, name), size);
}
