/* Email addresses as unified users' keys (U1): one visible address, one
 * key. */
#ifndef UL_EMAIL_H
#define UL_EMAIL_H

#include "unilogin/proto.h"

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

#endif
