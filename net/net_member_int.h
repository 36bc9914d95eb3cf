/*
 * net_member_int.h - the inside of the membership state machine, shared
 * by its two files and by nobody else:
 *   net_member.c        the table, the precedence of claims, suspicion
 *                       and death, the transport-witness mode, push-pull;
 *   net_member_probe.c  probe mode: SWIM probes, indirect probes through
 *                       helpers, relays for others, local health, and the
 *                       transmit-limited gossip queue.
 * The split follows the two ways of learning that a member is gone: the
 * claims logic does not care whether a failed probe or a closed session
 * made a member unreachable; it asks mb_unreachable().
 */
#ifndef NET_MEMBER_INT_H
#define NET_MEMBER_INT_H

#include "net_member.h"
#include "net_idtab.h"

#define MB_GOSSIP_CLAIMS	16	/* claims in one gossip message */
#define MB_PRIO_MAX		8	/* members to probe out of turn */

struct mb_entry {
	char		id[SEC_NODE_ID_SIZE];
	bool		used;
	bool		conn_up;
	bool		we_suspect;	/* our own SUSPECT claim is out */
	bool		probe_failed;	/* probe mode: failed, not heard since */
	uint8_t		status;
	uint64_t	inc;
	uint64_t	last_rx;	/* last direct evidence */
	uint64_t	grace_until;	/* do not originate a suspicion before */
	uint64_t	changed_at;	/* status or incarnation changed */
	unsigned	backoff_ms;
	unsigned	nconfirm;
	char		confirm[NET_MEMBER_CONFIRM_MAX][SEC_NODE_ID_SIZE];
	/* Probe mode: the newest claim about it waiting to be gossiped. */
	bool		gq_queued;
	unsigned	gq_sent;
	struct net_member_claim gq;
};

/* A pending list of claims and where it goes. */
struct mb_pending {
	struct net_member_claim	*c;
	size_t			 n;
};

/* Our probe in flight (probe mode). */
struct mb_probe {
	bool		active;
	bool		indirect;	/* PING-REQs are out */
	char		target[SEC_NODE_ID_SIZE];
	uint64_t	seq;
	uint64_t	start;
	unsigned	nhelpers;
	unsigned	nnack;
	char		helpers[NET_MEMBER_INDIRECT_MAX][SEC_NODE_ID_SIZE];
	bool		nacked[NET_MEMBER_INDIRECT_MAX];
};

/* An indirect probe we run for another member. */
struct mb_relay {
	bool		used;
	char		requester[SEC_NODE_ID_SIZE];
	char		target[SEC_NODE_ID_SIZE];
	uint64_t	req_seq;	/* the requester's */
	uint64_t	our_seq;	/* our PING's */
	uint64_t	deadline;
};

struct net_member {
	struct net_member_config cfg;
	char			 self[SEC_NODE_ID_SIZE];
	uint64_t		 self_inc;
	bool			 left;
	uint64_t		 now;
	uint64_t		 next_sync;
	bool			 started;
	uint64_t		 rng;

	struct mb_entry		*e;
	size_t			 cap;
	struct net_idtab	 idx;		/* by node id */
	uint16_t		*pick;		/* scratch for peer choice */

	struct net_member_msg	 out;		/* scratch for SEND */
	struct mb_pending	 bcast;		/* to every connected peer */
	struct mb_pending	 fwd;		/* to fanout random peers */
	struct mb_pending	 reply;		/* back to the sender */
	const char		*sender;	/* of the RECV being handled */

	/* Probe mode. */
	uint64_t		 seq;		/* last probe sequence number */
	uint64_t		 next_probe;
	struct mb_probe		 probe;
	uint16_t		*round;		/* shuffled slots to probe */
	struct mb_entry		**ring;		/* scratch: sorted by id */
	bool			 has_wall;	/* TICKs carry the wall clock */
	uint64_t		 wall_off;	/* wall - now, mod 2^64 */
	size_t			 nround, iround;
	char			 prio[MB_PRIO_MAX][SEC_NODE_ID_SIZE];
	size_t			 nprio;
	struct mb_relay		*relay;		/* cfg.relay_max */
	unsigned		 awareness;
	bool			 self_gq;	/* our own claim is queued */
	unsigned		 self_gq_sent;
	size_t			 gq_len;	/* claims queued */
	bool			 gossip_now;	/* a round at the step's end */
	uint64_t		 next_gossip;
	uint64_t		 next_reconnect;
	uint16_t		*gpick;		/* scratch for a gossip round */

	net_member_emit_fn	*emit;
	void			*emit_arg;
	struct net_member_stats	 stats;
};

static inline bool
mb_probe_mode(const struct net_member *m)
{
	return m->cfg.probe_ms > 0;
}

/* net_member.c */
struct mb_entry	*mb_find(const struct net_member *, const char *);
int		 mb_unreachable(const struct net_member *,
		    const struct mb_entry *);
void		 mb_out_reset(struct net_member *, unsigned flags);
void		 mb_send(struct net_member *, const char *);
size_t		 mb_choose(struct net_member *, size_t, const char *,
		    const char *);
void		 mb_claim_self(const struct net_member *,
		    struct net_member_claim *);
void		 mb_claim_set(struct net_member_claim *, const char *,
		    uint8_t, uint64_t, const char *);
void		 mb_add_confirm(struct net_member *, struct mb_entry *,
		    const char *);
void		 mb_heard(struct net_member *, struct mb_entry *);

/* net_member_probe.c */
int		 mb_probe_alloc(struct net_member *);
void		 mb_probe_free(struct net_member *);
void		 mb_send_probe(struct net_member *, const char *, uint8_t,
		    uint64_t, const char *);
void		 mb_probe_recv(struct net_member *, const char *,
		    const struct net_member_msg *);
void		 mb_probe_tick(struct net_member *);
void		 mb_probe_heard(struct net_member *, struct mb_entry *);
void		 mb_probe_soon(struct net_member *, const struct mb_entry *);
void		 mb_probe_notify(struct net_member *, const struct mb_entry *,
		    bool confirm);
void		 mb_gossip_put(struct net_member *,
		    const struct net_member_claim *);
void		 mb_gossip_round(struct net_member *, bool fresh);

#endif /* NET_MEMBER_INT_H */
