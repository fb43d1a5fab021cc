/* What a stored record may hold, checked the same way wherever it comes
 * from: `account add`, `product add`, invitations, enrollment and import.
 * Names and text first, then whole records against the config (the uid
 * range, the KDF cost allowed) and the host's own users (/etc files only,
 * S5: a product account never takes a local user's name or uid). */
#ifndef UL_RULES_NAMES_H
#define UL_RULES_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#include "helper/core/call.h"

/* A product: [a-z0-9][a-z0-9_-]{0,31}. */
bool ul_valid_product(const char *s);
/* A Unix user: [a-z_][a-z0-9_-]{0,31} (L1a). */
bool ul_valid_unix_user(const char *s);
/* Printable text of 1 to max bytes, no control character: account names,
 * friendly and display names. */
bool ul_valid_text(const char *s, size_t max);
/* A role: 1 to UL_ROLE_MAX letters, digits, '_', '-' and '.'. */
bool ul_valid_role(const char *s);
/* E.164: '+', then 7 to 15 digits, the first not 0. */
bool ul_valid_phone(const char *s);
/* An API key id or a user id: lower-case base32 or hex, bounded. */
bool ul_valid_id(const char *s, size_t min, size_t max);

/* A product account: its names, that its Unix user is no local user or
 * local group, that its uid lies in uid_min..uid_max and is no local uid or
 * gid, its state, and its password hash (an argon2id string the config
 * allows, or for a legacy account a crypt(5) hash).  0, or UL_EINVAL /
 * UL_ERULE with a message. */
int ul_check_account(struct ul_call *c, const struct ul_account *a);
/* A uid an account may take: inside the range, not a local uid or gid. */
int ul_check_uid(struct ul_call *c, uint32_t uid);
/* A unified user, a method, a key, a product, a role as import gives them. */
int ul_check_user(struct ul_call *c, const struct ul_user *u);
int ul_check_method(struct ul_call *c, const struct ul_method *m);
int ul_check_apikey(struct ul_call *c, const struct ul_apikey *k);
/* K1: an imported SSH key is a key we accept, and its fingerprint, type
 * and size are its own. */
int ul_check_sshkey(struct ul_call *c, const struct ul_sshkey *k);
int ul_check_product(struct ul_call *c, const struct ul_product *p);

#endif
