/*
 * cmd_secret.c - `exogpu secret`: the join secret of a zero-config cluster.
 *
 *   exogpu secret [--out FILE [--force]]
 *       prints a new secret ("exo1-..."), or writes it to FILE (0600);
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
#include "ag_fileio.h"
#include "ag_log.h"

#include "sec_identity.h"
#include "sec_pem.h"
#include "sec_secret.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int	secret_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_secret = {
	"secret",
	"[--out FILE [--force]] | --check",
	"Print a new join secret (join-secret mode) or check one",
	"  --out FILE    write the secret to FILE (mode 0600) instead of\n"
	"                printing it\n"
	"  --force       replace an existing FILE\n"
	"  --check       read a secret from standard input, validate it and\n"
	"                print the cluster CA id it derives\n"
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
