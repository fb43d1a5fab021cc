/* uniloginctl migrate: the host's users by name. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/migrate.h"

/* Users by name: an open-addressing table of indexes into h->users (0 is
 * empty, i + 1 is users[i]), at most half full, so that reading passwd,
 * shadow, the emails and the apps of a large host is linear. */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;       /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void
index_put(unsigned *slots, unsigned nslots, const char *name, unsigned i)
{
	unsigned k = name_hash(name) & (nslots - 1);

	while (slots[k] != 0)
		k = (k + 1) & (nslots - 1);
	slots[k] = i + 1;
}

int
ul_mig_index_add(struct mig_host *h, unsigned i)
{
	unsigned nslots;
	unsigned *slots;

	if ((i + 1) * 2 <= h->nslots) {
		index_put(h->slots, h->nslots, h->users[i].name, i);
		return 0;
	}
	nslots = h->nslots ? h->nslots * 2 : 512;
	if ((slots = calloc(nslots, sizeof(*slots))) == NULL)
		return -1;
	for (unsigned k = 0; k <= i; k++)
		index_put(slots, nslots, h->users[k].name, k);
	free(h->slots);
	h->slots = slots;
	h->nslots = nslots;
	return 0;
}

struct mig_user *
ul_mig_find_user(struct mig_host *h, const char *name)
{
	if (h->nslots == 0)
		return NULL;
	for (unsigned k = name_hash(name) & (h->nslots - 1); h->slots[k] != 0;
	    k = (k + 1) & (h->nslots - 1))
		if (strcmp(h->users[h->slots[k] - 1].name, name) == 0)
			return &h->users[h->slots[k] - 1];
	return NULL;
}
