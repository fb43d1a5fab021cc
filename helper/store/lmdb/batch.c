/* Group commit (ul_store_write): the writes that wait at the same moment
 * share one LMDB write transaction and one commit.  A thread of the store
 * (LMDB wants a write transaction begun and ended by one thread) takes
 * every waiting write, runs each in a nested transaction of its own --
 * a refusal aborts only that one's intents -- commits once, and only then
 * wakes the writers: nothing is acknowledged before it is on disk (S7).
 * A write that finds the thread idle is a batch of one, committed at once. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "helper/store/lmdb/internal.h"
#include "unilogin/error.h"

#define BATCH_MAX 256

struct write_req {
	int (*change)(struct ul_txn *t, void *arg);
	void *arg;
	int result;
	bool done;
	struct write_req *next;
};

struct st_batcher {
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct write_req *head, *tail;
	bool stop;
	pthread_t thread;
};

/* Runs one write in a child of parent; its result. */
static int
run_one(struct ul_store *st, MDB_txn *parent, struct write_req *w)
{
	struct ul_txn t = {.st = st, .write = true};
	int rc = mdb_txn_begin(st->env, parent, 0, &t.txn), r;

	if (rc != 0)
		return st_map_error(rc);
	r = w->change(&t, w->arg);
	if (r == 0)
		r = st_map_error(mdb_txn_commit(t.txn));   /* into the parent */
	else
		mdb_txn_abort(t.txn);
	ul_record_wipe(&t.rec);
	return r;
}

/* One batch: every write of the list, one commit. */
static void
run_batch(struct ul_store *st, struct write_req *list)
{
	MDB_txn *parent;
	unsigned kept = 0;
	int rc = mdb_txn_begin(st->env, NULL, 0, &parent), r;

	for (struct write_req *w = list; w != NULL; w = w->next) {
		w->result = rc != 0 ? st_map_error(rc) : run_one(st, parent, w);
		kept += w->result == 0;
	}
	if (rc != 0)
		return;
	if (kept == 0) {
		mdb_txn_abort(parent);
		return;
	}
	r = st_map_error(mdb_txn_commit(parent));
	if (r != 0) {
		/* nothing of the batch is on disk: no write of it succeeded */
		for (struct write_req *w = list; w != NULL; w = w->next)
			if (w->result == 0)
				w->result = r;
		return;
	}
	st->commits++;
	st->batches++;
	st->batched += kept;
}

static void *
batcher(void *arg)
{
	struct ul_store *st = arg;
	struct st_batcher *b = st->batcher;

	pthread_setname_np(pthread_self(), "ul-commit");
	pthread_mutex_lock(&b->lock);
	for (;;) {
		struct write_req *list, *w;
		unsigned n = 0;

		while (b->head == NULL && !b->stop)
			pthread_cond_wait(&b->work, &b->lock);
		if (b->head == NULL)
			break;
		/* every write waiting now, up to BATCH_MAX */
		list = b->head;
		for (w = list; w->next != NULL && ++n < BATCH_MAX; w = w->next)
			;
		b->head = w->next;
		if (b->head == NULL)
			b->tail = NULL;
		w->next = NULL;
		pthread_mutex_unlock(&b->lock);
		run_batch(st, list);
		pthread_mutex_lock(&b->lock);
		for (w = list; w != NULL; w = w->next)
			w->done = true;
		pthread_cond_broadcast(&b->done);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

int
st_batcher_start(struct ul_store *st)
{
	struct st_batcher *b = calloc(1, sizeof(*b));
	sigset_t all, old;
	int r;

	if (b == NULL)
		return UL_ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->done, NULL);
	st->batcher = b;
	/* no signal is for this thread: the helper takes SIGTERM through its
	 * loop's signalfd, and a thread that left it unblocked would die of it */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&b->thread, NULL, batcher, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		st->batcher = NULL;
		free(b);
		return UL_ENOMEM;
	}
	return 0;
}

void
st_batcher_stop(struct ul_store *st)
{
	struct st_batcher *b = st->batcher;

	if (b == NULL)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->done);
	free(b);
	st->batcher = NULL;
}

int
lmdb_write(struct ul_store *st, int (*change)(struct ul_txn *t, void *arg),
    void *arg)
{
	struct st_batcher *b = st->batcher;
	struct write_req w = {.change = change, .arg = arg};

	pthread_mutex_lock(&b->lock);
	if (b->stop) {
		pthread_mutex_unlock(&b->lock);
		return UL_ESTORE;
	}
	if (b->tail != NULL)
		b->tail->next = &w;
	else
		b->head = &w;
	b->tail = &w;
	pthread_cond_signal(&b->work);
	while (!w.done)
		pthread_cond_wait(&b->done, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return w.result;
}
