/* Password hashing with argon2id (U3). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "helper/rules/kdf.h"
#include "helper/rules/kdfmem.h"
#include "helper/core/log.h"

/* How many hashes and verifies ran: STATUS shows it, so that a test can
 * see that a wrong email costs one argon2id like a wrong password (S1). */
static _Atomic unsigned long runs;

unsigned long
ul_kdf_runs(void)
{
	return runs;
}
#include "unilogin/error.h"

/* The hashes run in worker processes (ul_kdf_workers_start): libsodium
 * maps its argon2 memory (64 MiB at `interactive`) with MAP_POPULATE and
 * unmaps it at every hash, and two hashing threads of one process wait on
 * each other's map and unmap for the process's address-space lock, as do
 * the event loop's own small maps.  A process each keeps that apart, as
 * the bare-KDF baseline of bench section 4 is, and each worker keeps its
 * argon2 memory between hashes (kdfmem.c).  A request and its answer
 * travel over a SOCK_SEQPACKET socketpair; both are wiped after use on
 * both sides.  Without workers (unit tests, a start that could not make
 * them) the hash runs in the calling thread. */
enum { KDF_HASH = 1, KDF_VERIFY = 2 };

struct kdf_req {
	uint32_t op;
	uint32_t pwlen;
	uint64_t opslimit;
	uint64_t memlimit;
	char hash[UL_HASH_STR_MAX];
	char pw[UL_SECRET_MAX + 1];
};

struct kdf_rep {
	int32_t r;
	char hash[UL_HASH_STR_MAX];
};

struct kdf_worker {
	pid_t pid;
	int fd;
	bool busy;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned n;
	struct kdf_worker *w;
	char exe[PATH_MAX];
} workers = {.lock = PTHREAD_MUTEX_INITIALIZER, .idle = PTHREAD_COND_INITIALIZER};

extern char **environ;

static int
run_here(const struct kdf_req *q, struct kdf_rep *p)
{
	memset(p, 0, sizeof(*p));
	if (q->op == KDF_HASH)
		p->r = crypto_pwhash_str_alg(p->hash, q->pw, q->pwlen,
		    q->opslimit, (size_t)q->memlimit,
		    crypto_pwhash_ALG_ARGON2ID13) != 0 ? UL_ENOMEM : 0;
	else
		p->r = crypto_pwhash_str_verify(q->hash, q->pw, q->pwlen) == 0
		    ? 0 : UL_EAUTH;
	return 0;
}

static void
worker_end(struct kdf_worker *w)
{
	if (w->fd >= 0)
		close(w->fd);
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->fd = -1;
	w->pid = 0;
}

/* `unilogind --kdf-worker` with its end of a new socketpair as fd 3. */
static int
worker_spawn(struct kdf_worker *w)
{
	char *argv[] = {workers.exe, "--kdf-worker", NULL};
	posix_spawn_file_actions_t fa;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return UL_ENOMEM;
	posix_spawn_file_actions_init(&fa);
	/* dup2 onto itself (sv[1] == 3) clears close-on-exec too */
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	r = posix_spawn(&w->pid, workers.exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(sv[1]);
	if (r != 0) {
		close(sv[0]);
		w->pid = 0;
		errno = r;      /* what the caller logs */
		return UL_ENOMEM;
	}
	w->fd = sv[0];
	return 0;
}

int
ul_kdf_workers_start(unsigned n)
{
	ssize_t len = readlink("/proc/self/exe", workers.exe,
	    sizeof(workers.exe) - 1);

	if (len <= 0 || (workers.w = calloc(n, sizeof(*workers.w))) == NULL)
		return UL_ENOMEM;
	workers.exe[len] = '\0';
	for (unsigned i = 0; i < n; i++) {
		workers.w[i].fd = -1;
		if (worker_spawn(&workers.w[i]) != 0) {
			ul_log(LOG_ERR, "kdf worker: %s: %s", workers.exe,
			    strerror(errno));
			ul_kdf_workers_stop();
			return UL_ENOMEM;
		}
		workers.n++;
	}
	return 0;
}

void
ul_kdf_workers_stop(void)
{
	for (unsigned i = 0; i < workers.n; i++)
		worker_end(&workers.w[i]);
	free(workers.w);
	workers.w = NULL;
	workers.n = 0;
}

static bool
exchange(struct kdf_worker *w, const struct kdf_req *q, struct kdf_rep *p)
{
	ssize_t n;

	if (w->fd < 0)
		return false;
	do
		n = send(w->fd, q, sizeof(*q), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*q))
		return false;
	do
		n = recv(w->fd, p, sizeof(*p), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*p);
}

/* On an idle worker; one that died (killed, out of memory) is made again
 * and the hash sent again: hashing has no effect to repeat. */
static int
run(const struct kdf_req *q, struct kdf_rep *p)
{
	struct kdf_worker *w = NULL;
	int r = UL_ENOMEM;

	pthread_mutex_lock(&workers.lock);
	while (workers.n > 0 && w == NULL) {
		for (unsigned i = 0; i < workers.n && w == NULL; i++)
			if (!workers.w[i].busy)
				w = &workers.w[i];
		if (w == NULL)
			pthread_cond_wait(&workers.idle, &workers.lock);
	}
	if (w != NULL)
		w->busy = true;
	pthread_mutex_unlock(&workers.lock);
	if (w == NULL)
		return run_here(q, p);
	for (int i = 0; i < 2 && r != 0; i++) {
		if (exchange(w, q, p)) {
			r = 0;
			break;
		}
		ul_log(LOG_WARNING, "kdf worker %ld stopped: starting another",
		    (long)w->pid);
		worker_end(w);
		if (worker_spawn(w) != 0)
			break;
	}
	pthread_mutex_lock(&workers.lock);
	w->busy = false;
	pthread_cond_signal(&workers.idle);
	pthread_mutex_unlock(&workers.lock);
	return r;
}

static int
kdf_call(uint32_t op, const struct ul_conf *c, const char *hash,
    const char *password, char out[UL_HASH_STR_MAX])
{
	static _Thread_local struct kdf_req *q;
	static _Thread_local struct kdf_rep *p;
	size_t len = strlen(password);
	int r;

	if (len > UL_SECRET_MAX)
		return op == KDF_VERIFY ? UL_EAUTH : UL_EINVAL;
	/* locked, made once per thread: no map per hash here either */
	if (q == NULL && (q = sodium_malloc(sizeof(*q))) == NULL)
		return UL_ENOMEM;
	if (p == NULL && (p = sodium_malloc(sizeof(*p))) == NULL)
		return UL_ENOMEM;
	memset(q, 0, sizeof(*q));
	q->op = op;
	q->pwlen = (uint32_t)len;
	memcpy(q->pw, password, len);
	if (c != NULL) {
		q->opslimit = c->kdf_opslimit;
		q->memlimit = c->kdf_memlimit;
	}
	if (hash != NULL)
		snprintf(q->hash, sizeof(q->hash), "%s", hash);
	runs++;
	r = run(q, p);
	if (r == 0)
		r = p->r;
	if (r == 0 && out != NULL)
		memcpy(out, p->hash, UL_HASH_STR_MAX);
	sodium_memzero(q, sizeof(*q));
	sodium_memzero(p, sizeof(*p));
	return r;
}

int
ul_kdf_worker_main(int fd)
{
	struct kdf_req *q;
	struct kdf_rep *p;
	ssize_t n;

	/* a hash yields the CPU to the helper's loop (as the KDF threads
	 * did); it dies with the helper, holds nothing to dump */
	(void)setpriority(PRIO_PROCESS, 0, 10);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)prctl(PR_SET_DUMPABLE, 0);
	(void)close_range(fd + 1, ~0U, 0);
	if (sodium_init() < 0 || (q = sodium_malloc(sizeof(*q))) == NULL ||
	    (p = sodium_malloc(sizeof(*p))) == NULL)
		return 1;
	/* argon2's memory kept between hashes, let go when idle */
	ul_kdfmem_arm(true);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		struct ul_kdfmem_stats ks;
		int pr;

		ul_kdfmem_stats(&ks);
		pr = poll(&pfd, 1, ks.held > 0 ? KDF_IDLE_MS : -1);
		if (pr == 0)
			ul_kdfmem_release();
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		n = recv(fd, q, sizeof(*q), 0);
		if (n < 0 && errno == EINTR)
			continue;
		/* the helper closed its end (or is gone): done */
		if (n != (ssize_t)sizeof(*q) || q->pwlen > UL_SECRET_MAX ||
		    (q->op != KDF_HASH && q->op != KDF_VERIFY))
			break;
		q->pw[q->pwlen] = '\0';
		q->hash[sizeof(q->hash) - 1] = '\0';
		run_here(q, p);
		sodium_memzero(q, sizeof(*q));
		n = send(fd, p, sizeof(*p), MSG_NOSIGNAL);
		sodium_memzero(p, sizeof(*p));
		if (n != (ssize_t)sizeof(*p))
			break;
	}
	sodium_free(q);
	sodium_free(p);
	return 0;
}

int
ul_kdf_hash(const struct ul_conf *c, const char *password,
    char out[UL_HASH_STR_MAX])
{
	memset(out, 0, UL_HASH_STR_MAX);
	return kdf_call(KDF_HASH, c, NULL, password, out);
}

int
ul_kdf_verify(const char *hash, const char *password)
{
	if (hash[0] == '\0')
		return UL_EAUTH;
	return kdf_call(KDF_VERIFY, NULL, hash, password, NULL);
}

bool
ul_kdf_needs_rehash(const struct ul_conf *c, const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, c->kdf_opslimit,
	    c->kdf_memlimit) != 0;
}

bool
ul_kdf_hash_allowed(const struct ul_conf *c, const char *hash)
{
	unsigned long m, t, p;
	int used = 0;

	(void)c;
	if (sscanf(hash, "$argon2id$v=19$m=%lu,t=%lu,p=%lu$%n", &m, &t, &p, &used) != 3 ||
	    used == 0 || p != 1 || t < 1 || m < 8 ||
	    t > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    m > crypto_pwhash_MEMLIMIT_SENSITIVE / 1024)
		return false;
	/* the salt and the tag, in unpadded base64 */
	for (const char *s = hash + used; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '+' && *s != '/' && *s != '$')
			return false;
	return strchr(hash + used, '$') != NULL;
}
