/*
 * admin_policy.c - `orthrus admin policy add|modify|delete|get|list`: password
 * and lockout policies, with MIT kadmin's option names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/account.h"

#define CMD "admin"

struct pol_opts {
	bool json;
	const char *names[2];
	size_t nnames;
	bool have_maxlife, have_minlife, have_minlength, have_minclasses, have_history;
	bool have_maxfailure, have_interval, have_duration, have_allowed;
	int64_t maxlife, minlife, interval, duration;
	uint32_t minlength, minclasses, history, maxfailure;
	int32_t allowed[DB_MAX_KEYS];
	size_t n_allowed;
};

/* A count for option a: 0..max. */
static int
parse_count(const char *a, const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0 || n > max) {
		cli_error(CMD, "bad value '%s' for %s (0 to %u)", v, a, (unsigned)max);
		return 2;
	}
	*out = (uint32_t)n;
	return 0;
}

/* `policy SUB [NAME] [options]`: argv[0] "policy", argv[1] SUB.  MIT's
 * kadmin option names (-maxlife ...), with two dashes. */
static int
parse_pol_opts(int argc, char **argv, struct pol_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		bool dur = strcmp(a, "--maxlife") == 0 || strcmp(a, "--minlife") == 0 ||
			   strcmp(a, "--failurecountinterval") == 0 ||
			   strcmp(a, "--lockoutduration") == 0;
		bool cnt = strcmp(a, "--minlength") == 0 || strcmp(a, "--minclasses") == 0 ||
			   strcmp(a, "--history") == 0 || strcmp(a, "--maxfailure") == 0;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if ((dur || cnt || strcmp(a, "--allowedkeysalts") == 0) && v == NULL) {
			cli_error(CMD, "option %s needs a value", a);
			return 2;
		}
		if (dur) {
			int64_t d;
			i++;
			if (config_parse_duration(v, &d) != ORTH_OK) {
				cli_error(CMD, "bad duration '%s' for %s", v, a);
				return 2;
			}
			if (strcmp(a, "--maxlife") == 0) {
				o->have_maxlife = true;
				o->maxlife = d;
			} else if (strcmp(a, "--minlife") == 0) {
				o->have_minlife = true;
				o->minlife = d;
			} else if (strcmp(a, "--failurecountinterval") == 0) {
				o->have_interval = true;
				o->interval = d;
			} else {
				o->have_duration = true;
				o->duration = d;
			}
		} else if (cnt) {
			i++;
			if (strcmp(a, "--minlength") == 0) {
				o->have_minlength = true;
				rc = parse_count(a, v, ACCOUNT_MAX_PASSWORD, &o->minlength);
			} else if (strcmp(a, "--minclasses") == 0) {
				o->have_minclasses = true;
				rc = parse_count(a, v, 5, &o->minclasses);
			} else if (strcmp(a, "--history") == 0) {
				o->have_history = true;
				rc = parse_count(a, v, DB_MAX_HISTORY + 1, &o->history);
			} else {
				o->have_maxfailure = true;
				rc = parse_count(a, v, UINT32_MAX, &o->maxfailure);
			}
		} else if (strcmp(a, "--allowedkeysalts") == 0) {
			i++;
			o->have_allowed = true;
			/* MIT's "enctype:salt,...": only the normal salt here */
			if (strcmp(v, "none") != 0 && v[0] != '\0')
				rc = admin_enctypes_parse(v, o->allowed, &o->n_allowed);
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error(CMD, "unknown option %s (try 'orthrus admin --help')", a);
			return 2;
		} else if (o->nnames < 2) {
			o->names[o->nnames++] = a;
		} else {
			cli_error(CMD, "policy: too many names");
			return 2;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static bool
pol_opts_any(const struct pol_opts *o)
{
	return o->have_maxlife || o->have_minlife || o->have_minlength || o->have_minclasses ||
	       o->have_history || o->have_maxfailure || o->have_interval || o->have_duration ||
	       o->have_allowed;
}

static void
pol_opts_apply(const struct pol_opts *o, struct db_policy *p)
{
	if (o->have_maxlife)
		p->pw_max_life = o->maxlife;
	if (o->have_minlife)
		p->pw_min_life = o->minlife;
	if (o->have_minlength)
		p->pw_min_length = o->minlength;
	if (o->have_minclasses)
		p->pw_min_classes = o->minclasses;
	if (o->have_history)
		p->pw_history_num = o->history;
	if (o->have_maxfailure)
		p->pw_max_fail = o->maxfailure;
	if (o->have_interval)
		p->pw_failcnt_interval = o->interval;
	if (o->have_duration)
		p->pw_lockout_duration = o->duration;
	if (o->have_allowed) {
		p->n_allowed = o->n_allowed;
		memcpy(p->allowed_enctypes, o->allowed, o->n_allowed * sizeof(o->allowed[0]));
	}
}

/* Policy names: 1 to DB_MAX_POLICY_NAME printable ASCII characters. */
static int
policy_name_check(const char *name)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n <= DB_MAX_POLICY_NAME;

	for (size_t i = 0; ok && i < n; i++)
		ok = name[i] > ' ' && name[i] < 0x7f;
	if (!ok) {
		cli_error(CMD, "bad policy name '%s' (1 to %d printable characters, no spaces)", name,
			  DB_MAX_POLICY_NAME);
		return 2;
	}
	return 0;
}

/* "90d", "1d2h3m4s", "0" */
static void
fmt_duration(int64_t d, char *buf, size_t cap)
{
	size_t len = 0;
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

	buf[0] = '\0';
	if (d <= 0) {
		snprintf(buf, cap, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < cap; i++) {
		int k;
		if (d < units[i].secs)
			continue;
		k = snprintf(buf + len, cap - len, "%lld%c", (long long)(d / units[i].secs),
			     units[i].unit);
		if (k < 0)
			break;
		len += (size_t)k;
		d %= units[i].secs;
	}
}

static void
print_policy(const struct db_policy *p, bool json)
{
	char d1[64], d2[64], d3[64], d4[64], ets[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < p->n_allowed && len < sizeof(ets); i++) {
		const char *n = crypto_enctype_name(p->allowed_enctypes[i]);
		int k = n ? snprintf(ets + len, sizeof(ets) - len, "%s%s:normal", i ? "," : "", n)
			  : snprintf(ets + len, sizeof(ets) - len, "%s%d:normal", i ? "," : "",
				     (int)p->allowed_enctypes[i]);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	if (json) {
		printf("{\"name\":");
		admin_json_print(stdout, p->name, strlen(p->name));
		printf(",\"pw_max_life\":%lld,\"pw_min_life\":%lld,\"pw_min_length\":%u,"
		       "\"pw_min_classes\":%u,\"pw_history_num\":%u,\"pw_max_fail\":%u,"
		       "\"pw_failcnt_interval\":%lld,\"pw_lockout_duration\":%lld,"
		       "\"allowed_keysalts\":",
		       (long long)p->pw_max_life, (long long)p->pw_min_life, p->pw_min_length,
		       p->pw_min_classes, p->pw_history_num, p->pw_max_fail,
		       (long long)p->pw_failcnt_interval, (long long)p->pw_lockout_duration);
		admin_json_print(stdout, ets, strlen(ets));
		printf("}");
		return;
	}
	/* MIT's get_policy labels */
	fmt_duration(p->pw_max_life, d1, sizeof(d1));
	fmt_duration(p->pw_min_life, d2, sizeof(d2));
	fmt_duration(p->pw_failcnt_interval, d3, sizeof(d3));
	fmt_duration(p->pw_lockout_duration, d4, sizeof(d4));
	printf("Policy: %s\nMaximum password life: %s\nMinimum password life: %s\n"
	       "Minimum password length: %u\nMinimum number of password character classes: %u\n"
	       "Number of old keys kept: %u\nMaximum password failures before lockout: %u\n"
	       "Password failure count reset interval: %s\nPassword lockout duration: %s\n"
	       "Allowed key/salt types: %s\n",
	       p->name, d1, d2, p->pw_min_length, p->pw_min_classes, p->pw_history_num,
	       p->pw_max_fail, d3, d4, ets[0] ? ets : "(any)");
}

struct policy_use {
	const char *name;
	size_t n;
	char first[DB_MAX_NAME + 1];
};

static orth_err
policy_use_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	struct policy_use *u = arg;
	(void)rec;
	(void)len;
	if (strcmp(e->policy, u->name) == 0 && u->n++ == 0)
		snprintf(u->first, sizeof(u->first), "%s", e->name);
	return ORTH_OK;
}

static int
pol_fail(const char *what, const char *name, orth_err ret)
{
	if (ret == ORTH_E_NOTFOUND)
		cli_error(CMD, "policy %s: policy %s does not exist", what, name);
	else if (ret == ORTH_E_EXISTS)
		cli_error(CMD, "policy %s: policy %s already exists", what, name);
	else if (ret == ORTH_E_NOSPACE)
		cli_error(CMD, "policy %s %s: database full (LMDB map size or disk); nothing was "
			  "written", what, name);
	else
		cli_error(CMD, "policy %s %s: %s", what, name, orth_err_str(ret));
	return 1;
}

int
admin_policy(struct admin *ad, int argc, char **argv)
{
	struct pol_opts o;
	struct db_policy *p;
	struct db_txn *t = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	bool is_add = strcmp(sub, "add") == 0, is_mod = strcmp(sub, "modify") == 0;
	orth_err ret = ORTH_OK;
	int rc = parse_pol_opts(argc, argv, &o);

	if (rc)
		return rc;
	if (!is_add && !is_mod && strcmp(sub, "delete") != 0 && strcmp(sub, "get") != 0 &&
	    strcmp(sub, "list") != 0) {
		cli_error(CMD, "policy: need add, modify, delete, get or list");
		return 2;
	}
	if (strcmp(sub, "list") == 0 ? o.nnames > 1 : o.nnames != 1) {
		cli_error(CMD, "policy %s: need %s", sub,
			  strcmp(sub, "list") == 0 ? "at most one GLOB" : "one policy NAME");
		return 2;
	}
	if (!is_add && !is_mod && pol_opts_any(&o)) {
		cli_error(CMD, "policy %s takes no policy options", sub);
		return 2;
	}
	if (o.nnames == 1 && (is_add || is_mod) && (rc = policy_name_check(o.names[0])) != 0)
		return rc;
	if (admin_setup(ad, true, is_add || is_mod || strcmp(sub, "delete") == 0))
		return 1;
	p = arena_alloc(&ad->a, sizeof(*p));
	if (p == NULL)
		return 1;
	memset(p, 0, sizeof(*p));
	if (strcmp(sub, "list") == 0)
		return admin_names_list(ad, ADMIN_NAMES_POLICIES, o.nnames ? o.names[0] : NULL,
					o.json, "policy list");
	if (strcmp(sub, "get") == 0) {
		ret = db_policy_get(ad->db, o.names[0], &ad->a, p);
		if (ret != ORTH_OK)
			return pol_fail("get", o.names[0], ret);
		print_policy(p, o.json);
		if (o.json)
			printf("\n");
		return fflush(stdout) == 0 ? 0 : 1;
	}
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK && strcmp(sub, "delete") == 0) {
		/* Inside the write transaction: no principal can take the
		 * policy between the count and the delete. */
		struct policy_use *u = arena_alloc(&ad->a, sizeof(*u));
		if (u == NULL)
			ret = ORTH_E_NOMEM;
		else {
			memset(u, 0, sizeof(*u));
			u->name = o.names[0];
			ret = db_principal_iterate(ad->db, policy_use_one, u);
		}
		if (ret == ORTH_OK && u->n > 0) {
			cli_error(CMD, "policy delete: policy %s is in use by %zu principal%s (%s%s); "
				  "change them with 'orthrus admin modify NAME --clear-policy' first",
				  o.names[0], u->n, u->n == 1 ? "" : "s", u->first,
				  u->n > 1 ? ", ..." : "");
			db_txn_abort(t);
			return 1;
		}
		if (ret == ORTH_OK)
			ret = db_txn_policy_delete(t, o.names[0]);
	} else if (ret == ORTH_OK) {
		if (is_mod)
			ret = db_txn_policy_get(t, o.names[0], &ad->a, p);
		p->name = o.names[0];
		pol_opts_apply(&o, p);
		if (ret == ORTH_OK)
			ret = db_txn_policy_put(t, p, is_add ? DB_PUT_NEW : DB_PUT_REPLACE);
	}
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	db_txn_abort(t);
	if (ret != ORTH_OK)
		return pol_fail(sub, o.names[0], ret);
	printf("%s policy %s\n", is_add ? "added" : is_mod ? "modified" : "deleted", o.names[0]);
	return 0;
}
