/*
 * test_events.c - the event ring (agent/ag_events.c): sequence numbers,
 * "since" and "limit" reads oldest first, wrapping past AG_EVENTS_MAX with
 * the lost events counted, and over-long strings truncated, not overrun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ag_events.h"

static struct ag_events *
fresh(void)
{
	struct ag_events	*e = malloc(sizeof *e);

	assert_non_null(e);
	ag_events_init(e);
	return e;
}

static void
test_since_limit(void **state)
{
	struct ag_events	*e = fresh();
	const struct ag_event	*out[AG_EVENTS_MAX];
	const struct ag_event	*ev;
	int			 i;

	assert_int_equal(ag_events_since(e, 0, out, 10), 0);
	assert_int_equal(ag_events_missed(e, 0), 0);
	for (i = 0; i < 5; i++) {
		ev = ag_events_add(e, 1000 + i, i == 2 ? AG_EVENT_WARNING :
		    AG_EVENT_INFO, "member_joined", "node", "n%d joined", i);
		assert_int_equal(ev->seq, (uint64_t)i + 1);
	}
	assert_int_equal(ag_events_since(e, 0, out, AG_EVENTS_MAX), 5);
	assert_int_equal(out[0]->seq, 1);
	assert_string_equal(out[0]->message, "n0 joined");
	assert_true(out[0]->time == 1000);
	assert_string_equal(ag_event_level_name(out[2]->level), "warning");
	assert_int_equal(ag_events_since(e, 2, out, AG_EVENTS_MAX), 3);
	assert_int_equal(out[0]->seq, 3);
	assert_int_equal(out[2]->seq, 5);
	/* limit keeps the oldest: the reader continues from the last. */
	assert_int_equal(ag_events_since(e, 1, out, 2), 2);
	assert_int_equal(out[0]->seq, 2);
	assert_int_equal(out[1]->seq, 3);
	assert_int_equal(ag_events_since(e, 5, out, 10), 0);
	assert_int_equal(ag_events_since(e, 99, out, 10), 0);
	assert_int_equal(ag_events_since(e, UINT64_MAX, out, 10), 0);
	assert_int_equal(ag_events_since(e, 0, out, 0), 0);
	assert_int_equal(ag_events_missed(e, 0), 0);
	assert_int_equal(ag_events_missed(e, UINT64_MAX), 0);
	assert_string_equal(ag_event_level_name(AG_EVENT_CRITICAL),
	    "critical");
	free(e);
}

static void
test_wrap(void **state)
{
	struct ag_events	*e = fresh();
	const struct ag_event	*out[AG_EVENTS_MAX];
	size_t			 k, i;
	uint64_t		 total = 3 * AG_EVENTS_MAX + 7;

	for (i = 0; i < total; i++)
		(void)ag_events_add(e, (double)i, AG_EVENT_INFO, "k", "o",
		    "event %zu", i + 1);
	assert_int_equal(e->last_seq, total);
	k = ag_events_since(e, 0, out, AG_EVENTS_MAX);
	assert_int_equal(k, AG_EVENTS_MAX);
	assert_int_equal(out[0]->seq, total - AG_EVENTS_MAX + 1);
	for (i = 1; i < k; i++)
		assert_int_equal(out[i]->seq, out[i - 1]->seq + 1);
	assert_int_equal(out[k - 1]->seq, total);
	assert_string_equal(out[k - 1]->message, "event 1543");
	/* A reader at 0 lost everything before the oldest held. */
	assert_int_equal(ag_events_missed(e, 0), total - AG_EVENTS_MAX);
	assert_int_equal(ag_events_missed(e, total - AG_EVENTS_MAX), 0);
	assert_int_equal(ag_events_missed(e, total - AG_EVENTS_MAX - 1), 1);
	/* Reading from the middle of the ring, across the wrap point. */
	k = ag_events_since(e, total - 10, out, 4);
	assert_int_equal(k, 4);
	assert_int_equal(out[0]->seq, total - 9);
	assert_int_equal(out[3]->seq, total - 6);
	k = ag_events_since(e, total - 3, out, 100);
	assert_int_equal(k, 3);
	assert_int_equal(out[2]->seq, total);
	free(e);
}

static void
test_truncation(void **state)
{
	struct ag_events	*e = fresh();
	const struct ag_event	*ev;
	char			 big[1024];

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ev = ag_events_add(e, 0, AG_EVENT_CRITICAL, big, big, "%s", big);
	assert_int_equal(strlen(ev->kind), AG_EVENT_KIND_MAX - 1);
	assert_int_equal(strlen(ev->object), AG_EVENT_OBJECT_MAX - 1);
	assert_int_equal(strlen(ev->message), AG_EVENT_MESSAGE_MAX - 1);
	ev = ag_events_add(e, 0, AG_EVENT_INFO, "k", NULL, "m");
	assert_string_equal(ev->object, "");
	free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since_limit),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
