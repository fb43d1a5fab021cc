/* Password hashing (U3): argon2id through libsodium's crypto_pwhash_str at
 * the configured cost.  Called only from the KDF pool's workers, so at most
 * kdf_parallel hashes (and kdf_parallel x kdf memory) run at once. */
#ifndef UL_KDF_H
#define UL_KDF_H

#include <stdbool.h>

#include "common/conf.h"
#include "helper/store/store.h"

int ul_kdf_hash(const struct ul_conf *c, const char *password,
    char out[UL_HASH_STR_MAX]) __attribute__((warn_unused_result));
/* 0 when the password matches, UL_EAUTH otherwise (an empty or damaged
 * hash never matches). */
int ul_kdf_verify(const char *hash, const char *password)
    __attribute__((warn_unused_result));
bool ul_kdf_needs_rehash(const struct ul_conf *c, const char *hash);
/* True for an argon2id string (v=19, one lane) whose cost is at most the
 * `sensitive` one: what an import may bring (a bigger one would cost every
 * LOGIN_BEGIN that much). */
bool ul_kdf_hash_allowed(const struct ul_conf *c, const char *hash);
/* Hashes and verifies run since start. */
unsigned long ul_kdf_runs(void);

#endif
