#!/bin/sh
# Install AirAlgo Desktop for this user: the app under ~/.local/opt, a launcher in ~/.local/bin,
# a menu entry and an icon. Run from the unpacked tarball: ./install.sh   (./install.sh --uninstall to remove)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="${XDG_DATA_HOME:-$HOME/.local/share}"
opt="$HOME/.local/opt/airalgo-desktop"
bin="$HOME/.local/bin"
if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt" "$bin/airalgo-desktop" "$prefix/applications/airalgo-desktop.desktop" \
         "$prefix/icons/hicolor/256x256/apps/airalgo-desktop.png"
  echo "AirAlgo Desktop removed (your settings, journal and logs are kept in ~/.config, ~/.local/share, ~/.cache)."
  exit 0
fi
mkdir -p "$opt" "$bin" "$prefix/applications" "$prefix/icons/hicolor/256x256/apps"
rm -rf "$opt"/*
cp -R "$here/AirAlgoDesktop/." "$opt/"
ln -sf "$opt/AirAlgoDesktop" "$bin/airalgo-desktop"
cp "$here/airalgo-desktop.png" "$prefix/icons/hicolor/256x256/apps/airalgo-desktop.png"
sed "s|@EXEC@|$opt/AirAlgoDesktop|" "$here/airalgo-desktop.desktop" > "$prefix/applications/airalgo-desktop.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$prefix/applications" || true
echo "AirAlgo Desktop installed: find it in your applications menu, or run airalgo-desktop."
