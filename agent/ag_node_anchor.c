/*
 * ag_node_anchor.c - audit anchors: each node's checkpoints committed to
 * the cluster's log, so that cutting the tail off a node's audit log is
 * noticed (docs/audit.md, "Anchors").
 *
 *   - The audit signing key, DATA/audit.key (its own file, mode 0600,
 *     created on first start; never the TLS key), and its public half
 *     DATA/audit.pub for `exogpu audit verify --key`.
 *   - Submitting: once a tick, the newest checkpoint this node wrote goes
 *     to the leader through the internal trust call
 *     /v1/internal/audit/anchor, at most one per half checkpoint interval.
 *   - Deciding (leader): the caller is the authenticated member (to->peer),
 *     never a name in the body; the line must be a well-formed checkpoint
 *     signed by the key sent with it and newer than the node's committed
 *     anchor; then AG_FSM_OP_ANCHOR is proposed.  The state machine keeps
 *     the line only: whoever checks it later takes the key from the node
 *     (audit.pub), the line names the key's id.
 *   - Judging (every node, of itself): once a tick, when the committed
 *     anchor of this node changed (the log replayed, a snapshot restored,
 *     a new anchor committed), the local log must hold that very line at
 *     its seq.  If the log ends before it or holds another entry there,
 *     the log was cut (and maybe re-extended): the agent refuses every
 *     audit append from then on (actions fail closed, 503
 *     audit_unavailable), logs it once and raises the audit_anchor alert.
 *     The operator's way out is in docs/audit.md ("When the log is behind
 *     its anchor").
 *   - GET /v1/audit/anchors: the committed anchors, for `exogpu audit
 *     verify --cluster`.
 *
 * Polling, not a hook on apply: the judgement needs only "did my anchor
 * change", one lookup a second, and the apply path stays the FSM's.
 */
#include "ag_node_int.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_raft.h"

#include "sec_audit.h"
#include "sec_identity.h"
#include "sec_pem.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AUDIT_KEY_FILE		"audit.key"
#define AUDIT_PUB_FILE		"audit.pub"
#define ACCEPT_FILE		"audit-anchor.accept"
#define ANCHOR_PATH		"/v1/internal/audit/anchor"
#define KEY_MAX			(16 * 1024)
#define SENT_KEEP		4	/* our own lines recently submitted */

struct ag_anchor {
	char		*pub;		/* audit.pub's text */
	size_t		 publen;
	uint64_t	 sent_seq;	/* newest submitted */
	int64_t		 sent_at;
	struct {
		uint64_t	seq;
		char		line[AG_FSM_ANCHOR_MAX + 1];
	}		 sent[SENT_KEEP];
	size_t		 next_sent;
	uint64_t	 judged_seq;	/* the anchor last judged */
	int64_t		 judged_time;
	int		 accepted;	/* the operator accepted a cut */
	int		 undecidable;	/* said once */
};

static int64_t
unix_now(void)
{
	return (int64_t)time(NULL);
}

static const struct ag_fsm *
fsm(struct ag_node *n)
{
	return ag_raft_fsm(ag_cluster_raft(n->cluster));
}

/* --- the audit key --------------------------------------------------------- */

/* Reads DATA/audit.key, refusing a file others could read or change. */
static int
read_key(const char *path, char **pem, size_t *len, int *missing, char *err,
    size_t errlen)
{
	struct stat	st;
	ssize_t		r;
	size_t		got = 0;
	char		*buf;
	int		fd;

	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		*missing = errno == ENOENT;
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 || st.st_size <= 0 ||
	    st.st_size >= KEY_MAX) {
		(void)snprintf(err, errlen, "%s: %s", path,
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0 ? "mode lets other "
		    "users read or change the audit key; chmod 600 it" :
		    "empty or too large for a key");
		(void)close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		(void)close(fd);
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (got < (size_t)st.st_size && ((r = read(fd, buf + got,
	    (size_t)st.st_size - got)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			got += (size_t)r;
	(void)close(fd);
	if (got != (size_t)st.st_size) {
		free(buf);
		(void)snprintf(err, errlen, "%s: short read", path);
		return -1;
	}
	buf[got] = '\0';
	*pem = buf;
	*len = got;
	return 0;
}

int
ag_node_anchor_key(struct ag_node *n, char **pem, size_t *len, char *err,
    size_t errlen)
{
	struct sec_pem	key = { NULL, 0 };
	char		path[PATH_MAX];
	int		missing;

	if (ag_datadir_path(n->data_dir, AUDIT_KEY_FILE, path,
	    sizeof path) != 0) {
		(void)snprintf(err, errlen, "audit key path too long");
		return -1;
	}
	if (read_key(path, pem, len, &missing, err, errlen) == 0)
		return 0;
	if (!missing)
		return -1;
	if (sec_identity_generate_key(&key, err, errlen) != 0)
		return -1;
	if (ag_write_atomic(path, key.data, key.len, 0600, err, errlen) != 0) {
		sec_pem_clear(&key);
		return -1;
	}
	if ((*pem = malloc(key.len + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		sec_pem_clear(&key);
		return -1;
	}
	memcpy(*pem, key.data, key.len);
	(*pem)[key.len] = '\0';
	*len = key.len;
	sec_pem_clear(&key);
	ag_log(AG_LOG_NOTICE, "created the audit signing key %s", path);
	return 0;
}

/* After the log is open: DATA/audit.pub, and the state. */
int
ag_node_anchor_init(struct ag_node *n, char *err, size_t errlen)
{
	struct ag_anchor	*a;
	char			 path[PATH_MAX];

	if ((a = calloc(1, sizeof *a)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ag_auditlog_pub_pem(n->audit, &a->pub, &a->publen, err,
	    errlen) != 0) {
		free(a);
		return -1;
	}
	if (ag_datadir_path(n->data_dir, AUDIT_PUB_FILE, path,
	    sizeof path) != 0)
		(void)snprintf(err, errlen, "audit.pub path too long");
	else if (ag_write_atomic(path, a->pub, a->publen, 0644, err,
	    errlen) == 0) {
		n->anchor = a;
		return 0;
	}
	free(a->pub);
	free(a);
	return -1;
}

void
ag_node_anchor_free(struct ag_node *n)
{
	if (n->anchor == NULL)
		return;
	free(n->anchor->pub);
	free(n->anchor);
	n->anchor = NULL;
}

/* --- judging this node's log ------------------------------------------------ */

/* The seq in DATA/audit-anchor.accept, or 0. */
static uint64_t
accepted_seq(const struct ag_node *n)
{
	char			 path[PATH_MAX], *buf = NULL, why[128], c;
	size_t			 len = 0;
	unsigned long long	 v = 0;
	int			 missing = 0;

	if (ag_datadir_path(n->data_dir, ACCEPT_FILE, path, sizeof path) != 0 ||
	    ag_read_file(path, 64, &buf, &len, &missing, why, sizeof why) != 0)
		return 0;
	if (sscanf(buf, "%llu%c", &v, &c) < 1 || (len > 0 &&
	    strspn(buf, "0123456789\r\n") != len))
		v = 0;
	free(buf);
	return (uint64_t)v;
}

/*
 * 0: the log holds the anchor's line at its seq; 1: it does not (why);
 * 2: cannot tell (the files holding that seq are gone); -1 unreadable.
 */
static int
judge(struct ag_node *n, const struct ag_fsm_anchor *an, char *why,
    size_t size)
{
	struct ag_anchor	*a = n->anchor;
	uint64_t		 next = ag_auditlog_next_seq(n->audit);
	char			*line, err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < SENT_KEEP; i++)
		if (a->sent[i].seq == an->seq &&
		    strcmp(a->sent[i].line, an->line) == 0 && an->seq < next)
			return 0;	/* written and sent by us this run */
	if (an->seq >= next) {
		(void)snprintf(why, size, "truncated: the log ends at seq "
		    "%" PRIu64 " but the cluster's anchor is at seq %" PRIu64,
		    next - 1, an->seq);
		return 1;
	}
	if ((line = malloc(SEC_AUDIT_LINE_MAX + 1)) == NULL)
		return -1;
	rc = ag_auditlog_entry(n->audit, an->seq, line, SEC_AUDIT_LINE_MAX + 1,
	    err, sizeof err);
	if (rc == AG_AUDIT_FOUND && strcmp(line, an->line) == 0)
		rc = 0;
	else if (rc == AG_AUDIT_FOUND || rc == AG_AUDIT_AFTER_END) {
		(void)snprintf(why, size, "entry %" PRIu64 " is not the "
		    "cluster's anchor: the log was cut and extended again, or "
		    "replaced", an->seq);
		rc = 1;
	} else if (rc == AG_AUDIT_BEFORE_START)
		rc = 2;
	else {
		(void)snprintf(why, size, "%.180s", err);
		rc = -1;
	}
	free(line);
	return rc;
}

static void
refuse(struct ag_node *n, const struct ag_fsm_anchor *an, const char *why)
{
	char	actor[64], msg[256];

	(void)snprintf(actor, sizeof actor, "node:%s", n->trust.node_id);
	if (accepted_seq(n) == an->seq) {
		if (!n->anchor->accepted)
			ag_log(AG_LOG_WARNING, "audit log %s: %s; accepted by "
			    "the operator (%s names seq %" PRIu64 "): appending "
			    "again", ag_auditlog_path(n->audit), why,
			    ACCEPT_FILE, an->seq);
		n->anchor->accepted = 1;
		(void)ag_node_audit(n, actor, "anchor.accept", "audit", 1,
		    "%s; accepted by the operator", why);
		return;
	}
	(void)snprintf(msg, sizeof msg, "behind its committed anchor (%s)",
	    why);
	ag_auditlog_block(n->audit, msg);
	ag_log(AG_LOG_ERR, "audit log %s is behind this node's anchor in the "
	    "cluster log - %s.  Refusing to append to it: every action that "
	    "needs an audit record fails (503 audit_unavailable).  See "
	    "docs/audit.md, \"When the log is behind its anchor\"",
	    ag_auditlog_path(n->audit), why);
}

static void
judge_tick(struct ag_node *n)
{
	const struct ag_fsm_anchor	*an;
	char				 why[200];
	int				 rc;

	if (n->cluster == NULL || ag_auditlog_blocked(n->audit) != NULL ||
	    (an = ag_fsm_anchor_of(fsm(n), n->trust.node_id)) == NULL ||
	    (an->seq == n->anchor->judged_seq &&
	    an->time == n->anchor->judged_time))
		return;
	n->anchor->judged_seq = an->seq;
	n->anchor->judged_time = an->time;
	why[0] = '\0';
	rc = judge(n, an, why, sizeof why);
	if (rc == 1)
		refuse(n, an, why);
	else if (rc == 2 && !n->anchor->undecidable) {
		n->anchor->undecidable = 1;
		ag_log(AG_LOG_WARNING, "audit: the cluster's anchor of this "
		    "node is entry %" PRIu64 ", older than the oldest file "
		    "kept: cannot check it", an->seq);
	} else if (rc < 0) {
		n->anchor->judged_seq = 0;	/* try again next tick */
		ag_log(AG_LOG_ERR, "audit: cannot check the anchor: %s", why);
	}
}

/* --- submitting our checkpoints --------------------------------------------- */

static long
spacing(const struct ag_node *n)
{
	long	s = n->cfg->audit_checkpoint_s / 2;

	return s < 1 ? 1 : s;
}

static void
submit_tick(struct ag_node *n)
{
	struct ag_anchor	*a = n->anchor;
	char			 line[AG_FSM_ANCHOR_MAX + 1];
	uint64_t		 seq;
	int64_t			 now = unix_now();
	json_t			*body;

	if (n->cluster == NULL || ag_auditlog_blocked(n->audit) != NULL ||
	    ag_auditlog_last_ckpt(n->audit, line, sizeof line, &seq) != 0 ||
	    seq <= a->sent_seq || (a->sent_at != 0 &&
	    now - a->sent_at < spacing(n)))
		return;
	if ((body = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq,
	    "line", line, "key", a->pub)) == NULL)
		return;
	a->sent_seq = seq;
	a->sent_at = now;
	a->sent[a->next_sent].seq = seq;
	(void)snprintf(a->sent[a->next_sent].line,
	    sizeof a->sent[a->next_sent].line, "%s", line);
	a->next_sent = (a->next_sent + 1) % SENT_KEEP;
	ag_node_trust_submit(n, ANCHOR_PATH, body);
}

void
ag_node_anchor_tick(struct ag_node *n)
{
	if (n->anchor == NULL)
		return;
	judge_tick(n);
	submit_tick(n);
}

/* --- the leader's side -------------------------------------------------------- */

static int
anchor_args(const char *body, size_t len, struct ag_fsm_cmd *cmd,
    struct sec_audit_ckpt *ck, char *err, size_t errlen)
{
	json_t		*j, *js, *jl, *jk;
	const char	*line, *key;
	int		 rc = -1;

	if ((j = ag_api_parse_object(body, len, err, errlen)) == NULL)
		return -1;
	js = json_object_get(j, "seq");
	jl = json_object_get(j, "line");
	jk = json_object_get(j, "key");
	if (!json_is_integer(js) || json_integer_value(js) <= 0 ||
	    !json_is_string(jl) || !json_is_string(jk)) {
		(void)snprintf(err, errlen, "seq, line and key are required");
		goto out;
	}
	line = json_string_value(jl);
	key = json_string_value(jk);
	if (json_string_length(jl) > AG_FSM_ANCHOR_MAX ||
	    json_string_length(jk) > KEY_MAX) {
		(void)snprintf(err, errlen, "line or key too long");
		goto out;
	}
	if (sec_audit_ckpt_parse(line, json_string_length(jl), key,
	    json_string_length(jk), ck, err, errlen) != 0)
		goto out;
	if (ck->seq != (uint64_t)json_integer_value(js) ||
	    strchr(line, '\n') != NULL) {
		(void)snprintf(err, errlen, "seq does not match the line");
		goto out;
	}
	cmd->seq = ck->seq;
	(void)snprintf(cmd->text, sizeof cmd->text, "%s", line);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

void
ag_node_trust_anchor(struct ag_node *n, const char *body, size_t len,
    const struct ag_principal *who, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	const struct ag_fsm_anchor	*old;
	struct sec_audit_ckpt		 ck;
	struct ag_fsm_cmd		*cmd;
	int64_t				 now = unix_now();
	char				 err[256], actor[64], object[64];

	(void)who;
	if (to->peer[0] == '\0' || !sec_node_id_valid(to->peer)) {
		ag_api_error(r, 403, "forbidden", "anchors come from members");
		return;
	}
	if ((cmd = calloc(1, sizeof *cmd)) == NULL) {
		ag_api_error(r, 503, "busy", "out of memory");
		return;
	}
	if (anchor_args(body, len, cmd, &ck, err, sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "audit anchor from %s refused: %s",
		    to->peer, err);
		ag_api_error(r, 400, "bad_request", "%s", err);
		goto out;
	}
	old = ag_fsm_anchor_of(fsm(n), to->peer);
	if (old != NULL && cmd->seq <= old->seq) {
		ag_api_error(r, 409, "stale", "the committed anchor of %s is "
		    "at seq %" PRIu64, to->peer, old->seq);
		goto out;
	}
	if (old != NULL && now - old->time < spacing(n) && now >= old->time) {
		ag_api_error(r, 429, "too_many", "one anchor per node per "
		    "%ld s", spacing(n));
		goto out;
	}
	cmd->op = AG_FSM_OP_ANCHOR;
	cmd->now = now;
	(void)snprintf(cmd->node, sizeof cmd->node, "%s", to->peer);
	(void)snprintf(actor, sizeof actor, "node:%s", to->peer);
	(void)snprintf(object, sizeof object, "audit/seq=%" PRIu64, cmd->seq);
	ag_node_trust_propose(n, cmd, to, actor, "anchor", object, NULL, r);
out:
	free(cmd);
}

/* --- GET /v1/audit/anchors -------------------------------------------------- */

void
ag_node_api_anchors(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node			*n = ctx;
	const struct ag_fsm		*f;
	const struct ag_fsm_anchor	*an;
	const char			*blocked;
	json_t				*list, *o;
	size_t				 i;

	(void)req;
	if (n->cluster == NULL || (list = json_array()) == NULL) {
		ag_api_error(r, 503, "unavailable", "no cluster state");
		return;
	}
	f = fsm(n);
	for (i = 0; i < ag_fsm_anchor_count(f); i++) {
		an = ag_fsm_anchor_at(f, i);
		if ((o = json_pack("{s:s, s:I, s:I, s:s}", "node", an->node,
		    "seq", (json_int_t)an->seq, "time", (json_int_t)an->time,
		    "line", an->line)) == NULL ||
		    json_array_append_new(list, o) != 0) {
			json_decref(list);
			ag_api_error(r, 500, "internal", "out of memory");
			return;
		}
	}
	blocked = ag_auditlog_blocked(n->audit);
	r->status = 200;
	r->body = json_pack("{s:s, s:o, s:o}", "self", n->trust.node_id,
	    "anchors", list, "refusing", blocked != NULL ?
	    json_string(blocked) : json_null());
}
