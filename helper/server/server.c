/* The helper's event loop: accept, peer credentials, framed reads with a
 * deadline, limits on connections, and the hand-off of requests to the
 * dispatch table (inline, or on a pool).  A bad request closes its own
 * connection and nothing else. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "helper/handlers/dispatch.h"
#include "helper/handlers/handlers.h"
#include "helper/core/log.h"
#include "helper/server/limits.h"
#include "helper/server/pool.h"
#include "helper/server/ratelimit.h"
#include "helper/server/verifier.h"
#include "helper/server/server.h"
#include "unilogin/error.h"

/* Write-lane threads.  Each waits in ul_store_write while its change is
 * committed, so this many writes can share one commit (group commit,
 * Performance); the thread does no I/O of its own. */
#define UL_WRITE_THREADS 64

/* Work after a reply (deliveries) waiting at once, for all callers. */
#define UL_LATERS_MAX 256

#define FRAME_TIMEOUT_MS 5000   /* to send a whole request once connected or answered */
#define MSG_CACHE 160           /* spare frames kept for reuse: two for each
				 * of 64 busy connections and more, so that
				 * a busy loop makes no mmap calls */
#define MAINTENANCE_MS 60000
#define RATE_UIDS 4096          /* buckets: uids and the persons root speaks for */

enum conn_state { READING, BUSY, WRITING };

struct conn {
	struct conn *prev, *next;   /* the deadline list, oldest first */
	int fd;
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool admin;
	enum conn_state state;
	int64_t deadline;
	uint8_t hdr[4];
	size_t hdr_got;
	size_t frame_size, got, sent;
	bool close_after_write;
	struct ul_msg *in, *out;
	const struct ul_route *route;
	struct ul_call call;
	struct ul_job job;
	bool lane_held;             /* counted in its uid's lane quota */
	bool relayed;               /* role = host: a verifier answers it */
	sem_t *kdf_places;          /* the server's, for a KDF-lane job */
};

/* epoll cookies for the fds that are not connections */
enum { EV_LISTEN = 1, EV_KDF, EV_SLOW, EV_WRITE, EV_SIGNAL };

struct server {
	struct ul_helper *h;
	int epfd, listen_fd, sig_fd;
	struct ul_pool *kdf, *slow, *write;
	sem_t kdf_places;           /* kdf_parallel, of 2 x as many KDF threads */
	struct conn *head, *tail;   /* READING and WRITING connections */
	struct ul_limits *limits;   /* connections and jobs per uid */
	struct ul_msg *cache[MSG_CACHE];
	unsigned ncache;
	bool stop;
	int64_t next_maintenance;
	unsigned long refused;
	unsigned laters;            /* work after a reply, queued or running */
	struct ul_ratelimit *rate;  /* S3: per uid, for routes that say so */
	struct ul_job upkeep;       /* ul_maintenance, on the write pool */
	bool upkeep_busy;
};

static struct ul_msg *
msg_get(struct server *s)
{
	if (s->ncache > 0)
		return s->cache[--s->ncache];
	return ul_msg_new();
}

static void
msg_put(struct server *s, struct ul_msg *m)
{
	if (m == NULL)
		return;
	sodium_memzero(m->buf, m->len);
	m->len = 0;
	if (s->ncache < MSG_CACHE)
		s->cache[s->ncache++] = m;
	else
		ul_msg_free(m);
}

static void
list_remove(struct server *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (s->head == c)
		s->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else if (s->tail == c)
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Every deadline is now + FRAME_TIMEOUT_MS, so appending keeps the list
 * sorted and the loop looks at its head only. */
static void
list_append(struct server *s, struct conn *c)
{
	c->deadline = ul_monotonic_ms() + FRAME_TIMEOUT_MS;
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

static void
conn_close(struct server *s, struct conn *c)
{
	if (c->state != BUSY)
		list_remove(s, c);
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	msg_put(s, c->in);
	msg_put(s, c->out);
	ul_later_free(c->call.later);
	sodium_memzero(&c->call, sizeof(c->call));
	ul_limits_close(s->limits, c->uid);
	free(c);
}

static int
watch(struct server *s, struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = c};

	return epoll_ctl(s->epfd, op, c->fd, &ev);
}

static void
start_reading(struct server *s, struct conn *c)
{
	msg_put(s, c->in);
	msg_put(s, c->out);
	c->in = c->out = NULL;
	c->hdr_got = c->got = c->sent = 0;
	c->state = READING;
	list_append(s, c);
}

static void try_write(struct server *s, struct conn *c);

static void
send_reply(struct server *s, struct conn *c)
{
	if (ul_msg_finish(c->out) != 0) {
		ul_reply_error(c->out, UL_ETOOBIG, "reply too large");
		if (ul_msg_finish(c->out) != 0) {
			conn_close(s, c);
			return;
		}
	}
	c->state = WRITING;
	c->sent = 0;
	list_append(s, c);
	try_write(s, c);
}

static void
try_write(struct server *s, struct conn *c)
{
	while (c->sent < c->out->len) {
		ssize_t n = send(c->fd, c->out->buf + c->sent, c->out->len - c->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			c->sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			watch(s, c, EPOLLOUT, EPOLL_CTL_MOD);
			return;
		}
		conn_close(s, c);
		return;
	}
	if (c->close_after_write) {
		conn_close(s, c);
		return;
	}
	list_remove(s, c);
	start_reading(s, c);
	watch(s, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_MOD);
}

static void
run_job(struct ul_job *job)
{
	struct conn *c = (struct conn *)((char *)job - offsetof(struct conn, job));

	if (c->relayed) {
		ul_relay_run(c->call.h->relay, &c->call);
		return;
	}
	if (c->route->lane == UL_LANE_KDF)
		ul_call_kdf_take(&c->call, c->kdf_places);
	ul_dispatch_run(c->route, &c->call);
	ul_call_kdf_give(&c->call);
}

struct later_job {
	struct ul_job job;
	struct server *s;
	struct ul_later *later;
	uid_t uid;
	bool admin;
};

static void
run_later(struct ul_job *job)
{
	ul_later_run(((struct later_job *)job)->later);
}

static void
later_done(struct ul_job *job)
{
	struct later_job *j = (struct later_job *)job;

	ul_limits_lane_done(j->s->limits, j->uid, j->admin, UL_LANE_SLOW);
	j->s->laters--;
	ul_later_free(j->later);
	free(j);
}

/* Work after the reply of c's request: on the slow pool, within its
 * caller's quota of that lane (the reply said "if ..." either way). */
static void
start_later(struct server *s, uid_t uid, bool admin, struct ul_later *later)
{
	struct later_job *j;

	if (!ul_limits_lane_take(s->limits, uid, admin, UL_LANE_SLOW)) {
		ul_log(LOG_NOTICE, "uid %u: too many deliveries of this uid at once: "
		    "one dropped", (unsigned)uid);
		ul_later_free(later);
		return;
	}
	/* root's and admins' callers have no lane quota: the queue as a
	 * whole is bounded, so that a flood of them cannot pile up memory */
	if (s->laters >= UL_LATERS_MAX) {
		ul_log(LOG_NOTICE, "%u deliveries waiting: one dropped", s->laters);
		ul_limits_lane_done(s->limits, uid, admin, UL_LANE_SLOW);
		ul_later_free(later);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		ul_log(LOG_ERR, "out of memory: work after a reply dropped");
		ul_limits_lane_done(s->limits, uid, admin, UL_LANE_SLOW);
		ul_later_free(later);
		return;
	}
	s->laters++;
	j->s = s;
	j->uid = uid;
	j->admin = admin;
	j->later = later;
	j->job.run = run_later;
	j->job.done = later_done;
	ul_pool_submit(s->slow, &j->job);
}

/* S3: a rate-limited request takes a token of its caller's bucket.  A
 * PAM stack that reaches us as uid 0 is sshd for every remote client, or a
 * setuid program (su) for every local user: its bucket is that of the
 * person it speaks for (service, PAM_RUSER, PAM_RHOST).  Root's own tools
 * (no PAM service) and admins of the admin group are not limited.  The
 * email's own count (S3) applies to all of them. */
static bool
rate_take(struct server *s, const struct conn *c)
{
	const char *service = ul_msg_str(c->in, UL_F_SERVICE);
	uint64_t key;

	if (c->uid == 0 && service != NULL && service[0] != '\0')
		key = ul_rate_key_person(service, ul_msg_str(c->in, UL_F_RUSER),
		    ul_msg_str(c->in, UL_F_RHOST));
	else if (c->admin)
		return true;
	else
		key = ul_rate_key_uid(c->uid);
	return ul_ratelimit_take(s->rate, key, ul_monotonic_ms());
}

static void
handle_request(struct server *s, struct conn *c)
{
	int r = ul_msg_decode(c->in);
	enum ul_lane lane;
	const char *name;

	c->out = msg_get(s);
	if (c->out == NULL) {
		conn_close(s, c);
		return;
	}
	if (r == UL_EVERSION) {
		ul_log(LOG_WARNING, "uid %u pid %d: protocol version %u, not %u; closing",
		    (unsigned)c->uid, (int)c->pid, c->in->version, UL_PROTO_VERSION);
		ul_reply_error(c->out, UL_EVERSION,
		    "protocol version mismatch: this unilogind speaks version "
		    UL_STRINGIFY(UL_PROTO_VERSION));
		c->close_after_write = true;
		send_reply(s, c);
		return;
	}
	c->route = r == 0 ? ul_route_for(c->in->type) : NULL;
	if (c->route == NULL) {
		ul_log(LOG_WARNING, "uid %u pid %d: malformed request (%s); closing",
		    (unsigned)c->uid, (int)c->pid,
		    r != 0 ? ul_strerror(r) : "unknown request type");
		conn_close(s, c);
		return;
	}
	name = ul_msg_type_name(c->in->type);
	if (!ul_route_allows(c->route, c->uid, c->admin)) {
		ul_log(LOG_NOTICE, "uid %u pid %d: %s refused: not %s",
		    (unsigned)c->uid, (int)c->pid, name,
		    c->route->access == UL_ACCESS_ROOT ? "root" : "an admin");
		ul_reply_error(c->out, UL_EPERM, c->route->access == UL_ACCESS_ROOT
		    ? "permission denied: this needs root"
		    : "permission denied: this needs root or the admin group");
		send_reply(s, c);
		return;
	}
	/* role = host: admin changes run on a verifier (issue 16) */
	if (s->h->conf.role == UL_ROLE_HOST && c->route->access == UL_ACCESS_ADMIN &&
	    c->route->lane != UL_LANE_LOOP && !(c->route->flags & UL_ROUTE_HOST_READ)) {
		ul_log(LOG_NOTICE, "uid %u pid %d: %s refused: role = host",
		    (unsigned)c->uid, (int)c->pid, name);
		ul_reply_error(c->out, UL_EROLE, "this host (role = host) makes no "
		    "admin changes: run uniloginctl on a verifier; nothing changed");
		send_reply(s, c);
		return;
	}
	/* ... and answers admin reads of its own product only */
	if (s->h->conf.role == UL_ROLE_HOST && c->route->access == UL_ACCESS_ADMIN &&
	    ul_msg_str(c->in, UL_F_PRODUCT) != NULL &&
	    strcmp(ul_msg_str(c->in, UL_F_PRODUCT), s->h->conf.product) != 0) {
		ul_reply_error(c->out, UL_EROLE, "this host (role = host) answers "
		    "admin reads of its own product only: run uniloginctl on a "
		    "verifier");
		send_reply(s, c);
		return;
	}
	if ((c->route->flags & UL_ROUTE_RATE) && !rate_take(s, c)) {
		ul_log(LOG_NOTICE, "uid %u pid %d: %s refused: more than %u password "
		    "checks a minute", (unsigned)c->uid, (int)c->pid, name,
		    s->h->conf.rate_per_minute);
		ul_reply_error(c->out, UL_EBUSY,
		    "too many requests from this user; try again in a minute");
		send_reply(s, c);
		return;
	}
	if ((c->route->flags & UL_ROUTE_TICKET) && !ul_msg_has(c->in, UL_F_TICKET)) {
		ul_reply_error(c->out, UL_EINVAL, "missing ticket");
		send_reply(s, c);
		return;
	}
	ul_route_filter(c->route, c->in, c->uid);
	c->call = (struct ul_call){.h = s->h, .in = c->in, .out = c->out,
	    .uid = c->uid, .gid = c->gid, .pid = c->pid, .admin = c->admin,
	    .reserve = (c->route->flags & UL_ROUTE_RESERVE) != 0};
	c->relayed = s->h->conf.role == UL_ROLE_HOST &&
	    (c->route->flags & UL_ROUTE_VERIFIER);
	if (c->route->lane == UL_LANE_LOOP && !c->relayed) {
		struct ul_later *later;
		uid_t uid = c->uid;
		bool admin = c->admin;

		ul_dispatch_run(c->route, &c->call);
		later = c->call.later;
		c->call.later = NULL;
		send_reply(s, c);   /* may close c */
		if (later != NULL)
			start_later(s, uid, admin, later);
		return;
	}
	/* Off the loop: the connection is not watched until the job is done.
	 * A uid has a quota of jobs per lane, so that it cannot fill a queue
	 * (uid 0 and admins have none). */
	/* a relayed request waits on the network, not on a core: the write
	 * pool's many threads, whatever its lane here */
	lane = c->relayed ? UL_LANE_WRITE : c->route->lane;
	if (!ul_limits_lane_take(s->limits, c->uid, c->admin, lane)) {
		ul_log(LOG_NOTICE, "uid %u pid %d: %s refused: too many requests of "
		    "this uid at once", (unsigned)c->uid, (int)c->pid, name);
		ul_reply_error(c->out, UL_EBUSY,
		    "too many requests from this user at once; try again");
		send_reply(s, c);
		return;
	}
	c->lane_held = true;
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->state = BUSY;
	c->job.run = run_job;
	c->job.done = NULL;
	c->kdf_places = &s->kdf_places;
	ul_pool_submit(lane == UL_LANE_KDF ? s->kdf :
	    lane == UL_LANE_WRITE ? s->write : s->slow, &c->job);
}

static void
jobs_done(struct server *s, struct ul_pool *p)
{
	struct ul_job *job = ul_pool_take_done(p), *next;
	struct ul_later *later;
	bool admin;
	uid_t uid;

	for (; job != NULL; job = next) {
		struct conn *c = (struct conn *)((char *)job - offsetof(struct conn, job));

		next = job->next;
		if (job->done != NULL) {
			job->done(job);
			continue;
		}
		if (c->lane_held) {
			ul_limits_lane_done(s->limits, c->uid, c->admin,
			    c->relayed ? UL_LANE_WRITE : c->route->lane);
			c->lane_held = false;
		}
		if (watch(s, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD) != 0) {
			c->state = WRITING;     /* so conn_close unlinks it */
			list_append(s, c);
			conn_close(s, c);
			continue;
		}
		later = c->call.later;
		c->call.later = NULL;
		uid = c->uid;
		admin = c->admin;
		send_reply(s, c);   /* may close c */
		/* S1: what must not show in the answer's time starts only now */
		if (later != NULL)
			start_later(s, uid, admin, later);
	}
}

/* Reads what is there; returns false when the connection was closed. */
static bool
read_frame(struct server *s, struct conn *c)
{
	ssize_t n;

	while (c->hdr_got < 4) {
		n = recv(c->fd, c->hdr + c->hdr_got, 4 - c->hdr_got, MSG_DONTWAIT);
		if (n <= 0)
			goto short_read;
		c->hdr_got += (size_t)n;
		if (c->hdr_got == 4) {
			int size = ul_frame_size(c->hdr);

			if (size < 0) {
				ul_log(LOG_WARNING, "uid %u pid %d: %s frame; closing",
				    (unsigned)c->uid, (int)c->pid,
				    size == UL_ETOOBIG ? "oversized" : "malformed");
				conn_close(s, c);
				return false;
			}
			c->frame_size = (size_t)size;
			c->in = msg_get(s);
			if (c->in == NULL) {
				conn_close(s, c);
				return false;
			}
			memcpy(c->in->buf, c->hdr, 4);
			c->got = c->in->len = 4;
		}
	}
	while (c->got < c->frame_size) {
		n = recv(c->fd, c->in->buf + c->got, c->frame_size - c->got, MSG_DONTWAIT);
		if (n <= 0)
			goto short_read;
		/* len covers what arrived, so a frame cut short is wiped too */
		c->got += (size_t)n;
		c->in->len = c->got;
	}
	c->in->len = c->frame_size;
	list_remove(s, c);
	handle_request(s, c);
	return false;

short_read:
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return true;
	if (c->hdr_got > 0 || n < 0)
		ul_log(LOG_INFO, "uid %u pid %d: connection ended inside a frame",
		    (unsigned)c->uid, (int)c->pid);
	conn_close(s, c);
	return false;
}

static bool
in_admin_group(const struct server *s, int fd, gid_t gid)
{
	gid_t some[256], *groups = some;
	socklen_t len = sizeof(some);
	bool found = false;
	int r;

	if (!s->h->has_admin_gid)
		return false;
	if (gid == s->h->admin_gid)
		return true;
	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	/* more than 256 groups: the kernel said how many (row 18) */
	if (r != 0 && errno == ERANGE && len > sizeof(some) &&
	    (groups = malloc(len)) != NULL)
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	for (size_t i = 0; r == 0 && i < len / sizeof(gid_t); i++)
		found |= groups[i] == s->h->admin_gid;
	if (groups != some)
		free(groups);
	return found;
}

/* Takes one connection; false when there was none to take. */
static bool
accept_one(struct server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	bool admin;

	if (fd < 0)
		return false;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		close(fd);
		return true;
	}
	admin = cred.uid == 0 || in_admin_group(s, fd, cred.gid);
	if (!ul_limits_open(s->limits, cred.uid, admin,
	    s->h->has_keys_uid && cred.uid == s->h->keys_uid)) {
		if (s->refused++ % 1000 == 0)
			ul_log(LOG_WARNING, "connection limit reached (uid %u holds %u); "
			    "refused %lu so far", (unsigned)cred.uid,
			    ul_limits_conns_of(s->limits, cred.uid), s->refused);
		close(fd);
		return true;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ul_limits_close(s->limits, cred.uid);
		close(fd);
		return true;
	}
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->admin = admin;
	start_reading(s, c);
	if (watch(s, c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD) != 0)
		conn_close(s, c);
	return true;
}

static void
expire(struct server *s, int64_t now)
{
	while (s->head != NULL && s->head->deadline <= now) {
		struct conn *c = s->head;

		ul_log(LOG_INFO, "uid %u pid %d: no complete %s in %d ms; closing",
		    (unsigned)c->uid, (int)c->pid,
		    c->state == READING ? "request" : "reply read", FRAME_TIMEOUT_MS);
		conn_close(s, c);
	}
}

static void
on_event(struct server *s, struct epoll_event *ev)
{
	uintptr_t tag = (uintptr_t)ev->data.ptr;
	struct conn *c;

	switch (tag) {
	case EV_LISTEN:
		for (int i = 0; i < 64 && accept_one(s); i++)
			;
		return;
	case EV_KDF:
		jobs_done(s, s->kdf);
		return;
	case EV_SLOW:
		jobs_done(s, s->slow);
		return;
	case EV_WRITE:
		jobs_done(s, s->write);
		return;
	case EV_SIGNAL:
		s->stop = true;
		return;
	}
	c = ev->data.ptr;
	if (c->state == WRITING) {
		if (ev->events & (EPOLLERR | EPOLLHUP))
			conn_close(s, c);
		else
			try_write(s, c);
		return;
	}
	if (c->state == READING)
		read_frame(s, c);
}

static void
run_upkeep(struct ul_job *job)
{
	struct server *s = (struct server *)((char *)job - offsetof(struct server, upkeep));

	ul_maintenance(s->h);
}

static void
upkeep_done(struct ul_job *job)
{
	struct server *s = (struct server *)((char *)job - offsetof(struct server, upkeep));

	s->upkeep_busy = false;
}

/* The upkeep commits: it runs on the write pool, never on the loop, and
 * once at a time. */
static void
start_upkeep(struct server *s)
{
	if (s->upkeep_busy)
		return;
	s->upkeep_busy = true;
	s->upkeep.run = run_upkeep;
	s->upkeep.done = upkeep_done;
	ul_pool_submit(s->write, &s->upkeep);
}

static int
add_fd(struct server *s, int fd, uintptr_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = (void *)tag};

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int
server_init(struct server *s, struct ul_helper *h, int listen_fd)
{
	sigset_t mask;

	memset(s, 0, sizeof(*s));
	s->h = h;
	s->listen_fd = listen_fd;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->sig_fd < 0 || s->epfd < 0)
		return UL_EIO;
	if (ul_limits_new(&s->limits) != 0 ||
	    ul_ratelimit_new(&s->rate, h->conf.rate_burst,
	    h->conf.rate_per_minute, RATE_UIDS) != 0 ||
	    sem_init(&s->kdf_places, 0, h->conf.kdf_parallel) != 0 ||
	    ul_pool_new(&s->kdf, 2 * h->conf.kdf_parallel, "ul-kdf", 10) != 0 ||
	    ul_pool_new(&s->slow, 2, "ul-slow", 0) != 0 ||
	    ul_pool_new(&s->write, UL_WRITE_THREADS, "ul-write", 0) != 0)
		return UL_ENOMEM;
	if (add_fd(s, listen_fd, EV_LISTEN) != 0 ||
	    add_fd(s, ul_pool_fd(s->kdf), EV_KDF) != 0 ||
	    add_fd(s, ul_pool_fd(s->slow), EV_SLOW) != 0 ||
	    add_fd(s, ul_pool_fd(s->write), EV_WRITE) != 0 ||
	    add_fd(s, s->sig_fd, EV_SIGNAL) != 0)
		return UL_EIO;
	return 0;
}

static void
server_fini(struct server *s)
{
	struct ul_pool *pools[] = {s->kdf, s->slow, s->write};

	/* a job not handed back is a busy connection's request or work
	 * after a reply: freed here, unanswered */
	for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		struct ul_job *j = ul_pool_free(pools[i]), *next;

		for (; j != NULL; j = next) {
			next = j->next;
			if (j->done == NULL)
				conn_close(s, (struct conn *)((char *)j -
				    offsetof(struct conn, job)));
			else if (j != &s->upkeep)
				j->done(j);
		}
	}
	sem_destroy(&s->kdf_places);
	while (s->head)
		conn_close(s, s->head);
	ul_ratelimit_free(s->rate);
	ul_limits_free(s->limits);
	for (unsigned i = 0; i < s->ncache; i++)
		ul_msg_free(s->cache[i]);
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
}

int
ul_server_run(struct ul_helper *h, int listen_fd)
{
	struct epoll_event events[64];
	struct server s;
	int r = server_init(&s, h, listen_fd);

	if (r != 0) {
		ul_log(LOG_ERR, "cannot start the event loop: %s", ul_strerror(r));
		server_fini(&s);
		return r;
	}
	s.next_maintenance = ul_monotonic_ms();
	while (!s.stop) {
		int64_t now = ul_monotonic_ms(), wait = s.next_maintenance - now;
		int n;

		if (s.head != NULL && s.head->deadline - now < wait)
			wait = s.head->deadline - now;
		n = epoll_wait(s.epfd, events, 64, wait < 0 ? 0 : (int)wait);
		for (int i = 0; i < n; i++)
			on_event(&s, &events[i]);
		now = ul_monotonic_ms();
		expire(&s, now);
		if (now >= s.next_maintenance) {
			start_upkeep(&s);
			s.next_maintenance = now + MAINTENANCE_MS;
		}
	}
	ul_log(LOG_INFO, "stopping");
	server_fini(&s);
	return 0;
}
