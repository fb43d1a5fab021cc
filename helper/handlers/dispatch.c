/* The dispatch table and what every handler shares: the reply, the
 * transaction helpers with their messages, and the audit log (S8). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/email.h"
#include "helper/handlers/dispatch.h"
#include "helper/handlers/handlers.h"
#include "helper/server/log.h"
#include "unilogin/error.h"

#define ANY UL_ACCESS_ANY
#define ADMIN UL_ACCESS_ADMIN
#define LOOP UL_LANE_LOOP
#define KDF UL_LANE_KDF
#define SLOW UL_LANE_SLOW

#define WRITE UL_LANE_WRITE

static const struct ul_route routes[UL_MSG_TYPE_END] = {
	[UL_REQ_STATUS] = {ul_h_status, ANY, LOOP},
	[UL_REQ_LOOKUP] = {ul_h_lookup, ANY, LOOP},
	[UL_REQ_LOGIN_BEGIN] = {ul_h_login_begin, ANY, KDF},
	[UL_REQ_LOGIN_CODE] = {ul_h_login_code, ANY, WRITE},
	[UL_REQ_LOGIN_SMS] = {ul_h_login_sms, ANY, SLOW},
	[UL_REQ_LOGIN_LEGACY] = {ul_h_login_legacy, ANY, KDF},
	[UL_REQ_APIKEY_LOGIN] = {ul_h_apikey_login, ANY, WRITE},
	[UL_REQ_PASSWD_BEGIN] = {ul_h_passwd_begin, ANY, KDF},
	[UL_REQ_PASSWD_CHANGE] = {ul_h_passwd_change, ANY, KDF},
	[UL_REQ_SESSION_OPEN] = {ul_h_session_open, ANY, WRITE},
	[UL_REQ_SESSION_CLOSE] = {ul_h_session_close, ANY, WRITE},
	[UL_REQ_NSS_GETPW] = {ul_h_nss_getpw, ANY, LOOP},
	[UL_REQ_NSS_LIST] = {ul_h_nss_list, ANY, LOOP},
	[UL_REQ_ACCOUNT_CHECK] = {ul_h_account_check, ANY, LOOP},
	[UL_REQ_SELF_VERIFY] = {ul_h_self_verify, ANY, KDF},
	[UL_REQ_SELF_RESET] = {ul_h_self_reset, ANY, KDF},
	[UL_REQ_SELF_RESET_SEND] = {ul_h_self_reset_send, ANY, SLOW},
	[UL_REQ_SELF_TFA] = {ul_h_self_tfa, ANY, KDF},
	[UL_REQ_SELF_APIKEY] = {ul_h_self_apikey, ANY, KDF},
	[UL_REQ_SELF_LINK] = {ul_h_self_link, ANY, KDF},
	[UL_REQ_SELF_ACCOUNTS] = {ul_h_self_accounts, ANY, KDF},

	[UL_REQ_USER_ADD] = {ul_h_user_add, ADMIN, SLOW},
	[UL_REQ_USER_VERIFY] = {ul_h_user_verify, ADMIN, WRITE},
	[UL_REQ_USER_PASSWD] = {ul_h_user_passwd, ADMIN, KDF},
	[UL_REQ_USER_RESET] = {ul_h_user_reset, ADMIN, SLOW},
	[UL_REQ_USER_SHOW] = {ul_h_user_show, ADMIN, LOOP},
	[UL_REQ_USER_LIST] = {ul_h_user_list, ADMIN, LOOP},
	[UL_REQ_USER_LOCK] = {ul_h_user_lock, ADMIN, WRITE},
	[UL_REQ_USER_UNLOCK] = {ul_h_user_unlock, ADMIN, WRITE},
	[UL_REQ_USER_DELETE] = {ul_h_user_delete, ADMIN, WRITE},
	[UL_REQ_USER_SET_EMAIL] = {ul_h_user_set_email, ADMIN, SLOW},
	[UL_REQ_PRODUCT_ADD] = {ul_h_product_add, ADMIN, WRITE},
	[UL_REQ_PRODUCT_LIST] = {ul_h_product_list, ADMIN, LOOP},
	[UL_REQ_ACCOUNT_ADD] = {ul_h_account_add, ADMIN, KDF},
	[UL_REQ_ACCOUNT_SHOW] = {ul_h_account_show, ADMIN, LOOP},
	[UL_REQ_ACCOUNT_LIST] = {ul_h_account_list, ADMIN, LOOP},
	[UL_REQ_TFA_ENROLL] = {ul_h_tfa_enroll, ADMIN, SLOW},
	[UL_REQ_TFA_CONFIRM] = {ul_h_tfa_confirm, ADMIN, WRITE},
	[UL_REQ_TFA_LIST] = {ul_h_tfa_list, ADMIN, LOOP},
	[UL_REQ_TFA_REMOVE] = {ul_h_tfa_remove, ADMIN, WRITE},
	[UL_REQ_TFA_RESET] = {ul_h_tfa_reset, ADMIN, WRITE},
	[UL_REQ_TFA_RECOVERY] = {ul_h_tfa_recovery, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_PASSWD] = {ul_h_account_passwd, ADMIN, KDF},
	[UL_REQ_ACCOUNT_LINK] = {ul_h_account_link, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_UNLINK] = {ul_h_account_unlink, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_INVITE] = {ul_h_account_invite, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_REMOVE] = {ul_h_account_remove, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_SUSPEND] = {ul_h_account_suspend, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_REINSTATE] = {ul_h_account_reinstate, ADMIN, WRITE},
	[UL_REQ_ACCOUNT_BAN] = {ul_h_account_ban, ADMIN, WRITE},
	[UL_REQ_ACCOUNTS] = {ul_h_accounts, ADMIN, LOOP},
	[UL_REQ_SESSIONS] = {ul_h_sessions, ADMIN, LOOP},
	[UL_REQ_AUDIT] = {ul_h_audit, ADMIN, LOOP},
	[UL_REQ_EXPORT] = {ul_h_export, ADMIN, SLOW},
	[UL_REQ_IMPORT] = {ul_h_import, ADMIN, WRITE},
	[UL_REQ_APIKEY_CREATE] = {ul_h_apikey_create, ADMIN, WRITE},
	[UL_REQ_APIKEY_LIST] = {ul_h_apikey_list, ADMIN, LOOP},
	[UL_REQ_APIKEY_REVOKE] = {ul_h_apikey_revoke, ADMIN, WRITE},
};

const struct ul_route *
ul_route_for(uint16_t type)
{
	if (type >= UL_MSG_TYPE_END || routes[type].handler == NULL)
		return NULL;
	return &routes[type];
}

void
ul_reply_error(struct ul_msg *out, int code, const char *message)
{
	ul_msg_start(out, UL_MSG_REPLY);
	ul_msg_put_int(out, UL_F_RESULT, code);
	if (message != NULL && message[0] != '\0')
		ul_msg_put_str(out, UL_F_MESSAGE, message);
}

void
ul_dispatch_run(const struct ul_route *route, struct ul_call *c)
{
	const char *msg;
	int r;

	c->message[0] = '\0';
	ul_msg_start(c->out, UL_MSG_REPLY);
	r = route->handler(c);
	msg = c->message[0] ? c->message : ul_user_message(r);
	if (r != 0 && r != UL_EDELIVERY && r != UL_ENEEDCODE) {
		/* a refusal carries no half-made answer */
		ul_reply_error(c->out, r, msg ? msg : ul_strerror(r));
		return;
	}
	ul_msg_put_int(c->out, UL_F_RESULT, r);
	if (msg != NULL && msg[0] != '\0')
		ul_msg_put_str(c->out, UL_F_MESSAGE, msg);
	if (c->out->error != 0)
		ul_reply_error(c->out, c->out->error, "the answer does not fit in a frame");
}

int
ul_call_say(struct ul_call *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	return code;
}

const char *
ul_call_arg(struct ul_call *c, uint16_t tag)
{
	const char *v = ul_msg_str(c->in, tag);

	if (v == NULL || v[0] == '\0') {
		const struct ul_field_info *info = ul_field_info(tag);

		ul_call_say(c, UL_EINVAL, "missing %s", info ? info->name : "field");
		return NULL;
	}
	return v;
}

int
ul_call_email(struct ul_call *c, uint16_t tag, char out[UL_EMAIL_MAX + 1])
{
	const char *raw = ul_call_arg(c, tag);

	if (raw == NULL)
		return UL_EINVAL;
	if (ul_email_normalise(raw, out) != 0)
		return ul_call_say(c, UL_EINVAL, "not a valid email address");
	return 0;
}

int64_t
ul_now(void)
{
	return (int64_t)time(NULL);
}

int
ul_call_txn(struct ul_call *c, bool write, struct ul_txn **t)
{
	int r;

	/* with the disk full, the store's reserve is for logins: an admin's
	 * change is refused before it starts */
	*t = NULL;
	if (write && c->admin && c->in->type >= UL_REQ_USER_ADD &&
	    ul_store_disk_full(c->h->store)) {
		ul_log(LOG_ERR, "store: no space left on %s: %s refused, nothing changed",
		    c->h->conf.state_dir, ul_msg_type_name(c->in->type));
		return ul_call_say(c, UL_ENOSPC,
		    "no space left for the store: nothing was changed");
	}
	r = ul_txn_begin(c->h->store, write, t);

	if (r != 0) {
		ul_log(LOG_ERR, "store: cannot begin a transaction: %s", ul_strerror(r));
		ul_call_say(c, r, "the store cannot be used: %s", ul_strerror(r));
	}
	return r;
}

int
ul_call_user(struct ul_call *c, const char *email, struct ul_user *u)
{
	struct ul_txn *t;
	int r = ul_call_txn(c, false, &t);

	if (r != 0)
		return r;
	r = ul_store_user_get(t, email, u);
	ul_txn_abort(t);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no user %s", email);
	return r;
}

int
ul_call_commit(struct ul_call *c, struct ul_txn *t)
{
	int r = ul_txn_commit(t);

	if (r == UL_ENOSPC) {
		ul_log(LOG_ERR, "store: commit failed: no space left; nothing changed");
		return ul_call_say(c, r, "no space left for the store: nothing was changed");
	}
	if (r != 0) {
		ul_log(LOG_ERR, "store: commit failed: %s", ul_strerror(r));
		return ul_call_say(c, r, "the store failed: nothing was changed");
	}
	return 0;
}

int
ul_call_finish(struct ul_call *c, struct ul_txn *t, int r,
    const struct ul_event *e)
{
	if (r == 0 && e != NULL)
		r = ul_audit(c, t, e);
	if (r != 0) {
		ul_txn_abort(t);
		return r;
	}
	return ul_call_commit(c, t);
}

static void
copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

static void
log_event(struct ul_call *c, const struct ul_event *e, const char *service,
    const char *rhost)
{
	ul_log(e->result == 0 || e->result == UL_ENEEDCODE ? LOG_INFO : LOG_NOTICE,
	    "%s %s: email=%s product=%s account=%s service=%s rhost=%s uid=%u%s%s",
	    e->event, e->result == 0 ? "ok" : ul_strerror(e->result),
	    e->email && e->email[0] ? e->email : "-",
	    e->product && e->product[0] ? e->product : "-",
	    e->account && e->account[0] ? e->account : "-",
	    service ? service : "-", rhost ? rhost : "-", (unsigned)c->uid,
	    e->detail ? " detail=" : "", e->detail ? e->detail : "");
}

int
ul_audit(struct ul_call *c, struct ul_txn *t, const struct ul_event *e)
{
	struct ul_audit a = {.time = ul_now(), .caller_uid = c->uid,
	    .result = e->result};
	const char *service = ul_msg_str(c->in, UL_F_SERVICE);
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);

	copy(a.event, sizeof(a.event), e->event);
	copy(a.email, sizeof(a.email), e->email);
	copy(a.product, sizeof(a.product), e->product);
	copy(a.account, sizeof(a.account), e->account);
	copy(a.service, sizeof(a.service), service);
	copy(a.rhost, sizeof(a.rhost), rhost);
	copy(a.detail, sizeof(a.detail), e->detail);
	log_event(c, e, service, rhost);
	return ul_store_audit_append(t, &a);
}

void
ul_audit_alone(struct ul_call *c, const struct ul_event *e)
{
	struct ul_txn *t;

	if (ul_txn_begin(c->h->store, true, &t) != 0)
		return;
	if (ul_audit(c, t, e) != 0) {
		ul_txn_abort(t);
		ul_log(LOG_ERR, "audit: cannot record %s", e->event);
		return;
	}
	if (ul_txn_commit(t) != 0)
		ul_log(LOG_ERR, "audit: cannot record %s", e->event);
}

#define PASSWORD_MIN 8

int
ul_check_password(struct ul_call *c, const char *pw)
{
	if (pw == NULL)
		return UL_EINVAL;
	if (strlen(pw) < PASSWORD_MIN)
		return ul_call_say(c, UL_ERULE,
		    "the password must have at least %d characters", PASSWORD_MIN);
	return 0;
}

bool
ul_page_full(const struct ul_msg *m)
{
	return m->len > UL_FRAME_MAX - 4096 || m->nfields > UL_FIELDS_MAX - 64;
}
