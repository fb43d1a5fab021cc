/* uniloginctl: the admin tool.  Each command is a row of the table: its
 * words, its arguments, the request it sends; the helper decides. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/util.h"

#include "tools/cli.h"
#include "tools/migrate.h"
#include "unilogin/proto.h"

#define NEW_PASSWORD {UL_F_NEW_PASSWORD, "New password: ", true}

/* export: every page's lines to stdout, as they come. */
static int
run_export(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	char after[1100] = "";
	int status = 0;

	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	do {
		ul_client_begin(cli->cl, UL_REQ_EXPORT);
		if (after[0])
			ul_msg_put_str(cli->cl->req, UL_F_AFTER, after);
		if (ul_cli_call(cli, &status) != 0)
			return status;
		for (unsigned i = 0; i < cli->cl->rep->nfields; i++)
			if (cli->cl->rep->fields[i].tag == UL_F_DATA)
				printf("%s\n", ul_field_str(cli->cl->rep, &cli->cl->rep->fields[i]));
		snprintf(after, sizeof(after), "%s", ul_msg_str(cli->cl->rep, UL_F_NEXT) ?
		    ul_msg_str(cli->cl->rep, UL_F_NEXT) : "");
	} while (after[0]);
	return fflush(stdout) == 0 ? 0 : UL_EXIT_RULE;
}

/* Sends one import batch (lines from `first`); the exit status. */
static int
send_batch(struct ul_cli *cli, unsigned long first, unsigned long last, bool tty)
{
	int status = 0;

	ul_msg_put_int(cli->cl->req, UL_F_LINE, (int64_t)first);
	if (ul_cli_call(cli, &status) == 0 && tty)
		fprintf(stderr, "\rimported %lu lines", last);
	return status;
}

/* import: lines from stdin in batches that fit a frame; each batch is one
 * transaction on the helper's side.  Progress on a terminal. */
static int
run_import(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	bool tty = isatty(STDERR_FILENO);
	unsigned long lineno = 0, first = 1;
	unsigned batch = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int status = 0;

	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, UL_REQ_IMPORT);
	while (status == 0 && (len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (batch > 0 && (cli->cl->req->len + (size_t)len + 64 > UL_FRAME_MAX - 256 ||
		    batch >= 500)) {
			status = send_batch(cli, first, lineno - 1, tty);
			ul_client_begin(cli->cl, UL_REQ_IMPORT);
			first = lineno;
			batch = 0;
		}
		if (status == 0 && ul_msg_put_str(cli->cl->req, UL_F_DATA, line) != 0) {
			fprintf(stderr, "%s: line %lu: too long\n", cli->prog, lineno);
			status = UL_EXIT_RULE;
		}
		batch++;
	}
	if (status == 0 && batch > 0)
		status = send_batch(cli, first, lineno, tty);
	if (tty)
		fprintf(stderr, "\n");
	if (status == 0)
		printf("imported %lu lines\n", lineno);
	ul_free_secret(line);
	return status;
}

/* account list [PRODUCT] */
static int
run_account_list(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	if (nargs > 1)
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, UL_REQ_ACCOUNT_LIST);
	if (nargs == 1)
		ul_msg_put_str(cli->cl->req, UL_F_PRODUCT, args[0]);
	return ul_cli_call_print(cli, cmd);
}

/* sshkey add EMAIL [FILE]: the key line from FILE or stdin (K1) */
static int
run_sshkey_add(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	int r;

	if (nargs < 1 || nargs > 2)
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, cmd->type);
	ul_msg_put_str(cli->cl->req, UL_F_EMAIL, args[0]);
	if ((r = ul_cli_put_sshkey(cli, cmd, nargs == 2 ? args[1] : NULL)) != 0)
		return r;
	return ul_cli_call_print(cli, cmd);
}

/* The keys file's layout (helper/rules/keys.h): a code key and a seed
 * key, then one newer seed key per rotation, 32 bytes each, 16 seed keys
 * at most. */
#define KEY_BYTES 32
#define KEYS_MIN (2 * KEY_BYTES)
#define KEYS_MAX (KEYS_MIN + 15 * KEY_BYTES)

/* Writes buf to keys.rotate in the directory dir (the owner and mode of
 * `like`) and renames it over keys there: the file is the old one or the
 * new one, never half; names are taken in dir, never through a link. */
static int
replace_keys(int dir, const char *path, const struct stat *like,
    const uint8_t *buf, size_t n, char *err, size_t errlen)
{
	int fd;

	(void)unlinkat(dir, "keys.rotate", 0);
	fd = openat(dir, "keys.rotate", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0 || fchown(fd, like->st_uid, like->st_gid) != 0 ||
	    write(fd, buf, n) != (ssize_t)n || fsync(fd) != 0) {
		snprintf(err, errlen, "%s.rotate: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		(void)unlinkat(dir, "keys.rotate", 0);
		return -1;
	}
	close(fd);
	if (renameat(dir, "keys.rotate", dir, "keys") != 0 || fsync(dir) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		(void)unlinkat(dir, "keys.rotate", 0);
		return -1;
	}
	return 0;
}

/* keys rotate: a newer seed key appended to state_dir/keys, on this
 * machine (the helper reads its keys when it starts: the running one
 * goes on with the old file until restarted). */
static int
run_keys_rotate(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	char path[sizeof(cli->conf.state_dir) + 8], err[sizeof(path) + 320] = "";
	uint8_t *buf;
	struct stat st;
	ssize_t n = -1;
	int dir, fd, status = UL_EXIT_RULE;

	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	snprintf(path, sizeof(path), "%s/keys", cli->conf.state_dir);
	if ((buf = sodium_malloc(KEYS_MAX + KEY_BYTES + 1)) == NULL)
		return UL_EXIT_RULE;
	dir = open(cli->conf.state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = dir < 0 ? -1 : openat(dir, "keys", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		if (errno == EACCES)
			status = UL_EXIT_DENIED;
	} else if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0) {
		snprintf(err, sizeof(err), "%s: not a file of mode 0600: left as "
		    "it is", path);
	} else if ((n = read(fd, buf, KEYS_MAX + 1)) < KEYS_MIN ||
	    (n - KEYS_MIN) % KEY_BYTES != 0 || n != st.st_size) {
		snprintf(err, sizeof(err), "%s: damaged: left as it is", path);
	} else if (n >= KEYS_MAX) {
		snprintf(err, sizeof(err), "%s: holds 16 key versions already, "
		    "the most there can be", path);
	} else {
		randombytes_buf(buf + n, KEY_BYTES);
		if (replace_keys(dir, path, &st, buf, (size_t)n + KEY_BYTES, err,
		    sizeof(err)) == 0)
			status = UL_EXIT_OK;
	}
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	sodium_free(buf);
	if (status != UL_EXIT_OK) {
		fprintf(stderr, "%s: keys rotate: %s\n", cli->prog, err);
		return status;
	}
	printf("%s: key version %zd added. New TOTP seeds are sealed with it once "
	    "the helper restarts; seeds sealed before still open.\nA fleet: copy "
	    "this file (mode 0600, owner the helper's user) to every other host "
	    "first, then restart every helper; `uniloginctl keys fingerprint` "
	    "then prints the same new line everywhere.\n", path,
	    (n - KEYS_MIN) / KEY_BYTES + 2);
	return UL_EXIT_OK;
}

/* fleet repair [--dry-run] */
static int
run_fleet_repair(struct ul_cli *cli, const struct ul_cli_cmd *cmd, char **args,
    int nargs)
{
	(void)args;
	if (nargs != 0)
		return ul_cli_usage(cli, cmd);
	ul_client_begin(cli->cl, UL_REQ_FLEET_REPAIR);
	if (ul_cli_opt(cli, "dry-run"))
		ul_msg_put_bool(cli->cl->req, UL_F_DRY_RUN, true);
	return ul_cli_call_print(cli, cmd);
}

static const struct ul_cli_cmd commands[] = {
	{"status", "", UL_REQ_STATUS, {0}, 0, {0}, {{0}}, false, NULL},
	{"keys fingerprint", "", UL_REQ_KEYS_FINGERPRINT, {0}, 0, {0}, {{0}}, false,
	    NULL},
	{"keys rotate", "", 0, {0}, 0, {0}, {{0}}, false, run_keys_rotate},
	{"fleet status", "", UL_REQ_FLEET_STATUS, {0}, 0, {0}, {{0}}, false, NULL},
	{"fleet promote", "", UL_REQ_FLEET_PROMOTE, {0}, 0, {0}, {{0}}, false, NULL},
	{"fleet repair", "[--dry-run]", UL_REQ_FLEET_REPAIR, {0}, 0, {"dry-run"},
	    {{0}}, false, run_fleet_repair},
	{"user add", "EMAIL", UL_REQ_USER_ADD, {UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"user verify", "EMAIL [CODE]", UL_REQ_USER_VERIFY, {UL_F_EMAIL}, UL_F_CODE,
	    {0}, {{0}}, false, NULL},
	{"user passwd", "EMAIL", UL_REQ_USER_PASSWD, {UL_F_EMAIL}, 0, {0},
	    {NEW_PASSWORD}, false, NULL},
	{"user reset", "EMAIL", UL_REQ_USER_RESET, {UL_F_EMAIL}, 0, {0}, {{0}},
	    false, NULL},
	{"user show", "EMAIL", UL_REQ_USER_SHOW, {UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"user list", "", UL_REQ_USER_LIST, {0}, 0, {0}, {{0}}, true, NULL},
	{"user lock", "EMAIL", UL_REQ_USER_LOCK, {UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"user unlock", "EMAIL", UL_REQ_USER_UNLOCK, {UL_F_EMAIL}, 0, {0}, {{0}},
	    false, NULL},
	{"user delete", "EMAIL", UL_REQ_USER_DELETE, {UL_F_EMAIL}, 0, {0}, {{0}},
	    false, NULL},
	{"user set-email", "OLD NEW", UL_REQ_USER_SET_EMAIL,
	    {UL_F_EMAIL, UL_F_NEW_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"product add", "NAME [--display NAME]", UL_REQ_PRODUCT_ADD, {UL_F_PRODUCT},
	    0, {"display"}, {{0}}, false, NULL},
	{"product list", "", UL_REQ_PRODUCT_LIST, {0}, 0, {0}, {{0}}, true, NULL},
	{"account add", "PRODUCT ACCOUNT --email EMAIL [--unix-user USER] [--uid N] "
	    "[--parent ACCOUNT] [--friendly-name TEXT] [--legacy-password]",
	    UL_REQ_ACCOUNT_ADD, {UL_F_PRODUCT, UL_F_ACCOUNT}, 0,
	    {"email", "unix-user", "uid", "parent", "friendly-name", "legacy-password"},
	    {{0}}, false, NULL},
	{"account show", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_SHOW,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, NULL},
	{"account list", "[PRODUCT]", UL_REQ_ACCOUNT_LIST, {0}, 0, {0}, {{0}}, true,
	    run_account_list},
	{"account passwd", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_PASSWD,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {NEW_PASSWORD}, false, NULL},
	{"account link", "PRODUCT ACCOUNT EMAIL", UL_REQ_ACCOUNT_LINK,
	    {UL_F_PRODUCT, UL_F_ACCOUNT, UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"account unlink", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_UNLINK,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, NULL},
	{"account invite", "PRODUCT ACCOUNT EMAIL [--role ROLE]", UL_REQ_ACCOUNT_INVITE,
	    {UL_F_PRODUCT, UL_F_ACCOUNT, UL_F_EMAIL}, 0, {"role"}, {{0}}, false, NULL},
	{"account remove", "PRODUCT ACCOUNT EMAIL", UL_REQ_ACCOUNT_REMOVE,
	    {UL_F_PRODUCT, UL_F_ACCOUNT, UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"account suspend", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_SUSPEND,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, NULL},
	{"account reinstate", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_REINSTATE,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, NULL},
	{"account ban", "PRODUCT ACCOUNT", UL_REQ_ACCOUNT_BAN,
	    {UL_F_PRODUCT, UL_F_ACCOUNT}, 0, {0}, {{0}}, false, NULL},
	{"accounts", "EMAIL", UL_REQ_ACCOUNTS, {UL_F_EMAIL}, 0, {0}, {{0}}, true, NULL},
	{"tfa enroll", "EMAIL [--digits 6|7|8] | tfa enroll EMAIL --sms PHONE",
	    UL_REQ_TFA_ENROLL, {UL_F_EMAIL}, 0, {"digits", "sms"}, {{0}}, false, NULL},
	{"tfa confirm", "EMAIL [CODE]", UL_REQ_TFA_CONFIRM, {UL_F_EMAIL}, UL_F_CODE,
	    {0}, {{0}}, false, NULL},
	{"tfa list", "EMAIL", UL_REQ_TFA_LIST, {UL_F_EMAIL}, 0, {0}, {{0}}, true, NULL},
	{"tfa remove", "EMAIL ID", UL_REQ_TFA_REMOVE, {UL_F_EMAIL, UL_F_ID}, 0, {0},
	    {{0}}, false, NULL},
	{"tfa reset", "EMAIL", UL_REQ_TFA_RESET, {UL_F_EMAIL}, 0, {0}, {{0}}, false, NULL},
	{"tfa recovery-codes", "EMAIL", UL_REQ_TFA_RECOVERY, {UL_F_EMAIL}, 0, {0},
	    {{0}}, false, NULL},
	{"apikey create", "PRODUCT ACCOUNT EMAIL [--expires-days N]",
	    UL_REQ_APIKEY_CREATE, {UL_F_PRODUCT, UL_F_ACCOUNT, UL_F_EMAIL}, 0,
	    {"expires-days"}, {{0}}, false, NULL},
	{"apikey list", "EMAIL", UL_REQ_APIKEY_LIST, {UL_F_EMAIL}, 0, {0}, {{0}},
	    true, NULL},
	{"apikey revoke", "ID", UL_REQ_APIKEY_REVOKE, {UL_F_ID}, 0, {0}, {{0}},
	    false, NULL},
	{"sshkey add", "EMAIL [FILE] [--automation --account ACCOUNT [--product P]]",
	    UL_REQ_SSHKEY_ADD, {UL_F_EMAIL}, 0, {"automation", "account", "product"},
	    {{0}}, false, run_sshkey_add},
	{"sshkey list", "EMAIL", UL_REQ_SSHKEY_LIST, {UL_F_EMAIL}, 0, {0}, {{0}},
	    true, NULL},
	{"sshkey remove", "EMAIL ID", UL_REQ_SSHKEY_REMOVE, {UL_F_EMAIL, UL_F_ID}, 0,
	    {0}, {{0}}, false, NULL},
	{"sessions", "[--product P] [--email E] [--account A]", UL_REQ_SESSIONS, {0},
	    0, {"product", "email", "account"}, {{0}}, true, NULL},
	{"audit", "[--since ISO-TIME]", UL_REQ_AUDIT, {0}, 0, {"since"}, {{0}}, true,
	    NULL},
	{"export", "> dump.jsonl", UL_REQ_EXPORT, {0}, 0, {0}, {{0}}, false, run_export},
	{"import", "< dump.jsonl", UL_REQ_IMPORT, {0}, 0, {0}, {{0}}, false, run_import},
	{"migrate", "--uid-range MIN-MAX [--emails FILE] [--google-authenticator] "
	    "[--oath-users FILE] [--dry-run]", UL_REQ_MIGRATE, {0}, 0,
	    {"uid-range", "emails", "google-authenticator", "oath-users", "dry-run"},
	    {{0}}, false, ul_mig_run},
	{NULL, NULL, 0, {0}, 0, {0}, {{0}}, false, NULL},
};

int
main(int argc, char **argv)
{
	return ul_cli_main("uniloginctl", commands, argc, argv);
}
