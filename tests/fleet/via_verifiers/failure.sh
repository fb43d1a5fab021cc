#!/bin/sh
# tests/fleet/failure.sh again with every host's helper in role = host,
# relaying to two verifiers v1, v2 (issue 16: the fleet issue's race and
# failure tests with logins going through verifiers); what each of its
# checks means then is said in that script (FLEET_VIA=verifiers).
FLEET_VIA=verifiers
export FLEET_VIA
exec /bin/sh "$top_srcdir/tests/fleet/failure.sh"
