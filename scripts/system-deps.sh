#!/usr/bin/env bash
# Install the system packages the workbook needs beyond Python:
#   chromium       prints the briefing HTML to PDF (headless)
#   fonts-noto-cjk Chinese glyphs for charts and the PDF
#   poppler-utils  pdftotext/pdftoppm, used by the tests to read the PDF back
#   libreoffice-writer-nogui  headless LibreOffice, used by the tests to print briefing.docx to PDF
#                  (about 200 MB installed, under a minute to install; the build itself does not need it)
# On Debian/Ubuntu as root (or with password-less sudo) it installs what is missing with
# apt-get; anywhere else it says what to install and carries on (exit 0), because the
# HTML briefing and most tests work without them.
set -euo pipefail

packages=(chromium fonts-noto-cjk poppler-utils libreoffice-writer-nogui)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    cat >&2 <<'MSG'
amrbook: not a Debian/Ubuntu system; install by hand if missing:
  macOS:   brew install --cask chromium font-noto-sans-cjk-sc libreoffice && brew install poppler
  Windows: install Chrome or Edge and the "Noto Sans CJK SC" font (Microsoft YaHei also works);
           LibreOffice only for the tests of briefing.docx
MSG
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "amrbook: missing system packages; install them with:" >&2
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 0
fi
echo "amrbook: installing ${missing[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
