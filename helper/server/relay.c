/* role = host: the secret-bearing requests go to a verifier (verifier.h).
 * Sessions are kept for reuse, a few per verifier; one that shows any
 * sign of life while idle (the verifier closed it, or went away) is
 * dropped before it could carry a request.  A request goes out once:
 * after its first byte is sent, a failure is that request's answer. */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "helper/core/log.h"
#include "helper/handlers/dispatch.h"
#include "helper/server/tls.h"
#include "helper/server/verifier.h"
#include "unilogin/error.h"

#define VERIFIERS_MAX 16
#define IDLE_PER_VERIFIER 64         /* as many as the write pool's threads */
#define CONNECT_MIN_MS 1000         /* a verifier's TCP and TLS handshake: a
				     * quarter of timeout, and at least this */
#define DOWN_MS 30000               /* a verifier that failed is tried last */

struct target {
	char hostport[300];
	struct ul_tls_conn *idle[IDLE_PER_VERIFIER];
	unsigned nidle;
	int64_t down_until;         /* monotonic ms; tried last until then */
};

struct ul_relay {
	struct ul_tls *tls;
	unsigned timeout_ms;        /* the whole relay, inside PAM's timeout */
	int connect_ms;             /* one verifier's handshake */
	pthread_mutex_t lock;
	struct target targets[VERIFIERS_MAX];
	unsigned n;
};

int
ul_relay_new(struct ul_relay **out, const struct ul_conf *c, char *err,
    size_t errlen)
{
	struct ul_relay *r = calloc(1, sizeof(*r));
	const char *p = c->verifiers;
	int rc;

	*out = NULL;
	if (r == NULL)
		return UL_ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	/* PAM waits `timeout` for the helper: answer half a second before */
	r->timeout_ms = c->timeout * 1000 > 1000 ? c->timeout * 1000 - 500 : 500;
	r->connect_ms = c->timeout * 250 > CONNECT_MIN_MS ? (int)c->timeout * 250 :
	    CONNECT_MIN_MS;
	while (*p && r->n < VERIFIERS_MAX) {
		size_t n = strcspn(p, ", \t");

		if (n > 0 && n < sizeof(r->targets[0].hostport)) {
			memcpy(r->targets[r->n].hostport, p, n);
			r->targets[r->n++].hostport[n] = '\0';
		}
		p += n;
		p += strspn(p, ", \t");
	}
	rc = ul_tls_new(&r->tls, c, false, err, errlen);
	if (rc != 0) {
		ul_relay_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
ul_relay_free(struct ul_relay *r)
{
	if (r == NULL)
		return;
	for (unsigned i = 0; i < r->n; i++)
		for (unsigned j = 0; j < r->targets[i].nidle; j++)
			ul_tls_close(r->targets[i].idle[j]);
	ul_tls_free(r->tls);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* An idle session to verifier i that is still quiet, or NULL. */
static struct ul_tls_conn *
take_idle(struct ul_relay *r, unsigned i)
{
	struct ul_tls_conn *conn = NULL;

	pthread_mutex_lock(&r->lock);
	while (conn == NULL && r->targets[i].nidle > 0) {
		conn = r->targets[i].idle[--r->targets[i].nidle];
		if (ul_tls_stale(conn)) {
			ul_tls_close(conn);
			conn = NULL;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return conn;
}

/* Verifier i failed: its idle sessions go (a hung verifier keeps them
 * quiet: each would hang a login), and it is tried after the others for
 * DOWN_MS. */
static void
mark_down(struct ul_relay *r, unsigned i)
{
	struct ul_tls_conn *gone[IDLE_PER_VERIFIER];
	unsigned n;

	pthread_mutex_lock(&r->lock);
	r->targets[i].down_until = ul_monotonic_ms() + DOWN_MS;
	n = r->targets[i].nidle;
	memcpy(gone, r->targets[i].idle, n * sizeof(gone[0]));
	r->targets[i].nidle = 0;
	pthread_mutex_unlock(&r->lock);
	for (unsigned j = 0; j < n; j++)
		ul_tls_close(gone[j]);
}

static bool
is_down(struct ul_relay *r, unsigned i)
{
	bool down;

	pthread_mutex_lock(&r->lock);
	down = r->targets[i].down_until > ul_monotonic_ms();
	pthread_mutex_unlock(&r->lock);
	return down;
}

/* The first verifier that takes a session: those not marked down in the
 * configured order, then those marked down.  UL_VERIFIERS_MAX when none
 * did; *conn set otherwise. */
static unsigned
pick(struct ul_relay *r, int64_t deadline, struct ul_tls_conn **conn,
    char *err, size_t errlen)
{
	for (int pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < r->n; i++) {
			int64_t left = deadline - ul_monotonic_ms();

			if (is_down(r, i) != (pass == 1))
				continue;
			if ((*conn = take_idle(r, i)) != NULL)
				return i;
			if (left <= 0)
				return VERIFIERS_MAX;
			if (ul_tls_connect(r->tls, r->targets[i].hostport,
			    left < r->connect_ms ? (int)left : r->connect_ms, conn, err,
			    errlen) == 0)
				return i;
			ul_log(LOG_WARNING, "verifier %s", err);
			mark_down(r, i);
		}
	return VERIFIERS_MAX;
}

static void
give_back(struct ul_relay *r, unsigned i, struct ul_tls_conn *conn)
{
	pthread_mutex_lock(&r->lock);
	if (r->targets[i].nidle < IDLE_PER_VERIFIER) {
		r->targets[i].idle[r->targets[i].nidle++] = conn;
		conn = NULL;
	}
	pthread_mutex_unlock(&r->lock);
	ul_tls_close(conn);
}

/* The request as the verifier reads it: its fields (those the dispatch
 * table let through) and the uid that asked. */
static int
encode(const struct ul_call *c, struct ul_msg *m)
{
	const struct ul_msg *in = c->in;

	ul_msg_start(m, in->type);
	for (unsigned i = 0; i < in->nfields; i++) {
		if (in->fields[i].tag != UL_F_CALLER_UID)
			ul_msg_put_field(m, in, &in->fields[i]);
	}
	ul_msg_put_int(m, UL_F_CALLER_UID, (int64_t)c->uid);
	return ul_msg_finish(m);
}

void
ul_relay_run(struct ul_relay *r, struct ul_call *c)
{
	int64_t deadline = ul_monotonic_ms() + r->timeout_ms;
	struct ul_msg *req = ul_msg_new();
	struct ul_tls_conn *conn = NULL;
	char err[512] = "no verifier configured";
	int64_t result;
	unsigned i;
	int rc;

	if (req == NULL || encode(c, req) != 0) {
		ul_reply_error(c->out, req ? UL_ETOOBIG : UL_ENOMEM,
		    "cannot relay the request");
		ul_msg_free(req);
		return;
	}
	i = pick(r, deadline, &conn, err, sizeof(err));
	if (conn == NULL) {
		ul_msg_free(req);
		ul_log(LOG_ERR, "no verifier reachable (%s): %s refused", err,
		    ul_msg_type_name(c->in->type));
		ul_reply_error(c->out, UL_EUNREACHABLE, "no verifier reachable: "
		    "nothing changed; try again later");
		return;
	}
	/* from here on the request may be applied: it is never sent again */
	rc = ul_tls_send_msg(conn, req, (int)(deadline - ul_monotonic_ms() > 1
	    ? deadline - ul_monotonic_ms() : 1));
	ul_msg_free(req);           /* wipes the password */
	if (rc == 0)
		rc = ul_tls_recv_msg(conn, c->out, (int)(deadline -
		    ul_monotonic_ms() > 1 ? deadline - ul_monotonic_ms() : 1));
	if (rc == 0 && ((rc = ul_msg_decode(c->out)) != 0 ||
	    c->out->type != UL_MSG_REPLY))
		rc = UL_EPROTO;
	if (rc != 0) {
		ul_tls_close(conn);
		mark_down(r, i);
		ul_log(LOG_ERR, "verifier %s: %s after the request went out: "
		    "%s failed, not sent again", r->targets[i].hostport,
		    ul_strerror(rc), ul_msg_type_name(c->in->type));
		ul_reply_error(c->out, UL_EUNKNOWN, "the verifier did not answer: "
		    "outcome unknown; try again");
		return;
	}
	/* the verifier's fleet provider could not take the change (F2): the
	 * verifier logs it, and so does this host, whose admin looks here
	 * first when its logins fail */
	if (ul_msg_int(c->out, UL_F_RESULT, &result) == 0 &&
	    (result == UL_EUNREACHABLE || result == UL_EUNKNOWN))
		ul_log(LOG_ERR, "verifier %s: %s refused: %s",
		    r->targets[i].hostport, ul_msg_type_name(c->in->type),
		    ul_strerror((int)result));
	give_back(r, i, conn);
}
