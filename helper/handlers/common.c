/* What several families of handlers share: the account a request names,
 * the reply that hands out a ticket, and the end of everyone's access to an
 * account (teammates and API keys, L7, T8). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/handlers/handlers.h"
#include "helper/rules/tickets.h"
#include "unilogin/error.h"

int
ul_find_account(struct ul_call *c, struct ul_txn *t, struct ul_account *a)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *unix_user = ul_call_arg(c, UL_F_UNIX_USER);
	int r;

	if (product == NULL || unix_user == NULL)
		return UL_EINVAL;
	r = ul_store_account_by_unix(t, product, unix_user, a);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, UL_ENOACCOUNT, "%s is no account of product %s",
		    unix_user, product);
	return r;
}

/* Who asks for a ticket (tickets.h): a uid-0 caller speaks for a person,
 * named by the remote host, PAM_RUSER, or the terminal and service (only
 * uid 0 gets rhost and ruser through the dispatch table); any other caller
 * is its uid. */
static const char *
ticket_asker(struct ul_call *c, char *out, size_t n)
{
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);
	const char *ruser = ul_msg_str(c->in, UL_F_RUSER);
	const char *tty = ul_msg_str(c->in, UL_F_TTY);
	const char *service = ul_msg_str(c->in, UL_F_SERVICE);
	size_t at = 0;

	/* a verifier: the host's certificate first (a host speaks only for
	 * its own callers) */
	if (c->peer != 0) {
		snprintf(out, n, "peer:%016llx/", (unsigned long long)c->peer);
		at = strlen(out);
		out += at;
		n -= at;
	}
	if (c->uid != 0)
		snprintf(out, n, "uid:%u", (unsigned)c->uid);
	else if (rhost != NULL && rhost[0] != '\0')
		snprintf(out, n, "rhost:%s", rhost);
	else if (ruser != NULL && ruser[0] != '\0')
		snprintf(out, n, "ruser:%s", ruser);
	else
		snprintf(out, n, "local:%s:%s", service ? service : "", tty ? tty : "");
	return out - at;
}

int
ul_ticket_reply(struct ul_call *c, struct ul_ticket *tk, int result)
{
	char text[UL_TICKET_TEXT], who[600];
	int r;

	tk->uid = c->uid;
	tk->peer = c->peer;
	tk->key = ul_ticket_key(tk->product, tk->account, ticket_asker(c, who,
	    sizeof(who)));
	r = ul_tickets_issue(c->h->tickets, tk, text);
	sodium_memzero(tk, sizeof(*tk));
	if (r != 0)
		return ul_call_say(c, r, "too many logins at once; try again");
	ul_msg_put_str(c->out, UL_F_TICKET, text);
	sodium_memzero(text, sizeof(text));
	return result;
}

/* Ends the SSH automation keys of `email` scoped to account a (K1: the
 * user's other keys follow L7 when they are looked up). */
static int
end_automation_keys(struct ul_txn *t, const struct ul_account *a,
    const char *email)
{
	struct ul_cursor cur = {""};
	struct ul_sshkey k;
	int r;

	while ((r = ul_store_sshkey_next(t, email, &cur, &k)) == 0)
		if (k.automation && strcmp(k.product, a->product) == 0 &&
		    strcmp(k.account, a->name) == 0 &&
		    (r = ul_store_sshkey_remove(t, k.id)) != 0)
			break;
	return r == UL_ENOTFOUND ? 0 : r;
}

/* Ends the API keys and automation SSH keys scoped to an account (all of
 * them, or one user's). */
int
ul_account_end_keys(struct ul_txn *t, const struct ul_account *a, const char *email)
{
	struct ul_cursor cur = {""};
	struct ul_apikey k;
	int r;

	if (email[0] == '\0')
		return 0;
	while ((r = ul_store_apikey_next(t, email, &cur, &k)) == 0)
		if (strcmp(k.product, a->product) == 0 && strcmp(k.account, a->name) == 0 &&
		    (r = ul_store_apikey_revoke(t, k.id)) != 0)
			break;
	sodium_memzero(&k, sizeof(k));
	if (r != 0 && r != UL_ENOTFOUND)
		return r;
	return end_automation_keys(t, a, email);
}

int
ul_sshkeys_end_all(struct ul_txn *t, const char *email)
{
	struct ul_cursor cur = {""};
	struct ul_sshkey k;
	int r;

	while ((r = ul_store_sshkey_next(t, email, &cur, &k)) == 0) {
		if ((r = ul_store_sshkey_remove(t, k.id)) != 0)
			return r;
		cur.token[0] = '\0';
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_sshkeys_move_all(struct ul_txn *t, const char *from, const char *to)
{
	struct ul_cursor cur = {""};
	struct ul_sshkey k;
	int r;

	while ((r = ul_store_sshkey_next(t, from, &cur, &k)) == 0) {
		if ((r = ul_store_sshkey_move(t, k.id, to)) != 0)
			return r;
		cur.token[0] = '\0';
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

/* Ends every teammate of an account, and the keys of each (T8). */
static int
end_members(struct ul_txn *t, const struct ul_account *a)
{
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {""};
	int r;

	while ((r = ul_store_member_next(t, a->product, a->name, &cur, email,
	    role)) == 0) {
		if ((r = ul_account_end_keys(t, a, email)) != 0 ||
		    (r = ul_store_member_remove(t, a->product, a->name, email)) != 0)
			return r;
		cur.token[0] = '\0';
	}
	return r == UL_ENOTFOUND ? 0 : r;
}

int
ul_account_end_access(struct ul_txn *t, const struct ul_account *a,
    const char *owner)
{
	int r = end_members(t, a);

	return r != 0 ? r : ul_account_end_keys(t, a, owner);
}
