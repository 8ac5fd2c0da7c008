#!/usr/bin/env bash
# Refuse to start an install into a DESTDIR that cannot be written.
. "$(dirname "$0")/lib.sh"
d=${1:-/}
mkdir -p "$d" 2>/dev/null || die "cannot create DESTDIR '$d'. Choose a writable folder or run as root."
[ -w "$d" ] || die "DESTDIR '$d' is not writable. Choose a writable folder or run as root."
exit 0
