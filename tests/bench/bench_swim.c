/*
 * bench_swim.c - what the membership protocol costs and how fast it finds
 * a dead member as the cluster grows: SWIM probe mode (probe_ms > 0) at
 * 32 to 1000 nodes, beside the transport mode (a session to every member)
 * at the sizes where a full mesh is still plausible.
 *
 * Method.  The real state machine (net/net_member.c), one per node, runs
 * in the deterministic simulated network of tests/unit/clustersim.h
 * through tests/unit/membersim.h: every message is encoded with
 * net_member_wire_encode() and decoded on delivery, so payload sizes are
 * true.  Probe mode runs the network in on-demand mode (a message between
 * two up nodes is delivered, no session is modelled) and every node joins
 * node 0 (one session, as `--join` would); transport mode models a QUIC
 * session per pair, as test_member_sim.c does.  Both use their config
 * defaults (net_member_config_probe / net_member_config_default).  Per
 * cluster size and mode:
 *   - formed: simulated seconds from the first boot until every node sees
 *     every other ALIVE (past --form-limit, the share of complete views
 *     then; every node is then given node 0's member list, as node 0's
 *     next push-pull would, so that the rest can still be measured);
 *   - quiet: from formed until a second passes without a gossip message
 *     (the joins' claims are gossiped for a while; at most --settle s);
 *   - idle traffic over the next T simulated seconds: messages and bytes
 *     each node sends per second (mean), and the median and largest
 *     per-node sum of bytes sent and received per second;
 *   - detection: K kill -9s, one at a time, each of a random member other
 *     than the join node, the next one 5 s after every survivor has the
 *     last one DEAD; median and largest time from the kill until every
 *     survivor has it DEAD;
 *   - false DEAD declarations and suspicions of members that were up,
 *     from the end of forming on, and the refutations they caused; and
 *     what happened while forming (a table of its own);
 *   - with --blackout MS, probe mode only, R rounds (--blackouts, default
 *     10), 20 s apart, in which a random member's network is down both
 *     ways for MS while its process runs on (clustersim's cs_mute, which
 *     leaves the modelled sessions of the transport mode alone, so that
 *     mode would see nothing): how often that got another, healthy
 *     member declared DEAD, and the DEAD declarations of others and of
 *     the muted member.
 *
 * Bytes per message = payload + the control-stream envelope (measured
 * once with net_wire_encode_raw: type 16, the 26-character sender, term
 * 0) + PKT_OVERHEAD for the packet: IPv4 20 + UDP 8, QUIC short header
 * 1 + destination connection id 8 (NQ_CIDLEN) + packet number 2, AEAD
 * tag 16, and a STREAM frame header of 8 (type, stream id, offset,
 * length).  One message per packet; not counted: ACK-only packets,
 * QUIC keep-alives (transport mode: one PING each way per session per
 * 500 ms, printed as an estimate under the table) and, in probe mode, the
 * handshakes of sessions the driver opens on demand.
 *
 * Usage: bench_swim [--quick] [--n LIST] [--t SECONDS] [--kills K]
 *                   [--loss PERCENT] [--seed S] [--form-limit SECONDS]
 *                   [--settle SECONDS] [--transport-max N]
 *                   [--blackout MS] [--blackouts R]
 * LIST: sizes separated by commas or spaces (default 32,64,128,256,500,
 * 1000; --quick: 32,64 with T = 10 s and 2 kills).  Defaults: T 60 s,
 * 5 kills, 1 % loss, seed 1, form limit 180 s, settle 300 s.  Transport
 * mode runs for the sizes up to --transport-max (default 64; 0: never).
 * Exit status 1 when a cluster does not form, a kill is not detected
 * within 60 s, or the harness reports an error, so the ctest smoke run
 * catches a broken protocol.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/membersim.h"
#include "bench.h"
#include "net_wire.h"

#define MS			UINT64_C(1000)		/* us */
#define STEP_US			(100 * MS)
#define DETECT_LIMIT_US		(60000 * MS)
#define RECOVER_US		(5000 * MS)	/* between kills */
#define PKT_OVERHEAD		(20 + 8 + 1 + 8 + 2 + 16 + 8)
#define KEEPALIVE_PKT		(20 + 8 + 1 + 16 + 2 + 16 + 1)
#define MAX_SIZES		32
#define MAX_KILLS		64

struct opts {
	int		 n[MAX_SIZES];
	int		 nn;
	double		 t_idle;	/* s */
	double		 form_limit;	/* s */
	double		 settle;	/* s: most to wait for quiet */
	int		 kills;
	unsigned	 loss_ppm;
	uint64_t	 seed;
	int		 transport_max;
	unsigned	 blackout_ms;	/* 0: no blackout rounds */
	int		 blackouts;
};

/* What the changed hook watches. */
struct watch {
	int		 victim;	/* -1: none */
	uint8_t		*dead;		/* observer has the victim DEAD */
	int		 ndead;
	uint64_t	 all_dead_at;	/* us */
	int		 survivors;
	bool		 counting;	/* formed: count what follows */
	uint64_t	 form_suspect;	/* suspicions while forming */
	uint64_t	 form_dead;	/* DEAD declarations while forming */
	uint64_t	 false_dead, false_suspect;
	/* blackout rounds: the muted node, DEADs of it and of others */
	int		 muted;		/* -1: none */
	uint64_t	 bo_dead_muted, bo_dead_other;
};

struct result {
	double		 form_s;	/* < 0: did not form */
	double		 views;		/* share of views complete then */
	double		 msg_s, out_bps, p50_bps, max_bps;
	double		 det_med, det_max;
	int		 found;
	uint64_t	 false_dead, false_suspect, refutations;
	uint64_t	 form_suspect, form_dead, form_refut;
	uint64_t	 form_relays_refused;
	double		 quiet_s;	/* formed -> no gossip; < 0: never */
	int		 bo_rounds, bo_bad;	/* rounds, with others DEAD */
	uint64_t	 bo_dead_muted, bo_dead_other;
	double		 wall_s;
	int		 errors;
};

static size_t	envelope;	/* bytes around a membership payload */

static void
on_changed(struct ms_world *w, int o, int subj,
    const struct net_member_action *a)
{
	struct watch	*wt = w->arg;

	if (subj == wt->victim && !w->s.up[subj]) {
		if (a->to == NET_MEMBER_DEAD && !wt->dead[o]) {
			wt->dead[o] = 1;
			if (++wt->ndead == wt->survivors)
				wt->all_dead_at = w->s.now;
		}
		return;
	}
	if (!w->s.up[subj])
		return;
	if (!wt->counting) {
		wt->form_suspect += a->to == NET_MEMBER_SUSPECT;
		wt->form_dead += a->to == NET_MEMBER_DEAD;
		return;
	}
	if (wt->muted >= 0) {
		if (a->to == NET_MEMBER_DEAD && subj == wt->muted)
			wt->bo_dead_muted++;
		else if (a->to == NET_MEMBER_DEAD)
			wt->bo_dead_other++;
		return;
	}
	if (a->to == NET_MEMBER_SUSPECT)
		wt->false_suspect++;
	else if (a->to == NET_MEMBER_DEAD)
		wt->false_dead++;
}

/* Membership payload -> control-stream message: the envelope's bytes. */
static int
measure_envelope(void)
{
	struct net_member_msg	*msg;
	struct sec_cbor_writer	 wr;
	uint8_t			 pay[64], *buf;
	char			 id[SEC_NODE_ID_SIZE], err[160];
	size_t			 len = 0;
	int			 rc = -1;

	msg = calloc(1, sizeof *msg);
	buf = malloc(NET_WIRE_MAX_MSG);
	if (msg == NULL || buf == NULL)
		goto out;
	cs_make_id(0, id);
	sec_cbor_writer_fixed(&wr, pay, sizeof pay);
	if (net_member_wire_encode(msg, &wr) != 0 ||
	    sec_cbor_writer_error(&wr) != 0)
		goto out;
	if (net_wire_encode_raw(buf, NET_WIRE_MAX_MSG, &len,
	    NET_MEMBER_WIRE_TYPE, id, 0, pay, sec_cbor_writer_len(&wr), err,
	    sizeof err) != 0) {
		(void)fprintf(stderr, "bench_swim: envelope: %s\n", err);
		goto out;
	}
	envelope = len - sec_cbor_writer_len(&wr);
	rc = 0;
out:
	free(msg);
	free(buf);
	return rc;
}

/* Runs the simulation to t_us in steps until done(w) or t_us; 1 if done. */
static int
run_while(struct ms_world *w, uint64_t t_us,
    int (*done)(const struct ms_world *))
{
	uint64_t	t = w->s.now;

	while (!done(w)) {
		if (t >= t_us)
			return 0;
		t = t + STEP_US < t_us ? t + STEP_US : t_us;
		cs_run_until(&w->s, t);
	}
	return 1;
}

static int
victim_dead_everywhere(const struct ms_world *w)
{
	const struct watch	*wt = w->arg;

	return wt->ndead == wt->survivors;
}

static int
never(const struct ms_world *w)
{
	(void)w;
	return 0;
}

/*
 * After forming, the joins' claims are still being gossiped (each sent
 * retransmit_mult * ceil(log10(n + 1)) times, 16 to a message): waits
 * until a whole second passes without a gossip message anywhere, at
 * most max_s; the seconds it took, or -1.
 */
static double
settle(struct ms_world *w, double max_s)
{
	uint64_t	t0 = w->s.now, before;

	do {
		before = MS_STAT(w, gossip_msgs);
		cs_run_until(&w->s, w->s.now + 1000 * MS);
		if (MS_STAT(w, gossip_msgs) == before)
			return (double)(w->s.now - t0) / 1e6;
	} while ((double)(w->s.now - t0) < max_s * 1e6);
	return -1;
}

/* Wire bytes of m messages carrying payload bytes. */
static double
wire_bytes(uint64_t m, uint64_t payload)
{
	return (double)payload + (double)m * (double)(envelope + PKT_OVERHEAD);
}

/* Idle traffic over the next t_idle seconds. */
static void
measure_idle(struct ms_world *w, double t_idle, struct result *r)
{
	uint64_t	*c0[4], *c[4] = { w->tx_msgs, w->tx_bytes, w->rx_msgs,
			    w->rx_bytes };
	double		*sum, out, in, out_m = 0, out_b = 0;
	size_t		 size = (size_t)w->s.n * sizeof *c0[0];
	int		 i, j, k = 0, n = w->s.n;

	for (j = 0; j < 4; j++) {
		c0[j] = cs_alloc(1, size);
		memcpy(c0[j], c[j], size);
	}
	sum = cs_alloc((size_t)n, sizeof *sum);
	(void)run_while(w, w->s.now + (uint64_t)(t_idle * 1e6), never);
	for (i = 0; i < n; i++) {
		if (!w->s.up[i])
			continue;
		out = wire_bytes(c[0][i] - c0[0][i], c[1][i] - c0[1][i]);
		in = wire_bytes(c[2][i] - c0[2][i], c[3][i] - c0[3][i]);
		out_m += (double)(c[0][i] - c0[0][i]) / t_idle;
		out_b += out / t_idle;
		sum[k++] = (out + in) / t_idle;
	}
	r->msg_s = k > 0 ? out_m / k : 0;
	r->out_bps = k > 0 ? out_b / k : 0;
	r->p50_bps = bench_median(sum, k);
	r->max_bps = 0;
	for (i = 0; i < k; i++)
		if (sum[i] > r->max_bps)
			r->max_bps = sum[i];
	for (j = 0; j < 4; j++)
		free(c0[j]);
	free(sum);
}

/* A random up member other than node 0 (the join node), or -1. */
static int
pick_member(struct ms_world *w)
{
	int	v, tries = 0;

	do
		v = 1 + (int)(cs_rand(&w->s) % (unsigned)(w->s.n - 1));
	while (!w->s.up[v] && ++tries < 100000);
	return w->s.up[v] ? v : -1;
}

/* K kills one at a time; detection times into r. */
static void
measure_kills(struct ms_world *w, struct watch *wt, int kills,
    struct result *r)
{
	double		det[MAX_KILLS];
	uint64_t	t_kill;
	int		k, v;

	r->found = 0;
	for (k = 0; k < kills && ms_up(w) > 2; k++) {
		if ((v = pick_member(w)) < 0)
			break;
		memset(wt->dead, 0, (size_t)w->s.n);
		wt->ndead = 0;
		wt->all_dead_at = 0;
		wt->victim = v;
		t_kill = w->s.now;
		ms_crash(w, v);
		wt->survivors = ms_up(w);
		if (run_while(w, t_kill + DETECT_LIMIT_US,
		    victim_dead_everywhere))
			det[r->found++] = (double)(wt->all_dead_at - t_kill) /
			    1e6;
		else
			(void)printf("  (%d nodes: kill of node %d: %d of %d "
			    "survivors have it DEAD after %" PRIu64 " s)\n",
			    w->s.n, v, wt->ndead, wt->survivors,
			    DETECT_LIMIT_US / 1000000);
		(void)run_while(w, w->s.now + RECOVER_US, never);
	}
	r->det_med = bench_median(det, r->found);
	r->det_max = 0;
	for (k = 0; k < r->found; k++)
		if (det[k] > r->det_max)
			r->det_max = det[k];
}

/*
 * Blackout rounds: a random member other than node 0 loses its network
 * (both ways, its process running on) for blackout_ms, then 20 s pass.
 * A short blackout should cost at most a refuted suspicion; counted are
 * the DEAD declarations of the muted member and, worse, of others.
 */
static void
measure_blackouts(struct ms_world *w, struct watch *wt, const struct opts *o,
    struct result *r)
{
	uint64_t	before;
	int		k, v;

	for (k = 0; k < o->blackouts; k++) {
		if ((v = pick_member(w)) < 0)
			break;
		wt->muted = v;
		before = wt->bo_dead_other;
		cs_mute(&w->s, v, o->blackout_ms);
		(void)run_while(w, w->s.now + 20000 * MS, never);
		r->bo_bad += wt->bo_dead_other > before;
		r->bo_rounds++;
	}
	wt->muted = -1;
	r->bo_dead_muted = wt->bo_dead_muted;
	r->bo_dead_other = wt->bo_dead_other;
}

static void
claim_alive(struct net_member_claim *c, const char *id, uint64_t inc)
{
	memset(c, 0, sizeof *c);
	(void)snprintf(c->subject, sizeof c->subject, "%s", id);
	(void)snprintf(c->from, sizeof c->from, "%s", id);
	c->status = NET_MEMBER_ALIVE;
	c->incarnation = inc;
}

/*
 * Completes a cluster that did not form in time: every node gets one push
 * of the whole member list from node 0, as node 0's next push-pull with
 * it would bring (node 0 was everybody's join node, so it knows them all).
 * Stepped directly, not through the network: nothing is lost.
 */
static void
introduce(struct ms_world *w)
{
	struct net_member_msg	*msg = w->scratch;
	struct net_member_event	 ev;
	int			 o, t;

	for (o = 1; o < w->s.n; o++) {
		if (!w->s.up[o])
			continue;
		memset(msg, 0, offsetof(struct net_member_msg, claims));
		msg->flags = NET_MEMBER_F_SYNC;
		for (t = 0; t < w->s.n; t++) {
			if (!w->s.up[t])
				continue;
			claim_alive(&msg->claims[msg->nclaims++], w->s.id[t],
			    net_member_incarnation(w->m[t]));
			if (msg->nclaims < NET_MEMBER_MSG_CLAIMS &&
			    t < w->s.n - 1)
				continue;
			memset(&ev, 0, sizeof ev);
			ev.type = NET_MEMBER_EV_RECV;
			ev.peer = w->s.id[0];
			ev.msg = msg;
			ms_step(w, o, &ev);
			msg->nclaims = 0;
		}
	}
}

/* Share of (observer, member) pairs where the observer sees it ALIVE. */
static double
views_complete(const struct ms_world *w)
{
	double	have = 0;
	int	i, up = ms_up(w);

	for (i = 0; i < w->s.n; i++)
		if (w->s.up[i])
			have += w->alive_seen[i];
	return up > 1 ? have / ((double)up * (up - 1)) : 1;
}

/* One cluster size in one mode; 0, or -1 when something failed. */
static int
run_one(const struct opts *o, int n, bool probe, struct result *r)
{
	struct net_member_config	 cfg;
	struct ms_world			*w;
	struct watch			 wt;
	uint64_t			*refut0;
	double				 t0 = bench_now_s();
	int				 i, rc = 0;

	memset(r, 0, sizeof *r);
	memset(&wt, 0, sizeof wt);
	wt.victim = -1;
	wt.muted = -1;
	if (probe)
		net_member_config_probe(&cfg);
	else
		net_member_config_default(&cfg);
	w = ms_new(n, o->seed + (uint64_t)n, &cfg, probe);
	w->s.delay_min_us = 200;
	w->s.delay_max_us = 2000;
	w->s.loss_ppm = o->loss_ppm;
	w->changed = on_changed;
	w->arg = &wt;
	wt.dead = cs_alloc((size_t)n, 1);
	for (i = 0; i < n; i++)
		if (ms_boot(w, i, o->seed) != 0)
			goto fail;
	if (probe)
		for (i = 1; i < n; i++)
			cs_connect(&w->s, i, 0);
	if (run_while(w, (uint64_t)(o->form_limit * 1e6), ms_formed))
		r->form_s = (double)w->s.now / 1e6;
	else {
		r->form_s = -1;
		r->views = views_complete(w);
		introduce(w);
		cs_run_until(&w->s, w->s.now + RECOVER_US);
		if (!ms_formed(w)) {
			(void)printf("  (%d nodes: not formed even after the "
			    "push from node 0)\n", n);
			rc = -1;
		}
	}
	r->quiet_s = settle(w, o->settle);
	wt.counting = true;
	r->form_suspect = wt.form_suspect;
	r->form_dead = wt.form_dead;
	r->form_refut = MS_STAT(w, refutations);
	r->form_relays_refused = MS_STAT(w, relays_refused);
	refut0 = cs_alloc((size_t)n, sizeof *refut0);
	for (i = 0; i < n; i++)
		refut0[i] = net_member_stats(w->m[i])->refutations;
	measure_idle(w, o->t_idle, r);
	measure_kills(w, &wt, o->kills, r);
	if (r->found < o->kills)
		rc = -1;
	if (o->blackout_ms > 0 && probe)
		measure_blackouts(w, &wt, o, r);
	r->false_dead = wt.false_dead;
	r->false_suspect = wt.false_suspect;
	for (i = 0; i < n; i++)
		if (w->m[i] != NULL)
			r->refutations +=
			    net_member_stats(w->m[i])->refutations - refut0[i];
	free(refut0);
	goto out;
fail:
	rc = -1;
out:
	r->errors = w->errors;
	if (w->errors > 0) {
		(void)printf("  (%d nodes: %d harness errors, first: %s)\n", n,
		    w->errors, w->err);
		rc = -1;
	}
	free(wt.dead);
	ms_free(w);
	r->wall_s = bench_now_s() - t0;
	return rc;
}

static void
print_head(void)
{
	(void)printf("%-9s %5s %9s %6s %7s %8s %8s %7s %7s %5s %5s %5s "
	    "%5s %6s\n", "mode", "N", "formed", "msg/s", "B/s", "B/s",
	    "B/s", "detect", "detect", "kills", "false", "susp", "refut",
	    "wall");
	(void)printf("%-9s %5s %9s %6s %7s %8s %8s %7s %7s %5s %5s %5s "
	    "%5s %6s\n", "", "", "s", "out", "out", "in+out", "in+out",
	    "med s", "max s", "found", "DEAD", "", "", "s");
	(void)printf("%-9s %5s %9s %6s %7s %8s %8s\n", "", "", "", "mean",
	    "mean", "p50", "max");
}

static void
print_row(const char *mode, int n, int kills, double form_limit,
    const struct result *r)
{
	char	form[24], med[16], mx[16];

	if (r->form_s < 0)
		(void)snprintf(form, sizeof form, ">%.0f/%.0f%%", form_limit,
		    r->views * 100);
	else
		(void)snprintf(form, sizeof form, "%.1f", r->form_s);
	if (r->found > 0) {
		(void)snprintf(med, sizeof med, "%.2f", r->det_med);
		(void)snprintf(mx, sizeof mx, "%.2f", r->det_max);
	} else
		(void)snprintf(med, sizeof med, "-");
	(void)printf("%-9s %5d %9s %6.2f %7.0f %8.0f %8.0f %7s %7s "
	    "%2d/%-2d %5" PRIu64 " %5" PRIu64 " %5" PRIu64 " %6.1f\n", mode,
	    n, form, r->msg_s, r->out_bps, r->p50_bps, r->max_bps,
	    med, r->found > 0 ? mx : "-", r->found, kills, r->false_dead,
	    r->false_suspect, r->refutations, r->wall_s);
	(void)fflush(stdout);
}

static void
print_blackouts(const struct opts *o, const struct result *probe)
{
	const struct result	*r;
	int			 i;

	(void)printf("\nblackouts (a random member's network down for %u ms, "
	    "20 s apart):\n%-9s %5s %6s %17s %11s %11s\n", o->blackout_ms,
	    "mode", "N", "rounds", "others DEAD in", "DEAD of", "DEAD of the");
	(void)printf("%-9s %5s %6s %17s %11s %11s\n", "", "", "",
	    "rounds", "others", "muted one");
	for (i = 0; i < o->nn; i++) {
		r = &probe[i];
		(void)printf("%-9s %5d %6d %17d %11" PRIu64 " %11" PRIu64
		    "\n", "probe", o->n[i], r->bo_rounds, r->bo_bad,
		    r->bo_dead_other, r->bo_dead_muted);
	}
}

static int
parse_sizes(const char *s, struct opts *o)
{
	char	*end;
	long	 v;

	o->nn = 0;
	while (*s != '\0') {
		if (*s == ',' || *s == ' ') {
			s++;
			continue;
		}
		v = strtol(s, &end, 10);
		if (end == s || v < 2 || v > NET_MEMBER_MAX ||
		    o->nn == MAX_SIZES)
			return -1;
		o->n[o->nn++] = (int)v;
		s = end;
	}
	return o->nn > 0 ? 0 : -1;
}

static void
usage(void)
{
	(void)fprintf(stderr, "usage: bench_swim [--quick] [--n LIST] "
	    "[--t SECONDS] [--kills K] [--loss PERCENT] [--seed S] "
	    "[--form-limit SECONDS] [--settle SECONDS] [--transport-max N] "
	    "[--blackout MS] "
	    "[--blackouts R]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct opts	o;
	struct result	res[2][MAX_SIZES];	/* probe, transport */
	double		t0 = bench_now_s();
	int		i, failed = 0, kills_set = 0, t_set = 0;
	bool		quick = false;

	memset(&o, 0, sizeof o);
	memset(res, 0, sizeof res);
	(void)parse_sizes("32,64,128,256,500,1000", &o);
	o.t_idle = 60;
	o.form_limit = 180;
	o.settle = 300;
	o.kills = 5;
	o.loss_ppm = 10000;
	o.seed = 1;
	o.transport_max = 64;
	o.blackouts = 10;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
			if (parse_sizes(argv[++i], &o) != 0)
				usage();
		} else if (strcmp(argv[i], "--t") == 0 && i + 1 < argc) {
			o.t_idle = atof(argv[++i]);
			t_set = 1;
		} else if (strcmp(argv[i], "--form-limit") == 0 &&
		    i + 1 < argc)
			o.form_limit = atof(argv[++i]);
		else if (strcmp(argv[i], "--settle") == 0 && i + 1 < argc)
			o.settle = atof(argv[++i]);
		else if (strcmp(argv[i], "--kills") == 0 && i + 1 < argc) {
			o.kills = atoi(argv[++i]);
			kills_set = 1;
		} else if (strcmp(argv[i], "--loss") == 0 && i + 1 < argc)
			o.loss_ppm = (unsigned)(atof(argv[++i]) * 10000 + 0.5);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			o.seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--transport-max") == 0 &&
		    i + 1 < argc)
			o.transport_max = atoi(argv[++i]);
		else if (strcmp(argv[i], "--blackout") == 0 && i + 1 < argc)
			o.blackout_ms = (unsigned)atoi(argv[++i]);
		else if (strcmp(argv[i], "--blackouts") == 0 && i + 1 < argc)
			o.blackouts = atoi(argv[++i]);
		else
			usage();
	}
	if (quick) {
		(void)parse_sizes("32,64", &o);
		if (!t_set)
			o.t_idle = 10;
		if (!kills_set)
			o.kills = 2;
	}
	if (o.t_idle <= 0 || o.kills < 0 || o.kills > MAX_KILLS ||
	    o.loss_ppm > 1000000 || o.blackouts < 0 || o.settle < 0 ||
	    o.form_limit <= 0)
		usage();
	if (measure_envelope() != 0) {
		(void)fprintf(stderr, "bench_swim: cannot measure the "
		    "envelope\n");
		return 1;
	}
	(void)printf("bench_swim: the real membership state machine in the "
	    "simulated network\n(one-way delay 0.2-2 ms, loss %.2f %%, seed "
	    "%" PRIu64 "); idle T = %.0f s once the gossip is quiet after "
	    "forming;\n%d kills, one at a time; bytes per message = payload "
	    "+ %zu envelope\n+ %d packet (IPv4/UDP/QUIC)\n\n",
	    o.loss_ppm / 10000.0, o.seed, o.t_idle, o.kills, envelope,
	    PKT_OVERHEAD);
	print_head();
	for (i = 0; i < o.nn; i++) {
		failed |= run_one(&o, o.n[i], true, &res[0][i]) != 0;
		print_row("probe", o.n[i], o.kills, o.form_limit, &res[0][i]);
	}
	for (i = 0; i < o.nn; i++) {
		if (o.n[i] > o.transport_max)
			continue;
		failed |= run_one(&o, o.n[i], false, &res[1][i]) != 0;
		print_row("transport", o.n[i], o.kills, o.form_limit,
		    &res[1][i]);
	}
	(void)printf("\nforming (probe mode, from the boot until formed or "
	    "the limit; quiet: from\nformed until a second without gossip):"
	    "\n%5s %11s %6s %11s %14s %8s\n", "N", "suspicions", "DEAD",
	    "refutations", "relays refused", "quiet s");
	for (i = 0; i < o.nn; i++)
		(void)printf("%5d %11" PRIu64 " %6" PRIu64 " %11" PRIu64 " %14"
		    PRIu64 " %8.0f\n", o.n[i], res[0][i].form_suspect,
		    res[0][i].form_dead, res[0][i].form_refut,
		    res[0][i].form_relays_refused, res[0][i].quiet_s);
	if (o.blackout_ms > 0)
		print_blackouts(&o, res[0]);
	(void)printf("\nnot counted: ACK-only packets; probe mode: handshakes "
	    "of on-demand sessions;\ntransport mode: keep-alives, about "
	    "(N-1) x 2/s x %d B each way per node\n(N=32: %d B/s, N=64: "
	    "%d B/s out).  Total wall time %.1f s.\n", KEEPALIVE_PKT,
	    31 * 2 * KEEPALIVE_PKT, 63 * 2 * KEEPALIVE_PKT,
	    bench_now_s() - t0);
	return failed ? 1 : 0;
}
