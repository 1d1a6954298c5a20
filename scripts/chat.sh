#!/bin/sh
# A chat room: every message from any connection reaches every connection, although
# each connection runs its own copy of this script. The copies share an append-only
# log under a private runtime folder ($XDG_RUNTIME_DIR, else /tmp; pass it with
# --passenv=PATH,XDG_RUNTIME_DIR); each copy follows the log with tail -F and appends
# what its client says. The last one to leave removes the log and the folder.
#   wsinetd --port=8080 --devconsole scripts/chat.sh    (open two browser tabs)
set -u
dir=${XDG_RUNTIME_DIR:-/tmp}/wsinetd-chat-$(id -u)
mkdir -m 700 "$dir" 2>/dev/null
# Only a real folder of ours: not a symlink or a folder someone else planted in /tmp.
if [ -L "$dir" ] || [ ! -d "$dir" ] || [ ! -O "$dir" ]; then
	echo "chat: $dir is not a private folder of ours" >&2
	exit 1
fi
log=$dir/room.log
me=$$
name=${REMOTE_ADDR:-local}:${REMOTE_PORT:-$me}
: >> "$log"
touch "$dir/member.$me"
# Follow from the current end: everything said after we joined, our own lines too.
start=$(wc -c < "$log")
tail -c +$((start + 1)) -F "$log" 2>/dev/null &
tailpid=$!

cleanup() {
	# quick, and not cut short by the termination ladder's first signals
	trap - EXIT
	trap '' INT TERM HUP
	kill "$tailpid" 2>/dev/null
	rm -f "$dir/member.$me"
	echo "* $name left" >> "$log"
	set -- "$dir"/member.*
	if [ ! -e "$1" ]; then # the last one out
		rm -f "$log"
		rmdir "$dir" 2>/dev/null
	fi
}
trap cleanup EXIT
trap 'exit 0' INT TERM HUP

echo "* $name joined" >> "$log"
while IFS= read -r msg; do
	printf '%s: %s\n' "$name" "$msg" >> "$log"
done
