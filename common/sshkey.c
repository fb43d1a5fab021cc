/* OpenSSH public key lines: the parser (sshkey.h).  The blob is read
 * through a bounded cursor, as OpenSSH's sshbuf does: every length is
 * checked against what remains before a byte of it is read. */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/sshkey.h"
#include "common/util.h"
#include "unilogin/error.h"

/* The decoded blob of the largest key we accept, with room to spare. */
#define BLOB_BYTES_MAX 2200
#define APPLICATION_MAX 255

enum key_kind { K_ED25519, K_ECDSA, K_RSA, K_SK_ED25519, K_SK_ECDSA };

static const struct key_type {
	const char *name;
	enum key_kind kind;
	const char *curve;          /* ECDSA: the inner curve name */
	size_t point;               /* ECDSA: bytes of the uncompressed point */
	unsigned bits;
} types[] = {
	{"ssh-ed25519", K_ED25519, NULL, 0, 256},
	{"ecdsa-sha2-nistp256", K_ECDSA, "nistp256", 65, 256},
	{"ecdsa-sha2-nistp384", K_ECDSA, "nistp384", 97, 384},
	{"ecdsa-sha2-nistp521", K_ECDSA, "nistp521", 133, 521},
	{"ssh-rsa", K_RSA, NULL, 0, 0},
	{"sk-ssh-ed25519@openssh.com", K_SK_ED25519, NULL, 0, 256},
	{"sk-ecdsa-sha2-nistp256@openssh.com", K_SK_ECDSA, "nistp256", 65, 256},
};

struct cursor {
	const uint8_t *p;
	size_t left;
};

static int say(char *why, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
say(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && n > 0) {
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return UL_EBADKEY;
}

/* One SSH `string`: u32 length, then that many bytes. */
static int
get_string(struct cursor *c, const uint8_t **v, size_t *len)
{
	uint32_t n;

	if (c->left < 4)
		return -1;
	n = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
	    ((uint32_t)c->p[2] << 8) | c->p[3];
	if (n > c->left - 4)
		return -1;
	*v = c->p + 4;
	*len = n;
	c->p += 4 + n;
	c->left -= 4 + n;
	return 0;
}

static bool
string_is(const uint8_t *v, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(v, s, len) == 0;
}

/* A positive mpint in its one encoding (RFC 4251): no needless leading
 * zero, not negative, not zero.  Returns its size in bits, or 0. */
static unsigned
mpint_bits(const uint8_t *v, size_t len)
{
	unsigned bits;

	if (len == 0 || (v[0] & 0x80) != 0)
		return 0;
	if (v[0] == 0) {
		if (len == 1 || (v[1] & 0x80) == 0)
			return 0;
		v++;
		len--;
	}
	/* len is bounded by the blob (BLOB_BYTES_MAX) */
	bits = (unsigned)(len - 1) * 8;
	for (uint8_t top = v[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

static int
check_rsa(struct cursor *c, struct ul_sshkey_info *k, char *why, size_t n)
{
	const uint8_t *e, *m;
	size_t elen, mlen;
	unsigned ebits;

	if (get_string(c, &e, &elen) != 0 || get_string(c, &m, &mlen) != 0)
		return say(why, n, "the RSA key is cut short");
	ebits = mpint_bits(e, elen);
	if (ebits < 2 || ebits > 64 || (e[elen - 1] & 1) == 0)
		return say(why, n, "the RSA key's public exponent is not valid");
	k->bits = mpint_bits(m, mlen);
	if (k->bits == 0)
		return say(why, n, "the RSA key's modulus is not a valid number");
	if (k->bits < UL_SSHKEY_RSA_MIN_BITS)
		return say(why, n, "an RSA key needs at least %d bits; this one has %u",
		    UL_SSHKEY_RSA_MIN_BITS, k->bits);
	if (k->bits > UL_SSHKEY_RSA_MAX_BITS)
		return say(why, n, "an RSA key may have at most %d bits",
		    UL_SSHKEY_RSA_MAX_BITS);
	return 0;
}

static int
check_ecdsa(struct cursor *c, const struct key_type *t, char *why, size_t n)
{
	const uint8_t *v;
	size_t len;

	if (get_string(c, &v, &len) != 0 || !string_is(v, len, t->curve))
		return say(why, n, "the key's curve is not %s", t->curve);
	if (get_string(c, &v, &len) != 0 || len != t->point || v[0] != 0x04)
		return say(why, n, "the key's point is not an uncompressed point of %s",
		    t->curve);
	return 0;
}

static int
check_application(struct cursor *c, char *why, size_t n)
{
	const uint8_t *v;
	size_t len;

	if (get_string(c, &v, &len) != 0 || len == 0 || len > APPLICATION_MAX ||
	    memchr(v, 0, len) != NULL)
		return say(why, n, "the security key's application is missing or too long");
	return 0;
}

/* The blob, field by field, against the type the line named. */
static int
check_blob(const uint8_t *blob, size_t len, const struct key_type *t,
    struct ul_sshkey_info *k, char *why, size_t n)
{
	struct cursor c = {blob, len};
	const uint8_t *v;
	size_t vlen;
	int r = 0;

	if (get_string(&c, &v, &vlen) != 0)
		return say(why, n, "the key data is cut short");
	if (!string_is(v, vlen, t->name))
		return say(why, n, "the key data is not of type %s (the line says one "
		    "type, the data another)", t->name);
	k->bits = t->bits;
	switch (t->kind) {
	case K_ED25519:
	case K_SK_ED25519:
		if (get_string(&c, &v, &vlen) != 0 || vlen != 32)
			return say(why, n, "an ed25519 key must be 32 bytes");
		if (t->kind == K_SK_ED25519)
			r = check_application(&c, why, n);
		break;
	case K_ECDSA:
	case K_SK_ECDSA:
		r = check_ecdsa(&c, t, why, n);
		if (r == 0 && t->kind == K_SK_ECDSA)
			r = check_application(&c, why, n);
		break;
	case K_RSA:
		r = check_rsa(&c, k, why, n);
		break;
	}
	if (r == 0 && c.left != 0)
		return say(why, n, "the key data has %zu bytes too many", c.left);
	return r;
}

static const struct key_type *
find_type(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].name) == len && memcmp(types[i].name, s, len) == 0)
			return &types[i];
	return NULL;
}

/* Why the first word is no key type we accept. */
static int
bad_type(const char *word, size_t len, const char *line, size_t linelen,
    char *why, size_t n)
{
	char shown[41], safe[41];

	snprintf(shown, sizeof(shown), "%.*s", (int)(len < 40 ? len : 40), word);
	ul_text_safe(shown, safe, sizeof(safe));
	if (len > 13 && memmem(word, len, "-cert-v01@openssh.com", 21) != NULL)
		return say(why, n, "SSH certificates are not supported; give the plain "
		    "public key");
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (memmem(line, linelen, types[i].name, strlen(types[i].name)) != NULL)
			return say(why, n, "options before the key type (\"%s\") are not "
			    "accepted: give only TYPE KEY [COMMENT]", safe);
	return say(why, n, "unknown key type \"%s\": accepted are ssh-ed25519, "
	    "ecdsa-sha2-nistp256/384/521, ssh-rsa (2048 bits or more) and the "
	    "sk- security key types", safe);
}

static void
fingerprint(const uint8_t *blob, size_t len, char out[UL_SSHKEY_FP_MAX + 1])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, blob, len);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, UL_SSHKEY_FP_MAX + 1 - 7, h, sizeof(h),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

static bool
blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The comment: printable text, bounded. */
static int
take_comment(const char *s, size_t len, struct ul_sshkey_info *k, char *why,
    size_t n)
{
	char safe[UL_SSHKEY_COMMENT_MAX + 1];

	while (len > 0 && blank(s[0]))
		s++, len--;
	while (len > 0 && blank(s[len - 1]))
		len--;
	if (len > UL_SSHKEY_COMMENT_MAX)
		return say(why, n, "the comment is too long (at most %d bytes)",
		    UL_SSHKEY_COMMENT_MAX);
	memcpy(k->comment, s, len);
	k->comment[len] = '\0';
	if (strcmp(ul_text_safe(k->comment, safe, sizeof(safe)), k->comment) != 0)
		return say(why, n, "the comment holds a character that is not printable");
	return 0;
}

/* The line's own shape: length, no control character, no NUL. */
static int
check_line(const char *line, size_t len, char *why, size_t n)
{
	if (len == 0)
		return say(why, n, "no key given");
	if (len > UL_SSHKEY_LINE_MAX)
		return say(why, n, "the key line is too long (%zu bytes; at most %d)",
		    len, UL_SSHKEY_LINE_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch == '\n' || ch == '\r')
			return say(why, n, "the key line holds a line break: give one "
			    "key on one line");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return say(why, n, "the key line holds a control character");
	}
	return 0;
}

static int
parse(const char *line, size_t len, struct ul_sshkey_info *k, uint8_t *blob,
    char *why, size_t n)
{
	const char *p = line, *end = line + len, *word, *b64, *b64_end;
	const struct key_type *t;
	size_t bloblen;
	int r = check_line(line, len, why, n);

	if (r != 0)
		return r;
	while (p < end && blank(*p))
		p++;
	for (word = p; p < end && !blank(*p); p++)
		;
	if (p == word)
		return say(why, n, "no key given");
	t = find_type(word, (size_t)(p - word));
	if (t == NULL)
		return bad_type(word, (size_t)(p - word), line, len, why, n);
	snprintf(k->type, sizeof(k->type), "%s", t->name);
	while (p < end && blank(*p))
		p++;
	for (b64 = p; p < end && !blank(*p); p++)
		;
	if (p == b64)
		return say(why, n, "the key data is missing after %s", t->name);
	if ((size_t)(p - b64) > UL_SSHKEY_BLOB_MAX)
		return say(why, n, "the key data is too long (%zu characters; at most %d)",
		    (size_t)(p - b64), UL_SSHKEY_BLOB_MAX);
	if (sodium_base642bin(blob, BLOB_BYTES_MAX, b64, (size_t)(p - b64), NULL,
	    &bloblen, &b64_end, sodium_base64_VARIANT_ORIGINAL) != 0 || b64_end != p)
		return say(why, n, "the key data is not valid base64");
	memcpy(k->blob, b64, (size_t)(p - b64));
	k->blob[p - b64] = '\0';
	r = check_blob(blob, bloblen, t, k, why, n);
	if (r == 0)
		r = take_comment(p, (size_t)(end - p), k, why, n);
	if (r == 0) {
		/* one key, one spelling: trailing bits set would make the same
		 * key a second line */
		char again[UL_SSHKEY_BLOB_MAX + 1];

		sodium_bin2base64(again, sizeof(again), blob, bloblen,
		    sodium_base64_VARIANT_ORIGINAL);
		if (strcmp(again, k->blob) != 0)
			return say(why, n, "the key data is not in its canonical base64 form");
		fingerprint(blob, bloblen, k->fingerprint);
	}
	return r;
}

int
ul_sshkey_parse(const char *line, size_t len, struct ul_sshkey_info *k,
    char *why, size_t whylen)
{
	uint8_t blob[BLOB_BYTES_MAX];
	int r;

	memset(k, 0, sizeof(*k));
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (line == NULL)
		return say(why, whylen, "no key given");
	r = parse(line, len, k, blob, why, whylen);
	if (r != 0)
		memset(k, 0, sizeof(*k));
	sodium_memzero(blob, sizeof(blob));
	return r;
}

int
ul_sshkey_from_auth_info(const char *info, char *out, size_t n)
{
	const char *line = info, *found = NULL;
	size_t found_len = 0;

	if (n > 0)
		out[0] = '\0';
	while (line != NULL && *line != '\0') {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > 10 && strncmp(line, "publickey ", 10) == 0) {
			found = line + 10;
			found_len = len - 10;
		}
		line = nl ? nl + 1 : NULL;
	}
	if (found == NULL || found_len == 0 || found_len >= n)
		return UL_ENOTFOUND;
	memcpy(out, found, found_len);
	out[found_len] = '\0';
	return 0;
}
