/*
 * test_ldap_config.c - the directory backend's kdc.conf relations
 * (src/db/ldap_config.h): a kldap module read, LMDB when none is named,
 * the refusals, and MIT's service password file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/ldap_config.h"
#include "../test.h"

static orth_err
load(const char *text, const char *realm, struct ldap_config *lc, struct config **cfg,
     char *err, size_t errlen)
{
	orth_err ret;

	*cfg = NULL;
	ret = config_parse_string(text, strlen(text), "kdc.conf", cfg, err, errlen);
	if (ret != ORTH_OK)
		return ret;
	return ldap_config_load(*cfg, realm, lc, err, errlen);
}

static const char good[] =
	"[realms]\n"
	"  EX.COM = {\n"
	"    database_name = /tmp/x.mdb\n"
	"    database_module = openldap\n"
	"  }\n"
	"  LOCAL.COM = {\n"
	"    database_name = /tmp/y.mdb\n"
	"  }\n"
	"  MIT.COM = {\n"
	"    database_module = db2mod\n"
	"  }\n"
	"[dbmodules]\n"
	"  openldap = {\n"
	"    db_library = kldap\n"
	"    ldap_servers = ldap://127.0.0.1:3890/ ldaps://ldap2.ex.com,ldapi:///\n"
	"    ldap_kerberos_container_dn = cn=krbcontainer,dc=ex,dc=com\n"
	"    ldap_kdc_dn = cn=kdc,dc=ex,dc=com\n"
	"    ldap_service_password_file = /etc/orthrus/service.keyfile\n"
	"    ldap_conns_per_server = 5\n"
	"    ldap_timeout = 3s\n"
	"    ldap_kdc_id = kdc1.ex.com\n"
	"  }\n"
	"  db2mod = {\n"
	"    db_library = db2\n"
	"  }\n";

static void
test_load(void)
{
	struct ldap_config lc;
	struct config *cfg = NULL;
	char err[512] = "";

	EXPECT_EQ_INT(load(good, "EX.COM", &lc, &cfg, err, sizeof(err)), ORTH_OK);
	EXPECT(lc.enabled);
	EXPECT_EQ_INT(lc.n_servers, 3);
	EXPECT(strcmp(lc.servers[0], "ldap://127.0.0.1:3890/") == 0);
	EXPECT(strcmp(lc.servers[1], "ldaps://ldap2.ex.com") == 0);
	EXPECT(strcmp(lc.servers[2], "ldapi:///") == 0);
	EXPECT(strcmp(lc.realm_dn, "cn=EX.COM,cn=krbcontainer,dc=ex,dc=com") == 0);
	EXPECT(strcmp(lc.kdc_dn, "cn=kdc,dc=ex,dc=com") == 0);
	EXPECT_EQ_INT(lc.timeout, 3);
	EXPECT(strcmp(lc.kdc_id, "kdc1.ex.com") == 0);
	EXPECT(!lc.require_starttls);
	config_free(cfg);
	EXPECT_EQ_INT(load(good, "LOCAL.COM", &lc, &cfg, err, sizeof(err)), ORTH_OK);
	EXPECT(!lc.enabled);
	config_free(cfg);
	EXPECT_EQ_INT(load(good, "MIT.COM", &lc, &cfg, err, sizeof(err)), ORTH_OK);
	EXPECT(!lc.enabled);
	config_free(cfg);
	EXPECT_EQ_INT(load(good, "NONE.COM", &lc, &cfg, err, sizeof(err)), ORTH_OK);
	EXPECT(!lc.enabled);
	config_free(cfg);
}

static void
test_refused(void)
{
	static const struct {
		const char *module, *why;
	} cases[] = {
		{"db_library = kldap\n ldap_kerberos_container_dn = dc=x\n", "no ldap_servers"},
		{"db_library = kldap\n ldap_servers = ldap://a\n ldap_kdc_dn = cn=k\n"
		 " ldap_service_password_file = /f\n", "no ldap_kerberos_container_dn"},
		{"db_library = kldap\n ldap_servers = http://a\n", "ldap_servers"},
		{"db_library = kldap\n ldap_servers = ldap://a ldap://b ldap://c ldap://d"
		 " ldap://e ldap://f ldap://g ldap://h ldap://i\n", "ldap_servers"},
		{"db_library = kldap\n ldap_servers = ldap://a\n ldap_kerberos_container_dn = dc=x\n",
		 "only ldapi://"},
		{"db_library = kldap\n ldap_servers = ldap://a\n ldap_kerberos_container_dn = dc=x\n"
		 " ldap_kdc_dn = cn=k\n", "without ldap_service_password_file"},
		{"db_library = kldap\n ldap_kdc_sasl_mech = GSSAPI\n", "ldap_kdc_sasl_mech"},
		{"db_library = kldap\n ldap_timeout = 0\n", "ldap_timeout"},
		{"db_library = kldap\n ldap_timeout = soon\n", "ldap_timeout"},
		{"db_library = kldap\n ldap_kdc_id = a b\n", "ldap_kdc_id"},
		{"db_library = kldap\n ldap_require_starttls = perhaps\n", "ldap_require_starttls"},
	};
	char text[2048], err[512];
	struct ldap_config lc;
	struct config *cfg = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text),
			 "[realms]\n EX.COM = {\n  database_module = m\n }\n"
			 "[dbmodules]\n m = {\n %s }\n", cases[i].module);
		err[0] = '\0';
		EXPECT_EQ_INT(load(text, "EX.COM", &lc, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
		EXPECT(strstr(err, cases[i].why) != NULL);
		if (strstr(err, cases[i].why) == NULL)
			fprintf(stderr, "    case %zu: %s\n", i, err);
		config_free(cfg);
	}
	/* SASL EXTERNAL over ldapi:// needs no DN. */
	snprintf(text, sizeof(text),
		 "[realms]\n EX.COM = {\n  database_module = m\n }\n"
		 "[dbmodules]\n m = {\n db_library = kldap\n ldap_servers = ldapi:///\n"
		 " ldap_kerberos_container_dn = dc=x\n ldap_kdc_sasl_mech = EXTERNAL\n }\n");
	EXPECT_EQ_INT(load(text, "EX.COM", &lc, &cfg, err, sizeof(err)), ORTH_OK);
	EXPECT(lc.kdc_dn == NULL);
	EXPECT(lc.kdc_id[0] != '\0');
	config_free(cfg);
	/* A module that is not there. */
	snprintf(text, sizeof(text), "[realms]\n EX.COM = {\n  database_module = gone\n }\n");
	EXPECT_EQ_INT(load(text, "EX.COM", &lc, &cfg, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "gone") != NULL);
	config_free(cfg);
}

static void
test_uri(void)
{
	EXPECT(ldap_config_uri_loopback("ldap://127.0.0.1:389/"));
	EXPECT(ldap_config_uri_loopback("ldap://127.1.2.3"));
	EXPECT(ldap_config_uri_loopback("ldap://localhost/"));
	EXPECT(ldap_config_uri_loopback("ldap://[::1]:389/"));
	EXPECT(!ldap_config_uri_loopback("ldap://127.0.0.1.evil.com/"));
	EXPECT(!ldap_config_uri_loopback("ldap://127.example.com/"));
	EXPECT(!ldap_config_uri_loopback("ldap://10.0.0.1/"));
	EXPECT(!ldap_config_uri_loopback("ldap://localhost.evil/"));
	EXPECT(!ldap_config_uri_loopback("ldaps://127.0.0.1/"));
	EXPECT(!ldap_config_uri_loopback("ldap://[::10]/"));
}

static void
test_password(void)
{
	char path[] = "/tmp/test_ldap_config.XXXXXX", pw[64];
	int fd = mkstemp(path);
	/* "secret" in hex, MIT's format; a plain one; CRLF. */
	static const char file[] = "cn=other,dc=x#{HEX}6f74686572\n"
				   "cn=kdc,dc=ex,dc=com#{HEX}736563726574\n"
				   "cn=plain,dc=x#pass word\r\n"
				   "cn=bad,dc=x#{HEX}7g\n"
				   "cn=odd,dc=x#{HEX}736\n"
				   "cn=nul,dc=x#{HEX}610062\n";

	EXPECT(fd >= 0);
	EXPECT(write(fd, file, sizeof(file) - 1) == (ssize_t)(sizeof(file) - 1));
	close(fd);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=kdc,dc=ex,dc=com", pw, sizeof(pw)), ORTH_OK);
	EXPECT(strcmp(pw, "secret") == 0);
	EXPECT_EQ_INT(ldap_config_password(path, "CN=KDC,dc=ex,dc=com", pw, sizeof(pw)), ORTH_OK);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=plain,dc=x", pw, sizeof(pw)), ORTH_OK);
	EXPECT(strcmp(pw, "pass word") == 0);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=kdc", pw, sizeof(pw)), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=bad,dc=x", pw, sizeof(pw)), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=odd,dc=x", pw, sizeof(pw)), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=nul,dc=x", pw, sizeof(pw)), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=kdc,dc=ex,dc=com", pw, 4), ORTH_E_LIMIT);
	unlink(path);
	EXPECT_EQ_INT(ldap_config_password(path, "cn=kdc,dc=ex,dc=com", pw, sizeof(pw)),
		      ORTH_E_NOTFOUND);
}

int
main(void)
{
	test_load();
	test_refused();
	test_uri();
	test_password();
	return test_done("ldap_config");
}
