/* Login tickets, in memory, behind one mutex: LOGIN_BEGIN runs on the KDF
 * pool and LOGIN_CODE on the write pool.  The table is a plain array that
 * grows with use (resident memory follows the live tickets); a ticket is
 * wiped when it goes.  The helper is not dumpable (S4). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "helper/rules/tickets.h"
#include "unilogin/error.h"

#define GROW 1024

struct ul_tickets {
	pthread_mutex_t lock;
	unsigned n, cap;
	struct ul_ticket *slots;
};

static uint8_t key_of_keys[crypto_generichash_KEYBYTES];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void
make_key(void)
{
	crypto_generichash_keygen(key_of_keys);
}

uint64_t
ul_ticket_key(const char *product, const char *account, const char *who)
{
	crypto_generichash_state st;
	uint8_t out[8];
	uint64_t k;

	pthread_once(&key_once, make_key);
	crypto_generichash_init(&st, key_of_keys, sizeof(key_of_keys), sizeof(out));
	crypto_generichash_update(&st, (const uint8_t *)product, strlen(product) + 1);
	crypto_generichash_update(&st, (const uint8_t *)account, strlen(account) + 1);
	crypto_generichash_update(&st, (const uint8_t *)who, strlen(who) + 1);
	crypto_generichash_final(&st, out, sizeof(out));
	memcpy(&k, out, sizeof(k));
	return k;
}

int
ul_tickets_new(struct ul_tickets **out)
{
	struct ul_tickets *ts = calloc(1, sizeof(*ts));

	*out = NULL;
	if (ts == NULL)
		return UL_ENOMEM;
	pthread_mutex_init(&ts->lock, NULL);
	*out = ts;
	return 0;
}

void
ul_tickets_free(struct ul_tickets *ts)
{
	if (ts == NULL)
		return;
	if (ts->slots != NULL) {
		sodium_memzero(ts->slots, ts->cap * sizeof(ts->slots[0]));
		free(ts->slots);
	}
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

static int64_t
now(void)
{
	return (int64_t)time(NULL);
}

/* Removes slot i (the last one moves into it); with the lock held. */
static void
drop(struct ul_tickets *ts, unsigned i)
{
	ts->slots[i] = ts->slots[--ts->n];
	sodium_memzero(&ts->slots[ts->n], sizeof(ts->slots[0]));
}

/* Drops expired tickets; with the lock held. */
static void
expire(struct ul_tickets *ts)
{
	int64_t t = now();

	for (unsigned i = 0; i < ts->n;)
		if (ts->slots[i].expires <= t)
			drop(ts, i);
		else
			i++;
}

/* Room for one more ticket of t's key: the oldest of its key goes when it
 * has its share; else a free slot, growing the table up to its bound. */
static int
make_room(struct ul_tickets *ts, uint64_t key)
{
	unsigned same = 0, oldest = 0;
	struct ul_ticket *grown;
	size_t cap;

	for (unsigned i = 0; i < ts->n; i++) {
		if (ts->slots[i].key != key)
			continue;
		if (same++ == 0 || ts->slots[i].expires < ts->slots[oldest].expires)
			oldest = i;
	}
	if (same >= UL_TICKETS_PER_KEY) {
		drop(ts, oldest);
		return 0;
	}
	if (ts->n < ts->cap)
		return 0;
	if (ts->cap >= UL_TICKETS_MAX)
		return UL_EBUSY;
	cap = ts->cap + GROW;
	grown = calloc(cap, sizeof(*grown));
	if (grown == NULL)
		return UL_ENOMEM;
	if (ts->slots != NULL) {
		memcpy(grown, ts->slots, ts->n * sizeof(*grown));
		sodium_memzero(ts->slots, ts->cap * sizeof(ts->slots[0]));
		free(ts->slots);
	}
	ts->slots = grown;
	ts->cap = (unsigned)cap;
	return 0;
}

int
ul_tickets_issue(struct ul_tickets *ts, struct ul_ticket *t,
    char text[UL_TICKET_TEXT])
{
	int r;

	randombytes_buf(t->id, sizeof(t->id));
	t->expires = now() + UL_TICKET_TTL;
	pthread_mutex_lock(&ts->lock);
	expire(ts);
	r = make_room(ts, t->key);
	if (r == 0)
		ts->slots[ts->n++] = *t;
	pthread_mutex_unlock(&ts->lock);
	sodium_bin2hex(text, UL_TICKET_TEXT, t->id, sizeof(t->id));
	return r;
}

/* The slot of a live ticket of this uid, or -1; with the lock held. */
static int
find(struct ul_tickets *ts, const uint8_t id[16], uid_t uid, uint64_t peer)
{
	int64_t t = now();
	int found = -1;

	for (unsigned i = 0; i < ts->n; i++)
		if (sodium_memcmp(ts->slots[i].id, id, 16) == 0 && found < 0)
			found = (int)i;
	if (found >= 0 && (ts->slots[found].uid != uid ||
	    ts->slots[found].peer != peer || ts->slots[found].expires <= t))
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
ul_tickets_find(struct ul_tickets *ts, const char *text, uid_t uid,
    uint64_t peer, bool take, struct ul_ticket *out)
{
	uint8_t id[16];
	int i;

	memset(out, 0, sizeof(*out));
	if (parse(text, id) != 0)
		return UL_EAUTH;
	pthread_mutex_lock(&ts->lock);
	i = find(ts, id, uid, peer);
	if (i >= 0) {
		*out = ts->slots[i];
		if (take)
			drop(ts, (unsigned)i);
	}
	pthread_mutex_unlock(&ts->lock);
	return i >= 0 ? 0 : UL_EAUTH;
}

unsigned
ul_tickets_sms(struct ul_tickets *ts, const char *text, uid_t uid,
    uint64_t peer)
{
	uint8_t id[16];
	unsigned n = 0;
	int i;

	if (parse(text, id) != 0)
		return 0;
	pthread_mutex_lock(&ts->lock);
	i = find(ts, id, uid, peer);
	if (i >= 0)
		n = ++ts->slots[i].sms_sent;
	pthread_mutex_unlock(&ts->lock);
	return n;
}

unsigned
ul_tickets_count(struct ul_tickets *ts)
{
	unsigned n;

	pthread_mutex_lock(&ts->lock);
	expire(ts);
	n = ts->n;
	pthread_mutex_unlock(&ts->lock);
	return n;
}
