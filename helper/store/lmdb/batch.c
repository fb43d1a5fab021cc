/* Group commit (ul_store_write): the writes that wait at the same moment
 * share one LMDB write transaction and one commit.  The writer that finds
 * no commit under way leads: it takes every waiting write (its own first
 * among them), runs each in a nested transaction of its own -- a refusal
 * aborts only that one's intents -- commits once in its own thread (LMDB
 * wants a write transaction begun and ended by one thread), and only then
 * wakes the others: nothing is acknowledged before it is on disk (S7).
 * Writers that came meanwhile wait; when the leader is done, one of those
 * whose write is still waiting leads the next batch.  A write alone is a
 * batch of one, run in the write transaction itself and committed at once
 * by its own thread, with no hand-off to another. */
#include "config.h"

#include <pthread.h>
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
	pthread_cond_t done;        /* a batch is on disk, or the lead is free */
	struct write_req *head, *tail;
	bool leading;               /* a writer runs a batch now */
	bool stop;
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

	if (rc != 0) {
		for (struct write_req *w = list; w != NULL; w = w->next)
			w->result = st_map_error(rc);
		return;
	}
	if (list->next == NULL) {
		/* a batch of one needs no child: its refusal aborts the whole
		 * transaction, which holds nothing else (LMDB's nested begin
		 * allocates and copies a dirty list of its own) */
		struct ul_txn t = {.st = st, .write = true, .txn = parent};

		list->result = list->change(&t, list->arg);
		ul_record_wipe(&t.rec);
		kept = list->result == 0;
	} else {
		for (struct write_req *w = list; w != NULL; w = w->next) {
			w->result = run_one(st, parent, w);
			kept += w->result == 0;
		}
	}
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

/* Takes the waiting writes, up to BATCH_MAX, off the queue (lock held). */
static struct write_req *
take_batch(struct st_batcher *b)
{
	struct write_req *list = b->head, *w;
	unsigned n = 0;

	for (w = list; w->next != NULL && ++n < BATCH_MAX; w = w->next)
		;
	b->head = w->next;
	if (b->head == NULL)
		b->tail = NULL;
	w->next = NULL;
	return list;
}

int
st_batcher_start(struct ul_store *st)
{
	struct st_batcher *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return UL_ENOMEM;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->done, NULL);
	st->batcher = b;
	return 0;
}

void
st_batcher_stop(struct ul_store *st)
{
	struct st_batcher *b = st->batcher;

	if (b == NULL)
		return;
	/* new writes are refused; the batch under way and the writes already
	 * queued finish first */
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	while (b->leading || b->head != NULL)
		pthread_cond_wait(&b->done, &b->lock);
	pthread_mutex_unlock(&b->lock);
	pthread_mutex_destroy(&b->lock);
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
	while (!w.done) {
		struct write_req *list;

		if (b->leading || b->head == NULL) {
			pthread_cond_wait(&b->done, &b->lock);
			continue;
		}
		/* lead: this batch holds the waiting writes, ours among them
		 * unless more than BATCH_MAX came before it */
		b->leading = true;
		list = take_batch(b);
		pthread_mutex_unlock(&b->lock);
		run_batch(st, list);
		pthread_mutex_lock(&b->lock);
		for (struct write_req *x = list, *next; x != NULL; x = next) {
			next = x->next;     /* x lives on its writer's stack */
			x->done = true;
		}
		b->leading = false;
		pthread_cond_broadcast(&b->done);
	}
	pthread_mutex_unlock(&b->lock);
	return w.result;
}
