/* The dispatch table: request -> handler -> who may call it -> lane, and
 * the run of one request through it. */
#include "config.h"

#include "helper/handlers/dispatch.h"
#include "helper/handlers/handlers.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

#define ANY UL_ACCESS_ANY
#define ADMIN UL_ACCESS_ADMIN
#define LOOP UL_LANE_LOOP
#define KDF UL_LANE_KDF
#define SLOW UL_LANE_SLOW
#define WRITE UL_LANE_WRITE
#define SECRET UL_ROUTE_SECRET
#define RATE UL_ROUTE_RATE
#define TICKET UL_ROUTE_TICKET
#define RESERVE UL_ROUTE_RESERVE
#define RHOST UL_ROUTE_ROOT_FIELDS
#define ROOT UL_ACCESS_ROOT
#define VERIFY UL_ROUTE_VERIFIER
#define HOSTREAD UL_ROUTE_HOST_READ

/* rhost is believed from uid 0 only, on every route (T7, S8): sshd sets
 * it for a remote client; any other caller could forge it. */
/* The login path: what PAM sends for every login. */
#define LOGIN (RESERVE | RHOST)
/* the self-service routes: a person proves email, password and code */
#define SELF (SECRET | RATE | RESERVE | RHOST | VERIFY)

static const struct ul_route routes[UL_MSG_TYPE_END] = {
	[UL_REQ_STATUS] = {ul_h_status, ANY, LOOP, RHOST},
	[UL_REQ_LOOKUP] = {ul_h_lookup, ANY, LOOP, RHOST},
	[UL_REQ_LOGIN_BEGIN] = {ul_h_login_begin, ANY, KDF, SECRET | RATE | LOGIN | VERIFY},
	[UL_REQ_LOGIN_CODE] = {ul_h_login_code, ANY, WRITE, SECRET | TICKET | LOGIN | VERIFY},
	[UL_REQ_LOGIN_SMS] = {ul_h_login_sms, ANY, LOOP, SECRET | TICKET | LOGIN | VERIFY},
	[UL_REQ_LOGIN_LEGACY] = {ul_h_login_legacy, ANY, KDF, SECRET | RATE | LOGIN | VERIFY},
	[UL_REQ_APIKEY_LOGIN] = {ul_h_apikey_login, ANY, WRITE, SECRET | RATE | LOGIN | VERIFY},
	[UL_REQ_PASSWD_BEGIN] = {ul_h_passwd_begin, ANY, KDF, SECRET | RATE | LOGIN | VERIFY},
	[UL_REQ_PASSWD_CHANGE] = {ul_h_passwd_change, ANY, KDF,
	    SECRET | TICKET | RESERVE | RHOST | VERIFY},
	/* sessions are recorded by PAM session modules, which run as root:
	 * from anyone else they would be writes in another person's name */
	[UL_REQ_SESSION_OPEN] = {ul_h_session_open, ROOT, WRITE, LOGIN},
	[UL_REQ_SESSION_CLOSE] = {ul_h_session_close, ROOT, WRITE, LOGIN},
	[UL_REQ_NSS_GETPW] = {ul_h_nss_getpw, ANY, LOOP, RHOST},
	[UL_REQ_NSS_LIST] = {ul_h_nss_list, ANY, LOOP, RHOST},
	[UL_REQ_ACCOUNT_CHECK] = {ul_h_account_check, ANY, LOOP, RHOST},
	/* K1: the key lines of an account are public, asked as NSS asks
	 * (unilogin-keys, for sshd); only uid 0 (sshd's PAM stack) may say
	 * which key sshd accepted */
	[UL_REQ_SSHKEYS] = {ul_h_sshkeys, ANY, LOOP, RHOST},
	[UL_REQ_LOGIN_SSHKEY] = {ul_h_login_sshkey, ROOT, WRITE, LOGIN | VERIFY},
	/* self-service: a person proves email, password and code (T5) */
	[UL_REQ_SELF_VERIFY] = {ul_h_self_verify, ANY, KDF, SELF},
	[UL_REQ_SELF_RESET] = {ul_h_self_reset, ANY, KDF, SELF},
	[UL_REQ_SELF_RESET_SEND] = {ul_h_self_reset_send, ANY, LOOP,
	    RATE | RESERVE | RHOST | VERIFY},
	[UL_REQ_SELF_TFA] = {ul_h_self_tfa, ANY, KDF, SELF},
	[UL_REQ_SELF_APIKEY] = {ul_h_self_apikey, ANY, KDF, SELF},
	[UL_REQ_SELF_SSHKEY] = {ul_h_self_sshkey, ANY, KDF, SELF},
	[UL_REQ_SELF_LINK] = {ul_h_self_link, ANY, KDF, SELF},
	[UL_REQ_SELF_ACCOUNTS] = {ul_h_self_accounts, ANY, KDF, SELF},

	/* admin: never on the disk reserve (S7) */
	[UL_REQ_USER_ADD] = {ul_h_user_add, ADMIN, SLOW, RHOST},
	[UL_REQ_USER_VERIFY] = {ul_h_user_verify, ADMIN, WRITE, SECRET | RHOST},
	[UL_REQ_USER_PASSWD] = {ul_h_user_passwd, ADMIN, KDF, SECRET | RHOST},
	[UL_REQ_USER_RESET] = {ul_h_user_reset, ADMIN, SLOW, RHOST},
	[UL_REQ_USER_SHOW] = {ul_h_user_show, ADMIN, LOOP, RHOST},
	[UL_REQ_USER_LIST] = {ul_h_user_list, ADMIN, LOOP, RHOST},
	[UL_REQ_USER_LOCK] = {ul_h_user_lock, ADMIN, WRITE, RHOST},
	[UL_REQ_USER_UNLOCK] = {ul_h_user_unlock, ADMIN, WRITE, RHOST},
	[UL_REQ_USER_DELETE] = {ul_h_user_delete, ADMIN, WRITE, RHOST},
	[UL_REQ_USER_SET_EMAIL] = {ul_h_user_set_email, ADMIN, SLOW, RHOST},
	[UL_REQ_PRODUCT_ADD] = {ul_h_product_add, ADMIN, WRITE, RHOST},
	[UL_REQ_PRODUCT_LIST] = {ul_h_product_list, ADMIN, LOOP, RHOST},
	[UL_REQ_ACCOUNT_ADD] = {ul_h_account_add, ADMIN, KDF, SECRET | RHOST},
	[UL_REQ_ACCOUNT_SHOW] = {ul_h_account_show, ADMIN, LOOP, RHOST},
	[UL_REQ_ACCOUNT_LIST] = {ul_h_account_list, ADMIN, LOOP, RHOST},
	[UL_REQ_TFA_ENROLL] = {ul_h_tfa_enroll, ADMIN, SLOW, RHOST},
	[UL_REQ_TFA_CONFIRM] = {ul_h_tfa_confirm, ADMIN, WRITE, SECRET | RHOST},
	[UL_REQ_TFA_LIST] = {ul_h_tfa_list, ADMIN, LOOP, RHOST},
	[UL_REQ_TFA_REMOVE] = {ul_h_tfa_remove, ADMIN, WRITE, RHOST},
	[UL_REQ_TFA_RESET] = {ul_h_tfa_reset, ADMIN, WRITE, RHOST},
	[UL_REQ_TFA_RECOVERY] = {ul_h_tfa_recovery, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_PASSWD] = {ul_h_account_passwd, ADMIN, KDF, SECRET | RHOST},
	[UL_REQ_ACCOUNT_LINK] = {ul_h_account_link, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_UNLINK] = {ul_h_account_unlink, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_INVITE] = {ul_h_account_invite, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_REMOVE] = {ul_h_account_remove, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_SUSPEND] = {ul_h_account_suspend, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_REINSTATE] = {ul_h_account_reinstate, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNT_BAN] = {ul_h_account_ban, ADMIN, WRITE, RHOST},
	[UL_REQ_ACCOUNTS] = {ul_h_accounts, ADMIN, LOOP, RHOST},
	[UL_REQ_SESSIONS] = {ul_h_sessions, ADMIN, LOOP, RHOST},
	[UL_REQ_AUDIT] = {ul_h_audit, ADMIN, LOOP, RHOST},
	[UL_REQ_EXPORT] = {ul_h_export, ADMIN, SLOW, RHOST},
	[UL_REQ_KEYS_FINGERPRINT] = {ul_h_keys_fingerprint, ADMIN, LOOP, RHOST},
	/* each waits on the directory (ldap_timeout), never on the loop */
	[UL_REQ_FLEET_STATUS] = {ul_h_fleet_status, ADMIN, WRITE, RHOST | HOSTREAD},
	[UL_REQ_FLEET_PROMOTE] = {ul_h_fleet_promote, ADMIN, WRITE, RHOST},
	[UL_REQ_FLEET_REPAIR] = {ul_h_fleet_repair, ADMIN, WRITE, RHOST},
	[UL_REQ_IMPORT] = {ul_h_import, ADMIN, WRITE, SECRET | RHOST},
	[UL_REQ_MIGRATE] = {ul_h_migrate, ADMIN, WRITE, SECRET | RHOST},
	[UL_REQ_APIKEY_CREATE] = {ul_h_apikey_create, ADMIN, WRITE, RHOST},
	[UL_REQ_APIKEY_LIST] = {ul_h_apikey_list, ADMIN, LOOP, RHOST},
	[UL_REQ_APIKEY_REVOKE] = {ul_h_apikey_revoke, ADMIN, WRITE, RHOST},
	[UL_REQ_SSHKEY_ADD] = {ul_h_sshkey_add, ADMIN, WRITE, RHOST},
	[UL_REQ_SSHKEY_LIST] = {ul_h_sshkey_list, ADMIN, LOOP, RHOST},
	[UL_REQ_SSHKEY_REMOVE] = {ul_h_sshkey_remove, ADMIN, WRITE, RHOST},
};

const struct ul_route *
ul_route_for(uint16_t type)
{
	if (type >= UL_MSG_TYPE_END || routes[type].handler == NULL)
		return NULL;
	return &routes[type];
}

bool
ul_route_allows(const struct ul_route *route, uid_t uid, bool admin)
{
	switch (route->access) {
	case UL_ACCESS_ANY:
		return true;
	case UL_ACCESS_ROOT:
		return uid == 0;
	case UL_ACCESS_ADMIN:
		return admin;
	}
	return false;
}

void
ul_route_filter(const struct ul_route *route, struct ul_msg *in, uid_t uid)
{
	if ((route->flags & UL_ROUTE_ROOT_FIELDS) && uid != 0) {
		ul_msg_drop(in, UL_F_RHOST);
		ul_msg_drop(in, UL_F_RUSER);
	}
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

