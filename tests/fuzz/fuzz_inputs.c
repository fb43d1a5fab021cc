/* Fuzz target: what a person types, and what is made from it.  The first
 * byte of an input picks the function, the rest is its text:
 *
 *   0  ul_email_normalise    an email address (U1)
 *   1  ul_code_normalise     a confirmation or reset code (C1)
 *   2  ul_conf_parse_kdf     the kdf value of unilogin.conf
 *   3  ul_totp_uri           the enrollment Key URI from issuer, email and
 *                            secret (T2), into a buffer of a fuzzed size
 *   4  ul_totp_match         a TOTP code as typed (T1, T3)
 *   5  ul_tickets_find       a login ticket as a client sends it back
 *   6  ul_code_read          a recovery code as typed (T4), hashed as the
 *                            login path hashes it before the store
 *                            consumes the one it matches
 *
 * Each is checked against a small independent model of what it must do,
 * and every output against its buffer: outputs live in heap blocks of
 * exactly their size, so a byte written or read past them is caught. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "common/conf.h"
#include "helper/core/email.h"
#include "helper/core/call.h"
#include "helper/rules/codes.h"
#include "helper/rules/keys.h"
#include "helper/rules/tfa.h"
#include "helper/rules/tickets.h"
#include "helper/rules/totp.h"
#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"

#define NOW 1700000000          /* a fixed clock: the same input, the same run */
#define TICKET_UID 1000
#define TICKET_LIFE 200         /* re-issued well before UL_TICKET_TTL */

static uint8_t seed[UL_TOTP_SEED_BYTES];

static struct {
	struct ul_tickets *table;
	char text[UL_TICKET_TEXT];
	time_t issued;
} ticket;

static struct {
	struct ul_helper h;
	struct ul_call c;
	struct ul_user u;           /* ten codes, the last one used */
	char codes[UL_RECOVERY_CODES][UL_RECOVERY_TEXT];
	uint8_t hashes[UL_RECOVERY_CODES][UL_CODE_HASH_BYTES];
	uint32_t unused;
} recovery;

/* A NUL-terminated heap copy of exactly n + 1 bytes. */
static char *
text_of(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	FUZZ_CHECK(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* ---- 0: email addresses ---- */

static void
fuzz_email(const char *in)
{
	char *out = malloc(UL_EMAIL_MAX + 1), *again = malloc(UL_EMAIL_MAX + 1);
	const char *start = in, *end = in + strlen(in);
	size_t n;

	FUZZ_CHECK(out != NULL && again != NULL);
	memset(out, 'x', UL_EMAIL_MAX + 1);
	if (ul_email_normalise(in, out) != 0) {
		FUZZ_CHECK(out[0] == '\0');
		goto done;
	}
	n = strnlen(out, UL_EMAIL_MAX + 1);
	FUZZ_CHECK(n >= 3 && n <= UL_EMAIL_MAX);
	/* the input, trimmed, and lowered: the local part as it was; the
	 * domain too when it was ASCII, else its A-label (U1) */
	while (isspace((unsigned char)*start))
		start++;
	while (end > start && isspace((unsigned char)end[-1]))
		end--;
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)out[i] > ' ' && (unsigned char)out[i] < 0x7f);
	FUZZ_CHECK(out[0] != '-');
	{
		const char *at = memchr(start, '@', (size_t)(end - start));
		size_t local = at ? (size_t)(at - start) : 0;
		bool ascii = true;

		FUZZ_CHECK(at != NULL && local < n && out[local] == '@');
		for (size_t i = 0; i < local; i++)
			FUZZ_CHECK(out[i] == (char)tolower((unsigned char)start[i]));
		for (const char *p = at; p < end; p++)
			ascii &= (unsigned char)*p < 0x80;
		if (ascii) {
			FUZZ_CHECK((size_t)(end - start) == n);
			for (size_t i = local; i < n; i++)
				FUZZ_CHECK(out[i] == (char)tolower((unsigned char)start[i]));
		}
		/* a non-ASCII domain need not give an A-label: UTS #46 maps
		 * some code points to ASCII (U+01F3 to "dz", fullwidth letters) */
	}
	FUZZ_CHECK(strchr(out, '@') != NULL && strchr(out, '@') == strrchr(out, '@'));
	FUZZ_CHECK(out[0] != '@' && out[n - 1] != '@' && out[n - 1] != '.');
	FUZZ_CHECK(strchr(strchr(out, '@'), '.') != NULL);
	/* a normal form is its own normal form */
	FUZZ_CHECK(ul_email_normalise(out, again) == 0 && strcmp(out, again) == 0);
done:
	free(out);
	free(again);
}

/* ---- 1: confirmation and reset codes ---- */

/* The model: Crockford base32, case, '-' and ' ' aside, O -> 0, I/L -> 1. */
static bool
code_model(const char *in, char out[UL_CODE_LEN + 1])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	size_t n = 0;

	for (; *in != '\0'; in++) {
		char ch = (char)toupper((unsigned char)*in);

		if (ch == '-' || ch == ' ')
			continue;
		ch = ch == 'O' ? '0' : ch == 'I' || ch == 'L' ? '1' : ch;
		if (strchr(alphabet, ch) == NULL || n == UL_CODE_LEN)
			return false;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == UL_CODE_LEN;
}

static void
fuzz_code(const char *in)
{
	char *out = malloc(UL_CODE_LEN + 1), *again = malloc(UL_CODE_LEN + 1);
	char want[UL_CODE_LEN + 1];
	int r;

	FUZZ_CHECK(out != NULL && again != NULL);
	r = ul_code_normalise(in, out);
	FUZZ_CHECK(r == 0 || r == UL_EINVAL);
	FUZZ_CHECK((r == 0) == code_model(in, want));
	if (r == 0) {
		FUZZ_CHECK(strnlen(out, UL_CODE_LEN + 1) == UL_CODE_LEN);
		FUZZ_CHECK(strcmp(out, want) == 0);
		FUZZ_CHECK(ul_code_normalise(out, again) == 0 && strcmp(out, again) == 0);
	}
	free(out);
	free(again);
}

/* ---- 2: the kdf setting ---- */

static void
fuzz_kdf(const char *in)
{
	unsigned long long ops = 12345;
	size_t mem = 67890;
	struct ul_conf c;
	char err[UL_CONF_ERR_MAX];
	int r = ul_conf_parse_kdf(in, &ops, &mem), set;

	FUZZ_CHECK(r == 0 || r == UL_EINVAL);
	if (r != 0) {
		FUZZ_CHECK(ops == 12345 && mem == 67890);
	} else if (strcmp(in, "interactive") != 0 && strcmp(in, "moderate") != 0 &&
	    strcmp(in, "sensitive") != 0) {
		FUZZ_CHECK(ops >= crypto_pwhash_OPSLIMIT_MIN && ops <= 1000);
		FUZZ_CHECK(mem >= 1024 * 1024 && mem <= (size_t)65536 * 1024 * 1024);
		FUZZ_CHECK(mem % (1024 * 1024) == 0);
	}
	/* the config key takes what the parser takes (if it fits) */
	ul_conf_defaults(&c);
	set = ul_conf_set(&c, "kdf", in, err, sizeof(err));
	FUZZ_CHECK((set == 0) == (r == 0 && strlen(in) < sizeof(c.kdf)));
	if (set == 0)
		FUZZ_CHECK(c.kdf_opslimit == ops && c.kdf_memlimit == mem &&
		    strcmp(c.kdf, in) == 0);
}

/* ---- 3: the Key URI ---- */

/* The model: all but unreserved characters and '@' percent-encoded. */
static size_t
encode_model(char *out, const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || strchr("-._~@", ch) != NULL)
			out[n++] = (char)ch;
		else
			n += (size_t)sprintf(out + n, "%%%02X", ch);
	}
	out[n] = '\0';
	return n;
}

static char *
uri_model(const char *issuer, const char *email, const char *secret,
    unsigned digits)
{
	size_t max = 3 * (2 * strlen(issuer) + strlen(email) + 1) +
	    strlen(secret) + 128;
	char *out = malloc(max);
	size_t n;

	FUZZ_CHECK(out != NULL);
	n = (size_t)sprintf(out, "otpauth://totp/");
	n += encode_model(out + n, issuer);
	n += encode_model(out + n, ":");
	n += encode_model(out + n, email);
	n += (size_t)sprintf(out + n, "?secret=%s&issuer=", secret);
	n += encode_model(out + n, issuer);
	sprintf(out + n, "&algorithm=SHA1&digits=%u&period=%d", digits,
	    UL_TOTP_PERIOD);
	return out;
}

/* n_hi n_lo digits issuer '\0' email '\0' secret */
static void
fuzz_uri(const uint8_t *p, size_t size)
{
	const char *parts[3] = {"", "", ""};
	size_t n;
	unsigned digits;
	char *text, *out, *want;
	int r;

	if (size < 3)
		return;
	n = (((size_t)p[0] << 8) | p[1]) % 1400;
	digits = p[2];
	text = text_of(p + 3, size - 3);
	for (size_t i = 0, at = 0; i < 3 && at <= size - 3; i++) {
		parts[i] = text + at;
		at += strlen(text + at) + 1;
	}
	out = malloc(n);
	FUZZ_CHECK(out != NULL || n == 0);
	if (n > 0)
		memset(out, 0xaa, n);
	want = uri_model(parts[0], parts[1], parts[2], digits);
	r = ul_totp_uri(parts[0], parts[1], parts[2], digits, out, n);
	FUZZ_CHECK(r == 0 || r == UL_ETOOBIG);
	/* it fits exactly when the whole URI and its NUL fit */
	FUZZ_CHECK((r == 0) == (strlen(want) < n));
	if (r == 0) {
		FUZZ_CHECK(memchr(out, 0, n) != NULL);
		FUZZ_CHECK(strcmp(out, want) == 0);
	}
	free(want);
	free(out);
	free(text);
}

/* ---- 4: TOTP codes ---- */

static void
otp_at(int64_t step, unsigned digits, char out[16])
{
	FUZZ_CHECK(oath_totp_generate((const char *)seed, sizeof(seed),
	    (time_t)(step * UL_TOTP_PERIOD), UL_TOTP_PERIOD, 0, digits, out) == OATH_OK);
}

/* The model: the first step of the window, after `after`, whose code at
 * `digits` digits is the code, exactly; or 0. */
static int64_t
match_model(unsigned digits, unsigned window, int64_t after, const char *code)
{
	int64_t here = NOW / UL_TOTP_PERIOD;
	char otp[16];

	if (digits < 6 || digits > 8 || strlen(code) != digits)
		return 0;
	for (int64_t s = here - (int64_t)window; s <= here + (int64_t)window; s++) {
		otp_at(s, digits, otp);
		if (s > after && strcmp(otp, code) == 0)
			return s;
	}
	return 0;
}

/* digits window after how which rest: the code is rest, or a real code
 * (`which` picks its digits and its step, in the window or near it) with
 * rest after it, before it, or cut short. */
static void
fuzz_match(const uint8_t *p, size_t size)
{
	int64_t here = NOW / UL_TOTP_PERIOD, after, step = -1, want;
	unsigned digits, window, made;
	char otp[16], *rest, *code;
	int r;

	if (size < 5)
		return;
	/* 0..249 as they come; the last few wrap around (UINT_MAX - k) */
	digits = p[0] < 250 ? p[0] : UINT_MAX - (255u - p[0]);
	window = p[1] % 11;
	after = here - 20 + p[2] % 41;
	made = 6 + p[4] % 3;
	otp_at(here + (int64_t)((p[4] / 3) % 23) - 11, made, otp);
	rest = text_of(p + 5, size - 5);
	code = malloc(strlen(rest) + strlen(otp) + 1);
	FUZZ_CHECK(code != NULL);
	switch (p[3] % 4) {
	case 0:
		strcpy(code, rest);
		break;
	case 1:
		sprintf(code, "%s%s", otp, rest);
		break;
	case 2:
		sprintf(code, "%s%s", rest, otp);
		break;
	default:
		snprintf(code, strlen(rest) % 9 + 1, "%s", otp);
		break;
	}
	want = match_model(digits, window, after, code);
	r = ul_totp_match(seed, digits, window, NOW, after, code, &step);
	FUZZ_CHECK(r == 0 || r == UL_EAUTH);
	if (r == 0) {
		/* never a code of another length than digits */
		FUZZ_CHECK(strlen(code) == digits && digits >= 6 && digits <= 8);
		FUZZ_CHECK(step == want && step > after);
	} else {
		FUZZ_CHECK(want == 0 && step == 0);
	}
	free(code);
	free(rest);
}

/* ---- 5: login tickets ---- */

static void
issue_ticket(void)
{
	struct ul_ticket t;

	memset(&t, 0, sizeof(t));
	t.uid = TICKET_UID;
	t.good = true;
	snprintf(t.email, sizeof(t.email), "%s", "fuzz@example.com");
	FUZZ_CHECK(ul_tickets_issue(ticket.table, &t, ticket.text) == 0);
	ticket.issued = time(NULL);
}

/* A fresh table now and then: the ticket of a long run must not expire
 * under the model. */
static void
fresh_tickets(void)
{
	if (ticket.table != NULL && time(NULL) - ticket.issued < TICKET_LIFE)
		return;
	ul_tickets_free(ticket.table);
	FUZZ_CHECK(ul_tickets_new(&ticket.table) == 0);
	issue_ticket();
}

/* how uid rest: the text is rest, or the real ticket with letters'
 * case flipped by rest's first bytes and the remainder after it. */
static void
fuzz_ticket(const uint8_t *p, size_t size)
{
	struct ul_ticket out;
	uid_t uid;
	char *rest, *text;
	bool take, want;
	int r;

	if (size < 2)
		return;
	fresh_tickets();
	uid = p[1] & 1 ? TICKET_UID : p[1];
	take = p[1] & 2;
	rest = text_of(p + 2, size - 2);
	text = malloc(strlen(rest) + UL_TICKET_TEXT);
	FUZZ_CHECK(text != NULL);
	if (p[0] & 1) {
		strcpy(text, rest);
	} else {
		size_t flips = strlen(rest) < 4 ? strlen(rest) : 4;

		strcpy(text, ticket.text);
		for (size_t i = 0; i < 32 && i / 8 < flips; i++)
			if (rest[i / 8] & (1 << (i % 8)))
				text[i] = (char)toupper((unsigned char)text[i]);
		strcat(text, rest + flips);
	}
	want = uid == TICKET_UID && strcasecmp(text, ticket.text) == 0;
	r = ul_tickets_find(ticket.table, text, uid, 0, take, &out);
	FUZZ_CHECK(r == 0 || r == UL_EAUTH);
	FUZZ_CHECK((r == 0) == want);
	if (r == 0)
		FUZZ_CHECK(out.uid == TICKET_UID &&
		    strcmp(out.email, "fuzz@example.com") == 0);
	else
		FUZZ_CHECK(out.uid == 0 && out.email[0] == '\0');
	if (r == 0 && take) {
		FUZZ_CHECK(ul_tickets_find(ticket.table, text, uid, 0, false, &out) ==
		    UL_EAUTH);
		issue_ticket();
	}
	free(text);
	free(rest);
}

/* ---- 6: recovery codes ---- */

/* The model: lower case, '-' and ' ' aside, o -> 0, i/l -> 1, twelve of
 * the alphabet. */
static bool
recovery_model(const char *in, char out[13])
{
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	size_t n = 0;

	for (; *in != '\0'; in++) {
		char ch = (char)tolower((unsigned char)*in);

		if (ch == '-' || ch == ' ')
			continue;
		ch = ch == 'o' ? '0' : ch == 'i' || ch == 'l' ? '1' : ch;
		if (strchr(alphabet, ch) == NULL || n == 12)
			return false;
		out[n++] = ch;
	}
	out[n] = '\0';
	return n == 12;
}

/* Which unused code the text stands for, or -1. */
static int
recovery_index(const char *text)
{
	char canon[13], mine[13];

	if (!recovery_model(text, canon))
		return -1;
	for (int i = 0; i < UL_RECOVERY_CODES; i++)
		if (recovery_model(recovery.codes[i], mine) &&
		    strcmp(canon, mine) == 0 &&
		    (recovery.unused & (1u << i)))
			return i;
	return -1;
}

/* The unused code whose hash the text's reading gives, or -1: what the
 * store's consumption would find. */
static int
recovery_read(const char *text)
{
	char canon[UL_RECOVERY_LEN + 1];
	uint8_t h[UL_CODE_HASH_BYTES];

	if (ul_code_read(text, canon, UL_RECOVERY_LEN, true) != 0)
		return -1;
	FUZZ_CHECK(strlen(canon) == UL_RECOVERY_LEN);
	ul_code_hash(recovery.h.keys, "recovery", recovery.u.id, canon, h);
	for (int i = 0; i < UL_RECOVERY_CODES; i++)
		if (sodium_memcmp(h, recovery.hashes[i], sizeof(h)) == 0 &&
		    (recovery.unused & (1u << i)))
			return i;
	return -1;
}

/* A code as a person might type it: case, look-alikes and separators
 * chosen by the bits of how. */
static void
typed(const char *code, const char *how, char *out)
{
	size_t n = 0, k = 0, hn = strlen(how);

	for (; *code != '\0'; code++, k++) {
		unsigned bits = hn > 0 ? (unsigned char)how[k % hn] : 0;
		char ch = *code;

		if (ch == '0' && (bits & 1))
			ch = 'o';
		if (ch == '1' && (bits & 1))
			ch = bits & 8 ? 'l' : 'i';
		if (bits & 2)
			ch = (char)toupper((unsigned char)ch);
		if (bits & 4)
			out[n++] = bits & 16 ? ' ' : '-';
		if (ch != '-' || !(bits & 32))
			out[n++] = ch;
	}
	out[n] = '\0';
}

static bool
all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* how which rest: rest, a real code typed as rest says, or one with rest
 * after it. */
static void
fuzz_recovery(const uint8_t *p, size_t size)
{
	const char *code;
	char *rest, *text;
	int want;

	if (size < 2)
		return;
	rest = text_of(p + 2, size - 2);
	text = malloc(2 * strlen(rest) + 2 * UL_RECOVERY_TEXT);
	FUZZ_CHECK(text != NULL);
	code = recovery.codes[p[1] % UL_RECOVERY_CODES];
	if (p[0] % 3 == 0)
		strcpy(text, rest);
	else if (p[0] % 3 == 1)
		typed(code, rest, text);
	else
		sprintf(text, "%s%s", code, rest);
	/* digits go to the TOTP and SMS checks, which need the store */
	if (text[0] == '\0' || all_digits(text))
		goto done;
	want = recovery_index(text);
	FUZZ_CHECK(recovery_read(text) == want);
done:
	free(text);
	free(rest);
}

static void
setup_recovery(void)
{
	struct ul_keys *keys = sodium_malloc(sizeof(*keys));

	FUZZ_CHECK(keys != NULL);
	memset(keys, 0x5a, sizeof(*keys));
	ul_conf_defaults(&recovery.h.conf);
	recovery.h.keys = keys;
	recovery.c.h = &recovery.h;
	snprintf(recovery.u.email, sizeof(recovery.u.email), "%s",
	    "fuzz@example.com");
	ul_user_new_id(&recovery.u);
	ul_tfa_new_recovery(&recovery.c, &recovery.u, recovery.hashes, recovery.codes);
	/* the last code is spent: it must no longer pass */
	recovery.unused = ((1u << UL_RECOVERY_CODES) - 1) &
	    ~(1u << (UL_RECOVERY_CODES - 1));
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || ul_totp_init() != 0)
		abort();
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	setup_recovery();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	switch (data[0] % 7) {
	case 3:
		fuzz_uri(data + 1, size - 1);
		return 0;
	case 4:
		fuzz_match(data + 1, size - 1);
		return 0;
	case 5:
		fuzz_ticket(data + 1, size - 1);
		return 0;
	case 6:
		fuzz_recovery(data + 1, size - 1);
		return 0;
	}
	text = text_of(data + 1, size - 1);
	if (data[0] % 7 == 0)
		fuzz_email(text);
	else if (data[0] % 7 == 1)
		fuzz_code(text);
	else
		fuzz_kdf(text);
	free(text);
	return 0;
}
