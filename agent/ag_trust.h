/*
 * ag_trust.h - the node's TLS identity and trust anchor, from the data dir
 * and the command line.
 *
 * Join-secret mode (--join-secret-file, $EXOGPU_JOIN_SECRET, or none
 * given): the node key lives in
 * DATA/node.key (created on first start); the certificate is issued
 * afresh at every start by the CA the secret derives (security/
 * sec_secret.h) and kept in DATA/node.pem, and that CA (DATA/ca.pem) is
 * the anchor.  With no trust configured at
 * all, a new secret is generated once, kept in DATA/join-secret (0600)
 * and reused on later starts; the caller prints it so the user can start
 * the next node.
 * Rotation: with DATA/join-secret.next (`exogpu secret rotate`), the
 * node keeps its certificate from the current secret and trusts both
 * secrets' CAs until the rotation's end; at the first start after it,
 * the next secret becomes the secret (DATA/join-secret is replaced when
 * that is where the secret came from) and only its CA is trusted.
 * CA mode (--ca DIR): DIR holds node.key, node.pem and ca.pem as
 * `exogpu cert issue --out DIR` writes them; ca.pem is the anchor.
 */
#ifndef AG_TRUST_H
#define AG_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "sec_identity.h"
#include "sec_pem.h"
#include "sec_secret.h"

enum ag_trust_mode {
	AG_TRUST_SECRET,
	AG_TRUST_CA,
};

struct ag_trust {
	enum ag_trust_mode	 mode;
	struct sec_identity	*id;
	struct sec_pem		 anchor;	/* CA certificate(s), PEM */
	char			 node_id[SEC_NODE_ID_SIZE];
	bool			 secret_created;	/* new this start */
	int64_t			 rotation_until;	/* 0: no rotation */
	char			 secret_text[SEC_SECRET_TEXT_SIZE];
};

#define AG_NODE_KEY_FILE	"node.key"
#define AG_SECRET_FILE		"join-secret"
#define AG_SECRET_NEXT_FILE	"join-secret.next"	/* a rotation */
#define AG_NODE_CERT_FILE	"node.pem"	/* join-secret mode, per start */
#define AG_CA_CERT_FILE		"ca.pem"

#define AG_SECRET_ENV		"EXOGPU_JOIN_SECRET"

/*
 * The join secret the operator gave, never from argv: from file (a
 * regular file that neither group nor others may read or write; "-" is
 * stdin), else from env (the value of $EXOGPU_JOIN_SECRET, may be NULL).
 * out gets the text (SEC_SECRET_INPUT_MAX + 1 bytes at most), "" when
 * neither was given.  0, or -1 with err.
 */
int	ag_trust_read_secret(const char *file, const char *env, char *out,
	    size_t size, char *err, size_t errlen);

/*
 * Loads or creates the identity.  secret_text or ca_dir (not both) may be
 * NULL.  name goes into the certificate (join-secret mode).
 */
int	ag_trust_load(const char *data_dir, const char *secret_text,
	    const char *ca_dir, const char *name, struct ag_trust *,
	    char *err, size_t errlen);
void	ag_trust_free(struct ag_trust *);
const char	*ag_trust_mode_name(enum ag_trust_mode);

#endif /* AG_TRUST_H */
