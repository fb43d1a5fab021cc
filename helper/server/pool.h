/* A fixed pool of worker threads.  The loop submits jobs; a worker runs
 * one, puts it on the done list and wakes the loop through an eventfd.
 * The KDF pool has kdf_parallel workers: that is what bounds the memory
 * that password hashes take. */
#ifndef UL_POOL_H
#define UL_POOL_H

struct ul_job {
	void (*run)(struct ul_job *job);
	/* on the loop, once the job is done: NULL for a connection's
	 * request (the loop sends its reply), else the owner's own */
	void (*done)(struct ul_job *job);
	struct ul_job *next;
};

struct ul_pool;

/* Starts `threads` workers at this nice value (0 = as the loop); done
 * jobs are announced on ul_pool_fd(). */
int ul_pool_new(struct ul_pool **out, unsigned threads, const char *name,
    int nice) __attribute__((warn_unused_result));
int ul_pool_fd(const struct ul_pool *p);
void ul_pool_submit(struct ul_pool *p, struct ul_job *job);
/* Takes every finished job (a list through ->next), or NULL. */
struct ul_job *ul_pool_take_done(struct ul_pool *p);
/* Jobs queued or running. */
unsigned ul_pool_pending(struct ul_pool *p);
/* Lets the running jobs finish, joins the workers and frees the pool;
 * returns the jobs it did not hand back (queued, or done but not taken:
 * a list through ->next) for their owner to free. */
struct ul_job *ul_pool_free(struct ul_pool *p);

#endif
