/* The .so exports pam_sm_* and nothing else (a version script): dlopen it
 * and look for the entry points and for a few internal names. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	static const char *const wanted[] = {"pam_sm_authenticate",
	    "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_open_session",
	    "pam_sm_close_session", "pam_sm_chauthtok"};
	static const char *const hidden[] = {"ul_pam_authenticate", "ul_msg_new",
	    "ul_client_call", "ul_conf_load", "ul_strerror"};
	const char *path = argc > 1 ? argv[1] : ".libs/pam_unilogin.so";
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	int failed = 0;

	if (h == NULL) {
		printf("FAIL: dlopen %s: %s\n", path, dlerror());
		return 1;
	}
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
		int ok = dlsym(h, wanted[i]) != NULL;

		printf("%s: exports %s\n", ok ? "PASS" : "FAIL", wanted[i]);
		failed |= !ok;
	}
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		int ok = dlsym(h, hidden[i]) == NULL;

		printf("%s: does not export %s\n", ok ? "PASS" : "FAIL", hidden[i]);
		failed |= !ok;
	}
	dlclose(h);
	return failed;
}
