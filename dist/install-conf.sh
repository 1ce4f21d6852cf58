#!/bin/sh
# install-conf.sh SRC DEST: install the example config SRC as DEST (under
# $DESTDIR) unless a file is there already: an administrator's kdc.conf is
# never overwritten.  Run by `meson install` (dist/meson.build).
set -eu
src=$1
dest=${DESTDIR:-}$2
if [ -e "$dest" ]; then
	echo "Keeping $dest (the example is $src)"
	exit 0
fi
mkdir -p "$(dirname "$dest")"
install -m 0644 "$src" "$dest"
echo "Installing $src to $dest"
