/*
 * ag_node_int.h - the agent's state, shared by the files that make up the
 * running node (not an API for anything outside agent/ag_node*.c).
 *
 * ag_node.c owns the transport, peers, joins, discovery and the cluster
 * glue; ag_node_place.c the leader's placements and forwarding to the
 * leader; ag_node_api.c the HTTP routes.  They share one struct ag_node
 * and the few functions declared at the bottom; everything else stays
 * static in its file.
 */
#ifndef AG_NODE_INT_H
#define AG_NODE_INT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <limits.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>

#include "ag_api.h"
#include "ag_auth.h"
#include "ag_auditlog.h"
#include "ag_ratelimit.h"
#include "ag_revoke.h"
#include "ag_thermal.h"
#include "ag_cluster.h"
#include "ag_config.h"
#include "ag_node.h"
#include "ag_place.h"
#include "ag_record.h"
#include "ag_trust.h"
#include "disc_mdns.h"
#include "net_quic.h"
#include "net_vivaldi.h"
#include "net_wire.h"

#ifndef EXOGPU_VERSION
#define EXOGPU_VERSION "unknown"
#endif

#define TICK_MS			500
#define CROSSING_S		5.0	/* two dials crossing: this close */
#define BACKOFF_MIN_S		1.0
#define BACKOFF_MAX_S		30.0	/* --join targets */
#define BACKOFF_LAN_MAX_S	5.0	/* found by mDNS or gossip */
#define FIRST_PROBE_DELAY_S	1.0
#define RX_MAX			(2 * NET_WIRE_MAX_MSG)
#define MAX_DIALS		(AG_MAX_JOIN + AG_MAX_PEERS)	/* joins, mDNS, gossip */
/* QUIC application error closing a denied node (docs/protocol.md). */
#define AG_NODE_APP_DENIED	0x100

struct ag_node;
struct ag_fsm_cmd;

struct ag_link {
	struct ag_node		*node;
	struct net_quic_conn	*conn;
	int			 peer;	/* index in peers, -1 before auth */
	int			 join;	/* index in joins, -1 if accepted */
	int			 hello;	/* their HELLO arrived */
	double			 up_at;	/* monotonic s, authenticated */
	unsigned char		*rx;
	size_t			 rxlen;
};

/*
 * A control message waiting for a session being dialled (membership probe
 * mode: sessions are opened when there is something to send).
 */
#define AG_PEER_PENDING		8	/* messages held per peer */
#define AG_PEER_PENDING_BYTES	32768	/* and their bytes */
#define AG_PEER_PENDING_S	3.0	/* older ones are dropped */
struct ag_pending {
	uint8_t			*buf;
	size_t			 len;
	double			 at;		/* monotonic s, queued */
};

struct ag_peer {
	char			 node_id[SEC_NODE_ID_SIZE];
	char			 name[NET_WIRE_NAME_MAX + 1];
	char			 addr[INET6_ADDRSTRLEN + 16];
	struct ag_link		*link;		/* NULL: not connected */
	struct net_quic_stats	 stats;		/* last known */
	int			 have_stats;
	double			 bandwidth;	/* bytes/s, NAN unknown */
	double			 measured_at;	/* unix time of the probe */
	int			 bw_outgoing;	/* 1: we sent that probe */
	double			 last_heard;	/* monotonic s, 0 = never */
	double			 next_probe;	/* monotonic s, 0 = none */
	double			 rtt_cur, rtt_prev;	/* windowed RTT floor */
	double			 rtt_win_at;	/* monotonic s, 0 = none yet */
	double			 rtt_last;	/* floor last reported, NAN */
	double			 session_end;	/* monotonic s, 0 = never */
	double			 last_used;	/* sent or heard, monotonic s */
	int			 neighbour;	/* probe mode: kept alive */
	int			 near;		/* ... or nearly: not evicted */
	int			 keepalive;	/* ... and told to its session */
	struct ag_pending	 pending[AG_PEER_PENDING];
	int			 npending;
	size_t			 pending_bytes;
};

struct ag_join {
	char			 text[AG_ADDR_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sl;
	struct ag_link		*link;		/* attempt or connection */
	double			 backoff;
	double			 next_try;	/* monotonic s */
	char			 peer_id[SEC_NODE_ID_SIZE];
	int			 self;		/* it was us: stop */
	int			 discovered;	/* from mDNS, not --join */
	int			 gossiped;	/* from a gossiped record */
	int			 tried;		/* answered (HELLO) or failed once */
	int			 failed;	/* the last attempt failed */
	double			 learned;	/* monotonic s, when */
	int			 unused;	/* free slot (mDNS lost it) */
};

/*
 * Counters and the solve-time histogram for /metrics.  Bucket i counts
 * solves with time <= ag_node_solve_bounds[i] (not cumulative; the last
 * bucket is +Inf).
 */
#define AG_NODE_SOLVE_BUCKETS	10
/* Throttle point for the prediction: the snapshot's "too hot" line. */
#define AG_NODE_THROTTLE_C	90.0
extern const double ag_node_solve_bounds[AG_NODE_SOLVE_BUCKETS - 1];

struct ag_node_stats {
	uint64_t	solves;
	double		solve_seconds_sum;
	uint64_t	solve_bucket[AG_NODE_SOLVE_BUCKETS];
	uint64_t	placements_created;	/* leader: admitted requests */
	uint64_t	placements_released;
	uint64_t	replans;		/* new epochs published */
	uint64_t	denials;		/* requests refused by policy */
	uint64_t	sessions_evicted;	/* closed over max-sessions */
};

/*
 * Where the answer to a placement call goes once the log decided it: a
 * local HTTP request (NULL once its client left) or the follower that
 * forwarded the call (its node id and the call's id).
 */
struct ag_reply_to {
	struct evhttp_request	*req;
	char			 peer[SEC_NODE_ID_SIZE];
	uint64_t		 fwd_id;
};

#define AG_NODE_MAX_DECISIONS	64
struct ag_decision {
	struct ag_node		*node;
	uint64_t		 seq;		/* 0: slot free */
	struct ag_reply_to	 to;
	char			 action[32];	/* for the audit log */
	char			 actor[200];
	char			 object[160];
	double			 started;	/* monotonic s */
};

/* A re-plan in flight (solve, then proposal); id 0: slot free. */
#define AG_NODE_MAX_REPLANS	8
struct ag_node_replan {
	struct ag_node		*node;
	uint64_t		 id;
	uint64_t		 epoch;		/* the plan it replaces */
	int			 lost;		/* 1 node, 2 device, 0 faster */
};

struct ag_node {
	const struct ag_config		*cfg;
	struct event_base		*base;
	struct ag_trust			 trust;
	char				 name[NET_WIRE_NAME_MAX + 1];
	char				 data_dir[PATH_MAX];
	gnutls_certificate_credentials_t creds;
	struct net_quic_endpoint	*ep;
	struct ag_api			*api;
	struct ag_httptls		*httptls;	/* --http-tls */
	struct event			*tick, *sigterm, *sigint;
	struct event			*soon_ev;	/* ag_node.c: soon() */
	double				 links_changed;	/* publish at, 0 none */
	char				 api_addr[AG_ADDR_MAX];
	double				 started;	/* monotonic */
	int				 npeers;
	struct ag_peer			 peers[AG_MAX_PEERS];
	int				 njoins;
	struct ag_join			 joins[MAX_DIALS];
	struct disc_mdns		*mdns;
	struct ag_cluster		*cluster;
	struct be_inventory		*inv;		/* this node's devices */
	pid_t				 bench_pid;	/* devices child */
	int				 discovering;	/* ... discovers */
	double				 child_started;	/* monotonic s */
	int				 child_killed;	/* SIGKILL sent */
	double				 discover_retry; /* monotonic s */
	struct ag_record		*self_rec;	/* last sampled */
	struct ag_record		*pub_rec;	/* last published */
	double				 next_refresh;	/* monotonic s */
	double				 next_drift;	/* monotonic s */
	int				 coord_pushed;	/* first coordinate out */
	uint64_t			 probe_rng;	/* probe jitter */
	int				 was_leader;
	struct ag_solver		*solver;	/* solves off the loop */
	struct ag_decision		 decisions[AG_NODE_MAX_DECISIONS];
	uint64_t			 decision_seq;
	struct ag_node_replan		 replan[AG_NODE_MAX_REPLANS];
	double				 next_reshard, next_improve;
	double				 next_validity;
	struct fwd_pending {
		uint64_t		 id;
		struct evhttp_request	*req;	/* NULL: slot free or gone */
		double			 deadline;
		char			 leader[32];	/* sent to */
	}				 fwd[32];
	uint64_t			 fwd_seq;
	double				 next_publish;	/* monotonic s */
	struct ag_node_stats		 stats;
	struct ag_auth			 auth;		/* token policy */
	char				 audience[40];	/* default: cluster id */
	struct ag_revoke		 revoked;	/* revoked.cbor of old */
	int				 trust_caught_up;	/* see ag_node_trust.c */
	struct ag_auditlog		*audit;
	struct ag_principal		 who;	/* of the request being served */
	char				*signing_key;	/* PEM; NULL: none */
	size_t				 signing_key_len;
	double				 next_auth_tick;
	struct ag_ratelimit		 auth_fails;	/* per client */
	struct event			*sighup;	/* reload token keys */
	int64_t				 rotation_warned; /* unix s */
	double				 next_stuck_log;
	struct ag_thermal		 thermal;	/* throttle prediction */
	struct ag_obs			*obs;		/* alerts, events */
	struct ag_node_deny		*deny;		/* ag_node_deny.c */
	struct ag_anchor		*anchor;	/* ag_node_anchor.c */
	struct ag_tunnels		*tunnels;	/* ag_node_tunnel.c */
	struct ag_workers		*workers;	/* ag_node_workers.c */
	int				 workers_dirty;	/* republish */
	int				 stopping;
	struct net_viv			 viv;	/* ag_node_coord.c */
	int				 viv_ready;
};

/* ag_node_tunnel.c: TCP-over-QUIC tunnels to workers (docs/tunnel.md) */
struct ag_tunnel_counters {
	uint64_t	opened;		/* streams joined to TCP, both roles */
	uint64_t	refused;	/* peer streams refused */
	uint64_t	limited;	/* refused or dropped: tunnel-max */
	uint64_t	unreachable;	/* no stream / worker connect failed */
	uint64_t	reset;		/* ended by a stream reset */
	uint64_t	bytes_to_quic;	/* TCP -> peer */
	uint64_t	bytes_to_tcp;	/* peer -> TCP */
	uint64_t	open;		/* now */
};
struct ag_tunnels *ag_node_tunnels_new(struct ag_node *);
void	 ag_node_tunnels_free(struct ag_tunnels *);
void	 ag_node_tunnel_tick(struct ag_node *);
void	 ag_node_tunnel_conn_closed(struct ag_node *, struct net_quic_conn *);
int	 ag_node_tunnel_stream_open(struct net_quic_conn *, int64_t, void *);
void	 ag_node_tunnel_stream_data(struct net_quic_conn *, int64_t,
	    const uint8_t *, size_t, int fin, void *);
void	 ag_node_tunnel_stream_acked(struct net_quic_conn *, int64_t,
	    uint64_t, void *);
void	 ag_node_tunnel_stream_closed(struct net_quic_conn *, int64_t, int,
	    uint64_t, void *);
void	 ag_node_api_tunnels(void *, struct evhttp_request *,
	    struct ag_api_reply *);
void	 ag_node_tunnel_counters(struct ag_node *,
	    struct ag_tunnel_counters *);

/* ag_node_coord.c: network coordinate, the links our record carries */
void	 ag_node_coord_sample(struct ag_node *, const char *origin,
	    const struct ag_record *);
void	 ag_node_coord_record(struct ag_node *, struct ag_record *);
/* Probe mode: dial neighbours, keep their sessions alive, close idle
 * sessions above --max-sessions (ag_node_mesh.c). */
void	 ag_node_mesh_tick(struct ag_node *, double now);
int	 ag_node_dial_member(struct ag_node *, const char *addr,
	    const char *peer_id);
int	 ag_node_peer_from_records(struct ag_node *, const char *peer);
int	 ag_node_tunnel_conn_busy(struct ag_node *,
	    const struct net_quic_conn *);
void	 ag_node_partners(struct ag_node *, unsigned char *is);

/* ag_node.c */
double	 ag_node_now(void);		/* monotonic seconds */
int	 ag_node_peer_find(struct ag_node *, const char *id);
int	 ag_node_peer_connected(const struct ag_node *, const char *id);
void	 ag_node_send(struct ag_link *, const uint8_t *, size_t);
void	 ag_node_start_probe(struct ag_node *, struct ag_peer *);
void	 ag_node_publish(struct ag_node *);
double	 ag_node_cpu_temperature(const struct ag_node *);
void	 ag_node_peer_info(void *arg, const char *id, const char **addr,
	    double *seen);

/* ag_node_auth.c */
int	 ag_node_auth_init(struct ag_node *, char *err, size_t errlen);
void	 ag_node_auth_tick(struct ag_node *, double now);
void	 ag_node_auth_free(struct ag_node *);
int	 ag_node_authorize(void *ctx, struct evhttp_request *,
	    enum ag_api_auth need, struct ag_api_reply *);
/*
 * Tenant limits on a new placement (docs/tokens.md, "Limits"): caps a
 * tenant's solve budget at solve-budget-max, and refuses a tenant that
 * holds tenant-max-placements live placements.  0, or -1 with why.
 */
int	 ag_node_tenant_limits(struct ag_node *,
	    const struct ag_principal *, double *budget_ms, char *why,
	    size_t size);
/* A request refused by the token check: counted, logged, audited. */
void	 ag_node_denied(struct ag_node *, const struct ag_auth_denial *,
	    const char *object);
/*
 * Appends an audit record (flushed).  -1 when the log cannot take it:
 * the caller must then refuse the action.
 */
int	 ag_node_audit(struct ag_node *, const char *actor, const char *action,
	    const char *object, int allowed, const char *fmt, ...)
	    __attribute__((format(printf, 6, 7)));
void	 ag_node_api_audit(void *, struct evhttp_request *,
	    struct ag_api_reply *);
void	 ag_node_api_issue(void *, struct evhttp_request *,
	    struct ag_api_reply *);

/* ag_node_place.c */
void	 ag_node_stats_solve(struct ag_node *, double seconds);
/* We lead the log's cluster, with a majority heard lately. */
int	 ag_node_is_leader(struct ag_node *, uint64_t *term);
/*
 * The live placements: this node's applied log (every node applies it;
 * a follower may lag the leader by the replication delay).  Always 0.
 */
int	 ag_node_live_places(struct ag_node *, struct ag_places *, char *err,
	    size_t errlen);
void	 ag_node_leader_tick(struct ag_node *, double now);
void	 ag_node_leader_change(struct ag_node *);
struct ag_fsm;
void	 ag_node_yielding(void *arg, const char *from, const char *to,
	    const struct ag_fsm *);
/*
 * The leader's readers of a placement call (forwarded calls bring them
 * from peers; tests/fuzz/fuzz_forward.c): the request body {model,
 * context, time_budget_ms} (0, or -1 with err), and the id in
 * "/v1/placements?id=N" (decimal, 1.., nothing after; 0 or -1).
 */
int	 ag_node_place_request(const char *body, size_t len,
	    struct pl_model *m, long long *ctx, double *budget, char *err,
	    size_t errlen);
int	 ag_node_place_id(const char *path, uint64_t *id);
void	 ag_node_place_call(struct ag_node *, const char *method,
	    const char *path, const char *body, size_t len,
	    const struct ag_principal *, const struct ag_reply_to *,
	    struct ag_api_reply *);

/* ag_node_fwd.c */
struct ag_decision *ag_node_decision_new(struct ag_node *,
	    const struct ag_reply_to *, const char *action);
struct ag_decision *ag_node_decision_find(struct ag_node *, uint64_t seq);
void	 ag_node_decision_drop(struct ag_node *, struct ag_decision *);
/* Answers the decision's caller with r (consumed) and frees the slot. */
void	 ag_node_decision_finish(struct ag_node *, struct ag_decision *,
	    struct ag_api_reply *);
void	 ag_node_decisions_abort(struct ag_node *);
void	 ag_node_fwd_expire(struct ag_node *, double now);
void	 ag_node_forward(struct ag_node *, struct evhttp_request *,
	    const char *method, const char *path, const char *body,
	    size_t len, struct ag_api_reply *);
/* A call to the leader whose answer nobody waits for (id 0). */
void	 ag_node_forward_oneway(struct ag_node *, const char *method,
	    const char *path, const char *body, size_t len);
void	 ag_node_on_api_req(struct ag_link *, const struct net_wire_msg *);
void	 ag_node_on_api_resp(struct ag_node *, const struct net_wire_msg *);

/* ag_node_trust.c: trust calls decided by the log (see the file). */
int	 ag_node_trust_scope(const char *method, const char *path,
	    enum ag_api_auth *scope, int *internal);
/* -1: not a trust call; else answered into r (or deferred to `to`). */
int	 ag_node_trust_call(struct ag_node *, const char *method,
	    const char *path, const char *body, size_t len,
	    const struct ag_principal *, const struct ag_reply_to *,
	    struct ag_api_reply *);
/* Leader: audit, propose, answer `to` after commit ({"index"} + extra,
 * which is consumed). */
void	 ag_node_trust_propose(struct ag_node *, const struct ag_fsm_cmd *,
	    const struct ag_reply_to *, const char *actor, const char *action,
	    const char *object, json_t *extra, struct ag_api_reply *);
void	 ag_node_api_trust(void *, struct evhttp_request *,
	    struct ag_api_reply *);
/* A member's own call (internal route): run here if leading, else sent
 * to the leader; nobody waits for the answer.  body is consumed. */
void	 ag_node_trust_submit(struct ag_node *, const char *path, json_t *);
int	 ag_node_trust_revoked(const uint8_t *cti, size_t len, void *node);
int	 ag_node_trust_ready(struct ag_node *);
void	 ag_node_audience_sync(struct ag_node *);	/* ag_node.c */

/* ag_node_api.c */
extern const struct ag_api_route ag_node_routes[];

/* ag_node_metrics.c */
void	 ag_node_api_metrics(void *, struct evhttp_request *,
	    struct ag_api_reply *);

/* ag_node_view.c */
void	 ag_node_api_page(void *, struct evhttp_request *,
	    struct ag_api_reply *);
void	 ag_node_api_devices(void *, struct evhttp_request *,
	    struct ag_api_reply *);
void	 ag_node_api_links(void *, struct evhttp_request *,
	    struct ag_api_reply *);

/* ag_node_anchor.c: audit anchors in the log (see the file). */
struct ag_anchor;
int	 ag_node_anchor_key(struct ag_node *, char **pem, size_t *len,
	    char *err, size_t errlen);
int	 ag_node_anchor_init(struct ag_node *, char *err, size_t errlen);
void	 ag_node_anchor_tick(struct ag_node *);
void	 ag_node_anchor_free(struct ag_node *);
void	 ag_node_trust_anchor(struct ag_node *, const char *body, size_t len,
	    const struct ag_principal *, const struct ag_reply_to *,
	    struct ag_api_reply *);
void	 ag_node_api_anchors(void *, struct evhttp_request *,
	    struct ag_api_reply *);

/* ag_node_obs.c */
struct ag_alert;
int	 ag_node_obs_init(struct ag_node *, char *err, size_t errlen);
void	 ag_node_obs_tick(struct ag_node *, double now);
void	 ag_node_obs_free(struct ag_node *);
void	 ag_node_api_events(void *, struct evhttp_request *,
	    struct ag_api_reply *);
/* Raised alerts (ag_alert.h; since is monotonic) into out[0..max). */
size_t	 ag_node_obs_active(struct ag_node *, const struct ag_alert **out,
	    size_t max);
/* An event (ag_events.h levels): into the ring and the log. */
void	 ag_node_obs_event(struct ag_node *, int level, const char *kind,
	    const char *object, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/* ag_node_workers.c: this node's engine workers (see the file). */
struct ag_workers;
int	 ag_node_workers_init(struct ag_node *, char *err, size_t errlen);
void	 ag_node_workers_free(struct ag_node *);
void	 ag_node_workers_tick(struct ag_node *);
void	 ag_node_workers_record(struct ag_node *, struct ag_record *);
uint64_t ag_node_workers_restarts(struct ag_node *);
/* ag_place_json with each stage's "worker" (null: none reported). */
json_t	*ag_node_workers_json(struct ag_node *, const struct ag_placement *);

/* ag_node_deny.c: the node deny list (see the file). */
int	 ag_node_deny_init(struct ag_node *, char *err, size_t errlen);
void	 ag_node_deny_free(struct ag_node *);
/* Every tick and when the commit index moves: act on the list. */
void	 ag_node_deny_tick(struct ag_node *);
/* 1 if node id is denied (the log, or DATA/denied while replaying). */
int	 ag_node_deny_check(struct ag_node *, const char *id);
/* As check, logging a refused handshake once per node. */
int	 ag_node_deny_refuse(struct ag_node *, const char *id);
/* {"node", "note"} of a deny / allow call; 0, or -1 with err. */
int	 ag_node_deny_args(const char *body, size_t len, int with_note,
	    char *node, char *note, size_t notesize, char *err,
	    size_t errlen);
/* DATA/denied's text; 0, or -1 with err. */
int	 ag_node_deny_parse(const char *buf, size_t len,
	    char (*ids)[SEC_NODE_ID_SIZE], size_t max, size_t *nids,
	    uint64_t *index, char *err, size_t errlen);
/* Trust calls (ag_node_trust.c's table) and the local read. */
void	 ag_node_trust_deny(struct ag_node *, const char *body, size_t len,
	    const struct ag_principal *, const struct ag_reply_to *,
	    struct ag_api_reply *);
void	 ag_node_trust_allow(struct ag_node *, const char *body, size_t len,
	    const struct ag_principal *, const struct ag_reply_to *,
	    struct ag_api_reply *);
void	 ag_node_api_denied(void *, struct evhttp_request *,
	    struct ag_api_reply *);

#endif /* AG_NODE_INT_H */
