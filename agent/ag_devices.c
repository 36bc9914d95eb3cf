/*
 * ag_devices.c - the registry-cache policy around backends' discovery;
 * see ag_devices.h.
 */
#include "ag_devices.h"
#include "ag_clock.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"

#include "be_registry.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct be_log ag_be_log = {
	ag_log_cb, (void *)(intptr_t)AG_LOG_WARNING, ag_log_info_cb
};

static double
now_s(void)
{
	return ag_clock_mono();
}

/* Loads cached views; -1 when absent, unreadable or corrupt (logged). */
static int
load_registry(const char *path, char *fingerprint, struct be_view *views,
    int max)
{
	char	*buf, err[256];
	size_t	 len;
	int	 n, missing;

	if (ag_read_file(path, BE_REGISTRY_MAX_BYTES, &buf, &len, &missing,
	    err, sizeof err) != 0) {
		if (!missing)
			ag_log(AG_LOG_WARNING, "registry cache unreadable, "
			    "rebuilding: %s", err);
		return -1;
	}
	n = be_registry_decode(buf, len, fingerprint, views, max, err,
	    sizeof err);
	free(buf);
	if (n < 0)
		ag_log(AG_LOG_WARNING, "registry cache %s is corrupt (%s); "
		    "rebuilding it", path, err);
	return n;
}

static void
save_registry(const char *path, const char *fingerprint,
    const struct be_view *views, int n, struct ag_devices_stats *st)
{
	char	*text, err[256];
	size_t	 len;

	if ((text = be_registry_encode(fingerprint, views, n, &len)) == NULL) {
		ag_log(AG_LOG_WARNING, "registry cache: out of memory");
		return;
	}
	if (ag_write_atomic(path, text, len, 0600, err, sizeof err) != 0)
		ag_log(AG_LOG_WARNING, "registry cache not saved: %s", err);
	else
		st->cache_written = true;
	free(text);
}

/* Registry path, or NULL when there is no usable data dir. */
static const char *
registry_path(const char *dir, char *buf, size_t size)
{
	char	err[256];

	if (dir == NULL)
		return NULL;
	if (ag_datadir_prepare(dir, err, sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "data dir unusable, not caching: %s",
		    err);
		return NULL;
	}
	if (ag_datadir_path(dir, AG_REGISTRY_FILE, buf, size) != 0)
		return NULL;
	return buf;
}

int
ag_devices_get(const struct ag_devices_opts *o, struct be_inventory *inv,
    struct ag_devices_stats *st)
{
	struct be_discover_opts	 d;
	struct be_view		*views, *old;
	char			 pathbuf[PATH_MAX], fp_now[BE_FINGERPRINT_LEN];
	char			 fp_old[BE_FINGERPRINT_LEN] = "";
	const char		*path;
	int			 n, nold = -1, dirty = 0, stale = 0;
	double			 t0 = now_s();

	memset(st, 0, sizeof *st);
	be_discover_opts_init(&d);
	d.root = o->root != NULL ? o->root : "/";
	views = calloc(BE_MAX_TOTAL_VIEWS, sizeof *views);
	old = calloc(BE_MAX_TOTAL_VIEWS, sizeof *old);
	if (views == NULL || old == NULL) {
		free(views);
		free(old);
		ag_log(AG_LOG_ERR, "out of memory");
		return -1;
	}
	be_registry_fingerprint(d.root, fp_now);
	path = registry_path(o->data_dir, pathbuf, sizeof pathbuf);
	if (path != NULL)
		nold = load_registry(path, fp_old, old, BE_MAX_TOTAL_VIEWS);
	if (nold >= 0 && !o->refresh && strcmp(fp_old, fp_now) == 0) {
		memcpy(views, old, (size_t)nold * sizeof *views);
		n = nold;
		st->from_cache = true;
	} else if (o->cache_only) {
		n = 0;
		stale = 1;
	} else {
		if (nold >= 0 && !o->refresh)
			ag_log(AG_LOG_INFO, "hardware or drivers changed; "
			    "re-discovering devices");
		n = be_discover_views(&d, views, BE_MAX_TOTAL_VIEWS,
		    &ag_be_log);
		if (nold > 0 && !o->refresh)
			be_registry_carry_bench(views, n, old, nold);
		dirty = 1;
	}
	st->views_s = now_s() - t0;
	if (o->bench && !stale) {
		st->benched = be_discover_bench(&d, views, n, &ag_be_log);
		dirty |= st->benched > 0;
	}
	if (dirty && path != NULL)
		save_registry(path, fp_now, views, n, st);
	be_discover_assemble(&d, views, n, inv, &ag_be_log);
	st->total_s = now_s() - t0;
	free(views);
	free(old);
	return stale;
}
