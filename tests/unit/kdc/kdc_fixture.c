/*
 * kdc_fixture.c - an in-process realm for the KDC's tests, fuzzers and
 * benchmarks.  See kdc_fixture.h.
 */
#include "kdc_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "kdc/account.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/encdata.h"
#include "proto/pname.h"
#include "proto/principal.h"

static int64_t fixture_now;

static void
fixture_clock(int64_t *sec_out, int32_t *usec_out)
{
	if (fixture_now == 0) {
		proto_now(sec_out, usec_out);
		return;
	}
	*sec_out = fixture_now;
	*usec_out = 0;
}

void
kdc_fixture_set_time(int64_t now)
{
	fixture_now = now;
}

orth_err
kdc_fixture_add(struct kdc_fixture *f, const char *name, const char *password,
		uint32_t attrs)
{
	orth_err ret = ORTH_OK;
	struct principal p;
	struct db_entry e;
	struct db_keyset ks;
	char text[DB_MAX_NAME + 1];

	arena_reset(&f->a);
	memset(&e, 0, sizeof(e));
	TRY(principal_parse(name, f->realm.name, &f->a, &p));
	TRY(principal_unparse(&p, text, sizeof(text), NULL));
	TRY(account_keyset_make(f->db, &p, password, password ? strlen(password) : 0,
				f->realm.supported_enctypes, f->realm.n_enctypes, 1, &f->a, &ks));
	e.name = text;
	e.attributes = attrs;
	e.mod_by = "";
	e.policy = "";
	e.mod_time = (int64_t)time(NULL);
	TRY(db_entry_add_keyset(&e, &ks, 0));
	TRY(db_principal_put(f->db, &e, DB_PUT_NEW));
cleanup:
	return ret;
}

orth_err
kdc_fixture_set_password(struct kdc_fixture *f, const char *name, const char *password,
			 const int32_t *ets, size_t n, unsigned keep_old)
{
	orth_err ret = ORTH_OK;
	struct principal p;
	struct db_entry e;
	struct db_keyset ks;
	char text[DB_MAX_NAME + 1];

	arena_reset(&f->a);
	TRY(principal_parse(name, f->realm.name, &f->a, &p));
	TRY(principal_unparse(&p, text, sizeof(text), NULL));
	TRY(db_principal_get(f->db, text, &f->a, &e));
	TRY(account_keyset_make(f->db, &p, password, password ? strlen(password) : 0, ets, n,
				e.nkeysets > 0 ? e.keysets[0].kvno + 1 : 1, &f->a, &ks));
	TRY(db_entry_add_keyset(&e, &ks, keep_old));
	TRY(db_principal_put(f->db, &e, DB_PUT_REPLACE));
cleanup:
	return ret;
}

size_t
kdc_fixture_send(struct kdc_fixture *f, const struct kdc_request_info *info,
		 const uint8_t *req, size_t len, uint8_t *rep, size_t cap)
{
	struct kdc_request_info tcp;
	struct writer w;

	if (info == NULL) {
		kdc_request_info_local(&tcp, KDC_TRANSPORT_TCP, "test");
		info = &tcp;
	}
	writer_init(&w, rep, cap);
	(void)kdc_handle(f->ctx, info, req, len, &w);
	return writer_err(&w) == ORTH_OK ? w.len : 0;
}

void
kdc_fixture_seed_write(const char *dir, const char *name, const uint8_t *req, size_t len)
{
	char path[1024];
	FILE *fp;

	if (dir == NULL || name == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(req, 1, len, fp) != len) {
		perror(path);
		exit(1);
	}
	fclose(fp);
}

int
kdc_fixture_reply_code(struct arena *a, const uint8_t *rep, size_t n,
		       struct der_bytes **ed_out)
{
	KRB_ERROR e;
	int tag = der_peek_application_tag(rep, n);

	if (tag == KRB5_MSG_AS_REP || tag == KRB5_MSG_TGS_REP)
		return 0;
	memset(&e, 0, sizeof(e));
	if (tag != KRB5_MSG_ERROR || der_decode(&asn1_KRB_ERROR, rep, n, a, &e) != ORTH_OK)
		return -1;
	if (ed_out != NULL)
		*ed_out = e.e_data;
	return (int)e.error_code;
}

orth_err
kdc_fixture_delete(struct kdc_fixture *f, const char *name)
{
	orth_err ret = ORTH_OK;
	struct principal p;
	char text[DB_MAX_NAME + 1];

	arena_reset(&f->a);
	TRY(principal_parse(name, f->realm.name, &f->a, &p));
	TRY(principal_unparse(&p, text, sizeof(text), NULL));
	TRY(db_principal_delete(f->db, text));
cleanup:
	return ret;
}

int
kdc_fixture_exchange(struct kdc_fixture *f, struct arena *a, const uint8_t *req, size_t len,
		     struct crypto_key *key, uint8_t *rep, size_t cap, struct kdc_fixture_cred *cred,
		     size_t *n_out)
{
	size_t n = kdc_fixture_send(f, NULL, req, len, rep, cap);
	int code = kdc_fixture_reply_code(a, rep, n, NULL);

	if (n_out != NULL)
		*n_out = n;
	if (code == 0 && kdc_fixture_rep_open(a, rep, n, key, cred) != ORTH_OK)
		code = -3;
	return code;
}

orth_err
kdc_fixture_deleg_set(struct kdc_fixture *f, const char *name, const char *target)
{
	orth_err ret = ORTH_OK;
	struct principal p;
	struct db_entry e;
	char text[DB_MAX_NAME + 1], *t = NULL;

	arena_reset(&f->a);
	TRY(principal_parse(target, f->realm.name, &f->a, &p));
	TRY(principal_unparse(&p, text, sizeof(text), NULL));
	t = arena_strndup(&f->a, text, strlen(text));
	CHECK(t != NULL, ORTH_E_LIMIT);
	TRY(principal_parse(name, f->realm.name, &f->a, &p));
	TRY(principal_unparse(&p, text, sizeof(text), NULL));
	TRY(db_principal_get(f->db, text, &f->a, &e));
	e.ndeleg = 1;
	e.deleg[0] = t;
	TRY(db_principal_put(f->db, &e, DB_PUT_REPLACE));
cleanup:
	return ret;
}

orth_err
kdc_fixture_open(struct kdc_fixture *f, const char *realm, int64_t fixed_now)
{
	orth_err ret = ORTH_OK;
	static const int32_t ets[] = {18, 17, 20, 19};
	struct db_options o = {0};
	char err[256] = "", tgs[DB_MAX_NAME + 1], pw[DB_MAX_NAME + 16];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/orthkdcfix.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		f->dir[0] = '\0';
		return ORTH_E_IO;
	}
	snprintf(f->db_path, sizeof(f->db_path), "%s/principal.mdb", f->dir);
	snprintf(f->stash_path, sizeof(f->stash_path), "%s/stash", f->dir);
	TRY(crypto_init());
	TRY(arena_init(&f->a, 1u << 16));
	f->realm.name = realm;
	f->realm.database_name = f->db_path;
	f->realm.key_stash_file = f->stash_path;
	f->realm.master_key_type = 18;
	f->realm.max_life = 10 * 3600;
	f->realm.max_renewable_life = 7 * 86400;
	memcpy(f->realm.supported_enctypes, ets, sizeof(ets));
	f->realm.n_enctypes = sizeof(ets) / sizeof(ets[0]);
	o.path = f->db_path;
	o.stash_path = f->stash_path;
	o.realm = realm;
	o.map_size = 1u << 24;
	o.readwrite = true;
	ret = db_create(&o, 18, NULL, false, &f->db, err, sizeof(err));
	if (ret != ORTH_OK) {
		fprintf(stderr, "kdc_fixture: %s\n", err);
		goto cleanup;
	}
	snprintf(tgs, sizeof(tgs), "krbtgt/%s", realm);
	snprintf(pw, sizeof(pw), "krbtgt-%s", realm);
	TRY(kdc_fixture_add(f, tgs, pw, 0));
	kdc_fixture_set_time(fixed_now);
	f->sh.realm = &f->realm;
	f->sh.db = f->db;
	f->sh.skew = 300;
	f->sh.clock = fixture_clock;
	TRY(kdc_replay_new(0, f->sh.skew, &f->sh.replay));
	TRY(kdc_ctx_new(&f->sh, &f->ctx));
cleanup:
	if (ret != ORTH_OK)
		kdc_fixture_close(f);
	return ret;
}

/* A principal of a seeds' realm. */
struct fixture_princ {
	const char *name, *password;
	uint32_t attrs;
};

/* kdc_fixture_open() of TEST.REALM at KDC_FIXTURE_SEED_TIME with p[0..n). */
static orth_err
fixture_open_seeds(struct kdc_fixture *f, const struct fixture_princ *p, size_t n)
{
	orth_err ret = kdc_fixture_open(f, "TEST.REALM", KDC_FIXTURE_SEED_TIME);

	if (ret != ORTH_OK)
		return ret;  /* nothing left to remove */
	for (size_t i = 0; i < n; i++)
		TRY(kdc_fixture_add(f, p[i].name, p[i].password, p[i].attrs));
cleanup:
	if (ret != ORTH_OK)
		kdc_fixture_close(f);
	return ret;
}

orth_err
kdc_fixture_open_dispatch(struct kdc_fixture *f)
{
	static const struct fixture_princ princs[] = {
		{"user", "userpw", DB_ATTR_REQUIRES_PREAUTH},
		{"host/svc.test", "svc-fuzz-key", 0},
		{"alice", "alicepw", DB_ATTR_DISALLOW_FORWARDABLE},
		{"u2u", "u2upw", DB_ATTR_DISALLOW_SVR},
		{"fastuser", "fastpw", DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_REQUIRES_FAST},
		/* S4U2Self/S4U2Proxy, as in test_kdc_s4u.c */
		{"svc/a.test", "svcpw", DB_ATTR_OK_TO_AUTH_AS_DELEGATE},
		{"svc/plain.test", "svc2pw", 0},
		{"host/b.test", NULL, 0},
	};
	orth_err ret;

	TRY(fixture_open_seeds(f, princs, sizeof(princs) / sizeof(princs[0])));
	ret = kdc_fixture_deleg_set(f, "svc/a.test", "host/b.test");
	if (ret != ORTH_OK)
		kdc_fixture_close(f);
cleanup:
	return ret;
}

orth_err
kdc_fixture_open_kpasswd(struct kdc_fixture *f)
{
	static const struct fixture_princ princs[] = {
		{"alice", "alice-pw", DB_ATTR_REQUIRES_PREAUTH},
		{"bob", "bob-pw", 0},
		{"carol", "carol-pw", 0},
		{"dave", "dave-pw", 0},
		{"dave/admin", "dave-admin-pw", 0},
		{"admin", "admin-pw", 0},
		{"erin", "erin-pw", 0},
		{"frank", "frank-pw", DB_ATTR_REQUIRES_PREAUTH},
		{"gina", "gina-pw", 0},
		/* as `orthrus admin init` makes it; a fixed key for the seeds */
		{"kadmin/changepw", "changepw-fuzz-key",
		 DB_ATTR_DISALLOW_TGT_BASED | DB_ATTR_PWCHANGE_SERVICE | DB_ATTR_LOCKDOWN_KEYS},
	};

	return fixture_open_seeds(f, princs, sizeof(princs) / sizeof(princs[0]));
}

void
kdc_fixture_close(struct kdc_fixture *f)
{
	kdc_ctx_free(f->ctx);
	f->ctx = NULL;
	kdc_replay_free(f->sh.replay);
	f->sh.replay = NULL;
	kdc_lookaside_free(f->sh.lookaside);
	f->sh.lookaside = NULL;
	db_close(f->db);
	f->db = NULL;
	arena_free(&f->a);
	if (f->dir[0] != '\0') {
		db_remove_files(f->db_path);
		unlink(f->stash_path);
		rmdir(f->dir);
	}
	f->dir[0] = '\0';
}

int64_t
kdc_fixture_now(void)
{
	int64_t s;
	int32_t us;

	fixture_clock(&s, &us);
	return s;
}

static const int32_t all_etypes[] = {18, 17, 20, 19};
static const int32_t *list_etypes = all_etypes;
static size_t list_n = sizeof(all_etypes) / sizeof(all_etypes[0]);
static uint32_t fixture_counter;

void
kdc_fixture_set_etypes(const int32_t *list, size_t n)
{
	if (list == NULL || n == 0) {
		list_etypes = all_etypes;
		list_n = sizeof(all_etypes) / sizeof(all_etypes[0]);
		return;
	}
	list_etypes = list;
	list_n = n;
}

/* name parsed in f's realm as a PrincipalName in a. */
static orth_err
name_get(struct kdc_fixture *f, struct arena *a, const char *name, PrincipalName *out)
{
	orth_err ret;
	struct principal p;

	TRY(principal_parse(name, f->realm.name, a, &p));
	TRY(pname_from_principal(&p, a, out));
cleanup:
	return ret;
}

static void
body_etypes(KDC_REQ_BODY *b, int32_t *one, int32_t etype)
{
	if (etype == 0) {
		b->etype.val = (int32_t *)list_etypes;
		b->etype.len = list_n;
	} else {
		*one = etype;
		b->etype.val = one;
		b->etype.len = 1;
	}
}

orth_err
kdc_fixture_client_key(struct kdc_fixture *f, struct arena *a, const char *client,
		       const char *password, int32_t etype, struct crypto_key **out)
{
	orth_err ret;
	struct principal p;
	uint8_t *salt;
	size_t salt_len;

	TRY(principal_parse(client, f->realm.name, a, &p));
	TRY(principal_salt(&p, a, &salt, &salt_len));
	TRY(crypto_string_to_key(etype, password, strlen(password), salt, salt_len, NULL, 0,
				 out));
cleanup:
	return ret;
}

orth_err
kdc_fixture_as_req(struct kdc_fixture *f, struct arena *a, const char *client,
		   const char *service, uint32_t options, int32_t etype, int64_t till,
		   struct crypto_key *ckey, uint8_t **out, size_t *len_out)
{
	orth_err ret;
	AS_REQ q;
	KDC_REQ_BODY *b = &q.req_body;
	PrincipalName *cn, *sn;
	int32_t *one, usec = 0;
	int64_t now;
	PA_DATA pa;
	METHOD_DATA md;
	PA_ENC_TS_ENC ts;
	PA_ENC_TIMESTAMP ed;

	memset(&q, 0, sizeof(q));
	cn = arena_alloc(a, sizeof(*cn));
	sn = arena_alloc(a, sizeof(*sn));
	one = arena_alloc(a, sizeof(*one));
	CHECK(cn != NULL && sn != NULL && one != NULL, ORTH_E_LIMIT);
	TRY(name_get(f, a, client, cn));
	TRY(name_get(f, a, service, sn));
	fixture_clock(&now, &usec);
	q.pvno = KRB5_PVNO;
	q.msg_type = KRB5_MSG_AS_REQ;
	b->kdc_options = options;
	b->cname = cn;
	b->realm = (char *)f->realm.name;
	b->sname = sn;
	b->till = till > 0 ? now + till : 0;
	b->nonce = ++fixture_counter;
	body_etypes(b, one, etype);
	if (ckey != NULL) {
		memset(&ts, 0, sizeof(ts));
		memset(&ed, 0, sizeof(ed));
		ts.patimestamp = now;
		TRY(proto_seal(ckey, KU_AS_REQ_PA_ENC_TS, &asn1_PA_ENC_TS_ENC, &ts, a, &ed));
		pa.padata_type = KRB5_PADATA_ENC_TIMESTAMP;
		TRY(der_encode_arena(&asn1_PA_ENC_TIMESTAMP, &ed, a, &pa.padata_value.data,
				     &pa.padata_value.len));
		md.len = 1;
		md.val = &pa;
		q.padata = &md;
	}
	TRY(der_encode_arena(&asn1_AS_REQ, &q, a, out, len_out));
cleanup:
	return ret;
}

orth_err
kdc_fixture_tgs_req(struct kdc_fixture *f, struct arena *a,
		    const struct kdc_fixture_cred *tgt, const char *service,
		    uint32_t options, int32_t etype, const Ticket *second, uint8_t **out,
		    size_t *len_out)
{
	return kdc_fixture_tgs_req_authz(f, a, tgt, service, options, etype, second, NULL, out,
					 len_out);
}

static kdc_fixture_padata_fn tgs_padata_fn;
static void *tgs_padata_arg;

void
kdc_fixture_set_tgs_padata(kdc_fixture_padata_fn fn, void *arg)
{
	tgs_padata_fn = fn;
	tgs_padata_arg = arg;
}

static orth_err
tgs_req_make(struct kdc_fixture *f, struct arena *a, const struct kdc_fixture_cred *tgt,
	     const char *service, uint32_t options, int32_t etype, const Ticket *second,
	     const AuthorizationData *authz, const struct crypto_key *subkey, uint8_t **out,
	     size_t *len_out)
{
	orth_err ret;
	TGS_REQ q;
	KDC_REQ_BODY *b = &q.req_body;
	PrincipalName *sn;
	int32_t *one, usec = 0, ckt;
	int64_t now;
	uint8_t *body, ck[CRYPTO_MAX_CKSUM_LEN];
	size_t body_len, ck_len;
	AP_REQ ap;
	Authenticator au;
	Checksum cks;
	PA_DATA *pa;
	METHOD_DATA md, extra = {0};
	struct KDC_REQ_BODY_additional_tickets tk;
	EncryptedData *ead;

	memset(&q, 0, sizeof(q));
	memset(&ap, 0, sizeof(ap));
	memset(&au, 0, sizeof(au));
	sn = arena_alloc(a, sizeof(*sn));
	one = arena_alloc(a, sizeof(*one));
	ead = arena_alloc(a, sizeof(*ead));
	CHECK(sn != NULL && one != NULL && ead != NULL, ORTH_E_LIMIT);
	TRY(name_get(f, a, service, sn));
	fixture_clock(&now, &usec);
	q.pvno = KRB5_PVNO;
	q.msg_type = KRB5_MSG_TGS_REQ;
	b->kdc_options = options;
	b->realm = (char *)f->realm.name;
	b->sname = sn;
	b->till = 0;
	b->nonce = ++fixture_counter;
	body_etypes(b, one, etype);
	if (second != NULL) {
		tk.len = 1;
		tk.val = (Ticket *)second;
		b->additional_tickets = &tk;
	}
	if (authz != NULL) {
		memset(ead, 0, sizeof(*ead));
		TRY(proto_seal(tgt->key, KU_TGS_REQ_AD_SESSKEY, &asn1_AuthorizationData, authz, a,
			       ead));
		b->enc_authorization_data = ead;
	}
	TRY(der_encode_arena(&asn1_KDC_REQ_BODY, b, a, &body, &body_len));
	TRY(crypto_checksum_make(tgt->key, KU_TGS_REQ_AUTH_CKSUM, body, body_len, &ckt, ck,
				 &ck_len));
	cks.cksumtype = ckt;
	cks.checksum.data = ck;
	cks.checksum.len = ck_len;
	au.authenticator_vno = KRB5_PVNO;
	au.crealm = tgt->crealm;
	au.cname = tgt->cname;
	au.cksum = &cks;
	au.ctime = now;
	au.cusec = (int32_t)(++fixture_counter % 1000000);
	if (subkey != NULL) {
		EncryptionKey *sk = arena_alloc(a, sizeof(*sk));
		size_t sk_len;

		CHECK(sk != NULL, ORTH_E_LIMIT);
		sk->keytype = crypto_key_enctype(subkey);
		sk->keyvalue.data = (uint8_t *)crypto_key_bytes(subkey, &sk_len);
		sk->keyvalue.len = sk_len;
		au.subkey = sk;
	}
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	ap.ticket = tgt->ticket;
	TRY(proto_seal(tgt->key, KU_TGS_REQ_AUTH, &asn1_Authenticator, &au, a, &ap.authenticator));
	if (tgs_padata_fn != NULL)
		TRY(tgs_padata_fn(tgs_padata_arg, a, b, tgt, &extra));
	pa = arena_alloc(a, (1 + extra.len) * sizeof(*pa));
	CHECK(pa != NULL, ORTH_E_LIMIT);
	pa[0].padata_type = KRB5_PADATA_TGS_REQ;
	TRY(der_encode_arena(&asn1_AP_REQ, &ap, a, &pa[0].padata_value.data,
			     &pa[0].padata_value.len));
	if (extra.len > 0)
		memcpy(pa + 1, extra.val, extra.len * sizeof(*pa));
	md.len = 1 + extra.len;
	md.val = pa;
	q.padata = &md;
	TRY(der_encode_arena(&asn1_TGS_REQ, &q, a, out, len_out));
cleanup:
	return ret;
}

orth_err
kdc_fixture_tgs_req_authz(struct kdc_fixture *f, struct arena *a,
			  const struct kdc_fixture_cred *tgt, const char *service,
			  uint32_t options, int32_t etype, const Ticket *second,
			  const AuthorizationData *authz, uint8_t **out, size_t *len_out)
{
	return tgs_req_make(f, a, tgt, service, options, etype, second, authz, NULL, out,
			    len_out);
}

orth_err
kdc_fixture_tgs_req_subkey(struct kdc_fixture *f, struct arena *a,
			   const struct kdc_fixture_cred *tgt, const char *service,
			   uint32_t options, int32_t etype, const struct crypto_key *subkey,
			   uint8_t **out, size_t *len_out)
{
	return tgs_req_make(f, a, tgt, service, options, etype, NULL, NULL, subkey, out,
			    len_out);
}

static orth_err
rep_open(struct arena *a, const uint8_t *rep, size_t len, struct crypto_key *key,
	 int32_t tgs_usage, struct kdc_fixture_cred *out)
{
	orth_err ret;
	int tag = der_peek_application_tag(rep, len);
	AS_REP r;                     /* TGS-REP has the same shape */
	EncKDCRepPart ep;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	memset(&ep, 0, sizeof(ep));
	if (tag == KRB5_MSG_ERROR) {
		KRB_ERROR e;
		memset(&e, 0, sizeof(e));
		TRY(der_decode(&asn1_KRB_ERROR, rep, len, a, &e));
		return ORTH_E_KRB(e.error_code);
	}
	if (tag == KRB5_MSG_AS_REP) {
		TRY(der_decode(&asn1_AS_REP, rep, len, a, &r));
		TRY(proto_unseal(key, KU_AS_REP_ENC_PART, &r.enc_part, &asn1_EncASRepPart, a, &ep));
	} else if (tag == KRB5_MSG_TGS_REP) {
		TRY(der_decode(&asn1_TGS_REP, rep, len, a, &r));
		TRY(proto_unseal(key, tgs_usage, &r.enc_part, &asn1_EncTGSRepPart, a, &ep));
	} else {
		return ORTH_E_MALFORMED;
	}
	TRY(crypto_key_new(ep.key.keytype, ep.key.keyvalue.data, ep.key.keyvalue.len, &out->key));
	out->ticket = r.ticket;
	out->cname = r.cname;
	out->crealm = r.crealm;
	out->flags = ep.flags;
	out->starttime = ep.starttime != NULL ? *ep.starttime : ep.authtime;
	out->endtime = ep.endtime;
	out->renew_till = ep.renew_till != NULL ? *ep.renew_till : 0;
cleanup:
	return ret;
}

orth_err
kdc_fixture_rep_open(struct arena *a, const uint8_t *rep, size_t len, struct crypto_key *key,
		     struct kdc_fixture_cred *out)
{
	return rep_open(a, rep, len, key, KU_TGS_REP_ENC_PART_SESSKEY, out);
}

orth_err
kdc_fixture_rep_open_subkey(struct arena *a, const uint8_t *rep, size_t len,
			    struct crypto_key *subkey, struct kdc_fixture_cred *out)
{
	return rep_open(a, rep, len, subkey, KU_TGS_REP_ENC_PART_SUBKEY, out);
}

/* name parsed in f's realm, unparsed into buf (DB_MAX_NAME + 1 bytes). */
static orth_err
db_name(struct kdc_fixture *f, struct arena *a, const char *name, char *buf)
{
	orth_err ret;
	struct principal p;

	TRY(principal_parse(name, f->realm.name, a, &p));
	TRY(principal_unparse(&p, buf, DB_MAX_NAME + 1, NULL));
cleanup:
	return ret;
}

orth_err
kdc_fixture_ticket_make(struct kdc_fixture *f, struct arena *a,
			const struct kdc_fixture_ticket_spec *spec,
			struct kdc_fixture_cred *out)
{
	orth_err ret;
	char text[DB_MAX_NAME + 1];
	struct db_entry e;
	struct crypto_key *skey = NULL, *session = NULL;
	EncTicketPart et;
	Ticket *t = &out->ticket;
	PrincipalName *sn;
	uint32_t kvno = 0, *kv;
	int64_t *st, *rt;
	size_t klen;

	memset(out, 0, sizeof(*out));
	memset(&et, 0, sizeof(et));
	sn = arena_alloc(a, sizeof(*sn));
	kv = arena_alloc(a, sizeof(*kv));
	st = arena_alloc(a, sizeof(*st));
	rt = arena_alloc(a, sizeof(*rt));
	CHECK(sn != NULL && kv != NULL && st != NULL && rt != NULL, ORTH_E_LIMIT);
	TRY(db_name(f, a, spec->server, text));
	TRY(db_principal_get(f->db, text, a, &e));
	TRY(db_entry_key(f->db, &e, ENCTYPE_AES256_CTS_HMAC_SHA1_96, 0, &skey, NULL, &kvno));
	TRY(crypto_key_random(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &session));
	TRY(name_get(f, a, spec->client, &out->cname));
	TRY(name_get(f, a, spec->server, sn));
	out->crealm = (char *)f->realm.name;
	et.flags = spec->flags;
	et.key.keytype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	et.key.keyvalue.data = (uint8_t *)crypto_key_bytes(session, &klen);
	et.key.keyvalue.len = klen;
	et.crealm = out->crealm;
	et.cname = out->cname;
	et.transited.tr_type = KRB5_TR_DOMAIN_X500_COMPRESS;
	et.authtime = spec->authtime;
	if (spec->starttime != 0) {
		*st = spec->starttime;
		et.starttime = st;
	}
	et.endtime = spec->endtime;
	if (spec->renew_till != 0) {
		*rt = spec->renew_till;
		et.renew_till = rt;
	}
	et.authorization_data = (AuthorizationData *)spec->authz;
	t->tkt_vno = KRB5_PVNO;
	t->realm = (char *)f->realm.name;
	t->sname = *sn;
	TRY(proto_seal(skey, KU_TICKET, &asn1_EncTicketPart, &et, a, &t->enc_part));
	*kv = kvno;
	t->enc_part.kvno = kv;
	out->flags = spec->flags;
	out->starttime = spec->starttime != 0 ? spec->starttime : spec->authtime;
	out->endtime = spec->endtime;
	out->renew_till = spec->renew_till;
	out->key = session;
	session = NULL;
cleanup:
	crypto_key_free(skey);
	crypto_key_free(session);
	return ret;
}

orth_err
kdc_fixture_ticket_open(struct kdc_fixture *f, struct arena *a, const Ticket *t,
			EncTicketPart *out)
{
	orth_err ret;
	char text[DB_MAX_NAME + 1];
	struct db_entry e;
	struct crypto_key *key = NULL;

	memset(out, 0, sizeof(*out));
	TRY(pname_unparse(&t->sname, t->realm, text, sizeof(text)));
	TRY(db_principal_get(f->db, text, a, &e));
	TRY(db_entry_key(f->db, &e, t->enc_part.etype, t->enc_part.kvno ? *t->enc_part.kvno : 0,
			 &key, NULL, NULL));
	TRY(proto_unseal(key, KU_TICKET, &t->enc_part, &asn1_EncTicketPart, a, out));
cleanup:
	crypto_key_free(key);
	return ret;
}

orth_err
kdc_fixture_corrupt(struct kdc_fixture *f, const char *name)
{
	orth_err ret;
	char text[DB_MAX_NAME + 1];
	struct db_entry e;
	static uint8_t rec[DB_MAX_RECORD];
	uint8_t *file = NULL;
	size_t rec_len = 0, file_len = 0, hits = 0;
	long end;
	FILE *fp = NULL;
	struct db_txn *t = NULL;

	arena_reset(&f->a);
	TRY(db_name(f, &f->a, name, text));
	TRY(db_principal_get(f->db, text, &f->a, &e));
	TRY(db_entry_encode(&e, rec, sizeof(rec), &rec_len));
	fp = fopen(f->db_path, "r+b");
	CHECK(fp != NULL, ORTH_E_IO);
	CHECK(fseek(fp, 0, SEEK_END) == 0 && (end = ftell(fp)) > 0, ORTH_E_IO);
	file = malloc((size_t)end);
	CHECK(file != NULL, ORTH_E_NOMEM);
	rewind(fp);
	file_len = fread(file, 1, (size_t)end, fp);
	CHECK(file_len == (size_t)end && rec_len > 0, ORTH_E_IO);
	/* LMDB copies pages on write: stale copies may remain; damage all.
	 * The KDC's reader maps the same file and sees the change. */
	for (size_t i = 0; i + rec_len <= file_len; i++) {
		if (memcmp(file + i, rec, rec_len) != 0)
			continue;
		file[i] = 0xff;
		CHECK(fseek(fp, (long)i, SEEK_SET) == 0 && fputc(0xff, fp) != EOF, ORTH_E_IO);
		hits++;
	}
	CHECK(fflush(fp) == 0, ORTH_E_IO);
	CHECK(hits > 0, ORTH_E_NOTFOUND);
	/* The damage is done behind LMDB's back, without a commit: a KDC
	 * worker's entry cache (kdc_int.h) keeps using its copy until the
	 * database's next commit.  One here, beside the records (a replica's
	 * meta key), makes every cached copy stale as any real change does. */
	TRY(db_txn_begin(f->db, &t));
	TRY(db_txn_meta_put(t, DB_META_SYNC_PREFIX "test-corrupt", &hits, sizeof(hits)));
	ret = db_txn_commit(t);
	t = NULL;
cleanup:
	db_txn_abort(t);
	if (fp != NULL)
		fclose(fp);
	free(file);
	return ret;
}
