#!/bin/sh
# An on-login action: append one line per check-in to the CSV file named by
# its argument, with a header line when the file is new. The user and
# station cells are quoted, and one that starts with = + - @, a tab or a
# carriage return gets a leading ' so a spreadsheet does not run it as a
# formula (OWASP CSV injection; the same rule as the app's CSV export).
#
#   facelogin --on-login '["/usr/local/bin/append-checkin", "/var/lib/facelogin/checkins.csv"]'
set -eu
csv=$1
tab=$(printf '\t')
cr=$(printf '\r')
cell() {
	v=$(printf '%s' "$1" | sed 's/"/""/g')
	case $v in [=+@-]* | "$tab"* | "$cr"*) v="'$v" ;; esac
	printf '"%s"' "$v"
}
[ -s "$csv" ] || echo "time,user,station,distance" >> "$csv"
printf '%s,%s,%s,%s\n' "$FACELOGIN_TIME" "$(cell "$FACELOGIN_USER")" "$(cell "$FACELOGIN_STATION")" "$FACELOGIN_DISTANCE" >> "$csv"
