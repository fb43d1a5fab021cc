/* Host <-> verifier TLS with GnuTLS (tls.h).  Certificates are verified
 * by GnuTLS against tls_ca during the handshake (gnutls_session_set_verify_cert);
 * what this file adds: TLS 1.3 only, the verifier's demand for a client
 * certificate, the SAN URIs that say who a certificate is, and the CRL,
 * kept apart from the credentials so that a new one replaces the old
 * without touching sessions in use. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "common/util.h"
#include "helper/core/log.h"
#include "helper/server/tls.h"
#include "unilogin/error.h"

/* TLS 1.3 and nothing older (issue 16) */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3"

struct ul_tls {
	bool server;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	char crl_path[256];
	pthread_mutex_t crl_lock;
	gnutls_x509_crl_t *crls;
	unsigned ncrls;
	struct stat crl_st;         /* of the file last read */
	gnutls_x509_crt_t *cas;     /* to check the CRL's signature */
	unsigned ncas;
};

struct ul_tls_conn {
	gnutls_session_t s;
	int fd;
};

static void
free_crls(gnutls_x509_crl_t *crls, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
}

/* Reads tls_crl; every CRL in it must be signed by tls_ca.  0 or a GnuTLS
 * error (err set); with the lock held or before threads start. */
static int
load_crl(struct ul_tls *t, char *err, size_t errlen)
{
	gnutls_datum_t d = {NULL, 0};
	gnutls_x509_crl_t *crls = NULL;
	unsigned n = 0, status;
	struct stat st;
	int r;

	if (stat(t->crl_path, &st) != 0) {
		snprintf(err, errlen, "tls_crl %s: %s", t->crl_path, strerror(errno));
		return GNUTLS_E_FILE_ERROR;
	}
	r = gnutls_load_file(t->crl_path, &d);
	if (r == 0)
		r = gnutls_x509_crl_list_import2(&crls, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(d.data);
	if (r < 0) {
		snprintf(err, errlen, "tls_crl %s: %s", t->crl_path, gnutls_strerror(r));
		return r;
	}
	for (unsigned i = 0; i < n; i++) {
		r = gnutls_x509_crl_verify(crls[i], t->cas, t->ncas, 0, &status);
		if (r < 0 || status != 0) {
			snprintf(err, errlen, "tls_crl %s: a CRL not signed by tls_ca",
			    t->crl_path);
			free_crls(crls, n);
			return GNUTLS_E_CERTIFICATE_ERROR;
		}
	}
	free_crls(t->crls, t->ncrls);
	t->crls = crls;
	t->ncrls = n;
	t->crl_st = st;
	return 0;
}

int
ul_tls_new(struct ul_tls **out, const struct ul_conf *c, bool server,
    char *err, size_t errlen)
{
	struct ul_tls *t = calloc(1, sizeof(*t));
	const char *where = c->tls_ca;
	int r;

	*out = NULL;
	if (t == NULL)
		return UL_ENOMEM;
	t->server = server;
	pthread_mutex_init(&t->crl_lock, NULL);
	r = gnutls_certificate_allocate_credentials(&t->cred);
	if (r >= 0) {
		r = gnutls_certificate_set_x509_trust_file(t->cred, c->tls_ca,
		    GNUTLS_X509_FMT_PEM);
		if (r == 0)
			r = GNUTLS_E_NO_CERTIFICATE_FOUND;
	}
	if (r >= 0) {
		gnutls_datum_t d = {NULL, 0};

		r = gnutls_load_file(c->tls_ca, &d);
		if (r == 0)
			r = gnutls_x509_crt_list_import2(&t->cas, &t->ncas, &d,
			    GNUTLS_X509_FMT_PEM, 0);
		gnutls_free(d.data);
	}
	if (r >= 0) {
		where = c->tls_cert;
		r = gnutls_certificate_set_x509_key_file(t->cred, c->tls_cert,
		    c->tls_key, GNUTLS_X509_FMT_PEM);
	}
	if (r >= 0) {
		where = "TLS";
		r = gnutls_priority_init(&t->prio, PRIORITY, NULL);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", where, gnutls_strerror(r));
		ul_tls_free(t);
		return UL_ECONFIG;
	}
	if (server && c->tls_crl[0]) {
		snprintf(t->crl_path, sizeof(t->crl_path), "%s", c->tls_crl);
		if (load_crl(t, err, errlen) != 0) {
			ul_tls_free(t);
			return UL_ECONFIG;
		}
	}
	*out = t;
	return 0;
}

void
ul_tls_free(struct ul_tls *t)
{
	if (t == NULL)
		return;
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	free_crls(t->crls, t->ncrls);
	for (unsigned i = 0; i < t->ncas; i++)
		gnutls_x509_crt_deinit(t->cas[i]);
	gnutls_free(t->cas);
	pthread_mutex_destroy(&t->crl_lock);
	free(t);
}

void
ul_tls_crl_refresh(struct ul_tls *t)
{
	char err[512];
	struct stat st;

	if (t->crl_path[0] == '\0')
		return;
	pthread_mutex_lock(&t->crl_lock);
	if (stat(t->crl_path, &st) != 0 ||
	    st.st_mtim.tv_sec != t->crl_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != t->crl_st.st_mtim.tv_nsec ||
	    st.st_size != t->crl_st.st_size || st.st_ino != t->crl_st.st_ino) {
		if (load_crl(t, err, sizeof(err)) == 0)
			ul_log(LOG_INFO, "tls_crl %s: read again (%u CRL%s)",
			    t->crl_path, t->ncrls, t->ncrls == 1 ? "" : "s");
		else if (memcmp(&st, &t->crl_st, sizeof(st)) != 0) {
			ul_log(LOG_ERR, "%s: keeping the CRL read before", err);
			t->crl_st = st;     /* say it once per change */
		}
	}
	pthread_mutex_unlock(&t->crl_lock);
}

static void
set_timeouts(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static bool
valid_product(const char *p, size_t n)
{
	if (n == 0 || n > UL_PRODUCT_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && !strchr("_-.", p[i]))
			return false;
	return true;
}

/* The peer's certificate: its id, its host name and its unilogin URI
 * (the product, or verifier). */
static int
read_peer(gnutls_session_t s, struct ul_tls_peer *peer, bool *is_verifier)
{
	const gnutls_datum_t *der;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	uint8_t sum[32];
	int r;

	memset(peer, 0, sizeof(*peer));
	*is_verifier = false;
	der = gnutls_certificate_get_peers(s, &n);
	if (der == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return UL_ETRUST;
	r = gnutls_x509_crt_import(crt, &der[0], GNUTLS_X509_FMT_DER);
	for (unsigned i = 0; r >= 0; i++) {
		char buf[512];
		size_t size = sizeof(buf) - 1;
		unsigned critical;

		r = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size, &critical);
		if (r < 0)
			break;
		buf[size] = '\0';
		if (r == GNUTLS_SAN_DNSNAME && peer->host[0] == '\0' &&
		    size < sizeof(peer->host))
			memcpy(peer->host, buf, size + 1);
		else if (r == GNUTLS_SAN_URI && strcmp(buf, UL_TLS_URI_VERIFIER) == 0)
			*is_verifier = true;
		else if (r == GNUTLS_SAN_URI && peer->product[0] == '\0' &&
		    strncmp(buf, UL_TLS_URI_PRODUCT, strlen(UL_TLS_URI_PRODUCT)) == 0 &&
		    valid_product(buf + strlen(UL_TLS_URI_PRODUCT),
		    size - strlen(UL_TLS_URI_PRODUCT)))
			memcpy(peer->product, buf + strlen(UL_TLS_URI_PRODUCT),
			    size - strlen(UL_TLS_URI_PRODUCT) + 1);
	}
	gnutls_hash_fast(GNUTLS_DIG_SHA256, der[0].data, der[0].size, sum);
	memcpy(&peer->id, sum, sizeof(peer->id));
	gnutls_x509_crt_deinit(crt);
	return 0;
}

/* Whether the peer's certificate is on the CRL. */
static bool
revoked(struct ul_tls *t, gnutls_session_t s)
{
	const gnutls_datum_t *der;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	bool out = true;

	if (t->crl_path[0] == '\0')
		return false;
	der = gnutls_certificate_get_peers(s, &n);
	if (der == NULL || n == 0 || gnutls_x509_crt_init(&crt) < 0)
		return true;
	if (gnutls_x509_crt_import(crt, &der[0], GNUTLS_X509_FMT_DER) >= 0) {
		pthread_mutex_lock(&t->crl_lock);
		out = gnutls_x509_crt_check_revocation(crt, t->crls, t->ncrls) != 0;
		pthread_mutex_unlock(&t->crl_lock);
	}
	gnutls_x509_crt_deinit(crt);
	return out;
}

static int
session_new(struct ul_tls *t, int fd, unsigned flags, gnutls_session_t *out)
{
	gnutls_session_t s;

	/* no session tickets: a host's idle session must stay silent, so
	 * that anything readable on it means the verifier went away */
	if (gnutls_init(&s, flags | GNUTLS_NO_SIGNAL | GNUTLS_NO_TICKETS) < 0)
		return UL_ENOMEM;
	if (gnutls_priority_set(s, t->prio) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->cred) < 0) {
		gnutls_deinit(s);
		return UL_ENOMEM;
	}
	gnutls_transport_set_int(s, fd);
	*out = s;
	return 0;
}

static int
handshake(gnutls_session_t s, int timeout_ms)
{
	int r;

	gnutls_handshake_set_timeout(s, (unsigned)timeout_ms);
	do
		r = gnutls_handshake(s);
	while (r < 0 && gnutls_error_is_fatal(r) == 0);
	return r;
}

static int
conn_new(gnutls_session_t s, int fd, struct ul_tls_conn **out)
{
	struct ul_tls_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return UL_ENOMEM;
	c->s = s;
	c->fd = fd;
	*out = c;
	return 0;
}

int
ul_tls_accept(struct ul_tls *t, int fd, int timeout_ms, struct ul_tls_conn **out,
    struct ul_tls_peer *peer, char *err, size_t errlen)
{
	gnutls_session_t s;
	bool is_verifier;
	int r;

	*out = NULL;
	set_timeouts(fd, timeout_ms);
	if (session_new(t, fd, GNUTLS_SERVER, &s) != 0) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return UL_ENOMEM;
	}
	gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	gnutls_session_set_verify_cert(s, NULL, 0);
	r = handshake(s, timeout_ms);
	if (r < 0) {
		snprintf(err, errlen, "handshake refused: %s", gnutls_strerror(r));
		r = UL_ETRUST;
	} else if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3) {
		snprintf(err, errlen, "not TLS 1.3");
		r = UL_ETRUST;
	} else if (read_peer(s, peer, &is_verifier) != 0 || peer->product[0] == '\0') {
		snprintf(err, errlen, "the client certificate names no product "
		    "(a SAN URI " UL_TLS_URI_PRODUCT "NAME)");
		r = UL_ETRUST;
	} else if (revoked(t, s)) {
		snprintf(err, errlen, "the client certificate is revoked (tls_crl)");
		r = UL_ETRUST;
	} else {
		r = conn_new(s, fd, out);
		if (r == 0)
			return 0;
		snprintf(err, errlen, "out of memory");
	}
	if (r == UL_ETRUST)
		gnutls_alert_send(s, GNUTLS_AL_FATAL, GNUTLS_A_ACCESS_DENIED);
	gnutls_deinit(s);
	close(fd);
	return r;
}

/* HOST:PORT -> host (brackets of an IPv6 address taken off) and port. */
static int
split_hostport(const char *hostport, char host[256], char port[8])
{
	const char *colon = strrchr(hostport, ':');
	size_t n;

	if (colon == NULL || strlen(colon + 1) >= 8)
		return UL_EINVAL;
	n = (size_t)(colon - hostport);
	if (n >= 2 && hostport[0] == '[' && hostport[n - 1] == ']') {
		hostport++;
		n -= 2;
	}
	if (n == 0 || n >= 256)
		return UL_EINVAL;
	memcpy(host, hostport, n);
	host[n] = '\0';
	snprintf(port, 8, "%s", colon + 1);
	return 0;
}

/* A TCP connection to host:port within the deadline, or -1. */
static int
tcp_connect(const char *host, const char *port, int64_t deadline, char *err,
    size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV}, *res = NULL, *a;
	int fd = -1, r = getaddrinfo(host, port, &hints, &res);

	if (r != 0) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(r));
		return -1;
	}
	snprintf(err, errlen, "%s:%s: no address", host, port);
	for (a = res; a != NULL; a = a->ai_next) {
		struct pollfd p;
		int soerr = 0, one = 1;
		socklen_t len = sizeof(soerr);
		int64_t left = deadline - ul_monotonic_ms();

		if (left <= 0) {
			snprintf(err, errlen, "%s:%s: no connection in time", host, port);
			break;
		}
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		r = connect(fd, a->ai_addr, a->ai_addrlen);
		if (r != 0 && errno == EINPROGRESS) {
			p = (struct pollfd){.fd = fd, .events = POLLOUT};
			r = poll(&p, 1, (int)left) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
			    soerr == 0 ? 0 : -1;
			if (r != 0 && soerr != 0)
				errno = soerr;
			else if (r != 0)
				errno = ETIMEDOUT;
		}
		if (r == 0) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			break;
		}
		snprintf(err, errlen, "%s:%s: %s", host, port, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
ul_tls_connect(struct ul_tls *t, const char *hostport, int timeout_ms,
    struct ul_tls_conn **out, char *err, size_t errlen)
{
	int64_t deadline = ul_monotonic_ms() + timeout_ms;
	char host[256], port[8];
	struct ul_tls_peer peer;
	gnutls_session_t s;
	bool is_verifier;
	int fd, r;

	*out = NULL;
	if (split_hostport(hostport, host, port) != 0) {
		snprintf(err, errlen, "%s: not HOST:PORT", hostport);
		return UL_EINVAL;
	}
	fd = tcp_connect(host, port, deadline, err, errlen);
	if (fd < 0)
		return UL_EUNAVAIL;
	set_timeouts(fd, timeout_ms);
	if (session_new(t, fd, GNUTLS_CLIENT, &s) != 0) {
		close(fd);
		return UL_ENOMEM;
	}
	if (!isdigit((unsigned char)host[0]) && strchr(host, ':') == NULL)
		gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host));
	gnutls_session_set_verify_cert(s, host, 0);
	r = handshake(s, (int)(deadline - ul_monotonic_ms() > 0 ?
	    deadline - ul_monotonic_ms() : 1));
	if (r < 0) {
		snprintf(err, errlen, "%s: TLS: %s", hostport, gnutls_strerror(r));
		r = UL_EUNAVAIL;
	} else if (read_peer(s, &peer, &is_verifier) != 0 || !is_verifier) {
		snprintf(err, errlen, "%s: its certificate is not a verifier's "
		    "(a SAN URI " UL_TLS_URI_VERIFIER ")", hostport);
		r = UL_EUNAVAIL;
	} else if ((r = conn_new(s, fd, out)) == 0) {
		return 0;
	}
	gnutls_deinit(s);
	close(fd);
	return r;
}

int
ul_tls_send_msg(struct ul_tls_conn *c, const struct ul_msg *m, int timeout_ms)
{
	size_t sent = 0;

	set_timeouts(c->fd, timeout_ms);
	while (sent < m->len) {
		ssize_t n = gnutls_record_send(c->s, m->buf + sent, m->len - sent);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n <= 0)
			return UL_EIO;
		sent += (size_t)n;
	}
	return 0;
}

static int
recv_some(struct ul_tls_conn *c, uint8_t *buf, size_t want, int64_t deadline)
{
	size_t got = 0;

	while (got < want) {
		int64_t left = deadline - ul_monotonic_ms();
		ssize_t n;

		if (left <= 0)
			return UL_ETIMEDOUT;
		gnutls_record_set_timeout(c->s, (unsigned)left);
		n = gnutls_record_recv(c->s, buf + got, want - got);
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n == GNUTLS_E_TIMEDOUT)
			return UL_ETIMEDOUT;
		if (n <= 0)
			return UL_EIO;
		got += (size_t)n;
	}
	return 0;
}

int
ul_tls_recv_msg(struct ul_tls_conn *c, struct ul_msg *m, int timeout_ms)
{
	int64_t deadline = ul_monotonic_ms() + timeout_ms;
	int size, r;

	m->len = 0;
	r = recv_some(c, m->buf, 4, deadline);
	if (r != 0)
		return r;
	size = ul_frame_size(m->buf);
	if (size < 0)
		return size;
	r = recv_some(c, m->buf + 4, (size_t)size - 4, deadline);
	m->len = r == 0 ? (size_t)size : 4;
	return r;
}

bool
ul_tls_stale(struct ul_tls_conn *c)
{
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	return gnutls_record_check_pending(c->s) > 0 || poll(&p, 1, 0) != 0;
}

void
ul_tls_close(struct ul_tls_conn *c)
{
	if (c == NULL)
		return;
	set_timeouts(c->fd, 100);
	gnutls_bye(c->s, GNUTLS_SHUT_WR);
	gnutls_deinit(c->s);
	close(c->fd);
	free(c);
}
