#!/bin/sh
# tests/login.sh with store = ldap (tests/ldap/lib.sh)
. "$top_srcdir/tests/ldap/lib.sh"
ldap_run login.sh
