/* pam_unilogin's `password` (U4, L1) and `session` (L11) parts.
 *
 * password: the preliminary phase asks `Email: `, `Current password: ` and
 * the code when the user has two-factor (a legacy account: its own current
 * password only) and keeps the helper's change ticket in the PAM handle;
 * the update phase takes PAM_AUTHTOK from an earlier module (use_authtok)
 * or asks `New password: ` twice, and spends the ticket on it.  A user
 * that is not ours is PAM_USER_UNKNOWN in both phases.
 * session: open and close are recorded in the product's session history
 * (best effort: PAM_IGNORE when it cannot be recorded). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sodium.h>

#include "common/util.h"
#include "pam/internal.h"
#include "unilogin/error.h"

#define CHANGE_TICKET "unilogin_change_ticket"
#define NOT_OURS "unilogin_not_ours"
#define SESSION_ID "unilogin_session_id"

static void
wipe_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	ul_free_secret(data);
}

/* The current password (and email, code) for a change ticket. */
static int
prelim(struct ul_pam *p)
{
	UL_SECRET char *email = NULL;
	UL_SECRET char *current = NULL;
	const char *kind, *ticket;
	char *copy;
	bool linked;
	int r;

	pm_begin(p, UL_REQ_LOOKUP);
	r = ul_client_call(p->cl);
	if (r != 0)
		return r;
	kind = ul_msg_str(p->cl->rep, UL_F_KIND);
	linked = kind != NULL && strcmp(kind, "linked") == 0;
	if (linked && pm_ask(p, PAM_PROMPT_ECHO_ON, "Email: ", &email) != PAM_SUCCESS)
		return UL_EINVAL;
	if (pm_ask(p, PAM_PROMPT_ECHO_OFF, "Current password: ", &current) != PAM_SUCCESS)
		return UL_EINVAL;
	pm_begin(p, UL_REQ_PASSWD_BEGIN);
	ul_msg_put_str(p->cl->req, UL_F_EMAIL, email);
	ul_msg_put_str(p->cl->req, UL_F_PASSWORD, current);
	r = ul_client_call(p->cl);
	if (r == UL_ENEEDCODE)
		r = pm_second_step(p);
	if (r != 0)
		return r;
	ticket = ul_msg_str(p->cl->rep, UL_F_TICKET);
	copy = ticket ? strdup(ticket) : NULL;
	if (copy == NULL)
		return UL_EPROTO;
	if (pam_set_data(p->pamh, CHANGE_TICKET, copy, wipe_data) != PAM_SUCCESS) {
		ul_free_secret(copy);
		return UL_ENOMEM;
	}
	return 0;
}

/* The new password: PAM_AUTHTOK with use_authtok, else asked twice. */
static int
new_password(struct ul_pam *p, char **out)
{
	UL_SECRET char *again = NULL;
	const void *tok = NULL;

	*out = NULL;
	if (p->o.use_authtok) {
		if (pam_get_item(p->pamh, PAM_AUTHTOK, &tok) != PAM_SUCCESS || tok == NULL)
			return PAM_AUTHTOK_ERR;
		*out = strdup(tok);
		return *out ? PAM_SUCCESS : PAM_BUF_ERR;
	}
	if (pm_ask(p, PAM_PROMPT_ECHO_OFF, "New password: ", out) != PAM_SUCCESS ||
	    pm_ask(p, PAM_PROMPT_ECHO_OFF, "Retype new password: ", &again) != PAM_SUCCESS)
		return PAM_AUTHTOK_ERR;
	if (strcmp(*out, again) != 0) {
		if (!(p->flags & PAM_SILENT))
			pam_error(p->pamh, "Sorry, passwords do not match.");
		ul_free_secret(*out);
		*out = NULL;
		return PAM_AUTHTOK_ERR;
	}
	pam_set_item(p->pamh, PAM_AUTHTOK, *out);
	return PAM_SUCCESS;
}

static int
update(struct ul_pam *p)
{
	UL_SECRET char *pw = NULL;
	const void *ticket = NULL;
	int r, code;

	if (pam_get_data(p->pamh, CHANGE_TICKET, &ticket) != PAM_SUCCESS || ticket == NULL)
		return PAM_AUTHTOK_ERR;    /* the preliminary phase did not pass */
	code = new_password(p, &pw);
	if (code != PAM_SUCCESS)
		return code;
	pm_begin(p, UL_REQ_PASSWD_CHANGE);
	ul_msg_put_str(p->cl->req, UL_F_TICKET, ticket);
	ul_msg_put_str(p->cl->req, UL_F_NEW_PASSWORD, pw);
	r = ul_client_call(p->cl);
	pam_set_data(p->pamh, CHANGE_TICKET, NULL, NULL);
	if (pm_transport_error(r))
		return pm_unavailable(p, r);
	pam_syslog(p->pamh, r == 0 ? LOG_INFO : LOG_NOTICE,
	    "password change for %s: %s", p->user, ul_strerror(r));
	if (r != 0) {
		pm_tell(p, r);
		return PAM_AUTHTOK_ERR;
	}
	if (!(p->flags & PAM_SILENT) && ul_client_message(p->cl) != NULL)
		pam_info(p->pamh, "%s", ul_client_message(p->cl));
	return PAM_SUCCESS;
}

/* The update phase for a user the preliminary phase left to the stack
 * (not an account of this product; a local user while the helper is
 * down).  Linux-PAM does not freeze the password stack between the two
 * phases, so this answer counts again: PAM_USER_UNKNOWN, never an error.
 * With no new password from an earlier module it asks one, as pam_unix
 * would, for the modules after it: pam-auth-update gives pam_unix
 * `use_authtok` once it is not first in common-password, and every local
 * password change would fail there without one. */
static int
update_not_ours(struct ul_pam *p)
{
	UL_SECRET char *pw = NULL;
	const void *tok = NULL;
	int code;

	if (p->o.use_authtok ||
	    (pam_get_item(p->pamh, PAM_AUTHTOK, &tok) == PAM_SUCCESS && tok != NULL))
		return PAM_USER_UNKNOWN;
	code = new_password(p, &pw);
	return code == PAM_SUCCESS ? PAM_USER_UNKNOWN : code;
}

int
ul_pam_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *not_ours = NULL;
	struct ul_pam p;
	int r = pm_start(&p, pamh, flags, argc, argv);

	if (r == PAM_SUCCESS && (flags & PAM_PRELIM_CHECK)) {
		r = prelim(&p);
		if (pm_transport_error(r)) {
			r = pm_unavailable(&p, r);
		} else if (r == UL_EINVAL) {
			r = PAM_CONV_ERR;
		} else {
			if (r != 0 && r != UL_ENOACCOUNT)
				pm_tell(&p, r);
			r = r == UL_ENOACCOUNT ? PAM_USER_UNKNOWN : r == 0 ? PAM_SUCCESS
			    : r == UL_ELOCKEDOUT ? PAM_MAXTRIES : PAM_AUTH_ERR;
		}
		pam_set_data(pamh, NOT_OURS, r == PAM_USER_UNKNOWN ? NOT_OURS : NULL, NULL);
	} else if (r == PAM_SUCCESS && (flags & PAM_UPDATE_AUTHTOK)) {
		if (pam_get_data(pamh, NOT_OURS, &not_ours) == PAM_SUCCESS && not_ours != NULL)
			r = update_not_ours(&p);
		else
			r = update(&p);
	}
	pm_finish(&p);
	return r;
}

int
ul_pam_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct ul_pam p;
	const char *id;
	char *copy;
	int r = pm_start(&p, pamh, flags, argc, argv);

	if (r == PAM_SUCCESS) {
		pm_begin(&p, UL_REQ_SESSION_OPEN);
		ul_msg_put_str(p.cl->req, UL_F_EMAIL, pam_getenv(pamh, "UNILOGIN_EMAIL"));
		ul_msg_put_str(p.cl->req, UL_F_FINGERPRINT,
		    pam_getenv(pamh, "UNILOGIN_SSHKEY"));
		r = ul_client_call(p.cl);
		/* the history is best effort: a session that cannot be recorded
		 * (no product account, no helper) is logged, never refused */
		if (r != 0) {
			if (r != UL_ENOACCOUNT)
				pam_syslog(pamh, LOG_WARNING, "session of %s not recorded: %s",
				    p.user, ul_strerror(r));
			r = PAM_IGNORE;
		} else {
			id = ul_msg_str(p.cl->rep, UL_F_ID);
			copy = id ? strdup(id) : NULL;
			r = copy && pam_set_data(pamh, SESSION_ID, copy, wipe_data) ==
			    PAM_SUCCESS ? PAM_SUCCESS : PAM_SESSION_ERR;
		}
	}
	pm_finish(&p);
	return r;
}

int
ul_pam_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *id = NULL;
	struct ul_pam p;
	int r;

	if (pam_get_data(pamh, SESSION_ID, &id) != PAM_SUCCESS || id == NULL)
		return PAM_IGNORE;      /* no session of ours was opened here */
	r = pm_start(&p, pamh, flags, argc, argv);
	if (r == PAM_SUCCESS) {
		pm_begin(&p, UL_REQ_SESSION_CLOSE);
		ul_msg_put_str(p.cl->req, UL_F_ID, id);
		r = ul_client_call(p.cl);
		if (r != 0)
			pam_syslog(pamh, LOG_WARNING, "end of session %s not recorded: %s",
			    (const char *)id, ul_strerror(r));
		r = r == 0 ? PAM_SUCCESS : PAM_IGNORE;
	}
	pm_finish(&p);
	return r;
}
