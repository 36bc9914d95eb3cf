/*
 * ag_planio.c - strict readers of cluster/model JSON and the plan writer
 * (see ag_planio.h; formats in docs/placement.md).
 *
 * Each reader walks the jansson tree with a small "where am I" path so
 * that every message names the exact field.  Unknown keys are ignored, so
 * a snapshot exported with extra fields still loads; everything the cost
 * model uses is checked for type, range and finiteness.
 */
#include "ag_planio.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ag_fileio.h"
#include "pl_gguf.h"

#define MAX_DTYPES	16

static int
bad(char *err, size_t errlen, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
bad(char *err, size_t errlen, const char *file, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(err, errlen, "%s: ", file);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static json_t *
load(const char *buf, size_t len, const char *file, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*root;

	if (len > AG_PLANIO_MAX_BYTES) {
		(void)bad(err, errlen, file, "larger than %u bytes",
		    AG_PLANIO_MAX_BYTES);
		return NULL;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		(void)bad(err, errlen, file, "line %d column %d: %s", je.line,
		    je.column, je.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		(void)bad(err, errlen, file, "must be a JSON object");
		return NULL;
	}
	return root;
}

/* Field readers: 0 on success, else -1 with "<file>: <at>.<key>: why". */

static int
get_str(json_t *obj, const char *key, const char *file, const char *at,
    char *out, size_t outlen, char *err, size_t errlen)
{
	json_t		*v = json_object_get(obj, key);
	const char	*s;

	if (v == NULL)
		return bad(err, errlen, file, "%s%s: missing", at, key);
	if (!json_is_string(v) || (s = json_string_value(v))[0] == '\0' ||
	    json_string_length(v) >= outlen || strlen(s) != json_string_length(v))
		return bad(err, errlen, file, "%s%s: must be a non-empty "
		    "string of at most %zu bytes", at, key, outlen - 1);
	(void)strcpy(out, s);
	return 0;
}

/* A non-negative (or, with positive, positive) integer. */
static int
get_u64(json_t *obj, const char *key, int positive, const char *file,
    const char *at, uint64_t *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);
	double	 d;

	if (v == NULL)
		return bad(err, errlen, file, "%s%s: missing", at, key);
	if (json_is_integer(v) && json_integer_value(v) >= (positive ? 1 : 0)) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (isfinite(d) && d == floor(d) && d >= (positive ? 1 : 0) &&
		    d < 18446744073709551616.0) {
			*out = (uint64_t)d;
			return 0;
		}
	}
	return bad(err, errlen, file, "%s%s: must be a %s integer", at, key,
	    positive ? "positive" : "non-negative");
}

/* A finite number > 0 (positive) or >= 0. */
static int
get_num(json_t *obj, const char *key, int positive, const char *file,
    const char *at, double *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);
	double	 d;

	if (v == NULL)
		return bad(err, errlen, file, "%s%s: missing", at, key);
	if (json_is_number(v)) {
		d = json_number_value(v);
		if (isfinite(d) && (positive ? d > 0 : d >= 0)) {
			*out = d;
			return 0;
		}
	}
	return bad(err, errlen, file, "%s%s: must be a %s number", at, key,
	    positive ? "positive" : "non-negative");
}

/* Any finite number (temperatures). */
static int
get_finite(json_t *obj, const char *key, const char *file, const char *at,
    double *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL)
		return bad(err, errlen, file, "%s%s: missing", at, key);
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return bad(err, errlen, file, "%s%s: must be a number", at,
		    key);
	*out = json_number_value(v);
	return 0;
}

static int
get_bool(json_t *obj, const char *key, int required, const char *file,
    const char *at, int *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL) {
		if (required)
			return bad(err, errlen, file, "%s%s: missing", at, key);
		return 0;
	}
	if (!json_is_boolean(v))
		return bad(err, errlen, file, "%s%s: must be true or false",
		    at, key);
	*out = json_is_true(v);
	return 0;
}

static int
get_dtypes(json_t *obj, const char *file, const char *at, unsigned *out,
    char *err, size_t errlen)
{
	json_t		*v = json_object_get(obj, "dtypes"), *e;
	enum pl_dtype	 dt;
	size_t		 i;

	if (v == NULL)
		return bad(err, errlen, file, "%sdtypes: missing", at);
	if (!json_is_array(v) || json_array_size(v) > MAX_DTYPES)
		return bad(err, errlen, file, "%sdtypes: must be an array of "
		    "at most %d dtype names", at, MAX_DTYPES);
	*out = 0;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) ||
		    pl_dtype_parse(json_string_value(e), &dt) != 0)
			return bad(err, errlen, file, "%sdtypes[%zu]: unknown "
			    "dtype (fp32, fp16, bf16, q8_0, q4_0, int8, "
			    "ggml_quant)", at,
			    i);
		*out |= PL_DT_BIT(dt);
	}
	return 0;
}

static int
get_thermal(json_t *dev, const char *file, const char *at,
    struct pl_device *d, char *err, size_t errlen)
{
	json_t			*t = json_object_get(dev, "thermal");
	struct pl_thermal	*th = &d->thermal;
	char			 sub[96];

	if (t == NULL || json_is_null(t))
		return 0;
	(void)snprintf(sub, sizeof sub, "%sthermal.", at);
	if (!json_is_object(t))
		return bad(err, errlen, file, "%sthermal: must be an object",
		    at);
	memset(th, 0, sizeof *th);
	if (get_finite(t, "temperature_c", file, sub, &th->temperature_c, err,
	    errlen) != 0 ||
	    get_finite(t, "ambient_c", file, sub, &th->ambient_c, err,
	    errlen) != 0 ||
	    get_finite(t, "throttle_c", file, sub, &th->throttle_c, err,
	    errlen) != 0 ||
	    get_num(t, "r_c_per_w", 1, file, sub, &th->r_c_per_w, err,
	    errlen) != 0 ||
	    get_num(t, "c_j_per_c", 1, file, sub, &th->c_j_per_c, err,
	    errlen) != 0 ||
	    get_num(t, "power_w", 0, file, sub, &th->power_w, err,
	    errlen) != 0 ||
	    get_bool(t, "paused", 0, file, sub, &th->paused, err, errlen) != 0)
		return -1;
	if (th->temperature_c < -273.15 || th->ambient_c < -273.15)
		return bad(err, errlen, file, "%sthermal: temperature below "
		    "absolute zero", at);
	if (th->throttle_c <= th->ambient_c)
		return bad(err, errlen, file, "%sthermal.throttle_c: must be "
		    "above ambient_c", at);
	d->has_thermal = 1;
	return 0;
}

/* An optional string field (absent: out untouched). */
static int
opt_str(json_t *obj, const char *key, const char *file, const char *at,
    char *out, size_t outlen, char *err, size_t errlen)
{
	if (json_object_get(obj, key) == NULL)
		return 0;
	return get_str(obj, key, file, at, out, outlen, err, errlen);
}

/*
 * v2 fields of a device: booked_bytes, memory_pool (devices naming one
 * pool share its memory; all on one node), rpc, engine_device.
 */
static int
parse_device_v2(struct pl_cluster *c, json_t *dev, const char *file,
    const char *at, struct pl_device *d, char pools[][PL_NAME_MAX],
    size_t *pool_node, char *err, size_t errlen)
{
	char	pool[PL_NAME_MAX] = "";
	size_t	q;

	if (json_object_get(dev, "booked_bytes") != NULL &&
	    get_u64(dev, "booked_bytes", 0, file, at, &d->booked_bytes, err,
	    errlen) != 0)
		return -1;
	if (opt_str(dev, "memory_pool", file, at, pool, sizeof pool, err,
	    errlen) != 0 ||
	    opt_str(dev, "rpc", file, at, d->rpc, sizeof d->rpc, err,
	    errlen) != 0 ||
	    opt_str(dev, "engine_device", file, at, d->engine_device,
	    sizeof d->engine_device, err, errlen) != 0)
		return -1;
	if (d->rpc[0] != '\0' && (strchr(d->rpc, ':') == NULL ||
	    strspn(d->rpc, "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:[]") != strlen(d->rpc)))
		return bad(err, errlen, file, "%srpc: must be host:port", at);
	if (d->engine_device[0] != '\0' && strspn(d->engine_device,
	    "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ._-") != strlen(d->engine_device))
		return bad(err, errlen, file, "%sengine_device: letters, "
		    "digits, '.', '_' and '-' only", at);
	if (pool[0] == '\0')
		return 0;
	for (q = 0; q < c->ndevices && pools[q][0] != '\0'; q++)
		if (strcmp(pools[q], pool) == 0)
			break;
	if (q < c->ndevices && pools[q][0] != '\0') {
		if (pool_node[q] != d->node)
			return bad(err, errlen, file, "%smemory_pool: \"%s\" "
			    "is on another node", at, pool);
	} else {
		(void)strcpy(pools[q], pool);
		pool_node[q] = d->node;
	}
	d->pool = (uint32_t)q + 1;
	return 0;
}

static int
parse_device(struct pl_cluster *c, json_t *dev, size_t i, const char *file,
    char pools[][PL_NAME_MAX], size_t *pool_node, char *err, size_t errlen)
{
	struct pl_device	d;
	char			at[48], node[PL_NAME_MAX];
	size_t			j;

	(void)snprintf(at, sizeof at, "devices[%zu].", i);
	if (!json_is_object(dev))
		return bad(err, errlen, file, "devices[%zu]: must be an object",
		    i);
	memset(&d, 0, sizeof d);
	if (get_str(dev, "id", file, at, d.id, sizeof d.id, err, errlen) != 0 ||
	    get_str(dev, "node", file, at, node, sizeof node, err,
	    errlen) != 0 ||
	    get_u64(dev, "memory_bytes", 1, file, at, &d.memory_bytes, err,
	    errlen) != 0 ||
	    get_num(dev, "memory_bandwidth_bytes_per_s", 1, file, at,
	    &d.bandwidth, err, errlen) != 0 ||
	    get_num(dev, "flops_per_s", 1, file, at, &d.flops, err,
	    errlen) != 0 ||
	    get_dtypes(dev, file, at, &d.dtypes, err, errlen) != 0 ||
	    get_bool(dev, "eligible", 1, file, at, &d.eligible, err,
	    errlen) != 0 ||
	    get_thermal(dev, file, at, &d, err, errlen) != 0)
		return -1;
	for (j = 0; j < c->ndevices; j++)
		if (strcmp(c->devices[j].id, d.id) == 0)
			return bad(err, errlen, file, "%sid: \"%s\" duplicates "
			    "devices[%zu]", at, d.id, j);
	if (pl_cluster_node(c, node, &d.node) != 0)
		return bad(err, errlen, file, "devices[%zu]: %s", i,
		    strerror(errno));
	if (parse_device_v2(c, dev, file, at, &d, pools, pool_node, err,
	    errlen) != 0)
		return -1;
	if (pl_cluster_add_device(c, &d) != 0)
		return bad(err, errlen, file, "devices[%zu]: %s", i,
		    strerror(errno));
	return 0;
}

static int
parse_link(struct pl_cluster *c, json_t *l, size_t i, const char *file,
    char *err, size_t errlen)
{
	char	at[48], a[PL_NAME_MAX], b[PL_NAME_MAX];
	size_t	na, nb;
	double	lat, bw;

	(void)snprintf(at, sizeof at, "links[%zu].", i);
	if (!json_is_object(l))
		return bad(err, errlen, file, "links[%zu]: must be an object",
		    i);
	if (get_str(l, "a", file, at, a, sizeof a, err, errlen) != 0 ||
	    get_str(l, "b", file, at, b, sizeof b, err, errlen) != 0 ||
	    get_num(l, "latency_s", 0, file, at, &lat, err, errlen) != 0 ||
	    get_num(l, "bandwidth_bytes_per_s", 1, file, at, &bw, err,
	    errlen) != 0)
		return -1;
	if (pl_cluster_find_node(c, a, &na) != 0)
		return bad(err, errlen, file, "%sa: no device is on node "
		    "\"%s\"", at, a);
	if (pl_cluster_find_node(c, b, &nb) != 0)
		return bad(err, errlen, file, "%sb: no device is on node "
		    "\"%s\"", at, b);
	if (na == nb)
		return bad(err, errlen, file, "links[%zu]: links node \"%s\" "
		    "to itself (use intra_node)", i, a);
	if (pl_cluster_link(c, na, nb) != NULL)
		return bad(err, errlen, file, "links[%zu]: a second link "
		    "between \"%s\" and \"%s\"", i, a, b);
	if (pl_cluster_add_link(c, na, nb, lat, bw) != 0)
		return bad(err, errlen, file, "links[%zu]: %s", i,
		    strerror(errno));
	return 0;
}

static int
parse_intra(struct pl_cluster *c, json_t *obj, const char *file, char *err,
    size_t errlen)
{
	const char	*key;
	json_t		*v;
	char		 at[PL_NAME_MAX + 32];
	size_t		 n;

	if (!json_is_object(obj))
		return bad(err, errlen, file, "intra_node: must be an object");
	json_object_foreach(obj, key, v) {
		if (strlen(key) >= PL_NAME_MAX)
			return bad(err, errlen, file, "intra_node: node name "
			    "too long");
		(void)snprintf(at, sizeof at, "intra_node.%s.", key);
		if (pl_cluster_find_node(c, key, &n) != 0)
			return bad(err, errlen, file, "intra_node.%s: no device "
			    "is on that node", key);
		if (!json_is_object(v))
			return bad(err, errlen, file, "intra_node.%s: must be "
			    "an object", key);
		if (get_num(v, "latency_s", 0, file, at,
		    &c->nodes[n].intra_latency_s, err, errlen) != 0 ||
		    get_num(v, "bandwidth_bytes_per_s", 1, file, at,
		    &c->nodes[n].intra_bandwidth, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* The llama.cpp client node: any name, created when no device is on it. */
static int
parse_client(struct pl_cluster *c, json_t *root, const char *file, char *err,
    size_t errlen)
{
	char	name[PL_NAME_MAX];

	if (json_object_get(root, "client") == NULL)
		return 0;
	if (get_str(root, "client", file, "", name, sizeof name, err,
	    errlen) != 0)
		return -1;
	if (pl_cluster_node(c, name, &c->client) != 0)
		return bad(err, errlen, file, "client: %s", strerror(errno));
	c->has_client = 1;
	return 0;
}

int
ag_planio_parse_cluster(const char *buf, size_t len, const char *file,
    struct pl_cluster *c, char *err, size_t errlen)
{
	json_t	*root, *devs, *links, *intra, *e;
	size_t	 i, *pool_node = NULL;
	char	(*pools)[PL_NAME_MAX] = NULL;

	pl_cluster_init(c);
	if ((root = load(buf, len, file, err, errlen)) == NULL)
		return -1;
	devs = json_object_get(root, "devices");
	if (devs == NULL || !json_is_array(devs)) {
		(void)bad(err, errlen, file, "devices: %s", devs == NULL ?
		    "missing" : "must be an array");
		goto fail;
	}
	if (json_array_size(devs) > PL_MAX_DEVICES) {
		(void)bad(err, errlen, file, "devices: more than %d",
		    PL_MAX_DEVICES);
		goto fail;
	}
	if ((pools = calloc(json_array_size(devs) + 1, sizeof *pools)) ==
	    NULL || (pool_node = calloc(json_array_size(devs) + 1,
	    sizeof *pool_node)) == NULL) {
		(void)bad(err, errlen, file, "out of memory");
		goto fail;
	}
	json_array_foreach(devs, i, e)
		if (parse_device(c, e, i, file, pools, pool_node, err,
		    errlen) != 0)
			goto fail;
	if (parse_client(c, root, file, err, errlen) != 0)
		goto fail;
	if ((links = json_object_get(root, "links")) != NULL) {
		if (!json_is_array(links)) {
			(void)bad(err, errlen, file, "links: must be an array");
			goto fail;
		}
		if (json_array_size(links) > AG_PLANIO_MAX_LINKS) {
			(void)bad(err, errlen, file, "links: more than %d",
			    AG_PLANIO_MAX_LINKS);
			goto fail;
		}
		json_array_foreach(links, i, e)
			if (parse_link(c, e, i, file, err, errlen) != 0)
				goto fail;
	}
	if ((intra = json_object_get(root, "intra_node")) != NULL &&
	    parse_intra(c, intra, file, err, errlen) != 0)
		goto fail;
	free(pools);
	free(pool_node);
	json_decref(root);
	return 0;
fail:
	free(pools);
	free(pool_node);
	json_decref(root);
	pl_cluster_free(c);
	return -1;
}

int
ag_planio_parse_model(const char *buf, size_t len, const char *file,
    struct pl_model *m, char *err, size_t errlen)
{
	json_t		*root, *v;
	uint64_t	 layers;
	char		 dt[16];

	memset(m, 0, sizeof *m);
	if ((root = load(buf, len, file, err, errlen)) == NULL)
		return -1;
	if (get_str(root, "name", file, "", m->name, sizeof m->name, err,
	    errlen) != 0 ||
	    get_u64(root, "layers", 1, file, "", &layers, err, errlen) != 0)
		goto fail;
	if (layers > PL_MAX_LAYERS) {
		(void)bad(err, errlen, file, "layers: at most %u",
		    PL_MAX_LAYERS);
		goto fail;
	}
	m->layers = (uint32_t)layers;
	if (get_u64(root, "layer_bytes", 1, file, "", &m->layer_bytes, err,
	    errlen) != 0 ||
	    get_u64(root, "kv_bytes_per_token_per_layer", 0, file, "",
	    &m->kv_bytes_per_token_per_layer, err, errlen) != 0 ||
	    get_u64(root, "activation_bytes", 1, file, "",
	    &m->activation_bytes, err, errlen) != 0 ||
	    get_num(root, "flops_per_token_per_layer", 1, file, "",
	    &m->flops_per_token_per_layer, err, errlen) != 0 ||
	    get_u64(root, "embed_bytes", 0, file, "", &m->embed_bytes, err,
	    errlen) != 0 ||
	    get_u64(root, "head_bytes", 0, file, "", &m->head_bytes, err,
	    errlen) != 0)
		goto fail;
	if ((json_object_get(root, "head_flops_per_token") != NULL &&
	    get_num(root, "head_flops_per_token", 0, file, "",
	    &m->head_flops_per_token, err, errlen) != 0) ||
	    (json_object_get(root, "vocab") != NULL &&
	    get_u64(root, "vocab", 0, file, "", &m->vocab, err, errlen) != 0))
		goto fail;
	if (m->vocab > UINT32_MAX) {
		(void)bad(err, errlen, file, "vocab: at most %u", UINT32_MAX);
		goto fail;
	}
	v = json_object_get(root, "dtype");
	if (v == NULL) {
		(void)bad(err, errlen, file, "dtype: missing");
		goto fail;
	}
	if (!json_is_string(v) || json_string_length(v) >= sizeof dt ||
	    (strcpy(dt, json_string_value(v)), pl_dtype_parse(dt,
	    &m->dtype)) != 0) {
		(void)bad(err, errlen, file, "dtype: unknown dtype (fp32, "
		    "fp16, bf16, q8_0, q4_0, int8, ggml_quant)");
		goto fail;
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

static int
read_whole(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	return ag_read_file(path, AG_PLANIO_MAX_BYTES, buf, len, NULL, err,
	    errlen);
}

int
ag_planio_read_cluster(const char *path, struct pl_cluster *c, char *err,
    size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	pl_cluster_init(c);
	if (read_whole(path, &buf, &len, err, errlen) != 0)
		return -1;
	rc = ag_planio_parse_cluster(buf, len, path, c, err, errlen);
	free(buf);
	return rc;
}

int
ag_planio_read_model(const char *path, struct pl_model *m, char *err,
    size_t errlen)
{
	char	*buf;
	size_t	 len;
	int	 rc;

	if (read_whole(path, &buf, &len, err, errlen) != 0)
		return -1;
	rc = ag_planio_parse_model(buf, len, path, m, err, errlen);
	free(buf);
	return rc;
}

static long
gguf_pread(void *ctx, uint64_t off, void *buf, size_t len)
{
	ssize_t	n;

	if (off > (uint64_t)INT64_MAX)
		return -1;
	do
		n = pread(*(int *)ctx, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return (long)n;
}

int
ag_planio_read_gguf(const char *path, struct pl_model *m, char *err,
    size_t errlen)
{
	struct stat	 st;
	const char	*base;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "%s: not a regular file", path);
		(void)close(fd);
		return -1;
	}
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	rc = pl_gguf_read(gguf_pread, &fd, (uint64_t)st.st_size, base, m,
	    NULL, err, errlen);
	(void)close(fd);
	return rc;
}

/* A byte count: an integer while it fits json_int_t. */
static json_t *
json_u64(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) :
	    json_real((double)v);
}

/* json_object_set_new that tolerates a NULL value (reports failure). */
static int
put(json_t *o, const char *k, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, k, v);
}

json_t *
ag_planio_model_json(const struct pl_model *m)
{
	json_t	*o;
	int	 rc = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	rc |= put(o, "name", json_string(m->name));
	rc |= put(o, "layers", json_integer(m->layers));
	rc |= put(o, "layer_bytes", json_u64(m->layer_bytes));
	rc |= put(o, "kv_bytes_per_token_per_layer",
	    json_u64(m->kv_bytes_per_token_per_layer));
	rc |= put(o, "activation_bytes", json_u64(m->activation_bytes));
	rc |= put(o, "flops_per_token_per_layer",
	    json_real(m->flops_per_token_per_layer));
	rc |= put(o, "embed_bytes", json_u64(m->embed_bytes));
	rc |= put(o, "head_bytes", json_u64(m->head_bytes));
	rc |= put(o, "dtype", json_string(pl_dtype_name(m->dtype)));
	rc |= put(o, "head_flops_per_token",
	    json_real(m->head_flops_per_token));
	rc |= put(o, "vocab", json_u64(m->vocab));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
ag_planio_plan_json(const struct pl_cluster *c, const struct pl_model *m,
    const struct pl_request *rq, const struct pl_plan *p, double solve_ms,
    const struct pl_plan *base, const struct pl_plan *lbase)
{
	uint64_t	ctx = rq->context;
	json_t	*o, *stages, *s;
	size_t	 i;
	int	 rc = 0;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((stages = json_array()) == NULL) {
		json_decref(o);
		return NULL;
	}
	rc |= put(o, "model", json_string(m->name));
	rc |= put(o, "dtype", json_string(pl_dtype_name(m->dtype)));
	rc |= put(o, "context", json_integer((json_int_t)ctx));
	rc |= put(o, "engine", json_string(pl_engine_name(rq->engine)));
	rc |= put(o, "reserve", json_real(rq->reserve));
	rc |= put(o, "kv_fill_tokens", json_real(pl_request_fill(rq)));
	if (rq->engine == PL_ENGINE_LLAMA_CPP)
		rc |= put(o, "client", json_string(
		    c->nodes[pl_request_client(c, rq)].name));
	for (i = 0; i < p->nstages; i++) {
		const struct pl_device *d = &c->devices[p->stages[i].device];

		if ((s = json_object()) == NULL) {
			rc = -1;
			break;
		}
		rc |= put(s, "device", json_string(d->id));
		rc |= put(s, "node", json_string(c->nodes[d->node].name));
		rc |= put(s, "layer_start",
		    json_integer(p->stages[i].layer_start));
		rc |= put(s, "layer_end", json_integer(p->stages[i].layer_end));
		rc |= put(s, "memory_bytes", json_u64(p->stages[i].memory_bytes));
		rc |= json_array_append_new(stages, s);
	}
	rc |= json_object_set_new(o, "stages", stages);
	rc |= put(o, "latency_s", json_real(p->latency_s));
	rc |= put(o, "tokens_per_s", json_real(1.0 / p->latency_s));
	rc |= put(o, "optimal", json_boolean(p->optimal));
	rc |= put(o, "lower_bound_s", json_real(p->lower_bound_s));
	rc |= put(o, "solve_ms", json_real(solve_ms));
	rc |= put(o, "baseline_latency_s", base != NULL ?
	    json_real(base->latency_s) : json_null());
	rc |= put(o, "llama_default_latency_s", lbase != NULL ?
	    json_real(lbase->latency_s) : json_null());
	rc |= put(o, "method", json_string(pl_method_name(p->method)));
	rc |= put(o, "candidates", json_integer((json_int_t)p->candidates));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}
