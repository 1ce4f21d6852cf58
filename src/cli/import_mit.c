/*
 * import_mit.c - `orthrus admin import-mit DUMPFILE --mit-stash STASH`:
 * move the principals and policies of an MIT krb5 realm into an Orthrus
 * database (made by `orthrus admin init` for the same realm), keeping the
 * users' keys, so that their passwords stay what they were.
 *
 * The dump is read twice.  The first pass verifies MIT's master key (the
 * stash) against K/M's keys, unseals kadmin/history's keys (the password
 * histories are sealed under them) and converts the policies (MIT writes
 * them last, principals refer to them).  The second pass converts every
 * principal: each key is unsealed with MIT's master key (mitdump.h) and
 * sealed again under ours, bound to its principal, kvno and enctype
 * (db_key_seal); attributes (MIT's KRB5_KDB_* bits are our DB_ATTR_*),
 * lifetimes, expirations, the last password change, the modifier, the
 * policy, the lockout state (MIT's fail_auth_count, last_failed,
 * last_success; a later administrator unlock clears the count as MIT's
 * lockout check does) and the password history come along.  Everything is
 * one write transaction: all or nothing (--dry-run converts everything
 * and writes nothing).  Principals already in the database (those of
 * `admin init`: krbtgt, kadmin/admin, kadmin/changepw) are replaced by
 * MIT's, whose krbtgt key keeps the tickets MIT issued valid.
 *
 * What cannot be mapped is skipped and said in the summary: K/M (MIT's
 * master key: ours stays in our stash), kadmin/history (its key only
 * served to read the histories), principals of other realms (cross-realm
 * keys MIT keeps under the other realm's name), keys of enctypes we do
 * not support (DES, triple DES, RC4, Camellia: the principal keeps its
 * other keys; a principal left with none is named, it needs a new
 * password), keys of the AFS3 salt, string attributes and other tl-data,
 * policy fields we have no place for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "base/file.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/dump.h"
#include "db/mitdump.h"
#include "proto/principal.h"

#define CMD "admin"
#define MAX_MKEYS 16
#define MAX_HIST_KEYS 16
#define NOTES_SHOWN 20
#define MAX_ENCTYPE_COUNTS 32
#define LINE_ARENA (8u << 20)
#define STASH_MAX 65536

/* MIT's attribute bits with no DB_ATTR_ meaning that are dropped without
 * a note: KRB5_KDB_NEW_PRINC (kadmin's own bookkeeping). */
#define MIT_ATTR_NEW_PRINC 0x00008000u
#define DB_ATTR_KNOWN                                                                       \
	(DB_ATTR_DISALLOW_POSTDATED | DB_ATTR_DISALLOW_FORWARDABLE |                        \
	 DB_ATTR_DISALLOW_TGT_BASED | DB_ATTR_DISALLOW_RENEWABLE |                         \
	 DB_ATTR_DISALLOW_PROXIABLE | DB_ATTR_DISALLOW_DUP_SKEY | DB_ATTR_DISALLOW_ALL_TIX |\
	 DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_REQUIRES_HWAUTH | DB_ATTR_REQUIRES_PWCHANGE |   \
	 DB_ATTR_DISALLOW_SVR | DB_ATTR_PWCHANGE_SERVICE | DB_ATTR_OK_AS_DELEGATE |        \
	 DB_ATTR_OK_TO_AUTH_AS_DELEGATE | DB_ATTR_NO_AUTH_DATA_REQUIRED |                  \
	 DB_ATTR_LOCKDOWN_KEYS)

/* Lines of the summary, each malloc'd. */
struct notes {
	char **v;
	size_t n, cap;
};

struct et_count {
	int32_t et;
	size_t n;
};

struct mkey {
	uint32_t kvno;
	struct crypto_key *key;
};

struct progress {
	bool on;
	uint64_t total;
	int last;
	const char *label;
};

struct imp {
	struct admin *ad;
	const char *dump_path, *stash_path;
	bool dry_run, verbose;
	unsigned version;
	FILE *f;
	char *line;
	long body;                   /* offset of the first line after the header */
	unsigned lineno;
	struct progress prog;
	struct arena la;             /* one line's worth */
	struct arena pa;             /* the whole run: converted policies */

	struct mkey mkeys[MAX_MKEYS];
	size_t nmkeys;
	const char *km_name;         /* "K/M@REALM" */
	const char *hist_name;       /* "kadmin/history@REALM" */
	bool mkey_verified;
	struct mkey hkeys[MAX_HIST_KEYS]; /* kadmin/history's keys */
	size_t nhkeys;

	struct db_policy *pols;
	size_t npols, cap_pols;

	/* the summary */
	size_t nprinc_read, npol_read, nprinc, hist_princs, hist_entries;
	struct et_count kept[MAX_ENCTYPE_COUNTS], dropped[MAX_ENCTYPE_COUNTS];
	struct notes skipped, keyless, replaced, notes;
};

/* ---- small helpers ---- */

static void
note_add(struct notes *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note_add(struct notes *ns, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 16;
		char **v = realloc(ns->v, cap * sizeof(*v));
		if (v == NULL) {
			free(s);
			return;
		}
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n++] = s;
}

static void
notes_print(const struct notes *ns, const char *indent, bool all)
{
	size_t shown = all ? ns->n : (ns->n < NOTES_SHOWN ? ns->n : NOTES_SHOWN);

	for (size_t i = 0; i < shown; i++)
		printf("%s%s\n", indent, ns->v[i]);
	if (shown < ns->n)
		printf("%s... and %zu more (--verbose lists them all)\n", indent, ns->n - shown);
}

static void
notes_free(struct notes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

static void
et_add(struct et_count *c, int32_t et)
{
	for (size_t i = 0; i < MAX_ENCTYPE_COUNTS; i++) {
		if (c[i].n == 0)
			c[i].et = et;
		if (c[i].et == et) {
			c[i].n++;
			return;
		}
	}
}

static const char *
et_name(int32_t et, char *buf, size_t cap)
{
	const char *n = mitdump_enctype_name(et);
	if (n != NULL)
		return n;
	snprintf(buf, cap, "enctype %d", (int)et);
	return buf;
}

static size_t
et_print(const struct et_count *c)
{
	size_t total = 0;
	char b[32];

	for (size_t i = 0; i < MAX_ENCTYPE_COUNTS && c[i].n > 0; i++) {
		printf("%s%s %zu", i ? ", " : "", et_name(c[i].et, b, sizeof(b)), c[i].n);
		total += c[i].n;
	}
	return total;
}

/* ---- progress: on a terminal only, by the bytes of the dump read ---- */

static void
progress_start(struct progress *p, FILE *f, const char *label)
{
	struct stat st;

	p->on = isatty(STDERR_FILENO) && fstat(fileno(f), &st) == 0 && st.st_size > 0;
	p->total = p->on ? (uint64_t)st.st_size : 0;
	p->last = -1;
	p->label = label;
}

static void
progress_update(struct progress *p, FILE *f, size_t count)
{
	long pos;
	int pct, bar;

	if (!p->on || (pos = ftell(f)) < 0)
		return;
	pct = (int)((uint64_t)pos * 100 / p->total);
	if (pct == p->last)
		return;
	p->last = pct;
	bar = pct / 4;
	fprintf(stderr, "\r%s [%.*s%*s] %3d%%  %zu", p->label, bar,
		"#########################", 25 - bar, "", pct, count);
	fflush(stderr);
}

static void
progress_end(struct progress *p)
{
	if (p->on && p->last >= 0)
		fprintf(stderr, "\r%*s\r", 60, "");
	p->last = -1;
}

/* ---- MIT's master key ---- */

/* The stash: a keytab (MIT 1.7 and later) or the older raw format. */
static int
stash_read(struct imp *im)
{
	uint8_t *buf = NULL;
	size_t len = 0, n = 0;
	struct keytab_entry *ents = NULL;
	struct arena a = {0};
	orth_err ret;
	int fd, rc = 1;
	int32_t et = 0;
	char b[32];

	fd = open(im->stash_path, O_RDONLY | O_CLOEXEC);
	ret = fd < 0 ? orth_err_from_errno(errno) : file_read_all(fd, STASH_MAX, &buf, &len);
	if (fd >= 0)
		close(fd);
	if (ret != ORTH_OK) {
		cli_error(CMD, "import-mit: cannot read the MIT stash %s: %s", im->stash_path,
			  orth_err_str(ret));
		goto cleanup;
	}
	if (len >= 2 && buf[0] == 0x05 && buf[1] == 0x02) {
		if (arena_init(&a, 1 << 20) != ORTH_OK ||
		    keytab_decode(buf, len, &a, &ents, &n, NULL) != ORTH_OK || n == 0) {
			cli_error(CMD, "import-mit: %s is not an MIT stash (a keytab that does not "
				  "decode)", im->stash_path);
			goto cleanup;
		}
		for (size_t i = 0; i < n && im->nmkeys < MAX_MKEYS; i++) {
			struct mkey *m = &im->mkeys[im->nmkeys];
			if (!crypto_enctype_supported(ents[i].enctype)) {
				et = ents[i].enctype;
				continue;
			}
			if (crypto_key_new(ents[i].enctype, ents[i].key, ents[i].key_len, &m->key) !=
			    ORTH_OK)
				continue;
			m->kvno = ents[i].kvno;
			im->nmkeys++;
		}
	} else {
		ret = mitdump_stash_legacy_decode(buf, len, &et, &im->mkeys[0].key);
		if (ret == ORTH_OK) {
			im->mkeys[0].kvno = 1;
			im->nmkeys = 1;
		} else if (ret != ORTH_E_ENCTYPE) {
			cli_error(CMD, "import-mit: %s is not an MIT stash file", im->stash_path);
			goto cleanup;
		}
	}
	if (im->nmkeys == 0) {
		cli_error(CMD, "import-mit: MIT's master key is %s, which Orthrus does not support: "
			  "give the MIT realm an AES master key first (kdb5_util add_mkey -e "
			  "aes256-cts-hmac-sha1-96 -s; kdb5_util use_mkey; kdb5_util "
			  "update_princ_encryption), then dump it again", et_name(et, b, sizeof(b)));
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (buf != NULL) {
		crypto_wipe(buf, len);
		free(buf);
	}
	arena_free(&a);
	return rc;
}

/* Unseal kd with the master key of kvno mkvno, or any other of the stash
 * (and of kadmin/history's keys for a history key: keys, nkeys). */
static orth_err
unseal_any(const struct mkey *keys, size_t nkeys, uint32_t kvno, const struct mit_key_data *kd,
	   struct crypto_key **out)
{
	orth_err ret = ORTH_E_MASTERKEY;

	for (int pass = 0; pass < 2 && ret == ORTH_E_MASTERKEY; pass++)
		for (size_t i = 0; i < nkeys && ret == ORTH_E_MASTERKEY; i++)
			if ((pass == 0) == (keys[i].kvno == kvno))
				ret = mitdump_key_unseal(keys[i].key, kd, out);
	return ret;
}

/* The kvno of the master key sealing p's keys: its MKVNO tl-data, else
 * the lowest of the stash (MIT's krb5_dbe_get_mkvno). */
static uint32_t
princ_mkvno(const struct imp *im, const struct mit_princ *p)
{
	uint16_t v;
	uint32_t low = UINT32_MAX;

	if (mitdump_tl_u16(p, MIT_TL_MKVNO, &v) == ORTH_OK)
		return v;
	for (size_t i = 0; i < im->nmkeys; i++)
		if (im->mkeys[i].kvno < low)
			low = im->mkeys[i].kvno;
	return low;
}

/* ---- reading the dump ---- */

/* The next line into im->line (len), counting; ORTH_E_NOTFOUND at the
 * end.  Other errors are reported here. */
static orth_err
next_line(struct imp *im, size_t *len)
{
	orth_err ret = db_line_read(im->f, im->line, MITDUMP_MAX_LINE, len);

	if (ret == ORTH_OK) {
		im->lineno++;
	} else if (ret != ORTH_E_NOTFOUND) {
		progress_end(&im->prog);
		cli_error(CMD, "import-mit: %s:%u: %s; nothing was imported", im->dump_path,
			  im->lineno + 1,
			  ret == ORTH_E_TRUNCATED ? "the last line is cut (the dump is incomplete)"
			  : ret == ORTH_E_LIMIT   ? "a line too long or holding a NUL"
						  : strerror(errno));
	}
	return ret;
}

static int
header_read(struct imp *im)
{
	size_t len = 0;
	char err[256] = "";
	int rc = 0;

	if (next_line(im, &len) != ORTH_OK ||
	    mitdump_header_parse(im->line, len, &im->version, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "import-mit: %s: %s", im->dump_path,
			  err[0] ? err : "empty or unreadable");
		rc = 1;
	} else {
		im->body = ftell(im->f);
		rc = im->body < 0;
	}
	return rc;
}

/* ---- policies ---- */

/* MIT's "enctype:salt,enctype:salt" (commas or spaces) into p's allowed
 * enctypes; what has no place is noted. */
static void
policy_keysalts(struct imp *im, const char *list, struct db_policy *p)
{
	char word[128];
	size_t n_words = 0;
	const char *s = list;

	while (*s != '\0') {
		size_t len = strcspn(s, ", \t");
		char *colon;
		int32_t et;
		bool dup = false;

		if (len == 0) {
			s++;
			continue;
		}
		n_words++;
		snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) ? len : sizeof(word) - 1),
			 s);
		s += len;
		colon = strchr(word, ':');
		if (colon != NULL) {
			*colon = '\0';
			if (strcmp(colon + 1, "normal") != 0)
				note_add(&im->notes, "policy %s: allowed_keysalts salt type '%s' of %s: "
					 "Orthrus policies name enctypes only", p->name, colon + 1, word);
		}
		et = crypto_enctype_from_name(word);
		if (et < 0) {
			note_add(&im->notes, "policy %s: allowed_keysalts names %s, which Orthrus "
				 "does not support: left out", p->name, word);
			continue;
		}
		for (size_t i = 0; i < p->n_allowed; i++)
			dup |= p->allowed_enctypes[i] == et;
		if (!dup && p->n_allowed < DB_MAX_KEYS)
			p->allowed_enctypes[p->n_allowed++] = et;
	}
	if (n_words > 0 && p->n_allowed == 0)
		note_add(&im->notes, "policy %s: none of allowed_keysalts '%s' is supported: the "
			 "policy allows any enctype in Orthrus", p->name, list);
}

static uint32_t
clamp_u32(struct imp *im, const char *pol, const char *field, uint32_t v, uint32_t max)
{
	if (v <= max)
		return v;
	note_add(&im->notes, "policy %s: %s %u above Orthrus's limit: set to %u", pol, field,
		 (unsigned)v, (unsigned)max);
	return max;
}

/* MIT's policy *mp as ours, kept in im->pols. */
static void
policy_convert(struct imp *im, const struct mit_policy *mp)
{
	struct db_policy p;
	size_t n = strlen(mp->name);
	bool ok = n > 0 && n <= DB_MAX_POLICY_NAME;
	uint8_t rec[1024];
	size_t rec_len;

	for (size_t i = 0; ok && i < n; i++)
		ok = mp->name[i] > ' ' && mp->name[i] < 0x7f;
	if (!ok) {
		note_add(&im->skipped, "policy %.60s: a name Orthrus does not take (1 to %d "
			 "printable characters)", mp->name, DB_MAX_POLICY_NAME);
		goto cleanup;
	}
	memset(&p, 0, sizeof(p));
	p.name = arena_strndup(&im->pa, mp->name, n);
	p.pw_max_life = mp->pw_max_life;
	p.pw_min_life = mp->pw_min_life;
	p.pw_min_length = clamp_u32(im, mp->name, "minlength", mp->pw_min_length, DB_MAX_FIELD);
	p.pw_min_classes = clamp_u32(im, mp->name, "minclasses", mp->pw_min_classes, 5);
	p.pw_history_num = clamp_u32(im, mp->name, "history", mp->pw_history_num,
				     DB_MAX_HISTORY + 1);
	p.pw_max_fail = mp->pw_max_fail;
	p.pw_failcnt_interval = mp->pw_failcnt_interval;
	p.pw_lockout_duration = mp->pw_lockout_duration;
	if (mp->allowed_keysalts != NULL)
		policy_keysalts(im, mp->allowed_keysalts, &p);
	if (mp->attributes != 0 || mp->max_life != 0 || mp->max_renew != 0)
		note_add(&im->notes, "policy %s: its principal defaults (attributes 0x%x, maxlife "
			 "%u, maxrenewlife %u) are not imported: Orthrus policies do not carry "
			 "them", mp->name, (unsigned)mp->attributes, (unsigned)mp->max_life,
			 (unsigned)mp->max_renew);
	if (mp->ntl > 0)
		note_add(&im->notes, "policy %s: %zu tl-data not imported", mp->name, mp->ntl);
	if (p.name == NULL || db_policy_encode(&p, rec, sizeof(rec), &rec_len) != ORTH_OK) {
		note_add(&im->skipped, "policy %s: does not make a valid Orthrus policy", mp->name);
		goto cleanup;
	}
	if (im->npols == im->cap_pols) {
		size_t cap = im->cap_pols ? 2 * im->cap_pols : 16;
		struct db_policy *v = realloc(im->pols, cap * sizeof(*v));
		if (v == NULL) {
			note_add(&im->skipped, "policy %s: out of memory", mp->name);
			goto cleanup;
		}
		im->pols = v;
		im->cap_pols = cap;
	}
	im->pols[im->npols++] = p;
cleanup:
	return;
}

static bool
policy_known(const struct imp *im, const char *name)
{
	for (size_t i = 0; i < im->npols; i++)
		if (strcmp(im->pols[i].name, name) == 0)
			return true;
	return false;
}

/* ---- the first pass: master key, history key, policies ---- */

static int
km_verify(struct imp *im, const struct mit_princ *p)
{
	/* K/M's keys are the master keys (kdb5_util create seals the key
	 * under itself): one of them must unseal to a key of the stash. */
	for (size_t i = 0; i < p->nkeys && !im->mkey_verified; i++) {
		struct crypto_key *k = NULL;
		size_t kl = 0, ml = 0;
		const uint8_t *kb, *mb;

		if (unseal_any(im->mkeys, im->nmkeys, p->keys[i].kvno, &p->keys[i], &k) != ORTH_OK)
			continue;
		kb = crypto_key_bytes(k, &kl);
		for (size_t j = 0; j < im->nmkeys; j++) {
			mb = crypto_key_bytes(im->mkeys[j].key, &ml);
			if (kl == ml && crypto_ct_equal(kb, mb, kl))
				im->mkey_verified = true;
		}
		crypto_key_free(k);
	}
	if (!im->mkey_verified)
		cli_error(CMD, "import-mit: the stash %s does not hold this dump's master key (K/M's "
			  "keys do not unseal with it): give the stash of the realm that was dumped",
			  im->stash_path);
	return !im->mkey_verified;
}

static int
hist_keys_read(struct imp *im, const struct mit_princ *p)
{
	uint32_t mkvno = princ_mkvno(im, p);
	orth_err ret = ORTH_OK;

	for (size_t i = 0; i < p->nkeys && im->nhkeys < MAX_HIST_KEYS; i++) {
		struct crypto_key *k = NULL;
		ret = unseal_any(im->mkeys, im->nmkeys, mkvno, &p->keys[i], &k);
		if (ret == ORTH_E_MASTERKEY)
			break;
		if (ret == ORTH_OK) {
			im->hkeys[im->nhkeys].key = k;
			im->hkeys[im->nhkeys++].kvno = p->keys[i].kvno;
		}
	}
	if (ret == ORTH_E_MASTERKEY)
		cli_error(CMD, "import-mit: %s:%u: the keys of %s do not unseal with the stash's "
			  "master key; nothing was imported", im->dump_path, im->lineno, p->name);
	return ret == ORTH_E_MASTERKEY;
}

static int
pass_one(struct imp *im)
{
	size_t len = 0;
	orth_err ret;
	char err[256];
	int rc = 0;

	progress_start(&im->prog, im->f, "import-mit: reading  ");
	while (rc == 0 && (ret = next_line(im, &len)) == ORTH_OK) {
		enum mitdump_kind kind;
		struct mit_princ p;
		struct mit_policy pol;

		arena_reset(&im->la);
		err[0] = '\0';
		ret = mitdump_line_parse(im->line, len, im->version, &im->la, &kind, &p, &pol, err,
					 sizeof(err));
		if (ret != ORTH_OK) {
			progress_end(&im->prog);
			cli_error(CMD, "import-mit: %s:%u: %s; nothing was imported", im->dump_path,
				  im->lineno, err);
			rc = 1;
		} else if (kind == MITDUMP_POLICY) {
			im->npol_read++;
			policy_convert(im, &pol);
		} else if (strncmp(p.name, "K/M@", 4) == 0 &&
			   strcmp(p.name + 4, im->ad->realm->name) != 0) {
			progress_end(&im->prog);
			cli_error(CMD, "import-mit: %s is a dump of realm %s, the database is of realm "
				  "%s", im->dump_path, p.name + 4, im->ad->realm->name);
			rc = 1;
		} else {
			im->nprinc_read++;
			if (strcmp(p.name, im->km_name) == 0)
				rc = km_verify(im, &p);
			else if (strcmp(p.name, im->hist_name) == 0)
				rc = hist_keys_read(im, &p);
		}
		progress_update(&im->prog, im->f, im->nprinc_read);
	}
	progress_update(&im->prog, im->f, im->nprinc_read);
	progress_end(&im->prog);
	if (rc == 0 && ret != ORTH_E_NOTFOUND)
		rc = 1;
	return rc;
}

/* ---- principals ---- */

/* Our salt for an MIT key of principal pr: the type and the bytes.
 * false (and *why) for a salt we cannot express. */
static bool
key_salt(struct imp *im, const struct principal *pr, const struct mit_key_data *kd,
	 uint16_t *type_out, const uint8_t **salt_out, size_t *len_out, const char **why)
{
	int16_t st = kd->ver >= 2 ? kd->type[1] : MIT_SALT_NORMAL;
	uint8_t *salt = NULL;
	size_t len = 0, rlen = strlen(pr->realm);
	bool ok = false;

	switch (st) {
	case MIT_SALT_NORMAL:
	case MIT_SALT_NOREALM:
	case MIT_SALT_ONLYREALM:
		/* RFC 4120 §4: realm || components; MIT's norealm is the
		 * components alone, onlyrealm the realm alone */
		ok = principal_salt(pr, &im->la, &salt, &len) == ORTH_OK && len >= rlen;
		*type_out = st == MIT_SALT_NORMAL ? DB_SALT_NORMAL
			    : st == MIT_SALT_NOREALM ? DB_SALT_NOREALM
						     : DB_SALT_ONLYREALM;
		*salt_out = st == MIT_SALT_NOREALM ? salt + rlen : salt;
		*len_out = st == MIT_SALT_NORMAL ? len : st == MIT_SALT_NOREALM ? len - rlen : rlen;
		if (!ok)
			*why = "a salt that cannot be made from its name";
		break;
	case MIT_SALT_V4:
		/* the empty salt, sent as such in ETYPE-INFO2 */
		*type_out = DB_SALT_SPECIAL;
		*salt_out = NULL;
		*len_out = 0;
		ok = true;
		break;
	case MIT_SALT_SPECIAL:
		*type_out = DB_SALT_SPECIAL;
		*salt_out = kd->contents[1];
		*len_out = kd->length[1];
		ok = kd->length[1] <= DB_MAX_FIELD;
		if (!ok)
			*why = "a special salt longer than Orthrus keeps";
		break;
	case MIT_SALT_AFS3:
		*why = "the AFS3 salt (single-DES AFS string-to-key)";
		break;
	default:
		*why = "an unknown salt type";
		break;
	}
	return ok;
}

/* Put key k (kvno) into e's key sets, newest first, at most DB_MAX_KEYSETS
 * sets of DB_MAX_KEYS keys; false when it has no room. */
static bool
keyset_add(struct db_entry *e, const struct db_key *k, bool *dup)
{
	size_t i;
	struct db_keyset *ks;
	bool room = true;

	*dup = false;
	for (i = 0; i < e->nkeysets && e->keysets[i].kvno > k->kvno; i++)
		;
	if (i == e->nkeysets || e->keysets[i].kvno != k->kvno) {
		room = e->nkeysets < DB_MAX_KEYSETS || i < e->nkeysets;
		if (room && e->nkeysets == DB_MAX_KEYSETS)
			e->nkeysets--; /* the oldest goes, older than k */
		if (room) {
			memmove(&e->keysets[i + 1], &e->keysets[i],
				(e->nkeysets - i) * sizeof(e->keysets[0]));
			memset(&e->keysets[i], 0, sizeof(e->keysets[i]));
			e->keysets[i].kvno = k->kvno;
			e->nkeysets++;
		}
	}
	if (room) {
		ks = &e->keysets[i];
		for (size_t j = 0; j < ks->nkeys; j++)
			*dup |= ks->keys[j].enctype == k->enctype;
		room = !*dup && ks->nkeys < DB_MAX_KEYS;
		if (room)
			ks->keys[ks->nkeys++] = *k;
	}
	return room;
}

/* Unseal MIT's key kd and seal it again under our master key for name.
 * ORTH_E_ENCTYPE: an enctype we do not support; ORTH_E_MALFORMED with
 * *why: a salt we cannot keep; ORTH_E_MASTERKEY: does not unseal. */
static orth_err
key_convert(struct imp *im, const struct mkey *keys, size_t nkeys, uint32_t mkvno,
	    const char *name, const struct principal *pr, const struct mit_key_data *kd,
	    struct db_key *out, const char **why)
{
	orth_err ret = ORTH_OK;
	struct crypto_key *k = NULL;
	uint16_t st = 0;
	const uint8_t *salt = NULL;
	size_t salt_len = 0;

	CHECK(crypto_enctype_supported(kd->type[0]), ORTH_E_ENCTYPE);
	CHECK(key_salt(im, pr, kd, &st, &salt, &salt_len, why), ORTH_E_MALFORMED);
	TRY(unseal_any(keys, nkeys, mkvno, kd, &k));
	TRY(db_key_seal(im->ad->db, name, kd->kvno, k, st, salt, salt_len, NULL, 0, &im->la, out));
cleanup:
	crypto_key_free(k);
	return ret;
}

/* The password history of MIT's kadm data into e->hist, newest first:
 * one key of each earlier password (kdc/account.h compares one). */
static void
hist_convert(struct imp *im, const struct mit_kadm *kadm, const struct principal *pr,
	     struct db_entry *e)
{
	size_t got = 0, lost = 0;

	for (size_t i = 0; i < kadm->nhist && e->nhist < DB_MAX_HISTORY; i++) {
		/* a ring: the newest at old_key_next - 1 */
		size_t at = (kadm->old_key_next + kadm->nhist - 1 - i) % kadm->nhist;
		const struct mit_hist *h = &kadm->hist[at];
		bool done = false;

		for (size_t j = 0; j < h->nkeys && !done; j++) {
			const char *why = NULL;
			if (key_convert(im, im->hkeys, im->nhkeys, kadm->hist_kvno, e->name, pr,
					&h->keys[j], &e->hist[e->nhist], &why) == ORTH_OK) {
				e->nhist++;
				done = true;
			}
		}
		if (done)
			got++;
		else if (h->nkeys > 0)
			lost++;
	}
	if (got > 0) {
		im->hist_princs++;
		im->hist_entries += got;
	}
	if (lost > 0)
		note_add(&im->notes, "%s: %zu of %zu earlier passwords of its history not imported "
			 "(no key of a supported enctype that kadmin/history's key unseals)",
			 e->name, lost, kadm->nhist);
}

/* Notes for the tl-data we do not map. */
static void
tl_notes(struct imp *im, const struct mit_princ *p, const char *name)
{
	for (size_t i = 0; i < p->ntl; i++) {
		const struct mit_tl *tl = &p->tl[i];
		switch (tl->type) {
		case MIT_TL_LAST_PWD_CHANGE:
		case MIT_TL_MOD_PRINC:
		case MIT_TL_KADM_DATA:
		case MIT_TL_MKVNO:
		case MIT_TL_LAST_ADMIN_UNLOCK:
			break;
		case MIT_TL_STRING_ATTRS: {
			/* "key\0value\0" pairs */
			const char *s = (const char *)tl->data;
			size_t left = tl->len;
			while (left > 0) {
				size_t kl = strnlen(s, left), vl;
				if (kl == left)
					break;
				vl = strnlen(s + kl + 1, left - kl - 1);
				note_add(&im->notes, "%s: string attribute %.*s=%.*s not imported", name,
					 (int)(kl > 64 ? 64 : kl), s, (int)(vl > 64 ? 64 : vl),
					 s + kl + 1);
				if (kl + 1 + vl >= left)
					break;
				s += kl + vl + 2;
				left -= kl + vl + 2;
			}
			break;
		}
		default:
			note_add(&im->notes, "%s: tl-data of type 0x%x (%zu bytes) not imported", name,
				 (unsigned)(uint16_t)tl->type, tl->len);
			break;
		}
	}
	if (p->e_len > 0)
		note_add(&im->notes, "%s: %zu bytes of e-data not imported", name, p->e_len);
}

/*
 * MIT's principal *p as our entry *e, in im->la.  Returns 0 (e ready),
 * -1 (skipped, noted) or 1 (fatal, reported).
 */
static int
princ_convert(struct imp *im, struct db_txn *t, const struct mit_princ *p, struct db_entry *e)
{
	struct principal pr;
	char *name = arena_alloc(&im->la, DB_MAX_NAME + 1);
	uint32_t mkvno = princ_mkvno(im, p), u = 0, unlock = 0, mod_time = 0;
	uint32_t dropped_attrs;
	const char *mod_by = NULL;
	const struct mit_tl *tl;
	size_t usable = 0, supported = 0;
	struct db_policy pol;
	int rc = 0;

	if (name == NULL || principal_parse(p->name, NULL, &im->la, &pr) != ORTH_OK ||
	    principal_unparse(&pr, name, DB_MAX_NAME + 1, NULL) != ORTH_OK) {
		note_add(&im->skipped, "%.200s: a name Orthrus does not take", p->name);
		rc = -1;
		goto cleanup;
	}
	if (strcmp(pr.realm, im->ad->realm->name) != 0) {
		note_add(&im->skipped, "%s: a principal of realm %s (MIT keeps cross-realm keys "
			 "so; Orthrus serves its own realm only)", name, pr.realm);
		rc = -1;
		goto cleanup;
	}
	memset(e, 0, sizeof(*e));
	e->name = name;
	dropped_attrs = p->attributes & ~(uint32_t)DB_ATTR_KNOWN & ~MIT_ATTR_NEW_PRINC;
	e->attributes = p->attributes & DB_ATTR_KNOWN;
	if (dropped_attrs != 0)
		note_add(&im->notes, "%s: attribute bits 0x%x have no Orthrus meaning: dropped", name,
			 (unsigned)dropped_attrs);
	e->max_life = p->max_life > 0 ? p->max_life : 0;
	e->max_renew = p->max_renew > 0 ? p->max_renew : 0;
	e->princ_expire = p->expiration;
	e->pw_expire = p->pw_expiration;
	if (mitdump_tl_u32(p, MIT_TL_LAST_PWD_CHANGE, &u) == ORTH_OK)
		e->last_pw_change = u;
	if (mitdump_tl_mod_princ(p, &im->la, &mod_time, &mod_by) == ORTH_OK &&
	    strlen(mod_by) <= DB_MAX_FIELD) {
		e->mod_time = mod_time;
		e->mod_by = mod_by;
	} else {
		e->mod_by = "";
	}
	/* the lockout state; an administrator's unlock after the last
	 * failure means unlocked (MIT's lockout.c) */
	e->fail_count = p->fail_count;
	e->last_failed = p->last_failed;
	e->last_success = p->last_success;
	if (mitdump_tl_u32(p, MIT_TL_LAST_ADMIN_UNLOCK, &unlock) == ORTH_OK && unlock != 0 &&
	    unlock >= p->last_failed)
		e->fail_count = 0;

	/* policy and password history */
	e->policy = "";
	tl = mitdump_tl_find(p, MIT_TL_KADM_DATA);
	if (tl != NULL) {
		struct mit_kadm kadm;
		if (mitdump_kadm_decode(tl->data, tl->len, &im->la, &kadm) != ORTH_OK) {
			note_add(&im->notes, "%s: its kadmin data (policy, password history) does "
				 "not decode: not imported", name);
		} else {
			if ((kadm.aux_attributes & MIT_KADM5_POLICY) && kadm.policy != NULL) {
				if (policy_known(im, kadm.policy) ||
				    db_txn_policy_get(t, kadm.policy, &im->la, &pol) == ORTH_OK)
					e->policy = kadm.policy;
				else
					note_add(&im->notes, "%s: its policy %.60s was not imported: "
						 "the principal has none", name, kadm.policy);
			}
			if (kadm.nhist > 0 && im->nhkeys > 0)
				hist_convert(im, &kadm, &pr, e);
			else if (kadm.nhist > 0)
				note_add(&im->notes, "%s: password history not imported (no "
					 "kadmin/history key in the dump)", name);
		}
	}

	/* keys */
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct mit_key_data *kd = &p->keys[i];
		struct db_key k;
		const char *why = NULL;
		bool dup = false;
		char b[32];
		orth_err ret = key_convert(im, im->mkeys, im->nmkeys, mkvno, name, &pr, kd, &k, &why);

		if (ret == ORTH_E_ENCTYPE) {
			et_add(im->dropped, kd->type[0]);
			continue;
		}
		supported++;
		if (ret == ORTH_E_MALFORMED && why != NULL) {
			note_add(&im->notes, "%s: key kvno %u %s with %s not imported", name,
				 (unsigned)kd->kvno, et_name(kd->type[0], b, sizeof(b)), why);
			continue;
		}
		if (ret != ORTH_OK) {
			cli_error(CMD, "import-mit: %s:%u: key kvno %u %s of %s: %s; nothing was "
				  "imported", im->dump_path, im->lineno, (unsigned)kd->kvno,
				  et_name(kd->type[0], b, sizeof(b)), name,
				  ret == ORTH_E_MASTERKEY ? "does not unseal with the stash's master key"
							  : orth_err_str(ret));
			rc = 1;
			goto cleanup;
		}
		if (!keyset_add(e, &k, &dup)) {
			note_add(&im->notes, "%s: key kvno %u %s not imported (%s)", name,
				 (unsigned)kd->kvno, et_name(kd->type[0], b, sizeof(b)),
				 dup ? "a second key of that enctype and kvno, with another salt"
				     : "more keys or key sets than an Orthrus entry holds");
			continue;
		}
		et_add(im->kept, kd->type[0]);
		usable++;
	}
	/* key sets beyond DB_MAX_KEYSETS: the oldest were dropped */
	for (size_t i = 0, kvnos = 0; i < p->nkeys; i++) {
		bool first = crypto_enctype_supported(p->keys[i].type[0]);
		for (size_t j = 0; first && j < i; j++)
			first = !(p->keys[j].kvno == p->keys[i].kvno &&
				  crypto_enctype_supported(p->keys[j].type[0]));
		kvnos += first;
		if (i + 1 == p->nkeys && kvnos > e->nkeysets && e->nkeysets == DB_MAX_KEYSETS)
			note_add(&im->notes, "%s: %zu older key sets not imported (Orthrus keeps "
				 "%d)", name, kvnos - e->nkeysets, DB_MAX_KEYSETS);
	}
	if (p->nkeys > 0 && usable == 0)
		note_add(&im->keyless, "%s (%s)", name,
			 supported == 0 ? "only keys of unsupported enctypes" : "no key could be kept");
	tl_notes(im, p, name);
cleanup:
	return rc;
}

/* The converted policies into t: 0, or 1 (reported). */
static int
policies_put(struct imp *im, struct db_txn *t)
{
	orth_err ret = ORTH_OK;

	/* the policies first: principals name them */
	for (size_t i = 0; i < im->npols && ret == ORTH_OK; i++) {
		struct db_policy old_pol;
		arena_reset(&im->la);
		if (db_txn_policy_get(t, im->pols[i].name, &im->la, &old_pol) == ORTH_OK)
			note_add(&im->replaced, "policy %s", im->pols[i].name);
		ret = db_txn_policy_put(t, &im->pols[i], DB_PUT_ANY);
	}
	if (ret != ORTH_OK)
		cli_error(CMD, "import-mit: cannot store the policies: %s; nothing was imported",
			  orth_err_str(ret));
	return ret != ORTH_OK;
}

/* One line of the second pass, im->line: a principal converted and put
 * into t, or skipped (noted).  0, or 1 for a fatal error (reported). */
static int
princ_import(struct imp *im, struct db_txn *t, size_t len)
{
	enum mitdump_kind kind;
	struct mit_princ p;
	struct mit_policy pol;
	struct db_entry *e, *old;
	char err[256];
	orth_err ret;
	int rc = 0;

	arena_reset(&im->la);
	if (mitdump_line_parse(im->line, len, im->version, &im->la, &kind, &p, &pol, err,
			       sizeof(err)) != ORTH_OK ||
	    kind != MITDUMP_PRINC)
		goto cleanup; /* policies: read in the first pass */
	if (strcmp(p.name, im->km_name) == 0) {
		note_add(&im->skipped, "%s: MIT's master key (Orthrus keeps its own, in its stash)",
			 p.name);
		goto cleanup;
	}
	if (strcmp(p.name, im->hist_name) == 0) {
		note_add(&im->skipped, "%s: MIT's password history key (it served to read the "
			 "histories)", p.name);
		goto cleanup;
	}
	e = arena_alloc(&im->la, sizeof(*e));
	old = arena_alloc(&im->la, sizeof(*old));
	if (e == NULL || old == NULL) {
		cli_error(CMD, "import-mit: %s:%u: out of memory", im->dump_path, im->lineno);
		rc = 1;
		goto cleanup;
	}
	rc = princ_convert(im, t, &p, e);
	if (rc != 0) {
		rc = rc > 0; /* -1: skipped */
		goto cleanup;
	}
	if (db_txn_get(t, e->name, &im->la, old) == ORTH_OK)
		note_add(&im->replaced, "%s", e->name);
	ret = db_txn_put(t, e, DB_PUT_ANY);
	if (ret != ORTH_OK) {
		progress_end(&im->prog);
		if (ret == ORTH_E_NOSPACE)
			cli_error(CMD, "import-mit: database full (LMDB map size or disk); nothing "
				  "was imported");
		else
			cli_error(CMD, "import-mit: %s:%u: cannot store %s: %s; nothing was "
				  "imported", im->dump_path, im->lineno, e->name, orth_err_str(ret));
		rc = 1;
		goto cleanup;
	}
	im->nprinc++;
cleanup:
	return rc;
}

static int
pass_two(struct imp *im, struct db_txn *t)
{
	size_t len = 0;
	orth_err ret = ORTH_OK;
	int rc = policies_put(im, t);

	if (rc == 0 && fseek(im->f, im->body, SEEK_SET) != 0) {
		cli_error(CMD, "import-mit: cannot read %s again: %s", im->dump_path,
			  strerror(errno));
		rc = 1;
	}
	if (rc == 0) {
		im->lineno = 1;
		progress_start(&im->prog, im->f, "import-mit: importing");
		while (rc == 0 && (ret = next_line(im, &len)) == ORTH_OK) {
			progress_update(&im->prog, im->f, im->nprinc);
			rc = princ_import(im, t, len);
		}
		progress_update(&im->prog, im->f, im->nprinc);
		progress_end(&im->prog);
		if (rc == 0 && ret != ORTH_E_NOTFOUND)
			rc = 1;
	}
	return rc;
}

/* ---- the summary ---- */

static const char *
plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void
summary_print(const struct imp *im)
{
	char b[32];
	size_t nkept;

	printf("%s %zu %s and %zu %s from %s (MIT dump version %u) into realm %s%s\n",
	       im->dry_run ? "would import" : "imported", im->nprinc,
	       plural(im->nprinc, "principal", "principals"), im->npols,
	       plural(im->npols, "policy", "policies"), im->dump_path, im->version,
	       im->ad->realm->name, im->dry_run ? " (dry run: nothing written)" : "");
	printf("master key: %s kvno %u, %s\n",
	       et_name(crypto_key_enctype(im->mkeys[0].key), b, sizeof(b)),
	       (unsigned)im->mkeys[0].kvno,
	       im->mkey_verified ? "verified against K/M" : "K/M not in the dump: not verified");
	printf("keys imported: ");
	nkept = et_print(im->kept);
	printf("%s(%zu)\n", nkept ? " " : "none ", nkept);
	if (im->dropped[0].n > 0) {
		printf("keys not imported, of enctypes Orthrus does not support: ");
		et_print(im->dropped);
		printf("\n");
		if (im->keyless.n == 0)
			printf("  every principal with keys kept at least one of a supported "
			       "enctype: its password still works\n");
	}
	if (im->keyless.n > 0) {
		printf("%zu %s no key left: give %s a new password (orthrus admin set-password) "
		       "or key (randkey):\n", im->keyless.n,
		       plural(im->keyless.n, "principal has", "principals have"),
		       plural(im->keyless.n, "it", "them"));
		notes_print(&im->keyless, "  ", im->verbose);
	}
	if (im->hist_princs > 0)
		printf("password history: %zu earlier %s of %zu %s\n", im->hist_entries,
		       plural(im->hist_entries, "password", "passwords"), im->hist_princs,
		       plural(im->hist_princs, "principal", "principals"));
	if (im->replaced.n > 0) {
		printf("replaced %zu %s the database had:\n", im->replaced.n,
		       plural(im->replaced.n, "entry", "entries"));
		notes_print(&im->replaced, "  ", im->verbose);
	}
	if (im->skipped.n > 0) {
		printf("skipped %zu:\n", im->skipped.n);
		notes_print(&im->skipped, "  ", im->verbose);
	}
	if (im->notes.n > 0) {
		printf("not imported (%zu %s):\n", im->notes.n, plural(im->notes.n, "note", "notes"));
		notes_print(&im->notes, "  ", im->verbose);
	}
}

/* ---- the command ---- */

static void
imp_free(struct imp *im)
{
	if (im == NULL)
		return;
	if (im->f != NULL)
		fclose(im->f);
	for (size_t i = 0; i < im->nmkeys; i++)
		crypto_key_free(im->mkeys[i].key);
	for (size_t i = 0; i < im->nhkeys; i++)
		crypto_key_free(im->hkeys[i].key);
	free((char *)im->km_name);
	free((char *)im->hist_name);
	free(im->line);
	free(im->pols);
	arena_free(&im->la);
	arena_free(&im->pa);
	notes_free(&im->skipped);
	notes_free(&im->keyless);
	notes_free(&im->replaced);
	notes_free(&im->notes);
	free(im);
}

int
admin_import_mit(struct admin *ad, int argc, char **argv)
{
	struct imp *im = calloc(1, sizeof(*im));
	struct db_txn *t = NULL;
	orth_err ret;
	int rc = 1;

	if (im == NULL)
		goto cleanup;
	im->ad = ad;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mit-stash") == 0 && i + 1 < argc)
			im->stash_path = argv[++i];
		else if (strncmp(argv[i], "--mit-stash=", 12) == 0)
			im->stash_path = argv[i] + 12;
		else if (strcmp(argv[i], "--dry-run") == 0)
			im->dry_run = true;
		else if (strcmp(argv[i], "--verbose") == 0)
			im->verbose = true;
		else if (argv[i][0] != '-' && im->dump_path == NULL)
			im->dump_path = argv[i];
		else {
			cli_error(CMD, "import-mit: unexpected argument '%s'", argv[i]);
			rc = 2;
			goto cleanup;
		}
	}
	if (im->dump_path == NULL || im->stash_path == NULL) {
		cli_error(CMD, "import-mit: need DUMPFILE (from kdb5_util dump) and --mit-stash "
			  "STASH (MIT's key_stash_file)");
		rc = 2;
		goto cleanup;
	}
	if (admin_setup(ad, true, true))
		goto cleanup;
	if (asprintf((char **)&im->km_name, "K/M@%s", ad->realm->name) < 0 ||
	    asprintf((char **)&im->hist_name, "kadmin/history@%s", ad->realm->name) < 0) {
		im->km_name = im->hist_name = NULL;
		goto cleanup;
	}
	im->line = malloc(MITDUMP_MAX_LINE);
	if (im->line == NULL || arena_init(&im->la, LINE_ARENA) != ORTH_OK ||
	    arena_init(&im->pa, 1 << 20) != ORTH_OK)
		goto cleanup;
	if (stash_read(im))
		goto cleanup;
	im->f = fopen(im->dump_path, "r");
	if (im->f == NULL) {
		cli_error(CMD, "import-mit: cannot read %s: %s", im->dump_path, strerror(errno));
		goto cleanup;
	}
	if (header_read(im) || pass_one(im))
		goto cleanup;
	/* Without K/M in the dump (a partial dump) the master key is not
	 * verified: the first key that does not unseal stops the import. */
	ret = db_txn_begin(ad->db, &t);
	if (ret != ORTH_OK) {
		cli_error(CMD, "import-mit: %s", orth_err_str(ret));
		goto cleanup;
	}
	if (pass_two(im, t))
		goto cleanup;
	if (im->dry_run) {
		db_txn_abort(t);
		t = NULL;
	} else {
		ret = db_txn_commit(t);
		t = NULL;
		if (ret != ORTH_OK) {
			cli_error(CMD, "import-mit: commit failed: %s; nothing was imported",
				  ret == ORTH_E_NOSPACE ? "database full (LMDB map size or disk)"
							: orth_err_str(ret));
			goto cleanup;
		}
	}
	summary_print(im);
	rc = 0;
cleanup:
	db_txn_abort(t);
	imp_free(im);
	return rc;
}
