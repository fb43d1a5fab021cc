#!/bin/sh
# Emails as keys through the real helper (U1; "Hardening 2", rows 13 and
# 16): an address that would be an option in the delivery command's argv,
# or that hides a character, is refused and stores nothing; a non-ASCII
# domain is its IDNA A-label, one user however it is typed.
. "$top_srcdir/tests/lib.sh"

printf '#!/bin/sh\nprintf "%%s|" "$@" >>"%s/argv"; echo >>"%s/argv"; cat >/dev/null\n' \
	"$T" "$T" >"$T/deliver"
chmod 755 "$T/deliver"
ul_config "delivery_command = $T/deliver"
ul_start

# the characters as UTF-8, in octal for printf(1)
zwsp=$(printf '\342\200\213')           # U+200B ZERO WIDTH SPACE
nbsp=$(printf '\302\240')               # U+00A0 NO-BREAK SPACE
rlo=$(printf '\342\200\256')            # U+202E RIGHT-TO-LEFT OVERRIDE
cyr_a=$(printf '\320\260')              # U+0430 CYRILLIC SMALL LETTER A

refused() { # WHAT EMAIL
	out=$(ctl user add "$2" 2>&1) && rc=0 || rc=$?
	case $rc in 1|2) pass "$1: refused (exit $rc)" ;;
	*) fail "$1: expected exit 1 or 2, got $rc: $out" ;; esac
	expect_contains "$1: ... says why" "$out" "not a valid email address"
}

refused "row 13: a leading '-'" '-x@example.com'
refused "row 13: an option with a value" '-oProxyCommand=sh@example.com'
refused "row 16: U+200B after the address" "alice@example.com$zwsp"
refused "row 16: U+200B in the domain" "alice@exa${zwsp}mple.com"
refused "row 16: U+00A0 after the address" "alice@example.com$nbsp"
refused "row 16: U+00A0 in the local part" "ali${nbsp}ce@example.com"
refused "row 16: U+202E in the local part" "alice$rlo@example.com"
refused "row 16: U+202E in the domain" "alice@${rlo}example.com"
refused "row 16: a Cyrillic a in the local part" "${cyr_a}lice@example.com"
refused "row 16: U+200B in an IDN" "x@bücher$zwsp.example"
expect_eq "nothing was stored, nothing delivered" "" \
	"$(ctl user list)$(cat "$T/argv" 2>/dev/null)"

# a non-ASCII domain is its A-label: typed either way, one user
ctl user add 'x@bücher.example' >/dev/null
out=$(ctl user show 'x@xn--bcher-kva.example' 2>&1) && rc=0 || rc=$?
expect_eq "U-label added, A-label shown" 0 "$rc"
expect_contains "... one user, under its A-label" "$out" "email: x@xn--bcher-kva.example"
out=$(ctl user show 'X@BÜCHER.Example' 2>&1) && rc=0 || rc=$?
expect_eq "... and found as the U-label in capitals" 0 "$rc"
expect_eq "the delivery command gets the A-label" \
	"verify|x@xn--bcher-kva.example|" "$(cat "$T/argv")"
ctl user add 'y@xn--bcher-kva.example' >/dev/null
out=$(ctl user show 'y@bücher.example' 2>&1) && rc=0 || rc=$?
expect_eq "A-label added, U-label found" 0 "$rc"

# a homoglyph in the domain is another domain: another user, shown as such
ctl user add 'alice@example.com' >/dev/null
ctl user add "alice@ex${cyr_a}mple.com" >/dev/null
want="alice@example.com|alice@xn--exmple-4nf.com|"
want="${want}x@xn--bcher-kva.example|y@xn--bcher-kva.example|"
expect_eq "a Cyrillic a in the domain: its own A-label, beside the Latin one" \
	"$want" "$(ctl user list | sed 1d | cut -f1 | LC_ALL=C sort | tr '\n' '|')"
ul_done
