#!/bin/sh
# Send the program's environment, one variable per message (sorted), then exit
# (Close 1000). Try it with a query string and a subprotocol to see QUERY_STRING and
# WS_PROTOCOL. A newline inside a value becomes a space, so a message is one variable.
env -0 | sort -z | tr '\n\0' ' \n'
