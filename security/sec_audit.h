/*
 * sec_audit.h - the tamper-evident audit log: a hash chain of text lines
 * with Ed25519-signed checkpoints.
 *
 * Each line is one entry, "key=value" fields in a fixed order separated
 * by single spaces, so operators can read it with less and grep:
 *
 *   seq=3 time=2026-11-22T03:22:21Z kind=rec actor=tok:ab12@acme
 *       action=place object=job/42 decision=allowed reason=quota-ok
 *       prev=<64 hex>
 *   seq=4 time=2026-11-22T03:23:00Z kind=ckpt node=<26-char node id>
 *       size=3 head=<64 hex> prev=<64 hex> sig=<128 hex>
 *
 * (one line each).  prev is SHA-256 over the previous entry's exact bytes
 * (without its newline); the very first entry has 64 zeros.  seq counts
 * entries of both kinds from 1 and continues across rotated files.  A
 * checkpoint covers everything before it: size = seq - 1, head = prev,
 * and sig is the node key's signature over
 * "exogpu-audit-ckpt-v1 node=N size=S head=H time=T" - so a checkpoint
 * line copied elsewhere (peers, an operator) is checkable on its own.
 * Full format, limits and what it cannot detect: docs/audit.md.
 *
 * The writer works on a file descriptor the caller opened (O_RDWR) and
 * owns; every append fsyncs before returning, so a record is on disk
 * before the action it describes is acknowledged.  Nothing here reads
 * the clock: times are passed in.
 *
 * Error convention as in the rest of security/: 0 on success, -1 with a
 * one-line reason in err.
 */
#ifndef SEC_AUDIT_H
#define SEC_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SEC_AUDIT_LINE_MAX	4096		/* bytes, without newline */
#define SEC_AUDIT_FIELD_MAX	1024		/* encoded bytes per value */
#define SEC_AUDIT_FILE_RECORDS	(1u << 24)	/* entries per file */
#define SEC_AUDIT_FILES_MAX	1000		/* files per verification */
#define SEC_AUDIT_HEX_SIZE	65		/* SHA-256 hex + NUL */

/* One audit record as the caller describes it.  Strings are any bytes
 * except NUL; they are percent-encoded on the line. */
struct sec_audit_rec {
	int64_t		 time;		/* unix seconds, UTC */
	const char	*actor;		/* "tok:<id>@<tenant>", "node:<id>" */
	const char	*action;	/* [a-z0-9_.-]{1,32}: place, deny ... */
	const char	*object;	/* what was acted on */
	int		 allowed;	/* decision: 1 allowed, 0 denied */
	const char	*reason;	/* why */
};

struct sec_audit_signer;
struct sec_audit_writer;

/* Loads a PKCS#8 PEM Ed25519 key for signing checkpoints (the agent's
 * audit key, DATA/audit.key).  A checkpoint's node= field is this key's
 * id (sec_node_id_from_pub of its public half). */
struct sec_audit_signer *sec_audit_signer_new(const char *key_pem,
	    size_t len, char *err, size_t errlen);
void	sec_audit_signer_free(struct sec_audit_signer *);
/* The signer's public key as PEM ("BEGIN PUBLIC KEY") for verifiers. */
int	sec_audit_signer_pub_pem(const struct sec_audit_signer *, char **pem,
	    size_t *len, char *err, size_t errlen);

/*
 * Opens the log in fd (readable and writable; the caller keeps owning
 * it).  The whole file is scanned and its chain checked (signatures are
 * not: that needs only the public key, see sec_audit_verify) to recover
 * the next seq and the head.  Any damage - an unterminated or malformed
 * last line, a broken link - is an error: the agent must report it, not
 * extend a damaged log.  When fd's file is empty and prev_fd >= 0, the
 * chain continues from the file in prev_fd (the previous, rotated file),
 * which is scanned the same way; with prev_fd < 0 a new chain starts.
 */
int	sec_audit_writer_open(struct sec_audit_writer **, int fd, int prev_fd,
	    char *err, size_t errlen);
void	sec_audit_writer_free(struct sec_audit_writer *);
/* Next seq and current head (hex, SEC_AUDIT_HEX_SIZE bytes). */
uint64_t	sec_audit_writer_seq(const struct sec_audit_writer *);
void	sec_audit_writer_head(const struct sec_audit_writer *, char *hex);
/*
 * The newest checkpoint this writer wrote (not one found by the scan at
 * open), without newline, into out (cap bytes) and its seq; 0, or -1
 * when it wrote none yet or it does not fit.
 */
int	sec_audit_writer_last_ckpt(const struct sec_audit_writer *,
	    char *out, size_t cap, uint64_t *seq);

/*
 * Appends one record and fsyncs.  On a failed write the file is cut
 * back to its previous length; if even that fails the writer refuses
 * all further appends (reopen, which reports the damage).
 */
int	sec_audit_append(struct sec_audit_writer *,
	    const struct sec_audit_rec *, char *err, size_t errlen);
/*
 * Group fsync: appends one record without fsync; the next
 * sec_audit_append, checkpoint, rotation or sec_audit_sync makes it
 * durable together with every deferred record before it.  For records
 * that acknowledge nothing (refused requests), so a burst of them costs
 * one fsync.
 */
int	sec_audit_append_deferred(struct sec_audit_writer *,
	    const struct sec_audit_rec *, char *err, size_t errlen);
/* fsyncs deferred records, if any.  0 or -1 with err. */
int	sec_audit_sync(struct sec_audit_writer *, char *err, size_t errlen);
/* Appends a signed checkpoint at time now, also when nothing happened
 * since the last one (an idle log must still be sealed). */
int	sec_audit_checkpoint(struct sec_audit_writer *, int64_t now,
	    const struct sec_audit_signer *, char *err, size_t errlen);
/*
 * Rotation: new_fd is the new, empty file (the caller has renamed the
 * old one away).  A checkpoint is written as its first line, so the
 * chain and seq continue across files; afterwards the writer appends to
 * new_fd and the caller may close the old descriptor.
 */
int	sec_audit_rotate(struct sec_audit_writer *, int new_fd, int64_t now,
	    const struct sec_audit_signer *, char *err, size_t errlen);

/*
 * One checkpoint line on its own (an anchor: a copy kept by the cluster
 * or an operator).  Parsed with the log's own strict rules; bounded by
 * SEC_AUDIT_LINE_MAX.
 */
#define SEC_AUDIT_NODE_SIZE	27	/* a node id (sec_identity.h) + NUL */
struct sec_audit_ckpt {
	uint64_t	seq;
	uint64_t	size;			/* entries it covers = seq - 1 */
	char		node[SEC_AUDIT_NODE_SIZE];	/* the signing key's id */
	char		time[21];		/* RFC 3339, as on the line */
	char		head[SEC_AUDIT_HEX_SIZE];
};
/*
 * Parses line (len bytes; one trailing "\n" or "\r\n" is ignored) as a
 * checkpoint and checks its inner consistency (size = seq - 1, head =
 * prev).  With pub_pem (a PEM public key or certificate) the signature
 * is checked too and the key's id must be the line's node=.  0, or -1
 * with err.
 */
int	sec_audit_ckpt_parse(const char *line, size_t len,
	    const char *pub_pem, size_t pub_len, struct sec_audit_ckpt *out,
	    char *err, size_t errlen);
/* The id of an Ed25519 public key or certificate (PEM): 0 or -1. */
int	sec_audit_key_id(const char *pub_pem, size_t pub_len,
	    char id[SEC_AUDIT_NODE_SIZE], char *err, size_t errlen);

/* Result of a verification. */
struct sec_audit_report {
	uint64_t	records;	/* kind=rec entries */
	uint64_t	checkpoints;	/* kind=ckpt entries */
	uint64_t	first_seq;	/* seq of the first entry read */
	uint64_t	last_seq;	/* seq of the last entry read */
	uint64_t	uncovered;	/* entries after the last checkpoint */
	char		head[SEC_AUDIT_HEX_SIZE];	/* hash of last entry */
	/* On failure: where, and why. */
	size_t		file;		/* index into the paths/files */
	unsigned long	line;		/* 1-based line in that file */
	uint64_t	seq;		/* the seq expected there */
	char		reason[256];
};

#define SEC_AUDIT_KEYS_MAX	8
#define SEC_AUDIT_OK		0
#define SEC_AUDIT_TAMPERED	1

/*
 * Verifies files oldest first (audit.log.2 audit.log.1 audit.log).  With
 * pub_pem (one or more, up to SEC_AUDIT_KEYS_MAX, PEM blocks, each a
 * "PUBLIC KEY" or a certificate, concatenated) every checkpoint
 * signature is checked with the key whose id its node= names (the first
 * key when none does) and its node= must be that key's id; with NULL
 * only the chain.  Several keys serve a log that changed signing keys
 * (the node key before the audit key, docs/audit.md).  anchor, when not
 * NULL, is a checkpoint line kept outside the log (the cluster's or an
 * operator's copy): the log must contain that very line at its seq,
 * which is what makes truncation of the newest file detectable.  Returns SEC_AUDIT_OK, SEC_AUDIT_TAMPERED with
 * the first bad entry in rep, or -1 (unreadable file, bad key, bad
 * anchor) with rep->reason.
 */
int	sec_audit_verify(const char *const *paths, size_t n,
	    const char *pub_pem, size_t pub_len, const char *anchor,
	    struct sec_audit_report *rep);
/* The same over open streams. */
int	sec_audit_verify_files(FILE *const *fps, size_t n,
	    const char *pub_pem, size_t pub_len, const char *anchor,
	    struct sec_audit_report *rep);

#endif /* SEC_AUDIT_H */
