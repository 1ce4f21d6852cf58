/* test_config.c - the profile parser (src/base/config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "../sample_conf.h"
#include "../test.h"

static orth_err
parse(const char *text, struct config **cfg, char *err, size_t errlen)
{
	return config_parse_string(text, strlen(text), "t.conf", cfg, err, errlen);
}

static void
expect_syntax_error(const char *text, const char *where)
{
	struct config *cfg = NULL;
	char err[256] = "";
	EXPECT_EQ_INT(parse(text, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(cfg == NULL);
	EXPECT(strstr(err, where) != NULL);
	if (strstr(err, where) == NULL)
		fprintf(stderr, "  message '%s' lacks '%s'\n", err, where);
}


/* Write text to dir/name; returns the path (static storage, one at a time). */
static const char *
write_file(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	EXPECT(f != NULL);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static const char *
value_of(const struct config *cfg, const char *sect, const char *name)
{
	const char *v = cfg != NULL ? config_get(cfg, sect, name, NULL) : NULL;
	return v != NULL ? v : "(none)";
}

/*
 * MIT's profile syntax as distributions write it (issue 14, defect 5):
 * `includedir` (the first line of RHEL/Fedora's /etc/krb5.conf), `include`,
 * `NAME =` with '{' on the next line, repeated sections and subtrees that
 * merge, the final marker '*' on a tag, and text before the first section.
 */
static void
test_profile_syntax(void)
{
	struct config *cfg = NULL;
	char err[512] = "";
	const struct config_node *r, *n;
	int kdcs = 0;

	/* '{' on the line after "NAME =". */
	EXPECT_EQ_INT(parse("[realms]\n R =\n  {\n  kdc = k1\n }\n", &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(strcmp(value_of(cfg, "realms", "R") , "(none)") == 0);
	EXPECT(cfg != NULL && config_get(cfg, "realms", "R", "kdc", NULL) != NULL &&
	       strcmp(config_get(cfg, "realms", "R", "kdc", NULL), "k1") == 0);
	config_free(cfg);
	cfg = NULL;
	/* Anything else there: NAME is a relation with an empty value (MIT
	 * refuses it; our kdc.conf writes `kpasswd_listen =` for "none"). */
	EXPECT_EQ_INT(parse("[realms]\n R =\n kdc = k1\n E =\n}\n", &cfg, err, sizeof(err)),
		      ORTH_E_CONFIG);  /* the '}' closes nothing */
	EXPECT(strstr(err, "t.conf:5:") != NULL);
	config_free(cfg);
	cfg = NULL;
	EXPECT_EQ_INT(parse("[realms]\n R =\n kdc = k1\n S = {\n  e =\n }\n T =",
			    &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(strcmp(value_of(cfg, "realms", "R"), "") == 0);
	EXPECT(strcmp(value_of(cfg, "realms", "kdc"), "k1") == 0);
	EXPECT(strcmp(value_of(cfg, "realms", "T"), "") == 0);
	EXPECT(cfg && config_get(cfg, "realms", "S", "e", NULL) != NULL &&
	       strcmp(config_get(cfg, "realms", "S", "e", NULL), "") == 0);
	config_free(cfg);
	cfg = NULL;

	/* A repeated section merges with the first (MIT's profile). */
	EXPECT_EQ_INT(parse("[libdefaults]\n a = 1\n[realms]\n R = {\n  kdc = k1\n }\n"
			    "[libdefaults]\n b = 2\n[realms]\n R = {\n  kdc = k2\n }\n S = {\n }\n",
			    &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "a"), "1") == 0);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "b"), "2") == 0);
	/* ... and so does a repeated subtree: one R with both kdc lines. */
	r = cfg ? config_node_find(cfg, config_node_find(cfg, NULL, "realms"), "R") : NULL;
	EXPECT(r != NULL);
	for (n = r ? r->child : NULL; n != NULL; n = n->next)
		kdcs += strcmp(n->name, "kdc") == 0;
	EXPECT_EQ_INT(kdcs, 2);
	EXPECT(r != NULL && r->next != NULL && strcmp(r->next->name, "S") == 0 &&
	       (r->next->next == NULL || strcmp(r->next->next->name, "R") != 0));
	config_free(cfg);
	cfg = NULL;

	/* The final marker is on the tag ("name* = value", "name* = {",
	 * "[section]*", "}*"): later values of a final name are dropped; a
	 * '*' at the end of a value is part of the value. */
	EXPECT_EQ_INT(parse("[s]\n a* = 1\n a = 2\n v = x *\n t* = {\n  k = 1\n }\n"
			    " t = {\n  k = 2\n  deep = {\n   k = 3\n  }\n }\n"
			    "[f]*\n z = 1\n[f]\n z = 2\n y = 3\n[s]\n after = ok\n",
			    &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(strcmp(value_of(cfg, "s", "a"), "1") == 0);
	EXPECT(strcmp(value_of(cfg, "s", "v"), "x *") == 0);
	EXPECT(cfg && config_get(cfg, "s", "t", "deep", "k", NULL) == NULL);
	EXPECT(strcmp(value_of(cfg, "f", "z"), "1") == 0);
	EXPECT(strcmp(value_of(cfg, "f", "y"), "(none)") == 0);
	EXPECT(strcmp(value_of(cfg, "s", "after"), "ok") == 0);
	{
		const struct config_node *a = cfg ? config_node_find(cfg, config_node_find(cfg, NULL, "s"), "a") : NULL;
		EXPECT(a != NULL && (a->next == NULL || strcmp(a->next->name, "a") != 0));
	}
	config_free(cfg);
	cfg = NULL;

	/* Text before the first section is a comment to MIT's profile (a
	 * header line without '#', a stray relation); so is a first section
	 * header that does not start the line. */
	EXPECT_EQ_INT(parse("This file is managed by hand.\nx = 1\n [ignored]\ny = 2\n"
			    "[libdefaults]\n  # comment\n\t; comment\n a = \"open\n b = \"q v\" rest\n"
			    " c = v ; not a comment\n d = { x\n}  \n",
			    &cfg, err, sizeof(err)),
		      ORTH_E_CONFIG);  /* "d = { x" is a relation; then '}' is extra */
	EXPECT(strstr(err, "t.conf:12:") != NULL);
	config_free(cfg);
	cfg = NULL;
	EXPECT_EQ_INT(parse("This file is managed by hand.\nx = 1\n [ignored]\ny = 2\n"
			    "[libdefaults]\n  # comment\n\t; comment\n a = \"open\n b = \"q v\" rest\n"
			    " c = v ; not a comment\n d = { x\n e = {\n }  trailing\n",
			    &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(cfg && config_node_find(cfg, NULL, "ignored") == NULL);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "a"), "open") == 0);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "b"), "q v") == 0);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "c"), "v ; not a comment") == 0);
	EXPECT(strcmp(value_of(cfg, "libdefaults", "d"), "{ x") == 0);
	config_free(cfg);
	cfg = NULL;

	/* What MIT refuses stays an error with FILE:LINE. */
	expect_syntax_error("[a] x\n", "t.conf:1:");
	expect_syntax_error("[a]\n b c = d\n", "t.conf:2:");
	/* Without a file system, include directives are refused. */
	expect_syntax_error("[a]\ninclude /etc/krb5.conf\n", "t.conf:2:");
}

/* include and includedir, as MIT's prof_parse.c: includedir takes the files
 * whose names end in ".conf" or are made of letters, digits, '-' and '_',
 * not dotfiles, in name order; each file starts outside any section and
 * its sections merge into the whole. */
static void
test_includes(void)
{
	char dir[] = "/tmp/test_config.XXXXXX";
	char sub[600], main_path[600], text[2048], err[512] = "";
	struct config *cfg = NULL;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/krb5.conf.d", dir);
	EXPECT(mkdir(sub, 0700) == 0);
	write_file(sub, "crypto-policies",
		   "[libdefaults]\n permitted_enctypes = aes256-cts-hmac-sha1-96\n"
		   " from_first = crypto\n");
	write_file(sub, "kcm_default_ccache",
		   "[libdefaults]\n    default_ccache_name = KCM:\n from_first = kcm\n");
	write_file(sub, "realm-a.conf", "[realms]\n A.TEST = {\n  kdc = a1\n }\n");
	write_file(sub, "zz_last", "[realms]\n A.TEST = {\n  kdc = a2\n }\n");
	/* Skipped: editor and package backups, dotfiles, a directory. */
	write_file(sub, "crypto-policies~", "[broken\n");
	write_file(sub, "krb5.conf.rpmsave", "[broken\n");
	write_file(sub, ".hidden.conf", "[broken\n");
	snprintf(text, sizeof(text), "%s/skipped.d", sub);
	EXPECT(mkdir(text, 0700) == 0);
	snprintf(text, sizeof(text),
		 "includedir %s/\n"
		 "[logging]\n"
		 "    default = FILE:/var/log/krb5libs.log\n"
		 "[libdefaults]\n"
		 "    dns_lookup_realm = false\n"
		 "    default_realm = A.TEST\n"
		 "[realms]\n"
		 "A.TEST =\n"
		 "{\n"
		 "    kdc = a3\n"
		 "}\n"
		 "include %s/extra\n",
		 sub, dir);
	write_file(dir, "extra", "[domain_realm]\n .a.test = A.TEST\n");
	snprintf(main_path, sizeof(main_path), "%s", write_file(dir, "krb5.conf", text));
	EXPECT_EQ_INT(config_parse_file(main_path, &cfg, err, sizeof(err)), ORTH_OK);
	if (cfg == NULL)
		fprintf(stderr, "  %s\n", err);
	if (cfg != NULL) {
		const struct config_node *r =
			config_node_find(cfg, config_node_find(cfg, NULL, "realms"), "A.TEST");
		const char *want[] = {"a1", "a2", "a3"};
		size_t k = 0;
		EXPECT(strcmp(value_of(cfg, "libdefaults", "default_ccache_name"), "KCM:") == 0);
		EXPECT(strcmp(value_of(cfg, "libdefaults", "permitted_enctypes"),
			      "aes256-cts-hmac-sha1-96") == 0);
		/* name order: crypto-policies before kcm_default_ccache */
		EXPECT(strcmp(value_of(cfg, "libdefaults", "from_first"), "crypto") == 0);
		EXPECT(strcmp(value_of(cfg, "libdefaults", "default_realm"), "A.TEST") == 0);
		EXPECT(strcmp(value_of(cfg, "domain_realm", ".a.test"), "A.TEST") == 0);
		for (const struct config_node *n = r ? r->child : NULL; n != NULL; n = n->next)
			if (strcmp(n->name, "kdc") == 0 && k < 3)
				EXPECT(strcmp(n->value, want[k++]) == 0);
		EXPECT_EQ_INT(k, 3);
		/* the merged tree holds one realm; a node names its file */
		EXPECT(r != NULL && r->next == NULL);
		EXPECT(r != NULL && r->child != NULL && r->child->file != NULL &&
		       strstr(r->child->file, "realm-a.conf") != NULL);
	}
	config_free(cfg);
	cfg = NULL;

	/* An error inside an included file names that file and its line. */
	write_file(sub, "bad.conf", "[libdefaults]\n\n oops\n");
	EXPECT_EQ_INT(config_parse_file(main_path, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	snprintf(text, sizeof(text), "%s/bad.conf:3:", sub);
	EXPECT(strstr(err, text) != NULL);
	if (strstr(err, text) == NULL)
		fprintf(stderr, "  message '%s' lacks '%s'\n", err, text);
	snprintf(text, sizeof(text), "%s/bad.conf", sub);
	unlink(text);

	/* A missing include or includedir, a relative path: errors naming
	 * the line of the directive. */
	snprintf(text, sizeof(text), "[a]\n x = 1\ninclude %s/none\n", dir);
	write_file(dir, "t1.conf", text);
	snprintf(text, sizeof(text), "%s/t1.conf", dir);
	EXPECT_EQ_INT(config_parse_file(text, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "t1.conf:3:") != NULL);
	snprintf(text, sizeof(text), "includedir %s/nodir\n[a]\n", dir);
	write_file(dir, "t2.conf", text);
	snprintf(text, sizeof(text), "%s/t2.conf", dir);
	EXPECT_EQ_INT(config_parse_file(text, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "t2.conf:1:") != NULL);
	write_file(dir, "t3.conf", "[a]\ninclude extra\n");
	snprintf(text, sizeof(text), "%s/t3.conf", dir);
	EXPECT_EQ_INT(config_parse_file(text, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "t3.conf:2:") != NULL && strstr(err, "absolute") != NULL);
	/* A file that includes itself: bounded, an error. */
	snprintf(text, sizeof(text), "%s/loop.conf", dir);
	{
		char body[2200];
		snprintf(body, sizeof(body), "[a]\n x = 1\ninclude %s\n", text);
		write_file(dir, "loop.conf", body);
	}
	EXPECT_EQ_INT(config_parse_file(text, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "include") != NULL);
	EXPECT(cfg == NULL);

	/* clean up */
	{
		const char *names[] = {"crypto-policies", "kcm_default_ccache", "realm-a.conf",
				       "zz_last", "crypto-policies~", "krb5.conf.rpmsave",
				       ".hidden.conf"};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(text, sizeof(text), "%s/%s", sub, names[i]);
			unlink(text);
		}
		snprintf(text, sizeof(text), "%s/skipped.d", sub);
		rmdir(text);
		rmdir(sub);
		const char *top[] = {"extra", "krb5.conf", "t1.conf", "t2.conf", "t3.conf",
				     "loop.conf"};
		for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
			snprintf(text, sizeof(text), "%s/%s", dir, top[i]);
			unlink(text);
		}
		rmdir(dir);
	}
}

int
main(void)
{
	struct config *cfg = NULL;
	char err[256];
	int64_t d;
	bool b;
	char items[4][64];
	size_t n;

	/* durations */
	EXPECT_EQ_INT(config_parse_duration("36000", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 36000);
	EXPECT_EQ_INT(config_parse_duration("10h", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 36000);
	EXPECT_EQ_INT(config_parse_duration("7d", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 7 * 86400);
	EXPECT_EQ_INT(config_parse_duration("1d 2h", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 86400 + 7200);
	EXPECT_EQ_INT(config_parse_duration("1d2h30m10s", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 86400 + 7200 + 1800 + 10);
	EXPECT_EQ_INT(config_parse_duration("10:00:00", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 36000);
	EXPECT_EQ_INT(config_parse_duration("1:30", &d), ORTH_OK);
	EXPECT_EQ_INT(d, 5400);
	EXPECT_EQ_INT(config_parse_duration("", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("10x", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("-5", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("h", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("1:99", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("99999999999999999999d", &d), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_parse_duration("100000000d", &d), ORTH_E_CONFIG);

	/* booleans, lists */
	EXPECT_EQ_INT(config_parse_bool("Yes", &b), ORTH_OK);
	EXPECT(b);
	EXPECT_EQ_INT(config_parse_bool("false", &b), ORTH_OK);
	EXPECT(!b);
	EXPECT_EQ_INT(config_parse_bool("maybe", &b), ORTH_E_CONFIG);
	EXPECT_EQ_INT(config_split_list(" a, b  c,,d ", items, 4, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 4);
	EXPECT(strcmp(items[3], "d") == 0);
	EXPECT_EQ_INT(config_split_list("a b c d e", items, 4, &n), ORTH_E_LIMIT);

	/* a good file (sample_conf.h), the generic tree */
	EXPECT_EQ_INT(parse(sample_kdc_conf, &cfg, err, sizeof(err)), ORTH_OK);
	if (cfg == NULL)
		return test_done("config");
	EXPECT(strcmp(config_get(cfg, "realms", "EX.COM", "max_life", NULL), "10h 30m") == 0);
	EXPECT(strcmp(config_get(cfg, "realms", "EX.COM", "sub", "deep", NULL),
		      "quoted  value\tx") == 0);
	EXPECT(config_get(cfg, "realms", "EX.COM", NULL) == NULL); /* subtree */
	EXPECT(config_get(cfg, "realms", "NOPE", "max_life", NULL) == NULL);
	{
		const char *v = config_get(cfg, "realms", "OTHER.ORG", "max_life", NULL);
		EXPECT(v != NULL && strcmp(v, "10:00:00") == 0);
	}

	config_free(cfg);
	cfg = NULL;

	/* syntax errors name the file and the line */
	expect_syntax_error("[a]\n\n\nnovalue\n", "t.conf:4:");
	expect_syntax_error("[a]\nR = {\n x = 1\n", "opened at line 2");
	expect_syntax_error("[a]\n}\n", "t.conf:2:");
	expect_syntax_error("[a\n", "t.conf:1:");
	expect_syntax_error("[a]\nR = {\n[b]\n", "t.conf:3:");
	expect_syntax_error("[a]\n = 3\n", "t.conf:2:");
	{
		char deep[512] = "[a]\n";
		for (int i = 0; i < CONFIG_MAX_DEPTH + 2; i++)
			strcat(deep, "x = {\n");
		expect_syntax_error(deep, "too deep");
	}
	/* an embedded NUL */
	EXPECT_EQ_INT(config_parse_string("[a]\nx = 1\0\n", 11, "t.conf", &cfg, err, sizeof(err)),
		      ORTH_E_CONFIG);
	/* missing file */
	EXPECT_EQ_INT(config_parse_file("/nonexistent/kdc.conf", &cfg, err, sizeof(err)),
		      ORTH_E_NOTFOUND);
	EXPECT(strstr(err, "/nonexistent/kdc.conf") != NULL);

	test_profile_syntax();
	test_includes();

	/* path choice */
	setenv("ORTHRUS_CONFIG", "/env.conf", 1);
	EXPECT(strcmp(config_path_choose("/opt.conf"), "/opt.conf") == 0);
	EXPECT(strcmp(config_path_choose(NULL), "/env.conf") == 0);
	unsetenv("ORTHRUS_CONFIG");
	EXPECT(strcmp(config_path_choose(NULL), CONFIG_DEFAULT_PATH) == 0);

	return test_done("config");
}
