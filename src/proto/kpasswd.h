/*
 * kpasswd.h - the messages of the Kerberos password-change protocols, on
 * UDP and TCP port 464:
 *  - version 0x0001, the original "change password" protocol (RFC 3244 §1
 *    cites it; draft-ietf-cat-kerb-chg-password-02): the KRB-PRIV's user
 *    data is the new password itself.  MIT's kpasswd and kinit send it.
 *  - version 0xff80, RFC 3244's set/change password: the user data is a
 *    ChangePasswdData, which may name a target principal (set-password).
 *    Heimdal's kpasswd sends it.
 * Both share one framing, and one reply (RFC 3244 §2), all big-endian:
 *
 *   request: length(2) version(2) ap-req-length(2) AP-REQ KRB-PRIV
 *   reply:   length(2) 0x0001     ap-rep-length(2) AP-REP KRB-PRIV
 *   error:   length(2) 0x0001     0x0000           KRB-ERROR
 *
 * where length counts the whole message (so at most 65535 bytes; over TCP
 * the message is preceded by the usual 4-byte length, RFC 3244 §2).  The
 * result, in the reply's KRB-PRIV user data or the KRB-ERROR's e-data, is
 * a 2-byte code (enum kpasswd_result) and a UTF-8 string for the user.
 *
 * Everything here is pure and bounded (no allocation but from the caller's
 * arena, no I/O): fuzz/kpasswd_fuzz.c drives it.  Decoding then encoding
 * a frame, a ChangePasswdData or a result gives back the same bytes.
 */
#ifndef ORTHRUS_PROTO_KPASSWD_H
#define ORTHRUS_PROTO_KPASSWD_H

#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/writer.h"

#define KPASSWD_VERSION_CHANGE 0x0001 /* also the version of every reply */
#define KPASSWD_VERSION_SET 0xff80
#define KPASSWD_HEADER 6              /* length, version, ap length */
#define KPASSWD_MAX_MSG 0xffffu       /* the 2-byte length */
#define KPASSWD_MAX_TEXT 512          /* result string bytes we send */

/* RFC 3244 §2 result codes (MIT: KRB5_KPASSWD_*). */
enum kpasswd_result {
	KPASSWD_SUCCESS = 0,
	KPASSWD_MALFORMED = 1,           /* request fails basic checks */
	KPASSWD_HARDERROR = 2,           /* server error */
	KPASSWD_AUTHERROR = 3,           /* authentication failed */
	KPASSWD_SOFTERROR = 4,           /* password change rejected */
	KPASSWD_ACCESSDENIED = 5,        /* not authorized */
	KPASSWD_BAD_VERSION = 6,         /* unknown protocol version */
	KPASSWD_INITIAL_FLAG_NEEDED = 7, /* the ticket is not an initial one */
};

/* One message split into its parts; the pointers point into the input. */
struct kpasswd_frame {
	uint16_t version;
	const uint8_t *ap;           /* AP-REQ or AP-REP; empty in an error */
	size_t ap_len;
	const uint8_t *body;         /* KRB-PRIV or KRB-ERROR */
	size_t body_len;
};

/*
 * Split buf by the framing alone: at least the header, the length field
 * equal to len, the AP part within the message.  Errors: ORTH_E_TRUNCATED
 * (shorter than the header, or the AP part runs past the end),
 * ORTH_E_MALFORMED (the length field is not len).
 */
orth_err kpasswd_frame_decode(const uint8_t *buf, size_t len, struct kpasswd_frame *out);

/* The framed message of f, appended to w.  ORTH_E_RANGE when it would
 * be longer than KPASSWD_MAX_MSG; the writer's errors. */
orth_err kpasswd_frame_encode(const struct kpasswd_frame *f, struct writer *w);

/* What a message received by a server is. */
enum kpasswd_kind {
	KPASSWD_KIND_REQUEST,     /* framed, version 1 or 0xff80, AP-REQ, KRB-PRIV */
	KPASSWD_KIND_REPLY,       /* shaped like a reply: never to be answered */
	KPASSWD_KIND_BAD_VERSION, /* framed request of another version */
	KPASSWD_KIND_MALFORMED,   /* anything else */
};

/*
 * Classify buf as a server must before it answers anything.  A reply - an
 * unframed KRB-ERROR, a frame without an AP part or whose AP part is an
 * AP-REP or a KRB-ERROR, or a frame whose body is a KRB-ERROR - is
 * KPASSWD_KIND_REPLY whatever else it holds: a server that answered
 * replies could be made to play ping-pong with another one over UDP
 * (CVE-2002-2443), so they are recognised before the version or anything
 * else is checked.  *out is filled for a request (and for a bad version);
 * *why_out (never NULL) says what was wrong, for the log.
 */
enum kpasswd_kind kpasswd_request_classify(const uint8_t *buf, size_t len,
					   struct kpasswd_frame *out, const char **why_out);

/* The new password and, for set-password, the target (NULL: the client). */
struct kpasswd_data {
	const uint8_t *password;     /* not NUL-terminated; may hold any byte */
	size_t password_len;
	const PrincipalName *targname;
	const char *targrealm;       /* NULL when targname is NULL */
};

/*
 * The KRB-PRIV user data of a request of version: for 0x0001 the
 * password itself, for 0xff80 a ChangePasswdData (RFC 3244 §2).  Memory
 * from a (the password too: the arena is wiped).  Errors: the decoder's,
 * ORTH_E_MALFORMED (a targrealm without a targname), ORTH_E_RANGE (another
 * version).
 */
orth_err kpasswd_data_decode(uint16_t version, const uint8_t *buf, size_t len,
			     struct arena *a, struct kpasswd_data *out);

/* The reverse, for clients and tests: *out (len *out_len) from a.
 * ORTH_E_RANGE for a target with version 1, or a realm without a name. */
orth_err kpasswd_data_encode(uint16_t version, const struct kpasswd_data *d,
			     struct arena *a, uint8_t **out, size_t *out_len);

/* A result: the 2-byte code and text (text_len bytes, at most
 * KPASSWD_MAX_TEXT are kept), into a fresh arena buffer. */
orth_err kpasswd_result_encode(uint16_t code, const char *text, size_t text_len,
			       struct arena *a, uint8_t **out, size_t *out_len);

/* Split a result; *text_out points into buf.  ORTH_E_TRUNCATED when
 * shorter than the code. */
orth_err kpasswd_result_decode(const uint8_t *buf, size_t len, uint16_t *code_out,
			       const uint8_t **text_out, size_t *text_len_out);

/* The names and texts of the result codes: krberr.h's table
 * (PROTO_ERR_KPASSWD). */

#endif
