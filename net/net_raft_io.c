/*
 * net_raft_io.c - canonical raft's struct raft_io (version 1) on a
 * libevent loop; what it promises is in net_raft_io.h, the files in
 * net_raft_disk.c, the bytes on the wire in net_raft_wire.c.
 *
 * Shape.  Three queues of requests (struct ri_op), each one FIFO:
 *  - todo: disk work (append, truncate, snapshot put/get) for the worker
 *    thread, in submission order, so a truncate is ordered with the
 *    appends around it.  The worker takes everything queued at once,
 *    writes it, and covers all the appends of that round with a single
 *    fdatasync (group commit): while one fdatasync runs, the next round
 *    queues up.
 *  - fin: what the worker finished; it wakes the loop through an eventfd.
 *  - defer: completions made on the loop (sends, the close), fired from
 *    an event made active for the purpose.
 * Callbacks therefore always run from the loop, never inside the call
 * that submitted the request, which raft requires (it touches a request
 * after submitting it).  A send is encoded before send() returns because
 * raft's message lives on its stack; only entry and snapshot data
 * outlive the call, until the callback.
 *
 * The worker owns the log part of struct net_raft_disk once raft started;
 * the loop owns the metadata (set_term, set_vote, the cluster id), which
 * are rare and written synchronously so they are durable on return.
 */
#include "net_raft_io.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "net_raft_disk.h"
#include "net_raft_wire.h"
#include "sec_err.h"

#define RI_MAX_ENTRY_DEFAULT	(1024 * 1024)
#define RI_ERR_LEN		160

enum ri_kind { RI_SEND, RI_APPEND, RI_TRUNCATE, RI_SNAP_PUT, RI_SNAP_GET,
	RI_CLOSE };

struct ri_op {
	enum ri_kind			 kind;
	int				 status;
	void				*req;
	union {
		raft_io_send_cb		 send;
		raft_io_append_cb	 append;
		raft_io_snapshot_put_cb	 put;
		raft_io_snapshot_get_cb	 get;
		raft_io_close_cb	 close;
	} cb;
	const struct raft_entry		*entries;
	unsigned			 n;
	uint64_t			 index;
	unsigned			 trailing;
	const struct raft_snapshot	*snap;
	struct raft_snapshot		*got;
	char				 err[RI_ERR_LEN];
	struct ri_op			*next;
};

struct ri_list {
	struct ri_op	*head, *tail;
};

struct ri_peer {
	char			*id;
	struct net_raft_reasm	 ra;
	struct ri_peer		*next;
};

struct ri {
	struct raft_io			*io;
	struct event_base		*base;
	struct net_raft_transport	 t;
	void				(*after)(void *);
	void				*after_arg;
	char				*self;
	size_t				 max_entry;
	struct net_raft_disk		 disk;
	raft_id				 id;
	uint64_t			 rng;
	uint64_t			 msg_id;
	struct event			*tick_ev, *defer_ev, *fin_ev;
	raft_io_tick_cb			 tick;
	raft_io_recv_cb			 recv;
	bool				 closing;
	struct ri_list			 defer;		/* loop only */
	struct ri_peer			*peers;		/* loop only */
	struct net_raft_io_stats	 st;		/* loop part */
	/* Shared with the worker, under mu. */
	pthread_t			 worker;
	bool				 worker_on;
	pthread_mutex_t			 mu;
	pthread_cond_t			 cv;
	struct ri_list			 todo, fin;
	bool				 stop;
	int				 efd;
	/* Worker only. */
	bool				 failed;
};

static struct ri *
ri_of(struct raft_io *io)
{
	return io->impl;
}

static void
ri_push(struct ri_list *l, struct ri_op *op)
{
	op->next = NULL;
	if (l->tail != NULL)
		l->tail->next = op;
	else
		l->head = op;
	l->tail = op;
}

static void
ri_concat(struct ri_list *l, struct ri_list *more)
{
	if (more->head == NULL)
		return;
	if (l->tail != NULL)
		l->tail->next = more->head;
	else
		l->head = more->head;
	l->tail = more->tail;
	more->head = more->tail = NULL;
}

static struct ri_op *
ri_op_new(enum ri_kind kind, void *req)
{
	struct ri_op	*op = calloc(1, sizeof *op);

	if (op != NULL) {
		op->kind = kind;
		op->req = req;
	}
	return op;
}

/* ---- completions, on the loop ---- */

static void
ri_fire(struct ri *ri, struct ri_op *op)
{
	if (op->status != 0 && op->err[0] != '\0')
		(void)snprintf(ri->io->errmsg, sizeof ri->io->errmsg, "%s",
		    op->err);
	switch (op->kind) {
	case RI_SEND:
		if (op->cb.send != NULL)
			op->cb.send(op->req, op->status);
		break;
	case RI_APPEND:
		op->cb.append(op->req, op->status);
		break;
	case RI_TRUNCATE:
		break;
	case RI_SNAP_PUT:
		op->cb.put(op->req, op->status);
		break;
	case RI_SNAP_GET:
		op->cb.get(op->req, op->got, op->status);
		break;
	case RI_CLOSE:
		if (op->cb.close != NULL)
			op->cb.close(ri->io);
		break;
	}
	free(op);
}

static void
ri_fire_list(struct ri *ri, struct ri_list *l)
{
	struct ri_op	*op, *next;

	for (op = l->head; op != NULL; op = next) {
		next = op->next;
		ri_fire(ri, op);
	}
	l->head = l->tail = NULL;
}

/* The agent looks at raft's state after everything raft did. */
static void
ri_after(struct ri *ri)
{
	if (ri->after != NULL && !ri->closing)
		ri->after(ri->after_arg);
}

static void
ri_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ri	*ri = arg;
	struct ri_list	 l = ri->defer;

	(void)fd;
	(void)what;
	ri->defer.head = ri->defer.tail = NULL;
	ri_fire_list(ri, &l);
	ri_after(ri);		/* a no-op while closing */
}

static void
ri_defer(struct ri *ri, struct ri_op *op)
{
	ri_push(&ri->defer, op);
	event_active(ri->defer_ev, 0, 0);
}

static void
ri_fin_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ri	*ri = arg;
	struct ri_list	 l;
	uint64_t	 v;

	(void)what;
	while (read(fd, &v, sizeof v) < 0 && errno == EINTR)
		;
	(void)pthread_mutex_lock(&ri->mu);
	l = ri->fin;
	ri->fin.head = ri->fin.tail = NULL;
	(void)pthread_mutex_unlock(&ri->mu);
	ri_fire_list(ri, &l);
	ri_after(ri);
}

/* ---- the worker ---- */

static void
ri_work_one(struct ri *ri, struct ri_op *op, bool *dirty)
{
	struct net_raft_disk	*d = &ri->disk;

	if (ri->failed && op->kind != RI_SNAP_GET) {
		op->status = RAFT_IOERR;
		(void)snprintf(op->err, sizeof op->err, "raft log: an earlier "
		    "write failed; restart the node");
		return;
	}
	switch (op->kind) {
	case RI_APPEND:
		if (net_raft_disk_append(d, op->entries, op->n, op->err,
		    sizeof op->err) != 0)
			op->status = RAFT_IOERR;
		*dirty = true;
		break;
	case RI_TRUNCATE:
		if (net_raft_disk_truncate(d, op->index, op->err,
		    sizeof op->err) != 0)
			op->status = RAFT_IOERR;
		*dirty = true;
		break;
	case RI_SNAP_PUT:
		/* Appends before it are made durable first. */
		if (*dirty && net_raft_disk_sync(d, op->err,
		    sizeof op->err) != 0)
			op->status = RAFT_IOERR;
		else if (net_raft_disk_snapshot_put(d, op->trailing, op->snap,
		    op->err, sizeof op->err) != 0)
			op->status = RAFT_IOERR;
		*dirty = false;
		break;
	case RI_SNAP_GET:
		if (net_raft_disk_snapshot_get(d, &op->got, op->err,
		    sizeof op->err) != 0)
			op->status = RAFT_IOERR;
		else if (op->got == NULL) {
			op->status = RAFT_NOTFOUND;
			(void)snprintf(op->err, sizeof op->err, "no snapshot");
		}
		break;
	default:
		break;
	}
	if (op->status != 0 && op->kind != RI_SNAP_GET)
		ri->failed = true;
}

/* One round: everything queued, then one fdatasync for its appends. */
static void
ri_work_round(struct ri *ri, struct ri_list *batch)
{
	struct ri_op	*op;
	char		 err[RI_ERR_LEN];
	bool		 dirty = false;

	for (op = batch->head; op != NULL; op = op->next)
		ri_work_one(ri, op, &dirty);
	if (!dirty || ri->failed)
		return;
	if (net_raft_disk_sync(&ri->disk, err, sizeof err) == 0)
		return;
	ri->failed = true;
	/* Nothing of this round is known to be durable. */
	for (op = batch->head; op != NULL; op = op->next)
		if (op->kind == RI_APPEND && op->status == 0) {
			op->status = RAFT_IOERR;
			(void)snprintf(op->err, sizeof op->err, "%s", err);
		}
}

static void *
ri_worker(void *arg)
{
	struct ri	*ri = arg;
	struct ri_list	 batch;
	uint64_t	 one = 1;

	(void)pthread_mutex_lock(&ri->mu);
	for (;;) {
		while (ri->todo.head == NULL && !ri->stop)
			(void)pthread_cond_wait(&ri->cv, &ri->mu);
		if (ri->todo.head == NULL)
			break;
		batch = ri->todo;
		ri->todo.head = ri->todo.tail = NULL;
		(void)pthread_mutex_unlock(&ri->mu);
		ri_work_round(ri, &batch);
		(void)pthread_mutex_lock(&ri->mu);
		ri_concat(&ri->fin, &batch);
		while (write(ri->efd, &one, sizeof one) < 0 && errno == EINTR)
			;
	}
	(void)pthread_mutex_unlock(&ri->mu);
	return NULL;
}

static int
ri_queue(struct ri *ri, struct ri_op *op)
{
	(void)pthread_mutex_lock(&ri->mu);
	ri_push(&ri->todo, op);
	(void)pthread_cond_signal(&ri->cv);
	(void)pthread_mutex_unlock(&ri->mu);
	return 0;
}

/* ---- raft_io methods ---- */

static int
ri_init(struct raft_io *io, raft_id id, const char *address)
{
	(void)address;
	ri_of(io)->id = id;
	return 0;
}

static int
ri_load(struct raft_io *io, raft_term *term, raft_id *voted_for,
    struct raft_snapshot **snapshot, raft_index *start_index,
    struct raft_entry *entries[], size_t *n_entries)
{
	struct ri	*ri = ri_of(io);

	*term = ri->disk.meta.term;
	*voted_for = ri->disk.meta.vote;
	if (net_raft_disk_load(&ri->disk, snapshot, start_index, entries,
	    n_entries, io->errmsg, sizeof io->errmsg) != 0)
		return RAFT_CORRUPT;
	return 0;
}

static void
ri_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ri	*ri = arg;

	(void)fd;
	(void)what;
	if (ri->tick != NULL && !ri->closing) {
		ri->tick(ri->io);
		ri_after(ri);
	}
}

static int
ri_start(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
    raft_io_recv_cb recv)
{
	struct ri	*ri = ri_of(io);
	struct timeval	 tv;

	tv.tv_sec = msecs / 1000;
	tv.tv_usec = (suseconds_t)(msecs % 1000) * 1000;
	ri->tick = tick;
	ri->recv = recv;
	if (event_add(ri->tick_ev, &tv) != 0) {
		(void)snprintf(io->errmsg, sizeof io->errmsg, "tick timer");
		return RAFT_IOERR;
	}
	return 0;
}

/* Appends one entry synchronously (bootstrap, recover: before start). */
static int
ri_append_sync(struct ri *ri, raft_term term, const struct raft_buffer *b)
{
	struct raft_entry	e;

	memset(&e, 0, sizeof e);
	e.term = term;
	e.type = RAFT_CHANGE;
	e.buf = *b;
	if (net_raft_disk_append(&ri->disk, &e, 1, ri->io->errmsg,
	    sizeof ri->io->errmsg) != 0 ||
	    net_raft_disk_sync(&ri->disk, ri->io->errmsg,
	    sizeof ri->io->errmsg) != 0)
		return RAFT_IOERR;
	return 0;
}

static int
ri_set_meta(struct ri *ri, uint64_t term, uint64_t vote)
{
	struct net_raft_meta	m = ri->disk.meta;

	m.term = term;
	m.vote = vote;
	if (net_raft_disk_set_meta(&ri->disk, &m, ri->io->errmsg,
	    sizeof ri->io->errmsg) != 0)
		return RAFT_IOERR;
	return 0;
}

/*
 * raft_configuration_encode() pads its output to 8 bytes and leaves the
 * padding uninitialised; zero it so the log's bytes (and checksums) are
 * a function of the configuration.  raft's format 1: version byte,
 * 64-bit count, then per server a 64-bit id, the address with its NUL
 * and a role byte.
 */
static int
ri_conf_encode(const struct raft_configuration *conf, struct raft_buffer *b)
{
	size_t		used = 9;
	unsigned	i;

	if (raft_configuration_encode(conf, b) != 0)
		return -1;
	for (i = 0; i < conf->n; i++)
		used += 10 + strlen(conf->servers[i].address);
	if (used < b->len)
		memset((uint8_t *)b->base + used, 0, b->len - used);
	return 0;
}

static int
ri_bootstrap(struct raft_io *io, const struct raft_configuration *conf)
{
	struct ri		*ri = ri_of(io);
	struct raft_buffer	 b;
	int			 rc;

	if (net_raft_disk_has_state(&ri->disk))
		return RAFT_CANTBOOTSTRAP;
	if (ri_conf_encode(conf, &b) != 0)
		return RAFT_NOMEM;
	rc = ri_append_sync(ri, 1, &b);
	raft_free(b.base);
	if (rc == 0)
		rc = ri_set_meta(ri, 1, 0);
	return rc;
}

static int
ri_recover(struct raft_io *io, const struct raft_configuration *conf)
{
	struct ri		*ri = ri_of(io);
	struct raft_buffer	 b;
	int			 rc;

	if (ri_conf_encode(conf, &b) != 0)
		return RAFT_NOMEM;
	rc = ri_append_sync(ri, ri->disk.meta.term, &b);
	raft_free(b.base);
	return rc;
}

static int
ri_set_term(struct raft_io *io, raft_term term)
{
	return ri_set_meta(ri_of(io), term, 0);
}

static int
ri_set_vote(struct raft_io *io, raft_id server_id)
{
	struct ri	*ri = ri_of(io);

	return ri_set_meta(ri, ri->disk.meta.term, server_id);
}

struct ri_emit {
	struct ri	*ri;
	const char	*peer;
};

static int
ri_emit_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct ri_emit	*e = arg;

	return e->ri->t.send(e->ri->t.arg, e->peer, frame, len) == 0 ? 0 : -1;
}

static int
ri_send(struct raft_io *io, struct raft_io_send *req,
    const struct raft_message *message, raft_io_send_cb cb)
{
	struct ri	*ri = ri_of(io);
	struct ri_op	*op;
	struct ri_emit	 e;
	uint8_t		*body;
	size_t		 len;

	if (ri->closing || message->server_address == NULL)
		return RAFT_NOCONNECTION;
	if ((op = ri_op_new(RI_SEND, req)) == NULL)
		return RAFT_NOCONNECTION;
	op->cb.send = cb;
	if (ri->t.hold != NULL && ri->t.hold(ri->t.arg, message)) {
		ri->st.held++;
	} else if (net_raft_wire_encode(message, ri->disk.meta.cluster, &body, &len,
	    op->err, sizeof op->err) != 0) {
		ri->st.refused++;
		op->status = RAFT_NOCONNECTION;
	} else {
		e.ri = ri;
		e.peer = message->server_address;
		if (net_raft_wire_frames(body, len, ++ri->msg_id, ri->self,
		    0, ri_emit_frame, &e, op->err, sizeof op->err) != 0)
			op->status = RAFT_NOCONNECTION;
		else
			ri->st.sent++;
		free(body);
	}
	ri_defer(ri, op);
	return 0;
}

static int
ri_append(struct raft_io *io, struct raft_io_append *req,
    const struct raft_entry entries[], unsigned n, raft_io_append_cb cb)
{
	struct ri	*ri = ri_of(io);
	struct ri_op	*op;

	if (ri->closing)
		return RAFT_CANCELED;
	if ((op = ri_op_new(RI_APPEND, req)) == NULL)
		return RAFT_NOMEM;
	op->cb.append = cb;
	op->entries = entries;
	op->n = n;
	return ri_queue(ri, op);
}

static int
ri_truncate(struct raft_io *io, raft_index index)
{
	struct ri	*ri = ri_of(io);
	struct ri_op	*op;

	if (ri->closing)
		return RAFT_CANCELED;
	if ((op = ri_op_new(RI_TRUNCATE, NULL)) == NULL)
		return RAFT_NOMEM;
	op->index = index;
	return ri_queue(ri, op);
}

static int
ri_snapshot_put(struct raft_io *io, unsigned trailing,
    struct raft_io_snapshot_put *req, const struct raft_snapshot *snapshot,
    raft_io_snapshot_put_cb cb)
{
	struct ri	*ri = ri_of(io);
	struct ri_op	*op;

	if (ri->closing)
		return RAFT_CANCELED;
	if ((op = ri_op_new(RI_SNAP_PUT, req)) == NULL)
		return RAFT_NOMEM;
	op->cb.put = cb;
	op->trailing = trailing;
	op->snap = snapshot;
	return ri_queue(ri, op);
}

static int
ri_snapshot_get(struct raft_io *io, struct raft_io_snapshot_get *req,
    raft_io_snapshot_get_cb cb)
{
	struct ri	*ri = ri_of(io);
	struct ri_op	*op;

	if (ri->closing)
		return RAFT_CANCELED;
	if ((op = ri_op_new(RI_SNAP_GET, req)) == NULL)
		return RAFT_NOMEM;
	op->cb.get = cb;
	return ri_queue(ri, op);
}

static raft_time
ri_time(struct raft_io *io)
{
	struct timespec	ts;

	(void)io;
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (raft_time)ts.tv_sec * 1000 + (raft_time)ts.tv_nsec / 1000000;
}

/* xorshift64*: small, seedable, good enough for election jitter. */
static uint64_t
ri_rand64(struct ri *ri)
{
	ri->rng ^= ri->rng >> 12;
	ri->rng ^= ri->rng << 25;
	ri->rng ^= ri->rng >> 27;
	return ri->rng * 0x2545F4914F6CDD1DULL;
}

static int
ri_random(struct raft_io *io, int min, int max)
{
	struct ri	*ri = ri_of(io);
	uint64_t	 span;

	if (max <= min)
		return min;
	span = (uint64_t)((int64_t)max - (int64_t)min) + 1;
	return (int)((int64_t)min + (int64_t)(ri_rand64(ri) % span));
}

/* Stops the worker; what it had not started is cancelled into *out. */
static void
ri_stop_worker(struct ri *ri, struct ri_list *out)
{
	struct ri_list	 cancelled;
	struct ri_op	*op;

	if (!ri->worker_on)
		return;
	(void)pthread_mutex_lock(&ri->mu);
	cancelled = ri->todo;
	ri->todo.head = ri->todo.tail = NULL;
	ri->stop = true;
	(void)pthread_cond_signal(&ri->cv);
	(void)pthread_mutex_unlock(&ri->mu);
	(void)pthread_join(ri->worker, NULL);
	ri->worker_on = false;
	for (op = cancelled.head; op != NULL; op = op->next) {
		op->status = RAFT_CANCELED;
		(void)snprintf(op->err, sizeof op->err, "raft io closing");
	}
	/* The worker is gone: fin is ours without the lock. */
	ri_concat(out, &ri->fin);
	ri_concat(out, &cancelled);
}

static void
ri_close(struct raft_io *io, raft_io_close_cb cb)
{
	struct ri	*ri = ri_of(io);
	struct ri_list	 l = { NULL, NULL };
	struct ri_op	*op;

	ri->closing = true;
	(void)event_del(ri->tick_ev);
	(void)event_del(ri->fin_ev);
	ri_stop_worker(ri, &l);
	ri_concat(&ri->defer, &l);
	op = ri_op_new(RI_CLOSE, NULL);
	if (op == NULL) {
		/* Cannot defer: fire what is queued, then close now. */
		ri_defer_cb(-1, 0, ri);
		if (cb != NULL)
			cb(io);
		return;
	}
	op->cb.close = cb;
	ri_defer(ri, op);
}

/* ---- the public API ---- */

static void
ri_free(struct ri *ri)
{
	struct ri_list	 l = { NULL, NULL };
	struct ri_op	*op, *next;
	struct ri_peer	*p, *pn;

	ri_stop_worker(ri, &l);
	ri_concat(&l, &ri->defer);
	for (op = l.head; op != NULL; op = next) {
		next = op->next;
		if (op->kind == RI_SNAP_GET && op->got != NULL) {
			raft_configuration_close(&op->got->configuration);
			raft_free(op->got->bufs[0].base);
			raft_free(op->got->bufs);
			raft_free(op->got);
		}
		free(op);
	}
	for (p = ri->peers; p != NULL; p = pn) {
		pn = p->next;
		net_raft_reasm_reset(&p->ra);
		free(p->id);
		free(p);
	}
	if (ri->tick_ev != NULL)
		event_free(ri->tick_ev);
	if (ri->defer_ev != NULL)
		event_free(ri->defer_ev);
	if (ri->fin_ev != NULL)
		event_free(ri->fin_ev);
	if (ri->efd >= 0)
		(void)close(ri->efd);
	(void)pthread_cond_destroy(&ri->cv);
	(void)pthread_mutex_destroy(&ri->mu);
	net_raft_disk_close(&ri->disk);
	free(ri->self);
	free(ri);
}

static void
ri_fill(struct raft_io *io, struct ri *ri)
{
	memset(io, 0, sizeof *io);
	io->version = 1;
	io->impl = ri;
	io->init = ri_init;
	io->close = ri_close;
	io->load = ri_load;
	io->start = ri_start;
	io->bootstrap = ri_bootstrap;
	io->recover = ri_recover;
	io->set_term = ri_set_term;
	io->set_vote = ri_set_vote;
	io->send = ri_send;
	io->append = ri_append;
	io->truncate = ri_truncate;
	io->snapshot_put = ri_snapshot_put;
	io->snapshot_get = ri_snapshot_get;
	io->time = ri_time;
	io->random = ri_random;
}

static int
ri_events(struct ri *ri, char *err, size_t errlen)
{
	ri->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ri->efd < 0)
		return sec_err(err, errlen, "eventfd: %s", strerror(errno));
	ri->tick_ev = event_new(ri->base, -1, EV_PERSIST, ri_tick_cb, ri);
	ri->defer_ev = event_new(ri->base, -1, 0, ri_defer_cb, ri);
	ri->fin_ev = event_new(ri->base, ri->efd, EV_READ | EV_PERSIST,
	    ri_fin_cb, ri);
	if (ri->tick_ev == NULL || ri->defer_ev == NULL ||
	    ri->fin_ev == NULL || event_add(ri->fin_ev, NULL) != 0)
		return sec_err(err, errlen, "raft io: cannot create events");
	return 0;
}

int
net_raft_io_init(struct raft_io *io, struct event_base *base,
    const struct net_raft_io_config *cfg, const struct net_raft_transport *t,
    char *err, size_t errlen)
{
	struct ri	*ri;

	if (cfg->data_dir == NULL || cfg->self == NULL || t->send == NULL)
		return sec_err(err, errlen, "raft io: data dir, node id and "
		    "transport are required");
	if ((ri = calloc(1, sizeof *ri)) == NULL)
		return sec_err(err, errlen, "out of memory");
	ri->efd = -1;
	ri->disk.logfd = ri->disk.dirfd = -1;
	(void)pthread_mutex_init(&ri->mu, NULL);
	(void)pthread_cond_init(&ri->cv, NULL);
	ri->io = io;
	ri->base = base;
	ri->t = *t;
	ri->after = cfg->after;
	ri->after_arg = cfg->after_arg;
	ri->max_entry = cfg->max_entry_bytes != 0 ? cfg->max_entry_bytes :
	    RI_MAX_ENTRY_DEFAULT;
	ri->rng = cfg->seed != 0 ? cfg->seed : 0x9E3779B97F4A7C15ULL;
	if ((ri->self = strdup(cfg->self)) == NULL) {
		ri_free(ri);
		return sec_err(err, errlen, "out of memory");
	}
	if (net_raft_disk_open(&ri->disk, cfg->data_dir, ri->max_entry, err,
	    errlen) != 0 || ri_events(ri, err, errlen) != 0) {
		ri_free(ri);
		return -1;
	}
	ri->st.torn_bytes = ri->disk.torn;
	if (pthread_create(&ri->worker, NULL, ri_worker, ri) != 0) {
		ri_free(ri);
		return sec_err(err, errlen, "raft io: cannot start the disk "
		    "thread");
	}
	ri->worker_on = true;
	ri_fill(io, ri);
	return 0;
}

void
net_raft_io_fini(struct raft_io *io)
{
	if (io->impl != NULL)
		ri_free(io->impl);
	io->impl = NULL;
}

static struct ri_peer *
ri_peer(struct ri *ri, const char *peer)
{
	struct ri_peer	*p;

	for (p = ri->peers; p != NULL; p = p->next)
		if (strcmp(p->id, peer) == 0)
			return p;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	if ((p->id = strdup(peer)) == NULL) {
		free(p);
		return NULL;
	}
	net_raft_reasm_init(&p->ra);
	p->next = ri->peers;
	ri->peers = p;
	return p;
}

int
net_raft_io_recv(struct raft_io *io, const char *peer,
    const uint8_t *payload, size_t len, char *err, size_t errlen)
{
	struct ri		*ri = ri_of(io);
	struct ri_peer		*p;
	struct raft_message	 m;
	const uint8_t		*body;
	size_t			 blen;
	char			 cluster[NET_RAFT_WIRE_CLUSTER_LEN + 1];
	int			 rc;

	if (ri == NULL)
		return sec_err(err, errlen, "raft io not open");
	if ((p = ri_peer(ri, peer)) == NULL)
		return sec_err(err, errlen, "out of memory");
	rc = net_raft_reasm_feed(&p->ra, payload, len, &body, &blen, err,
	    errlen);
	if (rc <= 0) {
		if (rc < 0)
			ri->st.refused++;
		return rc;
	}
	if (net_raft_wire_decode(body, blen, ri->max_entry, &m, cluster, err,
	    errlen) != 0) {
		ri->st.refused++;
		return -1;
	}
	if (ri->disk.meta.cluster[0] == '\0' ||
	    strcmp(cluster, ri->disk.meta.cluster) != 0) {
		ri->st.foreign++;
		net_raft_wire_free(&m);
		return 0;
	}
	if (ri->recv == NULL || ri->closing) {
		net_raft_wire_free(&m);
		return 0;
	}
	m.server_id = net_raft_id(peer);
	m.server_address = p->id;
	ri->st.received++;
	ri->recv(io, &m);
	return 0;
}

const char *
net_raft_io_cluster(struct raft_io *io)
{
	return ri_of(io)->disk.meta.cluster;
}

int
net_raft_io_set_cluster(struct raft_io *io, const char *cluster_id,
    char *err, size_t errlen)
{
	struct ri		*ri = ri_of(io);
	struct net_raft_meta	 m = ri->disk.meta;

	if (!net_raft_wire_cluster_valid(cluster_id))
		return sec_err(err, errlen, "cluster id \"%s\": not 32 "
		    "lowercase hex digits", cluster_id);
	(void)snprintf(m.cluster, sizeof m.cluster, "%s", cluster_id);
	return net_raft_disk_set_meta(&ri->disk, &m, err, errlen);
}

int
net_raft_io_has_state(const char *data_dir)
{
	return net_raft_disk_probe(data_dir);
}

int
net_raft_io_wipe(const char *data_dir, char *err, size_t errlen)
{
	return net_raft_disk_wipe(data_dir, err, errlen);
}

void
net_raft_io_stats(struct raft_io *io, struct net_raft_io_stats *out)
{
	struct ri	*ri = ri_of(io);

	*out = ri->st;
	out->fsyncs = atomic_load(&ri->disk.fsyncs);
	out->bytes_written = atomic_load(&ri->disk.bytes);
	out->log_syncs = atomic_load(&ri->disk.log_syncs);
	out->appended = atomic_load(&ri->disk.appended);
}

raft_id
net_raft_id(const char *node_id)
{
	uint64_t	h = 0xcbf29ce484222325ULL;	/* FNV-1a 64 */
	const uint8_t	*p = (const uint8_t *)node_id;

	while (*p != '\0') {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h != 0 ? h : 1;
}
