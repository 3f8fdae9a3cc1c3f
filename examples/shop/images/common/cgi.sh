# Helpers shared by the shop's CGI scripts (busybox sh, sourced).

# query_param NAME: the URL-decoded value of NAME in $QUERY_STRING (empty if absent).
query_param() {
  httpd -d "$(printf '%s\n' "${QUERY_STRING:-}" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1)"
}

# form_param NAME FORM: the URL-decoded value of NAME in an x-www-form-urlencoded FORM.
form_param() {
  httpd -d "$(printf '%s\n' "$2" | tr '&' '\n' | sed -n "s/^$1=//p" | head -n 1)"
}

# read_body: the request body (CONTENT_LENGTH bytes of stdin).
read_body() {
  if [ -n "${CONTENT_LENGTH:-}" ]; then head -c "$CONTENT_LENGTH"; fi
}

# respond STATUS TYPE BODY: one complete CGI response.
respond() {
  printf 'Status: %s\r\nContent-Type: %s\r\nCache-Control: no-store\r\n\r\n%s\n' "$1" "$2" "$3"
}

# valid_key KEY: true when KEY is a safe store key ([a-z0-9_-], 1..64 chars).
valid_key() {
  case $1 in
    '' | *[!a-z0-9_-]*) return 1 ;;
  esac
  [ ${#1} -le 64 ]
}
