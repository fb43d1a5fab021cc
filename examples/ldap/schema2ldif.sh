#!/bin/sh
# schema2ldif.sh SCHEMA [SCHEMA_DIR]: prints SCHEMA (a slapd.conf schema
# file such as unilogin.schema) as a cn=config entry to add with
# `ldapadd -Y EXTERNAL -H ldapi:/// -f FILE.ldif`.  slaptest does the
# conversion, so the entry says exactly what slapd read; SCHEMA_DIR holds
# core.schema and cosine.schema (default /etc/ldap/schema).
set -eu
schema=$1
dir=${2:-/etc/ldap/schema}
name=$(basename "$schema" .schema)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/cfg"
printf 'include %s/core.schema\ninclude %s/cosine.schema\ninclude %s\n' \
	"$dir" "$dir" "$(cd "$(dirname "$schema")" && pwd)/$(basename "$schema")" >"$tmp/slapd.conf"
slaptest -Q -f "$tmp/slapd.conf" -F "$tmp/cfg"
cat <<HEAD
# $name.ldif: $name.schema as a cn=config entry, made by schema2ldif.sh
# (edit the .schema and run it again).  Load it into a running slapd:
#   ldapadd -Y EXTERNAL -H ldapi:/// -f $name.ldif
# The OID arc is a PLACEHOLDER to be registered: see $name.schema.
HEAD
# the entry slaptest wrote, unfolded, without its {N} order prefixes (an
# added schema gets its place from cn=config) and its CRC comment
awk '/^ / { line = line substr($0, 2); next }
	{ if (NR > 1) print line; line = $0 }
	END { print line }' "$tmp/cfg/cn=config/cn=schema/cn={2}$name.ldif" |
sed -e '/^#/d' -e '/^structuralObjectClass:/,$d' \
    -e "s/^dn: cn={2}$name\$/dn: cn=$name,cn=schema,cn=config/" \
    -e "s/^cn: {2}$name\$/cn: $name/" \
    -e 's/^\(olc[A-Za-z]*: \){[0-9]*}/\1/'
