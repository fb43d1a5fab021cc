/* Fuzz target: the authenticator files `uniloginctl migrate` reads as root
 * (tools/migrate_apps.c): a ~/.google_authenticator (first byte even) or
 * a pam_oath users file (odd), from memory.  Whatever the bytes, a user is
 * either skipped whole, with a reason and nothing of its app kept (never
 * half-imported), or it holds a seed of 10 to 20 bytes, 6 to 8 digits and
 * at most 10 scratch codes of 8 digits. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "tests/fuzz/fuzz.h"
#include "tools/migrate_files.h"

static const char *const names[] = {"alice", "bob", "carol"};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return sodium_init() < 0 ? -1 : 0;
}

static void
check_user(const struct mig_user *u)
{
	if (u->skip) {
		FUZZ_CHECK(u->why[0] != '\0');
		FUZZ_CHECK(u->seed_len == 0 && u->nscratch == 0 && u->step == 0);
		FUZZ_CHECK(sodium_is_zero(u->seed, sizeof(u->seed)));
		return;
	}
	FUZZ_CHECK(u->nscratch <= MIG_SCRATCH_MAX);
	if (u->seed_len == 0)
		return;
	FUZZ_CHECK(u->seed_len >= 10 && u->seed_len <= MIG_SEED_MAX);
	FUZZ_CHECK(u->digits >= 6 && u->digits <= 8);
	for (unsigned i = 0; i < u->nscratch; i++)
		FUZZ_CHECK(strlen(u->scratch[i]) == 8 &&
		    strspn(u->scratch[i], "0123456789") == 8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mig_user users[3];
	struct mig_host h = {.users = users, .cap = 3};
	struct mig_file f = {.path = "fuzz"};
	bool ga;

	if (size < 1)
		return 0;
	ga = (data[0] & 1) == 0;
	memset(users, 0, sizeof(users));
	for (unsigned i = 0; i < 3; i++) {
		snprintf(users[i].name, sizeof(users[i].name), "%s", names[i]);
		if (ul_mig_index_add(&h, i) != 0)
			abort();
		h.n++;
	}
	/* mig_file_line ends the last line in place: one byte more */
	f.buf = malloc(size);
	if (f.buf == NULL)
		return 0;
	memcpy(f.buf, data + 1, size - 1);
	f.buf[size - 1] = '\0';
	f.len = size - 1;
	if (ga)
		ul_mig_parse_ga(&users[0], &f, 1);
	else
		(void)ul_mig_parse_oath(&h, &f);
	for (int i = 0; i < 3; i++)
		check_user(&users[i]);
	free(f.buf);
	free(h.slots);
	return 0;
}
