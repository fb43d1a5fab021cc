/* uniloginctl: the admin tool.  Each command is a row of the table: its
 * words, its arguments, the request it sends; the helper decides. */
#include "config.h"

#include "tools/cli.h"
#include "unilogin/proto.h"

#define NEW_PASSWORD {UL_F_NEW_PASSWORD, "New password: ", true}

static const struct ul_cli_cmd commands[] = {
	{"status", "", UL_REQ_STATUS, {0}, 0, {0}, {{0}}, false, NULL},
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
	{"account list", "[--product PRODUCT]", UL_REQ_ACCOUNT_LIST, {0}, 0,
	    {"product"}, {{0}}, true, NULL},
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
	{"sessions", "[--product P] [--email E] [--account A]", UL_REQ_SESSIONS, {0},
	    0, {"product", "email", "account"}, {{0}}, true, NULL},
	{"audit", "[--since ISO-TIME]", UL_REQ_AUDIT, {0}, 0, {"since"}, {{0}}, true,
	    NULL},
	{NULL, NULL, 0, {0}, 0, {0}, {{0}}, false, NULL},
};

int
main(int argc, char **argv)
{
	return ul_cli_main("uniloginctl", commands, argc, argv);
}
