/* What several families of handlers share: the account a request names
 * and the reply that hands out a ticket. */
#include "config.h"

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

int
ul_ticket_reply(struct ul_call *c, struct ul_ticket *tk, int result)
{
	char text[UL_TICKET_TEXT];
	int r;

	tk->uid = c->uid;
	r = ul_tickets_issue(c->h->tickets, tk, text);
	sodium_memzero(tk, sizeof(*tk));
	if (r != 0)
		return ul_call_say(c, r, "too many logins at once; try again");
	ul_msg_put_str(c->out, UL_F_TICKET, text);
	sodium_memzero(text, sizeof(text));
	return result;
}

