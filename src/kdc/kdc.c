/*
 * kdc.c - the worker context, its key cache, dispatch and errors.  See
 * kdc.h for the design.
 */
#include "kdc_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/writer.h"
#include "kdc/fast.h"
#include "proto/encdata.h"
#include "proto/krberr.h"
#include "proto/pname.h"

orth_err
kdc_fail(struct kdc_req *r, int32_t code, const char *why)
{
	r->e_text = why;
	return ORTH_E_KRB(code);
}

orth_err
kdc_fail_undecodable(struct kdc_req *r, const char *why)
{
	r->undecodable = true;
	return kdc_fail(r, KRB_ERR_GENERIC, why);
}

void
kdc_replay_refusal_note(struct kdc_ctx *ctx, orth_err verdict, int64_t now)
{
	struct kdc_replay *rc = ctx->sh->replay;
	bool quota = verdict == ORTH_E_POLICY;

	if (verdict != ORTH_E_POLICY && verdict != ORTH_E_LIMIT)
		return;
	kdc_counter_inc(&ctx->metrics.replay_refusals[quota ? KDC_MRR_QUOTA : KDC_MRR_FULL]);
	if (!kdc_replay_warn_due(rc, verdict, now))
		return;
	/* The sizes are replay.h's rules; no client name here (log_msg does
	 * not escape): the request's log line names it. */
	if (quota)
		log_msg(LOG_LVL_WARN,
			"replay cache: a client is over its quota (1/8 of %zu slots) and its "
			"requests are refused KDC_ERR_SVC_UNAVAILABLE; a client sustains about "
			"kdc_replay_cache_size / (128 x skew) requests a second: raise "
			"kdc_replay_cache_size in [kdcdefaults] (said at most every %d s; "
			"orthrus_kdc_replay_cache_refusals_total counts them)",
			kdc_replay_capacity(rc), KDC_REPLAY_WARN_INTERVAL);
	else
		log_msg(LOG_LVL_WARN,
			"replay cache full (%zu slots): requests are refused "
			"KDC_ERR_SVC_UNAVAILABLE; raise kdc_replay_cache_size in [kdcdefaults] "
			"above peak TGS-REQs a second x 2 x skew / 0.4 (said at most every %d s; "
			"orthrus_kdc_replay_cache_refusals_total counts them)",
			kdc_replay_capacity(rc), KDC_REPLAY_WARN_INTERVAL);
}

orth_err
kdc_ctx_new(const struct kdc_shared *sh, struct kdc_ctx **out)
{
	orth_err ret;
	struct kdc_ctx *ctx = calloc(1, sizeof(*ctx));
	PrincipalName tgs;

	CHECK(ctx != NULL, ORTH_E_NOMEM);
	ctx->sh = sh;
	ctx->skew = sh->skew > 0 ? sh->skew : KDC_REPLAY_DEFAULT_SKEW;
	TRY(arena_init(&ctx->a, KDC_ARENA_SIZE));
	TRY(siphash_key_random(&ctx->sesskey_hash));
	TRY(db_reader_open(sh->db, &ctx->rd));
	TRY(pname_build2(&ctx->a, KRB5_NT_SRV_INST, "krbtgt", sh->realm->name, &tgs));
	TRY(pname_unparse(&tgs, sh->realm->name, ctx->tgs_name, sizeof(ctx->tgs_name)));
	arena_reset(&ctx->a);
	TRY(siphash_key_random(&ctx->ents_hash));
	*out = ctx;
	ctx = NULL;
cleanup:
	kdc_ctx_free(ctx);
	return ret;
}

const struct kdc_metrics *
kdc_ctx_metrics(const struct kdc_ctx *ctx)
{
	return &ctx->metrics;
}

void
kdc_ctx_free(struct kdc_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (size_t i = 0; i < KDC_KEYCACHE_SLOTS; i++)
		crypto_key_free(ctx->cache[i].k.key);
	for (size_t i = 0; i < ctx->ntmp; i++)
		crypto_key_free(ctx->tmp[i]);
	for (size_t i = 0; i < KDC_SESSKEY_SETS * KDC_SESSKEY_WAYS; i++)
		crypto_key_free(ctx->sesskey[i].key);
	crypto_wipe(&ctx->sesskey_hash, sizeof(ctx->sesskey_hash));
	crypto_wipe(&ctx->ents_hash, sizeof(ctx->ents_hash));
	db_reader_close(ctx->rd);
	for (size_t i = 0; i < KDC_ENTRY_CACHE_SETS * KDC_ENTRY_CACHE_WAYS; i++) {
		if (ctx->ents[i] != NULL)
			arena_free(&ctx->ents[i]->mem);
		free(ctx->ents[i]);
	}
	arena_free(&ctx->a);
	free(ctx);
}

/* ---- keys ---- */

/*
 * The stored key of e for enctype in key set kvno.  kvno 0 is the current
 * key set: the highest kvno, which is keysets[0] (db.h: newest first; the
 * record decoder refuses kvnos that do not strictly decrease).  Older key
 * sets are kept only to decrypt tickets that name their kvno: they never
 * answer kvno 0, whatever enctypes the current set lacks, or an old
 * password would keep pre-authenticating after a change of enctypes.
 */
static const struct db_key *
entry_key_info(const struct db_entry *e, int32_t enctype, uint32_t kvno,
	       uint32_t *kvno_out)
{
	const struct db_keyset *ks = NULL;

	for (size_t i = 0; i < e->nkeysets && ks == NULL; i++)
		if (kvno == 0 || e->keysets[i].kvno == kvno)
			ks = &e->keysets[i];
	if (ks == NULL)
		return NULL;
	for (size_t j = 0; j < ks->nkeys; j++)
		if (ks->keys[j].enctype == enctype) {
			*kvno_out = ks->kvno;
			return &ks->keys[j];
		}
	return NULL;
}

/* Does slot s hold the decryption of the stored key info? */
static bool
keycache_match(const struct kdc_keycache_slot *s, int32_t enctype,
	       const struct db_key *info)
{
	return s->k.key != NULL && s->enctype == enctype && s->enc_len == info->enc_len &&
	       memcmp(s->enc, info->enc, info->enc_len) == 0;
}

/*
 * Of the key caches' slots: is s a better one to replace than victim (NULL:
 * none yet)?  An empty slot, else the least recently used one that this
 * request does not hold (its keys are borrowed until the end).
 */
static bool
key_slot_evicts(const struct kdc_ctx *ctx, const struct kdc_key_slot *s,
		const struct kdc_key_slot *victim)
{
	if (s->key != NULL && s->used == ctx->serial)
		return false;
	return victim == NULL || (victim->key != NULL && (s->key == NULL || s->used < victim->used));
}

/*
 * The cache is keyed by the stored (master-key encrypted) key itself, not
 * by name and kvno: a key decrypts to the same bytes wherever it is found,
 * and any new key (set-password, delete + add under the same kvno, load)
 * is sealed with a fresh confounder, so its stored bytes differ and the
 * next request misses.  Nothing has to age out: a replaced key is simply
 * never matched again and its slot goes to the least recently used rule.
 */
orth_err
kdc_key_get(struct kdc_ctx *ctx, const struct db_entry *e,
	    int32_t enctype, uint32_t kvno, struct crypto_key **key_out,
	    const struct db_key **info_out, uint32_t *kvno_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_keycache_slot *s, *victim = NULL;
	const struct db_key *info;
	struct crypto_key *key = NULL;
	uint32_t found_kvno = 0;

	info = entry_key_info(e, enctype, kvno, &found_kvno);
	CHECK(info != NULL, ORTH_E_NOTFOUND);
	for (size_t i = 0; i < KDC_KEYCACHE_SLOTS; i++) {
		s = &ctx->cache[i];
		if (keycache_match(s, enctype, info)) {
			s->k.used = ctx->serial;
			*key_out = s->k.key;
			goto found;
		}
		if (key_slot_evicts(ctx, &s->k, victim != NULL ? &victim->k : NULL))
			victim = s;
	}
	ret = db_reader_key(ctx->rd, e, enctype, found_kvno, &key, NULL, NULL);
	if (ret != ORTH_OK)
		kdc_counter_inc(&ctx->metrics.db_errors);
	TRY(ret);
	if (victim == NULL || info->enc_len > sizeof(victim->enc)) {
		/* every slot held by this request, or a stored key longer than
		 * any valid one: keep it for the request only */
		CHECK(ctx->ntmp < KDC_TMP_KEYS, ORTH_E_LIMIT);
		ctx->tmp[ctx->ntmp++] = key;
		*key_out = key;
		key = NULL;
		goto found;
	}
	crypto_key_free(victim->k.key);
	memcpy(victim->enc, info->enc, info->enc_len);
	victim->enc_len = info->enc_len;
	victim->enctype = enctype;
	victim->k.key = key;
	victim->k.used = ctx->serial;
	*key_out = key;
	key = NULL;
found:
	if (info_out != NULL)
		*info_out = info;
	if (kvno_out != NULL)
		*kvno_out = found_kvno;
cleanup:
	crypto_key_free(key);
	return ret;
}

/*
 * The apreq_ticket_fn (proto/apcheck.h) of every server the KDC itself is
 * (krbtgt for FAST armor, kadmin/changepw for kpasswd): the server's key
 * of the ticket's enctype and kvno from the database, through the
 * worker's key cache.  arg: the struct kdc_ctx.
 */
orth_err
kdc_ticket_decrypt(void *arg, const Ticket *t, const struct principal *server,
		   const char *server_name, struct arena *a, EncTicketPart *out,
		   uint32_t *kvno_out, int32_t *enctype_out, char *errbuf, size_t errcap)
{
	struct kdc_ctx *ctx = arg;
	const struct db_entry *e;
	struct crypto_key *key;
	uint32_t kvno = t->enc_part.kvno != NULL ? *t->enc_part.kvno : 0, found = 0;
	orth_err ret;

	(void)server;
	if (errbuf == NULL)
		errcap = 0;
	/* the worker's copy when it has one (kdc_entry_lookup) */
	ret = kdc_entry_lookup(ctx, server_name, &e);
	if (ret == ORTH_E_NOTFOUND) {
		snprintf(errbuf, errcap, "%s is not in the database", server_name);
		return ORTH_E_KRB(KRB_AP_ERR_NOKEY);
	}
	if (ret != ORTH_OK) {
		snprintf(errbuf, errcap, "database error on %s: %s", server_name,
			 orth_err_str(ret));
		return ORTH_E_KRB(KDC_ERR_SVC_UNAVAILABLE);
	}
	if (kdc_key_get(ctx, e, t->enc_part.etype, kvno, &key, NULL, &found) != ORTH_OK) {
		/* another key version of that enctype exists: the ticket's is gone */
		bool other_kvno = kvno != 0 &&
				  kdc_key_get(ctx, e, t->enc_part.etype, 0, &key, NULL, NULL) ==
					  ORTH_OK;
		snprintf(errbuf, errcap, "no key of %s for kvno %u enctype %d", server_name,
			 (unsigned)kvno, (int)t->enc_part.etype);
		return ORTH_E_KRB(other_kvno ? KRB_AP_ERR_BADKEYVER : KRB_AP_ERR_NOKEY);
	}
	memset(out, 0, sizeof(*out));
	if (proto_unseal(key, KU_TICKET, &t->enc_part, &asn1_EncTicketPart, a, out) != ORTH_OK) {
		snprintf(errbuf, errcap, "ticket for %s does not decrypt", server_name);
		return ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY);
	}
	*kvno_out = found;
	*enctype_out = t->enc_part.etype;
	return ORTH_OK;
}

struct db_entry *
kdc_entry_new(struct kdc_ctx *ctx)
{
	if (ctx->nent < KDC_ENTRY_SLOTS)
		return &ctx->ent[ctx->nent++];
	return arena_alloc(&ctx->a, sizeof(struct db_entry));
}

orth_err
kdc_key_keep(struct kdc_ctx *ctx, struct crypto_key *k, struct crypto_key **out)
{
	if (ctx->ntmp >= KDC_TMP_KEYS) {
		crypto_key_free(k);
		return ORTH_E_LIMIT;
	}
	ctx->tmp[ctx->ntmp++] = k;
	*out = k;
	return ORTH_OK;
}

orth_err
kdc_key_from_wire(struct kdc_ctx *ctx, const EncryptionKey *ek,
		  struct crypto_key **out)
{
	orth_err ret;
	struct crypto_key *k = NULL;

	if (!crypto_enctype_supported(ek->keytype))
		return ORTH_E_ENCTYPE;
	ret = crypto_key_new(ek->keytype, ek->keyvalue.data, ek->keyvalue.len, &k);
	if (ret != ORTH_OK)
		return ret;
	return kdc_key_keep(ctx, k, out);
}

orth_err
kdc_session_key_get(struct kdc_ctx *ctx, const EncryptionKey *ek, struct crypto_key **out)
{
	orth_err ret = ORTH_OK;
	struct kdc_key_slot *set, *victim = NULL;
	struct crypto_key *k = NULL;
	const uint8_t *kb;
	size_t klen = 0;
	uint64_t h;

	if (!crypto_enctype_supported(ek->keytype))
		return ORTH_E_ENCTYPE;
	if (ek->keyvalue.len != crypto_enctype_keylen(ek->keytype))
		return ORTH_E_KEYSIZE;
	h = siphash24(&ctx->sesskey_hash, ek->keyvalue.data, ek->keyvalue.len);
	set = &ctx->sesskey[(h % KDC_SESSKEY_SETS) * KDC_SESSKEY_WAYS];
	for (size_t i = 0; i < KDC_SESSKEY_WAYS; i++) {
		struct kdc_key_slot *s = &set[i];

		if (s->key != NULL && crypto_key_enctype(s->key) == ek->keytype) {
			kb = crypto_key_bytes(s->key, &klen);
			if (crypto_ct_equal(kb, ek->keyvalue.data, klen)) {
				s->used = ctx->serial;
				*out = s->key;
				goto cleanup;
			}
		}
		if (key_slot_evicts(ctx, s, victim))
			victim = s;
	}
	if (victim == NULL) {
		ret = kdc_key_from_wire(ctx, ek, out);
		goto cleanup;
	}
	TRY(crypto_key_new(ek->keytype, ek->keyvalue.data, ek->keyvalue.len, &k));
	crypto_key_free(victim->key);
	victim->key = k;
	victim->used = ctx->serial;
	*out = k;
cleanup:
	return ret;
}

orth_err
kdc_key_random(struct kdc_ctx *ctx, int32_t enctype, struct crypto_key **out)
{
	struct crypto_key *k = NULL;
	orth_err ret = crypto_key_random(enctype, &k);

	if (ret != ORTH_OK)
		return ret;
	return kdc_key_keep(ctx, k, out);
}

void
kdc_key_to_wire(const struct crypto_key *key, EncryptionKey *out)
{
	size_t len;

	out->keytype = crypto_key_enctype(key);
	out->keyvalue.data = (uint8_t *)crypto_key_bytes(key, &len);
	out->keyvalue.len = len;
}

/* ---- principals and etypes ---- */

orth_err
kdc_entry_get(struct kdc_ctx *ctx, const PrincipalName *pn, const char *realm,
	      const struct db_entry **out, char *name_out)
{
	orth_err ret;

	if (strcmp(realm, ctx->sh->realm->name) == 0 && kdc_is_tgs_name(pn, realm)) {
		memcpy(name_out, ctx->tgs_name, strlen(ctx->tgs_name) + 1);
		return kdc_entry_lookup(ctx, name_out, out);
	}
	name_out[0] = '\0';
	ret = pname_unparse(pn, realm, name_out, KDC_LOG_NAME);
	if (ret == ORTH_E_LIMIT || ret == ORTH_E_BADNAME)
		return ORTH_E_NOTFOUND;
	return ret != ORTH_OK ? ret : kdc_entry_lookup(ctx, name_out, out);
}

/* Of the entry cache's slots at generation gen: is s a better one to read
 * into than victim (NULL: none yet)?  An empty or stale slot, else the
 * least recently used.  Never one this request holds. */
static bool
entry_slot_evicts(const struct kdc_ctx *ctx, uint64_t gen, const struct kdc_entry_slot *s,
		  const struct kdc_entry_slot *victim)
{
	bool s_free = s->gen != gen, v_free;

	if (s->gen != 0 && s->used == ctx->serial)
		return false;
	if (victim == NULL)
		return true;
	v_free = victim->gen != gen;
	if (s_free != v_free)
		return s_free;
	return s->used < victim->used;
}

/* name read at generation gen from the worker's cache, or NULL; else
 * *victim_out is the slot to read it into (NULL: none in its set is
 * free, or no memory for a new one). */
static const struct db_entry *
entry_cache_find(struct kdc_ctx *ctx, const char *name, uint64_t gen,
		 struct kdc_entry_slot **victim_out)
{
	struct kdc_entry_slot **set, *victim = NULL;
	uint64_t h = siphash13(&ctx->ents_hash, name, strlen(name));

	*victim_out = NULL;
	set = &ctx->ents[(h % KDC_ENTRY_CACHE_SETS) * KDC_ENTRY_CACHE_WAYS];
	for (size_t i = 0; i < KDC_ENTRY_CACHE_WAYS; i++) {
		struct kdc_entry_slot *s = set[i];

		if (s == NULL) {
			s = calloc(1, sizeof(*s));
			if (s == NULL || arena_init(&s->mem, KDC_ENTRY_CACHE_BYTES) != ORTH_OK) {
				free(s);
				return NULL;
			}
			set[i] = s;
			s->hash = h;
			*victim_out = s;
			return NULL;
		}
		if (s->gen == gen && s->hash == h && strcmp(s->e.name, name) == 0) {
			s->used = ctx->serial;
			return &s->e;
		}
		if (entry_slot_evicts(ctx, gen, s, victim))
			victim = s;
	}
	/* the caller empties it (gen 0) before it reads name into it */
	if (victim != NULL)
		victim->hash = h;
	*victim_out = victim;
	return NULL;
}

orth_err
kdc_entry_lookup(struct kdc_ctx *ctx, const char *name, const struct db_entry **out)
{
	orth_err ret;
	uint64_t gen = db_last_txnid(ctx->sh->db), got = 0;
	struct kdc_entry_slot *s = NULL;
	struct db_entry *e;

	if (gen != 0) {
		*out = entry_cache_find(ctx, name, gen, &s);
		if (*out != NULL)
			return ORTH_OK;
	}
	if (s != NULL) {
		arena_reset(&s->mem);
		s->gen = 0;
		ret = db_reader_get_at(ctx->rd, name, &s->mem, &s->e, &got);
		if (ret == ORTH_OK) {
			s->gen = got;
			s->used = ctx->serial;
			*out = &s->e;
			return ORTH_OK;
		}
		if (ret == ORTH_E_NOTFOUND)
			return ret;
		/* too big for a slot, or an error: the request's own read
		 * below decides */
		arena_reset(&s->mem);
	}
	e = kdc_entry_new(ctx);
	if (e == NULL)
		return ORTH_E_LIMIT;
	ret = db_reader_get(ctx->rd, name, &ctx->a, e);
	if (ret != ORTH_OK && ret != ORTH_E_NOTFOUND)
		kdc_counter_inc(&ctx->metrics.db_errors);
	if (ret == ORTH_E_MALFORMED || ret == ORTH_E_TRUNCATED)
		ret = ORTH_E_INTERNAL;
	if (ret == ORTH_E_LIMIT || ret == ORTH_E_BADNAME)
		ret = ORTH_E_NOTFOUND;
	if (ret == ORTH_OK)
		*out = e;
	return ret;
}

bool
kdc_etype_ok(const struct kdc_ctx *ctx, int32_t etype)
{
	const struct kdc_config_realm *rl = ctx->sh->realm;

	if (!crypto_enctype_supported(etype))
		return false;
	for (size_t i = 0; i < rl->n_enctypes; i++)
		if (rl->supported_enctypes[i] == etype)
			return true;
	return false;
}

bool
kdc_entry_has_etype(const struct db_entry *e, int32_t etype)
{
	uint32_t kvno;

	return entry_key_info(e, etype, 0, &kvno) != NULL;
}

int32_t
kdc_etype_choose(const struct kdc_ctx *ctx, const struct db_entry *e,
		 const int32_t *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (kdc_etype_ok(ctx, list[i]) && kdc_entry_has_etype(e, list[i]))
			return list[i];
	return -1;
}

int32_t
kdc_etype_best(const struct kdc_ctx *ctx, const struct db_entry *e)
{
	const struct kdc_config_realm *rl = ctx->sh->realm;

	return kdc_etype_choose(ctx, e, rl->supported_enctypes, rl->n_enctypes);
}

/*
 * RFC 4120 §3.1.3 and §3.3.3: the session key must be usable by both the
 * client (its etype list, in its order of preference) and the server
 * (a key of that enctype in its current key set).  The ticket is opened
 * only by the server, so the client's list has no say in it: it is sealed
 * in the server's strongest key, as MIT's KDC does (an aes128-first client
 * gets an aes128 session key in an aes256 TGT).
 */
bool
kdc_etypes_pick(const struct kdc_ctx *ctx, const struct db_entry *server,
		const int32_t *list, size_t n, int32_t *session_out,
		int32_t *ticket_out)
{
	int32_t se = kdc_etype_choose(ctx, server, list, n);
	int32_t te = kdc_etype_best(ctx, server);

	if (se < 0 || te < 0)
		return false;
	*session_out = se;
	*ticket_out = te;
	return true;
}

void
kdc_limits_fill(const struct kdc_ctx *ctx, int64_t now,
		const struct db_entry *client, const struct db_entry *server,
		struct policy_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->now = now;
	lim->skew = ctx->skew;
	lim->realm_max_life = ctx->sh->realm->max_life;
	lim->realm_max_renew = ctx->sh->realm->max_renewable_life;
	if (client != NULL) {
		lim->client_max_life = client->max_life;
		lim->client_max_renew = client->max_renew;
		lim->client_attrs = client->attributes;
	}
	if (server != NULL) {
		lim->server_max_life = server->max_life;
		lim->server_max_renew = server->max_renew;
		lim->server_attrs = server->attributes;
	}
}

void
kdc_req_fill(const KDC_REQ_BODY *b, struct policy_req *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->options = b->kdc_options;
	if (b->from != NULL) {
		pr->has_from = true;
		pr->from = *b->from;
	}
	pr->till = b->till;
	if (b->rtime != NULL) {
		pr->has_rtime = true;
		pr->rtime = *b->rtime;
	}
}

/* The request's etypes ("18,17") then the chosen one ("->18") for the log
 * line, cut short rather than overflowing (each number needs at most 16
 * bytes, so a list that fits is whole). */
void
kdc_log_etypes(struct kdc_req *r, const KDC_REQ_BODY *b)
{
	struct writer w;

	writer_init(&w, r->etypes, sizeof(r->etypes) - 1);
	for (size_t i = 0; i < b->etype.len && w.len + 16 < sizeof(r->etypes); i++) {
		if (i != 0)
			writer_u8(&w, ',');
		writer_dec(&w, b->etype.val[i]);
	}
	r->etypes[w.len] = '\0';
}

void
kdc_log_chosen(struct kdc_req *r, int32_t etype)
{
	struct writer w;
	size_t off = strlen(r->etypes);

	if (off + 16 >= sizeof(r->etypes))
		return;
	writer_init(&w, r->etypes, sizeof(r->etypes) - 1);
	w.len = off;
	writer_put(&w, "->", 2);
	writer_dec(&w, etype);
	r->etypes[w.len] = '\0';
}

bool
kdc_is_tgs_name(const PrincipalName *pn, const char *realm)
{
	return pn->name_string.len == 2 &&
	       strcmp(pn->name_string.val[0], "krbtgt") == 0 &&
	       strcmp(pn->name_string.val[1], realm) == 0;
}

const char *
kdc_policy_why(orth_err e)
{
	switch (proto_err_to_krb(e)) {
	case KDC_ERR_BADOPTION: return "requested option not allowed";
	case KDC_ERR_CANNOT_POSTDATE: return "cannot postdate";
	case KDC_ERR_NEVER_VALID: return "requested end time before start time";
	case KRB_AP_ERR_TKT_NYV: return "ticket not yet valid";
	case KRB_AP_ERR_TKT_EXPIRED: return "ticket renewal period is over";
	default: return "refused by policy";
	}
}

/* ---- dispatch ---- */

static void
kdc_clock(const struct kdc_ctx *ctx, int64_t *sec_out, int32_t *usec_out)
{
	if (ctx->sh->clock != NULL)
		ctx->sh->clock(sec_out, usec_out);
	else
		proto_now(sec_out, usec_out);
}

static int64_t
mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The KRB-ERROR of RFC 4120 §5.9.1 for r into w (emptied first). */
static orth_err
error_write(struct kdc_ctx *ctx, struct kdc_req *r, int32_t code,
	    struct writer *w)
{
	struct proto_error e = {0};
	PrincipalName tgs;
	const char *realm = ctx->sh->realm->name;
	orth_err ret;

	w->len = 0;
	w->err = ORTH_OK;
	e.code = code;
	e.e_text = r->e_text;
	e.realm = realm;
	e.sname = r->sname;
	if (e.sname == NULL) {
		TRY(pname_build2(&ctx->a, KRB5_NT_SRV_INST, "krbtgt", realm, &tgs));
		e.sname = &tgs;
	}
	e.cname = r->cname;
	e.crealm = r->cname != NULL ? r->crealm : NULL;
	e.e_data = r->e_data;
	e.stime = r->now;
	e.susec = r->usec;
	if (r->fast != NULL) {
		/* RFC 6113 §5.4.3: through the tunnel (fast.h). */
		TRY(kdc_fast_error_wrap(ctx, r, r->e_padata, &e));
	} else if (r->e_padata != NULL) {
		struct der_bytes *ed = arena_alloc(&ctx->a, sizeof(*ed));
		CHECK(ed != NULL, ORTH_E_LIMIT);
		TRY(der_encode_arena(&asn1_METHOD_DATA, r->e_padata, &ctx->a, &ed->data,
				     &ed->len));
		e.e_data = ed;
	}
	TRY(proto_krb_error_encode(&e, &ctx->a, w));
	ret = writer_err(w);
cleanup:
	return ret;
}

void
kdc_request_info_local(struct kdc_request_info *info, enum kdc_transport t,
		       const char *peer)
{
	memset(info, 0, sizeof(*info));
	info->transport = t;
	info->transport_str = t == KDC_TRANSPORT_UDP ? "udp" : "tcp";
	info->max_reply = t == KDC_TRANSPORT_UDP ? KDC_NET_DEFAULT_UDP_MAX_REPLY
						 : KDC_NET_DEFAULT_TCP_MAX_REPLY;
	snprintf(info->peer_str, sizeof(info->peer_str), "%s", peer);
}

/* Process an AS-REQ or TGS-REQ (tag) into reply: the KDC-REP, or the
 * KRB-ERROR for a refusal, or nothing (ORTH_E_MALFORMED) for a request
 * that does not decode and came over UDP. */
static orth_err
request_process(struct kdc_ctx *ctx, struct kdc_req *r, int tag, bool udp,
		const uint8_t *req, size_t req_len, struct writer *reply,
		int32_t *code_out)
{
	orth_err ret;

	if (tag == KRB5_MSG_AS_REQ)
		ret = kdc_as(ctx, r, req, req_len, reply);
	else
		ret = kdc_tgs(ctx, r, req, req_len, reply);
	if (ret == ORTH_OK && writer_err(reply) != ORTH_OK)
		ret = writer_err(reply);
	if (ret == ORTH_OK)
		return ORTH_OK;
	if (r->undecodable && udp) {
		/* As MIT's KDC: a datagram that is not a request gets no
		 * answer, so that a spoofed source cannot be bombarded with
		 * errors bigger than the packets that provoke them. */
		reply->len = 0;
		return ORTH_E_MALFORMED;
	}
	*code_out = proto_err_to_krb(ret);
	if (r->e_text == NULL)
		r->e_text = orth_err_str(ret);
	if (error_write(ctx, r, *code_out, reply) != ORTH_OK)
		reply->len = 0;
	return ret;
}

/* The error code of a cached reply that is a KRB-ERROR, else 0. */
static int32_t
cached_error_code(struct kdc_ctx *ctx, const struct writer *reply)
{
	KRB_ERROR e;

	memset(&e, 0, sizeof(e));
	if (der_peek_application_tag(reply->buf, reply->len) != KRB5_MSG_ERROR ||
	    der_decode(&asn1_KRB_ERROR, reply->buf, reply->len, &ctx->a, &e) != ORTH_OK)
		return 0;
	return e.error_code;
}

/* The log's and the metrics' name of a result: ok, dropped, or the
 * error's name from krberr.h's table (buf for a code not in it). */
static const char *
result_name(bool kpasswd, int32_t code, char *buf, size_t cap)
{
	enum proto_err_space sp = kpasswd ? PROTO_ERR_KPASSWD : PROTO_ERR_KRB;
	const char *n;

	if (code == 0)
		return LOG_RESULT_OK;
	if (code < 0)
		return LOG_RESULT_DROPPED;
	n = proto_err_name(sp, code);
	if (n != NULL)
		return n;
	snprintf(buf, cap, "%s_%d", kpasswd ? "KRB5_KPASSWD" : "KRB_ERROR", (int)code);
	return buf;
}

orth_err
kdc_handle(struct kdc_ctx *ctx, const struct kdc_request_info *info,
	   const uint8_t *req, size_t req_len, struct writer *reply)
{
	struct kdc_req r;
	struct log_request lr = {0};
	int64_t t0 = mono_usec();
	orth_err ret = ORTH_OK;
	int32_t code = 0;
	int tag = -1;
	bool udp = info->transport == KDC_TRANSPORT_UDP;
	bool kpasswd = info->service == KDC_SERVICE_KPASSWD;
	char result_buf[32];
	uint64_t la_hash = 0;

	memset(&r, 0, sizeof(r));
	ctx->serial++;
	kdc_clock(ctx, &r.now, &r.usec);
	r.msg_type = "?";
	if (kpasswd) {
		ret = kdc_kpasswd(ctx, &r, info, req, req_len, reply, &code);
		if (reply->len > 0 && info->max_reply != 0 && reply->len > info->max_reply) {
			/* Our answers are small (kpasswd.h's text limit);
			 * a longer one is dropped rather than cut. */
			r.e_text = "kpasswd reply too big for the transport: dropped";
			reply->len = 0;
		}
		goto log;
	}
	if (info->too_long) {
		/* RFC 4120 §7.2.2: no request to take a name from, so the
		 * error names krbtgt (error_write with r.sname NULL). */
		r.e_text = "request length refused";
		code = KRB_ERR_FIELD_TOOLONG;
		ret = ORTH_E_KRB(code);
		if (error_write(ctx, &r, code, reply) != ORTH_OK)
			reply->len = 0;
		goto log;
	}
	tag = der_peek_application_tag(req, req_len);
	if (tag != KRB5_MSG_AS_REQ && tag != KRB5_MSG_TGS_REQ) {
		/* Not a KDC request: nothing to answer (RFC 4120 §7.2: only
		 * requests get replies), just log it. */
		r.e_text = "not an AS-REQ or TGS-REQ: dropped";
		ret = ORTH_E_MALFORMED;
		code = -1;
		goto log;
	}
	r.msg_type = tag == KRB5_MSG_AS_REQ ? "AS-REQ" : "TGS-REQ";
	/* One hash of the request for the lookup and the store. */
	if (ctx->sh->lookaside != NULL)
		la_hash = kdc_lookaside_hash(ctx->sh->lookaside, req, req_len);
	if (ctx->sh->lookaside != NULL &&
	    kdc_lookaside_get(ctx->sh->lookaside, la_hash, req, req_len, r.now, reply) ==
		    ORTH_OK) {
		/* RFC 4120 §7.2.1 retransmission, over either transport (MIT
		 * resends a TGS-REQ over TCP when the UDP reply is lost or
		 * too big): the reply sent the first time, not a second
		 * processing that would find the authenticator replayed. */
		r.e_text = "retransmission: cached reply";
		code = cached_error_code(ctx, reply);
		kdc_counter_inc(&ctx->metrics.reply_cache_hits);
	} else {
		ret = request_process(ctx, &r, tag, udp, req, req_len, reply, &code);
		if (r.undecodable && udp) {
			code = -1;
			goto log;
		}
		/* The whole reply, even one too big for this transport: the
		 * client's retry over TCP gets it.  Not the error for bytes
		 * that do not decode: over UDP they must stay unanswered. */
		if (ctx->sh->lookaside != NULL && !r.undecodable && reply->len > 0 &&
		    writer_err(reply) == ORTH_OK)
			(void)kdc_lookaside_put(ctx->sh->lookaside, la_hash, req, req_len, reply->buf,
						reply->len, r.now);
	}
	if (info->max_reply != 0 && reply->len > info->max_reply) {
		/* RFC 4120 §7.2.1: the client retries over TCP. */
		r.e_text = "response too big for UDP";
		code = KRB_ERR_RESPONSE_TOO_BIG;
		if (error_write(ctx, &r, code, reply) != ORTH_OK ||
		    reply->len > info->max_reply)
			reply->len = 0;
	}
log:
	/* The one record of the request: its log line and its counts. */
	lr.peer = info->peer_str;
	lr.transport = udp ? "udp" : "tcp";
	lr.msg_type = r.msg_type;
	lr.client = r.client[0] ? r.client : NULL;
	lr.service = r.service[0] ? r.service : NULL;
	lr.result = result_name(kpasswd, code, result_buf, sizeof(result_buf));
	lr.code = code;
	lr.reason = r.e_text;
	lr.etypes = r.etypes[0] ? r.etypes : NULL;
	lr.has_skew = r.has_skew;
	lr.skew = r.skew;
	lr.usec = (long)(mono_usec() - t0);
	log_request(&lr);
	kdc_metrics_count(&ctx->metrics, kdc_metrics_type_of(r.msg_type), info->transport,
			  kdc_metrics_result_of(code, kpasswd), (uint64_t)lr.usec);
	for (size_t i = 0; i < ctx->ntmp; i++)
		crypto_key_free(ctx->tmp[i]);
	ctx->ntmp = 0;
	ctx->nent = 0;
	arena_reset(&ctx->a);
	return ret;
}

orth_err
kdc_dispatch(void *vctx, const struct kdc_request_info *info,
	     const uint8_t *req, size_t req_len, struct writer *reply)
{
	orth_err ret = kdc_handle(vctx, info, req, req_len, reply);

	/* A refusal answered with a KRB-ERROR is logged already. */
	return reply->len > 0 ? ORTH_OK : ret;
}
