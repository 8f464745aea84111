#!/usr/bin/env bash
# Makes a self-signed TLS certificate for local use (never for a public deployment):
#   deploy/make-self-signed-cert.sh [out-dir] [name ...]
# writes <out-dir>/tls.crt and <out-dir>/tls.key (default out-dir: deploy/certs) valid for the
# given DNS names or IP addresses (default: localhost 127.0.0.1 ::1).
set -euo pipefail

out_dir="${1:-$(dirname "$0")/certs}"
shift || true
names=("$@")
if ((${#names[@]} == 0)); then
  names=(localhost 127.0.0.1 ::1)
fi

san=""
for name in "${names[@]}"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san+="${san:+,}IP:${name}"
  else
    san+="${san:+,}DNS:${name}"
  fi
done

mkdir -p "$out_dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days "${CERT_DAYS:-30}" \
  -subj "/CN=${names[0]}" \
  -addext "subjectAltName=${san}" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,digitalSignature,keyCertSign" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$out_dir/tls.key" -out "$out_dir/tls.crt" 2>/dev/null
# The proxy container runs nginx as an unprivileged user (uid 101) that must read the key from
# the bind mount. Acceptable for a throwaway local key; give a real key to that uid instead.
chmod 644 "$out_dir/tls.key"
echo "Wrote $out_dir/tls.crt and $out_dir/tls.key for: ${names[*]}"
