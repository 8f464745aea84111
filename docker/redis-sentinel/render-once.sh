#!/bin/sh
# Entrypoint of the Redis data nodes and sentinels of docker-compose.sentinel.yml:
#
#   render-once.sh <template> <config> [redis-server options…]
#
# Seeds <config> from <template> on the first start, then runs `redis-server <config> <options…>`
# through the image's own entrypoint, which drops root for the redis user.
#
# The file is seeded once and then belongs to Redis: a sentinel records in it the replicas and
# peers it finds and the primary it elected, and at a failover Sentinel has the data nodes write
# their new role into theirs (CONFIG REWRITE). Rendering it afresh at every start would forget a
# failover and bring the old primary back as a second primary. So it lives on the container's
# volume, and passwords are never in it: they come as options, which override the file at every
# start, so a password changed in .env applies at the next `up`.
set -eu

template=$1
config=$2
shift 2
umask 077

if [ ! -s "$config" ]; then
  # ${BYOK_*} placeholders only. A blank or unusual value stops the container here rather than
  # seeding a config Redis would misread.
  script=
  for name in $(grep -o '\${BYOK_[A-Z0-9_]*}' "$template" | tr -d '${}' | sort -u); do
    value=$(printenv "$name" || true)
    case $value in
      '' | *[!A-Za-z0-9._-]*)
        echo "render-once: $name must be set, to letters, digits, '.', '_' or '-' only (got \"$value\")" >&2
        exit 64
        ;;
    esac
    script="${script}s|\\\${$name}|$value|g;"
  done
  if [ -n "$script" ]; then sed -e "$script" "$template" >"$config.tmp"; else cp "$template" "$config.tmp"; fi
  mv "$config.tmp" "$config"
fi

# CONFIG REWRITE also stores the default user with its password hash, and a `user` line wins over
# --requirepass: drop it, so the password from .env is the one that applies. No other ACL user
# is configured here.
sed -i '/^user /d' "$config"

exec docker-entrypoint.sh redis-server "$config" "$@"
