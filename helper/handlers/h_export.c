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

#include "common/util.h"
#include "helper/rules/export.h"
#include "helper/handlers/handlers.h"
#include "helper/rules/names.h"
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
	char email[UL_EMAIL_MAX + 1];
	struct ul_cursor cur = {""};
	struct ul_method m;
	struct ul_apikey k;
	struct ul_sshkey sk;
	uint32_t after = 0;

	memcpy(email, u->email, sizeof(email));
	p->item.kind = UL_ITEM_USER;
	p->item.u.user = *u;
	emit(p);
	while (p->error == 0 && ul_store_method_next(p->t, email, &after, &m) == 0) {
		p->item.kind = UL_ITEM_METHOD;
		memcpy(p->item.email, email, sizeof(email));
		p->item.u.method = m;
		emit(p);
	}
	while (p->error == 0 && ul_store_apikey_next(p->t, email, &cur, &k) == 0) {
		p->item.kind = UL_ITEM_APIKEY;
		p->item.u.apikey = k;
		emit(p);
	}
	cur.token[0] = '\0';
	while (p->error == 0 && ul_store_sshkey_next(p->t, email, &cur, &sk) == 0) {
		p->item.kind = UL_ITEM_SSHKEY;
		p->item.u.sshkey = sk;
		emit(p);
	}
	sodium_memzero(&m, sizeof(m));
	sodium_memzero(&k, sizeof(k));
}

static void
emit_account(struct page *p, const struct ul_account *a)
{
	char email[UL_EMAIL_MAX + 1], role[UL_ROLE_MAX + 1];
	struct ul_cursor cur = {""};

	p->item.kind = UL_ITEM_ACCOUNT;
	p->item.u.account = *a;
	emit(p);
	while (p->error == 0 &&
	    ul_store_member_next(p->t, a->product, a->name, &cur, email, role) == 0) {
		p->item.kind = UL_ITEM_MEMBER;
		memcpy(p->item.email, email, sizeof(email));
		snprintf(p->item.product, sizeof(p->item.product), "%s", a->product);
		snprintf(p->item.account, sizeof(p->item.account), "%s", a->name);
		memcpy(p->item.role, role, sizeof(role));
		emit(p);
	}
}

/* The page's cursor "S:TOKEN": the section (m, p, u, a) and the store's
 * token of the last whole group sent in it. */
static int
next_page(char *next, size_t n, char section, const struct ul_cursor *last,
    int error)
{
	snprintf(next, n, "%c:%s", section, last->token);
	return error;
}

/* Appends groups from the cursor until the page is full; sets next. */
static int
fill(struct page *p, const char *cursor, char *next, size_t n)
{
	char section = cursor[0] ? cursor[0] : 'm';
	struct ul_cursor cur = {""}, last;
	struct ul_product pr;
	struct ul_account a;
	struct ul_user u;

	next[0] = '\0';
	if (cursor[0] && (cursor[1] != ':' || strlen(cursor + 2) >= sizeof(cur.token) ||
	    strchr("mpua", section) == NULL))
		return ul_call_say(p->c, UL_EINVAL, "bad paging token");
	if (cursor[0])
		memcpy(cur.token, cursor + 2, strlen(cursor + 2) + 1);
	if (section == 'm') {
		p->item.kind = UL_ITEM_META;
		if (ul_store_next_uid(p->t, &p->item.next_uid) != 0)
			return UL_ESTORE;
		emit(p);
		section = 'p';
	}
	for (last = cur; section == 'p' && ul_store_product_next(p->t, &cur, &pr) == 0;
	     last = cur) {
		if (ul_page_full(p->c->out))
			return next_page(next, n, 'p', &last, p->error);
		p->item.kind = UL_ITEM_PRODUCT;
		p->item.u.product = pr;
		emit(p);
	}
	if (section == 'p') {
		section = 'u';
		cur.token[0] = '\0';
	}
	for (last = cur; section == 'u' && ul_store_user_next(p->t, &cur, &u) == 0;
	     last = cur) {
		if (ul_page_full(p->c->out))
			return next_page(next, n, 'u', &last, p->error);
		emit_user(p, &u);
	}
	sodium_memzero(&u, sizeof(u));
	if (section == 'u') {
		section = 'a';
		cur.token[0] = '\0';
	}
	for (last = cur; p->error == 0 && ul_store_account_next(p->t, "", &cur, &a) == 0;
	     last = cur) {
		if (ul_page_full(p->c->out))
			return next_page(next, n, 'a', &last, p->error);
		emit_account(p, &a);
	}
	sodium_memzero(&a, sizeof(a));
	return p->error;
}

int
ul_h_export(struct ul_call *c)
{
	const char *after = ul_msg_str(c->in, UL_F_AFTER);
	struct page *p = sodium_malloc(sizeof(*p));
	char next[UL_CURSOR_MAX + 4];
	int r;

	if (p == NULL)
		return UL_ENOMEM;
	memset(p, 0, sizeof(*p));
	p->c = c;
	if ((r = ul_call_read(c, &p->t)) == 0) {
		r = fill(p, after ? after : "", next, sizeof(next));
		ul_txn_abort(p->t);
	}
	sodium_free(p);
	if (r == 0 && next[0])
		ul_msg_put_str(c->out, UL_F_NEXT, next);
	return r;
}

/* An item as every other write checks it (rules/names.c): an import is an
 * admin command with the same rules, not a way around them (Hardening 2,
 * row 1: it took `root` as a Unix user and any argon2 cost). */
static int
check_item(struct ul_call *c, const struct ul_item *item)
{
	switch (item->kind) {
	case UL_ITEM_META:
		return 0;
	case UL_ITEM_PRODUCT:
		return ul_check_product(c, &item->u.product);
	case UL_ITEM_USER:
		return ul_check_user(c, &item->u.user);
	case UL_ITEM_METHOD:
		return ul_check_method(c, &item->u.method);
	case UL_ITEM_ACCOUNT:
		if (item->u.account.uid == 0)
			return ul_call_say(c, UL_EINVAL, "an account needs its uid");
		return ul_check_account(c, &item->u.account);
	case UL_ITEM_MEMBER:
		if (!ul_valid_role(item->role) || strcmp(item->role, "owner") == 0)
			return ul_call_say(c, UL_EINVAL, "bad role");
		return 0;
	case UL_ITEM_APIKEY:
		return ul_check_apikey(c, &item->u.apikey);
	case UL_ITEM_SSHKEY:
		return ul_check_sshkey(c, &item->u.sshkey);
	}
	return UL_EINVAL;
}

/* Stores a parsed item in t: each kind of record through the intent that
 * creates it, so an import claims names and uids as every other write
 * does, and refuses a record the store holds already. */
static int
import_item(struct ul_txn *t, const struct ul_item *item)
{
	switch (item->kind) {
	case UL_ITEM_META:
		return ul_store_uid_floor(t, item->next_uid);
	case UL_ITEM_PRODUCT:
		return ul_store_product_create(t, &item->u.product);
	case UL_ITEM_USER:
		return ul_store_user_create(t, &item->u.user);
	case UL_ITEM_METHOD:
		return ul_store_method_restore(t, item->email, &item->u.method);
	case UL_ITEM_ACCOUNT:
		return ul_store_account_create(t, &item->u.account);
	case UL_ITEM_MEMBER:
		return ul_store_member_set(t, item->product, item->account, item->email,
		    item->role);
	case UL_ITEM_APIKEY:
		return ul_store_apikey_create(t, &item->u.apikey);
	case UL_ITEM_SSHKEY:
		return ul_store_sshkey_create(t, &item->u.sshkey);
	}
	return UL_EINVAL;
}

struct import_batch {
	struct ul_item *item;
	int64_t first;
	unsigned n;
};

/* Every line of the batch is checked and stored in one change, or none. */
static int
import_batch(struct ul_call *c, struct ul_txn *t, void *arg)
{
	struct import_batch *b = arg;
	unsigned line;
	char err[256];
	int r = 0;

	b->n = 0;
	ul_files_hold(true);
	for (unsigned i = 0; r == 0 && i < c->in->nfields; i++) {
		const struct ul_field *f = &c->in->fields[i];

		if (f->tag != UL_F_DATA)
			continue;
		line = (unsigned)b->first + b->n++;
		if (f->len <= 1)
			continue;       /* a blank line */
		if (ul_import_parse(ul_field_str(c->in, f), b->item, err, sizeof(err)) != 0)
			r = ul_call_say(c, UL_ERULE, "line %u: %s", line, err);
		else if (check_item(c, b->item) != 0) {
			memcpy(err, c->message, sizeof(err) - 1);
			err[sizeof(err) - 1] = '\0';
			r = ul_call_say(c, UL_ERULE, "line %u: %s", line, err);
		} else if ((r = import_item(t, b->item)) != 0)
			r = ul_call_say(c, r, "line %u: cannot store it: %s", line,
			    r == UL_EEXIST ? "it is in the store already" :
			    r == UL_ECONFLICT ? "it needs a line before it" : ul_strerror(r));
	}
	ul_files_hold(false);
	return r;
}

int
ul_h_import(struct ul_call *c)
{
	struct import_batch b = {.item = sodium_malloc(sizeof(*b.item)), .first = 1};
	int r;

	if (b.item == NULL)
		return UL_ENOMEM;
	(void)ul_msg_int(c->in, UL_F_LINE, &b.first);
	r = ul_call_write(c, import_batch, &b);
	sodium_free(b.item);
	if (r != 0) {
		/* nothing of this batch is written */
		ul_log(LOG_WARNING, "import refused: %s", c->message);
		return r;
	}
	ul_msg_put_int(c->out, UL_F_LINE, b.first + b.n);
	return 0;
}
