/*
 * aptool - drive src/client/apreq from shell tests:
 *   aptool mkreq [-n] CCACHE SERVICE OUT
 *        AP-REQ (mutual-required, subkey, seq-number) from the ticket for
 *        SERVICE in the FILE ccache CCACHE; -n: no subkey, no seq-number
 *   aptool verify [-s SKEW] [-S SERVICE] [-k] KEYTAB IN...
 *        verify each AP-REQ file in order in one process (one replay
 *        cache, so a repeated file is a replay); prints per file
 *        "IN: ok CLIENT" or "IN: error CODE MESSAGE (DETAIL)".
 *        -k: no replay cache.  Exit 0 when all were accepted, else 1.
 *   aptool from-gss TOKEN OUT
 *        the AP-REQ inside a GSS-API krb5 initial context token
 *        (RFC 4121 §4.1: [APPLICATION 0] {OID 1.2.840.113554.1.2.2,
 *        TOK_ID 01 00, AP-REQ})
 *   aptool accept-gss [-S SERVICE] KEYTAB TOKEN OUTTOKEN
 *        verify the AP-REQ of a GSS initial token and write the acceptor's
 *        reply token (TOK_ID 02 00, AP-REP with a sequence number)
 *   aptool tamper IN OUT auth|ticket
 *        flip one byte inside the authenticator's (or the ticket's)
 *        ciphertext, keeping the DER valid
 *   aptool roundtrip CCACHE SERVICE KEYTAB
 *        mkreq + verify + AP-REP + client check of the AP-REP, one process
 * KRB5CCNAME-style names "FILE:path" and keytab names "FILE:path" work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cursor.h"
#include "client/apreq.h"
#include "client/ccache.h"
#include "client/keytab.h"
#include "client/rcache.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"

#define MAX_MSG (1u << 20)

static const uint8_t krb5_oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
				   0x12, 0x01, 0x02, 0x02};

static struct arena A;

static int
die(const char *what, orth_err e)
{
	fprintf(stderr, "aptool: %s: %s\n", what, apreq_err_str(e));
	return 1;
}

static orth_err
file_read(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return ORTH_E_NOTFOUND;
	*buf = malloc(MAX_MSG);
	if (*buf == NULL) {
		fclose(f);
		return ORTH_E_NOMEM;
	}
	n = fread(*buf, 1, MAX_MSG, f);
	fclose(f);
	*len = n;
	return n == MAX_MSG ? ORTH_E_LIMIT : ORTH_OK;
}

static orth_err
file_write(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return ORTH_E_IO;
	if (fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return ORTH_E_IO;
	}
	return fclose(f) == 0 ? ORTH_OK : ORTH_E_IO;
}

static const char *
strip_prefix(const char *name)
{
	return strncmp(name, "FILE:", 5) == 0 ? name + 5 : name;
}

/* A DER length at c (short or long form, at most 4 bytes). */
static size_t
der_len(struct cursor *c)
{
	uint8_t b = cursor_u8(c), i;
	size_t n = 0;

	if (b < 0x80)
		return b;
	if (b == 0x80 || b > 0x84) {
		cursor_fail(c, ORTH_E_MALFORMED);
		return 0;
	}
	for (i = 0; i < (b & 0x7f); i++)
		n = n << 8 | cursor_u8(c);
	return n;
}

/* RFC 4121 §4.1 / RFC 2743 §3.1: the inner token after OID and TOK_ID. */
static orth_err
gss_unwrap(const uint8_t *tok, size_t len, uint16_t tok_id,
	   const uint8_t **inner, size_t *inner_len)
{
	struct cursor c, body;
	const uint8_t *oid;
	size_t n;

	cursor_init(&c, tok, len);
	if (cursor_u8(&c) != 0x60)
		return ORTH_E_MALFORMED;
	n = der_len(&c);
	body = cursor_child(&c, n);
	if (cursor_end(&c) != ORTH_OK)
		return cursor_err(&c);
	oid = cursor_get(&body, sizeof(krb5_oid));
	if (oid == NULL || memcmp(oid, krb5_oid, sizeof(krb5_oid)) != 0)
		return ORTH_E_MALFORMED;
	if (cursor_be16(&body) != tok_id || cursor_err(&body) != ORTH_OK)
		return ORTH_E_MALFORMED;
	*inner_len = cursor_left(&body);
	*inner = cursor_get(&body, *inner_len);
	return *inner != NULL ? ORTH_OK : ORTH_E_TRUNCATED;
}

/* The reverse: [APPLICATION 0] {OID, TOK_ID, inner} into the arena. */
static orth_err
gss_wrap(const uint8_t *inner, size_t inner_len, uint16_t tok_id,
	 uint8_t **out, size_t *out_len)
{
	size_t body = sizeof(krb5_oid) + 2 + inner_len, cap = body + 8;
	struct writer w;
	uint8_t *buf = arena_alloc(&A, cap);

	if (buf == NULL)
		return ORTH_E_LIMIT;
	writer_init(&w, buf, cap);
	writer_u8(&w, 0x60);
	if (body < 0x80) {
		writer_u8(&w, (uint8_t)body);
	} else if (body < 0x100) {
		writer_u8(&w, 0x81);
		writer_u8(&w, (uint8_t)body);
	} else if (body < 0x10000) {
		writer_u8(&w, 0x82);
		writer_be16(&w, (uint16_t)body);
	} else {
		writer_u8(&w, 0x84);
		writer_be32(&w, (uint32_t)body);
	}
	writer_put(&w, krb5_oid, sizeof(krb5_oid));
	writer_be16(&w, tok_id);
	writer_put(&w, inner, inner_len);
	*out = buf;
	*out_len = w.len;
	return writer_err(&w);
}

/* A ccache principal as a struct principal (strings copied into A). */
static orth_err
princ_from_cc(const struct ccache_principal *cp, struct principal *out)
{
	const char *comps[PRINCIPAL_MAX_COMPONENTS];
	uint32_t i;

	if (cp->ncomps == 0 || cp->ncomps > PRINCIPAL_MAX_COMPONENTS)
		return ORTH_E_BADNAME;
	for (i = 0; i < cp->ncomps; i++)
		comps[i] = (const char *)cp->comps[i].data;
	return principal_build(&A, (const char *)cp->realm.data, cp->name_type,
			       cp->ncomps, comps, out);
}

static orth_err
mkreq(const char *ccname, const char *service, bool extras, uint8_t **out,
      size_t *out_len, struct apreq_state *st)
{
	orth_err ret;
	struct ccache *cc = NULL;
	struct ccache_principal def = {0}, server = {0};
	struct ccache_cred cred = {0};
	struct principal client;
	struct crypto_key *sess = NULL;
	struct apreq_opts o = {.ap_options = AP_OPT_MUTUAL_REQUIRED,
			       .subkey = extras, .seq_number = extras};
	int32_t off_usec;

	TRY(ccache_open(ccname, &cc));
	TRY(ccache_default_principal_get(cc, &def));
	TRY(ccache_principal_parse(service, (const char *)def.realm.data,
				   &server));
	TRY(ccache_retrieve(cc, NULL, &server, 0, &cred));
	if (ccache_time_offset_get(cc, &o.time_offset, &off_usec) != ORTH_OK)
		o.time_offset = 0;
	TRY(princ_from_cc(&cred.client, &client));
	TRY(crypto_key_new(cred.enctype, cred.key.data, cred.key.len, &sess));
	TRY(apreq_encode(cred.ticket.data, cred.ticket.len, sess, &client, &o,
			 &A, out, out_len, st));
cleanup:
	crypto_key_free(sess);
	ccache_cred_free(&cred);
	ccache_principal_free(&server);
	ccache_principal_free(&def);
	ccache_close(cc);
	return ret;
}

static int
cmd_mkreq(int argc, char **argv)
{
	bool extras = true;
	uint8_t *req;
	size_t len;
	orth_err e;

	if (argc > 0 && strcmp(argv[0], "-n") == 0) {
		extras = false;
		argc--;
		argv++;
	}
	if (argc != 3)
		return die("usage: mkreq [-n] CCACHE SERVICE OUT", ORTH_E_USAGE);
	if ((e = mkreq(argv[0], argv[1], extras, &req, &len, NULL)) != ORTH_OK)
		return die(argv[1], e);
	if ((e = file_write(argv[2], req, len)) != ORTH_OK)
		return die(argv[2], e);
	return 0;
}

struct vopts {
	int32_t skew;
	const char *service;
	bool no_rcache;
};

static int
parse_vopts(int *argc, char ***argv, struct vopts *v)
{
	int c;

	optind = 1;
	while ((c = getopt(*argc, *argv, "+s:S:k")) != -1) {
		switch (c) {
		case 's': v->skew = atoi(optarg); break;
		case 'S': v->service = optarg; break;
		case 'k': v->no_rcache = true; break;
		default: return -1;
		}
	}
	*argc -= optind;
	*argv += optind;
	return 0;
}

static orth_err
setup_verifier(const struct vopts *v, const char *ktname, struct keytab *kt,
	       struct principal *server, struct apreq_verify_params *p)
{
	orth_err ret;

	TRY(keytab_read(strip_prefix(ktname), kt));
	p->keys = kt->entries;
	p->nkeys = kt->n;
	p->skew = v->skew;
	if (v->service != NULL) {
		TRY(principal_parse(v->service, NULL, &A, server));
		p->server = server;
	}
cleanup:
	return ret;
}

static int
cmd_verify(int argc, char **argv)
{
	struct vopts v = {0};
	struct keytab kt = {0};
	struct principal server;
	struct apreq_verify_params p = {0};
	struct apreq_result r;
	struct rcache *rc = NULL;
	char errbuf[512];
	uint8_t *buf = NULL;
	size_t len;
	orth_err e;
	int i, failed = 0;

	/* Requests live in A's per-request part; the keytab and server
	 * name in the parts allocated first. */
	if (parse_vopts(&argc, &argv, &v) != 0 || argc < 2)
		return die("usage: verify [-s SKEW] [-S SERVICE] [-k] KEYTAB IN...",
			   ORTH_E_USAGE);
	if ((e = setup_verifier(&v, argv[0], &kt, &server, &p)) != ORTH_OK)
		return die(argv[0], e);
	if (!v.no_rcache && (e = rcache_new(0, &rc)) != ORTH_OK)
		return die("rcache", e);
	p.rcache = rc;
	p.errbuf = errbuf;
	p.errcap = sizeof(errbuf);
	for (i = 1; i < argc; i++) {
		struct arena req_arena;
		if ((e = file_read(argv[i], &buf, &len)) != ORTH_OK ||
		    (e = arena_init(&req_arena, 1u << 20)) != ORTH_OK) {
			free(buf);
			return die(argv[i], e);
		}
		e = apreq_verify(&p, buf, len, &req_arena, &r);
		if (e == ORTH_OK) {
			printf("%s: ok %s (service %s kvno %u enctype %d%s%s)\n",
			       argv[i], r.client_name, r.server_name,
			       (unsigned)r.kvno, (int)r.enctype,
			       r.subkey ? ", subkey" : "",
			       r.ap_options & AP_OPT_MUTUAL_REQUIRED ? ", mutual" : "");
			apreq_result_free(&r);
		} else {
			printf("%s: error %d %s (%s)\n", argv[i],
			       (int)proto_err_to_krb(e), apreq_err_str(e), errbuf);
			failed = 1;
		}
		arena_free(&req_arena);
		free(buf);
		buf = NULL;
	}
	rcache_free(rc);
	keytab_free(&kt);
	return failed;
}

static int
cmd_from_gss(int argc, char **argv)
{
	uint8_t *tok;
	const uint8_t *inner;
	size_t len, inner_len;
	orth_err e;

	if (argc != 2)
		return die("usage: from-gss TOKEN OUT", ORTH_E_USAGE);
	if ((e = file_read(argv[0], &tok, &len)) != ORTH_OK)
		return die(argv[0], e);
	e = gss_unwrap(tok, len, 0x0100, &inner, &inner_len);
	if (e == ORTH_OK)
		e = file_write(argv[1], inner, inner_len);
	free(tok);
	return e == ORTH_OK ? 0 : die(argv[0], e);
}

static int
cmd_accept_gss(int argc, char **argv)
{
	struct vopts v = {0};
	struct keytab kt = {0};
	struct principal server;
	struct apreq_verify_params p = {0};
	struct apreq_result r;
	struct rcache *rc = NULL;
	char errbuf[512] = "";
	uint8_t *tok = NULL, *rep, *out;
	const uint8_t *inner;
	size_t len, inner_len, rep_len, out_len;
	uint32_t seq;
	orth_err e;

	if (parse_vopts(&argc, &argv, &v) != 0 || argc != 3)
		return die("usage: accept-gss [-S SERVICE] KEYTAB TOKEN OUT",
			   ORTH_E_USAGE);
	if ((e = setup_verifier(&v, argv[0], &kt, &server, &p)) != ORTH_OK)
		return die(argv[0], e);
	if ((e = rcache_new(0, &rc)) != ORTH_OK)
		return die("rcache", e);
	p.rcache = rc;
	p.errbuf = errbuf;
	p.errcap = sizeof(errbuf);
	if ((e = file_read(argv[1], &tok, &len)) != ORTH_OK)
		return die(argv[1], e);
	if ((e = gss_unwrap(tok, len, 0x0100, &inner, &inner_len)) != ORTH_OK)
		return die("GSS token", e);
	if ((e = apreq_verify(&p, inner, inner_len, &A, &r)) != ORTH_OK) {
		printf("error %d %s (%s)\n", (int)proto_err_to_krb(e),
		       apreq_err_str(e), errbuf);
		return 1;
	}
	/* RFC 4121 §4.1.1: the checksum of a GSS AP-REQ is type 0x8003. */
	printf("ok %s cksumtype 0x%x%s\n", r.client_name,
	       r.cksum ? (unsigned)r.cksum->cksumtype : 0u,
	       r.ap_options & AP_OPT_MUTUAL_REQUIRED ? " mutual" : "");
	if ((e = crypto_random_bytes(&seq, sizeof(seq))) == ORTH_OK) {
		seq &= 0x3fffffffu;
		e = aprep_encode(&r, NULL, &seq, &A, &rep, &rep_len);
	}
	if (e == ORTH_OK)
		e = gss_wrap(rep, rep_len, 0x0200, &out, &out_len);
	if (e == ORTH_OK)
		e = file_write(argv[2], out, out_len);
	apreq_result_free(&r);
	rcache_free(rc);
	keytab_free(&kt);
	free(tok);
	return e == ORTH_OK ? 0 : die("AP-REP", e);
}

static void flip_auth(AP_REQ *r) { r->authenticator.cipher.data[r->authenticator.cipher.len / 2] ^= 0x01; }
static void flip_ticket(AP_REQ *r) { r->ticket.enc_part.cipher.data[r->ticket.enc_part.cipher.len / 2] ^= 0x01; }

static int
cmd_tamper(int argc, char **argv)
{
	uint8_t *buf, *out;
	size_t len, out_len;
	AP_REQ req;
	orth_err e;

	if (argc != 3 || (strcmp(argv[2], "auth") != 0 && strcmp(argv[2], "ticket") != 0))
		return die("usage: tamper IN OUT auth|ticket", ORTH_E_USAGE);
	if ((e = file_read(argv[0], &buf, &len)) != ORTH_OK)
		return die(argv[0], e);
	memset(&req, 0, sizeof(req));
	if ((e = der_decode(&asn1_AP_REQ, buf, len, &A, &req)) != ORTH_OK)
		return die(argv[0], e);
	if (strcmp(argv[2], "auth") == 0)
		flip_auth(&req);
	else
		flip_ticket(&req);
	e = der_encode_arena(&asn1_AP_REQ, &req, &A, &out, &out_len);
	if (e == ORTH_OK)
		e = file_write(argv[1], out, out_len);
	free(buf);
	return e == ORTH_OK ? 0 : die(argv[1], e);
}

static int
cmd_roundtrip(int argc, char **argv)
{
	struct vopts v = {0};
	struct keytab kt = {0};
	struct principal server;
	struct apreq_verify_params p = {0};
	struct apreq_result r;
	struct apreq_state st;
	struct aprep_result rr;
	struct crypto_key *srv_sub = NULL;
	uint8_t *req, *rep;
	size_t req_len, rep_len;
	uint32_t seq = 12345;
	orth_err e;

	if (argc != 3)
		return die("usage: roundtrip CCACHE SERVICE KEYTAB", ORTH_E_USAGE);
	v.service = argv[1];
	if ((e = mkreq(argv[0], argv[1], true, &req, &req_len, &st)) != ORTH_OK)
		return die("mkreq", e);
	if ((e = setup_verifier(&v, argv[2], &kt, &server, &p)) != ORTH_OK)
		return die(argv[2], e);
	if ((e = apreq_verify(&p, req, req_len, &A, &r)) != ORTH_OK)
		return die("verify", e);
	e = crypto_key_random(crypto_key_enctype(r.session_key), &srv_sub);
	if (e == ORTH_OK)
		e = aprep_encode(&r, srv_sub, &seq, &A, &rep, &rep_len);
	if (e == ORTH_OK)
		e = aprep_verify(&st, rep, rep_len, &A, &rr);
	if (e != ORTH_OK)
		return die("AP-REP", e);
	printf("ok %s mutual subkey %s seq %u\n", r.client_name,
	       rr.subkey != NULL ? "yes" : "no", (unsigned)rr.seq_number);
	e = rr.has_seq && rr.seq_number == seq && rr.subkey != NULL
		    ? ORTH_OK : ORTH_E_INTERNAL;
	aprep_result_free(&rr);
	crypto_key_free(srv_sub);
	apreq_result_free(&r);
	apreq_state_free(&st);
	keytab_free(&kt);
	return e == ORTH_OK ? 0 : 1;
}

int
main(int argc, char **argv)
{
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: aptool mkreq|verify|from-gss|accept-gss|tamper|roundtrip ...\n");
		return 2;
	}
	if (crypto_init() != ORTH_OK || arena_init(&A, 4u << 20) != ORTH_OK)
		return die("init", ORTH_E_INTERNAL);
	if (strcmp(argv[1], "mkreq") == 0)
		rc = cmd_mkreq(argc - 2, argv + 2);
	else if (strcmp(argv[1], "verify") == 0)
		rc = cmd_verify(argc - 1, argv + 1);
	else if (strcmp(argv[1], "from-gss") == 0)
		rc = cmd_from_gss(argc - 2, argv + 2);
	else if (strcmp(argv[1], "accept-gss") == 0)
		rc = cmd_accept_gss(argc - 1, argv + 1);
	else if (strcmp(argv[1], "tamper") == 0)
		rc = cmd_tamper(argc - 2, argv + 2);
	else if (strcmp(argv[1], "roundtrip") == 0)
		rc = cmd_roundtrip(argc - 2, argv + 2);
	else
		rc = die(argv[1], ORTH_E_USAGE);
	arena_free(&A);
	return rc;
}
