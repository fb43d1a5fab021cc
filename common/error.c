/* The error space's words: ul_strerror() for logs and admins,
 * ul_user_message() for a person at a prompt, ul_exit_status() for tools. */
#include "config.h"

#include <stddef.h>

#include "unilogin/error.h"

struct error_text {
	int code;
	const char *text;
	const char *user;           /* shown at a login prompt, or NULL */
	int exit_status;
};

static const struct error_text texts[] = {
	{UL_OK, "success", NULL, 0},
	{UL_EINVAL, "invalid argument", NULL, 2},
	{UL_ENOMEM, "out of memory", NULL, 1},
	{UL_EPROTO, "malformed message", NULL, 3},
	{UL_EVERSION, "protocol version mismatch", NULL, 3},
	{UL_ETOOBIG, "message or field too large", NULL, 1},
	{UL_EIO, "input/output error", NULL, 3},
	{UL_ETIMEDOUT, "the helper did not answer in time", NULL, 3},
	{UL_EUNAVAIL, "the helper cannot be reached", NULL, 3},
	{UL_ETRUST, "the helper's socket or peer is not trusted", NULL, 3},
	{UL_ESTORE, "store error", NULL, 1},
	{UL_ENOSPC, "no space left for the store", NULL, 1},
	{UL_ECONFIG, "configuration error", NULL, 2},
	{UL_EPERM, "permission denied", NULL, 4},
	{UL_EBUSY, "too many requests; try again later", NULL, 1},
	{UL_EAUTH, "authentication failed", "Authentication failed.", 1},
	{UL_ENEEDCODE, "verification code needed", NULL, 1},
	{UL_ELOCKEDOUT, "too many failed attempts",
	    "Too many failed attempts; try again later.", 1},
	{UL_ENOTCONFIRMED, "email address not confirmed",
	    "Your email address is not confirmed: run `unilogin verify EMAIL` "
	    "with the code you were sent.", 1},
	{UL_ELOCKED, "user locked",
	    "Your login is locked by an administrator.", 1},
	{UL_ESUSPENDED, "account suspended",
	    "This account is suspended for billing and cannot be accessed.", 1},
	{UL_EBANNED, "account banned",
	    "This account is banned.", 1},
	{UL_ETFAREQUIRED, "two-factor authentication required",
	    "Two-factor authentication is required: run `unilogin tfa enroll` "
	    "or ask your administrator.", 1},
	{UL_ENOACCOUNT, "no such product account", NULL, 1},
	{UL_EEXPIRED, "expired", NULL, 1},
	{UL_ENOTFOUND, "not found", NULL, 1},
	{UL_EEXIST, "already exists", NULL, 1},
	{UL_ERULE, "refused by a rule", NULL, 1},
	{UL_EDELIVERY, "delivery failed", NULL, 1},
	{UL_ECONFLICT, "changed meanwhile; nothing was changed", NULL, 1},
	{UL_ENOTFLEET, "store = lmdb: one host, not a fleet", NULL, 1},
	{UL_EROLE, "not served in this role: nothing changed", NULL, 1},
	{UL_EBADKEY, "not an acceptable SSH public key", NULL, 1},
	{UL_EKEYREQUIRED, "an SSH key is required",
	    "This host requires an SSH key of your unified login.", 1},
	{UL_EUNREACHABLE, "provider unreachable: nothing changed", NULL, 3},
	{UL_EUNKNOWN, "provider did not answer: outcome unknown", NULL, 3},
};

static const struct error_text *
lookup(int code)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == code)
			return &texts[i];
	return NULL;
}

const char *
ul_strerror(int code)
{
	const struct error_text *t = lookup(code);

	return t ? t->text : "unknown error";
}

const char *
ul_user_message(int code)
{
	const struct error_text *t = lookup(code);

	return t ? t->user : NULL;
}

int
ul_exit_status(int code)
{
	const struct error_text *t = lookup(code);

	return t ? t->exit_status : 1;
}
