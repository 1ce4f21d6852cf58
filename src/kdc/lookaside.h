/*
 * lookaside.h - the KDC's reply cache for retransmitted requests.
 *
 * A client that does not hear back over UDP sends the very same datagram
 * again (RFC 4120 §7.2.1; MIT retries every second or so across its KDCs).
 * Processing it a second time would be wrong for a TGS-REQ: its
 * authenticator is now in the replay cache and the client would get
 * KRB_AP_ERR_REPEAT.  So the KDC remembers, for a short window, each
 * request's bytes with the reply it sent, and answers an identical request
 * (same bytes, from any address, over either transport) with the identical
 * reply.  The AS/TGS code calls, in this order:
 *     kdc_lookaside_get() -> hit: send what it wrote, stop
 *     otherwise process (replay cache check inside) -> kdc_lookaside_put()
 *
 * Window: KDC_LOOKASIDE_DEFAULT_WINDOW = 60 s.  Clients give up on a KDC
 * after a few seconds and on the whole exchange after ~30 s (MIT: 1 s per
 * attempt, 3 passes over the KDC list), so 60 s covers every retransmission
 * with margin; it is much shorter than the replay window, which is fine:
 * after the lookaside entry is gone, a retransmitted TGS-REQ is a replay.
 *
 * Bounded memory: at most max_entries entries and max_bytes of request +
 * reply bytes, shared out evenly over the shards (see below).  When a put
 * would exceed either cap of its shard the shard's oldest entries are
 * evicted (FIFO = expiry order, all entries share one window).  Evicting is
 * safe here: the lookaside is an optimisation for honest retransmits, not a
 * security control; losing an entry costs at worst a KRB_AP_ERR_REPEAT for
 * one retransmitted TGS-REQ.  A single entry bigger than its shard's share
 * of max_bytes is not stored.
 *
 * Lookup: a keyed SipHash of the request bytes picks a bucket; a hit is
 * confirmed by comparing the full bytes, so a hash collision can never serve
 * someone else's reply.
 *
 * Thread safety: one cache may be shared by all workers.  It is cut into
 * up to 16 shards by the request's hash, each with its own mutex, so that
 * workers rarely take the same lock (one shard when max_entries is below
 * 512, so that small caps stay exact).  Replies are copied out under the
 * lock, so no pointer into the cache ever escapes (another worker may
 * evict the entry at any time).
 */
#ifndef ORTHRUS_KDC_LOOKASIDE_H
#define ORTHRUS_KDC_LOOKASIDE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/writer.h"

#define KDC_LOOKASIDE_DEFAULT_WINDOW 60              /* seconds */
#define KDC_LOOKASIDE_DEFAULT_ENTRIES 16384
#define KDC_LOOKASIDE_DEFAULT_BYTES (16u * 1024 * 1024)

struct kdc_lookaside;

/*
 * window seconds (0 = default), max_entries (0 = default), max_bytes
 * (0 = default).  *la_out is owned by the caller: kdc_lookaside_free().
 * Returns ORTH_E_NOMEM, ORTH_E_INTERNAL (no randomness), ORTH_E_RANGE
 * (negative window).
 */
orth_err kdc_lookaside_new(int64_t window, size_t max_entries, size_t max_bytes,
    struct kdc_lookaside **la_out);

/* Releases every entry and the cache; NULL is fine. */
void kdc_lookaside_free(struct kdc_lookaside *la);

/*
 * The keyed hash of req (req_len bytes) that _get and _put take: computed
 * once per request, as hashing a request costs more than looking it up.
 */
uint64_t kdc_lookaside_hash(const struct kdc_lookaside *la, const uint8_t *req,
    size_t req_len);

/*
 * If req (req_len bytes, hash h = kdc_lookaside_hash() of them) was
 * answered within the window, appends the cached reply to *reply.  now:
 * current time in seconds.
 * Returns ORTH_OK (hit, reply written), ORTH_E_NOTFOUND (miss or expired;
 * *reply untouched), ORTH_E_LIMIT (hit, but the reply did not fit: the
 * writer's sticky error is set too).
 */
orth_err kdc_lookaside_get(struct kdc_lookaside *la, uint64_t h, const uint8_t *req,
    size_t req_len, int64_t now, struct writer *reply);

/*
 * Remembers reply as the answer to req (its hash h as for _get); both are
 * copied.  An existing entry
 * for the same bytes is replaced.  Returns ORTH_OK, ORTH_E_LIMIT (entry
 * larger than max_bytes or empty request: not stored), ORTH_E_NOMEM.
 */
orth_err kdc_lookaside_put(struct kdc_lookaside *la, uint64_t h, const uint8_t *req,
    size_t req_len, const uint8_t *reply, size_t reply_len, int64_t now);

/* Entries and bytes currently held (expired ones included until evicted). */
void kdc_lookaside_stats(struct kdc_lookaside *la, size_t *entries_out,
    size_t *bytes_out);

#endif
