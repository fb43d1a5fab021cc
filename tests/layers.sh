#!/bin/sh
# The helper's rooms by layer (README, "How the helper is built"): each
# folder includes only from the layers below it, only store/lmdb/
# includes lmdb.h and only store/ldap/ includes ldap.h or lber.h or names
# libldap's API.  Reads the sources; runs nothing.
#   server -> handlers -> rules -> core -> store -> store/lmdb | store/ldap
set -eu
: "${top_srcdir:=$(pwd)}"
. "$top_srcdir/tests/lib.sh"
cd "$top_srcdir"

rank() {
	case $1 in
	helper/server/*) echo 5 ;; helper/handlers/*) echo 4 ;;
	helper/rules/*) echo 3 ;; helper/core/*) echo 2 ;;
	helper/store/*) echo 1 ;;
	*) echo 9 ;;
	esac
}

files=$(find helper -name '*.[ch]' | sort)
expect_eq "the helper's sources are all in a layer's folder" \
	"helper/main.c" "$(for f in $files; do [ "$(rank "$f")" != 9 ] || echo "$f"; done)"

lmdb=$(grep -l '#include <lmdb.h>' $files | grep -v '^helper/store/lmdb/' || true)
expect_eq "only helper/store/lmdb/ includes lmdb.h" "" "$lmdb"
expect_eq "no LMDB name in the store's interface" "" \
	"$(grep -il 'lmdb\|mdb_' helper/store/store.h helper/store/local.h || true)"

ldap=$(grep -l '#include <\(ldap\|lber\)\.h>' $files | grep -v '^helper/store/ldap/' || true)
expect_eq "only helper/store/ldap/ includes ldap.h or lber.h" "" "$ldap"
expect_eq "no libldap name outside helper/store/ldap/" "" \
	"$(grep -l '\bLDAP\(Message\|Mod\|Control\|URLDesc\)\? *\*\|\bldap_[a-z0-9_]*(\|\bber_[a-z_]*(\|\bLDAP_[A-Z][A-Z_]*' $files |
	    grep -v '^helper/store/ldap/' || true)"

up=
for f in $files; do
	[ "$f" != helper/main.c ] || continue
	from=$(rank "$f")
	for inc in $(sed -n 's/^#include "\(helper\/[^"]*\)".*/\1/p' "$f"); do
		to=$(rank "$inc")
		# the same layer or one below; a backend's own headers only from
		# its folder (the backend implements store.h, nobody calls it)
		case $inc in helper/store/lmdb/*) case $f in helper/store/lmdb/*) ;;
			*) up="$up $f->$inc" ;; esac ;; esac
		case $inc in helper/store/ldap/*) case $f in helper/store/ldap/*) ;;
			*) up="$up $f->$inc" ;; esac ;; esac
		if [ "$to" -gt "$from" ]; then
			up="$up $f->$inc"
		fi
	done
done
expect_eq "no include climbs a layer up (or into another backend)" "" "$up"
ul_done
