/*
 * ag_auditlog_int.h - ag_auditlog.c's decoder of one audit line for the
 * JSON tail (GET /v1/audit), exported only so its fuzz harness
 * (tests/fuzz/fuzz_auditlog.c) runs the code the agent runs; not an API.
 */
#ifndef AG_AUDITLOG_INT_H
#define AG_AUDITLOG_INT_H

#include <stddef.h>

#include <jansson.h>

/*
 * One line without its newline, "k=v k=v ..." (sec_audit.c's form), as
 * {"k": "v", ...} with each value percent-decoded ("%XX"; the encoded
 * text when the decoded bytes are not UTF-8).  NULL when the line is over
 * SEC_AUDIT_LINE_MAX bytes or out of memory.
 */
json_t	*ag_auditlog_line_json(const char *line, size_t len);

#endif /* AG_AUDITLOG_INT_H */
