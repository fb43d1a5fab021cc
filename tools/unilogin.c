/* unilogin: the self-service tool.  A person confirms an email, resets a
 * password, and (with the later commands) manages their own login. */
#include "config.h"

#include "common/util.h"
#include "tools/cli.h"
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

static const struct ul_cli_cmd commands[] = {
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
