/* test_kdc_config.c - the KDC's typed view of kdc.conf (src/kdc/kdc_config.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdc/kdc_config.h"
#include "kdc/replay.h"
#include "../sample_conf.h"
#include "../test.h"

static int32_t
fake_enctype(const char *name)
{
	if (strcmp(name, "aes256-cts") == 0 || strcmp(name, "aes256-cts-hmac-sha1-96") == 0)
		return 18;
	if (strcmp(name, "aes128-cts-hmac-sha1-96") == 0)
		return 17;
	if (strcmp(name, "19") == 0)
		return 19;
	return -1;
}

static orth_err
parse(const char *text, struct config **cfg, char *err, size_t errlen)
{
	return config_parse_string(text, strlen(text), "t.conf", cfg, err, errlen);
}

/* kdc_config_load of text into kc: its verdict, the error in err.  Only
 * kc's numbers outlive the call (its strings point into the parsed text). */
static orth_err
load_text(struct kdc_config *kc, const char *text, char *err, size_t errlen)
{
	struct config *cfg = NULL;
	orth_err ret;

	EXPECT_EQ_INT(parse(text, &cfg, err, errlen), ORTH_OK);
	ret = kdc_config_load(cfg, fake_enctype, kc, err, errlen);
	config_free(cfg);
	return ret;
}

/* kdc_replay_cache_size=value in [kdcdefaults] (NULL: not there). */
static orth_err
load_replay_size(struct kdc_config *kc, const char *value, char *err, size_t errlen)
{
	char text[256];

	snprintf(text, sizeof(text), "[kdcdefaults]\n%s%s%s[realms]\n\tEX.COM = {\n\t}\n",
		 value ? "\tkdc_replay_cache_size = " : "", value ? value : "", value ? "\n" : "");
	return load_text(kc, text, err, errlen);
}

/* [kdcdefaults] kdc_replay_cache_size reaches the cache the KDC makes
 * with it (src/cli/kdc.c: kdc_replay_new(kc->replay_cache_size, ...));
 * a bad value is refused with file:line and the range. */
static void
test_replay_cache_size(struct kdc_config *kc)
{
	static const char *const bad[] = {"lots", "0", "63", "-64", "1G", "16MB", "16 M",
					  "99999999999999999999", "18446744073709551615K", ""};
	struct kdc_replay *rc = NULL;
	char err[256];

	EXPECT_EQ_INT(load_replay_size(kc, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(kc->replay_cache_size, 0);
	EXPECT_EQ_INT(kdc_replay_new(kc->replay_cache_size, 300, &rc), ORTH_OK);
	EXPECT(rc != NULL && kdc_replay_capacity(rc) == KDC_REPLAY_DEFAULT_CAPACITY);
	kdc_replay_free(rc);
	rc = NULL;

	EXPECT_EQ_INT(load_replay_size(kc, "3000001", err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(kc->replay_cache_size, 3000001);
	EXPECT_EQ_INT(kdc_replay_new(kc->replay_cache_size, 300, &rc), ORTH_OK);
	/* rounded up to whole groups of 64 */
	EXPECT(rc != NULL && kdc_replay_capacity(rc) == 3000064);
	kdc_replay_free(rc);
	rc = NULL;
	EXPECT_EQ_INT(load_replay_size(kc, "64", err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(kc->replay_cache_size, 64);
	EXPECT_EQ_INT(load_replay_size(kc, "32M", err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(kc->replay_cache_size, 32u << 20);
	EXPECT_EQ_INT(load_replay_size(kc, "256m", err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(kc->replay_cache_size, KDC_REPLAY_MAX_CAPACITY);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		EXPECT_EQ_INT(load_replay_size(kc, bad[i], err, sizeof(err)), ORTH_E_CONFIG);
		EXPECT(strstr(err, "t.conf:2: bad value for kdc_replay_cache_size") != NULL);
		EXPECT(strstr(err, "268435456") != NULL);
	}
}

int
main(void)
{
	struct config *cfg = NULL;
	struct kdc_config *kc = calloc(1, sizeof(*kc));
	char err[256];
	size_t n;

	EXPECT(kc != NULL);
	EXPECT_EQ_INT(parse(sample_kdc_conf, &cfg, err, sizeof(err)), ORTH_OK);
	if (cfg == NULL || kc == NULL)
		return test_done("kdc_config");
	/* the typed view; the unknown relation is warned about with file:line */
	{
		char tmpl[] = "/tmp/cfgwarn.XXXXXX";
		int fd = mkstemp(tmpl), saved = dup(2);
		char buf[1024] = "";
		FILE *f;
		dup2(fd, 2);
		EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_OK);
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		f = fdopen(fd, "r");
		rewind(f);
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		unlink(tmpl);
		EXPECT(strstr(buf, "t.conf:17:") != NULL);
		EXPECT(strstr(buf, "frobnicate") != NULL);
		EXPECT(strstr(buf, "t.conf:18:") != NULL); /* unknown subtree */
	}
	EXPECT(strcmp(kc->default_realm, "EX.COM") == 0);
	EXPECT_EQ_INT(kc->n_listen, 2);
	EXPECT(strcmp(kc->listen[1], "[::1]:8888") == 0);
	EXPECT_EQ_INT(kc->n_tcp_listen, 1);
	EXPECT_EQ_INT(kc->n_realms, 2);
	{
		const struct kdc_config_realm *r = kdc_config_realm(kc, NULL);
		EXPECT(r != NULL && strcmp(r->name, "EX.COM") == 0);
		if (r != NULL) {
			EXPECT_EQ_INT(r->max_life, 37800);
			EXPECT_EQ_INT(r->max_renewable_life, 7 * 86400);
			EXPECT_EQ_INT(r->n_enctypes, 3);
			EXPECT_EQ_INT(r->supported_enctypes[0], 18);
			EXPECT_EQ_INT(r->supported_enctypes[2], 19);
			EXPECT(strcmp(r->database_name, "/tmp/x.mdb") == 0);
			EXPECT(strcmp(r->default_principal_flags, "+preauth") == 0);
			EXPECT_EQ_INT(r->keep_old_keys, 3);
		}
		r = kdc_config_realm(kc, "OTHER.ORG");
		EXPECT(r != NULL && r->max_life == 36000);
		EXPECT(r != NULL && r->n_enctypes == 4); /* default list */
		EXPECT(r != NULL && strcmp(r->database_name, "/var/lib/orthrus/OTHER.ORG.mdb") == 0);
		EXPECT(kdc_config_realm(kc, "NONE") == NULL);
	}
	config_free(cfg);
	cfg = NULL;

	/* database_map_size: bytes, K/M/G allowed, at least 64 KiB */
	EXPECT_EQ_INT(load_text(kc, "[realms]\nR = {\n database_map_size = 4G\n}\n", err,
				sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(kc->realms[0].database_map_size, 4ull << 30);
	EXPECT_EQ_INT(load_text(kc, "[realms]\nR = {\n database_map_size = 1k\n}\n", err,
				sizeof(err)),
		      ORTH_E_CONFIG);
	EXPECT(strstr(err, "t.conf:3: bad value for database_map_size") != NULL);

	/* bad values are errors naming the line */
	EXPECT_EQ_INT(parse("[realms]\nR = {\n max_life = forever\n}\n", &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "t.conf:3:") != NULL);
	config_free(cfg);
	EXPECT_EQ_INT(parse("[realms]\nR = {\n supported_enctypes = des-cbc-crc\n}\n", &cfg, err,
			    sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "des-cbc-crc") != NULL);
	config_free(cfg);
	/* disable_encrypted_timestamp: a boolean, default false */
	EXPECT_EQ_INT(parse("[realms]\nR = {\n disable_encrypted_timestamp = true\n}\nS = {\n}\n",
			    &cfg, err, sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_OK);
	EXPECT(kdc_config_realm(kc, "R") != NULL && kdc_config_realm(kc, "R")->disable_encrypted_timestamp);
	EXPECT(kdc_config_realm(kc, "S") != NULL && !kdc_config_realm(kc, "S")->disable_encrypted_timestamp);
	config_free(cfg);
	EXPECT_EQ_INT(parse("[realms]\nR = {\n disable_encrypted_timestamp = maybe\n}\n", &cfg, err,
			    sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_E_CONFIG);
	config_free(cfg);
	cfg = NULL;

	/* [kdcdefaults] user, group, metrics_listen (empty: off) */
	{
		static const char ops[] = "[kdcdefaults]\n\tuser = orthrus\n\tgroup = kdc\n"
					  "\tmetrics_listen = 127.0.0.1:9188\n"
					  "[realms]\n\tEX.COM = {\n\t}\n";
		static const char off[] = "[kdcdefaults]\n\tmetrics_listen =\n"
					  "[realms]\n\tEX.COM = {\n\t}\n";
		EXPECT_EQ_INT(parse(ops, &cfg, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_OK);
		EXPECT(kc->user != NULL && strcmp(kc->user, "orthrus") == 0);
		EXPECT(kc->group != NULL && strcmp(kc->group, "kdc") == 0);
		EXPECT(kc->metrics_listen != NULL && strcmp(kc->metrics_listen, "127.0.0.1:9188") == 0);
		config_free(cfg);
		EXPECT_EQ_INT(parse(off, &cfg, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(kdc_config_load(cfg, fake_enctype, kc, err, sizeof(err)), ORTH_OK);
		EXPECT(kc->user == NULL && kc->group == NULL && kc->metrics_listen == NULL);
		config_free(cfg);
	}
	test_replay_cache_size(kc);
	free(kc);
	return test_done("kdc_config");
}
