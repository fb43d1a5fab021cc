/* ulbench: the measuring half of `make bench` (bench/run is the other).
 * Built only for `make bench`; never installed, never part of make check.
 *
 *   ulbench hash OPS MEM_MIB PASSWORD         one argon2id string
 *   ulbench kdftime HASH PASSWORD N [kept]    N bare verifies: ns each (JSON)
 *   ulbench kdfpar HASH PASSWORD NPROC PER [kept]  NPROC processes verifying at once
 *                                              (wall and CPU time)
 *   ulbench gen USERS ACCTS_PER_USER HASH PRODUCT [key|number]
 *                                              an import file (JSONL) on stdout,
 *                                              in export's (key) order or not
 *   ulbench syncfloor DIR N                   N durable 2-page commits, raw
 *   ulbench enroll SOCK FIRST COUNT DIGITS PASSWORD CREDS
 *                                              TOTP for users FIRST.., confirmed
 *                                              with the previous step's code;
 *                                              CREDS gets one line per user
 *   ulbench login CONFDIR SERVICE CREDS N BASESERVICE HASH
 *                                              N full PAM logins (auth+acct),
 *                                              each its own user, interleaved
 *                                              with N baselines: one bare
 *                                              verify + an empty PAM
 *                                              transaction (BASESERVICE),
 *                                              and N of the same with the
 *                                              verify in kept memory
 *   ("kept": libsodium in memory kept by the process and wiped after each
 *   hash, as the helper's KDF workers hash; without it, libsodium's own map
 *   and then a wipe of as many bytes: the issue's baseline)
 *   ulbench latency SOCK KIND N PRODUCT USERS [CREDS]
 *                                              N requests of KIND (status,
 *                                              account_check, login_code)
 *                                              interleaved with N ping-pongs
 *                                              of the same frames with an
 *                                              echo server process
 *   ulbench storm CONFDIR SERVICE CREDS N SOCK PRODUCT HELPER_PID PROBE_USER
 *                                              N processes log in at once;
 *                                              a thread probes ACCOUNT_CHECK
 *   ulbench codestorm SOCK PRODUCT CREDS N SERIAL
 *                                              SERIAL LOGIN_CODEs from one
 *                                              client, one after another (the
 *                                              first SERIAL users), then N
 *                                              from N clients at once (the
 *                                              next N users), each after its
 *                                              own LOGIN_BEGIN; the STATUS
 *                                              commit counters of each part
 *
 * Users are named by their number i: email u<i>@bench.example.com, and
 * account u<i> (unix_user u<i>) of products PRODUCT, PRODUCT2, ... (L3: one
 * account per user and product), uids from 900000000 on.  Results are one JSON
 * object on stdout; bench/run reads it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liboath/oath.h>
#include <security/pam_appl.h>
#include <sodium.h>

#include "common/client.h"
#include "helper/rules/kdfmem.h"
#include "unilogin/error.h"
#include "unilogin/proto.h"

#define DOMAIN "bench.example.com"
#define UID_BASE 900000000u
#define TIMEOUT_MS 60000
#define TICKET_MAX 129          /* as pam/internal.h */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ulbench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void
print_samples(const char *name, const int64_t *v, unsigned n)
{
	printf("\"%s\":[", name);
	for (unsigned i = 0; i < n; i++)
		printf("%s%" PRId64, i ? "," : "", v[i]);
	printf("]");
}

/* ---- credentials: one line per user: unix_user email password secret digits ---- */

struct cred {
	char user[64];
	char email[128];
	char password[128];
	char secret[128];       /* base32 */
	unsigned digits;
};

static struct cred *
read_creds(const char *path, unsigned *n)
{
	FILE *f = fopen(path, "r");
	struct cred *v = NULL;
	unsigned cap = 0;
	char line[1024];

	if (f == NULL)
		die("cannot read %s", path);
	*n = 0;
	while (fgets(line, sizeof(line), f)) {
		struct cred c;

		memset(&c, 0, sizeof(c));
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%63[^\t]\t%127[^\t]\t%127[^\t]\t%127[^\t]\t%u", c.user,
			c.email, c.password, c.secret, &c.digits) != 5)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			v = realloc(v, cap * sizeof(*v));
			if (v == NULL)
				die("%s", "out of memory");
		}
		v[(*n)++] = c;
	}
	fclose(f);
	return v;
}

/* The TOTP code of a base32 secret, `offset` seconds from now. */
static void
totp_code(const char *secret, unsigned digits, long offset, char out[16])
{
	char *raw = NULL;
	size_t len = 0;

	if (oath_base32_decode(secret, strlen(secret), &raw, &len) != OATH_OK)
		die("bad base32 secret %s", secret);
	if (oath_totp_generate(raw, len, time(NULL) + offset, 30, 0, digits, out) != OATH_OK)
		die("%s", "oath_totp_generate failed");
	free(raw);
}

/* ---- hash, kdftime ---- */

static int
cmd_hash(int argc, char **argv)
{
	char out[crypto_pwhash_STRBYTES];

	if (argc != 3)
		return 2;
	if (crypto_pwhash_str_alg(out, argv[2], strlen(argv[2]),
		strtoull(argv[0], NULL, 10), strtoull(argv[1], NULL, 10) << 20,
		crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("%s", "crypto_pwhash_str failed");
	printf("%s\n", out);
	return 0;
}

/* The bare KDF's share of the helper's wipe: a KDF worker wipes its kept
 * argon2 memory after every hash (helper/rules/kdfmem.c), so each bare
 * verify below is followed by a wipe of as many bytes (the m= of the
 * hash), of a buffer kept by the process (issue 14: "the bare-KDF
 * baseline wipes the same amount"). */
static void
kdf_wipe(const char *hash)
{
	static unsigned char *buf;
	static size_t len;
	const char *m = strstr(hash, "$m=");

	if (buf == NULL && m != NULL) {
		len = (size_t)strtoull(m + 3, NULL, 10) << 10;
		if ((buf = malloc(len)) == NULL)
			die("%s", "malloc");
		memset(buf, 1, len);
	}
	if (buf != NULL)
		sodium_memzero(buf, len);
}

/* One bare verify of password against hash: libsodium's own map, then
 * kdf_wipe (the issue's baseline); or, kept, libsodium in memory kept by
 * this process and wiped at the end of the hash, as a KDF worker hashes
 * (helper/rules/kdfmem.c: the helper's own way, without the helper).
 * 0 when it verified. */
static int
bare_verify(const char *hash, const char *password, bool kept)
{
	int r;

	ul_kdfmem_arm(kept);
	r = crypto_pwhash_str_verify(hash, password, strlen(password));
	ul_kdfmem_arm(false);
	if (!kept)
		kdf_wipe(hash);
	return r;
}

/* "kept" as an optional last argument of kdftime and kdfpar */
static bool
kept_arg(int argc, char **argv, int n)
{
	if (argc == n + 1 && strcmp(argv[n], "kept") == 0)
		return true;
	if (argc != n)
		exit(2);
	return false;
}

static int
cmd_kdftime(int argc, char **argv)
{
	unsigned n, fails = 0;
	int64_t *v;
	bool kept;

	if (argc < 3)
		return 2;
	kept = kept_arg(argc, argv, 3);
	n = (unsigned)atoi(argv[2]);
	v = calloc(n, sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		int64_t t = now_ns();

		fails += bare_verify(argv[0], argv[1], kept) != 0;
		v[i] = now_ns() - t;
	}
	printf("{\"fail\":%u,", fails);
	print_samples("ns", v, n);
	printf("}\n");
	free(v);
	return 0;
}

/* This process's CPU time (user + system), in ns. */
static int64_t
self_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
	    ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* NPROC processes, PER verifies each, at once: what the machine gives
 * for hashes in parallel (memory bandwidth is shared), and the CPU time
 * their timed hashes took. */
static int
cmd_kdfpar(int argc, char **argv)
{
	unsigned nproc, per, fails = 0;
	int64_t t, cpu = 0;
	int st, ready[2], go[2], res[2];
	bool kept;

	if (argc < 4)
		return 2;
	kept = kept_arg(argc, argv, 4);
	nproc = (unsigned)atoi(argv[2]);
	per = (unsigned)atoi(argv[3]);
	if (pipe(ready) != 0 || pipe(go) != 0 || pipe(res) != 0)
		die("%s", "pipe");
	for (unsigned i = 0; i < nproc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("%s", "fork");
		if (pid == 0) {
			char c = 0;
			int64_t c0;

			/* kept: the memory mapped by one hash before the clock
			 * starts, as a KDF worker under load holds it */
			close(go[1]);
			if (kept && bare_verify(argv[0], argv[1], true) != 0)
				_exit(1);
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			close(ready[1]);    /* the parent sees EOF once all are in */
			if (read(go[0], &c, 1) != 0)
				_exit(1);
			c0 = self_cpu_ns();
			for (unsigned j = 0; j < per; j++) {
				if (bare_verify(argv[0], argv[1], kept) != 0)
					_exit(1);
			}
			/* the CPU time of the timed hashes alone */
			c0 = self_cpu_ns() - c0;
			if (write(res[1], &c0, sizeof(c0)) != (ssize_t)sizeof(c0))
				_exit(1);
			_exit(0);
		}
	}
	close(ready[1]);
	close(res[1]);
	for (unsigned i = 0; i < nproc; i++) {
		char c;

		if (read(ready[0], &c, 1) != 1)
			break;      /* a child failed: it is counted below */
	}
	t = now_ns();
	close(go[1]);       /* every child starts */
	while (wait(&st) > 0)
		fails += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	t = now_ns() - t;
	for (int64_t c; read(res[0], &c, sizeof(c)) == (ssize_t)sizeof(c);)
		cpu += c;
	close(res[0]);
	printf("{\"fail\":%u,\"hashes\":%u,\"wall_ns\":%" PRId64 ",\"cpu_ns\":%"
	    PRId64 "}\n", fails, nproc * per, t, cpu);
	return 0;
}

/* ---- gen: the import file ---- */

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void
product_name(char *out, size_t n, const char *product, unsigned long k)
{
	if (k == 0)
		snprintf(out, n, "%s", product);
	else
		snprintf(out, n, "%s%lu", product, k + 1);
}

/* The numbers 0..n-1 in the order of their names' bytes (what LMDB's
 * keys compare by): names "u<i>" and then `suffix`. */
struct named {
	char key[48];
	unsigned long i;
};

static int
by_key(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->key, ((const struct named *)b)->key);
}

static unsigned long *
key_order(unsigned long n, const char *suffix)
{
	struct named *v = malloc(n * sizeof(*v));
	unsigned long *out = malloc(n * sizeof(*out));

	if (v == NULL || out == NULL)
		die("%s", "out of memory");
	for (unsigned long i = 0; i < n; i++) {
		snprintf(v[i].key, sizeof(v[i].key), "u%lu%s", i, suffix);
		v[i].i = i;
	}
	qsort(v, n, sizeof(*v), by_key);
	for (unsigned long i = 0; i < n; i++)
		out[i] = v[i].i;
	free(v);
	return out;
}

/* ORDER "key": users and accounts in the order `uniloginctl export`
 * writes them (by key), as in a dump being restored; "number": u0, u1,
 * u2... which is no order of the store's keys (as from another system). */
static int
cmd_gen(int argc, char **argv)
{
	unsigned long users, per, *uorder = NULL, *aorder = NULL;
	const char *hash, *product;
	bool keyed;
	static char buf[1 << 20];

	if (argc < 4)
		return 2;
	users = strtoul(argv[0], NULL, 10);
	per = strtoul(argv[1], NULL, 10);
	hash = argv[2];
	product = argv[3];
	keyed = argc > 4 && strcmp(argv[4], "key") == 0;
	if (keyed) {
		uorder = key_order(users, "@" DOMAIN);
		aorder = key_order(users, "");
	}
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	printf("{\"type\":\"meta\",\"next_uid\":%lu}\n", UID_BASE + users * per);
	/* L3: a user links at most one account per product, so account k of
	 * each user is in product k: PRODUCT, PRODUCT2, PRODUCT3... */
	for (unsigned long k = 0; k < per; k++) {
		char name[64];

		product_name(name, sizeof(name), product, k);
		printf("{\"type\":\"product\",\"name\":\"%s\",\"display_name\":\"%s\"}\n",
		    name, name);
	}
	for (unsigned long j = 0; j < users; j++) {
		unsigned long i = keyed ? uorder[j] : j;

		/* ids: 32 hex digits, unique (mix64 is a bijection) */
		printf("{\"type\":\"user\",\"email\":\"u%lu@" DOMAIN "\",\"pwhash\":\"%s\","
		    "\"confirmed\":true,\"id\":\"%016" PRIx64 "%016" PRIx64 "\"}\n",
		    i, hash, mix64(i), mix64(i ^ 0x5555555555555555ull));
	}
	/* export's order: by product, then by name */
	for (unsigned long k = 0; k < per; k++) {
		char pname[64];

		product_name(pname, sizeof(pname), product, k);
		for (unsigned long j = 0; j < users; j++) {
			unsigned long i = keyed ? aorder[j] : j;

			printf("{\"type\":\"account\",\"product\":\"%s\",\"name\":\"u%lu\","
			    "\"unix_user\":\"u%lu\",\"uid\":%lu,\"email\":\"u%lu@" DOMAIN "\","
			    "\"owner\":\"u%lu@" DOMAIN "\"}\n", pname, i, i,
			    UID_BASE + i * per + k, i, i);
		}
	}
	free(uorder);
	free(aorder);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- syncfloor: what a durable commit costs on this disk ---- */

/* LMDB's commit without MDB_NOSYNC: the dirty pages, fdatasync, then the
 * meta page through an O_DSYNC descriptor.  N times: 4 KiB + fdatasync,
 * 4 KiB O_DSYNC, on a file in DIR. */
static int
cmd_syncfloor(int argc, char **argv)
{
	char path[4200], page[4096];
	unsigned n;
	int fd, mfd;
	int64_t *v;

	if (argc != 2)
		return 2;
	n = (unsigned)atoi(argv[1]);
	snprintf(path, sizeof(path), "%s/syncfloor.tmp", argv[0]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	mfd = open(path, O_RDWR | O_DSYNC);
	if (fd < 0 || mfd < 0)
		die("cannot open %s", path);
	memset(page, 0x5a, sizeof(page));
	v = calloc(n, sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		int64_t t = now_ns();

		if (pwrite(fd, page, sizeof(page), 4096 * (2 + i % 64)) != sizeof(page) ||
		    fdatasync(fd) != 0 || pwrite(mfd, page, sizeof(page), 4096 * (i % 2)) !=
		    sizeof(page))
			die("%s", "write failed");
		v[i] = now_ns() - t;
	}
	close(fd);
	close(mfd);
	unlink(path);
	printf("{");
	print_samples("ns", v, n);
	printf("}\n");
	free(v);
	return 0;
}

/* ---- the client ---- */

static struct ul_client *
client(const char *sock)
{
	struct ul_client *c;

	if (ul_client_new(&c, sock, TIMEOUT_MS, NULL) != 0)
		die("cannot make a client for %s", sock);
	return c;
}

/* Waits for the start of a TOTP step when the current one ends within
 * `margin` seconds, so a code computed now is still current. */
static void
avoid_step_end(int margin)
{
	time_t t = time(NULL);

	if (30 - t % 30 <= margin)
		sleep((unsigned)(30 - t % 30) + 1);
}

static int
cmd_enroll(int argc, char **argv)
{
	unsigned long first, count;
	unsigned digits;
	struct ul_client *c;
	FILE *out;

	if (argc != 6)
		return 2;
	c = client(argv[0]);
	first = strtoul(argv[1], NULL, 10);
	count = strtoul(argv[2], NULL, 10);
	digits = (unsigned)atoi(argv[3]);
	out = fopen(argv[5], "w");
	if (out == NULL)
		die("cannot write %s", argv[5]);
	for (unsigned long i = first; i < first + count; i++) {
		char email[128], secret[128], code[16];
		int r;

		snprintf(email, sizeof(email), "u%lu@" DOMAIN, i);
		ul_client_begin(c, UL_REQ_TFA_ENROLL);
		ul_msg_put_str(c->req, UL_F_EMAIL, email);
		ul_msg_put_int(c->req, UL_F_DIGITS, digits);
		r = ul_client_call(c);
		if (r != 0 || ul_msg_str(c->rep, UL_F_SECRET) == NULL) {
			fprintf(stderr, "ulbench: enroll %s: %s\n", email,
			    ul_client_message(c) ? ul_client_message(c) : ul_strerror(r));
			return 1;
		}
		snprintf(secret, sizeof(secret), "%s", ul_msg_str(c->rep, UL_F_SECRET));
		/* the previous step's code: the current and later steps stay free */
		avoid_step_end(2);
		totp_code(secret, digits, -30, code);
		ul_client_begin(c, UL_REQ_TFA_CONFIRM);
		ul_msg_put_str(c->req, UL_F_EMAIL, email);
		ul_msg_put_str(c->req, UL_F_CODE, code);
		r = ul_client_call(c);
		if (r != 0) {
			fprintf(stderr, "ulbench: confirm %s: %s\n", email,
			    ul_client_message(c) ? ul_client_message(c) : ul_strerror(r));
			return 1;
		}
		fprintf(out, "u%lu\t%s\t%s\t%s\t%u\n", i, email, argv[4], secret, digits);
	}
	ul_client_free(c);
	return fclose(out) == 0 ? 0 : 1;
}

/* ---- PAM ---- */

struct answers {
	const char *email, *password, *code;
};

static int
converse(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	const struct answers *a = data;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *m = msg[i]->msg, *ans = NULL;

		if (msg[i]->msg_style != PAM_PROMPT_ECHO_ON &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_OFF)
			continue;
		if (strstr(m, "Email"))
			ans = a->email;
		else if (strstr(m, "assword") && !strstr(m, "One-time"))
			ans = a->password;
		else
			ans = a->code;
		r[i].resp = strdup(ans ? ans : "");
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* One PAM transaction: auth then account.  PAM_SUCCESS or the first error. */
static int
pam_login(const char *confdir, const char *service, const char *user,
    const struct answers *a)
{
	struct pam_conv conv = {converse, (void *)a};
	pam_handle_t *pamh;
	int r = pam_start_confdir(service, user, &conv, confdir, &pamh);

	if (r != PAM_SUCCESS)
		return r;
	r = pam_authenticate(pamh, PAM_SILENT);
	if (r == PAM_SUCCESS)
		r = pam_acct_mgmt(pamh, PAM_SILENT);
	pam_end(pamh, r);
	return r;
}

static int
cmd_login(int argc, char **argv)
{
	const char *confdir, *service, *base, *hash;
	unsigned n, ncreds, warm = 2, fail = 0, bfail = 0, kfail = 0;
	struct cred *cr;
	int64_t *real, *bl, *kl;
	char code[16];

	if (argc != 6)
		return 2;
	confdir = argv[0];
	service = argv[1];
	cr = read_creds(argv[2], &ncreds);
	n = (unsigned)atoi(argv[3]);
	base = argv[4];
	hash = argv[5];
	if (n + warm > ncreds)
		die("%s: fewer users than logins", argv[2]);
	real = calloc(n, sizeof(*real));
	bl = calloc(n, sizeof(*bl));
	kl = calloc(n, sizeof(*kl));
	if (real == NULL || bl == NULL || kl == NULL)
		die("%s", "calloc");
	for (unsigned i = 0; i < n + warm; i++) {
		const struct cred *c = &cr[i];
		struct answers a = {c->email, c->password, code};
		struct answers none = {0};
		int64_t t;
		int r;

		/* the code a person types: from liboath at the real clock,
		 * before the clock starts */
		totp_code(c->secret, c->digits, 0, code);
		t = now_ns();
		r = pam_login(confdir, service, c->user, &a);
		t = now_ns() - t;
		if (i >= warm) {
			real[i - warm] = t;
			if (r != PAM_SUCCESS) {
				fail++;
				fprintf(stderr, "ulbench: login %s: %s\n", c->user,
				    pam_strerror(NULL, r));
			}
		}
		t = now_ns();
		r = bare_verify(hash, c->password, false);
		r = r == 0 ? pam_login(confdir, base, c->user, &none) : PAM_AUTH_ERR;
		t = now_ns() - t;
		if (i >= warm) {
			bl[i - warm] = t;
			bfail += r != PAM_SUCCESS;
		}
		/* the same in kept memory: the helper's overhead alone */
		t = now_ns();
		r = bare_verify(hash, c->password, true);
		r = r == 0 ? pam_login(confdir, base, c->user, &none) : PAM_AUTH_ERR;
		t = now_ns() - t;
		if (i >= warm) {
			kl[i - warm] = t;
			kfail += r != PAM_SUCCESS;
		}
	}
	printf("{\"fail\":%u,\"base_fail\":%u,\"kept_fail\":%u,", fail, bfail, kfail);
	print_samples("real_ns", real, n);
	printf(",");
	print_samples("base_ns", bl, n);
	printf(",");
	print_samples("kept_ns", kl, n);
	printf("}\n");
	return 0;
}

/* ---- latency ---- */

/* Pins the calling process to the CPU named by an environment variable. */
static void
pin_from_env(const char *var)
{
	const char *v = getenv(var);
	cpu_set_t set;

	if (v == NULL || *v == '\0')
		return;
	CPU_ZERO(&set);
	CPU_SET(atoi(v), &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "ulbench: cannot pin to CPU %s\n", v);
}

enum kind { K_STATUS, K_CHECK, K_CODE };

struct echo {
	pid_t pid;
	char path[108];
};

static void
read_exact(int fd, void *buf, size_t n)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			_exit(0);
		p += r;
		n -= (size_t)r;
	}
}

/* A tiny echo server process: reads one frame, writes back the frame of
 * the helper's real reply, one connection at a time. */
static void
echo_start(struct echo *e, const char *dir, const uint8_t *reply, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ready[2];
	char c;

	snprintf(e->path, sizeof(e->path), "%.90s/echo.sock", dir);
	unlink(e->path);
	if (pipe(ready) != 0)
		die("%s", "pipe");
	e->pid = fork();
	if (e->pid < 0)
		die("%s", "fork");
	if (e->pid == 0) {
		static uint8_t in[UL_FRAME_MAX];

		pin_from_env("UL_BENCH_ECHO_CPU");
		close(ready[0]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memcpy(sa.sun_path, e->path, strlen(e->path) + 1);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    listen(fd, 8) != 0)
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;) {
			int cfd = accept(fd, NULL, NULL);

			if (cfd < 0)
				_exit(1);
			for (;;) {
				uint32_t size;
				ssize_t w;

				read_exact(cfd, in, 4);
				size = (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
				    (uint32_t)in[2] << 8 | in[3];
				/* the prefix holds the payload's length */
				if (size > UL_FRAME_MAX - 4)
					break;
				read_exact(cfd, in + 4, size);
				w = write(cfd, reply, len);
				if (w != (ssize_t)len)
					break;
			}
			close(cfd);
		}
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		die("%s", "the echo server did not start");
	close(ready[0]);
}

static void
echo_stop(struct echo *e)
{
	kill(e->pid, SIGTERM);
	waitpid(e->pid, NULL, 0);
	unlink(e->path);
}

/* The request the PAM module would send (pm_begin's fields first). */
static void
build(struct ul_client *c, enum kind k, unsigned long user, const char *product,
    const char *ticket, const char *code)
{
	char name[64], email[128];

	snprintf(name, sizeof(name), "u%lu", user);
	snprintf(email, sizeof(email), "u%lu@" DOMAIN, user);
	switch (k) {
	case K_STATUS:
		ul_client_begin(c, UL_REQ_STATUS);
		return;
	case K_CHECK:
		ul_client_begin(c, UL_REQ_ACCOUNT_CHECK);
		break;
	case K_CODE:
		ul_client_begin(c, UL_REQ_LOGIN_CODE);
		break;
	}
	ul_msg_put_str(c->req, UL_F_PRODUCT, product);
	ul_msg_put_str(c->req, UL_F_UNIX_USER, name);
	ul_msg_put_str(c->req, UL_F_SERVICE, "ulbench");
	if (k == K_CHECK) {
		ul_msg_put_str(c->req, UL_F_EMAIL, email);
	} else {
		ul_msg_put_str(c->req, UL_F_TICKET, ticket);
		ul_msg_put_str(c->req, UL_F_CODE, code);
	}
}

/* LOGIN_CODE as the module sends it. */
static void
code_request(struct ul_client *c, const char *product, const char *user,
    const char *ticket, const char *code)
{
	ul_client_begin(c, UL_REQ_LOGIN_CODE);
	ul_msg_put_str(c->req, UL_F_PRODUCT, product);
	ul_msg_put_str(c->req, UL_F_UNIX_USER, user);
	ul_msg_put_str(c->req, UL_F_SERVICE, "ulbench");
	ul_msg_put_str(c->req, UL_F_TICKET, ticket);
	ul_msg_put_str(c->req, UL_F_CODE, code);
}

/* LOGIN_BEGIN for a TOTP user: the ticket of its NEED_CODE answer. */
static int
begin(struct ul_client *c, const struct cred *cr, const char *product,
    char ticket[TICKET_MAX])
{
	int r;

	ul_client_begin(c, UL_REQ_LOGIN_BEGIN);
	ul_msg_put_str(c->req, UL_F_PRODUCT, product);
	ul_msg_put_str(c->req, UL_F_UNIX_USER, cr->user);
	ul_msg_put_str(c->req, UL_F_SERVICE, "ulbench");
	ul_msg_put_str(c->req, UL_F_EMAIL, cr->email);
	ul_msg_put_str(c->req, UL_F_PASSWORD, cr->password);
	r = ul_client_call(c);
	if (r != UL_ENEEDCODE || ul_msg_str(c->rep, UL_F_TICKET) == NULL)
		return r ? r : UL_EPROTO;
	snprintf(ticket, TICKET_MAX, "%s", ul_msg_str(c->rep, UL_F_TICKET));
	return 0;
}

static int
cmd_latency(int argc, char **argv)
{
	const char *sock, *product;
	unsigned n, ncreds = 0, fail = 0, efail = 0;
	unsigned long users;
	struct cred *cr = NULL;
	struct ul_client *c, *e;
	struct echo echo;
	enum kind k;
	int64_t *real, *floor_;
	size_t reqlen = 0, replen = 0;
	char dir[200], ticket[TICKET_MAX] = "", code[16] = "000000";
	uint8_t *reply;

	if (argc < 5)
		return 2;
	sock = argv[0];
	k = strcmp(argv[1], "status") == 0 ? K_STATUS :
	    strcmp(argv[1], "account_check") == 0 ? K_CHECK : K_CODE;
	n = (unsigned)atoi(argv[2]);
	product = argv[3];
	users = strtoul(argv[4], NULL, 10);
	if (k == K_CODE) {
		if (argc < 6)
			return 2;
		cr = read_creds(argv[5], &ncreds);
		/* each user: the current step, then the next (T3) */
		if (n + 1 > 2 * ncreds)
			die("%s: too few TOTP users for that many codes", argv[5]);
	}
	pin_from_env("UL_BENCH_CPU");
	c = client(sock);
	real = calloc(n, sizeof(*real));
	floor_ = calloc(n, sizeof(*floor_));
	reply = malloc(UL_FRAME_MAX);
	srand(12345);

	/* one real request first: its reply is what the echo server sends */
	if (k == K_CODE) {
		if (begin(c, &cr[0], product, ticket) != 0)
			die("%s", "LOGIN_BEGIN failed");
		totp_code(cr[0].secret, cr[0].digits, 0, code);
		code_request(c, product, cr[0].user, ticket, code);
	} else {
		build(c, k, 0, product, NULL, NULL);
	}
	if (ul_client_call(c) != 0)
		die("the first %s failed", argv[1]);
	replen = c->rep->len;
	memcpy(reply, c->rep->buf, replen);
	snprintf(dir, sizeof(dir), "%s", sock);
	*strrchr(dir, '/') = '\0';
	echo_start(&echo, dir, reply, replen);
	e = client(echo.path);

	for (unsigned i = 0; i < n; i++) {
		unsigned long u = users > 0 ? (unsigned long)rand() % users : 0;
		int64_t t;
		int r;

		if (k == K_CODE) {
			/* the i+1-th code: user (i+1)/2 ... two steps per user */
			const struct cred *cc = &cr[(i + 1) % ncreds];
			long step = (long)((i + 1) / ncreds);

			if (begin(c, cc, product, ticket) != 0) {
				fail++;
				continue;
			}
			totp_code(cc->secret, cc->digits, 30 * step, code);
			code_request(c, product, cc->user, ticket, code);
		} else {
			build(c, k, u, product, NULL, NULL);
		}
		t = now_ns();
		r = ul_client_call(c);
		real[i] = now_ns() - t;
		if (r != 0) {
			fail++;
			if (fail < 5)
				fprintf(stderr, "ulbench: %s: %s\n", argv[1],
				    ul_client_message(c) ? ul_client_message(c) : ul_strerror(r));
		}
		reqlen = c->req->len;
		/* the floor: the same frame, the same client calls, an echo */
		if (k == K_CODE) {
			code_request(e, product, cr[(i + 1) % ncreds].user, ticket, code);
		} else {
			build(e, k, u, product, NULL, NULL);
		}
		t = now_ns();
		r = ul_client_call(e);
		floor_[i] = now_ns() - t;
		efail += r != 0;
	}
	ul_client_free(e);
	echo_stop(&echo);
	printf("{\"fail\":%u,\"echo_fail\":%u,\"req_bytes\":%zu,\"rep_bytes\":%zu,",
	    fail, efail, reqlen, replen);
	print_samples("real_ns", real, n);
	printf(",");
	print_samples("floor_ns", floor_, n);
	printf("}\n");
	ul_client_free(c);
	return 0;
}

/* ---- storm ---- */

struct probe {
	const char *sock, *product;
	unsigned long user;
	volatile int stop;
	int64_t *v;
	unsigned n, cap, fail;
};

static void *
prober(void *arg)
{
	struct probe *p = arg;
	struct ul_client *c = client(p->sock);
	struct timespec gap = {0, 1000000};     /* 1 ms between probes */

	while (!p->stop && p->n < p->cap) {
		int64_t t;
		int r;

		build(c, K_CHECK, p->user, p->product, NULL, NULL);
		t = now_ns();
		r = ul_client_call(c);
		p->v[p->n++] = now_ns() - t;
		p->fail += r != 0;
		nanosleep(&gap, NULL);
	}
	ul_client_free(c);
	return NULL;
}

struct outcome {
	int rc;
	int64_t start, end;
};

static long
vm_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0 && line[strlen(field)] == ':')
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

static int
cmd_storm(int argc, char **argv)
{
	const char *confdir, *service;
	unsigned n, ncreds, fail = 0;
	struct cred *cr;
	struct probe p = {0};
	pthread_t th;
	int go[2], res[2];
	int64_t t0, last = 0, first = INT64_MAX, *lat;
	struct rusage ru;
	pid_t helper;

	if (argc != 8)
		return 2;
	confdir = argv[0];
	service = argv[1];
	cr = read_creds(argv[2], &ncreds);
	n = (unsigned)atoi(argv[3]);
	p.sock = argv[4];
	p.product = argv[5];
	helper = (pid_t)atoi(argv[6]);
	if (n > ncreds)
		die("%s: fewer users than logins", argv[2]);
	if (pipe(go) != 0 || pipe(res) != 0)
		die("%s", "pipe");
	avoid_step_end(3);
	for (unsigned i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("%s", "fork");
		if (pid == 0) {
			struct outcome o;
			char code[16], c;
			struct answers a = {cr[i].email, cr[i].password, code};

			close(go[1]);
			close(res[0]);
			if (read(go[0], &c, 1) != 0)
				_exit(1);
			totp_code(cr[i].secret, cr[i].digits, 0, code);
			o.start = now_ns();
			o.rc = pam_login(confdir, service, cr[i].user, &a);
			o.end = now_ns();
			if (write(res[1], &o, sizeof(o)) != sizeof(o))
				_exit(1);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	/* the probe: a user of the store who is not logging in */
	p.user = strtoul(argv[7], NULL, 10);
	p.cap = 1000000;
	p.v = calloc(p.cap, sizeof(*p.v));
	usleep(200000);         /* every child waits on the pipe */
	pthread_create(&th, NULL, prober, &p);
	usleep(50000);
	t0 = now_ns();
	close(go[1]);           /* all at once */
	for (unsigned i = 0; i < n; i++) {
		struct outcome o;

		if (read(res[0], &o, sizeof(o)) != sizeof(o)) {
			fail++;
			continue;
		}
		if (o.rc != PAM_SUCCESS)
			fail++;
		if (o.end > last)
			last = o.end;
		if (o.start < first)
			first = o.start;
	}
	p.stop = 1;
	pthread_join(th, NULL);
	while (wait(NULL) > 0)
		;
	lat = p.v;
	getrusage(RUSAGE_CHILDREN, &ru);
	printf("{\"children_cpu_ns\":%" PRId64 ",", (int64_t)(ru.ru_utime.tv_sec +
	    ru.ru_stime.tv_sec) * 1000000000 + (int64_t)(ru.ru_utime.tv_usec +
	    ru.ru_stime.tv_usec) * 1000);
	printf("\"n\":%u,\"fail\":%u,\"wall_ns\":%" PRId64 ",\"spread_start_ns\":%" PRId64
	    ",\"helper_vmhwm_kib\":%ld,\"helper_vmrss_kib\":%ld,\"probe_fail\":%u,",
	    n, fail, last - t0, first - t0, vm_kib(helper, "VmHWM"),
	    vm_kib(helper, "VmRSS"), p.fail);
	print_samples("probe_ns", lat, p.n);
	printf("}\n");
	return 0;
}

/* ---- codestorm: LOGIN_CODE from many clients at once (group commit) ---- */

struct counters {
	int64_t commits, batches, batched;
};

/* A connection of its own each time: the helper closes idle ones, and
 * the wait for a fresh TOTP step can be longer than its idle limit. */
static void
status_counters(const char *sock, struct counters *n)
{
	struct ul_client *c = client(sock);
	int r;

	memset(n, 0, sizeof(*n));
	ul_client_begin(c, UL_REQ_STATUS);
	r = ul_client_call(c);
	if (r != 0)
		die("STATUS: %s", ul_strerror(r));
	if (ul_msg_int(c->rep, UL_F_COMMITS, &n->commits) != 0 ||
	    ul_msg_int(c->rep, UL_F_BATCHES, &n->batches) != 0 ||
	    ul_msg_int(c->rep, UL_F_BATCHED, &n->batched) != 0)
		die("%s", "STATUS has no commit counters");
	ul_client_free(c);
}

static void
print_counters(const char *name, const struct counters *a, const struct counters *b)
{
	printf("\"%s\":{\"commits\":%" PRId64 ",\"batches\":%" PRId64 ",\"batched\":%"
	    PRId64 "},", name, b->commits - a->commits, b->batches - a->batches,
	    b->batched - a->batched);
}

struct coder {
	const char *sock, *product;
	const struct cred *cr;
	pthread_barrier_t *begun_all, *go, *ended;
	int begun, rc;
	int64_t start, end;
};

/* One storm client: its password step, then LOGIN_CODE when all are ready. */
static void *
coder(void *arg)
{
	struct coder *w = arg;
	struct ul_client *c = client(w->sock);
	char ticket[TICKET_MAX], code[16];

	w->begun = begin(c, w->cr, w->product, ticket) == 0;
	totp_code(w->cr->secret, w->cr->digits, 0, code);
	code_request(c, w->product, w->cr->user, w->begun ? ticket : "-", code);
	pthread_barrier_wait(w->begun_all);
	pthread_barrier_wait(w->go);
	w->start = now_ns();
	w->rc = ul_client_call(c);
	w->end = now_ns();
	/* each client lets go of its connection once every reply is in: a
	 * client's teardown (close, and sodium_free of its two frames: munmap
	 * and mprotect, TLB shootdowns across this process's CPUs) is the
	 * bench's own work, and within the storm it took the CPUs the
	 * helper's loop needed to send the other replies */
	pthread_barrier_wait(w->ended);
	ul_client_free(c);
	return NULL;
}

/* The serial run: one client, users cr[0..n), LOGIN_CODE timed alone. */
static unsigned
code_serial(const char *sock, const char *product, const struct cred *cr, unsigned n,
    int64_t *v)
{
	struct ul_client *c = client(sock);
	unsigned fail = 0;

	for (unsigned i = 0; i < n; i++) {
		char ticket[TICKET_MAX], code[16];
		int64_t t;

		v[i] = 0;
		if (begin(c, &cr[i], product, ticket) != 0) {
			fail++;
			continue;
		}
		totp_code(cr[i].secret, cr[i].digits, 0, code);
		code_request(c, product, cr[i].user, ticket, code);
		t = now_ns();
		fail += ul_client_call(c) != 0;
		v[i] = now_ns() - t;
	}
	ul_client_free(c);
	return fail;
}

static int
cmd_codestorm(int argc, char **argv)
{
	unsigned n, ns, ncreds, sfail, fail = 0;
	struct cred *cr;
	struct coder *w;
	pthread_t *th;
	pthread_barrier_t begun_all, go, ended;
	struct counters c0, cs, c1, c2;
	int64_t *serial, *lat, first = INT64_MAX, last = 0;

	if (argc != 5)
		return 2;
	cr = read_creds(argv[2], &ncreds);
	n = (unsigned)atoi(argv[3]);
	ns = (unsigned)atoi(argv[4]);
	if (n == 0 || ns == 0 || n + ns > ncreds)
		die("%s: codestorm needs SERIAL + N users", argv[2]);
	serial = calloc(ns, sizeof(*serial));
	lat = calloc(n, sizeof(*lat));
	w = calloc(n, sizeof(*w));
	th = calloc(n, sizeof(*th));
	if (serial == NULL || lat == NULL || w == NULL || th == NULL)
		die("%s", "out of memory");
	/* every code below is the current step's: far from its end */
	avoid_step_end(10);
	status_counters(argv[0], &c0);
	sfail = code_serial(argv[0], argv[1], cr, ns, serial);
	status_counters(argv[0], &cs);
	avoid_step_end(10);
	/* the counters between the password steps and the codes: the
	 * storm's deltas are LOGIN_CODE's writes alone */
	pthread_barrier_init(&begun_all, NULL, n + 1);
	pthread_barrier_init(&go, NULL, n + 1);
	pthread_barrier_init(&ended, NULL, n);
	for (unsigned i = 0; i < n; i++) {
		w[i] = (struct coder){argv[0], argv[1], &cr[ns + i], &begun_all, &go,
		    &ended, 0, 0, 0, 0};
		if (pthread_create(&th[i], NULL, coder, &w[i]) != 0)
			die("%s", "pthread_create");
	}
	pthread_barrier_wait(&begun_all);
	status_counters(argv[0], &c1);
	pthread_barrier_wait(&go);
	for (unsigned i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		fail += !w[i].begun || w[i].rc != 0;
		lat[i] = w[i].end - w[i].start;
		if (w[i].start < first)
			first = w[i].start;
		if (w[i].end > last)
			last = w[i].end;
	}
	pthread_barrier_destroy(&begun_all);
	pthread_barrier_destroy(&go);
	pthread_barrier_destroy(&ended);
	status_counters(argv[0], &c2);
	printf("{\"n\":%u,\"fail\":%u,\"serial_fail\":%u,\"wall_ns\":%" PRId64 ",",
	    n, fail, sfail, last - first);
	print_counters("serial_counters", &c0, &cs);
	print_counters("storm_counters", &c1, &c2);
	print_samples("serial_ns", serial, ns);
	printf(",");
	print_samples("storm_ns", lat, n);
	printf("}\n");
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
		const char *usage;
	} cmds[] = {
		{"hash", cmd_hash, "OPS MEM_MIB PASSWORD"},
		{"kdftime", cmd_kdftime, "HASH PASSWORD N"},
		{"kdfpar", cmd_kdfpar, "HASH PASSWORD NPROC PER"},
		{"gen", cmd_gen, "USERS ACCTS_PER_USER HASH PRODUCT [key|number]"},
		{"syncfloor", cmd_syncfloor, "DIR N"},
		{"enroll", cmd_enroll, "SOCK FIRST COUNT DIGITS PASSWORD CREDS"},
		{"login", cmd_login, "CONFDIR SERVICE CREDS N BASESERVICE HASH"},
		{"latency", cmd_latency, "SOCK KIND N PRODUCT USERS [CREDS]"},
		{"storm", cmd_storm, "CONFDIR SERVICE CREDS N SOCK PRODUCT HELPER_PID PROBE_USER"},
		{"codestorm", cmd_codestorm, "SOCK PRODUCT CREDS N SERIAL"},
	};

	if (sodium_init() < 0 || oath_init() != OATH_OK)
		die("%s", "cannot initialise libsodium or liboath");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (size_t i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			int r = cmds[i].run(argc - 2, argv + 2);

			if (r == 2)
				fprintf(stderr, "usage: ulbench %s %s\n", cmds[i].name,
				    cmds[i].usage);
			fflush(stdout);
			return r;
		}
	fprintf(stderr, "usage: ulbench hash|kdftime|kdfpar|gen|syncfloor|enroll|login|latency|storm|codestorm ...\n");
	return 2;
}
