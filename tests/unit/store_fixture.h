/* What the store's unit tests share: every test opens a real store in a
 * fresh mkdtemp directory (setup/teardown for cmocka) and works in short
 * transactions. */
#ifndef UL_STORE_FIXTURE_H
#define UL_STORE_FIXTURE_H

#include <stdbool.h>

#include "helper/store/store.h"

struct fixture {
	char root[64];              /* the mkdtemp directory */
	char dir[96];               /* the store, created by ul_store_open */
	struct ul_store *st;
	char err[256];
};

int setup(void **state);
int teardown(void **state);
/* A transaction that must begin. */
struct ul_txn *begin(struct fixture *fx, bool write);
/* Closes and opens the store again (what a restart sees). */
void reopen(struct fixture *fx);

#endif
