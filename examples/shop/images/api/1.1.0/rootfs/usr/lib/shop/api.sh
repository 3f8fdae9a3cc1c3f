# The API's access to the store (sourced by its CGI scripts).
. /usr/lib/shop/cgi.sh
API_VERSION=1.1.0

store_get() { timeout 5 wget -q -O- "$STORE_URL/cgi-bin/$1" 2>/dev/null; }
store_post() { timeout 5 wget -q -O- --post-data "$2" "$STORE_URL/cgi-bin/$1" 2>/dev/null; }

# items_json: the items of the shop as a JSON array.
items_json() {
  list=$(store_get "list?key=items") || return 1
  printf '%s\n' "$list" | awk 'NF { printf "%s\"%s\"", (n++ ? "," : ""), $0 } END { print "" }' |
    sed 's/^/[/; s/$/]/'
}

# clean_name TEXT: an item name reduced to safe characters (letters, digits, space . _ -).
clean_name() { printf '%s' "$1" | tr -cd 'A-Za-z0-9 ._-' | cut -c 1-64; }

store_down() { respond "502 Bad Gateway" application/json '{"error":"the store is not reachable"}'; }
