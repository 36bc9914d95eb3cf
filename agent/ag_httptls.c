/*
 * ag_httptls.c - GnuTLS under evhttp through a bufferevent_filter; see
 * ag_httptls.h.
 *
 * Per connection: a socket bufferevent ("under", ciphertext) and a filter
 * over it (what evhttp sees, plaintext).  GnuTLS's transport reads and
 * writes under's evbuffers directly (pull answers EAGAIN when empty, so a
 * partial record just waits for more bytes).  The input filter drives
 * the handshake, then moves decrypted records into evhttp's input; the
 * output filter encrypts evhttp's output.
 *
 * Four quirks of libevent 2.1's filter shape the code:
 *   - its callbacks on the socket's bufferevent hold no reference on the
 *     filter: when evhttp frees the connection from inside one, the
 *     filter re-arms its write timeout after the free, and the timer
 *     fires on freed memory 10 s later.  under's callbacks are wrapped
 *     to hold one (hold_*);
 *   - it calls the output filter only while EV_WRITE is enabled, and
 *     evhttp enables it after queueing an answer, which the filter never
 *     notices: a callback on the output buffer kicks under's write
 *     callback (deferred, so it runs once evhttp has enabled writing);
 *   - evhttp closes a connection the moment the filter's output is empty,
 *     while the records may still sit in under's buffer: plaintext is
 *     encrypted one record at a time and drained from the filter's output
 *     only once under's buffer has gone to the socket;
 *   - filters cannot report errors or end of stream: those go to evhttp as
 *     deferred BEV_EVENT_ERROR / BEV_EVENT_EOF, after which both filters
 *     discard whatever still comes.
 */
#include "ag_httptls.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "sec_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#define AG_HTTPTLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define AG_HTTPTLS_RECORD	16384		/* plaintext per record */
#define AG_HTTPTLS_FILE_MAX	(256 * 1024)	/* a certificate or key file */
#define AG_HTTPTLS_WARN_S	60
#define AG_HTTPTLS_SOFT_MAX	8	/* non-fatal GnuTLS errors in a row */

struct ag_httptls {
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t		 prio;
	time_t				 warned;	/* last failure log */
	unsigned long			 failed;	/* since then */
};

struct conn {
	struct ag_httptls		*tls;
	gnutls_session_t		 s;
	struct bufferevent		*under;		/* socket, ciphertext */
	struct bufferevent		*bev;		/* filter, plaintext */
	struct evbuffer_cb_entry	*kick;		/* on bev's output */
	bufferevent_data_cb		 f_read, f_write;	/* the filter's */
	bufferevent_event_cb		 f_event;		/* on under */
	void				*f_arg;
	size_t				 inflight;	/* encrypted, not drained */
	int				 ready;		/* handshake done */
	int				 dead;		/* error or EOF reported */
};

int
ag_httptls_spec_valid(const char *spec)
{
	const char	*comma;

	if (spec[0] == '\0' || strcmp(spec, "node") == 0)
		return 1;
	comma = strchr(spec, ',');
	return comma != NULL && comma != spec && comma[1] != '\0' &&
	    strchr(comma + 1, ',') == NULL;
}

/* --- transport: GnuTLS reads and writes under's buffers ------------------ */

static ssize_t
pull(gnutls_transport_ptr_t p, void *buf, size_t n)
{
	struct conn	*c = p;
	struct evbuffer	*in = bufferevent_get_input(c->under);
	int		 got;

	if (evbuffer_get_length(in) == 0) {
		gnutls_transport_set_errno(c->s, EAGAIN);
		return -1;
	}
	if ((got = evbuffer_remove(in, buf, n)) < 0) {
		gnutls_transport_set_errno(c->s, EIO);
		return -1;
	}
	return got;
}

/* Only asked with a zero timeout here: is a byte waiting? */
static int
pull_timeout(gnutls_transport_ptr_t p, unsigned int ms)
{
	struct conn	*c = p;

	return evbuffer_get_length(bufferevent_get_input(c->under)) > 0;
}

static ssize_t
push(gnutls_transport_ptr_t p, const void *buf, size_t n)
{
	struct conn	*c = p;

	if (evbuffer_add(bufferevent_get_output(c->under), buf, n) != 0) {
		gnutls_transport_set_errno(c->s, ENOMEM);
		return -1;
	}
	return (ssize_t)n;
}

/* --- failures ------------------------------------------------------------ */

static void
note_failure(struct ag_httptls *t, const char *what, int rc)
{
	time_t	now = time(NULL);

	t->failed++;
	ag_log(AG_LOG_DEBUG, "api: TLS %s failed: %s", what,
	    gnutls_strerror(rc));
	if (t->warned != 0 && now - t->warned < AG_HTTPTLS_WARN_S)
		return;
	ag_log(AG_LOG_NOTICE, "api: closed %lu connection(s) for a TLS "
	    "failure (not TLS, or no common version); latest: %s: %s",
	    t->failed, what, gnutls_strerror(rc));
	t->warned = now;
	t->failed = 0;
}

/* Tells evhttp the connection is over (deferred: we are inside a filter). */
static void
report(struct conn *c, short what)
{
	c->dead = 1;
	bufferevent_trigger_event(c->bev, what, BEV_TRIG_DEFER_CALLBACKS);
}

static void
fail(struct conn *c, const char *what, int rc)
{
	note_failure(c->tls, what, rc);
	report(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
}

/* --- input: handshake, then records into evhttp's input ----------------- */

/* 0 once the handshake is done, -1 while it waits or after it failed. */
static int
handshake(struct conn *c)
{
	int	rc, soft = 0;

	for (;;) {
		rc = gnutls_handshake(c->s);
		if (rc == 0) {
			c->ready = 1;
			return 0;
		}
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
			return -1;
		if (gnutls_error_is_fatal(rc) || ++soft > AG_HTTPTLS_SOFT_MAX)
			break;
	}
	fail(c, "handshake", rc);
	return -1;
}

/* Decrypts what has arrived into dst; 1 if anything came. */
static int
receive(struct conn *c, struct evbuffer *dst)
{
	struct evbuffer_iovec	v;
	ssize_t			n;
	int			got = 0, soft = 0;

	while (!c->dead) {
		if (evbuffer_reserve_space(dst, AG_HTTPTLS_RECORD, &v, 1) < 1) {
			fail(c, "receive", GNUTLS_E_MEMORY_ERROR);
			break;
		}
		n = gnutls_record_recv(c->s, v.iov_base, v.iov_len);
		if (n > 0) {
			v.iov_len = (size_t)n;
			if (evbuffer_commit_space(dst, &v, 1) != 0) {
				fail(c, "receive", GNUTLS_E_MEMORY_ERROR);
				break;
			}
			got = 1;
			soft = 0;
		} else if (n == 0)	/* close_notify */
			report(c, BEV_EVENT_EOF | BEV_EVENT_READING);
		else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			break;
		else if (n == GNUTLS_E_REHANDSHAKE || gnutls_error_is_fatal(
		    (int)n) || ++soft > AG_HTTPTLS_SOFT_MAX)
			fail(c, "record", (int)n);
	}
	return got;
}

static enum bufferevent_filter_result
filter_in(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct conn	*c = arg;

	if (c == NULL || c->dead) {
		(void)evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_ERROR;
	}
	if (!c->ready && handshake(c) != 0)
		return c->dead ? BEV_ERROR : BEV_NEED_MORE;
	return receive(c, dst) ? BEV_OK : c->dead ? BEV_ERROR : BEV_NEED_MORE;
}

/* --- output: evhttp's plaintext into records ---------------------------- */

/* Runs under's write callback, hence the output filter, soon. */
static void
kick(struct conn *c, short what)
{
	bufferevent_trigger(c->under, what, BEV_TRIG_IGNORE_WATERMARKS |
	    BEV_TRIG_DEFER_CALLBACKS);
}

static void
output_added(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	if (info->n_added > 0 && !c->dead)
		kick(c, EV_WRITE);
}

static enum bufferevent_filter_result
filter_out(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
    enum bufferevent_flush_mode mode, void *arg)
{
	struct conn	*c = arg;
	unsigned char	*p;
	size_t		 n;
	ssize_t		 sent;

	if (c == NULL || c->dead) {
		(void)evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_ERROR;
	}
	if (!c->ready)
		return BEV_NEED_MORE;
	if (c->inflight > 0) {
		/* Drained only once on the wire: see the top of the file. */
		if (evbuffer_get_length(dst) > 0)
			return BEV_NEED_MORE;
		(void)evbuffer_drain(src, c->inflight);
		c->inflight = 0;
		/* A next request may wait in under's or GnuTLS's buffers. */
		if (evbuffer_get_length(src) == 0)
			kick(c, EV_READ);
		return BEV_OK;
	}
	if ((n = evbuffer_get_length(src)) == 0)
		return BEV_NEED_MORE;
	if (n > AG_HTTPTLS_RECORD)
		n = AG_HTTPTLS_RECORD;
	if ((p = evbuffer_pullup(src, (ev_ssize_t)n)) == NULL) {
		fail(c, "send", GNUTLS_E_MEMORY_ERROR);
		return BEV_ERROR;
	}
	/* push() never blocks, so a record is sent whole or not at all. */
	if ((sent = gnutls_record_send(c->s, p, n)) <= 0) {
		fail(c, "send", sent < 0 ? (int)sent : GNUTLS_E_INTERNAL_ERROR);
		return BEV_ERROR;
	}
	c->inflight = (size_t)sent;
	return BEV_NEED_MORE;
}

/* --- connections --------------------------------------------------------- */

/* under's callbacks: the filter's own, with a reference held across. */
static void
hold_read(struct bufferevent *under, void *arg)
{
	struct conn		*c = arg;
	struct bufferevent	*bev = c->bev;

	bufferevent_incref(bev);
	c->f_read(under, c->f_arg);
	(void)bufferevent_decref(bev);
}

static void
hold_write(struct bufferevent *under, void *arg)
{
	struct conn		*c = arg;
	struct bufferevent	*bev = c->bev;

	bufferevent_incref(bev);
	c->f_write(under, c->f_arg);
	(void)bufferevent_decref(bev);
}

static void
hold_event(struct bufferevent *under, short what, void *arg)
{
	struct conn		*c = arg;
	struct bufferevent	*bev = c->bev;

	bufferevent_incref(bev);
	c->f_event(under, what, c->f_arg);
	(void)bufferevent_decref(bev);
}

/* Wraps the callbacks the filter put on under; 0, or -1 if it put none. */
static int
hold(struct conn *c)
{
	bufferevent_getcb(c->under, &c->f_read, &c->f_write, &c->f_event,
	    &c->f_arg);
	if (c->f_read == NULL || c->f_write == NULL || c->f_event == NULL)
		return -1;
	bufferevent_setcb(c->under, hold_read, hold_write, hold_event, c);
	return 0;
}

static void
conn_free(void *arg)
{
	struct conn	*c = arg;

	if (c == NULL)
		return;
	if (c->kick != NULL)
		(void)evbuffer_remove_cb_entry(bufferevent_get_output(c->bev),
		    c->kick);
	if (c->s != NULL)
		gnutls_deinit(c->s);
	free(c);
}

static int
session_new(struct conn *c)
{
	if (gnutls_init(&c->s, GNUTLS_SERVER | GNUTLS_NONBLOCK |
	    GNUTLS_NO_TICKETS) < 0) {
		c->s = NULL;
		return -1;
	}
	if (gnutls_priority_set(c->s, c->tls->prio) < 0 ||
	    gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE,
	    c->tls->creds) < 0)
		return -1;
	gnutls_certificate_server_set_request(c->s, GNUTLS_CERT_IGNORE);
	gnutls_handshake_set_timeout(c->s, 0);	/* evhttp's timeout bounds it */
	gnutls_transport_set_ptr(c->s, c);
	gnutls_transport_set_pull_function(c->s, pull);
	gnutls_transport_set_pull_timeout_function(c->s, pull_timeout);
	gnutls_transport_set_push_function(c->s, push);
	return 0;
}

struct bufferevent *
ag_httptls_bevcb(struct event_base *base, void *arg)
{
	struct conn		*c;
	struct bufferevent	*under, *bev;

	if ((under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE))
	    == NULL)
		return NULL;
	/*
	 * A connection whose TLS could not be set up still gets a filter,
	 * one that discards every byte until evhttp's timeout (a NULL
	 * context): returning NULL would make evhttp serve it in plain text.
	 */
	if ((c = calloc(1, sizeof *c)) != NULL) {
		c->tls = arg;
		c->under = under;
		if (session_new(c) != 0) {
			conn_free(c);
			c = NULL;
		}
	}
	bev = bufferevent_filter_new(under, filter_in, filter_out,
	    BEV_OPT_CLOSE_ON_FREE, conn_free, c);
	if (bev == NULL) {
		conn_free(c);
		bufferevent_free(under);
		return NULL;
	}
	if (c != NULL) {
		c->bev = bev;
		c->kick = evbuffer_add_cb(bufferevent_get_output(bev),
		    output_added, c);
		if (c->kick == NULL || hold(c) != 0)	/* refuse at once */
			report(c, BEV_EVENT_ERROR | BEV_EVENT_READING);
	}
	return bev;
}

int
ag_httptls_is_tls(struct bufferevent *bev)
{
	return bev != NULL && bufferevent_get_underlying(bev) != NULL;
}

/* --- credentials --------------------------------------------------------- */

/* A key file: a regular file neither group nor others may use. */
static int
read_key(const char *path, gnutls_datum_t *out, char *err, size_t errlen)
{
	struct stat	 st;
	unsigned char	*buf;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	memset(&st, 0, sizeof st);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		(void)snprintf(err, errlen, "--http-tls key %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		(void)snprintf(err, errlen, "--http-tls key %s: mode %03o "
		    "(want a regular file neither group nor others may use; "
		    "chmod 600 it)", path, (unsigned)(st.st_mode & 0777));
		(void)close(fd);
		return -1;
	}
	if ((buf = malloc(AG_HTTPTLS_FILE_MAX)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		(void)close(fd);
		return -1;
	}
	while ((n = read(fd, buf + len, AG_HTTPTLS_FILE_MAX - len)) > 0 &&
	    (len += (size_t)n) < AG_HTTPTLS_FILE_MAX)
		;
	(void)close(fd);
	if (n < 0 || len == 0 || len >= AG_HTTPTLS_FILE_MAX) {
		(void)snprintf(err, errlen, "--http-tls key %s: %s", path,
		    n < 0 ? strerror(errno) : len == 0 ? "empty" : "too big");
		gnutls_memset(buf, 0, len);
		free(buf);
		return -1;
	}
	out->data = buf;
	out->size = (unsigned)len;
	return 0;
}

/* 1 if the first certificate in cert is for the key (same key id). */
static int
key_matches(const gnutls_datum_t *cert, const gnutls_datum_t *key)
{
	gnutls_x509_crt_t	c = NULL;
	gnutls_x509_privkey_t	k = NULL;
	unsigned char		a[64], b[64];
	size_t			al = sizeof a, bl = sizeof b;
	int			ok = 0;

	if (gnutls_x509_crt_init(&c) == 0 && gnutls_x509_privkey_init(&k) == 0
	    && gnutls_x509_crt_import(c, cert, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_x509_privkey_import2(k, key, GNUTLS_X509_FMT_PEM, NULL, 0)
	    == 0 && gnutls_x509_crt_get_key_id(c, GNUTLS_KEYID_USE_SHA256, a,
	    &al) == 0 && gnutls_x509_privkey_get_key_id(k,
	    GNUTLS_KEYID_USE_SHA256, b, &bl) == 0)
		ok = al == bl && memcmp(a, b, al) == 0;
	if (c != NULL)
		gnutls_x509_crt_deinit(c);
	if (k != NULL)
		gnutls_x509_privkey_deinit(k);
	return ok;
}

/* "CERT,KEY": an operator's certificate chain and key, PEM. */
static int
load_files(struct ag_httptls *t, const char *spec, char *err, size_t errlen)
{
	char		 cert_path[4096], why[256], *cert = NULL;
	const char	*comma = strchr(spec, ',');
	gnutls_datum_t	 cd, kd = { NULL, 0 };
	size_t		 clen;
	int		 rc = -1, g;

	if ((size_t)(comma - spec) >= sizeof cert_path) {
		(void)snprintf(err, errlen, "--http-tls: path too long");
		return -1;
	}
	memcpy(cert_path, spec, (size_t)(comma - spec));
	cert_path[comma - spec] = '\0';
	if (ag_read_file(cert_path, AG_HTTPTLS_FILE_MAX, &cert, &clen, NULL,
	    why, sizeof why) != 0) {
		(void)snprintf(err, errlen, "--http-tls certificate: %s", why);
		return -1;
	}
	if (read_key(comma + 1, &kd, err, errlen) != 0)
		goto out;
	cd.data = (unsigned char *)cert;
	cd.size = (unsigned)clen;
	if (!key_matches(&cd, &kd)) {
		(void)snprintf(err, errlen, "--http-tls: the first certificate "
		    "in %s is not for the key in %s", cert_path, comma + 1);
		goto out;
	}
	if ((g = gnutls_certificate_set_x509_key_mem2(t->creds, &cd, &kd,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		(void)snprintf(err, errlen, "--http-tls %s: %s", spec,
		    gnutls_strerror(g));
		goto out;
	}
	rc = 0;
out:
	if (kd.data != NULL) {
		gnutls_memset(kd.data, 0, kd.size);
		free(kd.data);
	}
	free(cert);
	return rc;
}

struct ag_httptls *
ag_httptls_new(const char *spec, const struct sec_identity *node, char *err,
    size_t errlen)
{
	struct ag_httptls	*t;
	const char		*where = NULL;
	int			 rc;

	if (!ag_httptls_spec_valid(spec) || spec[0] == '\0') {
		(void)snprintf(err, errlen, "--http-tls '%s': want node or "
		    "CERT.pem,KEY.pem", spec);
		return NULL;
	}
	if ((t = calloc(1, sizeof *t)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(spec, "node") == 0)
		rc = sec_tls_identity_creds_new(node, &t->creds, err, errlen);
	else if ((rc = gnutls_certificate_allocate_credentials(&t->creds)) < 0)
		(void)snprintf(err, errlen, "--http-tls: %s",
		    gnutls_strerror(rc));
	else
		rc = load_files(t, spec, err, errlen);
	if (rc < 0) {
		ag_httptls_free(t);
		return NULL;
	}
	if ((rc = gnutls_priority_init(&t->prio, AG_HTTPTLS_PRIORITY, &where))
	    < 0) {
		(void)snprintf(err, errlen, "--http-tls priority: %s",
		    gnutls_strerror(rc));
		ag_httptls_free(t);
		return NULL;
	}
	return t;
}

void
ag_httptls_free(struct ag_httptls *t)
{
	if (t == NULL)
		return;
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	if (t->creds != NULL)
		gnutls_certificate_free_credentials(t->creds);
	free(t);
}
