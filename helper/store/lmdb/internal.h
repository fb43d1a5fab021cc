/* Inside the LMDB backend: what its files share.  Only the files of
 * helper/store/lmdb/ include this header (and with it lmdb.h).
 *
 * Databases (each a B-tree of the one environment in state_dir):
 *   meta          schema, next_uid, next_session
 *   users         email -> user record;      user_ids   id -> email
 *   methods       email\0id(be32) -> method
 *   pending       new email -> old email (U6)
 *   failures      key -> S3 counter
 *   products      name -> product
 *   accounts      product\0name -> account, with the indexes
 *   acct_unix     product\0unix_user -> name, only for an account whose
 *                 Unix name is not its own name (accounts.c)
 *   acct_uid      uid(be32) -> product\0name
 *   owned         owner\0product -> name (L3)
 *   acct_email    email\0product\0name -> "" (L2, L4, U6), only for an
 *                 account whose email is not its owner's (by_email.c)
 *   members       product\0account\0email -> role; members_by_email
 *                 email\0product\0account -> role
 *   apikeys       id -> key;                 apikeys_by_email email\0id
 *   audit         seq(be64) -> event;        sessions id(be64) -> session
 *   remember      email\0host -> when(be64) epoch(be32)
 *   sshkeys       id -> SSH key (K1);        sshkeys_by_email email\0id
 *   sshkey_fps    fingerprint -> id: the claim that makes a key one
 *                 user's (sshkeys.c)
 * The environment is opened without MDB_NOSYNC and MDB_WRITEMAP, so a
 * commit is on disk when it returns and a full disk is an error (S7). */
#ifndef UL_STORE_LMDB_INTERNAL_H
#define UL_STORE_LMDB_INTERNAL_H

#include <lmdb.h>

#include "helper/store/backend.h"
#include "helper/store/local.h"
#include "helper/store/record.h"
#include "helper/store/store.h"

/* 2: the user_ids index (paging by a stable key)
 * 3: no acct_email entry for an account whose email is its owner's
 * 4: no acct_unix entry for an account whose Unix name is its name */
#define UL_STORE_SCHEMA 4

#define KEY_MAX 512
/* Address space only: the file grows as it is used.  8 GiB holds several
 * million users (1M users and 2M accounts take well under 1 GiB). */
#define MAP_SIZE ((size_t)8 << 30)

enum { DB_META, DB_USERS, DB_PRODUCTS, DB_ACCOUNTS, DB_ACCT_UNIX, DB_ACCT_UID,
	DB_OWNED, DB_AUDIT, DB_FAILURES, DB_METHODS, DB_REMEMBER, DB_APIKEYS,
	DB_APIKEYS_BY_EMAIL, DB_MEMBERS, DB_MEMBERS_BY_EMAIL, DB_SESSIONS,
	DB_PENDING, DB_ACCT_EMAIL, DB_USER_IDS, DB_SSHKEYS, DB_SSHKEYS_BY_EMAIL,
	DB_SSHKEY_FPS, DB_COUNT };

struct st_batcher;

struct ul_store {
	const struct ul_store_ops *ops;     /* first: backend.h */
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	char dir[4096];
	_Atomic uint64_t commits;   /* what STATUS shows (S1 tests count them) */
	_Atomic uint64_t batches;   /* group commits, and the writes they held */
	_Atomic uint64_t batched;
	struct st_batcher *batcher; /* batch.c: ul_store_write's queue */
};

struct ul_txn {
	struct ul_store *st;
	MDB_txn *txn;
	bool write;
	struct ul_record rec;       /* scratch for encoding */
};

/* The operations of store.h and local.h, as this backend names them
 * (lmdb_user_get for ul_store_user_get, ...): env.c's table holds them. */
#define LMDB_OP_DECLARE(ret, name, member, params, args) ret lmdb_##member params;
UL_STORE_OPS_BY_STORE(LMDB_OP_DECLARE)
UL_STORE_OPS_BY_TXN(LMDB_OP_DECLARE)
UL_STORE_OPS_VOID(LMDB_OP_DECLARE)
#undef LMDB_OP_DECLARE

/* A key of parts joined by NUL: "product\0name". */
struct st_key {
	char buf[KEY_MAX];
	size_t len;
};

int st_map_error(int rc);
int st_key_make(struct st_key *k, const char *a, const char *b);
int st_key3(struct st_key *k, const char *a, const char *b, const char *c);
MDB_val st_val_of(const struct st_key *k);
void st_be32(uint8_t *b, uint32_t v);
uint32_t st_get_be32(const uint8_t *b);
void st_be64(uint8_t *b, uint64_t v);
uint64_t st_get_be64(const uint8_t *b);

int st_get(struct ul_txn *t, int db, const struct st_key *k, MDB_val *v);
int st_put_raw(struct ul_txn *t, int db, const struct st_key *k, const void *v,
    size_t n);
int st_put_record(struct ul_txn *t, int db, const struct st_key *k);
/* 0 also when there was nothing to delete. */
int st_del(struct ul_txn *t, int db, const struct st_key *k);
int st_del_prefix(struct ul_txn *t, int db, const struct st_key *prefix);
int st_seek_after(struct ul_txn *t, int db, const struct st_key *from,
    bool strict, const char *prefix, size_t plen, MDB_val *k, MDB_val *v);

/* A list's cursor holds the last key it gave, as hex: st_cursor_key reads
 * it back into k (bounded; UL_EINVAL for a token that cannot be one), or
 * k->len 0 for "from the start". */
int st_cursor_key(const struct ul_cursor *cur, struct st_key *k);
void st_cursor_set(struct ul_cursor *cur, const void *key, size_t n);
/* The next key after the cursor within `prefix`, moving the cursor on. */
int st_cursor_next(struct ul_txn *t, int db, struct ul_cursor *cur,
    const struct st_key *prefix, MDB_val *k, MDB_val *v);

/* The tail of a key after plen bytes: into a (one part), or split at its
 * NUL into a and b (two parts, b may be NULL for one). */
int st_key_tail(const MDB_val *k, size_t plen, char *a, size_t na, char *b,
    size_t nb);

/* The next id after *cur in an index `email\0id -> ""` (API keys, SSH
 * keys), moving the cursor on. */
int st_next_id_of(struct ul_txn *t, int db, const char *email,
    struct ul_cursor *cur, char *id, size_t n);

/* users.c: the user as stored, when it is still the one the caller read
 * (same email, same id); UL_ECONFLICT otherwise. */
int st_user_load(struct ul_txn *t, const struct ul_user *ref, struct ul_user *u);

/* The group-commit thread (batch.c), from open to close. */
int st_batcher_start(struct ul_store *st);
void st_batcher_stop(struct ul_store *st);

/* Schema upgrades, at open (env.c -> users.c). */
int st_users_index_ids(struct ul_txn *t);
/* accounts.c: each(t, a) on every account until one returns non-zero */
int st_accounts_each(struct ul_txn *t,
    int (*each)(struct ul_txn *t, const struct ul_account *a));
int st_accounts_drop_own_unix_names(struct ul_txn *t);     /* 4 */
/* by_email.c */
int st_accounts_drop_owner_emails(struct ul_txn *t);        /* 3 */

/* The upkeep's parts (users.c, history.c). */
int st_failures_prune(struct ul_txn *t, int64_t before, unsigned max,
    unsigned *removed);
int st_history_prune(struct ul_txn *t, int64_t sessions_before,
    int64_t audit_before, unsigned max, unsigned *removed);

#endif
