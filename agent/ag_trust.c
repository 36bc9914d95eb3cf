/*
 * ag_trust.c - identity bootstrap for both trust modes; see ag_trust.h.
 * security/ does the cryptography on buffers; this file owns the files.
 */
#include "ag_trust.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *
ag_trust_mode_name(enum ag_trust_mode m)
{
	return m == AG_TRUST_CA ? "ca" : "join-secret";
}

/* Reads DIR/NAME (bounded) into a sec_pem; *missing says ENOENT. */
static int
read_pem(const char *dir, const char *name, struct sec_pem *out,
    int *missing, char *err, size_t errlen)
{
	char	path[PATH_MAX];
	char	*buf;
	size_t	 len;

	if (ag_datadir_path(dir, name, path, sizeof path) != 0) {
		(void)snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return -1;
	}
	if (ag_read_file(path, SEC_PEM_MAX, &buf, &len, missing, err, errlen)
	    != 0)
		return -1;
	out->data = buf;
	out->len = len;
	return 0;
}

static int
write_file(const char *dir, const char *name, const char *data, size_t len,
    mode_t mode, char *err, size_t errlen)
{
	char	path[PATH_MAX];

	if (ag_datadir_path(dir, name, path, sizeof path) != 0) {
		(void)snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return -1;
	}
	return ag_write_atomic(path, data, len, mode, err, errlen);
}

static int
write_secret_file(const char *dir, const char *name, const char *data,
    size_t len, char *err, size_t errlen)
{
	return write_file(dir, name, data, len, 0600, err, errlen);
}

/* Reads at most size - 1 bytes of fd into out; -1 when there are more. */
static int
read_bounded(int fd, char *out, size_t size)
{
	size_t	len = 0;
	ssize_t	n;

	while (len < size) {
		n = read(fd, out + len, size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len >= size)
		return -1;
	out[len] = '\0';
	return 0;
}

/* Opens the secret file, refusing what others could read or change. */
static int
open_secret(const char *file, char *err, size_t errlen)
{
	struct stat	st;
	int		fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		(void)snprintf(err, errlen, "--join-secret-file %s: %s", file,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "--join-secret-file %s: not a "
		    "regular file", file);
		(void)close(fd);
		return -1;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		(void)snprintf(err, errlen, "--join-secret-file %s: mode %03o "
		    "lets other users read or change the secret; chmod 600 "
		    "it", file, (unsigned)(st.st_mode & 0777));
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
ag_trust_read_secret(const char *file, const char *env, char *out,
    size_t size, char *err, size_t errlen)
{
	int	fd, rc;

	out[0] = '\0';
	if (file == NULL || file[0] == '\0') {
		if (env == NULL || env[0] == '\0')
			return 0;
		if (strlen(env) >= size || strlen(env) > SEC_SECRET_INPUT_MAX) {
			(void)snprintf(err, errlen, "$%s: too long for a join "
			    "secret", AG_SECRET_ENV);
			return -1;
		}
		(void)snprintf(out, size, "%s", env);
		return 0;
	}
	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open_secret(file, err, errlen)) < 0)
		return -1;
	rc = read_bounded(fd, out, size < SEC_SECRET_INPUT_MAX + 1 ? size :
	    SEC_SECRET_INPUT_MAX + 1);
	if (fd != STDIN_FILENO)
		(void)close(fd);
	if (rc != 0) {
		(void)snprintf(err, errlen, "--join-secret-file %s: unreadable "
		    "or longer than %d bytes", file, SEC_SECRET_INPUT_MAX);
		explicit_bzero(out, size);
		return -1;
	}
	return 0;
}

/* DATA/node.key: load, or generate and save on first start. */
static int
node_key(const char *dir, struct sec_pem *key, char *err, size_t errlen)
{
	int	missing = 0;

	if (read_pem(dir, AG_NODE_KEY_FILE, key, &missing, err, errlen) == 0)
		return 0;
	if (!missing)
		return -1;
	if (sec_identity_generate_key(key, err, errlen) != 0)
		return -1;
	if (write_secret_file(dir, AG_NODE_KEY_FILE, key->data, key->len, err,
	    errlen) != 0) {
		sec_pem_clear(key);
		return -1;
	}
	return 0;
}

/* The secret: given, saved from an earlier start, or new (and saved). */
static int
join_secret(const char *dir, const char *given, struct ag_trust *t,
    struct sec_secret *s, char *err, size_t errlen)
{
	struct sec_pem	saved = { NULL, 0 };
	char		why[256];
	int		missing = 0;

	if (given != NULL) {
		if (sec_secret_parse(given, strlen(given), s, why, sizeof why)
		    != 0) {
			(void)snprintf(err, errlen, "join secret: %s", why);
			return -1;
		}
		return 0;
	}
	if (read_pem(dir, AG_SECRET_FILE, &saved, &missing, err, errlen) == 0) {
		size_t n = saved.len;

		while (n > 0 && (saved.data[n - 1] == '\n' ||
		    saved.data[n - 1] == '\r' || saved.data[n - 1] == ' '))
			n--;
		if (sec_secret_parse(saved.data, n, s, why, sizeof why) != 0) {
			(void)snprintf(err, errlen, "%s/%s: %s (remove it to "
			    "create a new cluster secret)", dir,
			    AG_SECRET_FILE, why);
			sec_pem_clear(&saved);
			return -1;
		}
		sec_pem_clear(&saved);
		return 0;
	}
	if (!missing)
		return -1;
	if (sec_secret_generate(s, err, errlen) != 0)
		return -1;
	sec_secret_format(s, t->secret_text);
	{
		char line[SEC_SECRET_TEXT_SIZE + 1];
		int n = snprintf(line, sizeof line, "%s\n", t->secret_text);

		if (write_secret_file(dir, AG_SECRET_FILE, line, (size_t)n,
		    err, errlen) != 0)
			return -1;
	}
	t->secret_created = true;
	return 0;
}

/* DATA/join-secret.next: 1 with *next and *until, 0 if none, -1. */
static int
rotation_read(const char *dir, struct sec_secret *next, int64_t *until,
    char *err, size_t errlen)
{
	struct sec_pem	buf = { NULL, 0 };
	char		why[256];
	int		missing = 0, rc;

	if (read_pem(dir, AG_SECRET_NEXT_FILE, &buf, &missing, err, errlen)
	    != 0)
		return missing ? 0 : -1;
	rc = sec_secret_rotation_parse(buf.data, buf.len, next, until, why,
	    sizeof why);
	sec_pem_clear(&buf);
	if (rc != 0) {
		(void)snprintf(err, errlen, "%s/%s: %s", dir,
		    AG_SECRET_NEXT_FILE, why);
		return -1;
	}
	return 1;
}

/* The rotation is over: the next secret becomes the secret. */
static int
rotation_finish(const char *dir, const char *given, struct sec_secret *s,
    const struct sec_secret *next, char *err, size_t errlen)
{
	char	line[SEC_SECRET_TEXT_SIZE + 1], path[PATH_MAX];
	int	n;

	*s = *next;
	if (given != NULL) {
		ag_log(AG_LOG_WARNING, "the join secret rotation in %s/%s has "
		    "ended: using its secret; put it where the old one was "
		    "given (--join-secret-file or $%s)", dir,
		    AG_SECRET_NEXT_FILE, AG_SECRET_ENV);
		return 0;
	}
	sec_secret_format(s, line);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write_secret_file(dir, AG_SECRET_FILE, line, (size_t)n, err,
	    errlen) != 0 || ag_datadir_path(dir, AG_SECRET_NEXT_FILE, path,
	    sizeof path) != 0 || unlink(path) != 0) {
		memset(line, 0, sizeof line);
		if (err[0] == '\0')
			(void)snprintf(err, errlen, "%s/%s: %s", dir,
			    AG_SECRET_NEXT_FILE, strerror(errno));
		return -1;
	}
	memset(line, 0, sizeof line);
	ag_log(AG_LOG_NOTICE, "join secret rotation finished: the old "
	    "secret is no longer accepted");
	return 0;
}

/* During a rotation: the next secret's CA is trusted too. */
static int
rotation_anchor(const struct sec_secret *next, struct sec_pem *anchor,
    char *err, size_t errlen)
{
	struct sec_pem	key = { NULL, 0 }, ca = { NULL, 0 };
	char		*both;
	int		rc = -1;

	if (sec_secret_derive_ca(next, &key, &ca, err, errlen) != 0)
		goto out;
	if ((both = malloc(anchor->len + ca.len + 1)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	memcpy(both, anchor->data, anchor->len);
	memcpy(both + anchor->len, ca.data, ca.len);
	both[anchor->len + ca.len] = '\0';
	sec_pem_clear(anchor);
	anchor->data = both;
	anchor->len = anchor->len + ca.len;
	rc = 0;
out:
	sec_pem_clear(&key);
	sec_pem_clear(&ca);
	return rc;
}

static int
load_secret_mode(const char *dir, const char *given, const char *name,
    struct ag_trust *t, char *err, size_t errlen)
{
	struct sec_secret	s, next;
	struct sec_pem		key = { NULL, 0 }, cert = { NULL, 0 };
	int64_t			until = 0, now = (int64_t)time(NULL);
	int			rc = -1, rot;

	t->mode = AG_TRUST_SECRET;
	memset(&next, 0, sizeof next);
	err[0] = '\0';
	if (join_secret(dir, given, t, &s, err, errlen) != 0)
		goto out;
	if ((rot = rotation_read(dir, &next, &until, err, errlen)) < 0)
		goto out;
	if (rot == 1 && now >= until) {
		if (rotation_finish(dir, given, &s, &next, err, errlen) != 0)
			goto out;
		rot = 0;
		t->secret_text[0] = '\0';
	}
	if (t->secret_text[0] == '\0')
		sec_secret_format(&s, t->secret_text);
	if (node_key(dir, &key, err, errlen) != 0)
		goto out;
	if (sec_secret_issue(&s, key.data, key.len, name, time(NULL), &cert,
	    &t->anchor, err, errlen) != 0)
		goto out;
	if (rot == 1) {
		if (rotation_anchor(&next, &t->anchor, err, errlen) != 0)
			goto out;
		t->rotation_until = until;
		ag_log(AG_LOG_NOTICE, "join secret rotation: the next secret "
		    "is accepted too until %lld; restart after then to refuse "
		    "the old one", (long long)until);
	}
	/* Kept for operators and tools (certtool -i, exogpu cert id). */
	if (write_file(dir, AG_NODE_CERT_FILE, cert.data, cert.len, 0644, err,
	    errlen) != 0 || write_file(dir, AG_CA_CERT_FILE, t->anchor.data,
	    t->anchor.len, 0644, err, errlen) != 0)
		goto out;
	t->id = sec_identity_load(key.data, key.len, cert.data, cert.len, err,
	    errlen);
	rc = t->id != NULL ? 0 : -1;
out:
	sec_secret_clear(&s);
	sec_secret_clear(&next);
	sec_pem_clear(&key);
	sec_pem_clear(&cert);
	return rc;
}

static int
load_ca_mode(const char *ca_dir, struct ag_trust *t, char *err,
    size_t errlen)
{
	struct sec_pem	key = { NULL, 0 }, cert = { NULL, 0 };
	int		missing;

	t->mode = AG_TRUST_CA;
	if (read_pem(ca_dir, "node.key", &key, &missing, err, errlen) != 0 ||
	    read_pem(ca_dir, "node.pem", &cert, &missing, err, errlen) != 0 ||
	    read_pem(ca_dir, "ca.pem", &t->anchor, &missing, err, errlen)
	    != 0) {
		sec_pem_clear(&key);
		sec_pem_clear(&cert);
		return -1;
	}
	t->id = sec_identity_load(key.data, key.len, cert.data, cert.len, err,
	    errlen);
	sec_pem_clear(&key);
	sec_pem_clear(&cert);
	return t->id != NULL ? 0 : -1;
}

int
ag_trust_load(const char *data_dir, const char *secret_text,
    const char *ca_dir, const char *name, struct ag_trust *t, char *err,
    size_t errlen)
{
	int	rc;

	memset(t, 0, sizeof *t);
	if (secret_text != NULL && ca_dir != NULL) {
		(void)snprintf(err, errlen, "a join secret (--join-secret-file "
		    "or $%s) and --ca are exclusive: choose one trust mode",
		    AG_SECRET_ENV);
		return -1;
	}
	if (ag_datadir_prepare(data_dir, err, errlen) != 0)
		return -1;
	if (ca_dir != NULL)
		rc = load_ca_mode(ca_dir, t, err, errlen);
	else
		rc = load_secret_mode(data_dir, secret_text, name, t, err,
		    errlen);
	if (rc != 0) {
		ag_trust_free(t);
		return -1;
	}
	(void)snprintf(t->node_id, sizeof t->node_id, "%s",
	    sec_identity_node_id(t->id));
	return 0;
}

void
ag_trust_free(struct ag_trust *t)
{
	sec_identity_free(t->id);
	t->id = NULL;
	sec_pem_clear(&t->anchor);
	memset(t->secret_text, 0, sizeof t->secret_text);
}
