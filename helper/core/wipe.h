/* Secrets on the stack are wiped when they go out of scope, on every path
 * (STYLE 7: a cleanup attribute, not a wipe before each return):
 *
 *     struct ul_user u UL_WIPED(ul_wipe_user);
 *     char hash[UL_HASH_STR_MAX] UL_WIPED(ul_wipe_hash);
 *
 * A user or account record holds password hashes and code hashes; a
 * ticket the email of a login in progress. */
#ifndef UL_CORE_WIPE_H
#define UL_CORE_WIPE_H

#include <sodium.h>

#include "helper/store/store.h"

#define UL_WIPED(fn) __attribute__((cleanup(fn)))

static inline void
ul_wipe_user(struct ul_user *u)
{
	sodium_memzero(u, sizeof(*u));
}

static inline void
ul_wipe_account(struct ul_account *a)
{
	sodium_memzero(a, sizeof(*a));
}

static inline void
ul_wipe_hash(char (*h)[UL_HASH_STR_MAX])
{
	sodium_memzero(*h, sizeof(*h));
}

#endif
