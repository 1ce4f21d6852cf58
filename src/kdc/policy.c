/*
 * policy.c - ticket flags and lifetimes, RFC 4120 §3.1.3 (AS) and §3.3.3
 * (TGS).  See policy.h.
 */
#include "policy.h"

#include <string.h>

#include "db/db.h"
#include "proto/krb5_const.h"

/* "No limit": far enough to never matter, small enough to add to. */
#define POLICY_FOREVER ((int64_t)1 << 40)

int64_t
policy_min_limit(int64_t a, int64_t b, int64_t c)
{
	int64_t m = 0;
	int64_t v[3] = {a, b, c};

	for (int i = 0; i < 3; i++)
		if (v[i] > 0 && (m == 0 || v[i] < m))
			m = v[i];
	return m;
}

/* A realm limit of 0 means "none allowed" for renewal but "unlimited" for
 * lifetime; principal limits of 0 mean "the realm's". */
static int64_t
max_life(const struct policy_limits *lim)
{
	int64_t m = policy_min_limit(lim->realm_max_life, lim->client_max_life,
				     lim->server_max_life);
	return m == 0 ? POLICY_FOREVER : m;
}

static int64_t
max_renew(const struct policy_limits *lim)
{
	if (lim->realm_max_renew <= 0)
		return 0;
	return policy_min_limit(lim->realm_max_renew, lim->client_max_renew,
				lim->server_max_renew);
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/*
 * KerberosTime is a GeneralizedTime with four year digits (RFC 4120
 * §5.2.3): no time of a ticket or reply may pass POLICY_TIME_MAX, or the
 * reply cannot be encoded.  The one clamp, applied to every result of
 * policy_as() and policy_tgs(), whatever the limits or the ticket they
 * start from.
 */
static void
times_clamp(struct policy_out *out)
{
	out->authtime = min64(out->authtime, POLICY_TIME_MAX);
	out->starttime = min64(out->starttime, POLICY_TIME_MAX);
	out->endtime = min64(out->endtime, POLICY_TIME_MAX);
	out->renew_till = min64(out->renew_till, POLICY_TIME_MAX);
}

/*
 * The renewable part shared by AS and TGS (RFC 4120 §3.1.3: RENEWABLE-OK
 * turns a truncated request into a renewable one).  limit: an extra upper
 * bound on renew-till (the TGT's), or 0.
 */
static void
apply_renewable(const struct policy_req *req, const struct policy_limits *lim,
		uint32_t attrs, int64_t limit, struct policy_out *out)
{
	bool want = (req->options & KDC_OPT_RENEWABLE) != 0;
	int64_t rtill = req->has_rtime ? req->rtime : 0;
	int64_t rmax = max_renew(lim), rt;

	if (!want && (req->options & KDC_OPT_RENEWABLE_OK) &&
	    (req->till == 0 || req->till > out->endtime)) {
		want = true;
		rtill = req->till;
	}
	if (!want || rmax <= 0 || (attrs & DB_ATTR_DISALLOW_RENEWABLE))
		return;
	rt = out->starttime + rmax;
	if (rtill > 0)
		rt = min64(rt, rtill);
	if (limit > 0)
		rt = min64(rt, limit);
	/* RFC 4120 §5.4.1: RENEWABLE asks for the flag, with renew-till
	 * the requested time as cut by the limits, even when that is not
	 * after the end time (MIT's KDC does the same).  Only RENEWABLE-OK,
	 * renewal asked for instead of a longer life, is dropped then. */
	if (!(req->options & KDC_OPT_RENEWABLE) && rt <= out->endtime)
		return;
	out->flags |= TKT_FLG_RENEWABLE;
	out->has_renew_till = true;
	out->renew_till = rt;
}

/*
 * RFC 4120 §3.1.3/§3.3.3 POSTDATED: a start time in the future makes the
 * ticket postdated and invalid (until VALIDATE); without the option a
 * "from" beyond the skew cannot be honoured.  *start is left alone when
 * the ticket starts now.
 */
static orth_err
postdate(const struct policy_req *req, const struct policy_limits *lim,
	 uint32_t attrs, int64_t now, int64_t *start, struct policy_out *out)
{
	if (req->options & KDC_OPT_POSTDATED) {
		if ((attrs & DB_ATTR_DISALLOW_POSTDATED) || !req->has_from)
			return ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE);
		/* starting at the last representable second leaves no
		 * period: nothing to postdate */
		if (req->from >= POLICY_TIME_MAX)
			return ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE);
		if (req->from > now) {
			*start = req->from;
			out->flags |= TKT_FLG_POSTDATED | TKT_FLG_INVALID;
		}
	} else if (req->has_from && req->from > now + lim->skew) {
		return ORTH_E_KRB(KDC_ERR_CANNOT_POSTDATE);
	}
	return ORTH_OK;
}

static orth_err
as_decide(const struct policy_req *req, const struct policy_limits *lim,
	  bool preauth, struct policy_out *out)
{
	uint32_t o = req->options;
	uint32_t attrs = lim->client_attrs | lim->server_attrs;
	orth_err ret;
	int64_t now = lim->now, start = now, end;

	memset(out, 0, sizeof(*out));
	/* RFC 4120 §3.1.3: these options only make sense with a TGT. */
	if (o & (KDC_OPT_FORWARDED | KDC_OPT_PROXY | KDC_OPT_RENEW |
		 KDC_OPT_VALIDATE | KDC_OPT_ENC_TKT_IN_SKEY))
		return ORTH_E_KRB(KDC_ERR_BADOPTION);
	out->flags = TKT_FLG_INITIAL | (preauth ? TKT_FLG_PRE_AUTH : 0);
	/* A disallowed flag is silently not granted (as MIT's KDC does). */
	if ((o & KDC_OPT_FORWARDABLE) && !(attrs & DB_ATTR_DISALLOW_FORWARDABLE))
		out->flags |= TKT_FLG_FORWARDABLE;
	if ((o & KDC_OPT_PROXIABLE) && !(attrs & DB_ATTR_DISALLOW_PROXIABLE))
		out->flags |= TKT_FLG_PROXIABLE;
	if ((o & KDC_OPT_ALLOW_POSTDATE) && !(attrs & DB_ATTR_DISALLOW_POSTDATED))
		out->flags |= TKT_FLG_MAY_POSTDATE;
	if (lim->server_attrs & DB_ATTR_OK_AS_DELEGATE)
		out->flags |= TKT_FLG_OK_AS_DELEGATE;
	ret = postdate(req, lim, attrs, now, &start, out);
	if (ret != ORTH_OK)
		return ret;
	end = start + max_life(lim);
	if (req->till > 0)
		end = min64(end, req->till);
	if (end <= start)
		return ORTH_E_KRB(KDC_ERR_NEVER_VALID);
	out->authtime = now;
	out->has_starttime = true;
	out->starttime = start;
	out->endtime = end;
	apply_renewable(req, lim, attrs, 0, out);
	return ORTH_OK;
}

static orth_err
tgs_decide(const struct policy_req *req, const struct policy_limits *lim,
	   const struct policy_tgt *tgt, struct policy_out *out)
{
	uint32_t o = req->options, tf = tgt->flags;
	uint32_t attrs = lim->client_attrs | lim->server_attrs;
	orth_err ret;
	int64_t now = lim->now, start = now, end;
	int64_t tstart = tgt->has_starttime ? tgt->starttime : tgt->authtime;

	memset(out, 0, sizeof(*out));
	out->authtime = tgt->authtime;
	if ((o & KDC_OPT_RENEW) && (o & KDC_OPT_VALIDATE))
		return ORTH_E_KRB(KDC_ERR_BADOPTION);
	if (o & KDC_OPT_VALIDATE) {
		/* RFC 4120 §3.3.3: only an invalid (postdated) ticket whose
		 * start time has come is validated; it comes back as is. */
		if (!(tf & TKT_FLG_INVALID))
			return ORTH_E_KRB(KDC_ERR_BADOPTION);
		if (tstart > now + lim->skew)
			return ORTH_E_KRB(KRB_AP_ERR_TKT_NYV);
		out->flags = tf & ~TKT_FLG_INVALID;
		out->has_starttime = true;
		out->starttime = tstart;
		out->endtime = tgt->endtime;
		out->has_renew_till = tgt->has_renew_till;
		out->renew_till = tgt->renew_till;
		return ORTH_OK;
	}
	if (o & KDC_OPT_RENEW) {
		/* RFC 4120 §3.3.3.1: same flags, a new period of the same
		 * length, never beyond renew-till. */
		if (!(tf & TKT_FLG_RENEWABLE) || !tgt->has_renew_till)
			return ORTH_E_KRB(KDC_ERR_BADOPTION);
		if (tgt->renew_till < now)
			return ORTH_E_KRB(KRB_AP_ERR_TKT_EXPIRED);
		out->flags = tf;
		out->has_starttime = true;
		out->starttime = now;
		out->endtime = min64(now + (tgt->endtime - tstart), tgt->renew_till);
		out->has_renew_till = true;
		out->renew_till = tgt->renew_till;
		if (out->endtime <= now)
			return ORTH_E_KRB(KDC_ERR_NEVER_VALID);
		return ORTH_OK;
	}
	/* RFC 4120 §3.3.3: derived tickets keep how the client logged in and
	 * that the TGT was forwarded. */
	out->flags = tf & (TKT_FLG_PRE_AUTH | TKT_FLG_HW_AUTH | TKT_FLG_FORWARDED);
	if (o & (KDC_OPT_FORWARDABLE | KDC_OPT_FORWARDED)) {
		if (!(tf & TKT_FLG_FORWARDABLE))
			return ORTH_E_KRB(KDC_ERR_BADOPTION);
		if ((o & KDC_OPT_FORWARDABLE) && !(attrs & DB_ATTR_DISALLOW_FORWARDABLE))
			out->flags |= TKT_FLG_FORWARDABLE;
		if (o & KDC_OPT_FORWARDED)
			out->flags |= TKT_FLG_FORWARDED;
	}
	if (o & (KDC_OPT_PROXIABLE | KDC_OPT_PROXY)) {
		if (!(tf & TKT_FLG_PROXIABLE))
			return ORTH_E_KRB(KDC_ERR_BADOPTION);
		if ((o & KDC_OPT_PROXIABLE) && !(attrs & DB_ATTR_DISALLOW_PROXIABLE))
			out->flags |= TKT_FLG_PROXIABLE;
		/* RFC 4120 §2.5: a proxy is never a TGT. */
		if (o & KDC_OPT_PROXY) {
			if (lim->server_is_tgs)
				return ORTH_E_KRB(KDC_ERR_BADOPTION);
			out->flags |= TKT_FLG_PROXY;
		}
	}
	if (o & (KDC_OPT_ALLOW_POSTDATE | KDC_OPT_POSTDATED)) {
		if (!(tf & TKT_FLG_MAY_POSTDATE))
			return ORTH_E_KRB(KDC_ERR_BADOPTION);
		if ((o & KDC_OPT_ALLOW_POSTDATE) && !(attrs & DB_ATTR_DISALLOW_POSTDATED))
			out->flags |= TKT_FLG_MAY_POSTDATE;
	}
	if (lim->server_attrs & DB_ATTR_OK_AS_DELEGATE)
		out->flags |= TKT_FLG_OK_AS_DELEGATE;
	ret = postdate(req, lim, attrs, now, &start, out);
	if (ret != ORTH_OK)
		return ret;
	end = min64(start + max_life(lim), tgt->endtime);
	if (req->till > 0)
		end = min64(end, req->till);
	if (end <= start)
		return ORTH_E_KRB(KDC_ERR_NEVER_VALID);
	out->has_starttime = true;
	out->starttime = start;
	out->endtime = end;
	if ((o & KDC_OPT_RENEWABLE) && !(tf & TKT_FLG_RENEWABLE))
		return ORTH_E_KRB(KDC_ERR_BADOPTION);
	if (tf & TKT_FLG_RENEWABLE)
		apply_renewable(req, lim, attrs,
				tgt->has_renew_till ? tgt->renew_till : 0, out);
	return ORTH_OK;
}

orth_err
policy_as(const struct policy_req *req, const struct policy_limits *lim,
	  bool preauth, struct policy_out *out)
{
	orth_err ret = as_decide(req, lim, preauth, out);

	if (ret == ORTH_OK)
		times_clamp(out);
	return ret;
}

orth_err
policy_tgs(const struct policy_req *req, const struct policy_limits *lim,
	   const struct policy_tgt *tgt, struct policy_out *out)
{
	orth_err ret = tgs_decide(req, lim, tgt, out);

	if (ret == ORTH_OK)
		times_clamp(out);
	return ret;
}
