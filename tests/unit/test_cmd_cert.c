/*
 * test_cmd_cert.c - `exogpu cert` and `exogpu secret` as a user runs them
 * (agent/cmd_cert.c, agent/cmd_secret.c, through the real EXOGPU_BIN).
 *
 * Checks the files each command promises, their modes, the refusal to
 * overwrite a CA or a secret without --force, that a re-issue keeps the
 * node key (and so the node id), that the written trust directory loads
 * as an identity and verifies with certtool, and the exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sec_identity.h"
#include "sec_secret.h"
#include "sec_tls.h"

static char	dir[] = "/tmp/exogpu-cmdcert-XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Runs `exogpu args` in dir (stdin from 'in' if not NULL); exit status. */
static int
exogpu(const char *args, const char *in)
{
	char	cmd[1024];
	int	st;

	if (in != NULL)
		(void)snprintf(cmd, sizeof cmd, "cd %s && printf '%%s\\n' '%s' | "
		    "%s %s >out.txt 2>err.txt", dir, in, EXOGPU_BIN, args);
	else
		(void)snprintf(cmd, sizeof cmd, "cd %s && %s %s </dev/null "
		    ">out.txt 2>err.txt", dir, EXOGPU_BIN, args);
	st = system(cmd);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static char *
slurp(const char *name, size_t *len)
{
	char	path[256], *buf;
	FILE	*f;
	size_t	n;

	(void)snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	buf = malloc(65536);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, f);
	(void)fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

static int
file_contains(const char *name, const char *needle)
{
	char	*buf = slurp(name, NULL);
	int	 r = buf != NULL && strstr(buf, needle) != NULL;

	free(buf);
	return r;
}

static unsigned
mode_of(const char *name)
{
	char		path[256];
	struct stat	st;

	(void)snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 0777;
}

static void
test_cert_init_and_issue(void **state)
{
	struct sec_identity	*id;
	char			*key, *crt, *ca, err[256];
	char			 id1[SEC_NODE_ID_SIZE], id2[SEC_NODE_ID_SIZE];
	size_t			 klen, clen, alen;
	gnutls_certificate_credentials_t cred;

	assert_int_equal(exogpu("cert init --dir ca", NULL), 0);
	assert_true(file_contains("out.txt", "ca/ca.key"));
	assert_int_equal(mode_of("ca/ca.key"), 0600);
	assert_int_equal(mode_of("ca"), 0700);
	assert_true(file_contains("ca/ca.pem", "BEGIN CERTIFICATE"));
	/* No silent overwrite. */
	assert_int_equal(exogpu("cert init --dir ca", NULL), 1);
	assert_true(file_contains("err.txt", "--force"));

	assert_int_equal(exogpu("cert issue --ca ca --name gpu-1.lan --out n1",
	    NULL), 0);
	assert_int_equal(mode_of("n1/node.key"), 0600);
	key = slurp("n1/node.key", &klen);
	crt = slurp("n1/node.pem", &clen);
	ca = slurp("n1/ca.pem", &alen);
	assert_non_null(key);
	assert_non_null(crt);
	assert_non_null(ca);
	/* The trust directory is complete: it loads and makes credentials. */
	id = sec_identity_load(key, klen, crt, clen, err, sizeof err);
	if (id == NULL)
		fail_msg("%s", err);
	assert_true(file_contains("out.txt", sec_identity_node_id(id)));
	assert_int_equal(sec_tls_creds_new(id, ca, alen, &cred, err,
	    sizeof err), 0);
	gnutls_certificate_free_credentials(cred);
	(void)snprintf(id1, sizeof id1, "%s", sec_identity_node_id(id));
	sec_identity_free(id);
	free(key);
	free(crt);
	free(ca);

	/* Re-issue keeps the key, so the node id. */
	assert_int_equal(exogpu("cert issue --ca ca --name gpu-1.lan --out n1 "
	    "--days 7", NULL), 0);
	assert_true(file_contains("out.txt", "kept"));
	assert_int_equal(exogpu("cert id n1/node.pem", NULL), 0);
	key = slurp("out.txt", NULL);
	assert_non_null(key);
	(void)snprintf(id2, sizeof id2, "%s", key);
	free(key);
	assert_string_equal(id1, id2);

	if (system("command -v certtool >/dev/null 2>&1") == 0) {
		char	cmd[512];

		(void)snprintf(cmd, sizeof cmd, "cd %s/n1 && certtool --verify "
		    "--load-ca-certificate ca.pem --infile node.pem 2>&1 | "
		    "grep -q 'Chain verification output: Verified.'", dir);
		assert_int_equal(system(cmd), 0);
	} else
		print_message("certtool not installed: chain check skipped\n");
}

static void
test_cert_usage_errors(void **state)
{
	assert_int_equal(exogpu("cert", NULL), 2);
	assert_int_equal(exogpu("cert frob", NULL), 2);
	assert_int_equal(exogpu("cert init", NULL), 2);
	assert_int_equal(exogpu("cert init --dir x --days 0", NULL), 2);
	assert_int_equal(exogpu("cert init --dir x --days 12abc", NULL), 2);
	assert_int_equal(exogpu("cert issue --ca ca --out z", NULL), 2);
	assert_int_equal(exogpu("cert issue --ca ca --name bad_name --out z",
	    NULL), 2);
	assert_int_equal(exogpu("cert issue --ca nowhere --name a --out z",
	    NULL), 1);
	assert_int_equal(exogpu("cert id", NULL), 2);
	assert_int_equal(exogpu("cert --help", NULL), 0);
	assert_true(file_contains("out.txt", "usage: exogpu cert"));
	assert_true(file_contains("out.txt", "cert revoke NODE"));
	/* The deny list commands: usage is checked before any API call. */
	assert_int_equal(exogpu("cert revoke", NULL), 2);
	assert_int_equal(exogpu("cert revoke a b", NULL), 2);
	assert_int_equal(exogpu("cert revoke not-a-node-id", NULL), 2);
	assert_true(file_contains("err.txt", "neither a node id"));
	assert_int_equal(exogpu("cert revoke aaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "--dir x", NULL), 2);
	assert_int_equal(exogpu("cert allow aaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "--note x", NULL), 2);
	assert_int_equal(exogpu("cert denied x", NULL), 2);
	assert_int_equal(exogpu("cert id x --api 127.0.0.1:1", NULL), 2);
	/* Nobody listens on port 1: the call itself fails. */
	assert_int_equal(exogpu("cert denied --api 127.0.0.1:1", NULL), 1);
	assert_int_equal(exogpu("cert revoke aaaaaaaaaaaaaaaaaaaaaaaaaa "
	    "--api 127.0.0.1:1", NULL), 1);
}

static void
test_secret_commands(void **state)
{
	struct sec_secret	 s;
	char			*text, err[256], line[256];

	assert_int_equal(exogpu("secret", NULL), 0);
	text = slurp("out.txt", NULL);
	assert_non_null(text);
	assert_int_equal(strlen(text), SEC_SECRET_TEXT_LEN + 1);
	assert_int_equal(sec_secret_parse(text, strlen(text), &s, err,
	    sizeof err), 0);
	(void)snprintf(line, sizeof line, "%.*s", SEC_SECRET_TEXT_LEN, text);
	free(text);

	assert_int_equal(exogpu("secret --check", line), 0);
	assert_true(file_contains("out.txt", "valid join secret; cluster CA "
	    "id "));
	/* The same secret derives the same id on every run. */
	text = slurp("out.txt", NULL);
	assert_int_equal(exogpu("secret --check", line), 0);
	assert_true(file_contains("out.txt", text));
	free(text);
	line[SEC_SECRET_TEXT_LEN - 1] ^= 1;
	assert_int_equal(exogpu("secret --check", line), 2);
	assert_int_equal(exogpu("secret --check", "hello"), 2);

	assert_int_equal(exogpu("secret --out js", NULL), 0);
	assert_int_equal(mode_of("js"), 0600);
	assert_int_equal(exogpu("secret --out js", NULL), 1);
	assert_int_equal(exogpu("secret --out js --force", NULL), 0);
	assert_int_equal(exogpu("secret --force", NULL), 2);
	assert_int_equal(exogpu("secret exo1-abc", NULL), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cert_init_and_issue),
		cmocka_unit_test(test_cert_usage_errors),
		cmocka_unit_test(test_secret_commands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
