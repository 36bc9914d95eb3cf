/*
 * test_raft_io.c - canonical raft driven through net_raft_io (our
 * struct raft_io): three real raft instances with a counter state machine
 * on one libevent loop in one process, their data in real temporary
 * directories, their messages through a small in-memory router that
 * carries the exact control-stream bytes (NET_WIRE_RAFT envelopes,
 * fragments and all) and can cut a node off (a partition).
 *
 * What it shows: a leader is elected and 200 commands reach every state
 * machine; a leader closed and restarted from its files catches up; a
 * partitioned leader loses its leadership to a new one; with a low
 * snapshot threshold a node that was down is brought back by
 * InstallSnapshot; a torn log tail is cut at open and the node works; a
 * damaged record in the middle refuses to start; a second bootstrap is
 * RAFT_CANTBOOTSTRAP; messages of another cluster are dropped; the group
 * commit figure (fsyncs per appended entry) is printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <raft.h>

#include "net_raft_io.h"
#include "net_raft_wire.h"
#include "net_wire.h"

#define N		3
#define CLUSTER		"0123456789abcdef0123456789abcdef"
#define OTHER_CLUSTER	"fedcba9876543210fedcba9876543210"

static const char *const ids[N] = {
	"aaaaaaaaaaaaaaaaaaaaaaaaaa",
	"bbbbbbbbbbbbbbbbbbbbbbbbba",
	"ccccccccccccccccccccccccca",
};

struct frame {
	int		 from, to;
	uint8_t		*buf;
	size_t		 len;
	struct frame	*next;
};

struct node {
	int			 i;
	char			 dir[64];
	struct raft		 raft;
	struct raft_io		 io;
	struct raft_fsm		 fsm;
	uint64_t		 count;
	unsigned		 restores;
	bool			 up;
	bool			 closed;
};

struct net {
	struct event_base	*base;
	struct node		 nodes[N];
	bool			 cut[N];
	struct frame		*head, *tail;
	struct event		*deliver;
	unsigned		 acked, failed;
	unsigned		 full_frames;	/* a fragment of a bigger body */
	bool			 hold;		/* t_hold active */
	int			 hold_to;	/* for this node */
	raft_index		 hold_commit[N];	/* last sent to it */
};

static struct net	*g;

/* ---- the counter state machine ---- */

static int
fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
	struct node	*n = fsm->data;
	uint64_t	 v;

	if (buf->len < sizeof v)
		return RAFT_MALFORMED;
	/* A big command is +1 followed by padding (to need fragments). */
	memcpy(&v, buf->base, sizeof v);
	n->count += v;
	*result = NULL;
	return 0;
}

static int
fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[],
    unsigned *n_bufs)
{
	struct node	*n = fsm->data;

	*bufs = raft_malloc(sizeof **bufs);
	if (*bufs == NULL)
		return RAFT_NOMEM;
	(*bufs)[0].base = raft_malloc(sizeof n->count);
	if ((*bufs)[0].base == NULL)
		return RAFT_NOMEM;
	memcpy((*bufs)[0].base, &n->count, sizeof n->count);
	(*bufs)[0].len = sizeof n->count;
	*n_bufs = 1;
	return 0;
}

static int
fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
	struct node	*n = fsm->data;

	if (buf->len != sizeof n->count)
		return RAFT_MALFORMED;
	memcpy(&n->count, buf->base, sizeof n->count);
	raft_free(buf->base);
	n->restores++;
	return 0;
}

/* ---- the in-memory router ---- */

static void
deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net		*net = arg;
	struct frame		*f, *next;
	struct net_wire_msg	 m;
	char			 err[256];

	(void)fd;
	(void)what;
	f = net->head;
	net->head = net->tail = NULL;
	for (; f != NULL; f = next) {
		next = f->next;
		if (net->nodes[f->to].up && !net->cut[f->to] &&
		    !net->cut[f->from]) {
			assert_int_equal(net_wire_decode(f->buf, f->len, &m,
			    err, sizeof err), 0);
			assert_int_equal(m.type, NET_WIRE_RAFT);
			assert_string_equal(m.sender, ids[f->from]);
			if (net_raft_io_recv(&net->nodes[f->to].io,
			    ids[f->from], m.u.raw.payload, m.u.raw.len, err,
			    sizeof err) != 0)
				fail_msg("recv: %s", err);
		}
		free(f->buf);
		free(f);
	}
}

static int
t_send(void *arg, const char *peer, const uint8_t *buf, size_t len)
{
	struct node	*from = arg;
	struct frame	*f;
	int		 to;

	for (to = 0; to < N; to++)
		if (strcmp(peer, ids[to]) == 0)
			break;
	assert_true(to < N);
	if (g->cut[from->i] || g->cut[to] || !g->nodes[to].up)
		return -1;
	f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->buf = malloc(len);
	assert_non_null(f->buf);
	memcpy(f->buf, buf, len);
	f->len = len;
	if (len > NET_RAFT_WIRE_FRAG)
		g->full_frames++;
	f->from = from->i;
	f->to = to;
	if (g->tail != NULL)
		g->tail->next = f;
	else
		g->head = f;
	g->tail = f;
	event_active(g->deliver, 0, 0);
	return 0;
}

/*
 * The transport's hold, as the agent uses it for standbys (ag_raft.c,
 * io_hold) but without its time limit: an empty AppendEntries to node
 * hold_to goes only when its commit index moved.
 */
static int
t_hold(void *arg, const struct raft_message *m)
{
	struct node	*from = arg;

	if (!g->hold || m->type != RAFT_IO_APPEND_ENTRIES ||
	    strcmp(m->server_address, ids[g->hold_to]) != 0)
		return 0;
	if (m->append_entries.n_entries == 0 &&
	    m->append_entries.leader_commit == g->hold_commit[from->i])
		return 1;
	g->hold_commit[from->i] = m->append_entries.leader_commit;
	return 0;
}

/* ---- nodes ---- */

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Runs the loop until pred() or ms pass; returns pred(). */
static bool
run_until(bool (*pred)(void *), void *arg, unsigned ms)
{
	uint64_t	end = now_ms() + ms;

	while (!pred(arg) && now_ms() < end)
		(void)event_base_loop(g->base, EVLOOP_ONCE);
	return pred(arg);
}

static int
io_open(struct node *n, char *err, size_t errlen)
{
	struct net_raft_io_config	cfg;
	struct net_raft_transport	t;

	memset(&cfg, 0, sizeof cfg);
	cfg.data_dir = n->dir;
	cfg.self = ids[n->i];
	cfg.seed = 1000 + (uint64_t)n->i * 7919 + now_ms();
	memset(&t, 0, sizeof t);
	t.send = t_send;
	t.hold = t_hold;
	t.arg = n;
	return net_raft_io_init(&n->io, g->base, &cfg, &t, err, errlen);
}

static void
node_start(struct node *n, bool bootstrap)
{
	struct raft_configuration	conf;
	char				err[256];
	int				i;

	if (io_open(n, err, sizeof err) != 0)
		fail_msg("open %s: %s", n->dir, err);
	if (net_raft_io_cluster(&n->io)[0] == '\0')
		assert_int_equal(net_raft_io_set_cluster(&n->io, CLUSTER, err,
		    sizeof err), 0);
	n->fsm.version = 1;
	n->fsm.data = n;
	n->fsm.apply = fsm_apply;
	n->fsm.snapshot = fsm_snapshot;
	n->fsm.restore = fsm_restore;
	n->count = 0;
	assert_int_equal(raft_init(&n->raft, &n->io, &n->fsm,
	    net_raft_id(ids[n->i]), ids[n->i]), 0);
	raft_set_election_timeout(&n->raft, 250);
	raft_set_heartbeat_timeout(&n->raft, 50);
	raft_set_pre_vote(&n->raft, true);
	raft_set_snapshot_threshold(&n->raft, 16);
	raft_set_snapshot_trailing(&n->raft, 8);
	if (bootstrap) {
		raft_configuration_init(&conf);
		for (i = 0; i < N; i++)
			assert_int_equal(raft_configuration_add(&conf,
			    net_raft_id(ids[i]), ids[i], RAFT_VOTER), 0);
		assert_int_equal(raft_bootstrap(&n->raft, &conf), 0);
		assert_int_equal(raft_bootstrap(&n->raft, &conf),
		    RAFT_CANTBOOTSTRAP);
		raft_configuration_close(&conf);
	}
	n->restores = 0;
	assert_int_equal(raft_start(&n->raft), 0);
	n->up = true;
	n->closed = false;
}

static void
closed_cb(struct raft *r)
{
	struct node	*n = r->data;

	n->closed = true;
}

static bool
is_closed(void *arg)
{
	return ((struct node *)arg)->closed;
}

static bool
never(void *arg)
{
	(void)arg;
	return false;
}

static void
node_stop(struct node *n)
{
	n->up = false;
	n->raft.data = n;
	raft_close(&n->raft, closed_cb);
	assert_true(run_until(is_closed, n, 5000));
	net_raft_io_fini(&n->io);
}

static int
leader(void)
{
	int	i, l = -1;

	for (i = 0; i < N; i++)
		if (g->nodes[i].up && !g->cut[i] &&
		    raft_state(&g->nodes[i].raft) == RAFT_LEADER) {
			if (l >= 0)
				return -2;	/* two: wait */
			l = i;
		}
	return l;
}

static bool
has_leader(void *arg)
{
	(void)arg;
	return leader() >= 0;
}

static bool
agree(void *arg)
{
	uint64_t	want = *(uint64_t *)arg;
	int		i;

	for (i = 0; i < N; i++)
		if (g->nodes[i].up && g->nodes[i].count != want)
			return false;
	return true;
}

struct applying {
	struct raft_apply	req;
	bool			done;
	int			status;
};

static void
apply_cb(struct raft_apply *req, int status, void *result)
{
	struct applying	*a = (struct applying *)req;

	(void)result;
	a->done = true;
	a->status = status;
}

static bool
apply_done(void *arg)
{
	return ((struct applying *)arg)->done;
}

/*
 * Applies k commands of +1 (size bytes each) through whoever leads, one batch of up to 20
 * in flight at a time; a failed one (leadership lost) is applied again,
 * so the counters may end above the sum, but all must agree.
 */
static uint64_t
apply_sized(unsigned k, size_t size)
{
	struct applying		 a[20];
	struct raft_buffer	 b;
	uint64_t		 one = 1, sent = 0;
	unsigned		 i, n, ok;
	int			 l;

	while (k > 0) {
		assert_true(run_until(has_leader, NULL, 8000));
		l = leader();
		n = k < 20 ? k : 20;
		memset(a, 0, sizeof a);
		for (i = 0; i < n; i++) {
			b.len = size;
			b.base = raft_calloc(1, b.len);
			assert_non_null(b.base);
			memcpy(b.base, &one, sizeof one);
			if (raft_apply(&g->nodes[l].raft, &a[i].req, &b, 1,
			    apply_cb) != 0) {
				raft_free(b.base);
				a[i].done = true;
				a[i].status = -1;
			}
		}
		ok = 0;
		for (i = 0; i < n; i++) {
			assert_true(run_until(apply_done, &a[i], 8000));
			if (a[i].status == 0)
				ok++;
			else if (a[i].status != -1)
				sent++;	/* outcome unknown: may count */
		}
		k -= ok;
		sent += ok;
		g->acked += ok;
	}
	return sent;
}

static uint64_t
apply_n(unsigned k)
{
	return apply_sized(k, sizeof(uint64_t));
}

/* The counters agree on the leader's value after everything applied. */
static void
check_agree(void)
{
	uint64_t	want;
	int		l;

	assert_true(run_until(has_leader, NULL, 8000));
	l = leader();
	/* Let the leader's own apply of its last entries finish too. */
	(void)apply_n(1);
	want = g->nodes[l].count;
	if (!run_until(agree, &want, 8000))
		fail_msg("counters %llu %llu %llu, want %llu",
		    (unsigned long long)g->nodes[0].count,
		    (unsigned long long)g->nodes[1].count,
		    (unsigned long long)g->nodes[2].count,
		    (unsigned long long)want);
	assert_true(want >= g->acked);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	int	i;

	g = calloc(1, sizeof *g);
	assert_non_null(g);
	g->base = event_base_new();
	assert_non_null(g->base);
	g->deliver = event_new(g->base, -1, 0, deliver_cb, g);
	assert_non_null(g->deliver);
	for (i = 0; i < N; i++) {
		g->nodes[i].i = i;
		(void)snprintf(g->nodes[i].dir, sizeof g->nodes[i].dir,
		    "/tmp/test_raft_io.XXXXXX");
		assert_non_null(mkdtemp(g->nodes[i].dir));
	}
	*state = g;
	return 0;
}

static int
teardown(void **state)
{
	struct frame	*f, *next;
	int		 i;

	(void)state;
	for (i = 0; i < N; i++) {
		if (g->nodes[i].up)
			node_stop(&g->nodes[i]);
		(void)nftw(g->nodes[i].dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	}
	for (f = g->head; f != NULL; f = next) {
		next = f->next;
		free(f->buf);
		free(f);
	}
	event_free(g->deliver);
	event_base_free(g->base);
	free(g);
	g = NULL;
	return 0;
}

static void
log_path(const struct node *n, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s/raft/log", n->dir);
}

/* ---- the tests ---- */

static void
test_cluster(void **state)
{
	struct net_raft_io_stats	 s0, s1;
	char				 path[128], err[256];
	struct stat			 st;
	uint8_t				*saved, byte;
	size_t				 len;
	uint64_t			 before;
	int				 i, l, old, fd;

	(void)state;
	for (i = 0; i < N; i++)
		node_start(&g->nodes[i], true);

	/* A leader, 200 commands, every state machine agrees. */
	assert_true(run_until(has_leader, NULL, 8000));
	l = leader();
	net_raft_io_stats(&g->nodes[l].io, &s0);
	(void)apply_n(200);
	check_agree();
	net_raft_io_stats(&g->nodes[l].io, &s1);
	assert_int_equal(leader(), l);	/* no election on a quiet net */
	l = leader();
	print_message("leader: %llu entries appended, %llu log fdatasyncs "
	    "(%.3f per entry); %llu fsyncs in all (snapshots every 16 "
	    "entries and metadata included)\n",
	    (unsigned long long)(s1.appended - s0.appended),
	    (unsigned long long)(s1.log_syncs - s0.log_syncs),
	    (double)(s1.log_syncs - s0.log_syncs) /
	    (double)(s1.appended - s0.appended),
	    (unsigned long long)(s1.fsyncs - s0.fsyncs));
	assert_true(s1.appended - s0.appended >= 200);
	/* Group commit: 20 in flight share fdatasyncs. */
	assert_true(s1.log_syncs - s0.log_syncs < s1.appended - s0.appended);
	assert_true(s1.sent > 0 && s1.received > 0);
	assert_int_equal(s1.refused, 0);

	/* Entries of 150 KB: each AppendEntries travels in fragments. */
	before = g->nodes[l].count;
	(void)apply_sized(3, 150 * 1024);
	check_agree();
	assert_true(g->nodes[leader()].count >= before + 3);
	assert_true(g->full_frames > 0);

	/* The leader is closed and restarted from its files; it catches up. */
	old = leader();
	node_stop(&g->nodes[old]);
	(void)apply_n(10);
	node_start(&g->nodes[old], false);
	check_agree();

	/* A partitioned leader loses its leadership; a new one is elected. */
	old = leader();
	g->cut[old] = true;
	assert_true(run_until(has_leader, NULL, 8000));
	assert_int_not_equal(leader(), old);
	(void)apply_n(5);
	g->cut[old] = false;
	check_agree();
	assert_int_not_equal(raft_state(&g->nodes[old].raft), RAFT_LEADER);

	/*
	 * A follower is down while the others move 60 entries on (threshold
	 * 16, trailing 8: they compact past its log); it comes back by
	 * InstallSnapshot.
	 */
	l = leader();
	i = (l + 1) % N;
	node_stop(&g->nodes[i]);
	(void)apply_n(60);
	node_start(&g->nodes[i], false);
	g->nodes[i].restores = 0;
	check_agree();
	assert_true(g->nodes[i].restores >= 1);

	/* A torn tail: the file loses a few bytes; cut at open, still works. */
	l = leader();
	i = (l + 2) % N;
	node_stop(&g->nodes[i]);
	log_path(&g->nodes[i], path, sizeof path);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 8 + 32 + 3);
	assert_int_equal(truncate(path, st.st_size - 3), 0);
	node_start(&g->nodes[i], false);
	net_raft_io_stats(&g->nodes[i].io, &s0);
	assert_true(s0.torn_bytes > 0);
	(void)apply_n(5);
	check_agree();

	/* A bad record followed by good ones: refuses to start. */
	l = leader();
	i = (l + 1) % N;
	node_stop(&g->nodes[i]);
	log_path(&g->nodes[i], path, sizeof path);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	len = (size_t)st.st_size;
	assert_true(len > 8 + 2 * 32);
	saved = malloc(len);
	assert_non_null(saved);
	assert_int_equal(pread(fd, saved, len, 0), (ssize_t)len);
	byte = saved[8 + 8] ^ 0x40;	/* the first record's term */
	assert_int_equal(pwrite(fd, &byte, 1, 8 + 8), 1);
	assert_int_not_equal(io_open(&g->nodes[i], err, sizeof err), 0);
	print_message("damaged log: %s\n", err);
	assert_non_null(strstr(err, "damaged"));
	assert_int_equal(net_raft_io_has_state(g->nodes[i].dir), 1);
	assert_int_equal(pwrite(fd, saved, len, 0), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	free(saved);
	node_start(&g->nodes[i], false);
	before = g->acked;
	(void)apply_n(3);
	assert_true(g->acked == before + 3);
	check_agree();
}

static void
test_bootstrap_twice_and_wipe(void **state)
{
	struct raft_configuration	 conf;
	struct node			*n = &g->nodes[0];
	char				 err[256];

	(void)state;
	assert_int_equal(net_raft_io_has_state(n->dir), 0);
	node_start(n, true);	/* asserts the second bootstrap fails */
	node_stop(n);
	assert_int_equal(net_raft_io_has_state(n->dir), 1);

	/*
	 * Alone with a 3-voter configuration it cannot be elected; recover
	 * with a configuration of itself only makes it a leader on its own.
	 */
	node_start(n, false);
	assert_false(run_until(has_leader, NULL, 1200));
	node_stop(n);
	assert_int_equal(io_open(n, err, sizeof err), 0);
	assert_int_equal(raft_init(&n->raft, &n->io, &n->fsm,
	    net_raft_id(ids[0]), ids[0]), 0);
	raft_configuration_init(&conf);
	assert_int_equal(raft_configuration_add(&conf, net_raft_id(ids[0]),
	    ids[0], RAFT_VOTER), 0);
	assert_int_equal(raft_recover(&n->raft, &conf), 0);
	raft_configuration_close(&conf);
	n->raft.data = n;
	n->closed = false;
	raft_close(&n->raft, closed_cb);
	assert_true(run_until(is_closed, n, 5000));
	net_raft_io_fini(&n->io);
	node_start(n, false);
	assert_true(run_until(has_leader, NULL, 3000));
	assert_int_equal(leader(), 0);
	(void)apply_n(3);
	assert_true(n->count >= 3);
	node_stop(n);
	assert_int_equal(io_open(n, err, sizeof err), 0);
	assert_string_equal(net_raft_io_cluster(&n->io), CLUSTER);
	net_raft_io_fini(&n->io);
	assert_int_equal(net_raft_io_wipe(n->dir, err, sizeof err), 0);
	assert_int_equal(net_raft_io_has_state(n->dir), 0);
}

struct capture {
	uint8_t	buf[NET_WIRE_MAX_MSG];
	size_t	len;
};

static int
capture_emit(void *arg, const uint8_t *frame, size_t len)
{
	struct capture	*c = arg;

	memcpy(c->buf, frame, len);
	c->len = len;
	return 0;
}

static void
test_foreign_dropped(void **state)
{
	struct net_raft_io_stats	 s;
	struct raft_message		 m;
	struct net_wire_msg		 w;
	struct capture			*c;
	struct node			*n = &g->nodes[1];
	uint8_t				*body;
	size_t				 len;
	char				 err[256];

	(void)state;
	node_start(n, true);
	c = calloc(1, sizeof *c);
	assert_non_null(c);
	memset(&m, 0, sizeof m);
	m.type = RAFT_IO_REQUEST_VOTE;
	m.request_vote.term = 99;
	m.request_vote.candidate_id = net_raft_id(ids[0]);
	assert_int_equal(net_raft_wire_encode(&m, OTHER_CLUSTER, &body, &len,
	    err, sizeof err), 0);
	assert_int_equal(net_raft_wire_frames(body, len, 1, ids[0], 0,
	    capture_emit, c, err, sizeof err), 0);
	free(body);
	assert_int_equal(net_wire_decode(c->buf, c->len, &w, err, sizeof err),
	    0);
	assert_int_equal(net_raft_io_recv(&n->io, ids[0], w.u.raw.payload,
	    w.u.raw.len, err, sizeof err), 0);
	net_raft_io_stats(&n->io, &s);
	assert_int_equal(s.foreign, 1);
	assert_int_equal(s.received, 0);
	/* The vote of another cluster's term 99 did not move this node. */
	assert_true(n->raft.current_term < 99);
	/* Garbage is refused, not delivered. */
	assert_int_not_equal(net_raft_io_recv(&n->io, ids[0],
	    (const uint8_t *)"\xa0", 1, err, sizeof err), 0);
	net_raft_io_stats(&n->io, &s);
	assert_int_equal(s.refused, 1);
	free(c);
	node_stop(n);
}

/*
 * Held messages are not sent and are counted; raft is told they went.
 * A follower hears no idle heartbeats, yet every entry and every commit
 * reaches it (entries and a moved commit index are never held).
 */
static void
test_hold(void **state)
{
	struct net_raft_io_stats	s;
	int				i, l;
	uint64_t			held = 0, sent0;

	(void)state;
	for (i = 0; i < N; i++)
		node_start(&g->nodes[i], true);
	assert_true(run_until(has_leader, NULL, 8000));
	g->hold_to = (leader() + 1) % N;
	g->hold = true;
	(void)apply_n(50);
	check_agree();
	l = leader();
	net_raft_io_stats(&g->nodes[l].io, &s);
	sent0 = s.sent;
	/* Idle for 20 heartbeat intervals: the leader holds node 2's. */
	(void)run_until(never, NULL, 1000);
	net_raft_io_stats(&g->nodes[l].io, &s);
	held = s.held;
	print_message("leader idle 1 s: %llu sent, %llu held\n",
	    (unsigned long long)(s.sent - sent0), (unsigned long long)held);
	assert_true(held >= 3);
	assert_true(s.sent - sent0 >= 3);	/* node 1's heartbeats */
	(void)apply_n(5);
	check_agree();
	for (i = 0; i < N; i++)
		node_stop(&g->nodes[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cluster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap_twice_and_wipe,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_dropped, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
