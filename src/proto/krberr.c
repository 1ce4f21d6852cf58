#include "krberr.h"

#include <string.h>
#include <time.h>

#include "krb5_const.h"

/*
 * The one table of error codes.  KRB-ERROR codes: RFC 4120 §7.5.9, RFC
 * 6113 (FAST) and RFC 4556 (PKINIT, which we do not speak but may be
 * told); the texts of the RFC 4120 codes are MIT's (krb5_err.et), which
 * users and scripts know.  kpasswd result codes: RFC 3244 §2, named as
 * MIT names them.
 */
struct err_entry {
	enum proto_err_space space;
	int32_t code;
	const char *name;
	const char *text;
};

#define K(c, n, t) {PROTO_ERR_KRB, c, n, t}
#define P(c, n, t) {PROTO_ERR_KPASSWD, c, n, t}
static const struct err_entry err_table[] = {
	K(0, "KDC_ERR_NONE", "No error"),
	K(1, "KDC_ERR_NAME_EXP", "Client's entry in database has expired"),
	K(2, "KDC_ERR_SERVICE_EXP", "Server's entry in database has expired"),
	K(3, "KDC_ERR_BAD_PVNO", "Requested protocol version not supported"),
	K(4, "KDC_ERR_C_OLD_MAST_KVNO", "Client's key is encrypted in an old master key"),
	K(5, "KDC_ERR_S_OLD_MAST_KVNO", "Server's key is encrypted in an old master key"),
	K(6, "KDC_ERR_C_PRINCIPAL_UNKNOWN", "Client not found in Kerberos database"),
	K(7, "KDC_ERR_S_PRINCIPAL_UNKNOWN", "Server not found in Kerberos database"),
	K(8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE", "Principal has multiple entries in Kerberos database"),
	K(9, "KDC_ERR_NULL_KEY", "Client or server has a null key"),
	K(10, "KDC_ERR_CANNOT_POSTDATE", "Ticket is ineligible for postdating"),
	K(11, "KDC_ERR_NEVER_VALID", "Requested effective lifetime is negative or too short"),
	K(12, "KDC_ERR_POLICY", "KDC policy rejects request"),
	K(13, "KDC_ERR_BADOPTION", "KDC can't fulfill requested option"),
	K(14, "KDC_ERR_ETYPE_NOSUPP", "KDC has no support for encryption type"),
	K(15, "KDC_ERR_SUMTYPE_NOSUPP", "KDC has no support for checksum type"),
	K(16, "KDC_ERR_PADATA_TYPE_NOSUPP", "KDC has no support for padata type"),
	K(17, "KDC_ERR_TRTYPE_NOSUPP", "KDC has no support for transited type"),
	K(18, "KDC_ERR_CLIENT_REVOKED", "Client's credentials have been revoked"),
	K(19, "KDC_ERR_SERVICE_REVOKED", "Credentials for server have been revoked"),
	K(20, "KDC_ERR_TGT_REVOKED", "TGT has been revoked"),
	K(21, "KDC_ERR_CLIENT_NOTYET", "Client not yet valid - try again later"),
	K(22, "KDC_ERR_SERVICE_NOTYET", "Server not yet valid - try again later"),
	K(23, "KDC_ERR_KEY_EXPIRED", "Password has expired"),
	K(24, "KDC_ERR_PREAUTH_FAILED", "Preauthentication failed"),
	K(25, "KDC_ERR_PREAUTH_REQUIRED", "Additional pre-authentication required"),
	K(26, "KDC_ERR_SERVER_NOMATCH", "Requested server and ticket don't match"),
	K(27, "KDC_ERR_MUST_USE_USER2USER", "Server principal valid for user2user only"),
	K(28, "KDC_ERR_PATH_NOT_ACCEPTED", "KDC policy rejects transited path"),
	K(29, "KDC_ERR_SVC_UNAVAILABLE", "A service is not available that is required to process the request"),
	K(31, "KRB_AP_ERR_BAD_INTEGRITY", "Decrypt integrity check failed"),
	K(32, "KRB_AP_ERR_TKT_EXPIRED", "Ticket expired"),
	K(33, "KRB_AP_ERR_TKT_NYV", "Ticket not yet valid"),
	K(34, "KRB_AP_ERR_REPEAT", "Request is a replay"),
	K(35, "KRB_AP_ERR_NOT_US", "The ticket isn't for us"),
	K(36, "KRB_AP_ERR_BADMATCH", "Ticket/authenticator don't match"),
	K(37, "KRB_AP_ERR_SKEW", "Clock skew too great"),
	K(38, "KRB_AP_ERR_BADADDR", "Incorrect net address"),
	K(39, "KRB_AP_ERR_BADVERSION", "Protocol version mismatch"),
	K(40, "KRB_AP_ERR_MSG_TYPE", "Invalid message type"),
	K(41, "KRB_AP_ERR_MODIFIED", "Message stream modified"),
	K(42, "KRB_AP_ERR_BADORDER", "Message out of order"),
	K(44, "KRB_AP_ERR_BADKEYVER", "Key version is not available"),
	K(45, "KRB_AP_ERR_NOKEY", "Service key not available"),
	K(46, "KRB_AP_ERR_MUT_FAIL", "Mutual authentication failed"),
	K(47, "KRB_AP_ERR_BADDIRECTION", "Incorrect message direction"),
	K(48, "KRB_AP_ERR_METHOD", "Alternative authentication method required"),
	K(49, "KRB_AP_ERR_BADSEQ", "Incorrect sequence number in message"),
	K(50, "KRB_AP_ERR_INAPP_CKSUM", "Inappropriate type of checksum in message"),
	K(51, "KRB_AP_PATH_NOT_ACCEPTED", "Policy rejects transited path"),
	K(52, "KRB_ERR_RESPONSE_TOO_BIG", "Response too big for UDP, retry with TCP"),
	K(60, "KRB_ERR_GENERIC", "Generic error (see e-text)"),
	K(61, "KRB_ERR_FIELD_TOOLONG", "Field is too long for this implementation"),
	K(62, "KDC_ERR_CLIENT_NOT_TRUSTED", "Client's certificate is not trusted"),
	K(63, "KDC_ERR_KDC_NOT_TRUSTED", "KDC's certificate is not trusted"),
	K(64, "KDC_ERR_INVALID_SIG", "Signature is invalid"),
	K(65, "KDC_ERR_DH_KEY_PARAMETERS_NOT_ACCEPTED", "Diffie-Hellman parameters not accepted"),
	K(67, "KRB_AP_ERR_NO_TGT", "No ticket-granting ticket to use for user-to-user"),
	K(68, "KDC_ERR_WRONG_REALM", "Wrong realm"),
	K(69, "KRB_AP_ERR_USER_TO_USER_REQUIRED", "User-to-user authentication required"),
	K(90, "KDC_ERR_PREAUTH_EXPIRED", "Pre-authentication data has expired"),
	K(91, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED", "More pre-authentication data is required"),
	K(92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET", "The KDC cannot accommodate the requested pre-authentication set"),
	K(93, "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS", "Unknown critical FAST option"),
	K(100, "KDC_ERR_NO_ACCEPTABLE_KDF", "No acceptable key derivation function"),
	P(0, "KRB5_KPASSWD_SUCCESS", "Success"),
	P(1, "KRB5_KPASSWD_MALFORMED", "Malformed request error"),
	P(2, "KRB5_KPASSWD_HARDERROR", "Server error"),
	P(3, "KRB5_KPASSWD_AUTHERROR", "Authentication error"),
	P(4, "KRB5_KPASSWD_SOFTERROR", "Password change rejected"),
	P(5, "KRB5_KPASSWD_ACCESSDENIED", "Access denied"),
	P(6, "KRB5_KPASSWD_BAD_VERSION", "Wrong protocol version"),
	P(7, "KRB5_KPASSWD_INITIAL_FLAG_NEEDED", "Initial password required"),
};
#undef K
#undef P

static const struct err_entry *
err_find(enum proto_err_space space, int32_t code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].space == space && err_table[i].code == code)
			return &err_table[i];
	return NULL;
}

const char *
proto_err_name(enum proto_err_space space, int32_t code)
{
	const struct err_entry *e = err_find(space, code);

	return e != NULL ? e->name : NULL;
}

const char *
proto_err_text(enum proto_err_space space, int32_t code)
{
	const struct err_entry *e = err_find(space, code);

	return e != NULL ? e->text : NULL;
}

const char *
proto_krb_err_name(int32_t code)
{
	return proto_err_name(PROTO_ERR_KRB, code);
}

const char *
proto_krb_err_text(int32_t code)
{
	return proto_err_text(PROTO_ERR_KRB, code);
}

int32_t
proto_krb_err_code(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].space == PROTO_ERR_KRB && strcmp(err_table[i].name, name) == 0)
			return err_table[i].code;
	return -1;
}

const char *
proto_err_str(orth_err e)
{
	const char *t = NULL;

	if (ORTH_ERR_IS_KRB(e))
		t = proto_krb_err_text(ORTH_ERR_KRB_CODE(e));
	return t != NULL ? t : orth_err_str(e);
}

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
