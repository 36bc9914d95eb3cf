/*
 * fuzz_audit.c - libFuzzer harness for the audit log parser and verifier
 * (security/sec_audit.c) and the writer's recovery scan.
 *
 * Input: one control byte, then log bytes.  Control bit 0 verifies with
 * a fixed public key (seed 32 x 0x42, the key the corpus seeds were
 * signed with, so signature checks are reached); bit 1 uses the first
 * line as an external checkpoint (and parses it on its own with
 * sec_audit_ckpt_parse, the leader's check of a submitted anchor); bits
 * 2-7 pick where to split the log into two files.
 *
 * Properties: no crash or overread on any bytes; on success the counts
 * add up to the seq range; and the writer accepts a single file exactly
 * when a key-less verification of that file passes, continuing at the
 * entry after the last one - the writer must never extend a log the
 * verifier rejects, nor refuse one it accepts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sec_audit.h"
#include "sec_gnutls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * A line on its own (sec_audit_ckpt_parse): accepted only with the
 * inner consistency it promises, and with a key only when it also
 * passes without one.
 */
static void
check_ckpt(const char *line, size_t len, const char *pub, size_t publen)
{
	struct sec_audit_ckpt	ck;
	char			err[256];
	int			bare, keyed;

	bare = sec_audit_ckpt_parse(line, len, NULL, 0, &ck, err, sizeof err);
	if (bare == 0 && (ck.seq == 0 || ck.size != ck.seq - 1 ||
	    strlen(ck.head) != 64 || strlen(ck.node) != 26 ||
	    strlen(ck.time) != 20))
		abort();
	keyed = sec_audit_ckpt_parse(line, len, pub, publen, &ck, err,
	    sizeof err);
	if (keyed == 0 && bare != 0)
		abort();
}

/* The fixed key's public half, built once (harness-local cache). */
static char	*fuzz_pub;
static size_t	 fuzz_publen;

static void
load_key(void)
{
	unsigned char		 seed[SEC_ED25519_LEN];
	gnutls_x509_privkey_t	 xk;
	struct sec_pem		 pem = { NULL, 0 };
	struct sec_audit_signer	*s;
	char			 err[256];

	if (fuzz_pub != NULL)
		return;
	memset(seed, 0x42, sizeof seed);
	if (sec_key_from_seed(seed, &xk, err, sizeof err) < 0 ||
	    sec_key_export(xk, &pem, err, sizeof err) < 0)
		abort();
	gnutls_x509_privkey_deinit(xk);
	if ((s = sec_audit_signer_new(pem.data, pem.len, err,
	    sizeof err)) == NULL)
		abort();
	sec_pem_clear(&pem);
	if (sec_audit_signer_pub_pem(s, &fuzz_pub, &fuzz_publen, err,
	    sizeof err) < 0)
		abort();
	sec_audit_signer_free(s);
}

static FILE *
mem_stream(const uint8_t *p, size_t n)
{
	if (n == 0)
		return NULL;
	return fmemopen((void *)(uintptr_t)p, n, "r");
}

static void
check_writer(const uint8_t *p, size_t n)
{
	struct sec_audit_report	 rep;
	struct sec_audit_writer	*w;
	FILE			*fp;
	char			 err[256];
	int			 fd, vrc, wrc;

	if (n == 0 || (fp = mem_stream(p, n)) == NULL)
		return;
	vrc = sec_audit_verify_files(&fp, 1, NULL, 0, NULL, &rep);
	(void)fclose(fp);
	if ((fd = memfd_create("fuzz_audit", 0)) < 0)
		return;
	if (write(fd, p, n) != (ssize_t)n) {
		(void)close(fd);
		return;
	}
	wrc = sec_audit_writer_open(&w, fd, -1, err, sizeof err);
	if ((vrc == SEC_AUDIT_OK) != (wrc == 0))
		abort();
	if (wrc == 0) {
		if (sec_audit_writer_seq(w) != rep.last_seq + 1 &&
		    !(rep.last_seq == 0 && sec_audit_writer_seq(w) == 1))
			abort();
		sec_audit_writer_free(w);
	}
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sec_audit_report	 rep;
	FILE			*fps[2];
	char			*anchor = NULL;
	const uint8_t		*log;
	const uint8_t		*nl;
	size_t			 n, cut, nf;
	int			 rc;
	uint8_t			 ctl;

	if (size < 1 || size > 64 * 1024)
		return 0;
	load_key();
	ctl = data[0];
	log = data + 1;
	n = size - 1;
	if ((ctl & 2) && (nl = memchr(log, '\n', n)) != NULL &&
	    (anchor = strndup((const char *)log, (size_t)(nl - log))) == NULL)
		return 0;
	if (anchor != NULL)
		check_ckpt(anchor, strlen(anchor), fuzz_pub, fuzz_publen);
	cut = n * (size_t)(ctl >> 2) / 64;
	nf = 0;
	if (cut > 0 && cut < n) {
		if ((fps[0] = mem_stream(log, cut)) != NULL)
			nf = 1;
		if (nf == 1 && (fps[1] = mem_stream(log + cut, n - cut)) != NULL)
			nf = 2;
	} else if (n > 0 && (fps[0] = mem_stream(log, n)) != NULL)
		nf = 1;
	if (nf > 0) {
		rc = sec_audit_verify_files(fps, nf, (ctl & 1) ? fuzz_pub :
		    NULL, fuzz_publen, anchor, &rep);
		if (rc == SEC_AUDIT_OK && rep.last_seq != 0 &&
		    rep.last_seq - rep.first_seq + 1 !=
		    rep.records + rep.checkpoints)
			abort();
		if (rc == SEC_AUDIT_TAMPERED && (rep.file >= nf ||
		    rep.reason[0] == '\0'))
			abort();
	}
	while (nf > 0)
		(void)fclose(fps[--nf]);
	free(anchor);
	check_writer(log, n);
	return 0;
}
