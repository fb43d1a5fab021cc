/* What uniloginctl and unilogin share: a declarative command table, option
 * parsing, reading secrets (terminal or --password-stdin), calling the
 * helper and printing its answer as text or --json. */
#ifndef UL_CLI_H
#define UL_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/client.h"
#include "common/conf.h"

#define UL_CLI_MAX_ARGS 4
#define UL_CLI_MAX_OPTS 12

/* Exit statuses (INTERFACES.md). */
enum { UL_EXIT_OK = 0, UL_EXIT_RULE = 1, UL_EXIT_USAGE = 2,
	UL_EXIT_UNREACHABLE = 3, UL_EXIT_DENIED = 4 };

struct ul_cli;

/* A secret the command reads (never from argv, S4). */
struct ul_cli_secret {
	uint16_t tag;
	const char *prompt;
	bool confirm;               /* a new secret: asked twice on a terminal */
};

struct ul_cli_cmd {
	const char *words;          /* "user add" */
	const char *usage;          /* "EMAIL [--display NAME]" */
	uint16_t type;              /* request; 0 when `run` does everything */
	uint16_t args[UL_CLI_MAX_ARGS];  /* positional arguments, in order */
	uint16_t optional_code;     /* a trailing CODE argument, else read */
	const char *opts[UL_CLI_MAX_OPTS]; /* the options it takes */
	struct ul_cli_secret secrets[3];   /* read after the arguments */
	bool paged;                 /* a list: follow UL_F_NEXT */
	int (*run)(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
	    int nargs);
};

struct ul_cli {
	const char *prog;
	const struct ul_cli_cmd *cmds;
	bool json;
	bool password_stdin;
	struct ul_conf conf;
	struct ul_client *cl;
	/* options given on the command line: name -> value ("" for flags) */
	const char *opt_name[UL_CLI_MAX_OPTS * 2];
	const char *opt_value[UL_CLI_MAX_OPTS * 2];
	int nopts;
};

/* Parses argv, finds the command and runs it; returns the exit status. */
int ul_cli_main(const char *prog, const struct ul_cli_cmd *cmds, int argc,
    char **argv);

/* For `run` functions. */
const char *ul_cli_opt(const struct ul_cli *cli, const char *name);
/* Reads one secret (terminal without echo, or a line of stdin); NULL at end
 * of input.  The caller wipes and frees it. */
char *ul_cli_read_secret(struct ul_cli *cli, const char *prompt, bool confirm);
/* Reads one line that is not secret (an email): terminal with echo or stdin. */
char *ul_cli_read_line(struct ul_cli *cli, const char *prompt);
/* Puts the command's options into the request being built. */
int ul_cli_put_opts(struct ul_cli *cli, const struct ul_cli_cmd *cmd);
/* Puts the options of cmd and one OpenSSH public key line, read from FILE
 * (or stdin when NULL or "-"), into the request; 0 or an exit status (the
 * message printed). */
int ul_cli_put_sshkey(struct ul_cli *cli, const struct ul_cli_cmd *cmd,
    const char *file);
/* Calls the helper with cli->cl->req and prints the reply; exit status. */
int ul_cli_call_print(struct ul_cli *cli, const struct ul_cli_cmd *cmd);
/* Calls the helper; on failure prints the error; returns the result code
 * (0 on success) and sets *status to the exit status. */
int ul_cli_call(struct ul_cli *cli, int *status);
/* Prints the error of result r (when not 0); returns its exit status. */
int ul_cli_fail(struct ul_cli *cli, int r);
/* output.c: a new listing begins; the listing (or document) ends, and
 * with --json the document is printed. */
void ul_cli_output_start(void);
void ul_cli_output_end(struct ul_cli *cli, bool list);
/* Prints the current reply (text or JSON). */
void ul_cli_print(struct ul_cli *cli);
/* Prints a usage error for cmd and returns UL_EXIT_USAGE. */
int ul_cli_usage(struct ul_cli *cli, const struct ul_cli_cmd *cmd);

#endif
