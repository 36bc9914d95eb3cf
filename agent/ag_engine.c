/*
 * ag_engine.c - the pure half of running placed stages: command
 * templates, finding the engine's binaries, device names, backoff and
 * the RPC hello (see ag_engine.h; the processes are ag_worker.c).
 */
#include "ag_engine.h"

#include <sys/stat.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const ag_engine_rpc_names[] = { "ggml-rpc-server", "rpc-server",
    NULL };
const char *const ag_engine_llama_names[] = { "llama-server", NULL };

#define PLAIN	"0123456789abcdefghijklmnopqrstuvwxyz" \
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ._-"

struct out {
	struct ag_engine_argv	*a;
	size_t			 used;
	int			 inword;
	int			 bad;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->bad)
		return;
	if (!o->inword) {
		if (o->a->argc >= AG_ENGINE_MAX_ARGS) {
			o->bad = 1;
			return;
		}
		o->a->argv[o->a->argc++] = o->a->buf + o->used;
		o->inword = 1;
	}
	if (o->used + n + 1 >= sizeof o->a->buf) {
		o->bad = 1;
		return;
	}
	memcpy(o->a->buf + o->used, s, n);
	o->used += n;
	o->a->buf[o->used] = '\0';
}

static void
end_word(struct out *o)
{
	if (o->inword && !o->bad)
		o->used++;	/* keep the terminator */
	o->inword = 0;
}

/* The value of the placeholder at p (after '%'), its length in *n. */
static int
placeholder(const char *p, const struct ag_engine_vars *v, char *val,
    size_t vlen, size_t *n)
{
	static const char *const names[] = { "PORT%", "HOST%", "DEVICE%",
	    "ENGINE_DEVICE%", "PLACEMENT%", "STAGE%", "%", NULL };
	size_t	i;

	for (i = 0; names[i] != NULL; i++)
		if (strncmp(p, names[i], strlen(names[i])) == 0)
			break;
	if (names[i] == NULL)
		return -1;
	*n = strlen(names[i]);
	switch (i) {
	case 0: (void)snprintf(val, vlen, "%d", v->port); break;
	case 1: (void)snprintf(val, vlen, "%s", v->host ? v->host : ""); break;
	case 2: (void)snprintf(val, vlen, "%s", v->device ? v->device : "");
		break;
	case 3: (void)snprintf(val, vlen, "%s", v->engine_device ?
		    v->engine_device : "");
		break;
	case 4: (void)snprintf(val, vlen, "%" PRIu64, v->placement); break;
	case 5: (void)snprintf(val, vlen, "%u", v->stage); break;
	default: (void)snprintf(val, vlen, "%%"); break;
	}
	return 0;
}

int
ag_engine_expand(const char *tmpl, const struct ag_engine_vars *v,
    struct ag_engine_argv *a, char *err, size_t errlen)
{
	struct out	o = { a, 0, 0, 0 };
	char		val[256], quote = 0;
	const char	*p;
	size_t		n;

	memset(a, 0, sizeof *a);
	for (p = tmpl; *p != '\0' && !o.bad; p++) {
		if (quote != 0 && *p == quote) {
			quote = 0;
			continue;
		}
		if (quote == 0 && (*p == '\'' || *p == '"')) {
			quote = *p;
			put(&o, "", 0);		/* '' is an empty word */
			continue;
		}
		if (quote == 0 && (*p == ' ' || *p == '\t')) {
			end_word(&o);
			continue;
		}
		if (*p == '%') {
			if (placeholder(p + 1, v, val, sizeof val, &n) != 0) {
				(void)snprintf(err, errlen, "unknown "
				    "placeholder at '%.20s' (known: %%PORT%% "
				    "%%HOST%% %%DEVICE%% %%ENGINE_DEVICE%% "
				    "%%PLACEMENT%% %%STAGE%% %%%%)", p);
				return -1;
			}
			put(&o, val, strlen(val));
			p += n;
			continue;
		}
		put(&o, p, 1);
	}
	end_word(&o);
	if (o.bad) {
		(void)snprintf(err, errlen, "command longer than %d words or "
		    "%d bytes", AG_ENGINE_MAX_ARGS, AG_ENGINE_ARGS_BYTES);
		return -1;
	}
	if (quote != 0) {
		(void)snprintf(err, errlen, "unbalanced %c in the command",
		    quote);
		return -1;
	}
	if (a->argc == 0 || a->argv[0][0] == '\0') {
		(void)snprintf(err, errlen, "empty command");
		return -1;
	}
	a->argv[a->argc] = NULL;
	return 0;
}

static int
executable(const char *path)
{
	struct stat	st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

int
ag_engine_find(const char *given, const char *const *names, const char *path,
    char *out, size_t outlen, char *err, size_t errlen)
{
	const char	*d, *e;
	size_t		 i, dl;
	int		 w;

	if (given != NULL && given[0] != '\0') {
		if (!executable(given)) {
			(void)snprintf(err, errlen, "%s is not an executable "
			    "file", given);
			return -1;
		}
		w = snprintf(out, outlen, "%s", given);
		return w < 0 || (size_t)w >= outlen ? -1 : 0;
	}
	for (i = 0; names[i] != NULL; i++)
		for (d = path; d != NULL && *d != '\0'; d = *e ? e + 1 : e) {
			e = strchr(d, ':');
			if (e == NULL)
				e = d + strlen(d);
			dl = (size_t)(e - d);
			if (dl == 0)
				continue;	/* "" is the cwd: never */
			w = snprintf(out, outlen, "%.*s/%s", (int)dl, d,
			    names[i]);
			if (w > 0 && (size_t)w < outlen && executable(out))
				return 0;
		}
	out[0] = '\0';
	(void)snprintf(err, errlen, "no %s%s%s on PATH", names[0],
	    names[1] != NULL ? " or " : "", names[1] != NULL ? names[1] : "");
	return -1;
}

/* Entry of map for device: its NAME into out. */
static int
map_lookup(const char *map, const char *device, char *out, size_t outlen)
{
	const char	*p = map, *eq, *end;
	size_t		 dl = strlen(device);

	while (p != NULL && *p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq != NULL && (size_t)(eq - p) == dl &&
		    strncmp(p, device, dl) == 0 && end - eq - 1 > 0 &&
		    (size_t)(end - eq - 1) < outlen) {
			memcpy(out, eq + 1, (size_t)(end - eq - 1));
			out[end - eq - 1] = '\0';
			return 0;
		}
		p = *end ? end + 1 : end;
	}
	return -1;
}

int
ag_engine_device_name(const char *map, const char *device, char *out,
    size_t outlen)
{
	if (map != NULL && map_lookup(map, device, out, outlen) == 0)
		return 0;
	if (strcmp(device, "cpu") == 0 && outlen > 3) {
		(void)snprintf(out, outlen, "CPU");
		return 0;
	}
	return -1;
}

int
ag_engine_map_valid(const char *map)
{
	const char	*p = map, *eq, *end;

	while (*p != '\0') {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL || eq == p || eq + 1 == end)
			return 0;
		/* device ids may hold ':' (pci-0000:01:00.0) */
		if (strspn(p, PLAIN ":") < (size_t)(eq - p) ||
		    strspn(eq + 1, PLAIN) < (size_t)(end - eq - 1))
			return 0;
		p = *end ? end + 1 : end;
	}
	return 1;
}

double
ag_engine_backoff(unsigned failures)
{
	double	d = AG_ENGINE_BACKOFF_MIN_S;

	while (failures-- > 1 && d < AG_ENGINE_BACKOFF_MAX_S)
		d *= 2;
	return d < AG_ENGINE_BACKOFF_MAX_S ? d : AG_ENGINE_BACKOFF_MAX_S;
}

#define RPC_CMD_HELLO		14
#define RPC_PROTO_MAJOR		5

void
ag_engine_rpc_hello(uint8_t out[AG_ENGINE_RPC_HELLO_LEN])
{
	memset(out, 0, AG_ENGINE_RPC_HELLO_LEN);
	out[0] = RPC_CMD_HELLO;
	out[1] = 24;		/* sizeof(rpc_msg_hello_req), little-endian */
}

int
ag_engine_rpc_reply(const uint8_t *b, size_t len, char *ver, size_t verlen)
{
	uint64_t	size = 0;
	int		i;

	if (len < 8)
		return 0;
	for (i = 7; i >= 0; i--)
		size = size << 8 | b[i];
	if (size != 28) {
		(void)snprintf(ver, verlen, "a hello reply of %" PRIu64
		    " bytes, not 28 (not llama.cpp's RPC protocol 5)", size);
		return -1;
	}
	if (len < AG_ENGINE_RPC_REPLY_LEN)
		return 0;
	if (b[8] != RPC_PROTO_MAJOR) {
		(void)snprintf(ver, verlen, "RPC protocol %u.%u.%u, not 5.x",
		    b[8], b[9], b[10]);
		return -1;
	}
	(void)snprintf(ver, verlen, "%u.%u.%u", b[8], b[9], b[10]);
	return 1;
}
