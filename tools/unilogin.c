/* unilogin: the self-service tool.  A person confirms an email, resets a
 * password, and (with the later commands) manages their own login. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/util.h"
#include "tools/cli.h"
#include "unilogin/error.h"
#include "unilogin/proto.h"

#define NEW_PASSWORD {UL_F_NEW_PASSWORD, "New password: ", true}

/* `unilogin reset EMAIL --send` asks for a code; without --send it uses one. */
static int
run_reset(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	static const struct ul_cli_cmd send = {"reset", "EMAIL --send",
	    UL_REQ_SELF_RESET_SEND, {UL_F_EMAIL}, 0, {"send"}, {{0}}, false, NULL};
	static const struct ul_cli_cmd use = {"reset", "EMAIL [CODE]",
	    UL_REQ_SELF_RESET, {UL_F_EMAIL}, UL_F_CODE, {0}, {NEW_PASSWORD}, false, NULL};
	const struct ul_cli_cmd *which = ul_cli_opt(cli, "send") ? &send : &use;

	(void)cmd;
	if (nargs < 1 || nargs > 2 || (which == &send && nargs != 1))
		return ul_cli_usage(cli, which);
	ul_client_begin(cli->cl, which->type);
	ul_msg_put_str(cli->cl->req, UL_F_EMAIL, args[0]);
	if (which == &use) {
		char *code = nargs == 2 ? args[1] : NULL;
		char *typed = code ? NULL : ul_cli_read_secret(cli, "Code: ", false);
		char *pw;

		if (code == NULL && typed == NULL)
			return UL_EXIT_USAGE;
		ul_msg_put_str(cli->cl->req, UL_F_CODE, code ? code : typed);
		ul_free_secret(typed);
		pw = ul_cli_read_secret(cli, "New password: ", true);
		if (pw == NULL)
			return UL_EXIT_USAGE;
		ul_msg_put_str(cli->cl->req, UL_F_NEW_PASSWORD, pw);
		ul_free_secret(pw);
	}
	return ul_cli_call_print(cli, which);
}

/* Puts one answer in the request: a line (echo) or a secret. */
static int
put_answer(struct ul_cli *cli, uint16_t tag, const char *prompt, bool secret)
{
	char *v = secret ? ul_cli_read_secret(cli, prompt, false)
			 : ul_cli_read_line(cli, prompt);

	if (v == NULL) {
		fprintf(stderr, "%s: no answer to %s\n", cli->prog, prompt);
		return UL_EXIT_USAGE;
	}
	ul_msg_put_str(cli->cl->req, tag, v);
	ul_free_secret(v);
	return 0;
}

/* Who is asking, as the PAM module asks: email, password and the current
 * code (empty when none, T5). */
static int
put_who(struct ul_cli *cli)
{
	int r;

	if ((r = put_answer(cli, UL_F_EMAIL, "Email: ", false)) != 0 ||
	    (r = put_answer(cli, UL_F_PASSWORD, "Password: ", true)) != 0)
		return r;
	return put_answer(cli, UL_F_CODE,
	    "Verification code (empty if you have none): ", true);
}

/* The self-service commands first ask who is asking (put_who). */
static int
run_self(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	const char *action = strrchr(cmd->words, ' ');
	int n = 0, r;

	while (n < UL_CLI_MAX_ARGS && cmd->args[n])
		n++;
	if (nargs < n || nargs > n + (cmd->optional_code ? 1 : 0))
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, cmd->type);
	if ((r = put_who(cli)) != 0)
		return r;
	if (cmd->type == UL_REQ_SELF_TFA || cmd->type == UL_REQ_SELF_SSHKEY)
		ul_msg_put_str(cli->cl->req, UL_F_ACTION, action ? action + 1 : cmd->words);
	for (int i = 0; i < n; i++)
		ul_msg_put_str(cli->cl->req, cmd->args[i], args[i]);
	if (ul_cli_put_opts(cli, cmd) != 0)
		return UL_EXIT_USAGE;
	if (cmd->optional_code && nargs > n)
		ul_msg_put_str(cli->cl->req, cmd->optional_code, args[n]);
	else if (cmd->optional_code &&
	    (r = put_answer(cli, cmd->optional_code, "Code of the new method: ", true)) != 0)
		return r;
	for (int i = 0; i < 3 && cmd->secrets[i].tag; i++)
		if ((r = put_answer(cli, cmd->secrets[i].tag, cmd->secrets[i].prompt,
		    true)) != 0)
			return r;
	return ul_cli_call_print(cli, cmd);
}

/* sshkey add [FILE]: who asks (T5), then one key line from FILE, or from
 * stdin after the answers (K1). */
static int
run_sshkey_add(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	int r;

	if (nargs > 1)
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, cmd->type);
	if ((r = put_who(cli)) != 0)
		return r;
	ul_msg_put_str(cli->cl->req, UL_F_ACTION, "add");
	if ((r = ul_cli_put_sshkey(cli, cmd, nargs == 1 ? args[0] : NULL)) != 0)
		return r;
	return ul_cli_call_print(cli, cmd);
}

/* U4: email, password and code (empty when none), then the new password:
 * PASSWD_BEGIN, LOGIN_CODE when a code is needed, PASSWD_CHANGE. */
static int
run_passwd(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	char *email, *pw, *code = NULL, *new = NULL, ticket[200];
	int r, status = UL_EXIT_USAGE;

	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	email = ul_cli_read_line(cli, "Email: ");
	pw = email ? ul_cli_read_secret(cli, "Password: ", false) : NULL;
	code = pw ? ul_cli_read_secret(cli,
	    "Verification code (empty if you have none): ", false) : NULL;
	new = code ? ul_cli_read_secret(cli, "New password: ", true) : NULL;
	if (new == NULL)
		goto out;
	ul_client_begin(cli->cl, UL_REQ_PASSWD_BEGIN);
	ul_msg_put_str(cli->cl->req, UL_F_EMAIL, email);
	ul_msg_put_str(cli->cl->req, UL_F_PASSWORD, pw);
	r = ul_client_call(cli->cl);
	if (r == UL_ENEEDCODE) {
		snprintf(ticket, sizeof(ticket), "%s",
		    ul_msg_str(cli->cl->rep, UL_F_TICKET) ? ul_msg_str(cli->cl->rep, UL_F_TICKET) : "");
		ul_client_begin(cli->cl, UL_REQ_LOGIN_CODE);
		ul_msg_put_str(cli->cl->req, UL_F_TICKET, ticket);
		ul_msg_put_str(cli->cl->req, UL_F_CODE, code);
		r = ul_cli_call(cli, &status);
	} else if (r != 0) {
		status = ul_cli_fail(cli, r);
	}
	if (r != 0)
		goto out;
	snprintf(ticket, sizeof(ticket), "%s",
	    ul_msg_str(cli->cl->rep, UL_F_TICKET) ? ul_msg_str(cli->cl->rep, UL_F_TICKET) : "");
	ul_client_begin(cli->cl, UL_REQ_PASSWD_CHANGE);
	ul_msg_put_str(cli->cl->req, UL_F_TICKET, ticket);
	ul_msg_put_str(cli->cl->req, UL_F_NEW_PASSWORD, new);
	status = ul_cli_call_print(cli, cmd);
out:
	ul_free_secret(email);
	ul_free_secret(pw);
	ul_free_secret(code);
	ul_free_secret(new);
	sodium_memzero(ticket, sizeof(ticket));
	return status;
}

static const struct ul_cli_cmd commands[] = {
	{"passwd", "", UL_REQ_PASSWD_CHANGE, {0}, 0, {0}, {{0}}, false, run_passwd},
	{"tfa enroll", "[--digits 6|7|8 | --sms PHONE]", UL_REQ_SELF_TFA, {0}, 0,
	    {"digits", "sms"}, {{0}}, false, run_self},
	{"tfa confirm", "[CODE]", UL_REQ_SELF_TFA, {0}, UL_F_NEW_CODE, {0}, {{0}},
	    false, run_self},
	{"tfa list", "", UL_REQ_SELF_TFA, {0}, 0, {0}, {{0}}, true, run_self},
	{"tfa remove", "ID", UL_REQ_SELF_TFA, {UL_F_ID}, 0, {0}, {{0}}, false, run_self},
	{"tfa recovery-codes", "", UL_REQ_SELF_TFA, {0}, 0, {0}, {{0}}, false, run_self},
	{"accounts", "", UL_REQ_SELF_ACCOUNTS, {0}, 0, {0}, {{0}}, true, run_self},
	{"link", "PRODUCT ACCOUNT", UL_REQ_SELF_LINK, {UL_F_PRODUCT, UL_F_ACCOUNT},
	    0, {0}, {{UL_F_LEGACY_PASSWORD, "The account's own password: ", false}},
	    false, run_self},
	{"apikey create", "PRODUCT ACCOUNT", UL_REQ_SELF_APIKEY,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, run_self},
	{"sshkey add", "[FILE] [--automation --account ACCOUNT [--product P]]",
	    UL_REQ_SELF_SSHKEY, {0}, 0, {"automation", "account", "product"}, {{0}},
	    false, run_sshkey_add},
	{"sshkey list", "", UL_REQ_SELF_SSHKEY, {0}, 0, {0}, {{0}}, false, run_self},
	{"sshkey remove", "ID", UL_REQ_SELF_SSHKEY, {UL_F_ID}, 0, {0}, {{0}}, false,
	    run_self},
	{"verify", "EMAIL [CODE]", UL_REQ_SELF_VERIFY, {UL_F_EMAIL}, UL_F_CODE, {0},
	    {NEW_PASSWORD}, false, NULL},
	{"reset", "EMAIL [CODE] | reset EMAIL --send", 0, {0}, 0, {"send"}, {{0}},
	    false, run_reset},
	{NULL, NULL, 0, {0}, 0, {0}, {{0}}, false, NULL},
};

int
main(int argc, char **argv)
{
	return ul_cli_main("unilogin", commands, argc, argv);
}
