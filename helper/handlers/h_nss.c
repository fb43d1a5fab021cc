/* NSS: the product accounts of this host's product as Unix users and
 * private groups (gid = uid, group name = unix_user).  Read-only and cheap:
 * one read transaction, no KDF; never a password hash. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "helper/handlers/handlers.h"
#include "unilogin/error.h"

/* home_template with %u as the user (%% is a percent sign). */
static void
home_of(const char *tmpl, const char *user, char *out, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; tmpl[i] && j + 1 < n; i++) {
		if (tmpl[i] == '%' && tmpl[i + 1] == 'u') {
			j += (size_t)snprintf(out + j, n - j, "%s", user);
			i++;
		} else if (tmpl[i] == '%' && tmpl[i + 1] == '%') {
			out[j++] = '%';
			i++;
		} else {
			out[j++] = tmpl[i];
		}
		if (j >= n)
			j = n - 1;
	}
	out[j] = '\0';
}

/* The GECOS field: a friendly name with no ':' (the passwd line's field
 * separator) and no control character (row 17). */
static void
gecos_of(const char *friendly, char *out, size_t n)
{
	ul_text_safe(friendly, out, n);
	for (char *p = out; *p; p++)
		if (*p == ':')
			*p = ' ';
}

static void
put_entry(struct ul_call *c, const struct ul_account *a)
{
	char home[1024], gecos[UL_TEXT_MAX + 1];

	/* a migrated user keeps its own gid, home and shell (M1) */
	if (a->home[0])
		snprintf(home, sizeof(home), "%s", a->home);
	else
		home_of(c->h->conf.home_template, a->unix_user, home, sizeof(home));
	gecos_of(a->friendly_name, gecos, sizeof(gecos));
	ul_msg_put_str(c->out, UL_F_UNIX_USER, a->unix_user);
	ul_msg_put_int(c->out, UL_F_UID, a->uid);
	ul_msg_put_int(c->out, UL_F_GID, a->gid ? a->gid : a->uid);
	ul_msg_put_str(c->out, UL_F_FRIENDLY_NAME, gecos);
	ul_msg_put_str(c->out, UL_F_HOME, home);
	ul_msg_put_str(c->out, UL_F_SHELL, a->shell[0] ? a->shell : c->h->conf.shell);
}

int
ul_h_nss_getpw(struct ul_call *c)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	const char *name = ul_msg_str(c->in, UL_F_UNIX_USER);
	struct ul_account a;
	struct ul_txn *t;
	int64_t uid;
	int r;

	if (product == NULL)
		return UL_EINVAL;
	if ((r = ul_call_read(c, &t)) != 0)
		return r;
	if (name != NULL)
		r = ul_store_account_by_unix(t, product, name, &a);
	else if (ul_msg_int(c->in, UL_F_UID, &uid) == 0 && uid > 0 && uid <= UINT32_MAX)
		r = ul_store_account_by_uid(t, (uint32_t)uid, &a);
	else
		r = UL_EINVAL;
	ul_txn_abort(t);
	/* a uid of another product's account is no user of this host */
	if (r == 0 && strcmp(a.product, product) != 0)
		r = UL_ENOTFOUND;
	if (r == 0)
		put_entry(c, &a);
	return r;
}

int
ul_h_nss_list(struct ul_call *c)
{
	const char *product = ul_call_arg(c, UL_F_PRODUCT);
	struct ul_account a;
	struct ul_cursor cur, last;
	struct ul_txn *t;
	int r;

	if (product == NULL)
		return UL_EINVAL;
	if ((r = ul_call_cursor(c, &cur)) != 0 || (r = ul_call_read(c, &t)) != 0)
		return r;
	for (last = cur; (r = ul_store_account_next(t, product, &cur, &a)) == 0;
	     last = cur) {
		if (ul_page_full(c->out)) {
			ul_msg_put_str(c->out, UL_F_NEXT, last.token);
			break;
		}
		ul_msg_put_mark(c->out, UL_F_RECORD);
		put_entry(c, &a);
	}
	ul_txn_abort(t);
	return r == UL_ENOTFOUND ? 0 : r;
}
