#include "krberr.h"

#include <time.h>

#include "krb5_const.h"

orth_err
proto_krb_error_encode(const struct proto_error *e, struct arena *a,
		       struct writer *w)
{
	KRB_ERROR err = {0};
	(void)a;

	err.pvno = KRB5_PVNO;
	err.msg_type = KRB5_MSG_ERROR;
	err.stime = e->stime;
	err.susec = e->susec;
	err.error_code = e->code;
	err.crealm = (char *)e->crealm;
	err.cname = (PrincipalName *)e->cname;
	err.realm = (char *)e->realm;
	err.sname = *e->sname;
	err.e_text = (char *)e->e_text;
	err.e_data = (struct der_bytes *)e->e_data;
	return der_encode(&asn1_KRB_ERROR, &err, w);
}

int32_t
proto_err_to_krb(orth_err e)
{
	if (ORTH_ERR_IS_KRB(e))
		return ORTH_ERR_KRB_CODE(e);
	switch (e) {
	case ORTH_E_INTEGRITY: return KRB_AP_ERR_BAD_INTEGRITY;
	case ORTH_E_ENCTYPE: return KDC_ERR_ETYPE_NOSUPP;
	case ORTH_E_CKSUMTYPE: return KDC_ERR_SUMTYPE_NOSUPP;
	case ORTH_E_SKEW: return KRB_AP_ERR_SKEW;
	case ORTH_E_REPLAY: return KRB_AP_ERR_REPEAT;
	case ORTH_E_EXPIRED: return KRB_AP_ERR_TKT_EXPIRED;
	case ORTH_E_POLICY: return KDC_ERR_POLICY;
	case ORTH_E_LIMIT: return KRB_ERR_FIELD_TOOLONG;
	default: return KRB_ERR_GENERIC;
	}
}

void
proto_now(int64_t *sec_out, int32_t *usec_out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec_out = ts.tv_sec;
	*usec_out = (int32_t)(ts.tv_nsec / 1000);
}
