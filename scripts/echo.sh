#!/bin/sh
# Echo every message back (with --json: a type-preserving echo).
exec cat
