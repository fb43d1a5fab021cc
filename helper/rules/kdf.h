/* Password hashing (U3): argon2id through libsodium's crypto_pwhash_str at
 * the configured cost.  Called from the KDF pool's workers; a gate of
 * kdf_parallel permits lets at most that many hashes (and kdf_parallel x
 * kdf memory) run at once, while the pool has more workers than permits so
 * that a worker waiting for its request's commit does not hold a CPU's
 * worth of hashing back. */
#ifndef UL_KDF_H
#define UL_KDF_H

#include <stdbool.h>

#include "common/conf.h"
#include "helper/store/store.h"

/* At most `permits` hashes and verifies at once from now on (0: no
 * bound).  The helper sets it to kdf_parallel before it serves. */
void ul_kdf_gate(unsigned permits);
/* The most hashes that ran at once since the start or the last reset. */
unsigned ul_kdf_peak(bool reset);
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
