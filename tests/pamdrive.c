/* pamdrive: runs PAM operations through the real libpam with a service
 * directory of the test's own (pam_start_confdir), answering prompts from
 * stdin one line each, and prints what a person would see:
 *
 *   prompt: Email:              a question with echo
 *   prompt(hidden): Password:   a question without echo
 *   error: ...  / info: ...     messages
 *   auth: PAM_AUTH_ERR          each operation's result
 *   env: UNILOGIN_EMAIL=...     the PAM environment after the operations
 *
 * usage: pamdrive [-d CONFDIR] [-r RHOST] [-t TTY] [-e NAME=VALUE] [-o OPS]
 *                 SERVICE USER
 * -e puts a variable in the PAM environment first (as an earlier `auth`
 * would; repeatable).
 * OPS is a comma list of auth, acct, open, close, passwd, setcred (default
 * auth,acct).  The exit status is 0 when every operation succeeded, else
 * the PAM code of the first that did not.  Used by the tests and the demo. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

static const struct { int code; const char *name; } names[] = {
	{PAM_SUCCESS, "PAM_SUCCESS"},
	{PAM_AUTH_ERR, "PAM_AUTH_ERR"},
	{PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN"},
	{PAM_MAXTRIES, "PAM_MAXTRIES"},
	{PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL"},
	{PAM_PERM_DENIED, "PAM_PERM_DENIED"},
	{PAM_ACCT_EXPIRED, "PAM_ACCT_EXPIRED"},
	{PAM_SERVICE_ERR, "PAM_SERVICE_ERR"},
	{PAM_CONV_ERR, "PAM_CONV_ERR"},
	{PAM_IGNORE, "PAM_IGNORE"},
	{PAM_BUF_ERR, "PAM_BUF_ERR"},
	{PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR"},
	{PAM_CRED_INSUFFICIENT, "PAM_CRED_INSUFFICIENT"},
	{PAM_NEW_AUTHTOK_REQD, "PAM_NEW_AUTHTOK_REQD"},
	{PAM_AUTHTOK_ERR, "PAM_AUTHTOK_ERR"},
	{PAM_AUTHTOK_RECOVERY_ERR, "PAM_AUTHTOK_RECOVERY_ERR"},
	{PAM_AUTHTOK_LOCK_BUSY, "PAM_AUTHTOK_LOCK_BUSY"},
	{PAM_TRY_AGAIN, "PAM_TRY_AGAIN"},
	{PAM_SESSION_ERR, "PAM_SESSION_ERR"},
	{PAM_ABORT, "PAM_ABORT"},
};

static const char *
code_name(int code)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == code)
			return names[i].name;
	return "PAM_?";
}

static char *
next_answer(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static int
converse(int n, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	(void)data;
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_ON:
		case PAM_PROMPT_ECHO_OFF:
			printf("prompt%s: %s\n",
			    msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "(hidden)" : "",
			    msg[i]->msg);
			fflush(stdout);
			r[i].resp = next_answer();
			if (r[i].resp == NULL) {
				for (int j = 0; j < i; j++)
					free(r[j].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			break;
		case PAM_ERROR_MSG:
			printf("error: %s\n", msg[i]->msg);
			break;
		default:
			printf("info: %s\n", msg[i]->msg);
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static int
run_op(pam_handle_t *pamh, const char *op)
{
	if (strcmp(op, "auth") == 0)
		return pam_authenticate(pamh, 0);
	if (strcmp(op, "acct") == 0)
		return pam_acct_mgmt(pamh, 0);
	if (strcmp(op, "open") == 0)
		return pam_open_session(pamh, 0);
	if (strcmp(op, "close") == 0)
		return pam_close_session(pamh, 0);
	if (strcmp(op, "passwd") == 0)
		return pam_chauthtok(pamh, 0);
	if (strcmp(op, "setcred") == 0)
		return pam_setcred(pamh, PAM_ESTABLISH_CRED);
	fprintf(stderr, "pamdrive: unknown operation %s\n", op);
	return PAM_SYSTEM_ERR;
}

int
main(int argc, char **argv)
{
	struct pam_conv conv = {converse, NULL};
	const char *confdir = NULL, *rhost = NULL, *tty = NULL;
	char ops[256] = "auth,acct", *save, *op;
	const char *envs[16];
	int nenv = 0;
	pam_handle_t *pamh;
	int opt, r, first = PAM_SUCCESS;
	char **env;

	while ((opt = getopt(argc, argv, "d:r:t:o:e:")) != -1) {
		switch (opt) {
		case 'd': confdir = optarg; break;
		case 'r': rhost = optarg; break;
		case 't': tty = optarg; break;
		case 'o': snprintf(ops, sizeof(ops), "%s", optarg); break;
		case 'e':
			if (nenv < 16)
				envs[nenv++] = optarg;
			break;
		default: return 2;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: pamdrive [-d CONFDIR] [-r RHOST] [-t TTY] "
		    "[-e NAME=VALUE] [-o OPS] SERVICE USER\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = pam_start_confdir(argv[optind], argv[optind + 1], &conv, confdir, &pamh);
	if (r != PAM_SUCCESS) {
		printf("start: %s\n", code_name(r));
		return r;
	}
	if (rhost)
		pam_set_item(pamh, PAM_RHOST, rhost);
	if (tty)
		pam_set_item(pamh, PAM_TTY, tty);
	for (int i = 0; i < nenv; i++)
		pam_putenv(pamh, envs[i]);
	for (op = strtok_r(ops, ",", &save); op; op = strtok_r(NULL, ",", &save)) {
		r = run_op(pamh, op);
		printf("%s: %s\n", op, code_name(r));
		if (r != PAM_SUCCESS) {
			first = r;
			break;
		}
	}
	env = pam_getenvlist(pamh);
	for (char **e = env; e && *e; e++) {
		printf("env: %s\n", *e);
		free(*e);
	}
	free(env);
	pam_end(pamh, r);
	return first;
}
