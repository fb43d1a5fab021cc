/* Unit tests for group commit (helper/store/lmdb/batch.c, ul_store_write):
 * a write alone runs in the write transaction itself, and its refusal
 * leaves nothing of what it wrote; writes that wait together share a
 * commit, and one's refusal undoes only its own changes (S7: each is
 * answered after its batch is on disk, so a reopened store has them). */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helper/store/store.h"
#include "unilogin/error.h"

#include "tests/unit/store_fixture.h"

#define WRITERS 32

struct write {
	char email[32];
	int answer;                 /* what the change returns after its write */
	pthread_mutex_t *hold;      /* held by the test until the others queue */
};

static int
create_then_answer(struct ul_txn *t, void *arg)
{
	struct write *w = arg;
	struct ul_user u = new_user(w->email);
	int r;

	if (w->hold != NULL) {
		pthread_mutex_lock(w->hold);
		pthread_mutex_unlock(w->hold);
	}
	r = ul_store_user_create(t, &u);
	return r != 0 ? r : w->answer;
}

static bool
stored(struct fixture *fx, const char *email)
{
	struct ul_txn *t = begin(fx, false);
	struct ul_user u;
	int r = ul_store_user_get(t, email, &u);

	ul_txn_abort(t);
	assert_true(r == 0 || r == UL_ENOTFOUND);
	return r == 0;
}

static struct ul_store_counts
counts(struct fixture *fx)
{
	struct ul_txn *t = begin(fx, false);
	struct ul_store_counts c;

	assert_int_equal(ul_store_counts(t, &c), 0);
	ul_txn_abort(t);
	return c;
}

static void
test_alone(void **state)
{
	struct fixture *fx = *state;
	struct write refused = {.email = "refused@example.com", .answer = UL_ECONFLICT};
	struct write kept = {.email = "kept@example.com", .answer = 0};
	struct ul_store_counts before = counts(fx), after;

	assert_int_equal(ul_store_write(fx->st, create_then_answer, &refused), UL_ECONFLICT);
	assert_int_equal(ul_store_write(fx->st, create_then_answer, &kept), 0);
	after = counts(fx);
	assert_int_equal(after.batches - before.batches, 1);   /* the refusal commits nothing */
	assert_int_equal(after.batched - before.batched, 1);
	reopen(fx);
	assert_false(stored(fx, "refused@example.com"));
	assert_true(stored(fx, "kept@example.com"));
}

struct writer {
	struct ul_store *st;
	struct write w;
	int result;
};

static _Atomic unsigned entered;

static void *
writer(void *arg)
{
	struct writer *wr = arg;

	entered++;
	wr->result = ul_store_write(wr->st, create_then_answer, &wr->w);
	return NULL;
}

static void
test_together(void **state)
{
	struct fixture *fx = *state;
	pthread_mutex_t hold = PTHREAD_MUTEX_INITIALIZER;
	struct writer first = {.st = fx->st, .w = {.email = "first@example.com", .hold = &hold}};
	struct writer wr[WRITERS];
	pthread_t t0, t[WRITERS];
	struct ul_store_counts before = counts(fx), after;

	/* the first write holds the commit thread, so that the others wait
	 * together behind it and make one batch (or a few) */
	pthread_mutex_lock(&hold);
	entered = 0;
	assert_int_equal(pthread_create(&t0, NULL, writer, &first), 0);
	for (int i = 0; i < WRITERS; i++) {
		wr[i] = (struct writer){.st = fx->st};
		snprintf(wr[i].w.email, sizeof(wr[i].w.email), "w%d@example.com", i);
		wr[i].w.answer = i % 2 ? UL_ECONFLICT : 0;
		assert_int_equal(pthread_create(&t[i], NULL, writer, &wr[i]), 0);
	}
	while (entered < WRITERS + 1)
		sched_yield();
	pthread_mutex_unlock(&hold);
	assert_int_equal(pthread_join(t0, NULL), 0);
	assert_int_equal(first.result, 0);
	for (int i = 0; i < WRITERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(wr[i].result, i % 2 ? UL_ECONFLICT : 0);
	}
	after = counts(fx);
	print_message("# %d writes at once: %u kept in %u commits\n", WRITERS + 1,
	    (unsigned)(after.batched - before.batched),
	    (unsigned)(after.batches - before.batches));
	assert_int_equal(after.batched - before.batched, 1 + WRITERS / 2);
	/* some shared a commit: one commit a write would give 1 + WRITERS / 2 */
	assert_true(after.batches - before.batches < 1 + WRITERS / 2);
	reopen(fx);
	assert_true(stored(fx, "first@example.com"));
	for (int i = 0; i < WRITERS; i++)
		assert_int_equal(stored(fx, wr[i].w.email), i % 2 == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_together, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
