/* Email addresses as unified users' keys (U1). */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "helper/core/email.h"
#include "unilogin/error.h"

int
ul_email_normalise(const char *in, char out[UL_EMAIL_MAX + 1])
{
	const char *end, *at = NULL;
	size_t n = 0;

	out[0] = '\0';
	while (isspace((unsigned char)*in))
		in++;
	end = in + strlen(in);
	while (end > in && isspace((unsigned char)end[-1]))
		end--;
	if (end - in > UL_EMAIL_MAX || end == in)
		return UL_EINVAL;
	for (const char *p = in; p < end; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch <= ' ' || ch == 0x7f || (ch == '@' && at != NULL)) {
			out[0] = '\0';
			return UL_EINVAL;
		}
		if (ch == '@')
			at = p;
		out[n++] = (char)tolower(ch);
	}
	out[n] = '\0';
	/* a domain with a dot, not at its start or end, and no empty label */
	if (at == NULL || at == in || at + 1 == end || at[1] == '.' ||
	    strchr(out + (at - in) + 1, '.') == NULL || out[n - 1] == '.' ||
	    strstr(out + (at - in) + 1, "..") != NULL) {
		out[0] = '\0';
		return UL_EINVAL;
	}
	return 0;
}
