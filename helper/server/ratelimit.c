/* Token buckets per key. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "helper/server/ratelimit.h"
#include "unilogin/error.h"

struct bucket {
	uint64_t key;
	double tokens;
	int64_t last;               /* monotonic ms */
};

struct ul_ratelimit {
	unsigned burst, per_min, slots, n;
	struct bucket b[];
};

static uint8_t hash_key[crypto_shorthash_KEYBYTES];
static bool keyed;

static uint64_t
hash(const char *tag, const char *const *parts, size_t n)
{
	unsigned char buf[1024], out[crypto_shorthash_BYTES];
	size_t len = 0;
	uint64_t v = 0;

	if (!keyed) {
		crypto_shorthash_keygen(hash_key);
		keyed = true;
	}
	len = (size_t)snprintf((char *)buf, sizeof(buf), "%s", tag) + 1;
	for (size_t i = 0; i < n && len < sizeof(buf); i++) {
		int w = snprintf((char *)buf + len, sizeof(buf) - len, "%s",
		    parts[i] ? parts[i] : "");

		len += (w < 0 ? 0 : (size_t)w) + 1;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	crypto_shorthash(out, buf, len, hash_key);
	memcpy(&v, out, sizeof(v));
	return v;
}

uint64_t
ul_rate_key_uid(uid_t uid)
{
	char text[24];
	const char *parts[] = {text};

	snprintf(text, sizeof(text), "%u", (unsigned)uid);
	return hash("uid", parts, 1);
}

uint64_t
ul_rate_key_person(const char *service, const char *ruser, const char *rhost)
{
	const char *parts[] = {service, ruser, rhost};

	return hash("person", parts, 3);
}

int
ul_ratelimit_new(struct ul_ratelimit **out, unsigned burst, unsigned per_min,
    unsigned slots)
{
	struct ul_ratelimit *rl = calloc(1, sizeof(*rl) + slots * sizeof(rl->b[0]));

	*out = NULL;
	if (rl == NULL || slots == 0) {
		free(rl);
		return UL_ENOMEM;
	}
	rl->burst = burst;
	rl->per_min = per_min;
	rl->slots = slots;
	*out = rl;
	return 0;
}

void
ul_ratelimit_free(struct ul_ratelimit *rl)
{
	free(rl);
}

bool
ul_ratelimit_take(struct ul_ratelimit *rl, uint64_t key, int64_t now)
{
	struct bucket *b = NULL, *oldest = &rl->b[0];

	for (unsigned i = 0; i < rl->n; i++) {
		if (rl->b[i].key == key)
			b = &rl->b[i];
		if (rl->b[i].last < oldest->last)
			oldest = &rl->b[i];
	}
	if (b == NULL) {
		/* a new key takes a free bucket, or the one idle the longest */
		b = rl->n < rl->slots ? &rl->b[rl->n++] : oldest;
		*b = (struct bucket){.key = key, .tokens = rl->burst, .last = now};
	}
	b->tokens += (double)(now - b->last) * rl->per_min / 60000.0;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->last = now;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
