/*
 * sample_conf.h - one kdc.conf for the tests of the profile parser
 * (tests/unit/base/test_config.c: the generic tree) and of the KDC's
 * typed view of it (tests/unit/kdc/test_kdc_config.c), so that both read
 * the same file: comments, sections, lists, a nested group, an unknown
 * relation, final markers (*).
 */
#ifndef ORTHRUS_TESTS_SAMPLE_CONF_H
#define ORTHRUS_TESTS_SAMPLE_CONF_H

static const char sample_kdc_conf[] =
	"# a comment\n"
	"; another\n"
	"[kdcdefaults]\n"
	"\tkdc_listen = 127.0.0.1:8888, [::1]:8888\n"
	"\tkdc_tcp_listen = 127.0.0.1:8888\n"
	"\n"
	"[libdefaults]\n"
	"\tdefault_realm = EX.COM\n"
	"[realms]\n"
	"\tEX.COM = {\n"
	"\t\tdatabase_name = /tmp/x.mdb\n"
	"\t\tkey_stash_file = /tmp/x.stash\n"
	"\t\tmax_life = 10h 30m\n"
	"\t\tmax_renewable_life = 7d\n"
	"\t\tsupported_enctypes = aes256-cts:normal aes128-cts-hmac-sha1-96:normal,19\n"
	"\t\tdefault_principal_flags = +preauth\n"
	"\t\tfrobnicate = yes\n"
	"\t\tsub = {\n"
	"\t\t\tdeep = \"quoted  value\\tx\"\n"
	"\t\t}\n"
	"\t}\n"
	"\tOTHER.ORG = {\n"
	"\t\tmax_life* = 10:00:00\n"
	"\t}*\n";

#endif
