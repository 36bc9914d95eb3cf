/*
 * ag_node_deny.c - the node deny list: `exogpu cert revoke NODE` and
 * its enforcement (docs/trust.md, "Rotation and revocation").
 *
 * The list lives in the replicated log (DENY / ALLOW commands, ag_fsm.h),
 * so every node refuses the same peers.  The calls to change it are
 * trust calls (ag_node_trust.c): decided by the leader, audited there,
 * answered once committed.  Reading it is local: every node applies the
 * log.
 *
 * Enforcement, on every node and in both trust modes:
 *   - at the handshake: a peer whose authenticated node id is denied is
 *     closed (application error AG_NODE_APP_DENIED) right after TLS,
 *     before its HELLO, so it never becomes a member;
 *   - on live sessions: every tick (TICK_MS) and whenever the commit
 *     index moves, connections to denied nodes are closed; membership
 *     then finds them gone like any silent node, gossip has no one to
 *     take their records from, and ag_raft.c removes a denied server
 *     from the raft configuration;
 *   - nothing dials a node id known to be denied, except a --join
 *     address (a re-keyed machine at that address may be welcome), which
 *     is retried with its usual backoff.
 * Each change of the list is logged and recorded as an event once per
 * node, refused handshakes once per node until the list changes.
 *
 * After a restart the log is replayed only once a leader tells the node
 * how far it is committed; until then the node would take a denied peer.
 * So the node keeps a copy of the list in DATA/denied (written whenever
 * the committed list changes, with the log index it reflects) and also
 * refuses what that copy names until it has applied that index again.
 */
#include "ag_node_int.h"
#include "ag_datadir.h"
#include "ag_events.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_raft.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DENY_FILE		"denied"
#define DENY_FILE_MAGIC		"exogpu-denied 1"
#define DENY_FILE_MAX		(64 + AG_FSM_MAX_DENIED * (SEC_NODE_ID_SIZE + 1))

typedef char	deny_id[SEC_NODE_ID_SIZE];

struct ag_node_deny {
	/* DATA/denied: the list as of log index cache_index. */
	deny_id		 cache[AG_FSM_MAX_DENIED];
	size_t		 ncache;
	uint64_t	 cache_index;
	int		 cache_active;	/* not yet applied that far */
	uint64_t	 written_fp;	/* of the list in the file */
	/* The list last acted on (each change is logged once). */
	deny_id		 enforced[AG_FSM_MAX_DENIED];
	size_t		 nenforced;
	uint64_t	 enforced_fp;
	/* Refused handshakes already logged (since the last change). */
	deny_id		 refused[64];
	size_t		 nrefused;
	int		 self_warned;
};

static const struct ag_fsm *
fsm(struct ag_node *n)
{
	return n->cluster != NULL ? ag_raft_fsm(ag_cluster_raft(n->cluster)) :
	    NULL;
}

static int
in_list(const deny_id *list, size_t n, const char *id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], id) == 0)
			return 1;
	return 0;
}

int
ag_node_deny_check(struct ag_node *n, const char *id)
{
	const struct ag_fsm	*f = fsm(n);
	struct ag_node_deny	*d = n->deny;

	if (f != NULL && ag_fsm_is_denied(f, id))
		return 1;
	return d != NULL && d->cache_active &&
	    in_list(d->cache, d->ncache, id);
}

/* --- the effective list ------------------------------------------------- */

static uint64_t
fp_add(uint64_t h, const char *id)
{
	for (; *id != '\0'; id++)
		h = (h ^ (uint8_t)*id) * UINT64_C(0x100000001b3);
	return (h ^ 0xff) * UINT64_C(0x100000001b3);
}

/*
 * The list in force: the committed one, plus the copy's while it is
 * active; into out (at most AG_FSM_MAX_DENIED), its fingerprint returned.
 * fsm_fp gets the committed list's alone.
 */
static uint64_t
effective(struct ag_node *n, deny_id *out, size_t *nout, uint64_t *fsm_fp)
{
	const struct ag_fsm	*f = fsm(n);
	struct ag_node_deny	*d = n->deny;
	size_t			 i, k = 0, cnt = f != NULL ?
				    ag_fsm_denied_count(f) : 0;
	uint64_t		 h = UINT64_C(0xcbf29ce484222325);

	for (i = 0; i < cnt && k < AG_FSM_MAX_DENIED; i++) {
		(void)snprintf(out[k], sizeof out[k], "%s",
		    ag_fsm_denied_at(f, i)->node);
		h = fp_add(h, out[k++]);
	}
	*fsm_fp = h;
	if (d->cache_active)
		for (i = 0; i < d->ncache && k < AG_FSM_MAX_DENIED; i++) {
			if (f != NULL && ag_fsm_is_denied(f, d->cache[i]))
				continue;
			(void)snprintf(out[k], sizeof out[k], "%s",
			    d->cache[i]);
			h = fp_add(h, out[k++]);
		}
	*nout = k;
	return h;
}

/* --- DATA/denied ---------------------------------------------------------- */

static int
cache_path(struct ag_node *n, char *path, size_t size)
{
	return ag_datadir_path(n->data_dir, DENY_FILE, path, size);
}

/*
 * "exogpu-denied 1 index N\n" and one node id a line.  A copy that does
 * not read is ignored (with a warning): the log stays the authority.
 */
int
ag_node_deny_parse(const char *buf, size_t len, deny_id *ids, size_t max,
    size_t *nids, uint64_t *index, char *err, size_t errlen)
{
	const char		*p = buf, *end = buf + len, *nl;
	unsigned long long	 idx;
	char			 line[64];
	size_t			 k = 0, ll;
	int			 first = 1, used;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			(void)snprintf(err, errlen, "last line unterminated");
			return -1;
		}
		if ((ll = (size_t)(nl - p)) >= sizeof line) {
			(void)snprintf(err, errlen, "line too long");
			return -1;
		}
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl + 1;
		if (first) {
			used = 0;
			if (sscanf(line, DENY_FILE_MAGIC " index %llu%n", &idx,
			    &used) != 1 || (size_t)used != ll ||
			    !isdigit((unsigned char)line[sizeof DENY_FILE_MAGIC
			    - 1 + 7])) {
				(void)snprintf(err, errlen, "not a deny list "
				    "copy");
				return -1;
			}
			*index = idx;
			first = 0;
			continue;
		}
		if (!sec_node_id_valid(line) || k >= max) {
			(void)snprintf(err, errlen, k >= max ? "too many ids" :
			    "bad node id");
			return -1;
		}
		memcpy(ids[k++], line, SEC_NODE_ID_SIZE);	/* valid: 26 */
	}
	if (first) {
		(void)snprintf(err, errlen, "empty");
		return -1;
	}
	*nids = k;
	return 0;
}

static void
cache_load(struct ag_node *n)
{
	struct ag_node_deny	*d = n->deny;
	char			 path[PATH_MAX], err[256], *buf = NULL;
	size_t			 len, i;
	uint64_t		 h = UINT64_C(0xcbf29ce484222325);
	int			 missing = 0;

	if (cache_path(n, path, sizeof path) != 0)
		return;
	if (ag_read_file(path, DENY_FILE_MAX, &buf, &len, &missing, err,
	    sizeof err) != 0) {
		if (!missing)
			ag_log(AG_LOG_WARNING, "%s: %s; ignoring it", path, err);
		return;
	}
	if (ag_node_deny_parse(buf, len, d->cache, AG_FSM_MAX_DENIED,
	    &d->ncache, &d->cache_index, err, sizeof err) != 0) {
		ag_log(AG_LOG_WARNING, "%s: %s; ignoring it (the log stays "
		    "the authority)", path, err);
		d->ncache = 0;
		free(buf);
		return;
	}
	free(buf);
	for (i = 0; i < d->ncache; i++)
		h = fp_add(h, d->cache[i]);
	d->written_fp = h;
	d->cache_active = d->ncache > 0;
	if (d->ncache > 0)
		ag_log(AG_LOG_INFO, "deny list: %zu node(s) from %s (log "
		    "index %" PRIu64 ") refused until the log is replayed "
		    "that far", d->ncache, path, d->cache_index);
}

static void
cache_write(struct ag_node *n, const deny_id *ids, size_t k, uint64_t fp,
    uint64_t index)
{
	struct ag_node_deny	*d = n->deny;
	char			 path[PATH_MAX], err[256], *buf;
	size_t			 i, len = 0, size = DENY_FILE_MAX;

	if (cache_path(n, path, sizeof path) != 0 ||
	    (buf = malloc(size)) == NULL)
		return;
	len += (size_t)snprintf(buf, size, DENY_FILE_MAGIC " index %" PRIu64
	    "\n", index);
	for (i = 0; i < k && len + SEC_NODE_ID_SIZE + 1 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s\n", ids[i]);
	if (ag_write_atomic(path, buf, len, 0644, err, sizeof err) != 0)
		ag_log(AG_LOG_WARNING, "deny list: cannot write %s: %s", path,
		    err);
	else
		d->written_fp = fp;
	free(buf);
}

/* --- enforcement ------------------------------------------------------ */

int
ag_node_deny_init(struct ag_node *n, char *err, size_t errlen)
{
	if ((n->deny = calloc(1, sizeof *n->deny)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->deny->written_fp = UINT64_C(0xcbf29ce484222325);	/* empty */
	n->deny->enforced_fp = n->deny->written_fp;
	cache_load(n);
	return 0;
}

void
ag_node_deny_free(struct ag_node *n)
{
	free(n->deny);
	n->deny = NULL;
}

int
ag_node_deny_refuse(struct ag_node *n, const char *id)
{
	struct ag_node_deny	*d = n->deny;

	if (d == NULL || !ag_node_deny_check(n, id))
		return 0;
	if (!in_list(d->refused, d->nrefused, id)) {
		ag_log(AG_LOG_NOTICE, "refused node %s at the handshake: it "
		    "is on the deny list", id);
		if (d->nrefused < sizeof d->refused / sizeof d->refused[0])
			(void)snprintf(d->refused[d->nrefused++],
			    sizeof d->refused[0], "%s", id);
	} else
		ag_log(AG_LOG_DEBUG, "refused node %s again (denied)", id);
	return 1;
}

static const struct ag_fsm_denied *
denied_entry(struct ag_node *n, const char *id)
{
	const struct ag_fsm	*f = fsm(n);
	size_t			 i, cnt = f != NULL ? ag_fsm_denied_count(f) : 0;

	for (i = 0; i < cnt; i++)
		if (strcmp(ag_fsm_denied_at(f, i)->node, id) == 0)
			return ag_fsm_denied_at(f, i);
	return NULL;
}

/* A node allowed again: its addresses are dialled at once. */
static void
redial(struct ag_node *n, const char *id)
{
	int	i;

	for (i = 0; i < n->njoins; i++) {
		struct ag_join *j = &n->joins[i];

		if (!j->unused && strcmp(j->peer_id, id) == 0) {
			j->backoff = BACKOFF_MIN_S;
			j->next_try = 0;
		}
	}
}

/* Logs and records what changed between the acted-on list and now. */
static void
announce(struct ag_node *n, const deny_id *now, size_t k)
{
	struct ag_node_deny		*d = n->deny;
	const struct ag_fsm_denied	*e;
	size_t				 i;

	for (i = 0; i < k; i++) {
		if (in_list(d->enforced, d->nenforced, now[i]))
			continue;
		e = denied_entry(n, now[i]);
		ag_node_obs_event(n, AG_EVENT_WARNING, "node_denied", now[i],
		    "node denied%s%s; its connections are closed",
		    e != NULL && e->note[0] ? ": " : "",
		    e != NULL ? e->note : "");
		if (strcmp(now[i], n->trust.node_id) == 0 && !d->self_warned) {
			d->self_warned = 1;
			ag_log(AG_LOG_ERR, "this node is on the cluster's deny "
			    "list: the other members refuse it");
		}
	}
	for (i = 0; i < d->nenforced; i++)
		if (!in_list(now, k, d->enforced[i])) {
			ag_node_obs_event(n, AG_EVENT_INFO, "node_allowed",
			    d->enforced[i], "node allowed again");
			if (strcmp(d->enforced[i], n->trust.node_id) == 0)
				d->self_warned = 0;
			redial(n, d->enforced[i]);
		}
}

/* Closes every session of a denied node (idempotent while closing). */
static void
close_denied(struct ag_node *n)
{
	int	i;

	for (i = 0; i < n->npeers; i++) {
		struct ag_peer *p = &n->peers[i];

		if (p->link != NULL && ag_node_deny_check(n, p->node_id))
			net_quic_close(p->link->conn, AG_NODE_APP_DENIED,
			    "node denied by the cluster");
	}
}

void
ag_node_deny_tick(struct ag_node *n)
{
	struct ag_node_deny		*d = n->deny;
	struct ag_cluster_status	 st;
	deny_id				*now;
	size_t				 k;
	uint64_t			 fp, ffp;

	if (d == NULL || n->cluster == NULL)
		return;
	ag_cluster_status(n->cluster, &st);
	if (d->cache_active && st.applied_index >= d->cache_index) {
		d->cache_active = 0;
		ag_log(AG_LOG_INFO, "deny list: the log is replayed past index "
		    "%" PRIu64 "; it alone decides now", d->cache_index);
	}
	if ((now = malloc(AG_FSM_MAX_DENIED * sizeof *now)) == NULL)
		return;
	fp = effective(n, now, &k, &ffp);
	if (fp != d->enforced_fp) {
		announce(n, now, k);
		memcpy(d->enforced, now, k * sizeof *now);
		d->nenforced = k;
		d->enforced_fp = fp;
		d->nrefused = 0;
	}
	if (!d->cache_active && ffp != d->written_fp)
		cache_write(n, now, k, ffp, st.applied_index);
	free(now);
	close_denied(n);
}

/* --- the API ---------------------------------------------------------- */

/*
 * {"node": ID, "note": TEXT} (note optional, DENY only): 0, or -1 with
 * err for the client.
 */
int
ag_node_deny_args(const char *body, size_t len, int with_note, char *node,
    char *note, size_t notesize, char *err, size_t errlen)
{
	json_t		*j, *jn, *jt;
	const char	*s, *t;
	const char	*key;
	json_t		*v;
	int		 rc = -1;

	if ((j = ag_api_parse_object(body, len, err, errlen)) == NULL)
		return -1;
	json_object_foreach(j, key, v) {
		if (strcmp(key, "node") != 0 && (!with_note ||
		    strcmp(key, "note") != 0)) {
			(void)snprintf(err, errlen, "unknown field \"%.40s\"",
			    key);
			goto out;
		}
	}
	jn = json_object_get(j, "node");
	jt = json_object_get(j, "note");
	s = json_is_string(jn) ? json_string_value(jn) : NULL;
	if (s == NULL || !sec_node_id_valid(s)) {
		(void)snprintf(err, errlen, "node: a node id, 26 characters "
		    "(`exogpu cert id FILE` prints it)");
		goto out;
	}
	(void)snprintf(node, SEC_NODE_ID_SIZE, "%s", s);
	note[0] = '\0';
	if (jt != NULL) {
		if (!json_is_string(jt) ||
		    json_string_length(jt) > AG_FSM_TEXT_MAX ||
		    json_string_length(jt) >= notesize) {
			(void)snprintf(err, errlen, "note: text of at most %d "
			    "bytes", AG_FSM_TEXT_MAX);
			goto out;
		}
		for (t = json_string_value(jt); *t != '\0'; t++)
			if ((unsigned char)*t < 0x20 || *t == 0x7f) {
				(void)snprintf(err, errlen, "note: no control "
				    "characters");
				goto out;
			}
		if (strlen(json_string_value(jt)) != json_string_length(jt)) {
			(void)snprintf(err, errlen, "note: no NUL");
			goto out;
		}
		(void)snprintf(note, notesize, "%s", json_string_value(jt));
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static void
deny_or_allow(struct ag_node *n, enum ag_fsm_op op, const char *body,
    size_t len, const struct ag_principal *who, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	struct ag_fsm_cmd	*cmd;
	char			 err[256], actor[200], object[64];

	if ((cmd = calloc(1, sizeof *cmd)) == NULL) {
		ag_api_error(r, 503, "busy", "out of memory");
		return;
	}
	if (ag_node_deny_args(body, len, op == AG_FSM_OP_DENY, cmd->node,
	    cmd->text, sizeof cmd->text, err, sizeof err) != 0) {
		ag_api_error(r, 400, "bad_request", "%s", err);
		free(cmd);
		return;
	}
	ag_auth_actor(who, actor, sizeof actor);
	(void)snprintf(object, sizeof object, "node/%s", cmd->node);
	cmd->op = op;
	cmd->now = (int64_t)time(NULL);
	ag_node_trust_propose(n, cmd, to, actor, op == AG_FSM_OP_DENY ?
	    "deny" : "allow", object, json_pack("{s:s}", op == AG_FSM_OP_DENY ?
	    "denied" : "allowed", cmd->node), r);
	free(cmd);
}

void
ag_node_trust_deny(struct ag_node *n, const char *body, size_t len,
    const struct ag_principal *who, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	deny_or_allow(n, AG_FSM_OP_DENY, body, len, who, to, r);
}

void
ag_node_trust_allow(struct ag_node *n, const char *body, size_t len,
    const struct ag_principal *who, const struct ag_reply_to *to,
    struct ag_api_reply *r)
{
	deny_or_allow(n, AG_FSM_OP_ALLOW, body, len, who, to, r);
}

/* GET /v1/nodes/denied: this node's applied list. */
void
ag_node_api_denied(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct ag_node			*n = ctx;
	const struct ag_fsm		*f = fsm(n);
	struct ag_cluster_status	 st;
	size_t				 i, cnt = f != NULL ?
					    ag_fsm_denied_count(f) : 0;
	json_t				*a = json_array(), *e;

	(void)req;
	if (a == NULL) {
		ag_api_error(r, 503, "busy", "out of memory");
		return;
	}
	for (i = 0; i < cnt; i++) {
		const struct ag_fsm_denied *d = ag_fsm_denied_at(f, i);

		e = json_pack("{s:s, s:I, s:s}", "node", d->node, "since",
		    (json_int_t)d->since, "note", d->note);
		if (e == NULL || json_array_append_new(a, e) != 0) {
			json_decref(a);
			ag_api_error(r, 503, "busy", "out of memory");
			return;
		}
	}
	ag_cluster_status(n->cluster, &st);
	r->status = 200;
	r->body = json_pack("{s:o, s:I, s:b}", "denied", a, "applied_index",
	    (json_int_t)st.applied_index, "replaying", n->deny != NULL &&
	    n->deny->cache_active);
}
