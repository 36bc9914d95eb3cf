/*
 * ag_fsm_int.h - between the state machine's two files: ag_fsm.c
 * (placements, commands, snapshots) and ag_fsm_sec.c (the trust state:
 * revocations, the node deny list, audit anchors).  Not for other users:
 * they see ag_fsm.h.
 */
#ifndef AG_FSM_INT_H
#define AG_FSM_INT_H

#include "ag_fsm.h"

struct sec_cbor_reader;
struct sec_cbor_writer;

struct ag_fsm_sec {
	struct ag_fsm_revoked	*rv;
	size_t			 nrv, rvcap;
	struct ag_fsm_denied	*dn;
	size_t			 ndn, dncap;
	struct ag_fsm_anchor	*an;
	size_t			 nan, ancap;
	int64_t			 clock;	/* largest command time applied */
};

/* A one-line reason into err (NULL or 0 bytes: none wanted). */
void	ag_fsm_fail(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	ag_fsm_is_sec_op(int op);
/*
 * Binary search over n sorted entries of size bytes whose key sits at
 * offset 0: a NUL-terminated string, or klen bytes when klen > 0.  The
 * slot of key, or where it would go; *found says which.
 */
size_t	ag_fsm_slot(const void *base, size_t n, size_t size, const void *key,
	    size_t klen, int *found);
void	ag_fsm_sec_free(struct ag_fsm_sec *);
/* Room for one more entry in each table; nothing changes on failure. */
int	ag_fsm_sec_reserve(struct ag_fsm_sec *);

/* Commands: pairs in the map, the keys after 1 and 2, a key's value. */
uint64_t ag_fsm_sec_pairs(const struct ag_fsm_cmd *);
void	ag_fsm_sec_write_cmd(struct sec_cbor_writer *,
	    const struct ag_fsm_cmd *);
int	ag_fsm_sec_read_key(struct sec_cbor_reader *, uint64_t key,
	    struct ag_fsm_cmd *);
int	ag_fsm_sec_check(const struct ag_fsm_cmd *, char *err, size_t errlen);
void	ag_fsm_sec_apply(struct ag_fsm_sec *, const struct ag_fsm_cmd *,
	    struct ag_fsm_result *);

/* Snapshot part (key 6 of a format 2 snapshot) and its bounds. */
void	ag_fsm_sec_snap_write(struct sec_cbor_writer *,
	    const struct ag_fsm_sec *);
int	ag_fsm_sec_snap_read(struct sec_cbor_reader *, struct ag_fsm_sec *,
	    char *err, size_t errlen);
size_t	ag_fsm_sec_snap_bytes(void);
size_t	ag_fsm_sec_snap_items(void);

const struct ag_fsm_sec *ag_fsm_sec_of(const struct ag_fsm *);

#endif /* AG_FSM_INT_H */
