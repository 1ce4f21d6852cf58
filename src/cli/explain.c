/*
 * explain.c - `orthrus explain PRINCIPAL [--since TIME] [--log FILE]`: why
 * were this principal's recent requests refused, in plain words, and what
 * to do about it.
 *
 * It reads the KDC's request records (base/log.h: the same record the log
 * line is printed from, text or JSON) from a log file, or from the journal
 * (journalctl) or syslog when no file is named; keeps the refusals of the
 * principal's requests; groups them by cause; and looks the principal up
 * in the database (when it can be opened) for what the log line cannot
 * say: when the password expired, whether the account is still locked,
 * which names come close to one that does not exist.
 *
 * A KDC_ERR_PREAUTH_REQUIRED is not a refusal: it is the first round of
 * every password login (RFC 4120 §5.2.7).  Only one that the client never
 * followed up is reported: the user gave up at the prompt, or the client
 * has nothing to pre-authenticate with.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/log.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/kdc_config.h"
#include "kdc/lockout.h"
#include "kdc/replay.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/principal.h"

#define CMD "explain"
#define MAX_CAUSES 64
#define MAX_SUGGEST 3
/* A PREAUTH_REQUIRED not followed by another AS-REQ of the same client
 * within this many seconds was not answered by the client. */
#define FOLLOW_UP_SECS 120
#define DEFAULT_WINDOW (24 * 3600)

struct cause {
	char result[48];        /* "KDC_ERR_PREAUTH_FAILED", or GAVE_UP */
	char reason[160];       /* the log's reason, up to any "; ..." */
	char service[256];
	char msg_type[16];
	char etypes[96];
	bool has_skew;
	int64_t skew;           /* the latest refusal's */
	bool locked_now;        /* a failure that locked the account */
	unsigned count;
	int64_t first, last;    /* microseconds since the epoch, 0: unknown */
	int64_t solved;         /* a later success of the same request, or 0 */
};

/* The cause of a pre-authentication the client never sent. */
#define GAVE_UP "gave-up-preauth"

struct scan {
	const char *who;        /* the principal, canonical */
	int64_t since;          /* microseconds */
	const char *source;     /* what was read, for the summary */
	unsigned records;       /* request records read, anyone's */
	unsigned seen, refused, ok;
	int64_t last_ok;        /* microseconds, 0: none seen */
	struct cause causes[MAX_CAUSES];
	size_t ncauses;
	bool dropped_causes;
	/* the latest PREAUTH_REQUIRED not yet followed up */
	bool pending;
	struct cause pend;
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus explain PRINCIPAL [--since TIME] [--log FILE] [-c CONFIG]\n"
		   "Why were PRINCIPAL's recent requests refused, and what to do.\n"
		   "TIME: YYYY-MM-DD[THH:MM[:SS]] (UTC), a Unix time, or a duration ago\n"
		   "      (30m, 2h, 7d); default 24h ago\n"
		   "FILE: the KDC's log (text or --log-json lines), '-' for stdin; default:\n"
		   "      the journal (journalctl), else /var/log/syslog\n");
}

/* ---- small helpers ---- */

/* s into dst (cap bytes), cut short if it must be; NULL is "". */
static void
copy(char *dst, size_t cap, const char *s)
{
	size_t n = s != NULL ? strnlen(s, cap - 1) : 0;

	if (n > 0)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "2026-11-30 12:00:05 UTC" (usec; seconds for db times via *1e6). */
static const char *
when(int64_t usec, char *buf, size_t cap)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (usec == 0) {
		copy(buf, cap, "(time unknown)");
		return buf;
	}
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

static const char *
day(int64_t sec, char *buf, size_t cap)
{
	time_t t = (time_t)sec;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%d", &tm);
	return buf;
}

/* The name an administrator types: without the realm when it is the
 * default one. */
static const char *
short_name(const char *full, const char *realm, char *buf, size_t cap)
{
	const char *at = strrchr(full, '@');

	copy(buf, cap, full);
	if (at != NULL && realm != NULL && strcmp(at + 1, realm) == 0 &&
	    (size_t)(at - full) < cap)
		buf[at - full] = '\0';
	return buf;
}

/* --since: a date, a Unix time, or a duration ago; microseconds. */
static bool
since_parse(const char *s, int64_t now, int64_t *out)
{
	struct tm tm;
	int64_t d;
	char *end;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &n) == 3) {
		const char *p = s + n;
		if (*p == 'T' || *p == ' ') {
			int k = 0;
			if (sscanf(p + 1, "%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &k) != 2)
				return false;
			p += 1 + k;
			if (*p == ':' && sscanf(p + 1, "%2d%n", &tm.tm_sec, &k) == 1)
				p += 1 + k;
		}
		if (*p == 'Z')
			p++;
		if (*p != '\0')
			return false;
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		*out = (int64_t)timegm(&tm) * 1000000;
		return true;
	}
	if (*s == '@' || (isdigit((unsigned char)*s) && strlen(s) >= 9)) {
		errno = 0;
		d = strtoll(s + (*s == '@'), &end, 10);
		if (errno != 0 || *end != '\0' || d < 0)
			return false;
		*out = d * 1000000;
		return true;
	}
	if (config_parse_duration(s, &d) != ORTH_OK)
		return false;
	*out = now - d * 1000000;
	return true;
}

/* ---- reading the records ---- */

/* Cut a reason at its first "; " (a detail such as "client now locked
 * out", which the cause keeps as a flag). */
static void
reason_norm(char *dst, size_t cap, const char *reason)
{
	const char *semi;

	copy(dst, cap, reason);
	semi = strstr(dst, "; ");
	if (semi != NULL)
		dst[semi - dst] = '\0';
}

static struct cause *
cause_find(struct scan *sc, const char *result, const char *reason, const char *service)
{
	char norm[160];

	reason_norm(norm, sizeof(norm), reason);
	for (size_t i = 0; i < sc->ncauses; i++) {
		struct cause *c = &sc->causes[i];
		if (strcmp(c->result, result) == 0 && strcmp(c->reason, norm) == 0 &&
		    strcmp(c->service, service != NULL ? service : "") == 0)
			return c;
	}
	if (sc->ncauses == MAX_CAUSES) {
		sc->dropped_causes = true;
		return NULL;
	}
	struct cause *c = &sc->causes[sc->ncauses++];
	memset(c, 0, sizeof(*c));
	copy(c->result, sizeof(c->result), result);
	copy(c->reason, sizeof(c->reason), norm);
	copy(c->service, sizeof(c->service), service);
	return c;
}

/* Count r (or a copy of a pending one) under its cause. */
static void
cause_add(struct scan *sc, const char *result, const struct cause *from,
	  const struct log_request *r)
{
	const char *reason = r != NULL ? r->reason : from->reason;
	const char *service = r != NULL ? r->service : from->service;
	int64_t t = r != NULL ? r->time_usec : from->last;
	struct cause *c = cause_find(sc, result, reason, service);

	if (c == NULL)
		return;
	c->count++;
	c->solved = 0;
	if (c->first == 0 || (t != 0 && t < c->first))
		c->first = t;
	if (t >= c->last)
		c->last = t;
	if (r != NULL) {
		copy(c->msg_type, sizeof(c->msg_type), r->msg_type);
		copy(c->etypes, sizeof(c->etypes), r->etypes);
		if (r->has_skew) {
			c->has_skew = true;
			c->skew = r->skew;
		}
		if (r->reason != NULL && strstr(r->reason, "locked out") != NULL)
			c->locked_now = true;
	} else {
		copy(c->msg_type, sizeof(c->msg_type), from->msg_type);
		copy(c->etypes, sizeof(c->etypes), from->etypes);
	}
	sc->refused++;
}

static void
pending_close(struct scan *sc)
{
	if (sc->pending)
		cause_add(sc, GAVE_UP, &sc->pend, NULL);
	sc->pending = false;
}

/* A round of pre-authentication the client is expected to follow up
 * (RFC 6113 §5.2: MORE_PREAUTH_DATA_REQUIRED for SPAKE's challenge and
 * FAST's multi-round mechanisms), not a refusal in itself. */
static bool
preauth_round(const char *result)
{
	return strcmp(result, "KDC_ERR_PREAUTH_REQUIRED") == 0 ||
	       strcmp(result, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED") == 0;
}

static void
record_take(struct scan *sc, const struct log_request *r)
{
	bool as = r->msg_type != NULL && strcmp(r->msg_type, "AS-REQ") == 0;
	bool ok = strcmp(r->result, LOG_RESULT_OK) == 0;

	if (r->client == NULL || strcmp(r->client, sc->who) != 0)
		return;
	if (r->time_usec != 0 && r->time_usec < sc->since)
		return;
	sc->seen++;
	/* the round after a PREAUTH_REQUIRED, or too late to be one */
	if (sc->pending && as &&
	    (r->time_usec == 0 || sc->pend.last == 0 ||
	     r->time_usec - sc->pend.last <= (int64_t)FOLLOW_UP_SECS * 1000000)) {
		bool again = preauth_round(r->result);
		if (again)
			pending_close(sc);
		else
			sc->pending = false;
	} else if (sc->pending && r->time_usec != 0 && sc->pend.last != 0 &&
		   r->time_usec - sc->pend.last > (int64_t)FOLLOW_UP_SECS * 1000000) {
		pending_close(sc);
	}
	if (ok) {
		sc->ok++;
		if (r->time_usec >= sc->last_ok)
			sc->last_ok = r->time_usec != 0 ? r->time_usec : sc->last_ok;
		/* the same request (type and service) went through since: a
		 * ticket for kadmin/changepw solves no refused login */
		for (size_t i = 0; i < sc->ncauses; i++) {
			struct cause *c = &sc->causes[i];
			if (strcmp(c->msg_type, r->msg_type != NULL ? r->msg_type : "") == 0 &&
			    strcmp(c->service, r->service != NULL ? r->service : "") == 0)
				c->solved = r->time_usec != 0 ? r->time_usec : 1;
		}
		return;
	}
	if (strcmp(r->result, LOG_RESULT_DROPPED) == 0)
		return;
	if (preauth_round(r->result) &&
	    (r->reason == NULL || strstr(r->reason, "hardware") == NULL)) {
		memset(&sc->pend, 0, sizeof(sc->pend));
		copy(sc->pend.reason, sizeof(sc->pend.reason), r->reason);
		copy(sc->pend.service, sizeof(sc->pend.service), r->service);
		copy(sc->pend.msg_type, sizeof(sc->pend.msg_type), r->msg_type);
		copy(sc->pend.etypes, sizeof(sc->pend.etypes), r->etypes);
		sc->pend.last = r->time_usec;
		sc->pending = true;
		return;
	}
	cause_add(sc, r->result, NULL, r);
}

static void
scan_stream(struct scan *sc, FILE *f)
{
	char *line = NULL, store[8192];
	size_t cap = 0;
	struct log_request r;

	while (getline(&line, &cap, f) > 0)
		if (log_request_parse(line, store, sizeof(store), &r) == ORTH_OK) {
			sc->records++;
			record_take(sc, &r);
		}
	free(line);
}

/*
 * The journal: `journalctl -t orthrus-kdc -t orthrus -o short-iso --since
 * @T`, read through a pipe.  false when it holds no KDC request at all
 * (no journalctl, no journal, or a KDC logging elsewhere).
 */
static bool
scan_journal(struct scan *sc)
{
	int p[2], st = 0;
	char since[32];
	pid_t pid;
	FILE *f;

	snprintf(since, sizeof(since), "@%lld", (long long)(sc->since / 1000000));
	if (pipe(p) != 0)
		return false;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return false;
	}
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execlp("journalctl", "journalctl", "--no-pager", "-q", "-o", "short-iso", "-t",
		       "orthrus-kdc", "-t", "orthrus", "--since", since, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	if (f == NULL) {
		close(p[0]);
		waitpid(pid, &st, 0);
		return false;
	}
	scan_stream(sc, f);
	fclose(f);
	waitpid(pid, &st, 0);
	return sc->records > 0;
}

/* ---- the database ---- */

struct facts {
	struct db *db;
	struct arena a;
	bool have_entry, have_policy;
	struct db_entry e;
	struct db_policy pol;
	const char *realm;
};

/* Edit distance, bounded: names are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[258], cur[258];

	if (la > 256 || lb > 256)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/*
 * How close a stored name is to the one asked for; 0: not close.  The
 * usual mistakes rank first: a short host name for the full one
 * ("host/x" for "host/x.example.com") or the other way round, then a
 * different case, then a few typos.
 */
static unsigned
closeness(const char *want, const char *have)
{
	const char *wa = strrchr(want, '@'), *ha = strrchr(have, '@');
	size_t wl = wa != NULL ? (size_t)(wa - want) : strlen(want);
	size_t hl = ha != NULL ? (size_t)(ha - have) : strlen(have);
	char w[257], h[257];
	size_t d, lim;

	if (wl > 256 || hl > 256 || (wl == hl && strncmp(want, have, wl) == 0))
		return 0;
	memcpy(w, want, wl);
	w[wl] = '\0';
	memcpy(h, have, hl);
	h[hl] = '\0';
	/* one is the other plus a domain: "x" and "x.example.com" */
	if ((hl > wl && strncmp(h, w, wl) == 0 && h[wl] == '.') ||
	    (wl > hl && strncmp(w, h, hl) == 0 && w[hl] == '.'))
		return 100;
	if (strcasecmp(w, h) == 0)
		return 90;
	d = distance(w, h);
	lim = wl / 4 < 2 ? 2 : wl / 4;
	return d <= lim ? (unsigned)(80 - d) : 0;
}

struct suggest {
	const char *want;
	char names[MAX_SUGGEST][256];
	unsigned score[MAX_SUGGEST];
};

static orth_err
suggest_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t rec_len)
{
	struct suggest *s = arg;
	unsigned sc = closeness(s->want, e->name);

	(void)rec;
	(void)rec_len;
	/* the realm's own machinery is no suggestion for a user's typo */
	if (sc == 0 || strncmp(e->name, "krbtgt/", 7) == 0 || strncmp(e->name, "kadmin/", 7) == 0)
		return ORTH_OK;
	for (size_t i = 0; i < MAX_SUGGEST; i++) {
		if (sc > s->score[i]) {
			for (size_t j = MAX_SUGGEST - 1; j > i; j--) {
				s->score[j] = s->score[j - 1];
				memcpy(s->names[j], s->names[j - 1], sizeof(s->names[j]));
			}
			s->score[i] = sc;
			copy(s->names[i], sizeof(s->names[i]), e->name);
			break;
		}
	}
	return ORTH_OK;
}

/* "did you mean A or B?" into buf, or "" when nothing comes close. */
static void
suggest_names(struct facts *fx, const char *want, char *buf, size_t cap)
{
	struct suggest s;
	char sn[256];
	size_t off = 0;

	buf[0] = '\0';
	if (fx->db == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.want = want;
	(void)db_principal_iterate(fx->db, suggest_one, &s);
	for (size_t i = 0; i < MAX_SUGGEST && s.score[i] > 0 && off < cap; i++) {
		int n = snprintf(buf + off, cap - off, "%s%s",
				 i == 0 ? ": did you mean " : " or ",
				 short_name(s.names[i], fx->realm, sn, sizeof(sn)));
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off > 0 && off + 1 < cap)
		snprintf(buf + off, cap - off, "?");
}

static void
facts_load(struct facts *fx, const struct kdc_config_realm *realm, const char *who)
{
	struct db_options o = {0};
	char err[256];

	memset(fx, 0, sizeof(*fx));
	fx->realm = realm != NULL ? realm->name : NULL;
	if (realm == NULL || arena_init(&fx->a, 4 * DB_MAX_RECORD) != ORTH_OK)
		return;
	o.path = realm->database_name;
	o.stash_path = realm->key_stash_file;
	o.realm = realm->name;
	o.map_size = realm->database_map_size;
	if (db_open(&o, &fx->db, err, sizeof(err)) != ORTH_OK) {
		fprintf(stderr, "orthrus %s: note: the database cannot be read (%s): what follows "
			"comes from the log alone\n", CMD, err);
		fx->db = NULL;
		return;
	}
	if (db_principal_get(fx->db, who, &fx->a, &fx->e) == ORTH_OK) {
		fx->have_entry = true;
		if (fx->e.policy != NULL && fx->e.policy[0] != '\0' &&
		    db_policy_get(fx->db, fx->e.policy, &fx->a, &fx->pol) == ORTH_OK)
			fx->have_policy = true;
	}
}

static void
facts_free(struct facts *fx)
{
	db_close(fx->db);
	arena_free(&fx->a);
}

/* ---- the words ---- */

/* "18,17,20->18" as "aes256-cts-hmac-sha1-96, aes128-...": the offered
 * list only. */
static void
etype_names(const char *list, char *buf, size_t cap)
{
	char tmp[96];
	size_t off = 0;

	buf[0] = '\0';
	copy(tmp, sizeof(tmp), list);
	tmp[strcspn(tmp, "-")] = '\0';
	for (char *tok = strtok(tmp, ","); tok != NULL && off < cap; tok = strtok(NULL, ",")) {
		const char *n = crypto_enctype_name((int32_t)atoi(tok));
		int k = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", n ? n : tok);
		if (k < 0)
			break;
		off += (size_t)k;
	}
}

static void
key_etypes(const struct facts *fx, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = '\0';
	if (!fx->have_entry || fx->e.nkeysets == 0)
		return;
	for (size_t j = 0; j < fx->e.keysets[0].nkeys && off < cap; j++) {
		const char *n = crypto_enctype_name(fx->e.keysets[0].keys[j].enctype);
		int k = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", n ? n : "?");
		if (k < 0)
			break;
		off += (size_t)k;
	}
}

/* The end of a cause's first line: when, how often, and the error's
 * name (and detail, when the words above do not say it all). */
static void
say_tail(const struct cause *c, const char *name, const char *detail)
{
	char a[40], b[40];

	if (c->count == 1 || c->first / 1000000 == c->last / 1000000)
		printf(" (at %s, ", when(c->last, a, sizeof(a)));
	else
		printf(" (%s to %s, ", when(c->first, a, sizeof(a)), when(c->last, b, sizeof(b)));
	if (c->count > 1)
		printf("%u times, ", c->count);
	printf("%s%s%s)\n", name, detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void
explain_cause(const struct cause *c, struct facts *fx, const char *who, int64_t now)
{
	char me[256], svc[256], buf[512], d[32], t[40];
	const struct db_entry *e = fx->have_entry ? &fx->e : NULL;
	const char *text = proto_krb_err_text(proto_krb_err_code(c->result));

	short_name(who, fx->realm, me, sizeof(me));
	short_name(c->service, fx->realm, svc, sizeof(svc));
	printf("\n* ");
	if (strcmp(c->result, "KDC_ERR_PREAUTH_FAILED") == 0) {
		printf("wrong password");
		say_tail(c, c->result, NULL);
		printf("  The password typed does not match the one in the database.\n");
		if (c->locked_now || (e != NULL && fx->have_policy &&
				      lockout_is_locked(&fx->pol, e, now / 1000000)))
			printf("  These failures locked the account (policy %s allows %u).\n",
			       fx->have_policy ? fx->pol.name : "?",
			       fx->have_policy ? fx->pol.pw_max_fail : 0);
		else if (e != NULL && fx->have_policy && fx->pol.pw_max_fail > 0 &&
			 e->fail_count < fx->pol.pw_max_fail)
			printf("  %u failure%s counted now: %u more will lock the account "
			       "(policy %s allows %u).\n", e->fail_count,
			       e->fail_count == 1 ? "" : "s", fx->pol.pw_max_fail - e->fail_count,
			       fx->pol.name, fx->pol.pw_max_fail);
		printf("  What to do: the user types the right password; if it is forgotten, set "
		       "a new one with `orthrus admin set-password %s`.\n", me);
	} else if (strcmp(c->result, "KDC_ERR_KEY_EXPIRED") == 0) {
		bool must = strstr(c->reason, "must be changed") != NULL;
		if (must)
			printf("password must be changed (requires-pwchange is set)");
		else if (e != NULL && e->pw_expire != 0)
			printf("password expired on %s", day(e->pw_expire, d, sizeof(d)));
		else
			printf("password expired");
		say_tail(c, c->result, NULL);
		if (e != NULL && !must && (e->pw_expire == 0 || e->pw_expire > now / 1000000))
			printf("  It has been changed since: the password now %s%s.\n",
			       e->pw_expire == 0 ? "never expires" : "expires on ",
			       e->pw_expire == 0 ? "" : day(e->pw_expire, d, sizeof(d)));
		printf("  What to do: set a new one with `orthrus admin set-password %s`, or let "
		       "the user change it (MIT kinit offers to, through kpasswd).\n", me);
	} else if (strcmp(c->result, "KDC_ERR_CLIENT_REVOKED") == 0) {
		if (strstr(c->reason, "locked out") != NULL) {
			printf("locked out after too many wrong passwords");
			say_tail(c, c->result, NULL);
			if (e != NULL && fx->have_policy) {
				int64_t until = lockout_locked_until(&fx->pol, e);
				if (!lockout_is_locked(&fx->pol, e, now / 1000000))
					printf("  The lock has ended since (or was lifted).\n");
				else if (until == 0)
					printf("  %u failures under policy %s; locked until an "
					       "administrator unlocks it.\n", e->fail_count,
					       fx->pol.name);
				else
					printf("  %u failures under policy %s; locked until %s.\n",
					       e->fail_count, fx->pol.name,
					       when(until * 1000000, t, sizeof(t)));
			}
			printf("  What to do: find out who typed the wrong passwords, then `orthrus "
			       "admin unlock %s`.\n", me);
		} else if (strstr(c->reason, "expired") != NULL) {
			if (e != NULL && e->princ_expire != 0)
				printf("the account expired on %s", day(e->princ_expire, d, sizeof(d)));
			else
				printf("the account has expired");
			say_tail(c, c->result, NULL);
			printf("  What to do: if it should live on, `orthrus admin modify %s --expires "
			       "never` (or a new date).\n", me);
		} else {
			printf("the account is disabled (disallow-all-tix)");
			say_tail(c, c->result, NULL);
			if (e != NULL && !(e->attributes & DB_ATTR_DISALLOW_ALL_TIX))
				printf("  It has been enabled since.\n");
			printf("  What to do: if it should work, `orthrus admin modify %s --attr "
			       "-disallow-all-tix`.\n", me);
		}
	} else if (strcmp(c->result, "KDC_ERR_C_PRINCIPAL_UNKNOWN") == 0) {
		suggest_names(fx, who, buf, sizeof(buf));
		printf("%s is not in the database%s", me, buf);
		say_tail(c, c->result, NULL);
		printf("  What to do: use the right name, or create it with `orthrus admin add %s`.\n",
		       me);
	} else if (strcmp(c->result, "KDC_ERR_S_PRINCIPAL_UNKNOWN") == 0) {
		suggest_names(fx, c->service, buf, sizeof(buf));
		printf("service %s not in the database%s", svc, buf);
		say_tail(c, c->result, NULL);
		printf("  What to do: ask for the name the service is registered under (how the "
		       "client turns a host name into a principal: its rdns and "
		       "dns_canonicalize_hostname settings), or register it: `orthrus admin add %s "
		       "--random-key` and `orthrus admin ktadd --keytab FILE %s` for the service.\n",
		       svc, svc);
	} else if (strcmp(c->result, "KRB_AP_ERR_SKEW") == 0) {
		int64_t s = c->skew < 0 ? -c->skew : c->skew;
		if (c->has_skew)
			printf("clock skew of %lld s", (long long)s);
		else
			printf("clock skew too great");
		say_tail(c, c->result, NULL);
		if (c->has_skew)
			printf("  The client's clock is %lld s %s the KDC's; at most %d s are allowed.\n",
			       (long long)s, c->skew > 0 ? "ahead of" : "behind", KDC_REPLAY_DEFAULT_SKEW);
		printf("  What to do: the client's clock is wrong: set it right (NTP); MIT clients "
		       "can also follow the KDC's time (kdc_timesync = true, the default).\n");
	} else if (strcmp(c->result, GAVE_UP) == 0 && strstr(c->reason, "disabled in this realm") != NULL) {
		/* kdc/preauth/preauth.c: the padata of a mechanism the realm
		 * turned off is ignored, so the answer is PREAUTH_REQUIRED. */
		printf("pre-authenticated with a mechanism this realm has turned off");
		say_tail(c, "KDC_ERR_PREAUTH_REQUIRED", c->reason);
		printf("  The realm sets disable_encrypted_timestamp: the client's PA-ENC-TIMESTAMP "
		       "counts as none.  It needs SPAKE (MIT's kinit 1.17 and later, orthrus kinit) or "
		       "encrypted challenge inside FAST (kinit -T).\n");
		printf("  What to do: use such a client; turning the timestamp back on lets every "
		       "recorded login be attacked offline.\n");
	} else if (strcmp(c->result, GAVE_UP) == 0) {
		printf("asked for pre-authentication and never answered");
		if (c->service[0] != '\0' && strncmp(c->service, "krbtgt/", 7) != 0)
			printf(", asking for %s", svc);
		say_tail(c, "KDC_ERR_PREAUTH_REQUIRED, then nothing", NULL);
		printf("  The account requires pre-authentication; the client was told so and sent "
		       "no second request: the user gave up at the password prompt, or the client "
		       "has no pre-authentication this KDC offers (encrypted timestamp, SPAKE).\n");
		printf("  What to do: try again and type the password; for a client that cannot "
		       "pre-authenticate (not advised) `orthrus admin modify %s "
		       "--no-requires-preauth`.\n", me);
	} else if (strcmp(c->result, "KDC_ERR_PREAUTH_REQUIRED") == 0) {
		printf("requires hardware pre-authentication (requires-hwauth)");
		say_tail(c, c->result, NULL);
		printf("  This KDC has no hardware pre-authentication mechanism, so no login can "
		       "satisfy it.\n  What to do: `orthrus admin modify %s --attr -requires-hwauth`.\n",
		       me);
	} else if (strcmp(c->result, "KDC_ERR_ETYPE_NOSUPP") == 0) {
		char off[256], have[256];
		etype_names(c->etypes, off, sizeof(off));
		key_etypes(fx, have, sizeof(have));
		printf("no encryption type in common");
		say_tail(c, c->result, c->reason);
		if (off[0] != '\0')
			printf("  The client offered: %s.\n", off);
		if (have[0] != '\0')
			printf("  %s's keys are: %s.\n", me, have);
		printf("  What to do: give the principal a key the client supports (`orthrus admin "
		       "set-password %s --enctypes ...`) or allow one of its keys' types in the "
		       "client's configuration (permitted_enctypes).\n", me);
	} else if (strcmp(c->result, "KRB_AP_ERR_TKT_EXPIRED") == 0) {
		printf("its ticket had expired%s%s", c->service[0] ? " (asking for " : "",
		       c->service[0] ? svc : "");
		if (c->service[0])
			printf(")");
		say_tail(c, c->result, c->reason);
		printf("  What to do: get a new ticket-granting ticket (kinit), or renew it in time "
		       "(kinit -R) if it is renewable.\n");
	} else if (strcmp(c->result, "KRB_AP_ERR_BAD_INTEGRITY") == 0 ||
		   strcmp(c->result, "KRB_AP_ERR_BADKEYVER") == 0) {
		printf("its ticket-granting ticket could not be read");
		say_tail(c, c->result, c->reason);
		printf("  The realm's krbtgt key changed after the ticket was issued, or the ticket "
		       "comes from elsewhere.\n  What to do: kinit again.\n");
	} else if (strcmp(c->result, "KDC_ERR_SVC_UNAVAILABLE") == 0 &&
		   strstr(c->reason, "replay") != NULL) {
		/* kdc/tgs.c replay_refuse: the KDC is healthy, its replay
		 * cache (kdc/replay.h) is too small for the load. */
		if (strstr(c->reason, "quota") != NULL)
			printf("asked for more service tickets than one client's share of the "
			       "KDC's replay cache holds");
		else
			printf("the KDC's replay cache was full");
		say_tail(c, c->result, NULL);
		printf("  The KDC remembers every TGS-REQ's authenticator for the clock skew (300 s) "
		       "and refuses rather than forget one; one client may hold 1/8 of the "
		       "cache.\n  What to do: raise kdc_replay_cache_size in [kdcdefaults] of "
		       "kdc.conf (about 1,500 slots per TGS-REQ per second at the realm's peak, "
		       "23 bytes each; see orthrus.conf(5)) and restart the KDC.\n");
	} else if (strcmp(c->result, "KDC_ERR_MUST_USE_USER2USER") == 0 ||
		   strcmp(c->result, "KDC_ERR_SERVICE_REVOKED") == 0 ||
		   strcmp(c->result, "KDC_ERR_SERVICE_EXP") == 0) {
		printf("service %s refuses tickets: %s", svc, c->reason);
		say_tail(c, c->result, NULL);
		printf("  What to do: `orthrus admin get %s` shows its attributes and expiry; "
		       "change them with `orthrus admin modify %s`.\n", svc, svc);
	} else {
		printf("refused: %s", c->reason[0] ? c->reason : (text ? text : c->result));
		if (c->service[0] && strcmp(c->msg_type, "TGS-REQ") == 0)
			printf(" (asking for %s)", svc);
		say_tail(c, c->result, text);
	}
	if (c->solved != 0)
		printf("  Since then the same request succeeded (%s): this may be solved.\n",
		       when(c->solved, t, sizeof(t)));
}

/* Latest cause first: what the user most likely just ran into. */
static int
cause_cmp(const void *a, const void *b)
{
	const struct cause *x = a, *y = b;

	return x->last < y->last ? 1 : x->last > y->last ? -1 : 0;
}

int
cmd_explain(int argc, char **argv)
{
	const char *name = NULL, *since_s = NULL, *logfile = NULL, *conf = NULL;
	char err[512] = "", who[PRINCIPAL_MAX_TEXT + 1], t1[40], t2[40];
	struct config *cfg = NULL;
	struct kdc_config *kc = NULL;
	const struct kdc_config_realm *realm = NULL;
	struct scan *sc = NULL;
	struct facts fx;
	struct arena a = {0};
	struct principal p;
	struct timespec ts;
	int64_t now;
	int rc = 1;
	bool fx_loaded = false;

	for (int i = 1; i < argc; i++) {
		const char *x = argv[i];
		if ((strcmp(x, "-c") == 0 || strcmp(x, "--config") == 0) && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(x, "--since") == 0 && i + 1 < argc)
			since_s = argv[++i];
		else if (strcmp(x, "--log") == 0 && i + 1 < argc)
			logfile = argv[++i];
		else if (strcmp(x, "--help") == 0 || strcmp(x, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (x[0] != '-' && name == NULL)
			name = x;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (name == NULL) {
		usage(stderr);
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	sc = calloc(1, sizeof(*sc));
	kc = calloc(1, sizeof(*kc));
	if (sc == NULL || kc == NULL || arena_init(&a, 8192) != ORTH_OK)
		goto out;
	sc->since = now - (int64_t)DEFAULT_WINDOW * 1000000;
	if (since_s != NULL && !since_parse(since_s, now, &sc->since)) {
		cli_error(CMD, "--since '%s': want YYYY-MM-DD[THH:MM[:SS]], a Unix time or a "
			  "duration (30m, 2h, 7d)", since_s);
		rc = 2;
		goto out;
	}
	/* The config gives the default realm and the database; without it
	 * the name must carry its realm and only the log is read. */
	conf = config_path_choose(conf);
	if (config_parse_file(conf, &cfg, err, sizeof(err)) == ORTH_OK &&
	    kdc_config_load(cfg, crypto_enctype_from_name, kc, err, sizeof(err)) == ORTH_OK)
		realm = kdc_config_realm(kc, NULL);
	else
		fprintf(stderr, "orthrus %s: note: %s: no realm or database from it\n", CMD,
			err[0] ? err : conf);
	if (principal_parse(name, realm != NULL ? realm->name : NULL, &a, &p) != ORTH_OK ||
	    principal_unparse(&p, who, sizeof(who), NULL) != ORTH_OK) {
		cli_error(CMD, "'%s' is not a principal name%s", name,
			  realm == NULL ? " (no default realm: give NAME@REALM)" : "");
		rc = 2;
		goto out;
	}
	if (realm != NULL && strcmp(p.realm, realm->name) != 0)
		realm = kdc_config_realm(kc, p.realm);
	sc->who = who;

	if (logfile != NULL) {
		FILE *f = strcmp(logfile, "-") == 0 ? stdin : fopen(logfile, "r");
		if (f == NULL) {
			cli_error(CMD, "%s: %s", logfile, strerror(errno));
			goto out;
		}
		sc->source = f == stdin ? "standard input" : logfile;
		scan_stream(sc, f);
		if (f != stdin)
			fclose(f);
	} else if (scan_journal(sc)) {
		sc->source = "the journal";
	} else {
		static const char *const files[] = {"/var/log/syslog", "/var/log/daemon.log",
						    "/var/log/messages"};
		bool any = false;
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			FILE *f = fopen(files[i], "r");
			if (f == NULL)
				continue;
			any = true;
			scan_stream(sc, f);
			fclose(f);
			sc->source = files[i];
		}
		if (!any) {
			cli_error(CMD, "no journal and no syslog file to read: name the KDC's log "
				  "with --log FILE");
			goto out;
		}
	}
	pending_close(sc);

	printf("%s: ", who);
	if (sc->seen == 0) {
		printf("no request since %s in %s.\n", when(sc->since, t1, sizeof(t1)), sc->source);
		rc = 0;
		goto out;
	}
	printf("%u request%s since %s, %u refused", sc->seen, sc->seen == 1 ? "" : "s",
	       when(sc->since, t1, sizeof(t1)), sc->refused);
	if (sc->last_ok != 0)
		printf("; last success %s", when(sc->last_ok, t2, sizeof(t2)));
	printf(".\n");
	if (sc->ncauses == 0) {
		printf("Nothing was refused.\n");
		rc = 0;
		goto out;
	}
	facts_load(&fx, realm, who);
	fx_loaded = true;
	qsort(sc->causes, sc->ncauses, sizeof(sc->causes[0]), cause_cmp);
	for (size_t i = 0; i < sc->ncauses; i++)
		explain_cause(&sc->causes[i], &fx, who, now);
	if (sc->dropped_causes)
		printf("\n(more causes than %d: the oldest are not shown; narrow it with --since)\n",
		       MAX_CAUSES);
	rc = 0;
out:
	if (fx_loaded)
		facts_free(&fx);
	arena_free(&a);
	free(sc);
	free(kc);
	config_free(cfg);
	return rc;
}
