/*
 * net_raft_disk.h - raft's persistent state in DIR/raft: metadata (term,
 * vote, cluster id), the log and the snapshot.  The formats, and what a
 * torn tail and damage do, are in docs/cluster.md ("Raft on disk").
 *
 * Why apart from net_raft_io.c: these are plain blocking file operations
 * with no event loop and no threads, so they can be tested, reasoned
 * about and fuzzed by themselves; net_raft_io.c decides which thread runs
 * them.  The metadata calls and open/load/bootstrap/recover run on the
 * loop; append, truncate, sync and the snapshot calls run on the io's
 * worker thread once raft started.  Nothing here is shared between two
 * threads at once except the counters, which are atomic.
 */
#ifndef NET_RAFT_DISK_H
#define NET_RAFT_DISK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <raft.h>

#define NET_RAFT_DISK_MAX_SNAPSHOT	((uint64_t)1 << 32)	/* 4 GiB */

struct net_raft_meta {
	uint64_t	term;
	uint64_t	vote;
	char		cluster[33];
};

struct net_raft_disk {
	char		*dir;		/* DATA/raft */
	int		 dirfd;
	int		 logfd;
	struct net_raft_meta meta;
	/* The log: records of indexes [first, first + n). */
	uint64_t	 first;		/* 0 while empty */
	uint64_t	 n;
	uint64_t	*off;		/* file offset of each record */
	uint64_t	 cap;
	uint64_t	 end;		/* file size */
	uint64_t	 next;		/* index of the next append */
	size_t		 max_entry;
	uint64_t	 torn;		/* bytes of torn tail cut at open */
	/* The snapshot's header, when there is one. */
	int		 has_snap;
	uint64_t	 snap_index, snap_term;
	atomic_uint_fast64_t fsyncs;
	atomic_uint_fast64_t log_syncs;
	atomic_uint_fast64_t appended;
	atomic_uint_fast64_t bytes;
};

/*
 * Opens (creating) data_dir/raft, reads the metadata, scans the log (a
 * torn tail is cut and made durable; a bad record in the middle is
 * damage: -1 with an error naming it) and reads the snapshot's header.
 */
int	net_raft_disk_open(struct net_raft_disk *d, const char *data_dir,
	    size_t max_entry, char *err, size_t errlen);
void	net_raft_disk_close(struct net_raft_disk *d);
/* 1 if there is a term, a vote, an entry or a snapshot. */
int	net_raft_disk_has_state(const struct net_raft_disk *d);

/*
 * 1 if data_dir/raft holds state, 0 if not (or there is no such
 * directory); damage counts as state.
 */
int	net_raft_disk_probe(const char *data_dir);

/* Writes the metadata atomically and durably. */
int	net_raft_disk_set_meta(struct net_raft_disk *d,
	    const struct net_raft_meta *m, char *err, size_t errlen);

/* raft_io->load's results, all raft_malloc'd. */
int	net_raft_disk_load(struct net_raft_disk *d,
	    struct raft_snapshot **snapshot, raft_index *start_index,
	    struct raft_entry **entries, size_t *n, char *err, size_t errlen);

/* Writes entries at d->next.. (not synced). */
int	net_raft_disk_append(struct net_raft_disk *d,
	    const struct raft_entry *e, unsigned n, char *err, size_t errlen);
/* fdatasync of the log. */
int	net_raft_disk_sync(struct net_raft_disk *d, char *err, size_t errlen);
/* Removes entries from index on (not synced). */
int	net_raft_disk_truncate(struct net_raft_disk *d, uint64_t index,
	    char *err, size_t errlen);
/* Writes the snapshot durably, then drops entries up to index-trailing. */
int	net_raft_disk_snapshot_put(struct net_raft_disk *d, unsigned trailing,
	    const struct raft_snapshot *s, char *err, size_t errlen);
/* The snapshot, raft_malloc'd, with exactly one buffer; NULL if none. */
int	net_raft_disk_snapshot_get(struct net_raft_disk *d,
	    struct raft_snapshot **out, char *err, size_t errlen);

/* Removes DIR/raft's files (no disk open on it). */
int	net_raft_disk_wipe(const char *data_dir, char *err, size_t errlen);

#endif /* NET_RAFT_DISK_H */
