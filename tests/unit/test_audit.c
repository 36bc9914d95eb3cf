/*
 * test_audit.c - the tamper-evident audit log (security/sec_audit.c) and
 * `exogpu audit verify` (agent/cmd_audit.c).
 *
 * One log is built for real through the writer: records, checkpoints
 * (one of them idle, with no record since the previous), a rotation into
 * a second file, more records.  It must verify.  Then each tamper class
 * is applied to a copy - one-byte edits, deletion, insertion (a copied
 * line and a forged line with a correct seq and prev), reordering,
 * truncation before and after the last checkpoint, a wrong key - and the
 * verifier must name the right first bad entry.  Truncation after the
 * last checkpoint passes: that is the documented limit, and the test
 * pins it so the docs stay true; an external checkpoint closes it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "sec_audit.h"
#include "sec_identity.h"
#include "sec_pem.h"

#define T0	INT64_C(1795000000)
#define MAXL	64

struct fixture {
	char			 dir[64];
	char			 log1[128], log0[128];	/* audit.log.1, .log */
	char			*pub, *pub2;
	size_t			 publen, pub2len;
	/* the files' lines, for making tampered copies */
	char			*lines[2][MAXL];
	size_t			 nlines[2];
	char			*ckpt13;		/* last checkpoint line */
};

static struct sec_audit_signer *
new_signer(char **pub, size_t *publen)
{
	struct sec_audit_signer	*s;
	struct sec_pem		 key = { NULL, 0 };
	char			 err[256];

	assert_int_equal(sec_identity_generate_key(&key, err, sizeof err), 0);
	s = sec_audit_signer_new(key.data, key.len, err, sizeof err);
	assert_non_null(s);
	sec_pem_clear(&key);
	assert_int_equal(sec_audit_signer_pub_pem(s, pub, publen, err,
	    sizeof err), 0);
	return s;
}

static void
rec(struct sec_audit_writer *w, int64_t t, const char *action,
    const char *reason, int allowed)
{
	struct sec_audit_rec	r = { t, "tok:ab12@acme", action, "job/42",
				    allowed, reason };
	char			err[256];

	if (sec_audit_append(w, &r, err, sizeof err) != 0)
		fail_msg("append: %s", err);
}

static void
ckpt(struct sec_audit_writer *w, int64_t t, struct sec_audit_signer *s)
{
	char	err[256];

	if (sec_audit_checkpoint(w, t, s, err, sizeof err) != 0)
		fail_msg("checkpoint: %s", err);
}

static void
load_lines(const char *path, char **lines, size_t *n)
{
	FILE	*fp = fopen(path, "r");
	char	 buf[SEC_AUDIT_LINE_MAX + 2];

	assert_non_null(fp);
	*n = 0;
	while (fgets(buf, sizeof buf, fp) != NULL) {
		assert_true(*n < MAXL);
		lines[(*n)++] = strdup(buf);
	}
	assert_int_equal(fclose(fp), 0);
}

/*
 * audit.log.1: 1-3 rec, 4 ckpt, 5 idle ckpt, 6-8 rec, 9 ckpt
 * audit.log:   10 rotation ckpt, 11-12 rec, 13 ckpt, 14 rec
 */
static int
setup(void **state)
{
	struct fixture		*f = calloc(1, sizeof *f);
	struct sec_audit_signer	*s, *s2;
	struct sec_audit_writer	*w;
	char			 err[256];
	int			 fd, fd2;

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_audit.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	(void)snprintf(f->log1, sizeof f->log1, "%s/audit.log.1", f->dir);
	(void)snprintf(f->log0, sizeof f->log0, "%s/audit.log", f->dir);
	s = new_signer(&f->pub, &f->publen);
	s2 = new_signer(&f->pub2, &f->pub2len);
	sec_audit_signer_free(s2);

	fd = open(f->log0, O_RDWR | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(sec_audit_writer_open(&w, fd, -1, err, sizeof err),
	    0);
	assert_int_equal(sec_audit_writer_seq(w), 1);
	rec(w, T0, "place", "quota ok", 1);
	rec(w, T0 + 1, "deny", "tenant acme over quota", 0);
	rec(w, T0 + 2, "release", "done", 1);
	ckpt(w, T0 + 60, s);
	ckpt(w, T0 + 120, s);			/* idle: nothing new */
	rec(w, T0 + 130, "revoke", "token leaked", 1);
	rec(w, T0 + 131, "leader", "", 1);
	rec(w, T0 + 132, "config", "odd bytes: 100% \t\n\"=\xff", 1);
	ckpt(w, T0 + 180, s);
	/* rotate: the old file moves away, a new empty one takes its name */
	assert_int_equal(rename(f->log0, f->log1), 0);
	fd2 = open(f->log0, O_RDWR | O_CREAT | O_EXCL | O_APPEND, 0600);
	assert_true(fd2 >= 0);
	assert_int_equal(sec_audit_rotate(w, fd2, T0 + 200, s, err,
	    sizeof err), 0);
	assert_int_equal(close(fd), 0);
	rec(w, T0 + 201, "place", "ok", 1);
	rec(w, T0 + 202, "place", "ok again", 1);
	ckpt(w, T0 + 260, s);
	rec(w, T0 + 261, "deny", "no such gpu", 0);
	assert_int_equal(sec_audit_writer_seq(w), 15);
	sec_audit_writer_free(w);
	assert_int_equal(close(fd2), 0);
	sec_audit_signer_free(s);

	load_lines(f->log1, f->lines[0], &f->nlines[0]);
	load_lines(f->log0, f->lines[1], &f->nlines[1]);
	assert_int_equal(f->nlines[0], 9);
	assert_int_equal(f->nlines[1], 5);
	f->ckpt13 = f->lines[1][3];
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[256];
	size_t		 i, j;

	(void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		for (j = 0; j < f->nlines[i]; j++)
			free(f->lines[i][j]);
	free(f->pub);
	free(f->pub2);
	free(f);
	return 0;
}

/* Writes the two files, as given, to copies; returns the verify result. */
static int
verify_copy(struct fixture *f, char **l1, size_t n1, char **l0, size_t n0,
    const char *pub, size_t publen, const char *anchor,
    struct sec_audit_report *rep)
{
	char		 p1[160], p0[160];
	const char	*paths[2] = { p1, p0 };
	char		**ls[2] = { l1, l0 };
	size_t		 ns[2] = { n1, n0 }, i, j;
	FILE		*fp;

	(void)snprintf(p1, sizeof p1, "%s/copy.1", f->dir);
	(void)snprintf(p0, sizeof p0, "%s/copy", f->dir);
	for (i = 0; i < 2; i++) {
		assert_non_null(fp = fopen(paths[i], "w"));
		for (j = 0; j < ns[i]; j++)
			assert_true(fputs(ls[i][j], fp) >= 0);
		assert_int_equal(fclose(fp), 0);
	}
	return sec_audit_verify(paths, 2, pub, publen, anchor, rep);
}

/* Copy of the fixture's lines that a test may change. */
struct copy {
	char	*l[2][MAXL];
	size_t	 n[2];
	char	 buf[4][SEC_AUDIT_LINE_MAX + 2];
};

static void
copy_init(struct copy *c, const struct fixture *f)
{
	memcpy(c->l, f->lines, sizeof c->l);
	memcpy(c->n, f->nlines, sizeof c->n);
}

static void
expect_bad(struct fixture *f, struct copy *c, const char *pub,
    size_t publen, const char *anchor, size_t file, unsigned long line,
    uint64_t seq, const char *why)
{
	struct sec_audit_report	rep;
	int			rc;

	rc = verify_copy(f, c->l[0], c->n[0], c->l[1], c->n[1], pub, publen,
	    anchor, &rep);
	if (rc != SEC_AUDIT_TAMPERED)
		fail_msg("expected tampering (%s), got %d: %s", why, rc,
		    rep.reason);
	if (rep.file != file || rep.line != line || rep.seq != seq ||
	    strstr(rep.reason, why) == NULL)
		fail_msg("expected file %zu line %lu entry %llu '%s', got file "
		    "%zu line %lu entry %llu '%s'", file, line,
		    (unsigned long long)seq, why, rep.file, rep.line,
		    (unsigned long long)rep.seq, rep.reason);
}

static void
test_intact(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_report	 rep;
	struct copy		 c;

	copy_init(&c, f);
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub, f->publen, NULL, &rep), SEC_AUDIT_OK);
	assert_int_equal(rep.records, 9);
	assert_int_equal(rep.checkpoints, 5);
	assert_int_equal(rep.uncovered, 1);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, 14);
	/* chain only, and with the external checkpoint */
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    NULL, 0, NULL, &rep), SEC_AUDIT_OK);
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub, f->publen, f->ckpt13, &rep), SEC_AUDIT_OK);
	/* the record with odd bytes is percent-encoded on one line */
	assert_non_null(strstr(f->lines[0][7],
	    "reason=odd%20bytes:%20100%25%20%09%0A\"=%FF prev="));
	/* the idle checkpoint covers the previous one */
	assert_non_null(strstr(f->lines[0][4], " size=4 "));
	/* the rotation checkpoint opens the new file and continues seq */
	assert_true(strncmp(f->lines[1][0], "seq=10 ", 7) == 0);
	assert_non_null(strstr(f->lines[1][0], "kind=ckpt"));
	assert_non_null(strstr(f->lines[1][0], " size=9 "));
}

static void
test_edit_record(void **state)
{
	struct fixture	*f = *state;
	struct copy	 c;
	char		*p;

	copy_init(&c, f);
	strcpy(c.buf[0], f->lines[0][1]);
	assert_non_null(p = strstr(c.buf[0], "acme%20over"));
	p[0] = 'b';				/* one byte */
	c.l[0][1] = c.buf[0];
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 2, 2, "edited");
	expect_bad(f, &c, NULL, 0, NULL, 0, 2, 2, "edited");
	/* an edit that breaks the syntax is named on its own line */
	strcpy(c.buf[0], f->lines[0][1]);
	c.buf[0][strlen(c.buf[0]) - 2] = 'g';	/* prev hex -> 'g' */
	expect_bad(f, &c, NULL, 0, NULL, 0, 2, 2, "malformed");
}

static void
test_edit_signature(void **state)
{
	struct fixture	*f = *state;
	struct copy	 c;
	size_t		 n;

	copy_init(&c, f);
	strcpy(c.buf[0], f->lines[0][3]);	/* checkpoint, entry 4 */
	n = strlen(c.buf[0]);
	c.buf[0][n - 5] = c.buf[0][n - 5] == '0' ? '1' : '0';
	c.l[0][3] = c.buf[0];
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 4, 4, "signature");
	/* without the key the chain still catches it (entry 5's prev) */
	expect_bad(f, &c, NULL, 0, NULL, 0, 4, 4, "edited");
	/* the newest checkpoint, where no later entry's prev helps */
	copy_init(&c, f);
	c.n[1] = 4;				/* drop 14 */
	strcpy(c.buf[1], f->lines[1][3]);
	n = strlen(c.buf[1]);
	c.buf[1][n - 2] = c.buf[1][n - 2] == 'a' ? 'b' : 'a';
	c.l[1][3] = c.buf[1];
	expect_bad(f, &c, f->pub, f->publen, NULL, 1, 4, 13, "signature");
}

static void
test_delete(void **state)
{
	struct fixture	*f = *state;
	struct copy	 c;

	copy_init(&c, f);
	memmove(&c.l[0][1], &c.l[0][2], 7 * sizeof c.l[0][0]);
	c.n[0] = 8;				/* entry 2 gone */
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 2, 2, "deleted");
	/* deleting a whole checkpoint is a deletion too */
	copy_init(&c, f);
	memmove(&c.l[0][4], &c.l[0][5], 4 * sizeof c.l[0][0]);
	c.n[0] = 8;				/* entry 5 gone */
	expect_bad(f, &c, NULL, 0, NULL, 0, 5, 5, "deleted");
}

static void
test_insert(void **state)
{
	struct fixture	*f = *state;
	struct copy	 c;
	unsigned char	 h[32];
	char		 hx[65];
	size_t		 i;

	/* a copy of entry 2 slipped in after entry 3 */
	copy_init(&c, f);
	memmove(&c.l[0][4], &c.l[0][3], 6 * sizeof c.l[0][0]);
	c.l[0][3] = f->lines[0][1];
	c.n[0] = 10;
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 4, 4, "inserted");
	/* a forged entry 3 with the right prev, before the real one */
	copy_init(&c, f);
	assert_int_equal(gnutls_hash_fast(GNUTLS_DIG_SHA256, f->lines[0][1],
	    strlen(f->lines[0][1]) - 1, h), 0);
	for (i = 0; i < 32; i++)
		(void)snprintf(hx + 2 * i, 3, "%02x", h[i]);
	(void)snprintf(c.buf[0], sizeof c.buf[0], "seq=3 "
	    "time=2026-11-22T03:22:21Z kind=rec actor=tok:evil@acme "
	    "action=place object=job/1 decision=allowed reason=x prev=%s\n",
	    hx);
	memmove(&c.l[0][3], &c.l[0][2], 7 * sizeof c.l[0][0]);
	c.l[0][2] = c.buf[0];
	c.n[0] = 10;
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 3, 3, "inserted");
}

static void
test_reorder(void **state)
{
	struct fixture	*f = *state;
	struct copy	 c;

	copy_init(&c, f);
	c.l[0][1] = f->lines[0][2];
	c.l[0][2] = f->lines[0][1];
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 2, 2, "reordered");
	/* files given in the wrong order */
	copy_init(&c, f);
	memcpy(c.l[0], f->lines[1], sizeof c.l[0]);
	memcpy(c.l[1], f->lines[0], sizeof c.l[1]);
	c.n[0] = f->nlines[1];
	c.n[1] = f->nlines[0];
	expect_bad(f, &c, NULL, 0, NULL, 1, 1, 15, "inserted");
}

static void
test_truncate(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_report	 rep;
	struct copy		 c;

	/* the rotated file loses its tail: the next file's checkpoint
	 * covers entries that are not there */
	copy_init(&c, f);
	c.n[0] = 6;				/* 7, 8, 9 gone */
	expect_bad(f, &c, f->pub, f->publen, NULL, 0, 7, 7, "truncated");
	/* cut inside a line */
	copy_init(&c, f);
	strcpy(c.buf[0], f->lines[1][2]);
	c.buf[0][20] = '\0';
	c.l[1][2] = c.buf[0];
	c.n[1] = 3;
	expect_bad(f, &c, f->pub, f->publen, NULL, 1, 3, 12, "truncated");
	/* after the last checkpoint: undetectable (documented) */
	copy_init(&c, f);
	c.n[1] = 4;
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub, f->publen, NULL, &rep), SEC_AUDIT_OK);
	assert_int_equal(rep.records, 8);
	assert_int_equal(rep.uncovered, 0);
	/* before the newest checkpoint of the newest file: only an
	 * external copy of that checkpoint can tell */
	c.n[1] = 2;				/* 12, 13, 14 gone */
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub, f->publen, NULL, &rep), SEC_AUDIT_OK);
	expect_bad(f, &c, f->pub, f->publen, f->ckpt13, 1, 3, 12,
	    "truncated");
}

/* The anchor line itself must be in the log, at its seq. */
static void
test_anchor_line(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_report	 rep;
	struct copy		 c;
	const char		*prev;

	/* cut just the anchor checkpoint off: its coverage (1..12) is still
	 * there, but the line is not */
	copy_init(&c, f);
	c.n[1] = 3;
	expect_bad(f, &c, f->pub, f->publen, f->ckpt13, 1, 4, 13,
	    "truncated");
	/* cut and extended again: another entry 13 with the right prev */
	prev = strstr(f->ckpt13, " prev=");
	assert_non_null(prev);
	(void)snprintf(c.buf[0], sizeof c.buf[0], "seq=13 "
	    "time=2026-11-22T03:22:21Z kind=rec actor=node:x action=config "
	    "object=agent decision=allowed reason=started prev=%.64s\n",
	    prev + 6);
	c.l[1][3] = c.buf[0];
	c.n[1] = 4;
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub, f->publen, NULL, &rep), SEC_AUDIT_OK);
	expect_bad(f, &c, f->pub, f->publen, f->ckpt13, 1, 4, 13,
	    "not the external checkpoint");
	/* the whole log, and a log starting at the anchor itself: fine */
	copy_init(&c, f);
	assert_int_equal(verify_copy(f, c.l[0], 0, c.l[1], c.n[1],
	    f->pub, f->publen, NULL, &rep), SEC_AUDIT_OK);
	c.l[1][0] = c.l[1][3];
	c.l[1][1] = c.l[1][4];
	c.n[1] = 2;
	assert_int_equal(verify_copy(f, c.l[0], 0, c.l[1], c.n[1],
	    f->pub, f->publen, f->ckpt13, &rep), SEC_AUDIT_OK);
}

/* One checkpoint line on its own. */
static void
test_ckpt_parse(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_ckpt	 ck;
	char			 err[256], id[SEC_AUDIT_NODE_SIZE];
	char			 line[SEC_AUDIT_LINE_MAX + 2];
	size_t			 len = strlen(f->ckpt13);

	assert_int_equal(sec_audit_ckpt_parse(f->ckpt13, len, f->pub,
	    f->publen, &ck, err, sizeof err), 0);
	assert_int_equal(ck.seq, 13);
	assert_int_equal(ck.size, 12);
	assert_int_equal(strlen(ck.head), 64);
	assert_int_equal(sec_audit_key_id(f->pub, f->publen, id, err,
	    sizeof err), 0);
	assert_string_equal(ck.node, id);
	assert_int_equal(strlen(ck.time), 20);
	/* without a key: syntax and inner consistency only */
	assert_int_equal(sec_audit_ckpt_parse(f->ckpt13, len, NULL, 0, &ck,
	    err, sizeof err), 0);
	/* another key: refused */
	assert_int_equal(sec_audit_ckpt_parse(f->ckpt13, len, f->pub2,
	    f->pub2len, &ck, err, sizeof err), -1);
	assert_non_null(strstr(err, "not the key"));
	/* a record is not a checkpoint */
	assert_int_equal(sec_audit_ckpt_parse(f->lines[1][1],
	    strlen(f->lines[1][1]), NULL, 0, &ck, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a checkpoint"));
	/* a flipped signature digit: parses, does not verify */
	memcpy(line, f->ckpt13, len + 1);
	line[len - 2] = line[len - 2] == '0' ? '1' : '0';
	assert_int_equal(sec_audit_ckpt_parse(line, len, NULL, 0, &ck, err,
	    sizeof err), 0);
	assert_int_equal(sec_audit_ckpt_parse(line, len, f->pub, f->publen,
	    &ck, err, sizeof err), -1);
	/* two lines, a cut line, a bad key */
	(void)snprintf(line, sizeof line, "%s%s", f->ckpt13, f->ckpt13);
	assert_int_equal(sec_audit_ckpt_parse(line, strlen(line), NULL, 0,
	    &ck, err, sizeof err), -1);
	assert_int_equal(sec_audit_ckpt_parse(f->ckpt13, len / 2, NULL, 0,
	    &ck, err, sizeof err), -1);
	assert_int_equal(sec_audit_ckpt_parse(f->ckpt13, len, "junk", 4,
	    &ck, err, sizeof err), -1);
	assert_int_equal(sec_audit_ckpt_parse("", 0, NULL, 0, &ck, err,
	    sizeof err), -1);
}

/* A log that changed signing keys verifies with both keys given. */
static void
test_two_keys(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_signer	*s1, *s2;
	struct sec_audit_writer	*w;
	struct sec_audit_report	 rep;
	char			*p1, *p2, both[8192], path[160], err[256];
	const char		*paths[1] = { path };
	size_t			 l1, l2;
	int			 fd;

	s1 = new_signer(&p1, &l1);
	s2 = new_signer(&p2, &l2);
	(void)snprintf(path, sizeof path, "%s/two.log", f->dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(sec_audit_writer_open(&w, fd, -1, err, sizeof err),
	    0);
	rec(w, T0, "config", "started", 1);
	ckpt(w, T0 + 1, s1);			/* the node key, before */
	rec(w, T0 + 2, "config", "started", 1);
	ckpt(w, T0 + 3, s2);			/* the audit key, after */
	sec_audit_writer_free(w);
	assert_int_equal(close(fd), 0);
	assert_int_equal(sec_audit_verify(paths, 1, p2, l2, NULL, &rep),
	    SEC_AUDIT_TAMPERED);
	assert_int_equal(rep.seq, 2);
	assert_int_equal(sec_audit_verify(paths, 1, p1, l1, NULL, &rep),
	    SEC_AUDIT_TAMPERED);
	assert_int_equal(rep.seq, 4);
	(void)snprintf(both, sizeof both, "%s%s", p1, p2);
	assert_int_equal(sec_audit_verify(paths, 1, both, strlen(both), NULL,
	    &rep), SEC_AUDIT_OK);
	assert_int_equal(rep.checkpoints, 2);
	/* a third, unrelated key does not make a bad one pass */
	(void)snprintf(both, sizeof both, "%s%s", p1, f->pub2);
	assert_int_equal(sec_audit_verify(paths, 1, both, strlen(both), NULL,
	    &rep), SEC_AUDIT_TAMPERED);
	assert_int_equal(rep.seq, 4);
	sec_audit_signer_free(s1);
	sec_audit_signer_free(s2);
	free(p1);
	free(p2);
}

static void
test_wrong_key(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_report	 rep;
	struct copy		 c;

	copy_init(&c, f);
	expect_bad(f, &c, f->pub2, f->pub2len, NULL, 0, 4, 4, "not the key");
	/* a checkpoint that does not verify cannot be an anchor */
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    f->pub2, f->pub2len, f->ckpt13, &rep), -1);
	assert_int_equal(verify_copy(f, c.l[0], c.n[0], c.l[1], c.n[1],
	    "junk", 4, NULL, &rep), -1);
}

static void
test_writer_reopen(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_writer	*w;
	struct sec_audit_report	 rep;
	const char		*paths[2] = { f->log1, f->log0 };
	char			 err[256], head[SEC_AUDIT_HEX_SIZE], p[160];
	int			 fd, fd2;

	assert_int_equal(sec_audit_verify(paths, 2, f->pub, f->publen, NULL,
	    &rep), SEC_AUDIT_OK);
	fd = open(f->log0, O_RDWR | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(sec_audit_writer_open(&w, fd, -1, err, sizeof err),
	    0);
	assert_int_equal(sec_audit_writer_seq(w), 15);
	sec_audit_writer_head(w, head);
	assert_string_equal(head, rep.head);
	sec_audit_writer_free(w);
	/* crash between rename and the rotation checkpoint: the chain goes
	 * on from the previous file */
	(void)snprintf(p, sizeof p, "%s/empty", f->dir);
	fd2 = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd2 >= 0);
	assert_int_equal(sec_audit_writer_open(&w, fd2, fd, err, sizeof err),
	    0);
	assert_int_equal(sec_audit_writer_seq(w), 15);
	rec(w, T0 + 300, "place", "after crash", 1);
	sec_audit_writer_free(w);
	paths[0] = f->log0;
	paths[1] = p;
	assert_int_equal(sec_audit_verify(paths, 2, f->pub, f->publen, NULL,
	    &rep), SEC_AUDIT_OK);
	assert_int_equal(rep.first_seq, 10);
	assert_int_equal(rep.last_seq, 15);
	assert_int_equal(close(fd2), 0);
	/* a damaged tail is refused, not extended */
	fd2 = open(p, O_RDWR | O_APPEND);
	assert_true(fd2 >= 0);
	assert_int_equal(write(fd2, "seq=16 ti", 9), 9);
	assert_int_equal(sec_audit_writer_open(&w, fd2, -1, err, sizeof err),
	    -1);
	assert_non_null(strstr(err, "damaged at line 2"));
	assert_int_equal(close(fd2), 0);
	assert_int_equal(close(fd), 0);
}

static void
test_bounds(void **state)
{
	struct fixture		*f = *state;
	struct sec_audit_writer	*w;
	struct sec_audit_rec	 r = { T0, "a", "place", "o", 1, NULL };
	struct copy		 c;
	char			*big, err[256], p[160];
	int			 fd;

	/* a value past the field limit is refused by the writer */
	(void)snprintf(p, sizeof p, "%s/bounds", f->dir);
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(sec_audit_writer_open(&w, fd, -1, err, sizeof err),
	    0);
	assert_non_null(big = malloc(SEC_AUDIT_FIELD_MAX + 2));
	memset(big, 'x', SEC_AUDIT_FIELD_MAX + 1);
	big[SEC_AUDIT_FIELD_MAX + 1] = '\0';
	r.reason = big;
	assert_int_equal(sec_audit_append(w, &r, err, sizeof err), -1);
	r.reason = "ok";
	r.action = "Bad Action";
	assert_int_equal(sec_audit_append(w, &r, err, sizeof err), -1);
	r.action = "place";
	r.time = -1;
	assert_int_equal(sec_audit_append(w, &r, err, sizeof err), -1);
	assert_int_equal(sec_audit_writer_seq(w), 1);
	sec_audit_writer_free(w);
	assert_int_equal(close(fd), 0);
	free(big);
	/* an over-long line is rejected by the reader */
	copy_init(&c, f);
	memset(c.buf[0], 'a', SEC_AUDIT_LINE_MAX + 1);
	c.buf[0][SEC_AUDIT_LINE_MAX + 1] = '\0';
	c.l[1][4] = c.buf[0];
	expect_bad(f, &c, NULL, 0, NULL, 1, 5, 14, "longer");
}

static int
run_cli(const char *args, char *out, size_t outlen)
{
	char	 cmd[1024];
	FILE	*fp;
	size_t	 n;
	int	 st;

	(void)snprintf(cmd, sizeof cmd, "%s audit %s 2>&1", EXOGPU_BIN, args);
	assert_non_null(fp = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	st = pclose(fp);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_cli(void **state)
{
	struct fixture	*f = *state;
	char		 args[512], out[4096], key[160];
	FILE		*fp;

	(void)snprintf(key, sizeof key, "%s/pub.pem", f->dir);
	assert_non_null(fp = fopen(key, "w"));
	assert_true(fputs(f->pub, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	(void)snprintf(args, sizeof args, "verify %s %s --key %s", f->log1,
	    f->log0, key);
	assert_int_equal(run_cli(args, out, sizeof out), 0);
	assert_true(strncmp(out, "ok: 9 records, 5 checkpoints, chain head ",
	    41) == 0);
	/* wrong order is tampering as far as the chain can tell */
	(void)snprintf(args, sizeof args, "verify %s %s", f->log0, f->log1);
	assert_int_equal(run_cli(args, out, sizeof out), 1);
	assert_non_null(strstr(out, "tampered: "));
	assert_int_equal(run_cli("verify", out, sizeof out), 2);
	assert_int_equal(run_cli("check x", out, sizeof out), 2);
	assert_int_equal(run_cli("verify /nonexistent/audit.log", out,
	    sizeof out), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_edit_record),
		cmocka_unit_test(test_edit_signature),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_insert),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_anchor_line),
		cmocka_unit_test(test_ckpt_parse),
		cmocka_unit_test(test_two_keys),
		cmocka_unit_test(test_writer_reopen),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_cli),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
