/*
 * ccache_keyring.c - KEYRING: credential caches (ccache_keyring.h) over the
 * keyctl(2) and add_key(2) system calls.
 */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/cursor.h"
#include "client/ccache_keyring.h"

#define KR_PREFIX "KEYRING:"
#define KR_COL_PREFIX "_krb_"
#define KR_PERSISTENT_NAME "_krb"
#define KR_PRIMARY "krb_ccache:primary"
#define KR_PRINC "__krb5_princ__"
#define KR_OFFSETS "__krb5_time_offsets__"
#define KR_UNIQUE_PREFIX "krb_ccache_"
#define KR_UNIQUE_CHARS 8
#define KR_COL_VERSION 1
#define KR_MAX_NAME 256
#define KR_MAX_KEYS 4096

typedef int32_t key_serial;

/* ---- the system calls ---- */

static long
kctl(int op, unsigned long a, unsigned long b, unsigned long c,
     unsigned long d)
{
	return syscall(SYS_keyctl, op, a, b, c, d);
}

static key_serial
kadd(const char *type, const char *desc, const void *p, size_t n,
     key_serial ring)
{
	return (key_serial)syscall(SYS_add_key, type, desc, p, n, ring);
}

/* A key of type with description desc reachable from ring, or -1. */
static key_serial
ksearch(key_serial ring, const char *type, const char *desc, key_serial dest)
{
	return (key_serial)kctl(KEYCTL_SEARCH, (unsigned long)ring,
				(unsigned long)type, (unsigned long)desc,
				(unsigned long)dest);
}

/* The payload of a key (or the key list of a keyring), at most max bytes. */
static orth_err
kread(key_serial key, size_t max, uint8_t **out, size_t *len_out)
{
	for (int tries = 0; tries < 4; tries++) {
		long n = kctl(KEYCTL_READ, (unsigned long)key, 0, 0, 0), m;
		uint8_t *buf;
		if (n < 0)
			return errno == ENOKEY || errno == EKEYEXPIRED ||
					       errno == EKEYREVOKED
				       ? ORTH_E_NOTFOUND
				       : ORTH_E_IO;
		if ((size_t)n > max)
			return ORTH_E_LIMIT;
		buf = malloc((size_t)n + 1);
		if (buf == NULL)
			return ORTH_E_NOMEM;
		m = kctl(KEYCTL_READ, (unsigned long)key, (unsigned long)buf,
			 (unsigned long)n, 0);
		if (m >= 0 && m <= n) {
			*out = buf;
			*len_out = (size_t)m;
			return ORTH_OK;
		}
		explicit_bzero(buf, (size_t)n);
		free(buf);
		if (m < 0)
			return ORTH_E_IO;
		/* It grew in between: again. */
	}
	return ORTH_E_IO;
}

/* "type;uid;gid;perm;description": the type and the description. */
static bool
kdescribe(key_serial key, char *type, size_t tcap, char *desc, size_t dcap)
{
	char buf[KR_MAX_NAME + 128];
	long n = kctl(KEYCTL_DESCRIBE, (unsigned long)key, (unsigned long)buf,
		      sizeof(buf), 0);
	const char *semi, *last;

	if (n <= 0 || (size_t)n > sizeof(buf))
		return false;
	buf[sizeof(buf) - 1] = '\0';
	semi = strchr(buf, ';');
	last = strrchr(buf, ';');
	if (semi == NULL || (size_t)(semi - buf) >= tcap ||
	    strlen(last + 1) >= dcap)
		return false;
	memcpy(type, buf, (size_t)(semi - buf));
	type[semi - buf] = '\0';
	snprintf(desc, dcap, "%s", last + 1);
	return true;
}

/* ---- names and collections (MIT's parse_residual, get_collection) ---- */

struct kr_name {
	char anchor[32];
	char collection[KR_MAX_NAME];
	char subsidiary[KR_MAX_NAME];
	bool has_subsidiary;
};

static orth_err
name_parse(const char *residual, struct kr_name *n)
{
	const char *sep = strchr(residual, ':');
	int k;

	memset(n, 0, sizeof(*n));
	if (sep == NULL) {
		snprintf(n->anchor, sizeof(n->anchor), "legacy");
	} else {
		if ((size_t)(sep - residual) >= sizeof(n->anchor))
			return ccache_col_fail(ORTH_E_USAGE,
					       "KEYRING: unknown anchor in '%s'",
					       residual);
		memcpy(n->anchor, residual, (size_t)(sep - residual));
		residual = sep + 1;
	}
	sep = strchr(residual, ':');
	if (sep == NULL) {
		k = snprintf(n->collection, sizeof(n->collection), "%s", residual);
	} else {
		k = snprintf(n->collection, sizeof(n->collection), "%.*s",
			     (int)(sep - residual), residual);
		if (k >= 0 && (size_t)k < sizeof(n->collection))
			k = snprintf(n->subsidiary, sizeof(n->subsidiary), "%s",
				     sep + 1);
		n->has_subsidiary = true;
	}
	if (k < 0 || (size_t)k >= KR_MAX_NAME)
		return ccache_col_fail(ORTH_E_USAGE, "KEYRING: name too long");
	return ORTH_OK;
}

/*
 * MIT's session_write_anchor: a process without a session keyring of its
 * own sees the user session keyring; write there explicitly, or the
 * kernel makes a new empty session keyring only this process sees.
 */
static key_serial
session_anchor(void)
{
	long s = kctl(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_SESSION_KEYRING, 0, 0, 0);
	long u = kctl(KEYCTL_GET_KEYRING_ID, (unsigned long)KEY_SPEC_USER_SESSION_KEYRING, 0, 0, 0);
	return s == u ? KEY_SPEC_USER_SESSION_KEYRING : KEY_SPEC_SESSION_KEYRING;
}

/* A keyring named name in parent, created when missing (linked from
 * possess too, for possession rights, when possess is not 0). */
static orth_err
find_or_create(key_serial parent, key_serial possess, const char *name,
	       bool create, key_serial *out)
{
	key_serial k = ksearch(parent, "keyring", name, possess);

	if (k < 0 && !create)
		return ORTH_E_NOTFOUND;
	if (k < 0 && possess != 0) {
		k = kadd("keyring", name, NULL, 0, possess);
		if (k < 0 || kctl(KEYCTL_LINK, (unsigned long)k, (unsigned long)parent, 0, 0) < 0)
			return ccache_col_fail(ORTH_E_IO, "KEYRING: cannot create %s: %s",
					       name, strerror(errno));
	} else if (k < 0) {
		k = kadd("keyring", name, NULL, 0, parent);
		if (k < 0)
			return ccache_col_fail(ORTH_E_IO, "KEYRING: cannot create %s: %s",
					       name, strerror(errno));
	}
	*out = k;
	return ORTH_OK;
}

static orth_err
get_collection(const struct kr_name *n, bool create, key_serial *out)
{
	char ck[KR_MAX_NAME + 8];
	key_serial anchor, possess = 0;

	if (strcmp(n->anchor, "persistent") == 0) {
		/* The collection is a uid ("": ours) in its persistent
		 * keyring; without those, the user keyring for our own uid. */
		long uid = geteuid(), p;
		char *end;
		if (n->collection[0] != '\0') {
			errno = 0;
			uid = strtol(n->collection, &end, 10);
			if (errno != 0 || *end != '\0' || uid < 0)
				return ccache_col_fail(ORTH_E_USAGE,
						       "KEYRING: invalid uid in persistent keyring name");
		}
		p = kctl(KEYCTL_GET_PERSISTENT, (unsigned long)uid,
			 (unsigned long)KEY_SPEC_PROCESS_KEYRING, 0, 0);
		if (p < 0 && errno == EOPNOTSUPP && uid == (long)geteuid())
			p = KEY_SPEC_USER_KEYRING;
		if (p < 0)
			return ccache_col_fail(ORTH_E_USAGE,
					       "KEYRING: no persistent keyring for uid %ld: %s",
					       uid, strerror(errno));
		return find_or_create((key_serial)p, KEY_SPEC_PROCESS_KEYRING,
				      KR_PERSISTENT_NAME, create, out);
	}
	if (strcmp(n->anchor, "process") == 0) {
		anchor = KEY_SPEC_PROCESS_KEYRING;
	} else if (strcmp(n->anchor, "thread") == 0) {
		anchor = KEY_SPEC_THREAD_KEYRING;
	} else if (strcmp(n->anchor, "session") == 0 ||
		   strcmp(n->anchor, "legacy") == 0) {
		anchor = session_anchor();
	} else if (strcmp(n->anchor, "user") == 0) {
		/* The user keyring gives no possession: link from ours. */
		anchor = KEY_SPEC_USER_KEYRING;
		possess = KEY_SPEC_PROCESS_KEYRING;
	} else {
		return ccache_col_fail(ORTH_E_USAGE, "KEYRING: unknown anchor '%s'",
				       n->anchor);
	}
	snprintf(ck, sizeof(ck), KR_COL_PREFIX "%s", n->collection);
	return find_or_create(anchor, possess, ck, create, out);
}

static orth_err
set_primary(key_serial col, const char *sub)
{
	size_t len = strlen(sub);
	uint8_t p[8 + KR_MAX_NAME];

	p[0] = 0, p[1] = 0, p[2] = 0, p[3] = KR_COL_VERSION;
	p[4] = (uint8_t)(len >> 24), p[5] = (uint8_t)(len >> 16);
	p[6] = (uint8_t)(len >> 8), p[7] = (uint8_t)len;
	memcpy(p + 8, sub, len);
	if (kadd("user", KR_PRIMARY, p, 8 + len, col) < 0)
		return ccache_col_fail(ORTH_E_IO, "KEYRING: cannot set the primary cache: %s",
				       strerror(errno));
	return ORTH_OK;
}

/* The primary name of a collection; initialised (to the collection name,
 * or "tkt" for an empty one) when the collection has none, as MIT's. */
static orth_err
get_primary(const struct kr_name *n, key_serial col, char *out, size_t cap)
{
	key_serial k = ksearch(col, "user", KR_PRIMARY, 0);
	struct cursor c;
	uint8_t *p = NULL;
	size_t len = 0;
	uint32_t version, nl;
	const uint8_t *name;
	orth_err ret;

	if (k < 0) {
		snprintf(out, cap, "%s", n->collection[0] ? n->collection : "tkt");
		TRY(set_primary(col, out));
		if (strcmp(n->anchor, "legacy") == 0) {
			/* A cache of old code linked to the session: adopt it. */
			key_serial legacy = ksearch(KEY_SPEC_SESSION_KEYRING,
						    "keyring", out, 0);
			if (legacy >= 0)
				(void)kctl(KEYCTL_LINK, (unsigned long)legacy,
					   (unsigned long)col, 0, 0);
		}
		return ORTH_OK;
	}
	TRY(kread(k, 8 + KR_MAX_NAME, &p, &len));
	cursor_init(&c, p, len);
	version = cursor_be32(&c);
	nl = cursor_be32(&c);
	name = cursor_get(&c, nl);
	CHECK(cursor_err(&c) == ORTH_OK && version == KR_COL_VERSION && nl > 0 &&
		      nl < cap && memchr(name, '\0', nl) == NULL,
	      ccache_col_fail(ORTH_E_MALFORMED,
			      "KEYRING: the collection's primary key does not parse"));
	memcpy(out, name, nl);
	out[nl] = '\0';
cleanup:
	free(p);
	return ret;
}

/* A handle named KEYRING:anchor:collection:subsidiary. */
static orth_err
handle_new(const struct kr_name *n, const char *sub, struct ccache **cc_out)
{
	struct ccache *cc = calloc(1, sizeof(*cc));
	size_t len = strlen(KR_PREFIX) + strlen(n->anchor) +
		     strlen(n->collection) + strlen(sub) + 3;

	if (cc == NULL)
		return ORTH_E_NOMEM;
	cc->name = malloc(len);
	if (cc->name == NULL) {
		free(cc);
		return ORTH_E_NOMEM;
	}
	snprintf(cc->name, len, KR_PREFIX "%s:%s:%s", n->anchor, n->collection,
		 sub);
	cc->residual = cc->name + strlen(KR_PREFIX);
	cc->type = CCACHE_TYPE_KEYRING;
	*cc_out = cc;
	return ORTH_OK;
}

orth_err
ccache_keyring_open(const char *name, struct ccache **cc_out)
{
	struct kr_name n;
	char primary[KR_MAX_NAME];
	key_serial col;
	orth_err ret;

	TRY(name_parse(name + strlen(KR_PREFIX), &n));
	TRY(get_collection(&n, true, &col));
	if (!n.has_subsidiary) {
		TRY(get_primary(&n, col, primary, sizeof(primary)));
		snprintf(n.subsidiary, sizeof(n.subsidiary), "%s", primary);
	}
	CHECK(n.subsidiary[0] != '\0',
	      ccache_col_fail(ORTH_E_USAGE, "KEYRING: empty cache name in '%s'", name));
	TRY(handle_new(&n, n.subsidiary, cc_out));
cleanup:
	return ret;
}

/* The cache keyring of a residual; ORTH_E_NOTFOUND when absent. */
static orth_err
cache_find(const char *residual, struct kr_name *n, key_serial *col,
	   key_serial *cache, bool create)
{
	orth_err ret;

	TRY(name_parse(residual, n));
	CHECK(n->has_subsidiary && n->subsidiary[0] != '\0', ORTH_E_USAGE);
	TRY(get_collection(n, true, col));
	ret = find_or_create(*col, 0, n->subsidiary, create, cache);
cleanup:
	return ret;
}

/* ---- the back end ---- */

static orth_err
buf_put(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (n > CCACHE_MAX_FILE - *len)
		return ORTH_E_LIMIT;
	if (*len + n > *cap) {
		size_t nc = 2 * (*len + n) + 256;
		uint8_t *nb = malloc(nc);
		if (nb == NULL)
			return ORTH_E_NOMEM;
		if (*len > 0)
			memcpy(nb, *buf, *len);
		if (*buf != NULL) {
			explicit_bzero(*buf, *cap);
			free(*buf);
		}
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	return ORTH_OK;
}

orth_err
ccache_keyring_load(const char *residual, uint8_t **buf_out, size_t *len_out)
{
	struct kr_name n;
	key_serial col, cache, princ, offs;
	uint8_t *img = NULL, *p = NULL, *list = NULL;
	size_t len = 0, cap = 0, plen = 0, llen = 0;
	uint8_t hdr[4 + 12] = {0x05, 0x04};
	orth_err ret;

	TRY(cache_find(residual, &n, &col, &cache, false));
	princ = ksearch(cache, "user", KR_PRINC, 0);
	CHECK(princ >= 0, ORTH_E_NOTFOUND);  /* not initialised */
	offs = ksearch(cache, "user", KR_OFFSETS, 0);
	/* The FILE v4 header: the time offset tag when there is one. */
	if (offs >= 0 && kread(offs, 64, &p, &plen) == ORTH_OK && plen == 8) {
		hdr[3] = 12;
		hdr[4] = 0, hdr[5] = 1, hdr[6] = 0, hdr[7] = 8;
		memcpy(hdr + 8, p, 8);
		TRY(buf_put(&img, &len, &cap, hdr, 16));
	} else {
		TRY(buf_put(&img, &len, &cap, hdr, 4));
	}
	free(p);
	p = NULL;
	TRY(kread(princ, CCACHE_MAX_FILE, &p, &plen));
	TRY(buf_put(&img, &len, &cap, p, plen));
	free(p);
	p = NULL;
	/* Every other user or big_key key is a credential. */
	TRY(kread(cache, KR_MAX_KEYS * sizeof(key_serial), &list, &llen));
	for (size_t i = 0; i + sizeof(key_serial) <= llen; i += sizeof(key_serial)) {
		key_serial k;
		char type[32], desc[KR_MAX_NAME];
		orth_err e;
		memcpy(&k, list + i, sizeof(k));
		if (k == princ || k == offs || !kdescribe(k, type, sizeof(type), desc, sizeof(desc)) ||
		    (strcmp(type, "user") != 0 && strcmp(type, "big_key") != 0))
			continue;
		e = kread(k, CCACHE_MAX_FILE, &p, &plen);
		if (e == ORTH_E_NOTFOUND)
			continue;  /* removed or expired meanwhile */
		TRY(e);
		ret = buf_put(&img, &len, &cap, p, plen);
		explicit_bzero(p, plen);
		free(p);
		p = NULL;
		TRY(ret);
	}
	*buf_out = img;
	*len_out = len;
	img = NULL;
cleanup:
	if (p != NULL) {
		explicit_bzero(p, plen);
		free(p);
	}
	if (img != NULL) {
		explicit_bzero(img, cap);
		free(img);
	}
	free(list);
	return ret;
}

/*
 * The FILE v4 image of c's principal alone (no header tags, no
 * credentials): version, a zero header length, the principal.  An image
 * of c with one credential (and no tags) has this as its prefix, so the
 * credential's own encoding is what follows it.  *out: ccache_buf_free().
 */
static orth_err
encode_head(const struct ccache_contents *c, uint8_t **out, size_t *len_out)
{
	struct ccache_contents h = *c;

	h.ncreds = 0;
	h.creds = NULL;
	h.has_time_offset = false;
	memset(&h.other_tags, 0, sizeof(h.other_tags));
	return ccache_contents_encode(&h, out, len_out);
}

static orth_err
add_cred(const struct kr_name *n, key_serial cache, const char *desc,
	 const uint8_t *p, size_t len, int64_t endtime)
{
	key_serial k = -1;
	int64_t now = time(NULL);

	if (strcmp(n->anchor, "legacy") != 0) {
		k = kadd("big_key", desc, p, len, cache);
		if (k < 0 && errno != EINVAL && errno != ENODEV)
			return ccache_col_fail(ORTH_E_IO, "KEYRING: cannot store a credential: %s",
					       strerror(errno));
	}
	if (k < 0)
		k = kadd("user", desc, p, len, cache);
	if (k < 0)
		return ccache_col_fail(ORTH_E_IO, "KEYRING: cannot store a credential: %s",
				       strerror(errno));
	if (endtime > now)
		(void)kctl(KEYCTL_SET_TIMEOUT, (unsigned long)k,
			   (unsigned long)(endtime - now), 0, 0);
	return ORTH_OK;
}

orth_err
ccache_keyring_save(const char *residual, const uint8_t *buf, size_t len)
{
	struct ccache_contents c = {0};
	struct ccache_contents one;
	struct kr_name n;
	key_serial col, cache;
	uint8_t *head = NULL;
	size_t prefix = 0;
	int64_t last = 0, now = time(NULL);
	char *desc = NULL;
	orth_err ret;

	TRY(ccache_contents_decode(buf, len, &c));
	TRY(encode_head(&c, &head, &prefix));
	CHECK(prefix > 4 && head[2] == 0 && head[3] == 0, ORTH_E_INTERNAL);
	TRY(cache_find(residual, &n, &col, &cache, true));
	CHECK(kctl(KEYCTL_CLEAR, (unsigned long)cache, 0, 0, 0) == 0,
	      ccache_col_fail(ORTH_E_IO, "KEYRING: cannot clear the cache: %s",
			      strerror(errno)));
	CHECK(kadd("user", KR_PRINC, head + 4, prefix - 4, cache) >= 0,
	      ccache_col_fail(ORTH_E_IO, "KEYRING: cannot store the principal: %s",
			      strerror(errno)));
	if (c.has_time_offset) {
		uint8_t o[8];
		uint32_t s = (uint32_t)c.time_offset_sec, u = (uint32_t)c.time_offset_usec;
		o[0] = (uint8_t)(s >> 24), o[1] = (uint8_t)(s >> 16);
		o[2] = (uint8_t)(s >> 8), o[3] = (uint8_t)s;
		o[4] = (uint8_t)(u >> 24), o[5] = (uint8_t)(u >> 16);
		o[6] = (uint8_t)(u >> 8), o[7] = (uint8_t)u;
		CHECK(kadd("user", KR_OFFSETS, o, 8, cache) >= 0,
		      ccache_col_fail(ORTH_E_IO, "KEYRING: cannot store the time offset: %s",
				      strerror(errno)));
	}
	for (size_t i = 0; i < c.ncreds; i++) {
		uint8_t *cb = NULL;
		size_t cl = 0;
		one = c;
		one.ncreds = 1;
		one.creds = &c.creds[i];
		one.has_time_offset = false;
		memset(&one.other_tags, 0, sizeof(one.other_tags));
		TRY(ccache_contents_encode(&one, &cb, &cl));
		free(desc);
		desc = NULL;
		ret = cl > prefix ? ccache_principal_unparse(&c.creds[i].server, &desc)
				  : ORTH_E_INTERNAL;
		if (ret == ORTH_OK)
			ret = add_cred(&n, cache, desc, cb + prefix, cl - prefix,
				       c.creds[i].endtime);
		ccache_buf_free(cb, cl);
		TRY(ret);
		if (c.creds[i].endtime > last)
			last = c.creds[i].endtime;
	}
	/* MIT: the cache keyring expires with its last credential. */
	if (last > 0)
		(void)kctl(KEYCTL_SET_TIMEOUT, (unsigned long)cache,
			   (unsigned long)(last > now ? last - now : 1), 0, 0);
cleanup:
	free(desc);
	ccache_buf_free(head, prefix);
	ccache_contents_free(&c);
	return ret;
}

orth_err
ccache_keyring_destroy(const char *residual)
{
	struct kr_name n;
	key_serial col, cache;
	orth_err ret;

	TRY(cache_find(residual, &n, &col, &cache, false));
	(void)kctl(KEYCTL_CLEAR, (unsigned long)cache, 0, 0, 0);
	CHECK(kctl(KEYCTL_UNLINK, (unsigned long)cache, (unsigned long)col, 0, 0) == 0,
	      ccache_col_fail(ORTH_E_IO, "KEYRING: cannot remove the cache: %s",
			      strerror(errno)));
	if (strcmp(n.anchor, "legacy") == 0 && strcmp(n.collection, n.subsidiary) == 0)
		(void)kctl(KEYCTL_UNLINK, (unsigned long)cache,
			   (unsigned long)session_anchor(), 0, 0);
cleanup:
	return ret;
}

/* ---- collections ---- */

static orth_err
col_add(struct ccache_col *c, const struct kr_name *n, const char *sub)
{
	struct ccache *cc = NULL;
	char **v;
	orth_err ret;

	if (c->n >= CCACHE_COL_MAX)
		return ORTH_OK;
	TRY(handle_new(n, sub, &cc));
	v = realloc(c->names, (c->n + 1) * sizeof(*v));
	CHECK(v != NULL, ORTH_E_NOMEM);
	c->names = v;
	c->names[c->n++] = cc->name;
	cc->name = NULL;
cleanup:
	ccache_close(cc);
	return ret;
}

orth_err
ccache_keyring_list(const char *defname, struct ccache_col *out)
{
	struct ccache_col c = {0};
	struct kr_name n;
	char primary[KR_MAX_NAME] = "";
	key_serial col, k;
	uint8_t *list = NULL;
	size_t llen = 0;
	orth_err ret;

	TRY(name_parse(defname + strlen(KR_PREFIX), &n));
	ret = get_collection(&n, true, &col);
	if (ret != ORTH_OK)
		goto done;  /* no keyring to look in: an empty collection */
	if (n.has_subsidiary) {
		if (ksearch(col, "keyring", n.subsidiary, 0) >= 0)
			TRY(col_add(&c, &n, n.subsidiary));
		goto done;
	}
	TRY(get_primary(&n, col, primary, sizeof(primary)));
	k = ksearch(col, "keyring", primary, 0);
	if (k >= 0)
		TRY(col_add(&c, &n, primary));
	TRY(kread(col, KR_MAX_KEYS * sizeof(key_serial), &list, &llen));
	for (size_t i = 0; i + sizeof(key_serial) <= llen; i += sizeof(key_serial)) {
		char type[32], desc[KR_MAX_NAME];
		memcpy(&k, list + i, sizeof(k));
		if (!kdescribe(k, type, sizeof(type), desc, sizeof(desc)) ||
		    strcmp(type, "keyring") != 0 || strcmp(desc, primary) == 0)
			continue;
		TRY(col_add(&c, &n, desc));
	}
done:
	ret = ORTH_OK;
	*out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	free(list);
	ccache_col_free(&c);
	return ret;
}

orth_err
ccache_keyring_switch(const struct ccache *cc)
{
	struct kr_name n;
	key_serial col;
	orth_err ret;

	TRY(name_parse(cc->residual, &n));
	TRY(get_collection(&n, true, &col));
	TRY(set_primary(col, n.subsidiary));
cleanup:
	return ret;
}

orth_err
ccache_keyring_new_unique(const char *defname, struct ccache **cc_out)
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	struct kr_name n;
	char name[sizeof(KR_UNIQUE_PREFIX) + KR_UNIQUE_CHARS];
	key_serial col;
	uint8_t rnd[KR_UNIQUE_CHARS];
	orth_err ret;

	TRY(name_parse(defname + strlen(KR_PREFIX), &n));
	CHECK(!n.has_subsidiary,
	      ccache_col_fail(ORTH_E_USAGE,
			      "Can't create new subsidiary cache because default cache is already a subsidiary"));
	TRY(get_collection(&n, true, &col));
	for (int tries = 0; tries < 100; tries++) {
		FILE *f = fopen("/dev/urandom", "re");
		size_t got = f != NULL ? fread(rnd, 1, sizeof(rnd), f) : 0;
		if (f != NULL)
			fclose(f);
		CHECK(got == sizeof(rnd), ORTH_E_IO);
		memcpy(name, KR_UNIQUE_PREFIX, strlen(KR_UNIQUE_PREFIX));
		for (size_t i = 0; i < KR_UNIQUE_CHARS; i++)
			name[strlen(KR_UNIQUE_PREFIX) + i] = chars[rnd[i] % (sizeof(chars) - 1)];
		name[sizeof(name) - 1] = '\0';
		if (ksearch(col, "keyring", name, 0) < 0) {
			CHECK(kadd("keyring", name, NULL, 0, col) >= 0,
			      ccache_col_fail(ORTH_E_IO, "KEYRING: cannot create %s: %s",
					      name, strerror(errno)));
			TRY(handle_new(&n, name, cc_out));
			goto cleanup;
		}
	}
	ret = ORTH_E_IO;
cleanup:
	return ret;
}
