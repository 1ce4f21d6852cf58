/*
 * authz.h - the client's authorization data on its way into a ticket.
 *
 * RFC 4120 §3.3.3: the KDC copies a TGS-REQ's enc-authorization-data into
 * the new ticket.  Every byte of it is the client's, yet a service reads
 * the ticket's authorization data as vouched for by the KDC: a client that
 * slips in an element of a type only the KDC issues (a PAC, a CAMMAC, an
 * authentication indicator) forges what the service trusts (the PAC
 * forgery class of MS14-068).  So, before anything reaches a ticket:
 *
 *   - elements of the types the KDC issues are dropped, at the top and
 *     inside AD-IF-RELEVANT containers (RFC 4120 §5.2.6.1), whose contents
 *     are decoded with the DER interpreter (bounded, into the request's
 *     arena) and re-encoded without them; a container left empty goes;
 *   - AD-MANDATORY-FOR-KDC (§5.2.6.4) is refused: its elements must be
 *     understood by the KDC, and this KDC understands none;
 *   - containers that do not decode, or nest deeper than
 *     KDC_AUTHZ_MAX_DEPTH, are refused rather than copied blind.
 *
 * Other types pass unchanged (as MIT's KDC passes them): they are for the
 * service to interpret.  AD-AND-OR (§5.2.6.3) is passed whole, unopened.
 */
#ifndef ORTHRUS_KDC_AUTHZ_H
#define ORTHRUS_KDC_AUTHZ_H

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/err.h"

/* AD-IF-RELEVANT containers looked into, one inside the other.  Real
 * clients nest one (e.g. AD-IF-RELEVANT around a restriction); 4 is
 * plenty, and bounds the recursion whatever DER_MAX_DEPTH allows. */
#define KDC_AUTHZ_MAX_DEPTH 4

/*
 * Filter in (the decrypted enc-authorization-data; NULL is fine) into *out
 * (NULL when nothing is left; may share memory with in; new memory from a).
 * Returns ORTH_OK, or (with *why_out, a static string for the log and
 * e-text):
 *   ORTH_E_KRB(KDC_ERR_POLICY)   AD-MANDATORY-FOR-KDC anywhere, or
 *                                containers nested deeper than the cap;
 *   ORTH_E_KRB(KRB_ERR_GENERIC)  an AD-IF-RELEVANT's contents do not decode
 *                                as AuthorizationData (strict DER);
 *   ORTH_E_LIMIT                 the arena is full.
 */
orth_err kdc_authz_filter(struct arena *a, const AuthorizationData *in,
			  AuthorizationData **out, const char **why_out);

#endif
