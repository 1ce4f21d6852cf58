#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hex.h"
#include "writer.h"

#define LOG_LINE_MAX 4096
#define LOG_FIELD_MAX 512 /* escaped bytes of one field: 7 fit in a line */

/* Process-wide log sink: set once at startup, read-only afterwards. */
static struct {
	bool syslog;
	bool json;
	bool journal; /* stderr is journald's stream: no time stamp */
	const char *ident;
} sink = {false, false, false, "orthrus"};

/*
 * systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connects
 * to stderr; when stderr is still that stream, journald stamps each line
 * and reads a "<N>" syslog priority prefix, so we print no time of our
 * own (systemd.exec(5), "$JOURNAL_STREAM").
 */
static bool
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_open(const char *ident, bool to_syslog, bool json)
{
	sink.ident = ident;
	sink.syslog = to_syslog;
	sink.json = json;
	sink.journal = !to_syslog && stderr_is_journal();
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

/* ---- formatting ---- */

static void
put_str(struct writer *w, const char *s)
{
	writer_put(w, s, strlen(s));
}

static void
put_fmt(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
put_fmt(struct writer *w, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		writer_put(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/*
 * Buffered lines (log_buffer_open): each thread that asks for it keeps its
 * own buffer, so that the request path takes no lock and makes no system
 * call to log; a flush writes the whole buffer with one write(2).  The
 * lock below is taken only around that write (and around each line of an
 * unbuffered thread), so that lines of several threads never interleave
 * inside a line on a pipe or journald's stream socket.
 */
struct log_buffer {
	char *buf;
	size_t cap, len;
	uint64_t first_ms; /* CLOCK_MONOTONIC of the oldest unwritten line */
};
static _Thread_local struct log_buffer *tls_buf;
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* The time stamp of stderr lines, formatted again only when the second
 * changes (strftime per line was a visible share of a served request). */
static _Thread_local struct {
	time_t sec;
	char text[24];
} tls_stamp;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
stderr_write(const char *p, size_t len)
{
	pthread_mutex_lock(&write_lock);
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* nowhere to report it: the line is lost */
		p += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&write_lock);
}

/* The prefix of a stderr line: "<prio>" for journald, the time and the
 * program name for a terminal or a file, nothing for JSON. */
static void
put_prefix(struct writer *w, enum log_level lvl)
{
	if (sink.journal) {
		put_fmt(w, "<%d>", syslog_prio(lvl));
	} else if (!sink.json) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (tls_stamp.text[0] == '\0' || now.tv_sec != tls_stamp.sec) {
			struct tm tm;
			gmtime_r(&now.tv_sec, &tm);
			strftime(tls_stamp.text, sizeof(tls_stamp.text), "%Y-%m-%dT%H:%M:%SZ",
				 &tm);
			tls_stamp.sec = now.tv_sec;
		}
		put_str(w, tls_stamp.text);
		put_str(w, " ");
		put_str(w, sink.ident);
		put_str(w, ": ");
	}
}

static void
emit(enum log_level lvl, const char *line)
{
	char tmp[LOG_LINE_MAX + 128];
	struct log_buffer *b = tls_buf;
	struct writer w;

	if (sink.syslog) {
		syslog(syslog_prio(lvl), "%s", line);
		return;
	}
	writer_init(&w, tmp, sizeof(tmp) - 1);
	put_prefix(&w, lvl);
	put_str(&w, line);
	/* a line is at most LOG_LINE_MAX: with its prefix it always fits */
	tmp[w.len++] = '\n';
	if (b == NULL) {
		stderr_write(tmp, w.len);
		return;
	}
	if (w.len > b->cap - b->len)
		log_buffer_flush();
	if (w.len > b->cap) {
		stderr_write(tmp, w.len);
		return;
	}
	if (b->len == 0)
		b->first_ms = mono_ms();
	memcpy(b->buf + b->len, tmp, w.len);
	b->len += w.len;
}

orth_err
log_buffer_open(size_t cap)
{
	struct log_buffer *b;

	if (tls_buf != NULL || cap == 0)
		return ORTH_E_INTERNAL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return ORTH_E_NOMEM;
	b->buf = malloc(cap);
	if (b->buf == NULL) {
		free(b);
		return ORTH_E_NOMEM;
	}
	b->cap = cap;
	tls_buf = b;
	return ORTH_OK;
}

void
log_buffer_flush(void)
{
	struct log_buffer *b = tls_buf;

	if (b == NULL || b->len == 0)
		return;
	stderr_write(b->buf, b->len);
	b->len = 0;
}

int
log_buffer_due(unsigned interval_ms)
{
	struct log_buffer *b = tls_buf;
	uint64_t age;

	if (b == NULL || b->len == 0)
		return -1;
	age = mono_ms() - b->first_ms;
	if (age >= interval_ms) {
		log_buffer_flush();
		return -1;
	}
	return (int)(interval_ms - age);
}

void
log_buffer_close(void)
{
	struct log_buffer *b = tls_buf;

	if (b == NULL)
		return;
	log_buffer_flush();
	tls_buf = NULL;
	free(b->buf);
	free(b);
}

/* s as the body of a JSON string (RFC 8259 §7), at most LOG_FIELD_MAX
 * bytes: cut at a whole escape, never in the middle of one.  Runs of
 * characters that need no escape are copied at once (names are such runs:
 * this is on the path of every request). */
static void
put_escaped(struct writer *w, const char *s)
{
	const char *run = s;
	size_t out = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];
		size_t n;

		if (ch != '"' && ch != '\\' && ch >= 0x20 && ch != 0x7f) {
			if (out + 1 > LOG_FIELD_MAX)
				break;
			out++;
			continue;
		}
		writer_put(w, run, (size_t)(s - run));
		run = s;
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			n = 2;
		} else {
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", ch);
		}
		if (out + n > LOG_FIELD_MAX)
			break;
		writer_put(w, esc, n);
		out += n;
		run = s + 1;
	}
	writer_put(w, run, (size_t)(s - run));
}

static void
put_json_str(struct writer *w, const char *s)
{
	if (s == NULL) {
		put_str(w, "null");
		return;
	}
	put_str(w, "\"");
	put_escaped(w, s);
	put_str(w, "\"");
}

/* May ch stand in a bare text value?  Printable ASCII (0x21..0x7e) but
 * the quote, the backslash and '=': one bit per octet, two words (16
 * instructions per character as a chain of comparisons, ~6 like this,
 * and each request line scans ~80). */
static inline bool
text_bare(unsigned char ch)
{
	static const uint64_t bare[2] = {0xdffffffa00000000ULL, 0x7fffffffefffffffULL};

	return ch < 0x80 && (bare[ch >> 6] >> (ch & 63) & 1) != 0;
}

/* A text value stands bare when it cannot be mistaken for the end of the
 * field or for another field; anything else is quoted and escaped.  One
 * scan decides, and a bare value (names, on every request line) is then
 * copied whole: it has nothing to escape. */
static void
put_text_val(struct writer *w, const char *s)
{
	size_t n;

	if (s == NULL) {
		put_str(w, "-");
		return;
	}
	for (n = 0; text_bare((unsigned char)s[n]); n++)
		;
	if (s[n] == '\0' && n != 0 && !(n == 1 && s[0] == '-')) {
		writer_put(w, s, n < LOG_FIELD_MAX ? n : LOG_FIELD_MAX);
		return;
	}
	put_str(w, "\"");
	put_escaped(w, s);
	put_str(w, "\"");
}

static const char *
result_of(const struct log_request *r)
{
	if (r->result != NULL)
		return r->result;
	return r->code == 0 ? LOG_RESULT_OK : LOG_RESULT_DROPPED;
}

size_t
log_request_format(const struct log_request *r, bool json, char *buf, size_t cap)
{
	struct writer w;
	const char *res = result_of(r);

	if (cap == 0)
		return 0;
	/* one byte kept for the NUL */
	writer_init(&w, buf, cap - 1);
	if (json) {
		int64_t t = r->time_usec;
		if (t == 0) {
			struct timespec now;
			clock_gettime(CLOCK_REALTIME, &now);
			t = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
		}
		put_fmt(&w, "{\"time\":%lld.%06lld", (long long)(t / 1000000),
			(long long)(t % 1000000));
		put_str(&w, ",\"peer\":");
		put_json_str(&w, r->peer);
		put_str(&w, ",\"transport\":");
		put_json_str(&w, r->transport);
		put_str(&w, ",\"type\":");
		put_json_str(&w, r->msg_type);
		put_str(&w, ",\"client\":");
		put_json_str(&w, r->client);
		put_str(&w, ",\"service\":");
		put_json_str(&w, r->service);
		put_str(&w, ",\"result\":");
		put_json_str(&w, res);
		put_fmt(&w, ",\"code\":%d", r->code);
		put_str(&w, ",\"reason\":");
		put_json_str(&w, r->reason);
		put_str(&w, ",\"etypes\":");
		put_json_str(&w, r->etypes);
		if (r->has_skew)
			put_fmt(&w, ",\"skew\":%lld", (long long)r->skew);
		put_fmt(&w, ",\"usec\":%ld}", r->usec);
	} else {
		put_text_val(&w, r->peer);
		put_str(&w, " ");
		put_text_val(&w, r->transport);
		put_str(&w, " ");
		put_text_val(&w, r->msg_type);
		put_str(&w, " client=");
		put_text_val(&w, r->client);
		put_str(&w, " service=");
		put_text_val(&w, r->service);
		if (strcmp(res, LOG_RESULT_OK) == 0 || strcmp(res, LOG_RESULT_DROPPED) == 0) {
			put_str(&w, " ");
			put_str(&w, res);
		} else {
			put_str(&w, " error=");
			put_text_val(&w, res);
		}
		/* the reason is always quoted: it is a sentence */
		put_str(&w, " reason=\"");
		put_escaped(&w, r->reason != NULL ? r->reason : "-");
		put_str(&w, "\" etypes=");
		put_text_val(&w, r->etypes);
		if (r->has_skew) {
			put_str(&w, " skew=");
			writer_dec(&w, r->skew);
		}
		put_str(&w, " usec=");
		writer_dec(&w, r->usec);
	}
	/* A line too long for the buffer keeps what fitted (each field is
	 * capped, so only an absurdly small buffer gets here). */
	buf[w.len] = '\0';
	return w.len;
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
		char out[LOG_LINE_MAX];
		struct writer w;

		writer_init(&w, out, sizeof(out) - 1);
		put_fmt(&w, "{\"level\":%d,\"msg\":", (int)lvl);
		put_json_str(&w, line);
		put_str(&w, "}");
		out[w.len] = '\0';
		emit(lvl, out);
		return;
	}
	emit(lvl, line);
}

void
log_request(const struct log_request *r)
{
	/* Names come from the network: escaped in both formats so that a
	 * hostile principal cannot forge log lines or fields. */
	char line[LOG_LINE_MAX];
	bool ok = strcmp(result_of(r), LOG_RESULT_OK) == 0;

	log_request_format(r, sink.json, line, sizeof(line));
	emit(ok ? LOG_LVL_INFO : LOG_LVL_WARN, line);
}

/* ---- reading lines back ---- */

/* Where strings are copied to: a bump allocator over the caller's store. */
struct store {
	char *buf;
	size_t cap, len;
	bool full;
};

static char *
store_begin(struct store *s)
{
	return s->full || s->len >= s->cap ? NULL : s->buf + s->len;
}

static void
store_putc(struct store *s, char c)
{
	if (s->full || s->len + 1 >= s->cap) {
		s->full = true;
		return;
	}
	s->buf[s->len++] = c;
}

static const char *
store_end(struct store *s, char *start)
{
	if (s->full || start == NULL)
		return NULL;
	s->buf[s->len++] = '\0';
	return start;
}

/* Append the UTF-8 of code point cp (below 0x10000: a \uXXXX escape). */
static void
store_utf8(struct store *s, unsigned cp)
{
	if (cp < 0x80) {
		store_putc(s, (char)cp);
	} else if (cp < 0x800) {
		store_putc(s, (char)(0xc0 | (cp >> 6)));
		store_putc(s, (char)(0x80 | (cp & 0x3f)));
	} else {
		store_putc(s, (char)(0xe0 | (cp >> 12)));
		store_putc(s, (char)(0x80 | ((cp >> 6) & 0x3f)));
		store_putc(s, (char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * A JSON string body at *pp (just after the opening quote) into the
 * store, up to and past the closing quote.  NULL (and *bad) when it does
 * not end or holds a bad escape.  A NUL escape (\u0000) ends up as a
 * literal NUL inside the C string: it is cut there, which is fine for a
 * name that was never a valid principal anyway.
 */
static const char *
read_json_string(const char **pp, struct store *s, bool *bad)
{
	const char *p = *pp;
	char *start = store_begin(s);

	for (;;) {
		char c = *p++;
		if (c == '\0') {
			*bad = true;
			return NULL;
		}
		if (c == '"')
			break;
		if (c != '\\') {
			store_putc(s, c);
			continue;
		}
		c = *p++;
		switch (c) {
		case '"': case '\\': case '/': store_putc(s, c); break;
		case 'b': store_putc(s, '\b'); break;
		case 'f': store_putc(s, '\f'); break;
		case 'n': store_putc(s, '\n'); break;
		case 'r': store_putc(s, '\r'); break;
		case 't': store_putc(s, '\t'); break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4; i++) {
				int h = hex_digit(p[i]);
				if (h < 0) {
					*bad = true;
					return NULL;
				}
				cp = cp * 16 + (unsigned)h;
			}
			p += 4;
			store_utf8(s, cp);
			break;
		}
		default:
			*bad = true;
			return NULL;
		}
	}
	*pp = p;
	return store_end(s, start);
}

static const char *
skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* "123", "-4", "1700000000.123456" as microseconds (fraction) or a plain
 * integer (frac false). */
static bool
read_number(const char **pp, bool frac, int64_t *out)
{
	const char *p = *pp;
	bool neg = false;
	int64_t v = 0, f = 0;
	int digits = 0, fd = 0, maxd = frac ? 12 : 18;

	if (*p == '-') {
		neg = true;
		p++;
	}
	/* at most 10^18 either way: no overflow, even scaled to microseconds */
	while (*p >= '0' && *p <= '9' && digits < maxd) {
		v = v * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || (*p >= '0' && *p <= '9'))
		return false;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (fd < 6) {
				f = f * 10 + (*p - '0');
				fd++;
			}
			p++;
		}
	}
	while (fd < 6) {
		f *= 10;
		fd++;
	}
	if (frac)
		v = v * 1000000 + f;
	*out = neg ? -v : v;
	*pp = p;
	return true;
}

static void
field_set(struct log_request *out, const char *key, const char *sval, bool is_str,
	  int64_t nval)
{
	if (is_str) {
		if (strcmp(key, "peer") == 0)
			out->peer = sval;
		else if (strcmp(key, "transport") == 0)
			out->transport = sval;
		else if (strcmp(key, "type") == 0)
			out->msg_type = sval;
		else if (strcmp(key, "client") == 0)
			out->client = sval;
		else if (strcmp(key, "service") == 0)
			out->service = sval;
		else if (strcmp(key, "result") == 0)
			out->result = sval;
		else if (strcmp(key, "reason") == 0)
			out->reason = sval;
		else if (strcmp(key, "etypes") == 0)
			out->etypes = sval;
		return;
	}
	if (strcmp(key, "code") == 0)
		out->code = (int)nval;
	else if (strcmp(key, "skew") == 0) {
		out->skew = nval;
		out->has_skew = true;
	} else if (strcmp(key, "usec") == 0)
		out->usec = (long)nval;
}

/* A flat JSON object of strings, numbers, null, true and false: the
 * request records log_request_format() writes. */
static orth_err
parse_json(const char *p, struct store *s, struct log_request *out)
{
	bool bad = false, have_type = false;

	p = skip_ws(p + 1);
	if (*p == '}')
		return ORTH_E_NOTFOUND;
	for (;;) {
		char key[32];
		size_t k = 0;

		if (*p++ != '"')
			return ORTH_E_MALFORMED;
		/* our keys are short and plain; any other key is skipped */
		while (*p != '"' && *p != '\0' && *p != '\\') {
			if (k + 1 < sizeof(key))
				key[k++] = *p;
			p++;
		}
		if (*p != '"')
			return ORTH_E_MALFORMED;
		key[k] = '\0';
		p = skip_ws(p + 1);
		if (*p++ != ':')
			return ORTH_E_MALFORMED;
		p = skip_ws(p);
		/* "type" makes it a request record, even when null */
		have_type |= strcmp(key, "type") == 0;
		if (*p == '"') {
			const char *v;
			p++;
			v = read_json_string(&p, s, &bad);
			if (bad)
				return ORTH_E_MALFORMED;
			if (v == NULL)
				return ORTH_E_LIMIT;
			field_set(out, key, v, true, 0);
		} else if (strncmp(p, "null", 4) == 0) {
			p += 4;
		} else if (strncmp(p, "true", 4) == 0) {
			p += 4;
		} else if (strncmp(p, "false", 5) == 0) {
			p += 5;
		} else {
			int64_t v;
			bool is_time = strcmp(key, "time") == 0;
			if (!read_number(&p, is_time, &v) || (is_time && v < 0))
				return ORTH_E_MALFORMED;
			if (is_time)
				out->time_usec = v;
			else
				field_set(out, key, NULL, false, v);
		}
		p = skip_ws(p);
		if (*p == ',') {
			p = skip_ws(p + 1);
			continue;
		}
		if (*p != '}')
			return ORTH_E_MALFORMED;
		break;
	}
	/* log_msg()'s {"level":..,"msg":..} objects are not requests */
	return have_type ? ORTH_OK : ORTH_E_NOTFOUND;
}

/* A text value at *pp: bare up to a blank, or a quoted JSON string. */
static const char *
read_text_val(const char **pp, struct store *s, bool *bad)
{
	const char *p = *pp, *v;
	char *start;

	if (*p == '"') {
		p++;
		v = read_json_string(&p, s, bad);
		*pp = p;
		return v;
	}
	start = store_begin(s);
	while (*p != '\0' && *p != ' ' && *p != '\n' && *p != '\r')
		store_putc(s, *p++);
	*pp = p;
	v = store_end(s, start);
	/* `-` is the text format's missing value */
	if (v != NULL && strcmp(v, "-") == 0)
		return NULL;
	return v;
}

/*
 * The text format.  p points at the line's " client=": the three tokens
 * before it are the peer, transport and type, which never hold blanks.
 */
static orth_err
parse_text(const char *line, const char *cl, struct store *s, struct log_request *out)
{
	const char *tok[3], *p = cl, *v;
	bool bad = false;

	for (int i = 2; i >= 0; i--) {
		const char *e = p;
		if (p == line)
			return ORTH_E_NOTFOUND;
		p--; /* the blank before */
		while (p > line && p[-1] != ' ')
			p--;
		if (p == e)
			return ORTH_E_NOTFOUND;
		tok[i] = p;
	}
	for (int i = 0; i < 3; i++) {
		const char *q = tok[i];
		v = read_text_val(&q, s, &bad);
		if (i == 0)
			out->peer = v;
		else if (i == 1)
			out->transport = v;
		else
			out->msg_type = v;
	}
	p = cl + 1;
	while (*p != '\0' && *p != '\n' && *p != '\r') {
		char key[32];
		size_t k = 0;

		while (*p != '\0' && *p != '=' && *p != ' ' && *p != '\n') {
			if (k + 1 < sizeof(key))
				key[k++] = *p;
			p++;
		}
		key[k] = '\0';
		if (*p != '=') {
			/* a bare word: the result ok / dropped */
			if (strcmp(key, LOG_RESULT_OK) == 0) {
				out->result = LOG_RESULT_OK;
				out->code = 0;
			} else if (strcmp(key, LOG_RESULT_DROPPED) == 0) {
				out->result = LOG_RESULT_DROPPED;
				out->code = -1;
			}
		} else {
			p++;
			if (strcmp(key, "skew") == 0 || strcmp(key, "usec") == 0) {
				int64_t n;
				if (!read_number(&p, false, &n))
					return ORTH_E_MALFORMED;
				field_set(out, key, NULL, false, n);
			} else {
				v = read_text_val(&p, s, &bad);
				if (bad)
					return ORTH_E_MALFORMED;
				if (strcmp(key, "error") == 0)
					out->result = v;
				else if (strcmp(key, "reason") == 0)
					/* always quoted; "-" is its missing value */
					out->reason = v != NULL && strcmp(v, "-") == 0 ? NULL : v;
				else if (strcmp(key, "client") == 0 || strcmp(key, "service") == 0 ||
					 strcmp(key, "reason") == 0 || strcmp(key, "etypes") == 0)
					field_set(out, key, v, true, 0);
			}
		}
		while (*p == ' ')
			p++;
	}
	if (s->full)
		return ORTH_E_LIMIT;
	return out->result != NULL ? ORTH_OK : ORTH_E_MALFORMED;
}

/* "2026-01-02T03:04:05[.frac](Z|+hh:mm|+hhmm)" at the start of line. */
static bool
parse_iso_time(const char *p, int64_t *usec_out)
{
	struct tm tm;
	int64_t frac = 0, off = 0;
	int fd = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 || strlen(p) < 19 || p[4] != '-' ||
	    p[10] != 'T')
		return false;
	p += 19;
	if (*p == '.' || *p == ',') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (fd < 6) {
				frac = frac * 10 + (*p - '0');
				fd++;
			}
			p++;
		}
		while (fd++ < 6)
			frac *= 10;
	}
	if (*p == '+' || *p == '-') {
		int hh = 0, mm = 0;
		int sign = *p == '-' ? -1 : 1;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(p + 1, "%2d%2d", &hh, &mm) != 2)
			return false;
		off = sign * (hh * 3600 + mm * 60);
	} else if (*p != 'Z') {
		return false;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm);
	/* before 1970 (or not a time at all): no time, rather than one
	 * that prints back as nonsense */
	if (t == (time_t)-1 || (int64_t)t - off < 0 || (int64_t)t - off > (int64_t)1 << 40)
		return false;
	*usec_out = ((int64_t)t - off) * 1000000 + frac;
	return true;
}

orth_err
log_request_parse(const char *line, char *store, size_t cap, struct log_request *out)
{
	struct store s = {store, cap, 0, false};
	const char *brace, *cl;
	orth_err ret;

	memset(out, 0, sizeof(*out));
	if (cap == 0)
		return ORTH_E_LIMIT;
	/* JSON: a whole object after any prefix; a text line holds no
	 * brace outside its quoted values, and never before " client=". */
	brace = strchr(line, '{');
	cl = strstr(line, " client=");
	if (brace != NULL && (cl == NULL || brace < cl)) {
		ret = parse_json(brace, &s, out);
	} else if (cl != NULL) {
		int64_t t;
		ret = parse_text(line, cl, &s, out);
		if (ret == ORTH_OK && parse_iso_time(line, &t))
			out->time_usec = t;
	} else {
		return ORTH_E_NOTFOUND;
	}
	if (ret == ORTH_OK && s.full)
		ret = ORTH_E_LIMIT;
	if (ret == ORTH_OK && out->result == NULL)
		out->result = out->code == 0 ? LOG_RESULT_OK : LOG_RESULT_DROPPED;
	return ret;
}
