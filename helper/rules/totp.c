/* TOTP through liboath, seeds sealed with libsodium. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <sodium.h>

#include "helper/rules/totp.h"
#include "unilogin/error.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES

int
ul_totp_init(void)
{
	return oath_init() == OATH_OK ? 0 : UL_ENOMEM;
}

void
ul_totp_new_seed(uint8_t seed[UL_TOTP_SEED_BYTES])
{
	randombytes_buf(seed, UL_TOTP_SEED_BYTES);
}

/* The associated data: a box opens only for its own user and method. */
static size_t
bind_to(char *ad, size_t n, const char *email, uint32_t id)
{
	int len = snprintf(ad, n, "unilogin-totp\n%s\n%u", email, id);

	return len < 0 ? 0 : (size_t)len < n ? (size_t)len : n - 1;
}

void
ul_totp_seal(const struct ul_keys *k, const char *email, uint32_t id,
    const uint8_t seed[UL_TOTP_SEED_BYTES], uint8_t box[60])
{
	char ad[300];
	size_t adlen = bind_to(ad, sizeof(ad), email, id);

	randombytes_buf(box, NONCE);
	/* the newest version: a rotation takes effect with each new seed */
	crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE, NULL, seed,
	    UL_TOTP_SEED_BYTES, (const uint8_t *)ad, adlen, NULL, box,
	    ul_keys_seed(k, ul_keys_versions(k)));
}

int
ul_totp_open(const struct ul_keys *k, const char *email, uint32_t id,
    const uint8_t box[60], uint8_t seed[UL_TOTP_SEED_BYTES])
{
	char ad[300];
	size_t adlen = bind_to(ad, sizeof(ad), email, id);

	/* the version that sealed it is the one whose tag checks, newest
	 * first (the box carries no version: its size stays) */
	for (unsigned v = ul_keys_versions(k); v >= 1; v--)
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(seed, NULL, NULL,
		    box + NONCE, 60 - NONCE, (const uint8_t *)ad, adlen, box,
		    ul_keys_seed(k, v)) == 0)
			return 0;
	sodium_memzero(seed, UL_TOTP_SEED_BYTES);
	return UL_ESTORE;
}

int64_t
ul_totp_step(int64_t now)
{
	return now / UL_TOTP_PERIOD;
}

int
ul_totp_match(const uint8_t seed[UL_TOTP_SEED_BYTES], unsigned digits,
    unsigned window, int64_t now, int64_t after, const char *code, int64_t *step)
{
	int64_t here = ul_totp_step(now);
	char otp[16];
	int found = UL_EAUTH;

	*step = 0;
	if (strlen(code) != digits || digits < 6 || digits > 8)
		return UL_EAUTH;
	/* every candidate is computed and compared, so the time does not
	 * depend on which one matched */
	for (int64_t s = here - (int64_t)window; s <= here + (int64_t)window; s++) {
		if (oath_totp_generate((const char *)seed, UL_TOTP_SEED_BYTES,
			(time_t)(s * UL_TOTP_PERIOD), UL_TOTP_PERIOD, 0, digits, otp) != OATH_OK)
			continue;
		if (sodium_memcmp(otp, code, digits) == 0 && s > after && found != 0) {
			found = 0;
			*step = s;
		}
	}
	sodium_memzero(otp, sizeof(otp));
	return found;
}

int
ul_totp_base32(const uint8_t seed[UL_TOTP_SEED_BYTES], char *out, size_t n)
{
	char *b32 = NULL;
	size_t len = 0;
	int r = UL_ETOOBIG;

	if (oath_base32_encode((const char *)seed, UL_TOTP_SEED_BYTES, &b32, &len) != OATH_OK)
		return UL_ENOMEM;
	/* no '=' padding in a Key URI */
	while (len > 0 && b32[len - 1] == '=')
		len--;
	if (len < n) {
		memcpy(out, b32, len);
		out[len] = '\0';
		r = 0;
	}
	sodium_memzero(b32, strlen(b32));
	free(b32);
	return r;
}

/* Percent-encodes all but unreserved characters and '@'. */
static int
append_encoded(char *out, size_t n, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~@", c) != NULL;

		if (*pos + 4 >= n)
			return UL_ETOOBIG;
		if (plain) {
			out[(*pos)++] = (char)c;
		} else {
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[c >> 4];
			out[(*pos)++] = hex[c & 15];
		}
	}
	out[*pos] = '\0';
	return 0;
}

static int
build_uri(const char *issuer, const char *email, const char *secret,
    unsigned digits, char *out, size_t n)
{
	size_t pos = 0;
	int r;

	r = snprintf(out, n, "otpauth://totp/");
	if (r < 0 || (size_t)r >= n)
		return UL_ETOOBIG;
	pos = (size_t)r;
	if (append_encoded(out, n, &pos, issuer) != 0 ||
	    append_encoded(out, n, &pos, ":") != 0 ||
	    append_encoded(out, n, &pos, email) != 0)
		return UL_ETOOBIG;
	r = snprintf(out + pos, n - pos, "?secret=%s&issuer=", secret);
	if (r < 0 || (size_t)r >= n - pos)
		return UL_ETOOBIG;
	pos += (size_t)r;
	if (append_encoded(out, n, &pos, issuer) != 0)
		return UL_ETOOBIG;
	r = snprintf(out + pos, n - pos, "&algorithm=SHA1&digits=%u&period=%d",
	    digits, UL_TOTP_PERIOD);
	return r < 0 || (size_t)r >= n - pos ? UL_ETOOBIG : 0;
}

int
ul_totp_uri(const char *issuer, const char *email, const char *secret,
    unsigned digits, char *out, size_t n)
{
	int r = n > 0 ? build_uri(issuer, email, secret, digits, out, n) : UL_ETOOBIG;

	/* the output is set on success only */
	if (r != 0 && n > 0)
		sodium_memzero(out, n);
	return r;
}
