/* Inside the store: what store.c and store_accounts.c share.  Only the
 * store's own files include this header (and with it lmdb.h). */
#ifndef UL_STORE_INTERNAL_H
#define UL_STORE_INTERNAL_H

#include <lmdb.h>

#include "helper/store/record.h"
#include "helper/store/store.h"

#define KEY_MAX 512
/* Address space only: the file grows as it is used.  8 GiB holds several
 * million users (1M users and 2M accounts take well under 1 GiB). */
#define MAP_SIZE ((size_t)8 << 30)

enum { DB_META, DB_USERS, DB_PRODUCTS, DB_ACCOUNTS, DB_ACCT_UNIX, DB_ACCT_UID,
	DB_OWNED, DB_AUDIT, DB_FAILURES, DB_METHODS, DB_REMEMBER, DB_APIKEYS,
	DB_APIKEYS_BY_EMAIL, DB_MEMBERS, DB_MEMBERS_BY_EMAIL, DB_SESSIONS,
	DB_PENDING, DB_ACCT_EMAIL, DB_COUNT };


struct ul_store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT];
	char dir[4096];
};

struct ul_txn {
	struct ul_store *st;
	MDB_txn *txn;
	struct ul_record rec;       /* scratch for encoding */
};

/* A key of parts joined by NUL: "product\0name". */
struct st_key {
	char buf[KEY_MAX];
	size_t len;
};


int st_map_error(int rc);
int st_key_make(struct st_key *k, const char *a, const char *b);
MDB_val st_val_of(const struct st_key *k);
int st_get(struct ul_txn *t, int db, const struct st_key *k, MDB_val *v);
int st_put_raw(struct ul_txn *t, int db, const struct st_key *k, const void *v,
    size_t n);
int st_put_record(struct ul_txn *t, int db, const struct st_key *k);
int st_del(struct ul_txn *t, int db, const struct st_key *k);
int st_seek_after(struct ul_txn *t, int db, const struct st_key *from,
    bool strict, const char *prefix, size_t plen, MDB_val *k, MDB_val *v);

int st_key3(struct st_key *k, const char *a, const char *b, const char *c);
int st_del_prefix(struct ul_txn *t, int db, const struct st_key *prefix);

/* big-endian helpers for keys */
void st_be32(uint8_t *b, uint32_t v);
uint32_t st_get_be32(const uint8_t *b);

#endif
