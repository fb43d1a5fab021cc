/* Email addresses as unified users' keys (U1). */
#ifndef UL_EMAIL_H
#define UL_EMAIL_H

#include "unilogin/proto.h"

/* Trims white space and lowers ASCII case; checks it looks like an address
 * (one '@', something on both sides, a dot in the domain, no space or
 * control character, at most UL_EMAIL_MAX bytes).  0 or UL_EINVAL. */
int ul_email_normalise(const char *in, char out[UL_EMAIL_MAX + 1])
    __attribute__((warn_unused_result));

#endif
