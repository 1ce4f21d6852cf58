/* test_kdc_policy.c - ticket flags and lifetimes (src/kdc/policy.c). */
#include "../test.h"

#include "db/db.h"
#include "kdc/policy.h"
#include "proto/krb5_const.h"

#define NOW 1700000000
#define H 3600
#define D (24 * H)
#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

static void
limits(struct policy_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->now = NOW;
	l->skew = 300;
	l->realm_max_life = 10 * H;
	l->realm_max_renew = 7 * D;
}

static void
request(struct policy_req *r, uint32_t opts, int64_t till)
{
	memset(r, 0, sizeof(*r));
	r->options = opts;
	r->till = till;
}

static void
tgt(struct policy_tgt *t, uint32_t flags)
{
	memset(t, 0, sizeof(*t));
	t->flags = flags;
	t->authtime = NOW - 100;
	t->has_starttime = true;
	t->starttime = NOW - 100;
	t->endtime = NOW + 5 * H;
	t->has_renew_till = true;
	t->renew_till = NOW + 2 * D;
}

static void
test_as(void)
{
	struct policy_limits l;
	struct policy_req r;
	struct policy_out o;

	limits(&l);
	request(&r, 0, NOW + D);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.flags, TKT_FLG_INITIAL);
	EXPECT_EQ_INT(o.starttime, NOW);
	EXPECT_EQ_INT(o.endtime, NOW + 10 * H);
	EXPECT(!o.has_renew_till);

	/* till inside the limit; pre-authenticated */
	request(&r, 0, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + H);
	EXPECT_EQ_INT(o.flags, TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH);
	/* till 0 = as long as allowed; the smallest principal limit wins */
	l.client_max_life = 2 * H;
	l.server_max_life = 3 * H;
	request(&r, 0, 0);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + 2 * H);
	limits(&l);

	/* forwardable unless an attribute forbids it */
	request(&r, KDC_OPT_FORWARDABLE | KDC_OPT_PROXIABLE, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_FORWARDABLE);
	EXPECT(o.flags & TKT_FLG_PROXIABLE);
	l.client_attrs = DB_ATTR_DISALLOW_FORWARDABLE;
	l.server_attrs = DB_ATTR_DISALLOW_PROXIABLE | DB_ATTR_OK_AS_DELEGATE;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_FORWARDABLE));
	EXPECT(!(o.flags & TKT_FLG_PROXIABLE));
	EXPECT(o.flags & TKT_FLG_OK_AS_DELEGATE);
	limits(&l);

	/* TGS-only options in an AS-REQ */
	request(&r, KDC_OPT_FORWARDED, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	request(&r, KDC_OPT_RENEW, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	request(&r, KDC_OPT_ENC_TKT_IN_SKEY, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));

	/* renewable */
	request(&r, KDC_OPT_RENEWABLE, NOW + H);
	r.has_rtime = true;
	r.rtime = NOW + 2 * D;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, NOW + 2 * D);
	r.rtime = NOW + 30 * D;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.renew_till, NOW + 7 * D);
	l.realm_max_renew = 0;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
	EXPECT(!o.has_renew_till);
	limits(&l);
	l.server_attrs = DB_ATTR_DISALLOW_RENEWABLE;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
	limits(&l);

	/* RENEWABLE-OK: a till beyond the maximum becomes renew-till */
	request(&r, KDC_OPT_RENEWABLE_OK, NOW + 3 * D);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + 10 * H);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, NOW + 3 * D);
	request(&r, KDC_OPT_RENEWABLE_OK, NOW + H);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));

	/* postdating */
	request(&r, 0, NOW + D);
	r.has_from = true;
	r.from = NOW + H;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE));
	r.from = NOW + 100; /* within the skew: fine, starts now */
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.starttime, NOW);
	request(&r, KDC_OPT_POSTDATED, NOW + D);
	r.has_from = true;
	r.from = NOW + H;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_OK);
	EXPECT_EQ_INT(o.starttime, NOW + H);
	EXPECT(o.flags & TKT_FLG_POSTDATED);
	EXPECT(o.flags & TKT_FLG_INVALID);
	l.client_attrs = DB_ATTR_DISALLOW_POSTDATED;
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE));
	limits(&l);

	/* end before start */
	request(&r, 0, NOW - 10);
	EXPECT_EQ_INT(policy_as(&r, &l, false, &o), ORTH_E_KRB(KDC_ERR_NEVER_VALID));
}

static void
test_tgs(void)
{
	struct policy_limits l;
	struct policy_req r;
	struct policy_tgt t;
	struct policy_out o;

	limits(&l);
	tgt(&t, TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH);
	request(&r, 0, NOW + D);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	/* never beyond the TGT; INITIAL not copied, PRE_AUTH is */
	EXPECT_EQ_INT(o.endtime, NOW + 5 * H);
	EXPECT_EQ_INT(o.flags, TKT_FLG_PRE_AUTH);
	EXPECT_EQ_INT(o.authtime, NOW - 100);
	l.server_max_life = H;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + H);
	limits(&l);

	/* forwardable only from a forwardable TGT */
	request(&r, KDC_OPT_FORWARDABLE, NOW + H);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	request(&r, KDC_OPT_FORWARDED, NOW + H);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	tgt(&t, TKT_FLG_FORWARDABLE | TKT_FLG_PROXIABLE);
	request(&r, KDC_OPT_FORWARDABLE | KDC_OPT_FORWARDED, NOW + H);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_FORWARDABLE);
	EXPECT(o.flags & TKT_FLG_FORWARDED);
	/* a forwarded TGT makes forwarded tickets */
	tgt(&t, TKT_FLG_FORWARDED);
	request(&r, 0, NOW + H);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_FORWARDED);

	/* proxy: not for a TGT, not from a non-proxiable TGT */
	tgt(&t, TKT_FLG_PROXIABLE);
	request(&r, KDC_OPT_PROXY, NOW + H);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_PROXY);
	l.server_is_tgs = true;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	l.server_is_tgs = false;
	tgt(&t, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));

	/* postdating needs MAY_POSTDATE */
	request(&r, KDC_OPT_POSTDATED, NOW + 4 * H);
	r.has_from = true;
	r.from = NOW + H;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	tgt(&t, TKT_FLG_MAY_POSTDATE);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_INVALID);
	EXPECT_EQ_INT(o.starttime, NOW + H);

	/* renewal */
	tgt(&t, TKT_FLG_RENEWABLE | TKT_FLG_FORWARDABLE);
	request(&r, KDC_OPT_RENEW, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.starttime, NOW);
	EXPECT_EQ_INT(o.endtime, NOW + 5 * H + 100);
	EXPECT_EQ_INT(o.renew_till, NOW + 2 * D);
	EXPECT_EQ_INT(o.flags, TKT_FLG_RENEWABLE | TKT_FLG_FORWARDABLE);
	t.renew_till = NOW + H; /* the new period stops at renew-till */
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + H);
	t.renew_till = NOW - 1;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KRB_AP_ERR_TKT_EXPIRED));
	tgt(&t, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));
	request(&r, KDC_OPT_RENEW | KDC_OPT_VALIDATE, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));

	/* a renewable service ticket from a renewable TGT */
	tgt(&t, TKT_FLG_RENEWABLE);
	request(&r, KDC_OPT_RENEWABLE, NOW + H);
	r.has_rtime = true;
	r.rtime = NOW + 30 * D;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, NOW + 2 * D); /* the TGT's renew-till */
	tgt(&t, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));

	/* validation */
	tgt(&t, TKT_FLG_INVALID | TKT_FLG_POSTDATED);
	request(&r, KDC_OPT_VALIDATE, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.flags, TKT_FLG_POSTDATED);
	t.starttime = NOW + H;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KRB_AP_ERR_TKT_NYV));
	tgt(&t, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_BADOPTION));

	EXPECT_EQ_INT(policy_min_limit(0, 5, 3), 3);
	EXPECT_EQ_INT(policy_min_limit(0, 0, 0), 0);
}

/*
 * RFC 4120 §5.4.1: RENEWABLE asks for a renewable ticket; only
 * RENEWABLE-OK may be dropped.  renew-till is the requested time cut by
 * the limits, even when that is not after the end time (MIT's KDC,
 * kdc_get_ticket_renewtime, does the same): `kinit -l 10h -r 10h`.
 */
static void
test_renewable_short(void)
{
	struct policy_limits l;
	struct policy_req r;
	struct policy_tgt t;
	struct policy_out o;

	limits(&l);
	request(&r, KDC_OPT_RENEWABLE, NOW + 10 * H);
	r.has_rtime = true;
	r.rtime = NOW + 10 * H;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, NOW + 10 * H);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT(o.has_renew_till);
	EXPECT_EQ_INT(o.renew_till, NOW + 10 * H);
	r.rtime = NOW + 5 * H; /* before the end time: kept as asked */
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, NOW + 5 * H);
	EXPECT_EQ_INT(o.endtime, NOW + 10 * H);
	l.client_max_renew = H; /* cut by a limit below the end time */
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, NOW + H);
	limits(&l);
	/* RENEWABLE-OK alone: dropped when nothing was cut */
	request(&r, KDC_OPT_RENEWABLE_OK, NOW + 10 * H);
	r.has_rtime = true;
	r.rtime = NOW + 10 * H;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
	EXPECT(!o.has_renew_till);
	/* still refused by policy: no renewal in the realm, or the attribute */
	request(&r, KDC_OPT_RENEWABLE, NOW + 10 * H);
	r.has_rtime = true;
	r.rtime = NOW + 10 * H;
	l.realm_max_renew = 0;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
	limits(&l);
	l.client_attrs = DB_ATTR_DISALLOW_RENEWABLE;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
	limits(&l);

	/* TGS from that TGT: renew-till is the TGT's, equal to the end */
	tgt(&t, TKT_FLG_RENEWABLE);
	t.endtime = NOW + 10 * H;
	t.renew_till = NOW + 10 * H;
	request(&r, KDC_OPT_RENEWABLE, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.endtime, NOW + 10 * H);
	EXPECT_EQ_INT(o.renew_till, NOW + 10 * H);
	request(&r, KDC_OPT_RENEWABLE_OK, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));
}

/*
 * KerberosTime is a GeneralizedTime with four year digits: nothing the
 * policy puts into a ticket may pass 9999-12-31T23:59:59Z.
 */
static void
test_time_max(void)
{
	struct policy_limits l;
	struct policy_req r;
	struct policy_tgt t;
	struct policy_out o;

	/* postdated into the last day: renewable until its last second */
	limits(&l);
	request(&r, KDC_OPT_POSTDATED | KDC_OPT_RENEWABLE, 0);
	r.has_from = true;
	r.from = TIME_MAX - 86399;
	r.has_rtime = true;
	r.rtime = 0;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.starttime, TIME_MAX - 86399);
	EXPECT_EQ_INT(o.endtime, TIME_MAX - 86399 + 10 * H);
	EXPECT(o.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(o.renew_till, TIME_MAX);
	/* into its last hour: it ends at the last second */
	r.from = TIME_MAX - H;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.starttime, TIME_MAX - H);
	EXPECT_EQ_INT(o.endtime, TIME_MAX);
	EXPECT_EQ_INT(o.renew_till, TIME_MAX);
	/* starting at the last second: no period left */
	r.from = TIME_MAX;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE));
	/* no lifetime limits at all, no till: still the last second */
	l.realm_max_life = 0;
	request(&r, KDC_OPT_RENEWABLE, 0);
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, TIME_MAX);
	EXPECT(o.renew_till <= TIME_MAX);
	l.realm_max_renew = (int64_t)1 << 45;
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.renew_till, TIME_MAX);
	/* RENEWABLE-OK with an end cut at the last second */
	request(&r, KDC_OPT_RENEWABLE_OK, TIME_MAX);
	EXPECT_EQ_INT(policy_as(&r, &l, true, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, TIME_MAX);
	EXPECT(!(o.flags & TKT_FLG_RENEWABLE));

	/* TGS: postdated into the last day, and at its last second */
	limits(&l);
	tgt(&t, TKT_FLG_MAY_POSTDATE | TKT_FLG_RENEWABLE);
	t.endtime = TIME_MAX;
	t.renew_till = TIME_MAX;
	request(&r, KDC_OPT_POSTDATED | KDC_OPT_RENEWABLE, 0);
	r.has_from = true;
	r.from = TIME_MAX - 3600;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, TIME_MAX);
	EXPECT_EQ_INT(o.renew_till, TIME_MAX);
	r.from = TIME_MAX;
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE));
	/* a ticket from elsewhere that claims more is cut on the way out */
	tgt(&t, TKT_FLG_RENEWABLE);
	t.endtime = TIME_MAX + 10 * H;
	t.renew_till = TIME_MAX + 30 * D;
	request(&r, KDC_OPT_RENEW, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT(o.endtime <= TIME_MAX);
	EXPECT_EQ_INT(o.renew_till, TIME_MAX);
	tgt(&t, TKT_FLG_INVALID | TKT_FLG_POSTDATED);
	t.endtime = TIME_MAX + 10 * H;
	request(&r, KDC_OPT_VALIDATE, 0);
	EXPECT_EQ_INT(policy_tgs(&r, &l, &t, &o), ORTH_OK);
	EXPECT_EQ_INT(o.endtime, TIME_MAX);
	EXPECT(o.renew_till <= TIME_MAX);
}

int
main(void)
{
	test_as();
	test_tgs();
	test_renewable_short();
	test_time_max();
	return test_done("kdc_policy");
}
