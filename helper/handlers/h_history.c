/* Session history (L11) and the audit log (S8): recording sessions, and
 * listing both for admins. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "helper/core/email.h"
#include "helper/core/wipe.h"
#include "helper/handlers/handlers.h"
#include "helper/store/local.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

static int
open_session(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct ul_session *s = arg;
	struct ul_account a UL_WIPED(ul_wipe_account);
	int r = ul_find_account(c, t, &a);

	if (r != 0)
		return r;
	snprintf(s->product, sizeof(s->product), "%s", a.product);
	snprintf(s->account, sizeof(s->account), "%s", a.name);
	return ul_local_session_open(t, s);
}

int
ul_h_session_open(struct ul_call *c)
{
	const char *raw = ul_msg_str(c->in, UL_F_EMAIL);
	struct ul_session s = {.started = ul_now()};
	char id[32];
	int r;

	/* who: the email of the login, or nobody for a legacy login */
	if (raw != NULL && ul_email_normalise(raw, s.email) != 0)
		s.email[0] = '\0';
	if (gethostname(s.host, sizeof(s.host) - 1) != 0)
		s.host[0] = '\0';
	/* what the client sent is data: no control character reaches the
	 * history, a log line or an admin's terminal (row 9) */
	ul_text_safe(ul_msg_str(c->in, UL_F_SERVICE), s.service, sizeof(s.service));
	ul_text_safe(ul_msg_str(c->in, UL_F_RHOST), s.rhost, sizeof(s.rhost));
	ul_text_safe(ul_msg_str(c->in, UL_F_TTY), s.tty, sizeof(s.tty));
	/* K1: the key that stood for the email and password */
	ul_text_safe(ul_msg_str(c->in, UL_F_FINGERPRINT), s.sshkey, sizeof(s.sshkey));
	s.opener_uid = c->uid;
	if ((r = ul_call_write(c, open_session, &s)) != 0)
		return r;
	snprintf(id, sizeof(id), "%" PRIu64, s.id);
	ul_msg_put_str(c->out, UL_F_ID, id);
	ul_log(LOG_INFO, "session %s open: product=%s account=%s email=%s service=%s "
	    "rhost=%s tty=%s sshkey=%s", id, s.product, s.account,
	    s.email[0] ? s.email : "-", s.service[0] ? s.service : "-",
	    s.rhost[0] ? s.rhost : "-", s.tty[0] ? s.tty : "-",
	    s.sshkey[0] ? s.sshkey : "-");
	return 0;
}

static int
close_session(struct ul_call *c, struct ul_txn *t, void *arg)
{
	uint64_t id = *(const uint64_t *)arg;
	struct ul_session s;
	int r = ul_local_session_get(t, id, &s);

	/* only the process user that opened it (or root) ends a session */
	if (r == 0 && s.opener_uid != c->uid && c->uid != 0)
		r = UL_EPERM;
	return r != 0 ? r : ul_local_session_close(t, id, ul_now());
}

int
ul_h_session_close(struct ul_call *c)
{
	const char *text = ul_call_arg(c, UL_F_ID);
	char *end;
	uint64_t id;
	int r;

	if (text == NULL)
		return UL_EINVAL;
	id = strtoull(text, &end, 10);
	if (*end != '\0' || id == 0)
		return ul_call_say(c, UL_EINVAL, "bad session id");
	r = ul_call_write(c, close_session, &id);
	if (r == 0)
		ul_log(LOG_INFO, "session %s closed", text);
	return r;
}

static bool
session_matches(struct ul_call *c, const struct ul_session *s)
{
	const char *product = ul_msg_str(c->in, UL_F_PRODUCT);
	const char *account = ul_msg_str(c->in, UL_F_ACCOUNT);
	const char *raw = ul_msg_str(c->in, UL_F_EMAIL);
	char email[UL_EMAIL_MAX + 1];

	if (product && strcmp(product, s->product) != 0)
		return false;
	if (account && strcmp(account, s->account) != 0)
		return false;
	if (raw && (ul_email_normalise(raw, email) != 0 || strcmp(email, s->email) != 0))
		return false;
	return true;
}

/* `uniloginctl sessions [--product P] [--email E] [--account A]` */
int
ul_h_sessions(struct ul_call *c)
{
	struct ul_cursor cur, last;
	struct ul_session s;
	struct ul_txn *t;
	char id[32];
	int r;

	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	for (last = cur; (r = ul_local_session_next(t, &cur, &s)) == 0; last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		if (!session_matches(c, &s))
			continue;
		snprintf(id, sizeof(id), "%" PRIu64, s.id);
		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_str(c->out, UL_F_ID, id);
		ul_msg_put_str(c->out, UL_F_PRODUCT, s.product);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, s.account);
		ul_msg_put_str(c->out, UL_F_EMAIL, s.email[0] ? s.email : "-");
		ul_msg_put_str(c->out, UL_F_HOST, s.host);
		ul_msg_put_str(c->out, UL_F_SERVICE, s.service);
		if (s.sshkey[0])
			ul_msg_put_str(c->out, UL_F_FINGERPRINT, s.sshkey);
		ul_msg_put_str(c->out, UL_F_RHOST, s.rhost[0] ? s.rhost : "-");
		ul_msg_put_str(c->out, UL_F_TTY, s.tty[0] ? s.tty : "-");
		ul_msg_put_int(c->out, UL_F_STARTED, s.started);
		if (s.ended)
			ul_msg_put_int(c->out, UL_F_ENDED, s.ended);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

/* `uniloginctl audit [--since ISO-TIME]` */
int
ul_h_audit(struct ul_call *c)
{
	struct ul_cursor cur, last;
	int64_t since = 0;
	struct ul_audit e;
	struct ul_txn *t;
	int r;

	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	(void)ul_msg_int(c->in, UL_F_SINCE, &since);
	for (last = cur; (r = ul_store_audit_next(t, since, &cur, &e)) == 0;
	     last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_int(c->out, UL_F_TIME, e.time);
		ul_msg_put_str(c->out, UL_F_EVENT, e.event);
		ul_msg_put_str(c->out, UL_F_OUTCOME, e.result == 0 ? "ok" : ul_strerror(e.result));
		ul_msg_put_str(c->out, UL_F_EMAIL, e.email[0] ? e.email : "-");
		ul_msg_put_str(c->out, UL_F_PRODUCT, e.product[0] ? e.product : "-");
		ul_msg_put_str(c->out, UL_F_ACCOUNT, e.account[0] ? e.account : "-");
		ul_msg_put_str(c->out, UL_F_SERVICE, e.service[0] ? e.service : "-");
		ul_msg_put_str(c->out, UL_F_RHOST, e.rhost[0] ? e.rhost : "-");
		ul_msg_put_int(c->out, UL_F_UID, e.caller_uid);
		ul_msg_put_str(c->out, UL_F_DETAIL, e.detail[0] ? e.detail : "-");
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

struct upkeep {
	int64_t now;
	const struct ul_conf *conf;
	unsigned removed;
};

static int
upkeep_change(struct ul_txn *t, void *arg)
{
	struct upkeep *u = arg;
	int r;

	/* S3 counters end lockout_seconds after their last failure; history
	 * ends after session_days / audit_days (L11, S8) */
	r = ul_store_upkeep(t, u->now - u->conf->lockout_seconds,
	    u->now - (int64_t)u->conf->session_days * 86400,
	    u->now - (int64_t)u->conf->audit_days * 86400, 10000, &u->removed);
	if (r == UL_ENOSPC) {
		ul_log(LOG_WARNING, "maintenance: the disk of %s is full: logins live "
		    "on the store's reserve; changes are refused", u->conf->state_dir);
		r = 0;
	}
	return r;
}

void
ul_maintenance(struct ul_helper *h)
{
	struct upkeep u = {.now = ul_now(), .conf = &h->conf};
	int r = ul_store_write(h->store, upkeep_change, &u);

	if (r != 0)
		ul_log(LOG_WARNING, "maintenance: cannot prune old records: %s",
		    ul_strerror(r));
	else if (u.removed > 0)
		ul_log(LOG_INFO, "maintenance: %u old history records pruned", u.removed);
}
