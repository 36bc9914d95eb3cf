/*
 * ag_auditlog.h - the agent's audit log: security/sec_audit.h's hash
 * chain on DATA/audit.log, with the node's key for checkpoints, periodic
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
 * Opens (creating) DIR/audit.log; key_pem is the node's private key.
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

#endif /* AG_AUDITLOG_H */
