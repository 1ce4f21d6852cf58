#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

/* Process-wide log sink: set once at startup, read-only afterwards. */
static struct {
	bool syslog;
	bool json;
	const char *ident;
} sink = {false, false, "orthrus"};

void
log_open(const char *ident, bool to_syslog, bool json)
{
	sink.ident = ident;
	sink.syslog = to_syslog;
	sink.json = json;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_reopen(void)
{
	if (sink.syslog) {
		closelog();
		openlog(sink.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

void
log_close(void)
{
	if (sink.syslog)
		closelog();
}

bool
log_is_json(void)
{
	return sink.json;
}

static int
syslog_prio(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR: return LOG_ERR;
	case LOG_LVL_WARN: return LOG_WARNING;
	case LOG_LVL_INFO: return LOG_INFO;
	default: return LOG_DEBUG;
	}
}

static void
emit(enum log_level lvl, const char *line)
{
	if (sink.syslog) {
		syslog(syslog_prio(lvl), "%s", line);
		return;
	}
	char ts[32];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (sink.json)
		fprintf(stderr, "%s\n", line);
	else
		fprintf(stderr, "%s %s: %s\n", ts, sink.ident, line);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sink.json) {
		char esc[1200];
		size_t o = 0;
		for (const char *p = line; *p && o + 7 < sizeof(esc); p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '"' || ch == '\\') {
				esc[o++] = '\\';
				esc[o++] = (char)ch;
			} else if (ch < 0x20) {
				o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\u%04x", ch);
			} else {
				esc[o++] = (char)ch;
			}
		}
		esc[o] = '\0';
		char out[1300];
		snprintf(out, sizeof(out), "{\"level\":%d,\"msg\":\"%s\"}", (int)lvl, esc);
		emit(lvl, out);
		return;
	}
	emit(lvl, line);
}

/* Copy s into a JSON string body, escaping; never overflows. */
static void
json_str(char *dst, size_t cap, const char *s)
{
	size_t o = 0;
	if (s == NULL)
		s = "";
	for (; *s && o + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)ch;
		} else if (ch < 0x20 || ch == 0x7f) {
			o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", ch);
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o] = '\0';
}

void
log_request(const struct log_request *r)
{
	/* Names come from the network: escape them in both formats so a
	 * hostile principal cannot forge log lines. */
	char f[7][200];
	const char *src[7] = {r->peer, r->transport, r->msg_type, r->client,
			      r->service, r->reason, r->etypes};
	char line[2048];

	for (int i = 0; i < 7; i++)
		json_str(f[i], sizeof(f[i]), src[i] ? src[i] : "-");
	if (sink.json) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(line, sizeof(line),
			 "{\"time\":%lld.%06ld,\"peer\":\"%s\",\"transport\":\"%s\","
			 "\"type\":\"%s\",\"client\":\"%s\",\"service\":\"%s\","
			 "\"error\":%d,\"reason\":\"%s\",\"etypes\":\"%s\",\"usec\":%ld}",
			 (long long)now.tv_sec, now.tv_nsec / 1000, f[0], f[1], f[2],
			 f[3], f[4], r->error_code, f[5], f[6], r->usec);
	} else {
		snprintf(line, sizeof(line),
			 "%s %s %s client=%s service=%s %s=%d reason=\"%s\" etypes=%s usec=%ld",
			 f[0], f[1], f[2], f[3], f[4],
			 r->error_code ? "error" : "ok", r->error_code, f[5], f[6],
			 r->usec);
	}
	emit(r->error_code ? LOG_LVL_WARN : LOG_LVL_INFO, line);
}
