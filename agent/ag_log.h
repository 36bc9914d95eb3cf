/*
 * ag_log.h - the process's log: one line per event on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) lines carry a "<N>" syslog priority
 * prefix so journald records the level; on a terminal they read
 * "exogpu: warning: …".  The level threshold is the only global here.
 */
#ifndef AG_LOG_H
#define AG_LOG_H

enum ag_level {
	AG_LOG_ERR = 3,
	AG_LOG_WARNING = 4,
	AG_LOG_NOTICE = 5,
	AG_LOG_INFO = 6,
	AG_LOG_DEBUG = 7,
};

void	ag_log_set_level(enum ag_level);
void	ag_log(enum ag_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Adapter for the leaves' log callbacks (ctx is an enum ag_level cast). */
void	ag_log_cb(void *, const char *);
/* Same at AG_LOG_INFO whatever ctx says (the leaves' routine channel). */
void	ag_log_info_cb(void *, const char *);

#endif /* AG_LOG_H */
