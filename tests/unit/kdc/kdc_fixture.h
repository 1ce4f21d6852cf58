/*
 * kdc_fixture.h - an in-process realm for tests, fuzzers and benchmarks of
 * the KDC's request path: a database in a temporary directory, principals
 * with keys from known passwords, one worker context, and an optionally
 * fixed clock.  No network, no config file.
 *
 *     kdc_fixture_open(&f, "TEST.REALM", fixed_now)
 *     kdc_fixture_add(&f, "user", "userpw", DB_ATTR_REQUIRES_PREAUTH)
 *     kdc_handle(f.ctx, "fuzz", false, req, len, &w)
 *     kdc_fixture_close(&f)
 *
 * Not thread-safe (the fixed clock is one static variable).
 */
#ifndef ORTHRUS_TESTS_KDC_FIXTURE_H
#define ORTHRUS_TESTS_KDC_FIXTURE_H

#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "db/db.h"
#include "crypto/crypto.h"
#include "kdc/kdc.h"
#include "kdc/kdc_config.h"

struct kdc_fixture {
	char dir[64];                 /* the temporary directory */
	char db_path[128], stash_path[128];
	struct kdc_config_realm realm;
	struct db *db;
	struct kdc_shared sh;
	struct kdc_ctx *ctx;
	struct arena a;               /* names and sealed keys while adding */
};

/*
 * Create the realm (krbtgt/REALM@REALM with keys from the password
 * "krbtgt-" REALM, so tickets it issues decrypt in a later run too) in a
 * new temporary directory.  fixed_now: the KDC's clock in Unix seconds
 * (0: the real clock).  The realm allows 18, 17, 20, 19; max life 10 h,
 * max renewable life 7 d.  On error everything is removed again.
 */
orth_err kdc_fixture_open(struct kdc_fixture *f, const char *realm, int64_t fixed_now);

/* 2026-11-25T22:26:49Z: the clock of the kdc_dispatch and kpasswd seeds
 * (the KRB-ERROR stime of the captures they began with). */
#define KDC_FIXTURE_SEED_TIME 1795645609

/*
 * kdc_fixture_open() of TEST.REALM at KDC_FIXTURE_SEED_TIME with the
 * principals the requests of fuzz/corpus/kdc_dispatch are made for (the
 * tests that write those seeds and the fuzzer that replays them share
 * this one realm), name (password):
 *   user (userpw) requires-preauth; host/svc.test (svc-fuzz-key);
 *   alice (alicepw) disallow-forwardable; u2u (u2upw) disallow-svr;
 *   fastuser (fastpw) requires-preauth and requires-fast;
 *   svc/a.test (svcpw) ok-to-auth-as-delegate, may delegate to
 *   host/b.test (random keys); svc/plain.test (svc2pw).
 */
orth_err kdc_fixture_open_dispatch(struct kdc_fixture *f);

/*
 * Likewise for the requests of fuzz/corpus/kpasswd, name (password):
 *   alice (alice-pw) and frank (frank-pw) requires-preauth; bob, carol,
 *   dave, dave/admin, admin, erin, gina (each name + "-pw");
 *   kadmin/changepw (changepw-fuzz-key) as `orthrus admin init` makes it:
 *   disallow-tgt-based, pwchange-service, lockdown-keys.
 */
orth_err kdc_fixture_open_kpasswd(struct kdc_fixture *f);

/*
 * Add principal name (parsed in the fixture's realm) with keys of the four
 * enctypes from password (default salt), or random keys when password is
 * NULL; attrs: DB_ATTR_*.  ORTH_E_EXISTS, parse and db errors.
 */
orth_err kdc_fixture_add(struct kdc_fixture *f, const char *name, const char *password,
			 uint32_t attrs);

/*
 * Give principal name a new key set, kvno one above its newest, of the
 * enctypes ets[0..n) from password (default salt; NULL: random keys),
 * keeping at most keep_old older key sets: what `orthrus admin
 * set-password --enctypes LIST` does.  ORTH_E_NOTFOUND, db errors.
 */
orth_err kdc_fixture_set_password(struct kdc_fixture *f, const char *name,
				  const char *password, const int32_t *ets, size_t n,
				  unsigned keep_old);

/*
 * Hand req to kdc_handle() as if it came over info's transport (NULL: TCP
 * with its default limit); the reply goes to rep (cap bytes).  Returns the
 * reply's length, 0 for none (or one that did not fit).
 */
size_t kdc_fixture_send(struct kdc_fixture *f, const struct kdc_request_info *info,
			const uint8_t *req, size_t len, uint8_t *rep, size_t cap);

/* Write req to dir/name.bin (a fuzz seed); dir or name NULL: nothing.
 * Exits the test on a write error. */
void kdc_fixture_seed_write(const char *dir, const char *name, const uint8_t *req,
			    size_t len);

/* The KRB-ERROR code of the reply rep (n bytes), 0 for an AS-REP or
 * TGS-REP, -1 for anything else; *ed_out (may be NULL): its e-data. */
int kdc_fixture_reply_code(struct arena *a, const uint8_t *rep, size_t n,
			   struct der_bytes **ed_out);

/* Let principal name delegate to target (both parsed in the fixture's
 * realm) alone: its allowed-to-delegate-to list (`orthrus admin modify
 * --allowed-to-delegate-to`).  ORTH_E_NOTFOUND, parse and db errors. */
orth_err kdc_fixture_deleg_set(struct kdc_fixture *f, const char *name, const char *target);

/* Remove principal name (`orthrus admin delete`).  ORTH_E_NOTFOUND. */
orth_err kdc_fixture_delete(struct kdc_fixture *f, const char *name);

/* Close the database, free the context and caches, remove the directory.
 * A zeroed or half-opened fixture is fine. */
void kdc_fixture_close(struct kdc_fixture *f);

/* Change the fixed clock (0: back to the real clock). */
void kdc_fixture_set_time(int64_t now);
/* The fixture's clock (fixed or real). */
int64_t kdc_fixture_now(void);
/* The etype list of requests built with etype 0 (list must stay valid while
 * used; NULL: back to 18, 17, 20, 19). */
void kdc_fixture_set_etypes(const int32_t *list, size_t n);

/*
 * Requests as a client would build them, for tests, seeds and benchmarks.
 * All memory from a; names are parsed in the fixture's realm.
 */

/* A ticket and its session key, from a reply. */
struct kdc_fixture_cred {
	Ticket ticket;
	struct crypto_key *key;       /* owned: crypto_key_free() */
	PrincipalName cname;
	char *crealm;
	uint32_t flags;               /* TKT_FLG_* */
	int64_t starttime, endtime, renew_till;
};

/* The long-term key of client for etype from password (default salt).
 * *out: crypto_key_free(). */
orth_err kdc_fixture_client_key(struct kdc_fixture *f, struct arena *a, const char *client,
				const char *password, int32_t etype, struct crypto_key **out);

/*
 * An AS-REQ client -> service asking for etype (0: the list of
 * kdc_fixture_set_etypes()) with KDC options `options` and a lifetime of
 * till seconds (0: no limit).
 * ckey: add PA-ENC-TIMESTAMP (usage 1) under this key; NULL: no padata.
 */
orth_err kdc_fixture_as_req(struct kdc_fixture *f, struct arena *a, const char *client,
			    const char *service, uint32_t options, int32_t etype,
			    int64_t till, struct crypto_key *ckey, uint8_t **out,
			    size_t *len_out);

/*
 * A TGS-REQ for service with tgt, options, etype (0: the list):
 * authenticator (usage 7) with a keyed checksum over the body (usage 6);
 * second: an additional ticket (user-to-user) or NULL.  Each call uses a
 * new cusec, so that requests built in a row are not replays.
 */
orth_err kdc_fixture_tgs_req(struct kdc_fixture *f, struct arena *a,
			     const struct kdc_fixture_cred *tgt, const char *service,
			     uint32_t options, int32_t etype, const Ticket *second,
			     uint8_t **out, size_t *len_out);

/*
 * kdc_fixture_tgs_req with enc-authorization-data: authz sealed in the
 * TGT's session key (usage 4) before the body is checksummed; NULL: none.
 */
orth_err kdc_fixture_tgs_req_authz(struct kdc_fixture *f, struct arena *a,
				   const struct kdc_fixture_cred *tgt, const char *service,
				   uint32_t options, int32_t etype, const Ticket *second,
				   const AuthorizationData *authz, uint8_t **out,
				   size_t *len_out);

/*
 * Padata the TGS-REQs built next carry after their PA-TGS-REQ (MS-SFU's
 * S4U padata, hostile padata): fn fills *out (memory from a) for the body
 * b (its nonce is set) and the TGT; fn NULL: none (the default).  A
 * failure of fn fails the request's building.
 */
typedef orth_err (*kdc_fixture_padata_fn)(void *arg, struct arena *a, const KDC_REQ_BODY *b,
					  const struct kdc_fixture_cred *tgt, METHOD_DATA *out);
void kdc_fixture_set_tgs_padata(kdc_fixture_padata_fn fn, void *arg);

/*
 * kdc_fixture_tgs_req with an authenticator subkey, as MIT's clients
 * always send (the reply is then sealed in it, usage 9: open it with
 * kdc_fixture_rep_open_subkey).
 */
orth_err kdc_fixture_tgs_req_subkey(struct kdc_fixture *f, struct arena *a,
				    const struct kdc_fixture_cred *tgt, const char *service,
				    uint32_t options, int32_t etype,
				    const struct crypto_key *subkey, uint8_t **out,
				    size_t *len_out);

/* A ticket the fixture makes itself (a forged or aged one, for tests). */
struct kdc_fixture_ticket_spec {
	const char *client, *server;  /* parsed in the fixture's realm */
	uint32_t flags;               /* TKT_FLG_* */
	int64_t authtime;
	int64_t starttime;            /* 0: absent */
	int64_t endtime;
	int64_t renew_till;           /* 0: absent */
	const AuthorizationData *authz;  /* NULL: none */
};

/*
 * Seal a ticket of spec in the server's newest aes256-cts-hmac-sha1-96 key
 * from the database, with a fresh random session key of that enctype, and
 * fill *out as kdc_fixture_rep_open would (out->key: crypto_key_free()).
 */
orth_err kdc_fixture_ticket_make(struct kdc_fixture *f, struct arena *a,
				 const struct kdc_fixture_ticket_spec *spec,
				 struct kdc_fixture_cred *out);

/* Decrypt t with its server's key (the ticket's enctype and kvno) from the
 * database into *out (memory from a). */
orth_err kdc_fixture_ticket_open(struct kdc_fixture *f, struct arena *a, const Ticket *t,
				 EncTicketPart *out);

/*
 * Damage the stored record of name in the database file (its version
 * byte, every copy in the file), so that reading it fails: a database
 * error, as a disk would make it.  ORTH_E_NOTFOUND when no copy is found.
 */
orth_err kdc_fixture_corrupt(struct kdc_fixture *f, const char *name);

/*
 * Open an AS-REP (key: the client's key, usage 3) or TGS-REP (key: the
 * TGT's session key, usage 8) into *out.  ORTH_E_KRB(code) for a
 * KRB-ERROR, decoder and crypto errors otherwise.
 */
orth_err kdc_fixture_rep_open(struct arena *a, const uint8_t *rep, size_t len,
			      struct crypto_key *key, struct kdc_fixture_cred *out);
/* The same for a TGS-REP sealed in the authenticator subkey (usage 9). */
orth_err kdc_fixture_rep_open_subkey(struct arena *a, const uint8_t *rep, size_t len,
				     struct crypto_key *subkey, struct kdc_fixture_cred *out);

/*
 * One exchange: req to kdc_handle() (TCP), the reply into rep (cap bytes,
 * its length in *n_out, may be NULL); returns its KRB-ERROR code, 0 for a
 * KDC-REP (then opened under key into *cred, as kdc_fixture_rep_open; -3
 * when it does not open), -1 for anything else.
 */
int kdc_fixture_exchange(struct kdc_fixture *f, struct arena *a, const uint8_t *req, size_t len,
			 struct crypto_key *key, uint8_t *rep, size_t cap,
			 struct kdc_fixture_cred *cred, size_t *n_out);

#endif
