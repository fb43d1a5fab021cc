/* Building an entry or a change (struct dir_mods) with copies of its
 * values, so that callers need not keep arrays alive; wiped after use
 * when it held a secret. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "helper/store/ldap/internal.h"

void
dir_mods_init(struct dir_mods *b)
{
	memset(b, 0, sizeof(*b));
}

static int
mod_of(struct dir_mods *b, int op, const char *type)
{
	for (int i = 0; i < b->nmods; i++)
		if ((b->mod[i].mod_op & ~LDAP_MOD_BVALUES) == op &&
		    strcmp(b->mod[i].mod_type, type) == 0)
			return i;
	if (b->nmods == DIR_MODS) {
		b->full = true;
		return -1;
	}
	b->mod[b->nmods].mod_op = op | LDAP_MOD_BVALUES;
	b->mod[b->nmods].mod_type = (char *)type;
	b->mod[b->nmods].mod_vals.modv_bvals = b->vals[b->nmods];
	return b->nmods++;
}

void
dir_mods_bin(struct dir_mods *b, int op, const char *type, const void *value,
    size_t n)
{
	int m, k = 0;

	/* no value: nothing to add (a delete or replace without values
	 * clears the attribute) */
	if (n == 0 && op == LDAP_MOD_ADD)
		return;
	m = mod_of(b, op, type);
	if (m < 0 || n == 0)
		return;
	if (b->nvals == DIR_VALUES || n > DIR_DATA - b->used) {
		b->full = true;
		return;
	}
	while (b->vals[m][k] != NULL)
		k++;
	if (k == DIR_VALUES) {
		b->full = true;
		return;
	}
	memcpy(b->data + b->used, value, n);
	b->bv[b->nvals].bv_val = b->data + b->used;
	b->used += n;
	b->bv[b->nvals].bv_len = n;
	b->vals[m][k] = &b->bv[b->nvals++];
}

void
dir_mods_text(struct dir_mods *b, int op, const char *type, const char *value)
{
	dir_mods_bin(b, op, type, value, strlen(value));
}

void
dir_mods_int(struct dir_mods *b, int op, const char *type, int64_t value)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, value);
	dir_mods_text(b, op, type, text);
}

LDAPMod **
dir_mods_list(struct dir_mods *b)
{
	if (b->full)
		return NULL;
	for (int i = 0; i < b->nmods; i++)
		b->list[i] = &b->mod[i];
	b->list[b->nmods] = NULL;
	return b->list;
}

void
dir_mods_wipe(struct dir_mods *b)
{
	sodium_memzero(b->data, sizeof(b->data));
}
