/* The store's structs described field by field (tag, type, offset, size,
 * name), and the binary record format built on those tables: a format byte
 * followed by tagged fields (u8 tag, u16 length, bytes), so that a later
 * version can add a field without rewriting the store.  The LMDB backend
 * stores these records; the export names the fields from the same tables,
 * so its format follows the store. */
#ifndef UL_RECORD_H
#define UL_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "helper/store/local.h"
#include "helper/store/store.h"

#define UL_RECORD_MAX 8192
#define UL_RECORD_FORMAT 1

/* A struct field as the store and the export see it. */
enum ul_col_type { C_STR, C_I64, C_U32, C_BOOL, C_BYTES, C_INT };

struct ul_column {
	uint8_t tag;                /* in the store's records */
	enum ul_col_type type;
	size_t offset;
	size_t size;
	const char *name;           /* in the export */
};

enum ul_record_kind { UL_REC_USER, UL_REC_PRODUCT, UL_REC_ACCOUNT,
	UL_REC_METHOD, UL_REC_APIKEY, UL_REC_SSHKEY };

/* The columns of a kind of record, their number and the struct's size. */
const struct ul_column *ul_record_columns(enum ul_record_kind kind, size_t *n,
    size_t *size);

struct ul_record {
	uint8_t buf[UL_RECORD_MAX];
	size_t len;
	int error;
};

int ul_record_user_encode(struct ul_record *r, const struct ul_user *u);
int ul_record_user_decode(const void *p, size_t n, struct ul_user *u);
int ul_record_product_encode(struct ul_record *r, const struct ul_product *p);
int ul_record_product_decode(const void *p, size_t n, struct ul_product *pr);
int ul_record_account_encode(struct ul_record *r, const struct ul_account *a);
int ul_record_account_decode(const void *p, size_t n, struct ul_account *a);
int ul_record_audit_encode(struct ul_record *r, const struct ul_audit *e);
int ul_record_audit_decode(const void *p, size_t n, struct ul_audit *e);

int ul_record_failures_encode(struct ul_record *r, const struct ul_failures *f);
int ul_record_failures_decode(const void *p, size_t n, struct ul_failures *f);

int ul_record_method_encode(struct ul_record *r, const struct ul_method *m);
int ul_record_method_decode(const void *p, size_t n, struct ul_method *m);
int ul_record_apikey_encode(struct ul_record *r, const struct ul_apikey *k);
int ul_record_apikey_decode(const void *p, size_t n, struct ul_apikey *k);

int ul_record_sshkey_encode(struct ul_record *r, const struct ul_sshkey *k);
int ul_record_sshkey_decode(const void *p, size_t n, struct ul_sshkey *k);

int ul_record_session_encode(struct ul_record *r, const struct ul_session *s);
int ul_record_session_decode(const void *p, size_t n, struct ul_session *s);

/* Wipes what the record held (password hashes pass through it). */
void ul_record_wipe(struct ul_record *r);

#endif
