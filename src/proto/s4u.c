/*
 * s4u.c - MS-SFU's PA-FOR-USER checksum (s4u.h).
 */
#include <string.h>

#include "proto/krb5_const.h"
#include "proto/s4u.h"

orth_err
proto_for_user_checksum(const struct crypto_key *key, const PA_FOR_USER *fu, struct arena *a,
			uint8_t out[16])
{
	size_t n = 4, at = 4;
	uint8_t *p;
	uint32_t t = (uint32_t)fu->userName.name_type;
	const char *tail[2] = {fu->userRealm, fu->auth_package};

	for (size_t i = 0; i < fu->userName.name_string.len; i++)
		n += strlen(fu->userName.name_string.val[i]);
	n += strlen(fu->userRealm) + strlen(fu->auth_package);
	p = arena_alloc(a, n);
	if (p == NULL)
		return ORTH_E_LIMIT;
	p[0] = (uint8_t)t;
	p[1] = (uint8_t)(t >> 8);
	p[2] = (uint8_t)(t >> 16);
	p[3] = (uint8_t)(t >> 24);
	for (size_t i = 0; i < fu->userName.name_string.len; i++) {
		size_t k = strlen(fu->userName.name_string.val[i]);
		memcpy(p + at, fu->userName.name_string.val[i], k);
		at += k;
	}
	for (size_t i = 0; i < 2; i++) {
		memcpy(p + at, tail[i], strlen(tail[i]));
		at += strlen(tail[i]);
	}
	return crypto_checksum_hmac_md5(key, KU_APP_DATA_CKSUM, p, n, out);
}
