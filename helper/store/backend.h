/* What a store backend implements: every function of store.h and local.h,
 * as a table of operations (struct ul_store_ops) that store/dispatch.c
 * calls through.  Only dispatch.c and the backends (one folder each below
 * store/) include this header.
 *
 * A backend's struct ul_store begins with its `const struct ul_store_ops *`
 * and its struct ul_txn with the `struct ul_store *` it belongs to, so that
 * dispatch.c finds the table of any handle without knowing the rest.
 *
 * The lists below name each operation once: X(return type, the name in
 * store.h or local.h, the member of the table, parameters, arguments).  A
 * backend declares and fills its table from them (lmdb/internal.h,
 * lmdb/env.c), so a new operation added here and to store.h is an error in
 * every backend until it implements it. */
#ifndef UL_STORE_BACKEND_H
#define UL_STORE_BACKEND_H

#include "helper/store/local.h"
#include "helper/store/store.h"

/* The operations whose first argument is the store, */
#define UL_STORE_OPS_BY_STORE(X) \
	X(bool, ul_store_space_low, space_low, (struct ul_store *st), (st)) \
	X(int, ul_store_keys_check, keys_check, (struct ul_store *st, const char *fingerprint, char *err, size_t errlen), (st, fingerprint, err, errlen)) \
	X(int, ul_store_keys_rotated, keys_rotated, (struct ul_store *st, const char *from, const char *to), (st, from, to)) \
	X(int, ul_store_fleet_status, fleet_status, (struct ul_store *st, const char *fingerprint, struct ul_fleet_status *out), (st, fingerprint, out)) \
	X(int, ul_store_fleet_promote, fleet_promote, (struct ul_store *st, int64_t floor, int64_t *was, int64_t *now), (st, floor, was, now)) \
	X(int, ul_store_fleet_repair, fleet_repair, (struct ul_store *st, int64_t since, int64_t before, bool dry_run, void (*each)(void *arg, const struct ul_fleet_orphan *o), void *arg, unsigned *removed), (st, since, before, dry_run, each, arg, removed)) \
	X(int, ul_txn_begin, txn_begin, (struct ul_store *st, bool write, struct ul_txn **out), (st, write, out)) \
	X(int, ul_store_write, write, (struct ul_store *st, int (*change)(struct ul_txn *t, void *arg), void *arg), (st, change, arg))

/* the transaction, */
#define UL_STORE_OPS_BY_TXN(X) \
	X(int, ul_txn_commit, txn_commit, (struct ul_txn *t), (t)) \
	X(int, ul_store_upkeep, upkeep, (struct ul_txn *t, int64_t failures_before, int64_t sessions_before, int64_t audit_before, unsigned max, unsigned *removed), (t, failures_before, sessions_before, audit_before, max, removed)) \
	X(int, ul_store_counts, counts, (struct ul_txn *t, struct ul_store_counts *c), (t, c)) \
	X(int, ul_store_user_get, user_get, (struct ul_txn *t, const char *email, struct ul_user *u), (t, email, u)) \
	X(int, ul_store_user_next, user_next, (struct ul_txn *t, struct ul_cursor *cur, struct ul_user *u), (t, cur, u)) \
	X(int, ul_store_pending_get, pending_get, (struct ul_txn *t, const char *new_email, char old_email[UL_EMAIL_MAX + 1]), (t, new_email, old_email)) \
	X(int, ul_store_method_get, method_get, (struct ul_txn *t, const char *email, uint32_t id, struct ul_method *m), (t, email, id, m)) \
	X(int, ul_store_method_next, method_next, (struct ul_txn *t, const char *email, uint32_t *after, struct ul_method *m), (t, email, after, m)) \
	X(int, ul_store_user_create, user_create, (struct ul_txn *t, const struct ul_user *u), (t, u)) \
	X(int, ul_store_code_consume, code_consume, (struct ul_txn *t, const struct ul_user *u, enum ul_code_kind kind, const uint8_t hash[UL_CODE_HASH_BYTES], int64_t now), (t, u, kind, hash, now)) \
	X(int, ul_store_code_issue, code_issue, (struct ul_txn *t, const struct ul_user *u, enum ul_code_kind kind, const struct ul_code *code), (t, u, kind, code)) \
	X(int, ul_store_sms_issue, sms_issue, (struct ul_txn *t, const struct ul_user *u, const struct ul_code *code, int64_t now, int64_t window, uint32_t max), (t, u, code, now, window, max)) \
	X(int, ul_store_recovery_set, recovery_set, (struct ul_txn *t, const struct ul_user *u, const uint8_t codes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES]), (t, u, codes)) \
	X(int, ul_store_totp_accept, totp_accept, (struct ul_txn *t, const struct ul_user *u, uint32_t id, bool active, int64_t step, int64_t now), (t, u, id, active, step, now)) \
	X(int, ul_store_method_used, method_used, (struct ul_txn *t, const struct ul_user *u, uint32_t id, int64_t now), (t, u, id, now)) \
	X(int, ul_store_user_confirm, user_confirm, (struct ul_txn *t, const struct ul_user *u), (t, u)) \
	X(int, ul_store_user_set_password, user_set_password, (struct ul_txn *t, const struct ul_user *u, const char hash[UL_HASH_STR_MAX], int64_t now), (t, u, hash, now)) \
	X(int, ul_store_user_rehash, user_rehash, (struct ul_txn *t, const struct ul_user *u, const char old[UL_HASH_STR_MAX], const char hash[UL_HASH_STR_MAX]), (t, u, old, hash)) \
	X(int, ul_store_user_set_locked, user_set_locked, (struct ul_txn *t, const struct ul_user *u, bool locked), (t, u, locked)) \
	X(int, ul_store_method_add, method_add, (struct ul_txn *t, const struct ul_user *u, struct ul_method *m, int64_t now), (t, u, m, now)) \
	X(int, ul_store_method_activate, method_activate, (struct ul_txn *t, const struct ul_user *u, uint32_t id, int64_t now), (t, u, id, now)) \
	X(int, ul_store_method_remove, method_remove, (struct ul_txn *t, const struct ul_user *u, uint32_t id, int64_t now), (t, u, id, now)) \
	X(int, ul_store_method_restore, method_restore, (struct ul_txn *t, const char *email, const struct ul_method *m), (t, email, m)) \
	X(int, ul_store_user_set_pending, user_set_pending, (struct ul_txn *t, const struct ul_user *u, const char *new_email, const struct ul_code *code), (t, u, new_email, code)) \
	X(int, ul_store_user_move, user_move, (struct ul_txn *t, const struct ul_user *u, const char *new_email), (t, u, new_email)) \
	X(int, ul_store_user_delete, user_delete, (struct ul_txn *t, const struct ul_user *u), (t, u)) \
	X(int, ul_store_failures_get, failures_get, (struct ul_txn *t, const char *key, struct ul_failures *f), (t, key, f)) \
	X(int, ul_store_failure_count, failure_count, (struct ul_txn *t, const char *key, uint32_t limit, uint32_t seconds, int64_t now, struct ul_failures *f), (t, key, limit, seconds, now, f)) \
	X(int, ul_store_failure_reset, failure_reset, (struct ul_txn *t, const char *key, int64_t now), (t, key, now)) \
	X(int, ul_store_failure_forget, failure_forget, (struct ul_txn *t, const char *key), (t, key)) \
	X(int, ul_store_product_get, product_get, (struct ul_txn *t, const char *name, struct ul_product *p), (t, name, p)) \
	X(int, ul_store_product_next, product_next, (struct ul_txn *t, struct ul_cursor *cur, struct ul_product *p), (t, cur, p)) \
	X(int, ul_store_product_create, product_create, (struct ul_txn *t, const struct ul_product *p), (t, p)) \
	X(int, ul_store_account_get, account_get, (struct ul_txn *t, const char *product, const char *name, struct ul_account *a), (t, product, name, a)) \
	X(int, ul_store_account_by_unix, account_by_unix, (struct ul_txn *t, const char *product, const char *unix_user, struct ul_account *a), (t, product, unix_user, a)) \
	X(int, ul_store_account_by_uid, account_by_uid, (struct ul_txn *t, uint32_t uid, struct ul_account *a), (t, uid, a)) \
	X(int, ul_store_account_owned, account_owned, (struct ul_txn *t, const char *email, const char *product, struct ul_account *a), (t, email, product, a)) \
	X(int, ul_store_account_next, account_next, (struct ul_txn *t, const char *product, struct ul_cursor *cur, struct ul_account *a), (t, product, cur, a)) \
	X(int, ul_store_account_with_email, account_with_email, (struct ul_txn *t, const char *email, struct ul_cursor *cur, struct ul_account *a), (t, email, cur, a)) \
	X(int, ul_store_owned_next, owned_next, (struct ul_txn *t, const char *email, struct ul_cursor *cur, struct ul_account *a), (t, email, cur, a)) \
	X(int, ul_store_uid_allocate, uid_allocate, (struct ul_txn *t, uint32_t min, uint32_t max, uint32_t *uid), (t, min, max, uid)) \
	X(int, ul_store_uid_floor, uid_floor, (struct ul_txn *t, uint32_t next), (t, next)) \
	X(int, ul_store_next_uid, next_uid, (struct ul_txn *t, uint32_t *next), (t, next)) \
	X(int, ul_store_account_create, account_create, (struct ul_txn *t, const struct ul_account *a), (t, a)) \
	X(int, ul_store_account_link, account_link, (struct ul_txn *t, const struct ul_account *a, const char *owner), (t, a, owner)) \
	X(int, ul_store_account_unlink, account_unlink, (struct ul_txn *t, const struct ul_account *a), (t, a)) \
	X(int, ul_store_account_set_state, account_set_state, (struct ul_txn *t, const struct ul_account *a, enum ul_account_state state), (t, a, state)) \
	X(int, ul_store_account_set_password, account_set_password, (struct ul_txn *t, const struct ul_account *a, const char *old, const char hash[UL_HASH_STR_MAX]), (t, a, old, hash)) \
	X(int, ul_store_account_move_email, account_move_email, (struct ul_txn *t, const struct ul_account *a, const char *from, const char *to), (t, a, from, to)) \
	X(int, ul_store_member_get, member_get, (struct ul_txn *t, const char *product, const char *account, const char *email, char role[UL_ROLE_MAX + 1]), (t, product, account, email, role)) \
	X(int, ul_store_member_next, member_next, (struct ul_txn *t, const char *product, const char *account, struct ul_cursor *cur, char email[UL_EMAIL_MAX + 1], char role[UL_ROLE_MAX + 1]), (t, product, account, cur, email, role)) \
	X(int, ul_store_membership_next, membership_next, (struct ul_txn *t, const char *email, struct ul_cursor *cur, char product[UL_PRODUCT_MAX + 1], char account[UL_ACCOUNT_MAX + 1], char role[UL_ROLE_MAX + 1]), (t, email, cur, product, account, role)) \
	X(int, ul_store_member_set, member_set, (struct ul_txn *t, const char *product, const char *account, const char *email, const char *role), (t, product, account, email, role)) \
	X(int, ul_store_member_remove, member_remove, (struct ul_txn *t, const char *product, const char *account, const char *email), (t, product, account, email)) \
	X(int, ul_store_apikey_get, apikey_get, (struct ul_txn *t, const char *id, struct ul_apikey *k), (t, id, k)) \
	X(int, ul_store_apikey_next, apikey_next, (struct ul_txn *t, const char *email, struct ul_cursor *cur, struct ul_apikey *k), (t, email, cur, k)) \
	X(int, ul_store_apikey_create, apikey_create, (struct ul_txn *t, const struct ul_apikey *k), (t, k)) \
	X(int, ul_store_apikey_revoke, apikey_revoke, (struct ul_txn *t, const char *id), (t, id)) \
	X(int, ul_store_apikey_move, apikey_move, (struct ul_txn *t, const char *id, const char *email), (t, id, email)) \
	X(int, ul_store_sshkey_get, sshkey_get, (struct ul_txn *t, const char *id, struct ul_sshkey *k), (t, id, k)) \
	X(int, ul_store_sshkey_by_fingerprint, sshkey_by_fingerprint, (struct ul_txn *t, const char *fingerprint, struct ul_sshkey *k), (t, fingerprint, k)) \
	X(int, ul_store_sshkey_next, sshkey_next, (struct ul_txn *t, const char *email, struct ul_cursor *cur, struct ul_sshkey *k), (t, email, cur, k)) \
	X(int, ul_store_sshkey_create, sshkey_create, (struct ul_txn *t, const struct ul_sshkey *k), (t, k)) \
	X(int, ul_store_sshkey_remove, sshkey_remove, (struct ul_txn *t, const char *id), (t, id)) \
	X(int, ul_store_sshkey_move, sshkey_move, (struct ul_txn *t, const char *id, const char *email), (t, id, email)) \
	X(int, ul_store_audit_append, audit_append, (struct ul_txn *t, const struct ul_audit *e), (t, e)) \
	X(int, ul_store_audit_next, audit_next, (struct ul_txn *t, int64_t since, struct ul_cursor *cur, struct ul_audit *e), (t, since, cur, e)) \
	X(int, ul_local_remember_get, local_remember_get, (struct ul_txn *t, const char *email, const char *host, int64_t *when, uint32_t *epoch), (t, email, host, when, epoch)) \
	X(int, ul_local_remember_put, local_remember_put, (struct ul_txn *t, const char *email, const char *host, int64_t when, uint32_t epoch), (t, email, host, when, epoch)) \
	X(int, ul_local_remember_forget, local_remember_forget, (struct ul_txn *t, const char *email), (t, email)) \
	X(int, ul_local_session_open, local_session_open, (struct ul_txn *t, struct ul_session *s), (t, s)) \
	X(int, ul_local_session_get, local_session_get, (struct ul_txn *t, uint64_t id, struct ul_session *s), (t, id, s)) \
	X(int, ul_local_session_close, local_session_close, (struct ul_txn *t, uint64_t id, int64_t now), (t, id, now)) \
	X(int, ul_local_session_next, local_session_next, (struct ul_txn *t, struct ul_cursor *cur, struct ul_session *s), (t, cur, s))

/* and those that return nothing (close: the store; abort: the transaction). */
#define UL_STORE_OPS_VOID(X) \
	X(void, ul_store_close, close, (struct ul_store *st), (st)) \
	X(void, ul_txn_abort, txn_abort, (struct ul_txn *t), (t)) \
	X(void, ul_store_prefetch, prefetch, (struct ul_txn *t, const struct ul_prefetch *p), (t, p))

#define UL_STORE_OP_MEMBER(ret, name, member, params, args) ret (*member) params;
struct ul_store_ops {
	const char *name;           /* the store key's word: "lmdb", "ldap" */
	UL_STORE_OPS_BY_STORE(UL_STORE_OP_MEMBER)
	UL_STORE_OPS_BY_TXN(UL_STORE_OP_MEMBER)
	UL_STORE_OPS_VOID(UL_STORE_OP_MEMBER)
};

/* The head every backend's handles start with. */
struct ul_store_head {
	const struct ul_store_ops *ops;
};
struct ul_txn_head {
	struct ul_store *st;
};

/* The backends' open functions (ul_store_open picks one by `store`). */
int ul_store_lmdb_open(struct ul_store **out, const struct ul_conf *conf,
    char *err, size_t errlen) __attribute__((warn_unused_result));
int ul_store_ldap_open(struct ul_store **out, const struct ul_conf *conf,
    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif
