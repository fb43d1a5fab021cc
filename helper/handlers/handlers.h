/* The handlers: the rules live here, one function per request.  Each reads
 * its fields from c->in, writes its answer fields to c->out and returns 0
 * or a UL_E* code (with c->message saying why, for a person). */
#ifndef UL_HANDLERS_H
#define UL_HANDLERS_H

#include "helper/core/call.h"

/* common.c: the account that PAM_USER names on the request's product
 * (LOOKUP), and a reply that issues tk to the caller, puts UL_F_TICKET and
 * returns `result`. */
int ul_find_account(struct ul_call *c, struct ul_txn *t, struct ul_account *a);
struct ul_ticket;
int ul_ticket_reply(struct ul_call *c, struct ul_ticket *tk, int result);
/* L7, T8: every teammate of account a ends with its API keys, and the
 * keys of `owner` scoped to it; ul_account_end_keys: those of one user. */
int ul_account_end_access(struct ul_txn *t, const struct ul_account *a,
    const char *owner) __attribute__((warn_unused_result));
int ul_account_end_keys(struct ul_txn *t, const struct ul_account *a,
    const char *email) __attribute__((warn_unused_result));
/* K1, U7, U6: every SSH key of a user ends, or moves to its new email. */
int ul_sshkeys_end_all(struct ul_txn *t, const char *email)
    __attribute__((warn_unused_result));
int ul_sshkeys_move_all(struct ul_txn *t, const char *from, const char *to)
    __attribute__((warn_unused_result));

/* h_login.c: the login path */
int ul_h_status(struct ul_call *c);
int ul_h_lookup(struct ul_call *c);
int ul_h_login_begin(struct ul_call *c);
int ul_h_login_legacy(struct ul_call *c);
int ul_h_account_check(struct ul_call *c);

/* h_history.c: sessions (L11) and the audit log (S8) */
int ul_h_session_open(struct ul_call *c);
int ul_h_session_close(struct ul_call *c);
int ul_h_sessions(struct ul_call *c);
int ul_h_audit(struct ul_call *c);

/* h_nss.c: accounts as Unix users and groups */
int ul_h_nss_getpw(struct ul_call *c);
int ul_h_nss_list(struct ul_call *c);

/* h_fleet.c: the fleet this helper belongs to */
int ul_h_keys_fingerprint(struct ul_call *c);
int ul_h_fleet_status(struct ul_call *c);
int ul_h_fleet_promote(struct ul_call *c);
int ul_h_fleet_repair(struct ul_call *c);

/* h_export.c: export and import (JSONL) */
int ul_h_export(struct ul_call *c);
int ul_h_import(struct ul_call *c);

/* h_migrate.c: a host's local users move in (M1) */
int ul_h_migrate(struct ul_call *c);

/* h_passwd.c: password changes (U4, L1) */
int ul_h_passwd_begin(struct ul_call *c);
int ul_h_passwd_change(struct ul_call *c);

/* h_code.c: the second step */
int ul_h_login_code(struct ul_call *c);
int ul_h_login_sms(struct ul_call *c);
int ul_h_apikey_login(struct ul_call *c);

/* h_tfa.c: two-factor settings (T1-T5) */
int ul_h_tfa_enroll(struct ul_call *c);
int ul_h_tfa_confirm(struct ul_call *c);
int ul_h_tfa_list(struct ul_call *c);
int ul_h_tfa_remove(struct ul_call *c);
int ul_h_tfa_reset(struct ul_call *c);
int ul_h_tfa_recovery(struct ul_call *c);
int ul_h_self_tfa(struct ul_call *c);

/* h_apikeys.c: API keys (T8) */
int ul_h_apikey_create(struct ul_call *c);
int ul_h_apikey_list(struct ul_call *c);
int ul_h_apikey_revoke(struct ul_call *c);
int ul_h_self_apikey(struct ul_call *c);

/* h_sshkeys.c: SSH keys (K1) */
int ul_h_sshkey_add(struct ul_call *c);
int ul_h_sshkey_list(struct ul_call *c);
int ul_h_sshkey_remove(struct ul_call *c);
int ul_h_self_sshkey(struct ul_call *c);
int ul_h_sshkeys(struct ul_call *c);
int ul_h_login_sshkey(struct ul_call *c);

/* h_users.c: unified users (U1-U7) */
int ul_h_user_add(struct ul_call *c);
int ul_h_user_verify(struct ul_call *c);
int ul_h_user_passwd(struct ul_call *c);
int ul_h_user_reset(struct ul_call *c);
int ul_h_user_show(struct ul_call *c);
int ul_h_user_list(struct ul_call *c);
int ul_h_user_lock(struct ul_call *c);
int ul_h_user_unlock(struct ul_call *c);
int ul_h_user_delete(struct ul_call *c);
int ul_h_self_verify(struct ul_call *c);
int ul_h_self_reset(struct ul_call *c);
int ul_h_self_reset_send(struct ul_call *c);

/* h_email.c: U6 */
int ul_h_user_set_email(struct ul_call *c);
/* The code of a user's new email: moves the user and its accounts there;
 * a password, when given, becomes the user's. */
int ul_confirm_new_email(struct ul_call *c, const char *new_email,
    const char *code, const char *password);

/* h_accounts.c: products and product accounts (L*) */
int ul_h_product_add(struct ul_call *c);
int ul_h_product_list(struct ul_call *c);
int ul_h_account_add(struct ul_call *c);
int ul_h_account_show(struct ul_call *c);
int ul_h_account_list(struct ul_call *c);

/* h_links.c: L2-L4 for linking account a to user email, and L5 for a new
 * legacy account; 0 or UL_ERULE with the rule's message. */
int ul_link_allowed(struct ul_call *c, struct ul_txn *t,
    const struct ul_account *a, const char *email);
int ul_legacy_allowed(struct ul_call *c, struct ul_txn *t, const char *product,
    const char *email);
int ul_h_account_link(struct ul_call *c);
int ul_h_account_unlink(struct ul_call *c);
int ul_h_self_link(struct ul_call *c);
int ul_h_account_invite(struct ul_call *c);
int ul_h_account_remove(struct ul_call *c);
int ul_h_account_suspend(struct ul_call *c);
int ul_h_account_reinstate(struct ul_call *c);
int ul_h_account_ban(struct ul_call *c);
int ul_h_accounts(struct ul_call *c);
int ul_h_self_accounts(struct ul_call *c);
int ul_h_account_passwd(struct ul_call *c);

/* Periodic upkeep (h_history.c): prunes what has outlived its retention
 * (S3 counters, sessions, audit) and grows the disk reserve back. */
void ul_maintenance(struct ul_helper *h);

#endif
