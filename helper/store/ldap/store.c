/* The directory backend's table, its transactions and its lifecycle.
 * Every operation is there: dispatch.c refuses to open a backend whose
 * table has holes. */
#include "config.h"

#include <stdlib.h>

#include "helper/store/ldap/internal.h"
#include "unilogin/error.h"

static void
dir_close(struct ul_store *st)
{
	if (st == NULL)
		return;
	dir_session_close(&st->replica);
	dir_session_close(&st->provider);
	dir_local_close(st);
	pthread_mutex_destroy(&st->replica_lock);
	pthread_mutex_destroy(&st->provider_lock);
	free(st);
}

/* the directory's disk is the provider's: it says when it is full */
static bool
dir_space_low(struct ul_store *st)
{
	return false;
}

static int
dir_txn_begin(struct ul_store *st, bool write, struct ul_txn **out)
{
	struct ul_txn *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL)
		return UL_ENOMEM;
	t->st = st;
	t->write = write;
	t->began = dir_clock_ms();
	*out = t;
	return 0;
}

/* Every intent was applied when it returned; what is left is read your
 * writes: a transaction that wrote returns once the host's replica shows
 * it, so that the caller's next read (a login after `account add`, a
 * revoked key, a ban) sees it.  A replica that does not catch up within
 * ldap_timeout delays nothing further: the write stands. */
static int
dir_txn_commit(struct ul_txn *t)
{
	if (t->wrote)
		(void)dir_replica_catch_up(t->st);
	dir_list_drop(t);
	dir_user_memo_drop(t);
	dir_fetched_drop(t);
	free(t);
	return 0;
}

static void
dir_txn_abort(struct ul_txn *t)
{
	dir_list_drop(t);
	dir_user_memo_drop(t);
	dir_fetched_drop(t);
	free(t);
}

/* No batching: each intent is its own provider operation already. */
static int
dir_write(struct ul_store *st, int (*change)(struct ul_txn *t, void *arg),
    void *arg)
{
	struct ul_txn *t;
	int r = dir_txn_begin(st, true, &t);

	if (r != 0)
		return r;
	r = change(t, arg);
	if (r == 0)
		return dir_txn_commit(t);
	dir_txn_abort(t);
	return r;
}

const struct ul_store_ops dir_ops = {
	.name = "ldap",
	.close = dir_close,
	.space_low = dir_space_low,
	.keys_check = dir_keys_check,
	.keys_rotated = dir_keys_rotated,
	.fleet_status = dir_fleet_status,
	.fleet_promote = dir_fleet_promote,
	.fleet_repair = dir_fleet_repair,
	.txn_begin = dir_txn_begin,
	.txn_commit = dir_txn_commit,
	.txn_abort = dir_txn_abort,
	.write = dir_write,
	.prefetch = dir_prefetch_login,
	.user_get = dir_user_get,
	.user_create = dir_user_create,
	.method_restore = dir_method_restore,
	.user_next = dir_user_next,
	.pending_get = dir_pending_get,
	.method_get = dir_method_get,
	.method_next = dir_method_next,
	.code_issue = dir_code_issue,
	.sms_issue = dir_sms_issue,
	.recovery_set = dir_recovery_set,
	.method_used = dir_method_used,
	.user_confirm = dir_user_confirm,
	.user_set_password = dir_user_set_password,
	.user_rehash = dir_user_rehash,
	.user_set_locked = dir_user_set_locked,
	.method_add = dir_method_add,
	.method_activate = dir_method_activate,
	.method_remove = dir_method_remove,
	.user_set_pending = dir_user_set_pending,
	.user_move = dir_user_move,
	.user_delete = dir_user_delete,
	.totp_accept = dir_totp_accept,
	.code_consume = dir_code_consume,
	.failures_get = dir_failures_get,
	.failure_count = dir_failure_count,
	.failure_reset = dir_failure_reset,
	.failure_forget = dir_failure_forget,
	.uid_allocate = dir_uid_allocate,
	.uid_floor = dir_uid_floor,
	.next_uid = dir_next_uid,
	.product_get = dir_product_get,
	.product_create = dir_product_create,
	.product_next = dir_product_next,
	.member_get = dir_member_get,
	.member_next = dir_member_next,
	.membership_next = dir_membership_next,
	.member_set = dir_member_set,
	.member_remove = dir_member_remove,
	.apikey_get = dir_apikey_get,
	.apikey_next = dir_apikey_next,
	.apikey_create = dir_apikey_create,
	.apikey_revoke = dir_apikey_revoke,
	.apikey_move = dir_apikey_move,
	.sshkey_get = dir_sshkey_get,
	.sshkey_by_fingerprint = dir_sshkey_by_fingerprint,
	.sshkey_next = dir_sshkey_next,
	.sshkey_create = dir_sshkey_create,
	.sshkey_remove = dir_sshkey_remove,
	.sshkey_move = dir_sshkey_move,
	.counts = dir_counts,
	.upkeep = dir_upkeep,
	.audit_append = dir_audit_append,
	.audit_next = dir_audit_next,
	.local_remember_get = dir_local_remember_get,
	.local_remember_put = dir_local_remember_put,
	.local_remember_forget = dir_local_remember_forget,
	.local_session_open = dir_local_session_open,
	.local_session_get = dir_local_session_get,
	.local_session_close = dir_local_session_close,
	.local_session_next = dir_local_session_next,
	.account_get = dir_account_get,
	.account_by_unix = dir_account_by_unix,
	.account_by_uid = dir_account_by_uid,
	.account_owned = dir_account_owned,
	.account_next = dir_account_next,
	.account_with_email = dir_account_with_email,
	.owned_next = dir_owned_next,
	.account_create = dir_account_create,
	.account_link = dir_account_link,
	.account_unlink = dir_account_unlink,
	.account_set_state = dir_account_set_state,
	.account_set_password = dir_account_set_password,
	.account_move_email = dir_account_move_email,
};
