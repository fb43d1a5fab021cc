/* Two-factor checks shared by login, confirm and self-service: TOTP methods
 * (T1, T3), SMS codes (C1), recovery codes (T4). */
#ifndef UL_TFA_H
#define UL_TFA_H

#include <stdbool.h>

#include "helper/core/call.h"

#define UL_SMS_TTL 300              /* C1: SMS codes live 5 minutes */
#define UL_SMS_PER_WINDOW 5         /* per user ... */
#define UL_SMS_WINDOW 900           /* ... in 15 minutes */
#define UL_RECOVERY_TEXT 15         /* "xxxx-xxxx-xxxx" + NUL */

struct ul_tfa_state {
	unsigned active;
	unsigned pending;
	bool sms_active;
	char phone[UL_PHONE_MAX + 1];   /* of the first active SMS method */
};

int ul_tfa_state(struct ul_txn *t, const char *email, struct ul_tfa_state *s)
    __attribute__((warn_unused_result));

/* Checks `code` as a second factor of u inside the write transaction t:
 * an active TOTP method (or, with `pending`, a pending method being
 * confirmed), the last SMS code, or an unused recovery code.  On success u
 * is updated (the accepted step, the used code: the caller puts u), the
 * matched method is stored with its last use and copied to *m (kind 0 for
 * a recovery code), and *how names the kind.  0 or UL_EAUTH. */
int ul_tfa_check(struct ul_call *c, struct ul_txn *t, struct ul_user *u,
    const char *code, bool pending, struct ul_method *m, const char **how)
    __attribute__((warn_unused_result));

/* T4: ten new recovery codes into u (hashed) and codes (text). */
void ul_tfa_new_recovery(struct ul_call *c, struct ul_user *u,
    char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT]);

/* A new SMS code for u (stored hashed, valid 5 min), or UL_EBUSY past the
 * per-user send rate. */
int ul_tfa_new_sms(struct ul_call *c, struct ul_user *u, char code[16])
    __attribute__((warn_unused_result));
/* Runs `delivery_command sms PHONE` with the code; 0 or UL_EDELIVERY. */
int ul_tfa_send_sms(struct ul_call *c, const char *phone, const char *code,
    char *reason, size_t n) __attribute__((warn_unused_result));

/* T7: whether rhost is remembered for u, and remembering it. */
bool ul_tfa_remembered(struct ul_call *c, struct ul_txn *t,
    const struct ul_user *u, const char *rhost);

/* Forgets remembered hosts and marks a two-factor change (T7). */
int ul_tfa_changed(struct ul_txn *t, struct ul_user *u)
    __attribute__((warn_unused_result));

/* U4, U5, T7: a new password hash; every remembered host is forgotten
 * (the entries left in the store no longer match the user's epoch). */
void ul_user_set_password(struct ul_user *u, const char hash[UL_HASH_STR_MAX]);

/* A new user's stable id (random). */
void ul_user_new_id(struct ul_user *u);

#endif
