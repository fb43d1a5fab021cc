/* Requests about the fleet a helper belongs to (INTERFACES.md, "Fleet").
 * `keys fingerprint`: what names this helper's keys file, so that an
 * admin can see that every helper of a fleet holds the same one (the file
 * is copied, never sent; the fingerprint gives no key away). */
#include "config.h"

#include "helper/handlers/handlers.h"
#include "helper/rules/keys.h"
#include "unilogin/error.h"

int
ul_h_keys_fingerprint(struct ul_call *c)
{
	char fp[UL_KEYS_FINGERPRINT_MAX + 1];

	if (c->h->keys == NULL)
		return ul_call_say(c, UL_EROLE, "this host (role = host) holds no "
		    "keys: its verifiers do");
	ul_keys_fingerprint(c->h->keys, fp);
	ul_msg_put_str(c->out, UL_F_FINGERPRINT, fp);
	return 0;
}
