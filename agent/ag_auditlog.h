/*
 * ag_auditlog.h - the agent's audit log: security/sec_audit.h's hash
 * chain on DATA/audit.log, with the audit key for checkpoints, periodic
 * checkpoints (also when idle), rotation by size, and a JSON tail for
 * GET /v1/audit.
 *
 * Every append is fsync'd before it returns, and callers act only after
 * it succeeded: when the log cannot be written, the action is refused
 * (fail closed) rather than done unrecorded.  A damaged log is never
 * extended: opening it fails and the agent refuses to start, naming the
 * file and `exogpu audit verify` (docs/audit.md, "When the agent finds a
 * damaged log").
 */
#ifndef AG_AUDITLOG_H
#define AG_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define AG_AUDIT_FILE			"audit.log"
#define AG_AUDIT_DEFAULT_CKPT_S		300
#define AG_AUDIT_DEFAULT_ROTATE		(64L << 20)
#define AG_AUDIT_TAIL_MAX		1000

struct ag_auditlog;

/*
 * Opens (creating) DIR/audit.log; key_pem is the audit signing key
 * (DATA/audit.key, never the node's TLS key).
 * rotate_bytes: rotate when the file grows past it.
 */
struct ag_auditlog *ag_auditlog_open(const char *dir, const char *key_pem,
	    size_t key_len, long rotate_bytes, char *err, size_t errlen);
/*
 * Rotation keeps at most keep rotated files (audit.log.1 .. .keep); the
 * older ones are deleted when the log rotates.  The default is
 * AG_AUDITLOG_KEEP_DEFAULT.
 */
#define AG_AUDITLOG_KEEP_DEFAULT	30
void	ag_auditlog_set_keep(struct ag_auditlog *, int keep);
/* Final checkpoint and close; NULL is fine. */
void	ag_auditlog_close(struct ag_auditlog *, int64_t now);

/*
 * Appends one record (flushed, with every deferred one before it).  0,
 * or -1 with err: refuse the action.
 */
int	ag_auditlog_add(struct ag_auditlog *, int64_t now, const char *actor,
	    const char *action, const char *object, int allowed,
	    const char *reason, char *err, size_t errlen);
/*
 * Appends a record that acknowledges nothing (a refused request) without
 * its own fsync: the next flushed record, checkpoint, rotation or
 * ag_auditlog_sync (the agent calls it every second) makes it durable.
 */
int	ag_auditlog_add_deferred(struct ag_auditlog *, int64_t now,
	    const char *actor, const char *action, const char *object,
	    int allowed, const char *reason, char *err, size_t errlen);
int	ag_auditlog_sync(struct ag_auditlog *, char *err, size_t errlen);
/* A checkpoint when interval_s passed since the last one. */
int	ag_auditlog_tick(struct ag_auditlog *, int64_t now, long interval_s,
	    char *err, size_t errlen);
/* The last n entries of the live file as JSON objects (oldest first). */
json_t	*ag_auditlog_tail(struct ag_auditlog *, size_t n, char *err,
	    size_t errlen);
const char *ag_auditlog_path(const struct ag_auditlog *);

/*
 * Refusal (the log is behind the cluster's anchor of it, ag_node_anchor.c):
 * while blocked every append, deferred append and checkpoint fails with
 * why, so every action that needs a record fails closed.  unblock with
 * why NULL.  ag_auditlog_blocked: the reason, or NULL.
 */
void	ag_auditlog_block(struct ag_auditlog *, const char *why);
const char *ag_auditlog_blocked(const struct ag_auditlog *);
/* The newest checkpoint written this run (no newline) and its seq: 0,
 * or -1 when none yet. */
int	ag_auditlog_last_ckpt(const struct ag_auditlog *, char *out,
	    size_t cap, uint64_t *seq);
/* The seq the next entry gets. */
uint64_t	ag_auditlog_next_seq(const struct ag_auditlog *);
/* The signing key's public half (PEM, malloc'd): 0 or -1 with err. */
int	ag_auditlog_pub_pem(const struct ag_auditlog *, char **pem,
	    size_t *len, char *err, size_t errlen);

/*
 * Looks up the entry with this seq in audit.log and the rotated files:
 * AG_AUDIT_FOUND with the line (no newline) in out, AG_AUDIT_AFTER_END
 * when the log ends before it, AG_AUDIT_BEFORE_START when the oldest file
 * kept starts after it (cannot tell), or -1 with err (unreadable).
 */
#define AG_AUDIT_FOUND		0
#define AG_AUDIT_AFTER_END	1
#define AG_AUDIT_BEFORE_START	2
int	ag_auditlog_entry(const struct ag_auditlog *, uint64_t seq,
	    char *out, size_t cap, char *err, size_t errlen);

#endif /* AG_AUDITLOG_H */
