/*
 * log.h - logging for the daemon and the tools.
 *
 * Lines go to stderr (foreground) or syslog (which journald collects);
 * log_request() writes the KDC's one line per request, as text or JSON.
 * Never pass key material here.
 *
 * The request record (struct log_request) is the one thing the log line,
 * the metrics and `orthrus explain` share: the KDC fills it once per
 * request, log_request() prints it, log_request_parse() reads a printed
 * line back into it.  The two formats, field by field:
 *
 *   text  PEER TRANSPORT TYPE client=NAME service=NAME RESULT reason="WHY"
 *         etypes=LIST [skew=SECONDS] usec=N
 *         RESULT: `ok`, `error=KDC_ERR_PREAUTH_FAILED` (the error's name),
 *         or `dropped` (nothing was answered).  A missing value is `-`; a
 *         name with blanks, quotes, `=` or control characters is quoted
 *         and escaped as a JSON string, so a hostile name cannot forge
 *         fields or lines.  On stderr the line is preceded by an ISO 8601
 *         UTC time and the program name (not when stderr is journald's:
 *         it stamps lines itself).
 *   JSON  {"time":SECONDS.MICROS,"peer":..,"transport":..,"type":..,
 *         "client":..,"service":..,"result":"ok"|NAME|"dropped",
 *         "code":N,"reason":..,"etypes":..,["skew":N,]"usec":N}
 *         one object per line; a missing string is null.
 */
#ifndef ORTHRUS_BASE_LOG_H
#define ORTHRUS_BASE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* ident: program name; to_syslog: false = stderr; json: JSON lines. */
void log_open(const char *ident, bool to_syslog, bool json);
/* SIGHUP: reopen (syslog) / no-op for stderr. */
void log_reopen(void);
void log_close(void);

/*
 * Buffered lines, for the KDC's workers: from log_buffer_open() until
 * log_buffer_close(), the lines the calling thread logs to stderr are kept
 * in a buffer of cap bytes of its own (no lock, no system call per line)
 * and written by one write(2) when the buffer is full, when
 * log_buffer_flush() or log_buffer_close() is called, or when
 * log_buffer_due() finds the oldest line old enough.  Whole lines only:
 * lines of several threads never mix inside a line.  Syslog lines are
 * never buffered (syslog(3) is per message).  A line is lost if the
 * process dies before its flush: the caller bounds the delay.
 * log_buffer_open: ORTH_E_NOMEM, ORTH_E_INTERNAL (cap 0, or already open).
 */
orth_err log_buffer_open(size_t cap);
void log_buffer_flush(void);
/* Flushes when the oldest buffered line is interval_ms old; returns the
 * ms until that is due, -1 when nothing is buffered (or no buffer). */
int log_buffer_due(unsigned interval_ms);
void log_buffer_close(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define LOG_RESULT_OK "ok"
#define LOG_RESULT_DROPPED "dropped"

/* One KDC request; any string may be NULL (printed `-` / null). */
struct log_request {
	int64_t time_usec;     /* microseconds since the epoch; 0: now */
	const char *peer;      /* "ip:port" */
	const char *transport; /* "udp" / "tcp" */
	const char *msg_type;  /* "AS-REQ", "TGS-REQ", "KPASSWD", "?" */
	const char *client;    /* unparsed principal */
	const char *service;
	/* LOG_RESULT_OK, LOG_RESULT_DROPPED, or the name of the error
	 * ("KDC_ERR_PREAUTH_FAILED"; the caller names it: base knows no
	 * Kerberos numbers).  NULL: "ok" when code is 0, else "dropped". */
	const char *result;
	int code;              /* the number behind result: 0, the code, -1 */
	const char *reason;    /* e-text / why, for the administrator */
	const char *etypes;    /* "18,17" requested; "->18" chosen appended */
	bool has_skew;
	int64_t skew;          /* seconds, the client's clock minus the KDC's */
	long usec;             /* time spent */
};
void log_request(const struct log_request *r);

/*
 * r as one line (no newline) in the text or the JSON format above, into
 * buf (cap bytes, NUL-terminated, cut short if it must be); returns the
 * length written.  The time is not part of the text format (the sink
 * stamps it); r->time_usec 0 in JSON is the current time.
 */
size_t log_request_format(const struct log_request *r, bool json, char *buf, size_t cap);

/*
 * Read a line written by log_request() back: JSON or text, as found in a
 * log file, on stderr (after the time and program name), in syslog or in
 * `journalctl -o short-iso` output (after their prefixes).  A leading ISO
 * 8601 time ("2026-01-02T03:04:05Z", "...+01:00", fractions allowed) sets
 * time_usec for a text line; a JSON line carries its own; 0 when neither.
 * Strings are copied into store (cap bytes); out's pointers point there.
 * Returns ORTH_OK, ORTH_E_NOTFOUND (not a request line: another message),
 * ORTH_E_LIMIT (store too small), ORTH_E_MALFORMED (a request line that
 * does not parse).
 */
orth_err log_request_parse(const char *line, char *store, size_t cap,
			   struct log_request *out);

bool log_is_json(void);

#endif
