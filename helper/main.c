/* unilogind: reads its config, opens the store and its keys, takes its
 * socket from systemd or makes it, and serves. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "helper/core/call.h"
#include "helper/core/email.h"
#include "helper/rules/kdf.h"
#include "helper/core/log.h"
#include "helper/server/server.h"
#include "helper/server/verifier.h"
#include "helper/rules/tickets.h"
#include "helper/rules/totp.h"
#include "unilogin/error.h"

#define DEFAULT_CONF SYSCONFDIR "/unilogin/unilogin.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: unilogind [--config FILE] [--foreground] [--check-config]\n"
	    "  --config FILE    read FILE (default " DEFAULT_CONF ")\n"
	    "  --foreground     stay in the foreground and log to stderr\n"
	    "  --check-config   check the config, print the first error, exit\n"
	    "  --version        print the version\n");
}

static int
load_config(struct ul_helper *h, const char *path, bool explicit_path)
{
	char err[UL_CONF_ERR_MAX];

	ul_conf_defaults(&h->conf);
	snprintf(h->conf_path, sizeof(h->conf_path), "%s", path);
	if (ul_conf_load(&h->conf, path, !explicit_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	return 0;
}

/* systemd socket activation: LISTEN_PID is us and LISTEN_FDS >= 1. */
static int
activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() || atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	fcntl(3, F_SETFD, FD_CLOEXEC);
	fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK);
	return 3;
}

/* Descriptors we did not open (a parent's lock or log file, a test
 * harness's pipe) are closed before anything else: a daemon that keeps
 * them holds its parent's locks and files for its whole life.  fd 3
 * stays when systemd passed us our socket there. */
static void
close_inherited(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned int first = 3;

	if (pid != NULL && fds != NULL && atol(pid) == (long)getpid() && atoi(fds) >= 1)
		first = 4;
	/* best effort: under valgrind, its own descriptors refuse */
	(void)close_range(first, ~0U, 0);
}

/* The socket's directory: a directory (not a link), of root or this
 * helper's user, that nobody else may write (S5: clients check the same,
 * and would refuse to talk to the socket). */
static int
check_socket_dir(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		ul_log(LOG_ERR, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0) {
		ul_log(LOG_ERR, "%s: the socket's directory must be a directory of "
		    "root or this helper's user that only its owner may write; "
		    "refusing to start", dir);
		return -1;
	}
	return 0;
}

static int
make_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	mode_t old;
	int fd, r;

	if (ul_strlcpy(sa.sun_path, path, sizeof(sa.sun_path)) != 0)
		return -1;
	memcpy(dir, sa.sun_path, sizeof(dir));
	/* the directory must let every local user reach the socket (0755) */
	if (mkdir(dirname(dir), 0755) == 0) {
		chmod(dir, 0755);   /* our umask is 077 */
	} else if (errno != EEXIST) {
		ul_log(LOG_ERR, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (check_socket_dir(dir) != 0)
		return -1;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			ul_log(LOG_ERR, "%s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* bind makes the socket with the mode the umask leaves: 0666 at once,
	 * no chmod of a path that a link could have replaced meanwhile */
	old = umask(0111);
	r = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || listen(fd, 512) != 0) {
		ul_log(LOG_ERR, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
log_orphan(void *arg, const struct ul_fleet_orphan *o)
{
	(void)arg;
	ul_log(LOG_NOTICE, "fleet: removed the orphan claim %s (its holder %s "
	    "is gone or holds it no more)", o->claim, o->holder);
}

/* A fleet's claims that a crash left without their entry (older than
 * UL_CLAIM_GRACE: younger ones may be on their way), swept at each start
 * as `uniloginctl fleet repair` does, but of the last day only, so that a
 * start reads a few claims, not every one of a large fleet (the helper
 * that crashed starts again soon; repair sweeps them all).  A failure
 * only delays the sweep. */
#define SWEEP_DAYS 1
static void
sweep_claims(struct ul_helper *h)
{
	unsigned removed = 0;
	int r;

	/* a host writes nothing to the directory: its verifiers sweep */
	if (h->conf.store != UL_STORE_LDAP || h->conf.role == UL_ROLE_HOST)
		return;
	r = ul_store_fleet_repair(h->store, (int64_t)time(NULL) - SWEEP_DAYS * 86400,
	    (int64_t)time(NULL) - UL_CLAIM_GRACE, false, log_orphan, NULL, &removed);
	if (r != 0)
		ul_log(LOG_WARNING, "fleet: sweeping orphan claims: %s (uniloginctl "
		    "fleet repair sweeps them later)", ul_strerror(r));
	else if (removed > 0)
		ul_log(LOG_NOTICE, "fleet: %u orphan claims removed", removed);
}

static int
open_state(struct ul_helper *h)
{
	char err[512];
	int r;

	unsigned invalid = 0;

	r = ul_store_open(&h->store, &h->conf, err, sizeof(err));
	/* role = host: no keys here (issue 16); its verifiers hold them */
	if (r == 0 && h->conf.role == UL_ROLE_HOST)
		r = ul_relay_new(&h->relay, &h->conf, err, sizeof(err));
	else if (r == 0)
		r = ul_keys_load(h->conf.state_dir, &h->keys, err, sizeof(err));
	if (r == 0 && h->conf.role != UL_ROLE_HOST) {
		char fp[UL_KEYS_FINGERPRINT_MAX + 1];

		ul_keys_fingerprint(h->keys, fp);
		r = ul_store_keys_check(h->store, fp, err, sizeof(err));
		/* a rotation of the fleet's file (keys rotate): the fleet
		 * knows the file it was made from */
		for (unsigned v = ul_keys_versions(h->keys) - 1;
		    r == UL_ECONFLICT && v >= 1; v--) {
			char from[UL_KEYS_FINGERPRINT_MAX + 1];

			ul_keys_fingerprint_of(h->keys, v, from);
			if (ul_store_keys_rotated(h->store, from, fp) == 0) {
				ul_log(LOG_NOTICE, "fleet: keys rotated: %s recorded "
				    "beside %s", fp, from);
				r = 0;
			}
		}
		if (r == UL_ECONFLICT && ul_keys_versions(h->keys) > 1)
			r = ul_store_keys_check(h->store, fp, err, sizeof(err));
	}
	if (r != 0) {
		ul_log(LOG_ERR, "%s", err);
		return r;
	}
	sweep_claims(h);
	/* U1's rules may be stricter than those a store was made under: each
	 * email they refuse is reported (and left as it is) */
	if (ul_email_check_store(h->store, &invalid) == 0 && invalid > 0)
		ul_log(LOG_WARNING, "store: %u stored emails break today's rules "
		    "(U1): see the lines above", invalid);
	if (h->conf.admin_group[0] != '\0') {
		h->has_admin_gid = ul_files_gid(h->conf.admin_group, &h->admin_gid) == 0;
		if (!h->has_admin_gid)
			ul_log(LOG_WARNING, "admin_group %s is not in /etc/group: "
			    "only root may administer", h->conf.admin_group);
	}
	{
		gid_t unused;

		/* sshd's AuthorizedKeysCommand runs as this user (K1) */
		h->has_keys_uid = ul_files_uid(h->conf.keys_user, &h->keys_uid,
		    &unused) == 0 && h->keys_uid != 0 &&
		    strcmp(h->conf.keys_user, h->conf.user) != 0;
	}
	return 0;
}

/* S1: a login for an unknown email verifies against this hash, made at the
 * configured cost from a random password nobody knows. */
static int
make_dummy_hash(struct ul_helper *h)
{
	char pw[33];
	uint8_t rnd[16];
	int r;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(pw, sizeof(pw), rnd, sizeof(rnd));
	r = ul_kdf_hash(&h->conf, pw, h->dummy_hash);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(rnd, sizeof(rnd));
	return r;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"foreground", no_argument, NULL, 'f'},
		{"check-config", no_argument, NULL, 'k'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct ul_helper h;
	const char *conf = DEFAULT_CONF;
	bool explicit_conf = false, foreground = false, check = false;
	int opt, fd, r;

	/* what ul_kdf_workers_start starts: not an option for people */
	if (argc == 2 && strcmp(argv[1], "--kdf-worker") == 0) {
		int type = 0;
		socklen_t len = sizeof(type);

		if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
		    type != SOCK_SEQPACKET) {
			fprintf(stderr, "unilogind: --kdf-worker is how unilogind starts "
			    "its own KDF worker processes (their socket as file "
			    "descriptor 3), not an option to run by hand\n");
			return 2;
		}
		return ul_kdf_worker_main(3);
	}
	while ((opt = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': conf = optarg; explicit_conf = true; break;
		case 'f': foreground = true; break;
		case 'k': check = true; break;
		case 'V': printf("unilogind %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	close_inherited();
	if (sodium_init() < 0) {
		fprintf(stderr, "unilogind: libsodium failed to start\n");
		return 1;
	}
	r = load_config(&h, conf, explicit_conf);
	if (r != 0 || check)
		return r;

	umask(077);
	signal(SIGPIPE, SIG_IGN);
	/* no core dumps and no ptrace by other users: memory holds secrets (S4) */
	prctl(PR_SET_DUMPABLE, 0);
	ul_log_init(foreground);
	if (!foreground && daemon(0, 0) != 0) {
		ul_log(LOG_ERR, "daemon: %s", strerror(errno));
		return 1;
	}
	if (ul_kdf_workers_start(h.conf.kdf_parallel) != 0)
		return 1;
	if (open_state(&h) != 0 || make_dummy_hash(&h) != 0 ||
	    ul_tickets_new(&h.tickets) != 0 || ul_totp_init() != 0)
		return 1;
	if (h.conf.role == UL_ROLE_VERIFIER) {
		char err[512];

		if (ul_verifier_start(&h.verifier, &h, err, sizeof(err)) != 0) {
			ul_log(LOG_ERR, "%s", err);
			return 1;
		}
		ul_log(LOG_INFO, "serving hosts on %s (TLS 1.3)", h.conf.verifier_listen);
	}
	fd = activated_socket();
	if (fd < 0)
		fd = make_socket(h.conf.socket);
	if (fd < 0)
		return 1;
	ul_log(LOG_INFO, "serving %s (state %s, kdf %s, %u hashes at once)",
	    fd == 3 ? "the socket from systemd" : h.conf.socket, h.conf.state_dir,
	    h.conf.kdf, h.conf.kdf_parallel);
	r = ul_server_run(&h, fd);
	close(fd);
	ul_verifier_stop(h.verifier);
	ul_relay_free(h.relay);
	ul_tickets_free(h.tickets);
	ul_keys_free(h.keys);
	ul_store_close(h.store);
	ul_kdf_workers_stop();
	return r == 0 ? 0 : 1;
}
