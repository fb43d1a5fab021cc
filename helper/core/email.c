/* Email addresses as unified users' keys (U1): one visible address, one
 * key.  The local part stays printable ASCII; a non-ASCII domain becomes
 * its IDNA A-label through libidn2.  Also the start-up check of the emails
 * an older helper stored under laxer rules. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <idn2.h>

#include "helper/core/email.h"
#include "unilogin/error.h"

/* What may be typed, a bound on the work only: a UTF-8 domain (decomposed,
 * or with full-width dots) can be longer than its A-label.  The bound that
 * counts, UL_EMAIL_MAX, is checked on the converted key. */
#define EMAIL_INPUT_MAX (4 * UL_EMAIL_MAX)

/* NONTRANSITIONAL (UTS #46 as IDNA2008 means it, what browsers and
 * registries use): TRANSITIONAL maps "straße.de" to "strasse.de", another
 * domain with another owner, and the key is where codes are delivered;
 * with libidn2 2.3.3 it also let an emoji and a label that breaks the Bidi
 * Rule through.  NFC_INPUT: a name typed decomposed ("u" + U+0308) is the
 * same name.  Not USE_STD3_ASCII_RULES: libidn2 2.3.3 drops the characters
 * it forbids ("a_b.com" gives "ab.com", U+00A0 vanishes) instead of
 * refusing them. */
#define IDNA_FLAGS (IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL)

static bool
ascii_space(unsigned char ch)
{
	return ch == ' ' || (ch >= '\t' && ch <= '\r');
}

static char
ascii_lower(unsigned char ch)
{
	return (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
}

/* ---- the local part ---- */

/* Printable ASCII only: no control, white space, format, bidi or
 * homoglyph can hide in it; not beginning with '-', which a delivery
 * command would read as an option. */
static bool
local_part_valid(const char *p, size_t n)
{
	if (n == 0 || p[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return false;
	return true;
}

/* ---- the domain ---- */

/* Code points that do not show, or that move what is around them: every
 * control (Cc), white space beyond ASCII (Zs, Zl, Zp), format character
 * (Cf, the bidi controls among them) and Default_Ignorable_Code_Point of
 * Unicode 15.  libidn2's UTS #46 mapping drops several of them silently
 * (U+200B, U+00AD, U+2060, U+FEFF, U+FE0F, U+034F, U+180B) and turns
 * U+00A0 and U+3000 into a space, so they are refused before it runs. */
static const struct {
	uint32_t first, last;
} invisible[] = {
	{0x0000, 0x001f}, {0x007f, 0x009f}, {0x00a0, 0x00a0}, {0x00ad, 0x00ad},
	{0x034f, 0x034f}, {0x0600, 0x0605}, {0x061c, 0x061c}, {0x06dd, 0x06dd},
	{0x070f, 0x070f}, {0x0890, 0x0891}, {0x08e2, 0x08e2}, {0x115f, 0x1160},
	{0x1680, 0x1680}, {0x17b4, 0x17b5}, {0x180b, 0x180f}, {0x2000, 0x200f},
	{0x2028, 0x202f}, {0x205f, 0x206f}, {0x3000, 0x3000}, {0x3164, 0x3164},
	{0xfe00, 0xfe0f}, {0xfeff, 0xfeff}, {0xffa0, 0xffa0}, {0xfff0, 0xfffb},
	{0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x1343f},
	{0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0000, 0xe0fff},
};

static bool
is_invisible(uint32_t cp)
{
	for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++)
		if (cp >= invisible[i].first && cp <= invisible[i].last)
			return true;
	return false;
}

/* The length of the UTF-8 sequence at p (at most n bytes) and its code
 * point; 0 for anything but the shortest form of a scalar value. */
static size_t
utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
	static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 :
	    (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t c;

	if (len == 0 || len > n)
		return 0;
	c = len == 1 ? p[0] : p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Valid UTF-8 with no invisible code point. */
static bool
unicode_domain_valid(const char *d, size_t n)
{
	const unsigned char *p = (const unsigned char *)d;
	uint32_t cp;

	for (size_t i = 0, len; i < n; i += len) {
		len = utf8_decode(p + i, n - i, &cp);
		if (len == 0 || is_invisible(cp))
			return false;
	}
	return true;
}

static bool
has_a_label(const char *d, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if ((i == 0 || d[i - 1] == '.') &&
		    ascii_lower((unsigned char)d[i]) == 'x' &&
		    ascii_lower((unsigned char)d[i + 1]) == 'n' &&
		    d[i + 2] == '-' && d[i + 3] == '-')
			return true;
	return false;
}

/* An ASCII domain with an A-label: accepted only as the A-label its
 * U-label gives, so that "xn--bcher-kva" and "bücher" are one key and the
 * A-label of a decomposed or invisible spelling ("xn--bucher-xyd", "bu"
 * U+0308 "cher") is not a second key that shows the same.  (libidn2 2.3.3
 * refuses those already; the round trip does not depend on it.) */
static bool
a_labels_canonical(const char *domain)
{
	char *ascii = NULL, *unicode = NULL, *back = NULL;
	bool ok = idn2_to_ascii_8z(domain, &ascii, IDNA_FLAGS) == IDN2_OK &&
	    idn2_to_unicode_8z8z(ascii, &unicode, 0) == IDN2_OK &&
	    unicode_domain_valid(unicode, strlen(unicode)) &&
	    idn2_to_ascii_8z(unicode, &back, IDNA_FLAGS) == IDN2_OK &&
	    strcmp(back, domain) == 0;

	idn2_free(ascii);
	idn2_free(unicode);
	idn2_free(back);
	return ok;
}

/* The old rules, on the converted domain: printable ASCII, no '@', a dot,
 * not at its start or end, and no empty label. */
static bool
domain_key_valid(const char *d)
{
	for (const char *p = d; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '@')
			return false;
	return d[0] != '.' && strchr(d, '.') != NULL &&
	    d[strlen(d) - 1] != '.' && strstr(d, "..") == NULL;
}

/* A key as the rules want it (the old rules, and A-labels that round
 * trip) into out (room bytes, NUL included). */
static int
domain_key_put(const char *key, char *out, size_t room)
{
	size_t n = strlen(key);

	if (n >= room || !domain_key_valid(key) ||
	    (has_a_label(key, n) && !a_labels_canonical(key)))
		return UL_EINVAL;
	memcpy(out, key, n + 1);
	return 0;
}

/* The domain's key into out (room bytes, NUL included). */
static int
domain_key(const char *d, size_t n, char *out, size_t room)
{
	char typed[EMAIL_INPUT_MAX + 1], *ascii = NULL;
	bool is_ascii = true;
	int r;

	if (n == 0 || n >= sizeof(typed))
		return UL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		typed[i] = ascii_lower((unsigned char)d[i]);
		is_ascii = is_ascii && (unsigned char)d[i] < 0x80;
	}
	typed[n] = '\0';
	if (is_ascii)
		return domain_key_put(typed, out, room);
	if (!unicode_domain_valid(typed, n) ||
	    idn2_to_ascii_8z(typed, &ascii, IDNA_FLAGS) != IDN2_OK)
		return UL_EINVAL;
	for (char *p = ascii; *p != '\0'; p++)
		*p = ascii_lower((unsigned char)*p);
	/* a label typed as an A-label beside a U-label is checked too:
	 * libidn2 2.3.3 passes "xn--bshva" (U+2481 U+2481 U+2476) through */
	r = domain_key_put(ascii, out, room);
	idn2_free(ascii);
	return r;
}

/* ---- the address ---- */

int
ul_email_normalise(const char *in, char out[UL_EMAIL_MAX + 1])
{
	const char *end, *at;
	size_t local;

	out[0] = '\0';
	while (ascii_space((unsigned char)*in))
		in++;
	end = in + strlen(in);
	while (end > in && ascii_space((unsigned char)end[-1]))
		end--;
	if (end == in || end - in > EMAIL_INPUT_MAX)
		return UL_EINVAL;
	at = memchr(in, '@', (size_t)(end - in));
	if (at == NULL || memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
		return UL_EINVAL;
	local = (size_t)(at - in);
	if (!local_part_valid(in, local) || local + 1 >= UL_EMAIL_MAX)
		return UL_EINVAL;
	for (size_t i = 0; i < local; i++)
		out[i] = ascii_lower((unsigned char)in[i]);
	out[local] = '@';
	if (domain_key(at + 1, (size_t)(end - at - 1), out + local + 1,
	    UL_EMAIL_MAX + 1 - (local + 1)) != 0) {
		out[0] = '\0';
		return UL_EINVAL;
	}
	return 0;
}

/* ---- emails an older helper stored ---- */
