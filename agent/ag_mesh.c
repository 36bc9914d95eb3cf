/*
 * ag_mesh.c - neighbourhood and eviction rules of probe mode; see
 * ag_mesh.h.
 *
 * Neighbours are decided by a threshold on a symmetric pair score rather
 * than by each node's k nearest: the score of (a, b) is the score of
 * (b, a), so a pair is neighbours at both ends or at neither (as long as
 * they count the same members), and neither end closes a session the
 * other keeps alive.  The degree is binomial around k; with k = 8 a
 * random graph of that degree is connected with overwhelming
 * probability, which is all the records need (every member's address is
 * in its neighbours' records).
 */
#include "ag_mesh.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xffu) * 1099511628211ULL;	/* the separator */
}

double
ag_mesh_score(const char *a, const char *b)
{
	uint64_t	h = 1469598103934665603ULL;

	if (strcmp(a, b) > 0) {
		const char *t = a;

		a = b;
		b = t;
	}
	h = fnv(fnv(h, a), b);
	/* splitmix64's finaliser: FNV's low bits are poorly mixed. */
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (double)(h >> 11) * 0x1.0p-53;
}

int
ag_mesh_neighbours(double score, size_t members, unsigned k)
{
	if (k == 0 || members <= (size_t)k + 1)
		return 1;
	return score < (double)k / (double)(members - 1);
}

static int
by_last_used(const void *x, const void *y)
{
	const struct ag_mesh_session *a = x, *b = y;

	if (a->last_used != b->last_used)
		return a->last_used < b->last_used ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

size_t
ag_mesh_evict(struct ag_mesh_session *s, size_t n, size_t max, double now,
    double idle_s, int *out)
{
	size_t	i, k = 0;

	if (n <= max)
		return 0;
	qsort(s, n, sizeof *s, by_last_used);
	for (i = 0; i < n && k < n - max; i++)
		if (!s[i].kept && now - s[i].last_used >= idle_s)
			out[k++] = s[i].index;
	return k;
}
