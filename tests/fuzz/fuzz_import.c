/* Fuzz target: the import-line parser, ul_import_parse() (helper/rules/export.c).
 * `uniloginctl import` hands it every line of a dump as it comes: a
 * damaged or hostile line must be refused with a message and leave no
 * item, never be read past its end.  A line it accepts holds an item that
 * is checked (its strings end within their arrays, its emails are
 * normalised, U1), and the export of that item, ul_export_line(), is the
 * canonical line: it parses to the same struct, byte for byte, and that
 * struct exports to the same line again (export -> import -> export is
 * byte-identical).
 *
 * The input is the line without its newline; it is copied to a heap
 * block of exactly size + 1 bytes with a NUL at the end, so that a byte
 * read past the line is caught.  Everything the parser fills lives in a
 * heap block of its own size, filled with junk first: what the parser
 * leaves unset shows as junk. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "helper/core/email.h"
#include "helper/rules/export.h"
#include "helper/store/record.h"
#include "tests/fuzz/fuzz.h"
#include "unilogin/error.h"

#define JUNK 0x5a
#define ERR_SIZE 256

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* A string field ends within its array. */
#define FUZZ_CHECK_STR(a) FUZZ_CHECK(memchr((a), '\0', sizeof(a)) != NULL)

/* Every string an accepted item holds ends within its array: the context
 * fields, and the string columns of the kind's struct (record.c's tables,
 * which the parser follows). */
static void
check_strings(const struct ul_item *item)
{
	const void *st = NULL;
	enum ul_record_kind kind = UL_REC_USER;
	const struct ul_column *cols;
	size_t ncols, size;

	FUZZ_CHECK_STR(item->email);
	FUZZ_CHECK_STR(item->product);
	FUZZ_CHECK_STR(item->account);
	FUZZ_CHECK_STR(item->role);
	switch (item->kind) {
	case UL_ITEM_PRODUCT: kind = UL_REC_PRODUCT; st = &item->u.product; break;
	case UL_ITEM_USER: kind = UL_REC_USER; st = &item->u.user; break;
	case UL_ITEM_METHOD: kind = UL_REC_METHOD; st = &item->u.method; break;
	case UL_ITEM_ACCOUNT: kind = UL_REC_ACCOUNT; st = &item->u.account; break;
	case UL_ITEM_APIKEY: kind = UL_REC_APIKEY; st = &item->u.apikey; break;
	case UL_ITEM_SSHKEY: kind = UL_REC_SSHKEY; st = &item->u.sshkey; break;
	case UL_ITEM_META:
	case UL_ITEM_MEMBER:
		/* no struct: the union is untouched */
		FUZZ_CHECK(all_zero(&item->u, sizeof(item->u)));
		return;
	}
	cols = ul_record_columns(kind, &ncols, &size);
	for (size_t i = 0; i < ncols; i++) {
		FUZZ_CHECK(cols[i].offset + cols[i].size <= size);
		if (cols[i].type == C_STR)
			FUZZ_CHECK(memchr((const char *)st + cols[i].offset, '\0',
			    cols[i].size) != NULL);
	}
}

/* The item's email, the key it is stored under, is normalised (U1):
 * normalising it again gives the same. */
static void
check_email(const struct ul_item *item)
{
	char norm[UL_EMAIL_MAX + 1];
	const char *email;

	switch (item->kind) {
	case UL_ITEM_USER: email = item->u.user.email; break;
	case UL_ITEM_METHOD: case UL_ITEM_MEMBER: email = item->email; break;
	case UL_ITEM_APIKEY: email = item->u.apikey.email; break;
	default: return;
	}
	FUZZ_CHECK(ul_email_normalise(email, norm) == 0);
	FUZZ_CHECK(strcmp(norm, email) == 0);
}

/* Parses text (a NUL-terminated heap block) into a fresh heap item, with
 * err filled with junk first; checks what must hold either way.  Returns
 * the result; *out is the item (freed by the caller). */
static int
parse(const char *text, struct ul_item **out)
{
	struct ul_item *item = malloc(sizeof(*item));
	char *err = malloc(ERR_SIZE);
	int r;

	FUZZ_CHECK(item != NULL && err != NULL);
	memset(item, JUNK, sizeof(*item));
	memset(err, JUNK, ERR_SIZE);
	r = ul_import_parse(text, item, err, ERR_SIZE);
	FUZZ_CHECK(r == 0 || r == UL_EINVAL);
	if (r != 0) {
		/* refused: says why, leaves no item */
		FUZZ_CHECK(memchr(err, '\0', ERR_SIZE) != NULL);
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(all_zero(item, sizeof(*item)));
	} else {
		FUZZ_CHECK((unsigned)item->kind <= UL_ITEM_APIKEY);
		check_strings(item);
		check_email(item);
	}
	free(err);
	*out = item;
	return r;
}

/* A copy of s in a heap block of exactly its length + 1. */
static char *
heap_copy(const void *s, size_t n)
{
	char *p = malloc(n + 1);

	FUZZ_CHECK(p != NULL);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	memset(p, 0, n);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = heap_copy(data, size);
	char *line = malloc(UL_EXPORT_LINE_MAX), *again = malloc(UL_EXPORT_LINE_MAX);
	char *copy = NULL;
	struct ul_item *first = NULL, *second = NULL;
	size_t len;

	FUZZ_CHECK(line != NULL && again != NULL);
	if (parse(text, &first) == 0) {
		/* the export of what was read: one line, which reads back to the
		 * same struct and exports to the same line */
		FUZZ_CHECK(ul_export_line(first, line, UL_EXPORT_LINE_MAX) == 0);
		len = strlen(line);
		FUZZ_CHECK(len > 0 && len < UL_EXPORT_LINE_MAX);
		FUZZ_CHECK(memchr(line, '\n', len) == NULL);
		copy = heap_copy(line, len);
		FUZZ_CHECK(parse(copy, &second) == 0);
		FUZZ_CHECK(memcmp(first, second, sizeof(*first)) == 0);
		FUZZ_CHECK(ul_export_line(second, again, UL_EXPORT_LINE_MAX) == 0);
		FUZZ_CHECK(strcmp(again, line) == 0);
	}
	wipe_free(first, sizeof(*first));
	wipe_free(second, sizeof(*second));
	wipe_free(copy, copy != NULL ? strlen(copy) : 0);
	wipe_free(line, UL_EXPORT_LINE_MAX);
	wipe_free(again, UL_EXPORT_LINE_MAX);
	wipe_free(text, size);
	return 0;
}
