#!/bin/sh
# tests/nss.sh with store = ldap (tests/ldap/lib.sh)
. "$top_srcdir/tests/ldap/lib.sh"
ldap_run nss.sh
