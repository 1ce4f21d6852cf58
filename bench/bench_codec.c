/*
 * bench_codec.c - what one KDC request costs in the codec and the crypto:
 * decode + re-encode a TGS-REQ captured from MIT's kvno, and encrypt +
 * decrypt a ticket-sized plaintext with a cached usage, per enctype.
 * Prints operations per second; `make bench` runs it.  Not a test: it
 * asserts nothing about speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asn1/asn1.h"
#include "crypto/crypto.h"

static double
now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t
read_hex(const char *path, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int hi = -1, ch;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while ((ch = fgetc(f)) != EOF && n < cap) {
		int v;
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	fclose(f);
	return n;
}

static void
bench_tgs_req(const char *vectors)
{
	char path[1024];
	uint8_t req[4096], out[4096];
	struct arena a;
	size_t len;
	long iters = 200000;

	snprintf(path, sizeof(path), "%s/mit/tgs-req.hex", vectors);
	len = read_hex(path, req, sizeof(req));
	if (arena_init(&a, 64 * 1024) != ORTH_OK)
		exit(1);
	double t0 = now_sec();
	for (long i = 0; i < iters; i++) {
		TGS_REQ r;
		struct writer w;
		memset(&r, 0, sizeof(r));
		if (der_decode(&asn1_TGS_REQ, req, len, &a, &r) != ORTH_OK)
			exit(1);
		writer_init(&w, out, sizeof(out));
		if (der_encode(&asn1_TGS_REQ, &r, &w) != ORTH_OK)
			exit(1);
		arena_reset(&a);
	}
	double dt = now_sec() - t0;
	printf("tgs-req decode+encode (%zu bytes): %.0f ops/s, %.2f us/op\n",
	       len, iters / dt, dt / iters * 1e6);
	arena_free(&a);
}

static void
bench_crypto(int32_t etype)
{
	struct crypto_key *key = NULL;
	uint8_t plain[300], cipher[400], back[400];
	size_t clen, plen;
	long iters = 100000;

	memset(plain, 0x5a, sizeof(plain));
	if (crypto_key_random(etype, &key) != ORTH_OK)
		exit(1);
	double t0 = now_sec();
	for (long i = 0; i < iters; i++) {
		if (crypto_encrypt(key, 2, plain, sizeof(plain), cipher, &clen) != ORTH_OK ||
		    crypto_decrypt(key, 2, cipher, clen, back, &plen) != ORTH_OK)
			exit(1);
	}
	double dt = now_sec() - t0;
	printf("%s encrypt+decrypt 300 bytes: %.0f ops/s, %.2f us/op\n",
	       crypto_enctype_name(etype), iters / dt, dt / iters * 1e6);
	crypto_key_free(key);
}

int
main(int argc, char **argv)
{
	const char *vectors = argc > 1 ? argv[1] : "tests/vectors";

	if (crypto_init() != ORTH_OK)
		return 1;
	bench_tgs_req(vectors);
	for (int32_t e = 17; e <= 20; e++)
		bench_crypto(e);
	return 0;
}
