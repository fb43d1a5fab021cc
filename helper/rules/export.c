/* Export and import lines (JSONL, json-c): the record tables of record.c
 * say which fields a line has, so the format follows the store. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "helper/core/email.h"
#include "helper/rules/export.h"
#include "helper/store/record.h"
#include "unilogin/error.h"

static const char *const type_names[] = {
	[UL_ITEM_META] = "meta", [UL_ITEM_PRODUCT] = "product",
	[UL_ITEM_USER] = "user", [UL_ITEM_METHOD] = "method",
	[UL_ITEM_ACCOUNT] = "account", [UL_ITEM_MEMBER] = "member",
	[UL_ITEM_APIKEY] = "apikey", [UL_ITEM_SSHKEY] = "sshkey",
};

/* The record kind and struct of an item, or NULL for meta and member. */
static const void *
item_struct(const struct ul_item *item, enum ul_record_kind *kind)
{
	switch (item->kind) {
	case UL_ITEM_PRODUCT: *kind = UL_REC_PRODUCT; return &item->u.product;
	case UL_ITEM_USER: *kind = UL_REC_USER; return &item->u.user;
	case UL_ITEM_METHOD: *kind = UL_REC_METHOD; return &item->u.method;
	case UL_ITEM_ACCOUNT: *kind = UL_REC_ACCOUNT; return &item->u.account;
	case UL_ITEM_APIKEY: *kind = UL_REC_APIKEY; return &item->u.apikey;
	case UL_ITEM_SSHKEY: *kind = UL_REC_SSHKEY; return &item->u.sshkey;
	default: return NULL;
	}
}

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static int
add_columns(json_object *o, enum ul_record_kind kind, const void *st)
{
	char b64[1024];
	size_t n, size;
	const struct ul_column *cols = ul_record_columns(kind, &n, &size);

	for (size_t i = 0; i < n; i++) {
		const char *f = (const char *)st + cols[i].offset;
		json_object *v = NULL;

		/* a zero field is left out, and read back as zero: lines stay
		 * short and the bytes still depend only on the record */
		if (cols[i].type == C_STR ? f[0] == '\0'
		    : sodium_is_zero((const uint8_t *)f, cols[i].size))
			continue;
		switch (cols[i].type) {
		case C_STR: v = json_object_new_string(f); break;
		case C_I64: v = json_object_new_int64(*(const int64_t *)f); break;
		case C_U32: v = json_object_new_int64(*(const uint32_t *)f); break;
		case C_INT: v = json_object_new_int64(*(const int *)f); break;
		case C_BOOL: v = json_object_new_boolean(*(const bool *)f); break;
		case C_BYTES:
			if (sodium_base64_ENCODED_LEN(cols[i].size,
			    sodium_base64_VARIANT_ORIGINAL) > sizeof(b64))
				return UL_ETOOBIG;
			sodium_bin2base64(b64, sizeof(b64), (const uint8_t *)f,
			    cols[i].size, sodium_base64_VARIANT_ORIGINAL);
			v = json_object_new_string(b64);
			break;
		}
		json_object_object_add(o, cols[i].name, v);
	}
	return 0;
}

int
ul_export_line(const struct ul_item *item, char *out, size_t n)
{
	json_object *o = json_object_new_object();
	enum ul_record_kind kind;
	const void *st = item_struct(item, &kind);
	const char *text;
	int r = 0;

	add_str(o, "type", type_names[item->kind]);
	if (item->kind == UL_ITEM_META)
		json_object_object_add(o, "next_uid", json_object_new_int64(item->next_uid));
	if (item->kind == UL_ITEM_METHOD || item->kind == UL_ITEM_MEMBER)
		add_str(o, "user", item->email);
	if (item->kind == UL_ITEM_MEMBER) {
		add_str(o, "product", item->product);
		add_str(o, "account", item->account);
		add_str(o, "role", item->role);
	}
	if (st != NULL)
		r = add_columns(o, kind, st);
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (r == 0 && (text == NULL || strlen(text) >= n))
		r = UL_ETOOBIG;
	if (r == 0)
		memcpy(out, text, strlen(text) + 1);
	if (text != NULL)
		sodium_memzero((char *)text, strlen(text));
	json_object_put(o);
	return r;
}

/* Untrusted text for a message: at most 64 bytes, control characters as
 * '?', in a buffer per thread (one message is made at a time). */
static const char *
shown(const char *s)
{
	static _Thread_local char buf[65];
	size_t i;

	for (i = 0; i < sizeof(buf) - 1 && s[i]; i++)
		buf[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static int fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return UL_EINVAL;
}

static int
parse_column(const struct ul_column *col, char *f, json_object *v, char *err,
    size_t n)
{
	const char *s;
	size_t len;
	int64_t i;

	switch (col->type) {
	case C_STR:
		if (!json_object_is_type(v, json_type_string))
			return fail(err, n, "%s: expected a string", col->name);
		s = json_object_get_string(v);
		if (strlen(s) >= col->size || (size_t)json_object_get_string_len(v) != strlen(s))
			return fail(err, n, "%s: too long, or holds a NUL", col->name);
		memcpy(f, s, strlen(s) + 1);
		return 0;
	case C_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return fail(err, n, "%s: expected true or false", col->name);
		*(bool *)f = json_object_get_boolean(v);
		return 0;
	case C_BYTES:
		if (!json_object_is_type(v, json_type_string) ||
		    sodium_base642bin((uint8_t *)f, col->size, json_object_get_string(v),
			(size_t)json_object_get_string_len(v), NULL, &len, NULL,
			sodium_base64_VARIANT_ORIGINAL) != 0 || len != col->size)
			return fail(err, n, "%s: expected base64 of the right length",
			    col->name);
		return 0;
	default:
		if (!json_object_is_type(v, json_type_int))
			return fail(err, n, "%s: expected an integer", col->name);
		i = json_object_get_int64(v);
		if (col->type == C_I64) {
			*(int64_t *)f = i;
		} else if (col->type == C_U32) {
			if (i < 0 || i > UINT32_MAX)
				return fail(err, n, "%s: out of range", col->name);
			*(uint32_t *)f = (uint32_t)i;
		} else {
			if (i < 0 || i > 2)
				return fail(err, n, "%s: out of range", col->name);
			*(int *)f = (int)i;
		}
		return 0;
	}
}

/* A context field ("user", "product", "account", "role"), or NULL. */
static char *
context_field(struct ul_item *item, const char *key, size_t *size)
{
	bool member = item->kind == UL_ITEM_MEMBER;

	if (strcmp(key, "user") == 0 && (member || item->kind == UL_ITEM_METHOD)) {
		*size = sizeof(item->email);
		return item->email;
	}
	if (!member)
		return NULL;
	if (strcmp(key, "product") == 0) {
		*size = sizeof(item->product);
		return item->product;
	}
	if (strcmp(key, "account") == 0) {
		*size = sizeof(item->account);
		return item->account;
	}
	if (strcmp(key, "role") == 0) {
		*size = sizeof(item->role);
		return item->role;
	}
	return NULL;
}

static int
parse_field(struct ul_item *item, const char *key, json_object *v, char *err,
    size_t n)
{
	struct ul_column ctx = {.type = C_STR, .name = key};
	enum ul_record_kind kind;
	void *st = (void *)item_struct(item, &kind);
	size_t ncols, size;
	const struct ul_column *cols;
	char *f;

	if (strcmp(key, "type") == 0)
		return 0;
	if (item->kind == UL_ITEM_META && strcmp(key, "next_uid") == 0) {
		ctx.type = C_U32;
		return parse_column(&ctx, (char *)&item->next_uid, v, err, n);
	}
	if ((f = context_field(item, key, &ctx.size)) != NULL)
		return parse_column(&ctx, f, v, err, n);
	if (st != NULL) {
		cols = ul_record_columns(kind, &ncols, &size);
		for (size_t i = 0; i < ncols; i++)
			if (strcmp(cols[i].name, key) == 0)
				return parse_column(&cols[i], (char *)st + cols[i].offset, v,
				    err, n);
	}
	return fail(err, n, "unknown field \"%s\"", shown(key));
}

/* What every item of a kind must have, beyond well-typed fields. */
static int
check_item(const struct ul_item *item, char *err, size_t n)
{
	char norm[UL_EMAIL_MAX + 1];
	const char *email = NULL;

	/* every email the line names is stored normalised (U1) */
	const char *also[2] = {NULL, NULL};

	switch (item->kind) {
	case UL_ITEM_USER:
		email = item->u.user.email;
		also[0] = item->u.user.pending_email;
		break;
	case UL_ITEM_METHOD: case UL_ITEM_MEMBER: email = item->email; break;
	case UL_ITEM_APIKEY: email = item->u.apikey.email; break;
	case UL_ITEM_SSHKEY: email = item->u.sshkey.email; break;
	case UL_ITEM_PRODUCT:
		return item->u.product.name[0] ? 0 : fail(err, n, "%s", "no name");
	case UL_ITEM_ACCOUNT:
		if (!item->u.account.product[0] || !item->u.account.name[0] ||
		    !item->u.account.unix_user[0])
			return fail(err, n, "%s", "product, name and unix_user are needed");
		email = item->u.account.email[0] ? item->u.account.email : NULL;
		also[0] = item->u.account.owner;
		break;
	case UL_ITEM_META:
		return 0;
	}
	/* emails are stored normalised (U1): anything else is a damaged line */
	for (int i = 0; i < 2; i++) {
		const char *e = i == 0 ? email : also[0];

		if (e == NULL || (i == 1 && e[0] == '\0'))
			continue;
		if (ul_email_normalise(e, norm) != 0 || strcmp(norm, e) != 0)
			return fail(err, n, "not a normalised email: \"%s\"", shown(e));
	}
	if (item->kind == UL_ITEM_MEMBER && (!item->product[0] || !item->account[0] ||
	    !item->role[0]))
		return fail(err, n, "%s", "product, account and role are needed");
	if (item->kind == UL_ITEM_APIKEY && !item->u.apikey.id[0])
		return fail(err, n, "%s", "no id");
	if (item->kind == UL_ITEM_SSHKEY && !item->u.sshkey.id[0])
		return fail(err, n, "%s", "no id");
	return 0;
}

/* Exactly one JSON value on the line, and nothing after it but blanks. */
static json_object *
parse_one(const char *line, enum json_tokener_error *jerr)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(line), used;
	json_object *o;

	if (tok == NULL) {
		*jerr = json_tokener_error_parse_eof;
		return NULL;
	}
	o = json_tokener_parse_ex(tok, line, (int)len);
	*jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (o == NULL) {
		if (*jerr == json_tokener_continue)
			*jerr = json_tokener_error_parse_eof;
		return NULL;
	}
	while (used < len && (line[used] == ' ' || line[used] == '\t' || line[used] == '\r'))
		used++;
	if (used != len) {
		json_object_put(o);
		*jerr = json_tokener_success;
		return NULL;
	}
	return o;
}

int
ul_import_parse(const char *line, struct ul_item *item, char *err, size_t n)
{
	enum json_tokener_error jerr;
	json_object *o, *type;
	const char *t;
	size_t k;
	int r = 0;

	memset(item, 0, sizeof(*item));
	o = parse_one(line, &jerr);
	if (o == NULL)
		return jerr == json_tokener_success
		    ? fail(err, n, "not one JSON object: something follows it")
		    : fail(err, n, "not JSON: %s", json_tokener_error_desc(jerr));
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "type", &type) ||
	    !json_object_is_type(type, json_type_string)) {
		json_object_put(o);
		return fail(err, n, "%s", "expected an object with a \"type\"");
	}
	t = json_object_get_string(type);
	for (k = 0; k < sizeof(type_names) / sizeof(type_names[0]); k++)
		if (strcmp(t, type_names[k]) == 0)
			break;
	if (k == sizeof(type_names) / sizeof(type_names[0])) {
		r = fail(err, n, "unknown type \"%s\"", shown(t));
	} else {
		item->kind = (enum ul_item_kind)k;
		json_object_object_foreach(o, key, v) {
			if ((r = parse_field(item, key, v, err, n)) != 0)
				break;
		}
	}
	if (r == 0)
		r = check_item(item, err, n);
	json_object_put(o);
	if (r != 0)
		sodium_memzero(item, sizeof(*item));
	return r;
}
