#!/bin/sh
# The shop page: API version, the items, the worker's heartbeats and a form to add an item.
. /usr/lib/shop/cgi.sh

api() { timeout 5 wget -q -O- "$API_URL/cgi-bin/$1" 2>/dev/null; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
html() { httpd -e "$1"; }

title=$(sed -n 's/^title=//p' /etc/shop/web.conf 2>/dev/null)
title=${title:-Shop}
if version_json=$(api version); then
  version=$(printf '%s' "$version_json" | field version)
  items=$(api items | sed -n 's/.*"items":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | sed 's/^"//; s/"$//')
  beats=$(api stats | field heartbeats)
  status="API $version &middot; ${beats:-0} worker heartbeats"
else
  status="the API is not reachable right now"
fi

list=""
for item in $(printf '%s\n' "$items" | sed 's/ /%20/g'); do
  list="$list<li>$(html "$(httpd -d "$item")")</li>"
done
[ -n "$list" ] || list="<li><em>no items yet</em></li>"

page="<!doctype html>
<html><head><meta charset=\"utf-8\"><title>$(html "$title")</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}footer{color:#666}</style>
</head><body>
<h1>$(html "$title")</h1>
<ul id=\"items\">$list</ul>
<form method=\"post\" action=\"/cgi-bin/add\"><input name=\"name\" placeholder=\"new item\">
<button>Add</button></form>
<footer id=\"status\">$status</footer>
</body></html>"
respond "200 OK" "text/html; charset=utf-8" "$page"
