#!/bin/sh
# `make run`: until the KDC lands, show what the command offers.
set -eu
"$1" --help
