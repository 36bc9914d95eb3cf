/*
 * cmd_audit.c - `exogpu audit verify`: checks a tamper-evident audit log.
 *
 *   exogpu audit verify PATH... [--key PUB] [--checkpoint FILE]
 *
 * PATHs oldest first (audit.log.2 audit.log.1 audit.log).  Prints
 * "ok: N records, M checkpoints, chain head H" and exits 0, or the first
 * bad entry and why and exits 1; 2 for a bad command line, an unreadable
 * file or key.  The checking is sec_audit_verify() (security/sec_audit.h);
 * this file only reads the key and the external checkpoint and prints.
 * Format and limits: docs/audit.md.
 */
#include "ag_cmd.h"
#include "ag_fileio.h"
#include "ag_log.h"

#include "sec_audit.h"
#include "sec_pem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	audit_exec(const struct ag_cmd *, int, char **);

const struct ag_cmd ag_cmd_audit = {
	"audit",
	"verify PATH... [--key PUB] [--checkpoint FILE]",
	"Verify a tamper-evident audit log (hash chain and signed checkpoints)",
	"  PATH...            the log files, oldest first\n"
	"                     (audit.log.2 audit.log.1 audit.log)\n"
	"  --key PUB          node public key or certificate (PEM): check\n"
	"                     checkpoint signatures; without it only the\n"
	"                     hash chain is checked\n"
	"  --checkpoint FILE  a checkpoint line kept outside the log; the\n"
	"                     log must reach and match it (detects\n"
	"                     truncation of the newest file)\n"
	"  -h, --help         show this help\n"
	"Exit: 0 intact, 1 tampered, 2 usage or unreadable input.\n",
	audit_exec,
};

static int
audit_verify(char **paths, size_t n, const char *keyfile,
    const char *ckfile)
{
	struct sec_audit_report	rep;
	char			*key = NULL, *anchor = NULL, err[256];
	size_t			 keylen = 0, alen = 0;
	int			 rc;

	if (keyfile != NULL && ag_read_file(keyfile, SEC_PEM_MAX, &key,
	    &keylen, NULL, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		return AG_EXIT_USAGE;
	}
	if (ckfile != NULL && ag_read_file(ckfile, SEC_AUDIT_LINE_MAX + 2,
	    &anchor, &alen, NULL, err, sizeof err) < 0) {
		ag_log(AG_LOG_ERR, "%s", err);
		free(key);
		return AG_EXIT_USAGE;
	}
	rc = sec_audit_verify((const char *const *)paths, n, key, keylen,
	    anchor, &rep);
	free(key);
	free(anchor);
	if (rc < 0) {
		ag_log(AG_LOG_ERR, "%s", rep.reason);
		return AG_EXIT_USAGE;
	}
	if (rc == SEC_AUDIT_TAMPERED) {
		printf("tampered: %s line %lu (entry %llu): %s\n",
		    paths[rep.file], rep.line, (unsigned long long)rep.seq,
		    rep.reason);
		return AG_EXIT_RUNTIME;
	}
	printf("ok: %llu records, %llu checkpoints, chain head %s\n",
	    (unsigned long long)rep.records,
	    (unsigned long long)rep.checkpoints, rep.head);
	if (rep.first_seq > 1)
		printf("note: chain starts at entry %llu (older files not "
		    "given)\n", (unsigned long long)rep.first_seq);
	if (rep.uncovered > 0)
		printf("note: the last %llu entries follow the last "
		    "checkpoint; their truncation would go unnoticed\n",
		    (unsigned long long)rep.uncovered);
	if (keyfile == NULL)
		printf("note: no --key: checkpoint signatures not checked\n");
	return AG_EXIT_OK;
}

static int
audit_exec(const struct ag_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key",	required_argument,	NULL, 'k' },
		{ "checkpoint",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL,		0,			NULL, 0 }
	};
	const char	*keyfile = NULL, *ckfile = NULL;
	int		 ch;

	while ((ch = ag_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (ch) {
		case 'k':
			keyfile = optarg;
			break;
		case 'c':
			ckfile = optarg;
			break;
		default:
			return ag_opt_exit(ch);
		}
	}
	if (optind >= argc || strcmp(argv[optind], "verify") != 0)
		return ag_usage_error(cmd, "expected 'verify'");
	optind++;
	if (optind >= argc)
		return ag_usage_error(cmd, "no log file given");
	if ((size_t)(argc - optind) > SEC_AUDIT_FILES_MAX)
		return ag_usage_error(cmd, "at most %d files",
		    SEC_AUDIT_FILES_MAX);
	return audit_verify(argv + optind, (size_t)(argc - optind), keyfile,
	    ckfile);
}
