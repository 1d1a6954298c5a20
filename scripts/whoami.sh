#!/bin/sh
# whoami.sh - greets the authenticated user (wsinetd sets REMOTE_USER and AUTH_TYPE), then
# echoes each message back.
echo "Hello, ${REMOTE_USER:-stranger}!"
exec cat
