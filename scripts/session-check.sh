#!/bin/sh
# session-check.sh - an --auth-command for cookie sessions kept in a small file.
#
#   ./wsinetd --port=8080 --address=127.0.0.1 --auth-command=scripts/session-check.sh \
#       --auth-cookie=sid --passenv=PATH,WSINETD_SESSIONS scripts/whoami.sh
#
# wsinetd runs this once per connection, before the program, with the session id from
# the "sid" cookie in $WS_AUTH_TOKEN (and the request's CGI environment). The session
# file ($WSINETD_SESSIONS, default scripts/sessions.example) has one session per line:
#     TOKEN USER [ROLE]
# Exit 0 with the user on stdout accepts; exit 3 is "known but not allowed" (403, or
# Close 4003); anything else refuses (401 / 4001).
set -u
file=${WSINETD_SESSIONS:-$(dirname "$0")/sessions.example}
tok=${WS_AUTH_TOKEN:-}
# Session ids are opaque [A-Za-z0-9_-]; anything else is not one of ours.
case "$tok" in
'' | *[!A-Za-z0-9_-]*) exit 1 ;;
esac
line=$(awk -v t="$tok" '$1 == t && $0 !~ /^#/ { print; exit }' "$file") || exit 1
[ -n "$line" ] || exit 1
set -- $line
[ "${3:-}" = banned ] && exit 3
printf '%s\n' "$2"
