/* Per-uid connection and lane accounting: an open-addressed table of the
 * uids that hold something, with room for every connection. */
#include "config.h"

#include <stdlib.h>

#include "helper/handlers/dispatch.h"
#include "helper/server/limits.h"
#include "unilogin/error.h"

/* Jobs one unprivileged uid may have queued or running per lane: a hash
 * or two and a few commits at once is what a person's logins need; the
 * slow lane (a delivery takes up to 30 s) the fewest. */
static const unsigned lane_quota[UL_LANES] = {
	[UL_LANE_LOOP] = UL_CONNS_PER_UID,
	[UL_LANE_WRITE] = 8,
	[UL_LANE_KDF] = 4,
	[UL_LANE_SLOW] = 2,
};

#define SLOTS 2048                  /* > 2 x UL_CONNS_MAX: short probes */

struct slot {
	uid_t uid;
	unsigned conns;
	unsigned lanes[UL_LANES];
	bool used;
};

struct ul_limits {
	unsigned total;
	struct slot slot[SLOTS];
};

int
ul_limits_new(struct ul_limits **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : UL_ENOMEM;
}

void
ul_limits_free(struct ul_limits *l)
{
	free(l);
}

static struct slot *
find(const struct ul_limits *l, uid_t uid)
{
	for (unsigned i = 0, h = (unsigned)uid * 2654435761u % SLOTS; i < SLOTS;
	     i++, h = (h + 1) % SLOTS) {
		const struct slot *s = &l->slot[h];

		if (!s->used || s->uid == uid)
			return (struct slot *)s;
	}
	return NULL;
}

/* Frees a slot that holds nothing (linear probing: the slots after it that
 * belong further up the chain move into the hole). */
static void
release(struct ul_limits *l, struct slot *s)
{
	unsigned hole = (unsigned)(s - l->slot), i = hole;

	if (s->conns != 0)
		return;
	for (unsigned k = 0; k < UL_LANES; k++)
		if (s->lanes[k] != 0)
			return;
	s->used = false;
	for (;;) {
		unsigned home;

		i = (i + 1) % SLOTS;
		if (!l->slot[i].used)
			return;
		home = (unsigned)l->slot[i].uid * 2654435761u % SLOTS;
		/* does home lie cyclically in (hole, i]?  then it stays */
		if (hole <= i ? (home > hole && home <= i) : (home > hole || home <= i))
			continue;
		l->slot[hole] = l->slot[i];
		l->slot[i].used = false;
		hole = i;
	}
}

bool
ul_limits_open(struct ul_limits *l, uid_t uid, bool admin, bool uncapped)
{
	struct slot *s;

	if (l->total >= UL_CONNS_MAX ||
	    (!admin && l->total >= UL_CONNS_MAX - UL_CONNS_KEPT))
		return false;
	s = find(l, uid);
	if (s == NULL || (uid != 0 && !uncapped && s->used &&
	    s->conns >= UL_CONNS_PER_UID))
		return false;
	if (!s->used)
		*s = (struct slot){.uid = uid, .used = true};
	s->conns++;
	l->total++;
	return true;
}

void
ul_limits_close(struct ul_limits *l, uid_t uid)
{
	struct slot *s = find(l, uid);

	if (s == NULL || !s->used || s->conns == 0)
		return;
	s->conns--;
	l->total--;
	release(l, s);
}

bool
ul_limits_lane_take(struct ul_limits *l, uid_t uid, bool admin, unsigned lane)
{
	struct slot *s = find(l, uid);

	if (lane >= UL_LANES || s == NULL)
		return false;
	if (s->used && !admin && s->lanes[lane] >= lane_quota[lane])
		return false;
	if (!s->used)   /* work after a reply may outlive its connection */
		*s = (struct slot){.uid = uid, .used = true};
	s->lanes[lane]++;
	return true;
}

void
ul_limits_lane_done(struct ul_limits *l, uid_t uid, bool admin, unsigned lane)
{
	struct slot *s = find(l, uid);

	(void)admin;
	if (lane >= UL_LANES || s == NULL || !s->used || s->lanes[lane] == 0)
		return;
	s->lanes[lane]--;
	release(l, s);
}

unsigned
ul_limits_conns(const struct ul_limits *l)
{
	return l->total;
}

unsigned
ul_limits_conns_of(const struct ul_limits *l, uid_t uid)
{
	const struct slot *s = find(l, uid);

	return s != NULL && s->used ? s->conns : 0;
}
