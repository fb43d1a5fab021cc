/* API keys (T8): created by an admin, or by the user after email, password
 * and current code (T5); shown once, stored hashed, listed without the
 * secret, revocable. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/core/wipe.h"
#include "helper/rules/auth.h"
#include "helper/rules/codes.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/keys.h"
#include "unilogin/error.h"

#define KEY_ID_LEN 8
#define KEY_SECRET_LEN 32

/* The key is made here, before the change; the change checks who may have
 * one for the account and claims its id. */
static int
new_key(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const struct ul_apikey *k = arg;
	struct ul_event e = {.event = "apikey_create", .email = k->email,
	    .product = k->product, .account = k->account, .detail = k->id};
	struct ul_account a UL_WIPED(ul_wipe_account);
	char role[65];
	int r = ul_store_account_get(t, k->product, k->account, &a);

	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no account %s of %s", k->account, k->product);
	else if (r == 0 && (r = ul_auth_role(t, &a, k->email, role,
	    sizeof(role))) == UL_ENOTFOUND)
		r = ul_call_say(c, UL_ERULE, "T8: %s has no access to account %s of %s",
		    k->email, k->account, k->product);
	if (r == 0)
		r = ul_store_apikey_create(t, k);
	return ul_call_audited(c, t, r, &e);
}

static int
create(struct ul_call *c, const char *product, const char *account,
    const char *email)
{
	char secret[KEY_SECRET_LEN + 1], key[UL_APIKEY_ID_MAX + KEY_SECRET_LEN + 8];
	struct ul_apikey k = {.created = ul_now()};
	int64_t days = 0;
	int r;

	if (ul_msg_int(c->in, UL_F_EXPIRES_DAYS, &days) == 0 &&
	    (days < 1 || days > 36500))
		return ul_call_say(c, UL_EINVAL, "--expires-days must be 1 to 36500");
	ul_code_random(k.id, KEY_ID_LEN, true, false);
	ul_code_random(secret, KEY_SECRET_LEN, true, false);
	snprintf(key, sizeof(key), "ulk_%s_%s", k.id, secret);
	ul_code_hash(c->h->keys, "apikey", k.id, secret, k.hash);
	snprintf(k.email, sizeof(k.email), "%s", email);
	snprintf(k.product, sizeof(k.product), "%s", product);
	snprintf(k.account, sizeof(k.account), "%s", account);
	k.expires = days > 0 ? k.created + days * 86400 : 0;
	r = ul_call_write(c, new_key, &k);
	if (r == 0) {
		ul_msg_put_str(c->out, UL_F_ID, k.id);
		ul_msg_put_str(c->out, UL_F_KEY, key);
		if (k.expires)
			ul_msg_put_int(c->out, UL_F_EXPIRES, k.expires);
		ul_call_say(c, 0, "The key is shown only now: keep it safe.");
	}
	sodium_memzero(&k, sizeof(k));
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(key, sizeof(key));
	return r;
}

int
ul_h_apikey_create(struct ul_call *c)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *account = ul_call_arg(c, UL_F_ACCOUNT);
	char email[UL_EMAIL_MAX + 1];
	int r;

	if (product == NULL || account == NULL)
		return UL_EINVAL;
	r = ul_call_email(c, UL_F_EMAIL, email);
	return r != 0 ? r : create(c, product, account, email);
}

int
ul_h_self_apikey(struct ul_call *c)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *account = ul_call_arg(c, UL_F_ACCOUNT);
	struct ul_user u UL_WIPED(ul_wipe_user);
	int r;

	if (product == NULL || account == NULL)
		return UL_EINVAL;
	r = ul_auth_self(c, &u);    /* T5: a current code */
	return r != 0 ? r : create(c, product, account, u.email);
}

int
ul_h_apikey_list(struct ul_call *c)
{
	char email[UL_EMAIL_MAX + 1];
	struct ul_cursor cur = {""};
	struct ul_apikey k;
	struct ul_txn *t;
	int r = ul_call_email(c, UL_F_EMAIL, email);

	if (r != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	while ((r = ul_store_apikey_next(t, email, &cur, &k)) == 0) {
		ul_msg_put_mark(c->out, UL_F_RECORD);
		ul_msg_put_str(c->out, UL_F_ID, k.id);
		ul_msg_put_str(c->out, UL_F_PRODUCT, k.product);
		ul_msg_put_str(c->out, UL_F_ACCOUNT, k.account);
		ul_msg_put_int(c->out, UL_F_CREATED, k.created);
		if (k.expires)
			ul_msg_put_int(c->out, UL_F_EXPIRES, k.expires);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}

static int
revoke(struct ul_call *c, struct ul_txn *t, void *arg)
{
	const char *id = arg;
	struct ul_event e = {.event = "apikey_revoke", .detail = id};
	struct ul_apikey k;
	int r = ul_store_apikey_get(t, id, &k);

	if (r == 0) {
		e.email = k.email;
		e.product = k.product;
		e.account = k.account;
		r = ul_store_apikey_revoke(t, id);
	}
	if (r == UL_ENOTFOUND)
		r = ul_call_say(c, r, "no API key %s", id);
	r = ul_call_audited(c, t, r, &e);
	sodium_memzero(&k, sizeof(k));
	return r;
}

int
ul_h_apikey_revoke(struct ul_call *c)
{
	const char *id = ul_call_arg(c, UL_F_ID);
	int r;

	if (id == NULL)
		return UL_EINVAL;
	r = ul_call_write(c, revoke, (void *)id);
	if (r == 0)
		ul_call_say(c, 0, "API key %s revoked", id);
	return r;
}
