/*
 * ldap_entry.h - principals and policies as entries of an LDAP directory
 * with MIT's Kerberos schema (kerberos.schema of MIT krb5, Debian
 * krb5-kdc-ldap) plus ours (dist/ldap/orthrus.schema), both ways:
 * directory entry <-> struct db_entry / struct db_policy of db.h.
 *
 * No libldap here: an entry is a DN and a list of attributes with their
 * values as bytes, as a search result gives them, so that the mapping is
 * testable and fuzzable alone.  Everything read from a directory is
 * untrusted: decoding is strict and bounded (LDAP_MAX_* below, and db.h's
 * limits), and what decodes also encodes as a db record (db_entry_encode),
 * so a refused entry is refused here, whole, and never half-applied.
 *
 * The principal attributes (krbPrincipalAux, krbTicketPolicyAux):
 *   krbCanonicalName, else the single krbPrincipalName  name
 *   krbTicketFlags           attributes (DB_ATTR_*, MIT's bits; a signed
 *                            32-bit integer as MIT writes it)
 *   krbMaxTicketLife, krbMaxRenewableAge       max_life, max_renew (s)
 *   krbPrincipalExpiration, krbPasswordExpiration, krbLastPwdChange,
 *   krbLastFailedAuth, krbLastSuccessfulAuth   GeneralizedTime
 *                            "YYYYMMDDHHMMSSZ" (absent: 0)
 *   krbLoginFailedCount      fail_count, unless orthrusFailedAuth is there
 *   krbPwdPolicyReference    policy: the DN of a krbPwdPolicy entry whose
 *                            first RDN is cn=<policy name>
 *   krbPrincipalKey          one KrbKeySet (krb5.asn1) per kvno; newest
 *                            first once decoded
 *   krbPwdHistory            one KrbKeySet of one key per earlier password
 *                            (Orthrus's use of MIT's attribute: MIT's own
 *                            values there are not read)
 *   krbAllowedToDelegateTo   deleg (S4U2Proxy targets): one name a value,
 *                            at most DB_MAX_DELEG, none twice; written
 *                            as the KDC compares them (canonical, with
 *                            the realm), so a value without its realm
 *                            matches no target
 *   orthrusFailedAuth        failed pre-authentications, one value each
 *                            (dist/ldap/orthrus.schema): see
 *                            ldap_failures_fold
 *   modifyTimestamp          mod_time (operational, read only); mod_by
 *                            is not kept in the directory ("")
 * Keys.  keyvalue of a KrbKey is the key sealed under the realm master key
 * exactly as in the LMDB record, DB_SEAL_BOUND (db.h "Keys at rest"):
 * bound to its principal, kvno and enctype, so a key value copied to
 * another entry of the directory is refused like one moved in a dump.  A
 * DB_SEAL_RAW key is never written (bind it first: ORTH_E_RANGE).  The
 * salt is always written; a KrbKey without one (as MIT writes for the
 * normal salt) decodes with an empty DB_SALT_NORMAL salt.
 *
 * The policy attributes (krbPwdPolicy): cn (the name), krbMaxPwdLife,
 * krbMinPwdLife, krbPwdMinLength, krbPwdMinDiffChars (character classes,
 * as MIT uses it), krbPwdHistoryLength, krbPwdMaxFailure,
 * krbPwdFailureCountInterval, krbPwdLockoutDuration, krbPwdAllowedKeysalts
 * (MIT's "enctype:salttype,..." list; only the enctypes are kept).
 *
 * Attributes not named here are ignored (objectClass, MIT's others).
 * Attribute names compare case-insensitively (RFC 4512 §2.5).  The tables
 * in ldap_entry.c are the one place to add an attribute.
 */
#ifndef ORTHRUS_DB_LDAP_ENTRY_H
#define ORTHRUS_DB_LDAP_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "db.h"

#define LDAP_MAX_ATTRS 64          /* attributes of one entry */
#define LDAP_MAX_VALUES 64         /* values of one attribute (but below) */
#define LDAP_MAX_FAILURES 1024     /* orthrusFailedAuth values */
#define LDAP_MAX_VALUE 4096        /* bytes of one value */
#define LDAP_MAX_DN 2048           /* bytes of a DN */
#define LDAP_MAX_KDC_ID 64         /* bytes of the KDC id in a failure */
#define LDAP_KEYSET_MAJOR 1        /* KrbKeySet attribute-major-vno */
#define LDAP_KEYSET_MINOR 1

struct ldap_value {
	const uint8_t *data;       /* not NUL-terminated */
	size_t len;
};

struct ldap_attr {
	const char *name;          /* NUL-terminated */
	size_t nvals;
	const struct ldap_value *vals;
};

/* One directory entry: its DN and attributes (all owned by the caller). */
struct ldap_dentry {
	const char *dn;
	size_t nattrs;
	const struct ldap_attr *attrs;
};

/*
 * The failed pre-authentications of an entry (orthrusFailedAuth), their
 * times in the order read.  A value is "<YYYYMMDDHHMMSSZ> <kdc id>
 * <sequence>": the KDC id 1..LDAP_MAX_KDC_ID bytes of printable ASCII
 * without spaces, the sequence a decimal number.
 */
struct ldap_failures {
	size_t n;
	int64_t *times;            /* n times, arena memory */
};

/*
 * The KrbKeySet DER of ks (every key DB_SEAL_BOUND) into arena memory.
 * ORTH_E_RANGE: a raw key; ORTH_E_LIMIT: over db.h's limits or a.
 */
orth_err ldap_keyset_encode(const struct db_keyset *ks, struct arena *a,
			    uint8_t **out, size_t *len_out);
/*
 * Decode one KrbKeySet (strict DER) into *out, pointers into a: 1 to
 * DB_MAX_KEYS keys of distinct enctypes, each sealed DB_SEAL_BOUND for
 * ks's kvno.  ORTH_E_MALFORMED and the DER errors, ORTH_E_RANGE (major
 * version not 1, salt type out of range), ORTH_E_LIMIT.
 */
orth_err ldap_keyset_decode(const uint8_t *buf, size_t len, struct arena *a,
			    struct db_keyset *out);

/*
 * A directory entry as a principal: *out and *fail_out (may be NULL) point
 * into a.  When the entry has failure records, out->fail_count is their
 * number and out->last_failed the newest (fold them with the policy's
 * interval with ldap_failures_fold).  On failure a line saying which
 * attribute is wrong goes to err (may be NULL).  Errors: ORTH_E_MALFORMED
 * (a value that does not parse, a missing or ambiguous name),
 * ORTH_E_RANGE, ORTH_E_LIMIT (a count or size over the limits above).
 */
orth_err ldap_entry_decode(const struct ldap_dentry *d, struct arena *a,
			   struct db_entry *out, struct ldap_failures *fail_out,
			   char *err, size_t errlen);
/*
 * e as a directory entry below base_dn (DN "krbPrincipalName=<name>,
 * <base_dn>"), its policy reference below policy_dn.  Every attribute of
 * the table is in *out, those without a value with nvals 0 (for a modify:
 * replace with nothing deletes), in arena memory.  Not written:
 * krbLastSuccessfulAuth and the failure records (the KDC's lockout writes
 * those), modifyTimestamp.  ORTH_E_RANGE: a raw key; ORTH_E_LIMIT.
 */
orth_err ldap_entry_encode(const struct db_entry *e, const char *base_dn,
			   const char *policy_dn, struct arena *a,
			   struct ldap_dentry *out);

/*
 * Fold failure records into e's lockout state: fail_count = the failures
 * no older than interval seconds before the newest (interval 0: all),
 * last_failed = the newest; unchanged when f has none.  The same rule
 * lockout.h applies to a single count: a failure more than interval after
 * the previous one restarts it.
 */
void ldap_failures_fold(const struct ldap_failures *f, int64_t interval,
			struct db_entry *e);
/* A failure record's value into buf ("20261202061500Z kdc1 17"); *len_out
 * set.  ORTH_E_LIMIT when it does not fit or kdc_id is not valid. */
orth_err ldap_failure_format(int64_t when, const char *kdc_id, uint64_t seq,
			     char *buf, size_t cap, size_t *len_out);

/* A krbPwdPolicy entry as a policy, pointers into a.  Errors as above. */
orth_err ldap_policy_decode(const struct ldap_dentry *d, struct arena *a,
			    struct db_policy *out, char *err, size_t errlen);
/* p as a krbPwdPolicy entry "cn=<name>,<base_dn>", as ldap_entry_encode. */
orth_err ldap_policy_encode(const struct db_policy *p, const char *base_dn,
			    struct arena *a, struct ldap_dentry *out);

/*
 * The DN "<attr>=<value escaped per RFC 4514 §2.4>,<base_dn>" in a; NULL
 * when a is full or it would exceed LDAP_MAX_DN.
 */
char *ldap_dn_make(const char *attr, const char *value, const char *base_dn,
		   struct arena *a);
/*
 * The value of dn's first RDN when its attribute is attr (RFC 4514
 * escapes undone), in a.  ORTH_E_MALFORMED when dn does not start with
 * attr=, has a multi-valued RDN or a bad escape, or the value is empty or
 * holds anything but printable ASCII.
 */
orth_err ldap_dn_first_value(const char *dn, const char *attr, struct arena *a,
			     const char **out);

#endif
