/* Email addresses as unified users' keys (U1): one visible address, one
 * key; and a check of the keys an older helper stored. */
#ifndef UL_EMAIL_H
#define UL_EMAIL_H

#include "unilogin/proto.h"

struct ul_store;

/* The key of an address as typed: white space trimmed, then
 *  - the local part: printable ASCII only (no control, format, bidi or
 *    non-ASCII character), not beginning with '-' (an address reaches the
 *    delivery command's argv), lower-cased;
 *  - the domain: an ASCII one lower-cased; a non-ASCII one (valid UTF-8
 *    with no control, white-space, format, bidi or other invisible
 *    character) as its IDNA A-label (xn--, libidn2), lower-cased; an
 *    A-label typed directly only if it is the one its U-label gives;
 *  - one '@', something on both sides, a dot in the domain, no empty
 *    label, at most UL_EMAIL_MAX bytes as converted.
 * 0 or UL_EINVAL; out is "" on every refusal. */
int ul_email_normalise(const char *in, char out[UL_EMAIL_MAX + 1])
    __attribute__((warn_unused_result));

/* At start-up: walks every user of the store and logs (LOG_WARNING) each
 * stored email, and each pending one (U6), that ul_email_normalise now
 * refuses or would write differently; they are reported, not rewritten.
 * *invalid: how many such emails (0 on entry, set on success).  0 or the
 * store's UL_E* code. */
int ul_email_check_store(struct ul_store *st, unsigned *invalid)
    __attribute__((warn_unused_result));

#endif
