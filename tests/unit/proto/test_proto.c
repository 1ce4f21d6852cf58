/* test_proto.c - principal names (RFC 1964 §2.1.1), default salts, and
 * the table of error names and texts (krberr.h). */
#include <string.h>

#include "proto/kpasswd.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/principal.h"
#include "../test.h"

static struct arena A;

/* Every code of krb5_const.h and kpasswd.h has a name and a text, names
 * are the RFC's and unique in their space, unknown codes have none. */
static void
test_err_table(void)
{
	static const int32_t krb[] = {
		KDC_ERR_NONE, KDC_ERR_NAME_EXP, KDC_ERR_SERVICE_EXP, KDC_ERR_BAD_PVNO,
		KDC_ERR_C_OLD_MAST_KVNO, KDC_ERR_S_OLD_MAST_KVNO,
		KDC_ERR_C_PRINCIPAL_UNKNOWN, KDC_ERR_S_PRINCIPAL_UNKNOWN,
		KDC_ERR_PRINCIPAL_NOT_UNIQUE, KDC_ERR_NULL_KEY, KDC_ERR_CANNOT_POSTDATE,
		KDC_ERR_NEVER_VALID, KDC_ERR_POLICY, KDC_ERR_BADOPTION, KDC_ERR_ETYPE_NOSUPP,
		KDC_ERR_SUMTYPE_NOSUPP, KDC_ERR_PADATA_TYPE_NOSUPP, KDC_ERR_TRTYPE_NOSUPP,
		KDC_ERR_CLIENT_REVOKED, KDC_ERR_SERVICE_REVOKED, KDC_ERR_TGT_REVOKED,
		KDC_ERR_CLIENT_NOTYET, KDC_ERR_SERVICE_NOTYET, KDC_ERR_KEY_EXPIRED,
		KDC_ERR_PREAUTH_FAILED, KDC_ERR_PREAUTH_REQUIRED, KDC_ERR_SERVER_NOMATCH,
		KDC_ERR_MUST_USE_USER2USER, KDC_ERR_PATH_NOT_ACCEPTED, KDC_ERR_SVC_UNAVAILABLE,
		KRB_AP_ERR_BAD_INTEGRITY, KRB_AP_ERR_TKT_EXPIRED, KRB_AP_ERR_TKT_NYV,
		KRB_AP_ERR_REPEAT, KRB_AP_ERR_NOT_US, KRB_AP_ERR_BADMATCH, KRB_AP_ERR_SKEW,
		KRB_AP_ERR_BADADDR, KRB_AP_ERR_BADVERSION, KRB_AP_ERR_MSG_TYPE,
		KRB_AP_ERR_MODIFIED, KRB_AP_ERR_BADORDER, KRB_AP_ERR_BADKEYVER,
		KRB_AP_ERR_NOKEY, KRB_AP_ERR_MUT_FAIL, KRB_AP_ERR_BADDIRECTION,
		KRB_AP_ERR_METHOD, KRB_AP_ERR_BADSEQ, KRB_AP_ERR_INAPP_CKSUM,
		KRB_AP_PATH_NOT_ACCEPTED, KRB_ERR_RESPONSE_TOO_BIG, KRB_ERR_GENERIC,
		KRB_ERR_FIELD_TOOLONG, KDC_ERR_WRONG_REALM,
	};
	const char *seen[128] = {0};

	for (size_t i = 0; i < sizeof(krb) / sizeof(krb[0]); i++) {
		const char *n = proto_krb_err_name(krb[i]);
		EXPECT(n != NULL && proto_krb_err_text(krb[i]) != NULL);
		if (n == NULL) {
			fprintf(stderr, "  code %d has no name\n", (int)krb[i]);
			continue;
		}
		EXPECT(strncmp(n, "KDC_ERR_", 8) == 0 || strncmp(n, "KRB_", 4) == 0);
		for (size_t j = 0; j < i; j++)
			EXPECT(seen[j] == NULL || strcmp(seen[j], n) != 0);
		seen[i] = n;
	}
	EXPECT(strcmp(proto_krb_err_name(KDC_ERR_PREAUTH_FAILED), "KDC_ERR_PREAUTH_FAILED") == 0);
	EXPECT(strcmp(proto_krb_err_name(KRB_AP_ERR_SKEW), "KRB_AP_ERR_SKEW") == 0);
	EXPECT(strcmp(proto_krb_err_text(KDC_ERR_KEY_EXPIRED), "Password has expired") == 0);
	EXPECT_EQ_INT(proto_krb_err_code("KRB_AP_ERR_SKEW"), KRB_AP_ERR_SKEW);
	EXPECT_EQ_INT(proto_krb_err_code("KRB5_KPASSWD_MALFORMED"), -1);
	EXPECT_EQ_INT(proto_krb_err_code("nonsense"), -1);
	EXPECT(proto_krb_err_name(30) == NULL && proto_krb_err_name(-1) == NULL &&
	       proto_krb_err_name(1000) == NULL);
	for (int32_t c = KPASSWD_SUCCESS; c <= KPASSWD_INITIAL_FLAG_NEEDED; c++) {
		const char *n = proto_err_name(PROTO_ERR_KPASSWD, c);
		EXPECT(n != NULL && strncmp(n, "KRB5_KPASSWD_", 13) == 0 &&
		       proto_err_text(PROTO_ERR_KPASSWD, c) != NULL);
	}
	EXPECT(strcmp(proto_err_name(PROTO_ERR_KPASSWD, KPASSWD_ACCESSDENIED),
		      "KRB5_KPASSWD_ACCESSDENIED") == 0);
	EXPECT(proto_err_name(PROTO_ERR_KPASSWD, 8) == NULL);
	/* proto_err_str: the table for Kerberos codes, orth_err_str otherwise */
	EXPECT(strcmp(proto_err_str(ORTH_E_KRB(KRB_AP_ERR_SKEW)), "Clock skew too great") == 0);
	EXPECT(strcmp(proto_err_str(ORTH_E_MALFORMED), orth_err_str(ORTH_E_MALFORMED)) == 0);
	EXPECT(strcmp(proto_err_str(ORTH_E_KRB(99)), orth_err_str(ORTH_E_KRB(99))) == 0);
}

static void
roundtrip(const char *text, const char *expect_unparsed, size_t ncomp,
	  const char *realm)
{
	struct principal p;
	char buf[256];
	size_t len = 0;
	orth_err e = principal_parse(text, "DEF.REALM", &A, &p);
	EXPECT_EQ_INT(e, ORTH_OK);
	if (e != ORTH_OK)
		return;
	EXPECT_EQ_INT(p.ncomp, ncomp);
	EXPECT(strcmp(p.realm, realm) == 0);
	EXPECT_EQ_INT(principal_unparse(&p, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT(strcmp(buf, expect_unparsed) == 0);
	EXPECT_EQ_INT(len, strlen(expect_unparsed));
	if (strcmp(buf, expect_unparsed) != 0)
		fprintf(stderr, "  got '%s' want '%s'\n", buf, expect_unparsed);
}

int
main(void)
{
	struct principal p, q;
	uint8_t *salt;
	size_t slen;
	char small[8];
	static const char *bad[] = {
		"", "@", "a@", "/a@R", "a/@R", "a//b@R", "a@R@S", "a\\", "a\\x@R",
		"a/b/c/d/e/f/g/h/i/j/k@R", "a@R\\",
	};

	EXPECT_EQ_INT(arena_init(&A, 1 << 16), ORTH_OK);
	test_err_table();

	roundtrip("alice", "alice@DEF.REALM", 1, "DEF.REALM");
	roundtrip("alice@EX.COM", "alice@EX.COM", 1, "EX.COM");
	roundtrip("host/svc.ex.com@EX.COM", "host/svc.ex.com@EX.COM", 2, "EX.COM");
	roundtrip("a\\/b@R", "a\\/b@R", 1, "R");
	roundtrip("a\\@b@R", "a\\@b@R", 1, "R");
	roundtrip("a\\\\b@R", "a\\\\b@R", 1, "R");
	roundtrip("a\\nb\\tc\\bd\\0e@R", "a\\nb\\tc\\bd\\0e@R", 1, "R");
	roundtrip("x@R/S", "x@R/S", 1, "R/S");

	/* escapes decode to the right bytes */
	EXPECT_EQ_INT(principal_parse("a\\0b/c\\/d@R", NULL, &A, &p), ORTH_OK);
	EXPECT_EQ_INT(p.comp[0].len, 3);
	EXPECT_MEM(p.comp[0].data, "a\0b", 3);
	EXPECT(strcmp(p.comp[1].data, "c/d") == 0);
	EXPECT_EQ_INT(p.name_type, KRB5_NT_PRINCIPAL);

	EXPECT_EQ_INT(principal_parse("krbtgt/EX.COM@EX.COM", NULL, &A, &p), ORTH_OK);
	EXPECT_EQ_INT(p.name_type, KRB5_NT_SRV_INST);

	/* no default realm */
	EXPECT_EQ_INT(principal_parse("alice", NULL, &A, &p), ORTH_E_BADNAME);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		orth_err e = principal_parse(bad[i], "R", &A, &p);
		EXPECT_EQ_INT(e, ORTH_E_BADNAME);
		if (e != ORTH_E_BADNAME)
			fprintf(stderr, "  accepted bad name '%s'\n", bad[i]);
	}
	{
		char longname[PRINCIPAL_MAX_TEXT + 10];
		memset(longname, 'a', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		EXPECT_EQ_INT(principal_parse(longname, "R", &A, &p), ORTH_E_BADNAME);
	}

	/* RFC 4120 §4 default salt: realm then components, no separators */
	EXPECT_EQ_INT(principal_parse("host/svc.ex.com@EX.COM", NULL, &A, &p), ORTH_OK);
	EXPECT_EQ_INT(principal_salt(&p, &A, &salt, &slen), ORTH_OK);
	EXPECT_EQ_INT(slen, strlen("EX.COMhostsvc.ex.com"));
	EXPECT_MEM(salt, "EX.COMhostsvc.ex.com", slen);

	/* equality; unparse into too small a buffer */
	EXPECT_EQ_INT(principal_parse("host/svc.ex.com", "EX.COM", &A, &q), ORTH_OK);
	EXPECT(principal_equal(&p, &q));
	EXPECT_EQ_INT(principal_parse("host/svc.ex.com@EX.ORG", NULL, &A, &q), ORTH_OK);
	EXPECT(!principal_equal(&p, &q));
	EXPECT_EQ_INT(principal_unparse(&p, small, sizeof(small), NULL), ORTH_E_LIMIT);
	{
		/* Exactly the text and its NUL fits; one octet less does not,
		 * also when the last thing written is an escape or a run. */
		const char *names[] = {"host/svc.ex.com@EX.COM", "a\\@b@R", "a@R\\@"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			char fit[64];
			size_t n = 0;
			EXPECT_EQ_INT(principal_parse(names[i], NULL, &A, &q), ORTH_OK);
			EXPECT_EQ_INT(principal_unparse(&q, fit, sizeof(fit), &n), ORTH_OK);
			EXPECT_EQ_INT(principal_unparse(&q, fit, n + 1, NULL), ORTH_OK);
			EXPECT_EQ_INT(principal_unparse(&q, fit, n, NULL), ORTH_E_LIMIT);
			EXPECT(fit[0] == '\0');
		}
	}

	{
		const char *c[] = {"krbtgt", "EX.COM"};
		EXPECT_EQ_INT(principal_build(&A, "EX.COM", 2, 2, c, &q), ORTH_OK);
		EXPECT_EQ_INT(principal_unparse(&q, small, sizeof(small), NULL), ORTH_E_LIMIT);
		EXPECT_EQ_INT(principal_build(&A, "", 2, 2, c, &q), ORTH_E_BADNAME);
	}

	/* arena exhaustion is an error, not a crash */
	{
		struct arena tiny;
		EXPECT_EQ_INT(arena_init(&tiny, 16), ORTH_OK);
		EXPECT_EQ_INT(principal_parse("host/a.very.long.host.name@EX.COM", NULL, &tiny, &p),
			      ORTH_E_LIMIT);
		arena_free(&tiny);
	}
	arena_free(&A);
	return test_done("proto");
}
