/* unilogin.conf: `key = value` lines, `#` comments.  One parser for the
 * helper, the PAM module, the NSS module and the tools; the keys and their
 * defaults are those of INTERFACES.md. */
#ifndef UL_CONF_H
#define UL_CONF_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UL_CONF_ERR_MAX 512

enum ul_store_kind { UL_STORE_LMDB = 0, UL_STORE_LDAP = 1 };
enum ul_ldap_bind { UL_LDAP_BIND_EXTERNAL = 0, UL_LDAP_BIND_SIMPLE = 1 };
/* INTERFACES.md, "Fleet": who verifies secrets */
enum ul_role { UL_ROLE_STANDALONE = 0, UL_ROLE_VERIFIER = 1, UL_ROLE_HOST = 2 };

#define UL_LDAP_URI_MAX 512
#define UL_LDAP_DN_MAX 512

struct ul_conf {
	char product[33];
	char socket[108];           /* sun_path */
	char state_dir[PATH_MAX];
	char kdf[32];               /* as written, for messages */
	unsigned long long kdf_opslimit;
	size_t kdf_memlimit;        /* bytes */
	unsigned kdf_parallel;
	unsigned lockout_attempts;
	unsigned lockout_seconds;
	bool tfa_required;
	unsigned totp_window;
	unsigned totp_digits;
	unsigned remember_days;
	char delivery_command[PATH_MAX];
	char admin_group[64];
	unsigned timeout;           /* seconds */
	char user[64];
	uint32_t uid_min;
	uint32_t uid_max;
	char home_template[256];
	char shell[256];
	unsigned nss_timeout;
	unsigned session_days;
	unsigned audit_days;
	char issuer[65];            /* the Key URI's issuer (T2) */
	unsigned rate_burst;        /* S3: password checks a caller may send ... */
	unsigned rate_per_minute;   /* ... and then this many a minute */
	/* SSH keys (K1) */
	enum ul_ssh_keys { UL_SSH_KEYS_ALLOWED = 0, UL_SSH_KEYS_REQUIRED,
		UL_SSH_KEYS_OFF } ssh_keys;
	bool ssh_automation_keys;   /* --automation keys log in without a code */
	char ssh_service[65];       /* the PAM service whose SSH_AUTH_INFO_0
				     * is believed (sshd's) */
	char keys_user[64];         /* unilogin-keys' user: no per-uid cap */
	/* a fleet (INTERFACES.md, "Fleet"): the helper alone uses these; the
	 * modules and tools parse them so that one file serves all */
	enum ul_store_kind store;
	char ldap_read_uri[UL_LDAP_URI_MAX + 1];    /* the host's replica */
	char ldap_write_uri[UL_LDAP_URI_MAX + 1];   /* the active provider */
	char ldap_base[UL_LDAP_DN_MAX + 1];
	enum ul_ldap_bind ldap_bind;
	char ldap_bind_dn[UL_LDAP_DN_MAX + 1];
	/* paths of 255 bytes at most: the PAM module keeps a config on its
	 * stack, and these need no more */
	char ldap_bind_password_file[256];
	char ldap_tls_ca[256];
	char ldap_tls_cert[256];
	char ldap_tls_key[256];
	unsigned ldap_timeout;      /* seconds, one directory operation */
	/* host <-> verifier (issue 16): a verifier holds keys and serves the
	 * secret-bearing requests of hosts over mutual TLS 1.3 */
	enum ul_role role;
	char verifiers[512];        /* role = host: HOST:PORT[,HOST:PORT...] */
	char verifier_listen[128];  /* role = verifier: ADDRESS:PORT */
	char tls_ca[256];
	char tls_cert[256];
	char tls_key[256];
	char tls_crl[256];          /* verifier: a CRL file, reloaded when it changes */
};

/* The built-in defaults. */
void ul_conf_defaults(struct ul_conf *c);

/* Reads FILE over the current values.  A missing file is no error when
 * missing_ok.  On error, err holds "FILE:LINE: message" and the return is
 * UL_ECONFIG (or UL_EIO when the file cannot be read). */
int ul_conf_load(struct ul_conf *c, const char *path, bool missing_ok,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Reads the text[0..len) of a config over the current values, by the
 * rules of ul_conf_load() (without the file's owner and mode check): on
 * error, err holds "NAME:LINE: message" and the return is UL_ECONFIG.
 * For callers that hold the text already, and for the fuzzer. */
int ul_conf_parse(struct ul_conf *c, const char *name, const char *text,
    size_t len, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Sets one key from its text, as a line of the file would.  On error err
 * holds the message (without FILE:LINE). */
int ul_conf_set(struct ul_conf *c, const char *key, const char *value,
    char *err, size_t errlen) __attribute__((warn_unused_result));

/* Checks what one key cannot check alone (uid_min <= uid_max, ...). */
int ul_conf_check(const struct ul_conf *c, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Parses a kdf value ("interactive", "moderate", "sensitive",
 * "OPSLIMIT:MEMLIMIT_MIB"). */
int ul_conf_parse_kdf(const char *v, unsigned long long *ops, size_t *mem);

#endif
