/* What the store's unit tests share: every test opens a real store in a
 * fresh mkdtemp directory (setup/teardown for cmocka) and works in short
 * transactions; the records the tests start from, and the few steps
 * (create, read back, commit) that every test takes. */
#ifndef UL_STORE_FIXTURE_H
#define UL_STORE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"
#include "helper/store/store.h"

struct fixture {
	char root[64];              /* the mkdtemp directory */
	char dir[96];               /* the store, created by ul_store_open */
	struct ul_conf conf;        /* defaults, state_dir = dir */
	struct ul_store *st;
	char err[256];
};

int setup(void **state);
int teardown(void **state);
/* A transaction that must begin, and a commit that must succeed. */
struct ul_txn *begin(struct fixture *fx, bool write);
void commit(struct ul_txn *t);
/* Closes and opens the store again (what a restart sees). */
void reopen(struct fixture *fx);
void close_store(struct fixture *fx);
/* ul_store_open on another directory, with the fixture's other settings. */
int open_dir(struct fixture *fx, const char *dir, struct ul_store **st);

/* Bytes that differ with the seed (hashes, sealed seeds). */
void fill(void *p, size_t n, uint8_t seed);
bool all_zero(const void *p, size_t n);

/* A confirmed user with a password and a fresh id (a new one each call,
 * as a re-created user gets), not yet stored. */
struct ul_user new_user(const char *email);
/* new_user stored; the record as the store has it. */
struct ul_user create_user(struct fixture *fx, const char *email);
/* The stored record, which must exist. */
struct ul_user get_user(struct fixture *fx, const char *email);

/* An account (legacy when owner is ""), not yet stored. */
struct ul_account new_account(const char *product, const char *name,
    const char *unix_user, uint32_t uid, const char *owner);
void create_account(struct fixture *fx, const struct ul_account *a);
struct ul_account get_account(struct fixture *fx, const char *product,
    const char *name);

/* An audit record of ann@x.org on shop from 192.0.2.1. */
struct ul_audit audit_event(int64_t time, const char *event, int result);
/* Three of them stored (login, a failed login, user_add at 100, 200, 300). */
void append_three_events(struct fixture *fx);

#endif
