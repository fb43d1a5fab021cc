/* What the PAM module's files share: one PAM call's state and the steps
 * every operation takes (start, ask, call the helper, tell, finish). */
#ifndef UL_PAM_INTERNAL_H
#define UL_PAM_INTERNAL_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "common/client.h"
#include "pam/module.h"

#define UL_TICKET_MAX 129

struct ul_pam {
	pam_handle_t *pamh;
	int flags;
	struct ul_pam_opts o;
	struct ul_client *cl;
	const char *user;
	const char *service;
	const char *rhost;
	const char *ruser;
	const char *tty;
	char account[UL_ACCOUNT_MAX + 1];   /* from LOOKUP, for the log */
};

/* Reads options and PAM items and prepares the client. */
int pm_start(struct ul_pam *p, pam_handle_t *pamh, int flags, int argc,
    const char **argv);
void pm_finish(struct ul_pam *p);
/* Defence in depth: true (and logged) when PAM_USER, an account the helper
 * named, resolves to a uid outside uid_min..uid_max. */
bool pm_outside_range(struct ul_pam *p);
/* S6: the PAM code when the helper cannot answer. */
int pm_unavailable(struct ul_pam *p, int r);
bool pm_transport_error(int r);
/* Starts a request with the product, PAM_USER and the PAM items. */
void pm_begin(struct ul_pam *p, uint16_t type);
/* Shows the reply's message (or the code's own) unless PAM_SILENT. */
void pm_tell(struct ul_pam *p, int r);
/* One question; the answer is the caller's to wipe and free. */
int pm_ask(struct ul_pam *p, int style, const char *prompt, char **answer);
/* `Verification code: ` against the ticket in the last reply. */
int pm_second_step(struct ul_pam *p);

#endif
