/* Names, text and records as they may be stored. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "common/sshkey.h"
#include "common/util.h"
#include "helper/rules/kdf.h"
#include "helper/rules/legacy.h"
#include "helper/rules/names.h"
#include "unilogin/error.h"

static bool
all_of(const char *s, const char *extra, bool lower_only)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (!(lower_only ? islower(ch) : isalpha(ch)) && !isdigit(ch) &&
		    strchr(extra, ch) == NULL)
			return false;
	}
	return true;
}

bool
ul_valid_product(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= UL_PRODUCT_MAX &&
	    (islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])) &&
	    all_of(s, "-_", true);
}

bool
ul_valid_unix_user(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= UL_UNIX_USER_MAX &&
	    (islower((unsigned char)s[0]) || s[0] == '_') && all_of(s, "-_", true);
}

bool
ul_valid_text(const char *s, size_t max)
{
	if (s[0] == '\0' || strlen(s) > max)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

bool
ul_valid_role(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= UL_ROLE_MAX && all_of(s, "_-.", false);
}

bool
ul_valid_phone(const char *p)
{
	size_t n;

	if (p[0] != '+' || p[1] < '1' || p[1] > '9')
		return false;
	for (n = 1; p[n]; n++)
		if (!isdigit((unsigned char)p[n]))
			return false;
	return n - 1 >= 7 && n - 1 <= 15;
}

bool
ul_valid_id(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	return n >= min && n <= max && all_of(s, "", true);
}

int
ul_check_uid(struct ul_call *c, uint32_t uid)
{
	const struct ul_conf *conf = &c->h->conf;

	if (uid < conf->uid_min || uid > conf->uid_max)
		return ul_call_say(c, UL_ERULE, "uid %u is outside uid_min..uid_max "
		    "(%u..%u)", uid, conf->uid_min, conf->uid_max);
	/* the account's private group has gid = uid: neither may be local */
	if (ul_files_id_taken(uid))
		return ul_call_say(c, UL_ERULE, "uid %u is a local user's or group's "
		    "in /etc/passwd or /etc/group", uid);
	return 0;
}

/* A crypt(5) hash that libxcrypt verifies (M1: yescrypt, SHA-512,
 * SHA-256, bcrypt); or a locked one ('!' or '*' first). */
static bool
legacy_hash(const char *h)
{
	if (h[0] == '!' || h[0] == '*')
		return true;
	return ul_legacy_hash_usable(h) && all_of(h, "$./=", false);
}

static int
check_hash(struct ul_call *c, const char *h, bool legacy_ok, const char *whose)
{
	if (h[0] == '\0' || ul_kdf_hash_allowed(&c->h->conf, h))
		return 0;
	if (legacy_ok && legacy_hash(h))
		return 0;
	return ul_call_say(c, UL_ERULE, "%s: not an argon2id hash of a cost up to "
	    "`sensitive`%s", whose, legacy_ok ? ", nor a crypt(5) hash" : "");
}

/* A path for a passwd line: absolute, no ':' (its field separator), no
 * control character. */
static bool
passwd_path(const char *p)
{
	if (p[0] != '/')
		return false;
	for (; *p; p++)
		if (*p == ':' || (unsigned char)*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

/* M1: a migrated user's own gid, home and shell, as NSS will answer them. */
static int
check_unix_fields(struct ul_call *c, const struct ul_account *a)
{
	if (a->home[0] && !passwd_path(a->home))
		return ul_call_say(c, UL_EINVAL, "home: an absolute path without ':'");
	if (a->shell[0] && !passwd_path(a->shell))
		return ul_call_say(c, UL_EINVAL, "shell: an absolute path without ':'");
	return 0;
}

int
ul_check_account(struct ul_call *c, const struct ul_account *a)
{
	int r;

	if (!ul_valid_product(a->product))
		return ul_call_say(c, UL_EINVAL, "not a product name: %s", a->product);
	if (!ul_valid_text(a->name, UL_ACCOUNT_MAX))
		return ul_call_say(c, UL_EINVAL, "bad account name");
	if (!ul_valid_unix_user(a->unix_user))
		return ul_call_say(c, UL_EINVAL, "not a valid Unix user name: %s "
		    "(expected [a-z_][a-z0-9_-]{0,31})", a->unix_user);
	if (ul_files_name_taken(a->unix_user))
		return ul_call_say(c, UL_ERULE, "%s is a local user or group in /etc; "
		    "a product account needs a name of its own", a->unix_user);
	if (a->uid != 0 && (r = ul_check_uid(c, a->uid)) != 0)
		return r;
	if (a->friendly_name[0] && !ul_valid_text(a->friendly_name, UL_TEXT_MAX))
		return ul_call_say(c, UL_EINVAL, "bad friendly name");
	if (a->parent[0] && !ul_valid_text(a->parent, UL_ACCOUNT_MAX))
		return ul_call_say(c, UL_EINVAL, "bad parent name");
	if (a->state < UL_ACCOUNT_ACTIVE || a->state > UL_ACCOUNT_BANNED)
		return ul_call_say(c, UL_EINVAL, "bad account state");
	if ((r = check_unix_fields(c, a)) != 0)
		return r;
	if (a->owner[0] && a->pwhash[0])
		return ul_call_say(c, UL_ERULE, "L5: a linked account has no password "
		    "of its own");
	return check_hash(c, a->pwhash, a->owner[0] == '\0', "password of the account");
}

int
ul_check_user(struct ul_call *c, const struct ul_user *u)
{
	if (!ul_valid_id(u->id, 32, 32))
		return ul_call_say(c, UL_EINVAL, "a user's id is 32 hex digits");
	if (u->recovery_unused >> UL_RECOVERY_CODES)
		return ul_call_say(c, UL_EINVAL, "bad recovery code set");
	/* a migrated user keeps its shadow hash until its first login (M1):
	 * one that libxcrypt verifies, checked beside a dummy argon2id (S1);
	 * a locked one is no password at all */
	if (u->pwhash[0] && ul_legacy_hash_usable(u->pwhash) &&
	    all_of(u->pwhash, "$./=", false))
		return 0;
	return check_hash(c, u->pwhash, false, "password of the user");
}

int
ul_check_method(struct ul_call *c, const struct ul_method *m)
{
	if (m->id == 0)
		return ul_call_say(c, UL_EINVAL, "a method's id is from 1");
	if (m->kind == UL_METHOD_TOTP && m->digits >= 6 && m->digits <= 8)
		return 0;
	if (m->kind == UL_METHOD_SMS && ul_valid_phone(m->phone))
		return 0;
	return ul_call_say(c, UL_EINVAL, "a method is TOTP with 6 to 8 digits, or "
	    "SMS with an E.164 phone number");
}

int
ul_check_apikey(struct ul_call *c, const struct ul_apikey *k)
{
	if (!ul_valid_id(k->id, 1, UL_APIKEY_ID_MAX) || !ul_valid_product(k->product) ||
	    !ul_valid_text(k->account, UL_ACCOUNT_MAX))
		return ul_call_say(c, UL_EINVAL, "bad API key id, product or account");
	return 0;
}

int
ul_check_sshkey(struct ul_call *c, const struct ul_sshkey *k)
{
	struct ul_sshkey_info info;
	char line[UL_SSHKEY_LINE_MAX + 1], why[256];

	if (!ul_valid_id(k->id, 1, UL_SSHKEY_ID_MAX) ||
	    (k->automation && (!ul_valid_product(k->product) ||
	    !ul_valid_text(k->account, UL_ACCOUNT_MAX))))
		return ul_call_say(c, UL_EINVAL, "bad SSH key id, product or account");
	snprintf(line, sizeof(line), "%s %s %s", k->type, k->blob, k->comment);
	if (ul_sshkey_parse(line, strlen(line), &info, why, sizeof(why)) != 0)
		return ul_call_say(c, UL_EBADKEY, "SSH key %s refused: %s", k->id, why);
	if (strcmp(info.fingerprint, k->fingerprint) != 0 || info.bits != k->bits ||
	    strcmp(info.comment, k->comment) != 0)
		return ul_call_say(c, UL_EINVAL, "SSH key %s: its fingerprint, size or "
		    "comment is not its key's", k->id);
	return 0;
}

int
ul_check_product(struct ul_call *c, const struct ul_product *p)
{
	if (!ul_valid_product(p->name))
		return ul_call_say(c, UL_EINVAL, "a product name is 1 to %d of "
		    "a-z, 0-9, '-' and '_', starting with a letter or digit",
		    UL_PRODUCT_MAX);
	if (p->display_name[0] && !ul_valid_text(p->display_name,
	    sizeof(p->display_name) - 1))
		return ul_call_say(c, UL_EINVAL, "bad display name");
	return 0;
}
