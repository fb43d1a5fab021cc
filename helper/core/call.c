/* The call context: messages, fields, the store's transaction with its
 * messages, and the audit log (S8). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "common/util.h"
#include "helper/core/email.h"
#include "helper/core/call.h"
#include "helper/core/log.h"
#include "unilogin/error.h"

struct ul_later {
	void (*run)(struct ul_call *c, void *arg);
	struct ul_call call;
	struct ul_msg *in, *out;
	size_t n;
	unsigned char arg[];
};

int
ul_call_later(struct ul_call *c, void (*run)(struct ul_call *c, void *arg),
    const void *arg, size_t n)
{
	struct ul_later *l;

	if (c->later != NULL)
		return UL_EINVAL;
	/* sodium_malloc puts the block's end at a page's end: a size of a
	 * multiple of 16 keeps the struct aligned */
	l = sodium_malloc((sizeof(*l) + n + 15) & ~(size_t)15);
	if (l == NULL)
		return UL_ENOMEM;
	memset(l, 0, sizeof(*l));
	l->in = ul_msg_new();
	l->out = ul_msg_new();
	if (l->in == NULL || l->out == NULL) {
		ul_later_free(l);
		return UL_ENOMEM;
	}
	/* the decoded request as it is: buf and the fields that point in it
	 * (the copy keeps its own allocation's kind) */
	{
		bool plain = l->in->plain;

		*l->in = *c->in;
		l->in->plain = plain;
	}
	l->run = run;
	l->call = *c;
	l->call.in = l->in;
	l->call.out = l->out;
	l->call.later = NULL;
	l->call.kdf_place = NULL;   /* the call's own, given back with it */
	l->n = n;
	memcpy(l->arg, arg, n);
	c->later = l;
	return 0;
}

void
ul_call_kdf_take(struct ul_call *c, sem_t *places)
{
	while (sem_wait(places) != 0 && errno == EINTR)
		;
	c->kdf_place = places;
}

void
ul_call_kdf_give(struct ul_call *c)
{
	if (c->kdf_place != NULL)
		sem_post(c->kdf_place);
	c->kdf_place = NULL;
}

void
ul_later_run(struct ul_later *l)
{
	l->call.message[0] = '\0';
	ul_msg_start(l->out, UL_MSG_REPLY);
	l->run(&l->call, l->arg);
}

void
ul_later_free(struct ul_later *l)
{
	if (l == NULL)
		return;
	ul_msg_free(l->in);         /* wipes */
	ul_msg_free(l->out);
	sodium_free(l);             /* wipes */
}

int
ul_call_say(struct ul_call *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
	return code;
}

const char *
ul_call_arg(struct ul_call *c, uint16_t tag)
{
	const char *v = ul_msg_str(c->in, tag);

	if (v == NULL || v[0] == '\0') {
		const struct ul_field_info *info = ul_field_info(tag);

		ul_call_say(c, UL_EINVAL, "missing %s", info ? info->name : "field");
		return NULL;
	}
	return v;
}

int
ul_call_email(struct ul_call *c, uint16_t tag, char out[UL_EMAIL_MAX + 1])
{
	const char *raw = ul_call_arg(c, tag);

	if (raw == NULL)
		return UL_EINVAL;
	if (ul_email_normalise(raw, out) != 0)
		return ul_call_say(c, UL_EINVAL, "not a valid email address");
	return 0;
}

int64_t
ul_now(void)
{
	return (int64_t)time(NULL);
}

int
ul_call_read(struct ul_call *c, struct ul_txn **t)
{
	int r = ul_txn_begin(c->h->store, false, t);

	if (r != 0) {
		ul_log(LOG_ERR, "store: cannot begin a transaction: %s", ul_strerror(r));
		ul_call_say(c, r, "the store cannot be used: %s", ul_strerror(r));
	}
	return r;
}

/* The syslog line of an audit record, kept until the change is on disk
 * (ul_call_write writes them then). */
static void
log_event(struct ul_call *c, const struct ul_event *e, const char *service,
    const char *rhost)
{
	char *line;

	if (c->nlogged == sizeof(c->logged) / sizeof(c->logged[0]))
		return;
	c->logged[c->nlogged][sizeof(c->logged[0]) - 2] = '\0';
	line = c->logged[c->nlogged++];
	snprintf(line, sizeof(c->logged[0]),
	    "%c%s %s: email=%s product=%s account=%s service=%s rhost=%s uid=%u%s%s",
	    e->result == 0 || e->result == UL_ENEEDCODE ? 'i' : 'n',
	    e->event, e->result == 0 ? "ok" : ul_strerror(e->result),
	    e->email && e->email[0] ? e->email : "-",
	    e->product && e->product[0] ? e->product : "-",
	    e->account && e->account[0] ? e->account : "-",
	    service ? service : "-", rhost ? rhost : "-", (unsigned)c->uid,
	    e->detail ? " detail=" : "", e->detail ? e->detail : "");
}

static void
flush_log(struct ul_call *c, bool stored)
{
	for (unsigned i = 0; stored && i < c->nlogged; i++)
		ul_log(c->logged[i][0] == 'i' ? LOG_INFO : LOG_NOTICE, "%s",
		    c->logged[i] + 1);
	c->nlogged = 0;
}

struct call_write {
	struct ul_call *c;
	int (*change)(struct ul_call *c, struct ul_txn *t, void *arg);
	void *arg;
	int result;                 /* change's own, to tell it from the commit's */
};

static int
call_write_change(struct ul_txn *t, void *p)
{
	struct call_write *w = p;

	w->result = w->change(w->c, t, w->arg);
	return w->result;
}

int
ul_call_write(struct ul_call *c, int (*change)(struct ul_call *c,
    struct ul_txn *t, void *arg), void *arg)
{
	struct call_write w = {.c = c, .change = change, .arg = arg, .result = 1};
	int r;

	/* with the disk full, the store's reserve is for logins: any other
	 * change is refused before it starts */
	if (!c->reserve && ul_store_space_low(c->h->store)) {
		ul_log(LOG_ERR, "store: no space left on %s: %s refused, nothing changed",
		    c->h->conf.state_dir, ul_msg_type_name(c->in->type));
		return ul_call_say(c, UL_ENOSPC,
		    "no space left for the store: nothing was changed");
	}
	c->nlogged = 0;
	r = ul_store_write(c->h->store, call_write_change, &w);
	flush_log(c, r == 0);
	/* a fleet's provider that cannot take the change (F2): the answer
	 * says it to the caller, the log to the admin */
	if (r == UL_EUNREACHABLE || r == UL_EUNKNOWN)
		ul_log(LOG_ERR, "store: %s refused: %s", ul_msg_type_name(c->in->type),
		    ul_strerror(r));
	if (r == 0 || r == w.result)
		return r;
	/* the change was right, its batch could not be made durable */
	if (r == UL_ENOSPC) {
		ul_log(LOG_ERR, "store: commit failed: no space left; nothing changed");
		return ul_call_say(c, r, "no space left for the store: nothing was changed");
	}
	ul_log(LOG_ERR, "store: commit failed: %s", ul_strerror(r));
	return ul_call_say(c, r, "the store failed: nothing was changed");
}

int
ul_call_user(struct ul_call *c, const char *email, struct ul_user *u)
{
	struct ul_txn *t;
	int r = ul_call_read(c, &t);

	if (r != 0)
		return r;
	r = ul_store_user_get(t, email, u);
	ul_txn_abort(t);
	if (r == UL_ENOTFOUND)
		return ul_call_say(c, r, "no user %s", email);
	return r;
}

int
ul_call_audited(struct ul_call *c, struct ul_txn *t, int r,
    const struct ul_event *e)
{
	return r == 0 && e != NULL ? ul_audit(c, t, e) : r;
}

/* Fields of an audit record: what a client sent is made safe for the
 * admin's terminal that lists it (row 9). */
static void
copy(char *dst, size_t n, const char *src)
{
	ul_text_safe(src, dst, n);
}

int
ul_audit(struct ul_call *c, struct ul_txn *t, const struct ul_event *e)
{
	struct ul_audit a = {.time = ul_now(), .caller_uid = c->uid,
	    .result = e->result};
	const char *service = ul_msg_str(c->in, UL_F_SERVICE);
	const char *rhost = ul_msg_str(c->in, UL_F_RHOST);

	copy(a.event, sizeof(a.event), e->event);
	copy(a.email, sizeof(a.email), e->email);
	copy(a.product, sizeof(a.product), e->product);
	copy(a.account, sizeof(a.account), e->account);
	copy(a.service, sizeof(a.service), service);
	copy(a.rhost, sizeof(a.rhost), rhost);
	copy(a.detail, sizeof(a.detail), e->detail);
	log_event(c, e, service, rhost);
	return ul_store_audit_append(t, &a);
}

static int
audit_change(struct ul_call *c, struct ul_txn *t, void *arg)
{
	return ul_audit(c, t, arg);
}

void
ul_audit_alone(struct ul_call *c, const struct ul_event *e)
{
	if (ul_call_write(c, audit_change, (void *)e) != 0)
		ul_log(LOG_ERR, "audit: cannot record %s", e->event);
}

int
ul_call_cursor(struct ul_call *c, struct ul_cursor *cur)
{
	const char *after = ul_msg_str(c->in, UL_F_AFTER);

	cur->token[0] = '\0';
	if (after == NULL)
		return 0;
	if (strlen(after) >= sizeof(cur->token))
		return ul_call_say(c, UL_EINVAL, "bad paging token");
	memcpy(cur->token, after, strlen(after) + 1);
	return 0;
}

bool
ul_login_outcome(int r)
{
	return r == 0 || (r <= UL_EAUTH && r >= UL_EEXPIRED);
}

bool
ul_page_full(const struct ul_msg *m)
{
	return m->len > UL_FRAME_MAX - 4096 || m->nfields > UL_FIELDS_MAX - 64;
}
