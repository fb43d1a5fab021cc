/* The store's files by hand, with the LMDB API, for the tests that write
 * a store the way an older or a later unilogind would (the store must be
 * closed: one process opens an environment once). */
#ifndef UL_STORE_RAW_H
#define UL_STORE_RAW_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

/* helper/store/lmdb/internal.h's UL_STORE_SCHEMA */
#define UL_TEST_SCHEMA 4

void raw_begin(const char *dir, MDB_env **env, MDB_txn **txn);
void raw_commit(MDB_env *env, MDB_txn *txn);
void raw_put_schema(MDB_txn *txn, uint32_t version);
uint32_t raw_schema(const char *dir);
/* Every key of database `db`, each with its NULs shown as '|' and a
 * space after it. */
void raw_keys(const char *dir, const char *db, char *out, size_t n);

#endif
