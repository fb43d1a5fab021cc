/* What uniloginctl and unilogin share: parsing, secrets, calls, output. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/util.h"
#include "tools/cli.h"
#include "unilogin/error.h"

#define DEFAULT_CONF SYSCONFDIR "/unilogin/unilogin.conf"

/* O_LOCAL: read by the command's own `run`, never put in a request */
enum opt_kind { O_GLOBAL, O_STR, O_INT, O_BOOL, O_SECRET, O_TIME, O_LOCAL };

struct opt_spec {
	const char *name;
	enum opt_kind kind;
	uint16_t tag;
	bool has_value;
};

static const struct opt_spec opt_specs[] = {
	{"config", O_GLOBAL, 0, true},
	{"socket", O_GLOBAL, 0, true},
	{"json", O_GLOBAL, 0, false},
	{"password-stdin", O_GLOBAL, 0, false},
	{"help", O_GLOBAL, 0, false},
	{"version", O_GLOBAL, 0, false},
	{"display", O_STR, UL_F_DISPLAY_NAME, true},
	{"email", O_STR, UL_F_EMAIL, true},
	{"unix-user", O_STR, UL_F_UNIX_USER, true},
	{"uid", O_INT, UL_F_UID, true},
	{"parent", O_STR, UL_F_PARENT, true},
	{"friendly-name", O_STR, UL_F_FRIENDLY_NAME, true},
	{"legacy-password", O_SECRET, UL_F_LEGACY_PASSWORD, false},
	{"digits", O_INT, UL_F_DIGITS, true},
	{"sms", O_STR, UL_F_PHONE, true},
	{"role", O_STR, UL_F_ROLE, true},
	{"expires-days", O_INT, UL_F_EXPIRES_DAYS, true},
	{"product", O_STR, UL_F_PRODUCT, true},
	{"account", O_STR, UL_F_ACCOUNT, true},
	{"since", O_TIME, UL_F_SINCE, true},
	{"send", O_BOOL, UL_F_SEND, false},
	{"uid-range", O_LOCAL, 0, true},
	{"emails", O_LOCAL, 0, true},
	{"google-authenticator", O_LOCAL, 0, false},
	{"oath-users", O_LOCAL, 0, true},
	{"dry-run", O_LOCAL, 0, false},
	{"automation", O_BOOL, UL_F_AUTOMATION, false},
};

static const struct opt_spec *
find_opt(const char *name)
{
	for (size_t i = 0; i < sizeof(opt_specs) / sizeof(opt_specs[0]); i++)
		if (strcmp(opt_specs[i].name, name) == 0)
			return &opt_specs[i];
	return NULL;
}

const char *
ul_cli_opt(const struct ul_cli *cli, const char *name)
{
	for (int i = 0; i < cli->nopts; i++)
		if (strcmp(cli->opt_name[i], name) == 0)
			return cli->opt_value[i];
	return NULL;
}

static void
print_usage(FILE *f, const char *prog, const struct ul_cli_cmd *cmds)
{
	fprintf(f, "usage: %s [--config FILE] [--socket PATH] [--json] "
	    "[--password-stdin] COMMAND ...\n", prog);
	for (const struct ul_cli_cmd *c = cmds; c->words; c++)
		fprintf(f, "  %s %s %s\n", prog, c->words, c->usage);
}

int
ul_cli_usage(struct ul_cli *cli, const struct ul_cli_cmd *cmd)
{
	fprintf(stderr, "usage: %s %s %s\n", cli->prog, cmd->words, cmd->usage);
	return UL_EXIT_USAGE;
}

/* ---- secrets ---- */

static char *
read_stdin_line(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n < 0) {
		/* at end of input the buffer holds no string: wipe all of it */
		if (line != NULL)
			sodium_memzero(line, cap);
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	return line;
}

static char *
read_tty(const char *prompt, bool echo)
{
	struct termios old, quiet;
	char buf[UL_SECRET_MAX + 2], *out = NULL;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	size_t n = 0;

	if (fd < 0)
		return NULL;
	if (write(fd, prompt, strlen(prompt)) < 0)
		goto done;
	if (!echo && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	if (!echo) {
		tcsetattr(fd, TCSAFLUSH, &old);
		if (write(fd, "\n", 1) < 0) {
			/* only cosmetic */
		}
	}
	out = strdup(buf);
done:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return out;
}

char *
ul_cli_read_secret(struct ul_cli *cli, const char *prompt, bool confirm)
{
	char *a, *b, again[128];

	if (cli->password_stdin)
		return read_stdin_line();
	if (!isatty(STDIN_FILENO) && access("/dev/tty", R_OK) != 0) {
		fprintf(stderr, "%s: no terminal to ask on: use --password-stdin\n",
		    cli->prog);
		return NULL;
	}
	a = read_tty(prompt, false);
	if (a == NULL || !confirm)
		return a;
	snprintf(again, sizeof(again), "Retype %s", prompt);
	again[7] = (char)tolower((unsigned char)again[7]);
	b = read_tty(again, false);
	if (b == NULL || strcmp(a, b) != 0) {
		fprintf(stderr, "%s: the two entries differ\n", cli->prog);
		ul_free_secret(a);
		ul_free_secret(b);
		return NULL;
	}
	ul_free_secret(b);
	return a;
}

char *
ul_cli_read_line(struct ul_cli *cli, const char *prompt)
{
	if (cli->password_stdin)
		return read_stdin_line();
	return read_tty(prompt, true);
}

/* ---- calls ---- */

static int
exit_for(int r)
{
	if (r == UL_EUNAVAIL || r == UL_ETIMEDOUT || r == UL_ETRUST ||
	    r == UL_EVERSION || r == UL_EPROTO || r == UL_EIO)
		return UL_EXIT_UNREACHABLE;
	return ul_exit_status(r);
}

int
ul_cli_fail(struct ul_cli *cli, int r)
{
	char safe[UL_TEXT_MAX + 1];
	const char *msg;

	if (r == 0)
		return UL_EXIT_OK;
	msg = exit_for(r) == UL_EXIT_UNREACHABLE && r != UL_EVERSION
	    ? NULL : ul_client_message(cli->cl);
	/* a message may quote what a client sent: no escape reaches the
	 * terminal (row 9) */
	if (msg != NULL)
		msg = ul_text_safe(msg, safe, sizeof(safe));
	if (exit_for(r) == UL_EXIT_UNREACHABLE)
		fprintf(stderr, "%s: %s: %s\n", cli->prog, cli->conf.socket,
		    msg ? msg : ul_strerror(r));
	else
		fprintf(stderr, "%s: %s\n", cli->prog, msg ? msg : ul_strerror(r));
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "result", json_object_new_int(r));
		json_object_object_add(o, "error",
		    json_object_new_string(msg ? msg : ul_strerror(r)));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		json_object_put(o);
	}
	return exit_for(r);
}

int
ul_cli_call(struct ul_cli *cli, int *status)
{
	int r = ul_client_call(cli->cl);

	*status = ul_cli_fail(cli, r);
	return r;
}

int
ul_cli_call_print(struct ul_cli *cli, const struct ul_cli_cmd *cmd)
{
	char after[1100];
	const char *next, *msg;
	int status, r;

	ul_cli_output_start();
	for (;;) {
		r = ul_cli_call(cli, &status);
		if (r != 0 && r != UL_EDELIVERY)
			return status;
		ul_cli_print(cli);
		msg = ul_client_message(cli->cl);
		next = ul_msg_str(cli->cl->rep, UL_F_NEXT);
		if (!cmd->paged || next == NULL || next[0] == '\0')
			break;
		/* the next page: the same request with UL_F_AFTER */
		snprintf(after, sizeof(after), "%s", next);
		ul_msg_start(cli->cl->req, cmd->type);
		ul_cli_put_opts(cli, cmd);
		ul_msg_put_str(cli->cl->req, UL_F_AFTER, after);
	}
	ul_cli_output_end(cli, cmd->paged);
	if (msg != NULL && !cli->json && r == 0) {
		char safe[UL_TEXT_MAX + 1];

		printf("%s\n", ul_text_safe(msg, safe, sizeof(safe)));
	}
	return status;
}

/* ---- the request ---- */

static int
parse_iso(const char *s, int64_t *out)
{
	struct tm tm = {0};
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (end == NULL) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (end == NULL || (*end != '\0' && strcmp(end, "Z") != 0))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

int
ul_cli_put_opts(struct ul_cli *cli, const struct ul_cli_cmd *cmd)
{
	for (int i = 0; i < UL_CLI_MAX_OPTS && cmd->opts[i]; i++) {
		const struct opt_spec *o = find_opt(cmd->opts[i]);
		const char *v = ul_cli_opt(cli, cmd->opts[i]);
		int64_t n;
		char *end;

		if (o == NULL || v == NULL)
			continue;
		switch (o->kind) {
		case O_STR:
			ul_msg_put_str(cli->cl->req, o->tag, v);
			break;
		case O_INT:
			errno = 0;
			n = strtoll(v, &end, 10);
			if (errno != 0 || *end != '\0' || end == v) {
				fprintf(stderr, "%s: --%s: not a number: %s\n", cli->prog,
				    o->name, v);
				return UL_EINVAL;
			}
			ul_msg_put_int(cli->cl->req, o->tag, n);
			break;
		case O_TIME:
			if (parse_iso(v, &n) != 0) {
				fprintf(stderr, "%s: --%s: expected YYYY-MM-DD[THH:MM:SS]\n",
				    cli->prog, o->name);
				return UL_EINVAL;
			}
			ul_msg_put_int(cli->cl->req, o->tag, n);
			break;
		case O_BOOL:
			ul_msg_put_bool(cli->cl->req, o->tag, true);
			break;
		case O_SECRET:
		case O_GLOBAL:
		case O_LOCAL:
			break;
		}
	}
	return cli->cl->req->error;
}

/* Reads one secret into the request; UL_EINVAL at end of input. */
static int
put_secret(struct ul_cli *cli, uint16_t tag, const char *prompt, bool confirm)
{
	UL_SECRET char *s = ul_cli_read_secret(cli, prompt, confirm);

	if (s == NULL) {
		fprintf(stderr, "%s: no %s given\n", cli->prog, ul_field_info(tag)->name);
		return UL_EINVAL;
	}
	ul_msg_put_str(cli->cl->req, tag, s);
	return 0;
}

static int
run_generic(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	int n = 0;

	while (n < UL_CLI_MAX_ARGS && cmd->args[n])
		n++;
	if (nargs < n || nargs > n + (cmd->optional_code ? 1 : 0))
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, cmd->type);
	for (int i = 0; i < n; i++)
		ul_msg_put_str(cli->cl->req, cmd->args[i], args[i]);
	if (ul_cli_put_opts(cli, cmd) != 0)
		return UL_EXIT_USAGE;
	if (cmd->optional_code) {
		if (nargs > n)
			ul_msg_put_str(cli->cl->req, cmd->optional_code, args[n]);
		else if (put_secret(cli, cmd->optional_code, "Code: ", false) != 0)
			return UL_EXIT_USAGE;
	}
	for (int i = 0; i < 3 && cmd->secrets[i].tag; i++)
		if (put_secret(cli, cmd->secrets[i].tag, cmd->secrets[i].prompt,
			cmd->secrets[i].confirm) != 0)
			return UL_EXIT_USAGE;
	for (int i = 0; i < UL_CLI_MAX_OPTS && cmd->opts[i]; i++) {
		const struct opt_spec *o = find_opt(cmd->opts[i]);

		if (o && o->kind == O_SECRET && ul_cli_opt(cli, o->name) &&
		    put_secret(cli, o->tag, "New password: ", true) != 0)
			return UL_EXIT_USAGE;
	}
	return ul_cli_call_print(cli, cmd);
}

/* ---- SSH keys ---- */

/* One key line from f: blank lines and `#` comments are skipped, a
 * second key line is refused (a line break would smuggle a key in).  The
 * helper judges the key itself. */
static int
read_key_line(struct ul_cli *cli, FILE *f, const char *name, char **out)
{
	char *line = NULL, *key = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, f)) >= 0) {
		char *p = line;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (key != NULL) {
			fprintf(stderr, "%s: %s holds more than one key line: give one "
			    "key\n", cli->prog, name);
			free(key);
			free(line);
			return UL_EXIT_RULE;
		}
		if (strlen(p) != (size_t)n - (size_t)(p - line)) {
			fprintf(stderr, "%s: %s: the key line holds a NUL byte\n", cli->prog,
			    name);
			free(line);
			return UL_EXIT_RULE;
		}
		if (strlen(p) > UL_SSHKEY_LINE_MAX) {
			fprintf(stderr, "%s: key refused: the key line is too long (%zu "
			    "bytes; at most %d)\n", cli->prog, strlen(p), UL_SSHKEY_LINE_MAX);
			free(line);
			return UL_EXIT_RULE;
		}
		key = strdup(p);
		if (key == NULL)
			break;
		/* a pasted key on a terminal ends with its line */
		if (f == stdin && isatty(STDIN_FILENO))
			break;
	}
	free(line);
	if (key == NULL) {
		fprintf(stderr, "%s: no key line in %s\n", cli->prog, name);
		return UL_EXIT_USAGE;
	}
	*out = key;
	return 0;
}

int
ul_cli_put_sshkey(struct ul_cli *cli, const struct ul_cli_cmd *cmd,
    const char *file)
{
	FILE *f = stdin;
	char *key = NULL;
	int r;

	if (ul_cli_put_opts(cli, cmd) != 0)
		return UL_EXIT_USAGE;
	/* an automation key's account is of this host's product by default */
	if (ul_cli_opt(cli, "automation") && !ul_cli_opt(cli, "product") &&
	    cli->conf.product[0])
		ul_msg_put_str(cli->cl->req, UL_F_PRODUCT, cli->conf.product);

	if (file != NULL && strcmp(file, "-") != 0 &&
	    (f = fopen(file, "re")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", cli->prog, file, strerror(errno));
		return UL_EXIT_USAGE;
	}
	if (f == stdin && isatty(STDIN_FILENO))
		fprintf(stderr, "Paste one OpenSSH public key line: ");
	r = read_key_line(cli, f, f == stdin ? "stdin" : file, &key);
	if (f != stdin)
		fclose(f);
	if (r != 0)
		return r;
	ul_msg_put_str(cli->cl->req, UL_F_SSHKEY, key);
	free(key);
	return cli->cl->req->error != 0 ? UL_EXIT_USAGE : 0;
}

/* ---- argv ---- */

static int
parse_options(struct ul_cli *cli, int argc, char **argv, char **pos, int *npos)
{
	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const struct opt_spec *o;
		const char *name, *eq;
		char buf[64];

		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			pos[(*npos)++] = argv[i];
			continue;
		}
		name = argv[i] + 2;
		eq = strchr(name, '=');
		snprintf(buf, sizeof(buf), "%.*s", eq ? (int)(eq - name) : (int)strlen(name),
		    name);
		o = find_opt(buf);
		if (o == NULL || cli->nopts >= (int)(sizeof(cli->opt_name) / sizeof(cli->opt_name[0]))) {
			fprintf(stderr, "%s: unknown option --%s\n", cli->prog, buf);
			return UL_EXIT_USAGE;
		}
		cli->opt_name[cli->nopts] = o->name;
		if (!o->has_value) {
			cli->opt_value[cli->nopts++] = "";
			continue;
		}
		if (eq == NULL && i + 1 >= argc) {
			fprintf(stderr, "%s: --%s needs a value\n", cli->prog, o->name);
			return UL_EXIT_USAGE;
		}
		cli->opt_value[cli->nopts++] = eq ? eq + 1 : argv[++i];
	}
	return 0;
}

/* The command whose words start the positional arguments (longest match). */
static const struct ul_cli_cmd *
match(const struct ul_cli_cmd *cmds, char **pos, int npos, int *used)
{
	const struct ul_cli_cmd *best = NULL;

	*used = 0;
	for (const struct ul_cli_cmd *c = cmds; c->words; c++) {
		char words[64], *save, *w;
		int n = 0;
		bool ok = true;

		snprintf(words, sizeof(words), "%s", c->words);
		for (w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save), n++)
			if (n >= npos || strcmp(w, pos[n]) != 0) {
				ok = false;
				break;
			}
		if (ok && n > *used) {
			best = c;
			*used = n;
		}
	}
	return best;
}

static bool
opt_allowed(const struct ul_cli_cmd *cmd, const char *name)
{
	const struct opt_spec *o = find_opt(name);

	if (o != NULL && o->kind == O_GLOBAL)
		return true;
	for (int i = 0; i < UL_CLI_MAX_OPTS && cmd->opts[i]; i++)
		if (strcmp(cmd->opts[i], name) == 0)
			return true;
	return false;
}

static int
setup(struct ul_cli *cli)
{
	const char *conf = ul_cli_opt(cli, "config");
	const char *sock = ul_cli_opt(cli, "socket");
	char err[UL_CONF_ERR_MAX];

	ul_conf_defaults(&cli->conf);
	if (ul_conf_load(&cli->conf, conf ? conf : DEFAULT_CONF, conf == NULL, err,
		sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", cli->prog, err);
		return UL_EXIT_USAGE;
	}
	if (sock != NULL && ul_conf_set(&cli->conf, "socket", sock, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: --%s\n", cli->prog, err);
		return UL_EXIT_USAGE;
	}
	if (ul_client_new(&cli->cl, cli->conf.socket, (int)cli->conf.timeout * 1000,
		cli->conf.user) != 0) {
		fprintf(stderr, "%s: out of memory\n", cli->prog);
		return UL_EXIT_RULE;
	}
	return 0;
}

int
ul_cli_main(const char *prog, const struct ul_cli_cmd *cmds, int argc,
    char **argv)
{
	static struct ul_cli cli;
	const struct ul_cli_cmd *cmd;
	char **pos = calloc((size_t)argc + 1, sizeof(char *));
	int npos, used, r;

	cli.prog = prog;
	cli.cmds = cmds;
	if (pos == NULL || sodium_init() < 0)
		return UL_EXIT_RULE;
	r = parse_options(&cli, argc, argv, pos, &npos);
	if (r != 0)
		goto out;
	if (ul_cli_opt(&cli, "version")) {
		printf("%s %s\n", prog, PACKAGE_VERSION);
		goto out;
	}
	cmd = match(cmds, pos, npos, &used);
	if (ul_cli_opt(&cli, "help") || cmd == NULL) {
		print_usage(cmd == NULL && !ul_cli_opt(&cli, "help") ? stderr : stdout,
		    prog, cmds);
		r = ul_cli_opt(&cli, "help") ? 0 : UL_EXIT_USAGE;
		goto out;
	}
	for (int i = 0; i < cli.nopts; i++)
		if (!opt_allowed(cmd, cli.opt_name[i])) {
			fprintf(stderr, "%s: %s takes no --%s\n", prog, cmd->words,
			    cli.opt_name[i]);
			r = ul_cli_usage(&cli, cmd);
			goto out;
		}
	cli.json = ul_cli_opt(&cli, "json") != NULL;
	cli.password_stdin = ul_cli_opt(&cli, "password-stdin") != NULL;
	r = setup(&cli);
	if (r != 0)
		goto out;
	r = cmd->run ? cmd->run(&cli, cmd, pos + used, npos - used)
		     : run_generic(&cli, cmd, pos + used, npos - used);
out:
	ul_client_free(cli.cl);
	free(pos);
	return r;
}
