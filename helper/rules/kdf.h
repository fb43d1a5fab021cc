/* Password hashing (U3): argon2id through libsodium's crypto_pwhash_str at
 * the configured cost, in kdf_parallel worker processes.  Called only from
 * the KDF pool's threads, so at most kdf_parallel hashes (and kdf_parallel
 * x kdf memory) run at once. */
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
/* Starts n KDF worker processes (this program again, as
 * `unilogind --kdf-worker`): every hash and verify after it runs in one of
 * them.  0, or UL_ENOMEM (logged) when one could not start. */
int ul_kdf_workers_start(unsigned n) __attribute__((warn_unused_result));
void ul_kdf_workers_stop(void);
/* A worker's life: requests read from fd until it closes. */
int ul_kdf_worker_main(int fd);
/* Hashes and verifies run since start. */
unsigned long ul_kdf_runs(void);

#endif
