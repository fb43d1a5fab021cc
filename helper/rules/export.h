/* Export and import lines: one JSON object per line (JSONL) per record of
 * the store's state, with json-c.  Hashes, sealed seeds and code hashes
 * travel as they are stored (base64): an import elsewhere needs the
 * source's `keys` file beside it.  The same records always give the same
 * bytes, so that export -> import -> export is byte-identical. */
#ifndef UL_EXPORT_H
#define UL_EXPORT_H

#include <stddef.h>

#include "helper/store/store.h"

#define UL_EXPORT_LINE_MAX 16384

enum ul_item_kind {
	UL_ITEM_META, UL_ITEM_PRODUCT, UL_ITEM_USER, UL_ITEM_METHOD,
	UL_ITEM_ACCOUNT, UL_ITEM_MEMBER, UL_ITEM_APIKEY, UL_ITEM_SSHKEY,
};

/* One line, parsed. */
struct ul_item {
	enum ul_item_kind kind;
	union {
		struct ul_user user;
		struct ul_product product;
		struct ul_account account;
		struct ul_method method;
		struct ul_apikey apikey;
		struct ul_sshkey sshkey;
	} u;
	char email[UL_EMAIL_MAX + 1];       /* a method's user; a member */
	char product[UL_PRODUCT_MAX + 1];   /* a member's account */
	char account[UL_ACCOUNT_MAX + 1];
	char role[UL_ROLE_MAX + 1];
	uint32_t next_uid;                  /* meta */
};

/* Writes the line of an item (no newline) into out; UL_ETOOBIG when it
 * does not fit. */
int ul_export_line(const struct ul_item *item, char *out, size_t n)
    __attribute__((warn_unused_result));

/* Parses and checks one line; on error err says what is wrong (without
 * the line number).  The item may hold secrets' hashes: wipe it after. */
int ul_import_parse(const char *line, struct ul_item *item, char *err,
    size_t errlen) __attribute__((warn_unused_result));

#endif
