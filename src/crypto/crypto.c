/*
 * crypto.c - the RFC 3961 simplified profile for the AES enctypes of
 * RFC 3962 (17, 18) and RFC 8009 (19, 20) over OpenSSL 3 EVP.
 *
 * Every EVP algorithm is fetched once (crypto_init) and shared read-only by
 * all threads, never looked up by name per call.  HMAC runs over
 * precomputed pad states (hmac.c), AES-CTS over contexts that stay keyed
 * (cts.c).  Key derivation is built here from those (RFC 3961 §5.1 DK:
 * n-fold and AES block encryptions; RFC 8009 §3: one HMAC), not with
 * OpenSSL's KDF objects, which look their parameters up by name on every
 * call.  A key keeps the context (or HMAC state) keyed with its own bytes
 * that its derivations run on.  A struct crypto_key keeps a small LRU
 * cache of per-usage derived keys; each cache slot holds cipher contexts
 * keyed with Ke and the HMAC pad states of Ki / Kc, so a cache hit costs
 * no derivation, no key schedule, no allocation and no re-initialisation.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "crypto_int.h"
#include "crypto_test.h"
#include "cts.h"
#include "hmac.h"

#define AES_BLOCK 16
/* RFC 3961 §3: the confounder is one cipher block. */
#define CONF_LEN AES_BLOCK
/* RFC 3962 §4 / RFC 8009 §4: the iteration-count bound we accept. */
#define S2K_MAX_ITERATIONS 16777216u
/* Number of usages whose derived keys a key object remembers. */
#define DK_SLOTS 8

/* RFC 3961 §5.3: the well-known constants of DK / KDF-HMAC-SHA2. */
#define DK_KC 0x99
#define DK_KE 0xAA
#define DK_KI 0x55

struct enctype_info {
	int32_t enctype;
	const char *name;
	size_t keylen;      /* protocol key and Ke length */
	size_t kilen;       /* Ki and Kc length */
	size_t maclen;      /* truncated HMAC length h */
	size_t prflen;      /* PRF output length */
	int32_t cksumtype;
	uint32_t default_iter;
	bool sha2;          /* RFC 8009 rather than RFC 3962 */
	const char *digest; /* HMAC digest name (PBKDF2) */
	int md;             /* MD_* (hmac.h): its HMAC's digest */
};

static const struct enctype_info enctypes[] = {
	{ENCTYPE_AES128_CTS_HMAC_SHA1_96, "aes128-cts-hmac-sha1-96", 16, 16, 12,
	 16, CKSUMTYPE_HMAC_SHA1_96_AES128, 4096, false, "SHA1", MD_SHA1},
	{ENCTYPE_AES256_CTS_HMAC_SHA1_96, "aes256-cts-hmac-sha1-96", 32, 32, 12,
	 16, CKSUMTYPE_HMAC_SHA1_96_AES256, 4096, false, "SHA1", MD_SHA1},
	{ENCTYPE_AES128_CTS_HMAC_SHA256_128, "aes128-cts-hmac-sha256-128", 16,
	 16, 16, 32, CKSUMTYPE_HMAC_SHA256_128_AES128, 32768, true, "SHA256",
	 MD_SHA256},
	{ENCTYPE_AES256_CTS_HMAC_SHA384_192, "aes256-cts-hmac-sha384-192", 32,
	 24, 24, 48, CKSUMTYPE_HMAC_SHA384_192_AES256, 32768, true, "SHA384",
	 MD_SHA384},
};
#define N_ENCTYPES (sizeof(enctypes) / sizeof(enctypes[0]))

/* Names MIT's krb5_string_to_enctype also accepts. */
static const struct {
	const char *alias;
	int32_t enctype;
} aliases[] = {
	{"aes128-cts", ENCTYPE_AES128_CTS_HMAC_SHA1_96},
	{"aes128-sha1", ENCTYPE_AES128_CTS_HMAC_SHA1_96},
	{"aes256-cts", ENCTYPE_AES256_CTS_HMAC_SHA1_96},
	{"aes256-sha1", ENCTYPE_AES256_CTS_HMAC_SHA1_96},
	{"aes128-sha2", ENCTYPE_AES128_CTS_HMAC_SHA256_128},
	{"aes256-sha2", ENCTYPE_AES256_CTS_HMAC_SHA384_192},
};

/* Algorithms fetched once per process; read-only afterwards. */
static struct {
	EVP_CIPHER *cbc128, *cbc256, *ecb128, *ecb256;
	EVP_KDF *pbkdf2;
	EVP_MD *sha1;
} alg;
static pthread_once_t alg_once = PTHREAD_ONCE_INIT;
static orth_err alg_err = ORTH_E_INTERNAL;

enum { HAVE_E = 1, HAVE_C = 2, READY_ENC = 4, READY_DEC = 8 };

struct dk_slot {
	uint32_t usage;
	unsigned flags;     /* 0: slot empty */
	uint64_t last_use;  /* LRU clock */
	uint8_t ke[CRYPTO_MAX_KEY_LEN];
	/* Keyed with ke when READY_*: enc AES-CBC, dec AES-ECB (cts.h). */
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t enc_chain[AES_BLOCK]; /* enc's CBC state */
	struct hmac_key ki, kc;    /* keyed when HAVE_E / HAVE_C */
};

/* Which key a crypto_key's ECB context holds. */
enum ecb_holds { ECB_NONE, ECB_BASE, ECB_PRF };

struct crypto_key {
	const struct enctype_info *et;
	uint8_t bytes[CRYPTO_MAX_KEY_LEN];
	/* RFC 8009 (KDF-HMAC-SHA2): HMAC keyed with bytes, made at the
	 * first derivation. */
	struct hmac_key base_mac;
	bool have_base_mac;
	/*
	 * RFC 3962: one AES-ECB context for DK (keyed with bytes) and for
	 * the PRF (keyed with DK(key, "prf"), kept in prf_key once made);
	 * ecb_keyed says which key it holds.  One context, not two: the
	 * keys that run the PRF are mostly made for it (FAST's subkey and
	 * strengthen key, per request) and use DK only to make the PRF key,
	 * so a second context would cost its key schedule and its wipe at
	 * free for nothing.  A key that goes back and forth (a new usage
	 * after a PRF) re-keys the context each time.
	 */
	EVP_CIPHER_CTX *ecb;
	enum ecb_holds ecb_keyed;
	bool have_prf_key;
	uint8_t prf_key[CRYPTO_MAX_KEY_LEN];
	/*
	 * The PRF+ of one public input (crypto_key_memo_get/put, crypto_int.h):
	 * FAST's implicit TGS armor (RFC 6113 §5.4.1.1) is KRB-FX-CF2 of the
	 * subkey and the TGT session key, whose half PRF+(session key,
	 * "ticketarmor") is the same for every TGS-REQ under that TGT, and
	 * the KDC keeps the session key object across requests (its
	 * session-key cache).  As secret as the key: wiped at free.
	 */
	size_t memo_in_len; /* 0: empty */
	size_t memo_out_len;
	uint8_t memo_in[CRYPTO_MEMO_IN_MAX];
	uint8_t memo_out[CRYPTO_MAX_KEY_LEN];
	uint64_t clock;
	unsigned long derivations; /* for tests of the cache */
	/* slot[0 .. nslots) have been used (and initialised); the rest are
	 * untouched memory: most keys live for one request and use one or
	 * two slots, so neither making nor freeing one walks all eight. */
	size_t nslots;
	struct dk_slot slot[DK_SLOTS];
};

static const uint8_t zero_iv[AES_BLOCK];

/*
 * Spare cipher contexts, per thread.  Many keys live for one request (a
 * TGS-REQ's subkey; FAST's armor key, strengthen key and strengthened
 * reply key, RFC 6113 §5.4): each needs a few contexts (DK and PRF, one
 * per usage and direction).  A freed key's contexts are reset
 * (EVP_CIPHER_CTX_reset: the provider wipes its state, key schedule
 * included, and frees it) and kept here as empty shells for the next key,
 * which gives one its cipher and key.  Resetting costs less than the
 * re-keying with zeros that kept the provider state (callgrind: about
 * 500 instructions against 1,100, for 350 more at the next keying; a FAST
 * TGS-REQ frees seven contexts).  Freed at thread exit.
 *
 * The key objects themselves are kept the same way: some 7 KiB each,
 * beyond glibc's per-thread cache, so every malloc of one went to the
 * arena's bins (perf, bench UDP TGS load: malloc of the subkey's object
 * 2.4% of the KDC's CPU).  A spare holds no secret: crypto_key_free
 * wipes what the key held before giving its object back.
 */
#define SPARE_MAX 32
#define SPARE_KEYS 8
/* What a context is for: its cipher and direction. */
enum { CIPH_CBC_ENC, CIPH_ECB_ENC, CIPH_ECB_DEC };
struct spare_ctx {
	EVP_CIPHER_CTX *c[SPARE_MAX];
	unsigned n;
	struct crypto_key *keys[SPARE_KEYS];
	unsigned nkeys;
	bool registered; /* spare_key set: spare_free runs at thread exit */
};
static _Thread_local struct spare_ctx spare;
static pthread_key_t spare_key;

static void
spare_free(void *arg)
{
	struct spare_ctx *sp = arg;

	while (sp->n > 0)
		EVP_CIPHER_CTX_free(sp->c[--sp->n]);
	while (sp->nkeys > 0)
		free(sp->keys[--sp->nkeys]);
	sp->registered = false;
}

/* An empty context (no cipher yet): a spare one or a new one; NULL when
 * out of memory. */
static EVP_CIPHER_CTX *
spare_get(void)
{
	if (spare.n > 0)
		return spare.c[--spare.n];
	return EVP_CIPHER_CTX_new();
}

/* Whether this thread's spares are freed at its exit (registered on the
 * first one kept). */
static bool
spare_registered(void)
{
	if (!spare.registered)
		spare.registered = pthread_setspecific(spare_key, &spare) == 0;
	return spare.registered;
}

/* Give back a freed key's context (NULL: nothing), its key schedule wiped. */
static void
spare_put(EVP_CIPHER_CTX *c)
{
	if (c == NULL)
		return;
	if (spare.n < SPARE_MAX && EVP_CIPHER_CTX_reset(c) == 1 && spare_registered()) {
		spare.c[spare.n++] = c;
		return;
	}
	EVP_CIPHER_CTX_free(c);
}

/* A key object's memory: a spare one or a new one; NULL when out of memory. */
static struct crypto_key *
spare_key_get(void)
{
	if (spare.nkeys > 0)
		return spare.keys[--spare.nkeys];
	return malloc(sizeof(struct crypto_key));
}

/* Give back a freed key object, its secrets wiped by the caller. */
static void
spare_key_put(struct crypto_key *key)
{
	if (spare.nkeys < SPARE_KEYS && spare_registered()) {
		spare.keys[spare.nkeys++] = key;
		return;
	}
	free(key);
}


/*
 * Confounders come from a per-thread pool refilled 1 KiB at a time: one
 * RAND_bytes call per encryption costs more than the encryption itself.
 * Bytes are wiped as they are handed out; a forked child drops the pool it
 * inherited so parent and child never share confounders.
 */
#define CONF_POOL 1024
static _Thread_local struct {
	uint8_t buf[CONF_POOL];
	size_t used;
	bool filled;
} conf_pool;

static void
conf_pool_atfork_child(void)
{
	OPENSSL_cleanse(conf_pool.buf, sizeof(conf_pool.buf));
	conf_pool.filled = false;
}

/* n (at most CONF_POOL) bytes from the pool; also what random keys are
 * made of (RFC 3961 random-to-key over the same DRBG output). */
static orth_err
pool_get(uint8_t *out, size_t n)
{
	if (n > CONF_POOL)
		return ORTH_E_INTERNAL;
	if (!conf_pool.filled || conf_pool.used + n > CONF_POOL) {
		if (RAND_bytes(conf_pool.buf, CONF_POOL) != 1)
			return ORTH_E_INTERNAL;
		conf_pool.used = 0;
		conf_pool.filled = true;
	}
	memcpy(out, conf_pool.buf + conf_pool.used, n);
	OPENSSL_cleanse(conf_pool.buf + conf_pool.used, n);
	conf_pool.used += n;
	return ORTH_OK;
}

/* crypto_random_bytes requests this long or shorter come from the pool. */
#define RANDOM_FROM_POOL 64

static orth_err
confounder_get(uint8_t *out)
{
	return pool_get(out, CONF_LEN);
}

static void nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen);
static void prf_label_fold_init(void);

static void
init_once(void)
{
	prf_label_fold_init();
	alg.cbc128 = EVP_CIPHER_fetch(NULL, "AES-128-CBC", NULL);
	alg.cbc256 = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	alg.ecb128 = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	alg.ecb256 = EVP_CIPHER_fetch(NULL, "AES-256-ECB", NULL);
	alg.pbkdf2 = EVP_KDF_fetch(NULL, "PBKDF2", NULL);
	alg.sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (alg.cbc128 && alg.cbc256 && alg.ecb128 && alg.ecb256 &&
	    alg.pbkdf2 && alg.sha1 &&
	    pthread_key_create(&spare_key, spare_free) == 0 &&
	    pthread_atfork(NULL, NULL, conf_pool_atfork_child) == 0)
		alg_err = ORTH_OK;
}

orth_err
crypto_init(void)
{
	if (pthread_once(&alg_once, init_once) != 0)
		return ORTH_E_INTERNAL;
	return alg_err;
}

static const struct enctype_info *
enctype_get(int32_t enctype)
{
	for (size_t i = 0; i < N_ENCTYPES; i++)
		if (enctypes[i].enctype == enctype)
			return &enctypes[i];
	return NULL;
}

const int32_t crypto_default_enctypes[CRYPTO_DEFAULT_ENCTYPES_N] = {
	ENCTYPE_AES256_CTS_HMAC_SHA1_96, ENCTYPE_AES128_CTS_HMAC_SHA1_96,
	ENCTYPE_AES256_CTS_HMAC_SHA384_192, ENCTYPE_AES128_CTS_HMAC_SHA256_128,
};

bool
crypto_enctype_supported(int32_t enctype)
{
	return enctype_get(enctype) != NULL;
}

size_t
crypto_enctype_keylen(int32_t enctype)
{
	const struct enctype_info *et = enctype_get(enctype);
	return et ? et->keylen : 0;
}

const char *
crypto_enctype_name(int32_t enctype)
{
	const struct enctype_info *et = enctype_get(enctype);
	return et ? et->name : NULL;
}

int32_t
crypto_enctype_from_name(const char *name)
{
	if (name == NULL || *name == '\0')
		return -1;
	if (name[0] >= '0' && name[0] <= '9') {
		/* Decimal enctype number, as MIT accepts: digits only. */
		long v = 0;
		for (const char *p = name; *p; p++) {
			if (*p < '0' || *p > '9' || v > 100000)
				return -1;
			v = v * 10 + (*p - '0');
		}
		return crypto_enctype_supported((int32_t)v) ? (int32_t)v : -1;
	}
	for (size_t i = 0; i < N_ENCTYPES; i++)
		if (strcasecmp(name, enctypes[i].name) == 0)
			return enctypes[i].enctype;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcasecmp(name, aliases[i].alias) == 0)
			return aliases[i].enctype;
	return -1;
}

int32_t
crypto_enctype_cksumtype(int32_t enctype)
{
	const struct enctype_info *et = enctype_get(enctype);
	return et ? et->cksumtype : -1;
}

static const struct enctype_info *
cksumtype_get(int32_t cksumtype)
{
	for (size_t i = 0; i < N_ENCTYPES; i++)
		if (enctypes[i].cksumtype == cksumtype)
			return &enctypes[i];
	return NULL;
}

size_t
crypto_cksumtype_len(int32_t cksumtype)
{
	const struct enctype_info *et = cksumtype_get(cksumtype);
	return et ? et->maclen : 0;
}

int32_t
crypto_cksumtype_enctype(int32_t cksumtype)
{
	const struct enctype_info *et = cksumtype_get(cksumtype);
	return et ? et->enctype : -1;
}

uint32_t
crypto_enctype_default_iterations(int32_t enctype)
{
	const struct enctype_info *et = enctype_get(enctype);
	return et ? et->default_iter : 0;
}

size_t
crypto_enctype_prf_len(int32_t enctype)
{
	const struct enctype_info *et = enctype_get(enctype);
	return et ? et->prflen : 0;
}

size_t
crypto_encrypt_len(int32_t enctype, size_t plain_len)
{
	const struct enctype_info *et = enctype_get(enctype);
	if (et == NULL || plain_len > SIZE_MAX - CONF_LEN - et->maclen)
		return 0;
	return CONF_LEN + plain_len + et->maclen;
}

size_t
crypto_encrypt_head(int32_t enctype)
{
	return enctype_get(enctype) != NULL ? CONF_LEN : 0;
}

void
crypto_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

bool
crypto_ct_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

orth_err
crypto_random_bytes(void *buf, size_t len)
{
	orth_err ret;
	uint8_t *p = buf;

	TRY(crypto_init());
	/* Nonces and sequence numbers (a few bytes per request) from the
	 * per-thread pool as confounders are: RAND_bytes per call costs a
	 * lock and a getpid() (its fork check) each time. */
	if (len <= RANDOM_FROM_POOL) {
		ret = pool_get(p, len);
		goto cleanup;
	}
	while (len > 0) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;
		CHECK(RAND_bytes(p, n) == 1, ORTH_E_INTERNAL);
		p += n;
		len -= (size_t)n;
	}
cleanup:
	return ret;
}

/* ---- key derivation ---------------------------------------------------- */

/*
 * Key a context for use (CIPH_*) with k; CBC from the zero IV.  A context
 * that has its cipher (a key's own, keyed before) is only re-keyed; an
 * empty one (new, or a spare) gets its cipher first.
 */
static orth_err
cipher_key(const struct enctype_info *et, int use, EVP_CIPHER_CTX **cctx,
	   const uint8_t *k)
{
	bool big = et->keylen == 32;
	const EVP_CIPHER *c = use == CIPH_CBC_ENC ? (big ? alg.cbc256 : alg.cbc128)
						  : (big ? alg.ecb256 : alg.ecb128);
	const uint8_t *iv = use == CIPH_CBC_ENC ? zero_iv : NULL;
	int enc = use != CIPH_ECB_DEC;

	if (*cctx == NULL && (*cctx = spare_get()) == NULL)
		return ORTH_E_NOMEM;
	if (EVP_CIPHER_CTX_get0_cipher(*cctx) != NULL)
		return EVP_CipherInit_ex2(*cctx, NULL, k, iv, enc, NULL) == 1
			       ? ORTH_OK
			       : ORTH_E_INTERNAL;
	if (EVP_CipherInit_ex2(*cctx, c, k, iv, enc, NULL) != 1)
		return ORTH_E_INTERNAL;
	/* Padding matters only to decryption, which would hold the last
	 * block back for EVP_CipherFinal.  Whole blocks encrypt whole
	 * either way, and a context without the no-padding flag is re-keyed
	 * without OpenSSL setting it again (a parameter round trip, a
	 * third of a re-key). */
	if (!enc && EVP_CIPHER_CTX_set_padding(*cctx, 0) != 1)
		return ORTH_E_INTERNAL;
	return ORTH_OK;
}

/* An AES-ECB context for DK's and the PRF's block encryptions. */
static orth_err
ecb_key(const struct enctype_info *et, EVP_CIPHER_CTX **cctx, const uint8_t *k)
{
	return cipher_key(et, CIPH_ECB_ENC, cctx, k);
}

/*
 * RFC 3961 §5.1 n-fold: in (inlen bytes) stretched to out (outlen bytes).
 * Copies of in, each rotated right by 13 bits more than the one before,
 * are laid end to end up to lcm(inlen, outlen) bytes; that string is cut
 * into outlen-byte pieces added with one's-complement (end-around carry)
 * addition, big-endian.  Works byte by byte, one copy at a time.
 */
static void
nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	size_t a = inlen, b = outlen, lcm, nbits = inlen * 8, r = 0, o = 0;
	unsigned sum[CRYPTO_MAX_PRF_LEN] = {0};
	unsigned carry = 0;

	while (b != 0) {
		size_t t = a % b;
		a = b;
		b = t;
	}
	lcm = inlen / a * outlen;
	for (size_t j = 0; j < lcm; j += inlen) {
		/* This copy is rotated right by r bits: its byte pos takes
		 * its high bits from byte hi = pos - r/8 (mod inlen) shifted
		 * right by r%8, its low bits from the byte before hi. */
		unsigned sh = (unsigned)(r % 8);
		size_t hi = (inlen - r / 8) % inlen;
		size_t lo = (hi + inlen - 1) % inlen;

		for (size_t pos = 0; pos < inlen; pos++) {
			unsigned v = in[hi] >> sh;

			if (sh != 0)
				v |= (unsigned)(in[lo] << (8 - sh)) & 0xff;
			sum[o] += v;
			o = o + 1 == outlen ? 0 : o + 1;
			lo = hi;
			hi = hi + 1 == inlen ? 0 : hi + 1;
		}
		for (r += 13; r >= nbits;)
			r -= nbits;
	}
	/* The pieces were summed per byte position; now propagate the
	 * carries from the last byte up, and around, until none is left. */
	do {
		for (size_t i = outlen; i-- > 0;) {
			sum[i] += carry;
			carry = sum[i] >> 8;
			sum[i] &= 0xff;
		}
	} while (carry != 0);
	for (size_t i = 0; i < outlen; i++)
		out[i] = (uint8_t)sum[i];
}

/*
 * RFC 3961 §5.1 DK(base, constant) for the RFC 3962 enctypes: the
 * constant n-folded to one block, encrypted under base again and again
 * (one block from the zero IV is one ECB block), the blocks concatenated
 * to keylen bytes; random-to-key is the identity (RFC 3962 §6).  ecb is
 * keyed with base.
 */
/*
 * The n-fold of a usage constant (usage | kind, 5 bytes) to one block,
 * from a small per-thread table: a request derives keys for a handful of
 * usages, and folding costs more than the two AES blocks that follow.
 * The constants are public: nothing secret is kept.
 */
#define NFOLD_CACHE 16
static _Thread_local struct {
	uint64_t tag; /* 1 << 40 | the constant; 0: empty */
	uint8_t block[AES_BLOCK];
} nfold_cache[NFOLD_CACHE];

static void
nfold_usage(const uint8_t constant[5], uint8_t *block)
{
	uint64_t tag = (uint64_t)1 << 40;
	size_t i;

	for (i = 0; i < 5; i++)
		tag |= (uint64_t)constant[i] << (8 * (4 - i));
	i = (size_t)((tag ^ tag >> 8 ^ tag >> 13) % NFOLD_CACHE);
	if (nfold_cache[i].tag != tag) {
		nfold(constant, 5, nfold_cache[i].block, AES_BLOCK);
		nfold_cache[i].tag = tag;
	}
	memcpy(block, nfold_cache[i].block, AES_BLOCK);
}

/*
 * RFC 3962 §4: the PRF's key is DK(key, "prf"), made for every key a PRF
 * runs on (KRB-FX-CF2: FAST's subkey and strengthen key, per request).
 * The label is public and fixed: folded once per process (init_once), not
 * per key.
 */
static const uint8_t prf_label[] = "prf";
static uint8_t prf_label_fold[AES_BLOCK];

static void
prf_label_fold_init(void)
{
	nfold(prf_label, sizeof(prf_label) - 1, prf_label_fold, AES_BLOCK);
}

static orth_err
dk_aes(const struct enctype_info *et, EVP_CIPHER_CTX *ecb,
       const uint8_t *constant, size_t clen, uint8_t *out)
{
	uint8_t block[AES_BLOCK];
	const uint8_t *prev = block;

	if (clen == 5)
		nfold_usage(constant, block);
	else if (clen == sizeof(prf_label) - 1 && memcmp(constant, prf_label, clen) == 0)
		memcpy(block, prf_label_fold, AES_BLOCK);
	else
		nfold(constant, clen, block, AES_BLOCK);
	for (size_t n = 0; n < et->keylen; n += AES_BLOCK) {
		if (cts_blocks(ecb, prev, AES_BLOCK, out + n) != ORTH_OK)
			return ORTH_E_INTERNAL;
		prev = out + n;
	}
	return ORTH_OK;
}

/*
 * DK of two usage constants at once (RFC 3962: an encryption's Ke and Ki,
 * each keylen long): the two block chains run side by side, two blocks
 * per EVP call, half the calls of two dk_aes (each call costs several
 * times the AES of a block).
 */
static orth_err
dk_aes_pair(const struct enctype_info *et, EVP_CIPHER_CTX *ecb, const uint8_t c1[5],
	    const uint8_t c2[5], uint8_t *out1, uint8_t *out2)
{
	uint8_t chain[2 * AES_BLOCK];
	orth_err ret = ORTH_OK;

	nfold_usage(c1, chain);
	nfold_usage(c2, chain + AES_BLOCK);
	for (size_t n = 0; n < et->keylen; n += AES_BLOCK) {
		TRY(cts_blocks(ecb, chain, sizeof(chain), chain));
		memcpy(out1 + n, chain, AES_BLOCK);
		memcpy(out2 + n, chain + AES_BLOCK, AES_BLOCK);
	}
cleanup:
	crypto_wipe(chain, sizeof(chain));
	return ret;
}

/*
 * RFC 8009 §3 KDF-HMAC-SHA2(key, label, [context,] k): SP 800-108 counter
 * mode with one block, as k never exceeds the hash:
 * HMAC(key, 0x00000001 | label | 0x00 | context | k in bits) truncated.
 * mac is keyed with the base key.
 */
static orth_err
kdf_hmac_sha2(const struct hmac_key *mac, const uint8_t *label, size_t llen,
	      const uint8_t *context, size_t ctxlen, uint8_t *out,
	      size_t outlen)
{
	static const uint8_t one[5] = {0, 0, 0, 1, 0};
	uint8_t full[HMAC_MAX_LEN], bits[4];
	struct hmac_run r;
	orth_err ret = ORTH_OK;

	bits[0] = (uint8_t)(outlen * 8 >> 24);
	bits[1] = (uint8_t)(outlen * 8 >> 16);
	bits[2] = (uint8_t)(outlen * 8 >> 8);
	bits[3] = (uint8_t)(outlen * 8);
	hmac_begin(&r, mac);
	hmac_update(&r, one, 4);
	hmac_update(&r, label, llen);
	hmac_update(&r, one + 4, 1);
	hmac_update(&r, context, ctxlen);
	hmac_update(&r, bits, 4);
	CHECK(hmac_end(&r, full) >= outlen, ORTH_E_INTERNAL);
	memcpy(out, full, outlen);
cleanup:
	crypto_wipe(full, sizeof(full));
	return ret;
}

/*
 * Key's ECB context keyed with its bytes (ECB_BASE) or its PRF key
 * (ECB_PRF, made already), re-keyed only when it holds the other one.
 * After a failure it holds neither.
 */
static orth_err
key_ecb_use(struct crypto_key *key, enum ecb_holds which)
{
	orth_err ret;

	if (key->ecb_keyed == which)
		return ORTH_OK;
	key->ecb_keyed = ECB_NONE;
	ret = ecb_key(key->et, &key->ecb, which == ECB_PRF ? key->prf_key : key->bytes);
	if (ret == ORTH_OK)
		key->ecb_keyed = which;
	return ret;
}

/*
 * DK / KDF-HMAC-SHA2 from a key's own bytes: label (the usage constant,
 * "prf"), with the key's HMAC state (made once) or its ECB context keyed
 * with those bytes (key_ecb_use).
 */
static orth_err
derive_from_key(struct crypto_key *key, const uint8_t *label, size_t llen,
		const uint8_t *context, size_t ctxlen, uint8_t *out,
		size_t outlen)
{
	const struct enctype_info *et = key->et;
	orth_err ret;

	CHECK(et->sha2 || outlen == et->keylen, ORTH_E_INTERNAL);
	key->derivations++;
	if (et->sha2) {
		if (!key->have_base_mac) {
			hmac_key_set(&key->base_mac, et->md, key->bytes,
				     et->keylen);
			key->have_base_mac = true;
		}
		TRY(kdf_hmac_sha2(&key->base_mac, label, llen, context, ctxlen,
				  out, outlen));
	} else {
		TRY(key_ecb_use(key, ECB_BASE));
		TRY(dk_aes(et, key->ecb, label, llen, out));
	}
cleanup:
	return ret;
}

/* The derived key for (usage, kind); out gets keylen (Ke) or kilen bytes. */
static orth_err
derive_usage(struct crypto_key *key, uint32_t usage, uint8_t kind,
	     uint8_t *out, size_t *out_len)
{
	const struct enctype_info *et = key->et;
	uint8_t constant[5] = {(uint8_t)(usage >> 24), (uint8_t)(usage >> 16),
			       (uint8_t)(usage >> 8), (uint8_t)usage, kind};
	/* RFC 3961 §5.3 / RFC 8009 §5: Ke is keylen long; Ki and Kc are
	 * kilen (RFC 3962: the key length; DK's output is keylen). */
	size_t len = kind == DK_KE ? et->keylen : et->kilen;
	orth_err ret;

	ret = derive_from_key(key, constant, sizeof(constant), NULL, 0, out,
			      len);
	if (ret == ORTH_OK)
		*out_len = len;
	return ret;
}

/*
 * RFC 3961 §5.3: Ke = DK(usage | 0xAA) into ke, Ki = DK(usage | 0x55)
 * into ki; *ki_len set.
 */
static orth_err
derive_usage_enc(struct crypto_key *key, uint32_t usage, uint8_t *ke, uint8_t *ki,
		 size_t *ki_len)
{
	const struct enctype_info *et = key->et;
	uint8_t ce[5] = {(uint8_t)(usage >> 24), (uint8_t)(usage >> 16), (uint8_t)(usage >> 8),
			 (uint8_t)usage, DK_KE};
	uint8_t ci[5] = {ce[0], ce[1], ce[2], ce[3], DK_KI};
	size_t klen = 0;
	orth_err ret;

	if (et->sha2) {
		TRY(derive_usage(key, usage, DK_KE, ke, &klen));
		TRY(derive_usage(key, usage, DK_KI, ki, ki_len));
		goto cleanup;
	}
	/* RFC 3962: both as long as the key (kilen == keylen). */
	key->derivations += 2;
	TRY(key_ecb_use(key, ECB_BASE));
	TRY(dk_aes_pair(et, key->ecb, ce, ci, ke, ki));
	*ki_len = et->kilen;
cleanup:
	return ret;
}

/*
 * HMAC over up to two pieces from the key's precomputed pad states,
 * truncated to et->maclen: no re-keying, no allocation.
 */
static orth_err
mac_compute(const struct enctype_info *et, const struct hmac_key *mac,
	    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
	    uint8_t *out)
{
	uint8_t full[HMAC_MAX_LEN];
	struct hmac_run r;
	orth_err ret = ORTH_OK;

	hmac_begin(&r, mac);
	hmac_update(&r, a, alen);
	hmac_update(&r, b, blen);
	CHECK(hmac_end(&r, full) >= et->maclen, ORTH_E_INTERNAL);
	memcpy(out, full, et->maclen);
cleanup:
	crypto_wipe(full, sizeof(full));
	return ret;
}

static void
slot_clear(struct dk_slot *s)
{
	if (s->flags & HAVE_E) {
		crypto_wipe(s->ke, sizeof(s->ke));
		hmac_key_wipe(&s->ki);
	}
	if (s->flags & HAVE_C)
		hmac_key_wipe(&s->kc);
	s->flags = 0;
}

/* Find or make the cache slot of usage with at least the `need` flags. */
static orth_err
slot_get(struct crypto_key *key, uint32_t usage, unsigned need,
	 struct dk_slot **out)
{
	struct dk_slot *s = NULL, *victim = NULL;
	uint8_t k[CRYPTO_MAX_KEY_LEN];
	size_t klen = 0;
	bool derived = false;
	orth_err ret = ORTH_OK;

	for (size_t i = 0; i < key->nslots; i++) {
		struct dk_slot *c = &key->slot[i];
		if (c->flags != 0 && c->usage == usage) {
			s = c;
			break;
		}
		/* Least recently used; an empty slot beats any full one. */
		if (victim == NULL ||
		    (victim->flags != 0 && (c->flags == 0 || c->last_use < victim->last_use)))
			victim = c;
	}
	if (s == NULL && (victim == NULL || victim->flags != 0) && key->nslots < DK_SLOTS) {
		/* A never used slot beats any full one. */
		victim = &key->slot[key->nslots++];
		victim->flags = 0;
		victim->enc = NULL;
		victim->dec = NULL;
	}
	if (s == NULL) {
		s = victim;
		slot_clear(s);
		s->usage = usage;
	}
	s->last_use = ++key->clock;

	if ((need & (HAVE_E | READY_ENC | READY_DEC)) && !(s->flags & HAVE_E)) {
		derived = true;
		TRY(derive_usage_enc(key, usage, s->ke, k, &klen));
		hmac_key_set(&s->ki, key->et->md, k, klen);
		s->flags |= HAVE_E;
	}
	if ((need & HAVE_C) && !(s->flags & HAVE_C)) {
		derived = true;
		TRY(derive_usage(key, usage, DK_KC, k, &klen));
		hmac_key_set(&s->kc, key->et->md, k, klen);
		s->flags |= HAVE_C;
	}
	if ((need & READY_ENC) && !(s->flags & READY_ENC)) {
		/* RFC 3962 §5 / RFC 8009 §5: CTS with Ke (cts.h). */
		TRY(cipher_key(key->et, CIPH_CBC_ENC, &s->enc, s->ke));
		memset(s->enc_chain, 0, AES_BLOCK);
		s->flags |= READY_ENC;
	}
	if ((need & READY_DEC) && !(s->flags & READY_DEC)) {
		TRY(cipher_key(key->et, CIPH_ECB_DEC, &s->dec, s->ke));
		s->flags |= READY_DEC;
	}
	*out = s;
cleanup:
	/* k holds Ki or Kc only after a derivation (a cache hit has none). */
	if (derived)
		crypto_wipe(k, sizeof(k));
	if (ret != ORTH_OK) {
		slot_clear(s);
		crypto_wipe(s->ke, sizeof(s->ke)); /* a Ke without HAVE_E yet */
	}
	return ret;
}

/* ---- key objects ------------------------------------------------------- */

orth_err
crypto_key_new(int32_t enctype, const uint8_t *bytes, size_t len,
	       struct crypto_key **out)
{
	const struct enctype_info *et = enctype_get(enctype);
	struct crypto_key *key = NULL;
	orth_err ret;

	TRY(crypto_init());
	CHECK(et != NULL, ORTH_E_ENCTYPE);
	CHECK(bytes != NULL && len == et->keylen, ORTH_E_KEYSIZE);
	/* Not calloc: the object is some 7 KiB (HMAC states for SHA-384 in
	 * every slot) and a request makes several that use one or two
	 * slots; only what says "empty" is set. */
	CHECK((key = spare_key_get()) != NULL, ORTH_E_NOMEM);
	key->et = et;
	memcpy(key->bytes, bytes, len);
	key->have_base_mac = false;
	key->ecb = NULL;
	key->ecb_keyed = ECB_NONE;
	key->have_prf_key = false;
	key->memo_in_len = 0;
	key->clock = 0;
	key->derivations = 0;
	key->nslots = 0;
	*out = key;
	key = NULL;
cleanup:
	crypto_key_free(key);
	return ret;
}

orth_err
crypto_key_random(int32_t enctype, struct crypto_key **out)
{
	uint8_t k[CRYPTO_MAX_KEY_LEN];
	size_t len = crypto_enctype_keylen(enctype);
	orth_err ret;

	CHECK(len != 0, ORTH_E_ENCTYPE);
	TRY(crypto_init());
	/* RFC 3962 §6 / RFC 8009 §5: random-to-key is the identity.  From
	 * the per-thread pool: a session key per request, and one RAND_bytes
	 * call costs more than the key's whole use. */
	TRY(pool_get(k, len));
	TRY(crypto_key_new(enctype, k, len, out));
cleanup:
	crypto_wipe(k, sizeof(k));
	return ret;
}

orth_err
crypto_key_copy(const struct crypto_key *key, struct crypto_key **out)
{
	if (key == NULL)
		return ORTH_E_INTERNAL;
	return crypto_key_new(key->et->enctype, key->bytes, key->et->keylen,
			      out);
}

void
crypto_key_free(struct crypto_key *key)
{
	if (key == NULL)
		return;
	/* The secrets in a key object: its bytes, each slot's Ke and HMAC
	 * pad states (slot_clear), and the key schedules inside the cipher
	 * contexts, which spare_put has the provider wipe; the PRF key and
	 * the memo.  Nothing else is secret (usages, flags, pointers), so
	 * only those are wiped. */
	for (size_t i = 0; i < key->nslots; i++) {
		struct dk_slot *s = &key->slot[i];
		spare_put(s->enc);
		spare_put(s->dec);
		slot_clear(s);
	}
	spare_put(key->ecb);
	if (key->have_base_mac)
		hmac_key_wipe(&key->base_mac);
	if (key->have_prf_key)
		crypto_wipe(key->prf_key, sizeof(key->prf_key));
	if (key->memo_in_len != 0)
		crypto_wipe(key->memo_out, sizeof(key->memo_out));
	crypto_wipe(key->bytes, sizeof(key->bytes));
	spare_key_put(key);
}

int32_t
crypto_key_enctype(const struct crypto_key *key)
{
	return key ? key->et->enctype : -1;
}

const uint8_t *
crypto_key_bytes(const struct crypto_key *key, size_t *len_out)
{
	*len_out = key->et->keylen;
	return key->bytes;
}

/* ---- string-to-key ----------------------------------------------------- */

orth_err
crypto_string_to_key(int32_t enctype, const char *password,
		     size_t password_len, const uint8_t *salt, size_t salt_len,
		     const uint8_t *params, size_t params_len,
		     struct crypto_key **out)
{
	uint32_t iter;

	if (!crypto_enctype_supported(enctype))
		return ORTH_E_ENCTYPE;
	if (params == NULL || params_len == 0) {
		iter = crypto_enctype_default_iterations(enctype);
	} else {
		/* RFC 3962 §4: s2kparams is a 4-byte big-endian count. */
		if (params_len != 4)
			return ORTH_E_MALFORMED;
		iter = (uint32_t)params[0] << 24 | (uint32_t)params[1] << 16 |
		       (uint32_t)params[2] << 8 | params[3];
		/* s2kparams come from a KDC, so from anyone on the path: a
		 * count below the enctype's default (RFC 3962 §4: 4096; RFC
		 * 8009 §4: 32768) would weaken the key the client then uses
		 * for PA-ENC-TIMESTAMP (RFC 3962 §8).  MIT refuses it, and
		 * counts of 2^24 and more, as KRB5_ERR_BAD_S2K_PARAMS
		 * (s2k_pbkdf2.c); crypto_string_to_key_iter stays free for
		 * the RFC vectors and `string2key --iterations`. */
		if (iter < crypto_enctype_default_iterations(enctype) ||
		    iter >= S2K_MAX_ITERATIONS)
			return ORTH_E_RANGE;
	}
	return crypto_string_to_key_iter(enctype, password, password_len, salt,
					 salt_len, iter, out);
}

orth_err
crypto_string_to_key_iter(int32_t enctype, const char *password,
			  size_t password_len, const uint8_t *salt,
			  size_t salt_len, uint32_t iterations,
			  struct crypto_key **out)
{
	const struct enctype_info *et = enctype_get(enctype);
	static const uint8_t kerberos[] = "kerberos";
	uint8_t tkey[CRYPTO_MAX_KEY_LEN], key[CRYPTO_MAX_KEY_LEN];
	struct crypto_key *tk = NULL;
	uint8_t *saltp = NULL;
	size_t saltp_len = 0;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM p[6];
	unsigned int iter = iterations;
	int pkcs5 = 1;
	orth_err ret;

	TRY(crypto_init());
	CHECK(et != NULL, ORTH_E_ENCTYPE);
	/* A hostile ETYPE-INFO2 must not stall a client (RFC 3962 §8). */
	CHECK(iterations != 0 && iterations <= S2K_MAX_ITERATIONS, ORTH_E_RANGE);
	CHECK(password != NULL || password_len == 0, ORTH_E_INTERNAL);
	CHECK(salt != NULL || salt_len == 0, ORTH_E_INTERNAL);
	if (password == NULL)
		password = "";

	if (et->sha2) {
		/* RFC 8009 §4: saltp = enctype-name | 0x00 | salt. */
		size_t nlen = strlen(et->name);
		CHECK(salt_len <= SIZE_MAX - nlen - 1, ORTH_E_LIMIT);
		saltp_len = nlen + 1 + salt_len;
		CHECK((saltp = malloc(saltp_len)) != NULL, ORTH_E_NOMEM);
		memcpy(saltp, et->name, nlen + 1);
		if (salt_len > 0)
			memcpy(saltp + nlen + 1, salt, salt_len);
	}
	p[0] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_PASSWORD, (void *)password, password_len);
	p[1] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_SALT, et->sha2 ? saltp : (void *)salt,
		et->sha2 ? saltp_len : salt_len);
	p[2] = OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iter);
	p[3] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)et->digest, 0);
	/* No SP 800-132 lower bounds: RFC vectors use 1 iteration. */
	p[4] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5);
	p[5] = OSSL_PARAM_construct_end();
	CHECK((kctx = EVP_KDF_CTX_new(alg.pbkdf2)) != NULL, ORTH_E_NOMEM);
	CHECK(EVP_KDF_derive(kctx, tkey, et->keylen, p) == 1, ORTH_E_INTERNAL);

	/* RFC 3962 §4: key = DK(tkey, "kerberos"); RFC 8009 §4 likewise
	 * with KDF-HMAC-SHA2(tkey, "kerberos", keylength). */
	TRY(crypto_key_new(enctype, tkey, et->keylen, &tk));
	TRY(derive_from_key(tk, kerberos, sizeof(kerberos) - 1, NULL, 0, key,
			    et->keylen));
	TRY(crypto_key_new(enctype, key, et->keylen, out));
cleanup:
	crypto_key_free(tk);
	EVP_KDF_CTX_free(kctx);
	free(saltp);
	crypto_wipe(tkey, sizeof(tkey));
	crypto_wipe(key, sizeof(key));
	return ret;
}

/* ---- encrypt / decrypt ------------------------------------------------- */

/* CTS-encrypt buf in place with the slot's Ke; after a failure the
 * context is keyed again at its next use (its CBC state is unknown). */
static orth_err
seal_cts(struct dk_slot *s, uint8_t *buf, size_t len)
{
	orth_err ret = cts_encrypt(s->enc, s->enc_chain, buf, len, buf);

	if (ret != ORTH_OK)
		s->flags &= ~(unsigned)READY_ENC;
	return ret;
}

static orth_err
encrypt_with(struct crypto_key *key, int32_t usage, const uint8_t *conf,
	     const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	const struct enctype_info *et;
	struct dk_slot *s;
	size_t clen;
	orth_err ret;

	TRY(crypto_init());
	CHECK(key != NULL && out != NULL && out_len != NULL, ORTH_E_INTERNAL);
	CHECK(in != NULL || in_len == 0, ORTH_E_INTERNAL);
	et = key->et;
	CHECK(in_len <= INT32_MAX - CONF_LEN - et->maclen, ORTH_E_LIMIT);
	clen = CONF_LEN + in_len;
	TRY(slot_get(key, (uint32_t)usage, HAVE_E | READY_ENC, &s));

	/* Build confounder | plaintext in out, then encrypt in place. */
	if (in_len > 0 && in != out + CONF_LEN)
		memmove(out + CONF_LEN, in, in_len);
	if (conf != NULL)
		memcpy(out, conf, CONF_LEN);
	else
		TRY(confounder_get(out));
	if (!et->sha2) {
		/* RFC 3961 §5.3: H = HMAC(Ki, conf | plaintext). */
		TRY(mac_compute(et, &s->ki, out, clen, NULL, 0, out + clen));
		TRY(seal_cts(s, out, clen));
	} else {
		/* RFC 8009 §5: H = HMAC(Ki, IV | C), C = E(Ke, N | plain). */
		TRY(seal_cts(s, out, clen));
		TRY(mac_compute(et, &s->ki, zero_iv, AES_BLOCK, out, clen,
				out + clen));
	}
	*out_len = clen + et->maclen;
cleanup:
	return ret;
}

orth_err
crypto_encrypt(struct crypto_key *key, int32_t usage, const uint8_t *in,
	       size_t in_len, uint8_t *out, size_t *out_len)
{
	return encrypt_with(key, usage, NULL, in, in_len, out, out_len);
}

orth_err
crypto_decrypt(struct crypto_key *key, int32_t usage, const uint8_t *in,
	       size_t in_len, uint8_t *out, size_t *out_len)
{
	const struct enctype_info *et;
	uint8_t want[CRYPTO_MAX_CKSUM_LEN], got[CRYPTO_MAX_CKSUM_LEN];
	struct dk_slot *s;
	size_t clen = 0;
	orth_err ret;

	TRY(crypto_init());
	CHECK(key != NULL && in != NULL && out != NULL && out_len != NULL,
	      ORTH_E_INTERNAL);
	et = key->et;
	CHECK(in_len >= CONF_LEN + et->maclen, ORTH_E_MALFORMED);
	CHECK(in_len <= INT32_MAX, ORTH_E_LIMIT);
	clen = in_len - et->maclen;
	TRY(slot_get(key, (uint32_t)usage, HAVE_E | READY_DEC, &s));
	memcpy(want, in + clen, et->maclen);

	if (et->sha2) {
		/* RFC 8009 §5: check the MAC over IV | C before decrypting. */
		TRY(mac_compute(et, &s->ki, zero_iv, AES_BLOCK, in, clen, got));
		CHECK(CRYPTO_memcmp(got, want, et->maclen) == 0,
		      ORTH_E_INTEGRITY);
		TRY(cts_decrypt(s->dec, in, clen, out));
	} else {
		TRY(cts_decrypt(s->dec, in, clen, out));
		TRY(mac_compute(et, &s->ki, out, clen, NULL, 0, got));
		CHECK(CRYPTO_memcmp(got, want, et->maclen) == 0,
		      ORTH_E_INTEGRITY);
	}
	/* Drop the confounder. */
	memmove(out, out + CONF_LEN, clen - CONF_LEN);
	crypto_wipe(out + clen - CONF_LEN, CONF_LEN);
	*out_len = clen - CONF_LEN;
cleanup:
	/* Never hand back unauthenticated plaintext (out has in_len bytes). */
	if (ret != ORTH_OK && out != NULL)
		crypto_wipe(out, in_len);
	return ret;
}

/* ---- checksums --------------------------------------------------------- */

orth_err
crypto_checksum_make(struct crypto_key *key, int32_t usage,
		     const uint8_t *data, size_t len, int32_t *cksumtype_out,
		     uint8_t *out, size_t *out_len)
{
	struct dk_slot *s;
	orth_err ret;

	TRY(crypto_init());
	CHECK(key != NULL && out != NULL && out_len != NULL, ORTH_E_INTERNAL);
	CHECK(data != NULL || len == 0, ORTH_E_INTERNAL);
	TRY(slot_get(key, (uint32_t)usage, HAVE_C, &s));
	/* RFC 3961 §5.4 get_mic: HMAC(Kc, data) truncated to h. */
	TRY(mac_compute(key->et, &s->kc, data, len, NULL, 0, out));
	if (cksumtype_out != NULL)
		*cksumtype_out = key->et->cksumtype;
	*out_len = key->et->maclen;
cleanup:
	return ret;
}

orth_err
crypto_checksum_verify(struct crypto_key *key, int32_t usage,
		       int32_t cksumtype, const uint8_t *data, size_t len,
		       const uint8_t *cksum, size_t cksum_len)
{
	uint8_t got[CRYPTO_MAX_CKSUM_LEN];
	size_t glen = 0;
	orth_err ret;

	CHECK(key != NULL, ORTH_E_INTERNAL);
	CHECK(cksumtype == key->et->cksumtype, ORTH_E_CKSUMTYPE);
	CHECK(cksum != NULL && cksum_len == key->et->maclen, ORTH_E_INTEGRITY);
	TRY(crypto_checksum_make(key, usage, data, len, NULL, got, &glen));
	CHECK(CRYPTO_memcmp(got, cksum, glen) == 0, ORTH_E_INTEGRITY);
cleanup:
	crypto_wipe(got, sizeof(got));
	return ret;
}

/* ---- PRF --------------------------------------------------------------- */

/*
 * The SHA-1s of public PRF inputs (crypto_prf_public), per thread: FAST
 * makes KRB-FX-CF2 of the same peppers for every request (the armor key,
 * the strengthened reply key), each PRF+ block a SHA-1 of counter |
 * pepper.  Only what RFC 3962's PRF uses is kept: the first 16 bytes.
 */
#define PUB_HASH_SLOTS 8
#define PUB_HASH_MAX 48
static _Thread_local struct {
	size_t len; /* 0: empty */
	uint8_t in[PUB_HASH_MAX];
	uint8_t h[AES_BLOCK];
} pub_hash[PUB_HASH_SLOTS];
static _Thread_local unsigned pub_hash_next;

/* truncate16(SHA-1(in)) into h; pub: in is public and may be remembered. */
static orth_err
prf_sha1(const uint8_t *in, size_t in_len, bool pub, uint8_t h[AES_BLOCK])
{
	static const uint8_t empty[1];
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	size_t i;
	orth_err ret = ORTH_OK;

	pub = pub && in_len > 0 && in_len <= PUB_HASH_MAX;
	for (i = 0; pub && i < PUB_HASH_SLOTS; i++) {
		if (pub_hash[i].len == in_len && memcmp(pub_hash[i].in, in, in_len) == 0) {
			memcpy(h, pub_hash[i].h, AES_BLOCK);
			goto cleanup;
		}
	}
	CHECK(EVP_Digest(in_len ? in : empty, in_len, full, &hlen, alg.sha1, NULL) == 1 &&
		      hlen >= AES_BLOCK,
	      ORTH_E_INTERNAL);
	memcpy(h, full, AES_BLOCK);
	if (pub) {
		i = pub_hash_next++ % PUB_HASH_SLOTS;
		memcpy(pub_hash[i].in, in, in_len);
		memcpy(pub_hash[i].h, full, AES_BLOCK);
		pub_hash[i].len = in_len;
	}
cleanup:
	/* The hash of a public input is public (and kept above): only a
	 * secret one's is wiped. */
	if (!pub)
		crypto_wipe(full, sizeof(full));
	return ret;
}

/*
 * RFC 3962 §4: E(DK(key, "prf"), h) for n hashed inputs h (16 bytes each,
 * laid end to end) into out: one ECB block each (one block from the zero
 * IV), all through one EVP call.
 */
static orth_err
prf_aes_blocks(struct crypto_key *key, const uint8_t *h, size_t n, uint8_t *out)
{
	orth_err ret;

	if (!key->have_prf_key) {
		TRY(derive_from_key(key, prf_label, sizeof(prf_label) - 1, NULL, 0, key->prf_key,
				    key->et->keylen));
		key->have_prf_key = true;
	}
	TRY(key_ecb_use(key, ECB_PRF));
	TRY(cts_blocks(key->ecb, h, n * AES_BLOCK, out));
cleanup:
	return ret;
}

static orth_err
prf_run(struct crypto_key *key, const uint8_t *in, size_t in_len, bool pub,
	uint8_t *out, size_t *out_len)
{
	const struct enctype_info *et;
	uint8_t tmp[AES_BLOCK];
	orth_err ret;

	TRY(crypto_init());
	CHECK(key != NULL && out != NULL && out_len != NULL, ORTH_E_INTERNAL);
	CHECK(in != NULL || in_len == 0, ORTH_E_INTERNAL);
	et = key->et;
	if (et->sha2) {
		/* RFC 8009 §5: PRF = KDF-HMAC-SHA2(key, "prf", input, 256|384). */
		TRY(derive_from_key(key, prf_label, sizeof(prf_label) - 1, in,
				    in_len, out, et->prflen));
	} else {
		/* RFC 3962 §4: E(DK(key, "prf"), truncate16(SHA-1(input))). */
		TRY(prf_sha1(in, in_len, pub, tmp));
		TRY(prf_aes_blocks(key, tmp, 1, out));
	}
	*out_len = et->prflen;
cleanup:
	/* tmp is the hash of the input: secret only when the input is. */
	if (!pub)
		crypto_wipe(tmp, sizeof(tmp));
	return ret;
}

orth_err
crypto_prf_plus_public_blocks(struct crypto_key *key, uint8_t *input, size_t input_len,
			      size_t n, uint8_t *out)
{
	uint8_t h[CRYPTO_PRF_PLUS_BATCH * AES_BLOCK];
	size_t len = 0;
	orth_err ret = ORTH_OK;

	CHECK(key != NULL && input != NULL && input_len > 0 && n > 0 && n <= CRYPTO_PRF_PLUS_BATCH,
	      ORTH_E_INTERNAL);
	for (size_t i = 0; i < n; i++) {
		input[0] = (uint8_t)(i + 1);
		if (key->et->sha2)
			TRY(prf_run(key, input, input_len, true, out + i * key->et->prflen, &len));
		else
			TRY(prf_sha1(input, input_len, true, h + i * AES_BLOCK));
	}
	if (!key->et->sha2)
		TRY(prf_aes_blocks(key, h, n, out));
cleanup:
	return ret;
}

orth_err
crypto_prf(struct crypto_key *key, const uint8_t *in, size_t in_len,
	   uint8_t *out, size_t *out_len)
{
	return prf_run(key, in, in_len, false, out, out_len);
}

orth_err
crypto_prf_public(struct crypto_key *key, const uint8_t *in, size_t in_len,
		  uint8_t *out, size_t *out_len)
{
	return prf_run(key, in, in_len, true, out, out_len);
}

bool
crypto_key_memo_get(const struct crypto_key *key, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t out_len)
{
	if (key->memo_in_len == 0 || key->memo_in_len != in_len ||
	    key->memo_out_len != out_len || memcmp(key->memo_in, in, in_len) != 0)
		return false;
	memcpy(out, key->memo_out, out_len);
	return true;
}

void
crypto_key_memo_put(struct crypto_key *key, const uint8_t *in, size_t in_len,
		    const uint8_t *out, size_t out_len)
{
	if (in_len == 0 || in_len > sizeof(key->memo_in) || out_len > sizeof(key->memo_out))
		return;
	memcpy(key->memo_in, in, in_len);
	memcpy(key->memo_out, out, out_len);
	key->memo_in_len = in_len;
	key->memo_out_len = out_len;
}

/* ---- test hooks (crypto_test.h) ---------------------------------------- */

orth_err
crypto_test_encrypt_confounder(struct crypto_key *key, int32_t usage,
			       const uint8_t confounder[16], const uint8_t *in,
			       size_t in_len, uint8_t *out, size_t *out_len)
{
	if (confounder == NULL)
		return ORTH_E_INTERNAL;
	return encrypt_with(key, usage, confounder, in, in_len, out, out_len);
}

orth_err
crypto_test_derive(struct crypto_key *key, int32_t usage, uint8_t kind,
		   uint8_t *out, size_t *out_len)
{
	orth_err ret;

	TRY(crypto_init());
	CHECK(kind == DK_KC || kind == DK_KE || kind == DK_KI, ORTH_E_INTERNAL);
	TRY(derive_usage(key, (uint32_t)usage, kind, out, out_len));
cleanup:
	return ret;
}

orth_err
crypto_test_nfold(const uint8_t *in, size_t in_len, uint8_t *out,
		  size_t out_len)
{
	if (in == NULL || in_len == 0 || out_len == 0 ||
	    out_len > CRYPTO_MAX_PRF_LEN)
		return ORTH_E_INTERNAL;
	nfold(in, in_len, out, out_len);
	return ORTH_OK;
}

unsigned long
crypto_test_derivations(const struct crypto_key *key)
{
	return key->derivations;
}

orth_err
crypto_test_cts(int enc, const uint8_t *k, size_t klen, const uint8_t *in,
		size_t len, uint8_t *out)
{
	const struct enctype_info *et;
	EVP_CIPHER_CTX *cctx = NULL;
	orth_err ret;

	TRY(crypto_init());
	et = enctype_get(klen == 16 ? ENCTYPE_AES128_CTS_HMAC_SHA1_96
				    : ENCTYPE_AES256_CTS_HMAC_SHA1_96);
	CHECK(klen == 16 || klen == 32, ORTH_E_KEYSIZE);
	if (enc) {
		uint8_t chain[AES_BLOCK] = {0};

		TRY(cipher_key(et, CIPH_CBC_ENC, &cctx, k));
		TRY(cts_encrypt(cctx, chain, in, len, out));
	} else {
		TRY(cipher_key(et, CIPH_ECB_DEC, &cctx, k));
		TRY(cts_decrypt(cctx, in, len, out));
	}
cleanup:
	EVP_CIPHER_CTX_free(cctx);
	return ret;
}

orth_err
crypto_md5(const void *in, size_t len, uint8_t out[16])
{
	unsigned int n = 0;
	orth_err ret;
	EVP_MD *md = NULL;

	TRY(crypto_init());
	md = EVP_MD_fetch(NULL, "MD5", NULL);
	CHECK(md != NULL, ORTH_E_INTERNAL);
	CHECK(EVP_Digest(len ? in : "", len, out, &n, md, NULL) == 1 && n == 16,
	      ORTH_E_INTERNAL);
cleanup:
	EVP_MD_free(md);
	return ret;
}

orth_err
crypto_checksum_hmac_md5(const struct crypto_key *key, int32_t usage, const uint8_t *data,
			 size_t len, uint8_t out[16])
{
	/* RFC 4757 §4: Ksign = HMAC(K, "signaturekey" with its NUL); the
	 * checksum is HMAC(Ksign, MD5(usage, 4 bytes little-endian | data)).
	 * Usage 17 (the only one MS-SFU uses) needs no RFC 4757 §3
	 * translation. */
	static const char sig[] = "signaturekey";
	uint8_t ksign[16], tmp[16], u[4];
	size_t n = 0;
	orth_err ret;
	EVP_MD_CTX *md = NULL;
	EVP_MD *md5 = NULL;

	TRY(crypto_init());
	CHECK(key != NULL && (data != NULL || len == 0), ORTH_E_INTERNAL);
	u[0] = (uint8_t)usage;
	u[1] = (uint8_t)((uint32_t)usage >> 8);
	u[2] = (uint8_t)((uint32_t)usage >> 16);
	u[3] = (uint8_t)((uint32_t)usage >> 24);
	md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md = EVP_MD_CTX_new();
	CHECK(md5 != NULL && md != NULL, ORTH_E_INTERNAL);
	CHECK(EVP_DigestInit_ex(md, md5, NULL) == 1 && EVP_DigestUpdate(md, u, 4) == 1 &&
		      (len == 0 || EVP_DigestUpdate(md, data, len) == 1) &&
		      EVP_DigestFinal_ex(md, tmp, NULL) == 1,
	      ORTH_E_INTERNAL);
	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, key->bytes, key->et->keylen, (const uint8_t *)sig,
			sizeof(sig), ksign, sizeof(ksign), &n) != NULL && n == 16,
	      ORTH_E_INTERNAL);
	CHECK(EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, ksign, sizeof(ksign), tmp, sizeof(tmp),
			out, 16, &n) != NULL && n == 16,
	      ORTH_E_INTERNAL);
cleanup:
	crypto_wipe(ksign, sizeof(ksign));
	crypto_wipe(tmp, sizeof(tmp));
	EVP_MD_CTX_free(md);
	EVP_MD_free(md5);
	return ret;
}
