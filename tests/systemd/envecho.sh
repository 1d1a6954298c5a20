#!/bin/sh
# Test program for tests/systemd: says who it is and who the peer is, leaves a line on
# stderr (the unit's journal), then echoes every message until the client closes.
echo "REMOTE_ADDR=$REMOTE_ADDR REMOTE_PORT=$REMOTE_PORT URI=$REQUEST_URI UID=$(id -u)"
echo "envecho-stderr uri=$REQUEST_URI" >&2
while IFS= read -r l; do
	echo "echo:$l"
done
