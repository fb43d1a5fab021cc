/* Two-factor checks shared by login, confirm and self-service: TOTP methods
 * (T1, T3), SMS codes (C1), recovery codes (T4), remembered hosts (T7).
 * A check reads the transaction's snapshot; what it accepts is consumed by
 * a store intent, so a code raced from two requests is accepted once. */
#ifndef UL_TFA_H
#define UL_TFA_H

#include <stdbool.h>

#include "helper/core/call.h"
#include "helper/rules/codes.h"

#define UL_SMS_TTL 300              /* C1: SMS codes live 5 minutes */
#define UL_SMS_PER_WINDOW 5         /* per user ... */
#define UL_SMS_WINDOW 900           /* ... in 15 minutes */

struct ul_tfa_state {
	unsigned active;
	unsigned pending;
	bool sms_active;
	uint32_t sms_id;                /* the first active SMS method */
	char phone[UL_PHONE_MAX + 1];   /* ... and its number */
};

int ul_tfa_state(struct ul_txn *t, const char *email, struct ul_tfa_state *s)
    __attribute__((warn_unused_result));

/* Checks `code` as a second factor of u and consumes it inside the write
 * transaction t: a step of an active TOTP method (or, with `pending`, of a
 * pending method being confirmed), the last SMS code, or an unused
 * recovery code.  On success *m is the matched method (kind 0 for a
 * recovery code) and *how names the kind.  0, or UL_EAUTH (wrong, used,
 * or lost to a request that used it first). */
int ul_tfa_use(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    const char *code, bool pending, struct ul_method *m, const char **how)
    __attribute__((warn_unused_result));

/* S1, row 15: the work of one code check against one TOTP method, on a
 * seed nobody has, for a ticket whose password was wrong: LOGIN_CODE then
 * takes the same time whether or not the password was right. */
void ul_tfa_dummy(struct ul_call *c, const char *code);

/* T4: ten new recovery codes: hashes for the store, texts for the user. */
void ul_tfa_new_recovery(struct ul_call *c, const struct ul_user *u,
    uint8_t hashes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES],
    char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT]);

/* A new SMS code for u, stored hashed (valid 5 min); UL_EBUSY past the
 * per-user send rate. */
int ul_tfa_new_sms(struct ul_call *c, struct ul_txn *t, const struct ul_user *u,
    char code[16]) __attribute__((warn_unused_result));
/* Runs `delivery_command sms PHONE` with the code; 0 or UL_EDELIVERY. */
int ul_tfa_send_sms(struct ul_call *c, const char *phone, const char *code,
    char *reason, size_t n) __attribute__((warn_unused_result));

/* T7: whether rhost is remembered for u. */
bool ul_tfa_remembered(struct ul_call *c, struct ul_txn *t,
    const struct ul_user *u, const char *rhost);

/* M1: google-authenticator's scratch codes, kept as recovery codes: the
 * hash of one (its 8 digits) for user `user_id`. */
#define UL_SCRATCH_DIGITS 8
void ul_tfa_scratch_hash(struct ul_call *c, const char *user_id,
    const char *digits, uint8_t out[UL_CODE_HASH_BYTES]);
/* A new user's stable id (random). */
void ul_user_new_id(struct ul_user *u);

#endif
