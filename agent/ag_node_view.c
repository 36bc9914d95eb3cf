/*
 * ag_node_view.c - read-only views of the cluster for people: the
 * dashboard page (GET /), every known device (GET /v1/devices) and the
 * merged link table (GET /v1/links).
 *
 * The page is one self-contained file (agent/web/dashboard.html) embedded
 * at configure time, so the agent serves it with no files on disk and no
 * outside fetches; it is sent with a Content-Security-Policy that allows
 * exactly its own inline <style> and <script> (by SHA-256) and requests
 * back to this API, so nothing else can run in it even if a gossiped
 * string slipped past the page's own escaping.
 *
 * The two JSON views are built from the gossiped records this node holds
 * (its own from n->self_rec).  Records come from peers: strings are read
 * only up to their array's size and invalid UTF-8 becomes "", counts are
 * clamped, and NaN figures are sent as null.  Links reported by both ends
 * are merged the way ag_snapshot.c merges them for the solver (smaller
 * RTT, smaller bandwidth) so the page shows what placement sees.
 */
#include "ag_node_int.h"
#include "ag_log.h"

#include "be_device.h"
#include "be_json.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_dashboard_html.h"

#define VIEW_MAX_NODES	4096	/* records walked for one answer */
#define SHA256_LEN	32
#define B64_SHA256	45	/* base64 of 32 bytes, with the NUL */

/* --- the page --------------------------------------------------------- */

static void
b64(const unsigned char *in, size_t len, char *out)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t			 i, k = 0;
	unsigned long		 v;

	for (i = 0; i + 2 < len; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		out[k++] = tab[v >> 6 & 63];
		out[k++] = tab[v & 63];
	}
	if (len - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		out[k++] = '=';
		out[k++] = '=';
	} else if (len - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[k++] = tab[v >> 18 & 63];
		out[k++] = tab[v >> 12 & 63];
		out[k++] = tab[v >> 6 & 63];
		out[k++] = '=';
	}
	out[k] = '\0';
}

/*
 * The base64 SHA-256 of what sits between the first <tag> and </tag> of
 * the page (CSP hash sources); -1 if the page has no such element.
 */
static int
inline_hash(const char *page, const char *tag, char out[B64_SHA256])
{
	char		 open[16], close[16];
	const char	*s, *e;
	unsigned char	 md[SHA256_LEN];

	(void)snprintf(open, sizeof open, "<%s>", tag);
	(void)snprintf(close, sizeof close, "</%s>", tag);
	if ((s = strstr(page, open)) == NULL)
		return -1;
	s += strlen(open);
	if ((e = strstr(s, close)) == NULL)
		return -1;
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, s, (size_t)(e - s), md) != 0)
		return -1;
	b64(md, sizeof md, out);
	return 0;
}

/* Headers for the page only: its CSP and no sniffing or framing. */
static int
page_headers(struct evhttp_request *req, const char *page)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	char			 style[B64_SHA256], script[B64_SHA256];
	char			 csp[512];

	if (inline_hash(page, "style", style) != 0 ||
	    inline_hash(page, "script", script) != 0)
		return -1;
	(void)snprintf(csp, sizeof csp, "default-src 'none'; "
	    "script-src 'sha256-%s'; style-src 'sha256-%s'; "
	    "connect-src 'self'; img-src data:; base-uri 'none'; "
	    "form-action 'none'; frame-ancestors 'none'", script, style);
	if (evhttp_add_header(h, "Content-Security-Policy", csp) != 0 ||
	    evhttp_add_header(h, "X-Content-Type-Options", "nosniff") != 0 ||
	    evhttp_add_header(h, "X-Frame-Options", "DENY") != 0 ||
	    evhttp_add_header(h, "Referrer-Policy", "no-referrer") != 0)
		return -1;
	return 0;
}

void
ag_node_api_page(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	const char	*page = (const char *)ag_dashboard_html;
	size_t		 len = (size_t)ag_dashboard_html_len;
	char		*buf;

	if (page_headers(req, page) != 0) {
		ag_log(AG_LOG_WARNING, "dashboard: cannot set its headers");
		ag_api_error(r, 500, "internal", "dashboard page unavailable");
		return;
	}
	if ((buf = malloc(len)) == NULL) {
		ag_api_error(r, 500, "internal", "out of memory");
		return;
	}
	memcpy(buf, page, len);
	r->status = 200;
	r->raw = buf;
	r->raw_len = len;
	r->content_type = "text/html; charset=utf-8";
}

/* --- JSON helpers ------------------------------------------------------ */

/* A string field of a record: bounded by its array, "" if not UTF-8. */
static json_t *
text(const char *s, size_t size)
{
	json_t	*v = json_stringn(s, strnlen(s, size));

	return v != NULL ? v : json_string("");
}

#define TEXT(field)	text((field), sizeof (field))

/* --- collecting records ------------------------------------------------ */

struct view_node {
	char	 id[SEC_NODE_ID_SIZE];
	json_t	*obj;		/* devices view: the node's entry */
};

/* One node's report of its link to another (ids as given, unordered). */
struct view_report {
	char	 a[SEC_NODE_ID_SIZE];	/* after normalising: a < b */
	char	 b[SEC_NODE_ID_SIZE];
	char	 by[SEC_NODE_ID_SIZE];
	double	 rtt_s;
	double	 bandwidth;
};

struct view {
	struct ag_node		*n;
	json_t			*members;	/* devices view: for states */
	char			 leader[32];
	int			 want_devices;
	int			 want_links;
	struct view_node	*nodes;
	size_t			 nnodes, capnodes;
	struct view_report	*reps;
	size_t			 nreps, capreps;
	int			 failed;
};

static void
view_free(struct view *v)
{
	size_t	i;

	for (i = 0; i < v->nnodes; i++)
		json_decref(v->nodes[i].obj);
	free(v->nodes);
	free(v->reps);
	json_decref(v->members);
}

/* A member's state from /v1/members' list ("unknown" if not a member). */
static const char *
member_state(const struct view *v, const char *id)
{
	const char	*s;
	json_t		*m;
	size_t		 i;

	json_array_foreach(v->members, i, m) {
		s = json_string_value(json_object_get(m, "node_id"));
		if (s != NULL && strcmp(s, id) == 0) {
			s = json_string_value(json_object_get(m, "state"));
			return s != NULL ? s : "unknown";
		}
	}
	return "unknown";
}

static json_t *
device_json(const char *node, const struct ag_record_device *d)
{
	char	 gid[SEC_NODE_ID_SIZE + sizeof d->id + 1];
	json_t	*o = json_object();
	int	 ok = 1;

	(void)snprintf(gid, sizeof gid, "%s/%.*s", node,
	    (int)strnlen(d->id, sizeof d->id), d->id);
	be_json_set(o, "id", text(gid, sizeof gid), &ok);
	be_json_set(o, "device_id", TEXT(d->id), &ok);
	be_json_set(o, "name", TEXT(d->name), &ok);
	be_json_set(o, "type", TEXT(d->type), &ok);
	be_json_set(o, "memory_total_bytes", json_integer(d->memory_total_bytes >
	    (uint64_t)INT64_MAX ? INT64_MAX :
	    (json_int_t)d->memory_total_bytes), &ok);
	be_json_set(o, "memory_free_bytes", be_json_num(d->memory_free_bytes), &ok);
	be_json_set(o, "memory_bandwidth_bytes_per_s", be_json_num(d->memory_bandwidth), &ok);
	be_json_set(o, "flops_per_s", be_json_num(d->flops), &ok);
	be_json_set(o, "temperature_celsius", be_json_num(d->temperature_celsius), &ok);
	be_json_set(o, "dtypes", be_json_dtypes(d->dtypes), &ok);
	be_json_set(o, "apis", be_json_apis(d->apis), &ok);
	return be_json_finish(o, ok);
}

/* The network coordinate (docs/cluster.md), or null. */
static json_t *
coord_json(const struct ag_record *r)
{
	json_t	*o, *vec;
	int	 i, ok = 1;

	if (!r->has_coord || !net_viv_coord_valid(&r->coord))
		return json_null();
	o = json_object();
	vec = json_array();
	for (i = 0; i < NET_VIV_DIMS; i++)
		be_json_append(vec, json_real(r->coord.vec[i]), &ok);
	be_json_set(o, "vec_s", vec, &ok);
	be_json_set(o, "height_s", json_real(r->coord.height), &ok);
	be_json_set(o, "adjustment_s", json_real(r->coord.adjustment), &ok);
	be_json_set(o, "error", json_real(r->coord.error), &ok);
	return be_json_finish(o, ok);
}

static json_t *
node_json(const struct view *v, const char *id, const struct ag_record *r)
{
	json_t	*o = json_object(), *devs = json_array();
	int	 i, nd, ok = 1;

	nd = r->ndevices < 0 ? 0 : r->ndevices > AG_RECORD_MAX_DEVICES ?
	    AG_RECORD_MAX_DEVICES : r->ndevices;
	for (i = 0; i < nd; i++)
		be_json_append(devs, device_json(id, &r->devices[i]), &ok);
	be_json_set(o, "node_id", json_string(id), &ok);
	be_json_set(o, "name", TEXT(r->name), &ok);
	be_json_set(o, "leader", json_boolean(strcmp(id, v->leader) == 0), &ok);
	be_json_set(o, "state", json_string(member_state(v, id)), &ok);
	be_json_set(o, "battery_ratio", be_json_num(r->battery_ratio), &ok);
	be_json_set(o, "on_ac", r->on_ac < 0 ? json_null() :
	    json_boolean(r->on_ac != 0), &ok);
	be_json_set(o, "coordinate", coord_json(r), &ok);
	be_json_set(o, "devices", devs, &ok);
	return be_json_finish(o, ok);
}

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t	 ncap;
	void	*np;

	if (need <= *cap)
		return 0;
	ncap = *cap > 0 ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static void
add_reports(struct view *v, const char *origin, const struct ag_record *r)
{
	struct view_report	*p;
	int			 k, nl;

	nl = r->nlinks < 0 ? 0 : r->nlinks > AG_RECORD_MAX_LINKS ?
	    AG_RECORD_MAX_LINKS : r->nlinks;
	if (grow((void **)&v->reps, &v->capreps, v->nreps + (size_t)nl,
	    sizeof *v->reps) != 0) {
		v->failed = 1;
		return;
	}
	for (k = 0; k < nl; k++) {
		const struct ag_record_link *l = &r->links[k];

		if (strnlen(l->peer, sizeof l->peer) == sizeof l->peer ||
		    strcmp(l->peer, origin) == 0)
			continue;	/* not an id, or a loop */
		p = &v->reps[v->nreps++];
		(void)snprintf(p->a, sizeof p->a, "%s", origin);
		(void)snprintf(p->b, sizeof p->b, "%s", l->peer);
		(void)snprintf(p->by, sizeof p->by, "%s", origin);
		p->rtt_s = l->rtt_s;
		p->bandwidth = l->bandwidth;
	}
}

/* ag_cluster_foreach_record's callback (r is reused: copy what we keep). */
static void
collect(const char *origin, const struct ag_record *r, void *arg)
{
	struct view		*v = arg;
	struct view_node	*vn;

	if (v->failed || v->nnodes >= VIEW_MAX_NODES ||
	    strlen(origin) >= sizeof vn->id)
		return;
	if (grow((void **)&v->nodes, &v->capnodes, v->nnodes + 1,
	    sizeof *v->nodes) != 0) {
		v->failed = 1;
		return;
	}
	vn = &v->nodes[v->nnodes++];
	(void)snprintf(vn->id, sizeof vn->id, "%s", origin);
	vn->obj = NULL;
	if (v->want_devices && (vn->obj = node_json(v, origin, r)) == NULL)
		v->failed = 1;
	if (v->want_links)
		add_reports(v, origin, r);
}

static int
cmp_node(const void *a, const void *b)
{
	return strcmp(((const struct view_node *)a)->id,
	    ((const struct view_node *)b)->id);
}

/*
 * Every record this node holds, ours first and the others in node id
 * order (the order both views answer in); 0 or -1 (out of memory).
 */
static int
view_collect(struct view *v)
{
	struct ag_cluster_status	 cs;
	struct ag_record		*self = NULL;

	ag_cluster_status(v->n->cluster, &cs);
	(void)snprintf(v->leader, sizeof v->leader, "%s", cs.leader);
	if (v->want_devices && (v->members = ag_cluster_members_json(
	    v->n->cluster, ag_node_peer_info, v->n)) == NULL)
		return -1;
	if (v->n->self_rec == NULL) {
		/* Not published yet: ourselves with no devices or links. */
		if ((self = malloc(sizeof *self)) == NULL)
			return -1;
		ag_record_init(self);
		(void)snprintf(self->name, sizeof self->name, "%s",
		    v->n->name);
	}
	collect(v->n->trust.node_id, self != NULL ? self : v->n->self_rec, v);
	free(self);
	ag_cluster_foreach_record(v->n->cluster, collect, v);
	if (v->failed || v->nnodes == 0)
		return -1;
	qsort(v->nodes + 1, v->nnodes - 1, sizeof *v->nodes, cmp_node);
	return 0;
}

/* --- GET /v1/devices ---------------------------------------------------- */

void
ag_node_api_devices(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct view	 v;
	json_t		*a = NULL;
	size_t		 i;
	int		 ok = 1;

	memset(&v, 0, sizeof v);
	v.n = ctx;
	v.want_devices = 1;
	if (view_collect(&v) == 0 && (a = json_array()) != NULL) {
		for (i = 0; i < v.nnodes; i++) {
			be_json_append(a, v.nodes[i].obj, &ok);
			v.nodes[i].obj = NULL;	/* handed over */
		}
	}
	view_free(&v);
	if ((a = be_json_finish(a, ok)) == NULL) {
		ag_api_error(r, 500, "internal", "cannot build the device list");
		return;
	}
	r->status = 200;
	r->body = json_pack("{s:o}", "nodes", a);
}

/* --- GET /v1/links ------------------------------------------------------ */

static int
known_node(const struct view *v, const char *id)
{
	struct view_node	key;

	if (strcmp(v->nodes[0].id, id) == 0)
		return 1;
	(void)snprintf(key.id, sizeof key.id, "%s", id);
	return bsearch(&key, v->nodes + 1, v->nnodes - 1, sizeof *v->nodes,
	    cmp_node) != NULL;
}

static int
cmp_report(const void *x, const void *y)
{
	const struct view_report	*a = x, *b = y;
	int				 c;

	if ((c = strcmp(a->a, b->a)) != 0 || (c = strcmp(a->b, b->b)) != 0)
		return c;
	return strcmp(a->by, b->by);
}

/* Drops reports about nodes we hold no record of and orders each pair. */
static void
normalise_reports(struct view *v)
{
	char	tmp[SEC_NODE_ID_SIZE];
	size_t	i, k = 0;

	for (i = 0; i < v->nreps; i++) {
		struct view_report *p = &v->reps[i];

		if (!known_node(v, p->b))
			continue;
		if (strcmp(p->a, p->b) > 0) {
			memcpy(tmp, p->a, sizeof tmp);
			memcpy(p->a, p->b, sizeof p->a);
			memcpy(p->b, tmp, sizeof p->b);
		}
		v->reps[k++] = *p;
	}
	v->nreps = k;
	if (v->nreps > 1)	/* reps is NULL when there are none */
		qsort(v->reps, v->nreps, sizeof *v->reps, cmp_report);
}

/* reps[s..e): one pair's reports, merged into one link. */
static json_t *
link_json(const struct view_report *reps, size_t s, size_t e)
{
	json_t	*o = json_object(), *by = json_array();
	double	 rtt = INFINITY, bw = INFINITY;
	size_t	 i;
	int	 ok = 1;

	for (i = s; i < e; i++) {
		if (isfinite(reps[i].rtt_s) && reps[i].rtt_s >= 0 &&
		    reps[i].rtt_s < rtt)
			rtt = reps[i].rtt_s;
		if (isfinite(reps[i].bandwidth) && reps[i].bandwidth > 0 &&
		    reps[i].bandwidth < bw)
			bw = reps[i].bandwidth;
		if (i == s || strcmp(reps[i].by, reps[i - 1].by) != 0)
			be_json_append(by, json_string(reps[i].by), &ok);
	}
	be_json_set(o, "a", json_string(reps[s].a), &ok);
	be_json_set(o, "b", json_string(reps[s].b), &ok);
	be_json_set(o, "rtt_s", be_json_num(rtt), &ok);
	be_json_set(o, "latency_s", be_json_num(rtt / 2), &ok);
	be_json_set(o, "bandwidth_bytes_per_s", be_json_num(bw), &ok);
	be_json_set(o, "reported_by", by, &ok);
	return be_json_finish(o, ok);
}

void
ag_node_api_links(void *ctx, struct evhttp_request *req,
    struct ag_api_reply *r)
{
	struct view	 v;
	json_t		*ids = NULL, *links = NULL;
	size_t		 i, s, e;
	int		 ok = 1;

	memset(&v, 0, sizeof v);
	v.n = ctx;
	v.want_links = 1;
	if (view_collect(&v) == 0) {
		ids = json_array();
		links = json_array();
		for (i = 0; i < v.nnodes; i++)
			be_json_append(ids, json_string(v.nodes[i].id), &ok);
		normalise_reports(&v);
		for (s = 0; s < v.nreps; s = e) {
			for (e = s; e < v.nreps &&
			    strcmp(v.reps[e].a, v.reps[s].a) == 0 &&
			    strcmp(v.reps[e].b, v.reps[s].b) == 0; e++)
				;
			be_json_append(links, link_json(v.reps, s, e), &ok);
		}
	} else
		ok = 0;
	view_free(&v);
	if (!ok || ids == NULL || links == NULL) {
		json_decref(ids);
		json_decref(links);
		ag_api_error(r, 500, "internal", "cannot build the link list");
		return;
	}
	r->status = 200;
	r->body = json_pack("{s:o, s:o}", "nodes", ids, "links", links);
}
