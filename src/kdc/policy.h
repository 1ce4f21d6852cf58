/*
 * policy.h - ticket flags and lifetimes (RFC 4120 §3.1.3 for the AS
 * exchange, §3.3.3 for the TGS exchange, §2 for the meaning of the flags).
 * Pure functions over plain numbers: no database, no crypto, no clock, so
 * they can be tested alone.
 *
 * Times are Unix seconds; a limit of 0 means "none" (for principal limits:
 * the realm's applies).  A requested till or rtime of 0 means "as long as
 * allowed" (MIT clients send 0 for an infinite request).
 */
#ifndef ORTHRUS_KDC_POLICY_H
#define ORTHRUS_KDC_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

/* 9999-12-31T23:59:59Z, the last KerberosTime (four year digits); no time
 * policy_as()/policy_tgs() return is later. */
#define POLICY_TIME_MAX ((int64_t)253402300799)

/* What the request asks for (from KDC-REQ-BODY). */
struct policy_req {
	uint32_t options;     /* KDC_OPT_* */
	bool has_from;
	int64_t from;
	int64_t till;         /* 0: no limit */
	bool has_rtime;
	int64_t rtime;        /* 0: no limit */
};

/* The limits that apply: realm's, client's and server's (0 = none). */
struct policy_limits {
	int64_t now;
	int64_t skew;
	int64_t realm_max_life, realm_max_renew;
	int64_t client_max_life, client_max_renew;
	int64_t server_max_life, server_max_renew;
	uint32_t client_attrs, server_attrs;  /* DB_ATTR_* */
	bool server_is_tgs;                   /* server is krbtgt/... */
};

/* The TGT (or the ticket being renewed/validated) of a TGS-REQ. */
struct policy_tgt {
	uint32_t flags;       /* TKT_FLG_* */
	int64_t authtime;
	bool has_starttime;
	int64_t starttime;
	int64_t endtime;
	bool has_renew_till;
	int64_t renew_till;
};

/* The resulting ticket's flags and times. */
struct policy_out {
	uint32_t flags;
	int64_t authtime;
	bool has_starttime;   /* include starttime in the ticket */
	int64_t starttime;
	int64_t endtime;
	bool has_renew_till;
	int64_t renew_till;
};

/*
 * AS exchange.  preauth: PA-ENC-TIMESTAMP verified (sets PRE_AUTH).
 * Returns ORTH_OK with *out filled, or ORTH_E_KRB(code) with code one of
 * KDC_ERR_BADOPTION (FORWARDED/PROXY/RENEW/VALIDATE/ENC-TKT-IN-SKEY in an
 * AS-REQ), KDC_ERR_CANNOT_POSTDATE (start in the future without POSTDATED,
 * postdating disallowed, or a start at POLICY_TIME_MAX),
 * KDC_ERR_NEVER_VALID (end before start).  RENEWABLE gives a renewable
 * ticket unless a limit or attribute forbids renewal, even when renew-till
 * is not after the end time; RENEWABLE-OK only when the end time was cut.
 */
orth_err policy_as(const struct policy_req *req, const struct policy_limits *lim,
		   bool preauth, struct policy_out *out);

/*
 * TGS exchange.  tgt: the ticket from the AP-REQ.  Returns ORTH_OK, or
 * ORTH_E_KRB(code): KDC_ERR_BADOPTION (an option the TGT does not allow),
 * KRB_AP_ERR_TKT_NYV (VALIDATE before the start time), KRB_AP_ERR_TKT_EXPIRED
 * (RENEW after renew-till), KDC_ERR_CANNOT_POSTDATE (as for AS),
 * KDC_ERR_NEVER_VALID.  RENEWABLE as for AS, and only from a renewable
 * TGT (KDC_ERR_BADOPTION otherwise).
 * The caller has already checked the TGT's validity period.
 */
orth_err policy_tgs(const struct policy_req *req, const struct policy_limits *lim,
		    const struct policy_tgt *tgt, struct policy_out *out);

/* The smallest non-zero of three limits, 0 when all are 0. */
int64_t policy_min_limit(int64_t a, int64_t b, int64_t c);

#endif
