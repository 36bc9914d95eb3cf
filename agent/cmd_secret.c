/*
 * cmd_secret.c - `exogpu secret`: the join secret of a zero-config cluster.
 *
 *   exogpu secret [--out FILE [--force]]
 *       prints a new secret ("exo1-..."), or writes it to FILE (0600);
 *   exogpu secret rotate [--data-dir DIR] [--overlap DURATION | --until T]
 *       [--from FILE] [--force]
 *       starts a rotation on this node: DATA/join-secret.next holds the
 *       next secret (new, shown once, or --from FILE to install the one
 *       another node printed) and the end of the overlap; see ag_trust.h
 *       and docs/trust.md, "Rotating the join secret";
 *   exogpu secret --check
 *       reads a secret from standard input, says whether it is well
 *       formed, and prints the id of the cluster CA it derives - two
 *       machines that print the same id hold the same secret, and the id
 *       reveals nothing about it.
 *
 * The secret is read from stdin, never from argv, so it does not land in
 * shell history or ps output.  Format and derivation: sec_secret.h,
 * docs/trust.md.
 */
#include "ag_cmd.h"
#include "ag_datadir.h"
#include "ag_fileio.h"
#include "ag_log.h"
#include "ag_trust.h"

#include "sec_identity.h"
#include "sec_pem.h"
#include "sec_secret.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ROTATE_OVERLAP_DEFAULT	(7L * 86400)

static int	secret_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_secret = {
	"secret",
	"[--out FILE [--force]] | --check\n"
	"       exogpu secret rotate [--data-dir DIR] [--overlap N[s|m|h|d] | "
	"--until UNIX]\n"
	"           [--from FILE] [--force]",
	"Print a new join secret (join-secret mode) or check one",
	"  --out FILE    write the secret to FILE (mode 0600) instead of\n"
	"                printing it\n"
	"  --force       replace an existing FILE\n"
	"  --check       read a secret from standard input, validate it and\n"
	"                print the cluster CA id it derives\n"
	"rotate: accept a next secret alongside this node's until the "
	"overlap ends\n(default 7d), then only it (docs/trust.md):\n"
	"  --data-dir DIR  the node's data dir\n"
	"  --from FILE     the next secret another node's rotate printed "
	"(mode 0600;\n"
	"                  - for stdin); without it a new one is made\n"
	"  --until UNIX    end of the overlap, as printed by the first "
	"rotate\n"
	"  --force         replace a rotation in progress\n"
	"  -h, --help    show this help\n",
	secret_exec,
};

static int
secret_new(const char *out, int force)
{
	struct sec_secret	s;
	char			text[SEC_SECRET_TEXT_SIZE + 1], err[256];
	struct stat		st;
	int			rc = AG_EXIT_RUNTIME;

	if (out != NULL && !force && (lstat(out, &st) == 0 ||
	    errno != ENOENT)) {
		ag_log(AG_LOG_ERR, "%s exists; --force replaces it (nodes "
		    "using the old secret will no longer join)", out);
		return AG_EXIT_RUNTIME;
	}
	if (sec_secret_generate(&s, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_RUNTIME;
	}
	sec_secret_format(&s, text);
	sec_secret_clear(&s);
	if (out == NULL) {
		(void)printf("%s\n", text);
		rc = AG_EXIT_OK;
	} else {
		(void)strcat(text, "\n");
		if (ag_write_atomic(out, text, strlen(text), 0600, err,
		    sizeof err) < 0)
			ag_log(AG_LOG_ERR, "%s", err);
		else {
			(void)printf("wrote %s (join secret, mode 0600)\n",
			    out);
			rc = AG_EXIT_OK;
		}
	}
	memset(text, 0, sizeof text);
	return rc;
}

static int
secret_check(void)
{
	struct sec_secret	s;
	struct sec_pem		key = { NULL, 0 }, crt = { NULL, 0 };
	char			buf[SEC_SECRET_INPUT_MAX + 2], err[256];
	char			id[SEC_NODE_ID_SIZE];
	size_t			n;
	int			rc = AG_EXIT_RUNTIME;

	n = fread(buf, 1, sizeof buf, stdin);
	if (ferror(stdin)) {
		ag_log(AG_LOG_ERR, "reading standard input failed");
		return AG_EXIT_RUNTIME;
	}
	if (sec_secret_parse(buf, n, &s, err, sizeof err) < 0) {
		memset(buf, 0, sizeof buf);
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	memset(buf, 0, sizeof buf);
	if (sec_secret_derive_ca(&s, &key, &crt, err, sizeof err) < 0 ||
	    sec_identity_cert_node_id(crt.data, crt.len, id, err,
	    sizeof err) < 0)
		ag_log(AG_LOG_ERR, "%s", err);
	else {
		(void)printf("valid join secret; cluster CA id %s\n", id);
		rc = AG_EXIT_OK;
	}
	sec_secret_clear(&s);
	sec_pem_clear(&key);
	sec_pem_clear(&crt);
	return rc;
}

/* N[s|m|h|d] into seconds; -1 if malformed or over a year. */
static long
duration(const char *s)
{
	char	*end;
	long	 n, mul = 1;

	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || errno != 0 || n <= 0)
		return -1;
	if (*end == 'm')
		mul = 60;
	else if (*end == 'h')
		mul = 3600;
	else if (*end == 'd')
		mul = 86400;
	else if (*end != 's' && *end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	return n > 366L * 86400 / mul ? -1 : n * mul;
}

struct rotate_opts {
	const char	*data_dir, *from, *overlap, *until;
	int		 force;
};

/* The next secret: from --from, or new (then printed once). */
static int
rotate_next(const struct rotate_opts *o, struct sec_secret *next,
    int *created, char *err, size_t errlen)
{
	char	text[SEC_SECRET_INPUT_MAX + 2];
	int	rc;

	*created = 0;
	if (o->from == NULL) {
		*created = 1;
		return sec_secret_generate(next, err, errlen);
	}
	if (ag_trust_read_secret(o->from, NULL, text, sizeof text, err,
	    errlen) != 0)
		return -1;
	rc = sec_secret_parse(text, strlen(text), next, err, errlen);
	memset(text, 0, sizeof text);
	return rc;
}

static int
rotate_until(const struct rotate_opts *o, int64_t *until)
{
	char	*end;
	long	 sec;

	if (o->until != NULL) {
		errno = 0;
		*until = strtoll(o->until, &end, 10);
		return end == o->until || *end != '\0' || errno != 0 ||
		    *until <= (int64_t)time(NULL) ? -1 : 0;
	}
	if ((sec = o->overlap != NULL ? duration(o->overlap) :
	    ROTATE_OVERLAP_DEFAULT) < 0)
		return -1;
	*until = (int64_t)time(NULL) + sec;
	return 0;
}

static int
secret_rotate(const struct rotate_opts *o)
{
	struct sec_secret	next;
	struct stat		st;
	char			dir[PATH_MAX], path[PATH_MAX], err[512];
	char			buf[SEC_SECRET_ROTATION_MAX];
	char			text[SEC_SECRET_TEXT_SIZE];
	int64_t			until;
	int			created, n, rc = AG_EXIT_RUNTIME;

	if (rotate_until(o, &until) != 0) {
		ag_log(AG_LOG_ERR, "--overlap: N[s|m|h|d] up to a year, or "
		    "--until: unix seconds in the future");
		return AG_EXIT_USAGE;
	}
	if (ag_datadir_resolve(o->data_dir, dir, sizeof dir) != 0 ||
	    ag_datadir_path(dir, AG_SECRET_NEXT_FILE, path, sizeof path)
	    != 0) {
		ag_log(AG_LOG_ERR, "no data dir: give --data-dir");
		return AG_EXIT_USAGE;
	}
	if (!o->force && lstat(path, &st) == 0) {
		ag_log(AG_LOG_ERR, "%s exists: a rotation is in progress "
		    "(--force replaces it)", path);
		return AG_EXIT_RUNTIME;
	}
	if (rotate_next(o, &next, &created, err, sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	if ((n = sec_secret_rotation_format(&next, until, buf, sizeof buf))
	    < 0 || ag_write_atomic(path, buf, (size_t)n, 0600, err,
	    sizeof err) != 0) {
		ag_log(AG_LOG_ERR, "%s", n < 0 ? "cannot format" : err);
		goto out;
	}
	sec_secret_format(&next, text);
	(void)printf("wrote %s: the next join secret is accepted alongside "
	    "the current one\nuntil %lld; restart this node now, and again "
	    "after then to refuse the old one.\n", path, (long long)until);
	if (created)
		(void)printf("\nThe next secret (shown only now):\n\n  %s\n\n"
		    "Put it in a 0600 file on every other node and run there:"
		    "\n\n  exogpu secret rotate --from FILE --until %lld\n",
		    text, (long long)until);
	rc = AG_EXIT_OK;
out:
	memset(buf, 0, sizeof buf);
	memset(text, 0, sizeof text);
	sec_secret_clear(&next);
	return rc;
}

static int
rotate_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "data-dir",	required_argument,	NULL, 'd' },
		{ "from",	required_argument,	NULL, 'F' },
		{ "overlap",	required_argument,	NULL, 'o' },
		{ "until",	required_argument,	NULL, 'u' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	struct rotate_opts	o;
	int			ch;

	memset(&o, 0, sizeof o);
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'd': o.data_dir = optarg; break;
		case 'F': o.from = optarg; break;
		case 'o': o.overlap = optarg; break;
		case 'u': o.until = optarg; break;
		case 'f': o.force = 1; break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s' (secrets "
		    "come from --from FILE, never argv)", argv[optind]);
	if (o.overlap != NULL && o.until != NULL)
		return ag_usage_error(cmd, "--overlap and --until are "
		    "exclusive");
	return secret_rotate(&o);
}

static int
secret_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out",	required_argument,	NULL, 'o' },
		{ "force",	no_argument,		NULL, 'f' },
		{ "check",	no_argument,		NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*out = NULL;
	int		 ch, force = 0, check = 0;

	if (argc > 1 && strcmp(argv[1], "rotate") == 0)
		return rotate_exec(cmd, argc - 1, argv + 1);
	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'c':
			check = 1;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind != argc)
		return ag_usage_error(cmd, "unexpected argument '%s' (a secret "
		    "to check goes to standard input)", argv[optind]);
	if (check && (out != NULL || force))
		return ag_usage_error(cmd, "--check takes no other option");
	if (force && out == NULL)
		return ag_usage_error(cmd, "--force needs --out");
	return check ? secret_check() : secret_new(out, force);
}
