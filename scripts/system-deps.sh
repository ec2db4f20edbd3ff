#!/usr/bin/env bash
# Installs the Debian packages the tests use as real components (samtools for BAM metadata,
# python3-cheetah as the reference for the Cheetah engine, ...). Skips apt entirely when
# everything is already there, so it is cheap to run before every test run.
set -euo pipefail
PACKAGES=(samtools bzip2 curl python3-cheetah python3-bioblend python3-pytest podman runc busybox-static slurm-wlm munge docker-registry skopeo)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (install them with apt-get as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
