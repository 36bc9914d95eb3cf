/*
 * ag_auditlog.c - the agent's audit log file: open, append, checkpoint,
 * rotate and tail; see ag_auditlog.h.  The format and the chain are
 * security/sec_audit.c's; this file owns descriptors and file names.
 */
#include "ag_auditlog.h"
#include "ag_auditlog_int.h"

#include "sec_audit.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROTATED_MAX	999	/* audit.log.1 .. .999: most kept */
/* Enough for AG_AUDIT_TAIL_MAX lines of the longest kind. */
#define TAIL_BYTES	((long)AG_AUDIT_TAIL_MAX * (SEC_AUDIT_LINE_MAX + 1))

struct ag_auditlog {
	char			 path[PATH_MAX];
	int			 fd;
	struct sec_audit_writer	*w;
	struct sec_audit_signer	*signer;
	long			 rotate_bytes;
	int			 keep;		/* rotated files kept */
	int64_t			 last_ckpt;	/* 0: none this run */
	char			 blocked[256];	/* "": appends allowed */
};

static int	add(struct ag_auditlog *, int64_t, const char *, const char *,
		    const char *, int, const char *, int, char *, size_t);

void
ag_auditlog_set_keep(struct ag_auditlog *l, int keep)
{
	l->keep = keep < 1 ? 1 : keep > ROTATED_MAX ? ROTATED_MAX : keep;
}

const char *
ag_auditlog_path(const struct ag_auditlog *l)
{
	return l->path;
}

static int
open_fd(const char *path, char *err, size_t errlen)
{
	int	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
	return fd;
}

struct ag_auditlog *
ag_auditlog_open(const char *dir, const char *key_pem, size_t key_len,
    long rotate_bytes, char *err, size_t errlen)
{
	struct ag_auditlog	*l = calloc(1, sizeof *l);
	struct stat		 st;
	char			 why[256], prev[PATH_MAX + 8];
	int			 prev_fd, rc;

	if (l == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->fd = -1;
	l->keep = AG_AUDITLOG_KEEP_DEFAULT;
	l->rotate_bytes = rotate_bytes > 0 ? rotate_bytes :
	    AG_AUDIT_DEFAULT_ROTATE;
	if (snprintf(l->path, sizeof l->path, "%s/%s", dir, AG_AUDIT_FILE) >=
	    (int)sizeof l->path) {
		(void)snprintf(err, errlen, "audit log path too long");
		goto fail;
	}
	if ((l->signer = sec_audit_signer_new(key_pem, key_len, err, errlen))
	    == NULL)
		goto fail;
	if ((l->fd = open_fd(l->path, err, errlen)) < 0)
		goto fail;
	/*
	 * An empty audit.log next to audit.log.1 is a rotation cut short
	 * (renamed, not yet sealed): the chain continues from audit.log.1.
	 */
	(void)snprintf(prev, sizeof prev, "%s.1", l->path);
	prev_fd = open(prev, O_RDONLY | O_CLOEXEC);
	rc = sec_audit_writer_open(&l->w, l->fd, prev_fd, why, sizeof why);
	if (rc == 0 && prev_fd >= 0 && fstat(l->fd, &st) == 0 &&
	    st.st_size == 0)
		rc = sec_audit_checkpoint(l->w, (int64_t)time(NULL), l->signer,
		    why, sizeof why);
	if (prev_fd >= 0)
		(void)close(prev_fd);
	if (rc != 0) {
		(void)snprintf(err, errlen, "audit log %s is damaged (%s); the "
		    "agent will not extend it.  Check it with `exogpu audit "
		    "verify %s`, move it aside, and start again", l->path, why,
		    l->path);
		goto fail;
	}
	return l;
fail:
	if (l->fd >= 0)
		(void)close(l->fd);
	sec_audit_signer_free(l->signer);
	free(l);
	return NULL;
}

void
ag_auditlog_close(struct ag_auditlog *l, int64_t now)
{
	char	err[256];

	if (l == NULL)
		return;
	if (l->w != NULL && l->blocked[0] == '\0')
		(void)sec_audit_checkpoint(l->w, now, l->signer, err,
		    sizeof err);
	sec_audit_writer_free(l->w);
	sec_audit_signer_free(l->signer);
	if (l->fd >= 0)
		(void)close(l->fd);
	free(l);
}

/* "PATH.i" into out; -1 if it does not fit. */
static int
numbered(char *out, size_t size, const char *path, int i)
{
	int	n = snprintf(out, size, "%s.%d", path, i);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Deletes audit.log.keep and every older file up to audit.log.last, so
 * that the shift leaves keep rotated files.  Returns the first number
 * still free (the new top).
 */
static int
prune(const struct ag_auditlog *l, int top, char *err, size_t errlen)
{
	char	path[PATH_MAX + 8];
	int	i;

	if (top <= l->keep)
		return top;
	for (i = top - 1; i >= l->keep; i--) {
		if (numbered(path, sizeof path, l->path, i) != 0)
			return -1;
		if (unlink(path) != 0 && errno != ENOENT) {
			(void)snprintf(err, errlen, "prune %s: %s", path,
			    strerror(errno));
			return -1;
		}
	}
	return l->keep;
}

/*
 * audit.log.N -> .N+1 from the top, then audit.log -> audit.log.1,
 * keeping l->keep rotated files.
 */
static int
shift_files(const struct ag_auditlog *l, char *err, size_t errlen)
{
	char		from[PATH_MAX + 8], to[PATH_MAX + 8];
	struct stat	st;
	int		top;

	for (top = 1; top <= ROTATED_MAX; top++) {
		(void)snprintf(from, sizeof from, "%s.%d", l->path, top);
		if (stat(from, &st) != 0)
			break;
	}
	if ((top = prune(l, top, err, errlen)) < 0)
		return -1;
	for (; top >= 1; top--) {
		if (top == 1)
			(void)snprintf(from, sizeof from, "%s", l->path);
		else if (numbered(from, sizeof from, l->path, top - 1) != 0)
			return -1;
		if (numbered(to, sizeof to, l->path, top) != 0)
			return -1;
		if (rename(from, to) != 0) {
			(void)snprintf(err, errlen, "rotate %s: %s", from,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
rotate(struct ag_auditlog *l, int64_t now, char *err, size_t errlen)
{
	int	fd;

	if (shift_files(l, err, errlen) != 0)
		return -1;
	if ((fd = open_fd(l->path, err, errlen)) < 0)
		return -1;
	if (sec_audit_rotate(l->w, fd, now, l->signer, err, errlen) != 0) {
		(void)close(fd);
		return -1;
	}
	(void)close(l->fd);
	l->fd = fd;
	l->last_ckpt = now;
	return 0;
}

int
ag_auditlog_add(struct ag_auditlog *l, int64_t now, const char *actor,
    const char *action, const char *object, int allowed, const char *reason,
    char *err, size_t errlen)
{
	return add(l, now, actor, action, object, allowed, reason, 0, err,
	    errlen);
}

int
ag_auditlog_add_deferred(struct ag_auditlog *l, int64_t now,
    const char *actor, const char *action, const char *object, int allowed,
    const char *reason, char *err, size_t errlen)
{
	return add(l, now, actor, action, object, allowed, reason, 1, err,
	    errlen);
}

int
ag_auditlog_sync(struct ag_auditlog *l, char *err, size_t errlen)
{
	return l == NULL ? 0 : sec_audit_sync(l->w, err, errlen);
}

static int
add(struct ag_auditlog *l, int64_t now, const char *actor,
    const char *action, const char *object, int allowed, const char *reason,
    int deferred, char *err, size_t errlen)
{
	struct sec_audit_rec	r;
	struct stat		st;

	if (l == NULL) {
		(void)snprintf(err, errlen, "no audit log");
		return -1;
	}
	if (l->blocked[0] != '\0') {
		(void)snprintf(err, errlen, "audit log refused: %s",
		    l->blocked);
		return -1;
	}
	if (fstat(l->fd, &st) == 0 && st.st_size >= l->rotate_bytes &&
	    rotate(l, now, err, errlen) != 0)
		return -1;
	memset(&r, 0, sizeof r);
	r.time = now;
	r.actor = actor;
	r.action = action;
	r.object = object[0] ? object : "-";
	r.allowed = allowed;
	r.reason = reason[0] ? reason : "-";
	return deferred ? sec_audit_append_deferred(l->w, &r, err, errlen) :
	    sec_audit_append(l->w, &r, err, errlen);
}

int
ag_auditlog_tick(struct ag_auditlog *l, int64_t now, long interval_s,
    char *err, size_t errlen)
{
	if (l == NULL || l->blocked[0] != '\0')
		return 0;	/* blocked: said once, by whoever blocked */
	if (l->last_ckpt == 0) {
		l->last_ckpt = now;	/* first tick: start the clock */
		return sec_audit_checkpoint(l->w, now, l->signer, err, errlen);
	}
	if (now - l->last_ckpt < interval_s)
		return 0;
	l->last_ckpt = now;
	return sec_audit_checkpoint(l->w, now, l->signer, err, errlen);
}

/* Value of hex digit c (isxdigit). */
static unsigned
hexval(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0') :
	    (unsigned)(tolower((unsigned char)c) - 'a' + 10);
}

/* s with bytes outside printable ASCII as %XX: always valid UTF-8. */
static json_t *
ascii_text(const char *s)
{
	static const char	 digits[] = "0123456789ABCDEF";
	size_t			 n = strlen(s), i, k = 0;
	char			*out = malloc(3 * n + 1);
	json_t			*j;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char	c = (unsigned char)s[i];

		if (c > 0x20 && c < 0x7f)
			out[k++] = (char)c;
		else {
			out[k++] = '%';
			out[k++] = digits[c >> 4];
			out[k++] = digits[c & 15];
		}
	}
	out[k] = '\0';
	j = json_string(out);
	free(out);
	return j;
}

/* One "k=v" token; v percent-decoded ("%XX" exactly). */
static int
add_field(json_t *o, char *tok)
{
	char	 val[SEC_AUDIT_LINE_MAX + 1], *eq;
	size_t	 i, k = 0;
	json_t	*jv, *jk;

	if ((eq = strchr(tok, '=')) == NULL)
		return 0;
	*eq++ = '\0';
	for (i = 0; eq[i] != '\0'; i++) {
		/* Exactly "%XX" (sscanf's %x would take "%-1"). */
		if (eq[i] == '%' && isxdigit((unsigned char)eq[i + 1]) &&
		    isxdigit((unsigned char)eq[i + 2])) {
			val[k++] = (char)(hexval(eq[i + 1]) << 4 |
			    hexval(eq[i + 2]));
			i += 2;
		} else
			val[k++] = eq[i];
	}
	val[k] = '\0';
	/*
	 * Not UTF-8 once decoded: the encoded text, with any raw byte the
	 * writer would have encoded (a damaged or edited line) encoded now,
	 * so the line still shows rather than vanishing from the tail.
	 */
	if ((jv = json_stringn(val, k)) == NULL &&
	    (jv = ascii_text(eq)) == NULL)
		return -1;
	/* A key is UTF-8 too (json_string checks); else encoded alike. */
	if ((jk = json_string(tok)) == NULL && (jk = ascii_text(tok)) == NULL) {
		json_decref(jv);
		return -1;
	}
	i = json_object_set_new(o, json_string_value(jk), jv) == 0 ? 0 : 1;
	json_decref(jk);
	return i == 0 ? 0 : -1;
}

json_t *
ag_auditlog_line_json(const char *line, size_t len)
{
	json_t	*o = json_object();
	char	 buf[SEC_AUDIT_LINE_MAX + 1], *tok, *save = NULL;

	if (o == NULL || len > SEC_AUDIT_LINE_MAX) {
		json_decref(o);
		return NULL;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save))
		if (add_field(o, tok) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

json_t *
ag_auditlog_tail(struct ag_auditlog *l, size_t n, char *err, size_t errlen)
{
	json_t	*a = json_array();
	char	*buf = malloc(TAIL_BYTES + 1);
	off_t	 size, from;
	ssize_t	 got;
	size_t	 start;

	if (a == NULL || buf == NULL || l == NULL) {
		(void)snprintf(err, errlen, "no audit log");
		goto fail;
	}
	if ((size = lseek(l->fd, 0, SEEK_END)) < 0) {
		(void)snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
		goto fail;
	}
	from = size > TAIL_BYTES ? size - TAIL_BYTES : 0;
	if ((got = pread(l->fd, buf, (size_t)(size - from), from)) < 0) {
		(void)snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
		goto fail;
	}
	start = 0;
	if (from > 0) {			/* skip a partial first line */
		while (start < (size_t)got && buf[start] != '\n')
			start++;
		start++;
	}
	while (start < (size_t)got) {
		char	*nl = memchr(buf + start, '\n', (size_t)got - start);
		json_t	*o;

		if (nl == NULL)
			break;
		if ((o = ag_auditlog_line_json(buf + start,
		    (size_t)(nl - (buf + start)))) != NULL && json_array_append_new(a, o) != 0)
			break;
		start = (size_t)(nl - buf) + 1;
	}
	while (json_array_size(a) > n)
		(void)json_array_remove(a, 0);
	free(buf);
	return a;
fail:
	free(buf);
	json_decref(a);
	return NULL;
}

void
ag_auditlog_block(struct ag_auditlog *l, const char *why)
{
	if (l != NULL)
		(void)snprintf(l->blocked, sizeof l->blocked, "%s",
		    why != NULL ? why : "");
}

const char *
ag_auditlog_blocked(const struct ag_auditlog *l)
{
	return l != NULL && l->blocked[0] != '\0' ? l->blocked : NULL;
}

int
ag_auditlog_last_ckpt(const struct ag_auditlog *l, char *out, size_t cap,
    uint64_t *seq)
{
	return l == NULL ? -1 : sec_audit_writer_last_ckpt(l->w, out, cap,
	    seq);
}

uint64_t
ag_auditlog_next_seq(const struct ag_auditlog *l)
{
	return l == NULL ? 0 : sec_audit_writer_seq(l->w);
}

int
ag_auditlog_pub_pem(const struct ag_auditlog *l, char **pem, size_t *len,
    char *err, size_t errlen)
{
	return sec_audit_signer_pub_pem(l->signer, pem, len, err, errlen);
}

/* "seq=N " at the start of line: N, or 0. */
static uint64_t
seq_of(const char *line)
{
	unsigned long long	v;
	char			c;

	if (strncmp(line, "seq=", 4) != 0 || !isdigit((unsigned char)line[4])
	    || sscanf(line + 4, "%llu%c", &v, &c) != 2 || c != ' ')
		return 0;
	return (uint64_t)v;
}

/*
 * Scans one file for seq.  1 found (line in out), 0 not in it (*first
 * is its first seq, 0 if empty or unreadable first line), -1 error.
 */
static int
scan_for(FILE *fp, uint64_t seq, char *out, size_t cap, uint64_t *first)
{
	char		*buf = malloc(SEC_AUDIT_LINE_MAX + 2);
	uint64_t	 s;
	size_t		 len;
	int		 rc = 0;

	*first = 0;
	if (buf == NULL)
		return -1;
	while (fgets(buf, SEC_AUDIT_LINE_MAX + 2, fp) != NULL) {
		len = strcspn(buf, "\n");
		buf[len] = '\0';
		s = seq_of(buf);
		if (*first == 0)
			*first = s;
		if (s == seq) {
			if (len >= cap) {
				rc = -1;
				break;
			}
			memcpy(out, buf, len + 1);
			rc = 1;
			break;
		}
		if (s > seq)
			break;
	}
	free(buf);
	return rc;
}

int
ag_auditlog_entry(const struct ag_auditlog *l, uint64_t seq, char *out,
    size_t cap, char *err, size_t errlen)
{
	char		path[PATH_MAX + 8];
	uint64_t	first;
	FILE		*fp;
	int		i, rc;

	if (seq >= sec_audit_writer_seq(l->w))
		return AG_AUDIT_AFTER_END;
	for (i = 0; i <= ROTATED_MAX; i++) {
		if (i == 0)
			(void)snprintf(path, sizeof path, "%s", l->path);
		else if (numbered(path, sizeof path, l->path, i) != 0)
			break;
		if ((fp = fopen(path, "re")) == NULL) {
			if (errno == ENOENT)
				break;
			(void)snprintf(err, errlen, "%s: %s", path,
			    strerror(errno));
			return -1;
		}
		rc = scan_for(fp, seq, out, cap, &first);
		(void)fclose(fp);
		if (rc < 0) {
			(void)snprintf(err, errlen, "%s: cannot read entry "
			    "%llu", path, (unsigned long long)seq);
			return -1;
		}
		if (rc == 1)
			return AG_AUDIT_FOUND;
		if (first != 0 && first <= seq) {
			(void)snprintf(out, cap, "%s", "");
			return AG_AUDIT_AFTER_END;	/* a gap: not there */
		}
	}
	return AG_AUDIT_BEFORE_START;
}
