/* The PAM module's logic, in a convenience library that tests link; the
 * .so (pam_unilogin.c) holds only the pam_sm_* entry points. */
#ifndef UL_PAM_MODULE_H
#define UL_PAM_MODULE_H

#include <stdbool.h>

#include <security/pam_modules.h>

#include "common/conf.h"

struct ul_pam_opts {
	struct ul_conf conf;
	bool debug;
	bool use_first_pass;
	bool try_first_pass;
	bool use_authtok;
	bool apikey;
};

/* Reads the config (conf= or the default path) and the module options.
 * Unknown options are logged and ignored; a bad config is PAM_SERVICE_ERR. */
int ul_pam_options(pam_handle_t *pamh, int argc, const char **argv,
    struct ul_pam_opts *o);

int ul_pam_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv);
int ul_pam_acct_mgmt(pam_handle_t *pamh, int flags, int argc,
    const char **argv);
int ul_pam_open_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv);
int ul_pam_close_session(pam_handle_t *pamh, int flags, int argc,
    const char **argv);
int ul_pam_chauthtok(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

/* The PAM code for a helper's answer: `account` for pam_sm_acct_mgmt. */
int ul_pam_code(int result, bool account);

#endif
