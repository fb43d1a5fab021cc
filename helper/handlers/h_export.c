/* `uniloginctl export` and `import`: the store's state as JSONL, a page (or
 * a batch) per request.  Export walks meta, products, users (each with its
 * methods and API keys) and accounts (each with its teammates); the page
 * cursor names the last whole group sent.  Import checks every line of a
 * batch first and writes the batch in one transaction, or nothing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/export.h"
#include "helper/handlers/handlers.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

struct page {
	struct ul_call *c;
	struct ul_txn *t;
	struct ul_item item;
	char line[UL_EXPORT_LINE_MAX];
	int error;
};

static void
emit(struct page *p)
{
	if (p->error == 0)
		p->error = ul_export_line(&p->item, p->line, sizeof(p->line));
	if (p->error == 0)
		p->error = ul_msg_put_str(p->c->out, UL_F_DATA, p->line);
	sodium_memzero(p->line, sizeof(p->line));
}

static void
emit_user(struct page *p, const struct ul_user *u)
{
	char email[UL_EMAIL_MAX + 1], last[UL_APIKEY_ID_MAX + 1] = "";
	struct ul_method m;
	struct ul_apikey k;
	uint32_t after = 0;

	memcpy(email, u->email, sizeof(email));
	p->item.kind = UL_ITEM_USER;
	p->item.u.user = *u;
	emit(p);
	while (p->error == 0 && ul_store_method_next(p->t, email, after, &m) == 0) {
		after = m.id;
		p->item.kind = UL_ITEM_METHOD;
		memcpy(p->item.email, email, sizeof(email));
		p->item.u.method = m;
		emit(p);
	}
	while (p->error == 0 && ul_store_apikey_next(p->t, email, last, &k) == 0) {
		memcpy(last, k.id, sizeof(last));
		p->item.kind = UL_ITEM_APIKEY;
		p->item.u.apikey = k;
		emit(p);
	}
}

static void
emit_account(struct page *p, const struct ul_account *a)
{
	char email[UL_EMAIL_MAX + 1] = "", role[UL_ROLE_MAX + 1];

	p->item.kind = UL_ITEM_ACCOUNT;
	p->item.u.account = *a;
	emit(p);
	while (p->error == 0 &&
	    ul_store_member_next(p->t, a->product, a->name, email, email, role) == 0) {
		p->item.kind = UL_ITEM_MEMBER;
		memcpy(p->item.email, email, sizeof(email));
		snprintf(p->item.product, sizeof(p->item.product), "%s", a->product);
		snprintf(p->item.account, sizeof(p->item.account), "%s", a->name);
		memcpy(p->item.role, role, sizeof(role));
		emit(p);
	}
}

/* Appends groups from the cursor until the page is full; sets next. */
static int
fill(struct page *p, const char *cursor, char *next, size_t n)
{
	char key[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 2] = "", *slash;
	char section = cursor[0] ? cursor[0] : 'm';
	struct ul_product pr;
	struct ul_account a;
	struct ul_user u;

	next[0] = '\0';
	if (cursor[0] && cursor[1] == ':')
		snprintf(key, sizeof(key), "%s", cursor + 2);
	if (section == 'm') {
		p->item.kind = UL_ITEM_META;
		if (ul_store_next_uid(p->t, &p->item.next_uid) != 0)
			return UL_ESTORE;
		emit(p);
		section = 'p';
	}
	for (; section == 'p' && ul_store_product_next(p->t, key, &pr) == 0;) {
		if (ul_page_full(p->c->out))
			return snprintf(next, n, "p:%s", key), p->error;
		p->item.kind = UL_ITEM_PRODUCT;
		p->item.u.product = pr;
		emit(p);
		snprintf(key, sizeof(key), "%s", pr.name);
	}
	if (section == 'p') {
		section = 'u';
		key[0] = '\0';
	}
	for (; section == 'u' && ul_store_user_next(p->t, key, &u) == 0;) {
		if (ul_page_full(p->c->out))
			return snprintf(next, n, "u:%s", key), p->error;
		emit_user(p, &u);
		snprintf(key, sizeof(key), "%s", u.email);
	}
	if (section == 'u') {
		section = 'a';
		key[0] = '\0';
	}
	char lp[UL_PRODUCT_MAX + 1] = "";
	if ((slash = strchr(key, '/')) != NULL) {
		*slash = '\0';
		snprintf(lp, sizeof(lp), "%s", key);
		memmove(key, slash + 1, strlen(slash + 1) + 1);
	}
	while (p->error == 0 && ul_store_account_next(p->t, "", lp, key, &a) == 0) {
		if (ul_page_full(p->c->out))
			return snprintf(next, n, "a:%s/%s", lp, key), p->error;
		emit_account(p, &a);
		snprintf(lp, sizeof(lp), "%s", a.product);
		snprintf(key, sizeof(key), "%s", a.name);
	}
	return p->error;
}

int
ul_h_export(struct ul_call *c)
{
	const char *after = ul_msg_str(c->in, UL_F_AFTER);
	struct page *p = sodium_malloc(sizeof(*p));
	char next[UL_PRODUCT_MAX + UL_ACCOUNT_MAX + 8];
	int r;

	if (p == NULL)
		return UL_ENOMEM;
	memset(p, 0, sizeof(*p));
	p->c = c;
	if ((r = ul_call_txn(c, false, &p->t)) == 0) {
		r = fill(p, after ? after : "", next, sizeof(next));
		ul_txn_abort(p->t);
	}
	sodium_free(p);
	if (r == 0 && next[0])
		ul_msg_put_str(c->out, UL_F_NEXT, next);
	return r;
}

int
ul_h_import(struct ul_call *c)
{
	struct ul_item *item = sodium_malloc(sizeof(*item));
	int64_t first = 1;
	unsigned n = 0, line = 0;
	char err[256];
	struct ul_txn *t;
	int r;

	if (item == NULL)
		return UL_ENOMEM;
	(void)ul_msg_int(c->in, UL_F_LINE, &first);
	if ((r = ul_call_txn(c, true, &t)) != 0) {
		sodium_free(item);
		return r;
	}
	for (unsigned i = 0; r == 0 && i < c->in->nfields; i++) {
		const struct ul_field *f = &c->in->fields[i];

		if (f->tag != UL_F_DATA)
			continue;
		line = (unsigned)first + n++;
		if (f->len <= 1)
			continue;       /* a blank line */
		if (ul_import_parse(ul_field_str(c->in, f), item, err, sizeof(err)) != 0)
			r = ul_call_say(c, UL_ERULE, "line %u: %s", line, err);
		else if ((r = ul_import_apply(t, item)) != 0)
			r = ul_call_say(c, r, "line %u: cannot store it: %s", line,
			    ul_strerror(r));
	}
	sodium_free(item);
	if (r != 0) {
		ul_txn_abort(t);    /* nothing of this batch is written */
		ul_log(LOG_WARNING, "import refused: %s", c->message);
		return r;
	}
	r = ul_call_commit(c, t);
	if (r == 0)
		ul_msg_put_int(c->out, UL_F_LINE, first + n);
	return r;
}
