/* Rules that the login path and the self-service requests share: who may
 * use an account (L7), the states told after the right password (S2), the
 * failure counter (S3) and the password check with its dummy hash (S1). */
#ifndef UL_AUTH_H
#define UL_AUTH_H

#include <stdbool.h>

#include "helper/core/call.h"

/* L9, L10: the account's own state and its parent's; 0, UL_ESUSPENDED or
 * UL_EBANNED. */
int ul_auth_account_state(struct ul_txn *t, const struct ul_account *a);

/* The role through which `email` may use account a (L7), in buf:
 * "owner" or a teammate's role.  Returns 0, UL_ENOTFOUND for no access, or
 * the store's failure (UL_EUNREACHABLE, ...) when it could not tell: a
 * store that did not answer is not a refusal to count. */
int ul_auth_role(struct ul_txn *t, const struct ul_account *a,
    const char *email, char *buf, size_t n) __attribute__((warn_unused_result));

/* The unified user of `email`, in u: 0 with *found true, or 0 with
 * *found false when there is none, or the store's failure when it could
 * not tell (a fleet's directory away): never a wrong password to count. */
int ul_auth_user_get(struct ul_txn *t, const char *email, struct ul_user *u,
    bool *found) __attribute__((warn_unused_result));

/* U2, U7: 0, UL_ENOTCONFIRMED or UL_ELOCKED. */
int ul_auth_user_state(const struct ul_user *u);

/* S3: true while `key` (a normalised email) is locked out: read before a
 * KDF, so that a locked-out email costs none.  The count itself is exact
 * however the tries race: ul_auth_failure and ul_auth_success are intents
 * that refuse (UL_ELOCKEDOUT) while the key is locked out. */
bool ul_auth_locked_out(struct ul_txn *t, const char *key);
/* S3: counts one failure for `key`, locking it out at the limit; 0 or
 * UL_ELOCKEDOUT (nothing counted). */
int ul_auth_failure(struct ul_call *c, struct ul_txn *t, const char *key)
    __attribute__((warn_unused_result));
/* S3: a success starts the count again; UL_ELOCKEDOUT when a lockout came
 * first. */
int ul_auth_success(struct ul_call *c, struct ul_txn *t, const char *key)
    __attribute__((warn_unused_result));

/* S1: verifies password against hash, or against the dummy hash when hash
 * is NULL or empty, so that both take one argon2id verify.  0 only for a
 * real match. */
int ul_auth_password(struct ul_call *c, const char *hash, const char *password)
    __attribute__((warn_unused_result));

/* U3: the password re-hashed at the configured cost when `hash` was made
 * at another; NULL when no re-hash is due.  out holds the new hash. */
const char *ul_auth_rehash(struct ul_call *c, const char *hash,
    const char *password, char out[UL_HASH_STR_MAX]);

/* The caller of a self-service request proves email, password and, when
 * the user has active two-factor, a current code (T5).  On success u holds
 * the user (the code is consumed); failures count (S3). */
int ul_auth_self(struct ul_call *c, struct ul_user *u)
    __attribute__((warn_unused_result));

/* A new password is given and long enough; a message otherwise. */
int ul_check_password(struct ul_call *c, const char *pw);

#endif
