/* Passwords a host's users brought with them (M1): crypt(5) hashes from
 * /etc/shadow, verified with libxcrypt (yescrypt, SHA-512, SHA-256,
 * bcrypt) until the first successful login replaces them with argon2id
 * (U3).  The one room that includes crypt.h. */
#ifndef UL_RULES_LEGACY_H
#define UL_RULES_LEGACY_H

#include <stdbool.h>

/* True for a hash that is not argon2id: one of /etc/shadow's. */
bool ul_legacy_is_crypt(const char *hash);
/* True for a well-formed crypt(5) hash of yescrypt, SHA-512, SHA-256 or
 * bcrypt that libxcrypt verifies (crypt_checksalt: not invalid, not
 * disabled).  Locked entries ('!', '*') and DES or MD5 hashes are false. */
bool ul_legacy_hash_usable(const char *hash);
/* 0 when password matches the crypt(5) hash, UL_EAUTH otherwise (an
 * unusable hash never matches).  Compared in constant time; the work
 * area is wiped. */
int ul_legacy_verify(const char *hash, const char *password)
    __attribute__((warn_unused_result));

#endif
