/*
 * ag_ratelimit.h - a per-client limit on failed authentication for the
 * API: after `limit` failures within `window` seconds a client (its IP
 * address) is refused with 429 and Retry-After until the window that
 * blocked it ends, without its token being verified or audited again.
 *
 * Why: each refused request costs a signature check and an fsync'd audit
 * record, so one client sending forged tokens could saturate the agent
 * (issue #14).  The table is fixed-size (AG_RL_SLOTS clients); when it
 * is full the entry that failed longest ago is reused, so an attacker
 * with many addresses can at most dilute the table, never grow it.
 * Successful requests are not counted.  Pure: the caller passes the time.
 */
#ifndef AG_RATELIMIT_H
#define AG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define AG_RL_SLOTS	256
#define AG_RL_KEY_MAX	48	/* an IPv6 address in text */

struct ag_rl_slot {
	char	key[AG_RL_KEY_MAX];	/* "" = free */
	int64_t	start;			/* window start */
	int64_t	last;			/* last failure */
	long	fails;			/* in the window */
	bool	noted;			/* the block was logged */
};

struct ag_ratelimit {
	long			limit;		/* 0: off */
	long			window;		/* seconds */
	struct ag_rl_slot	slot[AG_RL_SLOTS];
};

void	ag_rl_init(struct ag_ratelimit *, long limit, long window_s);
/*
 * Whether key is blocked at now: 0, or the seconds until it may try
 * again (>= 1).  *first is set when this is the first refusal of the
 * block (log and audit it once).
 */
long	ag_rl_blocked(struct ag_ratelimit *, const char *key, int64_t now,
	    bool *first);
/* Records a failed authentication by key at now. */
void	ag_rl_fail(struct ag_ratelimit *, const char *key, int64_t now);

#endif /* AG_RATELIMIT_H */
