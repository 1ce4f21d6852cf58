/*
 * kdc.h - the KDC's request handling: AS and TGS exchanges (RFC 4120 §3.1,
 * §3.3) and the password-change service (kpasswd.c: RFC 3244 and its
 * version-1 predecessor) behind one dispatch function for the network loop
 * (net.h), which says which service a request came for.
 *
 * Shared state (struct kdc_shared, owned by the caller, read-only while the
 * workers run except the replay and lookaside caches, which are thread-safe
 * on their own): the config, the open database, the caches.
 *
 * Per-worker state (struct kdc_ctx): everything a request touches that is
 * mutable - its db reader (one LMDB read transaction, reset and renewed),
 * the database entries it read (kept until the next commit to the
 * database), its arena (reset and wiped after every reply), its cache of
 * decrypted long-term keys (crypto_key objects cache derived keys and are
 * not thread-safe, so each worker keeps its own).  Request handling has no
 * global mutable state: N workers = N contexts.
 *
 *     kdc_ctx_new(&shared, &ctx) for each worker
 *     kdc_net_run(net, kdc_dispatch, ctxs)
 *     kdc_ctx_free(ctx)
 */
#ifndef ORTHRUS_KDC_KDC_H
#define ORTHRUS_KDC_KDC_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "kdc/kdc_config.h"
#include "kdc/lookaside.h"
#include "kdc/net.h"
#include "kdc/replay.h"

#define KDC_ARENA_SIZE (1u << 20)        /* per worker, per request */
#define KDC_KEYCACHE_SLOTS 32            /* decrypted keys per worker */

struct kdc_acl;

struct kdc_shared {
	const struct kdc_config_realm *realm; /* the realm served */
	/* Opened read-write when kpasswd is served: it changes passwords
	 * (account.h), one LMDB write transaction each. */
	struct db *db;
	struct kdc_replay *replay;            /* required */
	struct kdc_lookaside *lookaside;      /* NULL: none (UDP only) */
	/* The realm's acl_file (acl.h): who may set others' passwords with
	 * kpasswd.  NULL: nobody. */
	const struct kdc_acl *acl;
	int64_t skew;                         /* seconds; 0 = 300 */
	/* The KDC's clock; NULL: proto_now().  Tests, fuzzers and
	 * benchmarks fix it so that captured requests stay fresh. */
	void (*clock)(int64_t *sec_out, int32_t *usec_out);
};

struct kdc_ctx;

/*
 * A worker context over sh (which must outlive it).  Opens a db reader and
 * the arena.  *out: kdc_ctx_free().  ORTH_E_NOMEM, db errors.
 */
orth_err kdc_ctx_new(const struct kdc_shared *sh, struct kdc_ctx **out);
void kdc_ctx_free(struct kdc_ctx *ctx);

/*
 * One request, from the network or from a test: handle req and write the
 * reply (or nothing) into *reply.  info says how it came; a request for
 * info->service KDC_SERVICE_KPASSWD is a password change (kpasswd.c says
 * what is answered how), the rest is for the KDC: over UDP a
 * request that does not decode gets no answer; a reply longer than
 * info->max_reply is replaced by KRB_ERR_RESPONSE_TOO_BIG (RFC 4120
 * §7.2.1); info->too_long (TCP, no req) is answered KRB_ERR_FIELD_TOOLONG.
 * An identical request seen before within the lookaside window, over
 * either transport, gets the reply it got then (the whole reply, even
 * where it was too big for UDP).  Anything that is not an AS-REQ or
 * TGS-REQ is dropped.  Always logs one line (for kpasswd its error field
 * is the RFC 3244 result code).  Returns the refusal (ORTH_E_KRB) or
 * ORTH_OK; the reply is what counts.
 */
orth_err kdc_handle(struct kdc_ctx *ctx, const struct kdc_request_info *info,
		    const uint8_t *req, size_t req_len, struct writer *reply);

/* kdc_handle() as the kdc_dispatch_fn of net.h (ctx: a struct kdc_ctx):
 * ORTH_OK whenever there is a reply. */
orth_err kdc_dispatch(void *ctx, const struct kdc_request_info *info,
		      const uint8_t *req, size_t req_len, struct writer *reply);

/* ctx's counters, for a scrape (metrics.h: read with relaxed loads while
 * the worker runs). */
const struct kdc_metrics *kdc_ctx_metrics(const struct kdc_ctx *ctx);

/* The request info of a test, fuzzer or benchmark without a socket: the
 * transport t with its default reply limit, peer for the log. */
void kdc_request_info_local(struct kdc_request_info *info, enum kdc_transport t,
			    const char *peer);

#endif
