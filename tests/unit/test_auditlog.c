/*
 * test_auditlog.c - the agent's audit log file (agent/ag_auditlog.c).
 *
 * Everything is checked from the outside, the way an operator would:
 * the files the module leaves in a temp dir are verified with
 * sec_audit_verify and the node key's public half (what `exogpu audit
 * verify` does), counted line by line, and read back through the JSON
 * tail.  Damage is made with truncate and a flipped byte on the real
 * file, and the module must then refuse to open it - and leave it as it
 * was.  Times are fixed (T0 on); nothing reads the clock.
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
#include <unistd.h>

#include <jansson.h>

#include "ag_auditlog.h"
#include "sec_audit.h"
#include "sec_identity.h"
#include "sec_pem.h"

#define T0	INT64_C(1795000000)
#define NFILES	64

struct fixture {
	char		 dir[64];
	char		 log[128];
	struct sec_pem	 key;
	char		*pub;
	size_t		 publen;
};

static int
setup(void **state)
{
	struct fixture		*f = calloc(1, sizeof *f);
	struct sec_audit_signer	*s;
	char			 err[256];

	if (f == NULL)
		return -1;
	if (sec_identity_generate_key(&f->key, err, sizeof err) != 0 ||
	    (s = sec_audit_signer_new(f->key.data, f->key.len, err,
	    sizeof err)) == NULL) {
		fprintf(stderr, "key: %s\n", err);
		return -1;
	}
	if (sec_audit_signer_pub_pem(s, &f->pub, &f->publen, err,
	    sizeof err) != 0) {
		fprintf(stderr, "pub: %s\n", err);
		return -1;
	}
	sec_audit_signer_free(s);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	sec_pem_clear(&f->key);
	free(f->pub);
	free(f);
	return 0;
}

/* Each test gets a fresh directory. */
static int
dir_setup(void **state)
{
	struct fixture	*f = *state;

	(void)strcpy(f->dir, "/tmp/test_auditlog.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	(void)snprintf(f->log, sizeof f->log, "%s/%s", f->dir, AG_AUDIT_FILE);
	return 0;
}

static int
dir_teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[160];

	(void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct ag_auditlog *
open_log(struct fixture *f, long rotate)
{
	struct ag_auditlog	*l;
	char			 err[512];

	l = ag_auditlog_open(f->dir, f->key.data, f->key.len, rotate, err,
	    sizeof err);
	if (l == NULL)
		fail_msg("ag_auditlog_open: %s", err);
	assert_string_equal(ag_auditlog_path(l), f->log);
	return l;
}

static void
add(struct ag_auditlog *l, int64_t t, const char *actor, const char *action,
    const char *object, int allowed, const char *reason)
{
	char	err[256];

	if (ag_auditlog_add(l, t, actor, action, object, allowed, reason, err,
	    sizeof err) != 0)
		fail_msg("ag_auditlog_add: %s", err);
}

static void
tick(struct ag_auditlog *l, int64_t t, long interval)
{
	char	err[256];

	if (ag_auditlog_tick(l, t, interval, err, sizeof err) != 0)
		fail_msg("ag_auditlog_tick: %s", err);
}

/* Lines of path holding needle. */
static size_t
count(const char *path, const char *needle)
{
	FILE	*fp = fopen(path, "r");
	char	 buf[SEC_AUDIT_LINE_MAX + 2];
	size_t	 n = 0;

	assert_non_null(fp);
	while (fgets(buf, sizeof buf, fp) != NULL)
		if (strstr(buf, needle) != NULL)
			n++;
	assert_int_equal(fclose(fp), 0);
	return n;
}

static off_t
file_size(const char *path)
{
	struct stat	st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* sec_audit_verify over audit.log.K .. audit.log.1, audit.log. */
static int
verify_all(struct fixture *f, size_t *nfiles, struct sec_audit_report *rep)
{
	char		 names[NFILES][160];
	const char	*paths[NFILES];
	struct stat	 st;
	size_t		 top, i;

	for (top = 1; top < NFILES; top++) {
		(void)snprintf(names[0], sizeof names[0], "%s.%zu", f->log,
		    top);
		if (stat(names[0], &st) != 0)
			break;
	}
	/* top - 1 rotated files, oldest first, then the live one */
	for (i = 0; i + 1 < top; i++)
		(void)snprintf(names[i], sizeof names[i], "%s.%zu", f->log,
		    top - 1 - i);
	(void)snprintf(names[top - 1], sizeof names[top - 1], "%s", f->log);
	for (i = 0; i < top; i++)
		paths[i] = names[i];
	if (nfiles != NULL)
		*nfiles = top;
	memset(rep, 0, sizeof *rep);
	return sec_audit_verify(paths, top, f->pub, f->publen, NULL, rep);
}

static void
assert_verifies(struct fixture *f, size_t *nfiles,
    struct sec_audit_report *rep)
{
	int	rc = verify_all(f, nfiles, rep);

	if (rc != SEC_AUDIT_OK)
		fail_msg("verify: %d file %zu line %lu: %s", rc, rep->file,
		    rep->line, rep->reason);
}

static void
test_write_verify_reopen(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	struct sec_audit_report	 rep;

	l = open_log(f, 0);
	add(l, T0, "tok:ab12@acme", "place", "job/42", 1, "quota ok");
	add(l, T0 + 1, "local", "deny", "", 0, "");
	add(l, T0 + 2, "node:x", "revoke", "token/00ff", 1, "100% = sure");
	assert_int_equal(count(f->log, "kind=ckpt"), 0);
	/* the first tick seals at once; later ones wait for the interval */
	tick(l, T0 + 3, 300);
	assert_int_equal(count(f->log, "kind=ckpt"), 1);
	tick(l, T0 + 4, 300);
	tick(l, T0 + 302, 300);
	assert_int_equal(count(f->log, "kind=ckpt"), 1);
	tick(l, T0 + 303, 300);
	assert_int_equal(count(f->log, "kind=ckpt"), 2);
	/* idle: a checkpoint still comes when the interval passed */
	tick(l, T0 + 603, 300);
	assert_int_equal(count(f->log, "kind=ckpt"), 3);
	add(l, T0 + 700, "local", "config", "agent", 1, "x");
	ag_auditlog_close(l, T0 + 800);		/* final checkpoint */
	assert_int_equal(count(f->log, "kind=ckpt"), 4);
	assert_int_equal(count(f->log, "\n"), 8);
	/* empty object and reason are written as "-" */
	assert_int_equal(count(f->log, "object=- decision=denied reason=- "),
	    1);
	assert_int_equal(count(f->log, "reason=100%25%20=%20sure "), 1);

	assert_verifies(f, NULL, &rep);
	assert_int_equal(rep.records, 4);
	assert_int_equal(rep.checkpoints, 4);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, 8);
	assert_int_equal(rep.uncovered, 0);

	/* reopen: the chain goes on at seq 9 */
	l = open_log(f, 0);
	add(l, T0 + 900, "local", "config", "agent", 1, "restarted");
	assert_int_equal(count(f->log, "seq=9 "), 1);
	tick(l, T0 + 901, 300);		/* first tick of this run */
	assert_int_equal(count(f->log, "seq=10 "), 1);
	assert_int_equal(count(f->log, "kind=ckpt"), 5);
	ag_auditlog_close(l, T0 + 1000);
	assert_verifies(f, NULL, &rep);
	assert_int_equal(rep.records, 5);
	assert_int_equal(rep.checkpoints, 6);
	assert_int_equal(rep.last_seq, 11);
	assert_int_equal(rep.uncovered, 0);

	/* NULL is fine for close and tick, an error for add and tail */
	ag_auditlog_close(NULL, T0);
	assert_int_equal(ag_auditlog_tick(NULL, T0, 1, NULL, 0), 0);
	{
		char	err[64] = "";

		assert_int_equal(ag_auditlog_add(NULL, T0, "a", "b", "c", 1,
		    "d", err, sizeof err), -1);
		assert_true(err[0] != '\0');
		err[0] = '\0';
		assert_null(ag_auditlog_tail(NULL, 5, err, sizeof err));
		assert_true(err[0] != '\0');
	}
}

static void
test_open_errors(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	char			 err[512], path[160];
	static const char	 notkey[] = "-----BEGIN PRIVATE KEY-----\n"
				    "AAAA\n-----END PRIVATE KEY-----\n";

	err[0] = '\0';
	l = ag_auditlog_open(f->dir, notkey, sizeof notkey - 1, 0, err,
	    sizeof err);
	assert_null(l);
	assert_true(err[0] != '\0');
	(void)snprintf(path, sizeof path, "%s/no/such/dir", f->dir);
	err[0] = '\0';
	l = ag_auditlog_open(path, f->key.data, f->key.len, 0, err,
	    sizeof err);
	assert_null(l);
	assert_non_null(strstr(err, "no/such/dir"));
	/* a bad action is refused, and nothing is written */
	l = open_log(f, 0);
	err[0] = '\0';
	assert_int_equal(ag_auditlog_add(l, T0, "local", "Bad Action", "x",
	    1, "y", err, sizeof err), -1);
	assert_true(err[0] != '\0');
	assert_int_equal(file_size(f->log), 0);
	ag_auditlog_close(l, T0);
}

static void
test_rotation(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	struct sec_audit_report	 rep;
	char			 reason[64], path[160];
	size_t			 nfiles, i;
	const long		 rotate = 1000;

	l = open_log(f, rotate);
	for (i = 0; i < 40; i++) {
		(void)snprintf(reason, sizeof reason, "record number %zu", i);
		add(l, T0 + (int64_t)i, "tok:ab12@acme", "place", "job/1", 1,
		    reason);
		/* a file grows past the limit by at most one entry */
		assert_true(file_size(f->log) < rotate + 1000);
	}
	ag_auditlog_close(l, T0 + 100);
	assert_verifies(f, &nfiles, &rep);
	assert_true(nfiles >= 4);
	assert_true(nfiles < NFILES);
	assert_int_equal(rep.records, 40);
	/* one rotation checkpoint per new file, and the final one */
	assert_int_equal(rep.checkpoints, nfiles);
	assert_int_equal(rep.first_seq, 1);
	assert_int_equal(rep.last_seq, 40 + nfiles);
	/* every file but the first begins with the rotation checkpoint */
	for (i = 1; i < nfiles; i++) {
		FILE	*fp;
		char	 line[SEC_AUDIT_LINE_MAX + 2];

		if (i == nfiles - 1)
			(void)snprintf(path, sizeof path, "%s", f->log);
		else
			(void)snprintf(path, sizeof path, "%s.%zu", f->log,
			    nfiles - 1 - i);
		assert_non_null(fp = fopen(path, "r"));
		assert_non_null(fgets(line, sizeof line, fp));
		assert_non_null(strstr(line, " kind=ckpt "));
		assert_int_equal(fclose(fp), 0);
	}
	/* the oldest file holds the first entry */
	(void)snprintf(path, sizeof path, "%s.%zu", f->log, nfiles - 1);
	assert_int_equal(count(path, "seq=1 "), 1);

	/* reopening after rotations continues the chain in audit.log */
	l = open_log(f, rotate);
	add(l, T0 + 200, "local", "config", "agent", 1, "again");
	ag_auditlog_close(l, T0 + 201);
	assert_verifies(f, &nfiles, &rep);
	assert_int_equal(rep.records, 41);
}

/*
 * Group fsync: deferred records (refusals) are in the file at once, keep
 * their place in the chain, and become durable with the next flushed
 * record, a sync or the close; the log verifies throughout.
 */
static void
test_deferred(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	struct sec_audit_report	 rep;
	char			 err[256];
	int			 i;

	l = open_log(f, 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(ag_auditlog_add_deferred(l, T0 + i,
		    "anonymous", "deny", "api:GET /v1/members", 0,
		    "token malformed", err, sizeof err), 0);
	assert_int_equal(count(f->log, "action=deny"), 50);
	assert_int_equal(ag_auditlog_sync(l, err, sizeof err), 0);
	assert_int_equal(ag_auditlog_sync(l, err, sizeof err), 0);
	add(l, T0 + 60, "local", "place", "job/1", 1, "ok");
	assert_int_equal(ag_auditlog_add_deferred(l, T0 + 61, "anonymous",
	    "deny", "x", 0, "late", err, sizeof err), 0);
	ag_auditlog_close(l, T0 + 70);
	assert_verifies(f, NULL, &rep);
	assert_int_equal(rep.records, 52);
	assert_int_equal(ag_auditlog_sync(NULL, err, sizeof err), 0);
}

/*
 * Issue #14: rotated files were never pruned, and with 999 of them every
 * append (so every placement) failed.  With keep = 3 the log keeps three
 * rotated files, the chain of what is left verifies (starting after
 * entry 1), and a directory that already holds 999 rotated files rotates
 * once more instead of failing.
 */
static void
test_rotation_keep(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	struct sec_audit_report	 rep;
	struct stat		 st;
	char			 reason[64], path[160];
	size_t			 nfiles, i;
	int			 k;

	l = open_log(f, 1000);
	ag_auditlog_set_keep(l, 3);
	for (i = 0; i < 60; i++) {
		(void)snprintf(reason, sizeof reason, "record number %zu", i);
		add(l, T0 + (int64_t)i, "tok:ab12@acme", "place", "job/1", 1,
		    reason);
	}
	ag_auditlog_close(l, T0 + 100);
	assert_verifies(f, &nfiles, &rep);
	assert_int_equal(nfiles, 4);		/* .3 .2 .1 and audit.log */
	assert_true(rep.first_seq > 1);
	(void)snprintf(path, sizeof path, "%s.4", f->log);
	assert_int_not_equal(stat(path, &st), 0);
	/* 999 rotated files (empty stand-ins above .3) */
	for (k = 4; k <= 999; k++) {
		FILE	*fp;

		(void)snprintf(path, sizeof path, "%s.%d", f->log, k);
		assert_non_null(fp = fopen(path, "w"));
		assert_int_equal(fclose(fp), 0);
	}
	l = open_log(f, 1000);
	ag_auditlog_set_keep(l, 999);
	for (i = 0; i < 20; i++)
		add(l, T0 + 200, "local", "place", "job/2", 1, "after 999");
	ag_auditlog_close(l, T0 + 300);
	(void)snprintf(path, sizeof path, "%s.999", f->log);
	assert_int_equal(stat(path, &st), 0);
	(void)snprintf(path, sizeof path, "%s.1000", f->log);
	assert_int_not_equal(stat(path, &st), 0);
}

/*
 * A crash between moving audit.log to audit.log.1 and writing the
 * rotation checkpoint leaves no audit.log (or an empty one).  The next
 * start must continue the chain from audit.log.1, not begin a new chain
 * at seq 1 that no verifier can join to the old files.
 */
static void
test_rotation_interrupted(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	struct sec_audit_report	 rep;
	char			 old[160];

	l = open_log(f, 0);
	add(l, T0, "local", "place", "job/1", 1, "one");
	add(l, T0 + 1, "local", "place", "job/2", 1, "two");
	ag_auditlog_close(l, T0 + 2);
	(void)snprintf(old, sizeof old, "%s.1", f->log);
	assert_int_equal(rename(f->log, old), 0);

	l = open_log(f, 0);
	add(l, T0 + 10, "local", "place", "job/3", 1, "three");
	ag_auditlog_close(l, T0 + 11);
	assert_verifies(f, NULL, &rep);
	assert_int_equal(rep.records, 3);
	/* 2 records, close ckpt, the checkpoint that seals the finished
	 * rotation (as sec_audit_rotate would have), record 3, close ckpt. */
	assert_int_equal(rep.last_seq, 6);
}

/* Writes a small closed log and returns its size. */
static off_t
small_log(struct fixture *f)
{
	struct ag_auditlog	*l = open_log(f, 0);

	add(l, T0, "local", "place", "job/1", 1, "one");
	add(l, T0 + 1, "local", "place", "job/2", 0, "two");
	tick(l, T0 + 2, 300);
	add(l, T0 + 3, "local", "release", "job/1", 1, "three");
	ag_auditlog_close(l, T0 + 4);
	return file_size(f->log);
}

static void
assert_refused(struct fixture *f)
{
	struct ag_auditlog	*l;
	char			 err[1024];
	off_t			 before = file_size(f->log);

	err[0] = '\0';
	l = ag_auditlog_open(f->dir, f->key.data, f->key.len, 0, err,
	    sizeof err);
	if (l != NULL) {
		ag_auditlog_close(l, T0 + 99);
		fail_msg("a damaged log was opened");
	}
	assert_non_null(strstr(err, "exogpu audit verify"));
	assert_non_null(strstr(err, f->log));
	assert_non_null(strstr(err, "damaged"));
	/* not extended, not cut */
	assert_int_equal(file_size(f->log), before);
}

static void
test_damaged_truncated(void **state)
{
	struct fixture		*f = *state;
	off_t			 size = small_log(f);

	/* mid-line: the last line has no newline */
	assert_int_equal(truncate(f->log, size - 10), 0);
	assert_refused(f);
	/* cut right after a newline is a whole, chained log: it opens */
	{
		FILE	*fp = fopen(f->log, "r");
		char	 line[SEC_AUDIT_LINE_MAX + 2];
		off_t	 keep = 0;
		int	 i;

		assert_non_null(fp);
		for (i = 0; i < 2; i++) {
			assert_non_null(fgets(line, sizeof line, fp));
			keep += (off_t)strlen(line);
		}
		assert_int_equal(fclose(fp), 0);
		assert_int_equal(truncate(f->log, keep), 0);
		ag_auditlog_close(open_log(f, 0), T0 + 50);
	}
}

static void
test_damaged_flipped(void **state)
{
	struct fixture	*f = *state;
	off_t		 size = small_log(f);
	char		 c;
	int		 fd;

	/* one byte in the middle of the first entry */
	assert_true(size > 200);
	assert_true((fd = open(f->log, O_RDWR)) >= 0);
	assert_int_equal(pread(fd, &c, 1, 40), 1);
	c = (char)(c == 'x' ? 'y' : 'x');
	assert_int_equal(pwrite(fd, &c, 1, 40), 1);
	assert_int_equal(close(fd), 0);
	assert_refused(f);
}

static void
test_damaged_garbage(void **state)
{
	struct fixture	*f = *state;
	FILE		*fp;

	(void)small_log(f);
	assert_non_null(fp = fopen(f->log, "a"));
	assert_true(fputs("seq=99 hello\n", fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	assert_refused(f);
}

static const char *
str(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string field \"%s\"", key);
	return json_string_value(v);
}

static void
test_tail(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	json_t			*a, *o;
	char			 err[256];
	size_t			 i;

	l = open_log(f, 0);
	a = ag_auditlog_tail(l, 10, err, sizeof err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);

	add(l, T0, "tok:ab12@acme", "place", "job/42", 1, "quota ok");
	add(l, T0 + 1, "tok:cd34@other tenant", "deny", "job/43 (b)", 0,
	    "100% over = no; \"quoted\"\tand\ttabs");
	tick(l, T0 + 2, 300);
	add(l, T0 + 3, "local", "release", "", 1, "");

	/* n larger than the file: everything, oldest first */
	a = ag_auditlog_tail(l, 1000, err, sizeof err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 4);
	for (i = 0; i < 4; i++) {
		char	want[8];

		(void)snprintf(want, sizeof want, "%zu", i + 1);
		assert_string_equal(str(json_array_get(a, i), "seq"), want);
	}
	o = json_array_get(a, 0);
	assert_string_equal(str(o, "kind"), "rec");
	assert_string_equal(str(o, "time"), "2026-11-18T11:06:40Z");
	assert_string_equal(str(o, "actor"), "tok:ab12@acme");
	assert_string_equal(str(o, "action"), "place");
	assert_string_equal(str(o, "object"), "job/42");
	assert_string_equal(str(o, "decision"), "allowed");
	assert_string_equal(str(o, "reason"), "quota ok");
	assert_int_equal(strlen(str(o, "prev")), 64);
	/* percent-encoding undone */
	o = json_array_get(a, 1);
	assert_string_equal(str(o, "actor"), "tok:cd34@other tenant");
	assert_string_equal(str(o, "object"), "job/43 (b)");
	assert_string_equal(str(o, "decision"), "denied");
	assert_string_equal(str(o, "reason"),
	    "100% over = no; \"quoted\"\tand\ttabs");
	o = json_array_get(a, 2);
	assert_string_equal(str(o, "kind"), "ckpt");
	assert_string_equal(str(o, "size"), "2");
	assert_int_equal(strlen(str(o, "sig")), 128);
	assert_int_equal(strlen(str(o, "node")), 26);
	o = json_array_get(a, 3);
	assert_string_equal(str(o, "object"), "-");
	assert_string_equal(str(o, "reason"), "-");
	json_decref(a);

	/* the last n */
	a = ag_auditlog_tail(l, 2, err, sizeof err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(str(json_array_get(a, 0), "seq"), "3");
	assert_string_equal(str(json_array_get(a, 1), "seq"), "4");
	json_decref(a);
	a = ag_auditlog_tail(l, 0, err, sizeof err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 0);
	json_decref(a);
	ag_auditlog_close(l, T0 + 10);
}

/*
 * Records are "any bytes except NUL" (sec_audit.h): a reason with bytes
 * that are not UTF-8 is still an entry, and the tail must show it
 * rather than drop it.
 */
static void
test_tail_binary(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	json_t			*a, *o;
	char			 err[256];
	size_t			 n;
	int			 ok;

	l = open_log(f, 0);
	add(l, T0, "local", "place", "job/1", 1, "one");
	add(l, T0 + 1, "local", "place", "job/\xff\xfe", 0, "bytes \xc3(");
	add(l, T0 + 2, "local", "place", "job/3", 1, "three");
	a = ag_auditlog_tail(l, 10, err, sizeof err);
	ag_auditlog_close(l, T0 + 3);
	assert_non_null(a);
	n = json_array_size(a);
	o = json_array_get(a, 1);
	ok = o != NULL && json_is_string(json_object_get(o, "seq")) &&
	    strcmp(json_string_value(json_object_get(o, "seq")), "2") == 0 &&
	    json_is_string(json_object_get(o, "decision")) &&
	    strcmp(json_string_value(json_object_get(o, "decision")),
	    "denied") == 0;
	json_decref(a);
	assert_int_equal(n, 3);
	assert_true(ok);
}

/* A file bigger than the tail's read window (1 MiB). */
static void
test_tail_big(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	json_t			*a, *o;
	char			 err[256], big[1001], want[16];
	size_t			 i, n, total;
	unsigned long		 first, seq;

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	l = open_log(f, 0);
	for (total = 0; file_size(f->log) <= (3L << 20) / 2; total++) {
		big[0] = (char)('a' + total % 26);
		add(l, T0 + (int64_t)total, big, "place", big, 1, big);
	}
	a = ag_auditlog_tail(l, AG_AUDIT_TAIL_MAX, err, sizeof err);
	assert_non_null(a);
	n = json_array_size(a);
	/* the window holds about 1 MiB of ~3 KiB lines, all of them whole */
	assert_true(n > 250);
	assert_true(n <= total);
	first = strtoul(str(json_array_get(a, 0), "seq"), NULL, 10);
	for (i = 0; i < n; i++) {
		o = json_array_get(a, i);
		seq = strtoul(str(o, "seq"), NULL, 10);
		assert_int_equal(seq, first + i);
		assert_int_equal(strlen(str(o, "actor")), 1000);
		assert_int_equal(strlen(str(o, "object")), 1000);
		assert_int_equal(strlen(str(o, "reason")), 1000);
		assert_int_equal(strlen(str(o, "prev")), 64);
		assert_int_equal(str(o, "actor")[0], 'a' + (seq - 1) % 26);
	}
	(void)snprintf(want, sizeof want, "%zu", total);
	assert_string_equal(str(json_array_get(a, n - 1), "seq"), want);
	json_decref(a);

	/* a few from the end of a big file */
	a = ag_auditlog_tail(l, 3, err, sizeof err);
	assert_non_null(a);
	assert_int_equal(json_array_size(a), 3);
	assert_string_equal(str(json_array_get(a, 2), "seq"), want);
	json_decref(a);
	ag_auditlog_close(l, T0 + 100000);
}

/*
 * Anchors' needs: the newest checkpoint written, an entry found by seq
 * across rotated files, and a blocked log refusing every append.
 */
static void
test_anchor_support(void **state)
{
	struct fixture		*f = *state;
	struct ag_auditlog	*l;
	char			 line[SEC_AUDIT_LINE_MAX + 1], ck[600];
	char			 err[256], reason[64];
	uint64_t		 seq, next;
	size_t			 i;

	l = open_log(f, 1000);
	assert_int_equal(ag_auditlog_last_ckpt(l, ck, sizeof ck, &seq), -1);
	tick(l, T0, 300);			/* the first tick: a checkpoint */
	assert_int_equal(ag_auditlog_last_ckpt(l, ck, sizeof ck, &seq), 0);
	assert_int_equal(seq, 1);
	assert_non_null(strstr(ck, "kind=ckpt"));
	for (i = 0; i < 30; i++) {		/* a few rotations */
		(void)snprintf(reason, sizeof reason, "record number %zu", i);
		add(l, T0 + 1, "tok:ab12@acme", "place", "job/1", 1, reason);
	}
	next = ag_auditlog_next_seq(l);
	assert_true(next > 31);
	/* the first checkpoint, now in a rotated file, found by its seq */
	assert_int_equal(ag_auditlog_entry(l, 1, line, sizeof line, err,
	    sizeof err), AG_AUDIT_FOUND);
	assert_string_equal(line, ck);
	assert_int_equal(ag_auditlog_entry(l, next - 1, line, sizeof line,
	    err, sizeof err), AG_AUDIT_FOUND);
	assert_non_null(strstr(line, "record%20number%2029"));
	assert_int_equal(ag_auditlog_entry(l, next, line, sizeof line, err,
	    sizeof err), AG_AUDIT_AFTER_END);
	/* a rotation's checkpoint is the newest one */
	assert_int_equal(ag_auditlog_last_ckpt(l, ck, sizeof ck, &seq), 0);
	assert_true(seq > 1);
	/* blocked: appends, deferred appends and checkpoints all refused */
	ag_auditlog_block(l, "behind its anchor");
	assert_non_null(ag_auditlog_blocked(l));
	assert_int_equal(ag_auditlog_add(l, T0 + 2, "node:x", "config",
	    "agent", 1, "-", err, sizeof err), -1);
	assert_non_null(strstr(err, "behind its anchor"));
	assert_int_equal(ag_auditlog_add_deferred(l, T0 + 2, "anonymous",
	    "deny", "api", 0, "-", err, sizeof err), -1);
	tick(l, T0 + 1000, 300);
	assert_int_equal(ag_auditlog_next_seq(l), next);
	ag_auditlog_block(l, NULL);
	assert_null(ag_auditlog_blocked(l));
	add(l, T0 + 3, "node:x", "config", "agent", 1, "-");
	assert_int_equal(ag_auditlog_next_seq(l), next + 1);
	ag_auditlog_close(l, T0 + 4);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, dir_setup, \
	    dir_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_verify_reopen),
		T(test_open_errors),
		T(test_rotation),
		T(test_rotation_keep),
		T(test_deferred),
		T(test_rotation_interrupted),
		T(test_damaged_truncated),
		T(test_damaged_flipped),
		T(test_damaged_garbage),
		T(test_tail),
		T(test_tail_binary),
		T(test_tail_big),
		T(test_anchor_support),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
