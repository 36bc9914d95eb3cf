/*
 * test_jepsen_check.c - the Jepsen test's history checker
 * (tests/jepsen/jepsen.c) on synthetic histories: clean ones pass, each
 * kind of anomaly is found, and lists that lag behind an acknowledgement
 * (the applied log of a follower) or operations whose outcome is unknown
 * are never held against the system.  Malformed histories are refused
 * with the file and line named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jepsen.h"

static char	hist[1 << 16];
static size_t	hlen;

static void
reset(void)
{
	hlen = 0;
	hist[0] = '\0';
}

static void	add(const char *, ...) __attribute__((format(printf, 1, 2)));

static void
add(const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(hist + hlen, sizeof hist - hlen - 1, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof hist - hlen - 1);
	hlen += (size_t)n;
	hist[hlen++] = '\n';
	hist[hlen] = '\0';
}

static void
inv(double t, const char *proc, const char *f, const char *value)
{
	add("{\"t\":%.3f,\"proc\":\"%s\",\"type\":\"invoke\",\"f\":\"%s\","
	    "\"node\":1,\"value\":%s}", t, proc, f, value);
}

static void
done(double t, const char *proc, const char *type, const char *f,
    const char *value)
{
	add("{\"t\":%.3f,\"proc\":\"%s\",\"type\":\"%s\",\"f\":\"%s\","
	    "\"node\":1,\"value\":%s}", t, proc, type, f, value);
}

/* An acknowledged place of id at index, invoked at t. */
static void
place_ok(double t, const char *proc, unsigned id, unsigned index)
{
	char	v[256];

	inv(t, proc, "place", "{\"model\":\"m\"}");
	(void)snprintf(v, sizeof v, "{\"id\":%u,\"index\":%u,\"model\":\"m\","
	    "\"stages\":[{\"device\":\"a/cpu\",\"memory_bytes\":10}]}", id,
	    index);
	done(t + 0.1, proc, "ok", "place", v);
}

static void
release(double t, const char *proc, unsigned id, const char *type,
    unsigned index)
{
	char	v[128];

	(void)snprintf(v, sizeof v, "{\"id\":%u}", id);
	inv(t, proc, "release", v);
	(void)snprintf(v, sizeof v, "{\"released\":%u,\"index\":%u}", id,
	    index);
	done(t + 0.1, proc, type, "release", strcmp(type, "ok") == 0 ? v :
	    "null");
}

/* A list at t from a node that applied up to `applied`; ids: 0-ended. */
static void
list_ok(double t, const char *proc, unsigned applied, const unsigned *ids)
{
	char	v[4096];
	size_t	n;

	n = (size_t)snprintf(v, sizeof v, "{\"applied_index\":%u,"
	    "\"placements\":[", applied);
	for (; *ids != 0; ids++)
		n += (size_t)snprintf(v + n, sizeof v - n, "%s{\"id\":%u,"
		    "\"model\":\"m\",\"stages\":[{\"device\":\"a/cpu\","
		    "\"memory_bytes\":10}]}", v[n - 1] == '[' ? "" : ",", *ids);
	(void)snprintf(v + n, sizeof v - n, "]}");
	inv(t, proc, "list", "null");
	done(t + 0.1, proc, "ok", "list", v);
}

static void
status(double t, int node, const char *id, const char *role, unsigned term,
    const char *cluster, const char *leader)
{
	add("{\"t\":%.3f,\"proc\":\"s%d\",\"type\":\"ok\",\"f\":\"status\","
	    "\"node\":%d,\"value\":{\"node_id\":\"%s\",\"role\":\"%s\","
	    "\"term\":%u,\"cluster_id\":\"%s\",\"leader\":%s%s%s,"
	    "\"quorum\":true}}", t, node, node, id, role, term, cluster,
	    leader ? "\"" : "", leader ? leader : "null", leader ? "\"" : "");
}

/* Checks the history; returns the checker for the figures. */
static struct jep *
check(const char *caps, struct jep_figures *f)
{
	struct jep	*j = jep_new();
	char		 err[512];

	assert_non_null(j);
	if (caps != NULL)
		assert_int_equal(jep_caps(j, caps, strlen(caps), err,
		    sizeof err), 0);
	if (jep_feed(j, hist, hlen, "h", err, sizeof err) != 0)
		fail_msg("history refused: %s", err);
	(void)jep_check(j);
	jep_figures(j, f);
	if (getenv("JEP_VERBOSE") != NULL)
		jep_report(j, stdout);
	return j;
}

static size_t
total(const struct jep_figures *f)
{
	size_t	i, n = 0;

	for (i = 0; i < JEP_NKINDS; i++)
		n += f->anomalies[i];
	return n;
}

/* Only kind k, n times. */
static void
expect_only(const struct jep_figures *f, enum jep_kind k, size_t n)
{
	if (f->anomalies[k] != n || total(f) != n)
		fail_msg("expected %zu %s, got %zu of it and %zu in all", n,
		    jep_kind_name(k), f->anomalies[k], total(f));
}

static void
clean_history(void)
{
	reset();
	status(0.0, 1, "n1", "leader", 2, "c1", "n1");
	status(0.05, 2, "n2", "follower", 2, "c1", "n1");
	place_ok(1.0, "c1", 1, 3);
	place_ok(1.2, "c2", 2, 4);
	list_ok(1.5, "c3", 4, (unsigned[]){ 1, 2, 0 });
	release(2.0, "c1", 1, "ok", 5);
	list_ok(2.5, "c2", 5, (unsigned[]){ 2, 0 });
	status(3.0, 2, "n2", "leader", 3, "c1", "n2");
	status(3.1, 1, "n1", "follower", 3, "c1", "n2");
	list_ok(3.5, "c3", 5, (unsigned[]){ 2, 0 });
}

static void
test_clean(void **state)
{
	struct jep_figures	f;
	struct jep		*j;

	(void)state;
	clean_history();
	j = check("{\"a/cpu\": 100}", &f);
	assert_int_equal(total(&f), 0);
	assert_int_equal(f.placed, 2);
	assert_int_equal(f.released, 1);
	assert_int_equal(f.live, 1);
	assert_int_equal(f.leader_terms, 2);
	assert_int_equal(f.max_index, 5);
	assert_int_equal(f.ops[2][0], 3);	/* ok lists */
	/* No sample named a leader between 0.05 and 3.0. */
	assert_true(f.leaderless_s > 2.9 && f.leaderless_s < 3.0);
	jep_free(j);
	/* Measured up to a time: up to 2.0 only the first two count; a
	 * trailing window without a leader counts too. */
	{
		char err[256];

		assert_non_null(j = jep_new());
		jep_until(j, 2.0);
		assert_int_equal(jep_feed(j, hist, hlen, "h", err,
		    sizeof err), 0);
		(void)jep_check(j);
		jep_figures(j, &f);
		assert_true(f.leaderless_s < 0.1);
		jep_free(j);
	}
	reset();
	status(0.0, 1, "n1", "leader", 2, "c1", "n1");
	status(1.0, 1, "n1", "candidate", 3, "c1", NULL);
	status(2.5, 1, "n1", "candidate", 4, "c1", NULL);
	jep_free(check(NULL, &f));
	assert_true(f.leaderless_s > 2.4 && f.leaderless_s < 2.6);
}

static void
test_two_leaders(void **state)
{
	struct jep_figures	f;

	(void)state;
	clean_history();
	status(3.2, 3, "n3", "leader", 3, "c1", "n3");	/* same term */
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_TWO_LEADERS, 1);
	/* Another cluster's leader in the same term is no anomaly, nor is
	 * an old leader still calling itself leader in its old term. */
	clean_history();
	status(3.2, 3, "n3", "leader", 3, "c2", "n3");
	status(3.3, 1, "n1", "leader", 2, "c1", "n1");
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
}

static void
test_lost(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 3);
	list_ok(2.0, "c2", 3, (unsigned[]){ 0 });
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_LOST, 1);
	/* A node that has not applied index 3 proves nothing. */
	reset();
	place_ok(1.0, "c1", 1, 3);
	list_ok(2.0, "c2", 2, (unsigned[]){ 0 });
	list_ok(3.0, "c2", 3, (unsigned[]){ 1, 0 });
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
	/* A list invoked before the acknowledgement is concurrent. */
	reset();
	inv(1.0, "c1", "place", "{\"model\":\"m\"}");
	inv(1.05, "c2", "list", "null");
	done(1.2, "c1", "ok", "place", "{\"id\":1,\"index\":3}");
	done(1.3, "c2", "ok", "list", "{\"applied_index\":3,"
	    "\"placements\":[]}");
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
	/* A release whose outcome is unknown, invoked before the list
	 * completed, excuses the absence. */
	reset();
	place_ok(1.0, "c1", 1, 3);
	release(1.5, "c1", 1, "info", 0);
	list_ok(2.0, "c2", 4, (unsigned[]){ 0 });
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
}

static void
test_resurrected(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 3);
	release(2.0, "c1", 1, "ok", 4);
	list_ok(3.0, "c2", 4, (unsigned[]){ 1, 0 });
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_RESURRECTED, 1);
	/* A follower that has applied only up to the place lags. */
	reset();
	place_ok(1.0, "c1", 1, 3);
	release(2.0, "c1", 1, "ok", 4);
	list_ok(3.0, "c2", 3, (unsigned[]){ 1, 0 });
	list_ok(4.0, "c2", 4, (unsigned[]){ 0 });
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
}

static void
test_duplicate_id(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 3);
	place_ok(1.0, "c2", 1, 4);
	jep_free(check(NULL, &f));
	/* The second id 1 is also not above the first: out of log order. */
	assert_int_equal(f.anomalies[JEP_DUP_ID], 1);
	assert_int_equal(f.anomalies[JEP_LOG_ORDER], 1);
	assert_int_equal(total(&f), 2);
	/* The id of one model listed as another. */
	reset();
	place_ok(1.0, "c1", 1, 3);
	inv(2.0, "c2", "list", "null");
	done(2.1, "c2", "ok", "list", "{\"applied_index\":3,\"placements\":"
	    "[{\"id\":1,\"model\":\"other\"}]}");
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_DUP_ID, 1);
}

static void
test_overbooked(void **state)
{
	struct jep_figures	f;
	const char		*over = "{\"applied_index\":1,\"placements\":["
	    "{\"id\":1,\"stages\":[{\"device\":\"a/cpu\",\"memory_bytes\":60},"
	    "{\"device\":\"b/gpu0\",\"memory_bytes\":5}]},"
	    "{\"id\":2,\"stages\":[{\"device\":\"a/cpu\",\"memory_bytes\":41}]}"
	    "]}";

	(void)state;
	reset();
	inv(0.1, "p1", "place", "{\"model\":\"m\"}");	/* outcome unknown */
	inv(0.2, "p2", "place", "{\"model\":\"m\"}");
	inv(1.0, "c1", "list", "null");
	done(1.1, "c1", "ok", "list", over);
	jep_free(check("{\"a/cpu\":100,\"b/gpu0\":8}", &f));
	expect_only(&f, JEP_OVERBOOKED, 1);
	/* Exactly full is fine; so is a device without a capacity. */
	reset();
	inv(0.1, "p1", "place", "{\"model\":\"m\"}");
	inv(0.2, "p2", "place", "{\"model\":\"m\"}");
	inv(1.0, "c1", "list", "null");
	done(1.1, "c1", "ok", "list", over);
	jep_free(check("{\"a/cpu\":101}", &f));
	assert_int_equal(total(&f), 0);
}

static void
test_log_order(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 3);
	place_ok(1.0, "c2", 2, 3);
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_LOG_ORDER, 1);
	reset();
	place_ok(1.0, "c1", 2, 3);
	place_ok(1.0, "c2", 1, 4);
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_LOG_ORDER, 1);
}

static void
test_failed_applied(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	inv(1.0, "c1", "place", "{\"model\":\"m\"}");
	done(1.1, "c1", "fail", "place", "{\"error\":{\"code\":\"not_leader\"}}");
	list_ok(2.0, "c2", 3, (unsigned[]){ 1, 0 });
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_FAILED_APPLIED, 1);
	/* One place with an unknown outcome explains one id, not two. */
	reset();
	inv(1.0, "c1", "place", "{\"model\":\"m\"}");
	done(1.1, "c1", "info", "place", "null");
	list_ok(2.0, "c2", 3, (unsigned[]){ 1, 0 });
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
	list_ok(3.0, "c2", 4, (unsigned[]){ 1, 2, 0 });
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_FAILED_APPLIED, 1);
	/* A client stopped mid-call: its place is indeterminate too. */
	reset();
	inv(1.0, "c1", "place", "{\"model\":\"m\"}");
	list_ok(2.0, "c2", 3, (unsigned[]){ 1, 0 });
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
	assert_int_equal(f.ops[0][3], 1);	/* never completed */
}

static void
test_release_404(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 3);
	inv(2.0, "c2", "release", "{\"id\":1}");
	add("{\"t\":2.1,\"proc\":\"c2\",\"type\":\"fail\",\"f\":\"release\","
	    "\"node\":1,\"http\":404,\"value\":{\"error\":{\"code\":"
	    "\"not_found\"}}}");
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_RELEASE_404, 1);
	/* After someone else's release, 404 is the right answer. */
	reset();
	place_ok(1.0, "c1", 1, 3);
	release(1.5, "c1", 1, "ok", 4);
	inv(2.0, "c2", "release", "{\"id\":1}");
	add("{\"t\":2.1,\"proc\":\"c2\",\"type\":\"fail\",\"f\":\"release\","
	    "\"node\":1,\"http\":404,\"value\":null}");
	jep_free(check(NULL, &f));
	assert_int_equal(total(&f), 0);
}

static void
test_final(void **state)
{
	struct jep_figures	f;

	(void)state;
	reset();
	place_ok(1.0, "c1", 1, 7);
	inv(5.0, "final", "list", "null");
	add("{\"t\":5.1,\"proc\":\"final\",\"type\":\"ok\",\"f\":\"list\","
	    "\"node\":4,\"final\":true,\"value\":{\"applied_index\":6,"
	    "\"placements\":[{\"id\":1}]}}");
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_FINAL, 1);
	reset();
	place_ok(1.0, "c1", 1, 7);
	inv(5.0, "final", "list", "null");
	add("{\"t\":5.1,\"proc\":\"final\",\"type\":\"fail\",\"f\":\"list\","
	    "\"node\":4,\"final\":true,\"value\":null}");
	jep_free(check(NULL, &f));
	expect_only(&f, JEP_FINAL, 1);
}

/* Each line is refused, with its line number. */
static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"t\":1,\"proc\":\"c\",\"type\":\"ok\",\"f\":\"place\","
		    "\"value\":{\"id\":1,\"index\":1}}",	/* no invoke */
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"list\"}\n"
		    "{\"t\":2,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"list\"}",
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"list\"}\n"
		    "{\"t\":2,\"proc\":\"c\",\"type\":\"ok\",\"f\":\"list\","
		    "\"value\":{\"placements\":[]}}",	/* no applied_index */
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"place\"}\n"
		    "{\"t\":2,\"proc\":\"c\",\"type\":\"ok\",\"f\":\"place\","
		    "\"value\":{\"id\":-1,\"index\":1}}",
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"list\"}\n"
		    "{\"t\":0.5,\"proc\":\"c\",\"type\":\"fail\",\"f\":\"list\"}",
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"release\"}",
		"{\"t\":1,\"proc\":\"c\",\"type\":\"maybe\",\"f\":\"list\"}",
		"{\"t\":1,\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"cas\"}",
		"{\"proc\":\"c\",\"type\":\"invoke\",\"f\":\"list\"}",
		"{\"t\":1,\"type\":\"invoke\",\"f\":\"list\"}",
		"[1,2,3]",
		"{\"t\":1,",
	};
	struct jep	*j;
	char		 err[512], *big;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_non_null(j = jep_new());
		if (jep_feed(j, bad[i], strlen(bad[i]), "h", err,
		    sizeof err) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(strstr(err, "h:"));
		jep_free(j);
	}
	/* A line over the bound. */
	assert_non_null(big = malloc(JEP_MAX_LINE + 2));
	memset(big, ' ', JEP_MAX_LINE + 1);
	big[0] = '{';
	big[JEP_MAX_LINE] = '}';
	assert_non_null(j = jep_new());
	assert_int_equal(jep_line(j, big, JEP_MAX_LINE + 1, "h", 1, err,
	    sizeof err), -1);
	assert_non_null(strstr(err, "over"));
	jep_free(j);
	free(big);
	/* Bad capacities. */
	assert_non_null(j = jep_new());
	assert_int_equal(jep_caps(j, "{\"a\":-1}", 8, err, sizeof err), -1);
	assert_int_equal(jep_caps(j, "[]", 2, err, sizeof err), -1);
	jep_free(j);
	/* Blank lines are fine, status invokes are ignored. */
	reset();
	add("%s", "");
	add("{\"t\":1,\"proc\":\"s1\",\"type\":\"invoke\",\"f\":\"status\"}");
	add("{\"t\":1,\"proc\":\"s1\",\"type\":\"fail\",\"f\":\"status\","
	    "\"value\":null}");
	{
		struct jep_figures f;

		jep_free(check(NULL, &f));
		assert_int_equal(total(&f), 0);
		assert_int_equal(f.ops[3][1], 1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_two_leaders),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_resurrected),
		cmocka_unit_test(test_duplicate_id),
		cmocka_unit_test(test_overbooked),
		cmocka_unit_test(test_log_order),
		cmocka_unit_test(test_failed_applied),
		cmocka_unit_test(test_release_404),
		cmocka_unit_test(test_final),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
