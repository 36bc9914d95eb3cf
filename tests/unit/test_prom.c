/*
 * test_prom.c - the Prometheus text writer (agent/ag_prom.c): value
 * spelling, label and HELP escaping, name rules, the checks that keep a
 * scrape valid (one declaration per family, suffixes by type, counters
 * ending in _total), histogram output, the output cap, and the bounded
 * /proc/<pid>/stat parser behind the process_* families.  Then the
 * /metrics handler itself (agent/ag_node_metrics.c) on a node with a
 * GPU that has every reading and a CPU that has few: units converted,
 * unknown readings left out, the output accepted by promtool when it is
 * installed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ag_node_int.h"
#include "ag_prom.h"
#include "be_discover.h"

/* The writer's text so far, as a NUL-terminated copy for comparisons. */
static char *
text_of(struct ag_prom *w)
{
	size_t		 len;
	const char	*p = ag_prom_data(w, &len);
	char		*s = malloc(len + 1);

	assert_non_null(s);
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

static void
assert_format(double v, const char *want)
{
	char	buf[32];

	ag_prom_format(v, buf, sizeof buf);
	assert_string_equal(buf, want);
}

static void
test_format(void **state)
{
	assert_format(0, "0");
	assert_format(42, "42");
	assert_format(-7, "-7");
	assert_format(1e15, "1000000000000000");
	assert_format(9007199254740992.0, "9007199254740992");
	assert_format(0.1, "0.1");
	assert_format(0.0005, "0.0005");
	assert_format(2.5, "2.5");
	assert_format(1.0 / 3.0, "0.3333333333333333");
	assert_format(0.1 + 0.2, "0.30000000000000004");
	assert_format(1e300, "1e+300");
	assert_format(1.5e-7, "1.5e-07");
	assert_format(INFINITY, "+Inf");
	assert_format(-INFINITY, "-Inf");
	assert_format(NAN, "NaN");
}

/* Every finite value reads back to the same double. */
static void
test_format_round_trip(void **state)
{
	const double	v[] = { 0.1, 1.0 / 3.0, 123456.789, 1e-300, 6.02e23,
			    -2.718281828459045, 0.030000000000000002,
			    4.9406564584124654e-324, 1.7976931348623157e308 };
	char		buf[32];
	size_t		i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		ag_prom_format(v[i], buf, sizeof buf);
		assert_true(strtod(buf, NULL) == v[i]);
	}
}

static void
test_names(void **state)
{
	char	longname[AG_PROM_NAME_MAX + 1];

	assert_true(ag_prom_name_valid("exogpu_up"));
	assert_true(ag_prom_name_valid("a:b_c9"));
	assert_true(ag_prom_name_valid("_x"));
	assert_true(ag_prom_name_valid(":x"));
	assert_false(ag_prom_name_valid(""));
	assert_false(ag_prom_name_valid("9x"));
	assert_false(ag_prom_name_valid("a-b"));
	assert_false(ag_prom_name_valid("a b"));
	assert_false(ag_prom_name_valid("é"));
	assert_false(ag_prom_name_valid(NULL));
	assert_true(ag_prom_label_name_valid("node_id"));
	assert_false(ag_prom_label_name_valid("a:b"));
	assert_false(ag_prom_label_name_valid("__name__"));
	assert_false(ag_prom_label_name_valid("1a"));
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	assert_false(ag_prom_name_valid(longname));
	longname[AG_PROM_NAME_MAX - 1] = '\0';
	assert_true(ag_prom_name_valid(longname));
}

static void
test_gauge_and_labels(void **state)
{
	struct ag_prom	 w;
	char		*s;

	ag_prom_init(&w, 0);
	assert_int_equal(ag_prom_family(&w, "exogpu_x", AG_PROM_GAUGE,
	    "Help with \\ and\nnewline \"quoted\"."), 0);
	assert_int_equal(ag_prom_sample(&w, NULL, 1.5, (char *)NULL), 0);
	assert_int_equal(ag_prom_sample(&w, "", 3, "a", "x\"y", "b",
	    "back\\slash\nline", (char *)NULL), 0);
	s = text_of(&w);
	assert_string_equal(s,
	    "# HELP exogpu_x Help with \\\\ and\\nnewline \"quoted\".\n"
	    "# TYPE exogpu_x gauge\n"
	    "exogpu_x 1.5\n"
	    "exogpu_x{a=\"x\\\"y\",b=\"back\\\\slash\\nline\"} 3\n");
	free(s);
	assert_int_equal(ag_prom_error(&w), 0);
	ag_prom_free(&w);
}

/* Invalid UTF-8 in a label value becomes U+FFFD; valid text passes. */
static void
test_utf8(void **state)
{
	struct ag_prom	 w;
	char		*s;

	ag_prom_init(&w, 0);
	assert_int_equal(ag_prom_family(&w, "m", AG_PROM_GAUGE, "h"), 0);
	assert_int_equal(ag_prom_sample(&w, NULL, 1, "v",
	    "caf\xc3\xa9 \xff \xc0\x80 \xed\xa0\x80 \xe2\x82", (char *)NULL),
	    0);
	s = text_of(&w);
	assert_non_null(strstr(s, "m{v=\"caf\xc3\xa9 \xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
	    "\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	free(s);
	ag_prom_free(&w);
}

static void
test_counter_u64(void **state)
{
	struct ag_prom		 w;
	struct ag_prom_label	 l = { "protocol", "gossip" };
	char			*s;

	ag_prom_init(&w, 0);
	assert_int_equal(ag_prom_family(&w, "x_total", AG_PROM_COUNTER,
	    "Things."), 0);
	assert_int_equal(ag_prom_sample_u64(&w, NULL, &l, 1,
	    UINT64_C(18446744073709551615)), 0);
	s = text_of(&w);
	assert_string_equal(s, "# HELP x_total Things.\n# TYPE x_total "
	    "counter\nx_total{protocol=\"gossip\"} 18446744073709551615\n");
	free(s);
	ag_prom_free(&w);
}

/* Each mistake puts the writer in a sticky error state. */
static void
expect_error(int (*fn)(struct ag_prom *))
{
	struct ag_prom	w;

	ag_prom_init(&w, 0);
	assert_int_equal(fn(&w), -1);
	assert_int_equal(ag_prom_error(&w), -1);
	assert_true(ag_prom_why(&w)[0] != '\0');
	/* Sticky: nothing more is written. */
	assert_int_equal(ag_prom_family(&w, "later", AG_PROM_GAUGE, "h"), -1);
	ag_prom_free(&w);
}

static int
bad_name(struct ag_prom *w)
{
	return ag_prom_family(w, "bad-name", AG_PROM_GAUGE, "h");
}

static int
counter_without_total(struct ag_prom *w)
{
	return ag_prom_family(w, "requests", AG_PROM_COUNTER, "h");
}

static int
declared_twice(struct ag_prom *w)
{
	(void)ag_prom_family(w, "a", AG_PROM_GAUGE, "h");
	(void)ag_prom_family(w, "b", AG_PROM_GAUGE, "h");
	return ag_prom_family(w, "a", AG_PROM_GAUGE, "h");
}

static int
sample_first(struct ag_prom *w)
{
	return ag_prom_sample(w, NULL, 1, (char *)NULL);
}

static int
gauge_suffix(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, "_sum", 1, (char *)NULL);
}

static int
histogram_no_suffix(struct ag_prom *w)
{
	(void)ag_prom_family(w, "h", AG_PROM_HISTOGRAM, "h");
	return ag_prom_sample(w, NULL, 1, (char *)NULL);
}

static int
bucket_without_le(struct ag_prom *w)
{
	(void)ag_prom_family(w, "h", AG_PROM_HISTOGRAM, "h");
	return ag_prom_sample(w, "_bucket", 1, "x", "y", (char *)NULL);
}

static int
le_outside_bucket(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, NULL, 1, "le", "1", (char *)NULL);
}

static int
bad_label(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, NULL, 1, "a-b", "v", (char *)NULL);
}

static int
reserved_label(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, NULL, 1, "__name__", "v", (char *)NULL);
}

static int
label_twice(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, NULL, 1, "a", "1", "a", "2", (char *)NULL);
}

static int
label_without_value(struct ag_prom *w)
{
	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_sample(w, NULL, 1, "a", (char *)NULL);
}

static int
histogram_in_gauge(struct ag_prom *w)
{
	const double	b[1] = { 1 };
	const uint64_t	c[2] = { 0, 0 };

	(void)ag_prom_family(w, "g", AG_PROM_GAUGE, "h");
	return ag_prom_histogram(w, NULL, 0, b, c, 1, 0);
}

static int
histogram_bad_bounds(struct ag_prom *w)
{
	const double	b[2] = { 1, 1 };
	const uint64_t	c[3] = { 0, 0, 0 };

	(void)ag_prom_family(w, "h", AG_PROM_HISTOGRAM, "h");
	return ag_prom_histogram(w, NULL, 0, b, c, 2, 0);
}

static int
histogram_overflow(struct ag_prom *w)
{
	const double	b[1] = { 1 };
	const uint64_t	c[2] = { UINT64_MAX, 1 };

	(void)ag_prom_family(w, "h", AG_PROM_HISTOGRAM, "h");
	return ag_prom_histogram(w, NULL, 0, b, c, 1, 0);
}

static void
test_errors(void **state)
{
	expect_error(bad_name);
	expect_error(counter_without_total);
	expect_error(declared_twice);
	expect_error(sample_first);
	expect_error(gauge_suffix);
	expect_error(histogram_no_suffix);
	expect_error(bucket_without_le);
	expect_error(le_outside_bucket);
	expect_error(bad_label);
	expect_error(reserved_label);
	expect_error(label_twice);
	expect_error(label_without_value);
	expect_error(histogram_in_gauge);
	expect_error(histogram_bad_bounds);
	expect_error(histogram_overflow);
}

/* Buckets are made cumulative, +Inf holds the total, _count matches. */
static void
test_histogram(void **state)
{
	const double		 b[3] = { 0.001, 0.01, 0.1 };
	const uint64_t		 c[4] = { 2, 0, 3, 1 };
	struct ag_prom_label	 l = { "node", "n1" };
	struct ag_prom		 w;
	char			*s;

	ag_prom_init(&w, 0);
	assert_int_equal(ag_prom_family(&w, "solve_seconds",
	    AG_PROM_HISTOGRAM, "Solve time."), 0);
	assert_int_equal(ag_prom_histogram(&w, &l, 1, b, c, 3, 0.375), 0);
	s = text_of(&w);
	assert_string_equal(s,
	    "# HELP solve_seconds Solve time.\n"
	    "# TYPE solve_seconds histogram\n"
	    "solve_seconds_bucket{node=\"n1\",le=\"0.001\"} 2\n"
	    "solve_seconds_bucket{node=\"n1\",le=\"0.01\"} 2\n"
	    "solve_seconds_bucket{node=\"n1\",le=\"0.1\"} 5\n"
	    "solve_seconds_bucket{node=\"n1\",le=\"+Inf\"} 6\n"
	    "solve_seconds_sum{node=\"n1\"} 0.375\n"
	    "solve_seconds_count{node=\"n1\"} 6\n");
	free(s);
	ag_prom_free(&w);
}

static void
test_histogram_empty(void **state)
{
	const double	 b[1] = { 1 };
	const uint64_t	 c[2] = { 0, 0 };
	struct ag_prom	 w;
	char		*s;

	ag_prom_init(&w, 0);
	(void)ag_prom_family(&w, "h", AG_PROM_HISTOGRAM, "h");
	assert_int_equal(ag_prom_histogram(&w, NULL, 0, b, c, 1, 0), 0);
	s = text_of(&w);
	assert_non_null(strstr(s, "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} "
	    "0\nh_sum 0\nh_count 0\n"));
	free(s);
	ag_prom_free(&w);
}

/* The cap is hard: the write that would cross it fails, nothing more. */
static void
test_cap(void **state)
{
	struct ag_prom	 w;
	char		 name[32];
	size_t		 len, last = 0;
	int		 i, rc = 0;
	char		*p;

	ag_prom_init(&w, 1000);
	for (i = 0; i < 1000 && rc == 0; i++) {
		(void)snprintf(name, sizeof name, "metric_%d", i);
		last = w.len;
		rc = ag_prom_family(&w, name, AG_PROM_GAUGE, "h");
		if (rc == 0)
			rc = ag_prom_sample(&w, NULL, i, (char *)NULL);
	}
	assert_int_equal(rc, -1);
	assert_int_equal(ag_prom_error(&w), -1);
	assert_non_null(strstr(ag_prom_why(&w), "1000 bytes"));
	(void)ag_prom_data(&w, &len);
	assert_true(len <= 1000);
	assert_true(len >= last);
	ag_prom_free(&w);

	/* The default cap is 4 MiB; a big but legal output fits. */
	ag_prom_init(&w, 0);
	assert_int_equal(w.max, AG_PROM_MAX_BYTES);
	(void)ag_prom_family(&w, "big", AG_PROM_GAUGE, "h");
	for (i = 0; i < 50000; i++) {
		(void)snprintf(name, sizeof name, "%d", i);
		(void)ag_prom_sample(&w, NULL, i, "i", name, (char *)NULL);
	}
	assert_int_equal(ag_prom_error(&w), 0);
	p = ag_prom_take(&w, &len);
	assert_non_null(p);
	assert_true(len > 1000000 && len < AG_PROM_MAX_BYTES);
	assert_int_equal(strlen(p), len);
	assert_non_null(strstr(p, "big{i=\"49999\"} 49999\n"));
	free(p);
	/* Taking resets the writer: it can start again. */
	assert_int_equal(ag_prom_family(&w, "big", AG_PROM_GAUGE, "h"), 0);
	ag_prom_free(&w);
}

static void
test_take_empty(void **state)
{
	struct ag_prom	 w;
	size_t		 len = 99;
	char		*p;

	ag_prom_init(&w, 0);
	p = ag_prom_take(&w, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_string_equal(p, "");
	free(p);
}

static void
test_proc_stat(void **state)
{
	/* A real line, with a command name holding ") (" and spaces. */
	const char	*line = "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 "
			    "1500 0 0 0 250 75 0 0 20 0 3 0 123456 "
			    "987654321 2048 18446744073709551615 1 1 0 0 0 "
			    "0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
	struct ag_prom_proc_stat st;

	assert_int_equal(ag_prom_parse_proc_stat(line, strlen(line), &st), 0);
	assert_true(st.utime_ticks == 250);
	assert_true(st.stime_ticks == 75);
	assert_true(st.starttime_ticks == 123456);
	assert_true(st.vsize_bytes == 987654321);
	assert_true(st.rss_pages == 2048);

	/* Cut before field 24: what was read is kept, the rest is NAN. */
	assert_int_equal(ag_prom_parse_proc_stat(line, 80, &st), -1);
	assert_true(st.utime_ticks == 250);
	assert_true(isnan(st.rss_pages));

	/* No ')' at all, garbage fields, empty input. */
	assert_int_equal(ag_prom_parse_proc_stat("1 2 3", 5, &st), -1);
	assert_true(isnan(st.utime_ticks));
	assert_int_equal(ag_prom_parse_proc_stat("1 (x) S x y z", 13, &st),
	    -1);
	assert_int_equal(ag_prom_parse_proc_stat("", 0, &st), -1);
}

/* The file this process really has parses. */
static void
test_proc_stat_self(void **state)
{
	char				 buf[AG_PROM_PROC_STAT_MAX];
	struct ag_prom_proc_stat	 st;
	FILE				*f = fopen("/proc/self/stat", "r");
	size_t				 n;

	if (f == NULL)
		skip();
	n = fread(buf, 1, sizeof buf, f);
	(void)fclose(f);
	assert_int_equal(ag_prom_parse_proc_stat(buf, n, &st), 0);
	assert_true(st.rss_pages > 0);
	assert_true(st.vsize_bytes > 0);
	assert_true(st.starttime_ticks > 0);
}

static void
assert_line(const char *text, const char *line)
{
	if (strstr(text, line) == NULL)
		fail_msg("no line %s in:\n%s", line, text);
}

/* A node without a cluster: devices, links and process only. */
static struct ag_node *
fake_node(void)
{
	struct ag_node		*n = calloc(1, sizeof *n);
	struct be_inventory	*inv = calloc(1, sizeof *inv);
	struct be_device	*g, *c;

	assert_non_null(n);
	assert_non_null(inv);
	(void)snprintf(n->trust.node_id, sizeof n->trust.node_id, "node1");
	(void)snprintf(n->name, sizeof n->name, "box");
	inv->ndevices = 2;
	g = &inv->devices[0];
	be_device_init(g);
	(void)snprintf(g->id, sizeof g->id, "pci-0000:01:00.0");
	(void)snprintf(g->name, sizeof g->name, "GPU \"X\"\\1");
	g->type = BE_TYPE_GPU;
	g->memory_total_bytes = UINT64_C(24) << 30;
	g->telemetry.memory_used_bytes = 1 << 30;
	g->telemetry.utilization_ratio = 0.5;
	g->telemetry.temperature_celsius = 61;
	g->telemetry.power_watts = 250.5;
	g->telemetry.clock_graphics_mhz = 1800;
	g->telemetry.clock_memory_mhz = 9501;
	c = &inv->devices[1];
	be_device_init(c);
	(void)snprintf(c->id, sizeof c->id, "cpu");
	(void)snprintf(c->name, sizeof c->name, "CPU");
	c->type = BE_TYPE_CPU;
	c->memory_total_bytes = UINT64_C(16) << 30;
	c->memory_free_bytes = (double)(UINT64_C(12) << 30);
	n->inv = inv;
	return n;
}

static void
test_handler(void **state)
{
	struct ag_node		*n = fake_node();
	struct ag_api_reply	 r;
	const char		*gl = "{node=\"node1\","
				    "device=\"pci-0000:01:00.0\","
				    "name=\"GPU \\\"X\\\"\\\\1\",type=\"gpu\"";
	char			 line[512], cmd[128];
	char			 path[] = "/tmp/exogpu-prom-XXXXXX";
	int			 fd;

	memset(&r, 0, sizeof r);
	ag_node_api_metrics(n, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_null(r.body);
	assert_non_null(r.raw);
	assert_string_equal(r.content_type,
	    "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(strlen(r.raw), r.raw_len);
	(void)snprintf(line, sizeof line,
	    "\nexogpu_device_memory_total_bytes%s} 25769803776\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line,
	    "\nexogpu_device_memory_used_bytes%s} 1073741824\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line,
	    "\nexogpu_device_utilization_ratio%s} 0.5\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line,
	    "\nexogpu_device_temperature_celsius%s} 61\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line, "\nexogpu_device_power_watts%s} "
	    "250.5\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line, "\nexogpu_device_clock_hertz%s,"
	    "clock=\"graphics\"} 1800000000\n", gl);
	assert_line(r.raw, line);
	(void)snprintf(line, sizeof line, "\nexogpu_device_clock_hertz%s,"
	    "clock=\"memory\"} 9501000000\n", gl);
	assert_line(r.raw, line);
	/* The CPU: total, used from what is free; nothing it cannot read. */
	assert_line(r.raw, "\nexogpu_device_memory_used_bytes{node=\"node1\","
	    "device=\"cpu\",name=\"CPU\",type=\"cpu\"} 4294967296\n");
	assert_null(strstr(r.raw, "device=\"cpu\",name=\"CPU\",type=\"cpu\"} "
	    "NaN"));
	assert_null(strstr(r.raw, "NaN"));
	assert_int_equal(strstr(r.raw, "exogpu_device_temperature_celsius{"),
	    strstr(r.raw, "exogpu_device_temperature_celsius{node=\"node1\","
	    "device=\"pci-"));
	assert_null(strstr(r.raw, "type=\"cpu\",clock="));
	assert_line(r.raw, "# TYPE exogpu_link_rtt_seconds gauge\n");
	assert_line(r.raw, "\nexogpu_node_info{node=\"node1\",name=\"box\",");
	assert_line(r.raw, "\nprocess_cpu_seconds_total ");
	assert_line(r.raw, "\nprocess_resident_memory_bytes ");
	assert_null(strstr(r.raw, "exogpu_cluster_"));

	if (system("command -v promtool >/dev/null 2>&1") == 0) {
		assert_true((fd = mkstemp(path)) >= 0);
		assert_int_equal(write(fd, r.raw, r.raw_len),
		    (ssize_t)r.raw_len);
		assert_int_equal(close(fd), 0);
		(void)snprintf(cmd, sizeof cmd, "promtool check metrics <%s",
		    path);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(unlink(path), 0);
	}
	free(r.raw);
	free(n->inv);
	free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_gauge_and_labels),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_counter_u64),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_empty),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_take_empty),
		cmocka_unit_test(test_proc_stat),
		cmocka_unit_test(test_proc_stat_self),
		cmocka_unit_test(test_handler),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
