/* The check of a store's emails against today's rules (U1), at start:
 * apart from email.c so that what only normalises needs no store. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "helper/core/email.h"
#include "helper/core/log.h"
#include "helper/core/wipe.h"
#include "helper/store/store.h"
#include "unilogin/error.h"

/* For a log line: every byte that is not printable ASCII (a control, a
 * bidi override, any UTF-8), and '\\' and '"', as \xHH. */
static void
escape(const char *s, char out[4 * UL_EMAIL_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; s[i] != '\0' && i < UL_EMAIL_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch > ' ' && ch < 0x7f && ch != '\\' && ch != '"') {
			out[n++] = (char)ch;
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[ch >> 4];
		out[n++] = hex[ch & 0xf];
	}
	out[n] = '\0';
}

/* 1 when a stored email (the user's, or the one it waits to move to) is
 * one the rules refuse or write otherwise, logged; 0 when it is its own
 * key. */
static unsigned
stored_email_check(const struct ul_user *u, bool pending)
{
	const char *email = pending ? u->pending_email : u->email;
	char key[UL_EMAIL_MAX + 1], shown[4 * UL_EMAIL_MAX + 1];
	char user[4 * UL_EMAIL_MAX + 1], now[4 * UL_EMAIL_MAX + 1];
	char who[sizeof(user) + sizeof(shown) + 32];
	const char *tail;
	int r = ul_email_normalise(email, key);

	if (r == 0 && strcmp(key, email) == 0)
		return 0;
	escape(u->email, user);
	escape(email, shown);
	if (pending)
		snprintf(who, sizeof(who), "user \"%s\", pending email \"%s\"",
		    user, shown);
	else
		snprintf(who, sizeof(who), "user \"%s\"", user);
	/* a user's own key that no address typed now gives is out of reach */
	tail = pending ? "left as stored" :
	    "left as stored, so no address typed now finds this user";
	if (r != 0) {
		ul_log(LOG_WARNING, "store: %s: not a valid email address under "
		    "the current rules (U1); %s", who, tail);
	} else {
		escape(key, now);
		ul_log(LOG_WARNING, "store: %s: the current rules would store it "
		    "as \"%s\" (U1); %s", who, now, tail);
	}
	return 1;
}

int
ul_email_check_store(struct ul_store *st, unsigned *invalid)
{
	struct ul_cursor cur = {""};
	struct ul_user u UL_WIPED(ul_wipe_user);
	struct ul_txn *t;
	unsigned count = 0;
	int r;

	*invalid = 0;
	r = ul_txn_begin(st, false, &t);
	if (r != 0)
		return r;
	while ((r = ul_store_user_next(t, &cur, &u)) == 0) {
		count += stored_email_check(&u, false);
		if (u.pending_email[0] != '\0')
			count += stored_email_check(&u, true);
	}
	ul_txn_abort(t);
	if (r != UL_ENOTFOUND)
		return r;
	*invalid = count;
	return 0;
}
