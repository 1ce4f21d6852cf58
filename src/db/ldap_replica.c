/*
 * ldap_replica.c - the sync thread that keeps a KDC's LMDB replica of the
 * directory (see ldap_replica.h).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/hex.h"
#include "base/log.h"
#include "ldap_dir.h"
#include "ldap_entry.h"
#include "ldap_replica.h"

#define KEY_COOKIE DB_META_SYNC_PREFIX "cookie"
#define KEY_UUID DB_META_SYNC_PREFIX "u:"   /* + 32 hex digits */
#define MAX_COOKIE 4096

/* One write of this KDC on its way to the directory. */
struct fwd {
	enum db_write_reason why;
	struct db_change c;          /* c.data malloc'd */
};

struct ldap_replica {
	struct db *db;
	struct ldap_config lc;
	pthread_t thread;
	bool thread_started;
	volatile bool stop;
	/* the KDC's own writes (db.h "Forwarding writes"), a bounded queue
	 * served by the writer thread */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fwd q[LDAP_REPLICA_QUEUE];
	size_t qhead, qlen;
	size_t dropped;
	uint64_t seq;                /* failure records of this process */
	/* the state of the current sync session */
	struct db_txn *txn;          /* open while a batch is applied */
	struct arena a;              /* per change */
	uint8_t cookie[MAX_COOKIE];  /* as last committed */
	size_t cookie_len;
	uint8_t (*seen)[16];         /* UUIDs named in this refresh */
	size_t nseen, capseen;
	size_t changes, refused;     /* in this session */
	bool resumed;
	bool quiet;                  /* a planned resumed refresh: log less */
	bool refreshed;              /* this session completed a refresh */
	bool once;                   /* ldap_replica_load: stop at refresh done */
	size_t server;               /* index in lc.servers of this session's */
	size_t said;                 /* ... and of the last "following" line */
	struct timespec began;
	time_t last_commit;          /* Unix time of the last applied batch */
};

static void
uuid_key(const uint8_t uuid[16], char *buf, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(KEY_UUID);

	memcpy(buf, KEY_UUID, n);
	for (size_t i = 0; i < 16 && n + 2 < cap; i++) {
		buf[n++] = hex[uuid[i] >> 4];
		buf[n++] = hex[uuid[i] & 15];
	}
	buf[n] = '\0';
}

static orth_err
txn_ensure(struct ldap_replica *r)
{
	orth_err ret;

	if (r->txn != NULL)
		return ORTH_OK;
	ret = db_txn_begin(r->db, &r->txn);
	if (ret == ORTH_OK)
		db_txn_quiet(r->txn); /* what comes from the directory goes back to nobody */
	return ret;
}

/*
 * The record a UUID stands for ("p:<principal>" or "o:<policy>"), deleted
 * with its mapping, unless the mapping is keep (the entry's record as it
 * is being written again: a change, not a rename); absent mappings are
 * fine.
 */
static orth_err
forget(struct ldap_replica *r, const uint8_t uuid[16], const char *keep)
{
	orth_err ret = ORTH_OK;
	char key[64], *name = NULL;
	const uint8_t *val = NULL;
	size_t len = 0;

	uuid_key(uuid, key, sizeof(key));
	ret = db_txn_meta_get(r->txn, key, &r->a, &val, &len);
	if (ret == ORTH_E_NOTFOUND) {
		ret = ORTH_OK;
		goto cleanup;
	}
	TRY(ret);
	CHECK(len > 2, ORTH_E_MALFORMED);
	if (keep != NULL && len == strlen(keep) && memcmp(val, keep, len) == 0)
		goto cleanup;
	name = arena_strndup(&r->a, (const char *)val + 2, len - 2);
	CHECK(name != NULL, ORTH_E_LIMIT);
	ret = val[0] == 'o' ? db_txn_policy_delete(r->txn, name) : db_txn_delete(r->txn, name);
	if (ret == ORTH_E_NOTFOUND)
		ret = ORTH_OK;
	TRY(ret);
	TRY(db_txn_meta_delete(r->txn, key));
	r->changes++;
cleanup:
	return ret;
}

static bool
has_class(const struct ldap_dentry *d, const char *oc)
{
	for (size_t i = 0; i < d->nattrs; i++)
		if (strcasecmp(d->attrs[i].name, "objectClass") == 0)
			for (size_t j = 0; j < d->attrs[i].nvals; j++)
				if (d->attrs[i].vals[j].len == strlen(oc) &&
				    strncasecmp((const char *)d->attrs[i].vals[j].data, oc,
						strlen(oc)) == 0)
					return true;
	return false;
}

/* "...@REALM", the '@' not escaped. */
static bool
in_realm(const char *name, const char *realm)
{
	size_t n = strlen(name), rl = strlen(realm);
	return n > rl + 1 && name[n - rl - 1] == '@' && strcmp(name + n - rl, realm) == 0 &&
	       (n - rl - 1 == 0 || name[n - rl - 2] != '\\');
}

/* Decode, check and write one entry; why gets the reason of a refusal. */
static orth_err
entry_apply(struct ldap_replica *r, const uint8_t uuid[16], const struct ldap_dentry *d,
	    char *why, size_t whylen)
{
	orth_err ret = ORTH_OK;
	char key[64];
	char *map = NULL;
	const char *name;
	bool policy = has_class(d, "krbPwdPolicy");
	struct db_entry e;
	struct db_policy p;
	struct ldap_failures f;

	if (policy) {
		TRY(ldap_policy_decode(d, &r->a, &p, why, whylen));
		name = p.name;
	} else {
		TRY(ldap_entry_decode(d, &r->a, &e, &f, why, whylen));
		if (!in_realm(e.name, db_realm(r->db))) {
			snprintf(why, whylen, "%s is not a principal of realm %s", e.name,
				 db_realm(r->db));
			CHECK(0, ORTH_E_BADNAME);
		}
		TRY(db_entry_check(r->db, &e, NULL, why, whylen));
		name = e.name;
	}
	map = arena_alloc(&r->a, strlen(name) + 3);
	CHECK(map != NULL, ORTH_E_LIMIT);
	map[0] = policy ? 'o' : 'p';
	map[1] = ':';
	memcpy(map + 2, name, strlen(name) + 1);
	/* A renamed entry keeps its UUID: drop the old name first. */
	TRY(forget(r, uuid, map));
	if (policy) {
		TRY(db_txn_policy_put(r->txn, &p, DB_PUT_ANY));
	} else {
		struct db_policy pol;
		if (e.policy[0] != '\0' &&
		    db_txn_policy_get(r->txn, e.policy, &r->a, &pol) == ORTH_OK)
			ldap_failures_fold(&f, pol.pw_failcnt_interval, &e);
		TRY(db_txn_put(r->txn, &e, DB_PUT_ANY));
	}
	uuid_key(uuid, key, sizeof(key));
	TRY(db_txn_meta_put(r->txn, key, map, strlen(map)));
cleanup:
	return ret;
}

static orth_err
seen_add(struct ldap_replica *r, const uint8_t uuid[16])
{
	if (r->nseen == r->capseen) {
		size_t cap = r->capseen ? 2 * r->capseen : 1024;
		uint8_t(*p)[16] = realloc(r->seen, cap * 16);
		if (p == NULL)
			return ORTH_E_NOMEM;
		r->seen = p;
		r->capseen = cap;
	}
	memcpy(r->seen[r->nseen++], uuid, 16);
	return ORTH_OK;
}

static orth_err
on_change(void *arg, const uint8_t uuid[16], enum dir_sync_kind kind,
	  const struct ldap_dentry *d)
{
	struct ldap_replica *r = arg;
	orth_err ret = ORTH_OK;
	char why[512] = "";

	arena_reset(&r->a);
	if (kind == DIR_SYNC_PRESENT)
		return seen_add(r, uuid);
	TRY(txn_ensure(r));
	if (kind == DIR_SYNC_GONE) {
		TRY(forget(r, uuid, NULL));
		goto cleanup;
	}
	TRY(seen_add(r, uuid));
	ret = entry_apply(r, uuid, d, why, sizeof(why));
	if (ret == ORTH_OK) {
		r->changes++;
	} else if (ret != ORTH_E_NOSPACE && ret != ORTH_E_IO && ret != ORTH_E_NOMEM &&
		   ret != ORTH_E_INTERNAL) {
		/* Hostile or broken data: this entry only. */
		log_msg(LOG_LVL_WARN, "directory: entry %s refused: %s", d->dn,
			why[0] ? why : orth_err_str(ret));
		r->refused++;
		ret = ORTH_OK;
	}
cleanup:
	return ret;
}

static orth_err
on_uuid_set(void *arg, const uint8_t (*uuids)[16], size_t n, bool gone)
{
	struct ldap_replica *r = arg;
	orth_err ret = ORTH_OK;

	if (gone)
		TRY(txn_ensure(r));
	for (size_t i = 0; i < n; i++) {
		arena_reset(&r->a);
		TRY(gone ? forget(r, uuids[i], NULL) : seen_add(r, uuids[i]));
	}
cleanup:
	return ret;
}

static int
uuid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

struct sweep {
	struct ldap_replica *r;
	uint8_t (*gone)[16];
	size_t n, cap;
};

/* Collect the mapped UUIDs not seen in this refresh. */
static orth_err
sweep_one(void *arg, const char *key, size_t key_len, const uint8_t *val, size_t len)
{
	struct sweep *s = arg;
	size_t pl = strlen(KEY_UUID);
	uint8_t u[16];

	(void)val;
	(void)len;
	if (key_len != pl + 32)
		return ORTH_OK;
	for (size_t i = 0; i < 16; i++) {
		int hi = hex_digit(key[pl + 2 * i]), lo = hex_digit(key[pl + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return ORTH_OK;
		u[i] = (uint8_t)(hi * 16 + lo);
	}
	if (bsearch(u, s->r->seen, s->r->nseen, 16, uuid_cmp) != NULL)
		return ORTH_OK;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		uint8_t(*p)[16] = realloc(s->gone, cap * 16);
		if (p == NULL)
			return ORTH_E_NOMEM;
		s->gone = p;
		s->cap = cap;
	}
	memcpy(s->gone[s->n++], u, 16);
	return ORTH_OK;
}

/* "following": which server, and how the session began. */
static void
say_following(struct ldap_replica *r)
{
	log_msg(LOG_LVL_INFO, "directory: following %s (%s)", r->lc.servers[r->server],
		r->resumed ? "resuming from the sync cookie" : "no sync cookie: full load");
	r->said = r->server;
}

static orth_err
on_refresh_done(void *arg, bool present)
{
	struct ldap_replica *r = arg;
	orth_err ret = ORTH_OK;
	struct sweep s = {r, NULL, 0, 0};
	struct timespec now;
	double ms;

	if (present) {
		/* RFC 4533 §3.3.1: after a present phase, what was not named
		 * is gone. */
		TRY(txn_ensure(r));
		qsort(r->seen, r->nseen, 16, uuid_cmp);
		TRY(db_txn_meta_iterate(r->txn, KEY_UUID, sweep_one, &s));
		for (size_t i = 0; i < s.n; i++) {
			arena_reset(&r->a);
			TRY(forget(r, s.gone[i], NULL));
		}
	}
	/* Applied before it is said: the log line is what tests (and
	 * operators) wait for.  The cookie follows with the batch's end. */
	if (r->txn != NULL) {
		ret = db_txn_commit(r->txn);
		r->txn = NULL;
		TRY(ret);
		r->last_commit = time(NULL);
	}
	r->refreshed = true;
	if (r->once)
		r->stop = true;
	/* A session whose start was not said (log rate, below) says it
	 * here if its server is not the one the log names: the last
	 * "following" line always names the server followed now. */
	else if (r->server != r->said)
		say_following(r);
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - r->began.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - r->began.tv_nsec) / 1e6;
	if (!r->quiet || r->changes > 0 || r->refused > 0)
		log_msg(LOG_LVL_INFO,
		"directory: refresh done (%s): %zu changes applied, %zu entries refused, "
		"in %.0f ms",
		r->resumed ? "resumed from the sync cookie, no reload" : "full load", r->changes,
		r->refused, ms);
	r->nseen = 0;
cleanup:
	free(s.gone);
	return ret;
}

static orth_err
on_batch_end(void *arg, const uint8_t *cookie, size_t cookie_len)
{
	struct ldap_replica *r = arg;
	orth_err ret = ORTH_OK;
	bool new_cookie = cookie_len > 0 && cookie_len <= MAX_COOKIE &&
			  (cookie_len != r->cookie_len || memcmp(cookie, r->cookie, cookie_len) != 0);

	if (r->txn == NULL && !new_cookie)
		goto cleanup;
	TRY(txn_ensure(r));
	if (new_cookie)
		TRY(db_txn_meta_put(r->txn, KEY_COOKIE, cookie, cookie_len));
	ret = db_txn_commit(r->txn);
	r->txn = NULL;
	TRY(ret);
	if (new_cookie) {
		memcpy(r->cookie, cookie, cookie_len);
		r->cookie_len = cookie_len;
	}
	r->last_commit = time(NULL);
cleanup:
	return ret;
}

static const struct ldap_dir_sync_ops sync_ops = {
	on_change, on_uuid_set, on_refresh_done, on_batch_end,
};

/* The stored cookie into r (none: a full load, the replica cleared in the
 * session's first transaction). */
static orth_err
session_begin(struct ldap_replica *r)
{
	orth_err ret = ORTH_OK;
	const uint8_t *c = NULL;
	size_t len = 0;

	arena_reset(&r->a);
	r->changes = r->refused = 0;
	r->nseen = 0;
	clock_gettime(CLOCK_MONOTONIC, &r->began);
	TRY(txn_ensure(r));
	ret = db_txn_meta_get(r->txn, KEY_COOKIE, &r->a, &c, &len);
	if (ret == ORTH_OK && len > 0 && len <= MAX_COOKIE && !r->once) {
		memcpy(r->cookie, c, len);
		r->cookie_len = len;
		r->resumed = true;
		db_txn_abort(r->txn);
		r->txn = NULL;
		goto cleanup;
	}
	r->cookie_len = 0;
	r->resumed = false;
	TRY(db_txn_clear(r->txn));
	TRY(db_txn_meta_clear(r->txn));
	ret = ORTH_OK; /* the transaction stays open for the first batch */
cleanup:
	if (ret != ORTH_OK) {
		db_txn_abort(r->txn);
		r->txn = NULL;
	}
	return ret;
}

/* Drop the stored cookie: the next session is a full load. */
static void
forget_cookie(struct ldap_replica *r)
{
	if (txn_ensure(r) == ORTH_OK) {
		(void)db_txn_meta_delete(r->txn, KEY_COOKIE);
		(void)db_txn_commit(r->txn);
	}
	r->txn = NULL;
	r->cookie_len = 0;
}

static void
sleep_unless_stopped(struct ldap_replica *r, int secs)
{
	for (int i = 0; i < secs * 10 && !r->stop; i++)
		nanosleep(&(struct timespec){0, 100000000}, NULL);
}

/* "...as of TIME" of the unreachable line. */
static void
asof_format(const struct ldap_replica *r, char *buf, size_t cap)
{
	struct tm tm;

	snprintf(buf, cap, "never synced");
	if (r->last_commit != 0 && gmtime_r(&r->last_commit, &tm) != NULL)
		strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * The sync loop.  What it says: "following" when it starts following a
 * server (not at a planned resumed refresh of the same one); "lost" when
 * a session ends; "unreachable" while no server answers.  A session that
 * failed before completing a refresh (a server that turns us away at
 * once), and a planned attempt to go back to a preferred server, are said
 * once per LDAP_REPLICA_BEHIND_LOG seconds, not every time - but a
 * session on another server than the log names says "following" when its
 * refresh completes (on_refresh_done).
 *
 * Which server: the first of ldap_servers that answers, so that the KDC
 * goes back to its preferred server as soon as that answers again - except
 * after a session that failed before completing its refresh (other than
 * for want of the realm, below): the next round starts after that server,
 * so that one that binds but refuses the sync (a cookie newer than its
 * state, a refused search, a server killed at that moment) does not keep
 * the KDC from the others.
 */
static void *
replica_main(void *arg)
{
	struct ldap_replica *r = arg;
	sigset_t all;
	size_t first = 0, followed = SIZE_MAX;
	time_t lost = 0, last_said = 0;
	bool prev_healthy = true, unreachable = false;
	char err[1024], asof[32], why[224];

	/* Signals are the network loop's (SIGTERM stops the KDC). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!r->stop) {
		struct ldap_dir *d = NULL;
		/* In the order of ldap_servers, from `first` (above): back
		 * to the preferred server as soon as it answers again (MIT's
		 * kldap never fails back). */
		orth_err ret = ldap_dir_open(&r->lc, first, &d, err, sizeof(err));
		time_t now = time(NULL);
		bool planned = r->quiet, speak;

		first = 0;
		speak = (prev_healthy && !planned) || unreachable ||
			now - last_said >= LDAP_REPLICA_BEHIND_LOG;
		if (ret != ORTH_OK) {
			if (lost == 0)
				lost = now;
			if (!unreachable || now - last_said >= LDAP_REPLICA_BEHIND_LOG) {
				asof_format(r, asof, sizeof(asof));
				log_msg(LOG_LVL_WARN,
					"directory unreachable for %lld s: serving from the "
					"replica as of %s, possibly behind (%s)",
					(long long)(now - lost), asof, err);
				last_said = now;
			}
			unreachable = true;
			followed = SIZE_MAX;
			sleep_unless_stopped(r, LDAP_REPLICA_RETRY);
			continue;
		}
		unreachable = false;
		r->server = ldap_dir_server(d);
		r->quiet = planned && r->server == followed;
		r->refreshed = false;
		ret = session_begin(r);
		if (ret == ORTH_OK) {
			if (!r->quiet && speak) {
				say_following(r);
				last_said = now;
			}
			followed = r->server;
			lost = 0;
			ret = ldap_dir_sync(d, r->lc.realm_dn, r->resumed ? r->cookie : NULL,
					    r->resumed ? r->cookie_len : 0, &sync_ops, r,
					    LDAP_REPLICA_RESYNC, &r->stop);
		}
		db_txn_abort(r->txn);
		r->txn = NULL;
		snprintf(why, sizeof(why), "%s%s%s", orth_err_str(ret),
			 ldap_dir_why(d)[0] != '\0' ? ", " : "", ldap_dir_why(d));
		ldap_dir_close(d);
		r->quiet = ret == ORTH_E_TIMEOUT;
		if (r->stop)
			break;
		if (ret == ORTH_E_TIMEOUT) {
			prev_healthy = true;
			continue; /* a planned resumed refresh */
		}
		if (ret == ORTH_E_EXPIRED) {
			/* RFC 4533 §3.4 e-syncRefreshRequired: the cookie is too
			 * old for the server; a full load next time. */
			log_msg(LOG_LVL_WARN, "directory: %s asks for a full reload",
				r->lc.servers[r->server]);
			forget_cookie(r);
		}
		if (r->refreshed || speak) {
			log_msg(LOG_LVL_WARN,
				"directory: lost %s (%s): serving from the replica, trying the "
				"servers again",
				r->lc.servers[r->server], why);
			last_said = time(NULL);
		}
		/* Not for "not found": at a realm's first start the
		 * directory's providers receive it one after the other, and a
		 * KDC that loaded it from another provider and then went back
		 * to its first with that one's cookie was seen (slapd 2.5) to
		 * get later changes only at its resumed refreshes, not from
		 * the persistent search. */
		if (!r->refreshed && ret != ORTH_E_NOTFOUND)
			first = (r->server + 1) % r->lc.n_servers;
		prev_healthy = r->refreshed;
		followed = SIZE_MAX;
		lost = time(NULL);
		sleep_unless_stopped(r, LDAP_REPLICA_RETRY);
	}
	return NULL;
}

orth_err
ldap_replica_load(struct db *db, const struct ldap_config *lc, size_t *count_out, char *err,
		  size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct ldap_replica *r = calloc(1, sizeof(*r));
	struct ldap_dir *d = NULL;

	CHECK(r != NULL, ORTH_E_NOMEM);
	r->db = db;
	r->lc = *lc;
	r->once = true;
	TRY(arena_init(&r->a, 4u << 20));
	TRY(ldap_dir_open(lc, 0, &d, err, errlen));
	TRY(session_begin(r)); /* once: no cookie, the database cleared */
	TRY(ldap_dir_sync(d, lc->realm_dn, NULL, 0, &sync_ops, r, 0, &r->stop));
	CHECK(r->refreshed, ORTH_E_NETWORK);
	if (count_out != NULL)
		*count_out = r->changes;
cleanup:
	if (ret != ORTH_OK && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", orth_err_str(ret));
	ldap_dir_close(d);
	if (r != NULL) {
		db_txn_abort(r->txn);
		arena_free(&r->a);
		free(r->seen);
		free(r);
	}
	return ret;
}

/* ---- the KDC's own writes ---- */

/* db's commit hook: queue copies (the request path does not wait for the
 * directory). */
static orth_err
fwd_hook(void *arg, enum db_write_reason why, const struct db_change *c, size_t n)
{
	struct ldap_replica *r = arg;

	pthread_mutex_lock(&r->mu);
	for (size_t i = 0; i < n; i++) {
		uint8_t *copy = malloc(c[i].len);
		if (copy == NULL || r->qlen == LDAP_REPLICA_QUEUE) {
			r->dropped++;
			free(copy);
			continue;
		}
		memcpy(copy, c[i].data, c[i].len);
		r->q[(r->qhead + r->qlen) % LDAP_REPLICA_QUEUE] =
			(struct fwd){why, {c[i].kind, copy, c[i].len}};
		r->qlen++;
	}
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return ORTH_OK;
}

orth_err
ldap_change_write(struct ldap_dir *d, const struct ldap_config *lc, enum db_write_reason why,
		  const struct db_change *c, uint64_t *seq, struct arena *a, char *err,
		  size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct db_entry e;
	struct db_policy p;
	struct ldap_dentry de;
	char *dn, *name, val[160], num[32];
	size_t len;

	if (c->kind == DB_CHANGE_PRINCIPAL_DELETE || c->kind == DB_CHANGE_POLICY_DELETE) {
		name = arena_strndup(a, (const char *)c->data, c->len);
		CHECK(name != NULL, ORTH_E_LIMIT);
		dn = ldap_dn_make(c->kind == DB_CHANGE_POLICY_DELETE ? "cn" : "krbPrincipalName",
				  name, lc->realm_dn, a);
		CHECK(dn != NULL, ORTH_E_LIMIT);
		ret = ldap_dir_delete(d, dn, err, errlen);
		if (ret == ORTH_E_NOTFOUND)
			ret = ORTH_OK; /* gone already: what was asked */
		goto cleanup;
	}
	if (c->kind == DB_CHANGE_POLICY) {
		TRY(db_policy_decode(c->data, c->len, a, &p));
		TRY(ldap_policy_encode(&p, lc->realm_dn, a, &de));
		TRY(ldap_dir_put(d, &de, err, errlen));
		goto cleanup;
	}
	TRY(db_entry_decode(c->data, c->len, a, &e));
	dn = ldap_dn_make("krbPrincipalName", e.name, lc->realm_dn, a);
	CHECK(dn != NULL, ORTH_E_LIMIT);
	if (why == DB_WRITE_LOCKOUT_FAIL) {
		/* One value per failure: adds from many KDCs merge exactly
		 * (dist/ldap/orthrus.schema). */
		TRY(ldap_failure_format(e.last_failed, lc->kdc_id, (*seq)++, val, sizeof(val),
					&len));
		TRY(ldap_dir_add_value(d, dn, "orthrusFailedAuth", val, len, err, errlen));
	} else if (why == DB_WRITE_LOCKOUT_RESET) {
		struct ldap_value cnt = {(const uint8_t *)"0", 1}, ok;
		struct ldap_attr at[3] = {
			{"orthrusFailedAuth", 0, NULL},
			{"krbLoginFailedCount", 1, &cnt},
			{"krbLastSuccessfulAuth", 0, &ok},
		};
		struct tm tm;
		time_t t = (time_t)e.last_success;
		if (e.last_success != 0 && gmtime_r(&t, &tm) != NULL &&
		    strftime(num, sizeof(num), "%Y%m%d%H%M%SZ", &tm) == 15) {
			ok = (struct ldap_value){(const uint8_t *)num, 15};
			at[2].nvals = 1;
		}
		de = (struct ldap_dentry){dn, at[2].nvals ? 3 : 2, at};
		TRY(ldap_dir_replace(d, &de, err, errlen));
	} else {
		/* The whole entry (a password change, an admin's write): its
		 * failures are reset with it. */
		struct ldap_attr *at;
		TRY(ldap_entry_encode(&e, lc->realm_dn, lc->realm_dn, a, &de));
		at = arena_alloc(a, (de.nattrs + 1) * sizeof(*at));
		CHECK(at != NULL, ORTH_E_LIMIT);
		memcpy(at, de.attrs, de.nattrs * sizeof(*at));
		at[de.nattrs] = (struct ldap_attr){"orthrusFailedAuth", 0, NULL};
		de.attrs = at;
		de.nattrs++;
		TRY(ldap_dir_put(d, &de, err, errlen));
	}
cleanup:
	if (ret != ORTH_OK && err != NULL && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", orth_err_str(ret));
	return ret;
}

static void *
writer_main(void *arg)
{
	struct ldap_replica *r = arg;
	struct ldap_dir *d = NULL;
	struct arena a = {0};
	sigset_t all;
	size_t server = 0, reported = 0;
	char err[1024];

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (arena_init(&a, 1u << 20) != ORTH_OK)
		return NULL;
	pthread_mutex_lock(&r->mu);
	while (!r->stop || r->qlen > 0) {
		struct fwd f;
		orth_err ret;
		if (r->qlen == 0) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		if (r->dropped > reported) {
			log_msg(LOG_LVL_ERR, "directory: write queue full: %zu writes of this KDC "
				"not sent", r->dropped - reported);
			reported = r->dropped;
		}
		f = r->q[r->qhead];
		pthread_mutex_unlock(&r->mu);
		err[0] = '\0';
		ret = ORTH_E_NETWORK;
		if (d == NULL && ldap_dir_open(&r->lc, server, &d, err, sizeof(err)) == ORTH_OK)
			server = ldap_dir_server(d);
		if (d != NULL) {
			arena_reset(&a);
			ret = ldap_change_write(d, &r->lc, f.why, &f.c, &r->seq, &a, err,
						sizeof(err));
		}
		if (ret == ORTH_E_NETWORK || ret == ORTH_E_TIMEOUT) {
			/* Kept in the queue; the next server, a second later. */
			ldap_dir_close(d);
			d = NULL;
			log_msg(LOG_LVL_WARN, "directory: a write of this KDC waits: %s", err);
			server = (server + 1) % r->lc.n_servers;
			sleep_unless_stopped(r, LDAP_REPLICA_RETRY);
			pthread_mutex_lock(&r->mu);
			if (r->stop)
				break;
			continue;
		}
		if (ret != ORTH_OK)
			log_msg(LOG_LVL_ERR, "directory: a write of this KDC was refused: %s",
				err[0] ? err : orth_err_str(ret));
		pthread_mutex_lock(&r->mu);
		free((void *)(uintptr_t)r->q[r->qhead].c.data);
		r->qhead = (r->qhead + 1) % LDAP_REPLICA_QUEUE;
		r->qlen--;
	}
	if (r->qlen > 0)
		log_msg(LOG_LVL_WARN, "directory: %zu writes of this KDC not sent at stop", r->qlen);
	pthread_mutex_unlock(&r->mu);
	ldap_dir_close(d);
	arena_free(&a);
	return NULL;
}

orth_err
ldap_replica_start(struct db *db, const struct ldap_config *lc, struct ldap_replica **out)
{
	orth_err ret = ORTH_OK;
	struct ldap_replica *r = calloc(1, sizeof(*r));
	struct timespec now;

	CHECK(r != NULL, ORTH_E_NOMEM);
	r->db = db;
	r->lc = *lc;
	/* Failure records are unique by KDC id, time and this sequence: it
	 * starts from the clock so that a restarted KDC does not repeat one
	 * within a second. */
	clock_gettime(CLOCK_REALTIME, &now);
	r->seq = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	TRY(arena_init(&r->a, 4u << 20));
	CHECK(pthread_create(&r->writer, NULL, writer_main, r) == 0, ORTH_E_INTERNAL);
	r->writer_started = true;
	db_commit_hook_set(db, fwd_hook, r, false);
	r->said = SIZE_MAX; /* no "following" line yet */
	CHECK(pthread_create(&r->thread, NULL, replica_main, r) == 0, ORTH_E_INTERNAL);
	r->thread_started = true;
	*out = r;
	r = NULL;
cleanup:
	if (r != NULL)
		ldap_replica_stop(r);
	return ret;
}

void
ldap_replica_stop(struct ldap_replica *r)
{
	if (r == NULL)
		return;
	db_commit_hook_set(r->db, NULL, NULL, false);
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->thread_started)
		pthread_join(r->thread, NULL);
	if (r->writer_started)
		pthread_join(r->writer, NULL);
	for (size_t i = 0; i < r->qlen; i++)
		free((void *)(uintptr_t)r->q[(r->qhead + i) % LDAP_REPLICA_QUEUE].c.data);
	db_txn_abort(r->txn);
	arena_free(&r->a);
	free(r->seen);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
