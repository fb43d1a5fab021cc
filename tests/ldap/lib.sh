# tests/ldap/lib.sh: sourced by the tests/ldap/*.sh wrappers.  ldap_run
# SCRIPT runs tests/SCRIPT again with store = ldap: its helper on a
# loopback directory (tests/lib.sh, UL_STORE: a provider and the host's
# replica), so that the same script checks both backends.  Skips (77)
# without slapd or with a helper built without LDAP.
ldap_run() {
	grep -q '^#define UL_WITH_LDAP 1' "$top_builddir/config.h" ||
		{ echo "SKIP: unilogind built without LDAP (configure --with-ldap)"; exit 77; }
	command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] ||
		{ echo "SKIP: needs slapd: apt-get install slapd ldap-utils"; exit 77; }
	UL_STORE=ldap
	export UL_STORE
	exec /bin/sh "$top_srcdir/tests/$1"
}
