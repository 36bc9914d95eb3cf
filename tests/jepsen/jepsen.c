/*
 * jepsen.c - the history checker of the Jepsen-style cluster test (see
 * jepsen.h for the history format).
 *
 * Why it is shaped so: the properties are about real time ("a list
 * invoked after the acknowledgement"), so every operation keeps its
 * invoke and completion stamps and the checks compare them; nothing is
 * assumed about the order the lines of several files arrive in.  Lists
 * are the only reads and they lag, so every "absent" or "present"
 * conclusion is gated on the list's applied_index having reached the
 * index the acknowledgement carried.  Indeterminate operations (info, or
 * never completed) are never held against the system: a release that was
 * even tried excuses a missing placement, and ids nobody was told about
 * are matched against the places whose outcome is unknown.  Bookings are
 * summed per list as each list is read, so a long history needs no
 * second pass over the stages.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jepsen.h"

#define JEP_STR		96	/* node ids, cluster ids, devices */
#define JEP_PROC	32
#define JEP_MODEL	64
#define JEP_SHOW	10	/* anomalies printed in full per kind */

enum jep_f { F_PLACE, F_RELEASE, F_LIST, F_STATUS, F_N };
enum jep_type { T_OK, T_FAIL, T_INFO, T_PENDING, T_INVOKE };

struct jep_entry {
	uint64_t	id;
	uint64_t	model;		/* hash of the model name */
};

struct jep_op {
	enum jep_f	 f;
	enum jep_type	 type;
	int		 node;
	int		 final;
	int		 not_found;	/* release answered 404 */
	double		 t_inv, t_done;
	size_t		 src, line;	/* file and line of the invoke */
	char		 proc[JEP_PROC];
	uint64_t	 id;		/* place ok: its id; release: target */
	uint64_t	 index;		/* ok place, ok release */
	uint64_t	 applied;	/* ok list */
	uint64_t	 model;		/* place */
	char		 model_name[JEP_MODEL];
	struct jep_entry *e;		/* ok list, sorted by id */
	size_t		 n;
};

struct jep_sample {
	double		t;
	int		node;
	int		is_leader;
	uint64_t	term;
	size_t		src, line;
	char		node_id[JEP_STR];
	char		cluster[JEP_STR];
	char		leader[JEP_STR];	/* named leader, "" if none */
};

struct jep_cap {
	char		dev[JEP_STR];
	uint64_t	bytes;
	uint64_t	peak;		/* most booked in one list */
};

struct jep_proc {
	char		name[JEP_PROC];
	size_t		op;		/* in flight, or SIZE_MAX */
};

struct jep_anomaly {
	enum jep_kind	 kind;
	char		*text;
};

struct jep {
	struct jep_op		*ops;
	size_t			 nops, capops;
	struct jep_sample	*st;
	size_t			 nst, capst;
	struct jep_cap		*caps;
	size_t			 ncaps;
	uint64_t		*sums;		/* per cap, scratch */
	unsigned char		*mark;		/* per cap: in touched */
	size_t			*touched;	/* caps summed in one list */
	const struct jep_op	**rel;		/* releases, by id */
	size_t			 nrel;
	struct jep_proc		 procs[JEP_MAX_PROCS];
	size_t			 nprocs;
	char			*files[JEP_MAX_FILES];
	size_t			 nfiles;
	struct jep_anomaly	*an;
	size_t			 nan, capan;
	size_t			 count[JEP_NKINDS];
	size_t			 lines;
	size_t			 unknown_devices;
	double			 until;		/* leaderless figure */
	struct jep_figures	 fig;
	int			 checked;
};

static int	fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	anomaly(struct jep *, enum jep_kind, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static const char *const kind_names[JEP_NKINDS] = {
	"two-leaders", "lost", "resurrected", "duplicate-id", "overbooked",
	"log-order", "failed-place-applied", "release-404", "final",
};

static const char *const f_names[F_N] = { "place", "release", "list",
	"status" };
static const char *const type_names[] = { "ok", "fail", "info", "pending",
	"invoke" };

const char *
jep_kind_name(enum jep_kind k)
{
	return k < JEP_NKINDS ? kind_names[k] : "?";
}

struct jep *
jep_new(void)
{
	struct jep	*j;
	size_t		 i;

	if ((j = calloc(1, sizeof *j)) == NULL)
		return NULL;
	for (i = 0; i < JEP_MAX_PROCS; i++)
		j->procs[i].op = SIZE_MAX;
	j->until = DBL_MAX;
	return j;
}

void
jep_free(struct jep *j)
{
	size_t	i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nops; i++)
		free(j->ops[i].e);
	for (i = 0; i < j->nfiles; i++)
		free(j->files[i]);
	for (i = 0; i < j->nan; i++)
		free(j->an[i].text);
	free(j->ops);
	free(j->st);
	free(j->caps);
	free(j->sums);
	free(j->mark);
	free(j->touched);
	free(j->rel);
	free(j->an);
	free(j);
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Grows *p (n used, *cap allocated, elements of size sz) by one slot. */
static void *
grow(void *p, size_t *cap, size_t n, size_t sz)
{
	size_t	 c;
	void	*q;

	if (n < *cap)
		return p;
	c = *cap ? *cap * 2 : 64;
	if ((q = realloc(p, c * sz)) == NULL)
		return NULL;
	*cap = c;
	return q;
}

static void
anomaly(struct jep *j, enum jep_kind k, const char *fmt, ...)
{
	struct jep_anomaly	*a;
	va_list			 ap;
	char			 buf[1024];

	j->count[k]++;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if ((a = grow(j->an, &j->capan, j->nan, sizeof *a)) == NULL)
		return;		/* still counted */
	j->an = a;
	a[j->nan].kind = k;
	if ((a[j->nan].text = strdup(buf)) != NULL)
		j->nan++;
}

static uint64_t
hash(const char *s)
{
	uint64_t	h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* "proc c1 node 3 t=12.345 (file:57)" */
static const char *
ref(const struct jep *j, const struct jep_op *o, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%s %s by proc %s on node %d, t %.3f-%.3f "
	    "(%s:%zu)", f_names[o->f], type_names[o->type], o->proc, o->node,
	    o->t_inv, o->t_done, o->src < j->nfiles ? j->files[o->src] : "?",
	    o->line);
	return buf;
}

/* ---- reading ---------------------------------------------------------- */

static int
cap_cmp(const void *a, const void *b)
{
	return strcmp(((const struct jep_cap *)a)->dev,
	    ((const struct jep_cap *)b)->dev);
}

int
jep_caps(struct jep *j, const char *buf, size_t len, char *err,
    size_t errlen)
{
	json_t		*root, *v;
	json_error_t	 je;
	const char	*k;
	size_t		 n = 0;

	if (j->ncaps != 0 || j->nops != 0 || j->nst != 0)
		return fail(err, errlen, "capacities: load them once, first");
	if (len > JEP_MAX_LINE * 16u)
		return fail(err, errlen, "capacities: over %u bytes",
		    JEP_MAX_LINE * 16u);
	if ((root = json_loadb(buf, len, 0, &je)) == NULL)
		return fail(err, errlen, "capacities: %s (line %d)", je.text,
		    je.line);
	if (!json_is_object(root) || json_object_size(root) > JEP_MAX_DEVICES) {
		json_decref(root);
		return fail(err, errlen, "capacities: not an object of at "
		    "most %d devices", JEP_MAX_DEVICES);
	}
	j->caps = calloc(json_object_size(root) + 1, sizeof *j->caps);
	j->sums = calloc(json_object_size(root) + 1, sizeof *j->sums);
	j->touched = calloc(json_object_size(root) + 1, sizeof *j->touched);
	j->mark = calloc(json_object_size(root) + 1, 1);
	if (j->caps == NULL || j->sums == NULL || j->touched == NULL ||
	    j->mark == NULL) {
		json_decref(root);
		return fail(err, errlen, "capacities: out of memory");
	}
	json_object_foreach(root, k, v) {
		if (strlen(k) >= JEP_STR || !json_is_number(v) ||
		    json_number_value(v) < 0 ||
		    json_number_value(v) >= 1.8e19) {
			(void)fail(err, errlen, "capacities: bad entry "
			    "\"%.40s\"", k);
			json_decref(root);
			return -1;
		}
		(void)snprintf(j->caps[n].dev, sizeof j->caps[n].dev, "%s", k);
		j->caps[n++].bytes = (uint64_t)json_number_value(v);
	}
	json_decref(root);
	qsort(j->caps, n, sizeof *j->caps, cap_cmp);
	j->ncaps = n;
	return 0;
}

static struct jep_cap *
cap_find(struct jep *j, const char *dev)
{
	struct jep_cap	key;

	if (j->ncaps == 0 || strlen(dev) >= sizeof key.dev)
		return NULL;
	(void)snprintf(key.dev, sizeof key.dev, "%s", dev);
	return bsearch(&key, j->caps, j->ncaps, sizeof key, cap_cmp);
}

/* An unsigned integer member; -1 if absent or not one. */
static int
get_u64(json_t *obj, const char *key, uint64_t *out)
{
	json_t	*v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static void
get_str(json_t *obj, const char *key, char *out, size_t len)
{
	const char	*s = json_string_value(json_object_get(obj, key));

	(void)snprintf(out, len, "%s", s != NULL ? s : "");
}

static int
entry_cmp(const void *a, const void *b)
{
	uint64_t	x = ((const struct jep_entry *)a)->id;
	uint64_t	y = ((const struct jep_entry *)b)->id;

	return x < y ? -1 : x > y;
}

/* Adds one placement's stages to the list's bookings. */
static int
book(struct jep *j, json_t *p, size_t *ntouched, char *err, size_t errlen)
{
	json_t		*stages = json_object_get(p, "stages"), *s;
	struct jep_cap	*c;
	size_t		 i, ci;
	double		 m;

	if (stages == NULL)
		return 0;
	if (!json_is_array(stages) || json_array_size(stages) > JEP_MAX_STAGES)
		return fail(err, errlen, "stages: not an array of at most %d",
		    JEP_MAX_STAGES);
	json_array_foreach(stages, i, s) {
		const char *dev = json_string_value(json_object_get(s,
		    "device"));
		json_t *mv = json_object_get(s, "memory_bytes");

		if (dev == NULL || !json_is_number(mv) ||
		    (m = json_number_value(mv)) < 0 || m >= 1.8e19)
			return fail(err, errlen, "stage %zu: needs device and "
			    "memory_bytes", i);
		if ((c = cap_find(j, dev)) == NULL) {
			j->unknown_devices++;
			continue;
		}
		ci = (size_t)(c - j->caps);
		if (!j->mark[ci]) {
			j->mark[ci] = 1;
			j->touched[(*ntouched)++] = ci;
		}
		j->sums[ci] = UINT64_MAX - j->sums[ci] < (uint64_t)m ?
		    UINT64_MAX : j->sums[ci] + (uint64_t)m;
	}
	return 0;
}

static void
unbook(struct jep *j, size_t ntouched)
{
	size_t	i;

	for (i = 0; i < ntouched; i++) {
		j->sums[j->touched[i]] = 0;
		j->mark[j->touched[i]] = 0;
	}
}

static void
check_bookings(struct jep *j, const struct jep_op *o, size_t ntouched)
{
	char	r[256];
	size_t	i;

	for (i = 0; i < ntouched; i++) {
		struct jep_cap *c = &j->caps[j->touched[i]];
		uint64_t s = j->sums[j->touched[i]];

		if (s > c->peak)
			c->peak = s;
		if (s > c->bytes)
			anomaly(j, JEP_OVERBOOKED, "device %s booked %" PRIu64
			    " bytes of %" PRIu64 " in %s", c->dev, s, c->bytes,
			    ref(j, o, r, sizeof r));
	}
	unbook(j, ntouched);
}

static int
read_list(struct jep *j, struct jep_op *o, json_t *v, char *err,
    size_t errlen)
{
	json_t	*ps = json_object_get(v, "placements"), *p;
	size_t	 i, nt = 0;
	char	 r[256], model[JEP_MODEL];

	if (get_u64(v, "applied_index", &o->applied) != 0)
		return fail(err, errlen, "ok list without applied_index");
	if (!json_is_array(ps) || json_array_size(ps) > JEP_MAX_LIST)
		return fail(err, errlen, "ok list: placements not an array of "
		    "at most %d", JEP_MAX_LIST);
	if ((o->e = calloc(json_array_size(ps) + 1, sizeof *o->e)) == NULL)
		return fail(err, errlen, "out of memory");
	json_array_foreach(ps, i, p) {
		if (get_u64(p, "id", &o->e[i].id) != 0) {
			unbook(j, nt);
			return fail(err, errlen, "placement %zu without id", i);
		}
		get_str(p, "model", model, sizeof model);
		o->e[i].model = model[0] != '\0' ? hash(model) : 0;
		if (book(j, p, &nt, err, errlen) != 0) {
			unbook(j, nt);
			return -1;
		}
	}
	o->n = json_array_size(ps);
	qsort(o->e, o->n, sizeof *o->e, entry_cmp);
	for (i = 1; i < o->n; i++)
		if (o->e[i].id == o->e[i - 1].id)
			anomaly(j, JEP_DUP_ID, "id %" PRIu64 " twice in one "
			    "list: %s", o->e[i].id, ref(j, o, r, sizeof r));
	check_bookings(j, o, nt);
	return 0;
}

static int
read_status(struct jep *j, json_t *line, json_t *v, double t, int node,
    size_t src, size_t lineno, char *err, size_t errlen)
{
	struct jep_sample	*s;
	const char		*role;

	(void)line;
	if (!json_is_object(v))
		return fail(err, errlen, "ok status without a value");
	if ((s = grow(j->st, &j->capst, j->nst, sizeof *s)) == NULL)
		return fail(err, errlen, "out of memory");
	j->st = s;
	s = &j->st[j->nst];
	memset(s, 0, sizeof *s);
	s->t = t;
	s->node = node;
	s->src = src;
	s->line = lineno;
	role = json_string_value(json_object_get(v, "role"));
	s->is_leader = role != NULL && strcmp(role, "leader") == 0;
	if (get_u64(v, "term", &s->term) != 0)
		s->term = 0;
	get_str(v, "node_id", s->node_id, sizeof s->node_id);
	get_str(v, "cluster_id", s->cluster, sizeof s->cluster);
	get_str(v, "leader", s->leader, sizeof s->leader);
	j->nst++;
	return 0;
}

static struct jep_proc *
proc_slot(struct jep *j, const char *name)
{
	size_t	i;

	for (i = 0; i < j->nprocs; i++)
		if (strcmp(j->procs[i].name, name) == 0)
			return &j->procs[i];
	if (j->nprocs == JEP_MAX_PROCS)
		return NULL;
	(void)snprintf(j->procs[j->nprocs].name, JEP_PROC, "%s", name);
	j->procs[j->nprocs].op = SIZE_MAX;
	return &j->procs[j->nprocs++];
}

static int
parse_enum(const char *s, const char *const *names, int n)
{
	int	i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
invoke(struct jep *j, struct jep_proc *p, enum jep_f f, json_t *v,
    double t, int node, size_t src, size_t lineno, char *err, size_t errlen)
{
	struct jep_op	*o;

	if (p->op != SIZE_MAX)
		return fail(err, errlen, "proc %s: invoke while its call from "
		    "line %zu is in flight", p->name, j->ops[p->op].line);
	if ((o = grow(j->ops, &j->capops, j->nops, sizeof *o)) == NULL)
		return fail(err, errlen, "out of memory");
	j->ops = o;
	o = &j->ops[j->nops];
	memset(o, 0, sizeof *o);
	o->f = f;
	o->type = T_PENDING;
	o->node = node;
	o->t_inv = t;
	o->t_done = DBL_MAX;
	o->src = src;
	o->line = lineno;
	(void)snprintf(o->proc, sizeof o->proc, "%s", p->name);
	if (f == F_PLACE) {
		get_str(v, "model", o->model_name, sizeof o->model_name);
		o->model = o->model_name[0] != '\0' ? hash(o->model_name) : 0;
	} else if (f == F_RELEASE && get_u64(v, "id", &o->id) != 0)
		return fail(err, errlen, "release invoke without an id");
	p->op = j->nops++;
	return 0;
}

static int
complete(struct jep *j, struct jep_proc *p, enum jep_f f,
    enum jep_type type, json_t *line, json_t *v, double t, char *err,
    size_t errlen)
{
	struct jep_op	*o;
	json_t		*http = json_object_get(line, "http");

	if (p->op == SIZE_MAX)
		return fail(err, errlen, "proc %s: %s %s without an invoke",
		    p->name, f_names[f], type_names[type]);
	o = &j->ops[p->op];
	if (o->f != f)
		return fail(err, errlen, "proc %s: %s completes a %s", p->name,
		    f_names[f], f_names[o->f]);
	p->op = SIZE_MAX;
	o->type = type;
	o->t_done = t;
	o->final = json_is_true(json_object_get(line, "final"));
	if (t < o->t_inv)
		return fail(err, errlen, "completion before its invoke");
	if (f == F_RELEASE && type == T_FAIL && json_is_integer(http) &&
	    json_integer_value(http) == 404)
		o->not_found = 1;
	if (type != T_OK)
		return 0;
	switch (f) {
	case F_PLACE:
		if (get_u64(v, "id", &o->id) != 0 ||
		    get_u64(v, "index", &o->index) != 0)
			return fail(err, errlen, "ok place without id and index");
		if (json_string_length(json_object_get(v, "model")) > 0) {
			get_str(v, "model", o->model_name,
			    sizeof o->model_name);
			o->model = hash(o->model_name);
		}
		break;
	case F_RELEASE:
		if (get_u64(v, "index", &o->index) != 0)
			return fail(err, errlen, "ok release without index");
		break;
	case F_LIST:
		return read_list(j, o, v, err, errlen);
	default:
		break;
	}
	return 0;
}

static size_t
file_index(struct jep *j, const char *name)
{
	size_t	i;

	for (i = 0; i < j->nfiles; i++)
		if (strcmp(j->files[i], name) == 0)
			return i;
	if (j->nfiles == JEP_MAX_FILES)
		return SIZE_MAX;
	if ((j->files[j->nfiles] = strdup(name)) == NULL)
		return SIZE_MAX;
	return j->nfiles++;
}

static int
line_json(struct jep *j, json_t *root, size_t src, size_t lineno,
    char *err, size_t errlen)
{
	json_t		 *tv = json_object_get(root, "t");
	json_t		 *pv = json_object_get(root, "proc");
	json_t		 *v = json_object_get(root, "value");
	json_t		 *nv = json_object_get(root, "node");
	struct jep_proc	 *p;
	char		  proc[JEP_PROC];
	double		  t;
	int		  f, type, node = 0;

	if (!json_is_number(tv) || !isfinite(t = json_number_value(tv)))
		return fail(err, errlen, "no time \"t\"");
	f = parse_enum(json_string_value(json_object_get(root, "f")), f_names,
	    F_N);
	type = parse_enum(json_string_value(json_object_get(root, "type")),
	    type_names, 5);
	if (f < 0)
		return fail(err, errlen, "\"f\" is not place, release, list or "
		    "status");
	if (type < 0 || type == T_PENDING)
		return fail(err, errlen, "\"type\" is not invoke, ok, fail or "
		    "info");
	if (json_is_integer(nv) && json_integer_value(nv) >= 0 &&
	    json_integer_value(nv) < 1000000)
		node = (int)json_integer_value(nv);
	if (json_is_string(pv) && strlen(json_string_value(pv)) < JEP_PROC)
		(void)snprintf(proc, sizeof proc, "%s", json_string_value(pv));
	else if (json_is_integer(pv))
		(void)snprintf(proc, sizeof proc, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(pv));
	else
		return fail(err, errlen, "no \"proc\" (a string under %d "
		    "bytes or an integer)", JEP_PROC);
	if (type != T_INVOKE)
		j->fig.ops[f][type]++;
	if (f == F_STATUS)	/* samples: lone completions allowed */
		return type == T_OK ? read_status(j, root, v, t, node, src,
		    lineno, err, errlen) : 0;
	if ((p = proc_slot(j, proc)) == NULL)
		return fail(err, errlen, "over %d processes", JEP_MAX_PROCS);
	if (type == T_INVOKE)
		return invoke(j, p, (enum jep_f)f, v, t, node, src, lineno, err,
		    errlen);
	return complete(j, p, (enum jep_f)f, (enum jep_type)type, root, v, t,
	    err, errlen);
}

int
jep_line(struct jep *j, const char *line, size_t len, const char *name,
    size_t lineno, char *err, size_t errlen)
{
	json_t		*root;
	json_error_t	 je;
	size_t		 src, i;
	char		 why[256];
	int		 rc;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' ||
	    line[i] == '\r'); i++)
		;
	if (i == len)
		return 0;
	if (j->checked)
		return fail(err, errlen, "%s:%zu: history already checked",
		    name, lineno);
	if (len > JEP_MAX_LINE)
		return fail(err, errlen, "%s:%zu: line over %u bytes", name,
		    lineno, JEP_MAX_LINE);
	if (j->lines >= JEP_MAX_LINES)
		return fail(err, errlen, "%s:%zu: over %u lines", name, lineno,
		    JEP_MAX_LINES);
	if ((src = file_index(j, name)) == SIZE_MAX)
		return fail(err, errlen, "%s: over %d files", name,
		    JEP_MAX_FILES);
	if ((root = json_loadb(line, len, 0, &je)) == NULL)
		return fail(err, errlen, "%s:%zu: %s", name, lineno, je.text);
	j->lines++;
	if (!json_is_object(root))
		rc = fail(why, sizeof why, "not an object");
	else
		rc = line_json(j, root, src, lineno, why, sizeof why);
	json_decref(root);
	if (rc != 0)
		return fail(err, errlen, "%s:%zu: %s", name, lineno, why);
	return 0;
}

int
jep_feed(struct jep *j, const char *buf, size_t len, const char *name,
    char *err, size_t errlen)
{
	size_t		 lineno = 0;
	const char	*p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (jep_line(j, p, (size_t)(nl - p), name, ++lineno, err,
		    errlen) != 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* ---- checks ------------------------------------------------------------ */

static int
has_id(const struct jep_op *l, uint64_t id, uint64_t *model)
{
	struct jep_entry	 key = { id, 0 };
	const struct jep_entry	*e;

	if (l->n == 0)
		return 0;
	e = bsearch(&key, l->e, l->n, sizeof key, entry_cmp);
	if (e != NULL && model != NULL)
		*model = e->model;
	return e != NULL;
}

static int
sample_cmp(const void *a, const void *b)
{
	const struct jep_sample	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->cluster, y->cluster)) != 0)
		return c;
	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static int
sample_time_cmp(const void *a, const void *b)
{
	const struct jep_sample	*x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* One leader per (cluster, term); counts the terms that had one. */
static void
check_leaders(struct jep *j)
{
	size_t	i, first = SIZE_MAX;
	int	reported = 0;

	if (j->nst > 0)
		qsort(j->st, j->nst, sizeof *j->st, sample_cmp);
	for (i = 0; i < j->nst; i++) {
		struct jep_sample *s = &j->st[i], *f;

		if (!s->is_leader || s->cluster[0] == '\0')
			continue;
		f = first == SIZE_MAX ? NULL : &j->st[first];
		if (f == NULL || strcmp(f->cluster, s->cluster) != 0 ||
		    f->term != s->term) {
			first = i;
			reported = 0;
			j->fig.leader_terms++;
			continue;
		}
		if (!reported && strcmp(f->node_id, s->node_id) != 0) {
			anomaly(j, JEP_TWO_LEADERS, "cluster %s term %" PRIu64
			    ": node %d (%s) leader at t %.3f (%s:%zu) and "
			    "node %d (%s) leader at t %.3f (%s:%zu)",
			    s->cluster, s->term, f->node, f->node_id, f->t,
			    j->files[f->src], f->line, s->node, s->node_id,
			    s->t, j->files[s->src], s->line);
			reported = 1;
		}
	}
}

/*
 * The longest time between two samples that name a leader, or from the
 * last such sample to the last sample before `until`.
 */
static void
leaderless(struct jep *j)
{
	double	last = -1, t = 0;
	size_t	i;

	if (j->nst > 0)
		qsort(j->st, j->nst, sizeof *j->st, sample_time_cmp);
	for (i = 0; i < j->nst && j->st[i].t <= j->until; i++) {
		t = j->st[i].t;
		if (j->st[i].leader[0] == '\0')
			continue;
		if (last >= 0 && t - last > j->fig.leaderless_s) {
			j->fig.leaderless_s = t - last;
			j->fig.leaderless_at = last;
		}
		last = t;
	}
	if (last >= 0 && t - last > j->fig.leaderless_s) {
		j->fig.leaderless_s = t - last;
		j->fig.leaderless_at = last;
	}
}

/*
 * Earliest invoke, before `before`, of a release of id other than skip
 * (any outcome); DBL_MAX if none.  j->rel is sorted by id.
 */
static double
first_release(const struct jep *j, uint64_t id, const struct jep_op *skip,
    double before)
{
	double	t = DBL_MAX;
	size_t	lo = 0, hi = j->nrel;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (j->rel[m]->id < id)
			lo = m + 1;
		else
			hi = m;
	}
	for (; lo < j->nrel && j->rel[lo]->id == id; lo++)
		if (j->rel[lo] != skip && j->rel[lo]->t_inv < before &&
		    j->rel[lo]->t_inv < t)
			t = j->rel[lo]->t_inv;
	return t;
}

static int
op_index_cmp(const void *a, const void *b)
{
	const struct jep_op *x = *(const struct jep_op *const *)a;
	const struct jep_op *y = *(const struct jep_op *const *)b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static int
op_id_cmp(const void *a, const void *b)
{
	const struct jep_op *x = *(const struct jep_op *const *)a;
	const struct jep_op *y = *(const struct jep_op *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Acknowledged places and releases, for the id and index checks. */
static const struct jep_op **
acked(const struct jep *j, int with_releases, size_t *n)
{
	const struct jep_op	**v;
	size_t			  i;

	*n = 0;
	if ((v = calloc(j->nops + 1, sizeof *v)) == NULL)
		return NULL;
	for (i = 0; i < j->nops; i++)
		if (j->ops[i].type == T_OK && (j->ops[i].f == F_PLACE ||
		    (with_releases && j->ops[i].f == F_RELEASE)))
			v[(*n)++] = &j->ops[i];
	return v;
}

static const struct jep_op *
place_of(const struct jep_op **places, size_t n, uint64_t id)
{
	size_t	lo = 0, hi = n;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;

		if (places[m]->id < id)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && places[lo]->id == id ? places[lo] : NULL;
}

static void
check_ids(struct jep *j, const struct jep_op **places, size_t np)
{
	const struct jep_op	**cmds;
	size_t			  i, k, nc;
	char			  r1[256], r2[256];
	uint64_t		  m;

	for (i = 1; i < np; i++)
		if (places[i]->id == places[i - 1]->id)
			anomaly(j, JEP_DUP_ID, "id %" PRIu64 " returned twice: "
			    "%s; %s", places[i]->id,
			    ref(j, places[i - 1], r1, sizeof r1),
			    ref(j, places[i], r2, sizeof r2));
	/* A listed id is the placement that was acknowledged with it. */
	for (i = 0; i < j->nops; i++) {
		const struct jep_op *l = &j->ops[i];

		if (l->f != F_LIST || l->type != T_OK)
			continue;
		for (k = 0; k < l->n; k++) {
			const struct jep_op *p = place_of(places, np,
			    l->e[k].id);

			if (p != NULL && p->model != 0 &&
			    l->e[k].model != 0 && l->e[k].model != p->model)
				anomaly(j, JEP_DUP_ID, "id %" PRIu64 " was "
				    "placed as %s (%s) but is another model "
				    "in %s", p->id, p->model_name,
				    ref(j, p, r1, sizeof r1),
				    ref(j, l, r2, sizeof r2));
		}
	}
	/* One command per log index; ids grow with the index. */
	if ((cmds = acked(j, 1, &nc)) == NULL)
		return;
	qsort(cmds, nc, sizeof *cmds, op_index_cmp);
	m = 0;
	for (i = 0; i < nc; i++) {
		if (i > 0 && cmds[i]->index == cmds[i - 1]->index)
			anomaly(j, JEP_LOG_ORDER, "index %" PRIu64 " acknowledged "
			    "for two commands: %s; %s", cmds[i]->index,
			    ref(j, cmds[i - 1], r1, sizeof r1),
			    ref(j, cmds[i], r2, sizeof r2));
		if (cmds[i]->f != F_PLACE)
			continue;
		if (cmds[i]->id <= m)
			anomaly(j, JEP_LOG_ORDER, "id %" PRIu64 " at index %"
			    PRIu64 " is not above the id %" PRIu64 " of an "
			    "earlier index: %s", cmds[i]->id, cmds[i]->index,
			    m, ref(j, cmds[i], r1, sizeof r1));
		else
			m = cmds[i]->id;
	}
	free(cmds);
}

/* Acknowledged, never asked to be released, absent from a later list. */
static void
check_lost(struct jep *j, const struct jep_op **places, size_t np)
{
	size_t	i, k;
	char	r1[256], r2[256];

	for (i = 0; i < np; i++) {
		const struct jep_op *p = places[i];
		double rel = first_release(j, p->id, NULL, DBL_MAX);
		size_t misses = 0;
		const struct jep_op *first = NULL;

		for (k = 0; k < j->nops; k++) {
			const struct jep_op *l = &j->ops[k];

			if (l->f != F_LIST || l->type != T_OK ||
			    l->t_inv <= p->t_done || l->applied < p->index ||
			    rel < l->t_done || has_id(l, p->id, NULL))
				continue;
			if (misses++ == 0)
				first = l;
		}
		if (misses > 0)
			anomaly(j, JEP_LOST, "id %" PRIu64 " (index %" PRIu64
			    ") acknowledged by %s, never released, missing "
			    "from %zu later list(s), first %s (applied index %"
			    PRIu64 ")", p->id, p->index,
			    ref(j, p, r1, sizeof r1), misses,
			    ref(j, first, r2, sizeof r2), first->applied);
	}
}

/* Released, then listed by a node that applied the release. */
static void
check_resurrected(struct jep *j)
{
	size_t	i, k;
	char	r1[256], r2[256];

	for (i = 0; i < j->nops; i++) {
		const struct jep_op *r = &j->ops[i];
		size_t hits = 0;
		const struct jep_op *first = NULL;

		if (r->f != F_RELEASE || r->type != T_OK)
			continue;
		for (k = 0; k < j->nops; k++) {
			const struct jep_op *l = &j->ops[k];

			if (l->f != F_LIST || l->type != T_OK ||
			    l->t_inv <= r->t_done || l->applied < r->index ||
			    !has_id(l, r->id, NULL))
				continue;
			if (hits++ == 0)
				first = l;
		}
		if (hits > 0)
			anomaly(j, JEP_RESURRECTED, "id %" PRIu64 " released "
			    "(index %" PRIu64 ") by %s, listed again by %zu "
			    "later list(s), first %s (applied index %" PRIu64
			    ")", r->id, r->index, ref(j, r, r1, sizeof r1),
			    hits, ref(j, first, r2, sizeof r2),
			    first->applied);
	}
}

/* When id was first known to be committed: ack or a list showing it. */
static double
known_since(const struct jep *j, const struct jep_op **places, size_t np,
    uint64_t id)
{
	const struct jep_op	*p = place_of(places, np, id);
	double			 t = p != NULL ? p->t_done : DBL_MAX;
	size_t			 i;

	for (i = 0; i < j->nops; i++) {
		const struct jep_op *l = &j->ops[i];

		if (l->f == F_LIST && l->type == T_OK && l->t_done < t &&
		    has_id(l, id, NULL))
			t = l->t_done;
	}
	return t;
}

/* 404 for a placement known to exist that nobody else tried to release. */
static void
check_release_404(struct jep *j, const struct jep_op **places, size_t np)
{
	size_t	i;
	char	r[256];

	for (i = 0; i < j->nops; i++) {
		const struct jep_op *o = &j->ops[i];
		double since;

		if (o->f != F_RELEASE || !o->not_found)
			continue;
		since = known_since(j, places, np, o->id);
		if (since < o->t_inv &&
		    first_release(j, o->id, o, o->t_done) == DBL_MAX)
			anomaly(j, JEP_RELEASE_404, "id %" PRIu64 " committed "
			    "by t %.3f and never released, but %s answered "
			    "404", o->id, since, ref(j, o, r, sizeof r));
	}
}

struct unexplained {
	uint64_t	id, model;
	double		t;		/* first list showing it completed */
	const struct jep_op *list;
};

static int
unexplained_cmp(const void *a, const void *b)
{
	const struct unexplained *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->t > y->t) - (x->t < y->t);
}

static int
unexplained_time_cmp(const void *a, const void *b)
{
	const struct unexplained *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/*
 * Ids in lists that no ok place returned must come from places whose
 * outcome is unknown, one each, invoked before the list completed and
 * of the same model.  Matching them in the order they were first seen
 * is exact: each id's candidates include those of every earlier one.
 */
static void
check_failed_applied(struct jep *j, const struct jep_op **places, size_t np)
{
	struct unexplained	*u = NULL, *nu;
	size_t			 nu_ = 0, capu = 0, i, k, w;
	char			*used;
	char			 r[256];

	for (i = 0; i < j->nops; i++) {
		const struct jep_op *l = &j->ops[i];

		if (l->f != F_LIST || l->type != T_OK)
			continue;
		for (k = 0; k < l->n; k++) {
			if (place_of(places, np, l->e[k].id) != NULL)
				continue;
			if ((nu = grow(u, &capu, nu_, sizeof *u)) == NULL) {
				free(u);
				return;
			}
			u = nu;
			u[nu_].id = l->e[k].id;
			u[nu_].model = l->e[k].model;
			u[nu_].t = l->t_done;
			u[nu_++].list = l;
		}
	}
	if (nu_ == 0)
		return;
	qsort(u, nu_, sizeof *u, unexplained_cmp);
	for (i = 0, w = 0; i < nu_; i++)	/* first sighting of each id */
		if (w == 0 || u[w - 1].id != u[i].id)
			u[w++] = u[i];
	nu_ = w;
	qsort(u, nu_, sizeof *u, unexplained_time_cmp);
	if ((used = calloc(j->nops + 1, 1)) == NULL) {
		free(u);
		return;
	}
	for (i = 0; i < nu_; i++) {
		for (k = 0; k < j->nops; k++) {
			const struct jep_op *o = &j->ops[k];

			if (!used[k] && o->f == F_PLACE &&
			    (o->type == T_INFO || o->type == T_PENDING) &&
			    o->t_inv < u[i].t && (o->model == 0 ||
			    u[i].model == 0 || o->model == u[i].model))
				break;
		}
		if (k < j->nops)
			used[k] = 1;
		else
			anomaly(j, JEP_FAILED_APPLIED, "id %" PRIu64 " in %s "
			    "matches no place with an unknown outcome invoked "
			    "before: a place answered as failed took effect",
			    u[i].id, ref(j, u[i].list, r, sizeof r));
	}
	free(used);
	free(u);
}

/* Every final list answered, from a node that applied everything. */
static void
check_final(struct jep *j)
{
	size_t	i;
	char	r[256];

	for (i = 0; i < j->nops; i++) {
		const struct jep_op *l = &j->ops[i];

		if (l->f != F_LIST || !l->final)
			continue;
		if (l->type != T_OK)
			anomaly(j, JEP_FINAL, "final %s", ref(j, l, r,
			    sizeof r));
		else if (l->applied < j->fig.max_index)
			anomaly(j, JEP_FINAL, "final list on node %d applied "
			    "only to index %" PRIu64 " of %" PRIu64 ": %s",
			    l->node, l->applied, j->fig.max_index,
			    ref(j, l, r, sizeof r));
	}
}

void
jep_until(struct jep *j, double t)
{
	j->until = t;
}

size_t
jep_check(struct jep *j)
{
	const struct jep_op	**places;
	size_t			  np, i, total = 0;

	if (j->checked) {
		for (i = 0; i < JEP_NKINDS; i++)
			total += j->count[i];
		return total;
	}
	j->checked = 1;
	for (i = 0; i < j->nops; i++) {
		const struct jep_op *o = &j->ops[i];

		if (o->type == T_PENDING)
			j->fig.ops[o->f][T_PENDING]++;
		if (o->type == T_OK && (o->f == F_PLACE || o->f == F_RELEASE) &&
		    o->index > j->fig.max_index)
			j->fig.max_index = o->index;
		if (o->type == T_OK && o->f == F_RELEASE)
			j->fig.released++;
	}
	if ((j->rel = calloc(j->nops + 1, sizeof *j->rel)) == NULL)
		return SIZE_MAX;
	for (i = 0; i < j->nops; i++)
		if (j->ops[i].f == F_RELEASE)
			j->rel[j->nrel++] = &j->ops[i];
	qsort(j->rel, j->nrel, sizeof *j->rel, op_id_cmp);
	check_leaders(j);
	leaderless(j);
	if ((places = acked(j, 0, &np)) != NULL) {
		qsort(places, np, sizeof *places, op_id_cmp);
		j->fig.placed = np;
		for (i = 0; i < np; i++)
			j->fig.live += first_release(j, places[i]->id, NULL,
			    DBL_MAX) == DBL_MAX;
		check_ids(j, places, np);
		check_lost(j, places, np);
		check_release_404(j, places, np);
		check_failed_applied(j, places, np);
		free(places);
	}
	check_resurrected(j);
	check_final(j);
	for (i = 0; i < JEP_NKINDS; i++)
		total += j->count[i];
	return total;
}

void
jep_figures(const struct jep *j, struct jep_figures *f)
{
	*f = j->fig;
	f->lines = j->lines;
	memcpy(f->anomalies, j->count, sizeof f->anomalies);
}

static void
report_leaders(const struct jep *j, FILE *out)
{
	const struct jep_sample	*last = NULL;
	size_t			 i, shown = 0;

	/* The samples are in time order after jep_check. */
	(void)fprintf(out, "leaders (cluster/term: node):");
	for (i = 0; i < j->nst && shown < 40; i++) {
		const struct jep_sample *s = &j->st[i];

		if (!s->is_leader || s->cluster[0] == '\0' ||
		    (last != NULL && last->term == s->term &&
		    strcmp(last->node_id, s->node_id) == 0))
			continue;
		(void)fprintf(out, " %.8s/%" PRIu64 ": %d", s->cluster, s->term,
		    s->node);
		last = s;
		shown++;
	}
	(void)fprintf(out, "%s\n", shown == 40 ? " ..." : "");
}

void
jep_report(const struct jep *j, FILE *out)
{
	static const char *const fn[] = { "place", "release", "list",
		"status" };
	const struct jep_figures *f = &j->fig;
	size_t	 i, k, shown[JEP_NKINDS] = { 0 }, total = 0;

	(void)fprintf(out, "history: %zu lines from %zu file(s)\n", j->lines,
	    j->nfiles);
	for (i = 0; i < 4; i++)
		(void)fprintf(out, "  %-8s ok %zu, fail %zu, info %zu, "
		    "never completed %zu\n", fn[i], f->ops[i][T_OK],
		    f->ops[i][T_FAIL], f->ops[i][T_INFO], f->ops[i][T_PENDING]);
	report_leaders(j, out);
	(void)fprintf(out, "terms with a leader: %zu (leader changes: %zu); "
	    "longest time no node named a leader: %.2f s (from t %.3f)\n",
	    f->leader_terms, f->leader_terms > 0 ? f->leader_terms - 1 : 0,
	    f->leaderless_s, f->leaderless_at);
	(void)fprintf(out, "placements: %zu acknowledged, %zu releases "
	    "acknowledged, %zu never asked to be released; highest index "
	    "acknowledged %" PRIu64 "\n", f->placed, f->released, f->live,
	    f->max_index);
	for (i = 0; i < j->ncaps; i++)
		(void)fprintf(out, "  device %s: peak booked %.1f%% of %"
		    PRIu64 " bytes\n", j->caps[i].dev, j->caps[i].bytes ?
		    100.0 * (double)j->caps[i].peak / (double)j->caps[i].bytes :
		    0.0, j->caps[i].bytes);
	if (j->unknown_devices > 0)
		(void)fprintf(out, "  %zu stage(s) on devices without a "
		    "capacity (not checked)\n", j->unknown_devices);
	for (i = 0; i < JEP_NKINDS; i++)
		total += j->count[i];
	(void)fprintf(out, "anomalies: %zu\n", total);
	for (i = 0; i < JEP_NKINDS; i++)
		if (j->count[i] > 0)
			(void)fprintf(out, "  %s: %zu\n", kind_names[i],
			    j->count[i]);
	for (k = 0; k < j->nan; k++) {
		const struct jep_anomaly *a = &j->an[k];

		if (shown[a->kind]++ < JEP_SHOW)
			(void)fprintf(out, "ANOMALY %s: %s\n",
			    kind_names[a->kind], a->text);
	}
}
