/* Login tickets, in memory, behind one mutex: LOGIN_BEGIN runs on the KDF
 * pool and LOGIN_CODE on the write pool. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helper/rules/tickets.h"
#include "unilogin/error.h"

struct ul_tickets {
	pthread_mutex_t lock;
	unsigned n;
	struct ul_ticket *slots;    /* in guarded memory: they hold emails */
};

int
ul_tickets_new(struct ul_tickets **out)
{
	struct ul_tickets *ts = calloc(1, sizeof(*ts));

	*out = NULL;
	if (ts == NULL)
		return UL_ENOMEM;
	ts->slots = sodium_allocarray(UL_TICKETS_MAX, sizeof(struct ul_ticket));
	if (ts->slots == NULL) {
		free(ts);
		return UL_ENOMEM;
	}
	sodium_memzero(ts->slots, UL_TICKETS_MAX * sizeof(struct ul_ticket));
	pthread_mutex_init(&ts->lock, NULL);
	*out = ts;
	return 0;
}

void
ul_tickets_free(struct ul_tickets *ts)
{
	if (ts == NULL)
		return;
	sodium_free(ts->slots);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

/* Drops expired tickets; called with the lock held. */
static void
expire(struct ul_tickets *ts)
{
	int64_t t = now();

	for (unsigned i = 0; i < ts->n;) {
		if (ts->slots[i].expires <= t) {
			ts->slots[i] = ts->slots[--ts->n];
			sodium_memzero(&ts->slots[ts->n], sizeof(ts->slots[0]));
		} else {
			i++;
		}
	}
}

int
ul_tickets_issue(struct ul_tickets *ts, struct ul_ticket *t,
    char text[UL_TICKET_TEXT])
{
	int r = 0;

	randombytes_buf(t->id, sizeof(t->id));
	t->expires = now() + UL_TICKET_TTL;
	pthread_mutex_lock(&ts->lock);
	if (ts->n >= UL_TICKETS_MAX)
		expire(ts);
	if (ts->n >= UL_TICKETS_MAX)
		r = UL_EBUSY;
	else
		ts->slots[ts->n++] = *t;
	pthread_mutex_unlock(&ts->lock);
	sodium_bin2hex(text, UL_TICKET_TEXT, t->id, sizeof(t->id));
	return r;
}

/* The slot of a live ticket of this uid, or -1; with the lock held. */
static int
find(struct ul_tickets *ts, const uint8_t id[16], uid_t uid)
{
	int64_t t = now();
	int found = -1;

	for (unsigned i = 0; i < ts->n; i++)
		if (sodium_memcmp(ts->slots[i].id, id, 16) == 0 && found < 0)
			found = (int)i;
	if (found >= 0 && (ts->slots[found].uid != uid || ts->slots[found].expires <= t))
		found = -1;
	return found;
}

static int
parse(const char *text, uint8_t id[16])
{
	size_t len = 0;

	if (text == NULL || strlen(text) != 32 ||
	    sodium_hex2bin(id, 16, text, 32, NULL, &len, NULL) != 0 || len != 16)
		return UL_EAUTH;
	return 0;
}

int
ul_tickets_find(struct ul_tickets *ts, const char *text, uid_t uid, bool take,
    struct ul_ticket *out)
{
	uint8_t id[16];
	int i;

	memset(out, 0, sizeof(*out));
	if (parse(text, id) != 0)
		return UL_EAUTH;
	pthread_mutex_lock(&ts->lock);
	i = find(ts, id, uid);
	if (i >= 0) {
		*out = ts->slots[i];
		if (take) {
			ts->slots[i] = ts->slots[--ts->n];
			sodium_memzero(&ts->slots[ts->n], sizeof(ts->slots[0]));
		}
	}
	pthread_mutex_unlock(&ts->lock);
	return i >= 0 ? 0 : UL_EAUTH;
}

unsigned
ul_tickets_sms(struct ul_tickets *ts, const char *text, uid_t uid)
{
	uint8_t id[16];
	unsigned n = 0;
	int i;

	if (parse(text, id) != 0)
		return 0;
	pthread_mutex_lock(&ts->lock);
	i = find(ts, id, uid);
	if (i >= 0)
		n = ++ts->slots[i].sms_sent;
	pthread_mutex_unlock(&ts->lock);
	return n;
}
