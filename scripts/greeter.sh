#!/bin/sh
# Answers each line (message) it receives; the demo behind `make run`.
while IFS= read -r msg; do
	case "$msg" in
	hi) echo "Hey there" ;;
	hello) echo "Heya!" ;;
	xyzzy) echo "Nothing happens." ;;
	desu) echo "Keep typing, man. Keep typing." ;;
	*) echo "Hello. Uh... what am I supposed to do with '$msg'?" ;;
	esac
done
