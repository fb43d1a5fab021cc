/* A fixed pool of worker threads with a FIFO queue and a done list. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "helper/server/pool.h"
#include "unilogin/error.h"

struct ul_pool {
	int nice;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct ul_job *head, *tail;     /* queued */
	struct ul_job *done;
	unsigned pending;
	bool stopping;
	int efd;
	unsigned nthreads;
	pthread_t *threads;
};

static void *
worker(void *arg)
{
	struct ul_pool *p = arg;

	/* password hashes yield the CPU to the loop's cheap requests */
	if (p->nice != 0 && setpriority(PRIO_PROCESS, (id_t)gettid(), p->nice) != 0) {
		/* not fatal: the hash runs at the loop's priority */
	}

	for (;;) {
		struct ul_job *job;
		uint64_t one = 1;

		pthread_mutex_lock(&p->lock);
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if (p->head == NULL) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		job = p->head;
		p->head = job->next;
		if (p->head == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);

		job->run(job);

		pthread_mutex_lock(&p->lock);
		job->next = p->done;
		p->done = job;
		pthread_mutex_unlock(&p->lock);
		if (write(p->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice; the loop still
			 * finds the job at its next wake-up */
		}
	}
}

int
ul_pool_new(struct ul_pool **out, unsigned threads, const char *name, int nice)
{
	struct ul_pool *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return UL_ENOMEM;
	p->nice = nice;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->threads = calloc(threads, sizeof(*p->threads));
	if (p->efd < 0 || p->threads == NULL) {
		(void)ul_pool_free(p);
		return UL_ENOMEM;
	}
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
			(void)ul_pool_free(p);
			return UL_ENOMEM;
		}
		pthread_setname_np(p->threads[i], name);
		p->nthreads++;
	}
	*out = p;
	return 0;
}

int
ul_pool_fd(const struct ul_pool *p)
{
	return p->efd;
}

void
ul_pool_submit(struct ul_pool *p, struct ul_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail)
		p->tail->next = job;
	else
		p->head = job;
	p->tail = job;
	p->pending++;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

struct ul_job *
ul_pool_take_done(struct ul_pool *p)
{
	struct ul_job *done, *j;
	uint64_t n;

	if (read(p->efd, &n, sizeof(n)) < 0) {
		/* nothing signalled yet: the list may still hold jobs */
	}
	pthread_mutex_lock(&p->lock);
	done = p->done;
	p->done = NULL;
	for (j = done; j != NULL; j = j->next)
		p->pending--;
	pthread_mutex_unlock(&p->lock);
	return done;
}

unsigned
ul_pool_pending(struct ul_pool *p)
{
	unsigned n;

	pthread_mutex_lock(&p->lock);
	n = p->pending;
	pthread_mutex_unlock(&p->lock);
	return n;
}

struct ul_job *
ul_pool_free(struct ul_pool *p)
{
	struct ul_job *left, *j;

	if (p == NULL)
		return NULL;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	left = p->head;
	p->head = p->tail = NULL;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* the queued jobs, then those done but not yet taken */
	if (left == NULL)
		left = p->done;
	else {
		for (j = left; j->next != NULL; j = j->next)
			;
		j->next = p->done;
	}
	if (p->efd >= 0)
		close(p->efd);
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
	return left;
}
