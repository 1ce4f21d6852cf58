/*
 * spake.c - SPAKE pre-authentication (RFC 9588): the derivations and the
 * two sides of the exchange.  See spake.h; the messages are in
 * spake_msg.c, the group arithmetic in crypto/spake_group.c.
 */
#include <string.h>

#include "base/cursor.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "spake.h"

#define PREAUTH_FAILED ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED)
#define STATE_VERSION 1

static void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * What the peer got wrong is one Kerberos error: bytes that do not parse,
 * an element refused, a ciphertext that does not open under the key we
 * derived.  MIT's KDC and client answer all of these with
 * KDC_ERR_PREAUTH_FAILED, and telling them apart would help only an
 * attacker.  Internal errors (memory, library failures) stay what they are.
 */
static orth_err
peer_fault(orth_err e)
{
	enum orth_err_class c = orth_err_class(e);
	return c == ORTH_CLASS_MALFORMED || c == ORTH_CLASS_INTEGRITY
		       ? PREAUTH_FAILED
		       : e;
}

static bool
group_listed(const int32_t *list, size_t n, int32_t group)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == group)
			return true;
	return false;
}

/* ---- derivations ------------------------------------------------------- */

orth_err
spake_w_derive(int32_t group, struct crypto_key *ikey, uint8_t *wbytes_out)
{
	static const char label[] = "SPAKEsecret";
	const struct crypto_spake_group *g = crypto_spake_group_get(group);
	uint8_t in[sizeof(label) - 1 + 4];
	orth_err ret;

	CHECK(g != NULL, ORTH_E_RANGE);
	CHECK(ikey != NULL && wbytes_out != NULL, ORTH_E_INTERNAL);
	memcpy(in, label, sizeof(label) - 1);
	be32_put(in + sizeof(label) - 1, (uint32_t)group);
	TRY(crypto_prf_plus(ikey, in, sizeof(in), wbytes_out, g->scalar_len));
cleanup:
	return ret;
}

orth_err
spake_thash_update(int32_t group, uint8_t *thash, const uint8_t *d1, size_t l1,
		   const uint8_t *d2, size_t l2)
{
	const struct crypto_spake_group *g = crypto_spake_group_get(group);
	uint8_t out[CRYPTO_SPAKE_MAX_HASH];
	struct crypto_span v[3];
	orth_err ret;

	CHECK(g != NULL, ORTH_E_RANGE);
	CHECK(thash != NULL && (d1 != NULL || l1 == 0) &&
		      (d2 != NULL || l2 == 0),
	      ORTH_E_INTERNAL);
	v[0] = (struct crypto_span){thash, g->hash_len};
	v[1] = (struct crypto_span){d1, l1};
	v[2] = (struct crypto_span){d2, l2};
	TRY(crypto_spake_hash(group, v, 3, out));
	memcpy(thash, out, g->hash_len);
cleanup:
	return ret;
}

orth_err
spake_key_derive(int32_t group, struct crypto_key *ikey, const uint8_t *wbytes,
		 const uint8_t *k, const uint8_t *thash, const uint8_t *body,
		 size_t body_len, uint32_t n, struct crypto_key **out)
{
	static const char label[] = "SPAKEkey";
	const struct crypto_spake_group *g = crypto_spake_group_get(group);
	uint8_t seed[CRYPTO_MAX_KEY_LEN + CRYPTO_SPAKE_MAX_HASH];
	uint8_t gbuf[4], ebuf[4], nbuf[4], count;
	struct crypto_key *hkey = NULL;
	struct crypto_span v[9];
	int32_t enctype;
	size_t keylen, done;
	orth_err ret;

	CHECK(g != NULL, ORTH_E_RANGE);
	CHECK(ikey != NULL && wbytes != NULL && k != NULL && thash != NULL &&
		      (body != NULL || body_len == 0) && out != NULL,
	      ORTH_E_INTERNAL);
	enctype = crypto_key_enctype(ikey);
	keylen = crypto_enctype_keylen(enctype);
	CHECK(keylen != 0 && keylen <= CRYPTO_MAX_KEY_LEN, ORTH_E_ENCTYPE);
	be32_put(gbuf, (uint32_t)group);
	be32_put(ebuf, (uint32_t)enctype);
	be32_put(nbuf, n);
	v[0] = (struct crypto_span){label, sizeof(label) - 1};
	v[1] = (struct crypto_span){gbuf, 4};
	v[2] = (struct crypto_span){ebuf, 4};
	v[3] = (struct crypto_span){wbytes, g->scalar_len};
	v[4] = (struct crypto_span){k, g->elem_len};
	v[5] = (struct crypto_span){thash, g->hash_len};
	v[6] = (struct crypto_span){body, body_len};
	v[7] = (struct crypto_span){nbuf, 4};
	v[8] = (struct crypto_span){&count, 1};
	/* RFC 9588 §7: as many hash blocks, counted from 1, as the enctype's
	 * random-to-key seed needs (one, for every enctype we have). */
	for (done = 0, count = 1; done < keylen; done += g->hash_len, count++)
		TRY(crypto_spake_hash(group, v, 9, seed + done));
	TRY(crypto_key_new(enctype, seed, keylen, &hkey));
	TRY(crypto_key_cf2(ikey, "SPAKE", hkey, "keyderiv", out));
cleanup:
	crypto_wipe(seed, sizeof(seed));
	crypto_key_free(hkey);
	return ret;
}

/* ---- the KDC ----------------------------------------------------------- */

orth_err
spake_kdc_state_encode(const struct spake_kdc_state *s, struct writer *w)
{
	const struct crypto_spake_group *g = crypto_spake_group_get(s->group);

	if (g == NULL)
		return ORTH_E_INTERNAL;
	writer_u8(w, STATE_VERSION);
	writer_be32(w, (uint32_t)s->group);
	writer_be32(w, (uint32_t)s->enctype);
	writer_put(w, s->x, g->scalar_len);
	writer_put(w, s->thash, g->hash_len);
	return writer_err(w);
}

orth_err
spake_kdc_state_decode(const uint8_t *buf, size_t len,
		       struct spake_kdc_state *out)
{
	const struct crypto_spake_group *g;
	struct spake_kdc_state s;
	struct cursor c;
	const uint8_t *x, *h;
	orth_err ret = ORTH_OK;

	memset(&s, 0, sizeof(s));
	cursor_init(&c, buf, len);
	CHECK(cursor_u8(&c) == STATE_VERSION, ORTH_E_MALFORMED);
	s.group = (int32_t)cursor_be32(&c);
	s.enctype = (int32_t)cursor_be32(&c);
	TRY(cursor_err(&c));
	CHECK((g = crypto_spake_group_get(s.group)) != NULL, ORTH_E_MALFORMED);
	x = cursor_get(&c, g->scalar_len);
	h = cursor_get(&c, g->hash_len);
	TRY(cursor_end(&c));
	memcpy(s.x, x, g->scalar_len);
	memcpy(s.thash, h, g->hash_len);
	*out = s;
cleanup:
	crypto_wipe(&s, sizeof(s));
	return ret;
}

void
spake_kdc_state_wipe(struct spake_kdc_state *s)
{
	if (s != NULL)
		crypto_wipe(s, sizeof(*s));
}

orth_err
spake_kdc_group_choose(const SPAKESupport *support, const int32_t *allowed,
		       size_t n, int32_t *group_out)
{
	for (size_t i = 0; i < support->groups.len; i++) {
		if (group_listed(allowed, n, support->groups.val[i]) &&
		    spake_group_supported(support->groups.val[i])) {
			*group_out = support->groups.val[i];
			return ORTH_OK;
		}
	}
	return PREAUTH_FAILED;
}

orth_err
spake_kdc_challenge(int32_t group, struct crypto_key *ikey,
		    const uint8_t *support, size_t support_len, struct arena *a,
		    uint8_t **challenge_out, size_t *challenge_len_out,
		    struct spake_kdc_state *state_out)
{
	const struct crypto_spake_group *g = crypto_spake_group_get(group);
	uint8_t w[CRYPTO_SPAKE_MAX_SCALAR], t[CRYPTO_SPAKE_MAX_ELEM];
	SPAKESecondFactor none = {.type = SPAKE_SF_NONE, .data = NULL};
	struct spake_kdc_state s;
	struct spake_msg m;
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	orth_err ret;

	memset(&s, 0, sizeof(s));
	memset(&m, 0, sizeof(m));
	CHECK(g != NULL, ORTH_E_RANGE);
	CHECK(ikey != NULL && (support != NULL || support_len == 0) &&
		      challenge_out != NULL && challenge_len_out != NULL &&
		      state_out != NULL,
	      ORTH_E_INTERNAL);
	s.group = group;
	s.enctype = crypto_key_enctype(ikey);
	CHECK(crypto_enctype_supported(s.enctype), ORTH_E_ENCTYPE);
	/* RFC 9588 §4.2: T = x*G + w*M, and the factors the KDC accepts. */
	TRY(spake_w_derive(group, ikey, w));
	TRY(crypto_spake_private_random(group, s.x));
	TRY(crypto_spake_public(group, CRYPTO_SPAKE_KDC, w, s.x, t));
	m.kind = SPAKE_MSG_CHALLENGE;
	m.u.challenge.group = group;
	m.u.challenge.pubkey.data = t;
	m.u.challenge.pubkey.len = g->elem_len;
	m.u.challenge.factors.len = 1;
	m.u.challenge.factors.val = &none;
	TRY(spake_msg_encode(&m, a, &msg, &msg_len));
	/* RFC 9588 §6: the transcript starts with the support message (when
	 * there was one) and the challenge, as sent. */
	TRY(spake_thash_update(group, s.thash, support, support_len, msg,
			       msg_len));
	*challenge_out = msg;
	*challenge_len_out = msg_len;
	*state_out = s;
cleanup:
	crypto_wipe(w, sizeof(w));
	crypto_wipe(&s, sizeof(s));
	return ret;
}

orth_err
spake_kdc_response_verify(const struct spake_kdc_state *state,
			  struct crypto_key *ikey, const SPAKEResponse *resp,
			  const uint8_t *body, size_t body_len, struct arena *a,
			  struct crypto_key **reply_key_out)
{
	const struct crypto_spake_group *g;
	uint8_t w[CRYPTO_SPAKE_MAX_SCALAR], k[CRYPTO_SPAKE_MAX_ELEM];
	uint8_t thash[CRYPTO_SPAKE_MAX_HASH];
	struct crypto_key *k0 = NULL, *k1 = NULL;
	SPAKESecondFactor factor;
	bool wrong_key = false;
	orth_err ret;

	memset(&factor, 0, sizeof(factor));
	CHECK(state != NULL && ikey != NULL && resp != NULL &&
		      reply_key_out != NULL,
	      ORTH_E_INTERNAL);
	CHECK((g = crypto_spake_group_get(state->group)) != NULL,
	      PREAUTH_FAILED);
	/* The challenge was made with another key (the request's enctype
	 * list changed between the rounds): nothing could verify. */
	CHECK(crypto_key_enctype(ikey) == state->enctype, PREAUTH_FAILED);
	TRY(spake_w_derive(state->group, ikey, w));
	/* RFC 9588 §4.3: K = x*(S - w*N), S refused when it is not a usable
	 * element; then the transcript takes S. */
	TRY(crypto_spake_result(state->group, CRYPTO_SPAKE_KDC, w, state->x,
				resp->pubkey.data, resp->pubkey.len, k));
	memcpy(thash, state->thash, g->hash_len);
	TRY(spake_thash_update(state->group, thash, resp->pubkey.data,
			       resp->pubkey.len, NULL, 0));
	/* K'[1] opens the client's factor: a wrong password fails here. */
	TRY(spake_key_derive(state->group, ikey, w, k, thash, body, body_len,
			     1, &k1));
	ret = proto_unseal(k1, SPAKE_KEY_USAGE, &resp->factor,
			   &asn1_SPAKESecondFactor, a, &factor);
	/* The one failure that says the client's key is not the one we hold
	 * (a wrong password, for lockout); the rest are protocol errors. */
	wrong_key = ret == ORTH_E_INTEGRITY;
	TRY(ret);
	/* RFC 9588 §8.1: SF-NONE carries no data. */
	CHECK(factor.type == SPAKE_SF_NONE && factor.data == NULL,
	      PREAUTH_FAILED);
	/* RFC 9588 §4.5: K'[0] is the new reply key. */
	TRY(spake_key_derive(state->group, ikey, w, k, thash, body, body_len,
			     0, &k0));
	*reply_key_out = k0;
	k0 = NULL;
cleanup:
	crypto_wipe(w, sizeof(w));
	crypto_wipe(k, sizeof(k));
	crypto_wipe(thash, sizeof(thash));
	crypto_key_free(k0);
	crypto_key_free(k1);
	return wrong_key ? ORTH_E_INTEGRITY : peer_fault(ret);
}

orth_err
spake_kdc_process(const int32_t *allowed, size_t n, struct crypto_key *ikey,
		  const uint8_t *pa_value, size_t pa_len,
		  const struct spake_kdc_state *state, const uint8_t *body,
		  size_t body_len, struct arena *a, struct spake_kdc_reply *out)
{
	struct spake_kdc_reply r;
	struct spake_msg m;
	int32_t group;
	orth_err ret;

	memset(&r, 0, sizeof(r));
	CHECK(allowed != NULL && n > 0 && ikey != NULL && out != NULL,
	      ORTH_E_INTERNAL);
	CHECK(crypto_enctype_supported(crypto_key_enctype(ikey)),
	      ORTH_E_ENCTYPE);
	ret = spake_msg_decode(pa_value, pa_len, a, &m);
	CHECK(ret == ORTH_OK, peer_fault(ret));
	switch (m.kind) {
	case SPAKE_MSG_SUPPORT:
		/* RFC 9588 §4.2; a new support message starts over, whatever
		 * cookie came with it. */
		TRY(spake_kdc_group_choose(&m.u.support, allowed, n, &group));
		TRY(spake_kdc_challenge(group, ikey, pa_value, pa_len, a,
					&r.challenge, &r.challenge_len,
					&r.state));
		r.outcome = SPAKE_KDC_CHALLENGE;
		break;
	case SPAKE_MSG_RESPONSE:
		/* No cookie, or the realm stopped allowing the group since the
		 * challenge: no challenge of ours to answer. */
		CHECK(state != NULL && group_listed(allowed, n, state->group),
		      PREAUTH_FAILED);
		TRY(spake_kdc_response_verify(state, ikey, &m.u.response, body,
					      body_len, a, &r.reply_key));
		r.outcome = SPAKE_KDC_DONE;
		break;
	default:
		/* A challenge is the KDC's to send; encdata follows only a
		 * second factor that takes more rounds, and SF-NONE does not. */
		CHECK(0, PREAUTH_FAILED);
	}
	*out = r;
	memset(&r, 0, sizeof(r));
cleanup:
	spake_kdc_state_wipe(&r.state);
	return ret;
}

/* ---- the client -------------------------------------------------------- */

static bool
has_sf_none(const SPAKEChallenge *ch)
{
	for (size_t i = 0; i < ch->factors.len; i++)
		if (ch->factors.val[i].type == SPAKE_SF_NONE)
			return true;
	return false;
}

/* Our support message, remembered for the transcript (RFC 9588 §4.1). */
static orth_err
client_support(struct spake_client_state *st, const int32_t *groups, size_t n,
	       struct arena *a, struct spake_client_reply *out)
{
	int32_t list[SPAKE_MAX_GROUPS];
	struct spake_msg m;
	uint8_t *msg = NULL;
	size_t len = 0;
	orth_err ret;

	memset(&m, 0, sizeof(m));
	/* One support message per exchange: a KDC that ignores it would have
	 * us loop (MIT's client stops too). */
	CHECK(st->support_len == 0, PREAUTH_FAILED);
	memcpy(list, groups, n * sizeof(list[0]));
	m.kind = SPAKE_MSG_SUPPORT;
	m.u.support.groups.len = n;
	m.u.support.groups.val = list;
	TRY(spake_msg_encode(&m, a, &msg, &len));
	CHECK(len <= sizeof(st->support), ORTH_E_INTERNAL);
	memcpy(st->support, msg, len);
	st->support_len = len;
	out->outcome = SPAKE_CLIENT_SUPPORT;
	out->msg = msg;
	out->msg_len = len;
cleanup:
	return ret;
}

/* RFC 9588 §4.3: S, K, the transcript, K'[0] and the SF-NONE factor
 * under K'[1]. */
static orth_err
client_respond(struct spake_client_state *st, struct crypto_key *ikey,
	       const SPAKEChallenge *ch, const uint8_t *ch_msg,
	       size_t ch_len, const uint8_t *body, size_t body_len,
	       struct arena *a, struct spake_client_reply *out)
{
	const struct crypto_spake_group *g = crypto_spake_group_get(ch->group);
	uint8_t w[CRYPTO_SPAKE_MAX_SCALAR], y[CRYPTO_SPAKE_MAX_SCALAR];
	uint8_t s[CRYPTO_SPAKE_MAX_ELEM], k[CRYPTO_SPAKE_MAX_ELEM];
	uint8_t thash[CRYPTO_SPAKE_MAX_HASH] = {0};
	SPAKESecondFactor none = {.type = SPAKE_SF_NONE, .data = NULL};
	struct crypto_key *k0 = NULL, *k1 = NULL;
	struct spake_msg m;
	uint8_t *msg = NULL;
	size_t len = 0;
	orth_err ret;

	memset(&m, 0, sizeof(m));
	CHECK(g != NULL && ikey != NULL, ORTH_E_INTERNAL);
	CHECK(crypto_enctype_supported(crypto_key_enctype(ikey)),
	      ORTH_E_ENCTYPE);
	TRY(spake_w_derive(ch->group, ikey, w));
	TRY(crypto_spake_private_random(ch->group, y));
	TRY(crypto_spake_public(ch->group, CRYPTO_SPAKE_CLIENT, w, y, s));
	ret = crypto_spake_result(ch->group, CRYPTO_SPAKE_CLIENT, w, y,
				  ch->pubkey.data, ch->pubkey.len, k);
	CHECK(ret == ORTH_OK, peer_fault(ret));
	TRY(spake_thash_update(ch->group, thash, st->support, st->support_len,
			       ch_msg, ch_len));
	TRY(spake_thash_update(ch->group, thash, s, g->elem_len, NULL, 0));
	TRY(spake_key_derive(ch->group, ikey, w, k, thash, body, body_len, 0,
			     &k0));
	TRY(spake_key_derive(ch->group, ikey, w, k, thash, body, body_len, 1,
			     &k1));
	m.kind = SPAKE_MSG_RESPONSE;
	m.u.response.pubkey.data = s;
	m.u.response.pubkey.len = g->elem_len;
	TRY(proto_seal(k1, SPAKE_KEY_USAGE, &asn1_SPAKESecondFactor, &none, a,
		       &m.u.response.factor));
	TRY(spake_msg_encode(&m, a, &msg, &len));
	st->responded = true;
	out->outcome = SPAKE_CLIENT_RESPONSE;
	out->msg = msg;
	out->msg_len = len;
	out->reply_key = k0;
	k0 = NULL;
cleanup:
	crypto_wipe(w, sizeof(w));
	crypto_wipe(y, sizeof(y));
	crypto_wipe(k, sizeof(k));
	crypto_key_free(k0);
	crypto_key_free(k1);
	return ret;
}

/* A challenge we would answer: one of our groups, SF-NONE offered. */
static bool
client_accepts(const int32_t *groups, size_t n, const SPAKEChallenge *ch)
{
	return group_listed(groups, n, ch->group) &&
	       spake_group_supported(ch->group) && has_sf_none(ch);
}

bool
spake_client_key_needed(const int32_t *groups, size_t n,
			const uint8_t *pa_value, size_t pa_len,
			struct arena *a)
{
	struct spake_msg m;

	if (pa_len == 0 || spake_msg_decode(pa_value, pa_len, a, &m) != ORTH_OK)
		return false;
	return m.kind == SPAKE_MSG_CHALLENGE &&
	       client_accepts(groups, n, &m.u.challenge);
}

orth_err
spake_client_process(struct spake_client_state *st, const int32_t *groups,
		     size_t n, struct crypto_key *ikey,
		     const uint8_t *pa_value, size_t pa_len,
		     const uint8_t *body, size_t body_len, struct arena *a,
		     struct spake_client_reply *out)
{
	struct spake_client_reply r;
	struct spake_msg m;
	orth_err ret;

	memset(&r, 0, sizeof(r));
	CHECK(st != NULL && groups != NULL && n > 0 &&
		      n <= SPAKE_MAX_GROUPS && out != NULL,
	      ORTH_E_INTERNAL);
	for (size_t i = 0; i < n; i++)
		CHECK(spake_group_supported(groups[i]), ORTH_E_INTERNAL);
	if (pa_len == 0) {
		/* RFC 9588 §4.1: an empty PA-SPAKE offers SPAKE; we say which
		 * groups we take. */
		TRY(client_support(st, groups, n, a, &r));
	} else {
		ret = spake_msg_decode(pa_value, pa_len, a, &m);
		CHECK(ret == ORTH_OK, peer_fault(ret));
		CHECK(m.kind == SPAKE_MSG_CHALLENGE, PREAUTH_FAILED);
		/* One challenge answered per exchange. */
		CHECK(!st->responded, PREAUTH_FAILED);
		if (!group_listed(groups, n, m.u.challenge.group)) {
			/* An optimistic challenge in a group we do not take
			 * (RFC 9588 §4.6): tell the KDC which we do. */
			TRY(client_support(st, groups, n, a, &r));
		} else {
			/* Only SF-NONE is implemented here. */
			CHECK(has_sf_none(&m.u.challenge), PREAUTH_FAILED);
			TRY(client_respond(st, ikey, &m.u.challenge, pa_value,
					   pa_len, body, body_len, a, &r));
		}
	}
	*out = r;
	memset(&r, 0, sizeof(r));
cleanup:
	crypto_key_free(r.reply_key);
	return ret;
}
