/*
 * fuzz_deny.c - libFuzzer harness for the node deny list's readers
 * (agent/ag_node_deny.c): the body of a deny / allow call, which a
 * client or a forwarding member sends, and DATA/denied.
 *
 * Every input goes to both.  Oracles: a body taken has a valid node id
 * and a note of at most AG_FSM_TEXT_MAX bytes without control
 * characters, and an allow body never has a note; a copy taken has at
 * most the asked-for number of ids, each valid, and its text, written
 * back the way the agent writes it, reads the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ag_fsm.h"
#include "ag_node_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAX_IDS	8

static void
body(const char *s, size_t len)
{
	char	node[SEC_NODE_ID_SIZE], note[AG_FSM_TEXT_MAX + 1], err[256];
	int	with;
	size_t	i;

	for (with = 0; with <= 1; with++) {
		if (ag_node_deny_args(s, len, with, node, note, sizeof note,
		    err, sizeof err) != 0) {
			if (err[0] == '\0')
				abort();
			continue;
		}
		if (!sec_node_id_valid(node) || strlen(note) > AG_FSM_TEXT_MAX ||
		    (!with && note[0] != '\0'))
			abort();
		for (i = 0; note[i] != '\0'; i++)
			if ((unsigned char)note[i] < 0x20 || note[i] == 0x7f)
				abort();
	}
}

static void
copy(const char *s, size_t len)
{
	char		ids[MAX_IDS][SEC_NODE_ID_SIZE];
	char		again[MAX_IDS][SEC_NODE_ID_SIZE];
	char		buf[64 + MAX_IDS * (SEC_NODE_ID_SIZE + 1)], err[128];
	size_t		n, n2, i, k;
	uint64_t	index, index2;

	if (ag_node_deny_parse(s, len, ids, MAX_IDS, &n, &index, err,
	    sizeof err) != 0)
		return;
	if (n > MAX_IDS)
		abort();
	k = (size_t)snprintf(buf, sizeof buf, "exogpu-denied 1 index %llu\n",
	    (unsigned long long)index);
	for (i = 0; i < n; i++) {
		if (!sec_node_id_valid(ids[i]))
			abort();
		k += (size_t)snprintf(buf + k, sizeof buf - k, "%s\n", ids[i]);
	}
	if (ag_node_deny_parse(buf, k, again, MAX_IDS, &n2, &index2, err,
	    sizeof err) != 0 || n2 != n || index2 != index)
		abort();
	for (i = 0; i < n; i++)
		if (strcmp(ids[i], again[i]) != 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size > 64 * 1024 || (s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	body(s, size);
	copy(s, size);
	free(s);
	return 0;
}
