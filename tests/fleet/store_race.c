/* Races on the directory backend (store = ldap) through store.h, each
 * "host" a store opened from its own config (its own replica, the one
 * provider), its threads released together by a barrier:
 *   store_race totp N CONF CONF      one TOTP step sent to two hosts at
 *                                    once, N trials: exactly one accepted
 *                                    in each; then an older step after a
 *                                    newer one: refused (T3, F1)
 *   store_race memo N CONF CONF      a write transaction on host 1 reads
 *                                    its user, then the user changes (by
 *                                    it, or on host 2) before its next
 *                                    call, N trials: its own write seen, a
 *                                    step host 2 spent refused, a method
 *                                    host 2 removed refused (T3, F1)
 *   store_race lockout T LIMIT CONF...  T threads per host count one
 *                                    failure each for one email: prints
 *                                    how many were counted, how many found
 *                                    it locked out, and the count after
 *                                    (S3, F1)
 *   store_race codes N CONF CONF     a recovery code (N trials), a reset
 *                                    and a confirmation code (N/10 each)
 *                                    spent at two hosts at once: each
 *                                    accepted exactly once (T4, U5, U2)
 *   store_race uids N T CONF...      T threads per host allocate N uids in
 *                                    all: prints how many, and how many
 *                                    duplicates (L1a, F1)
 *   store_race accounts N CONF CONF  two hosts add an account with one
 *                                    unix_user, then one uid, at once, N
 *                                    trials each: one created, the other
 *                                    "exists"; the winner read back by
 *                                    both; then the list (L1, L1a, F1)
 *   store_race keys FP CONF          the fleet key rule for a helper whose
 *                                    keys have fingerprint FP
 *   store_race setup CONF            makes product comms (if not there)
 *   store_race outage CONF           opens, prints "ready", then for each
 *                                    line of stdin ("read", "write" or
 *                                    "count": the failures written)
 *                                    reads from the replica or writes to
 *                                    the provider and prints the outcome
 *                                    and its time; the test stops, kills
 *                                    and restarts the provider between
 *                                    lines (F2)
 * The backend is opened directly (backend.h), whatever the config's
 * `store` says. */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/conf.h"
#include "helper/store/backend.h"
#include "unilogin/error.h"

#define HOSTS_MAX 8
#define THREADS_MAX 64

static struct ul_store *hosts[HOSTS_MAX];
static int nhosts;

static void
open_host(const char *path)
{
	struct ul_conf conf;
	char err[UL_CONF_ERR_MAX];

	ul_conf_defaults(&conf);
	if (ul_conf_load(&conf, path, false, err, sizeof(err)) != 0 ||
	    ul_store_ldap_open(&hosts[nhosts], &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		exit(99);
	}
	nhosts++;
}

struct accept_arg {
	struct ul_user u;
	int64_t step;
};

static int
accept_change(struct ul_txn *t, void *arg)
{
	struct accept_arg *a = arg;

	return ul_store_totp_accept(t, &a->u, 1, true, a->step, time(NULL));
}

struct worker {
	pthread_t thread;
	struct ul_store *st;
	pthread_barrier_t *barrier;
	int (*change)(struct ul_txn *, void *);
	void *arg;
	int result;
};

static void *
run_worker(void *p)
{
	struct worker *w = p;

	pthread_barrier_wait(w->barrier);
	w->result = ul_store_write(w->st, w->change, w->arg);
	return NULL;
}

/* n workers, worker i on hosts[i % nhosts], released together. */
static void
race(struct worker *w, int n, int (*change)(struct ul_txn *, void *),
    void *arg)
{
	pthread_barrier_t barrier;

	pthread_barrier_init(&barrier, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){.st = hosts[i % nhosts], .barrier = &barrier,
		    .change = change, .arg = arg};
		pthread_create(&w[i].thread, NULL, run_worker, &w[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	pthread_barrier_destroy(&barrier);
}

static int
create_user(struct ul_txn *t, void *arg)
{
	struct ul_user *u = arg;
	struct ul_method m = {.id = 1, .kind = UL_METHOD_TOTP, .active = true,
	    .digits = 6, .created = u->created};
	int r = ul_store_user_create(t, u);

	if (r == 0)
		r = ul_store_method_restore(t, u->email, &m);
	return r;
}

/* The user as host h's replica shows it (bounded wait: replication). */
static int
wait_user(int h, const char *email, struct ul_user *u)
{
	struct ul_txn *t;
	int r = UL_ENOTFOUND;

	for (int i = 0; i < 400 && r == UL_ENOTFOUND; i++) {
		if (ul_txn_begin(hosts[h], false, &t) != 0)
			return UL_ESTORE;
		r = ul_store_user_get(t, email, u);
		ul_txn_abort(t);
		if (r == UL_ENOTFOUND)
			usleep(25000);
	}
	return r;
}

/* A confirmed user with TOTP method 1, made on host 1, as host 2's
 * replica shows it (*seen); its email PREFIX-PID@example.com. */
static int
totp_user(const char *prefix, struct ul_user *seen)
{
	struct ul_user u = {0};
	uint8_t id[16];
	int r;

	snprintf(u.email, sizeof(u.email), "%s-%ld@example.com", prefix,
	    (long)getpid());
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(u.id, sizeof(u.id), id, sizeof(id));
	u.created = time(NULL);
	u.confirmed = true;
	r = ul_store_write(hosts[0], create_user, &u);
	if (r == 0)
		r = wait_user(1, u.email, seen);
	if (r != 0)
		fprintf(stderr, "setup: %s\n", ul_strerror(r));
	return r;
}

static int
totp(int trials)
{
	struct ul_user seen;
	struct accept_arg a[2];
	struct worker w[2];
	int one = 0, both = 0, none = 0, r;
	int64_t base = time(NULL) / 30;

	if (totp_user("race", &seen) != 0)
		return 99;
	for (int i = 1; i <= trials; i++) {
		a[0] = (struct accept_arg){seen, base + i};
		race(w, 2, accept_change, &a[0]);
		int ok = (w[0].result == 0) + (w[1].result == 0);

		if (ok == 1)
			one++;
		else if (ok == 2)
			both++;
		else
			none++;
	}
	printf("trials %d exactly_one %d both %d none %d\n", trials, one, both, none);
	a[0] = (struct accept_arg){seen, base + trials + 10};
	a[1] = (struct accept_arg){seen, base + trials + 5};
	r = ul_store_write(hosts[0], accept_change, &a[0]);
	printf("newer step on host 1: %s\n", r == 0 ? "accepted" : ul_strerror(r));
	r = ul_store_write(hosts[1], accept_change, &a[1]);
	printf("older step on host 2: %s\n", r == 0 ? "accepted" : ul_strerror(r));
	return 0;
}

/* The reads of a login asked at once (ul_store_prefetch) in t. */
static void
prefetch(struct ul_txn *t, const char *email)
{
	ul_store_prefetch(t, &(struct ul_prefetch){.email = email, .counter = true,
	    .totp = true});
}

/* One write transaction on host 1 that reads its user, then (between
 * two of its calls) the user changes: by the transaction itself, or on
 * host 2.  The backend keeps the entry it read for the transaction's next
 * reads of that user (store = ldap: dir_user_memo), and what a prefetch
 * fetched for its first reads: its own write must be seen (the user's
 * lock, a failure counted), and an entry kept from before host 2's change
 * must let no step through that host 2 spent, nor a method host 2
 * removed (T3, F1, S3). */
static int
memo(int trials)
{
	struct ul_user u, seen, again;
	struct ul_method m;
	struct ul_failures f, after;
	struct ul_txn *t;
	struct accept_arg a;
	int own = 0, counted = 0, replay = 0, removed = 0, r;
	int64_t base = time(NULL) / 30;

	if (totp_user("memo", &u) != 0)
		return 99;
	for (int i = 1; i <= trials; i++) {
		/* its own write, then the user read again in the same transaction */
		if (ul_txn_begin(hosts[0], true, &t) != 0)
			return 99;
		prefetch(t, u.email);
		r = ul_store_user_get(t, u.email, &seen);
		if (r == 0)
			r = ul_store_user_set_locked(t, &seen, i % 2 == 1);
		if (r == 0)
			r = ul_store_user_get(t, u.email, &again);
		if (r == 0 && again.locked == (i % 2 == 1))
			own++;
		if (ul_txn_commit(t) != 0)
			return 99;
		/* a failure counted after the prefetch fetched the counter, before
		 * anything read it: the read after the count shows the count */
		if (ul_txn_begin(hosts[0], true, &t) != 0)
			return 99;
		prefetch(t, u.email);
		r = ul_store_failure_count(t, u.email, 1000000, 60, time(NULL), &f);
		if (r == 0)
			r = ul_store_failures_get(t, u.email, &after);
		if (r == 0 && f.count == (uint32_t)i && after.count == f.count)
			counted++;
		if (ul_txn_commit(t) != 0)
			return 99;
		/* host 2 accepts step S between host 1's read and its accept of S */
		a = (struct accept_arg){seen, base + i};
		if (ul_txn_begin(hosts[0], true, &t) != 0)
			return 99;
		prefetch(t, u.email);
		r = ul_store_user_get(t, u.email, &seen);
		if (r == 0)
			r = ul_store_method_get(t, u.email, 1, &m);
		if (r == 0)
			r = ul_store_write(hosts[1], accept_change, &a);
		if (r == 0 && ul_store_totp_accept(t, &seen, 1, true, base + i,
		    time(NULL)) == UL_ECONFLICT)
			replay++;
		ul_txn_abort(t);
	}
	/* host 2 removes the method between host 1's read and its accept */
	if (ul_txn_begin(hosts[0], true, &t) != 0)
		return 99;
	prefetch(t, u.email);
	r = ul_store_user_get(t, u.email, &seen);
	if (r == 0)
		r = ul_store_method_get(t, u.email, 1, &m);
	if (r == 0) {
		struct ul_txn *t2 = NULL;

		r = ul_txn_begin(hosts[1], true, &t2);
		if (r == 0 && (r = ul_store_method_remove(t2, &seen, 1,
		    time(NULL))) == 0)
			r = ul_txn_commit(t2);
		else if (r != 0 && t2 != NULL)
			ul_txn_abort(t2);
	}
	if (r == 0 && ul_store_totp_accept(t, &seen, 1, true, base + trials + 5,
	    time(NULL)) == UL_ECONFLICT)
		removed = 1;
	ul_txn_abort(t);
	printf("memo: trials %d own_write_seen %d own_count_seen %d "
	    "spent_step_refused %d removed_method_refused %d\n", trials, own,
	    counted, replay, removed);
	return 0;
}

struct consume_arg {
	struct ul_user u;
	enum ul_code_kind kind;
	uint8_t hash[UL_CODE_HASH_BYTES];
};

static int
consume_change(struct ul_txn *t, void *arg)
{
	struct consume_arg *a = arg;

	return ul_store_code_consume(t, &a->u, a->kind, a->hash, time(NULL));
}

static int
plain_create(struct ul_txn *t, void *arg)
{
	return ul_store_user_create(t, arg);
}

/* A new user with ten recovery codes, a confirmation and a reset code
 * (random hashes: the store never sees a code, only its hash). */
static int
new_user(struct ul_user *u, int n)
{
	uint8_t id[16];

	memset(u, 0, sizeof(*u));
	snprintf(u->email, sizeof(u->email), "codes-%ld-%d@example.com",
	    (long)getpid(), n);
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(u->id, sizeof(u->id), id, sizeof(id));
	u->created = time(NULL);
	randombytes_buf(u->recovery, sizeof(u->recovery));
	u->recovery_unused = (1u << UL_RECOVERY_CODES) - 1;
	randombytes_buf(u->confirm.hash, sizeof(u->confirm.hash));
	u->confirm.expires = u->created + 86400;
	randombytes_buf(u->reset.hash, sizeof(u->reset.hash));
	u->reset.expires = u->created + 3600;
	return ul_store_write(hosts[0], plain_create, u);
}

/* One trial: the code spent at both hosts at once; 1 when exactly one
 * was accepted, 2 when both, 0 when none. */
static int
spend(const struct ul_user *u, enum ul_code_kind kind, const uint8_t *hash)
{
	struct consume_arg a = {.u = *u, .kind = kind};
	struct worker w[2];

	memcpy(a.hash, hash, UL_CODE_HASH_BYTES);
	race(w, 2, consume_change, &a);
	return (w[0].result == 0) + (w[1].result == 0);
}

static int
codes(int trials)
{
	int got[3][3] = {{0}};  /* kind: recovery, reset, confirm; 0/1/2 accepted */
	struct ul_user u;

	for (int i = 0; i < trials; i++) {
		if (i % UL_RECOVERY_CODES == 0 && new_user(&u, i) != 0) {
			fprintf(stderr, "setup failed\n");
			return 99;
		}
		got[0][spend(&u, UL_CODE_RECOVERY, u.recovery[i % UL_RECOVERY_CODES])]++;
		if (i % UL_RECOVERY_CODES == 0) {
			got[1][spend(&u, UL_CODE_RESET, u.reset.hash)]++;
			got[2][spend(&u, UL_CODE_CONFIRM, u.confirm.hash)]++;
		}
	}
	for (int k = 0; k < 3; k++)
		printf("%s: trials %d exactly_one %d both %d none %d\n",
		    k == 0 ? "recovery" : k == 1 ? "reset" : "confirm",
		    got[k][0] + got[k][1] + got[k][2], got[k][1], got[k][2], got[k][0]);
	return 0;
}

#define UIDS_MAX 4096
static uint32_t uids[UIDS_MAX];
static _Atomic int nuids;
static int uids_per_worker;

static int
allocate_change(struct ul_txn *t, void *arg)
{
	uint32_t uid;
	int r = 0;

	for (int i = 0; i < uids_per_worker && r == 0; i++) {
		r = ul_store_uid_allocate(t, 900000000, 999999999, &uid);
		if (r == 0)
			uids[nuids++ % UIDS_MAX] = uid;
	}
	return r;
}

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
allocate(int n, int per_host)
{
	static struct worker w[HOSTS_MAX * THREADS_MAX];
	int workers = per_host * nhosts, dup = 0, failed = 0;

	uids_per_worker = n / workers;
	race(w, workers, allocate_change, NULL);
	for (int i = 0; i < workers; i++)
		failed += w[i].result != 0;
	qsort(uids, (size_t)nuids, sizeof(uids[0]), cmp_uid);
	for (int i = 1; i < nuids; i++)
		dup += uids[i] == uids[i - 1];
	printf("uids %d duplicates %d failed %d\n", (int)nuids, dup, failed);
	return 0;
}

struct count_arg {
	char key[64];
	uint32_t limit;
	int64_t now;
};

static int
count_change(struct ul_txn *t, void *arg)
{
	struct count_arg *a = arg;
	struct ul_failures f;

	return ul_store_failure_count(t, a->key, a->limit, 900, a->now, &f);
}

static int
lockout(int per_host, uint32_t limit)
{
	static struct worker w[HOSTS_MAX * THREADS_MAX];
	struct count_arg a = {.limit = limit, .now = time(NULL)};
	struct ul_failures f;
	struct ul_txn *t;
	int n = per_host * nhosts, counted = 0, locked = 0, other = 0, r;

	snprintf(a.key, sizeof(a.key), "lockout-%ld@example.com", (long)getpid());
	race(w, n, count_change, &a);
	for (int i = 0; i < n; i++) {
		if (w[i].result == 0)
			counted++;
		else if (w[i].result == UL_ELOCKEDOUT)
			locked++;
		else
			other++;
	}
	r = ul_txn_begin(hosts[0], true, &t);
	if (r == 0)
		r = ul_store_failures_get(t, a.key, &f);
	if (r == 0)
		ul_txn_abort(t);
	printf("tries %d counted %d locked_out %d other %d count_after %" PRIu32
	    " locked %s\n", n, counted, locked, other, r == 0 ? f.count : 0,
	    r == 0 && f.locked_out_until > a.now ? "yes" : "no");
	return 0;
}

static int
make_product(struct ul_txn *t, void *arg)
{
	struct ul_product p = {.name = "comms", .created = time(NULL)};

	(void)arg;
	return ul_store_product_create(t, &p);
}

struct account_arg {
	int trial;
	bool same_uid;              /* else: the same unix_user */
	_Atomic int next;           /* which worker: its name */
};

/* A new account of product comms: trial i's unix_user u-PID-i and a
 * fresh uid, or (same_uid) the uid 800000000 + i and a unix_user of its
 * own; each worker its own account name. */
static int
account_change(struct ul_txn *t, void *arg)
{
	struct account_arg *a = arg;
	struct ul_account acct = {.product = "comms", .created = time(NULL)};
	int k = a->next++, r = 0;

	snprintf(acct.name, sizeof(acct.name), "acct-%ld-%s-%d-%d",
	    (long)getpid(), a->same_uid ? "uid" : "unix", a->trial, k);
	if (a->same_uid) {
		acct.uid = 800000000u + (uint32_t)a->trial;
		snprintf(acct.unix_user, sizeof(acct.unix_user), "v%ld-%d-%d",
		    (long)getpid() % 100000, a->trial, k);
	} else {
		r = ul_store_uid_allocate(t, 900000000, 999999999, &acct.uid);
		snprintf(acct.unix_user, sizeof(acct.unix_user), "u%ld-%d",
		    (long)getpid() % 100000, a->trial);
	}
	return r != 0 ? r : ul_store_account_create(t, &acct);
}

/* The winner of a trial, read back on the provider: by unix_user and by
 * uid it is the same account, and it is the one that got 0. */
static bool
winner_reads(struct worker *w, struct account_arg *a)
{
	struct ul_account by_unix, by_uid;
	char unix_user[UL_UNIX_USER_MAX + 1];
	struct ul_txn *t;
	bool ok;

	if (ul_txn_begin(hosts[0], true, &t) != 0)
		return false;
	if (a->same_uid) {
		ok = ul_store_account_by_uid(t, 800000000u + (uint32_t)a->trial,
		    &by_uid) == 0 && ul_store_account_by_unix(t, "comms",
		    by_uid.unix_user, &by_unix) == 0;
	} else {
		snprintf(unix_user, sizeof(unix_user), "u%ld-%d",
		    (long)getpid() % 100000, a->trial);
		ok = ul_store_account_by_unix(t, "comms", unix_user, &by_unix) == 0 &&
		    ul_store_account_by_uid(t, by_unix.uid, &by_uid) == 0;
	}
	ok = ok && strcmp(by_unix.name, by_uid.name) == 0;
	ul_txn_abort(t);
	(void)w;
	return ok;
}

/* L1, L1a, F1: two hosts add an account with one unix_user (then one
 * uid) at once, n trials each: exactly one created, the other told
 * "exists"; then every account listed once. */
static int
accounts(int trials)
{
	struct worker w[2];
	struct account_arg a;
	struct ul_account acct;
	struct ul_cursor cur = {.token = ""};
	struct ul_txn *t = NULL;
	int got[2][3] = {{0}}, exists[2] = {0}, reads[2] = {0}, listed = 0, r;
	char prefix[32];

	r = ul_store_write(hosts[0], make_product, NULL);
	if (r != 0 && r != UL_EEXIST) {
		fprintf(stderr, "setup: %s\n", ul_strerror(r));
		return 99;
	}
	for (int kind = 0; kind < 2; kind++)
		for (int i = 0; i < trials; i++) {
			a = (struct account_arg){.trial = i, .same_uid = kind == 1};
			race(w, 2, account_change, &a);
			int ok = (w[0].result == 0) + (w[1].result == 0);

			got[kind][ok]++;
			exists[kind] += ok == 1 && (w[0].result == UL_EEXIST ||
			    w[1].result == UL_EEXIST);
			reads[kind] += ok == 1 && winner_reads(w, &a);
		}
	snprintf(prefix, sizeof(prefix), "acct-%ld-", (long)getpid());
	r = ul_txn_begin(hosts[0], true, &t);
	while (r == 0 && (r = ul_store_account_next(t, "comms", &cur, &acct)) == 0)
		listed += strncmp(acct.name, prefix, strlen(prefix)) == 0;
	ul_txn_abort(t);
	for (int kind = 0; kind < 2; kind++)
		printf("%s: trials %d exactly_one %d both %d none %d exists %d "
		    "read_back %d\n", kind ? "uid" : "unix_user", trials,
		    got[kind][1], got[kind][2], got[kind][0], exists[kind],
		    reads[kind]);
	printf("listed %d (%s)\n", listed, r == UL_ENOTFOUND ? "to the end" :
	    ul_strerror(r));
	return 0;
}

static int64_t
ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* One line of stdin a step: "read" from the replica, "write" to the
 * provider; each outcome printed with its time. */
static int
outage(void)
{
	struct count_arg a = {.key = "outage@example.com", .limit = 1000,
	    .now = time(NULL)};
	struct ul_product p;
	struct timespec t0;
	struct ul_txn *t;
	char line[16];
	int r;

	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (strcmp(line, "count\n") == 0) {
			struct ul_failures f;

			r = ul_txn_begin(hosts[0], true, &t);
			if (r == 0) {
				r = ul_store_failures_get(t, a.key, &f);
				ul_txn_abort(t);
			}
			printf("count on the provider: %" PRIu32 " %s\n",
			    r == 0 ? f.count : 0, r == 0 ? "" : ul_strerror(r));
			fflush(stdout);
			continue;
		}
		if (strcmp(line, "read\n") == 0) {
			r = ul_txn_begin(hosts[0], false, &t);
			if (r == 0) {
				r = ul_store_product_get(t, "comms", &p);
				ul_txn_abort(t);
			}
			printf("read from the replica: ");
		} else {
			r = ul_store_write(hosts[0], count_change, &a);
			printf("write to the provider: ");
		}
		printf("%s (%" PRId64 " ms)\n", r == 0 ? "ok" : ul_strerror(r),
		    ms_since(&t0));
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 99;
	/* as unilogind: a provider that went away is an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 5 && strcmp(argv[1], "totp") == 0) {
		for (int i = 3; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		return totp(atoi(argv[2]));
	}
	if (argc >= 5 && strcmp(argv[1], "memo") == 0) {
		for (int i = 3; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		return memo(atoi(argv[2]));
	}
	if (argc >= 5 && strcmp(argv[1], "lockout") == 0) {
		for (int i = 4; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		if (atoi(argv[2]) < 1 || atoi(argv[2]) > THREADS_MAX)
			return 99;
		return lockout(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10));
	}
	if (argc >= 5 && strcmp(argv[1], "uids") == 0) {
		for (int i = 4; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		if (atoi(argv[2]) < 1 || atoi(argv[2]) > UIDS_MAX ||
		    atoi(argv[3]) < 1 || atoi(argv[3]) > THREADS_MAX)
			return 99;
		return allocate(atoi(argv[2]), atoi(argv[3]));
	}
	if (argc >= 5 && strcmp(argv[1], "codes") == 0) {
		for (int i = 3; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		return codes(atoi(argv[2]));
	}
	if (argc >= 5 && strcmp(argv[1], "accounts") == 0) {
		for (int i = 3; i < argc && nhosts < HOSTS_MAX; i++)
			open_host(argv[i]);
		return accounts(atoi(argv[2]));
	}
	if (argc == 4 && strcmp(argv[1], "keys") == 0) {
		char err[512] = "";
		int r;

		open_host(argv[3]);
		r = ul_store_keys_check(hosts[0], argv[2], err, sizeof(err));
		printf("keys: %s %s\n", r == 0 ? "ok" : ul_strerror(r), err);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "setup") == 0) {
		open_host(argv[2]);
		int r = ul_store_write(hosts[0], make_product, NULL);

		return r == 0 || r == UL_EEXIST ? 0 : 1;
	}
	if (argc == 3 && strcmp(argv[1], "outage") == 0) {
		open_host(argv[2]);
		return outage();
	}
	fprintf(stderr, "usage: store_race totp N CONF CONF... | memo N CONF CONF | lockout T LIMIT CONF... | "
	    "uids N T CONF... | accounts N CONF CONF | codes N CONF CONF... | keys FP CONF | setup CONF | outage CONF\n");
	return 2;
}
