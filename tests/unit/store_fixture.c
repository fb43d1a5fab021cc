/* What the store's unit tests share: a real store per test. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/store_fixture.h"

int
setup(void **state)
{
	struct fixture *fx = test_calloc(1, sizeof(*fx));

	snprintf(fx->root, sizeof(fx->root), "/tmp/ul-store-XXXXXX");
	if (mkdtemp(fx->root) == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s/store", fx->root);
	if (ul_store_open(&fx->st, fx->dir, fx->err, sizeof(fx->err)) != 0) {
		fprintf(stderr, "store: %s\n", fx->err);
		return -1;
	}
	*state = fx;
	return 0;
}

static void
remove_in(const char *dir, const char *name)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	unlink(p);
}

int
teardown(void **state)
{
	struct fixture *fx = *state;

	ul_store_close(fx->st);
	remove_in(fx->dir, "data.mdb");
	remove_in(fx->dir, "lock.mdb");
	rmdir(fx->dir);
	rmdir(fx->root);
	test_free(fx);
	return 0;
}

struct ul_txn *
begin(struct fixture *fx, bool write)
{
	struct ul_txn *t = NULL;

	assert_int_equal(ul_txn_begin(fx->st, write, &t), 0);
	assert_non_null(t);
	return t;
}

void
reopen(struct fixture *fx)
{
	ul_store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(ul_store_open(&fx->st, fx->dir, fx->err,
	    sizeof(fx->err)), 0);
}
