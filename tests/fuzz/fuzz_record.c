/* Fuzz target: the store's record decoders (users, accounts, products,
 * audit entries, failure counts, two-factor methods, API keys, sessions).
 * A record in the store is trusted no more than a frame: a damaged or
 * hostile database file must give UL_ESTORE, never a read out of bounds.
 * Every input goes to each decoder; what one accepts must encode again and
 * decode to a struct that encodes to the same record. */
#include "config.h"

#include <string.h>

#include "helper/store/record.h"
#include "helper/store/store.h"
#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"

static struct ul_record first, second;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* One kind of record, through its own decoder and encoder: what decodes
 * (a) encodes (first) and decodes (b); b encodes to the same bytes and
 * decodes to the same struct (c).  The input itself is not compared with
 * b byte for byte: a tag given twice leaves the bytes after the NUL of the
 * first string, which no reader sees and no encoding keeps. */
#define ROUND_TRIP(kind, type)                                              \
	static void                                                         \
	round_trip_##kind(const uint8_t *data, size_t size)                 \
	{                                                                   \
		static type a, b, c;                                        \
		int r = ul_record_##kind##_decode(data, size, &a);          \
                                                                            \
		FUZZ_CHECK(r == 0 || r == UL_ESTORE);                       \
		if (r != 0)                                                 \
			return;                                             \
		FUZZ_CHECK(ul_record_##kind##_encode(&first, &a) == 0);     \
		FUZZ_CHECK(first.len >= 1 && first.len <= sizeof(first.buf)); \
		FUZZ_CHECK(ul_record_##kind##_decode(first.buf, first.len,  \
		    &b) == 0);                                              \
		FUZZ_CHECK(ul_record_##kind##_encode(&second, &b) == 0);    \
		FUZZ_CHECK(second.len == first.len);                        \
		FUZZ_CHECK(memcmp(second.buf, first.buf, first.len) == 0);  \
		FUZZ_CHECK(ul_record_##kind##_decode(second.buf,            \
		    second.len, &c) == 0);                                  \
		FUZZ_CHECK(memcmp(&b, &c, sizeof(b)) == 0);                 \
		ul_record_wipe(&first);                                     \
		ul_record_wipe(&second);                                    \
	}

ROUND_TRIP(user, struct ul_user)
ROUND_TRIP(account, struct ul_account)
ROUND_TRIP(product, struct ul_product)
ROUND_TRIP(audit, struct ul_audit)
ROUND_TRIP(failures, struct ul_failures)
ROUND_TRIP(method, struct ul_method)
ROUND_TRIP(apikey, struct ul_apikey)
ROUND_TRIP(session, struct ul_session)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* libFuzzer hands over a buffer of exactly size bytes, so a read past
	 * the end is caught */
	round_trip_user(data, size);
	round_trip_account(data, size);
	round_trip_product(data, size);
	round_trip_audit(data, size);
	round_trip_failures(data, size);
	round_trip_method(data, size);
	round_trip_apikey(data, size);
	round_trip_session(data, size);
	return 0;
}
