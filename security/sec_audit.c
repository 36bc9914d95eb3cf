/*
 * sec_audit.c - the tamper-evident audit log (format: sec_audit.h,
 * docs/audit.md).
 *
 * One routine, chain_feed(), checks an entry against the chain so far;
 * the writer's recovery scan and the verifier both go through it, so the
 * writer never extends a log the verifier would reject.  The verifier
 * adds what only a reader of the whole log can do: checking signatures
 * and, after the first failure, a look ahead to tell a reordered entry
 * from a deleted one.  Parsing is strict (fixed field order, bounded
 * line and value lengths, canonical numbers) because every line is
 * hostile input to `exogpu audit verify`.
 */
#include "sec_audit.h"
#include "sec_gnutls.h"
#include "sec_identity.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CKPT_TAG	"exogpu-audit-ckpt-v1"
#define HASH_LEN	32
#define SIG_LEN		64
#define TIME_LEN	20	/* 2026-11-22T03:22:21Z */
#define ACTION_MAX	32

enum kind { KIND_REC, KIND_CKPT };

/* One parsed line; pointers point into the line. */
struct entry {
	uint64_t	 seq;
	enum kind	 kind;
	const char	*time;			/* TIME_LEN bytes */
	char		 node[SEC_NODE_ID_SIZE];
	uint64_t	 size;
	unsigned char	 head[HASH_LEN];
	unsigned char	 prev[HASH_LEN];
	unsigned char	 sig[SIG_LEN];
};

struct chain {
	int		started;
	uint64_t	next;			/* seq expected next */
	unsigned char	head[HASH_LEN];		/* hash of the last entry */
	unsigned char	pprev[HASH_LEN];	/* prev field of the last */
	size_t		pfile;			/* where the last entry is */
	unsigned long	pline;
	uint64_t	records, checkpoints, uncovered, first;
};

struct sec_audit_signer {
	gnutls_privkey_t	key;
	char			node[SEC_NODE_ID_SIZE];
};

#define CKPT_KEEP	512	/* a checkpoint line is ~350 bytes */

struct sec_audit_writer {
	int		fd;
	off_t		off;		/* end of the file */
	int		broken;
	int		dirty;		/* deferred lines not yet fsync'd */
	struct chain	ch;
	uint64_t	ckpt_seq;	/* newest checkpoint written, 0: none */
	char		ckpt[CKPT_KEEP];
};

_Static_assert(SEC_AUDIT_NODE_SIZE == SEC_NODE_ID_SIZE, "node id size");

/* --- small encoders --- */

static void
hex_enc(const unsigned char *b, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Exactly 2n lowercase hex digits. */
static int
hex_dec(const char *s, size_t len, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hex_val(s[2 * i])) < 0 ||
		    (lo = hex_val(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static void
sha256(const void *p, size_t n, unsigned char out[HASH_LEN])
{
	/* SHA-256 of a buffer cannot fail once GnuTLS is loaded. */
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, out) < 0)
		abort();
}

/* Does c go on the line as itself? */
static int
plain_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%';
}

/* Appends " key=<percent-encoded s>" to buf at *pos. */
static int
put_value(char *buf, size_t cap, size_t *pos, const char *key,
    const char *s, char *err, size_t errlen)
{
	static const char	digits[] = "0123456789ABCDEF";
	size_t			start, n;
	int			w;

	w = snprintf(buf + *pos, cap - *pos, " %s=", key);
	if (w < 0 || (size_t)w >= cap - *pos)
		return sec_err(err, errlen, "audit record too long");
	*pos += (size_t)w;
	start = *pos;
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;

		n = plain_char(c) ? 1 : 3;
		if (*pos + n >= cap || *pos + n - start > SEC_AUDIT_FIELD_MAX)
			return sec_err(err, errlen, "audit %s too long", key);
		if (n == 1)
			buf[(*pos)++] = (char)c;
		else {
			buf[(*pos)++] = '%';
			buf[(*pos)++] = digits[c >> 4];
			buf[(*pos)++] = digits[c & 15];
		}
	}
	buf[*pos] = '\0';
	return 0;
}

static int
format_time(int64_t t, char out[TIME_LEN + 1])
{
	struct tm	tm;
	time_t		tt;

	/* 0000..9999 only, so the text is always TIME_LEN characters. */
	if (t < 0 || t > INT64_C(253402300799))
		return -1;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	if (strftime(out, TIME_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm) !=
	    TIME_LEN)
		return -1;
	return 0;
}

/* --- the line parser --- */

/* Value of "key=..." at *p (up to the next space or end); advances *p. */
static int
field(const char **p, const char *end, const char *key, const char **val,
    size_t *vlen, int last)
{
	size_t		 klen = strlen(key);
	const char	*v, *q;

	if ((size_t)(end - *p) < klen + 1 || memcmp(*p, key, klen) != 0 ||
	    (*p)[klen] != '=')
		return -1;
	v = *p + klen + 1;
	for (q = v; q < end && *q != ' '; q++)
		;
	if (last ? q != end : q == end)
		return -1;
	*val = v;
	*vlen = (size_t)(q - v);
	*p = last ? q : q + 1;
	return 0;
}

/* Canonical decimal: no sign, no leading zero, at most 19 digits. */
static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i;

	if (len == 0 || len > 19 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
digits_in(const char *s, size_t n, unsigned lo, unsigned hi)
{
	unsigned	v = 0;
	size_t		i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v < lo || v > hi ? -1 : 0;
}

/* YYYY-MM-DDTHH:MM:SSZ, fields in range (day checked only to 31). */
static int
check_time(const char *s, size_t len)
{
	if (len != TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -1;
	if (digits_in(s, 4, 0, 9999) < 0 || digits_in(s + 5, 2, 1, 12) < 0 ||
	    digits_in(s + 8, 2, 1, 31) < 0 || digits_in(s + 11, 2, 0, 23) < 0 ||
	    digits_in(s + 14, 2, 0, 59) < 0 || digits_in(s + 17, 2, 0, 60) < 0)
		return -1;
	return 0;
}

static int
upper_hex(char c)
{
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

/* Percent-encoded text: plain characters and %XX (uppercase) only. */
static int
check_text(const char *s, size_t len)
{
	size_t	i;
	int	hi, lo;

	if (len > SEC_AUDIT_FIELD_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] == '%') {
			/* %XX, uppercase, and only for a byte that needs it */
			if (i + 2 >= len || (hi = upper_hex(s[i + 1])) < 0 ||
			    (lo = upper_hex(s[i + 2])) < 0 ||
			    plain_char((unsigned char)(hi << 4 | lo)))
				return -1;
			i += 2;
		} else if (!plain_char((unsigned char)s[i]))
			return -1;
	}
	return 0;
}

static int
action_ok(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > ACTION_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

static int
parse_bad(const char **why, const char *what)
{
	*why = what;
	return -1;
}

/* Parses one line (no newline); on failure *why says which part. */
static int
parse_entry(const char *line, size_t len, struct entry *e, const char **why)
{
	const char	*p = line, *end = line + len, *v;
	size_t		 vl;

	memset(e, 0, sizeof *e);
	if (len > SEC_AUDIT_LINE_MAX)
		return parse_bad(why, "line too long");
	if (field(&p, end, "seq", &v, &vl, 0) < 0 ||
	    parse_u64(v, vl, &e->seq) < 0 || e->seq == 0)
		return parse_bad(why, "bad seq field");
	if (field(&p, end, "time", &v, &vl, 0) < 0 || check_time(v, vl) < 0)
		return parse_bad(why, "bad time field");
	e->time = v;
	if (field(&p, end, "kind", &v, &vl, 0) < 0)
		return parse_bad(why, "bad kind field");
	if (vl == 3 && memcmp(v, "rec", 3) == 0) {
		e->kind = KIND_REC;
		if (field(&p, end, "actor", &v, &vl, 0) < 0 ||
		    check_text(v, vl) < 0)
			return parse_bad(why, "bad actor field");
		if (field(&p, end, "action", &v, &vl, 0) < 0 ||
		    !action_ok(v, vl))
			return parse_bad(why, "bad action field");
		if (field(&p, end, "object", &v, &vl, 0) < 0 ||
		    check_text(v, vl) < 0)
			return parse_bad(why, "bad object field");
		if (field(&p, end, "decision", &v, &vl, 0) < 0 ||
		    !((vl == 7 && memcmp(v, "allowed", 7) == 0) ||
		    (vl == 6 && memcmp(v, "denied", 6) == 0)))
			return parse_bad(why, "bad decision field");
		if (field(&p, end, "reason", &v, &vl, 0) < 0 ||
		    check_text(v, vl) < 0)
			return parse_bad(why, "bad reason field");
		if (field(&p, end, "prev", &v, &vl, 1) < 0 ||
		    hex_dec(v, vl, e->prev, HASH_LEN) < 0)
			return parse_bad(why, "bad prev field");
		return 0;
	}
	if (vl != 4 || memcmp(v, "ckpt", 4) != 0)
		return parse_bad(why, "unknown kind");
	e->kind = KIND_CKPT;
	if (field(&p, end, "node", &v, &vl, 0) < 0 || vl != SEC_NODE_ID_LEN)
		return parse_bad(why, "bad node field");
	memcpy(e->node, v, vl);
	e->node[vl] = '\0';
	if (!sec_node_id_valid(e->node))
		return parse_bad(why, "bad node field");
	if (field(&p, end, "size", &v, &vl, 0) < 0 ||
	    parse_u64(v, vl, &e->size) < 0)
		return parse_bad(why, "bad size field");
	if (field(&p, end, "head", &v, &vl, 0) < 0 ||
	    hex_dec(v, vl, e->head, HASH_LEN) < 0)
		return parse_bad(why, "bad head field");
	if (field(&p, end, "prev", &v, &vl, 0) < 0 ||
	    hex_dec(v, vl, e->prev, HASH_LEN) < 0)
		return parse_bad(why, "bad prev field");
	if (field(&p, end, "sig", &v, &vl, 1) < 0 ||
	    hex_dec(v, vl, e->sig, SIG_LEN) < 0)
		return parse_bad(why, "bad sig field");
	return 0;
}

/* The bytes a checkpoint signature covers. */
static size_t
ckpt_message(char *buf, size_t cap, const char *node, uint64_t size,
    const unsigned char head[HASH_LEN], const char *time)
{
	char	hx[2 * HASH_LEN + 1];
	int	n;

	hex_enc(head, HASH_LEN, hx);
	n = snprintf(buf, cap, CKPT_TAG " node=%s size=%llu head=%s time=%.*s",
	    node, (unsigned long long)size, hx, TIME_LEN, time);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* --- line reading --- */

enum rd { RD_EOF, RD_LINE, RD_PARTIAL, RD_LONG, RD_ERR };

/* One line into buf (cap > SEC_AUDIT_LINE_MAX), newline stripped. */
static enum rd
read_line(FILE *fp, char *buf, size_t *len)
{
	size_t	n = 0;
	int	c;

	while ((c = getc(fp)) != EOF) {
		if (c == '\n') {
			*len = n;
			return RD_LINE;
		}
		if (n == SEC_AUDIT_LINE_MAX)
			return RD_LONG;
		buf[n++] = (char)c;
	}
	*len = n;
	if (ferror(fp))
		return RD_ERR;
	return n == 0 ? RD_EOF : RD_PARTIAL;
}

/* --- the chain --- */

struct vctx {
	struct chain		 ch;
	size_t			 npub;		/* 0: chain only */
	gnutls_pubkey_t		 pubs[SEC_AUDIT_KEYS_MAX];
	char			 key_nodes[SEC_AUDIT_KEYS_MAX][SEC_NODE_ID_SIZE];
	int			 have_anchor;
	struct entry		 anchor;
	unsigned char		 anchor_hash[HASH_LEN];	/* of its line */
	FILE *const		*fps;		/* for look-ahead, or NULL */
	size_t			 nfps;
	struct sec_audit_report	*rep;
};

static int
tampered(struct vctx *v, size_t file, unsigned long line, uint64_t seq,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
tampered(struct vctx *v, size_t file, unsigned long line, uint64_t seq,
    const char *fmt, ...)
{
	va_list	ap;

	v->rep->file = file;
	v->rep->line = line;
	v->rep->seq = seq;
	va_start(ap, fmt);
	(void)vsnprintf(v->rep->reason, sizeof v->rep->reason, fmt, ap);
	va_end(ap);
	return SEC_AUDIT_TAMPERED;
}

/* Cheap "seq=N " prefix parse for the look-ahead. */
static int
line_seq(const char *line, size_t len, uint64_t *seq)
{
	const char	*sp;

	if (len < 5 || memcmp(line, "seq=", 4) != 0)
		return -1;
	if ((sp = memchr(line + 4, ' ', len - 4)) == NULL)
		return -1;
	return parse_u64(line + 4, (size_t)(sp - line - 4), seq);
}

/*
 * After a gap at (file, line): is the missing seq somewhere further on?
 * Reads on from where the streams are; only used once, after failure.
 */
static int
find_later(struct vctx *v, size_t file, unsigned long line, uint64_t want,
    size_t *ffile, unsigned long *fline, char *buf)
{
	uint64_t	s;
	size_t		len, f;
	enum rd		r;

	if (v->fps == NULL)
		return 0;
	for (f = file; f < v->nfps; f++) {
		if (f != file)
			line = 0;
		while ((r = read_line(v->fps[f], buf, &len)) == RD_LINE ||
		    r == RD_PARTIAL) {
			line++;
			if (line_seq(buf, len, &s) == 0 && s == want) {
				*ffile = f;
				*fline = line;
				return 1;
			}
			if (r == RD_PARTIAL)
				break;
		}
	}
	return 0;
}

static int
check_ckpt(struct vctx *v, const struct entry *e, size_t file,
    unsigned long lineno)
{
	char		msg[256];
	const char	*key_node;
	gnutls_datum_t	d, s;
	size_t		n, k;

	if (e->size != e->seq - 1)
		return tampered(v, file, lineno, e->seq, "checkpoint says "
		    "size %llu but %llu entries precede it",
		    (unsigned long long)e->size,
		    (unsigned long long)(e->seq - 1));
	if (memcmp(e->head, e->prev, HASH_LEN) != 0)
		return tampered(v, file, lineno, e->seq, "checkpoint head "
		    "differs from its prev: checkpoint edited");
	if (v->npub == 0)
		return 0;
	/* the key the checkpoint names, else the first (reports why) */
	for (k = 0; k < v->npub; k++)
		if (strcmp(e->node, v->key_nodes[k]) == 0)
			break;
	if (k == v->npub)
		k = 0;
	key_node = v->key_nodes[k];
	if ((n = ckpt_message(msg, sizeof msg, e->node, e->size, e->head,
	    e->time)) == 0)
		return tampered(v, file, lineno, e->seq, "checkpoint "
		    "unrepresentable");
	d.data = (unsigned char *)msg;
	d.size = (unsigned)n;
	s.data = (unsigned char *)(uintptr_t)e->sig;
	s.size = SIG_LEN;
	if (gnutls_pubkey_verify_data2(v->pubs[k], GNUTLS_SIGN_EDDSA_ED25519,
	    0, &d, &s) < 0)
		return tampered(v, file, lineno, e->seq, "checkpoint "
		    "signature does not verify%s%s%s", strcmp(e->node,
		    key_node) != 0 ? " (checkpoint names node " : "",
		    strcmp(e->node, key_node) != 0 ? e->node : "",
		    strcmp(e->node, key_node) != 0 ? ", not the key's)" :
		    ": checkpoint edited or forged");
	if (strcmp(e->node, key_node) != 0)
		return tampered(v, file, lineno, e->seq, "checkpoint by node "
		    "%s, but the key is node %s", e->node, key_node);
	return 0;
}

/*
 * Checks one line against the chain and advances it.  Returns 0, or
 * SEC_AUDIT_TAMPERED with the first bad entry in v->rep.  buf is scratch
 * for the look-ahead (the line itself may live in it: read it first).
 */
static int
chain_feed(struct vctx *v, const char *line, size_t len, size_t file,
    unsigned long lineno, unsigned long file_entries, char *buf)
{
	struct chain	*ch = &v->ch;
	struct entry	 e;
	const char	*why;
	unsigned char	 h[HASH_LEN], zero[HASH_LEN];
	size_t		 ff;
	unsigned long	 fl;
	int		 rc;

	if (parse_entry(line, len, &e, &why) < 0)
		return tampered(v, file, lineno, ch->started ? ch->next : 0,
		    "malformed entry (%s): edited or corrupted", why);
	if (file_entries > SEC_AUDIT_FILE_RECORDS)
		return tampered(v, file, lineno, e.seq, "more than %u "
		    "entries in one file", SEC_AUDIT_FILE_RECORDS);
	memset(zero, 0, sizeof zero);
	if (!ch->started) {
		if (e.seq == 1 && memcmp(e.prev, zero, HASH_LEN) != 0)
			return tampered(v, file, lineno, 1, "entry 1 has a "
			    "non-zero prev");
		ch->started = 1;
		ch->next = e.seq;
		ch->first = e.seq;
		memcpy(ch->head, e.prev, HASH_LEN);
	} else if (e.seq > ch->next) {
		if (lineno == 1 && file > 0)
			return tampered(v, ch->pfile, ch->pline + 1, ch->next,
			    "file ends after entry %llu but the next file "
			    "starts at entry %llu%s: truncated or deleted",
			    (unsigned long long)(ch->next - 1),
			    (unsigned long long)e.seq, e.kind == KIND_CKPT ?
			    " with a checkpoint covering them" : "");
		if (find_later(v, file, lineno, ch->next, &ff, &fl, buf))
			return tampered(v, file, lineno, ch->next, "entry "
			    "%llu is out of place (found at file %zu line "
			    "%lu): entries reordered",
			    (unsigned long long)ch->next, ff, fl);
		return tampered(v, file, lineno, ch->next, "entries %llu..%llu "
		    "missing: deleted", (unsigned long long)ch->next,
		    (unsigned long long)(e.seq - 1));
	} else if (e.seq < ch->next) {
		if (e.seq == ch->next - 1 &&
		    memcmp(e.prev, ch->pprev, HASH_LEN) == 0)
			return tampered(v, ch->pfile, ch->pline, e.seq, "two "
			    "entries %llu follow the same predecessor: "
			    "this one inserted", (unsigned long long)e.seq);
		return tampered(v, file, lineno, ch->next, "entry %llu where "
		    "%llu was expected: entry inserted, duplicated or "
		    "reordered", (unsigned long long)e.seq,
		    (unsigned long long)ch->next);
	} else if (memcmp(e.prev, ch->head, HASH_LEN) != 0)
		return tampered(v, ch->pfile, ch->pline, e.seq - 1, "hash "
		    "does not match the prev of entry %llu: entry edited "
		    "(or the next entry's prev altered)",
		    (unsigned long long)e.seq);
	if (e.kind == KIND_CKPT &&
	    (rc = check_ckpt(v, &e, file, lineno)) != 0)
		return rc;
	sha256(line, len, h);
	if (v->have_anchor && e.seq == v->anchor.size &&
	    memcmp(h, v->anchor.head, HASH_LEN) != 0)
		return tampered(v, file, lineno, e.seq, "entry differs from "
		    "the external checkpoint: log edited or replaced");
	if (v->have_anchor && e.seq == v->anchor.seq &&
	    memcmp(h, v->anchor_hash, HASH_LEN) != 0)
		return tampered(v, file, lineno, e.seq, "entry %llu is not "
		    "the external checkpoint: log cut and extended, or "
		    "replaced", (unsigned long long)e.seq);
	memcpy(ch->head, h, HASH_LEN);
	memcpy(ch->pprev, e.prev, HASH_LEN);
	ch->next = e.seq + 1;
	ch->pfile = file;
	ch->pline = lineno;
	if (e.kind == KIND_CKPT) {
		ch->checkpoints++;
		ch->uncovered = 0;
	} else {
		ch->records++;
		ch->uncovered++;
	}
	return 0;
}

/* Feeds a whole stream; a damaged last line is tampering too. */
static int
chain_file(struct vctx *v, FILE *fp, size_t file)
{
	char		*line, *scratch;
	size_t		 len;
	unsigned long	 lineno = 0;
	enum rd		 r;
	int		 rc = 0;

	line = malloc(SEC_AUDIT_LINE_MAX + 1);
	scratch = malloc(SEC_AUDIT_LINE_MAX + 1);
	if (line == NULL || scratch == NULL) {
		free(line);
		free(scratch);
		(void)snprintf(v->rep->reason, sizeof v->rep->reason,
		    "out of memory");
		return -1;
	}
	while ((r = read_line(fp, line, &len)) == RD_LINE) {
		lineno++;
		if ((rc = chain_feed(v, line, len, file, lineno, lineno,
		    scratch)) != 0)
			break;
	}
	if (rc == 0 && r == RD_PARTIAL)
		rc = tampered(v, file, lineno + 1, v->ch.started ?
		    v->ch.next : 0, "last line has no newline: file "
		    "truncated (or a torn write)");
	else if (rc == 0 && r == RD_LONG)
		rc = tampered(v, file, lineno + 1, v->ch.started ?
		    v->ch.next : 0, "line longer than %u bytes",
		    SEC_AUDIT_LINE_MAX);
	else if (rc == 0 && r == RD_ERR) {
		(void)snprintf(v->rep->reason, sizeof v->rep->reason,
		    "read error");
		rc = -1;
	}
	free(line);
	free(scratch);
	return rc;
}

/* --- signer --- */

struct sec_audit_signer *
sec_audit_signer_new(const char *key_pem, size_t len, char *err,
    size_t errlen)
{
	struct sec_audit_signer	*s;
	gnutls_x509_privkey_t	 xk;
	unsigned char		 pub[SEC_ED25519_LEN];
	int			 rc;

	if (sec_key_import(key_pem, len, &xk, err, errlen) < 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL) {
		gnutls_x509_privkey_deinit(xk);
		(void)sec_err(err, errlen, "out of memory");
		return NULL;
	}
	if (sec_key_pub(xk, pub, err, errlen) < 0) {
		gnutls_x509_privkey_deinit(xk);
		free(s);
		return NULL;
	}
	sec_node_id_from_pub(pub, s->node);
	if ((rc = gnutls_privkey_init(&s->key)) < 0) {
		gnutls_x509_privkey_deinit(xk);
		free(s);
		(void)sec_gnutls_err(err, errlen, "privkey init", rc);
		return NULL;
	}
	if ((rc = gnutls_privkey_import_x509(s->key, xk,
	    GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE)) < 0) {
		gnutls_x509_privkey_deinit(xk);
		gnutls_privkey_deinit(s->key);
		free(s);
		(void)sec_gnutls_err(err, errlen, "privkey import", rc);
		return NULL;
	}
	return s;
}

void
sec_audit_signer_free(struct sec_audit_signer *s)
{
	if (s == NULL)
		return;
	gnutls_privkey_deinit(s->key);
	free(s);
}

int
sec_audit_signer_pub_pem(const struct sec_audit_signer *s, char **pem,
    size_t *len, char *err, size_t errlen)
{
	gnutls_pubkey_t	pub;
	gnutls_datum_t	d = { NULL, 0 };
	int		rc;

	if ((rc = gnutls_pubkey_init(&pub)) < 0)
		return sec_gnutls_err(err, errlen, "pubkey init", rc);
	rc = gnutls_pubkey_import_privkey(pub, s->key, 0, 0);
	if (rc >= 0)
		rc = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_PEM, &d);
	gnutls_pubkey_deinit(pub);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "public key export", rc);
	if ((*pem = malloc(d.size + 1)) == NULL) {
		gnutls_free(d.data);
		return sec_err(err, errlen, "out of memory");
	}
	memcpy(*pem, d.data, d.size);
	(*pem)[d.size] = '\0';
	*len = d.size;
	gnutls_free(d.data);
	return 0;
}

/* --- writer --- */

/* Scans fd from its start into the chain; returns the file size. */
static int
scan_fd(struct vctx *v, int fd, off_t *size, char *err, size_t errlen)
{
	struct stat	st;
	FILE		*fp;
	int		 fd2, rc;

	if (fstat(fd, &st) < 0)
		return sec_err(err, errlen, "audit log: %s", strerror(errno));
	*size = st.st_size;
	if (st.st_size == 0)
		return 0;
	if ((fd2 = dup(fd)) < 0)
		return sec_err(err, errlen, "audit log: %s", strerror(errno));
	if ((fp = fdopen(fd2, "r")) == NULL) {
		(void)close(fd2);
		return sec_err(err, errlen, "audit log: %s", strerror(errno));
	}
	if (fseeko(fp, 0, SEEK_SET) < 0) {
		(void)fclose(fp);
		return sec_err(err, errlen, "audit log: %s", strerror(errno));
	}
	rc = chain_file(v, fp, 0);
	(void)fclose(fp);
	if (rc == SEC_AUDIT_TAMPERED)
		return sec_err(err, errlen, "audit log damaged at line %lu: %s",
		    v->rep->line, v->rep->reason);
	if (rc != 0)
		return sec_err(err, errlen, "audit log: %s", v->rep->reason);
	return 0;
}

int
sec_audit_writer_open(struct sec_audit_writer **wp, int fd, int prev_fd,
    char *err, size_t errlen)
{
	struct sec_audit_writer	*w;
	struct sec_audit_report	 rep;
	struct vctx		 v;
	off_t			 size, psize;

	memset(&v, 0, sizeof v);
	memset(&rep, 0, sizeof rep);
	v.rep = &rep;
	if (scan_fd(&v, fd, &size, err, errlen) < 0)
		return -1;
	if (size == 0 && prev_fd >= 0 &&
	    scan_fd(&v, prev_fd, &psize, err, errlen) < 0)
		return -1;
	if ((w = calloc(1, sizeof *w)) == NULL)
		return sec_err(err, errlen, "out of memory");
	w->fd = fd;
	w->off = size;
	w->ch = v.ch;
	if (!w->ch.started) {
		w->ch.started = 1;
		w->ch.next = 1;
	}
	*wp = w;
	return 0;
}

void
sec_audit_writer_free(struct sec_audit_writer *w)
{
	free(w);
}

uint64_t
sec_audit_writer_seq(const struct sec_audit_writer *w)
{
	return w->ch.next;
}

void
sec_audit_writer_head(const struct sec_audit_writer *w, char *hex)
{
	hex_enc(w->ch.head, HASH_LEN, hex);
}

static int	append(struct sec_audit_writer *, const struct sec_audit_rec *,
		    int, char *, size_t);

/*
 * Writes line + newline at the end of fd, fsyncs (unless deferred: then
 * the next sync or synced line covers it), advances the chain.
 */
static int
emit(struct sec_audit_writer *w, int fd, off_t off, char *line, size_t len,
    int ckpt, int deferred, char *err, size_t errlen)
{
	unsigned char	h[HASH_LEN];
	size_t		done = 0;
	ssize_t		n;

	if (w->broken)
		return sec_err(err, errlen, "audit log writer is broken; "
		    "reopen the log");
	sha256(line, len, h);
	line[len] = '\n';
	while (done < len + 1) {
		n = pwrite(fd, line + done, len + 1 - done,
		    off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	line[len] = '\0';
	if (done < len + 1 || (!deferred && fsync(fd) < 0)) {
		int	e = errno;

		if (ftruncate(fd, off) < 0 || fsync(fd) < 0)
			w->broken = 1;
		return sec_err(err, errlen, "audit log write: %s",
		    strerror(e != 0 ? e : EIO));
	}
	w->off = off + (off_t)len + 1;
	w->dirty = deferred;
	memcpy(w->ch.pprev, w->ch.head, HASH_LEN);
	memcpy(w->ch.head, h, HASH_LEN);
	w->ch.next++;
	if (ckpt) {
		w->ch.checkpoints++;
		w->ch.uncovered = 0;
	} else {
		w->ch.records++;
		w->ch.uncovered++;
	}
	return 0;
}

static int
line_start(char *buf, size_t cap, size_t *pos, uint64_t seq, int64_t t,
    const char *kind, char *err, size_t errlen)
{
	char	ts[TIME_LEN + 1];
	int	n;

	if (format_time(t, ts) < 0)
		return sec_err(err, errlen, "audit time out of range");
	n = snprintf(buf, cap, "seq=%llu time=%s kind=%s",
	    (unsigned long long)seq, ts, kind);
	if (n < 0 || (size_t)n >= cap)
		return sec_err(err, errlen, "audit record too long");
	*pos = (size_t)n;
	return 0;
}

int
sec_audit_append(struct sec_audit_writer *w, const struct sec_audit_rec *r,
    char *err, size_t errlen)
{
	return append(w, r, 0, err, errlen);
}

int
sec_audit_append_deferred(struct sec_audit_writer *w,
    const struct sec_audit_rec *r, char *err, size_t errlen)
{
	return append(w, r, 1, err, errlen);
}

int
sec_audit_sync(struct sec_audit_writer *w, char *err, size_t errlen)
{
	if (!w->dirty)
		return 0;
	if (fsync(w->fd) < 0) {
		w->broken = 1;
		return sec_err(err, errlen, "audit log fsync: %s",
		    strerror(errno));
	}
	w->dirty = 0;
	return 0;
}

static int
append(struct sec_audit_writer *w, const struct sec_audit_rec *r,
    int deferred, char *err, size_t errlen)
{
	char	buf[SEC_AUDIT_LINE_MAX + 2], hx[2 * HASH_LEN + 1];
	size_t	pos;
	int	n;

	if (r->action == NULL || !action_ok(r->action, strlen(r->action)))
		return sec_err(err, errlen, "audit action must be 1-%d of "
		    "[a-z0-9_.-]", ACTION_MAX);
	if (line_start(buf, SEC_AUDIT_LINE_MAX + 1, &pos, w->ch.next,
	    r->time, "rec", err, errlen) < 0 ||
	    put_value(buf, SEC_AUDIT_LINE_MAX + 1, &pos, "actor", r->actor,
	    err, errlen) < 0 ||
	    put_value(buf, SEC_AUDIT_LINE_MAX + 1, &pos, "action", r->action,
	    err, errlen) < 0 ||
	    put_value(buf, SEC_AUDIT_LINE_MAX + 1, &pos, "object", r->object,
	    err, errlen) < 0 ||
	    put_value(buf, SEC_AUDIT_LINE_MAX + 1, &pos, "decision",
	    r->allowed ? "allowed" : "denied", err, errlen) < 0 ||
	    put_value(buf, SEC_AUDIT_LINE_MAX + 1, &pos, "reason", r->reason,
	    err, errlen) < 0)
		return -1;
	hex_enc(w->ch.head, HASH_LEN, hx);
	n = snprintf(buf + pos, SEC_AUDIT_LINE_MAX + 1 - pos, " prev=%s", hx);
	if (n < 0 || (size_t)n >= SEC_AUDIT_LINE_MAX + 1 - pos)
		return sec_err(err, errlen, "audit record too long");
	return emit(w, w->fd, w->off, buf, pos + (size_t)n, 0, deferred, err,
	    errlen);
}

/* Formats the checkpoint that would come next. */
static int
ckpt_line(const struct sec_audit_writer *w, int64_t now,
    const struct sec_audit_signer *s, char *buf, size_t cap, size_t *len,
    char *err, size_t errlen)
{
	char		msg[256], hx[2 * HASH_LEN + 1], sx[2 * SIG_LEN + 1];
	gnutls_datum_t	d, sig = { NULL, 0 };
	size_t		pos, mlen;
	int		rc, n;

	if (line_start(buf, cap, &pos, w->ch.next, now, "ckpt", err,
	    errlen) < 0)
		return -1;
	/* the time text sits at a fixed offset after "seq=N time=" */
	mlen = ckpt_message(msg, sizeof msg, s->node, w->ch.next - 1,
	    w->ch.head, strstr(buf, "time=") + 5);
	if (mlen == 0)
		return sec_err(err, errlen, "checkpoint message too long");
	d.data = (unsigned char *)msg;
	d.size = (unsigned)mlen;
	rc = gnutls_privkey_sign_data2(s->key, GNUTLS_SIGN_EDDSA_ED25519, 0,
	    &d, &sig);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "checkpoint signature", rc);
	if (sig.size != SIG_LEN) {
		gnutls_free(sig.data);
		return sec_err(err, errlen, "unexpected signature size");
	}
	hex_enc(sig.data, SIG_LEN, sx);
	gnutls_free(sig.data);
	hex_enc(w->ch.head, HASH_LEN, hx);
	n = snprintf(buf + pos, cap - pos, " node=%s size=%llu head=%s "
	    "prev=%s sig=%s", s->node, (unsigned long long)(w->ch.next - 1),
	    hx, hx, sx);
	if (n < 0 || (size_t)n >= cap - pos)
		return sec_err(err, errlen, "checkpoint too long");
	*len = pos + (size_t)n;
	return 0;
}

/* Remembers the checkpoint just written (for anchors). */
static void
keep_ckpt(struct sec_audit_writer *w, const char *line, size_t len)
{
	if (len >= sizeof w->ckpt) {
		w->ckpt_seq = 0;
		return;
	}
	memcpy(w->ckpt, line, len);
	w->ckpt[len] = '\0';
	w->ckpt_seq = w->ch.next - 1;
}

int
sec_audit_writer_last_ckpt(const struct sec_audit_writer *w, char *out,
    size_t cap, uint64_t *seq)
{
	size_t	len = strlen(w->ckpt);

	if (w->ckpt_seq == 0 || len >= cap)
		return -1;
	memcpy(out, w->ckpt, len + 1);
	*seq = w->ckpt_seq;
	return 0;
}

int
sec_audit_checkpoint(struct sec_audit_writer *w, int64_t now,
    const struct sec_audit_signer *s, char *err, size_t errlen)
{
	char	buf[SEC_AUDIT_LINE_MAX + 2];
	size_t	len;

	if (ckpt_line(w, now, s, buf, SEC_AUDIT_LINE_MAX + 1, &len, err,
	    errlen) < 0)
		return -1;
	if (emit(w, w->fd, w->off, buf, len, 1, 0, err, errlen) < 0)
		return -1;
	keep_ckpt(w, buf, len);
	return 0;
}

int
sec_audit_rotate(struct sec_audit_writer *w, int new_fd, int64_t now,
    const struct sec_audit_signer *s, char *err, size_t errlen)
{
	char		buf[SEC_AUDIT_LINE_MAX + 2];
	struct stat	st;
	size_t		len;

	if (fstat(new_fd, &st) < 0)
		return sec_err(err, errlen, "new audit log: %s",
		    strerror(errno));
	if (st.st_size != 0)
		return sec_err(err, errlen, "new audit log is not empty");
	if (ckpt_line(w, now, s, buf, SEC_AUDIT_LINE_MAX + 1, &len, err,
	    errlen) < 0)
		return -1;
	if (sec_audit_sync(w, err, errlen) < 0 ||
	    emit(w, new_fd, 0, buf, len, 1, 0, err, errlen) < 0)
		return -1;
	keep_ckpt(w, buf, len);
	w->fd = new_fd;
	return 0;
}

/* --- verifier --- */

/* One PEM public key or certificate into *pub, its id into id. */
static int
import_pub(gnutls_pubkey_t *pub, const char *pem, size_t len,
    char id[SEC_NODE_ID_SIZE], char *err, size_t errlen)
{
	gnutls_x509_crt_t	crt;
	gnutls_ecc_curve_t	curve;
	gnutls_datum_t		d, x = { NULL, 0 };
	int			rc;

	if (sec_datum_in(&d, pem, len, "public key", err, errlen) < 0)
		return -1;
	if ((rc = gnutls_pubkey_init(pub)) < 0)
		return sec_gnutls_err(err, errlen, "pubkey init", rc);
	rc = gnutls_pubkey_import(*pub, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0 && sec_crt_import(pem, len, &crt, err, errlen) == 0) {
		rc = gnutls_pubkey_import_x509(*pub, crt, 0);
		gnutls_x509_crt_deinit(crt);
	}
	if (rc < 0)
		return sec_err(err, errlen, "key is neither a PEM public key "
		    "nor a certificate");
	if (gnutls_pubkey_get_pk_algorithm(*pub, NULL) !=
	    GNUTLS_PK_EDDSA_ED25519)
		return sec_err(err, errlen, "key is not Ed25519");
	rc = gnutls_pubkey_export_ecc_raw(*pub, &curve, &x, NULL);
	if (rc < 0)
		return sec_gnutls_err(err, errlen, "public key", rc);
	if (x.size != SEC_ED25519_LEN) {
		gnutls_free(x.data);
		return sec_err(err, errlen, "public key is not Ed25519");
	}
	sec_node_id_from_pub(x.data, id);
	gnutls_free(x.data);
	return 0;
}

/*
 * pem holds one or more PEM blocks (keys or certificates), each from its
 * "-----BEGIN" to the next one's.
 */
static int
load_pub(struct vctx *v, const char *pem, size_t len, char *err,
    size_t errlen)
{
	static const char	 begin[] = "-----BEGIN ";
	const char		*p = pem, *end = pem + len, *next;
	int			 rc;

	if ((p = memmem(pem, len, begin, sizeof begin - 1)) == NULL)
		return sec_err(err, errlen, "key is neither a PEM public key "
		    "nor a certificate");
	while (p != NULL) {
		next = memmem(p + 1, (size_t)(end - (p + 1)), begin,
		    sizeof begin - 1);
		if (v->npub == SEC_AUDIT_KEYS_MAX)
			return sec_err(err, errlen, "more than %d keys",
			    SEC_AUDIT_KEYS_MAX);
		rc = import_pub(&v->pubs[v->npub], p, (size_t)((next != NULL ?
		    next : end) - p), v->key_nodes[v->npub], err, errlen);
		if (v->pubs[v->npub] != NULL)
			v->npub++;	/* freed with the others */
		if (rc < 0)
			return -1;
		p = next;
	}
	return 0;
}

static void
free_pubs(struct vctx *v)
{
	size_t	i;

	for (i = 0; i < v->npub; i++)
		gnutls_pubkey_deinit(v->pubs[i]);
	v->npub = 0;
}

int
sec_audit_key_id(const char *pub_pem, size_t pub_len,
    char id[SEC_AUDIT_NODE_SIZE], char *err, size_t errlen)
{
	gnutls_pubkey_t	pub = NULL;
	int		rc;

	rc = import_pub(&pub, pub_pem, pub_len, id, err, errlen);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	return rc;
}

/* Parses (and with a key, checks) the external checkpoint. */
static int
load_anchor(struct vctx *v, const char *text)
{
	struct sec_audit_report	 rep, *saved = v->rep;
	size_t			 len = strlen(text);
	const char		*why;
	int			 rc;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (parse_entry(text, len, &v->anchor, &why) < 0 ||
	    v->anchor.kind != KIND_CKPT) {
		(void)snprintf(saved->reason, sizeof saved->reason,
		    "external checkpoint: %s", v->anchor.kind != KIND_CKPT ?
		    "not a checkpoint" : why);
		return -1;
	}
	sha256(text, len, v->anchor_hash);
	v->rep = &rep;
	rc = check_ckpt(v, &v->anchor, 0, 0);
	v->rep = saved;
	if (rc != 0) {
		(void)snprintf(saved->reason, sizeof saved->reason,
		    "external checkpoint: %.200s", rep.reason);
		return -1;
	}
	v->have_anchor = 1;
	return 0;
}

int
sec_audit_verify_files(FILE *const *fps, size_t n, const char *pub_pem,
    size_t pub_len, const char *anchor, struct sec_audit_report *rep)
{
	struct vctx	v;
	size_t		i;
	int		rc = 0;

	memset(rep, 0, sizeof *rep);
	memset(&v, 0, sizeof v);
	v.rep = rep;
	v.fps = fps;
	v.nfps = n;
	if (n == 0 || n > SEC_AUDIT_FILES_MAX) {
		(void)snprintf(rep->reason, sizeof rep->reason, "between 1 "
		    "and %d files", SEC_AUDIT_FILES_MAX);
		return -1;
	}
	if (pub_pem != NULL && load_pub(&v, pub_pem, pub_len, rep->reason,
	    sizeof rep->reason) < 0)
		rc = -1;
	if (rc == 0 && anchor != NULL && load_anchor(&v, anchor) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < n; i++)
		rc = chain_file(&v, fps[i], i);
	if (rc == 0 && v.have_anchor && (!v.ch.started ||
	    v.ch.next - 1 < v.anchor.seq))
		rc = tampered(&v, n - 1, v.ch.pfile == n - 1 ?
		    v.ch.pline + 1 : 1, v.ch.started ? v.ch.next : 1,
		    "log ends at entry %llu but the external checkpoint is "
		    "entry %llu: truncated", v.ch.started ?
		    (unsigned long long)(v.ch.next - 1) : 0ULL,
		    (unsigned long long)v.anchor.seq);
	/* from its own seq on, the anchor's line itself was compared */
	if (rc == 0 && v.have_anchor && v.ch.first > v.anchor.seq)
		rc = tampered(&v, 0, 1, v.ch.first, "log starts after the "
		    "entry the external checkpoint covers: cannot check it");
	free_pubs(&v);
	rep->records = v.ch.records;
	rep->checkpoints = v.ch.checkpoints;
	rep->uncovered = v.ch.uncovered;
	rep->first_seq = v.ch.first;
	rep->last_seq = v.ch.started ? v.ch.next - 1 : 0;
	hex_enc(v.ch.head, HASH_LEN, rep->head);
	return rc;
}

int
sec_audit_verify(const char *const *paths, size_t n, const char *pub_pem,
    size_t pub_len, const char *anchor, struct sec_audit_report *rep)
{
	FILE	**fps;
	size_t	  i;
	int	  rc = 0;

	memset(rep, 0, sizeof *rep);
	if (n == 0 || n > SEC_AUDIT_FILES_MAX) {
		(void)snprintf(rep->reason, sizeof rep->reason, "between 1 "
		    "and %d files", SEC_AUDIT_FILES_MAX);
		return -1;
	}
	if ((fps = calloc(n, sizeof *fps)) == NULL) {
		(void)snprintf(rep->reason, sizeof rep->reason,
		    "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((fps[i] = fopen(paths[i], "r")) == NULL) {
			(void)snprintf(rep->reason, sizeof rep->reason,
			    "%s: %s", paths[i], strerror(errno));
			rc = -1;
			break;
		}
	if (rc == 0)
		rc = sec_audit_verify_files(fps, n, pub_pem, pub_len, anchor,
		    rep);
	for (i = 0; i < n; i++)
		if (fps[i] != NULL)
			(void)fclose(fps[i]);
	free(fps);
	return rc;
}

int
sec_audit_ckpt_parse(const char *line, size_t len, const char *pub_pem,
    size_t pub_len, struct sec_audit_ckpt *out, char *err, size_t errlen)
{
	struct sec_audit_report	 rep;
	struct vctx		 v;
	struct entry		 e;
	const char		*why;
	int			 rc = 0;

	memset(out, 0, sizeof *out);
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\n', len) != NULL || memchr(line, '\0', len) !=
	    NULL)
		return sec_err(err, errlen, "checkpoint: more than one line");
	if (parse_entry(line, len, &e, &why) < 0)
		return sec_err(err, errlen, "checkpoint: %s", why);
	if (e.kind != KIND_CKPT)
		return sec_err(err, errlen, "not a checkpoint");
	memset(&v, 0, sizeof v);
	memset(&rep, 0, sizeof rep);
	v.rep = &rep;
	if (pub_pem != NULL)
		rc = import_pub(&v.pubs[0], pub_pem, pub_len, v.key_nodes[0],
		    err, errlen);
	if (v.pubs[0] != NULL)
		v.npub = 1;
	if (rc == 0 && check_ckpt(&v, &e, 0, 1) != 0)
		rc = sec_err(err, errlen, "checkpoint: %s", rep.reason);
	free_pubs(&v);
	if (rc != 0)
		return -1;
	out->seq = e.seq;
	out->size = e.size;
	(void)snprintf(out->node, sizeof out->node, "%s", e.node);
	memcpy(out->time, e.time, TIME_LEN);
	out->time[TIME_LEN] = '\0';
	hex_enc(e.head, HASH_LEN, out->head);
	return 0;
}
