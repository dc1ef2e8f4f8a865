#!/bin/sh
# An on-login action: append one line per check-in to the CSV file named by
# its argument, with a header line when the file is new. Usernames hold only
# letters, digits, '.', '_' and '-'; the station name is quoted.
#
#   facelogin --on-login '["/usr/local/bin/append-checkin", "/var/lib/facelogin/checkins.csv"]'
set -eu
csv=$1
[ -s "$csv" ] || echo "time,user,station,distance" >> "$csv"
station=$(printf '%s' "$FACELOGIN_STATION" | sed 's/"/""/g')
printf '%s,%s,"%s",%s\n' "$FACELOGIN_TIME" "$FACELOGIN_USER" "$station" "$FACELOGIN_DISTANCE" >> "$csv"
