/*
 * ag_datadir.h - where a node keeps its state (identity, registry cache,
 * election term/vote, revocations, audit log).
 *
 * --data-dir wins; otherwise root uses /var/lib/exogpu (the systemd
 * unit's StateDirectory) and everyone else $XDG_STATE_HOME/exogpu, falling
 * back to ~/.local/state/exogpu as the XDG spec says.
 */
#ifndef AG_DATADIR_H
#define AG_DATADIR_H

#include <stddef.h>

/* Fills out with the data dir path; -1 if none can be derived. */
int	ag_datadir_resolve(const char *explicit_dir, char *out, size_t size);
/* Creates it (mode 0700) if needed; -1 with err on failure. */
int	ag_datadir_prepare(const char *dir, char *err, size_t errlen);
/* Joins dir and a file name into out; -1 when it does not fit. */
int	ag_datadir_path(const char *dir, const char *name, char *out,
	    size_t size);

#endif /* AG_DATADIR_H */
