/* role = verifier: serving hosts over TLS (verifier.h).  One thread
 * accepts; each host session has a thread of its own that reads a frame,
 * answers it through the dispatch table and writes the reply, as the
 * Unix socket's loop does with its pools.  Password hashes take a place
 * of kdf_parallel first, so that hosts share the verifier's cores as
 * local callers share the KDF pool. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"
#include "helper/core/email.h"
#include "helper/core/log.h"
#include "helper/handlers/dispatch.h"
#include "helper/server/tls.h"
#include "helper/server/verifier.h"
#include "unilogin/error.h"

#define HANDSHAKE_MS 5000
#define IDLE_MS 300000              /* a host's idle session: 5 minutes */
#define SESSIONS_MAX 512

/* S1: an email outside the host's product is asked as this one, which
 * no user can have (RFC 2606), so that the answer and its time are those
 * of an unknown email */
#define OUT_OF_SCOPE_EMAIL "nobody@out-of-scope.invalid"

struct ul_verifier {
	struct ul_helper *h;
	struct ul_tls *tls;
	int listen_fd;
	int stop_pipe[2];
	pthread_t acceptor;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned sessions;
	bool stopping;
	struct session *live[SESSIONS_MAX]; /* to end them at a stop */
	sem_t kdf;                  /* kdf_parallel places */
};

struct session {
	struct ul_verifier *v;
	int fd;
	int sock;                   /* the same socket, for a stop's shutdown */
	char addr[64];
	struct ul_tls_conn *conn;
	struct ul_tls_peer peer;
	struct ul_msg *in, *out, *copy, *other;
};

static void
refuse(struct ul_call *c, int code, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A refusal of a host's request: audited (S8), logged, answered. */
static void
refuse(struct ul_call *c, int code, const char *event, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ul_audit_alone(c, &(struct ul_event){.event = event,
	    .product = c->product, .result = code, .detail = detail});
	ul_reply_error(c->out, code, detail);
}

/* Whether user `email` owns or is a teammate of an account of product. */
static bool
in_scope(struct ul_call *c, const char *email, const char *product)
{
	char p[UL_PRODUCT_MAX + 1], a[UL_ACCOUNT_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {""};
	struct ul_account acc;
	struct ul_txn *t;
	bool found = false;
	int r;

	if (ul_call_read(c, &t) != 0)
		return false;
	found = ul_store_account_owned(t, email, product, &acc) == 0;
	while (!found &&
	    (r = ul_store_membership_next(t, email, &cur, p, a, role)) == 0)
		found = strcmp(p, product) == 0;
	ul_txn_abort(t);
	return found;
}

/* The request again (in s->copy), with field `tag` (a string) replaced
 * by value. */
static int
with_field(struct session *s, const struct ul_msg *in, uint16_t tag,
    const char *value)
{
	struct ul_msg *m = in == s->copy ? s->other : s->copy;

	ul_msg_start(m, in->type);
	for (unsigned i = 0; i < in->nfields; i++) {
		const struct ul_field *f = &in->fields[i];

		if (f->tag == tag)
			ul_msg_put_str(m, f->tag, value);
		else
			ul_msg_put_field(m, in, f);
	}
	if (ul_msg_finish(m) != 0)
		return UL_ETOOBIG;
	if (m == s->other) {        /* the result always in s->copy */
		struct ul_msg *t = s->copy;

		s->copy = s->other;
		s->other = t;
	}
	return ul_msg_decode(s->copy);
}

/* Answers the request in s->in into s->out; *later gets the work to run
 * after the reply. */
static void
serve(struct session *s, struct ul_later **later)
{
	struct ul_verifier *v = s->v;
	const struct ul_route *route;
	const char *product, *email;
	struct ul_call c;
	int64_t uid = -1;
	int r = ul_msg_decode(s->in);

	*later = NULL;
	if (r != 0) {
		ul_reply_error(s->out, r, r == UL_EVERSION
		    ? "protocol version mismatch: this verifier speaks version "
		    UL_STRINGIFY(UL_PROTO_VERSION) : "malformed request");
		return;
	}
	c = (struct ul_call){.h = v->h, .in = s->in, .out = s->out,
	    .peer = s->peer.id, .product = s->peer.product};
	route = ul_route_for(s->in->type);
	/* status: a host's (or a probe's) check that the verifier answers,
	 * one round trip and nothing else (no store, no audit) */
	if (s->in->type == UL_REQ_STATUS) {
		ul_msg_start(s->out, UL_MSG_REPLY);
		ul_msg_put_int(s->out, UL_F_RESULT, 0);
		ul_msg_put_str(s->out, UL_F_VERSION, PACKAGE_VERSION);
		return;
	}
	if (route == NULL || !(route->flags & UL_ROUTE_VERIFIER)) {
		const char *name = ul_msg_type_name(s->in->type);

		refuse(&c, UL_EPERM, "host_refused", "host %s (product %s): %s is "
		    "not served to hosts", s->addr, s->peer.product,
		    name ? name : "an unknown request");
		return;
	}
	if (ul_msg_int(s->in, UL_F_CALLER_UID, &uid) != 0 || uid < 0 ||
	    uid > (int64_t)UINT32_MAX) {
		ul_reply_error(s->out, UL_EINVAL, "the host sent no caller uid");
		return;
	}
	c.uid = (uid_t)uid;
	if (!ul_route_allows(route, c.uid, false)) {
		ul_reply_error(s->out, UL_EPERM, "permission denied: this needs root");
		return;
	}
	if ((route->flags & UL_ROUTE_TICKET) && !ul_msg_has(s->in, UL_F_TICKET)) {
		ul_reply_error(s->out, UL_EINVAL, "missing ticket");
		return;
	}
	product = ul_msg_str(s->in, UL_F_PRODUCT);
	if (product != NULL && strcmp(product, s->peer.product) != 0) {
		refuse(&c, UL_EPERM, "host_refused", "host %s (certificate of "
		    "product %s) asked for an account of product %s: refused",
		    s->addr, s->peer.product, product);
		return;
	}
	/* an email-keyed request (self-service, a reset): only users of the
	 * host's product (issue 16) */
	email = ul_msg_str(s->in, UL_F_EMAIL);
	if (product == NULL && email != NULL) {
		char norm[UL_EMAIL_MAX + 1];

		if (ul_email_normalise(email, norm) == 0 &&
		    !in_scope(&c, norm, s->peer.product)) {
			char detail[UL_EMAIL_MAX + 512];

			snprintf(detail, sizeof(detail), "host %s (product %s): %s "
			    "has no account of that product: asked as an unknown "
			    "email", s->addr, s->peer.product, norm);
			ul_audit_alone(&c, &(struct ul_event){.event = "host_scope",
			    .email = norm, .product = s->peer.product,
			    .result = UL_EAUTH, .detail = detail});
			if ((r = with_field(s, c.in, UL_F_EMAIL, OUT_OF_SCOPE_EMAIL)) != 0) {
				ul_reply_error(s->out, r, "malformed request");
				return;
			}
			c.in = s->copy;
		}
		sodium_memzero(norm, sizeof(norm));
	}
	ul_route_filter(route, (struct ul_msg *)c.in, c.uid);
	/* T7: a remote host is remembered per product host: a host can only
	 * name the remote hosts of its own logins */
	if (ul_msg_has(c.in, UL_F_RHOST)) {
		const char *rhost = ul_msg_str(c.in, UL_F_RHOST);
		char mine[512];

		if (rhost[0] != '\0') {
			if (strlen(s->peer.host) + strlen(rhost) + 1 <= 255)
				snprintf(mine, sizeof(mine), "%s/%s", s->peer.host, rhost);
			else
				snprintf(mine, sizeof(mine), "%016llx/%s",
				    (unsigned long long)s->peer.id, rhost);
			if (strlen(mine) > 255 ||
			    (r = with_field(s, c.in, UL_F_RHOST, mine)) != 0) {
				ul_reply_error(s->out, UL_EINVAL, "rhost too long");
				return;
			}
			c.in = s->copy;
		}
	}
	c.reserve = (route->flags & UL_ROUTE_RESERVE) != 0;
	if (route->lane == UL_LANE_KDF)
		ul_call_kdf_take(&c, &v->kdf);
	ul_dispatch_run(route, &c);
	ul_call_kdf_give(&c);
	*later = c.later;
	sodium_memzero(&c, sizeof(c));
}

static void
session_end(struct session *s)
{
	struct ul_verifier *v = s->v;

	pthread_mutex_lock(&v->lock);
	for (unsigned i = 0; i < SESSIONS_MAX; i++)
		if (v->live[i] == s)
			v->live[i] = NULL;
	pthread_mutex_unlock(&v->lock);
	ul_tls_close(s->conn);
	if (s->conn == NULL && s->fd >= 0)
		close(s->fd);
	ul_msg_free(s->in);
	ul_msg_free(s->out);
	ul_msg_free(s->copy);
	ul_msg_free(s->other);
	free(s);
	pthread_mutex_lock(&v->lock);
	if (--v->sessions == 0)
		pthread_cond_broadcast(&v->idle);
	pthread_mutex_unlock(&v->lock);
}

static void *
session_run(void *arg)
{
	struct session *s = arg;
	struct ul_verifier *v = s->v;
	char err[512];
	int fd = s->fd;

	ul_tls_crl_refresh(v->tls);
	s->fd = -1;                 /* the session owns it now */
	if (ul_tls_accept(v->tls, fd, HANDSHAKE_MS, &s->conn, &s->peer, err,
	    sizeof(err)) != 0) {
		ul_log(LOG_NOTICE, "host %s: %s", s->addr, err);
		session_end(s);
		return NULL;
	}
	ul_log(LOG_INFO, "host %s: session of %s (product %s)", s->addr,
	    s->peer.host[0] ? s->peer.host : "a host", s->peer.product);
	for (;;) {
		struct ul_later *later;
		int r = ul_tls_recv_msg(s->conn, s->in, IDLE_MS);

		if (r != 0) {
			if (r != UL_EIO)
				ul_log(LOG_INFO, "host %s: %s; closing", s->addr,
				    ul_strerror(r));
			break;
		}
		serve(s, &later);
		if (ul_msg_finish(s->out) != 0) {
			ul_reply_error(s->out, UL_ETOOBIG, "reply too large");
			if (ul_msg_finish(s->out) != 0)
				break;
		}
		r = ul_tls_send_msg(s->conn, s->out, HANDSHAKE_MS);
		sodium_memzero(s->in->buf, s->in->len);
		sodium_memzero(s->copy->buf, s->copy->len);
		sodium_memzero(s->other->buf, s->other->len);
		/* S1: what must not show in the answer's time starts now */
		if (later != NULL) {
			ul_later_run(later);
			ul_later_free(later);
		}
		if (r != 0)
			break;
	}
	session_end(s);
	return NULL;
}

static void
start_session(struct ul_verifier *v, int fd, const struct sockaddr_storage *sa,
    socklen_t len)
{
	char host[NI_MAXHOST] = "?", port[NI_MAXSERV] = "?";
	struct session *s;
	pthread_attr_t attr;
	pthread_t t;

	pthread_mutex_lock(&v->lock);
	if (v->sessions >= SESSIONS_MAX || v->stopping) {
		pthread_mutex_unlock(&v->lock);
		if (!v->stopping)
			ul_log(LOG_WARNING, "%u host sessions: one more refused",
			    v->sessions);
		close(fd);
		return;
	}
	v->sessions++;
	pthread_mutex_unlock(&v->lock);
	getnameinfo((const struct sockaddr *)sa, len, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV);
	s = calloc(1, sizeof(*s));
	if (s != NULL) {
		s->v = v;
		s->fd = s->sock = fd;
		pthread_mutex_lock(&v->lock);
		for (unsigned i = 0; i < SESSIONS_MAX; i++)
			if (v->live[i] == NULL) {
				v->live[i] = s;
				break;
			}
		pthread_mutex_unlock(&v->lock);
		snprintf(s->addr, sizeof(s->addr), "%s:%s", host, port);
		s->in = ul_msg_new();
		s->out = ul_msg_new();
		s->copy = ul_msg_new();
		s->other = ul_msg_new();
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (s == NULL || s->in == NULL || s->out == NULL || s->copy == NULL ||
	    s->other == NULL ||
	    pthread_create(&t, &attr, session_run, s) != 0) {
		ul_log(LOG_ERR, "out of memory: a host session refused");
		if (s == NULL) {
			close(fd);
			pthread_mutex_lock(&v->lock);
			v->sessions--;
			pthread_mutex_unlock(&v->lock);
		} else {
			session_end(s);
		}
	}
	pthread_attr_destroy(&attr);
}

static void *
accept_run(void *arg)
{
	struct ul_verifier *v = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = v->listen_fd, .events = POLLIN},
		    {.fd = v->stop_pipe[0], .events = POLLIN}};
		struct sockaddr_storage sa;
		socklen_t len = sizeof(sa);
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(v->listen_fd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
		if (fd >= 0)
			start_session(v, fd, &sa, len);
	}
	return NULL;
}

static int
listen_on(const char *hostport, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_PASSIVE | AI_NUMERICSERV}, *res = NULL, *a;
	const char *colon = strrchr(hostport, ':');
	char host[128];
	size_t n = colon ? (size_t)(colon - hostport) : 0;
	int fd = -1, one = 1, r;

	if (colon == NULL || n >= sizeof(host)) {
		snprintf(err, errlen, "verifier_listen %s: not ADDRESS:PORT", hostport);
		return -1;
	}
	if (n >= 2 && hostport[0] == '[' && hostport[n - 1] == ']')
		memcpy(host, hostport + 1, n - 2), host[n - 2] = '\0';
	else
		memcpy(host, hostport, n), host[n] = '\0';
	r = getaddrinfo(host, colon + 1, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "verifier_listen %s: %s", hostport, gai_strerror(r));
		return -1;
	}
	snprintf(err, errlen, "verifier_listen %s: no address", hostport);
	for (a = res; a != NULL && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, 128) != 0) {
			snprintf(err, errlen, "verifier_listen %s: %s", hostport,
			    strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	return fd;
}

int
ul_verifier_start(struct ul_verifier **out, struct ul_helper *h, char *err,
    size_t errlen)
{
	struct ul_verifier *v = calloc(1, sizeof(*v));
	int r;

	*out = NULL;
	if (v == NULL)
		return UL_ENOMEM;
	v->h = h;
	v->listen_fd = v->stop_pipe[0] = v->stop_pipe[1] = -1;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->idle, NULL);
	sem_init(&v->kdf, 0, h->conf.kdf_parallel);
	r = ul_tls_new(&v->tls, &h->conf, true, err, errlen);
	if (r == 0 && (v->listen_fd = listen_on(h->conf.verifier_listen, err,
	    errlen)) < 0)
		r = UL_EIO;
	if (r == 0 && pipe2(v->stop_pipe, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		r = UL_EIO;
	}
	if (r == 0 && pthread_create(&v->acceptor, NULL, accept_run, v) != 0) {
		snprintf(err, errlen, "cannot start the verifier's thread");
		r = UL_ENOMEM;
	}
	if (r != 0) {
		ul_verifier_stop(v);
		return r;
	}
	v->started = true;
	*out = v;
	return 0;
}

void
ul_verifier_stop(struct ul_verifier *v)
{
	if (v == NULL)
		return;
	if (v->started) {
		(void)!write(v->stop_pipe[1], "x", 1);
		pthread_join(v->acceptor, NULL);
	}
	if (v->listen_fd >= 0)
		close(v->listen_fd);
	for (int i = 0; i < 2; i++)
		if (v->stop_pipe[i] >= 0)
			close(v->stop_pipe[i]);
	/* every session ends at its next read or write (a request being
	 * answered is answered first), before the store closes; one that
	 * does not within 5 s is left to the process's end */
	pthread_mutex_lock(&v->lock);
	v->stopping = true;
	for (unsigned i = 0; i < SESSIONS_MAX; i++)
		if (v->live[i] != NULL)
			shutdown(v->live[i]->sock, SHUT_RDWR);
	{
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (v->sessions > 0 &&
		    pthread_cond_timedwait(&v->idle, &v->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&v->lock);
	if (v->sessions == 0) {
		ul_tls_free(v->tls);
		sem_destroy(&v->kdf);
		free(v);
	} else {
		ul_log(LOG_WARNING, "%u host sessions still busy at the stop",
		    v->sessions);
	}
}
