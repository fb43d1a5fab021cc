/* pam_unilogin's logic: options, the login exchange (INTERFACES.md) and the
 * mapping of the helper's answers to PAM codes.  The module never sees a
 * password hash: it asks, passes the answers to the helper, and wipes them. */
#include "config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "common/client.h"
#include "common/sshkey.h"
#include "common/util.h"
#include "pam/internal.h"
#include "pam/module.h"
#include "unilogin/error.h"

#define DEFAULT_CONF SYSCONFDIR "/unilogin/unilogin.conf"


int
ul_pam_options(pam_handle_t *pamh, int argc, const char **argv,
    struct ul_pam_opts *o)
{
	static const struct { const char *name; size_t off; } flags[] = {
		{"debug", offsetof(struct ul_pam_opts, debug)},
		{"use_first_pass", offsetof(struct ul_pam_opts, use_first_pass)},
		{"try_first_pass", offsetof(struct ul_pam_opts, try_first_pass)},
		{"use_authtok", offsetof(struct ul_pam_opts, use_authtok)},
		{"apikey", offsetof(struct ul_pam_opts, apikey)},
	};
	static const char *const keys[] = {"socket", "product", "timeout"};
	const char *conf = DEFAULT_CONF;
	char err[UL_CONF_ERR_MAX];
	bool explicit_conf = false;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0) {
			conf = argv[i] + 5;
			explicit_conf = true;
		}
	ul_conf_defaults(&o->conf);
	if (ul_conf_load(&o->conf, conf, !explicit_conf, err, sizeof(err)) != 0) {
		pam_syslog(pamh, LOG_ERR, "%s", err);
		return PAM_SERVICE_ERR;
	}
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		bool known = strncmp(argv[i], "conf=", 5) == 0;

		for (size_t k = 0; !known && k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strcmp(argv[i], flags[k].name) == 0) {
				*(bool *)((char *)o + flags[k].off) = true;
				known = true;
			}
		for (size_t k = 0; !known && eq && k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k]) == (size_t)(eq - argv[i]) &&
			    strncmp(argv[i], keys[k], strlen(keys[k])) == 0) {
				known = true;
				if (ul_conf_set(&o->conf, keys[k], eq + 1, err, sizeof(err)) != 0) {
					pam_syslog(pamh, LOG_ERR, "option %s", err);
					return PAM_SERVICE_ERR;
				}
			}
		if (!known)
			pam_syslog(pamh, LOG_WARNING, "unknown option: %s", argv[i]);
	}
	if (o->conf.product[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "no product: set product= in the PAM line "
		    "or `product` in %s", conf);
		return PAM_SERVICE_ERR;
	}
	return PAM_SUCCESS;
}

int
ul_pam_code(int result, bool account)
{
	switch (result) {
	case 0:
		return PAM_SUCCESS;
	case UL_ENOACCOUNT:
		return PAM_USER_UNKNOWN;
	case UL_ELOCKEDOUT:
		return account ? PAM_PERM_DENIED : PAM_MAXTRIES;
	case UL_ESUSPENDED:
		return account ? PAM_ACCT_EXPIRED : PAM_AUTH_ERR;
	case UL_EAUTH:
	case UL_EKEYREQUIRED:
	case UL_ENOTCONFIRMED:
	case UL_ELOCKED:
	case UL_EBANNED:
	case UL_ETFAREQUIRED:
	case UL_EEXPIRED:
		return account ? PAM_PERM_DENIED : PAM_AUTH_ERR;
	default:
		/* the helper cannot decide: fail closed (S6) */
		return PAM_AUTHINFO_UNAVAIL;
	}
}

bool
pm_transport_error(int r)
{
	return r == UL_EUNAVAIL || r == UL_ETIMEDOUT || r == UL_ETRUST ||
	    r == UL_EVERSION || r == UL_EPROTO || r == UL_EIO;
}

/* PAM_USER's uid as NSS answers it; false when it does not resolve. */
static bool
local_uid(const char *user, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return false;
	*uid = res->pw_uid;
	return true;
}

/* A user that resolves to a uid outside uid_min..uid_max is no product
 * account: root or a local admin (S6). */
static bool
not_ours(const struct ul_pam *p)
{
	uid_t uid;

	return p->user != NULL && local_uid(p->user, &uid) &&
	    (uid < p->o.conf.uid_min || uid > p->o.conf.uid_max);
}

bool
pm_outside_range(struct ul_pam *p)
{
	if (!not_ours(p))
		return false;
	/* the helper named an account that resolves out of the range: a
	 * damaged store, or an import that made root a product account */
	pam_syslog(p->pamh, LOG_ERR, "refused: %s is a product account of %s, but "
	    "resolves to a uid outside uid_min..uid_max (%u..%u)", p->user,
	    p->o.conf.product, p->o.conf.uid_min, p->o.conf.uid_max);
	return true;
}

int
pm_start(struct ul_pam *p, pam_handle_t *pamh, int flags, int argc,
    const char **argv)
{
	const void *item;
	int r;

	memset(p, 0, sizeof(*p));
	p->pamh = pamh;
	p->flags = flags;
	r = ul_pam_options(pamh, argc, argv, &p->o);
	if (r == PAM_SERVICE_ERR && pam_get_user(pamh, &p->user, NULL) == PAM_SUCCESS &&
	    not_ours(p)) {
		/* with a broken config, root and local admins still get to the
		 * next module of the stack (S6), as when the helper is down */
		pam_syslog(pamh, LOG_NOTICE, "%s is no product account: left to the "
		    "next module", p->user);
		return PAM_USER_UNKNOWN;
	}
	if (r != PAM_SUCCESS)
		return r;
	r = pam_get_user(pamh, &p->user, NULL);
	if (r != PAM_SUCCESS || p->user == NULL || p->user[0] == '\0')
		return r != PAM_SUCCESS ? r : PAM_USER_UNKNOWN;
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS)
		p->service = item;
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS)
		p->rhost = item;
	if (pam_get_item(pamh, PAM_RUSER, &item) == PAM_SUCCESS)
		p->ruser = item;
	if (pam_get_item(pamh, PAM_TTY, &item) == PAM_SUCCESS)
		p->tty = item;
	if (ul_client_new(&p->cl, p->o.conf.socket, (int)p->o.conf.timeout * 1000,
		p->o.conf.user) != 0)
		return PAM_BUF_ERR;
	return PAM_SUCCESS;
}

void
pm_finish(struct ul_pam *p)
{
	ul_client_free(p->cl);
	p->cl = NULL;
}

/* S6: the helper cannot answer.  A local user outside the product range
 * (root, local admins) is left to the next module of the stack. */
int
pm_unavailable(struct ul_pam *p, int r)
{
	pam_syslog(p->pamh, LOG_ERR, "helper at %s: %s", p->o.conf.socket,
	    ul_strerror(r));
	return not_ours(p) ? PAM_USER_UNKNOWN : PAM_AUTHINFO_UNAVAIL;
}

void
pm_begin(struct ul_pam *p, uint16_t type)
{
	if (p->o.debug)
		pam_syslog(p->pamh, LOG_DEBUG, "%s for user %s on product %s via %s",
		    ul_msg_type_name(type), p->user, p->o.conf.product, p->o.conf.socket);
	ul_client_begin(p->cl, type);
	ul_msg_put_str(p->cl->req, UL_F_PRODUCT, p->o.conf.product);
	ul_msg_put_str(p->cl->req, UL_F_UNIX_USER, p->user);
	ul_msg_put_str(p->cl->req, UL_F_SERVICE, p->service);
	ul_msg_put_str(p->cl->req, UL_F_RHOST, p->rhost);
	ul_msg_put_str(p->cl->req, UL_F_RUSER, p->ruser);
	ul_msg_put_str(p->cl->req, UL_F_TTY, p->tty);
}

void
pm_tell(struct ul_pam *p, int r)
{
	const char *msg = ul_client_message(p->cl);

	if (msg == NULL)
		msg = ul_user_message(r);
	if (msg != NULL && !(p->flags & PAM_SILENT))
		pam_error(p->pamh, "%s", msg);
}

/* Asks one question; the answer is the caller's to wipe and free. */
int
pm_ask(struct ul_pam *p, int style, const char *prompt, char **answer)
{
	int r = pam_prompt(p->pamh, style, answer, "%s", prompt);

	if (r != PAM_SUCCESS || *answer == NULL) {
		*answer = NULL;
		return r != PAM_SUCCESS ? r : PAM_CONV_ERR;
	}
	return PAM_SUCCESS;
}

/* The password into buf (UL_SECRET_MAX + 1 bytes of locked memory):
 * PAM_AUTHTOK with use_first_pass (or try_first_pass when set), else a
 * prompt.  0, UL_EAUTH (use_first_pass and no token) or UL_EINVAL. */
static int
get_password(struct ul_pam *p, char *buf)
{
	UL_SECRET char *answer = NULL;
	const void *tok = NULL;

	if ((p->o.use_first_pass || p->o.try_first_pass) &&
	    pam_get_item(p->pamh, PAM_AUTHTOK, &tok) == PAM_SUCCESS && tok != NULL)
		return ul_strlcpy(buf, tok, UL_SECRET_MAX + 1) == 0 ? 0 : UL_EAUTH;
	if (p->o.use_first_pass)
		return UL_EAUTH;
	if (pm_ask(p, PAM_PROMPT_ECHO_OFF, "Password: ", &answer) != PAM_SUCCESS)
		return UL_EINVAL;
	return ul_strlcpy(buf, answer, UL_SECRET_MAX + 1) == 0 ? 0 : UL_EAUTH;
}

static int
login_legacy(struct ul_pam *p, char *password)
{
	pm_begin(p, UL_REQ_LOGIN_LEGACY);
	ul_msg_put_str(p->cl->req, UL_F_PASSWORD, password);
	return ul_client_call(p->cl);
}

static void
put_env(struct ul_pam *p, const char *name, uint16_t tag)
{
	const char *v = ul_msg_str(p->cl->rep, tag);
	char buf[512];

	if (v == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s=%s", name, v);
	pam_putenv(p->pamh, buf);
}

/* One line per login.  The email is the helper's normalised one, only
 * after a success: a failed answer may be a password typed in the wrong
 * field (the helper logs the failed email when it is one). */
static void
log_result(struct ul_pam *p, int r, int code)
{
	const char *email = code == PAM_SUCCESS ? ul_msg_str(p->cl->rep, UL_F_EMAIL) : NULL;

	pam_syslog(p->pamh, code == PAM_SUCCESS ? LOG_INFO : LOG_NOTICE,
	    "auth %s: user=%s product=%s account=%s email=%s service=%s rhost=%s (%s)",
	    code == PAM_SUCCESS ? "ok" : "failed", p->user, p->o.conf.product,
	    p->account[0] ? p->account : "-", email ? email : "-",
	    p->service ? p->service : "-", p->rhost ? p->rhost : "-",
	    ul_strerror(r));
}

/* The second step (INTERFACES.md, step 3): `Verification code: ` until a
 * code is given; an empty answer asks for an SMS, at most three times. */
int
pm_second_step(struct ul_pam *p)
{
	char ticket[UL_TICKET_MAX];
	unsigned sends = 0;
	int r;

	if (ul_strlcpy(ticket, ul_msg_str(p->cl->rep, UL_F_TICKET) ?
		ul_msg_str(p->cl->rep, UL_F_TICKET) : "", sizeof(ticket)) != 0)
		return UL_EPROTO;
	for (;;) {
		UL_SECRET char *code = NULL;

		if (pm_ask(p, PAM_PROMPT_ECHO_OFF, "Verification code: ", &code) != PAM_SUCCESS) {
			r = UL_EINVAL;
			break;
		}
		if (code[0] == '\0' && sends < 3) {
			pm_begin(p, UL_REQ_LOGIN_SMS);
			ul_msg_put_str(p->cl->req, UL_F_TICKET, ticket);
			r = ul_client_call(p->cl);
			if (r != 0)
				break;
			sends++;
			if (!(p->flags & PAM_SILENT))
				pam_info(p->pamh, "If an SMS method is set up, a code was sent.");
			continue;
		}
		pm_begin(p, UL_REQ_LOGIN_CODE);
		ul_msg_put_str(p->cl->req, UL_F_TICKET, ticket);
		ul_msg_put_str(p->cl->req, UL_F_CODE, code);
		r = ul_client_call(p->cl);
		break;
	}
	sodium_memzero(ticket, sizeof(ticket));
	return r;
}

/* A linked account: Email, Password, and the code when one is needed. */
static int
login_linked(struct ul_pam *p, char *password)
{
	UL_SECRET char *email = NULL;
	int r;

	if (pm_ask(p, PAM_PROMPT_ECHO_ON, "Email: ", &email) != PAM_SUCCESS)
		return UL_EINVAL;
	r = get_password(p, password);
	if (r != 0)
		return r;
	pm_begin(p, UL_REQ_LOGIN_BEGIN);
	ul_msg_put_str(p->cl->req, UL_F_EMAIL, email);
	ul_msg_put_str(p->cl->req, UL_F_PASSWORD, password);
	r = ul_client_call(p->cl);
	return r == UL_ENEEDCODE ? pm_second_step(p) : r;
}

/* The `apikey` option (T8): one answer, a key; a legacy account's own
 * password works too.  A linked account never passes on a password. */
static int
login_apikey(struct ul_pam *p, bool linked, char *answer)
{
	bool key = strncmp(answer, "ulk_", 4) == 0;

	if (!key && linked)
		return UL_EAUTH;
	pm_begin(p, key ? UL_REQ_APIKEY_LOGIN : UL_REQ_LOGIN_LEGACY);
	ul_msg_put_str(p->cl->req, UL_F_PASSWORD, answer);
	return ul_client_call(p->cl);
}

/* The key sshd accepted for this login (K1), into key: only from sshd's
 * own PAM service (ssh_service) in a process of uid 0, where sshd alone
 * sets SSH_AUTH_INFO_0 (the helper believes it from uid 0 only, too).
 * False when there is none to believe. */
static bool
accepted_key(struct ul_pam *p, char *key, size_t n)
{
	const char *info;

	if (p->o.conf.ssh_keys == UL_SSH_KEYS_OFF || getuid() != 0 ||
	    p->service == NULL || strcmp(p->service, p->o.conf.ssh_service) != 0)
		return false;
	info = pam_getenv(p->pamh, "SSH_AUTH_INFO_0");
	if (info == NULL || ul_sshkey_from_auth_info(info, key, n) != 0)
		return false;
	if (p->o.debug)
		pam_syslog(p->pamh, LOG_DEBUG, "sshd accepted a key: asking the helper "
		    "whose it is");
	return true;
}

/* sshd accepted a key: when it is a unified user's key that opens this
 * account, only `Verification code: ` is asked (K1).  UL_ENOTFOUND when
 * it is not: the exchange goes on as without a key. */
static int
login_key(struct ul_pam *p, const char *key)
{
	int r;

	pm_begin(p, UL_REQ_LOGIN_SSHKEY);
	ul_msg_put_str(p->cl->req, UL_F_SSHKEY, key);
	r = ul_client_call(p->cl);
	if (r == UL_EPERM)
		return UL_ENOTFOUND;    /* not uid 0: no key to believe */
	return r == UL_ENEEDCODE ? pm_second_step(p) : r;
}

/* The exchange of a product account: a key sshd accepted, or the
 * questions of its kind; with ssh_keys = required an SSH login needs the
 * key. */
static int
login_account(struct ul_pam *p, bool linked, char *password, bool *by_key)
{
	char key[UL_SSHKEY_LINE_MAX + 1];
	bool ssh = p->service != NULL &&
	    strcmp(p->service, p->o.conf.ssh_service) == 0;
	int r = UL_ENOTFOUND;

	*by_key = false;
	if (linked && !p->o.apikey && accepted_key(p, key, sizeof(key)))
		r = login_key(p, key);
	if (r != UL_ENOTFOUND) {
		*by_key = true;
		return r;
	}
	if (ssh && p->o.conf.ssh_keys == UL_SSH_KEYS_REQUIRED) {
		pam_syslog(p->pamh, LOG_NOTICE, "ssh_keys = required: %s came without "
		    "a unified user's key", p->user);
		return UL_EKEYREQUIRED;
	}
	if (p->o.apikey)
		return get_password(p, password) ?: login_apikey(p, linked, password);
	if (linked)
		return login_linked(p, password);
	return get_password(p, password) ?: login_legacy(p, password);
}

static int
authenticate(struct ul_pam *p)
{
	char *password = sodium_malloc(UL_SECRET_MAX + 1);
	const char *kind;
	bool linked, by_key = false;
	int r, code;

	if (password == NULL)
		return PAM_BUF_ERR;
	password[0] = '\0';
	pm_begin(p, UL_REQ_LOOKUP);
	r = ul_client_call(p->cl);
	kind = r == 0 ? ul_msg_str(p->cl->rep, UL_F_KIND) : NULL;
	linked = kind != NULL && strcmp(kind, "linked") == 0;
	if (r == 0 && ul_msg_str(p->cl->rep, UL_F_ACCOUNT) != NULL)
		(void)ul_strlcpy(p->account, ul_msg_str(p->cl->rep, UL_F_ACCOUNT),
		    sizeof(p->account));
	if (r == 0 && pm_outside_range(p)) {
		sodium_free(password);
		return PAM_AUTH_ERR;
	}
	if (r == 0)
		r = login_account(p, linked, password, &by_key);
	if (pm_transport_error(r)) {
		code = pm_unavailable(p, r);
	} else if (r == UL_EINVAL) {
		code = PAM_CONV_ERR;    /* the person left the conversation */
	} else {
		code = ul_pam_code(r, false);
		if (r != UL_ENOACCOUNT)
			log_result(p, r, code);
		if (code != PAM_SUCCESS && r != UL_ENOACCOUNT)
			pm_tell(p, r);
	}
	if (code == PAM_SUCCESS) {
		put_env(p, "UNILOGIN_EMAIL", UL_F_EMAIL);
		put_env(p, "UNILOGIN_ACCOUNT", UL_F_ACCOUNT);
		put_env(p, "UNILOGIN_ROLE", UL_F_ROLE);
		/* the key that stood for email and password, for the session
		 * history (L11, K1) */
		if (by_key)
			put_env(p, "UNILOGIN_SSHKEY", UL_F_FINGERPRINT);
		/* later modules of the stack may reuse it (use_first_pass) */
		if (!p->o.apikey && !by_key)
			pam_set_item(p->pamh, PAM_AUTHTOK, password);
	}
	sodium_free(password);      /* wipes */
	return code;
}

int
ul_pam_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ul_pam p;
	int r = pm_start(&p, pamh, flags, argc, argv);

	if (r == PAM_SUCCESS)
		r = authenticate(&p);
	pm_finish(&p);
	return r;
}

int
ul_pam_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ul_pam p;
	int r = pm_start(&p, pamh, flags, argc, argv);

	if (r == PAM_SUCCESS) {
		pm_begin(&p, UL_REQ_ACCOUNT_CHECK);
		ul_msg_put_str(p.cl->req, UL_F_EMAIL, pam_getenv(pamh, "UNILOGIN_EMAIL"));
		r = ul_client_call(p.cl);
		if (r == 0 && pm_outside_range(&p)) {
			r = PAM_PERM_DENIED;
		} else if (pm_transport_error(r)) {
			r = pm_unavailable(&p, r);
		} else {
			if (r != 0)
				pam_syslog(pamh, LOG_NOTICE, "account %s refused: %s",
				    p.user, ul_strerror(r));
			r = ul_pam_code(r, true);
		}
	}
	pm_finish(&p);
	return r;
}
