/*
 * log.h - logging for the daemon and the tools.
 *
 * Lines go to stderr (foreground) or syslog; log_request() writes the KDC's
 * one line per request, as text or JSON.  Never pass key material here.
 */
#ifndef ORTHRUS_BASE_LOG_H
#define ORTHRUS_BASE_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; to_syslog: false = stderr; json: JSON lines. */
void log_open(const char *ident, bool to_syslog, bool json);
/* SIGHUP: reopen (syslog) / no-op for stderr. */
void log_reopen(void);
void log_close(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One KDC request; any string may be NULL. */
struct log_request {
	const char *peer;      /* "ip:port" */
	const char *transport; /* "udp" / "tcp" */
	const char *msg_type;  /* "AS-REQ", "TGS-REQ", "?" */
	const char *client;    /* unparsed principal */
	const char *service;
	int error_code;        /* 0 = success, else KRB-ERROR code */
	const char *reason;    /* e-text / why, for the administrator */
	const char *etypes;    /* "18,17" requested; chosen appended */
	long usec;             /* time spent */
};
void log_request(const struct log_request *r);

bool log_is_json(void);

#endif
