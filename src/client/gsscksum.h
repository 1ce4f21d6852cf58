/*
 * gsscksum.h - the authenticator checksum of the GSS-API Kerberos
 * mechanism (RFC 4121 §4.1.1): checksum type 0x8003, whose checksum field
 * is not a checksum but a structure, all integers little-endian except
 * the extensions':
 *   Lgth    4  length of Bnd, always 16
 *   Bnd    16  MD5 of the channel bindings (§4.1.1.2), or zeros for none
 *   Flags   4  the context flags the initiator asks for (GSS_C_*)
 *   when Flags has GSS_C_DELEG_FLAG and 4 or more bytes follow:
 *   DlgOpt  2  1 (a KRB-CRED follows)
 *   Dlgth   2  its length
 *   Deleg   n  the KRB-CRED with the delegated TGT
 *   then extensions to the end (§4.1.1.1): {type 4 BE, length 4 BE, data}.
 * The bytes are the client's (inside the authenticator it encrypted, so
 * only a holder of the session key can write them), but they are parsed as
 * hostile all the same: bounded cursor, every length checked, a cap on the
 * number of extensions.
 */
#ifndef ORTHRUS_CLIENT_GSSCKSUM_H
#define ORTHRUS_CLIENT_GSSCKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "orthrus/service.h"

#define GSS_CKSUMTYPE 0x8003
#define GSS_CB_LEN 16
#define GSS_CKSUM_MIN (4 + GSS_CB_LEN + 4)
#define GSS_CKSUM_MAX_EXTS 32
#define GSS_DLGOPT_KRB_CRED 1

/* RFC 2744 §3.7 / RFC 4121 flag bits (GSS_C_*). */
#define GSS_FLAG_DELEG 1u
#define GSS_FLAG_MUTUAL 2u
#define GSS_FLAG_REPLAY 4u
#define GSS_FLAG_SEQUENCE 8u
#define GSS_FLAG_CONF 16u
#define GSS_FLAG_INTEG 32u
#define GSS_FLAG_DCE_STYLE 0x1000u
#define GSS_FLAG_IDENTIFY 0x2000u
#define GSS_FLAG_EXTENDED_ERROR 0x4000u
/* The flags an acceptor takes from the initiator (MIT's INITIATOR_FLAGS;
 * DELEG only with a delegated credential). */
#define GSS_FLAGS_FROM_INITIATOR                                               \
	(GSS_FLAG_INTEG | GSS_FLAG_CONF | GSS_FLAG_MUTUAL | GSS_FLAG_REPLAY |  \
	 GSS_FLAG_SEQUENCE | GSS_FLAG_DCE_STYLE | GSS_FLAG_IDENTIFY |         \
	 GSS_FLAG_EXTENDED_ERROR)

/* MS-KILE §2.2.11 KERB-AP-OPTIONS (ad-type 143, 4 bytes LE): the client
 * asks that channel bindings be required. */
#define GSS_AD_AP_OPTIONS 143
#define GSS_AP_OPTIONS_CBT 0x4000u

struct gss_cksum {
	uint8_t bindings[GSS_CB_LEN];  /* all zeros: the client sent none */
	uint32_t flags;                /* as sent */
	const uint8_t *deleg;          /* KRB-CRED (points into the input), or NULL */
	size_t deleg_len;
	size_t nexts;                  /* extensions (not interpreted) */
};

/*
 * Decode the checksum field of a 0x8003 checksum.  Errors: ORTH_E_TRUNCATED
 * (shorter than 24 bytes, or a length that overruns), ORTH_E_MALFORMED
 * (Lgth not 16, DlgOpt not 1), ORTH_E_LIMIT (more than GSS_CKSUM_MAX_EXTS
 * extensions).  *out points into buf; set only on success.
 */
orth_err gss_cksum_decode(const uint8_t *buf, size_t len,
			  struct gss_cksum *out);

/* RFC 4121 §4.1.1.2: MD5 over the bindings, lengths and address types as
 * 4-byte little-endian integers.  Errors: crypto's. */
orth_err gss_bindings_hash(const struct orthrus_channel_bindings *cb,
			   uint8_t out[GSS_CB_LEN]);

/*
 * The acceptor's decision on c, as MIT's: with acceptor bindings (cb_hash
 * not NULL) a non-zero Bnd must equal cb_hash (ORTH_E_KRB(41),
 * KRB_AP_ERR_MODIFIED, otherwise); zeros are accepted unless require is
 * set (the client's KERB-AP-OPTIONS CBT) - then it is refused the same.
 * *bound_out: the bindings matched.
 */
orth_err gss_cksum_check(const struct gss_cksum *c, const uint8_t *cb_hash,
			 bool require, bool *bound_out);

#endif
