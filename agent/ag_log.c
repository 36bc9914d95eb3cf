/*
 * ag_log.c - stderr logging with journald priorities; see ag_log.h.
 */
#include "ag_log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static enum ag_level	log_level = AG_LOG_NOTICE;

void
ag_log_set_level(enum ag_level level)
{
	log_level = level;
}

static const char *
level_name(enum ag_level level)
{
	switch (level) {
	case AG_LOG_ERR:
		return "error";
	case AG_LOG_WARNING:
		return "warning";
	case AG_LOG_NOTICE:
		return "notice";
	case AG_LOG_INFO:
		return "info";
	case AG_LOG_DEBUG:
		return "debug";
	}
	return "log";
}

void
ag_log(enum ag_level level, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (getenv("JOURNAL_STREAM") != NULL)
		(void)fprintf(stderr, "<%d>%s\n", (int)level, msg);
	else
		(void)fprintf(stderr, "exogpu: %s: %s\n", level_name(level),
		    msg);
}

void
ag_log_cb(void *ctx, const char *msg)
{
	ag_log((enum ag_level)(intptr_t)ctx, "%s", msg);
}

void
ag_log_info_cb(void *ctx, const char *msg)
{
	ag_log(AG_LOG_INFO, "%s", msg);
}
