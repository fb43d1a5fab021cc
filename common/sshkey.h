/* OpenSSH public key lines (K1): one careful parser for the helper (which
 * decides), the tools (which say early what is wrong) and the fuzzer.
 *
 * A line is `TYPE BASE64 [COMMENT]`: no options before the type, no
 * control character anywhere (a newline would smuggle a second line into
 * an authorized_keys answer), at most UL_SSHKEY_LINE_MAX bytes.  The blob
 * is decoded and read field by field, each length bounded by what
 * remains: its inner type must be the outer one, its sizes those of the
 * type (ed25519 32 bytes, ECDSA a point of its curve, RSA 2048 to 16384
 * bits), and nothing may follow.  Certificates are refused. */
#ifndef UL_SSHKEY_H
#define UL_SSHKEY_H

#include <stddef.h>
#include <stdint.h>

#include "unilogin/proto.h"

#define UL_SSHKEY_TYPE_MAX 48
#define UL_SSHKEY_BLOB_MAX 2800     /* base64 of a 16384-bit RSA key: 2764 */
#define UL_SSHKEY_COMMENT_MAX 255
#define UL_SSHKEY_FP_MAX 52         /* "SHA256:" + 43 */
#define UL_SSHKEY_RSA_MIN_BITS 2048
#define UL_SSHKEY_RSA_MAX_BITS 16384

struct ul_sshkey_info {
	char type[UL_SSHKEY_TYPE_MAX + 1];
	char blob[UL_SSHKEY_BLOB_MAX + 1];      /* base64, canonical */
	char comment[UL_SSHKEY_COMMENT_MAX + 1];
	char fingerprint[UL_SSHKEY_FP_MAX + 1]; /* as ssh-keygen -l prints it */
	unsigned bits;
};

/* Parses line[0..len).  0 and *k filled, or UL_EBADKEY with why (a
 * sentence for a person) and *k zeroed. */
int ul_sshkey_parse(const char *line, size_t len, struct ul_sshkey_info *k,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/* The key sshd accepted, from SSH_AUTH_INFO_0 ("publickey TYPE BASE64"
 * lines, one per method that succeeded): the last publickey line into
 * out (TYPE BASE64), 0; UL_ENOTFOUND when there is none. */
int ul_sshkey_from_auth_info(const char *info, char *out, size_t n)
    __attribute__((warn_unused_result));

#endif
