#!/bin/bash
# man-page.sh GENERATE-MANUAL TOOL PAGE
#
# Writes the man page of TOOL (a built ttd-* executable) to PAGE, from the
# tool's own command definitions: swift-argument-parser's generate-manual
# (the tool behind its GenerateManual plugin) reads TOOL
# --experimental-dump-help and writes mdoc. Then three touches:
#   - an empty line (a paragraph break in a discussion) becomes .Pp, which
#     mdoc wants instead;
#   - a tool without subcommands (ttd-deviced: only ArgumentParser's own
#     'help') gets no "subcommand" in its SYNOPSIS;
#   - .Os names the project and the tools' version.
# The date is SOURCE_DATE_EPOCH's, else the last commit's of swift-tools,
# else today's, so that the same sources give the same page.
# Exit 0 with PAGE written, else 1 with one line saying why (PAGE untouched).

set -u
gen=$1 tool=$2 page=$3
name=$(basename "$tool")
say() { echo "tt-xen: $name.1: $*" >&2; exit 1; }

[ -x "$gen" ] || say "no generate-manual ($gen)"
[ -x "$tool" ] || say "no $tool"
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
	date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
else
	date=$(git -C "$(dirname "$0")" log -1 --format=%cs -- . 2>/dev/null)
	[ -n "$date" ] || date=$(date +%F)
fi
version=$("$tool" --version 2>/dev/null) || version=

tmp=$(mktemp -d) || say "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
"$gen" "$tool" --date "$date" --section 1 --output-directory "$tmp" >"$tmp/out" 2>&1 ||
	say "generate-manual failed: $(tail -n 1 "$tmp/out")"
[ -s "$tmp/$name.1" ] || say "generate-manual wrote no $name.1"
subcommands=$(grep -c '^\.It Em ' "$tmp/$name.1")
sed -e 's/^$/.Pp/' \
	-e "s/^\\.Os\$/.Os tt-xen ${version}/" \
	"$tmp/$name.1" |
	if [ "$subcommands" -le 1 ]; then sed -e '/^\.Sh SYNOPSIS$/,/^\.Sh /{/^\.Ar subcommand$/d}'; else cat; fi \
	>"$tmp/page" || say "cannot rewrite the page"
mv -f "$tmp/page" "$page" || say "cannot write $page"
