/*
 * s4u.c - the client's side of MS-SFU's S4U2Self (client_int.h): the
 * padata a service sends to get a ticket to itself for a user, and the
 * check of the KDC's answer.  MIT's krb5_get_credentials_for_user is the
 * model (s4u_creds.c): PA-S4U-X509-USER with the use-reply-key-usage
 * option and PA-FOR-USER in every request, the reply's PA-S4U-X509-USER
 * verified when the KDC sends one.  S4U2Proxy needs no padata: the KDC
 * option and the evidence ticket (context.c).
 */
#include <string.h>

#include "client_int.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"
#include "proto/s4u.h"

orth_err
client_s4u_padata(const struct principal *user, struct crypto_key *session,
		  struct crypto_key *subkey, uint32_t nonce, struct arena *a, PA_DATA *out,
		  size_t *n_out)
{
	orth_err ret;
	PA_S4U_X509_USER x;
	PA_FOR_USER fu;
	PrincipalName *pn = arena_alloc(a, sizeof(*pn));
	uint32_t *opts = arena_alloc(a, sizeof(*opts));
	uint8_t *id = NULL, ck[CRYPTO_MAX_CKSUM_LEN], *md5 = arena_alloc(a, 16);
	size_t id_len = 0, ck_len = 0, n = 0;

	CHECK(pn != NULL && opts != NULL && md5 != NULL, ORTH_E_LIMIT);
	TRY(pname_from_principal(user, a, pn));
	/* MS-SFU §2.2.2: the user id with the request's nonce, checksummed
	 * under the subkey (usage 26); the KDC answers under usage 27. */
	memset(&x, 0, sizeof(x));
	x.user_id.nonce = nonce;
	x.user_id.cname = pn;
	x.user_id.crealm = user->realm;
	*opts = KRB5_S4U_OPT_USE_REPLY_KEY_USAGE;
	x.user_id.options = opts;
	TRY(der_encode_arena(&asn1_S4UUserID, &x.user_id, a, &id, &id_len));
	TRY(crypto_checksum_make(subkey, KU_PA_S4U_X509_USER_REQUEST, id, id_len,
				 &x.checksum.cksumtype, ck, &ck_len));
	x.checksum.checksum.data = ck;
	x.checksum.checksum.len = ck_len;
	out[n].padata_type = KRB5_PADATA_S4U_X509_USER;
	TRY(der_encode_arena(&asn1_PA_S4U_X509_USER, &x, a, &out[n].padata_value.data,
			     &out[n].padata_value.len));
	n++;
	/* MS-SFU §2.2.1 for older KDCs; without MD5 (FIPS) MIT's client
	 * leaves it out too. */
	memset(&fu, 0, sizeof(fu));
	fu.userName = *pn;
	fu.userRealm = user->realm;
	fu.auth_package = "Kerberos";
	ret = proto_for_user_checksum(session, &fu, a, md5);
	if (ret == ORTH_OK) {
		fu.cksum.cksumtype = CRYPTO_CKSUMTYPE_HMAC_MD5;
		fu.cksum.checksum.data = md5;
		fu.cksum.checksum.len = 16;
		out[n].padata_type = KRB5_PADATA_FOR_USER;
		TRY(der_encode_arena(&asn1_PA_FOR_USER, &fu, a, &out[n].padata_value.data,
				     &out[n].padata_value.len));
		n++;
	} else if (ret == ORTH_E_INTERNAL) {
		ret = ORTH_OK;
	}
	TRY(ret);
	*n_out = n;
cleanup:
	return ret;
}

orth_err
client_s4u_reply_check(struct client_ctx *ctx, const struct principal *user,
		       struct crypto_key *subkey, uint32_t nonce, const METHOD_DATA *padata,
		       struct arena *a)
{
	orth_err ret = ORTH_OK;
	const PA_DATA *pa = NULL;
	PA_S4U_X509_USER x;
	struct principal got;
	bool reply_usage;

	for (size_t i = 0; padata != NULL && i < padata->len; i++)
		if (padata->val[i].padata_type == KRB5_PADATA_S4U_X509_USER)
			pa = &padata->val[i];
	/* As MIT: a KDC that does not know PA-S4U-X509-USER answers
	 * PA-FOR-USER alone; the reply's client (checked by the caller)
	 * is then all there is. */
	if (pa == NULL)
		return ORTH_OK;
	memset(&x, 0, sizeof(x));
	if (der_decode(&asn1_PA_S4U_X509_USER, pa->padata_value.data, pa->padata_value.len, a,
		       &x) != ORTH_OK)
		return client_fail(ctx, ORTH_E_MALFORMED,
				   "KDC reply: PA-S4U-X509-USER does not decode");
	reply_usage = x.user_id.options != NULL &&
		      (*x.user_id.options & KRB5_S4U_OPT_USE_REPLY_KEY_USAGE);
	if (x.user_id.nonce != nonce)
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations (S4U2Self nonce)");
	if (crypto_checksum_verify(subkey,
				   reply_usage ? KU_PA_S4U_X509_USER_REPLY
					       : KU_PA_S4U_X509_USER_REQUEST,
				   x.checksum.cksumtype, x.user_id._raw.data, x.user_id._raw.len,
				   x.checksum.checksum.data, x.checksum.checksum.len) != ORTH_OK)
		return client_fail(ctx, ORTH_E_INTEGRITY,
				   "KDC reply: the PA-S4U-X509-USER checksum does not verify");
	if (x.user_id.cname == NULL ||
	    pname_to_principal(x.user_id.cname, x.user_id.crealm, a, &got) != ORTH_OK ||
	    !principal_equal(&got, user))
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations (S4U2Self user)");
	return ret;
}
