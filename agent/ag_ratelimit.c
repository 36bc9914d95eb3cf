/*
 * ag_ratelimit.c - the failed-authentication limit; see ag_ratelimit.h.
 * A linear scan of 256 slots per refused request is cheaper than the
 * signature check it saves, and keeps the table trivially bounded.
 */
#include "ag_ratelimit.h"

#include <stdio.h>
#include <string.h>

void
ag_rl_init(struct ag_ratelimit *rl, long limit, long window_s)
{
	memset(rl, 0, sizeof *rl);
	rl->limit = limit > 0 ? limit : 0;
	rl->window = window_s > 0 ? window_s : 60;
}

static struct ag_rl_slot *
find(struct ag_ratelimit *rl, const char *key)
{
	size_t	i;

	for (i = 0; i < AG_RL_SLOTS; i++)
		if (rl->slot[i].key[0] != '\0' &&
		    strncmp(rl->slot[i].key, key, AG_RL_KEY_MAX) == 0)
			return &rl->slot[i];
	return NULL;
}

long
ag_rl_blocked(struct ag_ratelimit *rl, const char *key, int64_t now,
    bool *first)
{
	struct ag_rl_slot	*s;

	*first = false;
	if (rl->limit == 0 || (s = find(rl, key)) == NULL ||
	    s->fails < rl->limit)
		return 0;
	if (now >= s->start + rl->window || now < s->start) {
		s->fails = 0;		/* the window is over */
		s->noted = false;
		return 0;
	}
	*first = !s->noted;
	s->noted = true;
	return (long)(s->start + rl->window - now);
}

void
ag_rl_fail(struct ag_ratelimit *rl, const char *key, int64_t now)
{
	struct ag_rl_slot	*s, *old;
	size_t			 i;

	if (rl->limit == 0)
		return;
	if ((s = find(rl, key)) == NULL) {
		old = &rl->slot[0];
		for (i = 0; i < AG_RL_SLOTS; i++) {
			if (rl->slot[i].key[0] == '\0') {
				old = &rl->slot[i];
				break;
			}
			if (rl->slot[i].last < old->last)
				old = &rl->slot[i];
		}
		s = old;
		memset(s, 0, sizeof *s);
		(void)snprintf(s->key, sizeof s->key, "%s", key);
		s->start = now;
	}
	if (now >= s->start + rl->window || now < s->start) {
		s->start = now;
		s->fails = 0;
		s->noted = false;
	}
	s->fails++;
	s->last = now;
}
