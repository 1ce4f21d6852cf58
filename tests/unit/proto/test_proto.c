/* test_proto.c - principal names (RFC 1964 §2.1.1) and default salts. */
#include <string.h>

#include "proto/krb5_const.h"
#include "proto/principal.h"
#include "../test.h"

static struct arena A;

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
